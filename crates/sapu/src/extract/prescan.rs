//! A fast pass before parsing that empties what can never be page text: script and style
//! bodies, comments and inline SVG (about half the bytes of a modern page), so the spec
//! tokenizer has less to walk. JSON-LD scripts are kept for the metadata; HTML templates
//! (`<script type="text/template">`) are unwrapped into a `<div>`, their markup read as page.
//!
//! Byte-level and conservative: an element is emptied only from its start tag to the first
//! matching end tag (as the tokenizer's raw-text states end it); anything unclosed is left to
//! the parser as is.

use std::borrow::Cow;

use memchr::{memchr, memmem};

/// `html` with script/style/noscript bodies, comments and `<svg>` elements removed.
pub(crate) fn strip_raw_text(html: &str) -> Cow<'_, str> {
    let b = html.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `html` already copied (or skipped) into `out`
    let mut at = 0;
    while let Some(lt) = memchr(b'<', &b[at..]).map(|i| at + i) {
        at = lt + 1;
        let rest = &b[lt..];
        let (keep_until, resume) = if rest.starts_with(b"<!--") {
            match memmem::find(&rest[4..], b"-->") {
                Some(e) => (lt, lt + 4 + e + 3),
                None => break,
            }
        } else if let Some(name) = raw_text_start(rest) {
            let Some(gt) = memchr(b'>', rest).map(|g| lt + g + 1) else {
                break;
            };
            let tag = &b[lt..gt];
            if name == "script" && contains_ignore_case(tag, b"ld+json") {
                continue;
            }
            let Some(end) = find_end_tag(&b[gt..], name).map(|e| gt + e) else {
                break;
            };
            if name == "script"
                && contains_ignore_case(tag, b"text/template")
                && b[gt..end].trim_ascii_start().starts_with(b"<")
            {
                // An HTML template the page's script renders (Blogger's post body): its markup
                // is read as part of the page, in a `<div>` instead of the script (not a
                // template of JSON data).
                let Some(close) = memchr(b'>', &b[end..]).map(|g| end + g + 1) else {
                    break;
                };
                let o = out.get_or_insert_with(|| String::with_capacity(html.len() / 2));
                o.push_str(&html[copied..lt]);
                o.push_str("<div>");
                o.push_str(&html[gt..end]);
                o.push_str("</div>");
                copied = close;
                at = close;
                continue;
            }
            if name == "svg" {
                let Some(close) = memchr(b'>', &b[end..]).map(|g| end + g + 1) else {
                    break;
                };
                (lt, close)
            } else {
                (gt, end)
            }
        } else {
            continue;
        };
        let o = out.get_or_insert_with(|| String::with_capacity(html.len() / 2));
        o.push_str(&html[copied..keep_until]);
        copied = resume;
        at = resume;
    }
    match out {
        None => Cow::Borrowed(html),
        Some(mut o) => {
            o.push_str(&html[copied..]);
            Cow::Owned(o)
        }
    }
}

/// The raw-text element a start tag opens, if any.
fn raw_text_start(rest: &[u8]) -> Option<&'static str> {
    for name in ["script", "style", "noscript", "svg"] {
        let n = name.len();
        if rest.len() > n + 1
            && rest[1..=n].eq_ignore_ascii_case(name.as_bytes())
            && matches!(
                rest[n + 1],
                b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/'
            )
        {
            return Some(name);
        }
    }
    None
}

/// Offset of the first `</name` (any case) followed by a tag-name end.
fn find_end_tag(b: &[u8], name: &str) -> Option<usize> {
    let n = name.len();
    let mut from = 0;
    while let Some(i) = memmem::find(&b[from..], b"</").map(|i| from + i) {
        let r = &b[i + 2..];
        if r.len() > n
            && r[..n].eq_ignore_ascii_case(name.as_bytes())
            && matches!(r[n], b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/')
        {
            return Some(i);
        }
        from = i + 2;
    }
    None
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empties_scripts_styles_comments_and_svg() {
        let page = "<p>a</p><SCRIPT type=x>if (a < b) { x('</div>') }</script ><style>p{}</style>\
            <!-- note --><svg><g><text>t</text></g></svg><script type=\"application/ld+json\">{}</script>b";
        assert_eq!(
            strip_raw_text(page),
            "<p>a</p><SCRIPT type=x></script ><style></style><script type=\"application/ld+json\">{}</script>b"
        );
    }

    #[test]
    fn unwraps_html_templates_into_a_div() {
        assert_eq!(
            strip_raw_text(
                "a<script type='text/template'><p>Post body</p></script>b<script>x</script>"
            ),
            "a<div><p>Post body</p></div>b<script></script>"
        );
    }

    #[test]
    fn leaves_unclosed_and_lookalike_tags_alone() {
        assert_eq!(
            strip_raw_text("<scripts>x</scripts>"),
            "<scripts>x</scripts>"
        );
        assert_eq!(
            strip_raw_text("a <script>never closed"),
            "a <script>never closed"
        );
        assert_eq!(strip_raw_text("<!-- open"), "<!-- open");
        assert_eq!(strip_raw_text("é<style>ü</style>ß"), "é<style></style>ß");
    }
}
