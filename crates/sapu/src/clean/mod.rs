//! The `clean` stage: which lines of this page are not the article? It normalises the text,
//! removes page chrome (buttons, loaders, ad labels, "read also" links, tag and copyright
//! footers), drops scraper-repeated copies of the body while keeping the first, and lifts a
//! final initials line ("(ian)") into `metadata.byline`.
//!
//! It never removes a document (no reason codes): a page may be left empty, and the filters'
//! empty-document rule removes it later. Every removal is accounted for in `metadata.clean`:
//! `removed` counts lines by rule, `normalised` says whether whitespace, controls or Unicode
//! form changed, and with `record_lines` the removed `lines` are listed with their rule.
//!
//! No peer repairs a repeated body: datatrove's Gopher repetition filter removes the page and
//! cc_net-style line dedup deletes both copies; trafilatura removes chrome from HTML only.
//!
//! ```
//! use sapu::clean::CleanConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig};
//! use sapu::{Document, StageStats};
//!
//! let Ok(Stage::Doc(clean)) = CleanConfig::default().build(&BuildContext::default()) else {
//!     panic!("default clean config builds")
//! };
//! let doc = Document::new("1", "loading...\nA\nA+\nJAKARTA - Isi berita.\nBaca Juga: Judul Lain\n(ian)");
//! let out = clean.process(doc, &mut StageStats::default()).into_document();
//! assert_eq!(out.text, "JAKARTA - Isi berita.");
//! assert_eq!(out.metadata["byline"], "ian");
//! assert_eq!(out.metadata["clean"]["removed"]["ui"], 3);
//! ```

mod byline;
mod chrome;
mod lexicon;
mod normalise;
mod repeats;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, DocStage, Stage, StageConfig, StageKind, StageStats,
};

use chrome::ChromeRules;
use repeats::BlockRules;

/// The `clean` stage's recipe table. Every rule is on by default; sapu's own defaults (no peer
/// has this stage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CleanConfig {
    /// Unicode NFC, strip control characters (tab and newline kept), collapse runs of spaces,
    /// trim lines, normalise line endings and blank lines. Default true.
    pub normalise: bool,
    /// Within `normalise`, write a run of two or more spaces (no-break and other Unicode spaces
    /// included) as one space. Default false: the reference cleanings (the dev set's expected
    /// texts) keep the source's spacing, and collapsing it made 72 of 400 differ.
    pub collapse_spaces: bool,
    /// Remove page-chrome lines: UI buttons and loaders, ad labels, "read also" links, tag,
    /// copyright and follow footers, post meta. Default true.
    pub chrome: bool,
    /// Drop later copies of a repeated run of lines (the body scraped twice). Default true.
    pub repeats: bool,
    /// Let lines that differ by a word or so per ten, or by spacing and punctuation, pair up
    /// in a repeated block. Default true.
    pub near_repeats: bool,
    /// Move a final initials line ("(ian)", "[gil]") into `metadata.byline`. Default true.
    pub byline: bool,
    /// Fewest lines a repeated run needs to be dropped, at least 1. Default 2.
    pub min_block_lines: usize,
    /// Fewest words a repeated run needs to be dropped: a scraped body is long, while list items
    /// or table rows that legitimately recur under several headings are short. Default 30.
    pub min_block_words: usize,
    /// Fewest words per line, on average, a repeated run of several lines needs to be dropped:
    /// body paragraphs pass, table rows repeated per day or model ("10 am", "Rear brake") do
    /// not. Default 8.
    pub min_block_mean_words: usize,
    /// A single repeated line of at least this many words is dropped as a block; 0 never.
    /// Default 40.
    pub long_line_words: usize,
    /// List each removed line with its rule in `metadata.clean.lines`. Default false.
    pub record_lines: bool,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            normalise: true,
            collapse_spaces: false,
            chrome: true,
            repeats: true,
            near_repeats: true,
            byline: true,
            min_block_lines: 2,
            min_block_words: 30,
            min_block_mean_words: 8,
            long_line_words: 40,
            record_lines: false,
        }
    }
}

/// Why a line was removed: the keys of `metadata.clean.removed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// A line of only UI words: share/print/font-size buttons, loaders, ad labels, scroll
    /// prompts, photo buttons.
    Ui,
    /// A "read also" prompt followed by a headline.
    ReadAlso,
    /// A tag-list footer ("Tags: a, b").
    Tags,
    /// A copyright footer.
    Copyright,
    /// A "follow us on <network>" prompt.
    FollowPrompt,
    /// "Posted on <date> by <name>" near the top or bottom of the page.
    PostMeta,
    /// A later copy of a repeated block.
    RepeatedBlock,
    /// A final initials line, moved to `metadata.byline`.
    Byline,
}

impl Rule {
    /// The rule's key in `metadata.clean.removed`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::Ui => "ui",
            Rule::ReadAlso => "read_also",
            Rule::Tags => "tags",
            Rule::Copyright => "copyright",
            Rule::FollowPrompt => "follow_prompt",
            Rule::PostMeta => "post_meta",
            Rule::RepeatedBlock => "repeated_block",
            Rule::Byline => "byline",
        }
    }

    /// The stage counter for lines removed by this rule.
    fn counter(self) -> &'static str {
        match self {
            Rule::Ui => "lines_ui",
            Rule::ReadAlso => "lines_read_also",
            Rule::Tags => "lines_tags",
            Rule::Copyright => "lines_copyright",
            Rule::FollowPrompt => "lines_follow_prompt",
            Rule::PostMeta => "lines_post_meta",
            Rule::RepeatedBlock => "lines_repeated_block",
            Rule::Byline => "bylines",
        }
    }
}

/// The built `clean` stage.
pub struct Clean {
    config: CleanConfig,
    chrome: ChromeRules,
    blocks: BlockRules,
}

/// What cleaning one text produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Cleaned {
    /// The cleaned text, or `None` when it equals the input.
    pub text: Option<String>,
    /// The byline's initials, when one was lifted.
    pub byline: Option<String>,
    /// Lines removed, with their rule, in text order.
    pub removed: Vec<(Rule, String)>,
    /// Whether normalisation changed the text.
    pub normalised: bool,
}

impl StageConfig for CleanConfig {
    const NAME: &'static str = "clean";
    const SUMMARY: &'static str =
        "normalise text, remove page chrome and repeated bodies, lift bylines into metadata";
    const REASONS: &'static [&'static str] = &[];
    const KIND: StageKind = StageKind::Document;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        Clean::new(self).map(|c| Stage::Doc(Box::new(c)))
    }
}

impl Clean {
    /// Validate a config and prepare the stage.
    pub fn new(config: &CleanConfig) -> Result<Clean, Vec<ConfigProblem>> {
        if config.min_block_lines == 0 {
            return Err(vec![ConfigProblem::key(
                "min_block_lines",
                "`min_block_lines` must be at least 1 (got 0)",
            )]);
        }
        Ok(Clean {
            config: config.clone(),
            chrome: ChromeRules::new(),
            blocks: BlockRules {
                min_lines: config.min_block_lines,
                min_words: config.min_block_words,
                min_mean_words: config.min_block_mean_words,
                long_line_words: config.long_line_words,
                near: config.near_repeats,
            },
        })
    }

    /// Clean one text: the rules in order (normalise, chrome, repeated blocks, byline).
    pub fn clean_text(&self, text: &str) -> Cleaned {
        let normalised = if self.config.normalise {
            normalise::normalise_with(text, self.config.collapse_spaces)
        } else {
            None
        };
        let src = normalised.as_deref().unwrap_or(text);
        let lines: Vec<&str> = crate::text::lines(src).collect();
        let mut removed: Vec<Option<Rule>> = vec![None; lines.len()];
        if self.config.chrome {
            self.chrome.mark(&lines, &mut removed);
        }
        if self.config.repeats {
            repeats::mark(&lines, &mut removed, &self.blocks, Rule::RepeatedBlock);
        }
        let mut byline = None;
        if self.config.byline {
            if let Some(i) = byline::find(&lines, &removed) {
                byline = byline::initials(lines[i]).map(str::to_string);
                removed[i] = Some(Rule::Byline);
            }
        }
        let dropped: Vec<(Rule, String)> = lines
            .iter()
            .zip(&removed)
            .filter_map(|(l, r)| r.map(|r| (r, l.to_string())))
            .collect();
        let text = if dropped.is_empty() {
            normalised.clone()
        } else {
            Some(join_kept(&lines, &removed))
        };
        Cleaned {
            text,
            byline,
            removed: dropped,
            normalised: normalised.is_some(),
        }
    }
}

/// The kept lines joined by `\n`, with at most one blank line in a row and none at the ends
/// (removing a line must not leave a hole of blank lines).
fn join_kept(lines: &[&str], removed: &[Option<Rule>]) -> String {
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    let mut blank = false;
    for (line, r) in lines.iter().zip(removed) {
        if r.is_some() {
            continue;
        }
        if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank {
                out.push('\n');
            }
        }
        blank = false;
        out.push_str(line);
    }
    out
}

impl DocStage for Clean {
    fn name(&self) -> &'static str {
        CleanConfig::NAME
    }

    fn process(&self, mut doc: Document, stats: &mut StageStats) -> Outcome {
        let cleaned = self.clean_text(&doc.text);
        let mut counts: Map<String, Value> = Map::new();
        for (rule, _) in &cleaned.removed {
            stats.add(rule.counter(), 1);
            let c = counts.entry(rule.code()).or_insert(json!(0));
            *c = json!(c.as_u64().unwrap_or(0) + 1);
        }
        if cleaned.normalised {
            stats.add("docs_normalised", 1);
        }
        let mut report = Map::new();
        report.insert("removed".into(), Value::Object(counts));
        report.insert("normalised".into(), Value::Bool(cleaned.normalised));
        if self.config.record_lines {
            let lines = cleaned
                .removed
                .iter()
                .map(|(r, l)| json!({"rule": r.code(), "text": l}))
                .collect();
            report.insert("lines".into(), Value::Array(lines));
        }
        doc.metadata.insert("clean".into(), Value::Object(report));
        if let Some(b) = cleaned.byline {
            doc.metadata.insert("byline".into(), Value::String(b));
        }
        if let Some(text) = cleaned.text {
            doc.text = text;
        }
        Outcome::Keep(doc)
    }
}

#[cfg(test)]
mod tests;
