//! Everyone told what waits for them (issue 9): the caller's notifications (titles in the
//! request's language), read marks, e-mail choices, and the home page's items.

use crate::AppResult;
use crate::auth::{Api, ApiLang};
use crate::extract::{ApiJson, Pairs, id};
use axum::Json;
use axum::extract::Path;
use liaison_app::{home, notify as app};
use liaison_core::notify::NotifyKind;
use liaison_core::partner::Lang;
use liaison_db::notify::Notification;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn view(n: &Notification, lang: Lang) -> app::View {
    app::View::of(n, lang)
}

/// `GET /api/v1/notifications`: newest first; `unread=true` for the unread only.
pub async fn list(Api(state, s): Api, ApiLang(lang): ApiLang, p: Pairs) -> AppResult<Json<Value>> {
    let l = p.list(50)?;
    let unread = p.get("unread") == Some("true");
    let items = app::list(&state.db, &s.actor, unread, l.id_cursor()?, l.limit).await?;
    let next = l.next(&items, |n| n.id.to_string());
    let unread_count = app::unread_count(&state.db, &s.actor).await?;
    Ok(Json(json!({
        "items": items.iter().map(|n| view(n, lang)).collect::<Vec<_>>(),
        "next_cursor": next,
        "unread": unread_count,
    })))
}

/// `POST /api/v1/notifications/{id}/read`.
pub async fn read(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
    Path(nid): Path<String>,
) -> AppResult<Json<app::View>> {
    let n = app::mark_read(&state.db, &s.actor, id(&nid)?).await?;
    Ok(Json(view(&n, lang)))
}

/// `POST /api/v1/notifications/read`: every unread one.
pub async fn read_all(Api(state, s): Api) -> AppResult<Json<Value>> {
    let n = app::mark_all_read(&state.db, &s.actor).await?;
    Ok(Json(json!({"marked": n})))
}

/// `GET /api/v1/notifications/settings`: per kind, whether it also comes by e-mail.
pub async fn settings(Api(state, s): Api) -> AppResult<Json<Value>> {
    let choices = app::email_choices(&state.db, &s.actor).await?;
    let email: BTreeMap<&str, bool> = choices.iter().map(|(k, e)| (k.as_str(), *e)).collect();
    Ok(Json(json!({"email": email})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// Kind → whether it also comes by e-mail.
    pub email: BTreeMap<String, bool>,
}

/// `PUT /api/v1/notifications/settings`.
pub async fn set_settings(
    Api(state, s): Api,
    ApiJson(body): ApiJson<NotificationSettings>,
) -> AppResult<Json<Value>> {
    let mut choices = Vec::with_capacity(body.email.len());
    for (k, e) in &body.email {
        let kind =
            NotifyKind::parse(k).map_err(|m| crate::AppError::invalid(&format!("email.{k}"), m))?;
        choices.push((kind, *e));
    }
    app::set_email_choices(&state.db, &s.actor, &choices).await?;
    settings(Api(state, s)).await
}

/// `GET /api/v1/dashboard`: the caller's home items.
pub async fn dashboard(
    Api(state, s): Api,
    ApiLang(lang): ApiLang,
) -> AppResult<Json<home::Dashboard>> {
    Ok(Json(home::dashboard(&state.db, &s.actor, lang).await?))
}
