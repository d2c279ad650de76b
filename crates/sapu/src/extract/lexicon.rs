//! Words in `class` and `id` attributes that name page chrome or the article container.
//!
//! Our own lists, written from the common vocabulary of CMS themes (WordPress, Drupal, news
//! sites); a name is split into words at `-`, `_`, spaces and lower-to-upper case changes.

use super::dom::{Attr, Node};

/// What an element's class and id say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Nothing either way.
    Neutral,
    /// Page chrome: navigation, comments, sharing, ads, cookie notices, ...
    Chrome,
    /// The article or post body.
    Content,
}

/// Words naming chrome.
const CHROME: &[&str] = &[
    "ad",
    "ads",
    "adsense",
    "adv",
    "advert",
    "adverts",
    "advertisement",
    "advertising",
    "addthis",
    "alert",
    "banner",
    "bio",
    "breadcrumb",
    "breadcrumbs",
    "byline",
    "caption",
    "credit",
    "comment",
    "comments",
    "commentlist",
    "consent",
    "cookie",
    "cookies",
    "cookiebanner",
    "copyright",
    "disqus",
    "dropdown",
    "foot",
    "footer",
    "gdpr",
    "header",
    "jump",
    "login",
    "masthead",
    "menu",
    "meta",
    "modal",
    "nav",
    "navbar",
    "navigation",
    "newsletter",
    "outbrain",
    "pager",
    "pagination",
    "popular",
    "popup",
    "postmeta",
    "print",
    "promo",
    "promotion",
    "rail",
    "recommended",
    "related",
    "respond",
    "rss",
    "share",
    "sharedaddy",
    "sharing",
    "shoutbox",
    "sidebar",
    "signin",
    "signup",
    "skip",
    "social",
    "socials",
    "sponsor",
    "sponsored",
    "subscribe",
    "subscription",
    "taboola",
    "tagcloud",
    "tags",
    "toolbar",
    "topbar",
    "trending",
];

/// Words naming the content container.
const CONTENT: &[&str] = &[
    "article",
    "articlebody",
    "body",
    "content",
    "entry",
    "main",
    "post",
    "story",
    "text",
    "blog",
];

/// Words naming a picture box.
const IMAGE: &[&str] = &[
    "image",
    "img",
    "photo",
    "picture",
    "figure",
    "media",
    "gallery",
    "thumbnail",
];

/// An element's class and id values, each cut to its first 512 bytes: huge attribute values
/// are not class lists worth reading.
fn class_and_id(node: &Node) -> impl Iterator<Item = &str> {
    [node.attr(Attr::Class), node.attr(Attr::Id)]
        .into_iter()
        .flatten()
        .map(|value| &value[..floor_boundary(value, 512)])
}

/// Whether an element's class or id names a picture box (`image`, `photo`, `figure`, ...).
pub(crate) fn names_image(node: &Node) -> bool {
    let mut image = false;
    for value in class_and_id(node) {
        each_word(value, |w| {
            image |= listed(&IMAGE_KEYS, w);
        });
    }
    image
}

/// Whether an element's class or id names a header (`article-header`, `entry__head`).
pub(crate) fn names_header(node: &Node) -> bool {
    let mut header = false;
    for value in class_and_id(node) {
        each_word(value, |w| {
            header |= w.eq_ignore_ascii_case("header") || w.eq_ignore_ascii_case("head");
        });
    }
    header
}

/// Whether one class or id word names an article's header: `article-header`, `post-header`,
/// `entryHeader`, `story__header` (the article's own header, even outside `<article>`).
pub(crate) fn names_article_header(node: &Node) -> bool {
    let mut found = false;
    for value in class_and_id(node) {
        for token in value.split_ascii_whitespace() {
            let (mut article, mut header) = (false, false);
            each_word(token, |w| {
                header |= w.eq_ignore_ascii_case("header") || w.eq_ignore_ascii_case("head");
                article |= ["article", "post", "entry", "story"]
                    .iter()
                    .any(|a| w.eq_ignore_ascii_case(a));
            });
            found |= article && header;
        }
    }
    found
}

/// Read an element's class and id.
pub(crate) fn class_verdict(node: &Node) -> Verdict {
    let mut content = false;
    for value in class_and_id(node) {
        let mut chrome = false;
        for token in value.split_ascii_whitespace() {
            let mut after_qualifier = false;
            each_word(token, |w| {
                // `has-ads`, `with-sidebar`: a state of the element, not what it is.
                let qualified = after_qualifier;
                after_qualifier = w.eq_ignore_ascii_case("has") || w.eq_ignore_ascii_case("with");
                if qualified {
                    return;
                }
                if listed(&CHROME_KEYS, w) {
                    chrome = true;
                } else if listed(&CONTENT_KEYS, w) {
                    content = true;
                }
            });
        }
        if chrome {
            return Verdict::Chrome;
        }
    }
    if content {
        Verdict::Content
    } else {
        Verdict::Neutral
    }
}

/// The lists as sorted integer keys, for a binary search per word.
const CHROME_KEYS: [u128; CHROME.len()] = sorted_keys(CHROME);
const CONTENT_KEYS: [u128; CONTENT.len()] = sorted_keys(CONTENT);
const IMAGE_KEYS: [u128; IMAGE.len()] = sorted_keys(IMAGE);

/// A word of at most 16 ASCII bytes as one integer (lowercased); 0 for longer words, which no
/// list holds.
const fn key(word: &[u8]) -> u128 {
    if word.len() > 16 {
        return 0;
    }
    let mut k = 0u128;
    let mut i = 0;
    while i < word.len() {
        k = k << 8 | word[i].to_ascii_lowercase() as u128;
        i += 1;
    }
    k
}

const fn sorted_keys<const N: usize>(words: &[&str]) -> [u128; N] {
    let mut keys = [0u128; N];
    let mut i = 0;
    while i < N {
        // Insertion sort: a const fn cannot call `sort`.
        let k = key(words[i].as_bytes());
        let mut j = i;
        while j > 0 && keys[j - 1] > k {
            keys[j] = keys[j - 1];
            j -= 1;
        }
        keys[j] = k;
        i += 1;
    }
    keys
}

/// Whether a list (as keys) holds `word`, in any case.
fn listed(keys: &[u128], word: &str) -> bool {
    let k = key(word.as_bytes());
    k != 0 && keys.binary_search(&k).is_ok()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Call `f` with every word of a class or id value.
fn each_word(value: &str, mut f: impl FnMut(&str)) {
    let bytes = value.as_bytes();
    let mut start = 0;
    for i in 0..=bytes.len() {
        let split_here = i == bytes.len()
            || !bytes[i].is_ascii_alphanumeric()
            || (i > start && bytes[i].is_ascii_uppercase() && bytes[i - 1].is_ascii_lowercase());
        if split_here {
            if i > start {
                f(&value[start..i]);
            }
            start = if i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i
            } else {
                i + 1
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_found_in_any_case_and_nothing_else_is() {
        for list in [CHROME, CONTENT, IMAGE] {
            for w in list {
                assert!(w.len() <= 16, "{w}");
            }
        }
        assert!(listed(&CHROME_KEYS, "advertisement") && listed(&CHROME_KEYS, "AD"));
        assert!(listed(&CONTENT_KEYS, "entry") && listed(&IMAGE_KEYS, "Thumbnail"));
        assert!(!listed(&CHROME_KEYS, "adx") && !listed(&CHROME_KEYS, "a"));
        assert!(!listed(&CHROME_KEYS, "advertisementadvertisement"));
        assert!(!listed(&CONTENT_KEYS, "") && !listed(&CONTENT_KEYS, "header"));
    }

    #[test]
    fn splits_class_names_into_words() {
        let mut words = Vec::new();
        each_word("post-comments entry_content shareButtons x", |w| {
            words.push(w.to_string())
        });
        assert_eq!(
            words,
            ["post", "comments", "entry", "content", "share", "Buttons", "x"]
        );
    }
}
