//! `c4_quality`: C4's rules in two steps. The line remover drops lines without terminal
//! punctuation, with fewer than 3 words, with a word over 1000 characters, or mentioning
//! javascript or a cookie/terms policy, strips `[1]`-style citations, and records what it
//! removed in `metadata.c4.removed_lines`; the document filter then removes the page.
//!
//! Reasons: `lorem_ipsum`, `curly_bracket`, `too_few_sentences` (datatrove's codes), checked in
//! datatrove 0.10's `C4QualityFilter` order and with its parameters and defaults (reference:
//! datatrove `filters/c4_filters.py`; Raffel et al. 2020). Deliberate difference: kept lines keep
//! their paragraph breaks unless `flatten_paragraphs = true` (datatrove joins kept lines with one
//! `\n`). As in FineWeb-2, the default recipe applies C4 to English only (`languages`); documents
//! in other languages pass untouched.
//!
//! ```
//! use sapu::filter::c4_quality::C4QualityConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig, StageStats};
//! use sapu::Document;
//! let Ok(Stage::Doc(stage)) = C4QualityConfig::default().build(&BuildContext::default()) else { panic!() };
//! let text = "One sentence here. Two here.\nThree now. Four.\n\nFive is the last one.\nMenu";
//! let out = stage.process(Document::new("a", text), &mut StageStats::default());
//! assert_eq!(out.reason(), None);
//! assert_eq!(out.into_document().text, "One sentence here. Two here.\nThree now. Four.\n\nFive is the last one.");
//! ```

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::languages::{self, LanguagePick};
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, DocStage, Stage, StageConfig, StageKind, StageStats,
};
use crate::text::word_cache::{self, Words};
use crate::text::{self, words};

/// The `c4_quality` recipe table. Defaults are datatrove's (C4's); `-1` disables the numeric
/// checks as in datatrove.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct C4QualityConfig {
    /// `"auto"`: each document's language from `metadata.lang` (else `fallback_language`); or a
    /// fixed ISO 639-3 code. Selects the word and sentence rules.
    pub language: String,
    /// Language assumed when `language = "auto"` and a document has no `metadata.lang`.
    pub fallback_language: String,
    /// Languages C4 applies to; documents in others pass untouched. Empty: every language.
    /// Default `["eng"]`, as FineWeb-2 (C4's rules were written for English).
    pub languages: Vec<String>,
    /// `true`: measure only: write `metadata.quality.*`, change and remove nothing.
    pub annotate_only: bool,
    /// `true`: check lines (C4); `false`: check sentences instead.
    pub split_paragraph: bool,
    /// Remove Wikipedia-style citations `[1]`, `[edit]`, `[citation needed]`.
    pub remove_citations: bool,
    /// Drop lines that do not end in `.` `?` `!` `"` `'` (or end in `...`).
    pub filter_no_terminal_punct: bool,
    /// Fewest sentences in the kept lines (`-1`: off). Default 5.
    pub min_num_sentences: i64,
    /// Fewest whitespace-separated words in a kept line (`-1`: off). Default 3.
    pub min_words_per_line: i64,
    /// Drop lines with a word longer than this, in characters (`-1`: off). Default 1000.
    pub max_word_length: i64,
    /// Remove documents with a kept line containing "lorem ipsum".
    pub filter_lorem_ipsum: bool,
    /// Drop lines containing "javascript".
    pub filter_javascript: bool,
    /// Remove documents with a kept line containing `{`.
    pub filter_curly_bracket: bool,
    /// Drop lines mentioning terms of use, privacy or cookie policies.
    pub filter_policy: bool,
    /// `true`: join kept lines with a single `\n` as C4 and datatrove do (blank lines vanish);
    /// `false`: keep a blank line wherever the original had one between kept lines.
    pub flatten_paragraphs: bool,
    /// Record removed lines in `metadata.c4.removed_lines`.
    pub record_removed_lines: bool,
}

impl Default for C4QualityConfig {
    fn default() -> Self {
        C4QualityConfig {
            language: "auto".into(),
            fallback_language: "eng".into(),
            languages: vec!["eng".into()],
            annotate_only: false,
            split_paragraph: true,
            remove_citations: true,
            filter_no_terminal_punct: true,
            min_num_sentences: 5,
            min_words_per_line: 3,
            max_word_length: 1000,
            filter_lorem_ipsum: true,
            filter_javascript: true,
            filter_curly_bracket: true,
            filter_policy: true,
            flatten_paragraphs: false,
            record_removed_lines: true,
        }
    }
}

/// Why a document was removed; the codes are datatrove's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A line that passed the line checks contains "lorem ipsum".
    LoremIpsum,
    /// A line that passed the line checks (including javascript) contains `{`.
    CurlyBracket,
    /// The kept lines hold fewer than `min_num_sentences` sentences.
    TooFewSentences,
}

impl Reason {
    /// The reason code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::LoremIpsum => "lorem_ipsum",
            Reason::CurlyBracket => "curly_bracket",
            Reason::TooFewSentences => "too_few_sentences",
        }
    }
}

const POLICY_SUBSTRINGS: &[&str] = &[
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

/// Whether `text`, ASCII-lowercased, contains "lorem ipsum", "javascript" or a policy phrase.
/// A line (a piece of the text, lowercased the same way) can only contain a phrase the whole
/// text contains, so most documents skip the per-line searches.
fn mentions_a_phrase(text: &str) -> bool {
    use memchr::memmem::Finder;
    use std::cell::RefCell;
    use std::sync::OnceLock;
    static FINDERS: OnceLock<Vec<Finder<'static>>> = OnceLock::new();
    thread_local! {
        static LOWER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    // Every policy phrase either is one of these or contains "cookie".
    const NEEDLES: [&str; 5] = [
        "lorem ipsum",
        "javascript",
        "terms of use",
        "privacy policy",
        "cookie",
    ];
    debug_assert!(POLICY_SUBSTRINGS
        .iter()
        .all(|p| NEEDLES.iter().any(|n| p.contains(n))));
    let finders =
        FINDERS.get_or_init(|| NEEDLES.iter().map(|p| Finder::new(p.as_bytes())).collect());
    LOWER.with(|cell| {
        let mut fresh = Vec::new();
        let mut guard = cell.try_borrow_mut();
        let lower = match &mut guard {
            Ok(l) => &mut **l,
            Err(_) => &mut fresh,
        };
        lower.clear();
        lower.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
        finders.iter().any(|f| f.find(lower).is_some())
    })
}

/// The built `c4_quality` stage.
pub struct C4Quality {
    pick: LanguagePick,
    languages: Vec<String>,
    c: C4QualityConfig,
}

impl StageConfig for C4QualityConfig {
    const NAME: &'static str = "c4_quality";
    const SUMMARY: &'static str =
        "C4 rules: drop lines without end punctuation, too short, javascript, policy; drop lorem ipsum, {, few sentences";
    const REASONS: &'static [&'static str] = &["lorem_ipsum", "curly_bracket", "too_few_sentences"];
    const KIND: StageKind = StageKind::Document;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let mut problems = languages::check_language_keys(&self.language, &self.fallback_language);
        for (k, v) in [
            ("min_num_sentences", self.min_num_sentences),
            ("min_words_per_line", self.min_words_per_line),
            ("max_word_length", self.max_word_length),
        ] {
            if v < -1 {
                problems.push(ConfigProblem::key(
                    k,
                    format!("`{k}` must be -1 (off) or 0 or more (got {v})"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Stage::Doc(Box::new(C4Quality {
            pick: LanguagePick::new(&self.language, &self.fallback_language),
            languages: self
                .languages
                .iter()
                .map(|l| languages::normalize_language(l))
                .collect(),
            c: self.clone(),
        })))
    }
}

/// What the line remover found.
struct LineReport<'a> {
    /// Kept lines (stripped, citations removed), each with whether a blank line preceded it
    /// since the previous kept line.
    kept: Vec<(Cow<'a, str>, bool)>,
    removed: Vec<&'a str>,
    sentences: i64,
    /// A document-level verdict reached while scanning lines.
    doc_reason: Option<Reason>,
}

/// ASCII whitespace as Python's `str.isspace` has it.
static ASCII_SPACE: [bool; 128] = {
    let mut t = [false; 128];
    let mut b = 0;
    while b < 128 {
        t[b] = matches!(
            b as u8,
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f
        );
        b += 1;
    }
    t
};

/// Python's `len(line.split())`, and whether one of those words is longer than `max_chars`
/// characters (`None`: not checked). One pass over the bytes, decoding only non-ASCII ones; a
/// line no longer than `max_chars` bytes cannot hold a word that long, so it is only counted.
fn split_count(line: &str, max_chars: Option<usize>) -> (i64, bool) {
    if max_chars.is_none_or(|m| line.len() <= m) {
        return (count_words(line), false);
    }
    let long = |w: &str| max_chars.is_some_and(|m| w.len() > m && text::char_len(w) > m);
    let bytes = line.as_bytes();
    let (mut count, mut too_long) = (0i64, false);
    let mut start = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (space, len) = if b < 0x80 {
            (ASCII_SPACE[usize::from(b)], 1)
        } else {
            let ch = line[i..].chars().next().unwrap_or(' ');
            (text::chars::is_space(ch), ch.len_utf8())
        };
        if space {
            if let Some(s) = start.take() {
                count += 1;
                too_long |= long(&line[s..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
        i += len;
    }
    if let Some(s) = start {
        count += 1;
        too_long |= long(&line[s..]);
    }
    (count, too_long)
}

/// Python's `len(line.split())`.
fn count_words(line: &str) -> i64 {
    count_words_up_to(line, i64::MAX)
}

/// Python's `min(len(line.split()), limit)`: the non-space characters that follow a space (or
/// the start), counted without branching on ASCII bytes, stopping at `limit`. Only characters
/// led by 0xC2, 0xE1, 0xE2 or 0xE3 can be non-ASCII whitespace, so only those are decoded;
/// continuation bytes are skipped.
fn count_words_up_to(line: &str, limit: i64) -> i64 {
    let bytes = line.as_bytes();
    let (mut count, mut prev_space) = (0i64, true);
    let mut i = 0;
    // Sixteen ASCII bytes at a time while they last (the byte loop below takes over at the
    // first block with a non-ASCII byte, and for the last bytes): a word starts at each
    // non-space byte that follows a space (or the start).
    #[cfg(target_arch = "x86_64")]
    while let (true, Some(block)) = (limit >= 1, bytes.get(i..i + 16)) {
        // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline).
        let (space, high) = unsafe { ascii_space16(block) };
        if high != 0 {
            break;
        }
        let solid = !space & 0xffff;
        // bit k: byte k - 1 is not a space (bit 0: the byte before the block)
        let after_solid = solid << 1 | u32::from(!prev_space);
        count += i64::from((solid & !after_solid).count_ones());
        if count >= limit {
            return limit;
        }
        prev_space = space >> 15 != 0;
        i += 16;
    }
    while i < bytes.len() {
        let b = bytes[i];
        let space = if b < 0x80 {
            i += 1;
            ASCII_SPACE[usize::from(b)]
        } else if b < 0xc0 {
            i += 1;
            continue;
        } else if matches!(b, 0xc2 | 0xe1 | 0xe2 | 0xe3) {
            let ch = line[i..].chars().next().unwrap_or(' ');
            i += ch.len_utf8();
            text::chars::is_space(ch)
        } else {
            i += 1;
            false
        };
        count += i64::from(prev_space & !space);
        if count >= limit {
            return count;
        }
        prev_space = space;
    }
    count
}

/// Masks of `block`'s sixteen bytes: those [`ASCII_SPACE`] holds for, and those from 0x80 up.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn ascii_space16(block: &[u8]) -> (u32, u32) {
    use std::arch::x86_64::*;
    let v = text::load16(block);
    let space = _mm_or_si128(
        _mm_or_si128(
            text::ascii_range16(v, 0x09, 0x0d),
            text::ascii_range16(v, 0x1c, 0x1f),
        ),
        _mm_cmpeq_epi8(v, _mm_set1_epi8(b' ' as i8)),
    );
    (_mm_movemask_epi8(space) as u32, _mm_movemask_epi8(v) as u32)
}

/// Remove `[digits]`, `[edit]` and `[citation needed]` (datatrove's `CITATION_REGEX`); the line
/// itself when it has none.
fn remove_citations(line: &str) -> Cow<'_, str> {
    if !line.contains('[') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut changed = false;
    while let Some(p) = rest.find('[') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let skip = if after[digits..].starts_with(']') {
            Some(digits + 1)
        } else if after.starts_with("edit]") {
            Some(5)
        } else if after.starts_with("citation needed]") {
            Some(16)
        } else {
            None
        };
        match skip {
            Some(s) => {
                rest = &after[s..];
                changed = true;
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    if !changed {
        return Cow::Borrowed(line);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

impl C4Quality {
    /// Step 1: the line remover.
    fn scan_lines<'a>(&self, text: &'a str, lang: &str) -> LineReport<'a> {
        let rules = languages::word_rules(lang);
        if self.c.split_paragraph && self.c.min_num_sentences != -1 {
            // Sentences are counted on each kept line's words: the document's words within
            // the line, split once and shared with the other filters.
            word_cache::with_words(text, rules, |ws| self.scan_units(text, rules, Some(ws)))
        } else {
            self.scan_units(text, rules, None)
        }
    }

    fn scan_units<'a>(
        &self,
        text: &'a str,
        rules: words::WordRules,
        doc_words: Option<Words<'_>>,
    ) -> LineReport<'a> {
        let c = &self.c;
        let mut rep = LineReport {
            kept: Vec::new(),
            removed: Vec::new(),
            sentences: 0,
            doc_reason: None,
        };
        let units: Vec<&str> = if c.split_paragraph {
            word_cache::with_python_lines(text, |lines| {
                lines.iter().map(|r| &text[r.clone()]).collect()
            })
        } else {
            sentence_pieces(text, rules)
        };
        let phrases = (c.filter_lorem_ipsum || c.filter_javascript || c.filter_policy)
            && mentions_a_phrase(text);
        // A line can only hold a `[` or `{` the text holds: most texts need no line searched.
        let brackets = memchr::memchr(b'[', text.as_bytes()).is_some();
        let curly = c.filter_curly_bracket && memchr::memchr(b'{', text.as_bytes()).is_some();
        let mut lower = String::new();
        let mut blank_before = false;
        for raw in units {
            let line = text::py_strip(raw);
            if line.is_empty() {
                blank_before = true;
                rep.removed.push(raw);
                continue;
            }
            // A line no longer than `max_word_length` bytes holds no word that long.
            let max_chars = usize::try_from(c.max_word_length).ok();
            if max_chars.is_some_and(|m| line.len() > m) && split_count(line, max_chars).1 {
                rep.removed.push(raw);
                continue;
            }
            // Words are counted before citations are removed (datatrove's order); every check
            // below only removes the line, so they are counted only if the line still stands,
            // and only up to the minimum.
            let before_citations = line;
            let line: Cow<'a, str> = if c.remove_citations && brackets {
                remove_citations(line)
            } else {
                Cow::Borrowed(line)
            };
            if c.filter_no_terminal_punct
                && (!line.ends_with(['.', '?', '!', '"', '\'']) || line.ends_with("..."))
            {
                rep.removed.push(raw);
                continue;
            }
            let min = c.min_words_per_line;
            if min > 0 && count_words_up_to(before_citations, min) < min {
                rep.removed.push(raw);
                continue;
            }
            // A line with a citation removed may contain a phrase its text did not.
            let search = phrases || matches!(line, Cow::Owned(_));
            if search {
                lower.clear();
                lower.push_str(&line);
                lower.make_ascii_lowercase();
            }
            if search && c.filter_lorem_ipsum && lower.contains("lorem ipsum") {
                rep.doc_reason = Some(Reason::LoremIpsum);
                return rep;
            }
            if search && c.filter_javascript && lower.contains("javascript") {
                rep.removed.push(raw);
                continue;
            }
            if curly && line.contains('{') {
                rep.doc_reason = Some(Reason::CurlyBracket);
                return rep;
            }
            if search && c.filter_policy && POLICY_SUBSTRINGS.iter().any(|p| lower.contains(p)) {
                rep.removed.push(raw);
                continue;
            }
            // Filtering needs the count only up to the minimum; annotating, all of it.
            if c.min_num_sentences != -1 && (c.annotate_only || rep.sentences < c.min_num_sentences)
            {
                rep.sentences += match (&line, doc_words) {
                    (Cow::Borrowed(l), Some(ws)) => {
                        // Filtering compares the total with the minimum only: counting stops
                        // where the total reaches it.
                        let limit = if c.annotate_only {
                            usize::MAX
                        } else {
                            usize::try_from(c.min_num_sentences - rep.sentences).unwrap_or(0)
                        };
                        let spans = ws.within(text::range_in(text, l)).spans();
                        words::count_sentences_up_to(text, spans, limit) as i64
                    }
                    _ if c.split_paragraph => {
                        let mut ws = Vec::new();
                        words::split_words(&line, rules, &mut ws);
                        words::count_sentences(ws.iter().copied()) as i64
                    }
                    _ => 1,
                };
            }
            rep.kept.push((line, blank_before));
            blank_before = false;
        }
        rep
    }

    /// Step 2: the document filter.
    fn verdict(&self, rep: &LineReport) -> Option<Reason> {
        if rep.doc_reason.is_some() {
            return rep.doc_reason;
        }
        (rep.sentences < self.c.min_num_sentences).then_some(Reason::TooFewSentences)
    }

    fn rebuild(&self, rep: &LineReport) -> String {
        let len = rep.kept.iter().map(|(l, _)| l.len() + 2).sum();
        let mut out = String::with_capacity(len);
        let sep = if self.c.split_paragraph { "\n" } else { " " };
        for (i, (line, blank)) in rep.kept.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
                if *blank && !self.c.flatten_paragraphs && self.c.split_paragraph {
                    out.push('\n');
                }
            }
            out.push_str(line);
        }
        match text::py_strip(&out) {
            t if t.len() == out.len() => out,
            t => t.to_string(),
        }
    }
}

/// The text cut at the ends of spaCy-sentencizer sentences (datatrove's `split_into_sentences`).
fn sentence_pieces(text: &str, rules: words::WordRules) -> Vec<&str> {
    word_cache::with_words(text, rules, |ws| sentence_pieces_of(text, ws))
}

fn sentence_pieces_of<'a>(text: &'a str, ws: Words<'_>) -> Vec<&'a str> {
    let mut ends = Vec::new();
    let mut seen_mark = false;
    let mut last_end = 0;
    for (w, span) in ws.iter().zip(ws.spans()) {
        let start = span.start;
        let is_mark = w.chars().count() == 1 && w.chars().all(crate::text::chars::is_sentence_mark);
        if seen_mark && !is_mark && !w.chars().all(crate::text::chars::is_unicode_punct) {
            ends.push(last_end);
            seen_mark = false;
        } else if is_mark {
            seen_mark = true;
        }
        last_end = start + w.len();
    }
    let mut out = Vec::new();
    let mut prev = 0;
    for e in ends {
        out.push(&text[prev..e]);
        prev = e;
    }
    if !ws.is_empty() {
        out.push(&text[prev..]);
    }
    out
}

impl DocStage for C4Quality {
    fn name(&self) -> &'static str {
        C4QualityConfig::NAME
    }

    fn process(&self, mut doc: Document, stats: &mut StageStats) -> Outcome {
        let lang = self.pick.of(&doc);
        if !self.languages.is_empty() && !self.languages.iter().any(|l| *l == lang) {
            return Outcome::Keep(doc);
        }
        let rep = self.scan_lines(&doc.text, &lang);
        let verdict = self.verdict(&rep);
        if self.c.annotate_only {
            let mut q = Map::new();
            q.insert("c4_sentences".into(), rep.sentences.into());
            q.insert(
                "c4_lorem_ipsum".into(),
                (rep.doc_reason == Some(Reason::LoremIpsum)).into(),
            );
            q.insert(
                "c4_curly_bracket".into(),
                (rep.doc_reason == Some(Reason::CurlyBracket)).into(),
            );
            q.insert(
                "c4_removed_lines".into(),
                rep.removed
                    .iter()
                    .filter(|l| !text::py_strip(l).is_empty())
                    .count()
                    .into(),
            );
            let entry = doc
                .metadata
                .entry("quality")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = entry {
                m.extend(q);
            }
            return Outcome::Keep(doc);
        }
        if let Some(r) = verdict {
            return Outcome::remove(doc, r.code());
        }
        let removed: Vec<Value> = rep
            .removed
            .iter()
            .filter(|l| !text::py_strip(l).is_empty())
            .map(|l| Value::from(*l))
            .collect();
        stats.add("lines_removed", removed.len() as u64);
        let new_text = self.rebuild(&rep);
        if self.c.record_removed_lines && !removed.is_empty() {
            let mut m = Map::new();
            m.insert("removed_lines".into(), Value::Array(removed));
            doc.metadata.insert("c4".into(), Value::Object(m));
        }
        doc.text = new_text;
        Outcome::Keep(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::run_with;
    use crate::test_rng::Lcg;

    fn d() -> C4QualityConfig {
        C4QualityConfig::default()
    }

    #[test]
    fn counts_words_and_long_words_like_python_split() {
        assert_eq!(split_count("a  b\tc\u{a0}d\u{3000}e ", None), (5, false));
        assert_eq!(split_count("", Some(3)), (0, false));
        assert_eq!(split_count("abc ééé", Some(3)), (2, false));
        assert_eq!(split_count("abc éééé", Some(3)), (2, true));
        assert_eq!(split_count("abcd", Some(3)), (1, true));
        assert_eq!(split_count("abcd", None), (1, false));
        // words counted with and without the long-word check, ended by any kind of whitespace
        let line = "abcdefghijklmnop\tq rstuvwxyz0123456789\x1fx abcdefghij\u{a0}k";
        assert_eq!(split_count(line, None), (6, false));
        assert_eq!(split_count("abcdefghijklmnopq", Some(16)), (1, true));
        assert_eq!(split_count("abcdefghijklmnop q", Some(16)), (2, false));
        // the counting-only pass agrees with the checking one on every kind of whitespace
        for line in [
            "a\u{a0}b\u{3000}c\u{2028}d \u{e9}\u{1680}x\u{85}y",
            " \u{2009}caf\u{e9} \u{20ac}5\u{202f}\u{e2}\u{2014}z\x1c ",
            "\u{3001}\u{3000}\u{3002}",
        ] {
            assert_eq!(
                split_count(line, None).0,
                split_count(line, Some(0)).0,
                "{line:?}"
            );
        }
        assert_eq!(
            count_words("a\u{a0}b\u{3000}c\u{2028}d \u{e9}\u{1680}x\u{85}y"),
            7
        );
    }

    /// The sixteen-byte word count agrees with the byte-by-byte one (the checking pass of
    /// `split_count`) on lines of every kind of whitespace, ASCII or not, at every limit.
    #[test]
    fn word_count_by_blocks_matches_the_byte_loop() {
        let pieces = [
            "word",
            " ",
            "  ",
            "\t",
            "\n",
            "\x0b",
            "\x0c",
            "\r",
            "\x1c",
            "\x1f",
            "\x1b",
            "\x08",
            "\x0e",
            "\u{a0}",
            "\u{3000}",
            "\u{e9}t\u{e9}",
            "a",
            "!",
            ".",
            "\u{2028}",
            "\u{85}",
            "0123456789abcdef",
            "\x7f",
        ];
        let mut rng = Lcg::new(7);
        let mut next = |m: usize| rng.below(m);
        for case in 0..3000 {
            let mut line = String::new();
            // ASCII-only lines for most cases (the block path), others mixed
            let kinds = if case % 3 == 0 { pieces.len() } else { 13 };
            while line.len() < 5 + case % 70 {
                line.push_str(pieces[next(kinds)]);
            }
            let plain = split_count(&line, Some(0)).0;
            for limit in [1, 2, 3, 4, 7, 20, i64::MAX] {
                assert_eq!(
                    count_words_up_to(&line, limit),
                    plain.min(limit),
                    "{line:?} limit {limit}"
                );
            }
        }
    }

    /// `n` one-sentence lines.
    fn sentences(n: usize) -> String {
        (0..n)
            .map(|i| format!("This is sentence {i}."))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn too_few_sentences_boundaries() {
        assert_eq!(
            run_with(d(), &sentences(4), None).reason(),
            Some("too_few_sentences")
        );
        assert_eq!(run_with(d(), &sentences(5), None).reason(), None);
        assert_eq!(run_with(d(), &sentences(6), None).reason(), None);
        // sentences are counted inside lines too
        let two_lines = "One is here. Two is here. Three now.\nFour is here! Five is here?";
        assert_eq!(run_with(d(), two_lines, None).reason(), None);
        let off = C4QualityConfig {
            min_num_sentences: -1,
            ..d()
        };
        assert_eq!(
            run_with(off, "Only one sentence here.", None).reason(),
            None
        );
    }

    #[test]
    fn removes_lorem_ipsum_and_curly_bracket_documents() {
        let lorem = format!("{}\nLorem ipsum dolor sit amet.", sentences(5));
        assert_eq!(run_with(d(), &lorem, None).reason(), Some("lorem_ipsum"));
        let curly = format!("{}\nThe set {{a, b}} is small.", sentences(5));
        assert_eq!(run_with(d(), &curly, None).reason(), Some("curly_bracket"));
        // a bracket on a line dropped earlier (javascript, no end punctuation) does not count
        let js = format!(
            "{}\nEnable JavaScript {{now}} please.\nfunction() {{",
            sentences(5)
        );
        assert_eq!(run_with(d(), &js, None).reason(), None);
    }

    #[test]
    fn line_remover_drops_lines_and_records_them() {
        let text = format!(
            "Menu\n{}\nPlease enable javascript to continue.\nRead our privacy policy here.\nToo short.\n\nWikipedia says so[1][edit].\nA {}b word here.",
            sentences(5),
            "x".repeat(1001)
        );
        let Outcome::Keep(doc) = run_with(d(), &text, None) else {
            panic!("removed")
        };
        assert_eq!(doc.text, format!("{}\n\nWikipedia says so.", sentences(5)));
        let removed = &doc.metadata["c4"]["removed_lines"];
        assert_eq!(removed.as_array().map(Vec::len), Some(5));
        assert_eq!(removed[0], "Menu");
    }

    #[test]
    fn flattening_joins_kept_lines_like_datatrove() {
        let text = "One is here. Two is here.\n\nThree is here.\n\n\nFour is here. Five!\n";
        let flat = C4QualityConfig {
            flatten_paragraphs: true,
            ..d()
        };
        assert_eq!(
            run_with(flat, text, None).into_document().text,
            "One is here. Two is here.\nThree is here.\nFour is here. Five!"
        );
        assert_eq!(
            run_with(d(), text, None).into_document().text,
            "One is here. Two is here.\n\nThree is here.\n\nFour is here. Five!"
        );
    }

    #[test]
    fn terminal_punctuation_rules() {
        let text = format!(
            "{}\nIt ends with a quote.\"\nIt trails off...\nNo punctuation at all",
            sentences(5)
        );
        let Outcome::Keep(doc) = run_with(d(), &text, None) else {
            panic!("removed")
        };
        assert_eq!(
            doc.text,
            format!("{}\nIt ends with a quote.\"", sentences(5))
        );
        let off = C4QualityConfig {
            filter_no_terminal_punct: false,
            ..d()
        };
        let kept = run_with(off, &text, None).into_document().text;
        assert!(kept.ends_with("No punctuation at all"), "{kept}");
    }

    #[test]
    fn applies_to_listed_languages_only() {
        let short = "Satu kalimat saja.";
        assert_eq!(
            run_with(d(), short, Some("ind")),
            Outcome::Keep({
                let mut doc = Document::new("t", short);
                doc.metadata.insert("lang".into(), "ind".into());
                doc
            })
        );
        assert_eq!(
            run_with(d(), short, Some("eng")).reason(),
            Some("too_few_sentences")
        );
        assert_eq!(
            run_with(d(), short, None).reason(),
            Some("too_few_sentences")
        );
        let all = C4QualityConfig {
            languages: vec![],
            ..d()
        };
        assert_eq!(
            run_with(all, short, Some("ind")).reason(),
            Some("too_few_sentences")
        );
    }

    #[test]
    fn annotate_only_measures_and_keeps_text() {
        let c = C4QualityConfig {
            annotate_only: true,
            ..d()
        };
        let Outcome::Keep(doc) = run_with(c, "Menu\nOne short sentence.", None) else {
            panic!()
        };
        assert_eq!(doc.text, "Menu\nOne short sentence.");
        assert_eq!(doc.metadata["quality"]["c4_sentences"], 1);
        assert_eq!(doc.metadata["quality"]["c4_removed_lines"], 1);
    }

    #[test]
    fn removes_citations() {
        assert_eq!(
            remove_citations("a[12]b[edit]c[citation needed]d[x]"),
            "abcd[x]"
        );
        assert_eq!(remove_citations("[]end"), "end");
    }

    /// Words are counted before citations are removed, as datatrove does: "Ab [1] cd." has
    /// three words and stays (as "Ab  cd."), "Ab cd." has two and goes.
    #[test]
    fn counts_words_before_removing_citations() {
        let text = format!("{}\nAb [1] cd.\nAb cd.", sentences(5));
        let Outcome::Keep(doc) = run_with(d(), &text, None) else {
            panic!("removed")
        };
        assert_eq!(doc.text, format!("{}\nAb  cd.", sentences(5)));
        assert_eq!(count_words_up_to("a b c d e", 3), 3);
        assert_eq!(count_words_up_to(" a  b ", 3), 2);
    }
}
