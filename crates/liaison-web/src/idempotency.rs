//! `Idempotency-Key` for mutating API calls (DESIGN HTTP conventions, SPEC R2): the first
//! response to a key is stored for 24 hours and replayed for the same request; the same key with
//! a different request is a 422. Copies that arrive while the first is still running wait for
//! its answer ([`WAIT`]) and replay it, so any number of concurrent copies have one effect and
//! one answer; only a first request slower than that makes a copy a 409.

use crate::{AppError, AppState};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use liaison_db::idempotency::{self, Claim};
use sha2::Digest;

pub const HEADER: &str = "idempotency-key";

/// How long a copy waits for the first request with its key to finish.
pub const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Claims the key; while its first request is running, waits for that request's answer. A key
/// released meanwhile (the first request failed on our side) is claimed again.
async fn claim_or_wait(
    db: &liaison_db::Db,
    user: uuid::Uuid,
    key: &str,
    hash: &str,
) -> Result<Claim, liaison_db::DbError> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut pause = std::time::Duration::from_millis(10);
    let mut found = idempotency::claim(db, user, key, hash).await?;
    while found == Claim::InProgress && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_millis(200));
        found = match idempotency::peek(db, user, key, hash).await? {
            Some(c) => c,
            None => idempotency::claim(db, user, key, hash).await?,
        };
    }
    Ok(found)
}

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mutating = matches!(
        *req.method(),
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    );
    // Login answers carry a new token, which must never be stored in the clear.
    let path = req.uri().path();
    if !mutating || !path.starts_with("/api/v1/") || path.starts_with("/api/v1/auth/") {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().unwrap_or("\u{0}").to_string())
    else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return AppError::invalid(
            "Idempotency-Key",
            liaison_core::validate::Msg::new("validate.idempotency_key"),
        )
        .into_response();
    }
    let (parts, body) = req.into_parts();
    let session = match crate::auth::resolve(&state, &parts).await {
        Ok(Some(s)) => s,
        // Anonymous calls (login) and bad tokens go on to their handler, which answers.
        Ok(None) => return next.run(Request::from_parts(parts, body)).await,
        Err(e) => return e.into_response(),
    };
    // A business-data upload may be hundreds of megabytes: it is fingerprinted as it streams
    // to a temporary file, and handed on from there (issue 13). Others are read whole.
    let big = parts.uri.path() == "/api/v1/submissions";
    let (hash, body, _spooled) = if big {
        let mut h = sha2::Sha256::new();
        h.update(format!("{} {}\n", parts.method, parts.uri).as_bytes());
        let spooled = match crate::spool::spool_stream(
            body.into_data_stream(),
            state.config.max_data_bytes,
            Some(&mut h),
        )
        .await
        {
            Ok(s) => s,
            Err(e) => return e.into_response(),
        };
        let again = match spooled.body() {
            Ok(b) => b,
            Err(e) => return e.into_response(),
        };
        (hex::encode(h.finalize()), again, Some(spooled))
    } else {
        let bytes = match to_bytes(body, state.config.max_upload_bytes).await {
            Ok(b) => b,
            Err(_) => {
                return AppError::PayloadTooLarge("the request body is too large".into())
                    .into_response();
            }
        };
        let mut fingerprint = format!("{} {}\n", parts.method, parts.uri).into_bytes();
        fingerprint.extend_from_slice(&bytes);
        (
            liaison_db::sha256_hex(&fingerprint),
            Body::from(bytes),
            None,
        )
    };
    let user = session.user.id;
    match claim_or_wait(&state.db, user, &key, &hash).await {
        Err(e) => AppError::from(e).into_response(),
        Ok(Claim::Mismatch) => AppError::invalid(
            "Idempotency-Key",
            liaison_core::validate::Msg::new("validate.idempotency_reused"),
        )
        .into_response(),
        Ok(Claim::InProgress) => AppError::Conflict(
            "a request with this Idempotency-Key is still running after 30 s; retry later".into(),
        )
        .into_response(),
        Ok(Claim::Replay {
            status,
            content_type,
            body,
        }) => {
            let mut r =
                (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                r.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            r
        }
        Ok(Claim::Fresh) => {
            let resp = next.run(Request::from_parts(parts, body)).await;
            let (mut rparts, rbody) = resp.into_parts();
            let rbytes = match to_bytes(rbody, usize::MAX).await {
                Ok(b) => b,
                Err(e) => {
                    let _ = idempotency::release(&state.db, user, &key).await;
                    return AppError::Internal(format!("response body: {e}")).into_response();
                }
            };
            let ct = rparts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            // Answers that a retry may change (server errors, rate limits, conflicts) are not
            // kept: the key is released for the retry.
            let transient = rparts.status.is_server_error()
                || matches!(rparts.status.as_u16(), 408 | 409 | 425 | 429);
            let stored = if transient {
                idempotency::release(&state.db, user, &key).await
            } else {
                idempotency::complete(
                    &state.db,
                    user,
                    &key,
                    rparts.status.as_u16(),
                    ct.as_deref(),
                    &String::from_utf8_lossy(&rbytes),
                )
                .await
            };
            if let Err(e) = stored {
                tracing::error!(error = %e, "idempotency key not stored");
            }
            rparts
                .headers
                .insert("idempotent-replayed", HeaderValue::from_static("false"));
            Response::from_parts(rparts, Body::from(rbytes))
        }
    }
}
