//! One streaming pass over a run's `kept/` and `removed/` part files, folding every document
//! into bounded accumulators: counts per reason, language, quality signal, clean rule and
//! cluster size, plus bottom-k samples. Part files are read in parallel; accumulators merge
//! by addition and bottom-k union, so the result does not depend on the split.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value};
use xxhash_rust::xxh3::xxh3_64;

use super::sample::{clean_rules, shorten, BottomK, Ranked, Sample};
use crate::read::Compression;

/// Distinct keys tracked per table beyond which new keys are folded into `other`.
const MAX_LANGS: usize = 300;
const MAX_SIGNALS: usize = 64;
const MAX_RULES: usize = 64;
const MAX_REASONS: usize = 500;
const MAX_CLUSTER_SIZES: usize = 20_000;
/// Cut lines kept per clean sample.
const CUT_LINES: usize = 8;

/// How much is sampled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Documents sampled per removal reason and per clean rule.
    pub samples: usize,
    /// Values sampled per quality signal for its histogram.
    pub signal_values: usize,
    /// Biggest clusters listed.
    pub clusters: usize,
}

/// A document line of `kept/` or `removed/`.
#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    id: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    metadata: Map<String, Value>,
    removed_by: Option<String>,
    reason: Option<String>,
}

/// Documents and text bytes.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tally {
    pub docs: u64,
    pub bytes: u64,
}

/// One removal reason (`stage/reason`).
#[derive(Debug)]
pub(crate) struct ReasonAcc {
    pub docs: u64,
    pub bytes: u64,
    pub samples: BottomK<Sample>,
}

/// One language.
#[derive(Debug, Default)]
pub(crate) struct LangAcc {
    pub kept: u64,
    pub removed: u64,
    pub scored: u64,
    pub score_sum: f64,
    /// Scores in tenths: [0, 0.1), ..., [0.9, 1.0].
    pub score_bins: [u64; 10],
}

/// A sampled value of a quality signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Point {
    pub hash: u64,
    pub bits: u64,
    pub removed: bool,
}

impl Ranked for Point {
    type Key = u64;
    fn key(&self) -> u64 {
        self.hash
    }
}

impl Point {
    pub(crate) fn value(&self) -> f64 {
        f64::from_bits(self.bits)
    }
}

/// One numeric quality signal: exact moments and a bottom-k sample of values.
#[derive(Debug)]
pub(crate) struct SignalAcc {
    pub kept: u64,
    pub removed: u64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
    pub values: BottomK<Point>,
}

/// One clean rule.
#[derive(Debug)]
pub(crate) struct RuleAcc {
    pub docs: u64,
    pub lines: u64,
    pub samples: BottomK<Sample>,
}

/// A kept document heading a cluster, ranked biggest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cluster {
    pub size: u64,
    pub sample: Sample,
}

impl Ord for Cluster {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other
            .size
            .cmp(&self.size)
            .then_with(|| self.sample.cmp(&other.sample))
    }
}

impl PartialOrd for Cluster {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ranked for Cluster {
    type Key = (std::cmp::Reverse<u64>, u64);
    fn key(&self) -> Self::Key {
        (std::cmp::Reverse(self.size), self.sample.hash)
    }
}

/// Everything one pass learns.
#[derive(Debug)]
pub(crate) struct Collected {
    limits: Limits,
    pub kept: Tally,
    pub removed: Tally,
    /// Part files read.
    pub files: u64,
    /// Lines that were not JSON documents.
    pub bad_lines: u64,
    /// Files that could not be read to the end, with why.
    pub problems: Vec<String>,
    pub reasons: BTreeMap<String, ReasonAcc>,
    pub langs: BTreeMap<String, LangAcc>,
    pub signals: BTreeMap<String, SignalAcc>,
    pub rules: BTreeMap<String, RuleAcc>,
    /// Documents carrying a non-empty `metadata.clean`.
    pub cleaned_docs: u64,
    /// Kept documents by `metadata.cluster_size`.
    pub cluster_sizes: BTreeMap<u64, u64>,
    pub clusters: BottomK<Cluster>,
}

impl Collected {
    fn new(limits: Limits) -> Self {
        Collected {
            limits,
            kept: Tally::default(),
            removed: Tally::default(),
            files: 0,
            bad_lines: 0,
            problems: Vec::new(),
            reasons: BTreeMap::new(),
            langs: BTreeMap::new(),
            signals: BTreeMap::new(),
            rules: BTreeMap::new(),
            cleaned_docs: 0,
            cluster_sizes: BTreeMap::new(),
            clusters: BottomK::new(limits.clusters),
        }
    }

    fn add(&mut self, line: Line, removed: bool) {
        let hash = xxh3_64(line.id.as_bytes());
        let bytes = line.text.len() as u64;
        let side = if removed {
            &mut self.removed
        } else {
            &mut self.kept
        };
        side.docs += 1;
        side.bytes += bytes;
        let build = |cut: Vec<String>| {
            let mut s = Sample::build(hash, &line.id, &line.text, &line.metadata, removed);
            s.cut_lines = cut;
            s
        };
        if removed {
            let stage = line.removed_by.as_deref().unwrap_or("unknown");
            let reason = line.reason.as_deref().unwrap_or("unknown");
            let mut key = format!("{stage}/{reason}");
            if self.reasons.len() >= MAX_REASONS && !self.reasons.contains_key(&key) {
                key = format!("{stage}/other");
            }
            let k = self.limits.samples;
            let acc = self.reasons.entry(key).or_insert_with(|| ReasonAcc {
                docs: 0,
                bytes: 0,
                samples: BottomK::new(k),
            });
            acc.docs += 1;
            acc.bytes += bytes;
            if acc.samples.accepts(&hash) {
                acc.samples.push(build(Vec::new()));
            }
        }
        self.add_lang(&line.metadata, removed);
        self.add_signals(&line.metadata, hash, removed);
        if let Some(clean) = line.metadata.get("clean") {
            let rules = clean_rules(clean);
            if !rules.is_empty() {
                self.cleaned_docs += 1;
            }
            for (rule, n, lines) in rules {
                if !self.rules.contains_key(&rule) && self.rules.len() >= MAX_RULES {
                    continue;
                }
                let k = self.limits.samples;
                let acc = self.rules.entry(rule).or_insert_with(|| RuleAcc {
                    docs: 0,
                    lines: 0,
                    samples: BottomK::new(k),
                });
                acc.docs += 1;
                acc.lines += n;
                if acc.samples.accepts(&hash) {
                    let cut = lines.iter().take(CUT_LINES).map(|l| shorten(l, 240));
                    acc.samples.push(build(cut.collect()));
                }
            }
        }
        let size = line.metadata.get("cluster_size").and_then(Value::as_u64);
        if let (Some(size), false) = (size, removed) {
            if self.cluster_sizes.len() < MAX_CLUSTER_SIZES
                || self.cluster_sizes.contains_key(&size)
            {
                *self.cluster_sizes.entry(size).or_insert(0) += 1;
            }
            if size > 1 && self.clusters.accepts(&(std::cmp::Reverse(size), hash)) {
                let sample = build(Vec::new());
                self.clusters.push(Cluster { size, sample });
            }
        }
    }

    fn add_lang(&mut self, metadata: &Map<String, Value>, removed: bool) {
        let Some(lang) = metadata.get("lang").and_then(Value::as_str) else {
            return;
        };
        let key = if self.langs.len() >= MAX_LANGS && !self.langs.contains_key(lang) {
            "other"
        } else {
            lang
        };
        let acc = self.langs.entry(shorten(key, 40)).or_default();
        if removed {
            acc.removed += 1;
        } else {
            acc.kept += 1;
        }
        if let Some(score) = metadata.get("lang_score").and_then(Value::as_f64) {
            if score.is_finite() {
                acc.scored += 1;
                acc.score_sum += score;
                acc.score_bins[((score.clamp(0.0, 1.0) * 10.0) as usize).min(9)] += 1;
            }
        }
    }

    fn add_signals(&mut self, metadata: &Map<String, Value>, hash: u64, removed: bool) {
        let Some(Value::Object(quality)) = metadata.get("quality") else {
            return;
        };
        let mut flat = Vec::new();
        flatten("", quality, &mut flat);
        for (name, v) in flat {
            if !self.signals.contains_key(&name) && self.signals.len() >= MAX_SIGNALS {
                continue;
            }
            let k = self.limits.signal_values;
            let acc = self.signals.entry(name).or_insert_with(|| SignalAcc {
                kept: 0,
                removed: 0,
                min: f64::INFINITY,
                max: f64::NEG_INFINITY,
                sum: 0.0,
                values: BottomK::new(k),
            });
            if removed {
                acc.removed += 1;
            } else {
                acc.kept += 1;
            }
            acc.min = acc.min.min(v);
            acc.max = acc.max.max(v);
            acc.sum += v;
            let point = Point {
                hash,
                bits: v.to_bits(),
                removed,
            };
            if acc.values.accepts(&hash) {
                acc.values.push(point);
            }
        }
    }

    fn merge(mut self, other: Collected) -> Collected {
        self.kept.docs += other.kept.docs;
        self.kept.bytes += other.kept.bytes;
        self.removed.docs += other.removed.docs;
        self.removed.bytes += other.removed.bytes;
        self.files += other.files;
        self.bad_lines += other.bad_lines;
        self.problems.extend(other.problems);
        for (k, v) in other.reasons {
            match self.reasons.get_mut(&k) {
                Some(a) => {
                    a.docs += v.docs;
                    a.bytes += v.bytes;
                    a.samples.merge(v.samples);
                }
                None => {
                    self.reasons.insert(k, v);
                }
            }
        }
        for (k, v) in other.langs {
            let a = self.langs.entry(k).or_default();
            a.kept += v.kept;
            a.removed += v.removed;
            a.scored += v.scored;
            a.score_sum += v.score_sum;
            for (x, y) in a.score_bins.iter_mut().zip(v.score_bins) {
                *x += y;
            }
        }
        for (k, v) in other.signals {
            match self.signals.get_mut(&k) {
                Some(a) => {
                    a.kept += v.kept;
                    a.removed += v.removed;
                    a.min = a.min.min(v.min);
                    a.max = a.max.max(v.max);
                    a.sum += v.sum;
                    a.values.merge(v.values);
                }
                None => {
                    self.signals.insert(k, v);
                }
            }
        }
        for (k, v) in other.rules {
            match self.rules.get_mut(&k) {
                Some(a) => {
                    a.docs += v.docs;
                    a.lines += v.lines;
                    a.samples.merge(v.samples);
                }
                None => {
                    self.rules.insert(k, v);
                }
            }
        }
        self.cleaned_docs += other.cleaned_docs;
        for (k, v) in other.cluster_sizes {
            *self.cluster_sizes.entry(k).or_insert(0) += v;
        }
        self.clusters.merge(other.clusters);
        self
    }
}

/// Numeric leaves of a nested object, named by dotted path; booleans are not signals.
fn flatten(prefix: &str, obj: &Map<String, Value>, out: &mut Vec<(String, f64)>) {
    for (k, v) in obj {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Number(n) => {
                if let Some(f) = n.as_f64().filter(|f| f.is_finite()) {
                    out.push((name, f));
                }
            }
            Value::Object(inner) => flatten(&name, inner, out),
            _ => {}
        }
    }
}

/// The part files of one output directory, by name: `*.jsonl`, `*.jsonl.gz`, `*.jsonl.zst`,
/// `*.parquet` (temporary and hidden files skipped). A missing directory has none.
pub(crate) fn part_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            let (stem, _) = Compression::strip(&name);
            !name.starts_with('.')
                && (stem.ends_with(".jsonl")
                    || stem.ends_with(".ndjson")
                    || name.ends_with(".parquet"))
        })
        .collect();
    out.sort();
    out
}

/// Read every part file of `run_dir/kept` and `run_dir/removed` once, in parallel.
pub(crate) fn collect(run_dir: &Path, limits: Limits) -> Collected {
    let mut jobs: Vec<(PathBuf, bool)> = Vec::new();
    jobs.extend(
        part_files(&run_dir.join("kept"))
            .into_iter()
            .map(|p| (p, false)),
    );
    jobs.extend(
        part_files(&run_dir.join("removed"))
            .into_iter()
            .map(|p| (p, true)),
    );
    let mut out = jobs
        .par_iter()
        .fold(
            || Collected::new(limits),
            |mut acc, (path, removed)| {
                read_part(path, *removed, &mut acc);
                acc
            },
        )
        .reduce(|| Collected::new(limits), Collected::merge);
    out.problems.sort();
    out
}

fn read_part(path: &Path, removed: bool, acc: &mut Collected) {
    acc.files += 1;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".parquet") {
        let read = crate::read::parquet_rows(path, |row| match serde_json::from_value(row) {
            Ok(line) => acc.add(line, removed),
            Err(_) => acc.bad_lines += 1,
        });
        if let Err(e) = read {
            acc.problems.push(e);
        }
        return;
    }
    let (_, compression) = Compression::strip(&name);
    let reader = File::open(path).and_then(|f| compression.decoder(f));
    let mut reader = match reader {
        Ok(r) => BufReader::with_capacity(1 << 20, r),
        Err(e) => {
            acc.problems.push(format!("{}: {e}", path.display()));
            return;
        }
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                acc.problems.push(format!("{}: {e}", path.display()));
                break;
            }
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Line>(&buf) {
            Ok(line) => acc.add(line, removed),
            Err(_) => acc.bad_lines += 1,
        }
    }
}
