//! Word splitting as datatrove counts words: spaCy's blank-language tokenizer (what datatrove's
//! `split_into_words` runs for `eng`, `ind` and `zsm`) re-implemented without regular
//! expressions, returning slices of the input.
//!
//! The algorithm follows spaCy 3.8's `Tokenizer`: split on whitespace; for each chunk, look up
//! the language's special cases; else strip prefixes and suffixes one at a time (re-checking
//! special cases), then split the remaining core on infixes unless it is a URL. The rule lists
//! (prefix, suffix and infix alternatives, their order and lookarounds) are spaCy's `en` and
//! `id`/`ms` punctuation rules; the special cases are generated data (`data/spacy_*.txt`).
//! Whitespace tokens are dropped, as datatrove's `strip_strings` drops them. Known gap: spaCy's
//! post-pass that re-merges special cases spanning several affix tokens is not reproduced.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::chars::{
    is_space, is_spacy_alpha as alpha, is_spacy_icon as icon, is_spacy_lower as lower,
    is_spacy_upper as upper,
};

/// Which spaCy rule set splits words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordRules {
    /// spaCy `en` (datatrove's tokenizer for `eng`, and our default for unknown languages).
    English,
    /// spaCy `id` (datatrove's tokenizer for `ind`).
    Indonesian,
    /// spaCy `ms` (datatrove's tokenizer for `zsm`/`msa`).
    Malay,
}

impl WordRules {
    /// The rules datatrove uses for an ISO 639-3 code (`eng`, `ind`, `zsm`, ...); English for
    /// anything else.
    pub fn for_language(code: &str) -> WordRules {
        match code {
            "ind" | "id" => WordRules::Indonesian,
            "zsm" | "msa" | "ms" | "jav" | "sun" => WordRules::Malay,
            _ => WordRules::English,
        }
    }

    fn specials(self) -> &'static Specials {
        static EN: OnceLock<Specials> = OnceLock::new();
        static ID: OnceLock<Specials> = OnceLock::new();
        static MS: OnceLock<Specials> = OnceLock::new();
        match self {
            WordRules::English => EN.get_or_init(|| {
                Specials::parse(include_str!("data/spacy_en.txt")).with_merges(self)
            }),
            WordRules::Indonesian => ID.get_or_init(|| {
                Specials::parse(include_str!("data/spacy_id.txt")).with_merges(self)
            }),
            WordRules::Malay => MS.get_or_init(|| {
                Specials::parse(include_str!("data/spacy_ms.txt")).with_merges(self)
            }),
        }
    }

    /// Currency codes and signs that spaCy strips as prefixes, in its alternation order.
    fn currencies(self) -> &'static [&'static str] {
        match self {
            WordRules::English => BASE_CURRENCY_MULTI,
            WordRules::Indonesian => ID_CURRENCY_MULTI,
            WordRules::Malay => MS_CURRENCY_MULTI,
        }
    }

    fn is_id_family(self) -> bool {
        !matches!(self, WordRules::English)
    }
}

/// Special cases: chunk -> byte lengths of its tokens (empty: one token).
/// FxHash (rustc's hasher): much faster than SipHash for short string keys, and the keys are
/// fixed data, not attacker-chosen.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }
}

/// Builds [`FxHasher`]s, for hash maps and sets keyed by text.
pub(crate) type FxBuild = std::hash::BuildHasherDefault<FxHasher>;
type FxMap<K, V> = HashMap<K, V, FxBuild>;

struct Specials {
    map: FxMap<&'static str, Vec<u16>>,
    /// One bit per (length, first byte, last byte) signature of the keys of `map`: most
    /// chunks are not special cases, and this rejects them without touching the large map.
    filter: Vec<u64>,
    /// Whether some all-ASCII-alphanumeric chunk splits (English: "cannot", "10am" ...).
    alnum_splits: bool,
    /// Special cases the affix rules would split, with the number of pieces they split into:
    /// spaCy re-merges such pieces after tokenizing (its special-case matcher), e.g. `kg` `.`
    /// -> `kg.`, `)` `:` -> `):`.
    merges: FxMap<&'static str, usize>,
    max_merge: usize,
}

impl Specials {
    fn parse(data: &'static str) -> Specials {
        let mut map = FxMap::default();
        let mut alnum_splits = false;
        for line in data
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let pieces: Vec<&str> = line.split('\t').collect();
            // The line is the chunk with tabs between its tokens: the chunk is a slice of the
            // static data only when there is one token, so rebuild it otherwise.
            let orth: &'static str = if pieces.len() == 1 {
                line
            } else {
                Box::leak(pieces.concat().into_boxed_str())
            };
            let lens = if pieces.len() == 1 {
                Vec::new()
            } else {
                if orth.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    alnum_splits = true;
                }
                pieces.iter().map(|p| p.len() as u16).collect()
            };
            map.insert(orth, lens);
        }
        let mut filter = vec![0u64; FILTER_BITS / 64];
        for k in map.keys() {
            let i = filter_index(k);
            filter[i / 64] |= 1 << (i % 64);
        }
        Specials {
            map,
            filter,
            alnum_splits,
            merges: FxMap::default(),
            max_merge: 0,
        }
    }

    /// Whether `s` may be a special case (no false negatives).
    #[inline]
    fn maybe(&self, s: &str) -> bool {
        let i = filter_index(s);
        self.filter[i / 64] & (1 << (i % 64)) != 0
    }

    /// The special case `s`, if it is one.
    #[inline]
    fn get(&self, s: &str) -> Option<&Vec<u16>> {
        if self.maybe(s) {
            self.map.get(s)
        } else {
            None
        }
    }

    /// Whether `s` is a special case.
    #[inline]
    fn contains(&self, s: &str) -> bool {
        self.maybe(s) && self.map.contains_key(s)
    }

    fn with_merges(mut self, rules: WordRules) -> Specials {
        let none = Specials {
            map: FxMap::default(),
            filter: vec![0u64; FILTER_BITS / 64],
            alnum_splits: false,
            merges: FxMap::default(),
            max_merge: 0,
        };
        let mut out = Vec::new();
        let mut suffixes = Vec::new();
        for &orth in self.map.keys() {
            if orth.bytes().all(|b| b.is_ascii_alphanumeric()) {
                continue;
            }
            out.clear();
            tokenize_chunk(orth, rules, &none, &mut out, &mut suffixes);
            if out.len() > 1 {
                self.merges.insert(orth, out.len());
                self.max_merge = self.max_merge.max(out.len());
            }
        }
        self
    }
}

const FILTER_BITS: usize = 1 << 16;

/// Bit of [`Specials::filter`] for a string: a mix of its length and first and last bytes.
#[inline]
fn filter_index(s: &str) -> usize {
    let b = s.as_bytes();
    let (first, last) = match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => (u32::from(f), u32::from(l)),
        _ => (0, 0),
    };
    let h = (b.len() as u32).wrapping_mul(0x9E37_79B1)
        ^ first.wrapping_mul(0x85EB_CA77)
        ^ last.wrapping_mul(0xC2B2_AE3D);
    (h.wrapping_mul(0x27D4_EB2F) >> 16) as usize
}

const BASE_CURRENCY_MULTI: &[&str] = &["US$", "C$", "A$"];
const ID_CURRENCY_MULTI: &[&str] = &["US$", "C$", "A$", "USD", "Rp", "IDR", "RMB", "SGD", "S$"];
const MS_CURRENCY_MULTI: &[&str] = &[
    "US$", "C$", "A$", "USD", "RM", "MYR", "Rp", "IDR", "RMB", "SGD", "S$",
];

/// Single-character currency signs (spaCy `_currency`).
fn is_currency_char(c: char) -> bool {
    matches!(c, '$' | '£' | '€' | '¥' | '฿' | '₽' | '﷼' | '₴' | '₠'..='₿')
}

/// spaCy `LIST_PUNCT` single characters.
fn is_list_punct(c: char) -> bool {
    matches!(
        c,
        '…' | ','
            | ':'
            | ';'
            | '!'
            | '?'
            | '¿'
            | '؟'
            | '¡'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '_'
            | '#'
            | '*'
            | '&'
            | '。'
            | '？'
            | '！'
            | '，'
            | '、'
            | '；'
            | '：'
            | '～'
            | '·'
            | '।'
            | '،'
            | '۔'
            | '؛'
            | '٪'
    )
}

/// spaCy `LIST_QUOTES` / `CONCAT_QUOTES` characters.
fn is_quote(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '”'
            | '“'
            | '`'
            | '‘'
            | '´'
            | '’'
            | '‚'
            | ','
            | '„'
            | '»'
            | '«'
            | '「'
            | '」'
            | '『'
            | '』'
            | '（'
            | '）'
            | '〔'
            | '〕'
            | '【'
            | '】'
            | '《'
            | '》'
            | '〈'
            | '〉'
            | '⟦'
            | '⟧'
    )
}

/// spaCy `UNITS` (base list), matched after a digit as a suffix.
const BASE_UNITS: &[&str] = &[
    "km",
    "km²",
    "km³",
    "m",
    "m²",
    "m³",
    "dm",
    "dm²",
    "dm³",
    "cm",
    "cm²",
    "cm³",
    "mm",
    "mm²",
    "mm³",
    "ha",
    "µm",
    "nm",
    "yd",
    "in",
    "ft",
    "kg",
    "g",
    "mg",
    "µg",
    "t",
    "lb",
    "oz",
    "m/s",
    "km/h",
    "kmh",
    "mph",
    "hPa",
    "Pa",
    "mbar",
    "mb",
    "MB",
    "kb",
    "KB",
    "gb",
    "GB",
    "tb",
    "TB",
    "T",
    "G",
    "M",
    "K",
    "%",
    "км",
    "км²",
    "км³",
    "м",
    "м²",
    "м³",
    "дм",
    "дм²",
    "дм³",
    "см",
    "см²",
    "см³",
    "мм",
    "мм²",
    "мм³",
    "нм",
    "кг",
    "г",
    "мг",
    "м/с",
    "км/ч",
    "кПа",
    "Па",
    "мбар",
    "Кб",
    "КБ",
    "кб",
    "Мб",
    "МБ",
    "мб",
    "Гб",
    "ГБ",
    "гб",
    "Тб",
    "ТБ",
    "тбكم",
    "كم²",
    "كم³",
    "م",
    "م²",
    "م³",
    "سم",
    "سم²",
    "سم³",
    "مم",
    "مم²",
    "مم³",
    "كم",
    "غرام",
    "جرام",
    "جم",
    "كغ",
    "ملغ",
    "كوب",
    "اكواب",
];

/// Extra units of spaCy's `id`/`ms` rules (its list starts with "s" glued to the last base
/// unit, so a lone "s" is not a unit).
const ID_UNITS: &[&str] = &[
    "اكوابs",
    "bit",
    "Gbps",
    "Mbps",
    "mbps",
    "Kbps",
    "kbps",
    "ƒ",
    "ppi",
    "px",
    "Hz",
    "kHz",
    "MHz",
    "GHz",
    "mAh",
    "ratus",
    "rb",
    "ribu",
    "ribuan",
    "juta",
    "jt",
    "jutaan",
    "miliar",
    "milliar",
    "million",
    "biliun",
    "billiun",
    "bilyun",
    "billion",
];

const ID_HTML_SUFFIXES: &[&str] = &[
    "</b>",
    "</strong>",
    "</i>",
    "</em>",
    "</p>",
    "</span>",
    "</div>",
    "</a>",
];

pub(crate) const LETTER: u8 = 1;
pub(crate) const DIGIT: u8 = 2;
/// Any other ASCII character but whitespace.
const OTHER: u8 = 4;
/// ASCII whitespace (Python's `str.isspace`).
const SPACE: u8 = 8;
/// A byte of a multi-byte character.
pub(crate) const MULTI: u8 = 16;

/// The class of each byte, for the chunk scan of [`split_words`] (and the quality filters'
/// per-word ASCII checks).
pub(crate) static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c >= 0x80 {
            MULTI
        } else if c.is_ascii_alphabetic() {
            LETTER
        } else if c.is_ascii_digit() {
            DIGIT
        } else if matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x1c..=0x1f) {
            SPACE
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// Split `text` into words as datatrove's `split_into_words` does, appending slices of `text`
/// to `out` (which is not cleared).
pub fn split_words<'a>(text: &'a str, rules: WordRules, out: &mut Vec<&'a str>) {
    split_words_into(text, rules, out);
}

/// Where [`split_words_into`] puts the words it finds.
pub(crate) trait WordSink<'a> {
    /// The word `text[start..end]`.
    fn push_range(&mut self, text: &'a str, start: usize, end: usize);
    /// The words `f` appends to the vector it is given (its earlier entries, if any, are not
    /// this call's).
    fn with_vec(&mut self, f: impl FnOnce(&mut Vec<&'a str>));
}

impl<'a> WordSink<'a> for Vec<&'a str> {
    #[inline]
    fn push_range(&mut self, text: &'a str, start: usize, end: usize) {
        self.push(&text[start..end]);
    }

    #[inline]
    fn with_vec(&mut self, f: impl FnOnce(&mut Vec<&'a str>)) {
        f(self)
    }
}

/// [`split_words`] into any [`WordSink`]: the common chunks (a plain word, a word and its
/// mark) go to [`WordSink::push_range`] as byte ranges, the others through
/// [`WordSink::with_vec`].
pub(crate) fn split_words_into<'a>(text: &'a str, rules: WordRules, out: &mut impl WordSink<'a>) {
    let specials = rules.specials();
    let mut suffixes: Vec<&'a str> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    let n = bytes.len();
    #[cfg(target_arch = "x86_64")]
    let mut window = Window::load(bytes, 0);
    while i < n {
        // skip whitespace
        let class = BYTE_CLASS[usize::from(bytes[i])];
        if class & SPACE != 0 {
            i += 1;
            continue;
        }
        if class & MULTI != 0 {
            let c = text[i..].chars().next().unwrap_or(' ');
            if is_space(c) {
                i += c.len_utf8();
                continue;
            }
        }
        // find the end of the chunk, collecting the classes of its bytes
        let start = i;
        #[cfg_attr(target_arch = "x86_64", allow(unused_mut))]
        let mut seen = 0u8;
        // The run of ASCII non-whitespace bytes from a 64-byte window classified once for
        // several chunks (most chunks end within it); the byte loop below takes over at the
        // first byte that may end the chunk (or is not ASCII) and after a longer run.
        #[cfg(target_arch = "x86_64")]
        {
            let (len, classes) = window.run(bytes, i);
            seen |= classes;
            i += len;
        }
        // Bytes of the whitespace character that ends the chunk (0 at the end of the text).
        let mut skip = 0;
        while i < n {
            let class = BYTE_CLASS[usize::from(bytes[i])];
            if class & (SPACE | MULTI) == 0 {
                seen |= class;
                i += 1;
            } else if class & SPACE != 0 {
                skip = 1;
                break;
            } else {
                let c = text[i..].chars().next().unwrap_or(' ');
                if is_space(c) {
                    skip = c.len_utf8();
                    break;
                }
                seen |= MULTI;
                i += c.len_utf8();
            }
        }
        // That character is stepped over now instead of classified again by the whitespace
        // skip above.
        let end = i;
        i += skip;
        // ASCII alphanumeric only
        let plain = seen & (OTHER | MULTI) == 0;
        let digits = seen & DIGIT != 0;
        let letters = seen & LETTER != 0;
        debug_assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
        // SAFETY: `start` is the first byte of a character (the whitespace skip stops at one)
        // and `end` the end of the text or the first byte of a whitespace character.
        let chunk = unsafe { text.get_unchecked(start..end) };
        if plain && !(digits && letters) && !currency_prefix_possible(chunk, rules) {
            // Fast path: no prefix, suffix or infix rule can apply to a run of ASCII letters
            // alone or digits alone; only a special case can split it.
            match specials.alnum_splits.then(|| specials.get(chunk)).flatten() {
                Some(lens) => out.with_vec(|v| push_special(chunk, lens, v)),
                None => out.push_range(text, start, end),
            }
            continue;
        }
        if let Some((core, mark)) = word_and_mark(chunk) {
            // Fast path: a letters-only or digits-only word followed by `,` `;` `:` `!` `?` or
            // `)` (or a `.` that the suffix rule splits), unless the chunk is a special case.
            if !currency_prefix_possible(core, rules) && !specials.contains(chunk) {
                // The mark is the chunk's last byte.
                debug_assert!(mark.len() == 1 && core.len() == end - 1 - start);
                match specials.alnum_splits.then(|| specials.get(core)).flatten() {
                    Some(lens) => out.with_vec(|v| push_special(core, lens, v)),
                    None => out.push_range(text, start, end - 1),
                }
                out.push_range(text, end - 1, end);
                continue;
            }
        }
        if chunk.len() <= 16 {
            short_chunk_cached(text, start, chunk, rules, specials, out, &mut suffixes);
        } else {
            out.with_vec(|v| tokenize_chunk_cached(chunk, rules, specials, v, &mut suffixes));
        }
    }
}

/// A chunk of up to 16 bytes (zero-padded, as two integers) and its tokens as `(offset,
/// length)` pairs, in the direct-mapped [`SHORT_CHUNKS`] table.
#[derive(Clone, Copy, Default)]
struct ShortChunk {
    a: u64,
    b: u64,
    /// Length of the chunk (0: empty slot).
    len: u8,
    n: u8,
    pieces: [(u8, u8); SHORT_PIECES],
}

/// Most tokens a [`ShortChunk`] holds (chunks with more are not remembered there).
const SHORT_PIECES: usize = 6;
/// Slots per rule set: `1 << SHORT_BITS`.
const SHORT_BITS: u32 = 12;

thread_local! {
    /// Short chunks remembered per thread, `1 << SHORT_BITS` slots per rule set (allocated on
    /// first use): a lookup is a multiply and two compares, no hashing of the bytes one by one
    /// and no probing, in front of [`ChunkCache`].
    static SHORT_CHUNKS: std::cell::RefCell<Vec<ShortChunk>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The bytes `start..start + len` (`len` at most 16) of `bytes` as two zero-padded integers.
#[inline]
fn short_key(bytes: &[u8], start: usize, len: usize) -> (u64, u64) {
    let word = |c: &[u8]| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
    let (a, b) = match bytes.get(start..start + 16) {
        Some(block) => (word(&block[..8]), word(&block[8..])),
        None => {
            let mut k = [0u8; 16];
            k[..len].copy_from_slice(&bytes[start..start + len]);
            (word(&k[..8]), word(&k[8..]))
        }
    };
    // the first `n` bytes of `x` (n at most 8)
    let keep = |x: u64, n: usize| {
        if n >= 8 {
            x
        } else {
            x & ((1u64 << (8 * n)) - 1)
        }
    };
    (keep(a, len), keep(b, len.saturating_sub(8)))
}

/// [`tokenize_chunk_cached`] for a chunk of at most 16 bytes starting at `start` of `text`,
/// through the [`SHORT_CHUNKS`] table (a chunk found there goes to `out` as byte ranges).
fn short_chunk_cached<'a>(
    text: &'a str,
    start: usize,
    chunk: &'a str,
    rules: WordRules,
    specials: &Specials,
    out: &mut impl WordSink<'a>,
    suffixes: &mut Vec<&'a str>,
) {
    let len = chunk.len();
    let (a, b) = short_key(text.as_bytes(), start, len);
    let mix = (a ^ b.rotate_left(29) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let slot = ((rules as usize) << SHORT_BITS) + (mix >> (64 - SHORT_BITS)) as usize;
    let hit = SHORT_CHUNKS.with(|cell| {
        let table = cell.try_borrow().ok()?;
        let e = table.get(slot)?;
        (e.a == a && e.b == b && usize::from(e.len) == len).then_some(*e)
    });
    if let Some(e) = hit {
        for &(o, l) in &e.pieces[..usize::from(e.n)] {
            let o = start + usize::from(o);
            debug_assert!(text.is_char_boundary(o) && text.is_char_boundary(o + usize::from(l)));
            // The chunk has the bytes of the one these pieces were cut from (both integers
            // and the length compared equal), so they end on character boundaries.
            out.push_range(text, o, o + usize::from(l));
        }
        return;
    }
    out.with_vec(|out| {
        let first = out.len();
        tokenize_chunk_cached(chunk, rules, specials, out, suffixes);
        let pieces = &out[first..];
        if pieces.len() > SHORT_PIECES {
            return;
        }
        let mut e = ShortChunk {
            a,
            b,
            len: len as u8,
            n: pieces.len() as u8,
            ..ShortChunk::default()
        };
        let base = chunk.as_ptr() as usize;
        for (slot, p) in e.pieces.iter_mut().zip(pieces) {
            *slot = ((p.as_ptr() as usize - base) as u8, p.len() as u8);
        }
        SHORT_CHUNKS.with(|cell| {
            if let Ok(mut table) = cell.try_borrow_mut() {
                if table.is_empty() {
                    table.resize(3 << SHORT_BITS, ShortChunk::default());
                }
                table[slot] = e;
            }
        });
    });
}

/// Sixty-four bytes of text classified with SSE2 compares: one bit per byte for the bytes that
/// may end a chunk (whitespace, other control characters below `!`, non-ASCII bytes), for ASCII
/// letters and for ASCII digits. [`split_words`] keeps one and reloads it only when a chunk
/// runs past it.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
struct Window {
    /// Offset in the text of the window's first byte.
    at: usize,
    /// Whether the window reaches the end of the text (bits past it are stops).
    tail: bool,
    stop: u64,
    letter: u64,
    digit: u64,
}

#[cfg(target_arch = "x86_64")]
impl Window {
    /// The window starting at `i`, or the text's last 64 bytes when fewer follow `i` (the whole
    /// text, padded with spaces, when it is shorter than 64 bytes).
    fn load(bytes: &[u8], i: usize) -> Window {
        let n = bytes.len();
        let mut pad = [b' '; 64];
        let (at, block) = if i + 64 <= n {
            (i, &bytes[i..i + 64])
        } else if n >= 64 {
            (n - 64, &bytes[n - 64..])
        } else {
            pad[..n].copy_from_slice(bytes);
            (0, &pad[..])
        };
        let (mut stop, mut letter, mut digit) = (0u64, 0u64, 0u64);
        for k in 0..4 {
            // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline).
            let (s, l, d) = unsafe { classify16(&block[16 * k..16 * k + 16]) };
            stop |= u64::from(s) << (16 * k);
            letter |= u64::from(l) << (16 * k);
            digit |= u64::from(d) << (16 * k);
        }
        Window {
            at,
            tail: at + 64 >= n,
            stop,
            letter,
            digit,
        }
    }

    /// The leading run of ASCII bytes from `i` (at or after the window's start) that are
    /// neither whitespace nor another control character, as far as the window (reloaded at `i`
    /// when the run reaches its end) shows it, and the [`BYTE_CLASS`] bits of that run or'ed
    /// together.
    #[inline]
    fn run(&mut self, bytes: &[u8], i: usize) -> (usize, u8) {
        let mut off = i - self.at;
        let mut rest = if off < 64 { self.stop >> off } else { 0 };
        if rest == 0 && !(self.tail && off < 64) {
            *self = Window::load(bytes, i);
            off = i - self.at;
            rest = self.stop >> off;
        }
        let len = if rest == 0 {
            64 - off
        } else {
            rest.trailing_zeros() as usize
        };
        if len == 0 {
            return (0, 0);
        }
        let mask = u64::MAX >> (64 - len);
        let letter = (self.letter >> off) & mask;
        let digit = (self.digit >> off) & mask;
        let classes = (u8::from(letter != 0) * LETTER)
            | (u8::from(digit != 0) * DIGIT)
            | (u8::from(letter | digit != mask) * OTHER);
        (len, classes)
    }
}

/// Masks of `block`'s sixteen bytes: those that may end a chunk (below `!` or not ASCII), ASCII
/// letters, ASCII digits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn classify16(block: &[u8]) -> (u16, u16, u16) {
    use std::arch::x86_64::*;
    let v = super::load16(block);
    let splat = |b: u8| _mm_set1_epi8(b as i8);
    let mask = |m: __m128i| _mm_movemask_epi8(m) as u16;
    // Signed compares: a byte from 0x80 up is negative, so below `!` too.
    let stop = mask(_mm_cmplt_epi8(v, splat(b'!')));
    let lower = _mm_or_si128(v, splat(0x20));
    let letter = mask(_mm_and_si128(
        _mm_cmpgt_epi8(lower, splat(b'a' - 1)),
        _mm_cmplt_epi8(lower, splat(b'z' + 1)),
    ));
    let digit = mask(_mm_and_si128(
        _mm_cmpgt_epi8(v, splat(b'0' - 1)),
        _mm_cmplt_epi8(v, splat(b'9' + 1)),
    ));
    (stop, letter, digit)
}

/// Chunks remembered per thread and rule set, with their tokens as `(offset, length)` pairs in
/// `pieces`: spaCy's tokenizer keeps the same cache, since a chunk's tokens depend on the
/// chunk alone and chunks repeat (Zipf).
#[derive(Default)]
struct ChunkCache {
    map: FxMap<Box<[u8]>, (u32, u32)>,
    pieces: Vec<(u16, u16)>,
}

/// Entries after which a thread's chunk cache starts again empty.
const CHUNK_CACHE_MAX: usize = 1 << 16;

thread_local! {
    static CHUNKS: std::cell::RefCell<[ChunkCache; 3]> = std::cell::RefCell::default();
}

/// [`tokenize_chunk`] through this thread's [`ChunkCache`].
fn tokenize_chunk_cached<'a>(
    chunk: &'a str,
    rules: WordRules,
    specials: &Specials,
    out: &mut Vec<&'a str>,
    suffixes: &mut Vec<&'a str>,
) {
    if chunk.len() > usize::from(u16::MAX) {
        return tokenize_chunk(chunk, rules, specials, out, suffixes);
    }
    CHUNKS.with(|cell| {
        let Ok(mut caches) = cell.try_borrow_mut() else {
            return tokenize_chunk(chunk, rules, specials, out, suffixes);
        };
        let cache = &mut caches[rules as usize];
        if let Some(&(start, end)) = cache.map.get(chunk.as_bytes()) {
            for &(o, l) in &cache.pieces[start as usize..end as usize] {
                out.push(&chunk[usize::from(o)..usize::from(o) + usize::from(l)]);
            }
            return;
        }
        let first = out.len();
        tokenize_chunk(chunk, rules, specials, out, suffixes);
        if cache.map.len() >= CHUNK_CACHE_MAX {
            cache.map.clear();
            cache.pieces.clear();
        }
        let base = chunk.as_ptr() as usize;
        let start = cache.pieces.len() as u32;
        cache.pieces.extend(
            out[first..]
                .iter()
                .map(|p| ((p.as_ptr() as usize - base) as u16, p.len() as u16)),
        );
        cache
            .map
            .insert(chunk.as_bytes().into(), (start, cache.pieces.len() as u32));
    })
}

/// `(word, mark)` when `chunk` is ASCII letters only or digits only followed by one mark that
/// spaCy's suffix rules always split off there.
fn word_and_mark(chunk: &str) -> Option<(&str, &str)> {
    let b = chunk.as_bytes();
    let n = b.len();
    if n < 2 {
        return None;
    }
    let core = &b[..n - 1];
    let letters = core.iter().all(u8::is_ascii_alphabetic);
    let digits = !letters && core.iter().all(u8::is_ascii_digit);
    if !letters && !digits {
        return None;
    }
    let split = match b[n - 1] {
        b',' | b';' | b':' | b'!' | b'?' | b')' => true,
        // `(?<=[0-9a-z...])\.` or `(?<=[A-Z][A-Z])\.`
        b'.' => {
            digits
                || core[n - 2].is_ascii_lowercase()
                || (n >= 3 && core[n - 2].is_ascii_uppercase() && core[n - 3].is_ascii_uppercase())
        }
        _ => false,
    };
    split.then(|| (&chunk[..n - 1], &chunk[n - 1..]))
}

/// Whether an alphanumeric chunk could start with a currency code spaCy strips (`Rp`, `USD`...).
fn currency_prefix_possible(chunk: &str, rules: WordRules) -> bool {
    rules.is_id_family() && matches!(chunk.as_bytes()[0], b'U' | b'R' | b'I' | b'S' | b'M')
}

fn push_special<'a>(s: &'a str, lens: &[u16], out: &mut Vec<&'a str>) {
    if lens.is_empty() {
        out.push(s);
        return;
    }
    let mut at = 0;
    for &l in lens {
        out.push(&s[at..at + l as usize]);
        at += l as usize;
    }
}

fn tokenize_chunk<'a>(
    chunk: &'a str,
    rules: WordRules,
    specials: &Specials,
    out: &mut Vec<&'a str>,
    suffixes: &mut Vec<&'a str>,
) {
    if let Some(lens) = specials.get(chunk) {
        push_special(chunk, lens, out);
        return;
    }
    let first = out.len();
    split_chunk(chunk, rules, specials, out, suffixes);
    if out.len() - first >= 2 && specials.max_merge >= 2 {
        merge_specials(chunk, first, specials, out);
    }
}

/// spaCy's special-case matcher pass, within one chunk: runs of pieces whose concatenation is a
/// special case the affix rules split are replaced by the special case's tokens (longest first).
fn merge_specials<'a>(chunk: &'a str, first: usize, specials: &Specials, out: &mut Vec<&'a str>) {
    let base = chunk.as_ptr() as usize;
    let pieces: Vec<&'a str> = out.drain(first..).collect();
    let offset = |p: &str| p.as_ptr() as usize - base;
    let mut i = 0;
    while i < pieces.len() {
        let mut merged = false;
        let max = specials.max_merge.min(pieces.len() - i);
        for len in (2..=max).rev() {
            let last = pieces[i + len - 1];
            let span = &chunk[offset(pieces[i])..offset(last) + last.len()];
            if specials.maybe(span) && specials.merges.get(span) == Some(&len) {
                if let Some(lens) = specials.get(span) {
                    push_special(span, lens, out);
                    i += len;
                    merged = true;
                    break;
                }
            }
        }
        if !merged {
            out.push(pieces[i]);
            i += 1;
        }
    }
}

/// spaCy's `_split_affixes` and `_attach_tokens` for one chunk.
fn split_chunk<'a>(
    chunk: &'a str,
    rules: WordRules,
    specials: &Specials,
    out: &mut Vec<&'a str>,
    suffixes: &mut Vec<&'a str>,
) {
    suffixes.clear();
    let mut s = chunk;
    let mut last_len = usize::MAX;
    // spaCy `_split_affixes`
    while !s.is_empty() && s.len() != last_len {
        if specials.contains(s) {
            break;
        }
        last_len = s.len();
        let pre = find_prefix(s, rules);
        if pre != 0 {
            let minus_pre = &s[pre..];
            if !minus_pre.is_empty() && specials.contains(minus_pre) {
                out.push(&s[..pre]);
                s = minus_pre;
                break;
            }
        }
        let suf = find_suffix(&s[pre..], rules);
        if suf != 0 {
            let minus_suf = &s[..s.len() - suf];
            if !minus_suf.is_empty() && specials.contains(minus_suf) {
                suffixes.push(&s[s.len() - suf..]);
                s = minus_suf;
                break;
            }
        }
        if pre != 0 && suf != 0 && pre + suf <= s.len() {
            out.push(&s[..pre]);
            suffixes.push(&s[s.len() - suf..]);
            s = &s[pre..s.len() - suf];
        } else if pre != 0 {
            out.push(&s[..pre]);
            s = &s[pre..];
        } else if suf != 0 {
            suffixes.push(&s[s.len() - suf..]);
            s = &s[..s.len() - suf];
        }
        if !s.is_empty() && specials.contains(s) {
            break;
        }
    }
    // spaCy `_attach_tokens`
    if !s.is_empty() {
        if let Some(lens) = specials.get(s) {
            push_special(s, lens, out);
        } else if is_url(s) {
            out.push(s);
        } else {
            split_infixes(s, rules, out);
        }
    }
    out.extend(suffixes.iter().rev());
}

/// Length in bytes of the prefix spaCy strips from `s` (0: none).
fn find_prefix(s: &str, rules: WordRules) -> usize {
    let mut it = s.chars();
    let Some(c) = it.next() else { return 0 };
    let cl = c.len_utf8();
    let single = match c {
        '§' | '%' | '=' | '—' | '–' => true,
        '+' => !it.next().is_some_and(|n| n.is_ascii_digit()),
        '#' => !rules.is_id_family(),
        '/' => rules.is_id_family(),
        '.' => {
            let dots = s.bytes().take_while(|&b| b == b'.').count();
            return if dots >= 2 { dots } else { 0 };
        }
        _ => is_list_punct(c) || is_quote(c),
    };
    if single {
        return cl;
    }
    if is_currency_char(c) {
        return cl;
    }
    // Currency codes all start with one of these letters.
    if matches!(c, 'U' | 'C' | 'A' | 'R' | 'I' | 'S' | 'M') {
        for cur in rules.currencies() {
            if s.starts_with(cur) {
                return cur.len();
            }
        }
    }
    if icon(c) {
        return cl;
    }
    0
}

fn prev_char(s: &str, at: usize) -> Option<char> {
    s[..at].chars().next_back()
}

/// Length in bytes of the suffix spaCy strips from `s` (0: none): the leftmost position from
/// which the rest of `s` matches one of the suffix alternatives.
fn find_suffix(s: &str, rules: WordRules) -> usize {
    if s.is_empty() {
        return 0;
    }
    // Candidates: a trailing run of 2+ dots, or a tail of at most 9 characters.
    let dots = s.bytes().rev().take_while(|&b| b == b'.').count();
    let dot_start = if dots >= 2 {
        Some(s.len() - dots)
    } else {
        None
    };
    let mut starts: [usize; 10] = [0; 10];
    let mut k = 0;
    for (pos, _) in s.char_indices().rev() {
        starts[k] = pos;
        k += 1;
        if k == 10 {
            break;
        }
    }
    for &p in starts[..k].iter().rev() {
        if let Some(d) = dot_start {
            if d <= p {
                return s.len() - d;
            }
        }
        if suffix_matches(s, p, rules) {
            return s.len() - p;
        }
    }
    dot_start.map_or(0, |d| s.len() - d)
}

fn suffix_matches(s: &str, p: usize, rules: WordRules) -> bool {
    let rem = &s[p..];
    // Fast reject: a tail starting with an ASCII letter or digit can only be a unit or a
    // currency code after a digit.
    let b0 = rem.as_bytes()[0];
    if b0.is_ascii_alphanumeric() && !s.as_bytes()[..p].last().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let mut rc = rem.chars();
    let first = rc.next().unwrap_or(' ');
    let one_char = rc.next().is_none();
    let prev = prev_char(s, p);
    let prev_digit = prev.is_some_and(|c| c.is_ascii_digit());
    if one_char && (is_list_punct(first) || is_quote(first) || icon(first)) {
        return true;
    }
    if matches!(rem, "……" | "'s" | "'S" | "’s" | "’S" | "—" | "–") {
        return true;
    }
    if prev_digit && rem == "+" {
        return true;
    }
    if rem == "." {
        let mut back = s[..p].chars().rev();
        let p1 = back.next();
        let p2 = back.next();
        if matches!(p1, Some('F' | 'f' | 'C' | 'c' | 'K' | 'k')) && p2 == Some('°') {
            return true;
        }
        if let Some(c) = p1 {
            if c.is_ascii_digit()
                || lower(c)
                || matches!(c, '%' | '²' | '-' | '+' | '|' | '(' | '?' | ':' | ')')
                || is_list_punct(c)
                || is_quote(c)
            {
                return true;
            }
            if upper(c) && p2.is_some_and(upper) {
                return true;
            }
        }
    }
    if prev_digit {
        if (one_char && is_currency_char(first)) || BASE_CURRENCY_MULTI.contains(&rem) {
            return true;
        }
        if BASE_UNITS.contains(&rem) {
            return true;
        }
    }
    if rules.is_id_family() {
        if matches!(
            rem,
            "-nya" | "-Nya" | "-ku" | "-Ku" | "-mu" | "-Mu" | "—" | "-"
        ) {
            return true;
        }
        if prev_digit && (ID_UNITS.contains(&rem) || rem == "%") {
            return true;
        }
        if rem.starts_with("</")
            && prev.is_some_and(|c| c.is_ascii_digit() || alpha(c))
            && ID_HTML_SUFFIXES.contains(&rem)
        {
            return true;
        }
    }
    false
}

/// Split a core on spaCy's infixes (finditer semantics: leftmost, first alternative wins,
/// non-overlapping; a match at position 0 is not split off).
fn split_infixes<'a>(s: &'a str, rules: WordRules, out: &mut Vec<&'a str>) {
    let mut start = 0;
    let mut i = 0;
    let bytes = s.as_bytes();
    let mut prev: Option<char> = None;
    while i < s.len() {
        let c = s[i..].chars().next().unwrap_or(' ');
        let len = infix_at(s, i, prev, c, rules);
        if len > 0 {
            if i != 0 {
                if i != start {
                    out.push(&s[start..i]);
                }
                out.push(&s[i..i + len]);
                start = i + len;
            }
            i += len;
            prev = s[..i].chars().next_back();
            continue;
        }
        prev = Some(c);
        i += c.len_utf8();
        let _ = bytes;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
}

/// Length of the infix match starting at byte `i` (0: none).
fn infix_at(s: &str, i: usize, prev: Option<char>, c: char, rules: WordRules) -> usize {
    let rest = &s[i..];
    let next_after = |len: usize| s[i + len..].chars().next();
    // LIST_ELLIPSES
    if c == '.' {
        let dots = rest.bytes().take_while(|&b| b == b'.').count();
        if dots >= 2 {
            return dots;
        }
    }
    if c == '…' || icon(c) {
        return c.len_utf8();
    }
    let prev_digit = prev.is_some_and(|p| p.is_ascii_digit());
    let prev_alpha = prev.is_some_and(alpha);
    // (?<=[0-9])[+\-\*^](?=[0-9-])
    if prev_digit
        && matches!(c, '+' | '-' | '*' | '^')
        && next_after(1).is_some_and(|n| n.is_ascii_digit() || n == '-')
    {
        return 1;
    }
    // (?<=[{al}{q}])\.(?=[{au}{q}])
    if c == '.'
        && prev.is_some_and(|p| lower(p) || is_quote(p))
        && next_after(1).is_some_and(|n| upper(n) || is_quote(n))
    {
        return 1;
    }
    // (?<=[{a}]),(?=[{a}])
    if c == ',' && prev_alpha && next_after(1).is_some_and(alpha) {
        return 1;
    }
    // (?<=[{a}0-9])(?:{h})(?=[{a}]) for en, (?<=[{a}]) for the base rules id/ms use
    let hyphen_ok = prev_alpha || (prev_digit && rules == WordRules::English);
    if hyphen_ok && matches!(c, '-' | '–' | '—' | '~') {
        for h in ["-", "–", "—", "--", "---", "——", "~"] {
            if rest.starts_with(h) && next_after(h.len()).is_some_and(alpha) {
                return h.len();
            }
        }
    }
    // (?<=[{a}0-9])[:<>=/](?=[{a}])
    if matches!(c, ':' | '<' | '>' | '=' | '/')
        && (prev_alpha || prev_digit)
        && next_after(1).is_some_and(alpha)
    {
        return 1;
    }
    if rules.is_id_family() {
        let next = next_after(c.len_utf8());
        if prev_digit
            && matches!(c, '\\' | '/')
            && next.is_some_and(|n| n.is_ascii_digit() || n == '%' || n == '-')
        {
            return 1;
        }
        if prev_digit
            && c == '%'
            && next.is_some_and(|n| alpha(n) || n.is_ascii_digit() || n == '/')
        {
            return 1;
        }
        if c == '"' && next.is_some_and(|n| n.is_ascii_digit()) {
            let mut back = s[..i].chars().rev();
            if matches!(back.next(), Some('.' | ','))
                && back.next().is_some_and(|p| p.is_ascii_digit() || p == ')')
            {
                return 1;
            }
        }
        if matches!(c, '"' | '—') && next_after(c.len_utf8()).is_some_and(alpha) {
            let mut back = s[..i].chars().rev();
            if matches!(back.next(), Some('.' | ',' | '\''))
                && back.next().is_some_and(|p| alpha(p) || p == ')')
            {
                return c.len_utf8();
            }
        }
        if c == '-' && prev_alpha && next.is_some_and(|n| n.is_ascii_digit()) {
            return 1;
        }
        if c == '-' && prev_digit && next.is_some_and(alpha) {
            return 1;
        }
        if matches!(c, '/' | '-') && prev_alpha {
            if next.is_some_and(alpha) {
                return 1;
            }
            let after = &s[i + 1..];
            if after.chars().next().is_some_and(is_currency_char)
                || rules.currencies().iter().any(|cur| after.starts_with(cur))
            {
                return 1;
            }
        }
    }
    0
}

/// spaCy's `URL_MATCH`, hand-written: optional `scheme://`, optional `user@`, then an IPv4
/// address or dotted host labels ending in a lowercase TLD of 2+ letters, optional `:port`,
/// optional path starting with `/`, `?` or `#`.
fn is_url(s: &str) -> bool {
    if !s.contains('.') {
        return false;
    }
    let mut rest = s;
    if let Some(pos) = rest.find("://") {
        let scheme = &rest[..pos];
        if scheme.chars().count() >= 2
            && scheme
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '+' | '-' | '.'))
        {
            rest = &rest[pos + 3..];
        }
    }
    // optional user:pass@ (the regex backtracks over every '@')
    if url_host_and_tail(rest) {
        return true;
    }
    rest.match_indices('@')
        .any(|(at, _)| at > 0 && url_host_and_tail(&rest[at + 1..]))
}

fn url_host_and_tail(rest: &str) -> bool {
    // host ends at the first ':', '/', '?' or '#'
    let host_end = rest.find([':', '/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(host_end);
    if !host_ok(host) {
        return false;
    }
    let mut tail = tail;
    if let Some(t) = tail.strip_prefix(':') {
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if !(2..=5).contains(&digits) {
            return false;
        }
        tail = &t[digits..];
    }
    tail.is_empty() || tail.starts_with(['/', '?', '#'])
}

fn host_ok(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    if labels.len() == 4
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.len() <= 3 && l.bytes().all(|b| b.is_ascii_digit()))
    {
        return true;
    }
    let (tld, names) = labels.split_last().unwrap_or((&"", &[]));
    let tld_len = tld.chars().count();
    if !(2..=63).contains(&tld_len) || !tld.chars().all(lower) {
        return false;
    }
    names.iter().all(|l| {
        let mut cs = l.chars();
        let ok_edge = |c: char| c.is_ascii_alphanumeric() || ('\u{a1}'..='\u{ffff}').contains(&c);
        match (cs.next(), cs.next_back()) {
            (Some(a), Some(b)) => {
                ok_edge(a) && ok_edge(b) && cs.all(|c| ok_edge(c) || c == '_' || c == '-')
            }
            (Some(a), None) => ok_edge(a),
            _ => false,
        }
    })
}

/// [`count_sentences`] of the words at byte ranges `spans` of `text`, reading each word's bytes
/// without slicing it as a `str` unless it may be punctuation after a mark.
pub fn count_sentences_in(text: &str, spans: &[std::ops::Range<usize>]) -> usize {
    count_sentences_up_to(text, spans, usize::MAX)
}

/// `min(count_sentences_in(text, spans), limit)`, stopping at the word where the count reaches
/// `limit` (a filter that only compares the count with a minimum needs no more).
pub fn count_sentences_up_to(text: &str, spans: &[std::ops::Range<usize>], limit: usize) -> usize {
    if spans.is_empty() || limit == 0 {
        return 0;
    }
    if limit == 1 {
        return 1;
    }
    let bytes = text.as_bytes();
    let mut n = 1;
    let mut seen_mark = false;
    for r in spans {
        let b = &bytes[r.clone()];
        let is_mark = match b {
            [] => false,
            [b] => matches!(b, b'.' | b'?' | b'!'),
            b if b.len() > 4 || b[0] < 0x80 => false,
            _ => {
                let mut cs = text[r.clone()].chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => super::chars::is_sentence_mark(c),
                    _ => false,
                }
            }
        };
        if seen_mark && !is_mark && !text[r.clone()].chars().all(super::chars::is_unicode_punct) {
            n += 1;
            if n >= limit {
                return n;
            }
            seen_mark = false;
        } else if is_mark {
            seen_mark = true;
        }
    }
    n
}

/// Count sentences as spaCy's sentencizer does on the words of `text`: a new sentence starts at
/// the first word that is not punctuation after a word that is a sentence mark.
pub fn count_sentences<'a>(words: impl IntoIterator<Item = &'a str>) -> usize {
    let mut words = words.into_iter().peekable();
    if words.peek().is_none() {
        return 0;
    }
    let mut n = 1;
    let mut seen_mark = false;
    for w in words {
        // A mark is one character: one byte (ASCII) or up to four.
        let is_mark = match w.as_bytes() {
            [] => false,
            [b] => matches!(b, b'.' | b'?' | b'!'),
            b if b.len() > 4 || b[0] < 0x80 => false,
            _ => {
                let mut cs = w.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => super::chars::is_sentence_mark(c),
                    _ => false,
                }
            }
        };
        if seen_mark && !is_mark && !w.chars().all(super::chars::is_unicode_punct) {
            n += 1;
            seen_mark = false;
        } else if is_mark {
            seen_mark = true;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    /// The byte ranges of `words`, slices of `text`, in `text`.
    fn ranges_in(text: &str, words: &[&str]) -> Vec<std::ops::Range<usize>> {
        words
            .iter()
            .map(|w| super::super::range_in(text, w))
            .collect()
    }

    fn words(text: &str, rules: WordRules) -> Vec<&str> {
        let mut out = Vec::new();
        split_words(text, rules, &mut out);
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn window_runs_agree_with_the_byte_classes() {
        let base = "Hello, world! 2024-05-01 (café) tab\there\x01ctl URL:https://x.id/a?b=1 \u{a0}nbsp {}[]|~`^_ 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\x7f@[`{/:";
        let long = format!("{base} {}x {base}", "a".repeat(70));
        for text in [
            base,
            &long,
            "short",
            "",
            "a b\u{3000}c",
            "x".repeat(64).as_str(),
        ] {
            let b = text.as_bytes();
            // from every position, with a window loaded at every earlier position
            for from in 0..=b.len().min(80) {
                let mut w = Window::load(b, from);
                for at in from..b.len() {
                    let want_len = b[at..]
                        .iter()
                        .position(|&c| !(b'!'..0x80).contains(&c))
                        .unwrap_or(b.len() - at);
                    let (len, classes) = w.run(b, at);
                    // the whole run when it is shorter than a window, else a part of it
                    if want_len < 64 {
                        assert_eq!(len, want_len, "{text:?} {from} {at}");
                    } else {
                        assert!(len > 0 && len <= want_len, "{text:?} {from} {at}");
                    }
                    let want_classes = b[at..at + len]
                        .iter()
                        .fold(0, |acc, &c| acc | BYTE_CLASS[usize::from(c)]);
                    assert_eq!(classes, want_classes, "{text:?} {from} {at}");
                }
            }
        }
    }

    /// Every chunk through [`tokenize_chunk`] alone: no fast path, no cache.
    fn words_plain(text: &str, rules: WordRules) -> Vec<&str> {
        let (mut out, mut suffixes) = (Vec::new(), Vec::new());
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (is_space(c), start) {
                (true, Some(s)) => {
                    tokenize_chunk(
                        &text[s..i],
                        rules,
                        rules.specials(),
                        &mut out,
                        &mut suffixes,
                    );
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn fast_paths_and_caches_split_like_the_rules() {
        let text = "Hello, world! The U.S. economy. don't stop (see https://example.com/a.b). \
            well-known 3-4 e-mail 10km $5 ...wait end.Start John's USA. café, naïve—dash \
            “quoted” ‘single’ «guillemets» ¿qué? 日本語。 anak-anak buku-nya Rp50.000 #pilpres \
            Jakarta-Bandung tab\there\x01ctl\x7f a,b a.B 1+2 x/y 5% (a) [b] {c} <d> \
            e.g. i.e. etc. Mr. Dr. U.K. 3:30pm 10am cannot gonna can't it's I'm we'll \
            \u{a0}nbsp\u{3000}ideographic \u{2028}sep aaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbb, \
            ccccccccccccccccc, ----- ..... !!!!! ?!?! :-) ;-) <3 1,000,000 3.14 -5 +7 ~8";
        for rules in [WordRules::English, WordRules::Indonesian, WordRules::Malay] {
            let want = words_plain(text, rules);
            // twice: the second time the chunk caches answer
            assert_eq!(words(text, rules), want, "{rules:?}");
            assert_eq!(words(text, rules), want, "{rules:?}");
            // each chunk at the very end of a text (short keys copied, not loaded)
            for w in text.split_whitespace().take(60) {
                assert_eq!(words(w, rules), words_plain(w, rules), "{w:?} {rules:?}");
            }
        }
    }

    /// A chunk's tokens do not depend on the whitespace around it: the splitter steps over the
    /// character that ends a chunk (one byte or several) without losing or repeating a byte.
    #[test]
    fn chunks_split_alike_whatever_whitespace_ends_them() {
        let chunks = [
            "word",
            "x",
            "Hello,",
            "world!",
            "caf\u{e9}",
            "\u{e9}",
            "don't",
            "10am",
            "U.S.",
            "buku-nya",
            "(a)",
            "\u{201c}q\u{201d}",
            "aaaaaaaaaaaaaaaaaaaa",
            "1,000",
            "#tag",
        ];
        let seps = [
            " ",
            "\n",
            "\t\t",
            "\u{a0}",
            "\u{3000}",
            "\u{2028}",
            "  \u{a0} ",
            "\x1c",
            "\r\n",
            "\u{85}",
            " \u{2009}",
        ];
        for rules in [WordRules::English, WordRules::Indonesian, WordRules::Malay] {
            let want: Vec<&str> = chunks.iter().flat_map(|c| words(c, rules)).collect();
            for (k, sep) in seps.iter().enumerate() {
                let mut text = String::new();
                for (j, c) in chunks.iter().enumerate() {
                    text.push_str(c);
                    text.push_str(if (j + k) % 3 == 0 {
                        sep
                    } else {
                        seps[j % seps.len()]
                    });
                }
                assert_eq!(words(&text, rules), want, "{rules:?} {sep:?}");
                assert_eq!(words_plain(&text, rules), want, "{rules:?} {sep:?}");
                let trimmed = text.trim_end();
                assert_eq!(words(trimmed, rules), want, "{rules:?} {sep:?}");
            }
        }
    }

    #[test]
    fn splits_like_spacy_english() {
        let cases: &[(&str, &[&str])] = &[
            ("Hello, world!", &["Hello", ",", "world", "!"]),
            ("The U.S. economy.", &["The", "U.S.", "economy", "."]),
            ("don't stop", &["do", "n't", "stop"]),
            (
                "(see https://example.com/a.b).",
                &["(", "see", "https://example.com/a.b", ")", "."],
            ),
            (
                "well-known 3-4 e-mail",
                &["well", "-", "known", "3", "-", "4", "e", "-", "mail"],
            ),
            ("10km $5 ...wait", &["10", "km", "$", "5", "...", "wait"]),
            ("end.Start", &["end", ".", "Start"]),
            ("John's USA.", &["John", "'s", "USA", "."]),
            ("  \n\t ", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(&words(text, WordRules::English), want, "{text:?}");
        }
    }

    #[test]
    fn splits_like_spacy_indonesian() {
        let cases: &[(&str, &[&str])] = &[
            ("anak-anak bermain.", &["anak-anak", "bermain", "."]),
            ("buku-nya Rp50.000", &["buku", "-nya", "Rp", "50.000"]),
            ("#pilpres 2019", &["#pilpres", "2019"]),
            ("Jakarta-Bandung", &["Jakarta", "-", "Bandung"]),
        ];
        for (text, want) in cases {
            assert_eq!(&words(text, WordRules::Indonesian), want, "{text:?}");
        }
    }

    #[test]
    fn currency_codes_start_with_the_letters_the_prefix_check_looks_for() {
        for rules in [WordRules::English, WordRules::Indonesian, WordRules::Malay] {
            for cur in rules.currencies() {
                assert!(
                    cur.starts_with(['U', 'C', 'A', 'R', 'I', 'S', 'M']),
                    "{cur}"
                );
            }
        }
    }

    #[test]
    fn recognises_urls() {
        for (s, want) in [
            ("example.com", true),
            ("https://x.org/a?b", true),
            ("www.detik.com", true),
            ("e.g", false),
            ("U.S", false),
            ("end.Start", false),
            ("192.168.1.1", true),
        ] {
            assert_eq!(is_url(s), want, "{s}");
        }
    }

    #[test]
    fn counts_sentences_on_ranges_as_on_words() {
        let texts = [
            "One. Two! \"Three?\" Four... five",
            "No marks at all here",
            "Ends with a mark.",
            "Wait . . . what ?! (yes) 「はい。」 次。 ¿Qué? ¡Sí! done… next ۔ end",
            "",
            ". . .",
            "a. b. c. ... d",
        ];
        for text in texts {
            for rules in [WordRules::English, WordRules::Indonesian] {
                let w = words(text, rules);
                let spans = ranges_in(text, &w);
                for k in 0..=spans.len() {
                    assert_eq!(
                        count_sentences_in(text, &spans[k..]),
                        count_sentences(w[k..].iter().copied()),
                        "{text:?} {k}"
                    );
                }
            }
        }
    }

    /// The count with a limit is the full count cut at the limit, for texts of many sentences
    /// (marks, runs of marks, punctuation after them, non-ASCII marks).
    #[test]
    fn sentence_count_up_to_a_limit_is_the_count_cut_there() {
        let pieces = [
            "a", "b", ".", "?", "!", "\u{3002}", "\"", ")", "\u{2026}", "c.",
        ];
        let mut rng = Lcg::new(11);
        let mut next = |m: usize| rng.below(m);
        for _ in 0..500 {
            let len = next(30);
            let text = (0..len)
                .map(|_| pieces[next(pieces.len())])
                .collect::<Vec<_>>()
                .join(" ");
            let mut ws = Vec::new();
            split_words(&text, WordRules::English, &mut ws);
            let spans = ranges_in(&text, &ws);
            let full = count_sentences_in(&text, &spans);
            assert_eq!(full, count_sentences(ws.iter().copied()), "{text}");
            for limit in 0..8 {
                assert_eq!(
                    count_sentences_up_to(&text, &spans, limit),
                    full.min(limit),
                    "{text} limit {limit}"
                );
            }
        }
    }

    #[test]
    fn counts_sentences_like_the_sentencizer() {
        let w = words("One. Two! \"Three?\" Four... five", WordRules::English);
        assert_eq!(count_sentences(w.iter().copied()), 4);
        assert_eq!(count_sentences([]), 0);
    }
}
