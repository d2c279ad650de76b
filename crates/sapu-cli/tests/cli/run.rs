//! `sapu run`: outputs, accounting, determinism, atomic parts.

use std::fs;
use std::io::Write;

use crate::{read_parts, stderr, Case};

fn mixed_input(case: &Case) {
    let mut lines = String::new();
    for i in 0..500 {
        lines.push_str(&format!(
            "{{\"id\":\"d{i}\",\"text\":\"Dokumen nomor {i} berisi beberapa kalimat.\",\"url\":\"https://x.test/{i}\"}}\n"
        ));
    }
    case.write("in/a.jsonl", lines);
    case.write("in/b.txt", "Satu dokumen teks.\nBaris kedua.");
    // A recipe with no stages: the tests that need every document kept use it.
    case.write("none.toml", "[output]\nformat = \"jsonl.zst\"\n");
}

#[test]
fn run_writes_kept_removed_and_summary_and_accounts_for_every_document() {
    let case = Case::fresh();
    mixed_input(&case);
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = case.summary("out");
    assert_eq!(s["accounting_ok"], true);
    let o = case.sapu(&[
        "run",
        "in",
        "-o",
        "plain",
        "--quiet",
        "--config",
        "none.toml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = case.summary("plain");
    assert_eq!(s["kept_docs"], 501);
    let case_out = "plain";
    let (input, kept, removed) = (
        s["input_docs"].as_u64().unwrap(),
        s["kept_docs"].as_u64().unwrap(),
        s["removed_docs"].as_u64().unwrap(),
    );
    assert_eq!(input, 501);
    assert_eq!(kept + removed, input);
    assert_eq!(s["accounting_ok"], true);
    let kept_docs = read_parts(&case.path(case_out).join("kept"));
    assert_eq!(kept_docs.len() as u64, kept);
    let first = &kept_docs[0];
    assert!(first["id"].is_string() && first["text"].is_string() && first["metadata"].is_object());
    let removed_docs = if case.path(case_out).join("removed").exists() {
        read_parts(&case.path(case_out).join("removed"))
    } else {
        Vec::new()
    };
    assert_eq!(removed_docs.len() as u64, removed);
    for r in &removed_docs {
        assert!(
            r["removed_by"].is_string() && r["reason"].is_string(),
            "{r}"
        );
    }
}

#[test]
fn one_and_two_threads_give_byte_identical_output() {
    let case = Case::fresh();
    mixed_input(&case);
    for (threads, out) in [("1", "t1"), ("2", "t2")] {
        let o = case.sapu(&[
            "run",
            "in",
            "-o",
            out,
            "--threads",
            threads,
            "--batch-docs",
            "37",
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    for sub in ["kept", "removed"] {
        let list = |out: &str| -> Vec<(String, Vec<u8>)> {
            let dir = case.path(out).join(sub);
            if !dir.exists() {
                return Vec::new();
            }
            let mut v: Vec<_> = fs::read_dir(dir)
                .unwrap()
                .map(|e| {
                    let p = e.unwrap().path();
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        fs::read(&p).unwrap(),
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            list("t1"),
            list("t2"),
            "{sub}/ differs between 1 and 2 threads"
        );
    }
}

#[test]
fn bad_input_is_named_counted_and_quarantined_and_exits_1() {
    let case = Case::fresh();
    let mut bad = b"{\"id\":\"ok1\",\"text\":\"baik\"}\n{\"id\":\"x\" oops}\n".to_vec();
    bad.extend_from_slice(
        b"{\"id\":\"u\",\"text\":\"\xfe\xff\"}\n{\"id\":\"n\",\"body\":\"tanpa teks\"}\n",
    );
    case.write("in/bad.jsonl", bad);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..3000 {
        writeln!(
            gz,
            "{{\"id\":\"g{i}\",\"text\":\"baris {i} dari berkas yang terpotong\"}}"
        )
        .unwrap();
    }
    let gz = gz.finish().unwrap();
    case.write("in/cut.jsonl.gz", &gz[..gz.len() / 2]);
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("in/bad.jsonl:2: invalid JSON"), "{err}");
    assert!(err.contains("in/bad.jsonl:3: invalid UTF-8"), "{err}");
    assert!(
        err.contains("in/bad.jsonl:4: record has no `text` field"),
        "{err}"
    );
    assert!(err.contains("in/cut.jsonl.gz:"), "{err}");
    assert!(err.contains("gzip stream is truncated"), "{err}");
    let s = case.summary("out");
    assert_eq!(s["removed"]["read/invalid_json"], 1);
    assert_eq!(s["removed"]["read/invalid_utf8"], 1);
    assert_eq!(s["removed"]["read/missing_text_field"], 1);
    assert_eq!(s["input_issue_counts"]["truncated_gzip"], 1);
    assert_eq!(s["accounting_ok"], true);
    let files = s["files"].as_array().unwrap();
    assert_eq!(files[0]["input_docs"], 4);
    let from_gz = files[1]["input_docs"].as_u64().unwrap();
    assert!(
        from_gz > 500 && from_gz < 3000,
        "{from_gz} docs before the damage"
    );
    let removed = read_parts(&case.path("out/removed"));
    let reasons: Vec<_> = removed
        .iter()
        .filter(|r| r["removed_by"] == "read")
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        reasons,
        ["invalid_json", "invalid_utf8", "missing_text_field"]
    );
}

#[test]
fn a_missing_input_is_named_and_the_rest_still_runs() {
    let case = Case::fresh();
    case.write("in/a.jsonl", "{\"id\":\"a\",\"text\":\"ada\"}\n");
    let o = case.sapu(&["run", "in/a.jsonl", "nope.jsonl", "-o", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("nope.jsonl: cannot read input"),
        "{}",
        stderr(&o)
    );
    assert_eq!(case.summary("out")["input_docs"], 1);
}

#[test]
fn part_files_are_only_visible_complete() {
    let case = Case::fresh();
    mixed_input(&case);
    case.write(
        "tiny.toml",
        "[output]\nformat = \"jsonl\"\nshard_bytes = 2000\n",
    );
    let o = case.sapu(&["run", "in", "-o", "out", "--config", "tiny.toml", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names: Vec<String> = fs::read_dir(case.path("out/kept"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.len() > 5, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("part-") && n.ends_with(".jsonl")),
        "{names:?}"
    );
    let docs = read_parts(&case.path("out/kept"));
    assert_eq!(
        docs.len() as u64,
        case.summary("out")["kept_docs"].as_u64().unwrap()
    );
}

#[test]
fn refuses_existing_output_unless_overwrite() {
    let case = Case::fresh();
    mixed_input(&case);
    assert_eq!(
        case.sapu(&["run", "in", "-o", "out", "--quiet"])
            .status
            .code(),
        Some(0)
    );
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("output directory is not empty; pass --overwrite"),
        "{}",
        stderr(&o)
    );
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet", "--overwrite"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn summary_is_printed_unless_quiet() {
    let case = Case::fresh();
    mixed_input(&case);
    let o = case.sapu(&["run", "in", "-o", "out"]);
    let out = crate::stdout(&o);
    assert!(out.starts_with("501 documents in, "), "{out}");
    assert!(out.contains("all accounted for"), "{out}");
}

#[test]
fn report_of_a_run_shows_its_numbers() {
    let case = Case::fresh();
    mixed_input(&case);
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet", "--report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = fs::read_to_string(case.path("out/report.html")).unwrap();
    assert!(
        html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"),
        "{}",
        &html[..80]
    );
    assert!(html.contains("501"), "input count shown");
    assert!(!html.contains("<script"), "no scripts");
    assert!(case.path("out/recipe.toml").exists());
    let o = case.sapu(&["report", "out", "-o", "again.html"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(case.path("again.html")).unwrap(), html);
}

#[test]
fn the_bundled_example_runs_clean_and_accounts_for_everything() {
    let case = Case::fresh();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/corpus");
    let o = case.sapu(&["run", example, "-o", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = case.summary("out");
    assert_eq!(s["input_docs"], 65);
    assert_eq!(s["accounting_ok"], true);
}

#[test]
fn parquet_output_reads_back_as_input_with_the_same_documents() {
    let case = Case::fresh();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/corpus");
    let default = case.sapu(&["config", "--default"]);
    let recipe = String::from_utf8(default.stdout).unwrap();
    case.write(
        "pq.toml",
        recipe.replace("format = \"jsonl.zst\"", "format = \"parquet\""),
    );
    let o = case.sapu(&[
        "run", example, "-o", "out", "--quiet", "--config", "pq.toml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = case.summary("out");
    assert_eq!(first["accounting_ok"], true);
    let kept: Vec<String> = fs::read_dir(case.path("out/kept"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(kept, ["part-00000.parquet"], "no staging left behind");

    // sapu's Parquet is a valid sapu input: the same documents, text and metadata come back.
    case.write("none.toml", "[output]\nformat = \"jsonl\"\n");
    let o = case.sapu(&[
        "run",
        "out/kept",
        "-o",
        "back",
        "--quiet",
        "--config",
        "none.toml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let back = read_parts(&case.path("back/kept"));
    assert_eq!(back.len() as u64, first["kept_docs"].as_u64().unwrap());
    assert!(back.iter().all(|d| d["metadata"]["lang"].is_string()));

    let o = case.sapu(&["report", "out", "-o", "report.html"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = fs::read_to_string(case.path("report.html")).unwrap();
    assert!(html.contains(&first["kept_docs"].to_string()));
}
