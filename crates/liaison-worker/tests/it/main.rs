//! The worker against real components, on every backend (SQLite always, PostgreSQL when
//! LIAISON_TEST_PG_URL is set): a real SMTP server (aiosmtpd), real HTTP servers on loopback
//! that behave like the IM platforms and check their signatures, and leases that expire.

mod decode;
mod hours;
mod incidents;
mod leases;
mod limits;
mod meetings;
mod remind;
mod rules;
mod send;
mod servers;
mod surveys;
mod tickets;

use chrono::{DateTime, Utc};
use liaison_core::partner::{ContactInput, PartnerInput};
use liaison_core::request::{Audience, RequestInput};
use liaison_core::{Clock, FixedClock};
use liaison_db::user::{User, UserInput};
use liaison_db::{Db, FromDbRow, RowExt, q};
use liaison_worker::{Transport, Worker, WorkerConfig};
use std::sync::Arc;
use uuid::Uuid;

pub async fn backends_at(
    clock: Arc<FixedClock>,
) -> (Vec<(&'static str, Db)>, liaison_db::testing::TempDir) {
    liaison_db::testing::all_backends_with(clock as Arc<dyn Clock>)
        .await
        .expect("test databases")
}

/// 2026-12-01 (a Tuesday) at `h:m` in Shanghai.
pub fn shanghai(day: u32, h: u32, m: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 12, day, h, m, 0)
        .single()
        .expect("a valid time")
        .with_timezone(&Utc)
}

pub struct World {
    pub manager: User,
    pub partners: Vec<Uuid>,
    pub contacts: Vec<Uuid>,
}

/// A channel manager, and `n` partners owned by them with one contact each who prefers
/// `channels` (e-mail addresses `c{i}@partner{i}.example`).
pub async fn world(db: &Db, n: usize, channels: &str) -> World {
    let manager = liaison_db::user::insert_user(
        db,
        None,
        &UserInput {
            email: "manager@liaison.example".into(),
            name: "渠道经理".into(),
            password: "Str0ng-enough".into(),
            roles: vec!["channel_manager".into()],
            ..Default::default()
        },
    )
    .await
    .expect("manager");
    let mut partners = Vec::new();
    let mut contacts = Vec::new();
    for i in 0..n {
        let p = PartnerInput {
            code: Some(format!("SH-W{i:03}")),
            name: Some(format!("上海测试经销商{i}")),
            kind: Some("distributor".into()),
            region: Some("华东".into()),
            tier: Some("A".into()),
            ..Default::default()
        }
        .parse()
        .expect("partner");
        let p = liaison_db::partner::insert_partner(db, manager.id, &p)
            .await
            .expect("insert partner");
        db_exec(
            db,
            "UPDATE partners SET owner_id = $1 WHERE id = $2",
            &[manager.id, p.id],
        )
        .await;
        let c = ContactInput {
            name: Some(format!("联系人{i}")),
            email: Some(format!("c{i}@partner{i}.example")),
            preferred_channels: Some(vec![channels.into()]),
            ..Default::default()
        }
        .parse()
        .expect("contact");
        let c = liaison_db::partner::insert_contact(db, manager.id, p.id, &c)
            .await
            .expect("contact");
        partners.push(p.id);
        contacts.push(c.id);
    }
    World {
        manager,
        partners,
        contacts,
    }
}

async fn db_exec(db: &Db, sql: &'static str, ids: &[Uuid]) {
    let mut tx = db.begin().await.expect("tx");
    let mut query = q(sql);
    for id in ids {
        query = query.bind(*id);
    }
    tx.execute(query).await.expect("exec");
    tx.commit().await.expect("commit");
}

/// Approves and dispatches a request to `partners` on `channels` (through the real dispatch).
pub async fn dispatch(
    db: &Db,
    w: &World,
    channels: &[&str],
    urgent: bool,
    ack_due_at: Option<DateTime<Utc>>,
) -> Uuid {
    let input = RequestInput {
        importance: Some("important".into()),
        urgency: Some(if urgent { "urgent" } else { "normal" }.into()),
        ack_required: Some(ack_due_at.is_some()),
        ack_due_at,
        ..input(w, channels)
    };
    dispatch_input(db, w, &input).await
}

/// An urgent internal notice to every partner of `w` on `channels`, for tests to adjust.
pub fn input(w: &World, channels: &[&str]) -> RequestInput {
    RequestInput {
        title: Some("关于 2027 年度返利政策的通知".into()),
        purpose: Some("告知经销商新的返利规则".into()),
        body: Some("自 2027 年 1 月 1 日起，季度返利按新规则结算。".into()),
        category: Some("product".into()),
        channels: Some(channels.iter().map(|c| c.to_string()).collect()),
        audience: Some(Audience {
            partners: w.partners.clone(),
            ..Default::default()
        }),
        urgency: Some("urgent".into()),
        classification: Some("internal".into()),
        ..Default::default()
    }
}

/// Files `input` as the manager, marks it approved and runs the real scheduled dispatch.
pub async fn dispatch_input(db: &Db, w: &World, input: &RequestInput) -> Uuid {
    let r = liaison_db::request::insert_request(db, &w.manager.actor(), input)
        .await
        .expect("request");
    db_exec(
        db,
        "UPDATE requests SET state = 'approved' WHERE id = $1",
        &[r.id],
    )
    .await;
    assert_eq!(
        liaison_db::request::dispatch_due(db)
            .await
            .expect("dispatch"),
        1
    );
    liaison_db::request::find_request(db, r.id)
        .await
        .expect("request")
        .message_id
        .expect("dispatched")
}

/// A worker with a short lease and the given transport.
pub fn worker(db: &Db, transport: Transport, id: &str) -> Arc<Worker> {
    // The platforms are played by servers on this machine (development setting).
    liaison_channels::robot::allow_local_targets(true);
    Worker::new(
        db.clone(),
        WorkerConfig {
            id: id.into(),
            batch: 100,
            lease: chrono::Duration::seconds(30),
            public_url: "http://liaison.test".into(),
            ..Default::default()
        },
        transport,
    )
}

/// A delivery row as the board sees it.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: Uuid,
    pub channel: String,
    pub state: String,
    pub attempts: i64,
    pub next_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub reminders: i64,
    pub target: Option<String>,
}

impl FromDbRow for Row {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.uuid("id")?,
            channel: r.text("channel")?,
            state: r.text("state")?,
            attempts: r.i64("attempts")?,
            next_at: r.opt_time("next_at")?,
            last_error: r.opt_text("last_error")?,
            reminders: r.i64("reminders")?,
            target: r.opt_text("target")?,
        })
    }
}

pub async fn rows(db: &Db, message: Uuid) -> Vec<Row> {
    db.fetch_all(
        q("SELECT id, channel, state, attempts, next_at, last_error, reminders, target FROM deliveries
            WHERE message_id = $1 AND channel <> 'portal' ORDER BY id")
        .bind(message),
    )
    .await
    .expect("rows")
}

/// A unique temporary file path.
pub fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("liaison-{name}-{}", Uuid::now_v7()))
}
