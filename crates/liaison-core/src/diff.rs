//! What changed between two versions of a text (issue 11; policy §3.1.1 partners must
//! interpret a policy correctly, §3.1.2 changes are announced with what they change): by
//! paragraph, and inside a changed paragraph by word. Chinese has no spaces between words, so
//! each Han character (and kana, hangul, full-width sign) is a token of its own; Latin words and
//! numbers such as `3.5%` stay whole. Pure and bounded: a paragraph pair too long to compare
//! word by word is shown as replaced.

use serde::Serialize;

/// What a span or paragraph is in the new text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equal,
    Insert,
    Delete,
    /// A paragraph that is there in both, with words changed (its spans say which).
    Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub op: Op,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paragraph {
    pub op: Op,
    /// For `change`: equal, inserted and deleted spans in reading order; otherwise one span.
    pub spans: Vec<Span>,
}

/// How much changed, for the announcement's one-line summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    pub unchanged: usize,
}

/// The longest paragraph pair compared word by word (tokens × tokens).
const MAX_CELLS: usize = 4_000_000;

/// Paragraphs: blocks separated by a blank line, trimmed; CRLF read as LF.
pub fn paragraphs(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n");
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.split('\n') {
        if line.trim().is_empty() {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
        } else {
            if !cur.is_empty() {
                cur.push('\n');
            }
            cur.push_str(line);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// A character read as a word of its own: CJK ideographs, kana, hangul, CJK and full-width
/// punctuation.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x30FF | 0x3100..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x2FA1F)
}

/// Words: a run of letters and digits (with `.`, `%`, `,` inside numbers) is one; each CJK
/// character, each space run and each other sign is one.
pub fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        let mut j = i + 1;
        if c.is_whitespace() {
            while j < chars.len() && chars[j].1.is_whitespace() {
                j += 1;
            }
        } else if c.is_alphanumeric() && !is_cjk(c) {
            while j < chars.len() {
                let d = chars[j].1;
                let inside_number = matches!(d, '.' | ',' | '%')
                    && chars[j - 1].1.is_ascii_digit()
                    && (d == '%' || chars.get(j + 1).is_some_and(|n| n.1.is_ascii_digit()));
                if (d.is_alphanumeric() && !is_cjk(d)) || inside_number {
                    j += 1;
                } else {
                    break;
                }
            }
        }
        let end = chars.get(j).map_or(text.len(), |x| x.0);
        out.push(&text[start..end]);
        i = j;
    }
    out
}

/// The longest common subsequence of `a` and `b` as edit ops (Equal, Delete from a, Insert
/// from b), in order. O(len(a)·len(b)); callers bound the sizes.
fn lcs_ops<T: PartialEq>(a: &[T], b: &[T]) -> Vec<(Op, usize)> {
    let (n, m) = (a.len(), b.len());
    // table[i][j]: LCS length of a[i..] and b[j..].
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] = if a[i] == b[j] {
                table[at(i + 1, j + 1)] + 1
            } else {
                table[at(i + 1, j)].max(table[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push((Op::Equal, i));
            i += 1;
            j += 1;
        } else if i < n && (j == m || table[at(i + 1, j)] >= table[at(i, j + 1)]) {
            // On a tie the removed words come before the added ones, as people read a change.
            ops.push((Op::Delete, i));
            i += 1;
        } else {
            ops.push((Op::Insert, j));
            j += 1;
        }
    }
    ops
}

fn push_span(spans: &mut Vec<Span>, op: Op, text: &str) {
    match spans.last_mut() {
        Some(last) if last.op == op => last.text.push_str(text),
        _ => spans.push(Span {
            op,
            text: text.to_string(),
        }),
    }
}

/// Word-level spans of one paragraph changed from `old` to `new`.
pub fn words(old: &str, new: &str) -> Vec<Span> {
    let (a, b) = (tokens(old), tokens(new));
    // The common start and end need no table.
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut spans = Vec::new();
    push_span(&mut spans, Op::Equal, &a[..prefix].concat());
    if am.len().saturating_mul(bm.len()) > MAX_CELLS {
        push_span(&mut spans, Op::Delete, &am.concat());
        push_span(&mut spans, Op::Insert, &bm.concat());
    } else {
        for (op, k) in lcs_ops(am, bm) {
            let t = if op == Op::Insert { bm[k] } else { am[k] };
            push_span(&mut spans, op, t);
        }
    }
    push_span(&mut spans, Op::Equal, &a[a.len() - suffix..].concat());
    spans.retain(|s| !s.text.is_empty());
    spans
}

/// The diff of `new` against `old`: paragraphs kept, added, removed, or changed word by word
/// (a removed paragraph followed by an added one is read as one changed paragraph).
pub fn diff(old: &str, new: &str) -> Vec<Paragraph> {
    let (a, b) = (paragraphs(old), paragraphs(new));
    let ops = if a.len().saturating_mul(b.len()) > MAX_CELLS {
        // Thousands of paragraphs each side: compare them in order.
        let mut v: Vec<(Op, usize)> = (0..a.len()).map(|i| (Op::Delete, i)).collect();
        v.extend((0..b.len()).map(|j| (Op::Insert, j)));
        v
    } else {
        lcs_ops(&a, &b)
    };
    let mut out = Vec::new();
    let mut k = 0;
    while k < ops.len() {
        let (op, i) = ops[k];
        if op == Op::Equal {
            out.push(Paragraph {
                op,
                spans: vec![Span {
                    op,
                    text: a[i].clone(),
                }],
            });
            k += 1;
            continue;
        }
        // A run of deletions and insertions between two kept paragraphs: pair them in order.
        let run_end = ops[k..]
            .iter()
            .position(|(o, _)| *o == Op::Equal)
            .map_or(ops.len(), |p| k + p);
        let dels: Vec<usize> = ops[k..run_end]
            .iter()
            .filter(|(o, _)| *o == Op::Delete)
            .map(|x| x.1)
            .collect();
        let ins: Vec<usize> = ops[k..run_end]
            .iter()
            .filter(|(o, _)| *o == Op::Insert)
            .map(|x| x.1)
            .collect();
        for n in 0..dels.len().max(ins.len()) {
            match (dels.get(n), ins.get(n)) {
                (Some(&d), Some(&i)) => out.push(Paragraph {
                    op: Op::Change,
                    spans: words(&a[d], &b[i]),
                }),
                (Some(&d), None) => out.push(Paragraph {
                    op: Op::Delete,
                    spans: vec![Span {
                        op: Op::Delete,
                        text: a[d].clone(),
                    }],
                }),
                (None, Some(&i)) => out.push(Paragraph {
                    op: Op::Insert,
                    spans: vec![Span {
                        op: Op::Insert,
                        text: b[i].clone(),
                    }],
                }),
                (None, None) => {}
            }
        }
        k = run_end;
    }
    out
}

pub fn summary(diff: &[Paragraph]) -> Summary {
    let mut s = Summary::default();
    for p in diff {
        match p.op {
            Op::Equal => s.unchanged += 1,
            Op::Insert => s.added += 1,
            Op::Delete => s.removed += 1,
            Op::Change => s.changed += 1,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(spans: &[Span]) -> String {
        spans
            .iter()
            .map(|s| match s.op {
                Op::Insert => format!("[+{}]", s.text),
                Op::Delete => format!("[-{}]", s.text),
                _ => s.text.clone(),
            })
            .collect()
    }

    #[test]
    fn chinese_is_compared_character_by_character_and_numbers_stay_whole() {
        assert_eq!(
            tokens("返利比例为3.5%，按季度结算"),
            vec![
                "返", "利", "比", "例", "为", "3.5%", "，", "按", "季", "度", "结", "算"
            ]
        );
        assert_eq!(
            tokens("rebate of 3.5% paid"),
            vec!["rebate", " ", "of", " ", "3.5%", " ", "paid"]
        );
        let s = words("返利比例为3.5%，按季度结算。", "返利比例为4%，按月结算。");
        assert_eq!(marked(&s), "返利比例为[-3.5%][+4%]，按[-季度][+月]结算。");
    }

    #[test]
    fn paragraphs_are_kept_changed_added_and_removed() {
        let old = "第一条 适用范围\n\n第二条 返利比例为3%。\n\n第三条 旧条款。";
        let new =
            "第一条 适用范围\n\n第二条 返利比例为5%。\n\n第四条 新增条款。\n\n第五条 另一新条款。";
        let d = diff(old, new);
        let ops: Vec<Op> = d.iter().map(|p| p.op).collect();
        assert_eq!(ops, vec![Op::Equal, Op::Change, Op::Change, Op::Insert]);
        assert_eq!(marked(&d[1].spans), "第二条 返利比例为[-3%][+5%]。");
        assert_eq!(
            summary(&d),
            Summary {
                changed: 2,
                added: 1,
                removed: 0,
                unchanged: 1
            }
        );
        assert!(diff(new, new).iter().all(|p| p.op == Op::Equal));
        assert_eq!(diff("", "新政策。")[0].op, Op::Insert);
        assert_eq!(diff("旧政策。", "")[0].op, Op::Delete);
    }

    #[test]
    fn every_word_of_both_texts_survives_the_diff() {
        let cases = [
            (
                "价格政策自2027年1月1日起执行",
                "价格政策自2027年3月1日起执行并取代旧版",
            ),
            ("a b c d", "a x c y d"),
            ("", "全新"),
            ("全部删除", ""),
        ];
        for (old, new) in cases {
            let s = words(old, new);
            let keep = |skip: Op| -> String {
                s.iter()
                    .filter(|x| x.op != skip)
                    .map(|x| x.text.as_str())
                    .collect()
            };
            assert_eq!(keep(Op::Insert), old, "old side of {old:?} -> {new:?}");
            assert_eq!(keep(Op::Delete), new, "new side of {old:?} -> {new:?}");
        }
    }
}
