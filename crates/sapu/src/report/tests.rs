//! Report tests: a real pipeline run with a toy stage, a hand-written run directory, and the
//! bounds (samples per reason, page size, determinism).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::pipeline::{self, Progress, RunOptions};
use crate::stage::{DocStage, Stage, StageStats};
use crate::{Document, Outcome, Recipe};

/// Cuts `Share this` lines (recording them in `metadata.clean`), annotates language, quality
/// and cluster size, and removes documents with a script tag or fewer than three words.
struct Toy;

impl DocStage for Toy {
    fn name(&self) -> &'static str {
        "toy"
    }

    fn process(&self, mut doc: Document, stats: &mut StageStats) -> Outcome {
        let cut: Vec<Value> = doc
            .text
            .lines()
            .filter(|l| l.trim() == "Share this")
            .map(|l| json!(l))
            .collect();
        if !cut.is_empty() {
            stats.add("lines_cut", cut.len() as u64);
            doc.text = doc
                .text
                .lines()
                .filter(|l| l.trim() != "Share this")
                .collect::<Vec<_>>()
                .join("\n");
            doc.metadata
                .insert("clean".into(), json!({ "chrome": cut }));
        }
        let words = doc.text.split_whitespace().count();
        doc.metadata
            .insert("quality".into(), json!({ "word_count": words }));
        let lang = if doc.text.contains("yang") {
            "ind"
        } else {
            "eng"
        };
        doc.metadata.insert("lang".into(), json!(lang));
        doc.metadata.insert("lang_score".into(), json!(0.93));
        if doc.text.contains("<script>") {
            return Outcome::remove(doc, "has_script");
        }
        if words < 3 {
            return Outcome::remove(doc, "too_few_words");
        }
        let size = if doc.text.contains("dup") { 3 } else { 1 };
        doc.metadata.insert("cluster_size".into(), json!(size));
        Outcome::Keep(doc)
    }
}

const INPUT: &str = r#"{"id":"a1","text":"Ini adalah berita yang panjang sekali\nShare this"}
{"id":"a2","text":"short one"}
{"id":"a3","text":"Click <script>alert('x')</script> here now please"}
{"id":"a4","text":"an english text about dup things"}
{"id": broken
{"id":"a6","text":"x"}
{"id":"a7","text":"Berita lain yang cukup panjang untuk disimpan"}
{"id":"a8","text":"Another kept English document here"}
"#;

fn run_toy(dir: &Path) -> PathBuf {
    let input = dir.join("in.jsonl");
    std::fs::write(&input, INPUT).unwrap();
    let out = dir.join("run");
    let mut recipe = Recipe::parse("", "test").unwrap();
    recipe.stages.push(Stage::Doc(Box::new(Toy)));
    let opts = RunOptions {
        threads: 2,
        ..RunOptions::default()
    };
    pipeline::run(
        &mut recipe,
        &[input],
        &out,
        &opts,
        &Arc::new(Progress::default()),
    )
    .unwrap();
    out
}

fn summary_of(run: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(run.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn report_of_a_pipeline_run_matches_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_toy(dir.path());
    let summary = summary_of(&run);
    assert_eq!(
        (
            summary["input_docs"].as_u64(),
            summary["kept_docs"].as_u64()
        ),
        (Some(8), Some(4))
    );
    let dest = dir.path().join("out/report.html");
    let facts = write_report(&run, &dest, &ReportOptions::default()).unwrap();
    let html = std::fs::read_to_string(&dest).unwrap();
    assert_eq!(facts.html_bytes, html.len() as u64);
    assert_eq!((facts.kept_docs_read, facts.removed_docs_read), (4, 4));
    assert_eq!(facts.warnings, Vec::<String>::new());
    assert_eq!(
        facts.reasons,
        ["toy/too_few_words", "read/invalid_json", "toy/has_script"]
    );
    // One sample per removed document, plus the cleaned and the clustered kept documents.
    assert_eq!(facts.samples, 4 + 1 + 1);

    // Header cards and funnel carry the summary's numbers.
    for card in [
        r#"<div class="label">Documents in</div><div class="big">8</div>"#,
        r#"<div class="label">Kept</div><div class="big">4</div>"#,
        r#"<div class="label">Removed</div><div class="big">4</div>"#,
    ] {
        assert!(html.contains(card), "missing {card}");
    }
    assert!(html.contains(
        r#"<tr><td><code>read</code> <span class="tag">reader</span></td><td class=n>8</td><td class=n>1</td><td class=n>12.5%</td>"#
    ));
    assert!(html.contains(
        "<tr><td><code>toy</code></td><td class=n>7</td><td class=n>3</td><td class=n>42.9%</td><td class=n>37.5%</td><td class=n>4</td>"
    ));
    // Every reason is ranked in the table and has its samples.
    for (reason, stage, n, share) in [
        ("too_few_words", "toy", 2, "50.0%"),
        ("invalid_json", "read", 1, "25.0%"),
        ("has_script", "toy", 1, "25.0%"),
    ] {
        let row = format!(
            r#"<code>{reason}</code></a></td><td><span class="tag">{stage}</span></td><td class=n>{n}</td><td class=n>{share}</td>"#
        );
        assert!(html.contains(&row), "missing row {row}");
        assert!(html.contains(&format!(r#"id="r-{stage}-{reason}""#)));
    }
    // Document text is escaped; the page has no script of its own.
    assert!(html.contains("Click &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; here now please"));
    assert!(!html.contains("<script"));
    // Clean, languages, quality, dedup sections found their metadata.
    assert!(html.contains("<li><s>Share this</s></li>"));
    assert!(html.contains("<tr><td><code>chrome</code></td><td class=n>1</td>"));
    assert!(html.contains("<tr><td><code>eng</code></td><td class=n>5</td>"));
    assert!(html.contains("<tr><td><code>ind</code></td><td class=n>2</td>"));
    assert!(
        html.contains(r#"<figcaption><code>word_count</code><span class="muted">n 7 · min 1 ·"#)
    );
    assert!(html.contains("cluster of 3 documents"));
    assert!(html.contains("<tr><td>3–4</td><td class=n>1</td><td class=n>3</td>"));
    // Nothing points outside the page.
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("src="));
}

#[test]
fn same_run_gives_the_same_page() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_toy(dir.path());
    let a = render_report(&run, &ReportOptions::default()).unwrap().0;
    let b = render_report(&run, &ReportOptions::default()).unwrap().0;
    assert_eq!(a, b);
}

fn write_gz(path: &Path, text: &str) {
    let f = std::fs::File::create(path).unwrap();
    let mut enc = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
}

/// A hand-written run directory: gzip kept part, plain removed part, recipe with thresholds,
/// and a summary that disagrees with the kept part.
fn fixture(dir: &Path) {
    std::fs::create_dir_all(dir.join("kept")).unwrap();
    std::fs::create_dir_all(dir.join("removed")).unwrap();
    let summary = json!({
        "sapu_version": "9.9.9", "input_docs": 5, "kept_docs": 3, "removed_docs": 2,
        "accounting_ok": true, "removed": {"gopher_quality/gopher_short_doc": 2},
        "bytes_in": 500, "bytes_out": 300, "seconds": 0.5, "threads": 4,
        "stages": [{"name": "gopher_quality", "kind": "document", "docs_in": 5,
                    "removed_docs": 2, "removed": {"gopher_short_doc": 2}, "seconds": 0.1,
                    "counters": {}, "unknown_future_key": [1, 2]}],
        "files": [{"path": "in/a.jsonl", "input_docs": 5, "kept_docs": 3, "removed_docs": 2}]
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
    write_gz(
        &dir.join("kept/part-00000.jsonl.gz"),
        concat!(
            r#"{"id":"k1","text":"one two three four five six","metadata":{"quality":{"word_count":6,"nested":{"ratio":0.5},"flag":true},"cluster_size":7,"cluster_id":"c9"}}"#,
            "\n",
            r#"{"id":"k2","text":"alpha beta gamma delta epsilon zeta eta","metadata":{"quality":{"word_count":7},"cluster_size":2,"mystery":{"a":[1]}}}"#,
            "\n"
        ),
    );
    std::fs::write(
        dir.join("removed/part-00000.jsonl"),
        concat!(
            r#"{"id":"r1","text":"too short","metadata":{"quality":{"word_count":2}},"removed_by":"gopher_quality","reason":"gopher_short_doc"}"#,
            "\n",
            r#"{"id":"r2","text":"tiny <b>doc</b>","metadata":{"quality":{"word_count":2}},"removed_by":"gopher_quality","reason":"gopher_short_doc"}"#,
            "\n",
            "not json\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("kept/.part-00001.jsonl.tmp"), "ignored").unwrap();
    std::fs::write(
        dir.join("recipe.toml"),
        "[[stages]]\ntype = \"gopher_quality\"\nmin_doc_words = 5\n",
    )
    .unwrap();
}

#[test]
fn hand_written_run_dir_draws_thresholds_and_flags_disagreements() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (html, facts) = render_report(dir.path(), &ReportOptions::default()).unwrap();
    assert_eq!((facts.kept_docs_read, facts.removed_docs_read), (2, 2));
    assert_eq!(
        facts.warnings,
        [
            "kept/ holds 2 documents; summary.json says 3",
            "1 lines of the part files are not JSON documents"
        ]
    );
    assert!(html.contains("<li>kept/ holds 2 documents; summary.json says 3</li>"));
    assert!(html.contains(">min_doc_words = 5</text>"));
    assert!(html.contains("<code>nested.ratio</code>"));
    assert!(!html.contains("<code>flag</code>"));
    assert!(html.contains("cluster of 7 documents"));
    assert!(html.contains("tiny &lt;b&gt;doc&lt;/b&gt;"));
    assert!(html.contains(r#"<div class="big">9.9.9</div>"#) || html.contains("sapu 9.9.9"));
    assert!(html.contains("No document carries <code>metadata.lang</code>"));
}

#[test]
fn samples_and_page_stay_bounded_on_many_documents() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path();
    std::fs::create_dir_all(run.join("removed")).unwrap();
    let n = 20_000u64;
    let mut removed = String::new();
    let long_text = "word ".repeat(2000);
    for i in 0..n {
        let line = json!({"id": format!("d{i}"), "text": long_text, "metadata": {"quality": {"word_count": i % 500}}, "removed_by": "f", "reason": "r"});
        removed.push_str(&line.to_string());
        removed.push('\n');
    }
    std::fs::write(run.join("removed/part-00000.jsonl"), removed).unwrap();
    let summary = json!({"sapu_version": "0", "input_docs": n, "kept_docs": 0, "removed_docs": n, "removed": {"f/r": n}});
    std::fs::write(run.join("summary.json"), summary.to_string()).unwrap();
    let opts = ReportOptions {
        signal_sample: 1000,
        ..ReportOptions::default()
    };
    let (html, facts) = render_report(run, &opts).unwrap();
    assert_eq!(facts.samples, 4);
    assert_eq!(facts.warnings, Vec::<String>::new());
    assert!(html.len() < 120_000, "page is {} bytes", html.len());
    assert!(html.contains("from 1,000 sampled values"));
    assert!(html.contains(r#"<span class="muted">n 20,000 · min 0 ·"#));
}

#[test]
fn missing_summary_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = render_report(dir.path(), &ReportOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("summary.json: cannot read the run summary"),
        "{msg}"
    );
}
