//! Background jobs' kinds (DESIGN "Work in the background"; STYLE 5): the closed set of work
//! queued in `jobs` besides sends, and which runs first. Payloads and running live in
//! liaison-worker; the queue (leases, attempts) in liaison-db.

use crate::str_enum;

str_enum!(
    /// What a job does; the text is the `jobs.kind` column. `event`: a signed JSON event
    /// posted to a subscribed endpoint (SPEC H3); `escalate`: at the deadline, the requester
    /// and channel managers are told who has not confirmed (§4.4.1); `notify`: one
    /// notification e-mailed to its person; `invite`: one meeting invitation (or its update or
    /// cancellation) mailed to one invitee with its iCalendar part (§5.3.1); `survey_mail`: a
    /// survey's invitation or reminder mailed to one contact of a partner without portal
    /// users, with the one-click link (§6.2.1).
    JobKind { Event = "event", Escalate = "escalate", Notify = "notify", Invite = "invite", SurveyMail = "survey_mail" }
);

impl JobKind {
    /// Higher runs first within a batch: people waiting on an overdue confirmation (§4.4.1)
    /// come before machines waiting on an event.
    pub fn priority(self) -> u8 {
        match self {
            JobKind::Escalate | JobKind::Notify | JobKind::Invite | JobKind::SurveyMail => 2,
            JobKind::Event => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_as_the_queue_writes_them() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Ok(*k));
        }
        assert!(JobKind::parse("mail_merge").is_err());
    }

    #[test]
    fn escalations_run_before_events_4_4_1() {
        assert!(JobKind::Escalate.priority() > JobKind::Event.priority());
    }
}
