//! The one search index (SPEC B10) that partners, contacts, messages and threads (and later
//! tickets, policies, products, meetings) plug into. Each area builds a `Doc` and calls `index`
//! or `delete` inside the transaction that writes its rows, so the index never disagrees with
//! them. Terms come from `liaison_core::search`; the tables are `search_docs` (one row per
//! object: what a hit shows and its terms) and `search_terms` (postings keyed by term and
//! rank: weight, then time), the same SQL on SQLite and PostgreSQL.
//!
//! A query reads one term's postings best first (title matches, then newest) and checks its
//! other terms against the document's term list, so it stops after a page. A partner's query
//! starts from what the partner may see instead: its own documents and the messages delivered
//! to it. Confidential and secret bodies are never indexed, only their titles.

use crate::query::values_sql;
use crate::{Backend, Db, FromDbRow, Q, Result, RowExt, Tx, q};
use chrono::{DateTime, Utc};
use liaison_core::Scope;
use liaison_core::partner::{NewContact, NewPartner};
pub use liaison_core::search::Kind;
use liaison_core::search::{
    self as terms, QueryTerm, WEIGHT_BODY, WEIGHT_TITLE, highlights, parse_query, snippet,
};
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

/// A posting's rank: its weight, then its kind, then the document's time in microseconds
/// (`weight * 10^17 + kind * 10^16 + micros`). An integer, so postings stay small and sort best
/// first; the kind in it lets the partner list read only partners' postings.
fn rank(weight: i64, kind: Kind, at: DateTime<Utc>) -> i64 {
    weight * WEIGHT_UNIT
        + kind_code(kind) * KIND_UNIT
        + at.timestamp_micros().clamp(0, KIND_UNIT - 1)
}

const WEIGHT_UNIT: i64 = 100_000_000_000_000_000;
const KIND_UNIT: i64 = 10_000_000_000_000_000;

/// Among matches of the same weight, messages and threads (what people look for most) come
/// before partners and contacts.
fn kind_code(kind: Kind) -> i64 {
    match kind {
        Kind::Contact => 1,
        Kind::Partner => 2,
        Kind::Thread => 3,
        Kind::Message => 4,
        Kind::Product => 5,
        Kind::Ticket => 6,
        Kind::Meeting => 7,
        Kind::Visit => 8,
        Kind::Call => 9,
    }
}

/// ` AND (s.rank ...)`: only postings of `kind`, read from the key (no document lookup).
fn rank_of_kind(kind: Kind) -> String {
    let k = kind_code(kind) * KIND_UNIT;
    let ranges: Vec<String> = [WEIGHT_TITLE, WEIGHT_BODY]
        .iter()
        .map(|w| {
            let lo = w * WEIGHT_UNIT + k;
            format!("(s.rank >= {lo} AND s.rank < {})", lo + KIND_UNIT)
        })
        .collect();
    format!(" AND ({})", ranges.join(" OR "))
}

/// Stored excerpts are cut here; terms are taken from the whole text.
const BODY_MAX_CHARS: usize = 1000;

/// One searchable object as the index stores it.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: Uuid,
    pub kind: Kind,
    /// The partner the object belongs to; `None` for messages, which reach partners through
    /// deliveries.
    pub partner_id: Option<Uuid>,
    pub title: String,
    /// The text a hit's snippet is cut from (never a confidential body).
    pub body: String,
    pub at: DateTime<Utc>,
    terms: Vec<(String, i64)>,
}

impl Doc {
    /// A document whose title fields weigh more than its body fields.
    pub fn new(
        id: Uuid,
        kind: Kind,
        partner_id: Option<Uuid>,
        at: DateTime<Utc>,
        title: &str,
        title_fields: &[&str],
        body_fields: &[&str],
    ) -> Doc {
        let fields = std::iter::once(title)
            .chain(title_fields.iter().copied())
            .map(|f| (f, WEIGHT_TITLE))
            .chain(body_fields.iter().map(|f| (*f, WEIGHT_BODY)));
        let body = body_fields
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        Doc {
            id,
            kind,
            partner_id,
            title: title.to_string(),
            body: body.chars().take(BODY_MAX_CHARS).collect(),
            at,
            terms: terms::weighted_terms(fields),
        }
    }

    fn terms_text(&self) -> String {
        let mut s =
            String::with_capacity(self.terms.iter().map(|(t, _)| t.len() + 1).sum::<usize>() + 1);
        s.push(' ');
        for (t, _) in &self.terms {
            s.push_str(t);
            s.push(' ');
        }
        s
    }
}

/// A partner's document: name and code first, region and tags after.
pub fn partner_doc(id: Uuid, p: &NewPartner, at: DateTime<Utc>) -> Doc {
    let tags = p.tags.join(" ");
    Doc::new(
        id,
        Kind::Partner,
        Some(id),
        at,
        &p.name,
        &[p.code.as_str()],
        &[p.code.as_str(), &p.region, &tags],
    )
}

/// A contact's document: the name first; e-mail, phone and job title after.
pub fn contact_doc(id: Uuid, partner_id: Uuid, c: &NewContact, at: DateTime<Utc>) -> Doc {
    contact_doc_from(
        id,
        partner_id,
        &c.name,
        c.email.as_ref().map(|e| e.as_str()),
        c.phone.as_deref(),
        c.title.as_deref(),
        at,
    )
}

/// Contacts are the bulk of the index (two or more per partner), so they get few terms: the
/// name, the e-mail's words before `@` and its domain labels whole (without the top-level
/// domain, which every address shares), the phone as digits without a `+NN` country code
/// (`13801234567` finds `+86 138 0123 4567`), and the job title.
fn contact_doc_from(
    id: Uuid,
    partner_id: Uuid,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
    title: Option<&str>,
    at: DateTime<Utc>,
) -> Doc {
    let email = email.unwrap_or("");
    let phone = phone.unwrap_or("");
    let body = [email, phone, title.unwrap_or("")]
        .iter()
        .map(|f| f.trim())
        .filter(|f| !f.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    let (user, domain) = email.split_once('@').unwrap_or((email, ""));
    let labels: Vec<&str> = domain.split('.').collect();
    let labels = &labels[..labels.len().saturating_sub(1)];
    let number = match phone.trim().strip_prefix('+') {
        Some(rest) => rest.split_once(' ').map_or(rest, |(_, n)| n),
        None => phone,
    };
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let mut t = terms::weighted_terms([
        (name, WEIGHT_TITLE),
        (user, WEIGHT_BODY),
        (digits.as_str(), WEIGHT_BODY),
        (title.unwrap_or(""), WEIGHT_BODY),
    ]);
    t.extend(
        labels
            .iter()
            .map(|l| l.to_lowercase())
            .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
            .map(|l| (l.chars().take(terms::MAX_TERM_CHARS).collect(), WEIGHT_BODY)),
    );
    t.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    t.dedup_by(|b, a| a.0 == b.0);
    Doc {
        id,
        kind: Kind::Contact,
        partner_id: Some(partner_id),
        title: name.to_string(),
        body,
        at,
        terms: t,
    }
}

/// A message's document. `body` is `None` when it is confidential (encrypted at rest): only
/// the title is indexed then.
pub fn message_doc(id: Uuid, title: &str, body: Option<&str>, at: DateTime<Utc>) -> Doc {
    Doc::new(
        id,
        Kind::Message,
        None,
        at,
        title,
        &[],
        &[body.unwrap_or("")],
    )
}

/// Writes `docs` into the index inside `tx`, replacing what was indexed for them before. A
/// replaced document keeps its original time. `fresh` says the ids are new (bulk inserts),
/// which skips looking for old entries.
pub async fn index(tx: &mut Tx, docs: &[Doc], fresh: bool) -> Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    let kept_at = if fresh {
        HashMap::new()
    } else {
        remove_postings(tx, &docs.iter().map(|d| d.id).collect::<Vec<_>>()).await?
    };
    let at_of = |d: &Doc| kept_at.get(&d.id).copied().unwrap_or(d.at);
    // SQLite keeps a statement journal (the first copy of every page a statement changes) so
    // that a failing statement can be undone alone; OR FAIL needs none, and a failed insert
    // fails the whole transaction anyway (callers return the error and roll it back).
    let insert = match tx.backend() {
        Backend::Sqlite => "INSERT OR FAIL INTO",
        Backend::Postgres => "INSERT INTO",
    };
    for chunk in docs.chunks(500) {
        let mut query = Q::dynamic(format!(
            "{insert} search_docs (id, kind, partner_id, title, body, terms, at) VALUES {}",
            values_sql(7, chunk.len())
        ));
        for d in chunk {
            query = query
                .bind(d.id)
                .bind(d.kind.as_str())
                .bind(d.partner_id)
                .bind(d.title.as_str())
                .bind(d.body.as_str())
                .bind(d.terms_text())
                .bind(at_of(d));
        }
        if !fresh {
            query.push_sql(
                " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, partner_id = excluded.partner_id,
                  title = excluded.title, body = excluded.body, terms = excluded.terms",
            );
        }
        tx.execute(query).await?;
    }
    // The postings go in as one row per document and weight: its terms as a JSON array (which
    // the database unpacks), their rank and the document. Three values for a document's ten or
    // so postings cost far less than three a posting (DESIGN: hot bulk paths are set-based).
    // Terms hold only letters, digits and `-`, so they need no JSON escaping.
    let mut rows: Vec<(String, i64, Uuid)> = Vec::with_capacity(docs.len() * 2);
    for d in docs {
        let at = at_of(d);
        for weight in [WEIGHT_TITLE, WEIGHT_BODY] {
            let mut terms = d.terms.iter().filter(|(_, w)| *w == weight).peekable();
            if terms.peek().is_none() {
                continue;
            }
            let mut json = String::with_capacity(d.terms.len() * 12);
            json.push('[');
            for (i, (t, _)) in terms.enumerate() {
                json.push_str(if i == 0 { "\"" } else { ",\"" });
                json.push_str(t);
                json.push('"');
            }
            json.push(']');
            rows.push((json, rank(weight, d.kind, at), d.id));
        }
    }
    let unpack = match tx.backend() {
        Backend::Sqlite => "json_each(v.column1) j",
        Backend::Postgres => "json_array_elements_text(CAST(v.column1 AS JSON)) AS j(value)",
    };
    let sql = |n: usize| {
        format!(
            "{insert} search_terms (term, rank, doc_id)
             SELECT j.value, v.column2, v.column3 FROM (VALUES {}) v, {unpack}",
            values_sql(3, n)
        )
    };
    // Statements of the same size have the same text: prepared once.
    let full = sql(POSTING_ROWS);
    for chunk in rows.chunks(POSTING_ROWS) {
        let text = if chunk.len() == POSTING_ROWS {
            full.clone()
        } else {
            sql(chunk.len())
        };
        let mut query = Q::dynamic(text);
        for (terms, rank, id) in chunk {
            query = query.bind(terms.as_str()).bind(*rank).bind(*id);
        }
        tx.execute(query).await?;
    }
    Ok(())
}

/// Documents' term lists a postings statement carries (three values each).
const POSTING_ROWS: usize = 1000;

/// Removes these objects from the index.
pub async fn delete(tx: &mut Tx, ids: &[Uuid]) -> Result<()> {
    remove_postings(tx, ids).await?;
    for chunk in ids.chunks(500) {
        let mut query = Q::dynamic(String::new());
        let ph: Vec<String> = chunk.iter().map(|id| query.arg(*id)).collect();
        query.push_sql(&format!(
            "DELETE FROM search_docs WHERE id IN ({})",
            ph.join(", ")
        ));
        tx.execute(query).await?;
    }
    Ok(())
}

struct Indexed {
    id: Uuid,
    kind: String,
    at: DateTime<Utc>,
    terms: String,
}

from_row!(Indexed; id: uuid, kind: text, at: time, terms: text);

/// Deletes the postings of these documents (found through the term list each document keeps,
/// so every delete is a key lookup) and returns the documents' times.
async fn remove_postings(tx: &mut Tx, ids: &[Uuid]) -> Result<HashMap<Uuid, DateTime<Utc>>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let mut query = Q::dynamic(String::new());
        let ph: Vec<String> = chunk.iter().map(|id| query.arg(*id)).collect();
        query.push_sql(&format!(
            "SELECT id, kind, at, terms FROM search_docs WHERE id IN ({})",
            ph.join(", ")
        ));
        for d in tx.fetch_all::<Indexed>(query).await? {
            let old: Vec<&str> = d.terms.split_whitespace().collect();
            for terms in old.chunks(500) {
                let mut query = Q::dynamic(String::new());
                let ph: Vec<String> = terms.iter().map(|t| query.arg(*t)).collect();
                let kind = Kind::parse(&d.kind).unwrap_or(Kind::Partner);
                let (body, title) = (
                    rank(WEIGHT_BODY, kind, d.at),
                    rank(WEIGHT_TITLE, kind, d.at),
                );
                let id = query.arg(d.id);
                query.push_sql(&format!(
                    "DELETE FROM search_terms WHERE term IN ({}) AND rank IN ({body}, {title})
                       AND doc_id = {id}",
                    ph.join(", ")
                ));
                tx.execute(query).await?;
            }
            out.insert(d.id, d.at);
        }
    }
    Ok(out)
}

// ---- areas whose documents are built from stored rows ----

struct PostText {
    body: String,
}
from_row!(PostText; body: text);

struct ThreadHead {
    id: Uuid,
    partner_id: Uuid,
    subject: String,
    classification: String,
    created_at: DateTime<Utc>,
}
from_row!(ThreadHead; id: uuid, partner_id: uuid, subject: text, classification: text,
    created_at: time);

fn sealed(classification: &str, body: &str) -> bool {
    let confidential = match liaison_core::review::Classification::parse(classification) {
        Ok(c) => c.needs_nda(),
        Err(_) => true,
    };
    confidential || crate::crypto::is_encrypted(body)
}

/// (Re)indexes a thread from its stored subject and posts; sealed posts are left out.
pub async fn index_thread(tx: &mut Tx, id: Uuid) -> Result<()> {
    let Some(t) = tx
        .fetch_optional::<ThreadHead>(
            q("SELECT id, partner_id, subject, classification, created_at FROM threads WHERE id = $1")
                .bind(id),
        )
        .await?
    else {
        return Ok(());
    };
    let posts: Vec<PostText> = tx
        .fetch_all(q("SELECT body FROM thread_posts WHERE thread_id = $1 ORDER BY id").bind(id))
        .await?;
    let doc = thread_doc(&t, &posts);
    index(tx, &[doc], false).await
}

fn thread_doc(t: &ThreadHead, posts: &[PostText]) -> Doc {
    let bodies: Vec<&str> = posts
        .iter()
        .filter(|p| !sealed(&t.classification, &p.body))
        .map(|p| p.body.as_str())
        .collect();
    Doc::new(
        t.id,
        Kind::Thread,
        Some(t.partner_id),
        t.created_at,
        &t.subject,
        &[],
        &bodies,
    )
}

struct PartnerRow {
    id: Uuid,
    code: String,
    name: String,
    region: String,
    tags: String,
    created_at: DateTime<Utc>,
}
from_row!(PartnerRow; id: uuid, code: text, name: text, region: text, tags: text,
    created_at: time);

struct ContactRow {
    id: Uuid,
    partner_id: Uuid,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    title: Option<String>,
    created_at: DateTime<Utc>,
}
from_row!(ContactRow; id: uuid, partner_id: uuid, name: text, email: opt_text, phone: opt_text,
    title: opt_text, created_at: time);

struct MessageRow {
    id: Uuid,
    title: String,
    body: String,
    classification: String,
    created_at: DateTime<Utc>,
}
from_row!(MessageRow; id: uuid, title: text, body: text, classification: text, created_at: time);

/// Rows a reindex reads at a time.
const PAGE: i64 = 5000;

/// The page of rows after the id `after`: `sql` filters `id > $1`, orders by id, `LIMIT $2`.
async fn page_after<R: FromDbRow>(tx: &mut Tx, sql: &'static str, after: Uuid) -> Result<Vec<R>> {
    tx.fetch_all(q(sql).bind(after).bind(PAGE)).await
}

struct SealedRow {
    id: Uuid,
    partner_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    title: String,
    product: Option<String>,
}
from_row!(SealedRow; id: uuid, partner_id: opt_uuid, created_at: time, title: text,
    product: opt_text);

/// Indexes the confidential and secret tickets and meetings again by what a title-only reader
/// may find them by, their title and a ticket's catalogue product (§7.2.2): rows indexed
/// before their content was kept out of the index. Migration 41 runs it.
pub async fn reindex_sealed(tx: &mut Tx) -> Result<()> {
    let tickets: Vec<SealedRow> = tx
        .fetch_all(q(
            "SELECT t.id, t.partner_id, t.created_at, t.subject AS title, pr.name_zh AS product
               FROM tickets t LEFT JOIN products pr ON pr.id = t.product_id
              WHERE t.classification IN ('confidential', 'secret')",
        ))
        .await?;
    let meetings: Vec<SealedRow> = tx
        .fetch_all(q(
            "SELECT id, CAST(NULL AS UUID) AS partner_id, created_at, title, CAST(NULL AS TEXT) AS product
               FROM meetings WHERE classification IN ('confidential', 'secret')",
        ))
        .await?;
    let docs: Vec<Doc> = tickets
        .iter()
        .map(|t| (t, Kind::Ticket))
        .chain(meetings.iter().map(|m| (m, Kind::Meeting)))
        .map(|(r, kind)| {
            Doc::new(
                r.id,
                kind,
                r.partner_id,
                r.created_at,
                &r.title,
                &[r.product.as_deref().unwrap_or("")],
                &[""],
            )
        })
        .collect();
    for chunk in docs.chunks(PAGE as usize) {
        index(tx, chunk, false).await?;
    }
    Ok(())
}

/// Rebuilds the whole index from the stored rows, in pages, inside `tx` (the migration that
/// creates the index runs it, so existing data is searchable at once).
pub async fn reindex(tx: &mut Tx) -> Result<()> {
    tx.execute(q("DELETE FROM search_terms")).await?;
    tx.execute(q("DELETE FROM search_docs")).await?;
    let mut after = Uuid::nil();
    loop {
        let rows: Vec<PartnerRow> = page_after(
            tx,
            "SELECT id, code, name, region, tags, created_at FROM partners WHERE id > $1 ORDER BY id LIMIT $2",
            after,
        )
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let docs: Vec<Doc> = rows
            .iter()
            .map(|p| {
                let tags = p.tags.replace('|', " ");
                Doc::new(
                    p.id,
                    Kind::Partner,
                    Some(p.id),
                    p.created_at,
                    &p.name,
                    &[&p.code],
                    &[&p.code, &p.region, tags.trim()],
                )
            })
            .collect();
        index(tx, &docs, true).await?;
    }
    let mut after = Uuid::nil();
    loop {
        let rows: Vec<ContactRow> = page_after(
            tx,
            "SELECT id, partner_id, name, email, phone, title, created_at FROM contacts WHERE id > $1 ORDER BY id LIMIT $2",
            after,
        )
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let docs: Vec<Doc> = rows
            .iter()
            .map(|c| {
                contact_doc_from(
                    c.id,
                    c.partner_id,
                    &c.name,
                    c.email.as_deref(),
                    c.phone.as_deref(),
                    c.title.as_deref(),
                    c.created_at,
                )
            })
            .collect();
        index(tx, &docs, true).await?;
    }
    let mut after = Uuid::nil();
    loop {
        let rows: Vec<MessageRow> = page_after(
            tx,
            "SELECT id, title, body, classification, created_at FROM messages WHERE id > $1 ORDER BY id LIMIT $2",
            after,
        )
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let docs: Vec<Doc> = rows
            .iter()
            .filter(|m| m.classification != "secret")
            .map(|m| {
                let body = (!sealed(&m.classification, &m.body)).then_some(m.body.as_str());
                message_doc(m.id, &m.title, body, m.created_at)
            })
            .collect();
        index(tx, &docs, true).await?;
    }
    let mut after = Uuid::nil();
    loop {
        let heads: Vec<ThreadHead> = page_after(
            tx,
            "SELECT id, partner_id, subject, classification, created_at FROM threads WHERE id > $1 ORDER BY id LIMIT $2",
            after,
        )
        .await?;
        let Some(last) = heads.last() else { break };
        after = last.id;
        let mut docs = Vec::with_capacity(heads.len());
        for t in &heads {
            let posts: Vec<PostText> = tx
                .fetch_all(
                    q("SELECT body FROM thread_posts WHERE thread_id = $1 ORDER BY id").bind(t.id),
                )
                .await?;
            docs.push(thread_doc(t, &posts));
        }
        index(tx, &docs, true).await?;
    }
    // Products (§3.2.1) came later than the index: a rebuild while migrating to the index
    // itself finds no products table yet.
    let products: i64 = tx
        .fetch_one(q(
            "SELECT COUNT(*) FROM schema_migrations WHERE version = 17",
        ))
        .await?;
    if products > 0 {
        let docs = crate::product::all_docs(tx).await?;
        index(tx, &docs, true).await?;
    }
    Ok(())
}

// ---- queries ----

/// One search result, with its snippet and the character ranges to highlight.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub kind: Kind,
    pub id: Uuid,
    pub partner_id: Option<Uuid>,
    pub title: String,
    /// Character ranges `[start, end)` of the matches in `title`.
    pub title_highlights: Vec<(usize, usize)>,
    pub snippet: String,
    /// Character ranges `[start, end)` of the matches in `snippet`.
    pub snippet_highlights: Vec<(usize, usize)>,
    pub at: DateTime<Utc>,
}

struct DocRow {
    id: Uuid,
    kind: String,
    partner_id: Option<Uuid>,
    title: String,
    body: String,
    at: DateTime<Utc>,
}
from_row!(DocRow; id: uuid, kind: text, partner_id: opt_uuid, title: text, body: text, at: time);

/// The key range of terms starting with `p`.
fn prefix_range(p: &str) -> (String, String) {
    (p.to_string(), format!("{p}{}", char::MAX))
}

/// ` AND d.terms LIKE ...` for every term but the driving one (terms hold only letters,
/// digits and `-`, so they need no LIKE escaping).
fn term_conditions(query: &mut Q, terms: &[QueryTerm]) -> String {
    let mut out = String::new();
    for t in terms {
        let pattern = match t {
            QueryTerm::Exact(e) => format!("% {e} %"),
            QueryTerm::Prefix(p) => format!("% {p}%"),
        };
        out.push_str(&format!(" AND d.terms LIKE {}", query.arg(pattern)));
    }
    out
}

fn kind_condition(kinds: &[Kind]) -> String {
    if kinds.len() == Kind::ALL.len() {
        return String::new();
    }
    // Kinds come from the enum, never from input: literals keep the plan simple.
    let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
    format!(" AND d.kind IN ({})", list.join(", "))
}

/// Splits a query into the term that drives the index walk (an exact pair if there is one,
/// else the longest prefix) and the rest.
fn driver(terms: &[QueryTerm]) -> (QueryTerm, Vec<QueryTerm>) {
    let i = terms
        .iter()
        .position(|t| matches!(t, QueryTerm::Exact(_)))
        .or_else(|| {
            terms
                .iter()
                .enumerate()
                .max_by_key(|(_, t)| t.text().len())
                .map(|(i, _)| i)
        })
        .unwrap_or(0);
    let mut rest = terms.to_vec();
    let d = rest.remove(i);
    (d, rest)
}

/// With several terms, the one with the fewest postings drives the walk: each term's postings
/// are counted up to a cap (a short index range read, all in one statement), so a rare word
/// is not checked against every posting of a common one.
async fn choose_driver(db: &Db, terms: &[QueryTerm]) -> Result<(QueryTerm, Vec<QueryTerm>)> {
    const CAP: i64 = 1000;
    let mut query = Q::dynamic(String::new());
    let cap = query.arg(CAP);
    let counts: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let cond = match t {
                QueryTerm::Exact(e) => format!("term = {}", query.arg(e.as_str())),
                QueryTerm::Prefix(p) => {
                    let (lo, hi) = prefix_range(p);
                    format!("term >= {} AND term < {}", query.arg(lo), query.arg(hi))
                }
            };
            format!(
                "SELECT CAST({i} AS BIGINT) AS i, (SELECT COUNT(*) FROM (SELECT 1 FROM search_terms WHERE {cond} LIMIT {cap}) x) AS n"
            )
        })
        .collect();
    query.push_sql(&counts.join(" UNION ALL "));
    let counts: Vec<TermCount> = db.fetch_all(query).await?;
    // Ties go to an exact term: its postings come out in rank order, without a sort.
    let i = counts
        .iter()
        .filter_map(|c| {
            let t = terms.get(usize::try_from(c.i).ok()?)?;
            Some((c.n * 2 + i64::from(matches!(t, QueryTerm::Prefix(_))), c.i))
        })
        .min()
        .and_then(|(_, i)| usize::try_from(i).ok())
        .unwrap_or(0);
    let mut rest = terms.to_vec();
    let d = rest.remove(i);
    Ok((d, rest))
}

struct TermCount {
    i: i64,
    n: i64,
}
from_row!(TermCount; i: i64, n: i64);

/// Searches what `scope` may see among `kinds`, best first: with `Scope::All`, matches in
/// titles (names, codes) before matches in bodies, then newest first; a partner's own search
/// (its partner, contacts and threads, and the messages delivered to it) newest first.
pub async fn search(
    db: &Db,
    text: &str,
    scope: Scope,
    kinds: &[Kind],
    limit: i64,
) -> Result<Vec<Hit>> {
    let parsed = parse_query(text);
    if parsed.is_empty() || kinds.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Q::dynamic(String::new());
    let cols = "d.id, d.kind, d.partner_id, d.title, d.body, d.at";
    match scope {
        Scope::Nothing => return Ok(Vec::new()),
        Scope::All => {
            let (first, rest) = if parsed.terms.len() > 1 {
                choose_driver(db, &parsed.terms).await?
            } else {
                driver(&parsed.terms)
            };
            let walk = match &first {
                QueryTerm::Exact(t) => format!("s.term = {}", query.arg(t.as_str())),
                QueryTerm::Prefix(p) => {
                    let (lo, hi) = prefix_range(p);
                    format!("s.term >= {} AND s.term < {}", query.arg(lo), query.arg(hi))
                }
            };
            let kinds = kind_condition(kinds);
            let conds = term_conditions(&mut query, &rest);
            let l = query.arg(limit);
            // CROSS JOIN keeps SQLite walking the postings in key order (no sort, early stop).
            let sql = match first {
                QueryTerm::Exact(_) => format!(
                    "SELECT {cols} FROM search_terms s CROSS JOIN search_docs d
                      WHERE {walk} AND d.id = s.doc_id{kinds}{conds}
                      ORDER BY s.rank DESC, s.doc_id DESC LIMIT {l}"
                ),
                QueryTerm::Prefix(_) => format!(
                    "SELECT {cols}, MAX(s.rank) AS w FROM search_terms s CROSS JOIN search_docs d
                      WHERE {walk} AND d.id = s.doc_id{kinds}{conds}
                      GROUP BY d.id, d.kind, d.partner_id, d.title, d.body, d.at
                      ORDER BY w DESC, d.id DESC LIMIT {l}"
                ),
            };
            query.push_sql(&sql);
        }
        Scope::Partner(p) => {
            let pa = query.arg(p);
            let conds = term_conditions(&mut query, &parsed.terms);
            let l = query.arg(limit);
            // Products have no partner and messages reach partners through deliveries: the
            // service layer searches visible products itself (`liaison_app::search`).
            let own: Vec<Kind> = kinds
                .iter()
                .copied()
                .filter(|k| !matches!(k, Kind::Message | Kind::Product))
                .collect();
            // Each branch reads newest first and stops at a page: its own documents by
            // (partner_id, at), the messages delivered to it by (partner_id, message_id), whose
            // UUIDv7 ids ascend with time.
            let mut parts = Vec::new();
            if !own.is_empty() {
                // Messages have no partner of their own: only the delivery branch finds them.
                let kc = if own.len() == 4 {
                    String::new()
                } else {
                    kind_condition(&own)
                };
                parts.push(format!(
                    "SELECT * FROM (SELECT {cols}, d.id AS mid FROM search_docs d WHERE d.partner_id = {pa}{kc}{conds}
                       ORDER BY d.at DESC LIMIT {l}) o"
                ));
            }
            if kinds.contains(&Kind::Message) {
                // DISTINCT: a message has a delivery per contact and channel.
                parts.push(format!(
                    "SELECT * FROM (SELECT DISTINCT {cols}, dl.message_id AS mid
                       FROM deliveries dl CROSS JOIN search_docs d
                      WHERE dl.partner_id = {pa} AND d.id = dl.message_id{conds}
                      ORDER BY dl.message_id DESC LIMIT {l}) r"
                ));
            }
            query.push_sql(&format!(
                "SELECT x.id, x.kind, x.partner_id, x.title, x.body, x.at FROM ({}) x ORDER BY x.at DESC, x.id DESC LIMIT {l}",
                parts.join(" UNION ALL ")
            ));
        }
    }
    let rows: Vec<DocRow> = db.fetch_all(query).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let kind = Kind::parse(&r.kind)?;
            let (snip, snip_marks) = snippet(&r.body, &parsed.needles, 80);
            Some(Hit {
                kind,
                id: r.id,
                partner_id: r.partner_id,
                title_highlights: highlights(&r.title, &parsed.needles),
                title: r.title,
                snippet: snip,
                snippet_highlights: snip_marks,
                at: r.at,
            })
        })
        .collect())
}

/// ` AND p.id IN (...)`: the partners whose indexed name, code, region or tags match `text`
/// (the partner list's `q=`); nothing when the text has no searchable terms. Each term reads
/// only partners' postings (the kind is in the key), so no document is looked up.
pub(crate) fn push_partner_match(query: &mut Q, text: &str) {
    push_kind_match(query, "p.id", text, Kind::Partner);
}

/// ` AND {column} IN (...)`: the objects of `kind` whose indexed terms match every term of
/// `text` (a list's `q=`), read from the postings of that kind only.
pub(crate) fn push_kind_match(query: &mut Q, column: &str, text: &str, kind: Kind) {
    let parsed = parse_query(text);
    if parsed.is_empty() {
        query.push_sql(" AND 1 = 0");
        return;
    }
    let kind = rank_of_kind(kind);
    for t in &parsed.terms {
        let cond = match t {
            QueryTerm::Exact(e) => format!("s.term = {}", query.arg(e.as_str())),
            QueryTerm::Prefix(p) => {
                let (lo, hi) = prefix_range(p);
                format!("s.term >= {} AND s.term < {}", query.arg(lo), query.arg(hi))
            }
        };
        query.push_sql(&format!(
            " AND {column} IN (SELECT s.doc_id FROM search_terms s WHERE {cond}{kind})"
        ));
    }
}

/// The classification of each hit of a kind that has one (tickets, meetings, messages): one
/// statement per kind, for the need-to-know check after a query (§7.2.2). Hits of other
/// kinds, and ones whose row is gone, are not in the map.
pub async fn classifications(db: &Db, hits: &[Hit]) -> Result<HashMap<Uuid, String>> {
    use crate::access::Classed;
    let mut out = HashMap::new();
    for (kind, what) in [
        (Kind::Ticket, Classed::Ticket),
        (Kind::Meeting, Classed::Meeting),
        (Kind::Message, Classed::Message),
        (Kind::Thread, Classed::Thread),
    ] {
        let ids: Vec<Uuid> = hits
            .iter()
            .filter(|h| h.kind == kind)
            .map(|h| h.id)
            .collect();
        if !ids.is_empty() {
            out.extend(crate::access::classifications(db, what, &ids).await?);
        }
    }
    Ok(out)
}

struct MessageRequest(Uuid, Uuid);
impl FromDbRow for MessageRequest {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.uuid("id")?, r.uuid("request_id")?))
    }
}

/// The request behind each thread's message (a thread on a classified message is known as
/// that request is, §7.2.2); threads opened on their own are not in the map.
pub async fn requests_of_threads(db: &Db, ids: &[Uuid]) -> Result<HashMap<Uuid, Uuid>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = Q::dynamic(String::new());
    let ph: Vec<String> = ids.iter().map(|id| query.arg(*id)).collect();
    query.push_sql(&format!(
        "SELECT t.id, m.request_id FROM threads t JOIN messages m ON m.id = t.message_id
          WHERE t.id IN ({})",
        ph.join(", ")
    ));
    Ok(db
        .fetch_all::<MessageRequest>(query)
        .await?
        .into_iter()
        .map(|r| (r.0, r.1))
        .collect())
}

/// The request each message came from (where a message hit leads in the console).
pub async fn requests_of_messages(db: &Db, ids: &[Uuid]) -> Result<HashMap<Uuid, Uuid>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = Q::dynamic(String::new());
    let ph: Vec<String> = ids.iter().map(|id| query.arg(*id)).collect();
    query.push_sql(&format!(
        "SELECT id, request_id FROM messages WHERE id IN ({})",
        ph.join(", ")
    ));
    Ok(db
        .fetch_all::<MessageRequest>(query)
        .await?
        .into_iter()
        .map(|r| (r.0, r.1))
        .collect())
}
