//! The demo's product story (policy §3.2; issue 11): twelve products in three categories with
//! their technical parameters, one shown only to East China distributors; three launches in the
//! coming months owned by R&D; ten feedback items from 恒通商贸 (p1) and 京联贸易 (p2) in every
//! state, one merged into a similar one. R&D's login is `rd@demo.example`. Written without
//! notifications, so the demo people's bells stay as the other stories leave them.

use crate::Result;
use liaison_core::product::{
    FeedbackKind, FeedbackState, ParamInput, Visibility, parse_feedback_text,
};
use liaison_db::Db;
use liaison_db::product::ProductInput;
use serde_json::json;
use uuid::Uuid;

/// (code, zh, en, category, status, features, [(param, value, unit, type)])
type P = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str, &'static str)],
);

const PRODUCTS: &[P] = &[
    (
        "LX-SM100",
        "伺服电机 SM100",
        "Servo motor SM100",
        "伺服电机",
        "launched",
        "- 高响应：额定转速下 5 毫秒内到位\n- 低噪音设计",
        &[
            ("额定功率", "1.0", "kW", "number"),
            ("额定转速", "3000", "rpm", "number"),
            ("防护等级", "IP65", "", "text"),
        ],
    ),
    (
        "LX-SM150",
        "伺服电机 SM150",
        "Servo motor SM150",
        "伺服电机",
        "launched",
        "- 额定功率 1.5 千瓦\n- 支持绝对值编码器",
        &[
            ("额定功率", "1.5", "kW", "number"),
            ("额定转速", "3000", "rpm", "number"),
            ("绝对值编码器", "true", "", "boolean"),
        ],
    ),
    (
        "LX-SM200",
        "伺服电机 SM200",
        "Servo motor SM200",
        "伺服电机",
        "launched",
        "- 大扭矩，适合包装机械",
        &[
            ("额定功率", "2.0", "kW", "number"),
            ("额定扭矩", "6.4", "N·m", "number"),
        ],
    ),
    (
        "LX-SM300",
        "伺服电机 SM300（新一代）",
        "Servo motor SM300",
        "伺服电机",
        "planned",
        "- 新一代低惯量转子\n- 能效提升 8%",
        &[
            ("额定功率", "3.0", "kW", "number"),
            ("额定转速", "2500", "rpm", "number"),
        ],
    ),
    (
        "LX-VF075",
        "变频器 VF075",
        "Inverter VF075",
        "变频器",
        "launched",
        "- 矢量控制\n- 内置制动单元",
        &[
            ("额定功率", "0.75", "kW", "number"),
            ("输入电压", "380", "V", "number"),
        ],
    ),
    (
        "LX-VF220",
        "变频器 VF220",
        "Inverter VF220",
        "变频器",
        "launched",
        "- 适用于风机水泵\n- 节能模式",
        &[
            ("额定功率", "2.2", "kW", "number"),
            ("输入电压", "380", "V", "number"),
            ("过载能力", "150", "%", "number"),
        ],
    ),
    (
        "LX-VF550",
        "变频器 VF550",
        "Inverter VF550",
        "变频器",
        "discontinued",
        "- 已由 VF550E 替代",
        &[("额定功率", "5.5", "kW", "number")],
    ),
    (
        "LX-VF550E",
        "变频器 VF550E",
        "Inverter VF550E",
        "变频器",
        "planned",
        "- 替代 VF550，体积缩小 20%",
        &[
            ("额定功率", "5.5", "kW", "number"),
            ("输入电压", "380", "V", "number"),
        ],
    ),
    (
        "LX-PC10",
        "可编程控制器 PC10",
        "PLC PC10",
        "控制器",
        "launched",
        "- 16 路数字量输入\n- 以太网通信",
        &[
            ("数字量输入", "16", "路", "number"),
            ("数字量输出", "12", "路", "number"),
        ],
    ),
    (
        "LX-PC20",
        "可编程控制器 PC20",
        "PLC PC20",
        "控制器",
        "launched",
        "- 32 路数字量输入\n- 支持运动控制",
        &[
            ("数字量输入", "32", "路", "number"),
            ("程序容量", "256", "KB", "number"),
        ],
    ),
    (
        "LX-PC30",
        "可编程控制器 PC30",
        "PLC PC30",
        "控制器",
        "planned",
        "- 双核处理器\n- 内置网页组态",
        &[
            ("数字量输入", "64", "路", "number"),
            ("程序容量", "1024", "KB", "number"),
        ],
    ),
    (
        "LX-HMI7",
        "触摸屏 HMI7（华东经销商专供）",
        "HMI panel HMI7",
        "控制器",
        "launched",
        "- 7 英寸触摸屏\n- 华东经销商试销",
        &[
            ("屏幕尺寸", "7", "英寸", "number"),
            ("分辨率", "800×480", "", "text"),
        ],
    ),
];

pub async fn load_products(db: &Db) -> Result<()> {
    if !liaison_db::product::list_products(db, &Default::default())
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let rd = crate::user_id_or_create(
        db,
        ("rd@demo.example", "罗工 Luo Gong (研发部)", "rd", "rnd"),
    )
    .await?;
    let east = liaison_db::segment::list_segments(db)
        .await?
        .into_iter()
        .find(|s| s.name.starts_with("华东经销商"))
        .map(|s| s.id);
    let mut ids = Vec::new();
    for (code, zh, en, category, status, features, params) in PRODUCTS {
        let visibility = match (code.ends_with("HMI7"), east) {
            (true, Some(seg)) => Visibility {
                segments: vec![seg],
                ..Default::default()
            },
            _ => Visibility::default(),
        };
        let p = liaison_db::product::insert_product(
            db,
            rd,
            &ProductInput {
                code: Some((*code).into()),
                name_zh: Some((*zh).into()),
                name_en: Some((*en).into()),
                category: Some((*category).into()),
                status: Some((*status).into()),
                features: Some((*features).into()),
                advantages: Some("- 国产核心部件，交期稳定\n- 三年质保".into()),
                usage: Some("1. 按说明书接线\n2. 用调试软件设置参数\n3. 试运行后投入使用".into()),
                parameters: Some(
                    params
                        .iter()
                        .map(|(n, v, u, t)| ParamInput {
                            name: Some((*n).into()),
                            value: Some(json!(v)),
                            unit: Some((*u).into()),
                            kind: Some((*t).into()),
                        })
                        .collect(),
                ),
                visibility: Some(visibility),
            },
        )
        .await?;
        ids.push((p.id, *code));
    }
    let id_of = |c: &str| ids.iter().find(|(_, code)| *code == c).map(|(id, _)| *id);
    let today = db
        .now()
        .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
        .date_naive();
    for (code, title, days) in [
        ("LX-SM300", "新一代伺服电机 SM300 全国上市", 35),
        ("LX-VF550E", "变频器 VF550E 上市（替代 VF550）", 50),
        ("LX-PC30", "可编程控制器 PC30 发布会", 80),
    ] {
        if let Some(product) = id_of(code) {
            liaison_db::launch::insert_launch(
                db,
                rd,
                &liaison_db::launch::LaunchInput {
                    product_id: Some(product),
                    title: Some(title.into()),
                    launch_on: Some((today + chrono::Duration::days(days)).to_string()),
                    notes: Some("请伙伴提前备货并安排市场推广。".into()),
                    owner_id: Some(rd),
                },
            )
            .await?;
        }
    }
    feedback(db, rd, &id_of).await
}

/// (who, product code, kind, description, customer impact, state, answer)
type Item<'a> = (
    &'a liaison_db::user::User,
    &'a str,
    FeedbackKind,
    &'a str,
    &'a str,
    FeedbackState,
    Option<&'a str>,
);

async fn feedback(db: &Db, rd: Uuid, id_of: &dyn Fn(&str) -> Option<Uuid>) -> Result<()> {
    let users = liaison_db::user::list_users(db).await?;
    let person = |email: &str| users.iter().find(|u| u.email == email);
    let (Some(p1), Some(p2)) = (person("p1@demo.example"), person("p2@demo.example")) else {
        return Ok(());
    };
    use FeedbackKind::*;
    use FeedbackState::*;
    let items: [Item<'_>; 10] = [
        (
            p1,
            "LX-SM150",
            CustomerNeed,
            "客户希望 SM150 提供 2 米和 5 米两种标准电缆长度。",
            "多家包装机客户因电缆长度需现场加工。",
            New,
            None,
        ),
        (
            p1,
            "LX-VF220",
            Improvement,
            "VF220 面板的中文菜单层级太深，建议增加常用参数快捷键。",
            "安装调试时间延长约半小时。",
            UnderReview,
            Some("已收到，正在评估面板固件改版。"),
        ),
        (
            p1,
            "LX-PC20",
            CustomerNeed,
            "客户需要 PC20 支持主流现场总线协议。",
            "两家汽配客户等待该功能后下单。",
            Planned,
            Some("已列入明年第二季度的固件计划。"),
        ),
        (
            p1,
            "LX-SM100",
            Improvement,
            "SM100 的接线端子标识容易磨损，建议改为激光打标。",
            "",
            Shipped,
            Some("自本月批次起已改为激光打标。"),
        ),
        (
            p1,
            "LX-HMI7",
            CustomerNeed,
            "客户询问 HMI7 是否有 10 英寸版本。",
            "",
            New,
            None,
        ),
        (
            p2,
            "LX-SM150",
            CustomerNeed,
            "希望 SM150 有更长的标准电缆可选。",
            "客户产线布局较分散。",
            New,
            None,
        ),
        (
            p2,
            "LX-VF075",
            Improvement,
            "VF075 的散热风扇噪音偏大，建议优化。",
            "用于办公楼新风系统时有投诉。",
            Declined,
            Some("经测试噪音符合标准，暂不调整；可选配静音风扇。"),
        ),
        (
            p2,
            "LX-PC10",
            CustomerNeed,
            "客户需要 PC10 的英文版编程手册。",
            "外资客户工程师需要。",
            Planned,
            Some("英文手册将于下月发布。"),
        ),
        (
            p2,
            "LX-VF220",
            CustomerNeed,
            "客户希望 VF220 支持远程监控。",
            "",
            UnderReview,
            Some("正在评估联网模块方案。"),
        ),
        (
            p2,
            "LX-SM200",
            Improvement,
            "SM200 的说明书缺少扭矩曲线图。",
            "",
            Shipped,
            Some("新版说明书已补充扭矩曲线。"),
        ),
    ];
    let mut created = Vec::new();
    for (who, code, kind, description, impact, state, answer) in items {
        let (Some(product), Some(partner)) = (id_of(code), who.partner_id) else {
            continue;
        };
        let text =
            parse_feedback_text(description, impact).map_err(liaison_db::DbError::Invalid)?;
        let f = liaison_db::feedback::insert_feedback(
            db,
            Uuid::now_v7(),
            who.id,
            partner,
            product,
            kind,
            &text,
            &[],
        )
        .await?;
        if state != New || answer.is_some() {
            liaison_db::feedback::update_triage(db, rd, &f, state, answer, f.version, &[]).await?;
        }
        created.push(f);
    }
    // p2's cable request is the same as p1's: merged, so two partners ask for it.
    if let (Some(target), Some(source)) = (created.first(), created.get(5)) {
        let target = liaison_db::feedback::find_feedback(db, target.id).await?;
        let source = liaison_db::feedback::find_feedback(db, source.id).await?;
        liaison_db::feedback::merge_feedback(db, rd, &source, &target).await?;
    }
    Ok(())
}
