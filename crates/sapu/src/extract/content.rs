//! Main-content selection: which blocks of the page are the article, written out as text.
//!
//! Our scoring, in four passes over the arena (explicit stacks, no recursion):
//! 1. walk the body, dropping elements that are never content (scripts, navigation, asides,
//!    headers and footers, hidden elements, ARIA landmarks of page chrome) and measuring the
//!    text under every node;
//! 2. drop elements whose class or id names page chrome (comments, share widgets, cookie
//!    banners, ads, sidebars, ...) unless they hold most of the page's text;
//! 3. measure every block (the nearest block-level element owning a run of text): its letters,
//!    the share of them inside links; a block long enough and not mostly links is *good*, and
//!    good text is summed up the tree;
//! 4. the container is a marked article (`itemprop=articleBody`, `<article>`, `<main>`,
//!    content-like class names) holding most good text, else the body, narrowed to the child
//!    holding nearly all of it while one does; its blocks that are not mostly links are written
//!    out, paragraphs separated by a blank line, list items and table rows by a newline.

use super::dom::{push_collapsed, Attr, Data, Dom, Visit, NONE};
use super::lexicon::{class_verdict, names_article_header, names_header, names_image, Verdict};
use super::tags::Tag;

/// Thresholds one `favor` setting stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    /// Narrow the container to a child holding at least this share of its good text.
    pub(crate) descend_share: f32,
    /// A block with a larger share of link text is dropped from the output.
    pub(crate) max_link_density: f32,
    /// A block needs at least this many non-space characters to count as good text.
    pub(crate) min_block_chars: u32,
    /// A chrome-named element is dropped only when it holds at most this share of the text.
    pub(crate) chrome_max_share: f32,
    /// A marked article is used when it holds at least this share of the good text.
    pub(crate) marker_min_share: f32,
    /// Cut short blocks and headings (labels, calls to action) after the last good block.
    pub(crate) trim_edges: bool,
}

const DROPPED: u16 = 1;
const CHROME: u16 = 2;
const MARKER: u16 = 4;
const STRONG_MARKER: u16 = 8;
const PROTECTED: u16 = 16;
const SEMANTIC: u16 = 32;
/// Chrome by class or id name (not by tag or role).
const CLASS_CHROME: u16 = 64;
/// Inside an `<article>` element.
const IN_ARTICLE: u16 = 128;
/// The header of an article (title, byline, standfirst): kept, but only its good paragraphs
/// are written.
const ARTICLE_HEADER: u16 = 256;

/// Per-node measurements, indexed by node.
struct Measures {
    flags: Vec<u16>,
    /// Non-space characters in the subtree (pass 1), then owned by the block (pass 3).
    text: Vec<u32>,
    /// Non-space characters of each text node (pass 1), counted once for every later pass.
    letters: Vec<u32>,
    link: Vec<u32>,
    good: Vec<u32>,
    /// Candidate score: good text less the subtree's link text and the good text of nested
    /// `<article>` elements (a listing of teasers, related posts).
    score: Vec<i64>,
}

/// Measure every node, mark the blocks and rate them: what both the extraction and its
/// explanation start from. Returns the measures, the body and the nodes in document order.
fn first_pass(dom: &Dom, p: &Params) -> (Measures, u32, Vec<u32>) {
    let n = dom.nodes.len();
    let mut m = Measures {
        flags: vec![0; n],
        text: vec![0; n],
        letters: vec![0; n],
        link: vec![0; n],
        good: vec![0; n],
        score: vec![0; n],
    };
    let body = dom.body();
    let order = walk_and_mark(dom, body, &mut m);
    let blocks = measure_blocks(dom, body, &mut m);
    rate_blocks(dom, &blocks, p, &mut m);
    (m, body, order)
}

/// The main text of a parsed page, empty when there is none.
pub(crate) fn main_text(dom: &Dom, p: &Params) -> String {
    choose(dom, p).write(dom, p)
}

/// The selection the main text is written from.
fn choose(dom: &Dom, p: &Params) -> Selection {
    let first = select(dom, p, CHROME | CLASS_CHROME);
    let got = first.good();
    if got < FALLBACK_BELOW && first.before >= 3 * got.max(p.min_block_chars) {
        // Little is left once chrome-named elements are gone, but they held much text: the
        // class names misled (a forum's posts named `comment`, sections `--has-ads`). Try
        // again dropping only chrome by tag and role.
        let second = select(dom, p, CHROME);
        if second.good() >= 2 * got + p.min_block_chars {
            return second;
        }
    }
    first
}

/// Development aid: where the text nodes holding `needle` are and why they were or were not
/// written: under a dropped element (never content, chrome by tag or role, chrome by class),
/// outside the chosen container, or inside it (with their block's text and link sizes).
pub(crate) fn locate(dom: &Dom, p: &Params, needle: &str) -> String {
    let sel = choose(dom, p);
    let m = &sel.m;
    let mut out = String::new();
    for (i, node) in dom.nodes.iter().enumerate() {
        let Data::Text(t) = &node.data else { continue };
        let mut text = String::new();
        push_collapsed(&mut text, t);
        if !text.contains(needle) {
            continue;
        }
        let (mut a, mut why, mut inside, mut block) = (i as u32, "outside", false, NONE);
        while a != NONE {
            let f = m.flags[a as usize];
            if f & DROPPED != 0 {
                why = if f & CHROME != 0 {
                    "dropped-tag-chrome"
                } else if f & CLASS_CHROME != 0 {
                    "dropped-class-chrome"
                } else {
                    "dropped-never-content"
                };
            }
            if block == NONE && dom.node(a).tag().is_some_and(|t| !t.is_inline()) {
                block = a;
            }
            if a == sel.container || sel.lead.contains(&a) {
                inside = true;
            }
            a = dom.node(a).parent;
        }
        if why == "outside" && inside {
            why = "inside";
        }
        let b = block as usize;
        out += &format!(
            "{why} block text={} link={} : {}\n",
            m.text.get(b).copied().unwrap_or(0),
            m.link.get(b).copied().unwrap_or(0),
            path(dom, i as u32)
        );
    }
    out
}

/// One choice of the main text: the measures after dropping the chrome `mask` names, the
/// chosen container with its lead, and the page's good text before the drop.
struct Selection {
    m: Measures,
    container: u32,
    lead: Vec<u32>,
    before: u32,
}

impl Selection {
    /// Good text of the chosen container.
    fn good(&self) -> u32 {
        self.m.good[self.container as usize]
    }

    fn write(&self, dom: &Dom, p: &Params) -> String {
        write_text(dom, &self.lead, self.container, p, &self.m)
    }
}

fn select(dom: &Dom, p: &Params, mask: u16) -> Selection {
    let (mut m, body, order) = first_pass(dom, p);
    let before = m.good[body as usize];
    drop_chrome(dom, body, &order, p, mask, &mut m);
    let blocks = measure_blocks(dom, body, &mut m);
    rate_blocks(dom, &blocks, p, &mut m);
    let (container, lead) = choose_container(dom, body, &blocks, p, &m);
    Selection {
        m,
        container,
        lead,
        before,
    }
}

/// A container with less good text than this is checked against a second choice.
const FALLBACK_BELOW: u32 = 300;

/// Development aid: the chosen container and the largest candidates, with their paths.
pub(crate) fn explain(dom: &Dom, p: &Params) -> String {
    let (mut m, body, order) = first_pass(dom, p);
    let subtree = m.good.clone();
    let mut out = String::new();
    drop_chrome(dom, body, &order, p, CHROME | CLASS_CHROME, &mut m);
    for &i in &order {
        if m.flags[i as usize] & DROPPED != 0
            && m.flags[i as usize] & (CHROME | CLASS_CHROME) != 0
            && subtree[i as usize] > 200
        {
            out += &format!(
                "dropped chrome {} chars: {}\n",
                subtree[i as usize],
                path(dom, i)
            );
        }
    }
    let order = measure_blocks(dom, body, &mut m);
    rate_blocks(dom, &order, p, &mut m);
    let (container, _) = choose_container(dom, body, &order, p, &m);
    out += &format!(
        "container good={} : {}\n",
        m.good[container as usize],
        path(dom, container)
    );
    let mut cands: Vec<u32> = order
        .iter()
        .copied()
        .filter(|&i| m.flags[i as usize] & MARKER != 0)
        .collect();
    cands.sort_by_key(|&i| std::cmp::Reverse(m.good[i as usize]));
    for &i in cands.iter().take(8) {
        out += &format!(
            "marker good={} score={} : {}\n",
            m.good[i as usize],
            m.score[i as usize],
            path(dom, i)
        );
    }
    out
}

fn path(dom: &Dom, mut i: u32) -> String {
    let mut parts = Vec::new();
    while i != NONE {
        let node = dom.node(i);
        if let Data::Element { name, .. } = &node.data {
            let c = node.attr(Attr::Class).unwrap_or("");
            let id = node.attr(Attr::Id).unwrap_or("");
            parts.push(format!("{}#{}.{}", &*name.local, id, &c[..c.len().min(40)]));
        }
        i = node.parent;
    }
    parts.reverse();
    parts.join(" > ")
}

/// Pass 1: preorder of the body without never-content elements; subtree text sizes; chrome and
/// marker flags.
fn walk_and_mark(dom: &Dom, body: u32, m: &mut Measures) -> Vec<u32> {
    let mut order = Vec::new();
    let mut stack = vec![body];
    while let Some(i) = stack.pop() {
        let node = dom.node(i);
        match &node.data {
            Data::Text(t) => {
                m.letters[i as usize] = letters(t);
                m.text[i as usize] = m.letters[i as usize];
                order.push(i);
                continue;
            }
            Data::Element { tag, .. } => {
                if i != body && never_content(*tag, node) {
                    m.flags[i as usize] |= DROPPED;
                    continue;
                }
                // An article's own header (title, byline, standfirst) is not page chrome.
                let article_header = m.flags[i as usize] & IN_ARTICLE != 0
                    && (*tag == Tag::Header || names_header(node))
                    || names_article_header(node);
                if article_header {
                    m.flags[i as usize] |= ARTICLE_HEADER;
                }
                if matches!(tag, Tag::Header | Tag::Footer | Tag::Aside) && !article_header
                    || chrome_role(node.attr(Attr::Role))
                {
                    m.flags[i as usize] |= CHROME;
                }
                match class_verdict(node) {
                    Verdict::Chrome if i != body && !is_landmark(*tag) && !article_header => {
                        m.flags[i as usize] |= CLASS_CHROME
                    }
                    Verdict::Content => m.flags[i as usize] |= MARKER,
                    _ => {}
                }
                if matches!(tag, Tag::Article | Tag::Main) || node.attr(Attr::Role) == Some("main")
                {
                    m.flags[i as usize] |= MARKER | SEMANTIC;
                }
                if node
                    .attr(Attr::Itemprop)
                    .is_some_and(|v| v.eq_ignore_ascii_case("articlebody"))
                {
                    m.flags[i as usize] |= MARKER | STRONG_MARKER;
                }
            }
            Data::Document(_) => {}
            Data::Other => continue,
        }
        order.push(i);
        let first = stack.len();
        stack.extend(dom.children(i));
        stack[first..].reverse();
        if m.flags[i as usize] & IN_ARTICLE != 0 || dom.node(i).tag() == Some(Tag::Article) {
            for &c in &stack[first..] {
                m.flags[c as usize] |= IN_ARTICLE;
            }
        }
    }
    for &i in order.iter().rev() {
        let parent = dom.node(i).parent;
        if i != body && parent != NONE {
            m.text[parent as usize] += m.text[i as usize];
            if m.flags[i as usize] & (STRONG_MARKER | PROTECTED) != 0 {
                m.flags[parent as usize] |= PROTECTED;
            }
        }
    }
    order
}

/// Pass 2: drop chrome-named elements that do not hold the article: those with at most
/// `chrome_max_share` of the page's good text (all its text when it has none).
fn drop_chrome(dom: &Dom, body: u32, order: &[u32], p: &Params, mask: u16, m: &mut Measures) {
    let (size, total) = if m.good[body as usize] > 0 {
        (&m.good, m.good[body as usize] as f32)
    } else {
        (&m.text, m.text[body as usize] as f32)
    };
    let size = size.clone();
    for &i in order {
        let f = m.flags[i as usize];
        if f & mask == 0 || f & (PROTECTED | STRONG_MARKER) != 0 {
            continue;
        }
        let parent = dom.node(i).parent;
        if parent != NONE && m.flags[parent as usize] & DROPPED != 0 {
            m.flags[i as usize] |= DROPPED;
            continue;
        }
        if size[i as usize] as f32 <= p.chrome_max_share * total {
            m.flags[i as usize] |= DROPPED;
        }
    }
}

/// Pass 3: text and link characters owned by each block, over the kept tree.
fn measure_blocks(dom: &Dom, body: u32, m: &mut Measures) -> Vec<u32> {
    m.text.iter_mut().for_each(|t| *t = 0);
    m.link.iter_mut().for_each(|t| *t = 0);
    m.good.iter_mut().for_each(|t| *t = 0);
    let mut order = Vec::new();
    // (node, owning block, inside a link)
    let mut stack = vec![(body, body, false)];
    while let Some((i, owner, in_link)) = stack.pop() {
        if m.flags[i as usize] & DROPPED != 0 {
            continue;
        }
        let node = dom.node(i);
        let (owner, in_link) = match &node.data {
            Data::Text(_) => {
                // Every text node reached here was reached by pass 1 (it skips no more).
                let c = m.letters[i as usize];
                m.text[owner as usize] += c;
                if in_link {
                    m.link[owner as usize] += c;
                }
                continue;
            }
            Data::Element { tag, .. } if tag.is_inline() => (owner, in_link || *tag == Tag::A),
            Data::Element { .. } => (i, in_link),
            _ => continue,
        };
        order.push(i);
        let first = stack.len();
        stack.extend(dom.children(i).map(|c| (c, owner, in_link)));
        stack[first..].reverse();
    }
    order
}

/// Good text per block, summed up the tree.
fn rate_blocks(dom: &Dom, order: &[u32], p: &Params, m: &mut Measures) {
    for &i in order {
        let (t, l) = (m.text[i as usize], m.link[i as usize]);
        if t >= p.min_block_chars && (l as f32) <= 0.33 * t as f32 {
            m.good[i as usize] = t - l;
        }
    }
    // Subtree sums: good text, link text, good text inside nested articles.
    // (good text, count) of the outermost nested articles.
    let mut links: Vec<u32> = m.link.clone();
    let mut nested = vec![(0u32, 0u32); m.good.len()];
    for &i in order.iter().rev().take(order.len().saturating_sub(1)) {
        let parent = dom.node(i).parent;
        if parent != NONE {
            let (p, c) = (parent as usize, i as usize);
            m.good[p] += m.good[c];
            links[p] += links[c];
            let add = if dom.node(i).tag() == Some(Tag::Article) {
                (m.good[c], 1)
            } else {
                nested[c]
            };
            nested[p].0 += add.0;
            nested[p].1 += add.1;
        }
    }
    for &i in order {
        let i = i as usize;
        // One nested article is the article in a wrapper; several are a listing.
        let listing = if nested[i].1 >= 2 { nested[i].0 } else { 0 };
        m.score[i] = m.good[i] as i64 - links[i] as i64 - listing as i64;
    }
}

/// Pass 4a: the element whose blocks are written out.
fn choose_container(
    dom: &Dom,
    body: u32,
    order: &[u32],
    p: &Params,
    m: &Measures,
) -> (u32, Vec<u32>) {
    let total = m.good[body as usize] as f32;
    if total == 0.0 {
        return (body, Vec::new());
    }
    let mut start = body;
    let mut best = (0u8, 0i64);
    for &i in order {
        let f = m.flags[i as usize];
        if f & MARKER == 0 || i == body {
            continue;
        }
        // itemprop=articleBody, then <article>/<main>, then a content-like class name.
        let tier = if f & STRONG_MARKER != 0 {
            3
        } else if f & SEMANTIC != 0 {
            2
        } else {
            1
        };
        let need = if f & STRONG_MARKER != 0 {
            p.marker_min_share * 0.6
        } else {
            p.marker_min_share
        };
        let g = m.good[i as usize];
        let score = m.score[i as usize];
        if g as f32 >= need * total && score > 0 && (tier, score) > best {
            best = (tier, score);
            start = i;
        }
    }
    let mut lead = lead_above(dom, body, start, p, m);
    let mut node = start;
    loop {
        let here = m.good[node as usize] as f32;
        // Only into wrappers: a paragraph, list or table is where narrowing stops.
        let next = dom
            .children(node)
            .filter(|&c| m.flags[c as usize] & DROPPED == 0)
            .max_by_key(|&c| m.good[c as usize])
            .filter(|&c| is_wrapper(dom.node(c).tag()));
        match next {
            Some(c)
                if m.good[c as usize] > 0
                    && m.good[c as usize] as f32 >= p.descend_share * here =>
            {
                // Good text before the child is the article's lead (a standfirst, an intro
                // paragraph in its own wrapper): its good paragraphs are written first.
                lead.extend(dom.children(node).take_while(|&k| k != c).filter(|&k| {
                    m.flags[k as usize] & DROPPED == 0 && m.good[k as usize] >= p.min_block_chars
                }));
                node = c
            }
            _ => return (node, lead),
        }
    }
}

/// The lead of a marked container: good paragraphs just before it (a standfirst or teaser
/// beside an `articleBody`; not a picture box named so, holding the picture and its caption), taken level by level while the parent holds little else, so a
/// listing or a sidebar before the article is never pulled in, and never above the article
/// element or into the body's top level (cookie and notification prompts). In document order.
fn lead_above(dom: &Dom, body: u32, start: u32, p: &Params, m: &Measures) -> Vec<u32> {
    let mut lead = Vec::new();
    let (mut node, mut kept) = (start, m.good[start as usize]);
    for _ in 0..LEAD_LEVELS {
        let parent = dom.node(node).parent;
        if parent == NONE
            || parent == body
            || !is_wrapper(dom.node(parent).tag())
            || matches!(dom.node(node).tag(), Some(Tag::Article | Tag::Main))
        {
            break;
        }
        let (mut before, mut pictures) = (Vec::new(), 0);
        for k in dom.children(parent).take_while(|&k| k != node) {
            let g = m.good[k as usize];
            if m.flags[k as usize] & DROPPED != 0 || g < p.min_block_chars {
                continue;
            }
            if names_image(dom.node(k)) && holds_image(dom, k) {
                pictures += g;
            } else {
                before.push(k);
            }
        }
        let add: u32 = before.iter().map(|&k| m.good[k as usize]).sum();
        let rest = m.good[parent as usize].saturating_sub(pictures);
        if ((kept + add) as f32) < p.descend_share * rest as f32 {
            break;
        }
        kept += add;
        lead.splice(0..0, before);
        node = parent;
    }
    lead
}

/// Whether `i` is or holds an image: a picture box before the article, its text a caption.
fn holds_image(dom: &Dom, i: u32) -> bool {
    dom.any_below(i, usize::MAX, |n| match &dom.node(n).data {
        Data::Element { tag, name, .. } if *tag == Tag::Figure || &*name.local == "img" => {
            Visit::Found
        }
        Data::Element { .. } => Visit::Descend,
        _ => Visit::Skip,
    })
}

/// How many levels above a marked container its lead is looked for.
const LEAD_LEVELS: usize = 2;

/// Pass 4b: the container's kept blocks as lines.
fn write_text(dom: &Dom, lead: &[u32], container: u32, p: &Params, m: &Measures) -> String {
    let mut out = Writer {
        trim_edges: p.trim_edges,
        ..Writer::default()
    };
    let keep = |block: u32| {
        let (t, l) = (m.text[block as usize], m.link[block as usize]);
        t > 0 && l as f32 <= p.max_link_density * t as f32
    };
    let kind = |block: u32, pre: bool| {
        let (t, l) = (m.text[block as usize], m.link[block as usize]);
        match dom.node(block).tag() {
            Some(Tag::H(_)) => Kind::Heading,
            Some(Tag::Li | Tag::Dt | Tag::Dd | Tag::Tr | Tag::Cell | Tag::Pre) => Kind::Item,
            _ if pre => Kind::Item,
            _ if t >= p.min_block_chars && l as f32 <= 0.33 * t as f32 => Kind::Good,
            _ => Kind::Short,
        }
    };
    // (node, owning block, inside <pre>, leaving, strictness): a leaving entry closes an
    // element; under a lead sibling only good paragraphs are written, under an article's
    // header only good paragraphs that read as sentences (a standfirst, not a headline, a
    // dateline or a URL).
    // The last short block checked for a dateline, and the answer.
    let mut dateline_of = (NONE, false);
    let mut stack = vec![(container, container, false, false, Strict::No)];
    stack.extend(
        lead.iter()
            .rev()
            .map(|&k| (k, k, false, false, Strict::Good)),
    );
    while let Some((i, owner, pre, leaving, strict)) = stack.pop() {
        let node = dom.node(i);
        if leaving {
            if let Some(tag) = node.tag() {
                out.request(tag.breaks());
            }
            continue;
        }
        if m.flags[i as usize] & DROPPED != 0 {
            continue;
        }
        let (owner, pre) = match &node.data {
            Data::Text(t) => {
                let k = kind(owner, pre);
                let wanted = match strict {
                    Strict::No => true,
                    // A long subheading before the container is a standfirst set as a
                    // heading (the `<h1>` is the title).
                    Strict::Good => {
                        k == Kind::Good
                            || k == Kind::Heading
                                && dom.node(owner).tag() != Some(Tag::H(1))
                                && m.text[owner as usize] >= 2 * p.min_block_chars
                    }
                    Strict::Sentence => k == Kind::Good && reads_as_sentence(dom, owner),
                };
                // A line that is only a date or a time is a dateline, not text.
                let wanted = wanted
                    && !(k == Kind::Short && m.text[owner as usize] <= DATELINE_MAX && {
                        if dateline_of.0 != owner {
                            // Past 8 digits or 10 letters it is no dateline: stop reading.
                            let (mut digits, mut letters) = (0, 0);
                            let text = dom.text_of_until(owner, 256, |new| {
                                digits += new.bytes().filter(u8::is_ascii_digit).count();
                                letters += new.chars().filter(|c| c.is_alphabetic()).count();
                                digits > 8 || letters > 10
                            });
                            dateline_of = (owner, is_dateline(&text));
                        }
                        dateline_of.1
                    });
                if keep(owner) && wanted {
                    let level = match dom.node(owner).tag() {
                        Some(Tag::H(l)) => l,
                        _ => 0,
                    };
                    out.text(t, pre, level, k);
                } else if !keep(owner) && m.text[owner as usize] > 0 {
                    out.links_dropped();
                }
                continue;
            }
            Data::Element { tag, .. } => {
                // Teaser cards after the article: their titles were dropped for their links,
                // their blurbs would be written.
                if strict == Strict::No
                    && i != container
                    && !tag.is_inline()
                    && out.has_good()
                    && is_teaser_card(dom, i, m, &keep)
                {
                    out.links_dropped();
                    continue;
                }
                match tag {
                    Tag::Br => out.request(1),
                    Tag::Cell => out.space(),
                    _ => out.request(tag.breaks()),
                }
                let owner = if tag.is_inline() { owner } else { i };
                (owner, pre || *tag == Tag::Pre)
            }
            Data::Document(_) => (owner, pre),
            Data::Other => continue,
        };
        // (A header holding the whole article, the container, is a misnamed wrapper.)
        let strict = if m.flags[i as usize] & ARTICLE_HEADER != 0 && i != container {
            strict.max(Strict::Sentence)
        } else {
            strict
        };
        stack.push((i, owner, pre, true, strict));
        let first = stack.len();
        stack.extend(dom.children(i).map(|c| (c, owner, pre, false, strict)));
        stack[first..].reverse();
    }
    out.finish()
}

/// Largest good text of a teaser card (a blurb, not an article).
const CARD_MAX_GOOD: u32 = 300;

/// Whether element `i` is one of a row of teaser cards: a sibling shares its tag
/// and class, and it holds a block dropped for its links (the teaser's title) beside a
/// little good text (its blurb).
fn is_teaser_card(dom: &Dom, i: u32, m: &Measures, keep: &impl Fn(u32) -> bool) -> bool {
    let good = m.good[i as usize];
    if good == 0 || good > CARD_MAX_GOOD {
        return false;
    }
    let node = dom.node(i);
    let (tag, class) = (node.tag(), node.attr(Attr::Class));
    let parent = node.parent;
    // Cards are templated boxes (a class), not table rows or list items.
    if parent == NONE
        || class.is_none_or(|c| c.trim().is_empty())
        || matches!(
            tag,
            Some(Tag::Tr | Tag::Cell | Tag::List | Tag::Li | Tag::Dl | Tag::Dt | Tag::Dd)
        )
    {
        return false;
    }
    let alike = dom
        .children(parent)
        .take(64)
        .filter(|&k| k != i && dom.node(k).tag() == tag && dom.node(k).attr(Attr::Class) == class)
        .count();
    alike >= 1 && has_link_block(dom, i, m, keep)
}

/// Whether a block under `i` (at most 64 nodes looked at) holds text but is dropped for its
/// links.
fn has_link_block(dom: &Dom, i: u32, m: &Measures, keep: &impl Fn(u32) -> bool) -> bool {
    dom.any_below(i, 64, |k| {
        if m.flags[k as usize] & DROPPED != 0 {
            Visit::Skip
        } else if m.text[k as usize] > 0 && m.link[k as usize] > 0 && !keep(k) {
            Visit::Found
        } else {
            Visit::Descend
        }
    })
}

/// Which blocks are written under a root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Strict {
    /// Every kept block.
    No,
    /// Good paragraphs only (a lead before the container).
    Good,
    /// Good paragraphs that read as sentences (in an article's header).
    Sentence,
}

/// Longest dateline, in non-space characters.
const DATELINE_MAX: u32 = 32;

/// Whether `text` is only a date or a time ("23.10.2018", "11 Jan 2019", "3:59 PM",
/// "05. Februar 2020"): 2 to 8 digits with a year (19xx, 20xx) or an `h:mm` time, and at most
/// a month name's worth of letters. Not a phone number (more digits) or a label with a date.
pub(crate) fn is_dateline(text: &str) -> bool {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if !(2..=8).contains(&digits) || letters > 10 {
        return false;
    }
    let b = text.as_bytes();
    let run = |i: usize, n: usize| i + n <= b.len() && b[i..i + n].iter().all(u8::is_ascii_digit);
    (0..b.len()).any(|i| {
        let starts = i == 0 || !b[i - 1].is_ascii_digit();
        starts
            && (run(i, 4) && !run(i, 5) && (b[i..].starts_with(b"19") || b[i..].starts_with(b"20"))
                || (run(i, 1) && b.get(i + 1) == Some(&b':') && run(i + 2, 2))
                || (run(i, 2) && b.get(i + 2) == Some(&b':') && run(i + 3, 2)))
    })
}

/// Whether a block's text ends as a sentence does.
fn reads_as_sentence(dom: &Dom, block: u32) -> bool {
    let text = dom.text_of(block, 4096);
    text.ends_with(SENTENCE_END) || text.ends_with(['?', ')', '“'])
}

/// What a written paragraph is, for trimming the edges of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A block long enough and not mostly links.
    Good,
    /// A short block: a byline, a date, a label, a call to action.
    Short,
    Heading,
    /// A list item, definition, table row or preformatted text.
    Item,
}

/// How a closing sentence ends (a short block ending so is text, not a label).
const SENTENCE_END: [char; 7] = ['.', '!', '…', '"', '”', '»', '\''];

/// A heading longer than this (bytes) is not taken for a label.
const LABEL_MAX_BYTES: usize = 100;

/// Whether a written heading is text set as a heading (a lead paragraph in `<h3>`), not the
/// title of a box: longer than a label or ending as a sentence.
fn is_text_heading(heading: &str) -> bool {
    let heading = heading.trim_end();
    heading.len() > LABEL_MAX_BYTES || heading.ends_with(SENTENCE_END)
}

/// Builds the output text: collapsed spaces, requested line breaks, no blank line runs.
#[derive(Default)]
struct Writer {
    out: String,
    /// Drop short blocks and headings after the last good block ("Related posts", "Was this
    /// helpful?", "Contact:").
    trim_edges: bool,
    /// Where each paragraph starts in `out`, and its kind.
    segments: Vec<(usize, Kind)>,
    pending: u8,
    space: bool,
    /// The last paragraph written is a heading of this level, starting at this byte: it is
    /// taken back if nothing but a heading of the same or a higher rank, or the end, follows
    /// (the title of a related-links box whose links were dropped).
    heading: Option<(u8, usize)>,
    /// The last paragraph written is a heading or a short block starting at this byte, and
    /// whether only link blocks (dropped) have come after it: a label of a related-links box
    /// ("Mehr zum Thema", "Read also:"), taken back when the next paragraph starts.
    label: Option<usize>,
    label_links: bool,
    /// A good paragraph has been written.
    good_written: bool,
}

impl Writer {
    fn request(&mut self, breaks: u8) {
        self.pending = self.pending.max(breaks);
    }

    fn space(&mut self) {
        self.space = true;
    }

    fn text(&mut self, t: &str, pre: bool, level: u8, kind: Kind) {
        if !pre && t.chars().all(char::is_whitespace) {
            if !t.is_empty() {
                self.space = true;
            }
            return;
        }
        let new_paragraph = self.pending > 0 || self.out.is_empty();
        if new_paragraph {
            self.take_back_label();
            if let Some((prev, start)) = self.heading {
                // A long heading or one ending as a sentence is text set as a heading.
                if level > 0 && level <= prev && !is_text_heading(&self.out[start..]) {
                    self.out.truncate(start);
                    self.segments.retain(|&(s, _)| s < start);
                }
            }
            self.label = matches!(kind, Kind::Heading | Kind::Short).then_some(self.out.len());
            self.segments.push((self.out.len(), kind));
            self.good_written |= kind == Kind::Good;
            self.heading = None;
            if level > 0 {
                self.heading = Some((level, self.out.len()));
            }
        } else if level == 0 {
            self.heading = None;
        }
        if !self.out.is_empty() {
            if self.pending > 0 {
                while self.out.ends_with(' ') {
                    self.out.pop();
                }
                for _ in 0..self.pending {
                    self.out.push('\n');
                }
            } else if self.space && !self.out.ends_with([' ', '\n']) {
                self.out.push(' ');
            }
        }
        self.pending = 0;
        self.space = false;
        if pre {
            self.out.push_str(t);
        } else {
            if t.starts_with(char::is_whitespace)
                && !self.out.ends_with([' ', '\n'])
                && !self.out.is_empty()
            {
                self.out.push(' ');
            }
            push_collapsed(&mut self.out, t);
        }
    }

    /// Whether a good paragraph has been written.
    fn has_good(&self) -> bool {
        self.good_written
    }

    /// A block dropped for its links was passed.
    fn links_dropped(&mut self) {
        if self.label.is_some() {
            self.label_links = true;
        }
    }

    /// Remove the last paragraph when it is a label of dropped links.
    fn take_back_label(&mut self) {
        if let (Some(start), true) = (self.label, self.label_links) {
            // A sentence or a long heading (a lead set as a heading) is not a label.
            let label = self.out[start..].trim_end();
            if label.len() > LABEL_MAX_BYTES || label.ends_with(SENTENCE_END) {
                self.label = None;
                self.label_links = false;
                return;
            }
            self.out.truncate(start);
            self.segments.retain(|&(s, _)| s < start);
            if self.heading.is_some_and(|(_, h)| h >= start) {
                self.heading = None;
            }
        }
        self.label = None;
        self.label_links = false;
    }

    fn finish(mut self) -> String {
        self.take_back_label();
        if let Some((_, start)) = self.heading {
            self.out.truncate(start);
            self.segments.retain(|&(s, _)| s < start);
        }
        if self.trim_edges {
            self.trim();
        }
        let mut text = String::with_capacity(self.out.len());
        let mut blank = 0;
        for line in self.out.split('\n') {
            let line = line.trim_end();
            if line.trim().is_empty() {
                blank += 1;
                continue;
            }
            if !text.is_empty() {
                text.push_str(if blank > 0 { "\n\n" } else { "\n" });
            }
            text.push_str(line);
            blank = 0;
        }
        text
    }
}

impl Writer {
    /// Cut short paragraphs and headings after the last good paragraph or list item (at the
    /// start, short blocks are as often the article's first lines as bylines and dates: they
    /// stay).
    fn trim(&mut self) {
        let segs = &self.segments;
        let Some(last) = segs
            .iter()
            .rposition(|s| matches!(s.1, Kind::Good | Kind::Item))
        else {
            return;
        };
        let out = &self.out;
        let end = |i: usize| segs.get(i + 1).map_or(out.len(), |s| s.0);
        // A short closing sentence stays; a label or question ("Contact:", "Related posts",
        // "Was this helpful?") goes.
        let drop = |i: usize, kind: Kind| {
            i > last
                && (kind == Kind::Heading
                    || kind == Kind::Short
                        && !out[segs[i].0..end(i)].trim_end().ends_with(SENTENCE_END))
        };
        if !segs.iter().enumerate().any(|(i, s)| drop(i, s.1)) {
            return;
        }
        let mut kept = String::with_capacity(out.len());
        for (i, &(start, kind)) in segs.iter().enumerate() {
            if !drop(i, kind) {
                kept.push_str(&out[start..end(i)]);
            }
        }
        self.out = kept;
    }
}

/// Non-space characters. Bytes are walked directly: ASCII is classified by a byte test and
/// only the first byte of a multi-byte character leads to decoding it (about 7% of the
/// extraction's instructions went to `chars().filter(..)`).
fn letters(t: &str) -> u32 {
    let b = t.as_bytes();
    let mut n = 0u32;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            n += u32::from(!matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' '));
            i += 1;
        } else {
            // A UTF-8 lead byte (the slice is valid UTF-8): decode this one character.
            let len = match c {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let ch = t[i..i + len].chars().next().unwrap_or(' ');
            n += u32::from(!ch.is_whitespace());
            i += len;
        }
    }
    n
}

/// Elements that are never main content, whatever their text.
fn never_content(tag: Tag, node: &super::dom::Node) -> bool {
    if matches!(
        tag,
        Tag::Script
            | Tag::Embed
            | Tag::Head
            | Tag::Title
            | Tag::Meta
            | Tag::Link
            | Tag::Nav
            | Tag::Figcaption
    ) {
        return true;
    }
    if node.attr(Attr::Hidden).is_some()
        || node
            .attr(Attr::AriaHidden)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return true;
    }
    if let Some(style) = node.attr(Attr::Style) {
        let s: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .take(400)
            .collect::<String>()
            .to_ascii_lowercase();
        if s.contains("display:none") || s.contains("visibility:hidden") {
            return true;
        }
    }
    matches!(
        node.attr(Attr::Role)
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("navigation" | "search" | "menu" | "menubar" | "dialog" | "alertdialog" | "tooltip")
    )
}

/// ARIA landmarks of page chrome that may still wrap the article on a broken page.
fn chrome_role(role: Option<&str>) -> bool {
    role.is_some_and(|r| {
        ["banner", "contentinfo", "complementary"]
            .iter()
            .any(|c| r.eq_ignore_ascii_case(c))
    })
}

/// Elements the container may narrow to.
fn is_wrapper(tag: Option<Tag>) -> bool {
    matches!(
        tag,
        Some(
            Tag::Div | Tag::Section | Tag::Article | Tag::Main | Tag::Form | Tag::Block | Tag::Body
        )
    )
}

/// Structural elements never dropped for their class name.
fn is_landmark(tag: Tag) -> bool {
    matches!(tag, Tag::Html | Tag::Body | Tag::Main | Tag::Article)
}

#[cfg(test)]
mod letter_tests {
    use super::letters;

    #[test]
    fn letters_counts_non_space_characters_as_chars_does() {
        for t in [
            "",
            " a b\tc\n",
            "Grüße\u{a0}aus\u{2009}Köln\u{3000}東京 \u{85}x\u{1F600}\u{0b}\u{0c}\r",
            "\u{2028}\u{2029}\u{202f}\u{205f}\u{1680}é",
        ] {
            let want = t.chars().filter(|c| !c.is_whitespace()).count() as u32;
            assert_eq!(letters(t), want, "{t:?}");
        }
    }
}
