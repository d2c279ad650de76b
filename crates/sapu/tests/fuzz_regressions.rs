//! The fuzz targets' checks (fuzz/fuzz_targets/*.rs) on the committed seeds (fuzz/seeds/) and
//! on every input a fuzzer ever crashed on (tests/fixtures/fuzz/<target>/), so that a fixed
//! crash stays fixed without a nightly toolchain.

use std::fs;
use std::path::{Path, PathBuf};

use sapu::fuzz_checks::{clean_stage, html_extract, jsonl_reader, warc_reader};

/// The inputs for one target: its seeds and its crash fixtures, in name order.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dirs = [
        root.join("../../fuzz/seeds").join(target),
        root.join("tests/fixtures/fuzz").join(target),
    ];
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for p in paths.into_iter().filter(|p| p.is_file()) {
            let bytes = fs::read(&p).unwrap();
            out.push((p, bytes));
        }
    }
    out
}

fn check(target: &str, f: fn(&[u8])) {
    let all = inputs(target);
    assert!(!all.is_empty(), "no seeds for {target}");
    for (path, bytes) in all {
        let r = std::panic::catch_unwind(|| f(&bytes));
        assert!(r.is_ok(), "{target} fails on {}", path.display());
    }
}

#[test]
fn jsonl_reader_seeds_and_crashes() {
    check("jsonl_reader", jsonl_reader);
}

#[test]
fn warc_reader_seeds_and_crashes() {
    check("warc_reader", warc_reader);
}

#[test]
fn html_extract_seeds_and_crashes() {
    check("html_extract", html_extract);
}

#[test]
fn clean_stage_seeds_and_crashes() {
    check("clean_stage", clean_stage);
}
