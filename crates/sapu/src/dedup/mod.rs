//! dedup/: have we seen this document, or one almost like it, or this line, before?
//!
//! Three corpus stages, in pipeline order: [`ExactDedupConfig`] (`exact_dedup`, same normalised
//! text), [`MinHashDedupConfig`] (`minhash_dedup`, near-duplicates by MinHash-LSH and verified
//! Jaccard) and [`LineDedupConfig`] (`line_dedup`, lines repeated across documents). Their
//! indexes hold hashes, band keys and offsets, never text; what is needed only for a few
//! documents (ids, shingle sets) goes to a [`RecordStore`] that spills to disk.

mod exact;
mod lines;
mod lsh;
mod minhash;
mod signature;
mod store;
mod union_find;

pub use exact::{ExactDedup, ExactDedupConfig};
pub use lines::{LineDedup, LineDedupConfig};
pub use lsh::LshIndex;
pub use minhash::{MinHashDedup, MinHashDedupConfig};
pub use signature::{jaccard_sorted, Hasher, Scratch, Sketch};
pub use store::RecordStore;
pub use union_find::UnionFind;

/// Reason codes, one enum per stage.
pub mod reason {
    pub use super::exact::Reason as Exact;
    pub use super::lines::Reason as Line;
    pub use super::minhash::Reason as MinHash;
}

#[cfg(test)]
mod tests;
