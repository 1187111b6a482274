//! E-mail through a real SMTP server: `/usr/bin/python3 -m aiosmtpd` writing to a Maildir
//! (Debian's python3-aiosmtpd, installed by scripts/install-deps).

use crate::common::{SECRET_SENTENCE, notice};
use liaison_channels::email::Mailer;
use liaison_channels::testing::SmtpServer;
use liaison_channels::{NoticeKind, SendError};
use liaison_core::partner::Lang;
use mailparse::{MailHeaderMap, ParsedMail};
use std::time::{Duration, Instant};

const FROM: &str = "Liaison <noreply@liaison.example>";

/// A handler that refuses some recipients the way real servers do, otherwise a Maildir.
const PICKY_HANDLER: &str = r#"
from aiosmtpd.handlers import Mailbox

class Picky(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if address.startswith("busy@"):
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"
"#;

/// The mail whose Message-ID is `id`, waiting a little for the server to write it.
fn mail_with_id(smtp: &SmtpServer, id: &str) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        for raw in smtp.mails() {
            let m = mailparse::parse_mail(&raw).unwrap();
            if m.headers.get_first_value("Message-ID").as_deref() == Some(id) {
                return raw;
            }
        }
        assert!(Instant::now() < deadline, "no mail with Message-ID {id}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn header(m: &ParsedMail<'_>, name: &str) -> String {
    m.headers
        .get_first_value(name)
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// The text/plain and text/html parts of a multipart/alternative mail, decoded.
fn parts(m: &ParsedMail<'_>) -> (String, String) {
    assert_eq!(m.ctype.mimetype, "multipart/alternative");
    let plain = m
        .subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/plain")
        .expect("a text/plain part");
    let html = m
        .subparts
        .iter()
        .find(|p| p.ctype.mimetype == "text/html")
        .expect("a text/html part");
    (plain.get_body().unwrap(), html.get_body().unwrap())
}

/// §2.1.1 formal notices by e-mail; §4.3.1 importance and urgency marked in subject and headers;
/// §4.3.2 the confirmation link in both parts.
#[tokio::test]
async fn formal_notice_email_marks_importance_and_urgency_and_links_the_confirmation() {
    let smtp = SmtpServer::start();
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();

    let mut zh = notice(Lang::ZhCn);
    zh.importance = "important".to_owned();
    zh.urgency = "urgent".to_owned();
    mailer
        .send("王经理", "wang@dealer.example", &zh)
        .await
        .unwrap();
    let id = format!("<{}@liaison.example>", zh.delivery_id);
    let raw = mail_with_id(&smtp, &id);
    let m = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(
        header(&m, "Subject"),
        "【紧急】【重要】关于第三季度返利政策调整的通知"
    );
    assert_eq!(header(&m, "Importance"), "high");
    assert_eq!(header(&m, "X-Priority"), "1 (Highest)");
    assert!(
        header(&m, "From").contains("渠道管理部"),
        "{}",
        header(&m, "From")
    );
    assert!(header(&m, "From").contains("<noreply@liaison.example>"));
    assert!(header(&m, "To").contains("wang@dealer.example"));
    assert!(m.headers.get_first_value("In-Reply-To").is_none());
    let (plain, html) = parts(&m);
    let confirm = zh.confirm_url.clone().unwrap();
    assert!(plain.contains(&confirm), "{plain}");
    assert!(html.contains(&confirm.replace('&', "&amp;")), "{html}");
    assert!(plain.contains("确认收到") && html.contains("确认收到"));
    assert!(plain.contains(&zh.view_url) && html.contains(&zh.view_url));
    assert!(plain.contains("返利比例调整如下") && html.contains("<strong>10 月 1 日</strong>"));
    assert!(
        plain.contains("2026-11-20 18:00"),
        "deadline in UTC+8: {plain}"
    );

    let mut en = notice(Lang::En);
    en.title = "Q3 rebate policy".to_owned();
    en.importance = "major".to_owned();
    mailer
        .send("Ann Lee", "ann@dealer.example", &en)
        .await
        .unwrap();
    let raw = mail_with_id(&smtp, &format!("<{}@liaison.example>", en.delivery_id));
    let m = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(header(&m, "Subject"), "[Important] Q3 rebate policy");
    assert_eq!(header(&m, "Importance"), "high");
    assert_eq!(header(&m, "X-Priority"), "2 (High)");
    let (plain, html) = parts(&m);
    assert!(plain.contains("Confirm receipt") && html.contains("Confirm receipt"));

    let mut plain_notice = notice(Lang::En);
    plain_notice.title = "Holiday opening hours".to_owned();
    plain_notice.ack_required = false;
    plain_notice.confirm_url = None;
    mailer
        .send("", "ops@dealer.example", &plain_notice)
        .await
        .unwrap();
    let raw = mail_with_id(
        &smtp,
        &format!("<{}@liaison.example>", plain_notice.delivery_id),
    );
    let m = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(header(&m, "Subject"), "Holiday opening hours");
    assert_eq!(header(&m, "Importance"), "normal");
    assert_eq!(header(&m, "X-Priority"), "3 (Normal)");
    let (plain, _) = parts(&m);
    assert!(!plain.contains("Confirm receipt"), "{plain}");
}

/// §4.3.1: Traditional Chinese contacts read the Traditional markers 【緊急】【重要】 (Simplified: 【紧急】).
#[tokio::test]
async fn traditional_chinese_subjects_use_the_same_markers() {
    let mailer = Mailer::new("smtp://127.0.0.1:25", FROM).unwrap();
    let mut n = notice(Lang::ZhTw);
    n.title = "第三季返利政策調整".to_owned();
    n.importance = "important".to_owned();
    n.urgency = "urgent".to_owned();
    n.kind = NoticeKind::Reminder;
    n.sequence = 1;
    let raw = mailer
        .build("陳經理", "chen@dealer.example", &n)
        .unwrap()
        .formatted();
    let m = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(
        header(&m, "Subject"),
        "【緊急】【重要】【提醒】第三季返利政策調整"
    );
    let (plain, _) = parts(&m);
    assert!(plain.contains("確認收到"), "{plain}");
}

/// §7.2.1: a confidential or secret message goes out as a notice and the portal link; its body
/// is in no part of the mail, even when the caller passed it by mistake.
#[tokio::test]
async fn confidential_email_carries_the_notice_and_link_but_never_the_body() {
    let smtp = SmtpServer::start();
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    for (classification, body) in [
        ("confidential", None),
        ("secret", Some(SECRET_SENTENCE.to_owned())),
        ("confidential", Some(format!("**{SECRET_SENTENCE}**"))),
    ] {
        let mut n = notice(Lang::ZhCn);
        n.classification = classification.to_owned();
        n.body = body;
        mailer
            .send("王经理", "wang@dealer.example", &n)
            .await
            .unwrap();
        let raw = mail_with_id(&smtp, &format!("<{}@liaison.example>", n.delivery_id));
        let m = mailparse::parse_mail(&raw).unwrap();
        // The title was reviewed for sending; the body stays in the portal.
        assert_eq!(header(&m, "Subject"), n.title);
        let (plain, html) = parts(&m);
        for part in [&plain, &html] {
            assert!(!part.contains(SECRET_SENTENCE), "{part}");
            assert!(!part.contains("返利比例调整如下"), "{part}");
            assert!(part.contains("请登录合作伙伴门户阅读"), "{part}");
            assert!(part.contains(&n.view_url), "{part}");
        }
        let word = if classification == "secret" {
            "绝密"
        } else {
            "机密"
        };
        assert!(plain.contains(word), "{plain}");
        // Nor in any encoding of the raw message.
        let all: String = m.subparts.iter().map(|p| p.get_body().unwrap()).collect();
        assert!(!all.contains(SECRET_SENTENCE));
    }
    let mut en = notice(Lang::En);
    en.classification = "confidential".to_owned();
    en.body = None;
    let raw = mailer.build("", "a@b.example", &en).unwrap().formatted();
    let (plain, _) = parts(&mailparse::parse_mail(&raw).unwrap());
    assert!(
        plain.contains("This message is confidential") && plain.contains("partner portal"),
        "{plain}"
    );
}

/// §4.3.2/§4.4: reminders thread under the first mail (In-Reply-To, References) and say so.
#[tokio::test]
async fn a_reminder_threads_under_the_first_mail() {
    let smtp = SmtpServer::start();
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    let mut n = notice(Lang::ZhCn);
    n.kind = NoticeKind::Reminder;
    n.sequence = 2;
    mailer
        .send("王经理", "wang@dealer.example", &n)
        .await
        .unwrap();
    let first = format!("<{}@liaison.example>", n.delivery_id);
    let raw = mail_with_id(&smtp, &format!("<{}.r2@liaison.example>", n.delivery_id));
    let m = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(header(&m, "In-Reply-To"), first);
    assert_eq!(header(&m, "References"), first);
    assert_eq!(header(&m, "Subject"), format!("【提醒】{}", n.title));
    let (plain, html) = parts(&m);
    assert!(
        plain.contains("您尚未确认") && html.contains("您尚未确认"),
        "{plain}"
    );
    assert!(plain.contains(n.confirm_url.as_deref().unwrap()));

    // §4.4.1: the overdue report to staff.
    let mut o = notice(Lang::ZhCn);
    o.kind = NoticeKind::Overdue;
    o.ack_required = false;
    o.confirm_url = None;
    o.body = Some("- 恒通商贸（王经理）\n- 华南数码（李经理）".to_owned());
    mailer
        .send_to_staff("赵主管", "zhao@company.example", &o)
        .await
        .unwrap();
    let raw = mail_with_id(&smtp, &format!("<{}@liaison.example>", o.delivery_id));
    let m = mailparse::parse_mail(&raw).unwrap();
    assert_eq!(header(&m, "Subject"), format!("【逾期未确认】{}", o.title));
    let (plain, _) = parts(&m);
    assert!(
        plain.contains("恒通商贸") && plain.contains("仍有接收方未确认"),
        "{plain}"
    );
}

/// A refused recipient (SMTP 5xx) will not be accepted on a retry: permanent. A deferral (4xx)
/// and a server that is down are transient.
#[tokio::test]
async fn smtp_refusals_are_permanent_and_deferrals_or_outages_transient() {
    let smtp = SmtpServer::start_with("picky.Picky", Some(("picky.py", PICKY_HANDLER)));
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    let n = notice(Lang::ZhCn);
    match mailer.send("", "nobody@dealer.example", &n).await {
        Err(SendError::Permanent(e)) => assert!(e.contains("550"), "{e}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    match mailer.send("", "busy@dealer.example", &n).await {
        Err(SendError::Transient(e)) => assert!(e.contains("451"), "{e}"),
        other => panic!("expected Transient, got {other:?}"),
    }
    mailer.send("", "ok@dealer.example", &n).await.unwrap();
    assert_eq!(smtp.mails().len(), 1);

    match mailer.send("", "not an address", &n).await {
        Err(SendError::Permanent(e)) => assert!(e.contains("not valid"), "{e}"),
        other => panic!("expected Permanent, got {other:?}"),
    }

    let port = smtp.port;
    drop(smtp);
    let down = Mailer::new(&format!("smtp://127.0.0.1:{port}"), FROM).unwrap();
    match down.send("", "ok@dealer.example", &n).await {
        Err(SendError::Transient(e)) => assert!(e.contains("127.0.0.1"), "{e}"),
        other => panic!("expected Transient, got {other:?}"),
    }
}

/// Configuration errors are clear and neither they nor Debug show the SMTP password.
#[tokio::test]
async fn mailer_errors_and_debug_never_show_the_password() {
    let m = Mailer::new(
        "smtps://mailer%40liaison.example:hunter2-S3cret@smtp.example.com:465",
        "noreply@liaison.example",
    )
    .unwrap();
    let dbg = format!("{m:?}");
    assert!(!dbg.contains("hunter2"), "{dbg}");
    assert!(dbg.contains("smtps://smtp.example.com:465"), "{dbg}");
    for bad in [
        "smtpx://user:hunter2-S3cret@smtp.example.com",
        "smtp://user:hunter2-S3cret@smtp.example.com?tls=sometimes",
        "user:hunter2-S3cret@",
        "smtp://user:hunter2-S3cret@:25",
    ] {
        let e = Mailer::new(bad, FROM).unwrap_err();
        assert!(!e.contains("hunter2"), "{bad} → {e}");
    }
    let e = Mailer::new("smtp://127.0.0.1:25", "not a mailbox").unwrap_err();
    assert!(e.contains("From"), "{e}");
    let starttls = Mailer::new("smtp://smtp.example.com:587?tls=required", FROM).unwrap();
    assert!(format!("{starttls:?}").contains("smtp://smtp.example.com:587"));
}

/// The connection pool needs a Tokio runtime: without one `new` says so instead of panicking.
#[test]
fn a_mailer_outside_a_runtime_is_an_error_not_a_panic() {
    let e = Mailer::new("smtp://127.0.0.1:25", FROM).unwrap_err();
    assert!(e.contains("Tokio"), "{e}");
}

/// §3.4 replies by e-mail: a mail that can be answered carries `Reply-To: reply+TOKEN@domain`
/// under the From name, and stays marked as automatic so that out-of-office replies skip it.
#[tokio::test]
async fn a_mail_with_a_reply_address_carries_it_as_reply_to() {
    use liaison_channels::email::Note;
    use liaison_channels::inbound::{reply_address, token_in};

    let smtp = SmtpServer::start();
    let mailer = Mailer::new(&smtp.url(), FROM).unwrap();
    let token = "abcdefghijklmnopqrstuvwxyz234567abcdefghijkl";
    let reply = reply_address(token, FROM);
    assert_eq!(reply, format!("reply+{token}@liaison.example"));

    let note = Note {
        id: uuid::Uuid::now_v7(),
        lang: Lang::ZhCn,
        subject: "工单 T-1024 有新回复".to_owned(),
        lines: vec!["华东经销商：货架照片已上传。".to_owned()],
        link: "https://liaison.example.com/tickets/1024".to_owned(),
        link_label: "打开工单".to_owned(),
        footer: "Liaison".to_owned(),
        urgent: false,
        reply_to: Some(reply.clone()),
    };
    mailer
        .send_note("王芳", "wang@dealer.example", &note)
        .await
        .unwrap();
    let raw = mail_with_id(&smtp, &format!("<{}@liaison.example>", note.id));
    let m = mailparse::parse_mail(&raw).unwrap();
    let list = mailparse::addrparse_header(m.headers.get_first_header("Reply-To").unwrap())
        .unwrap()
        .extract_single_info()
        .unwrap();
    assert_eq!(list.addr, reply);
    assert_eq!(list.display_name.as_deref(), Some("Liaison"));
    assert_eq!(header(&m, "Auto-Submitted"), "auto-generated");
    assert_eq!(token_in(&[list.addr]).as_deref(), Some(token));

    // A notice: the Reply-To under the sender's name, as the From.
    let mut n = notice(Lang::ZhCn);
    n.reply_to = Some(reply.clone());
    mailer
        .send("王芳", "wang@dealer.example", &n)
        .await
        .unwrap();
    let raw = mail_with_id(&smtp, &format!("<{}@liaison.example>", n.delivery_id));
    let m = mailparse::parse_mail(&raw).unwrap();
    let info = mailparse::addrparse_header(m.headers.get_first_header("Reply-To").unwrap())
        .unwrap()
        .extract_single_info()
        .unwrap();
    assert_eq!(info.addr, reply);
    assert_eq!(info.display_name.as_deref(), Some("渠道管理部"));
    assert_eq!(header(&m, "Auto-Submitted"), "auto-generated");

    // Without one there is no Reply-To; a broken one is refused, not sent.
    let plain = Note {
        id: uuid::Uuid::now_v7(),
        reply_to: None,
        ..note.clone()
    };
    let built = mailer
        .build_note("王芳", "wang@dealer.example", &plain)
        .unwrap();
    let bytes = built.formatted();
    let m = mailparse::parse_mail(&bytes).unwrap();
    assert!(m.headers.get_first_value("Reply-To").is_none());
    let broken = Note {
        reply_to: Some("reply+x@@liaison".to_owned()),
        ..note
    };
    assert!(matches!(
        mailer.build_note("王芳", "wang@dealer.example", &broken),
        Err(SendError::Permanent(_))
    ));
}
