//! Agreement and throughput of sapu's four quality filters against datatrove 0.10.
//!
//! ```text
//! python bench/peers/filters_datatrove.py corpus OUT/corpus.jsonl
//! python bench/peers/filters_datatrove.py run OUT/corpus.jsonl OUT/datatrove.jsonl
//! cargo run --release -p sapu-eval --bin eval_filters -- OUT/corpus.jsonl OUT/datatrove.jsonl
//! cargo run --release -p sapu-eval --bin eval_filters -- --tokens OUT/corpus.jsonl OUT/tokens.jsonl
//! eval_filters --speed OUT/corpus.jsonl     # throughput only (best of 3, CPU time)
//! eval_filters --digest OUT/corpus.jsonl    # words and outcomes digests (must not change)
//! valgrind --tool=callgrind --toggle-collect='*four_filters_once*' eval_filters --once OUT/corpus.jsonl [--warm]
//! ```
//! Each filter judges every document (as the Python driver does; the speed runs move each
//! document through the four, `c4_quality` last, so each sees the original text), with language
//! "auto" from `metadata.lang` and C4 enabled for every language and flattening as datatrove.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sapu::filter::{c4_quality, fineweb_quality, gopher_quality, gopher_repetition};
use sapu::stage::{BuildContext, Stage, StageConfig, StageStats};
use sapu::text::words::{count_sentences, split_words, WordRules};
use sapu::{DocStage, Document, Outcome};
use sapu_eval::read_jsonl;
use sapu_eval::thread_cpu_seconds;

const FILTERS: [&str; 4] = [
    "gopher_repetition",
    "gopher_quality",
    "c4_quality",
    "fineweb_quality",
];

fn doc_stage<C: StageConfig>(c: C) -> Result<Box<dyn DocStage>> {
    match c.build(&BuildContext::default()) {
        Ok(Stage::Doc(s)) => Ok(s),
        _ => bail!("cannot build {}", C::NAME),
    }
}

fn stages() -> Result<Vec<Box<dyn DocStage>>> {
    stages_with(false)
}

/// The four filters as the agreement run configures them; `annotate` sets `annotate_only`.
fn stages_with(annotate: bool) -> Result<Vec<Box<dyn DocStage>>> {
    let c4 = c4_quality::C4QualityConfig {
        languages: Vec::new(),
        flatten_paragraphs: true,
        annotate_only: annotate,
        ..Default::default()
    };
    Ok(vec![
        doc_stage(gopher_repetition::GopherRepetitionConfig {
            annotate_only: annotate,
            ..Default::default()
        })?,
        doc_stage(gopher_quality::GopherQualityConfig {
            annotate_only: annotate,
            ..Default::default()
        })?,
        doc_stage(c4)?,
        doc_stage(fineweb_quality::FineWebQualityConfig {
            annotate_only: annotate,
            ..Default::default()
        })?,
    ])
}

fn load_docs(path: &Path) -> Result<Vec<Document>> {
    read_jsonl(path)?
        .into_iter()
        .map(|v| serde_json::from_value(v).context("corpus line is not a document"))
        .collect()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--tokens") {
        return tokens(Path::new(&args[1]), Path::new(&args[2]));
    }
    if args.first().map(String::as_str) == Some("--digest") {
        return digest(Path::new(&args[1]));
    }
    if args.first().map(String::as_str) == Some("--once") {
        // One pass of the four filters (for callgrind: --toggle-collect='*four_filters_once*');
        // `--once CORPUS --warm` runs an uncounted pass first, so the count is the steady state
        // (per-thread caches filled, rule tables built) that `--speed`'s best of 3 measures.
        let docs = load_docs(Path::new(&args[1]))?;
        let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
        let stages = stages()?;
        if args.get(2).map(String::as_str) == Some("--warm") {
            warm_up(docs.clone(), &stages);
        }
        let copies = docs.clone();
        let c0 = thread_cpu_seconds();
        four_filters_once(copies, &stages);
        let t = thread_cpu_seconds() - c0;
        println!("{} docs, {bytes} bytes, {t:.3} CPU s", docs.len());
        return Ok(());
    }
    if args.first().map(String::as_str) == Some("--speed") {
        let docs = load_docs(Path::new(&args[1]))?;
        throughput(&docs, &stages()?);
        return Ok(());
    }
    if args.len() < 2 {
        bail!(
            "usage: eval_filters CORPUS.jsonl DATATROVE.jsonl | --tokens CORPUS.jsonl TOKENS.jsonl"
        );
    }
    let docs = load_docs(Path::new(&args[0]))?;
    let mut reference: HashMap<String, serde_json::Value> = HashMap::new();
    for path in &args[1..] {
        for v in read_jsonl(Path::new(path))? {
            if let Some(id) = v.get("id").and_then(|i| i.as_str()) {
                reference.insert(id.to_string(), v);
            }
        }
    }
    let stages = stages()?;
    let mut stats = StageStats::default();

    // Decisions.
    let mut agree = [0usize; 4];
    let mut total = [0usize; 4];
    let mut by_lang: BTreeMap<(String, usize), (usize, usize)> = BTreeMap::new();
    let mut classes: BTreeMap<(usize, String, String), Vec<String>> = BTreeMap::new();
    let mut removed_dt = [0usize; 4];
    let mut removed_us = [0usize; 4];
    let mut c4_text_same = (0usize, 0usize);
    for d in &docs {
        let Some(r) = reference.get(&d.id) else {
            continue;
        };
        let lang = d.lang().unwrap_or("eng").to_string();
        for (k, st) in stages.iter().enumerate() {
            let theirs = r
                .get(FILTERS[k])
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string();
            let out = st.process(d.clone(), &mut stats);
            let ours = match &out {
                Outcome::Keep(_) => "keep".to_string(),
                Outcome::Remove(_, why) => why.to_string(),
            };
            total[k] += 1;
            removed_dt[k] += usize::from(theirs != "keep");
            removed_us[k] += usize::from(ours != "keep");
            let e = by_lang.entry((lang.clone(), k)).or_default();
            e.1 += 1;
            if ours == theirs {
                agree[k] += 1;
                e.0 += 1;
                if k == 2 && ours == "keep" {
                    let want = r.get("c4_text_len").and_then(|v| v.as_u64());
                    let got = out.into_document().text.chars().count() as u64;
                    c4_text_same.1 += 1;
                    c4_text_same.0 += usize::from(want == Some(got));
                }
            } else {
                classes
                    .entry((k, theirs, ours))
                    .or_default()
                    .push(d.id.clone());
            }
        }
    }
    println!("| filter | docs | agree | agreement | removed (datatrove) | removed (sapu) |");
    println!("|---|---|---|---|---|---|");
    for k in 0..4 {
        println!(
            "| {} | {} | {} | {:.3}% | {} | {} |",
            FILTERS[k],
            total[k],
            agree[k],
            100.0 * agree[k] as f64 / total[k].max(1) as f64,
            removed_dt[k],
            removed_us[k]
        );
    }
    println!("\nper language:");
    for ((lang, k), (a, t)) in &by_lang {
        println!(
            "  {lang} {}: {a}/{t} = {:.3}%",
            FILTERS[*k],
            100.0 * *a as f64 / *t as f64
        );
    }
    println!(
        "\nc4 kept text length equal (both keep): {}/{}",
        c4_text_same.0, c4_text_same.1
    );
    println!("\ndisagreements (filter: datatrove -> sapu: count, examples):");
    for ((k, theirs, ours), ids) in &classes {
        println!(
            "  {}: {theirs} -> {ours}: {} e.g. {}",
            FILTERS[*k],
            ids.len(),
            ids.iter().take(4).cloned().collect::<Vec<_>>().join(" ")
        );
    }

    throughput(&docs, &stages);
    Ok(())
}

/// The order the speed runs chain the filters in: `c4_quality`, the only one that changes the
/// text it keeps, last, so every filter sees the document's original text, as each of
/// datatrove's filters does in the Python driver.
const SPEED_ORDER: [usize; 4] = [0, 1, 3, 2];

/// The four filters on every document once, one thread: each document moves from one filter to
/// the next, as the engine moves it through its stages (no copy), and goes on to the next
/// filter even when one removes it, so every filter judges every document. The documents are
/// copies made before the call (datatrove's driver, too, builds each filter's document outside
/// its timing).
#[inline(never)]
fn four_filters_once(docs: Vec<Document>, stages: &[Box<dyn DocStage>]) {
    let mut stats = StageStats::default();
    for mut d in docs {
        for &k in &SPEED_ORDER {
            d = std::hint::black_box(stages[k].process(d, &mut stats)).into_document();
        }
    }
}

/// [`four_filters_once`] under another name (not collected by callgrind's toggle), the
/// documents in reverse order so the compiler cannot fold the two functions into one.
#[inline(never)]
fn warm_up(docs: Vec<Document>, stages: &[Box<dyn DocStage>]) {
    let mut stats = StageStats::default();
    for mut d in docs.into_iter().rev() {
        for &k in &SPEED_ORDER {
            d = std::hint::black_box(stages[k].process(d, &mut stats)).into_document();
        }
    }
}

/// The four filters on every document ([`four_filters_once`]), one thread, best of 3 (CPU time
/// and wall time); then each filter alone (so each pays for its own word splitting), the word
/// splitting alone and the document cloning alone, as thread CPU time. The copies of the
/// documents a pass consumes are made before its timer starts.
fn throughput(docs: &[Document], stages: &[Box<dyn DocStage>]) {
    let mut stats = StageStats::default();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let mb = bytes as f64 / 1e6;
    let (mut best_cpu, mut best_wall) = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let copies = docs.to_vec();
        let (c0, w0) = (thread_cpu_seconds(), Instant::now());
        four_filters_once(copies, stages);
        best_cpu = best_cpu.min(thread_cpu_seconds() - c0);
        best_wall = best_wall.min(w0.elapsed().as_secs_f64());
    }
    println!(
        "\nsapu: {} docs, {mb:.2} MB; four filters {best_cpu:.3} CPU s = {:.1} MB/s per core (wall {best_wall:.3} s = {:.1} MB/s; each document moved through the four, as the engine does)",
        docs.len(),
        mb / best_cpu,
        mb / best_wall
    );
    let best_of_3 = |f: &mut dyn FnMut()| {
        (0..3)
            .map(|_| {
                let c0 = thread_cpu_seconds();
                f();
                thread_cpu_seconds() - c0
            })
            .fold(f64::MAX, f64::min)
    };
    for (k, st) in stages.iter().enumerate() {
        let t = (0..3)
            .map(|_| {
                let copies = docs.to_vec();
                let c0 = thread_cpu_seconds();
                for d in copies {
                    std::hint::black_box(st.process(d, &mut stats));
                }
                thread_cpu_seconds() - c0
            })
            .fold(f64::MAX, f64::min);
        println!("  {} alone: {t:.3} CPU s ({:.1} MB/s)", FILTERS[k], mb / t);
    }
    let t = best_of_3(&mut || {
        let mut ws = Vec::new();
        for d in docs {
            ws.clear();
            split_words(
                &d.text,
                WordRules::for_language(d.lang().unwrap_or("eng")),
                &mut ws,
            );
            std::hint::black_box(&ws);
        }
    });
    println!("  word splitting alone: {t:.3} CPU s ({:.1} MB/s)", mb / t);
    let t = best_of_3(&mut || {
        for d in docs {
            std::hint::black_box(d.clone());
        }
    });
    println!(
        "  cloning the documents alone: {t:.3} CPU s ({:.1} MB/s)",
        mb / t
    );
}

/// Print one line per document with a hash of its words (as the filters split them), then a
/// hash of all lines: a tokenizer change that keeps every word keeps this digest.
fn digest(corpus: &Path) -> Result<()> {
    use std::hash::{Hash, Hasher};
    let mut all = std::collections::hash_map::DefaultHasher::new();
    let (mut n_docs, mut n_words) = (0usize, 0usize);
    for d in load_docs(corpus)? {
        let rules = WordRules::for_language(d.lang().unwrap_or("eng"));
        let mut ws = Vec::new();
        split_words(&d.text, rules, &mut ws);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        ws.hash(&mut h);
        let doc_hash = h.finish();
        println!("{} {} {doc_hash:016x}", d.id, ws.len());
        doc_hash.hash(&mut all);
        n_docs += 1;
        n_words += ws.len();
    }
    eprintln!(
        "{n_docs} docs, {n_words} words, digest {:016x}",
        all.finish()
    );
    // Every filter's outcome (reason, output text, metadata), filtering and annotating.
    let docs = load_docs(corpus)?;
    for annotate in [false, true] {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut stats = StageStats::default();
        for st in stages_with(annotate)? {
            for d in &docs {
                let out = st.process(d.clone(), &mut stats);
                out.reason().hash(&mut h);
                let doc = out.into_document();
                doc.text.hash(&mut h);
                serde_json::to_string(&doc.metadata)?.hash(&mut h);
            }
        }
        eprintln!(
            "outcomes ({}) digest {:016x}",
            if annotate { "annotate_only" } else { "filter" },
            h.finish()
        );
    }
    Ok(())
}

/// Compare our words and per-line sentence counts with spaCy's (from the driver's `tokens` mode).
fn tokens(corpus: &Path, tokens: &Path) -> Result<()> {
    let docs: HashMap<String, Document> = load_docs(corpus)?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    let (mut same, mut n, mut tok_same, mut tok_n) = (0, 0, 0usize, 0usize);
    let (mut sent_same, mut sent_n) = (0, 0);
    let mut shown = 0;
    for v in read_jsonl(tokens)? {
        let id = v["id"].as_str().unwrap_or("");
        let Some(d) = docs.get(id) else { continue };
        let rules = WordRules::for_language(v["lang"].as_str().unwrap_or("eng"));
        let want: Vec<&str> = v["words"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w.as_str())
            .collect();
        let mut got = Vec::new();
        split_words(&d.text, rules, &mut got);
        n += 1;
        tok_n += want.len();
        if got == want {
            same += 1;
            tok_same += want.len();
        } else {
            // count aligned prefix and report the first difference
            let p = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
            tok_same += p;
            if shown < 40 {
                shown += 1;
                let lo = p.saturating_sub(3);
                println!(
                    "{id}: ours {:?} | spacy {:?}",
                    &got[lo..(p + 4).min(got.len())],
                    &want[lo..(p + 4).min(want.len())]
                );
            }
        }
        let lines: Vec<&str> = sapu::text::python_lines(&d.text)
            .map(sapu::text::py_strip)
            .filter(|l| {
                l.split(sapu::text::chars::is_space)
                    .filter(|w| !w.is_empty())
                    .count()
                    >= 3
            })
            .collect();
        for (line, want) in lines
            .iter()
            .zip(v["sentences"].as_array().into_iter().flatten())
        {
            let mut ws = Vec::new();
            split_words(line, rules, &mut ws);
            sent_n += 1;
            if Some(count_sentences(ws.iter().copied()) as u64) == want.as_u64() {
                sent_same += 1;
            } else if shown < 60 {
                shown += 1;
                println!(
                    "sentences {id}: ours {} spacy {want}: {line:?}",
                    count_sentences(ws.iter().copied())
                );
            }
        }
    }
    println!("documents with identical words: {same}/{n}; aligned-prefix words {tok_same}/{tok_n}");
    println!("lines with the same sentence count: {sent_same}/{sent_n}");
    Ok(())
}
