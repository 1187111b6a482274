//! The working-hours calendar (policy §5.3.2, SPEC B9): the shipped mainland China calendar is
//! seeded, admins edit it with an audit trail, and the stored calendar holds non-urgent
//! messages until the recipient's next working morning.

use crate::{audit_rows, backends, count, invalid_fields, manager};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use liaison_core::calendar::{CalendarDay, DayKind, Tz, china_mainland, send_time};
use liaison_core::partner::WorkingHours;
use liaison_db::DbError;
use liaison_db::audit::{self, Verdict};
use liaison_db::calendar;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

async fn calendar_rows(db: &liaison_db::Db) -> i64 {
    count(db, "SELECT COUNT(*) FROM calendar_days").await
}

#[tokio::test]
async fn shipped_calendar_is_seeded_5_3_2() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let all = calendar::list_days(&db, None).await.expect("list");
        assert_eq!(all, china_mainland(), "{name}: seeded rows");

        let y2026 = calendar::list_days(&db, Some(2026)).await.expect("2026");
        assert!(
            y2026
                .iter()
                .all(|d| d.date.format("%Y").to_string() == "2026"),
            "{name}: year filter"
        );
        assert_eq!(y2026.len(), 39, "{name}: 33 days off and 6 make-up days");
        assert!(
            calendar::list_days(&db, Some(2030))
                .await
                .expect("2030")
                .is_empty(),
            "{name}"
        );

        let cal = calendar::load(&db).await.expect("load");
        let hours = WorkingHours::default();
        assert_eq!(
            cal.kind_of(date("2026-02-14")),
            Some(DayKind::Workday),
            "{name}"
        );
        assert!(
            cal.is_working_day(date("2026-02-14"), &hours),
            "{name}: 春节调休上班"
        );
        assert_eq!(
            cal.kind_of(date("2026-10-01")),
            Some(DayKind::Holiday),
            "{name}"
        );
        assert!(
            !cal.is_working_day(date("2026-10-01"), &hours),
            "{name}: 国庆节"
        );
        let found = calendar::find_day(&db, date("2026-02-15"))
            .await
            .expect("find");
        assert_eq!(found.map(|d| d.name), Some("春节".to_string()), "{name}");
    }
}

#[tokio::test]
async fn admin_edits_to_the_calendar_round_trip_and_are_audited_5_3_2() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let admin = manager(&db).await;
        let rows = calendar_rows(&db).await;
        let audits = audit_rows(&db).await;

        // The official 2027 notice adds a make-up day.
        let added = calendar::save_day(&db, admin.id, "2027-02-20", "workday", "春节调休上班")
            .await
            .expect("add");
        assert_eq!(
            added,
            CalendarDay {
                date: date("2027-02-20"),
                kind: DayKind::Workday,
                name: "春节调休上班".into()
            },
            "{name}"
        );
        assert_eq!(calendar_rows(&db).await, rows + 1, "{name}: one row more");

        // ... and confirms a provisional holiday.
        let confirmed = calendar::parse_day("2027-02-05", "holiday", "春节").expect("valid");
        calendar::upsert_day(&db, admin.id, &confirmed)
            .await
            .expect("edit");
        assert_eq!(
            calendar_rows(&db).await,
            rows + 1,
            "{name}: replaced in place"
        );
        assert_eq!(
            calendar::find_day(&db, date("2027-02-05"))
                .await
                .expect("find"),
            Some(confirmed),
            "{name}"
        );

        calendar::delete_day(&db, admin.id, date("2027-02-20"))
            .await
            .expect("delete");
        assert_eq!(calendar_rows(&db).await, rows, "{name}: deleted");
        assert!(
            calendar::find_day(&db, date("2027-02-20"))
                .await
                .expect("find")
                .is_none(),
            "{name}"
        );
        assert!(
            matches!(
                calendar::delete_day(&db, admin.id, date("2027-02-20")).await,
                Err(DbError::NotFound)
            ),
            "{name}: deleting an absent day"
        );

        assert_eq!(
            audit_rows(&db).await,
            audits + 3,
            "{name}: one entry per edit"
        );
        let log = audit::list(&db, None, None, 3).await.expect("audit");
        let actions: Vec<&str> = log.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            ["calendar.delete", "calendar.update", "calendar.update"],
            "{name}"
        );
        assert!(log.iter().all(|r| r.actor_id == Some(admin.id)), "{name}");
        assert!(
            log[1].detail.contains("春节（暂定）"),
            "{name}: the edit keeps the previous entry: {}",
            log[1].detail
        );
        assert!(
            matches!(
                audit::verify(&db).await.expect("verify"),
                Verdict::Intact { .. }
            ),
            "{name}: audit chain intact"
        );
    }
}

#[tokio::test]
async fn invalid_calendar_days_are_refused_naming_each_field_and_write_nothing_5_3_2() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let admin = manager(&db).await;
        let rows = calendar_rows(&db).await;
        let audits = audit_rows(&db).await;

        let e = invalid_fields(
            name,
            calendar::save_day(&db, admin.id, "2026/10/01", "weekend", "  ").await,
        );
        for field in ["date", "kind", "name"] {
            assert!(
                e.for_field(field).is_some(),
                "{name}: {field} not named: {e}"
            );
        }
        let e = invalid_fields(
            name,
            calendar::save_day(&db, admin.id, "2026-10-01", "holiday", &"国".repeat(61)).await,
        );
        assert_eq!(
            (e.0.len(), e.for_field("name").is_some()),
            (1, true),
            "{name}: only the name: {e}"
        );

        assert_eq!(calendar_rows(&db).await, rows, "{name}: no calendar row");
        assert_eq!(audit_rows(&db).await, audits, "{name}: no audit row");
        assert_eq!(
            calendar::find_day(&db, date("2026-10-01"))
                .await
                .expect("find")
                .map(|d| d.name),
            Some("国庆节".to_string()),
            "{name}: unchanged"
        );
    }
}

#[tokio::test]
async fn message_on_national_day_waits_for_the_first_working_morning_after_it_5_3_2() {
    let (dbs, _guard) = backends().await;
    let tz = shanghai();
    let local = |s: &str| {
        let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("local time");
        tz.from_local_datetime(&n)
            .single()
            .expect("exists")
            .with_timezone(&Utc)
    };
    for (name, db) in dbs {
        let cal = calendar::load(&db).await.expect("load");
        let hours = WorkingHours::default();
        let at = local("2026-10-01 10:00");
        // Oct 1-7 are off; Thursday Oct 8 is the first working day.
        assert_eq!(
            send_time(at, tz, &hours, &cal, false),
            local("2026-10-08 09:00"),
            "{name}"
        );
        assert_eq!(send_time(at, tz, &hours, &cal, true), at, "{name}: urgent");

        // An admin who moves a day changes when messages go.
        let admin = manager(&db).await;
        calendar::save_day(&db, admin.id, "2026-10-08", "holiday", "国庆节（延长）")
            .await
            .expect("extend");
        let cal = calendar::load(&db).await.expect("reload");
        assert_eq!(
            send_time(at, tz, &hours, &cal, false),
            local("2026-10-09 09:00"),
            "{name}: after the edit"
        );
    }
}

/// Asia/Shanghai, parsed the way partner records are.
fn shanghai() -> Tz {
    liaison_core::partner::parse_timezone("Asia/Shanghai")
        .expect("zone")
        .parse()
        .expect("zone")
}
