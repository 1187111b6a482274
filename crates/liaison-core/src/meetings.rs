//! Meetings, site visits and phone calls (policy §2.1.3, §2.2, §5.1, §5.3.1; SPEC C1-C5):
//! what a meeting is and which states it passes, when an invitation is late, the cadence the
//! policy sets (§5.1: the partner conference [X] times a year, quarterly meetings [X] a
//! quarter, monthly work meetings [X] a month) counted per period, the clashes a proposed time
//! meets (§5.3.1: times suit both sides and avoid important business), and when a partner is
//! due a visit (§2.2.2). Storage is liaison-db's `meetings`; doing it is liaison-app's.

use crate::calendar::{Calendar, DayKind, Tz, calendar_applies};
use crate::partner::WorkingHours;
use crate::str_enum;
use crate::validate::{FieldErrors, Msg};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

str_enum!(
    /// §5.1 and §2.1.3: the regular meetings the policy counts, and the others.
    MeetingKind { PartnerConference = "partner_conference", Quarterly = "quarterly", Monthly = "monthly", AdHoc = "ad_hoc", Training = "training", LaunchBriefing = "launch_briefing" }
);

str_enum!(
    /// `planned` (only the company sees it), `invited` (the invitations went out), `held`
    /// (minutes recorded), `cancelled` (a cancellation went to everyone invited).
    MeetingState { Planned = "planned", Invited = "invited", Held = "held", Cancelled = "cancelled" }
);

str_enum!(
    /// An invitee's answer (RFC 5545 PARTSTAT).
    Rsvp { NeedsAction = "needs_action", Accepted = "accepted", Declined = "declined", Tentative = "tentative" }
);

str_enum!(
    /// Where an answer came from.
    RsvpVia { Portal = "portal", Console = "console", Link = "link", Email = "email", Api = "api" }
);

str_enum!(
    /// An action item's state.
    TaskStatus { Open = "open", Done = "done", Cancelled = "cancelled" }
);

str_enum!(
    /// What an action item came out of.
    TaskSource { Meeting = "meeting", Visit = "visit", Call = "call" }
);

str_enum!(
    /// A site visit (§2.2.2): planned, reported (`done`) or called off.
    VisitState { Planned = "planned", Done = "done", Cancelled = "cancelled" }
);

str_enum!(
    /// §2.2.3: who called whom.
    CallDirection { Inbound = "inbound", Outbound = "outbound" }
);

str_enum!(
    /// What a proposed time runs into (§5.3.1). `outside_hours` is a warning, the rest clashes.
    ClashKind { Meeting = "meeting", Holiday = "holiday", NonWorkingDay = "non_working_day", BusinessDate = "business_date", Launch = "launch", OutsideHours = "outside_hours" }
);

str_enum!(
    /// How a period of the cadence stands: enough held (`met`), enough planned (`on_track`),
    /// short while there is still time (`heading_short`), ended short (`short`), not begun
    /// and nothing needed yet (`future`).
    CadenceStatus { Met = "met", OnTrack = "on_track", HeadingShort = "heading_short", Short = "short", Future = "future" }
);

str_enum!(
    /// The period a regular kind is counted over (§5.1).
    CadencePer { Year = "year", Quarter = "quarter", Month = "month" }
);

impl MeetingKind {
    /// The period §5.1 counts this kind over; `None` for the kinds it does not count.
    pub fn cadence_per(self) -> Option<CadencePer> {
        match self {
            MeetingKind::PartnerConference => Some(CadencePer::Year),
            MeetingKind::Quarterly => Some(CadencePer::Quarter),
            MeetingKind::Monthly => Some(CadencePer::Month),
            _ => None,
        }
    }

    /// The kinds §5.1 counts.
    pub const REGULAR: &'static [MeetingKind] = &[
        MeetingKind::PartnerConference,
        MeetingKind::Quarterly,
        MeetingKind::Monthly,
    ];
}

impl MeetingState {
    /// Still to happen: counts as planned in the cadence and can be changed.
    pub fn is_open(self) -> bool {
        matches!(self, MeetingState::Planned | MeetingState::Invited)
    }
}

/// The settings an admin or channel management edits (§5.1, §5.3.1, §2.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeetingSettings {
    /// §5.3.1: invitations go out at least this many days ahead, per kind; a later one is
    /// flagged late.
    pub notice_days: BTreeMap<MeetingKind, i64>,
    /// §5.1: how many of each regular kind its period needs.
    pub cadence: BTreeMap<MeetingKind, i64>,
    /// §2.2.2: months between site visits per partner tier (`A`, `B`, `C`, …).
    pub visit_months: BTreeMap<String, i64>,
    /// A video service's meeting address with `{id}` for the meeting, used when a meeting asks
    /// for a generated link (e.g. `https://meet.example.com/liaison-{id}`).
    pub video_url_template: Option<String>,
}

impl Default for MeetingSettings {
    fn default() -> Self {
        use MeetingKind::*;
        MeetingSettings {
            notice_days: [
                (PartnerConference, 30),
                (Quarterly, 14),
                (Monthly, 7),
                (AdHoc, 1),
                (Training, 7),
                (LaunchBriefing, 7),
            ]
            .into_iter()
            .collect(),
            cadence: [(PartnerConference, 1), (Quarterly, 1), (Monthly, 1)]
                .into_iter()
                .collect(),
            visit_months: [("A", 1), ("B", 3), ("C", 6)]
                .into_iter()
                .map(|(t, m)| (t.to_string(), m))
                .collect(),
            video_url_template: None,
        }
    }
}

impl MeetingSettings {
    pub fn notice_days(&self, kind: MeetingKind) -> i64 {
        self.notice_days.get(&kind).copied().unwrap_or(0)
    }

    pub fn required(&self, kind: MeetingKind) -> i64 {
        self.cadence.get(&kind).copied().unwrap_or(0)
    }

    /// Months between visits for `tier`; tiers not listed are visited twice a year.
    pub fn visit_months(&self, tier: &str) -> i64 {
        self.visit_months.get(tier.trim()).copied().unwrap_or(6)
    }

    /// Every field in range, every error at once.
    pub fn check(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        let range = |min: i64, max: i64| {
            Msg::new("validate.number_range")
                .arg("min", min)
                .arg("max", max)
        };
        for (k, d) in &self.notice_days {
            if !(0..=365).contains(d) {
                e.add(format!("notice_days.{}", k.as_str()), range(0, 365));
            }
        }
        for (k, n) in &self.cadence {
            if k.cadence_per().is_none() {
                e.add(
                    format!("cadence.{}", k.as_str()),
                    Msg::new("validate.invalid"),
                );
            } else if !(0..=31).contains(n) {
                e.add(format!("cadence.{}", k.as_str()), range(0, 31));
            }
        }
        for (t, m) in &self.visit_months {
            if t.trim().is_empty() || t.len() > 20 {
                e.add("visit_months", Msg::new("validate.invalid"));
            } else if !(1..=24).contains(m) {
                e.add(format!("visit_months.{t}"), range(1, 24));
            }
        }
        if let Some(t) = &self.video_url_template
            && (!t.starts_with("https://") || !t.contains("{id}") || t.len() > 500)
        {
            e.add("video_url_template", Msg::new("meeting.video_template"));
        }
        if e.is_empty() { Ok(()) } else { Err(e) }
    }

    /// The generated video link of meeting `id`, if a service is configured.
    pub fn video_url(&self, id: uuid::Uuid) -> Option<String> {
        self.video_url_template
            .as_ref()
            .map(|t| t.replace("{id}", &id.simple().to_string()))
    }
}

/// §5.3.1: an invitation sent less than the kind's notice days before the start is late.
pub fn is_late(invited_at: DateTime<Utc>, starts_at: DateTime<Utc>, notice_days: i64) -> bool {
    starts_at - invited_at < Duration::days(notice_days)
}

/// One period of one regular kind, as the cadence view shows it (§5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CadencePeriod {
    pub kind: MeetingKind,
    /// `2026`, `2026-Q3` or `2026-07`.
    pub period: String,
    pub start: NaiveDate,
    /// The last day of the period.
    pub end: NaiveDate,
    pub required: i64,
    /// Planned or invited, not yet held.
    pub planned: i64,
    pub held: i64,
    pub status: CadenceStatus,
}

/// The periods of `year` for `per`: (label, first day, last day).
pub fn periods(year: i32, per: CadencePer) -> Vec<(String, NaiveDate, NaiveDate)> {
    let first = |m: u32| NaiveDate::from_ymd_opt(year, m, 1);
    let span = |m: u32, months: u32| -> Option<(NaiveDate, NaiveDate)> {
        let s = first(m)?;
        let e = s.checked_add_months(Months::new(months))?.pred_opt()?;
        Some((s, e))
    };
    let mut out = Vec::new();
    match per {
        CadencePer::Year => {
            if let Some((s, e)) = span(1, 12) {
                out.push((year.to_string(), s, e));
            }
        }
        CadencePer::Quarter => {
            for q in 0..4u32 {
                if let Some((s, e)) = span(q * 3 + 1, 3) {
                    out.push((format!("{year}-Q{}", q + 1), s, e));
                }
            }
        }
        CadencePer::Month => {
            for m in 1..=12u32 {
                if let Some((s, e)) = span(m, 1) {
                    out.push((format!("{year}-{m:02}"), s, e));
                }
            }
        }
    }
    out
}

/// The period label holding `day` for `per`.
pub fn period_of(day: NaiveDate, per: CadencePer) -> String {
    match per {
        CadencePer::Year => day.year().to_string(),
        CadencePer::Quarter => format!("{}-Q{}", day.year(), day.month0() / 3 + 1),
        CadencePer::Month => format!("{}-{:02}", day.year(), day.month()),
    }
}

/// §5.1: per regular kind and period of `year`, how many meetings are required, planned and
/// held, and how the period stands on `today`. `meetings` are (kind, state, day in the
/// company's zone); cancelled ones do not count. A period still running, or starting within the
/// kind's notice days plus two weeks, without enough planned or held is heading short.
pub fn cadence(
    year: i32,
    settings: &MeetingSettings,
    meetings: &[(MeetingKind, MeetingState, NaiveDate)],
    today: NaiveDate,
) -> Vec<CadencePeriod> {
    let mut out = Vec::new();
    for &kind in MeetingKind::REGULAR {
        let Some(per) = kind.cadence_per() else {
            continue;
        };
        let required = settings.required(kind);
        let warn = Duration::days(settings.notice_days(kind) + 14);
        for (period, start, end) in periods(year, per) {
            let inside = meetings
                .iter()
                .filter(|(k, _, d)| *k == kind && start <= *d && *d <= end);
            let (mut planned, mut held) = (0, 0);
            for (_, s, _) in inside {
                match s {
                    MeetingState::Held => held += 1,
                    s if s.is_open() => planned += 1,
                    _ => {}
                }
            }
            let status = if held >= required {
                CadenceStatus::Met
            } else if end < today {
                CadenceStatus::Short
            } else if planned + held >= required {
                CadenceStatus::OnTrack
            } else if start - warn <= today {
                CadenceStatus::HeadingShort
            } else {
                CadenceStatus::Future
            };
            out.push(CadencePeriod {
                kind,
                period,
                start,
                end,
                required,
                planned,
                held,
                status,
            });
        }
    }
    out
}

/// A partner's clock as scheduling sees it (§5.3.2): its zone and working hours.
#[derive(Debug, Clone)]
pub struct PartnerClock {
    pub code: String,
    pub tz: Tz,
    pub hours: WorkingHours,
}

/// What a proposed time runs into (§5.3.1), one entry per kind and day, naming the partners
/// (codes) it touches or the other meeting, holiday or business date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clash {
    pub kind: ClashKind,
    pub on: NaiveDate,
    /// The other meeting, holiday, business date or launch.
    pub title: String,
    /// Partners (codes) it concerns; empty when it concerns everyone.
    pub partners: Vec<String>,
    /// The other meeting, for a `meeting` clash.
    pub meeting_id: Option<uuid::Uuid>,
}

impl Clash {
    /// `outside_hours` only warns; the others are clashes to avoid.
    pub fn is_warning(&self) -> bool {
        self.kind == ClashKind::OutsideHours
    }
}

/// The local days a span `[starts_at, ends_at)` touches in `tz`.
fn local_days(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, tz: Tz) -> Vec<NaiveDate> {
    let first = starts_at.with_timezone(&tz).date_naive();
    let last = (ends_at - Duration::seconds(1))
        .max(starts_at)
        .with_timezone(&tz)
        .date_naive();
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .take(31)
        .collect()
}

/// §5.3.1: the calendar clashes of a proposed time for the invited partners: a public holiday
/// of a partner's calendar (the shipped calendar counts only for partners on mainland China
/// time), another non-working day of theirs, a business date or launch on the day (company
/// zone), and times outside a partner's working hours (a warning). Clashes with other meetings
/// are found in storage and added by the caller. `holidays` names the calendar's days.
pub fn calendar_clashes(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    partners: &[PartnerClock],
    calendar: &Calendar,
    holidays: &BTreeMap<NaiveDate, String>,
    business: &[(NaiveDate, ClashKind, String)],
) -> Vec<Clash> {
    let mut found: BTreeMap<(ClashKind, NaiveDate, String), Vec<String>> = BTreeMap::new();
    let none = Calendar::default();
    for p in partners {
        let cal = if calendar_applies(p.tz) {
            calendar
        } else {
            &none
        };
        let days = local_days(starts_at, ends_at, p.tz);
        let mut all_working = true;
        for d in &days {
            if cal.kind_of(*d) == Some(DayKind::Holiday) {
                let name = holidays.get(d).cloned().unwrap_or_default();
                found
                    .entry((ClashKind::Holiday, *d, name))
                    .or_default()
                    .push(p.code.clone());
                all_working = false;
            } else if !cal.is_working_day(*d, &p.hours) {
                found
                    .entry((ClashKind::NonWorkingDay, *d, String::new()))
                    .or_default()
                    .push(p.code.clone());
                all_working = false;
            }
        }
        if all_working {
            let s = starts_at.with_timezone(&p.tz);
            let e = ends_at.with_timezone(&p.tz);
            let outside = s.time() < p.hours.start
                || e.time() > p.hours.end
                || e.date_naive() != s.date_naive();
            if outside {
                found
                    .entry((ClashKind::OutsideHours, s.date_naive(), String::new()))
                    .or_default()
                    .push(p.code.clone());
            }
        }
    }
    let company = local_days(starts_at, ends_at, crate::calendar::COMPANY_ZONE);
    for (d, kind, title) in business {
        if company.contains(d) {
            found.entry((*kind, *d, title.clone())).or_default();
        }
    }
    found
        .into_iter()
        .map(|((kind, on, title), mut partners)| {
            partners.sort();
            partners.dedup();
            Clash {
                kind,
                on,
                title,
                partners,
                meeting_id: None,
            }
        })
        .collect()
}

/// §2.2.2: the day a partner of `tier` is next due a visit: `months` after the last reported
/// visit, or at once (`today`) when it was never visited.
pub fn visit_due(
    last_visit: Option<NaiveDate>,
    tier: &str,
    settings: &MeetingSettings,
    today: NaiveDate,
) -> NaiveDate {
    let months = u32::try_from(settings.visit_months(tier)).unwrap_or(6);
    match last_visit {
        Some(d) => d.checked_add_months(Months::new(months)).unwrap_or(d),
        None => today,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn an_invitation_inside_the_notice_days_is_late_5_3_1() {
        let start = at("2026-12-15T06:00:00Z");
        assert!(!is_late(at("2026-12-08T06:00:00Z"), start, 7));
        assert!(is_late(at("2026-12-08T06:00:01Z"), start, 7));
        assert!(!is_late(at("2026-12-15T05:00:00Z"), start, 0));
    }

    #[test]
    fn the_cadence_counts_held_and_planned_per_period_and_flags_a_short_quarter_5_1() {
        let s = MeetingSettings::default();
        let m = [
            (
                MeetingKind::Quarterly,
                MeetingState::Held,
                day("2026-03-20"),
            ),
            (
                MeetingKind::Quarterly,
                MeetingState::Held,
                day("2026-06-18"),
            ),
            // Q3 had only a cancelled one: short.
            (
                MeetingKind::Quarterly,
                MeetingState::Cancelled,
                day("2026-09-10"),
            ),
            (
                MeetingKind::Quarterly,
                MeetingState::Invited,
                day("2026-12-17"),
            ),
            (MeetingKind::Monthly, MeetingState::Held, day("2026-11-05")),
            (
                MeetingKind::PartnerConference,
                MeetingState::Held,
                day("2026-04-22"),
            ),
        ];
        let rows = cadence(2026, &s, &m, day("2026-12-04"));
        let q = |p: &str| {
            rows.iter()
                .find(|r| r.kind == MeetingKind::Quarterly && r.period == p)
                .expect("period")
        };
        assert_eq!(q("2026-Q1").status, CadenceStatus::Met);
        assert_eq!(q("2026-Q3").status, CadenceStatus::Short);
        assert_eq!((q("2026-Q3").planned, q("2026-Q3").held), (0, 0));
        assert_eq!(q("2026-Q4").status, CadenceStatus::OnTrack);
        let month = |p: &str| {
            rows.iter()
                .find(|r| r.kind == MeetingKind::Monthly && r.period == p)
                .expect("month")
        };
        assert_eq!(month("2026-11").status, CadenceStatus::Met);
        assert_eq!(month("2026-10").status, CadenceStatus::Short);
        assert_eq!(month("2026-12").status, CadenceStatus::HeadingShort);
        let conf = rows
            .iter()
            .find(|r| r.kind == MeetingKind::PartnerConference)
            .expect("conference");
        assert_eq!(
            (conf.period.as_str(), conf.status),
            ("2026", CadenceStatus::Met)
        );
        assert_eq!(rows.len(), 1 + 4 + 12);
        // Next year's months far ahead are only future.
        let next = cadence(2027, &s, &[], day("2026-12-04"));
        let june = next.iter().find(|r| r.period == "2027-06").expect("june");
        assert_eq!(june.status, CadenceStatus::Future);
        let jan = next.iter().find(|r| r.period == "2027-01").expect("jan");
        assert_eq!(jan.status, CadenceStatus::Future);
        // Within the notice days plus two weeks of its start, an empty month is heading short.
        let later = cadence(2027, &s, &[], day("2026-12-12"));
        let jan = later.iter().find(|r| r.period == "2027-01").expect("jan");
        assert_eq!(jan.status, CadenceStatus::HeadingShort);
    }

    #[test]
    fn periods_cover_the_year_without_gaps() {
        for per in CadencePer::ALL {
            let p = periods(2028, *per);
            assert_eq!(p[0].1, day("2028-01-01"));
            assert_eq!(p[p.len() - 1].2, day("2028-12-31"));
            for w in p.windows(2) {
                assert_eq!(w[0].2.succ_opt(), Some(w[1].1));
            }
            assert_eq!(period_of(day("2028-02-29"), *per), {
                let found = p
                    .iter()
                    .find(|(_, s, e)| *s <= day("2028-02-29") && day("2028-02-29") <= *e)
                    .expect("in");
                found.0.clone()
            });
        }
    }

    fn clock(code: &str, tz: Tz) -> PartnerClock {
        PartnerClock {
            code: code.into(),
            tz,
            hours: WorkingHours::default(),
        }
    }

    #[test]
    fn a_holiday_a_weekend_and_hours_outside_the_partners_day_are_reported_5_3_1() {
        let cal = Calendar::from_days(&crate::calendar::china_mainland());
        let names: BTreeMap<NaiveDate, String> = crate::calendar::china_mainland()
            .into_iter()
            .map(|d| (d.date, d.name))
            .collect();
        let sh = clock("SH-D001", Tz::Asia__Shanghai);
        let berlin = clock("DE-A001", Tz::Europe__Berlin);
        // 1 October 2026, 14:00 Shanghai: National Day for SH, a Thursday in Berlin (08:00, before hours).
        let s = Tz::Asia__Shanghai
            .with_ymd_and_hms(2026, 10, 1, 14, 0, 0)
            .single()
            .expect("t")
            .with_timezone(&Utc);
        let c = calendar_clashes(
            s,
            s + Duration::hours(2),
            &[sh.clone(), berlin],
            &cal,
            &names,
            &[],
        );
        let holiday = c
            .iter()
            .find(|c| c.kind == ClashKind::Holiday)
            .expect("holiday");
        assert_eq!(holiday.partners, vec!["SH-D001".to_string()]);
        assert!(!holiday.title.is_empty());
        let early = c
            .iter()
            .find(|c| c.kind == ClashKind::OutsideHours)
            .expect("outside");
        assert_eq!(early.partners, vec!["DE-A001".to_string()]);
        assert!(early.is_warning() && !holiday.is_warning());
        // A Saturday that is not a make-up day; and a business date that day.
        let sat = Tz::Asia__Shanghai
            .with_ymd_and_hms(2026, 12, 12, 10, 0, 0)
            .single()
            .expect("t")
            .with_timezone(&Utc);
        let c = calendar_clashes(
            sat,
            sat + Duration::hours(1),
            std::slice::from_ref(&sh),
            &cal,
            &names,
            &[(
                day("2026-12-12"),
                ClashKind::BusinessDate,
                "年终盘点".into(),
            )],
        );
        assert!(c.iter().any(|c| c.kind == ClashKind::NonWorkingDay));
        assert!(
            c.iter()
                .any(|c| c.kind == ClashKind::BusinessDate && c.title == "年终盘点")
        );
        // A Tuesday afternoon is clear.
        let tue = Tz::Asia__Shanghai
            .with_ymd_and_hms(2026, 12, 15, 14, 0, 0)
            .single()
            .expect("t")
            .with_timezone(&Utc);
        assert!(
            calendar_clashes(tue, tue + Duration::hours(2), &[sh], &cal, &names, &[]).is_empty()
        );
    }

    #[test]
    fn visits_fall_due_by_tier_2_2_2() {
        let s = MeetingSettings::default();
        let today = day("2026-12-04");
        assert_eq!(
            visit_due(Some(day("2026-10-31")), "A", &s, today),
            day("2026-11-30")
        );
        assert_eq!(
            visit_due(Some(day("2026-10-31")), "B", &s, today),
            day("2027-01-31")
        );
        assert_eq!(visit_due(None, "C", &s, today), today);
        assert_eq!(
            visit_due(Some(day("2026-01-10")), "Z", &s, today),
            day("2026-07-10")
        );
    }

    #[test]
    fn settings_refuse_out_of_range_values_and_a_template_without_the_id() {
        let mut s = MeetingSettings::default();
        assert!(s.check().is_ok());
        s.notice_days.insert(MeetingKind::Monthly, 400);
        s.cadence.insert(MeetingKind::AdHoc, 2);
        s.video_url_template = Some("http://meet.example.com/x".into());
        let e = s.check().expect_err("bad");
        let fields: Vec<String> = e.0.iter().map(|f| f.field.clone()).collect();
        assert!(
            fields.contains(&"notice_days.monthly".to_string()),
            "{fields:?}"
        );
        assert!(fields.contains(&"cadence.ad_hoc".to_string()));
        assert!(fields.contains(&"video_url_template".to_string()));
        let ok = MeetingSettings {
            video_url_template: Some("https://meet.example.com/liaison-{id}".into()),
            ..Default::default()
        };
        assert_eq!(
            ok.video_url(uuid::Uuid::nil()).as_deref(),
            Some("https://meet.example.com/liaison-00000000000000000000000000000000")
        );
        let text = serde_json::to_string(&ok).expect("json");
        let back: MeetingSettings = serde_json::from_str(&text).expect("back");
        assert_eq!(back, ok);
        assert!(
            serde_json::from_str::<MeetingSettings>(r#"{"notice_days": {"weekly": 3}}"#).is_err()
        );
    }
}
