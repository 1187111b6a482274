//! Replies and the closed loop (policy §4.4, §4.1.2; SPEC B4, B7). A partner user replies to a
//! message it received or opens a thread of its own; the thread lands with the responsible
//! staff (the requester of the message, else the partner's channel manager). States:
//!
//! - `open`: waiting for the company (new, or the partner wrote last);
//! - `answered`: the company wrote last; the first company answer stamps `first_answer_at`;
//! - `closed`: done. Staff close; the partner may close its own. A partner's reply reopens it.
//!
//! Visibility: a partner user sees its own partner's threads; staff see the threads assigned to
//! them, and channel management, executives and admins see all (`Permission::ReadAllThreads`).
//! Anything else is not found. Replies to confidential or secret messages are encrypted at rest
//! like the message (§7.2.1).

use crate::audit::{self, Entry};
use crate::partner::IdRow;
use crate::query::parsed;
use crate::{Db, DbError, FromDbRow, Q, Result, RowExt, Tx, q};
use chrono::{DateTime, Utc};
use liaison_core::review::{Category, Classification};
use liaison_core::validate::Msg;
use liaison_core::validate::required_text;
use liaison_core::{Actor, FieldErrors, Permission, Scope};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// Longest subject, in characters.
pub const SUBJECT_MAX: usize = 200;
/// Longest post, in characters.
pub const BODY_MAX: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadState {
    Open,
    Answered,
    Closed,
}

impl ThreadState {
    pub const ALL: [ThreadState; 3] = [
        ThreadState::Open,
        ThreadState::Answered,
        ThreadState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ThreadState::Open => "open",
            ThreadState::Answered => "answered",
            ThreadState::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| format!("'{}' is not one of open, answered, closed", s.trim()))
    }
}

/// One message in a thread.
#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: Uuid,
    pub author_id: Uuid,
    pub author_name: Option<String>,
    /// Written by the partner (else by company staff).
    pub from_partner: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

from_row!(Post; id: uuid, author_id: uuid, author_name: opt_text, from_partner: bool, body: text,
    created_at: time);

#[derive(Debug, Clone, Serialize)]
pub struct Thread {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    /// The message this thread replies to; none for a thread the partner opened on its own.
    pub message_id: Option<Uuid>,
    pub message_title: Option<String>,
    /// The request the message came from (staff link to it).
    pub request_id: Option<Uuid>,
    pub subject: String,
    pub category: String,
    pub classification: String,
    /// The responsible staff member.
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub state: ThreadState,
    pub created_by: Uuid,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_answer_at: Option<DateTime<Utc>>,
    /// Time to first answer: `first_answer_at - created_at`, in seconds.
    pub first_answer_seconds: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
    pub post_count: i64,
    /// The posts, oldest first (only when one thread is shown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posts: Option<Vec<Post>>,
}

impl FromDbRow for Thread {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let created_at = r.time("created_at")?;
        let first_answer_at = r.opt_time("first_answer_at")?;
        Ok(Self {
            id: r.uuid("id")?,
            partner_id: r.uuid("partner_id")?,
            partner_code: r.text("partner_code")?,
            partner_name: r.text("partner_name")?,
            message_id: r.opt_uuid("message_id")?,
            message_title: r.opt_text("message_title")?,
            request_id: r.opt_uuid("request_id")?,
            subject: r.text("subject")?,
            category: r.text("category")?,
            classification: r.text("classification")?,
            assignee_id: r.opt_uuid("assignee_id")?,
            assignee_name: r.opt_text("assignee_name")?,
            state: parsed(ThreadState::parse)(r.text("state")?)?,
            created_by: r.uuid("created_by")?,
            created_by_name: r.opt_text("created_by_name")?,
            created_at,
            updated_at: r.time("updated_at")?,
            first_answer_at,
            first_answer_seconds: first_answer_at.map(|t| (t - created_at).num_seconds()),
            closed_at: r.opt_time("closed_at")?,
            post_count: r.i64("post_count")?,
            posts: None,
        })
    }
}

const SELECT: &str =
    "SELECT t.id, t.partner_id, p.code AS partner_code, p.name AS partner_name, t.message_id,
        m.title AS message_title, m.request_id, t.subject, t.category, t.classification, t.assignee_id,
        a.name AS assignee_name, t.state, t.created_by, c.name AS created_by_name, t.created_at,
        t.updated_at, t.first_answer_at, t.closed_at,
        (SELECT COUNT(*) FROM thread_posts x WHERE x.thread_id = t.id) AS post_count
   FROM threads t JOIN partners p ON p.id = t.partner_id
   LEFT JOIN messages m ON m.id = t.message_id
   LEFT JOIN users a ON a.id = t.assignee_id
   LEFT JOIN users c ON c.id = t.created_by
  WHERE 1 = 1";

/// Which threads a staff list shows; partner users always see their partner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadView {
    /// Assigned to the caller.
    Mine,
    /// Every thread the caller may see.
    All,
}

/// Appends the caller's visibility to a query over `threads t`.
pub(crate) fn push_visibility(query: &mut Q, actor: &Actor, view: ThreadView) {
    if actor.is_partner() {
        match actor.scope() {
            Scope::Partner(p) => query.and("t.partner_id =", p),
            Scope::All | Scope::Nothing => query.push_sql(" AND 1 = 0"),
        }
    } else if !actor.can(Permission::UseConsole) {
        query.push_sql(" AND 1 = 0");
    } else if view == ThreadView::Mine || !actor.can(Permission::ReadAllThreads) {
        query.and("t.assignee_id =", actor.user_id);
    }
}

fn needs_sealing(classification: &str) -> bool {
    Classification::parse(classification).is_ok_and(|c| c.needs_nda())
}

fn body_field(body: &str) -> Result<String> {
    required_text(body, BODY_MAX).map_err(|m| DbError::Invalid(FieldErrors::single("body", m)))
}

/// A thread the caller may see, with its posts.
pub async fn find_thread(db: &Db, actor: &Actor, id: Uuid) -> Result<Thread> {
    let mut query = Q::dynamic(SELECT.to_string());
    query.and("t.id =", id);
    push_visibility(&mut query, actor, ThreadView::All);
    let mut t: Thread = db.fetch_one(query).await?;
    let mut posts: Vec<Post> = db
        .fetch_all(
            q("SELECT x.id, x.author_id, u.name AS author_name, x.from_partner, x.body, x.created_at
                 FROM thread_posts x LEFT JOIN users u ON u.id = x.author_id
                WHERE x.thread_id = $1 ORDER BY x.id")
            .bind(id),
        )
        .await?;
    for p in &mut posts {
        if crate::crypto::is_encrypted(&p.body) {
            p.body = db.open("thread_posts:body", p.id, &p.body)?;
        }
    }
    t.posts = Some(posts);
    Ok(t)
}

/// The caller's threads on one message, oldest first, with their posts (a partner's questions
/// and the answers under the message it asked about).
pub async fn on_message(db: &Db, actor: &Actor, message: Uuid) -> Result<Vec<Thread>> {
    let mut query = Q::dynamic("SELECT t.id FROM threads t WHERE 1 = 1".to_string());
    let m = query.arg(message);
    query.push_sql(&format!(" AND t.message_id = {m}"));
    push_visibility(&mut query, actor, ThreadView::All);
    query.push_sql(" ORDER BY t.id");
    let ids: Vec<IdRow> = db.fetch_all(query).await?;
    let mut out = Vec::with_capacity(ids.len());
    for IdRow(id) in ids {
        out.push(find_thread(db, actor, id).await?);
    }
    Ok(out)
}

/// Threads the caller may see, newest first; `before` is the last id of the previous page.
pub async fn list_threads(
    db: &Db,
    actor: &Actor,
    view: ThreadView,
    state: Option<ThreadState>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Thread>> {
    let mut query = Q::dynamic(SELECT.to_string());
    push_visibility(&mut query, actor, view);
    query.and_some("t.state =", state.map(ThreadState::as_str));
    query.and_some("t.id <", before);
    query.order_limit("t.id DESC", limit);
    db.fetch_all(query).await
}

/// How many threads the caller may see are in each state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub open: i64,
    pub answered: i64,
    pub closed: i64,
}

struct CountRow(String, i64);
from_row!(CountRow(state: text, n: i64));

pub async fn counts(db: &Db, actor: &Actor, view: ThreadView) -> Result<Counts> {
    let mut query =
        Q::dynamic("SELECT t.state, COUNT(*) AS n FROM threads t WHERE 1 = 1".to_string());
    push_visibility(&mut query, actor, view);
    query.push_sql(" GROUP BY t.state");
    let mut c = Counts::default();
    for CountRow(state, n) in db.fetch_all::<CountRow>(query).await? {
        match state.as_str() {
            "open" => c.open = n,
            "answered" => c.answered = n,
            "closed" => c.closed = n,
            _ => {}
        }
    }
    Ok(c)
}

/// The secret threads `actor` counts in `view` (few; each is judged against its message's
/// circle by the caller, §7.2.2), at most 500.
pub async fn secret_threads(db: &Db, actor: &Actor, view: ThreadView) -> Result<Vec<Thread>> {
    let mut query = Q::dynamic(SELECT.to_string());
    push_visibility(&mut query, actor, view);
    query.push_sql(" AND t.classification = 'secret'");
    query.order_limit("t.id DESC", 500);
    db.fetch_all(query).await
}

struct Responsible(Option<Uuid>);
from_row!(Responsible(id: opt_uuid));

/// Who answers: the requester of the message if still active, else the partner's channel
/// manager (its owner) if active, else nobody in particular (channel management sees it).
async fn responsible(tx: &mut Tx, requester: Option<Uuid>, partner: Uuid) -> Result<Option<Uuid>> {
    let r: Option<Responsible> = tx
        .fetch_optional(
            q("SELECT COALESCE(
                    (SELECT u.id FROM users u WHERE u.id = $1 AND u.active AND u.partner_id IS NULL),
                    (SELECT o.id FROM partners p JOIN users o ON o.id = p.owner_id WHERE p.id = $2 AND o.active)
                ) AS id")
            .bind(requester)
            .bind(partner),
        )
        .await?;
    Ok(r.and_then(|r| r.0))
}

/// Records `action` by `actor` on the thread `id` of `partner` (the partner's history shows it).
async fn audit_thread(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    (id, partner): (Uuid, Uuid),
    detail: serde_json::Value,
) -> Result<()> {
    let entry = Entry::by(actor.user_id, action, "thread", id, detail).of_partner(partner);
    audit::append(tx, now, entry).await?;
    Ok(())
}

/// Writes one post; the body is sealed when the thread is confidential.
async fn insert_post(
    db: &Db,
    tx: &mut Tx,
    thread: Uuid,
    classification: &str,
    actor: &Actor,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let stored = if needs_sealing(classification) {
        db.seal("thread_posts:body", id, body)?
    } else {
        body.to_string()
    };
    tx.execute(
        q(
            "INSERT INTO thread_posts (id, thread_id, author_id, from_partner, body, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(thread)
        .bind(actor.user_id)
        .bind(actor.is_partner())
        .bind(stored)
        .bind(now),
    )
    .await?;
    crate::search::index_thread(tx, thread).await?;
    if actor.is_partner() {
        crate::events::emit(
            tx,
            now,
            "reply.received",
            serde_json::json!({"thread_id": thread, "post_id": id, "partner_id": actor.partner_id,
                               "author_id": actor.user_id}),
        )
        .await?;
    }
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn insert_thread(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    partner: Uuid,
    message: Option<Uuid>,
    requester: Option<Uuid>,
    subject: &str,
    category: &str,
    classification: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    let assignee = responsible(tx, requester, partner).await?;
    tx.execute(
        q("INSERT INTO threads (id, partner_id, message_id, subject, category, classification, assignee_id,
              state, created_by, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10)")
        .bind(id)
        .bind(partner)
        .bind(message)
        .bind(subject)
        .bind(category)
        .bind(classification)
        .bind(assignee)
        .bind(actor.user_id)
        .bind(now)
        .bind(now),
    )
    .await?;
    let post = insert_post(db, tx, id, classification, actor, body, now).await?;
    let detail = json!({"message_id": message, "post_id": post, "assignee_id": assignee,
                        "category": category, "subject": subject});
    audit_thread(tx, now, actor, "thread.create", (id, partner), detail).await?;
    Ok(id)
}

struct MessageRow {
    title: String,
    category: String,
    classification: String,
    requester_id: Uuid,
}

from_row!(MessageRow; title: text, category: text, classification: text, requester_id: uuid);

/// A partner user replies to a message delivered to its partner (§4.4.1): the reply joins the
/// partner's unclosed thread on that message, or starts one with the message's requester.
/// Returns the thread and whether it is new. Another partner's message is not found.
pub async fn reply_to_message(
    db: &Db,
    actor: &Actor,
    partner: Uuid,
    message: Uuid,
    body: &str,
    email_at: DateTime<Utc>,
) -> Result<(Thread, bool)> {
    let m: MessageRow = db
        .fetch_optional(
            q("SELECT m.title, m.category, m.classification, r.requester_id
                 FROM messages m JOIN requests r ON r.id = m.request_id
                WHERE m.id = $1
                  AND EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.partner_id = $2)")
            .bind(message)
            .bind(partner),
        )
        .await?
        .ok_or(DbError::NotFound)?;
    let body = body_field(body)?;
    let now = db.now();
    let mut tx = db.begin().await?;
    let existing: Option<IdRow> = tx
        .fetch_optional(
            q("SELECT id FROM threads WHERE partner_id = $1 AND message_id = $2 AND state <> 'closed'
                ORDER BY id DESC LIMIT 1")
            .bind(partner)
            .bind(message),
        )
        .await?;
    let (id, created) = match existing {
        Some(IdRow(id)) => {
            partner_post(
                db,
                &mut tx,
                actor,
                partner,
                id,
                &m.classification,
                &body,
                now,
            )
            .await?;
            (id, false)
        }
        None => {
            let subject: String = format!("Re: {}", m.title)
                .chars()
                .take(SUBJECT_MAX)
                .collect();
            let id = insert_thread(
                db,
                &mut tx,
                actor,
                partner,
                Some(message),
                Some(m.requester_id),
                &subject,
                &m.category,
                &m.classification,
                &body,
                now,
            )
            .await?;
            (id, true)
        }
    };
    tell_of_post(&mut tx, id, true, email_at, now).await?;
    tx.commit().await?;
    Ok((find_thread(db, actor, id).await?, created))
}

/// A partner user opens a thread of its own (§4.1.2, SPEC B4); it lands with the partner's
/// channel manager. `category` defaults to `other`.
pub async fn open_thread(
    db: &Db,
    actor: &Actor,
    partner: Uuid,
    subject: &str,
    body: &str,
    category: &str,
    email_at: DateTime<Utc>,
) -> Result<Thread> {
    let mut e = FieldErrors::new();
    let subject = e.take("subject", required_text(subject, SUBJECT_MAX));
    let body = e.take("body", required_text(body, BODY_MAX));
    let category = e.take(
        "category",
        Category::parse(if category.trim().is_empty() {
            "other"
        } else {
            category
        }),
    );
    let (Some(subject), Some(body), Some(category)) = (subject, body, category) else {
        return Err(DbError::Invalid(e));
    };
    let now = db.now();
    let mut tx = db.begin().await?;
    let id = insert_thread(
        db,
        &mut tx,
        actor,
        partner,
        None,
        None,
        &subject,
        category.as_str(),
        Classification::Internal.as_str(),
        &body,
        now,
    )
    .await?;
    tell_of_post(&mut tx, id, true, email_at, now).await?;
    tx.commit().await?;
    find_thread(db, actor, id).await
}

struct PostFacts {
    subject: String,
    assignee_id: Option<Uuid>,
    partner_code: String,
}

from_row!(PostFacts; subject: text, assignee_id: opt_uuid, partner_code: text);

struct AuthorRow(Uuid);
impl FromDbRow for AuthorRow {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.uuid("author_id")?))
    }
}

/// Tells whoever `liaison_core::notify::told_of_post` names of a new post, in the post's
/// transaction.
async fn tell_of_post(
    tx: &mut Tx,
    thread: Uuid,
    from_partner: bool,
    email_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let facts: PostFacts = tx
        .fetch_one(
            q("SELECT t.subject, t.assignee_id, p.code AS partner_code
                 FROM threads t JOIN partners p ON p.id = t.partner_id WHERE t.id = $1")
            .bind(thread),
        )
        .await?;
    let authors: Vec<Uuid> = tx
        .fetch_all::<AuthorRow>(
            q("SELECT DISTINCT author_id FROM thread_posts WHERE thread_id = $1 AND from_partner")
                .bind(thread),
        )
        .await?
        .into_iter()
        .map(|a| a.0)
        .collect();
    let (kind, people) =
        liaison_core::notify::told_of_post(from_partner, facts.assignee_id, &authors);
    let items: Vec<_> = people
        .into_iter()
        .map(|user_id| crate::notify::NewNotification {
            user_id,
            kind,
            args: json!({"subject": facts.subject, "partner": facts.partner_code}),
            link: liaison_core::notify::thread_link(kind, thread),
            urgent: false,
            email_at: Some(email_at),
        })
        .collect();
    crate::notify::insert(tx, now, &items).await
}

/// The partner writes: the thread waits for the company again (reopened if it was closed).
#[allow(clippy::too_many_arguments)]
async fn partner_post(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    partner: Uuid,
    id: Uuid,
    classification: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let before: Option<StateRow> = tx
        .fetch_optional(q("SELECT state FROM threads WHERE id = $1").bind(id))
        .await?;
    let reopened = before.is_some_and(|s| s.0 == "closed");
    tx.execute(
        q("UPDATE threads SET state = 'open', closed_at = NULL, updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id),
    )
    .await?;
    let post = insert_post(db, tx, id, classification, actor, body, now).await?;
    let detail =
        json!({"post_id": post, "from_partner": true, "state": "open", "reopened": reopened});
    audit_thread(tx, now, actor, "thread.reply", (id, partner), detail).await
}

struct StateRow(String);
from_row!(StateRow(state: text));

fn closed_error() -> DbError {
    DbError::Invalid(FieldErrors::single(
        "state",
        Msg::new("validate.thread_closed"),
    ))
}

/// Adds a post to a thread the caller may see. From the partner it reopens the thread; from
/// staff it answers it (the first company answer is the time to first answer).
pub async fn reply(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    body: &str,
    email_at: DateTime<Utc>,
) -> Result<Thread> {
    let t = find_thread(db, actor, id).await?;
    let body = body_field(body)?;
    let now = db.now();
    let mut tx = db.begin().await?;
    if actor.is_partner() {
        partner_post(
            db,
            &mut tx,
            actor,
            t.partner_id,
            id,
            &t.classification,
            &body,
            now,
        )
        .await?;
    } else {
        if t.state == ThreadState::Closed {
            return Err(closed_error());
        }
        let n = tx
            .execute(
                q("UPDATE threads SET state = 'answered', first_answer_at = COALESCE(first_answer_at, $1),
                     updated_at = $1 WHERE id = $2 AND state <> 'closed'")
                .bind(now)
                .bind(id),
            )
            .await?;
        if n == 0 {
            return Err(closed_error());
        }
        let post = insert_post(db, &mut tx, id, &t.classification, actor, &body, now).await?;
        let detail = json!({"post_id": post, "from_partner": false, "state": "answered",
                            "first_answer": t.first_answer_at.is_none()});
        audit_thread(
            &mut tx,
            now,
            actor,
            "thread.reply",
            (id, t.partner_id),
            detail,
        )
        .await?;
    }
    tell_of_post(&mut tx, id, actor.is_partner(), email_at, now).await?;
    tx.commit().await?;
    find_thread(db, actor, id).await
}

/// Closes a thread the caller may see (staff, or the partner its own). Closing a closed thread
/// changes nothing.
pub async fn close(db: &Db, actor: &Actor, id: Uuid) -> Result<Thread> {
    let t = find_thread(db, actor, id).await?;
    if t.state != ThreadState::Closed {
        let now = db.now();
        let mut tx = db.begin().await?;
        let n = tx
            .execute(
                q(
                    "UPDATE threads SET state = 'closed', closed_at = $1, updated_at = $1
                    WHERE id = $2 AND state <> 'closed'",
                )
                .bind(now)
                .bind(id),
            )
            .await?;
        if n > 0 {
            let detail = json!({"from_partner": actor.is_partner(), "previous": t.state.as_str()});
            audit_thread(
                &mut tx,
                now,
                actor,
                "thread.close",
                (id, t.partner_id),
                detail,
            )
            .await?;
        }
        tx.commit().await?;
    }
    find_thread(db, actor, id).await
}
