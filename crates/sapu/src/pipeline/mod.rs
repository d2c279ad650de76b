//! The engine: reads inputs on one thread, runs stages over batches in parallel on a rayon
//! pool, and writes results in input order, accounting for every document.
//!
//! The stage list is cut at each corpus stage into segments. Documents that survive a segment
//! ending in a corpus stage are observed by it and spilled to a compressed temporary file; once
//! all are observed the stage decides, and the next segment reads the spill. Memory is bounded
//! by the batch size (plus whatever index a corpus stage keeps), never by the corpus.

mod summary;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Recipe;
use crate::doc::{Document, Outcome};
use crate::read::{self, InputIssue, ReadProgress, Record};
use crate::stage::{CorpusStage, DocStage, Stage, StageStats};
use crate::write::{self, ShardWriter};
use crate::Error;

pub use summary::{FileSummary, StageSummary, Summary};

/// How a run is carried out (not what it does: that is the recipe).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Documents per batch.
    pub batch_docs: usize,
    /// Bytes of text per batch (a batch ends at whichever limit comes first).
    pub batch_bytes: usize,
    /// Replace the outputs of an earlier run in the output directory.
    pub overwrite: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: 0,
            batch_docs: 4096,
            batch_bytes: 32 << 20,
            overwrite: false,
        }
    }
}

/// Counters a display can poll while a run goes on.
#[derive(Debug, Default)]
pub struct Progress {
    /// Input bytes read and the total to read.
    pub read: Arc<ReadProgress>,
    /// Documents that have left the current phase (kept, removed or spilled).
    pub docs_done: AtomicU64,
    /// Which phase runs: 0 reads the input; 1.. re-read a spill after a corpus stage.
    pub phase: AtomicU64,
    /// Number of phases in this run.
    pub phases: AtomicU64,
}

/// Run a recipe over input paths, writing `out/kept`, `out/removed` and `out/summary.json`.
pub fn run(
    recipe: &mut Recipe,
    inputs: &[PathBuf],
    out: &Path,
    opts: &RunOptions,
    progress: &Arc<Progress>,
) -> Result<Summary, Error> {
    let started = Instant::now();
    prepare_output_dir(out, opts.overwrite)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Other(format!("cannot start worker threads: {e}")))?;
    let threads = pool.current_num_threads();
    let (files, mut issues, skipped_files) = read::expand_inputs(inputs);
    let total: u64 = files
        .iter()
        .filter_map(|f| fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    progress.read.total_bytes.store(total, Ordering::Relaxed);

    let mut summary = Summary::new(&recipe.stages, &files, threads);
    summary.skipped_files = skipped_files;
    let tmp_dir = out.join(".sapu-tmp");
    let mut kept = ShardWriter::new(&out.join("kept"), &recipe.output, 0).map_err(Error::output)?;
    let mut removed =
        ShardWriter::new(&out.join("removed"), &recipe.output, 0).map_err(Error::output)?;

    let segments = segments(&recipe.stages);
    progress
        .phases
        .store(segments.len() as u64, Ordering::Relaxed);
    let mut previous_spill: Option<PathBuf> = None;
    for (phase, segment) in segments.iter().enumerate() {
        progress.phase.store(phase as u64, Ordering::Relaxed);
        progress.docs_done.store(0, Ordering::Relaxed);
        let spill_path = segment
            .feeds
            .map(|_| tmp_dir.join(format!("spill-{phase}.jsonl.zst")));
        let mut spill = match &spill_path {
            Some(p) => {
                fs::create_dir_all(&tmp_dir).map_err(Error::output)?;
                Some(SpillWriter::create(p)?)
            }
            None => None,
        };
        let mut sinks = Sinks {
            kept: &mut kept,
            removed: &mut removed,
            spill: spill.as_mut(),
        };
        let (stages, corpus) = split_borrow(&mut recipe.stages, segment);
        let mut ctx = PhaseCtx {
            stages: &stages,
            decide: segment.decides,
            corpus_feed: corpus,
            summary: &mut summary,
            progress,
            input_cfg: &recipe.input,
            next_ordinal: 0,
        };
        pool.install(|| match &previous_spill {
            None => run_input_phase(&files, &mut ctx, &mut sinks, opts, &mut issues),
            Some(p) => run_spill_phase(p, &mut ctx, &mut sinks, opts),
        })?;
        if let Some(s) = spill {
            s.finish()?;
        }
        if let Some(idx) = segment.feeds {
            let Stage::Corpus(c) = &mut recipe.stages[idx] else {
                unreachable!("segment feeds a corpus stage")
            };
            let t = Instant::now();
            let mut stats = StageStats::default();
            pool.install(|| c.finish(&mut stats));
            summary.stages[idx].add_time(t.elapsed().as_nanos() as u64);
            summary.stages[idx].counters.merge(&stats);
        }
        if let Some(p) = previous_spill.take() {
            let _ = fs::remove_file(p);
        }
        previous_spill = spill_path;
    }
    kept.close_part().map_err(Error::output)?;
    removed.close_part().map_err(Error::output)?;
    summary.bytes_out = kept.bytes_written;
    summary.kept_parts = kept.parts.len() as u64;
    summary.removed_parts = removed.parts.len() as u64;
    let _ = fs::remove_dir_all(&tmp_dir);
    summary.finish(issues, started.elapsed().as_secs_f64());
    let json = serde_json::to_vec_pretty(&summary).expect("serialising the summary");
    write::write_atomic(&out.join("summary.json"), &json).map_err(Error::output)?;
    Ok(summary)
}

/// A run of document stages between corpus stages: it may begin with the decisions of the
/// corpus stage before it, and may end by feeding the corpus stage after it.
struct Segment {
    decides: Option<usize>,
    docs: Vec<usize>,
    feeds: Option<usize>,
}

fn segments(stages: &[Stage]) -> Vec<Segment> {
    let mut out = vec![Segment {
        decides: None,
        docs: Vec::new(),
        feeds: None,
    }];
    for (i, s) in stages.iter().enumerate() {
        match s {
            Stage::Doc(_) => out.last_mut().expect("one segment").docs.push(i),
            Stage::Corpus(_) => {
                out.last_mut().expect("one segment").feeds = Some(i);
                out.push(Segment {
                    decides: Some(i),
                    docs: Vec::new(),
                    feeds: None,
                });
            }
        }
    }
    out
}

/// One step a document goes through in a segment.
enum Step<'a> {
    Decide(usize, &'a dyn CorpusStage),
    Doc(usize, &'a dyn DocStage),
}

fn split_borrow<'a>(
    stages: &'a mut [Stage],
    segment: &Segment,
) -> (Vec<Step<'a>>, Option<(usize, CorpusFeed<'a>)>) {
    let mut steps = Vec::new();
    let mut feed = None;
    for (i, s) in stages.iter_mut().enumerate() {
        if Some(i) == segment.feeds {
            if let Stage::Corpus(c) = s {
                feed = Some((i, c.as_mut()));
            }
            continue;
        }
        let s: &'a Stage = s;
        match s {
            Stage::Corpus(c) if Some(i) == segment.decides => {
                steps.push(Step::Decide(i, c.as_ref()))
            }
            Stage::Doc(d) if segment.docs.contains(&i) => steps.push(Step::Doc(i, d.as_ref())),
            _ => {}
        }
    }
    (steps, feed)
}

type CorpusFeed<'a> = &'a mut (dyn CorpusStage + 'static);

struct PhaseCtx<'a, 'b> {
    stages: &'a [Step<'b>],
    decide: Option<usize>,
    corpus_feed: Option<(usize, CorpusFeed<'b>)>,
    summary: &'a mut Summary,
    progress: &'a Arc<Progress>,
    input_cfg: &'a crate::config::InputConfig,
    next_ordinal: u64,
}

struct Sinks<'a> {
    kept: &'a mut ShardWriter,
    removed: &'a mut ShardWriter,
    spill: Option<&'a mut SpillWriter>,
}

/// A unit of work entering a phase, tagged with the input file it came from.
enum Item {
    Record(u32, Record),
    Spilled(u64, Vec<u8>),
}

fn run_input_phase(
    files: &[PathBuf],
    ctx: &mut PhaseCtx,
    sinks: &mut Sinks,
    opts: &RunOptions,
    issues: &mut Vec<InputIssue>,
) -> Result<(), Error> {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<Item>>(4);
    let files = files.to_vec();
    let cfg = ctx.input_cfg.clone();
    let read_progress = Arc::clone(&ctx.progress.read);
    let (batch_docs, batch_bytes) = (opts.batch_docs.max(1), opts.batch_bytes.max(1));
    let reader = std::thread::spawn(move || {
        let mut batch = Vec::new();
        let mut bytes = 0usize;
        for (i, path) in files.iter().enumerate() {
            let mut stop = false;
            read::read_file(path, &cfg, &read_progress, &mut |record| {
                if stop {
                    return;
                }
                bytes += record_size(&record);
                batch.push(Item::Record(i as u32, record));
                if batch.len() >= batch_docs || bytes >= batch_bytes {
                    bytes = 0;
                    stop = tx.send(std::mem::take(&mut batch)).is_err();
                }
            });
            if stop {
                return;
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
    });
    let mut result = Ok(());
    for batch in rx.iter() {
        if let Err(e) = process_batch(batch, ctx, sinks, issues) {
            result = Err(e);
            break;
        }
    }
    drop(rx);
    let _ = reader.join();
    result
}

fn record_size(record: &Record) -> usize {
    match record {
        Record::Doc(d) => d.text.len(),
        Record::Pending(l) => l.len(),
        Record::Bad { .. } => 64,
        Record::Skipped { .. } => 0,
    }
}

fn run_spill_phase(
    spill: &Path,
    ctx: &mut PhaseCtx,
    sinks: &mut Sinks,
    opts: &RunOptions,
) -> Result<(), Error> {
    let file = File::open(spill).map_err(Error::output)?;
    let decoder = zstd::stream::read::Decoder::new(file).map_err(Error::output)?;
    let mut reader = BufReader::with_capacity(1 << 20, decoder);
    let mut batch = Vec::new();
    let mut bytes = 0;
    let mut ordinal = 0u64;
    let mut line = Vec::new();
    let mut issues = Vec::new();
    loop {
        line.clear();
        let n =
            std::io::BufRead::read_until(&mut reader, b'\n', &mut line).map_err(Error::output)?;
        if n == 0 {
            break;
        }
        bytes += line.len();
        batch.push(Item::Spilled(ordinal, std::mem::take(&mut line)));
        ordinal += 1;
        if batch.len() >= opts.batch_docs.max(1) || bytes >= opts.batch_bytes.max(1) {
            process_batch(std::mem::take(&mut batch), ctx, sinks, &mut issues)?;
            bytes = 0;
        }
    }
    if !batch.is_empty() {
        process_batch(batch, ctx, sinks, &mut issues)?;
    }
    Ok(())
}

/// What happened to one document in a segment.
enum Fate {
    /// Survived every step: written to `kept/`, or on to the corpus stage.
    Survived(u32, Document),
    /// Removed by a stage or by the reader.
    Removed(u32),
    /// Not a document at all: a file-level input issue.
    Issue(InputIssue),
}

/// Per-chunk results, merged in order on the writing thread.
#[derive(Default)]
struct ChunkOut {
    fates: Vec<Fate>,
    kept_bytes: Vec<u8>,
    removed_bytes: Vec<u8>,
    stage_counts: BTreeMap<usize, StageTally>,
    read_removed: BTreeMap<&'static str, u64>,
    read_skipped: BTreeMap<&'static str, u64>,
    read_issues: Vec<InputIssue>,
    bytes_in: u64,
}

/// What one stage did to the documents of a chunk.
#[derive(Default)]
pub(crate) struct StageTally {
    pub(crate) docs_in: u64,
    pub(crate) removed: BTreeMap<String, u64>,
    pub(crate) nanos: u64,
    pub(crate) stats: StageStats,
}

fn process_batch(
    batch: Vec<Item>,
    ctx: &mut PhaseCtx,
    sinks: &mut Sinks,
    issues: &mut Vec<InputIssue>,
) -> Result<(), Error> {
    let n = batch.len();
    let feeds_corpus = ctx.corpus_feed.is_some();
    let chunk = (n / (rayon::current_num_threads() * 4)).clamp(16, 1024);
    let steps = ctx.stages;
    let cfg = ctx.input_cfg;
    let decide = ctx.decide;
    let outs: Vec<ChunkOut> = batch
        .into_par_iter()
        .chunks(chunk)
        .map(|items| process_chunk(items, steps, cfg, decide, feeds_corpus))
        .collect();
    let mut survivors: Vec<(u32, Document)> = Vec::new();
    for out in outs {
        sinks.kept.write(&out.kept_bytes).map_err(Error::output)?;
        sinks
            .removed
            .write(&out.removed_bytes)
            .map_err(Error::output)?;
        ctx.summary.bytes_in += out.bytes_in;
        for (stage, tally) in out.stage_counts {
            ctx.summary.stages[stage].add(tally);
        }
        for (code, count) in out.read_removed {
            *ctx.summary.read_removed.entry(code).or_insert(0) += count;
        }
        for (code, count) in out.read_skipped {
            *ctx.summary.skipped_records.entry(code).or_insert(0) += count;
        }
        issues.extend(out.read_issues);
        for fate in out.fates {
            let file = match &fate {
                Fate::Issue(_) => None,
                Fate::Survived(f, _) | Fate::Removed(f) => Some(*f),
            };
            if let (Some(f), None) = (file, ctx.decide) {
                ctx.summary.count_input(f);
            }
            match fate {
                Fate::Survived(file, doc) if feeds_corpus => survivors.push((file, doc)),
                Fate::Survived(file, _) => ctx.summary.count_kept(file),
                Fate::Removed(file) => ctx.summary.count_removed(file),
                Fate::Issue(issue) => issues.push(issue),
            }
        }
    }
    ctx.progress
        .docs_done
        .fetch_add(n as u64, Ordering::Relaxed);
    if let Some((idx, stage)) = ctx.corpus_feed.as_mut() {
        let docs: Vec<Document> = survivors.iter().map(|(_, d)| d.clone()).collect();
        let t = Instant::now();
        let mut stats = StageStats::default();
        stage.observe(ctx.next_ordinal, &docs, &mut stats);
        ctx.summary.stages[*idx].add_time(t.elapsed().as_nanos() as u64);
        ctx.summary.stages[*idx].counters.merge(&stats);
        ctx.next_ordinal += docs.len() as u64;
        drop(docs);
        let spill = sinks.spill.as_mut().expect("a spill for a corpus stage");
        for (file, doc) in &survivors {
            spill.write(*file, doc)?;
        }
    }
    Ok(())
}

fn process_chunk(
    items: Vec<Item>,
    steps: &[Step],
    cfg: &crate::config::InputConfig,
    decide_first: Option<usize>,
    feeds_corpus: bool,
) -> ChunkOut {
    let mut out = ChunkOut::default();
    for item in items {
        let (file, ordinal, doc) = match item {
            Item::Record(file, record) => match record.resolve(cfg) {
                Record::Doc(doc) => (file, 0, doc),
                Record::Bad {
                    issue,
                    quarantined: Some(doc),
                } => {
                    write::removed_line(&doc, "read", issue.code, &mut out.removed_bytes);
                    out.bytes_in += doc.text.len() as u64;
                    *out.read_removed.entry(issue.code).or_insert(0) += 1;
                    out.read_issues.push(issue);
                    out.fates.push(Fate::Removed(file));
                    continue;
                }
                Record::Bad {
                    issue,
                    quarantined: None,
                } => {
                    out.fates.push(Fate::Issue(issue));
                    continue;
                }
                Record::Skipped { code } => {
                    *out.read_skipped.entry(code).or_insert(0) += 1;
                    continue;
                }
                Record::Pending(_) => unreachable!("resolve parses pending lines"),
            },
            Item::Spilled(ordinal, line) => {
                // The spill is our own output: failing to parse it is a bug, not bad input.
                let s: SpillLineOwned =
                    serde_json::from_slice(&line).expect("reading back a spill line");
                (s.f, ordinal, s.d)
            }
        };
        if decide_first.is_none() {
            out.bytes_in += doc.text.len() as u64;
        }
        match run_steps(doc, ordinal, steps, &mut out.stage_counts) {
            Ok(doc) => {
                if !feeds_corpus {
                    write::kept_line(&doc, &mut out.kept_bytes);
                }
                out.fates.push(Fate::Survived(file, doc));
            }
            Err((doc, stage, reason)) => {
                write::removed_line(
                    &doc,
                    steps_name(steps, stage),
                    &reason,
                    &mut out.removed_bytes,
                );
                out.fates.push(Fate::Removed(file));
            }
        }
    }
    out
}

fn steps_name(steps: &[Step], stage: usize) -> &'static str {
    steps
        .iter()
        .find_map(|s| match s {
            Step::Decide(i, c) if *i == stage => Some(c.name()),
            Step::Doc(i, d) if *i == stage => Some(d.name()),
            _ => None,
        })
        .unwrap_or("unknown")
}

type Removal = (Document, usize, String);

fn run_steps(
    mut doc: Document,
    ordinal: u64,
    steps: &[Step],
    tallies: &mut BTreeMap<usize, StageTally>,
) -> Result<Document, Removal> {
    for step in steps {
        let (idx, outcome, tally) = match step {
            Step::Decide(i, c) => {
                let tally = tallies.entry(*i).or_default();
                let t = Instant::now();
                let o = c.decide(ordinal, doc, &mut tally.stats);
                tally.nanos += t.elapsed().as_nanos() as u64;
                (*i, o, tally)
            }
            Step::Doc(i, d) => {
                let tally = tallies.entry(*i).or_default();
                let t = Instant::now();
                let o = d.process(doc, &mut tally.stats);
                tally.nanos += t.elapsed().as_nanos() as u64;
                (*i, o, tally)
            }
        };
        tally.docs_in += 1;
        match outcome {
            Outcome::Keep(d) => doc = d,
            Outcome::Remove(d, reason) => {
                *tally.removed.entry(reason.to_string()).or_insert(0) += 1;
                return Err((d, idx, reason.into_owned()));
            }
        }
    }
    Ok(doc)
}

#[derive(Serialize)]
struct SpillLine<'a> {
    f: u32,
    d: &'a Document,
}

#[derive(Deserialize)]
struct SpillLineOwned {
    f: u32,
    d: Document,
}

struct SpillWriter {
    enc: zstd::stream::write::Encoder<'static, BufWriter<File>>,
    buf: Vec<u8>,
}

impl SpillWriter {
    fn create(path: &Path) -> Result<Self, Error> {
        let file = File::create(path).map_err(Error::output)?;
        let enc = zstd::stream::write::Encoder::new(BufWriter::with_capacity(1 << 20, file), 1)
            .map_err(Error::output)?;
        Ok(SpillWriter {
            enc,
            buf: Vec::new(),
        })
    }

    fn write(&mut self, f: u32, d: &Document) -> Result<(), Error> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, &SpillLine { f, d })
            .expect("serialising a spill line");
        self.buf.push(b'\n');
        self.enc.write_all(&self.buf).map_err(Error::output)
    }

    fn finish(self) -> Result<(), Error> {
        let mut w = self.enc.finish().map_err(Error::output)?;
        w.flush().map_err(Error::output)
    }
}

/// Refuse to mix a new run's output with an old one's, unless asked to replace it.
fn prepare_output_dir(out: &Path, overwrite: bool) -> Result<(), Error> {
    let ours = ["kept", "removed", "summary.json", ".sapu-tmp"];
    if let Ok(entries) = fs::read_dir(out) {
        let present: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        if !present.is_empty() {
            if !overwrite {
                return Err(Error::OutputExists(out.to_path_buf()));
            }
            for name in present.iter().filter(|n| ours.contains(&n.as_str())) {
                let p = out.join(name);
                let r = if p.is_dir() {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
                r.map_err(Error::output)?;
            }
        }
    }
    fs::create_dir_all(out).map_err(Error::output)
}

#[cfg(test)]
mod tests;
