//! The loop as people live it (issue 9): everyone is told what waits for them, in the
//! transaction of the change (§4.2.1 review steps, §4.4.1 questions routed, §4.4.2 answers);
//! confirmations are credited to the person who gave them and counted once per person
//! (§4.3.2); confidential content cannot be approved to people without an NDA unless the
//! reviewer chooses so, nor to nobody (§7.1.2).

use crate::{Cast, backends, count};
use liaison_app::Error;
use liaison_app::{home, notify, request as app, thread};
use liaison_core::Actor;
use liaison_core::notify::NotifyKind;
use liaison_core::request::{Audience, RequestInput};
use liaison_core::review::Decision;
use liaison_db::Db;

/// Staff to p1's partner by portal and e-mail, asking for a confirmation, approved through.
async fn dispatched_by_email(db: &Db, cast: &Cast, title: &str) -> uuid::Uuid {
    dispatched(db, cast, title, true).await
}

/// The same, asking for a confirmation or not.
async fn dispatched(db: &Db, cast: &Cast, title: &str, ack: bool) -> uuid::Uuid {
    let r = app::create(
        db,
        &cast.staff,
        &RequestInput {
            title: Some(title.into()),
            purpose: Some("告知渠道伙伴".into()),
            body: Some("请各位伙伴知悉并确认。".into()),
            ack_required: Some(ack),
            ack_due_at: ack.then(|| db.now() + chrono::Duration::days(7)),
            channels: Some(vec!["email".into()]),
            audience: Some(Audience {
                partners: vec![cast.p1.partner_id.expect("p1")],
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .expect("draft");
    app::submit(db, &cast.staff, r.id.into())
        .await
        .expect("submit");
    app::decide(db, &cast.head, r.id.into(), Decision::Approve, "")
        .await
        .expect("head");
    app::decide(db, &cast.channel, r.id.into(), Decision::Approve, "")
        .await
        .expect("channel")
        .message_id
        .expect("dispatched")
}

async fn kinds(db: &Db, who: &Actor) -> Vec<NotifyKind> {
    notify::list(db, who, true, None, 50)
        .await
        .expect("notifications")
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

#[tokio::test]
async fn each_step_tells_the_next_person_and_the_answer_reaches_the_partner() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let jobs_before = count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'notify'").await;
        let r = cast.draft_to_p1(&db, "第四季度返利政策").await;
        app::submit(&db, &cast.staff, r.id.into())
            .await
            .expect("submit");
        // §4.2.1: the department head's step comes first; only they are told.
        assert_eq!(
            kinds(&db, &cast.head).await,
            vec![NotifyKind::ReviewWaiting],
            "{name}"
        );
        assert!(
            kinds(&db, &cast.channel).await.is_empty(),
            "{name}: not yet"
        );
        let jobs = count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'notify'").await;
        assert!(
            jobs > jobs_before,
            "{name}: an e-mail is queued in the same transaction"
        );
        let home_head = home::dashboard(&db, &cast.head, liaison_core::partner::Lang::ZhCn)
            .await
            .expect("home");
        let waiting = home_head.section("to_review").expect("reviewer section");
        assert!(
            waiting
                .items
                .iter()
                .any(|i| i.link.ends_with(&r.id.to_string())),
            "{name}"
        );
        assert!(home_head.waiting() >= 1, "{name}");

        app::decide(&db, &cast.head, r.id.into(), Decision::Approve, "")
            .await
            .expect("head");
        // The decided step no longer waits: the head's notification is settled.
        assert!(kinds(&db, &cast.head).await.is_empty(), "{name}");
        assert!(
            kinds(&db, &cast.channel)
                .await
                .contains(&NotifyKind::ReviewWaiting),
            "{name}"
        );
        let done = app::decide(&db, &cast.channel, r.id.into(), Decision::Approve, "")
            .await
            .expect("channel");
        assert!(
            kinds(&db, &cast.staff)
                .await
                .contains(&NotifyKind::RequestDispatched),
            "{name}"
        );

        // p1 asks under the message: it goes to the requester (staff), who is told.
        let message = done.message_id.expect("dispatched");
        let (t, _) = thread::reply_to_message(&db, &cast.p1, message.into(), "返利什么时候到账？")
            .await
            .expect("ask");
        assert!(
            kinds(&db, &cast.staff)
                .await
                .contains(&NotifyKind::QuestionRouted),
            "{name}"
        );
        thread::reply(&db, &cast.staff, t.id.into(), "月底前到账。")
            .await
            .expect("answer");
        let p1_told = notify::list(&db, &cast.p1, true, None, 10)
            .await
            .expect("p1");
        assert_eq!(p1_told.len(), 1, "{name}: {p1_told:?}");
        assert_eq!(p1_told[0].kind, NotifyKind::QuestionAnswered, "{name}");
        assert_eq!(
            p1_told[0].link,
            format!("/portal/questions/{}", t.id),
            "{name}"
        );
        // The answer under the message, and in "my questions".
        let on = thread::on_message(&db, &cast.p1, message.into())
            .await
            .expect("on message");
        assert!(
            on.iter()
                .flat_map(|t| t.posts.iter().flatten())
                .any(|p| p.body == "月底前到账。"),
            "{name}"
        );
        let p1_home = home::dashboard(&db, &cast.p1, liaison_core::partner::Lang::ZhCn)
            .await
            .expect("p1 home");
        assert_eq!(
            p1_home.section("answers").map(|s| s.count),
            Some(1),
            "{name}"
        );

        // Nobody else sees p1's notification, nor marks it read.
        assert!(kinds(&db, &cast.p2).await.is_empty(), "{name}");
        let e = notify::mark_read(&db, &cast.p2, p1_told[0].id)
            .await
            .expect_err("hidden");
        assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        let read = notify::mark_read(&db, &cast.p1, p1_told[0].id)
            .await
            .expect("read");
        assert!(read.read_at.is_some(), "{name}");
        assert_eq!(
            notify::unread_count(&db, &cast.p1).await.expect("count"),
            0,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_returned_request_tells_its_requester_and_email_choices_are_kept() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        notify::set_email_choices(&db, &cast.staff, &[(NotifyKind::RequestReturned, false)])
            .await
            .expect("choose");
        let choices = notify::email_choices(&db, &cast.staff)
            .await
            .expect("choices");
        assert!(
            choices.contains(&(NotifyKind::RequestReturned, false)),
            "{name}"
        );
        assert!(
            choices.contains(&(NotifyKind::ReviewWaiting, true)),
            "{name}: default on"
        );
        // A partner user cannot choose about staff kinds.
        let e = notify::set_email_choices(&db, &cast.p1, &[(NotifyKind::ReviewWaiting, false)])
            .await
            .expect_err("not theirs");
        assert!(matches!(e, Error::Invalid(_)), "{name}: {e:?}");

        let r = cast.draft_to_p1(&db, "需要修改的通知").await;
        app::submit(&db, &cast.staff, r.id.into())
            .await
            .expect("submit");
        let jobs = count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'notify'").await;
        app::decide(
            &db,
            &cast.head,
            r.id.into(),
            Decision::Return,
            "请补充截止时间",
        )
        .await
        .expect("return");
        let told = notify::list(&db, &cast.staff, true, None, 10)
            .await
            .expect("staff");
        assert_eq!(told[0].kind, NotifyKind::RequestReturned, "{name}");
        assert_eq!(told[0].args["comment"], "请补充截止时间", "{name}");
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM jobs WHERE kind = 'notify'").await,
            jobs,
            "{name}: e-mail turned off for returns, so none is queued"
        );
    }
}

#[tokio::test]
async fn a_confirmation_is_credited_to_who_gave_it_and_counted_once_per_person() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let message = dispatched_by_email(&db, &cast, "新品价格表").await;
        let before = liaison_db::inbox::summary(&db, message)
            .await
            .expect("summary");
        // People, not deliveries: a contact reached by portal and e-mail is one person.
        assert!(before.total > before.people, "{name}: {before:?}");
        assert_eq!(before.people_unconfirmed(), before.people, "{name}");

        let acks = liaison_db::inbox::AckWriter::spawn(db.clone());
        liaison_app::inbox::acknowledge(&db, &acks, &cast.p1, message.into())
            .await
            .expect("p1 confirms");
        let rows = liaison_db::inbox::deliveries(&db, message, false, None, 500)
            .await
            .expect("board");
        // p1 is 刘洋 (demo: the portal login linked to that contact), and only 刘洋 is named.
        assert!(rows.iter().all(|d| d.acked_at.is_some()), "{name}");
        assert!(
            rows.iter()
                .all(|d| d.acked_by_name.as_deref() == Some("刘洋")),
            "{name}: {:?}",
            rows.iter()
                .map(|d| d.acked_by_name.clone())
                .collect::<Vec<_>>()
        );
        let after = liaison_db::inbox::summary(&db, message)
            .await
            .expect("summary");
        assert_eq!(after.people_acknowledged, after.people, "{name}");
        assert_eq!(after.people_unconfirmed(), 0, "{name}");
    }
}

/// §4.3.2: the inbox counts a message unread until someone of the partner opens it, and owed
/// until someone confirms it if it asks for that, however many channels it came by; a message
/// that asks for no confirmation is done once read.
#[tokio::test]
async fn the_inbox_counts_what_is_still_unread_or_owed_per_message_not_per_channel() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let counts = || async {
            let c = liaison_app::inbox::counts(&db, &cast.p1)
                .await
                .expect("counts");
            (c.unread, c.to_confirm)
        };
        let (unread, owed) = counts().await;
        let asks = dispatched(&db, &cast, "季度返利确认", true).await;
        let tells = dispatched(&db, &cast, "仓库搬迁告知", false).await;
        // Portal and e-mail: two deliveries each, one message each in the counts.
        assert_eq!(counts().await, (unread + 2, owed + 1), "{name}: dispatched");

        liaison_app::inbox::open(&db, &cast.p1, tells.into())
            .await
            .expect("p1 reads");
        assert_eq!(
            counts().await,
            (unread + 1, owed + 1),
            "{name}: read, no ack asked"
        );

        let acks = liaison_db::inbox::AckWriter::spawn(db.clone());
        liaison_app::inbox::acknowledge(&db, &acks, &cast.p1, asks.into())
            .await
            .expect("p1 confirms");
        // Confirming reads it too.
        assert_eq!(counts().await, (unread, owed), "{name}: confirmed");
    }
}

#[tokio::test]
async fn a_one_click_link_credits_the_contact_it_was_sent_to() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let message = dispatched_by_email(&db, &cast, "区域活动通知").await;
        let rows = liaison_db::inbox::deliveries(&db, message, false, None, 500)
            .await
            .expect("board");
        let email = rows
            .iter()
            .find(|d| d.channel == "email")
            .expect("an e-mail delivery");
        let acks = liaison_db::inbox::AckWriter::spawn(db.clone());
        liaison_app::ack::ack_by_link(&db, &acks, email.id)
            .await
            .expect("link");
        let rows = liaison_db::inbox::deliveries(&db, message, false, None, 500)
            .await
            .expect("board");
        assert!(
            rows.iter()
                .all(|d| d.acked_by_name.as_deref() == Some(email.contact_name.as_str())),
            "{name}: credited to {}",
            email.contact_name
        );
        // The partner's history names the contact, not "the system".
        let log = liaison_db::audit::list(&db, Some(email.partner_id), None, 20)
            .await
            .expect("history");
        let ack = log
            .iter()
            .find(|r| r.action == "message.ack")
            .expect("the ack entry");
        assert_eq!(
            ack.actor_name.as_deref(),
            Some(email.contact_name.as_str()),
            "{name}"
        );
    }
}

/// A confidential request to p2's partner (BJ-D002, no NDA in the demo) and to p1's.
async fn confidential(db: &Db, cast: &Cast, partners: Vec<uuid::Uuid>) -> uuid::Uuid {
    let r = app::create(
        db,
        &cast.staff,
        &RequestInput {
            title: Some("机密：渠道底价调整".into()),
            purpose: Some("告知核心伙伴".into()),
            body: Some("新的出厂价见附件。".into()),
            classification: Some("confidential".into()),
            audience: Some(Audience {
                partners,
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .expect("draft");
    app::submit(db, &cast.staff, r.id.into())
        .await
        .expect("submit");
    r.id
}

#[tokio::test]
async fn confidential_content_is_not_approved_to_nobody_nor_silently_to_part() {
    let (dbs, _guard) = backends().await;
    for (name, db) in dbs {
        let cast = Cast::load(&db).await;
        let (p1, p2) = (
            cast.p1.partner_id.expect("p1"),
            cast.p2.partner_id.expect("p2"),
        );
        // Nobody covered: the pre-check shows the gap, and approving is a 409.
        let id = confidential(&db, &cast, vec![p2]).await;
        let c = app::coverage(&db, &cast.head, id.into())
            .await
            .expect("coverage")
            .expect("form");
        assert!(c.people > 0 && c.covered() == 0, "{name}: {c:?}");
        // The pre-check lists the gap with its count (API code `nda_missing`).
        let r = app::load(&db, &cast.head, id.into()).await.expect("load");
        let gap = r
            .findings
            .iter()
            .find(|f| f.code == "nda_missing")
            .expect("nda_missing");
        assert_eq!(
            serde_json::to_value(gap).expect("json")["count"],
            serde_json::json!(c.uncovered.len()),
            "{name}: {gap:?}"
        );
        let e = app::decide_with(&db, &cast.head, id.into(), Decision::Approve, "", true)
            .await
            .expect_err("nobody");
        assert!(matches!(e, Error::Conflict(_)), "{name}: {e:?}");

        // p1's partner signs an NDA: part of the audience is covered.
        let now = db.now();
        liaison_app::nda::record(
            &db,
            &cast.channel,
            &liaison_db::nda::NdaInput {
                partner: Some(p1.to_string()),
                signed_at: Some(now - chrono::Duration::days(10)),
                expires_at: Some(now + chrono::Duration::days(365)),
                ..Default::default()
            },
        )
        .await
        .expect("nda");
        let id = confidential(&db, &cast, vec![p1, p2]).await;
        let c = app::coverage(&db, &cast.head, id.into())
            .await
            .expect("coverage")
            .expect("form");
        assert!(c.covered() > 0 && !c.uncovered.is_empty(), "{name}: {c:?}");
        assert!(
            c.uncovered.iter().all(|u| u.partner_code == "BJ-D002"),
            "{name}"
        );
        let e = app::decide(&db, &cast.head, id.into(), Decision::Approve, "")
            .await
            .expect_err("needs the explicit choice");
        assert!(
            matches!(&e, Error::Invalid(f) if f.for_field("send_to_covered_only").is_some()),
            "{name}: {e:?}"
        );
        app::decide_with(&db, &cast.head, id.into(), Decision::Approve, "", true)
            .await
            .expect("head, covered only");
        let done = app::decide_with(&db, &cast.channel, id.into(), Decision::Approve, "", true)
            .await
            .expect("channel, covered only");
        let m = done.message_id.expect("dispatched");
        let s = liaison_db::inbox::summary(&db, m).await.expect("summary");
        assert_eq!(
            s.people,
            c.covered(),
            "{name}: only the covered are reached"
        );
        // Another partner's user and unprivileged users learn nothing of the request.
        for outsider in [&cast.p1, &cast.p2] {
            let e = app::coverage(&db, outsider, id.into())
                .await
                .expect_err("hidden");
            assert!(matches!(e, Error::NotFound), "{name}: {e:?}");
        }
    }
}
