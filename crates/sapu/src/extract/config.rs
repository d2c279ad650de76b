//! The `extract` stage: recipe config, reason codes, and the per-document step.
//!
//! Runs only on documents whose `metadata.content_type` is HTML (`text/html`,
//! `application/xhtml+xml`, parameters such as `; charset=` allowed); every other document
//! passes through untouched. On an HTML page it replaces `text` with the main text and sets
//! `metadata.title`, `author`, `date`, `site_name`, `lang_hint` where found. A `date` already
//! set (the crawl date a WARC reader writes) is kept; the publication date then goes to
//! `metadata.published_date`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{extract_with_url, ExtractOptions, Favor, Limit};
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, DocStage, Stage, StageConfig, StageKind, StageStats,
};

/// Recipe table of the `extract` stage. The limits bound time and memory per page: a page over
/// one is removed with `too_complex`, never a crash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExtractConfig {
    /// Precision/recall trade-off: `balanced`, `precision` or `recall`. Default `balanced`.
    pub favor: Favor,
    /// Largest page parsed, in bytes (UTF-8). At least 1; default 20,000,000.
    pub max_bytes: u64,
    /// Most DOM nodes (elements, text runs, comments) per page. At least 1; default 1,000,000.
    pub max_nodes: u64,
    /// Deepest element nesting per page. At least 1; default 2,000.
    pub max_depth: u32,
}

impl Default for ExtractConfig {
    fn default() -> Self {
        ExtractConfig {
            favor: Favor::Balanced,
            max_bytes: 20_000_000,
            max_nodes: 1_000_000,
            max_depth: 2_000,
        }
    }
}

/// Why `extract` removes a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The page is longer than `max_bytes`, has more than `max_nodes` nodes, or nests elements
    /// deeper than `max_depth`.
    TooComplex,
    /// No main text is left after removing the page chrome (an empty page, a redirect stub,
    /// a page of links only).
    NoContent,
}

impl Reason {
    /// The code written in the summary.
    pub fn code(self) -> &'static str {
        match self {
            Reason::TooComplex => "too_complex",
            Reason::NoContent => "no_content",
        }
    }
}

/// The built `extract` stage.
#[derive(Debug, Clone)]
pub struct Extract {
    opts: ExtractOptions,
}

impl StageConfig for ExtractConfig {
    const NAME: &'static str = "extract";
    const SUMMARY: &'static str =
        "HTML pages to main text plus title, author, date, site name and language hint";
    const REASONS: &'static [&'static str] = &["too_complex", "no_content"];
    const KIND: StageKind = StageKind::Document;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        for (key, value) in [
            ("max_bytes", self.max_bytes),
            ("max_nodes", self.max_nodes),
            ("max_depth", self.max_depth as u64),
        ] {
            if value == 0 {
                problems.push(ConfigProblem::key(
                    key,
                    format!("`{key}` must be at least 1 (got 0)"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Stage::Doc(Box::new(Extract::new(self))))
    }
}

impl Extract {
    /// The stage for a config (not validated; `build` validates).
    pub fn new(c: &ExtractConfig) -> Extract {
        Extract {
            opts: ExtractOptions {
                favor: c.favor,
                max_bytes: usize::try_from(c.max_bytes).unwrap_or(usize::MAX),
                max_nodes: usize::try_from(c.max_nodes).unwrap_or(usize::MAX),
                max_depth: c.max_depth,
            },
        }
    }
}

impl DocStage for Extract {
    fn name(&self) -> &'static str {
        ExtractConfig::NAME
    }

    fn process(&self, mut doc: Document, stats: &mut StageStats) -> Outcome {
        if !is_html(&doc) {
            return Outcome::Keep(doc);
        }
        let url = doc
            .metadata
            .get("url")
            .and_then(Value::as_str)
            .map(str::to_string);
        let out = match extract_with_url(&doc.text, url.as_deref(), &self.opts) {
            Ok(out) => out,
            Err(limit) => {
                stats.add(
                    match limit {
                        Limit::Bytes => "too_many_bytes",
                        Limit::Nodes => "too_many_nodes",
                        Limit::Depth => "too_deep",
                    },
                    1,
                );
                return Outcome::remove(doc, Reason::TooComplex.code());
            }
        };
        stats.add("html_bytes_in", doc.text.len() as u64);
        stats.add("text_bytes_out", out.text.len() as u64);
        let m = out.meta;
        let date_key = if doc.metadata.contains_key("date") {
            "published_date"
        } else {
            "date"
        };
        for (key, value) in [
            ("title", m.title),
            ("author", m.author),
            (date_key, m.date),
            ("site_name", m.site_name),
            ("lang_hint", m.lang_hint),
        ] {
            if let Some(v) = value {
                doc.metadata.insert(key.into(), Value::String(v));
            }
        }
        let empty = out.text.is_empty();
        doc.text = out.text;
        if empty {
            return Outcome::remove(doc, Reason::NoContent.code());
        }
        Outcome::Keep(doc)
    }
}

/// Whether `metadata.content_type` names HTML.
fn is_html(doc: &Document) -> bool {
    let Some(ct) = doc.metadata.get("content_type").and_then(Value::as_str) else {
        return false;
    };
    let mime = ct.split(';').next().unwrap_or("").trim();
    mime.eq_ignore_ascii_case("text/html") || mime.eq_ignore_ascii_case("application/xhtml+xml")
}
