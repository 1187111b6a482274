//! IM robots (policy §2.1.2; SPEC A2): a partner's group robot, or one contact's, per platform.
//! The webhook URL (which carries the robot's key) and the signing secret are encrypted at rest
//! and never leave this crate except to the worker that posts to them.

use crate::audit::{self, Entry};
use crate::{Db, DbError, FromDbRow, Q, Result, RowExt, q};
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

impl FromDbRow for RobotView {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.uuid("id")?,
            partner_id: r.uuid("partner_id")?,
            contact_id: r.opt_uuid("contact_id")?,
            contact_name: r.opt_text("contact_name")?,
            kind: r.text("kind")?,
            label: r.text("label")?,
            url_hint: r.text("url_hint")?,
            signed: r.opt_text("secret")?.is_some(),
            created_at: r.time("created_at")?,
        })
    }
}

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
    db.fetch_optional(
        Q::dynamic(format!("{SELECT} WHERE r.partner_id = $1 AND r.id = $2"))
            .bind(partner)
            .bind(id),
    )
    .await?
    .ok_or(DbError::NotFound)
}

pub async fn insert_robot(
    db: &Db,
    actor: Uuid,
    partner: Uuid,
    new: &NewRobot,
) -> Result<RobotView> {
    let id = Uuid::now_v7();
    let now = db.now();
    let cipher = db.cipher()?;
    let seal = |col: &str, v: &str| {
        cipher
            .encrypt(&format!("robots:{col}:{id}"), v)
            .map_err(|e| DbError::Config(e.to_string()))
    };
    let secret = match &new.secret {
        Some(s) => Some(seal("secret", s)?),
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
                "is not a contact of this partner",
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
        .bind(seal("url", &new.url)?)
        .bind(new.url_hint.as_str())
        .bind(secret)
        .bind(actor)
        .bind(now),
    )
    .await?;
    audit::append(
        &mut tx,
        now,
        Entry {
            actor_id: Some(actor),
            action: "robot.create",
            entity: "robot",
            entity_id: Some(id),
            partner_id: Some(partner),
            detail: json!({"kind": new.kind, "url": new.url_hint, "contact_id": new.contact_id}),
        },
    )
    .await?;
    tx.commit().await?;
    find_robot(db, partner, id).await
}

pub async fn delete_robot(db: &Db, actor: Uuid, partner: Uuid, id: Uuid) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("DELETE FROM robots WHERE id = $1 AND partner_id = $2")
                .bind(id)
                .bind(partner),
        )
        .await?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    audit::append(
        &mut tx,
        now,
        Entry {
            actor_id: Some(actor),
            action: "robot.delete",
            entity: "robot",
            entity_id: Some(id),
            partner_id: Some(partner),
            detail: json!({}),
        },
    )
    .await?;
    tx.commit().await?;
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
impl FromDbRow for SealedRobot {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(
            r.uuid("id")?,
            r.uuid("partner_id")?,
            r.opt_uuid("contact_id")?,
            r.text("kind")?,
            r.text("url")?,
            r.opt_text("secret")?,
        ))
    }
}

/// Every robot of these partners, decrypted. A robot that cannot be opened (another key, an
/// altered row) comes back `unreadable`, so only its own deliveries fail.
pub async fn targets(db: &Db, partners: &[Uuid]) -> Result<Vec<RobotTarget>> {
    let mut query = Q::dynamic(String::new());
    let list = crate::delivery::in_list(&mut query, partners.iter().copied());
    let rows: Vec<SealedRobot> = db
        .fetch_all(query.replace_sql(format!(
            "SELECT id, partner_id, contact_id, kind, url, secret FROM robots WHERE partner_id IN {list} ORDER BY id"
        )))
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
