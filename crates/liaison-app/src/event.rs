//! Outbound event endpoints and background jobs (SPEC H3): input parsed once at the edge.

use crate::{Error, Result};
use liaison_channels::robot::{redact_url, validate_url};
use liaison_core::validate::Msg;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointBody {
    pub url: Option<String>,
    pub secret: Option<String>,
    pub events: Vec<String>,
}

/// Parses an event endpoint at the edge: an HTTPS URL (or http to loopback), a signing secret
/// of at least 16 characters, and the events it subscribes to (none means all).
pub fn parse_endpoint(
    body: &EndpointBody,
) -> Result<liaison_db::events::NewEndpoint, liaison_core::FieldErrors> {
    let mut e = liaison_core::FieldErrors::new();
    let url = body.url.as_deref().map(str::trim).unwrap_or("").to_string();
    if url.is_empty() {
        e.add("url", Msg::new("validate.endpoint_url_required"));
    } else if let Err(m) = validate_url(&url) {
        e.add("url", m);
    }
    let secret = body
        .secret
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if secret.len() < 16 {
        e.add("secret", Msg::new("validate.signing_secret"));
    }
    let events = match liaison_db::events::parse_events(&body.events) {
        Ok(v) => v,
        Err(fe) => {
            e.extend(fe);
            Vec::new()
        }
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok(liaison_db::events::NewEndpoint {
        url_hint: redact_url(&url),
        url,
        secret,
        events,
    })
}

/// The job states a list can be filtered by.
pub const JOB_STATES: &[&str] = &["queued", "failed", "done", "dead"];

/// A `state` filter for jobs: absent or empty is none.
pub fn parse_job_state(v: Option<&str>) -> Result<Option<&str>> {
    match v.filter(|v| !v.is_empty()) {
        Some(st) if !JOB_STATES.contains(&st) => {
            Err(Error::invalid("state", Msg::one_of(st, JOB_STATES)))
        }
        other => Ok(other),
    }
}
