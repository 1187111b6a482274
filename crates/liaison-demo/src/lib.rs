//! Demo data, kept out of the storage library: a believable company (departments, people,
//! partners of every kind across regions and tiers, contacts, segments) so a newcomer can click
//! through Liaison at once, a load generator (`liaison demo --partners N`) for benchmarks, and
//! (`history`, a separate step) three months of communication written through the public
//! operations. Loading twice changes nothing.

mod data;
mod history;
mod products;

pub use history::{HistoryReport, history};

use liaison_core::partner::{
    Channel, Lang, NewContact, NewPartner, PartnerCode, PartnerFilter, PartnerKind, PartnerStatus,
    WorkingHours,
};
use liaison_core::validate::EmailAddress;
use liaison_db::audit::{self, Entry};
use liaison_db::partner::{insert_contact_rows, insert_partner_rows};
use liaison_db::user::{UserInput, insert_department, insert_user, set_department_head};
use liaison_db::{Db, DbError, q};

/// Demo data fails as the service layer does (storage errors included).
pub use liaison_app::Error;
pub type Result<T, E = Error> = std::result::Result<T, E>;
use serde_json::json;
use uuid::Uuid;

pub const DEMO_PASSWORD: &str = "liaison-demo";

const DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("channel", "渠道管理部", "Channel Management"),
    ("marketing", "市场部", "Marketing"),
    ("sales", "销售部", "Sales"),
    ("product", "产品部", "Product"),
    ("rnd", "研发部", "R&D"),
    ("service", "客户服务部", "Customer Service"),
];

/// (email, name, roles, department)
const USERS: &[(&str, &str, &str, &str)] = &[
    ("admin@demo.example", "系统管理员 Admin", "admin", ""),
    (
        "channel@demo.example",
        "陈立 Chen Li",
        "channel_manager",
        "channel",
    ),
    (
        "channel2@demo.example",
        "赵敏 Zhao Min",
        "channel_manager",
        "channel",
    ),
    (
        "head@demo.example",
        "林悦 Lin Yue",
        "dept_head,staff",
        "marketing",
    ),
    ("staff@demo.example", "王晓 Wang Xiao", "staff", "marketing"),
    ("exec@demo.example", "周海 Zhou Hai", "executive", ""),
    (
        "sales-head@demo.example",
        "孙强 Sun Qiang",
        "dept_head,staff",
        "sales",
    ),
    ("rnd@demo.example", "Grace Liu", "staff", "rnd"),
];

/// (code, name, kind, region, tier, timezone)
const PARTNERS: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "SH-D001",
        "上海恒通商贸有限公司",
        "distributor",
        "华东",
        "A",
        "Asia/Shanghai",
    ),
    (
        "BJ-D002",
        "北京京联贸易有限公司",
        "distributor",
        "华北",
        "A",
        "Asia/Shanghai",
    ),
    (
        "GZ-D003",
        "广州南粤供应链有限公司",
        "distributor",
        "华南",
        "A",
        "Asia/Shanghai",
    ),
    (
        "CD-D004",
        "成都天府分销有限公司",
        "distributor",
        "西南",
        "B",
        "Asia/Shanghai",
    ),
    (
        "WH-D005",
        "武汉江城商贸有限公司",
        "distributor",
        "华中",
        "B",
        "Asia/Shanghai",
    ),
    (
        "XA-D006",
        "西安长安物流贸易有限公司",
        "distributor",
        "西北",
        "B",
        "Asia/Shanghai",
    ),
    (
        "SY-D007",
        "沈阳北方经销有限公司",
        "distributor",
        "东北",
        "C",
        "Asia/Shanghai",
    ),
    (
        "HZ-D008",
        "杭州西湖商贸有限公司",
        "distributor",
        "华东",
        "B",
        "Asia/Shanghai",
    ),
    (
        "NJ-D009",
        "南京金陵分销有限公司",
        "distributor",
        "华东",
        "C",
        "Asia/Shanghai",
    ),
    (
        "HK-D010",
        "Harbour Link Distribution Ltd",
        "distributor",
        "港澳台",
        "A",
        "Asia/Hong_Kong",
    ),
    (
        "SG-D011",
        "Lion City Trading Pte Ltd",
        "distributor",
        "海外",
        "B",
        "Asia/Singapore",
    ),
    (
        "TP-D012",
        "台北宏達經銷股份有限公司",
        "distributor",
        "港澳台",
        "B",
        "Asia/Taipei",
    ),
    (
        "SZ-A001",
        "深圳前海代理有限公司",
        "agent",
        "华南",
        "A",
        "Asia/Shanghai",
    ),
    (
        "TJ-A002",
        "天津渤海代理服务有限公司",
        "agent",
        "华北",
        "B",
        "Asia/Shanghai",
    ),
    (
        "CQ-A003",
        "重庆山城代理有限公司",
        "agent",
        "西南",
        "B",
        "Asia/Shanghai",
    ),
    (
        "CS-A004",
        "长沙湘江代理有限公司",
        "agent",
        "华中",
        "C",
        "Asia/Shanghai",
    ),
    (
        "QD-A005",
        "青岛海湾代理有限公司",
        "agent",
        "华北",
        "C",
        "Asia/Shanghai",
    ),
    (
        "XM-A006",
        "厦门鹭岛代理有限公司",
        "agent",
        "华南",
        "B",
        "Asia/Shanghai",
    ),
    (
        "KM-A007",
        "昆明春城代理有限公司",
        "agent",
        "西南",
        "C",
        "Asia/Shanghai",
    ),
    (
        "DL-A008",
        "Dalian Northstar Agency Co., Ltd",
        "agent",
        "东北",
        "B",
        "Asia/Shanghai",
    ),
    (
        "MO-A009",
        "Macau Pearl Agency Ltd",
        "agent",
        "港澳台",
        "C",
        "Asia/Macau",
    ),
    (
        "KL-A010",
        "Straits Bridge Agency Sdn Bhd",
        "agent",
        "海外",
        "C",
        "Asia/Kuala_Lumpur",
    ),
    (
        "EC-001",
        "云购优选电商平台",
        "ecommerce",
        "全国",
        "A",
        "Asia/Shanghai",
    ),
    (
        "EC-002",
        "鲸选网上商城",
        "ecommerce",
        "全国",
        "A",
        "Asia/Shanghai",
    ),
    (
        "EC-003",
        "快拼团购平台",
        "ecommerce",
        "全国",
        "B",
        "Asia/Shanghai",
    ),
    (
        "EC-004",
        "抖趣直播电商",
        "ecommerce",
        "全国",
        "B",
        "Asia/Shanghai",
    ),
    (
        "EC-005",
        "BlueCart Marketplace",
        "ecommerce",
        "海外",
        "B",
        "Asia/Singapore",
    ),
    (
        "EC-006",
        "小红书买手店联盟",
        "ecommerce",
        "全国",
        "C",
        "Asia/Shanghai",
    ),
    (
        "EC-007",
        "跨境优品海外购",
        "ecommerce",
        "海外",
        "C",
        "Asia/Shanghai",
    ),
    (
        "EC-008",
        "社区鲜生团购",
        "ecommerce",
        "华东",
        "C",
        "Asia/Shanghai",
    ),
    (
        "ST-001",
        "上海南京路旗舰店",
        "store",
        "华东",
        "A",
        "Asia/Shanghai",
    ),
    (
        "ST-002",
        "北京三里屯体验店",
        "store",
        "华北",
        "A",
        "Asia/Shanghai",
    ),
    (
        "ST-003",
        "广州天河城专卖店",
        "store",
        "华南",
        "B",
        "Asia/Shanghai",
    ),
    (
        "ST-004",
        "成都春熙路门店",
        "store",
        "西南",
        "B",
        "Asia/Shanghai",
    ),
    (
        "ST-005",
        "杭州湖滨银泰专柜",
        "store",
        "华东",
        "B",
        "Asia/Shanghai",
    ),
    (
        "ST-006",
        "武汉江汉路门店",
        "store",
        "华中",
        "C",
        "Asia/Shanghai",
    ),
    (
        "ST-007",
        "西安钟楼门店",
        "store",
        "西北",
        "C",
        "Asia/Shanghai",
    ),
    (
        "ST-008",
        "哈尔滨中央大街门店",
        "store",
        "东北",
        "C",
        "Asia/Shanghai",
    ),
    (
        "ST-009",
        "Causeway Bay Concept Store",
        "store",
        "港澳台",
        "B",
        "Asia/Hong_Kong",
    ),
    (
        "ST-010",
        "苏州观前街门店",
        "store",
        "华东",
        "C",
        "Asia/Shanghai",
    ),
    (
        "ST-011",
        "南宁万象城专柜",
        "store",
        "华南",
        "C",
        "Asia/Shanghai",
    ),
    (
        "ST-012",
        "兰州西关门店",
        "store",
        "西北",
        "C",
        "Asia/Shanghai",
    ),
    (
        "OT-001",
        "华南高校采购联盟",
        "other",
        "华南",
        "B",
        "Asia/Shanghai",
    ),
    (
        "OT-002",
        "长三角企业集采服务中心",
        "other",
        "华东",
        "B",
        "Asia/Shanghai",
    ),
    (
        "OT-003",
        "Pacific Corporate Gifts Ltd",
        "other",
        "海外",
        "C",
        "Asia/Tokyo",
    ),
    (
        "OT-004",
        "西部行业展会服务公司",
        "other",
        "西南",
        "C",
        "Asia/Shanghai",
    ),
    (
        "OT-005",
        "东北政企客户服务中心",
        "other",
        "东北",
        "C",
        "Asia/Shanghai",
    ),
    (
        "OT-006",
        "Nordic Design Partners AB",
        "other",
        "海外",
        "C",
        "Europe/Stockholm",
    ),
];

const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰", "涛", "明", "超", "霞", "平", "刚",
];
const FAMILY: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const TITLES: &[&str] = &[
    "总经理",
    "采购经理",
    "市场总监",
    "运营主管",
    "财务经理",
    "店长",
];
const EN_NAMES: &[&str] = &[
    "Alice Wong",
    "Ben Tan",
    "Chloe Lim",
    "David Ng",
    "Emma Lee",
    "Frank Ho",
];

fn contact_for(seed: usize, slot: usize, code: &str, english: bool) -> Result<NewContact> {
    let name = if english {
        EN_NAMES[(seed + slot) % EN_NAMES.len()].to_string()
    } else {
        format!(
            "{}{}",
            FAMILY[(seed * 7 + slot * 3) % FAMILY.len()],
            GIVEN[(seed * 5 + slot) % GIVEN.len()]
        )
    };
    let email = EmailAddress::parse(&format!(
        "contact{}@{}.example",
        slot + 1,
        code.to_lowercase()
    ))
    .map_err(|m| DbError::Config(m.to_string()))?;
    Ok(NewContact {
        name,
        email: Some(email),
        phone: Some(format!(
            "+86 138 {:04} {:04}",
            seed % 10000,
            (seed * 31 + slot) % 10000
        )),
        title: Some(if english {
            "Manager".to_string()
        } else {
            TITLES[(seed + slot) % TITLES.len()].to_string()
        }),
        im_webhook: None,
        preferred_channels: if slot == 0 {
            vec![Channel::Portal, Channel::Email]
        } else {
            vec![Channel::Portal, Channel::Email, Channel::Wecom]
        },
        lang: if english {
            Lang::En
        } else if code.starts_with("TP") {
            Lang::ZhTw
        } else {
            Lang::ZhCn
        },
    })
}

#[allow(clippy::too_many_arguments)]
fn partner(
    code: &str,
    name: &str,
    kind: &str,
    region: &str,
    tier: &str,
    tz: &str,
    owner: Option<&str>,
    tags: Vec<String>,
) -> Result<NewPartner> {
    let bad = |m: liaison_core::validate::Msg| DbError::Config(m.to_string());
    Ok(NewPartner {
        code: PartnerCode::parse(code).map_err(bad)?,
        name: name.to_string(),
        kind: PartnerKind::parse(kind).map_err(bad)?,
        region: region.to_string(),
        tier: tier.to_string(),
        status: PartnerStatus::Active,
        owner: owner.map(str::to_string),
        timezone: tz.to_string(),
        working_hours: WorkingHours::default(),
        tags,
        notes: None,
    })
}

/// What a demo load did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub base_loaded: bool,
    pub partners_generated: usize,
    pub contacts_generated: usize,
}

/// The id of the user with `email` (the demo has a handful of users: a list is cheap).
async fn user_id(db: &Db, email: &str) -> Result<Option<Uuid>> {
    Ok(liaison_db::user::list_users(db)
        .await?
        .into_iter()
        .find(|u| u.email == email)
        .map(|u| u.id))
}

/// Loads the demo company unless it is there already, then generates `extra` load-test
/// partners with two contacts each, calling `progress` with the number done so far.
pub async fn load(db: &Db, extra: usize, progress: &(dyn Fn(u64) + Sync)) -> Result<DemoReport> {
    let mut report = DemoReport::default();
    if user_id(db, "admin@demo.example").await?.is_none() {
        load_base(db).await?;
        report.base_loaded = true;
    }
    // The product story (issue 11) joins demo databases loaded before it existed.
    products::load_products(db).await?;
    // Ticket routing (issue 12) joins demo databases loaded before it existed.
    load_ticket_routes(db).await?;
    // Business data (issue 13) joins demo databases loaded before it existed.
    if let Some(admin) = liaison_db::user::find_user_by_email(db, "admin@demo.example").await? {
        data::load_data(db, &admin.actor()).await?;
    }
    if extra > 0 {
        let (p, c) = generate(db, extra, progress).await?;
        report.partners_generated = p;
        report.contacts_generated = c;
    }
    // The evaluation's daily aggregates (issue 16) over what is there.
    liaison_app::kpi::rebuild(db, None).await?;
    Ok(report)
}

/// §3.4.2: the demo's routing rules, unless some are set. Marketing difficulties go to the
/// marketing department (王晓, staff@), product quality to R&D (rd@), customer complaints to
/// channel management; the rest to the partner's channel manager.
async fn load_ticket_routes(db: &Db) -> Result<()> {
    if !liaison_db::tickets::list_routes(db).await?.is_empty() {
        return Ok(());
    }
    let depts = liaison_db::user::list_departments(db).await?;
    let dept = |code: &str| depts.iter().find(|d| d.code == code).map(|d| d.id);
    let mut rules = Vec::new();
    for (i, (kind, code, person)) in [
        ("marketing", "marketing", Some("staff@demo.example")),
        ("product_quality", "rnd", Some("rd@demo.example")),
        ("customer_complaint", "channel", None),
    ]
    .into_iter()
    .enumerate()
    {
        let (Some(d), Ok(k)) = (dept(code), liaison_core::tickets::TicketKind::parse(kind)) else {
            continue;
        };
        let assignee = match person {
            Some(email) => user_id(db, email).await?,
            None => None,
        };
        rules.push(liaison_core::tickets::Route {
            id: Uuid::now_v7(),
            position: i as i64 + 1,
            kind: Some(k),
            product_category: None,
            region: None,
            department_id: d,
            assignee_id: assignee,
        });
    }
    if let Some(admin) = user_id(db, "admin@demo.example").await? {
        liaison_db::tickets::replace_routes(db, admin, &rules).await?;
    }
    Ok(())
}

async fn load_base(db: &Db) -> Result<()> {
    let mut depts = Vec::new();
    for (code, name, en) in DEPARTMENTS {
        depts.push(insert_department(db, None, code, name, Some(en), None).await?);
    }
    let channel = user_id_or_create(db, USERS[1]).await?;
    let channel2 = user_id_or_create(db, USERS[2]).await?;

    let now = db.now();
    let mut partners = Vec::new();
    for (i, (code, name, kind, region, tier, tz)) in PARTNERS.iter().enumerate() {
        let owner = if i % 3 == 2 { channel2 } else { channel };
        let mut tags = Vec::new();
        if *tier == "A" {
            tags.push("重点客户".to_string());
        }
        if i % 4 == 0 {
            tags.push("2026新品首发".to_string());
        }
        partners.push((
            Uuid::now_v7(),
            partner(code, name, kind, region, tier, tz, None, tags)?,
            Some(owner),
        ));
    }
    let mut contacts = Vec::new();
    for (i, (id, p, _)) in partners.iter().enumerate() {
        let english = p.name.is_ascii();
        for slot in 0..(1 + i % 3) {
            contacts.push((
                Uuid::now_v7(),
                *id,
                contact_for(i, slot, p.code.as_str(), english)?,
            ));
        }
    }
    let mut tx = db.begin().await?;
    let rows: Vec<(Uuid, &NewPartner, Option<Uuid>)> =
        partners.iter().map(|(id, p, o)| (*id, p, *o)).collect();
    insert_partner_rows(&mut tx, now, &rows, false).await?;
    let crow: Vec<(Uuid, Uuid, &NewContact)> =
        contacts.iter().map(|(id, p, c)| (*id, *p, c)).collect();
    insert_contact_rows(&mut tx, now, &crow).await?;
    // Each demo partner's history starts with its creation, like a partner made by hand.
    let mut entries: Vec<Entry> = partners
        .iter()
        .map(|(id, p, _)| Entry {
            actor_id: None,
            action: "partner.create",
            entity: "partner",
            entity_id: Some(*id),
            partner_id: Some(*id),
            detail: json!({"code": p.code.as_str(), "name": p.name, "source": "demo"}),
        })
        .collect();
    entries.push(Entry {
        actor_id: None,
        action: "demo.load",
        entity: "demo",
        entity_id: None,
        partner_id: None,
        detail: json!({"partners": partners.len(), "contacts": contacts.len()}),
    });
    audit::append_many(&mut tx, now, entries).await?;
    tx.commit().await?;

    for u in USERS {
        user_id_or_create(db, *u).await?;
    }
    // p1 is also its partner's admin (SPEC H2): it manages 恒通商贸's API tokens.
    for (email, partner_code, name, roles) in [
        (
            "p1@demo.example",
            "SH-D001",
            "刘洋 Liu Yang (恒通商贸)",
            "partner_user,partner_admin",
        ),
        (
            "p2@demo.example",
            "BJ-D002",
            "张静 Zhang Jing (京联贸易)",
            "partner_user",
        ),
    ] {
        insert_user(
            db,
            None,
            &UserInput {
                email: email.into(),
                name: name.into(),
                password: DEMO_PASSWORD.into(),
                roles: vec![roles.into()],
                partner: Some(partner_code.into()),
                ..Default::default()
            },
        )
        .await?;
    }
    let dept_id = |code: &str| depts.iter().find(|d| d.code == code).map(|d| d.id);
    for (dept, head) in [
        ("marketing", "head@demo.example"),
        ("channel", "channel@demo.example"),
        ("sales", "sales-head@demo.example"),
    ] {
        if let (Some(d), Some(h)) = (dept_id(dept), user_id(db, head).await?) {
            set_department_head(db, None, d, h).await?;
        }
    }
    let admin = user_id(db, "admin@demo.example")
        .await?
        .ok_or(DbError::NotFound)?;
    // Portal logins are people (issue 9): p1 is 刘洋, a contact of 恒通商贸 who confirms
    // and asks, credited by name on the receipts board.
    if let (Some(p1), Some(sh)) = (
        user_id(db, "p1@demo.example").await?,
        liaison_db::partner::resolve_partner_ref(db, "SH-D001").await?,
    ) {
        let liu = liaison_db::partner::insert_contact(
            db,
            admin,
            sh,
            &NewContact {
                name: "刘洋".into(),
                email: Some(
                    EmailAddress::parse("p1@demo.example")
                        .map_err(|e| DbError::Config(e.to_string()))?,
                ),
                phone: Some("+86 139 1601 0001".into()),
                title: Some("采购经理".into()),
                im_webhook: None,
                preferred_channels: vec![Channel::Portal, Channel::Email],
                lang: Lang::ZhCn,
            },
        )
        .await?;
        liaison_db::user::set_contact(db, Some(admin), p1, Some(liu.id), sh).await?;
    }
    for (name, desc, filter) in [
        (
            "华东经销商 East China distributors",
            "华东区域全部经销商",
            PartnerFilter {
                kinds: vec![PartnerKind::Distributor],
                regions: vec!["华东".into()],
                ..Default::default()
            },
        ),
        (
            "A 级伙伴 Tier A",
            "所有 A 级渠道伙伴",
            PartnerFilter {
                tiers: vec!["A".into()],
                ..Default::default()
            },
        ),
        (
            "电商平台 E-commerce",
            "全部电商平台",
            PartnerFilter {
                kinds: vec![PartnerKind::Ecommerce],
                ..Default::default()
            },
        ),
        (
            "新品首发 Launch partners",
            "参与 2026 新品首发的伙伴",
            PartnerFilter {
                tags: vec!["2026新品首发".into()],
                ..Default::default()
            },
        ),
    ] {
        liaison_db::segment::insert_segment(
            db,
            admin,
            &liaison_db::segment::SegmentInput {
                name: Some(name.into()),
                description: Some(desc.into()),
                filter: Some(filter),
            },
        )
        .await?;
    }
    Ok(())
}

async fn user_id_or_create(
    db: &Db,
    (email, name, roles, dept): (&str, &str, &str, &str),
) -> Result<Uuid> {
    if let Some(id) = user_id(db, email).await? {
        return Ok(id);
    }
    let u = insert_user(
        db,
        None,
        &UserInput {
            email: email.into(),
            name: name.into(),
            password: DEMO_PASSWORD.into(),
            roles: vec![roles.into()],
            department: (!dept.is_empty()).then(|| dept.to_string()),
            ..Default::default()
        },
    )
    .await?;
    Ok(u.id)
}

const REGIONS: &[&str] = &["华东", "华北", "华南", "华中", "西南", "西北", "东北"];
const KINDS: &[&str] = &["distributor", "agent", "ecommerce", "store", "other"];
const CITIES: &[&str] = &[
    "苏州",
    "宁波",
    "佛山",
    "东莞",
    "合肥",
    "郑州",
    "济南",
    "福州",
    "南昌",
    "贵阳",
    "太原",
    "石家庄",
];

async fn generate(db: &Db, n: usize, progress: &(dyn Fn(u64) + Sync)) -> Result<(usize, usize)> {
    let start: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM partners WHERE code LIKE 'GEN-%'"))
        .await?;
    let owner = user_id(db, "channel@demo.example").await?;
    const BATCH: usize = 5000;
    let mut done = 0usize;
    while done < n {
        let size = BATCH.min(n - done);
        let mut partners = Vec::with_capacity(size);
        let mut contacts = Vec::with_capacity(size * 2);
        for k in 0..size {
            let seq = start as usize + done + k + 1;
            let code = format!("GEN-{seq:07}");
            let name = format!("{}{}号渠道伙伴", CITIES[seq % CITIES.len()], seq);
            let p = partner(
                &code,
                &name,
                KINDS[seq % KINDS.len()],
                REGIONS[seq % REGIONS.len()],
                ["A", "B", "C"][seq % 3],
                "Asia/Shanghai",
                None,
                Vec::new(),
            )?;
            let id = Uuid::now_v7();
            for slot in 0..2 {
                contacts.push((Uuid::now_v7(), id, contact_for(seq, slot, &code, false)?));
            }
            partners.push((id, p, owner));
        }
        let now = db.now();
        let mut tx = db.begin().await?;
        let rows: Vec<(Uuid, &NewPartner, Option<Uuid>)> =
            partners.iter().map(|(id, p, o)| (*id, p, *o)).collect();
        insert_partner_rows(&mut tx, now, &rows, false).await?;
        let crow: Vec<(Uuid, Uuid, &NewContact)> =
            contacts.iter().map(|(id, p, c)| (*id, *p, c)).collect();
        insert_contact_rows(&mut tx, now, &crow).await?;
        audit::append(
            &mut tx,
            now,
            Entry {
                actor_id: None,
                action: "demo.generate",
                entity: "demo",
                entity_id: None,
                partner_id: None,
                detail: json!({"partners": size, "contacts": size * 2, "first": partners.first().map(|p| p.1.code.as_str())}),
            },
        )
        .await?;
        tx.commit().await?;
        done += size;
        progress(done as u64);
    }
    Ok((n, n * 2))
}

/// For benchmarks and process tests: a notice from staff@demo.example to every active partner
/// on `channels`, approved by the head and channel management (the real review chain and
/// dispatch). Returns the message id.
pub async fn notify_everyone(db: &Db, channels: &[&str], urgent: bool) -> crate::Result<Uuid> {
    use liaison_core::request::{Audience, RequestInput};
    use liaison_core::review::Decision;
    let actor = |email: &'static str| async move {
        liaison_db::user::list_users(db)
            .await?
            .into_iter()
            .find(|u| u.email == email)
            .map(|u| u.actor())
            .ok_or_else(|| {
                crate::Error::Internal(format!("{email} is missing: load the demo first"))
            })
    };
    let staff = actor("staff@demo.example").await?;
    let head = actor("head@demo.example").await?;
    let channel = actor("channel@demo.example").await?;
    let segment = liaison_db::segment::insert_segment(
        db,
        channel.user_id,
        &liaison_db::segment::SegmentInput {
            name: Some(format!("every active partner {}", Uuid::now_v7())),
            description: None,
            filter: Some(liaison_core::partner::PartnerFilter {
                statuses: vec![liaison_core::partner::PartnerStatus::Active],
                ..Default::default()
            }),
        },
    )
    .await?;
    let r = liaison_db::request::insert_request(
        db,
        &staff,
        &RequestInput {
            title: Some("致全体渠道伙伴的通知".into()),
            purpose: Some("benchmark".into()),
            body: Some("测试正文".into()),
            channels: Some(channels.iter().map(|c| c.to_string()).collect()),
            urgency: Some(if urgent { "urgent" } else { "normal" }.into()),
            audience: Some(Audience {
                segments: vec![segment.id],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await?;
    liaison_app::request::submit(db, &staff, r.id.into()).await?;
    liaison_app::request::decide(db, &head, r.id.into(), Decision::Approve, "").await?;
    let done =
        liaison_app::request::decide(db, &channel, r.id.into(), Decision::Approve, "").await?;
    done.message_id
        .ok_or_else(|| crate::Error::Internal("the notice was not dispatched".into()))
}
