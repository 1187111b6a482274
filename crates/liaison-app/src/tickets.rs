//! Problem tickets (policy §3.4; SPEC D10, D11, F3): a partner reports a problem (portal, API,
//! e-mail) or staff record one from a phone call; it is routed to a department and a person,
//! answered on two SLA clocks in working time (urgent ones at once, on the 24-hour clock,
//! §5.2.2), resolved with a root cause (§3.4.3), confirmed and rated by the partner (§6.1.3).
//! Internal notes never reach the partner; another partner's ticket does not exist (404).

pub use crate::Error;
use crate::Result;
use chrono::{DateTime, Duration, Utc};
use liaison_core::access::{Access, Circle, ItemKind};
use liaison_core::calendar::{COMPANY_ZONE, Calendar};
use liaison_core::notify::NotifyKind;
use liaison_core::partner::WorkingHours;
use liaison_core::review::Classification;
use liaison_core::tickets::{
    self as rules, Action, ClockState, EventKind, Route, SlaClock, TicketKind, TicketPriority,
    TicketSettings, TicketState, TicketVia, WorkTime,
};
use liaison_core::validate::{Msg, optional_text, required_text};
use liaison_core::{Actor, FieldErrors, Object, Permission, Role, authorize};
use liaison_db::Db;
use liaison_db::notify::NewNotification;
use liaison_db::tickets::{self as repo, Change, Event, NewEvent, NewFile, Ticket, TicketFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// A new ticket as typed (`POST /api/v1/tickets`); staff add `partner_id`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TicketInput {
    pub kind: Option<String>,
    pub priority: Option<String>,
    pub subject: Option<String>,
    pub description: Option<String>,
    pub product_id: Option<Uuid>,
    /// A product not (yet) in the catalogue, in the partner's words.
    pub product_text: Option<String>,
    pub partner_id: Option<Uuid>,
    pub classification: Option<String>,
    /// Staff: how the problem came in (`phone` for a call).
    pub via: Option<String>,
}

/// A reply or note (`POST /api/v1/tickets/{id}/replies`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplyInput {
    pub body: Option<String>,
    /// An internal note: never shown or sent to the partner.
    pub internal: bool,
    /// Staff: the reply asks the partner for something; the resolution clock pauses.
    pub waiting_partner: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssignInput {
    pub assignee_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub priority: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResolveInput {
    pub resolution: Option<String>,
    pub root_cause: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateInput {
    pub score: Option<i64>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReopenInput {
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MergeInput {
    pub into: Option<Uuid>,
}

/// The company's working time the clocks run on (§5.3.2).
pub struct Clocks {
    hours: WorkingHours,
    calendar: Calendar,
    pub settings: TicketSettings,
}

impl Clocks {
    pub async fn load(db: &Db) -> Result<Clocks> {
        Ok(Clocks {
            hours: WorkingHours::default(),
            calendar: liaison_db::calendar::load(db).await?,
            settings: repo::settings(db).await?,
        })
    }

    pub fn work(&self) -> WorkTime<'_> {
        WorkTime {
            tz: COMPANY_ZONE,
            hours: &self.hours,
            calendar: &self.calendar,
        }
    }

    /// Sets the stored due times of `t` from its state (§3.4.2).
    fn set_dues(&self, t: &mut Ticket) {
        let (first, resolution) = rules::due_times(
            &self.work(),
            self.settings.target(t.priority),
            &ClockState {
                priority: t.priority,
                state: t.state,
                created_at: t.created_at,
                first_response_at: t.first_response_at,
                paused_minutes: t.paused_minutes,
                paused_at: t.paused_at,
            },
        );
        t.first_response_due_at = first;
        t.resolution_due_at = resolution;
    }

    /// The minutes of clock time a wait from `since` to `now` took.
    fn paused(&self, t: &Ticket, since: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
        rules::clock_between(&self.work(), t.priority, since, now)
    }
}

/// What a ticket's page needs beyond the ticket: its timeline and files (public ones for the
/// partner), and its remaining clock time.
#[derive(Debug, Clone, Serialize)]
pub struct TicketPage {
    pub ticket: Ticket,
    pub events: Vec<Event>,
    pub files: Vec<repo::TicketFile>,
    pub watchers: Vec<(Uuid, String)>,
    /// The time left on the running clocks, in minutes (negative once overdue).
    pub first_response_left: Option<i64>,
    pub resolution_left: Option<i64>,
    pub may_reopen: bool,
    /// §7.2.2: the reader is outside this confidential ticket's circle and sees its subject
    /// only (no description, timeline, files or resolution).
    pub restricted: bool,
}

fn object(t: &Ticket, actor: &Actor, watching: bool) -> Object {
    Object {
        partner: Some(t.partner_id),
        owner: if watching {
            Some(actor.user_id)
        } else {
            t.assignee_id
        },
        department: t.department_id,
    }
}

/// One ticket: another partner's, or one a member of staff may not read, is not found.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, ticket = %id))]
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<Ticket> {
    let t = repo::find_ticket(db, id).await?;
    check(db, actor, &t, Permission::ReadTicket).await?;
    Ok(t)
}

async fn check(db: &Db, actor: &Actor, t: &Ticket, p: Permission) -> Result<()> {
    match authorize(actor, p, &object(t, actor, false)) {
        Err(liaison_core::Denied::Hidden)
            if !actor.is_partner() && repo::is_watcher(db, t.id, actor.user_id).await? =>
        {
            authorize(actor, p, &object(t, actor, true))?;
        }
        other => other?,
    }
    // §7.2.2: staff work only on a confidential ticket they may read whole.
    if p == Permission::WorkTickets && t.classification >= Classification::Confidential {
        crate::access::must_know(db, actor, item(t)).await?;
    }
    Ok(())
}

/// Staff outside a confidential ticket's circle are refused what holds its content (a title-only
/// reader: forbidden; a secret one: not found), §7.2.2. Partners read their own.
async fn must_know_whole(db: &Db, actor: &Actor, t: &Ticket) -> Result<()> {
    if !actor.is_partner() && t.classification >= Classification::Confidential {
        crate::access::must_know(db, actor, item(t)).await?;
    }
    Ok(())
}

/// A ticket as a need-to-know item (§7.2.2): its assignee and its partner's channel manager
/// own it (the assignee decides requests, else the channel manager).
fn item(t: &Ticket) -> crate::access::Item {
    crate::access::Item {
        kind: ItemKind::Ticket,
        id: t.id,
        title: t.subject.clone(),
        classification: t.classification,
        circle: Circle {
            owners: t
                .assignee_id
                .into_iter()
                .chain(t.partner_owner_id)
                .collect(),
            ..Default::default()
        },
        link: format!("/console/tickets/{}", t.id),
    }
}

/// The ticket as a need-to-know item, for one who may read it (`access::item`).
pub(crate) async fn access_item(db: &Db, actor: &Actor, id: Uuid) -> Result<crate::access::Item> {
    Ok(item(&show(db, actor, id).await?))
}

/// The ticket with its timeline (internal notes only for staff), files and clocks; outside a
/// confidential ticket's circle its subject only, the read audited (§7.2.2).
pub async fn page(db: &Db, actor: &Actor, id: Uuid) -> Result<TicketPage> {
    let mut ticket = show(db, actor, id).await?;
    let restricted =
        crate::access::gate(db, actor, item(&ticket), true).await? == Access::TitleOnly;
    if restricted {
        withhold(&mut ticket);
    }
    let staff = !actor.is_partner() && !restricted;
    let (events, files) = if restricted {
        (Vec::new(), Vec::new())
    } else {
        (
            repo::list_events(db, &ticket, staff).await?,
            repo::list_files(db, id, staff).await?,
        )
    };
    let watchers = if staff {
        repo::watchers(db, id).await?
    } else {
        Vec::new()
    };
    let now = db.now();
    let clocks = Clocks::load(db).await?;
    let left = |due: Option<DateTime<Utc>>| {
        due.map(|d| {
            if d >= now {
                rules::clock_between(&clocks.work(), ticket.priority, now, d)
            } else {
                -rules::clock_between(&clocks.work(), ticket.priority, d, now)
            }
        })
    };
    Ok(TicketPage {
        first_response_left: left(ticket.first_response_due_at),
        resolution_left: left(ticket.resolution_due_at),
        may_reopen: ticket.state.is_done()
            && ticket.merged_into.is_none()
            && rules::may_reopen(ticket.resolved_at, now, clocks.settings.reopen_days),
        ticket,
        events,
        files,
        watchers,
        restricted,
    })
}

/// Which queue a member of staff looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Queue {
    #[default]
    All,
    Mine,
    Department,
    Unassigned,
    /// Running clocks due within the warning window, or already overdue.
    BreachingSoon,
}

impl Queue {
    pub fn parse(s: &str) -> Result<Queue, Msg> {
        Ok(match s.trim() {
            "" | "all" => Queue::All,
            "mine" => Queue::Mine,
            "department" => Queue::Department,
            "unassigned" => Queue::Unassigned,
            "breaching" => Queue::BreachingSoon,
            other => {
                return Err(Msg::one_of(
                    other,
                    &["all", "mine", "department", "unassigned", "breaching"],
                ));
            }
        })
    }
}

/// The filter a queue means for `actor`.
pub async fn queue_filter(db: &Db, actor: &Actor, queue: Queue) -> Result<TicketFilter> {
    let mut f = TicketFilter::default();
    if !actor.is_partner() && !actor.can(Permission::ReadAllTickets) {
        f.visible_to = Some((actor.user_id, actor.department_id));
    }
    match queue {
        Queue::All => {}
        Queue::Mine => {
            f.assignee = Some(actor.user_id);
            f.active = true;
        }
        Queue::Department => {
            f.department = Some(actor.department_id.unwrap_or(Uuid::nil()));
            f.active = true;
        }
        Queue::Unassigned => {
            f.unassigned = true;
            f.active = true;
        }
        Queue::BreachingSoon => {
            // Only running clocks have due times: no state condition (the due-time indexes
            // answer it).
            let warn = repo::settings(db).await?.warn_minutes;
            f.due_before = Some(db.now() + Duration::minutes(warn));
        }
    }
    Ok(f)
}

/// Partner users: their partner's tickets; staff: what they may read, by `filter`.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    db: &Db,
    actor: &Actor,
    filter: &TicketFilter,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Ticket>> {
    let f = readable(actor, filter)?;
    let secret = |t: &Ticket| t.classification == Classification::Secret;
    let read = |before| repo::list_tickets(db, actor.scope(), &f, before, limit);
    let read = |before| async move { Ok(read(before).await?) };
    let page = || async move {
        let rows =
            crate::access::listed_page(db, actor, (limit, before), |t| t.id, read, secret, item)
                .await?;
        title_only_rows(db, actor, rows).await
    };
    // A page is kept between views until a ticket (or a name it shows) changes (`Db::kept`),
    // 256 pages a process (about 10 MB). "Breaching soon" moves with the clock: never kept.
    if f.due_before.is_some() {
        return page().await;
    }
    db.kept(
        "ticket_pages",
        format!("{actor:?}|{f:?}|{before:?}|{limit}"),
        std::time::Duration::from_secs(60),
        256,
        page,
    )
    .await
}

/// List rows of confidential tickets whose circle `actor` is outside (§7.2.2): their subject
/// only, as `page` shows them (no product text, root cause, resolution or rating comment).
async fn title_only_rows(db: &Db, actor: &Actor, mut rows: Vec<Ticket>) -> Result<Vec<Ticket>> {
    if actor.is_partner() {
        return Ok(rows);
    }
    for t in rows
        .iter_mut()
        .filter(|t| t.classification >= Classification::Confidential)
    {
        if crate::access::of(db, actor, item(t)).await? == Access::TitleOnly {
            withhold(t);
        }
    }
    Ok(rows)
}

/// What a title-only reader does not see of a ticket (§7.2.2).
fn withhold(t: &mut Ticket) {
    t.description = String::new();
    t.resolution = None;
    t.product_text = None;
    t.rating_comment = None;
    t.root_cause = None;
}

/// `filter` narrowed to what `actor` may read: staff who may not read every ticket see those
/// they or their department hold or they watch.
fn readable(actor: &Actor, filter: &TicketFilter) -> Result<TicketFilter> {
    authorize(actor, Permission::ReadTicket, &Object::default())?;
    let mut f = filter.clone();
    if !actor.is_partner() && !actor.can(Permission::ReadAllTickets) {
        f.visible_to = Some((actor.user_id, actor.department_id));
    }
    Ok(f)
}

/// How many tickets each of `actor`'s queues holds.
pub async fn queue_counts(db: &Db, actor: &Actor) -> Result<Vec<(Queue, i64)>> {
    authorize(actor, Permission::WorkTickets, &Object::default())?;
    // "All" is not counted: it would read every ticket on every visit. One statement for
    // the four tabs.
    let queues = [
        Queue::Mine,
        Queue::Department,
        Queue::Unassigned,
        Queue::BreachingSoon,
    ];
    // Kept between views until a ticket, a watcher or the settings change (`Db::kept`), and
    // for at most 15 s: "breaching soon" also moves with the clock.
    let counts = db
        .kept(
            "ticket_queue_counts",
            format!("{actor:?}"),
            std::time::Duration::from_secs(15),
            10_000,
            || async {
                let mut filters = Vec::new();
                for q in queues {
                    filters.push(queue_filter(db, actor, q).await?);
                }
                let mut counts = repo::count_each(db, actor.scope(), &filters).await?;
                // §7.2.2: a secret ticket outside the reader's circle is not listed, so not
                // counted either (there are few: each is read and judged).
                if !actor.is_partner() {
                    for (f, n) in filters.iter().zip(counts.iter_mut()) {
                        let f = TicketFilter {
                            secret_only: true,
                            ..f.clone()
                        };
                        let secret = repo::list_tickets(db, actor.scope(), &f, None, 500).await?;
                        let shown = secret.len();
                        let kept = crate::access::keep_listed(
                            db,
                            actor,
                            secret,
                            |t: &Ticket| t.classification == Classification::Secret,
                            item,
                        )
                        .await?;
                        *n -= (shown - kept.len()) as i64;
                    }
                }
                Ok::<_, crate::Error>(counts)
            },
        )
        .await?;
    Ok(queues.into_iter().zip(counts).collect())
}

fn link(t: Uuid, partner: bool) -> String {
    if partner {
        format!("/portal/tickets/{t}")
    } else {
        format!("/console/tickets/{t}")
    }
}

fn note(
    user: Uuid,
    kind: NotifyKind,
    t: &Ticket,
    args: serde_json::Value,
    at: DateTime<Utc>,
) -> NewNotification {
    let urgent = t.priority == TicketPriority::Urgent;
    let mut a = json!({"subject": t.subject, "partner": t.partner_code, "ticket": t.id});
    if let (Some(o), Some(extra)) = (a.as_object_mut(), args.as_object()) {
        for (k, v) in extra {
            o.insert(k.clone(), v.clone());
        }
    }
    NewNotification {
        user_id: user,
        kind,
        args: a,
        link: link(t.id, kind.for_partners()),
        urgent,
        email_at: Some(at),
    }
}

/// When the e-mails of a change about `t` may go: urgent ones at once (§5.2.2), else in
/// working hours (§5.3.2) — `notify::email_time`, the one rule.
async fn email_at(db: &Db, t: &Ticket) -> Result<DateTime<Utc>> {
    crate::notify::email_time(db, t.priority == TicketPriority::Urgent).await
}

/// May `actor` write on `t` (answer, reopen): its partner's people, or staff who may work it.
async fn may_write(db: &Db, actor: &Actor, t: &Ticket) -> Result<()> {
    if actor.is_partner() {
        authorize(
            actor,
            Permission::RaiseTickets,
            &Object::partner(t.partner_id),
        )?;
        Ok(())
    } else {
        check(db, actor, t, Permission::WorkTickets).await
    }
}

/// Files checked before anything is written: each by its content (`attachment::check_type`),
/// 10 MiB at most, 10 at a time.
pub fn check_files(files: &[NewFile]) -> Result<()> {
    let mut e = FieldErrors::new();
    if files.len() > 10 {
        e.add("files", Msg::new("validate.max_attachments").arg("max", 10));
    }
    for (i, f) in files.iter().enumerate() {
        let field = format!("files[{i}]");
        if f.bytes.is_empty() {
            e.add(field, Msg::new("validate.file_empty"));
        } else if f.bytes.len() > liaison_db::attachment::MAX_BYTES {
            e.add(
                field,
                Msg::new("validate.file_too_large")
                    .arg("size", f.bytes.len())
                    .arg("max", liaison_db::attachment::MAX_BYTES),
            );
        } else if let Err(m) = liaison_db::attachment::check_type(&f.filename, &f.bytes) {
            e.add(field, m);
        }
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(e))
    }
}

/// §3.4.1: a partner's user raises a ticket for its partner; staff raise one on a partner's
/// behalf (`partner_id`, usually `via: phone`). It is routed (§3.4.2) and its holder told at
/// once when urgent (§5.2.2).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: &TicketInput,
    files: Vec<NewFile>,
    via: TicketVia,
) -> Result<Ticket> {
    authorize(actor, Permission::RaiseTickets, &Object::default())?;
    let mut e = FieldErrors::new();
    let partner_id = if actor.is_partner() {
        if input
            .partner_id
            .is_some_and(|p| Some(p) != actor.partner_id)
        {
            e.add("partner_id", Msg::new("validate.invalid"));
        }
        actor.scope().partner().ok_or(Error::Forbidden)?
    } else {
        match input.partner_id {
            Some(p) => p,
            None => {
                e.required("partner_id");
                Uuid::nil()
            }
        }
    };
    let partner = if partner_id.is_nil() {
        None
    } else {
        match liaison_db::partner::find_partner(db, actor.scope(), partner_id).await {
            Ok(p) => Some(p),
            Err(liaison_db::DbError::NotFound) => {
                e.add("partner_id", Msg::new("validate.invalid"));
                None
            }
            Err(other) => return Err(other.into()),
        }
    };
    let kind = match input.kind.as_deref() {
        None => {
            e.required("kind");
            None
        }
        Some(k) => e.take("kind", TicketKind::parse(k)),
    };
    let priority = match input.priority.as_deref().filter(|p| !p.trim().is_empty()) {
        None => Some(TicketPriority::Normal),
        Some(p) => e.take("priority", TicketPriority::parse(p)),
    };
    let classification = match input
        .classification
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        None => Some(Classification::Internal),
        Some(c) => e.take("classification", Classification::parse(c)),
    };
    let via = match (input.via.as_deref(), actor.is_partner()) {
        (Some(v), false) => e.take("via", TicketVia::parse(v)),
        (Some(_), true) => {
            e.add("via", Msg::new("validate.invalid"));
            None
        }
        (None, false) if via == TicketVia::Api || via == TicketVia::Portal => {
            Some(TicketVia::Console)
        }
        (None, _) => Some(via),
    };
    let text = match rules::parse_ticket_text(
        input.subject.as_deref().unwrap_or(""),
        input.description.as_deref().unwrap_or(""),
        input.product_text.as_deref().unwrap_or(""),
    ) {
        Ok(t) => Some(t),
        Err(bad) => {
            e.extend(bad);
            None
        }
    };
    let product = match input.product_id {
        None => None,
        Some(id) => match crate::product::show(db, actor, id).await {
            Ok(p) => Some(p),
            Err(Error::NotFound) => {
                e.add("product_id", Msg::new("validate.invalid"));
                None
            }
            Err(other) => return Err(other),
        },
    };
    if let Err(Error::Invalid(f)) = check_files(&files) {
        e.extend(f);
    }
    let (Some(partner), Some(kind), Some(priority), Some(classification), Some(via), Some(text)) =
        (partner, kind, priority, classification, via, text)
    else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    // §3.4.2: routed by rule, else to the partner's channel manager.
    let routes = repo::list_routes(db).await?;
    let category = product.as_ref().map(|p| p.category.clone());
    let (department, assignee) =
        match rules::route(&routes, kind, category.as_deref(), &partner.region) {
            Some(r) => (Some(r.department_id), r.assignee_id),
            None => {
                let owner = match partner.owner_id {
                    Some(o) => liaison_db::user::find_user(db, o).await?,
                    None => None,
                };
                (
                    owner.as_ref().and_then(|u| u.department_id),
                    owner.filter(|u| u.active).map(|u| u.id),
                )
            }
        };
    let clocks = Clocks::load(db).await?;
    let now = db.now();
    let id = Uuid::now_v7();
    let mut t = Ticket {
        id,
        partner_id: partner.id,
        partner_code: partner.code.clone(),
        partner_name: partner.name.clone(),
        region: partner.region.clone(),
        partner_owner_id: partner.owner_id,
        raised_by: actor.user_id,
        raised_by_name: None,
        via,
        kind,
        priority,
        product_id: product.as_ref().map(|p| p.id),
        product_name: product.as_ref().map(|p| p.name_zh.clone()),
        product_category: category,
        product_text: text.product_text,
        subject: text.subject,
        description: text.description,
        classification,
        state: TicketState::New,
        department_id: department,
        department_name: None,
        department_head_id: None,
        assignee_id: assignee,
        assignee_name: None,
        first_response_at: None,
        first_response_due_at: None,
        resolution_due_at: None,
        paused_at: None,
        paused_minutes: 0,
        warned_first: false,
        warned_resolution: false,
        resolved_at: None,
        resolution: None,
        root_cause: None,
        closed_at: None,
        rating: None,
        rating_comment: None,
        rated_at: None,
        reopen_count: 0,
        merged_into: None,
        version: 1,
        created_at: now,
        updated_at: now,
        breached: Vec::new(),
    };
    clocks.set_dues(&mut t);
    let at = email_at(db, &t).await?;
    let mut notes = Vec::new();
    if let Some(a) = assignee.filter(|a| *a != actor.user_id) {
        notes.push(note(a, NotifyKind::TicketAssigned, &t, json!({}), at));
    }
    let mut created = NewEvent::new(
        EventKind::Created,
        Some(actor.user_id),
        json!({"assignee_id": assignee, "department_id": department}),
    );
    created.via = Some(via);
    created.files = files;
    let mut watch = vec![actor.user_id];
    watch.extend(assignee);
    Ok(repo::insert_ticket(
        db,
        Change {
            actor: Some(actor.user_id),
            after: &t,
            events: vec![created],
            breaches: Vec::new(),
            watch,
            notes: crate::access::tell(db, &item(&t), notes).await?,
            action: "ticket.create",
            detail: json!({"kind": kind, "priority": priority, "via": via,
                           "assignee_id": assignee, "department_id": department}),
        },
    )
    .await?)
}

/// The people on the partner's side to tell of an answer: the partner users watching.
async fn partner_watchers(db: &Db, t: &Ticket) -> Result<Vec<Uuid>> {
    Ok(repo::active_watchers(db, t.id)
        .await?
        .into_iter()
        .filter(|(_, p)| *p == Some(t.partner_id))
        .map(|(u, _)| u)
        .collect())
}

/// The staff to tell of the partner's reply: the assignee, else the department head, else
/// the partner's channel manager, and staff watchers.
async fn staff_to_tell(db: &Db, t: &Ticket, except: Uuid) -> Result<Vec<Uuid>> {
    let mut out: Vec<Uuid> = Vec::new();
    out.extend(
        t.assignee_id
            .or(t.department_head_id)
            .or(t.partner_owner_id),
    );
    out.extend(
        repo::active_watchers(db, t.id)
            .await?
            .into_iter()
            .filter(|(_, p)| p.is_none())
            .map(|(u, _)| u),
    );
    out.sort_unstable();
    out.dedup();
    out.retain(|u| *u != except);
    Ok(out)
}

/// Clocks that stop now after their due time (a late first answer, a late resolution).
fn late(t: &Ticket, now: DateTime<Utc>, clocks: &[SlaClock]) -> Vec<(SlaClock, DateTime<Utc>)> {
    clocks
        .iter()
        .filter_map(|c| {
            let due = match c {
                SlaClock::FirstResponse => t.first_response_due_at,
                SlaClock::Resolution => t.resolution_due_at,
            }?;
            (due < now).then_some((*c, due))
        })
        .collect()
}

/// A reply (public) or a note (internal) from staff, or a reply from the partner's side
/// (§3.4.2). Staff's first public reply is the first response; a reply that waits for the
/// partner pauses the resolution clock, and the partner's answer restarts it.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, ticket = %id))]
pub async fn reply(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &ReplyInput,
    files: Vec<NewFile>,
    via: TicketVia,
) -> Result<Ticket> {
    let current = show(db, actor, id).await?;
    may_write(db, actor, &current).await?;
    let partner_side = actor.is_partner();
    let mut e = FieldErrors::new();
    let body = e.take(
        "body",
        required_text(input.body.as_deref().unwrap_or(""), rules::BODY_MAX),
    );
    if partner_side && (input.internal || input.waiting_partner) {
        e.add(
            if input.internal {
                "internal"
            } else {
                "waiting_partner"
            },
            Msg::new("validate.staff_only"),
        );
    }
    if input.internal && input.waiting_partner {
        e.add("waiting_partner", Msg::new("validate.invalid"));
    }
    if let Err(Error::Invalid(f)) = check_files(&files) {
        e.extend(f);
    }
    let action = if input.internal {
        Action::Note
    } else if partner_side {
        Action::PartnerReply
    } else {
        Action::StaffReply {
            wait: input.waiting_partner,
        }
    };
    let state = e.take("state", rules::next_state(current.state, action));
    let (Some(body), Some(state)) = (body, state) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let now = db.now();
    let clocks = Clocks::load(db).await?;
    let mut t = current.clone();
    let mut breaches = Vec::new();
    t.state = state;
    if let Action::StaffReply { wait } = action {
        if t.first_response_at.is_none() {
            breaches.extend(late(&current, now, &[SlaClock::FirstResponse]));
            t.first_response_at = Some(now);
        }
        if wait && t.paused_at.is_none() {
            t.paused_at = Some(now);
        }
        if !wait && let Some(since) = t.paused_at.take() {
            t.paused_minutes += clocks.paused(&t, since, now);
        }
    }
    if action == Action::PartnerReply
        && let Some(since) = t.paused_at.take()
    {
        t.paused_minutes += clocks.paused(&t, since, now);
    }
    clocks.set_dues(&mut t);
    let at = email_at(db, &t).await?;
    let notes = match action {
        Action::Note => Vec::new(),
        Action::PartnerReply => staff_to_tell(db, &t, actor.user_id)
            .await?
            .into_iter()
            .map(|u| note(u, NotifyKind::TicketPartnerReplied, &t, json!({}), at))
            .collect(),
        _ => {
            // The answer goes by e-mail too, with the text unless the ticket is confidential
            // (§7.2.1); the mail's Reply-To lets the partner answer it.
            let text = if t.classification.needs_nda() {
                json!({})
            } else {
                json!({"comment": excerpt(&body, 2000)})
            };
            partner_watchers(db, &t)
                .await?
                .into_iter()
                .map(|u| note(u, NotifyKind::TicketReplied, &t, text.clone(), at))
                .collect()
        }
    };
    let mut ev = NewEvent::new(
        if input.internal {
            EventKind::Note
        } else {
            EventKind::Reply
        },
        Some(actor.user_id),
        json!({"waiting_partner": input.waiting_partner, "from": current.state, "to": state}),
    );
    ev.internal = input.internal;
    ev.via = Some(via);
    ev.body = Some(body);
    ev.files = files;
    Ok(repo::apply(
        db,
        current.version,
        Change {
            actor: Some(actor.user_id),
            after: &t,
            events: vec![ev],
            breaches,
            watch: vec![actor.user_id],
            notes: crate::access::tell(db, &item(&t), notes).await?,
            action: if input.internal {
                "ticket.note"
            } else {
                "ticket.reply"
            },
            detail: json!({"internal": input.internal, "via": via, "state": state}),
        },
    )
    .await?)
}

fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Reassigns a ticket to a person and/or department (and may change its priority); the new
/// holder is told. Recorded on the timeline (internal).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, ticket = %id))]
pub async fn assign(db: &Db, actor: &Actor, id: Uuid, input: &AssignInput) -> Result<Ticket> {
    let current = show(db, actor, id).await?;
    check(db, actor, &current, Permission::WorkTickets).await?;
    let mut e = FieldErrors::new();
    let mut t = current.clone();
    if let Some(a) = input.assignee_id {
        match liaison_db::user::find_user(db, a).await? {
            Some(u) if u.active && u.partner_id.is_none() => {
                t.assignee_id = Some(u.id);
                if input.department_id.is_none() && u.department_id.is_some() {
                    t.department_id = u.department_id;
                }
            }
            _ => e.add("assignee_id", Msg::new("validate.invalid")),
        }
    }
    if let Some(d) = input.department_id {
        if liaison_db::user::list_departments(db)
            .await?
            .iter()
            .any(|x| x.id == d)
        {
            t.department_id = Some(d);
        } else {
            e.add("department_id", Msg::new("validate.invalid"));
        }
    }
    if let Some(p) = input.priority.as_deref().filter(|p| !p.trim().is_empty())
        && let Some(p) = e.take("priority", TicketPriority::parse(p))
    {
        t.priority = p;
    }
    if input.assignee_id.is_none() && input.department_id.is_none() && input.priority.is_none() {
        e.required("assignee_id");
    }
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    if t.assignee_id == current.assignee_id
        && t.department_id == current.department_id
        && t.priority == current.priority
    {
        return Ok(current);
    }
    let clocks = Clocks::load(db).await?;
    if t.priority != current.priority {
        clocks.set_dues(&mut t);
        t.warned_first = false;
        t.warned_resolution = false;
    }
    let at = email_at(db, &t).await?;
    let notes: Vec<NewNotification> = t
        .assignee_id
        .filter(|a| Some(*a) != current.assignee_id && *a != actor.user_id)
        .map(|a| note(a, NotifyKind::TicketAssigned, &t, json!({}), at))
        .into_iter()
        .collect();
    let mut ev = NewEvent::new(
        EventKind::Assign,
        Some(actor.user_id),
        json!({"assignee_id": t.assignee_id, "department_id": t.department_id,
               "from_assignee_id": current.assignee_id, "priority": t.priority}),
    );
    ev.internal = true;
    Ok(repo::apply(
        db,
        current.version,
        Change {
            actor: Some(actor.user_id),
            after: &t,
            events: vec![ev],
            breaches: Vec::new(),
            watch: t.assignee_id.into_iter().collect(),
            notes: crate::access::tell(db, &item(&t), notes).await?,
            action: "ticket.assign",
            detail: json!({"assignee_id": t.assignee_id, "department_id": t.department_id,
                           "priority": t.priority}),
        },
    )
    .await?)
}

/// §3.4.2, §3.4.3: resolving needs the resolution (the result reported back to the partner)
/// and a root cause from the taxonomy; the partner is asked to confirm and rate.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, ticket = %id))]
pub async fn resolve(db: &Db, actor: &Actor, id: Uuid, input: &ResolveInput) -> Result<Ticket> {
    let current = show(db, actor, id).await?;
    check(db, actor, &current, Permission::WorkTickets).await?;
    let mut e = FieldErrors::new();
    let resolution = e.take(
        "resolution",
        required_text(input.resolution.as_deref().unwrap_or(""), rules::BODY_MAX),
    );
    let causes = repo::list_root_causes(db).await?;
    let cause = match input.root_cause.as_deref().map(str::trim) {
        None | Some("") => {
            e.required("root_cause");
            None
        }
        Some(c) => match causes.iter().find(|x| x.code == c && x.active) {
            Some(x) => Some(x.code.clone()),
            None => {
                let codes: Vec<&str> = causes
                    .iter()
                    .filter(|x| x.active)
                    .map(|x| x.code.as_str())
                    .collect();
                e.add("root_cause", Msg::one_of(c, &codes));
                None
            }
        },
    };
    let state = e.take("state", rules::next_state(current.state, Action::Resolve));
    let (Some(resolution), Some(cause), Some(state)) = (resolution, cause, state) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let now = db.now();
    let clocks = Clocks::load(db).await?;
    let mut t = current.clone();
    let mut breaches = late(&current, now, &[SlaClock::Resolution]);
    if t.first_response_at.is_none() {
        breaches.extend(late(&current, now, &[SlaClock::FirstResponse]));
        t.first_response_at = Some(now);
    }
    if let Some(since) = t.paused_at.take() {
        t.paused_minutes += clocks.paused(&t, since, now);
    }
    t.state = state;
    t.resolved_at = Some(now);
    t.resolution = Some(resolution.clone());
    t.root_cause = Some(cause.clone());
    clocks.set_dues(&mut t);
    let at = email_at(db, &t).await?;
    let text = if t.classification.needs_nda() {
        json!({})
    } else {
        json!({"comment": excerpt(&resolution, 2000)})
    };
    let notes = partner_watchers(db, &t)
        .await?
        .into_iter()
        .map(|u| note(u, NotifyKind::TicketResolved, &t, text.clone(), at))
        .collect();
    let mut ev = NewEvent::new(
        EventKind::State,
        Some(actor.user_id),
        json!({"from": current.state, "to": state, "root_cause": cause}),
    );
    ev.body = Some(resolution);
    Ok(repo::apply(
        db,
        current.version,
        Change {
            actor: Some(actor.user_id),
            after: &t,
            events: vec![ev],
            breaches,
            watch: vec![actor.user_id],
            notes: crate::access::tell(db, &item(&t), notes).await?,
            action: "ticket.resolve",
            detail: json!({"root_cause": cause}),
        },
    )
    .await?)
}

/// §3.4.2, §6.1.3: the partner confirms the resolution with a rating (1–5, a comment); the
/// ticket closes.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, ticket = %id))]
pub async fn rate(db: &Db, actor: &Actor, id: Uuid, input: &RateInput) -> Result<Ticket> {
    let current = show(db, actor, id).await?;
    if !actor.is_partner() {
        return Err(Error::Forbidden);
    }
    authorize(
        actor,
        Permission::RaiseTickets,
        &Object::partner(current.partner_id),
    )?;
    let mut e = FieldErrors::new();
    let score = match input.score {
        None => {
            e.required("score");
            None
        }
        Some(s) => e.take("score", rules::parse_score(s)),
    };
    let comment = e.take(
        "comment",
        optional_text(input.comment.as_deref().unwrap_or(""), 2000),
    );
    if current.rating.is_some() {
        e.add("score", Msg::new("validate.ticket_rated"));
    }
    let state = e.take("state", rules::next_state(current.state, Action::Close));
    let (Some(score), Some(comment), Some(state)) = (score, comment, state) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let now = db.now();
    let mut t = current.clone();
    t.state = state;
    t.closed_at = Some(now);
    t.rating = Some(score);
    t.rating_comment = comment.clone();
    t.rated_at = Some(now);
    let mut ev = NewEvent::new(
        EventKind::Rating,
        Some(actor.user_id),
        json!({"score": score, "from": current.state, "to": state}),
    );
    ev.body = comment;
    Ok(repo::apply(
        db,
        current.version,
        Change {
            actor: Some(actor.user_id),
            after: &t,
            events: vec![ev],
            breaches: Vec::new(),
            watch: Vec::new(),
            notes: Vec::new(),
            action: "ticket.rate",
            detail: json!({"score": score}),
        },
    )
    .await?)
}

/// §3.4.2: the partner (or staff) reopens a resolved or closed ticket within the reopen window;
/// it counts as a reopen, and its resolution clock starts again from now.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, ticket = %id))]
pub async fn reopen(db: &Db, actor: &Actor, id: Uuid, input: &ReopenInput) -> Result<Ticket> {
    let current = show(db, actor, id).await?;
    may_write(db, actor, &current).await?;
    let mut e = FieldErrors::new();
    let reason = e.take(
        "reason",
        optional_text(input.reason.as_deref().unwrap_or(""), rules::BODY_MAX),
    );
    let state = e.take("state", rules::next_state(current.state, Action::Reopen));
    let now = db.now();
    let clocks = Clocks::load(db).await?;
    if current.merged_into.is_some() {
        e.add("state", Msg::new("validate.ticket_merged"));
    } else if state.is_some()
        && !rules::may_reopen(current.resolved_at, now, clocks.settings.reopen_days)
    {
        e.add(
            "state",
            Msg::new("validate.ticket_reopen_window").arg("days", clocks.settings.reopen_days),
        );
    }
    let (Some(reason), Some(state)) = (reason, state) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let mut t = current.clone();
    t.state = state;
    t.reopen_count += 1;
    t.closed_at = None;
    t.resolved_at = None;
    t.rating = None;
    t.rating_comment = None;
    t.rated_at = None;
    // The resolution clock runs again, from its target counted from now.
    t.paused_at = None;
    t.paused_minutes = rules::clock_between(&clocks.work(), t.priority, t.created_at, now);
    t.warned_resolution = false;
    clocks.set_dues(&mut t);
    let at = email_at(db, &t).await?;
    let notes = staff_to_tell(db, &t, actor.user_id)
        .await?
        .into_iter()
        .map(|u| note(u, NotifyKind::TicketPartnerReplied, &t, json!({}), at))
        .collect();
    let mut ev = NewEvent::new(
        EventKind::Reopen,
        Some(actor.user_id),
        json!({"from": current.state, "to": state}),
    );
    ev.body = reason;
    Ok(repo::apply(
        db,
        current.version,
        Change {
            actor: Some(actor.user_id),
            after: &t,
            events: vec![ev],
            breaches: Vec::new(),
            watch: vec![actor.user_id],
            notes: crate::access::tell(db, &item(&t), notes).await?,
            action: "ticket.reopen",
            detail: json!({"reopen_count": t.reopen_count}),
        },
    )
    .await?)
}

/// Merges a duplicate into the ticket that survives (same partner): the duplicate closes and
/// points at it; its watchers follow.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, ticket = %id))]
pub async fn merge(db: &Db, actor: &Actor, id: Uuid, input: &MergeInput) -> Result<Ticket> {
    let current = show(db, actor, id).await?;
    check(db, actor, &current, Permission::WorkTickets).await?;
    let Some(into) = input.into else {
        return Err(Error::invalid("into", Msg::new("validate.required")));
    };
    let target = match show(db, actor, into).await {
        Ok(t) => t,
        Err(Error::NotFound) => return Err(Error::invalid("into", Msg::new("validate.invalid"))),
        Err(other) => return Err(other),
    };
    if target.id == current.id
        || target.merged_into.is_some()
        || target.partner_id != current.partner_id
        || target.state == TicketState::Closed
    {
        return Err(Error::invalid("into", Msg::new("validate.merge_target")));
    }
    let state =
        rules::next_state(current.state, Action::Merge).map_err(|m| Error::invalid("state", m))?;
    let now = db.now();
    let mut t = current.clone();
    t.state = state;
    t.closed_at = Some(now);
    t.merged_into = Some(target.id);
    t.first_response_due_at = None;
    t.resolution_due_at = None;
    let watch: Vec<Uuid> = repo::watchers(db, current.id)
        .await?
        .into_iter()
        .map(|w| w.0)
        .collect();
    let ev = NewEvent::new(
        EventKind::Merge,
        Some(actor.user_id),
        json!({"into": target.id, "subject": target.subject}),
    );
    let merged = repo::apply(
        db,
        current.version,
        Change {
            actor: Some(actor.user_id),
            after: &t,
            events: vec![ev],
            breaches: Vec::new(),
            watch: Vec::new(),
            notes: Vec::new(),
            action: "ticket.merge",
            detail: json!({"into": target.id}),
        },
    )
    .await?;
    // The survivor records the duplicate and gains its watchers.
    let ev = NewEvent::new(
        EventKind::Merge,
        Some(actor.user_id),
        json!({"from": current.id, "subject": current.subject}),
    );
    repo::apply(
        db,
        target.version,
        Change {
            actor: Some(actor.user_id),
            after: &target,
            events: vec![ev],
            breaches: Vec::new(),
            watch,
            notes: Vec::new(),
            action: "ticket.merge_in",
            detail: json!({"from": current.id}),
        },
    )
    .await?;
    Ok(merged)
}

/// Starts (or keeps) watching a ticket one may read.
pub async fn watch(db: &Db, actor: &Actor, id: Uuid) -> Result<Ticket> {
    let current = show(db, actor, id).await?;
    // The answer is the whole ticket: only for one who may read it whole (§7.2.2).
    must_know_whole(db, actor, &current).await?;
    if repo::is_watcher(db, id, actor.user_id).await? {
        return Ok(current);
    }
    Ok(repo::apply(
        db,
        current.version,
        Change {
            actor: Some(actor.user_id),
            after: &current,
            events: Vec::new(),
            breaches: Vec::new(),
            watch: vec![actor.user_id],
            notes: Vec::new(),
            action: "ticket.watch",
            detail: json!({}),
        },
    )
    .await?)
}

/// One file of a ticket one may read; a file on an internal note is not found for partners.
pub async fn file(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    file: Uuid,
) -> Result<(repo::TicketFile, Vec<u8>)> {
    let t = show(db, actor, id).await?;
    must_know_whole(db, actor, &t).await?;
    let (meta, internal, bytes) = repo::read_file(db, &t, file).await?;
    if internal && actor.is_partner() {
        return Err(Error::NotFound);
    }
    Ok((meta, bytes))
}

/// What the sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepOutcome {
    pub warned: usize,
    pub breached: usize,
    pub closed: usize,
}

/// The ticket clocks' minute (§3.4.2): the holder is warned before a clock runs out, the
/// department head told when it does (the breach is recorded once), and resolved tickets the
/// partner never answered close after the confirmation window.
#[tracing::instrument(skip_all)]
pub async fn sweep(db: &Db) -> Result<SweepOutcome> {
    let clocks = Clocks::load(db).await?;
    let now = db.now();
    let warn_until = now + Duration::minutes(clocks.settings.warn_minutes);
    let mut out = SweepOutcome::default();
    for current in repo::due_for_sweep(db, now, warn_until, 500).await? {
        let mut t = current.clone();
        let mut notes = Vec::new();
        let mut breaches = Vec::new();
        let mut events = Vec::new();
        let at = email_at(db, &t).await?;
        for (clock, due, warned) in [
            (
                SlaClock::FirstResponse,
                current.first_response_due_at,
                current.warned_first,
            ),
            (
                SlaClock::Resolution,
                current.resolution_due_at,
                current.warned_resolution,
            ),
        ] {
            let Some(due) = due else { continue };
            let recorded = current.breached.iter().any(|b| b.clock == clock);
            if due < now && !recorded {
                breaches.push((clock, due));
                out.breached += 1;
                let head = t.department_head_id.or(t.partner_owner_id);
                notes.extend(head.into_iter().map(|h| {
                    note(
                        h,
                        NotifyKind::TicketSlaBreached,
                        &t,
                        json!({"clock": clock.as_str()}),
                        at,
                    )
                }));
                let mut ev = NewEvent::new(
                    EventKind::Breach,
                    None,
                    json!({"clock": clock, "due_at": due}),
                );
                ev.internal = true;
                events.push(ev);
            }
            if !warned && due < warn_until {
                if due >= now {
                    out.warned += 1;
                    notes.extend(t.assignee_id.or(t.partner_owner_id).into_iter().map(|a| {
                        note(
                            a,
                            NotifyKind::TicketSlaWarning,
                            &t,
                            json!({"clock": clock.as_str()}),
                            at,
                        )
                    }));
                }
                match clock {
                    SlaClock::FirstResponse => t.warned_first = true,
                    SlaClock::Resolution => t.warned_resolution = true,
                }
            }
        }
        match repo::apply(
            db,
            current.version,
            Change {
                actor: None,
                after: &t,
                events,
                breaches,
                watch: Vec::new(),
                notes: crate::access::tell(db, &item(&t), notes).await?,
                action: "ticket.sla",
                detail: json!({}),
            },
        )
        .await
        {
            Ok(_) | Err(liaison_db::DbError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let cutoff = now - Duration::days(clocks.settings.auto_close_days);
    for current in repo::resolved_before(db, cutoff, 500).await? {
        let mut t = current.clone();
        t.state = TicketState::Closed;
        t.closed_at = Some(now);
        let mut ev = NewEvent::new(
            EventKind::State,
            None,
            json!({"from": current.state, "to": "closed", "auto": true}),
        );
        ev.internal = false;
        match repo::apply(
            db,
            current.version,
            Change {
                actor: None,
                after: &t,
                events: vec![ev],
                breaches: Vec::new(),
                watch: Vec::new(),
                notes: Vec::new(),
                action: "ticket.auto_close",
                detail: json!({"days": clocks.settings.auto_close_days}),
            },
        )
        .await
        {
            Ok(_) => out.closed += 1,
            Err(liaison_db::DbError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// The ticket settings (anyone working tickets reads them; admins change them).
pub async fn settings(db: &Db, actor: &Actor) -> Result<TicketSettings> {
    authorize(actor, Permission::WorkTickets, &Object::default())?;
    Ok(repo::settings(db).await?)
}

pub async fn update_settings(db: &Db, actor: &Actor, s: &TicketSettings) -> Result<TicketSettings> {
    authorize(actor, Permission::ManageTickets, &Object::default())?;
    Ok(repo::update_settings(db, actor.user_id, s).await?)
}

/// One routing rule as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouteInput {
    pub kind: Option<String>,
    pub product_category: Option<String>,
    pub region: Option<String>,
    pub department_id: Option<Uuid>,
    pub assignee_id: Option<Uuid>,
}

pub async fn routes(db: &Db, actor: &Actor) -> Result<Vec<Route>> {
    authorize(actor, Permission::WorkTickets, &Object::default())?;
    Ok(repo::list_routes(db).await?)
}

/// Replaces the routing rules (§3.4.2); errors name the rule (`rules[2].department_id`).
pub async fn update_routes(db: &Db, actor: &Actor, input: &[RouteInput]) -> Result<Vec<Route>> {
    authorize(actor, Permission::ManageTickets, &Object::default())?;
    let departments = liaison_db::user::list_departments(db).await?;
    let mut e = FieldErrors::new();
    let mut out = Vec::new();
    if input.len() > 200 {
        e.add("rules", Msg::new("validate.max_values").arg("max", 200));
    }
    for (i, r) in input.iter().enumerate() {
        let f = |name: &str| format!("rules[{i}].{name}");
        let kind = match r.kind.as_deref().filter(|k| !k.trim().is_empty()) {
            None => None,
            Some(k) => match TicketKind::parse(k) {
                Ok(k) => Some(k),
                Err(m) => {
                    e.add(f("kind"), m);
                    None
                }
            },
        };
        let text = |v: &Option<String>, name: &str, e: &mut FieldErrors| match optional_text(
            v.as_deref().unwrap_or(""),
            100,
        ) {
            Ok(v) => v,
            Err(m) => {
                e.add(f(name), m);
                None
            }
        };
        let category = text(&r.product_category, "product_category", &mut e);
        let region = text(&r.region, "region", &mut e);
        let department = match r.department_id {
            Some(d) if departments.iter().any(|x| x.id == d) => d,
            Some(_) => {
                e.add(f("department_id"), Msg::new("validate.invalid"));
                continue;
            }
            None => {
                e.required(f("department_id"));
                continue;
            }
        };
        if let Some(a) = r.assignee_id {
            match liaison_db::user::find_user(db, a).await? {
                Some(u) if u.active && u.partner_id.is_none() => {}
                _ => e.add(f("assignee_id"), Msg::new("validate.invalid")),
            }
        }
        out.push(Route {
            id: Uuid::now_v7(),
            position: i as i64 + 1,
            kind,
            product_category: category,
            region,
            department_id: department,
            assignee_id: r.assignee_id,
        });
    }
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    Ok(repo::replace_routes(db, actor.user_id, &out).await?)
}

/// The root-cause taxonomy (§3.4.3): everyone working tickets reads it.
pub async fn root_causes(db: &Db, actor: &Actor) -> Result<Vec<repo::RootCause>> {
    authorize(actor, Permission::ReadTicket, &Object::default())?;
    Ok(repo::list_root_causes(db).await?)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RootCauseInput {
    pub code: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub active: Option<bool>,
}

/// Adds a cause or renames (or retires) one.
pub async fn save_root_cause(
    db: &Db,
    actor: &Actor,
    input: &RootCauseInput,
) -> Result<Vec<repo::RootCause>> {
    authorize(actor, Permission::ManageTickets, &Object::default())?;
    let mut e = FieldErrors::new();
    let code = match input.code.as_deref() {
        None => {
            e.required("code");
            None
        }
        Some(c) => e.take("code", rules::parse_cause_code(c)),
    };
    let name = e.take(
        "name",
        required_text(input.name.as_deref().unwrap_or(""), 50),
    );
    let name_en = e.take(
        "name_en",
        optional_text(input.name_en.as_deref().unwrap_or(""), 50),
    );
    let (Some(code), Some(name), Some(name_en)) = (code, name, name_en) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let current = repo::list_root_causes(db).await?;
    let position = current
        .iter()
        .find(|c| c.code == code)
        .map(|c| c.position)
        .unwrap_or(current.len() as i64 + 1);
    Ok(repo::upsert_root_cause(
        db,
        actor.user_id,
        &repo::RootCause {
            code,
            name_zh: name,
            name_en: name_en.unwrap_or_default(),
            position,
            active: input.active.unwrap_or(true),
        },
    )
    .await?)
}

/// The root-cause report of a period (§3.4.3, D11).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub totals: repo::Totals,
    /// Mean rating (§6.1.3), when any ticket was rated.
    pub satisfaction_mean: Option<f64>,
    /// Share of ratings 4 or 5.
    pub satisfied_share: Option<f64>,
    pub by_cause: Vec<repo::Count>,
    pub by_kind: Vec<repo::Count>,
    pub by_product: Vec<repo::Count>,
    pub by_department: Vec<repo::Count>,
    pub by_region: Vec<repo::Count>,
    pub by_priority: Vec<repo::Count>,
    /// The counts by cause of the periods of the same length before (oldest first).
    pub trend: Vec<TrendPeriod>,
    pub recurrences: Vec<rules::Recurrence>,
    pub sla: Vec<repo::SlaLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TrendPeriod {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub raised: i64,
    pub by_cause: Vec<repo::Count>,
}

/// §3.4.3: counts by cause, kind, product, department and region; the two periods before for
/// the trend; recurrences (the same cause on the same product within 90 days); SLA attainment
/// by department; satisfaction (§6.1.3).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn report(
    db: &Db,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Report> {
    authorize(actor, Permission::ReadTicketReports, &Object::default())?;
    if to <= from {
        return Err(Error::invalid("to", Msg::new("validate.range_order")));
    }
    if to - from > Duration::days(3 * 366) {
        return Err(Error::invalid(
            "to",
            Msg::new("validate.range_too_long").arg("days", 3 * 366),
        ));
    }
    let totals = repo::totals(db, from, to).await?;
    let len = to - from;
    let mut trend = Vec::new();
    for k in (1..=2).rev() {
        let (a, b) = (from - len * k, from - len * (k - 1));
        trend.push(TrendPeriod {
            from: a,
            to: b,
            raised: repo::totals(db, a, b).await?.raised,
            by_cause: repo::count_by_cause(db, a, b).await?,
        });
    }
    let resolved = repo::resolutions(db, from - Duration::days(rules::RECURRENCE_DAYS), to).await?;
    let recurrences = rules::recurrences(&resolved)
        .into_iter()
        .filter(|r| r.last_at >= from)
        .collect();
    let rated = totals.rated;
    // One pass over the period; each table adds its cells up.
    let cells = repo::cube(db, from, to).await?;
    let by = |key: fn(&repo::Cell) -> &str| -> Vec<repo::Count> {
        let mut sums: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
        for c in &cells {
            *sums.entry(key(c)).or_default() += c.count;
        }
        let mut v: Vec<repo::Count> = sums
            .into_iter()
            .map(|(k, n)| repo::Count {
                key: k.to_string(),
                count: n,
            })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        v
    };
    let mut sla: std::collections::BTreeMap<&str, repo::SlaLine> =
        std::collections::BTreeMap::new();
    for c in &cells {
        let line = sla
            .entry(c.department.as_str())
            .or_insert_with(|| repo::SlaLine {
                department: c.department.clone(),
                tickets: 0,
                breached: 0,
                first_response_breaches: 0,
                resolution_breaches: 0,
            });
        line.tickets += c.count;
        if c.first_breached || c.resolution_breached {
            line.breached += c.count;
        }
        if c.first_breached {
            line.first_response_breaches += c.count;
        }
        if c.resolution_breached {
            line.resolution_breaches += c.count;
        }
    }
    let mut sla: Vec<repo::SlaLine> = sla.into_values().collect();
    sla.sort_by(|a, b| {
        b.tickets
            .cmp(&a.tickets)
            .then(a.department.cmp(&b.department))
    });
    Ok(Report {
        from,
        to,
        satisfaction_mean: (rated > 0).then(|| totals.rating_sum as f64 / rated as f64),
        satisfied_share: (rated > 0).then(|| totals.satisfied as f64 / rated as f64),
        totals,
        by_cause: by(|c| &c.cause),
        by_kind: by(|c| &c.kind),
        by_product: by(|c| &c.product),
        by_department: by(|c| &c.department),
        by_region: by(|c| &c.region),
        by_priority: by(|c| &c.priority),
        trend,
        recurrences,
        sla,
    })
}

/// Who may raise tickets from e-mail: the active partner user writing from this address.
pub async fn mail_sender(db: &Db, from: &str) -> Result<Option<Actor>> {
    Ok(liaison_db::user::find_user_by_email(db, from)
        .await?
        .filter(|u| u.active && u.roles.has(Role::PartnerUser) && u.partner_id.is_some())
        .map(|u| u.actor()))
}

/// The report as a table (CSV or XLSX): one row per count, `section, key, count`, with the
/// totals, satisfaction and SLA lines first. Recorded in the audit log like every export.
pub async fn export_report(
    db: &Db,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    format: crate::import::ExportFormat,
    labels: crate::import::Labels,
) -> Result<crate::import::Export> {
    use liaison_i18n::t;
    let r = report(db, actor, from, to).await?;
    let lang = match labels {
        crate::import::Labels::Codes => None,
        crate::import::Labels::In(l) => Some(l),
    };
    let label = |prefix: &str, code: &str| match lang {
        Some(l) if !code.is_empty() => t(l, &format!("{prefix}.{code}")).to_string(),
        _ => code.to_string(),
    };
    let causes = repo::list_root_causes(db).await?;
    let cause = |code: &str| match lang {
        None => code.to_string(),
        Some(l) => causes
            .iter()
            .find(|c| c.code == code)
            .map(|c| {
                if l == liaison_i18n::Lang::En && !c.name_en.is_empty() {
                    c.name_en.clone()
                } else {
                    c.name_zh.clone()
                }
            })
            .unwrap_or_else(|| code.to_string()),
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut push = |section: &str, key: String, value: String| {
        rows.push(vec![label("ticket.report.section", section), key, value]);
    };
    let tt = &r.totals;
    for (k, v) in [
        ("raised", tt.raised),
        ("resolved", tt.resolved),
        ("reopened", tt.reopened),
        ("merged", tt.merged),
        ("rated", tt.rated),
    ] {
        push("totals", label("ticket.report.total", k), v.to_string());
    }
    if let Some(m) = r.satisfaction_mean {
        push(
            "satisfaction",
            label("ticket.report.total", "mean"),
            format!("{m:.2}"),
        );
    }
    if let Some(s) = r.satisfied_share {
        push(
            "satisfaction",
            label("ticket.report.total", "satisfied_share"),
            format!("{:.1}%", s * 100.0),
        );
    }
    for c in &r.by_cause {
        push("cause", cause(&c.key), c.count.to_string());
    }
    for c in &r.by_kind {
        push("kind", label("ticket.kind", &c.key), c.count.to_string());
    }
    for c in &r.by_priority {
        push(
            "priority",
            label("ticket.priority", &c.key),
            c.count.to_string(),
        );
    }
    for (section, v) in [
        ("product", &r.by_product),
        ("department", &r.by_department),
        ("region", &r.by_region),
    ] {
        for c in v {
            push(section, c.key.clone(), c.count.to_string());
        }
    }
    for s in &r.sla {
        push(
            "sla",
            s.department.clone(),
            format!("{}/{}", s.tickets - s.breached, s.tickets),
        );
    }
    for rec in &r.recurrences {
        push(
            "recurrence",
            format!("{} · {}", rec.product, cause(&rec.root_cause)),
            rec.tickets.len().to_string(),
        );
    }
    let headers: Vec<String> = match lang {
        None => vec!["section".into(), "key".into(), "count".into()],
        Some(l) => vec![
            t(l, "ticket.report.col.section").to_string(),
            t(l, "ticket.report.col.key").to_string(),
            t(l, "ticket.report.col.count").to_string(),
        ],
    };
    liaison_db::audit::record(
        db,
        liaison_db::audit::Entry::new(
            Some(actor.user_id),
            "export",
            "ticket_report",
            None,
            json!({"from": from, "to": to, "rows": rows.len()}),
        ),
    )
    .await?;
    let heads: Vec<&str> = headers.iter().map(String::as_str).collect();
    crate::import::build(format, "ticket-report", &heads, &rows)
}

/// The ticket a one-click rating link is for (§3.4.2, §6.1.3): a forged link is not found, an
/// old one gone. The link is the credential, like a confirmation link (§4.3.2).
pub fn verify_rating_link(db: &Db, token: &str) -> Result<Uuid> {
    let cipher = db.cipher().map_err(|e| Error::Internal(e.to_string()))?;
    liaison_db::link::verify_rating(cipher, token, db.now()).map_err(|e| match e {
        liaison_db::link::LinkError::Invalid => Error::NotFound,
        liaison_db::link::LinkError::Expired => Error::Gone(e.to_string()),
    })
}

/// The link's ticket and the partner's person who rates through it: the partner user who
/// raised it, else one of the partner's people watching it.
pub async fn by_link(db: &Db, token: &str) -> Result<(Ticket, Actor)> {
    let id = verify_rating_link(db, token)?;
    let t = repo::find_ticket(db, id).await?;
    let mut people = vec![t.raised_by];
    people.extend(repo::watchers(db, id).await?.into_iter().map(|w| w.0));
    for u in people {
        if let Some(user) = liaison_db::user::find_user(db, u).await?
            && user.active
            && user.partner_id == Some(t.partner_id)
        {
            return Ok((t, user.actor()));
        }
    }
    Err(Error::Denied(
        "no login of the partner can rate this ticket: rate it in the partner portal".into(),
    ))
}

/// Rates through a one-click link (§6.1.3).
pub async fn rate_by_link(db: &Db, token: &str, input: &RateInput) -> Result<Ticket> {
    let (t, who) = by_link(db, token).await?;
    rate(db, &who, t.id, input).await
}

/// The one-click rating link's token for `ticket`, valid through the confirmation window.
pub async fn rating_token(db: &Db, ticket: Uuid) -> Result<String> {
    let days = repo::settings(db).await?.auto_close_days;
    let cipher = db.cipher().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(liaison_db::link::sign_rating(
        cipher,
        ticket,
        db.now() + Duration::days(days + 1),
    ))
}
