//! Channel sends: each leased delivery is planned (held for working hours, skipped, failed, or
//! sent) and sent by e-mail, robot or the local sink, `concurrency` at a time within its lease.

use crate::record::{delivery_outcome, later};
use crate::{Transport, Worker, db_error};
use chrono::{DateTime, Utc};
use liaison_channels::email::Mailer;
use liaison_channels::robot::{Robot, RobotClient, RobotKind};
use liaison_channels::{Notice, NoticeKind, SendError};
use liaison_core::calendar::{self, Calendar};
use liaison_core::partner::{Lang, WorkingHours};
use liaison_core::rate::RateWait;
use liaison_db::delivery::{self, Claimed, MessageInfo, Outcome, Recipient};
use liaison_db::robot::RobotTarget;
use liaison_db::{Db, DbError};
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

impl Worker {
    async fn calendar(&self) -> anyhow::Result<Arc<Calendar>> {
        if let Ok(guard) = self.calendar.lock()
            && let Some((at, cal)) = guard.as_ref()
            && at.elapsed() < Duration::from_secs(60)
        {
            return Ok(cal.clone());
        }
        let cal = Arc::new(
            liaison_db::calendar::load(&self.db)
                .await
                .map_err(db_error)?,
        );
        if let Ok(mut guard) = self.calendar.lock() {
            *guard = Some((Instant::now(), cal.clone()));
        }
        Ok(cal)
    }

    pub(crate) async fn messages_for(
        &self,
        ids: &[Uuid],
    ) -> anyhow::Result<HashMap<Uuid, Arc<MessageInfo>>> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        if let Ok(cache) = self.messages.lock() {
            for id in ids {
                match cache.get(id) {
                    Some(m) => {
                        out.insert(*id, m.clone());
                    }
                    None => missing.push(*id),
                }
            }
        }
        if !missing.is_empty() {
            let found = delivery::messages(&self.db, &missing)
                .await
                .map_err(db_error)?;
            if let Ok(mut cache) = self.messages.lock() {
                // Frozen messages never change; the cache only needs a bound.
                if cache.len() > 1000 {
                    cache.clear();
                }
                for m in found {
                    let m = Arc::new(m);
                    cache.insert(m.id, m.clone());
                    out.insert(m.id, m);
                }
            }
        }
        Ok(out)
    }

    /// Decides and performs the send of each leased delivery.
    pub(crate) async fn process(
        &self,
        claimed: Vec<Claimed>,
        claimed_at: Instant,
    ) -> anyhow::Result<Vec<(Claimed, Outcome)>> {
        let t_start = Instant::now();
        let now = self.db.now();
        let mut message_ids: Vec<Uuid> = claimed.iter().map(|c| c.message_id).collect();
        message_ids.sort_unstable();
        message_ids.dedup();
        let messages = self.messages_for(&message_ids).await?;
        let contacts: Vec<Uuid> = claimed.iter().map(|c| c.contact_id).collect();
        let recipients: HashMap<Uuid, Recipient> = delivery::recipients(&self.db, &contacts)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|r| (r.contact_id, r))
            .collect();
        let mut robot_partners: Vec<Uuid> = claimed
            .iter()
            .filter(|c| RobotKind::parse(&c.channel).is_ok())
            .map(|c| c.partner_id)
            .collect();
        robot_partners.sort_unstable();
        robot_partners.dedup();
        let robots: Vec<RobotTarget> = if robot_partners.is_empty() {
            Vec::new()
        } else {
            liaison_db::robot::targets(&self.db, &robot_partners)
                .await
                .map_err(db_error)?
        };
        let calendar = self.calendar().await?;
        let t_loaded = Instant::now();

        let mut results: Vec<(Claimed, Outcome)> = Vec::with_capacity(claimed.len());
        let mut sends: Vec<(Claimed, Send)> = Vec::new();
        for c in claimed {
            let plan = self.plan(&c, now, &messages, &recipients, &robots, &calendar);
            match plan {
                Plan::Done(o) => results.push((c, o)),
                Plan::Send(s) => sends.push((c, *s)),
            }
        }
        let t_planned = Instant::now();
        results.extend(self.perform(sends, claimed_at).await);
        tracing::trace!(
            load_ms = (t_loaded - t_start).as_secs_f64() * 1e3,
            plan_ms = (t_planned - t_loaded).as_secs_f64() * 1e3,
            perform_ms = t_planned.elapsed().as_secs_f64() * 1e3,
            "batch processed"
        );
        Ok(results)
    }

    fn plan(
        &self,
        c: &Claimed,
        now: DateTime<Utc>,
        messages: &HashMap<Uuid, Arc<MessageInfo>>,
        recipients: &HashMap<Uuid, Recipient>,
        robots: &[RobotTarget],
        calendar: &Calendar,
    ) -> Plan {
        let fail = |e: &str| {
            Plan::Done(Outcome::Failed {
                error: e.into(),
                permanent: true,
            })
        };
        let reminder = !c.is_first_send();
        if reminder && c.acked {
            return Plan::Done(Outcome::Skip);
        }
        let Some(m) = messages.get(&c.message_id) else {
            return fail("the message no longer exists");
        };
        let Some(r) = recipients.get(&c.contact_id) else {
            return fail("the contact no longer exists");
        };
        // §5.3.2: non-urgent messages wait for the recipient's working hours.
        if m.urgency != "urgent" {
            let tz: chrono_tz::Tz = r.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
            let hours = working_hours(&r.working_days, &r.working_hours);
            let none = Calendar::default();
            let cal = if calendar::calendar_applies(tz) {
                calendar
            } else {
                &none
            };
            let at = calendar::send_time(now, tz, &hours, cal, false);
            if at > now {
                return Plan::Done(Outcome::Hold { until: at });
            }
        }
        let lang = Lang::parse(&r.lang).unwrap_or(Lang::ZhCn);
        let base = self.config.public_url.trim_end_matches('/');
        // A partner that has confirmed meanwhile (in the portal) is not asked again.
        let ask = m.ack_required && !c.acked;
        let confirm_url = match (ask, self.db.cipher()) {
            (true, Ok(cipher)) => {
                let exp = liaison_db::link::expiry(now, m.ack_due_at);
                Some(format!(
                    "{base}/ack/{}",
                    liaison_db::link::sign(cipher, c.id, exp)
                ))
            }
            _ => None,
        };
        let sequence = if reminder {
            u32::try_from(c.reminders + 1).unwrap_or(u32::MAX)
        } else {
            0
        };
        let notice = Notice {
            delivery_id: c.id,
            message_id: m.id,
            kind: if reminder {
                NoticeKind::Reminder
            } else {
                NoticeKind::Message
            },
            lang,
            sender: m.sender.clone(),
            // §7.2.1: nothing of a confidential message leaves the portal, not even its
            // title (group chats are not covered by the contact's NDA).
            title: if m.body.is_none() {
                confidential_title(lang, &m.sender)
            } else {
                m.title.clone()
            },
            body: m.body.clone(),
            importance: m.importance.clone(),
            urgency: m.urgency.clone(),
            classification: m.classification.clone(),
            ack_required: ask,
            ack_due_at: m.ack_due_at,
            view_url: format!("{base}/portal/inbox/{}", m.id),
            confirm_url,
            sequence,
            // A partner may answer a notice by e-mail: it lands in the message's thread.
            reply_to: (c.channel == "email")
                .then(|| self.reply_to(liaison_db::link::ReplyTarget::Delivery(c.id)))
                .flatten(),
        };
        if let Transport::Sink(_) = self.transport {
            return Plan::Send(Box::new(Send::Sink(notice, c.channel.clone())));
        }
        match c.channel.as_str() {
            "email" => match &r.email {
                Some(addr) if !addr.trim().is_empty() => Plan::Send(Box::new(Send::Email {
                    name: r.name.clone(),
                    addr: addr.clone(),
                    notice,
                })),
                _ => fail("the contact has no e-mail address"),
            },
            "phone" => fail("phone calls are made and logged by staff; nothing is sent"),
            ch => {
                let Ok(kind) = RobotKind::parse(ch) else {
                    return fail(&format!("no sender for channel {ch}"));
                };
                // The contact's own robot, else the partner's group robot of that platform.
                let target = robots
                    .iter()
                    .find(|t| t.kind == ch && t.contact_id == Some(c.contact_id))
                    .or_else(|| {
                        robots.iter().find(|t| {
                            t.kind == ch && t.contact_id.is_none() && t.partner_id == c.partner_id
                        })
                    });
                match target {
                    Some(t) if t.unreadable.is_some() => fail(
                        t.unreadable
                            .as_deref()
                            .unwrap_or("the robot cannot be read"),
                    ),
                    Some(t) => Plan::Send(Box::new(Send::Robot(
                        Robot {
                            id: t.id,
                            kind,
                            url: t.url.clone(),
                            secret: t.secret.clone(),
                        },
                        notice,
                    ))),
                    None => fail(&format!(
                        "no {ch} robot is set up for this contact or its partner"
                    )),
                }
            }
        }
    }

    /// Performs the sends, `concurrency` at a time.
    async fn perform(
        &self,
        sends: Vec<(Claimed, Send)>,
        claimed_at: Instant,
    ) -> Vec<(Claimed, Outcome)> {
        let mut out = Vec::with_capacity(sends.len());
        if let Transport::Sink(file) = &self.transport {
            let mut buf = String::with_capacity(sends.len() * 48);
            for (c, s) in &sends {
                if let Send::Sink(n, ch) = s {
                    buf.push_str(&format!("{} {ch} {}\n", n.delivery_id, n.sequence));
                } else {
                    buf.push_str(&format!("{} {}\n", c.id, c.channel));
                }
            }
            let written = file
                .lock()
                .map_err(|_| "sink poisoned".to_string())
                .and_then(|mut f| {
                    f.write_all(buf.as_bytes())
                        .and_then(|_| f.flush())
                        .map_err(|e| e.to_string())
                });
            for (c, _) in sends {
                let o = match &written {
                    Ok(()) => Outcome::Sent {
                        target: Some("sink".into()),
                    },
                    Err(e) => Outcome::Failed {
                        error: format!("sink: {e}"),
                        permanent: false,
                    },
                };
                out.push((c, o));
            }
            return out;
        }
        let Transport::Live { mailer, robots } = &self.transport else {
            return out;
        };
        // A partner's group robot gets each message (and reminder) once, however many of its
        // contacts are addressed: the first delivery in the batch posts, the others share its
        // outcome; one posted in an earlier batch is done already.
        let mut followers: HashMap<(Uuid, Uuid, u32), Vec<Claimed>> = HashMap::new();
        let mut leaders: Vec<(Claimed, Send)> = Vec::with_capacity(sends.len());
        for (c, s) in sends {
            if let Send::Robot(robot, n) = &s {
                let key = (n.message_id, robot.id, n.sequence);
                let posted = self
                    .posted
                    .lock()
                    .map(|p| p.contains(&key))
                    .unwrap_or(false);
                if posted {
                    out.push((
                        c,
                        Outcome::Sent {
                            target: Some(format!("robot:{}", robot.id)),
                        },
                    ));
                    continue;
                }
                if let Some(f) = followers.get_mut(&key) {
                    f.push(c);
                    continue;
                }
                followers.insert(key, Vec::new());
            }
            leaders.push((c, s));
        }
        let mut set = tokio::task::JoinSet::new();
        let mut pending = leaders.into_iter();
        let mut in_flight = 0usize;
        // The batch must be recorded before its lease runs out and another worker may take
        // it over: sends start only in the first half of the lease, and each must end by
        // four fifths of it (an SMTP server that stalls after connecting would otherwise hold
        // the batch for ever); what has not started goes back to the queue.
        let lease = self
            .config
            .lease
            .to_std()
            .unwrap_or(Duration::from_secs(60));
        let start_by = claimed_at + lease / 2;
        let finish_by = claimed_at + lease * 4 / 5;
        // Robots found full (or paused by their platform) in this batch: the rest of their
        // deliveries wait without asking the database again.
        let throttled: Arc<Mutex<HashMap<Uuid, Waiting>>> = Arc::default();
        loop {
            while in_flight < self.config.concurrency.max(1) {
                if Instant::now() > start_by {
                    let now = self.db.now();
                    for (c, s) in pending.by_ref() {
                        if let Send::Robot(robot, n) = &s {
                            let key = (n.message_id, robot.id, n.sequence);
                            for f in followers.remove(&key).unwrap_or_default() {
                                out.push((
                                    f,
                                    Outcome::Later {
                                        at: now,
                                        wait: None,
                                    },
                                ));
                            }
                        }
                        out.push((
                            c,
                            Outcome::Later {
                                at: now,
                                wait: None,
                            },
                        ));
                    }
                    break;
                }
                let Some((c, s)) = pending.next() else { break };
                let key = match &s {
                    Send::Robot(robot, n) => Some((n.message_id, robot.id, n.sequence)),
                    _ => None,
                };
                let mailer = mailer.clone();
                let robots = robots.clone();
                let db = self.db.clone();
                let per_minute = self.config.robot_per_minute;
                let throttled = throttled.clone();
                let now = self.db.now();
                let limit = finish_by.saturating_duration_since(Instant::now());
                in_flight += 1;
                set.spawn(async move {
                    let send = send_one(
                        &db,
                        per_minute,
                        &throttled,
                        mailer.as_deref(),
                        &robots,
                        &s,
                        now,
                    );
                    let o = match tokio::time::timeout(limit, send).await {
                        Ok(o) => o,
                        Err(_) => Outcome::Failed {
                            error: format!(
                                "no answer within {} s; trying again",
                                limit.as_secs().max(1)
                            ),
                            permanent: false,
                        },
                    };
                    (c, o, key)
                });
            }
            if in_flight == 0 {
                break;
            }
            match set.join_next().await {
                Some(Ok((c, o, key))) => {
                    in_flight -= 1;
                    if let Some(key) = key {
                        if matches!(o, Outcome::Sent { .. })
                            && let Ok(mut p) = self.posted.lock()
                        {
                            if p.len() > 100_000 {
                                p.clear();
                            }
                            p.insert(key);
                        }
                        for f in followers.remove(&key).unwrap_or_default() {
                            out.push((f, o.clone()));
                        }
                    }
                    out.push((c, o));
                }
                Some(Err(e)) => {
                    // A panicked send: its deliveries stay leased and come back after the lease.
                    in_flight -= 1;
                    tracing::error!(error = %e, "a send task failed");
                }
                None => break,
            }
        }
        out
    }
}

/// The title e-mails and cards show for a confidential or secret message.
fn confidential_title(lang: Lang, sender: &str) -> String {
    match lang {
        Lang::ZhCn => format!("您有一条来自{sender}的保密消息"),
        Lang::ZhTw => format!("您有一則來自{sender}的保密訊息"),
        Lang::En => format!("A confidential message from {sender}"),
    }
}

fn working_hours(days: &str, hours: &str) -> WorkingHours {
    let default = WorkingHours::default();
    let days = WorkingHours::parse_days(days).unwrap_or(default.days.clone());
    let (start, end) = WorkingHours::parse_hours(hours).unwrap_or((default.start, default.end));
    WorkingHours { days, start, end }
}

enum Plan {
    Done(Outcome),
    Send(Box<Send>),
}

enum Send {
    Email {
        name: String,
        addr: String,
        notice: Notice,
    },
    Robot(Robot, Notice),
    Sink(Notice, String),
}

/// A robot that cannot be posted to before `until`, and how many more deliveries of this batch
/// were put behind it.
#[derive(Clone, Copy)]
struct Waiting {
    until: DateTime<Utc>,
    reason: RateWait,
    behind: u32,
}

impl Waiting {
    /// When the next delivery for the robot goes: with the first `per_minute` after the wait,
    /// the next `per_minute` a minute later, and so on (a robot's minute takes no more).
    fn next(&mut self, per_minute: u32) -> DateTime<Utc> {
        self.behind = self.behind.saturating_add(1);
        let minutes = self.behind / per_minute.max(1);
        self.until + chrono::Duration::minutes(i64::from(minutes))
    }
}

async fn send_one(
    db: &Db,
    per_minute: u32,
    throttled: &Mutex<HashMap<Uuid, Waiting>>,
    mailer: Option<&Mailer>,
    robots: &RobotClient,
    s: &Send,
    now: DateTime<Utc>,
) -> Outcome {
    let (r, target) = match s {
        Send::Email { name, addr, notice } => match mailer {
            Some(m) => (m.send(name, addr, notice).await, Some(addr.clone())),
            None => (
                Err(SendError::Permanent(
                    "e-mail is not configured: set LIAISON_SMTP_URL and LIAISON_SMTP_FROM, then retry"
                        .into(),
                )),
                None,
            ),
        },
        Send::Robot(robot, notice) => {
            let target = Some(format!("robot:{}", robot.id));
            let waiting = throttled
                .lock()
                .ok()
                .and_then(|mut t| t.get_mut(&robot.id).map(|w| (w.next(per_minute), w.reason)));
            if let Some((at, reason)) = waiting {
                return Outcome::Later {
                    at,
                    wait: Some(reason),
                };
            }
            // Refused at once if the URL is not allowed, before a slot is taken.
            if let Err(e) = liaison_channels::robot::validate_url(&robot.url) {
                let e = SendError::Permanent(format!("robot URL refused: {e}"));
                return delivery_outcome(Err(e), target, now);
            }
            // §2.1.2: the robot's sliding minute in the database, shared by every worker and
            // instance, so that the platform never sees more than `per_minute` in 60 s.
            let slot = match liaison_db::robot::take_send_slot(db, robot.id, per_minute).await {
                Ok(Ok(slot)) => slot,
                Ok(Err(w)) => {
                    let until = later(now, w.retry_after);
                    if let Ok(mut t) = throttled.lock() {
                        t.entry(robot.id).or_insert(Waiting {
                            until,
                            reason: w.reason,
                            behind: 0,
                        });
                    }
                    return Outcome::Later {
                        at: until,
                        wait: Some(w.reason),
                    };
                }
                Err(DbError::NotFound) => {
                    let e = SendError::Permanent("the robot was removed".into());
                    return delivery_outcome(Err(e), target, now);
                }
                Err(e) => {
                    let e = SendError::Transient(format!("rate limit: {e}"));
                    return delivery_outcome(Err(e), target, now);
                }
            };
            let r = robots.send(robot, notice).await;
            if let Err(e) = liaison_db::robot::finish_send(db, slot).await {
                // The slot keeps counting as in flight: later posts wait a little longer.
                tracing::warn!(robot = %robot.id, error = %e, "could not record the end of a post");
            }
            if let Err(SendError::Throttled { retry_after }) = &r {
                // The platform says "too fast" (DingTalk then blocks the robot for 10
                // minutes): nothing more goes to it before then, from any worker.
                let until = later(db.now(), *retry_after);
                if let Err(e) = liaison_db::robot::pause_robot(db, robot.id, until).await {
                    tracing::warn!(robot = %robot.id, error = %e, "could not pause the robot");
                }
                if let Ok(mut t) = throttled.lock() {
                    t.insert(
                        robot.id,
                        Waiting {
                            until,
                            reason: RateWait::Platform,
                            behind: 0,
                        },
                    );
                }
            }
            (r, target)
        }
        Send::Sink(..) => (Ok(()), Some("sink".into())),
    };
    delivery_outcome(r, target, now)
}
