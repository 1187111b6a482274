//! UI messages in Simplified Chinese, Traditional Chinese and English (SPEC H1). Messages live
//! in `locales/{zh-CN,zh-TW,en}/main.ftl`, written in the simple-message subset of Fluent
//! (`key = text`, `#` comments, `{ $name }` placeholders); a missing message falls back to
//! English, then to its key. Choosing the language: an explicit choice (cookie) wins, else the
//! browser's Accept-Language.
//!
//! This crate is the lowest of the workspace: core's validation errors and pre-check findings
//! are [`Msg`]s (a key and its arguments), rendered here in the reader's language.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The UI languages (H1). Re-exported as `liaison_core::partner::Lang`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    ZhCn,
    ZhTw,
    En,
}

impl Lang {
    pub const ALL: &'static [Lang] = &[Lang::ZhCn, Lang::ZhTw, Lang::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-cn",
            Lang::ZhTw => "zh-tw",
            Lang::En => "en",
        }
    }

    /// The BCP 47 tag as it is written (`zh-CN`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    /// Trimmed and case-insensitive, like every `str_enum!` of core.
    pub fn parse(s: &str) -> Result<Self, Msg> {
        let t = s.trim().to_lowercase();
        Lang::ALL
            .iter()
            .copied()
            .find(|l| l.as_str() == t)
            .ok_or_else(|| Msg::one_of(s, &["zh-cn", "zh-tw", "en"]))
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Lang {
    type Err = Msg;
    fn from_str(s: &str) -> Result<Self, Msg> {
        Lang::parse(s)
    }
}

/// One argument of a message: text shown as it is, or a code whose words come from the
/// catalogue (`classification` + `internal` shows `classification.internal`: 内部, Internal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Code { prefix: &'static str, code: String },
}

impl Arg {
    /// The value as a system reads it (the text, or the bare code).
    pub fn raw(&self) -> &str {
        match self {
            Arg::Text(s) => s,
            Arg::Code { code, .. } => code,
        }
    }
    fn render(&self, lang: Lang) -> String {
        match self {
            Arg::Text(s) => s.clone(),
            Arg::Code { prefix, code } => {
                let key = format!("{prefix}.{code}");
                match lookup(lang, &key) {
                    Some(v) => v.to_string(),
                    None => code.clone(),
                }
            }
        }
    }
}

/// A message a person reads: a catalogue key and its named arguments, rendered in the
/// reader's language by [`Msg::render`]. `Display` renders English (logs, the CLI, tests).
/// A plain text (`Msg::from("...")`) is kept for callers that have no key yet; a test in the
/// web crate finds none left in the code base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    key: Cow<'static, str>,
    args: Vec<(&'static str, Arg)>,
}

/// The key of a plain text message.
const PLAIN: &str = "";

impl Msg {
    pub fn new(key: &'static str) -> Self {
        Msg {
            key: Cow::Borrowed(key),
            args: Vec::new(),
        }
    }
    /// A message whose key is known only at run time (audit actions, stored findings).
    pub fn dynamic(key: impl Into<String>) -> Self {
        Msg {
            key: Cow::Owned(key.into()),
            args: Vec::new(),
        }
    }
    /// A text without a key: shown as it is in every language.
    pub fn plain(text: impl Into<String>) -> Self {
        Msg {
            key: Cow::Borrowed(PLAIN),
            args: vec![("text", Arg::Text(text.into()))],
        }
    }
    /// Adds the argument `{ $name }`.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }
    /// Adds `{ $name }` whose words are the catalogue's `prefix.code`.
    pub fn arg_code(mut self, name: &'static str, prefix: &'static str, code: &str) -> Self {
        self.args.push((
            name,
            Arg::Code {
                prefix,
                code: code.to_string(),
            },
        ));
        self
    }
    /// `'x' is not one of a, b, c`: the message of every closed set of words.
    pub fn one_of(value: &str, allowed: &[&str]) -> Self {
        Msg::new("validate.one_of")
            .arg("value", value.trim())
            .arg("allowed", allowed.join(", "))
    }

    pub fn key(&self) -> &str {
        &self.key
    }
    pub fn is_plain(&self) -> bool {
        self.key == PLAIN
    }
    pub fn args(&self) -> &[(&'static str, Arg)] {
        &self.args
    }

    /// The message in `lang`: the catalogue's text with its `{ $name }` placeholders filled.
    pub fn render(&self, lang: Lang) -> String {
        if self.is_plain() {
            return self
                .args
                .first()
                .map(|(_, a)| a.raw().to_string())
                .unwrap_or_default();
        }
        let args: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(n, a)| (*n, a.render(lang)))
            .collect();
        fill(t(lang, &self.key), &args)
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for Msg {}

impl From<String> for Msg {
    fn from(s: String) -> Self {
        Msg::plain(s)
    }
}

impl From<&str> for Msg {
    fn from(s: &str) -> Self {
        Msg::plain(s)
    }
}

impl From<&String> for Msg {
    fn from(s: &String) -> Self {
        Msg::plain(s.clone())
    }
}

impl From<Msg> for String {
    fn from(m: Msg) -> Self {
        m.to_string()
    }
}

/// Replaces each `{ $name }` in `text` with its value; an unknown name stays as written.
pub fn fill(text: &str, args: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let inner = after[1..end].trim();
        match inner
            .strip_prefix('$')
            .and_then(|n| args.iter().find(|(k, _)| *k == n.trim()))
        {
            Some((_, v)) => out.push_str(v),
            None => out.push_str(&after[..=end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

const SOURCES: [(Lang, &str); 3] = [
    (Lang::ZhCn, include_str!("../locales/zh-CN/main.ftl")),
    (Lang::ZhTw, include_str!("../locales/zh-TW/main.ftl")),
    (Lang::En, include_str!("../locales/en/main.ftl")),
];

type Messages = HashMap<&'static str, &'static str>;

fn parse(src: &'static str) -> Messages {
    src.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn catalog() -> &'static HashMap<Lang, Messages> {
    static CATALOG: OnceLock<HashMap<Lang, Messages>> = OnceLock::new();
    CATALOG.get_or_init(|| SOURCES.iter().map(|(l, s)| (*l, parse(s))).collect())
}

/// The message `key` in `lang` when that catalogue has it.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    catalog().get(&lang).and_then(|m| m.get(key)).copied()
}

/// The message `key` in `lang`.
/// A name kept in Chinese and English (a data set's, an anomaly's) in the reader's language:
/// the English one for English readers when there is one, else the Chinese one.
pub fn bilingual(zh: &str, en: &str, lang: Lang) -> String {
    if (lang == Lang::En && !en.trim().is_empty()) || zh.trim().is_empty() {
        en.to_string()
    } else {
        zh.to_string()
    }
}

pub fn t(lang: Lang, key: &str) -> &str {
    lookup(lang, key)
        .or_else(|| lookup(Lang::En, key))
        .unwrap_or(key)
}

/// The message `key` in `lang` with its `{ $name }` placeholders filled.
pub fn tr(lang: Lang, key: &str, args: &[(&str, String)]) -> String {
    fill(t(lang, key), args)
}

/// Every key of a language (for the completeness test).
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut k: Vec<&str> = catalog()
        .get(&lang)
        .map(|m| m.keys().copied().collect())
        .unwrap_or_default();
    k.sort_unstable();
    k
}

/// Picks the language from an Accept-Language header: the first tag we speak, by quality.
/// Chinese for Taiwan, Hong Kong and Macau, or written in Hant, is Traditional.
pub fn negotiate(accept_language: &str) -> Lang {
    negotiate_opt(accept_language).unwrap_or(Lang::ZhCn)
}

/// The same, `None` when no tag names a language we speak (the caller picks its default).
pub fn negotiate_opt(accept_language: &str) -> Option<Lang> {
    let mut tags: Vec<(f32, String)> = accept_language
        .split(',')
        .filter_map(|part| {
            let mut it = part.trim().split(';');
            let tag = it.next()?.trim().to_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            (!tag.is_empty()).then_some((q, tag))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, tag) in tags {
        if tag.starts_with("zh") {
            let traditional = ["-tw", "-hk", "-mo", "-hant"]
                .iter()
                .any(|s| tag.contains(s));
            return Some(if traditional { Lang::ZhTw } else { Lang::ZhCn });
        }
        if tag.starts_with("en") {
            return Some(Lang::En);
        }
    }
    None
}

/// Words that are written the same in every language (product names, formats); a Chinese
/// message equal to its English one is a forgotten translation unless it is made only of these,
/// of placeholders, numbers and punctuation.
pub const SAME_IN_EVERY_LANGUAGE: &[&str] = &[
    "Liaison", "Slack", "Webhook", "CSV", "XLSX", "ICS", "URL", "HTTPS", "HTTP", "API", "JSON",
    "SMTP", "IM", "NDA", "Markdown", "ID", "TOTP", "UTC", "Email", "E-mail", "WeCom", "DingTalk",
    "Feishu", "Lark",
];

/// Whether a Chinese message that reads like its English one is allowed to: it holds no Latin
/// word outside [`SAME_IN_EVERY_LANGUAGE`] and placeholders.
pub fn same_in_every_language(text: &str) -> bool {
    let without_args = fill(text, &[]);
    let mut rest = without_args.as_str();
    // Drop `{ $name }` placeholders.
    let mut plain = String::new();
    while let Some(s) = rest.find('{') {
        plain.push_str(&rest[..s]);
        rest = rest[s..]
            .find('}')
            .map(|e| &rest[s + e + 1..])
            .unwrap_or("");
    }
    plain.push_str(rest);
    plain
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .all(|w| {
            SAME_IN_EVERY_LANGUAGE
                .iter()
                .any(|a| a.eq_ignore_ascii_case(w))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_language_decides() {
        assert_eq!(negotiate("en-US,en;q=0.9"), Lang::En);
        assert_eq!(negotiate("zh-TW,zh;q=0.9,en;q=0.8"), Lang::ZhTw);
        assert_eq!(negotiate("fr-FR, en;q=0.5, zh-CN;q=0.8"), Lang::ZhCn);
        assert_eq!(negotiate(""), Lang::ZhCn);
        assert_eq!(negotiate_opt("fr"), None);
        assert_eq!(negotiate("zh-Hant-HK"), Lang::ZhTw);
    }

    #[test]
    fn every_language_has_every_english_message() {
        let en = keys(Lang::En);
        assert!(en.len() > 50, "only {} English messages", en.len());
        for lang in [Lang::ZhCn, Lang::ZhTw] {
            let k = keys(lang);
            let missing: Vec<_> = en.iter().filter(|e| !k.contains(e)).collect();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
        }
    }

    /// SPEC H1: every key renders in all three languages, and a Chinese catalogue holds no
    /// English left untranslated (words the same in every language excepted).
    #[test]
    fn every_key_renders_in_every_language_without_english_in_chinese() {
        let en = keys(Lang::En);
        let mut problems = Vec::new();
        for lang in Lang::ALL {
            let k = keys(*lang);
            for key in &k {
                if !en.contains(key) {
                    problems.push(format!("{lang}: {key} is not in the English catalogue"));
                }
            }
            for key in &en {
                let Some(text) = lookup(*lang, key) else {
                    problems.push(format!("{lang}: {key} is missing"));
                    continue;
                };
                if text.trim().is_empty() {
                    problems.push(format!("{lang}: {key} is empty"));
                }
                if *lang != Lang::En {
                    let english = lookup(Lang::En, key).unwrap_or("");
                    let latin_words = text
                        .split(|c: char| !c.is_ascii_alphabetic())
                        .filter(|w| w.len() > 1)
                        .count();
                    let cjk = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                    if (text == english || (!cjk && latin_words > 0))
                        && !same_in_every_language(text)
                    {
                        problems.push(format!("{lang}: {key} is English: {text}"));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn placeholders_are_filled_and_codes_translated() {
        let m = Msg::new("validate.max_chars").arg("max", 200);
        assert_eq!(m.render(Lang::En), "must be at most 200 characters");
        assert!(
            m.render(Lang::ZhCn).contains("200"),
            "{}",
            m.render(Lang::ZhCn)
        );
        assert_eq!(fill("a { $x } b {$y}", &[("x", "1".into())]), "a 1 b {$y}");
        let c = Msg::new("precheck.classification_low").arg_code(
            "classification",
            "classification",
            "internal",
        );
        assert!(
            c.render(Lang::ZhCn).contains("内部"),
            "{}",
            c.render(Lang::ZhCn)
        );
        assert_eq!(Msg::from("as is").render(Lang::ZhCn), "as is");
    }

    #[test]
    fn missing_messages_fall_back() {
        assert_eq!(t(Lang::ZhCn, "no.such.key"), "no.such.key");
    }
}
