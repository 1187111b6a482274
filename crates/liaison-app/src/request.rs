//! The Channel Communication Request Form and its review chain (policy §4.1, §4.2, §3.1.2,
//! §1.3.1; SPEC B1-B3). Each operation authorizes once (`liaison_core::authorize`), applies the
//! rules of `liaison_core::review` and `precheck`, and writes through `liaison_db::request` in
//! one transaction. Dispatch on final approval is the delivery repository's one statement.

pub use crate::Error;
use crate::Result;
use liaison_core::FieldErrors;
use liaison_core::ids::{MessageId, RequestId};
use liaison_core::notify::NotifyKind;
use liaison_core::precheck::{ReviewSettings, precheck};
use liaison_core::request::RequestInput;
use liaison_core::review::{self, ChainFacts, Decision, DecisionContext, ReviewError, Step};
use liaison_core::validate::Msg;
use liaison_core::{Actor, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::request::{self as repo, Request, RequestView};
use serde_json::json;
use uuid::Uuid;

use crate::notify;

fn object(r: &Request) -> Object {
    Object::owned(r.requester_id, r.department_id)
}

fn not_allowed(e: ReviewError) -> Error {
    Error::invalid("state", e.msg())
}

/// A request the actor may read (§4.1.1, §4.2.1): hidden from everyone else, partners included.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, request = %id))]
pub async fn load(db: &Db, actor: &Actor, id: RequestId) -> Result<Request> {
    authorize(actor, Permission::ReadRequest, &Object::default())?;
    let r = repo::find_request(db, id.into()).await?;
    authorize(actor, Permission::ReadRequest, &object(&r))?;
    // §7.2.2: a confidential request's body only for its circle; the read is audited.
    crate::access::screen(db, actor, r, true).await
}

/// A request its requester may change: read access first (so others get a 404), then
/// ownership (403).
async fn load_own(db: &Db, actor: &Actor, id: RequestId) -> Result<Request> {
    let r = load(db, actor, id).await?;
    authorize(actor, Permission::EditRequest, &object(&r))?;
    Ok(r)
}

/// The partners named in a form's partner field (codes or ids, separated by commas, spaces or
/// Chinese punctuation), and the unknown ones as one field error under `field`.
pub async fn resolve_partner_codes(
    db: &Db,
    field: &str,
    text: &str,
) -> Result<(Vec<Uuid>, FieldErrors)> {
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for code in text
        .split([',', '，', '、', ';', '；', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match liaison_db::partner::resolve_partner_ref(db, code).await? {
            Some(id) if !found.contains(&id) => found.push(id),
            Some(_) => {}
            None => unknown.push(code.to_string()),
        }
    }
    let mut e = FieldErrors::new();
    if !unknown.is_empty() {
        e.add(
            field,
            Msg::new("validate.unknown_partner_codes").arg("codes", unknown.join(", ")),
        );
    }
    Ok((found, e))
}

/// Everything wrong with a form at once (issue: "all errors at once"): the form's own checks
/// (`complete` for a submission) and what only storage knows, partners that do not exist.
/// `read` holds what the caller could not read (unknown codes typed on a page, bad times).
pub async fn check(
    db: &Db,
    input: &RequestInput,
    complete: bool,
    mut read: FieldErrors,
) -> Result<FieldErrors> {
    if let Err(e) = input.parse(complete, db.now()) {
        // A field the caller could not read is reported once, with the caller's reason.
        for f in e.0 {
            if read.get(&f.field).is_none() {
                read.0.push(f);
            }
        }
    }
    if let Some(a) = &input.audience
        && !a.partners.is_empty()
    {
        let known = liaison_db::partner::existing_partner_ids(db, &a.partners).await?;
        let missing: Vec<String> = a
            .partners
            .iter()
            .filter(|p| !known.contains(p))
            .map(Uuid::to_string)
            .collect();
        if !missing.is_empty() {
            read.add(
                "audience.partners",
                Msg::new("validate.unknown_partner_codes").arg("codes", missing.join(", ")),
            );
        }
    }
    Ok(read)
}

/// §4.1.1: any company employee fills in the form; it starts as a draft.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: &RequestInput) -> Result<Request> {
    authorize(actor, Permission::ReadRequest, &Object::default())?;
    authorize(actor, Permission::CreateRequests, &Object::default())?;
    let e = check(db, input, false, FieldErrors::new()).await?;
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    Ok(repo::insert_request(db, actor, input).await?)
}

/// The actor's requests, those waiting for their review, or (channel management, leadership,
/// admins) all.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    db: &Db,
    actor: &Actor,
    view: RequestView,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Request>> {
    authorize(actor, Permission::ReadRequest, &Object::default())?;
    if view == RequestView::All {
        authorize(actor, Permission::ReadAllRequests, &Object::default())?;
    }
    let mut out = Vec::new();
    for r in repo::list_requests(db, actor, view, before, limit).await? {
        match crate::access::screen(db, actor, r, false).await {
            Ok(r) => out.push(r),
            Err(Error::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// A request's attachments: withheld outside the circle of a confidential one (§7.2.2).
pub async fn attachments(
    db: &Db,
    actor: &Actor,
    id: RequestId,
) -> Result<Vec<liaison_db::attachment::Attachment>> {
    let r = load(db, actor, id).await?;
    if r.restricted {
        return Ok(Vec::new());
    }
    Ok(liaison_db::attachment::list_attachments(db, r.id).await?)
}

/// One attachment of a request the actor reads whole.
pub async fn attachment(
    db: &Db,
    actor: &Actor,
    id: RequestId,
    file: Uuid,
) -> Result<(liaison_db::attachment::Attachment, Vec<u8>)> {
    let r = load(db, actor, id).await?;
    if r.restricted {
        return Err(Error::Forbidden);
    }
    let (a, bytes) = liaison_db::attachment::read_attachment(db, r.id, file).await?;
    // §7.3: a staff copy of a confidential file carries its reader's name.
    let class = r.form.classification.as_deref().unwrap_or("");
    let bytes = crate::leaks::file_copy(db, actor, class, None, &a, bytes).await?;
    Ok((a, bytes))
}

/// Changes a draft or returned request (its requester only).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, request = %id))]
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: RequestId,
    patch: RequestInput,
    expected_version: Option<i64>,
) -> Result<Request> {
    let current = load_own(db, actor, id).await?;
    if !current.state.editable() {
        return Err(not_allowed(ReviewError::NotEditable(
            current.state,
            "changed",
        )));
    }
    let merged = current.form.clone().overlay(patch.clone());
    let e = check(db, &merged, false, FieldErrors::new()).await?;
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    Ok(repo::update_request(db, actor.user_id, &current, patch, expected_version).await?)
}

/// Submits a draft or returned request into the review chain its facts call for (§4.2.1,
/// §3.1.2), with the pre-check's findings for the channel reviewer.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, request = %id))]
pub async fn submit(db: &Db, actor: &Actor, id: RequestId) -> Result<Request> {
    let current = load_own(db, actor, id).await?;
    if !current.state.editable() {
        return Err(not_allowed(ReviewError::NotEditable(
            current.state,
            "submitted",
        )));
    }
    let settings: ReviewSettings = liaison_db::settings::review(db).await?;
    let now = db.now();
    let e = check(db, &current.form, true, FieldErrors::new()).await?;
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let form = current.form.parse(true, now)?;
    // §3.1.2: a version of the policy library gives the notice its kind asks for (issue 11);
    // any other policy change the general setting.
    let short_notice = match liaison_db::policies::version_of_request(db, current.id).await? {
        Some((version, policy)) => liaison_core::policies::short_notice(
            version.important,
            now,
            version.effective_at,
            liaison_db::policies::notice_days(db, policy.kind).await?,
        ),
        None => review::short_notice(
            form.category,
            form.effective_at,
            now,
            settings.policy_notice_days,
        ),
    };
    let chain = review::steps(ChainFacts {
        requester_is_dept_head: actor.roles.has(Role::DeptHead) && actor.department_id.is_some(),
        importance: form.importance,
        classification: form.classification,
        short_notice_policy_change: short_notice,
    });
    // §1.3.1: a correction names a message that was sent.
    if let Some(original) = form.corrects
        && !repo::message_exists(db, original).await?
    {
        return Err(Error::invalid(
            "corrects",
            Msg::new("validate.not_a_sent_message"),
        ));
    }
    let mut findings = precheck(&form, &settings, now, form.audience.segments.len());
    // §7.1.2, issue 9: recipients without a valid NDA are listed before anyone approves;
    // issue 10: so is every requested channel some recipients will not get, and why.
    let c = liaison_db::delivery::audience_coverage(db, &form).await?;
    if !c.uncovered.is_empty() {
        findings.push(liaison_core::precheck::Finding::nda_missing(
            c.uncovered.len(),
        ));
    }
    findings.extend(c.skipped.iter().map(|s| {
        liaison_core::precheck::Finding::channel_skipped(&s.channel, &s.reason, s.people)
    }));
    let state = review::submitted_state(&chain);
    // §4.2.1: the first step's reviewers are told it waits for them.
    let notify = match state.step() {
        Some(step) => {
            let users = notify::reviewers(db, &current, step).await?;
            notify::about_request(db, &users, NotifyKind::ReviewWaiting, &current, json!({}))
                .await?
        }
        None => Vec::new(),
    };
    Ok(repo::mark_submitted(
        db,
        actor.user_id,
        &current,
        state,
        &chain,
        &findings,
        &notify,
    )
    .await?)
}

/// The requester takes a request back before it is decided.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, request = %id))]
pub async fn withdraw(db: &Db, actor: &Actor, id: RequestId) -> Result<Request> {
    let current = load_own(db, actor, id).await?;
    if current.state.step().is_none() && !current.state.editable() {
        return Err(not_allowed(ReviewError::NotPending(current.state)));
    }
    Ok(repo::mark_withdrawn(db, actor.user_id, &current).await?)
}

/// One reviewer's decision on the current step (§4.2.1). On final approval the content is
/// frozen and dispatched now, or when its `send_at` comes (the worker's sweep).
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: RequestId,
    decision: Decision,
    comment: &str,
) -> Result<Request> {
    decide_with(db, actor, id, decision, comment, false).await
}

/// Who a request's audience reaches now and, for confidential and secret content, who of them
/// has no valid NDA (§7.1.2): what the reviewer sees before approving. `None` while the form
/// does not parse (a draft).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, request = %id))]
pub async fn coverage(
    db: &Db,
    actor: &Actor,
    id: RequestId,
) -> Result<Option<liaison_db::delivery::Coverage>> {
    let r = load(db, actor, id).await?;
    coverage_of(db, &r).await
}

async fn coverage_of(db: &Db, r: &Request) -> Result<Option<liaison_db::delivery::Coverage>> {
    match r.form.parse(false, db.now()) {
        Ok(form) => Ok(Some(
            liaison_db::delivery::audience_coverage(db, &form).await?,
        )),
        Err(_) => Ok(None),
    }
}

/// §7.1.2 and issue 9: confidential content reaches only people with a valid NDA. Approving
/// when some of the audience lacks one needs the reviewer's explicit `send_to_covered_only`;
/// approving when nobody would be reached is refused (409).
fn check_coverage(c: &liaison_db::delivery::Coverage, send_to_covered_only: bool) -> Result<()> {
    if c.uncovered.is_empty() {
        return Ok(());
    }
    if c.covered() <= 0 {
        return Err(Error::Conflict(format!(
            "none of the {} recipients has a valid NDA for this content: record their NDAs or lower the classification, then approve",
            c.people
        )));
    }
    if !send_to_covered_only {
        return Err(Error::invalid(
            "send_to_covered_only",
            Msg::new("validate.send_to_covered_only")
                .arg("uncovered", c.uncovered.len())
                .arg("people", c.people)
                .arg("covered", c.covered()),
        ));
    }
    Ok(())
}

/// `decide`, with the reviewer's choice to send confidential content to the covered recipients
/// only when some lack an NDA.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, request = %id, decision = decision.as_str()))]
pub async fn decide_with(
    db: &Db,
    actor: &Actor,
    id: RequestId,
    decision: Decision,
    comment: &str,
    send_to_covered_only: bool,
) -> Result<Request> {
    authorize(actor, Permission::ReadRequest, &Object::default())?;
    // A reviewer need not be able to read every request: the step decides (`may_decide`).
    let current = repo::find_request(db, id.into()).await?;
    let step = current
        .state
        .step()
        .ok_or_else(|| not_allowed(ReviewError::NotPending(current.state)))?;
    let context = |a: &Actor| {
        review::may_decide(
            &DecisionContext {
                actor: a,
                requester_id: current.requester_id,
                requester_department: current.department_id,
            },
            step,
        )
    };
    context(actor).map_err(|e| match e {
        ReviewError::OwnRequest | ReviewError::NotEligible(_) => Error::Forbidden,
        other => not_allowed(other),
    })?;
    let mut next = review::decide(current.state, &current.chain, decision, comment)
        .map_err(|e| Error::invalid("comment", e.msg()))?;
    if decision == Decision::Approve
        && let Some(c) = coverage_of(db, &current).await?
    {
        check_coverage(&c, send_to_covered_only)?;
    }
    let settings = liaison_db::settings::review(db).await?;
    if decision == Decision::Approve && settings.need_all_steps.contains(&step) {
        let eligible: Vec<Uuid> = liaison_db::user::list_users(db)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| u.actor())
            .filter(|a| context(a).is_ok())
            .map(|a| a.user_id)
            .collect();
        if waits_for_others(&current, step, actor.user_id, &eligible)? {
            next = current.state;
        }
    }
    let now = db.now();
    let dispatch = if next == review::RequestState::Approved {
        let form = current.form.parse(true, now)?;
        form.send_at.is_none_or(|t| t <= now).then_some(form)
    } else {
        None
    };
    let notify = told_of_decision(
        db,
        &current,
        step,
        decision,
        comment,
        next,
        dispatch.is_some(),
    )
    .await?;
    Ok(repo::record_decision(
        db,
        actor.user_id,
        &current,
        step,
        decision,
        comment,
        next,
        dispatch.as_ref(),
        &notify,
    )
    .await?)
}

/// Who is told of a decision: the next step's reviewers when the request moves on (§4.2.1),
/// the requester when it is returned, rejected or sent.
async fn told_of_decision(
    db: &Db,
    current: &Request,
    step: Step,
    decision: Decision,
    comment: &str,
    next: review::RequestState,
    dispatched: bool,
) -> Result<Vec<liaison_db::notify::NewNotification>> {
    let requester = [current.requester_id];
    let extra = json!({"comment": comment.trim()});
    let (users, kind) = match (decision, next.step()) {
        (Decision::Approve, Some(s)) if s != step => (
            notify::reviewers(db, current, s).await?,
            NotifyKind::ReviewWaiting,
        ),
        (Decision::Approve, _) if dispatched => (requester.to_vec(), NotifyKind::RequestDispatched),
        (Decision::Return, _) => (requester.to_vec(), NotifyKind::RequestReturned),
        (Decision::Reject, _) => (requester.to_vec(), NotifyKind::RequestRejected),
        _ => return Ok(Vec::new()),
    };
    notify::about_request(db, &users, kind, current, extra).await
}

/// A step set to need everyone stays until every eligible reviewer has approved it in this
/// round (since the last submission); any one rejection or return still decides. Whether
/// `me`'s approval leaves others outstanding; approving twice is a conflict.
fn waits_for_others(current: &Request, step: Step, me: Uuid, eligible: &[Uuid]) -> Result<bool> {
    let round_start = current.submitted_at.unwrap_or(current.created_at);
    let approved: Vec<Uuid> = current
        .reviews
        .iter()
        .filter(|r| {
            r.step == step.as_str() && r.decision == "approve" && r.created_at >= round_start
        })
        .map(|r| r.reviewer_id)
        .collect();
    if approved.contains(&me) {
        return Err(Error::Conflict(
            "you have already approved this step".into(),
        ));
    }
    Ok(eligible.iter().any(|u| *u != me && !approved.contains(u)))
}

/// Attaches a file to a draft or returned request (its requester). Files of a request that is
/// or may become confidential are encrypted (§7.2.1).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, request = %id))]
pub async fn add_attachment(
    db: &Db,
    actor: &Actor,
    id: RequestId,
    filename: &str,
    bytes: &[u8],
) -> Result<liaison_db::attachment::Attachment> {
    let r = load_own(db, actor, id).await?;
    if !r.state.editable() {
        return Err(Error::invalid(
            "state",
            Msg::new("validate.attach_when_editable").arg_code("state", "state", r.state.as_str()),
        ));
    }
    let secret = r
        .form
        .parse(false, db.now())
        .map(|f| f.classification.needs_nda())
        .unwrap_or(true);
    Ok(
        liaison_db::attachment::insert_attachment(db, actor.user_id, r.id, secret, filename, bytes)
            .await?,
    )
}

/// The dispatched message of a request the actor may read.
pub async fn message_of(db: &Db, actor: &Actor, id: RequestId) -> Result<(Request, MessageId)> {
    let r = load(db, actor, id).await?;
    let m = r
        .message_id
        .map(MessageId)
        .ok_or_else(|| Error::invalid("request", Msg::new("validate.not_sent_yet")))?;
    Ok((r, m))
}
