//! sapu turns raw web-crawled text and HTML into a clean, deduplicated, language-tagged corpus,
//! and accounts for every document it removes.
//!
//! A [`Document`] (id, text, JSON metadata) flows through a list of stages built from a TOML
//! [`Recipe`]. A [`DocStage`] decides about each document alone ([`Outcome::Keep`] or
//! [`Outcome::Remove`] with a reason code); a [`CorpusStage`] (deduplication) sees every
//! document before deciding. [`pipeline::run`] reads the inputs, runs the stages in parallel,
//! and writes `kept/`, `removed/` and `summary.json` in input order.

#![deny(missing_docs)]

pub mod clean;
pub mod config;
pub mod dedup;
pub mod doc;
pub mod extract;
pub mod filter;
#[doc(hidden)]
pub mod fuzz_checks;
pub mod langid;
pub mod pipeline;
pub mod read;
pub mod report;
pub mod stage;
pub mod text;
pub mod write;

mod error;

pub use config::Recipe;
pub use doc::{Document, Outcome, Reason};
pub use error::Error;
pub use stage::{CorpusStage, DocStage, Stage, StageError, StageStats};

#[cfg(test)]
pub(crate) mod test_rng {
    /// Knuth's MMIX linear congruential generator: a fixed stream from a seed, so randomised
    /// tests see the same cases on every run and machine without a `rand` dependency.
    pub(crate) struct Lcg(u64);

    impl Lcg {
        pub(crate) fn new(seed: u64) -> Self {
            Lcg(seed)
        }

        pub(crate) fn next_u64(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0
        }

        /// A number below `m` from the generator's high bits (the low ones have short periods).
        pub(crate) fn below(&mut self, m: usize) -> usize {
            (self.next_u64() >> 33) as usize % m
        }
    }
}
