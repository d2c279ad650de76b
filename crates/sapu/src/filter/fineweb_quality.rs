//! `fineweb_quality`: FineWeb's extra rules, removing pages whose lines rarely end in sentence
//! punctuation, are mostly short, repeat each other, or look like a list (many newlines per
//! word), with datatrove 0.10's `FineWebQualityFilter` parameters, defaults and reason codes.
//!
//! Reasons: `empty`, `line_punct_ratio`, `short_line_ratio`, `char_dup_ratio`, `list_ratio`.
//! Reference: datatrove `filters/fineweb_quality_filter.py` (Penedo et al. 2024). FineWeb-2's
//! `ind`/`zsm` settings are built in. `fineweb_v1 = true` restores the semantics FineWeb v1 was
//! built with (datatrove before PR #285): stop characters `. ' " ! ?` only, non-strict
//! comparisons for the first three checks, whitespace-only lines counted in the first two. (v1
//! counted words with NLTK; we keep spaCy's rules.)
//!
//! ```
//! use sapu::filter::fineweb_quality::FineWebQualityConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig, StageStats};
//! use sapu::Document;
//! let Ok(Stage::Doc(stage)) = FineWebQualityConfig::default().build(&BuildContext::default()) else { panic!() };
//! let out = stage.process(Document::new("a", "Home\nAbout us\nContact"), &mut StageStats::default());
//! assert_eq!(out.reason(), Some("line_punct_ratio"));
//! ```

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::languages::{self, non_negative, setting_key, LanguagePick, PerLanguage, Signals};
use super::table::ItemTable;
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, DocStage, Stage, StageConfig, StageKind, StageStats,
};
use crate::text::{self, chars, word_cache};

/// The `fineweb_quality` recipe table. Defaults are datatrove's current ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FineWebQualityConfig {
    /// `"auto"`: each document's language from `metadata.lang` (else `fallback_language`); or a
    /// fixed ISO 639-3 code.
    pub language: String,
    /// Language assumed when `language = "auto"` and a document has no `metadata.lang`.
    pub fallback_language: String,
    /// `true`: write the measured values to `metadata.quality.<reason>` and remove nothing.
    pub annotate_only: bool,
    /// Smallest share of lines ending in a stop character. Default 0.12.
    pub line_punct_thr: f64,
    /// Do not apply `line_punct_thr` when no line at all ends in a stop character.
    pub line_punct_exclude_zero: bool,
    /// Line endings that count as punctuation. Empty: datatrove's `TERMINAL_PUNCTUATION`
    /// (sentence-final marks of every script; not quotes, not `…`).
    pub stop_chars: Vec<String>,
    /// Largest share of short lines. Default 0.67.
    pub short_line_thr: f64,
    /// A line of at most this many characters is short. Default 30.
    pub short_line_length: u64,
    /// Largest share of characters (newlines excluded) in repeated lines. Default 0.01.
    pub char_duplicates_ratio: f64,
    /// Largest number of newlines per word. Default 0.3.
    pub new_line_ratio: f64,
    /// FineWeb v1 semantics (see the module doc).
    pub fineweb_v1: bool,
    /// Per-language overrides of the keys above (default: FineWeb-2's `ind` and `zsm` values).
    pub language_settings: BTreeMap<String, toml::Table>,
}

impl Default for FineWebQualityConfig {
    fn default() -> Self {
        FineWebQualityConfig {
            language: "auto".into(),
            fallback_language: "eng".into(),
            annotate_only: false,
            line_punct_thr: 0.12,
            line_punct_exclude_zero: false,
            stop_chars: Vec::new(),
            short_line_thr: 0.67,
            short_line_length: 30,
            char_duplicates_ratio: 0.01,
            new_line_ratio: 0.3,
            fineweb_v1: false,
            language_settings: languages::fineweb2_settings("fineweb_quality"),
        }
    }
}

/// Why a document was removed; the codes are datatrove's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No line with a non-whitespace character.
    Empty,
    /// Share of lines ending in a stop character below `line_punct_thr`.
    LinePunctRatio,
    /// Share of lines of at most `short_line_length` characters above `short_line_thr`.
    ShortLineRatio,
    /// Share of characters in repeated lines above `char_duplicates_ratio`.
    CharDupRatio,
    /// Newlines per word above `new_line_ratio`.
    ListRatio,
}

impl Reason {
    /// The reason code.
    pub fn code(self) -> &'static str {
        match self {
            Reason::Empty => "empty",
            Reason::LinePunctRatio => "line_punct_ratio",
            Reason::ShortLineRatio => "short_line_ratio",
            Reason::CharDupRatio => "char_dup_ratio",
            Reason::ListRatio => "list_ratio",
        }
    }
}

#[derive(Debug, Clone)]
struct Rules {
    line_punct_thr: f64,
    exclude_zero: bool,
    /// Custom stop strings; `None`: datatrove's terminal punctuation set.
    stop_chars: Option<Vec<String>>,
    short_line_thr: f64,
    short_line_length: usize,
    char_dup: f64,
    new_line_ratio: f64,
    v1: bool,
}

/// The built `fineweb_quality` stage.
pub struct FineWebQuality {
    pick: LanguagePick,
    annotate_only: bool,
    rules: PerLanguage<Rules>,
}

const V1_STOP_CHARS: &[&str] = &[".", "'", "\"", "!", "?"];

fn make_rules(c: &FineWebQualityConfig, prefix: &str) -> Result<Rules, Vec<ConfigProblem>> {
    let key = |k: &str| setting_key(prefix, k);
    let mut problems = non_negative(
        prefix,
        &[
            ("line_punct_thr", c.line_punct_thr),
            ("short_line_thr", c.short_line_thr),
            ("char_duplicates_ratio", c.char_duplicates_ratio),
            ("new_line_ratio", c.new_line_ratio),
        ],
    );
    if c.stop_chars.iter().any(String::is_empty) {
        problems.push(ConfigProblem::key(
            &key("stop_chars"),
            "`stop_chars` entries must not be empty",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let stop_chars = if !c.stop_chars.is_empty() {
        Some(c.stop_chars.clone())
    } else if c.fineweb_v1 {
        Some(V1_STOP_CHARS.iter().map(|s| s.to_string()).collect())
    } else {
        None
    };
    Ok(Rules {
        line_punct_thr: c.line_punct_thr,
        exclude_zero: c.line_punct_exclude_zero,
        stop_chars,
        short_line_thr: c.short_line_thr,
        short_line_length: c.short_line_length as usize,
        char_dup: c.char_duplicates_ratio,
        new_line_ratio: c.new_line_ratio,
        v1: c.fineweb_v1,
    })
}

impl StageConfig for FineWebQualityConfig {
    const NAME: &'static str = "fineweb_quality";
    const SUMMARY: &'static str =
        "FineWeb rules (line punctuation, short lines, repeated lines, list-like pages), as datatrove";
    const REASONS: &'static [&'static str] = &[
        "empty",
        "line_punct_ratio",
        "short_line_ratio",
        "char_dup_ratio",
        "list_ratio",
    ];
    const KIND: StageKind = StageKind::Document;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let mut problems = languages::check_language_keys(&self.language, &self.fallback_language);
        match PerLanguage::build(self, &self.language_settings, make_rules) {
            Ok(rules) if problems.is_empty() => Ok(Stage::Doc(Box::new(FineWebQuality {
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

impl Rules {
    fn ends_with_stop(&self, line: &str) -> bool {
        match &self.stop_chars {
            Some(list) => list.iter().any(|s| line.ends_with(s.as_str())),
            None => line
                .chars()
                .next_back()
                .is_some_and(chars::is_terminal_punct),
        }
    }
}

impl FineWebQuality {
    fn measure(&self, text: &str, lang: &str, sig: &mut Signals) {
        with_scratch(|table, items| self.measure_with(text, lang, sig, table, items))
    }

    /// [`FineWebQuality::measure`] with this thread's table and line buffer.
    fn measure_with(
        &self,
        text: &str,
        lang: &str,
        sig: &mut Signals,
        table: &mut ItemTable,
        items: &mut Vec<(usize, usize)>,
    ) {
        let r = self.rules.get(lang);
        let round = languages::round6;
        // One pass over the lines (`text.split('\n')`): counts over all lines and over the
        // non-blank ones (FineWeb v1 counted whitespace-only lines in the first two ratios);
        // the byte ranges of the non-blank ones, for the duplicated-lines check.
        let (mut n_all, mut n_lines) = (0usize, 0usize);
        let (mut punct_all, mut punct_lines) = (0usize, 0usize);
        let (mut short_all, mut short_lines) = (0usize, 0usize);
        items.clear();
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]) {
            let l = &text[start..end];
            let at = start;
            start = end + 1;
            let stop = usize::from(r.ends_with_stop(l));
            // A line has between len / 4 and len characters: most need no counting.
            let max = r.short_line_length;
            let short = usize::from(
                l.len() <= max || (l.len() <= max.saturating_mul(4) && text::char_len(l) <= max),
            );
            n_all += 1;
            punct_all += stop;
            short_all += short;
            if !text::py_strip(l).is_empty() {
                items.push((at, end));
                n_lines += 1;
                punct_lines += stop;
                short_lines += short;
            }
        }
        if sig.check(Reason::Empty.code(), n_lines as u64, n_lines == 0) || n_lines == 0 {
            return;
        }
        let (counted, punct, short) = if r.v1 {
            (n_all, punct_all, short_all)
        } else {
            (n_lines, punct_lines, short_lines)
        };

        let punct = punct as f64 / counted as f64;
        let low = if r.v1 {
            punct <= r.line_punct_thr
        } else {
            punct < r.line_punct_thr
        };
        if sig.check(
            Reason::LinePunctRatio.code(),
            round(punct),
            low && !(punct == 0.0 && r.exclude_zero),
        ) {
            return;
        }

        let short = short as f64 / counted as f64;
        let many = if r.v1 {
            short >= r.short_line_thr
        } else {
            short > r.short_line_thr
        };
        if sig.check(Reason::ShortLineRatio.code(), round(short), many) {
            return;
        }

        // Characters of the non-blank lines that repeat an earlier one, compared exactly.
        let dup_chars = table.count_duplicates(text, items).1;
        let newlines = n_all - 1; // `split('\n')` gives one piece more than there are `\n`
        let denom = text::char_len(text) - newlines;
        let dup = dup_chars as f64 / denom as f64;
        let high = if r.v1 {
            dup >= r.char_dup
        } else {
            dup > r.char_dup
        };
        if sig.check(Reason::CharDupRatio.code(), round(dup), high) {
            return;
        }

        let n_words = word_cache::with_words(text, languages::word_rules(lang), |ws| ws.len());
        if n_words == 0 {
            return;
        }
        let list = newlines as f64 / n_words as f64;
        sig.check(
            Reason::ListRatio.code(),
            round(list),
            list > r.new_line_ratio,
        );
    }
}

/// Calls `f` with this thread's reusable table and line buffer (fresh ones if they are in use
/// further up the stack).
fn with_scratch<R>(f: impl FnOnce(&mut ItemTable, &mut Vec<(usize, usize)>) -> R) -> R {
    thread_local! {
        static SCRATCH: RefCell<(ItemTable, Vec<(usize, usize)>)> = RefCell::default();
    }
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => {
            let (table, items) = &mut *s;
            f(table, items)
        }
        Err(_) => f(&mut ItemTable::default(), &mut Vec::new()),
    })
}

impl DocStage for FineWebQuality {
    fn name(&self) -> &'static str {
        FineWebQualityConfig::NAME
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

    fn reason(c: FineWebQualityConfig, text: &str) -> Option<String> {
        run_with(c, text, None).reason().map(str::to_string)
    }

    fn d() -> FineWebQualityConfig {
        FineWebQualityConfig::default()
    }

    const LONG: &str = "This line is long enough to not count as short";

    /// `n` distinct long lines, the first `punct` of them ending with a period.
    fn long_lines(n: usize, punct: usize) -> String {
        (0..n)
            .map(|i| format!("{LONG} number {i}{}", if i < punct { "." } else { "" }))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn keeps_prose() {
        let text = format!("{LONG}.\n{LONG} too.\n\n{LONG}, and more.");
        assert_eq!(reason(d(), &text), None);
    }

    #[test]
    fn empty_documents() {
        assert_eq!(reason(d(), " \n\t\n").as_deref(), Some("empty"));
        assert_eq!(reason(d(), "").as_deref(), Some("empty"));
    }

    #[test]
    fn line_punct_ratio_boundaries() {
        // 1 of 4 lines ends with a stop character: 0.25
        let text = long_lines(4, 1);
        let c = |t: f64| FineWebQualityConfig {
            line_punct_thr: t,
            ..d()
        };
        assert_eq!(reason(c(0.24), &text), None);
        assert_eq!(reason(c(0.25), &text), None);
        assert_eq!(reason(c(0.26), &text).as_deref(), Some("line_punct_ratio"));
        // trailing spaces and closing quotes defeat the check; full-width marks count
        assert_eq!(
            reason(d(), &format!("{LONG}. \n{LONG}.\"")).as_deref(),
            Some("line_punct_ratio")
        );
        assert_eq!(reason(d(), &format!("{LONG}。")), None);
        let ez = FineWebQualityConfig {
            line_punct_exclude_zero: true,
            ..d()
        };
        assert_eq!(reason(ez, &long_lines(2, 0)), None);
    }

    #[test]
    fn short_line_ratio_boundaries() {
        // 2 of 4 lines have at most 30 characters: 0.5
        let short = "Short line.";
        let text = format!("{short}\n{short} Two.\n{LONG}.\n{LONG}!");
        let c = |t: f64| FineWebQualityConfig {
            short_line_thr: t,
            char_duplicates_ratio: 1.0,
            ..d()
        };
        assert_eq!(reason(c(0.51), &text), None);
        assert_eq!(reason(c(0.5), &text), None);
        assert_eq!(reason(c(0.49), &text).as_deref(), Some("short_line_ratio"));
        // exactly 30 characters is short, 31 is not
        let c30 = "x".repeat(29) + ".";
        let c31 = "x".repeat(30) + ".";
        let c = FineWebQualityConfig {
            short_line_thr: 0.0,
            ..d()
        };
        assert_eq!(reason(c.clone(), &c30).as_deref(), Some("short_line_ratio"));
        assert_eq!(reason(c.clone(), &c31), None);
        // characters, not bytes: 30 two-byte (60 bytes) and 30 four-byte characters are short
        let e30 = "\u{e9}".repeat(29) + ".";
        let e31 = "\u{e9}".repeat(30) + ".";
        let g30 = "\u{1f600}".repeat(29) + ".";
        let g31 = "\u{1f600}".repeat(30) + ".";
        assert_eq!(reason(c.clone(), &e30).as_deref(), Some("short_line_ratio"));
        assert_eq!(reason(c.clone(), &e31), None);
        assert_eq!(reason(c.clone(), &g30).as_deref(), Some("short_line_ratio"));
        assert_eq!(reason(c, &g31), None);
    }

    #[test]
    fn char_dup_ratio_boundaries() {
        let text = format!("{LONG}.\n{LONG} too.\nSame.\nSame.");
        let at = 5.0 / (text.chars().count() - 3) as f64;
        let c = |t: f64| FineWebQualityConfig {
            char_duplicates_ratio: t,
            ..d()
        };
        assert_eq!(reason(c(at + 1e-9), &text), None);
        assert_eq!(reason(c(at), &text), None);
        assert_eq!(
            reason(c(at - 1e-9), &text).as_deref(),
            Some("char_dup_ratio")
        );
    }

    #[test]
    fn list_ratio_boundaries() {
        // 3 newlines over 10 words (8 words + 2 periods) = 0.3
        let text = "ab cd ef.\ngh\n\nij kl mn op.";
        let c = |t: f64| FineWebQualityConfig {
            new_line_ratio: t,
            short_line_thr: 999.0,
            char_duplicates_ratio: 1.0,
            ..d()
        };
        assert_eq!(reason(c(0.31), text), None);
        assert_eq!(reason(c(0.3), text), None);
        assert_eq!(reason(c(0.29), text).as_deref(), Some("list_ratio"));
    }

    #[test]
    fn fineweb_v1_semantics() {
        let quote = format!("{LONG}.\"\n{LONG} again.\"");
        assert_eq!(reason(d(), &quote).as_deref(), Some("line_punct_ratio"));
        let v1 = || FineWebQualityConfig {
            fineweb_v1: true,
            ..d()
        };
        assert_eq!(reason(v1(), &quote), None);
        // non-strict: a ratio equal to the threshold fails in v1
        let text = long_lines(4, 1);
        let at = |v1: bool| FineWebQualityConfig {
            line_punct_thr: 0.25,
            fineweb_v1: v1,
            ..d()
        };
        assert_eq!(reason(at(false), &text), None);
        assert_eq!(reason(at(true), &text).as_deref(), Some("line_punct_ratio"));
        // v1 counts blank lines: 1 punctuated of 3 lines (one blank) = 0.33
        let blank = long_lines(2, 1).replace('\n', "\n\n");
        let thr = |v1: bool| FineWebQualityConfig {
            line_punct_thr: 0.4,
            fineweb_v1: v1,
            ..d()
        };
        assert_eq!(reason(thr(false), &blank), None);
        assert_eq!(
            reason(thr(true), &blank).as_deref(),
            Some("line_punct_ratio")
        );
    }

    #[test]
    fn indonesian_uses_fineweb2_settings() {
        // short lines are not checked for ind (short_line_thr = 999); line_punct_thr is 0.25
        let text = "Satu.\nDua kata.\nTiga kata lagi ini.";
        assert_eq!(
            run_with(d(), text, Some("eng")).reason(),
            Some("short_line_ratio")
        );
        assert_eq!(run_with(d(), text, Some("ind")).reason(), None);
        let low = long_lines(5, 1);
        assert_eq!(run_with(d(), &low, Some("eng")).reason(), None);
        assert_eq!(
            run_with(d(), &low, Some("ind")).reason(),
            Some("line_punct_ratio")
        );
    }

    #[test]
    fn annotate_only_writes_signals() {
        let c = FineWebQualityConfig {
            annotate_only: true,
            ..d()
        };
        let Outcome::Keep(doc) = run_with(c, "Home\nAbout", None) else {
            panic!()
        };
        let q = &doc.metadata["quality"];
        assert_eq!(q["line_punct_ratio"], 0.0);
        assert_eq!(q["short_line_ratio"], 1.0);
        assert_eq!(q["list_ratio"], 0.5);
    }
}
