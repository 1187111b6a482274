//! The site-visit and call story (issue 14; policy §2.2.2, §2.2.3): over the last months the
//! channel managers visited their partners on each tier's rhythm (A monthly, B quarterly, C
//! twice a year) and reported what they found, the internal problems and action items (some
//! still open for p1's contacts at 上海恒通); 广州南粤 (GZ-D003, tier A) was last visited two
//! and a half months ago and is overdue; every tier-A partner has its next visit planned. Thirty
//! calls over three months, some inbound, with follow-ups; one inbound call from 上海恒通
//! raised a ticket on its behalf.
//!
//! It runs on its own clock, in time order, and once (its own audit marker), so demo databases
//! written before it existed get it too.

use crate::{DbError, Result};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use liaison_app::offline::{
    self as app, CallInput, CallTicket, ReportInput, TaskInput, VisitInput, VisitPatch,
};
use liaison_core::{Actor, Clock, FixedClock};
use liaison_db::audit::{self, Entry};
use liaison_db::{Db, q};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

const MARKER: &str = "demo.offline_history";
/// The tier-A partner left overdue a visit.
const OVERDUE: &str = "GZ-D003";

const FINDINGS: &[&str] = &[
    "门店陈列整齐，主推伺服电机 LX-SM150 摆在显眼位置；销售团队对新品参数熟悉。",
    "仓库管理规范，库存周转约 45 天；变频器 LX-VF075 备货充足。",
    "与采购经理交流了下季度的备货计划，对方希望提前拿到促销政策。",
    "技术服务团队新增两名工程师，已完成产品培训第一阶段。",
];
const PROBLEMS: &[&str] = &[
    "回款周期比合同约定长约 15 天，需要财务跟进。",
    "竞品在当地降价约 8%，对方有压价意向。",
    "",
    "售后响应偶有延迟，客户投诉两起。",
];
const ACTIONS: &[&str] = &[
    "寄送下季度促销政策草案",
    "安排技术培训第二阶段",
    "补充样品与陈列物料",
    "提交月度库存明细",
];
const CALLS: &[&str] = &[
    "确认新品到货时间，告知预计下周三发货。",
    "询问返利核对进度，已转财务处理。",
    "提醒提交上月销售数据。",
    "沟通展会参展安排与展位物料。",
    "客户询问 LX-PC20 与旧型号的兼容性，已解答。",
    "确认培训名单与时间。",
];

enum Step {
    Plan {
        partner: Uuid,
        visitor: Uuid,
        on: NaiveDate,
        key: usize,
    },
    Report {
        key: usize,
        on: NaiveDate,
        contact: Option<Uuid>,
        n: usize,
        open: bool,
    },
    Call {
        partner: Uuid,
        user: Uuid,
        contact: Option<Uuid>,
        n: usize,
        ticket: bool,
    },
}

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap_or_default())
        .single()
        .map_or_else(
            || day.and_hms_opt(hour, 0, 0).unwrap_or_default().and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

fn bad(e: liaison_app::Error) -> DbError {
    DbError::Config(format!("demo visits and calls: {e}"))
}

/// Writes the story once; returns whether it wrote it.
pub async fn write(db: &Db) -> Result<bool> {
    let done: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(MARKER))
        .await?;
    if done > 0 {
        return Ok(false);
    }
    let users = liaison_db::user::list_users(db).await?;
    let actors: HashMap<Uuid, Actor> = users.iter().map(|u| (u.id, u.actor())).collect();
    let Some(channel) = users
        .iter()
        .find(|u| u.email == "channel@demo.example")
        .map(|u| u.id)
    else {
        return Ok(false);
    };
    let now = db.now();
    let today = now.with_timezone(&Shanghai).date_naive();
    let partners = liaison_db::offline::last_visits(db, None).await?;
    let mut steps: Vec<(DateTime<Utc>, Step)> = Vec::new();
    let mut key = 0;
    for (i, p) in partners.iter().enumerate() {
        let visitor = p.owner_id.unwrap_or(channel);
        let contact =
            liaison_db::partner::list_contacts(db, liaison_core::Scope::All, p.partner_id)
                .await?
                .first()
                .map(|c| c.id);
        let ago: Vec<i64> = match (p.tier.as_str(), p.partner_code.as_str()) {
            (_, OVERDUE) => vec![130, 75],
            ("A", _) => vec![88, 58, 27 - (i as i64 % 5)],
            ("B", _) => vec![70 - (i as i64 % 20)],
            _ => vec![100 - (i as i64 % 30)],
        };
        for (j, d) in ago.iter().enumerate() {
            let on = today - Duration::days(*d);
            steps.push((
                at(on - Duration::days(10), 10),
                Step::Plan {
                    partner: p.partner_id,
                    visitor,
                    on,
                    key,
                },
            ));
            steps.push((
                at(on, 18),
                Step::Report {
                    key,
                    on,
                    contact,
                    n: i + j,
                    open: j + 1 == ago.len(),
                },
            ));
            key += 1;
        }
        if p.tier == "A" {
            let on = today + Duration::days(3 + i as i64 % 10);
            steps.push((
                at(today - Duration::days(2), 9),
                Step::Plan {
                    partner: p.partner_id,
                    visitor,
                    on,
                    key,
                },
            ));
            key += 1;
        }
    }
    // Thirty calls over three months, mostly with the two partners of p1 and p2.
    let heavy: Vec<&liaison_db::offline::PartnerVisits> = partners
        .iter()
        .filter(|p| p.partner_code == "SH-D001" || p.partner_code == "BJ-D002")
        .collect();
    for n in 0..30usize {
        // The call that raised a ticket came from 上海恒通 (p1's partner).
        let sh = heavy.iter().find(|p| p.partner_code == "SH-D001").copied();
        let p = match (n, sh) {
            (20, Some(sh)) => sh,
            _ if n % 3 == 2 => &partners[n % partners.len()],
            _ => heavy.get(n % 2).copied().unwrap_or(&partners[0]),
        };
        let contact =
            liaison_db::partner::list_contacts(db, liaison_core::Scope::All, p.partner_id)
                .await?
                .first()
                .map(|c| c.id);
        let day = today - Duration::days(90 - 3 * n as i64);
        steps.push((
            at(day, 10 + (n % 7) as u32),
            Step::Call {
                partner: p.partner_id,
                user: p.owner_id.unwrap_or(channel),
                contact,
                n,
                ticket: n == 20 && p.partner_code == "SH-D001",
            },
        ));
    }
    steps.sort_by_key(|(t, _)| *t);
    let clock = Arc::new(FixedClock::new(now - Duration::days(150)));
    let hdb = db.with_clock(clock.clone());
    let mut visits: HashMap<usize, Uuid> = HashMap::new();
    let (mut planned, mut reported, mut calls) = (0, 0, 0);
    for (t, step) in steps {
        clock.advance(t - clock.now());
        match step {
            Step::Plan {
                partner,
                visitor,
                on,
                key,
            } => {
                let actor = actors.get(&visitor).unwrap_or(&actors[&channel]);
                let v = app::create_visit(
                    &hdb,
                    actor,
                    &VisitInput {
                        partner_id: Some(partner),
                        planned_on: Some(on.format("%Y-%m-%d").to_string()),
                        purpose: Some(
                            ["季度经营回顾", "新品推广与培训", "库存与回款检查"][key % 3].into(),
                        ),
                        visitor_id: Some(visitor),
                    },
                )
                .await
                .map_err(bad)?;
                visits.insert(key, v.id);
                planned += 1;
            }
            Step::Report {
                key,
                on,
                contact,
                n,
                open,
            } => {
                let Some(id) = visits.get(&key).copied() else {
                    continue;
                };
                let v = liaison_db::offline::find_visit(&hdb, id).await?;
                let actor = actors.get(&v.visitor_id).unwrap_or(&actors[&channel]);
                let due = |d: i64| Some((on + Duration::days(d)).format("%Y-%m-%d").to_string());
                let mut actions = vec![TaskInput {
                    title: Some(ACTIONS[n % ACTIONS.len()].into()),
                    due_on: due(14),
                    ..Default::default()
                }];
                if let Some(c) = contact {
                    actions.push(TaskInput {
                        title: Some(ACTIONS[(n + 1) % ACTIONS.len()].into()),
                        owner_contact_id: Some(c),
                        due_on: due(if open { 30 } else { 10 }),
                        ..Default::default()
                    });
                }
                let patch = VisitPatch {
                    report: Some(ReportInput {
                        visited_on: Some(on.format("%Y-%m-%d").to_string()),
                        findings: Some(FINDINGS[n % FINDINGS.len()].into()),
                        problems: Some(PROBLEMS[n % PROBLEMS.len()].into()),
                        actions,
                    }),
                    ..Default::default()
                };
                app::update_visit(&hdb, actor, id, &patch, Some(v.version))
                    .await
                    .map_err(bad)?;
                // Earlier visits' action items were done; the last visit's stay open.
                if !open {
                    let mut tx = hdb.begin().await?;
                    tx.execute(
                        q("UPDATE tasks SET status = 'done', done_at = $1 WHERE visit_id = $2")
                            .bind(hdb.now() + Duration::days(7))
                            .bind(id),
                    )
                    .await?;
                    tx.commit().await?;
                }
                reported += 1;
            }
            Step::Call {
                partner,
                user,
                contact,
                n,
                ticket,
            } => {
                let actor = actors.get(&user).unwrap_or(&actors[&channel]);
                let input = CallInput {
                    partner_id: Some(partner),
                    contact_id: contact,
                    at: None,
                    direction: Some(
                        if n % 3 == 0 || ticket {
                            "inbound"
                        } else {
                            "outbound"
                        }
                        .into(),
                    ),
                    duration_minutes: Some(3 + (n as i64 * 7) % 25),
                    summary: Some(
                        if ticket {
                            "来电反馈一台 LX-VF220 变频器上电报警 E07，已代为创建工单。"
                        } else {
                            CALLS[n % CALLS.len()]
                        }
                        .into(),
                    ),
                    delivery_id: None,
                    follow_ups: if n % 4 == 1 {
                        vec![TaskInput {
                            title: Some("回电确认处理结果".into()),
                            due_on: Some(
                                (hdb.now().with_timezone(&Shanghai).date_naive()
                                    + Duration::days(5))
                                .format("%Y-%m-%d")
                                .to_string(),
                            ),
                            ..Default::default()
                        }]
                    } else {
                        Vec::new()
                    },
                    ticket: ticket.then(|| CallTicket {
                        kind: Some("product_quality".into()),
                        priority: Some("high".into()),
                        subject: Some("LX-VF220 上电报警 E07".into()),
                        description: Some(
                            "客户来电：一台 LX-VF220 变频器上电即报警 E07，已断电等待处理。".into(),
                        ),
                    }),
                };
                app::create_call(&hdb, actor, &input).await.map_err(bad)?;
                calls += 1;
            }
        }
    }
    audit::record(
        db,
        Entry {
            actor_id: None,
            action: MARKER,
            entity: "demo",
            entity_id: None,
            partner_id: None,
            detail: json!({"planned": planned, "reported": reported, "calls": calls}),
        },
    )
    .await?;
    Ok(true)
}
