//! The engine: reads inputs on one thread, runs stages over batches in parallel on a rayon
//! pool, and writes results in input order, accounting for every document.
//!
//! The stage list is cut at each corpus stage into segments. Documents that survive a segment
//! ending in a corpus stage are observed by it and spilled to a compressed temporary file; once
//! all are observed the stage decides, and the next segment reads the spill. Memory is bounded
//! by the batch size (plus whatever index a corpus stage keeps), never by the corpus.
//!
//! Every few batches the engine checkpoints: it ends the compressed stream of each open part
//! file, syncs it, and records (atomically) how far it got. `--resume` cuts the parts back to
//! the checkpoint, rebuilds corpus-stage state by replaying the spill written so far, and goes
//! on from the next record, so an interrupted run finishes with the same output as an
//! uninterrupted one.

mod checkpoint;
mod summary;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{InputConfig, OutputConfig, Recipe};
use crate::doc::{Document, Outcome};
use crate::read::{self, InputIssue, ReadProgress, Record};
use crate::stage::{CorpusStage, DocStage, Stage, StageError, StageStats};
use crate::write::{self, ShardWriter};
use crate::Error;

use checkpoint::{Checkpoint, Position};
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
    /// Checkpoint after this many batches (0: only when interrupted).
    pub checkpoint_batches: u64,
    /// Replace the outputs of an earlier run in the output directory.
    pub overwrite: bool,
    /// Continue an interrupted run from its last checkpoint.
    pub resume: bool,
    /// Set from outside (Ctrl-C) to stop at the next batch boundary with a checkpoint.
    pub stop: Arc<AtomicBool>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            threads: 0,
            batch_docs: 4096,
            batch_bytes: 32 << 20,
            checkpoint_batches: 8,
            overwrite: false,
            resume: false,
            stop: Arc::new(AtomicBool::new(false)),
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
    let fingerprint = checkpoint::fingerprint(recipe, inputs, opts);
    let resume = if opts.resume {
        checkpoint::load(out, &fingerprint)?
    } else {
        None
    };
    if resume.is_none() {
        prepare_output_dir(out, opts.overwrite || opts.resume)?;
    }
    // From here on the output folder is this run's: a failed write (a full disk) leaves what
    // was written up to the last checkpoint valid, and `--resume` continues from there.
    run_prepared(recipe, inputs, out, opts, progress, &fingerprint, resume).map_err(|e| match e {
        Error::Output(io) => Error::OutputStopped(io, out.to_path_buf()),
        e => e,
    })
}

fn run_prepared(
    recipe: &mut Recipe,
    inputs: &[PathBuf],
    out: &Path,
    opts: &RunOptions,
    progress: &Arc<Progress>,
    fingerprint: &str,
    mut resume: Option<Checkpoint>,
) -> Result<Summary, Error> {
    let started = Instant::now();
    let tmp_dir = out.join(".sapu-tmp");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Other(format!("cannot start worker threads: {e}")))?;
    let threads = pool.current_num_threads();
    let (files, issues, skipped_files) = read::expand_inputs(inputs);
    let total: u64 = files
        .iter()
        .filter_map(|f| fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    progress.read.total_bytes.store(total, Ordering::Relaxed);

    // Output compression runs on zstd's own worker threads, beside the rayon pool, so that it
    // overlaps with parsing and serialising instead of stalling the writing thread; any worker
    // count >= 1 gives the same bytes.
    let workers = threads.max(1) as u32;
    let (mut summary, mut kept, mut removed, start_phase) = match &resume {
        Some(c) => {
            let mut s = c.summary.clone();
            s.resumed = true;
            s.threads = threads;
            (
                s,
                ShardWriter::resume(&out.join("kept"), &recipe.output, &c.kept, workers)
                    .map_err(Error::output)?,
                ShardWriter::resume(&out.join("removed"), &recipe.output, &c.removed, workers)
                    .map_err(Error::output)?,
                c.phase,
            )
        }
        None => {
            let mut s = Summary::new(&recipe.stages, &files, threads);
            s.skipped_files = skipped_files;
            issues.into_iter().for_each(|i| s.record_issue(i));
            (
                s,
                ShardWriter::new(&out.join("kept"), &recipe.output)
                    .map_err(Error::output)?
                    .with_compression_workers(workers),
                ShardWriter::new(&out.join("removed"), &recipe.output)
                    .map_err(Error::output)?
                    .with_compression_workers(workers),
                0,
            )
        }
    };

    let segments = segments(&recipe.stages);
    progress
        .phases
        .store(segments.len() as u64, Ordering::Relaxed);
    for (phase, segment) in segments.iter().enumerate().skip(start_phase) {
        progress.phase.store(phase as u64, Ordering::Relaxed);
        progress.docs_done.store(0, Ordering::Relaxed);
        let here = resume.take().filter(|c| c.phase == phase);
        let spill_dir = |k: usize| tmp_dir.join(format!("spill-{k}"));
        let mut spill = match (segment.feeds, &here) {
            (None, _) => None,
            (Some(_), Some(c)) => Some(
                ShardWriter::resume(
                    &spill_dir(phase),
                    &spill_config(),
                    c.spill.as_ref().expect("a spill state"),
                    0,
                )
                .map_err(Error::output)?,
            ),
            (Some(_), None) => {
                let _ = fs::remove_dir_all(spill_dir(phase));
                Some(ShardWriter::new(&spill_dir(phase), &spill_config()).map_err(Error::output)?)
            }
        };
        if here.is_some() {
            // Corpus-stage state is not saved: it is rebuilt from the spills, which hold
            // exactly the documents those stages observed.
            if let Some(idx) = segment.decides {
                let c = corpus_mut(&mut recipe.stages, idx);
                pool.install(|| replay(&spill_dir(phase - 1), c, opts, out))?;
                pool.install(|| c.finish(&mut StageStats::default()))
                    .map_err(stopped(c.name(), out))?;
            }
            if let Some(idx) = segment.feeds {
                let c = corpus_mut(&mut recipe.stages, idx);
                pool.install(|| replay(&spill_dir(phase), c, opts, out))?;
            }
        }
        let position = here.as_ref().map_or(Position::default(), |c| c.position);
        let (steps, feed) = split_borrow(&mut recipe.stages, segment);
        let mut ctx = PhaseCtx {
            phase,
            steps: &steps,
            decide: segment.decides,
            feed,
            summary: &mut summary,
            progress,
            input_cfg: &recipe.input,
            kept: &mut kept,
            removed: &mut removed,
            spill: spill.as_mut(),
            position,
            batches_since_checkpoint: 0,
            opts,
            out,
            fingerprint,
        };
        pool.install(|| match segment.decides {
            None => run_input_phase(&files, &mut ctx),
            Some(_) => run_spill_phase(&spill_dir(phase - 1), &mut ctx),
        })?;
        if let Some(mut s) = spill {
            s.close_part().map_err(Error::output)?;
        }
        if let Some(idx) = segment.feeds {
            let c = corpus_mut(&mut recipe.stages, idx);
            let t = Instant::now();
            let mut stats = StageStats::default();
            pool.install(|| c.finish(&mut stats))
                .map_err(stopped(c.name(), out))?;
            summary.stages[idx].add_time(t.elapsed().as_nanos() as u64);
            summary.stages[idx].counters.merge(&stats);
        }
        if phase > 0 {
            let _ = fs::remove_dir_all(spill_dir(phase - 1));
        }
    }
    kept.finish().map_err(Error::output)?;
    removed.finish().map_err(Error::output)?;
    summary.bytes_out = kept.bytes_written;
    summary.kept_parts = kept.parts_done;
    summary.removed_parts = removed.parts_done;
    summary.finish(started.elapsed().as_secs_f64());
    let json = serde_json::to_vec_pretty(&summary).expect("serialising the summary");
    write::write_atomic(&out.join("summary.json"), &json).map_err(Error::output)?;
    // The recipe beside the summary makes the run reproducible and lets `sapu report` draw the
    // thresholds it used.
    write::write_atomic(&out.join("recipe.toml"), recipe.source.as_bytes())
        .map_err(Error::output)?;
    kept.remove_staging().map_err(Error::output)?;
    removed.remove_staging().map_err(Error::output)?;
    let _ = fs::remove_dir_all(&tmp_dir);
    Ok(summary)
}

fn spill_config() -> OutputConfig {
    OutputConfig {
        format: "jsonl.zst".into(),
        shard_bytes: u64::MAX,
        compression_level: 1,
    }
}

fn corpus_mut(stages: &mut [Stage], idx: usize) -> &mut dyn CorpusStage {
    match &mut stages[idx] {
        Stage::Corpus(c) => c.as_mut(),
        Stage::Doc(_) => unreachable!("segments point at corpus stages"),
    }
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
        let last = out.last_mut().expect("one segment");
        match s {
            Stage::Doc(_) => last.docs.push(i),
            Stage::Corpus(_) => {
                last.feeds = Some(i);
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

impl Step<'_> {
    fn index(&self) -> usize {
        match self {
            Step::Decide(i, _) | Step::Doc(i, _) => *i,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Step::Decide(_, c) => c.name(),
            Step::Doc(_, d) => d.name(),
        }
    }
}

type CorpusFeed<'a> = &'a mut (dyn CorpusStage + 'static);

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

struct PhaseCtx<'a, 'b> {
    phase: usize,
    steps: &'a [Step<'b>],
    decide: Option<usize>,
    feed: Option<(usize, CorpusFeed<'b>)>,
    summary: &'a mut Summary,
    progress: &'a Arc<Progress>,
    input_cfg: &'a InputConfig,
    kept: &'a mut ShardWriter,
    removed: &'a mut ShardWriter,
    spill: Option<&'a mut ShardWriter>,
    /// How far this phase has got: the next record to process.
    position: Position,
    batches_since_checkpoint: u64,
    opts: &'a RunOptions,
    out: &'a Path,
    fingerprint: &'a str,
}

impl PhaseCtx<'_, '_> {
    /// Make the outputs durable and record the position, atomically.
    fn checkpoint(&mut self) -> Result<(), Error> {
        let state = Checkpoint {
            fingerprint: self.fingerprint.to_string(),
            phase: self.phase,
            position: self.position,
            kept: self.kept.checkpoint().map_err(Error::output)?,
            removed: self.removed.checkpoint().map_err(Error::output)?,
            spill: match self.spill.as_mut() {
                Some(s) => Some(s.checkpoint().map_err(Error::output)?),
                None => None,
            },
            summary: self.summary.clone(),
        };
        checkpoint::save(self.out, &state)?;
        self.batches_since_checkpoint = 0;
        Ok(())
    }

    /// After each batch: checkpoint when due, and stop cleanly when asked to.
    fn after_batch(&mut self) -> Result<(), Error> {
        self.batches_since_checkpoint += 1;
        let stop = self.opts.stop.load(Ordering::Relaxed);
        let due = self.opts.checkpoint_batches > 0
            && self.batches_since_checkpoint >= self.opts.checkpoint_batches;
        if stop || due {
            self.checkpoint()?;
        }
        if stop {
            return Err(Error::Interrupted(self.out.to_path_buf()));
        }
        Ok(())
    }
}

/// A unit of work entering a phase: an input record (file, record number in that file), or a
/// spilled document (its ordinal).
// Boxing the record would cost an allocation per document to save ~200 bytes per batch slot.
#[allow(clippy::large_enum_variant)]
enum Item {
    Record(u32, u64, Record),
    Spilled(u64, Vec<u8>),
}

fn run_input_phase(files: &[PathBuf], ctx: &mut PhaseCtx) -> Result<(), Error> {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<Item>>(4);
    let files = files.to_vec();
    let cfg = ctx.input_cfg.clone();
    let read_progress = Arc::clone(&ctx.progress.read);
    let start = ctx.position;
    let (batch_docs, batch_bytes) = (ctx.opts.batch_docs.max(1), ctx.opts.batch_bytes.max(1));
    let reader = std::thread::spawn(move || {
        let mut batch = Vec::new();
        let mut bytes = 0usize;
        for (i, path) in files.iter().enumerate().skip(start.file as usize) {
            let skip = if i as u64 == start.file {
                start.record
            } else {
                0
            };
            let mut seq = 0u64;
            let mut stop = false;
            read::read_file(path, &cfg, &read_progress, &mut |record| {
                seq += 1;
                if stop || seq <= skip {
                    return;
                }
                bytes += record_size(&record);
                batch.push(Item::Record(i as u32, seq, record));
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
        let last = match batch.last() {
            Some(Item::Record(file, seq, _)) => Position {
                file: u64::from(*file),
                record: *seq,
            },
            _ => ctx.position,
        };
        result = process_batch(batch, ctx).and_then(|()| {
            ctx.position = last;
            ctx.after_batch()
        });
        if result.is_err() {
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

/// Feed `consume` the lines of every part file in a spill directory, in order, with their
/// ordinals, in batches.
fn for_each_spill_batch(
    dir: &Path,
    opts: &RunOptions,
    skip: u64,
    consume: &mut dyn FnMut(Vec<Item>) -> Result<(), Error>,
) -> Result<(), Error> {
    // The spill of a resumed input phase is still open, under its temporary name.
    let mut parts: Vec<(u32, PathBuf)> = fs::read_dir(dir)
        .map_err(Error::output)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| write::part_index(&p).map(|i| (i, p)))
        .collect();
    parts.sort();
    let parts = parts.into_iter().map(|(_, p)| p);
    let mut batch = Vec::new();
    let mut bytes = 0;
    let mut ordinal = 0u64;
    for part in parts {
        let file = File::open(&part).map_err(Error::output)?;
        let decoder = zstd::stream::read::Decoder::new(file).map_err(Error::output)?;
        let mut reader = BufReader::with_capacity(1 << 20, decoder);
        loop {
            let mut line = Vec::new();
            if reader.read_until(b'\n', &mut line).map_err(Error::output)? == 0 {
                break;
            }
            ordinal += 1;
            if ordinal <= skip {
                continue;
            }
            bytes += line.len();
            batch.push(Item::Spilled(ordinal - 1, line));
            if batch.len() >= opts.batch_docs.max(1) || bytes >= opts.batch_bytes.max(1) {
                consume(std::mem::take(&mut batch))?;
                bytes = 0;
            }
        }
    }
    if !batch.is_empty() {
        consume(batch)?;
    }
    Ok(())
}

fn run_spill_phase(spill: &Path, ctx: &mut PhaseCtx) -> Result<(), Error> {
    let skip = ctx.position.record;
    for_each_spill_batch(spill, ctx.opts, skip, &mut |batch| {
        let last = match batch.last() {
            Some(Item::Spilled(ordinal, _)) => ordinal + 1,
            _ => ctx.position.record,
        };
        process_batch(batch, ctx)?;
        ctx.position.record = last;
        ctx.after_batch()
    })
}

/// The error that stops a run when corpus stage `name` fails.
fn stopped(stage: &'static str, out: &Path) -> impl FnOnce(StageError) -> Error {
    let out = out.to_path_buf();
    move |error| Error::StageStopped { stage, error, out }
}

/// Observe again, for a resumed run, the documents a corpus stage had observed before.
fn replay(
    spill: &Path,
    stage: &mut dyn CorpusStage,
    opts: &RunOptions,
    out: &Path,
) -> Result<(), Error> {
    let mut scratch = StageStats::default();
    for_each_spill_batch(spill, opts, 0, &mut |batch| {
        let first = match batch.first() {
            Some(Item::Spilled(o, _)) => *o,
            _ => 0,
        };
        let docs: Vec<Document> = batch
            .par_iter()
            .map(|item| match item {
                Item::Spilled(_, line) => parse_spill_line(line).d,
                Item::Record(..) => unreachable!("spills hold spilled documents"),
            })
            .collect();
        stage
            .observe(first, &docs, &mut scratch)
            .map_err(stopped(stage.name(), out))
    })
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
    spill_bytes: Vec<u8>,
    stage_counts: BTreeMap<usize, StageTally>,
    read_removed: Vec<InputIssue>,
    read_skipped: BTreeMap<&'static str, u64>,
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

fn process_batch(batch: Vec<Item>, ctx: &mut PhaseCtx) -> Result<(), Error> {
    let n = batch.len();
    let feeds = ctx.feed.is_some();
    let chunk = (n / (rayon::current_num_threads() * 4)).clamp(16, 1024);
    let (steps, cfg, first_phase) = (ctx.steps, ctx.input_cfg, ctx.decide.is_none());
    let outs: Vec<ChunkOut> = batch
        .into_par_iter()
        .chunks(chunk)
        .map(|items| process_chunk(items, steps, cfg, first_phase, feeds))
        .collect();
    let mut survivors: Vec<Document> = Vec::new();
    let summary = &mut *ctx.summary;
    for out in outs {
        ctx.kept.write(&out.kept_bytes).map_err(Error::output)?;
        ctx.removed
            .write(&out.removed_bytes)
            .map_err(Error::output)?;
        if let Some(spill) = ctx.spill.as_mut() {
            spill.write(&out.spill_bytes).map_err(Error::output)?;
        }
        summary.bytes_in += out.bytes_in;
        for (stage, tally) in out.stage_counts {
            summary.stages[stage].add(tally);
        }
        for (code, n) in out.read_skipped {
            *summary.skipped_records.entry(code.to_string()).or_insert(0) += n;
        }
        for issue in out.read_removed {
            summary.count_read_removal(&issue.code);
            summary.record_issue(issue);
        }
        for fate in out.fates {
            if let (Fate::Survived(f, _) | Fate::Removed(f), true) = (&fate, first_phase) {
                summary.count_input(*f);
            }
            match fate {
                Fate::Survived(_, doc) if feeds => survivors.push(doc),
                Fate::Survived(file, _) => summary.count_kept(file),
                Fate::Removed(file) => summary.count_removed(file),
                Fate::Issue(issue) => summary.record_issue(issue),
            }
        }
    }
    ctx.progress
        .docs_done
        .fetch_add(n as u64, Ordering::Relaxed);
    if let Some((idx, stage)) = ctx.feed.as_mut() {
        let t = Instant::now();
        let mut stats = StageStats::default();
        // Ordinals count the documents this stage has observed so far.
        let first = summary.stages[*idx].docs_in;
        stage
            .observe(first, &survivors, &mut stats)
            .map_err(stopped(stage.name(), ctx.out))?;
        let s = &mut summary.stages[*idx];
        s.docs_in += survivors.len() as u64;
        s.add_time(t.elapsed().as_nanos() as u64);
        s.counters.merge(&stats);
    }
    Ok(())
}

fn process_chunk(
    items: Vec<Item>,
    steps: &[Step],
    cfg: &InputConfig,
    first_phase: bool,
    feeds: bool,
) -> ChunkOut {
    let mut out = ChunkOut::default();
    for item in items {
        let (file, ordinal, doc) = match item {
            Item::Record(file, _, record) => match record.resolve(cfg) {
                Record::Doc(doc) => (file, 0, doc),
                Record::Bad {
                    issue,
                    quarantined: Some(doc),
                } => {
                    write::removed_line(&doc, "read", &issue.code, &mut out.removed_bytes);
                    out.bytes_in += doc.text.len() as u64;
                    out.read_removed.push(issue);
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
                let s = parse_spill_line(&line);
                (s.f, ordinal, s.d)
            }
        };
        if first_phase {
            out.bytes_in += doc.text.len() as u64;
        }
        match run_steps(doc, ordinal, steps, &mut out.stage_counts) {
            Passage::Through(doc) => {
                if feeds {
                    let line = SpillLine { f: file, d: &doc };
                    serde_json::to_writer(&mut out.spill_bytes, &line).expect("serialising");
                    out.spill_bytes.push(b'\n');
                } else {
                    write::kept_line(&doc, &mut out.kept_bytes);
                }
                out.fates.push(Fate::Survived(file, doc));
            }
            Passage::RemovedBy(doc, step, reason) => {
                write::removed_line(&doc, steps[step].name(), &reason, &mut out.removed_bytes);
                out.fates.push(Fate::Removed(file));
            }
        }
    }
    out
}

/// Where a document ended after a segment's steps.
enum Passage {
    Through(Document),
    /// Removed by the step at this position in the segment, with this reason.
    RemovedBy(Document, usize, String),
}

fn run_steps(
    mut doc: Document,
    ordinal: u64,
    steps: &[Step],
    tallies: &mut BTreeMap<usize, StageTally>,
) -> Passage {
    for (pos, step) in steps.iter().enumerate() {
        let tally = tallies.entry(step.index()).or_default();
        let t = Instant::now();
        let outcome = match step {
            Step::Decide(_, c) => c.decide(ordinal, doc, &mut tally.stats),
            Step::Doc(_, d) => d.process(doc, &mut tally.stats),
        };
        tally.nanos += t.elapsed().as_nanos() as u64;
        // A deciding corpus stage counted its documents when it observed them.
        if let Step::Doc(..) = step {
            tally.docs_in += 1;
        }
        match outcome {
            Outcome::Keep(d) => doc = d,
            Outcome::Remove(d, reason) => {
                *tally.removed.entry(reason.to_string()).or_insert(0) += 1;
                return Passage::RemovedBy(d, pos, reason.into_owned());
            }
        }
    }
    Passage::Through(doc)
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

fn parse_spill_line(line: &[u8]) -> SpillLineOwned {
    // The spill is our own output, synced before use: failing to parse it is a bug.
    serde_json::from_slice(line).expect("reading back a spill line")
}

/// Refuse to mix a new run's output with an old one's, unless asked to replace it.
fn prepare_output_dir(out: &Path, overwrite: bool) -> Result<(), Error> {
    let ours = [
        "kept",
        "removed",
        "summary.json",
        "recipe.toml",
        "report.html",
        ".sapu-tmp",
    ];
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
