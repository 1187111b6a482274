//! The policy library (issue 11; policy §3.1, SPEC D1-D3): policies, their versions and the
//! answers published on them. A version is created with the draft request that will announce
//! it, in one transaction; its state follows from that request, its message and its dates
//! (`liaison_core::policies::states`). Acknowledgements are the delivery ledger's: the matrix
//! reads each version's receipts per partner.

use crate::audit::Entry;
use crate::query::{json as decode, parsed};
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, Utc};
use liaison_core::Actor;
use liaison_core::policies::{PolicyForm, PolicyKind, VersionFacts, VersionForm};
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::{Classification, RequestState};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    pub id: Uuid,
    pub kind: PolicyKind,
    pub title: String,
    pub title_en: Option<String>,
    pub owner_department_id: Option<Uuid>,
    pub owner_department_name: Option<String>,
    pub audience: Audience,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

from_row!(Policy; id: uuid, kind: text => parsed(PolicyKind::parse), title: text,
    title_en: opt_text, owner_department_id: opt_uuid, owner_department_name: opt_text,
    audience: text => decode, created_by: uuid, created_at: time, updated_at: time, version: i64);

const POLICY: &str = "SELECT p.id, p.kind, p.title, p.title_en, p.owner_department_id,
        dep.name AS owner_department_name, p.audience, p.created_by, p.created_at, p.updated_at,
        p.version
   FROM policies p LEFT JOIN departments dep ON dep.id = p.owner_department_id";

/// A version as stored, with what its state is derived from.
#[derive(Debug, Clone, Serialize)]
pub struct VersionRow {
    pub id: Uuid,
    pub policy_id: Uuid,
    pub n: i64,
    pub request_id: Uuid,
    pub body: String,
    pub effective_at: Option<DateTime<Utc>>,
    pub change_reason: Option<String>,
    pub impact: Option<String>,
    pub important: bool,
    pub classification: Classification,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub request_state: RequestState,
    /// The review steps its request needed (`executive` among them for a short notice).
    pub chain: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub message_id: Option<Uuid>,
    pub announced_at: Option<DateTime<Utc>>,
    pub ack_due_at: Option<DateTime<Utc>>,
}

from_row!(VersionRow; id: uuid, policy_id: uuid, n: i64, request_id: uuid, body: text,
    effective_at: opt_time, change_reason: opt_text, impact: opt_text, important: bool,
    classification: text => parsed(Classification::parse), withdrawn_at: opt_time, created_by: uuid, created_at: time,
    request_state: text => parsed(RequestState::parse), chain: text, submitted_at: opt_time,
    message_id: opt_uuid, announced_at: opt_time, ack_due_at: opt_time);

impl VersionRow {
    pub fn facts(&self) -> VersionFacts {
        VersionFacts {
            request: self.request_state,
            announced_at: self.announced_at,
            effective_at: self.effective_at,
            withdrawn: self.withdrawn_at.is_some(),
        }
    }
}

const VERSION: &str =
    "SELECT v.id, v.policy_id, v.n, v.request_id, v.body, v.effective_at, v.change_reason,
        v.impact, v.important, v.classification, v.withdrawn_at, v.created_by, v.created_at,
        r.state AS request_state, r.chain, r.submitted_at, r.message_id,
        m.created_at AS announced_at, m.ack_due_at
   FROM policy_versions v JOIN requests r ON r.id = v.request_id
   LEFT JOIN messages m ON m.id = r.message_id";

fn entry<'a>(actor: Uuid, action: &'a str, id: Uuid, detail: serde_json::Value) -> Entry<'a> {
    Entry::by(actor, action, "policy", id, detail)
}

/// A partner sees a policy once one of its versions was delivered to it (the audience as it
/// was announced).
fn delivered_to(query: &mut Q, partner: Uuid) -> String {
    let p = query.arg(partner);
    format!(
        "EXISTS (SELECT 1 FROM policy_versions pv JOIN requests pr ON pr.id = pv.request_id
                  JOIN deliveries pd ON pd.message_id = pr.message_id
                 WHERE pv.policy_id = p.id AND pd.partner_id = {p})"
    )
}

/// Policies, by kind then newest; for a partner (`partner`) only those announced to it.
pub async fn list_policies(
    db: &Db,
    partner: Option<Uuid>,
    kind: Option<PolicyKind>,
) -> Result<Vec<Policy>> {
    let mut query = Q::dynamic(format!("{POLICY} WHERE 1 = 1"));
    if let Some(p) = partner {
        let cond = delivered_to(&mut query, p);
        query.push_sql(&format!(" AND {cond}"));
    }
    query.and_some("p.kind =", kind.map(|k| k.as_str()));
    query.push_sql(" ORDER BY p.kind, p.id DESC LIMIT 500");
    db.fetch_all(query).await
}

pub async fn find_policy(db: &Db, id: Uuid, partner: Option<Uuid>) -> Result<Policy> {
    let mut query = Q::dynamic(format!("{POLICY} WHERE p.id = $1")).bind(id);
    if let Some(p) = partner {
        let cond = delivered_to(&mut query, p);
        query.push_sql(&format!(" AND {cond}"));
    }
    db.fetch_optional(query).await?.ok_or(DbError::NotFound)
}

pub async fn insert_policy(db: &Db, actor: Uuid, form: &PolicyForm) -> Result<Policy> {
    let id = Uuid::now_v7();
    let audience =
        serde_json::to_string(&form.audience).map_err(|e| DbError::Config(e.to_string()))?;
    db.write_one(
        |now| {
            q(
                "INSERT INTO policies (id, kind, title, title_en, owner_department_id, audience,
                  created_by, created_at, updated_at, version)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1)",
            )
            .bind(id)
            .bind(form.kind.as_str())
            .bind(form.title.as_str())
            .bind(form.title_en.clone())
            .bind(form.owner_department_id)
            .bind(audience.clone())
            .bind(actor)
            .bind(now)
        },
        entry(
            actor,
            "policy.create",
            id,
            json!({"title": form.title, "kind": form.kind}),
        ),
    )
    .await?;
    find_policy(db, id, None).await
}

/// Replaces a policy's fields; `expected` (the `version` the caller read) guards against a
/// lost update.
pub async fn update_policy(
    db: &Db,
    actor: Uuid,
    id: Uuid,
    form: &PolicyForm,
    expected: Option<i64>,
) -> Result<Policy> {
    let audience =
        serde_json::to_string(&form.audience).map_err(|e| DbError::Config(e.to_string()))?;
    let now = db.now();
    let mut tx = db.begin().await?;
    let mut query = q(
        "UPDATE policies SET kind = $1, title = $2, title_en = $3, owner_department_id = $4,
              audience = $5, updated_at = $6, version = version + 1 WHERE id = $7",
    )
    .bind(form.kind.as_str())
    .bind(form.title.as_str())
    .bind(form.title_en.clone())
    .bind(form.owner_department_id)
    .bind(audience)
    .bind(now)
    .bind(id);
    if let Some(v) = expected {
        query.and("version =", v);
    }
    tx.execute_versioned(query, "the policy was changed by someone else; reload it")
        .await?;
    tx.commit_audited(
        now,
        entry(actor, "policy.update", id, json!({"title": form.title})),
    )
    .await?;
    find_policy(db, id, None).await
}

/// A policy's versions, oldest first.
pub async fn list_versions(db: &Db, policy: Uuid) -> Result<Vec<VersionRow>> {
    db.fetch_all(Q::dynamic(format!("{VERSION} WHERE v.policy_id = $1 ORDER BY v.n")).bind(policy))
        .await
}

/// The versions of several policies (a list page), oldest first within each.
pub async fn versions_of(db: &Db, policies: &[Uuid]) -> Result<Vec<VersionRow>> {
    if policies.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(policies.iter().copied());
    query.push_sql(&format!(
        "{VERSION} WHERE v.policy_id IN {list} ORDER BY v.policy_id, v.n"
    ));
    db.fetch_all(query).await
}

/// The version a request publishes, with its policy: the review reads its notice rule.
pub async fn version_of_request(db: &Db, request: Uuid) -> Result<Option<(VersionRow, Policy)>> {
    let v: Option<VersionRow> = db
        .fetch_optional(Q::dynamic(format!("{VERSION} WHERE v.request_id = $1")).bind(request))
        .await?;
    match v {
        Some(v) => {
            let p = find_policy(db, v.policy_id, None).await?;
            Ok(Some((v, p)))
        }
        None => Ok(None),
    }
}

/// Creates version n+1 of `policy` and the draft request `announcement` that will publish it,
/// together. Returns the version.
pub async fn insert_version(
    db: &Db,
    actor: &Actor,
    policy: Uuid,
    form: &VersionForm,
    announcement: impl FnOnce(i64) -> RequestInput,
) -> Result<VersionRow> {
    let now = db.now();
    let mut tx = db.begin().await?;
    let n: i64 = tx
        .fetch_one(
            q("SELECT CAST(COALESCE(MAX(n), 0) AS BIGINT) FROM policy_versions WHERE policy_id = $1")
                .bind(policy),
        )
        .await?;
    let n = n + 1;
    let (request, _) =
        crate::request::insert_draft(db, &mut tx, actor, &announcement(n), now).await?;
    let id = Uuid::now_v7();
    tx.execute_one(
        q("INSERT INTO policy_versions (id, policy_id, n, request_id, body, effective_at, change_reason,
              impact, important, classification, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(id)
        .bind(policy)
        .bind(n)
        .bind(request)
        .bind(form.body.as_str())
        .bind(form.effective_at)
        .bind(form.change_reason.clone())
        .bind(form.impact.clone())
        .bind(form.important)
        .bind(form.classification.as_str())
        .bind(actor.user_id)
        .bind(now),
    )
    .await?;
    tx.commit_audited(
        now,
        entry(
            actor.user_id,
            "policy.version.create",
            policy,
            json!({"n": n, "request_id": request, "effective_at": form.effective_at}),
        ),
    )
    .await?;
    find_version(db, policy, n).await
}

pub async fn find_version(db: &Db, policy: Uuid, n: i64) -> Result<VersionRow> {
    db.fetch_optional(
        Q::dynamic(format!("{VERSION} WHERE v.policy_id = $1 AND v.n = $2"))
            .bind(policy)
            .bind(n),
    )
    .await?
    .ok_or(DbError::NotFound)
}

/// One version by its own id.
pub async fn find_version_by_id(db: &Db, id: Uuid) -> Result<VersionRow> {
    db.fetch_optional(Q::dynamic(format!("{VERSION} WHERE v.id = $1")).bind(id))
        .await?
        .ok_or(DbError::NotFound)
}

/// A draft version's text and dates (its request is changed by the caller first).
pub async fn update_version(
    db: &Db,
    actor: Uuid,
    version: &VersionRow,
    form: &VersionForm,
) -> Result<VersionRow> {
    db.write_one(
        |_| {
            q("UPDATE policy_versions SET body = $1, effective_at = $2, change_reason = $3, impact = $4,
                  important = $5, classification = $6 WHERE id = $7")
            .bind(form.body.as_str())
            .bind(form.effective_at)
            .bind(form.change_reason.clone())
            .bind(form.impact.clone())
            .bind(form.important)
            .bind(form.classification.as_str())
            .bind(version.id)
        },
        entry(
            actor,
            "policy.version.update",
            version.policy_id,
            json!({"n": version.n, "effective_at": form.effective_at}),
        ),
    )
    .await?;
    find_version(db, version.policy_id, version.n).await
}

/// Takes back an approved version before it takes force: it never will.
pub async fn withdraw_version(db: &Db, actor: Uuid, version: &VersionRow) -> Result<VersionRow> {
    db.write_one(
        |now| {
            q("UPDATE policy_versions SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL")
                .bind(now)
                .bind(version.id)
        },
        entry(
            actor,
            "policy.version.withdraw",
            version.policy_id,
            json!({"n": version.n}),
        ),
    )
    .await?;
    find_version(db, version.policy_id, version.n).await
}

/// An answer published on a version to its whole audience (§3.1.1).
#[derive(Debug, Clone, Serialize)]
pub struct Faq {
    pub id: Uuid,
    pub version_id: Uuid,
    pub question: String,
    pub answer: String,
    pub thread_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

from_row!(Faq; id: uuid, version_id: uuid, question: text, answer: text, thread_id: opt_uuid,
    created_at: time);

pub async fn insert_faq(
    db: &Db,
    actor: Uuid,
    version: &VersionRow,
    question: &str,
    answer: &str,
    thread: Option<Uuid>,
) -> Result<Faq> {
    let id = Uuid::now_v7();
    db.write_one(
        |now| {
            q("INSERT INTO policy_faqs (id, version_id, question, answer, thread_id, created_by, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(version.id)
            .bind(question)
            .bind(answer)
            .bind(thread)
            .bind(actor)
            .bind(now)
        },
        entry(actor, "policy.faq", version.policy_id, json!({"n": version.n, "faq": id})),
    )
    .await?;
    db.fetch_one(
        q("SELECT id, version_id, question, answer, thread_id, created_at FROM policy_faqs WHERE id = $1")
            .bind(id),
    )
    .await
}

pub async fn list_faqs(db: &Db, version: Uuid) -> Result<Vec<Faq>> {
    db.fetch_all(
        q(
            "SELECT id, version_id, question, answer, thread_id, created_at FROM policy_faqs
            WHERE version_id = $1 ORDER BY id",
        )
        .bind(version),
    )
    .await
}

/// One version's receipts: partners sent it and partners who confirmed it.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Receipts {
    pub sent: i64,
    pub acknowledged: i64,
}

struct ReceiptRow(i64, i64);
from_row!(ReceiptRow(sent: i64, acked: i64));

/// One message's receipts: how many partners it reached and how many confirmed (one receipt
/// per recipient partner, whatever the channels), from the `deliveries_receipts` index alone.
async fn receipts_of(db: &Db, message: Uuid) -> Result<Receipts> {
    let r: ReceiptRow = db
        .fetch_one(
            q("SELECT CAST(COUNT(DISTINCT d.partner_id) AS BIGINT) AS sent,
                      CAST(COUNT(DISTINCT CASE WHEN d.acked_at IS NOT NULL THEN d.partner_id END) AS BIGINT) AS acked
                 FROM deliveries d WHERE d.message_id = $1")
            .bind(message),
        )
        .await?;
    Ok(Receipts {
        sent: r.0,
        acknowledged: r.1,
    })
}

/// The receipts of each of `messages`, counted side by side on the readers (one per message).
pub async fn receipts(db: &Db, messages: &[Uuid]) -> Result<Vec<(Uuid, Receipts)>> {
    let tasks: Vec<_> = messages
        .iter()
        .map(|m| {
            let (db, m) = (db.clone(), *m);
            tokio::spawn(async move { receipts_of(&db, m).await.map(|r| (m, r)) })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.map_err(|e| DbError::Config(e.to_string()))??);
    }
    Ok(out)
}

/// A matrix row's partner.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixPartner {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

from_row!(MatrixPartner; id: uuid, code: text, name: text);

/// A page of the partners any of `messages` reached, by code after `after`.
pub async fn matrix_partners(
    db: &Db,
    messages: &[Uuid],
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<MatrixPartner>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(messages.iter().copied());
    let mut sql = format!(
        "SELECT p.id, p.code, p.name FROM partners p
          WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.partner_id = p.id AND d.message_id IN {list})"
    );
    if let Some(a) = after {
        sql.push_str(&format!(" AND p.code > {}", query.arg(a)));
    }
    sql.push_str(&format!(" ORDER BY p.code LIMIT {}", query.arg(limit)));
    query.push_sql(&sql);
    db.fetch_all(query).await
}

/// For `partners` × `messages`: (partner, message, acknowledged at) of each pair sent.
pub async fn matrix_cells(
    db: &Db,
    partners: &[Uuid],
    messages: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, Option<DateTime<Utc>>)>> {
    if partners.is_empty() || messages.is_empty() {
        return Ok(Vec::new());
    }
    struct Cell(Uuid, Uuid, Option<DateTime<Utc>>);
    from_row!(Cell(partner_id: uuid, message_id: uuid, acked_at: opt_time));
    let mut query = Q::dynamic(String::new());
    let p = query.in_list(partners.iter().copied());
    let m = query.in_list(messages.iter().copied());
    query.push_sql(&format!(
        "SELECT d.partner_id, d.message_id, MIN(d.acked_at) AS acked_at FROM deliveries d
          WHERE d.partner_id IN {p} AND d.message_id IN {m}
          GROUP BY d.partner_id, d.message_id"
    ));
    let rows: Vec<Cell> = db.fetch_all(query).await?;
    Ok(rows.into_iter().map(|c| (c.0, c.1, c.2)).collect())
}

/// The notice days each kind asks for (§3.1.2), from the review settings (default 30).
pub async fn notice_days(db: &Db, kind: PolicyKind) -> Result<i64> {
    Ok(crate::settings::review(db).await?.notice_days_for(kind))
}
