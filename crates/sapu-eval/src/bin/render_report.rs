//! Render the HTML report of a run directory, without the CLI:
//!
//! ```text
//! render_report RUN_DIR [-o report.html] [--recipe recipe.toml]
//! render_report --demo DIR [--demo-docs N]   # toy stages over a generated corpus, then report
//! ```
//!
//! `--demo` exists so the report can be looked at (and checked in a browser by
//! `scripts/check_report.sh`) before the real stages are merged: its stages are toys named
//! `demo_*` that annotate and remove the way the real ones do (`metadata.clean`, `lang`,
//! `quality.*`, `cluster_size`), over a deterministic generated corpus. Not a benchmark.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use sapu::pipeline::{self, Progress, RunOptions};
use sapu::report::{write_report, ReportOptions};
use sapu::stage::{CorpusStage, DocStage, Stage, StageError, StageStats};
use sapu::{Document, Outcome, Recipe};
use sapu_eval::Rng;
use serde_json::json;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut run_dir = None;
    let mut out = None;
    let mut recipe = None;
    let mut demo = false;
    let mut demo_docs = 4000;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-o" | "--output" => {
                i += 1;
                out = args.get(i).map(PathBuf::from);
            }
            "--recipe" => {
                i += 1;
                let path = args.get(i).context("--recipe needs a file")?;
                recipe =
                    Some(std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?);
            }
            "--demo" => demo = true,
            "--demo-docs" => {
                i += 1;
                demo_docs = args
                    .get(i)
                    .and_then(|n| n.parse().ok())
                    .context("--demo-docs needs a number")?;
            }
            "-h" | "--help" => {
                println!("usage: render_report RUN_DIR [-o report.html] [--recipe FILE] | render_report --demo DIR");
                return Ok(());
            }
            a if run_dir.is_none() && !a.starts_with('-') => run_dir = Some(PathBuf::from(a)),
            a => bail!("unexpected argument `{a}`"),
        }
        i += 1;
    }
    let Some(run_dir) = run_dir else {
        bail!("usage: render_report RUN_DIR [-o report.html] [--recipe FILE] | render_report --demo DIR");
    };
    let mut opts = ReportOptions {
        recipe,
        ..ReportOptions::default()
    };
    if demo {
        demo_run(&run_dir, demo_docs)?;
        opts.title = Some("sapu report: demo run (toy stages)".into());
    }
    let dest = out.unwrap_or_else(|| run_dir.join("report.html"));
    let started = std::time::Instant::now();
    let facts = write_report(&run_dir, &dest, &opts)?;
    println!(
        "{}: {} bytes, {} kept + {} removed documents read, {} reasons, {} samples, {:.2} s",
        dest.display(),
        facts.html_bytes,
        facts.kept_docs_read,
        facts.removed_docs_read,
        facts.reasons.len(),
        facts.samples,
        started.elapsed().as_secs_f64()
    );
    for w in &facts.warnings {
        println!("warning: {w}");
    }
    Ok(())
}

const DEMO_RECIPE: &str = r#"# Toy stages of render_report --demo (not sapu's real stages).
[[stages]]
type = "demo_clean"

[[stages]]
type = "demo_langid"
keep = ["ind", "zsm"]
min_lang_score = 0.5

[[stages]]
type = "demo_quality"
min_doc_words = 40
min_mean_word_length = 3.5
max_mean_word_length = 9

[[stages]]
type = "demo_repetition"
max_dup_line_frac = 0.3

[[stages]]
type = "demo_dedup"
"#;

/// Generate a corpus into `dir/input.jsonl`, run the toy stages into `dir`, write the recipe.
fn demo_run(dir: &Path, docs: usize) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let input = dir.join("input.jsonl");
    std::fs::write(&input, corpus(docs)).context("writing the demo corpus")?;
    let mut recipe = Recipe::parse("", "demo").map_err(|e| anyhow::anyhow!("{e}"))?;
    recipe.stages = vec![
        Stage::Doc(Box::new(DemoClean)),
        Stage::Doc(Box::new(DemoLangid)),
        Stage::Doc(Box::new(DemoQuality)),
        Stage::Doc(Box::new(DemoRepetition)),
        Stage::Corpus(Box::<DemoDedup>::default()),
    ];
    let opts = RunOptions {
        overwrite: true,
        ..RunOptions::default()
    };
    let out = dir.join("run");
    pipeline::run(
        &mut recipe,
        &[input],
        &out,
        &opts,
        &Arc::new(Progress::default()),
    )?;
    std::fs::write(out.join("recipe.toml"), DEMO_RECIPE)?;
    // The report reads `dir`: point it at the run's outputs.
    for name in ["kept", "removed", "summary.json", "recipe.toml"] {
        let (from, to) = (out.join(name), dir.join(name));
        let _ = std::fs::remove_dir_all(&to);
        let _ = std::fs::remove_file(&to);
        std::fs::rename(from, to)?;
    }
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}

const IND: &[&str] = &[
    "pemerintah",
    "yang",
    "dan",
    "karena",
    "dari",
    "saja",
    "bisa",
    "masyarakat",
    "daerah",
    "pembangunan",
    "kebijakan",
    "menurut",
    "kepala",
    "dinas",
    "tahun",
    "ini",
    "akan",
    "untuk",
    "dengan",
    "jalan",
    "warga",
    "kota",
    "program",
    "anggaran",
    "sekolah",
    "harga",
    "beras",
];
const ZSM: &[&str] = &[
    "kerajaan", "yang", "dan", "kerana", "daripada", "sahaja", "boleh", "wang", "rakyat", "negeri",
    "menteri", "berkata", "pihak", "tahun", "ini", "akan", "untuk", "dengan",
];
const ENG: &[&str] = &[
    "the",
    "and",
    "government",
    "said",
    "people",
    "city",
    "will",
    "with",
    "from",
    "this",
    "year",
    "market",
    "prices",
    "school",
    "road",
    "budget",
    "officials",
    "report",
];
const CHROME: &[&str] = &[
    "Share this",
    "Baca juga: Harga beras naik lagi",
    "Advertisement",
    "Subscribe to our newsletter",
    "Tags: berita, daerah",
];

fn sentence(rng: &mut Rng, vocab: &[&str]) -> String {
    let n = 6 + rng.below(12);
    let words: Vec<&str> = (0..n).map(|_| rng.pick(vocab)).collect();
    let mut s = words.join(" ");
    s[..1].make_ascii_uppercase();
    s.push('.');
    s
}

/// A deterministic corpus with every kind of document the toy stages act on.
fn corpus(n: usize) -> String {
    let mut rng = Rng(42);
    let mut out = String::new();
    let mut originals: Vec<String> = Vec::new();
    for i in 0..n {
        let kind = rng.below(100);
        let vocab = match rng.below(10) {
            0..=5 => IND,
            6..=7 => ZSM,
            _ => ENG,
        };
        let mut lines: Vec<String> = (0..1 + rng.below(9))
            .map(|_| {
                (0..1 + rng.below(4))
                    .map(|_| sentence(&mut rng, vocab))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        match kind {
            0..=14 => lines.truncate(1),
            15..=24 => {
                let rep = format!("{} {}", rng.pick(CHROME), sentence(&mut rng, vocab));
                for _ in 0..4 + rng.below(6) {
                    lines.push(rep.clone());
                }
            }
            25..=44 => {
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(lines.len() + 1);
                    lines.insert(at, rng.pick(CHROME).to_string());
                }
            }
            45..=49 => lines
                .push("Klik <script>alert('hadiah')</script> & menangkan <b>hadiah</b>!".into()),
            50..=54 => lines = vec!["zxq vbn qwp".into(), "lorem ipsum 123 456 789".into()],
            _ => {}
        }
        let text = if kind >= 90 && !originals.is_empty() {
            let idx = if rng.below(3) == 0 {
                0
            } else {
                rng.below(originals.len())
            };
            originals[idx].clone()
        } else {
            let t = lines.join("\n");
            if originals.len() < 200 && lines.len() > 3 {
                originals.push(t.clone());
            }
            t
        };
        out.push_str(&json!({"id": format!("doc-{i:05}"), "text": text}).to_string());
        out.push('\n');
        if i % 997 == 3 {
            out.push_str("{\"id\": \"broken\", \"text\": \"unterminated\n");
        }
    }
    out
}

struct DemoClean;

impl DocStage for DemoClean {
    fn name(&self) -> &'static str {
        "demo_clean"
    }
    fn process(&self, mut doc: Document, stats: &mut StageStats) -> Outcome {
        let (cut, keep): (Vec<&str>, Vec<&str>) =
            doc.text.lines().partition(|l| CHROME.contains(&l.trim()));
        if !cut.is_empty() {
            stats.add("lines_dropped", cut.len() as u64);
            let (tags, chrome): (Vec<&str>, Vec<&str>) = cut
                .iter()
                .partition(|l| l.starts_with("Tags:") || l.starts_with("Baca juga"));
            let mut rec = serde_json::Map::new();
            if !chrome.is_empty() {
                rec.insert("chrome".into(), json!(chrome));
            }
            if !tags.is_empty() {
                rec.insert("related_links".into(), json!(tags));
            }
            doc.metadata.insert("clean".into(), rec.into());
            doc.text = keep.join("\n");
        }
        Outcome::Keep(doc)
    }
}

struct DemoLangid;

impl DocStage for DemoLangid {
    fn name(&self) -> &'static str {
        "demo_langid"
    }
    fn process(&self, mut doc: Document, _: &mut StageStats) -> Outcome {
        let mut scores: Vec<(&str, usize)> = [("ind", IND), ("zsm", ZSM), ("eng", ENG)]
            .iter()
            .map(|(l, v)| {
                (
                    *l,
                    doc.text
                        .split_whitespace()
                        .filter(|w| {
                            v.contains(
                                &w.trim_matches(|c: char| !c.is_alphabetic())
                                    .to_lowercase()
                                    .as_str(),
                            )
                        })
                        .count(),
                )
            })
            .collect();
        scores.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let total: usize = scores.iter().map(|s| s.1).sum();
        let (lang, score) = if total == 0 {
            ("und", 0.0)
        } else {
            (scores[0].0, scores[0].1 as f64 / total as f64)
        };
        doc.metadata.insert("lang".into(), json!(lang));
        doc.metadata.insert(
            "lang_score".into(),
            json!((score * 1000.0).round() / 1000.0),
        );
        match lang {
            "ind" | "zsm" if score >= 0.5 => Outcome::Keep(doc),
            "ind" => Outcome::remove(doc, "ind_below_threshold"),
            "zsm" => Outcome::remove(doc, "zsm_below_threshold"),
            _ => Outcome::remove(doc, "other_language"),
        }
    }
}

struct DemoQuality;

impl DocStage for DemoQuality {
    fn name(&self) -> &'static str {
        "demo_quality"
    }
    fn process(&self, mut doc: Document, _: &mut StageStats) -> Outcome {
        let words: Vec<&str> = doc.text.split_whitespace().collect();
        let mean = words.iter().map(|w| w.chars().count()).sum::<usize>() as f64
            / words.len().max(1) as f64;
        doc.metadata.insert(
            "quality".into(),
            json!({"word_count": words.len(), "mean_word_length": (mean * 100.0).round() / 100.0}),
        );
        if words.len() < 40 {
            Outcome::remove(doc, "gopher_short_doc")
        } else if !(3.5..=9.0).contains(&mean) {
            Outcome::remove(doc, "gopher_below_avg_threshold")
        } else {
            Outcome::Keep(doc)
        }
    }
}

struct DemoRepetition;

impl DocStage for DemoRepetition {
    fn name(&self) -> &'static str {
        "demo_repetition"
    }
    fn process(&self, mut doc: Document, _: &mut StageStats) -> Outcome {
        let lines: Vec<&str> = doc.text.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let dup = lines.iter().filter(|l| {
            let n = seen.entry(l.trim()).or_insert(0);
            *n += 1;
            *n > 1
        });
        let frac = dup.count() as f64 / lines.len().max(1) as f64;
        if let Some(q) = doc
            .metadata
            .get_mut("quality")
            .and_then(|q| q.as_object_mut())
        {
            q.insert(
                "dup_line_frac".into(),
                json!((frac * 1000.0).round() / 1000.0),
            );
        }
        if frac > 0.3 {
            Outcome::remove(doc, "dup_line_frac")
        } else {
            Outcome::Keep(doc)
        }
    }
}

/// Exact duplicates by text: first occurrence kept with its cluster size.
#[derive(Default)]
struct DemoDedup {
    keys: Vec<u64>,
    first: HashMap<u64, (u64, u64)>,
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

impl CorpusStage for DemoDedup {
    fn name(&self) -> &'static str {
        "demo_dedup"
    }
    fn observe(
        &mut self,
        _first: u64,
        docs: &[Document],
        _: &mut StageStats,
    ) -> Result<(), StageError> {
        self.keys.extend(docs.iter().map(|d| fnv(&d.text)));
        Ok(())
    }
    fn finish(&mut self, stats: &mut StageStats) -> Result<(), StageError> {
        for (i, k) in self.keys.iter().enumerate() {
            self.first.entry(*k).or_insert((i as u64, 0)).1 += 1;
        }
        stats.add(
            "clusters",
            self.first.values().filter(|v| v.1 > 1).count() as u64,
        );
        Ok(())
    }
    fn decide(&self, ordinal: u64, mut doc: Document, _: &mut StageStats) -> Outcome {
        let key = self.keys[ordinal as usize];
        let (first, size) = self.first[&key];
        if first == ordinal {
            doc.metadata.insert("cluster_size".into(), json!(size));
            doc.metadata
                .insert("cluster_id".into(), json!(format!("{key:016x}")));
            Outcome::Keep(doc)
        } else {
            doc.metadata
                .insert("duplicate_of_ordinal".into(), json!(first));
            doc.metadata
                .insert("cluster_id".into(), json!(format!("{key:016x}")));
            Outcome::remove(doc, "exact_duplicate")
        }
    }
}
