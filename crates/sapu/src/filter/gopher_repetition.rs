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
use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::languages::{self, non_negative, setting_key, LanguagePick, PerLanguage, Signals};
use super::table::{ranges_of, ItemTable};
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, DocStage, Stage, StageConfig, StageKind, StageStats,
};
use crate::text;
use crate::text::word_cache::{self, Words};

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
    /// The n of `dup_n_grams`.
    dup_ns: Vec<usize>,
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
        dup_ns: c.dup_n_grams.iter().map(|&(n, _)| n).collect(),
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

/// Per-thread working memory of the checks, reused from one document to the next: once its
/// buffers have grown, a document costs no allocation.
#[derive(Default)]
struct Scratch {
    table: ItemTable,
    /// Byte ranges of the lines or paragraphs being compared.
    items: Vec<(usize, usize)>,
    /// Per word: the index of its first occurrence in the document (words compared exactly),
    /// so two word sequences are equal exactly when their ids are; found through `table`, by
    /// word keys.
    ids: Vec<u32>,
    /// Top n-grams: the n-gram length `level` reached so far (0: none), and per position the
    /// id of its `level`-gram (the position of its first occurrence), valid at the positions
    /// of `cands`.
    level: usize,
    gram: Vec<u32>,
    /// Occurrences of each `level`-gram, at the position of its first occurrence (entries at
    /// other positions are stale, never read).
    counts: Vec<u32>,
    /// Whether `counts` holds the word counts [`index_words`] left (level 1).
    counts_fresh: bool,
    /// The largest (occurrences x (bytes + 1)) of a repeated word: see [`top_ngrams_may_fail`].
    heaviest_word: usize,
    /// Positions whose `level`-gram may occur more than once (all others occur once), ascending.
    cands: Vec<u32>,
    /// The most frequent `level`-gram: (count, first position); count 1 when none repeats.
    best: (u32, u32),
    /// Duplicated n-grams: the words concatenated (then [`WINDOW`] zero bytes, then stale bytes
    /// of earlier documents), and the byte offset in it of each word and of the end.
    cat: Vec<u8>,
    starts: Vec<usize>,
    /// Positions that may start a repeated concatenation (all others start unique ones), with
    /// their shared marks (see [`prepare_concatenations`]); `concat_ready`: these fields
    /// describe the current document.
    concat_cands: Vec<u32>,
    concat_marks: Vec<u64>,
    concat_ready: bool,
    /// [`quick_dup_bounds`]: its bit filter, per word boundary whether the window ending there
    /// was seen before, the positions whose window or short concatenations were (a prefix of
    /// `quick`, whose length is only grown), the indices in `quick` of the positions with short
    /// concatenations (likewise), and the bounds.
    bloom: Vec<u64>,
    ends_seen: Vec<bool>,
    quick: Vec<(u32, u64)>,
    short_at: Vec<u32>,
    quick_bounds: Vec<usize>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Calls `f` with this thread's scratch (a fresh one if it is in use further up the stack).
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

/// Paragraphs as datatrove splits them: `text.strip()` split on runs of two or more `\n`.
fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    // The searcher is built once: building it costs more than searching most documents.
    static BLANK: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\n\n"));
    let t = text::py_strip(text);
    let mut rest = Some(t);
    std::iter::from_fn(move || {
        let r = rest?;
        if let Some(start) = BLANK.find(r.as_bytes()) {
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
        match memchr::memchr(b'\n', r.as_bytes()) {
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

/// Fills the concatenated words, the word ids and the word counts of `s` for the words `ws`
/// (and forgets the n-gram state of the previous document), in one pass over the words.
#[inline(never)]
fn index_words(s: &mut Scratch, ws: Words<'_>) {
    let Scratch {
        table,
        ids,
        counts,
        cat,
        starts,
        level,
        counts_fresh,
        concat_ready,
        heaviest_word,
        ..
    } = s;
    *level = 0;
    *concat_ready = false;
    let text = ws.text().as_bytes();
    let spans = ws.spans();
    let words = spans.len();
    // Room for each word's 16-byte store and the zero window after the last word: the words
    // take at most the text's bytes.
    if cat.len() < text.len() + 2 * WINDOW {
        cat.resize(text.len() + 2 * WINDOW, 0);
    }
    // Only grown: a word's count starts at its first occurrence, where its id is its position.
    if counts.len() < words {
        counts.resize(words, 0);
    }
    // Every entry is written below: only grown entries need a value (no clearing pass).
    starts.resize(words + 1, 0);
    ids.resize(words, 0);
    table.reset(words);
    let mut probe = table.probe();
    let (cat, starts, ids, counts) = (
        &mut cat[..],
        &mut starts[..=words],
        &mut ids[..words],
        &mut counts[..words],
    );
    let (mut at, mut heaviest) = (0, 0);
    for (i, r) in spans.iter().enumerate() {
        let (b, len) = (r.start, r.end - r.start);
        starts[i] = at;
        let (lo, hi) = match text.get(b..b + 16) {
            Some(w) if len <= 16 => {
                // One fixed-size copy; the bytes past the word are overwritten by the next one.
                let w: [u8; 16] = w.try_into().unwrap_or_default();
                debug_assert!(at <= b && at + 16 <= cat.len());
                // SAFETY: at <= b (the words so far take at most the text before this one), so
                // at + 16 <= text.len() < cat.len().
                unsafe { std::ptr::write_unaligned(cat.as_mut_ptr().add(at).cast(), w) };
                (load(&w, 0), load(&w, 8))
            }
            _ => {
                cat[at..at + len].copy_from_slice(&text[b..b + len]);
                (load(cat, at), load(cat, at + 8))
            }
        };
        let (first, seen) = if len <= 7 {
            // The word's bytes moved to the top, its length in the low byte: equal keys, equal
            // words (the empty word, if any, has key 0).
            let key = lo << 8 << (56 - 8 * len) | len as u64;
            probe.find(key, i, |_| true)
        } else {
            // A hash with a zero top byte, confirmed by comparing the words.
            let key = long_word_key(cat, at, len, lo, hi);
            let (cat, starts) = (&*cat, &*starts);
            probe.find(key, i, |p| {
                let q = starts[p];
                starts[p + 1] - q == len && cat[q..q + len] == cat[at..at + len]
            })
        };
        if seen {
            debug_assert!((first as usize) < i);
            // SAFETY: an earlier position, so below `words`, the length of `counts`.
            let c = unsafe { counts.get_unchecked_mut(first as usize) };
            *c += 1;
            heaviest = heaviest.max(*c as usize * (len + 1));
        } else {
            counts[i] = 1;
        }
        ids[i] = first;
        at += len;
    }
    *heaviest_word = heaviest;
    starts[words] = at;
    cat[at..at + WINDOW].fill(0);
    *counts_fresh = true;
}

/// Key of a word of `len` > 7 bytes at `at` in `cat` (`lo`, `hi`: its first 16 bytes): a hash
/// with a zero low byte and bit 8 set (keys of shorter words have their length, 1 to 7, in the
/// low byte, or are 0).
#[inline]
fn long_word_key(cat: &[u8], at: usize, len: usize, lo: u64, hi: u64) -> u64 {
    if len <= 16 {
        let hi = if len == 16 {
            hi
        } else {
            hi & ((1u64 << (8 * (len - 8))) - 1)
        };
        mix(lo, hi, len as u64) & !0xff | 0x100
    } else {
        xxhash_rust::xxh3::xxh3_64(&cat[at..at + len]) & !0xff | 0x100
    }
}

/// Characters of words `i..i + n`.
fn chars_of(ws: Words<'_>, i: usize, n: usize) -> usize {
    (i..i + n).map(|k| text::char_len(ws.get(k))).sum()
}

/// Level 1 of the top n-gram chain: the words themselves.
fn start_chain(s: &mut Scratch) {
    let Scratch {
        ids,
        counts_fresh,
        gram,
        counts,
        cands,
        level,
        best,
        ..
    } = s;
    let words = ids.len();
    let (ids, counts) = (&ids[..], &mut counts[..words]);
    if !*counts_fresh {
        for (i, &id) in ids.iter().enumerate() {
            if id as usize == i {
                counts[i] = 1;
            } else {
                counts[id as usize] += 1;
            }
        }
    }
    *counts_fresh = false;
    gram.clear();
    gram.extend_from_slice(ids);
    // Written in place (no push per candidate), then cut to the candidates found.
    cands.resize(words, 0);
    let out = &mut cands[..words];
    let (mut kept, mut top) = (0, (1, 0));
    for (i, &id) in ids.iter().enumerate() {
        let c = counts[id as usize];
        if c >= 2 {
            out[kept] = i as u32;
            kept += 1;
            if c > top.0 || (c == top.0 && id < top.1) {
                top = (c, id);
            }
        }
    }
    cands.truncate(kept);
    *best = top;
    *level = 1;
}

/// One level up the chain, from (n - 1)-grams to n-grams. An n-gram can repeat only where the
/// (n - 1)-grams at its position and the next one both do; there its id is looked up exactly
/// from the (n - 1)-gram's id and its last word's id. Every other n-gram occurs once.
fn extend_chain(s: &mut Scratch) {
    let Scratch {
        table,
        ids,
        gram,
        counts,
        cands,
        level,
        best,
        ..
    } = s;
    let n = *level + 1;
    table.reset(cands.len());
    let mut probe = table.probe();
    let (ids, gram, counts) = (&ids[..], &mut gram[..], &mut counts[..]);
    let c = &mut cands[..];
    let mut kept = 0;
    for k in 0..c.len() {
        let i = c[k] as usize;
        // The next position's (n - 1)-gram ends at word i + n - 1, so that word exists.
        if c.get(k + 1) != Some(&(i as u32 + 1)) {
            continue;
        }
        // Exact key: the (n - 1)-gram's id and the last word's id.
        let key = u64::from(gram[i]) << 32 | u64::from(ids[i + n - 1]);
        let (first, seen) = probe.find(key, i, |_| true);
        if seen {
            counts[first as usize] += 1;
        } else {
            counts[i] = 1;
        }
        gram[i] = first;
        c[kept] = i as u32;
        kept += 1;
    }
    let mut top = (1, 0);
    let mut repeated = 0;
    for k in 0..kept {
        let i = c[k] as usize;
        let first = gram[i];
        let count = counts[first as usize];
        if count >= 2 {
            c[repeated] = i as u32;
            repeated += 1;
            if count > top.0 || (count == top.0 && first < top.1) {
                top = (count, first);
            }
        }
    }
    cands.truncate(repeated);
    *best = top;
    *level = n;
}

/// Characters covered by the most frequent space-joined n-gram (first seen wins a tie), as
/// datatrove's `find_top_duplicate`: its length times its count. Needs `ids.len() >= n`.
fn top_ngram_chars(s: &mut Scratch, ws: Words<'_>, n: usize) -> usize {
    if s.level == 0 || n < s.level {
        start_chain(s);
    }
    while s.level < n {
        extend_chain(s);
    }
    let (count, first) = s.best;
    (chars_of(ws, first as usize, n) + (n - 1)) * count as usize
}

/// Bytes of the window that stands for a concatenation of at least that many bytes.
const WINDOW: usize = 16;

/// The little-endian `u64` at byte `p` of `b` (which has 8 bytes from `p` on).
#[inline]
fn load(b: &[u8], p: usize) -> u64 {
    u64::from_le_bytes(b[p..p + 8].try_into().unwrap_or_default())
}

/// A key of 16 bytes `a`, `b` and a length tag.
#[inline]
fn mix(a: u64, b: u64, len: u64) -> u64 {
    let h = (a ^ len.rotate_right(8)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ b.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    h ^ (h >> 31)
}

/// Key of the `len < WINDOW` bytes of `cat` from `p`.
#[inline]
fn short_key(cat: &[u8], p: usize, len: usize) -> u64 {
    let (mut a, mut b) = (load(cat, p), load(cat, p + 8));
    if len < 8 {
        a &= (1u64 << (8 * len)) - 1;
        b = 0;
    } else {
        b &= (1u64 << (8 * (len - 8))) - 1;
    }
    mix(a, b, len as u64)
}

/// Prepares the duplicated n-gram checks for n in `ns`: the positions that may start a
/// repeated concatenation.
///
/// Two equal concatenations of n words are equal byte strings of some length L starting at
/// word starts. If L >= [`WINDOW`], the windows of `WINDOW` bytes at the two starts are equal;
/// else the two short concatenations themselves are. So each position looks up the key of its
/// window (when a concatenation from it is that long) and of its short concatenations (with
/// their n) in a table; a key found again marks both positions, and only marked positions may
/// start a repeated concatenation.
fn prepare_concatenations(s: &mut Scratch, ws: Words<'_>, ns: &[usize]) {
    if s.concat_ready {
        return;
    }
    s.concat_ready = true;
    let Scratch {
        table,
        cat,
        starts,
        concat_cands,
        concat_marks,
        ..
    } = s;
    let cat = &cat[..];
    let starts = &starts[..];
    concat_cands.clear();
    concat_marks.clear();
    let words = ws.len();
    let (Some(&min_n), Some(&max_n)) = (ns.iter().min(), ns.iter().max()) else {
        return;
    };
    if words < min_n {
        return;
    }
    let last = words - min_n;
    let total = starts[words];
    // Per position, which of its keys another position shares: bit 63 its window, bit k the
    // short concatenation of `ns[k]` words (k >= 63: bit 62, taken as shared).
    concat_marks.resize(last + 1, 0);
    let marks = &mut concat_marks[..];
    // At most one window and one short key per n per position (few positions are short).
    let short = (0..=last)
        .filter(|&i| starts[i + min_n] - starts[i] < WINDOW)
        .count();
    table.reset(last + 1 + short * ns.len());
    let mut any = false;
    // Positions whose `max_n` words end within the text, then the others (their
    // concatenations end with the text).
    let full = (words + 1).saturating_sub(max_n).min(last + 1);
    for i in 0..=last {
        let b = starts[i];
        let end_max = if i < full { starts[i + max_n] } else { total };
        if end_max - b >= WINDOW {
            let key = mix(load(cat, b), load(cat, b + 8), WINDOW as u64);
            let (slot, seen) = table.slot(key, i, |_| true);
            if seen {
                marks[slot.first as usize] |= 1 << 63;
                marks[i] |= 1 << 63;
                any = true;
            }
        }
        if starts[i + min_n] - b < WINDOW {
            for (k, &n) in ns.iter().enumerate() {
                if i + n > words || starts[i + n] - b >= WINDOW {
                    continue;
                }
                if k >= 63 {
                    marks[i] |= 1 << 62;
                    any = true;
                    continue;
                }
                // The key of the bytes and of `k`: a hit is the same n and the same bytes
                // (but for a hash collision, which only costs a lookup).
                let key = short_key(cat, b, starts[i + n] - b) ^ (k as u64 + 1) << 57;
                let (slot, seen) = table.slot(key, i, |_| true);
                if seen {
                    marks[slot.first as usize] |= 1 << k;
                    marks[i] |= 1 << k;
                    any = true;
                }
            }
        }
    }
    if !any {
        concat_marks.clear();
        return;
    }
    concat_cands.extend((0..=last as u32).filter(|&i| marks[i as usize] != 0));
    // The marks of the candidates, in their order (each at or before its position).
    for (k, &i) in concat_cands.iter().enumerate() {
        concat_marks[k] = concat_marks[i as usize];
    }
    concat_marks.truncate(concat_cands.len());
}

/// Characters in repeated separator-less n-grams for `n = ns[k]`, as datatrove's
/// `find_all_duplicate`: it slides over the words; an n-gram seen before adds its characters
/// and jumps n words (the n-grams jumped over are not remembered), else it is remembered.
/// Only candidates are looked up: every other n-gram occurs once, so remembering it changes
/// nothing.
fn duplicated_ngram_chars(s: &mut Scratch, ws: Words<'_>, ns: &[usize], k: usize) -> usize {
    prepare_concatenations(s, ws, ns);
    let Scratch {
        table,
        cat,
        starts,
        concat_cands,
        concat_marks,
        ..
    } = s;
    let n = ns[k];
    let words = ws.len();
    if concat_cands.is_empty() || words < n {
        return 0;
    }
    table.reset(concat_cands.len());
    let (mut repeated, mut next) = (0usize, 0usize);
    let bit = if k < 63 { 1u64 << k } else { u64::MAX };
    for (&i, &mask) in concat_cands.iter().zip(concat_marks.iter()) {
        let i = i as usize;
        if i + n > words {
            break;
        }
        if i < next {
            continue;
        }
        let (b, e) = (starts[i], starts[i + n]);
        if !may_repeat(mask, e - b, bit) {
            continue;
        }
        let gram = &cat[b..e];
        let same = |p: usize| &cat[starts[p]..starts[p + n]] == gram;
        if table.slot(xxhash_rust::xxh3::xxh3_64(gram), i, same).1 {
            repeated += gram.iter().filter(|&&c| c & 0xc0 != 0x80).count();
            next = i + n;
        }
    }
    repeated
}

/// Whether a candidate with marks `mask` may start a repeated concatenation of `len` bytes
/// (`bit`: the bit of its n for a short one).
#[inline]
fn may_repeat(mask: u64, len: usize, bit: u64) -> bool {
    if len >= WINDOW {
        mask >> 63 != 0
    } else {
        mask & bit != 0
    }
}

/// At least [`duplicated_ngram_chars`] for `n = ns[k]`: the bytes of the words covered by the
/// n-grams that may repeat (a repeated n-gram's characters are among them). Costs a pass over
/// the candidates without any lookup, so a filter can skip the exact count when this bound
/// is under its threshold.
fn duplicated_ngram_bound(s: &mut Scratch, ws: Words<'_>, ns: &[usize], k: usize) -> usize {
    prepare_concatenations(s, ws, ns);
    let n = ns[k];
    let words = ws.len();
    if s.concat_cands.is_empty() || words < n {
        return 0;
    }
    let starts = &s.starts[..];
    let bit = if k < 63 { 1u64 << k } else { u64::MAX };
    // The union of the word ranges [i, i + n) of the candidates, as runs [lo, hi).
    let (mut bytes, mut lo, mut hi) = (0, 0, 0);
    for (&i, &mask) in s.concat_cands.iter().zip(s.concat_marks.iter()) {
        let i = i as usize;
        if i + n > words {
            break;
        }
        if !may_repeat(mask, starts[i + n] - starts[i], bit) {
            continue;
        }
        if i > hi {
            bytes += starts[hi] - starts[lo];
            lo = i;
        }
        hi = i + n;
    }
    bytes + (starts[hi] - starts[lo])
}

/// Per n of `ns` (at most 63 of them), into `s.quick_bounds`: at least
/// [`duplicated_ngram_chars`], from one pass over the word boundaries with a bit filter and no
/// table, for filtering mode to skip the exact counts when no bound crosses its threshold.
///
/// A repeated n-gram of L bytes at position i equals one at an earlier position j. If
/// L >= [`WINDOW`], the window of `WINDOW` bytes starting at i starts at j too, and the window
/// ending at word boundary i + n ends at the earlier boundary j + n; else its short
/// concatenation (with its n) occurs at j. Walking the boundaries in order and asking the
/// filter whether each key was added before (then adding it), the filter says "maybe" for all
/// of these (it never says "no" for a key added before). So the characters counted at i are
/// among the bytes of the n-grams whose keys all got a "maybe": the bound is the bytes of their
/// union.
#[inline(never)]
fn quick_dup_bounds(s: &mut Scratch, ws: Words<'_>, ns: &[usize]) {
    let Scratch {
        cat,
        starts,
        bloom,
        ends_seen,
        quick,
        short_at,
        quick_bounds,
        ..
    } = s;
    quick_bounds.clear();
    quick_bounds.resize(ns.len(), 0);
    let words = ws.len();
    let Some(&min_n) = ns.iter().min() else {
        return;
    };
    if words < min_n {
        return;
    }
    let (cat, starts) = (&cat[..], &starts[..=words]);
    let total = starts[words];
    let last = words - min_n;
    // 32 bits per boundary (about two keys each): a long n-gram needs two "maybe"s.
    let bits = ((words + 1) * 32)
        .next_power_of_two()
        .clamp(1 << 10, 1 << 24);
    let mut filter = BitFilter::new(bloom, bits);
    let mut maybe_seen = |h: u64| filter.seen(h);
    // Not cleared: an entry is read only for an n-gram of at least WINDOW bytes ending there,
    // and every boundary at least WINDOW bytes in is written below.
    ends_seen.resize(words + 1, false);
    let ends = &mut ends_seen[..];
    // Written in place, entries before their reads (no push, so no call in the loop below: its
    // values stay in registers); only grown.
    if quick.len() <= last {
        quick.resize(last + 1, (0, 0));
        short_at.resize(last + 1, 0);
    }
    let (q, sa) = (&mut quick[..=last], &mut short_at[..=last]);
    let (mut kept, mut shorts) = (0, 0);
    debug_assert!(cat.len() >= total + 2 * WINDOW && starts.is_sorted());
    // Positions 0..=last (each with the boundary `min_n` words on), then the other boundaries
    // (only their end windows). An end window at a boundary before `min_n` is never asked for;
    // adding it only adds to the filter's false "maybe"s. The windows go first, the short
    // concatenations after them (in a pass over the positions that have them): their keys are
    // tagged apart, so only each kind's own order counts.
    for (p, ((&b, &b_min), end)) in starts
        .iter()
        .zip(&starts[min_n..])
        .zip(ends.iter_mut())
        .enumerate()
    {
        if b >= WINDOW {
            // SAFETY: b <= total, and `cat` has 2 * WINDOW bytes after the concatenation.
            let (lo, hi) = unsafe { load16_unchecked(cat, b - WINDOW) };
            *end = maybe_seen(window_hash(lo, hi, END_TAG));
        }
        let mut mask = 0u64;
        if total - b >= WINDOW {
            // SAFETY: as above.
            let (lo, hi) = unsafe { load16_unchecked(cat, b) };
            if maybe_seen(window_hash(lo, hi, START_TAG)) {
                mask = 1 << 63;
            }
        }
        let short = b_min - b < WINDOW;
        if mask != 0 || short {
            debug_assert!(kept <= p && shorts <= kept && p <= last);
            // SAFETY: shorts <= kept <= p <= last, and both slices have last + 1 entries.
            unsafe {
                *q.get_unchecked_mut(kept) = (p as u32, mask);
                *sa.get_unchecked_mut(shorts) = kept as u32;
            }
            shorts += usize::from(short);
            kept += 1;
        }
    }
    for (&b, end) in starts.iter().zip(ends.iter_mut()).skip(last + 1) {
        if b >= WINDOW {
            let (lo, hi) = load16(cat, b - WINDOW);
            *end = maybe_seen(window_hash(lo, hi, END_TAG));
        }
    }
    for &j in &sa[..shorts] {
        let (p, mask) = &mut q[j as usize];
        *mask |= short_maybes(cat, starts, *p as usize, ns, &mut maybe_seen);
    }
    // Positions whose short concatenations all got a "no" drop out.
    let mut m = 0;
    for j in 0..kept {
        if q[j].1 != 0 {
            q[m] = q[j];
            m += 1;
        }
    }
    let quick = &q[..m];
    let ends = &ends[..];
    for (k, &n) in ns.iter().enumerate() {
        let (mut bytes, mut lo, mut hi) = (0, 0, 0);
        for &(i, mask) in quick.iter() {
            let i = i as usize;
            if i + n > words {
                break;
            }
            let len = starts[i + n] - starts[i];
            let maybe = if len >= WINDOW {
                mask >> 63 != 0 && ends[i + n]
            } else {
                mask & 1 << k != 0
            };
            if !maybe {
                continue;
            }
            if i > hi {
                bytes += starts[hi] - starts[lo];
                lo = i;
            }
            hi = i + n;
        }
        quick_bounds[k] = bytes + (starts[hi] - starts[lo]);
    }
}

/// A bit filter over the top bits of 64-bit hashes, cleared per document: [`BitFilter::seen`]
/// never says "no" for a hash added before (and sometimes says "yes" for one that was not).
struct BitFilter<'a> {
    words: &'a mut [u64],
    shift: u32,
}

impl<'a> BitFilter<'a> {
    /// `bits` (a power of two, at least 64) cleared bits in `words`.
    fn new(words: &'a mut Vec<u64>, bits: usize) -> Self {
        assert!(bits.is_power_of_two() && bits >= 64);
        words.clear();
        words.resize(bits / 64, 0);
        BitFilter {
            words,
            shift: 64 - bits.trailing_zeros(),
        }
    }

    /// Whether hash `h` was added before (by its bit); then adds it.
    #[inline(always)]
    fn seen(&mut self, h: u64) -> bool {
        let h = (h >> self.shift) as usize;
        // SAFETY: h < 2^(64 - shift) = bits = 64 * words.len().
        let word = unsafe { self.words.get_unchecked_mut(h >> 6) };
        let bit = 1u64 << (h & 63);
        let seen = *word & bit != 0;
        *word |= bit;
        seen
    }
}

/// [`load16`] without the bounds check.
///
/// # Safety
/// `p + 16 <= cat.len()`.
#[inline(always)]
unsafe fn load16_unchecked(cat: &[u8], p: usize) -> (u64, u64) {
    debug_assert!(p + 16 <= cat.len());
    // SAFETY: the caller's promise.
    let w = unsafe { std::ptr::read_unaligned(cat.as_ptr().add(p).cast::<[u8; 16]>()) };
    let (a, b) = w.split_at(8);
    (
        u64::from_le_bytes(a.try_into().unwrap_or_default()),
        u64::from_le_bytes(b.try_into().unwrap_or_default()),
    )
}

/// Tags that keep the start and end windows and the short concatenations apart in the filter.
const START_TAG: u64 = 0x5354_4152_5400_0000;
const END_TAG: u64 = 0x454e_4400_0000_0000;

/// The 16 bytes of `cat` from `p` as two little-endian words.
#[inline(always)]
fn load16(cat: &[u8], p: usize) -> (u64, u64) {
    let w: &[u8; 16] = cat[p..p + 16].try_into().unwrap_or(&[0; 16]);
    let (a, b) = w.split_at(8);
    (
        u64::from_le_bytes(a.try_into().unwrap_or_default()),
        u64::from_le_bytes(b.try_into().unwrap_or_default()),
    )
}

/// A hash of 16 bytes `lo`, `hi` and `tag` for the bit filter (its top bits are used).
#[inline(always)]
fn window_hash(lo: u64, hi: u64, tag: u64) -> u64 {
    let x = (lo ^ tag).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ hi;
    (x ^ (x >> 29)).wrapping_mul(0xd6e8_feb8_6659_fd93)
}

/// [`quick_dup_bounds`] at a position whose `min(ns)` words take fewer than [`WINDOW`] bytes:
/// bit k set when the short concatenation of `ns[k]` words (with its n) may have been seen.
#[inline(never)]
fn short_maybes(
    cat: &[u8],
    starts: &[usize],
    p: usize,
    ns: &[usize],
    maybe_seen: &mut impl FnMut(u64) -> bool,
) -> u64 {
    let words = starts.len() - 1;
    let b = starts[p];
    let (lo, hi) = load16(cat, b);
    let mut mask = 0;
    for (k, &n) in ns.iter().enumerate() {
        if p + n > words || starts[p + n] - b >= WINDOW {
            continue;
        }
        let len = starts[p + n] - b;
        let (lo, hi) = if len < 8 {
            (lo & ((1u64 << (8 * len)) - 1), 0)
        } else {
            (lo, hi & ((1u64 << (8 * (len - 8))) - 1))
        };
        if maybe_seen(window_hash(lo, hi, (len as u64) << 8 | k as u64)) {
            mask |= 1 << k;
        }
    }
    mask
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
        with_scratch(|s| {
            if r.dup_para_frac > 0.0 || r.dup_para_char_frac > 0.0 || sig.annotating() {
                ranges_of(text, paragraphs(text), &mut s.items);
                let (dups, chars) = s.table.count_duplicates(text, &s.items);
                let frac = dups as f64 / s.items.len() as f64;
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
                ranges_of(text, newline_runs(text), &mut s.items);
                let (dups, chars) = s.table.count_duplicates(text, &s.items);
                let frac = dups as f64 / s.items.len() as f64;
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
                ngram_checks(r, ws, lf, sig, s);
            });
        })
    }
}

/// Whether a top n-gram check of `checks` may fail for the words [`index_words`] indexed in
/// `s` (a text of `len` characters).
///
/// The most frequent n-gram, words w1..wn with c occurrences, covers c x (chars(w1) + ... +
/// chars(wn) + n - 1) characters. If c >= 2, each wk occurs at least c times (at the c
/// occurrences of the n-gram, shifted by k), so c x (chars(wk) + 1) is at most the largest
/// (occurrences x (bytes + 1)) of a repeated word, and the n-gram covers at most n times that.
/// If c = 1, it is the first n-gram: its bytes and n - 1 spaces. Under the threshold, the check
/// cannot fail.
fn top_ngrams_may_fail(checks: &[(usize, f64)], s: &Scratch, len: f64) -> bool {
    let words = s.ids.len();
    checks.iter().any(|&(n, frac)| {
        let first = if n <= words {
            s.starts[n] - s.starts[0] + n - 1
        } else {
            0
        };
        let bound = n.saturating_mul(s.heaviest_word).max(first);
        bound as f64 / len > frac
    })
}

/// The n-gram checks, in datatrove's order.
fn ngram_checks(r: &Rules, ws: Words<'_>, lf: f64, sig: &mut Signals, s: &mut Scratch) {
    let round = languages::round6;
    index_words(s, ws);
    // Filtering mode: the chain of top n-grams only when one of them may cross its threshold.
    let top = sig.annotating() || top_ngrams_may_fail(&r.top_n_grams, s, lf);
    for &(n, frac) in &r.top_n_grams {
        if ws.len() < n || !top {
            continue;
        }
        let f = top_ngram_chars(s, ws, n) as f64 / lf;
        if sig.check(Reason::TopNGram(n).code(), round(f), f > frac) {
            return;
        }
    }
    // Filtering mode: bounds first, the exact count only where a bound crosses the threshold.
    let quick = !sig.annotating() && r.dup_ns.len() <= 63;
    if quick {
        quick_dup_bounds(s, ws, &r.dup_ns);
    }
    for (k, &(n, frac)) in r.dup_n_grams.iter().enumerate() {
        if quick
            && (s.quick_bounds[k] as f64 / lf <= frac
                || duplicated_ngram_bound(s, ws, &r.dup_ns, k) as f64 / lf <= frac)
        {
            // Cannot fail (and no value is written): the exact count is not needed.
            continue;
        }
        let f = duplicated_ngram_chars(s, ws, &r.dup_ns, k) as f64 / lf;
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
    use crate::test_rng::Lcg;

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
    fn concatenations_are_compared_exactly() {
        let text = "ab c a bc ab d a bc";
        word_cache::with_words(text, crate::text::words::WordRules::English, |ws| {
            let mut s = Scratch::default();
            index_words(&mut s, ws);
            assert_eq!(s.ids, [0, 1, 2, 3, 0, 5, 2, 3]);
            // "abc" at 0, 2 and 6; "abd" at 4 differs; the jump after the repeat at 2 skips 3
            assert_eq!(duplicated_ngram_chars(&mut s, ws, &[2], 0), 3 + 3);
        });
    }

    /// Random texts from a small vocabulary whose words concatenate into each other ("ab" "c"
    /// and "a" "bc"), long and short words, some passages repeated.
    fn random_texts(seed: u64, cases: usize) -> Vec<Vec<String>> {
        let vocab = [
            "a",
            "b",
            "ab",
            "c",
            "bc",
            "abc",
            ".",
            "x",
            "yy",
            "\u{e9}",
            "longerwordhere",
            "abcdefghijklmnopq",
        ];
        let mut rng = Lcg::new(seed);
        let mut next = |m: usize| rng.below(m);
        (0..cases)
            .map(|case| {
                let len = 3 + next(30 + 12 * case);
                let mut words: Vec<String> = Vec::new();
                while words.len() < len {
                    match next(10) {
                        0 if words.len() > 8 => {
                            let take = 5 + next(3);
                            let from = next(words.len() - take + 1);
                            let copy = words[from..from + take].to_vec();
                            words.extend(copy);
                        }
                        1..=4 => words.push(format!("w{}", next(1000))),
                        _ => words.push(vocab[next(2 + case % (vocab.len() - 1))].to_string()),
                    }
                }
                words
            })
            .collect()
    }

    /// The bounds that let a filter skip the exact count are never below the exact count, and a
    /// filter deciding with it removes exactly the documents the exact values say it should.
    #[test]
    fn duplicated_n_gram_bound_never_changes_a_decision() {
        let ns = [5, 6, 7, 8, 9, 10];
        for words in random_texts(3, 120) {
            let text = words.join(" ");
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            word_cache::with_words(&text, crate::text::words::WordRules::English, |ws| {
                let mut s = Scratch::default();
                index_words(&mut s, ws);
                quick_dup_bounds(&mut s, ws, &ns);
                for k in 0..ns.len() {
                    let bound = duplicated_ngram_bound(&mut s, ws, &ns, k);
                    let exact = duplicated_ngram_chars(&mut s, ws, &ns, k);
                    assert_eq!(exact, find_all_duplicate(&refs, ns[k]), "{text}");
                    assert!(bound >= exact, "{text}: n {}, {bound} < {exact}", ns[k]);
                    let quick = s.quick_bounds[k];
                    assert!(quick >= exact, "{text}: n {}, {quick} < {exact}", ns[k]);
                }
            });
            let len = text.chars().count() as f64;
            for n in ns {
                let exact = find_all_duplicate(&refs, n) as f64 / len;
                let code = format!("duplicated_{n}_n_grams");
                for t in [exact - 1e-9, exact, exact + 1e-9, 0.0, 0.5].map(|t: f64| t.max(0.0)) {
                    let c = only(|c| c.dup_n_grams = vec![(n, t)]);
                    let want = (exact > t).then_some(code.as_str());
                    assert_eq!(reason(c, &text).as_deref(), want, "{text}: n {n}, t {t}");
                }
            }
        }
    }

    #[test]
    fn scratch_is_reused_across_documents_of_any_size() {
        let long = "alpha beta gamma ".repeat(300);
        for text in ["a b c d e a b c d e", long.as_str(), "a b c d e a b c d e"] {
            let c = only(|c| c.dup_n_grams = vec![(5, 0.15)]);
            assert_eq!(
                reason(c, text).as_deref(),
                Some("duplicated_5_n_grams"),
                "{}",
                &text[..20]
            );
        }
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

    /// datatrove's `find_all_duplicate`, written plainly: the reference for the filtered loop.
    fn find_all_duplicate(words: &[&str], n: usize) -> usize {
        let mut seen = std::collections::HashSet::new();
        let (mut repeated, mut i) = (0, 0);
        while i + n <= words.len() {
            let gram = words[i..i + n].concat();
            if seen.contains(&gram) {
                repeated += gram.chars().count();
                i += n;
            } else {
                seen.insert(gram);
                i += 1;
            }
        }
        repeated
    }

    /// The words joined by spaces, run through the filter with `annotate_only`: the annotated
    /// document, the words as `&str` and the text's length in characters (the divisor of
    /// datatrove's fractions).
    fn annotated(words: &[String]) -> (Document, Vec<&str>, f64) {
        let text = words.join(" ");
        let c = GopherRepetitionConfig {
            annotate_only: true,
            ..Default::default()
        };
        let Outcome::Keep(doc) = run_with(c, &text, Some("eng")) else {
            panic!("removed")
        };
        let refs = words.iter().map(String::as_str).collect();
        (doc, refs, text.chars().count() as f64)
    }

    /// datatrove's `find_top_duplicate`, written plainly: characters of the most frequent
    /// space-joined n-gram (first seen wins a tie) times its count.
    fn find_top_duplicate(words: &[&str], n: usize) -> usize {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for i in 0..=words.len() - n {
            let gram = words[i..i + n].join(" ");
            match counts.iter_mut().find(|(g, _)| *g == gram) {
                Some((_, c)) => *c += 1,
                None => counts.push((gram, 1)),
            }
        }
        let best = counts
            .iter()
            .fold(&counts[0], |b, c| if c.1 > b.1 { c } else { b });
        best.0.chars().count() * best.1
    }

    /// The word bound that lets filtering mode skip the top n-gram chain is never below the
    /// exact value (so a check that fails is never skipped), decisions at, just below and just
    /// above the exact value are datatrove's, and the bound does skip the chain for ordinary
    /// text.
    #[test]
    fn top_n_gram_bound_never_changes_a_decision() {
        let mut texts = random_texts(5, 80);
        texts.push(vec!["a".to_string(); 40]);
        texts.push(
            (0..60)
                .map(|i| match i % 3 {
                    0 => "the".to_string(),
                    _ => format!("w{i}"),
                })
                .collect(),
        );
        for words in texts {
            let text = words.join(" ");
            let refs: Vec<&str> = words.iter().map(String::as_str).collect();
            let len = text.chars().count() as f64;
            for n in 2..=4 {
                if refs.len() < n {
                    continue;
                }
                let exact = find_top_duplicate(&refs, n) as f64 / len;
                for t in [exact - 1e-9, exact, exact + 1e-9, 0.0, 0.5].map(|t: f64| t.max(0.0)) {
                    if exact > t {
                        word_cache::with_words(
                            &text,
                            crate::text::words::WordRules::English,
                            |ws| {
                                let mut s = Scratch::default();
                                index_words(&mut s, ws);
                                assert!(top_ngrams_may_fail(&[(n, t)], &s, len), "{text}: n {n}");
                            },
                        );
                    }
                    let c = only(|c| c.top_n_grams = vec![(n, t)]);
                    let want = (exact > t).then(|| format!("top_{n}_gram"));
                    assert_eq!(reason(c, &text), want, "{text}: n {n}, t {t}");
                }
            }
        }
        let unique: Vec<String> = (0..200).map(|k| format!("word{k}")).collect();
        let text = format!("{} {}", unique.join(" "), unique[..20].join(" "));
        word_cache::with_words(&text, crate::text::words::WordRules::English, |ws| {
            let mut s = Scratch::default();
            index_words(&mut s, ws);
            let checks = GopherRepetitionConfig::default().top_n_grams;
            let len = text.chars().count() as f64;
            assert!(!top_ngrams_may_fail(&checks, &s, len));
        });
    }

    /// Top n-gram values equal datatrove's whether no n-gram repeats (the filter's shortcut:
    /// the first n-gram, once), one does, or several tie (the first seen wins).
    #[test]
    fn top_n_grams_match_datatrove_with_and_without_repeats() {
        let unique: Vec<String> = (0..60).map(|k| format!("u{k}\u{e9}")).collect();
        let mut texts: Vec<Vec<String>> = vec![unique.clone()];
        let mut one = unique.clone();
        one.splice(
            30..30,
            ["zz", "yy", "xx", "ww", "zz", "yy", "xx", "ww"].map(String::from),
        );
        texts.push(one);
        let mut tie = unique[..20].to_vec();
        tie.extend(
            [
                "b", "cc", "ddd", "eeee", "b", "cc", "aa", "ddd", "eeee", "aa",
            ]
            .map(String::from),
        );
        texts.push(tie);
        for words in texts {
            let (doc, refs, len) = annotated(&words);
            for n in 2..=4 {
                let want = languages::round6(find_top_duplicate(&refs, n) as f64 / len);
                let got = &doc.metadata["quality"][format!("top_{n}_gram")];
                assert_eq!(got.as_f64(), Some(want), "{}, n {n}", refs.join(" "));
            }
        }
    }

    /// Texts with a few repeated passages among many unique words (so the bit filter lets most
    /// n-grams skip the table) give datatrove's duplicated-n-gram values exactly.
    #[test]
    fn duplicated_n_grams_match_datatrove_when_few_n_grams_repeat() {
        let mut rng = Lcg::new(7);
        for case in 0..40 {
            let mut words: Vec<String> = Vec::new();
            let passage: Vec<String> = (0..12).map(|k| format!("p{case}x{k}")).collect();
            for i in 0..(200 + 37 * case) {
                let state = rng.next_u64();
                match state >> 60 {
                    0 => words.extend(passage.iter().take(5 + i % 7).cloned()),
                    1 => words.push(["ab", "c", "a", "bc"][i % 4].to_string()),
                    _ => words.push(format!("w{}", state >> 40)),
                }
            }
            let (doc, refs, len) = annotated(&words);
            for n in 5..=10 {
                let want = languages::round6(find_all_duplicate(&refs, n) as f64 / len);
                let got = &doc.metadata["quality"][format!("duplicated_{n}_n_grams")];
                assert_eq!(got.as_f64(), Some(want), "case {case}, n {n}");
            }
        }
    }

    /// Texts from a small vocabulary (so many n-grams repeat, concatenations of different
    /// words collide, and many 5-grams are shorter than the window) and one longer than the
    /// smallest filter: top and duplicated n-gram values equal datatrove's.
    #[test]
    fn n_gram_values_match_datatrove_on_repetitive_texts() {
        let vocab = [
            "a",
            "b",
            "ab",
            "ba",
            "c",
            "abc",
            ".",
            ",",
            "x",
            "yy",
            "1",
            "\u{e9}",
            "bc",
            "longerwordhere",
        ];
        let mut rng = Lcg::new(11);
        let mut next = |m: usize| rng.below(m);
        let mut texts: Vec<Vec<String>> = Vec::new();
        for case in 0..60 {
            let len = 5 + next(40 + 10 * case);
            let vocab_size = 2 + case % (vocab.len() - 1);
            texts.push(
                (0..len)
                    .map(|_| vocab[next(vocab_size)].to_string())
                    .collect(),
            );
        }
        texts.push(
            (0..9000)
                .map(|i| match next(4) {
                    0 => vocab[next(vocab.len())].to_string(),
                    _ => format!("w{i}"),
                })
                .collect(),
        );
        for words in texts {
            let (doc, refs, len) = annotated(&words);
            for n in 2..=4 {
                let mut seen: std::collections::HashMap<String, (usize, usize)> =
                    std::collections::HashMap::new();
                for i in 0..=refs.len() - n {
                    seen.entry(refs[i..i + n].join(" ")).or_insert((0, i)).0 += 1;
                }
                let (gram, (count, _)) = seen
                    .iter()
                    .max_by_key(|(_, &(c, first))| (c, std::cmp::Reverse(first)))
                    .expect("n-grams");
                let want = languages::round6((gram.chars().count() * count) as f64 / len);
                let got = &doc.metadata["quality"][format!("top_{n}_gram")];
                assert_eq!(got.as_f64(), Some(want), "{}, n {n}", refs.len());
            }
            for n in 5..=10 {
                let want = languages::round6(find_all_duplicate(&refs, n) as f64 / len);
                let got = &doc.metadata["quality"][format!("duplicated_{n}_n_grams")];
                assert_eq!(got.as_f64(), Some(want), "{}, n {n}", refs.len());
            }
        }
    }
}
