//! Issue 10, item 7: a body (or title) with raw HTML and `javascript:`/`data:` links reaches no
//! reader live, on any platform or in e-mail (§2.1.2: robot messages stay proper; §7.2.1:
//! nothing may open a way into a reader's client). One sanitiser,
//! `liaison_channels::markdown::render`, writes every outgoing flavour; a normal link survives.

use crate::common::notice;
use liaison_channels::Notice;
use liaison_channels::email::Mailer;
use liaison_channels::markdown::{self, Flavor, safe_link};
use liaison_channels::robot::{RobotClient, RobotKind};
use liaison_core::partner::Lang;
use serde_json::Value;

const HOSTILE: &str = "各位合作伙伴：\n\n\
<script>alert(1)</script>\n\n\
<img src=x onerror=alert(2)>\n\n\
正文 <IMG SRC=x onerror=\"alert(3)\"> <a href=\"javascript:alert(4)\">点我</a> <at user_id=\"all\"></at>\n\n\
[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)\n\n\
[v](vbscript:msgbox(1)) [f](file:///etc/passwd) [t](<java\tscript:alert(1)>) [e](&#106;avascript:alert(1)) \
[p](%6Aavascript:alert(1)) [s]( javascript:alert(1)) [n](&#x6A;ava&#x73;cript&#x3A;alert(1)) <javascript:alert(1)>\n\n\
[r][bad] and \\[w\\](javascript:alert(1)) and ![i](javascript:alert(1))\n\n\
[bad]: javascript:alert(1)\n\n\
详见 [文档](https://example.com/a?b=1)。";

const GOOD: &str = "https://example.com/a?b=1";

fn hostile() -> Notice {
    let mut n = notice(Lang::ZhCn);
    n.title = "<img src=x onerror=alert(9)>[t](javascript:alert(9))通知".into();
    n.body = Some(HOSTILE.into());
    n
}

/// Every Markdown text of a card (the parts a platform renders).
fn card_markdown(kind: RobotKind, card: &Value) -> String {
    match kind {
        RobotKind::Wecom => card["markdown"]["content"].as_str().unwrap().to_owned(),
        RobotKind::Dingtalk => card["actionCard"]["text"].as_str().unwrap().to_owned(),
        RobotKind::Feishu => card["card"]["elements"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["text"]["content"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        RobotKind::Slack => {
            let mut out = vec![card["text"].as_str().unwrap().to_owned()];
            for b in card["blocks"].as_array().unwrap() {
                if let Some(t) = b["text"]["text"].as_str() {
                    out.push(t.to_owned());
                }
                for e in b["elements"].as_array().into_iter().flatten() {
                    if let Some(t) = e["text"].as_str() {
                        out.push(t.to_owned());
                    }
                }
            }
            out.join("\n")
        }
        RobotKind::Webhook => unreachable!("data, not a card"),
    }
}

/// The destinations of the Markdown links `[label](dest)` in `md`.
fn md_links(md: &str) -> Vec<String> {
    md.match_indices("](")
        .map(|(i, _)| {
            let rest = &md[i + 2..];
            rest[..rest.find(')').unwrap_or(rest.len())].to_owned()
        })
        .collect()
}

/// Raw HTML, in any case, that a renderer could take for a tag (`<a ` too, unless `links`).
/// Without its `<`, what was a tag is text, its attributes with it.
fn live_tags(text: &str, links: bool) -> Vec<&'static str> {
    let lower = text.to_lowercase();
    ["<script", "<img", "<at ", "<iframe", "<a "]
        .into_iter()
        .take(if links { 4 } else { 5 })
        .filter(|t| lower.contains(t))
        .collect()
}

#[test]
fn im_cards_carry_no_raw_html_and_no_link_but_http_and_mailto() {
    for kind in [
        RobotKind::Wecom,
        RobotKind::Dingtalk,
        RobotKind::Feishu,
        RobotKind::Slack,
    ] {
        let card = RobotClient::payload(kind, &hostile());
        let md = card_markdown(kind, &card);
        assert!(
            live_tags(&md, false).is_empty(),
            "{kind}: {:?}\n{md}",
            live_tags(&md, false)
        );
        match kind {
            RobotKind::Slack => {
                // Slack's `<…>` is a link, a mention or a command: only links to the web.
                for (i, _) in md.match_indices('<') {
                    let rest = &md[i + 1..];
                    assert!(
                        rest.starts_with("https://") || rest.starts_with("http://"),
                        "{kind}: {}",
                        &rest[..rest.len().min(40)]
                    );
                }
                assert!(md.contains(&format!("<{GOOD}|文档>")), "{kind}: {md}");
            }
            _ => {
                let links = md_links(&md);
                assert!(
                    links.iter().all(|d| safe_link(d)),
                    "{kind}: {links:?}\n{md}"
                );
                // The body's one good link, the card's own (WeCom writes them in its text).
                assert_eq!(
                    links.iter().filter(|d| d.as_str() == GOOD).count(),
                    1,
                    "{kind}: {md}"
                );
                assert!(md.contains(&format!("[文档]({GOOD})")), "{kind}: {md}");
                // The only tags left are WeCom's own colours.
                let tags = md.matches('<').count();
                let fonts = md.matches("<font color=").count() + md.matches("</font>").count();
                assert_eq!(tags, fonts, "{kind}: {md}");
            }
        }
        // Whatever was a link is still readable as its text.
        for label in ["x", "y", "z", "点我"] {
            assert!(md.contains(label), "{kind}: {label}");
        }
        // Brackets written as text do not become a link either.
        assert!(!md.to_lowercase().contains("](javascript:"), "{kind}: {md}");
        // The buttons and links Liaison adds keep their own addresses.
        assert!(
            card.to_string().contains("https://liaison.example.com/"),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn an_email_carries_no_live_html_and_no_link_but_http_and_mailto() {
    let mailer = Mailer::new(
        "smtp://127.0.0.1:25",
        "渠道管理部 <channel@liaison.example>",
    )
    .expect("mailer");
    let raw = mailer
        .build("刘洋", "liu.yang@hengtong.example", &hostile())
        .expect("message")
        .formatted();
    let mail = mailparse::parse_mail(&raw).expect("parses");
    let mut parts = vec![&mail];
    let (mut text, mut html) = (String::new(), String::new());
    while let Some(p) = parts.pop() {
        match p.ctype.mimetype.as_str() {
            "text/plain" => text = p.get_body().unwrap(),
            "text/html" => html = p.get_body().unwrap(),
            _ => parts.extend(p.subparts.iter()),
        }
    }
    // text/plain shows no markup at all; its links are written out, the good one only.
    assert!(text.contains(&format!("文档 ({GOOD})")), "{text}");
    assert!(!text.to_lowercase().contains(" (javascript"), "{text}");
    assert!(!text.contains(" (data:"), "{text}");
    // HTML: the raw tags are text, every href is the web, mail or the page itself.
    assert!(
        live_tags(&html, true).is_empty(),
        "{:?}",
        live_tags(&html, true)
    );
    for (i, _) in html.match_indices("<a href=\"") {
        let rest = &html[i + 9..];
        let href = &rest[..rest.find('"').unwrap()];
        assert!(safe_link(href) || href == "#", "{href}");
    }
    assert!(html.contains(&format!("<a href=\"{GOOD}\"")), "{html}");
    assert!(
        !html.contains("<a href=\"#\""),
        "refused links are text: {html}"
    );
}

/// The link rule alone: the web and mail, in any case, nothing else in any disguise.
#[test]
fn only_http_https_and_mailto_links_are_safe_whatever_their_disguise() {
    for ok in [
        "https://example.com/a?b=1",
        "HTTP://example.com",
        "  https://example.com ",
        "mailto:li.na@example.com",
        "MailTo:li.na@example.com",
    ] {
        assert!(safe_link(ok), "{ok}");
    }
    for bad in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\u{0}javascript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript:alert(1)",
        "%6Aavascript:alert(1)",
        "javascript&colon;alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "DATA:text/html,x",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/x",
        "/relative",
        "https\t://example.com",
        "https://exa\u{0}mple.com",
        "",
    ] {
        assert!(!safe_link(bad), "{bad:?}");
    }
}

/// Text that is not Markdown (titles, names) and raw HTML in a body come out as text in each
/// flavour: WeCom's look-alike brackets, entities for DingTalk, Feishu and Slack.
#[test]
fn raw_html_is_text_in_every_flavour() {
    let md = "a <b>b</b> & [c](javascript:x) \\[d\\](javascript:y)";
    assert_eq!(
        markdown::render(md, Flavor::Wecom),
        "a ＜b＞b＜/b＞ & c [d]\u{200B}(javascript:y)"
    );
    assert_eq!(
        markdown::render(md, Flavor::Dingtalk),
        "a &lt;b&gt;b&lt;/b&gt; & c [d]\u{200B}(javascript:y)"
    );
    assert_eq!(
        markdown::render(md, Flavor::Lark),
        "a &lt;b&gt;b&lt;/b&gt; & c [d]\u{200B}(javascript:y)"
    );
    assert_eq!(
        markdown::render(md, Flavor::Slack),
        "a &lt;b&gt;b&lt;/b&gt; &amp; c [d]\u{200B}(javascript:y)"
    );
    assert_eq!(
        markdown::render(md, Flavor::Plain),
        "a <b>b</b> & c [d](javascript:y)"
    );
    assert_eq!(
        markdown::escape("[t](javascript:1) <at id=all>", Flavor::Lark),
        "[t]\u{200B}(javascript:1) &lt;at id=all&gt;"
    );
    // Structure the platform has survives: headings, bold, lists, a good link.
    assert_eq!(
        markdown::render(
            "## 标题\n\n**重点** [文档](https://example.com/a?b=1)\n\n- 甲",
            Flavor::Dingtalk
        ),
        "## 标题\n\n**重点** [文档](https://example.com/a?b=1)\n\n- 甲"
    );
    assert_eq!(
        markdown::render("## 标题\n\n[a](https://e.com/x_(y))", Flavor::Lark),
        "**标题**\n\n[a](https://e.com/x_%28y%29)"
    );
}
