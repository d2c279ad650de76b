//! The run report: one self-contained HTML page (inline CSS and SVG, no script, no network)
//! showing what a run did to a corpus, built from a run directory's `summary.json`, `kept/` and
//! `removed/` after the run.
//!
//! The page shows the funnel (documents and bytes in, removed per stage, kept), the removal
//! reasons ranked with sampled removed documents (repeated lines marked), what the clean stage
//! cut (`metadata.clean`), the language distribution (`metadata.lang`, `metadata.lang_score`),
//! histograms of every numeric `metadata.quality.*` signal with thresholds from the recipe,
//! deduplication cluster sizes (`metadata.cluster_size`) with the biggest clusters, and run
//! facts (version, threads, time per stage, throughput, input issues, recipe).
//!
//! The part files are streamed once, in parallel; memory and page size are bounded by the
//! sampling limits, not by the corpus. Samples are deterministic: per reason, the documents with
//! the smallest xxh3 hash of their id. Unknown metadata keys are ignored and missing ones
//! leave their section with a note, so runs of any recipe can be reported.
//!
//! ```no_run
//! use std::path::Path;
//! use sapu::report::{write_report, ReportOptions};
//!
//! let facts = write_report(Path::new("out"), Path::new("out/report.html"), &ReportOptions::default())?;
//! println!("{} bytes, {} documents sampled", facts.html_bytes, facts.samples);
//! # Ok::<(), sapu::Error>(())
//! ```

mod chart;
mod collect;
mod fmt;
mod page;
mod sample;
mod sections;
mod thresholds;

use std::path::Path;

use serde_json::Value;

use crate::Error;

pub use thresholds::Threshold;

/// How much a report samples and what it knows beyond the run directory.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Documents shown per removal reason and per clean rule. Default 4.
    pub samples_per_reason: usize,
    /// Values sampled per quality signal for its histogram (the counts, minimum, maximum and
    /// mean are exact). Default 20,000.
    pub signal_sample: usize,
    /// Biggest deduplication clusters listed. Default 8.
    pub top_clusters: usize,
    /// The recipe the run used, as TOML text: shown under run facts, and its `min_*` / `max_*`
    /// keys are drawn as thresholds. When `None`, `recipe.toml` in the run directory is read if
    /// present.
    pub recipe: Option<String>,
    /// More thresholds to draw, beside those found in the recipe.
    pub thresholds: Vec<Threshold>,
    /// The page title; default `sapu report: <run directory name>`.
    pub title: Option<String>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            samples_per_reason: 4,
            signal_sample: 20_000,
            top_clusters: 8,
            recipe: None,
            thresholds: Vec::new(),
            title: None,
        }
    }
}

/// What a report was built from and what it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFacts {
    /// Size of the HTML page.
    pub html_bytes: u64,
    /// Documents read from `kept/`.
    pub kept_docs_read: u64,
    /// Documents read from `removed/`.
    pub removed_docs_read: u64,
    /// Removal reasons (`stage/reason`) listed, ranked by count.
    pub reasons: Vec<String>,
    /// Documents shown as samples (reasons, clean rules, clusters).
    pub samples: usize,
    /// Disagreements between `summary.json` and the part files, unreadable files and lines;
    /// also shown at the top of the page.
    pub warnings: Vec<String>,
}

/// Build the report page of `run_dir` in memory.
pub fn render_report(run_dir: &Path, opts: &ReportOptions) -> Result<(String, ReportFacts), Error> {
    let summary_path = run_dir.join("summary.json");
    let text = std::fs::read(&summary_path).map_err(|e| {
        Error::Other(format!(
            "{}: cannot read the run summary: {e}",
            summary_path.display()
        ))
    })?;
    let summary: Value = serde_json::from_slice(&text).map_err(|e| {
        Error::Other(format!(
            "{}: the run summary is not valid JSON: {e}",
            summary_path.display()
        ))
    })?;
    if !summary.is_object() {
        return Err(Error::Other(format!(
            "{}: the run summary is not a JSON object",
            summary_path.display()
        )));
    }
    let recipe = opts
        .recipe
        .clone()
        .or_else(|| std::fs::read_to_string(run_dir.join("recipe.toml")).ok());
    let limits = collect::Limits {
        samples: opts.samples_per_reason,
        signal_values: opts.signal_sample.max(1),
        clusters: opts.top_clusters,
    };
    let collected = collect::collect(run_dir, limits);
    let input = page::Input {
        run_dir,
        summary: &summary,
        collected,
        recipe: recipe.as_deref(),
        opts,
    };
    let (html, mut facts) = page::render(input);
    facts.html_bytes = html.len() as u64;
    Ok((html, facts))
}

/// Build the report page of `run_dir` and write it to `dest` (atomically: a temporary file
/// beside it, then renamed).
pub fn write_report(
    run_dir: &Path,
    dest: &Path,
    opts: &ReportOptions,
) -> Result<ReportFacts, Error> {
    let (html, facts) = render_report(run_dir, opts)?;
    if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(Error::output)?;
    }
    crate::write::write_atomic(dest, html.as_bytes()).map_err(Error::output)?;
    Ok(facts)
}

#[cfg(test)]
mod tests;
