//! The `langid` stage: annotates each document with its language and, when a keep list is
//! given, removes documents in other languages or identified with too little confidence.
//!
//! Writes `metadata.lang` (ISO 639-3), `metadata.lang_score` (0 to 1) and, unless `top_k = 0`,
//! `metadata.lang_top` (`[{"lang": .., "score": ..}, ..]`, best first). Reason codes:
//! `other_language` and `<lang>_below_threshold` (for example `zsm_below_threshold`).
//! Follows datatrove's `LanguageFilter` (keep list + `language_threshold` 0.65) with our own
//! model instead of fastText; unlike datatrove, a kept language's low-confidence document
//! is removed with a reason naming the language.
//!
//! ```
//! use sapu::langid::LangidConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig, StageStats};
//! use sapu::Document;
//!
//! let config = LangidConfig { keep: vec!["zsm".into()], ..LangidConfig::default() };
//! let Ok(Stage::Doc(stage)) = config.build(&BuildContext::default()) else { panic!() };
//! let doc = Document::new("1", "Kerajaan tidak mempunyai wang yang cukup kerana ekonomi \
//!     merosot, jadi rakyat boleh membantu sahaja daripada tidak berbuat apa-apa.");
//! let out = stage.process(doc, &mut StageStats::default());
//! assert_eq!(out.reason(), None);
//! assert_eq!(out.into_document().lang(), Some("zsm"));
//! ```

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::identify::{Identifier, CHUNK_BYTES, DEFAULT_SAMPLE_BYTES};
use super::languages::LANGS;
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, DocStage, Stage, StageConfig, StageKind, StageStats,
};

/// The `langid` recipe table. Defaults: annotate only; `min_score` 0.65 is datatrove's
/// `LanguageFilter.language_threshold`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LangidConfig {
    /// Languages to keep, ISO 639-3 codes (`["ind"]`, `["zsm", "ind"]`); empty keeps every
    /// document and only annotates it. Default: empty.
    pub keep: Vec<String>,
    /// Lowest `lang_score` at which a document in a kept language stays, 0 to 1. Default 0.65.
    pub min_score: f64,
    /// How many candidates to write to `metadata.lang_top`, 0 to 3; 0 writes none. Default 3.
    pub top_k: usize,
    /// Bytes of each document the identifier reads (start, middle and end windows beyond it),
    /// at least 400. Default 1024.
    pub sample_bytes: usize,
    /// The routing's coverage test: a text the broad model gives to a regional language of
    /// Indonesia (`ace`, `ban`, `bjn`, `bug`, `jav`, `mad`, `min`, `sun`) whose words are
    /// mostly Indonesian or Malay ones, and none a regional word, goes to the Indonesian/Malay
    /// specialist instead: fewer Indonesian and Malay texts (short ones above all) called a
    /// regional language, but more regional-language texts called Indonesian or Malay (see
    /// docs/langid.md, session 8). Default true; set it false when building a corpus of a
    /// regional language.
    pub regional_test: bool,
}

impl Default for LangidConfig {
    fn default() -> Self {
        LangidConfig {
            keep: Vec::new(),
            min_score: 0.65,
            top_k: 3,
            sample_bytes: DEFAULT_SAMPLE_BYTES,
            regional_test: true,
        }
    }
}

/// Why `langid` removes a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The document's most likely language is not in `keep`: `other_language`.
    OtherLanguage,
    /// The most likely language is in `keep` but its score is below `min_score`:
    /// `<lang>_below_threshold`.
    BelowThreshold,
}

/// The built stage.
pub struct Langid {
    identifier: Identifier,
    keep: Vec<&'static str>,
    min_score: f64,
    top_k: usize,
}

impl StageConfig for LangidConfig {
    const NAME: &'static str = "langid";
    const SUMMARY: &'static str =
        "tag each document's language (ISO 639-3, score); optionally keep only given languages";
    const REASONS: &'static [&'static str] = &["other_language", "<lang>_below_threshold"];
    const KIND: StageKind = StageKind::Document;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        if !(0.0..=1.0).contains(&self.min_score) {
            problems.push(ConfigProblem::key(
                "min_score",
                format!(
                    "`min_score` must be between 0 and 1 (got {})",
                    self.min_score
                ),
            ));
        }
        if self.top_k > 3 {
            problems.push(ConfigProblem::key(
                "top_k",
                format!("`top_k` must be at most 3 (got {})", self.top_k),
            ));
        }
        if self.sample_bytes < CHUNK_BYTES {
            problems.push(ConfigProblem::key(
                "sample_bytes",
                format!(
                    "`sample_bytes` must be at least {CHUNK_BYTES} (got {})",
                    self.sample_bytes
                ),
            ));
        }
        let mut keep = Vec::new();
        for code in &self.keep {
            match LANGS.iter().find(|l| **l == code.as_str()) {
                Some(l) => keep.push(*l),
                None => {
                    let mut message = format!("unknown language `{code}` in `keep`");
                    if let Some(close) = crate::config::closest(code, LANGS.iter().copied()) {
                        message.push_str(&format!("; did you mean `{close}`?"));
                    } else {
                        message.push_str("; use ISO 639-3 codes such as `ind`, `zsm`, `eng`");
                    }
                    problems.push(ConfigProblem::key("keep", message));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Stage::Doc(Box::new(Langid {
            identifier: Identifier::new(self.sample_bytes).with_coverage_test(self.regional_test),
            keep,
            min_score: self.min_score,
            top_k: self.top_k,
        })))
    }
}

impl DocStage for Langid {
    fn name(&self) -> &'static str {
        LangidConfig::NAME
    }

    fn process(&self, mut doc: Document, _stats: &mut StageStats) -> Outcome {
        let p = self.identifier.identify(&doc.text);
        let m = &mut doc.metadata;
        m.insert("lang".into(), Value::from(p.lang));
        m.insert("lang_score".into(), json!(round4(p.score)));
        if self.top_k > 0 {
            let top: Vec<Value> = p
                .top
                .iter()
                .take(self.top_k)
                .map(|(l, s)| json!({"lang": l, "score": round4(*s)}))
                .collect();
            m.insert("lang_top".into(), Value::Array(top));
        }
        match self.check(p.lang, p.score as f64) {
            None => Outcome::Keep(doc),
            Some(Reason::OtherLanguage) => Outcome::remove(doc, "other_language"),
            Some(Reason::BelowThreshold) => {
                Outcome::Remove(doc, Cow::Owned(format!("{}_below_threshold", p.lang)))
            }
        }
    }
}

impl Langid {
    /// The removal decision for a document identified as `lang` with `score`.
    fn check(&self, lang: &str, score: f64) -> Option<Reason> {
        if self.keep.is_empty() {
            return None;
        }
        if !self.keep.contains(&lang) {
            return Some(Reason::OtherLanguage);
        }
        // Compare at the precision written to metadata, so the decision matches what is shown.
        if round4(score as f32) < self.min_score {
            return Some(Reason::BelowThreshold);
        }
        None
    }
}

fn round4(x: f32) -> f64 {
    (x as f64 * 10_000.0).round() / 10_000.0
}
