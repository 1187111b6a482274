//! Background jobs other than sends (STYLE 5): each `jobs` row is decoded once into a `Job` with
//! its kind, priority and typed payload, run, and its outcome recorded; one that does not decode
//! is dead with the reason.

use crate::record::job_outcome;
use crate::{Transport, Worker, db_error};
use liaison_channels::{Notice, NoticeKind, SendError};
use liaison_core::job::JobKind;
use liaison_core::notify::NotifyKind;
use liaison_core::partner::Lang;
use liaison_db::job::{self, Job as JobRow, JobOutcome};
use liaison_db::{DbError, delivery};
use serde::Deserialize;
use std::cmp::Reverse;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;
use uuid::Uuid;

/// Jobs leased at once. They post to outside endpoints: a few at a time, each bounded by the
/// HTTP timeout, so that a slow endpoint does not hold the sends up for long.
const BATCH: i64 = 16;

/// A job as the worker runs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Job {
    Event(Event),
    Escalate(Escalate),
    Notify(Notify),
    Invite(Invite),
    SurveyMail(SurveyMail),
}

/// §6.2.1: a survey's invitation or reminder mailed to one contact of a partner that has no
/// portal user, with the invitation's one-click link.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct SurveyMail {
    invitation_id: Uuid,
    contact_id: Uuid,
    reminder: bool,
}

/// §5.3.1: one meeting invitation, update or cancellation mailed to one invitee.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Invite {
    attendee_id: Uuid,
    method: liaison_db::meetings::MailMethod,
    sequence: i64,
}

/// Issue 9: one notification e-mailed to its person, in their language.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Notify {
    notification_id: Uuid,
}

/// SPEC H3: a signed JSON event for a subscribed endpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Event {
    endpoint_id: Uuid,
    /// Posted as it is.
    event: serde_json::Value,
}

/// §4.4.1: tell one person (or, from older rows, everyone concerned) who is overdue on a
/// message.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Escalate {
    message_id: Uuid,
    user_id: Option<Uuid>,
}

impl Job {
    /// Reads a queued row: an unknown kind or a payload that does not fit it is an error.
    pub(crate) fn decode(row: &JobRow) -> Result<Job, String> {
        let kind = JobKind::parse(&row.kind).map_err(|e| format!("unknown job kind: {e}"))?;
        let payload = row.payload.clone();
        match kind {
            JobKind::Event => serde_json::from_value(payload).map(Job::Event),
            JobKind::Escalate => serde_json::from_value(payload).map(Job::Escalate),
            JobKind::Notify => serde_json::from_value(payload).map(Job::Notify),
            JobKind::Invite => serde_json::from_value(payload).map(Job::Invite),
            JobKind::SurveyMail => serde_json::from_value(payload).map(Job::SurveyMail),
        }
        .map_err(|e| format!("the {kind} job's payload does not decode: {e}"))
    }

    pub(crate) fn kind(&self) -> JobKind {
        match self {
            Job::Event(_) => JobKind::Event,
            Job::Escalate(_) => JobKind::Escalate,
            Job::Notify(_) => JobKind::Notify,
            Job::Invite(_) => JobKind::Invite,
            Job::SurveyMail(_) => JobKind::SurveyMail,
        }
    }

    pub(crate) fn priority(&self) -> u8 {
        self.kind().priority()
    }

    /// Runs the job `id`. Idempotent as far as the outside allows: an event carries the job id
    /// as its idempotency key; an escalation tells one person, so a retry repeats one e-mail.
    pub(crate) async fn run(&self, w: &Worker, id: Uuid) -> Result<(), SendError> {
        match self {
            Job::Event(e) => e.post(w, id).await,
            Job::Escalate(e) => e.send(w, id).await,
            Job::Notify(n) => n.send(w, id).await,
            Job::Invite(i) => i.send(w, id).await,
            Job::SurveyMail(m) => m.send(w, id).await,
        }
    }
}

impl Worker {
    /// Leases a batch of jobs, runs them (the highest priority started first) and records each
    /// outcome. Returns how many were leased.
    pub(crate) async fn jobs(self: &Arc<Self>, max_attempts: i64) -> anyhow::Result<usize> {
        let rows = job::claim(&self.db, &self.config.id, BATCH, self.config.lease)
            .await
            .map_err(db_error)?;
        let leased = rows.len();
        let mut batch: Vec<(JobRow, Result<Job, String>)> = rows
            .into_iter()
            .map(|row| {
                let job = Job::decode(&row);
                (row, job)
            })
            .collect();
        batch.sort_by_key(|(_, job)| Reverse(job.as_ref().map_or(u8::MAX, Job::priority)));
        let mut set = tokio::task::JoinSet::new();
        for (row, job) in batch {
            let me = Arc::clone(self);
            let span = tracing::info_span!("job", job = %row.id, kind = %row.kind, worker = %self.config.id);
            set.spawn(
                async move {
                    let outcome = match job {
                        Ok(job) => job_outcome(job.run(&me, row.id).await, me.db.now()),
                        Err(error) => {
                            tracing::error!(error = %error, "a leased job does not decode");
                            JobOutcome::Failed {
                                error,
                                permanent: true,
                            }
                        }
                    };
                    (row, outcome, tracing::Span::current())
                }
                .instrument(span),
            );
        }
        // Every job's outcome is recorded even when one record fails (an abandoned job
        // would run again after its lease).
        let mut failed = None;
        while let Some(done) = set.join_next().await {
            let Ok((row, outcome, span)) = done else {
                continue;
            };
            if let Err(e) = self
                .record_job(max_attempts, &row, &outcome)
                .instrument(span)
                .await
            {
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(leased),
        }
    }
}

impl Worker {
    /// The mailer for a job's e-mail; `None` after writing `sink_line` to the local sink
    /// (benchmarks and crash tests); an error naming `what_fails` when e-mail is not configured.
    fn mailer(
        &self,
        sink_line_text: &str,
        what_fails: &str,
    ) -> Result<Option<Arc<liaison_channels::email::Mailer>>, SendError> {
        match &self.transport {
            Transport::Live {
                mailer: Some(mailer),
                ..
            } => Ok(Some(mailer.clone())),
            Transport::Live { mailer: None, .. } => Err(SendError::Permanent(format!(
                "e-mail is not configured (LIAISON_SMTP_URL): {what_fails}"
            ))),
            Transport::Sink(file) => sink_line(file, sink_line_text).map(|()| None),
        }
    }
}

/// The local sink's line for a job (benchmarks and crash tests).
fn sink_line(file: &Mutex<std::fs::File>, line: &str) -> Result<(), SendError> {
    let mut f = file
        .lock()
        .map_err(|_| SendError::Transient("sink poisoned".into()))?;
    f.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| SendError::Transient(e.to_string()))
}

impl Event {
    async fn post(&self, w: &Worker, id: Uuid) -> Result<(), SendError> {
        let body =
            serde_json::to_vec(&self.event).map_err(|e| SendError::Permanent(e.to_string()))?;
        match &w.transport {
            Transport::Sink(file) => sink_line(file, &format!("{id} event")),
            Transport::Live { robots, .. } => {
                let (url, secret) =
                    match liaison_db::events::endpoint_target(&w.db, self.endpoint_id).await {
                        Ok(t) => t,
                        Err(DbError::NotFound) => {
                            return Err(SendError::Permanent("the endpoint was removed".into()));
                        }
                        Err(e) => return Err(SendError::Transient(e.to_string())),
                    };
                robots.post_event(&url, &secret, id, &body).await
            }
        }
    }
}

impl Notify {
    /// E-mails the notification to its person (a retry sends the same Message-ID). Someone who
    /// has since been deactivated, or has no e-mail address, is not written to.
    async fn send(&self, w: &Worker, id: Uuid) -> Result<(), SendError> {
        let transient = |e: DbError| SendError::Transient(e.to_string());
        let Some(n) = liaison_db::notify::find_any(&w.db, self.notification_id)
            .await
            .map_err(transient)?
        else {
            return Err(SendError::Permanent(
                "the notification no longer exists".into(),
            ));
        };
        let Some(user) = liaison_db::user::find_user(&w.db, n.user_id)
            .await
            .map_err(transient)?
            .filter(|u| u.active)
        else {
            return Ok(());
        };
        // Without e-mail configured the bell is the whole notification: nothing to retry.
        let Ok(Some(mailer)) = w.mailer(&format!("{id} notify"), "") else {
            tracing::debug!("no e-mail configured: the notification stays in the bell");
            return Ok(());
        };
        let lang = user
            .lang
            .as_deref()
            .and_then(|l| Lang::parse(l).ok())
            .unwrap_or(Lang::ZhCn);
        let title = liaison_core::notify::title(lang, n.kind, &n.args);
        let mut lines = vec![title.clone()];
        if let Some(c) = n
            .args
            .get("comment")
            .and_then(|c| c.as_str())
            .filter(|c| !c.is_empty())
        {
            // A ticket's answer or resolution is the company's own text, not a reviewer's.
            let key = match n.kind {
                NotifyKind::TicketReplied | NotifyKind::TicketResolved => {
                    "notify.email.ticket_text"
                }
                _ => "notify.email.comment",
            };
            lines.push(liaison_i18n::tr(lang, key, &[("comment", c.to_string())]));
        }
        // A resolved ticket's mail opens the one-click page to confirm and rate it (§6.1.3).
        let base = w.config.public_url.trim_end_matches('/');
        let ticket = n
            .args
            .get("ticket")
            .and_then(|t| t.as_str())
            .and_then(|t| Uuid::parse_str(t).ok());
        let (link, label) = match (n.kind, ticket) {
            (NotifyKind::TicketResolved, Some(t)) => {
                match liaison_app::tickets::rating_token(&w.db, t).await {
                    Ok(token) => (format!("{base}/rate/{token}"), "notify.email.rate"),
                    Err(_) => (format!("{base}{}", n.link), "notify.email.open"),
                }
            }
            // A survey's invitation and reminder open its one-click answer page (§6.2.1).
            (NotifyKind::SurveyInvited | NotifyKind::SurveyReminder, _) => {
                let invitation = n
                    .args
                    .get("invitation")
                    .and_then(|t| t.as_str())
                    .and_then(|t| Uuid::parse_str(t).ok());
                match invitation {
                    Some(i) => match liaison_app::surveys::link_token(&w.db, i).await {
                        Ok(token) => (format!("{base}/survey/{token}"), "survey.email.answer"),
                        Err(_) => (format!("{base}{}", n.link), "notify.email.open"),
                    },
                    None => (format!("{base}{}", n.link), "notify.email.open"),
                }
            }
            _ => (format!("{base}{}", n.link), "notify.email.open"),
        };
        let mut note = liaison_channels::email::Note {
            id: n.id,
            lang,
            subject: match (n.urgent, lang) {
                (false, _) => title,
                (true, Lang::En) => {
                    format!("{} {title}", liaison_i18n::t(lang, "notify.email.urgent"))
                }
                (true, _) => format!("{}{title}", liaison_i18n::t(lang, "notify.email.urgent")),
            },
            lines,
            link,
            link_label: liaison_i18n::t(lang, label).to_string(),
            footer: liaison_i18n::t(lang, "notify.email.footer").to_string(),
            urgent: n.urgent,
            // A ticket's notification can be answered by e-mail (issue 12 item 4).
            reply_to: ticket.and_then(|t| w.reply_to(liaison_db::link::ReplyTarget::Ticket(t))),
        };
        if note.reply_to.is_some() {
            note.lines
                .push(liaison_i18n::t(lang, "notify.email.reply_hint").to_string());
        }
        tokio::time::timeout(
            Duration::from_secs(30),
            mailer.send_note(&user.name, &user.email, &note),
        )
        .await
        .map_err(|_| SendError::Transient("the SMTP server did not answer in 30 s".into()))?
    }
}

impl Invite {
    /// Mails the invitation as the meeting is now (a newer change has its own job, so an
    /// update superseded before it went out is skipped): the agenda, place, video link, the
    /// one-click answer links, and the `text/calendar` part naming only this person.
    async fn send(&self, w: &Worker, id: Uuid) -> Result<(), SendError> {
        use liaison_db::meetings::MailMethod;
        let transient = |e: DbError| SendError::Transient(e.to_string());
        let attendee = match liaison_db::meetings::find_attendee(&w.db, self.attendee_id).await {
            Ok(a) => a,
            Err(DbError::NotFound) => {
                return Err(SendError::Permanent("the invitee no longer exists".into()));
            }
            Err(e) => return Err(transient(e)),
        };
        let Some(email) = attendee.email.clone() else {
            return Ok(());
        };
        let (m, ics) = liaison_app::meetings::invitation_ics(&w.db, &attendee, self.method)
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        if self.method == MailMethod::Request && m.sequence > self.sequence {
            return Ok(());
        }
        let Ok(Some(mailer)) = w.mailer(&format!("{id} invite"), "") else {
            return Ok(());
        };
        let lang = match (attendee.contact_id, attendee.user_id) {
            (_, Some(u)) => liaison_db::user::find_user(&w.db, u)
                .await
                .map_err(transient)?
                .and_then(|u| u.lang)
                .and_then(|l| Lang::parse(&l).ok()),
            (Some(c), None) => liaison_db::partner::contact_lang(&w.db, c)
                .await
                .map_err(transient)?
                .and_then(|l| Lang::parse(&l).ok()),
            _ => None,
        }
        .unwrap_or(Lang::ZhCn);
        let tz: chrono_tz::Tz = m
            .timezone
            .parse()
            .unwrap_or(liaison_core::calendar::COMPANY_ZONE);
        let when = format!(
            "{} – {} ({})",
            m.starts_at.with_timezone(&tz).format("%Y-%m-%d %H:%M"),
            m.ends_at.with_timezone(&tz).format("%H:%M"),
            m.timezone
        );
        let t = |k: &str| liaison_i18n::t(lang, k).to_string();
        let cancelled = self.method == MailMethod::Cancel;
        let head = if cancelled {
            "meeting.email.cancelled"
        } else if m.sequence > 0 {
            "meeting.email.updated"
        } else {
            "meeting.email.invited"
        };
        let mut lines = vec![
            liaison_i18n::tr(lang, head, &[("title", m.title.clone())]),
            format!("{}: {when}", t("meeting_page.when")),
        ];
        if let Some(p) = &m.place {
            lines.push(format!("{}: {p}", t("meeting_page.place")));
        }
        if let Some(v) = &m.video_url {
            lines.push(format!("{}: {v}", t("meeting_page.video_url")));
        }
        if !cancelled && !m.agenda.is_empty() {
            lines.push(format!("{}:\n{}", t("meeting_page.agenda"), m.agenda));
        }
        let base = w.config.public_url.trim_end_matches('/');
        let (link, label) = if cancelled {
            (format!("{base}/"), t("notify.email.open"))
        } else {
            match liaison_app::meetings::rsvp_token(&w.db, attendee.id, m.ends_at) {
                Ok(token) => {
                    for r in ["accepted", "tentative", "declined"] {
                        lines.push(format!(
                            "{}: {base}/rsvp/{token}/{r}",
                            t(&format!("meeting.rsvp.{r}"))
                        ));
                    }
                    (format!("{base}/rsvp/{token}"), t("meeting.email.answer"))
                }
                Err(_) => (format!("{base}/"), t("notify.email.open")),
            }
        };
        let note = liaison_channels::email::Note {
            id,
            lang,
            subject: liaison_i18n::tr(lang, head, &[("title", m.title.clone())]),
            lines,
            link,
            link_label: label,
            footer: t("notify.email.footer"),
            urgent: false,
            reply_to: None,
        };
        let method = if cancelled { "CANCEL" } else { "REQUEST" };
        tokio::time::timeout(
            Duration::from_secs(30),
            mailer.send_invite(&attendee.name, &email, &note, method, &ics),
        )
        .await
        .map_err(|_| SendError::Transient("the SMTP server did not answer in 30 s".into()))?
    }
}

impl SurveyMail {
    /// Mails the invitation (or reminder) with its one-click link, unless there is nothing to
    /// ask any more: the partner has answered, the round is over or the survey closed, or the
    /// contact is gone or has no address. A retry sends the same Message-ID (the job's id).
    async fn send(&self, w: &Worker, id: Uuid) -> Result<(), SendError> {
        use liaison_core::surveys::SurveyState;
        let transient = |e: DbError| SendError::Transient(e.to_string());
        let inv = match liaison_db::surveys::find_invitation(&w.db, self.invitation_id).await {
            Ok(i) => i,
            Err(DbError::NotFound) => return Ok(()),
            Err(e) => return Err(transient(e)),
        };
        let s = match liaison_db::surveys::find_survey(&w.db, inv.survey_id).await {
            Ok(s) => s,
            Err(DbError::NotFound) => return Ok(()),
            Err(e) => return Err(transient(e)),
        };
        let now = w.db.now();
        if inv.answered
            || inv.round != s.round
            || s.state != SurveyState::Open
            || s.closes_at.is_some_and(|c| c <= now)
        {
            return Ok(());
        }
        let Some(r) = delivery::recipients(&w.db, &[self.contact_id])
            .await
            .map_err(transient)?
            .into_iter()
            .next()
        else {
            return Ok(());
        };
        let Some(addr) = r.email.clone().filter(|a| !a.trim().is_empty()) else {
            return Ok(());
        };
        // A contact has no bell: without e-mail configured the job fails, and says why.
        let Some(mailer) = w.mailer(
            &format!("{id} survey_mail"),
            "a survey invitation to a partner's contact",
        )?
        else {
            return Ok(());
        };
        let lang = Lang::parse(&r.lang).unwrap_or(Lang::ZhCn);
        let title = liaison_core::surveys::pick(&s.title, lang);
        let closes = s
            .closes_at
            .map(|c| {
                c.with_timezone(&liaison_core::calendar::COMPANY_ZONE)
                    .format("%Y-%m-%d")
                    .to_string()
            })
            .unwrap_or_default();
        let kind = if self.reminder {
            NotifyKind::SurveyReminder
        } else {
            NotifyKind::SurveyInvited
        };
        let subject = liaison_core::notify::title(
            lang,
            kind,
            &serde_json::json!({"title": title, "closes": closes}),
        );
        let t = |k: &str| liaison_i18n::t(lang, k).to_string();
        let mut lines = vec![subject.clone()];
        let intro = liaison_core::surveys::pick(&s.intro, lang).to_string();
        if !intro.trim().is_empty() {
            lines.push(intro);
        }
        lines.push(t("survey.email.one_answer"));
        if s.anonymous {
            lines.push(t("survey.email.anonymous"));
        }
        let token = liaison_app::surveys::link_token(&w.db, inv.id)
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let base = w.config.public_url.trim_end_matches('/');
        let note = liaison_channels::email::Note {
            id,
            lang,
            subject,
            lines,
            link: format!("{base}/survey/{token}"),
            link_label: t("survey.email.answer"),
            footer: t("notify.email.footer"),
            urgent: false,
            reply_to: None,
        };
        tokio::time::timeout(
            Duration::from_secs(30),
            mailer.send_note(&r.name, &addr, &note),
        )
        .await
        .map_err(|_| SendError::Transient("the SMTP server did not answer in 30 s".into()))?
    }
}

impl Escalate {
    /// §4.4.1: at the deadline the requester and the partners' channel managers are told who
    /// has not confirmed.
    async fn send(&self, w: &Worker, id: Uuid) -> Result<(), SendError> {
        let message = self.message_id;
        let notices: Vec<_> = delivery::overdue_notices(&w.db, message)
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?
            .into_iter()
            .filter(|n| self.user_id.is_none_or(|u| u == n.user_id))
            .collect();
        let info = w
            .messages_for(&[message])
            .await
            .map_err(|e| SendError::Transient(e.to_string()))?;
        let Some(m) = info.get(&message) else {
            return Err(SendError::Permanent("the message no longer exists".into()));
        };
        let sink = format!("{id} escalate {}", notices.len());
        let Some(mailer) = w.mailer(&sink, "the overdue list could not be sent")? else {
            return Ok(());
        };
        let base = w.config.public_url.trim_end_matches('/');
        for n in notices {
            let lang = n
                .lang
                .as_deref()
                .and_then(|l| Lang::parse(l).ok())
                .unwrap_or(Lang::ZhCn);
            let mut body = String::new();
            for p in &n.partners {
                body.push_str(&format!("- {} {} ({})\n", p.code, p.name, p.contacts));
            }
            let notice = Notice {
                delivery_id: id,
                message_id: message,
                kind: NoticeKind::Overdue,
                lang,
                sender: "Liaison".into(),
                title: m.title.clone(),
                body: Some(body),
                importance: m.importance.clone(),
                urgency: m.urgency.clone(),
                classification: "internal".into(),
                ack_required: false,
                ack_due_at: m.ack_due_at,
                view_url: format!("{base}/console/requests/{}", m.request_id),
                confirm_url: None,
                sequence: 0,
                reply_to: None,
            };
            tokio::time::timeout(
                Duration::from_secs(30),
                mailer.send_to_staff(&n.name, &n.email, &notice),
            )
            .await
            .map_err(|_| SendError::Transient("the SMTP server did not answer in 30 s".into()))??;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(kind: &str, payload: serde_json::Value) -> JobRow {
        let now = chrono::Utc::now();
        JobRow {
            id: Uuid::now_v7(),
            kind: kind.into(),
            payload,
            state: "queued".into(),
            attempts: 0,
            run_at: Some(now),
            last_error: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn queued_rows_decode_into_typed_jobs() {
        let (endpoint, message, user) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let event = json!({"id": "e1", "type": "delivery.failed", "data": {"名称": "华东"}});
        let job = Job::decode(&row(
            "event",
            json!({"endpoint_id": endpoint, "event": event.clone()}),
        ));
        assert_eq!(
            job,
            Ok(Job::Event(Event {
                endpoint_id: endpoint,
                event
            }))
        );
        let job = Job::decode(&row(
            "escalate",
            json!({"message_id": message, "user_id": user}),
        ))
        .expect("escalate");
        assert_eq!(job.kind(), JobKind::Escalate);
        assert!(job.priority() > JobKind::Event.priority());
        // Rows written before escalations named one person tell everyone concerned.
        assert_eq!(
            Job::decode(&row("escalate", json!({"message_id": message}))),
            Ok(Job::Escalate(Escalate {
                message_id: message,
                user_id: None
            }))
        );
    }

    #[test]
    fn an_unknown_kind_or_a_payload_that_does_not_fit_is_an_error() {
        let e = Job::decode(&row("fax", json!({}))).expect_err("unknown kind");
        assert!(
            e.starts_with("unknown job kind: 'fax' is not one of"),
            "{e}"
        );
        let e = Job::decode(&row("event", json!({"event": {}}))).expect_err("no endpoint");
        assert!(e.contains("endpoint_id"), "{e}");
        let e =
            Job::decode(&row("escalate", json!({"message_id": "not-a-uuid"}))).expect_err("bad id");
        assert!(
            e.starts_with("the escalate job's payload does not decode"),
            "{e}"
        );
        let e = Job::decode(&row(
            "escalate",
            json!({"message_id": Uuid::now_v7(), "user_id": 7}),
        ))
        .expect_err("bad user");
        assert!(e.contains("escalate"), "{e}");
    }
}
