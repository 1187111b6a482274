//! My settings (issue 9: one language, one clock): every user, staff or partner, chooses the
//! language of the pages and the time zone every time is shown in. Reached from their name in
//! the top bar.

use super::{Page, PageForm, PageResult, ctx, form_errors, mark_invalid, render, zone_label};
use crate::AppState;
use crate::auth::{self, Session};
use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use liaison_core::FieldErrors;
use liaison_db::user::UserSettings;

pub fn router() -> Router<AppState> {
    Router::new().route("/account", get(show).post(save))
}

/// Zones offered in the list: the company's neighbours first, then common partner zones; any
/// other IANA zone the user already has stays selectable.
const ZONES: &[&str] = &[
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
];

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    saved: bool,
    errors: Option<&FieldErrors>,
) -> PageResult {
    let lang = auth::page_lang(headers, Some(&s.user));
    let now = state.db.now();
    let mut zones: Vec<(String, String)> = ZONES
        .iter()
        .filter_map(|z| z.parse::<chrono_tz::Tz>().ok())
        .map(|z| (z.name().to_string(), zone_label(z, lang, now)))
        .collect();
    if let Some(own) = s.user.time_zone.as_deref()
        && !zones.iter().any(|(z, _)| z == own)
        && let Ok(z) = own.parse::<chrono_tz::Tz>()
    {
        zones.push((own.to_string(), zone_label(z, lang, now)));
    }
    // "My calendar feed" (issue 14): the live feed's addresses; reading never creates one.
    let feed = super::meetings::feed_view(state, headers, s).await?;
    let mut r = render(
        state,
        headers,
        Some(s),
        "account/show.html",
        ctx! {
            nav => "account",
            zones => zones,
            own_lang => s.user.lang,
            own_zone => s.user.time_zone,
            company_zone => zone_label(state.config.company_zone, lang, now),
            saved => saved,
            feed_webcal => feed.as_ref().map(|f| f.0.clone()),
            feed_https => feed.as_ref().map(|f| f.1.clone()),
            errors => form_errors(errors),
        },
    );
    mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn show(Page(state, headers, s): Page, p: crate::extract::Pairs) -> PageResult {
    page(&state, &headers, &s, p.get("saved").is_some(), None).await
}

async fn save(PageForm(state, headers, s, p): PageForm) -> PageResult {
    let input = UserSettings {
        lang: Some(p.get("lang").unwrap_or("").to_string()),
        time_zone: Some(p.get("time_zone").unwrap_or("").to_string()),
    };
    match liaison_db::user::update_user_settings(&state.db, s.user.id, &input).await {
        Ok(_) => {
            // The cached session holds the old settings.
            state.sessions.forget_user(s.user.id);
            Ok(Redirect::to("/account?saved=1").into_response())
        }
        Err(liaison_db::DbError::Invalid(e)) => page(&state, &headers, &s, false, Some(&e)).await,
        Err(e) => Err(e.into()),
    }
}
