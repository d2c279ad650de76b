//! The words and lines of a document, split once and shared by every filter that asks for them.
//!
//! The four quality filters each need datatrove's words of the same text, and splitting them is
//! most of their cost. [`with_words`] remembers, per thread, the word spans of the last text it
//! split; [`with_python_lines`] likewise the [`python_lines`] of the last text it split
//! (`gopher_quality` and `c4_quality` both walk them). The engine runs a document through all its document stages on one thread, one stage
//! after the other, so `gopher_repetition`, `gopher_quality`, `c4_quality` and
//! `fineweb_quality` split each document once between them. The key is a copy of the text,
//! compared byte for byte with the text asked about (and the word rules), so a changed or
//! different document never gets another one's words; the copy and the comparison cost a
//! `memcpy`/`memcmp` of the text, far less than splitting it. Texts over [`MAX_CACHED`] bytes are
//! split without being remembered, so a thread never holds on to a huge document.

use std::cell::RefCell;
use std::ops::Range;

use super::python_lines;
use super::words::{split_words_into, WordRules, WordSink};

/// Largest text (bytes) whose words are remembered.
pub const MAX_CACHED: usize = 1 << 20;

/// The words of one text: byte ranges into it, in order.
#[derive(Clone, Copy)]
pub struct Words<'a> {
    text: &'a str,
    spans: &'a [Range<usize>],
}

impl<'a> Words<'a> {
    /// Number of words.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`-th word.
    pub fn get(&self, i: usize) -> &'a str {
        &self.text[self.spans[i].clone()]
    }

    /// The words in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        let text = self.text;
        self.spans.iter().map(move |r| &text[r.clone()])
    }

    /// The text the words were split from.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Byte ranges of the words in the text.
    pub fn spans(&self) -> &'a [Range<usize>] {
        self.spans
    }

    /// The words lying within bytes `range` of the text (a line, say), as a view of their own.
    /// Words never straddle whitespace, so for a range cut at whitespace these are exactly the
    /// words of that piece of text.
    pub fn within(&self, range: Range<usize>) -> Words<'a> {
        let lo = self.spans.partition_point(|s| s.start < range.start);
        let hi = lo + self.spans[lo..].partition_point(|s| s.end <= range.end);
        Words {
            text: self.text,
            spans: &self.spans[lo..hi],
        }
    }
}

#[derive(Default)]
struct Cache {
    rules: Option<WordRules>,
    text: String,
    spans: Vec<Range<usize>>,
    /// Scratch for the splitter's word slices, kept empty between documents so its memory is
    /// reused instead of allocated (and first touched) for every document.
    scratch: Vec<&'static str>,
}

thread_local! {
    static LAST: RefCell<Cache> = RefCell::new(Cache::default());
}

/// An empty vector of slices with the allocation of `v`, for slices of another lifetime: the
/// element types have the same layout, so collecting the (empty) iterator reuses the buffer.
fn relifetime<'b>(mut v: Vec<&str>) -> Vec<&'b str> {
    v.clear();
    v.into_iter().map(|_| unreachable!()).collect()
}

/// The splitter's words as byte ranges: the common ones come as ranges already, the others
/// (as slices, through `tmp`) are turned into ranges.
struct SpanSink<'s, 'a> {
    text: &'a str,
    spans: &'s mut Vec<Range<usize>>,
    tmp: Vec<&'a str>,
}

impl<'a> WordSink<'a> for SpanSink<'_, 'a> {
    #[inline]
    fn push_range(&mut self, _text: &'a str, start: usize, end: usize) {
        self.spans.push(start..end);
    }

    #[inline]
    fn with_vec(&mut self, f: impl FnOnce(&mut Vec<&'a str>)) {
        f(&mut self.tmp);
        let text = self.text;
        self.spans
            .extend(self.tmp.drain(..).map(|w| super::range_in(text, w)));
    }
}

/// Split `text` into `spans`, using `scratch` for the splitter's slices (left empty after).
fn spans_of(
    text: &str,
    rules: WordRules,
    spans: &mut Vec<Range<usize>>,
    scratch: &mut Vec<&'static str>,
) {
    spans.clear();
    let mut sink = SpanSink {
        text,
        spans,
        tmp: relifetime(std::mem::take(scratch)),
    };
    split_words_into(text, rules, &mut sink);
    *scratch = relifetime(sink.tmp);
}

/// Call `f` with the words of `text` under `rules`, splitting `text` only when it is not the
/// text this thread split last.
pub fn with_words<R>(text: &str, rules: WordRules, f: impl FnOnce(Words<'_>) -> R) -> R {
    if text.len() > MAX_CACHED {
        return uncached(text, rules, f);
    }
    LAST.with(|cell| {
        // A nested call (from inside `f`) splits without the cache.
        let Ok(mut c) = cell.try_borrow_mut() else {
            return uncached(text, rules, f);
        };
        if c.rules != Some(rules) || c.text != text {
            c.rules = Some(rules);
            c.text.clear();
            c.text.push_str(text);
            let c = &mut *c;
            spans_of(text, rules, &mut c.spans, &mut c.scratch);
        }
        f(Words {
            text,
            spans: &c.spans,
        })
    })
}

/// The last text whose lines [`with_python_lines`] split, and their byte ranges.
#[derive(Default)]
struct LineCache {
    text: String,
    lines: Vec<Range<usize>>,
}

thread_local! {
    static LAST_LINES: RefCell<LineCache> = RefCell::new(LineCache::default());
}

/// Byte ranges of the [`python_lines`] of `text`, into `out`.
fn line_spans(text: &str, out: &mut Vec<Range<usize>>) {
    out.clear();
    out.extend(python_lines(text).map(|l| super::range_in(text, l)));
}

/// Call `f` with the byte ranges of the [`python_lines`] of `text`, splitting `text` only when
/// it is not the text this thread split last (the same rules as [`with_words`]).
pub fn with_python_lines<R>(text: &str, f: impl FnOnce(&[Range<usize>]) -> R) -> R {
    LAST_LINES.with(|cell| {
        // A huge text, or a nested call (from inside `f`), is split without the cache.
        let mut guard = cell
            .try_borrow_mut()
            .ok()
            .filter(|_| text.len() <= MAX_CACHED);
        let Some(c) = guard.as_deref_mut() else {
            let mut lines = Vec::new();
            line_spans(text, &mut lines);
            return f(&lines);
        };
        if c.text != text {
            c.text.clear();
            c.text.push_str(text);
            line_spans(text, &mut c.lines);
        }
        f(&c.lines)
    })
}

fn uncached<R>(text: &str, rules: WordRules, f: impl FnOnce(Words<'_>) -> R) -> R {
    let mut spans = Vec::new();
    spans_of(text, rules, &mut spans, &mut Vec::new());
    f(Words {
        text,
        spans: &spans,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str, rules: WordRules) -> Vec<String> {
        with_words(text, rules, |w| w.iter().map(String::from).collect())
    }

    #[test]
    fn gives_the_words_of_the_text_asked_about() {
        let a = "Hello, world!";
        assert_eq!(collect(a, WordRules::English), ["Hello", ",", "world", "!"]);
        // same text again (cached), an equal text at another address, then a different one
        assert_eq!(collect(a, WordRules::English), ["Hello", ",", "world", "!"]);
        let copy = String::from(a);
        assert_eq!(
            collect(&copy, WordRules::English),
            ["Hello", ",", "world", "!"]
        );
        assert_eq!(collect("Hello, world?", WordRules::English)[3], "?");
        // same text, other rules
        assert_eq!(collect("buku-nya", WordRules::Indonesian), ["buku", "-nya"]);
        assert_eq!(
            collect("buku-nya", WordRules::English),
            ["buku", "-", "nya"]
        );
    }

    #[test]
    fn nested_calls_and_huge_texts_work_without_the_cache() {
        let got = with_words("one two", WordRules::English, |outer| {
            let inner = collect("three four five", WordRules::English);
            (outer.len(), inner.len())
        });
        assert_eq!(got, (2, 3));
        let big = "word ".repeat(MAX_CACHED / 5 + 1);
        assert_eq!(
            with_words(&big, WordRules::English, |w| w.len()),
            MAX_CACHED / 5 + 1
        );
    }

    /// The ranges the splitter writes for the cache are the slices it gives [`split_words`]
    /// (plain words, words with a mark, special cases, affixes, non-ASCII text and spaces).
    #[test]
    fn spans_are_the_slices_of_split_words() {
        let texts = [
            "Hello, world! It's 10am; don't stop: cannot (really) U.S.A. e-mail $5.00 ...",
            "Rp10.000 USD5 buku-nya \u{201c}kata\u{201d} caf\u{e9} na\u{ef}ve \u{3000}x\u{a0}y 12km",
            "a\tb\n\nc  d\u{2028}e Mr. Smith's 3rd; \"quoted\" (x) [y] {z} #tag @user http://a.b/c?d=e",
            "",
            "   ",
            "word",
        ];
        let mut long = String::new();
        for i in 0..400 {
            long.push_str(
                [
                    "x ",
                    "y, ",
                    "Dont ",
                    "z. ",
                    "(q) ",
                    "\u{e9}t\u{e9} ",
                    "ab-cd ",
                ][i % 7],
            );
            long.push_str(&"w".repeat(i % 23));
            long.push(' ');
        }
        for rules in [WordRules::English, WordRules::Indonesian, WordRules::Malay] {
            for text in texts.iter().copied().chain([long.as_str()]) {
                let mut plain = Vec::new();
                super::super::words::split_words(text, rules, &mut plain);
                let want: Vec<Range<usize>> = plain
                    .iter()
                    .map(|w| super::super::range_in(text, w))
                    .collect();
                let mut spans = vec![0..1, 2..3];
                spans_of(text, rules, &mut spans, &mut Vec::new());
                assert_eq!(spans, want, "{rules:?}: {text}");
            }
        }
    }

    #[test]
    fn the_scratch_buffer_keeps_its_allocation_across_lifetimes() {
        let text = String::from("a b c");
        let mut v: Vec<&str> = Vec::with_capacity(64);
        v.extend(text.split(' '));
        let ptr = v.as_ptr() as usize;
        let back: Vec<&'static str> = relifetime(v);
        assert!(back.is_empty());
        assert_eq!(back.capacity(), 64);
        assert_eq!(back.as_ptr() as usize, ptr);
    }

    #[test]
    fn gives_the_python_lines_of_the_text_asked_about() {
        let lines = |t: &str| -> Vec<String> {
            with_python_lines(t, |ls| {
                ls.iter().map(|r| t[r.clone()].to_string()).collect()
            })
        };
        let a = "one\r\ntwo\u{2028}three\n";
        assert_eq!(lines(a), ["one", "two", "three"]);
        // cached, an equal copy, then another text; nested calls work without the cache
        assert_eq!(lines(a), ["one", "two", "three"]);
        assert_eq!(lines(&String::from(a)), ["one", "two", "three"]);
        assert_eq!(lines("x\ny"), ["x", "y"]);
        let nested = with_python_lines("p\nq", |outer| (outer.len(), lines("r\ns\nt").len()));
        assert_eq!(nested, (2, 3));
        assert!(lines("").is_empty());
    }

    #[test]
    fn within_selects_the_words_of_a_range() {
        let text = "First line here.\nSecond, line.";
        with_words(text, WordRules::English, |w| {
            let second = w.within(17..text.len());
            let got: Vec<&str> = second.iter().collect();
            assert_eq!(got, ["Second", ",", "line", "."]);
            assert_eq!(w.within(0..16).len(), 4);
            assert_eq!(w.within(16..17).len(), 0);
        });
    }
}
