//! Repeated blocks: scrapers often emit an article body twice (the whole body, the body from its
//! second paragraph, or its second half). The first copy is kept and the repeat dropped, where
//! datatrove-style pipelines drop the whole page and cc_net-style line dedup drops both copies.
//!
//! A line whose key (its letters and digits, lowercased; spaces, punctuation and quotes
//! ignored) was seen earlier seeds a match; the match grows forward and backward while the
//! lines pair up with the earlier copy exactly or nearly (one changed, added or dropped word per
//! ten). The run is a block when it has `min_lines` lines and `min_words` words, or is one line
//! of at least `long_line_words` words. A lone repeated short line (a refrain, a caption) is not.

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
        keys[a].0 == keys[b].0 || (rules.near && near(lines[idx[a]], lines[idx[b]]))
    };
    let mut drop = vec![false; n];
    let mut floor = 0; // lines before this belong to a block already handled
    let mut j = 0;
    while j < n {
        let seed = keys[j].1 >= MIN_SEED_CHARS;
        let earlier = first.get(&keys[j].0).copied();
        first.entry(keys[j].0).or_insert(j);
        let Some(i) = earlier.filter(|_| seed) else {
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
    (run.len() >= rules.min_lines.max(1) && words >= rules.min_words)
        || (run.len() == 1 && rules.long_line_words > 0 && words >= rules.long_line_words)
}

/// A line's key: FNV-1a over its ASCII letters and digits lowercased and its non-ASCII
/// characters, skipping spaces, ASCII punctuation, no-break spaces, guillemets and the General
/// Punctuation block (curly quotes, dashes); with the number of bytes hashed.
pub(crate) fn key(line: &str) -> (u64, usize) {
    let b = line.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            i += 1;
            if !c.is_ascii_alphanumeric() {
                continue;
            }
            h = (h ^ u64::from(c.to_ascii_lowercase())).wrapping_mul(0x100_0000_01b3);
            n += 1;
            continue;
        }
        let len = match c {
            0xf0..=0xff => 4,
            0xe0..=0xef => 3,
            _ => 2,
        };
        let end = (i + len).min(b.len());
        let skip = (c == 0xc2 && matches!(b.get(i + 1), Some(0xa0 | 0xab | 0xbb)))
            || (c == 0xe2 && matches!(b.get(i + 1), Some(0x80 | 0x81)));
        if !skip {
            for &x in &b[i..end] {
                h = (h ^ u64::from(x)).wrapping_mul(0x100_0000_01b3);
            }
            n += 1;
        }
        i = end;
    }
    (h, n)
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
    fn key_ignores_space_case_and_punctuation() {
        assert_eq!(
            key("“ Betul, saya ” kata dia.").0,
            key("\"Betul saya\" Kata dia").0
        );
        assert_ne!(key("kata dia").0, key("kata kami").0);
        assert_eq!(key("Été 2023").1, 7);
    }
}
