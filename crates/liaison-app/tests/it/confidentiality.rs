//! Confidentiality, completed (issue 15; policy §7.2.2, §7.3): need-to-know lists and access
//! requests, per-recipient marks and the leak trace, leak incidents and their containment.

use crate::{Cast, backends, count};
use liaison_app::Error;
use liaison_app::request as app;
use liaison_core::access::ItemKind;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_db::{Db, q};
use uuid::Uuid;

const NOTICE: &str = "各位合作伙伴：自2027年1月1日起，华东区一级经销商的结算价下调3%，返利方案同步调整。\
本方案仅限签署保密协议的合作伙伴知悉，请勿外传。新的月度目标与季度激励将于下周一的经销商大会上公布，\
请各位负责人准时出席。Product pricing for the VF220 series stays confidential until the public launch. \
如有疑问，请联系渠道管理部的刘经理。我们将在月底前完成系统切换，届时请使用新的价格表下单。";

async fn nda_for_p1(db: &Db, cast: &Cast) {
    let now = db.now();
    liaison_app::nda::record(
        db,
        &cast.channel,
        &liaison_db::nda::NdaInput {
            partner: Some(cast.p1.partner_id.expect("p1").to_string()),
            signed_at: Some(now - chrono::Duration::days(10)),
            expires_at: Some(now + chrono::Duration::days(365)),
            ..Default::default()
        },
    )
    .await
    .expect("nda");
}

async fn draft(db: &Db, cast: &Cast, classification: &str) -> liaison_db::request::Request {
    app::create(
        db,
        &cast.staff,
        &RequestInput {
            title: Some(format!("{classification}：华东结算价调整")),
            purpose: Some("告知核心伙伴".into()),
            body: Some(NOTICE.into()),
            classification: Some(classification.into()),
            audience: Some(Audience {
                partners: vec![cast.p1.partner_id.expect("p1")],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .expect("draft")
}

/// A confidential notice sent to p1's partner (with an NDA), reviewed by the head and channel
/// management.
async fn confidential_to_p1(db: &Db, cast: &Cast) -> liaison_db::request::Request {
    nda_for_p1(db, cast).await;
    let r = draft(db, cast, "confidential").await;
    app::submit(db, &cast.staff, r.id.into())
        .await
        .expect("submit");
    app::decide_with(db, &cast.head, r.id.into(), Decision::Approve, "", true)
        .await
        .expect("head");
    app::decide_with(db, &cast.channel, r.id.into(), Decision::Approve, "", true)
        .await
        .expect("channel")
}

async fn audited(db: &Db, action: &str, actor: Uuid, entity: Uuid) -> i64 {
    db.fetch_one::<i64>(
        q("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND actor_id = $2 AND entity_id = $3")
            .bind(action)
            .bind(actor)
            .bind(entity),
    )
    .await
    .expect("audit count")
}

/// §7.2.2: outside the circle an admin sees a confidential request's title only, asks, and
/// after the owner grants reads it whole; both reads are in the audit chain. A secret one is
/// not there at all for them.
#[tokio::test]
async fn outside_the_circle_only_the_title_until_the_owner_grants_access() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let r = confidential_to_p1(&db, &cast).await;
        // The requester and a reviewer read it whole.
        let own = app::load(&db, &cast.staff, r.id.into()).await.expect("own");
        assert!(
            !own.restricted && own.form.body.as_deref() == Some(NOTICE),
            "{name}"
        );
        assert!(
            !app::load(&db, &cast.channel, r.id.into())
                .await
                .expect("reviewer")
                .restricted
        );
        // The admin: title only, no attachments, and the read is recorded.
        let seen = app::load(&db, &cast.admin, r.id.into())
            .await
            .expect("title");
        assert!(seen.restricted, "{name}");
        assert_eq!(seen.title, r.title);
        assert_eq!(seen.form.body, None, "{name}: the body is withheld");
        assert!(seen.form.audience.is_none(), "{name}: the audience too");
        assert!(
            app::attachments(&db, &cast.admin, r.id.into())
                .await
                .expect("none")
                .is_empty()
        );
        // The page and its attachment list: two reads, each by title only.
        assert_eq!(
            audited(&db, "access.read_title", cast.admin.user_id, r.id).await,
            2
        );
        assert_eq!(
            audited(&db, "access.read", cast.admin.user_id, r.id).await,
            0
        );
        // Asking: p1 cannot (requests are company-internal), the staff owner is told.
        let e = liaison_app::access::ask(&db, &cast.p1, ItemKind::Request, r.id, "need it")
            .await
            .expect_err("partner");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let e = liaison_app::access::ask(&db, &cast.admin, ItemKind::Request, r.id, " ")
            .await
            .expect_err("no reason");
        assert!(matches!(e, Error::Invalid(_)), "{name}: {e:?}");
        let asked =
            liaison_app::access::ask(&db, &cast.admin, ItemKind::Request, r.id, "审计抽查需要")
                .await
                .expect("ask");
        let again =
            liaison_app::access::ask(&db, &cast.admin, ItemKind::Request, r.id, "再问一次").await;
        assert!(
            matches!(again, Err(Error::Conflict(_))),
            "{name}: one at a time"
        );
        let told = db
            .fetch_one::<i64>(
                q("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = 'access_requested'")
                    .bind(cast.staff.user_id),
            )
            .await
            .expect("told");
        assert_eq!(told, 1, "{name}");
        // Only the owner decides: the asker is refused, anyone else does not see it.
        let e = liaison_app::access::decide(&db, &cast.admin, asked.id, true, "")
            .await
            .expect_err("asker");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let e = liaison_app::access::decide(&db, &cast.exec, asked.id, true, "")
            .await
            .expect_err("stranger");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let granted = liaison_app::access::decide(&db, &cast.staff, asked.id, true, "可以")
            .await
            .expect("grant");
        assert_eq!(granted.state.as_str(), "granted");
        let whole = app::load(&db, &cast.admin, r.id.into())
            .await
            .expect("whole");
        assert!(
            !whole.restricted && whole.form.body.as_deref() == Some(NOTICE),
            "{name}"
        );
        assert_eq!(
            audited(&db, "access.read", cast.admin.user_id, r.id).await,
            1
        );
        assert_eq!(
            audited(&db, "access.granted", cast.staff.user_id, r.id).await,
            1
        );
        // The owner's list names the admin now; a role on it opens it to that role.
        let list = liaison_app::access::list_of(&db, &cast.staff, ItemKind::Request, r.id)
            .await
            .expect("list");
        assert_eq!(list.users.len(), 1);
        assert!(
            app::load(&db, &cast.exec, r.id.into())
                .await
                .expect("exec")
                .restricted
        );
        liaison_app::access::set_list(
            &db,
            &cast.staff,
            ItemKind::Request,
            r.id,
            &[cast.admin.user_id],
            &[liaison_core::Role::Executive],
        )
        .await
        .expect("list saved");
        assert!(
            !app::load(&db, &cast.exec, r.id.into())
                .await
                .expect("exec")
                .restricted
        );
        let e = liaison_app::access::set_list(&db, &cast.admin, ItemKind::Request, r.id, &[], &[])
            .await
            .expect_err("not the owner");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let e = liaison_app::access::set_list(
            &db,
            &cast.staff,
            ItemKind::Request,
            r.id,
            &[cast.p1.user_id],
            &[],
        )
        .await
        .expect_err("a partner user");
        assert!(matches!(e, Error::Invalid(_)), "{name}: {e:?}");

        // Secret: not even its title for those outside.
        let secret = draft(&db, &cast, "secret").await;
        let e = app::load(&db, &cast.admin, secret.id.into())
            .await
            .expect_err("hidden");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let all = app::list(
            &db,
            &cast.admin,
            liaison_db::request::RequestView::All,
            None,
            100,
        )
        .await
        .expect("list");
        assert!(all.iter().all(|x| x.id != secret.id), "{name}: not listed");
        assert!(
            all.iter().any(|x| x.id == r.id),
            "{name}: the confidential one is listed by title"
        );
        let e = liaison_app::access::ask(&db, &cast.admin, ItemKind::Request, secret.id, "x")
            .await
            .expect_err("unknown");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
    }
}

/// Copies one delivery row as another recipient's (the ledger has no foreign keys).
async fn more_recipients(db: &Db, like: Uuid, n: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut tx = db.begin().await.expect("tx");
    tx.execute(q(
        "CREATE TEMP TABLE copy_row AS SELECT * FROM deliveries WHERE 1 = 0",
    ))
    .await
    .expect("temp");
    tx.execute(q("INSERT INTO copy_row SELECT * FROM deliveries WHERE id = $1").bind(like))
        .await
        .expect("row to copy");
    for _ in 0..n {
        let id = Uuid::now_v7();
        tx.execute(
            q("UPDATE copy_row SET id = $1, contact_id = $2")
                .bind(id)
                .bind(Uuid::now_v7()),
        )
        .await
        .expect("row");
        tx.execute(q("INSERT INTO deliveries SELECT * FROM copy_row"))
            .await
            .expect("insert");
        ids.push(id);
    }
    tx.execute(q("DROP TABLE copy_row")).await.expect("drop");
    tx.commit().await.expect("commit");
    ids
}

/// The middle three sentences of a copy, retyped: zero-width characters gone, spaces folded.
fn middle_three(copy: &str) -> String {
    let visible: String = copy
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'))
        .collect();
    let sentences: Vec<&str> = visible.split_inclusive(['。', '.']).collect();
    let mid = sentences.len() / 2;
    sentences[mid - 1..=mid + 1]
        .concat()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// §7.3, issue 15: 200 recipients of one confidential message each get a distinct copy, and a
/// trace of any copy's middle three sentences (stripped, re-spaced) names that copy first.
/// p1's own portal copy is marked for p1 and traces back to p1's contact.
#[tokio::test]
async fn two_hundred_copies_differ_and_each_excerpt_names_its_recipient_first() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let r = confidential_to_p1(&db, &cast).await;
        let m = r.message_id.expect("dispatched");
        let first: Uuid = db
            .fetch_one(
                q("SELECT id FROM deliveries WHERE message_id = $1 ORDER BY id LIMIT 1").bind(m),
            )
            .await
            .expect("a delivery");
        let have = count_deliveries(&db, m).await;
        let extra = more_recipients(&db, first, 200 - have).await;
        assert_eq!(count_deliveries(&db, m).await, 200, "{name}");
        let recipients = liaison_db::incidents::recipients(&db, m)
            .await
            .expect("recipients");
        assert_eq!(recipients.len(), 200, "{name}: one copy each");
        let copies: Vec<(Uuid, String)> = recipients
            .iter()
            .map(|x| {
                let c =
                    liaison_app::leaks::copy_of_delivery(&db, x.delivery_id, NOTICE).expect("copy");
                (x.delivery_id, c)
            })
            .collect();
        let distinct: std::collections::HashSet<&String> = copies.iter().map(|(_, c)| c).collect();
        assert_eq!(distinct.len(), 200, "{name}: each copy is its own");
        for (d, copy) in copies.iter().step_by(7).chain(copies.last()) {
            let t = liaison_app::leaks::trace(&db, &cast.channel, &middle_three(copy))
                .await
                .expect("trace");
            assert_eq!(t.sources.len(), 1, "{name}");
            assert_eq!(t.sources[0].message_id, m);
            assert!(!t.tagged, "{name}: the tag was stripped");
            let best = &t.candidates[0];
            assert_eq!(best.delivery_id, *d, "{name}: {:?}", &t.candidates[..2]);
            assert!(best.score > t.candidates[1].score, "{name}: not tied");
            assert!(best.confidence > 0.9, "{name}: {}", best.confidence);
        }
        assert!(extra.len() >= 190);
        // p1 opens it in the portal: the body is p1's marked copy, and it traces to p1's contact.
        let opened = liaison_app::inbox::open(&db, &cast.p1, m.into())
            .await
            .expect("open");
        assert_ne!(opened.body, NOTICE, "{name}: marked");
        let t = liaison_app::leaks::trace(&db, &cast.channel, &middle_three(&opened.body))
            .await
            .expect("trace p1");
        let p1_contact = liaison_db::user::find_user(&db, cast.p1.user_id)
            .await
            .expect("user")
            .and_then(|u| u.contact_id);
        assert_eq!(Some(t.candidates[0].contact_id), p1_contact, "{name}");
        // Who may trace: channel management and leadership; not staff, not partners.
        for who in [&cast.staff, &cast.p1] {
            let e = liaison_app::leaks::trace(&db, who, NOTICE)
                .await
                .expect_err("refused");
            assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        }
        let e = liaison_app::leaks::trace(&db, &cast.channel, "太短了")
            .await
            .expect_err("short");
        assert!(matches!(e, Error::Invalid(_)), "{name}: {e:?}");
    }
}

async fn count_deliveries(db: &Db, m: Uuid) -> usize {
    db.fetch_one::<i64>(q("SELECT COUNT(*) FROM deliveries WHERE message_id = $1").bind(m))
        .await
        .expect("count") as usize
}

/// §7.3: a report tells leadership at once (bell and an e-mail queued for now); containment
/// recalls the suspects' copies, ends their links and pauses their robots; closing needs the
/// cause, the responsible party and the actions. Only leadership and the channel head handle it.
#[tokio::test]
async fn a_reported_leak_is_contained_at_once_and_closed_with_its_findings() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let r = confidential_to_p1(&db, &cast).await;
        let m = r.message_id.expect("dispatched");
        let opened = liaison_app::inbox::open(&db, &cast.p1, m.into())
            .await
            .expect("open");
        let t = liaison_app::leaks::trace(&db, &cast.channel, &middle_three(&opened.body))
            .await
            .expect("trace");
        let best = &t.candidates[0];
        let jobs_before = count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'notify'").await;
        let report = liaison_app::incidents::Report {
            title: "华东结算价外泄".into(),
            severity: Some("critical".into()),
            message_id: Some(m),
            description: "在同行群里发现了通知原文".into(),
            leaked_text: middle_three(&opened.body),
            suspects: vec![liaison_db::incidents::Suspect {
                delivery_id: best.delivery_id,
                partner_id: best.partner_id,
                contact_id: best.contact_id,
                score: best.score,
            }],
        };
        let e = liaison_app::incidents::report(&db, &cast.p1, &report)
            .await
            .expect_err("partner");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let i = liaison_app::incidents::report(&db, &cast.staff, &report)
            .await
            .expect("report");
        assert_eq!(i.state.as_str(), "reported");
        // Leadership (the executive, and channel@ who heads channel management) told at once.
        let leaders = liaison_app::incidents::leadership(&db)
            .await
            .expect("leaders");
        assert!(leaders.contains(&cast.exec.user_id) && leaders.contains(&cast.channel.user_id));
        assert!(
            !leaders.contains(&cast.admin.user_id),
            "{name}: §7.3 leadership, not admins"
        );
        let told = count(
            &db,
            "SELECT COUNT(*) FROM notifications WHERE kind = 'incident_reported' AND urgent",
        )
        .await;
        assert_eq!(told as usize, leaders.len(), "{name}");
        let jobs = count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'notify'").await;
        assert_eq!(
            (jobs - jobs_before) as usize,
            leaders.len(),
            "{name}: an e-mail each"
        );
        // Sealed at rest.
        let stored: String = db
            .fetch_one(q("SELECT description FROM incidents WHERE id = $1").bind(i.id))
            .await
            .expect("stored");
        assert!(!stored.contains("同行群"), "{name}: sealed");
        // Who reads and handles it.
        let e = liaison_app::incidents::show(&db, &cast.admin, i.id)
            .await
            .expect_err("admin");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        liaison_app::incidents::show(&db, &cast.staff, i.id)
            .await
            .expect("the reporter reads it");
        let e = liaison_app::incidents::contain(&db, &cast.staff, i.id)
            .await
            .expect_err("reporter");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        // A robot of p1's partner, and p1's confirmation link, before containment.
        let pid = cast.p1.partner_id.expect("p1");
        let mut tx = db.begin().await.expect("tx");
        tx.execute(
            q("INSERT INTO robots (id, partner_id, kind, label, url, url_hint, created_at)
               VALUES ($1, $2, 'wecom', '恒通群', 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', 'qyapi…', $3)")
            .bind(Uuid::now_v7())
            .bind(pid)
            .bind(db.now()),
        )
        .await
        .expect("robot");
        tx.commit().await.expect("commit");
        let robots_before = db
            .fetch_one::<i64>(q("SELECT COUNT(*) FROM robots WHERE partner_id = $1").bind(pid))
            .await
            .expect("robots");
        assert!(robots_before >= 1);
        let token = liaison_db::link::sign(
            db.cipher().expect("cipher"),
            best.delivery_id,
            db.now() + chrono::Duration::days(3),
        );
        liaison_app::ack::verify_link(&db, &token)
            .await
            .expect("the link works before");
        let (after, done) = liaison_app::incidents::contain(&db, &cast.exec, i.id)
            .await
            .expect("contain");
        assert_eq!(after.state.as_str(), "contained");
        assert_eq!(done.recalled, 1, "{name}");
        assert_eq!(done.robots_to_rotate as i64, robots_before, "{name}");
        let paused = db
            .fetch_one::<i64>(
                q("SELECT COUNT(*) FROM robots WHERE partner_id = $1 AND rotate_since IS NOT NULL AND paused_until > $2")
                    .bind(pid)
                    .bind(db.now().timestamp_millis()),
            )
            .await
            .expect("paused");
        assert_eq!(paused, robots_before, "{name}: paused until rotated");
        let e = liaison_app::inbox::open(&db, &cast.p1, m.into())
            .await
            .expect_err("recalled");
        assert!(matches!(e, Error::Gone(_)), "{name}: {e:?}");
        let e = liaison_app::ack::verify_link(&db, &token)
            .await
            .expect_err("link ended");
        assert!(matches!(e, Error::Gone(_)), "{name}: {e:?}");
        let e = liaison_app::incidents::contain(&db, &cast.exec, i.id)
            .await
            .expect_err("twice");
        assert!(matches!(e, Error::Conflict(_)), "{name}: {e:?}");
        // Closing names what is missing, then closes; a closed incident stays closed.
        let e = liaison_app::incidents::update(
            &db,
            &cast.channel,
            i.id,
            &liaison_app::incidents::Patch {
                state: Some("closed".into()),
                cause: Some("经销商业务员截图转发".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("incomplete");
        match e {
            Error::Invalid(f) => {
                assert!(
                    f.get("responsible").is_some() && f.get("actions").is_some(),
                    "{name}"
                );
                assert!(f.get("cause").is_none());
            }
            other => panic!("{name}: {other:?}"),
        }
        let closed = liaison_app::incidents::update(
            &db,
            &cast.channel,
            i.id,
            &liaison_app::incidents::Patch {
                state: Some("closed".into()),
                cause: Some("经销商业务员截图转发".into()),
                responsible: Some("SH-D001 销售助理".into()),
                actions: Some("收回权限，依保密协议追责".into()),
                ..Default::default()
            },
        )
        .await
        .expect("closed");
        assert_eq!(closed.state.as_str(), "closed");
        assert!(closed.closed_at.is_some());
        let (_, events) = liaison_app::incidents::show(&db, &cast.exec, i.id)
            .await
            .expect("show");
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["reported", "notified", "contained", "closed"],
            "{name}"
        );
        let e = liaison_app::incidents::update(
            &db,
            &cast.exec,
            i.id,
            &liaison_app::incidents::Patch::default(),
        )
        .await
        .expect_err("closed");
        assert!(matches!(e, Error::Conflict(_)), "{name}: {e:?}");
        for action in ["incident.reported", "incident.contained", "incident.closed"] {
            let n = db
                .fetch_one::<i64>(
                    q("SELECT COUNT(*) FROM audit_log WHERE action = $1").bind(action),
                )
                .await
                .expect("audit");
            assert_eq!(n, 1, "{name}: {action}");
        }
    }
}

/// §7.2.2 for the other kinds: a secret ticket and a secret meeting do not exist for the staff
/// outside their circle (not shown, not listed, not askable), the admin included; their
/// owners read them, and the partner keeps reading its own ticket (the list restricts staff).
#[tokio::test]
async fn secret_tickets_and_meetings_are_hidden_outside_their_circle_but_not_from_the_partner() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let plain = |subject: &str| liaison_app::tickets::TicketInput {
            kind: Some("other".into()),
            subject: Some(subject.into()),
            description: Some("普通问题".into()),
            ..Default::default()
        };
        let via = liaison_core::tickets::TicketVia::Portal;
        liaison_app::tickets::create(&db, &cast.p1, &plain("之前的问题"), Vec::new(), via)
            .await
            .expect("an older ticket");
        let t = liaison_app::tickets::create(
            &db,
            &cast.p1,
            &liaison_app::tickets::TicketInput {
                kind: Some("other".into()),
                subject: Some("绝密：经销商举报".into()),
                description: Some("举报内容 SECRET-7".into()),
                classification: Some("secret".into()),
                ..Default::default()
            },
            Vec::new(),
            liaison_core::tickets::TicketVia::Portal,
        )
        .await
        .expect("ticket");
        liaison_app::tickets::create(&db, &cast.p1, &plain("之后的问题"), Vec::new(), via)
            .await
            .expect("a newer ticket");
        for outsider in [&cast.admin, &cast.exec] {
            let e = liaison_app::tickets::page(&db, outsider, t.id)
                .await
                .expect_err("hidden");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
            let listed = liaison_app::tickets::list(&db, outsider, &Default::default(), None, 200)
                .await
                .expect("list");
            assert!(listed.iter().all(|x| x.id != t.id), "{name}: listed");
            // A page the hidden ticket would have been on is still full, and paging on from
            // it reaches every other ticket once: a short page would end the list there.
            let mut paged = Vec::new();
            let mut before = None;
            loop {
                let page =
                    liaison_app::tickets::list(&db, outsider, &Default::default(), before, 1)
                        .await
                        .expect("page");
                assert!(page.len() <= 1, "{name}");
                let Some(last) = page.last() else { break };
                before = Some(last.id);
                paged.push(last.id);
            }
            let all: Vec<_> = listed.iter().map(|x| x.id).collect();
            assert_eq!(paged, all, "{name}: pages of one, past the hidden ticket");
            assert_eq!(all.len(), 2, "{name}: the two plain tickets are listed");
            let e = liaison_app::access::ask(&db, outsider, ItemKind::Ticket, t.id, "看看")
                .await
                .expect_err("not askable");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
            // Nor can they work on it blind.
            let e = liaison_app::tickets::reply(
                &db,
                outsider,
                t.id,
                &liaison_app::tickets::ReplyInput {
                    body: Some("收到".into()),
                    ..Default::default()
                },
                Vec::new(),
                liaison_core::tickets::TicketVia::Portal,
            )
            .await
            .expect_err("no reply");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        }
        let hidden_reads = count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'access.read%' AND entity = 'ticket'",
        )
        .await;
        assert_eq!(
            hidden_reads, 0,
            "{name}: a hidden item's refusal is no read"
        );
        let mine = liaison_app::tickets::page(&db, &cast.p1, t.id)
            .await
            .expect("p1 reads its own");
        assert!(!mine.restricted && mine.ticket.description.contains("SECRET-7"));
        let p1_reads = count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'access.read' AND entity = 'ticket'",
        )
        .await;
        assert_eq!(
            p1_reads, 1,
            "{name}: the partner's read is in the audit chain too"
        );
        let e = liaison_app::tickets::page(&db, &cast.p2, t.id)
            .await
            .expect_err("another partner's");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");

        let start = (db.now() + chrono::Duration::days(10)).format("%Y-%m-%dT10:00");
        let end = (db.now() + chrono::Duration::days(10)).format("%Y-%m-%dT11:00");
        let m = liaison_app::meetings::create(
            &db,
            &cast.channel,
            &liaison_app::meetings::MeetingInput {
                kind: Some("ad_hoc".into()),
                title: Some("绝密：并购洽谈".into()),
                starts_at: Some(start.to_string()),
                ends_at: Some(end.to_string()),
                timezone: Some("Asia/Shanghai".into()),
                agenda: Some("议程 SECRET-8".into()),
                classification: Some("secret".into()),
                invitees: Some(liaison_db::meetings::Invitees {
                    users: vec![cast.staff.user_id],
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await
        .expect("meeting");
        let e = liaison_app::meetings::show(&db, &cast.admin, m.id)
            .await
            .expect_err("hidden");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let listed = liaison_app::meetings::list(&db, &cast.admin, Default::default(), false, 200)
            .await
            .expect("list");
        assert!(listed.iter().all(|x| x.id != m.id), "{name}: listed");
        // The organiser and the colleague it invites read it.
        for reader in [&cast.channel, &cast.staff] {
            let v = liaison_app::meetings::show(&db, reader, m.id)
                .await
                .expect("in the circle");
            assert!(
                !v.restricted && v.meeting.agenda.contains("SECRET-8"),
                "{name}"
            );
        }
        let whole = count(
            &db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'access.read' AND entity = 'meeting'",
        )
        .await;
        assert_eq!(whole, 2, "{name}: both reads audited");
    }
}

/// §7.2.2: outside a *confidential* ticket's or meeting's circle, no path gives more than the
/// title: watching the ticket (its answer is the ticket), its files, its rating comment, and
/// the meeting list (as the meeting's page) hold nothing of the content.
#[tokio::test]
async fn confidential_content_reaches_no_one_outside_the_circle_by_any_path() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let t = liaison_app::tickets::create(
            &db,
            &cast.p1,
            &liaison_app::tickets::TicketInput {
                kind: Some("other".into()),
                subject: Some("机密：价格体系".into()),
                description: Some("内部价格 CONF-9".into()),
                classification: Some("confidential".into()),
                ..Default::default()
            },
            Vec::new(),
            liaison_core::tickets::TicketVia::Portal,
        )
        .await
        .expect("ticket");
        let e = liaison_app::tickets::watch(&db, &cast.admin, t.id)
            .await
            .expect_err("watching answers the whole ticket");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let e = liaison_app::tickets::file(&db, &cast.admin, t.id, uuid::Uuid::now_v7())
            .await
            .expect_err("no files");
        assert!(matches!(e, Error::Forbidden), "{name}: {e:?}");
        let page = liaison_app::tickets::page(&db, &cast.admin, t.id)
            .await
            .expect("title only");
        assert!(page.restricted, "{name}");
        assert!(
            page.ticket.rating_comment.is_none() && page.ticket.root_cause.is_none(),
            "{name}"
        );
        // Its holder reads and watches it.
        let holder = page.ticket.assignee_id.expect("routed");
        let users = liaison_db::user::list_users(&db).await.expect("users");
        let holder = users
            .iter()
            .find(|u| u.id == holder)
            .expect("holder")
            .actor();
        let w = liaison_app::tickets::watch(&db, &holder, t.id)
            .await
            .expect("the holder watches");
        assert!(w.description.contains("CONF-9"), "{name}");

        let start = (db.now() + chrono::Duration::days(12)).format("%Y-%m-%dT10:00");
        let end = (db.now() + chrono::Duration::days(12)).format("%Y-%m-%dT11:00");
        let m = liaison_app::meetings::create(
            &db,
            &cast.channel,
            &liaison_app::meetings::MeetingInput {
                kind: Some("ad_hoc".into()),
                title: Some("机密：返利调整".into()),
                starts_at: Some(start.to_string()),
                ends_at: Some(end.to_string()),
                timezone: Some("Asia/Shanghai".into()),
                agenda: Some("议程 CONF-10".into()),
                classification: Some("confidential".into()),
                ..Default::default()
            },
        )
        .await
        .expect("meeting");
        let listed = liaison_app::meetings::list(&db, &cast.admin, Default::default(), false, 200)
            .await
            .expect("list");
        let row = listed
            .iter()
            .find(|x| x.id == m.id)
            .expect("listed by title");
        assert!(row.agenda.is_empty(), "{name}: {:?}", row.agenda);
        let own = liaison_app::meetings::list(&db, &cast.channel, Default::default(), false, 200)
            .await
            .expect("list");
        let row = own.iter().find(|x| x.id == m.id).expect("listed");
        assert!(
            row.agenda.contains("CONF-10"),
            "{name}: the organiser's list"
        );
    }
}

async fn sql(db: &Db, query: liaison_db::Q) {
    let mut tx = db.begin().await.expect("tx");
    tx.execute(query).await.expect("update");
    tx.commit().await.expect("commit");
}

fn actor_of(users: &[liaison_db::user::User], id: Uuid) -> liaison_core::Actor {
    users.iter().find(|u| u.id == id).expect("user").actor()
}

async fn ticket_by_p1(
    db: &Db,
    cast: &Cast,
    subject: &str,
    class: &str,
) -> liaison_db::tickets::Ticket {
    liaison_app::tickets::create(
        db,
        &cast.p1,
        &liaison_app::tickets::TicketInput {
            kind: Some("other".into()),
            subject: Some(subject.into()),
            description: Some(format!("{subject} 正文 BODYWORD")),
            product_text: Some("PRODTEXT".into()),
            classification: Some(class.into()),
            ..Default::default()
        },
        Vec::new(),
        liaison_core::tickets::TicketVia::Portal,
    )
    .await
    .expect("ticket")
}

async fn hit_titles(db: &Db, actor: &liaison_core::Actor, q: &str) -> Vec<liaison_db::search::Hit> {
    liaison_app::search::search(db, actor, q, 20)
        .await
        .expect("search")
}

async fn home_titles(db: &Db, actor: &liaison_core::Actor) -> Vec<String> {
    liaison_app::home::dashboard(db, actor, liaison_core::partner::Lang::En)
        .await
        .expect("home")
        .sections
        .into_iter()
        .flat_map(|s| s.items.into_iter().map(|i| i.title))
        .collect()
}

/// Notifications whose arguments carry `text`, of people other than the three of `circle`.
async fn told_outside(db: &Db, circle: &[Uuid; 3], text: &str) -> i64 {
    db.fetch_one::<i64>(
        q("SELECT COUNT(*) FROM notifications WHERE args LIKE $1
            AND user_id <> $2 AND user_id <> $3 AND user_id <> $4")
        .bind(format!("%{text}%"))
        .bind(circle[0])
        .bind(circle[1])
        .bind(circle[2]),
    )
    .await
    .expect("notifications")
}

/// §7.2.2 (issue 15 item 1): a secret ticket and a secret meeting are found, listed at home
/// and told of only within their circle: an admin outside it finds nothing, sees nothing at
/// home, and a notification to someone outside carries no title (a `secret_item` notice). A
/// confidential ticket is found by its subject with no snippet, not by its content, and its
/// list row carries no product text for a title-only reader.
#[tokio::test]
async fn secret_titles_stay_out_of_search_home_and_notifications_outside_the_circle() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let users = liaison_db::user::list_users(&db).await.expect("users");
        let t = ticket_by_p1(&db, &cast, "绝密渠道重组 SECRETWORD", "secret").await;
        let owner = actor_of(
            &users,
            t.partner_owner_id.expect("SH-D001 has a channel manager"),
        );
        assert!(
            hit_titles(&db, &cast.admin, "SECRETWORD").await.is_empty(),
            "{name}: an admin outside the circle does not find a secret ticket"
        );
        // Nor counts it in a queue: every tab's number is the rows its list shows.
        // channel2@ works in the same department, outside this ticket's circle.
        let colleague = users
            .iter()
            .find(|u| u.email == "channel2@demo.example")
            .expect("channel2@")
            .actor();
        let mut left_out = 0;
        for who in [&cast.admin, &colleague, &owner] {
            for (q, n) in liaison_app::tickets::queue_counts(&db, who)
                .await
                .expect("counts")
            {
                let f = liaison_app::tickets::queue_filter(&db, who, q)
                    .await
                    .expect("filter");
                let raw =
                    liaison_db::tickets::count_each(&db, who.scope(), std::slice::from_ref(&f))
                        .await
                        .expect("raw");
                left_out += raw[0] - n;
                let rows = liaison_app::tickets::list(&db, who, &f, None, 500)
                    .await
                    .expect("list");
                assert_eq!(n, rows.len() as i64, "{name}: {q:?} of {}", who.user_id);
            }
        }
        assert!(
            left_out > 0,
            "{name}: the colleague's department tab left it out"
        );
        assert!(
            hit_titles(&db, &owner, "SECRETWORD")
                .await
                .iter()
                .any(|h| h.id == t.id),
            "{name}: its owner finds it"
        );
        // A secret meeting: its organiser finds it, the admin does not.
        let start = (db.now() + chrono::Duration::days(3)).format("%Y-%m-%dT10:00");
        let end = (db.now() + chrono::Duration::days(3)).format("%Y-%m-%dT11:00");
        let m = liaison_app::meetings::create(
            &db,
            &cast.channel,
            &liaison_app::meetings::MeetingInput {
                kind: Some("ad_hoc".into()),
                title: Some("绝密并购 MEETSECRET".into()),
                starts_at: Some(start.to_string()),
                ends_at: Some(end.to_string()),
                timezone: Some("Asia/Shanghai".into()),
                agenda: Some("议程 AGENDAWORD".into()),
                classification: Some("secret".into()),
                ..Default::default()
            },
        )
        .await
        .expect("meeting");
        assert!(
            hit_titles(&db, &cast.admin, "MEETSECRET").await.is_empty(),
            "{name}"
        );
        assert!(
            hit_titles(&db, &cast.channel, "MEETSECRET")
                .await
                .iter()
                .any(|h| h.id == m.id),
            "{name}: the organiser finds it"
        );
        // Home: nothing of either for the admin; the organiser's meetings ahead hold it.
        let admin_home = home_titles(&db, &cast.admin).await;
        assert!(
            !admin_home
                .iter()
                .any(|x| x.contains("SECRETWORD") || x.contains("MEETSECRET")),
            "{name}: {admin_home:?}"
        );
        assert!(
            home_titles(&db, &cast.channel)
                .await
                .iter()
                .any(|x| x.contains("MEETSECRET")),
            "{name}: the organiser's home"
        );
        // Notifications: with nobody holding it, the partner's reply goes to the department
        // head (or channel manager); whoever outside the circle is told gets no title.
        sql(
            &db,
            q("UPDATE tickets SET assignee_id = NULL, department_id = $1 WHERE id = $2")
                .bind(cast.head.department_id)
                .bind(t.id),
        )
        .await;
        let t = liaison_app::tickets::show(&db, &owner, t.id)
            .await
            .expect("ticket");
        liaison_app::tickets::reply(
            &db,
            &cast.p1,
            t.id,
            &liaison_app::tickets::ReplyInput {
                body: Some("补充 REPLYWORD".into()),
                ..Default::default()
            },
            Vec::new(),
            liaison_core::tickets::TicketVia::Portal,
        )
        .await
        .expect("partner reply");
        // Told directly too: an admin outside the circle gets the neutral notice only.
        let it = liaison_app::access::item(&db, &owner, ItemKind::Ticket, t.id)
            .await
            .expect("item");
        let told = liaison_app::access::tell(
            &db,
            &it,
            vec![
                liaison_db::notify::NewNotification {
                    user_id: cast.admin.user_id,
                    kind: liaison_core::notify::NotifyKind::TicketSlaBreached,
                    args: serde_json::json!({"subject": it.title, "partner": "SH-D001"}),
                    link: format!("/console/tickets/{}", t.id),
                    urgent: false,
                    email_at: None,
                },
                liaison_db::notify::NewNotification {
                    user_id: owner.user_id,
                    kind: liaison_core::notify::NotifyKind::TicketSlaBreached,
                    args: serde_json::json!({"subject": it.title, "partner": "SH-D001"}),
                    link: format!("/console/tickets/{}", t.id),
                    urgent: false,
                    email_at: None,
                },
            ],
        )
        .await
        .expect("tell");
        assert_eq!(
            told[0].kind,
            liaison_core::notify::NotifyKind::SecretItem,
            "{name}"
        );
        assert!(!told[0].args.to_string().contains("SECRETWORD"), "{name}");
        assert!(!told[0].link.contains(&t.id.to_string()), "{name}");
        let en = liaison_core::notify::title(
            liaison_core::partner::Lang::En,
            told[0].kind,
            &told[0].args,
        );
        assert!(en.contains("secret ticket"), "{name}: {en}");
        assert_eq!(
            told[1].kind,
            liaison_core::notify::NotifyKind::TicketSlaBreached
        );
        let circle = [owner.user_id, cast.p1.user_id, cast.channel.user_id];
        let heads: Vec<liaison_db::notify::Notification> =
            liaison_db::notify::list(&db, cast.head.user_id, false, None, 50)
                .await
                .expect("head's notifications");
        assert!(
            heads
                .iter()
                .any(|n| n.kind == liaison_core::notify::NotifyKind::SecretItem),
            "{name}: {heads:?}"
        );
        assert_eq!(
            told_outside(&db, &circle, "SECRETWORD").await,
            0,
            "{name}: no stored notification outside the circle names the secret ticket"
        );
        assert_eq!(told_outside(&db, &circle, "MEETSECRET").await, 0, "{name}");
        // The department head (outside the circle) was told of the reply, without its title.
        assert!(
            t.department_head_id == Some(cast.head.user_id) && cast.head.user_id != owner.user_id,
            "{name}: the ticket is routed to a department with a head"
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM notifications WHERE kind = 'secret_item'"
            )
            .await,
            1,
            "{name}: the head's notice of the reply"
        );

        // A confidential ticket: found by its subject, with no snippet; not by its content;
        // its list row has no product text for the admin, and has it for its owner.
        let c = ticket_by_p1(&db, &cast, "机密价格 CONFWORD", "confidential").await;
        let hits = hit_titles(&db, &cast.admin, "CONFWORD").await;
        let hit = hits
            .iter()
            .find(|h| h.id == c.id)
            .expect("found by its title");
        assert!(hit.snippet.is_empty(), "{name}: {:?}", hit.snippet);
        assert!(
            hit_titles(&db, &cast.admin, "BODYWORD")
                .await
                .iter()
                .all(|h| h.id != c.id),
            "{name}: not by its description"
        );
        assert!(
            hit_titles(&db, &cast.admin, "PRODTEXT")
                .await
                .iter()
                .all(|h| h.id != c.id),
            "{name}: not by its product text"
        );
        // A ticket indexed before that rule (by its description and product text) is indexed
        // again by migration 41: no longer found by them.
        let mut tx = db.begin().await.expect("tx");
        let old = liaison_db::search::Doc::new(
            c.id,
            liaison_core::search::Kind::Ticket,
            Some(c.partner_id),
            c.created_at,
            &c.subject,
            &["PRODTEXT"],
            &[&c.description],
        );
        liaison_db::search::index(&mut tx, &[old], false)
            .await
            .expect("old index");
        tx.commit().await.expect("commit");
        assert!(
            hit_titles(&db, &cast.admin, "PRODTEXT")
                .await
                .iter()
                .any(|h| h.id == c.id),
            "{name}: the old entry finds it"
        );
        let mut tx = db.begin().await.expect("tx");
        liaison_db::search::reindex_sealed(&mut tx)
            .await
            .expect("reindex");
        tx.commit().await.expect("commit");
        for word in ["PRODTEXT", "BODYWORD"] {
            assert!(
                hit_titles(&db, &cast.admin, word)
                    .await
                    .iter()
                    .all(|h| h.id != c.id),
                "{name}: not by {word} once indexed again"
            );
        }
        let f = liaison_db::tickets::TicketFilter::default();
        let rows = liaison_app::tickets::list(&db, &cast.admin, &f, None, 50)
            .await
            .expect("list");
        let row = rows.iter().find(|x| x.id == c.id).expect("listed by title");
        assert_eq!(row.product_text, None, "{name}: title only");
        assert!(
            rows.iter().all(|x| x.id != t.id),
            "{name}: the secret one is not listed"
        );
        let rows = liaison_app::tickets::list(&db, &owner, &f, None, 50)
            .await
            .expect("list");
        let row = rows.iter().find(|x| x.id == c.id).expect("listed");
        assert_eq!(
            row.product_text.as_deref(),
            Some("PRODTEXT"),
            "{name}: its owner"
        );
    }
}

/// §7.2.2 (issue 15 item 1.5): a confidential ticket nobody holds and whose partner has no
/// channel manager can still be asked for: the head of channel management decides.
#[tokio::test]
async fn a_confidential_ticket_nobody_owns_is_asked_of_the_head_of_channel_management() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let c = ticket_by_p1(&db, &cast, "机密无主 ORPHANWORD", "confidential").await;
        sql(
            &db,
            q("UPDATE tickets SET assignee_id = NULL WHERE id = $1").bind(c.id),
        )
        .await;
        sql(
            &db,
            q("UPDATE partners SET owner_id = NULL WHERE id = $1")
                .bind(cast.p1.partner_id.expect("p1")),
        )
        .await;
        let head = liaison_app::access::channel_head(&db)
            .await
            .expect("head")
            .expect("the demo company has a head of channel management");
        let users = liaison_db::user::list_users(&db).await.expect("users");
        let head = actor_of(&users, head);
        let asker = [&cast.admin, &cast.exec, &cast.staff]
            .into_iter()
            .find(|a| a.user_id != head.user_id)
            .expect("someone else");
        let panel = liaison_app::access::panel(&db, asker, ItemKind::Ticket, c.id)
            .await
            .expect("panel")
            .expect("a classified item has a panel");
        assert!(panel.restricted && panel.askable, "{name}: {panel:?}");
        let asked = liaison_app::access::ask(&db, asker, ItemKind::Ticket, c.id, "跟进需要")
            .await
            .expect("asked");
        assert_eq!(asked.owner_id, head.user_id, "{name}");
        liaison_app::access::decide(&db, &head, asked.id, true, "")
            .await
            .expect("the head decides");
        let page = liaison_app::tickets::page(&db, asker, c.id)
            .await
            .expect("page");
        assert!(!page.restricted, "{name}: granted");
        assert!(page.ticket.description.contains("BODYWORD"), "{name}");
        // The head's own panel does not offer asking themselves.
        if let Some(p) = liaison_app::access::panel(&db, &head, ItemKind::Ticket, c.id)
            .await
            .expect("head panel")
            && p.restricted
        {
            assert!(!p.askable, "{name}");
        }
    }
}

/// §7.2.2: a partner's question on a confidential message is known as the message is: outside
/// its circle (an admin) the thread is listed by its subject, its posts are withheld and it
/// cannot be answered; its requester reads and answers it.
#[tokio::test]
async fn a_question_on_a_confidential_message_is_known_as_the_message_is() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let r = confidential_to_p1(&db, &cast).await;
        let m = r.message_id.expect("dispatched");
        let (t, _) = liaison_app::thread::reply_to_message(
            &db,
            &cast.p1,
            m.into(),
            "QUESTIONWORD 何时生效？",
        )
        .await
        .expect("question");
        let own = liaison_app::thread::show(&db, &cast.staff, t.id.into())
            .await
            .expect("the requester's view");
        assert!(
            own.posts
                .as_ref()
                .is_some_and(|p| p.iter().any(|p| p.body.contains("QUESTIONWORD"))),
            "{name}: the requester reads the question"
        );
        let outside = liaison_app::thread::show(&db, &cast.admin, t.id.into())
            .await
            .expect("title only");
        assert!(outside.posts.is_none(), "{name}: posts withheld");
        assert_eq!(outside.subject, own.subject, "{name}");
        let answer = liaison_app::thread::reply(&db, &cast.admin, t.id.into(), "答复").await;
        assert!(
            matches!(answer, Err(liaison_app::Error::Forbidden)),
            "{name}: {answer:?}"
        );
        let listed = liaison_app::thread::list(
            &db,
            &cast.admin,
            None,
            liaison_db::thread::ThreadView::All,
            None,
            50,
        )
        .await
        .expect("list");
        assert!(
            listed.iter().any(|x| x.id == t.id),
            "{name}: listed by subject"
        );
        liaison_app::thread::reply(&db, &cast.staff, t.id.into(), "1 月 1 日起生效。")
            .await
            .expect("the requester answers");
    }
}

/// §7.2.2: a question on a secret message is, outside the message's circle, neither listed,
/// counted nor opened; its requester has it in full.
#[tokio::test]
async fn a_question_on_a_secret_message_is_not_there_outside_its_circle() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        nda_for_p1(&db, &cast).await;
        let r = draft(&db, &cast, "secret").await;
        app::submit(&db, &cast.staff, r.id.into())
            .await
            .expect("submit");
        // Each reviewer whose step it is approves, until it is sent.
        let mut sent = None;
        for _ in 0..4 {
            for who in [&cast.head, &cast.channel, &cast.exec] {
                if let Ok(done) =
                    app::decide_with(&db, who, r.id.into(), Decision::Approve, "", true).await
                {
                    sent = sent.or(done.message_id);
                }
            }
        }
        let m = sent.expect("the secret notice is sent once approved");
        let (t, _) =
            liaison_app::thread::reply_to_message(&db, &cast.p1, m.into(), "SECRETQ 何时生效？")
                .await
                .expect("question");
        let view = liaison_db::thread::ThreadView::All;
        let before = liaison_db::thread::counts(&db, &cast.admin, view)
            .await
            .expect("raw");
        let counted = liaison_app::thread::counts(&db, &cast.admin, view)
            .await
            .expect("counts");
        assert_eq!(counted.open, before.open - 1, "{name}: not counted");
        let listed = liaison_app::thread::list(&db, &cast.admin, None, view, None, 50)
            .await
            .expect("list");
        assert!(listed.iter().all(|x| x.id != t.id), "{name}: not listed");
        let e = liaison_app::thread::show(&db, &cast.admin, t.id.into())
            .await
            .expect_err("hidden");
        assert!(matches!(e, liaison_app::Error::NotFound), "{name}: {e:?}");
        assert!(
            hit_titles(&db, &cast.admin, "SECRETQ").await.is_empty(),
            "{name}: not found"
        );
        let own = liaison_app::thread::show(&db, &cast.staff, t.id.into())
            .await
            .expect("the requester's");
        assert!(own.posts.is_some(), "{name}");
        let mine = liaison_app::thread::counts(&db, &cast.staff, view)
            .await
            .expect("counts");
        assert!(mine.open >= 1, "{name}: the requester counts it");
    }
}
