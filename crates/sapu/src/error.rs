//! The library's error type: what stops a run (as opposed to bad input, which is counted and
//! quarantined, and removals, which are outcomes).

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::stage::StageError;

/// Why a run could not complete.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The recipe is wrong.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The output directory holds an earlier run's output.
    #[error("{}: output directory is not empty; pass --overwrite to replace its kept/, removed/ and summary.json", .0.display())]
    OutputExists(PathBuf),
    /// Writing output failed (disk full, permissions).
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    /// Writing a run's output failed midway (disk full): the output up to the last checkpoint
    /// is valid and `--resume` continues from it.
    #[error("cannot write output: {}; the run stopped, and its output up to the last checkpoint is kept: make room, then continue with the same command plus --resume (output in {})", .0, .1.display())]
    OutputStopped(std::io::Error, PathBuf),
    /// A corpus stage could not keep its state (its spill file: a full disk) and the run
    /// stopped there: the output up to the last checkpoint is valid and `--resume` continues
    /// from it, rebuilding the stage's state.
    #[error("{stage}: {error}; the run stopped, and its output up to the last checkpoint is kept: make room, then continue with the same command plus --resume (output in {})", out.display())]
    StageStopped {
        /// The stage's type name.
        stage: &'static str,
        /// What failed (names the file and the OS error).
        error: StageError,
        /// The run's output directory.
        out: PathBuf,
    },
    /// The run was asked to stop (Ctrl-C) and stopped at a checkpoint.
    #[error("interrupted; the output so far is saved: continue with the same command plus --resume (output in {})", .0.display())]
    Interrupted(PathBuf),
    /// Anything else that stops a run.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Wrap an output I/O error (its message already names the path).
    pub fn output(e: std::io::Error) -> Error {
        Error::Output(e)
    }
}
