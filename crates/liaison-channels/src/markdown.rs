//! Markdown bodies (SPEC B1) as the channels need them: safe HTML for the portal and e-mail,
//! readable plain text for text/plain parts and IM fallbacks, and Slack's mrkdwn.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// A Markdown body (SPEC B1) as safe HTML: CommonMark with tables and strike-through; raw
/// HTML is shown as text, links and images only to http(s), mailto and same-site targets, and
/// single line breaks are kept (Chinese text is written line by line).
pub fn body_html(md: &str) -> String {
    use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};
    fn safe(url: &str) -> bool {
        let u = url.trim().to_ascii_lowercase();
        ["http://", "https://", "mailto:", "/", "#"]
            .iter()
            .any(|p| u.starts_with(p))
            && !u.starts_with("//")
    }
    let events =
        Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|ev| {
            match ev {
                Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
                Event::SoftBreak => Event::HardBreak,
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) if !safe(&dest_url) => Event::Start(Tag::Link {
                    link_type,
                    dest_url: CowStr::Borrowed("#"),
                    title,
                    id,
                }),
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) if !safe(&dest_url) => Event::Start(Tag::Image {
                    link_type,
                    dest_url: CowStr::Borrowed("#"),
                    title,
                    id,
                }),
                e => e,
            }
        });
    let mut out = String::new();
    pulldown_cmark::html::push_html(&mut out, events);
    out
}

/// Markdown as readable plain text: paragraphs separated by a blank line, list items with `-` or
/// their number, links as `text (url)`, table cells separated by `|`; raw HTML is kept as text.
pub fn plain_text(md: &str) -> String {
    render_text(md, Flavor::Plain)
}

/// Markdown as Slack's mrkdwn (`*bold*`, `_italic_`, `<url|text>`), with `&`, `<`, `>` escaped
/// as Slack asks.
pub fn slack_mrkdwn(md: &str) -> String {
    render_text(md, Flavor::Slack)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Plain,
    Slack,
}

/// Links worth writing out: absolute web and mail addresses (a relative link means nothing in a
/// mail client, a `javascript:` one must not be offered).
fn absolute_url(url: &str) -> bool {
    let u = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|p| u.starts_with(p))
}

struct TextOut {
    out: String,
    flavor: Flavor,
    quote: usize,
    /// Just wrote a list marker: the item's first block starts on the same line.
    item_start: bool,
}

impl TextOut {
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
        if self.at_line_start() && self.quote > 0 {
            self.out.push_str(&"> ".repeat(self.quote));
        }
        self.out.push_str(s);
        self.item_start = false;
    }

    fn text(&mut self, s: &str) {
        let mut first = true;
        for line in s.split('\n') {
            if !first {
                self.out.push('\n');
            }
            first = false;
            if !line.is_empty() {
                let line = match self.flavor {
                    Flavor::Plain => line.to_owned(),
                    Flavor::Slack => slack_escape(line),
                };
                self.raw(&line);
            }
        }
    }
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn render_text(md: &str, flavor: Flavor) -> String {
    let mut t = TextOut {
        out: String::new(),
        flavor,
        quote: 0,
        item_start: false,
    };
    let slack = flavor == Flavor::Slack;
    // Open lists: the next number of an ordered one, None for bullets.
    let mut lists: Vec<Option<u64>> = Vec::new();
    // Open links: where their text starts in `out`, and the destination.
    let mut links: Vec<(usize, String)> = Vec::new();
    let mut cell = 0usize;
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for ev in Parser::new_ext(md, opts) {
        let in_list = !lists.is_empty();
        match ev {
            Event::Start(Tag::Paragraph) => t.block_break(in_list),
            Event::Start(Tag::Heading { .. }) => {
                t.block_break(in_list);
                if slack {
                    t.raw("*");
                }
            }
            Event::End(TagEnd::Heading(_)) if slack => t.raw("*"),
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
            Event::Start(Tag::Strong) if slack => t.raw("*"),
            Event::End(TagEnd::Strong) if slack => t.raw("*"),
            Event::Start(Tag::Emphasis) if slack => t.raw("_"),
            Event::End(TagEnd::Emphasis) if slack => t.raw("_"),
            Event::Start(Tag::Strikethrough) if slack => t.raw("~"),
            Event::End(TagEnd::Strikethrough) if slack => t.raw("~"),
            Event::Start(Tag::Link { dest_url, .. }) => {
                links.push((t.out.len(), dest_url.to_string()));
            }
            Event::End(TagEnd::Link) => {
                if let Some((start, dest)) = links.pop() {
                    let label = t.out.get(start..).unwrap_or("").to_owned();
                    if absolute_url(&dest) {
                        if slack {
                            t.out.truncate(start);
                            let dest = dest.replace('|', "%7C").replace('>', "%3E");
                            let label = if label.trim().is_empty() {
                                dest.clone()
                            } else {
                                label
                            };
                            t.raw(&format!("<{dest}|{label}>"));
                        } else if label.trim() != dest.trim() {
                            let dest = dest.strip_prefix("mailto:").unwrap_or(&dest).to_owned();
                            if label.trim() != dest {
                                t.raw(&format!(" ({dest})"));
                            }
                        }
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
