//! Replies by e-mail (policy §3.4): one raw mail read from the reply mailbox turned into what
//! the app files: who wrote, to which `reply+TOKEN@` address, the new text without the quoted
//! original and signature, and the attachments. Reading the mailbox is [`crate::imap`]'s job;
//! checking the token and filing the answer belong to `liaison-db` (`link::verify_reply`) and
//! the app.
//!
//! Mails from Chinese clients are first-class: GBK and GB2312 bodies, raw 8-bit headers, and
//! the quote headers of Foxmail, QQ Mail, NetEase and the Chinese Outlook and Gmail.

use mailparse::{DispositionType, MailAddr, MailHeader, MailHeaderMap, ParsedMail};

/// One reply as the app files it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// `<id@host>`, brackets kept as in [`crate::email::Mailer::message_id`]; the caller's
    /// second key for dedup.
    pub message_id: Option<String>,
    /// The From address, lowercased.
    pub from_addr: String,
    pub from_name: Option<String>,
    /// To, Cc, Delivered-To and X-Original-To addresses, lowercased, each once: the
    /// `reply+TOKEN@` address may be in any of them ([`token_in`]).
    pub recipients: Vec<String>,
    pub subject: String,
    /// The first Message-ID in In-Reply-To, brackets kept.
    pub in_reply_to: Option<String>,
    /// An automatic reply (out of office, a bounce, a list): not to be filed as an answer
    /// (RFC 3834 and the headers clients use in its place).
    pub auto_submitted: bool,
    /// The new text of the reply ([`trim_reply`]); empty when everything in it was quoted.
    pub body: String,
    pub attachments: Vec<InboundAttachment>,
    /// The text of a `text/calendar` part (a calendar client's answer to an invitation,
    /// `METHOD:REPLY`), when the mail has one.
    pub calendar: Option<String>,
}

/// A file that came with a reply, inline images with a name included.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundAttachment {
    pub filename: String,
    /// Lowercase MIME type, e.g. `image/png`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for InboundAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundAttachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// Reads one raw mail (RFC 5322 bytes as IMAP's FETCH returns them). An error only when there
/// is no mail to speak of: no parsable structure or no From address.
pub fn parse_inbound(raw: &[u8]) -> Result<InboundMail, String> {
    let mail =
        mailparse::parse_mail(raw).map_err(|e| format!("the mail could not be read: {e}"))?;
    let headers = &mail.headers;

    let from = headers
        .get_all_headers("From")
        .into_iter()
        .flat_map(addresses)
        .next()
        .ok_or("the mail has no From address")?;
    let mut recipients: Vec<String> = Vec::new();
    for name in ["To", "Cc", "Delivered-To", "X-Original-To"] {
        for (addr, _) in headers
            .get_all_headers(name)
            .into_iter()
            .flat_map(addresses)
        {
            if !recipients.contains(&addr) {
                recipients.push(addr);
            }
        }
    }
    let subject = headers
        .get_first_header("Subject")
        .map(header_text)
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default();

    let leaves: Vec<&ParsedMail<'_>> = mail.parts().filter(|p| p.subparts.is_empty()).collect();
    let is_attachment = |p: &ParsedMail<'_>| {
        p.get_content_disposition().disposition == DispositionType::Attachment
            || filename(p).is_some()
    };
    let text = leaves
        .iter()
        .find(|p| p.ctype.mimetype == "text/plain" && !is_attachment(p))
        .map(|p| body_text(p))
        .or_else(|| {
            leaves
                .iter()
                .find(|p| p.ctype.mimetype == "text/html" && !is_attachment(p))
                .map(|p| html_to_text(&body_text(p)))
        })
        .unwrap_or_default();
    let mut attachments = Vec::new();
    for p in leaves.iter().filter(|p| is_attachment(p)) {
        let bytes = p
            .get_body_raw()
            .map_err(|e| format!("an attachment could not be decoded: {e}"))?;
        attachments.push(InboundAttachment {
            filename: filename(p).unwrap_or_else(|| "attachment".to_owned()),
            content_type: p.ctype.mimetype.clone(),
            bytes,
        });
    }

    let calendar = leaves
        .iter()
        .find(|p| {
            matches!(
                p.ctype.mimetype.as_str(),
                "text/calendar" | "application/ics"
            )
        })
        .map(|p| body_text(p));
    Ok(InboundMail {
        calendar,
        message_id: headers
            .get_first_value("Message-ID")
            .and_then(|v| first_id(&v)),
        from_addr: from.0,
        from_name: from.1,
        recipients,
        subject,
        in_reply_to: headers
            .get_first_value("In-Reply-To")
            .and_then(|v| first_id(&v)),
        auto_submitted: is_automatic(&mail),
        body: trim_reply(&text),
        attachments,
    })
}

/// RFC 3834's Auto-Submitted (anything but `no`), the Precedence and X-Autoreply headers older
/// responders use instead, and delivery reports (bounces).
fn is_automatic(mail: &ParsedMail<'_>) -> bool {
    let h = &mail.headers;
    let first_word = |name: &str| {
        h.get_first_value(name).map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
    };
    first_word("Auto-Submitted").is_some_and(|v| v != "no")
        || first_word("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "list" | "junk"))
        || h.get_first_header("X-Autoreply").is_some()
        || h.get_first_header("X-Autorespond").is_some()
        || mail.ctype.mimetype == "multipart/report"
}

/// The addresses in an address header, lowercased, with their display names.
fn addresses(h: &MailHeader<'_>) -> Vec<(String, Option<String>)> {
    let value = header_text(h);
    let parsed = mailparse::addrparse(&value).map(|list| {
        let mut out = Vec::new();
        for a in list.iter() {
            match a {
                MailAddr::Single(s) => out.push((s.addr.clone(), s.display_name.clone())),
                MailAddr::Group(g) => out.extend(
                    g.addrs
                        .iter()
                        .map(|s| (s.addr.clone(), s.display_name.clone())),
                ),
            }
        }
        out
    });
    // What the parser refuses (a bare address with odd characters, a broken quote), a word
    // holding an @ still names.
    let found = match parsed {
        Ok(list) if !list.is_empty() => list,
        _ => value
            .split([',', ';', ' ', '\t'])
            .map(|w| w.trim().trim_start_matches('<').trim_end_matches('>'))
            .filter(|w| w.contains('@'))
            .map(|w| (w.to_owned(), None))
            .collect(),
    };
    found
        .into_iter()
        .map(|(addr, name)| {
            let name = name
                .map(|n| n.trim().trim_matches('"').trim().to_owned())
                .filter(|n| !n.is_empty());
            (addr.trim().to_lowercase(), name)
        })
        .filter(|(addr, _)| addr.contains('@'))
        .collect()
}

/// A header's value, RFC 2047 words decoded; raw 8-bit bytes that are not UTF-8 are read as
/// GB18030 (what Chinese clients that skip the encoding send) rather than Latin-1.
fn header_text(h: &MailHeader<'_>) -> String {
    let raw = h.get_value_raw();
    if std::str::from_utf8(raw).is_ok() {
        return h.get_value();
    }
    let (text, _, _) = encoding_rs::GB18030.decode(raw);
    let line = format!("X: {}\r\n", text.replace(['\r', '\n'], " "));
    mailparse::parse_header(line.as_bytes())
        .map(|(h, _)| h.get_value())
        .unwrap_or_else(|_| text.into_owned())
}

/// The first `<...>` in a Message-ID or In-Reply-To header.
fn first_id(value: &str) -> Option<String> {
    let start = value.find('<')?;
    let len = value[start..].find('>')?;
    let id = &value[start..=start + len];
    (id.len() > 2 && !id.contains(char::is_whitespace)).then(|| id.to_owned())
}

/// A part's file name (Content-Disposition's, else Content-Type's `name`), reduced to its last
/// path component without control characters.
fn filename(p: &ParsedMail<'_>) -> Option<String> {
    let disposition = p.get_content_disposition();
    let name = disposition
        .params
        .get("filename")
        .or_else(|| p.ctype.params.get("name"))?;
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// A text part as a string with `\n` line ends. A part that declares no charset but is not
/// ASCII is read as UTF-8 when it is that, else as GB18030.
fn body_text(p: &ParsedMail<'_>) -> String {
    let declared = p.ctype.params.contains_key("charset");
    let text = match p.get_body_raw() {
        Ok(raw) if !declared && !raw.is_ascii() => match String::from_utf8(raw) {
            Ok(s) => s,
            Err(e) => encoding_rs::GB18030.decode(e.as_bytes()).0.into_owned(),
        },
        _ => p.get_body().unwrap_or_default(),
    };
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// HTML to plain text, simply: scripts, styles and comments dropped, blocks and `<br>` as line
/// breaks, paragraphs apart by a blank line, entities decoded, whitespace collapsed; a `<blockquote>`'s lines get `> `, so
/// that [`trim_reply`] drops them as it drops a plain mail's quotes.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut quote = 0usize;
    let mut rest = html;
    // Whether a space is pending between words (HTML whitespace collapses to one).
    let mut space = false;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |i| &after[i + 3..]);
            continue;
        }
        if rest.starts_with('<') {
            let end = rest.find('>').unwrap_or(rest.len());
            let tag = &rest[1..end];
            rest = rest.get(end + 1..).unwrap_or("");
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            match name.as_str() {
                "script" | "style" | "head" | "title" if !closing => {
                    // Skip to the closing tag, scanning each byte once.
                    let close = format!("</{name}");
                    rest = rest
                        .as_bytes()
                        .windows(close.len())
                        .position(|w| w.eq_ignore_ascii_case(close.as_bytes()))
                        .map_or("", |i| {
                            let after = &rest[i..];
                            after.find('>').map_or("", |j| &after[j + 1..])
                        });
                }
                "br" => newline(&mut out, quote),
                "p" => {
                    end_line(&mut out);
                    newline(&mut out, quote);
                }
                "blockquote" => {
                    end_line(&mut out);
                    quote = if closing {
                        quote.saturating_sub(1)
                    } else {
                        quote + 1
                    };
                }
                "div" | "tr" | "li" | "ul" | "ol" | "table" | "h1" | "h2" | "h3" | "h4" | "h5"
                | "h6" | "pre" | "hr" => end_line(&mut out),
                "td" | "th" => space = true,
                _ => {}
            }
            continue;
        }
        let next = rest.find('<').unwrap_or(rest.len());
        let chunk = decode_entities(&rest[..next]);
        rest = &rest[next..];
        for c in chunk.chars() {
            if c.is_whitespace() && c != '\u{a0}' {
                space = true;
                continue;
            }
            let line_start = out.is_empty() || out.ends_with('\n');
            if line_start {
                for _ in 0..quote {
                    out.push_str("> ");
                }
            } else if space {
                out.push(' ');
            }
            space = false;
            out.push(if c == '\u{a0}' { ' ' } else { c });
        }
    }
    // At most one blank line in a row, none at the ends.
    let mut text = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines().map(str::trim_end) {
        let empty = line.trim_start_matches(['>', ' ']).is_empty();
        blank = if empty { blank + 1 } else { 0 };
        if blank < 2 {
            text.push_str(line);
            text.push('\n');
        }
    }
    text.trim().to_owned()
}

/// Ends the current line if it has anything on it: block elements (`<div>` per line, as
/// Gmail writes) break lines without adding blank ones.
fn end_line(out: &mut String) {
    if !(out.is_empty() || out.ends_with('\n')) {
        out.push('\n');
    }
}

/// A line break, even on an empty line (with the quote depth's marks kept on empty quoted
/// lines): `<br>`, and the blank line around a `<p>`.
fn newline(out: &mut String, quote: usize) {
    if quote > 0 && (out.is_empty() || out.ends_with('\n')) {
        for _ in 0..quote {
            out.push('>');
        }
    }
    out.push('\n');
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#39;`, `&nbsp;` and numeric references; any
/// other entity stays as written.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The new text of a reply: everything from the first quote header on is cut (`On … wrote:`
/// also over two or three lines, `在 … 写道：`, Outlook's `-----Original Message-----` and
/// `-----原始邮件-----`, NetEase's `---- 回复的原邮件 ----`, a `From:`/`发件人：` header block
/// with its Sent/Date/发送时间 line), as is a signature (`-- `, `Sent from my iPhone`,
/// `发自我的iPhone`, `从我的 iPhone 发送`, `Sent from Mail for Windows`); `>` quoted lines are
/// dropped wherever they are.
///
/// When that leaves nothing but the mail had text of its own (an answer written below the
/// quote), the lines that are neither quoted nor an attribution are kept instead, up to a
/// signature or an Outlook-style header block; an empty result means everything was quoted, and the caller refuses the mail.
pub fn trim_reply(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let cut = (0..lines.len())
        .find(|&i| quote_header(&lines, i).is_some() || is_signature(lines[i]))
        .unwrap_or(lines.len());
    let kept = join(lines[..cut].iter().copied().filter(|l| !is_quoted(l)));
    if !kept.is_empty() {
        return kept;
    }
    // An answer below the quote: skip quoted lines, attributions and signature lines, and stop
    // at a header block (the original below it carries no `>`).
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        match quote_header(&lines, i) {
            Some(Header::Block) => break,
            Some(Header::Attribution(n)) => {
                i += n;
                continue;
            }
            None => {}
        }
        let line = lines[i];
        if is_signature(line) {
            break;
        }
        if !is_quoted(line) {
            out.push(line);
        }
        i += 1;
    }
    join(out.into_iter())
}

/// What starts at a line: an attribution over `n` lines (`On … wrote:`, whose quote is marked
/// with `>`), or a header block or separator (Outlook's, whose quote is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Header {
    Attribution(usize),
    Block,
}

fn quote_header(lines: &[&str], i: usize) -> Option<Header> {
    let line = lines[i].trim();
    if line.is_empty() {
        return None;
    }
    if is_separator(line) {
        return Some(Header::Block);
    }
    if header_block(lines, i) {
        return Some(Header::Block);
    }
    // Outlook's rule of underscores just above its header block.
    if line.len() >= 10 && line.chars().all(|c| c == '_') && header_block(lines, i + 1) {
        return Some(Header::Block);
    }
    if ends_attribution(line) {
        // A lone "… wrote:" counts when it starts a line with `On`/`在`, or quoted lines follow.
        let quoted_next = lines[i + 1..]
            .iter()
            .find(|l| !l.trim().is_empty())
            .is_some_and(|l| is_quoted(l));
        if starts_attribution(line) || quoted_next {
            return Some(Header::Attribution(1));
        }
    }
    // Wrapped: `On Fri, 4 Dec 2026 at 10:00, Wang Fang <` / `wang@dealer.example> wrote:`.
    if starts_attribution(line) {
        for (n, next) in lines[i + 1..].iter().take(2).enumerate() {
            let next = next.trim();
            if next.is_empty() || is_quoted(next) {
                break;
            }
            if ends_attribution(next) {
                return Some(Header::Attribution(n + 2));
            }
        }
    }
    None
}

/// `From: …` with a `Sent: …`/`发送时间：…` line among the next four.
fn header_block(lines: &[&str], i: usize) -> bool {
    lines
        .get(i)
        .is_some_and(|l| header_field(l.trim(), FROM_FIELDS))
        && lines[i + 1..]
            .iter()
            .take(4)
            .any(|l| header_field(l.trim(), DATE_FIELDS))
}

const FROM_FIELDS: &[&str] = &["from", "发件人", "寄件者", "寄件人"];
const DATE_FIELDS: &[&str] = &[
    "sent",
    "date",
    "发送时间",
    "日期",
    "时间",
    "寄件日期",
    "傳送時間",
];

/// `From: …`, `发件人：…` (ASCII or full-width colon; Outlook's plain text may bold it as
/// `*From:*`).
fn header_field(line: &str, names: &[&str]) -> bool {
    let line = line.trim_start_matches('*').trim_start();
    names.iter().any(|name| {
        line.get(..name.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(name))
            && line[name.len()..]
                .trim_start_matches('*')
                .trim_start()
                .starts_with([':', '：'])
    })
}

/// `-----Original Message-----`, `-----原始邮件-----`, `---- 回复的原邮件 ----` and kin.
fn is_separator(line: &str) -> bool {
    let inner = line.trim_matches(|c: char| c == '-' || c.is_whitespace());
    if line.len() - line.trim_start_matches('-').len() < 2 || inner.len() == line.len() {
        return false;
    }
    let inner = inner.to_lowercase();
    [
        "original message",
        "ursprüngliche nachricht",
        "原始邮件",
        "原始郵件",
        "回复的原邮件",
        "回覆的原郵件",
    ]
    .iter()
    .any(|s| inner == *s)
}

fn starts_attribution(line: &str) -> bool {
    line.starts_with("On ") || line.starts_with('在') || line.starts_with("於 ")
}

fn ends_attribution(line: &str) -> bool {
    let line = line.trim_end();
    line.ends_with("wrote:")
        || ["写道：", "写道:", "寫道：", "寫道:"]
            .iter()
            .any(|s| line.ends_with(s))
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// The signature separator and the lines phones and mail apps add.
fn is_signature(line: &str) -> bool {
    if line == "-- " || line.trim() == "--" {
        return true;
    }
    let line = line.trim();
    if line.chars().count() > 40 {
        return false;
    }
    let lower = line.to_lowercase();
    lower.starts_with("sent from my ")
        || lower.starts_with("sent from mail for windows")
        || lower.starts_with("get outlook for ")
        || line.starts_with("发自我的")
        || line.starts_with("发自网易邮箱")
        || line.starts_with("来自我的")
        || (line.starts_with("从我的") && line.ends_with("发送"))
}

/// Lines joined, trailing whitespace, blank lines and leftover rules (`____`, `----`) gone from
/// both ends.
fn join<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let lines: Vec<&str> = lines.collect();
    let filler = |l: &&str| l.trim().chars().all(|c| c == '_' || c == '-');
    let start = lines.iter().position(|l| !filler(l)).unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !filler(l))
        .map_or(start, |i| i + 1);
    lines[start..end].join("\n")
}

/// `reply+TOKEN@domain`, the Reply-To address of a mail sent from `from_addr` (`Name <a@b>` or
/// a bare address): the reply mailbox shares the From address's domain (§3.4).
pub fn reply_address(local_token: &str, from_addr: &str) -> String {
    let addr = from_addr
        .rsplit_once('<')
        .map_or(from_addr, |(_, a)| a.trim_end_matches('>'))
        .trim();
    let domain = addr.rsplit_once('@').map_or(addr, |(_, d)| d);
    format!("reply+{local_token}@{}", domain.to_ascii_lowercase())
}

/// The token of the first `reply+TOKEN@…` address among `recipients`, lowercased. `reply+` in
/// any case; the token must look like one (base32 letters and digits), so a stray
/// `reply+foo.bar@` is not mistaken for it.
pub fn token_in(recipients: &[String]) -> Option<String> {
    recipients.iter().find_map(|r| {
        let (local, _) = r.trim().rsplit_once('@')?;
        let head = local.get(..6)?;
        if !head.eq_ignore_ascii_case("reply+") {
            return None;
        }
        let token = local[6..].to_ascii_lowercase();
        (!token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
        .then_some(token)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_attribution_cuts_the_quote() {
        let text = "Yes, we will send the figures on Monday.\n\nOn Fri, Dec 4, 2026 at 10:00 AM Liaison <reply+abc@liaison.example> wrote:\n> Please send the Q4 figures.\n> Thanks\n";
        assert_eq!(trim_reply(text), "Yes, we will send the figures on Monday.");
    }

    #[test]
    fn an_attribution_wrapped_over_two_lines_cuts_too() {
        let text = "Confirmed.\r\n\r\nOn Fri, Dec 4, 2026 at 10:00 AM East China Channel Office <\r\nreply+abc@liaison.example> wrote:\r\n\r\n> Please confirm.\r\n";
        assert_eq!(trim_reply(text), "Confirmed.");
        let text = "Done.\nOn Fri, Dec 4, 2026, Wang Fang\nwrote:\nOld text\n";
        assert_eq!(trim_reply(text), "Done.");
    }

    #[test]
    fn chinese_attribution_cuts_the_quote() {
        for header in [
            "在 2026年12月4日 星期五 10:00，华东渠道部 <reply+abc@liaison.example> 写道：",
            "在 2026年12月4日 10:00，华东渠道部 写道:",
            "华东渠道部 <reply+abc@liaison.example> 于2026年12月4日周五 10:00写道：",
        ] {
            let text =
                format!("好的，收到。周一前提交。\n\n{header}\n> 请于下周一前提交季度数据。\n");
            assert_eq!(trim_reply(&text), "好的，收到。周一前提交。", "{header}");
        }
        // Gmail wraps a long Chinese attribution too.
        let text = "已处理。\n\n在 2026年12月4日周五 10:00，华东渠道部 <\nreply+abc@liaison.example> 写道：\n\n> 原文\n";
        assert_eq!(trim_reply(text), "已处理。");
    }

    #[test]
    fn outlook_separators_and_header_blocks_cut_the_quote() {
        let cases = [
            "-----Original Message-----\nFrom: Liaison\nSent: Friday\nPlease confirm.",
            "-----原始邮件-----\n发件人: 华东渠道部\n发送时间: 2026年12月4日 10:00\n请确认。",
            "------------------ 原始邮件 ------------------\n发件人: \"华东渠道部\"\n请确认。",
            "---- 回复的原邮件 ----\n| 发件人 | 华东渠道部 |\n请确认。",
            "________________________________\nFrom: Liaison <reply+abc@liaison.example>\nSent: Friday, December 4, 2026 10:00 AM\nTo: Wang Fang\nSubject: Q4\n\nPlease confirm.",
            "From: Liaison <reply+abc@liaison.example>\nDate: Fri, 4 Dec 2026 10:00:00 +0800\nPlease confirm.",
            "*From:* Liaison\n*Sent:* Friday\nPlease confirm.",
            "发件人：华东渠道部\n收件人：王芳\n发送时间：2026年12月4日 10:00\n请确认。",
            "发件人: 华东渠道部 <reply+abc@liaison.example>\n日期: 2026年12月4日\n请确认。",
        ];
        for quote in cases {
            let text = format!("Received, thank you.\n王芳\n\n{quote}\n");
            assert_eq!(trim_reply(&text), "Received, thank you.\n王芳", "{quote}");
        }
        // A From: line alone (no date after it) is text, not a header block.
        assert_eq!(
            trim_reply("From: the warehouse, 20 boxes.\nAll arrived."),
            "From: the warehouse, 20 boxes.\nAll arrived."
        );
    }

    #[test]
    fn gmail_quoted_lines_are_dropped_wherever_they_are() {
        let text = "> Can you ship by Friday?\nYes.\n> And the invoice?\nSent yesterday.\n";
        assert_eq!(trim_reply(text), "Yes.\nSent yesterday.");
    }

    #[test]
    fn signatures_and_phone_lines_are_cut() {
        for sig in [
            "-- \nWang Fang\nSales, East Dealer",
            "--\nWang Fang",
            "Sent from my iPhone",
            "Sent from my Huawei phone",
            "发自我的iPhone",
            "发自我的 iPhone",
            "从我的 iPhone 发送",
            "Sent from Mail for Windows",
            "Sent from Mail for Windows 10",
            "Get Outlook for iOS",
            "发自网易邮箱大师",
        ] {
            let text = format!("收到，谢谢。\n\n{sig}\n\n\n");
            assert_eq!(trim_reply(&text), "收到，谢谢。", "{sig}");
        }
        // A sentence that merely starts the same way stays.
        let long =
            "Sent from my office the revised price list you asked for yesterday, see attached.";
        assert_eq!(trim_reply(long), long);
    }

    #[test]
    fn an_answer_below_the_quote_is_kept() {
        let text = "On Fri, Dec 4, 2026 at 10:00 AM Liaison <reply+abc@liaison.example> wrote:\n> Please confirm the date.\n\nConfirmed for the 12th.\n\n-- \nWang\n";
        assert_eq!(trim_reply(text), "Confirmed for the 12th.");
    }

    #[test]
    fn a_mail_of_only_quotes_is_empty() {
        assert_eq!(trim_reply("> quoted\n>> more\n"), "");
        assert_eq!(
            trim_reply("\n\n-----Original Message-----\nFrom: x\nSent: y\nPlease confirm.\n"),
            ""
        );
        assert_eq!(
            trim_reply("在 2026年12月4日，华东渠道部 写道：\n> 请确认。\n"),
            ""
        );
        assert_eq!(trim_reply("Sent from my iPhone\n"), "");
        assert_eq!(trim_reply(""), "");
    }

    #[test]
    fn trailing_blank_lines_go_and_inner_ones_stay() {
        assert_eq!(
            trim_reply("\n\nFirst paragraph.\n\nSecond.  \n\n\n\n"),
            "First paragraph.\n\nSecond."
        );
    }

    #[test]
    fn html_becomes_text_with_quotes_marked() {
        let html = r#"<html><head><style>p{color:red}</style><title>x</title></head><body>
<div dir="ltr">Thanks &amp; regards,<br>we agree to the&nbsp;terms &lt;v2&gt;.<p>第二段：&#20215;&#x683C;</p></div>
<!-- a comment <b>hidden</b> -->
<div class="gmail_quote"><div>On Fri, Dec 4, 2026 Liaison wrote:</div>
<blockquote class="gmail_quote">Please confirm the <b>terms</b>.<br>Line two</blockquote></div>
<script>alert(1)</script></body></html>"#;
        let text = html_to_text(html);
        assert!(text.contains("> Please confirm the terms."), "{text}");
        assert!(text.contains("> Line two"), "{text}");
        assert!(!text.contains("alert") && !text.contains("hidden") && !text.contains("color"));
        assert_eq!(
            trim_reply(&text),
            "Thanks & regards,\nwe agree to the terms <v2>.\n\n第二段：价格"
        );
        // Gmail writes a line per <div> and an empty line as <div><br></div>.
        assert_eq!(
            html_to_text("<div>a</div><div>b</div><div><br></div><div>c&#;&unknown; &lt</div><"),
            "a\nb\n\nc&#;&unknown; &lt"
        );
    }

    fn mail(headers: &str, body: &str) -> Vec<u8> {
        format!("{headers}\r\n\r\n{body}").into_bytes()
    }

    #[test]
    fn headers_give_sender_recipients_and_threading() {
        let raw = mail(
            "From: =?UTF-8?B?546L6Iqz?= <Wang.Fang@Dealer.Example>\r\n\
             To: \"Liaison\" <REPLY+abcd234@Liaison.Example>, other@dealer.example\r\n\
             Cc: boss@dealer.example\r\n\
             Delivered-To: reply+abcd234@liaison.example\r\n\
             X-Original-To: reply+abcd234@liaison.example\r\n\
             Subject: =?UTF-8?B?UmU6IOWto+W6puaVsOaNrg==?=\r\n\
             Message-ID: <m1@dealer.example>\r\n\
             In-Reply-To: <0193a@liaison.example> <older@liaison.example>\r\n\
             Content-Type: text/plain; charset=utf-8",
            "好的\r\n",
        );
        let m = parse_inbound(&raw).expect("a mail");
        assert_eq!(m.from_addr, "wang.fang@dealer.example");
        assert_eq!(m.from_name.as_deref(), Some("王芳"));
        assert_eq!(
            m.recipients,
            vec![
                "reply+abcd234@liaison.example",
                "other@dealer.example",
                "boss@dealer.example"
            ]
        );
        assert_eq!(m.subject, "Re: 季度数据");
        assert_eq!(m.message_id.as_deref(), Some("<m1@dealer.example>"));
        assert_eq!(m.in_reply_to.as_deref(), Some("<0193a@liaison.example>"));
        assert!(!m.auto_submitted);
        assert_eq!(m.body, "好的");
        assert_eq!(token_in(&m.recipients).as_deref(), Some("abcd234"));
    }

    #[test]
    fn out_of_office_and_bounces_are_automatic() {
        for h in [
            "Auto-Submitted: auto-replied",
            "Auto-Submitted: auto-generated; owner-email=x@y",
            "Precedence: bulk",
            "Precedence: JUNK",
            "Precedence: list",
            "X-Autoreply: yes",
            "X-Autorespond: Out of office",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=x",
        ] {
            let raw = mail(
                &format!("From: a@b.example\r\n{h}"),
                "Away until Monday.\r\n",
            );
            assert!(parse_inbound(&raw).expect("a mail").auto_submitted, "{h}");
        }
        for h in [
            "Auto-Submitted: no",
            "Precedence: first-class",
            "X-Mailer: Foxmail",
        ] {
            let raw = mail(&format!("From: a@b.example\r\n{h}"), "Real answer.\r\n");
            assert!(!parse_inbound(&raw).expect("a mail").auto_submitted, "{h}");
        }
    }

    #[test]
    fn a_gbk_mail_from_a_chinese_client_is_read() {
        let body = "好的，我们下周一前提交。\r\n\r\n发自我的iPhone\r\n\r\n------------------ 原始邮件 ------------------\r\n发件人: \"华东渠道部\"\r\n请提交季度数据。\r\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(body);
        let mut raw = b"From: =?GBK?B?".to_vec();
        let (name, _, _) = encoding_rs::GBK.encode("王芳");
        use base64::Engine;
        raw.extend_from_slice(
            base64::engine::general_purpose::STANDARD
                .encode(&name)
                .as_bytes(),
        );
        raw.extend_from_slice(
            b"?= <wang@dealer.example>\r\nTo: reply+abc@liaison.example\r\nSubject: ",
        );
        // Foxmail and older clients put raw GBK bytes in the Subject.
        raw.extend_from_slice(&encoding_rs::GBK.encode("回复：季度数据").0);
        raw.extend_from_slice(b"\r\nContent-Type: text/plain; charset=\"gb2312\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        raw.extend_from_slice(&gbk);
        let m = parse_inbound(&raw).expect("a mail");
        assert_eq!(m.from_name.as_deref(), Some("王芳"));
        assert_eq!(m.subject, "回复：季度数据");
        assert_eq!(m.body, "好的，我们下周一前提交。");

        // The same body without a charset: not UTF-8, so read as GB18030.
        let mut raw = b"From: wang@dealer.example\r\n\r\n".to_vec();
        raw.extend_from_slice(&gbk);
        assert_eq!(
            parse_inbound(&raw).expect("a mail").body,
            "好的，我们下周一前提交。"
        );
    }

    #[test]
    fn an_html_only_mail_is_read_as_text() {
        let raw = mail(
            "From: a@b.example\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable",
            "<p>=E5=90=8C=E6=84=8F</p><p>Agreed &amp; signed.</p><blockquote>old</blockquote>\r\n",
        );
        assert_eq!(
            parse_inbound(&raw).expect("a mail").body,
            "同意\n\nAgreed & signed."
        );
    }

    #[test]
    fn attachments_and_named_inline_images_are_kept_and_the_plain_text_preferred() {
        let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
        let body = format!(
            "--outer\r\n\
Content-Type: multipart/alternative; boundary=alt\r\n\r\n\
--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the photo.\r\n\
--alt\r\nContent-Type: multipart/related; boundary=rel\r\n\r\n\
--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See the <img src=cid:p1> photo.</p>\r\n\
--rel\r\nContent-Type: image/png; name=\"shelf.png\"\r\nContent-ID: <p1>\r\nContent-Disposition: inline; filename=\"shelf.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n\
--rel--\r\n--alt--\r\n\
--outer\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n\
--outer\r\nContent-Type: text/plain; name=\"../../notes.txt\"\r\n\r\nnot the body\r\n\
--outer--\r\n"
        );
        let raw = mail(
            "From: a@b.example\r\nContent-Type: multipart/mixed; boundary=outer",
            &body,
        );
        let m = parse_inbound(&raw).expect("a mail");
        assert_eq!(m.body, "See the photo.");
        let files: Vec<(&str, &str, &[u8])> = m
            .attachments
            .iter()
            .map(|a| {
                (
                    a.filename.as_str(),
                    a.content_type.as_str(),
                    a.bytes.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            files,
            vec![
                ("shelf.png", "image/png", png),
                ("发票.pdf", "application/pdf", &b"%PDF-"[..]),
                ("notes.txt", "text/plain", &b"not the body"[..]),
            ]
        );
    }

    /// Mail comes from anyone: a hostile one must not cost quadratic time or the stack.
    #[test]
    fn hostile_mails_stay_cheap() {
        let rules = "__________\n".repeat(200_000);
        assert_eq!(trim_reply(&format!("ok\n{rules}")), "ok");
        let html = "<SCRIPT>x</SCRIPT>a".repeat(50_000);
        let started = std::time::Instant::now();
        assert_eq!(html_to_text(&html).len(), 50_000);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let wrote = "x wrote:\n\n".repeat(50_000);
        let started = std::time::Instant::now();
        trim_reply(&wrote);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn a_mail_without_a_sender_is_refused() {
        assert!(parse_inbound(b"Subject: x\r\n\r\nbody").is_err());
    }

    #[test]
    fn reply_addresses_carry_the_token_at_the_senders_domain() {
        assert_eq!(
            reply_address("abc234", "Liaison <noreply@Liaison.Example>"),
            "reply+abc234@liaison.example"
        );
        assert_eq!(
            reply_address("abc234", "noreply@liaison.example"),
            "reply+abc234@liaison.example"
        );
    }

    #[test]
    fn the_token_is_found_among_recipients_in_any_case() {
        let r = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            token_in(&r(&["boss@dealer.example", "Reply+ABC234@liaison.example"])).as_deref(),
            Some("abc234")
        );
        assert_eq!(token_in(&r(&["reply@liaison.example"])), None);
        assert_eq!(token_in(&r(&["reply+@liaison.example"])), None);
        assert_eq!(token_in(&r(&["reply+foo.bar@liaison.example"])), None);
        assert_eq!(token_in(&r(&["noreply+abc@liaison.example"])), None);
        assert_eq!(token_in(&[]), None);
    }
}
