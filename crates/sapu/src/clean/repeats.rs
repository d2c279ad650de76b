//! Repeated blocks: scrapers often emit an article body twice (the whole body, the body from its
//! second paragraph, or its second half). The first copy is kept and the repeat dropped, where
//! datatrove-style pipelines drop the whole page and cc_net-style line dedup drops both copies.
//!
//! A line whose letters and digits (lowercased; spaces, punctuation and quotes ignored) equal
//! an earlier line's seeds a match; the match grows forward and backward while the lines pair
//! up with the earlier copy exactly or nearly (one changed, added or dropped word per ten).
//! Candidates are found by a hash of each line's first letters and digits, so a paragraph is
//! read in full only when it may pair with another. The run is a block when it has `min_lines` lines, `min_words` words and at least
//! `min_mean_words` words per line, or is one line of at least `long_line_words` words. A lone
//! repeated short line (a refrain, a caption) is not a block, nor are the rows a table repeats
//! for each day or model (short lines: "10 am", "Exhibition", "Rear brake").

use std::collections::HashMap;

/// A seed line needs this many letters and digits: short lines ("Foto: AP") never start a
/// block, though they may sit inside one.
const MIN_SEED_CHARS: usize = 20;

/// What makes a repeated run a block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockRules {
    /// Fewest lines in a block.
    pub min_lines: usize,
    /// Fewest words in a block.
    pub min_words: usize,
    /// Fewest words per line, on average, in a block of several lines.
    pub min_mean_words: usize,
    /// A single repeated line of at least this many words is a block (0: never).
    pub long_line_words: usize,
    /// Whether lines that differ by a word or so still pair up.
    pub near: bool,
}

/// Mark the lines of later copies of repeated blocks. `removed` lines are ignored (they were
/// chrome, so a body repeated with its ads still pairs up); returns the number marked.
pub(crate) fn mark<T: Copy>(
    lines: &[&str],
    removed: &mut [Option<T>],
    rules: &BlockRules,
    mark: T,
) -> usize {
    let idx: Vec<usize> = (0..lines.len())
        .filter(|&i| removed[i].is_none() && !lines[i].is_empty())
        .collect();
    let n = idx.len();
    if n < 2 {
        return 0;
    }
    let keys: Vec<(u64, usize)> = idx.iter().map(|&i| key(lines[i])).collect();
    let mut first: HashMap<u64, usize> = HashMap::with_capacity(n);
    let same = |a: usize, b: usize| {
        let (x, y) = (lines[idx[a]], lines[idx[b]]);
        x == y
            || (keys[a] == keys[b] && Alnum::new(x).eq(Alnum::new(y)))
            || (rules.near && near(x, y))
    };
    let mut drop = vec![false; n];
    let mut floor = 0; // lines before this belong to a block already handled
    let mut j = 0;
    while j < n {
        let seed = keys[j].1 >= MIN_SEED_CHARS;
        let earlier = first.get(&keys[j].0).copied();
        first.entry(keys[j].0).or_insert(j);
        let Some(i) = earlier.filter(|&i| seed && same(i, j)) else {
            j += 1;
            continue;
        };
        let mut fwd = 1;
        while j + fwd < n && i + fwd < j && same(i + fwd, j + fwd) {
            fwd += 1;
        }
        let mut back = 0;
        while i > back && j - back > floor.max(i + fwd) && same(i - back - 1, j - back - 1) {
            back += 1;
        }
        let (start, len) = (j - back, back + fwd);
        if is_block(lines, &idx[start..start + len], rules) {
            for d in &mut drop[start..start + len] {
                *d = true;
            }
            // later lines of the copy may seed again; their keys are known already
            for (k, key) in keys.iter().enumerate().take(start + len).skip(j + 1) {
                first.entry(key.0).or_insert(k);
            }
            floor = start + len;
            j = start + len;
        } else {
            j += 1;
        }
    }
    let mut count = 0;
    for (k, &i) in idx.iter().enumerate() {
        if drop[k] {
            removed[i] = Some(mark);
            count += 1;
        }
    }
    count
}

fn is_block(lines: &[&str], run: &[usize], rules: &BlockRules) -> bool {
    let words: usize = run
        .iter()
        .map(|&i| lines[i].split_whitespace().count())
        .sum();
    (run.len() >= rules.min_lines.max(1)
        && words >= rules.min_words
        && words >= rules.min_mean_words * run.len())
        || (run.len() == 1 && rules.long_line_words > 0 && words >= rules.long_line_words)
}

/// Letters and digits hashed into a line's key.
const KEY_CHARS: usize = 32;

/// A line's key: a hash of its first `KEY_CHARS` letters and digits (bytes of [`Alnum`]), and
/// how many were hashed. Equal lines have equal keys; equal keys are checked in full.
pub(crate) fn key(line: &str) -> (u64, usize) {
    let mut hasher = Packer::default();
    for c in Alnum::new(line).take(KEY_CHARS) {
        hasher.push(c);
    }
    hasher.finish()
}

/// The bytes of a line that identify it: ASCII letters and digits lowercased and non-ASCII
/// characters, without spaces, ASCII punctuation, no-break spaces, guillemets and the General
/// Punctuation block (curly quotes, dashes, ellipsis).
struct Alnum<'a> {
    bytes: &'a [u8],
    at: usize,
    pending: &'a [u8],
}

impl<'a> Alnum<'a> {
    fn new(line: &'a str) -> Self {
        Alnum {
            bytes: line.as_bytes(),
            at: 0,
            pending: &[],
        }
    }
}

impl Iterator for Alnum<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        loop {
            if let Some((&first, rest)) = self.pending.split_first() {
                self.pending = rest;
                return Some(first);
            }
            let b = self.bytes;
            let c = *b.get(self.at)?;
            if c < 0x80 {
                self.at += 1;
                if c.is_ascii_alphanumeric() {
                    return Some(c.to_ascii_lowercase());
                }
                continue;
            }
            let len = match c {
                0xf0..=0xff => 4,
                0xe0..=0xef => 3,
                _ => 2,
            };
            let end = (self.at + len).min(b.len());
            let skip = (c == 0xc2 && matches!(b.get(self.at + 1), Some(0xa0 | 0xab | 0xbb)))
                || (c == 0xe2 && matches!(b.get(self.at + 1), Some(0x80 | 0x81)));
            if !skip {
                self.pending = &b[self.at..end];
            }
            self.at = end;
        }
    }
}

/// Packs bytes into 64-bit words and mixes each full word into the hash.
#[derive(Default)]
struct Packer {
    h: u64,
    word: u64,
    len: usize,
}

impl Packer {
    #[inline]
    fn push(&mut self, byte: u8) {
        self.word = (self.word << 8) | u64::from(byte);
        self.len += 1;
        if self.len & 7 == 0 {
            self.h = mix(self.h ^ self.word);
            self.word = 0;
        }
    }

    fn finish(self) -> (u64, usize) {
        (
            mix(self.h ^ self.word ^ ((self.len as u64) << 56)),
            self.len,
        )
    }
}

#[inline]
fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x.rotate_left(27).wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

/// Whether two lines are the same but for a word or so per ten: the words (letters and digits,
/// case ignored) agree except for a middle stretch of at most `max(1, words / 10)` words on
/// each side. Lines under four words must match exactly (their keys do that).
pub(crate) fn near(a: &str, b: &str) -> bool {
    let wa: Vec<&str> = words(a).collect();
    let wb: Vec<&str> = words(b).collect();
    let shorter = wa.len().min(wb.len());
    if shorter < 4 {
        return false;
    }
    let eq = |x: &str, y: &str| x.to_lowercase() == y.to_lowercase();
    let prefix = wa.iter().zip(&wb).take_while(|(x, y)| eq(x, y)).count();
    let suffix = wa[prefix..]
        .iter()
        .rev()
        .zip(wb[prefix..].iter().rev())
        .take_while(|(x, y)| eq(x, y))
        .count();
    let allowed = (shorter / 10).max(1);
    wa.len() - prefix - suffix <= allowed && wb.len() - prefix - suffix <= allowed
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: BlockRules = BlockRules {
        min_lines: 2,
        min_words: 12,
        min_mean_words: 8,
        long_line_words: 40,
        near: true,
    };

    fn run(lines: &[&str]) -> Vec<usize> {
        let mut removed: Vec<Option<()>> = vec![None; lines.len()];
        mark(lines, &mut removed, &RULES, ());
        (0..lines.len()).filter(|&i| removed[i].is_some()).collect()
    }

    const P: [&str; 5] = [
        "Presiden menegaskan pentingnya pengendalian inflasi dalam menjaga stabilitas ekonomi.",
        "Menurut dia, capaian ini menjadi salah satu terendah di antara negara G20 tahun ini.",
        "Menteri Dalam Negeri mengungkapkan mandat langsung dari Presiden untuk daerah.",
        "Tim pengendali inflasi daerah dibentuk sejak September 2022 di seluruh provinsi.",
        "Kebijakan itu akan terus dievaluasi setiap bulan oleh pemerintah pusat dan daerah.",
    ];

    #[test]
    fn drops_a_full_repeat() {
        let lines = [P[0], P[1], P[2], P[3], P[0], P[1], P[2], P[3]];
        assert_eq!(run(&lines), [4, 5, 6, 7]);
    }

    #[test]
    fn drops_a_repeat_from_the_second_paragraph() {
        let lines = ["Judul", P[0], P[1], P[2], P[3], P[1], P[2], P[3]];
        assert_eq!(run(&lines), [5, 6, 7]);
    }

    #[test]
    fn drops_a_repeated_tail_and_keeps_what_follows() {
        let lines = [
            P[0],
            P[1],
            P[2],
            P[3],
            P[4],
            P[3],
            P[4],
            "Penutup yang hanya muncul sekali di akhir.",
        ];
        assert_eq!(run(&lines), [5, 6]);
    }

    #[test]
    fn pairs_near_exact_lines() {
        let changed =
            "Presiden menegaskan pentingnya pengendalian harga dalam menjaga stabilitas ekonomi.";
        let spaced = " Menurut dia , capaian ini menjadi salah satu terendah di antara negara G20 tahun ini ";
        let lines = [P[0], P[1], P[2], changed, spaced, P[2]];
        assert_eq!(run(&lines), [3, 4, 5]);
    }

    #[test]
    fn english_and_german_blocks() {
        let en = [
            "The council approved the budget after a long debate on Tuesday night.",
            "Critics said the plan ignores the needs of rural districts entirely.",
        ];
        let de = [
            "Der Stadtrat hat den Haushalt nach langer Debatte am Dienstag beschlossen.",
            "Kritiker sagen, der Plan übersehe die Bedürfnisse ländlicher Bezirke.",
        ];
        assert_eq!(run(&[en[0], en[1], en[0], en[1]]), [2, 3]);
        assert_eq!(
            run(&[
                de[0],
                de[1],
                "Zwischenzeile ohne Wiederholung.",
                de[0],
                de[1]
            ]),
            [3, 4]
        );
    }

    #[test]
    fn keeps_lone_repeated_lines_and_refrains() {
        let refrain = "Oh oh oh, malam ini kita menari";
        let lines = [
            P[0], refrain, P[1], refrain, P[2], "Foto: AP", P[3], "Foto: AP",
        ];
        assert_eq!(run(&lines), Vec::<usize>::new());
        // a two-line chorus is a run but under min_words
        let chorus = ["La la la", "Na na na"];
        assert_eq!(
            run(&[chorus[0], chorus[1], P[0], chorus[0], chorus[1]]),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn keeps_table_rows_repeated_per_day_or_model() {
        let day = [
            "10 am",
            "Exhibition",
            "11 am – 2 pm",
            "Daily Trivia & Augmented Reality Game",
            "3 pm",
            "Trial Bike Showcase",
        ];
        let mut lines = vec!["15/10/2011", "Saturday"];
        lines.extend(day);
        lines.extend(["16/10/2011", "Sunday"]);
        lines.extend(day);
        assert_eq!(run(&lines), Vec::<usize>::new());
    }

    #[test]
    fn a_single_long_paragraph_repeated_is_a_block() {
        let long = P.join(" ");
        assert_eq!(run(&[&long, &long]), [1]);
        assert_eq!(run(&[P[0], P[0]]), Vec::<usize>::new());
    }

    #[test]
    fn near_tolerates_one_word_per_ten() {
        assert!(near(
            "satu dua tiga empat lima",
            "satu dua TIGA empat lima!"
        ));
        assert!(near(
            "satu dua tiga empat lima",
            "satu dua delapan empat lima"
        ));
        assert!(!near(
            "satu dua tiga empat lima",
            "satu sembilan delapan empat lima"
        ));
        assert!(!near("satu dua tiga", "satu dua empat"));
    }

    #[test]
    fn lines_sharing_a_key_prefix_are_checked_in_full() {
        let a = "Presiden menegaskan pentingnya pengendalian inflasi dalam menjaga stabilitas.";
        let b = "Presiden menegaskan pentingnya pengendalian harga pangan di seluruh daerah kita.";
        assert_eq!(key(a), key(b));
        let lines = [a, P[1], P[2], b, P[1]];
        // b shares a's key prefix but is a different line: no seed there; P[1] alone is no block
        assert_eq!(run(&lines), Vec::<usize>::new());
    }

    #[test]
    fn key_ignores_space_case_and_punctuation() {
        assert_eq!(
            key("“ Betul, saya ” kata dia.").0,
            key("\"Betul saya\" Kata dia").0
        );
        assert_ne!(key("kata dia").0, key("kata kami").0);
        assert_eq!(key("Été 2023").1, 9);
    }
}
