//! Helpers shared by the evaluation and benchmark commands in `src/bin/`: locating
//! `../shared/data`, reading its JSONL (plain or gzip) files, and timing.

pub mod bench;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The shared data folder: `$SAPU_DATA`, else `../shared/data` from the workspace root.
pub fn data_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os("SAPU_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if !dir.is_dir() {
        bail!(
            "evaluation data not found at {}: set SAPU_DATA or place the shared data folder there",
            dir.display()
        );
    }
    Ok(dir)
}

/// Open a file, gunzipping when its name ends in `.gz` and un-zstd-ing for `.zst`.
pub fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let name = path.to_string_lossy();
    let r: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(f))
    } else if name.ends_with(".zst") {
        Box::new(zstd::stream::read::Decoder::new(f)?)
    } else {
        Box::new(f)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 20, r)))
}

/// Every JSON object of a JSONL file (split on `\n` only).
pub fn read_jsonl(path: &Path) -> Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for (i, line) in open(path)?.split(b'\n').enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.push(
            serde_json::from_slice(&line)
                .with_context(|| format!("{}:{}: invalid JSON", path.display(), i + 1))?,
        );
    }
    Ok(out)
}

/// The median of some measurements.
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    if xs.is_empty() {
        return f64::NAN;
    }
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}
