//! Meeting invitations open in a third-party reader: Python's `icalendar` package (6.1.0, in a
//! venv under CARGO_TARGET_TMPDIR, or the interpreter named by LIAISON_ICALENDAR_PYTHON) reads
//! what `write_meetings` writes. Every event's start and end resolve to the intended UTC
//! instants both through the reader's own tz database and through the VTIMEZONE we generated
//! (RFC 5545 §3.6.5), and every TZID used has its VTIMEZONE.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use liaison_docs::ics::{Attendee, Meeting, Method, PartStat, write_meetings};

/// The interpreter, made once per test run (the tests run in parallel; a second `venv` or
/// `pip install` into the same folder at the same time would fail).
fn icalendar_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(make_icalendar_python).clone()
}

fn make_icalendar_python() -> PathBuf {
    if let Ok(p) = std::env::var("LIAISON_ICALENDAR_PYTHON") {
        return p.into();
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("icalendar-venv");
    let python = venv.join("bin/python");
    let ready = |py: &Path| {
        Command::new(py)
            .args([
                "-c",
                "import icalendar, sys; sys.exit(icalendar.__version__ != '6.1.0')",
            ])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            made,
            "python3 -m venv {} failed: install python3 with venv (scripts/install-deps)",
            venv.display()
        );
        let installed = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "icalendar==6.1.0"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            installed && ready(&python),
            "cannot pip-install icalendar==6.1.0 into {}: the package registry must be \
             reachable (or set LIAISON_ICALENDAR_PYTHON to a python with icalendar 6.1.0)",
            venv.display()
        );
    }
    python
}

/// Prints, per VEVENT, tab-separated: UID, SEQUENCE, STATUS, SUMMARY, then for DTSTART and
/// DTEND: the TZID (or empty), the UTC instant through the reader's zone database, and the UTC
/// instant through the calendar's own VTIMEZONE. Fails on a floating time or a missing zone.
const READER: &str = r#"
import sys, datetime, icalendar
from icalendar.timezone import tzp
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
if str(cal['METHOD']) != sys.argv[2]:
    raise SystemExit('METHOD is %s' % cal['METHOD'])
zones = {str(z['TZID']): z for z in cal.walk('VTIMEZONE')}
utc = datetime.timezone.utc
for e in cal.walk('VEVENT'):
    row = [str(e['UID']), str(int(e['SEQUENCE'])), str(e['STATUS']), str(e['SUMMARY'])]
    for name in ('DTSTART', 'DTEND'):
        v = e.decoded(name)
        if not isinstance(v, datetime.datetime) or v.tzinfo is None or v.utcoffset() is None:
            raise SystemExit('%s of %s is not timezone-aware: %r' % (name, e['UID'], v))
        tzid = e[name].params.get('TZID')
        own = v
        if tzid is not None:
            if tzid not in zones:
                raise SystemExit('no VTIMEZONE for %s (have %s)' % (tzid, sorted(zones)))
            mine = zones[tzid].to_tz(lookup_tzid=False)
            own = tzp.localize(v.replace(tzinfo=None), mine)
        row += [tzid or '', v.astimezone(utc).isoformat(), own.astimezone(utc).isoformat()]
    print('\t'.join(row))
"#;

fn person(name: &str, email: &str) -> Attendee {
    Attendee {
        name: name.into(),
        email: email.into(),
        partstat: PartStat::NeedsAction,
        rsvp: true,
    }
}

fn meeting(uid: &str, sequence: i64, tz: Tz, start: DateTime<Utc>, minutes: i64) -> Meeting {
    Meeting {
        uid: uid.into(),
        sequence,
        stamp: Utc
            .with_ymd_and_hms(2026, 12, 1, 8, 30, 0)
            .single()
            .expect("stamp"),
        starts_at: start,
        ends_at: start + Duration::minutes(minutes),
        tz,
        summary: format!("季度渠道沟通会：新品上市计划与价格政策（{}）", tz.name()),
        description: "议程：\n1. 新品; 价格\n2. 问答, 总结".into(),
        location: Some("会议室, 3F".into()),
        url: Some("https://meet.example/abc".into()),
        organizer: person("Li, Lei", "li.lei@liaison.example"),
        attendees: vec![person("Wang, Fang: Sales", "fang@partner.example")],
        cancelled: false,
    }
}

fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn read_back(name: &str, method: Method, events: &[Meeting]) -> Vec<Vec<String>> {
    let python = icalendar_python();
    let text = write_meetings(method, Some("会议"), events);
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.ics"));
    std::fs::write(&path, &text).expect("write the calendar");
    let out = Command::new(&python)
        .arg("-c")
        .arg(READER)
        .arg(&path)
        .arg(method.as_str())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "icalendar rejected {}: {}\n{text}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn meeting_requests_resolve_to_the_same_instants_in_python_icalendar() {
    let shanghai = chrono_tz::Asia::Shanghai;
    let berlin = chrono_tz::Europe::Berlin;
    let new_york = chrono_tz::America::New_York;
    let st_johns = chrono_tz::America::St_Johns;
    let events = vec![
        meeting(
            "sh@liaison",
            0,
            shanghai,
            local(shanghai, 2026, 12, 15, 14, 0),
            60,
        ),
        meeting(
            "be-winter@liaison",
            2,
            berlin,
            local(berlin, 2026, 12, 15, 9, 0),
            90,
        ),
        meeting(
            "be-summer@liaison",
            1,
            berlin,
            local(berlin, 2026, 7, 1, 16, 30),
            30,
        ),
        // Spans the spring change: starts in CET, ends in CEST.
        meeting(
            "be-spring@liaison",
            0,
            berlin,
            local(berlin, 2027, 3, 28, 1, 30),
            60,
        ),
        // 02:30 on the day clocks go back, first time round (CEST): a reader resolves it
        // right only if the autumn observance starts at 03:00 wall time in the old offset.
        meeting(
            "be-fold@liaison",
            0,
            berlin,
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0)
                .single()
                .expect("utc"),
            15,
        ),
        // The same wall time, second time round (CET): written in UTC form.
        meeting(
            "be-repeat@liaison",
            0,
            berlin,
            Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0)
                .single()
                .expect("utc"),
            45,
        ),
        meeting(
            "ny@liaison",
            5,
            new_york,
            local(new_york, 2026, 11, 1, 9, 0),
            60,
        ),
        meeting(
            "nf@liaison",
            0,
            st_johns,
            local(st_johns, 2026, 3, 8, 9, 0),
            60,
        ),
        meeting(
            "utc@liaison",
            0,
            Tz::UTC,
            local(Tz::UTC, 2026, 12, 15, 6, 0),
            60,
        ),
    ];
    let rows = read_back("meetings-request", Method::Request, &events);
    assert_eq!(rows.len(), events.len(), "{rows:?}");
    for (e, row) in events.iter().zip(&rows) {
        let [
            uid,
            sequence,
            status,
            summary,
            start_tzid,
            start,
            start_own,
            end_tzid,
            end,
            end_own,
        ] = row.as_slice()
        else {
            panic!("unexpected row {row:?}");
        };
        assert_eq!(uid, &e.uid);
        assert_eq!(sequence, &e.sequence.to_string(), "{uid}");
        assert_eq!(status, "CONFIRMED", "{uid}");
        assert_eq!(summary, &e.summary, "{uid}");
        assert_eq!(
            start,
            &iso(e.starts_at),
            "{uid}: DTSTART via the reader's zones"
        );
        assert_eq!(
            start_own,
            &iso(e.starts_at),
            "{uid}: DTSTART via our VTIMEZONE"
        );
        assert_eq!(end, &iso(e.ends_at), "{uid}: DTEND via the reader's zones");
        assert_eq!(end_own, &iso(e.ends_at), "{uid}: DTEND via our VTIMEZONE");
        let zoned = if e.uid == "utc@liaison" || e.uid == "be-repeat@liaison" {
            ""
        } else {
            e.tz.name()
        };
        assert_eq!(start_tzid, zoned, "{uid}");
        if e.uid != "be-repeat@liaison" {
            assert_eq!(end_tzid, zoned, "{uid}");
        }
    }
}

#[test]
fn a_cancel_opens_in_python_icalendar() {
    let berlin = chrono_tz::Europe::Berlin;
    let mut m = meeting(
        "c@liaison",
        4,
        berlin,
        local(berlin, 2026, 12, 15, 9, 0),
        60,
    );
    m.cancelled = true;
    let rows = read_back("meetings-cancel", Method::Cancel, &[m]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(&rows[0][..3], ["c@liaison", "4", "CANCELLED"]);
}
