//! Text normalisation before hashing, as datatrove's `simplify_text` does it: lowercase, numbers
//! to `0`, punctuation to a space, whitespace collapsed, diacritics stripped.
//!
//! Used by the dedup stages so that two copies differing only in case, punctuation, numbers or
//! accents hash alike. Each step is a switch ([`Normalization`]); all are on by default.
//! Differences from datatrove (`utils/text.py`): "punctuation" is every character that is not
//! alphanumeric, whitespace or a combining mark (datatrove uses a fixed list of about 900
//! characters, nearly the same set), and the steps run in one pass over the characters.
//!
//! ```
//! use sapu::text::normalize::{normalize, Normalization};
//! let n = Normalization::default();
//! assert_eq!(normalize("Harga  naik 3,5%\tdi Café!", &n), "harga naik 0 0 di cafe");
//! ```

use serde::{Deserialize, Serialize};
use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// Which normalisation steps to apply (a recipe table; every step on by default, as in
/// datatrove's `TextNormConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Normalization {
    /// Lowercase every character (Unicode lowercase mapping). Default true.
    pub lowercase: bool,
    /// Replace every number (digits, optionally with a `.digits` decimal part) by `0`.
    /// Default true.
    pub numbers_to_zero: bool,
    /// Replace punctuation and symbols (any character that is not alphanumeric, whitespace or
    /// a combining mark) by a space. Default true.
    pub punctuation_to_space: bool,
    /// Collapse runs of whitespace into one space and trim both ends. Default true.
    pub collapse_whitespace: bool,
    /// Strip diacritics: decompose (NFD) and drop combining marks (`é` -> `e`). Default true.
    pub strip_diacritics: bool,
}

impl Default for Normalization {
    fn default() -> Self {
        Normalization {
            lowercase: true,
            numbers_to_zero: true,
            punctuation_to_space: true,
            collapse_whitespace: true,
            strip_diacritics: true,
        }
    }
}

impl Normalization {
    /// No step at all: the text hashes as it is.
    pub const NONE: Normalization = Normalization {
        lowercase: false,
        numbers_to_zero: false,
        punctuation_to_space: false,
        collapse_whitespace: false,
        strip_diacritics: false,
    };
}

/// The normalised form of `text`.
pub fn normalize(text: &str, n: &Normalization) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, n, &mut out);
    out
}

/// Write the normalised form of `text` into `out` (cleared first), reusing its allocation.
pub fn normalize_into(text: &str, n: &Normalization, out: &mut String) {
    out.clear();
    let bytes = text.as_bytes();
    // Whether a collapsed space is owed before the next visible character, and whether
    // nothing visible was written yet (no leading space).
    let mut pending = false;
    let mut start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // A run of ASCII letters (most of most web text): copied as one slice, the same as
        // pushing its letters one by one.
        if b.is_ascii_alphabetic() {
            let run = bytes[i..]
                .iter()
                .position(|b| !b.is_ascii_alphabetic())
                .map_or(bytes.len(), |k| i + k);
            owed_space(out, n, &mut pending, &mut start);
            let from = out.len();
            out.push_str(&text[i..run]);
            if n.lowercase {
                out[from..].make_ascii_lowercase();
            }
            i = run;
            continue;
        }
        if b == b' ' && n.collapse_whitespace {
            pending = true;
            i += 1;
            continue;
        }
        let (c, len) = if b < 0x80 {
            (b as char, 1)
        } else {
            let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
            (c, c.len_utf8())
        };
        if n.numbers_to_zero && c.is_numeric() {
            i = number_end(text, i);
            push(out, '0', n, &mut pending, &mut start);
            continue;
        }
        i += len;
        if len == 1 || !n.strip_diacritics {
            push_one(out, c, n, &mut pending, &mut start);
        } else {
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    push_one(out, d, n, &mut pending, &mut start);
                }
            });
        }
    }
}

/// The end of the number starting at byte `i`: numeric characters, then optionally `.` and
/// more numeric characters (datatrove's pattern `\d+(\.\d+)?`).
fn number_end(text: &str, i: usize) -> usize {
    let run = |from: usize| {
        text[from..]
            .char_indices()
            .find(|(_, c)| !c.is_numeric())
            .map_or(text.len(), |(k, _)| from + k)
    };
    let end = run(i);
    let rest = &text.as_bytes()[end..];
    if rest.first() == Some(&b'.') && text[end + 1..].chars().next().is_some_and(char::is_numeric) {
        return run(end + 1);
    }
    end
}

/// One source character after the number and diacritic steps: lowercase, punctuation,
/// whitespace.
#[inline]
fn push_one(out: &mut String, c: char, n: &Normalization, pending: &mut bool, start: &mut bool) {
    let is_space = if c.is_alphanumeric() {
        false
    } else if c.is_whitespace() {
        true
    } else {
        n.punctuation_to_space && (c.is_ascii() || !is_combining_mark(c))
    };
    if is_space {
        if n.collapse_whitespace {
            *pending = true;
        } else {
            out.push(if c.is_whitespace() { c } else { ' ' });
        }
        return;
    }
    if n.lowercase {
        if c.is_ascii() {
            push(out, c.to_ascii_lowercase(), n, pending, start);
        } else {
            for l in c.to_lowercase() {
                push(out, l, n, pending, start);
            }
        }
    } else {
        push(out, c, n, pending, start);
    }
}

/// Write a visible character, preceded by the collapsed space owed before it.
#[inline(always)]
fn push(out: &mut String, c: char, n: &Normalization, pending: &mut bool, start: &mut bool) {
    owed_space(out, n, pending, start);
    out.push(c);
}

/// Before a visible character: write the collapsed space owed, if any.
#[inline(always)]
fn owed_space(out: &mut String, n: &Normalization, pending: &mut bool, start: &mut bool) {
    if n.collapse_whitespace && *pending && !*start {
        out.push(' ');
    }
    *pending = false;
    *start = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_every_step_by_default() {
        let n = Normalization::default();
        let cases = [
            ("Hello, World!", "hello world"),
            ("  a\t\tb \n c  ", "a b c"),
            ("Rp 12.500 dan 3.14 juta", "rp 0 dan 0 juta"),
            ("tahun 2025.", "tahun 0"),
            ("Café naïve ÉLAN", "cafe naive elan"),
            ("a--b...c", "a b c"),
            ("", ""),
            ("!!!", ""),
            ("x1.y 2. 3.5.7", "x0 y 0 0 0"),
            ("١٢٣ dan ½", "0 dan 0"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize(input, &n), want, "input {input:?}");
        }
    }

    #[test]
    fn each_step_can_be_switched_off() {
        let none = Normalization::NONE;
        assert_eq!(normalize("  Café, 12!  ", &none), "  Café, 12!  ");
        let only_ws = Normalization {
            collapse_whitespace: true,
            ..Normalization::NONE
        };
        assert_eq!(normalize("  Café,\n\n12!  ", &only_ws), "Café, 12!");
        let keep_accents = Normalization {
            strip_diacritics: false,
            ..Normalization::default()
        };
        assert_eq!(normalize("Café 7", &keep_accents), "café 0");
        let keep_punct = Normalization {
            punctuation_to_space: false,
            ..Normalization::default()
        };
        assert_eq!(normalize("A-b, c", &keep_punct), "a-b, c");
    }

    #[test]
    fn reuses_the_output_buffer() {
        let mut out = String::from("old");
        normalize_into("New Text", &Normalization::default(), &mut out);
        assert_eq!(out, "new text");
    }
}
