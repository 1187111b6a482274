//! The business-data story (issue 13; policy §3.3): eighteen months of monthly sales (every
//! distributor and agent) and inventory (distributors), and six quarters of market share,
//! seasonal as the trade is (the Spring Festival dip, the 618 and Double 11 peaks), growing
//! slowly, each partner with its own products and provinces. Most submit a few days before the
//! due day; 成都天府 (CD-D004) is always late and has not sent last month's figures at all.
//! Last month holds three planted anomalies: 广州南粤 stocked up on one inverter before a price
//! change, 武汉江城 ran out of a servo motor, and p1's 上海恒通 reported four times its usual
//! stock of a servo motor (its follow-up waits for p1's answer in the portal). p1 first uploads
//! last month's sales with two mistakes (refused, nothing stored), then the corrected file, then
//! a correction the next day (version 2).
//!
//! It runs on its own clock, month by month, and once (its own audit marker), so demo databases
//! written before it existed get it too.

use crate::Result;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use liaison_app::data::{self as app, FollowUpInput, Outcome, Progress, Source, SubmitInput};
use liaison_core::data::{Period, PeriodKind, REGIONS, SubmissionVia};
use liaison_core::{Actor, FixedClock};
use liaison_db::audit::{self, Entry};
use liaison_db::{Db, q};
use serde_json::json;
use std::sync::Arc;

const MARKER: &str = "demo.data_history";

/// Products the partners carry and a unit price in CNY (before tax).
const PRODUCTS: &[(&str, f64, f64)] = &[
    // (code, base units a month per province for a tier-C partner, price)
    ("LX-SM100", 40.0, 2_350.0),
    ("LX-SM150", 32.0, 3_180.0),
    ("LX-SM200", 18.0, 4_620.0),
    ("LX-VF075", 55.0, 1_280.0),
    ("LX-VF220", 26.0, 2_960.0),
    ("LX-PC10", 30.0, 1_850.0),
    ("LX-PC20", 16.0, 3_400.0),
    ("LX-HMI7", 22.0, 1_560.0),
];

/// The three categories of market share, with a typical share (%).
const CATEGORIES: &[(&str, f64)] = &[("伺服电机", 18.0), ("变频器", 12.5), ("控制器", 9.0)];

/// Month of the year → the trade's seasonal index.
fn season(month: u32) -> f64 {
    match month {
        1 => 0.88,
        2 => 0.62,
        3 => 1.0,
        4 => 1.02,
        5 => 1.05,
        6 => 1.22,
        7 => 0.96,
        8 => 0.95,
        9 => 1.08,
        10 => 1.0,
        11 => 1.42,
        _ => 1.18,
    }
}

/// A deterministic number in [-1, 1) from the parts (the same demo every time).
fn noise(parts: &[&str], n: u32) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
    }
    h ^= u64::from(n);
    h = h.wrapping_mul(0x0100_0000_01b3);
    h ^= h >> 29;
    (h % 20_000) as f64 / 10_000.0 - 1.0
}

/// One partner of the story.
struct Teller {
    code: &'static str,
    id: uuid::Uuid,
    kind: String,
    region: String,
    scale: f64,
    products: Vec<&'static (&'static str, f64, f64)>,
    provinces: Vec<String>,
}

/// Writes the business-data story unless it is there already. Needs the demo company and its
/// data sets (`load`).
pub async fn write(db: &Db) -> Result<bool> {
    let done: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(MARKER))
        .await?;
    // The rows are kept sealed: without an encryption key (`liaison demo` with none set) the
    // figures wait for a run that has one (`serve --demo` makes one).
    if done > 0
        || db.cipher().is_err()
        || liaison_db::data::find_dataset_by_code(db, "sales")
            .await
            .is_err()
    {
        return Ok(false);
    }
    let users = liaison_db::user::list_users(db).await?;
    let actor = |email: &str| -> Option<Actor> {
        users.iter().find(|u| u.email == email).map(|u| u.actor())
    };
    let (Some(channel), Some(p1)) = (actor("channel@demo.example"), actor("p1@demo.example"))
    else {
        return Ok(false);
    };
    let now = db.now();
    let today = now.with_timezone(&Shanghai).date_naive();
    let last = Period::containing(PeriodKind::Monthly, today).prev();
    let months = last.last(18);
    let start = months.first().map_or(today, Period::start);
    let clock = Arc::new(FixedClock::new(day_at(start, 9)));
    let past = db.with_clock(clock.clone());

    let mut tellers = Vec::new();
    let partners = liaison_db::partner::list_all_partners(
        db,
        liaison_core::Scope::All,
        &liaison_core::partner::PartnerFilter {
            kinds: vec![
                liaison_core::partner::PartnerKind::Distributor,
                liaison_core::partner::PartnerKind::Agent,
            ],
            ..Default::default()
        },
    )
    .await?;
    for p in &partners {
        let Some(code) = CODES.iter().find(|c| **c == p.code) else {
            continue;
        };
        let tier = match p.tier.as_str() {
            "A" => 3.0,
            "B" => 1.8,
            _ => 1.0,
        };
        let kind = if p.kind == "agent" { 0.6 } else { 1.0 };
        let products: Vec<_> = PRODUCTS
            .iter()
            .filter(|(c, _, _)| noise(&[code, c], 7) > -0.45)
            .collect();
        let provinces: Vec<String> = REGIONS
            .iter()
            .find(|(b, _)| *b == p.region)
            .map(|(_, ps)| ps.iter().take(3).map(|s| s.to_string()).collect())
            .unwrap_or_else(|| vec![p.region.clone()]);
        tellers.push(Teller {
            code,
            id: p.id,
            kind: p.kind.clone(),
            region: p.region.clone(),
            scale: tier * kind,
            products,
            provinces,
        });
    }

    let cal = app::DueCalendar::load(db).await?;
    let mut p1_last_sales = None;
    for (m, period) in months.iter().enumerate() {
        let is_last = *period == last;
        // Both data sets by the earlier due day (inventory: 3 working days, sales: 5).
        let due = cal.due_on(period, 3);
        // Each partner's moment: a few days before the due day (CD-D004 three days after);
        // submitted in the order of their moments.
        let mut order: Vec<(DateTime<Utc>, &Teller)> = tellers
            .iter()
            .filter(|t| !(t.code == "CD-D004" && is_last))
            .map(|t| {
                let at = if t.code == "CD-D004" {
                    day_at(due + Duration::days(3), 15)
                } else {
                    let before = (noise(&[t.code, "day"], m as u32).abs() * 2.0) as i64;
                    day_at(due - Duration::days(before), 10)
                };
                (at, t)
            })
            .collect();
        order.sort_by_key(|(at, t)| (*at, t.code));
        for (at, t) in order {
            move_to(&clock, at, now);
            let sales = sales_csv(t, period, m, is_last);
            if is_last && t.code == "SH-D001" {
                // p1's first try has a typo in a code and a minus sign: refused.
                let broken = sales
                    .replacen("LX-", "LX_", 1)
                    .replacen(",上海,", ",上海,-", 1);
                submit(&past, &p1, None, "sales", period, &broken, "销售.csv").await?;
                clock.advance(Duration::minutes(25));
                submit(&past, &p1, None, "sales", period, &sales, "销售-修正.csv").await?;
                p1_last_sales = Some(sales.clone());
            } else {
                let who = if t.code == "SH-D001" { &p1 } else { &channel };
                let partner = (t.code != "SH-D001").then_some(t.id);
                submit(&past, who, partner, "sales", period, &sales, "sales.csv").await?;
            }
            if t.kind == "distributor" {
                clock.advance(Duration::minutes(40));
                let stock = inventory_csv(t, period, m, is_last);
                let who = if t.code == "SH-D001" { &p1 } else { &channel };
                let partner = (t.code != "SH-D001").then_some(t.id);
                submit(
                    &past,
                    who,
                    partner,
                    "inventory",
                    period,
                    &stock,
                    "inventory.csv",
                )
                .await?;
            }
        }
        // Quarterly market share, after each quarter's last month.
        if period.n % 3 == 0 && !is_last {
            let quarter = Period {
                kind: PeriodKind::Quarterly,
                year: period.year,
                n: period.n / 3,
            };
            for t in tellers.iter().filter(|t| t.kind == "distributor") {
                move_to(
                    &clock,
                    day_at(cal.due_on(&quarter, 10) - Duration::days(2), 11),
                    now,
                );
                let csv = share_csv(t, &quarter);
                let (who, partner) = if t.code == "SH-D001" {
                    (&p1, None)
                } else {
                    (&channel, Some(t.id))
                };
                submit(
                    &past,
                    who,
                    partner,
                    "market_share",
                    &quarter,
                    &csv,
                    "share.csv",
                )
                .await?;
            }
        }
    }
    // The day after, p1 corrects two figures: version 2 supersedes version 1.
    if let Some(sales) = p1_last_sales {
        move_to(&clock, day_at(cal.due_on(&last, 5), 16), now);
        let corrected = sales.replacen(",1", ",2", 1);
        submit(&past, &p1, None, "sales", &last, &corrected, "销售-v2.csv").await?;
    }
    // Last month's figures judged together (§3.3.2): the planted anomalies open follow-ups.
    move_to(&clock, now - Duration::hours(3), now);
    for code in ["sales", "inventory"] {
        let d = liaison_db::data::find_dataset_by_code(&past, code).await?;
        app::detect(&past, &d, last, None).await?;
    }
    follow_ups(&past, &clock, &channel, now).await?;
    // Like the rest of the history, its bells were heard at the time: the anomalies wait on the
    // data pages (the console's open list, p1's "to answer"), not as unread notifications.
    let mut tx = db.begin().await?;
    tx.execute(q(
        "UPDATE notifications SET read_at = created_at
         WHERE read_at IS NULL AND kind IN ('data_due', 'data_follow_up', 'data_overdue', 'data_anomaly')",
    ))
    .await?;
    tx.execute(q(
        "DELETE FROM jobs WHERE kind = 'notify' AND state = 'queued'",
    ))
    .await?;
    tx.commit().await?;
    audit::record(
        db,
        Entry {
            actor_id: None,
            action: MARKER,
            entity: "demo",
            entity_id: None,
            partner_id: None,
            detail: json!({"months": months.len(), "partners": tellers.len()}),
        },
    )
    .await?;
    Ok(true)
}

/// The partners of the story: every distributor and agent of the demo in mainland China and
/// Hong Kong (the overseas ones report by their own systems).
const CODES: &[&str] = &[
    "SH-D001", "BJ-D002", "GZ-D003", "CD-D004", "WH-D005", "XA-D006", "SY-D007", "HZ-D008",
    "NJ-D009", "HK-D010", "SZ-A001", "TJ-A002", "CQ-A003", "CS-A004", "QD-A005", "XM-A006",
    "KM-A007", "DL-A008",
];

fn day_at(d: NaiveDate, hour: u32) -> DateTime<Utc> {
    let local = d.and_hms_opt(hour, 0, 0).unwrap_or_default();
    Shanghai
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// Moves the story's clock forward to `t` (never backwards, never past the real now).
fn move_to(clock: &FixedClock, t: DateTime<Utc>, now: DateTime<Utc>) {
    use liaison_core::Clock;
    let t = t.min(now - Duration::minutes(5));
    let at = clock.now();
    if t > at {
        clock.advance(t - at);
    } else {
        clock.advance(Duration::minutes(2));
    }
}

async fn submit(
    db: &Db,
    who: &Actor,
    partner: Option<uuid::Uuid>,
    dataset: &str,
    period: &Period,
    csv: &str,
    name: &str,
) -> Result<()> {
    let input = SubmitInput {
        dataset: Some(dataset.into()),
        period: Some(period.to_string()),
        partner_id: partner,
        rows: None,
    };
    let source = Source::File {
        reader: Box::new(std::io::Cursor::new(csv.as_bytes().to_vec())),
        name: Some(name.into()),
    };
    let via = if who.is_partner() {
        SubmissionVia::Portal
    } else {
        SubmissionVia::Console
    };
    match app::submit_with(db, who, &input, source, via, Progress::default(), false).await? {
        Outcome::Accepted { .. } | Outcome::Rejected { .. } => Ok(()),
    }
}

/// A partner's sales of one month: units and amount per product and province.
fn sales_csv(t: &Teller, period: &Period, m: usize, last: bool) -> String {
    let mut out = String::from("product_code,region,units,amount_cny\n");
    let growth = 1.0 + 0.012 * m as f64;
    for (code, base, price) in &t.products {
        for (i, province) in t.provinces.iter().enumerate() {
            let n = noise(&[t.code, code, province], m as u32) * 0.06;
            let weight = [1.0, 0.7, 0.45].get(i).copied().unwrap_or(0.4);
            let mut units = base * t.scale * weight * season(period.n) * growth * (1.0 + n);
            // Planted: 广州南粤 stocked up on the LX-VF220 before the price change.
            if last && t.code == "GZ-D003" && *code == "LX-VF220" {
                units *= 3.6;
            }
            let units = units.round().max(0.0);
            let amount = units * price * (1.0 + noise(&[t.code, code, "p"], m as u32) * 0.02);
            out.push_str(&format!("{code},{province},{units:.0},{amount:.2}\n"));
        }
    }
    out
}

/// A distributor's stock at a month's end, per product and warehouse.
fn inventory_csv(t: &Teller, period: &Period, m: usize, last: bool) -> String {
    let mut out = String::from("product_code,warehouse,units_on_hand\n");
    let warehouses = [format!("{}中心仓", t.region), format!("{}前置仓", t.region)];
    for (j, (code, base, _)) in t.products.iter().enumerate() {
        for (i, w) in warehouses.iter().enumerate() {
            let n = noise(&[t.code, code, w], m as u32) * 0.05;
            // Stock builds up ahead of the Double 11 peak.
            let build = if period.n == 10 { 1.15 } else { 1.0 };
            let mut units = base * t.scale * (1.6 - 0.7 * i as f64) * build * (1.0 + n);
            if last && t.code == "WH-D005" && *code == "LX-SM150" {
                units *= 0.08; // planted: ran out
            }
            if last && t.code == "SH-D001" && j == 0 {
                units *= 4.2; // planted: p1's unusual stock of its first product
            }
            out.push_str(&format!("{code},{w},{:.0}\n", units.round().max(0.0)));
        }
    }
    out
}

/// A distributor's estimated market share per category and province in a quarter.
fn share_csv(t: &Teller, quarter: &Period) -> String {
    let mut out = String::from("category,region,share_pct\n");
    for (cat, typical) in CATEGORIES {
        for province in &t.provinces {
            let n = noise(&[t.code, cat, province], quarter.n + quarter.year as u32);
            let share = (typical * (1.0 + 0.25 * n) + 0.3 * f64::from(quarter.n)).clamp(1.0, 60.0);
            out.push_str(&format!("{cat},{province},{share:.1}\n"));
        }
    }
    out
}

/// Channel management (each partner's own manager) follows up two of the anomalies; p1's
/// waits for p1.
async fn follow_ups(
    db: &Db,
    clock: &FixedClock,
    channel: &Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let open =
        liaison_db::data::list_anomalies(db, &liaison_db::data::AnomalyFilter::default(), 100)
            .await?;
    for a in open {
        let steps: &[(&str, &str)] = match (a.partner_code.as_str(), a.series.as_str()) {
            ("GZ-D003", "LX-VF220") if a.measure == "units" => &[
                (
                    "comment",
                    "已电话联系南粤采购负责人，核实本月 LX-VF220 进货量。",
                ),
                (
                    "cause",
                    "12 月 1 日起变频器调价，客户提前集中备货，终端销售并未同步增长。",
                ),
                (
                    "action",
                    "未来两个月按周跟踪该型号出货与终端销量，防止渠道库存积压。",
                ),
            ],
            ("WH-D005", "LX-SM150") => &[
                ("cause", "华中区域 LX-SM150 断货，工厂排产延后两周。"),
                ("action", "已从华东中心仓调拨 60 台，12 月第二周到货。"),
                ("closed", ""),
            ],
            _ => &[],
        };
        // The partner's own channel manager follows up: a confidential data set's figures are
        // theirs to know (§7.2.2).
        let owner = liaison_db::partner::find_partner(db, liaison_core::Scope::All, a.partner_id)
            .await?
            .owner_id;
        let who = match owner {
            Some(o) => liaison_db::user::find_user(db, o)
                .await?
                .map_or_else(|| channel.clone(), |u| u.actor()),
            None => channel.clone(),
        };
        for (kind, body) in steps {
            clock.advance(Duration::minutes(20));
            move_to(clock, clock_now(clock), now);
            let input = FollowUpInput {
                kind: Some((*kind).into()),
                body: Some((*body).into()),
            };
            app::follow_up(db, &who, a.id, &input).await?;
        }
    }
    Ok(())
}

fn clock_now(clock: &FixedClock) -> DateTime<Utc> {
    use liaison_core::Clock;
    clock.now()
}
