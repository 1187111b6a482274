//! Per-recipient marks on confidential copies, and the leak trace (policy §7.2.2, §7.3; SPEC
//! G6). A confidential message leaves the company only through the portal (§7.2.1), so every
//! copy a person reads there, by page or API, is written for them: `copy_for` marks the body
//! with the seed of their delivery (`liaison_core::marks`), and the portal page draws their
//! name, partner and the time over it. `trace` reads a leaked text back: it finds the
//! confidential messages the text is taken from, and scores every recipient copy of each.

use crate::{Error, Result};
use liaison_core::marks::{self, Seed};
use liaison_core::validate::Msg;
use liaison_core::{Actor, Object, Permission, Scope, authorize};
use liaison_db::Db;
use liaison_db::incidents::{self as repo, Recipient};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// Messages a trace compares a text with: the newest confidential and secret ones.
const MESSAGES_COMPARED: i64 = 2000;
/// The share of a text's letters a message must hold to be its source.
const SOURCE_OVERLAP: f64 = 0.6;
/// Candidates returned.
const SHOWN: usize = 20;
/// Marks a text needs before a trace can say anything.
const MIN_SLOTS: usize = 8;

/// A delivery's secret seed: a keyed hash of its id with the server's key, so no one without
/// the key can read or forge marks.
pub fn seed(db: &Db, delivery: Uuid) -> Result<Seed> {
    let cipher = db.cipher().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Seed::from_bytes(&cipher.mac("mark", delivery.as_bytes())))
}

/// Whether a message's content is marked: confidential and secret ones.
pub fn marked(classification: &str) -> bool {
    matches!(classification, "confidential" | "secret")
}

/// The body of a confidential message as the copy for one partner's person (their contact's
/// delivery; the partner's first when they have none). Other messages are returned as they are.
pub async fn copy_for(
    db: &Db,
    message: Uuid,
    classification: &str,
    partner: Uuid,
    contact: Option<Uuid>,
    body: String,
) -> Result<String> {
    if !marked(classification) || body.is_empty() {
        return Ok(body);
    }
    match repo::seed_delivery(db, message, partner, contact).await? {
        Some(d) => Ok(marks::mark(&body, seed(db, d)?)),
        None => Ok(body),
    }
}

/// The body of a confidential message as the copy of one delivery (what its recipient reads).
pub fn copy_of_delivery(db: &Db, delivery: Uuid, body: &str) -> Result<String> {
    Ok(marks::mark(body, seed(db, delivery)?))
}

/// A recipient copy the trace names.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub delivery_id: Uuid,
    pub partner_id: Uuid,
    pub contact_id: Uuid,
    /// 0 to 1: the share of the text's marks this copy explains (1 when its zero-width tag
    /// survived).
    pub score: f64,
    /// 0 to 1: how unlikely a copy that did not leak is to explain as much.
    pub confidence: f64,
    pub explained: u32,
    pub marks: u32,
    pub message_id: Uuid,
    pub message_title: String,
    pub partner_name: String,
    pub partner_code: String,
    pub contact_name: String,
}

/// A confidential message a text is taken from.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub message_id: Uuid,
    pub title: String,
    /// The share of the text's letters found in it.
    pub overlap: f64,
    pub recipients: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Trace {
    pub candidates: Vec<Candidate>,
    pub sources: Vec<Source>,
    /// Marks found in the text.
    pub marks: usize,
    /// The text kept a zero-width tag.
    pub tagged: bool,
}

/// §7.3: names the recipient copies a leaked text most likely came from, best first. The text
/// may be partial, re-spaced and stripped of zero-width characters.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn trace(db: &Db, actor: &Actor, text: &str) -> Result<Trace> {
    authorize(actor, Permission::TraceLeaks, &Object::default())?;
    if text.trim().is_empty() {
        return Err(Error::invalid("text", Msg::new("leak.text_required")));
    }
    let leak = marks::read(text);
    if leak.slots.len() < MIN_SLOTS && leak.tag.is_none() {
        return Err(Error::invalid(
            "text",
            Msg::new("leak.too_short")
                .arg("found", leak.slots.len() as i64)
                .arg("needed", MIN_SLOTS as i64),
        ));
    }
    let shingles = marks::shingles(text);
    let mut sources: Vec<(repo::SentText, f64)> =
        repo::confidential_messages(db, MESSAGES_COMPARED)
            .await?
            .into_iter()
            .filter_map(|m| {
                let o = marks::overlap(&shingles, &marks::shingles(&m.body));
                (o >= SOURCE_OVERLAP).then_some((m, o))
            })
            .collect();
    sources.sort_by(|a, b| b.1.total_cmp(&a.1));
    sources.truncate(3);
    let mut scored: Vec<(Recipient, marks::Fit, usize)> = Vec::new();
    let mut found_sources = Vec::new();
    for (i, (m, overlap)) in sources.iter().enumerate() {
        let recipients = repo::recipients(db, m.id).await?;
        found_sources.push(Source {
            message_id: m.id,
            title: m.title.clone(),
            overlap: *overlap,
            recipients: recipients.len(),
        });
        let cipher = db.cipher().map_err(|e| Error::Internal(e.to_string()))?;
        for r in recipients {
            let s = Seed::from_bytes(&cipher.mac("mark", r.delivery_id.as_bytes()));
            scored.push((r, marks::fit(&leak, s), i));
        }
    }
    let n = scored.len();
    scored.sort_by(|a, b| {
        b.1.score()
            .total_cmp(&a.1.score())
            .then(b.1.explained.cmp(&a.1.explained))
    });
    scored.truncate(SHOWN);
    let mut candidates = Vec::with_capacity(scored.len());
    for (r, fit, i) in scored {
        let p = liaison_db::partner::find_partner(db, Scope::All, r.partner_id).await?;
        let contact = liaison_db::partner::find_contact(db, Scope::All, r.partner_id, r.contact_id)
            .await
            .map(|c| c.name)
            .unwrap_or_default();
        candidates.push(Candidate {
            delivery_id: r.delivery_id,
            partner_id: r.partner_id,
            contact_id: r.contact_id,
            score: fit.score(),
            confidence: fit.confidence(n),
            explained: fit.explained,
            marks: fit.slots,
            message_id: found_sources[i].message_id,
            message_title: found_sources[i].title.clone(),
            partner_name: p.name,
            partner_code: p.code,
            contact_name: contact,
        });
    }
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry::new(
            Some(actor.user_id),
            "leak.traced",
            "leak",
            None,
            json!({"marks": leak.slots.len(), "sources": found_sources.len(),
                   "best": candidates.first().map(|c| c.delivery_id)}),
        ),
    )
    .await?;
    Ok(Trace {
        candidates,
        sources: found_sources,
        marks: leak.slots.len(),
        tagged: leak.tag.is_some(),
    })
}

/// The copy code a downloaded file of one delivery carries (`filemarks`): the delivery id and a
/// keyed check of it, so a code can be neither read into another delivery nor forged. A staff
/// copy's code names its reader the same way (`LU1`).
pub fn copy_code(db: &Db, delivery: Uuid) -> Result<String> {
    code(db, "LC1", delivery)
}

fn code(db: &Db, prefix: &str, id: Uuid) -> Result<String> {
    let cipher = db.cipher().map_err(|e| Error::Internal(e.to_string()))?;
    let mac = cipher.mac(&format!("filemark:{prefix}"), id.as_bytes());
    let check: String = mac[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}-{}-{check}", id.simple()))
}

/// The id a copy code of kind `prefix` names, when its check holds.
fn id_of_code(db: &Db, prefix: &str, text: &str) -> Result<Option<Uuid>> {
    let Some(id) = text
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.split('-').next())
        .and_then(|h| Uuid::try_parse(h).ok())
    else {
        return Ok(None);
    };
    Ok((code(db, prefix, id)? == text).then_some(id))
}

/// The file a person downloads: a confidential or secret request's PDF or image marked for
/// them (§7.3), everything else as stored. `delivery` is the partner user's delivery (whose copy
/// code the file carries); a staff copy (`None`) carries its reader's name and a code naming
/// them. A file that cannot be marked is served as it is, and the audit entry says why.
pub async fn file_copy(
    db: &Db,
    actor: &Actor,
    classification: &str,
    delivery: Option<Uuid>,
    a: &liaison_db::attachment::Attachment,
    bytes: Vec<u8>,
) -> Result<Vec<u8>> {
    let Some(kind) = crate::filemarks::Kind::of(&a.content_type) else {
        return Ok(bytes);
    };
    if !marked(classification) {
        return Ok(bytes);
    }
    let user = liaison_db::user::find_user(db, actor.user_id).await?;
    let email = user.as_ref().map(|u| u.email.clone()).unwrap_or_default();
    let who = match actor.scope().partner() {
        Some(pid) => {
            let p = liaison_db::partner::find_partner(db, Scope::All, pid).await?;
            format!("{} {email}", p.code)
        }
        None => format!("{email} (staff)"),
    };
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let lines = [format!("CONFIDENTIAL {who}"), format!("{now}")];
    let code = match delivery {
        Some(d) => copy_code(db, d)?,
        None => code(db, "LU1", actor.user_id)?,
    };
    let (out, detail) = match crate::filemarks::mark(kind, &bytes, &lines, &code) {
        Ok(out) => (
            out,
            json!({"attachment": a.id, "marked": true, "delivery": delivery}),
        ),
        Err(e) => {
            tracing::warn!(attachment = %a.id, error = %e, "confidential file served unmarked");
            (
                bytes,
                json!({"attachment": a.id, "marked": false, "unmarked_reason": e.to_string(),
                       "delivery": delivery}),
            )
        }
    };
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry::by(
            actor.user_id,
            "attachment.download",
            "request",
            a.request_id,
            detail,
        ),
    )
    .await?;
    Ok(out)
}

/// §7.3 from a leaked file: a marked PDF or image names its delivery by its copy code (score
/// 1); a text file is traced as pasted text.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn trace_file(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<Trace> {
    authorize(actor, Permission::TraceLeaks, &Object::default())?;
    if bytes.is_empty() {
        return Err(Error::invalid("file", Msg::new("validate.file_empty")));
    }
    if crate::filemarks::Kind::sniff(bytes).is_none() {
        let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
            .map_err(|_| Error::invalid("file", Msg::new("leak.file_unreadable")))?;
        return trace(db, actor, text).await;
    }
    let found = crate::filemarks::read_code(bytes).unwrap_or_default();
    let Some(delivery) = id_of_code(db, "LC1", &found)? else {
        // A staff member's copy: the answer names no delivery, the error names them.
        if let Some(user) = id_of_code(db, "LU1", &found)? {
            let email = liaison_db::user::find_user(db, user)
                .await?
                .map(|u| u.email)
                .unwrap_or_default();
            return Err(Error::invalid(
                "file",
                Msg::new("leak.file_staff_copy").arg("email", email),
            ));
        }
        return Err(Error::invalid("file", Msg::new("leak.file_unmarked")));
    };
    let d = liaison_db::delivery::find_delivery(db, delivery).await?;
    let p = liaison_db::partner::find_partner(db, Scope::All, d.partner_id).await?;
    let contact = liaison_db::partner::find_contact(db, Scope::All, d.partner_id, d.contact_id)
        .await
        .map(|c| c.name)
        .unwrap_or_default();
    let title = repo::message_title(db, d.message_id).await?;
    let candidate = Candidate {
        delivery_id: d.id,
        partner_id: d.partner_id,
        contact_id: d.contact_id,
        score: 1.0,
        confidence: 1.0,
        explained: 1,
        marks: 1,
        message_id: d.message_id,
        message_title: title.clone(),
        partner_name: p.name,
        partner_code: p.code,
        contact_name: contact,
    };
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry::new(
            Some(actor.user_id),
            "leak.traced",
            "leak",
            None,
            json!({"file": true, "best": d.id}),
        ),
    )
    .await?;
    Ok(Trace {
        candidates: vec![candidate],
        sources: vec![Source {
            message_id: d.message_id,
            title,
            overlap: 1.0,
            recipients: 1,
        }],
        marks: 1,
        tagged: true,
    })
}
