//! Product feedback to R&D (policy §3.2.3, SPEC D6): a partner's user submits a customer need
//! or an improvement suggestion on a product it may see; it lands in R&D's queue (R&D is told),
//! R&D triages it with an answer the partner sees (the partner is told), and merges similar
//! items so the target counts each asking partner once. A partner sees its own items only:
//! another partner's are 404.

pub use crate::Error;
use crate::Result;
use liaison_core::notify::NotifyKind;
use liaison_core::product::{FeedbackKind, FeedbackState, may_move, parse_feedback_text};
use liaison_core::validate::{Msg, optional_text};
use liaison_core::{Actor, FieldErrors, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::feedback::{self as repo, Feedback, FeedbackFilter};
use liaison_db::notify::NewNotification;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// A partner's feedback as typed (`POST /api/v1/feedback`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedbackInput {
    pub product_id: Option<Uuid>,
    pub kind: Option<String>,
    pub description: Option<String>,
    pub customer_impact: Option<String>,
}

/// R&D's triage as typed (`PATCH /api/v1/feedback/{id}`): absent fields stay.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TriageInput {
    pub state: Option<String>,
    pub answer: Option<String>,
}

/// §3.2.3: a partner's user submits feedback on a product its partner may see.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn submit(db: &Db, actor: &Actor, input: &FeedbackInput) -> Result<Feedback> {
    authorize(actor, Permission::SubmitFeedback, &Object::default())?;
    let partner = actor.scope().partner().ok_or(Error::Forbidden)?;
    let mut e = FieldErrors::new();
    let product = match input.product_id {
        None => {
            e.required("product_id");
            None
        }
        Some(id) => match crate::product::show(db, actor, id).await {
            Ok(p) => Some(p),
            Err(Error::NotFound) => {
                e.add("product_id", Msg::new("validate.invalid"));
                None
            }
            Err(other) => return Err(other),
        },
    };
    let kind = match input.kind.as_deref() {
        None => {
            e.required("kind");
            None
        }
        Some(k) => e.take("kind", FeedbackKind::parse(k)),
    };
    let text = match parse_feedback_text(
        input.description.as_deref().unwrap_or(""),
        input.customer_impact.as_deref().unwrap_or(""),
    ) {
        Ok(t) => Some(t),
        Err(bad) => {
            e.extend(bad);
            None
        }
    };
    let (Some(product), Some(kind), Some(text)) = (product, kind, text) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let id = Uuid::now_v7();
    let at = crate::notify::email_time(db, false).await?;
    let partner_code = liaison_db::partner::find_partner(db, actor.scope(), partner)
        .await?
        .code;
    let notes: Vec<NewNotification> = liaison_db::user::list_users_with_role(db, Role::Rd)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| NewNotification {
            user_id: u.id,
            kind: NotifyKind::FeedbackReceived,
            args: json!({"partner": partner_code, "product": product.name_zh}),
            link: format!("/console/feedback/{id}"),
            urgent: false,
            email_at: Some(at),
        })
        .collect();
    Ok(repo::insert_feedback(
        db,
        id,
        actor.user_id,
        partner,
        product.id,
        kind,
        &text,
        &notes,
    )
    .await?)
}

/// Partner users: their partner's items; R&D, channel management, leadership: the queue.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &FeedbackFilter,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Feedback>> {
    authorize(actor, Permission::ReadFeedback, &Object::default())?;
    Ok(repo::list_feedback(db, actor.scope(), filter, before, limit).await?)
}

/// One item: another partner's is not found.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, feedback = %id))]
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<Feedback> {
    authorize(actor, Permission::ReadFeedback, &Object::default())?;
    let f = repo::find_feedback(db, id).await?;
    authorize(
        actor,
        Permission::ReadFeedback,
        &Object::partner(f.partner_id),
    )?;
    Ok(f)
}

/// The items merged into `id` (R&D's view of who else asked).
pub async fn merged(db: &Db, actor: &Actor, id: Uuid) -> Result<Vec<Feedback>> {
    show(db, actor, id).await?;
    authorize(actor, Permission::TriageFeedback, &Object::default())?;
    Ok(repo::list_merged(db, id).await?)
}

/// §3.2.3: R&D sets the state and the answer the partner sees; the partners who asked (this
/// item and those merged into it) are told.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, feedback = %id))]
pub async fn triage(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &TriageInput,
    version: Option<i64>,
) -> Result<Feedback> {
    let current = show(db, actor, id).await?;
    authorize(
        actor,
        Permission::TriageFeedback,
        &Object::partner(current.partner_id),
    )?;
    let mut e = FieldErrors::new();
    if current.merged_into.is_some() {
        e.add("state", Msg::new("validate.feedback_merged"));
    }
    let state = match input.state.as_deref().filter(|s| !s.trim().is_empty()) {
        None => Some(current.state),
        Some(s) => e.take("state", FeedbackState::parse(s)),
    };
    if let Some(to) = state
        && !may_move(current.state, to)
    {
        e.add(
            "state",
            Msg::new("validate.feedback_move")
                .arg_code("from", "feedback.state", current.state.as_str())
                .arg_code("to", "feedback.state", to.as_str()),
        );
    }
    let answer = match &input.answer {
        None => Some(current.answer.clone()),
        Some(a) => e.take("answer", optional_text(a, 5000)),
    };
    let (Some(state), Some(answer)) = (state, answer) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    if state == current.state && answer == current.answer {
        return Ok(current);
    }
    let at = crate::notify::email_time(db, false).await?;
    let notes: Vec<NewNotification> = repo::authors(db, id)
        .await?
        .into_iter()
        .map(|(user, item)| NewNotification {
            user_id: user,
            kind: NotifyKind::FeedbackAnswered,
            args: json!({"product": current.product_name}),
            link: format!("/portal/feedback/{item}"),
            urgent: false,
            email_at: Some(at),
        })
        .collect();
    Ok(repo::update_triage(
        db,
        actor.user_id,
        &current,
        state,
        answer.as_deref(),
        version.unwrap_or(current.version),
        &notes,
    )
    .await?)
}

/// Merges a similar item into another of the same product (§3.2.3): its partner's vote counts
/// there, and it follows the target's triage from now on.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, feedback = %id))]
pub async fn merge(db: &Db, actor: &Actor, id: Uuid, into: Uuid) -> Result<Feedback> {
    let source = show(db, actor, id).await?;
    authorize(actor, Permission::TriageFeedback, &Object::default())?;
    let target = match show(db, actor, into).await {
        Ok(t) => t,
        Err(Error::NotFound) => return Err(Error::invalid("into", Msg::new("validate.invalid"))),
        Err(other) => return Err(other),
    };
    if source.id == target.id || target.merged_into.is_some() {
        return Err(Error::invalid("into", Msg::new("validate.merge_target")));
    }
    if source.product_id != target.product_id {
        return Err(Error::invalid("into", Msg::new("validate.merge_product")));
    }
    Ok(repo::merge_feedback(db, actor.user_id, &source, &target).await?)
}
