//! "我的待办" and the notification centre (issue 9): after login everyone lands on what waits
//! for them; the bell on every page leads to their notifications, where they also choose which
//! kinds come by e-mail. The same pages serve the console and the portal.

use super::{Page, PageForm, PageResult, ctx, render};
use crate::AppState;
use crate::auth::page_lang;
use crate::extract::{Pairs, id};
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::{home, notify};
use liaison_core::notify::NotifyKind;

pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for area in ["console", "portal"] {
        r = r
            .route(&format!("/{area}/home"), get(dashboard))
            .route(&format!("/{area}/notifications"), get(list))
            .route(&format!("/{area}/notifications/read"), post(read_all))
            .route(
                &format!("/{area}/notifications/settings"),
                post(save_settings),
            )
            .route(&format!("/{area}/notifications/{{id}}"), get(open));
    }
    r
}

fn area(s: &crate::auth::Session) -> &'static str {
    if s.actor.is_partner() {
        "portal"
    } else {
        "console"
    }
}

async fn dashboard(Page(state, headers, s): Page) -> PageResult {
    let lang = page_lang(&headers, Some(&s.user));
    let d = home::dashboard(&state.db, &s.actor, lang).await?;
    let recent = notify::list(&state.db, &s.actor, true, None, 5).await?;
    let recent: Vec<_> = recent.iter().map(|n| notify::View::of(n, lang)).collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "home/dashboard.html",
        ctx! { nav => "home", sections => d.sections, recent => recent, now => state.db.now() },
    ))
}

async fn list(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let unread = p.get("unread") == Some("true");
    let items = notify::list(&state.db, &s.actor, unread, None, 100).await?;
    let lang = page_lang(&headers, Some(&s.user));
    let items: Vec<_> = items.iter().map(|n| notify::View::of(n, lang)).collect();
    let choices: Vec<_> = notify::email_choices(&state.db, &s.actor)
        .await?
        .into_iter()
        .map(|(k, e)| ctx! { kind => k.as_str(), email => e })
        .collect();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "home/notifications.html",
        ctx! {
            nav => "notifications", items => items, unread_only => unread, choices => choices,
            area => area(&s), saved => p.get("saved").is_some(),
        },
    ))
}

/// Opens a notification: marks it read and goes where it leads.
async fn open(Page(state, _, s): Page, Path(nid): Path<String>) -> PageResult {
    let n = notify::mark_read(&state.db, &s.actor, id(&nid)?).await?;
    // Only paths on this site (never an outside address).
    let to = if n.link.starts_with('/') && !n.link.starts_with("//") {
        n.link
    } else {
        format!("/{}/home", area(&s))
    };
    Ok(Redirect::to(&to).into_response())
}

async fn read_all(PageForm(state, _, s, _): PageForm) -> PageResult {
    notify::mark_all_read(&state.db, &s.actor).await?;
    Ok(Redirect::to(&format!("/{}/notifications", area(&s))).into_response())
}

/// The e-mail choices: a checkbox per kind the person receives (unchecked is off).
async fn save_settings(PageForm(state, _, s, form): PageForm) -> PageResult {
    let on = form.all("email");
    let choices: Vec<(NotifyKind, bool)> = NotifyKind::choosable(s.actor.is_partner())
        .into_iter()
        .map(|k| (k, on.iter().any(|v| *v == k.as_str())))
        .collect();
    notify::set_email_choices(&state.db, &s.actor, &choices).await?;
    Ok(Redirect::to(&format!("/{}/notifications?saved=1#settings", area(&s))).into_response())
}
