//! E-mail for formal notices (policy §2.1.1): a clear subject with importance and urgency marked
//! in the subject and the headers (§4.3.1), text and HTML parts, the one-click confirmation link
//! (§4.3.2), and for confidential or secret messages only a notice and the portal link (§7.2.1).
//! Sent over SMTP with lettre (rustls + ring); reminders thread under the first mail.

use crate::text::{self, one_line};
use crate::{Notice, NoticeKind, SendError, markdown};
use lettre::address::Address;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use liaison_core::partner::Lang;
use std::fmt;
use std::time::Duration;

/// How long one SMTP command may take before the send counts as failed (and is retried).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// An SMTP relay and the From address. Cheap to clone; connections are pooled.
/// A notification e-mail's content, already in the reader's language.
#[derive(Debug, Clone)]
pub struct Note {
    /// The notification's id (the Message-ID).
    pub id: uuid::Uuid,
    pub lang: Lang,
    pub subject: String,
    pub lines: Vec<String>,
    pub link: String,
    pub link_label: String,
    pub footer: String,
    pub urgent: bool,
    /// The mail's Reply-To, a bare `reply+TOKEN@domain` address
    /// ([`crate::inbound::reply_address`]), so that an answer by e-mail is filed under the
    /// ticket it is about (§3.4). None: no Reply-To.
    pub reply_to: Option<String>,
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The From address's domain: Message-IDs are `<delivery id@domain>`.
    domain: String,
    /// `scheme://host:port`, for errors and Debug (never the credentials).
    server: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.email.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// `url` as lettre's `from_url` accepts: `smtp://host:port` (plain, for a local relay and
    /// tests), `smtp://host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`. `from`
    /// like `Liaison <noreply@example.com>` or a bare address. Must be called inside a Tokio
    /// runtime (the connection pool starts a cleanup task). Errors never echo the password.
    pub fn new(url: &str, from: &str) -> Result<Self, String> {
        let parsed = reqwest::Url::parse(url.trim())
            .map_err(|e| format!("the SMTP URL is not valid: {e}"))?;
        let scheme = parsed.scheme();
        if scheme != "smtp" && scheme != "smtps" {
            return Err(format!(
                "the SMTP URL must start with smtp:// or smtps://, not {scheme}://"
            ));
        }
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the SMTP URL has no host")?;
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let default_port = match (scheme, tls.as_deref()) {
            ("smtps", _) => 465,
            ("smtp", Some(_)) => 587,
            _ => 25,
        };
        let server = format!(
            "{scheme}://{host}:{}",
            parsed.port().unwrap_or(default_port)
        );
        if tokio::runtime::Handle::try_current().is_err() {
            return Err("the mailer must be created inside a Tokio runtime".to_owned());
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.trim())
            .map_err(|e| format!("SMTP server {server}: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| format!("the From address {from:?} is not valid: {e}"))?;
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            domain,
            server,
        })
    }

    /// The From address (`noreply@example.com`): the domain reply addresses are made in.
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// `<{delivery_id}@{domain}>` for the first send, `<{delivery_id}.r{n}@{domain}>` for the
    /// n-th reminder.
    pub fn message_id(&self, n: &Notice) -> String {
        if n.sequence == 0 {
            format!("<{}@{}>", n.delivery_id, self.domain)
        } else {
            format!("<{}.r{}@{}>", n.delivery_id, n.sequence, self.domain)
        }
    }

    /// The mail as it will be sent (also for previews and snapshots).
    pub fn build(&self, to_name: &str, to_addr: &str, n: &Notice) -> Result<Message, SendError> {
        let addr: Address = to_addr.trim().parse().map_err(|e| {
            SendError::Permanent(format!("the recipient address is not valid: {e}"))
        })?;
        let to_name = one_line(to_name);
        let to = Mailbox::new((!to_name.is_empty()).then_some(to_name), addr);
        let sender = one_line(&n.sender);
        let from_name = if sender.is_empty() {
            self.from.name.clone()
        } else {
            Some(sender)
        };
        let reply_to = self.reply_to(from_name.clone(), n.reply_to.as_deref())?;
        let from = Mailbox::new(from_name, self.from.email.clone());

        let priority = if n.is_urgent() {
            "1 (Highest)"
        } else if n.is_important() {
            "2 (High)"
        } else {
            "3 (Normal)"
        };
        let importance = if n.is_urgent() || n.is_important() {
            "high"
        } else {
            "normal"
        };
        let mut b = Message::builder()
            .from(from)
            .to(to)
            .subject(text::subject(n))
            .message_id(Some(self.message_id(n)))
            .header(Raw::<Importance>::new(importance))
            .header(Raw::<XPriority>::new(priority))
            // Out-of-office replies should not answer a notice (RFC 3834).
            .header(Raw::<AutoSubmitted>::new("auto-generated"))
            .header(Raw::<ContentLanguage>::new(n.lang.tag()))
            .header(Raw::<XLiaisonDelivery>::new(n.delivery_id.to_string()));
        if n.sequence > 0 {
            let first = format!("<{}@{}>", n.delivery_id, self.domain);
            b = b.in_reply_to(first.clone()).references(first);
        }
        if let Some(reply_to) = reply_to {
            b = b.reply_to(reply_to);
        }
        b.multipart(MultiPart::alternative_plain_html(
            plain_body(n),
            html_body(n),
        ))
        .map_err(|e| SendError::Permanent(format!("the e-mail could not be built: {e}")))
    }

    /// Sends one notice. SMTP 4xx and connection trouble are transient, 5xx permanent.
    pub async fn send(&self, to_name: &str, to_addr: &str, n: &Notice) -> Result<(), SendError> {
        let msg = self.build(to_name, to_addr, n)?;
        self.deliver(msg).await
    }

    async fn deliver(&self, msg: Message) -> Result<(), SendError> {
        match self.transport.send(msg).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!(
                "SMTP server {} refused the mail: {e}",
                self.server
            ))),
            Err(e) if e.is_transient() => Err(SendError::Transient(format!(
                "SMTP server {} deferred the mail: {e}",
                self.server
            ))),
            Err(e) if e.is_timeout() => Err(SendError::Transient(format!(
                "SMTP server {} timed out",
                self.server
            ))),
            Err(e) => Err(SendError::Transient(format!(
                "SMTP server {}: {e}",
                self.server
            ))),
        }
    }

    /// A short notification to one person (issue 9: a review waiting, an answer to a
    /// question): the subject, a line or two, and the link; `id` makes the Message-ID, so a
    /// retry is recognisably the same mail.
    pub fn build_note(
        &self,
        to_name: &str,
        to_addr: &str,
        note: &Note,
    ) -> Result<Message, SendError> {
        self.build_note_with(to_name, to_addr, note, None)
    }

    /// A meeting invitation (§5.3.1): the note's text and HTML, and the iCalendar object as a
    /// `text/calendar; method=...` alternative, which calendar clients (Outlook, Google,
    /// Apple) show as an invitation to accept or decline; `method` is `REQUEST` or `CANCEL`.
    pub fn build_invite(
        &self,
        to_name: &str,
        to_addr: &str,
        note: &Note,
        method: &str,
        ics: &str,
    ) -> Result<Message, SendError> {
        self.build_note_with(to_name, to_addr, note, Some((method, ics)))
    }

    pub async fn send_invite(
        &self,
        to_name: &str,
        to_addr: &str,
        note: &Note,
        method: &str,
        ics: &str,
    ) -> Result<(), SendError> {
        let msg = self.build_invite(to_name, to_addr, note, method, ics)?;
        self.deliver(msg).await
    }

    fn build_note_with(
        &self,
        to_name: &str,
        to_addr: &str,
        note: &Note,
        calendar: Option<(&str, &str)>,
    ) -> Result<Message, SendError> {
        let addr: Address = to_addr.trim().parse().map_err(|e| {
            SendError::Permanent(format!("the recipient address is not valid: {e}"))
        })?;
        let to_name = one_line(to_name);
        let to = Mailbox::new((!to_name.is_empty()).then_some(to_name), addr);
        let plain = format!(
            "{}\n\n{}\n{}\n\n-- \n{}\n",
            note.lines.join("\n"),
            note.link_label,
            note.link,
            note.footer
        );
        let html = format!(
            "<!doctype html><html lang=\"{lang}\"><body style=\"font-family:sans-serif;line-height:1.5\">{lines}<p><a href=\"{link}\" style=\"display:inline-block;padding:8px 16px;background:#0969da;color:#fff;border-radius:6px;text-decoration:none\">{label}</a></p><p style=\"color:#57606a;font-size:12px\">{footer}</p></body></html>",
            lang = note.lang.tag(),
            lines = note
                .lines
                .iter()
                .map(|l| format!("<p>{}</p>", esc(l)))
                .collect::<String>(),
            link = esc(&note.link),
            label = esc(&note.link_label),
            footer = esc(&note.footer),
        );
        let importance = if note.urgent { "high" } else { "normal" };
        let reply_to = self.reply_to(self.from.name.clone(), note.reply_to.as_deref())?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(one_line(&note.subject))
            .message_id(Some(format!("<{}@{}>", note.id, self.domain)))
            .header(Raw::<Importance>::new(importance))
            .header(Raw::<AutoSubmitted>::new("auto-generated"))
            .header(Raw::<ContentLanguage>::new(note.lang.tag()));
        if let Some(reply_to) = reply_to {
            b = b.reply_to(reply_to);
        }
        let body = match calendar {
            None => MultiPart::alternative_plain_html(plain, html),
            Some((method, ics)) => {
                use lettre::message::SinglePart;
                use lettre::message::header::ContentType;
                let kind = ContentType::parse(&format!(
                    "text/calendar; method={}; charset=UTF-8",
                    one_line(method)
                ))
                .map_err(|e| SendError::Permanent(format!("the calendar part: {e}")))?;
                MultiPart::alternative()
                    .singlepart(SinglePart::plain(plain))
                    .singlepart(SinglePart::html(html))
                    .singlepart(SinglePart::builder().header(kind).body(ics.to_string()))
            }
        };
        b.multipart(body)
            .map_err(|e| SendError::Permanent(format!("the e-mail could not be built: {e}")))
    }

    /// The Reply-To mailbox: the reply address under the From name (§3.4). An address that
    /// does not parse is our own bug, and no retry mends it.
    fn reply_to(
        &self,
        name: Option<String>,
        addr: Option<&str>,
    ) -> Result<Option<Mailbox>, SendError> {
        let Some(addr) = addr.map(str::trim).filter(|a| !a.is_empty()) else {
            return Ok(None);
        };
        let addr: Address = addr
            .parse()
            .map_err(|e| SendError::Permanent(format!("the Reply-To address is not valid: {e}")))?;
        Ok(Some(Mailbox::new(name, addr)))
    }

    pub async fn send_note(
        &self,
        to_name: &str,
        to_addr: &str,
        note: &Note,
    ) -> Result<(), SendError> {
        let msg = self.build_note(to_name, to_addr, note)?;
        self.deliver(msg).await
    }

    /// To company staff (the overdue report, §4.4.1): the same mail rules.
    pub async fn send_to_staff(
        &self,
        to_name: &str,
        to_addr: &str,
        n: &Notice,
    ) -> Result<(), SendError> {
        self.send(to_name, to_addr, n).await
    }
}

fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ": ",
        _ => "：",
    }
}

/// The deadline line, while there is still one to meet.
fn shown_due(n: &Notice) -> Option<String> {
    match (n.ack_required, n.ack_due_at, n.kind) {
        (true, Some(due), NoticeKind::Message | NoticeKind::Reminder) => {
            Some(text::due_line(n.lang, due))
        }
        _ => None,
    }
}

fn plain_body(n: &Notice) -> String {
    let mut s = String::new();
    if let Some(lead) = text::lead(n) {
        s.push_str(&lead);
        s.push_str("\n\n");
    }
    s.push_str(n.title.trim());
    s.push_str("\n\n");
    match n.shown_body() {
        Some(md) => s.push_str(&markdown::plain_text(md)),
        None => s.push_str(&text::classified_notice(n.lang, &n.classification)),
    }
    s.push_str("\n\n");
    if let Some(url) = &n.confirm_url {
        s.push_str(text::confirm_label(n.lang));
        s.push_str(colon(n.lang));
        s.push_str(url);
        s.push('\n');
    }
    if let Some(due) = shown_due(n) {
        s.push_str(&due);
        s.push('\n');
    }
    s.push_str(text::view_label(n.lang));
    s.push_str(colon(n.lang));
    s.push_str(&n.view_url);
    s.push_str("\n\n-- \n");
    if !n.sender.trim().is_empty() {
        s.push_str(&text::sender_line(n.lang, n.sender.trim()));
        s.push('\n');
    }
    s.push_str(text::automated_line(n.lang));
    s.push('\n');
    s
}

/// HTML-escapes text and attribute values.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const FONT: &str = "font-family:-apple-system,'Segoe UI','PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',Arial,sans-serif";

fn html_body(n: &Notice) -> String {
    let lang = n.lang;
    let mut badges = String::new();
    let badge = |label: &str, color: &str| {
        format!(
            "<span style=\"display:inline-block;padding:2px 8px;margin-right:6px;border-radius:4px;background:{color};color:#ffffff;font-size:12px;font-weight:600;\">{}</span>",
            esc(label)
        )
    };
    let zh = lang != Lang::En;
    if n.is_urgent() {
        badges.push_str(&badge(if zh { "緊急" } else { "Urgent" }, "#cf222e"));
    }
    if n.is_important() {
        badges.push_str(&badge(if zh { "重要" } else { "Important" }, "#bc4c00"));
    }
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title></head>\n",
        lang.tag(),
        esc(&text::subject(n))
    ));
    h.push_str(&format!(
        "<body style=\"margin:0;padding:0;background:#f4f5f7;\">\n<div style=\"max-width:640px;margin:0 auto;padding:24px 16px;{FONT};color:#1f2328;font-size:15px;line-height:1.6;\">\n<div style=\"background:#ffffff;border:1px solid #d0d7de;border-radius:8px;padding:24px;\">\n"
    ));
    if !badges.is_empty() {
        h.push_str(&format!("<p style=\"margin:0 0 8px;\">{badges}</p>\n"));
    }
    if let Some(lead) = text::lead(n) {
        h.push_str(&format!(
            "<p style=\"margin:0 0 12px;padding:8px 12px;background:#fff8c5;border-left:4px solid #d4a72c;\">{}</p>\n",
            esc(&lead)
        ));
    }
    h.push_str(&format!(
        "<h1 style=\"font-size:20px;line-height:1.4;margin:0 0 16px;\">{}</h1>\n",
        esc(n.title.trim())
    ));
    match n.shown_body() {
        Some(md) => h.push_str(&format!("<div>{}</div>\n", markdown::body_html(md))),
        None => h.push_str(&format!(
            "<p style=\"margin:0 0 16px;padding:12px;background:#f6f8fa;border:1px dashed #8c959f;border-radius:6px;\">{}</p>\n",
            esc(&text::classified_notice(lang, &n.classification))
        )),
    }
    if let Some(url) = &n.confirm_url {
        h.push_str(&format!(
            "<p style=\"margin:24px 0 8px;\"><a href=\"{}\" style=\"display:inline-block;padding:12px 28px;background:#1a7f37;color:#ffffff;text-decoration:none;border-radius:6px;font-size:16px;font-weight:600;\">{}</a></p>\n",
            esc(url),
            esc(text::confirm_label(lang))
        ));
    }
    if let Some(due) = shown_due(n) {
        h.push_str(&format!(
            "<p style=\"margin:8px 0;color:#9a6700;font-weight:600;\">{}</p>\n",
            esc(&due)
        ));
    }
    h.push_str(&format!(
        "<p style=\"margin:16px 0 0;\"><a href=\"{}\" style=\"color:#0969da;\">{}</a></p>\n",
        esc(&n.view_url),
        esc(text::view_label(lang))
    ));
    h.push_str("</div>\n<p style=\"margin:12px 4px 0;font-size:12px;color:#656d76;\">");
    if !n.sender.trim().is_empty() {
        h.push_str(&esc(&text::sender_line(lang, n.sender.trim())));
        h.push_str(" · ");
    }
    h.push_str(&esc(text::automated_line(lang)));
    h.push_str("</p>\n</div>\n</body></html>\n");
    h
}

/// A header with a fixed ASCII value, named by the marker type.
#[derive(Clone)]
struct Raw<N> {
    value: String,
    name: std::marker::PhantomData<N>,
}

impl<N> Raw<N> {
    fn new(v: impl Into<String>) -> Self {
        Self {
            value: v.into(),
            name: std::marker::PhantomData,
        }
    }
}

trait Named: Clone {
    const NAME: &'static str;
}

macro_rules! named {
    ($($t:ident = $n:literal),+ $(,)?) => {
        $(#[derive(Clone)] struct $t; impl Named for $t { const NAME: &'static str = $n; })+
    };
}

named!(
    Importance = "Importance",
    XPriority = "X-Priority",
    AutoSubmitted = "Auto-Submitted",
    ContentLanguage = "Content-Language",
    XLiaisonDelivery = "X-Liaison-Delivery",
);

impl<N: Named> Header for Raw<N> {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str(N::NAME)
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self::new(s))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_titles_and_links() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
