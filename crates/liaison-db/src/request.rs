//! Request forms, the review chain and dispatch (policy §4.1-§4.3; SPEC B1, B2, B5). A request
//! moves through the states `liaison_core::review` defines; final approval freezes its content
//! into a message and writes one delivery row per recipient contact and channel in one
//! set-based statement, in the same transaction (the outbox channels will drain).

use crate::audit::{self, Entry};
use crate::query::{json as decode, parsed};
use crate::{Db, DbError, FromDbRow, Q, Result, RowExt, q};
use chrono::{DateTime, Utc};
use liaison_core::request::{RequestForm, RequestInput};
use liaison_core::review::{Decision, RequestState, Step};
use liaison_core::{Actor, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub id: Uuid,
    pub step: String,
    pub reviewer_id: Uuid,
    pub reviewer_name: Option<String>,
    pub decision: String,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

from_row!(Review; id: uuid, step: text, reviewer_id: uuid, reviewer_name: opt_text,
    decision: text, comment: text, created_at: time);

#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub id: Uuid,
    pub requester_id: Uuid,
    pub requester_name: Option<String>,
    pub department_id: Option<Uuid>,
    pub title: String,
    pub form: RequestInput,
    pub state: RequestState,
    pub chain: Vec<Step>,
    pub findings: Vec<liaison_core::precheck::Finding>,
    pub message_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviews: Vec<Review>,
    /// Recipients a confidential message was not delivered to, and why (§7.1.2).
    pub held_back: Vec<serde_json::Value>,
    /// §7.2.2: the reader is outside a confidential request's circle and sees its title only
    /// (the form is withheld: `liaison_app::access`).
    pub restricted: bool,
    /// The form as stored when it is encrypted, until `open` decrypts it.
    #[serde(skip)]
    sealed_form: Option<String>,
}

impl FromDbRow for Request {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let chain = r.text("chain")?;
        let form = r.text("form")?;
        Ok(Self {
            id: r.uuid("id")?,
            requester_id: r.uuid("requester_id")?,
            requester_name: r.opt_text("requester_name")?,
            department_id: r.opt_uuid("department_id")?,
            title: r.text("title")?,
            form: if crate::crypto::is_encrypted(&form) {
                RequestInput::default()
            } else {
                decode(&form)?
            },
            state: parsed(RequestState::parse)(r.text("state")?)?,
            chain: chain
                .split(',')
                .filter(|s| !s.is_empty())
                .map(Step::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            findings: decode(r.text("findings")?)?,
            message_id: r.opt_uuid("message_id")?,
            version: r.i64("version")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
            submitted_at: r.opt_time("submitted_at")?,
            reviews: Vec::new(),
            held_back: Vec::new(),
            restricted: false,
            sealed_form: crate::crypto::is_encrypted(&form).then_some(form),
        })
    }
}

const SELECT: &str = "SELECT r.id, r.requester_id, u.name AS requester_name, r.department_id, r.title, r.form,
        r.state, r.chain, r.findings, r.message_id, r.version, r.created_at, r.updated_at, r.submitted_at
   FROM requests r LEFT JOIN users u ON u.id = r.requester_id";

/// The form as stored: confidential and secret forms are encrypted (§7.2.1).
fn form_json(db: &Db, id: Uuid, input: &RequestInput, form: &RequestForm) -> Result<String> {
    let text = serde_json::to_string(input).map_err(|e| DbError::Config(e.to_string()))?;
    if form.classification.needs_nda() {
        db.seal("requests:form", id, &text)
    } else {
        Ok(text)
    }
}

/// Decrypts a sealed form.
fn open(db: &Db, mut r: Request) -> Result<Request> {
    if let Some(sealed) = r.sealed_form.take() {
        let text = db.open("requests:form", r.id, &sealed)?;
        r.form = serde_json::from_str(&text).map_err(|e| DbError::Config(e.to_string()))?;
    }
    Ok(r)
}

fn entry<'a>(actor: Uuid, action: &'a str, id: Uuid, detail: serde_json::Value) -> Entry<'a> {
    Entry::by(actor, action, "request", id, detail)
}

/// Who is told of a change, in its transaction: new notifications, and whether the request's
/// "waiting for your review" ones are settled (the step no longer waits).
struct Told<'a> {
    notify: &'a [crate::notify::NewNotification],
    settle: bool,
}

/// A change to the request `id` by `actor`: `statement` (given the time) is guarded by the
/// version the caller read, so a lost update is a conflict that says `why`; recorded as `action`.
/// Returns the request as it is now.
#[allow(clippy::too_many_arguments)]
async fn write_versioned(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    statement: impl FnOnce(DateTime<Utc>) -> Q,
    why: &str,
    action: &str,
    detail: serde_json::Value,
    told: Told<'_>,
) -> Result<Request> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(statement(now), why).await?;
    if told.settle {
        crate::notify::settle_reviews(&mut tx, now, id).await?;
    }
    crate::notify::insert(&mut tx, now, told.notify).await?;
    tx.commit_audited(now, entry(actor, action, id, detail))
        .await?;
    find_request(db, id).await
}

/// Creates a draft. Drafts may be incomplete; what is there must be valid.
pub async fn insert_request(db: &Db, actor: &Actor, input: &RequestInput) -> Result<Request> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let (id, title) = insert_draft(db, &mut tx, actor, input, now).await?;
    tx.commit_audited(
        now,
        entry(actor.user_id, "request.create", id, json!({"title": title})),
    )
    .await?;
    find_request(db, id).await
}

/// The draft's row in `tx` (the caller audits and commits): for writes that create a request
/// with something else, such as a policy version (issue 11). Returns its id and title.
pub(crate) async fn insert_draft(
    db: &Db,
    tx: &mut crate::Tx,
    actor: &Actor,
    input: &RequestInput,
    now: DateTime<Utc>,
) -> Result<(Uuid, String)> {
    let form = input.parse(false, now)?;
    let id = Uuid::now_v7();
    let stored = form_json(db, id, input, &form)?;
    tx.execute_one(
        q("INSERT INTO requests (id, requester_id, department_id, title, form, category, importance, classification,
              state, chain, findings, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '[]', 1, $10, $11)")
        .bind(id)
        .bind(actor.user_id)
        .bind(actor.department_id)
        .bind(form.title.as_str())
        .bind(stored)
        .bind(form.category.as_str())
        .bind(form.importance.as_str())
        .bind(form.classification.as_str())
        .bind(RequestState::Draft.as_str())
        .bind(now)
        .bind(now),
    )
    .await?;
    Ok((id, form.title))
}

pub async fn find_request(db: &Db, id: Uuid) -> Result<Request> {
    let mut r: Request = db
        .fetch_optional(Q::dynamic(format!("{SELECT} WHERE r.id = $1")).bind(id))
        .await?
        .ok_or(DbError::NotFound)?;
    r = open(db, r)?;
    if let Some(m) = r.message_id {
        let held: Option<HeldRow> = db
            .fetch_optional(q("SELECT held_back FROM messages WHERE id = $1").bind(m))
            .await?;
        r.held_back = held.map(|h| h.0).unwrap_or_default();
    }
    r.reviews = db
        .fetch_all(
            q("SELECT v.id, v.step, v.reviewer_id, u.name AS reviewer_name, v.decision, v.comment, v.created_at
                 FROM reviews v LEFT JOIN users u ON u.id = v.reviewer_id WHERE v.request_id = $1 ORDER BY v.id")
            .bind(id),
        )
        .await?;
    Ok(r)
}

/// Which requests a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestView {
    /// The caller's own requests.
    Mine,
    /// Requests waiting for a step the caller may decide.
    ToReview,
    /// Everything (channel management, executives, admins).
    All,
}

/// Adds to `query` (over `requests r`) the requests waiting for a step `actor` may decide;
/// `false` (nothing added) when they decide none.
pub(crate) fn to_review(query: &mut Q, actor: &Actor) -> bool {
    let mut states = Vec::new();
    if actor.roles.has(Role::DeptHead) && actor.department_id.is_some() {
        let d = query.arg(actor.department_id);
        states.push(format!(
            "(r.state = 'pending_dept_head' AND r.department_id = {d})"
        ));
    }
    if actor.roles.has(Role::ChannelManager) {
        states.push("r.state = 'pending_channel_review'".to_string());
    }
    if actor.roles.has(Role::Executive) {
        states.push("r.state = 'pending_executive'".to_string());
    }
    if states.is_empty() {
        return false;
    }
    let me = query.arg(actor.user_id);
    query.push_sql(&format!(
        " AND ({}) AND r.requester_id <> {me}",
        states.join(" OR ")
    ));
    true
}

pub async fn list_requests(
    db: &Db,
    actor: &Actor,
    view: RequestView,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Request>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    match view {
        RequestView::Mine => {
            let a = query.arg(actor.user_id);
            query.push_sql(&format!(" AND r.requester_id = {a}"));
        }
        RequestView::ToReview => {
            if !to_review(&mut query, actor) {
                return Ok(Vec::new());
            }
        }
        RequestView::All => {}
    }
    if let Some(b) = before {
        let a = query.arg(b);
        query.push_sql(&format!(" AND r.id < {a}"));
    }
    let l = query.arg(limit);
    query.push_sql(&format!(" ORDER BY r.id DESC LIMIT {l}"));
    db.fetch_all(query)
        .await?
        .into_iter()
        .map(|r| open(db, r))
        .collect()
}

struct HeldRow(Vec<serde_json::Value>);
from_row!(HeldRow(held_back: text => decode));

/// Writes a changed draft or returned request, guarded by `expected_version` (a lost update is
/// a conflict). Who may change it and in which state is the service layer's decision.
pub async fn update_request(
    db: &Db,
    actor: Uuid,
    current: &Request,
    patch: RequestInput,
    expected_version: Option<i64>,
) -> Result<Request> {
    let id = current.id;
    let input = current.form.clone().overlay(patch);
    let form = input.parse(false, db.now())?;
    let stored = form_json(db, id, &input, &form)?;
    write_versioned(
        db,
        actor,
        id,
        |now| {
            q("UPDATE requests SET title = $1, form = $2, category = $3, importance = $4, classification = $5,
                 version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8")
            .bind(form.title.as_str())
            .bind(stored)
            .bind(form.category.as_str())
            .bind(form.importance.as_str())
            .bind(form.classification.as_str())
            .bind(now)
            .bind(id)
            .bind(expected_version.unwrap_or(current.version))
        },
        "the request was changed by someone else; reload and try again",
        "request.update",
        json!({"title": form.title}),
        Told {
            notify: &[],
            settle: false,
        },
    )
    .await
}

/// Whether `id` is a message that was sent (a correction must name one, §1.3.1).
pub async fn message_exists(db: &Db, id: Uuid) -> Result<bool> {
    let found: Option<i64> = db
        .fetch_optional(q("SELECT COUNT(*) FROM messages WHERE id = $1").bind(id))
        .await?;
    Ok(found.is_some_and(|n| n > 0))
}

/// Records a submission: the state its chain starts in, the chain and the pre-check findings.
pub async fn mark_submitted(
    db: &Db,
    actor: Uuid,
    current: &Request,
    state: RequestState,
    chain: &[Step],
    findings: &[liaison_core::precheck::Finding],
    notify: &[crate::notify::NewNotification],
) -> Result<Request> {
    let id = current.id;
    let chain_text = chain
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let findings_text =
        serde_json::to_string(findings).map_err(|e| DbError::Config(e.to_string()))?;
    write_versioned(
        db,
        actor,
        id,
        |now| {
            q("UPDATE requests SET state = $1, chain = $2, findings = $3, submitted_at = $4, updated_at = $4,
                 version = version + 1 WHERE id = $5 AND version = $6")
            .bind(state.as_str())
            .bind(chain_text.as_str())
            .bind(findings_text)
            .bind(now)
            .bind(id)
            .bind(current.version)
        },
        "the request changed while you submitted it; reload",
        "request.submit",
        json!({"chain": chain_text, "findings": findings}),
        Told {
            notify,
            settle: false,
        },
    )
    .await
}

/// Records that the requester took the request back.
pub async fn mark_withdrawn(db: &Db, actor: Uuid, current: &Request) -> Result<Request> {
    let id = current.id;
    write_versioned(
        db,
        actor,
        id,
        |now| {
            q("UPDATE requests SET state = 'withdrawn', version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
                .bind(now)
                .bind(id)
                .bind(current.version)
        },
        "the request was decided meanwhile; reload",
        "request.withdraw",
        json!({}),
        Told {
            notify: &[],
            settle: true,
        },
    )
    .await
}

/// One reviewer's decision as the service layer ruled it: the review row, the request's next
/// state and, when `dispatch` holds the frozen form, the message and its deliveries, and the
/// people told, all in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn record_decision(
    db: &Db,
    actor: Uuid,
    current: &Request,
    step: Step,
    decision: Decision,
    comment: &str,
    next: RequestState,
    dispatch: Option<&RequestForm>,
    notify: &[crate::notify::NewNotification],
) -> Result<Request> {
    let id = current.id;
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE requests SET state = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
            .bind(next.as_str())
            .bind(now)
            .bind(id)
            .bind(current.version),
        "someone else decided this step first; reload",
    )
    .await?;
    tx.execute(
        q("INSERT INTO reviews (id, request_id, step, reviewer_id, decision, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(Uuid::now_v7())
            .bind(id)
            .bind(step.as_str())
            .bind(actor)
            .bind(decision.as_str())
            .bind(comment.trim())
            .bind(now),
    )
    .await?;
    audit::append(
        &mut tx,
        now,
        entry(actor, "request.review", id, json!({"step": step.as_str(), "decision": decision.as_str(), "comment": comment.trim(), "state": next.as_str()})),
    )
    .await?;
    if next == RequestState::Approved {
        crate::events::emit(
            &mut tx,
            now,
            "request.approved",
            json!({"request_id": id, "title": current.title, "approved_by": actor}),
        )
        .await?;
        if let Some(form) = dispatch {
            crate::delivery::insert_dispatch(db, &mut tx, id, form, actor, now).await?;
        }
    }
    crate::notify::settle_reviews(&mut tx, now, id).await?;
    crate::notify::insert(&mut tx, now, notify).await?;
    tx.commit().await?;
    db.wake_workers();
    find_request(db, id).await
}

/// Dispatches approved requests whose `send_at` has come; returns how many.
pub async fn dispatch_due(db: &Db) -> Result<usize> {
    let now = db.now();
    let due: Vec<Request> = db
        .fetch_all(Q::dynamic(format!(
            "{SELECT} WHERE r.state = 'approved' ORDER BY r.id LIMIT 1000"
        )))
        .await?;
    let mut n = 0;
    for r in due {
        let id = r.id;
        // One request that can no longer be sent must not hold up the others (nor the
        // reminders that run after this sweep): it is logged and stays approved.
        match dispatch_one(db, r, now).await {
            Ok(true) => n += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(request = %id, error = %e, "an approved request cannot be sent")
            }
        }
    }
    Ok(n)
}

/// Dispatches one approved request if its time has come; whether it did.
async fn dispatch_one(db: &Db, r: Request, now: DateTime<Utc>) -> Result<bool> {
    let r = open(db, r)?;
    // The rules that depend on the time (a deadline in the future) held when it was submitted
    // and approved; a request that waited for its send time is not stranded by them.
    let form = r.form.parse(true, r.submitted_at.unwrap_or(now))?;
    if form.send_at.is_some_and(|t| t > now) {
        return Ok(false);
    }
    let mut tx = db.begin().await?;
    // Take the request first: on PostgreSQL this row lock makes a second worker's sweep wait
    // and then find it no longer approved, so it is sent once.
    let taken = tx
        .execute(
            q("UPDATE requests SET version = version + 1 WHERE id = $1 AND state = 'approved'")
                .bind(r.id),
        )
        .await?;
    if taken == 0 {
        return Ok(false);
    }
    crate::delivery::insert_dispatch(db, &mut tx, r.id, &form, r.requester_id, now).await?;
    tx.commit().await?;
    db.wake_workers();
    Ok(true)
}
