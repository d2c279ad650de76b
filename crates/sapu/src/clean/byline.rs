//! Bylines: a final line that is only an editor's initials in parentheses or brackets
//! ("(ian)", "(dnu/dnu)", "[gil]") leaves the text and becomes `metadata.byline`.
//!
//! Initials are lowercase letters, one to six per part, up to four parts joined by `/`, `,` or
//! `-`. Capitalised words ("(Antara)", "[AP]") are sources or names, not initials, and stay.

/// The initials of `line` when it is a byline, without the brackets.
pub(crate) fn initials(line: &str) -> Option<&str> {
    let inner = line
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .or_else(|| line.strip_prefix('[').and_then(|s| s.strip_suffix(']')))?;
    let inner = inner.trim();
    let mut parts = 0;
    for part in inner.split(['/', ',', '-']) {
        let part = part.trim();
        parts += 1;
        if parts > 4
            || !(1..=6).contains(&part.len())
            || !part.bytes().all(|b| b.is_ascii_lowercase())
        {
            return None;
        }
    }
    Some(inner)
}

/// The index of the last non-empty line not yet removed, when it is a byline.
pub(crate) fn find<T>(lines: &[&str], removed: &[Option<T>]) -> Option<usize> {
    let last = (0..lines.len())
        .rev()
        .find(|&i| removed[i].is_none() && !lines[i].is_empty())?;
    initials(lines[last]).map(|_| last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_initials() {
        let cases: &[(&str, Option<&str>)] = &[
            ("(ian)", Some("ian")),
            ("(dnu/dnu)", Some("dnu/dnu")),
            ("[gil]", Some("gil")),
            ("( ahk / sf )", Some("ahk / sf")),
            ("(a)", Some("a")),
            ("(Antara)", None),
            ("[AP]", None),
            ("(foto: ian)", None),
            ("(bersambung)", None),
            ("(ian", None),
            ("()", None),
            ("(a/b/c/d/e)", None),
            ("Kata dia (ian)", None),
        ];
        for (line, want) in cases {
            assert_eq!(initials(line), *want, "{line}");
        }
    }

    #[test]
    fn only_the_last_remaining_line_counts() {
        let lines = ["(ian)", "Isi berita.", "(ian)", ""];
        assert_eq!(find::<()>(&lines, &[None, None, None, None]), Some(2));
        assert_eq!(find(&lines, &[None, None, Some(()), None]), None);
        assert_eq!(
            find::<()>(&["Isi berita.", "Penutup."], &[None, None]),
            None
        );
    }
}
