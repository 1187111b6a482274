//! iCalendar (RFC 5545) feeds: the launch calendar (policy §3.2.2) as all-day events that
//! calendar programs subscribe to. Text is escaped (`\`, `;`, `,`, line breaks) and lines are
//! folded at 75 octets without splitting a UTF-8 character (Chinese summaries).
//!
//! Meeting invitations use the same writer rules: [`write_meetings`] produces one iTIP
//! (RFC 5546) calendar object of timed events with a `VTIMEZONE` per zone, generated from
//! `chrono-tz` (no tzdata files are read), and [`parse_reply`] reads the answers that calendar
//! programs mail back.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz, TzOffset};

/// One all-day event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcsEvent {
    /// Stable across feeds (`<id>@liaison`): calendars update the event instead of adding one.
    pub uid: String,
    /// When the event last changed, UTC: `20261204T160500Z`.
    pub stamp: String,
    /// The day, `20270301`.
    pub day: String,
    /// The next day (the exclusive end of an all-day event).
    pub next_day: String,
    pub summary: String,
    pub description: String,
    pub categories: Vec<String>,
}

/// The calendar `name` holding `events`, CRLF line ends.
pub fn write_ics(name: &str, events: &[IcsEvent]) -> String {
    let mut out = String::new();
    let mut line = |s: String| fold(&mut out, &s);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Liaison//Launch calendar//EN".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&e.uid)));
        line(format!("DTSTAMP:{}", e.stamp));
        line(format!("DTSTART;VALUE=DATE:{}", e.day));
        line(format!("DTEND;VALUE=DATE:{}", e.next_day));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&e.description)));
        }
        if !e.categories.is_empty() {
            let c: Vec<String> = e.categories.iter().map(|c| escape(c)).collect();
            line(format!("CATEGORIES:{}", c.join(",")));
        }
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

/// TEXT escaping (RFC 5545 §3.3.11); other control characters are dropped.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => o.push_str("\\\\"),
            ';' => o.push_str("\\;"),
            ',' => o.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => o.push_str("\\n"),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// Appends `s` folded into lines of at most 75 octets (continuations start with a space).
fn fold(out: &mut String, s: &str) {
    let mut width = 0;
    for c in s.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

// ---------------------------------------------------------------------------------------------
// Meeting invitations: timed events with iTIP methods (RFC 5546) and their VTIMEZONEs.

/// The iTIP method of a calendar object (RFC 5546 §1.4, §3.2; the `METHOD` property,
/// RFC 5545 §3.7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// RFC 5546 §3.2.1: a publication; no replies are expected.
    Publish,
    /// RFC 5546 §3.2.2: an invitation, or an update of one (same UID, higher SEQUENCE).
    Request,
    /// RFC 5546 §3.2.5: the meeting is called off.
    Cancel,
    /// RFC 5546 §3.2.3: an attendee's answer.
    Reply,
}

impl Method {
    /// The `METHOD` value: `PUBLISH`, `REQUEST`, `CANCEL`, `REPLY`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Reply => "REPLY",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An attendee's participation status for an event (the `PARTSTAT` parameter, RFC 5545
/// §3.2.12). The other registered values (`DELEGATED`, `COMPLETED`, `IN-PROCESS`) belong to
/// delegation and to-dos and are not used for meetings here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartStat {
    NeedsAction,
    Accepted,
    Declined,
    Tentative,
}

impl PartStat {
    const ALL: [PartStat; 4] = [
        PartStat::NeedsAction,
        PartStat::Accepted,
        PartStat::Declined,
        PartStat::Tentative,
    ];

    /// The parameter value: `NEEDS-ACTION`, `ACCEPTED`, `DECLINED`, `TENTATIVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            PartStat::NeedsAction => "NEEDS-ACTION",
            PartStat::Accepted => "ACCEPTED",
            PartStat::Declined => "DECLINED",
            PartStat::Tentative => "TENTATIVE",
        }
    }
}

impl fmt::Display for PartStat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `PARTSTAT` value that is not one of [`PartStat`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown participation status {0:?}")]
pub struct UnknownPartStat(pub String);

impl FromStr for PartStat {
    type Err = UnknownPartStat;

    /// Parameter values are case-insensitive (RFC 5545 §3.2): `accepted` is `ACCEPTED`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        PartStat::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| UnknownPartStat(s.to_string()))
    }
}

/// A calendar user: the organizer or an attendee (RFC 5545 §3.8.4.1, §3.8.4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The common name (`CN=`); may be empty.
    pub name: String,
    /// The address, written as `mailto:` (a leading `mailto:` here is not doubled).
    pub email: String,
    /// Ignored for the organizer.
    pub partstat: PartStat,
    /// Whether an answer is wanted (`RSVP=TRUE`). Ignored for the organizer.
    pub rsvp: bool,
}

/// One timed meeting (a `VEVENT`, RFC 5545 §3.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// Stable per meeting (`<uuid>@liaison`): updates and cancels refer to it (§3.8.4.7).
    pub uid: String,
    /// Raised on every change the attendees should see (§3.8.7.4); negative values are written
    /// as 0.
    pub sequence: i64,
    /// `DTSTAMP`: when this calendar object was made (§3.8.7.2).
    pub stamp: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The meeting's zone: `DTSTART;TZID=Asia/Shanghai:20261215T140000`. UTC-named zones
    /// (`UTC`, `Etc/UTC`, ...) are written as UTC times (`...Z`) without a `VTIMEZONE`.
    pub tz: Tz,
    pub summary: String,
    /// Plain text (the agenda), may be multi-line.
    pub description: String,
    pub location: Option<String>,
    /// The video link.
    pub url: Option<String>,
    pub organizer: Attendee,
    pub attendees: Vec<Attendee>,
    /// `STATUS:CANCELLED` (else `CONFIRMED`); a [`Method::Cancel`] object is always
    /// `CANCELLED` (RFC 5546 §3.2.5).
    pub cancelled: bool,
}

/// One calendar object (RFC 5545 §3.4) for `method`: the calendar properties, then one
/// `VTIMEZONE` per distinct `TZID` used by `events` (§3.6.5), then one `VEVENT` per meeting.
/// CRLF line ends, lines folded at 75 octets (§3.1), text escaped (§3.3.11).
///
/// For [`Method::Reply`] the attendees are written as given: pass only the replying attendee(s)
/// (RFC 5546 §3.2.3).
pub fn write_meetings(method: Method, calendar_name: Option<&str>, events: &[Meeting]) -> String {
    let mut out = String::new();
    fold(&mut out, "BEGIN:VCALENDAR");
    fold(&mut out, "PRODID:-//Liaison//Meetings//EN");
    fold(&mut out, "VERSION:2.0");
    fold(&mut out, "CALSCALE:GREGORIAN");
    fold(&mut out, &format!("METHOD:{}", method.as_str()));
    if let Some(name) = calendar_name {
        fold(&mut out, &format!("X-WR-CALNAME:{}", escape(name)));
    }
    let mut zones: Vec<Tz> = Vec::new();
    for e in events {
        if !is_utc(e.tz) && !zones.contains(&e.tz) {
            zones.push(e.tz);
        }
    }
    for tz in zones {
        let years = events
            .iter()
            .filter(|e| e.tz == tz)
            .flat_map(|e| [e.starts_at.year(), e.ends_at.year()]);
        let (first, last) = years.fold((i32::MAX, i32::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
        write_vtimezone(&mut out, tz, first, last);
    }
    for e in events {
        write_vevent(&mut out, method, e);
    }
    fold(&mut out, "END:VCALENDAR");
    out
}

fn write_vevent(out: &mut String, method: Method, e: &Meeting) {
    fold(out, "BEGIN:VEVENT");
    fold(out, &format!("UID:{}", escape(&e.uid)));
    fold(out, &format!("SEQUENCE:{}", e.sequence.max(0)));
    fold(out, &format!("DTSTAMP:{}", utc_time(e.stamp)));
    fold(out, &date_time("DTSTART", e.starts_at, e.tz));
    fold(out, &date_time("DTEND", e.ends_at, e.tz));
    fold(out, &format!("SUMMARY:{}", escape(&e.summary)));
    if !e.description.is_empty() {
        fold(out, &format!("DESCRIPTION:{}", escape(&e.description)));
    }
    if let Some(l) = e.location.as_deref().filter(|l| !l.is_empty()) {
        fold(out, &format!("LOCATION:{}", escape(l)));
    }
    // URL is a URI (§3.8.4.6), not TEXT: no backslash escapes, which would break the link.
    if let Some(u) = e.url.as_deref().map(uri).filter(|u| !u.is_empty()) {
        fold(out, &format!("URL:{u}"));
    }
    let mut organizer = String::from("ORGANIZER");
    push_cn(&mut organizer, &e.organizer.name);
    organizer.push(':');
    organizer.push_str(&mailto(&e.organizer.email));
    fold(out, &organizer);
    for a in &e.attendees {
        let mut line = String::from("ATTENDEE");
        push_cn(&mut line, &a.name);
        line.push_str(";ROLE=REQ-PARTICIPANT;PARTSTAT=");
        line.push_str(a.partstat.as_str());
        line.push_str(if a.rsvp {
            ";RSVP=TRUE:"
        } else {
            ";RSVP=FALSE:"
        });
        line.push_str(&mailto(&a.email));
        fold(out, &line);
    }
    let cancelled = e.cancelled || method == Method::Cancel;
    fold(
        out,
        if cancelled {
            "STATUS:CANCELLED"
        } else {
            "STATUS:CONFIRMED"
        },
    );
    fold(out, "TRANSP:OPAQUE");
    fold(out, "END:VEVENT");
}

/// `;CN=...` unless the name is empty: a parameter value (RFC 5545 §3.1, §3.2.2) cannot hold
/// DQUOTE or control characters, and is quoted when it holds `:`, `;` or `,`.
fn push_cn(line: &mut String, name: &str) {
    let v = param_value(name);
    if !v.is_empty() {
        line.push_str(";CN=");
        line.push_str(&v);
    }
}

fn param_value(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if clean.contains([':', ';', ',']) {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// A URI value: control characters (line breaks) dropped, surrounding blanks trimmed.
fn uri(s: &str) -> String {
    s.trim().chars().filter(|c| !c.is_control()).collect()
}

/// A CAL-ADDRESS (RFC 5545 §3.3.3): `mailto:` and the address without blanks or controls.
fn mailto(email: &str) -> String {
    let e: String = email
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    format!("mailto:{}", strip_mailto(&e).unwrap_or(&e))
}

/// The rest of `s` after a case-insensitive `mailto:`.
fn strip_mailto(s: &str) -> Option<&str> {
    s.get(..7)
        .filter(|p| p.eq_ignore_ascii_case("mailto:"))
        .and_then(|_| s.get(7..))
}

/// A UTC DATE-TIME (RFC 5545 §3.3.5, form #2): `20261215T060000Z`.
fn utc_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local_time(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

/// Zones that are UTC by name: their times are written in UTC form, without a TZID.
fn is_utc(tz: Tz) -> bool {
    matches!(
        tz.name(),
        "UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Etc/Universal" | "Universal" | "Etc/Zulu" | "Zulu"
    )
}

/// `DTSTART;TZID=Europe/Berlin:20261215T090000` (RFC 5545 §3.3.5, form #3). A local time that
/// occurs twice (the hour repeated when clocks go back) means its first occurrence (§3.3.5), so
/// an instant in the second one is written in UTC form instead.
fn date_time(name: &str, at: DateTime<Utc>, tz: Tz) -> String {
    if is_utc(tz) {
        return format!("{name}:{}", utc_time(at));
    }
    let local = at.with_timezone(&tz).naive_local();
    match tz.from_local_datetime(&local) {
        LocalResult::Ambiguous(first, _) if first.with_timezone(&Utc) != at => {
            format!("{name}:{}", utc_time(at))
        }
        _ => format!("{name};TZID={}:{}", tz.name(), local_time(local)),
    }
}

/// `+0800`, `-0330`, `+005328` (UTC-OFFSET, RFC 5545 §3.3.14; seconds only when not zero).
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let a = seconds.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

/// The offset in force at the Unix time `ts`, if `ts` is a representable time.
fn offset_at(tz: Tz, ts: i64) -> Option<TzOffset> {
    DateTime::from_timestamp(ts, 0).map(|t| tz.offset_from_utc_datetime(&t.naive_utc()))
}

/// 00:00 UTC on January 1 of `year` (clamped to the years chrono represents), as Unix time.
fn year_start(year: i32) -> i64 {
    let y = year.clamp(NaiveDate::MIN.year() + 1, NaiveDate::MAX.year() - 1);
    NaiveDate::from_ymd_opt(y, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp())
}

/// chrono-tz's tables hold no offset changes outside these years (its first is in the 1840s,
/// its rules are expanded to about 2100), so the scan never goes further: a calendar with a
/// meeting in year 9999 still costs at most a few hundred years of steps.
const SCAN_FIRST_YEAR: i32 = 1800;
const SCAN_LAST_YEAR: i32 = 2400;

/// The scan step. Offsets are compared every 6 hours and a change is pinned to the second by
/// bisection; two changes that cancel out within one step would be missed (tzdata has none).
const SCAN_STEP: i64 = 6 * 3600;

/// The changes of `tz`'s offset (total offset, DST part or abbreviation) at Unix times in
/// `(from, to]`: `(when, offset before, offset after)`.
fn transitions(tz: Tz, from: i64, to: i64) -> Vec<(i64, TzOffset, TzOffset)> {
    let mut found = Vec::new();
    let from = from.max(year_start(SCAN_FIRST_YEAR));
    let to = to.min(year_start(SCAN_LAST_YEAR));
    let Some(mut current) = offset_at(tz, from) else {
        return found;
    };
    let mut t = from;
    while t < to {
        let next = t.saturating_add(SCAN_STEP).min(to);
        let Some(there) = offset_at(tz, next) else {
            break;
        };
        if there == current {
            t = next;
            continue;
        }
        // Invariant: the offset at `lo` is `current`, at `hi` it is not.
        let (mut lo, mut hi) = (t, next);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if offset_at(tz, mid) == Some(current) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let Some(after) = offset_at(tz, hi) else {
            break;
        };
        found.push((hi, current, after));
        current = after;
        t = hi;
    }
    found
}

/// The `VTIMEZONE` of `tz` (RFC 5545 §3.6.5) for events in the years `first..=last`: the
/// observance in force on January 1 of `first - 1` (dated 1970-01-01, or that day when it is
/// earlier, so that earlier times resolve too), then one `STANDARD` or `DAYLIGHT` observance per
/// offset change until December 31 of `last + 1`. Each change's `DTSTART` is the wall time in
/// the offset in force before it (§3.6.5: "DTSTART ... MUST be specified as a date with local
/// time value"; it is interpreted in `TZOFFSETFROM`): Berlin's spring change is
/// `DTSTART:20260329T020000`, `TZOFFSETFROM:+0100`, `TZOFFSETTO:+0200`.
fn write_vtimezone(out: &mut String, tz: Tz, first: i32, last: i32) {
    let from = year_start(first.saturating_sub(1));
    let to = year_start(last.saturating_add(2));
    fold(out, "BEGIN:VTIMEZONE");
    fold(out, &format!("TZID:{}", tz.name()));
    if let Some(initial) = offset_at(tz, from) {
        let since = if from < 0 {
            DateTime::from_timestamp(from, 0).map(|t| t.with_timezone(&initial.fix()).naive_local())
        } else {
            None
        };
        let since = since.map_or_else(|| "19700101T000000".to_string(), local_time);
        observance(out, &since, &initial, &initial);
    }
    for (at, before, after) in transitions(tz, from, to) {
        let Some(wall) =
            DateTime::from_timestamp(at, 0).map(|t| t.with_timezone(&before.fix()).naive_local())
        else {
            continue;
        };
        observance(out, &local_time(wall), &before, &after);
    }
    fold(out, "END:VTIMEZONE");
}

/// One `STANDARD` or `DAYLIGHT` sub-component (RFC 5545 §3.6.5): `DAYLIGHT` when the new offset
/// has a DST part (tzdata's `isdst`; Europe/Dublin's winter time has a negative one).
/// `TZNAME` is chrono-tz's abbreviation unless that is numeric (`+08`).
fn observance(out: &mut String, dtstart: &str, before: &TzOffset, after: &TzOffset) {
    let kind = if after.dst_offset().num_seconds() != 0 {
        "DAYLIGHT"
    } else {
        "STANDARD"
    };
    fold(out, &format!("BEGIN:{kind}"));
    fold(out, &format!("DTSTART:{dtstart}"));
    fold(
        out,
        &format!(
            "TZOFFSETFROM:{}",
            utc_offset(before.fix().local_minus_utc())
        ),
    );
    fold(
        out,
        &format!("TZOFFSETTO:{}", utc_offset(after.fix().local_minus_utc())),
    );
    if let Some(name) = after
        .abbreviation()
        .filter(|n| !n.is_empty() && !n.starts_with(['+', '-']))
    {
        fold(out, &format!("TZNAME:{}", escape(name)));
    }
    fold(out, &format!("END:{kind}"));
}

// ---------------------------------------------------------------------------------------------
// Replies mailed back by calendar programs (RFC 5546 §3.2.3).

/// One attendee's answer read from a `METHOD:REPLY` calendar object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The calendar's method, upper case: always `REPLY`.
    pub method: String,
    pub uid: String,
    /// 0 when the event has none (RFC 5545 §3.8.7.4: the default).
    pub sequence: i64,
    /// The address after `mailto:` as the client wrote it (compare case-insensitively); taken
    /// from the `EMAIL=` parameter (RFC 7986 §6.2) when the value is not a `mailto:` URI.
    pub attendee_email: String,
    pub partstat: PartStat,
}

/// The replies in a `text/calendar` body: one per `ATTENDEE` with a known `PARTSTAT` in each
/// complete `VEVENT` (with a `UID`) of each `METHOD:REPLY` calendar; nothing for any other
/// method or for text that is not iCalendar.
///
/// Lenient in what Outlook, Google and Apple write: CRLF, LF or CR line ends, lines unfolded
/// (RFC 5545 §3.1, space or tab), names and parameter values case-insensitive (§2, §3.2),
/// quoted parameter values holding `:`, `;` or `,` (the value starts after the first colon
/// outside double quotes), `mailto:` in any case, a missing `SEQUENCE`, properties of nested
/// components (`VALARM`) ignored, a missing `END:VCALENDAR` tolerated. The body must already be
/// decoded from its MIME transfer encoding. Never panics.
pub fn parse_reply(text: &str) -> Vec<Reply> {
    let mut replies = Vec::new();
    // The open components, upper case, outermost first.
    let mut stack: Vec<String> = Vec::new();
    let mut method = String::new();
    // Replies of the open calendar, kept until its METHOD is certainly known (at its end).
    let mut pending: Vec<Reply> = Vec::new();
    let mut event = EventDraft::default();
    for line in unfold(text) {
        let Some(cl) = ContentLine::parse(&line) else {
            continue;
        };
        if cl.name.eq_ignore_ascii_case("BEGIN") {
            let component = cl.value.trim().to_ascii_uppercase();
            if stack.is_empty() && component == "VCALENDAR" {
                method.clear();
                pending.clear();
            }
            if is_calendar(&stack) && component == "VEVENT" {
                event = EventDraft::default();
            }
            stack.push(component);
        } else if cl.name.eq_ignore_ascii_case("END") {
            let component = cl.value.trim().to_ascii_uppercase();
            let Some(pos) = stack.iter().rposition(|c| *c == component) else {
                continue;
            };
            // An END closes whatever was left open inside it too.
            if pos <= 1 && stack.len() >= 2 && is_event(&stack[..2]) {
                event.finish(&mut pending);
            }
            if pos == 0 && is_calendar(&stack[..1]) {
                finish_calendar(&method, &mut pending, &mut replies);
            }
            stack.truncate(pos);
        } else if is_calendar(&stack) {
            if cl.name.eq_ignore_ascii_case("METHOD") {
                method = unescape(cl.value).trim().to_ascii_uppercase();
            }
        } else if is_event(&stack) {
            event.property(&cl);
        }
    }
    if stack.first().is_some_and(|c| c == "VCALENDAR") {
        finish_calendar(&method, &mut pending, &mut replies);
    }
    replies
}

fn is_calendar(stack: &[String]) -> bool {
    matches!(stack, [c] if c == "VCALENDAR")
}

fn is_event(stack: &[String]) -> bool {
    matches!(stack, [c, e] if c == "VCALENDAR" && e == "VEVENT")
}

fn finish_calendar(method: &str, pending: &mut Vec<Reply>, replies: &mut Vec<Reply>) {
    if method == "REPLY" {
        replies.extend(pending.drain(..).map(|r| Reply {
            method: method.to_string(),
            ..r
        }));
    }
    pending.clear();
}

/// What a reply's `VEVENT` said so far.
#[derive(Default)]
struct EventDraft {
    uid: Option<String>,
    sequence: i64,
    attendees: Vec<(String, PartStat)>,
}

impl EventDraft {
    fn property(&mut self, cl: &ContentLine<'_>) {
        if cl.name.eq_ignore_ascii_case("UID") {
            let uid = unescape(cl.value).trim().to_string();
            self.uid = Some(uid).filter(|u| !u.is_empty());
        } else if cl.name.eq_ignore_ascii_case("SEQUENCE") {
            self.sequence = cl.value.trim().parse().unwrap_or(0);
        } else if cl.name.eq_ignore_ascii_case("ATTENDEE") {
            let partstat = cl.param("PARTSTAT").and_then(|p| p.parse().ok());
            let email = reply_address(cl.value, cl.param("EMAIL").as_deref());
            if let (Some(partstat), Some(email)) = (partstat, email) {
                self.attendees.push((email, partstat));
            }
        }
    }

    /// The event ended: its attendees' answers join the calendar's (an event without a UID
    /// cannot be matched to a meeting and is dropped).
    fn finish(&mut self, pending: &mut Vec<Reply>) {
        let draft = std::mem::take(self);
        let Some(uid) = draft.uid else {
            return;
        };
        pending.extend(
            draft
                .attendees
                .into_iter()
                .map(|(attendee_email, partstat)| Reply {
                    method: String::new(),
                    uid: uid.clone(),
                    sequence: draft.sequence,
                    attendee_email,
                    partstat,
                }),
        );
    }
}

/// The attendee's address: the `mailto:` value, else the `EMAIL=` parameter, else a bare
/// `name@host` value (seen from sloppy writers).
fn reply_address(value: &str, email_param: Option<&str>) -> Option<String> {
    let v = value.trim();
    if let Some(rest) = strip_mailto(v).map(str::trim).filter(|r| !r.is_empty()) {
        return Some(rest.to_string());
    }
    if let Some(e) = email_param.map(str::trim).filter(|e| !e.is_empty()) {
        let e = strip_mailto(e).unwrap_or(e).trim();
        if !e.is_empty() {
            return Some(e.to_string());
        }
    }
    (v.contains('@') && !v.contains(':')).then(|| v.to_string())
}

/// The logical lines of `text` (RFC 5545 §3.1): a line starting with a space or tab continues
/// the previous one. CRLF, LF and lone CR all end lines; a leading byte-order mark is skipped.
fn unfold(text: &str) -> Vec<String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<String> = Vec::new();
    for physical in text.split("\r\n").flat_map(|l| l.split(['\r', '\n'])) {
        if let Some(rest) = physical.strip_prefix([' ', '\t'])
            && let Some(last) = lines.last_mut()
        {
            last.push_str(rest);
            continue;
        }
        lines.push(physical.to_string());
    }
    lines
}

/// A content line split into name, parameters and value (RFC 5545 §3.1).
struct ContentLine<'a> {
    name: &'a str,
    params: Vec<(&'a str, &'a str)>,
    value: &'a str,
}

impl<'a> ContentLine<'a> {
    /// `None` when there is no colon outside double quotes. The delimiters are ASCII, so every
    /// split falls on a character boundary.
    fn parse(line: &'a str) -> Option<Self> {
        let mut segments = Vec::new();
        let mut start = 0;
        let mut quoted = false;
        for (i, b) in line.bytes().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b';' if !quoted => {
                    segments.push(line.get(start..i)?);
                    start = i + 1;
                }
                b':' if !quoted => {
                    segments.push(line.get(start..i)?);
                    let value = line.get(i + 1..)?;
                    let (name, params) = segments.split_first()?;
                    let params = params
                        .iter()
                        .filter_map(|p| p.split_once('='))
                        .map(|(k, v)| (k.trim(), v))
                        .collect();
                    return Some(ContentLine {
                        name: name.trim(),
                        params,
                        value,
                    });
                }
                _ => {}
            }
        }
        None
    }

    /// The value of parameter `name` (case-insensitive), without its double quotes.
    fn param(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.replace('"', "").trim().to_string())
    }
}

/// Undoes TEXT escaping (RFC 5545 §3.3.11); an unknown escape stands for the character itself.
fn unescape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            o.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => o.push('\n'),
            Some(c) => o.push(c),
            None => o.push('\\'),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_chinese_lines_fold_on_character_boundaries() {
        let e = IcsEvent {
            uid: "1@liaison".into(),
            stamp: "20261204T160500Z".into(),
            day: "20270301".into(),
            next_day: "20270302".into(),
            summary: "新品上市：".repeat(20),
            description: "第一行\n第二行; a,b".into(),
            categories: vec!["电机".into()],
        };
        let text = write_ics("上市日历", &[e]);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert!(text.contains("第一行\\n第二行\\; a\\,b"));
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{}", "新品上市：".repeat(20))));
    }

    fn at(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("an unambiguous local time")
            .with_timezone(&Utc)
    }

    fn person(name: &str, email: &str) -> Attendee {
        Attendee {
            name: name.into(),
            email: email.into(),
            partstat: PartStat::NeedsAction,
            rsvp: true,
        }
    }

    fn meeting(uid: &str, tz: Tz, start: DateTime<Utc>) -> Meeting {
        Meeting {
            uid: uid.into(),
            sequence: 0,
            stamp: at(Tz::UTC, 2026, 12, 1, 8, 30),
            starts_at: start,
            ends_at: start + chrono::Duration::hours(1),
            tz,
            summary: "季度渠道沟通会：新品上市计划、价格政策与返利说明（华东区）".into(),
            description: "议程：\n1. 新品介绍; 价格\n2. 问答, 总结".into(),
            location: Some("上海会议室 3F".into()),
            url: Some("https://meet.example/abc?x=1,2;y".into()),
            organizer: person("渠道经理 李雷", "li.lei@liaison.example"),
            attendees: vec![
                person("Wang, Fang", "fang@partner.example"),
                person("张三", "zhang@partner.example"),
            ],
            cancelled: false,
        }
    }

    /// The text between `BEGIN:VTIMEZONE` / `TZID:<tzid>` and its `END:VTIMEZONE`.
    fn vtimezone<'a>(text: &'a str, tzid: &str) -> &'a str {
        let head = format!("BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n");
        let start = text.find(&head).expect("the zone's VTIMEZONE");
        let end = text[start..].find("END:VTIMEZONE").expect("its end") + start;
        &text[start..end]
    }

    fn assert_well_formed(text: &str) {
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{text}");
        let body = text.strip_suffix("\r\n").expect("CRLF at the end");
        for l in body.split("\r\n") {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
            assert!(!l.contains(['\r', '\n']), "a bare line break: {l:?}");
            assert!(!l.is_empty(), "an empty line in {text}");
        }
    }

    #[test]
    fn a_request_has_one_vtimezone_per_zone_with_the_real_transitions() {
        let shanghai = chrono_tz::Asia::Shanghai;
        let berlin = chrono_tz::Europe::Berlin;
        let a = meeting("a@liaison", shanghai, at(shanghai, 2026, 12, 15, 14, 0));
        let mut b = meeting("b@liaison", berlin, at(berlin, 2026, 12, 15, 9, 0));
        b.summary = "Quartalsgespräch".into();
        let mut c = meeting("c@liaison", shanghai, at(shanghai, 2026, 12, 16, 10, 0));
        c.summary = "第二次会议".into();
        let text = write_meetings(Method::Request, Some("会议"), &[a.clone(), b, c]);
        assert_well_formed(&text);
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains("\r\nMETHOD:REQUEST\r\n"));
        assert!(unfolded.contains("\r\nPRODID:-//Liaison//Meetings//EN\r\n"));
        assert!(unfolded.contains("\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\n"));
        assert!(unfolded.contains("\r\nX-WR-CALNAME:会议\r\n"));
        assert_eq!(unfolded.matches("BEGIN:VTIMEZONE").count(), 2);
        assert_eq!(unfolded.matches("TZID:Asia/Shanghai\r\n").count(), 1);
        assert_eq!(unfolded.matches("TZID:Europe/Berlin\r\n").count(), 1);
        assert!(
            unfolded.rfind("END:VTIMEZONE") < unfolded.find("BEGIN:VEVENT"),
            "the zones come first"
        );

        let sh = vtimezone(&unfolded, "Asia/Shanghai");
        assert!(
            sh.ends_with(
                "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0800\r\n\
                 TZOFFSETTO:+0800\r\nTZNAME:CST\r\nEND:STANDARD\r\n"
            ),
            "{sh}"
        );
        assert_eq!(sh.matches("BEGIN:").count(), 2, "{sh}");

        let be = vtimezone(&unfolded, "Europe/Berlin");
        assert!(
            be.contains(
                "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\n\
                 TZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD\r\n"
            ),
            "the observance on 2025-01-01: {be}"
        );
        // The last Sundays of March (02:00 CET) and October (03:00 CEST), 2025 to 2027.
        for day in ["20250330", "20260329", "20270328"] {
            let spring = format!(
                "BEGIN:DAYLIGHT\r\nDTSTART:{day}T020000\r\nTZOFFSETFROM:+0100\r\n\
                 TZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT\r\n"
            );
            assert!(be.contains(&spring), "{spring} in {be}");
        }
        for day in ["20251026", "20261025", "20271031"] {
            let autumn = format!(
                "BEGIN:STANDARD\r\nDTSTART:{day}T030000\r\nTZOFFSETFROM:+0200\r\n\
                 TZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD\r\n"
            );
            assert!(be.contains(&autumn), "{autumn} in {be}");
        }
        assert_eq!(be.matches("BEGIN:DAYLIGHT").count(), 3, "{be}");
        assert_eq!(be.matches("BEGIN:STANDARD").count(), 4, "{be}");
        assert!(!be.contains("DTSTART:2024") && !be.contains("DTSTART:2028"));

        assert!(unfolded.contains("\r\nDTSTART;TZID=Asia/Shanghai:20261215T140000\r\n"));
        assert!(unfolded.contains("\r\nDTEND;TZID=Asia/Shanghai:20261215T150000\r\n"));
        assert!(unfolded.contains("\r\nDTSTART;TZID=Europe/Berlin:20261215T090000\r\n"));
        assert!(unfolded.contains("\r\nDTSTAMP:20261201T083000Z\r\n"));
        assert!(unfolded.contains("\r\nUID:a@liaison\r\nSEQUENCE:0\r\n"));
        // The Chinese summary survives folding (it is longer than a line).
        assert!(format!("SUMMARY:{}", a.summary).len() > 75);
        assert!(unfolded.contains(&format!("\r\nSUMMARY:{}\r\n", a.summary)));
        assert!(
            unfolded.contains("\r\nDESCRIPTION:议程：\\n1. 新品介绍\\; 价格\\n2. 问答\\, 总结\r\n")
        );
        assert!(unfolded.contains("\r\nLOCATION:上海会议室 3F\r\n"));
        assert!(unfolded.contains("\r\nURL:https://meet.example/abc?x=1,2;y\r\n"));
        assert!(
            unfolded.contains("\r\nORGANIZER;CN=渠道经理 李雷:mailto:li.lei@liaison.example\r\n")
        );
        assert!(unfolded.contains(
            "\r\nATTENDEE;CN=\"Wang, Fang\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;\
             RSVP=TRUE:mailto:fang@partner.example\r\n"
        ));
        assert!(unfolded.contains(
            "\r\nATTENDEE;CN=张三;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;\
             RSVP=TRUE:mailto:zhang@partner.example\r\n"
        ));
        assert_eq!(unfolded.matches("\r\nSTATUS:CONFIRMED\r\n").count(), 3);
        assert_eq!(unfolded.matches("\r\nTRANSP:OPAQUE\r\n").count(), 3);
    }

    #[test]
    fn a_cancel_keeps_the_uid_and_carries_the_sequence() {
        let tz = chrono_tz::Asia::Shanghai;
        let mut m = meeting(
            "0190c0de-7f00-7abc-8def-0123456789ab@liaison",
            tz,
            at(tz, 2027, 1, 5, 9, 30),
        );
        m.sequence = 3;
        let text = write_meetings(Method::Cancel, None, &[m]);
        assert_well_formed(&text);
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(unfolded.contains("\r\nUID:0190c0de-7f00-7abc-8def-0123456789ab@liaison\r\n"));
        assert!(unfolded.contains("\r\nSEQUENCE:3\r\n"));
        assert!(unfolded.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(!unfolded.contains("CONFIRMED"));
        assert!(!unfolded.contains("X-WR-CALNAME"));
    }

    #[test]
    fn offsets_of_other_zones_and_utc_meetings() {
        assert_eq!(utc_offset(8 * 3600), "+0800");
        assert_eq!(utc_offset(-(3 * 3600 + 1800)), "-0330");
        assert_eq!(utc_offset(0), "+0000");
        assert_eq!(utc_offset(3208), "+005328");
        let nf = chrono_tz::America::St_Johns;
        let text = write_meetings(
            Method::Publish,
            None,
            &[meeting("n@liaison", nf, at(nf, 2026, 7, 1, 10, 0))],
        );
        let z = vtimezone(&text, "America/St_Johns");
        // Second Sunday of March, first Sunday of November, at 02:00 local.
        assert!(
            z.contains(
                "BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nTZOFFSETFROM:-0330\r\n\
                 TZOFFSETTO:-0230\r\nTZNAME:NDT\r\nEND:DAYLIGHT\r\n"
            ),
            "{z}"
        );
        assert!(
            z.contains(
                "BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0230\r\n\
                 TZOFFSETTO:-0330\r\nTZNAME:NST\r\nEND:STANDARD\r\n"
            ),
            "{z}"
        );
        // A zone with numeric abbreviations gets no TZNAME.
        let sp = chrono_tz::America::Sao_Paulo;
        let text = write_meetings(
            Method::Publish,
            None,
            &[meeting("s@liaison", sp, at(sp, 2026, 7, 1, 10, 0))],
        );
        let z = vtimezone(&text, "America/Sao_Paulo");
        assert!(z.contains("TZOFFSETTO:-0300\r\nEND:STANDARD"), "{z}");
        assert!(!z.contains("TZNAME"), "{z}");
        // UTC needs no VTIMEZONE.
        let text = write_meetings(
            Method::Request,
            None,
            &[meeting(
                "u@liaison",
                Tz::UTC,
                at(Tz::UTC, 2026, 12, 15, 6, 0),
            )],
        );
        assert!(
            !text.contains("VTIMEZONE") && !text.contains("TZID"),
            "{text}"
        );
        assert!(text.contains("\r\nDTSTART:20261215T060000Z\r\nDTEND:20261215T070000Z\r\n"));
    }

    #[test]
    fn the_repeated_hour_is_written_in_utc_when_it_is_the_second_one() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2026-10-25: 02:30 local happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
        let first = at(Tz::UTC, 2026, 10, 25, 0, 30);
        let second = at(Tz::UTC, 2026, 10, 25, 1, 30);
        assert_eq!(
            date_time("DTSTART", first, berlin),
            "DTSTART;TZID=Europe/Berlin:20261025T023000"
        );
        assert_eq!(
            date_time("DTSTART", second, berlin),
            "DTSTART:20261025T013000Z"
        );
    }

    #[test]
    fn parameter_values_are_quoted_and_cleaned() {
        assert_eq!(param_value("Li Lei"), "Li Lei");
        assert_eq!(param_value("Wang, Fang"), "\"Wang, Fang\"");
        assert_eq!(param_value("a:b"), "\"a:b\"");
        assert_eq!(param_value("x;y"), "\"x;y\"");
        assert_eq!(param_value("The \"Boss\"\r\n"), "The Boss");
        assert_eq!(mailto("MAILTO:a@b.example "), "mailto:a@b.example");
        assert_eq!("accepted".parse(), Ok(PartStat::Accepted));
        assert_eq!(" Needs-Action ".parse(), Ok(PartStat::NeedsAction));
        assert!("DELEGATED".parse::<PartStat>().is_err());
        assert_eq!(Method::Cancel.as_str(), "CANCEL");
    }

    const OUTLOOK_REPLY: &str = "BEGIN:VCALENDAR\r\n\
        PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n\
        VERSION:2.0\r\n\
        METHOD:REPLY\r\n\
        X-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n\
        BEGIN:VTIMEZONE\r\n\
        TZID:China Standard Time\r\n\
        BEGIN:STANDARD\r\n\
        DTSTART:16010101T000000\r\n\
        TZOFFSETFROM:+0800\r\n\
        TZOFFSETTO:+0800\r\n\
        END:STANDARD\r\n\
        END:VTIMEZONE\r\n\
        BEGIN:VEVENT\r\n\
        ATTENDEE;CN=\"Wang, Fang: Sales; East\";PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:fa\r\n \
        ng@partner.example\r\n\
        CLASS:PUBLIC\r\n\
        CREATED:20261202T010203Z\r\n\
        DTEND;TZID=\"China Standard Time\":20261215T150000\r\n\
        DTSTAMP:20261202T010203Z\r\n\
        DTSTART;TZID=\"China Standard Time\":20261215T140000\r\n\
        ORGANIZER;CN=\"Li, Lei\";PARTSTAT=ACCEPTED:mailto:li.lei@liaison.example\r\n\
        SEQUENCE:2\r\n\
        SUMMARY;LANGUAGE=zh-cn:已接受: 季度渠道沟通会\r\n\
        UID:0190c0de-7f00-7abc-8def-0123456789ab@lia\r\n ison\r\n\
        BEGIN:VALARM\r\n\
        ACTION:EMAIL\r\n\
        ATTENDEE;PARTSTAT=DECLINED:mailto:alarm@partner.example\r\n\
        END:VALARM\r\n\
        END:VEVENT\r\n\
        END:VCALENDAR\r\n";

    const GOOGLE_REPLY: &str = "BEGIN:VCALENDAR\n\
        PRODID:-//Google Inc//Google Calendar 70.9054//EN\n\
        VERSION:2.0\n\
        CALSCALE:GREGORIAN\n\
        method:reply\n\
        BEGIN:VEVENT\n\
        DTSTART:20261215T060000Z\n\
        DTEND:20261215T070000Z\n\
        DTSTAMP:20261203T091500Z\n\
        ORGANIZER;CN=li.lei@liaison.example:mailto:li.lei@liaison.example\n\
        UID:b@liaison\n\
        attendee;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;partstat=declined;CN=zhang\n\
        \t@gmail.example;X-NUM-GUESTS=0:MAILTO:zhang@gmail.example\n\
        SUMMARY:Declined: Quartalsgespräch\n\
        END:VEVENT\n\
        END:VCALENDAR\n";

    #[test]
    fn outlook_replies_are_read_through_folds_and_quoted_commas() {
        let r = parse_reply(OUTLOOK_REPLY);
        assert_eq!(
            r,
            vec![Reply {
                method: "REPLY".into(),
                uid: "0190c0de-7f00-7abc-8def-0123456789ab@liaison".into(),
                sequence: 2,
                attendee_email: "fang@partner.example".into(),
                partstat: PartStat::Accepted,
            }]
        );
    }

    #[test]
    fn google_replies_with_lf_upper_case_mailto_and_no_sequence() {
        let r = parse_reply(GOOGLE_REPLY);
        assert_eq!(
            r,
            vec![Reply {
                method: "REPLY".into(),
                uid: "b@liaison".into(),
                sequence: 0,
                attendee_email: "zhang@gmail.example".into(),
                partstat: PartStat::Declined,
            }]
        );
    }

    #[test]
    fn apple_replies_with_an_email_parameter_and_several_events() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\n\
            PRODID:-//Apple Inc.//macOS 15.1//EN\r\n\
            BEGIN:VEVENT\r\nUID:x@liaison\r\nSEQUENCE:4\r\n\
            ATTENDEE;CN=\"Zhang San\";EMAIL=\"zs@icloud.example\";PARTSTAT=TENTATIVE:urn:uuid:00000000-0000\r\n\
            END:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:y@liaison\r\nSEQUENCE:1\r\n\
            ATTENDEE;PARTSTAT=ACCEPTED:Mailto:zs@icloud.example\r\n\
            ATTENDEE;PARTSTAT=X-UNKNOWN:mailto:other@icloud.example\r\n\
            ATTENDEE:mailto:nostatus@icloud.example\r\n\
            END:VEVENT\r\n\
            BEGIN:VEVENT\r\nSEQUENCE:1\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:nouid@x.example\r\nEND:VEVENT\r\n\
            END:VCALENDAR";
        let r = parse_reply(text);
        let got: Vec<(&str, i64, &str, PartStat)> = r
            .iter()
            .map(|r| {
                (
                    r.uid.as_str(),
                    r.sequence,
                    r.attendee_email.as_str(),
                    r.partstat,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("x@liaison", 4, "zs@icloud.example", PartStat::Tentative),
                ("y@liaison", 1, "zs@icloud.example", PartStat::Accepted),
            ]
        );
    }

    #[test]
    fn requests_and_garbage_give_no_replies() {
        let request = OUTLOOK_REPLY.replace("METHOD:REPLY", "METHOD:REQUEST");
        assert_eq!(parse_reply(&request), vec![]);
        let no_method = OUTLOOK_REPLY.replace("METHOD:REPLY\r\n", "");
        assert_eq!(parse_reply(&no_method), vec![]);
        for garbage in [
            "",
            "hello",
            ":",
            "\"",
            ";;;:::",
            "END:VCALENDAR",
            "BEGIN:VEVENT\r\nUID:x\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b\r\nEND:VEVENT",
            "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nATTENDEE;CN=\"unclosed:mailto:a@b;PARTSTAT=ACCEPTED\r\nUID:u\r\nEND:VEVENT\r\nEND:VCALENDAR",
            "\u{feff} \r\n\t\r\n",
            "From: someone\r\nSubject: Accepted\r\n\r\nThanks!",
        ] {
            assert_eq!(parse_reply(garbage), vec![], "{garbage:?}");
        }
        // A Liaison request itself is not a reply.
        let tz = chrono_tz::Asia::Shanghai;
        let mut m = meeting("m@liaison", tz, at(tz, 2026, 12, 15, 14, 0));
        m.attendees[0].partstat = PartStat::Accepted;
        assert_eq!(
            parse_reply(&write_meetings(Method::Request, None, &[m])),
            vec![]
        );
    }

    #[test]
    fn a_reply_written_here_reads_back() {
        let tz = chrono_tz::Europe::Berlin;
        let mut m = meeting("r@liaison", tz, at(tz, 2026, 6, 1, 9, 0));
        m.sequence = 7;
        m.attendees = vec![Attendee {
            partstat: PartStat::Tentative,
            rsvp: false,
            ..person("Wang, Fang", "fang@partner.example")
        }];
        let text = write_meetings(Method::Reply, None, &[m]);
        assert_eq!(
            parse_reply(&text),
            vec![Reply {
                method: "REPLY".into(),
                uid: "r@liaison".into(),
                sequence: 7,
                attendee_email: "fang@partner.example".into(),
                partstat: PartStat::Tentative,
            }]
        );
        // Also when the mail system turned CRLF into LF, and without the final END.
        let lf = text.replace("\r\n", "\n").replace("END:VCALENDAR\n", "");
        assert_eq!(parse_reply(&lf).len(), 1);
    }

    /// A small deterministic generator (no dependency): xorshift64*.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    #[test]
    fn parse_reply_never_panics_on_mutated_input() {
        let interesting: &[u8] = &[
            b':', b';', b'"', b',', b'=', b'\r', b'\n', b' ', b'\t', b'\\', 0, 0xE4, 0xB8, 0xAD,
            0xFF, b'A',
        ];
        let seeds = [OUTLOOK_REPLY, GOOGLE_REPLY];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut found = 0;
        for round in 0..4000 {
            let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..=rng.below(8) {
                let i = rng.below(bytes.len());
                match rng.below(5) {
                    0 => bytes[i] = interesting[rng.below(interesting.len())],
                    1 => {
                        bytes.remove(i);
                    }
                    2 => bytes.insert(i, interesting[rng.below(interesting.len())]),
                    3 => bytes.truncate(i),
                    _ => {
                        let j = rng.below(bytes.len());
                        let chunk: Vec<u8> = bytes[i.min(j)..i.max(j)].to_vec();
                        bytes.splice(i..i, chunk);
                    }
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            found += parse_reply(&text).len();
        }
        // The mutants still exercise the reading paths, not only the early exits (many are
        // truncated, which drops the event).
        assert!(found > 500, "{found}");
        // Random strings over the delimiters.
        let alphabet: Vec<char> = "BEGIN:VCALENDAR;METHOD=REPLY\"\r\n \tEND,VEVENT中文\\"
            .chars()
            .collect();
        for _ in 0..2000 {
            let n = rng.below(200);
            let s: String = (0..n)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let _ = parse_reply(&s);
        }
    }

    #[test]
    fn the_writer_keeps_lines_short_whatever_the_text() {
        let pieces = [
            "中文", "a", ",", ";", ":", "\"", "\\", "\r\n", "\n", "\r", "\t", "🙂", "é", " ",
        ];
        let mut rng = Rng(42);
        let text = |rng: &mut Rng| -> String {
            (0..rng.below(120))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect()
        };
        for _ in 0..200 {
            let tz = [
                chrono_tz::Asia::Shanghai,
                chrono_tz::Europe::Berlin,
                Tz::UTC,
            ][rng.below(3)];
            let mut m = meeting(&text(&mut rng), tz, at(Tz::UTC, 2026, 3, 29, 1, 0));
            m.summary = text(&mut rng);
            m.description = text(&mut rng);
            m.location = Some(text(&mut rng));
            m.url = Some(text(&mut rng));
            m.organizer = person(&text(&mut rng), &text(&mut rng));
            m.attendees = vec![person(&text(&mut rng), &text(&mut rng))];
            let out = write_meetings(Method::Request, Some(&text(&mut rng)), &[m]);
            assert_well_formed(&out);
        }
    }
}
