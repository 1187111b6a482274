//! Nine more months of the ledger before the three of `communication` (issue 16), so the
//! evaluation's year of charts has something in every month: each week three notices from
//! the company's people to the history's partners, read and confirmed sooner or later as each
//! partner's habits go (some improve over the year, one slips), a few e-mail copies dead, one
//! notice a month corrected. Written cheaply: each notice copies the request and message rows
//! of a notice history already sent through the service layer (its form, chain and texts), then
//! one multi-row insert of its deliveries; nothing is sent, nobody is notified.

use crate::Result;
use chrono::{DateTime, Duration, Utc};
use liaison_db::{Db, q};
use uuid::Uuid;

/// The audit action that marks these months as written.
const MARKER: &str = "demo.history.evaluation";

struct Target {
    partner: Uuid,
    contact: Uuid,
}

struct Person {
    id: Uuid,
    department: Option<Uuid>,
}

/// A number from 0 to 999 fixed by its inputs (the demo is the same every time).
fn dice(a: u64, b: u64, c: u64) -> u64 {
    let mut x = a
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
        .wrapping_add(c.wrapping_mul(0x1656_67B1_9E37_79F9));
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    x % 1000
}

/// A UUIDv7 of the moment `at` (so ids sort as the history's times do).
fn id_at(at: DateTime<Utc>) -> Uuid {
    let ts = uuid::Timestamp::from_unix(
        uuid::NoContext,
        at.timestamp().max(0) as u64,
        at.timestamp_subsec_nanos(),
    );
    Uuid::new_v7(ts)
}

pub async fn write(db: &Db, start: DateTime<Utc>) -> Result<usize> {
    let done: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(MARKER))
        .await?;
    if done > 0 {
        return Ok(0);
    }
    // A notice history sent through the service layer: its rows are the template.
    let template: Option<Uuid> = db
        .fetch_optional(q(
            "SELECT r.id FROM requests r JOIN messages m ON m.id = r.message_id
              WHERE r.state = 'dispatched' AND m.classification IN ('public', 'internal')
                AND m.corrects_id IS NULL
              ORDER BY r.id LIMIT 1",
        ))
        .await?;
    let Some(template) = template else {
        return Ok(0);
    };
    let by_partner = "FROM contacts c JOIN partners p ON p.id = c.partner_id
          WHERE p.code IN ('SH-D001', 'BJ-D002', 'GZ-D003', 'CD-D004', 'WH-D005', 'HZ-D008',
                           'NJ-D009', 'SZ-A001', 'EC-001', 'ST-001', 'ST-010')
          ORDER BY c.partner_id, c.id";
    let partners: Vec<Uuid> = db
        .fetch_all(liaison_db::Q::dynamic(format!(
            "SELECT c.partner_id {by_partner}"
        )))
        .await?;
    let contacts: Vec<Uuid> = db
        .fetch_all(liaison_db::Q::dynamic(format!("SELECT c.id {by_partner}")))
        .await?;
    // Each partner's first contact.
    let mut targets: Vec<Target> = Vec::new();
    for (partner, contact) in partners.into_iter().zip(contacts) {
        if targets.last().is_none_or(|t| t.partner != partner) {
            targets.push(Target { partner, contact });
        }
    }
    let people: Vec<Person> = liaison_db::user::list_users(db)
        .await?
        .into_iter()
        .filter(|u| u.partner_id.is_none() && u.department_id.is_some())
        .map(|u| Person {
            id: u.id,
            department: u.department_id,
        })
        .collect();
    if targets.is_empty() || people.is_empty() {
        return Ok(0);
    }
    let weeks = 39;
    let mut written = 0;
    let mut last_of_month: Option<Uuid> = None;
    for week in 0..weeks {
        for k in 0..3u64 {
            let w = week as u64;
            // Monday to Wednesday, 10:00 Beijing time (02:00 UTC).
            let sent =
                start + Duration::weeks(week) + Duration::days(k as i64) + Duration::hours(2);
            let person = &people[((w * 3 + k) as usize * 7 + 3) % people.len()];
            let ack_required = k != 1;
            let deadline = ack_required.then(|| sent + Duration::days(3));
            // The first notice of every fourth week corrects the notice before it.
            let corrects = if k == 0 && week % 4 == 3 {
                last_of_month
            } else {
                None
            };
            let (request, message) = (id_at(sent), id_at(sent));
            let mut tx = db.begin().await?;
            tx.execute(
                q("INSERT INTO requests (id, requester_id, department_id, title, form, category, importance,
                     classification, state, chain, findings, message_id, version, created_at, updated_at,
                     submitted_at)
                   SELECT $1, $2, $3, title, form, category, importance, classification, state, chain,
                          findings, $4, version, $5, $5, $5
                     FROM requests WHERE id = $6")
                .bind(request)
                .bind(person.id)
                .bind(person.department)
                .bind(message)
                .bind(sent)
                .bind(template),
            )
            .await?;
            tx.execute(
                q("INSERT INTO messages (id, request_id, title, body, category, importance, urgency,
                     classification, ack_required, ack_due_at, corrects_id, created_at)
                   SELECT $1, $2, m.title, m.body, m.category, m.importance, m.urgency, m.classification,
                          $3, $4, $5, $6
                     FROM messages m JOIN requests r ON r.message_id = m.id WHERE r.id = $7")
                .bind(message)
                .bind(request)
                .bind(ack_required)
                .bind(deadline)
                .bind(corrects)
                .bind(sent)
                .bind(template),
            )
            .await?;
            let mut rows = Vec::new();
            for (i, t) in targets.iter().enumerate() {
                let i = i as u64;
                // Each partner's habit: how many in a thousand copies it reads in time; the
                // first three improve over the year, the fourth slips.
                let progress = w * 1000 / weeks as u64;
                let in_time = match i {
                    0..=2 => 450 + progress * 45 / 100,
                    3 => 850 - progress * 40 / 100,
                    _ => 600 + (i * 37) % 300,
                };
                for (c, channel) in ["portal", "email"].iter().enumerate() {
                    if c == 1 && !i.is_multiple_of(3) {
                        continue;
                    }
                    let roll = dice(w * 3 + k, i, c as u64);
                    let dead = *channel == "email" && roll < 40;
                    let (read, acked) = if dead {
                        (None, None)
                    } else if roll < in_time {
                        let h = 1 + (roll % 40) as i64;
                        (
                            Some(sent + Duration::hours(h)),
                            Some(sent + Duration::hours(h + 1)),
                        )
                    } else if roll < in_time + (1000 - in_time) * 2 / 3 {
                        let h = 80 + (roll % 90) as i64;
                        (
                            Some(sent + Duration::hours(h)),
                            Some(sent + Duration::hours(h + 2)),
                        )
                    } else {
                        (None, None)
                    };
                    let acked = if ack_required { acked } else { None };
                    let state = match (dead, read, acked) {
                        (true, _, _) => "dead",
                        (_, _, Some(_)) => "acknowledged",
                        (_, Some(_), None) => "read",
                        _ if *channel == "portal" => "delivered",
                        _ => "sent",
                    };
                    rows.push((t.partner, t.contact, *channel, state, read, acked));
                }
            }
            let mut sql = String::from(
                "INSERT INTO deliveries (id, message_id, partner_id, contact_id, channel, state, created_at,
                   read_at, acked_at, late, ack_required, sent_at) VALUES ",
            );
            let mut ins = liaison_db::Q::dynamic(String::new());
            for (n, (partner, contact, channel, state, read, acked)) in rows.iter().enumerate() {
                if n > 0 {
                    sql.push_str(", ");
                }
                let ph: Vec<String> = vec![
                    ins.arg(id_at(sent)),
                    ins.arg(message),
                    ins.arg(*partner),
                    ins.arg(*contact),
                    ins.arg(*channel),
                    ins.arg(*state),
                    ins.arg(sent),
                    ins.arg(*read),
                    ins.arg(*acked),
                    ins.arg(acked.zip(deadline).is_some_and(|(a, d)| a > d)),
                    ins.arg(ack_required),
                    ins.arg((*state != "dead").then_some(sent)),
                ];
                sql.push_str(&format!("({})", ph.join(", ")));
            }
            tx.execute(ins.replace_sql(sql)).await?;
            tx.commit().await?;
            written += rows.len();
            if k == 2 {
                last_of_month = Some(message);
            }
        }
    }
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry {
            actor_id: None,
            action: MARKER,
            entity: "demo",
            entity_id: None,
            partner_id: None,
            detail: serde_json::json!({"deliveries": written}),
        },
    )
    .await?;
    Ok(written)
}
