//! UI messages in Simplified Chinese, Traditional Chinese and English (SPEC H1). Messages live
//! in `locales/{zh-CN,zh-TW,en}/main.ftl`, written in the simple-message subset of Fluent
//! (`key = text`, `#` comments); a missing message falls back to English, then to its key.
//! Choosing the language: an explicit choice (cookie) wins, else the browser's Accept-Language.

pub mod values;

use liaison_core::partner::Lang;
use std::collections::HashMap;
use std::sync::OnceLock;

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

/// The message `key` in `lang`.
pub fn t(lang: Lang, key: &str) -> &str {
    let c = catalog();
    c.get(&lang)
        .and_then(|m| m.get(key))
        .or_else(|| c.get(&Lang::En).and_then(|m| m.get(key)))
        .copied()
        .unwrap_or(key)
}

/// The message `key` in `lang` with each `{name}` replaced by its value.
pub fn t_args(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    fill(t(lang, key), args)
}

/// Replaces each `{name}` in `text` by its value in `args`; unknown names stay as written.
pub fn fill(text: &str, args: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (k, v) in args {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A notification's title in `lang`: the message `notify.<kind>` filled with its arguments
/// (strings and numbers; anything else is left out).
pub fn notification_title(
    lang: Lang,
    kind: liaison_core::notify::NotifyKind,
    args: &serde_json::Value,
) -> String {
    let pairs: Vec<(String, String)> = args
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k.clone(), s.clone())),
                    serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    t_args(lang, &format!("notify.{}", kind.as_str()), &refs)
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
            return if traditional { Lang::ZhTw } else { Lang::ZhCn };
        }
        if tag.starts_with("en") {
            return Lang::En;
        }
    }
    Lang::ZhCn
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

    #[test]
    fn missing_messages_fall_back() {
        assert_eq!(t(Lang::ZhCn, "no.such.key"), "no.such.key");
    }
}
