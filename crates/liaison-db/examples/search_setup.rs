//! Benchmark set-up for search (SPEC B10): writes N messages (default 200,000) with Chinese
//! titles and bodies, some about 苏州 or 返利, each delivered to one contact (every 200th to
//! SH-D001, the demo partner of p1@demo.example), and indexes them with the same code as a
//! dispatch (`liaison_db::search::index`), set-based: 5,000 messages a transaction. They are
//! timed after the newest partner, a millisecond apart, as messages follow the registry they
//! go to. Usage, after
//! `liaison demo --partners 100000`:
//!
//! ```sh
//! cargo run --release -p liaison-db --example search_setup -- sqlite://./liaison-data/liaison.db [N]
//! ```

use chrono::Duration;
use liaison_core::SystemClock;
use liaison_core::request::RequestInput;
use liaison_db::search::{self, message_doc};
use liaison_db::{Db, FromDbRow, Q, RowExt, q};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

struct ContactRef {
    id: Uuid,
    partner_id: Uuid,
}
impl FromDbRow for ContactRef {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: r.uuid("id")?,
            partner_id: r.uuid("partner_id")?,
        })
    }
}

struct Newest(chrono::DateTime<chrono::Utc>);
impl FromDbRow for Newest {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(Self(r.time("at")?))
    }
}

const CITIES: &[&str] = &[
    "苏州", "上海", "杭州", "南京", "无锡", "宁波", "合肥", "广州", "深圳", "成都", "重庆", "武汉",
];
const TOPICS: &[&str] = &[
    "返利结算",
    "新品上市",
    "价格调整",
    "库存盘点",
    "促销活动",
    "门店陈列",
    "物流配送",
    "培训安排",
    "合同续签",
    "质量通报",
    "系统升级",
    "节日备货",
];
const PHRASES: &[&str] = &[
    "请各位伙伴按时完成",
    "具体安排见附件说明",
    "如有疑问请联系渠道经理",
    "本月底前提交相关材料",
    "请确认后在系统中回执",
    "活动期间库存需提前准备",
    "新的价格自下月一日起执行",
    "返利将按季度统一结算",
    "请关注区域市场的变化",
    "门店需按照标准完成陈列",
];

fn text(i: usize) -> (String, String) {
    let city = CITIES[i % CITIES.len()];
    let topic = TOPICS[(i / 7) % TOPICS.len()];
    let title = match i % 3 {
        0 => format!("{city}地区{topic}通知"),
        1 => format!("关于{topic}的说明（第{}期）", i % 50 + 1),
        _ => format!("{topic}：{city}市场安排"),
    };
    let mut body = format!(
        "{}{}，{}。",
        if i.is_multiple_of(2) { city } else { "" },
        if i.is_multiple_of(4) {
            "市各门店"
        } else {
            "区域"
        },
        PHRASES[i % PHRASES.len()]
    );
    body.push_str(PHRASES[(i / 3) % PHRASES.len()]);
    body.push_str(&format!("，编号 SKU-{:05}。", i % 10000));
    (title, body)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: search_setup DATABASE_URL [N]")?;
    let n: usize = match std::env::args().nth(2) {
        Some(s) => s.parse()?,
        None => 200_000,
    };
    let db = Db::connect(&url, Arc::new(SystemClock)).await?;
    db.migrate().await?;
    let staff = liaison_db::user::list_users(&db)
        .await?
        .into_iter()
        .find(|u| u.email == "staff@demo.example")
        .ok_or("demo user missing: run `liaison demo` first")?
        .actor();
    let request = liaison_db::request::insert_request(
        &db,
        &staff,
        &RequestInput {
            title: Some("搜索基准消息".into()),
            purpose: Some("search benchmark".into()),
            body: Some("基准".into()),
            ..Default::default()
        },
    )
    .await?;
    let contacts: Vec<ContactRef> = db
        .fetch_all(q("SELECT id, partner_id FROM contacts ORDER BY id"))
        .await?;
    let sh = liaison_db::partner::resolve_partner_ref(&db, "SH-D001")
        .await?
        .ok_or("SH-D001 missing: run `liaison demo` first")?;
    let sh_contact = contacts
        .iter()
        .find(|c| c.partner_id == sh)
        .ok_or("SH-D001 has no contact")?;
    // Messages come after the registry they are sent to: they are timed from the newest
    // partner on, a millisecond apart (the ranking puts newer documents first).
    let base: Option<chrono::DateTime<chrono::Utc>> = db
        .fetch_optional::<Newest>(q("SELECT MAX(created_at) AS at FROM partners"))
        .await?
        .map(|r| r.0);
    let base = base.unwrap_or_else(|| db.now());
    let started = Instant::now();
    const BATCH: usize = 5000;
    let mut done = 0;
    while done < n {
        let size = BATCH.min(n - done);
        let mut tx = db.begin().await?;
        let mut rows = Vec::with_capacity(size);
        for k in 0..size {
            let i = done + k;
            let (title, body) = text(i);
            let at = base + Duration::milliseconds(i as i64 + 1);
            let to = if i.is_multiple_of(200) {
                sh_contact
            } else {
                &contacts[i % contacts.len()]
            };
            rows.push((Uuid::now_v7(), title, body, at, to));
        }
        for chunk in rows.chunks(500) {
            let mut m = Q::dynamic(String::new());
            let mut d = Q::dynamic(String::new());
            let mut mv = Vec::new();
            let mut dv = Vec::new();
            for (id, title, body, at, to) in chunk {
                mv.push(format!(
                    "({}, {}, {}, {}, 'other', 'normal', 'normal', 'internal', {}, {})",
                    m.arg(*id),
                    m.arg(request.id),
                    m.arg(title.as_str()),
                    m.arg(body.as_str()),
                    m.arg(false),
                    m.arg(*at),
                ));
                dv.push(format!(
                    "({}, {}, {}, {}, 'portal', 'delivered', {}, {})",
                    d.arg(*id),
                    d.arg(*id),
                    d.arg(to.partner_id),
                    d.arg(to.id),
                    d.arg(*at),
                    d.arg(false),
                ));
            }
            tx.execute(m.replace_sql(format!(
                "INSERT INTO messages (id, request_id, title, body, category, importance, urgency,
                    classification, ack_required, created_at) VALUES {}",
                mv.join(", ")
            )))
            .await?;
            tx.execute(d.replace_sql(format!(
                "INSERT INTO deliveries (id, message_id, partner_id, contact_id, channel, state,
                    created_at, late) VALUES {}",
                dv.join(", ")
            )))
            .await?;
        }
        let docs: Vec<search::Doc> = rows
            .iter()
            .map(|(id, title, body, at, _)| message_doc(*id, title, Some(body), *at))
            .collect();
        search::index(&mut tx, &docs, true).await?;
        tx.commit().await?;
        done += size;
    }
    let elapsed = started.elapsed();
    let postings: i64 = db.fetch_one(q("SELECT COUNT(*) FROM search_terms")).await?;
    let docs: i64 = db.fetch_one(q("SELECT COUNT(*) FROM search_docs")).await?;
    println!(
        "{:?}: wrote and indexed {n} messages in {:.1} s; index now {docs} documents, {postings} postings",
        db.backend(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
