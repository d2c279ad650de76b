//! Evaluate the `extract` stage: the ScrapingHub article-extraction benchmark (its shingle
//! metric, next to the 13 baseline outputs shipped with it), trafilatura's evaluation set
//! (with/without snippets, title/author/date accuracy), and single-thread speed over both.
//!
//! `cargo run --release -p sapu-eval --bin eval_extract [-- --favor balanced|precision|recall]
//! [--dump DIR] [--losses FILE] [--speed-runs N] [--speed-only] [--baseline FILE]...`
//!
//! `--losses FILE` writes one JSON line per trafilatura-eval page with a miss (balanced): its
//! id, the `with` snippets not found (recall loss) and the `without` snippets kept (precision
//! loss), pages with the most misses first.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use rayon::prelude::*;
use sapu::extract::{extract_html, extract_with_url, ExtractOptions, Extracted, Favor};
use serde_json::Value;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let favors: Vec<Favor> = match flag("--favor").as_deref() {
        Some("precision") => vec![Favor::Precision],
        Some("recall") => vec![Favor::Recall],
        Some("balanced") => vec![Favor::Balanced],
        _ => vec![Favor::Balanced, Favor::Precision, Favor::Recall],
    };
    let dump = flag("--dump").map(PathBuf::from);
    let losses = flag("--losses").map(PathBuf::from);
    let runs: usize = flag("--speed-runs").map_or(Ok(3), |s| s.parse())?;
    let data = sapu_eval::data_dir()?.join("extraction");

    let mut sh = load_scrapinghub(&data.join("scrapinghub-aeb"))?;
    // Outputs of peers run here (bench/peers/extract_peers.py), in the baseline format.
    for (i, a) in args.iter().enumerate() {
        if a == "--baseline" {
            let path = PathBuf::from(args.get(i + 1).context("--baseline needs a file")?);
            let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("?");
            let preds = baseline_preds(&path)?;
            sh.baselines.push((format!("{name} (run here)"), preds));
        }
    }
    let tr = load_trafilatura(&data.join("trafilatura-eval"))?;
    println!(
        "pages: scrapinghub {} + trafilatura-eval {} = {}",
        sh.pages.len(),
        tr.len(),
        sh.pages.len() + tr.len()
    );

    if !args.iter().any(|a| a == "--speed-only") {
        quality(&sh, &tr, &favors, dump.as_deref(), losses.as_deref())?;
    }
    if runs > 0 {
        speed(&sh, &tr, runs);
    }
    Ok(())
}

fn quality(
    sh: &ScrapingHub,
    tr: &[TrafRow],
    favors: &[Favor],
    dump: Option<&Path>,
    losses: Option<&Path>,
) -> Result<()> {
    println!("\n## ScrapingHub article-extraction benchmark (181 pages)\n");
    println!(
        "{:<28} {:>9} {:>9} {:>9} {:>9}",
        "system", "F1", "precision", "recall", "accuracy"
    );
    let mut rows = Vec::new();
    for favor in favors {
        let outs = run_all(&sh.pages, *favor);
        if let (Some(dir), Favor::Balanced) = (dump, favor) {
            std::fs::create_dir_all(dir)?;
            for ((id, _), out) in sh.pages.iter().zip(&outs) {
                std::fs::write(dir.join(format!("{id}.txt")), &out.text)?;
            }
        }
        let preds: HashMap<&str, &str> = sh
            .pages
            .iter()
            .zip(&outs)
            .map(|((id, _), o)| (id.as_str(), o.text.as_str()))
            .collect();
        rows.push((
            format!("sapu ({favor:?})").to_lowercase(),
            score(&sh.truth, &preds),
        ));
    }
    for (name, preds) in &sh.baselines {
        let p: HashMap<&str, &str> = preds
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        rows.push((name.clone(), score(&sh.truth, &p)));
    }
    rows.sort_by(|a, b| b.1.f1.total_cmp(&a.1.f1));
    for (name, s) in &rows {
        println!(
            "{name:<28} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
            s.f1, s.precision, s.recall, s.accuracy
        );
    }

    println!("\n## trafilatura-eval (990 pages, with/without snippets)\n");
    println!(
        "{:<20} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7}",
        "system", "F1", "precision", "recall", "title", "author", "date"
    );
    for favor in favors {
        let opts = ExtractOptions {
            favor: *favor,
            ..ExtractOptions::default()
        };
        let outs: Vec<Extracted> = tr
            .par_iter()
            .map(|r| extract_with_url(&r.html, Some(&r.url), &opts).unwrap_or_default())
            .collect();
        if let (Some(dir), Favor::Balanced) = (dump, favor) {
            for (r, out) in tr.iter().zip(&outs) {
                std::fs::write(dir.join(format!("{}.txt", r.id)), &out.text)?;
                let m = &out.meta;
                let line = |v: &Option<String>| v.clone().unwrap_or_default();
                let meta = format!(
                    "{}\n{}\n{}\n",
                    line(&m.title),
                    line(&m.author),
                    line(&m.date)
                );
                std::fs::write(dir.join(format!("{}.meta", r.id)), meta)?;
            }
        }
        if let (Some(file), Favor::Balanced) = (losses, favor) {
            write_losses(file, tr, &outs)?;
        }
        let s = snippet_scores(tr, &outs);
        println!(
            "{:<20} {:>9.3} {:>9.3} {:>9.3} {:>7.3} {:>7.3} {:>7.3}",
            format!("sapu ({favor:?})").to_lowercase(),
            s.0,
            s.1,
            s.2,
            s.3[0],
            s.3[1],
            s.3[2]
        );
    }

    Ok(())
}

/// Per-page misses, worst pages first, as JSON lines.
fn write_losses(file: &Path, rows: &[TrafRow], outs: &[Extracted]) -> Result<()> {
    let mut pages: Vec<(usize, Value)> = Vec::new();
    for (r, o) in rows.iter().zip(outs) {
        let text = norm(&o.text);
        let missed: Vec<&str> = r
            .with
            .iter()
            .filter(|w| !text.contains(w.as_str()))
            .map(String::as_str)
            .collect();
        let kept: Vec<&str> = r
            .without
            .iter()
            .filter(|w| text.contains(w.as_str()))
            .map(String::as_str)
            .collect();
        if missed.is_empty() && kept.is_empty() {
            continue;
        }
        let n = missed.len() + kept.len();
        let line = serde_json::json!({
            "id": r.id, "url": r.url, "with": r.with.len(), "without": r.without.len(),
            "missed": missed, "kept": kept, "out_chars": o.text.len(),
        });
        pages.push((n, line));
    }
    pages.sort_by_key(|p| std::cmp::Reverse(p.0));
    let body: String = pages.iter().map(|(_, v)| format!("{v}\n")).collect();
    std::fs::write(file, body).with_context(|| format!("writing {}", file.display()))
}

fn speed(sh: &ScrapingHub, tr: &[TrafRow], runs: usize) {
    println!(
        "\n## speed, one thread, extraction from decoded HTML ({runs} runs; thread CPU median, wall best)\n"
    );
    let all: Vec<&str> = sh
        .pages
        .iter()
        .map(|(_, h)| h.as_str())
        .chain(tr.iter().map(|r| r.html.as_str()))
        .collect();
    let bytes: usize = all.iter().map(|h| h.len()).sum();
    let opts = ExtractOptions::default();
    let mut cpus = Vec::new();
    let mut best = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        let c = sapu_eval::thread_cpu_seconds();
        let mut chars = 0usize;
        for h in &all {
            chars += extract_html(h, &opts).map_or(0, |o| o.text.len());
        }
        std::hint::black_box(chars);
        cpus.push(sapu_eval::thread_cpu_seconds() - c);
        best = best.min(t.elapsed().as_secs_f64());
    }
    cpus.sort_by(f64::total_cmp);
    let cpu = cpus[cpus.len() / 2];
    println!(
        "sapu: {} pages, {:.1} MB; CPU {:.3} s: {:.0} pages/s, {:.1} MB/s per core (wall best {:.3} s)",
        all.len(),
        bytes as f64 / 1e6,
        cpu,
        all.len() as f64 / cpu,
        bytes as f64 / 1e6 / cpu,
        best
    );
}

fn run_all(pages: &[(String, String)], favor: Favor) -> Vec<Extracted> {
    let opts = ExtractOptions {
        favor,
        ..ExtractOptions::default()
    };
    pages
        .par_iter()
        .map(|(_, html)| extract_html(html, &opts).unwrap_or_default())
        .collect()
}

struct ScrapingHub {
    truth: HashMap<String, String>,
    pages: Vec<(String, String)>,
    baselines: Vec<(String, HashMap<String, String>)>,
}

fn read_gz(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    sapu_eval::open(path)?
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(bytes)
}

fn load_scrapinghub(dir: &Path) -> Result<ScrapingHub> {
    let gt: Value = serde_json::from_slice(&std::fs::read(dir.join("ground-truth.json"))?)?;
    let body = |v: &Value| v["articleBody"].as_str().unwrap_or("").to_string();
    let truth: HashMap<String, String> = gt
        .as_object()
        .context("ground truth is an object")?
        .iter()
        .map(|(k, v)| (k.clone(), body(v)))
        .collect();
    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();
    let mut pages = Vec::new();
    for id in ids {
        let bytes = read_gz(&dir.join("html").join(format!("{id}.html.gz")))?;
        pages.push((id.clone(), sapu::read::decode_html(&bytes, None).0));
    }
    let mut baselines = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir.join("baseline-outputs"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for f in files {
        let preds = baseline_preds(&f)?;
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .trim_end_matches(".json.gz")
            .to_string();
        baselines.push((name, preds));
    }
    Ok(ScrapingHub {
        truth,
        pages,
        baselines,
    })
}

/// `{"output": {id: {"articleBody": text}}}` (or the inner map alone), plain or gzip.
fn baseline_preds(path: &Path) -> Result<HashMap<String, String>> {
    let v: Value = serde_json::from_slice(&read_gz(path)?)?;
    let out = v.get("output").unwrap_or(&v);
    Ok(out
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    let text = v["articleBody"].as_str().unwrap_or("").to_string();
                    (k.clone(), text)
                })
                .collect()
        })
        .unwrap_or_default())
}

#[derive(Debug, Clone, Copy)]
struct Score {
    f1: f64,
    precision: f64,
    recall: f64,
    accuracy: f64,
}

/// The benchmark's metric: tokens `\w+`, 4-gram shingle multisets, per-document precision and
/// recall (averaged over documents where defined), F1 of the two means; accuracy = identical
/// token sequences.
fn score(truth: &HashMap<String, String>, preds: &HashMap<&str, &str>) -> Score {
    let (mut ps, mut rs, mut acc) = (Vec::new(), Vec::new(), 0usize);
    for (id, t) in truth {
        let p = preds.get(id.as_str()).copied().unwrap_or("");
        let (tt, pt) = (tokens(t), tokens(p));
        if tt == pt {
            acc += 1;
        }
        let (ts, pss) = (shingles(&tt), shingles(&pt));
        let (mut tp, mut fp, mut fn_) = (0f64, 0f64, 0f64);
        for (k, &tc) in &ts {
            let pc = pss.get(k).copied().unwrap_or(0);
            tp += tc.min(pc) as f64;
            fn_ += tc.saturating_sub(pc) as f64;
        }
        for (k, &pc) in &pss {
            fp += pc.saturating_sub(ts.get(k).copied().unwrap_or(0)) as f64;
        }
        let prec = if fp == 0.0 && fn_ == 0.0 {
            1.0
        } else if tp == 0.0 && fp == 0.0 {
            0.0
        } else {
            tp / (tp + fp)
        };
        let rec = if fp == 0.0 && fn_ == 0.0 {
            1.0
        } else if tp == 0.0 && fn_ == 0.0 {
            0.0
        } else {
            tp / (tp + fn_)
        };
        if tp + fp > 0.0 {
            ps.push(prec);
        }
        if tp + fn_ > 0.0 {
            rs.push(rec);
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (precision, recall) = (mean(&ps), mean(&rs));
    Score {
        f1: 2.0 * precision * recall / (precision + recall).max(f64::MIN_POSITIVE),
        precision,
        recall,
        accuracy: acc as f64 / truth.len() as f64,
    }
}

fn tokens(s: &str) -> Vec<&str> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect()
}

fn shingles<'a>(t: &[&'a str]) -> HashMap<Vec<&'a str>, usize> {
    let mut m = HashMap::new();
    let n = 4;
    for i in 0..t.len().saturating_sub(n - 1).max(1) {
        let sh: Vec<&str> = t[i..(i + n).min(t.len())].to_vec();
        if !sh.is_empty() {
            *m.entry(sh).or_insert(0) += 1;
        }
    }
    m
}

struct TrafRow {
    id: String,
    url: String,
    html: String,
    with: Vec<String>,
    without: Vec<String>,
    gold: [Option<String>; 3],
}

fn load_trafilatura(dir: &Path) -> Result<Vec<TrafRow>> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().filter_map(|x| x.as_str().map(norm)).collect())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for r in sapu_eval::read_jsonl(&dir.join("evaldata.jsonl"))? {
        let file = r["html_file"].as_str().context("html_file")?;
        let bytes = read_gz(&dir.join(file))?;
        // A list of authors is compared as sapu writes it, `; `-separated.
        let gold = |k: &str| match r.get(k) {
            Some(Value::String(s)) => Some(norm(s)),
            Some(Value::Array(a)) => Some(
                a.iter()
                    .filter_map(|x| x.as_str().map(norm))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            _ => None,
        };
        rows.push(TrafRow {
            id: r["id"].as_str().unwrap_or("").to_string(),
            url: r["url"].as_str().unwrap_or("").to_string(),
            html: sapu::read::decode_html(&bytes, None).0,
            with: strings(&r["with"]),
            without: strings(&r["without"]),
            gold: [gold("title"), gold("author"), gold("date")],
        });
    }
    Ok(rows)
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Snippet F1, precision, recall (trafilatura's evaluation: a `with` snippet found is a true
/// positive, missing a false negative; a `without` snippet found is a false positive), and
/// title/author/date accuracy over the pages that have metadata gold (empty gold = nothing).
fn snippet_scores(rows: &[TrafRow], outs: &[Extracted]) -> (f64, f64, f64, [f64; 3]) {
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut meta_ok = [0usize; 3];
    let mut meta_n = 0usize;
    for (r, o) in rows.iter().zip(outs) {
        let text = norm(&o.text);
        for w in &r.with {
            if text.contains(w.as_str()) {
                tp += 1;
            } else {
                fn_ += 1;
            }
        }
        for w in &r.without {
            if text.contains(w.as_str()) {
                fp += 1;
            }
        }
        if r.gold[0].is_some() {
            meta_n += 1;
            let got = [&o.meta.title, &o.meta.author, &o.meta.date];
            for k in 0..3 {
                let g = r.gold[k].as_deref().unwrap_or("");
                let v = got[k].as_deref().map(norm).unwrap_or_default();
                if g.eq_ignore_ascii_case(&v) {
                    meta_ok[k] += 1;
                }
            }
        }
    }
    let p = tp as f64 / (tp + fp).max(1) as f64;
    let r = tp as f64 / (tp + fn_).max(1) as f64;
    let n = meta_n.max(1) as f64;
    (
        2.0 * p * r / (p + r).max(f64::MIN_POSITIVE),
        p,
        r,
        meta_ok.map(|k| k as f64 / n),
    )
}
