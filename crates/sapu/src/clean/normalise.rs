//! Text normalisation before any line rule: Unicode NFC, control characters stripped (tab and
//! newline kept), runs of spaces collapsed to one, lines trimmed, `\r\n` and lone `\r` turned
//! into `\n`, at most one blank line in a row and none at either end. Words are never changed.
//!
//! Most documents of a clean crawl need nothing, so a byte scan decides first and the text is
//! rebuilt only when something must change.

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// The normalised text, or `None` when `text` is already normal (no allocation then).
#[cfg(test)]
pub(crate) fn normalise(text: &str) -> Option<String> {
    normalise_with(text, true)
}

/// [`normalise`], with runs of spaces collapsed only when `collapse` is set.
pub(crate) fn normalise_with(text: &str, collapse: bool) -> Option<String> {
    let nfc = if may_need_nfc(text) && is_nfc_quick(text.chars()) != IsNormalized::Yes {
        Some(text.nfc().collect::<String>())
    } else {
        None
    };
    let src = nfc.as_deref().unwrap_or(text);
    if is_clean(src, collapse) {
        return nfc;
    }
    Some(rebuild(src, collapse))
}

/// Whether `text` has a character outside the ranges where every character is NFC-stable:
/// ASCII, U+0080..U+02FF (Latin-1 and Latin Extended, lead bytes C2..CB) and U+2002..U+207F
/// (general punctuation: curly quotes, dashes, ellipsis; U+2000 and U+2001 decompose). Most
/// Latin-script web text has none, and then the table-driven quick check is skipped.
fn may_need_nfc(text: &str) -> bool {
    if text.is_ascii() {
        return false;
    }
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            i += 1;
            continue;
        }
        match c {
            0xc2..=0xcb => i += 2,
            0xe2 if matches!(
                (b.get(i + 1), b.get(i + 2)),
                (Some(0x80), Some(0x82..)) | (Some(0x81), Some(_))
            ) =>
            {
                i += 3
            }
            _ => return true,
        }
    }
    false
}

/// Whether `text` already satisfies every normalisation rule.
fn is_clean(text: &str, collapse: bool) -> bool {
    if text.is_empty() {
        return true;
    }
    let mut prev_blank = true; // a blank first line is not clean
    for line in text.split('\n') {
        if line.is_empty() {
            if prev_blank {
                return false;
            }
            prev_blank = true;
            continue;
        }
        prev_blank = false;
        if !line_is_clean(line, collapse) {
            return false;
        }
    }
    // A trailing blank line (text ending in `\n`) is not clean either.
    !prev_blank
}

/// One non-empty line: no control characters, no space at either end, no run of spaces, no
/// space-like character next to another. ASCII lines (the common case) take a vectorised path.
fn line_is_clean(line: &str, collapse: bool) -> bool {
    let b = line.as_bytes();
    if b[0] == b' ' || b[0] == b'\t' || b[b.len() - 1] == b' ' || b[b.len() - 1] == b'\t' {
        return false;
    }
    // One branch-free pass (vectorised): the high bits, and whether any control byte occurs.
    let (high, ctrl) = b.iter().fold((0u8, false), |(high, ctrl), &c| {
        (high | c, ctrl | ((c < 0x20) & (c != b'\t')) | (c == 0x7f))
    });
    if high < 0x80 {
        return !(ctrl || (collapse && line.contains("  ")));
    }
    let mut prev_space = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            if c == b' ' {
                if prev_space && collapse {
                    return false;
                }
                prev_space = true;
            } else {
                if c < 0x20 && c != b'\t' || c == 0x7f {
                    return false;
                }
                prev_space = false;
            }
            i += 1;
            continue;
        }
        let ch_len = utf8_len(c);
        let ch = line[i..i + ch_len].chars().next().unwrap_or(' ');
        if is_space_like(ch) {
            if (prev_space && collapse) || i == 0 || i + ch_len == b.len() {
                return false;
            }
            prev_space = true;
        } else {
            if ch.is_control() || ch == '\u{feff}' {
                return false;
            }
            prev_space = false;
        }
        i += ch_len;
    }
    true
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        _ => 2,
    }
}

/// Horizontal space characters that runs are collapsed over (tab excluded: it is kept).
fn is_space_like(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn rebuild(text: &str, collapse: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_blank = false;
    for raw in text
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
    {
        let line =
            raw.trim_matches(|c: char| c.is_whitespace() || c.is_control() || c == '\u{feff}');
        if line.is_empty() {
            pending_blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if pending_blank {
                out.push('\n');
            }
        }
        pending_blank = false;
        if line_is_clean(line, collapse) {
            out.push_str(line);
        } else {
            push_line(&mut out, line, collapse);
        }
    }
    out
}

/// Append one trimmed line: control characters dropped, a run of two or more space-like
/// characters written as one ASCII space, a single one kept as it is.
fn push_line(out: &mut String, line: &str, collapse: bool) {
    let mut run_start: Option<char> = None;
    let mut run_len = 0;
    for c in line.chars() {
        if collapse && is_space_like(c) {
            if run_len == 0 {
                run_start = Some(c);
            }
            run_len += 1;
            continue;
        }
        if c.is_control() && c != '\t' || c == '\u{feff}' {
            continue;
        }
        flush_run(out, run_start, run_len);
        run_len = 0;
        out.push(c);
    }
    flush_run(out, run_start, run_len);
}

fn flush_run(out: &mut String, first: Option<char>, len: usize) {
    match (len, first) {
        (0, _) => {}
        (1, Some(c)) => out.push(c),
        _ => out.push(' '),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_normal_text_alone() {
        for text in [
            "",
            "Satu baris.",
            "Satu.\nDua.",
            "Para 1.\n\nPara 2.",
            "tab\tinside",
            "a\u{a0}b",
        ] {
            assert_eq!(normalise(text), None, "{text:?}");
        }
    }

    #[test]
    fn normalises_what_needs_it() {
        let cases: &[(&str, &str)] = &[
            ("a\r\nb\rc", "a\nb\nc"),
            ("  trimmed  \n\tleft", "trimmed\nleft"),
            ("many   spaces here", "many spaces here"),
            ("SIMAK JUGA: \u{a0} Latihan", "SIMAK JUGA: Latihan"),
            ("ctrl\u{0}\u{7}char\u{9f}s\u{feff}", "ctrlchars"),
            ("a\n\n\n\nb\n", "a\n\nb"),
            ("\n\nstart", "start"),
            ("Cafe\u{301} déjà", "Café déjà"),
            ("ideo\u{3000}\u{3000}graphic", "ideo graphic"),
        ];
        for (input, want) in cases {
            assert_eq!(normalise(input).as_deref(), Some(*want), "{input:?}");
        }
    }

    #[test]
    fn nfc_gate_sees_combining_marks_and_other_scripts() {
        assert!(!may_need_nfc("plain “quoted” café – naïve…"));
        assert!(may_need_nfc("Cafe\u{301}"));
        assert!(may_need_nfc("한국어"));
        assert!(may_need_nfc("em\u{2001}quad"));
        assert_eq!(normalise("\u{1100}\u{1161}"), Some("\u{ac00}".to_string()));
    }

    #[test]
    fn keeps_space_runs_when_not_collapsing() {
        assert_eq!(normalise_with("a   b\u{a0} c", false), None);
        assert_eq!(
            normalise_with("  a   b \u{0}\r\n", false).as_deref(),
            Some("a   b")
        );
    }

    #[test]
    fn never_changes_words() {
        let text = "Ünïcödé wörds stay: Ça va? ¿Qué tal? Apa kabar?";
        assert_eq!(normalise(text), None);
        assert_eq!(normalise(&format!(" {text} ")).as_deref(), Some(text));
    }
}
