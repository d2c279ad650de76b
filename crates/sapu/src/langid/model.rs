//! The embedded model file (`crates/sapu/models/langid.bin`, written by `sapu-eval`'s
//! `train_langid`) and its in-memory form.
//!
//! Layout, little endian:
//! ```text
//! "SAPULID1"
//! u16 L; L x { 3 bytes ISO 639-3 code, 5 x f32 floor (ln probability per n-gram order) }
//! u32 K; K x { u32 n-gram key, u32 first posting }          (sorted by key)
//! u32 P; P x { u8 language index, u8 weight }               (weight = (ln p - floor) * scale)
//! f32 scale
//! u32 W; W x { u32 word key, i8 weight }                    (specialist: (ln p_zsm - ln p_ind) * scale)
//! f32 specialist bias (nats, added once per known word)
//! f32 specialist affix bias (nats, added once per known affix; affix weights share the word table)
//! f32 broad weight (times the broad model's Malay-vs-Indonesian log-ratio), f32 prior (nats)
//! optional, the routing's coverage test (absent: no test):
//! u32 V; V x { u32 word key }                               (Indonesian/Malay vocabulary, sorted)
//! f32 coverage threshold, f32 factor
//! u32 R; R x { u32 word key }                               (regional words, sorted)
//! optional after it, the short-text combination (absent: none):
//! u32 N (texts of at most N words use it); f32 word scale, f32 bias, f32 affix scale,
//! f32 affix bias, f32 broad weight, f32 prior, f32 word-pair bias, f32 sub-word bias
//! u32 E; E x { u32 key, i8 weight }                         (word pairs and sub-words, short texts only)
//! ```

use super::features::{ascii_short_ngram, ngram_key, ASCII_SHORT, MAX_ORDER};

/// The model bytes compiled into the library.
pub(crate) static MODEL_BYTES: &[u8] = include_bytes!("../../models/langid.bin");

/// The decoded model, ready for look-ups.
pub(crate) struct Model {
    /// ISO 639-3 codes by language index.
    pub codes: Vec<String>,
    /// `floors[lang * MAX_ORDER + order - 1]`: ln probability of an unlisted n-gram.
    pub floors: Vec<f32>,
    /// Open-addressed table: slot -> (key, what it holds: see [`ONE`], [`DENSE`]; else a
    /// posting range `start << 5 | len`); 0 is an empty slot.
    slots: Vec<(u32, u32)>,
    mask: usize,
    /// (language index, quantised weight) per posting.
    pub postings: Vec<(u8, u8)>,
    /// Weight quantisation: nats = byte / scale.
    pub scale: f32,
    /// Specialist word weights (zsm positive, ind negative), in nats, by word key.
    pub words: WordTable,
    /// Specialist bias, in nats, added once per known word.
    pub bias: f32,
    /// Specialist bias, in nats, added once per known affix.
    pub affix_bias: f32,
    /// Weight of the broad model's Malay-vs-Indonesian log-ratio in the specialist's logit.
    pub broad_weight: f32,
    /// Constant added to the specialist's logit (nats; negative leans to Indonesian).
    pub prior: f32,
    /// Texts of at most this many words use `short` instead (0: never).
    pub short_words: usize,
    /// The specialist's combination for short texts: [word scale (times the stored word
    /// weights), bias, affix scale, affix bias, broad weight, prior, bias per known word pair,
    /// bias per known sub-word].
    pub short: [f32; 8],
    /// Word-pair and sub-word weights (see `features::word_bigram_key`,
    /// `features::subword_keys`) that only short texts read.
    pub short_extra: WordTable,
    /// Byte offset of the short-text section in the model file (its length when it has none).
    #[cfg_attr(not(test), allow(dead_code))]
    pub short_offset: usize,
    /// The Indonesian/Malay vocabulary of the routing's coverage test (weights unused).
    pub vocabulary: WordTable,
    /// Coverage (share of a text's distinct uncapitalised words in `vocabulary`) at which a
    /// regional language on top is scaled by `coverage_factor`; infinite: no test.
    pub coverage_min: f32,
    pub coverage_factor: f32,
    /// Words of the regional languages' UDHR texts not in `vocabulary`: a text with one of
    /// them does not pass the coverage test.
    pub regional_words: WordTable,
    /// Whether each language (by index) is one of [`super::identify::REGIONAL_LANGS`].
    pub regional: Vec<bool>,
    /// Index of Indonesian (`ind`) and of Malay (`zsm`).
    pub ind: usize,
    pub zsm: usize,
    /// Dense weight rows (one byte per language, zeros after the last language up to
    /// [`Model::stride`]) of the n-grams many languages list.
    dense: Vec<u8>,
    /// Length of a dense row: the number of languages rounded up to a multiple of
    /// [`ROW_BLOCK`], so rows are summed in whole blocks.
    pub stride: usize,
    /// The key of each 1- and 2-gram of ASCII letters, by [`super::features::ascii_short_index`].
    pub ascii_short_keys: Vec<u32>,
}

/// Languages per block of a dense row: the row sums of one block of languages fit in
/// registers while many rows are added (see `identify::add_rows`).
pub(crate) const ROW_BLOCK: usize = 48;

/// Longest dense row ([`MAX_LANGS`] rounded up to [`ROW_BLOCK`]).
pub(crate) const MAX_STRIDE: usize = MAX_LANGS.next_multiple_of(ROW_BLOCK);

/// N-grams listed by more than this many languages get a dense row (a vectorised add).
const DENSE_MIN: usize = 16;
/// Slot value of an n-gram one language lists: `ONE | lang << 8 | weight` (no posting read).
const ONE: u32 = 1 << 31;
/// Slot value of an n-gram with a dense row: `DENSE | row offset` (`ONE` bit included).
const DENSE: u32 = 3 << 30;

/// The weights of one n-gram.
#[derive(Clone, Copy)]
pub(crate) enum Hit<'a> {
    /// No language lists it.
    None,
    /// The one language that lists it, and its weight.
    One(u8, u8),
    /// (language index, weight) for the few languages that list it.
    Sparse(&'a [(u8, u8)]),
    /// One weight per language, then zeros up to [`Model::stride`].
    Dense(&'a [u8]),
}

impl Model {
    /// Decode the model bytes.
    ///
    /// # Panics
    /// When the bytes are not a model file: the embedded model is checked by the unit tests.
    pub fn decode(bytes: &[u8]) -> Model {
        let mut r = Reader { bytes, pos: 0 };
        assert_eq!(r.take(8), b"SAPULID1", "langid model: bad magic");
        let n_langs = r.u16() as usize;
        let mut codes = Vec::with_capacity(n_langs);
        let mut floors = Vec::with_capacity(n_langs * MAX_ORDER);
        for _ in 0..n_langs {
            codes.push(String::from_utf8_lossy(r.take(3)).into_owned());
            for _ in 0..MAX_ORDER {
                floors.push(r.f32());
            }
        }
        let n_keys = r.u32() as usize;
        let mut keys = Vec::with_capacity(n_keys);
        for _ in 0..n_keys {
            keys.push((r.u32(), r.u32()));
        }
        let n_postings = r.u32() as usize;
        let mut postings = Vec::with_capacity(n_postings);
        for _ in 0..n_postings {
            let b = r.take(2);
            postings.push((b[0], b[1]));
        }
        let scale = r.f32();
        let n_words = r.u32() as usize;
        let mut entries = Vec::with_capacity(n_words);
        for _ in 0..n_words {
            let k = r.u32();
            let w = r.take(1)[0] as i8;
            entries.push((k, w));
        }
        let words = WordTable::new(&entries);
        let bias = r.f32();
        let affix_bias = r.f32();
        let broad_weight = r.f32();
        let prior = r.f32();
        let (mut vocabulary, mut coverage_min, mut coverage_factor) =
            (Vec::new(), f32::INFINITY, 1.0);
        let mut regional_words = Vec::new();
        let (mut short_words, mut short) = (0usize, [0f32; 8]);
        let mut short_extra = Vec::new();
        let mut short_offset = bytes.len();
        if r.pos < bytes.len() {
            let n = r.u32() as usize;
            vocabulary = (0..n).map(|_| (r.u32(), 0i8)).collect();
            coverage_min = r.f32();
            coverage_factor = r.f32();
            let n = r.u32() as usize;
            regional_words = (0..n).map(|_| (r.u32(), 0i8)).collect();
            if r.pos < bytes.len() {
                short_offset = r.pos;
                short_words = r.u32() as usize;
                for x in &mut short {
                    *x = r.f32();
                }
                let n = r.u32() as usize;
                short_extra = (0..n)
                    .map(|_| {
                        let k = r.u32();
                        (k, r.take(1)[0] as i8)
                    })
                    .collect();
            }
        }
        assert_eq!(r.pos, bytes.len(), "langid model: trailing bytes");
        assert!(
            n_langs <= MAX_LANGS,
            "langid model: more than {MAX_LANGS} languages"
        );
        let index = |code: &str| codes.iter().position(|c| c == code);
        let ind = index("ind").expect("langid model: no `ind`");
        let zsm = index("zsm").expect("langid model: no `zsm`");
        let cap = (n_keys * 2).next_power_of_two().max(16);
        let mut slots = vec![(0u32, 0u32); cap];
        advise_huge_pages(&slots);
        let mask = cap - 1;
        let stride = n_langs.next_multiple_of(ROW_BLOCK);
        let mut dense = Vec::new();
        for (i, &(key, start)) in keys.iter().enumerate() {
            let end = keys.get(i + 1).map_or(n_postings as u32, |k| k.1);
            let mut s = slot_of(key, mask);
            while slots[s].1 != 0 {
                s = (s + 1) & mask;
            }
            let len = (end - start) as usize;
            slots[s] = if len > DENSE_MIN {
                let offset = dense.len() as u32;
                dense.resize(dense.len() + stride, 0);
                for &(lang, w) in &postings[start as usize..end as usize] {
                    dense[offset as usize + lang as usize] = w;
                }
                assert!(offset < 1 << 30, "langid model: dense rows too large");
                (key, DENSE | offset)
            } else if len == 1 {
                let (lang, w) = postings[start as usize];
                (key, ONE | (lang as u32) << 8 | w as u32)
            } else {
                assert!(start < 1 << 26, "langid model: too many postings");
                (key, start << 5 | len as u32)
            };
        }
        Model {
            floors,
            slots,
            mask,
            postings,
            scale,
            words,
            bias,
            affix_bias,
            broad_weight,
            prior,
            short_words,
            short,
            short_extra: WordTable::new(&short_extra),
            short_offset,
            vocabulary: WordTable::new(&vocabulary),
            coverage_min,
            coverage_factor,
            regional_words: WordTable::new(&regional_words),
            regional: codes
                .iter()
                .map(|c| super::identify::REGIONAL_LANGS.contains(&c.as_str()))
                .collect(),
            ind,
            zsm,
            dense,
            stride,
            codes,
            ascii_short_keys: (0..ASCII_SHORT)
                .map(|i| ngram_key(&ascii_short_ngram(i)))
                .collect(),
        }
    }

    /// The weights of one n-gram key.
    #[inline]
    pub fn lookup(&self, key: u32) -> Hit<'_> {
        let mut s = slot_of(key, self.mask);
        loop {
            let (k, v) = self.slots[s];
            if v == 0 {
                return Hit::None;
            }
            if k == key {
                if v & DENSE == DENSE {
                    let o = (v & !DENSE) as usize;
                    return Hit::Dense(&self.dense[o..o + self.stride]);
                }
                if v & ONE != 0 {
                    return Hit::One((v >> 8) as u8, v as u8);
                }
                let (start, len) = ((v >> 5) as usize, (v & 31) as usize);
                return Hit::Sparse(&self.postings[start..start + len]);
            }
            s = (s + 1) & self.mask;
        }
    }

    /// Ask the CPU to start loading the table slot of `key` (look-ups are cache misses).
    #[inline]
    pub fn prefetch(&self, key: u32) {
        prefetch(&self.slots[slot_of(key, self.mask)]);
    }

    /// Number of languages.
    pub fn len(&self) -> usize {
        self.codes.len()
    }
}

/// Ask Linux to back `v` with 2 MiB pages where it can (transparent huge pages in `madvise`
/// mode): the look-ups hit random places of an 8 MB table, and with 4 KiB pages nearly every
/// one also misses the TLB. Called before the table is filled, so the first writes fault in
/// huge pages. Only advice: nothing changes where the kernel declines.
fn advise_huge_pages<T>(v: &[T]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_ptr() as usize;
        let end = start + std::mem::size_of_val(v);
        let (a, b) = (start.next_multiple_of(HUGE), end / HUGE * HUGE);
        if b > a {
            // SAFETY: the range lies inside `v`'s allocation; MADV_HUGEPAGE changes how the
            // kernel backs those pages, never their contents.
            unsafe { libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// Most languages a model may hold (language indexes are bytes).
pub(crate) const MAX_LANGS: usize = 256;

/// Start loading the cache line of `x`; a no-op off x86-64.
#[inline]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of the x86-64 baseline; a prefetch never faults, whatever the
        // address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// The specialist's word weights (quantised: nats times the model's scale): an open-addressed
/// table keyed by word key (keys are already hashes), keys and weights in two arrays so the
/// keys of a probe share few cache lines (320 KB for 34,000 words instead of 1 MB). Key 0
/// marks an empty slot; a word whose key is 0 is not stored.
pub(crate) struct WordTable {
    keys: Vec<u32>,
    weights: Vec<i8>,
    mask: usize,
}

impl WordTable {
    pub(crate) fn new(entries: &[(u32, i8)]) -> WordTable {
        let cap = (entries.len() * 3 / 2).next_power_of_two().max(16);
        let mut keys = vec![0u32; cap];
        let mut weights = vec![0i8; cap];
        let mask = cap - 1;
        for &(k, w) in entries.iter().filter(|e| e.0 != 0) {
            let mut s = slot_of(k, mask);
            while keys[s] != 0 && keys[s] != k {
                s = (s + 1) & mask;
            }
            keys[s] = k;
            weights[s] = w;
        }
        WordTable {
            keys,
            weights,
            mask,
        }
    }

    /// Ask the CPU to start loading the slot of `key`.
    #[inline]
    pub fn prefetch(&self, key: u32) {
        let s = slot_of(key, self.mask);
        prefetch(&self.keys[s]);
        prefetch(&self.weights[s]);
    }

    /// The weight of word `key`, if the specialist lists it.
    #[inline]
    pub fn get(&self, key: u32) -> Option<i32> {
        let mut s = slot_of(key, self.mask);
        loop {
            let k = self.keys[s];
            if k == key && k != 0 {
                return Some(i32::from(self.weights[s]));
            }
            if k == 0 {
                return None;
            }
            s = (s + 1) & self.mask;
        }
    }
}

#[inline]
fn slot_of(key: u32, mask: usize) -> usize {
    (key.wrapping_mul(0x9E37_79B1) as usize) & mask
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take(2).try_into().unwrap())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take(4).try_into().unwrap())
    }
    fn f32(&mut self) -> f32 {
        f32::from_le_bytes(self.take(4).try_into().unwrap())
    }
}
