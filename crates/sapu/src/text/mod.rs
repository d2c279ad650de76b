//! Text primitives shared by clean, filters and dedup: one implementation each, tested once.

pub mod normalize;

/// Lines of a text split on `\n` only (never on U+2028 or U+0085, which real text contains),
/// with a trailing `\r` removed from each.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_newline_only() {
        let got: Vec<_> = lines("a\r\nb\u{2028}c\n").collect();
        assert_eq!(got, ["a", "b\u{2028}c", ""]);
    }
}
