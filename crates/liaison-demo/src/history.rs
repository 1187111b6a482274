//! Three months of believable communication for the demo company, so that `p1@demo.example`
//! logs in to a real inbox and every console list has something in it: requests in every state
//! of the review chain (policy §4.1-§4.2), messages read, confirmed, confirmed late and not at
//! all (§4.3-§4.4), questions answered and open (§4.4.2), held and dead deliveries.
//!
//! Everything is written through the public operations, each called in one place below
//! (`History::create`, `submit`, `decide`, `withdraw`, `read`, `ack`, `ask`, `answer`, ...), so
//! that moving them to the service layer moves one line each. The operations stamp their rows
//! with the `Db`'s clock: history runs on `db.with_clock(..)` (the same pools and key) with a
//! `FixedClock` moved to each step's moment. Row ids are UUIDv7 of the real time, so the steps
//! run in the order of their moments and lists ordered by id agree with the timestamps.

use crate::{DbError, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Shanghai;
use liaison_app::request;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_core::{Actor, Clock, FixedClock};
use liaison_db::audit::{self, Entry};
use liaison_db::delivery::{self, Outcome};
use liaison_db::inbox::AckWriter;
use liaison_db::{Db, q};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

mod confidentiality;
mod data;
mod evaluation;
mod meetings;
mod offline;
mod surveys;
mod tickets;

/// The audit action that marks the history as written (a second run writes nothing).
const MARKER: &str = "demo.history";
/// The lease name of the deliveries history sends in the worker's place.
const WORKER: &str = "demo-history";
/// The SMTP answer of the one address that bounces.
const BOUNCE: &str = "SMTP 550 5.1.1 <contact1@cd-d004.example>: Recipient address rejected: \
                      mailbox unavailable";

/// What `history` wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryReport {
    /// False when the history was there already.
    pub written: bool,
    pub requests: usize,
    pub messages: usize,
    pub threads: usize,
}

/// Writes three months of history for the demo company loaded by `load`, unless it is there
/// already. Needs the base company (`load`); fixtures that only call `load` do not get it.
pub async fn history(db: &Db) -> Result<HistoryReport> {
    let report = communication(db).await?;
    // Nine more months of the ledger before those three (issue 16), once, so the evaluation's
    // year of charts is full.
    evaluation::write(db, db.now() - Duration::days(90) - Duration::weeks(39)).await?;
    // Eighteen months of business figures (issue 13), once, on their own clock.
    data::write(db).await?;
    // A year of meetings, minutes and action items (issue 14), once, on their own clock.
    meetings::write(db).await?;
    // Site visits and calls (issue 14), once, on their own clock.
    offline::write(db).await?;
    // A confidential notice, its leak traced, contained and closed (issue 15), once.
    confidentiality::write(db).await?;
    // One API token of p1's partner for its ERP (issue 15, SPEC H2), its secret not kept.
    confidentiality::write_demo_token(db).await?;
    // The quarterly satisfaction survey with most partners' answers, and an open one (issue
    // 16), once, on their own clock.
    surveys::write(db).await?;
    // The stories' e-mails (notices, invitations) went out at the time they tell of: none is
    // mailed now.
    let mut tx = db.begin().await?;
    tx.execute(q(
        "DELETE FROM jobs WHERE kind IN ('notify', 'invite') AND state = 'queued'",
    ))
    .await?;
    tx.commit().await?;
    // The evaluation's daily aggregates over all of it (issue 16).
    liaison_app::kpi::rebuild(db, None).await?;
    Ok(report)
}

/// The three months of communication: requests, messages, threads, tickets.
async fn communication(db: &Db) -> Result<HistoryReport> {
    let done: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(MARKER))
        .await?;
    if done > 0 {
        return Ok(HistoryReport::default());
    }
    let mut h = History::new(db).await?;
    h.write().await?;
    // Three months on, people have read what was more than a week old, and the e-mails of the
    // past went out at the time (issue 9): only the recent notifications wait in the bells.
    let mut tx = db.begin().await?;
    tx.execute(
        q("UPDATE notifications SET read_at = created_at WHERE read_at IS NULL AND created_at < $1")
            .bind(db.now() - Duration::days(7)),
    )
    .await?;
    tx.execute(q(
        "DELETE FROM jobs WHERE kind = 'notify' AND state = 'queued'",
    ))
    .await?;
    tx.commit().await?;
    let report = HistoryReport {
        written: true,
        requests: h.requests,
        messages: h.messages,
        threads: h.threads,
    };
    audit::record(
        db,
        Entry {
            actor_id: None,
            action: MARKER,
            entity: "demo",
            entity_id: None,
            partner_id: None,
            detail: json!({"requests": report.requests, "messages": report.messages,
                           "threads": report.threads}),
        },
    )
    .await?;
    Ok(report)
}

/// A partner user and the partner it belongs to.
#[derive(Clone)]
struct PartnerUser {
    actor: Actor,
    partner: Uuid,
}

struct History {
    /// The database on the history clock.
    db: Db,
    clock: Arc<FixedClock>,
    /// The real time when history started: every step lies before it.
    now: DateTime<Utc>,
    today: NaiveDate,
    acks: AckWriter,
    staff: Actor,
    head: Actor,
    channel: Actor,
    exec: Actor,
    p1: PartnerUser,
    p2: PartnerUser,
    partners: HashMap<&'static str, Uuid>,
    requests: usize,
    messages: usize,
    threads: usize,
}

/// The demo partners history addresses (p1 belongs to SH-D001, p2 to BJ-D002).
const CODES: &[&str] = &[
    "SH-D001", "BJ-D002", "GZ-D003", "CD-D004", "WH-D005", "HZ-D008", "NJ-D009", "SZ-A001",
    "EC-001", "ST-001", "ST-010",
];

impl History {
    async fn new(db: &Db) -> Result<Self> {
        let users = liaison_db::user::list_users(db).await?;
        let user = |email: &str| {
            users
                .iter()
                .find(|u| u.email == email)
                .ok_or_else(|| DbError::Config(format!("{email} is missing: load the demo first")))
        };
        let partner_user = |email: &str| -> Result<PartnerUser> {
            let u = user(email)?;
            Ok(PartnerUser {
                actor: u.actor(),
                partner: u
                    .partner_id
                    .ok_or_else(|| DbError::Config(format!("{email} has no partner")))?,
            })
        };
        let mut partners = HashMap::new();
        for code in CODES {
            let id = liaison_db::partner::resolve_partner_ref(db, code)
                .await?
                .ok_or_else(|| DbError::Config(format!("demo partner {code} is missing")))?;
            partners.insert(*code, id);
        }
        let now = db.now();
        let clock = Arc::new(FixedClock::new(now - Duration::days(90)));
        let past = db.with_clock(clock.clone());
        Ok(Self {
            acks: AckWriter::spawn(past.clone()),
            db: past,
            clock,
            now,
            today: now.with_timezone(&Shanghai).date_naive(),
            staff: user("staff@demo.example")?.actor(),
            head: user("head@demo.example")?.actor(),
            channel: user("channel@demo.example")?.actor(),
            exec: user("exec@demo.example")?.actor(),
            p1: partner_user("p1@demo.example")?,
            p2: partner_user("p2@demo.example")?,
            partners,
            requests: 0,
            messages: 0,
            threads: 0,
        })
    }

    // ---- time ----

    /// `days` days before today, at `hour:minute` Shanghai time.
    fn day(&self, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let date = self.today - Duration::days(days);
        let local = date
            .and_hms_opt(hour, minute, 0)
            .expect("demo times are valid times of day");
        Shanghai
            .from_local_datetime(&local)
            .single()
            .expect("Asia/Shanghai has no daylight saving time")
            .with_timezone(&Utc)
    }

    /// `minutes` before the real now.
    fn ago(&self, minutes: i64) -> DateTime<Utc> {
        self.now - Duration::minutes(minutes)
    }

    /// The next working morning (09:00 Shanghai, Monday to Friday) after the real now.
    fn next_working_morning(&self) -> DateTime<Utc> {
        (0..8)
            .map(|d| self.day(-d, 9, 0))
            .find(|t| {
                *t > self.now
                    && !matches!(
                        t.with_timezone(&Shanghai).weekday(),
                        Weekday::Sat | Weekday::Sun
                    )
            })
            .unwrap_or(self.now + Duration::days(1))
    }

    /// Moves the history clock to `t` (never past the real now).
    fn at(&self, t: DateTime<Utc>) {
        let t = t.min(self.now - Duration::minutes(1));
        self.clock.advance(t - self.clock.now());
    }

    fn ids(&self, codes: &[&str]) -> Vec<Uuid> {
        codes
            .iter()
            .filter_map(|c| self.partners.get(c).copied())
            .collect()
    }

    // ---- the operations, one place each ----

    async fn create(&mut self, who: &Actor, t: DateTime<Utc>, form: RequestInput) -> Result<Uuid> {
        self.at(t);
        self.requests += 1;
        Ok(request::create(&self.db, who, &form).await?.id)
    }

    async fn submit(&self, who: &Actor, id: Uuid, t: DateTime<Utc>) -> Result<()> {
        self.at(t);
        request::submit(&self.db, who, id.into()).await?;
        Ok(())
    }

    /// A reviewer's decision; the message id when it was the last approval.
    async fn decide(
        &mut self,
        who: &Actor,
        id: Uuid,
        decision: Decision,
        comment: &str,
        t: DateTime<Utc>,
    ) -> Result<Option<Uuid>> {
        self.at(t);
        let r = request::decide(&self.db, who, id.into(), decision, comment).await?;
        if r.message_id.is_some() {
            self.messages += 1;
        }
        Ok(r.message_id)
    }

    async fn withdraw(&self, who: &Actor, id: Uuid, t: DateTime<Utc>) -> Result<()> {
        self.at(t);
        request::withdraw(&self.db, who, id.into()).await?;
        Ok(())
    }

    /// The worker's part, a few minutes after a dispatch: what is due goes out by e-mail
    /// (`sent`), except the partners in `bounce` (dead with the SMTP error), or everything waits
    /// for `hold` (working hours). Deliveries of other messages are left to the real worker.
    async fn send(
        &self,
        message: Uuid,
        t: DateTime<Utc>,
        bounce: &[&str],
        hold: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.at(t);
        let max_attempts = delivery::settings(&self.db).await?.max_attempts;
        loop {
            let claimed = delivery::claim(&self.db, WORKER, 500, Duration::minutes(5)).await?;
            if claimed.is_empty() {
                return Ok(());
            }
            let contacts: Vec<Uuid> = claimed.iter().map(|c| c.contact_id).collect();
            let who: HashMap<Uuid, delivery::Recipient> = delivery::recipients(&self.db, &contacts)
                .await?
                .into_iter()
                .map(|r| (r.contact_id, r))
                .collect();
            let results: Vec<_> = claimed
                .into_iter()
                .map(|c| {
                    let r = who.get(&c.contact_id);
                    let outcome = if c.message_id != message {
                        Outcome::Later {
                            at: self.now,
                            wait: None,
                        }
                    } else if c.channel != "email" {
                        Outcome::Failed {
                            error: format!(
                                "no {} robot is set up for this contact or its partner",
                                c.channel
                            ),
                            permanent: true,
                        }
                    } else if let Some(until) = hold {
                        Outcome::Hold { until }
                    } else if r.is_some_and(|r| bounce.contains(&r.partner_code.as_str())) {
                        Outcome::Failed {
                            error: BOUNCE.into(),
                            permanent: true,
                        }
                    } else {
                        Outcome::Sent {
                            target: r.and_then(|r| r.email.clone()),
                        }
                    };
                    (c, outcome)
                })
                .collect();
            delivery::complete(&self.db, WORKER, max_attempts, &results).await?;
        }
    }

    /// A partner user opens a message in the portal.
    async fn read(&self, p: &PartnerUser, message: Uuid, t: DateTime<Utc>) -> Result<()> {
        self.at(t);
        liaison_app::inbox::open(&self.db, &p.actor, message.into()).await?;
        Ok(())
    }

    /// A partner user confirms a message in the portal.
    async fn ack(&self, p: &PartnerUser, message: Uuid, t: DateTime<Utc>) -> Result<()> {
        self.at(t);
        self.acks
            .acknowledge(
                &self.db,
                Some(p.actor.user_id),
                p.partner,
                message,
                "portal",
            )
            .await?;
        Ok(())
    }

    /// A partner without a portal user confirms with the one-click link of its e-mail.
    async fn ack_by_link(&self, code: &str, message: Uuid, t: DateTime<Utc>) -> Result<()> {
        let partner = self.partners.get(code).copied().ok_or(DbError::NotFound)?;
        self.at(t);
        self.acks
            .acknowledge(&self.db, None, partner, message, "email")
            .await?;
        Ok(())
    }

    /// A partner user asks about a message; returns the thread.
    async fn ask(
        &mut self,
        p: &PartnerUser,
        message: Uuid,
        body: &str,
        t: DateTime<Utc>,
    ) -> Result<Uuid> {
        self.at(t);
        let (th, new) =
            liaison_app::thread::reply_to_message(&self.db, &p.actor, message.into(), body).await?;
        if new {
            self.threads += 1;
        }
        Ok(th.id)
    }

    /// A partner user opens a question of its own.
    async fn open_question(
        &mut self,
        p: &PartnerUser,
        subject: &str,
        body: &str,
        category: &str,
        t: DateTime<Utc>,
    ) -> Result<Uuid> {
        self.at(t);
        self.threads += 1;
        Ok(
            liaison_app::thread::open(&self.db, &p.actor, subject, body, category)
                .await?
                .id,
        )
    }

    async fn answer(&self, who: &Actor, id: Uuid, body: &str, t: DateTime<Utc>) -> Result<()> {
        self.at(t);
        liaison_app::thread::reply(&self.db, who, id.into(), body).await?;
        Ok(())
    }

    async fn close(&self, who: &Actor, id: Uuid, t: DateTime<Utc>) -> Result<()> {
        self.at(t);
        liaison_app::thread::close(&self.db, who, id.into()).await?;
        Ok(())
    }

    // ---- the story, in the order it happened ----

    async fn write(&mut self) -> Result<()> {
        let (staff, head, channel, exec) = (
            self.staff.clone(),
            self.head.clone(),
            self.channel.clone(),
            self.exec.clone(),
        );
        let tier_a = self.ids(&["SH-D001", "BJ-D002", "GZ-D003", "SZ-A001"]);
        // Years and months in the text follow the dates the story runs at.
        let y = self.today.year() + 1;
        let data_month = self
            .day(61, 10, 0)
            .with_timezone(&Shanghai)
            .month0()
            .checked_sub(1)
            .map_or(12, |m| m + 1);
        let promo_month = (self.day(26, 10, 0).with_timezone(&Shanghai).month0() + 1) % 12 + 1;

        // The policy library's first versions, three months ago (issue 11).
        self.policies(1).await?;

        // About 12 weeks ago: the Q1 rebate policy change, confirmed by most, late by one.
        let r = self
            .create(
                &staff,
                self.day(86, 10, 0),
                RequestInput {
                    title: Some(format!("{y} 年第一季度渠道返利政策调整通知")),
                    purpose: Some(
                        "提前告知 A 级渠道伙伴第一季度返利比例调整的原因、影响和生效日期（制度 §3.1.2）"
                            .into(),
                    ),
                    body: Some(
                        "各位渠道伙伴：\n\n受上游原材料成本上涨影响，公司决定自生效日起调整季度返利政策：\n\n\
                         1. 季度销售返利比例由 3% 调整为 2.5%；\n\
                         2. 新品（X3 系列）销售额另计 1% 专项返利；\n\
                         3. 返利于季度结束后 30 日内以货款抵扣方式结算。\n\n\
                         请于截止日期前在门户中点击“确认收到”。如有疑问，请直接在本消息下提问。"
                            .into(),
                    ),
                    category: Some("policy".into()),
                    importance: Some("important".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: tier_a.clone(),
                        ..Default::default()
                    }),
                    ack_required: Some(true),
                    ack_due_at: Some(self.day(77, 18, 0)),
                    effective_at: Some(self.day(56, 0, 0)),
                    change_reason: Some("上游原材料成本上涨，季度综合毛利下降约 1.2 个百分点".into()),
                    impact: Some(
                        "A 级经销商季度返利预计减少 0.5 个百分点，新品专项返利可部分抵消".into(),
                    ),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(86, 10, 20)).await?;
        self.decide(
            &head,
            r,
            Decision::Approve,
            "同意，请注意说明生效日期。",
            self.day(85, 9, 40),
        )
        .await?;
        let m1 = self
            .decide(&channel, r, Decision::Approve, "", self.day(84, 14, 0))
            .await?
            .ok_or(DbError::NotFound)?;
        self.send(m1, self.day(84, 14, 2), &[], None).await?;
        self.read(&self.p1, m1, self.day(84, 15, 10)).await?;
        self.ack(&self.p1, m1, self.day(83, 9, 30)).await?;
        let t1 = self
            .ask(
                &self.p1.clone(),
                m1,
                "请问 2.5% 的返利是按含税销售额还是不含税销售额计算？",
                self.day(83, 10, 5),
            )
            .await?;
        self.answer(
            &staff,
            t1,
            "您好，返利按不含税销售额计算，结算单上会分别列出含税与不含税金额。",
            self.day(83, 16, 20),
        )
        .await?;
        self.read(&self.p2, m1, self.day(82, 11, 0)).await?;
        self.close(&staff, t1, self.day(82, 17, 0)).await?;
        self.ack_by_link("GZ-D003", m1, self.day(80, 10, 15))
            .await?;
        // p2 confirms after the deadline: recorded as late.
        self.ack(&self.p2, m1, self.day(75, 14, 0)).await?;

        // Ten weeks ago: a product launch, for information.
        let r = self
            .create(
                &staff,
                self.day(72, 10, 0),
                RequestInput {
                    title: Some("新品发布：智能净水器 X3 系列上市安排".into()),
                    purpose: Some(
                        "告知渠道伙伴 X3 系列的上市时间、卖点和首批备货安排（制度 §3.2.2）".into(),
                    ),
                    body: Some(
                        "X3 系列智能净水器将于下月 15 日全渠道上市。\n\n\
                         - 主要卖点：五级过滤、滤芯寿命提醒、App 远程查看水质；\n\
                         - 建议零售价与陈列物料见附件《X3 上市指引》；\n\
                         - 首批订货请于本月底前通过订货系统提交，苏州仓优先发货华东区域。\n\n\
                         产品培训视频会议时间另行通知。"
                            .into(),
                    ),
                    category: Some("product".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&[
                            "SH-D001", "BJ-D002", "HZ-D008", "ST-001", "ST-010", "EC-001",
                        ]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(72, 10, 30)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(71, 15, 0))
            .await?;
        let m2 = self
            .decide(&channel, r, Decision::Approve, "", self.day(70, 10, 0))
            .await?
            .ok_or(DbError::NotFound)?;
        self.send(m2, self.day(70, 10, 3), &[], None).await?;
        self.read(&self.p1, m2, self.day(70, 11, 0)).await?;
        self.read(&self.p2, m2, self.day(69, 9, 0)).await?;

        // Nine weeks ago: the head of marketing asks for sales and stock data; one address
        // bounces.
        let r = self
            .create(
                &head,
                self.day(62, 9, 0),
                RequestInput {
                    title: Some(format!("关于提交 {data_month} 月销售与库存数据的通知")),
                    purpose: Some(
                        "按季度数据交换要求收集渠道销售与库存数据（制度 §3.3.1、§3.3.2）".into(),
                    ),
                    body: Some(format!(
                        "请各位伙伴于截止日期前通过门户上传 {data_month} 月数据：\n\n\
                         1. 分门店、分型号的销售数量与金额；\n\
                         2. 月末库存数量（含在途）；\n\
                         3. 主要竞品价格与促销观察。\n\n\
                         数据模板与上月相同。上传后请点击“确认收到”。"
                    )),
                    category: Some("data".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self
                            .ids(&["SH-D001", "BJ-D002", "CD-D004", "WH-D005", "NJ-D009"]),
                        ..Default::default()
                    }),
                    ack_required: Some(true),
                    ack_due_at: Some(self.day(54, 18, 0)),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&head, r, self.day(62, 9, 10)).await?;
        let m3 = self
            .decide(&channel, r, Decision::Approve, "", self.day(61, 10, 0))
            .await?
            .ok_or(DbError::NotFound)?;
        self.send(m3, self.day(61, 10, 2), &["CD-D004"], None)
            .await?;
        self.read(&self.p2, m3, self.day(61, 14, 0)).await?;
        let t2 = self
            .ask(
                &self.p2.clone(),
                m3,
                "能否提供 Excel 版的数据模板？我们的系统导出的是 xlsx 格式。",
                self.day(60, 10, 0),
            )
            .await?;
        self.answer(
            &head,
            t2,
            "可以，门户的数据上传页已支持 xlsx，直接上传即可，无需转换。",
            self.day(60, 15, 0),
        )
        .await?;
        self.close(&self.p2.actor, t2, self.day(59, 9, 0)).await?;
        self.ack_by_link("WH-D005", m3, self.day(58, 16, 30))
            .await?;
        self.ack(&self.p2, m3, self.day(57, 11, 0)).await?;
        // p1 sends its data a day after the deadline.
        self.read(&self.p1, m3, self.day(53, 10, 0)).await?;
        self.ack(&self.p1, m3, self.day(53, 10, 5)).await?;

        // Seven weeks ago: the partner conference in Suzhou, a major communication that needs
        // an executive (§4.2.2), then corrected (§1.3.1).
        let r = self
            .create(
                &staff,
                self.day(50, 10, 0),
                RequestInput {
                    title: Some(format!("{y} 年度渠道伙伴大会邀请（苏州）")),
                    purpose: Some(
                        "邀请 A 级伙伴参加年度渠道伙伴大会并确认出席（制度 §5.1.1）".into(),
                    ),
                    body: Some(format!(
                        "诚邀贵司参加 {y} 年度渠道伙伴大会：\n\n\
                         - 时间：1 月 9 日 9:30-17:00\n\
                         - 地点：苏州金鸡湖国际会议中心\n\
                         - 议程：年度合作回顾、{y} 年渠道政策与目标、新品体验、优秀伙伴颁奖\n\n\
                         每家伙伴限 2 人，请于截止日期前确认出席。"
                    )),
                    category: Some("meeting".into()),
                    importance: Some("major".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&["SH-D001", "BJ-D002", "GZ-D003", "SZ-A001", "ST-010"]),
                        ..Default::default()
                    }),
                    ack_required: Some(true),
                    ack_due_at: Some(self.day(38, 18, 0)),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(50, 10, 30)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(49, 11, 0))
            .await?;
        self.decide(&channel, r, Decision::Approve, "", self.day(48, 16, 0))
            .await?;
        let m4 = self
            .decide(
                &exec,
                r,
                Decision::Approve,
                "同意，会务预算按去年标准执行。",
                self.day(47, 11, 0),
            )
            .await?
            .ok_or(DbError::NotFound)?;
        self.send(m4, self.day(47, 11, 2), &[], None).await?;
        self.read(&self.p1, m4, self.day(47, 15, 0)).await?;
        self.ack(&self.p1, m4, self.day(46, 10, 0)).await?;
        let t3 = self
            .ask(
                &self.p1.clone(),
                m4,
                "请问苏州会场是否安排苏州北站的接驳车？我们两位同事乘高铁前往。",
                self.day(46, 10, 30),
            )
            .await?;
        // p2 reads the invitation and never confirms: overdue on the receipts board.
        self.read(&self.p2, m4, self.day(46, 14, 0)).await?;
        self.answer(
            &staff,
            t3,
            "有的，会议当天 8:00-9:00 苏州北站 2 号出口每 20 分钟一班接驳车，届时会短信通知车牌号。",
            self.day(45, 14, 0),
        )
        .await?;
        self.ack_by_link("GZ-D003", m4, self.day(44, 9, 20)).await?;

        let r = self
            .create(
                &staff,
                self.day(40, 9, 30),
                RequestInput {
                    title: Some(format!("更正：{y} 年度渠道伙伴大会改期至 1 月 16 日")),
                    purpose: Some("更正大会日期，避免伙伴按原日期安排行程（制度 §1.3.1）".into()),
                    body: Some(
                        "因会场档期调整，年度渠道伙伴大会改为 1 月 16 日 9:30 举行，地点不变（苏州金鸡湖国际会议中心）。\
                         给您带来不便，敬请谅解。请再次确认出席。"
                            .into(),
                    ),
                    category: Some("meeting".into()),
                    channels: Some(vec!["email".into()]),
                    corrects: Some(m4),
                    ack_required: Some(true),
                    ack_due_at: Some(self.day(33, 18, 0)),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(40, 9, 45)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(40, 11, 0))
            .await?;
        let m5 = self
            .decide(&channel, r, Decision::Approve, "", self.day(40, 15, 0))
            .await?
            .ok_or(DbError::NotFound)?;
        self.send(m5, self.day(40, 15, 2), &[], None).await?;
        self.read(&self.p1, m5, self.day(39, 9, 10)).await?;
        self.ack(&self.p1, m5, self.day(39, 9, 12)).await?;
        self.read(&self.p2, m5, self.day(38, 16, 0)).await?;

        // The rebate policy's second version, announced five weeks ahead (issue 11).
        self.policies(2).await?;

        // Five weeks ago: a request promising returns is rejected in compliance review (§4.2.1).
        let r = self
            .create(
                &staff,
                self.day(35, 10, 0),
                RequestInput {
                    title: Some("X3 系列加盟投资回报说明".into()),
                    purpose: Some("向新签约门店说明 X3 系列的投资回报".into()),
                    body: Some(
                        "加盟 X3 系列专柜，首年保证收益不低于 20%，未达标部分由公司补足。".into(),
                    ),
                    category: Some("product".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&["ST-001", "ST-010"]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(35, 10, 10)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(34, 10, 0))
            .await?;
        self.decide(
            &channel,
            r,
            Decision::Reject,
            "“保证收益”属于承诺性表述，不符合公司政策与广告法规定（制度 §4.2.1），不得对外发送。",
            self.day(33, 15, 0),
        )
        .await?;

        // Four weeks ago: December promotion material, for information.
        let r = self
            .create(
                &staff,
                self.day(28, 10, 0),
                RequestInput {
                    title: Some(format!("{promo_month} 月促销活动素材包下发")),
                    purpose: Some("提供年末促销活动的海报、短视频和门店陈列指引".into()),
                    body: Some(
                        format!("{promo_month} 月“焕新季”促销活动素材已上传至门户资料库：海报（横竖版）、15 秒短视频、门店陈列指引。\
                         活动时间为 {promo_month} 月 12 日至 {promo_month} 月 28 日，价格政策以订货系统为准。"),
                    ),
                    category: Some("product".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&[
                            "SH-D001", "BJ-D002", "HZ-D008", "NJ-D009", "ST-001", "ST-010", "EC-001",
                        ]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(28, 10, 20)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(27, 9, 30))
            .await?;
        let m6 = self
            .decide(&channel, r, Decision::Approve, "", self.day(26, 11, 0))
            .await?
            .ok_or(DbError::NotFound)?;
        self.send(m6, self.day(26, 11, 2), &[], None).await?;
        self.read(&self.p1, m6, self.day(26, 13, 30)).await?;

        // Three weeks ago: returned by the head of department for more detail.
        let r = self
            .create(
                &staff,
                self.day(20, 10, 0),
                RequestInput {
                    title: Some("门店陈列道具申领通知".into()),
                    purpose: Some("通知门店申领 X3 系列陈列道具".into()),
                    body: Some("各门店可申领 X3 系列陈列道具一套，请在门户提交申领。".into()),
                    category: Some("product".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&["ST-001", "ST-010"]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(20, 10, 15)).await?;
        self.decide(
            &head,
            r,
            Decision::Return,
            "请补充道具清单、申领截止日期和运费承担方式后再提交。",
            self.day(19, 14, 0),
        )
        .await?;

        // A market policy changed at short notice, approved by the executive (§3.1.2).
        self.policies(3).await?;

        // Two weeks ago: a survey withdrawn by its requester before review.
        let r = self
            .create(
                &staff,
                self.day(14, 10, 0),
                RequestInput {
                    title: Some("华南区域消费者调研问卷".into()),
                    purpose: Some("收集华南区域门店的消费者反馈".into()),
                    body: Some("请协助在门店发放消费者调研问卷，每店不少于 50 份。".into()),
                    category: Some("data".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&["GZ-D003", "SZ-A001"]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(14, 10, 30)).await?;
        self.withdraw(&staff, r, self.day(12, 9, 0)).await?;

        // Last week: the rebate settlement cycle changes; p1 has a question and has not
        // confirmed yet.
        let r = self
            .create(
                &staff,
                self.day(8, 10, 0),
                RequestInput {
                    title: Some(format!("关于调整 {y} 年返利结算周期的通知")),
                    purpose: Some("提前告知返利结算周期由季度改为月度（制度 §3.1.2）".into()),
                    body: Some(
                        "为加快资金周转，自生效日起返利结算周期由按季度调整为按月度：\n\n\
                         - 每月 10 日前出具上月返利结算单；\n\
                         - 返利比例不变，仍以货款抵扣方式结算；\n\
                         - 已出具的季度结算单照常执行。\n\n\
                         请在截止日期前确认收到。"
                            .into(),
                    ),
                    category: Some("policy".into()),
                    importance: Some("important".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: tier_a.clone(),
                        ..Default::default()
                    }),
                    ack_required: Some(true),
                    ack_due_at: Some(self.day(-7, 18, 0)),
                    effective_at: Some(self.day(-40, 0, 0)),
                    change_reason: Some("伙伴反映季度结算资金占用时间长".into()),
                    impact: Some("返利到账时间平均提前约 45 天，金额不变".into()),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(8, 10, 30)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(7, 9, 30))
            .await?;
        let m7 = self
            .decide(&channel, r, Decision::Approve, "", self.day(6, 10, 0))
            .await?
            .ok_or(DbError::NotFound)?;
        self.send(m7, self.day(6, 10, 2), &[], None).await?;
        self.read(&self.p2, m7, self.day(6, 11, 0)).await?;
        self.read(&self.p1, m7, self.day(5, 10, 0)).await?;
        self.ask(
            &self.p1.clone(),
            m7,
            "新的月度结算是否也适用于 2026 年已签订的年度协议？需要补签协议吗？",
            self.day(5, 10, 20),
        )
        .await?;

        // The rebate policy's third version, coming into force next month.
        self.policies(4).await?;

        // This week: requests at every step of the review chain.
        let r = self
            .create(
                &head,
                self.day(5, 15, 0),
                RequestInput {
                    title: Some(format!("关于征集 {y} 年度区域市场数据的通知")),
                    purpose: Some(format!(
                        "收集各区域 {y} 年市场容量与竞品数据，用于年度目标设定"
                    )),
                    body: Some(
                        "请各经销商在月底前提交所在区域的市场容量估算和主要竞品份额。".into(),
                    ),
                    category: Some("data".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self
                            .ids(&["SH-D001", "BJ-D002", "GZ-D003", "CD-D004", "WH-D005"]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&head, r, self.day(5, 15, 30)).await?;

        let r = self
            .create(
                &staff,
                self.day(4, 10, 0),
                RequestInput {
                    title: Some("全国经销商价格体系调整说明".into()),
                    purpose: Some(format!("说明 {y} 年经销商供货价格体系的调整")),
                    body: Some(format!(
                        "{y} 年起经销商供货价格按区域与等级重新分档，具体价格表另行下发。"
                    )),
                    category: Some("policy".into()),
                    importance: Some("major".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: tier_a.clone(),
                        ..Default::default()
                    }),
                    ack_required: Some(true),
                    ack_due_at: Some(self.day(-20, 18, 0)),
                    effective_at: Some(self.day(-45, 0, 0)),
                    change_reason: Some("统一全国价格体系，减少区域间窜货".into()),
                    impact: Some("部分区域供货价上调 1%-2%，A 级伙伴享有过渡期".into()),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(4, 10, 30)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(3, 11, 0))
            .await?;
        self.decide(
            &channel,
            r,
            Decision::Approve,
            "同意，价格表请按保密级别另行发送。",
            self.day(2, 16, 0),
        )
        .await?;

        let r = self
            .create(
                &staff,
                self.day(3, 10, 0),
                RequestInput {
                    title: Some("年终对账数据提交提醒".into()),
                    purpose: Some("提醒伙伴按时提交年终对账数据（制度 §3.3.2）".into()),
                    body: Some(
                        "请于截止日期前在门户核对并确认全年进货、退货与返利明细；如有差异请直接在本消息下说明。"
                            .into(),
                    ),
                    category: Some("data".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&["SH-D001", "BJ-D002", "HZ-D008", "NJ-D009"]),
                        ..Default::default()
                    }),
                    ack_required: Some(true),
                    ack_due_at: Some(self.day(-4, 18, 0)),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(3, 10, 20)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(3, 14, 0))
            .await?;
        let m8 = self
            .decide(&channel, r, Decision::Approve, "", self.day(2, 10, 0))
            .await?
            .ok_or(DbError::NotFound)?;
        self.send(m8, self.day(2, 10, 2), &[], None).await?;

        // A draft still being written.
        self.create(
            &staff,
            self.day(2, 11, 0),
            RequestInput {
                title: Some(format!("{y} 年春节期间发货安排")),
                purpose: Some("告知春节前最后发货日和节后恢复发货日".into()),
                category: Some("other".into()),
                ..Default::default()
            },
        )
        .await?;

        // Approved, going out by itself in two days' time (a scheduled send).
        let r = self
            .create(
                &staff,
                self.day(2, 15, 0),
                RequestInput {
                    title: Some("假期客服与发货安排".into()),
                    purpose: Some("告知假期期间客服值班与发货安排".into()),
                    body: Some("假期期间客服热线正常值班，订单于假期后第一个工作日起发货。".into()),
                    category: Some("other".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&["SH-D001", "BJ-D002", "EC-001", "ST-001"]),
                        ..Default::default()
                    }),
                    send_at: Some(self.day(-2, 9, 0)),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(2, 15, 10)).await?;
        self.decide(&head, r, Decision::Approve, "", self.day(1, 10, 0))
            .await?;
        self.decide(&channel, r, Decision::Approve, "", self.day(1, 16, 0))
            .await?;

        // Waiting for the head of department.
        let r = self
            .create(
                &staff,
                self.day(1, 11, 0),
                RequestInput {
                    title: Some("苏州观前街门店开业活动支持方案".into()),
                    purpose: Some("通知苏州门店及华东经销商新店开业活动的支持政策".into()),
                    body: Some(
                        "苏州观前街门店将于下月初开业，公司提供开业物料一套、首月促销补贴及两名培训讲师驻店支持。"
                            .into(),
                    ),
                    category: Some("product".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&["ST-010", "SH-D001", "HZ-D008"]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.day(1, 11, 30)).await?;

        // p1 asks a question of its own, not answered yet.
        self.open_question(
            &self.p1.clone(),
            "苏州新店开业物料何时发货？",
            "我们负责苏州观前街门店的开业筹备，请问开业物料预计哪天从苏州仓发出？需要我们提前安排收货。",
            "product",
            self.day(1, 14, 0),
        )
        .await?;

        // Today: a maintenance notice, approved after hours; its e-mails wait for the
        // partners' working hours (§5.3.2).
        let r = self
            .create(
                &staff,
                self.ago(180),
                RequestInput {
                    title: Some("渠道门户系统维护通知".into()),
                    purpose: Some("提前告知门户维护时间，避免影响订货与数据上传".into()),
                    body: Some(
                        "渠道门户将于本周六 22:00 至周日 02:00 进行系统升级，期间无法登录和上传数据，订货系统不受影响。"
                            .into(),
                    ),
                    category: Some("other".into()),
                    channels: Some(vec!["email".into()]),
                    audience: Some(Audience {
                        partners: self.ids(&["SH-D001", "BJ-D002", "GZ-D003", "HZ-D008"]),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
            )
            .await?;
        self.submit(&staff, r, self.ago(170)).await?;
        self.decide(&head, r, Decision::Approve, "", self.ago(120))
            .await?;
        let m9 = self
            .decide(&channel, r, Decision::Approve, "", self.ago(40))
            .await?
            .ok_or(DbError::NotFound)?;
        let morning = self.next_working_morning();
        self.send(m9, self.ago(38), &[], Some(morning)).await?;
        // Problem tickets over the same three months (issue 12).
        self.tickets().await?;
        Ok(())
    }
}

/// The policy library's story (issue 11; policy §3.1): four policies, the rebate policy in
/// three versions (the third coming into force, not yet acknowledged by p1), a market policy
/// changed at short notice through the executive (§3.1.2), and an answer published as an FAQ.
impl History {
    async fn policies(&mut self, phase: u8) -> Result<()> {
        use liaison_app::policies as lib;
        use liaison_core::policies::{PolicyInput, VersionInput};
        let (staff, head, channel, exec) = (
            self.staff.clone(),
            self.head.clone(),
            self.channel.clone(),
            self.exec.clone(),
        );
        const REBATE: &str = "渠道返利政策";
        const MARKET: &str = "市场推广费用管理办法";
        const PRICE: &str = "产品价格体系与最低零售价管理规定";
        const CODE: &str = "渠道伙伴行为准则";
        match phase {
            1 => {
                let all = Audience {
                    all: true,
                    ..Default::default()
                };
                let tier_a = Audience {
                    partners: self.ids(&["SH-D001", "BJ-D002", "GZ-D003", "SZ-A001", "EC-001"]),
                    ..Default::default()
                };
                for (t, title, kind, audience, body) in [
                    (89, REBATE, "sales", all.clone(), REBATE_V1),
                    (89, MARKET, "market", all.clone(), MARKET_V1),
                    (88, PRICE, "product", tier_a, PRICE_V1),
                    (88, CODE, "other", all, CODE_V1),
                ] {
                    self.at(self.day(t, 10, 0));
                    let p = lib::create(
                        &self.db,
                        &staff,
                        &PolicyInput {
                            kind: Some(kind.into()),
                            title: Some(title.into()),
                            title_en: None,
                            owner_department_id: staff.department_id,
                            audience: Some(audience),
                        },
                    )
                    .await?;
                    // Effective seven weeks on: more than the 30 days' notice.
                    let effective = self.day(t - 50, 0, 0);
                    self.version(p.id, t, body, effective, None).await?;
                }
                // p1 and p2 acknowledge what they were sent; most others do too.
                for title in [REBATE, MARKET, PRICE, CODE] {
                    let Some(id) = self.policy_id(title).await? else {
                        continue;
                    };
                    self.acknowledge_all(id, 1, 86).await?;
                }
                // An answer on the code of conduct, published to everyone (§3.1.1).
                if let Some(id) = self.policy_id(CODE).await? {
                    self.at(self.day(85, 11, 0));
                    lib::publish_faq(
                        &self.db,
                        &channel,
                        id,
                        1,
                        "门店员工在社交媒体发布产品信息是否需要公司审核？",
                        "涉及价格、促销和未发布产品的信息需提前报渠道管理部审核；已公开的产品介绍可直接转发。",
                        None,
                    )
                    .await?;
                }
            }
            2 => {
                let Some(id) = self.policy_id(REBATE).await? else {
                    return Ok(());
                };
                self.version(
                    id,
                    37,
                    REBATE_V2,
                    self.day(3, 0, 0),
                    Some((
                        "上游原材料成本上涨，季度综合毛利下降约 1.2 个百分点",
                        "A 级经销商季度返利预计减少 0.5 个百分点，新品专项返利可部分抵消",
                    )),
                )
                .await?;
                self.acknowledge_all(id, 2, 34).await?;
            }
            3 => {
                let Some(id) = self.policy_id(MARKET).await? else {
                    return Ok(());
                };
                // Eight days' notice: the chain needs the executive, who approves.
                self.at(self.day(17, 10, 0));
                let v = lib::create_version(
                    &self.db,
                    &staff,
                    id,
                    &VersionInput {
                        body: Some(MARKET_V2.into()),
                        effective_at: Some(self.day(9, 0, 0)),
                        change_reason: Some("监管部门对线上推广费用的票据要求提前生效".into()),
                        impact: Some(
                            "自生效日起，线上推广费用报销须附平台结算单，否则不予核销".into(),
                        ),
                        important: Some(true),
                        ack_due_at: Some(self.day(10, 18, 0)),
                        classification: None,
                    },
                )
                .await?;
                let rid = v.request_id.ok_or(DbError::NotFound)?;
                self.submit(&staff, rid, self.day(17, 10, 30)).await?;
                self.decide(
                    &head,
                    rid,
                    Decision::Approve,
                    "时间紧，同意。",
                    self.day(17, 14, 0),
                )
                .await?;
                self.decide(&channel, rid, Decision::Approve, "", self.day(17, 16, 0))
                    .await?;
                self.decide(
                    &exec,
                    rid,
                    Decision::Approve,
                    "监管要求，同意缩短提前公告期。",
                    self.day(16, 9, 30),
                )
                .await?;
                self.acknowledge_all(id, 2, 15).await?;
            }
            _ => {
                let Some(id) = self.policy_id(REBATE).await? else {
                    return Ok(());
                };
                // Announced this week, in force in a month: p1 has not acknowledged it yet.
                self.version(
                    id,
                    4,
                    REBATE_V3,
                    self.day(-32, 0, 0),
                    Some((
                        "新品系列扩充，专项返利范围随之调整",
                        "X5 系列纳入新品专项返利；返利结算改为按月",
                    )),
                )
                .await?;
                if let Some(m) = lib::version(&self.db, &staff, id, 3).await?.message_id {
                    self.ack(&self.p2.clone(), m, self.day(3, 9, 0)).await?;
                }
            }
        }
        Ok(())
    }

    async fn policy_id(&self, title: &str) -> Result<Option<Uuid>> {
        Ok(liaison_app::policies::list(&self.db, &self.staff, None)
            .await?
            .into_iter()
            .find(|p| p.policy.title == title)
            .map(|p| p.policy.id))
    }

    /// Drafts a version at `day` and takes its announcement through head and channel review.
    async fn version(
        &mut self,
        policy: Uuid,
        day: i64,
        body: &str,
        effective: DateTime<Utc>,
        change: Option<(&str, &str)>,
    ) -> Result<()> {
        let (staff, head, channel) = (self.staff.clone(), self.head.clone(), self.channel.clone());
        self.at(self.day(day, 10, 0));
        self.requests += 1;
        let v = liaison_app::policies::create_version(
            &self.db,
            &staff,
            policy,
            &liaison_core::policies::VersionInput {
                body: Some(body.into()),
                effective_at: Some(effective),
                change_reason: change.map(|c| c.0.to_string()),
                impact: change.map(|c| c.1.to_string()),
                important: Some(true),
                ack_due_at: Some(self.day(day - 14, 18, 0)),
                classification: None,
            },
        )
        .await?;
        let rid = v.request_id.ok_or(DbError::NotFound)?;
        self.submit(&staff, rid, self.day(day, 10, 30)).await?;
        self.decide(&head, rid, Decision::Approve, "", self.day(day, 15, 0))
            .await?;
        self.decide(
            &channel,
            rid,
            Decision::Approve,
            "",
            self.day(day - 1, 10, 0),
        )
        .await?;
        Ok(())
    }

    /// p1, p2 and most partners without a portal login acknowledge version `n` around `day`.
    async fn acknowledge_all(&mut self, policy: Uuid, n: i64, day: i64) -> Result<()> {
        let Some(m) = liaison_app::policies::version(&self.db, &self.staff, policy, n)
            .await?
            .message_id
        else {
            return Ok(());
        };
        self.ack(&self.p1.clone(), m, self.day(day, 9, 20)).await?;
        self.ack(&self.p2.clone(), m, self.day(day, 15, 40)).await?;
        for (i, code) in ["GZ-D003", "WH-D005", "HZ-D008", "SZ-A001", "EC-001"]
            .iter()
            .enumerate()
        {
            let Some(&partner) = self.partners.get(code) else {
                continue;
            };
            self.at(self.day(day - 1, 10 + i as u32, 0));
            // A partner outside the policy's audience was not sent it.
            match self
                .acks
                .acknowledge(&self.db, None, partner, m, "portal")
                .await
            {
                Ok(_) | Err(DbError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

const REBATE_V1: &str = "## 渠道返利政策\n\n第一条 适用范围：本政策适用于与公司签订年度经销协议的全部渠道伙伴。\n\n\
第二条 返利比例：季度销售返利比例为 3%，按季度结算。\n\n\
第三条 结算方式：返利于季度结束后 45 日内以货款抵扣方式结算。\n\n\
第四条 本政策自生效日起执行，由渠道管理部负责解释。";

const REBATE_V2: &str = "## 渠道返利政策\n\n第一条 适用范围：本政策适用于与公司签订年度经销协议的全部渠道伙伴。\n\n\
第二条 返利比例：季度销售返利比例为 2.5%，按季度结算；新品（X3 系列）销售额另计 1% 专项返利。\n\n\
第三条 结算方式：返利于季度结束后 30 日内以货款抵扣方式结算。\n\n\
第四条 本政策自生效日起执行，由渠道管理部负责解释。";

const REBATE_V3: &str = "## 渠道返利政策\n\n第一条 适用范围：本政策适用于与公司签订年度经销协议的全部渠道伙伴。\n\n\
第二条 返利比例：季度销售返利比例为 2.5%，按月结算；新品（X3、X5 系列）销售额另计 1% 专项返利。\n\n\
第三条 结算方式：返利于次月 15 日前以货款抵扣方式结算。\n\n\
第四条 返利对账：渠道伙伴应于每月 5 日前在门户核对上月返利明细。\n\n\
第五条 本政策自生效日起执行，由渠道管理部负责解释。";

const MARKET_V1: &str = "## 市场推广费用管理办法\n\n第一条 市场推广费用按渠道伙伴上年度销售额的 2% 核定额度。\n\n\
第二条 费用须用于经公司认可的推广活动，活动前报渠道管理部备案。\n\n\
第三条 报销须附活动照片与发票，于活动结束后 60 日内提交。";

const MARKET_V2: &str = "## 市场推广费用管理办法\n\n第一条 市场推广费用按渠道伙伴上年度销售额的 2% 核定额度。\n\n\
第二条 费用须用于经公司认可的推广活动，活动前报渠道管理部备案。\n\n\
第三条 报销须附活动照片、发票与线上平台结算单，于活动结束后 30 日内提交。";

const PRICE_V1: &str = "## 产品价格体系与最低零售价管理规定\n\n第一条 公司统一制定出厂价、渠道供货价与建议零售价。\n\n\
第二条 任何渠道不得以低于最低零售价的价格对外销售或宣传。\n\n\
第三条 违反本规定的，公司有权暂停供货并取消当季返利。";

const CODE_V1: &str = "## 渠道伙伴行为准则\n\n第一条 诚信经营，不得虚假宣传，不得串货。\n\n\
第二条 保护客户信息与公司保密信息（制度 §7）。\n\n\
第三条 对外发布产品信息应与公司公开口径一致。";
