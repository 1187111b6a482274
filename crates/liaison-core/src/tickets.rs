//! Problem tickets (policy §3.4; SPEC D10, D11): a problem a partner reports, with an owner, a
//! clock and an outcome. This module decides the words (kinds, priorities, states), which moves
//! a ticket may make, where a new one is routed, when its SLA clocks fall due on the company's
//! working calendar (§5.3.2; urgent ones on the 24-hour clock, §5.2.2), and what a root-cause
//! report calls a recurrence (§3.4.3). The rows live in `liaison-db::tickets`, the operations
//! (who may, who is told) in `liaison-app::tickets`.

use crate::calendar::{Calendar, Tz};
use crate::partner::WorkingHours;
use crate::str_enum;
use crate::validate::{FieldErrors, Msg, optional_text, required_text};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

str_enum!(
    /// §3.4.1: what the problem is about.
    TicketKind { Marketing = "marketing", ProductQuality = "product_quality", CustomerComplaint = "customer_complaint", Other = "other" }
);

str_enum!(
    /// How fast it must be answered; `urgent` runs on the 24-hour clock (§5.2.2).
    TicketPriority { Urgent = "urgent", High = "high", Normal = "normal", Low = "low" }
);

str_enum!(
    /// Where a ticket stands. Reopening returns a resolved or closed ticket to `open`.
    TicketState { New = "new", Open = "open", WaitingPartner = "waiting_partner", Resolved = "resolved", Closed = "closed" }
);

str_enum!(
    /// How a ticket or a reply came in.
    TicketVia { Portal = "portal", Api = "api", Email = "email", Phone = "phone", Console = "console" }
);

str_enum!(
    /// The two SLA clocks of a ticket.
    SlaClock { FirstResponse = "first_response", Resolution = "resolution" }
);

str_enum!(
    /// What one entry of a ticket's timeline is.
    EventKind { Created = "created", Reply = "reply", Note = "note", State = "state", Assign = "assign", Merge = "merge", Rating = "rating", Breach = "breach", Reopen = "reopen" }
);

impl TicketState {
    /// Resolved and closed tickets no longer run a clock.
    pub fn is_done(self) -> bool {
        matches!(self, TicketState::Resolved | TicketState::Closed)
    }
}

/// What someone does to a ticket; [`next_state`] says whether it may and where it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A public reply from the company; `wait` asks the partner for something (§3.4.2).
    StaffReply {
        wait: bool,
    },
    /// A reply from the partner's side (portal, e-mail).
    PartnerReply,
    /// An internal note: never changes the state.
    Note,
    Resolve,
    /// The partner confirms the resolution (with or without a rating), or the confirmation
    /// window ends without an answer.
    Close,
    Reopen,
    /// Merged into a duplicate: closed, pointing at the survivor.
    Merge,
}

/// The state after `action` on a ticket in `from`, or why it may not.
pub fn next_state(from: TicketState, action: Action) -> Result<TicketState, Msg> {
    use TicketState::*;
    let refused =
        || Err(Msg::new("validate.ticket_move").arg_code("state", "ticket.state", from.as_str()));
    match (action, from) {
        (Action::Note, s) => Ok(s),
        (Action::StaffReply { wait }, New | Open | WaitingPartner) => {
            Ok(if wait { WaitingPartner } else { Open })
        }
        // A partner writing again on a ticket that waits for it hands the ball back.
        (Action::PartnerReply, New) => Ok(New),
        (Action::PartnerReply, Open | WaitingPartner) => Ok(Open),
        (Action::Resolve, New | Open | WaitingPartner) => Ok(Resolved),
        (Action::Close, Resolved) => Ok(Closed),
        (Action::Reopen, Resolved | Closed) => Ok(Open),
        (Action::Merge, New | Open | WaitingPartner) => Ok(Closed),
        _ => refused(),
    }
}

/// The SLA targets of one priority, in minutes of working time (wall-clock minutes for
/// urgent tickets, §5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTarget {
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

/// The ticket settings an admin edits: targets per priority, how long a resolved ticket waits
/// for the partner's confirmation, how long a reopen counts as one, and how early the assignee
/// is warned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketSettings {
    pub sla: BTreeMap<String, SlaTarget>,
    /// A resolved ticket with no answer from the partner closes after this many days.
    pub auto_close_days: i64,
    /// The partner may reopen a resolved or closed ticket within this many days.
    pub reopen_days: i64,
    /// The assignee is warned this many minutes before a clock runs out.
    pub warn_minutes: i64,
}

/// A working day's length in the default working hours (9:00–18:00).
const DAY: i64 = 9 * 60;

impl Default for TicketSettings {
    fn default() -> Self {
        let t = |first, resolution| SlaTarget {
            first_response_minutes: first,
            resolution_minutes: resolution,
        };
        let sla = [
            (TicketPriority::Urgent, t(60, 8 * 60)),
            (TicketPriority::High, t(4 * 60, 2 * DAY)),
            (TicketPriority::Normal, t(8 * 60, 5 * DAY)),
            (TicketPriority::Low, t(2 * DAY, 10 * DAY)),
        ]
        .into_iter()
        .map(|(p, t)| (p.as_str().to_string(), t))
        .collect();
        TicketSettings {
            sla,
            auto_close_days: 7,
            reopen_days: 14,
            warn_minutes: 60,
        }
    }
}

impl TicketSettings {
    /// The targets of `p` (the default's when the stored settings lack it).
    pub fn target(&self, p: TicketPriority) -> SlaTarget {
        self.sla
            .get(p.as_str())
            .copied()
            .or_else(|| TicketSettings::default().sla.get(p.as_str()).copied())
            .unwrap_or(SlaTarget {
                first_response_minutes: 8 * 60,
                resolution_minutes: 5 * DAY,
            })
    }

    /// Checks ranges; errors name the field (`sla.urgent.resolution_minutes`).
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        for (p, t) in &self.sla {
            if let Err(m) = TicketPriority::parse(p) {
                e.add(format!("sla.{p}"), m);
                continue;
            }
            let range = |v: i64| (1..=60 * 24 * 365).contains(&v);
            if !range(t.first_response_minutes) {
                e.add(
                    format!("sla.{p}.first_response_minutes"),
                    Msg::new("validate.number_range")
                        .arg("min", 1)
                        .arg("max", 60 * 24 * 365),
                );
            }
            if !range(t.resolution_minutes) {
                e.add(
                    format!("sla.{p}.resolution_minutes"),
                    Msg::new("validate.number_range")
                        .arg("min", 1)
                        .arg("max", 60 * 24 * 365),
                );
            } else if t.resolution_minutes < t.first_response_minutes {
                e.add(
                    format!("sla.{p}.resolution_minutes"),
                    Msg::new("validate.sla_order"),
                );
            }
        }
        for (field, v, max) in [
            ("auto_close_days", self.auto_close_days, 90),
            ("reopen_days", self.reopen_days, 365),
            ("warn_minutes", self.warn_minutes, 24 * 60),
        ] {
            if !(1..=max).contains(&v) {
                e.add(
                    field,
                    Msg::new("validate.number_range")
                        .arg("min", 1)
                        .arg("max", max),
                );
            }
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }
}

/// The company's working time a clock runs on (§5.3.2): its zone, hours and calendar.
#[derive(Debug, Clone)]
pub struct WorkTime<'a> {
    pub tz: Tz,
    pub hours: &'a WorkingHours,
    pub calendar: &'a Calendar,
}

impl WorkTime<'_> {
    /// The working period of local date `d` as UTC instants, when `d` is a working day.
    fn period(&self, d: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.calendar.is_working_day(d, self.hours) {
            return None;
        }
        let at = |t| {
            self.tz
                .from_local_datetime(&d.and_time(t))
                .earliest()
                .map(|x| x.with_timezone(&Utc))
        };
        let (s, e) = (at(self.hours.start)?, at(self.hours.end)?);
        (s < e).then_some((s, e))
    }

    /// The instant `minutes` of working time after `start` (§5.3.2: weekends and public
    /// holidays do not count, make-up working days do). Gives up after 400 days of calendar
    /// (a calendar with no working day) and answers with wall-clock minutes then.
    pub fn add(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let mut left = Duration::minutes(minutes.max(0));
        let mut day = start.with_timezone(&self.tz).date_naive();
        for _ in 0..400 {
            if let Some((s, e)) = self.period(day) {
                let from = s.max(start);
                if from < e {
                    if from + left <= e {
                        return from + left;
                    }
                    left -= e - from;
                }
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        start + Duration::minutes(minutes.max(0))
    }

    /// Minutes of working time in `[from, to)`.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = Duration::zero();
        let mut day = from.with_timezone(&self.tz).date_naive();
        let last = to.with_timezone(&self.tz).date_naive();
        while day <= last {
            if let Some((s, e)) = self.period(day) {
                let (a, b) = (s.max(from), e.min(to));
                if a < b {
                    total += b - a;
                }
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        total.num_minutes()
    }
}

/// How a priority's clocks count: urgent tickets on the 24-hour clock (§5.2.2), the others in
/// working time.
pub fn clock_add(
    work: &WorkTime<'_>,
    p: TicketPriority,
    start: DateTime<Utc>,
    minutes: i64,
) -> DateTime<Utc> {
    if p == TicketPriority::Urgent {
        start + Duration::minutes(minutes.max(0))
    } else {
        work.add(start, minutes)
    }
}

/// The minutes of clock time between two instants for a priority (what a pause costs).
pub fn clock_between(
    work: &WorkTime<'_>,
    p: TicketPriority,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> i64 {
    if p == TicketPriority::Urgent {
        (to - from).num_minutes().max(0)
    } else {
        work.between(from, to)
    }
}

/// What the SLA clocks need to know of a ticket.
#[derive(Debug, Clone, Copy)]
pub struct ClockState {
    pub priority: TicketPriority,
    pub state: TicketState,
    pub created_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    /// Clock minutes spent waiting for the partner before the current wait.
    pub paused_minutes: i64,
    /// When the current wait for the partner began.
    pub paused_at: Option<DateTime<Utc>>,
}

/// The due times of a ticket's two clocks (§3.4.2, §5.2.2): `None` when the clock is stopped
/// (answered, resolved) or paused (waiting for the partner: its remaining time is frozen).
pub fn due_times(
    work: &WorkTime<'_>,
    target: SlaTarget,
    c: &ClockState,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let first = c.first_response_at.is_none().then(|| {
        clock_add(
            work,
            c.priority,
            c.created_at,
            target.first_response_minutes,
        )
    });
    let resolution = (!c.state.is_done() && c.paused_at.is_none()).then(|| {
        clock_add(
            work,
            c.priority,
            c.created_at,
            target.resolution_minutes + c.paused_minutes,
        )
    });
    (first, resolution)
}

/// A routing rule an admin edits: the first rule (by `position`) whose set fields all match
/// sends the ticket to its department and, when set, its person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub id: Uuid,
    pub position: i64,
    pub kind: Option<TicketKind>,
    pub product_category: Option<String>,
    pub region: Option<String>,
    pub department_id: Uuid,
    pub assignee_id: Option<Uuid>,
}

/// The rule for a new ticket: the most specific matching rule (most fields set), the earliest
/// position among equals; `None` sends it to the partner's channel manager.
pub fn route<'a>(
    rules: &'a [Route],
    kind: TicketKind,
    product_category: Option<&str>,
    region: &str,
) -> Option<&'a Route> {
    rules
        .iter()
        .filter(|r| {
            r.kind.is_none_or(|k| k == kind)
                && r.product_category
                    .as_deref()
                    .is_none_or(|c| Some(c) == product_category)
                && r.region.as_deref().is_none_or(|g| g == region)
        })
        .min_by_key(|r| {
            let specific = usize::from(r.kind.is_some())
                + usize::from(r.product_category.is_some())
                + usize::from(r.region.is_some());
            (std::cmp::Reverse(specific), r.position)
        })
}

/// A new ticket's text, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketText {
    pub subject: String,
    pub description: String,
    pub product_text: Option<String>,
}

pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 20_000;

/// Checks a ticket's subject, description (Markdown) and free-text product.
pub fn parse_ticket_text(
    subject: &str,
    description: &str,
    product_text: &str,
) -> Result<TicketText, FieldErrors> {
    let mut e = FieldErrors::new();
    let subject = e.take("subject", required_text(subject, SUBJECT_MAX));
    let description = e.take("description", required_text(description, BODY_MAX));
    let product_text = e.take("product_text", optional_text(product_text, 200));
    match (subject, description, product_text) {
        (Some(subject), Some(description), Some(product_text)) if e.is_empty() => Ok(TicketText {
            subject,
            description,
            product_text,
        }),
        _ => Err(e),
    }
}

/// A satisfaction rating (§6.1.3): 1 to 5.
pub fn parse_score(score: i64) -> Result<i64, Msg> {
    if (1..=5).contains(&score) {
        Ok(score)
    } else {
        Err(Msg::new("validate.number_range")
            .arg("min", 1)
            .arg("max", 5))
    }
}

/// Whether a reopen still counts (§3.4.2): within `days` of the resolution.
pub fn may_reopen(resolved_at: Option<DateTime<Utc>>, now: DateTime<Utc>, days: i64) -> bool {
    resolved_at.is_some_and(|r| now - r <= Duration::days(days))
}

/// §3.4.3: how close two resolutions with the same cause on the same product must be to count
/// as a recurrence.
pub const RECURRENCE_DAYS: i64 = 90;

/// One resolved ticket, as the recurrence rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub ticket: Uuid,
    pub product: String,
    pub root_cause: String,
    pub resolved_at: DateTime<Utc>,
}

/// A cause that came back on a product (§3.4.3): the tickets, oldest first, each resolved
/// within 90 days of the one before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recurrence {
    pub product: String,
    pub root_cause: String,
    pub tickets: Vec<Uuid>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// The recurrences among `items`: runs of two or more resolutions with the same cause on the
/// same product, each within [`RECURRENCE_DAYS`] of the previous one.
pub fn recurrences(items: &[Resolved]) -> Vec<Recurrence> {
    let mut groups: BTreeMap<(&str, &str), Vec<&Resolved>> = BTreeMap::new();
    for r in items {
        groups
            .entry((r.product.as_str(), r.root_cause.as_str()))
            .or_default()
            .push(r);
    }
    let mut out = Vec::new();
    for ((product, cause), mut v) in groups {
        v.sort_by_key(|r| (r.resolved_at, r.ticket));
        let mut run: Vec<&Resolved> = Vec::new();
        let mut flush = |run: &mut Vec<&Resolved>| {
            if run.len() >= 2 {
                out.push(Recurrence {
                    product: product.to_string(),
                    root_cause: cause.to_string(),
                    tickets: run.iter().map(|r| r.ticket).collect(),
                    first_at: run[0].resolved_at,
                    last_at: run[run.len() - 1].resolved_at,
                });
            }
            run.clear();
        };
        for r in v {
            if let Some(last) = run.last()
                && r.resolved_at - last.resolved_at > Duration::days(RECURRENCE_DAYS)
            {
                flush(&mut run);
            }
            run.push(r);
        }
        flush(&mut run);
    }
    out.sort_by(|a, b| {
        b.tickets
            .len()
            .cmp(&a.tickets.len())
            .then(a.first_at.cmp(&b.first_at))
    });
    out
}

/// The root-cause taxonomy shipped with Liaison (§3.4.3), editable by admins: `(code, 中文,
/// English)`.
pub const ROOT_CAUSES: &[(&str, &str, &str)] = &[
    ("product_defect", "产品缺陷", "Product defect"),
    ("documentation", "资料说明不清", "Documentation"),
    ("logistics", "物流配送", "Logistics"),
    ("pricing", "价格政策", "Pricing"),
    ("training", "培训不足", "Training"),
    ("partner_process", "伙伴流程", "Partner process"),
    ("other", "其他", "Other"),
];

/// A root-cause code: lowercase letters, digits and `_`, 2–40 characters.
pub fn parse_cause_code(s: &str) -> Result<String, Msg> {
    let t = s.trim();
    if (2..=40).contains(&t.len())
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        Ok(t.to_string())
    } else {
        Err(Msg::new("validate.code_format"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DayKind;

    fn at(s: &str) -> DateTime<Utc> {
        // Local Beijing time written out; the company's zone.
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time");
        Tz::Asia__Shanghai
            .from_local_datetime(&naive)
            .single()
            .expect("one instant")
            .with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn work<'a>(hours: &'a WorkingHours, cal: &'a Calendar) -> WorkTime<'a> {
        WorkTime {
            tz: Tz::Asia__Shanghai,
            hours,
            calendar: cal,
        }
    }

    #[test]
    fn working_time_skips_the_weekend() {
        // §5.3.2: Friday 2026-12-04 17:00 + 2 working hours = Monday 10:00.
        let (h, c) = (WorkingHours::default(), Calendar::default());
        let w = work(&h, &c);
        assert_eq!(w.add(at("2026-12-04 17:00"), 120), at("2026-12-07 10:00"));
        assert_eq!(
            w.between(at("2026-12-04 17:00"), at("2026-12-07 10:00")),
            120
        );
    }

    #[test]
    fn working_time_skips_a_holiday_and_counts_a_make_up_day() {
        // A holiday on Monday, a make-up working Sunday before it.
        let c = Calendar::new([
            (date("2027-02-08"), DayKind::Holiday),
            (date("2027-02-07"), DayKind::Workday),
        ]);
        let h = WorkingHours::default();
        let w = work(&h, &c);
        // Friday 17:00 + 3 h: 1 h Friday, 2 h on the make-up Sunday.
        assert_eq!(w.add(at("2027-02-05 17:00"), 180), at("2027-02-07 11:00"));
        // Sunday 17:00 + 2 h: 1 h Sunday, Monday is a holiday, 1 h Tuesday.
        assert_eq!(w.add(at("2027-02-07 17:00"), 120), at("2027-02-09 10:00"));
    }

    #[test]
    fn working_time_starting_at_night_begins_the_next_morning() {
        let (h, c) = (WorkingHours::default(), Calendar::default());
        let w = work(&h, &c);
        assert_eq!(w.add(at("2026-12-01 22:30"), 30), at("2026-12-02 09:30"));
        assert_eq!(w.add(at("2026-12-01 22:30"), 0), at("2026-12-02 09:00"));
    }

    #[test]
    fn urgent_tickets_run_on_the_24_hour_clock() {
        // §5.2.2: a Saturday-night urgent ticket is due an hour later, not on Monday.
        let (h, c) = (WorkingHours::default(), Calendar::default());
        let w = work(&h, &c);
        let start = at("2026-12-05 23:00");
        assert_eq!(
            clock_add(&w, TicketPriority::Urgent, start, 60),
            at("2026-12-06 00:00")
        );
        assert_eq!(
            clock_add(&w, TicketPriority::Normal, start, 60),
            at("2026-12-07 10:00")
        );
    }

    #[test]
    fn a_wait_for_the_partner_pushes_the_resolution_due_time() {
        let (h, c) = (WorkingHours::default(), Calendar::default());
        let w = work(&h, &c);
        let target = SlaTarget {
            first_response_minutes: 60,
            resolution_minutes: 240,
        };
        let mut s = ClockState {
            priority: TicketPriority::Normal,
            state: TicketState::Open,
            created_at: at("2026-12-01 09:00"),
            first_response_at: Some(at("2026-12-01 09:30")),
            paused_minutes: 0,
            paused_at: None,
        };
        assert_eq!(
            due_times(&w, target, &s),
            (None, Some(at("2026-12-01 13:00")))
        );
        s.paused_at = Some(at("2026-12-01 10:00"));
        s.state = TicketState::WaitingPartner;
        assert_eq!(due_times(&w, target, &s), (None, None));
        // The partner answered at 15:00: 5 working hours of waiting.
        s.paused_minutes = w.between(at("2026-12-01 10:00"), at("2026-12-01 15:00"));
        s.paused_at = None;
        s.state = TicketState::Open;
        assert_eq!(
            due_times(&w, target, &s),
            (None, Some(at("2026-12-01 18:00")))
        );
    }

    #[test]
    fn moves_follow_the_ticket_lifecycle() {
        use TicketState::*;
        assert_eq!(
            next_state(New, Action::StaffReply { wait: false }),
            Ok(Open)
        );
        assert_eq!(
            next_state(Open, Action::StaffReply { wait: true }),
            Ok(WaitingPartner)
        );
        assert_eq!(next_state(WaitingPartner, Action::PartnerReply), Ok(Open));
        assert_eq!(next_state(Open, Action::Resolve), Ok(Resolved));
        assert_eq!(next_state(Resolved, Action::Close), Ok(Closed));
        assert_eq!(next_state(Closed, Action::Reopen), Ok(Open));
        assert!(next_state(Closed, Action::Resolve).is_err());
        assert!(next_state(Resolved, Action::StaffReply { wait: false }).is_err());
        assert!(next_state(Closed, Action::Merge).is_err());
        assert_eq!(next_state(Closed, Action::Note), Ok(Closed));
    }

    fn rule(pos: i64, kind: Option<TicketKind>, cat: Option<&str>, region: Option<&str>) -> Route {
        Route {
            id: Uuid::now_v7(),
            position: pos,
            kind,
            product_category: cat.map(str::to_string),
            region: region.map(str::to_string),
            department_id: Uuid::now_v7(),
            assignee_id: None,
        }
    }

    #[test]
    fn routing_takes_the_most_specific_matching_rule() {
        let rules = vec![
            rule(1, Some(TicketKind::ProductQuality), None, None),
            rule(2, Some(TicketKind::ProductQuality), Some("变频器"), None),
            rule(3, None, None, Some("华东")),
        ];
        let hit = |k, c, r| route(&rules, k, c, r).map(|r| r.position);
        assert_eq!(
            hit(TicketKind::ProductQuality, Some("变频器"), "华北"),
            Some(2)
        );
        assert_eq!(
            hit(TicketKind::ProductQuality, Some("电机"), "华北"),
            Some(1)
        );
        assert_eq!(hit(TicketKind::Marketing, None, "华东"), Some(3));
        assert_eq!(hit(TicketKind::Marketing, None, "华南"), None);
    }

    #[test]
    fn a_recurrence_is_the_same_cause_on_the_same_product_within_90_days() {
        let day = |d: i64| at("2026-01-01 10:00") + Duration::days(d);
        let r = |d, p: &str, c: &str| Resolved {
            ticket: Uuid::now_v7(),
            product: p.into(),
            root_cause: c.into(),
            resolved_at: day(d),
        };
        let items = vec![
            r(0, "A", "product_defect"),
            r(30, "A", "product_defect"),
            r(200, "A", "product_defect"),
            r(10, "B", "product_defect"),
            r(20, "A", "logistics"),
        ];
        let got = recurrences(&items);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].product, "A");
        assert_eq!(got[0].tickets, vec![items[0].ticket, items[1].ticket]);
    }

    #[test]
    fn settings_refuse_targets_out_of_order() {
        let mut s = TicketSettings::default();
        assert!(s.check().is_ok());
        s.sla.insert(
            "high".into(),
            SlaTarget {
                first_response_minutes: 600,
                resolution_minutes: 60,
            },
        );
        s.auto_close_days = 0;
        let e = s.check().expect_err("refused");
        assert!(e.get("sla.high.resolution_minutes").is_some());
        assert!(e.get("auto_close_days").is_some());
    }
}
