//! Shingles and MinHash signatures: the hot loop of near-duplicate detection.
//!
//! A document's shingles are the word n-grams of its normalised text (datatrove: word 5-grams
//! of `simplify_text`), each hashed to 64 bits without building the n-gram string: every word
//! is hashed once (XXH3) and a window of word hashes is folded into the shingle hash. The set
//! is sorted and deduplicated, so repeated shingles cost nothing further.
//!
//! The signature has one value per permutation `i`: `min over shingles h of a[i]*h + b[i]`
//! (wrapping arithmetic, `a[i]` odd, so each is a bijection). Two widths:
//! - 32 bits (default): the 64-bit shingle hash is folded to 32 bits and permuted in `u32`
//!   lanes (eight per AVX2 register, native multiply and unsigned minimum: 3 instructions per
//!   8 permutations). Folding merges two of a document's shingles with probability about
//!   n^2 / 2^33 (3e-5 for 500 shingles), far below MinHash's own estimation noise.
//! - 64 bits (`preset = "datatrove"`, like datatrove's 64-bit precision): `u64` lanes, four per
//!   register; AVX2 has no 64-bit multiply or unsigned 64-bit minimum, so each step costs about
//!   11 instructions per 4 permutations (about 6x slower). The comparison is done on values
//!   with the top bit flipped (added into `b`) so that a signed minimum stands for the unsigned.
//!
//! Both loops run over blocks of permutations held in registers with the shingles as the
//! inner loop, so the compiler vectorises them; on x86-64 an AVX2 copy is selected at run
//! time. Each permutation is unbiased whatever its family: shingle hashes are random, so the
//! argmin over the union of two sets is uniform among its elements.
//!
//! [`Sketch::Bins`] (the default of `minhash_dedup`, 32-bit values) computes the same kind of
//! signature with one hash per shingle instead of one per value: one-permutation hashing with
//! a per-bin fallback, as in Fast Similarity Sketching (Dahlgaard, Knudsen, Thorup 2017) and
//! rensa's R-MinHash. Each shingle `x` is mapped to one bin (`k` bins = signature length) and
//! a 31-bit value below 2^31; value `j` is the smallest such value among the shingles mapped
//! to bin `j`. A bin no shingle was mapped to takes `2^31 | perm_j(x) >> 1`, minimised over
//! all shingles, with `perm_j` the `j`-th permutation of [`Sketch::Permutations`]. So value
//! `j` is `min over x of key_j(x)` with `key_j(x)` a fixed random function of `x` alone (its
//! round-0 value when `x` is in bin `j`, its fallback value otherwise): the minimiser over the
//! union of two sets is uniform among its elements and two signatures agree at `j` with
//! probability exactly their Jaccard similarity, like k-permutation MinHash. Cost: one
//! multiply per shingle plus the permutation loop for the empty bins only (about `k e^(-n/k)`
//! of them for `n` shingles), so long documents cost a fraction of [`Sketch::Permutations`]
//! and short ones (mostly empty bins) about the same. Bins of one signature are drawn without
//! replacement, which lowers the estimator's variance on long documents; measured quality in
//! `docs/dedup.md`.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::text::normalize::{normalize_into, Normalization};

/// Flips the top bit: `x + TOP` equals `x ^ TOP` in wrapping arithmetic.
const TOP: u64 = 1 << 63;

/// Permutations per register block, 64-bit values.
const LANES: usize = 8;

/// Permutations per register block, 32-bit values.
const LANES32: usize = 32;

/// Multiplier of the bin hash (an odd 32-bit constant, the golden ratio's).
const BIN_MUL: u32 = 0x9E37_79B1;

/// Values of the bins no shingle was mapped to start at this bit (see the module doc).
const FALLBACK: u32 = 1 << 31;

/// How the signature values are drawn from the shingle hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sketch {
    /// One permutation (hash function) per signature value, each applied to every shingle:
    /// classic k-permutation MinHash (datatrove's).
    Permutations,
    /// One-permutation hashing into bins, empty bins filled by their permutation (see the
    /// module doc). 32-bit values only.
    Bins,
}

/// How documents become shingle sets and signatures (built once per stage, shared by threads).
#[derive(Debug, Clone)]
pub struct Hasher {
    ngram: usize,
    norm: Normalization,
    seed: u64,
    bits: u32,
    sketch: Sketch,
    /// Key of the bin hash ([`Sketch::Bins`]), drawn from the seed.
    bin_key: u32,
    a: Vec<u64>,
    /// `b[i] + TOP`, see the module doc.
    b: Vec<u64>,
    a32: Vec<u32>,
    b32: Vec<u32>,
}

/// Buffers reused from document to document by one thread.
#[derive(Debug, Default)]
pub struct Scratch {
    text: String,
    words: Vec<u64>,
    /// The sorted, deduplicated shingle hashes of the last document.
    pub shingles: Vec<u64>,
    folded: Vec<u32>,
    sig32: Vec<u32>,
}

impl Hasher {
    /// `num_perm` permutations drawn from `seed`, shingles of `ngram` words, 64-bit values.
    pub fn new(num_perm: usize, ngram: usize, seed: u64, norm: Normalization) -> Self {
        Self::with_bits(num_perm, ngram, seed, norm, 64)
    }

    /// As [`Hasher::new`] with signature values of `bits` (32 or 64) bits.
    ///
    /// # Panics
    /// If `bits` is neither 32 nor 64.
    pub fn with_bits(
        num_perm: usize,
        ngram: usize,
        seed: u64,
        norm: Normalization,
        bits: u32,
    ) -> Self {
        assert!(bits == 32 || bits == 64, "signature bits must be 32 or 64");
        let mut state = seed ^ 0x5851_F42D_4C95_7F2D;
        let mut a = Vec::with_capacity(num_perm);
        let mut b = Vec::with_capacity(num_perm);
        for _ in 0..num_perm {
            a.push(splitmix64(&mut state) | 1);
            b.push(splitmix64(&mut state).wrapping_add(TOP));
        }
        let a32 = a.iter().map(|&x| (x >> 32) as u32 | 1).collect();
        let b32 = b.iter().map(|&x| (x >> 32) as u32).collect();
        let bin_key = (splitmix64(&mut state) >> 32) as u32;
        Hasher {
            ngram: ngram.max(1),
            norm,
            seed,
            bits,
            sketch: Sketch::Permutations,
            bin_key,
            a,
            b,
            a32,
            b32,
        }
    }

    /// This hasher drawing its signatures with `sketch` (the default is
    /// [`Sketch::Permutations`]).
    ///
    /// # Panics
    /// If `sketch` is [`Sketch::Bins`] and the values are 64-bit.
    #[must_use]
    pub fn with_sketch(mut self, sketch: Sketch) -> Self {
        assert!(
            sketch == Sketch::Permutations || self.bits == 32,
            "bins sketch needs 32-bit values"
        );
        self.sketch = sketch;
        self
    }

    /// How the signature values are drawn.
    pub fn sketch(&self) -> Sketch {
        self.sketch
    }

    /// Number of permutations (signature length).
    pub fn num_perm(&self) -> usize {
        self.a.len()
    }

    /// Fill `scratch.shingles` with the sorted, distinct shingle hashes of `text`. A text with
    /// fewer words than the n-gram size has one shingle (all its words); an empty one has none.
    pub fn shingles(&self, text: &str, scratch: &mut Scratch) {
        normalize_into(text, &self.norm, &mut scratch.text);
        scratch.words.clear();
        let seed = self.seed;
        let hash = |w: &str| hash_bytes(w.as_bytes(), seed);
        if self.norm.collapse_whitespace {
            // Words are separated by exactly one space: one pass over the bytes finds them
            // (`split(' ')` costs about 100 instructions a word in its searcher).
            let bytes = scratch.text.as_bytes();
            let mut start = 0;
            for i in memchr::memchr_iter(b' ', bytes) {
                if i > start {
                    scratch.words.push(hash_bytes(&bytes[start..i], seed));
                }
                start = i + 1;
            }
            if start < bytes.len() {
                scratch.words.push(hash_bytes(&bytes[start..], seed));
            }
        } else {
            scratch
                .words
                .extend(scratch.text.split_whitespace().map(hash));
        }
        self.shingles_of_words(&scratch.words, &mut scratch.shingles);
    }

    /// Shingle hashes of a sequence of word hashes (sorted, distinct).
    pub fn shingles_of_words(&self, words: &[u64], out: &mut Vec<u64>) {
        out.clear();
        if words.is_empty() {
            return;
        }
        let n = self.ngram.min(words.len());
        out.extend(words.windows(n).map(fold_window));
        out.sort_unstable();
        out.dedup();
    }

    /// The signature of a shingle set, written into `sig` (length [`Hasher::num_perm`]).
    /// An empty set gives all `u64::MAX` (64 bits) or `u32::MAX` (32 bits).
    pub fn signature(&self, shingles: &[u64], sig: &mut [u64]) {
        assert_eq!(sig.len(), self.a.len(), "signature length");
        if self.bits == 32 {
            let (mut folded, mut out) = (Vec::new(), Vec::new());
            self.fold_and_sign32(shingles, &mut folded, &mut out, sig);
            return;
        }
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                unsafe { sign_avx2(shingles, &self.a, &self.b, sig) };
                return;
            }
        }
        sign_body(shingles, &self.a, &self.b, sig);
    }
}

impl Hasher {
    /// The signature of `scratch.shingles`, using the scratch buffers (no allocation once
    /// they have grown).
    pub fn signature_of(&self, scratch: &mut Scratch, sig: &mut [u64]) {
        if self.bits == 32 {
            let Scratch {
                shingles,
                folded,
                sig32,
                ..
            } = scratch;
            self.fold_and_sign32(shingles, folded, sig32, sig);
        } else {
            self.signature(&scratch.shingles, sig);
        }
    }

    /// The signature of a document given as its shingle strings (already cut by the caller,
    /// e.g. to compare with other MinHash tools on the same shingles), written into `sig`.
    /// Each string is hashed once (XXH3, this hasher's seed) straight into the permutation
    /// input; duplicates need not be removed. Equal to [`Hasher::signature`] of the strings'
    /// 64-bit hashes.
    pub fn signature_of_strings<'a, I>(&self, shingles: I, scratch: &mut Scratch, sig: &mut [u64])
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let seed = self.seed;
        let hash = |x: &[u8]| xxh3_64_with_seed(x, seed);
        if self.bits == 32 {
            let Scratch { folded, sig32, .. } = scratch;
            folded.clear();
            sig32.resize(sig.len(), 0);
            // Hashing stays a loop of its own (reading the strings is most of its time); with
            // the bin updates fused into it, it was about 7% slower though 12% fewer
            // instructions (docs/dedup.md, session 10).
            let keys = xxh3_keys(seed);
            folded.extend(
                shingles
                    .into_iter()
                    .map(|x| fold32(xxh3_seeded(x, seed, &keys))),
            );
            self.signature32(folded, sig32);
            for (s, &v) in sig.iter_mut().zip(sig32.iter()) {
                *s = u64::from(v);
            }
        } else {
            scratch.shingles.clear();
            scratch.shingles.extend(shingles.into_iter().map(hash));
            self.signature(&scratch.shingles, sig);
        }
    }

    fn fold_and_sign32(
        &self,
        shingles: &[u64],
        folded: &mut Vec<u32>,
        out: &mut Vec<u32>,
        sig: &mut [u64],
    ) {
        folded.clear();
        folded.extend(shingles.iter().map(|&h| fold32(h)));
        out.resize(sig.len(), 0);
        self.signature32(folded, out);
        for (s, &v) in sig.iter_mut().zip(out.iter()) {
            *s = u64::from(v);
        }
    }

    /// The 32-bit signature of folded shingle hashes (`h ^ h >> 32`). An empty set gives all
    /// `u32::MAX` whatever the sketch.
    pub fn signature32(&self, folded: &[u32], sig: &mut [u32]) {
        assert_eq!(sig.len(), self.a32.len(), "signature length");
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked just above.
                unsafe {
                    match self.sketch {
                        Sketch::Permutations => sign32_avx2(folded, &self.a32, &self.b32, sig),
                        Sketch::Bins => {
                            bins32_avx2(folded, self.bin_key, &self.a32, &self.b32, sig)
                        }
                    }
                };
                return;
            }
        }
        self.signature32_portable(folded, sig);
    }

    /// [`Hasher::signature32`] without the run-time choice of vector instructions (the code
    /// any CPU runs; the tests check both give the same values).
    fn signature32_portable(&self, folded: &[u32], sig: &mut [u32]) {
        match self.sketch {
            Sketch::Permutations => sign32_body(folded, &self.a32, &self.b32, sig),
            Sketch::Bins => bins32_body(folded, self.bin_key, &self.a32, &self.b32, sig),
        }
    }
}

/// The bin and round-0 value (below [`FALLBACK`]) of a folded shingle hash, `k` bins: the
/// high and low halves of `k` times the keyed hash (so the pair is a bijection of `x`).
#[inline(always)]
fn bin_of(x: u32, key: u32, k: u64) -> (usize, u32) {
    let p = u64::from((x ^ key).wrapping_mul(BIN_MUL)) * k;
    ((p >> 32) as usize, (p as u32) >> 1)
}

/// Bin minima are kept in this many copies (shingle `i` updates copy `i % COPIES`, merged at
/// the end): consecutive shingles then rarely update the same memory, which the CPU would
/// otherwise have to serialise.
const COPIES: usize = 4;

/// Longest signature whose round-0 minima are kept in [`COPIES`] (on the stack); longer
/// ones keep one.
const COPY_BINS: usize = 256;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn bins32_avx2(shingles: &[u32], key: u32, a: &[u32], b: &[u32], sig: &mut [u32]) {
    bins32_round0(shingles, key, sig);
    if !shingles.is_empty() {
        // SAFETY: AVX2 is enabled for this function (its callers check the CPU).
        unsafe { fill_empty_bins_avx2(shingles, a, b, sig) };
    }
}

/// The [`Sketch::Bins`] signature: one pass mapping each shingle to its bin, then the
/// permutation loop over every shingle for the bins left empty, eight at a time.
#[inline(always)]
fn bins32_body(shingles: &[u32], key: u32, a: &[u32], b: &[u32], sig: &mut [u32]) {
    bins32_round0(shingles, key, sig);
    if !shingles.is_empty() {
        fill_empty_bins(shingles, a, b, sig);
    }
}

/// The first round of [`Sketch::Bins`]: each bin's smallest round-0 value, `u32::MAX` for
/// the bins no shingle was mapped to.
#[inline(always)]
fn bins32_round0(shingles: &[u32], key: u32, sig: &mut [u32]) {
    sig.fill(u32::MAX);
    if shingles.is_empty() {
        return;
    }
    let k = sig.len();
    if k <= COPY_BINS {
        let mut copies = [[u32::MAX; COPY_BINS]; COPIES];
        let mut quads = shingles.chunks_exact(COPIES);
        for q in quads.by_ref() {
            for (c, &x) in copies.iter_mut().zip(q) {
                let (bin, v) = bin_of(x, key, k as u64);
                c[bin] = c[bin].min(v);
            }
        }
        for (c, &x) in copies.iter_mut().zip(quads.remainder()) {
            let (bin, v) = bin_of(x, key, k as u64);
            c[bin] = c[bin].min(v);
        }
        for c in &copies {
            for (s, &v) in sig.iter_mut().zip(&c[..k]) {
                *s = (*s).min(v);
            }
        }
    } else {
        for &x in shingles {
            let (bin, v) = bin_of(x, key, k as u64);
            sig[bin] = sig[bin].min(v);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fill_empty_bins_avx2(shingles: &[u32], a: &[u32], b: &[u32], sig: &mut [u32]) {
    fill_empty_bins_with(shingles, a, b, sig, |x, ab, bb| {
        // SAFETY: this function runs only on CPUs with AVX2 (its callers check).
        unsafe { block8_avx2(x, ab, bb) }
    });
}

/// [`sign32_block`]`::<8>` written with AVX2 instructions: one register of eight
/// permutations, each shingle broadcast to it (the generic loop is vectorised across shingles
/// instead, which spills its 32 accumulators and ends each block with a reduction and a
/// scalar remainder loop). The same values (tested).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn block8_avx2(shingles: &[u32], ab: &[u32; 8], bb: &[u32; 8]) -> [u32; 8] {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi32, _mm256_loadu_si256, _mm256_min_epu32, _mm256_mullo_epi32,
        _mm256_set1_epi32, _mm256_storeu_si256,
    };
    debug_assert!(std::arch::is_x86_feature_detected!("avx2"));
    // SAFETY: `ab`, `bb` and `out` are 32 bytes each (unaligned loads and stores); AVX2 is
    // enabled for this function and present (asserted above).
    unsafe {
        let a = _mm256_loadu_si256(ab.as_ptr().cast::<__m256i>());
        let b = _mm256_loadu_si256(bb.as_ptr().cast::<__m256i>());
        let mut acc = _mm256_set1_epi32(-1);
        for &h in shingles {
            let v = _mm256_add_epi32(_mm256_mullo_epi32(a, _mm256_set1_epi32(h as i32)), b);
            acc = _mm256_min_epu32(acc, v);
        }
        let mut out = [0u32; 8];
        _mm256_storeu_si256(out.as_mut_ptr().cast::<__m256i>(), acc);
        out
    }
}

/// The second round of [`Sketch::Bins`]: each bin of `sig` still at `u32::MAX` takes its
/// fallback value over the (non-empty) `shingles`.
#[inline(always)]
fn fill_empty_bins(shingles: &[u32], a: &[u32], b: &[u32], sig: &mut [u32]) {
    fill_empty_bins_with(shingles, a, b, sig, sign32_block::<8>);
}

/// [`fill_empty_bins`] with `block` computing eight permutations' minima over the shingles.
#[inline(always)]
fn fill_empty_bins_with<F>(shingles: &[u32], a: &[u32], b: &[u32], sig: &mut [u32], block: F)
where
    F: Fn(&[u32], &[u32; 8], &[u32; 8]) -> [u32; 8],
{
    // The empty bins, listed without branches, 128 bins at a time (as offsets from `start`).
    let k = sig.len();
    let mut start = 0;
    while start < k {
        let end = (start + 128).min(k);
        let mut empty = [0u8; 128];
        let mut n = 0;
        for (j, &v) in sig[start..end].iter().enumerate() {
            empty[n] = j as u8;
            n += usize::from(v == u32::MAX);
        }
        for chunk in empty[..n].chunks(8) {
            fill_empty(shingles, start, chunk, a, b, sig, &block);
        }
        start = end;
    }
}

/// The fallback values of the bins `start + empty[l]` (at most 8): their permutations' minimum
/// over every shingle, shifted above the round-0 values.
#[inline(always)]
fn fill_empty<F>(
    shingles: &[u32],
    start: usize,
    empty: &[u8],
    a: &[u32],
    b: &[u32],
    sig: &mut [u32],
    block: &F,
) where
    F: Fn(&[u32], &[u32; 8], &[u32; 8]) -> [u32; 8],
{
    let (mut ab, mut bb) = ([1u32; 8], [0u32; 8]);
    for (l, &j) in empty.iter().enumerate() {
        ab[l] = a[start + usize::from(j)];
        bb[l] = b[start + usize::from(j)];
    }
    let acc = block(shingles, &ab, &bb);
    for (l, &j) in empty.iter().enumerate() {
        sig[start + usize::from(j)] = FALLBACK | acc[l] >> 1;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sign32_avx2(shingles: &[u32], a: &[u32], b: &[u32], sig: &mut [u32]) {
    sign32_body(shingles, a, b, sig);
}

/// The 32-bit signature loop: blocks of `LANES32` permutations, shingles inside. A last,
/// partial block (e.g. 120 = 3 x 32 + 24 permutations) runs as a full block padded with unused
/// permutations: vector lanes are cheaper than a scalar loop.
#[inline(always)]
fn sign32_body(shingles: &[u32], a: &[u32], b: &[u32], sig: &mut [u32]) {
    let mut start = 0;
    while start < sig.len() {
        let n = LANES32.min(sig.len() - start);
        let (mut ab, mut bb) = ([1u32; LANES32], [0u32; LANES32]);
        ab[..n].copy_from_slice(&a[start..start + n]);
        bb[..n].copy_from_slice(&b[start..start + n]);
        let acc = sign32_block::<LANES32>(shingles, &ab, &bb);
        sig[start..start + n].copy_from_slice(&acc[..n]);
        start += n;
    }
}

/// One block of `L` permutations over every shingle.
#[inline(always)]
fn sign32_block<const L: usize>(shingles: &[u32], ab: &[u32; L], bb: &[u32; L]) -> [u32; L] {
    let mut acc = [u32::MAX; L];
    for &h in shingles {
        for j in 0..L {
            acc[j] = acc[j].min(ab[j].wrapping_mul(h).wrapping_add(bb[j]));
        }
    }
    acc
}

/// The 64-bit hash of a word (or of a shingle string): XXH3 with the hasher's seed.
#[inline(always)]
fn hash_bytes(x: &[u8], seed: u64) -> u64 {
    xxh3_64_with_seed(x, seed)
}

/// XXH3's 64-bit multiplier `PRIME64_1` (its 17-128 byte path starts from `len * PRIME64_1`).
const XXH_PRIME64_1: u64 = 0x9E37_79B1_85EB_CA87;

/// The first eight 64-bit words of XXH3's default secret (its `kSecret`, little-endian).
const XXH_SECRET: [u64; 8] = [
    0xBE4B_A423_396C_FEB8,
    0x1CAD_21F7_2C81_017C,
    0xDB97_9083_E96D_D4DE,
    0x1F67_B3B7_A4A4_4072,
    0x78E5_C0CC_4EE6_79CB,
    0x2172_FFCC_7DD0_5A82,
    0x8E24_43F7_7446_08B8,
    0x4C26_3A81_E690_35E0,
];

/// The keys [`xxh3_seeded`] mixes inputs of 17-64 bytes with: XXH3's secret words with the
/// seed added (even words) or subtracted (odd words), computed once instead of per string.
fn xxh3_keys(seed: u64) -> [u64; 8] {
    let mut keys = XXH_SECRET;
    for (i, k) in keys.iter_mut().enumerate() {
        *k = if i % 2 == 0 {
            k.wrapping_add(seed)
        } else {
            k.wrapping_sub(seed)
        };
    }
    keys
}

/// `xxh3_64_with_seed(x, seed)` (the same values, tested against the crate for every length up
/// to 300 bytes): the 17-64 byte lengths of almost all shingle strings inline with the keys of
/// [`xxh3_keys`]`(seed)`, any other length through the crate.
#[inline(always)]
fn xxh3_seeded(x: &[u8], seed: u64, keys: &[u64; 8]) -> u64 {
    let n = x.len();
    if !(17..=64).contains(&n) {
        return xxh3_other(x, seed);
    }
    let word = |o: usize| u64::from_le_bytes(x[o..o + 8].try_into().unwrap());
    let mix16 = |o: usize, k: usize| {
        let p = u128::from(word(o) ^ keys[k]) * u128::from(word(o + 8) ^ keys[k + 1]);
        (p as u64) ^ ((p >> 64) as u64)
    };
    let mut acc = (n as u64).wrapping_mul(XXH_PRIME64_1);
    if n > 32 {
        acc = acc
            .wrapping_add(mix16(16, 4))
            .wrapping_add(mix16(n - 32, 6));
    }
    acc = acc.wrapping_add(mix16(0, 0)).wrapping_add(mix16(n - 16, 2));
    // XXH3's avalanche.
    acc ^= acc >> 37;
    acc = acc.wrapping_mul(0x1656_6791_9E37_79F9);
    acc ^ (acc >> 32)
}

/// The lengths [`xxh3_seeded`] leaves to the crate (rare for shingle strings: out of line).
#[inline(never)]
fn xxh3_other(x: &[u8], seed: u64) -> u64 {
    xxh3_64_with_seed(x, seed)
}

/// A 64-bit shingle hash folded to the 32-bit permutation input.
#[inline]
fn fold32(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// The shingle hash of a window of word hashes: order-sensitive fold, then a final mix.
#[inline]
fn fold_window(w: &[u64]) -> u64 {
    let mut h = 0x9E37_79B9_7F4A_7C15u64;
    for &x in w {
        h = (h ^ x).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 31;
    }
    fmix(h)
}

#[inline]
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// SplitMix64 step (Steele et al.), for drawing the permutation constants.
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sign_avx2(shingles: &[u64], a: &[u64], b: &[u64], sig: &mut [u64]) {
    sign_body(shingles, a, b, sig);
}

/// The signature loop: blocks of `LANES` permutations kept in registers, shingles inside.
#[inline(always)]
fn sign_body(shingles: &[u64], a: &[u64], b: &[u64], sig: &mut [u64]) {
    let full = sig.len() / LANES * LANES;
    for start in (0..full).step_by(LANES) {
        let ab: [u64; LANES] = a[start..start + LANES].try_into().unwrap();
        let bb: [u64; LANES] = b[start..start + LANES].try_into().unwrap();
        let mut acc = [i64::MAX; LANES];
        for &h in shingles {
            for j in 0..LANES {
                let v = ab[j].wrapping_mul(h).wrapping_add(bb[j]) as i64;
                acc[j] = acc[j].min(v);
            }
        }
        for j in 0..LANES {
            sig[start + j] = (acc[j] as u64) ^ TOP;
        }
    }
    for i in full..sig.len() {
        let mut m = i64::MAX;
        for &h in shingles {
            m = m.min(a[i].wrapping_mul(h).wrapping_add(b[i]) as i64);
        }
        sig[i] = (m as u64) ^ TOP;
    }
}

/// Exact Jaccard similarity of two sorted, distinct sets.
pub fn jaccard_sorted<T: Ord>(x: &[T], y: &[T]) -> f64 {
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (x.len() + y.len() - inter) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher(num_perm: usize) -> Hasher {
        Hasher::new(num_perm, 5, 1, Normalization::default())
    }

    #[test]
    fn shingles_are_word_ngrams_of_normalised_text() {
        let h = hasher(4);
        let mut s = Scratch::default();
        h.shingles("a b c d e f", &mut s);
        assert_eq!(s.shingles.len(), 2);
        let first = s.shingles.clone();
        h.shingles("A, b; c  D e! F?", &mut s);
        assert_eq!(s.shingles, first, "normalisation makes these equal");
        h.shingles("a b c", &mut s);
        assert_eq!(s.shingles.len(), 1, "short text: one shingle of all words");
        h.shingles(" ... ", &mut s);
        assert_eq!(s.shingles.len(), 0);
        h.shingles("a b c d e g", &mut s);
        assert_eq!(jaccard_sorted(&s.shingles, &first), 1.0 / 3.0);
        h.shingles("b a c d e f", &mut s);
        assert_eq!(jaccard_sorted(&s.shingles, &first), 0.0, "order matters");
    }

    #[test]
    fn shingles_hash_the_words_split_at_spaces() {
        // The word scan must find the words `split_whitespace` finds, whatever the spaces at
        // the ends (punctuation becomes a space) and the characters inside.
        let h = Hasher::new(8, 3, 5, Normalization::default());
        let mut s = Scratch::default();
        for text in [
            "",
            "x",
            "!satu, dua tiga?",
            "  Ketua   RT 05 — berkata: \"Jalan rusak\" (kemarin).  ",
            "café naïve résumé 東京 東京 a b c d e f g",
            "...",
            "a",
        ] {
            h.shingles(text, &mut s);
            let norm = crate::text::normalize::normalize(text, &Normalization::default());
            let words: Vec<u64> = norm
                .split_whitespace()
                .map(|w| xxh3_64_with_seed(w.as_bytes(), 5))
                .collect();
            let mut want = Vec::new();
            h.shingles_of_words(&words, &mut want);
            assert_eq!(s.shingles, want, "{text:?}");
        }
    }

    #[test]
    fn vector_and_scalar_signatures_agree() {
        let h = hasher(133);
        let shingles: Vec<u64> = (0..1000u64).map(|i| i.wrapping_mul(0x9E37_79B9)).collect();
        let mut fast = vec![0; 133];
        h.signature(&shingles, &mut fast);
        let slow: Vec<u64> = (0..133)
            .map(|i| {
                shingles
                    .iter()
                    .map(|&x| {
                        h.a[i]
                            .wrapping_mul(x)
                            .wrapping_add(h.b[i].wrapping_sub(TOP))
                    })
                    .min()
                    .unwrap()
            })
            .collect();
        assert_eq!(fast, slow);
        let mut empty = vec![0; 133];
        h.signature(&[], &mut empty);
        assert_eq!(empty, vec![u64::MAX; 133]);
    }

    #[test]
    fn vector_and_scalar_32_bit_signatures_agree() {
        let h = Hasher::with_bits(133, 5, 1, Normalization::default(), 32);
        let shingles: Vec<u64> = (0..1000u64).map(fmix).collect();
        let mut fast = vec![0; 133];
        h.signature(&shingles, &mut fast);
        let mut via_scratch = vec![0; 133];
        let mut s = Scratch {
            shingles: shingles.clone(),
            ..Scratch::default()
        };
        h.signature_of(&mut s, &mut via_scratch);
        assert_eq!(fast, via_scratch);
        let slow: Vec<u64> = (0..133)
            .map(|i| {
                shingles
                    .iter()
                    .map(|&x| {
                        h.a32[i]
                            .wrapping_mul((x ^ (x >> 32)) as u32)
                            .wrapping_add(h.b32[i])
                    })
                    .min()
                    .map_or(0, u64::from)
            })
            .collect();
        assert_eq!(fast, slow);
    }

    #[test]
    fn signatures_of_strings_equal_signatures_of_their_hashes() {
        for (bits, sketch) in [
            (32, Sketch::Permutations),
            (64, Sketch::Permutations),
            (32, Sketch::Bins),
        ] {
            let h = Hasher::with_bits(40, 5, 7, Normalization::default(), bits).with_sketch(sketch);
            let strings = ["satu dua", "tiga empat", "lima", "satu dua"];
            let hashes: Vec<u64> = strings
                .iter()
                .map(|s| xxh3_64_with_seed(s.as_bytes(), 7))
                .collect();
            let (mut direct, mut via) = (vec![0; 40], vec![0; 40]);
            h.signature(&hashes, &mut direct);
            let mut scratch = Scratch::default();
            h.signature_of_strings(strings.iter().map(|s| s.as_bytes()), &mut scratch, &mut via);
            assert_eq!(via, direct, "{bits} bits, {sketch:?}");
        }
    }

    #[test]
    fn seeded_xxh3_fast_path_equals_the_crate() {
        let bytes: Vec<u8> = (0..400u64).map(|i| (fmix(i) >> 17) as u8).collect();
        for seed in [0, 1, 7, u64::MAX, 0x9E37_79B9_7F4A_7C15] {
            let keys = xxh3_keys(seed);
            for start in [0, 3] {
                for len in 0..=300 {
                    let x = &bytes[start..start + len];
                    assert_eq!(
                        xxh3_seeded(x, seed, &keys),
                        xxh3_64_with_seed(x, seed),
                        "seed {seed}, len {len}"
                    );
                }
            }
        }
    }

    #[test]
    fn bins_signatures_of_strings_equal_signatures_of_their_hashes() {
        // The string path (inlined XXH3) against hashing with the crate and signing the hashes,
        // for signature lengths inside and beyond `COPY_BINS` and documents around the bin
        // count.
        let words = [
            "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
        ];
        for k in [128, 120, 7, 1, 256, 300] {
            for seed in [1, 9] {
                let h = Hasher::with_bits(k, 5, seed, Normalization::default(), 32)
                    .with_sketch(Sketch::Bins);
                let mut scratch = Scratch::default();
                for n in [0, 1, 2, 5, 50, 127, 128, 129, 400, 2000] {
                    let strings: Vec<String> = (0..n as u64)
                        .map(|i| {
                            let r = fmix(i ^ (seed << 32));
                            let len = 1 + (r % 13) as usize;
                            (0..len)
                                .map(|j| words[(r >> (4 + 3 * j)) as usize % words.len()])
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .collect();
                    let hashes: Vec<u64> = strings
                        .iter()
                        .map(|s| xxh3_64_with_seed(s.as_bytes(), seed))
                        .collect();
                    let (mut direct, mut via) = (vec![0; k], vec![1; k]);
                    h.signature(&hashes, &mut direct);
                    h.signature_of_strings(
                        strings.iter().map(|s| s.as_bytes()),
                        &mut scratch,
                        &mut via,
                    );
                    assert_eq!(via, direct, "k {k}, seed {seed}, n {n}");
                }
            }
        }
    }

    #[test]
    fn signature_agreement_estimates_jaccard() {
        let h = hasher(512);
        let x: Vec<u64> = (0..1000u64).map(fmix).collect();
        // 800 shared out of 1200 distinct: J = 2/3.
        let y: Vec<u64> = (200..1200u64).map(fmix).collect();
        let (mut sx, mut sy) = (vec![0; 512], vec![0; 512]);
        h.signature(&x, &mut sx);
        h.signature(&y, &mut sy);
        let agree = sx.iter().zip(&sy).filter(|(p, q)| p == q).count();
        // Binomial(512, 2/3): mean 341, sd 10.7; seed 1 draws 316 (over 200 seeds the mean
        // agreement is 0.6705, unbiased).
        assert_eq!(agree, 316);
    }

    /// [`Sketch::Bins`] by its definition: value `j` is the minimum over the shingles of
    /// their round-0 value if in bin `j`, else of their shifted `j`-th permutation.
    fn bins_by_definition(h: &Hasher, folded: &[u32]) -> Vec<u32> {
        let k = h.num_perm();
        (0..k)
            .map(|j| {
                folded
                    .iter()
                    .map(|&x| {
                        let (bin, v) = bin_of(x, h.bin_key, k as u64);
                        if bin == j {
                            v
                        } else {
                            FALLBACK | h.a32[j].wrapping_mul(x).wrapping_add(h.b32[j]) >> 1
                        }
                    })
                    .min()
                    .unwrap_or(u32::MAX)
            })
            .collect()
    }

    #[test]
    fn bins_vector_portable_and_definition_agree() {
        let mut checked_fallback = false;
        for k in [128, 120, 133, 7, 1] {
            let h =
                Hasher::with_bits(k, 5, 3, Normalization::default(), 32).with_sketch(Sketch::Bins);
            for n in [0, 1, 3, 20, 100, 127, 300, 1000, 5000] {
                let folded: Vec<u32> = (0..n as u64).map(|i| fold32(fmix(i + 17))).collect();
                let (mut fast, mut portable) = (vec![0; k], vec![0; k]);
                h.signature32(&folded, &mut fast);
                h.signature32_portable(&folded, &mut portable);
                assert_eq!(fast, portable, "k {k}, n {n}: dispatch and portable code");
                assert_eq!(fast, bins_by_definition(&h, &folded), "k {k}, n {n}");
                checked_fallback |= fast.iter().any(|&v| v != u32::MAX && v >= FALLBACK);
                if n == 0 {
                    assert_eq!(fast, vec![u32::MAX; k]);
                } else {
                    assert!(fast.iter().all(|&v| v != u32::MAX), "every bin filled");
                }
            }
        }
        assert!(checked_fallback, "some bins came from the fallback");
        // The 64-bit entry point gives the same values.
        let h =
            Hasher::with_bits(128, 5, 3, Normalization::default(), 32).with_sketch(Sketch::Bins);
        let shingles: Vec<u64> = (0..200u64).map(fmix).collect();
        let mut sig = vec![0; 128];
        h.signature(&shingles, &mut sig);
        let folded: Vec<u32> = shingles.iter().map(|&x| fold32(x)).collect();
        let want: Vec<u64> = bins_by_definition(&h, &folded)
            .into_iter()
            .map(u64::from)
            .collect();
        assert_eq!(sig, want);
    }

    /// Mean agreement of bins signatures over many seeds, for two sets at Jaccard `j`.
    fn mean_bins_agreement(x: &[u64], y: &[u64], seeds: u64) -> f64 {
        let mut agree = 0usize;
        for seed in 0..seeds {
            let h = Hasher::with_bits(128, 5, seed, Normalization::default(), 32)
                .with_sketch(Sketch::Bins);
            let (mut sx, mut sy) = (vec![0; 128], vec![0; 128]);
            h.signature(x, &mut sx);
            h.signature(y, &mut sy);
            agree += sx.iter().zip(&sy).filter(|(p, q)| p == q).count();
        }
        agree as f64 / (128 * seeds) as f64
    }

    #[test]
    fn bins_agreement_is_unbiased_on_short_and_long_sets() {
        // Seeds change the bin key and permutations; the shingle hashes are fixed. Over 300
        // seeds the mean agreement's standard error is about 0.003 (long) to 0.0025 (short).
        let long_x: Vec<u64> = (0..1000u64).map(fmix).collect();
        let long_y: Vec<u64> = (200..1200u64).map(fmix).collect();
        let m = mean_bins_agreement(&long_x, &long_y, 300);
        assert!((m - 2.0 / 3.0).abs() < 0.012, "long sets: {m}");
        // 25 shared of 35: fewer shingles than bins, most bins from the fallback.
        let short_x: Vec<u64> = (0..30u64).map(fmix).collect();
        let short_y: Vec<u64> = (5..35u64).map(fmix).collect();
        let m = mean_bins_agreement(&short_x, &short_y, 300);
        assert!((m - 25.0 / 35.0).abs() < 0.012, "short sets: {m}");
        // Around the bin count: 150 shared of 250.
        let mid_x: Vec<u64> = (0..200u64).map(fmix).collect();
        let mid_y: Vec<u64> = (50..250u64).map(fmix).collect();
        let m = mean_bins_agreement(&mid_x, &mid_y, 300);
        assert!((m - 0.6).abs() < 0.012, "sets near the bin count: {m}");
    }

    #[test]
    fn jaccard_of_sorted_sets() {
        assert_eq!(jaccard_sorted(&[1, 2, 3], &[2, 3, 4]), 0.5);
        assert_eq!(jaccard_sorted::<u32>(&[], &[]), 1.0);
        assert_eq!(jaccard_sorted(&[1], &[2]), 0.0);
    }
}
