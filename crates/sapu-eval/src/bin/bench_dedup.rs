//! Dedup benchmarks: MinHash signature speed per core, and resident memory of `minhash_dedup`
//! over a synthetic stream of millions of documents.
//!
//! ```text
//! cargo run --release -p sapu-eval --bin bench_dedup -- speed [--runs 5] [--bits 32|64|both] [--sketch bins|permutations] [--dump-shingles FILE]
//! cargo run --release -p sapu-eval --bin bench_dedup -- hashes [--runs 7]
//! cargo run --release -p sapu-eval --bin bench_dedup -- memory [--docs 10000000] [--memory-mb 1024]
//! ```
//! `speed` reads real news (IndoSum, detik, Liputan6) from the shared data, and times on one
//! thread: (1) the whole path text -> normalise -> 5-gram shingles -> 128-permutation
//! signature, (2) signatures from the shingle strings (hash each string, then permute: what
//! rensa and datasketch are given), (3) the permutation loop alone on shingle hashes.
//! `--sketch` picks the 32-bit signature's sketch (default: `minhash_dedup`'s, `bins`; 64-bit
//! values always use permutations). Times are the thread's CPU time (so other processes on a busy machine cost less noise than
//! wall time would), median of `--runs`; the last line is JSON for `bench/dedup_speed.sh`.
//! `--dump-shingles` writes the shingle strings (JSONL `{"bytes", "shingles"}`) for
//! `bench/peers/dedup_peers.py`, so the peers get exactly the same shingles.
//! `hashes` times candidate 64-bit hashes of the same shingle strings alone (see `hashes`).
//! `memory` pushes synthetic documents (40 words each, 5% near-copies of an earlier one)
//! through the real stage in batches of 4,096 (observe, finish, decide) and reports the peak
//! resident set (VmHWM).

use std::io::Write;
use std::time::Instant;

use anyhow::{bail, Result};
use sapu::dedup::{Hasher, MinHashDedupConfig, Scratch, Sketch};
use sapu::stage::{BuildContext, Stage, StageConfig};
use sapu::text::normalize::{normalize, Normalization};
use sapu::{Document, StageStats};
use sapu_eval::thread_cpu_seconds;
use sapu_eval::{data_dir, median, read_jsonl};
use xxhash_rust::xxh3::xxh3_64;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    match args.first().map(String::as_str) {
        None | Some("speed") => speed(
            flag("--dump-shingles"),
            flag("--runs").map(|r| r.parse()).transpose()?.unwrap_or(5),
            flag("--bits").unwrap_or_else(|| "both".into()),
            flag("--sketch").unwrap_or_else(|| MinHashDedupConfig::default().sketch),
        ),
        Some("hashes") => hashes(flag("--runs").map(|r| r.parse()).transpose()?.unwrap_or(7)),
        Some("memory") => memory(
            flag("--docs")
                .map(|d| d.parse())
                .transpose()?
                .unwrap_or(10_000_000),
            flag("--memory-mb").map(|d| d.parse()).transpose()?,
        ),
        Some("--help" | "-h") => {
            println!(
                "usage: bench_dedup speed [--runs N] [--bits 32|64|both] [--sketch bins|permutations] [--dump-shingles FILE]"
            );
            println!("       bench_dedup hashes [--runs N]");
            println!("       bench_dedup memory [--docs N] [--memory-mb MiB]");
            Ok(())
        }
        Some(other) => bail!("unknown mode `{other}`: use `speed`, `hashes` or `memory`"),
    }
}

/// Real news texts for the speed runs.
fn news() -> Result<Vec<String>> {
    let d = data_dir()?;
    let mut out = Vec::new();
    for f in [
        "text/indosum-dev/indosum_dev_folds.jsonl.gz",
        "text/detik-news-1000/detik_news_1000.jsonl",
        "text/malaysian-dataset-extracts/indon_news.jsonl.gz",
    ] {
        for v in read_jsonl(&d.join(f))? {
            if let Some(t) = v["text"].as_str() {
                out.push(t.to_string());
            }
        }
    }
    Ok(out)
}

fn shingle_strings(text: &str, n: usize) -> Vec<String> {
    let norm = normalize(text, &Normalization::default());
    let words: Vec<&str> = norm.split_whitespace().collect();
    if words.is_empty() {
        return Vec::new();
    }
    words
        .windows(n.min(words.len()))
        .map(|w| w.join(" "))
        .collect()
}

/// Signatures of every text (normalise, shingle, sign: the product's path), one after another;
/// returns the xor of their first values. Not inlined (callgrind: `--toggle-collect='*sign_texts*'`).
#[inline(never)]
fn sign_texts(hasher: &Hasher, texts: &[String], scratch: &mut Scratch, sig: &mut [u64]) -> u64 {
    let mut first = 0u64;
    for t in texts {
        hasher.shingles(t, scratch);
        hasher.signature_of(scratch, sig);
        first ^= sig[0];
    }
    first
}

/// Signatures of every document given as its shingle strings (the peers' input), one after
/// another; returns the xor of their first values. Not inlined, so callgrind can count exactly
/// this loop:
/// `valgrind --tool=callgrind --toggle-collect='*sign_strings*' bench_dedup speed --runs 1 --bits 32`.
#[inline(never)]
fn sign_strings(
    hasher: &Hasher,
    strings: &[Vec<String>],
    scratch: &mut Scratch,
    sig: &mut [u64],
) -> u64 {
    let mut first = 0u64;
    for s in strings {
        hasher.signature_of_strings(s.iter().map(|x| x.as_bytes()), scratch, sig);
        first ^= sig[0];
    }
    first
}

/// Checksums of every value of every signature, from the texts and from the shingle strings
/// (to check that a change of code keeps the signatures).
fn checksums(hasher: &Hasher, texts: &[String], strings: &[Vec<String>]) -> (u64, u64) {
    let (mut scratch, mut sig) = (Scratch::default(), vec![0u64; hasher.num_perm()]);
    let add = |sum: u64, sig: &[u64]| {
        sig.iter().fold(sum.rotate_left(5), |a, &v| {
            a.wrapping_mul(0x100_0000_01b3) ^ v
        })
    };
    let (mut of_texts, mut of_strings) = (0u64, 0u64);
    for t in texts {
        hasher.shingles(t, &mut scratch);
        hasher.signature_of(&mut scratch, &mut sig);
        of_texts = add(of_texts, &sig);
    }
    for s in strings {
        hasher.signature_of_strings(s.iter().map(|x| x.as_bytes()), &mut scratch, &mut sig);
        of_strings = add(of_strings, &sig);
    }
    (of_texts, of_strings)
}

/// Median thread CPU seconds of `reps` calls of `f`.
fn time<F: FnMut()>(reps: usize, mut f: F) -> f64 {
    median(
        (0..reps)
            .map(|_| {
                let t = thread_cpu_seconds();
                f();
                thread_cpu_seconds() - t
            })
            .collect(),
    )
}

fn speed(dump: Option<String>, reps: usize, bits: String, sketch: String) -> Result<()> {
    let sketch32 = match sketch.as_str() {
        "bins" => Sketch::Bins,
        "permutations" => Sketch::Permutations,
        other => bail!("--sketch must be bins or permutations (got {other})"),
    };
    let texts = news()?;
    let bytes: usize = texts.iter().map(String::len).sum();
    let mb = bytes as f64 / 1e6;
    let strings: Vec<Vec<String>> = texts.iter().map(|t| shingle_strings(t, 5)).collect();
    let nshingles: usize = strings.iter().map(Vec::len).sum();
    println!(
        "corpus: {} documents, {mb:.1} MB of text, {nshingles} shingles (word 5-grams), 128 permutations, 1 thread",
        texts.len()
    );
    if let Some(path) = dump {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
        for (t, s) in texts.iter().zip(&strings) {
            serde_json::to_writer(
                &mut f,
                &serde_json::json!({"bytes": t.len(), "shingles": s}),
            )?;
            f.write_all(b"\n")?;
        }
        println!("wrote the shingles to {path}");
    }
    let sets: Vec<Vec<u64>> = strings
        .iter()
        .map(|s| s.iter().map(|x| xxh3_64(x.as_bytes())).collect())
        .collect();
    let mut sink = 0u64;
    let widths: &[u32] = match bits.as_str() {
        "32" => &[32],
        "64" => &[64],
        "both" => &[32, 64],
        other => bail!("--bits must be 32, 64 or both (got {other})"),
    };
    let mut json = serde_json::Map::new();
    let reps = reps.max(1);
    for &bits in widths {
        let sketch = if bits == 32 {
            sketch32
        } else {
            Sketch::Permutations
        };
        let hasher =
            Hasher::with_bits(128, 5, 1, Normalization::default(), bits).with_sketch(sketch);
        let mut sig = vec![0u64; 128];
        let mut scratch = Scratch::default();
        let full = time(reps, || {
            sink ^= sign_texts(&hasher, &texts, &mut scratch, &mut sig);
        });
        let from_strings = time(reps, || {
            sink ^= sign_strings(&hasher, &strings, &mut scratch, &mut sig);
        });
        let hashing = time(reps, || {
            for s in &strings {
                scratch.shingles.clear();
                scratch
                    .shingles
                    .extend(s.iter().map(|x| xxh3_64(x.as_bytes())));
                sink ^= scratch.shingles.first().copied().unwrap_or(0);
            }
        });
        let kernel = time(reps, || {
            for h in &sets {
                scratch.shingles.clone_from(h);
                hasher.signature_of(&mut scratch, &mut sig);
                sink ^= sig[0];
            }
        });
        let (of_texts, of_strings) = checksums(&hasher, &texts, &strings);
        println!(
            "{bits}-bit values, {sketch:?} (signature checksums: texts {of_texts:016x}, strings {of_strings:016x}):"
        );
        println!(
            "  text -> signature (normalise, shingle, sign): {:7.1} MB/s  {:9.0} docs/s",
            mb / full,
            texts.len() as f64 / full
        );
        println!(
            "  shingle strings -> signature (as the peers):  {:7.1} MB/s  {:9.0} docs/s",
            mb / from_strings,
            texts.len() as f64 / from_strings
        );
        println!(
            "  shingle string hashing alone (xxh3):          {:7.1} MB/s  {:6.1} ns/shingle",
            mb / hashing,
            hashing * 1e9 / nshingles as f64
        );
        println!(
            "  permutation loop alone:                       {:7.1} MB/s  {:6.1} ns/shingle",
            mb / kernel,
            kernel * 1e9 / nshingles as f64
        );
        json.insert(format!("text_mb_s_{bits}"), (mb / full).into());
        json.insert(format!("strings_mb_s_{bits}"), (mb / from_strings).into());
        json.insert(format!("kernel_mb_s_{bits}"), (mb / kernel).into());
    }
    println!("({sink:x}) median thread CPU time of {reps} runs");
    println!("{}", serde_json::Value::Object(json));
    Ok(())
}

/// `hashes`: candidate 64-bit hashes of the bench's shingle strings alone, ns a string (median
/// thread CPU time of `reps`), over the strings as the speed bench holds them (one `String`
/// each) and packed into one buffer; `touch` only reads each string's length and two bytes.
fn hashes(reps: usize) -> Result<()> {
    use rapidhash::v3::{
        rapidhash_v3_inline, rapidhash_v3_micro_inline, rapidhash_v3_nano_inline, RapidSecrets,
    };
    use xxhash_rust::xxh3::xxh3_64_with_seed;
    const SECRETS: RapidSecrets = RapidSecrets::seed(1);
    let texts = news()?;
    let strings: Vec<Vec<String>> = texts.iter().map(|t| shingle_strings(t, 5)).collect();
    let n: usize = strings.iter().map(Vec::len).sum();
    let packed: Vec<u8> = strings.iter().flatten().flat_map(|s| s.bytes()).collect();
    let mut ends = Vec::with_capacity(n);
    let mut end = 0;
    for s in strings.iter().flatten() {
        end += s.len();
        ends.push(end);
    }
    let short = strings.iter().flatten().filter(|s| s.len() <= 32).count();
    println!(
        "{n} shingle strings, mean {:.1} bytes, {:.1}% of 32 bytes or fewer; ns a string (median thread CPU time of {reps} runs), as held / packed",
        packed.len() as f64 / n as f64,
        100.0 * short as f64 / n as f64
    );
    let data = (&strings[..], &packed[..], &ends[..]);
    let mut sink = hash_run("touch", data, reps, |b| {
        b.len() as u64
            ^ u64::from(b.first().copied().unwrap_or(0))
            ^ u64::from(b.last().copied().unwrap_or(0)) << 8
    });
    sink ^= hash_run("xxh3 (xxhash-rust)", data, reps, |b| {
        xxh3_64_with_seed(b, 1)
    });
    sink ^= hash_run("rapidhash v3", data, reps, |b| {
        rapidhash_v3_inline::<true, false, false>(b, &SECRETS)
    });
    sink ^= hash_run("rapidhash v3 micro", data, reps, |b| {
        rapidhash_v3_micro_inline::<true, false>(b, &SECRETS)
    });
    sink ^= hash_run("rapidhash v3 nano", data, reps, |b| {
        rapidhash_v3_nano_inline::<true, false>(b, &SECRETS)
    });
    println!("({sink:x})");
    Ok(())
}

/// One line of `hashes`: `h` over the strings as held and packed (each its own copy of the
/// loops, so `h` is inlined as in the signature code).
fn hash_run<H: Fn(&[u8]) -> u64>(
    name: &str,
    (strings, packed, ends): (&[Vec<String>], &[u8], &[usize]),
    reps: usize,
    h: H,
) -> u64 {
    let n = ends.len();
    let (mut out, mut sink) = (Vec::new(), 0u64);
    let held = time(reps, || {
        for d in strings {
            out.clear();
            out.extend(d.iter().map(|s| h(s.as_bytes())));
            sink ^= out.first().copied().unwrap_or(0);
        }
    });
    let flat = time(reps, || {
        let mut start = 0;
        for &e in ends {
            sink ^= h(&packed[start..e]);
            start = e;
        }
    });
    println!(
        "  {name:22} {:5.2} / {:5.2}",
        held * 1e9 / n as f64,
        flat * 1e9 / n as f64
    );
    sink
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Synthetic document `k`: 40 words from a 50,000-word vocabulary; every 20th document copies
/// document `k - 1001` (never itself a copy) with its last word changed (Jaccard 35/37).
fn synthetic(k: u64) -> String {
    let (seed, edited) = if k % 20 == 19 && k >= 1001 {
        (k - 1001, true)
    } else {
        (k, false)
    };
    let mut s = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut out = String::with_capacity(40 * 7);
    for i in 0..40 {
        let mut w = splitmix(&mut s) % 50_000;
        if edited && i == 39 {
            w = 50_000 + k % 1000;
        }
        loop {
            out.push((b'a' + (w % 26) as u8) as char);
            w /= 26;
            if w == 0 {
                break;
            }
        }
        out.push(' ');
    }
    out
}

fn vm_hwm_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn memory(docs: u64, memory_mb: Option<usize>) -> Result<()> {
    let mut config = MinHashDedupConfig::default();
    if let Some(m) = memory_mb {
        config.memory_mb = m;
    }
    let Ok(Stage::Corpus(mut stage)) = config.build(&BuildContext::default()) else {
        bail!("default config does not build")
    };
    let t = Instant::now();
    let mut stats = StageStats::default();
    let batch = 4096u64;
    let mut k = 0;
    while k < docs {
        let n = batch.min(docs - k);
        let b: Vec<Document> = (k..k + n)
            .map(|i| Document::new(format!("syn-{i}"), synthetic(i)))
            .collect();
        stage.observe(k, &b, &mut stats)?;
        k += n;
    }
    let observed = t.elapsed().as_secs_f64();
    let after_observe = vm_hwm_mib();
    stage.finish(&mut stats)?;
    let finished = t.elapsed().as_secs_f64();
    let mut removed = 0u64;
    let mut k = 0;
    while k < docs {
        let n = batch.min(docs - k);
        for i in k..k + n {
            let d = Document::new(format!("syn-{i}"), String::new());
            if stage.decide(i, d, &mut stats).reason().is_some() {
                removed += 1;
            }
        }
        k += n;
    }
    println!(
        "{docs} synthetic documents (40 words; {} injected near-copies), default minhash_dedup (20 bands x 6 rows, verified), memory_mb = {}",
        (1001..docs).filter(|k| k % 20 == 19).count(),
        config.memory_mb
    );
    println!("removed as near_duplicate: {removed}");
    println!("counters: {:?}", stats.0);
    println!(
        "time: observe {observed:.1} s, finish {:.1} s, decide {:.1} s",
        finished - observed,
        t.elapsed().as_secs_f64() - finished
    );
    println!(
        "peak resident memory: {after_observe:.0} MiB after observe, {:.0} MiB overall (VmHWM)",
        vm_hwm_mib()
    );
    Ok(())
}
