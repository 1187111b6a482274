//! Request forms, the review chain and dispatch (policy §4.1-§4.3; SPEC B1, B2, B5). A request
//! moves through the states `liaison_core::review` defines; final approval freezes its content
//! into a message and writes one delivery row per recipient contact and channel in one
//! set-based statement, in the same transaction (the outbox channels will drain).

use crate::audit::{self, Entry};
use crate::{Backend, Db, DbError, FromDbRow, Q, Result, RowExt, Tx, q};
use chrono::{DateTime, Utc};
use liaison_core::request::{RequestForm, RequestInput};
use liaison_core::review::{self, ChainFacts, Decision, DecisionContext, RequestState, Step};
use liaison_core::{Actor, FieldErrors, Role};
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

impl FromDbRow for Review {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.uuid("id")?,
            step: r.text("step")?,
            reviewer_id: r.uuid("reviewer_id")?,
            reviewer_name: r.opt_text("reviewer_name")?,
            decision: r.text("decision")?,
            comment: r.text("comment")?,
            created_at: r.time("created_at")?,
        })
    }
}

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
    pub findings: Vec<String>,
    pub message_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviews: Vec<Review>,
    /// Recipients a confidential message was not delivered to, and why (§7.1.2).
    pub held_back: Vec<serde_json::Value>,
    /// The form as stored when it is encrypted, until `open` decrypts it.
    #[serde(skip)]
    sealed_form: Option<String>,
}

fn decode<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(s).map_err(|e| sqlx::Error::Decode(e.into()))
}

impl FromDbRow for Request {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let state = r.text("state")?;
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
            state: RequestState::parse(&state).map_err(|e| sqlx::Error::Decode(e.into()))?,
            chain: chain
                .split(',')
                .filter(|s| !s.is_empty())
                .map(Step::parse)
                .collect::<Result<_, _>>()
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            findings: decode(&r.text("findings")?)?,
            message_id: r.opt_uuid("message_id")?,
            version: r.i64("version")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
            submitted_at: r.opt_time("submitted_at")?,
            reviews: Vec::new(),
            held_back: Vec::new(),
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
        db.cipher()?
            .encrypt(&format!("requests:form:{id}"), &text)
            .map_err(|e| DbError::Config(e.to_string()))
    } else {
        Ok(text)
    }
}

/// Decrypts a sealed form.
fn open(db: &Db, mut r: Request) -> Result<Request> {
    if let Some(sealed) = r.sealed_form.take() {
        let text = db
            .cipher()?
            .decrypt(&format!("requests:form:{}", r.id), &sealed)
            .map_err(|e| DbError::Config(e.to_string()))?;
        r.form = serde_json::from_str(&text).map_err(|e| DbError::Config(e.to_string()))?;
    }
    Ok(r)
}

fn entry<'a>(actor: Uuid, action: &'a str, id: Uuid, detail: serde_json::Value) -> Entry<'a> {
    Entry {
        actor_id: Some(actor),
        action,
        entity: "request",
        entity_id: Some(id),
        partner_id: None,
        detail,
    }
}

/// Creates a draft. Drafts may be incomplete; what is there must be valid.
pub async fn insert_request(db: &Db, actor: &Actor, input: &RequestInput) -> Result<Request> {
    let form = input.parse(false, db.now())?;
    let id = Uuid::now_v7();
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO requests (id, requester_id, department_id, title, form, category, importance, classification,
              state, chain, findings, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '[]', 1, $10, $11)")
        .bind(id)
        .bind(actor.user_id)
        .bind(actor.department_id)
        .bind(form.title.as_str())
        .bind(form_json(db, id, input, &form)?)
        .bind(form.category.as_str())
        .bind(form.importance.as_str())
        .bind(form.classification.as_str())
        .bind(RequestState::Draft.as_str())
        .bind(now)
        .bind(now),
    )
    .await?;
    audit::append(
        &mut tx,
        now,
        entry(
            actor.user_id,
            "request.create",
            id,
            json!({"title": form.title}),
        ),
    )
    .await?;
    tx.commit().await?;
    find_request(db, id).await
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
                return Ok(Vec::new());
            }
            let me = query.arg(actor.user_id);
            query.push_sql(&format!(
                " AND ({}) AND r.requester_id <> {me}",
                states.join(" OR ")
            ));
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
impl FromDbRow for HeldRow {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(decode(&r.text("held_back")?)?))
    }
}

fn not_allowed(e: review::ReviewError) -> DbError {
    DbError::Invalid(FieldErrors::single("state", e.to_string()))
}

/// Changes a draft or returned request (its requester only).
pub async fn update_request(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: RequestInput,
    expected_version: Option<i64>,
) -> Result<Request> {
    let current = find_request(db, id).await?;
    if current.requester_id != actor.user_id {
        return Err(DbError::Forbidden);
    }
    if !current.state.editable() {
        return Err(not_allowed(review::ReviewError::NotEditable(
            current.state,
            "changed",
        )));
    }
    let input = current.form.clone().overlay(patch);
    let form = input.parse(false, db.now())?;
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE requests SET title = $1, form = $2, category = $3, importance = $4, classification = $5,
                 version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8")
            .bind(form.title.as_str())
            .bind(form_json(db, id, &input, &form)?)
            .bind(form.category.as_str())
            .bind(form.importance.as_str())
            .bind(form.classification.as_str())
            .bind(now)
            .bind(id)
            .bind(expected_version.unwrap_or(current.version)),
        )
        .await?;
    if n == 0 {
        return Err(DbError::Conflict(
            "the request was changed by someone else; reload and try again".into(),
        ));
    }
    audit::append(
        &mut tx,
        now,
        entry(
            actor.user_id,
            "request.update",
            id,
            json!({"title": form.title}),
        ),
    )
    .await?;
    tx.commit().await?;
    find_request(db, id).await
}

/// Settings the review needs.
#[derive(Debug, Clone)]
pub struct ReviewSettings {
    /// §3.1.2: a policy change announced with fewer days' notice needs an executive.
    pub policy_notice_days: i64,
    /// Words the compliance pre-check flags (§4.2.1).
    pub sensitive_terms: Vec<String>,
    /// Steps that need every eligible reviewer's approval rather than any one's.
    pub need_all_steps: Vec<Step>,
}

impl Default for ReviewSettings {
    fn default() -> Self {
        Self {
            policy_notice_days: 14,
            sensitive_terms: [
                "绝密",
                "内部价",
                "底价",
                "保证收益",
                "返现",
                "internal price",
                "guaranteed return",
                "kickback",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            need_all_steps: Vec::new(),
        }
    }
}

/// The automatic pre-check shown to the channel reviewer (§4.2.1, §1.3.1, SPEC B3).
pub fn precheck(
    form: &RequestForm,
    settings: &ReviewSettings,
    now: DateTime<Utc>,
    segment_count: usize,
) -> Vec<String> {
    let mut f = Vec::new();
    let text = format!("{}\n{}\n{}", form.title, form.purpose, form.body).to_lowercase();
    for t in &settings.sensitive_terms {
        if !t.is_empty() && text.contains(&t.to_lowercase()) {
            f.push(format!("sensitive term: {t}"));
        }
    }
    for vague in ["待定", "大概", "可能会", "tbd", "to be confirmed"] {
        if text.contains(vague) {
            f.push(format!("vague wording: {vague}"));
        }
    }
    if form.purpose.trim().is_empty() {
        f.push("missing purpose".into());
    }
    use liaison_core::review::Classification;
    let sounds_confidential = ["保密", "机密", "confidential", "价格", "price"]
        .iter()
        .any(|w| text.contains(w));
    if sounds_confidential && form.classification < Classification::Confidential {
        f.push(format!(
            "classification {} may be too low for this content",
            form.classification
        ));
    }
    if form.classification.needs_nda() && segment_count > 0 {
        f.push(
            "confidential content addressed to a segment: check the circle of recipients (§7.2.2)"
                .into(),
        );
    }
    if review::short_notice(
        form.category,
        form.effective_at,
        now,
        settings.policy_notice_days,
    ) {
        f.push(format!(
            "policy change announced less than {} days before it takes effect: needs executive approval (§3.1.2)",
            settings.policy_notice_days
        ));
    }
    f
}

/// Submits a draft or returned request into its review chain.
pub async fn submit(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    settings: &ReviewSettings,
) -> Result<Request> {
    let current = find_request(db, id).await?;
    if current.requester_id != actor.user_id {
        return Err(DbError::Forbidden);
    }
    if !current.state.editable() {
        return Err(not_allowed(review::ReviewError::NotEditable(
            current.state,
            "submitted",
        )));
    }
    let now = db.now();
    let form = current.form.parse(true, now)?;
    let chain = review::steps(ChainFacts {
        requester_is_dept_head: actor.roles.has(Role::DeptHead) && actor.department_id.is_some(),
        importance: form.importance,
        classification: form.classification,
        short_notice_policy_change: review::short_notice(
            form.category,
            form.effective_at,
            now,
            settings.policy_notice_days,
        ),
    });
    if let Some(original) = form.corrects {
        let found: Option<i64> = db
            .fetch_optional(q("SELECT COUNT(*) FROM messages WHERE id = $1").bind(original))
            .await?
            .filter(|n| *n > 0);
        if found.is_none() {
            return Err(DbError::Invalid(FieldErrors::single(
                "corrects",
                "is not a message that was sent",
            )));
        }
    }
    let findings = precheck(&form, settings, now, form.audience.segments.len());
    let state = review::submitted_state(&chain);
    let chain_text = chain
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE requests SET state = $1, chain = $2, findings = $3, submitted_at = $4, updated_at = $4,
                 version = version + 1 WHERE id = $5 AND version = $6")
            .bind(state.as_str())
            .bind(chain_text.as_str())
            .bind(serde_json::to_string(&findings).map_err(|e| DbError::Config(e.to_string()))?)
            .bind(now)
            .bind(id)
            .bind(current.version),
        )
        .await?;
    if n == 0 {
        return Err(DbError::Conflict(
            "the request changed while you submitted it; reload".into(),
        ));
    }
    audit::append(
        &mut tx,
        now,
        entry(
            actor.user_id,
            "request.submit",
            id,
            json!({"chain": chain_text, "findings": findings}),
        ),
    )
    .await?;
    tx.commit().await?;
    find_request(db, id).await
}

/// The requester takes a request back before it is decided.
pub async fn withdraw(db: &Db, actor: &Actor, id: Uuid) -> Result<Request> {
    let current = find_request(db, id).await?;
    if current.requester_id != actor.user_id {
        return Err(DbError::Forbidden);
    }
    if current.state.step().is_none() && !current.state.editable() {
        return Err(not_allowed(review::ReviewError::NotPending(current.state)));
    }
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE requests SET state = 'withdrawn', version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
                .bind(now)
                .bind(id)
                .bind(current.version),
        )
        .await?;
    if n == 0 {
        return Err(DbError::Conflict(
            "the request was decided meanwhile; reload".into(),
        ));
    }
    audit::append(
        &mut tx,
        now,
        entry(actor.user_id, "request.withdraw", id, json!({})),
    )
    .await?;
    tx.commit().await?;
    find_request(db, id).await
}

/// One reviewer's decision on the current step; on final approval the message is dispatched
/// (now, or when `send_at` comes).
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    decision: Decision,
    comment: &str,
) -> Result<Request> {
    let current = find_request(db, id).await?;
    let step = current
        .state
        .step()
        .ok_or_else(|| not_allowed(review::ReviewError::NotPending(current.state)))?;
    review::may_decide(
        &DecisionContext {
            actor,
            requester_id: current.requester_id,
            requester_department: current.department_id,
        },
        step,
    )
    .map_err(|e| match e {
        review::ReviewError::OwnRequest | review::ReviewError::NotEligible(_) => DbError::Forbidden,
        other => not_allowed(other),
    })?;
    let mut next = review::decide(current.state, &current.chain, decision, comment)
        .map_err(|e| DbError::Invalid(FieldErrors::single("comment", e.to_string())))?;
    // A step set to need everyone stays until every eligible reviewer has approved it in this
    // round (since the last submission); any one rejection or return still decides.
    let settings = crate::settings::review(db).await?;
    if decision == Decision::Approve && settings.need_all_steps.contains(&step) {
        let round_start = current.submitted_at.unwrap_or(current.created_at);
        let approved: Vec<Uuid> = current
            .reviews
            .iter()
            .filter(|r| {
                r.step == step.as_str() && r.decision == "approve" && r.created_at >= round_start
            })
            .map(|r| r.reviewer_id)
            .collect();
        if approved.contains(&actor.user_id) {
            return Err(DbError::Conflict(
                "you have already approved this step".into(),
            ));
        }
        let eligible: Vec<Uuid> = crate::user::list_users(db)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| u.actor())
            .filter(|a| {
                review::may_decide(
                    &DecisionContext {
                        actor: a,
                        requester_id: current.requester_id,
                        requester_department: current.department_id,
                    },
                    step,
                )
                .is_ok()
            })
            .map(|a| a.user_id)
            .collect();
        let outstanding = eligible
            .iter()
            .filter(|u| **u != actor.user_id && !approved.contains(u))
            .count();
        if outstanding > 0 {
            next = current.state;
        }
    }
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("UPDATE requests SET state = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
                .bind(next.as_str())
                .bind(now)
                .bind(id)
                .bind(current.version),
        )
        .await?;
    if n == 0 {
        return Err(DbError::Conflict(
            "someone else decided this step first; reload".into(),
        ));
    }
    tx.execute(
        q("INSERT INTO reviews (id, request_id, step, reviewer_id, decision, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(Uuid::now_v7())
            .bind(id)
            .bind(step.as_str())
            .bind(actor.user_id)
            .bind(decision.as_str())
            .bind(comment.trim())
            .bind(now),
    )
    .await?;
    audit::append(
        &mut tx,
        now,
        entry(actor.user_id, "request.review", id, json!({"step": step.as_str(), "decision": decision.as_str(), "comment": comment.trim(), "state": next.as_str()})),
    )
    .await?;
    if next == RequestState::Approved {
        crate::events::emit(
            &mut tx,
            now,
            "request.approved",
            json!({"request_id": id, "title": current.title, "approved_by": actor.user_id}),
        )
        .await?;
        let form = current.form.parse(true, now)?;
        if form.send_at.is_none_or(|t| t <= now) {
            dispatch(db, &mut tx, id, &form, actor.user_id, now).await?;
        }
    }
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
    dispatch(db, &mut tx, r.id, &form, r.requester_id, now).await?;
    tx.commit().await?;
    db.wake_workers();
    Ok(true)
}

/// Freezes the content as a message and writes every delivery in one statement (§4.3).
/// Confidential and secret bodies are encrypted, and reach only contacts with a valid NDA;
/// the others are listed as held back (§7.1.2, §7.2.1). A correction goes to everyone who
/// received the message it corrects (§1.3.1).
async fn dispatch(
    db: &Db,
    tx: &mut Tx,
    request_id: Uuid,
    form: &RequestForm,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let message_id = Uuid::now_v7();
    let body = if form.classification.needs_nda() {
        db.cipher()?
            .encrypt(&format!("messages:body:{message_id}"), &form.body)
            .map_err(|e| DbError::Config(e.to_string()))?
    } else {
        form.body.clone()
    };
    tx.execute(
        q("INSERT INTO messages (id, request_id, title, body, category, importance, urgency, classification,
              ack_required, ack_due_at, corrects_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(message_id)
        .bind(request_id)
        .bind(form.title.as_str())
        .bind(body)
        .bind(form.category.as_str())
        .bind(form.importance.as_str())
        .bind(form.urgency.as_str())
        .bind(form.classification.as_str())
        .bind(form.ack_required)
        .bind(form.ack_due_at)
        .bind(form.corrects)
        .bind(now),
    )
    .await?;
    // Only the title of a confidential message is searchable: its body stays sealed.
    let plain = (!form.classification.needs_nda()).then_some(form.body.as_str());
    crate::search::index(
        tx,
        &[crate::search::message_doc(
            message_id,
            form.title.as_str(),
            plain,
            now,
        )],
        true,
    )
    .await?;
    let mut query = Q::dynamic(String::new());
    let m = query.arg(message_id);
    // Delivery ids: the message id's first 10 bytes (its time) and a 6-byte row number, so they
    // are unique, ascend within a message and keep the UUIDv7 layout.
    let new_id = match tx.backend() {
        Backend::Sqlite => {
            format!("unhex(substr(hex({m}), 1, 20) || printf('%012X', ROW_NUMBER() OVER ()))")
        }
        Backend::Postgres => format!(
            "CAST(substr(replace(CAST({m} AS TEXT), '-', ''), 1, 20) || lpad(to_hex(ROW_NUMBER() OVER ()), 12, '0') AS UUID)"
        ),
    };
    let t = query.arg(now);
    // The audience: every contact of the named partners, of the partners the segments match
    // now, the named contacts, and the recipients of a corrected message.
    let mut who: Vec<String> = Vec::new();
    if !form.audience.partners.is_empty() {
        let ph: Vec<String> = form
            .audience
            .partners
            .iter()
            .map(|p| query.arg(*p))
            .collect();
        who.push(format!("c.partner_id IN ({})", ph.join(", ")));
    }
    if !form.audience.contacts.is_empty() {
        let ph: Vec<String> = form
            .audience
            .contacts
            .iter()
            .map(|p| query.arg(*p))
            .collect();
        who.push(format!("c.id IN ({})", ph.join(", ")));
    }
    if let Some(original) = form.corrects {
        let o = query.arg(original);
        who.push(format!(
            "c.id IN (SELECT o.contact_id FROM deliveries o WHERE o.message_id = {o})"
        ));
    }
    for seg in &form.audience.segments {
        let filter: Option<SegmentFilter> = tx
            .fetch_optional(q("SELECT filter FROM segments WHERE id = $1").bind(*seg))
            .await?;
        if let Some(SegmentFilter(f)) = filter {
            // push_filter appends " AND ..." with its values bound to this same query.
            let start = query.sql().len();
            crate::partner::push_filter(&mut query, liaison_core::Scope::All, &f);
            let cond = query.sql()[start..].to_string();
            who.push(format!(
                "c.partner_id IN (SELECT p.id FROM partners p WHERE 1 = 1{cond})"
            ));
        }
    }
    if who.is_empty() {
        return Err(DbError::Invalid(FieldErrors::single(
            "audience",
            "no recipients",
        )));
    }
    let who = who.join(" OR ");
    let channel_rows: Vec<String> = form
        .channels
        .iter()
        .map(|c| format!("SELECT {} AS channel", query.arg(c.as_str())))
        .collect();
    let nda = crate::nda::valid_nda_sql(&t);
    let gate = if form.classification.needs_nda() {
        format!(" AND {nda}")
    } else {
        String::new()
    };
    let held_back: Vec<serde_json::Value> = if form.classification.needs_nda() {
        let sql = format!(
            "SELECT c.id, c.name, p.code FROM contacts c JOIN partners p ON p.id = c.partner_id
              WHERE ({who}) AND NOT {nda} ORDER BY p.code, c.id"
        );
        tx.fetch_all::<HeldContact>(query.clone().replace_sql(sql))
            .await?
            .into_iter()
            .map(|h| {
                json!({"contact_id": h.0, "contact_name": h.1, "partner_code": h.2,
                       "reason": format!("no valid NDA for {} content", form.classification)})
            })
            .collect()
    } else {
        Vec::new()
    };
    let sql = format!(
        "INSERT INTO deliveries (id, message_id, partner_id, contact_id, channel, state, created_at, late, next_at)
         SELECT {new_id}, {m}, c.partner_id, c.id, ch.channel,
                CASE ch.channel WHEN 'portal' THEN 'delivered' WHEN 'phone' THEN 'manual' ELSE 'queued' END, {t}, {f},
                CASE WHEN ch.channel IN ('portal', 'phone') THEN NULL ELSE {t} END
           FROM contacts c CROSS JOIN ({channels}) ch
          WHERE ({who}){gate}
            AND (ch.channel = 'portal' OR (',' || c.preferred_channels || ',') LIKE ('%,' || ch.channel || ',%'))",
        f = match tx.backend() {
            Backend::Sqlite => "0",
            Backend::Postgres => "FALSE",
        },
        channels = channel_rows.join(" UNION ALL "),
    );
    let deliveries = tx.execute(query.replace_sql(sql)).await?;
    tx.execute(
        q("UPDATE messages SET held_back = $1 WHERE id = $2")
            .bind(serde_json::to_string(&held_back).map_err(|e| DbError::Config(e.to_string()))?)
            .bind(message_id),
    )
    .await?;
    tx.execute(
        q("UPDATE requests SET state = 'dispatched', message_id = $1, version = version + 1, updated_at = $2 WHERE id = $3")
            .bind(message_id)
            .bind(now)
            .bind(request_id),
    )
    .await?;
    tx.notify_work().await?;
    crate::events::emit(
        tx,
        now,
        "message.dispatched",
        json!({"message_id": message_id, "request_id": request_id, "deliveries": deliveries,
               "classification": form.classification.as_str(), "ack_required": form.ack_required,
               "ack_due_at": form.ack_due_at}),
    )
    .await?;
    audit::append(tx, now, Entry {
        actor_id: Some(actor),
        action: "message.dispatch",
        entity: "message",
        entity_id: Some(message_id),
        partner_id: None,
        detail: json!({"request_id": request_id, "deliveries": deliveries, "held_back": held_back.len(), "corrects": form.corrects}),
    })
    .await?;
    Ok(message_id)
}

struct HeldContact(Uuid, String, String);
impl FromDbRow for HeldContact {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.uuid("id")?, r.text("name")?, r.text("code")?))
    }
}

struct SegmentFilter(liaison_core::partner::PartnerFilter);
impl FromDbRow for SegmentFilter {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(decode(&r.text("filter")?)?))
    }
}
