//! The features both the model trainer and the identifier read from text: lowercase letter runs
//! ("words") and the hashed character n-grams (1 to 5 characters) inside each word, plus hashed
//! whole words for the Malay-Indonesian specialist.
//!
//! Training (`sapu-eval`'s `train_langid`) and identification call these same functions, so the
//! model and the runtime can never disagree about what a feature is.

/// Longest character n-gram the broad model uses.
pub const MAX_ORDER: usize = 5;

const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const FNV_SEED: u64 = 0xcbf2_9ce4_8422_2325;

/// Hash state for growing an n-gram one character at a time.
#[inline]
fn push(h: u64, c: char) -> u64 {
    (h ^ c as u64).wrapping_mul(FNV_PRIME)
}

/// Final mix of a 64-bit state into the 32-bit key stored in the model.
#[inline]
pub fn finish(h: u64) -> u32 {
    let h = (h ^ (h >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    ((h ^ (h >> 29)) >> 32) as u32
}

/// The key of one n-gram given as a string (the trainer's view of a feature).
pub fn ngram_key(ngram: &str) -> u32 {
    finish(ngram.chars().fold(FNV_SEED, push))
}

/// The key of a whole word for the specialist; distinct from the n-gram with the same letters.
pub fn word_key(word: &str) -> u32 {
    finish(word.chars().fold(WORD_SEED, push))
}

const WORD_SEED: u64 = FNV_SEED ^ 0x5bd1_e995;

/// Whether a character belongs to a word: letters and combining marks (Indic vowel signs).
#[inline]
pub fn is_word_char(c: char) -> bool {
    c.is_alphabetic() || matches!(c as u32, 0x0300..=0x036F | 0x0900..=0x0DFF | 0x1000..=0x109F)
}

/// Whether a character belongs to a broad-model n-gram: letters only, as in lingua's tables
/// (which list only letters, category L). A combining mark (an Indic or Thai vowel sign, a
/// virama, an Arabic or Hebrew vowel point, a decomposed accent) ends the n-gram run like a
/// space: lingua counted only n-grams of consecutive letters, so an n-gram that spans a vowel
/// sign can never match a lingua language and would only match the UDHR-counted ones.
#[inline]
pub fn is_ngram_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        c.is_alphabetic() && !unicode_normalization::char::is_combining_mark(c)
    }
}

/// Lowercase one character (first char of its lowercase mapping; enough for n-gram features).
#[inline]
pub fn lower(c: char) -> char {
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// Call `f(order, key)` for every character n-gram (orders 1 to [`MAX_ORDER`]) inside every
/// run of letters ([`is_ngram_char`]) of `text`; returns the number of n-grams seen per order (index 0 is order 1).
///
/// Han, kana and Thai-like scripts without spaces form long words; n-grams run across them.
pub fn for_each_ngram(text: &str, mut f: impl FnMut(usize, u32)) -> [u32; MAX_ORDER] {
    for_each_ngram_flagged(text, |order, key, _| f(order, key))
}

/// [`for_each_ngram`], also telling whether the n-gram's word starts with a capital letter.
#[inline]
pub fn for_each_ngram_flagged(text: &str, f: impl FnMut(usize, u32, bool)) -> [u32; MAX_ORDER] {
    walk_ngrams::<false>(text, |_, _| {}, f)
}

/// Distinct n-grams of one or two lowercase ASCII letters: `a`..`z`, then `aa`..`zz`.
pub const ASCII_SHORT: usize = 26 + 26 * 26;

/// Index below [`ASCII_SHORT`] of the 1- or 2-gram of lowercase ASCII letters `s` (its
/// key is `ngram_key(s)`); `None` for anything else.
pub fn ascii_short_index(s: &str) -> Option<usize> {
    let letter = |b: u8| b.is_ascii_lowercase().then(|| (b - b'a') as usize);
    match *s.as_bytes() {
        [a] => letter(a),
        [a, b] => Some(26 + letter(a)? * 26 + letter(b)?),
        _ => None,
    }
}

/// The n-gram of an index of [`ascii_short_index`].
pub fn ascii_short_ngram(i: usize) -> String {
    let letter = |j: usize| (b'a' + j as u8) as char;
    if i < 26 {
        letter(i).to_string()
    } else {
        [letter((i - 26) / 26), letter((i - 26) % 26)]
            .iter()
            .collect()
    }
}

/// [`for_each_ngram_flagged`], except that the 1- and 2-grams made of ASCII letters (after
/// lowercasing) are not hashed: `short(index, capital)` gets their [`ascii_short_index`]
/// instead, so the caller can count them in a plain array. Every other n-gram goes to
/// `f(order, key, capital)`. The counts per order are the same.
#[inline]
pub fn for_each_ngram_ascii_short(
    text: &str,
    short: impl FnMut(usize, bool),
    f: impl FnMut(usize, u32, bool),
) -> [u32; MAX_ORDER] {
    walk_ngrams::<true>(text, short, f)
}

/// The one n-gram walker: with `SPLIT_SHORT` the ASCII 1- and 2-grams go to `short` (see
/// [`for_each_ngram_ascii_short`]), without it every n-gram goes to `f` hashed.
#[inline]
fn walk_ngrams<const SPLIT_SHORT: bool>(
    text: &str,
    mut short: impl FnMut(usize, bool),
    mut f: impl FnMut(usize, u32, bool),
) -> [u32; MAX_ORDER] {
    const NOT_ASCII: usize = usize::MAX;
    let mut counts = [0u32; MAX_ORDER];
    // `window[k]` holds the state of the n-gram of length k+1 ending at the current char.
    let mut window = [FNV_SEED; MAX_ORDER];
    let mut len = 0usize;
    let mut capital = false;
    let mut prev = NOT_ASCII;
    for c in text.chars() {
        if !is_ngram_char(c) {
            len = 0;
            continue;
        }
        if len == 0 {
            capital = c.is_uppercase();
        }
        let c = lower(c);
        len += 1;
        let top = len.min(MAX_ORDER);
        for k in (1..top).rev() {
            window[k] = push(window[k - 1], c);
        }
        window[0] = push(FNV_SEED, c);
        let cur = if SPLIT_SHORT && c.is_ascii_lowercase() {
            (c as u8 - b'a') as usize
        } else {
            NOT_ASCII
        };
        counts[0] += 1;
        if cur != NOT_ASCII {
            short(cur, capital);
        } else {
            f(1, finish(window[0]), capital);
        }
        if top >= 2 {
            counts[1] += 1;
            if cur != NOT_ASCII && prev != NOT_ASCII {
                short(26 + prev * 26 + cur, capital);
            } else {
                f(2, finish(window[1]), capital);
            }
        }
        for (k, state) in window.iter().enumerate().take(top).skip(2) {
            counts[k] += 1;
            f(k + 1, finish(*state), capital);
        }
        prev = cur;
    }
    counts
}

/// Call `f(word_key(word))` for every word of `text` (lowercased), without building the word:
/// the identifier's allocation-free view of [`for_each_word`].
pub fn for_each_word_key(text: &str, mut f: impl FnMut(u32)) {
    for_each_word_and_affix_key(text, |k, _| f(k), |_| {});
}

/// The key of a pair of consecutive words (given by their [`word_key`]s) for the specialist:
/// distinct from any word, affix or n-gram key. Only pairs of words that do not start with a
/// capital letter are read (names must not decide), see [`word_bigram_keys`].
#[inline]
pub fn word_bigram_key(first: u32, second: u32) -> u32 {
    let h = (u64::from(first) << 32 | u64::from(second)) ^ 0x9e37_79b9_7f4a_7c15;
    finish(h.wrapping_mul(0xff51_afd7_ed55_8ccd))
}

/// The word-pair keys ([`word_bigram_key`]) of a sequence of (word key, starts with a capital):
/// one per two consecutive words neither of which starts with a capital. The trainer's view
/// of the identifier's pass.
pub fn word_bigram_keys(words: &[(u32, bool)]) -> Vec<u32> {
    words
        .windows(2)
        .filter(|w| !w[0].1 && !w[1].1)
        .map(|w| word_bigram_key(w[0].0, w[1].0))
        .collect()
}

/// Shortest word (in characters) whose affixes the specialist reads.
pub const AFFIX_MIN_CHARS: usize = 4;

const PREFIX_SEED: u64 = FNV_SEED ^ 0x2545_f491_4f6c_dd1d;
const SUFFIX_SEED: u64 = FNV_SEED ^ 0x7f4a_7c15_9e37_79b9;

/// The keys of one word's affixes (the word lowercased, at least [`AFFIX_MIN_CHARS`]
/// characters): its first 2 and 3 characters and its last 2, 3 and 4, each kind hashed apart
/// from words and n-grams. The trainer's view of [`for_each_affix_key`].
pub fn affix_keys(word: &str) -> Vec<u32> {
    let chars: Vec<char> = word.chars().collect();
    let n = chars.len();
    if n < AFFIX_MIN_CHARS {
        return Vec::new();
    }
    let key = |seed: u64, cs: &[char]| finish(cs.iter().fold(seed, |h, &c| push(h, c)));
    let mut out = Vec::with_capacity(5);
    for k in 2..=3 {
        out.push(key(PREFIX_SEED, &chars[..k]));
    }
    for k in 2..=4 {
        out.push(key(SUFFIX_SEED, &chars[n - k..]));
    }
    out
}

/// Call `f(key)` for the affix keys ([`affix_keys`]) of every word of `text` that does not
/// start with a capital letter (names and sentence starts are left out), without building
/// the word.
pub fn for_each_affix_key(text: &str, f: impl FnMut(u32)) {
    for_each_word_and_affix_key(text, |_, _| {}, f);
}

/// [`for_each_word_key`] and [`for_each_affix_key`] in one pass over `text`: `word(key,
/// capital)` for every word (with whether it starts with a capital letter), `affix(key)` for
/// the affixes of every word that does not start with a capital.
#[inline]
pub fn for_each_word_and_affix_key(
    text: &str,
    mut word: impl FnMut(u32, bool),
    mut f: impl FnMut(u32),
) {
    let mut first = ['\0'; 3];
    let mut last = ['\0'; 4];
    let mut len = 0usize;
    let mut capital = false;
    let mut h = WORD_SEED;
    let mut emit = |first: &[char; 3], last: &[char; 4], len: usize| {
        if len < AFFIX_MIN_CHARS {
            return;
        }
        for k in 2..=3 {
            f(finish(
                first[..k].iter().fold(PREFIX_SEED, |h, &c| push(h, c)),
            ));
        }
        // `last` is a ring: the character at position i sits at `last[i % 4]`.
        for k in 2..=4 {
            let h = (len - k..len).fold(SUFFIX_SEED, |h, i| push(h, last[i % 4]));
            f(finish(h));
        }
    };
    for c in text.chars() {
        if is_word_char(c) {
            if len == 0 {
                capital = c.is_uppercase();
            }
            let l = lower(c);
            h = push(h, l);
            if len < 3 {
                first[len] = l;
            }
            last[len % 4] = l;
            len += 1;
        } else if len > 0 {
            word(finish(h), capital);
            h = WORD_SEED;
            if !capital {
                emit(&first, &last, len);
            }
            len = 0;
        }
    }
    if len > 0 {
        word(finish(h), capital);
        if !capital {
            emit(&first, &last, len);
        }
    }
}

/// Shortest and longest character n-gram of [`subword_keys`].
pub const SUBWORD_ORDERS: (usize, usize) = (3, 5);

const SUBWORD_SEED: u64 = FNV_SEED ^ 0x94d0_49bb_1331_11eb;

/// The specialist's sub-word keys of one lowercased word: the character n-grams of orders
/// `lo..=hi` of the word with a boundary mark (`^`, `$`) at each end (so `kualiti` gives
/// `^ku`, `kua`, ..., `ti$`, `^kua`, ..., `iti$`, ...), hashed apart from words, affixes and
/// the broad model's n-grams. A word shorter than `lo - 1` letters has none.
pub fn subword_keys(word: &str, lo: usize, hi: usize, mut f: impl FnMut(u32)) {
    let mut chars = [0 as char; 64];
    let mut n = 0;
    chars[0] = '^';
    for c in word.chars() {
        if n + 2 >= chars.len() {
            return; // an over-long token is not a word
        }
        n += 1;
        chars[n] = c;
    }
    n += 1;
    chars[n] = '$';
    let padded = &chars[..=n];
    for k in lo..=hi {
        for g in padded.windows(k) {
            f(finish(g.iter().fold(SUBWORD_SEED, |h, &c| push(h, c))));
        }
    }
}

/// Call `f(word, capitalised)` for every word of `text`, lowercased, with whether it started
/// with a capital letter. `buf` is scratch space.
pub fn for_each_word(text: &str, buf: &mut String, mut f: impl FnMut(&str, bool)) {
    let mut capital = false;
    buf.clear();
    for c in text.chars().chain(std::iter::once(' ')) {
        if is_word_char(c) {
            if buf.is_empty() {
                capital = c.is_uppercase();
            }
            buf.push(lower(c));
        } else if !buf.is_empty() {
            f(buf, capital);
            buf.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ngram_keys_match_the_string_view() {
        let mut seen = Vec::new();
        let counts = for_each_ngram("Ab, c", |order, key| seen.push((order, key)));
        assert_eq!(counts, [3, 1, 0, 0, 0]);
        assert_eq!(
            seen,
            vec![
                (1, ngram_key("a")),
                (1, ngram_key("b")),
                (2, ngram_key("ab")),
                (1, ngram_key("c")),
            ]
        );
    }

    #[test]
    fn ascii_short_ngrams_are_the_flagged_ngrams_by_index() {
        // ASCII, a capitalised word, accented letters (é lowercases to a non-ASCII letter,
        // the Kelvin sign to ASCII `k`), a one-letter word and a long one.
        let text = "Ab, cde \u{c9}t\u{e9} a \u{212a}elvin x-ray universitas";
        let mut want = Vec::new();
        let want_counts = for_each_ngram_flagged(text, |o, k, c| want.push((o, k, c)));
        let mut got = Vec::new();
        let mut shorts = Vec::new();
        let counts = for_each_ngram_ascii_short(
            text,
            |i, c| shorts.push((i, c)),
            |o, k, c| got.push((o, k, c)),
        );
        assert_eq!(counts, want_counts);
        assert!(shorts.len() > 40 && got.len() > 20);
        for (i, c) in shorts {
            let ngram = ascii_short_ngram(i);
            assert_eq!(ascii_short_index(&ngram), Some(i));
            got.push((ngram.chars().count(), ngram_key(&ngram), c));
        }
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(ascii_short_index("é"), None);
        assert_eq!(ascii_short_index("abc"), None);
        assert_eq!(ascii_short_index("zz"), Some(ASCII_SHORT - 1));
    }

    #[test]
    fn five_grams_slide_over_long_words() {
        let mut fives = Vec::new();
        for_each_ngram("abcdefg", |order, key| {
            if order == 5 {
                fives.push(key)
            }
        });
        assert_eq!(
            fives,
            vec![ngram_key("abcde"), ngram_key("bcdef"), ngram_key("cdefg")]
        );
    }

    #[test]
    fn ngrams_stop_at_combining_marks_like_lingua_tables() {
        // नमस्ते: न म स, virama, त, vowel sign e. Lingua lists only letter runs, so the
        // n-grams are those of "नमस" and "त"; a decomposed accent splits a Latin word too.
        let mut seen = Vec::new();
        let counts = for_each_ngram("नमस्ते", |order, key| seen.push((order, key)));
        assert_eq!(counts, [4, 2, 1, 0, 0]);
        assert!(seen.contains(&(3, ngram_key("नमस"))));
        assert!(seen.contains(&(1, ngram_key("त"))));
        assert_eq!(for_each_ngram("cafe\u{301}s", |_, _| {}), [5, 3, 2, 1, 0]);
        // Specialist words keep their marks: one word, not two.
        let mut words = 0;
        for_each_word_key("नमस्ते", |_| words += 1);
        assert_eq!(words, 1);
    }

    #[test]
    fn word_keys_match_the_word_view() {
        let text = "Kerana wang, KL. Ça-va ÉTÉ 42";
        let mut want = Vec::new();
        let mut buf = String::new();
        for_each_word(text, &mut buf, |w, _| want.push(word_key(w)));
        let mut got = Vec::new();
        for_each_word_key(text, |k| got.push(k));
        assert_eq!(want.len(), 6);
        assert_eq!(got, want);
        assert_eq!(got[0], word_key("kerana"));
        assert_eq!(got[5], word_key("été"));
    }

    #[test]
    fn affix_keys_match_the_word_view_and_skip_capitalised_words() {
        let text = "Kerajaan universiti, Jakarta di kualiti; ÉCOLE perpustakaan";
        let mut got = Vec::new();
        for_each_affix_key(text, |k| got.push(k));
        let mut want = Vec::new();
        for w in ["universiti", "kualiti", "perpustakaan"] {
            want.extend(affix_keys(w));
        }
        assert_eq!(got, want);
        assert_eq!(affix_keys("di"), Vec::<u32>::new());
        // "-ti" and "-iti" end both words; "-siti" and "-liti" and the prefixes differ.
        let (u, k) = (affix_keys("universiti"), affix_keys("kualiti"));
        assert_eq!(u.len(), 5);
        assert_eq!(u[2..4], k[2..4]);
        assert_ne!(u[4], k[4]);
        assert_ne!(u[..2], k[..2]);
        assert!(!u.contains(&word_key("iti")) && !u.contains(&ngram_key("iti")));
    }

    #[test]
    fn one_pass_gives_the_word_and_affix_keys_of_the_two_passes() {
        let text = "Kerajaan universiti, Jakarta di kualiti; ÉCOLE perpustakaan baru";
        let (mut words, mut affixes) = (Vec::new(), Vec::new());
        for_each_word_key(text, |k| words.push(k));
        for_each_affix_key(text, |k| affixes.push(k));
        let (mut w1, mut a1) = (Vec::new(), Vec::new());
        for_each_word_and_affix_key(text, |k, _| w1.push(k), |k| a1.push(k));
        assert_eq!(words.len(), 8);
        assert_eq!(affixes.len(), 20);
        assert_eq!((w1, a1), (words, affixes));
    }

    #[test]
    fn word_pairs_skip_capitalised_words() {
        let mut seq = Vec::new();
        for_each_word_and_affix_key(
            "Kerajaan akan membantu Ahmad bin Ali hari ini",
            |k, c| seq.push((k, c)),
            |_| {},
        );
        let pairs = word_bigram_keys(&seq);
        let key = |a: &str, b: &str| word_bigram_key(word_key(a), word_key(b));
        // Kerajaan-akan, membantu-Ahmad, Ahmad-bin, bin-Ali, Ali-hari are left out.
        assert_eq!(pairs, vec![key("akan", "membantu"), key("hari", "ini")]);
        assert_ne!(key("hari", "ini"), key("ini", "hari"));
        assert_ne!(key("hari", "ini"), word_key("hari ini"));
    }

    #[test]
    fn subword_keys_are_the_marked_ngrams_of_the_word() {
        let keys = |w: &str, lo, hi| {
            let mut v = Vec::new();
            subword_keys(w, lo, hi, |k| v.push(k));
            v
        };
        // "kualiti" padded is 9 characters: 7 trigrams, 6 four-grams, 5 five-grams.
        assert_eq!(keys("kualiti", 3, 5).len(), 7 + 6 + 5);
        // The marked ending "iti$" is shared with "universiti", not with "kualitas".
        let end = *keys("kualiti", 4, 4).last().unwrap();
        assert!(keys("universiti", 4, 4).contains(&end));
        assert!(!keys("kualitas", 4, 4).contains(&end));
        // The same letters inside a word share a key; marked at a start ("^iti") they do not.
        assert_eq!(keys("iti", 3, 3)[1], keys("kualiti", 3, 3)[5]);
        assert!(!keys("kualiti", 3, 5).contains(&keys("iti", 4, 4)[0]));
        assert_eq!(keys("iti", 3, 3).len(), 3);
        assert!(keys("a", 4, 5).is_empty());
    }

    #[test]
    fn words_are_lowercased_with_their_capital_flag() {
        let mut words = Vec::new();
        let mut buf = String::new();
        for_each_word("Kerana wang, KL.", &mut buf, |w, cap| {
            words.push((w.to_string(), cap))
        });
        let want = [("kerana", true), ("wang", false), ("kl", true)];
        assert_eq!(words, want.map(|(w, c)| (w.to_string(), c)).to_vec());
    }
}
