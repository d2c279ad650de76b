//! The dedup stages through the engine: same survivors and same output bytes whatever the
//! thread count and batch size.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Recipe;
use crate::pipeline::{run, Progress, RunOptions};

const RECIPE: &str = r#"
[[stages]]
type = "exact_dedup"

[[stages]]
type = "minhash_dedup"
"#;

fn corpus() -> String {
    let base: Vec<String> = (0..80)
        .map(|i| format!("kata{}", letters(i * 7 + 3)))
        .collect();
    let other: Vec<String> = (0..80)
        .map(|i| format!("lain{}", letters(i * 11 + 5)))
        .collect();
    let mut near = base.clone();
    near[40] = "berubah".into();
    let texts = [
        base.join(" "),
        other.join(" "),
        format!("{}  ", base.join(" ")), // exact copy up to spacing
        near.join(" "),                  // near copy, J = 71/81
        other.join(" "),                 // exact copy
    ];
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{{\"id\":\"d{i}\",\"text\":\"{t}\"}}\n"))
        .collect()
}

fn letters(mut k: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (k % 26) as u8) as char);
        k /= 26;
        if k == 0 {
            return s;
        }
    }
}

/// Every output file's bytes (kept/ and removed/), by relative path.
fn outputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| !e.path().ends_with("summary.json"))
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().to_path_buf();
            (rel, std::fs::read(e.path()).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn engine_output_is_identical_across_threads_and_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(&input, corpus()).unwrap();
    let mut reference = None;
    for (threads, batch_docs) in [(1, 1), (2, 2), (4, 4096)] {
        let out = tmp.path().join(format!("out-{threads}-{batch_docs}"));
        let mut recipe = Recipe::parse(RECIPE, "test").unwrap();
        let opts = RunOptions {
            threads,
            batch_docs,
            ..RunOptions::default()
        };
        let summary = run(
            &mut recipe,
            std::slice::from_ref(&input),
            &out,
            &opts,
            &Arc::new(Progress::default()),
        )
        .unwrap();
        assert_eq!(summary.kept_docs, 2, "threads {threads}");
        assert_eq!(summary.removed.get("exact_dedup/exact_duplicate"), Some(&2));
        assert_eq!(
            summary.removed.get("minhash_dedup/near_duplicate"),
            Some(&1)
        );
        let files = outputs(&out);
        match &reference {
            None => reference = Some(files),
            Some(r) => assert_eq!(&files, r, "threads {threads} batch {batch_docs}"),
        }
    }
}
