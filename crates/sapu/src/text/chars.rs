//! Character classes the filters and the word splitter need, each defined as the reference tool
//! defines it (Python's `str.isalpha`, Unicode category P, spaCy's `ALPHA` classes, datatrove's
//! punctuation sets), from the generated tables in `tables.rs`.

use super::tables;

fn in_ranges(table: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn in_set(table: &[u32], c: char) -> bool {
    table.binary_search(&(c as u32)).is_ok()
}

/// Python's `str.isalpha` for one character (Unicode letters, categories L*).
#[inline]
pub fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_ranges(tables::PY_ALPHA, c)
    }
}

/// Python's `str.isspace` for one character.
#[inline]
pub fn is_space(c: char) -> bool {
    if c.is_ascii() {
        matches!(
            c,
            ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\x1c'..='\x1f'
        )
    } else {
        in_ranges(tables::PY_SPACE, c)
    }
}

/// Unicode general category P* (spaCy's `is_punct` for one character).
#[inline]
pub fn is_unicode_punct(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '!'..='#' | '%'..='*' | ','..='/' | ':' | ';' | '?' | '@' | '['..=']' | '_' | '{' | '}')
    } else {
        in_ranges(tables::UNI_PUNCT, c)
    }
}

/// datatrove's `PUNCTUATION_SET`: ASCII and CJK punctuation, control characters and the
/// terminal punctuation of every script. A word made only of these is a "symbol word".
#[inline]
pub fn is_datatrove_punct(c: char) -> bool {
    if c.is_ascii() {
        // Every ASCII character but letters, digits, tab, newline and space.
        !c.is_ascii_alphanumeric() && !matches!(c, '\t' | '\n' | ' ')
    } else {
        in_set(tables::DT_PUNCTUATION, c)
    }
}

/// datatrove's `TERMINAL_PUNCTUATION`: sentence-final marks across scripts (`.` `?` `!` `。`
/// ...; not quotes, not `…`).
#[inline]
pub fn is_terminal_punct(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '.' | '?' | '!')
    } else {
        in_set(tables::DT_TERMINAL_PUNCTUATION, c)
    }
}

/// spaCy's sentencizer marks (a token equal to one of these ends a sentence).
#[inline]
pub fn is_sentence_mark(c: char) -> bool {
    if c.is_ascii() {
        matches!(c, '.' | '?' | '!')
    } else {
        in_set(tables::SENTENCIZER_PUNCT, c)
    }
}

/// spaCy's `ALPHA` class.
#[inline]
pub(crate) fn is_spacy_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_ranges(tables::SPACY_ALPHA, c)
    }
}

/// spaCy's `ALPHA_LOWER` class.
#[inline]
pub(crate) fn is_spacy_lower(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_lowercase()
    } else {
        in_ranges(tables::SPACY_LOWER, c)
    }
}

/// spaCy's `ALPHA_UPPER` class.
#[inline]
pub(crate) fn is_spacy_upper(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_uppercase()
    } else {
        in_ranges(tables::SPACY_UPPER, c)
    }
}

/// spaCy's icon class (most symbols of category So).
#[inline]
pub(crate) fn is_spacy_icon(c: char) -> bool {
    !c.is_ascii() && in_ranges(tables::SPACY_ICONS, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_match_their_references() {
        let cases: &[(char, bool, bool, bool, bool)] = &[
            // (char, isalpha, isspace, category P, datatrove punctuation)
            ('a', true, false, false, false),
            ('é', true, false, false, false),
            ('5', false, false, false, false),
            ('.', false, false, true, true),
            ('#', false, false, true, true),
            ('$', false, false, false, true),
            ('…', false, false, true, true),
            ('\u{a0}', false, true, false, false),
            ('\u{2028}', false, true, false, false),
            ('。', false, false, true, true),
            ('\u{301}', false, false, false, false),
        ];
        for &(c, alpha, space, punct, dt) in cases {
            assert_eq!(is_alpha(c), alpha, "isalpha {c:?}");
            assert_eq!(is_space(c), space, "isspace {c:?}");
            assert_eq!(is_unicode_punct(c), punct, "category P {c:?}");
            assert_eq!(is_datatrove_punct(c), dt, "datatrove punctuation {c:?}");
        }
        assert!(is_terminal_punct('.') && is_terminal_punct('。') && !is_terminal_punct('"'));
        assert!(!is_terminal_punct('…'));
        assert!(is_sentence_mark('?') && !is_sentence_mark(','));
    }

    #[test]
    fn ascii_fast_paths_match_the_tables() {
        for b in 0u8..128 {
            let c = char::from(b);
            assert_eq!(
                is_datatrove_punct(c),
                in_set(tables::DT_PUNCTUATION, c),
                "{b}"
            );
            assert_eq!(
                is_terminal_punct(c),
                in_set(tables::DT_TERMINAL_PUNCTUATION, c),
                "{b}"
            );
            assert_eq!(
                is_sentence_mark(c),
                in_set(tables::SENTENCIZER_PUNCT, c),
                "{b}"
            );
        }
    }
}
