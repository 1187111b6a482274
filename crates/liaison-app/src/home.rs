//! "我的待办": what waits for the signed-in person (issue 9, a first version that evaluation
//! extends). A reviewer sees what waits for their decision (§4.2.1); a requester their
//! requests and receipts; channel management unanswered questions with their age (§4.4.2),
//! overdue confirmations (§4.4.1), dead deliveries and people held back for want of an NDA
//! (§7.1.2); a partner what to confirm (§4.3.2), answers to its questions and its open
//! questions.

use crate::Result;
use chrono::{DateTime, Utc};
use liaison_core::{Actor, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::request::RequestView;
use liaison_db::thread::{ThreadState, ThreadView};
use serde::Serialize;

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
        let (unread, waiting) = liaison_db::home::staff_badges(db, actor).await?;
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
pub async fn dashboard(db: &Db, actor: &Actor) -> Result<Dashboard> {
    authorize(actor, Permission::ReadOwnNotifications, &Object::default())?;
    let mut sections = Vec::new();
    if actor.is_partner() {
        partner_sections(db, actor, &mut sections).await?;
        return Ok(Dashboard { sections });
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
            liaison_db::home::overdue(db, SHOWN).await?,
        ));
        sections.push(counted(
            "dead_deliveries",
            true,
            liaison_db::home::dead(db, SHOWN).await?,
        ));
        sections.push(counted(
            "held_back",
            false,
            liaison_db::home::held_back(db, SHOWN).await?,
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
    Ok(Dashboard { sections })
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
    let due_at = |d: chrono::NaiveDate| {
        use chrono::TimeZone;
        liaison_core::calendar::COMPANY_ZONE
            .from_local_datetime(&d.and_hms_opt(18, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let items = tasks
        .into_iter()
        .take(50)
        .map(|t| {
            item(
                match &t.source_title {
                    Some(s) => format!("{} · {s}", t.title),
                    None => t.title.clone(),
                },
                format!("{base}/tasks"),
                due_at(t.due_on),
            )
        })
        .collect();
    sections.push(section("my_tasks", true, items));
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

async fn partner_sections(db: &Db, actor: &Actor, sections: &mut Vec<Section>) -> Result<()> {
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
    meeting_sections(db, actor, "/portal", sections).await?;
    Ok(())
}
