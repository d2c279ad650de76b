//! Dedup accuracy on the shared data (not CI).
//!
//! ```text
//! cargo run --release -p sapu-eval --bin eval_dedup
//! ```
//! 1. Near-duplicates: 3,000 real news articles (IndoSum, detik) plus near-copies of 600 of
//!    them (word substitutions, insertions, deletions, reordered paragraphs, at several edit
//!    rates). Truth: every pair with exact Jaccard >= 0.8 on the word 5-gram sets (brute force
//!    over all pairs sharing a shingle). Predicted: every pair placed in one cluster. Precision
//!    and recall for sapu's defaults, datatrove's preset and rensa-like 16 x 8 + verification.
//! 2. Clough & Stevenson: share of answers clustered with their source text, per label.
//! 3. PAWS-id: share of label-0 (not paraphrase) sentence pairs flagged as near-duplicates.
//! 4. exact_dedup removals on the text sets against their natural duplicate counts.
//! 5. Signature sketches (`sketch = "bins"`, the default, against `"permutations"`): the
//!    Jaccard estimate (share of equal signature values, 120 = 20 x 6) against the exact
//!    Jaccard of real document pairs (news articles cut to short, medium or full length, and a
//!    near-copy of each, exact J in 0.5-0.95), over 20 seeds per pair: bias, spread, and how
//!    often 20 x 6 banding makes the pair a candidate, next to k-permutation theory.
//!
//! `eval_dedup sketch` runs part 5 alone.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use anyhow::{bail, Result};
use rayon::prelude::*;
use sapu::dedup::{jaccard_sorted, ExactDedupConfig, Hasher, MinHashDedupConfig, Scratch, Sketch};
use sapu::stage::{BuildContext, Stage, StageConfig};
use sapu::text::normalize::Normalization;
use sapu::{Document, Outcome, StageStats};
use sapu_eval::Rng;
use sapu_eval::{data_dir, read_jsonl};
use serde_json::Value;

fn main() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some("sketch") {
        return sketch_study();
    }
    near_duplicates()?;
    clough_stevenson()?;
    paws()?;
    exact_counts()?;
    sketch_study()?;
    Ok(())
}

/// Part 5: Jaccard estimates of the two sketches against exact Jaccard on real pairs.
fn sketch_study() -> Result<()> {
    const SEEDS: u64 = 20;
    const BANDS: usize = 20;
    const ROWS: usize = 6;
    let d = data_dir()?;
    let texts: Vec<String> = read_jsonl(&d.join("text/indosum-dev/indosum_dev_folds.jsonl.gz"))?
        .into_iter()
        .filter_map(|v| v["text"].as_str().map(str::to_string))
        .collect();
    let pool: Vec<&str> = texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .step_by(97)
        .collect();
    // (size class, text a, text b, exact Jaccard)
    let norm = Normalization::default();
    let exact = Hasher::new(1, 5, 1, norm);
    let mut rng = Rng(77);
    let mut pairs: Vec<(usize, String, String, f64)> = Vec::new();
    let classes = [
        "short (8-60 words)",
        "medium (60-250 words)",
        "long (full articles)",
    ];
    let mut want = [0usize; 3];
    let mut tries = 0;
    let (mut sa, mut sb) = (Scratch::default(), Scratch::default());
    while want.iter().any(|&w| w < 400) && tries < 100_000 {
        tries += 1;
        let class = rng.below(3);
        if want[class] >= 400 {
            continue;
        }
        let words: Vec<&str> = texts[rng.below(texts.len())].split_whitespace().collect();
        let n = match class {
            0 => 8 + rng.below(53),
            1 => 60 + rng.below(191),
            _ => words.len(),
        };
        if words.len() < n || (class == 2 && n < 250) {
            continue;
        }
        let a = words[..n].join(" ");
        let rate = [0.01, 0.02, 0.03, 0.05, 0.08, 0.12][rng.below(6)];
        let b = near_copy(&a, rng.below(3), rate, &pool, &mut rng);
        exact.shingles(&a, &mut sa);
        exact.shingles(&b, &mut sb);
        let j = jaccard_sorted(&sa.shingles, &sb.shingles);
        if (0.5..=0.95).contains(&j) {
            want[class] += 1;
            pairs.push((class, a, b, j));
        }
    }
    println!("## Signature sketches: Jaccard estimate vs exact Jaccard (120 values, {SEEDS} seeds per pair)");
    println!(
        "Pairs: a news article cut to the class's length and a near-copy (1-12% of the words substituted, inserted or deleted), exact word 5-gram Jaccard in 0.5-0.95. Estimate: share of the 120 values (20 x 6) that agree. Bias: mean (estimate - J); sd: of (estimate - J); k-perm sd: sqrt(J(1-J)/120), the spread of independent permutations. Candidate: some band of 6 agrees; theory 1 - (1 - J^6)^20."
    );
    println!("| sketch | pairs | mean J | bias (± 2 se) | sd | k-perm sd | missed, J >= 0.8 (theory) | candidate, J 0.5-0.7 (theory) |");
    println!("|---|---|---|---|---|---|---|---|");
    for (class, name) in classes.iter().enumerate() {
        let of_class: Vec<&(usize, String, String, f64)> =
            pairs.iter().filter(|p| p.0 == class).collect();
        for (label, sketch) in [
            ("permutations", Sketch::Permutations),
            ("bins", Sketch::Bins),
        ] {
            // Per (pair, seed): (J, estimate, candidate).
            let rows: Vec<(f64, f64, bool)> = (0..SEEDS)
                .into_par_iter()
                .flat_map_iter(|seed| {
                    let h = Hasher::with_bits(BANDS * ROWS, 5, 1000 + seed, norm, 32)
                        .with_sketch(sketch);
                    let (mut sa, mut sb) = (Scratch::default(), Scratch::default());
                    let (mut ga, mut gb) = (vec![0u64; BANDS * ROWS], vec![0u64; BANDS * ROWS]);
                    of_class
                        .iter()
                        .map(|(_, a, b, j)| {
                            h.shingles(a, &mut sa);
                            h.signature_of(&mut sa, &mut ga);
                            h.shingles(b, &mut sb);
                            h.signature_of(&mut sb, &mut gb);
                            let agree = ga.iter().zip(&gb).filter(|(x, y)| x == y).count();
                            let cand = ga.chunks(ROWS).zip(gb.chunks(ROWS)).any(|(x, y)| x == y);
                            (*j, agree as f64 / (BANDS * ROWS) as f64, cand)
                        })
                        .collect::<Vec<_>>()
                })
                .collect();
            let n = rows.len() as f64;
            let errs: Vec<f64> = rows.iter().map(|r| r.1 - r.0).collect();
            let bias = errs.iter().sum::<f64>() / n;
            let sd = (errs.iter().map(|e| (e - bias).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let kperm = (rows
                .iter()
                .map(|r| r.0 * (1.0 - r.0) / (BANDS * ROWS) as f64)
                .sum::<f64>()
                / n)
                .sqrt();
            let band =
                |r: &&(f64, f64, bool)| 1.0 - (1.0 - r.0.powi(ROWS as i32)).powi(BANDS as i32);
            let high: Vec<&(f64, f64, bool)> = rows.iter().filter(|r| r.0 >= 0.8).collect();
            let low: Vec<&(f64, f64, bool)> = rows.iter().filter(|r| r.0 < 0.7).collect();
            let share = |v: &[&(f64, f64, bool)], cand: bool| {
                v.iter().filter(|r| r.2 == cand).count() as f64 / v.len().max(1) as f64
            };
            let mean = |v: &[&(f64, f64, bool)], f: &dyn Fn(&&(f64, f64, bool)) -> f64| {
                v.iter().map(f).sum::<f64>() / v.len().max(1) as f64
            };
            println!(
                "| {label}, {name} | {} | {:.3} | {bias:+.4} (± {:.4}) | {sd:.4} | {kperm:.4} | {:.4} ({:.4}), {} | {:.3} ({:.3}), {} |",
                of_class.len(),
                rows.iter().map(|r| r.0).sum::<f64>() / n,
                2.0 * sd / n.sqrt(),
                share(&high, false),
                mean(&high, &|r| 1.0 - band(r)),
                high.len(),
                share(&low, true),
                mean(&low, &band),
                low.len(),
            );
        }
    }
    println!();
    Ok(())
}

/// Run a corpus stage over `docs` (batches of 4,096) and return its outcomes in input order.
fn run_stage<C: StageConfig>(config: &C, docs: &[Document]) -> Result<(Vec<Outcome>, StageStats)> {
    let Ok(Stage::Corpus(mut s)) = config.build(&BuildContext::default()) else {
        bail!("{} does not build as a corpus stage", C::NAME)
    };
    let mut stats = StageStats::default();
    for (k, chunk) in docs.chunks(4096).enumerate() {
        s.observe((k * 4096) as u64, chunk, &mut stats)?;
    }
    s.finish(&mut stats)?;
    let out = docs
        .par_iter()
        .enumerate()
        .map(|(i, d)| s.decide(i as u64, d.clone(), &mut StageStats::default()))
        .collect();
    Ok((out, stats))
}

/// The cluster (kept document id) of every document.
fn clusters(out: &[Outcome]) -> Vec<String> {
    out.iter()
        .map(|o| match o {
            Outcome::Keep(d) => d.id.clone(),
            Outcome::Remove(d, _) => d.metadata["duplicate_of"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        })
        .collect()
}

/// Pairs `(i, j)`, `i < j`, in the same cluster.
fn cluster_pairs(out: &[Outcome]) -> HashSet<(u32, u32)> {
    let mut by: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, c) in clusters(out).into_iter().enumerate() {
        by.entry(c).or_default().push(i as u32);
    }
    let mut pairs = HashSet::new();
    for members in by.values() {
        for (a, &x) in members.iter().enumerate() {
            for &y in &members[a + 1..] {
                pairs.insert((x.min(y), x.max(y)));
            }
        }
    }
    pairs
}

/// A near-copy of `text`: `kind` 0 substitutes, 1 inserts, 2 deletes `rate` of the words
/// (vocabulary for new words: `pool`), 3 reorders two paragraphs and substitutes `rate / 4`.
fn near_copy(text: &str, kind: usize, rate: f64, pool: &[&str], rng: &mut Rng) -> String {
    let mut paras: Vec<Vec<String>> = text
        .split('\n')
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.split_whitespace().map(str::to_string).collect())
        .collect();
    let total: usize = paras.iter().map(Vec::len).sum();
    let edits = |r: f64| ((total as f64 * r).round() as usize).max(1);
    let locate = |paras: &Vec<Vec<String>>, mut k: usize| {
        for (p, words) in paras.iter().enumerate() {
            if k < words.len().max(1) {
                return (p, k);
            }
            k -= words.len().max(1);
        }
        (0, 0)
    };
    let substitute = |paras: &mut Vec<Vec<String>>, n: usize, rng: &mut Rng| {
        for _ in 0..n {
            let (p, w) = locate(paras, rng.below(total));
            if w < paras[p].len() {
                paras[p][w] = pool[rng.below(pool.len())].to_string();
            }
        }
    };
    match kind {
        0 => substitute(&mut paras, edits(rate), rng),
        1 => {
            for _ in 0..edits(rate) {
                let (p, w) = locate(&paras, rng.below(total));
                let at = w.min(paras[p].len());
                paras[p].insert(at, pool[rng.below(pool.len())].to_string());
            }
        }
        2 => {
            for _ in 0..edits(rate) {
                let (p, w) = locate(&paras, rng.below(total));
                if w < paras[p].len() && paras[p].len() > 1 {
                    paras[p].remove(w);
                }
            }
        }
        _ => {
            if paras.len() >= 2 {
                let a = rng.below(paras.len());
                let mut b = rng.below(paras.len());
                if a == b {
                    b = (a + 1) % paras.len();
                }
                paras.swap(a, b);
            }
            substitute(&mut paras, edits(rate / 4.0), rng);
        }
    }
    paras
        .iter()
        .map(|p| p.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn near_duplicates() -> Result<()> {
    let d = data_dir()?;
    let mut docs = Vec::new();
    for (f, take) in [
        ("text/indosum-dev/indosum_dev_folds.jsonl.gz", 2000),
        ("text/detik-news-1000/detik_news_1000.jsonl", 1000),
    ] {
        for v in read_jsonl(&d.join(f))?.into_iter().take(take) {
            docs.push(Document::new(
                v["id"].as_str().unwrap_or_default(),
                v["text"].as_str().unwrap_or_default(),
            ));
        }
    }
    let originals = docs.len();
    let texts: Vec<String> = docs.iter().map(|d| d.text.clone()).collect();
    let pool: Vec<&str> = texts
        .iter()
        .flat_map(|t| t.split_whitespace())
        .step_by(97)
        .collect();
    let mut rng = Rng(2026);
    let rates = [0.01, 0.02, 0.03, 0.05, 0.08, 0.12];
    for c in 0..600 {
        let base = rng.below(originals);
        let kind = c % 4;
        let rate = rates[rng.below(rates.len())];
        let text = near_copy(&texts[base], kind, rate, &pool, &mut rng);
        docs.push(Document::new(
            format!("copy-{c}-of-{}", docs[base].id),
            text,
        ));
    }
    // Interleave copies with the originals, deterministically.
    let mut order: Vec<usize> = (0..docs.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let docs: Vec<Document> = order.iter().map(|&i| docs[i].clone()).collect();

    // Truth: exact Jaccard of the 5-gram sets, over every pair sharing a shingle.
    let t = Instant::now();
    let hasher = Hasher::new(1, 5, 1, Normalization::default());
    let sets: Vec<Vec<u64>> = docs
        .par_iter()
        .map_init(Scratch::default, |s, d| {
            hasher.shingles(&d.text, s);
            s.shingles.clone()
        })
        .collect();
    let mut postings: HashMap<u64, Vec<u32>> = HashMap::new();
    for (i, s) in sets.iter().enumerate() {
        for &h in s {
            postings.entry(h).or_default().push(i as u32);
        }
    }
    let mut truth = HashSet::new();
    let mut band_counts = BTreeMap::new();
    let mut shared = vec![0u32; docs.len()];
    for (i, s) in sets.iter().enumerate() {
        let mut touched = Vec::new();
        for h in s {
            for &j in &postings[h] {
                if (j as usize) < i {
                    if shared[j as usize] == 0 {
                        touched.push(j);
                    }
                    shared[j as usize] += 1;
                }
            }
        }
        for j in touched {
            let inter = shared[j as usize] as usize;
            shared[j as usize] = 0;
            let jac = inter as f64 / (s.len() + sets[j as usize].len() - inter) as f64;
            if jac >= 0.5 {
                *band_counts.entry((jac * 10.0).floor() as u32).or_insert(0) += 1;
            }
            if jac >= 0.8 {
                truth.insert((j, i as u32));
            }
        }
    }
    println!(
        "## near-duplicates: {} documents ({originals} real news + 600 near-copies)",
        docs.len()
    );
    println!(
        "truth: {} pairs with Jaccard >= 0.8 (pairs at 0.5-0.6: {}, 0.6-0.7: {}, 0.7-0.8: {}, 0.8-0.9: {}, >= 0.9: {}); {:.1} s",
        truth.len(),
        band_counts.get(&5).unwrap_or(&0),
        band_counts.get(&6).unwrap_or(&0),
        band_counts.get(&7).unwrap_or(&0),
        band_counts.get(&8).unwrap_or(&0),
        band_counts.get(&9).unwrap_or(&0) + band_counts.get(&10).unwrap_or(&0),
        t.elapsed().as_secs_f64()
    );
    println!("Two pair-level readings of the same output:");
    println!(
        "- asserted pairs: the pairs the stage claims are near-duplicates, (removed document,"
    );
    println!(
        "  its duplicate_of). Precision: share with Jaccard >= 0.8. Recall: share of true pairs"
    );
    println!("  not both kept (the output holds no pair >= 0.8 but the missed ones).");
    println!("- cluster pairs: every pair of documents in one cluster (a kept document and those");
    println!("  naming it in duplicate_of; with `linkage = \"star\"` two members are both");
    println!("  near-duplicates of the kept document, not necessarily of each other).");
    println!("  Precision: share with Jaccard >= 0.8. Recall: share of true pairs in one cluster.");
    println!("| config | asserted precision | asserted recall | cluster-pair precision | cluster-pair recall | removed | time |");
    println!("|---|---|---|---|---|---|---|");
    let configs = [
        (
            "sapu defaults (20 x 6, verified, complete linkage)",
            MinHashDedupConfig::default(),
        ),
        (
            "linkage = \"star\" (20 x 6, verified)",
            MinHashDedupConfig {
                linkage: "star".into(),
                ..MinHashDedupConfig::default()
            },
        ),
        (
            "preset = \"datatrove\" (14 x 8)",
            MinHashDedupConfig {
                preset: "datatrove".into(),
                ..MinHashDedupConfig::default()
            },
        ),
        (
            "16 x 8, verified (rensa-like)",
            MinHashDedupConfig {
                bands: 16,
                rows: 8,
                ..MinHashDedupConfig::default()
            },
        ),
        (
            "20 x 6, not verified",
            MinHashDedupConfig {
                verify: false,
                ..MinHashDedupConfig::default()
            },
        ),
    ];
    for (name, c) in configs {
        let t = Instant::now();
        let (out, _) = run_stage(&c, &docs)?;
        let secs = t.elapsed().as_secs_f64();
        let pred = cluster_pairs(&out);
        let hit = pred.intersection(&truth).count();
        let index: HashMap<&str, usize> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        let (mut removed, mut justified) = (0usize, 0usize);
        let kept: Vec<bool> = out.iter().map(|o| o.reason().is_none()).collect();
        for (i, o) in out.iter().enumerate() {
            if let Outcome::Remove(d, _) = o {
                removed += 1;
                let k = index[d.metadata["duplicate_of"].as_str().unwrap_or("")];
                justified += usize::from(jaccard_sorted(&sets[i], &sets[k]) >= 0.8);
            }
        }
        let resolved = truth
            .iter()
            .filter(|&&(a, b)| !(kept[a as usize] && kept[b as usize]))
            .count();
        println!(
            "| {name} | {:.4} ({justified}/{removed}) | {:.4} ({resolved}/{}) | {:.4} ({hit}/{}) | {:.4} ({hit}/{}) | {removed} | {secs:.2} s |",
            justified as f64 / removed.max(1) as f64,
            resolved as f64 / truth.len().max(1) as f64,
            truth.len(),
            hit as f64 / pred.len().max(1) as f64,
            pred.len(),
            hit as f64 / truth.len().max(1) as f64,
            truth.len(),
        );
        // Where the cluster-pair misses come from: pairs of two removed members of one star
        // (each verified against the kept document) or pairs with the kept document itself.
        let mut fp: Vec<f64> = Vec::new();
        let mut fp_members = 0;
        for &(a, b) in pred.difference(&truth) {
            fp.push(jaccard_sorted(&sets[a as usize], &sets[b as usize]));
            fp_members += usize::from(!kept[a as usize] && !kept[b as usize]);
        }
        fp.sort_by(f64::total_cmp);
        if !fp.is_empty() {
            println!(
                "|  cluster pairs below 0.8: {} ({fp_members} between two removed members, {} with the kept document; Jaccard min {:.2}, median {:.2}) | | | | | | |",
                fp.len(),
                fp.len() - fp_members,
                fp[0],
                fp[fp.len() / 2]
            );
        }
        let missed: Vec<&(u32, u32)> = truth.difference(&pred).collect();
        if !missed.is_empty() {
            let both_kept = missed
                .iter()
                .filter(|&&&(a, b)| kept[a as usize] && kept[b as usize])
                .count();
            println!(
                "|  true pairs not in one cluster: {} ({both_kept} both kept, {} in two clusters with one removed) | | | | | | |",
                missed.len(),
                missed.len() - both_kept
            );
        }
    }
    println!();
    Ok(())
}

fn clough_stevenson() -> Result<()> {
    let rows = read_jsonl(&data_dir()?.join("dedup/clough-stevenson-plagiarism/pairs.jsonl"))?;
    let mut docs = Vec::new();
    let mut source_index = HashMap::new();
    for r in &rows {
        let sid = r["source_id"].as_str().unwrap_or_default().to_string();
        if !source_index.contains_key(&sid) {
            source_index.insert(sid.clone(), docs.len());
            docs.push(Document::new(
                sid,
                r["source_text"].as_str().unwrap_or_default(),
            ));
        }
    }
    let first_answer = docs.len();
    for r in &rows {
        docs.push(Document::new(
            r["id"].as_str().unwrap_or_default(),
            r["text"].as_str().unwrap_or_default(),
        ));
    }
    let hasher = Hasher::new(1, 5, 1, Normalization::default());
    let mut s = Scratch::default();
    let sets: Vec<Vec<u64>> = docs
        .iter()
        .map(|d| {
            hasher.shingles(&d.text, &mut s);
            s.shingles.clone()
        })
        .collect();
    println!("## Clough & Stevenson: answers clustered with their source (detection rate)");
    println!("| label | answers | median Jaccard to source | sapu defaults | datatrove preset |");
    println!("|---|---|---|---|---|");
    let (ours, _) = run_stage(&MinHashDedupConfig::default(), &docs)?;
    let dt = MinHashDedupConfig {
        preset: "datatrove".into(),
        ..MinHashDedupConfig::default()
    };
    let (theirs, _) = run_stage(&dt, &docs)?;
    let (co, ct) = (clusters(&ours), clusters(&theirs));
    let mut by: BTreeMap<String, (usize, usize, usize, Vec<f64>)> = BTreeMap::new();
    for (k, r) in rows.iter().enumerate() {
        let a = first_answer + k;
        let src = source_index[r["source_id"].as_str().unwrap_or_default()];
        let label = r["label_name"].as_str().unwrap_or_default().to_string();
        let e = by.entry(label).or_default();
        e.0 += 1;
        e.1 += usize::from(co[a] == co[src]);
        e.2 += usize::from(ct[a] == ct[src]);
        e.3.push(jaccard_sorted(&sets[a], &sets[src]));
    }
    for (label, (n, o, t, mut j)) in by {
        j.sort_by(f64::total_cmp);
        println!(
            "| {label} | {n} | {:.3} | {o}/{n} ({:.2}) | {t}/{n} ({:.2}) |",
            j[j.len() / 2],
            o as f64 / n as f64,
            t as f64 / n as f64
        );
    }
    println!();
    Ok(())
}

fn paws() -> Result<()> {
    let rows = read_jsonl(&data_dir()?.join("dedup/paws-id/paws_id_dev_test.jsonl.gz"))?;
    let dt = MinHashDedupConfig {
        preset: "datatrove".into(),
        ..MinHashDedupConfig::default()
    };
    let ours = MinHashDedupConfig::default();
    // Each pair on its own (PAWS reuses source sentences across pairs).
    let flagged = |c: &MinHashDedupConfig, r: &Value| -> bool {
        let docs = [
            Document::new("a", r["text_a"].as_str().unwrap_or_default()),
            Document::new("b", r["text_b"].as_str().unwrap_or_default()),
        ];
        run_stage(c, &docs)
            .map(|(o, _)| o[1].reason().is_some())
            .unwrap_or(false)
    };
    println!("## PAWS-id: sentence pairs flagged as near-duplicates");
    println!("| label | pairs | sapu defaults | datatrove preset |");
    println!("|---|---|---|---|");
    for label in ["0", "1"] {
        let pairs: Vec<&Value> = rows
            .iter()
            .filter(|r| r["label"].to_string().trim_matches('"') == label)
            .collect();
        let o = pairs.par_iter().filter(|r| flagged(&ours, r)).count();
        let t = pairs.par_iter().filter(|r| flagged(&dt, r)).count();
        let n = pairs.len();
        println!(
            "| {label} | {n} | {o} ({:.4}) | {t} ({:.4}) |",
            o as f64 / n as f64,
            t as f64 / n as f64
        );
    }
    println!();
    Ok(())
}

fn exact_counts() -> Result<()> {
    let d = data_dir()?;
    println!("## exact_dedup removals vs natural duplicates");
    println!("| set | documents | expected (data README) | raw text equal | default (whitespace) | full normalisation |");
    println!("|---|---|---|---|---|---|");
    let sets: [(&str, &[&str], &str); 4] = [
        (
            "detik-news-1000",
            &["text/detik-news-1000/detik_news_1000.jsonl"],
            "91",
        ),
        (
            "motomalaya",
            &[
                "text/malaysian-dataset-extracts/motomalaya_ms_pages.part1.jsonl.gz",
                "text/malaysian-dataset-extracts/motomalaya_ms_pages.part2.jsonl.gz",
            ],
            "631",
        ),
        (
            "indonlu-text",
            &["text/indonlu-text/indonlu_text.jsonl.gz"],
            "9421",
        ),
        (
            "indosum-dev",
            &["text/indosum-dev/indosum_dev_folds.jsonl.gz"],
            "-",
        ),
    ];
    for (name, files, expected) in sets {
        let mut docs = Vec::new();
        for f in files {
            for v in read_jsonl(&d.join(f))? {
                docs.push(Document::new(
                    v["id"].as_str().unwrap_or_default(),
                    v["text"].as_str().unwrap_or_default(),
                ));
            }
        }
        let count = |c: &ExactDedupConfig| -> Result<usize> {
            Ok(run_stage(c, &docs)?
                .0
                .iter()
                .filter(|o| o.reason().is_some())
                .count())
        };
        let raw = count(&ExactDedupConfig {
            normalize: Normalization::NONE,
            ..ExactDedupConfig::default()
        })?;
        let default = count(&ExactDedupConfig::default())?;
        let full = count(&ExactDedupConfig {
            normalize: Normalization::default(),
            ..ExactDedupConfig::default()
        })?;
        println!(
            "| {name} | {} | {expected} | {raw} | {default} | {full} |",
            docs.len()
        );
    }
    Ok(())
}
