//! Delivery adapters: e-mail over SMTP for formal notices (policy §2.1.1) and IM robots for daily
//! work (§2.1.2), each carrying a one-click confirmation link (§4.3.2). Confidential and secret
//! content never leaves in a mail or a chat message: only a notice and the portal link (§7.2.1).
//!
//! No database here: the worker hands over a frozen [`Notice`] per recipient and records what
//! [`SendError`] says. Error texts name at most `scheme://host[:port]/path`, never a query
//! string, a token or a secret, so they can be stored and shown as they are.

pub mod email;
pub mod imap;
pub mod inbound;
pub mod markdown;
pub mod robot;
pub mod sign;
pub mod testing;

mod text;

pub use text::subject;

/// One thing to tell one recipient: the frozen message as that recipient sees it.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Idempotency key of the send.
    pub delivery_id: uuid::Uuid,
    pub message_id: uuid::Uuid,
    pub kind: NoticeKind,
    pub lang: liaison_core::partner::Lang,
    /// E.g. the company or department name: the From display name, the card footer.
    pub sender: String,
    pub title: String,
    /// Markdown body; None when the message is confidential or secret: then only a notice and
    /// the link go out (§7.2.1).
    pub body: Option<String>,
    /// "normal" | "important" | "major"
    pub importance: String,
    /// "normal" | "urgent"
    pub urgency: String,
    /// "public" | "internal" | "confidential" | "secret"
    pub classification: String,
    pub ack_required: bool,
    pub ack_due_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The message in the partner portal.
    pub view_url: String,
    /// Signed one-click confirmation link (when ack_required).
    pub confirm_url: Option<String>,
    /// 0 for the first send; n for the n-th reminder.
    pub sequence: u32,
    /// The mail's Reply-To, a bare `reply+TOKEN@domain` address
    /// ([`inbound::reply_address`]), so that a partner's answer by e-mail is filed under this
    /// notice (§3.4). None: no Reply-To, answers go to the From address.
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Message,
    Reminder,
    /// To company staff: recipients overdue at the deadline (§4.4.1).
    Overdue,
}

impl Notice {
    /// Important or major (§4.3.1: importance marked).
    pub fn is_important(&self) -> bool {
        matches!(self.importance.as_str(), "important" | "major")
    }

    pub fn is_urgent(&self) -> bool {
        self.urgency == "urgent"
    }

    /// Confidential or secret: the body stays in the portal (§7.2.1).
    pub fn is_classified(&self) -> bool {
        matches!(self.classification.as_str(), "confidential" | "secret")
    }

    /// The body that may leave the portal: None for confidential and secret messages whatever
    /// `body` holds, so that a slip upstream cannot put one in a mail or a chat (§7.2.1).
    pub fn shown_body(&self) -> Option<&str> {
        if self.is_classified() {
            None
        } else {
            self.body.as_deref()
        }
    }
}

/// Why a send did not succeed. Texts never contain URLs' query strings, tokens or secrets (only
/// scheme://host[:port]/path at most).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("rate limited; try again in {retry_after:?}")]
    Throttled { retry_after: std::time::Duration },
    /// Retry with backoff (network, 5xx, timeouts, SMTP 4xx).
    #[error("{0}")]
    Transient(String),
    /// No retry helps (bad address, 4xx, platform refused the content, SMTP 5xx).
    #[error("{0}")]
    Permanent(String),
}
