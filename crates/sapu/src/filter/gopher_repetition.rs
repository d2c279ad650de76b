//! `gopher_repetition`: removes documents that repeat themselves (duplicated paragraphs and
//! lines, a dominant 2-4-gram, many duplicated 5-10-grams), with datatrove 0.10's
//! `GopherRepetitionFilter` parameters, defaults, check order and reason codes.
//!
//! Reasons: `dup_para_frac`, `dup_para_char_frac`, `dup_line_frac`, `dup_line_char_frac`,
//! `top_<n>_gram` (n from `top_n_grams`, default 2-4), `duplicated_<n>_n_grams` (n from
//! `dup_n_grams`, default 5-10). Reference: datatrove `filters/gopher_repetition_filter.py`;
//! Rae et al. 2021, table A1. Fractions are over `len(text)` in characters; n-grams are over
//! datatrove's words. FineWeb-2's `ind`/`zsm` settings (paragraph checks off) are built in.
//! In the default recipe `clean` runs first, so a page whose body the scraper repeated is
//! repaired before it gets here (datatrove would drop it).
//!
//! ```
//! use sapu::filter::gopher_repetition::GopherRepetitionConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig, StageStats};
//! use sapu::Document;
//! let Ok(Stage::Doc(stage)) = GopherRepetitionConfig::default().build(&BuildContext::default()) else { panic!() };
//! let text = "Same line here.\nSame line here.\nSame line here.\nAnother one.";
//! let out = stage.process(Document::new("a", text), &mut StageStats::default());
//! assert_eq!(out.reason(), Some("dup_line_frac"));
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::languages::{self, non_negative, setting_key, LanguagePick, PerLanguage, Signals};
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, DocStage, Stage, StageConfig, StageKind, StageStats,
};
use crate::text::word_cache::{self, Words};
use crate::text::{self, words};

/// The `gopher_repetition` recipe table. Defaults are datatrove's (the Gopher paper's table A1);
/// a fraction of `0` disables its check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GopherRepetitionConfig {
    /// `"auto"`: each document's language from `metadata.lang` (else `fallback_language`); or a
    /// fixed ISO 639-3 code.
    pub language: String,
    /// Language assumed when `language = "auto"` and a document has no `metadata.lang`.
    pub fallback_language: String,
    /// `true`: write the measured values to `metadata.quality.<reason>` and remove nothing.
    pub annotate_only: bool,
    /// Largest share of lines (text split on runs of `\n`) that repeat an earlier line. 0.3.
    pub dup_line_frac: f64,
    /// Largest share of paragraphs (split on 2+ `\n`) that repeat an earlier one. 0.3.
    pub dup_para_frac: f64,
    /// Largest share of characters in repeated lines. 0.2.
    pub dup_line_char_frac: f64,
    /// Largest share of characters in repeated paragraphs. 0.2.
    pub dup_para_char_frac: f64,
    /// `[n, fraction]` pairs: largest share of characters covered by the most frequent n-gram.
    pub top_n_grams: Vec<(usize, f64)>,
    /// `[n, fraction]` pairs: largest share of characters in repeated n-grams.
    pub dup_n_grams: Vec<(usize, f64)>,
    /// Per-language overrides of the keys above (default: FineWeb-2's `ind` and `zsm` values).
    pub language_settings: BTreeMap<String, toml::Table>,
}

impl Default for GopherRepetitionConfig {
    fn default() -> Self {
        GopherRepetitionConfig {
            language: "auto".into(),
            fallback_language: "eng".into(),
            annotate_only: false,
            dup_line_frac: 0.3,
            dup_para_frac: 0.3,
            dup_line_char_frac: 0.2,
            dup_para_char_frac: 0.2,
            top_n_grams: vec![(2, 0.2), (3, 0.18), (4, 0.16)],
            dup_n_grams: vec![
                (5, 0.15),
                (6, 0.14),
                (7, 0.13),
                (8, 0.12),
                (9, 0.11),
                (10, 0.10),
            ],
            language_settings: languages::fineweb2_settings("gopher_repetition"),
        }
    }
}

/// Why a document was removed; the codes are datatrove's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Share of repeated paragraphs above `dup_para_frac`.
    DupParaFrac,
    /// Share of characters in repeated paragraphs above `dup_para_char_frac`.
    DupParaCharFrac,
    /// Share of repeated lines above `dup_line_frac`.
    DupLineFrac,
    /// Share of characters in repeated lines above `dup_line_char_frac`.
    DupLineCharFrac,
    /// The most frequent n-gram covers more than its fraction of the characters.
    TopNGram(usize),
    /// Repeated n-grams cover more than their fraction of the characters.
    DuplicatedNGrams(usize),
}

impl Reason {
    /// The reason code.
    pub fn code(self) -> Cow<'static, str> {
        match self {
            Reason::DupParaFrac => "dup_para_frac".into(),
            Reason::DupParaCharFrac => "dup_para_char_frac".into(),
            Reason::DupLineFrac => "dup_line_frac".into(),
            Reason::DupLineCharFrac => "dup_line_char_frac".into(),
            Reason::TopNGram(n) => static_or_owned(n, TOP_CODES, || format!("top_{n}_gram")),
            Reason::DuplicatedNGrams(n) => {
                static_or_owned(n, DUP_CODES, || format!("duplicated_{n}_n_grams"))
            }
        }
    }
}

const TOP_CODES: &[&str] = &[
    "",
    "top_1_gram",
    "top_2_gram",
    "top_3_gram",
    "top_4_gram",
    "top_5_gram",
    "top_6_gram",
    "top_7_gram",
    "top_8_gram",
    "top_9_gram",
    "top_10_gram",
];
const DUP_CODES: &[&str] = &[
    "",
    "duplicated_1_n_grams",
    "duplicated_2_n_grams",
    "duplicated_3_n_grams",
    "duplicated_4_n_grams",
    "duplicated_5_n_grams",
    "duplicated_6_n_grams",
    "duplicated_7_n_grams",
    "duplicated_8_n_grams",
    "duplicated_9_n_grams",
    "duplicated_10_n_grams",
];

fn static_or_owned(
    n: usize,
    table: &[&'static str],
    f: impl FnOnce() -> String,
) -> Cow<'static, str> {
    match table.get(n) {
        Some(s) if n > 0 => Cow::Borrowed(s),
        _ => Cow::Owned(f()),
    }
}

#[derive(Debug, Clone)]
struct Rules {
    dup_line_frac: f64,
    dup_para_frac: f64,
    dup_line_char_frac: f64,
    dup_para_char_frac: f64,
    top_n_grams: Vec<(usize, f64)>,
    dup_n_grams: Vec<(usize, f64)>,
}

/// The built `gopher_repetition` stage.
pub struct GopherRepetition {
    pick: LanguagePick,
    annotate_only: bool,
    rules: PerLanguage<Rules>,
}

fn make_rules(c: &GopherRepetitionConfig, prefix: &str) -> Result<Rules, Vec<ConfigProblem>> {
    let key = |k: &str| setting_key(prefix, k);
    let mut problems = non_negative(
        prefix,
        &[
            ("dup_line_frac", c.dup_line_frac),
            ("dup_para_frac", c.dup_para_frac),
            ("dup_line_char_frac", c.dup_line_char_frac),
            ("dup_para_char_frac", c.dup_para_char_frac),
        ],
    );
    for (k, list) in [
        ("top_n_grams", &c.top_n_grams),
        ("dup_n_grams", &c.dup_n_grams),
    ] {
        for &(n, f) in list.iter() {
            if n == 0 || !(f >= 0.0 && f.is_finite()) {
                problems.push(ConfigProblem::key(
                    &key(k),
                    format!("`{k}` entries must be [n >= 1, fraction >= 0] (got [{n}, {f}])"),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Rules {
        dup_line_frac: c.dup_line_frac,
        dup_para_frac: c.dup_para_frac,
        dup_line_char_frac: c.dup_line_char_frac,
        dup_para_char_frac: c.dup_para_char_frac,
        top_n_grams: c.top_n_grams.clone(),
        dup_n_grams: c.dup_n_grams.clone(),
    })
}

impl StageConfig for GopherRepetitionConfig {
    const NAME: &'static str = "gopher_repetition";
    const SUMMARY: &'static str =
        "Gopher repetition rules (repeated lines, paragraphs and n-grams), as datatrove";
    const REASONS: &'static [&'static str] = &[
        "dup_para_frac",
        "dup_para_char_frac",
        "dup_line_frac",
        "dup_line_char_frac",
        "top_<n>_gram",
        "duplicated_<n>_n_grams",
    ];
    const KIND: StageKind = StageKind::Document;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let mut problems = languages::check_language_keys(&self.language, &self.fallback_language);
        match PerLanguage::build(self, &self.language_settings, make_rules) {
            Ok(rules) if problems.is_empty() => Ok(Stage::Doc(Box::new(GopherRepetition {
                pick: LanguagePick::new(&self.language, &self.fallback_language),
                annotate_only: self.annotate_only,
                rules,
            }))),
            Ok(_) => Err(problems),
            Err(p) => {
                problems.extend(p);
                Err(problems)
            }
        }
    }
}

/// Repeated elements of a list (2nd and later occurrences) and their characters.
fn find_duplicates<'a>(items: impl Iterator<Item = &'a str>, total: &mut usize) -> (usize, usize) {
    let mut seen: HashSet<&str, words::FxBuild> = HashSet::default();
    let (mut dups, mut chars) = (0, 0);
    for it in items {
        *total += 1;
        if !seen.insert(it) {
            dups += 1;
            chars += text::char_len(it);
        }
    }
    (dups, chars)
}

/// Paragraphs as datatrove splits them: `text.strip()` split on runs of two or more `\n`.
fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    let t = text::py_strip(text);
    let mut rest = Some(t);
    std::iter::from_fn(move || {
        let r = rest?;
        if let Some(start) = r.find("\n\n") {
            let end = start + r[start..].bytes().take_while(|&b| b == b'\n').count();
            let para = &r[..start];
            rest = Some(&r[end..]);
            return Some(para);
        }
        rest = None;
        Some(r)
    })
}

/// Lines as datatrove splits them here: the text split on runs of `\n` (regex `\n+`).
fn newline_runs(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.find('\n') {
            Some(p) => {
                let end = p + r[p..].bytes().take_while(|&b| b == b'\n').count();
                rest = Some(&r[end..]);
                Some(&r[..p])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// An open-addressing table of one document's n-gram keys (64-bit hashes, already well mixed),
/// each with a count and the position it was first seen at; its slots are reused from one
/// n-gram size to the next. Cheaper than a general hash map for this one job: no hashing, no
/// growth, one probe sequence per n-gram, and emptying it is one increment (a slot whose
/// generation is not the current one is empty) instead of clearing memory.
#[derive(Default)]
struct NgramTable {
    /// `(key, count, first position)`.
    slots: Vec<(u64, u32, u32)>,
    /// Generation in which each slot was filled.
    gens: Vec<u32>,
    gen: u32,
    mask: usize,
}

impl NgramTable {
    /// Empty the table, sized for `items` keys (load factor at most 1/2).
    fn reset(&mut self, items: usize) {
        let cap = (items * 2).next_power_of_two().max(16);
        if cap > self.slots.len() || self.gen == u32::MAX {
            self.slots = vec![(0, 0, 0); cap];
            self.gens = vec![0; cap];
            self.gen = 0;
        }
        self.gen += 1;
        // Probe over the first `cap` slots only: a smaller mask keeps them dense.
        self.mask = cap - 1;
    }

    /// The slot holding `key` and whether the key was there already; a new key is inserted
    /// with count 0 and first position `pos`.
    fn slot(&mut self, key: u64, pos: usize) -> (&mut (u64, u32, u32), bool) {
        let mut i = key as usize & self.mask;
        loop {
            if self.gens[i] != self.gen {
                self.gens[i] = self.gen;
                self.slots[i] = (key, 0, pos as u32);
                return (&mut self.slots[i], false);
            }
            if self.slots[i].0 == key {
                return (&mut self.slots[i], true);
            }
            i = (i + 1) & self.mask;
        }
    }
}

const MOD: u64 = (1 << 61) - 1;
const BASE: u64 = 0x1f3d_5b79_a2c4_e681 % MOD;

fn mulmod(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    let lo = (p as u64) & MOD;
    let hi = (p >> 61) as u64;
    let s = lo + hi;
    if s >= MOD {
        s - MOD
    } else {
        s
    }
}

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Words with the per-word and prefix hashes the n-gram checks need.
struct WordTable {
    /// Hash of each word (for space-joined n-grams: word sequences).
    word_hash: Vec<u64>,
    /// Character length of each word.
    word_chars: Vec<u32>,
    /// Polynomial hash of the concatenation of words `0..i` (mod 2^61-1), and its byte length,
    /// for the separator-less n-grams of `find_all_duplicate`.
    prefix: Vec<u64>,
    prefix_bytes: Vec<u64>,
    /// Prefix sums of character lengths.
    prefix_chars: Vec<u64>,
    pow_cache: Vec<u64>,
}

impl WordTable {
    fn new(ws: Words<'_>) -> Self {
        let n = ws.len();
        let mut t = WordTable {
            word_hash: Vec::with_capacity(n),
            word_chars: Vec::with_capacity(n),
            prefix: Vec::with_capacity(n + 1),
            prefix_bytes: Vec::with_capacity(n + 1),
            prefix_chars: Vec::with_capacity(n + 1),
            pow_cache: Vec::new(),
        };
        let (mut h, mut bytes, mut chars) = (0u64, 0u64, 0u64);
        t.prefix.push(0);
        t.prefix_bytes.push(0);
        t.prefix_chars.push(0);
        for w in ws.iter() {
            let mut wh = 0u64;
            for &b in w.as_bytes() {
                wh = mulmod(wh, BASE) + u64::from(b) + 1;
                if wh >= MOD {
                    wh -= MOD;
                }
            }
            let len = w.len() as u64;
            h = mulmod(h, t.power(len)) + wh;
            if h >= MOD {
                h -= MOD;
            }
            bytes += len;
            let c = text::char_len(w) as u64;
            chars += c;
            t.word_hash.push(mix(wh ^ (len << 56)));
            t.word_chars.push(c as u32);
            t.prefix.push(h);
            t.prefix_bytes.push(bytes);
            t.prefix_chars.push(chars);
        }
        t
    }

    /// Hash of the concatenation of words `i..j`.
    fn concat_hash(&mut self, i: usize, j: usize) -> u64 {
        let len = self.prefix_bytes[j] - self.prefix_bytes[i];
        let p = self.power(len);
        let mut h = self.prefix[j] + MOD - mulmod(self.prefix[i], p);
        if h >= MOD {
            h -= MOD;
        }
        mix(h ^ (len << 48))
    }

    fn power(&mut self, e: u64) -> u64 {
        if self.pow_cache.is_empty() {
            self.pow_cache.push(1);
        }
        while self.pow_cache.len() as u64 <= e {
            let last = *self.pow_cache.last().unwrap_or(&1);
            self.pow_cache.push(mulmod(last, BASE));
        }
        self.pow_cache[e as usize]
    }
}

/// Keys of the space-joined n-grams at each position, for one n at a time: the key of an n-gram
/// folds its word hashes, so the keys for n + 1 extend those for n in place.
struct SpacedKeys {
    keys: Vec<u64>,
    n: usize,
}

impl SpacedKeys {
    /// Keys for n-grams of `n` words (`n <= words`), position `i` at `keys[i]`.
    fn for_n(&mut self, t: &WordTable, n: usize) -> &[u64] {
        let words = &t.word_hash;
        if n < self.n || self.n == 0 {
            self.keys.clear();
            self.keys.resize(words.len(), 0);
            self.n = 0;
        }
        while self.n < n {
            let m = self.n;
            for (i, k) in self.keys[..words.len() - m].iter_mut().enumerate() {
                *k = mix(*k ^ words[i + m]);
            }
            self.n += 1;
        }
        &self.keys[..words.len() + 1 - n]
    }
}

/// Characters covered by the most frequent space-joined n-gram (first seen wins a tie), as
/// datatrove's `find_top_duplicate`: its length times its count.
fn top_ngram_chars(t: &WordTable, keys: &[u64], n: usize, table: &mut NgramTable) -> usize {
    table.reset(keys.len());
    let mut best = (0u32, u32::MAX);
    for (i, &k) in keys.iter().enumerate() {
        let (slot, _) = table.slot(k, i);
        slot.1 += 1;
        let (c, first) = (slot.1, slot.2);
        if c > best.0 || (c == best.0 && first < best.1) {
            best = (c, first);
        }
    }
    let i = best.1 as usize;
    let len = (t.prefix_chars[i + n] - t.prefix_chars[i]) as usize + (n - 1);
    len * best.0 as usize
}

/// Characters in repeated separator-less n-grams, as datatrove's `find_all_duplicate`.
fn duplicated_ngram_chars(t: &mut WordTable, n: usize, table: &mut NgramTable) -> usize {
    let total = t.word_hash.len();
    table.reset((total + 1).saturating_sub(n));
    let mut repeated = 0usize;
    let mut i = 0;
    while i + n <= total {
        let k = t.concat_hash(i, i + n);
        if table.slot(k, i).1 {
            repeated += (t.prefix_chars[i + n] - t.prefix_chars[i]) as usize;
            i += n;
        } else {
            i += 1;
        }
    }
    repeated
}

impl GopherRepetition {
    fn measure(&self, text: &str, lang: &str, sig: &mut Signals) {
        let r = self.rules.get(lang);
        let len = text::char_len(text);
        if len == 0 {
            // datatrove divides by zero on an empty text; there is nothing to repeat.
            return;
        }
        let lf = len as f64;
        let round = languages::round6;

        if r.dup_para_frac > 0.0 || r.dup_para_char_frac > 0.0 || sig.annotating() {
            let mut n_paras = 0;
            let (dups, chars) = find_duplicates(paragraphs(text), &mut n_paras);
            let frac = dups as f64 / n_paras as f64;
            if sig.check(
                Reason::DupParaFrac.code(),
                round(frac),
                r.dup_para_frac > 0.0 && frac > r.dup_para_frac,
            ) {
                return;
            }
            let cf = chars as f64 / lf;
            if sig.check(
                Reason::DupParaCharFrac.code(),
                round(cf),
                r.dup_para_char_frac > 0.0 && cf > r.dup_para_char_frac,
            ) {
                return;
            }
        }

        if r.dup_line_frac > 0.0 || r.dup_line_char_frac > 0.0 || sig.annotating() {
            let mut n_lines = 0;
            let (dups, chars) = find_duplicates(newline_runs(text), &mut n_lines);
            let frac = dups as f64 / n_lines as f64;
            if sig.check(
                Reason::DupLineFrac.code(),
                round(frac),
                r.dup_line_frac > 0.0 && frac > r.dup_line_frac,
            ) {
                return;
            }
            let cf = chars as f64 / lf;
            if sig.check(
                Reason::DupLineCharFrac.code(),
                round(cf),
                r.dup_line_char_frac > 0.0 && cf > r.dup_line_char_frac,
            ) {
                return;
            }
        }

        if r.top_n_grams.is_empty() && r.dup_n_grams.is_empty() {
            return;
        }
        word_cache::with_words(text, languages::word_rules(lang), |ws| {
            ngram_checks(r, ws, lf, sig);
        });
    }
}

/// The n-gram checks, in datatrove's order.
fn ngram_checks(r: &Rules, ws: Words<'_>, lf: f64, sig: &mut Signals) {
    let round = languages::round6;
    let mut t = WordTable::new(ws);
    let mut table = NgramTable::default();
    let mut keys = SpacedKeys {
        keys: Vec::new(),
        n: 0,
    };
    for &(n, frac) in &r.top_n_grams {
        if ws.len() < n {
            continue;
        }
        let k = keys.for_n(&t, n);
        let f = top_ngram_chars(&t, k, n, &mut table) as f64 / lf;
        if sig.check(Reason::TopNGram(n).code(), round(f), f > frac) {
            return;
        }
    }
    for &(n, frac) in &r.dup_n_grams {
        let f = duplicated_ngram_chars(&mut t, n, &mut table) as f64 / lf;
        if sig.check(Reason::DuplicatedNGrams(n).code(), round(f), f > frac) {
            return;
        }
    }
}

impl DocStage for GopherRepetition {
    fn name(&self) -> &'static str {
        GopherRepetitionConfig::NAME
    }

    fn process(&self, doc: Document, _stats: &mut StageStats) -> Outcome {
        let lang = self.pick.of(&doc);
        let mut sig = Signals::new(self.annotate_only);
        self.measure(&doc.text, &lang, &mut sig);
        sig.into_outcome(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::run_with;

    fn reason(c: GopherRepetitionConfig, text: &str) -> Option<String> {
        run_with(c, text, None).reason().map(str::to_string)
    }

    /// Only the named check on (all others 0 / empty).
    fn only(f: impl FnOnce(&mut GopherRepetitionConfig)) -> GopherRepetitionConfig {
        let mut c = GopherRepetitionConfig {
            dup_line_frac: 0.0,
            dup_para_frac: 0.0,
            dup_line_char_frac: 0.0,
            dup_para_char_frac: 0.0,
            top_n_grams: vec![],
            dup_n_grams: vec![],
            ..Default::default()
        };
        f(&mut c);
        c
    }

    /// `unique` distinct lines then `dups` + 1 copies of "same line".
    fn lines(unique: usize, dups: usize, sep: &str) -> String {
        let mut v: Vec<String> = (0..unique)
            .map(|i| format!("line number {i} here"))
            .collect();
        v.extend((0..=dups).map(|_| "same line".to_string()));
        v.join(sep)
    }

    #[test]
    fn keeps_text_without_repetition() {
        let text: Vec<String> = (0..40).map(|i| format!("word{i}")).collect();
        let text = format!(
            "{}.\n{}.\n\n{}.",
            text[..15].join(" "),
            text[15..30].join(" "),
            text[30..].join(" ")
        );
        assert_eq!(reason(GopherRepetitionConfig::default(), &text), None);
        assert_eq!(reason(GopherRepetitionConfig::default(), ""), None);
    }

    #[test]
    fn dup_line_frac_boundaries() {
        let c = || only(|c| c.dup_line_frac = 0.3);
        // 6 unique + 4 copies = 10 lines, 3 repeats: 0.3 is not above
        assert_eq!(reason(c(), &lines(6, 3, "\n")), None);
        assert_eq!(reason(c(), &lines(7, 3, "\n")), None);
        assert_eq!(
            reason(c(), &lines(5, 3, "\n")).as_deref(),
            Some("dup_line_frac")
        );
        // runs of newlines are one separator
        assert_eq!(
            reason(c(), &lines(5, 3, "\n\n\n")).as_deref(),
            Some("dup_line_frac")
        );
    }

    #[test]
    fn dup_para_frac_boundaries() {
        let c = || only(|c| c.dup_para_frac = 0.3);
        assert_eq!(reason(c(), &lines(6, 3, "\n\n")), None);
        assert_eq!(
            reason(c(), &lines(5, 3, "\n\n")).as_deref(),
            Some("dup_para_frac")
        );
        assert_eq!(reason(c(), &lines(5, 3, "\n")), None);
    }

    #[test]
    fn dup_char_frac_boundaries() {
        // "same line" (9 chars) repeated once; text length 17 + 2 + 9 = "a\n\nsame line\n\nsame line"
        let text = "abcdefgh\n\nsame line\n\nsame line";
        let len = text.chars().count() as f64;
        let at = 9.0 / len;
        let para = |t: f64| only(|c| c.dup_para_char_frac = t);
        assert_eq!(reason(para(at), text), None);
        assert_eq!(reason(para(at + 1e-9), text), None);
        assert_eq!(
            reason(para(at - 1e-9), text).as_deref(),
            Some("dup_para_char_frac")
        );
        let line = |t: f64| only(|c| c.dup_line_char_frac = t);
        assert_eq!(reason(line(at), text), None);
        assert_eq!(
            reason(line(at - 1e-9), text).as_deref(),
            Some("dup_line_char_frac")
        );
    }

    #[test]
    fn top_n_gram_boundaries() {
        // bigrams: "ab cd" x3, "cd ab" x2: 5 chars x 3 over 17 characters
        let text = "ab cd ab cd ab cd";
        let at = 15.0 / 17.0;
        let c = |t: f64| only(|c| c.top_n_grams = vec![(2, t)]);
        assert_eq!(reason(c(at), text), None);
        assert_eq!(reason(c(at + 1e-9), text), None);
        assert_eq!(reason(c(at - 1e-9), text).as_deref(), Some("top_2_gram"));
        let c3 = only(|c| c.top_n_grams = vec![(3, 0.1)]);
        assert_eq!(reason(c3, text).as_deref(), Some("top_3_gram"));
        let c4 = only(|c| c.top_n_grams = vec![(4, 0.1)]);
        assert_eq!(reason(c4, "ab cd").as_deref(), None); // fewer words than n: skipped
    }

    #[test]
    fn top_n_gram_ties_go_to_the_first_seen() {
        // "aaaa b" and "b c" both occur twice; the first seen (6 chars) decides: 12/len
        let text = "aaaa b c aaaa b c";
        let at = 12.0 / 17.0;
        let c = |t: f64| only(|c| c.top_n_grams = vec![(2, t)]);
        assert_eq!(reason(c(at), text), None);
        assert_eq!(reason(c(at - 1e-9), text).as_deref(), Some("top_2_gram"));
    }

    #[test]
    fn duplicated_n_grams_boundaries() {
        // 5-grams joined without spaces: "abcde" seen again at word 5 -> 5 chars over 19
        let text = "a b c d e a b c d e";
        let at = 5.0 / 19.0;
        let c = |n: usize, t: f64| only(|c| c.dup_n_grams = vec![(n, t)]);
        assert_eq!(reason(c(5, at), text), None);
        assert_eq!(reason(c(5, at + 1e-9), text), None);
        assert_eq!(
            reason(c(5, at - 1e-9), text).as_deref(),
            Some("duplicated_5_n_grams")
        );
        let text10 = "a b c d e f g h i j a b c d e f g h i j";
        for n in 6..=10 {
            let code = format!("duplicated_{n}_n_grams");
            assert_eq!(reason(c(n, 0.1), text10).as_deref(), Some(code.as_str()));
        }
        // n-grams are compared as concatenations: "ab c" equals "a bc"
        assert_eq!(
            reason(only(|c| c.dup_n_grams = vec![(2, 0.1)]), "ab c a bc").as_deref(),
            Some("duplicated_2_n_grams")
        );
    }

    #[test]
    fn indonesian_uses_fineweb2_thresholds_without_paragraph_checks() {
        // 11 lines, 3 repeats: 0.273 is above ind's 0.25, not above the default 0.3
        let mut v: Vec<String> = (0..7)
            .map(|i| {
                (0..8)
                    .map(|j| format!("w{i}x{j}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        v.extend((0..4).map(|_| "ok".to_string()));
        let text = v.join("\n");
        let c = GopherRepetitionConfig::default;
        assert_eq!(
            run_with(c(), &text, Some("ind")).reason(),
            Some("dup_line_frac")
        );
        assert_eq!(run_with(c(), &text, Some("eng")).reason(), None);
        let paras = lines(5, 3, "\n\n");
        assert_eq!(
            run_with(c(), &paras, Some("eng")).reason(),
            Some("dup_para_frac")
        );
        // zsm has no paragraph checks (nor dup_line_frac above 0.375): the bigram check decides
        assert_eq!(
            run_with(c(), &paras, Some("zsm")).reason(),
            Some("top_2_gram")
        );
    }

    #[test]
    fn annotate_only_writes_every_signal() {
        let c = GopherRepetitionConfig {
            annotate_only: true,
            ..Default::default()
        };
        let Outcome::Keep(doc) = run_with(c, &lines(1, 3, "\n"), None) else {
            panic!("removed")
        };
        let q = &doc.metadata["quality"];
        assert_eq!(q["dup_line_frac"], 0.6);
        assert_eq!(q["dup_para_frac"], 0.0);
        assert!(q.get("duplicated_10_n_grams").is_some());
        assert_eq!(q.as_object().map(|m| m.len()), Some(13));
    }

    #[test]
    fn rejects_bad_n_grams() {
        let c = GopherRepetitionConfig {
            top_n_grams: vec![(0, 0.1)],
            ..Default::default()
        };
        let Err(p) = c.build(&BuildContext::default()) else {
            panic!("built")
        };
        assert_eq!(p[0].key.as_deref(), Some("top_n_grams"));
    }
}
