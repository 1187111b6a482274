//! Evaluating communication (policy §6; SPEC F1-F4, F7; issue 16). Pure rules: what each of
//! the four indicators counts (§6.1.1-§6.1.4), the due time of a delivery (§6.1.2), the
//! relationship index from observed behaviour (§6.2.3), the scorecards' ranking with their
//! commendation and improvement lists (§6.3.2) and the periods reports cover. The daily
//! aggregates and their SQL live in `liaison_db::kpi`; who may read them is `policy.rs`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::delivery::DeliveryState;
use crate::str_enum;
use crate::tickets::WorkTime;
use crate::validate::Msg;

str_enum!(
    /// What a survey answer measures (§6.2.1): a satisfaction rating (1-5, counted in F3
    /// beside ticket ratings), the net-promoter question (0-10) and willingness to cooperate
    /// (1-5), both counted in the relationship index (F4).
    SurveyMeasure {
        Satisfaction = "satisfaction",
        Nps = "nps",
        Willingness = "willingness",
    }
);

/// One survey answer as the indicators read it. Anonymous answers have no partner: they count
/// in the company-wide satisfaction and nowhere a partner is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyScore {
    pub partner_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub measure: SurveyMeasure,
    pub score: i16,
}

str_enum!(
    /// How a report groups its figures.
    GroupBy {
        Department = "department",
        Person = "person",
        Channel = "channel",
        Kind = "kind",
        Region = "region",
        Tier = "tier",
        Partner = "partner",
    }
);

str_enum!(
    /// The four indicators of §6.1.
    Indicator {
        Accuracy = "accuracy",
        Timeliness = "timeliness",
        Satisfaction = "satisfaction",
        Relationship = "relationship",
    }
);

str_enum!(
    /// What a scorecard ranks (§6.3.2).
    Level { Department = "department", Person = "person" }
);

/// A share: what counted over what could have; `value` is `None` when nothing could.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Fraction {
    pub numerator: i64,
    pub denominator: i64,
    pub value: Option<f64>,
}

impl Fraction {
    pub fn new(numerator: i64, denominator: i64) -> Fraction {
        Fraction {
            numerator,
            denominator,
            value: (denominator > 0).then(|| numerator as f64 / denominator as f64),
        }
    }

    pub fn plus(self, other: Fraction) -> Fraction {
        Fraction::new(
            self.numerator + other.numerator,
            self.denominator + other.denominator,
        )
    }
}

/// One delivery as F1 and F2 see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryFact {
    pub state: DeliveryState,
    /// A later message corrects or retracts its message (§1.3.1, SPEC B8).
    pub corrected: bool,
    /// Its partner's copy was recalled (§7.3 containment): retracted for that partner.
    pub recalled: bool,
    pub ack_required: bool,
    /// When the delivery was written (its dispatch).
    pub created_at: DateTime<Utc>,
    /// The message's deadline, when one was set.
    pub deadline: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub acked_at: Option<DateTime<Utc>>,
}

/// §6.1.1: the copy reached its recipient (it left and did not die: a bounce is a permanent
/// failure, so `dead`). Copies still waiting for their first send have not reached anyone.
pub fn reached(state: DeliveryState) -> bool {
    !state.is_pending() && state != DeliveryState::Dead
}

/// §6.1.1, SPEC F1: the numerator of the delivery accuracy rate — reached its recipient and
/// was not later corrected or retracted. Every delivery is in the denominator.
pub fn accurate(f: &DeliveryFact) -> bool {
    reached(f.state) && !f.corrected && !f.recalled
}

/// §6.1.2: when a delivery is due — its message's deadline, or, when none was set,
/// `hours` working hours after it was dispatched (§5.3.2's calendar: weekends and holidays do
/// not count).
pub fn due_time(
    deadline: Option<DateTime<Utc>>,
    dispatched: DateTime<Utc>,
    work: &WorkTime<'_>,
    hours: i64,
) -> DateTime<Utc> {
    deadline.unwrap_or_else(|| work.add(dispatched, hours * 60))
}

/// §6.1.2, SPEC F2: the numerator of the receipt timeliness rate — acknowledged by `due`
/// where acknowledgement was required, otherwise read (or acknowledged) by `due`. A delivery
/// is in the denominator once its due time has passed, on the day its due time falls.
pub fn timely(f: &DeliveryFact, due: DateTime<Utc>) -> bool {
    let done = if f.ack_required {
        f.acked_at
    } else {
        match (f.read_at, f.acked_at) {
            (Some(r), Some(a)) => Some(r.min(a)),
            (r, a) => r.or(a),
        }
    };
    done.is_some_and(|t| t <= due)
}

/// The day (in `tz`, the company's zone) an instant counts on.
pub fn day_of(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// F3's sums: responses, the sum of their scores and how many were satisfied (4 or 5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SatisfactionSums {
    pub responses: i64,
    pub sum: i64,
    pub satisfied: i64,
}

impl SatisfactionSums {
    /// Adds one rating on the 1-5 scale; anything else is not a rating and is not counted.
    pub fn add(&mut self, score: i64) {
        if (1..=5).contains(&score) {
            self.responses += 1;
            self.sum += score;
            if score >= 4 {
                self.satisfied += 1;
            }
        }
    }

    pub fn plus(self, o: SatisfactionSums) -> SatisfactionSums {
        SatisfactionSums {
            responses: self.responses + o.responses,
            sum: self.sum + o.sum,
            satisfied: self.satisfied + o.satisfied,
        }
    }

    pub fn view(&self) -> Satisfaction {
        let n = self.responses;
        Satisfaction {
            mean: (n > 0).then(|| self.sum as f64 / n as f64),
            share_satisfied: (n > 0).then(|| self.satisfied as f64 / n as f64),
            responses: n,
        }
    }
}

/// §6.1.3, SPEC F3: the mean rating, the share of 4-5 and how many answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Satisfaction {
    pub mean: Option<f64>,
    pub share_satisfied: Option<f64>,
    pub responses: i64,
}

/// §6.1.3: ticket ratings (1-5) and survey satisfaction answers (1-5) together; NPS and
/// willingness answers are the relationship index's, not this.
pub fn satisfaction(ticket_ratings: &[i64], surveys: &[SurveyScore]) -> Satisfaction {
    let mut s = SatisfactionSums::default();
    for r in ticket_ratings {
        s.add(*r);
    }
    for a in surveys {
        if a.measure == SurveyMeasure::Satisfaction {
            s.add(i64::from(a.score));
        }
    }
    s.view()
}

str_enum!(
    /// The parts of the relationship index (§6.1.4, §6.2.3).
    Component {
        Acknowledgement = "acknowledgement",
        Attendance = "attendance",
        DataPunctuality = "data_punctuality",
        DataAccuracy = "data_accuracy",
        Initiative = "initiative",
        Willingness = "willingness",
        Nps = "nps",
    }
);

/// Weights of the relationship index's parts (settings; 0 leaves a part out) and how many
/// proposals and feedback items in a period count as full initiative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelationshipWeights {
    pub acknowledgement: i64,
    pub attendance: i64,
    pub data_punctuality: i64,
    pub data_accuracy: i64,
    pub initiative: i64,
    pub willingness: i64,
    pub nps: i64,
    pub initiative_target: i64,
}

impl Default for RelationshipWeights {
    fn default() -> Self {
        RelationshipWeights {
            acknowledgement: 25,
            attendance: 15,
            data_punctuality: 15,
            data_accuracy: 10,
            initiative: 10,
            willingness: 15,
            nps: 10,
            initiative_target: 3,
        }
    }
}

impl RelationshipWeights {
    pub fn weight(&self, c: Component) -> i64 {
        match c {
            Component::Acknowledgement => self.acknowledgement,
            Component::Attendance => self.attendance,
            Component::DataPunctuality => self.data_punctuality,
            Component::DataAccuracy => self.data_accuracy,
            Component::Initiative => self.initiative,
            Component::Willingness => self.willingness,
            Component::Nps => self.nps,
        }
    }
}

/// What one partner did in a period (§6.2.3: observed behaviour; §6.2.1: its answers).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Behaviour {
    /// Its deliveries acknowledged or read in time (F2 for the partner).
    pub acknowledgement: Fraction,
    /// Its invited people who attended meetings held in the period.
    pub attendance: Fraction,
    /// Its data submissions in on time.
    pub data_punctuality: Fraction,
    /// Its data submissions accepted (not rejected for bad rows).
    pub data_accuracy: Fraction,
    /// Product feedback and proposals it made.
    pub initiatives: i64,
    /// Its named survey answers (willingness and NPS are read here).
    pub surveys: Vec<SurveyScore>,
}

/// One part of the index as shown: its score (0-1) when there was anything to judge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ComponentScore {
    pub component: Component,
    pub weight: i64,
    pub score: Option<f64>,
    /// How many observations it rests on.
    pub basis: i64,
}

/// §6.1.4 and §6.2.3, SPEC F4: a partner's relationship index for a period, 0-100.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationshipIndex {
    pub value: Option<f64>,
    pub components: Vec<ComponentScore>,
}

/// The index: the weighted mean of the parts that have something to judge (a part with no
/// observations in the period neither helps nor hurts), times 100. Willingness (1-5) maps to
/// 0-1 as (x-1)/4, NPS (0-10) as x/10, initiative as min(count / target, 1).
pub fn relationship_index(b: &Behaviour, w: &RelationshipWeights) -> RelationshipIndex {
    let mean_of = |m: SurveyMeasure, scale: fn(f64) -> f64, range: (i16, i16)| {
        let xs: Vec<f64> = b
            .surveys
            .iter()
            .filter(|s| s.measure == m && (range.0..=range.1).contains(&s.score))
            .map(|s| scale(f64::from(s.score)))
            .collect();
        let n = xs.len() as i64;
        ((n > 0).then(|| xs.iter().sum::<f64>() / n as f64), n)
    };
    let target = w.initiative_target.max(1);
    let components = Component::ALL
        .iter()
        .map(|&c| {
            let (score, basis) = match c {
                Component::Acknowledgement => {
                    (b.acknowledgement.value, b.acknowledgement.denominator)
                }
                Component::Attendance => (b.attendance.value, b.attendance.denominator),
                Component::DataPunctuality => {
                    (b.data_punctuality.value, b.data_punctuality.denominator)
                }
                Component::DataAccuracy => (b.data_accuracy.value, b.data_accuracy.denominator),
                Component::Initiative => (
                    Some((b.initiatives as f64 / target as f64).min(1.0)),
                    b.initiatives,
                ),
                Component::Willingness => {
                    mean_of(SurveyMeasure::Willingness, |x| (x - 1.0) / 4.0, (1, 5))
                }
                Component::Nps => mean_of(SurveyMeasure::Nps, |x| x / 10.0, (0, 10)),
            };
            ComponentScore {
                component: c,
                weight: w.weight(c).max(0),
                score,
                basis,
            }
        })
        .collect::<Vec<_>>();
    let (mut sum, mut weights) = (0.0, 0i64);
    for c in &components {
        if let Some(s) = c.score
            && c.weight > 0
        {
            sum += s * c.weight as f64;
            weights += c.weight;
        }
    }
    RelationshipIndex {
        value: (weights > 0).then(|| (100.0 * sum / weights as f64 * 10.0).round() / 10.0),
        components,
    }
}

/// §6.1.4: improvement is the change against the previous period.
pub fn change(now: Option<f64>, before: Option<f64>) -> Option<f64> {
    Some(((now? - before?) * 10.0).round() / 10.0)
}

str_enum!(
    /// The length of a report's period.
    PeriodKind { Month = "month", Quarter = "quarter", Year = "year" }
);

/// A report's period: days `from` (inclusive) to `to` (exclusive), in the company's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// `2026-Q3`, `2026-07` or `2026`.
    pub fn parse(s: &str) -> Result<Period, Msg> {
        let bad = || Msg::new("validate.period");
        let s = s.trim();
        let year = |y: &str| {
            y.parse::<i32>()
                .ok()
                .filter(|y| (2000..=2200).contains(y))
                .ok_or_else(bad)
        };
        if let Some((y, q)) = s.split_once(['-']) {
            let y = year(y)?;
            if let Some(q) = q.strip_prefix(['Q', 'q']) {
                let q: u32 = q
                    .parse()
                    .ok()
                    .filter(|q| (1..=4).contains(q))
                    .ok_or_else(bad)?;
                return Ok(Period::quarter(y, q));
            }
            let m: u32 = q
                .parse()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(bad)?;
            return Ok(Period::month(y, m));
        }
        let y = year(s)?;
        Ok(Period {
            kind: PeriodKind::Year,
            from: ymd(y, 1),
            to: ymd(y + 1, 1),
        })
    }

    pub fn month(y: i32, m: u32) -> Period {
        Period {
            kind: PeriodKind::Month,
            from: ymd(y, m),
            to: if m == 12 {
                ymd(y + 1, 1)
            } else {
                ymd(y, m + 1)
            },
        }
    }

    pub fn quarter(y: i32, q: u32) -> Period {
        let m = (q - 1) * 3 + 1;
        Period {
            kind: PeriodKind::Quarter,
            from: ymd(y, m),
            to: if q == 4 { ymd(y + 1, 1) } else { ymd(y, m + 3) },
        }
    }

    /// The period of `kind` that holds `day`.
    pub fn of(kind: PeriodKind, day: NaiveDate) -> Period {
        match kind {
            PeriodKind::Month => Period::month(day.year(), day.month()),
            PeriodKind::Quarter => Period::quarter(day.year(), (day.month() - 1) / 3 + 1),
            PeriodKind::Year => Period {
                kind,
                from: ymd(day.year(), 1),
                to: ymd(day.year() + 1, 1),
            },
        }
    }

    /// The period of the same length just before.
    pub fn previous(&self) -> Period {
        Period::of(self.kind, self.from - Duration::days(1))
    }

    /// `2026-07`, `2026-Q3`, `2026`.
    pub fn code(&self) -> String {
        match self.kind {
            PeriodKind::Month => self.from.format("%Y-%m").to_string(),
            PeriodKind::Quarter => format!("{}-Q{}", self.from.year(), self.from.month0() / 3 + 1),
            PeriodKind::Year => self.from.year().to_string(),
        }
    }
}

fn ymd(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
}

/// Weights of the scorecard's score and the thresholds of its lists (settings, §6.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoreWeights {
    pub accuracy: i64,
    pub timeliness: i64,
    pub satisfaction: i64,
    /// A score from this (0-100) with no indicator below `improve_below` is commended.
    pub commend_from: i64,
    /// An indicator below this (0-100) puts its department or person on the improvement list.
    pub improve_below: i64,
    /// Fewer deliveries than this in the period and a department or person is not judged.
    pub min_deliveries: i64,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            accuracy: 40,
            timeliness: 40,
            satisfaction: 20,
            commend_from: 90,
            improve_below: 70,
            min_deliveries: 5,
        }
    }
}

/// One department's or person's indicators for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreInput {
    pub key: Uuid,
    pub accuracy: Fraction,
    pub timeliness: Fraction,
    pub satisfaction: Satisfaction,
}

/// Why an entry is on a list: an indicator (or the score, `indicator: None`) against the
/// threshold it met or missed, all on 0-100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Reason {
    pub indicator: Option<Indicator>,
    pub value: f64,
    pub threshold: i64,
    pub above: bool,
}

/// One ranked line of a scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub key: Uuid,
    pub rank: i64,
    pub score: Option<f64>,
    pub commended: Option<Vec<Reason>>,
    pub to_improve: Option<Vec<Reason>>,
}

/// The indicators of a line on 0-100: accuracy and timeliness as shares, satisfaction's mean
/// (1-5) as (mean-1)/4.
fn scores(i: &ScoreInput) -> [(Indicator, Option<f64>); 3] {
    [
        (Indicator::Accuracy, i.accuracy.value.map(|v| v * 100.0)),
        (Indicator::Timeliness, i.timeliness.value.map(|v| v * 100.0)),
        (
            Indicator::Satisfaction,
            i.satisfaction.mean.map(|m| (m - 1.0) / 4.0 * 100.0),
        ),
    ]
}

/// §6.3.2, SPEC F7: ranks by the weighted score (the mean of the indicators there are, by
/// their weights), best first; lines with fewer deliveries than `min_deliveries` are listed
/// unranked and on neither list. Each indicator below `improve_below` is a reason to improve;
/// a score from `commend_from` with none below is commended, its reasons the score and each
/// indicator from `commend_from`.
pub fn scorecard(inputs: &[ScoreInput], w: &ScoreWeights) -> Vec<Ranked> {
    let weight = |i: Indicator| match i {
        Indicator::Accuracy => w.accuracy,
        Indicator::Timeliness => w.timeliness,
        _ => w.satisfaction,
    };
    let mut lines: Vec<Ranked> = inputs
        .iter()
        .map(|i| {
            let judged = i.accuracy.denominator >= w.min_deliveries.max(1);
            let s = scores(i);
            let (mut sum, mut ws) = (0.0, 0i64);
            for (ind, v) in s {
                if let Some(v) = v
                    && weight(ind) > 0
                {
                    sum += v * weight(ind) as f64;
                    ws += weight(ind);
                }
            }
            let score = (judged && ws > 0).then(|| (sum / ws as f64 * 10.0).round() / 10.0);
            let round = |v: f64| (v * 10.0).round() / 10.0;
            let below: Vec<Reason> = s
                .iter()
                .filter_map(|(ind, v)| {
                    let v = (*v)?;
                    (v < w.improve_below as f64).then_some(Reason {
                        indicator: Some(*ind),
                        value: round(v),
                        threshold: w.improve_below,
                        above: false,
                    })
                })
                .collect();
            let (commended, to_improve) = match score {
                None => (None, None),
                Some(_) if !below.is_empty() => (None, Some(below)),
                Some(sc) if sc >= w.commend_from as f64 => {
                    let mut r = vec![Reason {
                        indicator: None,
                        value: sc,
                        threshold: w.commend_from,
                        above: true,
                    }];
                    r.extend(s.iter().filter_map(|(ind, v)| {
                        let v = (*v)?;
                        (v >= w.commend_from as f64).then_some(Reason {
                            indicator: Some(*ind),
                            value: round(v),
                            threshold: w.commend_from,
                            above: true,
                        })
                    }));
                    (Some(r), None)
                }
                Some(_) => (None, None),
            };
            Ranked {
                key: i.key,
                rank: 0,
                score,
                commended,
                to_improve,
            }
        })
        .collect();
    lines.sort_by(|a, b| match (a.score, b.score) {
        (Some(x), Some(y)) => y.total_cmp(&x).then(a.key.cmp(&b.key)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.key.cmp(&b.key),
    });
    let mut rank = 0;
    for l in &mut lines {
        if l.score.is_some() {
            rank += 1;
            l.rank = rank;
        }
    }
    lines
}

/// §6.2.2, SPEC F6: Pearson's correlation of two series paired by period, when there are at
/// least three pairs and neither is constant. A correlation, never a cause.
pub fn correlation(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len();
    if n < 3 {
        return None;
    }
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (mx / n as f64, my / n as f64);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::partner::WorkingHours;
    use chrono::TimeZone;

    fn bj(d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Shanghai
            .with_ymd_and_hms(2026, 7, d, h, 0, 0)
            .single()
            .expect("a time")
            .with_timezone(&Utc)
    }

    fn fact(state: DeliveryState) -> DeliveryFact {
        DeliveryFact {
            state,
            corrected: false,
            recalled: false,
            ack_required: false,
            created_at: bj(6, 10),
            deadline: None,
            read_at: None,
            acked_at: None,
        }
    }

    #[test]
    fn accuracy_counts_reached_uncorrected_copies_6_1_1() {
        assert!(accurate(&fact(DeliveryState::Delivered)));
        assert!(accurate(&fact(DeliveryState::Acknowledged)));
        assert!(!accurate(&fact(DeliveryState::Dead)));
        assert!(!accurate(&fact(DeliveryState::Queued)));
        let corrected = DeliveryFact {
            corrected: true,
            ..fact(DeliveryState::Read)
        };
        assert!(!accurate(&corrected));
        let recalled = DeliveryFact {
            recalled: true,
            ..fact(DeliveryState::Read)
        };
        assert!(!accurate(&recalled));
    }

    #[test]
    fn a_deadline_less_delivery_is_due_after_working_hours_6_1_2() {
        let (hours, cal) = (WorkingHours::default(), Calendar::default());
        let work = WorkTime {
            tz: chrono_tz::Asia::Shanghai,
            hours: &hours,
            calendar: &cal,
        };
        // Friday 2026-07-10 at 17:00, 8 working hours: Friday's last hour, then 7 on Monday.
        let due = due_time(None, bj(10, 17), &work, 8);
        assert_eq!(due, bj(13, 16));
        assert_eq!(due_time(Some(bj(11, 9)), bj(10, 17), &work, 8), bj(11, 9));
    }

    #[test]
    fn timeliness_needs_the_acknowledgement_where_required_6_1_2() {
        let due = bj(8, 18);
        let read = DeliveryFact {
            read_at: Some(bj(8, 9)),
            ..fact(DeliveryState::Read)
        };
        assert!(timely(&read, due));
        let needs_ack = DeliveryFact {
            ack_required: true,
            ..read
        };
        assert!(!timely(&needs_ack, due));
        let late_ack = DeliveryFact {
            acked_at: Some(bj(9, 9)),
            ..needs_ack
        };
        assert!(!timely(&late_ack, due));
        let acked = DeliveryFact {
            acked_at: Some(bj(8, 17)),
            ..needs_ack
        };
        assert!(timely(&acked, due));
    }

    #[test]
    fn satisfaction_joins_ratings_and_survey_answers_6_1_3() {
        let s = |measure, score| SurveyScore {
            partner_id: None,
            at: bj(1, 9),
            measure,
            score,
        };
        let v = satisfaction(
            &[5, 4, 2],
            &[
                s(SurveyMeasure::Satisfaction, 3),
                s(SurveyMeasure::Nps, 10),
                s(SurveyMeasure::Satisfaction, 9),
            ],
        );
        // 5 + 4 + 2 + 3 = 14 over 4; 2 of 4 satisfied; NPS and the out-of-range 9 not counted.
        assert_eq!(v.responses, 4);
        assert_eq!(v.mean, Some(3.5));
        assert_eq!(v.share_satisfied, Some(0.5));
    }

    #[test]
    fn the_relationship_index_weighs_what_was_observed_6_1_4() {
        let at = bj(1, 9);
        let b = Behaviour {
            acknowledgement: Fraction::new(3, 4),
            attendance: Fraction::new(1, 2),
            surveys: vec![
                SurveyScore {
                    partner_id: None,
                    at,
                    measure: SurveyMeasure::Willingness,
                    score: 5,
                },
                SurveyScore {
                    partner_id: None,
                    at,
                    measure: SurveyMeasure::Nps,
                    score: 6,
                },
            ],
            ..Default::default()
        };
        let w = RelationshipWeights {
            initiative: 0,
            ..Default::default()
        };
        let i = relationship_index(&b, &w);
        // (0.75×25 + 0.5×15 + 1.0×15 + 0.6×10) / (25+15+15+10) = 47.25/65 = 72.7
        assert_eq!(i.value, Some(72.7));
        assert_eq!(change(i.value, Some(70.0)), Some(2.7));
        assert_eq!(change(i.value, None), None);
        let none = relationship_index(&Behaviour::default(), &w);
        assert_eq!(none.value, None);
    }

    #[test]
    fn periods_parse_and_step_back() {
        let q = Period::parse("2026-Q3").expect("a quarter");
        assert_eq!((q.from, q.to), (ymd(2026, 7), ymd(2026, 10)));
        assert_eq!(q.previous().code(), "2026-Q2");
        assert_eq!(
            Period::parse("2026-01").expect("month").previous().code(),
            "2025-12"
        );
        assert_eq!(Period::parse("2026").expect("year").to, ymd(2027, 1));
        assert!(Period::parse("2026-Q5").is_err());
        assert!(Period::parse("26").is_err());
    }

    #[test]
    fn scorecards_rank_and_explain_6_3_2() {
        let id = |n: u128| Uuid::from_u128(n);
        let sat = |m: f64, n: i64| Satisfaction {
            mean: Some(m),
            share_satisfied: None,
            responses: n,
        };
        let lines = scorecard(
            &[
                ScoreInput {
                    key: id(1),
                    accuracy: Fraction::new(95, 100),
                    timeliness: Fraction::new(60, 100),
                    satisfaction: Satisfaction::default(),
                },
                ScoreInput {
                    key: id(2),
                    accuracy: Fraction::new(100, 100),
                    timeliness: Fraction::new(90, 100),
                    satisfaction: sat(5.0, 2),
                },
                ScoreInput {
                    key: id(3),
                    accuracy: Fraction::new(2, 2),
                    timeliness: Fraction::new(0, 2),
                    satisfaction: Satisfaction::default(),
                },
            ],
            &ScoreWeights::default(),
        );
        assert_eq!(lines[0].key, id(2));
        assert_eq!(lines[0].rank, 1);
        // (100×40 + 90×40 + 100×20) / 100 = 96
        assert_eq!(lines[0].score, Some(96.0));
        let c = lines[0].commended.as_ref().expect("commended");
        assert_eq!(c.len(), 4);
        assert_eq!(lines[1].key, id(1));
        let why = lines[1].to_improve.as_ref().expect("to improve");
        assert_eq!(why.len(), 1);
        assert_eq!(why[0].indicator, Some(Indicator::Timeliness));
        assert_eq!(why[0].value, 60.0);
        // Two deliveries are too few to judge.
        assert_eq!((lines[2].rank, lines[2].score), (0, None));
        assert!(lines[2].to_improve.is_none());
    }

    #[test]
    fn correlation_is_stated_only_with_enough_pairs_6_2_2() {
        assert_eq!(correlation(&[(1.0, 2.0), (2.0, 4.0)]), None);
        let r = correlation(&[(1.0, 2.0), (2.0, 4.0), (3.0, 6.5)]).expect("r");
        assert!(r > 0.99);
        assert_eq!(correlation(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), None);
    }
}
