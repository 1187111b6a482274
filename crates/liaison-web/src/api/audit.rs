//! The audit log and its verification (SPEC G5, policy §7.2.1), for admins.

use crate::AppResult;
use crate::auth::Api;
use crate::extract::Pairs;
use axum::Json;
use liaison_core::Permission;
use serde_json::json;

pub async fn list(Api(state, s): Api, p: Pairs) -> AppResult<Json<serde_json::Value>> {
    s.require(Permission::ReadAudit)?;
    let l = p.list(100)?;
    let rows = liaison_db::audit::list(&state.db, None, l.int_cursor()?, l.limit).await?;
    let next = l.next(&rows, |r| r.seq.to_string());
    Ok(Json(json!({"items": rows, "next_cursor": next})))
}

pub async fn verify(Api(state, s): Api) -> AppResult<Json<liaison_db::audit::Verdict>> {
    s.require(Permission::ReadAudit)?;
    Ok(Json(liaison_db::audit::verify(&state.db).await?))
}
