//! Surveys (policy §6.2.1; SPEC F5; issue 16 item 2): questionnaires and phone interviews,
//! written by channel management, sent to partners and segments once or every month, quarter
//! or year, answered in the portal or by a signed one-click link, reminded before they close,
//! and added up per question for channel management and leadership (anonymous results only
//! from five answers up). The rules are `liaison_core::surveys`; storage `liaison_db::surveys`.
//!
//! Sending: one invitation per partner and round; each of the partner's portal users is told
//! through a notification (the bell and, through the worker's `notify` job, an e-mail whose
//! link is the invitation's signed one-click link `/survey/TOKEN`, §4.3.2's link form with a
//! purpose of its own). A partner with no portal user is reached through its contacts: each
//! contact with an e-mail address is mailed the invitation and the reminder with the same
//! one-click link (a `survey_mail` job, as meeting invitations reach contacts; see
//! [`contact_mails`]). One answer per partner and round: the company's view, as the
//! indicators (§6.1.4, per partner) count it.

pub use crate::Error;
use crate::Result;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liaison_core::calendar::COMPANY_ZONE;
use liaison_core::notify::NotifyKind;
use liaison_core::partner::Lang;
use liaison_core::surveys::{
    self as rules, AnswerVia, Question, QuestionResult, Schedule, SurveyState, Texts,
};
use liaison_core::validate::{FieldErrors, Msg};
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::notify::NewNotification;
use liaison_db::surveys::{
    self as repo, Audience, Invitation, NewAnswer, NewRound, StoredAnswer, Survey, SurveyFields,
    SurveyMail,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A survey as typed (POST creates; PATCH overlays the fields given, while a draft).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurveyInput {
    /// `{"zh-cn": "…", "en": "…"}`: in the languages the author writes.
    pub title: Option<Texts>,
    pub intro: Option<Texts>,
    pub questions: Option<Vec<Question>>,
    pub audience: Option<Audience>,
    pub anonymous: Option<bool>,
    /// once | monthly | quarterly | yearly
    pub schedule: Option<String>,
    /// The first round's closing day (YYYY-MM-DD, the company's zone); later rounds stay open
    /// as long.
    pub closes_on: Option<String>,
    /// Remind those who have not answered this many days before closing (0 or absent: none).
    pub remind_days: Option<i64>,
}

async fn fields(db: &Db, i: &SurveyInput, base: Option<&Survey>) -> Result<SurveyFields> {
    let mut e = FieldErrors::new();
    let empty = Texts::new();
    let title = rules::check_texts(
        "title",
        i.title
            .as_ref()
            .or(base.map(|b| &b.title))
            .unwrap_or(&empty),
        200,
        true,
        &mut e,
    );
    let intro = rules::check_texts(
        "intro",
        i.intro
            .as_ref()
            .or(base.map(|b| &b.intro))
            .unwrap_or(&empty),
        4000,
        false,
        &mut e,
    );
    let questions = match (&i.questions, base) {
        (Some(q), _) => rules::check_questions(q, &mut e),
        (None, Some(b)) => b.questions.clone(),
        (None, None) => rules::check_questions(&[], &mut e),
    };
    let audience = i
        .audience
        .clone()
        .or(base.map(|b| b.audience.clone()))
        .unwrap_or_default();
    if audience.is_empty() {
        e.add("audience", Msg::new("survey.nobody"));
    }
    for (field, table, ids) in [
        ("audience.partners", "partners", &audience.partners),
        ("audience.segments", "segments", &audience.segments),
    ] {
        if ids.len() > 20_000 {
            e.add(field, Msg::new("survey.too_many").arg("max", 20_000));
        } else if let Some(bad) = liaison_db::meetings::missing_ids(db, table, ids)
            .await?
            .first()
        {
            e.add(
                field,
                Msg::new("validate.unknown_id").arg("value", bad.to_string()),
            );
        }
    }
    let schedule = match (&i.schedule, base) {
        (Some(s), _) => e.take("schedule", Schedule::parse(s)),
        (None, Some(b)) => Some(b.schedule),
        (None, None) => Some(Schedule::Once),
    };
    let closes_on = match (&i.closes_on, base) {
        (Some(s), _) => e.take(
            "closes_on",
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| Msg::new("validate.date").arg("value", s.as_str())),
        ),
        (None, Some(b)) => Some(b.closes_on),
        (None, None) => {
            e.required("closes_on");
            None
        }
    };
    let remind_days = match (i.remind_days, base) {
        (Some(d), _) if !(0..=60).contains(&d) => {
            e.add(
                "remind_days",
                Msg::new("validate.number_range")
                    .arg("min", 0)
                    .arg("max", 60),
            );
            None
        }
        (Some(0), _) => None,
        (Some(d), _) => Some(d),
        (None, b) => b.and_then(|b| b.remind_days),
    };
    let anonymous = i.anonymous.or(base.map(|b| b.anonymous)).unwrap_or(false);
    if anonymous
        && questions
            .iter()
            .any(|q| q.kind == rules::QuestionKind::Text && q.required)
    {
        // Nothing to do: free texts are allowed; they are shown only from five answers up.
    }
    match (schedule, closes_on) {
        (Some(schedule), Some(closes_on)) if e.is_empty() => Ok(SurveyFields {
            title,
            intro,
            questions,
            audience,
            anonymous,
            schedule,
            closes_on,
            remind_days,
        }),
        _ => Err(Error::Invalid(e)),
    }
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: &SurveyInput) -> Result<Survey> {
    authorize(actor, Permission::WriteSurveys, &Object::default())?;
    let f = fields(db, input, None).await?;
    Ok(repo::insert_survey(db, Uuid::now_v7(), actor.user_id, &f).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, survey = %id))]
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
    input: &SurveyInput,
) -> Result<Survey> {
    authorize(actor, Permission::WriteSurveys, &Object::default())?;
    let s = repo::find_survey(db, id).await?;
    if s.state != SurveyState::Draft {
        return Err(Error::Conflict(
            "the survey was sent: its questions no longer change".into(),
        ));
    }
    let f = fields(db, input, Some(&s)).await?;
    Ok(repo::update_survey(db, id, version.unwrap_or(s.version), actor.user_id, &f).await?)
}

/// Surveys: staff every one, a partner user those its partner is invited to (newest first).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(db: &Db, actor: &Actor, limit: i64) -> Result<Vec<Survey>> {
    authorize(actor, Permission::ReadSurveys, &Object::default())?;
    let partner = if actor.is_partner() {
        Some(actor.scope().partner().ok_or(Error::NotFound)?)
    } else {
        None
    };
    let mut rows = repo::list_surveys(db, partner, limit.clamp(1, 500)).await?;
    if partner.is_some() {
        rows.iter_mut().for_each(scrub);
    }
    Ok(rows)
}

/// What a partner user never sees of a survey: whom else it goes to (§7.2.2).
fn scrub(s: &mut Survey) {
    s.audience = Audience::default();
}

/// A survey `actor` may see, or `NotFound` (a partner: a survey sent to it).
async fn visible(db: &Db, actor: &Actor, id: Uuid) -> Result<Survey> {
    authorize(actor, Permission::ReadSurveys, &Object::default())?;
    let mut s = repo::find_survey(db, id).await?;
    if actor.is_partner() {
        let p = actor.scope().partner().ok_or(Error::NotFound)?;
        if s.state == SurveyState::Draft {
            return Err(Error::NotFound);
        }
        let mut invited = false;
        for round in (1..=s.round).rev() {
            if repo::invitation_for(db, id, round, p).await?.is_some() {
                invited = true;
                break;
            }
        }
        if !invited {
            return Err(Error::NotFound);
        }
        scrub(&mut s);
    }
    Ok(s)
}

/// A survey and what its reader may see of it.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyView {
    #[serde(flatten)]
    pub survey: Survey,
    /// The current round's label (`2026-Q4`) for a periodic survey.
    pub period: Option<String>,
    /// Staff: the current round's invitations (partners by code, answered or not; for an
    /// anonymous survey the mark says only that the partner answered, never what).
    pub invitations: Vec<Invitation>,
    /// The reader's partner's invitation to the current round and its answer (named surveys).
    pub mine: Option<Mine>,
    /// Whether the current round takes answers now.
    pub answerable: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Mine {
    pub invitation: Invitation,
    pub answer: Option<StoredAnswer>,
    /// Whether the answer may (still) be given or changed.
    pub may_answer: bool,
}

fn period_of(s: &Survey) -> Option<String> {
    match (s.schedule, s.round_started_at) {
        (Schedule::Once, _) | (_, None) => None,
        (sch, Some(t)) => Some(rules::period_label(sch, t, COMPANY_ZONE)),
    }
}

fn open_now(s: &Survey, now: DateTime<Utc>) -> bool {
    s.state == SurveyState::Open && s.closes_at.is_some_and(|c| now < c)
}

async fn mine(db: &Db, s: &Survey, partner: Uuid) -> Result<Option<Mine>> {
    let Some(inv) = repo::invitation_for(db, s.id, s.round, partner).await? else {
        return Ok(None);
    };
    let answer = if s.anonymous {
        None
    } else {
        repo::answer_of(db, s.id, s.round, partner).await?
    };
    let may_answer = open_now(s, db.now()) && (!inv.answered || !s.anonymous);
    Ok(Some(Mine {
        invitation: inv,
        answer,
        may_answer,
    }))
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, survey = %id))]
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<SurveyView> {
    let s = visible(db, actor, id).await?;
    let (invitations, mine) = match actor.scope().partner() {
        Some(p) => (Vec::new(), mine(db, &s, p).await?),
        None if actor.is_partner() => return Err(Error::NotFound),
        None => (repo::list_invitations(db, id, s.round).await?, None),
    };
    Ok(SurveyView {
        period: period_of(&s),
        answerable: open_now(&s, db.now()),
        survey: s,
        invitations,
        mine,
    })
}

/// The end of `day` in the company's zone (its last second, 23:59:59, so it reads as that day).
fn end_of(day: NaiveDate) -> DateTime<Utc> {
    let last = day.and_hms_opt(23, 59, 59).unwrap_or_default();
    COMPANY_ZONE
        .from_local_datetime(&last)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&last))
}

async fn round_notes(
    db: &Db,
    s: &Survey,
    partners: &[Uuid],
    kind: NotifyKind,
    invitations: &BTreeMap<Uuid, Uuid>,
) -> Result<Vec<NewNotification>> {
    let at = crate::notify::email_time(db, false).await?;
    let closes = s
        .closes_at
        .map(|c| {
            c.with_timezone(&COMPANY_ZONE)
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default();
    Ok(repo::partner_users(db, partners)
        .await?
        .into_iter()
        .map(|(user, partner, lang)| {
            let lang = lang
                .as_deref()
                .and_then(|l| Lang::parse(l).ok())
                .unwrap_or(Lang::ZhCn);
            NewNotification {
                user_id: user,
                kind,
                args: json!({
                    "title": rules::pick(&s.title, lang),
                    "closes": closes,
                    "invitation": invitations.get(&partner).map(|i| i.to_string()),
                }),
                link: format!("/portal/surveys/{}", s.id),
                urgent: false,
                email_at: Some(at),
            }
        })
        .collect())
}

/// §6.2.1 (issue 16 item 2: surveys reach every invited partner): the e-mails to the contacts
/// of those invited partners that have no active portal user, one per contact with an address,
/// carrying the invitation's one-click link, at the company's working hours. A partner with
/// portal users hears through them (the bell and the `notify` e-mail), so its contacts are
/// not mailed as well: one answer per partner is asked for, and one invitation per person is
/// enough. Not through the request ledger (`deliveries`): a survey invitation is not a notice,
/// would count in F1/F2 and the partner's inbox, and its link differs per partner. Robots
/// (group chats) are not posted to: a link there would let anyone in the group answer.
async fn contact_mails(
    db: &Db,
    invitations: &BTreeMap<Uuid, Uuid>,
    reminder: bool,
) -> Result<Vec<SurveyMail>> {
    let at = crate::notify::email_time(db, false).await?;
    let partners: Vec<Uuid> = invitations.keys().copied().collect();
    Ok(repo::contacts_without_users(db, &partners)
        .await?
        .into_iter()
        .filter_map(|(contact, partner)| {
            invitations.get(&partner).map(|i| SurveyMail {
                invitation: *i,
                contact,
                reminder,
                at,
            })
        })
        .collect())
}

/// Begins round `round` now: invitations for the partners the audience names today, their
/// users told (bell and e-mail with the one-click link).
async fn start_round(
    db: &Db,
    s: &Survey,
    actor: Option<Uuid>,
    round: i64,
    days_open: i64,
) -> Result<Survey> {
    let now = db.now();
    let partners = repo::resolve_partners(db, &s.audience).await?;
    if partners.is_empty() {
        return Err(Error::invalid("audience", Msg::new("survey.nobody")));
    }
    let closes_at = if round == 1 {
        end_of(s.closes_on)
    } else {
        end_of(now.with_timezone(&COMPANY_ZONE).date_naive() + Duration::days(days_open - 1))
    };
    let mut planned = s.clone();
    planned.closes_at = Some(closes_at);
    // The notifications name the invitation (for the e-mail's one-click link), so the ids
    // are chosen here: the repository writes them in the same transaction.
    let ids: BTreeMap<Uuid, Uuid> = partners.iter().map(|p| (*p, Uuid::now_v7())).collect();
    let notes = round_notes(db, &planned, &partners, NotifyKind::SurveyInvited, &ids).await?;
    let mails = contact_mails(db, &ids, false).await?;
    let invitations: Vec<(Uuid, Uuid)> = ids.into_iter().collect();
    Ok(repo::begin_round(
        db,
        s,
        NewRound {
            actor,
            round,
            started_at: now,
            closes_at,
            days_open,
            invitations: &invitations,
            notes: &notes,
            mails: &mails,
        },
    )
    .await?)
}

/// Sends a draft: its first round begins and stays open until the end of its closing day.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, survey = %id))]
pub async fn send(db: &Db, actor: &Actor, id: Uuid) -> Result<Survey> {
    authorize(actor, Permission::WriteSurveys, &Object::default())?;
    let s = repo::find_survey(db, id).await?;
    if s.state != SurveyState::Draft {
        return Err(Error::Conflict("the survey was already sent".into()));
    }
    let today = db.now().with_timezone(&COMPANY_ZONE).date_naive();
    if s.closes_on < today {
        return Err(Error::invalid("closes_on", Msg::new("survey.closes_past")));
    }
    let days_open = (s.closes_on - today).num_days() + 1;
    start_round(db, &s, Some(actor.user_id), 1, days_open).await
}

/// Closes a survey for good.
#[tracing::instrument(skip_all, fields(user = %actor.user_id, survey = %id))]
pub async fn close(db: &Db, actor: &Actor, id: Uuid) -> Result<Survey> {
    authorize(actor, Permission::WriteSurveys, &Object::default())?;
    let s = repo::find_survey(db, id).await?;
    if s.state != SurveyState::Open {
        return Err(Error::Conflict("only an open survey can be closed".into()));
    }
    Ok(repo::close_survey(db, &s, Some(actor.user_id)).await?)
}

/// An answer as sent: question key → value (a number, a choice's index or a list of them,
/// a text). Staff entering a phone interview name the partner.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerInput {
    pub answers: BTreeMap<String, serde_json::Value>,
    /// Phone interviews (staff): the partner answering.
    pub partner_id: Option<Uuid>,
}

fn check_open(s: &Survey, now: DateTime<Utc>) -> Result<()> {
    if open_now(s, now) {
        Ok(())
    } else if s.state == SurveyState::Closed {
        Err(Error::Gone("the survey is closed".into()))
    } else {
        Err(Error::Conflict(
            "this round of the survey is closed: the next one will be sent to you".into(),
        ))
    }
}

async fn record(
    db: &Db,
    s: &Survey,
    inv: &Invitation,
    input: &AnswerInput,
    via: AnswerVia,
    entered_by: Option<Uuid>,
    actor: Option<Uuid>,
) -> Result<()> {
    check_open(s, db.now())?;
    if inv.answered && s.anonymous {
        return Err(Error::Conflict(
            "this survey was already answered for your company".into(),
        ));
    }
    let answer = rules::check_answer(&s.questions, &input.answers).map_err(Error::Invalid)?;
    Ok(repo::record_answer(
        db,
        NewAnswer {
            survey: s,
            invitation: inv,
            answer: &answer,
            via,
            entered_by,
            actor,
        },
    )
    .await?)
}

/// Answers the current round: a partner user for its partner (`via` portal or API), or staff
/// typing in a phone interview for the partner named (named surveys only).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, survey = %id))]
pub async fn answer(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &AnswerInput,
    via: AnswerVia,
) -> Result<()> {
    let s = visible(db, actor, id).await?;
    if actor.is_partner() {
        authorize(actor, Permission::AnswerSurveys, &Object::default())?;
        if input.partner_id.is_some() {
            return Err(Error::invalid(
                "partner_id",
                Msg::new("survey.partner_staff_only"),
            ));
        }
        let p = actor.scope().partner().ok_or(Error::NotFound)?;
        let inv = repo::invitation_for(db, id, s.round, p)
            .await?
            .ok_or_else(|| Error::Conflict("your company is not invited to this round".into()))?;
        return record(db, &s, &inv, input, via, None, Some(actor.user_id)).await;
    }
    authorize(actor, Permission::WriteSurveys, &Object::default())?;
    if s.anonymous {
        return Err(Error::Denied(
            "an anonymous survey cannot be answered on a partner's behalf: phone interviews are for named surveys".into(),
        ));
    }
    let Some(p) = input.partner_id else {
        return Err(Error::invalid("partner_id", Msg::new("validate.required")));
    };
    let Some(inv) = repo::invitation_for(db, id, s.round, p).await? else {
        return Err(Error::invalid("partner_id", Msg::new("survey.not_invited")));
    };
    record(
        db,
        &s,
        &inv,
        input,
        AnswerVia::Phone,
        Some(actor.user_id),
        Some(actor.user_id),
    )
    .await
}

/// The one-click link's token for `invitation` (valid until a week after its round closes).
pub async fn link_token(db: &Db, invitation: Uuid) -> Result<String> {
    let inv = repo::find_invitation(db, invitation).await?;
    let s = repo::find_survey(db, inv.survey_id).await?;
    let until = s.closes_at.unwrap_or_else(|| db.now()) + Duration::days(7);
    Ok(liaison_db::link::sign_survey(
        db.cipher()?,
        invitation,
        until,
    ))
}

/// What the one-click link shows: the survey, the invitation and (named) the answer given.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub survey: Survey,
    pub invitation: Invitation,
    pub answer: Option<StoredAnswer>,
    pub may_answer: bool,
}

/// Reads a one-click link; with `input`, records the answer (for people not logged in).
#[tracing::instrument(skip_all)]
pub async fn by_link(db: &Db, token: &str, input: Option<&AnswerInput>) -> Result<LinkView> {
    let id =
        liaison_db::link::verify_survey(db.cipher()?, token, db.now()).map_err(|e| match e {
            liaison_db::link::LinkError::Expired => Error::Gone(
                "this survey link has expired: answer in the partner portal instead".into(),
            ),
            liaison_db::link::LinkError::Invalid => Error::NotFound,
        })?;
    let mut invitation = repo::find_invitation(db, id).await?;
    let mut survey = repo::find_survey(db, invitation.survey_id).await?;
    scrub(&mut survey);
    if invitation.round != survey.round {
        return Err(Error::Gone(
            "this link was for an earlier round of the survey".into(),
        ));
    }
    if let Some(input) = input {
        if input.partner_id.is_some() {
            return Err(Error::invalid(
                "partner_id",
                Msg::new("survey.partner_staff_only"),
            ));
        }
        record(db, &survey, &invitation, input, AnswerVia::Link, None, None).await?;
        invitation = repo::find_invitation(db, id).await?;
    }
    let answer = if survey.anonymous {
        None
    } else {
        repo::answer_of(db, survey.id, survey.round, invitation.partner_id).await?
    };
    let may_answer = open_now(&survey, db.now()) && (!invitation.answered || !survey.anonymous);
    Ok(LinkView {
        survey,
        invitation,
        answer,
        may_answer,
    })
}

/// A round's results.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub survey_id: Uuid,
    pub round: i64,
    pub period: Option<String>,
    pub invited: i64,
    pub answered: i64,
    /// answered ÷ invited, 0..1 (`None` with nobody invited).
    pub response_rate: Option<f64>,
    /// An anonymous survey with fewer than five answers: nothing is shown but the counts.
    pub withheld: bool,
    pub min_answers: usize,
    pub questions: Vec<QuestionResult>,
}

/// Adds up a round's answers (the current one unless `round` is given). An anonymous survey's
/// results are withheld below five answers (§6.2.1); a partner user sees none (403 for one
/// invited, 404 otherwise).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, survey = %id))]
pub async fn results(db: &Db, actor: &Actor, id: Uuid, round: Option<i64>) -> Result<Results> {
    let s = visible(db, actor, id).await?;
    authorize(actor, Permission::ReadSurveyResults, &Object::default())?;
    let round = match round {
        Some(r) if r < 1 || r > s.round.max(1) => {
            return Err(Error::invalid(
                "round",
                Msg::new("validate.number_range")
                    .arg("min", 1)
                    .arg("max", s.round.max(1)),
            ));
        }
        Some(r) => r,
        None => s.round.max(1),
    };
    let (invited, answered) = repo::response_count(db, id, round).await?;
    let stored = repo::answers(db, id, Some(round)).await?;
    let withheld = rules::withheld(s.anonymous, stored.len());
    let answers: Vec<rules::Answer> = stored.into_iter().map(|a| a.answer).collect();
    let questions = if withheld {
        Vec::new()
    } else {
        rules::aggregate(&s.questions, &answers)
    };
    Ok(Results {
        survey_id: id,
        round,
        period: period_of(&s),
        invited,
        answered,
        response_rate: (invited > 0)
            .then(|| (answered as f64 / invited as f64 * 1000.0).round() / 1000.0),
        withheld,
        min_answers: rules::MIN_ANONYMOUS,
        questions,
    })
}

/// The answers as a table (one row per answer, one column per question; an anonymous
/// survey's without any partner column, and only from five answers up in its round).
#[tracing::instrument(skip_all, fields(user = %actor.user_id, survey = %id))]
pub async fn export_rows(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    lang: Lang,
) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let s = visible(db, actor, id).await?;
    authorize(actor, Permission::ReadSurveyResults, &Object::default())?;
    let stored = repo::answers(db, id, None).await?;
    let t = |k: &str| liaison_i18n::t(lang, k).to_string();
    let mut headers = vec![t("survey.col.round"), t("survey.col.day")];
    if !s.anonymous {
        headers.extend([
            t("survey.col.partner_code"),
            t("survey.col.partner"),
            t("survey.col.via"),
            t("survey.col.entered_by"),
        ]);
    }
    for q in &s.questions {
        headers.push(format!("{} {}", q.key, rules::pick(&q.text, lang)));
    }
    let mut per_round: BTreeMap<i64, usize> = BTreeMap::new();
    for a in &stored {
        *per_round.entry(a.round).or_default() += 1;
    }
    let mut rows = Vec::with_capacity(stored.len());
    for a in &stored {
        if rules::withheld(s.anonymous, per_round.get(&a.round).copied().unwrap_or(0)) {
            continue;
        }
        let mut row = vec![a.round.to_string(), a.answered_on.to_string()];
        if !s.anonymous {
            row.push(a.partner_code.clone().unwrap_or_default());
            row.push(a.partner_name.clone().unwrap_or_default());
            row.push(
                a.via
                    .map(|v| t(&format!("survey.via.{}", v.as_str())))
                    .unwrap_or_default(),
            );
            row.push(a.entered_by_name.clone().unwrap_or_default());
        }
        for q in &s.questions {
            row.push(cell(q, &a.answer, lang));
        }
        rows.push(row);
    }
    Ok((headers, rows))
}

fn cell(q: &Question, a: &rules::Answer, lang: Lang) -> String {
    if let Some(t) = a.texts.get(&q.key) {
        return t.clone();
    }
    match a.values.get(&q.key) {
        Some(rules::Value::Number(n)) => n.to_string(),
        Some(rules::Value::Choices(cs)) => cs
            .iter()
            .filter_map(|c| q.choices.get(*c))
            .map(|c| rules::pick(c, lang).to_string())
            .collect::<Vec<_>>()
            .join("; "),
        Some(rules::Value::Text(t)) => t.clone(),
        None => String::new(),
    }
}

/// What the sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    pub closed: usize,
    pub rounds: usize,
    pub reminded: usize,
}

/// The worker's sweep: one-off surveys close after their closing time; a periodic survey's
/// next round begins when its period comes; those who have not answered are reminded once,
/// `remind_days` before a round closes.
#[tracing::instrument(skip_all)]
pub async fn sweep(db: &Db) -> Result<SweepReport> {
    let now = db.now();
    let mut report = SweepReport::default();
    for s in repo::list_open(db).await? {
        let Some(closes_at) = s.closes_at else {
            continue;
        };
        if now >= closes_at {
            if s.schedule == Schedule::Once {
                repo::close_survey(db, &s, None).await?;
                report.closed += 1;
                continue;
            }
            let started = s
                .round_started_at
                .unwrap_or(closes_at)
                .with_timezone(&COMPANY_ZONE)
                .date_naive();
            let next = rules::period(s.schedule, started).map(|(_, next)| next);
            let today = now.with_timezone(&COMPANY_ZONE).date_naive();
            if next.is_some_and(|n| today >= n) {
                let days = s.days_open.unwrap_or(14).max(1);
                match start_round(db, &s, None, s.round + 1, days).await {
                    Ok(_) => report.rounds += 1,
                    Err(Error::Invalid(_)) => {
                        tracing::warn!(survey = %s.id, "no partner left in the audience: no new round");
                    }
                    Err(e) => return Err(e),
                }
            }
            continue;
        }
        if rules::reminder_due(now, closes_at, s.remind_days) {
            let pending: Vec<Invitation> = repo::list_invitations(db, s.id, s.round)
                .await?
                .into_iter()
                .filter(|i| !i.answered && i.reminded_at.is_none())
                .collect();
            if pending.is_empty() {
                continue;
            }
            let partners: Vec<Uuid> = pending.iter().map(|i| i.partner_id).collect();
            let ids: BTreeMap<Uuid, Uuid> = pending.iter().map(|i| (i.partner_id, i.id)).collect();
            let notes = round_notes(db, &s, &partners, NotifyKind::SurveyReminder, &ids).await?;
            let mails = contact_mails(db, &ids, true).await?;
            let inv_ids: Vec<Uuid> = pending.iter().map(|i| i.id).collect();
            repo::remind(db, s.id, s.round, &inv_ids, &notes, &mails).await?;
            report.reminded += pending.len();
        }
    }
    Ok(report)
}

/// The open rounds a partner user's partner has not answered (home page and portal).
pub async fn to_answer(db: &Db, actor: &Actor) -> Result<Vec<(Survey, Invitation)>> {
    authorize(actor, Permission::ReadSurveys, &Object::default())?;
    let Some(p) = actor.scope().partner() else {
        return Ok(Vec::new());
    };
    let mut rows = repo::to_answer(db, p).await?;
    rows.iter_mut().for_each(|(s, _)| scrub(s));
    Ok(rows)
}

/// The day an anonymous answer is stored under (and nothing finer).
pub fn day_of(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&COMPANY_ZONE).date_naive()
}

/// The answers as a CSV or XLSX file (see [`export_rows`]): its name and bytes.
pub async fn export(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    lang: Lang,
    xlsx: bool,
) -> Result<(String, Vec<u8>)> {
    let (headers, rows) = export_rows(db, actor, id, lang).await?;
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let day = day_of(db.now());
    if xlsx {
        let bytes = liaison_docs::write_xlsx("survey", &headers, &rows)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok((format!("survey-{day}.xlsx"), bytes))
    } else {
        Ok((
            format!("survey-{day}.csv"),
            liaison_docs::write_csv(&headers, &rows),
        ))
    }
}
