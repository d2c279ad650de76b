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
