//! Text primitives shared by clean, filters and dedup: one implementation each, tested once.

pub mod chars;
pub mod normalize;
#[rustfmt::skip]
mod tables;
pub mod word_cache;
pub mod words;

/// Lines of a text split on `\n` only (never on U+2028 or U+0085, which real text contains),
/// with a trailing `\r` removed from each.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// Lines as Python's `str.splitlines()` gives them (datatrove's Gopher and C4 filters use it):
/// split on `\n`, `\r`, `\r\n`, `\x0b`, `\x0c`, `\x1c`-`\x1e`, U+0085, U+2028 and U+2029; no
/// trailing empty line.
pub fn python_lines(text: &str) -> PythonLines<'_> {
    PythonLines { rest: text }
}

/// Bytes that are, or start, a line separator of [`python_lines`].
static MAY_END_LINE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b, 0x0a..=0x0d | 0x1c..=0x1e | 0xc2 | 0xe2);
        b += 1;
    }
    t
};

/// The byte range of `piece`, a slice of `text`, within `text`.
#[inline]
pub(crate) fn range_in(text: &str, piece: &str) -> std::ops::Range<usize> {
    let start = piece.as_ptr() as usize - text.as_ptr() as usize;
    debug_assert!(start + piece.len() <= text.len(), "not a slice of the text");
    start..start + piece.len()
}

/// The first sixteen bytes of `block` in a vector register, without `unsafe` (two 8-byte
/// copies, which the compiler turns into one unaligned load).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
pub(crate) fn load16(block: &[u8]) -> std::arch::x86_64::__m128i {
    let half = |k: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&block[k..k + 8]);
        i64::from_le_bytes(a)
    };
    std::arch::x86_64::_mm_set_epi64x(half(8), half(0))
}

/// The bytes of `v` in `lo..=hi` (an ASCII range) as 0xff, the others as 0. The compares are
/// signed: a byte from 0x80 up is negative, so never in the range.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
pub(crate) fn ascii_range16(
    v: std::arch::x86_64::__m128i,
    lo: u8,
    hi: u8,
) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::*;
    debug_assert!(lo >= 1 && hi < 0x7f);
    _mm_and_si128(
        _mm_cmpgt_epi8(v, _mm_set1_epi8((lo - 1) as i8)),
        _mm_cmplt_epi8(v, _mm_set1_epi8((hi + 1) as i8)),
    )
}

/// One bit per byte of `block` (sixteen bytes) for which [`MAY_END_LINE`] holds.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn may_end_line16(block: &[u8]) -> u32 {
    use std::arch::x86_64::*;
    let v = load16(block);
    let splat = |b: u8| _mm_set1_epi8(b as i8);
    let m = _mm_or_si128(
        _mm_or_si128(ascii_range16(v, 0x0a, 0x0d), ascii_range16(v, 0x1c, 0x1e)),
        _mm_or_si128(
            _mm_cmpeq_epi8(v, splat(0xc2)),
            _mm_cmpeq_epi8(v, splat(0xe2)),
        ),
    );
    _mm_movemask_epi8(m) as u32
}

/// Iterator of [`python_lines`].
pub struct PythonLines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for PythonLines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let bytes = self.rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // Sixteen bytes at a time: straight to the first byte that may start a separator.
            #[cfg(target_arch = "x86_64")]
            if let Some(block) = bytes.get(i..i + 16) {
                // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline).
                let m = unsafe { may_end_line16(block) };
                if m == 0 {
                    i += 16;
                    continue;
                }
                i += m.trailing_zeros() as usize;
            }
            // Eight bytes at a time while none is a control character or non-ASCII (every
            // separator is one of those).
            #[cfg(not(target_arch = "x86_64"))]
            if let Some(w) = bytes.get(i..i + 8) {
                let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
                let control = x.wrapping_sub(0x2020_2020_2020_2020) & !x;
                if (control | x) & 0x8080_8080_8080_8080 == 0 {
                    i += 8;
                    continue;
                }
            }
            let b = bytes[i];
            if !MAY_END_LINE[usize::from(b)] {
                i += 1;
                continue;
            }
            let sep_len = match b {
                b'\n' | 0x0b | 0x0c | 0x1c..=0x1e => 1,
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    }
                }
                0xC2 if bytes.get(i + 1) == Some(&0x85) => 2,
                0xE2 if bytes.get(i + 1) == Some(&0x80)
                    && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
                {
                    3
                }
                _ => 0,
            };
            if sep_len > 0 {
                let line = &self.rest[..i];
                self.rest = &self.rest[i + sep_len..];
                return Some(line);
            }
            i += 1;
        }
        let line = self.rest;
        self.rest = "";
        Some(line)
    }
}

/// Whether `b` is an ASCII byte that is not whitespace (nor another byte below `!`): a string
/// starting (ending) with one has nothing to strip at that end.
#[inline]
fn ascii_solid(b: Option<&u8>) -> bool {
    b.is_some_and(|&b| (b'!'..0x80).contains(&b))
}

/// Python's `str.strip()`: trim characters for which `str.isspace` holds.
pub fn py_strip(s: &str) -> &str {
    let b = s.as_bytes();
    if ascii_solid(b.first()) && ascii_solid(b.last()) {
        return s;
    }
    s.trim_matches(chars::is_space)
}

/// Python's `str.lstrip()`.
pub fn py_lstrip(s: &str) -> &str {
    if ascii_solid(s.as_bytes().first()) {
        return s;
    }
    s.trim_start_matches(chars::is_space)
}

/// Python's `str.rstrip()`.
pub fn py_rstrip(s: &str) -> &str {
    if ascii_solid(s.as_bytes().last()) {
        return s;
    }
    s.trim_end_matches(chars::is_space)
}

/// Length in characters (Python's `len` of a `str`), fast for ASCII.
pub fn char_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

/// Offset of the first byte from `from` on that is not ASCII (`bytes.len()` if none): sixteen
/// bytes per step, for walking a text's words in order and knowing which are ASCII.
pub fn next_non_ascii(bytes: &[u8], from: usize) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |c: &[u8]| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    let mut i = from;
    while let Some(c) = bytes.get(i..i + 16) {
        if (word(&c[..8]) | word(&c[8..])) & HIGH != 0 {
            break;
        }
        i += 16;
    }
    bytes
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b >= 0x80))
        .map_or(bytes.len(), |p| i + p)
}

/// Non-overlapping occurrences of `needle` in `haystack` (Python's `str.count`).
pub fn count_occurrences(haystack: &str, needle: &str) -> usize {
    memchr::memmem::find_iter(haystack.as_bytes(), needle.as_bytes()).count()
}

/// [`count_occurrences`] with a searcher built once (`finder`), for a needle searched in every
/// document: building the searcher costs more than searching most documents.
pub fn count_found(haystack: &str, finder: &memchr::memmem::Finder<'_>) -> usize {
    finder.find_iter(haystack.as_bytes()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_lines_split_like_splitlines() {
        let got: Vec<_> = python_lines("a\r\nb\rc\u{2028}d\u{85}e\n\nf\n").collect();
        assert_eq!(got, ["a", "b", "c", "d", "e", "", "f"]);
        assert_eq!(python_lines("").count(), 0);
        assert_eq!(python_lines("x").collect::<Vec<_>>(), ["x"]);
        // separators inside and after runs of eight plain bytes
        let got: Vec<_> =
            python_lines("abcdefghij\x0bklmnopqrs\x1dtuvwxyz0123\u{2029}end").collect();
        assert_eq!(got, ["abcdefghij", "klmnopqrs", "tuvwxyz0123", "end"]);
        let got: Vec<_> = python_lines("abcdefgh\tijklmnop\u{e9}qrstuvwx\n").collect();
        assert_eq!(got, ["abcdefgh\tijklmnop\u{e9}qrstuvwx"]);
    }

    /// `str.splitlines()` character by character.
    fn splitlines_plain(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let (mut start, mut skip_lf) = (0, false);
        for (i, c) in text.char_indices() {
            if skip_lf {
                skip_lf = false;
                if c == '\n' {
                    start = i + 1;
                    continue;
                }
            }
            if matches!(
                c,
                '\n' | '\r' | '\x0b' | '\x0c' | '\x1c'
                    ..='\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}'
            ) {
                out.push(&text[start..i]);
                start = i + c.len_utf8();
                skip_lf = c == '\r';
            }
        }
        if start < text.len() {
            out.push(&text[start..]);
        }
        out
    }

    #[test]
    fn python_lines_agree_with_a_character_by_character_split() {
        let pieces = [
            "plain ascii words ",
            "\r\n",
            "\r",
            "\n\n",
            "\x0b\x0c\x1c\x1d\x1e\x1f\t",
            "\u{85}\u{2028}\u{2029}",
            "curly ’quotes” — dash ¢ ¬ \u{a0} \u{2027}\u{202a}",
            "é日本",
            "0123456789abcdef0123456789",
        ];
        // every sequence of three pieces, at every offset into a longer prefix
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for pre in 0..18 {
                        let text = format!("{}{a}{b}{c}", &"x".repeat(17)[..pre]);
                        let got: Vec<&str> = python_lines(&text).collect();
                        assert_eq!(got, splitlines_plain(&text), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn strips_like_trimming_every_python_space() {
        let ends = [
            "", " ", "\t", "\x1f", "\x01", "\x7f", "!", "a", "\u{a0}", "\u{3000}", "é", "\u{85}",
        ];
        for a in ends {
            for b in ends {
                for mid in ["", "x", " x y ", "\u{2028}"] {
                    let s = format!("{a}{mid}{b}");
                    assert_eq!(py_strip(&s), s.trim_matches(chars::is_space), "{s:?}");
                    assert_eq!(
                        py_lstrip(&s),
                        s.trim_start_matches(chars::is_space),
                        "{s:?}"
                    );
                    assert_eq!(py_rstrip(&s), s.trim_end_matches(chars::is_space), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn strips_and_counts_like_python() {
        assert_eq!(py_strip("\u{a0} a b\u{3000}\n"), "a b");
        assert_eq!(py_lstrip("  - x "), "- x ");
        assert_eq!(py_rstrip(" x... \t"), " x...");
        assert_eq!(char_len("héllo"), 5);
        assert_eq!(count_occurrences(".....", "..."), 1);
        assert_eq!(count_occurrences("......", "..."), 2);
        assert_eq!(count_occurrences("a…b…", "…"), 2);
    }

    #[test]
    fn lines_split_on_newline_only() {
        let got: Vec<_> = lines("a\r\nb\u{2028}c\n").collect();
        assert_eq!(got, ["a", "b\u{2028}c", ""]);
    }
}
