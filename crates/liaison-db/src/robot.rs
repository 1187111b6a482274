//! IM robots (policy §2.1.2; SPEC A2): a partner's group robot, or one contact's, per platform.
//! The webhook URL (which carries the robot's key) and the signing secret are encrypted at rest
//! and never leave this crate except to the worker that posts to them.

use crate::audit::Entry;
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
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

struct Bucket(Option<i64>, i64);
from_row!(Bucket(bucket_at: opt_i64, bucket_milli: i64));

/// Takes one send from the robot's token bucket, which every worker and instance shares
/// (§2.1.2: the platforms allow 20 messages a minute per robot): `Ok(())` to send now, or how
/// long until a token is there. A full bucket holds `per_minute` tokens and refills at
/// `per_minute` a minute. One conditional UPDATE takes the token, so concurrent workers
/// never both take the last one.
pub async fn take_send_slot(
    db: &Db,
    robot: Uuid,
    per_minute: u32,
) -> Result<std::result::Result<(), std::time::Duration>> {
    let rate = i64::from(per_minute.max(1));
    let cap = rate * 1000;
    let now = db.now().timestamp_millis();
    // Thousandths of a token now: a new bucket is full; otherwise what was left plus what
    // the time since earned (at most a minute's worth, so nothing overflows), capped. Time
    // that runs backwards (another instance's clock) earns nothing.
    const EARNED: &str = "(CASE WHEN $1 - bucket_at > 60000 THEN 60000 WHEN $1 > bucket_at THEN $1 - bucket_at ELSE 0 END) * $2 / 60";
    let level = format!(
        "(CASE WHEN bucket_at IS NULL OR bucket_milli + {EARNED} > $3 THEN $3 ELSE bucket_milli + {EARNED} END)"
    );
    let n = db
        .execute(
            Q::dynamic(format!(
                "UPDATE robots SET bucket_milli = {level} - 1000,
                        bucket_at = CASE WHEN bucket_at IS NULL OR $1 > bucket_at THEN $1 ELSE bucket_at END
                  WHERE id = $4 AND {level} >= 1000"
            ))
            .bind(now)
            .bind(rate)
            .bind(cap)
            .bind(robot),
        )
        .await?;
    if n == 1 {
        return Ok(Ok(()));
    }
    let Some(Bucket(at, milli)) = db
        .fetch_optional(q("SELECT bucket_at, bucket_milli FROM robots WHERE id = $1").bind(robot))
        .await?
    else {
        return Err(DbError::NotFound);
    };
    let tokens = match at {
        None => cap,
        Some(t) => (milli + (now - t).clamp(0, 60_000) * rate / 60).min(cap),
    };
    let wait_ms = ((1000 - tokens).max(1) * 60 + rate - 1) / rate;
    Ok(Err(std::time::Duration::from_millis(
        u64::try_from(wait_ms).unwrap_or(60_000),
    )))
}
