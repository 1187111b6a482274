//! Who is told that something waits for them (policy §4.2.1 review steps, §4.4.1 escalation,
//! §4.4.2 answers to partners' questions; issue 9). What each kind means and its defaults; the
//! rows, the e-mail job and the pages live elsewhere.

use crate::str_enum;
use uuid::Uuid;

str_enum!(
    /// What a notification is about; the text is the `notifications.kind` column and the
    /// catalogue key `notify.<kind>` (its title) and `notify.kind.<kind>` (its name in the
    /// settings). `secret_item` (§7.2.2): a secret item was updated, told to someone outside
    /// its circle without its title (`args.item` names the kind of item).
    NotifyKind {
        ReviewWaiting = "review_waiting",
        RequestReturned = "request_returned",
        RequestRejected = "request_rejected",
        RequestDispatched = "request_dispatched",
        QuestionRouted = "question_routed",
        QuestionAnswered = "question_answered",
        Escalation = "escalation",
        LaunchDrafted = "launch_drafted",
        LaunchNoticeAtRisk = "launch_notice_at_risk",
        FeedbackReceived = "feedback_received",
        FeedbackAnswered = "feedback_answered",
        TicketAssigned = "ticket_assigned",
        TicketPartnerReplied = "ticket_partner_replied",
        TicketReplied = "ticket_replied",
        TicketResolved = "ticket_resolved",
        TicketSlaWarning = "ticket_sla_warning",
        TicketSlaBreached = "ticket_sla_breached",
        DataDue = "data_due",
        DataFollowUp = "data_follow_up",
        DataOverdue = "data_overdue",
        DataAnomaly = "data_anomaly",
        MeetingInvited = "meeting_invited",
        TaskDue = "task_due",
        TaskAssigned = "task_assigned",
        TaskOverdue = "task_overdue",
        CadenceShort = "cadence_short",
        VisitOverdue = "visit_overdue",
        AccessRequested = "access_requested",
        AccessDecided = "access_decided",
        IncidentReported = "incident_reported",
        LoginNewDevice = "login_new_device",
        SurveyInvited = "survey_invited",
        SurveyReminder = "survey_reminder",
        SecretItem = "secret_item",
    }
);

impl NotifyKind {
    /// E-mail is on unless the person turned it off; in-app is always on.
    pub const EMAIL_BY_DEFAULT: bool = true;

    /// Kinds a partner user receives; the rest are for staff.
    pub fn for_partners(self) -> bool {
        matches!(
            self,
            NotifyKind::QuestionAnswered
                | NotifyKind::FeedbackAnswered
                | NotifyKind::TicketReplied
                | NotifyKind::TicketResolved
                | NotifyKind::DataDue
                | NotifyKind::DataFollowUp
                | NotifyKind::MeetingInvited
                | NotifyKind::TaskDue
                | NotifyKind::SurveyInvited
                | NotifyKind::SurveyReminder
        )
    }

    /// The kinds a person with this side of the relationship can choose about.
    pub fn choosable(partner: bool) -> Vec<NotifyKind> {
        NotifyKind::ALL
            .iter()
            .copied()
            .filter(|k| !k.always_emailed() && k.for_partners() == partner)
            .collect()
    }

    /// Security alerts (§7.2.3: a login from a new device) reach everyone, staff and partner
    /// users alike, and their e-mail cannot be turned off: they are not among the choices.
    pub fn always_emailed(self) -> bool {
        matches!(self, NotifyKind::LoginNewDevice)
    }

    /// Escalations are e-mailed by their own job (the overdue list, §4.4.1); the notification
    /// only puts them in the bell.
    pub fn has_own_email(self) -> bool {
        matches!(self, NotifyKind::Escalation)
    }
}

/// A notification's title in `lang`: the message `notify.<kind>` with its `{ $name }`
/// placeholders filled from `args` (strings and numbers; anything else is left out).
pub fn title(lang: liaison_i18n::Lang, kind: NotifyKind, args: &serde_json::Value) -> String {
    // A secret item's notice names only its kind, in the reader's language
    // (`notify.secret_item.<kind>`).
    if kind == NotifyKind::SecretItem {
        let item = args
            .get("item")
            .and_then(|i| i.as_str())
            .and_then(|i| crate::access::ItemKind::parse(i).ok());
        let key = match item {
            Some(i) => format!("notify.secret_item.{}", i.as_str()),
            None => "notify.secret_item".to_string(),
        };
        return liaison_i18n::t(lang, &key).to_string();
    }
    let pairs: Vec<(&str, String)> = args
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k.as_str(), s.clone())),
                    serde_json::Value::Number(n) => Some((k.as_str(), n.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    liaison_i18n::tr(lang, &format!("notify.{}", kind.as_str()), &pairs)
}

/// Who is told of a post in a partner's thread (§4.4.1, §4.4.2): the partner writes → the
/// staff member it is routed to; the company answers → the partner's people who asked.
pub fn told_of_post(
    from_partner: bool,
    assignee: Option<Uuid>,
    partner_authors: &[Uuid],
) -> (NotifyKind, Vec<Uuid>) {
    if from_partner {
        (NotifyKind::QuestionRouted, assignee.into_iter().collect())
    } else {
        let mut people = partner_authors.to_vec();
        people.sort_unstable();
        people.dedup();
        (NotifyKind::QuestionAnswered, people)
    }
}

/// Where a notification about a thread leads: the console for staff, "my questions" in the
/// portal for partners.
pub fn thread_link(kind: NotifyKind, thread: Uuid) -> String {
    if kind.for_partners() {
        format!("/portal/questions/{thread}")
    } else {
        format!("/console/threads/{thread}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_as_they_are_written() {
        for k in NotifyKind::ALL {
            assert_eq!(NotifyKind::parse(k.as_str()), Ok(*k));
        }
    }

    #[test]
    fn partners_choose_only_about_answers_and_staff_about_the_rest() {
        assert_eq!(
            NotifyKind::choosable(true),
            vec![
                NotifyKind::QuestionAnswered,
                NotifyKind::FeedbackAnswered,
                NotifyKind::TicketReplied,
                NotifyKind::TicketResolved,
                NotifyKind::DataDue,
                NotifyKind::DataFollowUp,
                NotifyKind::MeetingInvited,
                NotifyKind::TaskDue,
                NotifyKind::SurveyInvited,
                NotifyKind::SurveyReminder
            ]
        );
        let staff = NotifyKind::choosable(false);
        assert!(staff.contains(&NotifyKind::ReviewWaiting));
        assert!(!staff.contains(&NotifyKind::QuestionAnswered));
        assert!(
            !staff.contains(&NotifyKind::LoginNewDevice),
            "a login alert cannot be turned off (§7.2.3)"
        );
    }

    #[test]
    fn a_partners_question_goes_to_its_assignee_and_the_answer_to_those_who_asked() {
        let (a, p1, p2) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            told_of_post(true, Some(a), &[p1]),
            (NotifyKind::QuestionRouted, vec![a])
        );
        assert_eq!(told_of_post(true, None, &[p1]).1, Vec::<Uuid>::new());
        let (kind, people) = told_of_post(false, Some(a), &[p2, p1, p2]);
        assert_eq!(kind, NotifyKind::QuestionAnswered);
        assert_eq!(people.len(), 2, "each asker once");
        assert!(thread_link(kind, a).starts_with("/portal/questions/"));
        assert!(thread_link(NotifyKind::QuestionRouted, a).starts_with("/console/threads/"));
    }

    #[test]
    fn a_secret_items_notice_names_its_kind_only() {
        let args = serde_json::json!({"item": "ticket"});
        let en = title(liaison_i18n::Lang::En, NotifyKind::SecretItem, &args);
        assert!(en.contains("secret ticket") && !en.contains('$'), "{en}");
        for lang in [liaison_i18n::Lang::ZhCn, liaison_i18n::Lang::ZhTw] {
            for item in crate::access::ItemKind::ALL {
                let args = serde_json::json!({"item": item.as_str()});
                let t = title(lang, NotifyKind::SecretItem, &args);
                assert!(!t.contains("notify.") && !t.is_empty(), "{t}");
            }
        }
        let odd = title(
            liaison_i18n::Lang::En,
            NotifyKind::SecretItem,
            &serde_json::json!({}),
        );
        assert!(!odd.contains("notify."), "{odd}");
    }

    #[test]
    fn titles_are_filled_in_the_readers_language() {
        let args = serde_json::json!({"title": "返利通知", "partners": 3});
        let zh = title(liaison_i18n::Lang::ZhCn, NotifyKind::Escalation, &args);
        assert!(
            zh.contains("返利通知") && zh.contains('3') && !zh.contains('$'),
            "{zh}"
        );
        let en = title(liaison_i18n::Lang::En, NotifyKind::ReviewWaiting, &args);
        assert_eq!(en, "Waiting for your review: 返利通知");
    }
}
