//! My settings (issue 9: one language, one clock): every user, staff or partner, chooses the
//! language of the pages and the time zone every time is shown in. Reached from their name in
//! the top bar. Beside it, account security (policy §7.2.3): the second factor (enrol with a QR
//! code, confirm, recovery codes shown once, disable), one's sessions ("log out everywhere
//! else") and, for admins, whether the second factor is reminded or enforced.

use super::{Page, PageForm, PageResult, ctx, form_errors, mark_invalid, render, zone_label};
use crate::AppState;
use crate::auth::{self, Session};
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_core::FieldErrors;
use liaison_db::user::UserSettings;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(show).post(save))
        .route(SECURITY_PATH, get(security))
        .route("/account/security/totp/start", post(start_totp))
        .route("/account/security/totp/confirm", post(confirm_totp))
        .route("/account/security/totp/disable", post(disable_totp))
        .route("/account/security/sessions/others", post(revoke_others))
        .route("/account/security/password", post(change_password))
        .route("/account/security/sessions/{id}/revoke", post(revoke_one))
        .route("/console/settings/security", post(save_mode))
}

/// The account security page; an admin or executive held to enrol reaches only this.
pub const SECURITY_PATH: &str = "/account/security";

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

/// What the security page shows besides the stored state.
#[derive(Default)]
struct Shown {
    /// Recovery codes, right after confirmation (the only time they are shown).
    recovery: Option<Vec<String>>,
    /// A notice key (`account.totp_on`, ...).
    notice: Option<String>,
    errors: Option<FieldErrors>,
}

/// The enrolment's QR code as inline SVG (no image file, nothing sent elsewhere).
fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // Inside a page: from the <svg> element on, without the XML declaration.
    let start = svg.find("<svg")?;
    Some(svg[start..].replacen("<svg ", "<svg id=\"totp-qr\" role=\"img\" ", 1))
}

async fn security_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    shown: Shown,
) -> PageResult {
    let status = liaison_app::account::status(&state.db, &s.actor).await?;
    let pending = liaison_app::account::pending(&state.db, &s.actor, &s.user.email).await?;
    let sessions = liaison_app::account::sessions(&state.db, &s.actor, s.id).await?;
    let mode = if s.actor.can(liaison_core::Permission::AdminUsers) {
        Some(
            liaison_app::account::settings(&state.db, &s.actor)
                .await?
                .totp_mode,
        )
    } else {
        None
    };
    let qr = pending.as_ref().and_then(|p| qr_svg(&p.otpauth_url));
    let secret = pending
        .as_ref()
        .map(|p| liaison_core::totp::grouped(&p.secret));
    let mut r = render(
        state,
        headers,
        Some(s),
        "account/security.html",
        ctx! {
            nav => "account",
            status => status,
            qr => qr,
            secret => secret,
            otpauth_url => pending.as_ref().map(|p| p.otpauth_url.clone()),
            recovery => shown.recovery,
            sessions => sessions,
            mode => mode,
            enforced => s.gate == liaison_core::totp::Gate::Enforce,
            notice => shown.notice,
            errors => form_errors(shown.errors.as_ref()),
        },
    );
    mark_invalid(&mut r, shown.errors.is_some());
    Ok(r)
}

async fn security(Page(state, headers, s): Page, p: crate::extract::Pairs) -> PageResult {
    // Only known notices are shown (the query is the visitor's to change).
    let notice = p.get("done").and_then(|d| {
        [
            "totp_off",
            "sessions_ended",
            "session_ended",
            "mode_saved",
            "password_changed",
        ]
        .into_iter()
        .find(|k| *k == d)
        .map(|k| format!("account.done.{k}"))
    });
    security_page(
        &state,
        &headers,
        &s,
        Shown {
            notice,
            ..Default::default()
        },
    )
    .await
}

async fn start_totp(PageForm(state, _, s, _): PageForm) -> PageResult {
    liaison_app::account::start_totp(&state.db, &s.actor, &s.user.email).await?;
    Ok(Redirect::to(&format!("{SECURITY_PATH}#totp")).into_response())
}

async fn confirm_totp(PageForm(state, headers, s, p): PageForm) -> PageResult {
    match liaison_app::account::confirm_totp(&state.db, &s.actor, &p.text("code")).await {
        Ok(codes) => {
            // A session held to enrol is free from now on.
            state.sessions.forget_user(s.user.id);
            let mut s = s;
            s.gate = liaison_core::totp::Gate::Open;
            let shown = Shown {
                recovery: Some(codes),
                notice: Some("account.done.totp_on".into()),
                errors: None,
            };
            security_page(&state, &headers, &s, shown).await
        }
        Err(liaison_app::Error::Invalid(e)) => with_errors(&state, &headers, &s, e).await,
        Err(e) => Err(e.into()),
    }
}

/// The page again with a form's errors.
async fn with_errors(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    errors: FieldErrors,
) -> PageResult {
    let shown = Shown {
        errors: Some(errors),
        ..Default::default()
    };
    security_page(state, headers, s, shown).await
}

/// The end of a form that proves who one is (a code or a password, §7.2.3): back to the page
/// with its `done` notice, or the page again with the errors; a refused proof (as `refused`
/// judges the errors) counts as a failed login.
async fn proved(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    client: &str,
    result: Result<(), liaison_app::Error>,
    refused: impl Fn(&FieldErrors) -> bool,
    done: &str,
) -> PageResult {
    match result {
        Ok(()) => {
            state.sessions.forget_user(s.user.id);
            Ok(Redirect::to(&format!("{SECURITY_PATH}?done={done}")).into_response())
        }
        Err(liaison_app::Error::Invalid(e)) => {
            if refused(&e) {
                state.login_limiter.fail(&s.user.email, client);
            }
            with_errors(state, headers, s, e).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn disable_totp(
    crate::auth::ClientAddr(client): crate::auth::ClientAddr,
    PageForm(state, headers, s, p): PageForm,
) -> PageResult {
    if let Err(wait) = state.login_limiter.check(&s.user.email, &client) {
        return Err(crate::AppError::RateLimited(wait).into());
    }
    let code = p.text("code");
    let password = p.get("password").unwrap_or("").to_string();
    let proof = if !code.is_empty() {
        Some(liaison_app::account::Proof::Code(&code))
    } else if !password.is_empty() {
        Some(liaison_app::account::Proof::Password(&password))
    } else {
        None
    };
    let result =
        liaison_app::account::disable_totp(&state.db, &s.actor, &s.user.email, proof).await;
    let refused = |_: &FieldErrors| proof.is_some();
    proved(&state, &headers, &s, &client, result, refused, "totp_off").await
}

/// Self-service password change (§7.2.3): the current password, the new one twice; every other
/// session ends. A wrong current password counts as a failed login.
async fn change_password(
    crate::auth::ClientAddr(client): crate::auth::ClientAddr,
    PageForm(state, headers, s, p): PageForm,
) -> PageResult {
    if let Err(wait) = state.login_limiter.check(&s.user.email, &client) {
        return Err(crate::AppError::RateLimited(wait).into());
    }
    let new = p.get("new").unwrap_or("");
    let result = if new != p.get("new_again").unwrap_or("") {
        Err(liaison_app::Error::invalid(
            "new_again",
            liaison_core::validate::Msg::new("account.password_mismatch"),
        ))
    } else {
        liaison_app::account::change_password(
            &state.db,
            &s.actor,
            &s.user.email,
            p.get("current").unwrap_or(""),
            new,
            s.id,
        )
        .await
        .map(|_| ())
    };
    let refused = |e: &FieldErrors| e.get("current").is_some();
    proved(
        &state,
        &headers,
        &s,
        &client,
        result,
        refused,
        "password_changed#password",
    )
    .await
}

async fn revoke_others(PageForm(state, _, s, _): PageForm) -> PageResult {
    liaison_app::account::revoke_other_sessions(&state.db, &s.actor, s.id).await?;
    state.sessions.forget_user(s.user.id);
    Ok(Redirect::to(&format!("{SECURITY_PATH}?done=sessions_ended#sessions")).into_response())
}

async fn revoke_one(Path(sid): Path<String>, PageForm(state, _, s, _): PageForm) -> PageResult {
    let id = crate::extract::id(&sid)?;
    liaison_app::account::revoke_session(&state.db, &s.actor, id).await?;
    state.sessions.forget_user(s.user.id);
    // Ending the session one is using is a logout.
    let to = if id == s.id {
        "/login".to_string()
    } else {
        format!("{SECURITY_PATH}?done=session_ended#sessions")
    };
    Ok(Redirect::to(&to).into_response())
}

/// The admin's choice (§7.2.3): remind or enforce. Under /console, so an admin held to enrol
/// cannot lift the rule before enrolling.
async fn save_mode(PageForm(state, headers, s, p): PageForm) -> PageResult {
    let mode = match liaison_core::totp::TotpMode::parse(&p.text("totp_mode")) {
        Ok(m) => m,
        Err(m) => {
            let errors = FieldErrors::single("totp_mode", m);
            return security_page(
                &state,
                &headers,
                &s,
                Shown {
                    errors: Some(errors),
                    ..Default::default()
                },
            )
            .await;
        }
    };
    liaison_app::account::update_settings(
        &state.db,
        &s.actor,
        &liaison_db::settings::SecuritySettings { totp_mode: mode },
    )
    .await?;
    state.sessions.forget_all();
    Ok(Redirect::to(&format!("{SECURITY_PATH}?done=mode_saved#mode")).into_response())
}
