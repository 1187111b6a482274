//! What the search index stores and what a query looks for (SPEC B10): text becomes terms
//! without a dictionary, so two-character Chinese words are found inside longer text. The
//! index itself (tables, postings, ranking, scope) lives in `liaison-db::search`.
//!
//! - Chinese, Japanese and Korean runs become overlapping character pairs (`苏州市` → `苏州`,
//!   `州市`) plus the run's last character alone, so every character starts some term and a
//!   one-character query is a prefix lookup.
//! - Other letters and digits become lowercased words; a word joined by `-` (a code such as
//!   `SH-D001`) is kept whole and as its pieces. Queries match words by prefix.
//! - Full-width ASCII (`ＳＨ－Ｄ００１`) is read as ASCII.

use crate::{Actor, Permission, Scope};

/// What kind of object a document stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Partner,
    Contact,
    Message,
    Thread,
    /// A catalogue product (§3.2.1): partners find those whose visibility admits them.
    Product,
    /// A problem ticket (§3.4): its partner finds it; staff who may read every ticket.
    Ticket,
    /// A meeting (§2.1.3, §5.1): staff only (partners see theirs in the portal's list).
    Meeting,
    /// A site visit's report (§2.2.2): its partner and staff.
    Visit,
    /// A call log (§2.2.3): its partner and staff.
    Call,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Partner,
        Kind::Contact,
        Kind::Message,
        Kind::Thread,
        Kind::Product,
        Kind::Ticket,
        Kind::Meeting,
        Kind::Visit,
        Kind::Call,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Partner => "partner",
            Kind::Contact => "contact",
            Kind::Message => "message",
            Kind::Thread => "thread",
            Kind::Product => "product",
            Kind::Ticket => "ticket",
            Kind::Meeting => "meeting",
            Kind::Visit => "visit",
            Kind::Call => "call",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What `actor` may search (SPEC B10, §7.2.2): `None` when nothing. Partner users search
/// their own partner, contacts, threads and the messages delivered to them (the scope limits
/// it in SQL); company staff search the registry (`ReadPartners`), and messages and threads
/// only when they may see every request (`ReadAllRequests`), as before the index.
pub fn searchable(actor: &Actor) -> Option<(Scope, Vec<Kind>)> {
    if actor.is_partner() {
        return match actor.scope() {
            Scope::Nothing => None,
            scope => Some((
                scope,
                Kind::ALL
                    .into_iter()
                    .filter(|k| *k != Kind::Meeting)
                    .collect(),
            )),
        };
    }
    let mut kinds = Vec::new();
    if actor.can(Permission::ReadPartners) {
        kinds.extend([Kind::Partner, Kind::Contact]);
    }
    if actor.can(Permission::ReadAllRequests) {
        kinds.extend([Kind::Message, Kind::Thread]);
    }
    if actor.can(Permission::ReadProducts) {
        kinds.push(Kind::Product);
    }
    if actor.can(Permission::ReadAllTickets) {
        kinds.push(Kind::Ticket);
    }
    if actor.can(Permission::PlanMeetings) {
        kinds.extend([Kind::Meeting, Kind::Visit, Kind::Call]);
    }
    (!kinds.is_empty()).then_some((Scope::All, kinds))
}

/// Terms longer than this (in characters) are cut; a longer query word is cut the same way, so
/// it still matches as a prefix.
pub const MAX_TERM_CHARS: usize = 32;
/// A query uses at most this many terms; the rest are ignored.
pub const MAX_QUERY_TERMS: usize = 12;

/// How much a match in a field counts: names, codes and titles before bodies.
pub const WEIGHT_TITLE: i64 = 2;
pub const WEIGHT_BODY: i64 = 1;

/// One term of a query: an exact index term (a Chinese pair) or a prefix of index terms (a
/// word, a single Chinese character).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QueryTerm {
    Exact(String),
    Prefix(String),
}

impl QueryTerm {
    pub fn text(&self) -> &str {
        match self {
            QueryTerm::Exact(t) | QueryTerm::Prefix(t) => t,
        }
    }
}

/// A parsed query: the terms that must all match, and the pieces of text to highlight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<QueryTerm>,
    /// Lowercased words and Chinese runs of the query, longest first, for highlighting.
    pub needles: Vec<String>,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Chinese, Japanese and Korean characters: searched by character pairs, not words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // kana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0x20000..=0x3134F) // extensions B-G
}

/// Full-width ASCII forms as ASCII, then lowercase.
fn fold(c: char) -> impl Iterator<Item = char> {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    c.to_lowercase()
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// A run of CJK characters.
    Cjk(Vec<char>),
    /// A word of letters and digits, possibly joined by `-`.
    Word(String),
}

fn cut(s: &str) -> String {
    s.chars().take(MAX_TERM_CHARS).collect()
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut cjk: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_word = |word: &mut String, out: &mut Vec<Token>| {
        let w = word.trim_matches('-');
        if !w.is_empty() {
            out.push(Token::Word(w.to_string()));
        }
        word.clear();
    };
    for c in text.chars().flat_map(fold) {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            cjk.push(c);
            continue;
        }
        if !cjk.is_empty() {
            out.push(Token::Cjk(std::mem::take(&mut cjk)));
        }
        // A `-` joins letters and digits into one word (a code); leading or doubled ones split.
        if c.is_alphanumeric() || (c == '-' && !word.is_empty() && !word.ends_with('-')) {
            word.push(c);
        } else {
            flush_word(&mut word, &mut out);
        }
    }
    flush_word(&mut word, &mut out);
    if !cjk.is_empty() {
        out.push(Token::Cjk(cjk));
    }
    out
}

/// The index terms of `text`, each once.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for t in tokens(text) {
        match t {
            Token::Cjk(run) => {
                for pair in run.windows(2) {
                    out.push(pair.iter().collect());
                }
                if let Some(last) = run.last() {
                    out.push(last.to_string());
                }
            }
            Token::Word(w) => {
                if w.contains('-') {
                    out.extend(w.split('-').filter(|p| !p.is_empty()).map(cut));
                }
                out.push(cut(&w));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The terms of several fields, each term once with the highest weight of a field it is in,
/// sorted by term.
pub fn weighted_terms<'a>(fields: impl IntoIterator<Item = (&'a str, i64)>) -> Vec<(String, i64)> {
    let mut all: Vec<(String, i64)> = Vec::new();
    for (text, weight) in fields {
        all.extend(terms(text).into_iter().map(|t| (t, weight)));
    }
    // Highest weight first within a term, then keep the first of each term.
    all.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    all.dedup_by(|b, a| a.0 == b.0);
    all
}

/// Parses what a user typed. Every term must match (AND).
pub fn parse_query(text: &str) -> Query {
    let mut terms: Vec<QueryTerm> = Vec::new();
    let mut needles: Vec<String> = Vec::new();
    for t in tokens(text) {
        match t {
            Token::Cjk(run) => {
                if run.len() == 1 {
                    terms.push(QueryTerm::Prefix(run[0].to_string()));
                } else {
                    for pair in run.windows(2) {
                        terms.push(QueryTerm::Exact(pair.iter().collect()));
                    }
                }
                needles.push(run.iter().collect());
            }
            Token::Word(w) => {
                terms.push(QueryTerm::Prefix(cut(&w)));
                needles.push(w);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    // A prefix that another term of the query already implies adds nothing.
    let implied: Vec<bool> = terms
        .iter()
        .map(|t| match t {
            QueryTerm::Prefix(p) => terms
                .iter()
                .any(|o| o != t && o.text().starts_with(p.as_str())),
            QueryTerm::Exact(_) => false,
        })
        .collect();
    let mut i = 0;
    terms.retain(|_| {
        i += 1;
        !implied[i - 1]
    });
    terms.truncate(MAX_QUERY_TERMS);
    needles.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    needles.dedup();
    Query { terms, needles }
}

/// Where the needles occur in `text`, as sorted, non-overlapping character ranges
/// (`start..end`, in chars), case-insensitively.
pub fn highlights(text: &str, needles: &[String]) -> Vec<(usize, usize)> {
    // Fold char by char so offsets stay in the original text's characters.
    let folded: Vec<char> = text.chars().map(|c| fold(c).next().unwrap_or(c)).collect();
    let mut marks = vec![false; folded.len()];
    for n in needles {
        let n: Vec<char> = n.chars().collect();
        if n.is_empty() || n.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - n.len() {
            if folded[start..start + n.len()] == n[..] {
                for m in &mut marks[start..start + n.len()] {
                    *m = true;
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < marks.len() {
        if marks[i] {
            let s = i;
            while i < marks.len() && marks[i] {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// About `width` characters of `text` around its first match, with the match ranges inside
/// that excerpt. `…` marks a cut.
pub fn snippet(text: &str, needles: &[String], width: usize) -> (String, Vec<(usize, usize)>) {
    let chars: Vec<char> = text.chars().collect();
    let marks = highlights(text, needles);
    let start = match marks.first() {
        Some((s, _)) if *s > width / 3 => s - width / 3,
        _ => 0,
    };
    let end = (start + width).min(chars.len());
    let mut out: String = chars[start..end].iter().collect();
    let shift = usize::from(start > 0);
    if start > 0 {
        out.insert(0, '…');
    }
    if end < chars.len() {
        out.push('…');
    }
    let ranges = marks
        .into_iter()
        .filter(|(s, e)| *e > start && *s < end)
        .map(|(s, e)| (s.max(start) - start + shift, e.min(end) - start + shift))
        .collect();
    (out, ranges)
}

/// Text split into (piece, is_match) runs, for templates that wrap matches in `<mark>`.
pub fn segments(text: &str, ranges: &[(usize, usize)]) -> Vec<(String, bool)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    for &(s, e) in ranges {
        let (s, e) = (s.min(chars.len()), e.min(chars.len()));
        if s > at {
            out.push((chars[at..s].iter().collect(), false));
        }
        if e > s.max(at) {
            out.push((chars[s.max(at)..e].iter().collect(), true));
        }
        at = at.max(e);
    }
    if at < chars.len() {
        out.push((chars[at..].iter().collect(), false));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn partners_search_their_own_and_staff_need_read_all_requests_for_messages() {
        let actor = |roles: &str, partner: Option<uuid::Uuid>| Actor {
            user_id: uuid::Uuid::nil(),
            roles: crate::Roles::parse_list(roles).expect("roles"),
            partner_id: partner,
            department_id: None,
        };
        let p = uuid::Uuid::now_v7();
        // Meetings are indexed without a partner: a partner user finds its own in the portal.
        let partner_kinds: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| *k != Kind::Meeting)
            .collect();
        assert_eq!(
            searchable(&actor("partner_user", Some(p))),
            Some((Scope::Partner(p), partner_kinds))
        );
        assert_eq!(searchable(&actor("partner_user", None)), None);
        assert_eq!(
            searchable(&actor("staff", None)),
            Some((
                Scope::All,
                vec![
                    Kind::Partner,
                    Kind::Contact,
                    Kind::Product,
                    Kind::Meeting,
                    Kind::Visit,
                    Kind::Call
                ]
            ))
        );
        assert_eq!(
            searchable(&actor("channel_manager", None)).map(|s| s.1.len()),
            Some(9)
        );
    }

    #[test]
    fn chinese_becomes_pairs_and_the_last_character() {
        assert_eq!(terms("苏州市"), s(&["州市", "市", "苏州"]));
        assert_eq!(terms("返"), s(&["返"]));
    }

    #[test]
    fn codes_are_kept_whole_and_in_pieces() {
        assert_eq!(terms("SH-D001"), s(&["d001", "sh", "sh-d001"]));
        assert_eq!(terms("ＳＨ－Ｄ００１"), s(&["d001", "sh", "sh-d001"]));
        assert_eq!(
            terms("contact1@gen-0000123.example"),
            s(&["0000123", "contact1", "example", "gen", "gen-0000123"])
        );
    }

    #[test]
    fn mixed_text_splits_at_script_changes() {
        assert_eq!(
            terms("苏州Suzhou渠道"),
            s(&["suzhou", "州", "渠道", "苏州", "道"])
        );
    }

    #[test]
    fn two_character_query_is_one_exact_pair() {
        assert_eq!(
            parse_query("苏州").terms,
            vec![QueryTerm::Exact("苏州".into())]
        );
        assert_eq!(
            parse_query("苏州市").terms,
            vec![
                QueryTerm::Exact("苏州".into()),
                QueryTerm::Exact("州市".into())
            ]
        );
        assert_eq!(
            parse_query("苏").terms,
            vec![QueryTerm::Prefix("苏".into())]
        );
    }

    #[test]
    fn latin_words_are_prefixes_and_implied_prefixes_drop() {
        let q = parse_query("Liai SH-D0 sh");
        assert_eq!(
            q.terms,
            vec![
                QueryTerm::Prefix("liai".into()),
                QueryTerm::Prefix("sh-d0".into())
            ]
        );
        assert!(parse_query("  ,, ").is_empty());
    }

    #[test]
    fn weights_keep_the_highest_field() {
        let t = weighted_terms([("苏州", WEIGHT_BODY), ("苏州", WEIGHT_TITLE)]);
        assert!(t.contains(&("苏州".to_string(), WEIGHT_TITLE)));
        assert_eq!(t.iter().filter(|(x, _)| x == "苏州").count(), 1);
    }

    #[test]
    fn highlights_and_snippets_mark_matches() {
        let n = parse_query("苏州 ABC").needles;
        assert_eq!(highlights("在苏州的abc店", &n), vec![(1, 3), (4, 7)]);
        let long = format!("{}返利{}", "一".repeat(100), "二".repeat(100));
        let (text, ranges) = snippet(&long, &parse_query("返利").needles, 40);
        assert!(text.starts_with('…') && text.ends_with('…'));
        let segs = segments(&text, &ranges);
        assert!(segs.contains(&("返利".to_string(), true)), "{segs:?}");
    }

    proptest! {
        /// Any two consecutive Chinese characters of indexed text are found by a query of
        /// those two characters (SPEC B10: `苏州`, `返利` inside longer text).
        #[test]
        fn every_pair_inside_chinese_text_is_found(text in "[一-龥]{2,30}", at in 0usize..29) {
            let chars: Vec<char> = text.chars().collect();
            let at = at % (chars.len() - 1);
            let q: String = chars[at..at + 2].iter().collect();
            let indexed = terms(&format!("前缀 {text} 后缀"));
            for t in parse_query(&q).terms {
                match t {
                    QueryTerm::Exact(e) => prop_assert!(indexed.contains(&e)),
                    QueryTerm::Prefix(p) => prop_assert!(indexed.iter().any(|i| i.starts_with(&p))),
                }
            }
        }

        /// Every single character of Chinese text is found by a one-character query.
        #[test]
        fn every_single_character_is_found(text in "[一-龥]{1,20}", at in 0usize..20) {
            let chars: Vec<char> = text.chars().collect();
            let c = chars[at % chars.len()].to_string();
            let indexed = terms(&text);
            prop_assert!(indexed.iter().any(|i| i.starts_with(&c)));
        }

        /// Any prefix of any word of the text finds it.
        #[test]
        fn word_prefixes_are_found(words in proptest::collection::vec("[a-zA-Z0-9]{1,12}", 1..6), pick in 0usize..6, len in 1usize..12) {
            let text = words.join(" ");
            let w = &words[pick % words.len()];
            let prefix: String = w.chars().take(len.min(w.len())).collect();
            let indexed = terms(&text);
            for t in parse_query(&prefix).terms {
                prop_assert!(indexed.iter().any(|i| i.starts_with(t.text())), "{t:?} in {indexed:?}");
            }
        }

        /// Highlight ranges are within the text and never overlap; arbitrary input never panics.
        #[test]
        fn highlights_are_well_formed(text in "\\PC{0,60}", q in "\\PC{0,10}") {
            let needles = parse_query(&q).needles;
            let r = highlights(&text, &needles);
            let n = text.chars().count();
            for w in r.windows(2) { prop_assert!(w[0].1 <= w[1].0); }
            for (s, e) in &r { prop_assert!(s < e && *e <= n); }
            let (snip, ranges) = snippet(&text, &needles, 20);
            let m = snip.chars().count();
            for (s, e) in &ranges { prop_assert!(s < e && *e <= m); }
            let _ = segments(&snip, &ranges);
        }
    }
}
