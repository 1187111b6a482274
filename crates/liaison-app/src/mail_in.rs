//! Replies by e-mail (policy §3.4, §4.4.2; issue 12 item 4): a mail read from the reply
//! mailbox is filed where its `Reply-To` token points: a ticket (a public reply, or a reopen
//! when it was resolved) or a message's thread (a partner answering a notice). A mail to the
//! plain address from a partner's known login opens a new ticket. Each mail is filed once
//! across workers (claimed by its Message-ID); forged or unknown tokens, strangers and
//! automatic replies are refused and recorded, never filed.

use crate::Result;
use crate::tickets::{self, ReopenInput, ReplyInput, TicketInput};
use liaison_channels::inbound::{InboundMail, token_in};
use liaison_core::Actor;
use liaison_core::tickets::{TicketState, TicketVia};
use liaison_db::Db;
use liaison_db::link::{ReplyTarget, verify_reply};
use liaison_db::tickets::{self as repo, NewFile};
use serde::Serialize;
use uuid::Uuid;

/// What became of one mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Filed {
    /// A reply on a ticket (or its reopening).
    Ticket { ticket: Uuid },
    /// A new ticket from a mail to the plain address.
    Opened { ticket: Uuid },
    /// A reply in a message's thread.
    Thread { thread: Uuid },
    /// Not filed, and why (a forged token, a stranger, an empty reply).
    Refused { reason: String },
    /// An automatic reply (out of office, a bounce): dropped.
    Ignored { reason: String },
    /// A calendar client's answer to a meeting invitation (§5.3.1).
    Rsvp { meeting: Uuid },
    /// Another worker filed it already.
    Duplicate,
}

impl Filed {
    fn parts(&self) -> (&'static str, Option<Uuid>, Option<Uuid>, String) {
        match self {
            Filed::Ticket { ticket } => ("filed", Some(*ticket), None, String::new()),
            Filed::Opened { ticket } => ("opened", Some(*ticket), None, String::new()),
            Filed::Thread { thread } => ("filed", None, Some(*thread), String::new()),
            Filed::Refused { reason } => ("refused", None, None, reason.clone()),
            Filed::Ignored { reason } => ("ignored", None, None, reason.clone()),
            Filed::Rsvp { meeting } => ("filed", None, None, format!("meeting {meeting}")),
            Filed::Duplicate => ("duplicate", None, None, String::new()),
        }
    }
}

fn refused(reason: &str) -> Filed {
    Filed::Refused {
        reason: reason.to_string(),
    }
}

/// The latest mails the reply mailbox received and what became of each (admins: integrations).
pub async fn list(
    db: &Db,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<liaison_db::tickets::InboundMail>> {
    liaison_core::authorize(
        actor,
        liaison_core::Permission::ManageIntegrations,
        &liaison_core::Object::default(),
    )?;
    Ok(repo::list_mails(db, limit).await?)
}

/// The key a mail is claimed by: its Message-ID, else a hash of its bytes.
pub fn mail_key(mail: Option<&InboundMail>, raw: &[u8]) -> String {
    match mail.and_then(|m| m.message_id.clone()) {
        Some(id) if !id.trim().is_empty() => id.trim().chars().take(300).collect(),
        _ => format!("sha256:{}", liaison_db::sha256_hex(raw)),
    }
}

/// Files one mail (see the module comment). A failure to file (the database) gives the claim
/// back, so the next read tries again.
#[tracing::instrument(skip_all, fields(key = %key))]
pub async fn file(db: &Db, key: &str, mail: &InboundMail) -> Result<Filed> {
    if !repo::claim_mail(db, key, &mail.from_addr).await? {
        return Ok(Filed::Duplicate);
    }
    let outcome = match route(db, mail).await {
        Ok(f) => f,
        Err(e) => {
            repo::release_mail(db, key).await?;
            return Err(e);
        }
    };
    let (what, ticket, thread, detail) = outcome.parts();
    repo::finish_mail(db, key, what, ticket, thread, &detail).await?;
    if let Filed::Refused { reason } = &outcome {
        tracing::warn!(reason = %reason, "a mail to the reply address was refused");
        liaison_db::audit::record(
            db,
            liaison_db::audit::Entry::new(
                None,
                "mail.refused",
                "inbound_mail",
                None,
                serde_json::json!({"key": key, "reason": reason}),
            ),
        )
        .await?;
    }
    Ok(outcome)
}

/// The mail's files that Liaison keeps (the attachment rules); the rest are named in the text.
fn files(mail: &InboundMail) -> (Vec<NewFile>, Vec<String>) {
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for a in &mail.attachments {
        let ok = !a.bytes.is_empty()
            && a.bytes.len() <= liaison_db::attachment::MAX_BYTES
            && liaison_db::attachment::check_type(&a.filename, &a.bytes).is_ok()
            && kept.len() < 10;
        if ok {
            kept.push(NewFile {
                filename: a.filename.clone(),
                bytes: a.bytes.clone(),
            });
        } else {
            dropped.push(a.filename.clone());
        }
    }
    (kept, dropped)
}

/// A subject without the `Re:`, `Fwd:`, `回复：` prefixes mail clients add.
fn bare_subject(s: &str) -> &str {
    let mut t = s.trim();
    loop {
        let lower = t.to_lowercase();
        let cut = [
            "re:",
            "fw:",
            "fwd:",
            "aw:",
            "回复:",
            "回复：",
            "答复:",
            "答复：",
            "转发:",
            "转发：",
            "回覆：",
            "轉寄：",
        ]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map(|p| p.len());
        match cut {
            Some(n) => t = t[n..].trim_start(),
            None => return t,
        }
    }
}

async fn sender(db: &Db, mail: &InboundMail) -> Result<Option<Actor>> {
    Ok(liaison_db::user::find_user_by_email(db, &mail.from_addr)
        .await?
        .filter(|u| u.active)
        .map(|u| u.actor()))
}

async fn route(db: &Db, mail: &InboundMail) -> Result<Filed> {
    if mail.auto_submitted {
        return Ok(Filed::Ignored {
            reason: "an automatic reply".into(),
        });
    }
    // An invitation's answer from a calendar client: any invitee (a partner's contact needs no
    // login), but only for the address it was sent to and only from that address.
    if let Some(cal) = &mail.calendar {
        let replies = liaison_docs::ics::parse_reply(cal);
        if !replies.is_empty() {
            for r in replies
                .iter()
                .filter(|r| r.attendee_email.eq_ignore_ascii_case(&mail.from_addr))
            {
                if let Some(meeting) = crate::meetings::rsvp_by_mail(db, r).await? {
                    return Ok(Filed::Rsvp { meeting });
                }
            }
            return Ok(refused(
                "a calendar answer for no invitation sent to its sender",
            ));
        }
    }
    let Some(who) = sender(db, mail).await? else {
        return Ok(refused("the sender is not a Liaison user"));
    };
    let (files, dropped) = files(mail);
    let mut body = mail.body.trim().to_string();
    if !dropped.is_empty() {
        body.push_str(&format!(
            "\n\n({}: {})",
            "attachments not kept",
            dropped.join(", ")
        ));
    }
    let Some(token) = token_in(&mail.recipients) else {
        // The plain address: a partner's login opens a ticket.
        if !who.is_partner() {
            return Ok(refused("only a partner's login opens a ticket by e-mail"));
        }
        if mail.body.trim().is_empty() {
            return Ok(refused("the mail has no text"));
        }
        let subject = bare_subject(&mail.subject);
        let subject: String = if subject.is_empty() {
            mail.body
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(80)
                .collect()
        } else {
            subject.chars().take(200).collect()
        };
        let input = TicketInput {
            kind: Some("other".into()),
            subject: Some(subject),
            description: Some(body),
            ..Default::default()
        };
        return match tickets::create(db, &who, &input, files, TicketVia::Email).await {
            Ok(t) => Ok(Filed::Opened { ticket: t.id }),
            Err(crate::Error::Invalid(e)) => Ok(refused(&format!("the ticket is not valid: {e}"))),
            Err(e) => Err(e),
        };
    };
    let target = match verify_reply(db.cipher()?, &token) {
        Ok(t) => t,
        Err(_) => return Ok(refused("the reply address's token is forged or unknown")),
    };
    if mail.body.trim().is_empty() {
        return Ok(refused(
            "the reply has no text of its own (only the quoted mail)",
        ));
    }
    match target {
        ReplyTarget::Ticket(id) => {
            let t = match tickets::show(db, &who, id).await {
                Ok(t) => t,
                Err(crate::Error::NotFound | crate::Error::Forbidden) => {
                    return Ok(refused("the sender may not answer this ticket"));
                }
                Err(e) => return Err(e),
            };
            // A partner writing back on a resolved ticket reopens it (within the window).
            let result = if who.is_partner() && t.state.is_done() {
                if t.state == TicketState::Closed && t.rating.is_some() {
                    return Ok(refused("the ticket is closed and rated: raise a new one"));
                }
                tickets::reopen(db, &who, id, &ReopenInput { reason: Some(body) }).await
            } else {
                tickets::reply(
                    db,
                    &who,
                    id,
                    &ReplyInput {
                        body: Some(body),
                        ..Default::default()
                    },
                    files,
                    TicketVia::Email,
                )
                .await
            };
            match result {
                Ok(t) => Ok(Filed::Ticket { ticket: t.id }),
                Err(crate::Error::Invalid(e)) => Ok(refused(&format!("not filed: {e}"))),
                Err(crate::Error::Forbidden | crate::Error::NotFound) => {
                    Ok(refused("the sender may not answer this ticket"))
                }
                Err(e) => Err(e),
            }
        }
        ReplyTarget::Delivery(id) => {
            let d = match liaison_db::delivery::find_delivery(db, id).await {
                Ok(d) => d,
                Err(liaison_db::DbError::NotFound) => {
                    return Ok(refused("the notice answered no longer exists"));
                }
                Err(e) => return Err(e.into()),
            };
            if who.partner_id != Some(d.partner_id) {
                return Ok(refused(
                    "the sender is not a login of the partner the notice went to",
                ));
            }
            match crate::thread::reply_to_message(db, &who, d.message_id.into(), &body).await {
                Ok((thread, _)) => Ok(Filed::Thread { thread: thread.id }),
                Err(crate::Error::Invalid(e)) => Ok(refused(&format!("not filed: {e}"))),
                Err(crate::Error::Forbidden | crate::Error::NotFound) => {
                    Ok(refused("the sender may not answer this notice"))
                }
                Err(e) => Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reply_prefixes_are_dropped_from_a_new_tickets_subject() {
        assert_eq!(super::bare_subject("Re: 回复：展架损坏"), "展架损坏");
        assert_eq!(super::bare_subject("FWD: RE: x"), "x");
        assert_eq!(super::bare_subject("Report"), "Report");
    }
}
