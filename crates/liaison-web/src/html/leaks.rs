//! Confidentiality pages (policy §7.2.2, §7.3; issue 15): the leak trace (paste a leaked text
//! or upload it as a text file), leak incidents (report, contain, investigate, close, with
//! their timeline), access requests (ask, grant, refuse) and the access list of any classified item.

use super::{Page, PageForm, PageResult, ctx, mark_invalid, render};
use crate::AppState;
use crate::auth::Session;
use crate::extract::{Pairs, id};
use axum::Router;
use axum::extract::{Multipart, Path};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use liaison_app::{access, incidents, leaks};
use liaison_core::access::ItemKind;
use liaison_core::{Permission, Role};
use liaison_db::incidents::Suspect;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/leak-trace", get(trace_page).post(trace_post))
        .route("/console/incidents", get(list).post(create))
        .route("/console/incidents/new", get(new))
        .route("/console/incidents/{id}", get(show).post(update))
        .route("/console/incidents/{id}/contain", post(contain))
        .route("/console/access-requests", get(requests).post(ask))
        .route("/console/access-requests/{id}", post(decide))
        .route("/console/requests/{id}/access", post(set_request_list))
        .route("/console/access/{kind}/{id}", get(open_item).post(set_list))
}

async fn trace_page(Page(state, headers, s): Page) -> PageResult {
    s.require(Permission::TraceLeaks)?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "incident/trace.html",
        ctx! { nav => "incidents", text => "" },
    ))
}

/// A text file's words: UTF-8 (with or without its mark) or UTF-16 with its mark. Pictures,
/// PDFs and other binary files are not read (no text recognition here).
fn file_text(bytes: &[u8]) -> Option<String> {
    let utf16 = |b: &[u8], le: bool| {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).ok()
    };
    let text = match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    }?;
    // A binary file that happens to decode is mostly control characters.
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !c.is_whitespace())
        .count();
    (controls * 20 <= text.chars().count()).then_some(text)
}

/// Text without control characters other than line breaks and tabs (a pasted leak may carry
/// anything; what is kept is what a person reads).
fn readable(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

/// Traces a pasted text, or a text file (a copy saved from a chat or a document).
async fn trace_post(Page(state, headers, s): Page, mp: Multipart) -> PageResult {
    s.require(Permission::TraceLeaks)?;
    let (form, files) = super::multipart_form(&s, mp, "file").await?;
    let mut text = form.get("text").unwrap_or("").to_string();
    let mut errors = liaison_core::FieldErrors::new();
    // A marked PDF or picture names its delivery by the copy code it carries (§7.3).
    if let Some(f) = files
        .iter()
        .find(|f| liaison_app::filemarks::Kind::sniff(&f.bytes).is_some())
    {
        let result = leaks::trace_file(&state.db, &s.actor, &f.bytes).await;
        return trace_result(&state, &headers, &s, text, result);
    }
    for f in files {
        match file_text(&f.bytes) {
            Some(t) => {
                if !text.trim().is_empty() {
                    text.push('\n');
                }
                text.push_str(&t);
            }
            None => errors.add(
                "file",
                liaison_core::validate::Msg::new("leak.file_not_text").arg("name", &f.filename),
            ),
        }
    }
    let text = readable(&text);
    let result = if errors.is_empty() {
        leaks::trace(&state.db, &s.actor, &text).await
    } else {
        Err(liaison_app::Error::Invalid(errors))
    };
    trace_result(&state, &headers, &s, text, result)
}

/// The trace page with a trace's result, or the reason there is none.
fn trace_result(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &Session,
    text: String,
    result: liaison_app::Result<leaks::Trace>,
) -> PageResult {
    let (trace, errors) = match result {
        Ok(t) => (Some(t), None),
        Err(liaison_app::Error::Invalid(e)) => (None, Some(e)),
        Err(e) => return Err(e.into()),
    };
    let suspects: Vec<String> = trace
        .as_ref()
        .map(|t| {
            t.candidates
                .iter()
                .take(5)
                .filter(|c| c.score >= 0.6)
                .map(|c| {
                    format!(
                        "{}|{}|{}|{:.3}",
                        c.delivery_id, c.partner_id, c.contact_id, c.score
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut resp = render(
        state,
        headers,
        Some(s),
        "incident/trace.html",
        ctx! {
            nav => "incidents",
            text => text,
            trace => trace,
            suspects => suspects,
            errors => super::form_errors(errors.as_ref()),
        },
    );
    mark_invalid(&mut resp, errors.is_some());
    Ok(resp)
}

async fn list(Page(state, headers, s): Page) -> PageResult {
    s.require(Permission::ReportIncidents)?;
    let items = incidents::list(&state.db, &s.actor).await?;
    let handles = incidents::may_handle(&state.db, &s.actor).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "incident/list.html",
        ctx! {
            nav => "incidents",
            items => items,
            handles => handles,
            can_trace => s.actor.can(Permission::TraceLeaks),
        },
    ))
}

async fn new(Page(state, headers, s): Page) -> PageResult {
    s.require(Permission::ReportIncidents)?;
    form_page(&state, &headers, &s, &Pairs(Vec::new()), None)
}

fn form_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    f: &Pairs,
    errors: Option<&liaison_core::FieldErrors>,
) -> PageResult {
    let mut resp = render(
        state,
        headers,
        Some(s),
        "incident/new.html",
        ctx! {
            nav => "incidents",
            title => f.get("title").unwrap_or(""),
            severity => f.get("severity").unwrap_or("high"),
            description => f.get("description").unwrap_or(""),
            leaked_text => f.get("leaked_text").unwrap_or(""),
            message_id => f.get("message_id").unwrap_or(""),
            suspects => f.0.iter().filter(|(k, _)| k == "suspect").map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            errors => super::form_errors(errors),
        },
    );
    mark_invalid(&mut resp, errors.is_some());
    Ok(resp)
}

/// `delivery|partner|contact|score`, as the trace page writes a suspect.
fn suspect(v: &str) -> Option<Suspect> {
    let mut it = v.split('|');
    Some(Suspect {
        delivery_id: Uuid::parse_str(it.next()?).ok()?,
        partner_id: Uuid::parse_str(it.next()?).ok()?,
        contact_id: Uuid::parse_str(it.next()?).ok()?,
        score: it.next()?.parse::<f64>().ok()?.clamp(0.0, 1.0),
    })
}

/// Reports a leak (by hand, or from the trace with its suspects), then shows it.
async fn create(PageForm(state, headers, s, f): PageForm) -> PageResult {
    s.require(Permission::ReportIncidents)?;
    let report = incidents::Report {
        title: f.get("title").unwrap_or("").to_string(),
        severity: f.get("severity").map(str::to_string),
        message_id: f.get("message_id").and_then(|m| Uuid::parse_str(m).ok()),
        description: f.get("description").unwrap_or("").to_string(),
        leaked_text: f.get("leaked_text").unwrap_or("").to_string(),
        suspects: f
            .0
            .iter()
            .filter(|(k, _)| k == "suspect")
            .filter_map(|(_, v)| suspect(v))
            .collect(),
    };
    match incidents::report(&state.db, &s.actor, &report).await {
        Ok(i) => Ok(Redirect::to(&format!("/console/incidents/{}", i.id)).into_response()),
        Err(liaison_app::Error::Invalid(e)) => form_page(&state, &headers, &s, &f, Some(&e)),
        Err(e) => Err(e.into()),
    }
}

async fn show_page(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    s: &crate::auth::Session,
    iid: Uuid,
    f: Option<&Pairs>,
    errors: Option<&liaison_core::FieldErrors>,
) -> PageResult {
    let (i, events) = incidents::show(&state.db, &s.actor, iid).await?;
    let handles = incidents::may_handle(&state.db, &s.actor).await?;
    let mut suspects = Vec::new();
    for x in &i.suspects {
        let partner =
            liaison_db::partner::find_partner(&state.db, liaison_core::Scope::All, x.partner_id)
                .await
                .map(|p| format!("{} {}", p.code, p.name))
                .unwrap_or_default();
        let contact = liaison_db::partner::find_contact(
            &state.db,
            liaison_core::Scope::All,
            x.partner_id,
            x.contact_id,
        )
        .await
        .map(|c| c.name)
        .unwrap_or_default();
        suspects.push(ctx! { s => x, partner => partner, contact => contact });
    }
    let ndas = if handles {
        liaison_app::nda::list(&state.db, &s.actor, None)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let pick = |k: &str, old: &str| {
        f.and_then(|f| f.get(k))
            .map(str::to_string)
            .unwrap_or_else(|| old.to_string())
    };
    let mut resp = render(
        state,
        headers,
        Some(s),
        "incident/show.html",
        ctx! {
            nav => "incidents",
            i => i,
            events => events,
            suspects => suspects,
            handles => handles,
            ndas => ndas,
            cause => pick("cause", &i.cause),
            responsible => pick("responsible", &i.responsible),
            actions => pick("actions", &i.actions),
            next_states => liaison_core::incidents::IncidentState::ALL
                .iter()
                .filter(|n| i.state.may_become(**n))
                .map(|n| n.as_str())
                .collect::<Vec<_>>(),
            errors => super::form_errors(errors),
        },
    );
    mark_invalid(&mut resp, errors.is_some());
    Ok(resp)
}

async fn show(Page(state, headers, s): Page, Path(iid): Path<String>) -> PageResult {
    show_page(&state, &headers, &s, id(&iid)?, None, None).await
}

async fn update(Path(iid): Path<String>, PageForm(state, headers, s, f): PageForm) -> PageResult {
    let iid: Uuid = id(&iid)?;
    let patch = incidents::Patch {
        cause: f.get("cause").map(str::to_string),
        responsible: f.get("responsible").map(str::to_string),
        nda_id: f.get("nda_id").and_then(|n| Uuid::parse_str(n).ok()),
        actions: f.get("actions").map(str::to_string),
        state: f.get("state").map(str::to_string),
        note: f.get("note").map(str::to_string),
    };
    match incidents::update(&state.db, &s.actor, iid, &patch).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/incidents/{iid}")).into_response()),
        Err(liaison_app::Error::Invalid(e)) => {
            show_page(&state, &headers, &s, iid, Some(&f), Some(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn contain(Path(iid): Path<String>, PageForm(state, _h, s, _f): PageForm) -> PageResult {
    let iid: Uuid = id(&iid)?;
    incidents::contain(&state.db, &s.actor, iid).await?;
    Ok(Redirect::to(&format!("/console/incidents/{iid}?contained=1")).into_response())
}

async fn requests(Page(state, headers, s): Page) -> PageResult {
    let items = access::list(&state.db, &s.actor).await?;
    let me = s.user.id;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "incident/access_requests.html",
        ctx! {
            nav => "access_requests",
            mine => items.iter().filter(|r| r.user_id == me).collect::<Vec<_>>(),
            to_decide => items.iter().filter(|r| r.owner_id == me).collect::<Vec<_>>(),
        },
    ))
}

/// An item's kind in a path or form: an unknown one names nothing (404).
fn kind(k: &str) -> Result<ItemKind, crate::AppError> {
    ItemKind::parse(k).map_err(|_| liaison_app::Error::NotFound.into())
}

/// The page after asking or saving: the item's, with `flag` set.
async fn back_to(
    state: &AppState,
    s: &Session,
    kind: ItemKind,
    item: Uuid,
    flag: &str,
) -> PageResult {
    let link = access::link(&state.db, &s.actor, kind, item).await?;
    let sep = if link.contains('?') { '&' } else { '?' };
    Ok(Redirect::to(&format!("{link}{sep}{flag}=1")).into_response())
}

/// Asks for access to a confidential item one sees the title of; back to it.
async fn ask(PageForm(state, _h, s, f): PageForm) -> PageResult {
    let item: Uuid = id(f.get("item_id").unwrap_or(""))?;
    let kind = kind(f.get("item_kind").unwrap_or("request"))?;
    access::ask(
        &state.db,
        &s.actor,
        kind,
        item,
        f.get("reason").unwrap_or(""),
    )
    .await?;
    back_to(&state, &s, kind, item, "asked").await
}

/// `/console/access/{kind}/{id}`: the item's own page (links in access requests and their
/// notifications name items this way).
async fn open_item(Path((k, iid)): Path<(String, String)>, Page(state, _h, s): Page) -> PageResult {
    let link = access::link(&state.db, &s.actor, kind(&k)?, id(&iid)?).await?;
    Ok(Redirect::to(&link).into_response())
}

async fn decide(Path(rid): Path<String>, PageForm(state, _h, s, f): PageForm) -> PageResult {
    let grant = f.get("decision") == Some("grant");
    access::decide(
        &state.db,
        &s.actor,
        id(&rid)?,
        grant,
        f.get("note").unwrap_or(""),
    )
    .await?;
    Ok(Redirect::to("/console/access-requests").into_response())
}

async fn set_request_list(Path(rid): Path<String>, form: PageForm) -> PageResult {
    save_list(ItemKind::Request, id(&rid)?, form).await
}

async fn set_list(Path((k, iid)): Path<(String, String)>, form: PageForm) -> PageResult {
    save_list(kind(&k)?, id(&iid)?, form).await
}

/// The owners' access list: staff chosen by e-mail (one per line or comma) and roles.
async fn save_list(kind: ItemKind, item: Uuid, PageForm(state, _h, s, f): PageForm) -> PageResult {
    let mut users = Vec::new();
    let mut e = liaison_core::FieldErrors::new();
    for email in f
        .get("emails")
        .unwrap_or("")
        .split([',', '，', '\n', ' ', ';', '；'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
    {
        match liaison_db::user::find_user_by_email(&state.db, email).await? {
            Some(u) => users.push(u.id),
            None => e.add(
                "emails",
                liaison_core::validate::Msg::new("access.no_user").arg("value", email),
            ),
        }
    }
    let roles: Vec<Role> = f
        .all("roles")
        .iter()
        .filter_map(|r| Role::parse(r).ok())
        .collect();
    if !e.is_empty() {
        return Err(liaison_app::Error::Invalid(e).into());
    }
    access::set_list(&state.db, &s.actor, kind, item, &users, &roles).await?;
    back_to(&state, &s, kind, item, "access_saved").await
}
