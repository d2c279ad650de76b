//! Sampled documents for the report: bounded, deterministic bottom-k samples (the k items with
//! the smallest hash of the document id, so any split of the input merges to the same sample)
//! and the excerpt of a document that shows its offending part.

use std::collections::{BinaryHeap, HashMap};

use serde_json::{Map, Value};

use super::fmt::cut;

/// Lines shown at most in an excerpt.
const EXCERPT_LINES: usize = 10;
/// Characters shown at most per excerpt line.
const LINE_CHARS: usize = 200;
/// Characters of compact metadata JSON kept per sample.
const METADATA_CHARS: usize = 1500;
/// Metadata facts shown as chips at most.
const MAX_FACTS: usize = 10;

/// An item of a bottom-k sample: ordered by its key first, then by tie-breakers.
pub(crate) trait Ranked: Ord {
    /// The cheap prefix of the order, known before the item is built.
    type Key: Ord;
    /// This item's key.
    fn key(&self) -> Self::Key;
}

/// The `k` smallest items seen: a max-heap whose top is evicted when a smaller item arrives.
#[derive(Debug, Clone)]
pub(crate) struct BottomK<T: Ranked> {
    k: usize,
    heap: BinaryHeap<T>,
}

impl<T: Ranked> BottomK<T> {
    pub(crate) fn new(k: usize) -> Self {
        BottomK {
            k,
            heap: BinaryHeap::new(),
        }
    }

    /// Whether an item with this key could enter (checked before building it).
    pub(crate) fn accepts(&self, key: &T::Key) -> bool {
        if self.k == 0 {
            return false;
        }
        self.heap.len() < self.k || self.heap.peek().is_some_and(|top| *key <= top.key())
    }

    pub(crate) fn push(&mut self, item: T) {
        if self.k == 0 {
            return;
        }
        self.heap.push(item);
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    pub(crate) fn merge(&mut self, other: BottomK<T>) {
        for item in other.heap {
            if self.accepts(&item.key()) {
                self.push(item);
            }
        }
    }

    /// The sample, smallest first.
    pub(crate) fn into_sorted(self) -> Vec<T> {
        self.heap.into_sorted_vec()
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

/// One line of an excerpt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExcerptLine {
    /// The line, cut to `LINE_CHARS`.
    pub text: String,
    /// The line occurs more than once in the document (what repetition filters look at).
    pub repeated: bool,
    /// A gap (lines skipped) comes before this line.
    pub gap_before: bool,
}

/// A sampled document, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sample {
    pub hash: u64,
    pub id: String,
    /// Where the document went: `kept` or `removed`.
    pub removed: bool,
    pub excerpt: Vec<ExcerptLine>,
    /// Lines in the document, characters in the document, lines repeated at least twice.
    pub total_lines: usize,
    pub total_chars: usize,
    pub repeated_lines: usize,
    /// Metadata facts worth seeing at a glance (language, scores, duplicate of, ...).
    pub facts: Vec<(String, String)>,
    /// Compact metadata JSON, cut.
    pub metadata: String,
    /// Lines a stage cut from the document (from `metadata.clean`), when sampled for a rule.
    pub cut_lines: Vec<String>,
}

impl Ord for Sample {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.hash, &self.id).cmp(&(other.hash, &other.id))
    }
}

impl PartialOrd for Sample {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ranked for Sample {
    type Key = u64;
    fn key(&self) -> u64 {
        self.hash
    }
}

impl Sample {
    /// Build the sample of a document.
    pub(crate) fn build(
        hash: u64,
        id: &str,
        text: &str,
        metadata: &Map<String, Value>,
        removed: bool,
    ) -> Sample {
        let (excerpt, total_lines, repeated_lines) = excerpt(text);
        let json = serde_json::to_string(metadata).unwrap_or_default();
        let (head, was_cut) = cut(&json, METADATA_CHARS);
        Sample {
            hash,
            id: cut(id, 200).0.to_string(),
            removed,
            excerpt,
            total_lines,
            total_chars: text.chars().count(),
            repeated_lines,
            facts: facts(metadata),
            metadata: if was_cut {
                format!("{head}…")
            } else {
                head.to_string()
            },
            cut_lines: Vec::new(),
        }
    }
}

/// The first lines of a text, with lines occurring more than once marked; when the document
/// has repeated lines and none of them is among the first lines, the most repeated ones are
/// appended after a gap, so the reason for a repetition removal is visible.
fn excerpt(text: &str) -> (Vec<ExcerptLine>, usize, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for l in &lines {
        let t = l.trim();
        if !t.is_empty() {
            *counts.entry(t).or_insert(0) += 1;
        }
    }
    let repeated_distinct = counts.values().filter(|&&n| n > 1).count();
    let is_rep = |l: &str| counts.get(l.trim()).is_some_and(|&n| n > 1);
    let mut out: Vec<ExcerptLine> = lines
        .iter()
        .take(EXCERPT_LINES)
        .map(|l| ExcerptLine {
            text: shorten(l, LINE_CHARS),
            repeated: is_rep(l),
            gap_before: false,
        })
        .collect();
    if repeated_distinct > 0 && !out.iter().any(|l| l.repeated) {
        let mut most: Vec<(&str, u32)> = counts
            .iter()
            .filter(|(_, &n)| n > 1)
            .map(|(l, &n)| (*l, n))
            .collect();
        most.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (i, (l, _)) in most.iter().take(3).enumerate() {
            out.push(ExcerptLine {
                text: shorten(l, LINE_CHARS),
                repeated: true,
                gap_before: i == 0,
            });
        }
    }
    (out, lines.len(), repeated_distinct)
}

pub(crate) fn shorten(s: &str, max: usize) -> String {
    match cut(s, max) {
        (head, true) => format!("{head}…"),
        (all, false) => all.to_string(),
    }
}

/// Scalar metadata worth a chip: language, score, dedup links, then `quality.*` values.
fn facts(metadata: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in [
        "lang",
        "lang_score",
        "duplicate_of",
        "cluster_id",
        "cluster_size",
        "url",
        "title",
    ] {
        if let Some(v) = metadata.get(key).and_then(scalar) {
            out.push((key.to_string(), v));
        }
    }
    if let Some(Value::Object(q)) = metadata.get("quality") {
        for (k, v) in q {
            if out.len() >= MAX_FACTS {
                break;
            }
            if let Some(s) = scalar(v) {
                out.push((k.clone(), s));
            }
        }
    }
    out
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(shorten(s, 120)),
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() => super::fmt::num(f),
            _ => n.to_string(),
        }),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What `metadata.clean` says a rule removed: a count and, when recorded, the line texts.
///
/// Accepted shapes (the clean stage is written in parallel, so the reader is lenient):
/// `{"rule": 3}`, `{"rule": ["line", ...]}`, `{"rule": {"count": 3, "lines": [...]}}` and
/// `[{"rule": "x", "line": "..."}, ...]`. Anything else is ignored.
pub(crate) fn clean_rules(v: &Value) -> Vec<(String, u64, Vec<String>)> {
    let mut out: Vec<(String, u64, Vec<String>)> = Vec::new();
    match v {
        Value::Object(m) => {
            for (rule, rv) in m {
                let (n, lines) = rule_value(rv);
                if n > 0 || !lines.is_empty() {
                    out.push((rule.clone(), n.max(lines.len() as u64), lines));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                let Some(obj) = item.as_object() else {
                    continue;
                };
                let Some(rule) = obj.get("rule").and_then(Value::as_str) else {
                    continue;
                };
                let mut rest = obj.clone();
                rest.remove("rule");
                let (n, lines) = rule_value(&Value::Object(rest));
                match out.iter_mut().find(|(r, _, _)| r == rule) {
                    Some(entry) => {
                        entry.1 += n.max(1);
                        entry.2.extend(lines);
                    }
                    None => out.push((rule.to_string(), n.max(1), lines)),
                }
            }
        }
        _ => {}
    }
    out
}

fn rule_value(v: &Value) -> (u64, Vec<String>) {
    match v {
        Value::Number(n) => (n.as_u64().unwrap_or(0), Vec::new()),
        Value::String(s) => (1, vec![s.clone()]),
        Value::Array(items) => {
            let mut n = 0;
            let mut lines = Vec::new();
            for item in items {
                let (m, mut l) = rule_value(item);
                n += if l.is_empty() { m } else { 0 };
                lines.append(&mut l);
            }
            (n + lines.len() as u64, lines)
        }
        Value::Object(m) => {
            let count = ["count", "n", "lines_removed", "removed"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_u64));
            let mut lines = Vec::new();
            for key in ["lines", "line", "text", "texts", "samples", "removed"] {
                match m.get(key) {
                    Some(Value::String(s)) => lines.push(s.clone()),
                    Some(Value::Array(items)) => {
                        lines.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                    }
                    _ => {}
                }
            }
            (count.unwrap_or(lines.len() as u64), lines)
        }
        _ => (0, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct H(u64);
    impl Ranked for H {
        type Key = u64;
        fn key(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn bottom_k_keeps_the_smallest_whatever_the_split() {
        let mut a = BottomK::new(3);
        let mut b = BottomK::new(3);
        for h in [9, 4, 7, 1] {
            a.push(H(h));
        }
        for h in [3, 8, 2] {
            if b.accepts(&h) {
                b.push(H(h));
            }
        }
        a.merge(b);
        assert_eq!(a.into_sorted(), vec![H(1), H(2), H(3)]);
    }

    #[test]
    fn excerpt_marks_repeated_lines_and_appends_them_when_late() {
        let mut text: String = (0..20).map(|i| format!("line {i}\n")).collect();
        text.push_str("Subscribe now\nSubscribe now\n");
        let (lines, total, repeated) = excerpt(&text);
        assert_eq!((total, repeated), (22, 1));
        assert_eq!(lines.len(), EXCERPT_LINES + 1);
        let last = lines.last().unwrap();
        assert_eq!(
            (last.text.as_str(), last.repeated, last.gap_before),
            ("Subscribe now", true, true)
        );
    }

    #[test]
    fn reads_the_shapes_of_clean_metadata() {
        assert_eq!(
            clean_rules(
                &json!({"chrome": 2, "boilerplate": ["Share this", "Read more"], "x": {"count": 4, "lines": ["a"]}, "none": 0})
            ),
            vec![
                ("chrome".to_string(), 2, vec![]),
                (
                    "boilerplate".to_string(),
                    2,
                    vec!["Share this".to_string(), "Read more".to_string()]
                ),
                ("x".to_string(), 4, vec!["a".to_string()]),
            ]
        );
        assert_eq!(
            clean_rules(
                &json!([{"rule": "chrome", "line": "Home"}, {"rule": "chrome", "line": "Login"}])
            ),
            vec![(
                "chrome".to_string(),
                2,
                vec!["Home".to_string(), "Login".to_string()]
            )]
        );
    }
}
