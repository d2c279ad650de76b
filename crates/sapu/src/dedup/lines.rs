//! `line_dedup`: removes lines repeated across many documents (boilerplate such as "Baca
//! juga:", share bars, footers), keeping each in the first document that has it.
//!
//! Each line is normalised (datatrove's steps) and hashed to 64 bits; a line found in more
//! than `max_docs` documents is removed from every document but the first (in input order)
//! that contains it. Blank lines are left alone; a line repeated inside one document counts
//! once. A document left with no non-blank line is removed with reason
//! `all_lines_duplicated`; the `lines_removed` counter counts dropped lines.
//! Reference: CCNet's `dedup.py` (hash of the normalised line, all copies removed) and Dolma's
//! paragraph dedup (bloom filter, first copy kept); we keep the first copy like Dolma and make
//! the document count a parameter.
//!
//! Memory: an exact counter of up to `memory_mb` worth of distinct lines (about 32 bytes each);
//! lines first seen after it is full are not tracked (never removed) and counted in
//! `lines_untracked`, so memory stays bounded and no line is removed on a guess.
//!
//! ```
//! use sapu::dedup::LineDedupConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig};
//! use sapu::{Document, Outcome, StageStats};
//! let Ok(Stage::Corpus(mut s)) = LineDedupConfig::default().build(&BuildContext::default())
//! else { panic!() };
//! let docs = [Document::new("a", "Berita satu\nBaca juga:"), Document::new("b", "Berita dua\nBaca juga:")];
//! let mut st = StageStats::default();
//! s.observe(0, &docs, &mut st).unwrap();
//! s.finish(&mut st).unwrap();
//! let Outcome::Keep(b) = s.decide(1, docs[1].clone(), &mut st) else { panic!() };
//! assert_eq!(b.text, "Berita dua");
//! ```

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, CorpusStage, Stage, StageConfig, StageError, StageKind,
};
use crate::text::lines;
use crate::text::normalize::{normalize_into, Normalization};
use crate::StageStats;

/// Bytes per tracked line, for the budget (key, first document, count, hash map overhead).
const BYTES_PER_LINE: usize = 32;

/// The recipe table of `line_dedup`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LineDedupConfig {
    /// A line may appear in at most this many documents; beyond, it is removed from all but
    /// the first. At least 1; default 1 (every repeat goes, as in CCNet and Dolma).
    pub max_docs: u32,
    /// Memory for the line counter, in MiB (about 32 bytes per distinct line). Default 1024.
    pub memory_mb: usize,
    /// Normalisation of a line before hashing (datatrove's steps, all on by default).
    pub normalize: Normalization,
}

impl Default for LineDedupConfig {
    fn default() -> Self {
        LineDedupConfig {
            max_docs: 1,
            memory_mb: 1024,
            normalize: Normalization::default(),
        }
    }
}

/// Why `line_dedup` removes a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Every non-blank line was removed as a repeat of an earlier document's line.
    AllLinesDuplicated,
}

impl Reason {
    /// The reason code.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::AllLinesDuplicated => "all_lines_duplicated",
        }
    }
}

/// The built stage.
pub struct LineDedup {
    max_docs: u32,
    capacity: usize,
    normalize: Normalization,
    /// Line hash -> (first document, documents containing it, saturating).
    counts: HashMap<u64, (u32, u32)>,
    next: u32,
    base: Option<u64>,
}

impl StageConfig for LineDedupConfig {
    const NAME: &'static str = "line_dedup";
    const SUMMARY: &'static str =
        "remove lines found in more than `max_docs` documents from all but the first";
    const REASONS: &'static [&'static str] = &["all_lines_duplicated"];
    const KIND: StageKind = StageKind::Corpus;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let mut p = Vec::new();
        if self.max_docs == 0 {
            p.push(ConfigProblem::key(
                "max_docs",
                "`max_docs` must be at least 1 (got 0)",
            ));
        }
        if self.memory_mb == 0 {
            p.push(ConfigProblem::key(
                "memory_mb",
                "`memory_mb` must be at least 1 (got 0)",
            ));
        }
        if !p.is_empty() {
            return Err(p);
        }
        Ok(Stage::Corpus(Box::new(LineDedup {
            max_docs: self.max_docs,
            capacity: self.memory_mb.saturating_mul(1 << 20) / BYTES_PER_LINE,
            normalize: self.normalize,
            counts: HashMap::new(),
            next: 0,
            base: None,
        })))
    }
}

impl LineDedup {
    /// The hash of each line (None for a line blank after normalisation).
    fn line_keys(&self, text: &str, buf: &mut String) -> Vec<Option<u64>> {
        lines(text)
            .map(|l| {
                normalize_into(l, &self.normalize, buf);
                (!buf.trim().is_empty()).then(|| xxh3_64(buf.as_bytes()))
            })
            .collect()
    }
}

impl CorpusStage for LineDedup {
    fn name(&self) -> &'static str {
        LineDedupConfig::NAME
    }

    fn observe(
        &mut self,
        first: u64,
        docs: &[Document],
        stats: &mut StageStats,
    ) -> Result<(), StageError> {
        self.base.get_or_insert(first);
        let per_doc: Vec<Vec<u64>> = docs
            .par_iter()
            .map_init(String::new, |buf, d| {
                let mut keys: Vec<u64> =
                    self.line_keys(&d.text, buf).into_iter().flatten().collect();
                keys.sort_unstable();
                keys.dedup();
                keys
            })
            .collect();
        let mut untracked = 0;
        for keys in per_doc {
            let doc = self.next;
            self.next += 1;
            for k in keys {
                if let Some(e) = self.counts.get_mut(&k) {
                    e.1 = e.1.saturating_add(1);
                } else if self.counts.len() < self.capacity {
                    self.counts.insert(k, (doc, 1));
                } else {
                    untracked += 1;
                }
            }
        }
        stats.add("lines_untracked", untracked);
        Ok(())
    }

    fn finish(&mut self, stats: &mut StageStats) -> Result<(), StageError> {
        let max = self.max_docs;
        self.counts.retain(|_, e| e.1 > max);
        stats.add("repeated_lines", self.counts.len() as u64);
        Ok(())
    }

    fn decide(&self, ordinal: u64, mut doc: Document, stats: &mut StageStats) -> Outcome {
        let i = (ordinal - self.base.unwrap_or(0)) as u32;
        let keys = self.line_keys(&doc.text, &mut String::new());
        let drop = |k: &Option<u64>| {
            k.and_then(|k| self.counts.get(&k))
                .is_some_and(|e| e.0 != i)
        };
        let removed = keys.iter().filter(|k| drop(k)).count();
        if removed == 0 {
            return Outcome::Keep(doc);
        }
        stats.add("lines_removed", removed as u64);
        let kept: Vec<&str> = lines(&doc.text)
            .zip(&keys)
            .filter(|(_, k)| !drop(k))
            .map(|(l, _)| l)
            .collect();
        if keys.iter().all(|k| k.is_none() || drop(k)) {
            return Outcome::remove(doc, Reason::AllLinesDuplicated.code());
        }
        doc.text = kept.join("\n").trim_matches('\n').to_string();
        Outcome::Keep(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: &LineDedupConfig, texts: &[&str]) -> Vec<String> {
        let Ok(Stage::Corpus(mut s)) = config.build(&BuildContext::default()) else {
            panic!("builds")
        };
        let docs: Vec<Document> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Document::new(format!("d{i}"), *t))
            .collect();
        let mut st = StageStats::default();
        for (k, chunk) in docs.chunks(2).enumerate() {
            s.observe(k as u64 * 2, chunk, &mut st).unwrap();
        }
        s.finish(&mut st).unwrap();
        docs.into_iter()
            .enumerate()
            .map(|(i, d)| match s.decide(i as u64, d, &mut st) {
                Outcome::Keep(d) => d.text,
                Outcome::Remove(_, r) => format!("<{r}>"),
            })
            .collect()
    }

    #[test]
    fn removes_repeated_lines_from_all_but_the_first_document() {
        let texts = [
            "Berita A\nBaca juga: X\nBaca juga: X",
            "Berita B\nBACA JUGA: x!",
            "Baca juga: X",
            "Berita C",
        ];
        assert_eq!(
            run(&LineDedupConfig::default(), &texts),
            [
                "Berita A\nBaca juga: X\nBaca juga: X",
                "Berita B",
                "<all_lines_duplicated>",
                "Berita C",
            ]
        );
    }

    #[test]
    fn keeps_lines_at_max_docs_and_removes_above() {
        let config = LineDedupConfig {
            max_docs: 2,
            ..LineDedupConfig::default()
        };
        assert_eq!(
            run(&config, &["a\nfooter", "b\nfooter"]),
            ["a\nfooter", "b\nfooter"]
        );
        assert_eq!(
            run(&config, &["a\nfooter", "b\nfooter", "c\n\nfooter"]),
            ["a\nfooter", "b", "c"]
        );
    }

    #[test]
    fn untracked_lines_are_never_removed() {
        let mut s = LineDedup {
            max_docs: 1,
            capacity: 1,
            normalize: Normalization::default(),
            counts: HashMap::new(),
            next: 0,
            base: None,
        };
        let docs = [Document::new("a", "x\ny"), Document::new("b", "x\ny")];
        let mut st = StageStats::default();
        s.observe(0, &docs, &mut st).unwrap();
        s.finish(&mut st).unwrap();
        assert_eq!(st.0["lines_untracked"], 2);
        let Outcome::Keep(b) = s.decide(1, docs[1].clone(), &mut st) else {
            panic!()
        };
        assert_eq!(
            b.text, "x",
            "y was tracked (hash order), x not: only y goes"
        );
    }

    #[test]
    fn rejects_zero_max_docs() {
        let config = LineDedupConfig {
            max_docs: 0,
            ..LineDedupConfig::default()
        };
        let Err(p) = config.build(&BuildContext::default()) else {
            panic!()
        };
        assert_eq!(p[0].message, "`max_docs` must be at least 1 (got 0)");
    }
}
