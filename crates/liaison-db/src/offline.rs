//! Site visits and phone calls (policy §2.2.2, §2.2.3; issue 14): visits planned, reported
//! (findings, problems, action items as tasks) or cancelled; their photos (sealed); the last
//! visit of every active partner, from which liaison-app judges who is overdue; the overdue
//! notices already given; call logs with their follow-up tasks, the phone delivery a call
//! carried out and the ticket it raised. Who may see what (a partner never reads `problems`)
//! is liaison-app's.

use crate::audit::Entry;
use crate::meetings::NewTask;
use crate::notify::NewNotification;
use crate::query::{FromDbRow, RowExt};
use crate::{Db, DbError, Q, Result, q};
use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use liaison_core::meetings::{CallDirection, VisitState};
use liaison_core::search::Kind;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn opt_day<R: RowExt>(r: &R, col: &str) -> Result<Option<NaiveDate>, sqlx::Error> {
    r.opt_text(col)?.map(crate::launch::day).transpose()
}

fn decode<T, E: std::fmt::Display>(
    col: &str,
    v: std::result::Result<T, E>,
) -> Result<T, sqlx::Error> {
    v.map_err(|e| crate::query::decode_error(col, e))
}

// ---- Visits ----

#[derive(Debug, Clone, Serialize)]
pub struct Visit {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub partner_tier: String,
    pub visitor_id: Uuid,
    pub visitor_name: String,
    pub planned_on: NaiveDate,
    pub state: VisitState,
    pub purpose: String,
    pub visited_on: Option<NaiveDate>,
    pub findings: Option<String>,
    /// Company-internal: liaison-app clears it before a partner's user sees the visit.
    pub problems: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromDbRow for Visit {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Visit {
            id: r.uuid("id")?,
            partner_id: r.uuid("partner_id")?,
            partner_code: r.text("partner_code")?,
            partner_name: r.text("partner_name")?,
            partner_tier: r.text("partner_tier")?,
            visitor_id: r.uuid("visitor_id")?,
            visitor_name: r.opt_text("visitor_name")?.unwrap_or_default(),
            planned_on: crate::launch::day(r.text("planned_on")?)?,
            state: decode("state", VisitState::parse(&r.text("state")?))?,
            purpose: r.text("purpose")?,
            visited_on: opt_day(r, "visited_on")?,
            findings: r.opt_text("findings")?,
            problems: r.opt_text("problems")?,
            reported_at: r.opt_time("reported_at")?,
            created_by: r.uuid("created_by")?,
            version: r.i64("version")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

const VISITS: &str = "SELECT v.id, v.partner_id, p.code AS partner_code, p.name AS partner_name,
    p.tier AS partner_tier, v.visitor_id, u.name AS visitor_name, v.planned_on, v.state, v.purpose,
    v.visited_on, v.findings, v.problems, v.reported_at, v.created_by, v.version, v.created_at,
    v.updated_at
    FROM visits v JOIN partners p ON p.id = v.partner_id LEFT JOIN users u ON u.id = v.visitor_id";

/// A visit's plan: who goes where, when and why.
#[derive(Debug, Clone)]
pub struct VisitPlan {
    pub partner_id: Uuid,
    pub visitor_id: Uuid,
    pub planned_on: NaiveDate,
    pub purpose: String,
}

/// A visit's report (§2.2.2): when it happened, what was found, the problems (internal) and
/// the action items.
#[derive(Debug, Clone)]
pub struct VisitReport {
    pub visited_on: NaiveDate,
    pub findings: String,
    pub problems: String,
    pub actions: Vec<NewTask>,
}

fn visit_doc(
    id: Uuid,
    partner: Uuid,
    at: DateTime<Utc>,
    purpose: &str,
    findings: &str,
) -> crate::search::Doc {
    // `problems` is never indexed: partners search their own visits.
    crate::search::Doc::new(
        id,
        Kind::Visit,
        Some(partner),
        at,
        purpose,
        &[],
        &[findings],
    )
}

pub async fn find_visit(db: &Db, id: Uuid) -> Result<Visit> {
    db.fetch_optional(Q::dynamic(format!("{VISITS} WHERE v.id = $1")).bind(id))
        .await?
        .ok_or(DbError::NotFound)
}

/// Which visits a list shows.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub partner: Option<Uuid>,
    pub visitor: Option<Uuid>,
    pub state: Option<VisitState>,
    /// Planned (or visited) on or after this day.
    pub from: Option<NaiveDate>,
    /// Planned (or visited) on or before this day.
    pub to: Option<NaiveDate>,
    /// Newest first (recent reports) instead of soonest first (the plan).
    pub newest_first: bool,
}

pub async fn list_visits(db: &Db, f: &VisitFilter, limit: i64) -> Result<Vec<Visit>> {
    let mut query = Q::dynamic(format!("{VISITS} WHERE 1 = 1"));
    query.and_some("v.partner_id =", f.partner);
    query.and_some("v.visitor_id =", f.visitor);
    query.and_some("v.state =", f.state.map(|s| s.as_str()));
    query.and_some("COALESCE(v.visited_on, v.planned_on) >=", f.from.map(ymd));
    query.and_some("COALESCE(v.visited_on, v.planned_on) <=", f.to.map(ymd));
    let order = if f.newest_first {
        " ORDER BY COALESCE(v.visited_on, v.planned_on) DESC, v.id DESC"
    } else {
        " ORDER BY v.planned_on, v.id"
    };
    query.push_sql(order);
    let l = query.arg(limit);
    query.push_sql(&format!(" LIMIT {l}"));
    db.fetch_all(query).await
}

pub async fn insert_visit(db: &Db, actor: Uuid, plan: &VisitPlan) -> Result<Visit> {
    let id = Uuid::now_v7();
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO visits (id, partner_id, visitor_id, planned_on, state, purpose, created_by, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 'planned', $5, $6, 1, $7, $7)")
        .bind(id)
        .bind(plan.partner_id)
        .bind(plan.visitor_id)
        .bind(ymd(plan.planned_on))
        .bind(plan.purpose.as_str())
        .bind(actor)
        .bind(now),
    )
    .await?;
    crate::search::index(
        &mut tx,
        &[visit_doc(id, plan.partner_id, now, &plan.purpose, "")],
        true,
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "visit.create",
            "visit",
            Some(id),
            json!({"partner_id": plan.partner_id, "visitor_id": plan.visitor_id, "planned_on": plan.planned_on}),
        ),
    )
    .await?;
    find_visit(db, id).await
}

/// Changes a planned visit's plan, guarded by the version read.
pub async fn update_visit(db: &Db, actor: Uuid, before: &Visit, plan: &VisitPlan) -> Result<Visit> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE visits SET visitor_id = $1, planned_on = $2, purpose = $3, version = version + 1, updated_at = $4
            WHERE id = $5 AND version = $6")
        .bind(plan.visitor_id)
        .bind(ymd(plan.planned_on))
        .bind(plan.purpose.as_str())
        .bind(now)
        .bind(before.id)
        .bind(before.version),
        "the visit was changed meanwhile",
    )
    .await?;
    crate::search::index(
        &mut tx,
        &[visit_doc(
            before.id,
            before.partner_id,
            before.created_at,
            &plan.purpose,
            before.findings.as_deref().unwrap_or(""),
        )],
        false,
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "visit.update",
            "visit",
            before.id,
            json!({"visitor_id": plan.visitor_id, "planned_on": plan.planned_on}),
        ),
    )
    .await?;
    find_visit(db, before.id).await
}

/// The report (§2.2.2): the visit is done, with its findings, problems and action items, all
/// in one transaction with its audit entry.
pub async fn report_visit(db: &Db, actor: Uuid, before: &Visit, r: &VisitReport) -> Result<Visit> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE visits SET state = 'done', visited_on = $1, findings = $2, problems = $3, reported_at = $4,
            version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6")
        .bind(ymd(r.visited_on))
        .bind(r.findings.as_str())
        .bind(r.problems.as_str())
        .bind(now)
        .bind(before.id)
        .bind(before.version),
        "the visit was changed meanwhile",
    )
    .await?;
    let tasks = crate::meetings::insert_tasks(&mut tx, now, actor, &r.actions).await?;
    crate::search::index(
        &mut tx,
        &[visit_doc(
            before.id,
            before.partner_id,
            before.created_at,
            &before.purpose,
            &r.findings,
        )],
        false,
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "visit.report",
            "visit",
            before.id,
            json!({"partner_id": before.partner_id, "visited_on": r.visited_on, "tasks": tasks.len()}),
        ),
    )
    .await?;
    find_visit(db, before.id).await
}

pub async fn cancel_visit(db: &Db, actor: Uuid, before: &Visit) -> Result<Visit> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q(
            "UPDATE visits SET state = 'cancelled', version = version + 1, updated_at = $1
            WHERE id = $2 AND version = $3",
        )
        .bind(now)
        .bind(before.id)
        .bind(before.version),
        "the visit was changed meanwhile",
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "visit.cancel",
            "visit",
            before.id,
            json!({"partner_id": before.partner_id}),
        ),
    )
    .await?;
    find_visit(db, before.id).await
}

/// An active partner with its last reported visit and its next planned one.
#[derive(Debug, Clone, Serialize)]
pub struct PartnerVisits {
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub tier: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub partner_since: DateTime<Utc>,
    pub last_visit: Option<NaiveDate>,
    pub next_planned: Option<NaiveDate>,
}

impl FromDbRow for PartnerVisits {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(PartnerVisits {
            partner_id: r.uuid("partner_id")?,
            partner_code: r.text("partner_code")?,
            partner_name: r.text("partner_name")?,
            tier: r.text("tier")?,
            owner_id: r.opt_uuid("owner_id")?,
            owner_name: r.opt_text("owner_name")?,
            partner_since: r.time("partner_since")?,
            last_visit: opt_day(r, "last_visit")?,
            next_planned: opt_day(r, "next_planned")?,
        })
    }
}

/// Every active partner (or one) with its last `done` visit and next planned one, one query.
pub async fn last_visits(db: &Db, partner: Option<Uuid>) -> Result<Vec<PartnerVisits>> {
    let mut query = Q::dynamic(
        "SELECT p.id AS partner_id, p.code AS partner_code, p.name AS partner_name, p.tier,
                p.owner_id, u.name AS owner_name, p.created_at AS partner_since,
                (SELECT MAX(v.visited_on) FROM visits v WHERE v.partner_id = p.id AND v.state = 'done') AS last_visit,
                (SELECT MIN(v.planned_on) FROM visits v WHERE v.partner_id = p.id AND v.state = 'planned') AS next_planned
           FROM partners p LEFT JOIN users u ON u.id = p.owner_id
          WHERE p.status = 'active'"
            .into(),
    );
    query.and_some("p.id =", partner);
    query.push_sql(" ORDER BY p.tier, p.code");
    db.fetch_all(query).await
}

/// Records the overdue notice for `partner` and `due_on` with the people told, unless it was
/// given already (once per partner and due day, across workers). Whether it was given now.
pub async fn claim_visit_warning(
    db: &Db,
    partner: Uuid,
    due_on: NaiveDate,
    told: &[NewNotification],
) -> Result<bool> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("INSERT INTO visit_warnings (partner_id, due_on, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(partner)
                .bind(ymd(due_on))
                .bind(now),
        )
        .await?;
    if n == 1 {
        crate::notify::insert(&mut tx, now, told).await?;
    }
    tx.commit().await?;
    Ok(n == 1)
}

// ---- Visit photos ----

#[derive(Debug, Clone, Serialize)]
pub struct VisitFile {
    pub id: Uuid,
    pub visit_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

from_row!(VisitFile; id: uuid, visit_id: uuid, filename: text, content_type: text, size: i64,
    sha256: text, created_at: time);

/// Adds a photo (or document) to a visit; its type is checked against its bytes
/// (`attachment::check_type`) and the bytes are sealed.
pub async fn insert_visit_file(
    db: &Db,
    actor: Uuid,
    visit: Uuid,
    filename: &str,
    bytes: &[u8],
) -> Result<VisitFile> {
    let name = crate::attachment::clean_name(filename)
        .map_err(|m| DbError::Invalid(liaison_core::FieldErrors::single("filename", m)))?;
    let ct = crate::attachment::check_type(&name, bytes)
        .map_err(|m| DbError::Invalid(liaison_core::FieldErrors::single("file", m)))?;
    let id = Uuid::now_v7();
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let sealed = db.seal("visit_files:content", id, &b64)?;
    let sha = crate::sha256_hex(bytes);
    let size = bytes.len() as i64;
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO visit_files (id, visit_id, filename, content_type, size, sha256, content, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id)
        .bind(visit)
        .bind(name.as_str())
        .bind(ct)
        .bind(size)
        .bind(sha.as_str())
        .bind(sealed)
        .bind(actor)
        .bind(now),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::by(
            actor,
            "visit.file",
            "visit",
            visit,
            json!({"file": id, "filename": name, "size": size}),
        ),
    )
    .await?;
    Ok(VisitFile {
        id,
        visit_id: visit,
        filename: name,
        content_type: ct.to_string(),
        size,
        sha256: sha,
        created_at: now,
    })
}

pub async fn list_visit_files(db: &Db, visit: Uuid) -> Result<Vec<VisitFile>> {
    db.fetch_all(
        q(
            "SELECT id, visit_id, filename, content_type, size, sha256, created_at FROM visit_files
            WHERE visit_id = $1 ORDER BY id",
        )
        .bind(visit),
    )
    .await
}

/// One photo's metadata and bytes.
pub async fn read_visit_file(db: &Db, visit: Uuid, id: Uuid) -> Result<(VisitFile, Vec<u8>)> {
    struct Data(VisitFile, String);
    impl FromDbRow for Data {
        fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
            Ok(Data(VisitFile::from_row(r)?, r.text("content")?))
        }
    }
    let d: Data = db
        .fetch_optional(
            q("SELECT id, visit_id, filename, content_type, size, sha256, created_at, content FROM visit_files
                WHERE visit_id = $1 AND id = $2")
            .bind(visit)
            .bind(id),
        )
        .await?
        .ok_or(DbError::NotFound)?;
    let b64 = db.open("visit_files:content", id, &d.1)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| DbError::Config(format!("a stored file does not decode: {e}")))?;
    Ok((d.0, bytes))
}

// ---- Calls ----

#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub contact_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub user_id: Uuid,
    pub user_name: String,
    pub at: DateTime<Utc>,
    pub direction: CallDirection,
    pub duration_minutes: i64,
    pub summary: String,
    pub delivery_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

impl FromDbRow for Call {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Call {
            id: r.uuid("id")?,
            partner_id: r.uuid("partner_id")?,
            partner_code: r.text("partner_code")?,
            partner_name: r.text("partner_name")?,
            contact_id: r.opt_uuid("contact_id")?,
            contact_name: r.opt_text("contact_name")?,
            user_id: r.uuid("user_id")?,
            user_name: r.opt_text("user_name")?.unwrap_or_default(),
            at: r.time("at")?,
            direction: decode("direction", CallDirection::parse(&r.text("direction")?))?,
            duration_minutes: r.i64("duration_minutes")?,
            summary: r.text("summary")?,
            delivery_id: r.opt_uuid("delivery_id")?,
            ticket_id: r.opt_uuid("ticket_id")?,
            created_at: r.time("created_at")?,
        })
    }
}

const CALLS: &str = "SELECT k.id, k.partner_id, p.code AS partner_code, p.name AS partner_name,
    k.contact_id, c.name AS contact_name, k.user_id, u.name AS user_name, k.at, k.direction,
    k.duration_minutes, k.summary, k.delivery_id, k.ticket_id, k.created_at
    FROM calls k JOIN partners p ON p.id = k.partner_id LEFT JOIN contacts c ON c.id = k.contact_id
    LEFT JOIN users u ON u.id = k.user_id";

/// A call to log (§2.2.3).
#[derive(Debug, Clone)]
pub struct NewCall {
    pub partner_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub direction: CallDirection,
    pub duration_minutes: i64,
    pub summary: String,
    /// The phone delivery this call carried out: marked done (`sent_at`).
    pub delivery_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
}

pub async fn find_call(db: &Db, id: Uuid) -> Result<Call> {
    db.fetch_optional(Q::dynamic(format!("{CALLS} WHERE k.id = $1")).bind(id))
        .await?
        .ok_or(DbError::NotFound)
}

#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub partner: Option<Uuid>,
    pub user: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    /// Before this time.
    pub to: Option<DateTime<Utc>>,
}

/// Calls, newest first.
pub async fn list_calls(db: &Db, f: &CallFilter, limit: i64) -> Result<Vec<Call>> {
    let mut query = Q::dynamic(format!("{CALLS} WHERE 1 = 1"));
    query.and_some("k.partner_id =", f.partner);
    query.and_some("k.user_id =", f.user);
    query.and_some("k.at >=", f.from);
    query.and_some("k.at <", f.to);
    query.push_sql(" ORDER BY k.at DESC, k.id DESC");
    let l = query.arg(limit);
    query.push_sql(&format!(" LIMIT {l}"));
    db.fetch_all(query).await
}

/// Logs a call with its follow-up tasks; a phone delivery it carried out (of the same
/// partner, on the phone channel, not yet done) is marked done in the same transaction.
pub async fn insert_call(
    db: &Db,
    actor: Uuid,
    c: &NewCall,
    follow_ups: &[NewTask],
) -> Result<Call> {
    let id = Uuid::now_v7();
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO calls (id, partner_id, contact_id, user_id, at, direction, duration_minutes, summary,
            delivery_id, ticket_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(id)
        .bind(c.partner_id)
        .bind(c.contact_id)
        .bind(actor)
        .bind(c.at)
        .bind(c.direction.as_str())
        .bind(c.duration_minutes)
        .bind(c.summary.as_str())
        .bind(c.delivery_id)
        .bind(c.ticket_id)
        .bind(now),
    )
    .await?;
    if let Some(d) = c.delivery_id {
        let n = tx
            .execute(
                q(
                    "UPDATE deliveries SET sent_at = $1 WHERE id = $2 AND partner_id = $3
                    AND channel = 'phone' AND state = 'manual' AND sent_at IS NULL",
                )
                .bind(c.at)
                .bind(d)
                .bind(c.partner_id),
            )
            .await?;
        if n == 0 {
            return Err(DbError::Invalid(liaison_core::FieldErrors::single(
                "delivery_id",
                liaison_core::validate::Msg::new("validate.invalid"),
            )));
        }
    }
    let tasks: Vec<NewTask> = follow_ups
        .iter()
        .cloned()
        .map(|mut t| {
            t.call_id = Some(id);
            t
        })
        .collect();
    let task_ids = crate::meetings::insert_tasks(&mut tx, now, actor, &tasks).await?;
    let title = c
        .summary
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(80)
        .collect::<String>();
    crate::search::index(
        &mut tx,
        &[crate::search::Doc::new(
            id,
            Kind::Call,
            Some(c.partner_id),
            c.at,
            &title,
            &[],
            &[&c.summary],
        )],
        true,
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "call.create",
            "call",
            Some(id),
            json!({"partner_id": c.partner_id, "direction": c.direction, "delivery_id": c.delivery_id,
                   "ticket_id": c.ticket_id, "tasks": task_ids.len()}),
        ),
    )
    .await?;
    find_call(db, id).await
}

/// Whether `delivery` is a phone delivery of `partner` still to be made.
pub async fn phone_delivery_open(db: &Db, partner: Uuid, delivery: Uuid) -> Result<bool> {
    let n: Option<i64> = db
        .fetch_optional(
            q(
                "SELECT CAST(1 AS BIGINT) FROM deliveries WHERE id = $1 AND partner_id = $2
                AND channel = 'phone' AND state = 'manual' AND sent_at IS NULL",
            )
            .bind(delivery)
            .bind(partner),
        )
        .await?;
    Ok(n.is_some())
}
