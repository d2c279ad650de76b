//! [`Identifier`]: the language of one text, from the embedded model.
//!
//! 1. A bounded sample: the whole text up to `sample_bytes`, else three windows (start,
//!    middle, end) that add up to it.
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

use super::features::{for_each_ngram, for_each_word, word_key, MAX_ORDER};
use super::model::{Hit, Model, MODEL_BYTES};

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
#[derive(Debug, Clone)]
pub struct Identifier {
    sample_bytes: usize,
}

impl Default for Identifier {
    fn default() -> Self {
        Identifier::new(DEFAULT_SAMPLE_BYTES)
    }
}

impl Identifier {
    /// An identifier that reads at most `sample_bytes` of each text (at least one chunk).
    pub fn new(sample_bytes: usize) -> Self {
        model();
        Identifier {
            sample_bytes: sample_bytes.max(CHUNK_BYTES),
        }
    }

    /// Every language code the model can return, in model order.
    pub fn languages() -> Vec<&'static str> {
        model().codes.iter().map(String::as_str).collect()
    }

    /// The language of `text`.
    pub fn identify(&self, text: &str) -> Prediction {
        let m = model();
        let n = m.len();
        let mut dist = vec![0f32; n];
        let mut weight_sum = 0f32;
        let mut acc = vec![0u32; n];
        let mut ll = vec![0f32; n];
        let windows = sample(text, self.sample_bytes);
        let mut keys: Vec<u32> = Vec::with_capacity(CHUNK_BYTES * 2 * MAX_ORDER);
        let mut hits: Vec<Hit<'_>> = Vec::with_capacity(CHUNK_BYTES * 2 * MAX_ORDER);
        for window in &windows {
            for chunk in chunks(window, CHUNK_BYTES) {
                acc.iter_mut().for_each(|a| *a = 0);
                // Hash first, then look up, then add: independent look-ups let the CPU overlap
                // their cache misses.
                keys.clear();
                let counts = for_each_ngram(chunk, |_, key| keys.push(key));
                hits.clear();
                hits.extend(keys.iter().map(|&k| m.lookup(k)));
                for hit in &hits {
                    match hit {
                        Hit::None => {}
                        Hit::Sparse(postings) => {
                            for &(lang, w) in *postings {
                                acc[lang as usize] += w as u32;
                            }
                        }
                        Hit::Dense(row) => {
                            for (a, &w) in acc.iter_mut().zip(row.iter()) {
                                *a += w as u32;
                            }
                        }
                    }
                }
                let total: u32 = counts.iter().sum();
                if total == 0 {
                    continue;
                }
                for (l, out) in ll.iter_mut().enumerate() {
                    let floors = &m.floors[l * MAX_ORDER..(l + 1) * MAX_ORDER];
                    let base: f32 = counts.iter().zip(floors).map(|(&c, &f)| c as f32 * f).sum();
                    *out = base + acc[l] as f32 / m.scale;
                }
                let k = SHARPNESS / (total as f32).sqrt();
                softmax_into(&ll, k, &mut dist, total as f32);
                weight_sum += total as f32;
            }
        }
        if weight_sum == 0.0 {
            return Prediction {
                lang: UNDETERMINED,
                score: 0.0,
                top: Vec::new(),
            };
        }
        dist.iter_mut().for_each(|p| *p /= weight_sum);
        let code = |i: usize| -> &'static str { m.codes[i].as_str() };
        // Indonesian and Malay compete as one language against the rest; the specialist then
        // splits their joint probability.
        let (ind, zsm) = (index_of(m, "ind"), index_of(m, "zsm"));
        let mass = dist[ind] + dist[zsm];
        let best_other = (0..n)
            .filter(|&i| i != ind && i != zsm)
            .map(|i| dist[i])
            .fold(0f32, f32::max);
        if mass >= best_other {
            let q = malay_probability(m, &windows);
            dist[zsm] = mass * q;
            dist[ind] = mass * (1.0 - q);
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
        let top: Vec<(&'static str, f32)> = order
            .iter()
            .take(3)
            .map(|&i| (code(i), dist[i].clamp(0.0, 1.0)))
            .collect();
        Prediction {
            lang: top[0].0,
            score: top[0].1,
            top,
        }
    }
}

/// Add `weight * softmax(k * ll)` to `dist`.
fn softmax_into(ll: &[f32], k: f32, dist: &mut [f32], weight: f32) {
    let max = ll.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0f32;
    let exps: Vec<f32> = ll
        .iter()
        .map(|&x| {
            let e = ((x - max) * k).exp();
            sum += e;
            e
        })
        .collect();
    for (d, e) in dist.iter_mut().zip(exps) {
        *d += weight * e / sum;
    }
}

fn index_of(m: &Model, code: &str) -> usize {
    m.codes.iter().position(|c| c == code).unwrap_or(0)
}

/// P(Malay | Indonesian or Malay), from the specialist's word weights over the sample's
/// distinct words (names are not in the table: see the trainer).
fn malay_probability(m: &Model, windows: &[&str]) -> f32 {
    let mut seen = Vec::new();
    let mut buf = String::new();
    for w in windows {
        for_each_word(w, &mut buf, |word, _| seen.push(word_key(word)));
    }
    seen.sort_unstable();
    seen.dedup();
    let logit: f32 = seen
        .iter()
        .filter_map(|k| m.words.get(k))
        .map(|w| w + m.bias)
        .sum();
    1.0 / (1.0 + (-logit).exp())
}

/// The part of `text` the identifier reads: all of it up to `max` bytes, else three windows
/// of `max / 3` bytes at the start, the middle and the end.
fn sample(text: &str, max: usize) -> Vec<&str> {
    if text.len() <= max {
        return vec![text];
    }
    let w = max / 3;
    let mid = text.len() / 2 - w / 2;
    [0, mid, text.len() - w]
        .iter()
        .map(|&start| {
            let s = floor_char(text, start);
            let e = floor_char(text, (start + w).min(text.len()));
            &text[s..e]
        })
        .collect()
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
