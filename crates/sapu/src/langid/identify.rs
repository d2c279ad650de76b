//! [`Identifier`]: the language of one text, from the embedded model.
//!
//! 1. A bounded sample: the broad model reads the whole text up to [`BROAD_SAMPLE_BYTES`],
//!    else three windows of [`BROAD_WINDOW_BYTES`] (start, end, then the middle unless start
//!    and end already agree decisively); the specialist reads the whole text up to
//!    `sample_bytes`, else three windows that add up to it.
//! 2. The sample is cut into chunks of about [`CHUNK_BYTES`] at whitespace; each chunk is
//!    scored by the broad model, a naive Bayes over hashed character 1- to 5-grams of ~130
//!    languages, giving a probability per language. The text's distribution is the average of
//!    the chunks' weighted by their n-gram counts, so a document whose chunks disagree (mixed
//!    languages) gets a lower top score.
//! 3. When the top language is Indonesian or Malay, the specialist (a word-level naive Bayes
//!    trained on Indonesian and Malay news, essays and web pages; words mostly written with a
//!    capital, i.e. names, are left out of it)
//!    splits the pair's probability mass between `ind` and `zsm`.

use std::sync::OnceLock;

use super::features::{
    for_each_ngram_ascii_short, for_each_word, for_each_word_and_affix_key, subword_keys,
    word_bigram_key, ASCII_SHORT, MAX_ORDER, SUBWORD_ORDERS,
};
use super::model::{
    prefetch, Hit, Model, WordTable, MAX_LANGS, MAX_STRIDE, MODEL_BYTES, ROW_BLOCK,
};

/// Chunk size, in bytes, for the per-chunk votes (about two sentences).
pub const CHUNK_BYTES: usize = 400;

/// Default sample size, in bytes.
pub const DEFAULT_SAMPLE_BYTES: usize = 1024;

/// Sharpness of the per-chunk probabilities: log-likelihoods are divided by the square root
/// of the chunk's n-gram count before the softmax, then multiplied by this.
const SHARPNESS: f32 = 1.0;

/// Language code returned for text without any letter.
pub const UNDETERMINED: &str = "und";

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::decode(MODEL_BYTES))
}

/// What the identifier says about one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// ISO 639-3 code of the most likely language (`und` when the text has no letters).
    pub lang: &'static str,
    /// Its probability, in [0, 1].
    pub score: f32,
    /// The three most likely languages with their probabilities, best first.
    pub top: Vec<(&'static str, f32)>,
}

/// A language identifier over the model embedded in the library (no file, no download).
#[derive(Clone)]
pub struct Identifier {
    sample_bytes: usize,
    regional_prior: f32,
    coverage_test: bool,
    model: &'static Model,
}

impl std::fmt::Debug for Identifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identifier")
            .field("sample_bytes", &self.sample_bytes)
            .field("regional_prior", &self.regional_prior)
            .field("coverage_test", &self.coverage_test)
            .field("languages", &self.model.len())
            .finish()
    }
}

impl Default for Identifier {
    fn default() -> Self {
        Identifier::new(DEFAULT_SAMPLE_BYTES)
    }
}

impl Identifier {
    /// An identifier that reads at most `sample_bytes` of each text (at least one chunk).
    pub fn new(sample_bytes: usize) -> Self {
        Identifier {
            sample_bytes: sample_bytes.max(CHUNK_BYTES),
            regional_prior: REGIONAL_PRIOR,
            coverage_test: true,
            model: model(),
        }
    }

    /// The same identifier with another prior weight for the regional languages of Indonesia
    /// ([`REGIONAL_LANGS`]; default [`REGIONAL_PRIOR`]): below 1, short Indonesian and Malay
    /// texts are less often called Minangkabau, Banjar, Javanese ..., and regional-language
    /// texts more often Indonesian (see docs/langid.md, session 8, for the trade-off).
    /// Values outside (0, 1] are clamped into it. (The coverage test is the better trade: see
    /// [`Identifier::with_coverage_test`].)
    pub fn with_regional_prior(mut self, prior: f32) -> Self {
        self.regional_prior = if prior.is_nan() {
            1.0
        } else {
            prior.clamp(f32::MIN_POSITIVE, 1.0)
        };
        self
    }

    /// The same identifier with the routing's coverage test on (the default) or off. On: when
    /// the broad model's top language is a regional language of Indonesia
    /// ([`REGIONAL_LANGS`]) but at least half of the text's distinct words (those that do not
    /// start with a capital) are words of the Indonesian and Malay training text and none is
    /// a word of a regional language's UDHR text that Indonesian and Malay lack, the regional
    /// languages' probabilities are multiplied by 0.001 (the model's values, chosen with
    /// `train_langid --validate-routing`), provided Indonesian and Malay together are ahead
    /// of every other language. On, DSLCC's Indonesian accuracy rises from 0.957/0.960 to
    /// 0.972/0.970 and Tatoeba's `ind`/`zsm` from 0.52/0.59 to 0.66/0.72, but about twice as
    /// many NusaX regional-language sentences are called Indonesian or Malay (Javanese 0.12
    /// -> 0.22). On by default because Indonesian and Malay far outnumber the regional
    /// languages on the web, so the Indonesian recall it buys (NusaX `ind` 0.871 -> 0.964)
    /// outweighs the regional text it lets in; a regional-language corpus turns it off
    /// (docs/langid.md, session 8).
    pub fn with_coverage_test(mut self, on: bool) -> Self {
        self.coverage_test = on;
        self
    }

    /// An identifier over another model file (the trainer's held-out validation builds
    /// models from part of the sources). The model is decoded once and kept for the rest of
    /// the process.
    ///
    /// # Panics
    /// When `bytes` is not a model file.
    #[doc(hidden)]
    pub fn with_model_bytes(sample_bytes: usize, bytes: &[u8]) -> Self {
        Identifier {
            sample_bytes: sample_bytes.max(CHUNK_BYTES),
            regional_prior: REGIONAL_PRIOR,
            coverage_test: false,
            model: Box::leak(Box::new(Model::decode(bytes))),
        }
    }

    /// Every language code the model can return, in model order.
    pub fn languages() -> Vec<&'static str> {
        model().codes.iter().map(String::as_str).collect()
    }

    /// The language of `text`.
    pub fn identify(&self, text: &str) -> Prediction {
        let m = self.model;
        let n = m.len();
        let Some((mut dist, broad_logit)) = self.broad(m, text) else {
            return Prediction {
                lang: UNDETERMINED,
                score: 0.0,
                top: Vec::new(),
            };
        };
        let dist = &mut dist[..n];
        if self.regional_prior != 1.0 || self.tests_coverage(m) {
            self.regional_routing(m, dist, text);
        }
        let code = |i: usize| -> &'static str { m.codes[i].as_str() };
        // Indonesian and Malay compete as one language against the rest; the specialist then
        // splits their joint probability, reading the whole sample.
        let (ind, zsm) = (m.ind, m.zsm);
        let mass = dist[ind] + dist[zsm];
        let best_other = (0..n)
            .filter(|&i| i != ind && i != zsm)
            .map(|i| dist[i])
            .fold(0f32, f32::max);
        if mass >= best_other {
            let q = malay_probability(m, &sample(text, self.sample_bytes), broad_logit);
            dist[zsm] = mass * q;
            dist[ind] = mass * (1.0 - q);
        }
        // The three best, ties to the lower index (as a stable sort would).
        let mut top: Vec<(&'static str, f32)> = Vec::with_capacity(3);
        let mut taken = [false; MAX_LANGS];
        for _ in 0..3.min(n) {
            let mut best = usize::MAX;
            for i in 0..n {
                if !taken[i] && (best == usize::MAX || dist[i] > dist[best]) {
                    best = i;
                }
            }
            taken[best] = true;
            top.push((code(best), dist[best].clamp(0.0, 1.0)));
        }
        Prediction {
            lang: top[0].0,
            score: top[0].1,
            top,
        }
    }
    /// Whether the coverage test runs: asked for, and the model has one.
    fn tests_coverage(&self, m: &Model) -> bool {
        self.coverage_test && m.coverage_min <= 1.0
    }

    /// The regional prior and the coverage test (see [`Identifier::with_regional_prior`],
    /// [`Identifier::with_coverage_test`]). Out of line: it reads the words again only when a
    /// regional language is on top, which keeps `identify`'s common path small.
    #[inline(never)]
    fn regional_routing(&self, m: &Model, dist: &mut [f32], text: &str) {
        let n = dist.len();
        apply_regional_prior(m, dist, self.regional_prior);
        // A regional language on top of a text whose words are Indonesian or Malay ones: the
        // coverage test (skipped when the model has none). It only decides between the regional
        // languages and Indonesian/Malay: when some other language is ahead of Indonesian and
        // Malay together, the text is left as it is.
        if self.tests_coverage(m) {
            let top = (0..n).fold(0, |b, i| if dist[i] > dist[b] { i } else { b });
            let cluster = dist[m.ind] + dist[m.zsm];
            let other = (0..n)
                .filter(|&i| !m.regional[i] && i != m.ind && i != m.zsm)
                .map(|i| dist[i])
                .fold(0f32, f32::max);
            if m.regional[top] && cluster >= other {
                let (coverage, regional) = vocabulary_coverage(m, &sample(text, self.sample_bytes));
                if coverage >= m.coverage_min && regional == 0 {
                    apply_regional_prior(m, dist, m.coverage_factor);
                }
            }
        }
    }

    /// The broad model's distribution over the languages (normalised) and its
    /// Malay-vs-Indonesian evidence: the chunks' scaled log-likelihood ratio
    /// `(ll_zsm - ll_ind) / sqrt(n-grams)` without the n-grams of words that start with a
    /// capital (names such as Kuala Lumpur or Jakarta must not decide), averaged with the
    /// chunks' weights. `None` when the sample has no letter.
    fn broad(&self, m: &Model, text: &str) -> Option<([f32; MAX_LANGS], f32)> {
        let n = m.len();
        let mut dist = [0f32; MAX_LANGS];
        let mut weight_sum = 0f32;
        let mut malay = 0f32;
        let whole = BROAD_SAMPLE_BYTES.min(self.sample_bytes);
        let broad = sample_windows(text, whole, BROAD_WINDOW_BYTES.min(whole / 3));
        // Start and end first; the middle window only when they do not already agree
        // decisively on one language (Indonesian and Malay count as one here).
        let mut votes: [Option<(usize, f32)>; 3] = [None; 3];
        for wi in [0, 2, 1] {
            let Some(window) = broad[wi] else { continue };
            if wi == 1 {
                if let (Some((a, pa)), Some((b, pb))) = (votes[0], votes[2]) {
                    if a == b && pa.min(pb) >= DECISIVE {
                        continue;
                    }
                }
            }
            for chunk in chunks(window, CHUNK_BYTES) {
                let (ll, total, names) = chunk_log_likelihoods(m, chunk);
                if total == 0 {
                    continue;
                }
                let k = SHARPNESS / (total as f32).sqrt();
                let vote = softmax_into(m, &ll[..n], k, &mut dist[..n], total as f32);
                votes[wi] = Some(votes[wi].map_or(vote, |v| {
                    if v.0 == vote.0 {
                        (v.0, v.1.min(vote.1))
                    } else {
                        (usize::MAX, 0.0)
                    }
                }));
                malay += (ll[m.zsm] - ll[m.ind] - names) * k * total as f32;
                weight_sum += total as f32;
            }
        }
        if weight_sum == 0.0 {
            return None;
        }
        dist[..n].iter_mut().for_each(|p| *p /= weight_sum);
        Some((dist, malay / weight_sum))
    }

    /// The broad model's Malay-vs-Indonesian evidence for `text` (see `broad`), 0 without
    /// letters: what the trainer fits the specialist's combination on.
    #[doc(hidden)]
    pub fn broad_malay_logit(&self, text: &str) -> f32 {
        self.broad(self.model, text).map_or(0.0, |b| b.1)
    }

    /// The broad model's distribution for `text` (every language, model order, before the
    /// regional prior and the specialist; empty without letters): what the trainer validates
    /// the routing on.
    #[doc(hidden)]
    pub fn broad_distribution(&self, text: &str) -> Vec<(&'static str, f32)> {
        let m = self.model;
        self.broad(m, text).map_or(Vec::new(), |(d, _)| {
            (0..m.len()).map(|i| (m.codes[i].as_str(), d[i])).collect()
        })
    }
}

/// The regional languages of Indonesia the broad model knows only from one UDHR translation
/// each (about 12,000 characters of legal text), which share much of their vocabulary with
/// Indonesian and Malay.
pub const REGIONAL_LANGS: &[&str] = &["ace", "ban", "bjn", "bug", "jav", "mad", "min", "sun"];

/// Default prior weight of each of [`REGIONAL_LANGS`] against every other language (see
/// [`Identifier::with_regional_prior`]): the broad distribution's probabilities of those
/// languages are multiplied by it (then renormalised) before Indonesian and Malay are compared
/// with the rest. 1: no prior. A prior trades the two errors against each other on every text
/// alike (0.01 sent a third of NusaX's Javanese to Indonesian); the coverage test, which
/// looks at the words, does better (docs/langid.md, session 8).
pub const REGIONAL_PRIOR: f32 = 1.0;

/// Share of the distinct words of `windows` that do not start with a capital which the
/// model's Indonesian/Malay vocabulary lists (0 without such words), and how many distinct
/// words (any case) are regional words (UDHR words of the regional languages that the
/// vocabulary lacks). Regional languages share many words with Indonesian but not most:
/// their texts' coverage is far lower.
fn vocabulary_coverage(m: &Model, windows: &[Option<&str>; 3]) -> (f32, usize) {
    let mut keys = Vec::new();
    for w in windows.iter().flatten() {
        for_each_word_and_affix_key(w, |k, capital| keys.push((k, capital)), |_| {});
    }
    keys.retain(|k| k.0 != 0);
    keys.sort_unstable();
    keys.dedup();
    let mut all: Vec<u32> = keys.iter().map(|k| k.0).collect();
    all.dedup();
    let regional = all
        .iter()
        .filter(|&&k| m.regional_words.get(k).is_some())
        .count();
    let lower: Vec<u32> = keys.iter().filter(|k| !k.1).map(|k| k.0).collect();
    if lower.is_empty() {
        return (0.0, regional);
    }
    let known = lower
        .iter()
        .filter(|&&k| m.vocabulary.get(k).is_some())
        .count();
    (known as f32 / lower.len() as f32, regional)
}

/// Multiply the probabilities of [`REGIONAL_LANGS`] in `dist` by `prior` and renormalise.
fn apply_regional_prior(m: &Model, dist: &mut [f32], prior: f32) {
    if prior == 1.0 {
        return;
    }
    let mut sum = 0f32;
    for (i, p) in dist.iter_mut().enumerate() {
        if m.regional[i] {
            *p *= prior;
        }
        sum += *p;
    }
    if sum > 0.0 {
        dist.iter_mut().for_each(|p| *p /= sum);
    }
}

/// Bytes the broad model reads: texts up to this size whole, longer ones through three
/// windows that add up to it. The specialist reads the identifier's whole `sample_bytes`.
pub const BROAD_SAMPLE_BYTES: usize = 480;

/// Size of each of the three windows the broad model reads of a text longer than
/// [`BROAD_SAMPLE_BYTES`]. (100-byte windows were ~1.25x faster but called 6 more of the
/// 4,463 Indonesian news articles of `bench_langid` something else: ban, eng, min.)
pub const BROAD_WINDOW_BYTES: usize = 160;

/// A window whose top language (Indonesian and Malay together) has at least this probability
/// is decisive: when the start and end windows are decisive for the same language, the middle
/// one is not read.
const DECISIVE: f32 = 0.99;

/// N-grams hashed before their weights are looked up, so the look-ups' cache misses overlap.
const BATCH: usize = 64;

/// The broad model's log-likelihood of `chunk` per language, the chunk's n-gram count, and the
/// part of `ll_zsm - ll_ind` that comes from words starting with a capital letter.
///
/// Character 1- and 2-grams repeat within a chunk (a 160-byte window has ~130 letters but ~25
/// distinct ones) and nearly all of them have dense rows: they are counted first (those of
/// ASCII letters in a plain array, the others in a small hash table) and each distinct one is
/// added once, times its count. Longer n-grams go straight to the look-ups. The sums are
/// integers, so the result is the same as adding every n-gram one by one.
fn chunk_log_likelihoods(m: &Model, chunk: &str) -> ([f32; MAX_LANGS], u32, f32) {
    let n = m.len();
    let mut acc = Accumulator::new();
    let mut ascii = AsciiShort::new();
    let mut short = ShortGrams::new();
    let mut keys = [0u32; BATCH];
    let mut capitals = [false; BATCH];
    let mut pending = 0usize;
    let counts = for_each_ngram_ascii_short(
        chunk,
        |i, capital| ascii.add(i, capital),
        |order, key, capital| {
            if order <= 2 && short.add(key, capital) {
                return;
            }
            keys[pending] = key;
            capitals[pending] = capital;
            pending += 1;
            if pending == BATCH {
                acc.add_all(m, &keys, &capitals);
                pending = 0;
            }
        },
    );
    acc.add_all(m, &keys[..pending], &capitals[..pending]);
    let mut counted = [(0u32, 0u16, 0u16); SHORT_CAP];
    let mut len = 0;
    let ascii_counted = ascii.used[..ascii.len].iter().map(|&i| {
        let i = i as usize;
        (m.ascii_short_keys[i], ascii.counts[i], ascii.capitals[i])
    });
    let hashed_counted = short.used[..short.len]
        .iter()
        .map(|&s| short.slots[s as usize]);
    for entry in ascii_counted.chain(hashed_counted) {
        counted[len] = entry;
        len += 1;
        if len == SHORT_CAP {
            acc.add_counted(m, &counted, n);
            len = 0;
        }
    }
    acc.add_counted(m, &counted[..len], n);
    acc.flush(n);
    let mut ll = [0f32; MAX_LANGS];
    for (l, out) in ll[..n].iter_mut().enumerate() {
        let floors = &m.floors[l * MAX_ORDER..(l + 1) * MAX_ORDER];
        let base: f32 = counts.iter().zip(floors).map(|(&c, &f)| c as f32 * f).sum();
        *out = base + acc.wide[l] as f32 / m.scale;
    }
    // The floors are the same for every language: only listed n-grams differ.
    (ll, counts.iter().sum(), acc.names as f32 / m.scale)
}

/// Counts of the 1- and 2-grams of ASCII letters of a chunk, by
/// [`super::features::ascii_short_index`].
struct AsciiShort {
    counts: [u16; ASCII_SHORT],
    capitals: [u16; ASCII_SHORT],
    /// The indexes counted, in the order first seen (one spare slot at the end).
    used: [u16; ASCII_SHORT + 1],
    len: usize,
}

impl AsciiShort {
    fn new() -> Self {
        AsciiShort {
            counts: [0; ASCII_SHORT],
            capitals: [0; ASCII_SHORT],
            used: [0; ASCII_SHORT + 1],
            len: 0,
        }
    }

    /// Count n-gram `i` (a chunk is far shorter than 65,535 letters).
    #[inline]
    fn add(&mut self, i: usize, capital: bool) {
        let c = self.counts[i];
        // Without a branch: the slot after the last is overwritten until a new index comes.
        self.used[self.len] = i as u16;
        self.len += (c == 0) as usize;
        self.counts[i] = c + 1;
        self.capitals[i] += capital as u16;
    }
}

/// The quantised weight `hit` gives language `lang` (0 when unlisted).
fn weight_of(hit: &Hit<'_>, lang: usize) -> i32 {
    match *hit {
        Hit::None => 0,
        Hit::One(l, w) => i32::from(l as usize == lang) * w as i32,
        Hit::Sparse(p) => p
            .iter()
            .find(|&&(l, _)| l as usize == lang)
            .map_or(0, |&(_, w)| w as i32),
        Hit::Dense(row) => row[lang] as i32,
    }
}

/// Distinct 1- and 2-grams counted per chunk; further ones go to the ordinary look-ups.
const SHORT_CAP: usize = 256;

/// A small open-addressed count table of n-gram keys (key 0 is not stored): per key, how
/// often it occurs and how often in a word that starts with a capital.
struct ShortGrams {
    slots: [(u32, u16, u16); SHORT_CAP * 2],
    used: [u16; SHORT_CAP],
    len: usize,
}

impl ShortGrams {
    fn new() -> Self {
        ShortGrams {
            slots: [(0, 0, 0); SHORT_CAP * 2],
            used: [0; SHORT_CAP],
            len: 0,
        }
    }

    /// Count `key`; false when it is not counted here (table full, or key 0).
    #[inline]
    fn add(&mut self, key: u32, capital: bool) -> bool {
        let mask = SHORT_CAP * 2 - 1;
        let mut s = (key.wrapping_mul(0x9E37_79B1) >> 20) as usize & mask;
        loop {
            let (k, c, _) = self.slots[s];
            if k == key && key != 0 && c < u16::MAX {
                self.slots[s].1 += 1;
                self.slots[s].2 += capital as u16;
                return true;
            }
            if k == 0 {
                if key == 0 || self.len == SHORT_CAP {
                    return false;
                }
                self.slots[s] = (key, 1, capital as u16);
                self.used[self.len] = s as u16;
                self.len += 1;
                return true;
            }
            s = (s + 1) & mask;
        }
    }
}

/// Byte-weight rows the 16-bit sums of [`Accumulator`] can take before they could overflow.
const NARROW_ROWS: u32 = u16::MAX as u32 / 255;

/// Sums of quantised weights per language. Dense rows (n-grams most languages list) are added
/// into 16-bit counters, which vectorise well, and folded into the 32-bit sums before they
/// could overflow ([`NARROW_ROWS`] rows of byte weights).
struct Accumulator {
    wide: [u32; MAX_LANGS],
    narrow: [u16; MAX_STRIDE],
    /// Byte weights (rows times their counts) in `narrow` since it was last flushed.
    rows: u32,
    /// Malay minus Indonesian weight of the n-grams of words that start with a capital.
    names: i32,
}

impl Accumulator {
    fn new() -> Self {
        Accumulator {
            wide: [0; MAX_LANGS],
            narrow: [0; MAX_STRIDE],
            rows: 0,
            names: 0,
        }
    }

    /// Add the weights of `keys`; those flagged in `capitals` also go to `names`.
    fn add_all(&mut self, m: &Model, keys: &[u32], capitals: &[bool]) {
        // Three passes so that the cache misses of a batch overlap: slots, then weights.
        for &k in keys {
            m.prefetch(k);
        }
        let mut hits: [Hit<'_>; BATCH] = [Hit::None; BATCH];
        for (h, &k) in hits.iter_mut().zip(keys) {
            *h = m.lookup(k);
            prefetch_hit(*h);
        }
        let mut rows = DenseRows::new();
        for (hit, &capital) in hits[..keys.len()].iter().zip(capitals) {
            if capital {
                self.names += weight_of(hit, m.zsm) - weight_of(hit, m.ind);
            }
            match *hit {
                Hit::None => {}
                Hit::One(lang, w) => self.wide[lang as usize] += w as u32,
                Hit::Sparse(postings) => {
                    for &(lang, w) in postings {
                        self.wide[lang as usize] += w as u32;
                    }
                }
                Hit::Dense(row) => rows.push(row, 1),
            }
        }
        self.add_rows(&rows);
    }

    /// Add the dense rows of `rows`, each times its count, into the 16-bit sums (folded
    /// into the 32-bit ones first when they could overflow).
    fn add_rows(&mut self, rows: &DenseRows<'_>) {
        if rows.len == 0 {
            return;
        }
        let stride = rows.rows[0].len();
        if self.rows + rows.total > NARROW_ROWS {
            self.flush(stride);
        }
        assert!(rows.total <= NARROW_ROWS, "16-bit row sums would overflow");
        add_rows(
            &mut self.narrow[..stride],
            &rows.rows[..rows.len],
            &rows.counts[..rows.len],
            rows.weighted,
        );
        self.rows += rows.total;
    }

    /// Add the weights of counted n-grams (key, count, count in capitalised words), with the
    /// same three passes as [`Accumulator::add_all`]: prefetch the slots, look up and
    /// prefetch the rows, then add.
    fn add_counted(&mut self, m: &Model, counted: &[(u32, u16, u16)], n: usize) {
        for &(key, _, _) in counted {
            m.prefetch(key);
        }
        let mut hits: [Hit<'_>; SHORT_CAP] = [Hit::None; SHORT_CAP];
        for (h, &(key, _, _)) in hits.iter_mut().zip(counted) {
            *h = m.lookup(key);
            prefetch_hit(*h);
        }
        let mut rows = DenseRows::new();
        for (&h, &(_, count, capitals)) in hits.iter().zip(counted) {
            match h {
                Hit::Dense(row) if count as u32 <= NARROW_ROWS => {
                    if rows.len == BATCH || rows.total + count as u32 > NARROW_ROWS {
                        self.add_rows(&rows);
                        rows = DenseRows::new();
                    }
                    rows.push(row, count);
                }
                _ => self.add_times(h, count as u32, n),
            }
            self.names += capitals as i32 * (weight_of(&h, m.zsm) - weight_of(&h, m.ind));
        }
        self.add_rows(&rows);
    }

    /// Add the weights of `hit` `count` times into the 32-bit sums (dense rows with a small
    /// count go to [`Accumulator::add_rows`] instead).
    fn add_times(&mut self, hit: Hit<'_>, count: u32, n: usize) {
        match hit {
            Hit::None => {}
            Hit::One(lang, w) => self.wide[lang as usize] += w as u32 * count,
            Hit::Sparse(postings) => {
                for &(lang, w) in postings {
                    self.wide[lang as usize] += w as u32 * count;
                }
            }
            Hit::Dense(row) => {
                for (a, &w) in self.wide[..n].iter_mut().zip(row) {
                    *a += w as u32 * count;
                }
            }
        }
    }

    /// Fold the 16-bit sums of the first `n` languages into the 32-bit ones.
    fn flush(&mut self, n: usize) {
        for (w, a) in self.wide.iter_mut().zip(&mut self.narrow[..n]) {
            *w += *a as u32;
            *a = 0;
        }
        self.rows = 0;
    }
}

/// Dense rows waiting to be summed, with how many times each counts.
struct DenseRows<'a> {
    rows: [&'a [u8]; BATCH],
    counts: [u16; BATCH],
    len: usize,
    /// The sum of the counts.
    total: u32,
    /// Whether some count is not 1.
    weighted: bool,
}

impl<'a> DenseRows<'a> {
    fn new() -> Self {
        DenseRows {
            rows: [&[]; BATCH],
            counts: [0; BATCH],
            len: 0,
            total: 0,
            weighted: false,
        }
    }

    #[inline]
    fn push(&mut self, row: &'a [u8], count: u16) {
        self.rows[self.len] = row;
        self.counts[self.len] = count;
        self.weighted |= count != 1;
        self.total += count as u32;
        self.len += 1;
    }
}

/// `sums[j] += rows[i][j] * counts[i]` for every row `i` (the counts are ignored, all 1, when
/// not `weighted`). Every row is as long as `sums`, a multiple of [`ROW_BLOCK`]. The sums of
/// one block of languages stay in registers while all the rows are added (instead of being
/// loaded and stored again for every row), with AVX2 where the CPU has it. The caller makes
/// sure the 16-bit sums cannot overflow.
fn add_rows(sums: &mut [u16], rows: &[&[u8]], counts: &[u16], weighted: bool) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe {
            if weighted {
                add_rows_avx2::<true>(sums, rows, counts)
            } else {
                add_rows_avx2::<false>(sums, rows, counts)
            }
        };
        return;
    }
    if weighted {
        add_rows_blocked::<true>(sums, rows, counts)
    } else {
        add_rows_blocked::<false>(sums, rows, counts)
    }
}

/// [`add_rows_blocked`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn add_rows_avx2<const WEIGHTED: bool>(sums: &mut [u16], rows: &[&[u8]], counts: &[u16]) {
    add_rows_blocked::<WEIGHTED>(sums, rows, counts)
}

#[inline(always)]
fn add_rows_blocked<const WEIGHTED: bool>(sums: &mut [u16], rows: &[&[u8]], counts: &[u16]) {
    for (b, out) in sums.chunks_exact_mut(ROW_BLOCK).enumerate() {
        let mut block: [u16; ROW_BLOCK] = (&*out).try_into().unwrap();
        let at = b * ROW_BLOCK;
        for (row, &c) in rows.iter().zip(counts) {
            let row: &[u8; ROW_BLOCK] = row[at..at + ROW_BLOCK].try_into().unwrap();
            for (s, &w) in block.iter_mut().zip(row) {
                *s = s.wrapping_add(if WEIGHTED {
                    (w as u16).wrapping_mul(c)
                } else {
                    w as u16
                });
            }
        }
        out.copy_from_slice(&block);
    }
}

/// Start loading the weights of `hit` (every cache line of a dense row).
#[inline]
fn prefetch_hit(hit: Hit<'_>) {
    match hit {
        Hit::None | Hit::One(..) => {}
        Hit::Sparse(p) => prefetch(&p[0]),
        Hit::Dense(row) => {
            for line in row.chunks(64) {
                prefetch(&line[0]);
            }
        }
    }
}

/// Add `weight * softmax(k * ll)` to `dist`; returns the chunk's top language (Malay counted
/// as Indonesian) and its probability (with Indonesian and Malay summed).
fn softmax_into(m: &Model, ll: &[f32], k: f32, dist: &mut [f32], weight: f32) -> (usize, f32) {
    let (mut top, mut max) = (0usize, f32::NEG_INFINITY);
    for (i, &x) in ll.iter().enumerate() {
        if x > max {
            (top, max) = (i, x);
        }
    }
    let mut exps = [0f32; MAX_LANGS];
    let mut sum = 0f32;
    for (e, &x) in exps.iter_mut().zip(ll) {
        *e = ((x - max) * k).exp();
        sum += *e;
    }
    for (d, e) in dist.iter_mut().zip(exps) {
        *d += weight * e / sum;
    }
    if top == m.ind || top == m.zsm {
        (m.ind, (exps[m.ind] + exps[m.zsm]) / sum)
    } else {
        (top, exps[top] / sum)
    }
}

/// Distinct words the specialist reads at most (a 1,024-byte sample has fewer than 520).
const MAX_WORDS: usize = 1024;

/// Affix keys the specialist reads at most (five per word of four letters or more).
const MAX_AFFIXES: usize = 5 * MAX_WORDS;

/// P(Malay | Indonesian or Malay): the specialist's logit over the sample's distinct words and
/// distinct affixes (names are not in the table: see the trainer; affixes are read only from
/// words that do not start with a capital), plus the broad model's evidence `broad` times its
/// weight and the prior. Words beyond the first [`MAX_WORDS`] are not read.
fn malay_probability(m: &Model, windows: &[Option<&str>; 3], broad: f32) -> f32 {
    let mut seen = [0u32; MAX_WORDS];
    let mut capital = [false; MAX_WORDS];
    let mut len = 0usize;
    let mut affixes = [0u32; MAX_AFFIXES];
    let mut n_affixes = 0usize;
    for w in windows.iter().flatten() {
        for_each_word_and_affix_key(
            w,
            |k, cap| {
                if len < MAX_WORDS {
                    seen[len] = k;
                    capital[len] = cap;
                    len += 1;
                }
            },
            |k| {
                if n_affixes < MAX_AFFIXES {
                    affixes[n_affixes] = k;
                    n_affixes += 1;
                }
            },
        );
    }
    let short = len <= m.short_words;
    // Word pairs and sub-words of a short text, read before `known_sum` reorders `seen`.
    let extra = if short {
        short_extra(m, windows, &seen[..len], &capital[..len])
    } else {
        0.0
    };
    let (words, known_words) = known_sum(&m.words, m.scale, &mut seen[..len]);
    let (affix_sum, known_affixes) = known_sum(&m.words, m.scale, &mut affixes[..n_affixes]);
    let logit = if short {
        // A short text (session 9): the combination fitted on six-word pieces of held-out
        // sentences, which weighs the words more and the broad model less and also reads
        // word pairs and sub-words.
        let [word, bias, affix, affix_bias, broad_weight, prior, _, _] = m.short;
        prior
            + broad_weight * broad
            + (word * words + bias * known_words)
            + (affix * affix_sum + affix_bias * known_affixes)
            + extra
    } else {
        let mut logit = m.prior + m.broad_weight * broad;
        logit += words + known_words * m.bias;
        logit += affix_sum + known_affixes * m.affix_bias;
        logit
    };
    1.0 / (1.0 + (-logit).exp())
}

/// The short-text combination's word-pair and sub-word terms: the weights of the distinct
/// pairs of consecutive uncapitalised words and of the distinct sub-word n-grams of the
/// uncapitalised words (both already times their coefficients), plus a bias per known one.
/// Out of line and allocating: only texts of a few words come here.
#[inline(never)]
fn short_extra(m: &Model, windows: &[Option<&str>; 3], seen: &[u32], capital: &[bool]) -> f32 {
    let mut pairs: Vec<u32> = (1..seen.len())
        .filter(|&i| !capital[i - 1] && !capital[i])
        .map(|i| word_bigram_key(seen[i - 1], seen[i]))
        .collect();
    let mut subwords = Vec::new();
    let mut buf = String::new();
    let (lo, hi) = SUBWORD_ORDERS;
    for w in windows.iter().flatten() {
        for_each_word(w, &mut buf, |word, cap| {
            if !cap {
                subword_keys(word, lo, hi, |k| subwords.push(k));
            }
        });
    }
    let (pair_sum, known_pairs) = known_sum(&m.short_extra, m.scale, &mut pairs);
    let (sub_sum, known_subwords) = known_sum(&m.short_extra, m.scale, &mut subwords);
    let [.., pair_bias, subword_bias] = m.short;
    pair_sum + pair_bias * known_pairs + sub_sum + subword_bias * known_subwords
}

/// Over the distinct keys of `keys` the table lists: the sum of their weights (nats: the
/// stored weight over `scale`) and how many they are.
///
/// The keys are made distinct with a small open-addressed set (sorting them cost more), then
/// looked up with the table slots a few keys ahead already on their way (each look-up is a
/// cache miss). The quantised weights are summed as integers, so the order does not matter.
fn known_sum(table: &WordTable, scale: f32, keys: &mut [u32]) -> (f32, f32) {
    let cap = (keys.len() * 2).next_power_of_two().max(16);
    let distinct = DISTINCT.with(|set| {
        let mut set = set.borrow_mut();
        if set.len() < cap {
            set.resize(cap, 0);
        }
        let set = &mut set[..cap];
        let mask = cap - 1;
        let mut distinct = 0usize;
        for i in 0..keys.len() {
            let k = keys[i];
            if k == 0 {
                continue; // never in the table
            }
            let mut s = (k.wrapping_mul(0x85EB_CA6B) >> 7) as usize & mask;
            loop {
                if set[s] == k {
                    break;
                }
                if set[s] == 0 {
                    set[s] = k;
                    keys[distinct] = k;
                    distinct += 1;
                    break;
                }
                s = (s + 1) & mask;
            }
        }
        set.fill(0);
        distinct
    });
    let keys = &keys[..distinct];
    for &k in keys.iter().take(WORD_PREFETCH) {
        table.prefetch(k);
    }
    let (mut sum, mut known) = (0i32, 0u32);
    for (i, &k) in keys.iter().enumerate() {
        if let Some(&ahead) = keys.get(i + WORD_PREFETCH) {
            table.prefetch(ahead);
        }
        if let Some(w) = table.get(k) {
            sum += w;
            known += 1;
        }
    }
    (sum as f32 / scale, known as f32)
}

thread_local! {
    /// Scratch set of [`known_sum`], all zero between calls.
    static DISTINCT: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many keys ahead [`known_sum`] prefetches.
const WORD_PREFETCH: usize = 16;

/// The part of `text` the identifier reads: all of it up to `max` bytes, else three windows
/// of `max / 3` bytes at the start, the middle and the end.
fn sample(text: &str, max: usize) -> [Option<&str>; 3] {
    sample_windows(text, max, max / 3)
}

/// All of `text` up to `whole` bytes, else three windows of `w` bytes at the start, the middle
/// and the end.
fn sample_windows(text: &str, whole: usize, w: usize) -> [Option<&str>; 3] {
    if text.len() <= whole {
        return [Some(text), None, None];
    }
    let mid = text.len() / 2 - w / 2;
    [0, mid, text.len() - w].map(|start| {
        let s = floor_char(text, start);
        let e = floor_char(text, (start + w).min(text.len()));
        Some(&text[s..e])
    })
}

/// Pieces of about `size` bytes, cut at whitespace where there is some.
fn chunks(text: &str, size: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if rest.len() <= size * 3 / 2 {
            let c = rest;
            rest = "";
            return Some(c);
        }
        let cut = floor_char(rest, size);
        let cut = match rest[cut..].find(char::is_whitespace) {
            Some(i) if i < size / 2 => cut + i,
            _ => cut,
        };
        let cut = if cut == 0 { rest.len() } else { cut };
        let (c, r) = rest.split_at(cut);
        rest = r;
        Some(c)
    })
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
