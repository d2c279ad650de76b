//! Throughput of the `clean` stage alone, single thread, on Indonesian news text
//! (`text/detik-news-1000` and the Liputan6 articles of `text/malaysian-dataset-extracts`).
//!
//! Documents are loaded and copied before timing; each run processes every document through
//! `DocStage::process` (normalise, chrome, repeats, byline, metadata report). Prints MB/s
//! (10^6 bytes of input text per second) for each run and the medians, both per second of the
//! thread's CPU time (the per-core figure, unaffected by other processes sharing the machine)
//! and per second of wall-clock time.
//!
//! `cargo run --release -p sapu-eval --bin bench_clean [-- RUNS]` (default 9 runs).

use std::time::Instant;

use anyhow::Result;
use sapu::clean::{Clean, CleanConfig};
use sapu::{DocStage, Document, StageStats};
use sapu_eval::thread_cpu_seconds;

fn main() -> Result<()> {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(9);
    let data = sapu_eval::data_dir()?;
    let mut docs = Vec::new();
    for file in [
        "text/detik-news-1000/detik_news_1000.jsonl",
        "text/malaysian-dataset-extracts/indon_news.jsonl.gz",
    ] {
        for (i, row) in sapu_eval::read_jsonl(&data.join(file))?
            .into_iter()
            .enumerate()
        {
            if let Some(text) = row["text"].as_str() {
                docs.push(Document::new(format!("{file}:{i}"), text));
            }
        }
    }
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let clean = Clean::new(&CleanConfig::default()).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    println!("{} documents, {:.1} MB", docs.len(), bytes as f64 / 1e6);
    let (mut cpu_speeds, mut wall_speeds) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let batch = docs.clone();
        let mut stats = StageStats::default();
        let start = Instant::now();
        let cpu_start = thread_cpu_seconds();
        let mut kept = 0usize;
        for doc in batch {
            kept += clean.process(doc, &mut stats).into_document().text.len();
        }
        let cpu = thread_cpu_seconds() - cpu_start;
        let wall = start.elapsed().as_secs_f64();
        let (per_cpu, per_wall) = (bytes as f64 / 1e6 / cpu, bytes as f64 / 1e6 / wall);
        println!(
            "run {run}: {per_cpu:.1} MB/s per CPU second, {per_wall:.1} MB/s wall ({kept} bytes kept)"
        );
        cpu_speeds.push(per_cpu);
        wall_speeds.push(per_wall);
    }
    println!(
        "median: {:.1} MB/s per CPU second (one core), {:.1} MB/s wall-clock, single thread",
        sapu_eval::median(cpu_speeds),
        sapu_eval::median(wall_speeds)
    );
    Ok(())
}
