//! A fast pass before parsing that removes what no output depends on, so the spec tokenizer
//! and tree builder have less to walk: script and style bodies, comments and inline SVG (about
//! half the bytes of a modern page); every attribute the scorer, the metadata reader and the
//! tree builder never read (`href`, `src`, `srcset`, `data-*`, `on*` handlers, ...: about 30%
//! of the bytes left); and line breaks in text outside `<pre>`, written as spaces (the
//! tokenizer emits each line break as a token of its own, and the writer collapses whitespace
//! anyway). JSON-LD scripts are kept for the metadata; HTML templates
//! (`<script type="text/template">`) are unwrapped into a `<div>`, their markup read as page.
//!
//! Byte-level and conservative. Tags are delimited as the tokenizer's tag states delimit them
//! (quoted attribute values may hold `>` and `<`); the content of elements the tokenizer reads
//! as raw text (`title`, `textarea`, `iframe`, ...) and of doctypes and bogus comments is left
//! as it is; an element is emptied only from its start tag to the first matching end tag; and
//! anything unclosed is left to the parser as is, from there to the end of the page.

use memchr::{memchr, memchr2, memmem};

/// Attributes something reads: the scorer and metadata (`class`, `id`, `role`, `itemprop`,
/// `hidden`, `aria-hidden`, `style`, `lang`, `datetime`, `type`, `content`, `property`, `name`,
/// `http-equiv`, `rel`) and html5ever's tree builder (`type` of `<input>`, `color`/`face`/
/// `size` of `<font>`, `encoding` of `<annotation-xml>`, `shadowrootmode` of `<template>`).
const KEPT_ATTRIBUTES: [&[u8]; 20] = [
    b"class",
    b"id",
    b"role",
    b"itemprop",
    b"hidden",
    b"aria-hidden",
    b"style",
    b"lang",
    b"datetime",
    b"type",
    b"content",
    b"property",
    b"name",
    b"http-equiv",
    b"rel",
    b"color",
    b"face",
    b"size",
    b"encoding",
    b"shadowrootmode",
];

/// Start tags that can make a `</pre>` end tag miss its `<pre>` (elements that bound the tree
/// builder's element scope, and `<select>`, which ignores end tags): after one of these inside `<pre>`, line breaks are left as they
/// are for the rest of the page.
const SCOPE_BOUNDARIES: [&[u8]; 10] = [
    b"table",
    b"td",
    b"th",
    b"caption",
    b"marquee",
    b"object",
    b"applet",
    b"template",
    b"math",
    b"select",
];

/// `html` with script/style/noscript bodies, comments, `<svg>` elements and unread attributes
/// removed and line breaks outside `<pre>` written as spaces.
pub(crate) fn simplify(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    Scan {
        html,
        out: &mut out,
        pre_depth: 0,
        keep_breaks: false,
        attrs: Vec::new(),
    }
    .run();
    out
}

struct Scan<'a, 'o> {
    html: &'a str,
    out: &'o mut String,
    /// `<pre>`/`<listing>` start tags not yet matched by an end tag.
    pre_depth: u32,
    /// Set for good when a `<pre>` may outlive its end tag.
    keep_breaks: bool,
    /// Spans of the current tag's attributes (reused from tag to tag).
    attrs: Vec<Attr>,
}

/// Where one attribute of a tag sits: its name, and the whole `name="value"`.
#[derive(Clone, Copy)]
struct Attr {
    start: usize,
    name_end: usize,
    end: usize,
}

/// A tag as the tokenizer delimits it.
struct TagSpan {
    name_end: usize,
    self_closing: bool,
    /// Just past the `>`.
    end: usize,
}

impl Scan<'_, '_> {
    fn run(&mut self) {
        let html = self.html;
        let b = html.as_bytes();
        let mut at = 0;
        while let Some(lt) = memchr(b'<', &b[at..]).map(|i| at + i) {
            self.text(at, lt);
            let rest = &b[lt..];
            let next = rest.get(1).copied().unwrap_or(0);
            let resume = if rest.starts_with(b"<!--") {
                comment_end(&rest[4..]).map(|e| lt + 4 + e)
            } else if next == b'/' && rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
                self.end_tag(lt)
            } else if matches!(next, b'!' | b'?' | b'/') {
                // Doctype, CDATA or bogus comment (`</>` too): up to the first `>`, as it is.
                memchr(b'>', rest).map(|g| {
                    self.out.push_str(&html[lt..=lt + g]);
                    lt + g + 1
                })
            } else if next.is_ascii_alphabetic() {
                self.start_tag(lt)
            } else {
                self.out.push('<');
                Some(lt + 1)
            };
            match resume {
                Some(r) => at = r,
                None => {
                    // Unclosed: the parser sees the rest as it is.
                    self.out.push_str(&html[lt..]);
                    return;
                }
            }
        }
        self.text(at, b.len());
    }

    /// Copy text, line breaks as spaces outside `<pre>`.
    fn text(&mut self, from: usize, to: usize) {
        let text = &self.html[from..to];
        if self.pre_depth > 0 || self.keep_breaks {
            self.out.push_str(text);
            return;
        }
        let b = text.as_bytes();
        let mut copied = 0;
        while let Some(i) = memchr2(b'\n', b'\r', &b[copied..]).map(|i| copied + i) {
            self.out.push_str(&text[copied..i]);
            self.out.push(' ');
            copied = i + 1;
        }
        self.out.push_str(&text[copied..]);
    }

    /// An end tag at `lt`, copied as it is; where to go on.
    fn end_tag(&mut self, lt: usize) -> Option<usize> {
        let tag = scan_tag(self.html.as_bytes(), lt + 2, &mut self.attrs)?;
        let name = &self.html.as_bytes()[lt + 2..tag.name_end];
        if self.pre_depth > 0 && (is(name, b"pre") || is(name, b"listing")) {
            self.pre_depth -= 1;
        }
        self.out.push_str(&self.html[lt..tag.end]);
        Some(tag.end)
    }

    /// A start tag at `lt` and, for raw-text elements, their content; where to go on.
    fn start_tag(&mut self, lt: usize) -> Option<usize> {
        let html = self.html;
        let b = html.as_bytes();
        let tag = scan_tag(b, lt + 1, &mut self.attrs)?;
        let name = &b[lt + 1..tag.name_end];
        let whole = &b[lt..tag.end];
        let raw = |name: &[u8]| find_end_tag(&b[tag.end..], name).map(|e| tag.end + e);
        if is(name, b"script") {
            let end = raw(b"script")?;
            if contains_ignore_case(whole, b"ld+json") {
                self.out.push_str(&html[lt..end]);
            } else if contains_ignore_case(whole, b"text/template")
                && b[tag.end..end].trim_ascii_start().starts_with(b"<")
            {
                // An HTML template the page's script renders (Blogger's post body): its markup
                // is read as part of the page, in a `<div>` instead of the script (not a
                // template of JSON data).
                let close = memchr(b'>', &b[end..]).map(|g| end + g + 1)?;
                self.out.push_str("<div>");
                self.out.push_str(&simplify(&html[tag.end..end]));
                self.out.push_str("</div>");
                return Some(close);
            } else {
                self.out.push_str(&html[lt..tag.end]);
            }
            return Some(end);
        }
        if is(name, b"style") || is(name, b"noscript") {
            let end = raw(name)?;
            self.out.push_str(&html[lt..tag.end]);
            return Some(end);
        }
        if is(name, b"svg") {
            let end = raw(b"svg")?;
            return memchr(b'>', &b[end..]).map(|g| end + g + 1);
        }
        if is(name, b"plaintext") {
            self.write_tag(lt, &tag);
            self.out.push_str(&html[tag.end..]);
            return Some(b.len());
        }
        for kind in [
            &b"title"[..],
            b"textarea",
            b"xmp",
            b"iframe",
            b"noembed",
            b"noframes",
        ] {
            if is(name, kind) {
                let end = raw(kind)?;
                self.write_tag(lt, &tag);
                self.out.push_str(&html[tag.end..end]);
                return Some(end);
            }
        }
        self.write_tag(lt, &tag);
        if is(name, b"pre") || is(name, b"listing") {
            self.pre_depth += 1;
        } else if self.pre_depth > 0 && SCOPE_BOUNDARIES.iter().any(|s| is(name, s)) {
            self.keep_breaks = true;
        }
        Some(tag.end)
    }

    /// Write a start tag with only the attributes something reads.
    fn write_tag(&mut self, lt: usize, tag: &TagSpan) {
        let html = self.html;
        let b = html.as_bytes();
        let kept = |a: &Attr| {
            let n = &b[a.start..a.name_end];
            let first = n[0].to_ascii_lowercase();
            KEPT_ATTRIBUTES
                .iter()
                .any(|k| k.len() == n.len() && k[0] == first && is(n, k))
        };
        if self.attrs.iter().all(kept) {
            self.out.push_str(&html[lt..tag.end]);
            return;
        }
        self.out.push_str(&html[lt..tag.name_end]);
        for a in self.attrs.iter().filter(|a| kept(a)) {
            self.out.push(' ');
            self.out.push_str(&html[a.start..a.end]);
        }
        // The space keeps a `/` off an unquoted value before it.
        self.out
            .push_str(if tag.self_closing { " />" } else { ">" });
    }
}

/// Delimit the tag whose name starts at `from` as the tokenizer's tag states do (tag name,
/// attribute name, before/after attribute name and value, quoted and unquoted values,
/// self-closing start tag); `attrs` gets its attributes. `None` when the input ends inside it.
fn scan_tag(b: &[u8], from: usize, attrs: &mut Vec<Attr>) -> Option<TagSpan> {
    let space = |c: u8| matches!(c, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ');
    attrs.clear();
    let mut i = from;
    while !space(*b.get(i)?) && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name_end = i;
    loop {
        // Before attribute name.
        let c = *b.get(i)?;
        if space(c) {
            i += 1;
            continue;
        }
        if c == b'>' {
            return Some(TagSpan {
                name_end,
                self_closing: false,
                end: i + 1,
            });
        }
        if c == b'/' {
            if *b.get(i + 1)? == b'>' {
                return Some(TagSpan {
                    name_end,
                    self_closing: true,
                    end: i + 2,
                });
            }
            i += 1;
            continue;
        }
        // Attribute name: its first character may be `=`.
        let start = i;
        i += 1;
        while !matches!(
            *b.get(i)?,
            b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'/' | b'>' | b'='
        ) {
            i += 1;
        }
        let name_end_attr = i;
        // After attribute name.
        while space(*b.get(i)?) {
            i += 1;
        }
        if b[i] != b'=' {
            attrs.push(Attr {
                start,
                name_end: name_end_attr,
                end: name_end_attr,
            });
            continue;
        }
        i += 1;
        while space(*b.get(i)?) {
            i += 1;
        }
        let end = match b[i] {
            q @ (b'"' | b'\'') => i + 1 + memchr(q, &b[i + 1..])? + 1,
            // A missing value; the `>` ends the tag.
            b'>' => i,
            _ => {
                while !matches!(*b.get(i)?, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' | b'>') {
                    i += 1;
                }
                i
            }
        };
        attrs.push(Attr {
            start,
            name_end: name_end_attr,
            end,
        });
        i = end;
    }
}

/// Whether a tag or attribute name is `lower` (ASCII case-insensitive).
fn is(name: &[u8], lower: &[u8]) -> bool {
    name.eq_ignore_ascii_case(lower)
}

/// Offset just past the end of a comment whose `<!--` is already read: `>` or `->` right away
/// (an abruptly closed comment), else the first `-->` or `--!>`.
fn comment_end(b: &[u8]) -> Option<usize> {
    if b.starts_with(b">") {
        return Some(1);
    }
    if b.starts_with(b"->") {
        return Some(2);
    }
    let mut from = 0;
    while let Some(i) = memmem::find(&b[from..], b"--").map(|i| from + i) {
        if b[i + 2..].starts_with(b">") {
            return Some(i + 3);
        }
        if b[i + 2..].starts_with(b"!>") {
            return Some(i + 4);
        }
        from = i + 1;
    }
    None
}

/// Offset of the first `</name` (any case) followed by a tag-name end.
fn find_end_tag(b: &[u8], name: &[u8]) -> Option<usize> {
    let n = name.len();
    let mut from = 0;
    while let Some(i) = memmem::find(&b[from..], b"</").map(|i| from + i) {
        let r = &b[i + 2..];
        if r.len() > n
            && r[..n].eq_ignore_ascii_case(name)
            && matches!(r[n], b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/')
        {
            return Some(i);
        }
        from = i + 2;
    }
    None
}

/// Whether `hay` holds `needle` (lowercase) in any ASCII case.
pub(crate) fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
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
            simplify(page),
            "<p>a</p><SCRIPT type=x></script ><style></style><script type=\"application/ld+json\">{}</script>b"
        );
    }

    #[test]
    fn unwraps_html_templates_into_a_div() {
        assert_eq!(
            simplify(
                "a<script type='text/template'><p\nclass=x data-y=1>Post\nbody</p></script>b<script>x</script>"
            ),
            "a<div><p class=x>Post body</p></div>b<script></script>"
        );
    }

    #[test]
    fn leaves_unclosed_and_lookalike_tags_alone() {
        assert_eq!(simplify("<scripts>x</scripts>"), "<scripts>x</scripts>");
        assert_eq!(simplify("a <script>never closed"), "a <script>never closed");
        assert_eq!(simplify("<!-- open"), "<!-- open");
        assert_eq!(simplify("é<style>ü</style>ß"), "é<style></style>ß");
        assert_eq!(
            simplify("<a href=x title=\"never closed>"),
            "<a href=x title=\"never closed>"
        );
    }

    #[test]
    fn abruptly_closed_comments_end_where_the_tokenizer_ends_them() {
        assert_eq!(simplify("a<!-->b<!--->c<!-- x --!>d"), "abcd");
    }

    #[test]
    fn drops_unread_attributes_as_the_tokenizer_delimits_them() {
        assert_eq!(
            simplify(
                "<a HREF=\"/x?a>b\" Class='c d' data-x=\"<p>\" onclick=f() id=i>t</a>\
                 <img src=x alt=y/><br data-a=1/><input type=hidden value=v>\
                 <div =x class=k hidden>"
            ),
            "<a Class='c d' id=i>t</a><img>\
             <br><input type=hidden><div class=k hidden>"
        );
        // Self-closing after an unquoted kept value: the `/` stays off the value.
        assert_eq!(simplify("<x class=a data-b=c/>"), "<x class=a>");
        assert_eq!(simplify("<x data-b=c class=a />"), "<x class=a />");
        assert_eq!(simplify("<br data-a=1 />"), "<br />");
        // Tags whose attributes are all read are copied as they are.
        assert_eq!(simplify("<p  class = \"a\" >"), "<p  class = \"a\" >");
    }

    #[test]
    fn line_breaks_become_spaces_outside_pre_and_raw_text() {
        assert_eq!(
            simplify(
                "a\nb\r\nc<pre>\nx\n<b>y\n</b></pre>d\n<title>t\nu</title>\
                 <textarea>\nv</textarea>e\n"
            ),
            "a b  c<pre>\nx\n<b>y\n</b></pre>d <title>t\nu</title><textarea>\nv</textarea>e "
        );
        // A table inside <pre> can keep </pre> from closing it: breaks are kept from there.
        assert_eq!(
            simplify("<pre><table></pre>a\nb</table>c\nd"),
            "<pre><table></pre>a\nb</table>c\nd"
        );
        assert_eq!(
            simplify("<pre><pre></pre>a\n</pre>b\n"),
            "<pre><pre></pre>a\n</pre>b "
        );
    }
}
