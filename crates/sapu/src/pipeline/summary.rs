//! `summary.json`: what went in, what was kept, what was removed by whom and why, per stage
//! and per input file, with the accounting check `input = kept + removed` spelled out.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::StageTally;
use crate::read::InputIssue;
use crate::stage::{Stage, StageStats};

/// At most this many input issues are listed one by one; all are counted by code.
const ISSUES_LISTED: usize = 1000;

/// The run summary written to `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// sapu's version.
    pub sapu_version: String,
    /// Documents read (including records quarantined by the reader).
    pub input_docs: u64,
    /// Documents written to `kept/`.
    pub kept_docs: u64,
    /// Documents written to `removed/`.
    pub removed_docs: u64,
    /// Whether `input_docs == kept_docs + removed_docs`, per run and per file.
    pub accounting_ok: bool,
    /// Removed documents by `stage/reason`.
    pub removed: BTreeMap<String, u64>,
    /// Text bytes of the input documents.
    pub bytes_in: u64,
    /// Uncompressed bytes written to `kept/`.
    pub bytes_out: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Worker threads used.
    pub threads: usize,
    /// Part files written.
    pub kept_parts: u64,
    /// Part files written to `removed/`.
    pub removed_parts: u64,
    /// Files found in input directories but not read (unknown extension or hidden).
    pub skipped_files: u64,
    /// Archive records read but not made documents (WARC requests, non-HTML responses, ...),
    /// by code: not errors, and not part of `input_docs`.
    pub skipped_records: BTreeMap<String, u64>,
    /// Input problems by code (bad lines, truncated archives, unreadable files).
    pub input_issue_counts: BTreeMap<String, u64>,
    /// The input problems, one by one (the first 1000).
    pub input_issues: Vec<InputIssue>,
    /// Whether this run was resumed after an interruption.
    pub resumed: bool,
    /// What each stage did, in recipe order.
    pub stages: Vec<StageSummary>,
    /// Accounting per input file, in reading order.
    pub files: Vec<FileSummary>,
}

/// One stage's part of the summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageSummary {
    /// The stage type name.
    pub name: String,
    /// `document` or `corpus`.
    pub kind: String,
    /// Documents that reached the stage.
    pub docs_in: u64,
    /// Documents it removed.
    pub removed_docs: u64,
    /// Its removals by reason.
    pub removed: BTreeMap<String, u64>,
    /// Thread-seconds spent in it (summed over worker threads).
    pub seconds: f64,
    /// Its own counters (lines dropped, ...).
    pub counters: StageStats,
}

/// One input file's accounting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileSummary {
    /// The file.
    pub path: String,
    /// Documents read from it.
    pub input_docs: u64,
    /// Of those, kept.
    pub kept_docs: u64,
    /// Of those, removed (by the reader or a stage).
    pub removed_docs: u64,
}

impl StageSummary {
    pub(crate) fn add(&mut self, tally: StageTally) {
        self.docs_in += tally.docs_in;
        self.seconds += tally.nanos as f64 / 1e9;
        self.counters.merge(&tally.stats);
        for (reason, n) in tally.removed {
            self.removed_docs += n;
            *self.removed.entry(reason).or_insert(0) += n;
        }
    }

    pub(crate) fn add_time(&mut self, nanos: u64) {
        self.seconds += nanos as f64 / 1e9;
    }
}

impl Summary {
    pub(crate) fn new(stages: &[Stage], files: &[PathBuf], threads: usize) -> Summary {
        Summary {
            sapu_version: env!("CARGO_PKG_VERSION").into(),
            input_docs: 0,
            kept_docs: 0,
            removed_docs: 0,
            accounting_ok: false,
            removed: BTreeMap::new(),
            bytes_in: 0,
            bytes_out: 0,
            seconds: 0.0,
            threads,
            kept_parts: 0,
            removed_parts: 0,
            skipped_files: 0,
            skipped_records: BTreeMap::new(),
            input_issue_counts: BTreeMap::new(),
            input_issues: Vec::new(),
            resumed: false,
            stages: stages
                .iter()
                .map(|s| StageSummary {
                    name: s.name().into(),
                    kind: match s {
                        Stage::Doc(_) => "document",
                        Stage::Corpus(_) => "corpus",
                    }
                    .into(),
                    docs_in: 0,
                    removed_docs: 0,
                    removed: BTreeMap::new(),
                    seconds: 0.0,
                    counters: StageStats::default(),
                })
                .collect(),
            files: files
                .iter()
                .map(|p| FileSummary {
                    path: p.display().to_string(),
                    input_docs: 0,
                    kept_docs: 0,
                    removed_docs: 0,
                })
                .collect(),
        }
    }

    /// Record an input problem: always counted, listed while the list is short.
    pub(crate) fn record_issue(&mut self, issue: InputIssue) {
        *self
            .input_issue_counts
            .entry(issue.code.to_string())
            .or_insert(0) += 1;
        if self.input_issues.len() < ISSUES_LISTED {
            self.input_issues.push(issue);
        }
    }

    /// Count a document the reader quarantined.
    pub(crate) fn count_read_removal(&mut self, code: &str) {
        *self.removed.entry(format!("read/{code}")).or_insert(0) += 1;
    }

    pub(crate) fn count_input(&mut self, file: u32) {
        self.input_docs += 1;
        self.files[file as usize].input_docs += 1;
    }

    pub(crate) fn count_kept(&mut self, file: u32) {
        self.kept_docs += 1;
        self.files[file as usize].kept_docs += 1;
    }

    pub(crate) fn count_removed(&mut self, file: u32) {
        self.removed_docs += 1;
        self.files[file as usize].removed_docs += 1;
    }

    pub(crate) fn finish(&mut self, seconds: f64) {
        self.seconds += seconds;
        for s in &self.stages {
            for (reason, n) in &s.removed {
                *self
                    .removed
                    .entry(format!("{}/{reason}", s.name))
                    .or_insert(0) += n;
            }
        }
        let removed_total: u64 = self.removed.values().sum();
        self.accounting_ok = self.input_docs == self.kept_docs + self.removed_docs
            && removed_total == self.removed_docs
            && self
                .files
                .iter()
                .all(|f| f.input_docs == f.kept_docs + f.removed_docs);
    }

    /// Whether any input could not be read (the CLI exits 1).
    pub fn had_input_issues(&self) -> bool {
        !self.input_issue_counts.is_empty()
    }
}
