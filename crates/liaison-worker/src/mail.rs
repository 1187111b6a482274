//! Replies by e-mail (issue 12; policy §3.4, §4.4.2): the `Reply-To` address a mail carries
//! (a signed token for the ticket or the delivery answered), and reading the reply mailbox over
//! IMAP. Each unseen mail is parsed, filed by `liaison_app::mail_in::file` (once across
//! workers: it claims the mail by its Message-ID) and marked seen; a mail that could not be
//! filed for a database failure stays unseen and is read again at the next sweep.

use crate::{Transport, Worker};
use liaison_channels::imap::Mailbox;
use liaison_channels::inbound::{parse_inbound, reply_address};
use liaison_db::link::{ReplyTarget, sign_reply};
use std::time::Duration;

/// What one read of the mailbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailRead {
    pub filed: usize,
    pub refused: usize,
    /// Filed by another worker already.
    pub duplicates: usize,
}

impl Worker {
    /// The address a partner's reply should go to, when the reply mailbox is set up and mail
    /// is sent: `reply+<token>@<the From address's domain>`.
    pub(crate) fn reply_to(&self, target: ReplyTarget) -> Option<String> {
        self.config.imap.as_ref()?;
        let Transport::Live {
            mailer: Some(mailer),
            ..
        } = &self.transport
        else {
            return None;
        };
        let cipher = self.db.cipher().ok()?;
        Some(reply_address(
            &sign_reply(cipher, target),
            &mailer.from_address(),
        ))
    }

    /// Reads the reply mailbox once (when `LIAISON_IMAP_URL` is set) and files what arrived.
    pub async fn read_mail(&self) -> anyhow::Result<MailRead> {
        let Some(cfg) = &self.config.imap else {
            return Ok(MailRead::default());
        };
        let limit = Duration::from_secs(120);
        tokio::time::timeout(limit, self.read_mailbox(cfg))
            .await
            .map_err(|_| {
                anyhow::anyhow!("the reply mailbox {} took over 2 minutes", cfg.server())
            })?
    }

    async fn read_mailbox(
        &self,
        cfg: &liaison_channels::imap::ImapConfig,
    ) -> anyhow::Result<MailRead> {
        let mut read = MailRead::default();
        let mut mailbox = Mailbox::connect(cfg)
            .await
            .map_err(|e| anyhow::anyhow!("the reply mailbox {}: {e}", cfg.server()))?;
        for uid in mailbox.search_unseen().await? {
            let raw = mailbox.fetch(uid).await?;
            let parsed = parse_inbound(&raw);
            let key = liaison_app::mail_in::mail_key(parsed.as_ref().ok(), &raw);
            let outcome = match parsed {
                Ok(mail) => liaison_app::mail_in::file(&self.db, &key, &mail).await,
                Err(why) => {
                    tracing::warn!(uid, error = %why, "an unreadable mail in the reply mailbox");
                    Ok(liaison_app::mail_in::Filed::Refused { reason: why })
                }
            };
            match outcome {
                Ok(liaison_app::mail_in::Filed::Duplicate) => read.duplicates += 1,
                Ok(liaison_app::mail_in::Filed::Refused { .. })
                | Ok(liaison_app::mail_in::Filed::Ignored { .. }) => read.refused += 1,
                Ok(_) => read.filed += 1,
                Err(e) => {
                    // Left unseen: the next sweep reads it again.
                    tracing::warn!(uid, error = %e, "a reply could not be filed; it stays in the mailbox");
                    continue;
                }
            }
            mailbox.mark_seen(uid).await?;
        }
        let _ = mailbox.logout().await;
        Ok(read)
    }
}
