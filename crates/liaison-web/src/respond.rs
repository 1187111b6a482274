//! Responses shared by the API and the pages: downloads of exports and stored files, and
//! `201 Created` with its `Location`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use liaison_app::import::Export;

pub fn download(e: Export) -> Response {
    let mut r = e.bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(e.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", e.filename)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

pub fn created_at(location: String, body: serde_json::Value) -> Response {
    let mut r = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A stored file as a download.
pub fn file_response(a: liaison_db::attachment::Attachment, bytes: Vec<u8>) -> Response {
    named_file(&a.filename, &a.content_type, bytes)
}

/// A stored file as a download under its own name (UTF-8 names encoded per RFC 6266).
pub fn named_file(filename: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let encoded =
        percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC);
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The address people reach Liaison at, as this request was addressed (`https` behind a
/// proxy that says so, or when cookies are secure).
pub fn public_base(state: &crate::AppState, headers: &axum::http::HeaderMap) -> String {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = match header("x-forwarded-proto") {
        Some("https") => "https",
        Some("http") => "http",
        _ if state.config.secure_cookies => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// A private calendar feed's addresses: `(https://…/calendar/TOKEN.ics, webcal://…)`.
pub fn feed_addresses(
    state: &crate::AppState,
    headers: &axum::http::HeaderMap,
    token: &str,
) -> (String, String) {
    let https = format!("{}/calendar/{token}.ics", public_base(state, headers));
    let webcal = format!(
        "webcal://{}",
        https
            .trim_start_matches("https://")
            .trim_start_matches("http://")
    );
    (https, webcal)
}
