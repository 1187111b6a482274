//! The audit log and its verification (SPEC G5, policy §7.2.1), for admins.

use crate::auth::Api;
use crate::extract::Pairs;
use crate::{AppError, AppResult};
use axum::Json;
use liaison_core::Permission;
use serde_json::json;

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadAudit)?;
    let l = p.list(100)?;
    let before = match l.cursor.as_deref() {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| AppError::invalid("cursor", "is not a cursor this list gave out"))?,
        ),
        None => None,
    };
    let rows = liaison_db::audit::list(&state.db, None, before, l.limit).await?;
    let next = (rows.len() as i64 == l.limit)
        .then(|| rows.last().map(|r| r.seq.to_string()))
        .flatten();
    Ok(Json(json!({"items": rows, "next_cursor": next})))
}

pub async fn verify(Api(state, s): Api) -> AppResult<Json<liaison_db::audit::Verdict>> {
    s.require(Permission::ReadAudit)?;
    Ok(Json(liaison_db::audit::verify(&state.db).await?))
}
