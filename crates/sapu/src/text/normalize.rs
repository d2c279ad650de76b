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
    let mut chars = text.chars().peekable();
    // Whether the last character written was a collapsed space (or nothing yet was written).
    let mut pending_space = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if n.numbers_to_zero && c.is_numeric() {
            while chars.peek().is_some_and(|d| d.is_numeric()) {
                chars.next();
            }
            // datatrove's pattern is `\d+(\.\d+)?`: a decimal part belongs to the number.
            let mut ahead = chars.clone();
            if ahead.next() == Some('.') && ahead.next().is_some_and(char::is_numeric) {
                chars.next();
                while chars.peek().is_some_and(|d| d.is_numeric()) {
                    chars.next();
                }
            }
            push(out, '0', n, &mut pending_space, &mut at_start);
            continue;
        }
        if c.is_ascii() {
            push_one(out, c, n, &mut pending_space, &mut at_start);
            continue;
        }
        if n.strip_diacritics {
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    push_one(out, d, n, &mut pending_space, &mut at_start);
                }
            });
        } else {
            push_one(out, c, n, &mut pending_space, &mut at_start);
        }
    }
}

/// One source character after the number and diacritic steps: lowercase, punctuation,
/// whitespace.
#[inline]
fn push_one(out: &mut String, c: char, n: &Normalization, pending: &mut bool, start: &mut bool) {
    let is_space = c.is_whitespace()
        || (n.punctuation_to_space
            && !c.is_alphanumeric()
            && !is_combining_mark(c)
            && !c.is_whitespace());
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
#[inline]
fn push(out: &mut String, c: char, n: &Normalization, pending: &mut bool, start: &mut bool) {
    if n.collapse_whitespace && *pending && !*start {
        out.push(' ');
    }
    *pending = false;
    *start = false;
    out.push(c);
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
