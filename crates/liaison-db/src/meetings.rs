//! Meetings and action items (policy §2.1.3, §2.2.1, §5.1, §5.3.1; SPEC C1-C3): a meeting and
//! the people it invites (attendees: a partner's contact or a staff user, resolved from the
//! partners, segments, contacts and users chosen), their answers and attendance; the
//! invitation mails queued per person in the transaction that changes the meeting; tasks
//! (action items of minutes, visit reports and calls); private calendar feeds; the business
//! dates meetings avoid; the cadence warnings already given. What is allowed and when is
//! liaison-core's `meetings` and liaison-app's.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::query::{FromDbRow, RowExt, parsed};
use crate::{Db, DbError, Q, Result, Tx, q};
use chrono::{DateTime, NaiveDate, Utc};
use liaison_core::meetings::{MeetingKind, MeetingState, Rsvp, RsvpVia, TaskSource, TaskStatus};
use liaison_core::review::Classification;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// Who a meeting invites, as chosen (API body `invitees`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Invitees {
    pub partners: Vec<Uuid>,
    pub segments: Vec<Uuid>,
    pub contacts: Vec<Uuid>,
    pub users: Vec<Uuid>,
}

impl Invitees {
    pub fn is_empty(&self) -> bool {
        self.partners.is_empty()
            && self.segments.is_empty()
            && self.contacts.is_empty()
            && self.users.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Meeting {
    pub id: Uuid,
    pub kind: MeetingKind,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub place: Option<String>,
    pub video_url: Option<String>,
    pub agenda: String,
    pub chair_id: Uuid,
    pub chair_name: String,
    pub chair_email: String,
    pub classification: Classification,
    pub state: MeetingState,
    /// iCalendar SEQUENCE: raised on every change the invitees are sent.
    pub sequence: i64,
    pub invitees: Invitees,
    pub invited_at: Option<DateTime<Utc>>,
    /// The invitation went out later than the kind's notice days (§5.3.1).
    pub late: bool,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub minutes: Option<String>,
    pub decisions: Vec<String>,
    pub held_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl FromDbRow for Meeting {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let p = |e: liaison_core::validate::Msg| sqlx::Error::Decode(e.key().to_string().into());
        Ok(Meeting {
            id: r.uuid("id")?,
            kind: MeetingKind::parse(&r.text("kind")?).map_err(p)?,
            title: r.text("title")?,
            starts_at: r.time("starts_at")?,
            ends_at: r.time("ends_at")?,
            timezone: r.text("timezone")?,
            place: r.opt_text("place")?,
            video_url: r.opt_text("video_url")?,
            agenda: r.text("agenda")?,
            chair_id: r.uuid("chair_id")?,
            chair_name: r.opt_text("chair_name")?.unwrap_or_default(),
            chair_email: r.opt_text("chair_email")?.unwrap_or_default(),
            classification: Classification::parse(&r.text("classification")?).map_err(p)?,
            state: MeetingState::parse(&r.text("state")?).map_err(p)?,
            sequence: r.i64("sequence")?,
            invitees: crate::query::json(r.text("invitees")?)?,
            invited_at: r.opt_time("invited_at")?,
            late: r.bool("late")?,
            cancelled_at: r.opt_time("cancelled_at")?,
            minutes: r.opt_text("minutes")?,
            decisions: match r.opt_text("decisions")? {
                Some(d) => crate::query::json(d)?,
                None => Vec::new(),
            },
            held_at: r.opt_time("held_at")?,
            created_by: r.uuid("created_by")?,
            version: r.i64("version")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

const SELECT: &str = "SELECT m.id, m.kind, m.title, m.starts_at, m.ends_at, m.timezone, m.place,
    m.video_url, m.agenda, m.chair_id, u.name AS chair_name, u.email AS chair_email,
    m.classification, m.state, m.sequence, m.invitees, m.invited_at, m.late, m.cancelled_at,
    m.minutes, m.decisions, m.held_at, m.created_by, m.version, m.created_at, m.updated_at
    FROM meetings m LEFT JOIN users u ON u.id = m.chair_id";

fn sealed(c: Classification) -> bool {
    c.needs_nda()
}

/// Opens the sealed texts of a confidential meeting.
fn open_meeting(db: &Db, mut m: Meeting) -> Result<Meeting> {
    if sealed(m.classification) {
        if !m.agenda.is_empty() {
            m.agenda = db.open("meetings:agenda", m.id, &m.agenda)?;
        }
        if let Some(t) = &m.minutes {
            m.minutes = Some(db.open("meetings:minutes", m.id, t)?);
        }
    }
    Ok(m)
}

/// One person invited. A partner's contact has `partner_id` and `contact_id`; staff `user_id`.
#[derive(Debug, Clone, Serialize)]
pub struct Attendee {
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub partner_id: Option<Uuid>,
    pub partner_code: Option<String>,
    pub contact_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub email: Option<String>,
    pub response: Rsvp,
    pub responded_at: Option<DateTime<Utc>>,
    pub responded_via: Option<RsvpVia>,
    pub attended: Option<bool>,
    pub sent_sequence: Option<i64>,
    pub removed: bool,
}

from_row!(Attendee; id: uuid, meeting_id: uuid, partner_id: opt_uuid, partner_code: opt_text,
    contact_id: opt_uuid, user_id: opt_uuid, name: text, email: opt_text,
    response: text => parsed(Rsvp::parse), responded_at: opt_time,
    responded_via: opt_text => |v: Option<String>| v.map(|v| RsvpVia::parse(&v)).transpose().map_err(|e| sqlx::Error::Decode(e.key().to_string().into())),
    attended: opt_bool, sent_sequence: opt_i64, removed: bool);

const ATTENDEES: &str = "SELECT a.id, a.meeting_id, a.partner_id, p.code AS partner_code,
    a.contact_id, a.user_id, a.name, a.email, a.response, a.responded_at, a.responded_via,
    a.attended, a.sent_sequence, a.removed
    FROM meeting_attendees a LEFT JOIN partners p ON p.id = a.partner_id";

/// A person to invite, resolved from `Invitees`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttendee {
    pub partner_id: Option<Uuid>,
    pub contact_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub name: String,
    pub email: Option<String>,
}

impl NewAttendee {
    fn key(&self) -> (Option<Uuid>, Option<Uuid>) {
        (self.contact_id, self.user_id)
    }
}

struct PersonRow(NewAttendee);
impl FromDbRow for PersonRow {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(PersonRow(NewAttendee {
            partner_id: r.opt_uuid("partner_id")?,
            contact_id: r.opt_uuid("contact_id")?,
            user_id: r.opt_uuid("user_id")?,
            name: r.text("name")?,
            email: r.opt_text("email")?.filter(|e| !e.is_empty()),
        }))
    }
}

/// The people `inv` names now: the contacts of the partners and segments chosen (active
/// partners), the contacts chosen, and the active staff users chosen; each person once.
pub async fn resolve_invitees(db: &Db, inv: &Invitees) -> Result<Vec<NewAttendee>> {
    let mut filters = Vec::with_capacity(inv.segments.len());
    for seg in &inv.segments {
        let filter: Option<crate::delivery::SegmentFilter> = db
            .fetch_optional(q("SELECT filter FROM segments WHERE id = $1").bind(*seg))
            .await?;
        filters.extend(filter.map(|f| f.0));
    }
    let mut out = Vec::new();
    let audience = liaison_core::request::Audience {
        all: false,
        partners: inv.partners.clone(),
        segments: inv.segments.clone(),
        contacts: inv.contacts.clone(),
    };
    let mut query = Q::dynamic(String::new());
    if let Some(who) = crate::delivery::audience_people_sql(&mut query, &audience, None, &filters) {
        let rows: Vec<PersonRow> = db
            .fetch_all(query.replace_sql(format!(
                "SELECT c.partner_id, c.id AS contact_id, CAST(NULL AS UUID) AS user_id, c.name, c.email
                   FROM contacts c JOIN partners p ON p.id = c.partner_id
                  WHERE ({who}) AND p.status <> 'inactive' ORDER BY p.code, c.id"
            )))
            .await?;
        out.extend(rows.into_iter().map(|r| r.0));
    }
    if !inv.users.is_empty() {
        let mut query = Q::dynamic(String::new());
        let ids = query.in_list(inv.users.iter().copied());
        let rows: Vec<PersonRow> = db
            .fetch_all(query.replace_sql(format!(
                "SELECT u.partner_id, u.contact_id, u.id AS user_id, u.name, u.email
                   FROM users u WHERE u.id IN {ids} AND u.active = TRUE ORDER BY u.name, u.id"
            )))
            .await?;
        for r in rows {
            // A partner user chosen as a user stands for its contact when it has one.
            if let Some(c) = r.0.contact_id
                && let Some(same) = out.iter_mut().find(|a| a.contact_id == Some(c))
            {
                same.user_id = r.0.user_id;
                continue;
            }
            out.push(r.0);
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|a| seen.insert(a.key()));
    Ok(out)
}

/// Ids in `ids` that are not rows of `table` (to name a bad invitee).
pub async fn missing_ids(db: &Db, table: &str, ids: &[Uuid]) -> Result<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let table = match table {
        "partners" | "segments" | "contacts" | "users" => table,
        _ => return Err(DbError::NotFound),
    };
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(ids.iter().copied());
    let found: Vec<Uuid> = db
        .fetch_all(query.replace_sql(format!("SELECT id FROM {table} WHERE id IN {list}")))
        .await?;
    Ok(ids.iter().copied().filter(|i| !found.contains(i)).collect())
}

pub async fn find_meeting(db: &Db, id: Uuid) -> Result<Meeting> {
    let m: Meeting = db
        .fetch_one(Q::dynamic(format!("{SELECT} WHERE m.id = $1")).bind(id))
        .await?;
    open_meeting(db, m)
}

/// Which meetings a list shows.
#[derive(Debug, Clone, Default)]
pub struct MeetingFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub kind: Option<MeetingKind>,
    pub state: Option<MeetingState>,
    /// Only meetings this partner's people are invited to (partner users).
    pub partner: Option<Uuid>,
    /// Only meetings this person chairs or is invited to.
    pub person: Option<Uuid>,
}

/// Meetings by start time (`desc`: newest first), at most `limit`.
pub async fn list_meetings(
    db: &Db,
    f: &MeetingFilter,
    desc: bool,
    limit: i64,
) -> Result<Vec<Meeting>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    query.and_some("m.starts_at >=", f.from);
    query.and_some("m.starts_at <", f.to);
    query.and_some("m.kind =", f.kind.map(|k| k.as_str()));
    query.and_some("m.state =", f.state.map(|k| k.as_str()));
    if let Some(p) = f.partner {
        let a = query.arg(p);
        query.push_sql(&format!(
            " AND m.state <> 'planned' AND EXISTS (SELECT 1 FROM meeting_attendees a WHERE a.meeting_id = m.id AND a.partner_id = {a} AND a.removed = FALSE)"
        ));
    }
    if let Some(u) = f.person {
        let a = query.arg(u);
        query.push_sql(&format!(
            " AND (m.chair_id = {a} OR m.created_by = {a} OR EXISTS (SELECT 1 FROM meeting_attendees a WHERE a.meeting_id = m.id AND a.user_id = {a} AND a.removed = FALSE))"
        ));
    }
    query.push_sql(if desc {
        " ORDER BY m.starts_at DESC, m.id DESC"
    } else {
        " ORDER BY m.starts_at, m.id"
    });
    let l = query.arg(limit);
    query.push_sql(&format!(" LIMIT {l}"));
    let rows: Vec<Meeting> = db.fetch_all(query).await?;
    rows.into_iter().map(|m| open_meeting(db, m)).collect()
}

/// The people of `meeting` (removed ones only when asked), partners by code then names.
pub async fn list_attendees(db: &Db, meeting: Uuid, removed: bool) -> Result<Vec<Attendee>> {
    let extra = if removed {
        ""
    } else {
        " AND a.removed = FALSE"
    };
    db.fetch_all(
        Q::dynamic(format!(
            "{ATTENDEES} WHERE a.meeting_id = $1{extra} ORDER BY p.code, a.name, a.id"
        ))
        .bind(meeting),
    )
    .await
}

pub async fn find_attendee(db: &Db, id: Uuid) -> Result<Attendee> {
    db.fetch_one(Q::dynamic(format!("{ATTENDEES} WHERE a.id = $1")).bind(id))
        .await
}

/// The invitation of `user` (or of its `contact`) to `meeting`.
pub async fn attendee_for(
    db: &Db,
    meeting: Uuid,
    user: Uuid,
    contact: Option<Uuid>,
) -> Result<Option<Attendee>> {
    db.fetch_optional(
        Q::dynamic(format!(
            "{ATTENDEES} WHERE a.meeting_id = $1 AND a.removed = FALSE AND (a.user_id = $2 OR a.contact_id = $3) ORDER BY a.id LIMIT 1"
        ))
        .bind(meeting)
        .bind(user)
        .bind(contact),
    )
    .await
}

/// The invitation sent to `email` (any case) for `meeting`.
pub async fn attendee_by_email(db: &Db, meeting: Uuid, email: &str) -> Result<Option<Attendee>> {
    db.fetch_optional(
        Q::dynamic(format!(
            "{ATTENDEES} WHERE a.meeting_id = $1 AND LOWER(a.email) = LOWER($2) ORDER BY a.removed, a.id LIMIT 1"
        ))
        .bind(meeting)
        .bind(email),
    )
    .await
}

/// How many were invited and answered what (`needs_action`, `accepted`, ...), and attended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Answers {
    pub invited: i64,
    pub accepted: i64,
    pub declined: i64,
    pub tentative: i64,
    pub attended: i64,
}

struct AnswerRow(String, i64, i64);
from_row!(AnswerRow(response: text, n: i64, attended: i64));

pub async fn answers(db: &Db, meeting: Uuid) -> Result<Answers> {
    let rows: Vec<AnswerRow> = db
        .fetch_all(
            q("SELECT response, COUNT(*) AS n, SUM(CASE WHEN attended = TRUE THEN 1 ELSE 0 END) AS attended
                 FROM meeting_attendees WHERE meeting_id = $1 AND removed = FALSE GROUP BY response")
            .bind(meeting),
        )
        .await?;
    let mut a = Answers::default();
    for AnswerRow(r, n, att) in rows {
        a.invited += n;
        a.attended += att;
        match r.as_str() {
            "accepted" => a.accepted += n,
            "declined" => a.declined += n,
            "tentative" => a.tentative += n,
            _ => {}
        }
    }
    Ok(a)
}

/// The fields of a meeting as a change writes them.
#[derive(Debug, Clone)]
pub struct MeetingFields {
    pub kind: MeetingKind,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub place: Option<String>,
    pub video_url: Option<String>,
    pub agenda: String,
    pub chair_id: Uuid,
    pub classification: Classification,
    pub state: MeetingState,
    pub sequence: i64,
    pub invitees: Invitees,
    pub invited_at: Option<DateTime<Utc>>,
    pub late: bool,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub minutes: Option<String>,
    pub decisions: Vec<String>,
    pub held_at: Option<DateTime<Utc>>,
}

impl From<&Meeting> for MeetingFields {
    fn from(m: &Meeting) -> Self {
        MeetingFields {
            kind: m.kind,
            title: m.title.clone(),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            timezone: m.timezone.clone(),
            place: m.place.clone(),
            video_url: m.video_url.clone(),
            agenda: m.agenda.clone(),
            chair_id: m.chair_id,
            classification: m.classification,
            state: m.state,
            sequence: m.sequence,
            invitees: m.invitees.clone(),
            invited_at: m.invited_at,
            late: m.late,
            cancelled_at: m.cancelled_at,
            minutes: m.minutes.clone(),
            decisions: m.decisions.clone(),
            held_at: m.held_at,
        }
    }
}

/// Which invitation mail a change sends (`liaison_docs::ics` METHOD).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailMethod {
    /// The invitation or its update, to everyone invited.
    Request,
    /// The cancellation, to everyone invited (and to people a change removed).
    Cancel,
}

/// The job kind that mails one person one invitation (liaison-worker).
pub const INVITE_JOB: &str = "invite";

/// One change to a meeting, written in one transaction (guarded by the version read).
pub struct Change<'a> {
    pub actor: Uuid,
    pub action: &'static str,
    pub fields: &'a MeetingFields,
    /// The people now invited (replaces the list: kept people keep their answers; people no
    /// longer named are marked removed and get a cancellation if they were mailed).
    pub attendees: Option<&'a [NewAttendee]>,
    /// Mail everyone invited (and the removed who were mailed before).
    pub mail: Option<MailMethod>,
    /// Attendance per attendee id.
    pub attendance: &'a [(Uuid, bool)],
    pub tasks: &'a [NewTask],
    pub notes: &'a [NewNotification],
    pub detail: serde_json::Value,
}

/// Creates a meeting with its people.
pub async fn insert_meeting(
    db: &Db,
    id: Uuid,
    actor: Uuid,
    f: &MeetingFields,
    attendees: &[NewAttendee],
) -> Result<Meeting> {
    let now = db.now();
    let seal = sealed(f.classification);
    let agenda = if seal && !f.agenda.is_empty() {
        db.seal("meetings:agenda", id, &f.agenda)?
    } else {
        f.agenda.clone()
    };
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO meetings (id, kind, title, starts_at, ends_at, timezone, place, video_url, agenda,
            chair_id, classification, state, sequence, invitees, invited_at, late, cancelled_at, minutes,
            decisions, held_at, created_by, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, FALSE, NULL, NULL,
            NULL, NULL, $15, 1, $16, $16)")
        .bind(id)
        .bind(f.kind.as_str())
        .bind(f.title.as_str())
        .bind(f.starts_at)
        .bind(f.ends_at)
        .bind(f.timezone.as_str())
        .bind(f.place.clone())
        .bind(f.video_url.clone())
        .bind(agenda)
        .bind(f.chair_id)
        .bind(f.classification.as_str())
        .bind(f.state.as_str())
        .bind(f.sequence)
        .bind(json!(f.invitees).to_string())
        .bind(actor)
        .bind(now),
    )
    .await?;
    insert_attendees(&mut tx, id, attendees).await?;
    crate::search::index(&mut tx, &[meeting_doc(id, f, now)], true).await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "meeting.create",
            "meeting",
            Some(id),
            json!({"kind": f.kind, "title": f.title, "starts_at": f.starts_at, "people": attendees.len()}),
        ),
    )
    .await?;
    find_meeting(db, id).await
}

/// The search document of a meeting (one per meeting; partner users find it through
/// `liaison_app::search`, which checks the invitation).
fn meeting_doc(id: Uuid, f: &MeetingFields, at: DateTime<Utc>) -> crate::search::Doc {
    // A confidential meeting is found by its title only: its place and agenda are what a
    // title-only reader does not see (§7.2.2).
    let (place, agenda) = if sealed(f.classification) {
        ("", "")
    } else {
        (f.place.as_deref().unwrap_or(""), f.agenda.as_str())
    };
    crate::search::Doc::new(
        id,
        liaison_core::search::Kind::Meeting,
        None,
        at,
        &f.title,
        &[place],
        &[agenda],
    )
}

async fn insert_attendees(tx: &mut Tx, meeting: Uuid, people: &[NewAttendee]) -> Result<()> {
    for chunk in people.chunks(100) {
        let mut query = Q::dynamic(String::new());
        let mut rows = Vec::with_capacity(chunk.len());
        for a in chunk {
            rows.push(format!(
                "({}, {}, {}, {}, {}, {}, {}, 'needs_action', FALSE)",
                query.arg(Uuid::now_v7()),
                query.arg(meeting),
                query.arg(a.partner_id),
                query.arg(a.contact_id),
                query.arg(a.user_id),
                query.arg(a.name.as_str()),
                query.arg(a.email.clone()),
            ));
        }
        tx.execute(query.replace_sql(format!(
            "INSERT INTO meeting_attendees (id, meeting_id, partner_id, contact_id, user_id, name, email, response, removed) VALUES {}",
            rows.join(", ")
        )))
        .await?;
    }
    Ok(())
}

/// Writes one change: the meeting's fields, its people, attendance, the invitation mails
/// (one job per person), tasks and notifications.
pub async fn apply(db: &Db, id: Uuid, before_version: i64, c: Change<'_>) -> Result<Meeting> {
    let f = c.fields;
    let now = db.now();
    let seal = sealed(f.classification);
    let agenda = if seal && !f.agenda.is_empty() {
        db.seal("meetings:agenda", id, &f.agenda)?
    } else {
        f.agenda.clone()
    };
    let minutes = match &f.minutes {
        Some(m) if seal => Some(db.seal("meetings:minutes", id, m)?),
        other => other.clone(),
    };
    let before = list_attendees(db, id, true).await?;
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE meetings SET kind = $1, title = $2, starts_at = $3, ends_at = $4, timezone = $5,
            place = $6, video_url = $7, agenda = $8, chair_id = $9, classification = $10, state = $11,
            sequence = $12, invitees = $13, invited_at = $14, late = $15, cancelled_at = $16,
            minutes = $17, decisions = $18, held_at = $19, version = version + 1, updated_at = $20
           WHERE id = $21 AND version = $22")
        .bind(f.kind.as_str())
        .bind(f.title.as_str())
        .bind(f.starts_at)
        .bind(f.ends_at)
        .bind(f.timezone.as_str())
        .bind(f.place.clone())
        .bind(f.video_url.clone())
        .bind(agenda)
        .bind(f.chair_id)
        .bind(f.classification.as_str())
        .bind(f.state.as_str())
        .bind(f.sequence)
        .bind(json!(f.invitees).to_string())
        .bind(f.invited_at)
        .bind(f.late)
        .bind(f.cancelled_at)
        .bind(minutes)
        .bind((!f.decisions.is_empty()).then(|| json!(f.decisions).to_string()))
        .bind(f.held_at)
        .bind(now)
        .bind(id)
        .bind(before_version),
        "the meeting was changed by someone else; reload it",
    )
    .await?;
    if let Some(people) = c.attendees {
        let key = |a: &Attendee| (a.contact_id, a.user_id);
        let wanted: HashMap<(Option<Uuid>, Option<Uuid>), &NewAttendee> =
            people.iter().map(|p| (p.key(), p)).collect();
        let mut kept = std::collections::HashSet::new();
        for a in &before {
            match wanted.get(&key(a)) {
                Some(p) => {
                    kept.insert(key(a));
                    tx.execute(
                        q("UPDATE meeting_attendees SET removed = FALSE, name = $1, email = $2 WHERE id = $3")
                            .bind(p.name.as_str())
                            .bind(p.email.clone())
                            .bind(a.id),
                    )
                    .await?;
                }
                None if !a.removed => {
                    tx.execute(
                        q("UPDATE meeting_attendees SET removed = TRUE WHERE id = $1").bind(a.id),
                    )
                    .await?;
                }
                None => {}
            }
        }
        let new: Vec<NewAttendee> = people
            .iter()
            .filter(|p| !kept.contains(&p.key()))
            .cloned()
            .collect();
        insert_attendees(&mut tx, id, &new).await?;
    }
    for (attendee, attended) in c.attendance {
        tx.execute(
            q("UPDATE meeting_attendees SET attended = $1 WHERE id = $2 AND meeting_id = $3")
                .bind(*attended)
                .bind(*attendee)
                .bind(id),
        )
        .await?;
    }
    if let Some(method) = c.mail {
        // Everyone now invited gets the request (or the cancellation); people removed since
        // they were last mailed get a cancellation.
        let people: Vec<MailRow> = tx
            .fetch_all(
                q("SELECT id, removed FROM meeting_attendees
                    WHERE meeting_id = $1 AND email IS NOT NULL AND (removed = FALSE OR (sent_sequence IS NOT NULL AND sent_sequence < $2))")
                .bind(id)
                .bind(f.sequence),
            )
            .await?;
        for MailRow(attendee, removed) in &people {
            let m = if *removed { MailMethod::Cancel } else { method };
            crate::job::enqueue(
                &mut tx,
                now,
                INVITE_JOB,
                json!({"attendee_id": attendee, "method": m, "sequence": f.sequence}),
            )
            .await?;
        }
        tx.execute(
            q("UPDATE meeting_attendees SET sent_sequence = $1 WHERE meeting_id = $2 AND email IS NOT NULL AND (removed = FALSE OR (sent_sequence IS NOT NULL AND sent_sequence < $1))")
                .bind(f.sequence)
                .bind(id),
        )
        .await?;
        tx.notify_work().await?;
    }
    insert_tasks(&mut tx, now, c.actor, c.tasks).await?;
    crate::notify::insert(&mut tx, now, c.notes).await?;
    crate::search::index(&mut tx, &[meeting_doc(id, f, now)], false).await?;
    tx.commit_audited(
        now,
        Entry::new(Some(c.actor), c.action, "meeting", Some(id), c.detail),
    )
    .await?;
    find_meeting(db, id).await
}

struct MailRow(Uuid, bool);
from_row!(MailRow(id: uuid, removed: bool));

/// Records an answer (§5.3.1): the latest one counts.
pub async fn set_response(
    db: &Db,
    attendee: &Attendee,
    response: Rsvp,
    via: RsvpVia,
    by: Option<Uuid>,
) -> Result<Attendee> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_one(
        q("UPDATE meeting_attendees SET response = $1, responded_at = $2, responded_via = $3 WHERE id = $4")
            .bind(response.as_str())
            .bind(now)
            .bind(via.as_str())
            .bind(attendee.id),
    )
    .await?;
    let entry = match by {
        Some(u) => Entry::new(
            Some(u),
            "meeting.rsvp",
            "meeting",
            Some(attendee.meeting_id),
            json!({"attendee": attendee.id, "response": response, "via": via}),
        ),
        None => Entry::new(
            None,
            "meeting.rsvp",
            "meeting",
            Some(attendee.meeting_id),
            json!({"attendee": attendee.id, "response": response, "via": via}),
        ),
    };
    tx.commit_audited(now, entry).await?;
    find_attendee(db, attendee.id).await
}

/// Another meeting in `[starts_at, ends_at)` sharing a partner or a staff person with the
/// proposal (or chaired by its chair), not cancelled.
#[derive(Debug, Clone, Serialize)]
pub struct Overlap {
    pub id: Uuid,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub partner_codes: Option<String>,
}
from_row!(Overlap; id: uuid, title: text, starts_at: time, partner_codes: opt_text);

pub async fn overlapping(
    db: &Db,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    except: Option<Uuid>,
    partners: &[Uuid],
    users: &[Uuid],
) -> Result<Vec<Overlap>> {
    let mut query = Q::dynamic(String::new());
    let s = query.arg(starts_at);
    let e = query.arg(ends_at);
    let x = query.arg(except.unwrap_or(Uuid::nil()));
    let mut who = Vec::new();
    if !partners.is_empty() {
        who.push(format!(
            "a.partner_id IN {}",
            query.in_list(partners.iter().copied())
        ));
    }
    if !users.is_empty() {
        let l = query.in_list(users.iter().copied());
        who.push(format!("a.user_id IN {l}"));
        who.push(format!(
            "m.chair_id IN {}",
            query.in_list(users.iter().copied())
        ));
    }
    if who.is_empty() {
        return Ok(Vec::new());
    }
    let codes = match db.backend() {
        crate::Backend::Sqlite => "GROUP_CONCAT(DISTINCT p.code)",
        crate::Backend::Postgres => "STRING_AGG(DISTINCT p.code, ',')",
    };
    query.push_sql(&format!(
        "SELECT m.id, m.title, m.starts_at, {codes} AS partner_codes
           FROM meetings m JOIN meeting_attendees a ON a.meeting_id = m.id AND a.removed = FALSE
           LEFT JOIN partners p ON p.id = a.partner_id
          WHERE m.state <> 'cancelled' AND m.starts_at < {e} AND m.ends_at > {s} AND m.id <> {x}
            AND ({})
          GROUP BY m.id, m.title, m.starts_at ORDER BY m.starts_at LIMIT 50",
        who.join(" OR ")
    ));
    db.fetch_all(query).await
}

/// (kind, state, start) of the regular meetings starting in `[from, to)`.
pub async fn cadence_rows(
    db: &Db,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(MeetingKind, MeetingState, DateTime<Utc>)>> {
    let rows: Vec<CadenceRow> = db
        .fetch_all(
            q("SELECT kind, state, starts_at FROM meetings
                WHERE starts_at >= $1 AND starts_at < $2 AND kind IN ('partner_conference', 'quarterly', 'monthly')")
            .bind(from)
            .bind(to),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.0, r.1, r.2)).collect())
}

struct CadenceRow(MeetingKind, MeetingState, DateTime<Utc>);
from_row!(CadenceRow(kind: text => parsed(MeetingKind::parse), state: text => parsed(MeetingState::parse), starts_at: time));

/// Whether the cadence warning for `kind` and `period` was given; records it when not (one
/// warning per period, across workers).
pub async fn claim_cadence_warning(db: &Db, kind: MeetingKind, period: &str) -> Result<bool> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(
            q("INSERT INTO cadence_warnings (kind, period, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(kind.as_str())
                .bind(period)
                .bind(db.now()),
        )
        .await?;
    tx.commit().await?;
    Ok(n == 1)
}

// ---- Business dates (§5.3.1) ----

#[derive(Debug, Clone, Serialize)]
pub struct BusinessDate {
    pub id: Uuid,
    pub on_date: NaiveDate,
    pub title: String,
}

from_row!(BusinessDate; id: uuid, on_date: text => crate::launch::day, title: text);

pub async fn list_business_dates(
    db: &Db,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<BusinessDate>> {
    let mut query = Q::dynamic("SELECT id, on_date, title FROM business_dates WHERE 1 = 1".into());
    query.and_some("on_date >=", from.map(|d| d.format("%Y-%m-%d").to_string()));
    query.and_some("on_date <=", to.map(|d| d.format("%Y-%m-%d").to_string()));
    query.push_sql(" ORDER BY on_date, id");
    db.fetch_all(query).await
}

pub async fn insert_business_date(
    db: &Db,
    actor: Uuid,
    on: NaiveDate,
    title: &str,
) -> Result<BusinessDate> {
    let id = Uuid::now_v7();
    db.write_one(
        |now| {
            q("INSERT INTO business_dates (id, on_date, title, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id)
                .bind(on.format("%Y-%m-%d").to_string())
                .bind(title)
                .bind(actor)
                .bind(now)
        },
        Entry::by(actor, "business_date.create", "business_date", id, json!({"on": on, "title": title})),
    )
    .await?;
    Ok(BusinessDate {
        id,
        on_date: on,
        title: title.to_string(),
    })
}

pub async fn delete_business_date(db: &Db, actor: Uuid, id: Uuid) -> Result<()> {
    db.write_one(
        |_| q("DELETE FROM business_dates WHERE id = $1").bind(id),
        Entry::by(
            actor,
            "business_date.delete",
            "business_date",
            id,
            json!({}),
        ),
    )
    .await?;
    Ok(())
}

// ---- Calendar feeds ----

/// The user of live feed `feed` (a revoked one is `None`).
pub async fn feed_user(db: &Db, feed: Uuid) -> Result<Option<Uuid>> {
    db.fetch_optional(
        q("SELECT user_id FROM calendar_feeds WHERE id = $1 AND revoked_at IS NULL").bind(feed),
    )
    .await
}

/// `user`'s live feed, if any.
pub async fn live_feed(db: &Db, user: Uuid) -> Result<Option<Uuid>> {
    db.fetch_optional(
        q("SELECT id FROM calendar_feeds WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1")
            .bind(user),
    )
    .await
}

/// Revokes `user`'s feeds and, when `new` is given, starts that one (id, token hash).
pub async fn replace_feed(db: &Db, user: Uuid, new: Option<(Uuid, &str)>) -> Result<()> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("UPDATE calendar_feeds SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user),
    )
    .await?;
    if let Some((id, hash)) = new {
        tx.execute(
            q("INSERT INTO calendar_feeds (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(user)
                .bind(hash)
                .bind(now),
        )
        .await?;
    }
    let action = if new.is_some() {
        "calendar_feed.create"
    } else {
        "calendar_feed.revoke"
    };
    tx.commit_audited(
        now,
        Entry::new(Some(user), action, "user", Some(user), json!({})),
    )
    .await
}

// ---- Tasks (action items) ----

/// An action item to create.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub source: TaskSource,
    pub meeting_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub call_id: Option<Uuid>,
    pub partner_id: Option<Uuid>,
    pub title: String,
    pub owner_user_id: Option<Uuid>,
    pub owner_contact_id: Option<Uuid>,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Task {
    pub id: Uuid,
    pub source: TaskSource,
    pub meeting_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub call_id: Option<Uuid>,
    /// The meeting's title, or the partner's name for a visit or call.
    pub source_title: Option<String>,
    pub partner_id: Option<Uuid>,
    pub partner_code: Option<String>,
    pub title: String,
    pub owner_user_id: Option<Uuid>,
    pub owner_contact_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub due_on: NaiveDate,
    pub status: TaskStatus,
    pub done_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

from_row!(Task; id: uuid, source: text => parsed(TaskSource::parse), meeting_id: opt_uuid,
    visit_id: opt_uuid, call_id: opt_uuid, source_title: opt_text, partner_id: opt_uuid,
    partner_code: opt_text, title: text, owner_user_id: opt_uuid, owner_contact_id: opt_uuid,
    owner_name: opt_text, due_on: text => crate::launch::day,
    status: text => parsed(TaskStatus::parse), done_at: opt_time, reminded_at: opt_time,
    escalated_at: opt_time, created_by: uuid, created_at: time);

const TASKS: &str = "SELECT t.id, t.source, t.meeting_id, t.visit_id, t.call_id,
    COALESCE(m.title, p.name) AS source_title, t.partner_id, p.code AS partner_code, t.title,
    t.owner_user_id, t.owner_contact_id, COALESCE(u.name, c.name) AS owner_name, t.due_on,
    t.status, t.done_at, t.reminded_at, t.escalated_at, t.created_by, t.created_at
    FROM tasks t LEFT JOIN meetings m ON m.id = t.meeting_id LEFT JOIN partners p ON p.id = t.partner_id
    LEFT JOIN users u ON u.id = t.owner_user_id LEFT JOIN contacts c ON c.id = t.owner_contact_id";

/// Adds action items inside the caller's transaction.
pub async fn insert_tasks(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: Uuid,
    tasks: &[NewTask],
) -> Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(tasks.len());
    for t in tasks {
        let id = Uuid::now_v7();
        ids.push(id);
        tx.execute(
            q("INSERT INTO tasks (id, source, meeting_id, visit_id, call_id, partner_id, title, owner_user_id,
                owner_contact_id, due_on, status, created_by, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12, $12)")
            .bind(id)
            .bind(t.source.as_str())
            .bind(t.meeting_id)
            .bind(t.visit_id)
            .bind(t.call_id)
            .bind(t.partner_id)
            .bind(t.title.as_str())
            .bind(t.owner_user_id)
            .bind(t.owner_contact_id)
            .bind(t.due_on.format("%Y-%m-%d").to_string())
            .bind(actor)
            .bind(now),
        )
        .await?;
    }
    Ok(ids)
}

/// Which tasks a list shows.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Owned by this staff user.
    pub owner_user: Option<Uuid>,
    /// Of this partner (partner users see their partner's).
    pub partner: Option<Uuid>,
    pub status: Option<TaskStatus>,
    pub meeting: Option<Uuid>,
    pub visit: Option<Uuid>,
    pub call: Option<Uuid>,
    /// Open and due on or before this day.
    pub due_by: Option<NaiveDate>,
}

/// Tasks, open ones first by due day, at most `limit`.
pub async fn list_tasks(db: &Db, f: &TaskFilter, limit: i64) -> Result<Vec<Task>> {
    let mut query = Q::dynamic(format!("{TASKS} WHERE 1 = 1"));
    query.and_some("t.owner_user_id =", f.owner_user);
    query.and_some("t.partner_id =", f.partner);
    query.and_some("t.status =", f.status.map(|s| s.as_str()));
    query.and_some("t.meeting_id =", f.meeting);
    query.and_some("t.visit_id =", f.visit);
    query.and_some("t.call_id =", f.call);
    if let Some(d) = f.due_by {
        query.and(
            "t.status = 'open' AND t.due_on <=",
            d.format("%Y-%m-%d").to_string(),
        );
    }
    query.push_sql(" ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, t.due_on, t.id");
    let l = query.arg(limit);
    query.push_sql(&format!(" LIMIT {l}"));
    db.fetch_all(query).await
}

pub async fn find_task(db: &Db, id: Uuid) -> Result<Task> {
    db.fetch_one(Q::dynamic(format!("{TASKS} WHERE t.id = $1")).bind(id))
        .await
}

/// Marks a task done, open again or cancelled.
pub async fn set_task_status(db: &Db, actor: Uuid, id: Uuid, status: TaskStatus) -> Result<Task> {
    let done = status == TaskStatus::Done;
    db.write_one(
        |now| {
            q("UPDATE tasks SET status = $1, done_at = $2, done_by = $3, updated_at = $4 WHERE id = $5")
                .bind(status.as_str())
                .bind(done.then_some(now))
                .bind(done.then_some(actor))
                .bind(now)
                .bind(id)
        },
        Entry::by(actor, "task.update", "task", id, json!({"status": status})),
    )
    .await?;
    find_task(db, id).await
}

/// Open tasks due on or before `by` not yet reminded (`reminded`) or escalated.
pub async fn tasks_to_chase(
    db: &Db,
    by: NaiveDate,
    escalate: bool,
    limit: i64,
) -> Result<Vec<Task>> {
    let col = if escalate {
        "t.escalated_at"
    } else {
        "t.reminded_at"
    };
    db.fetch_all(
        Q::dynamic(format!(
            "{TASKS} WHERE t.status = 'open' AND t.due_on <= $1 AND {col} IS NULL ORDER BY t.due_on, t.id LIMIT $2"
        ))
        .bind(by.format("%Y-%m-%d").to_string())
        .bind(limit),
    )
    .await
}

/// Records that tasks were reminded (or escalated), with the notifications that tell so.
pub async fn mark_chased(
    db: &Db,
    ids: &[Uuid],
    escalate: bool,
    notes: &[NewNotification],
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let now = db.now();
    let mut tx = db.begin().await?;
    let mut query = Q::dynamic(String::new());
    let t = query.arg(now);
    let list = query.in_list(ids.iter().copied());
    let col = if escalate {
        "escalated_at"
    } else {
        "reminded_at"
    };
    tx.execute(query.replace_sql(format!("UPDATE tasks SET {col} = {t} WHERE id IN {list}")))
        .await?;
    crate::notify::insert(&mut tx, now, notes).await?;
    tx.commit().await
}

/// The users who log in as `contact` (a partner's person with a portal login).
pub async fn users_of_contacts(db: &Db, contacts: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = Q::dynamic(String::new());
    let list = query.in_list(contacts.iter().copied());
    let rows: Vec<UserContact> = db
        .fetch_all(query.replace_sql(format!(
            "SELECT id, contact_id FROM users WHERE active = TRUE AND contact_id IN {list}"
        )))
        .await?;
    Ok(rows.into_iter().map(|r| (r.1, r.0)).collect())
}

struct UserContact(Uuid, Uuid);
from_row!(UserContact(id: uuid, contact_id: uuid));

// ---- Settings ----

const SETTINGS: &str = "meetings";

/// Notice days, cadence, visit cadence per tier and the video service (§5.1, §5.3.1, §2.2.2).
pub async fn settings(db: &Db) -> Result<liaison_core::meetings::MeetingSettings> {
    Ok(crate::settings::load(db, SETTINGS)
        .await?
        .unwrap_or_default())
}

pub async fn update_settings(
    db: &Db,
    actor: Uuid,
    s: &liaison_core::meetings::MeetingSettings,
) -> Result<liaison_core::meetings::MeetingSettings> {
    s.check().map_err(DbError::Invalid)?;
    crate::settings::store(
        db,
        actor,
        SETTINGS,
        s,
        "settings.update",
        json!({"meetings": s}),
    )
    .await?;
    Ok(s.clone())
}
