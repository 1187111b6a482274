//! The review settings page (admins; §4.2.1, §3.1.2): the pre-check's sensitive terms one per
//! line, the policy-change notice period and the steps that need every eligible reviewer,
//! saved through the same operation as `PUT /api/v1/settings/review`.

use super::{Page, PageForm, PageResult, ctx, form_errors, mark_invalid, render};
use crate::AppState;
use crate::auth::Session;
use crate::extract::Pairs;
use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use liaison_app::settings as app;
use liaison_core::policies::PolicyKind;
use liaison_core::review::Step;
use liaison_core::{FieldErrors, Permission};
use liaison_db::settings::ReviewSettingsPatch;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/settings/review", get(show).post(save))
}

/// The form's fields: as stored, or as typed when shown again.
#[derive(serde::Serialize)]
struct ReviewForm {
    sensitive_terms: String,
    policy_notice_days: String,
    need_all_steps: Vec<String>,
    /// The policy library's notice per kind (§3.1.2), as typed.
    kind_days: std::collections::BTreeMap<String, String>,
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    form: Option<ReviewForm>,
    saved: bool,
    errors: Option<&FieldErrors>,
) -> PageResult {
    // Company users may read the settings; this page is for the admins who change them.
    s.require(Permission::AdminUsers)?;
    let form = match form {
        Some(f) => f,
        None => {
            let v = app::review(&state.db, &s.actor).await?;
            ReviewForm {
                sensitive_terms: v.sensitive_terms.join("\n"),
                policy_notice_days: v.policy_notice_days.to_string(),
                need_all_steps: v.need_all_steps,
                kind_days: PolicyKind::ALL
                    .iter()
                    .map(|k| {
                        let days = v.policy_kind_notice_days.get(k.as_str()).copied();
                        (
                            k.as_str().to_string(),
                            days.unwrap_or(liaison_core::policies::DEFAULT_NOTICE_DAYS)
                                .to_string(),
                        )
                    })
                    .collect(),
            }
        }
    };
    let steps = [Step::DeptHead, Step::ChannelReview, Step::Executive].map(|s| s.as_str());
    let mut r = render(
        state,
        headers,
        Some(s),
        "settings/review.html",
        ctx! {
            nav => "review_settings", f => form, steps => steps, saved => saved,
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn show(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    page(&state, &headers, &s, None, p.get("saved").is_some(), None).await
}

async fn save(PageForm(state, headers, s, p): PageForm) -> PageResult {
    let form = ReviewForm {
        sensitive_terms: p.get("sensitive_terms").unwrap_or("").to_string(),
        policy_notice_days: p.text("policy_notice_days"),
        need_all_steps: p.all("need_all_steps"),
        kind_days: PolicyKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), p.text(&format!("notice_{k}"))))
            .collect(),
    };
    let patch = ReviewSettingsPatch {
        // Not a whole number: 0 is refused with the range it must lie in, together with
        // whatever else is wrong, and nothing is saved.
        policy_notice_days: Some(form.policy_notice_days.parse().unwrap_or(0)),
        sensitive_terms: Some(form.sensitive_terms.lines().map(str::to_string).collect()),
        need_all_steps: Some(form.need_all_steps.clone()),
        // A kind the form did not send stays as it is.
        policy_kind_notice_days: Some(
            form.kind_days
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.parse().unwrap_or(0)))
                .collect(),
        ),
    };
    match app::update_review(&state.db, &s.actor, &patch).await {
        Ok(_) => Ok(Redirect::to("/console/settings/review?saved=1").into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            page(&state, &headers, &s, Some(form), false, Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}
