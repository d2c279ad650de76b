//! HTML main-content extraction: the `extract` stage turns an HTML page into its article text
//! (paragraphs, headings and list items as lines) plus title, author, date, site name and
//! language hint, dropping navigation, headers, footers, sidebars, comments, cookie banners,
//! share widgets and ads.
//!
//! Parsing follows the HTML5 spec (html5ever's tree builder) into a flat arena ([`dom`]);
//! the boilerplate scoring ([`content`]) and metadata reading ([`metadata`]) are ours.
//! [`extract_html`] is the library entry point for one page (used by `sapu extract`).
//!
//! ```
//! use sapu::extract::{extract_html, ExtractOptions};
//!
//! let page = "<html lang=en><head><title>Hello | Site</title></head><body>\
//!     <nav><a href=/>Home</a> <a href=/a>About</a></nav>\
//!     <article><h1>Hello</h1><p>The first paragraph of the article, long enough.</p>\
//!     <p>A second paragraph, also with some words in it.</p></article>\
//!     <footer>Copyright 2024</footer></body></html>";
//! let out = extract_html(page, &ExtractOptions::default()).unwrap();
//! assert_eq!(
//!     out.text,
//!     "Hello\n\nThe first paragraph of the article, long enough.\n\n\
//!      A second paragraph, also with some words in it."
//! );
//! assert_eq!(out.meta.title.as_deref(), Some("Hello"));
//! assert_eq!(out.meta.lang_hint.as_deref(), Some("en"));
//! ```

mod config;
mod content;
mod dom;
mod lexicon;
mod metadata;
mod prescan;
mod tags;

use serde::{Deserialize, Serialize};

pub use config::{Extract, ExtractConfig, Reason};
pub use dom::Limit;
pub use metadata::PageMeta;

/// Which way to lean when a block could be content or chrome (as trafilatura's
/// `favor_precision` / `favor_recall`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Favor {
    /// The default trade-off.
    #[default]
    Balanced,
    /// Less boilerplate, at the risk of losing some article text.
    Precision,
    /// More article text, at the risk of keeping some boilerplate.
    Recall,
}

/// Options for one extraction.
#[derive(Debug, Clone, Copy)]
pub struct ExtractOptions {
    /// Precision/recall trade-off.
    pub favor: Favor,
    /// Pages longer than this many bytes are not parsed.
    pub max_bytes: usize,
    /// Pages with more DOM nodes than this are abandoned.
    pub max_nodes: usize,
    /// Pages with elements nested deeper than this are abandoned.
    pub max_depth: u32,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        let c = ExtractConfig::default();
        ExtractOptions {
            favor: c.favor,
            max_bytes: c.max_bytes as usize,
            max_nodes: c.max_nodes as usize,
            max_depth: c.max_depth,
        }
    }
}

/// The result of extracting one page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Main text: paragraphs separated by a blank line, list items and rows by a newline.
    pub text: String,
    /// Title, author, date, site name, language hint.
    pub meta: PageMeta,
}

/// Extract the main text and metadata of one HTML page; `Err` names the limit it crossed.
pub fn extract_html(html: &str, opts: &ExtractOptions) -> Result<Extracted, Limit> {
    extract_with_url(html, None, opts)
}

/// As [`extract_html`], with the page URL (a date in its path is a last-resort date).
pub fn extract_with_url(
    html: &str,
    url: Option<&str>,
    opts: &ExtractOptions,
) -> Result<Extracted, Limit> {
    let limits = dom::Limits {
        max_bytes: opts.max_bytes,
        max_nodes: opts.max_nodes,
        max_depth: opts.max_depth,
    };
    let dom = dom::Dom::parse(html, limits)?;
    let meta = metadata::page_meta(&dom, url);
    let text = content::main_text(&dom, &params(opts.favor));
    Ok(Extracted { text, meta })
}

/// Development aid: why a page's container was chosen.
#[doc(hidden)]
pub fn explain(html: &str) -> String {
    let limits = dom::Limits {
        max_bytes: usize::MAX,
        max_nodes: usize::MAX,
        max_depth: u32::MAX,
    };
    match dom::Dom::parse(html, limits) {
        Ok(dom) => content::explain(&dom, &params(Favor::Balanced)),
        Err(l) => format!("{l:?}"),
    }
}

/// Development aid: where the text holding `needle` sits and why it was or was not written.
#[doc(hidden)]
pub fn locate(html: &str, needle: &str) -> String {
    let limits = dom::Limits {
        max_bytes: usize::MAX,
        max_nodes: usize::MAX,
        max_depth: u32::MAX,
    };
    match dom::Dom::parse(html, limits) {
        Ok(dom) => content::locate(&dom, &params(Favor::Balanced), needle),
        Err(l) => format!("{l:?}"),
    }
}

fn params(favor: Favor) -> content::Params {
    let balanced = content::Params {
        descend_share: 0.9,
        max_link_density: 0.5,
        min_block_chars: 40,
        chrome_max_share: 0.5,
        marker_min_share: 0.3,
        trim_edges: true,
    };
    match favor {
        Favor::Balanced => balanced,
        Favor::Precision => content::Params {
            descend_share: 0.8,
            max_link_density: 0.33,
            ..balanced
        },
        Favor::Recall => content::Params {
            descend_share: 0.97,
            max_link_density: 0.7,
            chrome_max_share: 0.3,
            trim_edges: false,
            ..balanced
        },
    }
}

#[cfg(test)]
mod tests;
