//! Surveys (policy §6.2.1; SPEC F5; issue 16 item 2): questionnaires with their rounds, the
//! invitations per partner and round (with the notifications that carry them, in the same
//! transaction), the answers, and the scores their `measure` questions give the indicators
//! ([`scores`]). What is allowed and when is liaison-core's `surveys` and liaison-app's.
//!
//! Anonymous answers are stored with nothing that leads back to a partner (§6.2.1): no
//! partner, contact, user or invitation id; a random UUIDv4 id; no time, only the round's first
//! day (so it cannot be lined up with the audit entry of who answered when); on SQLite a table
//! without rowid. The invitation's `answered` mark is all that records who answered, and an
//! anonymous survey's audit entry names the survey and round, never the answer.
//!
//! A partner with no portal user is reached through its contacts' e-mail: one `survey_mail`
//! job per contact with an address ([`SurveyMail`], written with the round or the reminder in
//! the same transaction), which the worker mails with the invitation's one-click link.

use crate::audit::Entry;
use crate::notify::NewNotification;
use crate::query::{FromDbRow, RowExt};
use crate::{Db, DbError, Q, Result, q};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use liaison_core::calendar::COMPANY_ZONE;
use liaison_core::surveys::{Answer, AnswerVia, Question, Schedule, SurveyState, Texts};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Whom a survey is sent to, as chosen (API body `audience`): partners and segments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Audience {
    pub partners: Vec<Uuid>,
    pub segments: Vec<Uuid>,
}

impl Audience {
    pub fn is_empty(&self) -> bool {
        self.partners.is_empty() && self.segments.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Survey {
    pub id: Uuid,
    pub title: Texts,
    pub intro: Texts,
    pub questions: Vec<Question>,
    pub audience: Audience,
    pub anonymous: bool,
    pub schedule: Schedule,
    pub state: SurveyState,
    /// The current round (0 while a draft).
    pub round: i64,
    pub round_started_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    /// The first round's closing day as typed.
    pub closes_on: NaiveDate,
    /// How long each round stays open (set when sent).
    pub days_open: Option<i64>,
    /// Remind those who have not answered this many days before closing.
    pub remind_days: Option<i64>,
    pub created_by: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

fn day(s: String) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| crate::query::decode_error("day", e))
}

impl FromDbRow for Survey {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let p = |e: liaison_core::validate::Msg| sqlx::Error::Decode(e.key().to_string().into());
        Ok(Survey {
            id: r.uuid("id")?,
            title: crate::query::json(r.text("title")?)?,
            intro: crate::query::json(r.text("intro")?)?,
            questions: crate::query::json(r.text("questions")?)?,
            audience: crate::query::json(r.text("audience")?)?,
            anonymous: r.bool("anonymous")?,
            schedule: Schedule::parse(&r.text("schedule")?).map_err(p)?,
            state: SurveyState::parse(&r.text("state")?).map_err(p)?,
            round: r.i64("round")?,
            round_started_at: r.opt_time("round_started_at")?,
            closes_at: r.opt_time("closes_at")?,
            closes_on: day(r.text("closes_on")?)?,
            days_open: r.opt_i64("days_open")?,
            remind_days: r.opt_i64("remind_days")?,
            created_by: r.uuid("created_by")?,
            version: r.i64("version")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
            opened_at: r.opt_time("opened_at")?,
            closed_at: r.opt_time("closed_at")?,
        })
    }
}

const SELECT: &str =
    "SELECT s.id, s.title, s.intro, s.questions, s.audience, s.anonymous, s.schedule,
    s.state, s.round, s.round_started_at, s.closes_at, s.closes_on, s.days_open, s.remind_days,
    s.created_by, s.version, s.created_at, s.updated_at, s.opened_at, s.closed_at FROM surveys s";

/// A survey's fields as written by a create or an edit (a draft).
#[derive(Debug, Clone)]
pub struct SurveyFields {
    pub title: Texts,
    pub intro: Texts,
    pub questions: Vec<Question>,
    pub audience: Audience,
    pub anonymous: bool,
    pub schedule: Schedule,
    pub closes_on: NaiveDate,
    pub remind_days: Option<i64>,
}

impl From<&Survey> for SurveyFields {
    fn from(s: &Survey) -> Self {
        SurveyFields {
            title: s.title.clone(),
            intro: s.intro.clone(),
            questions: s.questions.clone(),
            audience: s.audience.clone(),
            anonymous: s.anonymous,
            schedule: s.schedule,
            closes_on: s.closes_on,
            remind_days: s.remind_days,
        }
    }
}

fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub async fn insert_survey(db: &Db, id: Uuid, actor: Uuid, f: &SurveyFields) -> Result<Survey> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute(
        q("INSERT INTO surveys (id, title, intro, questions, audience, anonymous, schedule, state, round,
            closes_on, remind_days, created_by, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', 0, $8, $9, $10, 1, $11, $11)")
        .bind(id)
        .bind(json!(f.title).to_string())
        .bind(json!(f.intro).to_string())
        .bind(json!(f.questions).to_string())
        .bind(json!(f.audience).to_string())
        .bind(Some(f.anonymous))
        .bind(f.schedule.as_str())
        .bind(day_text(f.closes_on))
        .bind(f.remind_days)
        .bind(actor)
        .bind(now),
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "survey.create",
            "survey",
            Some(id),
            json!({"questions": f.questions.len(), "anonymous": f.anonymous, "schedule": f.schedule}),
        ),
    )
    .await?;
    find_survey(db, id).await
}

/// Changes a draft (guarded by the version read; a survey sent is no longer a draft).
pub async fn update_survey(
    db: &Db,
    id: Uuid,
    version: i64,
    actor: Uuid,
    f: &SurveyFields,
) -> Result<Survey> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE surveys SET title = $1, intro = $2, questions = $3, audience = $4, anonymous = $5,
            schedule = $6, closes_on = $7, remind_days = $8, version = version + 1, updated_at = $9
           WHERE id = $10 AND version = $11 AND state = 'draft'")
        .bind(json!(f.title).to_string())
        .bind(json!(f.intro).to_string())
        .bind(json!(f.questions).to_string())
        .bind(json!(f.audience).to_string())
        .bind(Some(f.anonymous))
        .bind(f.schedule.as_str())
        .bind(day_text(f.closes_on))
        .bind(f.remind_days)
        .bind(now)
        .bind(id)
        .bind(version),
        "the survey",
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            Some(actor),
            "survey.update",
            "survey",
            Some(id),
            json!({"questions": f.questions.len()}),
        ),
    )
    .await?;
    find_survey(db, id).await
}

pub async fn find_survey(db: &Db, id: Uuid) -> Result<Survey> {
    db.fetch_one(Q::dynamic(format!("{SELECT} WHERE s.id = $1")).bind(id))
        .await
}

/// Surveys, newest first: every one, or (`partner`) those sent to that partner.
pub async fn list_surveys(db: &Db, partner: Option<Uuid>, limit: i64) -> Result<Vec<Survey>> {
    let mut query = Q::dynamic(format!("{SELECT} WHERE 1 = 1"));
    if let Some(p) = partner {
        let a = query.arg(p);
        query.push_sql(&format!(
            " AND s.state <> 'draft' AND EXISTS (SELECT 1 FROM survey_invitations i WHERE i.survey_id = s.id AND i.partner_id = {a})"
        ));
    }
    query.push_sql(" ORDER BY s.created_at DESC, s.id DESC");
    let l = query.arg(limit);
    query.push_sql(&format!(" LIMIT {l}"));
    db.fetch_all(query).await
}

/// Open surveys (for the sweep: rounds to close or begin, reminders to send).
pub async fn list_open(db: &Db) -> Result<Vec<Survey>> {
    db.fetch_all(Q::dynamic(format!(
        "{SELECT} WHERE s.state = 'open' ORDER BY s.closes_at, s.id"
    )))
    .await
}

/// The active partners an audience names now: those chosen and the members of the segments.
pub async fn resolve_partners(db: &Db, a: &Audience) -> Result<Vec<Uuid>> {
    let people = crate::meetings::resolve_invitees(
        db,
        &crate::meetings::Invitees {
            partners: a.partners.clone(),
            segments: a.segments.clone(),
            ..Default::default()
        },
    )
    .await?;
    let mut out: Vec<Uuid> = people.iter().filter_map(|p| p.partner_id).collect();
    if !a.partners.is_empty() {
        // A partner chosen by name is invited even without contacts on file (its users answer
        // in the portal).
        let mut query = Q::dynamic(String::new());
        let ids = query.in_list(a.partners.iter().copied());
        let direct: Vec<Uuid> = db
            .fetch_all(query.replace_sql(format!(
                "SELECT id FROM partners WHERE id IN {ids} AND status <> 'inactive'"
            )))
            .await?;
        out.extend(direct);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The active partner users of `partners` (who are told of an invitation): user, partner and
/// the user's language.
pub async fn partner_users(
    db: &Db,
    partners: &[Uuid],
) -> Result<Vec<(Uuid, Uuid, Option<String>)>> {
    let mut out = Vec::new();
    for chunk in partners.chunks(500) {
        let mut query = Q::dynamic(String::new());
        let ids = query.in_list(chunk.iter().copied());
        let rows: Vec<UserPartner> = db
            .fetch_all(query.replace_sql(format!(
                "SELECT u.id, u.partner_id, u.lang FROM users u WHERE u.partner_id IN {ids} AND u.active = TRUE
                   AND NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.user_id = u.id) ORDER BY u.id"
            )))
            .await?;
        out.extend(rows.into_iter().map(|r| (r.0, r.1, r.2)));
    }
    Ok(out)
}

struct UserPartner(Uuid, Uuid, Option<String>);
impl FromDbRow for UserPartner {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        Ok(UserPartner(
            r.uuid("id")?,
            r.uuid("partner_id")?,
            r.opt_text("lang")?,
        ))
    }
}

/// A round to begin: the survey is (or stays) open, the invitations are written and the
/// partners' users told, in one transaction guarded by the version read.
pub struct NewRound<'a> {
    pub actor: Option<Uuid>,
    pub round: i64,
    pub started_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub days_open: i64,
    /// (partner, invitation id) for each partner invited.
    pub invitations: &'a [(Uuid, Uuid)],
    pub notes: &'a [NewNotification],
    /// The e-mails to contacts of partners without portal users.
    pub mails: &'a [SurveyMail],
}

/// One invitation (or its reminder) e-mailed to one contact of a partner that has no portal
/// user (§6.2.1), at `at` (the company's working hours): a `survey_mail` job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyMail {
    pub invitation: Uuid,
    pub contact: Uuid,
    pub reminder: bool,
    pub at: DateTime<Utc>,
}

/// The job kind the worker sends a [`SurveyMail`] as.
pub const SURVEY_MAIL_JOB: &str = "survey_mail";

async fn insert_mails(tx: &mut crate::Tx, now: DateTime<Utc>, mails: &[SurveyMail]) -> Result<()> {
    let jobs: Vec<crate::job::NewJob> = mails
        .iter()
        .map(|m| crate::job::NewJob {
            id: Uuid::now_v7(),
            now,
            run_at: m.at.max(now),
            kind: SURVEY_MAIL_JOB,
            payload: json!({
                "invitation_id": m.invitation,
                "contact_id": m.contact,
                "reminder": m.reminder,
            }),
        })
        .collect();
    crate::job::insert_many(tx, &jobs).await
}

/// The contacts with an e-mail address of those of `partners` that have no active portal user
/// (API tokens' service users do not count): (contact, partner), the partners' order kept.
pub async fn contacts_without_users(db: &Db, partners: &[Uuid]) -> Result<Vec<(Uuid, Uuid)>> {
    let mut out = Vec::new();
    for chunk in partners.chunks(500) {
        let mut query = Q::dynamic(String::new());
        let ids = query.in_list(chunk.iter().copied());
        let rows: Vec<ContactPartner> = db
            .fetch_all(query.replace_sql(format!(
                "SELECT c.id, c.partner_id FROM contacts c WHERE c.partner_id IN {ids}
                   AND c.email IS NOT NULL AND c.email <> ''
                   AND NOT EXISTS (SELECT 1 FROM users u WHERE u.partner_id = c.partner_id AND u.active = TRUE
                                     AND NOT EXISTS (SELECT 1 FROM api_tokens t WHERE t.user_id = u.id))
                 ORDER BY c.partner_id, c.id"
            )))
            .await?;
        out.extend(rows.into_iter().map(|r| (r.0, r.1)));
    }
    Ok(out)
}

struct ContactPartner(Uuid, Uuid);
from_row!(ContactPartner(id: uuid, partner_id: uuid));

pub async fn begin_round(db: &Db, s: &Survey, r: NewRound<'_>) -> Result<Survey> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE surveys SET state = 'open', round = $1, round_started_at = $2, closes_at = $3,
            days_open = $4, opened_at = COALESCE(opened_at, $5), version = version + 1, updated_at = $5
           WHERE id = $6 AND version = $7")
        .bind(r.round)
        .bind(r.started_at)
        .bind(r.closes_at)
        .bind(r.days_open)
        .bind(now)
        .bind(s.id)
        .bind(s.version),
        "the survey",
    )
    .await?;
    for chunk in r.invitations.chunks(100) {
        let mut query = Q::dynamic(String::new());
        let mut rows = Vec::with_capacity(chunk.len());
        for (p, id) in chunk {
            rows.push(format!(
                "({}, {}, {}, {}, FALSE, {})",
                query.arg(*id),
                query.arg(s.id),
                query.arg(r.round),
                query.arg(*p),
                query.arg(now),
            ));
        }
        tx.execute(query.replace_sql(format!(
            "INSERT INTO survey_invitations (id, survey_id, round, partner_id, answered, created_at) VALUES {}",
            rows.join(", ")
        )))
        .await?;
    }
    crate::notify::insert(&mut tx, now, r.notes).await?;
    insert_mails(&mut tx, now, r.mails).await?;
    tx.commit_audited(
        now,
        Entry::new(
            r.actor,
            "survey.send",
            "survey",
            Some(s.id),
            json!({"round": r.round, "partners": r.invitations.len(), "closes_at": r.closes_at,
                   "contacts_mailed": r.mails.len()}),
        ),
    )
    .await?;
    find_survey(db, s.id).await
}

/// Closes a survey for good (no more rounds, no more answers).
pub async fn close_survey(db: &Db, s: &Survey, actor: Option<Uuid>) -> Result<Survey> {
    let now = db.now();
    let mut tx = db.begin().await?;
    tx.execute_versioned(
        q("UPDATE surveys SET state = 'closed', closed_at = $1, closes_at = CASE WHEN closes_at IS NULL OR closes_at > $1 THEN $1 ELSE closes_at END,
            version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
        .bind(now)
        .bind(s.id)
        .bind(s.version),
        "the survey",
    )
    .await?;
    tx.commit_audited(
        now,
        Entry::new(
            actor,
            "survey.close",
            "survey",
            Some(s.id),
            json!({"round": s.round}),
        ),
    )
    .await?;
    find_survey(db, s.id).await
}

/// One partner invited to one round.
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: Uuid,
    pub survey_id: Uuid,
    pub round: i64,
    pub partner_id: Uuid,
    pub partner_code: String,
    pub partner_name: String,
    pub answered: bool,
    pub reminded_at: Option<DateTime<Utc>>,
}

from_row!(Invitation; id: uuid, survey_id: uuid, round: i64, partner_id: uuid,
    partner_code: text, partner_name: text, answered: bool, reminded_at: opt_time);

const INVITATIONS: &str = "SELECT i.id, i.survey_id, i.round, i.partner_id, p.code AS partner_code,
    p.name AS partner_name, i.answered, i.reminded_at
    FROM survey_invitations i JOIN partners p ON p.id = i.partner_id";

pub async fn find_invitation(db: &Db, id: Uuid) -> Result<Invitation> {
    db.fetch_one(Q::dynamic(format!("{INVITATIONS} WHERE i.id = $1")).bind(id))
        .await
}

pub async fn invitation_for(
    db: &Db,
    survey: Uuid,
    round: i64,
    partner: Uuid,
) -> Result<Option<Invitation>> {
    db.fetch_optional(
        Q::dynamic(format!(
            "{INVITATIONS} WHERE i.survey_id = $1 AND i.round = $2 AND i.partner_id = $3"
        ))
        .bind(survey)
        .bind(round)
        .bind(partner),
    )
    .await
}

/// The invitations of a round, partners by code.
pub async fn list_invitations(db: &Db, survey: Uuid, round: i64) -> Result<Vec<Invitation>> {
    db.fetch_all(
        Q::dynamic(format!(
            "{INVITATIONS} WHERE i.survey_id = $1 AND i.round = $2 ORDER BY p.code, i.id"
        ))
        .bind(survey)
        .bind(round),
    )
    .await
}

/// The open rounds `partner` has not answered yet, soonest closing first (home and portal).
pub async fn to_answer(db: &Db, partner: Uuid) -> Result<Vec<(Survey, Invitation)>> {
    let now = db.now();
    let invitations: Vec<Invitation> = db
        .fetch_all(
            Q::dynamic(format!(
                "{INVITATIONS} JOIN surveys s ON s.id = i.survey_id AND s.round = i.round
                  WHERE i.partner_id = $1 AND i.answered = FALSE AND s.state = 'open' AND s.closes_at > $2
                  ORDER BY s.closes_at, i.id LIMIT 20"
            ))
            .bind(partner)
            .bind(now),
        )
        .await?;
    let mut out = Vec::with_capacity(invitations.len());
    for i in invitations {
        out.push((find_survey(db, i.survey_id).await?, i));
    }
    Ok(out)
}

/// How many were invited to a round and how many answered.
pub async fn response_count(db: &Db, survey: Uuid, round: i64) -> Result<(i64, i64)> {
    let r: Counts = db
        .fetch_one(
            q("SELECT COUNT(*) AS invited, COALESCE(SUM(CASE WHEN answered = TRUE THEN 1 ELSE 0 END), 0) AS answered
                 FROM survey_invitations WHERE survey_id = $1 AND round = $2")
            .bind(survey)
            .bind(round),
        )
        .await?;
    Ok((r.0, r.1))
}

struct Counts(i64, i64);
from_row!(Counts(invited: i64, answered: i64));

/// A fresh random (version 4) id: not ordered by time, so an anonymous answer's id says
/// nothing of when it came.
fn random_id() -> Result<Uuid> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| DbError::Config(format!("no randomness: {e}")))?;
    Ok(uuid::Builder::from_random_bytes(b).into_uuid())
}

/// An answer to record for one invitation.
pub struct NewAnswer<'a> {
    pub survey: &'a Survey,
    pub invitation: &'a Invitation,
    pub answer: &'a Answer,
    pub via: AnswerVia,
    /// The staff member who typed a phone interview in.
    pub entered_by: Option<Uuid>,
    /// Who acts (the partner user, the staff member; `None`: a one-click link).
    pub actor: Option<Uuid>,
}

/// Records an answer: marks the invitation answered and writes the answer, in one transaction.
/// A named survey's answer is changed when given again; an anonymous one is a conflict the
/// second time (it cannot be found again to change).
pub async fn record_answer(db: &Db, a: NewAnswer<'_>) -> Result<()> {
    let now = db.now();
    let s = a.survey;
    let anonymous = s.anonymous;
    // An anonymous answer is dated by its round's first day, not the day it came: the audit
    // chain says when each partner answered, and a day with a single answer would name it.
    let day = if anonymous {
        s.round_started_at.unwrap_or(now)
    } else {
        now
    };
    let on = day_text(day.with_timezone(&COMPANY_ZONE).date_naive());
    let values = json!(a.answer.values).to_string();
    let mut tx = db.begin().await?;
    let first = tx
        .execute(
            q("UPDATE survey_invitations SET answered = TRUE WHERE id = $1 AND answered = FALSE")
                .bind(a.invitation.id),
        )
        .await?
        == 1;
    if first {
        let id = random_id()?;
        let texts = if a.answer.texts.is_empty() {
            None
        } else {
            Some(db.seal(
                "survey_answers:texts",
                id,
                &json!(a.answer.texts).to_string(),
            )?)
        };
        let (partner, via, entered_by) = if anonymous {
            (None, None, None)
        } else {
            (
                Some(a.invitation.partner_id),
                Some(a.via.as_str()),
                a.entered_by,
            )
        };
        tx.execute(
            q("INSERT INTO survey_answers (id, survey_id, round, answered_on, partner_id, via, entered_by, answer_values, texts)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id)
            .bind(s.id)
            .bind(a.invitation.round)
            .bind(on)
            .bind(partner)
            .bind(via)
            .bind(entered_by)
            .bind(values)
            .bind(texts),
        )
        .await?;
    } else if anonymous {
        return Err(DbError::Conflict(
            "this survey was already answered for your company".into(),
        ));
    } else {
        let id: Uuid = tx
            .fetch_one(
                q("SELECT id FROM survey_answers WHERE survey_id = $1 AND round = $2 AND partner_id = $3")
                    .bind(s.id)
                    .bind(a.invitation.round)
                    .bind(a.invitation.partner_id),
            )
            .await?;
        let texts = if a.answer.texts.is_empty() {
            None
        } else {
            Some(db.seal(
                "survey_answers:texts",
                id,
                &json!(a.answer.texts).to_string(),
            )?)
        };
        tx.execute_one(
            q("UPDATE survey_answers SET answered_on = $1, via = $2, entered_by = $3, answer_values = $4, texts = $5 WHERE id = $6")
                .bind(on)
                .bind(a.via.as_str())
                .bind(a.entered_by)
                .bind(values)
                .bind(texts)
                .bind(id),
        )
        .await?;
    }
    // An anonymous answer's entry names the survey and round only.
    let detail = if anonymous {
        json!({"round": a.invitation.round})
    } else {
        json!({"round": a.invitation.round, "partner": a.invitation.partner_code, "via": a.via, "changed": !first})
    };
    tx.commit_audited(
        now,
        Entry::new(a.actor, "survey.answer", "survey", Some(s.id), detail),
    )
    .await
}

/// One stored answer as read back (texts opened).
#[derive(Debug, Clone, Serialize)]
pub struct StoredAnswer {
    pub round: i64,
    pub answered_on: NaiveDate,
    /// `None` for an anonymous survey.
    pub partner_id: Option<Uuid>,
    pub partner_code: Option<String>,
    pub partner_name: Option<String>,
    pub via: Option<AnswerVia>,
    pub entered_by_name: Option<String>,
    #[serde(flatten)]
    pub answer: Answer,
}

struct AnswerRow {
    id: Uuid,
    a: StoredAnswer,
    texts: Option<String>,
}

impl FromDbRow for AnswerRow {
    fn from_row<R: RowExt>(r: &R) -> Result<Self, sqlx::Error> {
        let via = match r.opt_text("via")? {
            Some(v) => Some(
                AnswerVia::parse(&v)
                    .map_err(|e| sqlx::Error::Decode(e.key().to_string().into()))?,
            ),
            None => None,
        };
        Ok(AnswerRow {
            id: r.uuid("id")?,
            texts: r.opt_text("texts")?,
            a: StoredAnswer {
                round: r.i64("round")?,
                answered_on: day(r.text("answered_on")?)?,
                partner_id: r.opt_uuid("partner_id")?,
                partner_code: r.opt_text("partner_code")?,
                partner_name: r.opt_text("partner_name")?,
                via,
                entered_by_name: r.opt_text("entered_by_name")?,
                answer: Answer {
                    values: crate::query::json(r.text("answer_values")?)?,
                    texts: BTreeMap::new(),
                },
            },
        })
    }
}

/// The answers of a survey (one round, or all), partners by code for a named one; the order
/// of an anonymous survey's answers is their random ids', which says nothing.
pub async fn answers(db: &Db, survey: Uuid, round: Option<i64>) -> Result<Vec<StoredAnswer>> {
    let mut query = Q::dynamic(
        "SELECT a.id, a.round, a.answered_on, a.partner_id, p.code AS partner_code, p.name AS partner_name,
            a.via, u.name AS entered_by_name, a.answer_values, a.texts
           FROM survey_answers a LEFT JOIN partners p ON p.id = a.partner_id
           LEFT JOIN users u ON u.id = a.entered_by WHERE a.survey_id = $1"
            .into(),
    )
    .bind(survey);
    query.and_some("a.round =", round);
    query.push_sql(" ORDER BY a.round, p.code, a.id");
    let rows: Vec<AnswerRow> = db.fetch_all(query).await?;
    rows.into_iter()
        .map(|r| {
            let mut a = r.a;
            if let Some(t) = r.texts {
                a.answer.texts =
                    serde_json::from_str(&db.open("survey_answers:texts", r.id, &t)?)
                        .map_err(|e| DbError::Sqlx(crate::query::decode_error("surveys", e)))?;
            }
            Ok(a)
        })
        .collect()
}

/// A named survey's answer of `partner` in `round`, to show and change.
pub async fn answer_of(
    db: &Db,
    survey: Uuid,
    round: i64,
    partner: Uuid,
) -> Result<Option<StoredAnswer>> {
    Ok(answers(db, survey, Some(round))
        .await?
        .into_iter()
        .find(|a| a.partner_id == Some(partner)))
}

/// The invitations of a round still unanswered and not yet reminded; marks them reminded and
/// tells their users (and mails the contacts of partners without users), in one transaction.
pub async fn remind(
    db: &Db,
    survey: Uuid,
    round: i64,
    invitations: &[Uuid],
    notes: &[NewNotification],
    mails: &[SurveyMail],
) -> Result<()> {
    if invitations.is_empty() {
        return Ok(());
    }
    let now = db.now();
    let mut tx = db.begin().await?;
    let mut query = Q::dynamic(String::new());
    let t = query.arg(now);
    let ids = query.in_list(invitations.iter().copied());
    tx.execute(query.replace_sql(format!(
        "UPDATE survey_invitations SET reminded_at = {t} WHERE id IN {ids} AND reminded_at IS NULL"
    )))
    .await?;
    crate::notify::insert(&mut tx, now, notes).await?;
    insert_mails(&mut tx, now, mails).await?;
    tx.commit_audited(
        now,
        Entry::new(
            None,
            "survey.remind",
            "survey",
            Some(survey),
            json!({"round": round, "partners": invitations.len(), "contacts_mailed": mails.len()}),
        ),
    )
    .await
}

/// One score a `measure` question gave (issue 16: fed to F3 satisfaction and F4's NPS and
/// willingness to cooperate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreRow {
    /// `None` when the survey is anonymous.
    pub partner_id: Option<Uuid>,
    /// The answer's day (midnight in the company's zone): answers keep no time.
    pub at: DateTime<Utc>,
    /// `satisfaction` | `nps` | `willingness`
    pub measure: String,
    pub score: i16,
}

struct ScoreSource {
    survey_id: Uuid,
    answered_on: String,
    partner_id: Option<Uuid>,
    values: String,
}
from_row!(ScoreSource; survey_id: uuid, answered_on: text, partner_id: opt_uuid, values: text("answer_values"));

/// The scores of the answers given from `from` to before `to` (by the answer's day in the
/// company's zone), by day.
pub async fn scores(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ScoreRow>> {
    let d = |t: DateTime<Utc>| day_text(t.with_timezone(&COMPANY_ZONE).date_naive());
    let rows: Vec<ScoreSource> = db
        .fetch_all(
            q("SELECT a.survey_id, a.answered_on, a.partner_id, a.answer_values FROM survey_answers a
                WHERE a.answered_on >= $1 AND a.answered_on < $2 ORDER BY a.answered_on, a.survey_id")
            .bind(d(from))
            .bind(d(to)),
        )
        .await?;
    let mut questions: HashMap<Uuid, Vec<Question>> = HashMap::new();
    let mut out = Vec::new();
    for r in rows {
        if let std::collections::hash_map::Entry::Vacant(slot) = questions.entry(r.survey_id) {
            let qs: String = db
                .fetch_one(q("SELECT questions FROM surveys WHERE id = $1").bind(r.survey_id))
                .await?;
            let qs: Vec<Question> = serde_json::from_str(&qs)
                .map_err(|e| DbError::Sqlx(crate::query::decode_error("surveys", e)))?;
            slot.insert(qs);
        }
        let values: BTreeMap<String, liaison_core::surveys::Value> =
            serde_json::from_str(&r.values)
                .map_err(|e| DbError::Sqlx(crate::query::decode_error("surveys", e)))?;
        let on = NaiveDate::parse_from_str(&r.answered_on, "%Y-%m-%d")
            .map_err(|e| DbError::Sqlx(crate::query::decode_error("surveys", e)))?;
        let at = COMPANY_ZONE
            .from_local_datetime(&on.and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&on.and_hms_opt(0, 0, 0).unwrap_or_default()));
        for qn in questions.get(&r.survey_id).into_iter().flatten() {
            let (Some(m), Some(liaison_core::surveys::Value::Number(n))) =
                (qn.measure, values.get(&qn.key))
            else {
                continue;
            };
            out.push(ScoreRow {
                partner_id: r.partner_id,
                at,
                measure: m.as_str().to_string(),
                score: *n as i16,
            });
        }
    }
    Ok(out)
}
