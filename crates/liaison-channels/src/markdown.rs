//! Markdown bodies (SPEC B1) as the channels need them: safe HTML for the portal and e-mail, and
//! one sanitiser, [`render`], for everything that leaves as text or another Markdown: text/plain
//! e-mail parts, Slack's mrkdwn and the WeCom, DingTalk and Feishu cards (issue 10, item 7).
//! Whatever a body holds, no raw HTML and no link but http(s) and mailto reach a reader live
//! (§2.1.2: robot messages stay proper; §7.2.1: nothing may open a way into a reader's client).

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The one link rule for everything sent out (issue 10, item 7): a link is kept only when it
/// starts, as written, with `http://`, `https://` or `mailto:` (any case; blanks around it do
/// not count). An allow-list on the written prefix also refuses every disguise of another
/// scheme (`JaVaScRiPt:`, `java\tscript:`, `&#106;avascript:`, `%6Aavascript:`, `data:`,
/// `vbscript:`, `file:`) and scheme-less links, which mean nothing outside the portal; a
/// later decoding of entities or percent signs cannot change a prefix that has neither.
pub fn safe_link(url: &str) -> bool {
    let u = url.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    ["http://", "https://", "mailto:"].iter().any(|p| {
        u.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    }) && !u.chars().any(char::is_control)
}

/// A link within the portal (`/inbox/…`, `#part`), for HTML shown on the site only; `//host`
/// and `/\host` are other sites.
fn same_site(url: &str) -> bool {
    let u = url.trim();
    (u.starts_with('/') && !u.starts_with("//") && !u.starts_with("/\\")) || u.starts_with('#')
}

/// A Markdown body (SPEC B1) as safe HTML: CommonMark with tables and strike-through; raw
/// HTML is shown as text, links and images only by [`safe_link`] or to the same site (others
/// are their text), and single line breaks are kept (Chinese text is written line by line).
pub fn body_html(md: &str) -> String {
    let ok = |url: &str| safe_link(url) || same_site(url);
    // Whether each open link or image is kept (a refused one leaves its text only).
    let mut open: Vec<bool> = Vec::new();
    let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .filter_map(|ev| match ev {
            Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
            Event::SoftBreak => Some(Event::HardBreak),
            Event::Start(Tag::Link { ref dest_url, .. })
            | Event::Start(Tag::Image { ref dest_url, .. }) => {
                let keep = ok(dest_url);
                open.push(keep);
                keep.then_some(ev)
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                open.pop().unwrap_or(true).then_some(ev)
            }
            e => Some(e),
        });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// Where a Markdown body goes, and so what it must become there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// text/plain e-mail parts and notification fallbacks: nothing in them is live, so raw
    /// HTML stays as the text it is; links are written out as `text (url)`.
    Plain,
    /// Slack's mrkdwn: `*bold*`, `_italic_`, `<url|text>`; `&`, `<`, `>` escaped as Slack asks.
    Slack,
    /// WeCom group robot `markdown`: headings, bold, links, quotes, `<font>`. It documents no
    /// escape, so `<` and `>` of the text become the full-width ＜ ＞, which open no tag.
    Wecom,
    /// DingTalk robot Markdown (rendered as HTML): `<` and `>` become `&lt;` and `&gt;`.
    Dingtalk,
    /// Feishu/Lark `lark_md`: bold, italic, strike-through, links; no headings or quotes. `<`
    /// and `>` become `&lt;` and `&gt;` (its documented escapes), so no `<at>` or `<font>`.
    Lark,
}

impl Flavor {
    fn is_markdown(self) -> bool {
        matches!(self, Flavor::Wecom | Flavor::Dingtalk | Flavor::Lark)
    }
}

/// The sanitiser every outgoing text goes through (issue 10, item 7): a Markdown body
/// re-written for `flavor`, with its structure kept as far as the flavour has it, raw HTML
/// escaped as text, and links kept only by [`safe_link`] (others become their text).
pub fn render(md: &str, flavor: Flavor) -> String {
    render_text(md, flavor)
}

/// Text that is not Markdown (a title, a name) as it must be written into `flavor`: nothing
/// in it becomes markup or a link.
pub fn escape(text: &str, flavor: Flavor) -> String {
    let mut t = TextOut::new(flavor);
    t.text(text);
    t.out
}

/// Markdown as readable plain text: paragraphs separated by a blank line, list items with `-` or
/// their number, links as `text (url)`, table cells separated by `|`; raw HTML is kept as text.
pub fn plain_text(md: &str) -> String {
    render(md, Flavor::Plain)
}

/// Markdown as Slack's mrkdwn (`*bold*`, `_italic_`, `<url|text>`), with `&`, `<`, `>` escaped
/// as Slack asks.
pub fn slack_mrkdwn(md: &str) -> String {
    render(md, Flavor::Slack)
}

/// A safe link's address as a Markdown link destination: characters that would end it or
/// open something else are percent-encoded.
fn md_destination(url: &str) -> String {
    let mut o = String::with_capacity(url.len());
    for c in url.trim().chars() {
        match c {
            ' ' | '(' | ')' | '<' | '>' | '"' | '\'' | '`' | '\\' | '[' | ']' | '{' | '}' => {
                o.push_str(&format!("%{:02X}", c as u32));
            }
            c if c.is_whitespace() || c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

struct TextOut {
    out: String,
    flavor: Flavor,
    quote: usize,
    /// Just wrote a list marker: the item's first block starts on the same line.
    item_start: bool,
}

impl TextOut {
    fn new(flavor: Flavor) -> Self {
        Self {
            out: String::new(),
            flavor,
            quote: 0,
            item_start: false,
        }
    }

    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    fn trim_end_spaces(&mut self) {
        while self.out.ends_with(' ') || self.out.ends_with('\t') {
            self.out.pop();
        }
    }

    fn line_break(&mut self) {
        self.trim_end_spaces();
        if !self.at_line_start() {
            self.out.push('\n');
        }
    }

    fn block_break(&mut self, in_list: bool) {
        if self.item_start {
            return;
        }
        if in_list {
            self.line_break();
            return;
        }
        self.trim_end_spaces();
        if !self.out.is_empty() {
            while !self.out.ends_with("\n\n") {
                self.out.push('\n');
            }
        }
    }

    fn raw(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.at_line_start() && self.quote > 0 {
            self.out.push_str(&"> ".repeat(self.quote));
        }
        self.out.push_str(s);
        self.item_start = false;
    }

    /// Text as text in this flavour: escaped so that nothing in it becomes markup or a link.
    fn text(&mut self, s: &str) {
        let mut first = true;
        for line in s.split('\n') {
            if !first {
                self.out.push('\n');
            }
            first = false;
            if line.is_empty() {
                continue;
            }
            if self.at_line_start() && self.quote > 0 {
                self.out.push_str(&"> ".repeat(self.quote));
            }
            self.item_start = false;
            for c in line.chars() {
                self.push_char(c);
            }
        }
    }

    fn push_char(&mut self, c: char) {
        match (self.flavor, c) {
            (Flavor::Plain, c) => self.out.push(c),
            (Flavor::Slack, '&') => self.out.push_str("&amp;"),
            (Flavor::Slack, '<') => self.out.push_str("&lt;"),
            (Flavor::Slack, '>') => self.out.push_str("&gt;"),
            (Flavor::Wecom, '<') => self.out.push('＜'),
            (Flavor::Wecom, '>') => self.out.push('＞'),
            (Flavor::Dingtalk | Flavor::Lark, '<') => self.out.push_str("&lt;"),
            (Flavor::Dingtalk | Flavor::Lark, '>') => self.out.push_str("&gt;"),
            // Brackets written as text (`\[x\](javascript:…)` in the source) must not meet
            // a parenthesis or a colon and become a link or a link definition wherever the
            // text is read as Markdown: a zero-width space keeps them apart, unseen.
            (f, '(' | ':') if f != Flavor::Plain && self.out.ends_with(']') => {
                self.out.push('\u{200B}');
                self.out.push(c);
            }
            (_, c) => self.out.push(c),
        }
    }
}

fn render_text(md: &str, flavor: Flavor) -> String {
    let mut t = TextOut::new(flavor);
    let slack = flavor == Flavor::Slack;
    let markdown = flavor.is_markdown();
    // Open lists: the next number of an ordered one, None for bullets.
    let mut lists: Vec<Option<u64>> = Vec::new();
    // Open links: where their text starts in `out`, and the destination.
    let mut links: Vec<(usize, String)> = Vec::new();
    let mut cell = 0usize;
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    // The markers each flavour has for bold, italic and strike-through ("" when it has none).
    let (bold, italic, strike) = match flavor {
        Flavor::Plain => ("", "", ""),
        Flavor::Slack => ("*", "_", "~"),
        Flavor::Wecom => ("**", "", ""),
        Flavor::Dingtalk => ("**", "*", ""),
        Flavor::Lark => ("**", "*", "~~"),
    };
    for ev in Parser::new_ext(md, opts) {
        let in_list = !lists.is_empty();
        match ev {
            Event::Start(Tag::Paragraph | Tag::HtmlBlock) => t.block_break(in_list),
            Event::Start(Tag::Heading { level, .. }) => {
                t.block_break(in_list);
                match flavor {
                    Flavor::Slack => t.raw("*"),
                    Flavor::Lark => t.raw("**"),
                    Flavor::Wecom | Flavor::Dingtalk => {
                        let n = match level {
                            HeadingLevel::H1 => 1,
                            HeadingLevel::H2 => 2,
                            HeadingLevel::H3 => 3,
                            HeadingLevel::H4 => 4,
                            HeadingLevel::H5 => 5,
                            HeadingLevel::H6 => 6,
                        };
                        t.raw(&format!("{} ", "#".repeat(n)));
                    }
                    Flavor::Plain => {}
                }
            }
            Event::End(TagEnd::Heading(_)) => match flavor {
                Flavor::Slack => t.raw("*"),
                Flavor::Lark => t.raw("**"),
                _ => {}
            },
            Event::Start(Tag::BlockQuote(_)) => {
                t.block_break(in_list);
                t.quote += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => t.quote = t.quote.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => {
                t.block_break(in_list);
                if slack {
                    t.raw("```");
                    t.out.push('\n');
                }
            }
            Event::End(TagEnd::CodeBlock) if slack => {
                t.line_break();
                t.raw("```");
            }
            Event::Start(Tag::List(start)) => {
                t.block_break(in_list);
                t.item_start = false;
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                t.line_break();
                let depth = lists.len().saturating_sub(1);
                let marker = match lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "- ".to_owned(),
                };
                t.raw(&format!("{}{marker}", "  ".repeat(depth)));
                t.item_start = true;
            }
            Event::Start(Tag::Table(_)) => t.block_break(in_list),
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                t.line_break();
                cell = 0;
            }
            Event::Start(Tag::TableCell) => {
                if cell > 0 {
                    t.raw(" | ");
                }
                cell += 1;
            }
            Event::Start(Tag::Strong) | Event::End(TagEnd::Strong) => t.raw(bold),
            Event::Start(Tag::Emphasis) | Event::End(TagEnd::Emphasis) => t.raw(italic),
            Event::Start(Tag::Strikethrough) | Event::End(TagEnd::Strikethrough) => t.raw(strike),
            Event::Start(Tag::Link { dest_url, .. }) => {
                links.push((t.out.len(), dest_url.to_string()));
            }
            Event::End(TagEnd::Link) => {
                let Some((start, dest)) = links.pop() else {
                    continue;
                };
                // A link that is not safe stays as its text, which is written already.
                if !safe_link(&dest) {
                    continue;
                }
                let dest = dest.trim();
                let label = t.out.get(start..).unwrap_or("").to_owned();
                if slack {
                    t.out.truncate(start);
                    let dest = dest
                        .replace('|', "%7C")
                        .replace('>', "%3E")
                        .replace('<', "%3C");
                    let label = if label.trim().is_empty() {
                        dest.clone()
                    } else {
                        label
                    };
                    t.raw(&format!("<{dest}|{label}>"));
                } else if markdown {
                    t.out.truncate(start);
                    let dest = md_destination(dest);
                    // Brackets in the label would end it early.
                    let label = if label.trim().is_empty() {
                        let mut e = TextOut::new(flavor);
                        e.text(&dest);
                        e.out
                    } else {
                        label
                    };
                    let label = label.replace('[', "［").replace(']', "］");
                    t.raw(&format!("[{label}]({dest})"));
                } else if label.trim() != dest {
                    let dest = dest.strip_prefix("mailto:").unwrap_or(dest);
                    if label.trim() != dest {
                        t.raw(&format!(" ({dest})"));
                    }
                }
            }
            Event::Text(s) => t.text(&s),
            Event::Code(s) => {
                if slack {
                    t.raw("`");
                    t.text(&s);
                    t.raw("`");
                } else {
                    t.text(&s);
                }
            }
            // Raw HTML is text: escaped by the flavour (or, in plain text, inert as it is).
            Event::Html(s) | Event::InlineHtml(s) => t.text(&s),
            Event::SoftBreak | Event::HardBreak => {
                t.trim_end_spaces();
                t.out.push('\n');
            }
            Event::Rule => {
                t.block_break(in_list);
                t.raw("----------");
            }
            Event::TaskListMarker(done) => t.raw(if done { "[x] " } else { "[ ] " }),
            _ => {}
        }
    }
    let lines: Vec<&str> = t.out.lines().map(str::trim_end).collect();
    lines.join("\n").trim_matches('\n').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_structure_and_link_targets() {
        let md = "# 季度返利政策\n\n第一段 **重点**\n第二行\n\n- 甲\n- 乙 [官网](https://example.com)\n\n1. 一\n2. 二\n\n> 引用\n\n| 地区 | 返利 |\n| --- | --- |\n| 华东 | 3% |\n\n<b>原样</b> [坏](javascript:alert(1))";
        let t = plain_text(md);
        assert_eq!(
            t,
            "季度返利政策\n\n第一段 重点\n第二行\n\n- 甲\n- 乙 官网 (https://example.com)\n\n1. 一\n2. 二\n\n> 引用\n\n地区 | 返利\n华东 | 3%\n\n<b>原样</b> 坏"
        );
        assert_eq!(plain_text("  \n"), "");
    }

    #[test]
    fn plain_text_writes_nested_and_loose_lists() {
        let t = plain_text("- a\n\n  more\n- b\n  - c\n");
        assert_eq!(t, "- a\nmore\n- b\n  - c");
    }

    #[test]
    fn a_link_whose_text_is_its_address_is_written_once() {
        assert_eq!(
            plain_text("<https://example.com/x>"),
            "https://example.com/x"
        );
    }

    #[test]
    fn slack_mrkdwn_formats_and_escapes() {
        let t =
            slack_mrkdwn("## 标题\n\n**粗** _斜_ ~~删~~ `a<b` & [链接](https://e.com/?a=1&b=2)");
        assert_eq!(
            t,
            "*标题*\n\n*粗* _斜_ ~删~ `a&lt;b` &amp; <https://e.com/?a=1&b=2|链接>"
        );
    }
}
