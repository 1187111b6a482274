//! A partner's IM robots (policy §2.1.2; SPEC B9): the forms on the partner page. Input is
//! parsed by `liaison_app::robot`, as for the JSON API, so a form and an API call agree.

use super::PageForm;
use super::PageResult;
use super::partner::{PartnerForms, Retyped, partner_page};
use crate::AppState;
use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use liaison_app::robot::{RobotBody, parse_robot};
use liaison_core::validate::Msg;
use liaison_core::{FieldErrors, Permission};
use liaison_db::DbError;
use serde::Serialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/partners/{id}/robots", post(add_robot))
        .route(
            "/console/partners/{id}/robots/{rid}/delete",
            post(delete_robot),
        )
}

/// The robot form as typed, shown again with its errors. The secret is never echoed.
#[derive(Debug, Default, Serialize)]
pub(super) struct RobotForm {
    kind: String,
    url: String,
    label: String,
    /// `group` or a contact id.
    contact: String,
}

async fn add_robot(Path(id): Path<String>, PageForm(state, headers, s, p): PageForm) -> PageResult {
    let id = crate::extract::id(&id)?;
    let partner = liaison_db::partner::find_partner(&state.db, s.actor.scope(), id).await?;
    s.require(Permission::WritePartners)?;
    let typed = RobotForm {
        kind: p.text("kind"),
        url: p.text("url"),
        label: p.text("label"),
        contact: p.text("contact"),
    };
    let mut errors = FieldErrors::new();
    let contact_id = match typed.contact.as_str() {
        "" | "group" => None,
        c => match Uuid::parse_str(c) {
            Ok(c) => Some(c),
            Err(_) => {
                errors.add("contact_id", Msg::new("validate.robot_contact"));
                None
            }
        },
    };
    let body = RobotBody {
        kind: Some(typed.kind.clone()),
        url: Some(typed.url.clone()),
        secret: p.get("secret").map(str::to_string),
        label: Some(typed.label.clone()),
        contact_id,
    };
    let saved = match parse_robot(&body) {
        Ok(new) if errors.is_empty() => {
            liaison_db::robot::insert_robot(&state.db, s.user.id, id, &new).await
        }
        Ok(_) => Err(DbError::Invalid(errors)),
        Err(mut e) => {
            e.0.extend(errors.0);
            Err(DbError::Invalid(e))
        }
    };
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/console/partners/{id}#robots")).into_response()),
        Err(DbError::Invalid(e)) => {
            let forms = PartnerForms {
                robot: Some(Retyped {
                    input: &typed,
                    errors: &e,
                }),
                ..Default::default()
            };
            partner_page(&state, &headers, &s, &partner, forms).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete_robot(
    Path((id, rid)): Path<(String, String)>,
    PageForm(state, _, s, _): PageForm,
) -> PageResult {
    let (id, rid) = (crate::extract::id(&id)?, crate::extract::id(&rid)?);
    liaison_db::partner::find_partner(&state.db, s.actor.scope(), id).await?;
    s.require(Permission::WritePartners)?;
    liaison_db::robot::delete_robot(&state.db, s.user.id, id, rid).await?;
    Ok(Redirect::to(&format!("/console/partners/{id}#robots")).into_response())
}
