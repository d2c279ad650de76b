//! `gopher_quality`: removes documents that do not look like prose by the Gopher paper's rules
//! (word count, mean word length, `#` and ellipsis density, bullet and ellipsis lines, share of
//! words with a letter, stop words), with datatrove 0.10's `GopherQualityFilter` parameters,
//! defaults, check order and reason codes.
//!
//! Reasons: `gopher_short_doc`, `gopher_long_doc`, `gopher_below_avg_threshold`,
//! `gopher_above_avg_threshold`, `gopher_too_many_hashes`, `gopher_too_many_ellipsis`,
//! `gopher_too_many_bullets`, `gopher_too_many_end_ellipsis`, `gopher_below_alpha_threshold`,
//! `gopher_enough_stop_words` (fires when there are too *few* stop words; datatrove's name).
//! Reference: datatrove `filters/gopher_quality_filter.py`; Rae et al. 2021, table A1. Words are
//! datatrove's (spaCy rules, punctuation tokens included; see `text::words`); stop words match
//! case-sensitively. Per-language stop words and thresholds: FineWeb-2's for `ind` and `zsm`.
//!
//! ```
//! use sapu::filter::gopher_quality::GopherQualityConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig, StageStats};
//! use sapu::{Document, Outcome};
//! let Ok(Stage::Doc(stage)) = GopherQualityConfig::default().build(&BuildContext::default()) else { panic!() };
//! let out = stage.process(Document::new("a", "Too short to be a page."), &mut StageStats::default());
//! assert_eq!(out.reason(), Some("gopher_short_doc"));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::languages::{self, non_negative, setting_key, LanguagePick, PerLanguage, Signals};
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, DocStage, Stage, StageConfig, StageKind, StageStats,
};
use crate::text::word_cache::{self, Words};
use crate::text::words::{BYTE_CLASS, DIGIT, LETTER, MULTI};
use crate::text::{self, chars};

/// The `gopher_quality` recipe table. Defaults are datatrove's (from the Gopher paper); `0`
/// disables a check, as `None`/`0` does in datatrove.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GopherQualityConfig {
    /// `"auto"`: each document's language from `metadata.lang` (else `fallback_language`); or a
    /// fixed ISO 639-3 code. Selects the word rules and the `language_settings` entry.
    pub language: String,
    /// Language assumed when `language = "auto"` and a document has no `metadata.lang`.
    pub fallback_language: String,
    /// `true`: write the measured values to `metadata.quality.<reason>` and remove nothing.
    pub annotate_only: bool,
    /// Fewest words (that contain a non-punctuation character). Default 50.
    pub min_doc_words: u64,
    /// Most such words. Default 100000.
    pub max_doc_words: u64,
    /// Smallest mean length of those words, in characters. Default 3.
    pub min_avg_word_length: f64,
    /// Largest mean word length. Default 10.
    pub max_avg_word_length: f64,
    /// Largest share of `#`, and of `...`/`…`, per word (all tokens). Default 0.1.
    pub max_symbol_word_ratio: f64,
    /// Largest share of lines starting with `•` or `-`. Default 0.9.
    pub max_bullet_lines_ratio: f64,
    /// Largest share of lines ending with `...` or `…`. Default 0.3.
    pub max_ellipsis_lines_ratio: f64,
    /// Smallest share of words containing a letter. Default 0.8. datatrove calls it
    /// `max_non_alpha_words_ratio` (accepted as an alias) but uses it as this minimum.
    #[serde(alias = "max_non_alpha_words_ratio")]
    pub min_alpha_words_ratio: f64,
    /// Fewest stop words present. Default 2.
    pub min_stop_words: u64,
    /// Stop words, matched case-sensitively against whole words. Default: the Gopher list.
    pub stop_words: Vec<String>,
    /// `"distinct"`: count distinct stop words present (datatrove since PR #329);
    /// `"occurrences"`: count every occurrence (FineWeb v1).
    pub stop_word_count: String,
    /// Per-language overrides of the keys above (default: FineWeb-2's `ind` and `zsm` values).
    pub language_settings: BTreeMap<String, toml::Table>,
}

impl Default for GopherQualityConfig {
    fn default() -> Self {
        GopherQualityConfig {
            language: "auto".into(),
            fallback_language: "eng".into(),
            annotate_only: false,
            min_doc_words: 50,
            max_doc_words: 100_000,
            min_avg_word_length: 3.0,
            max_avg_word_length: 10.0,
            max_symbol_word_ratio: 0.1,
            max_bullet_lines_ratio: 0.9,
            max_ellipsis_lines_ratio: 0.3,
            min_alpha_words_ratio: 0.8,
            min_stop_words: 2,
            stop_words: ["the", "be", "to", "of", "and", "that", "have", "with"]
                .map(String::from)
                .to_vec(),
            stop_word_count: "distinct".into(),
            language_settings: languages::fineweb2_settings("gopher_quality"),
        }
    }
}

/// Why a document was removed; the codes are datatrove's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Fewer than `min_doc_words` words that contain a non-punctuation character.
    ShortDoc,
    /// More than `max_doc_words` such words.
    LongDoc,
    /// Mean length of those words below `min_avg_word_length`.
    BelowAvg,
    /// Mean length above `max_avg_word_length`.
    AboveAvg,
    /// `#` count per word above `max_symbol_word_ratio`.
    TooManyHashes,
    /// `...` plus `…` count per word above `max_symbol_word_ratio`.
    TooManyEllipsis,
    /// Share of lines starting with a bullet above `max_bullet_lines_ratio`.
    TooManyBullets,
    /// Share of lines ending with an ellipsis above `max_ellipsis_lines_ratio`.
    TooManyEndEllipsis,
    /// Share of words containing a letter below `min_alpha_words_ratio`.
    BelowAlpha,
    /// Fewer than `min_stop_words` stop words (datatrove's name says the opposite).
    TooFewStopWords,
}

impl Reason {
    /// The reason code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::ShortDoc => "gopher_short_doc",
            Reason::LongDoc => "gopher_long_doc",
            Reason::BelowAvg => "gopher_below_avg_threshold",
            Reason::AboveAvg => "gopher_above_avg_threshold",
            Reason::TooManyHashes => "gopher_too_many_hashes",
            Reason::TooManyEllipsis => "gopher_too_many_ellipsis",
            Reason::TooManyBullets => "gopher_too_many_bullets",
            Reason::TooManyEndEllipsis => "gopher_too_many_end_ellipsis",
            Reason::BelowAlpha => "gopher_below_alpha_threshold",
            Reason::TooFewStopWords => "gopher_enough_stop_words",
        }
    }
}

/// Thresholds for one language.
#[derive(Debug, Clone)]
struct Rules {
    min_doc_words: u64,
    max_doc_words: u64,
    min_avg: f64,
    max_avg: f64,
    max_symbol: f64,
    max_bullets: f64,
    max_end_ellipsis: f64,
    min_alpha: f64,
    min_stop_words: u64,
    stop_words: StopWords,
    distinct: bool,
}

/// The built `gopher_quality` stage.
pub struct GopherQuality {
    pick: LanguagePick,
    annotate_only: bool,
    rules: PerLanguage<Rules>,
}

fn make_rules(c: &GopherQualityConfig, prefix: &str) -> Result<Rules, Vec<ConfigProblem>> {
    let key = |k: &str| setting_key(prefix, k);
    let mut problems = non_negative(
        prefix,
        &[
            ("min_avg_word_length", c.min_avg_word_length),
            ("max_avg_word_length", c.max_avg_word_length),
            ("max_symbol_word_ratio", c.max_symbol_word_ratio),
            ("max_bullet_lines_ratio", c.max_bullet_lines_ratio),
            ("max_ellipsis_lines_ratio", c.max_ellipsis_lines_ratio),
            ("min_alpha_words_ratio", c.min_alpha_words_ratio),
        ],
    );
    let distinct = match c.stop_word_count.as_str() {
        "distinct" => true,
        "occurrences" => false,
        other => {
            problems.push(ConfigProblem::key(
                &key("stop_word_count"),
                format!(
                    "`stop_word_count` must be \"distinct\" or \"occurrences\" (got {other:?})"
                ),
            ));
            true
        }
    };
    if c.min_stop_words > 0 && c.stop_words.is_empty() {
        problems.push(ConfigProblem::key(
            &key("stop_words"),
            "`stop_words` is empty but `min_stop_words` is above 0; set `min_stop_words = 0` to disable the check",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut stop_words = c.stop_words.clone();
    stop_words.sort();
    stop_words.dedup();
    Ok(Rules {
        min_doc_words: c.min_doc_words,
        max_doc_words: c.max_doc_words,
        min_avg: c.min_avg_word_length,
        max_avg: c.max_avg_word_length,
        max_symbol: c.max_symbol_word_ratio,
        max_bullets: c.max_bullet_lines_ratio,
        max_end_ellipsis: c.max_ellipsis_lines_ratio,
        min_alpha: c.min_alpha_words_ratio,
        min_stop_words: c.min_stop_words,
        stop_words: StopWords::new(&stop_words),
        distinct,
    })
}

impl StageConfig for GopherQualityConfig {
    const NAME: &'static str = "gopher_quality";
    const SUMMARY: &'static str =
        "Gopher quality rules (word count and length, symbols, bullets, letters, stop words), as datatrove";
    const REASONS: &'static [&'static str] = &[
        "gopher_short_doc",
        "gopher_long_doc",
        "gopher_below_avg_threshold",
        "gopher_above_avg_threshold",
        "gopher_too_many_hashes",
        "gopher_too_many_ellipsis",
        "gopher_too_many_bullets",
        "gopher_too_many_end_ellipsis",
        "gopher_below_alpha_threshold",
        "gopher_enough_stop_words",
    ];
    const KIND: StageKind = StageKind::Document;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let mut problems = languages::check_language_keys(&self.language, &self.fallback_language);
        let rules = PerLanguage::build(self, &self.language_settings, make_rules);
        match rules {
            Ok(rules) if problems.is_empty() => Ok(Stage::Doc(Box::new(GopherQuality {
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

impl GopherQuality {
    /// Run the checks in datatrove's order, recording values in `sig`.
    fn measure(&self, text: &str, lang: &str, sig: &mut Signals) {
        let r = self.rules.get(lang);
        word_cache::with_words(text, languages::word_rules(lang), |ws| {
            measure_words(r, text, ws, sig)
        });
    }
}

fn measure_words(r: &Rules, text: &str, ws: Words<'_>, sig: &mut Signals) {
    let n_words = ws.len();

    // 1. word count, over words with a non-punctuation character; words with a letter
    let WordClasses {
        n_content,
        content_chars,
        n_alpha,
    } = word_classes(ws);
    let short = r.min_doc_words > 0 && n_content < r.min_doc_words;
    if sig.check(Reason::ShortDoc.code(), n_content, short) {
        return;
    }
    let long = r.max_doc_words > 0 && n_content > r.max_doc_words;
    if sig.check(Reason::LongDoc.code(), n_content, long) {
        return;
    }

    // 2. mean word length (NaN without words: neither check fires, as in datatrove)
    let avg = content_chars as f64 / n_content as f64;
    if sig.check(
        Reason::BelowAvg.code(),
        languages::round6(avg),
        r.min_avg > 0.0 && avg < r.min_avg,
    ) {
        return;
    }
    if sig.check(
        Reason::AboveAvg.code(),
        languages::round6(avg),
        r.max_avg > 0.0 && avg > r.max_avg,
    ) {
        return;
    }

    // 3. symbols per word (datatrove divides by zero here on a text without words)
    if n_words > 0 {
        let hashes = memchr::memchr_iter(b'#', text.as_bytes()).count() as f64 / n_words as f64;
        if sig.check(
            Reason::TooManyHashes.code(),
            languages::round6(hashes),
            r.max_symbol > 0.0 && hashes > r.max_symbol,
        ) {
            return;
        }
        use memchr::memmem::Finder;
        use std::sync::LazyLock;
        static DOTS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("..."));
        static ELLIPSIS: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new("…"));
        let ellipsis = (text::count_found(text, &DOTS) + text::count_found(text, &ELLIPSIS)) as f64
            / n_words as f64;
        if sig.check(
            Reason::TooManyEllipsis.code(),
            languages::round6(ellipsis),
            r.max_symbol > 0.0 && ellipsis > r.max_symbol,
        ) {
            return;
        }
    }

    // 4. bullet and ellipsis lines
    let (n_lines, bullets, end_ellipsis) = word_cache::with_python_lines(text, |lines| {
        let (mut bullets, mut end_ellipsis) = (0usize, 0usize);
        for r in lines {
            let line = &text[r.clone()];
            let l = text::py_lstrip(line);
            if l.starts_with('•') || l.starts_with('-') {
                bullets += 1;
            }
            let rr = text::py_rstrip(line);
            if rr.ends_with("...") || rr.ends_with('…') {
                end_ellipsis += 1;
            }
        }
        (lines.len(), bullets, end_ellipsis)
    });
    if n_lines > 0 {
        let b = bullets as f64 / n_lines as f64;
        if sig.check(
            Reason::TooManyBullets.code(),
            languages::round6(b),
            r.max_bullets > 0.0 && b > r.max_bullets,
        ) {
            return;
        }
        let e = end_ellipsis as f64 / n_lines as f64;
        if sig.check(
            Reason::TooManyEndEllipsis.code(),
            languages::round6(e),
            r.max_end_ellipsis > 0.0 && e > r.max_end_ellipsis,
        ) {
            return;
        }
    }

    // 5. words with a letter
    if n_words > 0 {
        let alpha = n_alpha as f64 / n_words as f64;
        if sig.check(
            Reason::BelowAlpha.code(),
            languages::round6(alpha),
            r.min_alpha > 0.0 && alpha < r.min_alpha,
        ) {
            return;
        }
    }

    // 6. stop words (case-sensitive, whole tokens); to decide, counting up to the minimum is
    // enough (nothing at all when the check is off)
    let limit = if sig.annotating() {
        u64::MAX
    } else {
        r.min_stop_words
    };
    let found = r.stop_words.count(ws.iter(), r.distinct, limit);
    sig.check(
        Reason::TooFewStopWords.code(),
        found,
        r.min_stop_words > 0 && found < r.min_stop_words,
    );
}

/// Word counts of step 1 and 5.
#[derive(Debug, PartialEq, Eq)]
struct WordClasses {
    /// Words with a character that is not punctuation.
    n_content: u64,
    /// Characters of those words.
    content_chars: u64,
    /// Words with a letter.
    n_alpha: usize,
}

fn word_classes(ws: Words<'_>) -> WordClasses {
    let mut n_content = 0u64;
    let mut content_chars = 0u64;
    let mut n_alpha = 0usize;
    let (word_text, bytes) = (ws.text(), ws.text().as_bytes());
    // The first non-ASCII byte at or after the current word: words come in text order, so a
    // word ending before it is ASCII, without looking at its bytes.
    let mut multi = text::next_non_ascii(bytes, 0);
    for span in ws.spans() {
        if span.start > multi {
            multi = text::next_non_ascii(bytes, span.start);
        }
        let ascii = span.end <= multi;
        let wb = &bytes[span.clone()];
        if wb.first().is_some_and(u8::is_ascii_alphabetic) {
            // Most words: an ASCII letter first makes the word content and alphabetic
            // whatever follows; only its characters are left to count.
            n_content += 1;
            n_alpha += 1;
            content_chars += if ascii {
                wb.len() as u64
            } else {
                text::char_len(&word_text[span.clone()]) as u64
            };
            continue;
        }
        // One pass over an ASCII word: the classes of its bytes, or'ed (MULTI: not ASCII).
        let seen = if ascii {
            wb.iter()
                .fold(0u8, |acc, &b| acc | BYTE_CLASS[usize::from(b)])
        } else {
            MULTI
        };
        let w = || &word_text[span.clone()];
        let (content, alpha) = if seen & MULTI == 0 {
            (seen & (LETTER | DIGIT) != 0, seen & LETTER != 0)
        } else {
            (
                w().chars().any(|c| !chars::is_datatrove_punct(c)),
                w().chars().any(chars::is_alpha),
            )
        };
        if content {
            n_content += 1;
            content_chars += if seen & MULTI == 0 {
                (span.end - span.start) as u64
            } else {
                text::char_len(w()) as u64
            };
        }
        n_alpha += usize::from(alpha);
    }
    WordClasses {
        n_content,
        content_chars,
        n_alpha,
    }
}

/// A word of at most 8 bytes as one integer (zero-padded), with its length.
#[inline]
fn packed(w: &str) -> Option<(u64, usize)> {
    let b = w.as_bytes();
    let n = b.len();
    // Two overlapping loads (the bytes they share are the same), no copy.
    let le4 = |k: usize| u64::from(u32::from_le_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]));
    let v = match n {
        0 => 0,
        1..=3 => {
            u64::from(b[0])
                | u64::from(b[n / 2]) << (8 * (n / 2))
                | u64::from(b[n - 1]) << (8 * (n - 1))
        }
        4..=8 => le4(0) | le4(n - 4) << (8 * (n - 4)),
        _ => return None,
    };
    Some((v, n))
}

/// Bit of [`StopWords::filter`] for a packed word.
#[inline]
fn filter_bit(p: (u64, usize)) -> u64 {
    1 << ((p.0 ^ p.1 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58)
}

/// Stop words ready to be looked up: those of up to 8 bytes as integers, longer ones as strings.
#[derive(Debug, Clone)]
struct StopWords {
    short: Vec<(u64, usize)>,
    /// One bit per stop word of `short` ([`filter_bit`]): most words are rejected by it.
    filter: u64,
    long: Vec<String>,
    max_len: usize,
}

impl StopWords {
    /// From a list free of duplicates.
    fn new(words: &[String]) -> Self {
        let short: Vec<(u64, usize)> = words.iter().filter_map(|s| packed(s)).collect();
        StopWords {
            filter: short.iter().fold(0, |f, &p| f | filter_bit(p)),
            short,
            long: words.iter().filter(|s| s.len() > 8).cloned().collect(),
            max_len: words.iter().map(String::len).max().unwrap_or(0),
        }
    }

    /// Stop words present among `ws`: distinct ones, or every occurrence; counting stops at
    /// `limit`.
    fn count<'a>(&self, ws: impl Iterator<Item = &'a str>, distinct: bool, limit: u64) -> u64 {
        if limit == 0 {
            return 0;
        }
        let n = self.short.len() + self.long.len();
        let mut small = [false; 64];
        let mut big = Vec::new();
        let seen: &mut [bool] = if n <= small.len() {
            &mut small[..n]
        } else {
            big.resize(n, false);
            &mut big
        };
        let mut count = 0u64;
        for w in ws {
            if w.len() > self.max_len {
                continue;
            }
            let hit = match packed(w) {
                Some(p) if self.filter & filter_bit(p) == 0 => continue,
                Some(p) => self.short.iter().position(|&s| s == p),
                None => self
                    .long
                    .iter()
                    .position(|s| s == w)
                    .map(|i| self.short.len() + i),
            };
            if let Some(i) = hit {
                if !distinct {
                    count += 1;
                } else if !seen[i] {
                    seen[i] = true;
                    count += 1;
                }
                if count >= limit {
                    break;
                }
            }
        }
        count
    }
}

impl DocStage for GopherQuality {
    fn name(&self) -> &'static str {
        GopherQualityConfig::NAME
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

    const WORDS: [&str; 8] = [
        "the", "cats", "and", "dogs", "have", "toys", "with", "bells",
    ];

    #[test]
    fn packed_words_are_the_zero_padded_bytes() {
        let text = "abcdefghi\0é";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let Some(w) = text.get(start..end) else {
                    continue;
                };
                let want = (w.len() <= 8).then(|| {
                    let mut a = [0u8; 8];
                    a[..w.len()].copy_from_slice(w.as_bytes());
                    (u64::from_le_bytes(a), w.len())
                });
                assert_eq!(packed(w), want, "{w:?}");
            }
        }
        let list: Vec<String> = ["the", "a", "and", "eight888", "ninebytes", "é"]
            .map(String::from)
            .into();
        let sw = StopWords::new(&list);
        let ws = "the cat and a dog ate eight888 ninebytes é the and ninebyte th e";
        assert_eq!(sw.count(ws.split(' '), false, u64::MAX), 8);
        assert_eq!(sw.count(ws.split(' '), true, u64::MAX), 6);
        assert_eq!(sw.count(ws.split(' '), true, 2), 2);
    }

    #[test]
    fn word_classes_match_a_character_by_character_count() {
        let texts = [
            "Hello, world! It's 2024-05-01 (café) — naïve façade… “quoted” words",
            "ünïcödé first, then ascii; then 日本語のテキスト and 123 456 ### ... !!",
            "tab\there\x01ctl\x7f URL:https://x.id/a?b=1 \u{a0}nbsp {}[]|~`^_ é é é",
            "rumah-rumah besar, Rp50.000; 10km «guillemets» ¿qué? ¡sí! ½ ² ٣",
            "",
            "é",
            "a",
            ". , ; ...",
        ];
        let long = texts.join(" ").repeat(7);
        for text in texts.iter().copied().chain([long.as_str()]) {
            word_cache::with_words(text, crate::text::words::WordRules::English, |ws| {
                let (mut n_content, mut content_chars, mut n_alpha) = (0u64, 0u64, 0usize);
                for w in ws.iter() {
                    if w.chars().any(|c| !chars::is_datatrove_punct(c)) {
                        n_content += 1;
                        content_chars += w.chars().count() as u64;
                    }
                    n_alpha += usize::from(w.chars().any(chars::is_alpha));
                }
                let want = WordClasses {
                    n_content,
                    content_chars,
                    n_alpha,
                };
                assert_eq!(word_classes(ws), want, "{text:?}");
            });
        }
    }

    /// `n` words cycling through `WORDS` (mean length 3.875 over whole cycles).
    fn prose(n: usize) -> String {
        (0..n).map(|i| WORDS[i % 8]).collect::<Vec<_>>().join(" ")
    }

    fn reason(c: GopherQualityConfig, text: &str) -> Option<String> {
        run_with(c, text, None).reason().map(str::to_string)
    }

    fn d() -> GopherQualityConfig {
        GopherQualityConfig::default()
    }

    #[test]
    fn keeps_plain_prose() {
        let out = run_with(d(), &prose(80), None);
        assert_eq!(out, Outcome::Keep(Document::new("t", prose(80))));
    }

    #[test]
    fn short_doc_at_and_around_min_doc_words() {
        assert_eq!(reason(d(), &prose(49)).as_deref(), Some("gopher_short_doc"));
        assert_eq!(reason(d(), &prose(50)), None);
        assert_eq!(reason(d(), &prose(51)), None);
        // punctuation tokens are not words for this check
        assert_eq!(
            reason(d(), &format!("{} . , !", prose(49))).as_deref(),
            Some("gopher_short_doc")
        );
    }

    #[test]
    fn long_doc_at_and_around_max_doc_words() {
        let c = || GopherQualityConfig {
            max_doc_words: 60,
            ..d()
        };
        assert_eq!(reason(c(), &prose(59)), None);
        assert_eq!(reason(c(), &prose(60)), None);
        assert_eq!(reason(c(), &prose(61)).as_deref(), Some("gopher_long_doc"));
    }

    #[test]
    fn mean_word_length_bounds() {
        let text = prose(56); // mean exactly 3.875
        let min = |v| GopherQualityConfig {
            min_avg_word_length: v,
            ..d()
        };
        assert_eq!(reason(min(3.874), &text), None);
        assert_eq!(reason(min(3.875), &text), None);
        assert_eq!(
            reason(min(3.876), &text).as_deref(),
            Some("gopher_below_avg_threshold")
        );
        let max = |v| GopherQualityConfig {
            max_avg_word_length: v,
            ..d()
        };
        assert_eq!(reason(max(3.876), &text), None);
        assert_eq!(reason(max(3.875), &text), None);
        assert_eq!(
            reason(max(3.874), &text).as_deref(),
            Some("gopher_above_avg_threshold")
        );
    }

    #[test]
    fn hash_ratio_around_max_symbol_word_ratio() {
        // 54 words + k "#" tokens: k / (54 + k)
        let text = |k: usize| format!("{}{}", " #".repeat(k), format_args!(" {}", prose(54)));
        assert_eq!(reason(d(), &text(5)), None);
        assert_eq!(reason(d(), &text(6)), None); // 6/60 = 0.1, not above
        assert_eq!(
            reason(d(), &text(7)).as_deref(),
            Some("gopher_too_many_hashes")
        );
    }

    #[test]
    fn ellipsis_ratio_around_max_symbol_word_ratio() {
        let text = |k: usize| format!("{} {}", " ...".repeat(k), prose(54));
        assert_eq!(reason(d(), &text(5)), None);
        assert_eq!(reason(d(), &text(6)), None);
        assert_eq!(
            reason(d(), &text(7)).as_deref(),
            Some("gopher_too_many_ellipsis")
        );
        let mixed = format!("{} {}", " …".repeat(7), prose(54));
        assert_eq!(
            reason(d(), &mixed).as_deref(),
            Some("gopher_too_many_ellipsis")
        );
    }

    #[test]
    fn bullet_lines_around_max_bullet_lines_ratio() {
        let text = |bullets: usize| {
            (0..10)
                .map(|i| format!("{}{}", if i < bullets { "- " } else { "" }, prose(6)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(reason(d(), &text(8)), None);
        assert_eq!(reason(d(), &text(9)), None); // 0.9, not above
        assert_eq!(
            reason(d(), &text(10)).as_deref(),
            Some("gopher_too_many_bullets")
        );
        let dots = (0..10)
            .map(|_| format!("  • {}", prose(6)))
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            reason(d(), &dots).as_deref(),
            Some("gopher_too_many_bullets")
        );
    }

    #[test]
    fn end_ellipsis_lines_around_max_ellipsis_lines_ratio() {
        let text = |k: usize| {
            (0..10)
                .map(|i| format!("{}{}", prose(6), if i < k { "... " } else { "" }))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(reason(d(), &text(2)), None);
        assert_eq!(reason(d(), &text(3)), None); // 0.3, not above
        assert_eq!(
            reason(d(), &text(4)).as_deref(),
            Some("gopher_too_many_end_ellipsis")
        );
    }

    #[test]
    fn alpha_share_around_min_alpha_words_ratio() {
        let text = |digits: usize| format!("{} {}", prose(44), vec!["2024"; digits].join(" "));
        assert_eq!(reason(d(), &text(10)), None);
        assert_eq!(reason(d(), &text(11)), None); // 44/55 = 0.8, not below
        assert_eq!(
            reason(d(), &text(12)).as_deref(),
            Some("gopher_below_alpha_threshold")
        );
        // datatrove's name for the same key is accepted
        let c: GopherQualityConfig = toml::from_str("max_non_alpha_words_ratio = 0.5").unwrap();
        assert_eq!(c.min_alpha_words_ratio, 0.5);
    }

    #[test]
    fn stop_words_are_distinct_and_case_sensitive() {
        let filler = |first: &str, second: &str| {
            let mut w = vec!["cats dogs toys bells"; 13].join(" ");
            w.push_str(&format!(" {first} {second}"));
            w
        };
        assert_eq!(reason(d(), &filler("the", "and")), None);
        assert_eq!(
            reason(d(), &filler("the", "the")).as_deref(),
            Some("gopher_enough_stop_words")
        );
        assert_eq!(
            reason(d(), &filler("The", "And")).as_deref(),
            Some("gopher_enough_stop_words")
        );
        let occ = || GopherQualityConfig {
            stop_word_count: "occurrences".into(),
            ..d()
        };
        assert_eq!(reason(occ(), &filler("the", "the")), None);
        assert_eq!(
            reason(occ(), &filler("the", "cats")).as_deref(),
            Some("gopher_enough_stop_words")
        );
    }

    #[test]
    fn indonesian_documents_use_fineweb2_stop_words() {
        let text = ["rumah besar dan jalan yang panjang di kota"; 8].join(" ");
        assert_eq!(run_with(d(), &text, Some("ind")).reason(), None);
        assert_eq!(run_with(d(), &text, Some("zsm")).reason(), None);
        assert_eq!(
            run_with(d(), &text, Some("eng")).reason(),
            Some("gopher_enough_stop_words")
        );
        assert_eq!(
            run_with(d(), &text, None).reason(),
            Some("gopher_enough_stop_words")
        );
        let fixed = GopherQualityConfig {
            language: "ind".into(),
            ..d()
        };
        assert_eq!(run_with(fixed, &text, Some("eng")).reason(), None);
        let fallback = GopherQualityConfig {
            fallback_language: "ind".into(),
            ..d()
        };
        assert_eq!(run_with(fallback, &text, None).reason(), None);
    }

    #[test]
    fn annotate_only_writes_signals_and_keeps() {
        let c = GopherQualityConfig {
            annotate_only: true,
            ..d()
        };
        let out = run_with(c, "Too short.", None);
        let Outcome::Keep(doc) = out else {
            panic!("removed")
        };
        let q = &doc.metadata["quality"];
        assert_eq!(q["gopher_short_doc"], 2);
        assert_eq!(q["gopher_enough_stop_words"], 0);
        assert_eq!(q["gopher_below_alpha_threshold"], 0.666667);
        // every distinct stop word counts, not only up to the minimum that decides
        let c = GopherQualityConfig {
            annotate_only: true,
            ..d()
        };
        let out = run_with(c, "the cat and the dog went to sea of", None);
        assert_eq!(
            out.into_document().metadata["quality"]["gopher_enough_stop_words"],
            4
        );
    }

    #[test]
    fn rejects_bad_values_naming_the_key() {
        let c = GopherQualityConfig {
            max_symbol_word_ratio: -1.0,
            stop_word_count: "all".into(),
            ..d()
        };
        let Err(problems) = c.build(&BuildContext::default()) else {
            panic!("built")
        };
        let keys: Vec<_> = problems.iter().filter_map(|p| p.key.as_deref()).collect();
        assert_eq!(keys, ["max_symbol_word_ratio", "stop_word_count"]);
        let mut c = d();
        c.language_settings
            .get_mut("ind")
            .unwrap()
            .insert("min_doc_word".into(), 3.into());
        let Err(problems) = c.build(&BuildContext::default()) else {
            panic!("built")
        };
        assert_eq!(
            problems[0].key.as_deref(),
            Some("language_settings.ind.min_doc_word")
        );
    }
}
