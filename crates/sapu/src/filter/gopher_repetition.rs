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

/// Per-thread working memory of the checks, reused from one document to the next: once its
/// buffers have grown, a document costs no allocation.
#[derive(Default)]
struct Scratch {
    table: ItemTable,
    /// Byte ranges of the lines or paragraphs being compared.
    items: Vec<(usize, usize)>,
    /// Per word: the index of its first occurrence in the document (words compared exactly),
    /// so two word sequences are equal exactly when their ids are.
    ids: Vec<u32>,
    /// Per word boundary `i` (before word `i`, and after the last): `P(i)`, the sum of the
    /// bytes `t` of the concatenated words before it times `BASE^t`; `BASE^-b(i)`; and `b(i)`,
    /// the bytes before it. Filled on first use by [`index_concatenations`] (`at_word` empty:
    /// not yet). The key of a concatenation starting at byte `b` is `(P(end) - P(start)) *
    /// BASE^-b`, the polynomial of its own bytes: equal concatenations have equal keys.
    at_word: Vec<(u64, u64, u64)>,
    /// Keys of the space-joined n-grams at each position for `keys_n` words.
    keys: Vec<u64>,
    keys_n: usize,
    /// Filter over keys: a stamp per 16-bit slot, `stamp` (seen once) or `stamp + 1` (seen
    /// twice or more) in the current use, anything else empty.
    stamps: Option<Box<[u16; 1 << 16]>>,
    stamp: u16,
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
    let t = text::py_strip(text);
    let mut rest = Some(t);
    std::iter::from_fn(move || {
        let r = rest?;
        if let Some(start) = memchr::memmem::find(r.as_bytes(), b"\n\n") {
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

/// Base of the polynomial hash of concatenated words (odd, so powers never vanish mod 2^64).
const BASE: u64 = 0xff51_afd7_ed55_8ccd;

/// Fills the word ids of `s` for the words `ws` (and forgets the concatenation hashes of the
/// previous document).
fn index_words(s: &mut Scratch, ws: Words<'_>) {
    let Scratch {
        table,
        ids,
        at_word,
        keys_n,
        ..
    } = s;
    ids.clear();
    at_word.clear();
    *keys_n = 0;
    table.reset(ws.len());
    for (i, w) in ws.iter().enumerate() {
        // Keys of words up to 7 bytes are the words themselves: equal keys, equal words.
        let same = |p: usize| w.len() <= 7 || same_bytes(ws.get(p), w);
        let (slot, _) = table.slot(word_key(w), i, same);
        ids.push(slot.first);
    }
}

/// A 64-bit key of a word: for 1 to 7 bytes the bytes themselves with the length in the top
/// byte (one key per word), else a hash with a zero top byte (so never a short word's key).
#[inline]
fn word_key(w: &str) -> u64 {
    let b = w.as_bytes();
    if (1..=7).contains(&b.len()) {
        let mut a = [0u8; 8];
        a[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(a) | (b.len() as u64) << 56
    } else {
        xxhash_rust::xxh3::xxh3_64(b) & 0x00ff_ffff_ffff_ffff
    }
}

/// The inverse of [`BASE`] mod 2^64 (Newton's iteration; `BASE` is odd).
const BASE_INV: u64 = {
    let mut x = BASE;
    let mut k = 0;
    while k < 6 {
        x = x.wrapping_mul(2u64.wrapping_sub(BASE.wrapping_mul(x)));
        k += 1;
    }
    x
};

/// `b^e` mod 2^64.
fn pow_of(b: u64, e: usize) -> u64 {
    let (mut r, mut b, mut e) = (1u64, b, e);
    while e > 0 {
        if e & 1 == 1 {
            r = r.wrapping_mul(b);
        }
        b = b.wrapping_mul(b);
        e >>= 1;
    }
    r
}

/// `BASE^e` and `BASE^-e` for word lengths `e < 32`.
static POW_TABLE: std::sync::LazyLock<[(u64, u64); 32]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|e| (pow_of(BASE, e), pow_of(BASE_INV, e))));

/// Fills [`Scratch::at_word`], once per document.
fn index_concatenations(s: &mut Scratch, ws: Words<'_>) {
    let at_word = &mut s.at_word;
    if !at_word.is_empty() {
        return;
    }
    let table = &*POW_TABLE;
    let (mut p, mut up, mut down, mut bytes) = (0u64, 1u64, 1u64, 0u64);
    at_word.push((p, down, bytes));
    for w in ws.iter() {
        // The word's own polynomial, sum of byte k times BASE^k (Horner from the end).
        let mut local = 0u64;
        for &b in w.as_bytes().iter().rev() {
            local = local.wrapping_mul(BASE).wrapping_add(u64::from(b));
        }
        p = p.wrapping_add(local.wrapping_mul(up));
        let (f, g) = match table.get(w.len()) {
            Some(&fg) => fg,
            None => (pow_of(BASE, w.len()), pow_of(BASE_INV, w.len())),
        };
        up = up.wrapping_mul(f);
        down = down.wrapping_mul(g);
        bytes += w.len() as u64;
        at_word.push((p, down, bytes));
    }
}

/// Keys of the concatenations of `n` words at each of `count` positions.
#[inline]
fn concat_keys(
    at_word: &[(u64, u64, u64)],
    n: usize,
    count: usize,
) -> impl Iterator<Item = u64> + '_ {
    at_word[..count]
        .iter()
        .zip(&at_word[n..n + count])
        .map(|(&(ps, inv, bs), &(pe, _, be))| {
            pe.wrapping_sub(ps).wrapping_mul(inv) ^ (be - bs).rotate_right(20)
        })
}

/// Characters of words `i..i + n`.
fn chars_of(ws: Words<'_>, i: usize, n: usize) -> usize {
    (i..i + n).map(|k| text::char_len(ws.get(k))).sum()
}

/// Whether two words are equal (inline for short ones: most words are).
#[inline]
fn same_bytes(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 8 {
        return a == b;
    }
    let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
    x[..a.len()].copy_from_slice(a);
    y[..b.len()].copy_from_slice(b);
    x == y
}

/// Whether words `a..a + n` and `b..b + n` are the same words.
#[inline]
fn same_ids(ids: &[u32], a: usize, b: usize, n: usize) -> bool {
    (0..n).all(|k| ids[a + k] == ids[b + k])
}

/// Fold one word id into an n-gram key.
#[inline]
fn fold(k: u64, id: u32) -> u64 {
    (k.rotate_left(5) ^ u64::from(id)).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// Characters covered by the most frequent space-joined n-gram (first seen wins a tie), as
/// datatrove's `find_top_duplicate`: its length times its count. Needs `ids.len() >= n`.
fn top_ngram_chars(s: &mut Scratch, ws: Words<'_>, n: usize) -> usize {
    let Scratch {
        table,
        ids,
        keys,
        keys_n,
        stamps,
        stamp,
        ..
    } = s;
    let total = ids.len();
    // The keys for n words extend those for fewer in place.
    if n < *keys_n || *keys_n == 0 {
        keys.clear();
        keys.resize(total, 0);
        *keys_n = 0;
    }
    while *keys_n < n {
        let m = *keys_n;
        for (k, &id) in keys[..total - m].iter_mut().zip(&ids[m..]) {
            *k = fold(*k, id);
        }
        *keys_n += 1;
    }
    let count = total + 1 - n;
    let keys = &keys[..count];
    // An n-gram whose filter slot no other n-gram has occurs once: it needs no table work, and
    // when every n-gram occurs once the first one is the answer.
    let mut filter = (count <= FILTER_MAX).then(|| Filter::new(stamps, stamp));
    if let Some(f) = &mut filter {
        if !f.mark(keys.iter().copied()) {
            return chars_of(ws, 0, n) + (n - 1);
        }
    }
    table.reset(count);
    let mut best = (1u32, 0u32);
    for (i, &k) in keys.iter().enumerate() {
        if filter.as_ref().is_some_and(|f| !f.shared(k)) {
            continue;
        }
        let (slot, _) = table.slot(k, i, |p| same_ids(ids, p, i, n));
        slot.count += 1;
        let (c, first) = (slot.count, slot.first);
        if c > best.0 || (c == best.0 && first < best.1) {
            best = (c, first);
        }
    }
    let i = best.1 as usize;
    (chars_of(ws, i, n) + (n - 1)) * best.0 as usize
}

/// Whether the concatenations of words `a..a + n` and `b..b + n` are equal, given their byte
/// lengths are.
fn same_concat(ws: Words<'_>, ids: &[u32], a: usize, b: usize, n: usize) -> bool {
    if same_ids(ids, a, b, n) {
        return true;
    }
    let (mut ia, mut oa, mut ib, mut ob) = (a, 0, b, 0);
    while ia < a + n && ib < b + n {
        let (wa, wb) = (ws.get(ia).as_bytes(), ws.get(ib).as_bytes());
        let k = (wa.len() - oa).min(wb.len() - ob);
        if wa[oa..oa + k] != wb[ob..ob + k] {
            return false;
        }
        oa += k;
        ob += k;
        if oa == wa.len() {
            ia += 1;
            oa = 0;
        }
        if ob == wb.len() {
            ib += 1;
            ob = 0;
        }
    }
    ia == a + n && ib == b + n
}

/// Most keys a [`Filter`] takes (8 slots per key).
const FILTER_MAX: usize = 1 << 13;

/// One use of the scratch's stamp filter: shows which keys certainly occur once.
struct Filter<'a> {
    stamps: &'a mut [u16; 1 << 16],
    once: u16,
}

impl<'a> Filter<'a> {
    /// Starts a new use (no slot set), without clearing memory but every 32,767 uses.
    fn new(stamps: &'a mut Option<Box<[u16; 1 << 16]>>, stamp: &mut u16) -> Filter<'a> {
        let stamps = stamps.get_or_insert_with(|| Box::new([0; 1 << 16]));
        if *stamp >= u16::MAX - 2 {
            stamps.fill(0);
            *stamp = 0;
        }
        *stamp += 2;
        Filter {
            stamps,
            once: *stamp,
        }
    }

    #[inline]
    fn slot(k: u64) -> usize {
        (k.wrapping_mul(0xd6e8_feb8_6659_fd93) >> 48) as usize
    }

    /// Records `keys`; says whether two of them share a slot.
    fn mark(&mut self, keys: impl Iterator<Item = u64>) -> bool {
        let once = self.once;
        let mut any = false;
        for k in keys {
            let v = &mut self.stamps[Self::slot(k)];
            let hit = v.wrapping_sub(once) <= 1;
            *v = once + u16::from(hit);
            any |= hit;
        }
        any
    }

    /// Whether the slot of `k` was taken by two or more keys: `k` may repeat (a key whose slot
    /// was not is certainly unique, as equal keys share their slot).
    #[inline]
    fn shared(&self, k: u64) -> bool {
        self.stamps[Self::slot(k)] == self.once + 1
    }
}

/// Characters in repeated separator-less n-grams, as datatrove's `find_all_duplicate`.
fn duplicated_ngram_chars(s: &mut Scratch, ws: Words<'_>, n: usize) -> usize {
    index_concatenations(s, ws);
    let Scratch {
        table,
        ids,
        at_word,
        stamps,
        stamp,
        ..
    } = s;
    let total = ids.len();
    let count = (total + 1).saturating_sub(n);
    if count == 0 {
        return 0;
    }
    // Most documents repeat no n-gram of 5 or more words, and in the others most n-grams
    // occur once: a filter slot per key shows both. An n-gram that occurs once is never found
    // in the table, and no later n-gram equals it, so it needs no table work: only n-grams
    // whose slot is shared are looked up.
    let mut filter = (count <= FILTER_MAX).then(|| Filter::new(stamps, stamp));
    if let Some(f) = &mut filter {
        if !f.mark(concat_keys(at_word, n, count)) {
            return 0;
        }
    }
    table.reset(count);
    let mut repeated = 0usize;
    let mut i = 0;
    let mut keys = concat_keys(at_word, n, count);
    let mut next = keys.next();
    while let Some(k) = next {
        if filter.as_ref().is_some_and(|f| !f.shared(k)) {
            i += 1;
            next = keys.next();
            continue;
        }
        if table.slot(k, i, |p| same_concat(ws, ids, p, i, n)).1 {
            repeated += chars_of(ws, i, n);
            i += n;
            next = keys.nth(n - 1);
        } else {
            i += 1;
            next = keys.next();
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

/// The n-gram checks, in datatrove's order.
fn ngram_checks(r: &Rules, ws: Words<'_>, lf: f64, sig: &mut Signals, s: &mut Scratch) {
    let round = languages::round6;
    index_words(s, ws);
    for &(n, frac) in &r.top_n_grams {
        if ws.len() < n {
            continue;
        }
        let f = top_ngram_chars(s, ws, n) as f64 / lf;
        if sig.check(Reason::TopNGram(n).code(), round(f), f > frac) {
            return;
        }
    }
    for &(n, frac) in &r.dup_n_grams {
        let f = duplicated_ngram_chars(s, ws, n) as f64 / lf;
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
    fn concatenations_are_compared_exactly() {
        let text = "ab c a bc ab d a bc";
        word_cache::with_words(text, crate::text::words::WordRules::English, |ws| {
            let mut s = Scratch::default();
            index_words(&mut s, ws);
            assert_eq!(s.ids, [0, 1, 2, 3, 0, 5, 2, 3]);
            assert!(same_concat(ws, &s.ids, 0, 2, 2)); // "abc" = "abc"
            assert!(same_concat(ws, &s.ids, 2, 6, 2)); // same words
            assert!(!same_concat(ws, &s.ids, 4, 2, 2)); // "abd" != "abc"
                                                        // keys of equal concatenations are equal, whatever the word boundaries
            let (a, b) = (duplicated_ngram_chars(&mut s, ws, 2), 3 + 3);
            assert_eq!(a, b);
        });
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
        let mut state = 7u64;
        for case in 0..40 {
            let mut words: Vec<String> = Vec::new();
            let passage: Vec<String> = (0..12).map(|k| format!("p{case}x{k}")).collect();
            for i in 0..(200 + 37 * case) {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
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
}
