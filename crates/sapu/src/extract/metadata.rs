//! Page metadata: title, author, publication date, site name and language hint, from
//! JSON-LD, Open Graph and other `<meta>` tags, `<html lang>`, `<title>`, `<h1>` and `<time>`.
//!
//! Sources are tried from the most to the least specific: JSON-LD of an article, then
//! `<meta>` (Open Graph, Dublin Core, article:*, parsely, citation_*), then the document itself.

use serde_json::Value;

use super::dom::{Attr, Data, Dom};
use super::prescan::contains_ignore_case;
use super::tags::Tag;

/// What the page says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// The page or article title.
    pub title: Option<String>,
    /// The author(s), `; `-separated.
    pub author: Option<String>,
    /// Publication date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The site or publisher name.
    pub site_name: Option<String>,
    /// The declared language (`<html lang>`, `content-language`, JSON-LD, `og:locale`).
    pub lang_hint: Option<String>,
}

/// JSON-LD scripts longer than this are not parsed.
const MAX_JSON_LD: usize = 1 << 20;

#[derive(Default)]
struct Found {
    ld: PageMeta,
    meta: PageMeta,
    doc: PageMeta,
    html_title: Option<String>,
    /// `<h1>` elements seen, and the first `<h2>`.
    h1_count: u32,
    h2: Option<String>,
}

/// Read the metadata of a parsed page.
pub(crate) fn page_meta(dom: &Dom, url: Option<&str>) -> PageMeta {
    let mut f = Found::default();
    for i in 0..dom.nodes.len() as u32 {
        let node = dom.node(i);
        let Data::Element { tag, .. } = &node.data else {
            continue;
        };
        match tag {
            Tag::Html => set(
                &mut f.doc.lang_hint,
                node.attr(Attr::Lang).map(str::to_string),
            ),
            Tag::Meta => read_meta(node, &mut f.meta),
            Tag::Title if f.html_title.is_none() => f.html_title = Some(dom.text_of(i, 1000)),
            Tag::H(1) => {
                f.h1_count += 1;
                if f.doc.title.is_none() {
                    set(&mut f.doc.title, Some(dom.text_of(i, 1000)));
                }
            }
            Tag::H(2) if f.h2.is_none() => set(&mut f.h2, Some(dom.text_of(i, 1000))),
            Tag::Time if f.doc.date.is_none() => set(
                &mut f.doc.date,
                node.attr(Attr::Datetime)
                    .and_then(iso_date)
                    .or_else(|| any_date(&dom.text_of(i, 100))),
            ),
            Tag::Script
                if node
                    .attr(Attr::Type)
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json")) =>
            {
                let text = dom.text_of(i, MAX_JSON_LD + 1);
                if text.len() <= MAX_JSON_LD {
                    if let Ok(v) = serde_json::from_str::<Value>(&text) {
                        read_json_ld(&v, &mut f.ld);
                    }
                }
            }
            _ => {}
        }
        if f.doc.author.is_none() && (is_author_link(node) || is_author_class(node)) {
            let name = strip_byline(&dom.text_of(i, 200));
            if looks_like_name(&name) {
                set(&mut f.doc.author, Some(name));
            }
        }
        if f.doc.date.is_none() && is_date_class(node) {
            set(&mut f.doc.date, any_date(&dom.text_of(i, 100)));
        }
        if f.doc.date.is_none() && node.attr(Attr::Itemprop) == Some("datePublished") {
            let v = node.attr(Attr::Content).or(node.attr(Attr::Datetime));
            set(&mut f.doc.date, v.and_then(iso_date));
        }
    }
    merge(f, url)
}

fn merge(f: Found, url: Option<&str>) -> PageMeta {
    let Found {
        ld,
        meta,
        doc,
        html_title,
        h1_count,
        h2,
    } = f;
    let site = meta.site_name.as_deref().or(ld.site_name.as_deref());
    let title = match ld.title.or(meta.title) {
        Some(declared) => choose_title(Some(declared), doc.title, site),
        // Without a declared article title, the page's only `<h1>` names it (unless it is
        // the site's name); then `<title>`, then the first heading.
        None => match doc.title {
            Some(h)
                if h1_count == 1
                    && h.chars().count() >= 4
                    && !site.is_some_and(|s| s.eq_ignore_ascii_case(&h)) =>
            {
                Some(h)
            }
            h1 => choose_title(html_title, h1, site).or(h2),
        },
    };
    PageMeta {
        title,
        author: ld
            .author
            .or(meta.author)
            .or(doc.author)
            .map(|a| strip_byline(&a)),
        date: ld
            .date
            .or(meta.date)
            .or(doc.date)
            .or_else(|| url.and_then(date_in_url)),
        site_name: meta.site_name.or(ld.site_name),
        lang_hint: doc.lang_hint.or(meta.lang_hint).or(ld.lang_hint),
    }
}

/// Set `slot` once, to a non-empty trimmed value.
fn set(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_some() {
        return;
    }
    if let Some(v) = value {
        let v = decode_entities(&v);
        let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
        if !v.is_empty() && v.len() <= 1000 {
            *slot = Some(v);
        }
    }
}

/// Character references left in a value escaped twice (`&amp;#8216;` in the markup):
/// numeric ones and `&amp;`, `&quot;`, `&apos;`, `&lt;`, `&gt;`.
fn decode_entities(v: &str) -> std::borrow::Cow<'_, str> {
    if !v.contains('&') {
        return v.into();
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|&b| b == b';');
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = if let Some(num) = name.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse().ok(),
                };
                n.and_then(char::from_u32)
            } else {
                match name {
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    _ => None,
                }
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
}

fn read_meta(node: &super::dom::Node, out: &mut PageMeta) {
    let key = node
        .attr(Attr::Property)
        .or(node.attr(Attr::Name))
        .or(node.attr(Attr::Itemprop))
        .or(node.attr(Attr::HttpEquiv));
    let (Some(key), Some(content)) = (key, node.attr(Attr::Content)) else {
        return;
    };
    let content = Some(content.to_string());
    match key.to_ascii_lowercase().as_str() {
        "og:title" | "twitter:title" | "dc.title" | "citation_title" | "parsely-title"
        | "headline" => set(&mut out.title, content),
        "author" | "article:author" | "dc.creator" | "citation_author" | "parsely-author"
        | "byl" | "sailthru.author" | "dcterms.creator" => {
            let c = content.filter(|c| !c.starts_with("http"));
            set(
                &mut out.author,
                c.map(|c| c.trim_start_matches("By ").to_string()),
            )
        }
        "article:published_time"
        | "og:published_time"
        | "datepublished"
        | "date"
        | "pubdate"
        | "publishdate"
        | "dc.date"
        | "dc.date.issued"
        | "dcterms.date"
        | "dcterms.created"
        | "citation_publication_date"
        | "citation_date"
        | "parsely-pub-date"
        | "sailthru.date"
        | "article.published"
        | "published_time" => set(&mut out.date, content.as_deref().and_then(iso_date)),
        "og:site_name" | "application-name" | "publisher" | "dc.publisher" => {
            set(&mut out.site_name, content)
        }
        "content-language" | "og:locale" | "language" | "dc.language" => {
            set(&mut out.lang_hint, content)
        }
        _ => {}
    }
}

/// Names of the JSON-LD nodes with an `@id`, for references such as `"author": {"@id": ..}`.
fn ld_ids(v: &Value) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    let mut stack = vec![v];
    let mut seen = 0;
    while let Some(v) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            break;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(o) => {
                if let (Some(id), Some(name)) = (str_of(o.get("@id")), str_of(o.get("name"))) {
                    ids.push((id, name));
                }
                stack.extend(o.values());
            }
            _ => {}
        }
    }
    ids
}

/// Read the first article-like object of a JSON-LD value (explicit stack).
fn read_json_ld(v: &Value, out: &mut PageMeta) {
    let ids = ld_ids(v);
    let mut stack = vec![v];
    let mut seen = 0;
    while let Some(v) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            return;
        }
        match v {
            Value::Array(items) => stack.extend(items.iter().rev()),
            Value::Object(o) => {
                if let Some(g) = o.get("@graph") {
                    stack.push(g);
                }
                let types = o.get("@type").map(type_names).unwrap_or_default();
                let article = types
                    .iter()
                    .any(|t| t.ends_with("Article") || t.ends_with("Posting") || t == "Report");
                let page = types.iter().any(|t| t.ends_with("WebPage"));
                if article {
                    set(
                        &mut out.title,
                        str_of(o.get("headline")).or(str_of(o.get("name"))),
                    );
                    set(
                        &mut out.author,
                        o.get("author").and_then(|a| names(a, &ids)),
                    );
                    set(
                        &mut out.date,
                        str_of(o.get("datePublished")).and_then(|d| iso_date(&d)),
                    );
                    set(
                        &mut out.site_name,
                        o.get("publisher").and_then(|a| names(a, &ids)),
                    );
                }
                if article || page {
                    set(&mut out.lang_hint, str_of(o.get("inLanguage")));
                }
                if types.iter().any(|t| t == "WebSite") {
                    set(&mut out.site_name, str_of(o.get("name")));
                }
            }
            _ => {}
        }
    }
}

fn type_names(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// Names from a JSON-LD person or organisation (object, string or list).
fn names(v: &Value, ids: &[(String, String)]) -> Option<String> {
    let one = |v: &Value| match v {
        Value::String(s) if !s.starts_with("http") => Some(s.clone()),
        Value::Object(o) => str_of(o.get("name")).or_else(|| {
            let id = o.get("@id")?.as_str()?;
            ids.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone())
        }),
        _ => None,
    };
    match v {
        Value::Array(a) => {
            let all: Vec<String> = a.iter().take(10).filter_map(one).collect();
            (!all.is_empty()).then(|| all.join("; "))
        }
        v => one(v),
    }
}

/// An element whose class names the author (`author vcard`, `byline`, `fn`), not a commenter.
fn is_author_class(node: &super::dom::Node) -> bool {
    let Some(class) = node.attr(Attr::Class) else {
        return false;
    };
    if class.len() > 200 {
        return false;
    }
    let has = |w: &str| contains_ignore_case(class.as_bytes(), w.as_bytes());
    if has("comment") || has("avatar") || has("bio") {
        return false;
    }
    class.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        ["author", "byline", "fn", "autor", "auteur"]
            .iter()
            .any(|a| w.eq_ignore_ascii_case(a))
    })
}

/// A short text that can be a person's or team's name (not a sentence, date or address).
fn looks_like_name(s: &str) -> bool {
    let words = s.split_whitespace().count();
    (1..=6).contains(&words)
        && s.chars().count() <= 60
        && !s.contains('@')
        && !s.contains("://")
        && s.chars().filter(char::is_ascii_digit).count() < 3
}

fn is_author_link(node: &super::dom::Node) -> bool {
    node.attr(Attr::Rel)
        .is_some_and(|r| r.split_whitespace().any(|w| w == "author"))
        || node.attr(Attr::Itemprop) == Some("author")
}

/// The `YYYY-MM-DD` at the start of an ISO-like date (`2019-08-02T10:00`, `2019/08/02`).
pub(crate) fn iso_date(s: &str) -> Option<String> {
    let b = s.trim().as_bytes();
    if b.len() < 10 {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let sep = |c: u8| c == b'-' || c == b'/' || c == b'.';
    if digits(0..4) && sep(b[4]) && digits(5..7) && sep(b[7]) && digits(8..10) {
        let (y, mo, d) = (num(&b[0..4]), num(&b[5..7]), num(&b[8..10]));
        if (1990..=2100).contains(&y) && (1..=12).contains(&mo) && (1..=31).contains(&d) {
            return Some(format!("{y:04}-{mo:02}-{d:02}"));
        }
    }
    None
}

/// Month names (English, German, French, Spanish, Italian, Dutch), as prefixes of at least
/// three letters, with their numbers.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("januar", 1),
    ("janvier", 1),
    ("enero", 1),
    ("gennaio", 1),
    ("januari", 1),
    ("jänner", 1),
    ("february", 2),
    ("februar", 2),
    ("février", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("februari", 2),
    ("march", 3),
    ("märz", 3),
    ("mars", 3),
    ("marzo", 3),
    ("maart", 3),
    ("april", 4),
    ("avril", 4),
    ("abril", 4),
    ("aprile", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("mei", 5),
    ("june", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("giugno", 6),
    ("july", 7),
    ("juli", 7),
    ("juillet", 7),
    ("julio", 7),
    ("luglio", 7),
    ("august", 8),
    ("août", 8),
    ("agosto", 8),
    ("augustus", 8),
    ("september", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("settembre", 9),
    ("october", 10),
    ("oktober", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("november", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("december", 12),
    ("dezember", 12),
    ("décembre", 12),
    ("diciembre", 12),
    ("dicembre", 12),
];

/// The month a word names: a full name, or an abbreviation of at least three letters.
fn month_of(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.chars().count() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .find(|(name, _)| *name == w || (w.chars().count() <= 4 && name.starts_with(&w)))
        .map(|&(_, m)| m)
}

/// `November 22, 2011`, `22 November 2011`, `22. Nov. 2011`, `le 3 mars 2020`.
fn text_date(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '|' || c == '/')
        .filter(|w| !w.is_empty())
        .take(200)
        .collect();
    let day = |w: &str| {
        let w = w
            .trim_end_matches('.')
            .trim_end_matches(|c: char| c.is_ascii_alphabetic());
        w.parse::<u32>().ok().filter(|d| (1..=31).contains(d))
    };
    let year = |w: &str| {
        w.trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse::<u32>()
            .ok()
            .filter(|y| (1990..=2100).contains(y) && w.len() >= 4)
    };
    for i in 0..words.len() {
        let Some(m) = month_of(words[i]) else {
            continue;
        };
        let next = |k: usize| words.get(i + k).copied().unwrap_or("");
        let prev = if i > 0 { words[i - 1] } else { "" };
        let found = match (day(prev), year(next(1))) {
            (Some(d), Some(y)) => Some((y, d)),
            _ => match (day(next(1)), year(next(2))) {
                (Some(d), Some(y)) => Some((y, d)),
                _ => None,
            },
        };
        if let Some((y, d)) = found {
            return Some(format!("{y:04}-{m:02}-{d:02}"));
        }
    }
    None
}

/// The first `YYYY-MM-DD`, `DD.MM.YYYY` or written-out date in a short text.
fn any_date(text: &str) -> Option<String> {
    numeric_date(text).or_else(|| text_date(text))
}

/// The first `YYYY-MM-DD` or `DD.MM.YYYY` date in a short text.
fn numeric_date(text: &str) -> Option<String> {
    let b = text.as_bytes();
    for i in 0..b.len().saturating_sub(9) {
        if i > 0 && b[i - 1].is_ascii_digit() {
            continue;
        }
        if let Some(d) = std::str::from_utf8(&b[i..i + 10]).ok().and_then(iso_date) {
            return Some(d);
        }
        let w = &b[i..i + 10];
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
        if digits(0..2) && w[2] == b'.' && digits(3..5) && w[5] == b'.' && digits(6..10) {
            let (d, m, y) = (num(&w[0..2]), num(&w[3..5]), num(&w[6..10]));
            if (1990..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d) {
                return Some(format!("{y:04}-{m:02}-{d:02}"));
            }
        }
    }
    None
}

/// An element whose class names a publication date.
fn is_date_class(node: &super::dom::Node) -> bool {
    node.attr(Attr::Class).is_some_and(|c| {
        let c = c.as_bytes();
        c.len() < 200 && (contains_ignore_case(c, b"date") || contains_ignore_case(c, b"published"))
    })
}

fn num(b: &[u8]) -> u32 {
    b.iter().fold(0, |n, d| n * 10 + (d - b'0') as u32)
}

/// A `/2019/08/02/` date in a URL path.
fn date_in_url(url: &str) -> Option<String> {
    let b = url.as_bytes();
    (0..b.len().saturating_sub(10)).find_map(|i| {
        if b[i] != b'/' {
            return None;
        }
        let rest = std::str::from_utf8(&b[i + 1..]).ok()?;
        let r = rest.as_bytes();
        if r.len() >= 10 && r[4] == b'/' && r[7] == b'/' {
            iso_date(&rest[..10])
        } else {
            None
        }
    })
}

/// The declared title, or the page's first `<h1>` when the declared one contains it (a site
/// name around it), or the declared title without a `| Site` part.
fn choose_title(
    declared: Option<String>,
    h1: Option<String>,
    site: Option<&str>,
) -> Option<String> {
    match (declared, h1) {
        (Some(d), Some(h))
            if h.chars().count() >= 4 && d.to_lowercase().contains(&h.to_lowercase()) =>
        {
            Some(h)
        }
        (Some(d), _) => Some(strip_site_name(&d, site)),
        (None, h) => h,
    }
}

/// `Article title | Site` -> `Article title`: the first or last part naming the site is cut;
/// without a site name, the longest part is kept.
fn strip_site_name(title: &str, site: Option<&str>) -> String {
    let Some(site) = site.map(str::to_lowercase).filter(|s| !s.is_empty()) else {
        return strip_site_suffix(title);
    };
    for sep in [
        " | ", " - ", " – ", " — ", " :: ", " » ", " « ", " · ", " : ",
    ] {
        let parts: Vec<&str> = title.split(sep).collect();
        if parts.len() < 2 {
            continue;
        }
        let names_site = |p: &str| {
            let p = p.trim().to_lowercase();
            !p.is_empty() && (site.contains(&p) || p.contains(&site))
        };
        if names_site(parts[parts.len() - 1]) {
            return parts[..parts.len() - 1].join(sep).trim().to_string();
        }
        if names_site(parts[0]) {
            return parts[1..].join(sep).trim().to_string();
        }
    }
    title.trim().to_string()
}

/// `View all posts by Ann Lee` -> `Ann Lee`: the part after the last ` by ` / ` von `.
fn strip_byline(author: &str) -> String {
    let lower = author.to_lowercase();
    for marker in [" by ", " von "] {
        if let Some(at) = lower.rfind(marker) {
            let rest = author.get(at + marker.len()..).unwrap_or(author).trim();
            if !rest.is_empty() {
                return rest.to_string();
            }
        }
    }
    for prefix in ["By ", "by ", "Von ", "von "] {
        if let Some(rest) = author.strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
    author.to_string()
}

/// `Article title | Site` -> `Article title` (the longest part when a separator splits it).
fn strip_site_suffix(title: &str) -> String {
    for sep in [" | ", " - ", " – ", " — ", " :: ", " » "] {
        if title.contains(sep) {
            let best = title
                .split(sep)
                .max_by_key(|p| p.chars().count())
                .unwrap_or(title);
            return best.trim().to_string();
        }
    }
    title.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iso_dates_and_rejects_others() {
        assert_eq!(
            iso_date("2019-08-02T10:00:00Z").as_deref(),
            Some("2019-08-02")
        );
        assert_eq!(iso_date("2019/8/02"), None);
        assert_eq!(iso_date("02.08.2019"), None);
        assert_eq!(
            date_in_url("https://x.org/blog/2019/08/02/title/").as_deref(),
            Some("2019-08-02")
        );
    }

    #[test]
    fn prefers_h1_inside_declared_title_and_strips_bylines() {
        let t = |d: Option<&str>, h: Option<&str>| {
            choose_title(d.map(String::from), h.map(String::from), None)
        };
        assert_eq!(
            t(Some("Villa Galaxy - Ferienvilla"), Some("Villa Galaxy")).as_deref(),
            Some("Villa Galaxy")
        );
        assert_eq!(
            t(Some("Lexikon - M wie Mähnenlöwe"), Some("Menu")).as_deref(),
            Some("M wie Mähnenlöwe")
        );
        assert_eq!(t(None, Some("Only h1")).as_deref(), Some("Only h1"));
        assert_eq!(
            strip_byline("View all posts by Daniel Lemire"),
            "Daniel Lemire"
        );
        assert_eq!(strip_byline("Von Erika Muster"), "Erika Muster");
        assert_eq!(strip_byline("Ann Lee"), "Ann Lee");
    }

    #[test]
    fn finds_dates_in_short_texts() {
        assert_eq!(
            any_date("Veröffentlicht am 23.10.2018, 14:00").as_deref(),
            Some("2018-10-23")
        );
        assert_eq!(
            any_date("Posted 2019-08-02 by x").as_deref(),
            Some("2019-08-02")
        );
        assert_eq!(any_date("123.10.2018 and 32.01.2019"), None);
        assert_eq!(
            any_date("Published: 22 Nov. 2011").as_deref(),
            Some("2011-11-22")
        );
        assert_eq!(
            any_date("am 3. März 2020 um 10:00").as_deref(),
            Some("2020-03-03")
        );
        assert_eq!(
            any_date("le 14 juillet 2019").as_deref(),
            Some("2019-07-14")
        );
        assert_eq!(any_date("May we meet in 2019"), None);
    }

    #[test]
    fn strips_the_part_naming_the_site() {
        let t = |title: &str, site: &str| strip_site_name(title, Some(site));
        assert_eq!(
            t("Office 365 – HBDI – die Dritte | Blog", "Blog"),
            "Office 365 – HBDI – die Dritte"
        );
        assert_eq!(t("Example News - Big story", "example news"), "Big story");
        assert_eq!(t("No site part here", "Blog"), "No site part here");
    }

    #[test]
    fn strips_site_name_from_title() {
        assert_eq!(
            strip_site_suffix("A long article title | Site"),
            "A long article title"
        );
    }
}
