//! HTML element kinds the extractor distinguishes, decided once per element at parse time.

use html5ever::QualName;

/// An element kind; `Block` and `Inline` stand for every other element of that display type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Html,
    Head,
    Body,
    Title,
    Meta,
    Link,
    /// script, style, template, noscript and friends: never text.
    Script,
    /// Embedded objects and controls: svg, math, iframe, video, button, select, ...
    Embed,
    Nav,
    Aside,
    Header,
    Footer,
    Form,
    Main,
    Article,
    Section,
    Div,
    P,
    H(u8),
    List,
    Li,
    Dl,
    Dt,
    Dd,
    Table,
    Tr,
    Cell,
    Pre,
    Blockquote,
    Figure,
    Figcaption,
    Br,
    Hr,
    A,
    Time,
    Block,
    Inline,
}

impl Tag {
    /// The kind of an element name; non-HTML elements (inside svg or math) are inline.
    pub(crate) fn of(name: &QualName) -> Tag {
        use Tag::*;
        if name.ns != html5ever::ns!(html) {
            return Inline;
        }
        match &*name.local {
            "html" => Html,
            "head" => Head,
            "body" => Body,
            "title" => Title,
            "meta" => Meta,
            "link" => Link,
            "script" | "style" | "noscript" | "template" | "noframes" | "noembed" | "xmp" => Script,
            "svg" | "math" | "iframe" | "object" | "embed" | "canvas" | "video" | "audio"
            | "picture" | "map" | "button" | "input" | "select" | "textarea" | "option"
            | "dialog" | "frameset" | "frame" | "applet" => Embed,
            "nav" | "menu" => Nav,
            "aside" => Aside,
            "header" => Header,
            "footer" => Footer,
            "form" => Form,
            "main" => Main,
            "article" => Article,
            "section" => Section,
            "div" | "center" => Div,
            "p" => P,
            "h1" => H(1),
            "h2" => H(2),
            "h3" => H(3),
            "h4" => H(4),
            "h5" => H(5),
            "h6" => H(6),
            "ul" | "ol" => List,
            "li" => Li,
            "dl" => Dl,
            "dt" => Dt,
            "dd" => Dd,
            "table" => Table,
            "tr" => Tr,
            "td" | "th" => Cell,
            "pre" | "listing" | "plaintext" => Pre,
            "blockquote" => Blockquote,
            "figure" => Figure,
            "figcaption" => Figcaption,
            "br" => Br,
            "hr" => Hr,
            "a" => A,
            "time" => Time,
            "abbr" | "b" | "bdi" | "bdo" | "big" | "cite" | "code" | "data" | "del" | "dfn"
            | "em" | "font" | "i" | "img" | "ins" | "kbd" | "label" | "mark" | "nobr" | "q"
            | "s" | "samp" | "small" | "span" | "strike" | "strong" | "sub" | "sup" | "tt"
            | "u" | "var" | "wbr" | "acronym" | "ruby" | "rt" | "rp" | "output" | "meter"
            | "progress" | "slot" => Inline,
            _ => Block,
        }
    }

    /// Elements whose content is never page text.
    pub(crate) fn is_raw_text(self) -> bool {
        matches!(self, Tag::Script | Tag::Embed | Tag::Title | Tag::Head)
    }

    /// Elements that flow inside a line (their text belongs to the enclosing block).
    pub(crate) fn is_inline(self) -> bool {
        matches!(self, Tag::Inline | Tag::A | Tag::Time | Tag::Br)
    }

    /// Line breaks around a block when written out: 2 for paragraphs, 1 for lines of a list or
    /// table, 0 inside a line.
    pub(crate) fn breaks(self) -> u8 {
        match self {
            Tag::Li | Tag::Dt | Tag::Dd | Tag::Tr | Tag::Br => 1,
            Tag::Cell => 0,
            t if t.is_inline() => 0,
            _ => 2,
        }
    }
}
