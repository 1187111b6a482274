//! The server-rendered UI: staff console (`/console/...`) and partner portal (`/portal`), in
//! Simplified Chinese, Traditional Chinese and English. Forms work without JavaScript and carry
//! a CSRF token; templates are minijinja, embedded at build time.

mod account;
mod ack;
mod api_tokens;
mod audit;
mod calendar;
mod data;
mod feedback;
mod home;
mod inbox;
mod integration;
mod kpi;
mod launch;
mod leaks;
mod meetings;
mod nda;
mod offline;
mod partner;
mod policies;
mod portal;
mod product;
mod question;
mod request;
mod robot;
mod search;
mod segment;
mod settings;
mod surveys;
mod thread;
mod tickets;
mod user;

use crate::auth::{self, MaybeUser, PageUser, Session};
use crate::extract::Pairs;
use crate::{AppError, AppState};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use liaison_core::Permission;
use liaison_core::partner::Lang;
use minijinja::{Environment, Value, context};
use serde::Deserialize;
use std::collections::HashMap;

/// `context!` whose values are any `Serialize` type.
macro_rules! ctx {
    ($($k:ident => $v:expr),* $(,)?) => {
        minijinja::context! { $($k => minijinja::Value::from(minijinja::value::Serde(&$v))),* }
    };
}
pub(crate) use ctx;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "base.html",
    "login.html",
    "evaluation/index.html",
    "evaluation/settings.html",
    "evaluation/drill.html",
    "evaluation/scorecards.html",
    "evaluation/relationship.html",
    "evaluation/impact.html",
    "error.html",
    "partner/list.html",
    "partner/show.html",
    "partner/form.html",
    "partner/import.html",
    "partner/contact_form.html",
    "segment/list.html",
    "user/list.html",
    "user/edit.html",
    "settings/review.html",
    "audit/list.html",
    "portal/home.html",
    "thread/list.html",
    "thread/show.html",
    "portal/inbox.html",
    "portal/message.html",
    "portal/ack.html",
    "portal/rate.html",
    "request/list.html",
    "request/form.html",
    "request/show.html",
    "delivery/calendar.html",
    "delivery/integrations.html",
    "search/list.html",
    "home/dashboard.html",
    "home/notifications.html",
    "portal/questions.html",
    "portal/question.html",
    "portal/posts.html",
    "partner/ndas.html",
    "portal/link_invalid.html",
    "account/show.html",
    "account/security.html",
    "policy/list.html",
    "policy/show.html",
    "policy/matrix.html",
    "policy/portal_list.html",
    "policy/portal_show.html",
    "product/list.html",
    "product/show.html",
    "product/_body.html",
    "product/form.html",
    "portal/products.html",
    "portal/product.html",
    "launch/_month.html",
    "launch/month.html",
    "portal/launches.html",
    "feedback/queue.html",
    "feedback/show.html",
    "portal/feedback.html",
    "portal/feedback_item.html",
    "ticket/_bars.html",
    "ticket/_timeline.html",
    "ticket/queue.html",
    "ticket/new.html",
    "ticket/show.html",
    "ticket/report.html",
    "ticket/settings.html",
    "ticket/portal_list.html",
    "ticket/portal_new.html",
    "ticket/portal_show.html",
    "data/portal.html",
    "data/submission.html",
    "data/anomaly.html",
    "data/trends.html",
    "data/console.html",
    "data/import.html",
    "data/import_job.html",
    "data/settings.html",
    "visit/_tasks.html",
    "visit/list.html",
    "visit/new.html",
    "visit/show.html",
    "visit/portal.html",
    "call/list.html",
    "call/new.html",
    "call/show.html",
    "meeting/_row.html",
    "meeting/_card.html",
    "meeting/_clashes.html",
    "meeting/list.html",
    "meeting/form.html",
    "meeting/show.html",
    "meeting/cadence.html",
    "meeting/tasks.html",
    "meeting/settings.html",
    "meeting/portal_list.html",
    "meeting/portal_show.html",
    "meeting/portal_tasks.html",
    "meeting/rsvp.html",
    "meeting/rsvp_invalid.html",
    "api_token/_panel.html",
    "api_token/page.html",
    "api_token/created.html",
    "incident/trace.html",
    "incident/list.html",
    "incident/new.html",
    "incident/show.html",
    "incident/access_requests.html",
    "access/_panel.html",
    "survey/_questions.html",
    "survey/list.html",
    "survey/form.html",
    "survey/show.html",
    "survey/results.html",
    "survey/portal_list.html",
    "survey/portal_show.html",
];

pub fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    for (name, src) in TEMPLATES {
        if let Err(e) = env.add_template(name, src) {
            // A broken template is a build mistake; tests render every page and would fail.
            tracing::error!(template = name, error = %e, "template does not compile");
        }
    }
    env.add_function("t", |state: &minijinja::State, key: &str| -> String {
        let lang = state
            .lookup("lang")
            .and_then(|v| v.as_str().and_then(|s| Lang::parse(s).ok()))
            .unwrap_or(Lang::ZhCn);
        liaison_i18n::t(lang, key).to_string()
    });
    // A message with `{ $name }` arguments: `tr("time.zone_note", zone=tz_label)`.
    env.add_function(
        "tr",
        |state: &minijinja::State, key: &str, kwargs: minijinja::value::Kwargs| -> String {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().and_then(|s| Lang::parse(s).ok()))
                .unwrap_or(Lang::ZhCn);
            let args: Vec<(&str, String)> = kwargs
                .args()
                .map(|k| {
                    let v: Value = kwargs.get(k).unwrap_or_default();
                    (k, v.to_string())
                })
                .collect();
            liaison_i18n::tr(lang, key, &args)
        },
    );
    // A pre-check finding as stored (`{code, ...args}`, or an old row's text) in the page's
    // language (§4.2.1).
    env.add_function("finding", |state: &minijinja::State, f: Value| -> String {
        let lang = state
            .lookup("lang")
            .and_then(|v| v.as_str().and_then(|s| Lang::parse(s).ok()))
            .unwrap_or(Lang::ZhCn);
        serde_json::to_value(&f)
            .ok()
            .and_then(|j| serde_json::from_value::<liaison_core::precheck::Finding>(j).ok())
            .map(|f| f.msg().render(lang))
            .unwrap_or_else(|| f.to_string())
    });
    env.add_filter("weekdays", |state: &minijinja::State, v: Value| -> String {
        let lang = state
            .lookup("lang")
            .and_then(|v| v.as_str().and_then(|s| Lang::parse(s).ok()))
            .unwrap_or(Lang::ZhCn);
        weekdays_text(v.as_str().unwrap_or(""), lang)
    });
    // A long text cut to `n` characters with an ellipsis (lists of feedback, §3.2.3).
    env.add_filter("clip", |v: String, n: usize| -> String {
        if v.chars().count() <= n {
            v
        } else {
            let mut s: String = v.chars().take(n).collect();
            s.push('…');
            s
        }
    });
    // A time in the viewer's zone (`tz` of the page context, set by `render`).
    env.add_filter("dt", |state: &minijinja::State, v: Value| -> String {
        let zone = state
            .lookup("tz")
            .and_then(|z| z.as_str().and_then(|z| z.parse::<chrono_tz::Tz>().ok()))
            .unwrap_or(chrono_tz::Asia::Shanghai);
        match v.as_str() {
            Some(s) => chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|_| s.to_string()),
            None if v.is_none() || v.is_undefined() => "—".to_string(),
            None => v.to_string(),
        }
    });
    env
}

/// The company's time zone, Asia/Shanghai (UTC+8 all year, no daylight saving).
pub fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The zone a viewer reads times in (issue 9: one clock): their own setting, else the
/// company's. Times on pages are shown in it and `datetime-local` inputs are read in it.
pub fn viewer_zone(state: &AppState, user: Option<&liaison_db::user::User>) -> chrono_tz::Tz {
    user.and_then(|u| u.time_zone.as_deref())
        .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(state.config.company_zone)
}

/// How a zone is named to a person: `北京时间 (UTC+8)`, `Europe/Berlin (UTC+1)`; the offset is
/// today's (daylight saving moves it).
pub fn zone_label(zone: chrono_tz::Tz, lang: Lang, now: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Offset;
    let secs = now.with_timezone(&zone).offset().fix().local_minus_utc();
    let (sign, secs) = if secs < 0 { ('-', -secs) } else { ('+', secs) };
    let offset = if secs % 3600 == 0 {
        format!("UTC{sign}{}", secs / 3600)
    } else {
        format!("UTC{sign}{}:{:02}", secs / 3600, secs % 3600 / 60)
    };
    let key = format!("zone.{}", zone.name());
    let name = liaison_i18n::lookup(lang, &key).unwrap_or(zone.name());
    format!("{name} ({offset})")
}

/// Working days `1-5` as a person reads them: 周一至周五, Mon–Fri; other sets day by day.
pub fn weekdays_text(days: &str, lang: Lang) -> String {
    let Ok(list) = liaison_core::partner::WorkingHours::parse_days(days) else {
        return days.to_string();
    };
    let name = |d: u8| liaison_i18n::t(lang, &format!("weekday.{d}")).to_string();
    let mut runs: Vec<(u8, u8)> = Vec::new();
    for d in list {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == d => *end = d,
            _ => runs.push((d, d)),
        }
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|(a, b)| match b - a {
            0 => name(*a),
            1 => format!(
                "{}{}{}",
                name(*a),
                liaison_i18n::t(lang, "weekday.and"),
                name(*b)
            ),
            _ => liaison_i18n::tr(
                lang,
                "weekday.range",
                &[("from", name(*a)), ("to", name(*b))],
            ),
        })
        .collect();
    parts.join(liaison_i18n::t(lang, "weekday.separator"))
}

pub use liaison_channels::markdown::body_html;

/// What a page handler returns: the page, or an error that `render_failures` turns into the
/// error page in the visitor's language (so handlers use `?` like API handlers do).
pub type PageResult = Result<Response, PageError>;

/// A page that failed; rendered by [`render_failures`].
#[derive(Debug)]
pub struct PageError(AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

/// Carries the error from the handler to [`render_failures`] on the response.
#[derive(Clone)]
struct Failed(std::sync::Arc<AppError>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut r = self.0.status().into_response();
        r.extensions_mut()
            .insert(Failed(std::sync::Arc::new(self.0)));
        r
    }
}

/// Middleware on every page: a handler's `PageError` becomes the error page, in the visitor's
/// language and with their name in the header when they are logged in.
pub async fn render_failures(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut probe = axum::http::Request::builder()
        .method(axum::http::Method::GET)
        .uri(req.uri().clone());
    if let Some(h) = probe.headers_mut() {
        *h = req.headers().clone();
    }
    let mut r = next.run(req).await;
    // A handler's failure, or an extractor's rejection (a query with a control character).
    let err = match r.extensions_mut().remove::<Failed>() {
        Some(Failed(err)) => err,
        None => match crate::error::take_problem(&mut r) {
            Some(err) => err,
            None => return r,
        },
    };
    let Ok((parts, ())) = probe.body(()).map(|b| b.into_parts()) else {
        return r;
    };
    let session = auth::resolve(&state, &parts).await.ok().flatten();
    error_page(&state, &parts.headers, session.as_ref(), &err)
}

/// A logged-in page visit: the app, the request's headers (for the language) and the session,
/// destructured in handlers as `Page(state, headers, s)`.
/// A visitor without a session is sent to the login page.
pub struct Page(pub AppState, pub HeaderMap, pub Session);

impl axum::extract::FromRequestParts<AppState> for Page {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let PageUser(mut s) = PageUser::from_request_parts(parts, state).await?;
        // §7.2.3: an admin or executive held to enrol reaches only the enrolment page.
        let path = parts.uri.path();
        if s.gate == liaison_core::totp::Gate::Enforce
            && !path.starts_with(account::SECURITY_PATH)
            && path != "/logout"
        {
            return Err(Redirect::to(account::SECURITY_PATH).into_response());
        }
        // The console is for company users, the portal for partner users.
        let area = if parts.uri.path().starts_with("/portal") {
            Some(Permission::UsePortal)
        } else if parts.uri.path().starts_with("/console") {
            Some(Permission::UseConsole)
        } else {
            None
        };
        if let Some(p) = area
            && let Err(e) = s.require(p)
        {
            return Err(error_page(state, &parts.headers, Some(&s), &e));
        }
        // The bell and "我的待办" counts on every page (issue 9); a failure only hides them.
        match liaison_app::home::badges(&state.db, &s.actor).await {
            Ok(b) => s.badges = b,
            Err(e) => tracing::warn!(error = %e, "menu counts unavailable"),
        }
        Ok(Page(state.clone(), parts.headers.clone(), s))
    }
}

/// A form posted from a page: a `Page` and the form's fields, whose `_csrf` token has been
/// checked against the session (a forged post gets the error page and changes nothing).
pub struct PageForm(pub AppState, pub HeaderMap, pub Session, pub Pairs);

impl axum::extract::FromRequest<AppState> for PageForm {
    type Rejection = Response;
    async fn from_request(
        req: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let Page(state, headers, s) = Page::from_request_parts(&mut parts, state).await?;
        let req = axum::extract::Request::from_parts(parts, body);
        let form = match Form::<Vec<(String, String)>>::from_request(req, &state).await {
            Ok(Form(pairs)) => pairs,
            Err(e) => {
                let e = AppError::BadRequest(format!("the form could not be read: {e}"));
                return Err(error_page(&state, &headers, Some(&s), &e));
            }
        };
        let token = form
            .iter()
            .rev()
            .find(|(k, _)| k == "_csrf")
            .map_or("", |(_, v)| v.as_str());
        if let Err(e) = s.check_csrf(token) {
            return Err(error_page(&state, &headers, Some(&s), &e));
        }
        // A field with a control character never reaches a handler (see `extract`): the page
        // says which field, with the visitor's other input still in their browser's history.
        let form = match Pairs::checked(form) {
            Ok(f) => f,
            Err(e) => return Err(error_page(&state, &headers, Some(&s), &e)),
        };
        Ok(PageForm(state, headers, s, form))
    }
}

/// A multipart form posted from a page: its text fields, checked like any form's (control
/// characters, the CSRF token), and the files of the inputs named `file_field` (any number;
/// an input left empty sends an empty part, which is not a file).
pub(crate) async fn multipart_form(
    s: &Session,
    mut mp: axum::extract::Multipart,
    file_field: &str,
) -> Result<(Pairs, Vec<liaison_db::tickets::NewFile>), AppError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest(format!("the upload could not be read: {e}"))
    };
    let mut fields = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == file_field {
            // The name only, whatever path a browser sends with it.
            let filename = field
                .file_name()
                .unwrap_or("")
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let bytes = field.bytes().await.map_err(bad)?.to_vec();
            if filename.is_empty() && bytes.is_empty() {
                continue;
            }
            crate::extract::check_text(file_field, &filename)?;
            files.push(liaison_db::tickets::NewFile { filename, bytes });
        } else {
            fields.push((name, field.text().await.map_err(bad)?));
        }
    }
    let pairs = Pairs::checked(fields)?;
    s.check_csrf(pairs.get("_csrf").unwrap_or(""))?;
    Ok((pairs, files))
}

/// Renders `name` with the page's common context (language, user, CSRF token).
pub fn render(
    state: &AppState,
    headers: &HeaderMap,
    session: Option<&Session>,
    name: &str,
    ctx: Value,
) -> Response {
    let lang = auth::page_lang(headers, session.map(|s| &s.user));
    let zone = viewer_zone(state, session.map(|s| &s.user));
    let common = ctx! {
        lang => lang.tag(),
        tz => zone.name(),
        tz_label => zone_label(zone, lang, state.db.now()),
        user => session.map(|s| &s.user),
        csrf => session.map(|s| s.csrf()),
        is_partner => session.is_some_and(|s| s.actor.is_partner()),
        can_write => session.is_some_and(|s| s.actor.can(Permission::WritePartners)),
        can_import => session.is_some_and(|s| s.actor.can(Permission::ImportPartners)),
        can_export => session.is_some_and(|s| s.actor.can(Permission::ExportPartners)),
        is_admin => session.is_some_and(|s| s.actor.can(Permission::AdminUsers)),
        can_request => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::CreateRequests)),
        can_feedback => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::ReadFeedback)),
        can_tickets => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::WorkTickets)),
        can_manage_tickets => session.is_some_and(|s| s.actor.can(Permission::ManageTickets)),
        can_data => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::ReadAllData)),
        can_manage_data => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::ManageData)),
        can_offline => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::LogOffline)),
        can_manage_meetings => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::ManageMeetings)),
        can_api_tokens => session.is_some_and(|s| s.actor.is_partner() && s.actor.can(Permission::ManageApiTokens)),
        can_trace => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::TraceLeaks)),
        can_evaluate => session.is_some_and(|s| !s.actor.is_partner() && s.actor.can(Permission::ReadEvaluation)),
        badges => session.map(|s| &s.badges),
        totp_remind => session.is_some_and(|s| s.gate != liaison_core::totp::Gate::Open),
    };
    let merged = context! { ..ctx, ..common };
    let previous = PAGE_LANG.with(|l| l.replace(lang));
    let rendered = state
        .templates
        .get_template(name)
        .and_then(|t| t.render(merged));
    PAGE_LANG.with(|l| l.set(previous));
    match rendered {
        Ok(html) => Html(html).into_response(),
        Err(e) => AppError::Internal(format!("template {name}: {e:#}")).into_response(),
    }
}

std::thread_local! {
    /// The language of the page being rendered: templates render synchronously on one thread,
    /// so [`render`] sets it around the rendering and messages read it when they are shown.
    static PAGE_LANG: std::cell::Cell<Lang> = const { std::cell::Cell::new(Lang::ZhCn) };
}

/// Messages shown in the page's language when the template prints them (the field errors of a
/// form are collected before the page knows its language).
#[derive(Debug)]
struct PageMsgs(Vec<liaison_core::validate::Msg>);

impl minijinja::value::Object for PageMsgs {
    fn is_true(self: &std::sync::Arc<Self>) -> bool {
        !self.0.is_empty()
    }
    fn render(self: &std::sync::Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let lang = PAGE_LANG.with(|l| l.get());
        let text: Vec<String> = self.0.iter().map(|m| m.render(lang)).collect();
        f.write_str(&text.join("; "))
    }
}

/// Field errors as a `field -> message` map for a form template: every message of a field,
/// beside its input, in the page's language.
pub fn form_errors(errors: Option<&liaison_core::FieldErrors>) -> Option<HashMap<String, Value>> {
    errors.map(|e| {
        let mut by_field: Vec<(String, Vec<liaison_core::validate::Msg>)> = Vec::new();
        for f in &e.0 {
            match by_field.iter_mut().find(|(k, _)| *k == f.field) {
                Some((_, v)) => v.push(f.msg.clone()),
                None => by_field.push((f.field.clone(), vec![f.msg.clone()])),
            }
        }
        by_field
            .into_iter()
            .map(|(k, v)| (k, Value::from_object(PageMsgs(v))))
            .collect()
    })
}

/// A message for a page context, shown in the page's language.
pub fn page_msg(m: liaison_core::validate::Msg) -> Value {
    Value::from_object(PageMsgs(vec![m]))
}

/// A form shown again with its errors answers 422, so scripts and tests can tell.
pub fn mark_invalid(r: &mut Response, invalid: bool) {
    if invalid {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
}

/// An error as a page (HTML routes) rather than problem+json.
pub fn error_page(
    state: &AppState,
    headers: &HeaderMap,
    session: Option<&Session>,
    err: &AppError,
) -> Response {
    let status = err.status();
    if let AppError::Internal(cause) = err {
        tracing::error!(%cause, "page failed");
    }
    let mut r = render(
        state,
        headers,
        session,
        "error.html",
        ctx! {
            status => status.as_u16(),
            detail => err.detail_in(auth::page_lang(headers, session.map(|s| &s.user))),
        },
    );
    *r.status_mut() = status;
    r
}

/// A page that does not exist: the error page in the visitor's language, with the portal's
/// look for partner paths (`/portal`, `/ack`) and partner users, the console's otherwise.
pub fn not_found_page(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    session: Option<&Session>,
) -> Response {
    let partner_side = path.starts_with("/portal") || path.starts_with("/ack");
    let mut r = render(
        state,
        headers,
        session,
        "error.html",
        ctx! {
            status => 404u16,
            detail => liaison_i18n::t(auth::page_lang(headers, session.map(|s| &s.user)), "error.not_found_page"),
            is_partner => partner_side || session.is_some_and(|s| s.actor.is_partner()),
        },
    );
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
        .merge(account::router())
        .merge(ack::router())
        .merge(partner::router())
        .merge(segment::router())
        .merge(policies::router())
        .merge(user::router())
        .merge(settings::router())
        .merge(audit::router())
        .merge(robot::router())
        .merge(calendar::router())
        .merge(integration::router())
        .merge(request::router())
        .merge(portal::router())
        .merge(thread::router())
        .merge(search::router())
        .merge(inbox::router())
        .merge(home::router())
        .merge(nda::router())
        .merge(question::router())
        .merge(product::router())
        .merge(launch::router())
        .merge(feedback::router())
        .merge(tickets::router())
        .merge(kpi::router())
        .merge(data::router())
        .merge(offline::router())
        .merge(meetings::router())
        .merge(api_tokens::router())
        .merge(leaks::router())
        .merge(surveys::router())
}

async fn home(MaybeUser(s): MaybeUser) -> Redirect {
    match s {
        None => Redirect::to("/login"),
        // Everyone lands on what waits for them (issue 9).
        Some(s) if s.actor.is_partner() => Redirect::to("/portal/home"),
        Some(_) => Redirect::to("/console/home"),
    }
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../static/app.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        include_str!("../../static/app.js"),
    )
}

/// Only same-site paths are followed after login or a language switch.
fn safe_next(next: Option<&str>) -> String {
    // A same-site path only: one leading slash, then no second slash or backslash at the start,
    // and no whitespace or control characters anywhere (browsers drop tabs: "/\t/evil.com").
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(s): MaybeUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if s.is_some() {
        return Redirect::to(&safe_next(q.get("next").map(String::as_str))).into_response();
    }
    render(
        &state,
        &headers,
        None,
        "login.html",
        ctx! { next => q.get("next"), email => "", error => Value::UNDEFINED, pending => Value::UNDEFINED },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
    /// The second step (§7.2.3): the signed token of the first and the code.
    #[serde(default)]
    pending: Option<String>,
    #[serde(default)]
    totp: Option<String>,
}

/// How long the code may take after a right password.
const SECOND_STEP_MINUTES: i64 = 5;

/// The login page again with `error` (a catalogue key) and its status; with `pending`, the
/// second step asking for the code.
fn login_again(
    state: &AppState,
    headers: &HeaderMap,
    f: &LoginForm,
    error: Option<&str>,
    pending: Option<String>,
    status: StatusCode,
) -> Response {
    let mut r = render(
        state,
        headers,
        None,
        "login.html",
        ctx! {
            next => f.next.as_deref().map(|n| safe_next(Some(n))),
            email => f.email.replace(|c: char| c.is_control(), ""),
            error => error,
            pending => pending,
        },
    );
    *r.status_mut() = status;
    r
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth::ClientAddr(client): auth::ClientAddr,
    auth::RequestOrigin(from): auth::RequestOrigin,
    Form(f): Form<LoginForm>,
) -> Response {
    // Control characters never reach the database (see `extract`): the form again, saying so.
    let typed = [
        ("email", f.email.as_str()),
        ("password", f.password.as_str()),
        ("totp", f.totp.as_deref().unwrap_or("")),
        ("pending", f.pending.as_deref().unwrap_or("")),
    ];
    if typed
        .iter()
        .any(|(k, v)| crate::extract::check_text(k, v).is_err())
    {
        return login_again(
            &state,
            &headers,
            &f,
            Some("login.invalid_text"),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let refused = |e: AppError, pending: Option<String>| {
        let key = match e {
            AppError::RateLimited(_) => "login.rate_limited",
            AppError::Unauthenticated => "login.failed",
            AppError::TotpRequired { wrong: true } => "login.totp_wrong",
            _ => return error_page(&state, &headers, None, &e),
        };
        let status = if key == "login.rate_limited" {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::UNAUTHORIZED
        };
        login_again(&state, &headers, &f, Some(key), pending, status)
    };
    let user = match f.pending.as_deref().filter(|p| !p.is_empty()) {
        // The second step: the first one's token stands for the password.
        Some(pending) => {
            let Some(user) = pending_user(&state, pending).await else {
                return login_again(
                    &state,
                    &headers,
                    &f,
                    Some("login.totp_expired"),
                    None,
                    StatusCode::UNAUTHORIZED,
                );
            };
            if let Err(wait) = state.login_limiter.check(&user.email, &client) {
                return refused(AppError::RateLimited(wait), None);
            }
            if let Err(e) = auth::second_step(&state, &user, f.totp.as_deref(), &client).await {
                return refused(e, Some(pending.to_string()));
            }
            user
        }
        None => {
            let user = match auth::check_password(&state, &f.email, &f.password, &client).await {
                Ok(u) => u,
                Err(e) => return refused(e, None),
            };
            match auth::second_step(&state, &user, None, &client).await {
                Ok(()) => user,
                // A right password for an account with a second factor: ask for the code,
                // carrying a signed token instead of the password.
                Err(AppError::TotpRequired { .. }) => {
                    let Ok(cipher) = state.db.cipher() else {
                        return error_page(
                            &state,
                            &headers,
                            None,
                            &AppError::Internal("no encryption key for the login step".into()),
                        );
                    };
                    let until = state.db.now() + chrono::Duration::minutes(SECOND_STEP_MINUTES);
                    let token = liaison_db::link::sign_login_step(cipher, user.id, until);
                    return login_again(&state, &headers, &f, None, Some(token), StatusCode::OK);
                }
                Err(e) => return refused(e, None),
            }
        }
    };
    let token = match auth::open_session(
        &state,
        &user,
        &client,
        &from,
        liaison_db::user::SessionKind::Browser,
    )
    .await
    {
        Ok(t) => t,
        Err(e) => return error_page(&state, &headers, None, &e),
    };
    let dest = match f.next.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => safe_next(Some(n)),
        // Everyone lands on what waits for them (issue 9).
        None if user.roles.is_partner() => "/portal/home".into(),
        None => "/console/home".into(),
    };
    let mut r = Redirect::to(&dest).into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::session_cookie(&state, &token)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The active user a second step's token stands for, while it holds.
async fn pending_user(state: &AppState, token: &str) -> Option<liaison_db::user::User> {
    let cipher = state.db.cipher().ok()?;
    let id = liaison_db::link::verify_login_step(cipher, token, state.db.now()).ok()?;
    liaison_db::user::find_user(&state.db, id)
        .await
        .ok()
        .flatten()
        .filter(|u| u.active)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    _csrf: String,
}

async fn logout(Page(state, headers, s): Page, Form(f): Form<CsrfForm>) -> Response {
    if let Err(e) = s.check_csrf(&f._csrf) {
        return error_page(&state, &headers, Some(&s), &e);
    }
    state.sessions.forget(&s.token);
    if let Err(e) = liaison_db::user::revoke_session(&state.db, s.id, s.user.id).await {
        return error_page(&state, &headers, Some(&s), &e.into());
    }
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&auth::clear_session_cookie(&state)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

async fn set_lang(Path(code): Path<String>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Ok(lang) = Lang::parse(&code) else {
        return (StatusCode::NOT_FOUND, "unknown language").into_response();
    };
    let mut r = Redirect::to(&safe_next(q.get("next").map(String::as_str))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        auth::LANG_COOKIE,
        lang.tag()
    )) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_same_site_paths_are_followed() {
        for bad in [
            "//evil.com",
            "/\t/evil.com",
            "/\\evil.com",
            "https://evil.com",
            "/ok\r\nSet-Cookie: x",
            "",
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(
            super::safe_next(Some("/console/partners?q=%E6%81%92")),
            "/console/partners?q=%E6%81%92"
        );
        assert_eq!(super::safe_next(None), "/");
    }

    #[test]
    fn a_markdown_body_is_rendered_without_raw_html_or_script_links() {
        let html = super::body_html(
            "第一段 <script>alert(1)</script>\n第二行 **重点** & [链接](javascript:alert(1))\n\n<b onclick=\"x\">二</b>\n\n[官网](https://example.com)",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("<strong>重点</strong>"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<b onclick"), "{html}");
        assert!(html.contains("<br"), "line breaks are kept: {html}");
        assert!(html.contains("href=\"https://example.com\""), "{html}");
        assert_eq!(super::body_html("  \n"), "");
    }
}
