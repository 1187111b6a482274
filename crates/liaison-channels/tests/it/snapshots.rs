//! The contracts with the outside, as snapshots: what one e-mail and one card on each IM
//! platform look like when sent, so a change to them shows in review (STYLE "Snapshot the
//! contracts"). Ids, links and times are fixed; the MIME boundary and Date are left out.

use crate::common::notice;
use liaison_channels::Notice;
use liaison_channels::email::Mailer;
use liaison_channels::robot::{RobotClient, RobotKind};
use liaison_core::partner::Lang;
use mailparse::MailHeaderMap;
use uuid::Uuid;

/// The test notice with fixed ids and links.
fn fixed(lang: Lang) -> Notice {
    let mut n = notice(lang);
    n.delivery_id = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);
    n.message_id = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0002);
    n.view_url = format!("https://liaison.example.com/portal/inbox/{}", n.message_id);
    n.confirm_url = Some(format!(
        "https://liaison.example.com/ack/{}?sig=c0ffee",
        n.delivery_id
    ));
    n
}

#[test]
fn a_card_on_each_im_platform() {
    for kind in RobotKind::ALL {
        let card = RobotClient::payload(*kind, &fixed(Lang::ZhCn));
        insta::assert_json_snapshot!(format!("card_{}", kind.as_str()), card);
    }
}

#[tokio::test]
async fn an_email_as_sent() {
    let mailer = Mailer::new(
        "smtp://127.0.0.1:25",
        "渠道管理部 <channel@liaison.example>",
    )
    .expect("mailer");
    let raw = mailer
        .build("刘洋", "liu.yang@hengtong.example", &fixed(Lang::ZhCn))
        .expect("message")
        .formatted();
    let mail = mailparse::parse_mail(&raw).expect("parses");
    let mut out = String::new();
    for h in [
        "From",
        "To",
        "Subject",
        "Message-ID",
        "X-Priority",
        "Importance",
    ] {
        out += &format!(
            "{h}: {}\n",
            mail.headers.get_first_value(h).unwrap_or_default()
        );
    }
    let mut parts = vec![&mail];
    while let Some(p) = parts.pop() {
        if p.subparts.is_empty() {
            out += &format!(
                "\n--- {}\n{}\n",
                p.ctype.mimetype,
                p.get_body().expect("body").trim_end()
            );
        } else {
            parts.extend(p.subparts.iter().rev());
        }
    }
    insta::assert_snapshot!("email_zh_cn", out);
}
