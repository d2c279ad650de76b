//! LSH banding: a signature of `bands x rows` values is cut into bands, each band hashed to one
//! 64-bit key; two documents are candidates when any band key matches.
//!
//! The index holds only band keys, `bands` `u64`s per document, in fixed-size chunks (no
//! doubling slack), so its memory is `8 x bands` bytes per document whatever the text size.
//! Grouping sorts `(key, document)` pairs one band at a time (16 bytes per document,
//! transient), so runs of equal keys come out in document order and the result does not
//! depend on the thread count.

use rayon::prelude::*;

/// Documents per storage chunk.
const CHUNK_DOCS: usize = 1 << 16;

/// Band keys of every document pushed so far.
#[derive(Debug)]
pub struct LshIndex {
    bands: usize,
    rows: usize,
    chunks: Vec<Vec<u64>>,
    len: usize,
}

impl LshIndex {
    /// An empty index for signatures of `bands x rows` values.
    pub fn new(bands: usize, rows: usize) -> Self {
        LshIndex {
            bands: bands.max(1),
            rows: rows.max(1),
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// Documents indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no document was indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The band keys of a signature (its first `bands x rows` values), into `out`.
    pub fn band_keys(&self, sig: &[u64], out: &mut Vec<u64>) {
        out.clear();
        for (band, rows) in sig.chunks_exact(self.rows).take(self.bands).enumerate() {
            let mut h = (band as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD6E8_FEB8_6659_FD93;
            for &v in rows {
                h = (h ^ v).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                h ^= h >> 29;
            }
            out.push(h ^ (h >> 32));
        }
    }

    /// Band keys for a document that must never be a candidate (no shingles): distinct for
    /// every document (a collision with a real key has probability about 2^-64).
    pub fn unique_keys(&self, doc: usize, out: &mut Vec<u64>) {
        out.clear();
        let mut state = (doc as u64) ^ 0xA076_1D64_78BD_642F;
        for _ in 0..self.bands {
            out.push(super::signature::splitmix64(&mut state));
        }
    }

    /// Append one document's band keys (as computed by [`LshIndex::band_keys`]).
    ///
    /// # Panics
    /// If `keys` does not hold exactly one key per band.
    pub fn push(&mut self, keys: &[u64]) {
        assert_eq!(keys.len(), self.bands, "one key per band");
        if self
            .chunks
            .last()
            .is_none_or(|c| c.len() == CHUNK_DOCS * self.bands)
        {
            self.chunks
                .push(Vec::with_capacity(CHUNK_DOCS * self.bands));
        }
        self.chunks.last_mut().unwrap().extend_from_slice(keys);
        self.len += 1;
    }

    /// Key of document `doc` in `band`.
    fn key(&self, doc: usize, band: usize) -> u64 {
        self.chunks[doc / CHUNK_DOCS][(doc % CHUNK_DOCS) * self.bands + band]
    }

    /// The documents sharing a key in `band`, as groups of two or more in ascending document
    /// order, the groups ordered by key.
    pub fn groups(&self, band: usize) -> Vec<Vec<u32>> {
        let mut pairs: Vec<(u64, u32)> = (0..self.len)
            .into_par_iter()
            .map(|d| (self.key(d, band), d as u32))
            .collect();
        pairs.par_sort_unstable();
        let mut out = Vec::new();
        let mut i = 0;
        while i < pairs.len() {
            let mut j = i + 1;
            while j < pairs.len() && pairs[j].0 == pairs[i].0 {
                j += 1;
            }
            if j - i >= 2 {
                out.push(pairs[i..j].iter().map(|p| p.1).collect());
            }
            i = j;
        }
        out
    }

    /// Bytes held by the key storage.
    pub fn memory_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.capacity() * 8).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_sharing_one_band_are_grouped() {
        let mut idx = LshIndex::new(3, 2);
        let mut keys = Vec::new();
        let sigs: [[u64; 6]; 4] = [
            [1, 2, 3, 4, 5, 6],
            [9, 9, 3, 4, 9, 9], // shares band 1 with doc 0
            [1, 2, 8, 8, 8, 8], // shares band 0 with doc 0
            [7, 7, 7, 7, 7, 7],
        ];
        for s in &sigs {
            idx.band_keys(s, &mut keys);
            idx.push(&keys);
        }
        assert_eq!(idx.groups(0), vec![vec![0, 2]]);
        assert_eq!(idx.groups(1), vec![vec![0, 1]]);
        assert_eq!(idx.groups(2), Vec::<Vec<u32>>::new());
    }

    #[test]
    fn same_rows_in_different_bands_give_different_keys() {
        let idx = LshIndex::new(2, 2);
        let mut keys = Vec::new();
        idx.band_keys(&[5, 5, 5, 5], &mut keys);
        assert_ne!(keys[0], keys[1]);
        idx.unique_keys(3, &mut keys);
        let mut other = Vec::new();
        idx.unique_keys(4, &mut other);
        assert_ne!(keys, other);
    }
}
