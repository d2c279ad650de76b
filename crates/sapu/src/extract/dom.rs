//! The page as a flat arena of nodes, built by html5ever's spec-following tree builder, with
//! limits on input size, node count and nesting depth checked while parsing.
//!
//! An arena (one `Vec`, nodes linked by index) instead of reference-counted nodes: dropping a
//! 100,000-deep tree frees one vector instead of recursing, and walkers use explicit stacks.

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};

use html5ever::interface::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{parse_document, Attribute, LocalName, ParseOpts, QualName};

use super::tags::Tag;

/// "No node": the end of a sibling chain, or the parent of a detached node.
pub(crate) const NONE: u32 = u32::MAX;

/// Input is fed to the parser in pieces of this size, so a limit is noticed soon after it is
/// crossed; the tree builder's scope checks cost at most `max_depth` per tag in between.
const CHUNK: usize = 32 << 10;

/// What a node holds.
pub(crate) enum Data {
    /// The root; its name is what `elem_name` answers for a node that is not an element.
    Document(QualName),
    Element {
        tag: Tag,
        name: QualName,
        attrs: Vec<Attribute>,
        template: u32,
    },
    Text(StrTendril),
    /// Comments, processing instructions, template fragments: never text.
    Other,
}

/// One node, linked to its relatives by index.
pub(crate) struct Node {
    pub(crate) parent: u32,
    pub(crate) first_child: u32,
    pub(crate) last_child: u32,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    depth: u32,
    pub(crate) data: Data,
}

impl Node {
    fn new(data: Data) -> Node {
        Node {
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            prev: NONE,
            next: NONE,
            depth: 0,
            data,
        }
    }

    /// The element's tag, `None` for other nodes.
    pub(crate) fn tag(&self) -> Option<Tag> {
        match &self.data {
            Data::Element { tag, .. } => Some(*tag),
            _ => None,
        }
    }

    /// The value of attribute `name`, if this is an element that has it.
    pub(crate) fn attr(&self, name: Attr) -> Option<&str> {
        match &self.data {
            Data::Element { attrs, .. } => {
                let local = name.local();
                attrs
                    .iter()
                    .find(|a| a.name.local == local && a.name.ns.is_empty())
                    .map(|a| &*a.value)
            }
            _ => None,
        }
    }
}

/// The attributes the scorer and the metadata read (the prescan drops most others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attr {
    Class,
    Id,
    Role,
    Itemprop,
    Hidden,
    AriaHidden,
    Style,
    Lang,
    Datetime,
    Type,
    Content,
    Property,
    Name,
    HttpEquiv,
    Rel,
}

impl Attr {
    /// The interned name: comparing two is comparing two integers.
    fn local(self) -> LocalName {
        use html5ever::local_name as n;
        match self {
            Attr::Class => n!("class"),
            Attr::Id => n!("id"),
            Attr::Role => n!("role"),
            Attr::Itemprop => n!("itemprop"),
            Attr::Hidden => n!("hidden"),
            Attr::AriaHidden => n!("aria-hidden"),
            Attr::Style => n!("style"),
            Attr::Lang => n!("lang"),
            Attr::Datetime => n!("datetime"),
            Attr::Type => n!("type"),
            Attr::Content => n!("content"),
            Attr::Property => n!("property"),
            Attr::Name => n!("name"),
            Attr::HttpEquiv => n!("http-equiv"),
            Attr::Rel => n!("rel"),
        }
    }
}

/// Which limit a page crossed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// More input bytes than `max_bytes`.
    Bytes,
    /// More nodes than `max_nodes`.
    Nodes,
    /// Elements nested deeper than `max_depth`.
    Depth,
}

/// Bounds on one page's parse.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_bytes: usize,
    pub(crate) max_nodes: usize,
    pub(crate) max_depth: u32,
}

/// A parsed page.
pub(crate) struct Dom {
    pub(crate) nodes: Vec<Node>,
}

impl Dom {
    /// Parse `html` within `limits`.
    pub(crate) fn parse(html: &str, limits: Limits) -> Result<Dom, Limit> {
        if html.len() > limits.max_bytes {
            return Err(Limit::Bytes);
        }
        let html = super::prescan::simplify(html);
        // About one node per 25 bytes of simplified markup: room for most pages' nodes at
        // once, not a copy of the arena at every doubling (the pages untouched cost nothing).
        let mut nodes = Vec::with_capacity((html.len() / 16).min(limits.max_nodes) + 1);
        nodes.push(Node::new(Data::Document(QualName::new(
            None,
            html5ever::ns!(),
            html5ever::local_name!(""),
        ))));
        let sink = Sink {
            nodes: RefCell::new(nodes),
            limits,
            exceeded: Cell::new(None),
        };
        let mut parser = parse_document(sink, ParseOpts::default());
        let mut rest: &str = &html;
        while !rest.is_empty() {
            let mut cut = rest.len().min(CHUNK);
            while !rest.is_char_boundary(cut) {
                cut += 1;
            }
            parser.process(StrTendril::from_slice(&rest[..cut]));
            rest = &rest[cut..];
            if let Some(limit) = parser.tokenizer.sink.sink.exceeded.get() {
                return Err(limit);
            }
        }
        let sink = parser.finish();
        match sink.exceeded.get() {
            Some(limit) => Err(limit),
            None => Ok(Dom {
                nodes: sink.nodes.into_inner(),
            }),
        }
    }

    pub(crate) fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    /// The children of node `i`, in order.
    pub(crate) fn children(&self, i: u32) -> Children<'_> {
        Children {
            dom: self,
            next: self.node(i).first_child,
        }
    }

    /// The first element with this tag among the children of `i`.
    pub(crate) fn child_with_tag(&self, i: u32, tag: Tag) -> Option<u32> {
        self.children(i).find(|&c| self.node(c).tag() == Some(tag))
    }

    /// The `<body>` (html5ever always makes one), else the document.
    pub(crate) fn body(&self) -> u32 {
        self.child_with_tag(0, Tag::Html)
            .and_then(|h| self.child_with_tag(h, Tag::Body))
            .unwrap_or(0)
    }

    /// Whether `visit` finds a node in the subtree of `i` (`i` included), looking at no more
    /// than `max_nodes` nodes (explicit stack, last child first).
    pub(crate) fn any_below(
        &self,
        i: u32,
        max_nodes: usize,
        mut visit: impl FnMut(u32) -> Visit,
    ) -> bool {
        let mut stack = vec![i];
        let mut seen = 0;
        while let Some(n) = stack.pop() {
            seen += 1;
            if seen > max_nodes {
                return false;
            }
            match visit(n) {
                Visit::Found => return true,
                Visit::Descend => stack.extend(self.children(n)),
                Visit::Skip => {}
            }
        }
        false
    }

    /// The text of node `i` and its descendants, whitespace collapsed (explicit stack).
    pub(crate) fn text_of(&self, i: u32, cap: usize) -> String {
        self.text_of_until(i, cap, |_| false)
    }

    /// As [`Dom::text_of`], but stopping early, with the text so far, once `enough` (shown
    /// each text node's addition) says the caller's question is settled.
    pub(crate) fn text_of_until(
        &self,
        i: u32,
        cap: usize,
        mut enough: impl FnMut(&str) -> bool,
    ) -> String {
        let mut out = String::new();
        let mut stack = vec![i];
        while let Some(n) = stack.pop() {
            if out.len() >= cap {
                break;
            }
            match &self.node(n).data {
                Data::Text(t) => {
                    let before = out.len();
                    push_collapsed(&mut out, t);
                    if enough(&out[before..]) {
                        break;
                    }
                }
                Data::Element { tag, .. } if n != i && tag.is_raw_text() => {}
                _ => {
                    let first = stack.len();
                    stack.extend(self.children(n));
                    stack[first..].reverse();
                }
            }
        }
        out.trim().to_string()
    }
}

/// What [`Dom::any_below`] does with a node.
pub(crate) enum Visit {
    /// This is the node looked for.
    Found,
    /// Look at its children.
    Descend,
    /// Not this node, nor anything under it.
    Skip,
}

/// Append `text` with runs of whitespace collapsed to one space.
pub(crate) fn push_collapsed(out: &mut String, text: &str) {
    let mut space = out.ends_with(' ') || out.is_empty();
    // Runs of non-space characters are copied whole.
    let mut run = 0;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if run < i {
                out.push_str(&text[run..i]);
                space = false;
            }
            if !space {
                out.push(' ');
                space = true;
            }
            run = i + c.len_utf8();
        }
    }
    out.push_str(&text[run..]);
}

pub(crate) struct Children<'a> {
    dom: &'a Dom,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let cur = self.next;
        self.next = self.dom.node(cur).next;
        Some(cur)
    }
}

/// The tree builder's side of the arena.
struct Sink {
    nodes: RefCell<Vec<Node>>,
    limits: Limits,
    exceeded: Cell<Option<Limit>>,
}

impl Sink {
    fn push(&self, data: Data) -> u32 {
        let mut nodes = self.nodes.borrow_mut();
        if nodes.len() >= self.limits.max_nodes {
            self.exceeded.set(Some(Limit::Nodes));
        }
        nodes.push(Node::new(data));
        (nodes.len() - 1) as u32
    }

    fn detach(nodes: &mut [Node], child: u32) {
        let (parent, prev, next) = {
            let c = &nodes[child as usize];
            (c.parent, c.prev, c.next)
        };
        if parent == NONE {
            return;
        }
        if prev != NONE {
            nodes[prev as usize].next = next;
        } else {
            nodes[parent as usize].first_child = next;
        }
        if next != NONE {
            nodes[next as usize].prev = prev;
        } else {
            nodes[parent as usize].last_child = prev;
        }
        let c = &mut nodes[child as usize];
        c.parent = NONE;
        c.prev = NONE;
        c.next = NONE;
    }

    fn set_depth(&self, nodes: &mut [Node], child: u32, parent: u32) {
        let depth = nodes[parent as usize].depth + 1;
        nodes[child as usize].depth = depth;
        if depth > self.limits.max_depth {
            self.exceeded.set(Some(Limit::Depth));
        }
    }

    fn append_node(&self, parent: u32, child: u32) {
        let mut nodes = self.nodes.borrow_mut();
        Self::detach(&mut nodes, child);
        let last = nodes[parent as usize].last_child;
        {
            let c = &mut nodes[child as usize];
            c.parent = parent;
            c.prev = last;
        }
        if last != NONE {
            nodes[last as usize].next = child;
        } else {
            nodes[parent as usize].first_child = child;
        }
        nodes[parent as usize].last_child = child;
        self.set_depth(&mut nodes, child, parent);
    }

    fn insert_before(&self, sibling: u32, child: u32) {
        let mut nodes = self.nodes.borrow_mut();
        Self::detach(&mut nodes, child);
        let (parent, prev) = {
            let s = &nodes[sibling as usize];
            (s.parent, s.prev)
        };
        if parent == NONE {
            return;
        }
        {
            let c = &mut nodes[child as usize];
            c.parent = parent;
            c.prev = prev;
            c.next = sibling;
        }
        nodes[sibling as usize].prev = child;
        if prev != NONE {
            nodes[prev as usize].next = child;
        } else {
            nodes[parent as usize].first_child = child;
        }
        self.set_depth(&mut nodes, child, parent);
    }

    /// Append text to node `at` when it is a text node; true when done.
    fn merge_text(&self, at: u32, text: &StrTendril) -> bool {
        if at == NONE {
            return false;
        }
        let mut nodes = self.nodes.borrow_mut();
        if let Data::Text(t) = &mut nodes[at as usize].data {
            t.push_tendril(text);
            return true;
        }
        false
    }
}

impl TreeSink for Sink {
    type Handle = u32;
    type Output = Self;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> u32 {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a u32) -> Ref<'a, QualName> {
        // html5ever asks only for elements' names; node 0 is always the document.
        Ref::map(self.nodes.borrow(), |nodes| {
            match (&nodes[*target as usize].data, &nodes[0].data) {
                (Data::Element { name, .. }, _) | (_, Data::Document(name)) => name,
                _ => unreachable!("node 0 is the document"),
            }
        })
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> u32 {
        let template = if flags.template {
            self.push(Data::Other)
        } else {
            NONE
        };
        let tag = Tag::of(&name);
        self.push(Data::Element {
            tag,
            name,
            attrs,
            template,
        })
    }

    fn create_comment(&self, _text: StrTendril) -> u32 {
        self.push(Data::Other)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> u32 {
        self.push(Data::Other)
    }

    fn append(&self, parent: &u32, child: NodeOrText<u32>) {
        match child {
            NodeOrText::AppendNode(n) => self.append_node(*parent, n),
            NodeOrText::AppendText(text) => {
                let last = self.nodes.borrow()[*parent as usize].last_child;
                if !self.merge_text(last, &text) {
                    let n = self.push(Data::Text(text));
                    self.append_node(*parent, n);
                }
            }
        }
    }

    fn append_based_on_parent_node(&self, element: &u32, prev: &u32, child: NodeOrText<u32>) {
        let has_parent = self.nodes.borrow()[*element as usize].parent != NONE;
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &u32) -> u32 {
        match &self.nodes.borrow()[*target as usize].data {
            Data::Element { template, .. } if *template != NONE => *template,
            _ => *target,
        }
    }

    fn same_node(&self, x: &u32, y: &u32) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &u32, child: NodeOrText<u32>) {
        match child {
            NodeOrText::AppendNode(n) => self.insert_before(*sibling, n),
            NodeOrText::AppendText(text) => {
                let prev = self.nodes.borrow()[*sibling as usize].prev;
                if !self.merge_text(prev, &text) {
                    let n = self.push(Data::Text(text));
                    self.insert_before(*sibling, n);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &u32, new: Vec<Attribute>) {
        let mut nodes = self.nodes.borrow_mut();
        if let Data::Element { attrs, .. } = &mut nodes[*target as usize].data {
            for a in new {
                if !attrs.iter().any(|b| b.name == a.name) {
                    attrs.push(a);
                }
            }
        }
    }

    fn remove_from_parent(&self, target: &u32) {
        Self::detach(&mut self.nodes.borrow_mut(), *target);
    }

    fn reparent_children(&self, node: &u32, new_parent: &u32) {
        loop {
            let first = self.nodes.borrow()[*node as usize].first_child;
            if first == NONE {
                break;
            }
            self.append_node(*new_parent, first);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_collapsed_collapses_every_whitespace_run_to_one_space() {
        for (before, text, want) in [
            ("", "  a  b\t\nc ", "a b c "),
            ("x", " \u{a0}é\u{2009}\u{3000}ü", "x é ü"),
            ("x ", "\n y", "x y"),
            ("", "", ""),
            ("x", "yz", "xyz"),
        ] {
            let mut out = before.to_string();
            push_collapsed(&mut out, text);
            assert_eq!(out, want, "{text:?}");
        }
    }
}
