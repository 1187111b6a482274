//! The partner registry (SPEC A1, A2, A5): partners, their contacts, listing with filters and
//! keyset pages, and all-or-nothing bulk upserts for imports. Every query that a partner user
//! can reach is scoped by `Scope` in SQL; another partner's row is simply not found.

use crate::audit::{self, Entry};
use crate::query::{comma_list, values_sql};
use crate::search;
use crate::{Db, DbError, Q, Result, Tx, q};
use base64::Engine;
use chrono::{DateTime, Utc};
use liaison_core::partner::{ContactInput, NewContact, NewPartner, PartnerFilter, PartnerInput};
use liaison_core::validate::Msg;
use liaison_core::validate::RowError;
use liaison_core::{FieldErrors, Scope};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Partner {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub region: String,
    pub tier: String,
    pub status: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub timezone: String,
    pub working_days: String,
    pub working_hours: String,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub contact_count: i64,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Partner {
    /// The partner as editable input, for PATCH overlays and edit forms.
    pub fn to_input(&self) -> PartnerInput {
        PartnerInput {
            code: Some(self.code.clone()),
            name: Some(self.name.clone()),
            kind: Some(self.kind.clone()),
            region: Some(self.region.clone()),
            tier: Some(self.tier.clone()),
            status: Some(self.status.clone()),
            owner: Some(self.owner_id.map(|o| o.to_string()).unwrap_or_default()),
            timezone: Some(self.timezone.clone()),
            working_days: Some(self.working_days.clone()),
            working_hours: Some(self.working_hours.clone()),
            tags: Some(self.tags.clone()),
            notes: self.notes.clone(),
        }
    }
}

fn tags_to_db(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!("|{}|", tags.join("|"))
    }
}

fn tags_from_db(s: &str) -> Vec<String> {
    s.split('|')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn search_text(p: &NewPartner) -> String {
    format!(
        "{} {} {} {}",
        p.code.as_str(),
        p.name,
        p.region,
        p.tags.join(" ")
    )
    .to_lowercase()
}

from_row!(Partner; id: uuid, code: text, name: text, kind: text, region: text, tier: text,
    status: text, owner_id: opt_uuid, owner_name: opt_text, timezone: text, working_days: text,
    working_hours: text, tags: text -> |t: String| tags_from_db(&t), notes: opt_text,
    contact_count: i64, version: i64, created_at: time, updated_at: time);

const PARTNER_SELECT: &str =
    "SELECT p.id, p.code, p.name, p.kind, p.region, p.tier, p.status, p.owner_id,
        u.name AS owner_name, p.timezone, p.working_days, p.working_hours, p.tags, p.notes,
        (SELECT COUNT(*) FROM contacts c WHERE c.partner_id = p.id) AS contact_count,
        p.version, p.created_at, p.updated_at
   FROM partners p LEFT JOIN users u ON u.id = p.owner_id";

/// How a partner list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartnerSort {
    #[default]
    Code,
    Name,
    Created,
    CreatedDesc,
}

impl PartnerSort {
    pub fn parse(s: &str) -> Result<Self, Msg> {
        match s {
            "" | "code" => Ok(Self::Code),
            "name" => Ok(Self::Name),
            "created" => Ok(Self::Created),
            "-created" => Ok(Self::CreatedDesc),
            _ => Err(Msg::one_of(s, &["code", "name", "created", "-created"])),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Name => "name",
            Self::Created => "created",
            Self::CreatedDesc => "-created",
        }
    }
}

/// One page of a list and the cursor for the next.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn encode_cursor(key: &str, id: Uuid) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{key}\u{1f}{id}"))
}

fn decode_cursor(c: &str) -> Result<(String, Uuid)> {
    let bad = || DbError::Invalid(FieldErrors::single("cursor", Msg::new("validate.cursor")));
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c.trim())
        .map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (k, id) = s.split_once('\u{1f}').ok_or_else(bad)?;
    Ok((k.to_string(), Uuid::parse_str(id).map_err(|_| bad())?))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern (used with `ESCAPE '\'`).
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Appends ` AND ...` conditions for the scope and filter to `query`.
pub(crate) fn push_filter(query: &mut Q, scope: Scope, f: &PartnerFilter) {
    match scope {
        Scope::All => {}
        Scope::Partner(id) => {
            let a = query.arg(id);
            query.push_sql(&format!(" AND p.id = {a}"));
        }
        Scope::Nothing => query.push_sql(" AND 1 = 0"),
    }
    let any_of = |query: &mut Q, col: &str, vals: Vec<String>| {
        if vals.is_empty() {
            return;
        }
        let ph: Vec<String> = vals.into_iter().map(|v| query.arg(v)).collect();
        query.push_sql(&format!(" AND {col} IN ({})", ph.join(", ")));
    };
    any_of(
        query,
        "p.kind",
        f.kinds.iter().map(|k| k.as_str().to_string()).collect(),
    );
    any_of(query, "p.region", f.regions.clone());
    any_of(query, "p.tier", f.tiers.clone());
    any_of(
        query,
        "p.status",
        f.statuses.iter().map(|k| k.as_str().to_string()).collect(),
    );
    if !f.tags.is_empty() {
        let conds: Vec<String> = f
            .tags
            .iter()
            .map(|t| {
                let a = query.arg(format!("%|{}|%", like_escape(t)));
                format!("lower(p.tags) LIKE lower({a}) ESCAPE '\\'")
            })
            .collect();
        query.push_sql(&format!(" AND ({})", conds.join(" OR ")));
    }
    if let Some(text) = crate::given(&f.q) {
        // A partner is found by its own name, code, region and tags, or by one of its
        // contacts: every word in that contact's name, e-mail, phone or title (王伟, a mobile
        // number), read from the same index.
        query.push_sql(" AND (p.id IN (SELECT p.id FROM partners p WHERE 1 = 1");
        search::push_partner_match(query, text);
        query.push_sql(")");
        push_contact_match(query, text);
        query.push_sql(")");
    }
}

/// ` OR p.id IN (...)`: the partners with a contact whose indexed terms hold every term of
/// `text`; a phone number as typed (`+86 138-0123-4567`) is searched as its digits without
/// the country code, the way contacts' phones are indexed. Nothing when `text` has no terms.
fn push_contact_match(query: &mut Q, text: &str) {
    use liaison_core::search::{QueryTerm, parse_query};
    let terms = match phone_digits(text) {
        Some(digits) => vec![QueryTerm::Prefix(digits)],
        None => parse_query(text).terms,
    };
    let Some((first, rest)) = terms.split_first() else {
        return;
    };
    let driving = match first {
        QueryTerm::Exact(e) => format!("s.term = {}", query.arg(e.as_str())),
        QueryTerm::Prefix(p) => format!(
            "s.term >= {} AND s.term < {}",
            query.arg(p.as_str()),
            query.arg(format!("{p}{}", char::MAX))
        ),
    };
    let mut sql = format!(
        " OR p.id IN (SELECT d.partner_id FROM search_terms s JOIN search_docs d ON d.id = s.doc_id \
           WHERE {driving} AND d.kind = 'contact'"
    );
    // A document's `terms` is ' term term ... ' of letters, digits and '-': no LIKE escaping.
    for t in rest {
        let pattern = match t {
            QueryTerm::Exact(e) => format!("% {e} %"),
            QueryTerm::Prefix(p) => format!("% {p}%"),
        };
        sql.push_str(&format!(" AND d.terms LIKE {}", query.arg(pattern)));
    }
    sql.push(')');
    query.push_sql(&sql);
}

/// The digits of a phone number as typed, without a `+NN` country code, when `text` is one
/// (digits, spaces, `+ - ( )` only, at least five digits).
fn phone_digits(text: &str) -> Option<String> {
    let t = text.trim();
    if !t.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
        return None;
    }
    let number = match t.strip_prefix('+') {
        Some(rest) => rest
            .trim_start()
            .split_once([' ', '-', '('])
            .map_or(rest, |(_, n)| n),
        None => t,
    };
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 5).then_some(digits)
}

pub async fn list_partners(
    db: &Db,
    scope: Scope,
    filter: &PartnerFilter,
    sort: PartnerSort,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<Partner>> {
    // The page is chosen first and only its rows get an owner name and a contact count.
    let mut query = Q::dynamic("SELECT p.* FROM partners p WHERE 1 = 1".to_string());
    push_filter(&mut query, scope, filter);
    if let Some(c) = cursor.filter(|c| !c.is_empty()) {
        let (key, id) = decode_cursor(c)?;
        let cond = match sort {
            PartnerSort::Code => format!("p.code > {}", query.arg(key)),
            PartnerSort::Name => {
                let k = query.arg(key);
                let i = query.arg(id);
                format!("(p.name > {k} OR (p.name = {k} AND p.id > {i}))")
            }
            PartnerSort::Created => format!("p.id > {}", query.arg(id)),
            PartnerSort::CreatedDesc => format!("p.id < {}", query.arg(id)),
        };
        query.push_sql(&format!(" AND {cond}"));
    }
    let order = match sort {
        PartnerSort::Code => "p.code",
        PartnerSort::Name => "p.name, p.id",
        PartnerSort::Created => "p.id",
        PartnerSort::CreatedDesc => "p.id DESC",
    };
    let lim = query.arg(limit + 1);
    query.push_sql(&format!(" ORDER BY {order} LIMIT {lim}"));
    let inner = query.sql().to_string();
    let query = query.replace_sql(
        PARTNER_SELECT.replace("FROM partners p", &format!("FROM ({inner}) p"))
            + &format!(" ORDER BY {order}"),
    );
    let mut items: Vec<Partner> = db.fetch_all(query).await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|p| {
            let key = match sort {
                PartnerSort::Code => p.code.as_str(),
                PartnerSort::Name => p.name.as_str(),
                _ => "",
            };
            encode_cursor(key, p.id)
        })
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// Every partner matching the filter, ordered by code (exports, segment previews).
pub async fn list_all_partners(
    db: &Db,
    scope: Scope,
    filter: &PartnerFilter,
) -> Result<Vec<Partner>> {
    let mut query = Q::dynamic(format!("{PARTNER_SELECT} WHERE 1 = 1"));
    push_filter(&mut query, scope, filter);
    query.push_sql(" ORDER BY p.code");
    db.fetch_all(query).await
}

/// The partners matching `filter` without a current submission of `dataset` for `period`
/// (§3.3.1): how many, and the first `limit` of them by code (every one when `limit` is
/// `None`). The count is the partners asked less those who submitted (both from indexes,
/// migration 0028), and a page picks its ids in code order before reading their rows, so it
/// costs its rows, not the partners asked.
pub async fn without_submission(
    db: &Db,
    filter: &PartnerFilter,
    dataset: Uuid,
    period: &str,
    limit: Option<i64>,
) -> Result<(i64, Vec<Partner>)> {
    let mut ids = Q::dynamic("SELECT p.id FROM partners p WHERE 1 = 1".to_string());
    push_filter(&mut ids, Scope::All, filter);
    let d = ids.arg(dataset);
    let per = ids.arg(period.to_string());
    ids.push_sql(&format!(
        " AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.dataset_id = {d} \
           AND s.period = {per} AND s.state = 'current' AND s.partner_id = p.id) ORDER BY p.code"
    ));
    if let Some(l) = limit {
        let lim = ids.arg(l);
        ids.push_sql(&format!(" LIMIT {lim}"));
    }
    let inner = ids.sql().to_string();
    let rows = ids.replace_sql(format!(
        "{PARTNER_SELECT} WHERE p.id IN ({inner}) ORDER BY p.code"
    ));
    let page: Vec<Partner> = db.fetch_all(rows).await?;
    if limit.is_none() {
        return Ok((page.len() as i64, page));
    }
    let asked = count_partners(db, Scope::All, filter).await?;
    let mut done = Q::dynamic(
        "SELECT COUNT(DISTINCT s.partner_id) FROM submissions s JOIN partners p ON p.id = s.partner_id \
          WHERE s.state = 'current'"
            .to_string(),
    );
    let d = done.arg(dataset);
    let per = done.arg(period.to_string());
    done.push_sql(&format!(" AND s.dataset_id = {d} AND s.period = {per}"));
    push_filter(&mut done, Scope::All, filter);
    let done: i64 = db.fetch_one(done).await?;
    Ok((asked - done, page))
}

pub async fn count_partners(db: &Db, scope: Scope, filter: &PartnerFilter) -> Result<i64> {
    let mut query = Q::dynamic("SELECT COUNT(*) FROM partners p WHERE 1 = 1".to_string());
    push_filter(&mut query, scope, filter);
    db.fetch_one(query).await
}

/// Distinct values of a column for filter menus.
pub async fn distinct_values(db: &Db, column: &str) -> Result<Vec<String>> {
    let col = match column {
        "region" => "region",
        "tier" => "tier",
        _ => return Ok(Vec::new()),
    };
    let rows: Vec<TextRow> = db
        .fetch_all(Q::dynamic(format!(
            "SELECT DISTINCT {col} AS v FROM partners ORDER BY {col}"
        )))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

struct TextRow(String);
from_row!(TextRow(v: text));

pub async fn find_partner(db: &Db, scope: Scope, id: Uuid) -> Result<Partner> {
    if !scope.allows(id) {
        return Err(DbError::NotFound);
    }
    db.fetch_one(Q::dynamic(format!("{PARTNER_SELECT} WHERE p.id = $1")).bind(id))
        .await
}

/// The partners with these codes (imports merge into them).
pub async fn find_partners_by_codes(db: &Db, codes: &[String]) -> Result<Vec<Partner>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let query = Q::over_list(chunk.iter().map(String::as_str), |list| {
            format!("{PARTNER_SELECT} WHERE p.code IN {list}")
        });
        out.extend(db.fetch_all::<Partner>(query).await?);
    }
    Ok(out)
}

/// Which of `ids` are partners (in chunks, one query each).
pub async fn existing_partner_ids(db: &Db, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut query = Q::dynamic("SELECT id FROM partners WHERE id IN ".to_string());
        let list = query.in_list(chunk.iter().copied());
        query.push_sql(&list);
        out.extend(db.fetch_all::<IdRow>(query).await?.into_iter().map(|r| r.0));
    }
    Ok(out)
}

/// A partner by id or by code; `None` when there is no such partner.
pub async fn resolve_partner_ref(db: &Db, r: &str) -> Result<Option<Uuid>> {
    let r = r.trim();
    let q = match Uuid::parse_str(r) {
        Ok(id) => q("SELECT id FROM partners WHERE id = $1").bind(id),
        Err(_) => q("SELECT id FROM partners WHERE code = $1").bind(r.to_uppercase()),
    };
    Ok(db.fetch_optional::<IdRow>(q).await?.map(|r| r.0))
}

pub struct IdRow(pub Uuid);
from_row!(IdRow(id: uuid));

/// Resolves owner references (user id or e-mail) to channel managers; unknown ones are errors.
async fn resolve_owners(
    db: &Db,
    refs: &[Option<String>],
) -> Result<Vec<Result<Option<Uuid>, String>>> {
    let managers: Vec<(Uuid, String)> = crate::user::list_possible_owners(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(refs
        .iter()
        .map(|r| match crate::given(r) {
            None => Ok(None),
            Some(s) => managers
                .iter()
                .find(|(id, email)| id.to_string() == s || email.eq_ignore_ascii_case(s))
                .map(|(id, _)| Some(*id))
                .ok_or_else(|| {
                    format!("'{s}' is not an active channel manager (give their e-mail or user id)")
                }),
        })
        .collect())
}

fn partner_detail(p: &NewPartner, owner: Option<Uuid>) -> serde_json::Value {
    json!({
        "code": p.code.as_str(), "name": p.name, "kind": p.kind.as_str(), "region": p.region,
        "tier": p.tier, "status": p.status.as_str(), "owner_id": owner, "timezone": p.timezone,
        "working_days": p.working_hours.days_text(), "working_hours": p.working_hours.hours_text(),
        "tags": p.tags, "notes": p.notes,
    })
}

pub async fn insert_partner(db: &Db, actor: Uuid, p: &NewPartner) -> Result<Partner> {
    let owner = resolve_owners(db, std::slice::from_ref(&p.owner))
        .await?
        .pop()
        .unwrap_or(Ok(None))
        .map_err(|m| DbError::Invalid(FieldErrors::single("owner", m)))?;
    let id = Uuid::now_v7();
    let now = db.now();
    let mut tx = db.begin().await?;
    insert_partner_rows(&mut tx, now, &[(id, p, owner)], false)
        .await
        .map_err(|e| e.conflict_on("code", p.code.as_str()))?;
    let entry = Entry::by(
        actor,
        "partner.create",
        "partner",
        id,
        partner_detail(p, owner),
    );
    tx.commit_audited(now, entry.of_partner(id)).await?;
    find_partner(db, Scope::All, id).await
}

/// Multi-row insert of partners, 500 a statement; with `upsert` an existing code is updated.
/// The bulk path for imports and generated partners: no checks beyond the parsed `NewPartner`,
/// and the caller writes the audit rows in the same transaction.
pub async fn insert_partner_rows(
    tx: &mut Tx,
    now: DateTime<Utc>,
    rows: &[(Uuid, &NewPartner, Option<Uuid>)],
    upsert: bool,
) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut query = Q::dynamic(format!(
            "INSERT INTO partners (id, code, name, kind, region, tier, status, owner_id, timezone,
                working_days, working_hours, tags, notes, search, version, created_at, updated_at) VALUES {}",
            values_sql(17, chunk.len())
        ));
        for (id, p, owner) in chunk {
            query = bind_partner(query.bind(*id), p, *owner)
                .bind(1i64)
                .bind(now)
                .bind(now);
        }
        if upsert {
            query.push_sql(
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,
              region = excluded.region, tier = excluded.tier, status = excluded.status,
              owner_id = excluded.owner_id, timezone = excluded.timezone,
              working_days = excluded.working_days, working_hours = excluded.working_hours,
              tags = excluded.tags, notes = excluded.notes, search = excluded.search,
              version = partners.version + 1, updated_at = excluded.updated_at
              RETURNING id, code",
            );
            // An updated row keeps its old id: index it under the id the database returns.
            let ids: HashMap<String, Uuid> = tx
                .fetch_all::<CodeId>(query)
                .await?
                .into_iter()
                .map(|r| (r.0, r.1))
                .collect();
            let docs: Vec<search::Doc> = chunk
                .iter()
                .filter_map(|(_, p, _)| {
                    let id = ids.get(p.code.as_str())?;
                    Some(search::partner_doc(*id, p, now))
                })
                .collect();
            search::index(tx, &docs, false).await?;
        } else {
            tx.execute(query).await?;
        }
    }
    if !upsert {
        // One index write for all the rows: postings sorted across more documents insert faster.
        let docs: Vec<search::Doc> = rows
            .iter()
            .map(|(id, p, _)| search::partner_doc(*id, p, now))
            .collect();
        search::index(tx, &docs, true).await?;
    }
    Ok(())
}

/// Binds the partner's stored fields, in the order of the table's columns: code, name, kind,
/// region, tier, status, owner_id, timezone, working_days, working_hours, tags, notes, search.
fn bind_partner(query: Q, p: &NewPartner, owner: Option<Uuid>) -> Q {
    query
        .bind(p.code.as_str())
        .bind(p.name.as_str())
        .bind(p.kind.as_str())
        .bind(p.region.as_str())
        .bind(p.tier.as_str())
        .bind(p.status.as_str())
        .bind(owner)
        .bind(p.timezone.as_str())
        .bind(p.working_hours.days_text())
        .bind(p.working_hours.hours_text())
        .bind(tags_to_db(&p.tags))
        .bind(p.notes.clone())
        .bind(search_text(p))
}

/// Replaces a partner's fields. `expected_version`, when given, must match (409 otherwise), so
/// two people editing at once do not overwrite each other silently.
pub async fn update_partner(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    p: &NewPartner,
    expected_version: Option<i64>,
) -> Result<Partner> {
    let before = find_partner(db, Scope::All, id).await?;
    if let Some(v) = expected_version
        && v != before.version
    {
        return Err(DbError::Conflict(format!(
            "the partner was changed by someone else (version {} now, you edited {v}); reload and try again",
            before.version
        )));
    }
    let owner = resolve_owners(db, std::slice::from_ref(&p.owner))
        .await?
        .pop()
        .unwrap_or(Ok(None))
        .map_err(|m| DbError::Invalid(FieldErrors::single("owner", m)))?;
    let now = db.now();
    let mut tx = db.begin().await?;
    let update = bind_partner(
        q("UPDATE partners SET code = $1, name = $2, kind = $3, region = $4, tier = $5, status = $6,
             owner_id = $7, timezone = $8, working_days = $9, working_hours = $10, tags = $11,
             notes = $12, search = $13, version = version + 1, updated_at = $14
           WHERE id = $15 AND version = $16"),
        p,
        owner,
    );
    tx.execute_versioned(
        update.bind(now).bind(id).bind(before.version),
        "the partner was changed by someone else; reload and try again",
    )
    .await
    .map_err(|e| e.conflict_on("code", p.code.as_str()))?;
    search::index(
        &mut tx,
        &[search::partner_doc(id, p, before.created_at)],
        false,
    )
    .await?;
    let after = partner_detail(p, owner);
    let old = partner_detail(&before_as_new(&before)?, before.owner_id);
    let mut changed = serde_json::Map::new();
    if let (Some(a), Some(b)) = (after.as_object(), old.as_object()) {
        for (k, v) in a {
            if b.get(k) != Some(v) {
                changed.insert(k.clone(), json!({"from": b.get(k), "to": v}));
            }
        }
    }
    let entry = Entry::by(actor, "partner.update", "partner", id, changed.into());
    tx.commit_audited(now, entry.of_partner(id)).await?;
    find_partner(db, Scope::All, id).await
}

fn before_as_new(p: &Partner) -> Result<NewPartner> {
    let mut input = p.to_input();
    input.owner = None;
    input.parse().map_err(DbError::Invalid)
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
}

/// Upserts partners by code, all or nothing: owners are resolved and duplicate codes within the
/// file found first, and any bad row means nothing is written. A dry run does all of it and
/// rolls back.
pub async fn import_partners(
    db: &Db,
    actor: Uuid,
    rows: &[(usize, NewPartner)],
    dry_run: bool,
) -> Result<ImportReport> {
    let mut errors = Vec::new();
    let owners = resolve_owners(
        db,
        &rows
            .iter()
            .map(|(_, p)| p.owner.clone())
            .collect::<Vec<_>>(),
    )
    .await?;
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut resolved = Vec::with_capacity(rows.len());
    for ((row, p), owner) in rows.iter().zip(owners) {
        if let Some(first) = seen.insert(p.code.as_str(), *row) {
            errors.push(RowError {
                row: *row,
                field: "code".into(),
                message: format!("code {} also appears in row {first}", p.code.as_str()),
            });
        }
        match owner {
            Ok(o) => resolved.push((Uuid::now_v7(), p, o)),
            Err(m) => errors.push(RowError {
                row: *row,
                field: "owner".into(),
                message: m,
            }),
        }
    }
    if !errors.is_empty() {
        return Err(DbError::InvalidRows(errors));
    }
    let codes: Vec<String> = rows
        .iter()
        .map(|(_, p)| p.code.as_str().to_string())
        .collect();
    let now = db.now();
    let mut tx = db.begin().await?;
    // Read inside the write transaction, so the created/updated split is exact.
    let existing: std::collections::HashSet<String> =
        ids_by_code(&mut tx, &codes).await?.into_keys().collect();
    insert_partner_rows(&mut tx, now, &resolved, true).await?;
    // Rows that were updates keep their old id: read the ids back by code for the audit rows.
    let ids = ids_by_code(&mut tx, &codes).await?;
    let entries = resolved
        .iter()
        .map(|(_, p, owner)| {
            let id = ids.get(p.code.as_str()).copied();
            let updated = existing.contains(p.code.as_str());
            Entry {
                partner_id: id,
                ..Entry::new(
                    Some(actor),
                    if updated {
                        "partner.import_update"
                    } else {
                        "partner.import_create"
                    },
                    "partner",
                    id,
                    partner_detail(p, *owner),
                )
            }
        })
        .collect();
    audit::append_many(&mut tx, now, entries).await?;
    tx.finish(dry_run).await?;
    let updated = rows
        .iter()
        .filter(|(_, p)| existing.contains(p.code.as_str()))
        .count();
    Ok(ImportReport {
        created: rows.len() - updated,
        updated,
    })
}

struct CodeId(String, Uuid);
from_row!(CodeId(code: text, id: uuid));

pub(crate) async fn ids_by_code(
    tx: &mut Tx,
    codes: &[String],
) -> Result<std::collections::HashMap<String, Uuid>> {
    let mut out = std::collections::HashMap::new();
    for chunk in codes.chunks(500) {
        let query = Q::over_list(chunk.iter().map(String::as_str), |list| {
            format!("SELECT code, id FROM partners WHERE code IN {list}")
        });
        out.extend(
            tx.fetch_all::<CodeId>(query)
                .await?
                .into_iter()
                .map(|r| (r.0, r.1)),
        );
    }
    Ok(out)
}

// ---- contacts ----

#[derive(Debug, Clone, Serialize)]
pub struct Contact {
    pub id: Uuid,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub im_webhook: Option<String>,
    pub preferred_channels: Vec<String>,
    pub lang: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Contact {
    pub fn to_input(&self) -> ContactInput {
        ContactInput {
            name: Some(self.name.clone()),
            email: self.email.clone(),
            phone: self.phone.clone(),
            title: self.title.clone(),
            im_webhook: self.im_webhook.clone(),
            preferred_channels: Some(self.preferred_channels.clone()),
            lang: Some(self.lang.clone()),
        }
    }
}

from_row!(Contact; id: uuid, partner_id: uuid, partner_code: text, name: text, email: opt_text,
    phone: opt_text, title: opt_text, im_webhook: opt_text,
    preferred_channels: text -> comma_list, lang: text, created_at: time, updated_at: time);

const CONTACT_SELECT: &str =
    "SELECT c.id, c.partner_id, p.code AS partner_code, c.name, c.email, c.phone, c.title,
        c.im_webhook, c.preferred_channels, c.lang, c.created_at, c.updated_at
   FROM contacts c JOIN partners p ON p.id = c.partner_id";

pub async fn list_contacts(db: &Db, scope: Scope, partner_id: Uuid) -> Result<Vec<Contact>> {
    find_partner(db, scope, partner_id).await?;
    db.fetch_all(
        Q::dynamic(format!(
            "{CONTACT_SELECT} WHERE c.partner_id = $1 ORDER BY c.id"
        ))
        .bind(partner_id),
    )
    .await
}

/// Contacts of every partner matching the filter (exports).
pub async fn list_all_contacts(
    db: &Db,
    scope: Scope,
    filter: &PartnerFilter,
) -> Result<Vec<Contact>> {
    let mut query = Q::dynamic(format!("{CONTACT_SELECT} WHERE 1 = 1"));
    push_filter(&mut query, scope, filter);
    query.push_sql(" ORDER BY p.code, c.id");
    db.fetch_all(query).await
}

pub async fn find_contact(db: &Db, scope: Scope, partner_id: Uuid, id: Uuid) -> Result<Contact> {
    if !scope.allows(partner_id) {
        return Err(DbError::NotFound);
    }
    db.fetch_one(
        Q::dynamic(format!(
            "{CONTACT_SELECT} WHERE c.id = $1 AND c.partner_id = $2"
        ))
        .bind(id)
        .bind(partner_id),
    )
    .await
}

/// Binds the contact's stored fields, in the order of the table's columns: name, email, phone,
/// title, im_webhook, preferred_channels (`portal,email`), lang.
fn bind_contact(query: Q, c: &NewContact) -> Q {
    let channels: Vec<&str> = c.preferred_channels.iter().map(|c| c.as_str()).collect();
    query
        .bind(c.name.as_str())
        .bind(c.email.as_ref().map(|e| e.as_str()))
        .bind(c.phone.clone())
        .bind(c.title.clone())
        .bind(c.im_webhook.clone())
        .bind(channels.join(","))
        .bind(c.lang.tag())
}

/// Writes `c` over the contact `id` of `partner_id`, which must be there.
async fn update_contact_row(
    tx: &mut Tx,
    now: DateTime<Utc>,
    partner_id: Uuid,
    id: Uuid,
    c: &NewContact,
) -> Result<()> {
    let query = bind_contact(
        q("UPDATE contacts SET name = $1, email = $2, phone = $3, title = $4, im_webhook = $5,
             preferred_channels = $6, lang = $7, updated_at = $8 WHERE id = $9 AND partner_id = $10"),
        c,
    );
    tx.execute_one(query.bind(now).bind(id).bind(partner_id))
        .await
}

fn contact_detail(c: &NewContact) -> serde_json::Value {
    json!({
        "name": c.name, "email": c.email.as_ref().map(|e| e.as_str()), "phone": c.phone,
        "title": c.title, "im_webhook": c.im_webhook.as_ref().map(|_| "(set)"),
        "preferred_channels": c.preferred_channels.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "lang": c.lang.tag(),
    })
}

/// Multi-row insert of contacts, 500 a statement: the bulk path, like `insert_partner_rows`.
pub async fn insert_contact_rows(
    tx: &mut Tx,
    now: DateTime<Utc>,
    rows: &[(Uuid, Uuid, &NewContact)],
) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut query = Q::dynamic(format!(
            "INSERT INTO contacts (id, partner_id, name, email, phone, title, im_webhook,
                preferred_channels, lang, created_at, updated_at) VALUES {}",
            values_sql(11, chunk.len())
        ));
        for (id, partner_id, c) in chunk {
            query = bind_contact(query.bind(*id).bind(*partner_id), c)
                .bind(now)
                .bind(now);
        }
        tx.execute(query).await?;
    }
    let docs: Vec<search::Doc> = rows
        .iter()
        .map(|(id, partner_id, c)| search::contact_doc(*id, *partner_id, c, now))
        .collect();
    search::index(tx, &docs, true).await
}

pub async fn insert_contact(
    db: &Db,
    actor: Uuid,
    partner_id: Uuid,
    c: &NewContact,
) -> Result<Contact> {
    find_partner(db, Scope::All, partner_id).await?;
    let id = Uuid::now_v7();
    let now = db.now();
    let mut tx = db.begin().await?;
    insert_contact_rows(&mut tx, now, &[(id, partner_id, c)]).await?;
    let entry = Entry::by(actor, "contact.create", "contact", id, contact_detail(c));
    tx.commit_audited(now, entry.of_partner(partner_id)).await?;
    find_contact(db, Scope::All, partner_id, id).await
}

pub async fn update_contact(
    db: &Db,
    actor: Uuid,
    partner_id: Uuid,
    id: Uuid,
    c: &NewContact,
) -> Result<Contact> {
    let now = db.now();
    let mut tx = db.begin().await?;
    update_contact_row(&mut tx, now, partner_id, id, c).await?;
    search::index(
        &mut tx,
        &[search::contact_doc(id, partner_id, c, now)],
        false,
    )
    .await?;
    let entry = Entry::by(actor, "contact.update", "contact", id, contact_detail(c));
    tx.commit_audited(now, entry.of_partner(partner_id)).await?;
    find_contact(db, Scope::All, partner_id, id).await
}

pub async fn delete_contact(db: &Db, actor: Uuid, partner_id: Uuid, id: Uuid) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(
        q("DELETE FROM contacts WHERE id = $1 AND partner_id = $2")
            .bind(id)
            .bind(partner_id),
    )
    .await?;
    search::delete(&mut tx, &[id]).await?;
    let entry = Entry::by(actor, "contact.delete", "contact", id, json!({}));
    tx.commit_audited(now, entry.of_partner(partner_id)).await
}

/// Adds contacts to partners named by code, all or nothing. A row whose e-mail already belongs
/// to a contact of that partner updates that contact. A dry run does all of it and rolls back.
pub async fn import_contacts(
    db: &Db,
    actor: Uuid,
    rows: &[(usize, String, NewContact)],
    dry_run: bool,
) -> Result<ImportReport> {
    let codes: Vec<String> = rows
        .iter()
        .map(|(_, c, _)| c.trim().to_uppercase())
        .collect();
    let mut tx = db.begin().await?;
    let ids = ids_by_code(&mut tx, &codes).await?;
    let mut errors = Vec::new();
    let mut seen: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
    for ((row, _, c), code) in rows.iter().zip(&codes) {
        // One e-mail twice for a partner would otherwise make two contacts out of one person.
        if let Some(e) = &c.email {
            let first = *seen.entry((code.as_str(), e.as_str())).or_insert(*row);
            if first != *row {
                errors.push(RowError {
                    row: *row,
                    field: "email".into(),
                    message: format!(
                        "e-mail {} also appears in row {first} for partner {code}",
                        e.as_str()
                    ),
                });
            }
        }
        if !ids.contains_key(code) {
            errors.push(RowError {
                row: *row,
                field: "partner_code".into(),
                message: if code.is_empty() {
                    "is required".into()
                } else {
                    format!("no partner with code {code}")
                },
            });
        }
    }
    if !errors.is_empty() {
        return Err(DbError::InvalidRows(errors));
    }
    let existing: Vec<Contact> = {
        let mut out = Vec::new();
        let pids: Vec<Uuid> = ids.values().copied().collect();
        for chunk in pids.chunks(500) {
            let query = Q::over_list(chunk.iter().copied(), |list| {
                format!("{CONTACT_SELECT} WHERE c.partner_id IN {list} AND c.email IS NOT NULL")
            });
            out.extend(tx.fetch_all::<Contact>(query).await?);
        }
        out
    };
    let now = db.now();
    let mut new_rows = Vec::new();
    let mut entries = Vec::new();
    let mut updated = 0;
    let mut reindexed = Vec::new();
    for ((_, _, c), code) in rows.iter().zip(&codes) {
        let pid = ids[code];
        let same = c.email.as_ref().and_then(|e| {
            existing
                .iter()
                .find(|x| x.partner_id == pid && x.email.as_deref() == Some(e.as_str()))
        });
        let (id, action) = match same {
            Some(x) => {
                update_contact_row(&mut tx, now, pid, x.id, c).await?;
                updated += 1;
                reindexed.push(search::contact_doc(x.id, pid, c, now));
                (x.id, "contact.import_update")
            }
            None => {
                let id = Uuid::now_v7();
                new_rows.push((id, pid, c));
                (id, "contact.import_create")
            }
        };
        entries.push(Entry::by(actor, action, "contact", id, contact_detail(c)).of_partner(pid));
    }
    insert_contact_rows(&mut tx, now, &new_rows).await?;
    search::index(&mut tx, &reindexed, false).await?;
    audit::append_many(&mut tx, now, entries).await?;
    tx.finish(dry_run).await?;
    Ok(ImportReport {
        created: rows.len() - updated,
        updated,
    })
}

#[cfg(test)]
mod tests {
    use super::phone_digits;

    #[test]
    fn phone_numbers_are_searched_as_their_national_digits() {
        assert_eq!(
            phone_digits("+86 138 0123 4567").as_deref(),
            Some("13801234567")
        );
        assert_eq!(
            phone_digits("+86-138-0123-4567").as_deref(),
            Some("13801234567")
        );
        assert_eq!(phone_digits("138 0123").as_deref(), Some("1380123"));
        assert_eq!(
            phone_digits("(010) 1234-5678").as_deref(),
            Some("01012345678")
        );
        assert_eq!(phone_digits("王伟"), None);
        assert_eq!(phone_digits("SH-D001"), None);
        assert_eq!(phone_digits("2026"), None);
    }
}

/// A partner's clock as scheduling reads it (§5.3.1): code, zone, working days and hours.
#[derive(Debug, Clone)]
pub struct PartnerClockRow {
    pub code: String,
    pub timezone: String,
    pub working_days: String,
    pub working_hours: String,
}
from_row!(PartnerClockRow; code: text, timezone: text, working_days: text, working_hours: text);

pub async fn partner_clocks(db: &Db, ids: &[Uuid]) -> Result<Vec<PartnerClockRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(ids.iter().copied());
    db.fetch_all(query.replace_sql(format!(
        "SELECT code, timezone, working_days, working_hours FROM partners WHERE id IN {list} ORDER BY code"
    )))
    .await
}

/// The partner `contact` belongs to.
pub async fn contact_partner(db: &Db, contact: Uuid) -> Result<Option<Uuid>> {
    db.fetch_optional(q("SELECT partner_id FROM contacts WHERE id = $1").bind(contact))
        .await
}

/// The partner's channel manager (`owner_id`).
pub async fn partner_owner(db: &Db, partner: Uuid) -> Result<Option<Uuid>> {
    let row: Option<Option<Uuid>> = db
        .fetch_optional::<OwnerRow>(q("SELECT owner_id FROM partners WHERE id = $1").bind(partner))
        .await?
        .map(|r| r.0);
    Ok(row.flatten())
}

struct OwnerRow(Option<Uuid>);
from_row!(OwnerRow(owner_id: opt_uuid));

/// A contact's language tag.
pub async fn contact_lang(db: &Db, contact: Uuid) -> Result<Option<String>> {
    db.fetch_optional(q("SELECT lang FROM contacts WHERE id = $1").bind(contact))
        .await
}
