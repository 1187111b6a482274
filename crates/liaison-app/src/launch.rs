//! The launch calendar (policy §3.2.2, SPEC D5): planned launches per product; a partner user
//! sees the launches of products visible to it. The sweep drafts each launch's announcement
//! through the request form (category `product`, audience: the product's partners) on time,
//! owned by the launch's owner, and warns the owner when the notice date is near and nothing was
//! submitted. When is `liaison_core::product::launch_step`; the announcement then goes through
//! the review chain like any other communication (§4.1, §4.2).

pub use crate::Error;
use crate::Result;
use chrono::NaiveDate;
use liaison_core::notify::NotifyKind;
use liaison_core::product::{LaunchStep, launch_step, notice_date};
use liaison_core::request::{Audience, RequestInput};
use liaison_core::{Actor, Object, Permission, authorize};
use liaison_db::Db;
use liaison_db::launch::{self as repo, Launch, LaunchInput};
use liaison_db::notify::NewNotification;
use liaison_db::settings::LaunchSettings;
use serde_json::json;
use uuid::Uuid;

/// Launches between two days (inclusive) that `actor` may see.
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn list(
    db: &Db,
    actor: &Actor,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Launch>> {
    authorize(actor, Permission::ReadProducts, &Object::default())?;
    let mut out = Vec::new();
    for l in repo::list_launches(db, from, to).await? {
        if crate::product::may_see(db, actor, &l.visibility).await? {
            out.push(l);
        }
    }
    Ok(out)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, launch = %id))]
pub async fn show(db: &Db, actor: &Actor, id: Uuid) -> Result<Launch> {
    authorize(actor, Permission::ReadProducts, &Object::default())?;
    let l = repo::find_launch(db, id).await?;
    if !crate::product::may_see(db, actor, &l.visibility).await? {
        return Err(Error::NotFound);
    }
    Ok(l)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create(db: &Db, actor: &Actor, input: &LaunchInput) -> Result<Launch> {
    authorize(actor, Permission::WriteProducts, &Object::default())?;
    Ok(repo::insert_launch(db, actor.user_id, input).await?)
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, launch = %id))]
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    patch: &LaunchInput,
    version: Option<i64>,
) -> Result<Launch> {
    show(db, actor, id).await?;
    authorize(actor, Permission::WriteProducts, &Object::default())?;
    Ok(repo::update_launch(db, actor.user_id, id, patch, version).await?)
}

pub async fn settings(db: &Db, actor: &Actor) -> Result<LaunchSettings> {
    authorize(actor, Permission::ReadProducts, &Object::default())?;
    Ok(liaison_db::settings::launches(db).await?)
}

pub async fn update_settings(db: &Db, actor: &Actor, s: &LaunchSettings) -> Result<LaunchSettings> {
    authorize(actor, Permission::AdminUsers, &Object::default())?;
    Ok(liaison_db::settings::update_launches(db, actor.user_id, s).await?)
}

/// The day partners must be told by (§3.2.2), for the calendar pages.
pub fn notice_day(l: &Launch, s: &LaunchSettings) -> NaiveDate {
    notice_date(l.launch_on, s.launch_notice_days)
}

/// An announcement that went into review (or further) counts as submitted.
fn submitted(l: &Launch) -> bool {
    !matches!(
        l.request_state.as_deref(),
        None | Some("draft") | Some("returned") | Some("withdrawn")
    )
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub drafted: usize,
    pub warned: usize,
}

/// §3.2.2: drafts due announcements and warns owners whose notice date is near. Run by the
/// worker's sweeps; safe to run on several workers at once (a launch is claimed).
#[tracing::instrument(skip_all)]
pub async fn sweep(db: &Db) -> Result<SweepReport> {
    let days = liaison_db::settings::launches(db).await?.launch_notice_days;
    let today = db
        .now()
        .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
        .date_naive();
    let mut report = SweepReport::default();
    for l in repo::list_open_launches(db, today).await? {
        let step = launch_step(
            today,
            l.launch_on,
            days,
            l.drafted_at.is_some(),
            submitted(&l),
            l.warned_at.is_some(),
        );
        match step {
            Some(LaunchStep::Draft) => report.drafted += usize::from(draft(db, &l, days).await?),
            Some(LaunchStep::Warn) => report.warned += usize::from(warn(db, &l, days).await?),
            None => {}
        }
    }
    Ok(report)
}

/// The largest audience a request form takes by partner (larger ones use segments).
const MAX_AUDIENCE: usize = 10_000;

async fn draft(db: &Db, l: &Launch, days: i64) -> Result<bool> {
    if !repo::claim_draft(db, l.id).await? {
        return Ok(false);
    }
    match draft_claimed(db, l, days).await {
        Ok(()) => Ok(true),
        Err(e) => {
            repo::release_draft(db, l.id).await?;
            Err(e)
        }
    }
}

async fn draft_claimed(db: &Db, l: &Launch, days: i64) -> Result<()> {
    let owner = liaison_db::user::find_user(db, l.owner_id)
        .await?
        .ok_or(Error::NotFound)?;
    let product = liaison_db::product::find_product(db, l.product_id).await?;
    // A product shown to some segments only is announced to those segments; otherwise to its
    // partners one by one.
    let v = &product.visibility;
    let audience = if v.kinds.is_empty() && v.tiers.is_empty() && !v.segments.is_empty() {
        Audience {
            segments: v.segments.clone(),
            ..Default::default()
        }
    } else {
        let partners = crate::product::visible_partners(db, v).await?;
        Audience {
            partners: if partners.len() <= MAX_AUDIENCE {
                partners
            } else {
                Vec::new()
            },
            ..Default::default()
        }
    };
    let notice = notice_date(l.launch_on, days);
    let body = format!(
        "## {name} {en}\n\n{title}: **{on}**\n\n{features}\n\n{notes}",
        name = product.name_zh,
        en = product.name_en,
        title = l.title,
        on = l.launch_on,
        features = product.features,
        notes = l.notes,
    );
    let input = RequestInput {
        title: Some(format!(
            "新品上市预告 {} · {}",
            product.name_zh, l.launch_on
        )),
        purpose: Some(format!(
            "§3.2.2 新品上市计划通知：{} 于 {} 上市，请于 {} 前告知伙伴。",
            product.code, l.launch_on, notice
        )),
        body: Some(body),
        category: Some("product".into()),
        audience: Some(audience),
        ..Default::default()
    };
    let r = crate::request::create(db, &owner.actor(), &input).await?;
    let at = crate::notify::email_time(db, false).await?;
    let note = NewNotification {
        user_id: owner.id,
        kind: NotifyKind::LaunchDrafted,
        args: json!({"product": product.name_zh, "date": l.launch_on.to_string(), "notice": notice.to_string()}),
        link: format!("/console/requests/{}", r.id),
        urgent: false,
        email_at: Some(at),
    };
    repo::record_draft(db, l.id, r.id, &[note]).await?;
    Ok(())
}

async fn warn(db: &Db, l: &Launch, days: i64) -> Result<bool> {
    let notice = notice_date(l.launch_on, days);
    let link = match l.request_id {
        Some(r) => format!("/console/requests/{r}"),
        None => format!("/console/launches?month={}", l.launch_on.format("%Y-%m")),
    };
    let at = crate::notify::email_time(db, true).await?;
    let note = NewNotification {
        user_id: l.owner_id,
        kind: NotifyKind::LaunchNoticeAtRisk,
        args: json!({"product": l.product_name, "date": l.launch_on.to_string(), "notice": notice.to_string()}),
        link,
        urgent: true,
        email_at: Some(at),
    };
    Ok(repo::record_warning(db, l.id, &[note]).await?)
}

/// The launch calendar as an iCalendar feed (§3.2.2): every launch `actor` may see, from 90
/// days back, as all-day events (a partner user only its products' launches).
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn ics(db: &Db, actor: &Actor, lang: liaison_core::partner::Lang) -> Result<String> {
    use liaison_docs::ics::{IcsEvent, write_ics};
    let today = db
        .now()
        .with_timezone(&liaison_core::calendar::COMPANY_ZONE)
        .date_naive();
    let launches = list(db, actor, Some(today - chrono::Duration::days(90)), None).await?;
    let events: Vec<IcsEvent> = launches
        .iter()
        .map(|l| IcsEvent {
            uid: format!("{}@liaison", l.id),
            stamp: l.updated_at.format("%Y%m%dT%H%M%SZ").to_string(),
            day: l.launch_on.format("%Y%m%d").to_string(),
            next_day: (l.launch_on + chrono::Duration::days(1))
                .format("%Y%m%d")
                .to_string(),
            summary: format!("{} · {}", l.title, l.product_name),
            description: format!("{} {}\n{}", l.product_code, l.product_name, l.notes)
                .trim()
                .to_string(),
            categories: vec![liaison_i18n::t(lang, "launch.calendar").to_string()],
        })
        .collect();
    Ok(write_ics(liaison_i18n::t(lang, "launch.calendar"), &events))
}
