//! "我的待办": what waits for the signed-in person (issue 9, a first version that evaluation
//! extends). A reviewer sees what waits for their decision (§4.2.1); a requester their
//! requests and receipts; channel management unanswered questions with their age (§4.4.2),
//! overdue confirmations (§4.4.1), dead deliveries and people held back for want of an NDA
//! (§7.1.2); a partner what to confirm (§4.3.2), answers to its questions and its open
//! questions.

use crate::Result;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use liaison_core::access::{Access, ItemKind};
use liaison_core::partner::Lang;
use liaison_core::review::Classification;
use liaison_core::{Actor, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::home::MessageCount;
use liaison_db::request::RequestView;
use liaison_db::thread::{ThreadState, ThreadView};
use serde::Serialize;
use uuid::Uuid;

/// Items shown per section.
const SHOWN: i64 = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub sections: Vec<Section>,
}

impl Dashboard {
    /// What the top menu counts: things waiting for this person's own action.
    pub fn waiting(&self) -> i64 {
        self.sections
            .iter()
            .filter(|s| s.mine)
            .map(|s| s.count)
            .sum()
    }

    pub fn section(&self, key: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.key == key)
    }
}

/// One list on the home page; `key` names it (catalogue `home.<key>`).
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub key: &'static str,
    /// Items in the section (at most the first ten are listed).
    pub count: i64,
    /// Whether the items wait for this person's own action (counted in the menu).
    pub mine: bool,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub title: String,
    pub link: String,
    /// The time that matters: submitted, asked, deadline, sent.
    pub at: Option<DateTime<Utc>>,
    /// A state (`pending_channel_review`, `open`, …) where it helps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// A number where it helps (people unconfirmed, dead deliveries, people held back).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
    /// For a requester's dispatched request: people confirmed of people reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<i64>,
    /// How long a question has waited for an answer, in whole hours (§4.4.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_hours: Option<i64>,
    /// An indicator's figure as shown (`96.4%`, `4.2`, `78.5`) (§6.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Its change against the period before: percentage points for a rate, points otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<f64>,
}

fn section(key: &'static str, mine: bool, items: Vec<Item>) -> Section {
    Section {
        key,
        count: items.len() as i64,
        mine,
        items,
    }
}

fn item(title: String, link: String, at: Option<DateTime<Utc>>) -> Item {
    Item {
        title,
        link,
        at,
        state: None,
        count: None,
        confirmed: None,
        age_hours: None,
        value: None,
        change: None,
    }
}

/// A question waiting for the company, with its age.
fn question(t: liaison_db::thread::Thread, now: DateTime<Utc>) -> Item {
    Item {
        age_hours: Some((now - t.created_at).num_hours()),
        ..item(
            format!("{} · {}", t.partner_code, t.subject),
            format!("/console/threads/{}", t.id),
            Some(t.created_at),
        )
    }
}

/// The top menu's numbers: unread notifications (the bell) and things waiting for the
/// person's own action ("我的待办"), cheap enough for every page.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Badges {
    pub unread: i64,
    pub waiting: i64,
}

pub async fn badges(db: &Db, actor: &Actor) -> Result<Badges> {
    if !actor.is_partner() {
        // Kept between views until a notification, request or thread is written (`Db::kept`).
        let (unread, waiting) = db
            .kept(
                "staff_badges",
                format!("{actor:?}"),
                std::time::Duration::from_secs(300),
                10_000,
                || liaison_db::home::staff_badges(db, actor),
            )
            .await?;
        return Ok(Badges { unread, waiting });
    }
    let unread = liaison_db::notify::unread_count(db, actor.user_id).await?;
    let waiting = if let Some(partner) = actor.scope().partner() {
        liaison_db::inbox::counts(db, partner).await?.to_confirm
    } else if actor.is_partner() {
        0
    } else {
        let reviewer = [Role::DeptHead, Role::ChannelManager, Role::Executive]
            .iter()
            .any(|r| actor.roles.has(*r));
        let to_review = if reviewer {
            liaison_db::request::list_requests(db, actor, RequestView::ToReview, None, 100)
                .await?
                .len() as i64
        } else {
            0
        };
        to_review
            + liaison_db::thread::counts(db, actor, ThreadView::Mine)
                .await?
                .open
    };
    Ok(Badges { unread, waiting })
}

/// The signed-in person's home items.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn dashboard(db: &Db, actor: &Actor, lang: Lang) -> Result<Dashboard> {
    authorize(actor, Permission::ReadOwnNotifications, &Object::default())?;
    let mut sections = Vec::new();
    if actor.is_partner() {
        partner_sections(db, actor, lang, &mut sections).await?;
        return Ok(Dashboard { sections });
    }
    // Leadership lands on the four indicators of the last whole month against the month
    // before (§6.1, issue 16 item 6).
    if actor.roles.has(Role::Executive) && actor.can(Permission::ReadEvaluation) {
        sections.push(indicators(db, actor, lang).await?);
    }
    let reviewer = [Role::DeptHead, Role::ChannelManager, Role::Executive]
        .iter()
        .any(|r| actor.roles.has(*r));
    if reviewer {
        let waiting = crate::request::list(db, actor, RequestView::ToReview, None, 50).await?;
        let items = waiting
            .into_iter()
            .map(|r| Item {
                state: Some(r.state.as_str().to_string()),
                ..item(
                    r.title,
                    format!("/console/requests/{}", r.id),
                    r.submitted_at,
                )
            })
            .collect();
        sections.push(section("to_review", true, items));
    }
    if actor.can(Permission::CreateRequests) {
        let mine = crate::request::list(db, actor, RequestView::Mine, None, SHOWN).await?;
        let mut items = Vec::with_capacity(mine.len());
        for r in mine {
            let (count, confirmed) = match r.message_id {
                Some(m) => {
                    let s = liaison_db::inbox::summary(db, m).await?;
                    (Some(s.people), Some(s.people_acknowledged))
                }
                None => (None, None),
            };
            items.push(Item {
                state: Some(r.state.as_str().to_string()),
                count,
                confirmed,
                ..item(
                    r.title,
                    format!("/console/requests/{}", r.id),
                    Some(r.updated_at),
                )
            });
        }
        sections.push(section("my_requests", false, items));
    }
    if actor.can(Permission::ManageDeliveries) {
        let open = crate::thread::list(
            db,
            actor,
            Some(ThreadState::Open),
            ThreadView::All,
            None,
            50,
        )
        .await?;
        let items = open.into_iter().map(|t| question(t, db.now())).collect();
        sections.push(section("unanswered_questions", true, items));
        let counted = |key, mine, rows: Vec<liaison_db::home::MessageCount>| {
            let items = rows
                .into_iter()
                .map(|m| Item {
                    count: Some(m.count),
                    ..item(
                        m.title,
                        format!("/console/requests/{}#receipts", m.request_id),
                        m.at,
                    )
                })
                .collect();
            section(key, mine, items)
        };
        sections.push(counted(
            "overdue_confirmations",
            true,
            listed_messages(db, actor, |n| liaison_db::home::overdue(db, n)).await?,
        ));
        sections.push(counted(
            "dead_deliveries",
            true,
            listed_messages(db, actor, |n| liaison_db::home::dead(db, n)).await?,
        ));
        sections.push(counted(
            "held_back",
            false,
            listed_messages(db, actor, |n| liaison_db::home::held_back(db, n)).await?,
        ));
    } else if actor.can(Permission::UseConsole) {
        // Staff answer the questions routed to them.
        let open = crate::thread::list(
            db,
            actor,
            Some(ThreadState::Open),
            ThreadView::Mine,
            None,
            50,
        )
        .await?;
        let items = open.into_iter().map(|t| question(t, db.now())).collect();
        sections.push(section("unanswered_questions", true, items));
    }
    // What runs late across the channel comes before one's own lists.
    if actor.can(Permission::ManageDeliveries) {
        channel_sections(db, actor, lang, &mut sections).await?;
    }
    // R&D triages partners' new product feedback (§3.2.3).
    if actor.roles.has(Role::Rd) {
        let new = crate::feedback::list(
            db,
            actor,
            &liaison_db::feedback::FeedbackFilter {
                state: Some(liaison_core::product::FeedbackState::New),
                ..Default::default()
            },
            None,
            50,
        )
        .await?;
        let items = new
            .into_iter()
            .map(|f| {
                item(
                    format!("{} · {}", f.product_name, f.partner_code),
                    format!("/console/feedback/{}", f.id),
                    Some(f.created_at),
                )
            })
            .collect();
        sections.push(section("feedback_to_triage", true, items));
    }
    // Problem tickets held by this person and still running (§3.4.2), soonest due first.
    if actor.can(Permission::WorkTickets) {
        let f = crate::tickets::queue_filter(db, actor, crate::tickets::Queue::Mine).await?;
        let mut mine = crate::tickets::list(db, actor, &f, None, 50).await?;
        mine.sort_by_key(|t| {
            t.first_response_due_at
                .into_iter()
                .chain(t.resolution_due_at)
                .min()
        });
        let items = mine
            .into_iter()
            .map(|t| {
                let due = t
                    .first_response_due_at
                    .into_iter()
                    .chain(t.resolution_due_at)
                    .min();
                item(
                    format!("{} · {}", t.subject, t.partner_code),
                    format!("/console/tickets/{}", t.id),
                    due.or(Some(t.created_at)),
                )
            })
            .collect();
        sections.push(section("my_tickets", true, items));
    }
    // Action items this person owns (§2.2.1) and the meetings ahead they chair or attend.
    if actor.can(Permission::PlanMeetings) {
        meeting_sections(db, actor, "/console", &mut sections).await?;
    }
    // Leak incidents still running, for those who handle them (§7.3).
    if actor.can(Permission::ReportIncidents) && crate::incidents::may_handle(db, actor).await? {
        let open: Vec<_> = crate::incidents::list(db, actor)
            .await?
            .into_iter()
            .filter(|i| i.state != liaison_core::incidents::IncidentState::Closed)
            .collect();
        let count = open.len() as i64;
        let items = open
            .into_iter()
            .take(SHOWN as usize)
            .map(|i| Item {
                state: Some(i.state.as_str().to_string()),
                ..item(
                    i.title,
                    format!("/console/incidents/{}", i.id),
                    Some(i.reported_at),
                )
            })
            .collect();
        sections.push(Section {
            count,
            ..section("open_incidents", true, items)
        });
    }
    Ok(Dashboard { sections })
}

/// Up to `SHOWN` messages as `actor` may see them listed (§7.2.2): a secret one outside their
/// circle is left out, and `read` (a page of `n`) is read again twice as far so the list is
/// not short while more are there. Only secret rows are looked at one by one.
async fn listed_messages<F, Fut>(db: &Db, actor: &Actor, read: F) -> Result<Vec<MessageCount>>
where
    F: Fn(i64) -> Fut,
    Fut: std::future::Future<Output = liaison_db::Result<Vec<MessageCount>>>,
{
    let mut n = SHOWN;
    loop {
        let rows = read(n).await?;
        let more = rows.len() as i64 >= n;
        let read_rows = rows.len();
        let mut kept = Vec::with_capacity(rows.len());
        for m in rows {
            if m.classification != Classification::Secret.as_str()
                || crate::access::access_to(db, actor, ItemKind::Request, m.request_id).await?
                    != Access::Hidden
            {
                kept.push(m);
            }
        }
        if kept.len() == read_rows || kept.len() as i64 >= SHOWN || !more {
            kept.truncate(SHOWN as usize);
            return Ok(kept);
        }
        n = n.saturating_mul(2);
    }
}

/// Action items as their owner sees them listed (§7.2.2): the title of a secret meeting they
/// come from is left out when the owner is outside its circle (the item itself is theirs).
async fn task_sources(
    db: &Db,
    actor: &Actor,
    tasks: &mut [liaison_db::meetings::Task],
) -> Result<()> {
    if actor.is_partner() {
        return Ok(());
    }
    let meetings: Vec<Uuid> = tasks.iter().filter_map(|t| t.meeting_id).collect();
    if meetings.is_empty() {
        return Ok(());
    }
    let classes =
        liaison_db::access::classifications(db, liaison_db::access::Classed::Meeting, &meetings)
            .await?;
    for t in tasks.iter_mut() {
        let Some(m) = t.meeting_id else { continue };
        if classes.get(&m).map(String::as_str) == Some(Classification::Secret.as_str())
            && crate::access::access_to(db, actor, ItemKind::Meeting, m).await? == Access::Hidden
        {
            t.source_title = None;
        }
    }
    Ok(())
}

/// The four indicators (§6.1) of the last whole month, each with its change against the month
/// before, linking to the evaluation page that defines and breaks them down.
async fn indicators(db: &Db, actor: &Actor, lang: Lang) -> Result<Section> {
    use liaison_core::kpi::{Period, PeriodKind};
    let today = crate::offline::today(db);
    let month = Period::of(PeriodKind::Month, today).previous();
    let h = crate::kpi::headline(db, actor, month).await?;
    let pct = |v: Option<f64>| v.map(|v| format!("{:.1}%", v * 100.0));
    let pp =
        |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| ((a - b) * 1000.0).round() / 10.0);
    let pts =
        |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| ((a - b) * 10.0).round() / 10.0);
    let link = format!("/console/evaluation?period={}", h.period);
    let name = |k: &str| {
        format!(
            "{} · {}",
            liaison_i18n::t(lang, &format!("kpi.indicator.{k}")),
            h.period
        )
    };
    let figure = |key: &str, value: Option<String>, change: Option<f64>| Item {
        value,
        change,
        ..item(name(key), format!("{link}#{key}"), None)
    };
    let (now, before) = (&h.now, &h.before);
    let items = vec![
        figure(
            "accuracy",
            pct(now.accuracy.value),
            pp(now.accuracy.value, before.accuracy.value),
        ),
        figure(
            "timeliness",
            pct(now.timeliness.value),
            pp(now.timeliness.value, before.timeliness.value),
        ),
        figure(
            "satisfaction",
            now.satisfaction.mean.map(|m| format!("{m:.2}")),
            pts(now.satisfaction.mean, before.satisfaction.mean),
        ),
        figure(
            "relationship",
            now.relationship.value.map(|v| format!("{v:.1}")),
            now.relationship
                .change
                .or_else(|| pts(now.relationship.value, before.relationship.value)),
        ),
    ];
    Ok(Section {
        count: 4,
        ..section("indicators", false, items)
    })
}

/// What runs late across the channel, for channel management (issue 16 item 6): tickets about
/// to breach or breached (§3.4.2, §5.2.2), figures not in by their due day (§3.3.1), anomalies
/// nobody has explained yet (§3.3.2) and regular meetings heading short of the cadence (§5.1).
async fn channel_sections(
    db: &Db,
    actor: &Actor,
    lang: Lang,
    sections: &mut Vec<Section>,
) -> Result<()> {
    if actor.can(Permission::WorkTickets) {
        let f =
            crate::tickets::queue_filter(db, actor, crate::tickets::Queue::BreachingSoon).await?;
        let rows = crate::tickets::list(db, actor, &f, None, 50).await?;
        let count = rows.len() as i64;
        let items = rows
            .into_iter()
            .take(SHOWN as usize)
            .map(|t| {
                let due = t
                    .first_response_due_at
                    .into_iter()
                    .chain(t.resolution_due_at)
                    .min();
                item(
                    format!("{} · {}", t.subject, t.partner_code),
                    format!("/console/tickets/{}", t.id),
                    due,
                )
            })
            .collect();
        sections.push(Section {
            count,
            ..section("tickets_breaching", true, items)
        });
    }
    if actor.can(Permission::ReadAllData) {
        let datasets = liaison_db::data::list_datasets(db, false).await?;
        let name = |id: Uuid| {
            datasets
                .iter()
                .find(|d| d.id == id)
                .map(|d| liaison_i18n::bilingual(&d.name_zh, &d.name_en, lang))
                .unwrap_or_default()
        };
        let (count, late) = crate::data::overdue_page(db, actor, Some(SHOWN as usize)).await?;
        let items = late
            .into_iter()
            .map(|o| Item {
                count: Some(o.days_late),
                ..item(
                    format!("{} · {} · {}", o.partner_name, name(o.dataset_id), o.period),
                    format!("/console/partners/{}", o.partner_id),
                    None,
                )
            })
            .collect();
        sections.push(Section {
            count,
            ..section("data_overdue", true, items)
        });
        let open = crate::data::anomalies(
            db,
            actor,
            &crate::data::AnomalyQuery {
                state: Some(liaison_core::data::AnomalyState::Open),
                ..Default::default()
            },
            50,
        )
        .await?;
        // §7.2.2: `data::anomalies` already leaves out a secret data set's anomalies outside
        // the circle of the partner's figures.
        let count = open.len() as i64;
        let items = open
            .into_iter()
            .take(SHOWN as usize)
            .map(|a| {
                item(
                    format!(
                        "{} · {} · {}",
                        a.partner_name,
                        liaison_i18n::bilingual(&a.dataset_name_zh, &a.dataset_name_en, lang),
                        a.period
                    ),
                    format!("/console/data/anomalies/{}", a.id),
                    Some(a.created_at),
                )
            })
            .collect();
        sections.push(Section {
            count,
            ..section("anomalies_open", true, items)
        });
    }
    if actor.can(Permission::PlanMeetings) {
        use liaison_core::meetings::CadenceStatus;
        let today = crate::offline::today(db);
        let periods = crate::meetings::cadence(db, actor, today.year()).await?;
        let items: Vec<Item> = periods
            .into_iter()
            .filter(|p| p.start <= today && today <= p.end)
            .filter(|p| matches!(p.status, CadenceStatus::HeadingShort | CadenceStatus::Short))
            .map(|p| Item {
                state: Some(p.status.as_str().to_string()),
                count: Some(p.required - p.held - p.planned),
                ..item(
                    format!("{} · {}", kind_label(p.kind, lang), p.period),
                    format!("/console/cadence?year={}", today.year()),
                    None,
                )
            })
            .collect();
        sections.push(section("cadence_warnings", true, items));
    }
    // A channel manager's partners whose relationship index moved most this month against the
    // last (§6.1.4): improvement is the change.
    if actor.roles.has(Role::ChannelManager) && actor.can(Permission::ReadEvaluation) {
        use liaison_core::kpi::{Period, PeriodKind};
        let today = crate::offline::today(db);
        let month = Period::of(PeriodKind::Month, today).previous();
        let moved = crate::kpi::movers(db, actor, month, SHOWN as usize).await?;
        let items = moved
            .into_iter()
            .map(|m| Item {
                value: m.value.map(|v| format!("{v:.1}")),
                change: Some((m.change * 10.0).round() / 10.0),
                ..item(
                    format!("{} · {}", m.partner, month.code()),
                    format!("/console/evaluation/partners/{}", m.partner_id),
                    None,
                )
            })
            .collect();
        sections.push(section("relationship_movers", false, items));
    }
    Ok(())
}

/// A day's deadline as a time: six in the evening, company time.
fn due_evening(d: NaiveDate) -> Option<DateTime<Utc>> {
    liaison_core::calendar::COMPANY_ZONE
        .from_local_datetime(&d.and_hms_opt(18, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn kind_label(kind: liaison_core::meetings::MeetingKind, lang: Lang) -> String {
    liaison_i18n::t(lang, &format!("meeting.kind.{}", kind.as_str())).to_string()
}

/// "My action items" (open, soonest due first) and "meetings ahead" (the next 30 days): staff
/// their own, a partner user its partner's.
async fn meeting_sections(
    db: &Db,
    actor: &Actor,
    base: &str,
    sections: &mut Vec<Section>,
) -> Result<()> {
    let tasks = crate::meetings::tasks(
        db,
        actor,
        Some(liaison_core::meetings::TaskStatus::Open),
        false,
    )
    .await?;
    let count = tasks.len() as i64;
    let mut tasks: Vec<_> = tasks.into_iter().take(SHOWN as usize).collect();
    task_sources(db, actor, &mut tasks).await?;
    let items = tasks
        .into_iter()
        .map(|t| {
            item(
                match &t.source_title {
                    Some(s) => format!("{} · {s}", t.title),
                    None => t.title.clone(),
                },
                format!("{base}/tasks"),
                due_evening(t.due_on),
            )
        })
        .collect();
    sections.push(Section {
        count,
        ..section("my_tasks", true, items)
    });
    let now = db.now();
    let ahead = crate::meetings::list(
        db,
        actor,
        liaison_db::meetings::MeetingFilter {
            from: Some(now),
            to: Some(now + chrono::Duration::days(30)),
            ..Default::default()
        },
        true,
        20,
    )
    .await?;
    let items = ahead
        .into_iter()
        .filter(|m| m.state != liaison_core::meetings::MeetingState::Cancelled)
        .map(|m| {
            item(
                m.title,
                format!("{base}/meetings/{}", m.id),
                Some(m.starts_at),
            )
        })
        .collect();
    sections.push(section("meetings_ahead", false, items));
    Ok(())
}

async fn partner_sections(
    db: &Db,
    actor: &Actor,
    lang: Lang,
    sections: &mut Vec<Section>,
) -> Result<()> {
    let Some(partner) = actor.scope().partner() else {
        return Ok(());
    };
    let to_confirm = liaison_db::home::to_confirm(db, partner, 50).await?;
    let items = to_confirm
        .into_iter()
        .map(|m| {
            item(
                m.title,
                format!("/portal/inbox/{}", m.message_id),
                m.ack_due_at,
            )
        })
        .collect();
    sections.push(section("to_confirm", true, items));
    // Answers to its questions, then the questions still waiting (§4.4.2).
    for (key, state) in [
        ("answers", ThreadState::Answered),
        ("my_questions", ThreadState::Open),
    ] {
        let threads =
            crate::thread::list(db, actor, Some(state), ThreadView::All, None, SHOWN).await?;
        let items = threads
            .into_iter()
            .map(|t| {
                let at = match state {
                    ThreadState::Answered => t.first_answer_at.or(Some(t.updated_at)),
                    _ => Some(t.created_at),
                };
                item(t.subject, format!("/portal/questions/{}", t.id), at)
            })
            .collect();
        sections.push(section(key, false, items));
    }
    // Resolved tickets waiting for the partner to confirm and rate (§3.4.2, §6.1.3).
    let resolved = crate::tickets::list(
        db,
        actor,
        &liaison_db::tickets::TicketFilter {
            state: Some(liaison_core::tickets::TicketState::Resolved),
            ..Default::default()
        },
        None,
        50,
    )
    .await?;
    let items = resolved
        .into_iter()
        .map(|t| {
            item(
                t.subject,
                format!("/portal/tickets/{}", t.id),
                t.resolved_at,
            )
        })
        .collect();
    sections.push(section("tickets_to_confirm", true, items));
    // Its problems still being worked on, and where each stands (§3.4.1).
    let running = crate::tickets::list(
        db,
        actor,
        &liaison_db::tickets::TicketFilter::default(),
        None,
        50,
    )
    .await?;
    let items = running
        .into_iter()
        .filter(|t| !t.state.is_done())
        .take(SHOWN as usize)
        .map(|t| Item {
            state: Some(t.state.as_str().to_string()),
            ..item(
                t.subject,
                format!("/portal/tickets/{}", t.id),
                Some(t.updated_at),
            )
        })
        .collect();
    sections.push(section("my_open_tickets", false, items));
    // Figures it owes now or is late with (§3.3.1).
    let owed = crate::data::obligations(db, actor, partner, 1).await?;
    let datasets = liaison_db::data::list_datasets(db, false).await?;
    let items = owed
        .into_iter()
        .filter(|o| {
            matches!(
                o.standing,
                crate::data::Standing::Due | crate::data::Standing::Overdue
            )
        })
        .map(|o| {
            let name = datasets
                .iter()
                .find(|d| d.id == o.dataset_id)
                .map(|d| liaison_i18n::bilingual(&d.name_zh, &d.name_en, lang))
                .unwrap_or_default();
            Item {
                state: Some(
                    match o.standing {
                        crate::data::Standing::Overdue => "overdue",
                        _ => "due",
                    }
                    .to_string(),
                ),
                ..item(
                    format!("{name} · {}", o.period),
                    format!(
                        "/portal/data?dataset={}&period={}#upload",
                        o.dataset_code, o.period
                    ),
                    due_evening(o.due_on),
                )
            }
        })
        .collect();
    sections.push(section("data_due", true, items));
    // Surveys waiting for the partner's answer, soonest closing first (§6.2.1).
    let items = crate::surveys::to_answer(db, actor)
        .await?
        .into_iter()
        .map(|(s, _)| {
            item(
                liaison_core::surveys::pick(&s.title, lang).to_string(),
                format!("/portal/surveys/{}", s.id),
                s.closes_at,
            )
        })
        .collect();
    sections.push(section("surveys_to_answer", true, items));
    meeting_sections(db, actor, "/portal", sections).await?;
    Ok(())
}
