//! Stages: the two kinds a pipeline composes (per-document and whole-corpus), their counters,
//! and the registry that maps a recipe's `type` to a constructor.

mod registry;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::doc::{Document, Outcome};

pub use registry::{find, names, StageEntry, REGISTRY};

/// Counters a stage adds to while it works (lines dropped, bytes trimmed, ...), beyond the
/// kept/removed counts the engine keeps itself. Merged by addition; ordered, so the summary is
/// byte-identical across runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStats(pub BTreeMap<Cow<'static, str>, u64>);

impl StageStats {
    /// Add `n` to counter `name`.
    pub fn add(&mut self, name: &'static str, n: u64) {
        *self.0.entry(Cow::Borrowed(name)).or_insert(0) += n;
    }

    /// Fold another set of counters into this one.
    pub fn merge(&mut self, other: &StageStats) {
        for (k, v) in &other.0 {
            *self.0.entry(k.clone()).or_insert(0) += v;
        }
    }

    /// The value of a counter (0 when never added to).
    pub fn get(&self, name: &str) -> u64 {
        self.0.get(name).copied().unwrap_or(0)
    }
}

/// A stage that decides about each document on its own: pure, so the engine runs it in
/// parallel over a batch.
pub trait DocStage: Send + Sync {
    /// The stage's type name, as written in the recipe (`clean`, `gopher_quality`, ...).
    fn name(&self) -> &'static str;
    /// Keep (possibly changed) or remove one document.
    fn process(&self, doc: Document, stats: &mut StageStats) -> Outcome;
}

/// Why a corpus stage cannot go on: the storage it keeps its state in failed (a full disk).
/// The message names the file or directory and the OS error; the engine stops the run with it,
/// and the run can be resumed once the cause is fixed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StageError(pub String);

impl StageError {
    /// An I/O error on `what` (a file or directory, as the user would look for it).
    pub fn io(what: impl std::fmt::Display, e: &std::io::Error) -> Self {
        StageError(format!("{what}: {e}"))
    }
}

/// A stage that must see every document before deciding about any (deduplication).
///
/// The engine calls `observe` with consecutive batches in input order, then `finish` once, then
/// `decide` for every observed document (in parallel, in any order), passing the same ordinal.
/// `observe` and `finish` may fail (their state spilled to a disk that filled up): the engine
/// then stops the run at once with the error; the output up to the last checkpoint stays
/// valid, and `--resume` rebuilds the stage's state from the engine's own spill.
pub trait CorpusStage: Send + Sync {
    /// The stage's type name, as written in the recipe.
    fn name(&self) -> &'static str;
    /// Record what the stage needs to know of a batch; `first` is the ordinal of `docs[0]`
    /// among the documents reaching this stage. May use rayon internally.
    ///
    /// # Errors
    /// When the stage cannot store what it must remember (its spill file cannot be written).
    fn observe(
        &mut self,
        first: u64,
        docs: &[Document],
        stats: &mut StageStats,
    ) -> Result<(), StageError>;
    /// All documents have been observed: build the index and the decisions.
    ///
    /// # Errors
    /// When the stage's stored state cannot be written or read back.
    fn finish(&mut self, stats: &mut StageStats) -> Result<(), StageError>;
    /// The decision for the document with this ordinal.
    fn decide(&self, ordinal: u64, doc: Document, stats: &mut StageStats) -> Outcome;
}

/// A stage built from its recipe table, ready to run.
pub enum Stage {
    /// Per-document stage.
    Doc(Box<dyn DocStage>),
    /// Whole-corpus stage.
    Corpus(Box<dyn CorpusStage>),
}

impl Stage {
    /// The stage's type name.
    pub fn name(&self) -> &'static str {
        match self {
            Stage::Doc(s) => s.name(),
            Stage::Corpus(s) => s.name(),
        }
    }
}

/// Which kind a stage is, for the registry and the docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageKind {
    /// Per-document.
    Document,
    /// Whole-corpus.
    Corpus,
}

/// One problem found while building a stage from its config: the key it concerns (if any) and
/// what is wrong. The recipe loader adds file, line and stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The config key at fault, when the problem is about one key.
    pub key: Option<String>,
    /// What is wrong, lowercase, no final period.
    pub message: String,
}

impl ConfigProblem {
    /// A problem with one key.
    pub fn key(key: &str, message: impl Into<String>) -> Self {
        ConfigProblem {
            key: Some(key.to_string()),
            message: message.into(),
        }
    }
}

/// What `build` may need besides the stage's own config.
#[derive(Debug, Clone, Default)]
pub struct BuildContext {
    /// The recipe's `[input]` text field name.
    pub text_field: String,
}

/// A stage's configuration: its recipe table, deserialised. `Default` is the peer's default
/// (or ours, documented); `build` validates it and returns the runnable stage.
pub trait StageConfig: Serialize + DeserializeOwned + Default + 'static {
    /// The type name in recipes, the registry, the summary and the docs: written once, here.
    const NAME: &'static str;
    /// One line for `--help` and the docs.
    const SUMMARY: &'static str;
    /// Every reason code the stage can remove a document with (documented on its enum).
    const REASONS: &'static [&'static str];
    /// Document or corpus stage.
    const KIND: StageKind;
    /// Check ranges and conflicting options, load word lists and models; report every problem.
    fn build(&self, ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>>;
}
