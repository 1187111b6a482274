//! Replies by e-mail (§3.4) read from a real IMAP server: Debian's dovecot serving a Maildir the
//! tests deliver into (`testing::ImapServer`, dovecot-imapd installed by scripts/install-deps).

use base64::Engine;
use liaison_channels::imap::{ImapConfig, ImapError, Mailbox};
use liaison_channels::inbound::{parse_inbound, token_in};
use liaison_channels::testing::ImapServer;

const TOKEN: &str = "abcdefghijklmnopqrstuvwxyz234567abcdefghijkl";

/// A 1×1 PNG.
const PNG: &str = "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c49444154789c63f8cfc0000003010100c9fe92ef0000000049454e44ae426082";

fn png() -> Vec<u8> {
    hex::decode(PNG).unwrap()
}

/// Base64 in 76-character lines, as mail clients write it.
fn b64_lines(bytes: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    text.as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A partner's answer from a Chinese phone client: GB2312 text with the quoted notice under a
/// `写道：` header and a photo of the shop attached. Written with bare LF line ends, as many
/// delivery agents store mail.
fn chinese_reply() -> Vec<u8> {
    let text = format!(
        "好的，我们下周一前提交季度数据。\n附件是门店照片。\n\n发自我的iPhone\n\n在 2026年12月4日 星期五 10:00，华东渠道部 <reply+{TOKEN}@liaison.example> 写道：\n> 请于下周一前提交季度数据。\n> 谢谢\n"
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    format!(
        "From: =?UTF-8?B?546L6Iqz?= <Wang.Fang@dealer.example>\n\
To: =?UTF-8?B?5Y2O5Lic5rig6YGT6YOo?= <reply+{TOKEN}@liaison.example>\n\
Subject: =?UTF-8?B?UmU6IOWto+W6puaVsOaNrg==?=\n\
Date: Sat, 5 Dec 2026 09:30:00 +0800\n\
Message-ID: <cn-1@dealer.example>\n\
In-Reply-To: <0193a000-0000-7000-8000-000000000001@liaison.example>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"b1\"\n\
\n\
--b1\n\
Content-Type: text/plain; charset=GB2312\n\
Content-Transfer-Encoding: base64\n\
\n\
{}\n\
--b1\n\
Content-Type: image/png; name=\"shop.png\"\n\
Content-Disposition: attachment; filename*=UTF-8''%E9%97%A8%E5%BA%97.png\n\
Content-Transfer-Encoding: base64\n\
\n\
{}\n\
--b1--\n",
        b64_lines(&gbk),
        b64_lines(&png()),
    )
    .into_bytes()
}

/// An English answer with CRLF line ends and a Gmail-style quote.
fn english_reply() -> Vec<u8> {
    format!(
        "From: Li Lei <li.lei@north.example>\r\n\
To: reply+{TOKEN}@liaison.example\r\n\
Subject: Re: Launch date\r\n\
Message-ID: <en-2@north.example>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Confirmed, thanks.\r\n\
\r\n\
On Fri, Dec 4, 2026 at 10:00 AM Liaison <reply+{TOKEN}@liaison.example> wrote:\r\n\
> Please confirm the launch date.\r\n"
    )
    .into_bytes()
}

/// The mail as IMAP serves it: every line ending in CRLF.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

async fn open(server: &ImapServer) -> Mailbox {
    let cfg = ImapConfig::parse(&server.url(ImapServer::USER)).unwrap();
    match Mailbox::connect(&cfg).await {
        Ok(mb) => mb,
        Err(e) => panic!("{e}\n{}", server.log()),
    }
}

/// §3.4: the worker lists the unseen replies, fetches each whole without marking it, files it
/// (here: parses it) and only then marks it seen.
#[tokio::test]
async fn replies_are_listed_fetched_whole_and_marked_seen_once_filed() {
    let server = ImapServer::start();
    let (cn, en) = (chinese_reply(), english_reply());
    server.deliver(&cn);
    server.deliver(&en);

    let mut mb = open(&server).await;
    assert!(mb.uid_validity() > 0);
    let unseen = mb.search_unseen().await.unwrap();
    assert_eq!(unseen.len(), 2, "{unseen:?}");

    let mut fetched = Vec::new();
    for &uid in &unseen {
        fetched.push((uid, mb.fetch(uid).await.unwrap()));
    }
    // Fetching peeks: both are still unseen.
    assert_eq!(mb.search_unseen().await.unwrap(), unseen);
    let (cn_uid, cn_raw) = fetched
        .iter()
        .find(|(_, raw)| raw.windows(10).any(|w| w == b"cn-1@deale"))
        .cloned()
        .expect("the Chinese reply");
    let (en_uid, en_raw) = fetched
        .iter()
        .find(|(uid, _)| *uid != cn_uid)
        .cloned()
        .expect("the English reply");
    assert_eq!(cn_raw, crlf(&cn));
    assert_eq!(en_raw, en);

    let m = parse_inbound(&cn_raw).unwrap();
    assert_eq!(m.from_addr, "wang.fang@dealer.example");
    assert_eq!(m.from_name.as_deref(), Some("王芳"));
    assert_eq!(m.subject, "Re: 季度数据");
    assert_eq!(m.message_id.as_deref(), Some("<cn-1@dealer.example>"));
    assert_eq!(
        m.in_reply_to.as_deref(),
        Some("<0193a000-0000-7000-8000-000000000001@liaison.example>")
    );
    assert!(!m.auto_submitted);
    assert_eq!(token_in(&m.recipients).as_deref(), Some(TOKEN));
    assert_eq!(m.body, "好的，我们下周一前提交季度数据。\n附件是门店照片。");
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].filename, "门店.png");
    assert_eq!(m.attachments[0].content_type, "image/png");
    assert_eq!(m.attachments[0].bytes, png());

    let m = parse_inbound(&en_raw).unwrap();
    assert_eq!(m.body, "Confirmed, thanks.");
    assert_eq!(m.from_name.as_deref(), Some("Li Lei"));

    mb.mark_seen(cn_uid).await.unwrap();
    assert_eq!(mb.search_unseen().await.unwrap(), vec![en_uid]);

    // A reply that arrives while the session is open is seen by the next search.
    server.deliver(&english_reply());
    let now = mb.search_unseen().await.unwrap();
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(now.contains(&en_uid) && !now.contains(&cn_uid));
    let validity = mb.uid_validity();
    mb.logout().await.unwrap();

    // The flag is the server's: a new session sees the same, under the same UIDVALIDITY.
    let mut again = open(&server).await;
    assert_eq!(again.uid_validity(), validity);
    assert_eq!(again.search_unseen().await.unwrap(), now);
    assert_eq!(again.fetch(cn_uid).await.unwrap(), cn_raw);
    again.logout().await.unwrap();
}

/// The lead's worker may run twice (two instances): both sessions see an unseen reply until one
/// marks it, so filing dedups by (UIDVALIDITY, UID) in the database.
#[tokio::test]
async fn two_sessions_both_see_an_unseen_reply() {
    let server = ImapServer::start();
    let raw = english_reply();
    server.deliver(&raw);

    let (mut a, mut b) = tokio::join!(open(&server), open(&server));
    assert_eq!(a.uid_validity(), b.uid_validity());
    let (ua, ub) = tokio::join!(a.search_unseen(), b.search_unseen());
    let (ua, ub) = (ua.unwrap(), ub.unwrap());
    assert_eq!(ua.len(), 1);
    assert_eq!(ua, ub);
    let uid = ua[0];
    let (fa, fb) = tokio::join!(a.fetch(uid), b.fetch(uid));
    assert_eq!(fa.unwrap(), raw);
    assert_eq!(fb.unwrap(), raw);

    a.mark_seen(uid).await.unwrap();
    assert_eq!(b.search_unseen().await.unwrap(), Vec::<u32>::new());
    // Marking again (the other instance finishing too) is harmless.
    b.mark_seen(uid).await.unwrap();
    a.logout().await.unwrap();
    b.logout().await.unwrap();
}

#[tokio::test]
async fn a_wrong_password_or_user_is_an_auth_error_without_the_password() {
    let server = ImapServer::start();
    let wrong = format!(
        "imap://{}:not-the-password@127.0.0.1:{}/INBOX",
        ImapServer::USER,
        server.port
    );
    match Mailbox::connect(&ImapConfig::parse(&wrong).unwrap()).await {
        Err(ImapError::Auth(text)) => {
            assert!(text.contains("Authentication failed"), "{text}");
            assert!(!text.contains("not-the-password"), "{text}");
            assert!(text.contains(&format!("imap://127.0.0.1:{}", server.port)));
        }
        other => panic!("{other:?}"),
    }
    let stranger = ImapConfig::parse(&server.url("stranger")).unwrap();
    assert!(matches!(
        Mailbox::connect(&stranger).await,
        Err(ImapError::Auth(_))
    ));
    // The right password still gets in after the failures.
    open(&server).await.logout().await.unwrap();
}

#[tokio::test]
async fn a_missing_mailbox_a_closed_port_or_tls_to_a_plain_port_is_a_clear_error() {
    let server = ImapServer::start();
    let url = server
        .url(ImapServer::USER)
        .replace("/INBOX", "/%E5%9B%9E%E5%A4%8D");
    match Mailbox::connect(&ImapConfig::parse(&url).unwrap()).await {
        Err(ImapError::Protocol(text)) => {
            assert!(text.contains("SELECT"), "{text}");
            assert!(text.contains("doesn't exist"), "{text}");
        }
        other => panic!("{other:?}"),
    }

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("imap://u:secret-pw@127.0.0.1:{closed}/");
    match Mailbox::connect(&ImapConfig::parse(&url).unwrap()).await {
        Err(ImapError::Connect(text)) => assert!(!text.contains("secret-pw"), "{text}"),
        other => panic!("{other:?}"),
    }

    // imaps:// to a server that talks plain IMAP: the TLS handshake fails.
    let url = format!("imaps://u:secret-pw@127.0.0.1:{}/", server.port);
    match Mailbox::connect(&ImapConfig::parse(&url).unwrap()).await {
        Err(ImapError::Connect(text)) => {
            assert!(text.contains("TLS"), "{text}");
            assert!(!text.contains("secret-pw"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn fetching_a_uid_that_is_not_there_is_a_protocol_error() {
    let server = ImapServer::start();
    let mut mb = open(&server).await;
    assert_eq!(mb.search_unseen().await.unwrap(), Vec::<u32>::new());
    assert!(matches!(mb.fetch(4242).await, Err(ImapError::Protocol(_))));
    // The session is still usable after the refusal.
    server.deliver(&english_reply());
    assert_eq!(mb.search_unseen().await.unwrap().len(), 1);
    mb.logout().await.unwrap();
}
