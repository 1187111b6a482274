//! IM robots of partners and contacts (policy §2.1.2; SPEC B9): input parsed once at the edge
//! into a `NewRobot`, the same for the API and the console's forms.

use liaison_channels::robot::{RobotKind, redact_url, validate_url};
use liaison_core::validate::Msg;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RobotBody {
    pub kind: Option<String>,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub label: Option<String>,
    pub contact_id: Option<Uuid>,
}

/// Parses a robot at the edge: platform, URL rules, optional secret and label.
pub fn parse_robot(
    b: &RobotBody,
) -> Result<liaison_db::robot::NewRobot, liaison_core::FieldErrors> {
    let mut e = liaison_core::FieldErrors::new();
    let kind = match b.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => {
            e.add("kind", Msg::new("validate.robot_kind"));
            None
        }
        Some(k) => match RobotKind::parse(k) {
            Ok(k) => Some(k),
            Err(m) => {
                e.add("kind", m);
                None
            }
        },
    };
    let url = b.url.as_deref().map(str::trim).unwrap_or("").to_string();
    if url.is_empty() {
        e.add("url", Msg::new("validate.robot_url_required"));
    } else if let Err(m) = validate_url(&url) {
        e.add("url", m);
    }
    let secret = b
        .secret
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from);
    if secret.as_ref().is_some_and(|s| s.len() > 200) {
        e.add("secret", Msg::new("validate.max_chars").arg("max", 200));
    }
    if matches!(kind, Some(RobotKind::Webhook)) && secret.is_none() {
        e.add("secret", Msg::new("validate.webhook_secret"));
    }
    let label = b.label.as_deref().map(str::trim).unwrap_or("").to_string();
    if label.chars().count() > 60 {
        e.add("label", Msg::new("validate.max_chars").arg("max", 60));
    }
    match kind {
        Some(k) if e.is_empty() => Ok(liaison_db::robot::NewRobot {
            kind: k.as_str().to_string(),
            label: if label.is_empty() {
                k.as_str().to_string()
            } else {
                label
            },
            url_hint: redact_url(&url),
            url,
            secret,
            contact_id: b.contact_id,
        }),
        _ => Err(e),
    }
}
