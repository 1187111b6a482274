//! Meetings and action items (policy §2.1.3, §2.2.1, §5.1, §5.3.1; SPEC C1-C3): planning a
//! meeting with its invitees, the clashes a time meets, inviting (iCalendar mails queued per
//! person, a late invitation flagged), updates and cancellations (SEQUENCE raised), answers by
//! the portal, the one-click link or a calendar client's mailed REPLY, minutes with decisions,
//! attendance and action items (tasks), the cadence per period, private calendar feeds, and
//! the sweep that reminds task owners, escalates overdue tasks and warns of a short period.
//! The rules are `liaison_core::meetings`; storage `liaison_db::meetings`.

pub use crate::Error;
use crate::Result;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use liaison_core::access::{Access, Circle, ItemKind};
use liaison_core::calendar::{COMPANY_ZONE, Tz};
use liaison_core::meetings::{
    CadencePeriod, CadenceStatus, Clash, ClashKind, MeetingKind, MeetingSettings, MeetingState,
    PartnerClock, Rsvp, RsvpVia, TaskSource, TaskStatus,
};
use liaison_core::notify::NotifyKind;
use liaison_core::partner::WorkingHours;
use liaison_core::review::Classification;
use liaison_core::validate::{FieldErrors, Msg, optional_text, required_text};
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::meetings::{
    self as repo, Attendee, Change, Invitees, MailMethod, Meeting, MeetingFields, MeetingFilter,
    NewAttendee, NewTask, Task, TaskFilter,
};
use liaison_db::notify::NewNotification;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// At most this many ids in each invitee list (a conference inviting every partner by id;
/// segments name more).
pub const MAX_IDS: usize = 20_000;

/// A meeting as typed (POST creates; PATCH overlays the fields given).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeetingInput {
    pub kind: Option<String>,
    pub title: Option<String>,
    /// RFC 3339 (`2026-12-15T14:00:00+08:00`) or a local time in `timezone`
    /// (`2026-12-15T14:00`).
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// IANA zone (`Asia/Shanghai`); the company's when absent.
    pub timezone: Option<String>,
    pub place: Option<String>,
    pub video_url: Option<String>,
    /// Generate a link on the configured video service.
    pub generate_video: Option<bool>,
    pub agenda: Option<String>,
    /// The chair (a staff user); the planner when absent.
    pub chair_id: Option<Uuid>,
    pub classification: Option<String>,
    pub invitees: Option<Invitees>,
}

/// A meeting and what its reader may see of it.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    #[serde(flatten)]
    pub meeting: Meeting,
    /// The people invited (a partner user sees only its own partner's people).
    pub attendees: Vec<Attendee>,
    pub answers: repo::Answers,
    /// The reader's own invitation, if any.
    pub mine: Option<Attendee>,
    pub tasks: Vec<Task>,
    /// What the time runs into (staff, meetings still to happen).
    pub clashes: Vec<Clash>,
    /// §7.2.2: the reader is outside this confidential meeting's circle and sees its title and
    /// time only (no agenda, place, people, minutes or tasks).
    pub restricted: bool,
}

fn p_time(field: &str, s: &str, tz: Tz, e: &mut FieldErrors) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        e.required(field);
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f)
            && let Some(t) = tz.from_local_datetime(&n).earliest()
        {
            return Some(t.with_timezone(&Utc));
        }
    }
    e.add(field, Msg::new("validate.datetime").arg("value", s));
    None
}

/// Checks the input against `base` (the meeting before a PATCH) and returns the new fields.
async fn parse(
    db: &Db,
    actor: &Actor,
    input: &MeetingInput,
    base: Option<&MeetingFields>,
) -> Result<MeetingFields> {
    let mut e = FieldErrors::new();
    let kind = match (&input.kind, base) {
        (Some(k), _) => e.take("kind", MeetingKind::parse(k.trim())),
        (None, Some(b)) => Some(b.kind),
        (None, None) => {
            e.required("kind");
            None
        }
    };
    let title = match (&input.title, base) {
        (Some(t), _) => e.take("title", required_text(t, 200)),
        (None, Some(b)) => Some(b.title.clone()),
        (None, None) => {
            e.required("title");
            None
        }
    };
    let timezone = match (&input.timezone, base) {
        (Some(z), _) if !z.trim().is_empty() => {
            e.take("timezone", liaison_core::partner::parse_timezone(z))
        }
        (_, Some(b)) => Some(b.timezone.clone()),
        _ => Some(COMPANY_ZONE.name().to_string()),
    };
    let tz: Tz = timezone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(COMPANY_ZONE);
    let starts_at = match (&input.starts_at, base) {
        (Some(s), _) => p_time("starts_at", s, tz, &mut e),
        (None, Some(b)) => Some(b.starts_at),
        (None, None) => {
            e.required("starts_at");
            None
        }
    };
    let ends_at = match (&input.ends_at, base) {
        (Some(s), _) => p_time("ends_at", s, tz, &mut e),
        (None, Some(b)) => Some(b.ends_at),
        (None, None) => {
            e.required("ends_at");
            None
        }
    };
    if let (Some(s), Some(t)) = (starts_at, ends_at) {
        if t <= s {
            e.add("ends_at", Msg::new("meeting.ends_before_start"));
        } else if t - s > Duration::days(7) {
            e.add("ends_at", Msg::new("meeting.too_long"));
        }
    }
    let text = |e: &mut FieldErrors,
                field: &str,
                v: &Option<String>,
                old: Option<&Option<String>>,
                max| {
        match (v, old) {
            (Some(v), _) => e.take(field, optional_text(v, max)).flatten(),
            (None, Some(o)) => o.clone(),
            (None, None) => None,
        }
    };
    let place = text(&mut e, "place", &input.place, base.map(|b| &b.place), 300);
    let mut video_url = text(
        &mut e,
        "video_url",
        &input.video_url,
        base.map(|b| &b.video_url),
        500,
    );
    if let Some(v) = &video_url
        && !(v.starts_with("https://") || v.starts_with("http://"))
    {
        e.add("video_url", Msg::new("meeting.video_url"));
        video_url = None;
    }
    let agenda = match (&input.agenda, base) {
        (Some(a), _) => e
            .take("agenda", optional_text(a, 20_000))
            .flatten()
            .unwrap_or_default(),
        (None, Some(b)) => b.agenda.clone(),
        (None, None) => String::new(),
    };
    let chair_id = match (input.chair_id, base) {
        (Some(c), _) => match liaison_db::user::find_user(db, c).await? {
            Some(u) if u.active && !u.roles.is_partner() => Some(c),
            _ => {
                e.add("chair_id", Msg::new("validate.invalid"));
                None
            }
        },
        (None, Some(b)) => Some(b.chair_id),
        (None, None) => Some(actor.user_id),
    };
    let classification = match (&input.classification, base) {
        (Some(c), _) => e.take("classification", Classification::parse(c.trim())),
        (None, Some(b)) => Some(b.classification),
        (None, None) => Some(Classification::Internal),
    };
    let invitees = match (&input.invitees, base) {
        (Some(i), _) => {
            for (field, table, ids) in [
                ("invitees.partners", "partners", &i.partners),
                ("invitees.segments", "segments", &i.segments),
                ("invitees.contacts", "contacts", &i.contacts),
                ("invitees.users", "users", &i.users),
            ] {
                if ids.len() > MAX_IDS {
                    e.add(field, Msg::new("validate.too_many").arg("max", MAX_IDS));
                } else if let Some(bad) = repo::missing_ids(db, table, ids).await?.first() {
                    e.add(
                        field,
                        Msg::new("validate.unknown_id").arg("value", bad.to_string()),
                    );
                }
            }
            Some(i.clone())
        }
        (None, Some(b)) => Some(b.invitees.clone()),
        (None, None) => Some(Invitees::default()),
    };
    match (
        kind,
        title,
        timezone,
        starts_at,
        ends_at,
        chair_id,
        classification,
        invitees,
    ) {
        (
            Some(kind),
            Some(title),
            Some(timezone),
            Some(starts_at),
            Some(ends_at),
            Some(chair_id),
            Some(classification),
            Some(invitees),
        ) if e.is_empty() => {
            let mut f = base.cloned().unwrap_or(MeetingFields {
                kind,
                title: title.clone(),
                starts_at,
                ends_at,
                timezone: timezone.clone(),
                place: None,
                video_url: None,
                agenda: String::new(),
                chair_id,
                classification,
                state: MeetingState::Planned,
                sequence: 0,
                invitees: Invitees::default(),
                invited_at: None,
                late: false,
                cancelled_at: None,
                minutes: None,
                decisions: Vec::new(),
                held_at: None,
            });
            f.kind = kind;
            f.title = title;
            f.timezone = timezone;
            f.starts_at = starts_at;
            f.ends_at = ends_at;
            f.place = place;
            f.video_url = video_url;
            f.agenda = agenda;
            f.chair_id = chair_id;
            f.classification = classification;
            f.invitees = invitees;
            Ok(f)
        }
        _ => Err(Error::Invalid(e)),
    }
}

/// Meetings `actor` may see: a partner user those its partner is invited to (never a planned
/// one); staff every meeting, or `mine` only theirs.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    db: &Db,
    actor: &Actor,
    mut filter: MeetingFilter,
    mine: bool,
    limit: i64,
) -> Result<Vec<Meeting>> {
    authorize(actor, Permission::ReadMeetings, &Object::default())?;
    if actor.is_partner() {
        filter.partner = Some(actor.scope().partner().ok_or(Error::NotFound)?);
    } else if mine {
        filter.person = Some(actor.user_id);
    }
    let desc = filter.from.is_none();
    let mut rows = repo::list_meetings(db, &filter, desc, limit.clamp(1, 500)).await?;
    if actor.is_partner() {
        rows.iter_mut().for_each(scrub);
    } else if rows
        .iter()
        .any(|m| m.classification >= Classification::Confidential)
    {
        // §7.2.2: outside a confidential meeting's circle its title and time only (as `show`
        // gives it); a secret one is not listed.
        let mut kept = Vec::with_capacity(rows.len());
        for mut m in rows {
            if m.classification >= Classification::Confidential {
                match crate::access::of(db, actor, item(db, &m).await?).await? {
                    Access::Full => {}
                    Access::TitleOnly => withhold(&mut m),
                    Access::Hidden => continue,
                }
            }
            kept.push(m);
        }
        rows = kept;
    }
    Ok(rows)
}

/// What a partner user never sees of a meeting: whom else it invites (§7.2.2).
fn scrub(m: &mut Meeting) {
    m.invitees = Invitees::default();
}

/// A meeting `actor` may see, or `NotFound`.
async fn visible(db: &Db, actor: &Actor, id: Uuid) -> Result<Meeting> {
    authorize(actor, Permission::ReadMeetings, &Object::default())?;
    let m = repo::find_meeting(db, id).await?;
    if actor.is_partner() {
        let p = actor.scope().partner().ok_or(Error::NotFound)?;
        if m.state == MeetingState::Planned {
            return Err(Error::NotFound);
        }
        let invited = repo::list_attendees(db, id, false)
            .await?
            .iter()
            .any(|a| a.partner_id == Some(p));
        if !invited {
            return Err(Error::NotFound);
        }
    }
    Ok(m)
}

/// A meeting as a need-to-know item (§7.2.2): its organiser (the chair, and who planned it)
/// owns it; the staff it invites know it.
async fn item(db: &Db, m: &Meeting) -> Result<crate::access::Item> {
    let staff = if m.classification >= Classification::Confidential {
        repo::list_attendees(db, m.id, false)
            .await?
            .iter()
            .filter(|a| a.partner_id.is_none())
            .filter_map(|a| a.user_id)
            .collect()
    } else {
        Vec::new()
    };
    let mut owners = vec![m.chair_id, m.created_by];
    owners.dedup();
    Ok(crate::access::Item {
        kind: ItemKind::Meeting,
        id: m.id,
        title: m.title.clone(),
        classification: m.classification,
        circle: Circle {
            owners,
            reviewers: staff,
            ..Default::default()
        },
        link: format!("/console/meetings/{}", m.id),
    })
}

/// The meeting as a need-to-know item, for one who may see it (`access::item`).
pub(crate) async fn access_item(db: &Db, actor: &Actor, id: Uuid) -> Result<crate::access::Item> {
    item(db, &visible(db, actor, id).await?).await
}

/// What a title-only reader sees of a meeting: its title, kind, state and time.
fn withhold(m: &mut Meeting) {
    m.agenda = String::new();
    m.place = None;
    m.video_url = None;
    m.minutes = None;
    m.decisions.clear();
    scrub(m);
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, meeting = %id))]
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<MeetingView> {
    let mut m = visible(db, actor, id).await?;
    // §7.2.2: outside a confidential meeting's circle, its title and time only; audited.
    if crate::access::gate(db, actor, item(db, &m).await?, true).await? == Access::TitleOnly {
        withhold(&mut m);
        return Ok(MeetingView {
            meeting: m,
            attendees: Vec::new(),
            answers: repo::Answers::default(),
            mine: None,
            tasks: Vec::new(),
            clashes: Vec::new(),
            restricted: true,
        });
    }
    let mut attendees = repo::list_attendees(db, id, false).await?;
    let me = liaison_db::user::find_user(db, actor.user_id).await?;
    let contact = me.as_ref().and_then(|u| u.contact_id);
    let mine = attendees
        .iter()
        .find(|a| {
            a.user_id == Some(actor.user_id) || (contact.is_some() && a.contact_id == contact)
        })
        .cloned();
    let mut tasks = repo::list_tasks(
        db,
        &TaskFilter {
            meeting: Some(id),
            ..Default::default()
        },
        500,
    )
    .await?;
    let clashes = if actor.is_partner() {
        let p = actor.scope().partner();
        attendees.retain(|a| a.partner_id == p || (a.partner_id.is_none() && a.user_id.is_none()));
        tasks.retain(|t| t.partner_id == p);
        Vec::new()
    } else if m.state.is_open() {
        clashes_of(
            db,
            &MeetingFields::from(&m),
            Some(id),
            &attendees_as_new(&attendees),
        )
        .await?
    } else {
        Vec::new()
    };
    let answers = repo::answers(db, id).await?;
    if actor.is_partner() {
        scrub(&mut m);
    }
    Ok(MeetingView {
        meeting: m,
        attendees,
        answers,
        mine,
        tasks,
        clashes,
        restricted: false,
    })
}

fn attendees_as_new(a: &[Attendee]) -> Vec<NewAttendee> {
    a.iter()
        .map(|a| NewAttendee {
            partner_id: a.partner_id,
            contact_id: a.contact_id,
            user_id: a.user_id,
            name: a.name.clone(),
            email: a.email.clone(),
        })
        .collect()
}

/// §5.3.1: what a proposed time runs into: the invitees' other meetings, public holidays and
/// non-working days of each invited partner, business dates and launches that day, and times
/// outside a partner's working hours (a warning).
async fn clashes_of(
    db: &Db,
    f: &MeetingFields,
    except: Option<Uuid>,
    people: &[NewAttendee],
) -> Result<Vec<Clash>> {
    let partners: Vec<Uuid> = {
        let mut p: Vec<Uuid> = people.iter().filter_map(|a| a.partner_id).collect();
        p.sort();
        p.dedup();
        p
    };
    let mut users: Vec<Uuid> = people.iter().filter_map(|a| a.user_id).collect();
    users.push(f.chair_id);
    users.sort();
    users.dedup();
    let mut out = Vec::new();
    for o in repo::overlapping(db, f.starts_at, f.ends_at, except, &partners, &users).await? {
        out.push(Clash {
            kind: ClashKind::Meeting,
            on: o.starts_at.with_timezone(&COMPANY_ZONE).date_naive(),
            title: o.title,
            partners: o
                .partner_codes
                .map(|c| c.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            meeting_id: Some(o.id),
        });
    }
    let mut clocks = Vec::new();
    for chunk in partners.chunks(500) {
        for p in liaison_db::partner::partner_clocks(db, chunk).await? {
            let tz: Tz = p.timezone.parse().unwrap_or(COMPANY_ZONE);
            let mut hours = WorkingHours::default();
            if let Ok(d) = WorkingHours::parse_days(&p.working_days) {
                hours.days = d;
            }
            if let Ok((s, e)) = WorkingHours::parse_hours(&p.working_hours) {
                hours.start = s;
                hours.end = e;
            }
            clocks.push(PartnerClock {
                code: p.code,
                tz,
                hours,
            });
        }
    }
    let cal = liaison_db::calendar::load(db).await?;
    let year = f.starts_at.with_timezone(&COMPANY_ZONE).year();
    let names: BTreeMap<NaiveDate, String> = liaison_db::calendar::list_days(db, Some(year))
        .await?
        .into_iter()
        .map(|d| (d.date, d.name))
        .collect();
    let from = f.starts_at.with_timezone(&COMPANY_ZONE).date_naive();
    let to = f.ends_at.with_timezone(&COMPANY_ZONE).date_naive();
    let mut business: Vec<(NaiveDate, ClashKind, String)> =
        repo::list_business_dates(db, Some(from), Some(to))
            .await?
            .into_iter()
            .map(|b| (b.on_date, ClashKind::BusinessDate, b.title))
            .collect();
    for l in liaison_db::launch::list_launches(db, Some(from), Some(to)).await? {
        business.push((l.launch_on, ClashKind::Launch, l.title));
    }
    out.extend(liaison_core::meetings::calendar_clashes(
        f.starts_at,
        f.ends_at,
        &clocks,
        &cal,
        &names,
        &business,
    ));
    Ok(out)
}

/// The clashes of a proposed meeting (before it is saved).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn check(
    db: &Db,
    actor: &Actor,
    input: &MeetingInput,
    except: Option<Uuid>,
) -> Result<Vec<Clash>> {
    authorize(actor, Permission::PlanMeetings, &Object::default())?;
    let base = match except {
        Some(id) => Some(MeetingFields::from(&repo::find_meeting(db, id).await?)),
        None => None,
    };
    let f = parse(db, actor, input, base.as_ref()).await?;
    let people = repo::resolve_invitees(db, &f.invitees).await?;
    clashes_of(db, &f, except, &people).await
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: &MeetingInput) -> Result<Meeting> {
    authorize(actor, Permission::PlanMeetings, &Object::default())?;
    let mut f = parse(db, actor, input, None).await?;
    let id = Uuid::now_v7();
    if input.generate_video == Some(true) && f.video_url.is_none() {
        f.video_url = settings_of(db).await?.video_url(id);
    }
    let people = repo::resolve_invitees(db, &f.invitees).await?;
    Ok(repo::insert_meeting(db, id, actor.user_id, &f, &people).await?)
}

async fn settings_of(db: &Db) -> Result<MeetingSettings> {
    Ok(repo::settings(db).await?)
}

/// Staff who may change `m`: its chair, its planner, or channel management and admins.
fn may_change(actor: &Actor, m: &Meeting) -> Result<()> {
    authorize(actor, Permission::PlanMeetings, &Object::default())?;
    if m.chair_id == actor.user_id
        || m.created_by == actor.user_id
        || actor.can(Permission::ManageMeetings)
    {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// `may_change`, and for a confidential meeting only someone who reads it whole (§7.2.2).
async fn may_work(db: &Db, actor: &Actor, m: &Meeting) -> Result<()> {
    may_change(actor, m)?;
    if m.classification >= Classification::Confidential {
        crate::access::must_know(db, actor, item(db, m).await?).await?;
    }
    Ok(())
}

fn still_open(m: &Meeting) -> Result<()> {
    if m.state.is_open() {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "the meeting is {}: it can no longer be changed",
            m.state.as_str()
        )))
    }
}

/// Changes a meeting; once invited, everyone invited gets the update (SEQUENCE + 1), people no
/// longer invited a cancellation.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, meeting = %id))]
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
    input: &MeetingInput,
) -> Result<Meeting> {
    let m = repo::find_meeting(db, id).await?;
    may_work(db, actor, &m).await?;
    still_open(&m)?;
    let before = MeetingFields::from(&m);
    let mut f = parse(db, actor, input, Some(&before)).await?;
    if input.generate_video == Some(true) && f.video_url.is_none() {
        f.video_url = settings_of(db).await?.video_url(id);
    }
    let people = repo::resolve_invitees(db, &f.invitees).await?;
    let invited = m.state == MeetingState::Invited;
    if invited {
        f.sequence += 1;
    }
    let notes = if invited {
        invitation_notes(db, &m, &people, actor.user_id, true).await?
    } else {
        Vec::new()
    };
    Ok(repo::apply(
        db,
        id,
        version.unwrap_or(m.version),
        Change {
            actor: actor.user_id,
            action: "meeting.update",
            fields: &f,
            attendees: Some(&people),
            mail: invited.then_some(MailMethod::Request),
            attendance: &[],
            tasks: &[],
            notes: &notes,
            detail: json!({"sequence": f.sequence, "starts_at": f.starts_at, "people": people.len()}),
        },
    )
    .await?)
}

/// Bell notifications for the invited people who log in (portal users of invited contacts,
/// invited staff), not the actor.
async fn invitation_notes(
    db: &Db,
    m: &Meeting,
    people: &[NewAttendee],
    actor: Uuid,
    changed: bool,
) -> Result<Vec<NewNotification>> {
    let contacts: Vec<Uuid> = people.iter().filter_map(|a| a.contact_id).collect();
    // Staff are invited as users; a partner's people as contacts (and their portal logins).
    let staff: HashSet<Uuid> = people
        .iter()
        .filter(|a| a.partner_id.is_none())
        .filter_map(|a| a.user_id)
        .collect();
    let mut users: HashSet<Uuid> = people.iter().filter_map(|a| a.user_id).collect();
    for chunk in contacts.chunks(500) {
        for (_, u) in repo::users_of_contacts(db, chunk).await? {
            users.insert(u);
        }
    }
    users.remove(&actor);
    let when = m
        .starts_at
        .with_timezone(&COMPANY_ZONE)
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let mut users: Vec<Uuid> = users.into_iter().collect();
    users.sort();
    // The invitation itself is the e-mail (with its calendar part): the bell only points to it.
    Ok(users
        .into_iter()
        .map(|u| NewNotification {
            user_id: u,
            kind: NotifyKind::MeetingInvited,
            args: json!({"title": m.title, "when": when, "changed": if changed { 1 } else { 0 }}),
            link: if staff.contains(&u) {
                format!("/console/meetings/{}", m.id)
            } else {
                format!("/portal/meetings/{}", m.id)
            },
            urgent: false,
            email_at: None,
        })
        .collect())
}

/// Sends the invitations (§5.3.1): a late one (fewer than the kind's notice days ahead) is
/// flagged; a meeting already invited is sent again as an update.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, meeting = %id))]
pub async fn invite(db: &Db, actor: &Actor, id: Uuid) -> Result<Meeting> {
    let m = repo::find_meeting(db, id).await?;
    may_work(db, actor, &m).await?;
    still_open(&m)?;
    let now = db.now();
    if m.ends_at <= now {
        return Err(Error::Denied(
            "the meeting is over: record its minutes instead of inviting".into(),
        ));
    }
    let people = repo::list_attendees(db, id, false).await?;
    if people.is_empty() {
        return Err(Error::invalid("invitees", Msg::new("meeting.nobody")));
    }
    let mut f = MeetingFields::from(&m);
    if m.state == MeetingState::Invited {
        f.sequence += 1;
    } else {
        let s = settings_of(db).await?;
        f.state = MeetingState::Invited;
        f.invited_at = Some(now);
        f.late = liaison_core::meetings::is_late(now, m.starts_at, s.notice_days(m.kind));
    }
    let new = attendees_as_new(&people);
    let notes = invitation_notes(
        db,
        &m,
        &new,
        actor.user_id,
        m.state == MeetingState::Invited,
    )
    .await?;
    Ok(repo::apply(
        db,
        id,
        m.version,
        Change {
            actor: actor.user_id,
            action: "meeting.invite",
            fields: &f,
            attendees: None,
            mail: Some(MailMethod::Request),
            attendance: &[],
            tasks: &[],
            notes: &notes,
            detail: json!({"sequence": f.sequence, "late": f.late, "people": people.len()}),
        },
    )
    .await?)
}

/// Cancels a meeting: everyone who was sent the invitation gets `METHOD:CANCEL` with the same
/// UID and a higher SEQUENCE.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, meeting = %id))]
pub async fn cancel(db: &Db, actor: &Actor, id: Uuid) -> Result<Meeting> {
    let m = repo::find_meeting(db, id).await?;
    may_work(db, actor, &m).await?;
    still_open(&m)?;
    let mut f = MeetingFields::from(&m);
    let was_invited = m.state == MeetingState::Invited;
    f.state = MeetingState::Cancelled;
    f.cancelled_at = Some(db.now());
    if was_invited {
        f.sequence += 1;
    }
    Ok(repo::apply(
        db,
        id,
        m.version,
        Change {
            actor: actor.user_id,
            action: "meeting.cancel",
            fields: &f,
            attendees: None,
            mail: was_invited.then_some(MailMethod::Cancel),
            attendance: &[],
            tasks: &[],
            notes: &[],
            detail: json!({"sequence": f.sequence}),
        },
    )
    .await?)
}

fn answerable(m: &Meeting) -> Result<()> {
    match m.state {
        MeetingState::Invited => Ok(()),
        MeetingState::Cancelled => Err(Error::Gone("the meeting was cancelled".into())),
        _ => Err(Error::Conflict("the meeting takes no answers now".into())),
    }
}

/// The reader's answer (portal, console or API).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, meeting = %id))]
pub async fn rsvp(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    response: Rsvp,
    via: RsvpVia,
) -> Result<Attendee> {
    let m = visible(db, actor, id).await?;
    let me = liaison_db::user::find_user(db, actor.user_id).await?;
    let contact = me.and_then(|u| u.contact_id);
    let Some(a) = repo::attendee_for(db, id, actor.user_id, contact).await? else {
        return Err(Error::Denied(
            "you are not on this meeting's list: ask its organiser to invite you".into(),
        ));
    };
    answerable(&m)?;
    if response == Rsvp::NeedsAction {
        return Err(Error::invalid("response", Msg::new("validate.invalid")));
    }
    Ok(repo::set_response(db, &a, response, via, Some(actor.user_id)).await?)
}

/// The one-click answer link's token for `attendee` (valid until a week after the meeting).
pub fn rsvp_token(db: &Db, attendee: Uuid, meeting_ends: DateTime<Utc>) -> Result<String> {
    Ok(liaison_db::link::sign_rsvp(
        db.cipher()?,
        attendee,
        meeting_ends + Duration::days(7),
    ))
}

/// What a one-click link shows: the meeting and the person's answer.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub meeting: Meeting,
    pub attendee: Attendee,
}

/// Reads a one-click link; with `response`, records the answer.
#[tracing::instrument(skip_all)]
pub async fn rsvp_by_link(db: &Db, token: &str, response: Option<Rsvp>) -> Result<LinkView> {
    let attendee_id =
        liaison_db::link::verify_rsvp(db.cipher()?, token, db.now()).map_err(|e| match e {
            liaison_db::link::LinkError::Expired => {
                Error::Gone("this answer link has expired: answer in the portal instead".into())
            }
            liaison_db::link::LinkError::Invalid => Error::NotFound,
        })?;
    let mut attendee = repo::find_attendee(db, attendee_id).await?;
    let meeting = repo::find_meeting(db, attendee.meeting_id).await?;
    if attendee.removed {
        return Err(Error::Gone(
            "you are no longer invited to this meeting".into(),
        ));
    }
    if let Some(r) = response.filter(|r| *r != Rsvp::NeedsAction) {
        answerable(&meeting)?;
        attendee = repo::set_response(db, &attendee, r, RsvpVia::Link, attendee.user_id).await?;
    }
    Ok(LinkView { meeting, attendee })
}

/// A calendar client's `METHOD:REPLY` mailed back (read by the worker's mailbox): the answer of
/// the attendee whose address it names. Returns the meeting when it was recorded.
#[tracing::instrument(skip_all)]
pub async fn rsvp_by_mail(db: &Db, reply: &liaison_docs::ics::Reply) -> Result<Option<Uuid>> {
    let Some(id) = reply
        .uid
        .strip_suffix("@liaison")
        .and_then(|u| Uuid::parse_str(u).ok())
    else {
        return Ok(None);
    };
    let meeting = match repo::find_meeting(db, id).await {
        Ok(m) => m,
        Err(liaison_db::DbError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let Some(a) = repo::attendee_by_email(db, id, &reply.attendee_email).await? else {
        return Ok(None);
    };
    if a.removed || meeting.state != MeetingState::Invited {
        return Ok(None);
    }
    // An answer to an older version of the invitation still tells whether the person comes.
    let response = match reply.partstat {
        liaison_docs::ics::PartStat::Accepted => Rsvp::Accepted,
        liaison_docs::ics::PartStat::Declined => Rsvp::Declined,
        liaison_docs::ics::PartStat::Tentative => Rsvp::Tentative,
        liaison_docs::ics::PartStat::NeedsAction => return Ok(None),
    };
    repo::set_response(db, &a, response, RsvpVia::Email, a.user_id).await?;
    Ok(Some(id))
}

/// One action item as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionInput {
    pub title: String,
    pub owner_user_id: Option<Uuid>,
    pub owner_contact_id: Option<Uuid>,
    /// `YYYY-MM-DD`
    pub due_on: String,
}

/// Attendance of one invitee.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttendanceInput {
    pub attendee_id: Option<Uuid>,
    pub attended: bool,
}

/// The minutes of a held meeting.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinutesInput {
    pub minutes: Option<String>,
    pub decisions: Vec<String>,
    pub attendance: Vec<AttendanceInput>,
    pub action_items: Vec<ActionInput>,
}

/// Checks action items: a title, a due day, one owner (a staff user, or a contact — of
/// `partner` when given). Returns the tasks with `source` set by the caller.
pub async fn parse_actions(
    db: &Db,
    field: &str,
    items: &[ActionInput],
    partner: Option<Uuid>,
    e: &mut FieldErrors,
) -> Result<Vec<NewTask>> {
    let mut out = Vec::new();
    if items.len() > 100 {
        e.add(field, Msg::new("validate.too_many").arg("max", 100));
        return Ok(out);
    }
    for (i, a) in items.iter().enumerate() {
        let f = |n: &str| format!("{field}[{i}].{n}");
        let title = e.take(&f("title"), required_text(&a.title, 300));
        let due = match NaiveDate::parse_from_str(a.due_on.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                e.add(
                    f("due_on"),
                    Msg::new("validate.date").arg("value", a.due_on.as_str()),
                );
                None
            }
        };
        let mut task_partner = partner;
        match (a.owner_user_id, a.owner_contact_id) {
            (Some(u), None) => match liaison_db::user::find_user(db, u).await? {
                Some(user) if user.active && !user.roles.is_partner() => {}
                _ => e.add(f("owner_user_id"), Msg::new("validate.invalid")),
            },
            (None, Some(c)) => {
                let owner: Option<Uuid> = liaison_db::partner::contact_partner(db, c).await?;
                match owner {
                    Some(p) if partner.is_none_or(|q| q == p) => task_partner = Some(p),
                    _ => e.add(f("owner_contact_id"), Msg::new("validate.invalid")),
                }
            }
            _ => e.add(f("owner_user_id"), Msg::new("meeting.one_owner")),
        }
        if let (Some(title), Some(due_on)) = (title, due) {
            out.push(NewTask {
                source: TaskSource::Meeting,
                meeting_id: None,
                visit_id: None,
                call_id: None,
                partner_id: task_partner,
                title,
                owner_user_id: a.owner_user_id,
                owner_contact_id: a.owner_contact_id,
                due_on,
            });
        }
    }
    Ok(out)
}

/// Who is told of new action items: staff owners (`task_assigned`) and the portal users of
/// contact owners (`task_due`), not the actor.
pub async fn task_notes(db: &Db, tasks: &[NewTask], actor: Uuid) -> Result<Vec<NewNotification>> {
    let contacts: Vec<Uuid> = tasks.iter().filter_map(|t| t.owner_contact_id).collect();
    let users_of = repo::users_of_contacts(db, &contacts).await?;
    let at = crate::notify::email_time(db, false).await?;
    let mut out = Vec::new();
    for t in tasks {
        let due = t.due_on.format("%Y-%m-%d").to_string();
        if let Some(u) = t.owner_user_id.filter(|u| *u != actor) {
            out.push(NewNotification {
                user_id: u,
                kind: NotifyKind::TaskAssigned,
                args: json!({"title": t.title, "due": due}),
                link: "/console/tasks".into(),
                urgent: false,
                email_at: Some(at),
            });
        }
        if let Some(c) = t.owner_contact_id {
            for (_, u) in users_of.iter().filter(|(cc, _)| *cc == c) {
                out.push(NewNotification {
                    user_id: *u,
                    kind: NotifyKind::TaskDue,
                    args: json!({"title": t.title, "due": due}),
                    link: "/portal/tasks".into(),
                    urgent: false,
                    email_at: Some(at),
                });
            }
        }
    }
    Ok(out)
}

/// Records the minutes (§2.2.1): the meeting is held; attendance per invitee; decisions;
/// action items become tasks for their owners.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, meeting = %id))]
pub async fn record_minutes(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &MinutesInput,
) -> Result<Meeting> {
    let m = repo::find_meeting(db, id).await?;
    may_work(db, actor, &m).await?;
    if m.state == MeetingState::Cancelled {
        return Err(Error::Gone("the meeting was cancelled".into()));
    }
    if m.starts_at > db.now() {
        return Err(Error::Denied(
            "the meeting has not begun: minutes are recorded once it is held".into(),
        ));
    }
    let mut e = FieldErrors::new();
    let minutes = e
        .take(
            "minutes",
            optional_text(input.minutes.as_deref().unwrap_or(""), 50_000),
        )
        .flatten();
    let mut decisions = Vec::new();
    for (i, d) in input.decisions.iter().enumerate().take(100) {
        if let Some(Some(d)) = e.take(&format!("decisions[{i}]"), optional_text(d, 2000)) {
            decisions.push(d);
        }
    }
    let people = repo::list_attendees(db, id, false).await?;
    let ids: HashSet<Uuid> = people.iter().map(|a| a.id).collect();
    let mut attendance = Vec::new();
    for (i, a) in input.attendance.iter().enumerate() {
        match a.attendee_id {
            Some(x) if ids.contains(&x) => attendance.push((x, a.attended)),
            _ => e.add(
                format!("attendance[{i}].attendee_id"),
                Msg::new("validate.invalid"),
            ),
        }
    }
    let mut tasks = parse_actions(db, "action_items", &input.action_items, None, &mut e).await?;
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    for t in &mut tasks {
        t.meeting_id = Some(id);
    }
    let notes = task_notes(db, &tasks, actor.user_id).await?;
    let mut f = MeetingFields::from(&m);
    f.state = MeetingState::Held;
    f.held_at = f.held_at.or(Some(db.now()));
    if minutes.is_some() {
        f.minutes = minutes;
    }
    if !decisions.is_empty() {
        f.decisions = decisions;
    }
    Ok(repo::apply(
        db,
        id,
        m.version,
        Change {
            actor: actor.user_id,
            action: "meeting.minutes",
            fields: &f,
            attendees: None,
            mail: None,
            attendance: &attendance,
            tasks: &tasks,
            notes: &notes,
            detail: json!({"tasks": tasks.len(), "attendance": attendance.len()}),
        },
    )
    .await?)
}

fn ics_meeting(
    m: &Meeting,
    people: &[Attendee],
    stamp: DateTime<Utc>,
) -> liaison_docs::ics::Meeting {
    use liaison_docs::ics::{Attendee as A, PartStat};
    let part = |r: Rsvp| match r {
        Rsvp::NeedsAction => PartStat::NeedsAction,
        Rsvp::Accepted => PartStat::Accepted,
        Rsvp::Declined => PartStat::Declined,
        Rsvp::Tentative => PartStat::Tentative,
    };
    liaison_docs::ics::Meeting {
        uid: format!("{}@liaison", m.id),
        sequence: m.sequence,
        stamp,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        tz: m.timezone.parse().unwrap_or(COMPANY_ZONE),
        summary: m.title.clone(),
        description: m.agenda.clone(),
        location: m.place.clone(),
        url: m.video_url.clone(),
        organizer: A {
            name: m.chair_name.clone(),
            email: m.chair_email.clone(),
            partstat: PartStat::Accepted,
            rsvp: false,
        },
        attendees: people
            .iter()
            .filter_map(|a| {
                a.email.as_ref().map(|e| A {
                    name: a.name.clone(),
                    email: e.clone(),
                    partstat: part(a.response),
                    rsvp: true,
                })
            })
            .collect(),
        cancelled: m.state == MeetingState::Cancelled,
    }
}

/// The invitation one person is mailed: `METHOD:REQUEST` (or `CANCEL`) naming only them, so
/// no one learns the other invitees' addresses.
pub async fn invitation_ics(
    db: &Db,
    attendee: &Attendee,
    method: MailMethod,
) -> Result<(Meeting, String)> {
    let m = repo::find_meeting(db, attendee.meeting_id).await?;
    let one = std::slice::from_ref(attendee);
    let mut ev = ics_meeting(&m, one, db.now());
    let method = match method {
        MailMethod::Request => liaison_docs::ics::Method::Request,
        MailMethod::Cancel => {
            ev.cancelled = true;
            liaison_docs::ics::Method::Cancel
        }
    };
    let text = liaison_docs::ics::write_meetings(method, None, &[ev]);
    Ok((m, text))
}

/// `GET /api/v1/meetings/{id}/ics`: the meeting for a calendar (`METHOD:PUBLISH`), without the
/// other invitees.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, meeting = %id))]
pub async fn ics(db: &Db, actor: &Actor, id: Uuid) -> Result<String> {
    let mut m = visible(db, actor, id).await?;
    if crate::access::gate(db, actor, item(db, &m).await?, true).await? == Access::TitleOnly {
        withhold(&mut m);
    }
    let ev = ics_meeting(&m, &[], m.updated_at);
    Ok(liaison_docs::ics::write_meetings(
        liaison_docs::ics::Method::Publish,
        None,
        &[ev],
    ))
}

/// §5.1: the cadence of `year`: per regular kind and period, required, planned and held.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn cadence(db: &Db, actor: &Actor, year: i32) -> Result<Vec<CadencePeriod>> {
    authorize(actor, Permission::PlanMeetings, &Object::default())?;
    if !(2000..=2100).contains(&year) {
        return Err(Error::invalid(
            "year",
            Msg::new("validate.number_range")
                .arg("min", 2000)
                .arg("max", 2100),
        ));
    }
    cadence_of(db, year).await
}

async fn cadence_of(db: &Db, year: i32) -> Result<Vec<CadencePeriod>> {
    let start = |y: i32| {
        COMPANY_ZONE
            .with_ymd_and_hms(y, 1, 1, 0, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| Error::Internal("year".into()))
    };
    let rows = repo::cadence_rows(db, start(year)?, start(year + 1)?).await?;
    let days: Vec<(MeetingKind, MeetingState, NaiveDate)> = rows
        .into_iter()
        .map(|(k, s, t)| (k, s, t.with_timezone(&COMPANY_ZONE).date_naive()))
        .collect();
    let s = settings_of(db).await?;
    let today = db.now().with_timezone(&COMPANY_ZONE).date_naive();
    Ok(liaison_core::meetings::cadence(year, &s, &days, today))
}

/// Plans the missing regular meetings of `kind` for `year` (§5.1): in each period short of
/// the required number, one meeting on the first working Wednesday on or after the 10th of its
/// first month not yet past, 14:00-16:00 company time, inviting `invitees`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeriesInput {
    pub kind: String,
    pub year: i32,
    pub title: String,
    pub invitees: Invitees,
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn plan_series(db: &Db, actor: &Actor, input: &SeriesInput) -> Result<Vec<Meeting>> {
    authorize(actor, Permission::ManageMeetings, &Object::default())?;
    let mut e = FieldErrors::new();
    let kind = e
        .take("kind", MeetingKind::parse(input.kind.trim()))
        .filter(|k| k.cadence_per().is_some());
    if kind.is_none() && !input.kind.trim().is_empty() && e.is_empty() {
        e.add("kind", Msg::new("meeting.not_regular"));
    }
    let title = e.take("title", required_text(&input.title, 150));
    if !(2000..=2100).contains(&input.year) {
        e.add(
            "year",
            Msg::new("validate.number_range")
                .arg("min", 2000)
                .arg("max", 2100),
        );
    }
    let (Some(kind), Some(title)) = (kind, title) else {
        return Err(Error::Invalid(e));
    };
    if !e.is_empty() {
        return Err(Error::Invalid(e));
    }
    let rows = cadence_of(db, input.year).await?;
    let cal = liaison_db::calendar::load(db).await?;
    let today = db.now().with_timezone(&COMPANY_ZONE).date_naive();
    let mut made = Vec::new();
    for r in rows.iter().filter(|r| r.kind == kind) {
        if r.planned + r.held >= r.required || r.end < today {
            continue;
        }
        for n in 0..(r.required - r.planned - r.held) {
            let mut d = (r.start + Duration::days(9 + 7 * n)).max(today + Duration::days(1));
            while d.weekday() != chrono::Weekday::Wed
                || !cal.is_working_day(d, &WorkingHours::default())
            {
                d += Duration::days(1);
            }
            if d > r.end {
                continue;
            }
            let at = |h: u32| {
                COMPANY_ZONE
                    .from_local_datetime(&d.and_hms_opt(h, 0, 0).unwrap_or_default())
                    .earliest()
                    .map(|t| t.to_rfc3339())
            };
            let input = MeetingInput {
                kind: Some(kind.as_str().into()),
                title: Some(format!("{title} {}", r.period)),
                starts_at: at(14),
                ends_at: at(16),
                timezone: Some(COMPANY_ZONE.name().into()),
                invitees: Some(input.invitees.clone()),
                ..Default::default()
            };
            made.push(create(db, actor, &input).await?);
        }
    }
    Ok(made)
}

// ---- Settings and business dates ----

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn settings(db: &Db, actor: &Actor) -> Result<MeetingSettings> {
    authorize(actor, Permission::PlanMeetings, &Object::default())?;
    settings_of(db).await
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn update_settings(
    db: &Db,
    actor: &Actor,
    s: &MeetingSettings,
) -> Result<MeetingSettings> {
    authorize(actor, Permission::ManageMeetings, &Object::default())?;
    Ok(repo::update_settings(db, actor.user_id, s).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn business_dates(db: &Db, actor: &Actor) -> Result<Vec<repo::BusinessDate>> {
    authorize(actor, Permission::PlanMeetings, &Object::default())?;
    let from = db.now().with_timezone(&COMPANY_ZONE).date_naive() - Duration::days(31);
    Ok(repo::list_business_dates(db, Some(from), None).await?)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusinessDateInput {
    pub on: String,
    pub title: String,
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn add_business_date(
    db: &Db,
    actor: &Actor,
    input: &BusinessDateInput,
) -> Result<repo::BusinessDate> {
    authorize(actor, Permission::ManageMeetings, &Object::default())?;
    let mut e = FieldErrors::new();
    let on = e.take(
        "on",
        liaison_db::launch::parse_day("on", &input.on)
            .map_err(|_| Msg::new("validate.date").arg("value", input.on.as_str())),
    );
    let title = e.take("title", required_text(&input.title, 200));
    match (on, title) {
        (Some(on), Some(title)) if e.is_empty() => {
            Ok(repo::insert_business_date(db, actor.user_id, on, &title).await?)
        }
        _ => Err(Error::Invalid(e)),
    }
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn remove_business_date(db: &Db, actor: &Actor, id: Uuid) -> Result<()> {
    authorize(actor, Permission::ManageMeetings, &Object::default())?;
    Ok(repo::delete_business_date(db, actor.user_id, id).await?)
}

// ---- Tasks ----

/// `actor`'s tasks: staff those they own (`all`: every one, for channel management and
/// admins); a partner user its partner's.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn tasks(
    db: &Db,
    actor: &Actor,
    status: Option<TaskStatus>,
    all: bool,
) -> Result<Vec<Task>> {
    authorize(actor, Permission::ReadMeetings, &Object::default())?;
    let mut f = TaskFilter {
        status,
        ..Default::default()
    };
    if actor.is_partner() {
        f.partner = Some(actor.scope().partner().ok_or(Error::NotFound)?);
    } else if !(all && actor.can(Permission::ManageMeetings)) {
        f.owner_user = Some(actor.user_id);
    }
    Ok(repo::list_tasks(db, &f, 500).await?)
}

/// Ticks a task done (or opens it again): its owner, its partner's users for a partner's
/// task, the staff who created it, channel management and admins.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, task = %id))]
pub async fn set_task(db: &Db, actor: &Actor, id: Uuid, status: TaskStatus) -> Result<Task> {
    authorize(actor, Permission::ReadMeetings, &Object::default())?;
    let t = repo::find_task(db, id).await?;
    if actor.is_partner() {
        let p = actor.scope().partner();
        if t.partner_id.is_none() || t.partner_id != p {
            return Err(Error::NotFound);
        }
        if t.owner_contact_id.is_none() {
            // The company's own action item on this partner: read, not ticked, by the partner.
            return Err(Error::Forbidden);
        }
    } else if t.owner_user_id != Some(actor.user_id)
        && t.created_by != actor.user_id
        && !actor.can(Permission::ManageMeetings)
    {
        return Err(Error::Forbidden);
    }
    Ok(repo::set_task_status(db, actor.user_id, id, status).await?)
}

// ---- Calendar feeds ----

/// `actor`'s private feed token (created on first ask).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn feed_token(db: &Db, actor: &Actor, renew: bool) -> Result<String> {
    authorize(actor, Permission::ReadMeetings, &Object::default())?;
    let cipher = db.cipher()?;
    if !renew && let Some(feed) = repo::live_feed(db, actor.user_id).await? {
        return Ok(liaison_db::link::sign_feed(cipher, feed));
    }
    let id = Uuid::now_v7();
    let token = liaison_db::link::sign_feed(cipher, id);
    repo::replace_feed(
        db,
        actor.user_id,
        Some((id, &liaison_db::sha256_hex(token.as_bytes()))),
    )
    .await?;
    Ok(token)
}

/// Revokes `actor`'s feed: its address answers 404 from now on.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn revoke_feed(db: &Db, actor: &Actor) -> Result<()> {
    authorize(actor, Permission::ReadMeetings, &Object::default())?;
    Ok(repo::replace_feed(db, actor.user_id, None).await?)
}

/// The feed behind `token` (`/calendar/{token}.ics`): the user's meetings from 90 days back
/// and a year ahead, and the launch calendar they may see. An unknown or revoked token is
/// `NotFound`.
#[tracing::instrument(skip_all)]
pub async fn feed(db: &Db, token: &str) -> Result<String> {
    let cipher = db.cipher()?;
    let feed =
        liaison_db::link::verify_feed(cipher, token, db.now()).map_err(|_| Error::NotFound)?;
    let user = repo::feed_user(db, feed).await?.ok_or(Error::NotFound)?;
    let u = liaison_db::user::find_user(db, user)
        .await?
        .filter(|u| u.active)
        .ok_or(Error::NotFound)?;
    let actor = u.actor();
    let now = db.now();
    let filter = MeetingFilter {
        from: Some(now - Duration::days(90)),
        to: Some(now + Duration::days(366)),
        ..Default::default()
    };
    let meetings = list(db, &actor, filter, true, 500).await?;
    let events: Vec<liaison_docs::ics::Meeting> = meetings
        .iter()
        .map(|m| ics_meeting(m, &[], m.updated_at))
        .collect();
    let lang = u
        .lang
        .as_deref()
        .and_then(|l| liaison_core::partner::Lang::parse(l).ok())
        .unwrap_or(liaison_core::partner::Lang::ZhCn);
    let name = liaison_i18n::t(lang, "meeting.feed_name");
    let mut text =
        liaison_docs::ics::write_meetings(liaison_docs::ics::Method::Publish, Some(name), &events);
    // The launch calendar's all-day events join the same feed (§3.2.2).
    let launches = crate::launch::ics(db, &actor, lang).await?;
    if let (Some(start), Some(end)) = (launches.find("BEGIN:VEVENT"), launches.rfind("END:VEVENT"))
    {
        let block = &launches[start..end + "END:VEVENT\r\n".len().min(launches.len() - end)];
        if let Some(pos) = text.rfind("END:VCALENDAR") {
            text.insert_str(pos, block);
        }
    }
    Ok(text)
}

// ---- The sweep ----

#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    pub reminded: usize,
    pub escalated: usize,
    pub cadence_warnings: usize,
}

/// Reminds owners of tasks due tomorrow or today, escalates overdue ones to whoever set them
/// (and the partner's channel manager), and warns channel management once per period when a
/// regular meeting's period is heading short (§5.1).
#[tracing::instrument(skip_all)]
pub async fn sweep(db: &Db) -> Result<SweepReport> {
    let mut report = SweepReport::default();
    let today = db.now().with_timezone(&COMPANY_ZONE).date_naive();
    let at = crate::notify::email_time(db, false).await?;
    let due = repo::tasks_to_chase(db, today + Duration::days(1), false, 500).await?;
    if !due.is_empty() {
        let contacts: Vec<Uuid> = due.iter().filter_map(|t| t.owner_contact_id).collect();
        let users_of = repo::users_of_contacts(db, &contacts).await?;
        let mut notes = Vec::new();
        for t in &due {
            let args = json!({"title": t.title, "due": t.due_on.format("%Y-%m-%d").to_string()});
            if let Some(u) = t.owner_user_id {
                notes.push(note(
                    u,
                    NotifyKind::TaskDue,
                    args.clone(),
                    "/console/tasks",
                    at,
                ));
            }
            if let Some(c) = t.owner_contact_id {
                for (_, u) in users_of.iter().filter(|(cc, _)| *cc == c) {
                    notes.push(note(
                        *u,
                        NotifyKind::TaskDue,
                        args.clone(),
                        "/portal/tasks",
                        at,
                    ));
                }
            }
        }
        let ids: Vec<Uuid> = due.iter().map(|t| t.id).collect();
        repo::mark_chased(db, &ids, false, &notes).await?;
        report.reminded = ids.len();
    }
    let overdue = repo::tasks_to_chase(db, today - Duration::days(1), true, 500).await?;
    if !overdue.is_empty() {
        let mut notes = Vec::new();
        for t in &overdue {
            let args = json!({
                "title": t.title,
                "due": t.due_on.format("%Y-%m-%d").to_string(),
                "owner": t.owner_name.clone().unwrap_or_default(),
            });
            let mut told = vec![t.created_by];
            if let Some(p) = t.partner_id
                && let Some(owner) = liaison_db::partner::partner_owner(db, p).await?
            {
                told.push(owner);
            }
            told.sort();
            told.dedup();
            for u in told {
                notes.push(note(
                    u,
                    NotifyKind::TaskOverdue,
                    args.clone(),
                    "/console/tasks?all=1",
                    at,
                ));
            }
        }
        let ids: Vec<Uuid> = overdue.iter().map(|t| t.id).collect();
        repo::mark_chased(db, &ids, true, &notes).await?;
        report.escalated = ids.len();
    }
    for r in cadence_of(db, today.year()).await? {
        let current = r.start <= today && today <= r.end;
        if !(current && r.status == CadenceStatus::HeadingShort) {
            continue;
        }
        if !repo::claim_cadence_warning(db, r.kind, &r.period).await? {
            continue;
        }
        let managers: Vec<Uuid> =
            liaison_db::user::list_users_with_role(db, liaison_core::Role::ChannelManager)
                .await?
                .into_iter()
                .filter(|u| u.active)
                .map(|u| u.id)
                .collect();
        let notes: Vec<NewNotification> = managers
            .into_iter()
            .map(|u| {
                note(
                    u,
                    NotifyKind::CadenceShort,
                    json!({"kind": r.kind.as_str(), "period": r.period, "held": r.held + r.planned, "required": r.required}),
                    "/console/cadence",
                    at,
                )
            })
            .collect();
        let mut tx = db.begin().await?;
        liaison_db::notify::insert(&mut tx, db.now(), &notes).await?;
        tx.commit().await?;
        report.cadence_warnings += 1;
    }
    Ok(report)
}

fn note(
    user: Uuid,
    kind: NotifyKind,
    args: serde_json::Value,
    link: &str,
    at: DateTime<Utc>,
) -> NewNotification {
    NewNotification {
        user_id: user,
        kind,
        args,
        link: link.to_string(),
        urgent: false,
        email_at: Some(at),
    }
}
