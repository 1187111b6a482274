//! The problem tickets' story (issue 12; policy §3.4): sixty tickets over the three months,
//! raised by p1 and p2 in the portal and by channel management from partners' phone calls, in
//! every state, kind and priority; answered late now and then (breaches), waiting on partners,
//! merged and reopened, rated, and one product's defect coming back (a recurrence, §3.4.3).
//!
//! All tickets are raised first, oldest first, then every later step runs in the order of its
//! moment, so ids and timestamps agree (see the module above). The clocks' sweep runs on the
//! history clock before each step: warnings, breaches and the auto-close land when they would
//! have.

use super::History;
use crate::Result;
use chrono::{DateTime, Duration, Utc};
use liaison_app::tickets::{
    self as app, RateInput, ReopenInput, ReplyInput, ResolveInput, TicketInput,
};
use liaison_core::Actor;
use liaison_core::tickets::TicketVia;
use liaison_db::tickets::NewFile;
use uuid::Uuid;

/// Who raised a ticket and who answers it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    P1,
    P2,
    /// Channel management, from a partner's phone call.
    Phone(&'static str),
}

/// One ticket of the story: raised at, by whom, kind, priority, product, its later steps.
type Planned = (
    DateTime<Utc>,
    Side,
    &'static str,
    &'static str,
    usize,
    Vec<(DateTime<Utc>, Step)>,
);

enum Step {
    Answer { wait: bool, note: bool },
    PartnerAnswer,
    Resolve { cause: &'static str },
    Rate { score: i64 },
    Reopen,
    Merge { into: usize },
}

const KINDS: [&str; 6] = [
    "product_quality",
    "marketing",
    "customer_complaint",
    "product_quality",
    "other",
    "marketing",
];
const PRODUCTS: [&str; 6] = [
    "LX-VF220", "LX-SM150", "LX-PC20", "LX-SM100", "LX-VF075", "LX-PC10",
];
const CAUSES: [&str; 7] = [
    "documentation",
    "logistics",
    "training",
    "pricing",
    "partner_process",
    "other",
    "product_defect",
];
const PHONE: [&str; 9] = [
    "GZ-D003", "CD-D004", "WH-D005", "HZ-D008", "NJ-D009", "SZ-A001", "EC-001", "ST-001", "ST-010",
];

fn text(kind: &str, i: usize, product: &str) -> (String, String) {
    match kind {
        "product_quality" => (
            format!("{product} 批次运行异常（第 {} 批）", 20 + i),
            format!(
                "客户现场反馈 {product} 在连续运行约 {} 小时后报过热故障，已更换散热风扇仍复现。\n\n- 出货批次：2026-{:02}\n- 涉及台数：{} 台\n\n请协助分析原因，客户要求本周内给出结论。",
                6 + i % 9,
                1 + i % 12,
                2 + i % 7
            ),
        ),
        "marketing" => (
            format!("区域推广活动物料不足（{}）", ["展会", "门店", "线上直播", "技术研讨会"][i % 4]),
            "本月推广活动需要的样机和彩页缺口较大，经销商自行印制的资料与最新参数不一致。希望市场部统一提供物料，并说明费用如何申请。".to_string(),
        ),
        "customer_complaint" => (
            format!("终端客户投诉：{product} 交付延迟"),
            format!(
                "客户于 {} 天前下单，承诺交期已过仍未到货，客户威胁取消订单并在平台上差评。请尽快确认物流状态和补偿方案。",
                10 + i % 15
            ),
        ),
        _ => (
            format!("返利对账差异（{} 月）", 1 + i % 12),
            "系统显示的季度返利金额与我方对账结果相差约 2.3 万元，请财务协助核对明细。".to_string(),
        ),
    }
}

impl History {
    /// §3.4: sixty tickets over the last 90 days (see the module comment).
    pub(super) async fn tickets(&mut self) -> Result<()> {
        let (staff, channel) = (self.staff.clone(), self.channel.clone());
        let rd = liaison_db::user::list_users(&self.db)
            .await?
            .into_iter()
            .find(|u| u.email == "rd@demo.example")
            .map(|u| u.actor())
            .unwrap_or_else(|| channel.clone());
        let mut products = Vec::new();
        for code in PRODUCTS {
            products.push(
                liaison_db::product::find_product_by_code(&self.db, code)
                    .await?
                    .map(|p| p.id),
            );
        }
        let mut plan: Vec<Planned> = Vec::new();
        for i in 0..60usize {
            let days = 88 - (i as i64 * 88 / 60);
            // The last one came in three hours ago and is still new (answered late, two days
            // on), whatever the time of day the demo is loaded.
            let created = if i == 59 {
                self.ago(180)
            } else {
                self.day(days, 9 + (i % 8) as u32, ((i * 7) % 60) as u32)
            };
            // Tickets 14 and 44 repeat the one before (the same partner called twice): merged.
            let duplicate = matches!(i, 14 | 44);
            let twin = if duplicate { i - 1 } else { i };
            let side = match twin % 5 {
                0 => Side::P1,
                1 => Side::P2,
                _ => Side::Phone(PHONE[twin % PHONE.len()]),
            };
            let kind = KINDS[twin % KINDS.len()];
            let priority = if i % 10 == 0 {
                "urgent"
            } else if i % 4 == 1 {
                "high"
            } else if i % 7 == 3 {
                "low"
            } else {
                "normal"
            };
            // VF220's overheating keeps coming back: a recurrence of a product defect.
            let recurring = matches!(i, 3 | 15 | 27 | 45);
            let product = if recurring { 0 } else { twin % PRODUCTS.len() };
            let h = |x: i64| created + Duration::hours(x);
            let partner_side = matches!(side, Side::P1 | Side::P2);
            // One in six is first answered two days late: a breach.
            let first = if i % 6 == 5 { h(50) } else { h(2) };
            let mut steps = vec![(
                first,
                Step::Answer {
                    wait: i % 4 == 2,
                    note: i % 3 == 0,
                },
            )];
            // Recent phone tickets still wait for the partner's answer.
            if i % 4 == 2 && (partner_side || days > 12) {
                steps.push((
                    h(26),
                    if partner_side {
                        Step::PartnerAnswer
                    } else {
                        Step::Answer {
                            wait: false,
                            note: false,
                        }
                    },
                ));
            }
            let cause = if recurring {
                "product_defect"
            } else {
                CAUSES[i % CAUSES.len()]
            };
            match i {
                _ if duplicate => steps.push((h(5), Step::Merge { into: twin })),
                _ if days > 12 || i % 3 == 0 => {
                    steps.push((h(48 + (i % 5) as i64 * 20), Step::Resolve { cause }));
                    if partner_side {
                        let resolved = h(48 + (i % 5) as i64 * 20);
                        if matches!(i, 10 | 31) {
                            steps.push((resolved + Duration::hours(20), Step::Reopen));
                            steps.push((
                                resolved + Duration::hours(70),
                                Step::Resolve {
                                    cause: "product_defect",
                                },
                            ));
                        } else if i % 7 != 6 {
                            steps.push((
                                resolved + Duration::hours(18),
                                Step::Rate {
                                    score: [5, 4, 5, 3, 4, 2, 5][i % 7],
                                },
                            ));
                        }
                    }
                }
                _ => {}
            }
            plan.push((created, side, kind, priority, product, steps));
        }
        // Raise them, oldest first.
        let mut ids: Vec<Option<Uuid>> = Vec::new();
        let mut later: Vec<(DateTime<Utc>, usize, Step)> = Vec::new();
        for (i, (created, side, kind, priority, product, steps)) in plan.into_iter().enumerate() {
            if created >= self.now {
                ids.push(None);
                continue;
            }
            self.sweep(created).await?;
            let code = PRODUCTS[product];
            let (subject, description) =
                text(kind, if matches!(i, 14 | 44) { i - 1 } else { i }, code);
            let (actor, partner, via) = match side {
                Side::P1 => (self.p1.actor.clone(), None, TicketVia::Portal),
                Side::P2 => (self.p2.actor.clone(), None, TicketVia::Portal),
                Side::Phone(c) => (
                    channel.clone(),
                    self.partners.get(c).copied(),
                    TicketVia::Phone,
                ),
            };
            // p2 (North China) does not see the East-China-only products; none here are.
            let with_product = matches!(kind, "product_quality" | "customer_complaint");
            let input = TicketInput {
                kind: Some(kind.into()),
                priority: Some(priority.into()),
                subject: Some(subject),
                description: Some(description),
                product_id: if with_product {
                    products[product]
                } else {
                    None
                },
                product_text: None,
                partner_id: partner,
                classification: None,
                via: matches!(side, Side::Phone(_)).then(|| "phone".to_string()),
            };
            let files = if i == 0 {
                vec![NewFile {
                    filename: "现场照片.png".into(),
                    bytes: PNG.to_vec(),
                }]
            } else {
                Vec::new()
            };
            let t = app::create(&self.db, &actor, &input, files, via).await?;
            ids.push(Some(t.id));
            for (at, s) in steps {
                later.push((at, i, s));
            }
        }
        later.sort_by_key(|(at, i, _)| (*at, *i));
        let answerer = |kind: &str| -> Actor {
            match kind {
                "marketing" => staff.clone(),
                "product_quality" => rd.clone(),
                _ => channel.clone(),
            }
        };
        for (at, i, step) in later {
            if at >= self.now - Duration::minutes(2) {
                continue;
            }
            let Some(id) = ids.get(i).copied().flatten() else {
                continue;
            };
            self.sweep(at).await?;
            let t = liaison_db::tickets::find_ticket(&self.db, id).await?;
            let kind = t.kind.as_str();
            let side = if t.partner_id == self.p1.partner {
                Some(self.p1.actor.clone())
            } else if t.partner_id == self.p2.partner {
                Some(self.p2.actor.clone())
            } else {
                None
            };
            let result = match step {
                Step::Answer { wait, note } => {
                    if note {
                        app::reply(
                            &self.db,
                            &answerer(kind),
                            id,
                            &ReplyInput {
                                body: Some("已联系仓库核实批次记录，等待质检报告。".into()),
                                internal: true,
                                waiting_partner: false,
                            },
                            Vec::new(),
                            TicketVia::Console,
                        )
                        .await?;
                    }
                    let body = if wait {
                        "收到，感谢反馈。请补充设备铭牌照片和故障时的报警代码，便于我们判断原因。"
                    } else {
                        "您好，问题已收到，我们已安排专人跟进，今天内给您初步答复。"
                    };
                    app::reply(
                        &self.db,
                        &answerer(kind),
                        id,
                        &ReplyInput {
                            body: Some(body.into()),
                            internal: false,
                            waiting_partner: wait,
                        },
                        Vec::new(),
                        TicketVia::Console,
                    )
                    .await
                }
                Step::PartnerAnswer => match side {
                    Some(p) => {
                        app::reply(
                            &self.db,
                            &p,
                            id,
                            &ReplyInput {
                                body: Some("铭牌照片和报警代码 E.OH1 已补充，请查收。".into()),
                                ..Default::default()
                            },
                            Vec::new(),
                            TicketVia::Portal,
                        )
                        .await
                    }
                    None => continue,
                },
                Step::Resolve { cause } => {
                    app::resolve(
                        &self.db,
                        &answerer(kind),
                        id,
                        &ResolveInput {
                            resolution: Some(
                                "原因已查明并处理：已更换受影响部件并补发说明资料，后续批次已在出厂检验中增加该项测试。"
                                    .into(),
                            ),
                            root_cause: Some(cause.into()),
                        },
                    )
                    .await
                }
                Step::Rate { score } => match side {
                    Some(p) => {
                        app::rate(
                            &self.db,
                            &p,
                            id,
                            &RateInput {
                                score: Some(score),
                                comment: (score >= 4)
                                    .then(|| "处理及时，感谢！".to_string())
                                    .or_else(|| Some("解决了，但等得太久。".to_string())),
                            },
                        )
                        .await
                    }
                    None => continue,
                },
                Step::Reopen => match side {
                    Some(p) => {
                        app::reopen(
                            &self.db,
                            &p,
                            id,
                            &ReopenInput {
                                reason: Some("更换后一周内再次出现同样故障。".into()),
                            },
                        )
                        .await
                    }
                    None => continue,
                },
                Step::Merge { into } => {
                    let Some(target) = ids.get(into).copied().flatten() else {
                        continue;
                    };
                    app::merge(
                        &self.db,
                        &channel,
                        id,
                        &app::MergeInput { into: Some(target) },
                    )
                    .await
                }
            };
            // A step the story planned may meet a ticket already moved on (a merge target
            // closed): the story skips it rather than stop the demo.
            match result {
                Ok(_) | Err(liaison_app::Error::Invalid(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.sweep(self.now - Duration::minutes(1)).await?;
        Ok(())
    }

    async fn sweep(&self, at: DateTime<Utc>) -> Result<()> {
        self.at(at);
        app::sweep(&self.db).await?;
        Ok(())
    }
}

/// A 1×1 PNG: the photo on the first ticket.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
