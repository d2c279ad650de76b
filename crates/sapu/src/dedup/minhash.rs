//! `minhash_dedup`: removes near-duplicate documents, keeping one per cluster.
//!
//! Each document's word n-grams (normalised text, datatrove's 5-grams) get a MinHash signature;
//! LSH banding finds candidate pairs; each candidate pair is verified by the exact Jaccard
//! similarity of the two shingle sets (on by default) and links the two documents when it
//! reaches `threshold` (union-find components). Inside a component, documents are taken in
//! the order of the survivor rule (first in input order by default): each joins the first
//! cluster whose kept document, and (`linkage = "complete"`, the default) every member, it is
//! verified against; otherwise it is kept and starts a cluster. So a chain A ~ B ~ C never
//! removes C for A, and every pair inside a cluster is a verified near-duplicate. Kept
//! documents get `metadata.cluster_id` (their own id) and `metadata.cluster_size`; the others
//! are removed with reason `near_duplicate` and `metadata.duplicate_of` naming the kept one.
//!
//! Reference: datatrove's `MinhashDedupSignature/Buckets/Cluster/Filter` (14 bands x 8 rows,
//! no verification, `preset = "datatrove"` reproduces those parameters). Our defaults differ on
//! purpose: 20 bands x 6 rows catch pairs at Jaccard 0.8 with probability 0.998 (datatrove's
//! 14 x 8: 0.92), and verification removes the false candidates that more bands bring.
//!
//! Memory: per document the index keeps its band keys (`8 x bands` bytes), an offset, and for
//! `keep = "longest"`/`"metadata"` one number; the shingle sets (4 bytes per shingle, for
//! verification) and ids are held in memory up to `memory_mb`, beyond it in a temporary file.
//!
//! ```
//! use sapu::dedup::MinHashDedupConfig;
//! use sapu::stage::{BuildContext, Stage, StageConfig};
//! use sapu::{Document, Outcome, StageStats};
//! let Ok(Stage::Corpus(mut s)) = MinHashDedupConfig::default().build(&BuildContext::default())
//! else { panic!() };
//! let text = "satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas dua belas";
//! let docs = [Document::new("a", text), Document::new("b", format!("{text}!"))];
//! let mut st = StageStats::default();
//! s.observe(0, &docs, &mut st).unwrap();
//! s.finish(&mut st).unwrap();
//! assert!(matches!(s.decide(0, docs[0].clone(), &mut st), Outcome::Keep(_)));
//! assert_eq!(s.decide(1, docs[1].clone(), &mut st).reason(), Some("near_duplicate"));
//! ```

use std::collections::HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lsh::LshIndex;
use super::signature::{jaccard_sorted, Hasher, Scratch, Sketch};
use super::store::RecordStore;
use super::union_find::UnionFind;
use crate::doc::{Document, Outcome};
use crate::stage::{
    BuildContext, ConfigProblem, CorpusStage, Stage, StageConfig, StageError, StageKind,
};
use crate::text::normalize::Normalization;
use crate::StageStats;

/// The recipe table of `minhash_dedup`. Defaults: sapu's accuracy-tuned parameters (see the
/// module doc); `preset = "datatrove"` switches to datatrove's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MinHashDedupConfig {
    /// Parameter set: `"sapu"` (the fields below) or `"datatrove"` (14 bands x 8 rows, word
    /// 5-grams, 64-bit values from 112 permutations, no verification; overrides `bands`,
    /// `rows`, `ngram`, `signature_bits`, `sketch` and `verify`).
    pub preset: String,
    /// Jaccard similarity at or above which two documents are duplicates (verification
    /// cut-off). Range (0, 1]; default 0.8.
    pub threshold: f64,
    /// Words per shingle. At least 1; default 5.
    pub ngram: usize,
    /// LSH bands. At least 1; default 20.
    pub bands: usize,
    /// Signature values per band (permutations = `bands x rows`). At least 1; default 6.
    pub rows: usize,
    /// Seed of the hash functions (change it to draw other permutations). Default 1.
    pub seed: u64,
    /// Width of the signature values: 32 (default, about 6x faster on AVX2) or 64 (datatrove's
    /// precision; the `datatrove` preset sets it; needs `sketch = "permutations"`). Shingle
    /// hashes are 64-bit either way.
    pub signature_bits: u32,
    /// How the signature values are drawn: `"bins"` (default: one-permutation hashing, each
    /// shingle hashed once into one of the `bands x rows` bins, empty bins filled by their own
    /// permutation; same collision probability, about 1.3x faster signing on news articles) or
    /// `"permutations"` (one hash function per value, classic MinHash, the version before
    /// session 7). See `docs/dedup.md`.
    pub sketch: String,
    /// Check each candidate pair's exact shingle Jaccard against `threshold`. Default true.
    pub verify: bool,
    /// Which document of a cluster is kept: `"first"` in input order, `"longest"` text, or
    /// `"metadata"`: highest numeric `metadata[keep_field]` (missing counts lowest). Ties go to
    /// the first. Default `"first"`.
    pub keep: String,
    /// The metadata field for `keep = "metadata"`. Default empty.
    pub keep_field: String,
    /// Who may share a cluster (with `verify`): `"complete"` (default): a document joins a
    /// cluster only when it is a near-duplicate of every member, so every pair inside a
    /// cluster is one; `"star"`: a near-duplicate of the kept document is enough (more
    /// documents removed, but two removed members of one cluster may be further apart).
    pub linkage: String,
    /// Shingle sets and ids held in memory, in MiB, before the rest goes to a temporary file.
    /// Default 1024.
    pub memory_mb: usize,
    /// Text normalisation before shingling (datatrove's steps, all on by default).
    pub normalize: Normalization,
}

impl Default for MinHashDedupConfig {
    fn default() -> Self {
        MinHashDedupConfig {
            preset: "sapu".into(),
            threshold: 0.8,
            ngram: 5,
            bands: 20,
            rows: 6,
            seed: 1,
            signature_bits: 32,
            sketch: "bins".into(),
            verify: true,
            keep: "first".into(),
            keep_field: String::new(),
            linkage: "complete".into(),
            memory_mb: 1024,
            normalize: Normalization::default(),
        }
    }
}

/// Why `minhash_dedup` removes a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// In a cluster of near-duplicates (Jaccard >= `threshold`, verified unless `verify` is
    /// off) whose kept document is another one.
    NearDuplicate,
}

impl Reason {
    /// The reason code.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::NearDuplicate => "near_duplicate",
        }
    }
}

/// Survivor rule, parsed from `keep`.
#[derive(Debug, Clone, PartialEq)]
enum Keep {
    First,
    Longest,
    Metadata(String),
}

/// Cluster membership rule, parsed from `linkage`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Linkage {
    Complete,
    Star,
}

/// The built stage.
pub struct MinHashDedup {
    hasher: Hasher,
    threshold: f64,
    verify: bool,
    keep: Keep,
    linkage: Linkage,
    index: LshIndex,
    store: RecordStore,
    /// Text length (longest) or metadata value (metadata), per document, for the survivor rule.
    weight: Vec<f64>,
    /// Ordinal of the first document observed.
    base: Option<u64>,
    decided: Decided,
}

/// Decisions, filled in by `finish`.
#[derive(Default)]
struct Decided {
    /// Per document, the index of its cluster's kept document.
    survivor: Vec<u32>,
    /// Per kept document, its cluster size (0 for documents not kept).
    size: Vec<u32>,
    /// Ids of kept documents of clusters of two or more.
    ids: HashMap<u32, String>,
}

impl MinHashDedupConfig {
    /// The parameters in force after applying the preset: (ngram, bands, rows, verify, bits,
    /// sketch).
    fn effective(&self) -> (usize, usize, usize, bool, u32, Sketch) {
        if self.preset == "datatrove" {
            (5, 14, 8, false, 64, Sketch::Permutations)
        } else {
            let sketch = if self.sketch == "permutations" {
                Sketch::Permutations
            } else {
                Sketch::Bins
            };
            (
                self.ngram,
                self.bands,
                self.rows,
                self.verify,
                self.signature_bits,
                sketch,
            )
        }
    }

    fn problems(&self) -> Vec<ConfigProblem> {
        let mut p = Vec::new();
        if !matches!(self.preset.as_str(), "sapu" | "datatrove") {
            p.push(ConfigProblem::key(
                "preset",
                format!(
                    "`preset` must be `sapu` or `datatrove` (got `{}`)",
                    self.preset
                ),
            ));
        }
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            p.push(ConfigProblem::key(
                "threshold",
                format!("`threshold` must be in (0, 1] (got {})", self.threshold),
            ));
        }
        for (key, v) in [
            ("ngram", self.ngram),
            ("bands", self.bands),
            ("rows", self.rows),
        ] {
            if v == 0 {
                p.push(ConfigProblem::key(
                    key,
                    format!("`{key}` must be at least 1 (got 0)"),
                ));
            }
        }
        if self.bands.saturating_mul(self.rows) > 4096 {
            p.push(ConfigProblem::key(
                "bands",
                format!(
                    "`bands` x `rows` must be at most 4096 (got {})",
                    self.bands.saturating_mul(self.rows)
                ),
            ));
        }
        if !matches!(self.signature_bits, 32 | 64) {
            p.push(ConfigProblem::key(
                "signature_bits",
                format!(
                    "`signature_bits` must be 32 or 64 (got {})",
                    self.signature_bits
                ),
            ));
        }
        match self.sketch.as_str() {
            "permutations" => {}
            "bins" if self.signature_bits == 32 || self.preset == "datatrove" => {}
            "bins" => p.push(ConfigProblem::key(
                "sketch",
                format!(
                    "`sketch = \"bins\"` works with 32-bit values: set `signature_bits = 32` or `sketch = \"permutations\"` (got `signature_bits = {}`)",
                    self.signature_bits
                ),
            )),
            other => p.push(ConfigProblem::key(
                "sketch",
                format!("`sketch` must be `bins` or `permutations` (got `{other}`)"),
            )),
        }
        match self.keep.as_str() {
            "first" | "longest" => {}
            "metadata" if !self.keep_field.is_empty() => {}
            "metadata" => p.push(ConfigProblem::key(
                "keep_field",
                "`keep = \"metadata\"` needs `keep_field` (the metadata field to rank by)",
            )),
            other => p.push(ConfigProblem::key(
                "keep",
                format!("`keep` must be `first`, `longest` or `metadata` (got `{other}`)"),
            )),
        }
        if !matches!(self.linkage.as_str(), "complete" | "star") {
            p.push(ConfigProblem::key(
                "linkage",
                format!(
                    "`linkage` must be `complete` or `star` (got `{}`)",
                    self.linkage
                ),
            ));
        }
        p
    }
}

impl StageConfig for MinHashDedupConfig {
    const NAME: &'static str = "minhash_dedup";
    const SUMMARY: &'static str =
        "remove near-duplicate documents (MinHash-LSH, verified Jaccard), one kept per cluster";
    const REASONS: &'static [&'static str] = &["near_duplicate"];
    const KIND: StageKind = StageKind::Corpus;

    fn build(&self, _ctx: &BuildContext) -> Result<Stage, Vec<ConfigProblem>> {
        let p = self.problems();
        if !p.is_empty() {
            return Err(p);
        }
        let store = RecordStore::create(self.memory_mb.saturating_mul(1 << 20))
            .map_err(|e| vec![ConfigProblem::key("memory_mb", e)])?;
        Ok(Stage::Corpus(Box::new(MinHashDedup::with_store(
            self, store,
        ))))
    }
}

impl MinHashDedup {
    /// The stage for a validated config, its shingle sets and ids in `store`.
    pub fn with_store(c: &MinHashDedupConfig, store: RecordStore) -> Self {
        let (ngram, bands, rows, verify, bits, sketch) = c.effective();
        let keep = match c.keep.as_str() {
            "longest" => Keep::Longest,
            "metadata" => Keep::Metadata(c.keep_field.clone()),
            _ => Keep::First,
        };
        MinHashDedup {
            hasher: Hasher::with_bits(bands * rows, ngram, c.seed, c.normalize, bits)
                .with_sketch(sketch),
            threshold: c.threshold,
            verify,
            keep,
            linkage: if c.linkage == "star" {
                Linkage::Star
            } else {
                Linkage::Complete
            },
            index: LshIndex::new(bands, rows),
            store,
            weight: Vec::new(),
            base: None,
            decided: Decided::default(),
        }
    }

    fn weight_of(&self, doc: &Document) -> f64 {
        match &self.keep {
            Keep::First => 0.0,
            Keep::Longest => doc.text.len() as f64,
            Keep::Metadata(f) => doc
                .metadata
                .get(f)
                .and_then(Value::as_f64)
                .unwrap_or(f64::NEG_INFINITY),
        }
    }

    /// The verification candidates of one band's groups: each member against the group's
    /// first, skipping pairs already in one cluster.
    fn candidates(groups: &[Vec<u32>], uf: &mut UnionFind) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for g in groups {
            for &m in &g[1..] {
                if uf.find(m) != uf.find(g[0]) {
                    out.push((g[0], m));
                }
            }
        }
        out
    }

    fn similar(&self, x: u32, y: u32) -> Result<bool, StageError> {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        self.store.values(x as usize, &mut a)?;
        self.store.values(y as usize, &mut b)?;
        Ok(!a.is_empty() && !b.is_empty() && jaccard_sorted(&a, &b) >= self.threshold)
    }

    /// Verify `pairs` in parallel, then join the passing ones in order; returns the failures
    /// (an error if the shingle sets cannot be read back from the spill file).
    fn verify_and_join(
        &self,
        pairs: Vec<(u32, u32)>,
        uf: &mut UnionFind,
        stats: &mut StageStats,
    ) -> Result<Vec<(u32, u32)>, StageError> {
        let ok: Vec<bool> = pairs
            .par_iter()
            .map(|&(x, y)| self.similar(x, y))
            .collect::<Result<_, _>>()?;
        stats.add("candidates_verified", pairs.len() as u64);
        let mut failed = Vec::new();
        for (&(x, y), ok) in pairs.iter().zip(ok) {
            if ok {
                uf.union(x, y);
            } else {
                failed.push((x, y));
            }
        }
        stats.add("candidates_rejected", failed.len() as u64);
        Ok(failed)
    }

    fn cluster(&mut self, stats: &mut StageStats) -> Result<UnionFind, StageError> {
        let mut uf = UnionFind::new(self.index.len());
        for band in 0..self.index.bands() {
            let groups = self.index.groups(band);
            if !self.verify {
                for g in &groups {
                    for &m in &g[1..] {
                        uf.union(g[0], m);
                    }
                }
                continue;
            }
            let pairs = Self::candidates(&groups, &mut uf);
            let failed = self.verify_and_join(pairs, &mut uf, stats)?;
            // Members that failed against their group's first may still match each other:
            // check them against the first of them (one more round, bounded by the group).
            let mut second = Vec::new();
            let mut i = 0;
            while i < failed.len() {
                let mut j = i + 1;
                while j < failed.len() && failed[j].0 == failed[i].0 {
                    j += 1;
                }
                let rep = failed[i].1;
                for &(_, m) in &failed[i + 1..j] {
                    if uf.find(m) != uf.find(rep) {
                        second.push((rep, m));
                    }
                }
                i = j;
            }
            self.verify_and_join(second, &mut uf, stats)?;
        }
        Ok(uf)
    }
}

impl MinHashDedup {
    /// Whether `x` ranks before `y` as the document to keep.
    fn ranks_before(&self, x: u32, y: u32) -> bool {
        match self.keep {
            Keep::First => x < y,
            _ => {
                let (wx, wy) = (self.weight[x as usize], self.weight[y as usize]);
                wx > wy || (wx == wy && x < y)
            }
        }
    }

    /// Without verification (datatrove): a whole connected component is one cluster, its
    /// best-ranked document kept.
    fn best_of_components(&self, roots: &[u32]) -> Vec<u32> {
        let mut best: Vec<u32> = (0..roots.len() as u32).collect();
        for (i, &r) in roots.iter().enumerate() {
            if self.ranks_before(i as u32, best[r as usize]) {
                best[r as usize] = i as u32;
            }
        }
        roots.iter().map(|&r| best[r as usize]).collect()
    }

    /// With verification: inside each component, documents are taken in rank order; each
    /// joins the first cluster (clusters in the rank order of their kept documents) whose kept
    /// document it verifies against (exact Jaccard >= `threshold`) and, with complete linkage,
    /// every member of which it verifies against too; a document joining none starts a cluster
    /// of its own and is kept. Every removed document is thus verified against the one it
    /// names in `duplicate_of` (a chain A ~ B ~ C with A !~ C keeps C), and with complete
    /// linkage every pair inside a cluster is a near-duplicate. Components are independent, so
    /// they run in parallel with the same result. Returns the survivor of every document and
    /// the number of member checks skipped by [`MEMBER_CHECKS`] (an error if the shingle sets
    /// cannot be read back from the spill file).
    fn stars(&self, roots: &[u32]) -> Result<(Vec<u32>, u64), StageError> {
        let mut survivor: Vec<u32> = (0..roots.len() as u32).collect();
        let mut size = vec![0u32; roots.len()];
        for &r in roots {
            size[r as usize] += 1;
        }
        // (component root, member) for components of two or more, grouped by root.
        let mut members: Vec<(u32, u32)> = roots
            .iter()
            .enumerate()
            .filter(|&(_, &r)| size[r as usize] > 1)
            .map(|(i, &r)| (r, i as u32))
            .collect();
        drop(size);
        members.sort_unstable();
        let components: Vec<&[(u32, u32)]> = members.chunk_by(|a, b| a.0 == b.0).collect();
        let assigned: Vec<(Vec<(u32, u32)>, u64)> = components
            .par_iter()
            .map(|c| {
                let mut docs: Vec<u32> = c.iter().map(|p| p.1).collect();
                docs.sort_by(|&x, &y| {
                    if self.ranks_before(x, y) {
                        std::cmp::Ordering::Less
                    } else if self.ranks_before(y, x) {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Equal
                    }
                });
                let sets: Vec<Vec<u32>> = docs
                    .iter()
                    .map(|&d| {
                        let mut v = Vec::new();
                        self.store.values(d as usize, &mut v).map(|()| v)
                    })
                    .collect::<Result<_, _>>()?;
                Ok(self.greedy_clusters(&docs, &sets))
            })
            .collect::<Result<_, StageError>>()?;
        let mut unchecked = 0;
        for (pairs, skipped) in assigned {
            unchecked += skipped;
            for (doc, centre) in pairs {
                survivor[doc as usize] = centre;
            }
        }
        Ok((survivor, unchecked))
    }

    /// The clusters of one component, `docs` in rank order with their shingle `sets`: pairs
    /// (document, its kept document), and the member checks skipped.
    fn greedy_clusters(&self, docs: &[u32], sets: &[Vec<u32>]) -> (Vec<(u32, u32)>, u64) {
        /// A cluster: its kept document and members, each with its Jaccard to the kept one
        /// (indexes into `docs`).
        struct Cluster {
            centre: usize,
            members: Vec<(usize, f64)>,
        }
        let t = self.threshold;
        let mut clusters: Vec<Cluster> = Vec::new();
        let mut out = Vec::with_capacity(docs.len());
        let mut skipped = 0u64;
        for b in 0..docs.len() {
            let mut home = None;
            if !sets[b].is_empty() {
                for (k, c) in clusters.iter().enumerate() {
                    let x = jaccard_sorted(&sets[c.centre], &sets[b]);
                    if x < t {
                        continue;
                    }
                    if self.linkage == Linkage::Complete {
                        let (fits, s) = fits_all(&c.members, sets, b, x, t);
                        skipped += s;
                        if !fits {
                            continue;
                        }
                    }
                    home = Some((k, x));
                    break;
                }
            }
            match home {
                Some((k, x)) => {
                    clusters[k].members.push((b, x));
                    out.push((docs[b], docs[clusters[k].centre]));
                }
                None => {
                    clusters.push(Cluster {
                        centre: b,
                        members: Vec::new(),
                    });
                    out.push((docs[b], docs[b]));
                }
            }
        }
        (out, skipped)
    }
}

/// Explicit member checks per document and cluster under complete linkage; members beyond them
/// are not checked (counted as `linkage_unchecked`), so a cluster of thousands of documents
/// that are each near the kept one but not near enough to each other costs linear, not
/// quadratic, time.
const MEMBER_CHECKS: usize = 64;

/// Whether document `b`, at Jaccard `x` to a cluster's kept document, is a near-duplicate of
/// each of its `members` (at their Jaccard to the kept one), and the member checks skipped.
/// Jaccard distance is a metric, so `J(b, m) >= x + y - 1`: a member with `x + y >= 1 + t` needs
/// no check (exact duplicates of the kept document never do).
fn fits_all(members: &[(usize, f64)], sets: &[Vec<u32>], b: usize, x: f64, t: f64) -> (bool, u64) {
    let mut checks = 0;
    for (k, &(m, y)) in members.iter().enumerate() {
        // The margin keeps rounding from ever skipping a check that could fail.
        if x + y >= 1.0 + t + 1e-9 {
            continue;
        }
        if checks == MEMBER_CHECKS {
            let left = members[k..]
                .iter()
                .filter(|&&(_, y)| x + y < 1.0 + t + 1e-9)
                .count();
            return (true, left as u64);
        }
        checks += 1;
        if jaccard_sorted(&sets[b], &sets[m]) < t {
            return (false, 0);
        }
    }
    (true, 0)
}

impl CorpusStage for MinHashDedup {
    fn name(&self) -> &'static str {
        MinHashDedupConfig::NAME
    }

    fn observe(
        &mut self,
        first: u64,
        docs: &[Document],
        _stats: &mut StageStats,
    ) -> Result<(), StageError> {
        let base = *self.base.get_or_insert(first);
        debug_assert_eq!(
            first - base,
            self.index.len() as u64,
            "ordinals are consecutive"
        );
        let hasher = &self.hasher;
        let index = &self.index;
        let start = self.index.len();
        let computed: Vec<(Vec<u64>, Vec<u32>)> = docs
            .par_iter()
            .enumerate()
            .map_init(
                || (Scratch::default(), vec![0u64; hasher.num_perm()]),
                |(scratch, sig), (k, doc)| {
                    hasher.shingles(&doc.text, scratch);
                    let mut keys = Vec::new();
                    if scratch.shingles.is_empty() {
                        index.unique_keys(start + k, &mut keys);
                    } else {
                        hasher.signature_of(scratch, sig);
                        index.band_keys(sig, &mut keys);
                    }
                    // The top 32 bits keep the order of the sorted 64-bit hashes.
                    let mut set: Vec<u32> =
                        scratch.shingles.iter().map(|h| (h >> 32) as u32).collect();
                    set.dedup();
                    (keys, set)
                },
            )
            .collect();
        for (doc, (keys, set)) in docs.iter().zip(computed) {
            self.index.push(&keys);
            let set: &[u32] = if self.verify { &set } else { &[] };
            self.store.push(&doc.id, set)?;
            if self.keep != Keep::First {
                self.weight.push(self.weight_of(doc));
            }
        }
        Ok(())
    }

    fn finish(&mut self, stats: &mut StageStats) -> Result<(), StageError> {
        let roots = self.cluster(stats)?.roots();
        let n = roots.len();
        let survivor = if self.verify {
            let (survivor, unchecked) = self.stars(&roots)?;
            stats.add("linkage_unchecked", unchecked);
            survivor
        } else {
            self.best_of_components(&roots)
        };
        let mut size = vec![0u32; n];
        for &s in &survivor {
            size[s as usize] += 1;
        }
        let mut ids = HashMap::new();
        for (i, &k) in size.iter().enumerate() {
            if k > 1 {
                ids.insert(i as u32, self.store.id(i)?);
            }
        }
        stats.add("clusters", ids.len() as u64);
        stats.add("spilled_bytes", self.store.spilled_bytes());
        self.decided = Decided {
            survivor,
            size,
            ids,
        };
        // The index, shingle sets and weights are no longer needed.
        self.index = LshIndex::new(1, 1);
        self.store = RecordStore::new(1);
        self.weight = Vec::new();
        Ok(())
    }

    fn decide(&self, ordinal: u64, mut doc: Document, _stats: &mut StageStats) -> Outcome {
        let i = (ordinal - self.base.unwrap_or(0)) as usize;
        let s = self.decided.survivor[i];
        if s as usize == i {
            let size = self.decided.size[i].max(1);
            doc.metadata
                .insert("cluster_id".into(), Value::String(doc.id.clone()));
            doc.metadata.insert("cluster_size".into(), size.into());
            return Outcome::Keep(doc);
        }
        let kept = self.decided.ids.get(&s).cloned().unwrap_or_default();
        doc.metadata
            .insert("duplicate_of".into(), Value::String(kept));
        Outcome::remove(doc, Reason::NearDuplicate.code())
    }
}

#[cfg(test)]
#[path = "minhash_tests.rs"]
mod tests;
