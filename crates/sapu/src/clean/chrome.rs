//! Chrome lines: page furniture that is not the article (buttons, loaders, ad labels, "read
//! also" links, tag and copyright footers, follow prompts, post meta).
//!
//! No list of whole lines from one site: each line is judged by signals a reader uses. A line
//! made only of UI words in any of the lexicon's languages (`lexicon.rs`); a "read also" prefix
//! followed by a short headline; a tag label followed by a short list; a copyright sign or
//! rights phrase on a short line; a "follow us" prompt naming a network; "Posted on <date>"
//! meta. Ambiguous UI words ("A", "Next", "Foto", "Loading" without its ellipsis) count only in
//! context: next to other chrome, or among the first and last lines of the page, where
//! templates put their furniture.

use std::collections::HashSet;

use super::lexicon;
use super::Rule;

/// Lines longer than this (in words) are never chrome: a read-also headline or a footer is
/// shorter than any real paragraph it could be confused with.
const MAX_CHROME_WORDS: usize = 34;
/// UI rows are short: at most this many words.
const MAX_UI_WORDS: usize = 10;
/// The longest lexicon phrase, in words.
const MAX_PHRASE_WORDS: usize = 7;
/// How many non-empty lines at each end of a page count as its header and footer.
const EDGE_LINES: usize = 6;

/// How one line looks on its own, before its neighbours are considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not furniture.
    Content,
    /// Furniture wherever it stands.
    Chrome(Rule),
    /// Furniture only next to other chrome or near either end of the page.
    Weak(Rule),
}

/// The lexicon, hashed once at build time.
pub(crate) struct ChromeRules {
    strong: HashSet<&'static str>,
    weak: HashSet<&'static str>,
    loaders: HashSet<&'static str>,
    read_also: Vec<&'static str>,
    tags: Vec<&'static str>,
    /// First words of the UI phrases: a line whose first token is not one is not UI.
    ui_starts: HashSet<&'static str>,
    /// First words of the read-also, tag and post-meta labels.
    label_starts: HashSet<&'static str>,
}

fn first_words(lists: &[&[&'static str]]) -> HashSet<&'static str> {
    lists
        .iter()
        .flat_map(|l| l.iter())
        .filter_map(|p| p.split(' ').next())
        .collect()
}

impl ChromeRules {
    pub(crate) fn new() -> Self {
        let longest_first = |list: &[&'static str]| {
            let mut v = list.to_vec();
            v.sort_by_key(|p| std::cmp::Reverse(p.len()));
            v
        };
        ChromeRules {
            strong: lexicon::STRONG.iter().copied().collect(),
            weak: lexicon::WEAK.iter().copied().collect(),
            loaders: lexicon::LOADERS.iter().copied().collect(),
            read_also: longest_first(lexicon::READ_ALSO),
            tags: longest_first(lexicon::TAGS),
            ui_starts: first_words(&[lexicon::STRONG, lexicon::WEAK, lexicon::LOADERS]),
            label_starts: first_words(&[lexicon::READ_ALSO, lexicon::TAGS, lexicon::POSTED]),
        }
    }

    /// Mark the chrome lines of a page: `removed[i]` is set for each line judged furniture.
    /// Lines already marked are skipped; empty lines are neither chrome nor content.
    pub(crate) fn mark(&self, lines: &[&str], removed: &mut [Option<Rule>]) {
        let mut buf = String::new();
        let verdicts: Vec<Verdict> = lines
            .iter()
            .zip(removed.iter())
            .map(|(l, r)| match r {
                Some(_) => Verdict::Content,
                None => self.classify_with(l, &mut buf),
            })
            .collect();
        let filled: Vec<usize> = (0..lines.len())
            .filter(|&i| !lines[i].is_empty() && removed[i].is_none())
            .collect();
        let n = filled.len();
        for (k, &i) in filled.iter().enumerate() {
            let rule = match verdicts[i] {
                Verdict::Content => continue,
                Verdict::Chrome(rule) => rule,
                Verdict::Weak(rule) => {
                    let at_edge = k < EDGE_LINES || k + EDGE_LINES >= n;
                    let furniture = |j: usize| !matches!(verdicts[filled[j]], Verdict::Content);
                    let beside = (k > 0 && furniture(k - 1)) || (k + 1 < n && furniture(k + 1));
                    if !(at_edge || beside) {
                        continue;
                    }
                    rule
                }
            };
            removed[i] = Some(rule);
        }
    }

    /// Judge one line on its own.
    #[cfg(test)]
    pub(crate) fn classify(&self, line: &str) -> Verdict {
        self.classify_with(line, &mut String::new())
    }

    /// Judge one line on its own, lowercasing into `buf` (reused across lines). Each check
    /// runs only on lines short enough to pass it, so a paragraph costs one word count.
    fn classify_with(&self, line: &str, buf: &mut String) -> Verdict {
        let words = word_count(line, MAX_CHROME_WORDS + 1);
        if words == 0 || words > MAX_CHROME_WORDS {
            return Verdict::Content;
        }
        buf.clear();
        if line.is_ascii() {
            buf.push_str(line);
            buf.make_ascii_lowercase();
        } else {
            for c in line.chars() {
                buf.extend(c.to_lowercase());
            }
        }
        let lower = buf.as_str();
        if words <= 2 * MAX_UI_WORDS {
            if let Some(v) = self.ui(lower) {
                return v;
            }
        }
        let first = lower.split([' ', ':']).next().unwrap_or("");
        let labelled = self.label_starts.contains(first);
        if labelled && self.is_read_also(line, lower) {
            return Verdict::Chrome(Rule::ReadAlso);
        }
        if labelled && self.is_tags(lower) {
            return Verdict::Chrome(Rule::Tags);
        }
        if words <= 20 && is_copyright(lower) {
            return Verdict::Chrome(Rule::Copyright);
        }
        if words <= 15 && is_follow_prompt(lower) {
            return Verdict::Chrome(Rule::FollowPrompt);
        }
        if labelled && words <= 16 && is_post_meta(lower) {
            return Verdict::Weak(Rule::PostMeta);
        }
        Verdict::Content
    }

    /// A line every word of which is covered by UI phrases: strong if any phrase is strong or
    /// the line is a loader with its ellipsis, weak otherwise.
    fn ui(&self, lower: &str) -> Option<Verdict> {
        let ellipsis = lower.ends_with("...") || lower.ends_with('…');
        let mut norm = String::with_capacity(lower.len());
        let mut bounds: Vec<(usize, usize)> = Vec::new();
        for token in lower.split(is_separator) {
            let token = token.trim_matches(|c: char| c == '.' || c == '…' || c == '!');
            if !token.chars().any(char::is_alphanumeric) {
                continue;
            }
            if bounds.len() == MAX_UI_WORDS {
                return None;
            }
            if norm.is_empty() {
                if !self.ui_starts.contains(token) {
                    return None;
                }
            } else {
                norm.push(' ');
            }
            let start = norm.len();
            norm.push_str(token);
            bounds.push((start, norm.len()));
        }
        if bounds.is_empty() {
            return None;
        }
        if ellipsis && self.loaders.contains(norm.as_str()) {
            return Some(Verdict::Chrome(Rule::Ui));
        }
        let mut strong = false;
        let mut i = 0;
        'cover: while i < bounds.len() {
            let longest = MAX_PHRASE_WORDS.min(bounds.len() - i);
            for k in (1..=longest).rev() {
                let phrase = &norm[bounds[i].0..bounds[i + k - 1].1];
                if self.strong.contains(phrase) {
                    strong = true;
                } else if !self.weak.contains(phrase) {
                    continue;
                }
                i += k;
                continue 'cover;
            }
            return None;
        }
        Some(if strong {
            Verdict::Chrome(Rule::Ui)
        } else {
            Verdict::Weak(Rule::Ui)
        })
    }

    /// "Baca Juga: <headline>": a reading prompt, then `:`/`-`/`»` (or a space before a
    /// capitalised headline), then at most 30 words that do not end like a sentence.
    fn is_read_also(&self, line: &str, lower: &str) -> bool {
        let Some(prefix) = self.read_also.iter().find(|p| lower.starts_with(**p)) else {
            return false;
        };
        let rest = &lower[prefix.len()..];
        let Some((headline, separated)) = after_label(rest) else {
            return false;
        };
        if !separated && !capitalised_at(line, lower.len() - headline.len()) {
            return false;
        }
        let words = headline.split_whitespace().count();
        (1..=30).contains(&words) && !headline.ends_with('.') && !headline.starts_with("video")
    }

    /// "Tags: a, b, c": a tag label, a colon, then a list of short items.
    fn is_tags(&self, lower: &str) -> bool {
        let Some(prefix) = self.tags.iter().find(|p| lower.starts_with(**p)) else {
            return false;
        };
        let rest = lower[prefix.len()..].trim_start();
        let Some(list) = rest.strip_prefix(':') else {
            return false;
        };
        let items: Vec<&str> = list.split([',', '|', '#', '·', ';']).collect();
        let words = list.split_whitespace().count();
        words <= 30 && items.iter().all(|i| i.split_whitespace().count() <= 5)
    }
}

/// The text after a prompt label (`: x`, ` - x`, ` » x`, or ` x`), and whether a separator
/// stood between them. The text runs to the end of the line (lines are already trimmed).
fn after_label(rest: &str) -> Option<(&str, bool)> {
    let trimmed = rest.trim_start();
    for sep in [":", "-", "–", "—", "»", "|", ">"] {
        if let Some(h) = trimmed.strip_prefix(sep) {
            let h = h.trim_start();
            return (!h.is_empty()).then_some((h, true));
        }
    }
    // No separator: only a space, and the label must have ended at a word boundary.
    (rest.len() > trimmed.len() && !trimmed.is_empty()).then_some((trimmed, false))
}

/// Whether the original line has an uppercase letter or a digit at the byte offset where its
/// lowercase copy has the headline (offsets agree unless lowercasing changed a length).
fn capitalised_at(line: &str, offset: usize) -> bool {
    line.get(offset..)
        .and_then(|s| s.chars().next())
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

/// Copyright footers (at most 20 words): `©` followed by a year ("© 2012", "©2019"), a line
/// starting with "copyright", or a rights phrase ("all rights reserved", "hak cipta
/// dilindungi", ...). A `©` glued after a word ("Autonotes©") is a trademark, not a footer.
fn is_copyright(lower: &str) -> bool {
    if lower.starts_with("copyright") || lower.starts_with("(c) ") {
        return true;
    }
    if lexicon::RIGHTS.iter().any(|p| lower.contains(p)) {
        return true;
    }
    lower.match_indices('©').any(|(i, _)| {
        let after = lower[i + '©'.len_utf8()..].trim_start();
        after.len() >= 4 && has_year(&after[..4])
    })
}

/// "Jangan lupa ikuti kami di YouTube dan Instagram!": a follow prompt naming a network (at
/// most 15 words).
fn is_follow_prompt(lower: &str) -> bool {
    lexicon::FOLLOW.iter().any(|p| lower.contains(p))
        && lexicon::NETWORKS.iter().any(|p| lower.contains(p))
}

/// "Posted on July 26, 2023 by Amirul Azreen": post meta with a date (at most 16 words).
fn is_post_meta(lower: &str) -> bool {
    lexicon::POSTED.iter().any(|p| {
        lower
            .strip_prefix(p)
            .is_some_and(|r| r.starts_with([' ', ':']) && r.bytes().any(|b| b.is_ascii_digit()))
    })
}

fn has_year(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(4).any(|w| {
        (w[0] == b'1' && w[1] == b'9' || w[0] == b'2' && w[1] == b'0')
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
    })
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '|' | '•'
                | '·'
                | '/'
                | '\\'
                | ','
                | ';'
                | ':'
                | '('
                | ')'
                | '['
                | ']'
                | '<'
                | '>'
                | '«'
                | '»'
                | '"'
                | '“'
                | '”'
                | '›'
                | '‹'
                | '*'
                | '—'
                | '–'
                | '='
                | '#'
        )
}

/// The number of space- or tab-separated words in `s`, at most `cap`. Lines are trimmed and
/// their space runs collapsed by then, so this counts separators in one vectorised pass; a
/// line longer than 12 bytes per word allowed is over the cap without counting.
fn word_count(s: &str, cap: usize) -> usize {
    if s.is_empty() {
        return 0;
    }
    if s.len() > 12 * cap {
        return cap;
    }
    let gaps = s.bytes().filter(|&b| b == b' ' || b == b'\t').count();
    (gaps + 1).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(line: &str) -> Verdict {
        ChromeRules::new().classify(line)
    }

    #[test]
    fn strong_ui_lines_in_many_languages() {
        for line in [
            "Share",
            "Bagikan",
            "WhatsApp",
            "Copy Link",
            "Salin tautan",
            "ADVERTISEMENT",
            "Advertisements",
            "Iklan",
            "Anzeige",
            "Publicité",
            "Publicidad",
            "SCROLL TO CONTINUE WITH CONTENT",
            "Lihat Foto",
            "Voir les photos",
            "Share: Facebook | Twitter | WhatsApp",
            "Teilen",
            "Kongsi",
            "Condividi",
            "Compartilhar",
            "Loading...",
            "loading...",
            "Memuat...",
            "Chargement…",
            "Cargando...",
            "Wird geladen ...",
            "Caricamento...",
            "Artikel geht unter der Anzeige weiter",
            "Share on Facebook",
            "Kongsi artikel ini",
            "Deel dit artikel",
            "Partager sur Facebook",
            "Compartir en Twitter",
            "Condividi su WhatsApp",
            "Please wait...",
            "Advertisement - Scroll to continue",
        ] {
            assert_eq!(verdict(line), Verdict::Chrome(Rule::Ui), "{line}");
        }
    }

    #[test]
    fn weak_ui_lines_need_context() {
        for line in [
            "A", "A-", "A+", "Next", "Foto", "Loading", "Print", "Komentar", "Weiter", "Suivant",
        ] {
            assert_eq!(verdict(line), Verdict::Weak(Rule::Ui), "{line}");
        }
    }

    #[test]
    fn content_lines_stay_content() {
        for line in [
            "Bertemu Lavrov di Pertemuan G20, Ini yang Disampaikan Blinken",
            "NEW DELHI - Menteri Luar Negeri Amerika Serikat (AS) Antony Blinken berbicara.",
            "Liputan6.com, Jakarta - Penyidik Polres Bogor menetapkan SM sebagai tersangka.",
            "Share prices fell sharply on Monday.",
            "Facebook dan Twitter diblokir pemerintah.",
            "\"Baca juga buku ini,\" kata dia.",
            "Iklan itu diberi judul, \" Lorde dan Selandia Baru \".",
            "Simak juga Video: BI Menahan Suku Bunga Imbas Perang Iran",
            "1. Jangan Menukarkan Uang di Negara Bermata Lebih Menguat",
            "Hak cipta lagu itu dimiliki oleh label rekamannya sejak 1998.",
            "Ikuti kami,\" kata komandan itu kepada pasukannya.",
            "Honda",
            "Bersambung...",
        ] {
            assert_eq!(verdict(line), Verdict::Content, "{line}");
        }
    }

    #[test]
    fn read_also_links_in_many_languages() {
        for line in [
            "Baca Juga: Prabowo Ungkap Alasan Bentuk Danantara",
            "Baca juga - Harga Emas Naik Lagi",
            "Baca Juga Perjalanan Kasus Wanita Bawa Anjing ke Masjid hingga Divonis Bebas",
            "Read also: Markets rally after Fed decision",
            "READ MORE: The ten best beaches in Bali",
            "Lesen Sie auch: Die Bahn streikt wieder",
            "Lire aussi : Le gouvernement annonce un plan",
            "Lea también: El precio del petróleo sube",
            "Leia também: Governo anuncia novo plano",
            "Leggi anche: Il governo annuncia un piano",
            "Lees ook: Kabinet presenteert plan",
            "Artikel berkaitan: Harga minyak naik lagi",
            "RELATED: Storm hits the coast",
        ] {
            assert_eq!(verdict(line), Verdict::Chrome(Rule::ReadAlso), "{line}");
        }
    }

    #[test]
    fn tags_copyright_follow_and_post_meta() {
        assert_eq!(verdict("Tags: Jakarta,, Ya,"), Verdict::Chrome(Rule::Tags));
        assert_eq!(
            verdict("Schlagwörter: Berlin, Politik"),
            Verdict::Chrome(Rule::Tags)
        );
        assert_eq!(
            verdict("Tags are a way to group posts, he said."),
            Verdict::Content
        );
        assert_eq!(
            verdict("Copyright © 2023 kabarkita.id. All rights reserved."),
            Verdict::Chrome(Rule::Copyright)
        );
        assert_eq!(
            verdict("© 2024 Le Monde. Tous droits réservés."),
            Verdict::Chrome(Rule::Copyright)
        );
        assert_eq!(
            verdict("Hak Cipta Dilindungi Undang-Undang"),
            Verdict::Chrome(Rule::Copyright)
        );
        assert_eq!(
            verdict("©2019 Merdeka.com/Pexels"),
            Verdict::Chrome(Rule::Copyright)
        );
        assert_eq!(
            verdict(
                "•In 1960 the production of car accessories starts with the mythical Autonotes©"
            ),
            Verdict::Content
        );
        assert_eq!(
            verdict("Jangan lupa ikuti kami di YouTube dan Instagram!"),
            Verdict::Chrome(Rule::FollowPrompt)
        );
        assert_eq!(
            verdict("Folgen Sie uns auf Instagram"),
            Verdict::Chrome(Rule::FollowPrompt)
        );
        assert_eq!(
            verdict("Posted on July 26, 2023July 26, 2023 by Amirul Azreen"),
            Verdict::Weak(Rule::PostMeta)
        );
        assert_eq!(
            verdict("Posted on the wall of the office were notices."),
            Verdict::Content
        );
    }

    #[test]
    fn weak_lines_removed_at_the_edges_and_beside_chrome_only() {
        let rules = ChromeRules::new();
        let body = "Kalimat isi berita yang cukup panjang untuk dianggap sebagai paragraf.";
        let lines = [
            "Judul",
            "loading...",
            "A",
            "A",
            "A",
            body,
            body,
            body,
            body,
            body,
            body,
            "A",
            body,
            body,
            body,
            "Next",
            "Share",
            body,
            body,
            body,
            body,
            body,
            body,
            "Foto",
        ];
        let mut removed = vec![None; lines.len()];
        rules.mark(&lines, &mut removed);
        let got: Vec<usize> = (0..lines.len()).filter(|&i| removed[i].is_some()).collect();
        // the lone "A" in the middle (11) stays; "Next" beside "Share" goes; "Foto" at the end goes
        assert_eq!(got, [1, 2, 3, 4, 15, 16, 23]);
    }
}
