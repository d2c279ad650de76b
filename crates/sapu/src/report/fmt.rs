//! Text helpers for the report page: HTML escaping and human-readable numbers.

use std::fmt::Write;

/// Escape text for HTML element content and double- or single-quoted attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    esc_into(&mut out, text);
    out
}

/// Append `text` HTML-escaped to `out`. Control characters other than tab and newline become
/// U+FFFD, so a document cannot break the page's layout or parsing.
pub(crate) fn esc_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// An integer with thin-space-free comma grouping: `1234567` is `1,234,567`.
pub(crate) fn int(n: u64) -> String {
    let digits = n.to_string();
    let head = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        r => r,
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    out.push_str(&digits[..head]);
    for group in digits.as_bytes()[head..].chunks(3) {
        out.push(',');
        out.extend(group.iter().map(|&b| b as char));
    }
    out
}

/// A byte count in B, KB, MB, GB or TB (powers of 1000, as disks are sold).
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `part` as a percentage of `whole`, one decimal (`-` when `whole` is 0).
pub(crate) fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    let p = part as f64 * 100.0 / whole as f64;
    if p > 0.0 && p < 0.1 {
        "<0.1%".to_string()
    } else {
        format!("{p:.1}%")
    }
}

/// A measured value with about three significant digits, no exponent for ordinary values.
pub(crate) fn num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    let mut s = String::new();
    if a != 0.0 && !(1e-3..1e9).contains(&a) {
        let _ = write!(s, "{v:.2e}");
    } else if v.fract() == 0.0 {
        let _ = write!(s, "{v:.0}");
    } else if a >= 100.0 {
        let _ = write!(s, "{v:.1}");
    } else if a >= 1.0 {
        let _ = write!(s, "{v:.2}");
    } else {
        let _ = write!(s, "{v:.3}");
    }
    s
}

/// Seconds as `850 ms`, `12.3 s` or `1 h 02 min`.
pub(crate) fn secs(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        "-".to_string()
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.0} min {:02.0} s", (s / 60.0).floor(), s % 60.0)
    } else {
        format!(
            "{:.0} h {:02.0} min",
            (s / 3600.0).floor(),
            (s % 3600.0) / 60.0
        )
    }
}

/// The first `max` characters of `text`, and whether it was cut.
pub(crate) fn cut(text: &str, max: usize) -> (&str, bool) {
    match text.char_indices().nth(max) {
        Some((i, _)) => (&text[..i], true),
        None => (text, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            esc("<script>alert('x') & \"y\"</script>\u{7}\n"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;\u{fffd}\n"
        );
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(1234567), "1,234,567");
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(1_500_000), "1.5 MB");
        assert_eq!(pct(1, 3), "33.3%");
        assert_eq!(pct(1, 0), "-");
        assert_eq!(pct(1, 100_000), "<0.1%");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(4.567), "4.57");
        assert_eq!(num(0.12345), "0.123");
        assert_eq!(secs(0.25), "250 ms");
        assert_eq!(secs(125.0), "2 min 05 s");
    }

    #[test]
    fn cuts_on_char_boundaries() {
        assert_eq!(cut("héllo", 2), ("hé", true));
        assert_eq!(cut("hé", 5), ("hé", false));
    }
}
