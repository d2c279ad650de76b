//! Decoding HTML bytes to UTF-8: the charset from the HTTP header, else from a `<meta>` in the
//! first 4 KiB, else detected (valid UTF-8, then chardetng); never fails on any byte sequence
//! (undecodable bytes become U+FFFD).

use encoding_rs::{Encoding, UTF_8};

/// How far into a page to look for `<meta charset>` (the HTML spec's prescan reads 1024 bytes;
/// real pages put long `<head>`s first, so a little more).
const PRESCAN: usize = 4096;

/// Bytes fed to the detector when nothing is declared.
const DETECT: usize = 64 << 10;

/// Decode an HTML page. `declared` is the `charset` parameter of an HTTP `Content-Type`, if
/// any. Returns the text and the name of the encoding used (`UTF-8`, `windows-1252`, ...).
pub fn decode_html(bytes: &[u8], declared: Option<&str>) -> (String, &'static str) {
    let encoding = Encoding::for_bom(bytes)
        .map(|(e, _)| e)
        .or_else(|| declared.and_then(label))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(PRESCAN)]))
        .unwrap_or_else(|| detect(bytes));
    let (text, used, _) = encoding.decode(bytes);
    (text.into_owned(), used.name())
}

/// An encoding for a label; UTF-16 labels in a byte stream that decoded as ASCII-compatible
/// mean UTF-8, as the HTML spec says for `<meta>`.
fn label(l: &str) -> Option<&'static Encoding> {
    let e = Encoding::for_label(l.trim().trim_matches(['"', '\'']).as_bytes())?;
    Some(
        if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
            UTF_8
        } else {
            e
        },
    )
}

/// The charset a `<meta charset=...>` or `<meta http-equiv content="...; charset=...">` names.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(at) = memchr::memmem::find(&lower[from..], b"<meta") {
        let start = from + at;
        let end = memchr::memchr(b'>', &lower[start..]).map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(c) = memchr::memmem::find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or(rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let len = rest
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || b"-_.:".contains(b)))
                    .unwrap_or(rest.len());
                if let Some(e) = std::str::from_utf8(&rest[..len]).ok().and_then(label) {
                    return Some(e);
                }
            }
        }
        from = end;
    }
    None
}

fn detect(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    let sample = &bytes[..bytes.len().min(DETECT)];
    detector.feed(sample, sample.len() == bytes.len());
    detector.guess(None, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_charset_wins_over_meta() {
        let page = b"<meta charset=utf-8><p>caf\xe9</p>";
        assert_eq!(
            decode_html(page, Some("iso-8859-1")),
            (
                "<meta charset=utf-8><p>caf\u{e9}</p>".to_string(),
                "windows-1252"
            )
        );
    }

    #[test]
    fn meta_charset_is_used_without_header() {
        let page = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\"></head>\xcf\xf0\xe8";
        let (text, enc) = decode_html(page, None);
        assert_eq!(enc, "windows-1251");
        assert!(text.ends_with("\u{41f}\u{440}\u{438}"), "{text}");
    }

    #[test]
    fn undeclared_utf8_and_latin1_are_detected() {
        assert_eq!(
            decode_html("<p>Grüße</p>".as_bytes(), None),
            ("<p>Grüße</p>".to_string(), "UTF-8")
        );
        let latin1 = b"<p>Die Stra\xdfe ist sch\xf6n und gr\xfcn, sagte der M\xfcller.</p>";
        let (text, enc) = decode_html(latin1, None);
        assert_eq!(enc, "windows-1252");
        assert_eq!(
            text,
            "<p>Die Straße ist schön und grün, sagte der Müller.</p>"
        );
    }

    #[test]
    fn never_panics_on_garbage_or_bad_labels() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let (text, _) = decode_html(&bytes, Some("no-such-charset"));
        assert!(!text.is_empty());
        let (text, enc) = decode_html(b"<meta charset=\"utf-16\">abc\xff", None);
        assert_eq!(
            (text.as_str(), enc),
            ("<meta charset=\"utf-16\">abc\u{fffd}", "UTF-8")
        );
    }
}
