//! The fuzz targets' checks (fuzz/fuzz_targets/*.rs) on the committed seeds (fuzz/seeds/) and
//! on every input a fuzzer ever crashed on (tests/fixtures/fuzz/<target>/), so that a fixed
//! crash stays fixed without a nightly toolchain.

use std::fs;
use std::path::{Path, PathBuf};

use sapu::clean::{Clean, CleanConfig};
use sapu::config::InputConfig;
use sapu::extract::{Extract, ExtractConfig};
use sapu::read::{decode_html, read_stream, Compression, Format, Record};
use sapu::{DocStage, Document, Outcome, StageStats};

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

fn jsonl_reader(data: &[u8]) {
    let cfg = InputConfig {
        max_record_bytes: 4096,
        ..InputConfig::default()
    };
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    read_stream(
        "fuzz.jsonl",
        Format::Json,
        Compression::None,
        input,
        &cfg,
        &mut |r| match r.resolve(&cfg) {
            Record::Doc(_) | Record::Skipped { .. } => {}
            Record::Bad { issue, .. } => assert!(!issue.code.is_empty()),
            Record::Pending(_) => panic!("resolve left a pending line"),
        },
    );
}

fn warc_reader(data: &[u8]) {
    let cfg = InputConfig::default();
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    let mut ended = false;
    read_stream(
        "fuzz.warc",
        Format::Warc,
        Compression::None,
        input,
        &cfg,
        &mut |r| {
            assert!(!ended, "a record after the damage that ends the file");
            if let Record::Bad { issue, .. } = r {
                ended = issue.code != "record_too_long";
            }
        },
    );
}

fn html_extract(data: &[u8]) {
    let (html, _) = decode_html(data, None);
    let mut doc = Document::new("fuzz".to_string(), html);
    doc.metadata
        .insert("content_type".into(), serde_json::json!("text/html"));
    let stage = Extract::new(&ExtractConfig::default());
    if let Outcome::Keep(d) = stage.process(doc, &mut StageStats::default()) {
        assert!(!d.text.is_empty());
    }
}

fn clean_stage(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let stage = Clean::new(&CleanConfig::default()).unwrap();
    match stage.process(Document::new("fuzz", text), &mut StageStats::default()) {
        Outcome::Keep(d) => assert!(d.metadata.contains_key("clean")),
        Outcome::Remove(..) => panic!("clean never removes a document"),
    }
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
