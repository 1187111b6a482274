//! The launch calendar (policy §3.2.2, SPEC D5): planned launches per product, on a day, with an
//! owner who announces them. The sweep's bookkeeping (the drafted announcement, the warning
//! that the notice date is near) lives on the row; when to do what is
//! `liaison_core::product::launch_step`, and doing it is `liaison_app::launch`.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, NaiveDate, Utc};
use liaison_core::FieldErrors;
use liaison_core::product::Visibility;
use liaison_core::validate::{Msg, optional_text, required_text};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Launch {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_code: String,
    pub product_name: String,
    /// The product's visibility: the launch's audience (§3.2.2).
    #[serde(skip)]
    pub visibility: Visibility,
    pub title: String,
    pub launch_on: NaiveDate,
    pub notes: String,
    pub owner_id: Uuid,
    pub owner_name: Option<String>,
    /// The announcement request drafted for it.
    pub request_id: Option<Uuid>,
    pub request_state: Option<String>,
    pub drafted_at: Option<DateTime<Utc>>,
    pub warned_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn day(s: String) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| sqlx::Error::Decode(e.into()))
}

from_row!(Launch; id: uuid, product_id: uuid, product_code: text, product_name: text,
    visibility: text => crate::query::json, title: text, launch_on: text => day, notes: text,
    owner_id: uuid, owner_name: opt_text, request_id: opt_uuid, request_state: opt_text,
    drafted_at: opt_time, warned_at: opt_time, version: i64, created_at: time, updated_at: time);

/// A launch as typed (POST creates; PATCH overlays).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LaunchInput {
    pub product_id: Option<Uuid>,
    pub title: Option<String>,
    /// `YYYY-MM-DD`, in the company's calendar.
    pub launch_on: Option<String>,
    pub notes: Option<String>,
    /// Who announces it; the creator when absent.
    pub owner_id: Option<Uuid>,
}

const SELECT: &str = "SELECT l.id, l.product_id, p.code AS product_code, p.name_zh AS product_name,
    p.visibility, l.title, l.launch_on, l.notes, l.owner_id, u.name AS owner_name, l.request_id,
    r.state AS request_state, l.drafted_at, l.warned_at, l.version, l.created_at, l.updated_at
    FROM launches l JOIN products p ON p.id = l.product_id
    LEFT JOIN users u ON u.id = l.owner_id LEFT JOIN requests r ON r.id = l.request_id";

pub fn parse_day(field: &str, s: &str) -> Result<NaiveDate, FieldErrors> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| FieldErrors::single(field, Msg::new("validate.date").arg("value", s)))
}

struct Valid {
    product_id: Uuid,
    title: String,
    launch_on: NaiveDate,
    notes: String,
    owner_id: Uuid,
}

async fn parse(db: &Db, input: &LaunchInput) -> Result<Valid> {
    let mut e = FieldErrors::new();
    let product_id = match input.product_id {
        None => {
            e.required("product_id");
            None
        }
        Some(id) => match crate::product::find_product(db, id).await {
            Ok(_) => Some(id),
            Err(DbError::NotFound) => {
                e.add("product_id", Msg::new("validate.invalid"));
                None
            }
            Err(other) => return Err(other),
        },
    };
    let title = e.take(
        "title",
        required_text(input.title.as_deref().unwrap_or(""), 200),
    );
    let launch_on = match input.launch_on.as_deref().filter(|s| !s.trim().is_empty()) {
        None => {
            e.required("launch_on");
            None
        }
        Some(s) => match parse_day("launch_on", s) {
            Ok(d) => Some(d),
            Err(bad) => {
                e.extend(bad);
                None
            }
        },
    };
    let notes = e
        .take(
            "notes",
            optional_text(input.notes.as_deref().unwrap_or(""), 5000),
        )
        .flatten()
        .unwrap_or_default();
    let owner_id = match input.owner_id {
        Some(o) => match crate::user::find_user(db, o).await? {
            Some(u) if u.active && !u.roles.is_partner() => Some(o),
            _ => {
                e.add("owner_id", Msg::new("validate.invalid"));
                None
            }
        },
        None => None,
    };
    match (product_id, title, launch_on) {
        (Some(product_id), Some(title), Some(launch_on)) if e.is_empty() => Ok(Valid {
            product_id,
            title,
            launch_on,
            notes,
            owner_id: owner_id.unwrap_or(Uuid::nil()),
        }),
        _ => Err(DbError::Invalid(e)),
    }
}

pub async fn find_launch(db: &Db, id: Uuid) -> Result<Launch> {
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE l.id = $1")).bind(id))
        .await
}

/// Launches between two days (inclusive), by day.
pub async fn list_launches(
    db: &Db,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Launch>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    query.and_some(
        "l.launch_on >=",
        from.map(|d| d.format("%Y-%m-%d").to_string()),
    );
    query.and_some(
        "l.launch_on <=",
        to.map(|d| d.format("%Y-%m-%d").to_string()),
    );
    query.push_sql(" ORDER BY l.launch_on, l.id");
    db.fetch_all(query).await
}

pub async fn insert_launch(db: &Db, actor: Uuid, input: &LaunchInput) -> Result<Launch> {
    let mut v = parse(db, input).await?;
    if v.owner_id.is_nil() {
        v.owner_id = actor;
    }
    let id = Uuid::now_v7();
    db.write_one(
        |now| {
            q("INSERT INTO launches (id, product_id, title, launch_on, notes, owner_id, version, created_by, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $8)")
            .bind(id)
            .bind(v.product_id)
            .bind(v.title.as_str())
            .bind(v.launch_on.format("%Y-%m-%d").to_string())
            .bind(v.notes.as_str())
            .bind(v.owner_id)
            .bind(actor)
            .bind(now)
        },
        Entry::by(
            actor,
            "launch.create",
            "launch",
            id,
            json!({"product_id": v.product_id, "title": v.title, "launch_on": v.launch_on}),
        ),
    )
    .await?;
    find_launch(db, id).await
}

/// Changes the fields given. A new day asks for the warning again (the draft stays).
pub async fn update_launch(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    patch: &LaunchInput,
    expected_version: Option<i64>,
) -> Result<Launch> {
    let old = find_launch(db, id).await?;
    let merged = LaunchInput {
        product_id: patch.product_id.or(Some(old.product_id)),
        title: patch.title.clone().or(Some(old.title.clone())),
        launch_on: patch
            .launch_on
            .clone()
            .or(Some(old.launch_on.format("%Y-%m-%d").to_string())),
        notes: patch.notes.clone().or(Some(old.notes.clone())),
        owner_id: patch.owner_id.or(Some(old.owner_id)),
    };
    let v = parse(db, &merged).await?;
    let version = expected_version.unwrap_or(old.version);
    let moved = v.launch_on != old.launch_on;
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE launches SET product_id = $1, title = $2, launch_on = $3, notes = $4, owner_id = $5,
              warned_at = CASE WHEN $6 THEN NULL ELSE warned_at END,
              version = version + 1, updated_at = $7
           WHERE id = $8 AND version = $9")
        .bind(v.product_id)
        .bind(v.title.as_str())
        .bind(v.launch_on.format("%Y-%m-%d").to_string())
        .bind(v.notes.as_str())
        .bind(v.owner_id)
        .bind(moved)
        .bind(now)
        .bind(id)
        .bind(version),
        "the launch was changed by someone else; reload it",
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "launch.update",
            "launch",
            id,
            json!({"title": v.title, "launch_on": v.launch_on, "version": version + 1}),
        ),
    )
    .await?;
    find_launch(db, id).await
}

/// Launches the sweep still has work for: on or after `today`, not yet drafted or warned.
pub async fn list_open_launches(db: &Db, today: NaiveDate) -> Result<Vec<Launch>> {
    db.fetch_all(
        Q::dynamic(format!(
            "{SELECT} WHERE l.launch_on >= $1 AND (l.drafted_at IS NULL OR l.warned_at IS NULL)
             ORDER BY l.launch_on, l.id"
        ))
        .bind(today.format("%Y-%m-%d").to_string()),
    )
    .await
}

/// Takes the drafting of a launch's announcement for this worker: false when another one took
/// it first (several workers sweep the same database).
pub async fn claim_draft(db: &Db, id: Uuid) -> Result<bool> {
    let now = db.now();
    let n = db
        .execute(
            q("UPDATE launches SET drafted_at = $1 WHERE id = $2 AND drafted_at IS NULL")
                .bind(now)
                .bind(id),
        )
        .await?;
    Ok(n == 1)
}

/// Gives a claimed draft back (drafting failed; the next sweep tries again).
pub async fn release_draft(db: &Db, id: Uuid) -> Result<()> {
    db.execute(q("UPDATE launches SET drafted_at = NULL WHERE id = $1").bind(id))
        .await?;
    Ok(())
}

/// Records the drafted announcement and tells its owner, in one transaction.
pub async fn record_draft(
    db: &Db,
    id: Uuid,
    request_id: Uuid,
    notes: &[NewNotification],
) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(
        q("UPDATE launches SET request_id = $1 WHERE id = $2")
            .bind(request_id)
            .bind(id),
    )
    .await?;
    crate::notify::insert(&mut tx, now, notes).await?;
    tx.commit_audited(
        now,
        Entry::new(
            None,
            "launch.announcement_drafted",
            "launch",
            Some(id),
            json!({"request_id": request_id}),
        ),
    )
    .await
}

/// Records the warning and tells the owner, once (false when it was already given).
pub async fn record_warning(db: &Db, id: Uuid, notes: &[NewNotification]) -> Result<bool> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE launches SET warned_at = $1 WHERE id = $2 AND warned_at IS NULL")
                .bind(now)
                .bind(id),
        )
        .await?;
    if n == 0 {
        return Ok(false);
    }
    crate::notify::insert(&mut tx, now, notes).await?;
    tx.commit_audited(
        now,
        Entry::new(None, "launch.notice_warning", "launch", Some(id), json!({})),
    )
    .await?;
    Ok(true)
}
