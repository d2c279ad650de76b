//! Checkpoints: how far a run got, saved atomically at batch boundaries so `--resume` can
//! continue exactly there.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{RunOptions, Summary};
use crate::config::Recipe;
use crate::write::{self, WriterState};
use crate::Error;

/// The next record to process: in the input phase, record number `record` (1-based count of
/// records already consumed) of input file `file`; in a spill phase, `record` spilled
/// documents already consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub(crate) file: u64,
    pub(crate) record: u64,
}

/// Everything needed to continue a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Checkpoint {
    pub(crate) fingerprint: String,
    pub(crate) phase: usize,
    pub(crate) position: Position,
    pub(crate) kept: WriterState,
    pub(crate) removed: WriterState,
    pub(crate) spill: Option<WriterState>,
    pub(crate) summary: Summary,
}

fn path(out: &Path) -> PathBuf {
    out.join(".sapu-tmp").join("checkpoint.json")
}

/// What must not change between a run and its resumption: the recipe, the inputs, and the
/// batching (which fixes where checkpoints fall).
pub(crate) fn fingerprint(recipe: &Recipe, inputs: &[PathBuf], opts: &RunOptions) -> String {
    let mut text = recipe.source.clone();
    for i in inputs {
        text.push('\0');
        text.push_str(&i.display().to_string());
    }
    text.push_str(&format!(
        "\0{}\0{}\0{}",
        opts.batch_docs, opts.batch_bytes, opts.checkpoint_batches
    ));
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

pub(crate) fn save(out: &Path, c: &Checkpoint) -> Result<(), Error> {
    let json = serde_json::to_vec(c).expect("serialising a checkpoint");
    let p = path(out);
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir).map_err(Error::output)?;
    }
    write::write_atomic(&p, &json).map_err(Error::output)
}

/// The checkpoint to resume from: `None` when the output folder holds no run at all (the run
/// starts afresh); an error when it holds a finished run, or one of another recipe or input.
pub(crate) fn load(out: &Path, fingerprint: &str) -> Result<Option<Checkpoint>, Error> {
    let p = path(out);
    let bytes = match std::fs::read(&p) {
        Ok(b) => b,
        Err(_) if out.join("summary.json").exists() => {
            return Err(Error::Other(format!(
                "{}: this run is already complete (summary.json exists); nothing to resume",
                out.display()
            )))
        }
        Err(_) => return Ok(None),
    };
    let c: Checkpoint = serde_json::from_slice(&bytes).map_err(|e| {
        Error::Other(format!(
            "{}: unreadable checkpoint ({e}); rerun with --overwrite",
            p.display()
        ))
    })?;
    if c.fingerprint != fingerprint {
        return Err(Error::Other(format!(
            "{}: the interrupted run used another recipe, other inputs or other batch sizes; \
             resume with the same ones, or rerun with --overwrite",
            out.display()
        )));
    }
    Ok(Some(c))
}
