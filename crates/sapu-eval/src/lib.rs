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

/// A small deterministic generator (SplitMix64) for building evaluation corpora and synthetic
/// inputs reproducibly: the same seed gives the same corpus on every machine.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One element of a non-empty slice.
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// CPU seconds the calling thread has used: speed figures on a shared, loaded machine are
/// measured in CPU time, which other processes do not inflate the way they do wall time.
pub fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_THREAD_CPUTIME_ID is supported on
    // Linux; the call only writes to `ts`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

#[cfg(test)]
mod rng_tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_below_stays_in_range() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        let xs: Vec<usize> = (0..100).map(|_| a.below(10)).collect();
        let ys: Vec<usize> = (0..100).map(|_| b.below(10)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|&x| x < 10));
        assert!(xs.iter().any(|&x| x != xs[0]));
        assert_eq!(Rng(1).below(0), 0);
    }
}
