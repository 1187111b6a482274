//! The policy library (issue 11; policy §3.1, SPEC D1-D3). Any employee writes policies and
//! their versions; a version is published only through the request form and its review chain
//! (category `policy`, one path): creating a version drafts its announcement request, whose
//! approval dispatches it to the policy's audience and asks each partner to acknowledge it.
//! An important change with less notice than its kind's setting needs the executive step
//! (§3.1.2) and is flagged. Partner users see only policies announced to their partner, and only
//! the versions they were sent; anything else is not found.

pub use crate::Error;
use crate::Result;
use crate::access::Item;
use chrono::{DateTime, Utc};
use liaison_core::access::{Access, ItemKind};
use liaison_core::diff::{self, Paragraph, Summary};
use liaison_core::policies::{
    self as rules, AckCell, PolicyInput, PolicyKind, VersionInput, VersionState,
};
use liaison_core::request::RequestInput;
use liaison_core::review::{Classification, Step};
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::policies::{self as repo, Faq, MatrixPartner, Policy, Receipts, VersionRow};
use serde::Serialize;
use uuid::Uuid;

/// A version as people see it: its state now, when it takes force, how much notice it gave.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    /// The version's own id (its need-to-know item: `/api/v1/access/policy_version/{id}`).
    pub id: Uuid,
    pub n: i64,
    pub state: VersionState,
    pub body: String,
    pub effective_at: Option<DateTime<Utc>>,
    /// When it takes (or took) force: its effective date, never before its announcement.
    pub in_force_from: Option<DateTime<Utc>>,
    pub change_reason: Option<String>,
    pub impact: Option<String>,
    pub important: bool,
    pub announced_at: Option<DateTime<Utc>>,
    pub ack_due_at: Option<DateTime<Utc>>,
    /// Days between the announcement (or, before it, the submission) and the effective date.
    pub notice_days: Option<i64>,
    /// §3.1.2: an important change with less notice than the setting; it needed an executive.
    pub short_notice: bool,
    /// The executive step was in its review chain.
    pub executive_approved: bool,
    /// What changed against the version before it, paragraph counts.
    pub change_summary: Option<Summary>,
    /// Staff only: the request that publishes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<Uuid>,
    /// A partner user's own acknowledgement (for a partner only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledgement: Option<AckCell>,
    pub faqs: Vec<Faq>,
    pub classification: Classification,
    /// §7.2.2: the reader is outside this confidential version's circle (its author, its
    /// approvers, its access list) and sees that it exists only: no text, reason or impact.
    pub restricted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    #[serde(flatten)]
    pub policy: Policy,
    /// The version in force now, if any.
    pub in_force: Option<i64>,
    /// The next version announced and not yet in force, if any.
    pub coming: Option<i64>,
    pub versions: Vec<Version>,
}

fn readable(actor: &Actor) -> Result<()> {
    Ok(authorize(
        actor,
        Permission::ReadPolicies,
        &Object::default(),
    )?)
}

fn writable(actor: &Actor) -> Result<()> {
    Ok(authorize(
        actor,
        Permission::WritePolicies,
        &Object::default(),
    )?)
}

/// The partner a partner user reads as; `None` for staff. A partner user without a partner
/// sees nothing.
fn viewer_partner(actor: &Actor) -> Result<Option<Uuid>> {
    if actor.is_partner() {
        actor.scope().partner().map(Some).ok_or(Error::NotFound)
    } else {
        Ok(None)
    }
}

/// A policy version as a need-to-know item (§7.2.2): its announcing request's circle (the
/// author owns it, its approvers know it), titled by the policy and number.
async fn item(db: &Db, actor: &Actor, title: &str, row: &VersionRow) -> Result<Item> {
    let r = liaison_db::request::find_request(db, row.request_id).await?;
    let mut it = crate::access::request_item(actor, &r);
    it.kind = ItemKind::PolicyVersion;
    it.id = row.id;
    it.title = format!("{title} v{}", row.n);
    it.classification = row.classification;
    it.link = format!("/console/policies/{}?v={}", row.policy_id, row.n);
    it.circle.owners = vec![row.created_by];
    Ok(it)
}

/// Staff act on a confidential version (withdraw it, answer questions on it) only if they may
/// read it whole (§7.2.2).
async fn must_know_version(db: &Db, actor: &Actor, policy: Uuid, row: &VersionRow) -> Result<()> {
    if actor.is_partner() || row.classification < Classification::Confidential {
        return Ok(());
    }
    let p = repo::find_policy(db, policy, None).await?;
    crate::access::must_know(db, actor, item(db, actor, &p.title, row).await?).await
}

/// The version as a need-to-know item, for staff who may read the library (`access::item`).
pub(crate) async fn access_item(db: &Db, actor: &Actor, id: Uuid) -> Result<Item> {
    readable(actor)?;
    if actor.is_partner() {
        return Err(Error::NotFound);
    }
    let row = repo::find_version_by_id(db, id).await?;
    let policy = repo::find_policy(db, row.policy_id, None).await?;
    item(db, actor, &policy.title, &row).await
}

/// How much of each version the actor sees (§7.2.2), in order: `Some(restricted)`, or `None`
/// for a hidden one. `audit`: one policy's page records its classified versions' reads; the
/// library does not.
async fn screen(
    db: &Db,
    actor: &Actor,
    policy: &Policy,
    rows: &[VersionRow],
    audit: bool,
) -> Result<Vec<Option<bool>>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if actor.is_partner() || row.classification < Classification::Confidential {
            out.push(Some(false));
            continue;
        }
        let it = item(db, actor, &policy.title, row).await?;
        match crate::access::gate(db, actor, it, audit).await {
            Ok(a) => out.push(Some(a == Access::TitleOnly)),
            Err(Error::NotFound) => out.push(None),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Builds the views of one policy's versions (oldest first), as `actor` (reading as
/// `partner`) sees them.
async fn views(
    db: &Db,
    actor: &Actor,
    policy: &Policy,
    rows: Vec<VersionRow>,
    partner: Option<Uuid>,
    detail: bool,
) -> Result<Vec<Version>> {
    let seen = screen(db, actor, policy, &rows, detail).await?;
    let now = db.now();
    let facts: Vec<_> = rows.iter().map(VersionRow::facts).collect();
    let states = rules::states(&facts, now);
    let min_days = repo::notice_days(db, policy.kind).await?;
    // What the partner was sent and confirmed.
    let sent: Vec<(Uuid, Uuid, Option<DateTime<Utc>>)> = match partner {
        Some(p) => {
            let messages: Vec<Uuid> = rows.iter().filter_map(|r| r.message_id).collect();
            repo::matrix_cells(db, &[p], &messages).await?
        }
        None => Vec::new(),
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut previous: Option<&str> = None;
    for (((row, state), f), seen) in rows.iter().zip(states).zip(&facts).zip(seen) {
        let Some(restricted) = seen else {
            continue;
        };
        let receipt = row.message_id.and_then(|m| sent.iter().find(|c| c.1 == m));
        // What changed is for one policy's page; a list does not diff every version.
        let change_summary = previous
            .filter(|_| detail && !restricted)
            .map(|old| diff::summary(&diff::diff(old, &row.body)));
        previous = Some(row.body.as_str());
        if partner.is_some() && receipt.is_none() {
            continue;
        }
        let announced_or_submitted = row.announced_at.or(row.submitted_at);
        let notice_days = match (announced_or_submitted, row.effective_at) {
            (Some(a), Some(e)) => Some(rules::notice_days(a, e)),
            _ => None,
        };
        let short_notice = announced_or_submitted
            .is_some_and(|a| rules::short_notice(row.important, a, row.effective_at, min_days));
        let faqs = if detail && !restricted {
            repo::list_faqs(db, row.id).await?
        } else {
            Vec::new()
        };
        let withheld = |s: &Option<String>| if restricted { None } else { s.clone() };
        out.push(Version {
            id: row.id,
            n: row.n,
            state,
            body: if restricted {
                String::new()
            } else {
                row.body.clone()
            },
            effective_at: row.effective_at,
            in_force_from: f.in_force_from(),
            change_reason: withheld(&row.change_reason),
            impact: withheld(&row.impact),
            important: row.important,
            announced_at: row.announced_at,
            ack_due_at: row.ack_due_at,
            notice_days,
            short_notice,
            executive_approved: row.chain.split(',').any(|s| s == Step::Executive.as_str()),
            change_summary,
            request_id: partner.is_none().then_some(row.request_id),
            message_id: row.message_id,
            acknowledgement: receipt
                .map(|c| rules::ack_cell(true, c.2.is_some(), row.ack_due_at, now)),
            faqs,
            classification: row.classification,
            restricted,
        });
    }
    Ok(out)
}

fn view(policy: Policy, versions: Vec<Version>) -> PolicyView {
    let in_force = versions
        .iter()
        .find(|v| v.state == VersionState::InForce)
        .map(|v| v.n);
    let coming = versions
        .iter()
        .filter(|v| v.state == VersionState::Scheduled && v.announced_at.is_some())
        .map(|v| v.n)
        .min();
    PolicyView {
        policy,
        in_force,
        coming,
        versions,
    }
}

/// The library: every policy for staff; for a partner user, those announced to its partner.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(db: &Db, actor: &Actor, kind: Option<PolicyKind>) -> Result<Vec<PolicyView>> {
    readable(actor)?;
    let partner = viewer_partner(actor)?;
    let policies = repo::list_policies(db, partner, kind).await?;
    let ids: Vec<Uuid> = policies.iter().map(|p| p.id).collect();
    let mut rows = repo::versions_of(db, &ids).await?;
    let mut out = Vec::with_capacity(policies.len());
    for p in policies {
        let (mine, rest): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.policy_id == p.id);
        rows = rest;
        let versions = views(db, actor, &p, mine, partner, false).await?;
        out.push(view(p, versions));
    }
    Ok(out)
}

/// One policy with its versions (and their published answers).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id))]
pub async fn get(db: &Db, actor: &Actor, id: Uuid) -> Result<PolicyView> {
    readable(actor)?;
    let partner = viewer_partner(actor)?;
    let policy = repo::find_policy(db, id, partner).await?;
    let rows = repo::list_versions(db, id).await?;
    let versions = views(db, actor, &policy, rows, partner, true).await?;
    Ok(view(policy, versions))
}

/// One version; a partner user only one it was sent.
pub async fn version(db: &Db, actor: &Actor, id: Uuid, n: i64) -> Result<Version> {
    get(db, actor, id)
        .await?
        .versions
        .into_iter()
        .find(|v| v.n == n)
        .ok_or(Error::NotFound)
}

/// The audience names partners that exist.
async fn check_audience(db: &Db, form: &rules::PolicyForm) -> Result<()> {
    let e = crate::request::check(
        db,
        &RequestInput {
            title: Some(form.title.clone()),
            audience: Some(form.audience.clone()),
            ..Default::default()
        },
        false,
        liaison_core::FieldErrors::new(),
    )
    .await?;
    if e.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(e))
    }
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: &PolicyInput) -> Result<Policy> {
    writable(actor)?;
    let form = input.parse()?;
    check_audience(db, &form).await?;
    Ok(repo::insert_policy(db, actor.user_id, &form).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id))]
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: PolicyInput,
    expected: Option<i64>,
) -> Result<Policy> {
    writable(actor)?;
    let current = repo::find_policy(db, id, None).await?;
    let form = PolicyInput {
        kind: Some(current.kind.as_str().to_string()),
        title: Some(current.title.clone()),
        title_en: current.title_en.clone(),
        owner_department_id: current.owner_department_id,
        audience: Some(current.audience.clone()),
    }
    .overlay(patch)
    .parse()?;
    check_audience(db, &form).await?;
    Ok(repo::update_policy(db, actor.user_id, id, &form, expected).await?)
}

/// The announcement of version `n`: the policy's title and audience, the change's reason,
/// impact and date, a line saying how much changed, then the text; partners are asked to
/// acknowledge it (§3.1.1, §3.1.2).
fn announcement(
    policy: &Policy,
    form: &rules::VersionForm,
    n: i64,
    change: Option<Summary>,
) -> RequestInput {
    let title: String = policy.title.chars().take(180).collect();
    let mut body = String::new();
    if let Some(s) = change {
        body.push_str(&format!(
            "**本次修订**：修改 {} 段，新增 {} 段，删除 {} 段。\n\n",
            s.changed, s.added, s.removed
        ));
    }
    body.push_str(&form.body);
    RequestInput {
        title: Some(format!("{title}（第 {n} 版）")),
        purpose: Some(format!(
            "发布政策《{title}》第 {n} 版，请渠道伙伴阅读并确认（§3.1.1）"
        )),
        body: Some(body),
        category: Some("policy".into()),
        audience: Some(policy.audience.clone()),
        importance: Some(
            if form.important {
                "important"
            } else {
                "normal"
            }
            .into(),
        ),
        ack_required: Some(true),
        ack_due_at: Some(form.ack_due_at),
        effective_at: Some(form.effective_at),
        classification: Some(form.classification.as_str().to_string()),
        // §3.1.2 asks a policy announcement for its reason and impact; a first version states
        // that it is new when its author gave none.
        change_reason: form
            .change_reason
            .clone()
            .or_else(|| (n == 1).then(|| format!("新制定的政策《{title}》，首次发布"))),
        impact: form
            .impact
            .clone()
            .or_else(|| (n == 1).then(|| "自生效日起适用于本政策的全部适用对象".to_string())),
        ..Default::default()
    }
}

/// Drafts version n+1 and its announcement request (the author then submits the request into
/// review, where the notice rule decides the chain).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id))]
pub async fn create_version(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &VersionInput,
) -> Result<Version> {
    writable(actor)?;
    authorize(actor, Permission::CreateRequests, &Object::default())?;
    let policy = repo::find_policy(db, id, None).await?;
    let existing = repo::list_versions(db, id).await?;
    let form = input.parse(!existing.is_empty(), db.now())?;
    let change = existing
        .last()
        .map(|last| diff::summary(&diff::diff(&last.body, &form.body)));
    // The announcement must be a valid draft request (dates, audience) before anything is
    // written.
    let draft = announcement(&policy, &form, existing.len() as i64 + 1, change);
    let e = crate::request::check(db, &draft, false, liaison_core::FieldErrors::new()).await?;
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let row = repo::insert_version(db, actor, id, &form, |n| {
        announcement(&policy, &form, n, change)
    })
    .await?;
    version(db, actor, id, row.n).await
}

/// Changes a draft version (its author): the text and dates, and its announcement with them.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id, n))]
pub async fn update_version(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    n: i64,
    patch: VersionInput,
) -> Result<Version> {
    writable(actor)?;
    let policy = repo::find_policy(db, id, None).await?;
    let rows = repo::list_versions(db, id).await?;
    let Some(current) = rows.iter().find(|r| r.n == n) else {
        return Err(Error::NotFound);
    };
    let form = VersionInput {
        body: Some(current.body.clone()),
        effective_at: current.effective_at,
        change_reason: current.change_reason.clone(),
        impact: current.impact.clone(),
        important: Some(current.important),
        ack_due_at: current.ack_due_at,
        classification: Some(current.classification.as_str().to_string()),
    }
    .overlay(patch)
    .parse(n > 1, db.now())?;
    let change = rows
        .iter()
        .find(|r| r.n == n - 1)
        .map(|prev| diff::summary(&diff::diff(&prev.body, &form.body)));
    // The request refuses unless it is the author's and still a draft or returned.
    crate::request::update(
        db,
        actor,
        current.request_id.into(),
        announcement(&policy, &form, n, change),
        None,
    )
    .await?;
    repo::update_version(db, actor.user_id, current, &form).await?;
    version(db, actor, id, n).await
}

/// Takes back an approved version that has not taken force (channel management or its
/// author); it never will.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id, n))]
pub async fn withdraw_version(db: &Db, actor: &Actor, id: Uuid, n: i64) -> Result<Version> {
    writable(actor)?;
    let current = version(db, actor, id, n).await?;
    if current.state != VersionState::Scheduled {
        return Err(Error::Conflict(format!(
            "version {n} is {}; only a version approved and not yet in force can be withdrawn",
            current.state
        )));
    }
    let row = repo::find_version(db, id, n).await?;
    if row.created_by != actor.user_id && !actor.can(Permission::ManageDeliveries) {
        return Err(Error::Forbidden);
    }
    must_know_version(db, actor, id, &row).await?;
    repo::withdraw_version(db, actor.user_id, &row).await?;
    version(db, actor, id, n).await
}

/// What changed from version `against` (default: the one before) to version `n`.
#[derive(Debug, Clone, Serialize)]
pub struct VersionDiff {
    pub from: i64,
    pub to: i64,
    pub summary: Summary,
    pub paragraphs: Vec<Paragraph>,
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id, n))]
pub async fn diff(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    n: i64,
    against: Option<i64>,
) -> Result<VersionDiff> {
    let view = get(db, actor, id).await?;
    let to = view
        .versions
        .iter()
        .find(|v| v.n == n)
        .ok_or(Error::NotFound)?;
    let from_n = against.unwrap_or(n - 1);
    // §7.2.2: no diff of a text one may not read.
    if to.restricted || view.versions.iter().any(|v| v.n == from_n && v.restricted) {
        return Err(Error::Forbidden);
    }
    // A partner compares only versions it was sent; the first version compares to nothing.
    let old = match view.versions.iter().find(|v| v.n == from_n) {
        Some(v) => v.body.as_str(),
        None if against.is_none() => "",
        None => return Err(Error::NotFound),
    };
    let paragraphs = diff::diff(old, &to.body);
    Ok(VersionDiff {
        from: from_n,
        to: n,
        summary: diff::summary(&paragraphs),
        paragraphs,
    })
}

/// One version's column of the matrix: its receipts.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixVersion {
    pub n: i64,
    pub state: VersionState,
    pub ack_due_at: Option<DateTime<Utc>>,
    /// The totals, on the first page only (later pages are for reading on).
    pub sent: Option<i64>,
    pub acknowledged: Option<i64>,
    pub pending: Option<i64>,
    pub overdue: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    #[serde(flatten)]
    pub partner: MatrixPartner,
    /// One per version, in the order of `versions`.
    pub cells: Vec<AckCell>,
}

/// §3.1.1: which partners acknowledged which version.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub versions: Vec<MatrixVersion>,
    pub rows: Vec<MatrixRow>,
    /// The cursor of the next page (a partner code), if there is one.
    pub next: Option<String>,
}

/// The announced versions of a policy with their messages, and the totals per version.
async fn matrix_head(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    totals: bool,
) -> Result<(Vec<MatrixVersion>, Vec<Uuid>)> {
    writable(actor)?;
    let view = get(db, actor, id).await?;
    let announced: Vec<&Version> = view
        .versions
        .iter()
        .filter(|v| v.message_id.is_some())
        .collect();
    let messages: Vec<Uuid> = announced.iter().filter_map(|v| v.message_id).collect();
    let counted = if totals {
        repo::receipts(db, &messages).await?
    } else {
        Vec::new()
    };
    let now = db.now();
    let versions = announced
        .iter()
        .map(|v| {
            let r: Option<Receipts> = counted
                .iter()
                .find(|t| Some(t.0) == v.message_id)
                .map(|t| t.1);
            let open = r.map(|r| r.sent - r.acknowledged);
            let late = v.ack_due_at.is_some_and(|d| d < now);
            MatrixVersion {
                n: v.n,
                state: v.state,
                ack_due_at: v.ack_due_at,
                sent: r.map(|r| r.sent),
                acknowledged: r.map(|r| r.acknowledged),
                pending: open.map(|o| if late { 0 } else { o }),
                overdue: open.map(|o| if late { o } else { 0 }),
            }
        })
        .collect();
    Ok((versions, messages))
}

/// A page of the matrix: `limit` partners after `after` (by code), and on the first page the
/// totals per version.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id))]
pub async fn matrix(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Matrix> {
    let (versions, messages) = matrix_head(db, actor, id, after.is_none()).await?;
    let (rows, next) = matrix_rows(db, &versions, &messages, after, limit).await?;
    Ok(Matrix {
        versions,
        rows,
        next,
    })
}

async fn matrix_rows(
    db: &Db,
    versions: &[MatrixVersion],
    messages: &[Uuid],
    after: Option<&str>,
    limit: i64,
) -> Result<(Vec<MatrixRow>, Option<String>)> {
    let limit = limit.clamp(1, 1000);
    let mut partners = repo::matrix_partners(db, messages, after, limit + 1).await?;
    let next = (partners.len() as i64 > limit).then(|| {
        partners.truncate(limit as usize);
        partners.last().map(|p| p.code.clone())
    });
    let ids: Vec<Uuid> = partners.iter().map(|p| p.id).collect();
    let cells = repo::matrix_cells(db, &ids, messages).await?;
    let now = db.now();
    let rows = partners
        .into_iter()
        .map(|p| {
            let cells = versions
                .iter()
                .zip(messages)
                .map(|(v, m)| {
                    let c = cells.iter().find(|c| c.0 == p.id && c.1 == *m);
                    rules::ack_cell(
                        c.is_some(),
                        c.is_some_and(|c| c.2.is_some()),
                        v.ack_due_at,
                        now,
                    )
                })
                .collect();
            MatrixRow { partner: p, cells }
        })
        .collect();
    Ok((rows, next.flatten()))
}

/// The whole matrix (for the export), page by page.
pub async fn matrix_all(db: &Db, actor: &Actor, id: Uuid) -> Result<Matrix> {
    let (versions, messages) = matrix_head(db, actor, id, false).await?;
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (page, next) = matrix_rows(db, &versions, &messages, after.as_deref(), 1000).await?;
        rows.extend(page);
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    Ok(Matrix {
        versions,
        rows,
        next: None,
    })
}

/// Publishes an answer on version `n` to every partner of its audience (§3.1.1): it shows on
/// the version for all of them.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id, n))]
pub async fn publish_faq(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    n: i64,
    question: &str,
    answer: &str,
    thread: Option<Uuid>,
) -> Result<Faq> {
    writable(actor)?;
    let mut e = liaison_core::FieldErrors::new();
    let question = e.take(
        "question",
        liaison_core::validate::required_text(question, 2000),
    );
    let answer = e.take(
        "answer",
        liaison_core::validate::required_text(answer, 10_000),
    );
    let (Some(question), Some(answer)) = (question, answer) else {
        return Err(Error::Invalid(e));
    };
    let row = repo::find_version(db, id, n).await?;
    must_know_version(db, actor, id, &row).await?;
    Ok(repo::insert_faq(db, actor.user_id, &row, &question, &answer, thread).await?)
}

/// The notice days a kind asks for (§3.1.2).
pub async fn notice_days(db: &Db, kind: PolicyKind) -> Result<i64> {
    Ok(repo::notice_days(db, kind).await?)
}

/// The version that was (or will be) in force at `at`: what a partner could rely on that day.
pub async fn in_force_on(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<Version>> {
    Ok(get(db, actor, id).await?.in_force_on(at).cloned())
}

impl PolicyView {
    /// The version in force at `at` among those this view holds.
    pub fn in_force_on(&self, at: DateTime<Utc>) -> Option<&Version> {
        self.versions
            .iter()
            .filter(|v| v.in_force_from.is_some_and(|f| f <= at))
            .max_by_key(|v| (v.in_force_from, v.n))
    }
}

/// The matrix as a file (§3.1.1): one row per partner, one column per announced version; the
/// cells are codes (`acknowledged`, `pending`, `overdue`, `not_sent`) or a language's labels.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, policy = %id))]
pub async fn export_matrix(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    format: crate::import::ExportFormat,
    labels: crate::import::Labels,
) -> Result<crate::import::Export> {
    use liaison_i18n::{Lang, t};
    let m = matrix_all(db, actor, id).await?;
    let lang = match labels {
        crate::import::Labels::Codes => None,
        crate::import::Labels::In(l) => Some(l),
    };
    let mut headers: Vec<String> = match lang {
        None => vec!["partner_code".into(), "partner_name".into()],
        Some(l) => vec![
            t(l, "policy.matrix.partner_code").to_string(),
            t(l, "policy.matrix.partner_name").to_string(),
        ],
    };
    headers.extend(m.versions.iter().map(|v| match lang {
        None => format!("v{}", v.n),
        Some(Lang::En) => format!("Version {}", v.n),
        Some(_) => format!("第 {} 版", v.n),
    }));
    let rows: Vec<Vec<String>> = m
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![r.partner.code.clone(), r.partner.name.clone()];
            row.extend(r.cells.iter().map(|c| match lang {
                None => c.as_str().to_string(),
                Some(l) => t(l, &format!("policy.ack.{}", c.as_str())).to_string(),
            }));
            row
        })
        .collect();
    let heads: Vec<&str> = headers.iter().map(String::as_str).collect();
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry {
            actor_id: Some(actor.user_id),
            action: "export",
            entity: "policy_acknowledgements",
            entity_id: Some(id),
            partner_id: None,
            detail: serde_json::json!({"rows": rows.len()}),
        },
    )
    .await?;
    crate::import::build(format, "policy-acknowledgements", &heads, &rows)
}
