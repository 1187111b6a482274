//! The evaluation's pages (policy §6; issue 16). Console: the four indicators with their
//! definitions written on the page, grouping and period selectors, a year's trend and the
//! groups as SVG charts, drill-down to the deliveries and tickets behind a number; scorecards
//! with the commendation and improvement lists (printable, with downloads); a partner's
//! relationship index with its breakdown, change and history; the evaluation's settings
//! (`/console/settings/evaluation`: admins change them, others who read the evaluation see
//! them). Portal: the partner's own relationship index. Every decision is `liaison_app::kpi`'s.

use super::{Page, PageResult, ctx, render};
use crate::AppState;
use crate::auth::Session;
use crate::extract::{Pairs, kpi_days};
use axum::Router;
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use liaison_app::kpi::{self as app, Days, DrillQuery, Level};
use liaison_core::kpi::{Fraction, GroupBy, Indicator, Period, Reason};
use liaison_core::partner::Lang;
use liaison_i18n::{Msg, t};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/evaluation", get(index))
        .route("/console/evaluation/drilldown", get(drilldown))
        .route("/console/evaluation/scorecards", get(scorecards))
        .route("/console/evaluation/partners/{id}", get(partner))
        .route("/console/evaluation/impact", get(impact))
        .route("/portal/relationship", get(portal_relationship))
        .route(
            "/console/settings/evaluation",
            get(settings_show).post(settings_save),
        )
}

fn lang_of(headers: &HeaderMap, s: &Session) -> Lang {
    crate::auth::page_lang(headers, Some(&s.user))
}

fn pct(f: &Fraction) -> String {
    f.value
        .map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn one(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

fn signed(v: Option<f64>) -> String {
    v.map(|v| format!("{v:+.1}")).unwrap_or_else(|| "—".into())
}

/// A group key as a person reads it.
fn key_label(lang: Lang, g: GroupBy, key: &str, label: Option<&str>) -> String {
    if key == "none" {
        return t(lang, "kpi.page.none").to_string();
    }
    match (g, label) {
        (_, Some(l)) => l.to_string(),
        (GroupBy::Channel, _) => t(lang, &format!("channel.{key}")).to_string(),
        (GroupBy::Kind, _) => t(lang, &format!("kind.{key}")).to_string(),
        _ => key.to_string(),
    }
}

#[derive(Serialize)]
struct Bar {
    label: String,
    shown: String,
    width: f64,
}

#[derive(Serialize)]
struct Bars {
    bars: Vec<Bar>,
    width: f64,
    height: i64,
}

/// Horizontal bars of shares (0-1), drawn by `ticket/_bars.html`.
fn bars(items: Vec<(String, Option<f64>)>) -> Bars {
    let bars: Vec<Bar> = items
        .into_iter()
        .map(|(label, v)| Bar {
            label: label.chars().take(22).collect(),
            shown: v
                .map(|v| format!("{:.1}%", v * 100.0))
                .unwrap_or_else(|| "—".into()),
            width: v.map_or(0.0, |v| (v * 240.0).max(if v > 0.0 { 2.0 } else { 0.0 })),
        })
        .collect();
    Bars {
        width: 300.0,
        height: bars.len() as i64 * 38 + 4,
        bars,
    }
}

fn query(days: &Days, g: GroupBy) -> String {
    serde_urlencoded::to_string([
        ("from", days.from.to_string()),
        ("to", days.to.to_string()),
        ("group_by", g.as_str().to_string()),
    ])
    .unwrap_or_default()
}

/// `/console/evaluation?from=&to=&period=&group_by=`.
async fn index(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let lang = lang_of(&headers, &s);
    let days = kpi_days(&p, &state.db)?;
    let g = match p.get("group_by").map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => GroupBy::parse(v).map_err(|m| crate::AppError::invalid("group_by", m))?,
        None => GroupBy::Department,
    };
    let report = app::report(&state.db, &s.actor, days, g).await?;
    let trend = app::trend(&state.db, &s.actor, days.to, 12).await?;
    let labels: Vec<String> = trend.iter().map(|x| x.period.clone()).collect();
    let acc: Vec<Option<f64>> = trend
        .iter()
        .map(|x| x.accuracy.value.map(|v| v * 100.0))
        .collect();
    let tim: Vec<Option<f64>> = trend
        .iter()
        .map(|x| x.timeliness.value.map(|v| v * 100.0))
        .collect();
    let sat: Vec<Option<f64>> = trend
        .iter()
        .map(|x| x.satisfaction.share_satisfied.map(|v| v * 100.0))
        .collect();
    let names = [
        t(lang, "kpi.indicator.accuracy"),
        t(lang, "kpi.indicator.timeliness"),
        t(lang, "kpi.page.satisfied_share"),
    ];
    use liaison_docs::svg::{Chart, LineStyle, Series, line_chart};
    let series = [
        Series {
            name: names[0],
            values: &acc,
            style: LineStyle::Solid,
        },
        Series {
            name: names[1],
            values: &tim,
            style: LineStyle::Solid,
        },
        Series {
            name: names[2],
            values: &sat,
            style: LineStyle::Dashed,
        },
    ];
    let title = t(lang, "kpi.page.trend");
    let trend_svg = line_chart(&Chart {
        title,
        description: t(lang, "kpi.page.trend_explain"),
        x_labels: &labels,
        series: &series,
        band: None,
        unit: "%",
    });
    let qs = query(&days, g);
    let groups: Vec<_> = report
        .groups
        .iter()
        .map(|x| {
            let drill = |ind: &str, misses: bool| {
                format!(
                    "/console/evaluation/drilldown?indicator={ind}&{qs}&key={}{}",
                    x.key,
                    if misses { "&misses=true" } else { "" }
                )
            };
            ctx! {
                key => x.key,
                label => key_label(lang, g, &x.key, x.label.as_deref()),
                accuracy => pct(&x.accuracy), acc_n => x.accuracy.numerator, acc_d => x.accuracy.denominator,
                timeliness => pct(&x.timeliness), tim_n => x.timeliness.numerator, tim_d => x.timeliness.denominator,
                mean => x.satisfaction.mean.map(|m| format!("{m:.2}")).unwrap_or_else(|| "—".into()),
                satisfied => x.satisfaction.share_satisfied.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "—".into()),
                responses => x.satisfaction.responses,
                relationship => one(x.relationship.value),
                change => signed(x.relationship.change),
                acc_link => drill("accuracy", true),
                tim_link => drill("timeliness", true),
                sat_link => drill("satisfaction", false),
                partner_link => (g == GroupBy::Partner && x.key != "none").then(|| format!("/console/evaluation/partners/{}", x.key)),
                impact_link => match g {
                    GroupBy::Partner if x.key != "none" => Some(format!("/console/evaluation/impact?partner={}", x.key)),
                    GroupBy::Region if x.key != "none" => Some(format!(
                        "/console/evaluation/impact?{}",
                        serde_urlencoded::to_string([("region", x.key.as_str())]).unwrap_or_default()
                    )),
                    _ => None,
                },
            }
        })
        .collect();
    let timeliness_bars = bars(
        report
            .groups
            .iter()
            .take(12)
            .map(|x| {
                (
                    key_label(lang, g, &x.key, x.label.as_deref()),
                    x.timeliness.value,
                )
            })
            .collect(),
    );
    let total = &report.total;
    let cards = ctx! {
        accuracy => pct(&total.accuracy), acc_n => total.accuracy.numerator, acc_d => total.accuracy.denominator,
        timeliness => pct(&total.timeliness), tim_n => total.timeliness.numerator, tim_d => total.timeliness.denominator,
        mean => total.satisfaction.mean.map(|m| format!("{m:.2}")).unwrap_or_else(|| "—".into()),
        satisfied => total.satisfaction.share_satisfied.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "—".into()),
        responses => total.satisfaction.responses,
        relationship => one(total.relationship.value),
        change => signed(total.relationship.change),
    };
    let settings = app::settings(&state.db, &s.actor).await?;
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "evaluation/index.html",
        ctx! {
            nav => "evaluation",
            from => days.from.to_string(),
            to => days.to.to_string(),
            group_by => g.as_str(),
            group_bys => app::group_bys(&s.actor)?.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
            cards => cards,
            groups => groups,
            trend_svg => trend_svg,
            timeliness_bars => timeliness_bars,
            hours => settings.timeliness_hours,
            qs => qs,
            period => Period::of(liaison_core::kpi::PeriodKind::Month, days.from).code(),
        },
    ))
}

/// `/console/evaluation/drilldown?indicator=&from=&to=&group_by=&key=&misses=&cursor=`.
async fn drilldown(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let lang = lang_of(&headers, &s);
    let days = kpi_days(&p, &state.db)?;
    let indicator = Indicator::parse(&p.text("indicator"))
        .map_err(|m| crate::AppError::invalid("indicator", m))?;
    let g = match p.get("group_by").map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => GroupBy::parse(v).map_err(|m| crate::AppError::invalid("group_by", m))?,
        None => GroupBy::Department,
    };
    let key = p.get("key").map(str::trim).filter(|v| !v.is_empty());
    let misses = p.get("misses") == Some("true");
    let after = p.get("cursor").and_then(|c| Uuid::parse_str(c.trim()).ok());
    let drill = app::drilldown(
        &state.db,
        &s.actor,
        &DrillQuery {
            indicator,
            days,
            group: key.map(|k| (g, k.to_string())),
            misses,
            after,
            limit: 50,
        },
    )
    .await?;
    let deliveries: Vec<_> = drill
        .deliveries
        .iter()
        .map(|d| {
            ctx! {
                id => d.id, request_id => d.request_id,
                title => d.title.clone().unwrap_or_else(|| t(lang, "kpi.page.confidential").to_string()),
                partner => d.partner, channel => t(lang, &format!("channel.{}", d.channel)),
                state => t(lang, &format!("delivery.{}", d.state)),
                sent_at => d.sent_at, due_at => d.due_at, read_at => d.read_at, acked_at => d.acked_at,
                ack_required => d.ack_required, counted => d.counted,
            }
        })
        .collect();
    let tickets: Vec<_> = drill
        .tickets
        .iter()
        .map(|x| {
            ctx! {
                id => x.id,
                subject => x.subject.clone().unwrap_or_else(|| t(lang, "kpi.page.confidential").to_string()),
                partner => x.partner, rating => x.rating, rated_at => x.rated_at, counted => x.counted,
            }
        })
        .collect();
    let mut base = vec![
        ("indicator", indicator.as_str().to_string()),
        ("from", days.from.to_string()),
        ("to", days.to.to_string()),
        ("group_by", g.as_str().to_string()),
    ];
    if let Some(k) = key {
        base.push(("key", k.to_string()));
    }
    if misses {
        base.push(("misses", "true".into()));
    }
    let back = query(&days, g);
    let group_label = key.map(|k| {
        if matches!(g, GroupBy::Department | GroupBy::Person | GroupBy::Partner) && k != "none" {
            k.to_string()
        } else {
            key_label(lang, g, k, None)
        }
    });
    let next = drill.next.map(|n| {
        let mut q = base.clone();
        q.push(("cursor", n.to_string()));
        serde_urlencoded::to_string(q).unwrap_or_default()
    });
    let mut all = base.clone();
    all.retain(|(k, _)| *k != "misses");
    let mut only = all.clone();
    only.push(("misses", "true".into()));
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "evaluation/drill.html",
        ctx! {
            nav => "evaluation",
            indicator => indicator.as_str(),
            from => days.from.to_string(),
            to => days.to.to_string(),
            group_by => g.as_str(),
            group_label => group_label,
            misses => misses,
            deliveries => deliveries,
            tickets => tickets,
            next => next,
            back => back,
            all_qs => serde_urlencoded::to_string(all).unwrap_or_default(),
            misses_qs => serde_urlencoded::to_string(only).unwrap_or_default(),
        },
    ))
}

fn reasons_text(lang: Lang, rs: &Option<Vec<Reason>>) -> Vec<String> {
    rs.iter()
        .flatten()
        .map(|r| {
            let what = r.indicator.map_or("score", |i| i.as_str());
            Msg::new(if r.above {
                "kpi.reason.above"
            } else {
                "kpi.reason.below"
            })
            .arg(
                "what",
                t(lang, &format!("kpi.indicator.{what}")).to_string(),
            )
            .arg("value", format!("{:.1}", r.value))
            .arg("threshold", r.threshold)
            .render(lang)
        })
        .collect()
}

/// `/console/evaluation/scorecards?period=&level=&print=1`.
async fn scorecards(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let lang = lang_of(&headers, &s);
    let period = match p.get("period").map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Period::parse(v).map_err(|m| crate::AppError::invalid("period", m))?,
        None => app::this_month(&state.db),
    };
    let level = match p.get("level").map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => Level::parse(v).map_err(|m| crate::AppError::invalid("level", m))?,
        None => Level::Department,
    };
    let card = app::scorecards(&state.db, &s.actor, period, level).await?;
    let line = |l: &app::ScoreLine| {
        ctx! {
            rank => l.rank, label => l.label, score => one(l.score),
            accuracy => pct(&l.accuracy), timeliness => pct(&l.timeliness),
            mean => l.satisfaction.mean.map(|m| format!("{m:.2}")).unwrap_or_else(|| "—".into()),
            commended => reasons_text(lang, &l.commended),
            to_improve => reasons_text(lang, &l.to_improve),
        }
    };
    let chart = bars(
        card.lines
            .iter()
            .filter(|l| l.score.is_some())
            .take(15)
            .map(|l| (l.label.clone(), l.score.map(|s| s / 100.0)))
            .collect(),
    );
    let qs =
        serde_urlencoded::to_string([("period", card.period.as_str()), ("level", level.as_str())])
            .unwrap_or_default();
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "evaluation/scorecards.html",
        ctx! {
            nav => "evaluation",
            period => card.period,
            level => level.as_str(),
            from => card.from.to_string(),
            to => card.to.to_string(),
            lines => card.lines.iter().map(line).collect::<Vec<_>>(),
            commendations => card.commendations.iter().map(line).collect::<Vec<_>>(),
            improvements => card.improvements.iter().map(line).collect::<Vec<_>>(),
            chart => chart,
            weights => card.weights,
            qs => qs,
            print => p.get("print") == Some("1"),
        },
    ))
}

async fn relationship_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    partner: Uuid,
    p: &Pairs,
    portal: bool,
) -> PageResult {
    let lang = lang_of(headers, s);
    let days = kpi_days(p, &state.db)?;
    let v = app::relationship(&state.db, &s.actor, partner, days).await?;
    let labels: Vec<String> = v.history.iter().map(|h| h.period.clone()).collect();
    let values: Vec<Option<f64>> = v.history.iter().map(|h| h.value).collect();
    use liaison_docs::svg::{Chart, LineStyle, Series, line_chart};
    let name = t(lang, "kpi.indicator.relationship");
    let series = [Series {
        name,
        values: &values,
        style: LineStyle::Solid,
    }];
    let svg = line_chart(&Chart {
        title: name,
        description: t(lang, "kpi.page.history_explain"),
        x_labels: &labels,
        series: &series,
        band: None,
        unit: "",
    });
    let components: Vec<_> = v
        .components
        .iter()
        .map(|c| {
            ctx! {
                name => t(lang, &format!("kpi.component.{}", c.component.as_str())),
                explain => t(lang, &format!("kpi.component_explain.{}", c.component.as_str())),
                weight => c.weight,
                score => c.score.map(|s| format!("{:.0}", s * 100.0)).unwrap_or_else(|| "—".into()),
                basis => c.basis,
            }
        })
        .collect();
    let chart = bars(
        v.components
            .iter()
            .map(|c| {
                (
                    t(lang, &format!("kpi.component.{}", c.component.as_str())).to_string(),
                    c.score,
                )
            })
            .collect(),
    );
    Ok(render(
        state,
        headers,
        Some(s),
        "evaluation/relationship.html",
        ctx! {
            nav => if portal { "relationship" } else { "evaluation" },
            portal => portal,
            partner_id => v.partner_id,
            partner => v.partner,
            from => days.from.to_string(),
            to => days.to.to_string(),
            value => one(v.value),
            previous => one(v.previous),
            change => signed(v.change),
            components => components,
            history_svg => svg,
            chart => chart,
        },
    ))
}

/// `/console/evaluation/partners/{id}`: one partner's relationship index.
async fn partner(Path(id): Path<String>, Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let id: Uuid = crate::extract::id(&id)?;
    relationship_page(&state, &headers, &s, id, &p, false).await
}

/// `/portal/relationship`: the partner's own index.
async fn portal_relationship(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let id = s.actor.partner_id.ok_or(crate::AppError::NotFound)?;
    relationship_page(&state, &headers, &s, id, &p, true).await
}

/// How a correlation reads in words (§6.2.2: stated plainly, no causal claim).
fn correlation_words(lang: Lang, r: f64, n: usize) -> String {
    let strength = match r.abs() {
        a if a < 0.2 => "none",
        a if a < 0.4 => "weak",
        a if a < 0.7 => "moderate",
        _ => "strong",
    };
    let direction = if r >= 0.0 { "positive" } else { "negative" };
    Msg::new("kpi.impact.correlation")
        .arg("n", n as i64)
        .arg("r", format!("{r:.2}"))
        .arg(
            "strength",
            t(lang, &format!("kpi.impact.strength.{strength}")).to_string(),
        )
        .arg(
            "direction",
            t(lang, &format!("kpi.impact.direction.{direction}")).to_string(),
        )
        .render(lang)
}

/// `/console/evaluation/impact?partner=|region=&to=&months=`: one chart of the indicators
/// beside sales and market share (§6.2.2).
async fn impact(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    let lang = lang_of(&headers, &s);
    let whose = crate::api::kpi_whose(&p)?;
    let days = kpi_days(&p, &state.db)?;
    let v = app::impact(&state.db, &s.actor, whose, days.to, 12).await?;
    let labels: Vec<String> = v.months.iter().map(|m| m.period.clone()).collect();
    let best = v
        .months
        .iter()
        .filter_map(|m| m.sales)
        .fold(0.0_f64, f64::max);
    let sales: Vec<Option<f64>> = v
        .months
        .iter()
        .map(|m| m.sales.filter(|_| best > 0.0).map(|x| x / best * 100.0))
        .collect();
    let acc: Vec<Option<f64>> = v.months.iter().map(|m| m.accuracy).collect();
    let tim: Vec<Option<f64>> = v.months.iter().map(|m| m.timeliness).collect();
    let rel: Vec<Option<f64>> = v.months.iter().map(|m| m.relationship).collect();
    let share: Vec<Option<f64>> = v.months.iter().map(|m| m.market_share).collect();
    use liaison_docs::svg::{Chart, LineStyle, Series, line_chart};
    let mut series = vec![
        Series {
            name: t(lang, "kpi.indicator.accuracy"),
            values: &acc,
            style: LineStyle::Solid,
        },
        Series {
            name: t(lang, "kpi.indicator.timeliness"),
            values: &tim,
            style: LineStyle::Solid,
        },
        Series {
            name: t(lang, "kpi.impact.sales"),
            values: &sales,
            style: LineStyle::Dashed,
        },
        Series {
            name: t(lang, "kpi.impact.share"),
            values: &share,
            style: LineStyle::Dashed,
        },
    ];
    if v.partner_id.is_some() {
        series.push(Series {
            name: t(lang, "kpi.indicator.relationship"),
            values: &rel,
            style: LineStyle::Solid,
        });
    }
    let svg = line_chart(&Chart {
        title: t(lang, "kpi.impact.title"),
        description: t(lang, "kpi.impact.chart_explain"),
        x_labels: &labels,
        series: &series,
        band: None,
        unit: "",
    });
    let rows: Vec<_> = v
        .months
        .iter()
        .map(|m| {
            ctx! {
                period => m.period, accuracy => one(m.accuracy), timeliness => one(m.timeliness),
                relationship => one(m.relationship),
                sales => m.sales.map(|x| format!("{x:.0}")).unwrap_or_else(|| "—".into()),
                share => m.market_share.map(|x| format!("{x:.1}%")).unwrap_or_else(|| "—".into()),
            }
        })
        .collect();
    let statement = match v.correlation {
        Some(r) => correlation_words(lang, r, v.pairs),
        None => t(lang, "kpi.impact.too_few").to_string(),
    };
    Ok(render(
        &state,
        &headers,
        Some(&s),
        "evaluation/impact.html",
        ctx! {
            nav => "evaluation",
            label => v.label,
            is_partner => v.partner_id.is_some(),
            chart => svg,
            rows => rows,
            statement => statement,
            figures_withheld => v.figures_withheld,
        },
    ))
}

/// The evaluation settings form's number fields, in the order shown: the name posted (the
/// service's field name, so its errors land beside the input) and the range it takes.
const SETTING_FIELDS: [(&str, i64, i64); 15] = [
    ("timeliness_hours", 1, 200),
    ("relationship.acknowledgement", 0, 100),
    ("relationship.attendance", 0, 100),
    ("relationship.data_punctuality", 0, 100),
    ("relationship.data_accuracy", 0, 100),
    ("relationship.initiative", 0, 100),
    ("relationship.willingness", 0, 100),
    ("relationship.nps", 0, 100),
    ("relationship.initiative_target", 1, 1000),
    ("scorecard.accuracy", 0, 100),
    ("scorecard.timeliness", 0, 100),
    ("scorecard.satisfaction", 0, 100),
    ("scorecard.commend_from", 0, 100),
    ("scorecard.improve_below", 0, 100),
    ("scorecard.min_deliveries", 1, 100_000),
];

/// The relationship index's weights among [`SETTING_FIELDS`] (their sum is shown).
const RELATIONSHIP_WEIGHTS: [&str; 7] = [
    "relationship.acknowledgement",
    "relationship.attendance",
    "relationship.data_punctuality",
    "relationship.data_accuracy",
    "relationship.initiative",
    "relationship.willingness",
    "relationship.nps",
];

/// The settings as the form's `field -> value` map.
fn setting_values(v: &liaison_db::settings::EvaluationSettings) -> BTreeMap<String, String> {
    let (r, c) = (&v.relationship, &v.scorecard);
    [
        v.timeliness_hours,
        r.acknowledgement,
        r.attendance,
        r.data_punctuality,
        r.data_accuracy,
        r.initiative,
        r.willingness,
        r.nps,
        r.initiative_target,
        c.accuracy,
        c.timeliness,
        c.satisfaction,
        c.commend_from,
        c.improve_below,
        c.min_deliveries,
    ]
    .iter()
    .zip(SETTING_FIELDS)
    .map(|(n, (f, _, _))| (f.to_string(), n.to_string()))
    .collect()
}

/// The sum of the relationship weights as typed ("—" when one is not a number).
fn weight_sum(values: &BTreeMap<String, String>) -> String {
    RELATIONSHIP_WEIGHTS
        .iter()
        .map(|f| values.get(*f).and_then(|v| v.trim().parse::<i64>().ok()))
        .sum::<Option<i64>>()
        .map_or_else(|| "—".into(), |s| s.to_string())
}

/// `/console/settings/evaluation`: the form (admins) or the settings read-only (others who
/// read the evaluation); as typed with the service's errors after a refused save.
async fn settings_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Session,
    typed: Option<(BTreeMap<String, String>, &liaison_core::FieldErrors)>,
    saved: bool,
) -> PageResult {
    // Those who may not read the evaluation are refused as the API refuses them.
    let current = app::settings(&state.db, &s.actor).await?;
    let editable = s.actor.can(liaison_core::Permission::ManageEvaluation);
    let errors = typed.as_ref().map(|(_, e)| *e);
    let values = match &typed {
        Some((v, _)) => v.clone(),
        None => setting_values(&current),
    };
    let fields: Vec<_> = SETTING_FIELDS
        .iter()
        .map(|(f, min, max)| {
            let key = f.replace('.', "_");
            ctx! {
                name => f, id => format!("setting-{}", key.replace('_', "-")),
                label => format!("kpi.settings.field.{key}"),
                hint => format!("kpi.settings.hint.{key}"),
                value => values.get(*f).cloned().unwrap_or_default(),
                min => min, max => max,
            }
        })
        .collect();
    let mut r = render(
        state,
        headers,
        Some(s),
        "evaluation/settings.html",
        ctx! {
            nav => "evaluation_settings",
            editable => editable,
            hours => fields[..1].to_vec(),
            relationship => fields[1..9].to_vec(),
            scorecard => fields[9..].to_vec(),
            weight_sum => weight_sum(&values),
            saved => saved,
            errors => super::form_errors(errors),
        },
    );
    super::mark_invalid(&mut r, errors.is_some());
    Ok(r)
}

async fn settings_show(Page(state, headers, s): Page, p: Pairs) -> PageResult {
    settings_page(&state, &headers, &s, None, p.get("saved").is_some()).await
}

/// Saves the form through `liaison_app::kpi::update_settings` (admins): every field out of
/// range or not a whole number is named at once, beside its input, with the values as typed,
/// and nothing is stored.
async fn settings_save(super::PageForm(state, headers, s, p): super::PageForm) -> PageResult {
    s.require(liaison_core::Permission::ManageEvaluation)?;
    let typed: BTreeMap<String, String> = SETTING_FIELDS
        .iter()
        .map(|(f, _, _)| (f.to_string(), p.text(f)))
        .collect();
    // A value that is not a whole number is sent as -1, outside every field's range, so the
    // service refuses the whole form and names the others that are wrong with it.
    let mut not_numbers = Vec::new();
    let mut n = |f: &str| match typed
        .get(f)
        .map(|v| v.replace([',', ' '], "").parse::<i64>())
    {
        Some(Ok(v)) => v,
        _ => {
            not_numbers.push(f.to_string());
            -1
        }
    };
    let settings = liaison_db::settings::EvaluationSettings {
        timeliness_hours: n("timeliness_hours"),
        relationship: liaison_core::kpi::RelationshipWeights {
            acknowledgement: n("relationship.acknowledgement"),
            attendance: n("relationship.attendance"),
            data_punctuality: n("relationship.data_punctuality"),
            data_accuracy: n("relationship.data_accuracy"),
            initiative: n("relationship.initiative"),
            willingness: n("relationship.willingness"),
            nps: n("relationship.nps"),
            initiative_target: n("relationship.initiative_target"),
        },
        scorecard: liaison_core::kpi::ScoreWeights {
            accuracy: n("scorecard.accuracy"),
            timeliness: n("scorecard.timeliness"),
            satisfaction: n("scorecard.satisfaction"),
            commend_from: n("scorecard.commend_from"),
            improve_below: n("scorecard.improve_below"),
            min_deliveries: n("scorecard.min_deliveries"),
        },
    };
    match app::update_settings(&state.db, &s.actor, &settings).await {
        Ok(_) => Ok(
            axum::response::Redirect::to("/console/settings/evaluation?saved=1").into_response(),
        ),
        Err(liaison_app::Error::Invalid(e)) => {
            let mut shown = liaison_core::FieldErrors::new();
            for f in &not_numbers {
                shown.add(
                    f.clone(),
                    liaison_core::validate::Msg::new("validate.whole_number"),
                );
            }
            for x in e.0 {
                if !not_numbers.contains(&x.field) {
                    shown.add(x.field, x.msg);
                }
            }
            settings_page(&state, &headers, &s, Some((typed, &shown)), false).await
        }
        Err(e) => Err(e.into()),
    }
}
