//! The evaluation's storage (policy §6; issue 16): the daily aggregates (`kpi_messages`,
//! `kpi_daily`, `kpi_partner_daily` and its monthly roll-up, `kpi_ratings_daily`) and what
//! reads them, the raw rows behind a number (drill-down) and the behaviour the relationship
//! index observes. The indicators' rules are `liaison_core::kpi`; the due time of a
//! deadline-less message needs the working calendar, so it is computed in Rust
//! (`liaison_app::kpi`) and stored per message, and the per-delivery counting is then
//! set-based SQL per range of days (`recompute_days`).

use crate::query::values_sql;
use crate::{Db, Q, Result, q};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use liaison_core::kpi::{Fraction, GroupBy, SatisfactionSums};
use std::collections::HashMap;
use uuid::Uuid;

/// A dispatched message as the aggregation needs it before its due time is known.
#[derive(Debug, Clone)]
pub struct MessageBasis {
    pub message_id: Uuid,
    pub department_id: Option<Uuid>,
    pub requester_id: Option<Uuid>,
    pub deadline: Option<DateTime<Utc>>,
    pub first_sent: DateTime<Utc>,
}
from_row!(MessageBasis; message_id: uuid, department_id: opt_uuid, requester_id: opt_uuid,
    deadline: opt_time, first_sent: time);

/// A message with its day out and its due time (a `kpi_messages` row).
#[derive(Debug, Clone)]
pub struct KpiMessage {
    pub message_id: Uuid,
    pub department_id: Option<Uuid>,
    pub requester_id: Option<Uuid>,
    pub sent_at: DateTime<Utc>,
    pub sent_day: NaiveDate,
    pub due_at: DateTime<Utc>,
    pub due_day: NaiveDate,
}

/// A message's first copy's time is its dispatch, which does not change once it is known: a
/// rebuild takes it from `kpi_messages` and looks it up among the deliveries (one index range
/// per message) only for messages not aggregated yet.
const BASIS: &str = "SELECT m.id AS message_id, r.department_id, r.requester_id,
        m.ack_due_at AS deadline,
        COALESCE(k.sent_at, (SELECT MIN(d.created_at) FROM deliveries d WHERE d.message_id = m.id)) AS first_sent
   FROM messages m
   JOIN requests r ON r.id = m.request_id
   LEFT JOIN kpi_messages k ON k.message_id = m.id
  WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)";

/// Every dispatched message (a rebuild).
pub async fn all_messages(db: &Db) -> Result<Vec<MessageBasis>> {
    db.fetch_all(q(BASIS)).await
}

/// Dispatched messages not yet in `kpi_messages` (the worker's sweep).
pub async fn new_messages(db: &Db) -> Result<Vec<MessageBasis>> {
    db.fetch_all(Q::dynamic(format!("{BASIS} AND k.message_id IS NULL")))
        .await
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Writes `rows` into `kpi_messages` (replacing what was there for them; `clear` empties it
/// first, a rebuild), and marks the messages corrected or recalled since the last time.
pub async fn put_messages(db: &Db, rows: &[KpiMessage], clear: bool) -> Result<()> {
    let mut tx = db.begin().await?;
    if clear {
        tx.execute(q("DELETE FROM kpi_messages")).await?;
    }
    for chunk in rows.chunks(500) {
        if !clear {
            let del = Q::over_list(chunk.iter().map(|m| m.message_id), |l| {
                format!("DELETE FROM kpi_messages WHERE message_id IN {l}")
            });
            tx.execute(del).await?;
        }
        let mut ins = Q::dynamic(format!(
            "INSERT INTO kpi_messages (message_id, department_id, requester_id, sent_at, sent_day, due_at, due_day) VALUES {}",
            values_sql(7, chunk.len())
        ));
        for m in chunk {
            ins = ins
                .bind(m.message_id)
                .bind(m.department_id)
                .bind(m.requester_id)
                .bind(m.sent_at)
                .bind(day(m.sent_day))
                .bind(m.due_at)
                .bind(day(m.due_day));
        }
        tx.execute(ins).await?;
    }
    mark_corrected(&mut tx).await?;
    tx.commit().await
}

/// Sets `corrected` and `recalled` on the messages that have become so (read from the
/// corrections and the recalls, which are few, not from `kpi_messages`).
async fn mark_corrected(tx: &mut crate::Tx) -> Result<()> {
    tx.execute(q("UPDATE kpi_messages SET corrected = TRUE
                   WHERE NOT corrected
                     AND message_id IN (SELECT corrects_id FROM messages WHERE corrects_id IS NOT NULL)"))
        .await?;
    tx.execute(q(
        "UPDATE kpi_messages SET recalled = TRUE
                   WHERE NOT recalled AND message_id IN (SELECT message_id FROM recalls)",
    ))
    .await?;
    Ok(())
}

/// §6.1.1: a copy that reached its recipient and whose message was not corrected or retracted
/// (a later linked message, SPEC B8) nor recalled from its partner (§7.3).
const ACCURATE: &str = "CASE WHEN d.state IN ('sent', 'delivered', 'manual', 'read', 'acknowledged')
      AND NOT EXISTS (SELECT 1 FROM messages c WHERE c.corrects_id = d.message_id)
      AND NOT EXISTS (SELECT 1 FROM recalls rc WHERE rc.message_id = d.message_id AND rc.partner_id = d.partner_id)
     THEN 1 ELSE 0 END";

/// The same over a `kpi_messages` row `k` and its flags: a recall is looked up per partner
/// only for a message recalled from some partner.
const ACCURATE_FLAGGED: &str = "CASE WHEN d.state IN ('sent', 'delivered', 'manual', 'read', 'acknowledged')
      AND NOT k.corrected
      AND NOT (k.recalled AND EXISTS (SELECT 1 FROM recalls rc WHERE rc.message_id = d.message_id AND rc.partner_id = d.partner_id))
     THEN 1 ELSE 0 END";

/// §6.1.2: acknowledged by the due time, or (where no acknowledgement was asked) read or
/// acknowledged by it.
const TIMELY: &str = "CASE WHEN d.acked_at IS NOT NULL AND d.acked_at <= k.due_at THEN 1
     WHEN NOT d.ack_required AND d.read_at IS NOT NULL AND d.read_at <= k.due_at THEN 1
     ELSE 0 END";

/// Recomputes `kpi_daily`, `kpi_partner_daily` and the months of `kpi_partner_monthly` they
/// fall in for the days `from..=to` as of `now` (F2 counts a delivery once its due time has
/// passed), in one transaction.
///
/// A delivery adds to its message's day out (F1) and, once due, to its day due (F2). The
/// messages counted on these days are put in classes: of the same (day out, day due,
/// department, requester) for `kpi_daily`, of the same (day out, day due) for the partners.
/// The deliveries are counted twice, per (class, channel) and per (partner class, partner),
/// each a small table summed into the days: grouping by class, channel and partner at once
/// gave a row per message and partner (two messages a class in the benchmark) and summing
/// those cost more than reading the deliveries again.
pub async fn recompute_days(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut tx = db.begin().await?;
    if tx.backend() == crate::Backend::Postgres {
        // With the default 4 MB the grouping of a million deliveries sorts on disk, and the
        // planner's cost estimate turns on JIT compilation, 0.6 s a statement: 3.4 s a pass,
        // 1.2 s with a hash in memory and no JIT (BENCHMARKS, issue 16).
        tx.execute(q("SET LOCAL jit = off")).await?;
        tx.execute(q("SET LOCAL work_mem = '64MB'")).await?;
    }
    tx.execute(q("CREATE TEMP TABLE kpi_pass_messages AS
         SELECT message_id, due_at, corrected, recalled, sent_day AS out_day, due_day,
                department_id, requester_id, CAST(0 AS BIGINT) AS c, CAST(0 AS BIGINT) AS pc
           FROM kpi_messages WHERE 1 = 0"))
        .await?;
    tx.execute(
        q("INSERT INTO kpi_pass_messages
                (message_id, due_at, corrected, recalled, out_day, due_day, department_id, requester_id, c, pc)
           SELECT message_id, due_at, corrected, recalled, out_day, due_day, department_id, requester_id,
                  DENSE_RANK() OVER (ORDER BY out_day, due_day, department_id, requester_id),
                  DENSE_RANK() OVER (ORDER BY out_day, due_day)
             FROM (SELECT k.message_id, k.due_at, k.corrected, k.recalled,
                          CASE WHEN k.sent_day >= $1 AND k.sent_day <= $2 THEN k.sent_day END AS out_day,
                          CASE WHEN k.due_day >= $1 AND k.due_day <= $2 AND k.due_at <= $3 THEN k.due_day END AS due_day,
                          k.department_id, k.requester_id
                     FROM kpi_messages k
                    WHERE (k.sent_day >= $1 AND k.sent_day <= $2)
                       OR (k.due_day >= $1 AND k.due_day <= $2 AND k.due_at <= $3)) x")
        .bind(day(from))
        .bind(day(to))
        .bind(now),
    )
    .await?;
    // SQLite sorts a GROUP BY's input with every column its aggregates read; the fence keeps
    // the subquery from being merged into it, so what is sorted is the two flags, not the
    // delivery's state and times (half the time of the statement). PostgreSQL hashes.
    let fence = match tx.backend() {
        crate::Backend::Sqlite => " LIMIT -1",
        crate::Backend::Postgres => "",
    };
    let mut n = 0;
    for (class, key, table, keys, class_cols) in [
        (
            "c",
            "channel",
            "kpi_daily",
            "department_id, requester_id, channel",
            "department_id, requester_id",
        ),
        ("pc", "partner_id", "kpi_partner_daily", "partner_id", ""),
    ] {
        tx.execute(Q::dynamic(format!(
            "CREATE TEMP TABLE kpi_pass AS
             SELECT CAST(0 AS BIGINT) AS class, {key}, CAST(0 AS BIGINT) AS n,
                    CAST(0 AS BIGINT) AS accurate, CAST(0 AS BIGINT) AS timely
               FROM deliveries WHERE 1 = 0"
        )))
        .await?;
        tx.execute(Q::dynamic(format!(
            "INSERT INTO kpi_pass (class, {key}, n, accurate, timely)
             SELECT class, {key}, COUNT(*), SUM(a), SUM(t)
               FROM (SELECT k.{class} AS class, d.{key}, {ACCURATE_FLAGGED} AS a, {TIMELY} AS t
                       FROM kpi_pass_messages k JOIN deliveries d ON d.message_id = k.message_id{fence}) x
              GROUP BY class, {key}"
        )))
        .await?;
        tx.execute(
            Q::dynamic(format!("DELETE FROM {table} WHERE day >= $1 AND day <= $2"))
                .bind(day(from))
                .bind(day(to)),
        )
        .await?;
        let classes = format!(
            "(SELECT DISTINCT {class} AS class, out_day, due_day{sep}{class_cols} FROM kpi_pass_messages)",
            sep = if class_cols.is_empty() { "" } else { ", " }
        );
        n += tx
            .execute(Q::dynamic(format!(
                "INSERT INTO {table} (day, {keys}, sent, accurate, due, timely)
                 SELECT day, {keys}, SUM(sent), SUM(accurate), SUM(due), SUM(timely)
                   FROM (SELECT m.out_day AS day, {keys}, p.n AS sent, p.accurate, 0 AS due, 0 AS timely
                           FROM kpi_pass p JOIN {classes} m ON m.class = p.class
                          WHERE m.out_day IS NOT NULL
                         UNION ALL
                         SELECT m.due_day AS day, {keys}, 0 AS sent, 0 AS accurate, p.n AS due, p.timely
                           FROM kpi_pass p JOIN {classes} m ON m.class = p.class
                          WHERE m.due_day IS NOT NULL) x
                  GROUP BY day, {keys}"
            )))
            .await?;
        tx.execute(q("DROP TABLE kpi_pass")).await?;
    }
    tx.execute(q("DROP TABLE kpi_pass_messages")).await?;
    // The months these days are in, summed again from their days.
    let first = from.with_day(1).unwrap_or(from);
    let after = next_month(to);
    tx.execute(
        q("DELETE FROM kpi_partner_monthly WHERE month >= $1 AND month < $2")
            .bind(month(first))
            .bind(month(after)),
    )
    .await?;
    tx.execute(
        q(
            "INSERT INTO kpi_partner_monthly (month, partner_id, sent, accurate, due, timely)
           SELECT SUBSTR(day, 1, 7), partner_id, SUM(sent), SUM(accurate), SUM(due), SUM(timely)
             FROM kpi_partner_daily WHERE day >= $1 AND day < $2
            GROUP BY SUBSTR(day, 1, 7), partner_id",
        )
        .bind(day(first))
        .bind(day(after)),
    )
    .await?;
    tx.commit().await?;
    Ok(n)
}

fn month(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

/// The first day of the month after `d`'s.
fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// One rating as F3 reads it.
#[derive(Debug, Clone)]
pub struct Rating {
    pub at: DateTime<Utc>,
    pub department_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub score: i64,
}
from_row!(Rating; at: time, department_id: opt_uuid, person_id: opt_uuid,
    partner_id: opt_uuid, score: i64);

/// Ticket ratings given between `from` and `to` (§6.1.3).
pub async fn ticket_ratings(
    db: &Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Rating>> {
    db.fetch_all(
        q("SELECT rated_at AS at, department_id, assignee_id AS person_id, partner_id, rating AS score
             FROM tickets WHERE rating IS NOT NULL AND rated_at >= $1 AND rated_at < $2")
        .bind(from)
        .bind(to),
    )
    .await
}

/// A `kpi_ratings_daily` row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RatingKey {
    pub day: NaiveDate,
    pub department_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub source: &'static str,
}

/// Replaces `kpi_ratings_daily` for the days `from..=to` with `rows`.
pub async fn put_ratings(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    rows: &[(RatingKey, SatisfactionSums)],
) -> Result<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        q("DELETE FROM kpi_ratings_daily WHERE day >= $1 AND day <= $2")
            .bind(day(from))
            .bind(day(to)),
    )
    .await?;
    for chunk in rows.chunks(500) {
        let mut ins = Q::dynamic(format!(
            "INSERT INTO kpi_ratings_daily (day, department_id, person_id, partner_id, source, responses, score_sum, satisfied) VALUES {}",
            values_sql(8, chunk.len())
        ));
        for (k, s) in chunk {
            ins = ins
                .bind(day(k.day))
                .bind(k.department_id)
                .bind(k.person_id)
                .bind(k.partner_id)
                .bind(k.source)
                .bind(s.responses)
                .bind(s.sum)
                .bind(s.satisfied);
        }
        tx.execute(ins).await?;
    }
    tx.commit().await
}

/// When the aggregates were last brought up to date.
pub async fn swept_at(db: &Db) -> Result<Option<DateTime<Utc>>> {
    db.fetch_optional::<Swept>(q("SELECT swept_at FROM kpi_state WHERE name = 'daily'"))
        .await
        .map(|s| s.map(|s| s.swept_at))
}

struct Swept {
    swept_at: DateTime<Utc>,
}
from_row!(Swept; swept_at: time);

pub async fn set_swept_at(db: &Db, at: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin().await?;
    tx.execute(q("DELETE FROM kpi_state WHERE name = 'daily'"))
        .await?;
    tx.execute(q("INSERT INTO kpi_state (name, swept_at) VALUES ('daily', $1)").bind(at))
        .await?;
    tx.commit().await
}

/// The days out of messages corrected or recalled since `since` (their F1 changes), and the
/// days of answers to surveys still open or closed since (answers keep only a day, often the
/// round's first, so they may land on a day older than the sweep's look-back; §6.2.1).
pub async fn days_touched_since(db: &Db, since: DateTime<Utc>) -> Result<Vec<NaiveDate>> {
    let days: Vec<String> = db
        .fetch_all(
            q("SELECT DISTINCT k.sent_day FROM messages c JOIN kpi_messages k ON k.message_id = c.corrects_id
                WHERE c.created_at >= $1
               UNION
               SELECT DISTINCT k.sent_day FROM recalls rc JOIN kpi_messages k ON k.message_id = rc.message_id
                WHERE rc.recalled_at >= $1
               UNION
               SELECT DISTINCT a.answered_on FROM survey_answers a JOIN surveys s ON s.id = a.survey_id
                WHERE s.state = 'open' OR s.closed_at >= $1")
            .bind(since),
        )
        .await?;
    Ok(days
        .iter()
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .collect())
}

/// The first ticket rating and the first survey answer's day (a rebuild starts at the
/// earliest of these and the first message).
pub async fn first_rating(db: &Db) -> Result<(Option<DateTime<Utc>>, Option<NaiveDate>)> {
    let ticket = db
        .fetch_optional::<OptTime>(q(
            "SELECT MIN(rated_at) AS at FROM tickets WHERE rating IS NOT NULL",
        ))
        .await?
        .and_then(|r| r.0);
    let answer: Option<String> = db
        .fetch_optional::<OptText>(q("SELECT MIN(answered_on) AS d FROM survey_answers"))
        .await?
        .and_then(|r| r.0);
    Ok((
        ticket,
        answer.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
    ))
}

/// The first day with a dispatched message (where a rebuild starts).
pub async fn first_day(db: &Db) -> Result<Option<NaiveDate>> {
    let d: Option<String> = db
        .fetch_optional::<OptText>(q("SELECT MIN(sent_day) AS d FROM kpi_messages"))
        .await?
        .and_then(|r| r.0);
    Ok(d.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()))
}

struct OptText(Option<String>);
from_row!(OptText(d: opt_text));

struct OptTime(Option<DateTime<Utc>>);
from_row!(OptTime(at: opt_time));

/// The key a report groups by: an id (department, person, partner) or a word (channel, kind,
/// region, tier); `None` for "none" (a request with no department).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    Id(Option<Uuid>),
    Word(Option<String>),
}

/// One group's sums from the aggregates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sums {
    pub sent: i64,
    pub accurate: i64,
    pub due: i64,
    pub timely: i64,
}

impl Sums {
    pub fn accuracy(&self) -> Fraction {
        Fraction::new(self.accurate, self.sent)
    }
    pub fn timeliness(&self) -> Fraction {
        Fraction::new(self.timely, self.due)
    }
}

struct SumRow {
    key_id: Option<Uuid>,
    key_text: Option<String>,
    a: i64,
    b: i64,
    c: i64,
    d: i64,
}
from_row!(SumRow; key_id: opt_uuid, key_text: opt_text, a: i64, b: i64, c: i64, d: i64);

/// Whether a grouping reads the partners' table (`kpi_partner_daily`) rather than `kpi_daily`.
pub fn by_partner(g: GroupBy) -> bool {
    matches!(
        g,
        GroupBy::Partner | GroupBy::Kind | GroupBy::Region | GroupBy::Tier
    )
}

/// `(id column, text column)` of a grouping over `k` joined to `partners p`.
fn key_columns(g: GroupBy, person: &'static str) -> (&'static str, &'static str) {
    match g {
        GroupBy::Department => ("k.department_id", "CAST(NULL AS TEXT)"),
        GroupBy::Person => (person, "CAST(NULL AS TEXT)"),
        GroupBy::Partner => ("k.partner_id", "CAST(NULL AS TEXT)"),
        GroupBy::Channel => ("CAST(NULL AS UUID)", "k.channel"),
        GroupBy::Kind => ("CAST(NULL AS UUID)", "p.kind"),
        GroupBy::Region => ("CAST(NULL AS UUID)", "p.region"),
        GroupBy::Tier => ("CAST(NULL AS UUID)", "p.tier"),
    }
}

fn group_key(g: GroupBy, id: Option<Uuid>, text: Option<String>) -> GroupKey {
    match g {
        GroupBy::Department | GroupBy::Person | GroupBy::Partner => GroupKey::Id(id),
        _ => GroupKey::Word(text),
    }
}

/// A report's narrowing: only one department's rows (a department head), one partner's.
#[derive(Debug, Clone, Copy, Default)]
pub struct Narrow {
    pub department: Option<Uuid>,
    pub partner: Option<Uuid>,
}

/// The whole months in the days `from..to` (exclusive): `(first day, day after)`, empty
/// (`from`, `from`) when there is none.
fn whole_months(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = if from.day() == 1 {
        from
    } else {
        next_month(from)
    };
    let end = to.with_day(1).unwrap_or(to);
    if first < end {
        (first, end)
    } else {
        (from, from)
    }
}

/// `kpi_partner_daily` for the days `from..to` (exclusive) as a subquery with the columns
/// `partner_id, sent, accurate, due, timely`: whole months from `kpi_partner_monthly`, the
/// days before and after them from the day rows (a month's report reads a row per partner,
/// not one per partner and day). Binds four values to `query`.
fn partner_source(query: &mut Q, from: NaiveDate, to: NaiveDate) -> String {
    let (m1, m2) = whole_months(from, to);
    let (a, b) = (query.arg(month(m1)), query.arg(month(m2)));
    let (c, d) = (query.arg(day(from)), query.arg(day(to)));
    let (e, f) = (query.arg(day(m1)), query.arg(day(m2)));
    format!(
        "(SELECT partner_id, sent, accurate, due, timely FROM kpi_partner_monthly
           WHERE month >= {a} AND month < {b}
          UNION ALL
          SELECT partner_id, sent, accurate, due, timely FROM kpi_partner_daily
           WHERE day >= {c} AND day < {d} AND NOT (day >= {e} AND day < {f}))"
    )
}

/// F1 and F2 sums per group for the days `from..to` (exclusive), from `kpi_daily` (by
/// department, person, channel; narrowed by department) or the partners' aggregates (by
/// partner, kind, region, tier; narrowed by partner).
pub async fn delivery_sums(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    g: GroupBy,
    narrow: Narrow,
) -> Result<HashMap<GroupKey, Sums>> {
    let (id, text) = key_columns(g, "k.requester_id");
    let sums = "CAST(SUM(k.sent) AS BIGINT) AS a, CAST(SUM(k.accurate) AS BIGINT) AS b,
                CAST(SUM(k.due) AS BIGINT) AS c, CAST(SUM(k.timely) AS BIGINT) AS d";
    let mut query = Q::dynamic(String::new());
    let sql = if by_partner(g) {
        let source = partner_source(&mut query, from, to);
        // Partner ids alone need no partner row.
        let join = if g == GroupBy::Partner {
            ""
        } else {
            "LEFT JOIN partners p ON p.id = k.partner_id"
        };
        format!(
            "SELECT {id} AS key_id, {text} AS key_text, {sums} FROM {source} k {join} WHERE 1 = 1"
        )
    } else {
        let (a, b) = (query.arg(day(from)), query.arg(day(to)));
        format!(
            "SELECT {id} AS key_id, {text} AS key_text, {sums} FROM kpi_daily k
              WHERE k.day >= {a} AND k.day < {b}"
        )
    };
    query.push_sql(&sql);
    if by_partner(g) {
        query.and_some("k.partner_id =", narrow.partner);
    } else {
        query.and_some("k.department_id =", narrow.department);
    }
    query.push_sql(" GROUP BY 1, 2");
    let rows: Vec<SumRow> = db.fetch_all(query).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                group_key(g, r.key_id, r.key_text),
                Sums {
                    sent: r.a,
                    accurate: r.b,
                    due: r.c,
                    timely: r.d,
                },
            )
        })
        .collect())
}

/// F3 sums per group for the days `from..to`, from `kpi_ratings_daily` (by channel there is
/// nothing to group: ratings are not sent on a channel).
pub async fn rating_sums(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    g: GroupBy,
    narrow: Narrow,
) -> Result<HashMap<GroupKey, SatisfactionSums>> {
    if g == GroupBy::Channel {
        return Ok(HashMap::new());
    }
    let (id, text) = key_columns(g, "k.person_id");
    let mut query = Q::dynamic(format!(
        "SELECT {id} AS key_id, {text} AS key_text, CAST(SUM(k.responses) AS BIGINT) AS a, CAST(SUM(k.score_sum) AS BIGINT) AS b,
                CAST(SUM(k.satisfied) AS BIGINT) AS c, CAST(0 AS BIGINT) AS d
           FROM kpi_ratings_daily k LEFT JOIN partners p ON p.id = k.partner_id
          WHERE k.day >= $1 AND k.day < $2"
    ))
    .bind(day(from))
    .bind(day(to));
    query.and_some("k.department_id =", narrow.department);
    query.and_some("k.partner_id =", narrow.partner);
    query.push_sql(" GROUP BY 1, 2");
    let rows: Vec<SumRow> = db.fetch_all(query).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                group_key(g, r.key_id, r.key_text),
                SatisfactionSums {
                    responses: r.a,
                    sum: r.b,
                    satisfied: r.c,
                },
            )
        })
        .collect())
}

/// F1/F2 sums per local day for a trend (`from..to`), narrowed.
pub async fn daily_sums(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    narrow: Narrow,
) -> Result<Vec<(NaiveDate, Sums)>> {
    let table = if narrow.partner.is_some() {
        "kpi_partner_daily"
    } else {
        "kpi_daily"
    };
    let mut query = Q::dynamic(format!("SELECT CAST(NULL AS UUID) AS key_id, k.day AS key_text, CAST(SUM(k.sent) AS BIGINT) AS a,
                CAST(SUM(k.accurate) AS BIGINT) AS b, CAST(SUM(k.due) AS BIGINT) AS c, CAST(SUM(k.timely) AS BIGINT) AS d
           FROM {table} k WHERE k.day >= $1 AND k.day < $2"))
    .bind(day(from))
    .bind(day(to));
    if narrow.partner.is_some() {
        query.and_some("k.partner_id =", narrow.partner);
    } else {
        query.and_some("k.department_id =", narrow.department);
    }
    query.push_sql(" GROUP BY k.day ORDER BY k.day");
    let rows: Vec<SumRow> = db.fetch_all(query).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let d = NaiveDate::parse_from_str(r.key_text.as_deref()?, "%Y-%m-%d").ok()?;
            Some((
                d,
                Sums {
                    sent: r.a,
                    accurate: r.b,
                    due: r.c,
                    timely: r.d,
                },
            ))
        })
        .collect())
}

/// One delivery behind a number (drill-down).
#[derive(Debug, Clone, PartialEq)]
pub struct DrillDelivery {
    pub id: Uuid,
    pub message_id: Uuid,
    pub request_id: Uuid,
    pub title: String,
    pub classification: String,
    pub partner_id: Uuid,
    pub partner_name: String,
    pub channel: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub acked_at: Option<DateTime<Utc>>,
    pub ack_required: bool,
    pub counted: bool,
}
from_row!(DrillDelivery; id: uuid, message_id: uuid, request_id: uuid, title: text,
    classification: text, partner_id: uuid, partner_name: text, channel: text, state: text,
    created_at: time, due_at: time, read_at: opt_time, acked_at: opt_time,
    ack_required: bool, counted: i64 -> |n: i64| n > 0);

/// What a drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillOf {
    /// F1's deliveries (by the day they went out).
    Accuracy,
    /// F2's deliveries (by the day they fell due, once due).
    Timeliness,
}

/// The deliveries behind an F1 or F2 figure: the days `from..to`, one group's key (`None`:
/// every group), only those not counted in the numerator when `misses`; a page of `limit`
/// after the delivery id `after`.
#[allow(clippy::too_many_arguments)]
pub async fn drill_deliveries(
    db: &Db,
    of: DrillOf,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    group: Option<(GroupBy, GroupKey)>,
    narrow: Narrow,
    misses: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DrillDelivery>> {
    let (counted, day_col) = match of {
        DrillOf::Accuracy => (ACCURATE, "k.sent_day"),
        DrillOf::Timeliness => (TIMELY, "k.due_day"),
    };
    let mut query = Q::dynamic(format!(
        "SELECT d.id, d.message_id, m.request_id, m.title, m.classification, d.partner_id,
                p.name AS partner_name, d.channel, d.state, d.created_at, k.due_at, d.read_at,
                d.acked_at, d.ack_required, CAST({counted} AS BIGINT) AS counted
           FROM kpi_messages k
           JOIN deliveries d ON d.message_id = k.message_id
           JOIN messages m ON m.id = d.message_id
           JOIN partners p ON p.id = d.partner_id
          WHERE {day_col} >= $1 AND {day_col} < $2"
    ))
    .bind(day(from))
    .bind(day(to));
    if of == DrillOf::Timeliness {
        query.and("k.due_at <=", now);
    }
    query.and_some("k.department_id =", narrow.department);
    query.and_some("d.partner_id =", narrow.partner);
    if let Some((g, key)) = group {
        let col = match g {
            GroupBy::Department => "k.department_id",
            GroupBy::Person => "k.requester_id",
            GroupBy::Partner => "d.partner_id",
            GroupBy::Channel => "d.channel",
            GroupBy::Kind => "p.kind",
            GroupBy::Region => "p.region",
            GroupBy::Tier => "p.tier",
        };
        match key {
            GroupKey::Id(Some(id)) => query.and(&format!("{col} ="), id),
            GroupKey::Word(Some(w)) => query.and(&format!("{col} ="), w),
            _ => query.push_sql(&format!(" AND {col} IS NULL")),
        }
    }
    if misses {
        query.push_sql(&format!(" AND ({counted}) = 0"));
    }
    query.and_some("d.id >", after);
    query.order_limit("d.id", limit);
    db.fetch_all(query).await
}

/// One ticket rating behind F3 (drill-down).
#[derive(Debug, Clone, PartialEq)]
pub struct DrillTicket {
    pub id: Uuid,
    pub subject: String,
    pub classification: String,
    pub partner_name: String,
    pub rating: i64,
    pub rated_at: DateTime<Utc>,
}
from_row!(DrillTicket; id: uuid, subject: text, classification: text, partner_name: text,
    rating: i64, rated_at: time);

/// The rated tickets between `from` and `to`, narrowed, a page after `after`.
pub async fn drill_tickets(
    db: &Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    narrow: Narrow,
    misses: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DrillTicket>> {
    let mut query = q(
        "SELECT t.id, t.subject, t.classification, p.name AS partner_name,
                t.rating, t.rated_at
           FROM tickets t JOIN partners p ON p.id = t.partner_id
          WHERE t.rating IS NOT NULL AND t.rated_at >= $1 AND t.rated_at < $2",
    )
    .bind(from)
    .bind(to);
    query.and_some("t.department_id =", narrow.department);
    query.and_some("t.partner_id =", narrow.partner);
    if misses {
        query.push_sql(" AND t.rating < 4");
    }
    query.and_some("t.id >", after);
    query.order_limit("t.id", limit);
    db.fetch_all(query).await
}

/// One delivery with everything the raw computation of F1 and F2 needs (tests and the
/// aggregate check: the aggregates must equal this, computed row by row).
#[derive(Debug, Clone)]
pub struct RawDelivery {
    pub message_id: Uuid,
    pub partner_id: Uuid,
    pub channel: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub acked_at: Option<DateTime<Utc>>,
    pub ack_required: bool,
    pub deadline: Option<DateTime<Utc>>,
    pub department_id: Option<Uuid>,
    pub requester_id: Option<Uuid>,
    pub corrected: bool,
    pub recalled: bool,
}
from_row!(RawDelivery; message_id: uuid, partner_id: uuid, channel: text, state: text,
    created_at: time, read_at: opt_time, acked_at: opt_time, ack_required: bool,
    deadline: opt_time, department_id: opt_uuid, requester_id: opt_uuid,
    corrected: i64 -> |n: i64| n > 0, recalled: i64 -> |n: i64| n > 0);

/// Every delivery, raw (for checking the aggregates; not for reports).
pub async fn raw_deliveries(db: &Db) -> Result<Vec<RawDelivery>> {
    db.fetch_all(q(
        "SELECT d.message_id, d.partner_id, d.channel, d.state, d.created_at, d.read_at, d.acked_at,
                d.ack_required, m.ack_due_at AS deadline, r.department_id, r.requester_id,
                CAST(CASE WHEN EXISTS (SELECT 1 FROM messages c WHERE c.corrects_id = d.message_id) THEN 1 ELSE 0 END AS BIGINT) AS corrected,
                CAST(CASE WHEN EXISTS (SELECT 1 FROM recalls rc WHERE rc.message_id = d.message_id AND rc.partner_id = d.partner_id) THEN 1 ELSE 0 END AS BIGINT) AS recalled
           FROM deliveries d JOIN messages m ON m.id = d.message_id JOIN requests r ON r.id = m.request_id",
    ))
    .await
}

/// Every `kpi_daily` row: (day, department, requester, channel) and its sums.
pub type DailyKey = (String, Option<Uuid>, Option<Uuid>, String);

pub async fn daily_rows(db: &Db) -> Result<Vec<(DailyKey, Sums)>> {
    struct R {
        day: String,
        department_id: Option<Uuid>,
        requester_id: Option<Uuid>,
        channel: String,
        sent: i64,
        accurate: i64,
        due: i64,
        timely: i64,
    }
    from_row!(R; day: text, department_id: opt_uuid, requester_id: opt_uuid, channel: text,
        sent: i64, accurate: i64, due: i64, timely: i64);
    let rows: Vec<R> = db
        .fetch_all(q(
            "SELECT day, department_id, requester_id, channel, sent, accurate, due, timely FROM kpi_daily",
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                (r.day, r.department_id, r.requester_id, r.channel),
                Sums {
                    sent: r.sent,
                    accurate: r.accurate,
                    due: r.due,
                    timely: r.timely,
                },
            )
        })
        .collect())
}

/// Every `kpi_partner_daily` row: (day, partner) and its sums.
pub async fn partner_daily_rows(db: &Db) -> Result<Vec<((String, Uuid), Sums)>> {
    partner_rows(
        db,
        "SELECT day AS period, partner_id, sent, accurate, due, timely FROM kpi_partner_daily",
    )
    .await
}

/// Every `kpi_partner_monthly` row: (month, partner) and its sums.
pub async fn partner_monthly_rows(db: &Db) -> Result<Vec<((String, Uuid), Sums)>> {
    partner_rows(
        db,
        "SELECT month AS period, partner_id, sent, accurate, due, timely FROM kpi_partner_monthly",
    )
    .await
}

/// The rows of `sql`: (period, partner) and its sums.
async fn partner_rows(db: &Db, sql: &'static str) -> Result<Vec<((String, Uuid), Sums)>> {
    struct R {
        period: String,
        partner_id: Uuid,
        sent: i64,
        accurate: i64,
        due: i64,
        timely: i64,
    }
    from_row!(R; period: text, partner_id: uuid, sent: i64, accurate: i64, due: i64, timely: i64);
    let rows: Vec<R> = db.fetch_all(q(sql)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let sums = Sums {
                sent: r.sent,
                accurate: r.accurate,
                due: r.due,
                timely: r.timely,
            };
            ((r.period, r.partner_id), sums)
        })
        .collect())
}

/// What partners did between `from` and `to` (§6.2.3), each part as a fraction or a count,
/// per partner (`only`: these partners; `None`: all).
#[derive(Debug, Clone, Default)]
pub struct Observed {
    pub attendance: HashMap<Uuid, Fraction>,
    pub data_punctuality: HashMap<Uuid, Fraction>,
    pub data_accuracy: HashMap<Uuid, Fraction>,
    pub initiatives: HashMap<Uuid, i64>,
}

struct PartRow {
    partner_id: Uuid,
    a: i64,
    b: i64,
}
from_row!(PartRow; partner_id: uuid, a: i64, b: i64);

pub async fn observed(
    db: &Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    only: Option<Uuid>,
) -> Result<Observed> {
    let run = |sql: &'static str| {
        let mut query = q(sql).bind(from).bind(to);
        query.and_some("x.partner_id =", only);
        query.push_sql(" GROUP BY x.partner_id");
        query
    };
    let frac = |rows: Vec<PartRow>| {
        rows.into_iter()
            .map(|r| (r.partner_id, Fraction::new(r.a, r.b)))
            .collect::<HashMap<_, _>>()
    };
    let attendance = frac(
        db.fetch_all(run(
            "SELECT x.partner_id, SUM(CASE WHEN x.attended THEN 1 ELSE 0 END) AS a, COUNT(*) AS b
               FROM meeting_attendees x JOIN meetings mt ON mt.id = x.meeting_id
              WHERE mt.starts_at >= $1 AND mt.starts_at < $2 AND mt.state <> 'cancelled'
                AND x.partner_id IS NOT NULL AND NOT x.removed AND x.attended IS NOT NULL",
        ))
        .await?,
    );
    let data_punctuality = frac(
        db.fetch_all(run(
            "SELECT x.partner_id, SUM(CASE WHEN x.on_time THEN 1 ELSE 0 END) AS a, COUNT(*) AS b
               FROM submissions x
              WHERE x.submitted_at >= $1 AND x.submitted_at < $2 AND x.state <> 'rejected'
                AND x.on_time IS NOT NULL",
        ))
        .await?,
    );
    let data_accuracy = frac(
        db.fetch_all(run(
            "SELECT x.partner_id, SUM(CASE WHEN x.state <> 'rejected' THEN 1 ELSE 0 END) AS a, COUNT(*) AS b
               FROM submissions x WHERE x.submitted_at >= $1 AND x.submitted_at < $2",
        ))
        .await?,
    );
    let initiatives = db
        .fetch_all::<PartRow>(run(
            "SELECT x.partner_id, COUNT(*) AS a, CAST(0 AS BIGINT) AS b FROM feedback x
              WHERE x.created_at >= $1 AND x.created_at < $2 AND x.merged_into IS NULL",
        ))
        .await?
        .into_iter()
        .map(|r| (r.partner_id, r.a))
        .collect();
    Ok(Observed {
        attendance,
        data_punctuality,
        data_accuracy,
        initiatives,
    })
}

/// Labels for group keys: departments, users and partners by id.
pub async fn names(db: &Db, g: GroupBy, ids: &[Uuid]) -> Result<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let table = match g {
        GroupBy::Department => "departments",
        GroupBy::Person => "users",
        GroupBy::Partner => "partners",
        _ => return Ok(HashMap::new()),
    };
    struct N {
        id: Uuid,
        name: String,
    }
    from_row!(N; id: uuid, name: text);
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let query = Q::over_list(chunk.iter().copied(), |l| {
            format!("SELECT id, name FROM {table} WHERE id IN {l}")
        });
        for n in db.fetch_all::<N>(query).await? {
            out.insert(n.id, n.name);
        }
    }
    Ok(out)
}

/// The partners a channel manager owns (for movers), or every partner.
pub async fn partner_ids(db: &Db, owner: Option<Uuid>) -> Result<Vec<Uuid>> {
    let mut query = q("SELECT id FROM partners WHERE 1 = 1");
    query.and_some("owner_id =", owner);
    db.fetch_all(query).await
}

/// The partners' kind, region and tier (for grouping the relationship index).
pub async fn partner_groups(db: &Db) -> Result<HashMap<Uuid, [String; 3]>> {
    struct P {
        id: Uuid,
        kind: String,
        region: String,
        tier: String,
    }
    from_row!(P; id: uuid, kind: text, region: text, tier: text);
    let rows: Vec<P> = db
        .fetch_all(q("SELECT id, kind, region, tier FROM partners"))
        .await?;
    Ok(rows
        .into_iter()
        .map(|p| (p.id, [p.kind, p.region, p.tier]))
        .collect())
}

/// F3 sums per month (`YYYY-MM`) for the days `from..to`, narrowed.
pub async fn rating_sums_by_month(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    narrow: Narrow,
) -> Result<HashMap<String, SatisfactionSums>> {
    let mut query = q(
        "SELECT CAST(NULL AS UUID) AS key_id, SUBSTR(k.day, 1, 7) AS key_text,
                CAST(SUM(k.responses) AS BIGINT) AS a, CAST(SUM(k.score_sum) AS BIGINT) AS b,
                CAST(SUM(k.satisfied) AS BIGINT) AS c, CAST(0 AS BIGINT) AS d
           FROM kpi_ratings_daily k WHERE k.day >= $1 AND k.day < $2",
    )
    .bind(day(from))
    .bind(day(to));
    query.and_some("k.department_id =", narrow.department);
    query.and_some("k.partner_id =", narrow.partner);
    query.push_sql(" GROUP BY SUBSTR(k.day, 1, 7)");
    let rows: Vec<SumRow> = db.fetch_all(query).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some((
                r.key_text?,
                SatisfactionSums {
                    responses: r.a,
                    sum: r.b,
                    satisfied: r.c,
                },
            ))
        })
        .collect())
}

/// Makes the next sweep a rebuild (the working-hours rule changed).
pub async fn forget_sweep(db: &Db) -> Result<()> {
    db.execute(q("DELETE FROM kpi_state WHERE name = 'daily'"))
        .await
        .map(|_| ())
}

/// Whose business figures a business-impact chart reads: one partner or one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whose {
    Partner(Uuid),
    Region(String),
}

struct PeriodValue {
    period: String,
    value: f64,
}
from_row!(PeriodValue; period: text, value: f64);

/// A data set's measure per period (`from..=to`, period codes as the data area writes them:
/// `2026-07`, `2026-Q3`) over the partners' totals (series `''`): summed over a region's
/// partners, or averaged where `mean` (a share).
pub async fn business_series(
    db: &Db,
    (dataset, measure): (&str, &str),
    whose: &Whose,
    (from, to): (&str, &str),
    mean: bool,
    known_to: Option<&crate::data::Knower>,
) -> Result<Vec<(String, f64)>> {
    let agg = if mean { "AVG" } else { "SUM" };
    let mut query = Q::dynamic(format!(
        "SELECT dp.period, CAST({agg}(dp.value) AS DOUBLE PRECISION) AS value
           FROM data_points dp JOIN datasets ds ON ds.id = dp.dataset_id
           JOIN partners p ON p.id = dp.partner_id
          WHERE ds.code = $1 AND dp.measure = $2 AND dp.series = '' AND dp.period >= $3 AND dp.period <= $4"
    ))
    .bind(dataset)
    .bind(measure)
    .bind(from)
    .bind(to);
    match whose {
        Whose::Partner(p) => query.and("p.id =", *p),
        Whose::Region(r) => query.and("p.region =", r.as_str()),
    }
    if let Some(k) = known_to {
        // §7.2.2: only the partners whose figures of the data set the reader knows.
        let known = crate::data::known_sql(&mut query, "dp.partner_id", "ds.id", k);
        query.push_sql(&format!(" AND {known}"));
    }
    query.push_sql(" GROUP BY dp.period ORDER BY dp.period");
    let rows: Vec<PeriodValue> = db.fetch_all(query).await?;
    Ok(rows.into_iter().map(|r| (r.period, r.value)).collect())
}

/// F1 and F2 sums per month (`YYYY-MM`) for one partner or one region, from
/// `kpi_partner_monthly` (`from` and `to` are the first days of months).
pub async fn monthly_partner_sums(
    db: &Db,
    whose: &Whose,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<String, Sums>> {
    let mut query = q("SELECT CAST(NULL AS UUID) AS key_id, k.month AS key_text,
                CAST(SUM(k.sent) AS BIGINT) AS a, CAST(SUM(k.accurate) AS BIGINT) AS b,
                CAST(SUM(k.due) AS BIGINT) AS c, CAST(SUM(k.timely) AS BIGINT) AS d
           FROM kpi_partner_monthly k JOIN partners p ON p.id = k.partner_id
          WHERE k.month >= $1 AND k.month < $2")
    .bind(month(from))
    .bind(month(to));
    match whose {
        Whose::Partner(p) => query.and("p.id =", *p),
        Whose::Region(r) => query.and("p.region =", r.as_str()),
    }
    query.push_sql(" GROUP BY k.month");
    let rows: Vec<SumRow> = db.fetch_all(query).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some((
                r.key_text?,
                Sums {
                    sent: r.a,
                    accurate: r.b,
                    due: r.c,
                    timely: r.d,
                },
            ))
        })
        .collect())
}

/// The regions partners are in.
pub async fn regions(db: &Db) -> Result<Vec<String>> {
    db.fetch_all(q("SELECT DISTINCT region FROM partners ORDER BY region"))
        .await
}
