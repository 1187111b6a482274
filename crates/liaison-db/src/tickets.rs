//! Problem tickets (policy §3.4; SPEC D10, D11): the rows of tickets, their timeline, files,
//! watchers and SLA breaches, the routing rules and root-cause taxonomy an admin edits, and
//! the mails read from the reply mailbox. Every change to a ticket goes through [`apply`]: the
//! ticket's new fields, its timeline entries, files, breaches and the people told, in one
//! transaction guarded by the version the caller read. Who may do what is decided by the
//! service layer; confidential tickets' texts are sealed here.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::search::Doc;
use crate::{Db, DbError, FromDbRow, Q, Result, RowExt, Tx, q};
use base64::Engine;
use chrono::{DateTime, Utc};
use liaison_core::Scope;
use liaison_core::review::Classification;
use liaison_core::search::Kind;
use liaison_core::tickets::{
    EventKind, Route, SlaClock, TicketKind, TicketPriority, TicketSettings, TicketState, TicketVia,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// One SLA clock that ran out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    pub clock: SlaClock,
    pub due_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ticket {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub region: String,
    pub partner_owner_id: Option<Uuid>,
    pub raised_by: Uuid,
    pub raised_by_name: Option<String>,
    pub via: TicketVia,
    pub kind: TicketKind,
    pub priority: TicketPriority,
    pub product_id: Option<Uuid>,
    pub product_name: Option<String>,
    pub product_category: Option<String>,
    pub product_text: Option<String>,
    pub subject: String,
    /// Markdown; left out of lists (the ticket's own answer has it).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub classification: Classification,
    pub state: TicketState,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    pub department_head_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub first_response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_minutes: i64,
    pub warned_first: bool,
    pub warned_resolution: bool,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Left out of lists, like the description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    pub root_cause: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub rating: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTime<Utc>>,
    pub reopen_count: i64,
    pub merged_into: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The clocks that ran out, filled by the finders.
    #[serde(default)]
    pub breached: Vec<Breach>,
}

impl FromDbRow for Ticket {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        fn parsed<T>(
            r: std::result::Result<T, liaison_core::validate::Msg>,
        ) -> Result<T, sqlx::Error> {
            r.map_err(|m| sqlx::Error::Decode(m.key().to_string().into()))
        }
        Ok(Ticket {
            id: r.uuid("id")?,
            partner_id: r.uuid("partner_id")?,
            partner_code: r.text("partner_code")?,
            partner_name: r.text("partner_name")?,
            region: r.text("region")?,
            partner_owner_id: r.opt_uuid("partner_owner_id")?,
            raised_by: r.uuid("raised_by")?,
            raised_by_name: r.opt_text("raised_by_name")?,
            via: parsed(TicketVia::parse(&r.text("via")?))?,
            kind: parsed(TicketKind::parse(&r.text("kind")?))?,
            priority: parsed(TicketPriority::parse(&r.text("priority")?))?,
            product_id: r.opt_uuid("product_id")?,
            product_name: r.opt_text("product_name")?,
            product_category: r.opt_text("product_category")?,
            product_text: r.opt_text("product_text")?,
            subject: r.text("subject")?,
            description: r.text("description")?,
            classification: parsed(Classification::parse(&r.text("classification")?))?,
            state: parsed(TicketState::parse(&r.text("state")?))?,
            department_id: r.opt_uuid("department_id")?,
            department_name: r.opt_text("department_name")?,
            department_head_id: r.opt_uuid("department_head_id")?,
            assignee_id: r.opt_uuid("assignee_id")?,
            assignee_name: r.opt_text("assignee_name")?,
            first_response_at: r.opt_time("first_response_at")?,
            first_response_due_at: r.opt_time("first_response_due_at")?,
            resolution_due_at: r.opt_time("resolution_due_at")?,
            paused_at: r.opt_time("paused_at")?,
            paused_minutes: r.i64("paused_minutes")?,
            warned_first: r.bool("warned_first")?,
            warned_resolution: r.bool("warned_resolution")?,
            resolved_at: r.opt_time("resolved_at")?,
            resolution: r.opt_text("resolution")?,
            root_cause: r.opt_text("root_cause")?,
            closed_at: r.opt_time("closed_at")?,
            rating: r.opt_i64("rating")?,
            rating_comment: r.opt_text("rating_comment")?,
            rated_at: r.opt_time("rated_at")?,
            reopen_count: r.i64("reopen_count")?,
            merged_into: r.opt_uuid("merged_into")?,
            version: r.i64("version")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
            breached: Vec::new(),
        })
    }
}

const SELECT: &str = "SELECT t.id, t.partner_id, p.code AS partner_code, p.name AS partner_name,
    p.region, p.owner_id AS partner_owner_id, t.raised_by, ru.name AS raised_by_name, t.via,
    t.kind, t.priority, t.product_id, pr.name_zh AS product_name, pr.category AS product_category,
    t.product_text, t.subject, t.description, t.classification, t.state, t.department_id,
    d.name AS department_name, d.head_user_id AS department_head_id, t.assignee_id,
    au.name AS assignee_name, t.first_response_at, t.first_response_due_at, t.resolution_due_at,
    t.paused_at, t.paused_minutes, t.warned_first, t.warned_resolution, t.resolved_at,
    t.resolution, t.root_cause, t.closed_at, t.rating, t.rating_comment, t.rated_at,
    t.reopen_count, t.merged_into, t.version, t.created_at, t.updated_at
    FROM tickets t JOIN partners p ON p.id = t.partner_id
    LEFT JOIN users ru ON ru.id = t.raised_by
    LEFT JOIN products pr ON pr.id = t.product_id
    LEFT JOIN departments d ON d.id = t.department_id
    LEFT JOIN users au ON au.id = t.assignee_id";

/// The same columns for a list: the long texts (description, resolution, comment) are left
/// out, so a page of 25 reads and sends what a queue shows and opens nothing sealed.
fn list_select() -> String {
    SELECT
        .replace("t.description,", "'' AS description,")
        .replace("t.resolution,", "CAST(NULL AS TEXT) AS resolution,")
        .replace("t.rating_comment,", "CAST(NULL AS TEXT) AS rating_comment,")
}

fn sealed(c: Classification) -> bool {
    c.needs_nda()
}

/// Opens the sealed texts of a confidential ticket.
fn open_ticket(db: &Db, mut t: Ticket) -> Result<Ticket> {
    if sealed(t.classification) {
        if !t.description.is_empty() {
            t.description = db.open("tickets:description", t.id, &t.description)?;
        }
        if let Some(r) = &t.resolution {
            t.resolution = Some(db.open("tickets:resolution", t.id, r)?);
        }
        if let Some(c) = &t.rating_comment {
            t.rating_comment = Some(db.open("tickets:rating_comment", t.id, c)?);
        }
    }
    Ok(t)
}

struct BreachRow(Uuid, Breach);
impl FromDbRow for BreachRow {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let clock = SlaClock::parse(&r.text("clock")?)
            .map_err(|m| sqlx::Error::Decode(m.key().to_string().into()))?;
        Ok(BreachRow(
            r.uuid("ticket_id")?,
            Breach {
                clock,
                due_at: r.time("due_at")?,
                recorded_at: r.time("recorded_at")?,
            },
        ))
    }
}

async fn with_breaches(db: &Db, tickets: Vec<Ticket>) -> Result<Vec<Ticket>> {
    if tickets.is_empty() {
        return Ok(tickets);
    }
    let mut query = Q::dynamic(String::new());
    let ids = query.in_list(tickets.iter().map(|t| t.id));
    query.push_sql(&format!(
        "SELECT ticket_id, clock, due_at, recorded_at FROM ticket_breaches WHERE ticket_id IN {ids} ORDER BY due_at"
    ));
    let rows: Vec<BreachRow> = db.fetch_all(query).await?;
    let mut by: HashMap<Uuid, Vec<Breach>> = HashMap::new();
    for BreachRow(id, b) in rows {
        by.entry(id).or_default().push(b);
    }
    let mut out = Vec::with_capacity(tickets.len());
    for mut t in tickets {
        t.breached = by.remove(&t.id).unwrap_or_default();
        out.push(open_ticket(db, t)?);
    }
    Ok(out)
}

pub async fn find_ticket(db: &Db, id: Uuid) -> Result<Ticket> {
    let t: Ticket = db
        .fetch_one(Q::dynamic(format!("{SELECT} WHERE t.id = $1")).bind(id))
        .await?;
    let mut v = with_breaches(db, vec![t]).await?;
    v.pop().ok_or(DbError::NotFound)
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub state: Option<TicketState>,
    /// Only tickets still being worked (not resolved or closed).
    pub active: bool,
    pub priority: Option<TicketPriority>,
    pub kind: Option<TicketKind>,
    pub assignee: Option<Uuid>,
    pub department: Option<Uuid>,
    pub unassigned: bool,
    /// Tickets with a running clock due before this instant (breaching soon, or breached).
    pub due_before: Option<DateTime<Utc>>,
    pub partner: Option<Uuid>,
    /// Staff who may not read every ticket: only those held by this person or department, or
    /// watched by this person.
    pub visible_to: Option<(Uuid, Option<Uuid>)>,
    /// Merged tickets are left out unless asked for.
    pub include_merged: bool,
    /// Only secret tickets (what a queue's count checks against the reader's circle, §7.2.2).
    pub secret_only: bool,
}

/// Tickets in `scope`, newest first, keyset-paged by id.
pub async fn list_tickets(
    db: &Db,
    scope: Scope,
    f: &TicketFilter,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Ticket>> {
    let mut query = Q::dynamic(format!("{} WHERE 1 = 1", list_select()));
    match scope {
        Scope::All => {}
        Scope::Partner(p) => query.and("t.partner_id =", p),
        Scope::Nothing => return Ok(Vec::new()),
    }
    filter(&mut query, f);
    query.and_some("t.id <", before);
    query.order_limit("t.id DESC", limit);
    let rows = match db.backend() {
        // SQLite hands each row from its thread to the request's task: a page comes back as
        // one JSON array instead (one hand-over, not 25; 25 rows a page cost 15 µs each).
        crate::Backend::Sqlite => {
            let sql = format!("SELECT {} AS page FROM ({}) x", json_page(), query.sql());
            let page: JsonPage = db.fetch_one(query.replace_sql(sql)).await?;
            let mut rows = page.0;
            rows.sort_by_key(|t| std::cmp::Reverse(t.id));
            // The page carries its breaches, and list rows hold no sealed text to open.
            return Ok(rows);
        }
        crate::Backend::Postgres => db.fetch_all(query).await?,
    };
    with_breaches(db, rows).await
}

/// A page of tickets as one JSON array (SQLite).
struct JsonPage(Vec<Ticket>);

impl FromDbRow for JsonPage {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let text = r.opt_text("page")?.unwrap_or_else(|| "[]".into());
        serde_json::from_str(&text)
            .map(JsonPage)
            .map_err(|e| sqlx::Error::Decode(e.into()))
    }
}

/// `json_group_array(json_object(...))` over the list's columns (`x.*`): ids as hex text,
/// flags as JSON booleans, times as stored (RFC 3339), so the array reads back as `Ticket`s.
fn json_page() -> String {
    const UUIDS: &[&str] = &[
        "id",
        "partner_id",
        "partner_owner_id",
        "raised_by",
        "product_id",
        "department_id",
        "department_head_id",
        "assignee_id",
        "merged_into",
    ];
    const FLAGS: &[&str] = &["warned_first", "warned_resolution"];
    const OTHERS: &[&str] = &[
        "partner_code",
        "partner_name",
        "region",
        "raised_by_name",
        "via",
        "kind",
        "priority",
        "product_name",
        "product_category",
        "product_text",
        "subject",
        "description",
        "classification",
        "state",
        "department_name",
        "assignee_name",
        "first_response_at",
        "first_response_due_at",
        "resolution_due_at",
        "paused_at",
        "paused_minutes",
        "resolved_at",
        "resolution",
        "root_cause",
        "closed_at",
        "rating",
        "rating_comment",
        "rated_at",
        "reopen_count",
        "version",
        "created_at",
        "updated_at",
    ];
    let mut parts = Vec::new();
    for c in UUIDS {
        parts.push(format!(
            "'{c}', CASE WHEN x.{c} IS NULL THEN NULL ELSE lower(hex(x.{c})) END"
        ));
    }
    for c in FLAGS {
        parts.push(format!(
            "'{c}', json(CASE WHEN x.{c} THEN 'true' ELSE 'false' END)"
        ));
    }
    for c in OTHERS {
        parts.push(format!("'{c}', x.{c}"));
    }
    // The clocks that ran out, in due order, as `with_breaches` reads them.
    parts.push(
        "'breached', json((SELECT json_group_array(json_object('clock', b.clock, 'due_at', b.due_at,
                 'recorded_at', b.recorded_at)) FROM (SELECT clock, due_at, recorded_at FROM ticket_breaches
                 WHERE ticket_id = x.id ORDER BY due_at) b))"
            .to_string(),
    );
    format!("json_group_array(json_object({}))", parts.join(", "))
}

fn filter(query: &mut Q, f: &TicketFilter) {
    query.and_some("t.state =", f.state.map(|s| s.as_str().to_string()));
    if f.secret_only {
        query.push_sql(" AND t.classification = 'secret'");
    }
    if f.active {
        query.push_sql(" AND t.state IN ('new', 'open', 'waiting_partner')");
    }
    query.and_some("t.priority =", f.priority.map(|s| s.as_str().to_string()));
    query.and_some("t.kind =", f.kind.map(|s| s.as_str().to_string()));
    query.and_some("t.assignee_id =", f.assignee);
    query.and_some("t.department_id =", f.department);
    query.and_some("t.partner_id =", f.partner);
    if f.unassigned {
        query.push_sql(" AND t.assignee_id IS NULL");
    }
    if let Some(at) = f.due_before {
        let a = query.arg(at);
        query.push_sql(&format!(
            " AND (t.first_response_due_at < {a} OR t.resolution_due_at < {a})"
        ));
    }
    if let Some((user, dept)) = f.visible_to {
        let u = query.arg(user);
        let d = query.arg(dept);
        query.push_sql(&format!(
            " AND (t.assignee_id = {u} OR t.department_id = {d}
                   OR EXISTS (SELECT 1 FROM ticket_watchers w WHERE w.ticket_id = t.id AND w.user_id = {u}))"
        ));
    }
    if !f.include_merged {
        query.push_sql(" AND t.merged_into IS NULL");
    }
}

/// How many tickets each filter matches, in one statement (the queue's tabs on every visit).
pub async fn count_each(db: &Db, scope: Scope, filters: &[TicketFilter]) -> Result<Vec<i64>> {
    if filters.is_empty() || matches!(scope, Scope::Nothing) {
        return Ok(vec![0; filters.len()]);
    }
    let mut query = Q::dynamic("SELECT ".to_string());
    for (i, f) in filters.iter().enumerate() {
        if i > 0 {
            query.push_sql(", ");
        }
        query.push_sql("(SELECT COUNT(*) FROM tickets t WHERE 1 = 1");
        if let Scope::Partner(p) = scope {
            query.and("t.partner_id =", p);
        }
        filter(&mut query, f);
        query.push_sql(&format!(") AS c{i}"));
    }
    struct Counts(Vec<i64>);
    impl FromDbRow for Counts {
        fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
            let mut v = Vec::new();
            while let Ok(n) = r.i64(&format!("c{}", v.len())) {
                v.push(n);
            }
            Ok(Counts(v))
        }
    }
    let counts: Counts = db.fetch_one(query).await?;
    Ok(counts.0)
}

/// Whether `user` watches `ticket`.
pub async fn is_watcher(db: &Db, ticket: Uuid, user: Uuid) -> Result<bool> {
    let n: i64 = db
        .fetch_one(
            q("SELECT COUNT(*) FROM ticket_watchers WHERE ticket_id = $1 AND user_id = $2")
                .bind(ticket)
                .bind(user),
        )
        .await?;
    Ok(n > 0)
}

/// The people watching `ticket`.
pub async fn watchers(db: &Db, ticket: Uuid) -> Result<Vec<(Uuid, String)>> {
    struct W(Uuid, String);
    from_row!(W(user_id: uuid, name: text));
    let rows: Vec<W> = db
        .fetch_all(
            q(
                "SELECT w.user_id, u.name FROM ticket_watchers w JOIN users u ON u.id = w.user_id
               WHERE w.ticket_id = $1 ORDER BY u.name",
            )
            .bind(ticket),
        )
        .await?;
    Ok(rows.into_iter().map(|w| (w.0, w.1)).collect())
}

/// The active people watching `ticket`, each with its partner (`None`: company staff): who
/// is told of a change, in one statement.
pub async fn active_watchers(db: &Db, ticket: Uuid) -> Result<Vec<(Uuid, Option<Uuid>)>> {
    struct W(Uuid, Option<Uuid>);
    from_row!(W(user_id: uuid, partner_id: opt_uuid));
    let rows: Vec<W> = db
        .fetch_all(
            q("SELECT w.user_id, u.partner_id FROM ticket_watchers w JOIN users u ON u.id = w.user_id
               WHERE w.ticket_id = $1 AND u.active ORDER BY w.user_id")
            .bind(ticket),
        )
        .await?;
    Ok(rows.into_iter().map(|w| (w.0, w.1)).collect())
}

/// One entry of a ticket's timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub kind: EventKind,
    /// An internal note or change that partners never see.
    pub internal: bool,
    pub author_id: Option<Uuid>,
    pub author_name: Option<String>,
    /// Whether the author is on the partner's side.
    pub from_partner: bool,
    pub via: Option<TicketVia>,
    pub body: Option<String>,
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl FromDbRow for Event {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let bad = |m: liaison_core::validate::Msg| sqlx::Error::Decode(m.key().to_string().into());
        Ok(Event {
            id: r.uuid("id")?,
            ticket_id: r.uuid("ticket_id")?,
            kind: EventKind::parse(&r.text("kind")?).map_err(bad)?,
            internal: r.bool("internal")?,
            author_id: r.opt_uuid("author_id")?,
            author_name: r.opt_text("author_name")?,
            from_partner: r.opt_uuid("author_partner")?.is_some(),
            via: match r.opt_text("via")? {
                Some(v) => Some(TicketVia::parse(&v).map_err(bad)?),
                None => None,
            },
            body: r.opt_text("body")?,
            detail: serde_json::from_str(&r.text("detail")?)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            created_at: r.time("created_at")?,
        })
    }
}

/// The timeline of `ticket`, oldest first; internal entries only when asked.
pub async fn list_events(db: &Db, ticket: &Ticket, internal: bool) -> Result<Vec<Event>> {
    let sql = if internal {
        "SELECT e.id, e.ticket_id, e.kind, e.internal, e.author_id, u.name AS author_name,
                u.partner_id AS author_partner, e.via, e.body, e.detail, e.created_at
           FROM ticket_events e LEFT JOIN users u ON u.id = e.author_id
          WHERE e.ticket_id = $1 ORDER BY e.id"
    } else {
        "SELECT e.id, e.ticket_id, e.kind, e.internal, e.author_id, u.name AS author_name,
                u.partner_id AS author_partner, e.via, e.body, e.detail, e.created_at
           FROM ticket_events e LEFT JOIN users u ON u.id = e.author_id
          WHERE e.ticket_id = $1 AND e.internal = FALSE ORDER BY e.id"
    };
    let mut rows: Vec<Event> = db.fetch_all(q(sql).bind(ticket.id)).await?;
    if sealed(ticket.classification) {
        for e in &mut rows {
            if let Some(b) = &e.body {
                e.body = Some(db.open("ticket_events:body", e.id, b)?);
            }
        }
    }
    Ok(rows)
}

/// A file on a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct TicketFile {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub event_id: Option<Uuid>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

from_row!(TicketFile; id: uuid, ticket_id: uuid, event_id: opt_uuid, filename: text,
    content_type: text, size: i64, sha256: text, created_at: time);

/// A file to attach, already checked (`attachment::check_type`) by the caller.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The files of `ticket`; those on internal notes only when asked.
pub async fn list_files(db: &Db, ticket: Uuid, internal: bool) -> Result<Vec<TicketFile>> {
    let sql = if internal {
        "SELECT a.id, a.ticket_id, a.event_id, a.filename, a.content_type, a.size, a.sha256, a.created_at
           FROM ticket_attachments a WHERE a.ticket_id = $1 ORDER BY a.id"
    } else {
        "SELECT a.id, a.ticket_id, a.event_id, a.filename, a.content_type, a.size, a.sha256, a.created_at
           FROM ticket_attachments a LEFT JOIN ticket_events e ON e.id = a.event_id
          WHERE a.ticket_id = $1 AND (e.internal IS NULL OR e.internal = FALSE) ORDER BY a.id"
    };
    db.fetch_all(q(sql).bind(ticket)).await
}

/// One file's metadata and bytes.
pub async fn read_file(db: &Db, ticket: &Ticket, id: Uuid) -> Result<(TicketFile, bool, Vec<u8>)> {
    struct Data(TicketFile, String, bool);
    impl FromDbRow for Data {
        fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
            Ok(Data(
                TicketFile::from_row(r)?,
                r.text("data")?,
                r.opt_i64("internal")?.unwrap_or(0) != 0,
            ))
        }
    }
    let d: Data = db
        .fetch_one(
            q("SELECT a.id, a.ticket_id, a.event_id, a.filename, a.content_type, a.size, a.sha256, a.created_at, a.data,
                      CAST(CASE WHEN e.internal THEN 1 ELSE 0 END AS BIGINT) AS internal
                 FROM ticket_attachments a LEFT JOIN ticket_events e ON e.id = a.event_id
                WHERE a.ticket_id = $1 AND a.id = $2")
            .bind(ticket.id)
            .bind(id),
        )
        .await?;
    let b64 = if sealed(ticket.classification) {
        db.open("ticket_attachments:data", id, &d.1)?
    } else {
        d.1
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| DbError::Config(format!("a stored file does not decode: {e}")))?;
    Ok((d.0, d.2, bytes))
}

/// A timeline entry to write.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub internal: bool,
    pub author: Option<Uuid>,
    pub via: Option<TicketVia>,
    pub body: Option<String>,
    pub detail: serde_json::Value,
    /// The files that come with it.
    pub files: Vec<NewFile>,
}

impl NewEvent {
    pub fn new(kind: EventKind, author: Option<Uuid>, detail: serde_json::Value) -> Self {
        NewEvent {
            kind,
            internal: false,
            author,
            via: None,
            body: None,
            detail,
            files: Vec::new(),
        }
    }
}

/// A change to write with [`apply`]: the ticket's new fields, its timeline entries, breaches
/// to record, watchers to add, people to tell and the audit action.
pub struct Change<'a> {
    pub actor: Option<Uuid>,
    pub after: &'a Ticket,
    pub events: Vec<NewEvent>,
    pub breaches: Vec<(SlaClock, DateTime<Utc>)>,
    pub watch: Vec<Uuid>,
    pub notes: Vec<NewNotification>,
    pub action: &'a str,
    pub detail: serde_json::Value,
}

/// A timeline entry ready to write: its id given, its body and files sealed when the ticket
/// is confidential, its files' names and types checked.
struct EventRow {
    id: Uuid,
    kind: &'static str,
    internal: bool,
    author: Option<Uuid>,
    via: Option<&'static str>,
    body: Option<String>,
    detail: String,
    files: Vec<FileRow>,
}

struct FileRow {
    id: Uuid,
    filename: String,
    content_type: &'static str,
    size: i64,
    sha256: String,
    data: String,
}

/// Seals and checks `events` of `t` (a bad file name or type is `Invalid` naming `files`).
fn event_rows(db: &Db, t: &Ticket, events: &[NewEvent]) -> Result<Vec<EventRow>> {
    let seal = sealed(t.classification);
    let mut out = Vec::with_capacity(events.len());
    for ev in events {
        let id = Uuid::now_v7();
        let body = match &ev.body {
            Some(b) if seal => Some(db.seal("ticket_events:body", id, b)?),
            other => other.clone(),
        };
        let mut files = Vec::with_capacity(ev.files.len());
        for f in &ev.files {
            let fid = Uuid::now_v7();
            // The name as kept: no folders, no control characters (like request attachments).
            let filename = crate::attachment::clean_name(&f.filename)
                .map_err(|m| DbError::Invalid(liaison_core::FieldErrors::single("files", m)))?;
            let content_type = crate::attachment::check_type(&filename, &f.bytes)
                .map_err(|m| DbError::Invalid(liaison_core::FieldErrors::single("files", m)))?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(&f.bytes);
            let data = if seal {
                db.seal("ticket_attachments:data", fid, &b64)?
            } else {
                b64
            };
            files.push(FileRow {
                id: fid,
                filename,
                content_type,
                size: f.bytes.len() as i64,
                sha256: crate::sha256_hex(&f.bytes),
                data,
            });
        }
        out.push(EventRow {
            id,
            kind: ev.kind.as_str(),
            internal: ev.internal,
            author: ev.author,
            via: ev.via.map(|v| v.as_str()),
            body,
            detail: ev.detail.to_string(),
            files,
        });
    }
    Ok(out)
}

/// Writes prepared timeline entries (each `(ticket, entry, time)`) in multi-row statements,
/// then their files one by one (they are large and rare).
async fn write_events(tx: &mut Tx, rows: &[(Uuid, &EventRow, DateTime<Utc>)]) -> Result<()> {
    for chunk in rows.chunks(200) {
        let mut query = Q::dynamic(format!(
            "INSERT INTO ticket_events (id, ticket_id, kind, internal, author_id, via, body, detail, created_at) VALUES {}",
            crate::query::values_sql(9, chunk.len())
        ));
        for (ticket, ev, at) in chunk {
            query = query
                .bind(ev.id)
                .bind(*ticket)
                .bind(ev.kind)
                .bind(ev.internal)
                .bind(ev.author)
                .bind(ev.via.map(str::to_string))
                .bind(ev.body.clone())
                .bind(ev.detail.as_str())
                .bind(*at);
        }
        tx.execute(query).await?;
    }
    for (ticket, ev, at) in rows {
        for f in &ev.files {
            tx.execute(
                q("INSERT INTO ticket_attachments (id, ticket_id, event_id, filename, content_type, size, sha256, data, created_by, created_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(f.id)
                .bind(*ticket)
                .bind(ev.id)
                .bind(f.filename.as_str())
                .bind(f.content_type)
                .bind(f.size)
                .bind(f.sha256.as_str())
                .bind(f.data.as_str())
                .bind(ev.author)
                .bind(*at),
            )
            .await?;
        }
    }
    Ok(())
}

async fn insert_events(
    db: &Db,
    tx: &mut Tx,
    t: &Ticket,
    events: &[NewEvent],
    now: DateTime<Utc>,
) -> Result<()> {
    let rows = event_rows(db, t, events)?;
    let refs: Vec<_> = rows.iter().map(|r| (t.id, r, now)).collect();
    write_events(tx, &refs).await
}

/// The search document of a ticket: its subject and catalogue product always, its description
/// and the partner's own product text when not sealed (a title-only reader, §7.2.2, must not
/// find a confidential ticket by its content).
fn doc(t: &Ticket) -> Doc {
    let seal = sealed(t.classification);
    let body = if seal { "" } else { t.description.as_str() };
    let product = match &t.product_name {
        Some(name) => name.as_str(),
        None if seal => "",
        None => t.product_text.as_deref().unwrap_or(""),
    };
    Doc::new(
        t.id,
        Kind::Ticket,
        Some(t.partner_id),
        t.created_at,
        &t.subject,
        &[product],
        &[body],
    )
}

async fn add_watchers(tx: &mut Tx, ticket: Uuid, users: &[Uuid]) -> Result<()> {
    let pairs: Vec<(Uuid, Uuid)> = users.iter().map(|u| (ticket, *u)).collect();
    write_watchers(tx, pairs).await
}

/// Adds `(ticket, user)` watchers in multi-row statements; ones already there stay.
async fn write_watchers(tx: &mut Tx, mut pairs: Vec<(Uuid, Uuid)>) -> Result<()> {
    pairs.sort_unstable();
    pairs.dedup();
    for chunk in pairs.chunks(500) {
        let mut query = Q::dynamic(format!(
            "INSERT INTO ticket_watchers (ticket_id, user_id) VALUES {} ON CONFLICT DO NOTHING",
            crate::query::values_sql(2, chunk.len())
        ));
        for (t, u) in chunk {
            query = query.bind(*t).bind(*u);
        }
        tx.execute(query).await?;
    }
    Ok(())
}

async fn insert_breaches(
    tx: &mut Tx,
    t: &Ticket,
    breaches: &[(SlaClock, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut n = 0;
    for (clock, due) in breaches {
        n += tx
            .execute(
                q("INSERT INTO ticket_breaches (ticket_id, clock, due_at, recorded_at, department_id)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                .bind(t.id)
                .bind(clock.as_str())
                .bind(*due)
                .bind(now)
                .bind(t.department_id),
            )
            .await?;
    }
    Ok(n)
}

/// A new ticket with its `created` entry (and files), its watchers and the people told.
///
/// Tickets raised at the same time are written together (group commit, issue 12's figures):
/// the process's ticket writer takes whatever has queued up while it wrote the last batch and
/// writes it in one transaction of multi-row statements, one audit append and one commit;
/// if that fails, each ticket of the batch is written again under a savepoint of its own,
/// so one bad ticket fails alone. A ticket is stored when this returns `Ok`.
pub async fn insert_ticket(db: &Db, c: Change<'_>) -> Result<Ticket> {
    let creation = Creation::prepare(db, c)?;
    let id = creation.ticket.id;
    db.ticket_writer().write(db, creation).await?;
    find_new(db, id).await
}

/// A ticket just written: it has no breaches yet, so one statement reads it.
async fn find_new(db: &Db, id: Uuid) -> Result<Ticket> {
    let t: Ticket = db
        .fetch_one(Q::dynamic(format!("{SELECT} WHERE t.id = $1")).bind(id))
        .await?;
    open_ticket(db, t)
}

/// A new ticket made ready to write: owned, its confidential texts sealed, its files checked.
pub(crate) struct Creation {
    ticket: Ticket,
    /// The description as stored (sealed when confidential).
    description: String,
    events: Vec<EventRow>,
    watch: Vec<Uuid>,
    notes: Vec<NewNotification>,
    actor: Option<Uuid>,
    action: String,
    detail: serde_json::Value,
    now: DateTime<Utc>,
}

impl Creation {
    fn prepare(db: &Db, c: Change<'_>) -> Result<Creation> {
        let t = c.after;
        let description = if sealed(t.classification) {
            db.seal("tickets:description", t.id, &t.description)?
        } else {
            t.description.clone()
        };
        Ok(Creation {
            events: event_rows(db, t, &c.events)?,
            ticket: t.clone(),
            description,
            watch: c.watch,
            notes: c.notes,
            actor: c.actor,
            action: c.action.to_string(),
            detail: c.detail,
            now: db.now(),
        })
    }
}

/// Writes `batch` inside `tx`: every table in multi-row statements, whatever the number of
/// tickets (a dozen statements for one ticket or for fifty).
async fn write_creations(tx: &mut Tx, batch: &[&Creation]) -> Result<()> {
    for chunk in batch.chunks(50) {
        let mut query = Q::dynamic(format!(
            "INSERT INTO tickets (id, partner_id, raised_by, via, kind, priority, product_id, product_text,
                 subject, description, classification, state, department_id, assignee_id,
                 first_response_due_at, resolution_due_at, version, created_at, updated_at) VALUES {}",
            crate::query::values_sql(19, chunk.len())
        ));
        for c in chunk {
            let t = &c.ticket;
            query = query
                .bind(t.id)
                .bind(t.partner_id)
                .bind(t.raised_by)
                .bind(t.via.as_str())
                .bind(t.kind.as_str())
                .bind(t.priority.as_str())
                .bind(t.product_id)
                .bind(t.product_text.clone())
                .bind(t.subject.as_str())
                .bind(c.description.as_str())
                .bind(t.classification.as_str())
                .bind(t.state.as_str())
                .bind(t.department_id)
                .bind(t.assignee_id)
                .bind(t.first_response_due_at)
                .bind(t.resolution_due_at)
                .bind(1i64)
                .bind(t.created_at)
                .bind(t.created_at);
        }
        tx.execute(query).await?;
    }
    let events: Vec<_> = batch
        .iter()
        .flat_map(|c| c.events.iter().map(|e| (c.ticket.id, e, c.now)))
        .collect();
    write_events(tx, &events).await?;
    write_watchers(
        tx,
        batch
            .iter()
            .flat_map(|c| c.watch.iter().map(|u| (c.ticket.id, *u)))
            .collect(),
    )
    .await?;
    let docs: Vec<Doc> = batch.iter().map(|c| doc(&c.ticket)).collect();
    crate::search::index(tx, &docs, true).await?;
    let notes: Vec<_> = batch
        .iter()
        .flat_map(|c| c.notes.iter().map(|n| (c.now, n)))
        .collect();
    crate::notify::insert_timed(tx, &notes).await?;
    crate::audit::append_timed(
        tx,
        batch
            .iter()
            .map(|c| {
                (
                    c.now,
                    Entry::new(
                        c.actor,
                        &c.action,
                        "ticket",
                        Some(c.ticket.id),
                        c.detail.clone(),
                    )
                    .of_partner(c.ticket.partner_id),
                )
            })
            .collect(),
    )
    .await?;
    Ok(())
}

/// One ticket waiting for the writer, and where its outcome goes.
struct Job {
    creation: Creation,
    done: tokio::sync::oneshot::Sender<Result<()>>,
}

/// The most tickets one transaction writes.
const MAX_BATCH: usize = 64;

/// The process's ticket writer (group commit; see [`insert_ticket`]), started on first use.
pub(crate) struct TicketWriter {
    jobs: tokio::sync::mpsc::Sender<Job>,
}

impl TicketWriter {
    /// Starts the writer task on the current Tokio runtime. `db` must not hold this writer
    /// (the task would keep its own queue open).
    pub(crate) fn spawn(db: Db) -> Self {
        let (jobs, mut rx) = tokio::sync::mpsc::channel::<Job>(4096);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(j) => batch.push(j),
                        Err(_) => break,
                    }
                }
                let creations: Vec<&Creation> = batch.iter().map(|j| &j.creation).collect();
                let outcomes = write_batch(&db, &creations).await;
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = job.done.send(outcome);
                }
            }
        });
        Self { jobs }
    }

    /// Writes `c` with whatever else is waiting. When the writer cannot take it (its runtime
    /// is gone), it is written here alone.
    async fn write(&self, db: &Db, c: Creation) -> Result<()> {
        let (done, outcome) = tokio::sync::oneshot::channel();
        match self.jobs.send(Job { creation: c, done }).await {
            Ok(()) => outcome
                .await
                .map_err(|_| DbError::Config("the ticket writer stopped".into()))?,
            Err(tokio::sync::mpsc::error::SendError(job)) => write_batch(db, &[&job.creation])
                .await
                .pop()
                .unwrap_or(Ok(())),
        }
    }
}

/// Writes `batch` in one transaction; when that fails, each ticket under a savepoint of its
/// own, so only the bad ones fail. One outcome per ticket, in order.
async fn write_batch(db: &Db, batch: &[&Creation]) -> Vec<Result<()>> {
    let together = async {
        let mut tx = db.begin().await?;
        write_creations(&mut tx, batch).await?;
        tx.commit().await
    };
    let failed = match together.await {
        Ok(()) => return batch.iter().map(|_| Ok(())).collect(),
        Err(e) if batch.len() == 1 => return vec![Err(e)],
        Err(e) => e,
    };
    tracing::info!(error = %failed, tickets = batch.len(), "a batch of new tickets failed; writing them one by one");
    let one_by_one = async {
        let mut tx = db.begin().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for c in batch {
            tx.execute(q("SAVEPOINT new_ticket")).await?;
            match write_creations(&mut tx, &[c]).await {
                Ok(()) => {
                    tx.execute(q("RELEASE SAVEPOINT new_ticket")).await?;
                    outcomes.push(Ok(()));
                }
                Err(e) => {
                    tx.execute(q("ROLLBACK TO SAVEPOINT new_ticket")).await?;
                    tx.execute(q("RELEASE SAVEPOINT new_ticket")).await?;
                    outcomes.push(Err(e));
                }
            }
        }
        tx.commit().await?;
        Ok::<_, DbError>(outcomes)
    };
    match one_by_one.await {
        Ok(outcomes) => outcomes,
        Err(e) => batch.iter().map(|_| Err(e.copy())).collect(),
    }
}

/// Writes `c.after` over the ticket read at `before_version`: its fields, entries, breaches,
/// watchers and notifications in one transaction. A change since then is a conflict.
pub async fn apply(db: &Db, before_version: i64, c: Change<'_>) -> Result<Ticket> {
    let t = c.after;
    let now = db.now();
    let seal = sealed(t.classification);
    let seal_opt = |col: &str, v: &Option<String>| -> Result<Option<String>> {
        match v {
            Some(s) if seal => Ok(Some(db.seal(col, t.id, s)?)),
            other => Ok(other.clone()),
        }
    };
    let resolution = seal_opt("tickets:resolution", &t.resolution)?;
    let comment = seal_opt("tickets:rating_comment", &t.rating_comment)?;
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q(
            "UPDATE tickets SET state = $1, priority = $2, department_id = $3, assignee_id = $4,
              first_response_at = $5, first_response_due_at = $6, resolution_due_at = $7,
              paused_at = $8, paused_minutes = $9, warned_first = $10, warned_resolution = $11,
              resolved_at = $12, resolution = $13, root_cause = $14, closed_at = $15, rating = $16,
              rating_comment = $17, rated_at = $18, reopen_count = $19, merged_into = $20,
              version = version + 1, updated_at = $21
           WHERE id = $22 AND version = $23",
        )
        .bind(t.state.as_str())
        .bind(t.priority.as_str())
        .bind(t.department_id)
        .bind(t.assignee_id)
        .bind(t.first_response_at)
        .bind(t.first_response_due_at)
        .bind(t.resolution_due_at)
        .bind(t.paused_at)
        .bind(t.paused_minutes)
        .bind(t.warned_first)
        .bind(t.warned_resolution)
        .bind(t.resolved_at)
        .bind(resolution)
        .bind(t.root_cause.clone())
        .bind(t.closed_at)
        .bind(t.rating)
        .bind(comment)
        .bind(t.rated_at)
        .bind(t.reopen_count)
        .bind(t.merged_into)
        .bind(now)
        .bind(t.id)
        .bind(before_version),
        "the ticket was changed by someone else; reload it",
    )
    .await?;
    insert_events(db, &mut tx, t, &c.events, now).await?;
    insert_breaches(&mut tx, t, &c.breaches, now).await?;
    add_watchers(&mut tx, t.id, &c.watch).await?;
    crate::notify::insert(&mut tx, now, &c.notes).await?;
    tx.commit_audited(
        now,
        Entry::new(c.actor, c.action, "ticket", Some(t.id), c.detail).of_partner(t.partner_id),
    )
    .await?;
    find_ticket(db, t.id).await
}

/// Tickets whose clocks need the sweep: a running clock due before `warn_until` that has not
/// been warned of, or due before `now` (a breach not yet recorded). At most `limit`.
pub async fn due_for_sweep(
    db: &Db,
    now: DateTime<Utc>,
    warn_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Ticket>> {
    let rows: Vec<Ticket> = db
        .fetch_all(
            Q::dynamic(format!(
                "{SELECT} WHERE t.state IN ('new', 'open', 'waiting_partner') AND (
                    (t.first_response_due_at < $1 AND (t.warned_first = FALSE OR (t.first_response_due_at < $2
                        AND NOT EXISTS (SELECT 1 FROM ticket_breaches b WHERE b.ticket_id = t.id AND b.clock = 'first_response'))))
                 OR (t.resolution_due_at < $1 AND (t.warned_resolution = FALSE OR (t.resolution_due_at < $2
                        AND NOT EXISTS (SELECT 1 FROM ticket_breaches b WHERE b.ticket_id = t.id AND b.clock = 'resolution')))))
                 ORDER BY t.id LIMIT $3"
            ))
            .bind(warn_until)
            .bind(now)
            .bind(limit),
        )
        .await?;
    with_breaches(db, rows).await
}

/// Resolved tickets the partner has not answered since before `cutoff` (to close, §3.4.2).
pub async fn resolved_before(db: &Db, cutoff: DateTime<Utc>, limit: i64) -> Result<Vec<Ticket>> {
    let rows: Vec<Ticket> = db
        .fetch_all(
            Q::dynamic(format!(
                "{SELECT} WHERE t.state = 'resolved' AND t.resolved_at < $1 ORDER BY t.id LIMIT $2"
            ))
            .bind(cutoff)
            .bind(limit),
        )
        .await?;
    with_breaches(db, rows).await
}

/// The routing rules, by position.
pub async fn list_routes(db: &Db) -> Result<Vec<Route>> {
    struct R(Route);
    impl FromDbRow for R {
        fn from_row<X: RowExt>(r: &X) -> Result<Self, sqlx::Error> {
            let kind = match r.opt_text("kind")? {
                Some(k) => Some(
                    TicketKind::parse(&k)
                        .map_err(|m| sqlx::Error::Decode(m.key().to_string().into()))?,
                ),
                None => None,
            };
            Ok(R(Route {
                id: r.uuid("id")?,
                position: r.i64("position")?,
                kind,
                product_category: r.opt_text("product_category")?,
                region: r.opt_text("region")?,
                department_id: r.uuid("department_id")?,
                assignee_id: r.opt_uuid("assignee_id")?,
            }))
        }
    }
    let rows: Vec<R> = db
        .fetch_all(q(
            "SELECT id, position, kind, product_category, region, department_id, assignee_id
               FROM ticket_routes ORDER BY position, id",
        ))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Replaces every routing rule with `routes` (positions as given).
pub async fn replace_routes(db: &Db, actor: Uuid, routes: &[Route]) -> Result<Vec<Route>> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(q("DELETE FROM ticket_routes")).await?;
    for r in routes {
        tx.execute(
            q("INSERT INTO ticket_routes (id, position, kind, product_category, region, department_id, assignee_id, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(r.id)
            .bind(r.position)
            .bind(r.kind.map(|k| k.as_str().to_string()))
            .bind(r.product_category.clone())
            .bind(r.region.clone())
            .bind(r.department_id)
            .bind(r.assignee_id)
            .bind(now),
        )
        .await?;
    }
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "ticket_routes.update",
            "settings",
            None,
            json!({"rules": routes.len()}),
        ),
    )
    .await?;
    list_routes(db).await
}

/// One root cause of the taxonomy (§3.4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootCause {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub position: i64,
    pub active: bool,
}

from_row!(RootCause; code: text, name_zh: text, name_en: text, position: i64, active: bool);

/// The taxonomy, by position (the migration writes the shipped one).
pub async fn list_root_causes(db: &Db) -> Result<Vec<RootCause>> {
    db.fetch_all(q(
        "SELECT code, name_zh, name_en, position, active FROM root_causes ORDER BY position, code",
    ))
    .await
}

/// Adds or renames a root cause (codes are never deleted: resolved tickets refer to them;
/// a retired one is `active = false`).
pub async fn upsert_root_cause(db: &Db, actor: Uuid, c: &RootCause) -> Result<Vec<RootCause>> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q(
            "INSERT INTO root_causes (code, name_zh, name_en, position, active, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
               position = excluded.position, active = excluded.active",
        )
        .bind(c.code.as_str())
        .bind(c.name_zh.as_str())
        .bind(c.name_en.as_str())
        .bind(c.position)
        .bind(c.active)
        .bind(now),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "root_cause.update",
            "settings",
            None,
            json!({"code": c.code, "active": c.active}),
        ),
    )
    .await?;
    list_root_causes(db).await
}

const SETTINGS: &str = "tickets";

/// The ticket settings (SLA targets, confirmation and reopen windows), defaults until changed.
pub async fn settings(db: &Db) -> Result<TicketSettings> {
    Ok(crate::settings::load::<TicketSettings>(db, SETTINGS)
        .await?
        .unwrap_or_default())
}

pub async fn update_settings(db: &Db, actor: Uuid, s: &TicketSettings) -> Result<TicketSettings> {
    s.check().map_err(DbError::Invalid)?;
    let detail = json!({"tickets": s});
    crate::settings::store(db, actor, SETTINGS, s, "settings.update", detail).await?;
    Ok(s.clone())
}

/// Claims one mail read from the mailbox: `true` for the first worker to see `key`, `false`
/// for every later one (each mail is filed once, §3.4).
pub async fn claim_mail(db: &Db, key: &str, from: &str) -> Result<bool> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q(
                "INSERT INTO inbound_mails (key, from_addr, outcome, detail, received_at)
               VALUES ($1, $2, 'claimed', '', $3) ON CONFLICT DO NOTHING",
            )
            .bind(key)
            .bind(from)
            .bind(now),
        )
        .await?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Gives a claim back (filing failed on the database): the next read tries the mail again.
pub async fn release_mail(db: &Db, key: &str) -> Result<()> {
    let mut tx = db.begin().await?;
    tx.execute(q("DELETE FROM inbound_mails WHERE key = $1 AND outcome = 'claimed'").bind(key))
        .await?;
    tx.commit().await
}

/// What became of a claimed mail: `filed`, `opened`, `refused` or `ignored`, with where it went.
pub async fn finish_mail(
    db: &Db,
    key: &str,
    outcome: &str,
    ticket: Option<Uuid>,
    thread: Option<Uuid>,
    detail: &str,
) -> Result<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        q("UPDATE inbound_mails SET outcome = $1, ticket_id = $2, thread_id = $3, detail = $4 WHERE key = $5")
            .bind(outcome)
            .bind(ticket)
            .bind(thread)
            .bind(detail)
            .bind(key),
    )
    .await?;
    tx.commit().await
}

/// One mail the reply mailbox received, for the admin's view.
#[derive(Debug, Clone, Serialize)]
pub struct InboundMail {
    pub key: String,
    pub from_addr: String,
    pub outcome: String,
    pub ticket_id: Option<Uuid>,
    pub thread_id: Option<Uuid>,
    pub detail: String,
    pub received_at: DateTime<Utc>,
}

from_row!(InboundMail; key: text, from_addr: text, outcome: text, ticket_id: opt_uuid,
    thread_id: opt_uuid, detail: text, received_at: time);

/// The latest mails read, newest first.
pub async fn list_mails(db: &Db, limit: i64) -> Result<Vec<InboundMail>> {
    db.fetch_all(
        q(
            "SELECT key, from_addr, outcome, ticket_id, thread_id, detail, received_at
             FROM inbound_mails ORDER BY received_at DESC, key LIMIT $1",
        )
        .bind(limit),
    )
    .await
}

/// One count of a report's table: a key (a cause's code, a kind, a product's or department's
/// name, a region) and how many tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub key: String,
    pub count: i64,
}

from_row!(Count; key: text, count: i64);

const REPORT_FROM: &str = "FROM tickets t JOIN partners p ON p.id = t.partner_id
    LEFT JOIN products pr ON pr.id = t.product_id LEFT JOIN departments d ON d.id = t.department_id";

/// Tickets raised in `[from, to)` counted by root cause (merged duplicates left out), largest
/// first: the trend's earlier periods (the period itself is the cube's).
pub async fn count_by_cause(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Count>> {
    db.fetch_all(
        q(
            "SELECT COALESCE(t.root_cause, '') AS key, COUNT(*) AS count FROM tickets t
            WHERE t.created_at >= $1 AND t.created_at < $2 AND t.merged_into IS NULL
            GROUP BY COALESCE(t.root_cause, '') ORDER BY COUNT(*) DESC, COALESCE(t.root_cause, '')",
        )
        .bind(from)
        .bind(to),
    )
    .await
}

/// One cell of the report's cube: the tickets raised in the period (merged duplicates left out)
/// with these values, and whether a clock ran out. The report adds the cells up per
/// dimension: one pass over the period instead of one per table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub kind: String,
    pub priority: String,
    pub cause: String,
    pub product: String,
    pub department: String,
    pub region: String,
    pub first_breached: bool,
    pub resolution_breached: bool,
    pub count: i64,
}

from_row!(Cell; kind: text, priority: text, cause: text, product: text, department: text,
    region: text, first_breached: i64 -> |v: i64| v != 0,
    resolution_breached: i64 -> |v: i64| v != 0, count: i64);

/// The report's cube over tickets raised in `[from, to)` (migration 0019's covering index
/// answers the scan).
pub async fn cube(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Cell>> {
    db.fetch_all(
        Q::dynamic(format!(
            "SELECT t.kind, t.priority, COALESCE(t.root_cause, '') AS cause,
                    COALESCE(pr.name_zh, t.product_text, '') AS product, COALESCE(d.name, '') AS department,
                    p.region, CAST(COALESCE(b.first_breached, 0) AS BIGINT) AS first_breached,
                    CAST(COALESCE(b.resolution_breached, 0) AS BIGINT) AS resolution_breached,
                    COUNT(*) AS count
               {REPORT_FROM}
               LEFT JOIN (SELECT ticket_id,
                                 MAX(CASE WHEN clock = 'first_response' THEN 1 ELSE 0 END) AS first_breached,
                                 MAX(CASE WHEN clock = 'resolution' THEN 1 ELSE 0 END) AS resolution_breached
                            FROM ticket_breaches GROUP BY ticket_id) b ON b.ticket_id = t.id
              WHERE t.created_at >= $1 AND t.created_at < $2 AND t.merged_into IS NULL
              GROUP BY t.kind, t.priority, COALESCE(t.root_cause, ''), COALESCE(pr.name_zh, t.product_text, ''),
                       COALESCE(d.name, ''), p.region, COALESCE(b.first_breached, 0), COALESCE(b.resolution_breached, 0)"
        ))
        .bind(from)
        .bind(to),
    )
    .await
}

/// SLA attainment of one department (§3.4.2): its tickets raised in the period, and how many
/// ran out of either clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaLine {
    pub department: String,
    pub tickets: i64,
    pub breached: i64,
    pub first_response_breaches: i64,
    pub resolution_breaches: i64,
}

/// Satisfaction (§6.1.3) and the other totals of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub raised: i64,
    pub resolved: i64,
    pub reopened: i64,
    pub merged: i64,
    pub rated: i64,
    pub rating_sum: i64,
    pub satisfied: i64,
}

from_row!(Totals; raised: i64, resolved: i64, reopened: i64, merged: i64, rated: i64,
    rating_sum: i64, satisfied: i64);

pub async fn totals(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Totals> {
    db.fetch_one(
        q("SELECT COUNT(*) AS raised,
                  COALESCE(SUM(CASE WHEN t.resolved_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS resolved,
                  COALESCE(SUM(CASE WHEN t.reopen_count > 0 THEN 1 ELSE 0 END), 0) AS reopened,
                  COALESCE(SUM(CASE WHEN t.merged_into IS NOT NULL THEN 1 ELSE 0 END), 0) AS merged,
                  COALESCE(SUM(CASE WHEN t.rating IS NOT NULL THEN 1 ELSE 0 END), 0) AS rated,
                  CAST(COALESCE(SUM(t.rating), 0) AS BIGINT) AS rating_sum,
                  COALESCE(SUM(CASE WHEN t.rating >= 4 THEN 1 ELSE 0 END), 0) AS satisfied
             FROM tickets t WHERE t.created_at >= $1 AND t.created_at < $2")
        .bind(from)
        .bind(to),
    )
    .await
}

/// Resolutions with a cause in `[from, to)`, for the recurrence rule (§3.4.3).
pub async fn resolutions(
    db: &Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<liaison_core::tickets::Resolved>> {
    struct R(liaison_core::tickets::Resolved);
    impl FromDbRow for R {
        fn from_row<X: RowExt>(r: &X) -> Result<Self, sqlx::Error> {
            Ok(R(liaison_core::tickets::Resolved {
                ticket: r.uuid("id")?,
                product: r.text("product")?,
                root_cause: r.text("root_cause")?,
                resolved_at: r.time("resolved_at")?,
            }))
        }
    }
    let rows: Vec<R> = db
        .fetch_all(
            q("SELECT t.id, COALESCE(pr.name_zh, t.product_text) AS product, t.root_cause, t.resolved_at
                 FROM tickets t LEFT JOIN products pr ON pr.id = t.product_id
                WHERE t.resolved_at >= $1 AND t.resolved_at < $2 AND t.root_cause IS NOT NULL
                  AND COALESCE(pr.name_zh, t.product_text) IS NOT NULL AND t.merged_into IS NULL")
            .bind(from)
            .bind(to),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
