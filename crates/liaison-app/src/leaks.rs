//! Per-recipient marks on confidential copies, and the leak trace (policy §7.2.2, §7.3; SPEC
//! G6). A confidential message leaves the company only through the portal (§7.2.1), so every
//! copy a person reads there, by page or API, is written for them: `inbox::open` marks the body
//! with the seed of their delivery (`liaison_core::marks`), and the portal page draws their
//! name, partner, the time and the copy's `screen_code` over it. `trace` reads a leaked text
//! back: it finds the confidential messages the text is taken from, and scores every recipient
//! copy of each. `trace_file` reads a downloaded file's copy code, or a photo of the screen's
//! printed one (through text recognition).

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
/// A photo's text matching no message: the copies of the newest this many confidential
/// messages are compared with the codes it shows.
const PHOTO_FALLBACK: i64 = 20;
/// Crockford's base32 letters: no I, L, O or U, which people and text recognition confuse.
const CODE_LETTERS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Letters of a screen code.
const SCREEN_CODE_LEN: usize = 10;
/// Letters a screen code read from a photo may have wrong and still name its copy (a
/// random code is within 2 of a given one once in 2.5 million).
const SCREEN_CODE_SLACK: usize = 2;
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
    let sources = sources_of(db, text).await?;
    let (found_sources, mut scored) = score_copies(db, &sources, |mac| {
        Some(marks::fit(&leak, Seed::from_bytes(&mac("mark"))))
    })
    .await?;
    let n = scored.len();
    scored.sort_by(|a, b| {
        b.1.score()
            .total_cmp(&a.1.score())
            .then(b.1.explained.cmp(&a.1.explained))
    });
    scored.truncate(SHOWN);
    let mut candidates = Vec::with_capacity(scored.len());
    for (r, fit, i) in scored {
        let (score, confidence) = (fit.score(), fit.confidence(n));
        let marks = (fit.explained, fit.slots);
        candidates.push(candidate(db, &r, score, confidence, marks, &found_sources[i]).await?);
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

/// The confidential messages a text is taken from (at most three, the most of it first).
async fn sources_of(db: &Db, text: &str) -> Result<Vec<(repo::SentText, f64)>> {
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
    Ok(sources)
}

/// Every recipient copy of the `sources` scored by `score`, which is given the copy's keyed
/// hash for a purpose (`"mark"`: its marks' seed; `"screen"`: its printed number) and keeps
/// the copy by answering `Some`; with each source as the answer shows it. The copies keep the
/// index of their source.
async fn score_copies<T>(
    db: &Db,
    sources: &[(repo::SentText, f64)],
    mut score: impl FnMut(&dyn Fn(&str) -> [u8; 32]) -> Option<T>,
) -> Result<(Vec<Source>, Vec<(Recipient, T, usize)>)> {
    let cipher = db.cipher().map_err(|e| Error::Internal(e.to_string()))?;
    let mut found_sources = Vec::with_capacity(sources.len());
    let mut scored = Vec::new();
    for (i, (m, overlap)) in sources.iter().enumerate() {
        let recipients = repo::recipients(db, m.id).await?;
        found_sources.push(Source {
            message_id: m.id,
            title: m.title.clone(),
            overlap: *overlap,
            recipients: recipients.len(),
        });
        for r in recipients {
            let mac = |purpose: &str| cipher.mac(purpose, r.delivery_id.as_bytes());
            if let Some(t) = score(&mac) {
                scored.push((r, t, i));
            }
        }
    }
    Ok((found_sources, scored))
}

/// A recipient copy as the trace names it, with its partner's and contact's names.
async fn candidate(
    db: &Db,
    r: &Recipient,
    score: f64,
    confidence: f64,
    (explained, marks): (u32, u32),
    source: &Source,
) -> Result<Candidate> {
    let p = liaison_db::partner::find_partner(db, Scope::All, r.partner_id).await?;
    let contact = liaison_db::partner::find_contact(db, Scope::All, r.partner_id, r.contact_id)
        .await
        .map(|c| c.name)
        .unwrap_or_default();
    Ok(Candidate {
        delivery_id: r.delivery_id,
        partner_id: r.partner_id,
        contact_id: r.contact_id,
        score,
        confidence,
        explained,
        marks,
        message_id: source.message_id,
        message_title: source.title.clone(),
        partner_name: p.name,
        partner_code: p.code,
        contact_name: contact,
    })
}

/// The copy code printed on a confidential message's portal page, under its text and in its
/// watermark (§7.3): ten letters of a keyed hash of the delivery, in Crockford's alphabet, so
/// a person can read it out and text recognition can read it from a photo of the screen.
pub fn screen_code(db: &Db, delivery: Uuid) -> Result<String> {
    let cipher = db.cipher().map_err(|e| Error::Internal(e.to_string()))?;
    let letters = screen_letters(&cipher.mac("screen", delivery.as_bytes()));
    let (a, b) = letters.split_at(SCREEN_CODE_LEN / 2);
    Ok(format!(
        "{}-{}",
        String::from_utf8_lossy(a),
        String::from_utf8_lossy(b)
    ))
}

/// The code's letters: 5 bits each from the front of `mac`.
fn screen_letters(mac: &[u8; 32]) -> [u8; SCREEN_CODE_LEN] {
    let mut bits = u64::from_be_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], mac[6], 0]);
    let mut out = [0u8; SCREEN_CODE_LEN];
    for o in &mut out {
        *o = CODE_LETTERS[(bits >> 59) as usize];
        bits <<= 5;
    }
    out
}

/// A letter text recognition read as something else (`]` for a J, `§` for an S): it matches no
/// letter of a code, and costs one misread letter.
const UNREAD: u8 = b'?';

/// The screen codes a recognised text may hold: runs of ten code letters, a hyphen or spaces
/// inside allowed, read as Crockford's alphabet reads them (O as 0, I and L as 1, U as V), with
/// one letter read twice or not at all (each such reading is tried without it, or with an
/// unread letter in its place). Other ASCII marks inside a run stand for an unread letter.
fn codes_in(text: &str) -> Vec<[u8; SCREEN_CODE_LEN]> {
    let tokens: Vec<Vec<u8>> = text
        .split(|c: char| !c.is_ascii_graphic())
        .map(|t| {
            t.chars()
                .filter_map(|c| match c.to_ascii_uppercase() {
                    'O' => Some(b'0'),
                    'I' | 'L' | '|' => Some(b'1'),
                    'U' => Some(b'V'),
                    '-' => None,
                    c if c.is_ascii_alphanumeric() => Some(c as u8),
                    _ => Some(UNREAD),
                })
                .collect()
        })
        .filter(|t: &Vec<u8>| !t.is_empty())
        .collect();
    let mut codes = Vec::new();
    let mut push = |t: &[u8]| match t.len() {
        SCREEN_CODE_LEN => codes.extend(<[u8; SCREEN_CODE_LEN]>::try_from(t).ok()),
        // A letter read twice: each one left out in turn.
        n if n == SCREEN_CODE_LEN + 1 => {
            for skip in 0..n {
                let v: Vec<u8> = (0..n).filter(|i| *i != skip).map(|i| t[i]).collect();
                codes.extend(<[u8; SCREEN_CODE_LEN]>::try_from(v.as_slice()).ok());
            }
        }
        // A letter not read: an unread one put in each place in turn.
        n if n + 1 == SCREEN_CODE_LEN => {
            for at in 0..=n {
                let v: Vec<u8> = t[..at]
                    .iter()
                    .copied()
                    .chain(std::iter::once(UNREAD))
                    .chain(t[at..].iter().copied())
                    .collect();
                codes.extend(<[u8; SCREEN_CODE_LEN]>::try_from(v.as_slice()).ok());
            }
        }
        _ => {}
    };
    for (i, t) in tokens.iter().enumerate() {
        push(t);
        if let Some(next) = tokens.get(i + 1) {
            push(&[t.as_slice(), next.as_slice()].concat());
            if let Some(third) = tokens.get(i + 2) {
                push(&[t.as_slice(), next.as_slice(), third.as_slice()].concat());
            }
        }
    }
    codes.sort_unstable();
    codes.dedup();
    codes
}

/// Letters two codes differ in.
fn distance(a: &[u8; SCREEN_CODE_LEN], b: &[u8; SCREEN_CODE_LEN]) -> usize {
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

/// The text of a picture, read by the `tesseract` program (Debian's `tesseract-ocr` with the
/// simplified Chinese data; `scripts/install-deps` installs both; `LIAISON_OCR` names another
/// program taking the same arguments). The picture goes through a pipe: a leaked confidential
/// picture is never written to disk. `None`: no such program.
async fn recognise(bytes: Vec<u8>) -> Result<Option<String>> {
    let program = std::env::var("LIAISON_OCR").unwrap_or_else(|_| "tesseract".into());
    tokio::task::spawn_blocking(move || -> Result<Option<String>> {
        use std::io::{Read, Write};
        use std::process::{Command, Stdio};
        let child = Command::new(&program)
            .args(["stdin", "stdout", "-l", "chi_sim+eng"])
            // One thread: its OpenMP threads spin-wait, which on a busy server costs more than
            // it saves.
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::Internal(format!("{program}: {e}"))),
        };
        let mut stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(mut i) = stdin.take() {
                // A program that stops reading early has said what it could.
                let _ = i.write_all(&bytes);
            }
        });
        let mut stdout = child.stdout.take();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(o) = stdout.as_mut() {
                let _ = o.read_to_string(&mut text);
            }
            text
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(Error::Internal(format!("{program} took over 60 s")));
                }
                Err(e) => return Err(Error::Internal(format!("{program}: {e}"))),
            }
        };
        let _ = writer.join();
        let text = reader.join().unwrap_or_default();
        if !status.success() {
            return Err(Error::invalid("file", Msg::new("leak.file_unreadable")));
        }
        Ok(Some(text))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// §7.3 from a photo or screenshot of a confidential page: its text is recognised, the
/// messages it shows are found as `trace` finds them (else the newest confidential ones are
/// compared), and the copies whose screen code it shows, within two letters, are named (score
/// 1 for an exact reading, 0.1 less a letter).
async fn trace_photo(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<Trace> {
    let Some(text) = recognise(bytes.to_vec()).await? else {
        return Err(Error::invalid("file", Msg::new("leak.photo_no_ocr")));
    };
    let codes = codes_in(&text);
    let mut sources = sources_of(db, &text).await?;
    if codes.is_empty() {
        return Err(Error::invalid(
            "file",
            match sources.first() {
                Some((m, _)) => Msg::new("leak.photo_no_code").arg("title", m.title.clone()),
                None => Msg::new("leak.file_unmarked"),
            },
        ));
    }
    if sources.is_empty() {
        sources = repo::confidential_messages(db, PHOTO_FALLBACK)
            .await?
            .into_iter()
            .map(|m| (m, 0.0))
            .collect();
    }
    let (found_sources, mut found) = score_copies(db, &sources, |mac| {
        let own = screen_letters(&mac("screen"));
        codes
            .iter()
            .map(|c| distance(c, &own))
            .min()
            .filter(|d| *d <= SCREEN_CODE_SLACK)
    })
    .await?;
    found.sort_by_key(|f| f.1);
    found.truncate(SHOWN);
    let mut candidates = Vec::with_capacity(found.len());
    for (r, d, i) in found {
        let score = 1.0 - d as f64 / SCREEN_CODE_LEN as f64;
        candidates.push(candidate(db, &r, score, score, (1, 1), &found_sources[i]).await?);
    }
    if candidates.is_empty() {
        return Err(Error::invalid("file", Msg::new("leak.photo_unmatched")));
    }
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry::new(
            Some(actor.user_id),
            "leak.traced",
            "leak",
            None,
            json!({"photo": true, "codes": codes.len(), "best": candidates.first().map(|c| c.delivery_id)}),
        ),
    )
    .await?;
    Ok(Trace {
        candidates,
        sources: found_sources,
        marks: 1,
        tagged: false,
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
/// 1); a picture without one is read as a photo of a marked page (`trace_photo`); a text file
/// is traced as pasted text.
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
    let kind = crate::filemarks::Kind::sniff(bytes);
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
        // A picture without a code of its own may be a photo of a marked page.
        if matches!(
            kind,
            Some(crate::filemarks::Kind::Png | crate::filemarks::Kind::Jpeg)
        ) {
            return trace_photo(db, actor, bytes).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_codes_are_read_back_from_recognised_text_with_its_usual_misreadings() {
        let mut mac = [0u8; 32];
        mac[..7].copy_from_slice(&[0x9c, 0x41, 0x07, 0xf3, 0x22, 0xa8, 0x5e]);
        let code = screen_letters(&mac);
        assert!(code.iter().all(|c| CODE_LETTERS.contains(c)));
        let shown = String::from_utf8_lossy(&code).to_string();
        let (a, b) = shown.split_at(5);
        // As printed, split by a line break or a space, in lower case, with a 0 read as O and
        // a 1 as l: each is the same code.
        for text in [
            format!("副本编号 {a}-{b}"),
            format!("Copy No.\n{a} - {b}\n"),
            format!("{}{}", a.to_lowercase(), b),
            format!("x {a}{b} y").replace('0', "O").replace('1', "l"),
        ] {
            let found = codes_in(&text);
            assert!(
                found.iter().any(|c| distance(c, &code) == 0),
                "{text:?} → {found:?}"
            );
        }
        // As a run of text recognition read it: a J as `]`, and one letter read twice.
        let mut misread = shown.clone();
        misread.replace_range(4..5, "]");
        misread.insert(7, ']');
        let found = codes_in(&format!("(un {misread}"));
        assert!(
            found.iter().any(|c| distance(c, &code) <= 1),
            "{misread:?} → {found:?}"
        );
        // Two letters misread are still near; a different code is not.
        let mut near = code;
        near[0] = if near[0] == b'A' { b'B' } else { b'A' };
        near[9] = if near[9] == b'A' { b'B' } else { b'A' };
        assert_eq!(distance(&near, &code), 2);
        let other = screen_letters(&[7u8; 32]);
        assert!(distance(&other, &code) > SCREEN_CODE_SLACK);
        // Words of ten letters that are not codes can be candidates, but text with none gives none.
        assert!(codes_in("保密 通知 2027 价格").is_empty());
    }
}
