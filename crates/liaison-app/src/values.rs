//! Enumerated values as people write them (SPEC A5, H1): the one table between a stored code
//! (`distributor`, `suspended`, `wecom`, `zh-tw`, `true`) and its label in each catalogue
//! (经销商, 已暫停, 企業微信, 繁體中文, 是), plus the other words people use for it (门店,
//! 暂停, 电子邮件, English). Imports read any of them, in Simplified, Traditional or English,
//! case-insensitively; exports write the label of one language, or the code for systems.
//! The codes themselves come from the enums in `liaison-core`.

use liaison_core::delivery::DeliveryState;
use liaison_core::partner::{Channel, Lang, PartnerKind, PartnerStatus};

/// A closed set of values with labels in the catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    PartnerKind,
    PartnerStatus,
    Channel,
    Lang,
    /// Yes/no cells; the codes are `true` and `false`.
    YesNo,
    DeliveryState,
}

const LANGS: [Lang; 3] = [Lang::ZhCn, Lang::ZhTw, Lang::En];

/// Words accepted besides the code and the three catalogue labels: shorter forms, the other
/// script's spelling and the names used elsewhere in the trade.
const ALIASES: &[(Values, &str, &[&str])] = &[
    (
        Values::PartnerKind,
        "distributor",
        &["分销商", "分銷商", "经销", "經銷"],
    ),
    (Values::PartnerKind, "agent", &["代理"]),
    (
        Values::PartnerKind,
        "ecommerce",
        &["电商", "電商", "电子商务平台", "電子商務平台", "e-commerce"],
    ),
    (
        Values::PartnerKind,
        "store",
        &[
            "门店",
            "門店",
            "门市",
            "門市",
            "线下门店",
            "線下門店",
            "实体门店",
            "實體門店",
            "零售门店",
            "零售門店",
            "offline store",
        ],
    ),
    (Values::PartnerKind, "other", &["其它"]),
    (
        Values::PartnerStatus,
        "prospect",
        &["潜在伙伴", "潛在夥伴", "意向"],
    ),
    (Values::PartnerStatus, "active", &["合作", "正常"]),
    (
        Values::PartnerStatus,
        "suspended",
        &["暂停", "暫停", "停用"],
    ),
    (Values::PartnerStatus, "terminated", &["终止", "終止"]),
    (
        Values::Channel,
        "portal",
        &[
            "门户",
            "門戶",
            "伙伴门户",
            "夥伴門戶",
            "入口网站",
            "入口網站",
        ],
    ),
    (
        Values::Channel,
        "email",
        &[
            "邮件",
            "郵件",
            "电子邮件",
            "電子郵件",
            "邮箱",
            "郵箱",
            "e-mail",
            "mail",
        ],
    ),
    (
        Values::Channel,
        "wecom",
        &["企业微信", "企業微信", "企微", "wechat work"],
    ),
    (Values::Channel, "dingtalk", &["钉钉", "釘釘"]),
    (Values::Channel, "feishu", &["飞书", "飛書", "lark"]),
    (
        Values::Channel,
        "phone",
        &["电话", "電話", "手机", "手機", "tel"],
    ),
    (
        Values::Lang,
        "zh-cn",
        &[
            "简体中文",
            "簡體中文",
            "简体",
            "簡體",
            "中文",
            "zh",
            "zh-hans",
            "chinese",
        ],
    ),
    (
        Values::Lang,
        "zh-tw",
        &["繁體中文", "繁体中文", "繁體", "繁体", "zh-hant", "zh-hk"],
    ),
    (
        Values::Lang,
        "en",
        &["english", "英文", "英语", "英語", "en-us", "en-gb"],
    ),
    (
        Values::YesNo,
        "true",
        &["是", "yes", "y", "1", "对", "對", "✓", "√"],
    ),
    (Values::YesNo, "false", &["否", "no", "n", "0", "×"]),
];

impl Values {
    /// The stored codes, in the order the enum lists them.
    pub fn codes(self) -> Vec<&'static str> {
        match self {
            Values::PartnerKind => PartnerKind::ALL.iter().map(|v| v.as_str()).collect(),
            Values::PartnerStatus => PartnerStatus::ALL.iter().map(|v| v.as_str()).collect(),
            Values::Channel => Channel::ALL.iter().map(|v| v.as_str()).collect(),
            Values::Lang => Lang::ALL.iter().map(|v| v.as_str()).collect(),
            Values::YesNo => vec!["true", "false"],
            Values::DeliveryState => DeliveryState::ALL.iter().map(|v| v.as_str()).collect(),
        }
    }

    fn key(self, code: &str) -> String {
        let prefix = match self {
            Values::PartnerKind => "kind",
            Values::PartnerStatus => "status",
            Values::Channel => "channel",
            Values::Lang => "lang",
            Values::YesNo => "bool",
            Values::DeliveryState => "delivery",
        };
        format!("{prefix}.{code}")
    }

    /// The label of `code` in `lang`; the code itself when it is not one of this set.
    pub fn label(self, lang: Lang, code: &str) -> &str {
        let code_lc = code.trim().to_lowercase();
        match self.codes().into_iter().find(|c| *c == code_lc) {
            Some(c) => Some(text(lang, &self.key(c)))
                .filter(|l| !l.is_empty())
                .unwrap_or(c),
            None => code,
        }
    }

    /// The code a person's word stands for: the code, a label in any language or an alias,
    /// ignoring case, spaces, `-`/`_` and full-width forms. `None` when it is none of them.
    pub fn parse(self, word: &str) -> Option<&'static str> {
        let wanted = normalize(word);
        if wanted.is_empty() {
            return None;
        }
        self.codes().into_iter().find(|code| {
            normalize(code) == wanted
                || LANGS
                    .iter()
                    .any(|l| normalize(text(*l, &self.key(code))) == wanted)
                || ALIASES
                    .iter()
                    .filter(|(set, c, _)| *set == self && c == code)
                    .flat_map(|(_, _, words)| words.iter())
                    .any(|w| normalize(w) == wanted)
        })
    }

    /// The allowed values as `lang` shows them, for an error message: `经销商、代理商、…`.
    pub fn allowed(self, lang: Lang) -> String {
        // The catalogue trims values: a Latin separator gets its space back here.
        let sep = text(lang, "import.list_sep");
        let sep = if sep.is_ascii() {
            format!("{sep} ")
        } else {
            sep.to_string()
        };
        self.codes()
            .into_iter()
            .map(|c| self.label(lang, c))
            .collect::<Vec<_>>()
            .join(&sep)
    }
}

/// Lowercase, full-width ASCII read as ASCII, and without spaces, `-`, `_` and `.`, so
/// `Zh_CN`, `ｚｈ－ｃｎ` and `zh-cn` compare equal, as do `E-commerce platform` and
/// `ecommerce platform`.
fn normalize(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// `template` from the catalogue with `{ $name }` placeholders filled from `args`.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let owned: Vec<(&str, String)> = args.iter().map(|(k, v)| (*k, v.to_string())).collect();
    liaison_i18n::fill(template, &owned)
}

/// The catalogue text of `key` in `lang`, English when that language lacks it, empty when no
/// language has it.
fn text(lang: Lang, key: &str) -> &'static str {
    liaison_i18n::lookup(lang, key)
        .or_else(|| liaison_i18n::lookup(Lang::En, key))
        .unwrap_or("")
}

/// The message `key` in `lang` with its placeholders filled.
pub fn message(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    fill(text(lang, key), args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_labels_in_both_scripts_and_codes_are_read() {
        for (text, code) in [
            ("经销商", "distributor"),
            ("經銷商", "distributor"),
            ("代理商", "agent"),
            ("电商平台", "ecommerce"),
            ("電商平台", "ecommerce"),
            ("门店", "store"),
            ("門店", "store"),
            ("线下门店", "store"),
            ("實體門市", "store"),
            ("其他", "other"),
            ("DISTRIBUTOR", "distributor"),
            (" Retail store ", "store"),
        ] {
            assert_eq!(Values::PartnerKind.parse(text), Some(code), "{text}");
        }
        for (text, code) in [
            ("潜在", "prospect"),
            ("潛在", "prospect"),
            ("合作中", "active"),
            ("暂停", "suspended"),
            ("已暫停", "suspended"),
            ("终止", "terminated"),
            ("已終止", "terminated"),
        ] {
            assert_eq!(Values::PartnerStatus.parse(text), Some(code), "{text}");
        }
        for (text, code) in [
            ("伙伴门户", "portal"),
            ("邮件", "email"),
            ("电子邮件", "email"),
            ("企业微信", "wecom"),
            ("钉钉", "dingtalk"),
            ("飞书", "feishu"),
            ("Slack", "slack"),
            ("Webhook", "webhook"),
            ("电话", "phone"),
            ("WeCom", "wecom"),
        ] {
            assert_eq!(Values::Channel.parse(text), Some(code), "{text}");
        }
        for (text, code) in [
            ("简体中文", "zh-cn"),
            ("繁體中文", "zh-tw"),
            ("English", "en"),
            ("zh_CN", "zh-cn"),
            ("ＺＨ－ＴＷ", "zh-tw"),
        ] {
            assert_eq!(Values::Lang.parse(text), Some(code), "{text}");
        }
        assert_eq!(Values::YesNo.parse("是"), Some("true"));
        assert_eq!(Values::YesNo.parse("否"), Some("false"));
        assert_eq!(Values::YesNo.parse("YES"), Some("true"));
    }

    #[test]
    fn unknown_words_are_refused() {
        assert_eq!(Values::PartnerKind.parse("批发商"), None);
        assert_eq!(Values::PartnerKind.parse(""), None);
        assert_eq!(Values::Channel.parse("微信"), None);
        assert_eq!(Values::YesNo.parse("也许"), None);
    }

    #[test]
    fn every_label_reads_back_as_its_code_in_every_language() {
        for set in [
            Values::PartnerKind,
            Values::PartnerStatus,
            Values::Channel,
            Values::Lang,
            Values::YesNo,
            Values::DeliveryState,
        ] {
            for code in set.codes() {
                for lang in LANGS {
                    let label = set.label(lang, code);
                    assert!(
                        !text(lang, &set.key(code)).is_empty(),
                        "{lang} lacks {}",
                        set.key(code)
                    );
                    assert_eq!(set.parse(label), Some(code), "{lang} {label}");
                }
            }
        }
    }

    #[test]
    fn allowed_values_are_listed_in_the_languages_own_words() {
        assert_eq!(
            Values::PartnerKind.allowed(Lang::ZhCn),
            "经销商、代理商、电商平台、线下门店、其他"
        );
        assert!(
            Values::PartnerKind
                .allowed(Lang::ZhTw)
                .starts_with("經銷商、")
        );
        assert!(
            Values::PartnerKind
                .allowed(Lang::En)
                .starts_with("Distributor, Agent")
        );
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            fill(
                "第 { $row } 行 { $column }：{ $problem }",
                &[("row", "3"), ("column", "类型"), ("problem", "x")]
            ),
            "第 3 行 类型：x"
        );
    }
}
