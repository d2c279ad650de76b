//! `exact_dedup`: removes documents whose normalised text equals an earlier document's.
//!
//! The text is normalised (by default only whitespace is collapsed; every datatrove step can be
//! switched on) and hashed to 64 bits (XXH3); the first document with a hash is kept, later ones
//! are removed with reason `exact_duplicate` and `metadata.duplicate_of` naming the kept one.
//! Reference: datatrove's `ExactDedup*` blocks and Dolma's bloom dedup on the text; unlike a
//! bloom filter there are no false positives beyond 64-bit hash collisions (about 3 in a
//! million runs of 10 million documents).
//!
//! Memory: a hash map of one entry per distinct text (12 bytes + overhead) and one `u32` per
//! document; ids of kept documents go to a record store (spilled beyond `memory_mb`).
//!
//! ```
//! use sapu::dedup::ExactDedupConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig};
//! use sapu::{Document, Outcome, StageStats};
//! let Ok(Stage::Corpus(mut s)) = ExactDedupConfig::default().build(&BuildContext::default())
//! else { panic!() };
//! let docs = [Document::new("a", "Halo dunia"), Document::new("b", "Halo  dunia\n")];
//! let mut st = StageStats::default();
//! s.observe(0, &docs, &mut st).unwrap();
//! s.finish(&mut st).unwrap();
//! assert!(matches!(s.decide(0, docs[0].clone(), &mut st), Outcome::Keep(_)));
//! let removed = s.decide(1, docs[1].clone(), &mut st);
//! assert_eq!(removed.reason(), Some("exact_duplicate"));
//! assert_eq!(removed.into_document().metadata["duplicate_of"], "a");
//! ```

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use super::store::RecordStore;
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, CorpusStage, Stage, StageConfig, StageError, StageKind,
};
use crate::text::normalize::{normalize_into, Normalization};
use crate::StageStats;

/// Marks a document that is the first with its text.
const FIRST: u32 = u32::MAX;

/// The recipe table of `exact_dedup`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExactDedupConfig {
    /// Normalisation before hashing. Default: only `collapse_whitespace` (texts equal up to
    /// spacing and leading/trailing blanks are duplicates); switch on the other steps for
    /// datatrove's looser matching.
    pub normalize: Normalization,
    /// Ids of kept documents held in memory, in MiB, before the rest goes to a temporary
    /// file. Default 256.
    pub memory_mb: usize,
}

impl Default for ExactDedupConfig {
    fn default() -> Self {
        ExactDedupConfig {
            normalize: Normalization {
                collapse_whitespace: true,
                ..Normalization::NONE
            },
            memory_mb: 256,
        }
    }
}

/// Why `exact_dedup` removes a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Its normalised text equals that of an earlier document (named in `duplicate_of`).
    ExactDuplicate,
}

impl Reason {
    /// The reason code.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::ExactDuplicate => "exact_duplicate",
        }
    }
}

/// The built stage.
pub struct ExactDedup {
    normalize: Normalization,
    seen: HashMap<u64, u32>,
    /// Per document, the index of the first document with its text, or `FIRST`.
    first_of: Vec<u32>,
    store: RecordStore,
    /// Ids of first documents that have duplicates, filled by `finish`.
    ids: HashMap<u32, String>,
    base: Option<u64>,
}

impl StageConfig for ExactDedupConfig {
    const NAME: &'static str = "exact_dedup";
    const SUMMARY: &'static str =
        "remove documents whose normalised text equals an earlier document's (first kept)";
    const REASONS: &'static [&'static str] = &["exact_duplicate"];
    const KIND: StageKind = StageKind::Corpus;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let store = RecordStore::create(self.memory_mb.saturating_mul(1 << 20))
            .map_err(|e| vec![ConfigProblem::key("memory_mb", e)])?;
        Ok(Stage::Corpus(Box::new(ExactDedup::with_store(self, store))))
    }
}

impl ExactDedup {
    /// The stage for a config, with an in-memory store (a spill file is created in the
    /// temporary directory if the budget is exceeded; `build` creates it up front instead).
    pub fn new(c: &ExactDedupConfig) -> Self {
        Self::with_store(c, RecordStore::new(c.memory_mb.saturating_mul(1 << 20)))
    }

    /// The stage for a config, its ids in `store`.
    pub fn with_store(c: &ExactDedupConfig, store: RecordStore) -> Self {
        ExactDedup {
            normalize: c.normalize,
            seen: HashMap::new(),
            first_of: Vec::new(),
            store,
            ids: HashMap::new(),
            base: None,
        }
    }

    /// The 64-bit hash of a document's normalised text.
    pub fn key(&self, text: &str, buf: &mut String) -> u64 {
        normalize_into(text, &self.normalize, buf);
        xxh3_64(buf.as_bytes())
    }
}

impl CorpusStage for ExactDedup {
    fn name(&self) -> &'static str {
        ExactDedupConfig::NAME
    }

    fn observe(
        &mut self,
        first: u64,
        docs: &[Document],
        _stats: &mut StageStats,
    ) -> Result<(), StageError> {
        let base = *self.base.get_or_insert(first);
        debug_assert_eq!(first - base, self.first_of.len() as u64);
        let keys: Vec<u64> = docs
            .par_iter()
            .map_init(String::new, |buf, d| self.key(&d.text, buf))
            .collect();
        for (doc, key) in docs.iter().zip(keys) {
            let i = self.first_of.len() as u32;
            match self.seen.get(&key) {
                Some(&f) => self.first_of.push(f),
                None => {
                    self.seen.insert(key, i);
                    self.first_of.push(FIRST);
                }
            }
            self.store.push(&doc.id, &[])?;
        }
        Ok(())
    }

    fn finish(&mut self, stats: &mut StageStats) -> Result<(), StageError> {
        self.seen = HashMap::new();
        for &f in &self.first_of {
            if f != FIRST && !self.ids.contains_key(&f) {
                self.ids.insert(f, self.store.id(f as usize)?);
            }
        }
        stats.add("texts_with_duplicates", self.ids.len() as u64);
        self.store = RecordStore::new(1);
        Ok(())
    }

    fn decide(&self, ordinal: u64, mut doc: Document, _stats: &mut StageStats) -> Outcome {
        let i = (ordinal - self.base.unwrap_or(0)) as usize;
        match self.first_of[i] {
            FIRST => Outcome::Keep(doc),
            f => {
                let kept = self.ids.get(&f).cloned().unwrap_or_default();
                doc.metadata
                    .insert("duplicate_of".into(), Value::String(kept));
                Outcome::remove(doc, Reason::ExactDuplicate.code())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: &ExactDedupConfig, texts: &[&str], batch: usize) -> Vec<Outcome> {
        let mut s = ExactDedup::new(config);
        let docs: Vec<Document> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Document::new(format!("d{i}"), *t))
            .collect();
        let mut st = StageStats::default();
        for (k, chunk) in docs.chunks(batch).enumerate() {
            s.observe((k * batch) as u64 + 7, chunk, &mut st).unwrap();
        }
        s.finish(&mut st).unwrap();
        docs.into_iter()
            .enumerate()
            .map(|(i, d)| s.decide(i as u64 + 7, d, &mut st))
            .collect()
    }

    fn summary(out: &[Outcome]) -> Vec<String> {
        out.iter()
            .map(|o| match o {
                Outcome::Keep(d) => format!("keep {}", d.id),
                Outcome::Remove(d, r) => format!("{r} {} of {}", d.id, d.metadata["duplicate_of"]),
            })
            .collect()
    }

    #[test]
    fn removes_later_copies_and_names_the_first() {
        let texts = ["a b", "c", " a  b\n", "c", "a b", "A b"];
        for batch in [1, 2, 6] {
            let out = run(&ExactDedupConfig::default(), &texts, batch);
            assert_eq!(
                summary(&out),
                [
                    "keep d0",
                    "keep d1",
                    "exact_duplicate d2 of \"d0\"",
                    "exact_duplicate d3 of \"d1\"",
                    "exact_duplicate d4 of \"d0\"",
                    "keep d5",
                ],
                "batch {batch}"
            );
        }
    }

    #[test]
    fn normalisation_is_configurable() {
        let texts = ["Harga 100!", "harga 200", "Harga 100!"];
        let loose = ExactDedupConfig {
            normalize: Normalization::default(),
            ..ExactDedupConfig::default()
        };
        assert_eq!(
            summary(&run(&loose, &texts, 3)),
            [
                "keep d0",
                "exact_duplicate d1 of \"d0\"",
                "exact_duplicate d2 of \"d0\""
            ]
        );
        let strict = ExactDedupConfig {
            normalize: Normalization::NONE,
            ..ExactDedupConfig::default()
        };
        assert_eq!(
            summary(&run(&strict, &["a", "a ", "a"], 3)),
            ["keep d0", "keep d1", "exact_duplicate d2 of \"d0\""]
        );
    }

    #[test]
    fn ids_survive_a_spilled_store() {
        let config = ExactDedupConfig {
            memory_mb: 0,
            ..ExactDedupConfig::default()
        };
        let out = run(&config, &["x", "y", "x"], 2);
        assert_eq!(
            summary(&out),
            ["keep d0", "keep d1", "exact_duplicate d2 of \"d0\""]
        );
    }

    /// The spill file cannot be read back in `finish` (EIO on `$TMPDIR`, simulated with a
    /// write-only file): an error naming the directory, not a panic.
    #[cfg(unix)]
    #[test]
    fn an_unreadable_spill_file_is_an_error_of_finish() {
        let dir = tempfile::tempdir().unwrap();
        let store = RecordStore::unreadable_in(dir.path());
        let mut s = ExactDedup::with_store(&ExactDedupConfig::default(), store);
        let docs = [Document::new("a", "x"), Document::new("b", "x")];
        let mut st = StageStats::default();
        s.observe(0, &docs, &mut st).unwrap();
        let err = s.finish(&mut st).unwrap_err().to_string();
        RecordStore::assert_read_error_in(&err, dir.path());
    }
}
