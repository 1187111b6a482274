//! Evaluation (policy §6; SPEC F1-F4, F6, F7; issue 16): the four indicators from the daily
//! aggregates, the drill-down to the rows behind a number, the relationship index, the
//! scorecards and business impact; and keeping the aggregates (the worker's `sweep`, the CLI's
//! `rebuild`). Rules are `liaison_core::kpi`; SQL is `liaison_db::kpi`.
//!
//! Who reads what (`ReadEvaluation`): leadership, channel management and admins everything; a
//! department head the same pages narrowed to their own department (its requests' deliveries,
//! its tickets, its people). A partner user only its own partner's relationship index
//! (`ReadRelationship`; another partner's is a 404).

use crate::{Error, Result};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use liaison_core::calendar::{COMPANY_ZONE, Calendar};
use liaison_core::delivery::DeliveryState;
use liaison_core::kpi::{
    self as rules, Behaviour, ComponentScore, DeliveryFact, Fraction, GroupBy, Indicator, Period,
    PeriodKind, Reason, Satisfaction, SatisfactionSums, ScoreInput, SurveyMeasure, SurveyScore,
};
use liaison_core::partner::WorkingHours;
use liaison_core::tickets::WorkTime;
use liaison_core::{Actor, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::kpi::{self as repo, GroupKey, KpiMessage, MessageBasis, Narrow, RatingKey, Sums};
use liaison_db::settings::EvaluationSettings;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// Days before the last sweep recomputed again by the next: a delivery's state can still
/// change (a dead one sent again, a held one sent) for about this long after it went out.
pub const LOOKBACK_DAYS: i64 = 7;

/// The company-zone midnight that starts `d`, as an instant.
pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    COMPANY_ZONE
        .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
}

/// The survey answers given between `from` and `to` (§6.2.1) on questions tagged with a
/// measure: satisfaction counts into F3, NPS and willingness into F4. Anonymous answers carry
/// no partner, so they count only in the company's total.
pub async fn survey_scores(
    db: &Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SurveyScore>> {
    liaison_db::surveys::scores(db, from, to)
        .await?
        .into_iter()
        .map(|r| {
            let measure = SurveyMeasure::parse(&r.measure).map_err(|_| {
                crate::Error::Internal(format!("a survey answer's measure {:?}", r.measure))
            })?;
            Ok(SurveyScore {
                partner_id: r.partner_id,
                at: r.at,
                measure,
                score: r.score,
            })
        })
        .collect()
}

/// The working time deadline-less deliveries are due in (§5.3.2, §6.1.2).
struct Work {
    hours: WorkingHours,
    calendar: Calendar,
    settings: EvaluationSettings,
}

impl Work {
    async fn load(db: &Db) -> Result<Work> {
        Ok(Work {
            hours: WorkingHours::default(),
            calendar: liaison_db::calendar::load(db).await?,
            settings: liaison_db::settings::evaluation(db).await?,
        })
    }

    fn time(&self) -> WorkTime<'_> {
        WorkTime {
            tz: COMPANY_ZONE,
            hours: &self.hours,
            calendar: &self.calendar,
        }
    }

    fn based(&self, m: MessageBasis) -> KpiMessage {
        let due = rules::due_time(
            m.deadline,
            m.first_sent,
            &self.time(),
            self.settings.timeliness_hours,
        );
        KpiMessage {
            message_id: m.message_id,
            department_id: m.department_id,
            requester_id: m.requester_id,
            sent_at: m.first_sent,
            sent_day: rules::day_of(m.first_sent, COMPANY_ZONE),
            due_at: due,
            due_day: rules::day_of(due, COMPANY_ZONE),
        }
    }
}

/// What a rebuild or a sweep did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rebuilt {
    pub messages: usize,
    pub from: Option<NaiveDate>,
    pub to: NaiveDate,
    pub rows: u64,
}

/// Recomputes the day aggregates and `kpi_ratings_daily` for `from..=to`, up to two calendar
/// months at a time: a transaction each, and each reads the deliveries of the messages out or
/// due in it, so a message due after its chunk's end is read again by the next (with one
/// month a chunk, "last month and this one so far" read last month's last days twice).
async fn recompute(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<u64> {
    let now = db.now();
    let mut rows = 0;
    let mut start = from;
    while start <= to {
        let next = Period::of(PeriodKind::Month, start).to;
        let end = (Period::of(PeriodKind::Month, next).to - Duration::days(1)).min(to);
        rows += repo::recompute_days(db, start, end, now).await?;
        start = end + Duration::days(1);
    }
    recompute_ratings(db, from, to).await?;
    Ok(rows)
}

async fn recompute_ratings(db: &Db, from: NaiveDate, to: NaiveDate) -> Result<()> {
    let (a, b) = (day_start(from), day_start(to + Duration::days(1)));
    let mut sums: BTreeMap<RatingKey, SatisfactionSums> = BTreeMap::new();
    for r in repo::ticket_ratings(db, a, b).await? {
        let key = RatingKey {
            day: rules::day_of(r.at, COMPANY_ZONE),
            department_id: r.department_id,
            person_id: r.person_id,
            partner_id: r.partner_id,
            source: "ticket",
        };
        sums.entry(key).or_default().add(r.score);
    }
    for s in survey_scores(db, a, b).await? {
        if s.measure == SurveyMeasure::Satisfaction {
            let key = RatingKey {
                day: rules::day_of(s.at, COMPANY_ZONE),
                department_id: None,
                person_id: None,
                partner_id: s.partner_id,
                source: "survey",
            };
            sums.entry(key).or_default().add(i64::from(s.score));
        }
    }
    let rows: Vec<_> = sums.into_iter().collect();
    repo::put_ratings(db, from, to, &rows).await?;
    Ok(())
}

/// `liaison stats rebuild [--from DATE]`: every message's due time again (after a change of
/// the working-hours rule or the calendar), then every day's aggregates from `from` (the
/// first day anything went out) to today.
#[tracing::instrument(skip_all)]
pub async fn rebuild(db: &Db, from: Option<NaiveDate>) -> Result<Rebuilt> {
    let started = db.now();
    let work = Work::load(db).await?;
    let messages: Vec<KpiMessage> = repo::all_messages(db)
        .await?
        .into_iter()
        .map(|m| work.based(m))
        .collect();
    repo::put_messages(db, &messages, true).await?;
    let first = match from {
        Some(f) => Some(f),
        None => {
            let (rated, answered) = repo::first_rating(db).await?;
            [
                repo::first_day(db).await?,
                rated.map(|t| rules::day_of(t, COMPANY_ZONE)),
                answered,
            ]
            .into_iter()
            .flatten()
            .min()
        }
    };
    let today = rules::day_of(started, COMPANY_ZONE);
    let mut rows = 0;
    if let Some(f) = first {
        rows = recompute(db, f, today).await?;
    }
    repo::set_swept_at(db, started).await?;
    Ok(Rebuilt {
        messages: messages.len(),
        from: first,
        to: today,
        rows,
    })
}

/// The worker's sweep: new messages get their due times, and the days that can have changed
/// since the last sweep are recomputed — from `LOOKBACK_DAYS` before it to today (a day's F2 is
/// final once it has ended; its F1 once its deliveries stopped moving), plus the days of
/// messages corrected or recalled since and of answers to surveys still open. The first sweep
/// is a rebuild.
#[tracing::instrument(skip_all)]
pub async fn sweep(db: &Db) -> Result<Rebuilt> {
    let Some(last) = repo::swept_at(db).await? else {
        return rebuild(db, None).await;
    };
    let started = db.now();
    let work = Work::load(db).await?;
    let fresh: Vec<KpiMessage> = repo::new_messages(db)
        .await?
        .into_iter()
        .map(|m| work.based(m))
        .collect();
    repo::put_messages(db, &fresh, false).await?;
    let today = rules::day_of(started, COMPANY_ZONE);
    let from = rules::day_of(last, COMPANY_ZONE) - Duration::days(LOOKBACK_DAYS);
    let mut rows = recompute(db, from, today).await?;
    let mut older: Vec<NaiveDate> = repo::days_touched_since(db, last)
        .await?
        .into_iter()
        .filter(|d| *d < from)
        .collect();
    older.sort();
    older.dedup();
    for d in older {
        rows += repo::recompute_days(db, d, d, started).await?;
        recompute_ratings(db, d, d).await?;
    }
    repo::set_swept_at(db, started).await?;
    Ok(Rebuilt {
        messages: fresh.len(),
        from: Some(from),
        to: today,
        rows,
    })
}

/// Who reads the evaluation and how narrowly (see the module's comment).
fn evaluation_scope(actor: &Actor) -> Result<Narrow> {
    authorize(actor, Permission::ReadEvaluation, &Object::default())?;
    let everything = [Role::Admin, Role::ChannelManager, Role::Executive]
        .iter()
        .any(|r| actor.roles.has(*r));
    if everything {
        Ok(Narrow::default())
    } else {
        Ok(Narrow {
            department: Some(actor.department_id.ok_or(Error::Forbidden)?),
            partner: None,
        })
    }
}

/// The groupings `actor` may ask for (a department head: department, person, channel).
pub fn group_bys(actor: &Actor) -> Result<Vec<GroupBy>> {
    let narrow = evaluation_scope(actor)?;
    Ok(GroupBy::ALL
        .iter()
        .copied()
        .filter(|g| narrow.department.is_none() || !repo::by_partner(*g))
        .collect())
}

/// A report's days: `from..=to` given as dates (in the company's zone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Days {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
}

impl Days {
    pub fn of(p: Period) -> Days {
        Days {
            from: p.from,
            to: p.to - Duration::days(1),
        }
    }

    fn end(&self) -> NaiveDate {
        self.to + Duration::days(1)
    }

    /// The same number of days just before.
    pub fn previous(&self) -> Days {
        let len = (self.to - self.from).num_days() + 1;
        Days {
            from: self.from - Duration::days(len),
            to: self.from - Duration::days(1),
        }
    }

    /// Checks the order and the length (at most ten years).
    pub fn check(self) -> Result<Days> {
        if self.to < self.from {
            return Err(Error::invalid(
                "to",
                liaison_core::validate::Msg::new("validate.period_order"),
            ));
        }
        if (self.to - self.from).num_days() > 3660 {
            return Err(Error::invalid(
                "from",
                liaison_core::validate::Msg::new("validate.period_too_long"),
            ));
        }
        Ok(self)
    }
}

/// The relationship index's value and change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RelationshipFigure {
    pub value: Option<f64>,
    pub change: Option<f64>,
}

/// One group of a KPI report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// The department, user or partner id, or the channel, kind, region or tier code;
    /// `"none"` for rows with none (a request with no department).
    pub key: String,
    /// What a person reads for the key (a name; codes are labelled by the page).
    pub label: Option<String>,
    pub accuracy: Fraction,
    pub timeliness: Fraction,
    pub satisfaction: Satisfaction,
    pub relationship: RelationshipFigure,
}

/// `GET /api/v1/kpis`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_by: GroupBy,
    pub total: Group,
    pub groups: Vec<Group>,
}

fn key_text(k: &GroupKey) -> String {
    match k {
        GroupKey::Id(Some(id)) => id.to_string(),
        GroupKey::Word(Some(w)) => w.clone(),
        _ => "none".into(),
    }
}

/// Parses a report key back (`none`, an id, a code).
pub fn parse_key(g: GroupBy, s: &str) -> Result<GroupKey> {
    let s = s.trim();
    let id_group = matches!(g, GroupBy::Department | GroupBy::Person | GroupBy::Partner);
    if s == "none" {
        return Ok(if id_group {
            GroupKey::Id(None)
        } else {
            GroupKey::Word(None)
        });
    }
    if id_group {
        Uuid::parse_str(s)
            .map(|u| GroupKey::Id(Some(u)))
            .map_err(|_| {
                Error::invalid("key", liaison_core::validate::Msg::new("validate.invalid"))
            })
    } else if s.is_empty() || s.len() > 100 {
        Err(Error::invalid(
            "key",
            liaison_core::validate::Msg::new("validate.required"),
        ))
    } else {
        Ok(GroupKey::Word(Some(s.to_string())))
    }
}

/// Every partner's relationship index for `days` (and its change against the days before),
/// narrowed to one partner when given.
async fn indexes(
    db: &Db,
    days: Days,
    settings: &EvaluationSettings,
    only: Option<Uuid>,
) -> Result<HashMap<Uuid, (rules::RelationshipIndex, Option<f64>)>> {
    let now_i = partner_indexes(db, days, settings, only).await?;
    let before = partner_indexes(db, days.previous(), settings, only).await?;
    Ok(now_i
        .into_iter()
        .map(|(p, i)| {
            let prev = before.get(&p).and_then(|b| b.value);
            let change = rules::change(i.value, prev);
            (p, (i, change))
        })
        .collect())
}

async fn partner_indexes(
    db: &Db,
    days: Days,
    settings: &EvaluationSettings,
    only: Option<Uuid>,
) -> Result<HashMap<Uuid, rules::RelationshipIndex>> {
    let narrow = Narrow {
        department: None,
        partner: only,
    };
    let acks = repo::delivery_sums(db, days.from, days.end(), GroupBy::Partner, narrow).await?;
    let (a, b) = (day_start(days.from), day_start(days.end()));
    let seen = repo::observed(db, a, b, only).await?;
    let surveys = survey_scores(db, a, b).await?;
    let mut partners: HashSet<Uuid> = HashSet::new();
    for k in acks.keys() {
        if let GroupKey::Id(Some(p)) = k {
            partners.insert(*p);
        }
    }
    partners.extend(seen.attendance.keys());
    partners.extend(seen.data_punctuality.keys());
    partners.extend(seen.data_accuracy.keys());
    partners.extend(seen.initiatives.keys());
    partners.extend(surveys.iter().filter_map(|s| s.partner_id));
    if let Some(p) = only {
        partners.retain(|x| *x == p);
    }
    Ok(partners
        .into_iter()
        .map(|p| {
            let b = Behaviour {
                acknowledgement: acks
                    .get(&GroupKey::Id(Some(p)))
                    .map(Sums::timeliness)
                    .unwrap_or_default(),
                attendance: seen.attendance.get(&p).copied().unwrap_or_default(),
                data_punctuality: seen.data_punctuality.get(&p).copied().unwrap_or_default(),
                data_accuracy: seen.data_accuracy.get(&p).copied().unwrap_or_default(),
                initiatives: seen.initiatives.get(&p).copied().unwrap_or(0),
                surveys: surveys
                    .iter()
                    .filter(|s| s.partner_id == Some(p))
                    .copied()
                    .collect(),
            };
            (p, rules::relationship_index(&b, &settings.relationship))
        })
        .collect())
}

fn mean(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let v: Vec<f64> = xs.collect();
    (!v.is_empty()).then(|| (v.iter().sum::<f64>() / v.len() as f64 * 10.0).round() / 10.0)
}

/// §6.1, SPEC F1-F4: the four indicators for `days`, grouped, from the daily aggregates. The
/// relationship index is a partner's measure (§6.1.4): a group of partners (partner, kind,
/// region, tier) shows the mean index of its partners; department, person and channel show
/// none (`null`), and the company's total the mean of every partner's. A department head's
/// evaluation is their department's: by department, person or channel only.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn report(db: &Db, actor: &Actor, days: Days, group_by: GroupBy) -> Result<Report> {
    let narrow = evaluation_scope(actor)?;
    if narrow.department.is_some() && repo::by_partner(group_by) {
        return Err(Error::Forbidden);
    }
    let days = days.check()?;
    let settings = liaison_db::settings::evaluation(db).await?;
    let end = days.end();
    let sums = repo::delivery_sums(db, days.from, end, group_by, narrow).await?;
    let ratings = repo::rating_sums(db, days.from, end, group_by, narrow).await?;
    let idx = indexes(db, days, &settings, None).await?;
    // Which partners each group holds.
    let members: HashMap<GroupKey, Vec<Uuid>> = match group_by {
        GroupBy::Partner => idx
            .keys()
            .map(|p| (GroupKey::Id(Some(*p)), vec![*p]))
            .collect(),
        GroupBy::Kind | GroupBy::Region | GroupBy::Tier => {
            let groups = repo::partner_groups(db).await?;
            let at = match group_by {
                GroupBy::Kind => 0,
                GroupBy::Region => 1,
                _ => 2,
            };
            let mut m: HashMap<GroupKey, Vec<Uuid>> = HashMap::new();
            for p in idx.keys() {
                if let Some(g) = groups.get(p) {
                    m.entry(GroupKey::Word(Some(g[at].clone())))
                        .or_default()
                        .push(*p);
                }
            }
            m
        }
        _ => HashMap::new(),
    };
    let relationship_of = |ps: Option<&Vec<Uuid>>| {
        let ps = ps.map(Vec::as_slice).unwrap_or(&[]);
        RelationshipFigure {
            value: mean(ps.iter().filter_map(|p| idx.get(p)?.0.value)),
            change: mean(ps.iter().filter_map(|p| idx.get(p)?.1)),
        }
    };
    let mut keys: Vec<GroupKey> = sums.keys().chain(ratings.keys()).cloned().collect();
    if narrow.department.is_none() {
        keys.extend(members.keys().cloned());
    }
    keys.sort();
    keys.dedup();
    let ids: Vec<Uuid> = keys
        .iter()
        .filter_map(|k| match k {
            GroupKey::Id(Some(id)) => Some(*id),
            _ => None,
        })
        .collect();
    let names = repo::names(db, group_by, &ids).await?;
    let mut total = Sums::default();
    let mut total_r = SatisfactionSums::default();
    let mut groups: Vec<Group> = keys
        .iter()
        .map(|k| {
            let s = sums.get(k).cloned().unwrap_or_default();
            let r = ratings.get(k).copied().unwrap_or_default();
            total.sent += s.sent;
            total.accurate += s.accurate;
            total.due += s.due;
            total.timely += s.timely;
            total_r = total_r.plus(r);
            Group {
                key: key_text(k),
                label: match k {
                    GroupKey::Id(Some(id)) => names.get(id).cloned(),
                    _ => None,
                },
                accuracy: s.accuracy(),
                timeliness: s.timeliness(),
                satisfaction: r.view(),
                relationship: relationship_of(members.get(k)),
            }
        })
        .collect();
    groups.sort_by(|a, b| {
        b.accuracy
            .denominator
            .cmp(&a.accuracy.denominator)
            .then_with(|| a.key.cmp(&b.key))
    });
    let all: Vec<Uuid> = idx.keys().copied().collect();
    Ok(Report {
        from: days.from,
        to: days.to,
        group_by,
        total: Group {
            key: "all".into(),
            label: None,
            accuracy: total.accuracy(),
            timeliness: total.timeliness(),
            satisfaction: total_r.view(),
            relationship: if narrow.department.is_none() {
                relationship_of(Some(&all))
            } else {
                RelationshipFigure::default()
            },
        },
        groups,
    })
}

/// The four indicators per month for a trend chart (`months` ending with `last`'s month).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub period: String,
    pub accuracy: Fraction,
    pub timeliness: Fraction,
    pub satisfaction: Satisfaction,
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn trend(
    db: &Db,
    actor: &Actor,
    last: NaiveDate,
    months: u32,
) -> Result<Vec<TrendPoint>> {
    let narrow = evaluation_scope(actor)?;
    let months = months.clamp(1, 36);
    let end = Period::of(PeriodKind::Month, last);
    let mut p = end;
    for _ in 1..months {
        p = p.previous();
    }
    let daily = repo::daily_sums(db, p.from, end.to, narrow).await?;
    let ratings = repo::rating_sums_by_month(db, p.from, end.to, narrow).await?;
    let mut out = Vec::new();
    loop {
        let mut s = Sums::default();
        for (d, x) in daily.iter().filter(|(d, _)| *d >= p.from && *d < p.to) {
            let _ = d;
            s.sent += x.sent;
            s.accurate += x.accurate;
            s.due += x.due;
            s.timely += x.timely;
        }
        out.push(TrendPoint {
            period: p.code(),
            accuracy: s.accuracy(),
            timeliness: s.timeliness(),
            satisfaction: ratings.get(&p.code()).copied().unwrap_or_default().view(),
        });
        if p == end {
            break;
        }
        p = Period::of(PeriodKind::Month, p.to);
    }
    Ok(out)
}

/// What a drill-down asks for.
#[derive(Debug, Clone)]
pub struct DrillQuery {
    pub indicator: Indicator,
    pub days: Days,
    /// One group's rows (`None`: all).
    pub group: Option<(GroupBy, String)>,
    /// Only the rows that did not count in the numerator (the late, the dead, the low ratings).
    pub misses: bool,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// One delivery behind a figure, as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillDelivery {
    pub id: Uuid,
    pub message_id: Uuid,
    pub request_id: Uuid,
    /// `None` when the message is confidential or secret (its title is need-to-know, §7.2.2).
    pub title: Option<String>,
    pub partner_id: Uuid,
    pub partner: String,
    pub channel: String,
    pub state: String,
    pub sent_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
    pub acked_at: Option<DateTime<Utc>>,
    pub ack_required: bool,
    pub counted: bool,
}

/// One rated ticket behind F3.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillTicket {
    pub id: Uuid,
    pub subject: Option<String>,
    pub partner: String,
    pub rating: i64,
    pub rated_at: DateTime<Utc>,
    pub counted: bool,
}

/// `GET /api/v1/kpis/drilldown`: a page of deliveries (F1, F2) or tickets (F3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drill {
    pub indicator: Indicator,
    pub deliveries: Vec<DrillDelivery>,
    pub tickets: Vec<DrillTicket>,
    /// The id to pass as `after` for the next page, when there is one.
    pub next: Option<Uuid>,
}

fn open_title(classification: &str, title: String) -> Option<String> {
    matches!(classification, "public" | "internal").then_some(title)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn drilldown(db: &Db, actor: &Actor, d: &DrillQuery) -> Result<Drill> {
    let narrow = evaluation_scope(actor)?;
    let days = d.days.check()?;
    let limit = d.limit.clamp(1, 500);
    let group = match &d.group {
        Some((g, k)) => Some((*g, parse_key(*g, k)?)),
        None => None,
    };
    let mut out = Drill {
        indicator: d.indicator,
        deliveries: Vec::new(),
        tickets: Vec::new(),
        next: None,
    };
    match d.indicator {
        Indicator::Accuracy | Indicator::Timeliness => {
            let of = if d.indicator == Indicator::Accuracy {
                repo::DrillOf::Accuracy
            } else {
                repo::DrillOf::Timeliness
            };
            let rows = repo::drill_deliveries(
                db,
                of,
                days.from,
                days.end(),
                db.now(),
                group,
                narrow,
                d.misses,
                d.after,
                limit + 1,
            )
            .await?;
            for r in rows.into_iter().take(limit as usize) {
                out.next = Some(r.id);
                out.deliveries.push(DrillDelivery {
                    id: r.id,
                    message_id: r.message_id,
                    request_id: r.request_id,
                    title: open_title(&r.classification, r.title),
                    partner_id: r.partner_id,
                    partner: r.partner_name,
                    channel: r.channel,
                    state: r.state,
                    sent_at: r.created_at,
                    due_at: r.due_at,
                    read_at: r.read_at,
                    acked_at: r.acked_at,
                    ack_required: r.ack_required,
                    counted: r.counted,
                });
            }
            if out.deliveries.len() < limit as usize {
                out.next = None;
            }
        }
        Indicator::Satisfaction => {
            let mut narrow = narrow;
            match group {
                None => {}
                Some((GroupBy::Partner, GroupKey::Id(p))) => narrow.partner = p,
                Some((GroupBy::Department, GroupKey::Id(Some(dep)))) => {
                    if narrow.department.is_some_and(|n| n != dep) {
                        return Ok(out);
                    }
                    narrow.department = Some(dep);
                }
                Some(_) => {
                    return Err(Error::invalid(
                        "group_by",
                        liaison_core::validate::Msg::new("validate.kpi_drill_group"),
                    ));
                }
            }
            let rows = repo::drill_tickets(
                db,
                day_start(days.from),
                day_start(days.end()),
                narrow,
                d.misses,
                d.after,
                limit + 1,
            )
            .await?;
            for r in rows.into_iter().take(limit as usize) {
                out.next = Some(r.id);
                out.tickets.push(DrillTicket {
                    id: r.id,
                    subject: open_title(&r.classification, r.subject),
                    partner: r.partner_name,
                    rating: r.rating,
                    rated_at: r.rated_at,
                    counted: r.rating >= 4,
                });
            }
            if out.tickets.len() < limit as usize {
                out.next = None;
            }
        }
        Indicator::Relationship => {
            return Err(Error::invalid(
                "indicator",
                liaison_core::validate::Msg::new("validate.kpi_drill_relationship"),
            ));
        }
    }
    Ok(out)
}

/// `GET /api/v1/relationship-index`: one partner's index, its breakdown and its change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationshipView {
    pub partner_id: Uuid,
    pub partner: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub value: Option<f64>,
    pub previous: Option<f64>,
    pub change: Option<f64>,
    pub components: Vec<ComponentScore>,
    /// The index month by month over the year ending with `to` (for the chart).
    pub history: Vec<HistoryPoint>,
}

/// The index of one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryPoint {
    pub period: String,
    pub value: Option<f64>,
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, partner = %partner))]
pub async fn relationship(
    db: &Db,
    actor: &Actor,
    partner: Uuid,
    days: Days,
) -> Result<RelationshipView> {
    authorize(
        actor,
        Permission::ReadRelationship,
        &Object::partner(partner),
    )?;
    let days = days.check()?;
    let name = repo::names(db, GroupBy::Partner, &[partner])
        .await?
        .remove(&partner)
        .ok_or(Error::NotFound)?;
    let settings = liaison_db::settings::evaluation(db).await?;
    let now_i = partner_indexes(db, days, &settings, Some(partner)).await?;
    let before = partner_indexes(db, days.previous(), &settings, Some(partner)).await?;
    let index = now_i.get(&partner).cloned().unwrap_or_else(|| {
        rules::relationship_index(&Behaviour::default(), &settings.relationship)
    });
    let previous = before.get(&partner).and_then(|i| i.value);
    let mut history = Vec::new();
    let end = Period::of(PeriodKind::Month, days.to);
    let mut p = end;
    for _ in 1..12 {
        p = p.previous();
    }
    loop {
        let i = partner_indexes(db, Days::of(p), &settings, Some(partner)).await?;
        history.push(HistoryPoint {
            period: p.code(),
            value: i.get(&partner).and_then(|x| x.value),
        });
        if p == end {
            break;
        }
        p = Period::of(PeriodKind::Month, p.to);
    }
    Ok(RelationshipView {
        partner_id: partner,
        partner: name,
        from: days.from,
        to: days.to,
        value: index.value,
        previous,
        change: rules::change(index.value, previous),
        components: index.components,
        history,
    })
}

pub use liaison_core::kpi::Level;

/// One line of a scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreLine {
    pub key: Uuid,
    pub label: String,
    pub rank: i64,
    pub score: Option<f64>,
    pub accuracy: Fraction,
    pub timeliness: Fraction,
    pub satisfaction: Satisfaction,
    pub commended: Option<Vec<Reason>>,
    pub to_improve: Option<Vec<Reason>>,
}

/// `GET /api/v1/scorecards`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub period: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub level: Level,
    pub lines: Vec<ScoreLine>,
    pub commendations: Vec<ScoreLine>,
    pub improvements: Vec<ScoreLine>,
    pub weights: rules::ScoreWeights,
}

/// §6.3.2, SPEC F7: departments or people ranked by the weighted score of their indicators,
/// with the commendation and improvement lists and each entry's reasons.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn scorecards(db: &Db, actor: &Actor, period: Period, level: Level) -> Result<Scorecard> {
    let narrow = evaluation_scope(actor)?;
    let settings = liaison_db::settings::evaluation(db).await?;
    let g = match level {
        Level::Department => GroupBy::Department,
        Level::Person => GroupBy::Person,
    };
    let sums = repo::delivery_sums(db, period.from, period.to, g, narrow).await?;
    let ratings = repo::rating_sums(db, period.from, period.to, g, narrow).await?;
    let mut keys: Vec<Uuid> = sums
        .keys()
        .chain(ratings.keys())
        .filter_map(|k| match k {
            GroupKey::Id(Some(id)) => Some(*id),
            _ => None,
        })
        .collect();
    keys.sort();
    keys.dedup();
    let inputs: Vec<ScoreInput> = keys
        .iter()
        .map(|id| {
            let k = GroupKey::Id(Some(*id));
            let s = sums.get(&k).cloned().unwrap_or_default();
            ScoreInput {
                key: *id,
                accuracy: s.accuracy(),
                timeliness: s.timeliness(),
                satisfaction: ratings.get(&k).copied().unwrap_or_default().view(),
            }
        })
        .collect();
    let names = repo::names(db, g, &keys).await?;
    let by_key: HashMap<Uuid, &ScoreInput> = inputs.iter().map(|i| (i.key, i)).collect();
    let lines: Vec<ScoreLine> = rules::scorecard(&inputs, &settings.scorecard)
        .into_iter()
        .filter_map(|r| {
            let i = by_key.get(&r.key)?;
            Some(ScoreLine {
                key: r.key,
                label: names
                    .get(&r.key)
                    .cloned()
                    .unwrap_or_else(|| r.key.to_string()),
                rank: r.rank,
                score: r.score,
                accuracy: i.accuracy,
                timeliness: i.timeliness,
                satisfaction: i.satisfaction,
                commended: r.commended,
                to_improve: r.to_improve,
            })
        })
        .collect();
    Ok(Scorecard {
        period: period.code(),
        from: period.from,
        to: period.to - Duration::days(1),
        level,
        commendations: lines
            .iter()
            .filter(|l| l.commended.is_some())
            .cloned()
            .collect(),
        improvements: lines
            .iter()
            .filter(|l| l.to_improve.is_some())
            .cloned()
            .collect(),
        lines,
        weights: settings.scorecard,
    })
}

/// For the executive's home page (issue 16 item 6): the four indicators for `period` with the
/// previous period's beside them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headline {
    pub period: String,
    pub now: Group,
    pub before: Group,
}

pub async fn headline(db: &Db, actor: &Actor, period: Period) -> Result<Headline> {
    let now = report(db, actor, Days::of(period), GroupBy::Department).await?;
    let before = report(db, actor, Days::of(period.previous()), GroupBy::Department).await?;
    Ok(Headline {
        period: period.code(),
        now: now.total,
        before: before.total,
    })
}

/// One partner whose relationship index moved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mover {
    pub partner_id: Uuid,
    pub partner: String,
    pub value: Option<f64>,
    pub change: f64,
}

/// For a channel manager's home page (issue 16 item 6): their partners whose relationship index
/// moved most against the period before, up to `n` (others with `ReadEvaluation`: every
/// partner).
pub async fn movers(db: &Db, actor: &Actor, period: Period, n: usize) -> Result<Vec<Mover>> {
    authorize(actor, Permission::ReadEvaluation, &Object::default())?;
    // The figures change only when the aggregates do: a home page reads them from this
    // process's copy while the sweep's time is the same and for at most ten minutes (every
    // partner's index costs ~150 ms at 100,000 partners).
    let swept = repo::swept_at(db).await?;
    let key = (actor.user_id, period.code(), n);
    if let Some(hit) = MOVERS.lock().ok().and_then(|m| {
        m.get(&key)
            .filter(|(at, when, _)| *at == swept && when.elapsed() < MOVERS_KEPT)
            .map(|(_, _, v)| v.clone())
    }) {
        return Ok(hit);
    }
    let fresh = compute_movers(db, actor, period, n).await?;
    if let Ok(mut m) = MOVERS.lock() {
        if m.len() >= 1_000 {
            m.clear();
        }
        m.insert(key, (swept, std::time::Instant::now(), fresh.clone()));
    }
    Ok(fresh)
}

type MoversCache =
    HashMap<(Uuid, String, usize), (Option<DateTime<Utc>>, std::time::Instant, Vec<Mover>)>;
static MOVERS: std::sync::LazyLock<std::sync::Mutex<MoversCache>> =
    std::sync::LazyLock::new(Default::default);
const MOVERS_KEPT: std::time::Duration = std::time::Duration::from_secs(600);

async fn compute_movers(db: &Db, actor: &Actor, period: Period, n: usize) -> Result<Vec<Mover>> {
    let settings = liaison_db::settings::evaluation(db).await?;
    let mine: HashSet<Uuid> = if actor.roles.has(Role::ChannelManager) {
        repo::partner_ids(db, Some(actor.user_id))
            .await?
            .into_iter()
            .collect()
    } else {
        repo::partner_ids(db, None).await?.into_iter().collect()
    };
    let idx = indexes(db, Days::of(period), &settings, None).await?;
    let mut moved: Vec<(Uuid, Option<f64>, f64)> = idx
        .into_iter()
        .filter(|(p, _)| mine.contains(p))
        .filter_map(|(p, (i, c))| Some((p, i.value, c?)))
        .collect();
    moved.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()).then(a.0.cmp(&b.0)));
    moved.truncate(n);
    let ids: Vec<Uuid> = moved.iter().map(|m| m.0).collect();
    let names = repo::names(db, GroupBy::Partner, &ids).await?;
    Ok(moved
        .into_iter()
        .map(|(p, value, change)| Mover {
            partner_id: p,
            partner: names.get(&p).cloned().unwrap_or_default(),
            value,
            change,
        })
        .collect())
}

/// The evaluation's settings.
pub async fn settings(db: &Db, actor: &Actor) -> Result<EvaluationSettings> {
    authorize(actor, Permission::ReadEvaluation, &Object::default())?;
    Ok(liaison_db::settings::evaluation(db).await?)
}

/// Changes them (admins). A new working-hours rule changes due times already stored, so the
/// aggregates are marked for a rebuild by the next sweep.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn update_settings(
    db: &Db,
    actor: &Actor,
    s: &EvaluationSettings,
) -> Result<EvaluationSettings> {
    authorize(actor, Permission::ManageEvaluation, &Object::default())?;
    let before = liaison_db::settings::evaluation(db).await?;
    let saved = liaison_db::settings::update_evaluation(db, actor.user_id, s).await?;
    if before.timeliness_hours != saved.timeliness_hours {
        repo::forget_sweep(db).await?;
    }
    Ok(saved)
}

/// F1 and F2 sums by (day, department, requester, channel) and by (day, partner).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailySums {
    pub by_requester: BTreeMap<repo::DailyKey, (i64, i64, i64, i64)>,
    pub by_partner: BTreeMap<(String, Uuid), (i64, i64, i64, i64)>,
}

fn add(e: &mut (i64, i64, i64, i64), s: (i64, i64, i64, i64)) {
    e.0 += s.0;
    e.1 += s.1;
    e.2 += s.2;
    e.3 += s.3;
}

/// The raw computation the aggregates must equal (tests): F1 and F2 sums from the delivery
/// rows one by one, through core's rules.
pub async fn raw_daily(db: &Db, now: DateTime<Utc>) -> Result<DailySums> {
    let work = Work::load(db).await?;
    let rows = repo::raw_deliveries(db).await?;
    let mut first: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for r in &rows {
        let e = first.entry(r.message_id).or_insert(r.created_at);
        if r.created_at < *e {
            *e = r.created_at;
        }
    }
    let mut out = DailySums::default();
    for r in rows {
        let sent = first.get(&r.message_id).copied().unwrap_or(r.created_at);
        let fact = DeliveryFact {
            state: DeliveryState::parse(&r.state).map_err(|_| Error::Internal("state".into()))?,
            corrected: r.corrected,
            recalled: r.recalled,
            ack_required: r.ack_required,
            created_at: r.created_at,
            deadline: r.deadline,
            read_at: r.read_at,
            acked_at: r.acked_at,
        };
        let due = rules::due_time(
            r.deadline,
            sent,
            &work.time(),
            work.settings.timeliness_hours,
        );
        let text = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let mut count = |d: NaiveDate, s: (i64, i64, i64, i64)| {
            add(
                out.by_requester
                    .entry((text(d), r.department_id, r.requester_id, r.channel.clone()))
                    .or_default(),
                s,
            );
            add(
                out.by_partner.entry((text(d), r.partner_id)).or_default(),
                s,
            );
        };
        count(
            rules::day_of(sent, COMPANY_ZONE),
            (1, i64::from(rules::accurate(&fact)), 0, 0),
        );
        if due <= now {
            count(
                rules::day_of(due, COMPANY_ZONE),
                (0, 0, 1, i64::from(rules::timely(&fact, due))),
            );
        }
    }
    Ok(out)
}

/// The same sums read from the aggregates.
pub async fn aggregated_daily(db: &Db) -> Result<DailySums> {
    let mut out = DailySums::default();
    let t = |s: &Sums| (s.sent, s.accurate, s.due, s.timely);
    for (k, s) in repo::daily_rows(db).await? {
        add(out.by_requester.entry(k).or_default(), t(&s));
    }
    for (k, s) in repo::partner_daily_rows(db).await? {
        add(out.by_partner.entry(k).or_default(), t(&s));
    }
    Ok(out)
}

/// The current month (for default periods).
pub fn this_month(db: &Db) -> Period {
    let today = rules::day_of(db.now(), COMPANY_ZONE);
    Period::month(today.year(), today.month())
}

/// The scorecard as CSV or XLSX (§6.3.2): one line per department or person with its rank,
/// score, indicators and the lists it is on with their reasons.
pub async fn export_scorecards(
    db: &Db,
    actor: &Actor,
    period: Period,
    level: Level,
    format: crate::import::ExportFormat,
    labels: crate::import::Labels,
) -> Result<crate::import::Export> {
    use liaison_i18n::{Msg, t};
    let card = scorecards(db, actor, period, level).await?;
    let lang = match labels {
        crate::import::Labels::Codes => None,
        crate::import::Labels::In(l) => Some(l),
    };
    let pct = |f: &Fraction| {
        f.value
            .map(|v| format!("{:.1}", v * 100.0))
            .unwrap_or_default()
    };
    let reasons = |rs: &Option<Vec<Reason>>| -> String {
        let Some(rs) = rs else { return String::new() };
        rs.iter()
            .map(|r| {
                let what = r.indicator.map_or("score", |i| i.as_str());
                match lang {
                    None => format!(
                        "{what} {} {} {}",
                        r.value,
                        if r.above { ">=" } else { "<" },
                        r.threshold
                    ),
                    Some(l) => Msg::new(if r.above {
                        "kpi.reason.above"
                    } else {
                        "kpi.reason.below"
                    })
                    .arg("what", t(l, &format!("kpi.indicator.{what}")).to_string())
                    .arg("value", format!("{:.1}", r.value))
                    .arg("threshold", r.threshold)
                    .render(l),
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let rows: Vec<Vec<String>> = card
        .lines
        .iter()
        .map(|l| {
            vec![
                if l.rank > 0 {
                    l.rank.to_string()
                } else {
                    String::new()
                },
                l.label.clone(),
                l.score.map(|s| format!("{s:.1}")).unwrap_or_default(),
                pct(&l.accuracy),
                pct(&l.timeliness),
                l.satisfaction
                    .mean
                    .map(|m| format!("{m:.2}"))
                    .unwrap_or_default(),
                reasons(&l.commended),
                reasons(&l.to_improve),
            ]
        })
        .collect();
    let codes = [
        "rank",
        "name",
        "score",
        "accuracy_pct",
        "timeliness_pct",
        "satisfaction_mean",
        "commended",
        "to_improve",
    ];
    let headers: Vec<String> = match lang {
        None => codes.iter().map(|c| c.to_string()).collect(),
        Some(l) => codes
            .iter()
            .map(|c| t(l, &format!("kpi.col.{c}")).to_string())
            .collect(),
    };
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry::new(
            Some(actor.user_id),
            "export",
            "scorecard",
            None,
            serde_json::json!({"period": card.period, "level": level.as_str(), "rows": rows.len()}),
        ),
    )
    .await?;
    let heads: Vec<&str> = headers.iter().map(String::as_str).collect();
    crate::import::build(format, &format!("scorecard-{}", card.period), &heads, &rows)
}

/// One month of a business-impact chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpactPoint {
    pub period: String,
    pub accuracy: Option<f64>,
    pub timeliness: Option<f64>,
    /// A partner's relationship index that month (a region: none).
    pub relationship: Option<f64>,
    /// Sales (CNY, before tax) that month.
    pub sales: Option<f64>,
    /// Market share (%) of the quarter the month ends, where reported.
    pub market_share: Option<f64>,
}

/// `GET /api/v1/business-impact`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Impact {
    pub partner_id: Option<Uuid>,
    pub region: Option<String>,
    pub label: String,
    pub months: Vec<ImpactPoint>,
    /// Pearson's r between monthly timeliness and sales (months with both), when there are
    /// three such months or more; a correlation, never a cause.
    pub correlation: Option<f64>,
    /// How many months it rests on.
    pub pairs: usize,
    /// Sales or market share of partners whose figures the reader may not know were left out
    /// (§7.2.2: a confidential data set's figures stay in their circle, `data::knower`).
    pub figures_withheld: bool,
}

/// §6.2.2, SPEC F6: a partner's or region's indicators beside its sales and market share,
/// month by month over the `months` ending with `last`'s month, with the correlation of
/// timeliness and sales stated (no causal claim is made: the page says so).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn impact(
    db: &Db,
    actor: &Actor,
    whose: repo::Whose,
    last: NaiveDate,
    months: u32,
) -> Result<Impact> {
    let narrow = evaluation_scope(actor)?;
    if narrow.department.is_some() {
        return Err(Error::Forbidden);
    }
    let (partner_id, region, label) = match &whose {
        repo::Whose::Partner(p) => {
            let name = repo::names(db, GroupBy::Partner, &[*p])
                .await?
                .remove(p)
                .ok_or(Error::NotFound)?;
            (Some(*p), None, name)
        }
        repo::Whose::Region(r) => {
            if !repo::regions(db).await?.contains(r) {
                return Err(Error::NotFound);
            }
            (None, Some(r.clone()), r.clone())
        }
    };
    let settings = liaison_db::settings::evaluation(db).await?;
    let end = Period::of(PeriodKind::Month, last);
    let mut first = end;
    for _ in 1..months.clamp(3, 36) {
        first = first.previous();
    }
    let sums = repo::monthly_partner_sums(db, &whose, first.from, end.to).await?;
    let (sales_reader, sales_withheld) = figures_reader(db, actor, "sales", &whose).await?;
    let sales: HashMap<String, f64> = repo::business_series(
        db,
        ("sales", "amount_cny"),
        &whose,
        (&first.code(), &end.code()),
        false,
        sales_reader.as_ref(),
    )
    .await?
    .into_iter()
    .collect();
    let q_from = Period::of(PeriodKind::Quarter, first.from).code();
    let q_to = Period::of(PeriodKind::Quarter, end.from).code();
    let (share_reader, shares_withheld) = figures_reader(db, actor, "market_share", &whose).await?;
    let shares: HashMap<String, f64> = repo::business_series(
        db,
        ("market_share", "share_pct"),
        &whose,
        (&q_from, &q_to),
        true,
        share_reader.as_ref(),
    )
    .await?
    .into_iter()
    .collect();
    let mut out = Vec::new();
    let mut p = first;
    loop {
        let s = sums.get(&p.code()).cloned().unwrap_or_default();
        let relationship = match partner_id {
            Some(id) => partner_indexes(db, Days::of(p), &settings, Some(id))
                .await?
                .get(&id)
                .and_then(|i| i.value),
            None => None,
        };
        let quarter = Period::of(PeriodKind::Quarter, p.from);
        let quarter_ends = quarter.to == p.to;
        out.push(ImpactPoint {
            period: p.code(),
            accuracy: s.accuracy().value.map(|v| v * 100.0),
            timeliness: s.timeliness().value.map(|v| v * 100.0),
            relationship,
            sales: sales.get(&p.code()).copied(),
            market_share: if quarter_ends {
                shares.get(&quarter.code()).copied()
            } else {
                None
            },
        });
        if p == end {
            break;
        }
        p = Period::of(PeriodKind::Month, p.to);
    }
    let pairs: Vec<(f64, f64)> = out
        .iter()
        .filter_map(|m| Some((m.timeliness?, m.sales?)))
        .collect();
    Ok(Impact {
        partner_id,
        region,
        label,
        correlation: rules::correlation(&pairs).map(|r| (r * 100.0).round() / 100.0),
        pairs: pairs.len(),
        months: out,
        figures_withheld: sales_withheld || shares_withheld,
    })
}

/// Whose figures of the data set `code` the impact chart may add up for `actor` (§7.2.2):
/// everyone's (`None`) unless the data set is confidential or secret and the reader is on the
/// staff; then only the partners in the circle of their figures (`data::knower`). The flag says
/// whether some were left out (for a region: whether any may be).
async fn figures_reader(
    db: &Db,
    actor: &Actor,
    code: &str,
    whose: &repo::Whose,
) -> Result<(Option<liaison_db::data::Knower>, bool)> {
    if actor.is_partner() {
        return Ok((None, false));
    }
    let d = match crate::data::find_dataset(db, code).await {
        Ok(d) => d,
        Err(Error::NotFound) => return Ok((None, false)),
        Err(e) => return Err(e),
    };
    if d.classification < liaison_core::review::Classification::Confidential {
        return Ok((None, false));
    }
    let k = crate::data::knower(actor);
    let withheld = match whose {
        repo::Whose::Partner(p) => liaison_db::data::known_partners(db, d.id, &[*p], &k)
            .await?
            .is_empty(),
        repo::Whose::Region(_) => true,
    };
    Ok((Some(k), withheld))
}
