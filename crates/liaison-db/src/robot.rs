//! IM robots (policy §2.1.2; SPEC A2): a partner's group robot, or one contact's, per platform.
//! The webhook URL (which carries the robot's key) and the signing secret are encrypted at rest
//! and never leave this crate except to the worker that posts to them.

use crate::audit::Entry;
use crate::{Backend, Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
use liaison_core::rate::{self, RateWait};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// What the console and API show: never the URL's key or the secret.
#[derive(Debug, Clone, Serialize)]
pub struct RobotView {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub kind: String,
    pub label: String,
    pub url_hint: String,
    pub signed: bool,
    pub created_at: DateTime<Utc>,
}

from_row!(RobotView; id: uuid, partner_id: uuid, contact_id: opt_uuid, contact_name: opt_text,
    kind: text, label: text, url_hint: text, signed: opt_text("secret") -> |s: Option<String>| s.is_some(),
    created_at: time);

/// A checked robot: the caller validated kind and URL.
#[derive(Debug, Clone)]
pub struct NewRobot {
    pub kind: String,
    pub label: String,
    pub url: String,
    pub url_hint: String,
    pub secret: Option<String>,
    pub contact_id: Option<Uuid>,
}

const SELECT: &str =
    "SELECT r.id, r.partner_id, r.contact_id, c.name AS contact_name, r.kind, r.label, r.url_hint,
        r.secret, r.created_at FROM robots r LEFT JOIN contacts c ON c.id = r.contact_id";

pub async fn list_robots(db: &Db, partner: Uuid) -> Result<Vec<RobotView>> {
    db.fetch_all(
        Q::dynamic(format!("{SELECT} WHERE r.partner_id = $1 ORDER BY r.id")).bind(partner),
    )
    .await
}

pub async fn find_robot(db: &Db, partner: Uuid, id: Uuid) -> Result<RobotView> {
    db.fetch_one(
        Q::dynamic(format!("{SELECT} WHERE r.partner_id = $1 AND r.id = $2"))
            .bind(partner)
            .bind(id),
    )
    .await
}

pub async fn insert_robot(
    db: &Db,
    actor: Uuid,
    partner: Uuid,
    new: &NewRobot,
) -> Result<RobotView> {
    let id = Uuid::now_v7();
    let now = db.now();
    let url = db.seal("robots:url", id, &new.url)?;
    let secret = match &new.secret {
        Some(s) => Some(db.seal("robots:secret", id, s)?),
        None => None,
    };
    let mut tx = db.begin().await?;
    if let Some(c) = new.contact_id {
        let of_partner: Option<i64> = tx
            .fetch_optional(
                q("SELECT CAST(1 AS BIGINT) FROM contacts WHERE id = $1 AND partner_id = $2")
                    .bind(c)
                    .bind(partner),
            )
            .await?;
        if of_partner.is_none() {
            return Err(DbError::Invalid(liaison_core::FieldErrors::single(
                "contact_id",
                liaison_core::validate::Msg::new("validate.not_partner_contact"),
            )));
        }
    }
    tx.execute(
        q("INSERT INTO robots (id, partner_id, contact_id, kind, label, url, url_hint, secret, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(id)
        .bind(partner)
        .bind(new.contact_id)
        .bind(new.kind.as_str())
        .bind(new.label.as_str())
        .bind(url)
        .bind(new.url_hint.as_str())
        .bind(secret)
        .bind(actor)
        .bind(now),
    )
    .await?;
    let detail = json!({"kind": new.kind, "url": new.url_hint, "contact_id": new.contact_id});
    let entry = Entry::by(actor, "robot.create", "robot", id, detail).of_partner(partner);
    tx.commit_audited(now, entry).await?;
    find_robot(db, partner, id).await
}

pub async fn delete_robot(db: &Db, actor: Uuid, partner: Uuid, id: Uuid) -> Result<()> {
    db.write_one(
        |_| {
            q("DELETE FROM robots WHERE id = $1 AND partner_id = $2")
                .bind(id)
                .bind(partner)
        },
        Entry::by(actor, "robot.delete", "robot", id, json!({})).of_partner(partner),
    )
    .await?;
    Ok(())
}

/// A robot ready to post to, decrypted, for the worker.
#[derive(Clone)]
pub struct RobotTarget {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub kind: String,
    pub url: String,
    pub secret: Option<String>,
    /// Why the URL or secret could not be opened: the robot's deliveries fail with this
    /// instead of stopping the batch.
    pub unreadable: Option<String>,
}

impl std::fmt::Debug for RobotTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RobotTarget({} {})", self.kind, self.id)
    }
}

struct SealedRobot(Uuid, Uuid, Option<Uuid>, String, String, Option<String>);
from_row!(SealedRobot(id: uuid, partner_id: uuid, contact_id: opt_uuid, kind: text, url: text,
    secret: opt_text));

/// Every robot of these partners, decrypted. A robot that cannot be opened (another key, an
/// altered row) comes back `unreadable`, so only its own deliveries fail.
pub async fn targets(db: &Db, partners: &[Uuid]) -> Result<Vec<RobotTarget>> {
    let rows: Vec<SealedRobot> = db
        .fetch_all(Q::over_list(partners.iter().copied(), |list| {
            format!(
                "SELECT id, partner_id, contact_id, kind, url, secret FROM robots
                  WHERE partner_id IN {list} ORDER BY id"
            )
        }))
        .await?;
    let cipher = db.cipher()?;
    Ok(rows
        .into_iter()
        .map(|SealedRobot(id, partner_id, contact_id, kind, url, secret)| {
            let open = |col: &str, v: &str| cipher.decrypt(&format!("robots:{col}:{id}"), v);
            let opened = open("url", &url).and_then(|u| {
                let s = secret.as_deref().map(|s| open("secret", s)).transpose()?;
                Ok((u, s))
            });
            let (url, secret, unreadable) = match opened {
                Ok((u, s)) => (u, s, None),
                Err(_) => (
                    String::new(),
                    None,
                    Some(
                        "the robot's URL or secret cannot be decrypted with this key: add the robot again"
                            .to_string(),
                    ),
                ),
            };
            RobotTarget {
                id,
                partner_id,
                contact_id,
                kind,
                url,
                secret,
                unreadable,
            }
        })
        .collect())
}

struct SentAt(i64);
from_row!(SentAt(sent_at: i64));

struct Paused(Option<i64>);
from_row!(Paused(paused_until: opt_i64));

/// A post to a robot counted in its minute; [`finish_send`] moves it to when the post ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSlot(Uuid);

/// Why and how long a robot cannot be posted to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotWait {
    pub retry_after: std::time::Duration,
    pub reason: RateWait,
}

/// The longest a post can take from its slot to the platform (the robot client gives up after
/// 10 s): a taken slot counts as this much later until the post has ended, so that whatever
/// the network does, the platform never receives more than N posts in its minute.
const IN_FLIGHT_MS: i64 = 15_000;

fn ms(ms: i64) -> std::time::Duration {
    std::time::Duration::from_millis(u64::try_from(ms.max(1)).unwrap_or(1))
}

/// Takes a slot in the robot's sliding minute, which every worker and instance shares
/// (§2.1.2: at most `per_minute` posts in any 60 s, `liaison_core::rate::robot_slot`): a slot
/// to post now, or how long until the oldest of the last `per_minute` posts is a minute old
/// (or until the pause a platform asked for ends, [`pause_robot`]). The robot's row is locked
/// for the take, so two takers never both get the last slot.
pub async fn take_send_slot(
    db: &Db,
    robot: Uuid,
    per_minute: u32,
) -> Result<std::result::Result<SendSlot, SlotWait>> {
    let mut tx = db.begin().await?;
    // SQLite's single writer serialises takers by itself; on PostgreSQL the row lock does,
    // and the statements after it see what the taker before committed.
    let lock = match tx.backend() {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    let Some(Paused(paused)) = tx
        .fetch_optional(
            Q::dynamic(format!(
                "SELECT paused_until FROM robots WHERE id = $1{lock}"
            ))
            .bind(robot),
        )
        .await?
    else {
        return Err(DbError::NotFound);
    };
    // Read under the lock: takers are ordered as they commit.
    let now = db.now().timestamp_millis();
    if let Some(until) = paused.filter(|u| *u > now) {
        return Ok(Err(SlotWait {
            retry_after: ms(until - now),
            reason: RateWait::Platform,
        }));
    }
    let since = now - rate::WINDOW_MS;
    tx.execute(
        q("DELETE FROM robot_sends WHERE robot_id = $1 AND sent_at <= $2")
            .bind(robot)
            .bind(since),
    )
    .await?;
    let taken: Vec<SentAt> = tx
        .fetch_all(
            q("SELECT sent_at FROM robot_sends WHERE robot_id = $1 AND sent_at > $2")
                .bind(robot)
                .bind(since),
        )
        .await?;
    let taken: Vec<i64> = taken.into_iter().map(|t| t.0).collect();
    if let Err(wait) = rate::robot_slot(&taken, now, per_minute) {
        tx.commit().await?;
        return Ok(Err(SlotWait {
            retry_after: ms(wait),
            reason: RateWait::RobotMinute,
        }));
    }
    let id = Uuid::now_v7();
    tx.execute(
        q("INSERT INTO robot_sends (id, robot_id, sent_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(robot)
            .bind(now + IN_FLIGHT_MS),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(SendSlot(id)))
}

/// The post of `slot` has ended (sent, refused or failed): the platform received it, if at
/// all, by now, so its minute is counted from now.
pub async fn finish_send(db: &Db, slot: SendSlot) -> Result<()> {
    let now = db.now().timestamp_millis();
    db.execute(
        q("UPDATE robot_sends SET sent_at = $1 WHERE id = $2 AND sent_at > $1")
            .bind(now)
            .bind(slot.0),
    )
    .await?;
    Ok(())
}

/// The platform answered "too fast": no post goes to the robot before `until` (DingTalk blocks
/// a robot for 10 minutes), whichever worker holds its deliveries. A later pause is kept.
pub async fn pause_robot(db: &Db, robot: Uuid, until: DateTime<Utc>) -> Result<()> {
    let until = until.timestamp_millis();
    db.execute(
        q("UPDATE robots SET paused_until = $1
            WHERE id = $2 AND (paused_until IS NULL OR paused_until < $1)")
        .bind(until)
        .bind(robot),
    )
    .await?;
    Ok(())
}
