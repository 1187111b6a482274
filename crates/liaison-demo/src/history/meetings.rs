//! The meetings story (issue 14; policy §2.1.3, §5.1, §5.3.1): the year's partner conference
//! held in April with its minutes; quarterly meetings with the distributors, one quarter
//! skipped (the cadence view shows it short) and the next one invited; a monthly work meeting
//! with the East China partners every month, each with minutes, decisions, attendance and
//! action items (p1's 刘洋 has one due soon and one overdue; others done), one invited late;
//! a product training held over video; a launch briefing ahead with answers coming in; an
//! ad hoc meeting cancelled. Invitations of the past are not mailed again (their jobs are
//! dropped) and the bells older than a week are read.
//!
//! It runs on its own clock, event by event in time order, once (its own audit marker).

use crate::Result;
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Shanghai;
use liaison_app::meetings::{
    self as app, ActionInput, AttendanceInput, MeetingInput, MinutesInput,
};
use liaison_core::meetings::{Rsvp, RsvpVia, TaskStatus};
use liaison_core::{Actor, Clock, FixedClock};
use liaison_db::audit::{self, Entry};
use liaison_db::meetings::Invitees;
use liaison_db::{Db, q};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

const MARKER: &str = "demo.meetings_history";

fn at(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    let local = d.and_hms_opt(h, m, 0).unwrap_or_default();
    Shanghai
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// The first Wednesday on or after the `day`th of `month`'s month.
fn wednesday(month: NaiveDate, day: u32) -> NaiveDate {
    let mut d = month.with_day(day).unwrap_or(month);
    while d.weekday() != Weekday::Wed {
        d += Duration::days(1);
    }
    d
}

/// One meeting of the story.
struct Spec {
    kind: &'static str,
    title: String,
    day: NaiveDate,
    start: (u32, u32),
    end: (u32, u32),
    place: Option<&'static str>,
    video: Option<&'static str>,
    agenda: &'static str,
    partners: Vec<Uuid>,
    users: Vec<Uuid>,
    /// Days before the meeting it was planned and invited.
    planned_ahead: i64,
    invited_ahead: i64,
    cancelled: bool,
    minutes: Option<(&'static str, Vec<&'static str>)>,
    actions: Vec<Action>,
}

struct Action {
    title: &'static str,
    owner: Owner,
    due_after_days: i64,
    /// Done this many days after the meeting (None: still open).
    done_after_days: Option<i64>,
}

enum Owner {
    Staff(Uuid),
    Contact(Uuid),
}

enum Step {
    Plan(usize),
    Invite(usize),
    Answer(usize),
    Minutes(usize),
    Cancel(usize),
    Done(Uuid),
}

/// Writes the meetings story unless it is there already. Needs the demo company (`load`).
pub async fn write(db: &Db) -> Result<bool> {
    let done: i64 = db
        .fetch_one(q("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(MARKER))
        .await?;
    if done > 0 || db.cipher().is_err() {
        return Ok(false);
    }
    let users = liaison_db::user::list_users(db).await?;
    let find = |email: &str| users.iter().find(|u| u.email == email);
    let (Some(channel), Some(staff), Some(p1)) = (
        find("channel@demo.example"),
        find("staff@demo.example"),
        find("p1@demo.example"),
    ) else {
        return Ok(false);
    };
    let chair: Actor = channel.actor();
    let Some(liu) = p1.contact_id else {
        return Ok(false);
    };
    let mut east = Vec::new();
    for c in ["SH-D001", "HZ-D008", "NJ-D009"] {
        east.extend(liaison_db::partner::resolve_partner_ref(db, c).await?);
    }
    let mut distributors = Vec::new();
    for c in [
        "SH-D001", "BJ-D002", "GZ-D003", "CD-D004", "WH-D005", "XA-D006", "SY-D007", "HZ-D008",
        "NJ-D009",
    ] {
        distributors.extend(liaison_db::partner::resolve_partner_ref(db, c).await?);
    }
    let everyone: Vec<Uuid> =
        liaison_db::partner::list_all_partners(db, liaison_core::Scope::All, &Default::default())
            .await?
            .into_iter()
            // The demo company's partners; load-test partners (`GEN-…`) are not its guests.
            .filter(|p| p.status == "active" && !p.code.starts_with("GEN-"))
            .map(|p| p.id)
            .collect();
    let hz_contact: Option<Uuid> = match east.get(1) {
        Some(hz) => liaison_db::partner::list_contacts(db, liaison_core::Scope::All, *hz)
            .await?
            .first()
            .map(|c| c.id),
        None => None,
    };

    let now = db.now();
    let today = now.with_timezone(&Shanghai).date_naive();
    let month_start = today.with_day(1).unwrap_or(today);
    let mut specs: Vec<Spec> = Vec::new();

    // The conference: the latest 22 April before today.
    let mut conf = NaiveDate::from_ymd_opt(today.year(), 4, 22).unwrap_or(today);
    if conf >= today {
        conf = NaiveDate::from_ymd_opt(today.year() - 1, 4, 22).unwrap_or(today);
    }
    specs.push(Spec {
        kind: "partner_conference",
        title: format!("{}年度合作伙伴大会", conf.year()),
        day: conf,
        start: (13, 30),
        end: (17, 30),
        place: Some("上海国际会议中心 5 楼宴会厅"),
        video: None,
        agenda: "1. 年度渠道政策发布\n2. 新品路线图（伺服、变频、PLC）\n3. 优秀伙伴颁奖\n4. 分区座谈",
        partners: everyone.clone(),
        users: vec![staff.id],
        planned_ahead: 60,
        invited_ahead: 40,
        cancelled: false,
        minutes: Some((
            "发布了年度渠道政策与返利方案；介绍伺服 SM300 与变频 VF300 的上市计划；表彰 5 家优秀伙伴。",
            vec!["年度返利按季度结算，次月 10 日前到账", "伺服 SM300 于三季度上市，先行伙伴可申请样机"],
        )),
        actions: vec![Action {
            title: "将大会纪要与政策文件发给全体伙伴",
            owner: Owner::Staff(staff.id),
            due_after_days: 7,
            done_after_days: Some(3),
        }],
    });

    // Quarterly meetings: the last four quarters' third Wednesday after the 10th of the
    // quarter's last month, the one before last skipped; the current quarter's invited.
    let quarter_start =
        NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(today);
    for back in 0..4u32 {
        let q_start = quarter_start
            .checked_sub_months(Months::new(3 * back))
            .unwrap_or(quarter_start);
        if back == 2 {
            continue;
        }
        let last_month = q_start
            .checked_add_months(Months::new(2))
            .unwrap_or(q_start);
        let day = wednesday(last_month, 14);
        let quarter = q_start.month0() / 3 + 1;
        specs.push(Spec {
            kind: "quarterly",
            title: format!("{}年第{}季度经销商会议", q_start.year(), quarter),
            day,
            start: (14, 0),
            end: (16, 30),
            place: Some("上海总部 3 楼大会议室"),
            video: Some("https://meeting.tencent.com/dm/liaison-quarterly"),
            agenda: "1. 本季度销售与库存回顾\n2. 下季度促销与备货\n3. 问题与建议",
            partners: distributors.clone(),
            users: vec![staff.id],
            planned_ahead: 30,
            invited_ahead: 21,
            cancelled: false,
            minutes: Some((
                "各经销商汇报了本季度销售与库存；确认下季度促销节奏。",
                vec!["下季度重点推广变频 VF220 系列"],
            )),
            actions: vec![Action {
                title: "汇总各经销商下季度备货需求",
                owner: Owner::Staff(staff.id),
                due_after_days: 10,
                done_after_days: Some(6),
            }],
        });
    }

    // Monthly work meetings with the East China partners: the eleven months before this one,
    // and this month's still to come (or held, late in the month).
    for back in 0..12u32 {
        let m = month_start
            .checked_sub_months(Months::new(back))
            .unwrap_or(month_start);
        let day = wednesday(m, 8);
        let mut actions = vec![Action {
            title: "更新华东区域促销物料与价格表",
            owner: Owner::Staff(staff.id),
            due_after_days: 7,
            done_after_days: Some(5),
        }];
        match back {
            1 => actions.push(Action {
                title: "提交下月重点客户备货计划",
                owner: Owner::Contact(liu),
                due_after_days: 25,
                done_after_days: None,
            }),
            2 => actions.push(Action {
                title: "反馈华东区域竞品价格变化",
                owner: Owner::Contact(liu),
                due_after_days: 14,
                done_after_days: None,
            }),
            3 => {
                if let Some(c) = hz_contact {
                    actions.push(Action {
                        title: "补充门店陈列照片",
                        owner: Owner::Contact(c),
                        due_after_days: 10,
                        done_after_days: Some(8),
                    });
                }
            }
            _ => {}
        }
        specs.push(Spec {
            kind: "monthly",
            title: format!("{}年{}月华东月度工作会议", m.year(), m.month()),
            day,
            start: (10, 0),
            end: (11, 30),
            place: Some("上海总部 2 楼会议室"),
            video: Some("https://meeting.tencent.com/dm/liaison-monthly"),
            agenda: "1. 上月销售回顾\n2. 本月促销安排\n3. 待办事项跟进",
            partners: east.clone(),
            users: vec![staff.id],
            planned_ahead: 14,
            // Six months ago the invitation went out late (§5.3.1).
            invited_ahead: if back == 6 { 3 } else { 8 },
            cancelled: false,
            minutes: Some((
                "回顾了上月华东销售与库存，确认本月促销与备货安排。",
                vec!["本月促销按方案执行，门店物料下周到位"],
            )),
            actions,
        });
    }

    // A product training over video last month, a launch briefing ahead, a cancelled meeting.
    let last_month = month_start
        .checked_sub_months(Months::new(1))
        .unwrap_or(month_start);
    specs.push(Spec {
        kind: "training",
        title: "伺服 SM 系列调试技术培训".into(),
        day: wednesday(last_month, 18),
        start: (14, 0),
        end: (16, 0),
        place: None,
        video: Some("https://meeting.tencent.com/dm/liaison-training"),
        agenda: "1. SM 系列参数整定\n2. 常见报警处理\n3. 答疑",
        partners: distributors.clone(),
        users: Vec::new(),
        planned_ahead: 20,
        invited_ahead: 14,
        cancelled: false,
        minutes: Some(("讲解了参数整定与报警处理，共 26 人参加。", Vec::new())),
        actions: Vec::new(),
    });
    specs.push(Spec {
        kind: "launch_briefing",
        title: "LX-SM300 新品发布说明会".into(),
        day: today + Duration::days(12),
        start: (15, 0),
        end: (16, 30),
        place: Some("上海总部 1 楼展厅"),
        video: Some("https://meeting.tencent.com/dm/liaison-launch"),
        agenda: "1. SM300 产品亮点\n2. 上市价格与政策\n3. 样机申请",
        partners: everyone.clone(),
        users: vec![staff.id],
        planned_ahead: 10,
        invited_ahead: 9,
        cancelled: false,
        minutes: None,
        actions: Vec::new(),
    });
    specs.push(Spec {
        kind: "ad_hoc",
        title: "华南物流延误问题沟通会".into(),
        day: today - Duration::days(20),
        start: (10, 0),
        end: (11, 0),
        place: None,
        video: Some("https://meeting.tencent.com/dm/liaison-adhoc"),
        agenda: "物流延误的原因与补救措施",
        partners: distributors.iter().skip(2).take(1).copied().collect(),
        users: Vec::new(),
        planned_ahead: 5,
        invited_ahead: 4,
        cancelled: true,
        minutes: None,
        actions: Vec::new(),
    });

    // The steps in time order.
    let mut steps: Vec<(DateTime<Utc>, Step)> = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let start = at(s.day, s.start.0, s.start.1);
        let plan = start - Duration::days(s.planned_ahead);
        let invite = start - Duration::days(s.invited_ahead);
        steps.push((plan.min(now - Duration::hours(2)), Step::Plan(i)));
        steps.push((invite.min(now - Duration::hours(1)), Step::Invite(i)));
        steps.push((
            (invite + Duration::days(1)).min(now - Duration::minutes(30)),
            Step::Answer(i),
        ));
        if s.cancelled {
            steps.push((
                (start - Duration::days(1)).min(now - Duration::minutes(20)),
                Step::Cancel(i),
            ));
        } else if s.minutes.is_some() && at(s.day, s.end.0, s.end.1) + Duration::hours(2) < now {
            steps.push((
                at(s.day, s.end.0, s.end.1) + Duration::hours(2),
                Step::Minutes(i),
            ));
        }
    }
    steps.sort_by_key(|(t, _)| *t);
    let first = steps.first().map_or(now, |(t, _)| *t) - Duration::minutes(5);
    let clock = Arc::new(FixedClock::new(first));
    let past = db.with_clock(clock.clone());
    let mut ids: Vec<Option<Uuid>> = vec![None; specs.len()];
    let mut queue = steps;
    let mut i = 0;
    while i < queue.len() {
        let (t, step) = (queue[i].0, &queue[i].1);
        let c = clock.now();
        if t > c {
            clock.advance(t - c);
        } else {
            clock.advance(Duration::seconds(30));
        }
        match step {
            Step::Plan(k) => {
                let s = &specs[*k];
                let input = MeetingInput {
                    kind: Some(s.kind.into()),
                    title: Some(s.title.clone()),
                    starts_at: Some(at(s.day, s.start.0, s.start.1).to_rfc3339()),
                    ends_at: Some(at(s.day, s.end.0, s.end.1).to_rfc3339()),
                    timezone: Some("Asia/Shanghai".into()),
                    place: s.place.map(str::to_string),
                    video_url: s.video.map(str::to_string),
                    agenda: Some(s.agenda.into()),
                    invitees: Some(Invitees {
                        partners: s.partners.clone(),
                        users: s.users.clone(),
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                ids[*k] = Some(app::create(&past, &chair, &input).await?.id);
            }
            Step::Invite(k) => {
                if let Some(id) = ids[*k] {
                    app::invite(&past, &chair, id).await?;
                }
            }
            Step::Answer(k) => {
                if let Some(id) = ids[*k] {
                    let people = liaison_db::meetings::list_attendees(&past, id, false).await?;
                    for (n, a) in people.iter().enumerate() {
                        let r = match n % 10 {
                            0..=5 => Rsvp::Accepted,
                            6 => Rsvp::Tentative,
                            7 => Rsvp::Declined,
                            _ => continue,
                        };
                        // p1 answers the meetings ahead itself in the portal.
                        if a.contact_id == Some(liu) && t > now - Duration::days(3) {
                            continue;
                        }
                        let via = if n % 3 == 0 {
                            RsvpVia::Email
                        } else {
                            RsvpVia::Link
                        };
                        liaison_db::meetings::set_response(&past, a, r, via, a.user_id).await?;
                    }
                }
            }
            Step::Cancel(k) => {
                if let Some(id) = ids[*k] {
                    app::cancel(&past, &chair, id).await?;
                }
            }
            Step::Minutes(k) => {
                let s = &specs[*k];
                let Some(id) = ids[*k] else {
                    i += 1;
                    continue;
                };
                let people = liaison_db::meetings::list_attendees(&past, id, false).await?;
                let (text, decisions) = s.minutes.clone().unwrap_or(("", Vec::new()));
                let actions: Vec<ActionInput> = s
                    .actions
                    .iter()
                    .map(|a| ActionInput {
                        title: a.title.into(),
                        owner_user_id: match a.owner {
                            Owner::Staff(u) => Some(u),
                            Owner::Contact(_) => None,
                        },
                        owner_contact_id: match a.owner {
                            Owner::Contact(c) => Some(c),
                            Owner::Staff(_) => None,
                        },
                        due_on: (s.day + Duration::days(a.due_after_days))
                            .format("%Y-%m-%d")
                            .to_string(),
                    })
                    .collect();
                app::record_minutes(
                    &past,
                    &chair,
                    id,
                    &MinutesInput {
                        minutes: Some(text.into()),
                        decisions: decisions.iter().map(|d| d.to_string()).collect(),
                        attendance: people
                            .iter()
                            .enumerate()
                            .map(|(n, a)| AttendanceInput {
                                attendee_id: Some(a.id),
                                attended: n % 10 < 8,
                            })
                            .collect(),
                        action_items: actions,
                    },
                )
                .await?;
                // Items done later join the queue at their moment.
                let tasks = liaison_db::meetings::list_tasks(
                    &past,
                    &liaison_db::meetings::TaskFilter {
                        meeting: Some(id),
                        ..Default::default()
                    },
                    100,
                )
                .await?;
                for a in &s.actions {
                    let (Some(after), Some(task)) =
                        (a.done_after_days, tasks.iter().find(|t| t.title == a.title))
                    else {
                        continue;
                    };
                    let when = at(s.day, 17, 0) + Duration::days(after);
                    if when < now {
                        let pos = queue.partition_point(|(x, _)| *x <= when).max(i + 1);
                        queue.insert(pos, (when, Step::Done(task.id)));
                    }
                }
            }
            Step::Done(task) => {
                let t = liaison_db::meetings::find_task(&past, *task).await?;
                let by = t.owner_user_id.unwrap_or(chair.user_id);
                let by = if t.owner_contact_id.is_some() {
                    p1.id
                } else {
                    by
                };
                liaison_db::meetings::set_task_status(&past, by, *task, TaskStatus::Done).await?;
            }
        }
        i += 1;
    }
    // The past's invitations and notices were mailed at the time; the bells older than a week
    // are read.
    let mut tx = db.begin().await?;
    tx.execute(q(
        "DELETE FROM jobs WHERE kind = 'invite' AND state = 'queued'",
    ))
    .await?;
    tx.execute(
        q("UPDATE notifications SET read_at = created_at WHERE read_at IS NULL AND created_at < $1
              AND kind IN ('meeting_invited', 'task_due', 'task_assigned', 'task_overdue', 'cadence_short')")
            .bind(now - Duration::days(7)),
    )
    .await?;
    tx.commit().await?;
    audit::record(
        db,
        Entry::new(None, MARKER, "demo", None, json!({"meetings": specs.len()})),
    )
    .await?;
    Ok(true)
}
