//! The sections built from the documents: removal reasons with samples, what cleaning cut,
//! languages, quality-signal histograms, deduplication clusters.

use std::fmt::Write;

use super::chart::{histogram, histogram_svg};
use super::collect::Collected;
use super::fmt::{bytes, esc, esc_into, int, num, pct};
use super::page::Sum;
use super::sample::Sample;
use super::thresholds::{for_signal, recipe_limits, Threshold};

/// Reasons whose samples are shown unfolded; the rest are folded.
const OPEN_REASONS: usize = 8;
/// Languages listed one by one.
const TOP_LANGS: usize = 25;

/// Removal reasons ranked by count, then one block of samples per reason. Returns the reasons.
pub(crate) fn reasons(
    out: &mut String,
    sum: &Sum,
    c: &Collected,
    samples: &mut usize,
) -> Vec<String> {
    let mut ranked: Vec<(String, u64)> = sum.counts("removed");
    for (k, r) in &c.reasons {
        if !ranked.iter().any(|(name, _)| name == k) {
            ranked.push((k.clone(), r.docs));
        }
    }
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let removed = sum.u("removed_docs");
    let input = sum.u("input_docs");
    let top = ranked.first().map_or(1, |r| r.1).max(1);
    let _ = write!(
        out,
        r#"<section id="reasons"><h2>Removal reasons</h2><p class="lede">{} documents were removed for {} reasons. Below the table, sampled removed documents per reason; lines that occur more than once in a document are <mark>marked</mark>.</p>"#,
        int(removed),
        ranked.len()
    );
    if ranked.is_empty() {
        out.push_str(r#"<p class="muted">No document was removed.</p></section>"#);
        return Vec::new();
    }
    out.push_str(r#"<table class="data"><thead><tr><th class=n>#</th><th>Reason</th><th>Stage</th><th class=n>Docs</th><th class=n>Share of removed</th><th class=n>Share of input</th><th class=n>Text</th><th class="barcol"></th></tr></thead><tbody>"#);
    for (i, (key, n)) in ranked.iter().enumerate() {
        let (stage, reason) = key.split_once('/').unwrap_or(("", key));
        let text = c.reasons.get(key).map_or(0, |r| r.bytes);
        let _ = write!(
            out,
            r##"<tr><td class=n>{}</td><td><a href="#r-{}"><code>{}</code></a></td><td><span class="tag">{}</span></td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class="barcol"><span class="bar cut" style="width:{:.1}%"></span></td></tr>"##,
            i + 1,
            anchor(key),
            esc(reason),
            esc(stage),
            int(*n),
            pct(*n, removed),
            pct(*n, input),
            bytes(text),
            *n as f64 * 100.0 / top as f64
        );
    }
    out.push_str("</tbody></table>");
    for (i, (key, n)) in ranked.iter().enumerate() {
        let _ = write!(
            out,
            r#"<details class="group" id="r-{}"{}><summary><code>{}</code> <span class="muted">{} docs · {} of removed</span></summary>"#,
            anchor(key),
            if i < OPEN_REASONS { " open" } else { "" },
            esc(key),
            int(*n),
            pct(*n, removed)
        );
        match c.reasons.get(key) {
            Some(r) if r.samples.len() > 0 => {
                out.push_str(r#"<div class="docs">"#);
                for s in r.samples.clone().into_sorted() {
                    doc_card(out, &s);
                    *samples += 1;
                }
                out.push_str("</div>");
            }
            _ => out.push_str(r#"<p class="muted">No document with this reason in removed/.</p>"#),
        }
        out.push_str("</details>");
    }
    out.push_str("</section>");
    ranked.into_iter().map(|(k, _)| k).collect()
}

/// What the clean stage cut, by rule, from `metadata.clean`.
pub(crate) fn clean(out: &mut String, sum: &Sum, c: &Collected, samples: &mut usize) {
    out.push_str(r#"<section id="clean"><h2>Cleaning</h2>"#);
    if c.rules.is_empty() {
        let counters: Vec<String> = sum
            .arr("stages")
            .iter()
            .filter(|s| Sum(s).s("name") == "clean")
            .flat_map(|s| Sum(s).counts("counters"))
            .map(|(k, v)| format!("{} {}", esc(&k), int(v)))
            .collect();
        out.push_str(r#"<p class="muted">No document carries <code>metadata.clean</code>, so the lines cut inside documents cannot be shown."#);
        if !counters.is_empty() {
            let _ = write!(out, " The clean stage counted: {}.", counters.join(" · "));
        }
        out.push_str("</p></section>");
        return;
    }
    let docs = c.kept.docs + c.removed.docs;
    let _ = write!(
        out,
        r#"<p class="lede">{} of {} documents had lines cut. Per rule, sampled documents with the <s>lines it cut</s> (when the stage recorded them) and the start of the text that remained; a card&#39;s <span class="sw ok"></span> edge marks a kept document, <span class="sw cut"></span> a removed one.</p>"#,
        int(c.cleaned_docs),
        int(docs)
    );
    let mut rules: Vec<_> = c.rules.iter().collect();
    rules.sort_by(|a, b| b.1.lines.cmp(&a.1.lines).then(a.0.cmp(b.0)));
    out.push_str(r#"<table class="data narrow"><thead><tr><th>Rule</th><th class=n>Docs</th><th class=n>Share of docs</th><th class=n>Lines cut</th></tr></thead><tbody>"#);
    for (rule, r) in &rules {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            esc(rule),
            int(r.docs),
            pct(r.docs, docs),
            int(r.lines)
        );
    }
    out.push_str("</tbody></table>");
    for (i, (rule, r)) in rules.iter().enumerate() {
        let _ = write!(
            out,
            r#"<details class="group"{}><summary><code>clean: {}</code> <span class="muted">{} docs · {} lines</span></summary><div class="docs">"#,
            if i < 4 { " open" } else { "" },
            esc(rule),
            int(r.docs),
            int(r.lines)
        );
        for s in r.samples.clone().into_sorted() {
            doc_card(out, &s);
            *samples += 1;
        }
        out.push_str("</div></details>");
    }
    out.push_str("</section>");
}

/// Language counts, kept and removed, with the mean score and its spread.
pub(crate) fn languages(out: &mut String, c: &Collected) {
    out.push_str(r#"<section id="languages"><h2>Languages</h2>"#);
    if c.langs.is_empty() {
        out.push_str(r#"<p class="muted">No document carries <code>metadata.lang</code> (the recipe has no langid stage, or it ran after the documents were removed).</p></section>"#);
        return;
    }
    let mut langs: Vec<_> = c.langs.iter().collect();
    langs.sort_by(|a, b| {
        (b.1.kept + b.1.removed)
            .cmp(&(a.1.kept + a.1.removed))
            .then(a.0.cmp(b.0))
    });
    let tagged: u64 = langs.iter().map(|(_, l)| l.kept + l.removed).sum();
    let top = langs.first().map_or(1, |(_, l)| l.kept + l.removed).max(1);
    let _ = write!(
        out,
        r#"<p class="lede">{} documents carry a language tag, in {} languages. Bars: <span class="sw ok"></span> kept, <span class="sw cut"></span> removed (by any stage). Score spread: documents per tenth of <code>lang_score</code>, 0 to 1.</p>"#,
        int(tagged),
        langs.len()
    );
    out.push_str(r#"<table class="data"><thead><tr><th>Language</th><th class=n>Docs</th><th class=n>Share</th><th class=n>Kept</th><th class=n>Removed</th><th class=n>Mean score</th><th>Score spread</th><th class="barcol"></th></tr></thead><tbody>"#);
    let (shown, rest) = langs.split_at(langs.len().min(TOP_LANGS));
    for (lang, l) in shown {
        let n = l.kept + l.removed;
        let mean = if l.scored > 0 {
            num(l.score_sum / l.scored as f64)
        } else {
            "-".into()
        };
        let _ = write!(
            out,
            r#"<tr><td><code>{}</code></td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td><td class="barcol"><span class="bar ok" style="width:{:.1}%"></span><span class="bar cut" style="width:{:.1}%"></span></td></tr>"#,
            esc(lang),
            int(n),
            pct(n, tagged),
            int(l.kept),
            int(l.removed),
            mean,
            spark(&l.score_bins),
            l.kept as f64 * 100.0 / top as f64,
            l.removed as f64 * 100.0 / top as f64
        );
    }
    if !rest.is_empty() {
        let n: u64 = rest.iter().map(|(_, l)| l.kept + l.removed).sum();
        let _ = write!(
            out,
            r#"<tr><td class="muted">{} other languages</td><td class=n>{}</td><td class=n>{}</td><td colspan=5></td></tr>"#,
            rest.len(),
            int(n),
            pct(n, tagged)
        );
    }
    out.push_str("</tbody></table></section>");
}

/// Ten small bars, one per tenth of the score range.
fn spark(bins: &[u64; 10]) -> String {
    let max = bins.iter().copied().max().unwrap_or(0).max(1);
    let mut s = String::from(r#"<svg class="spark" viewBox="0 0 90 20" aria-hidden="true">"#);
    for (i, b) in bins.iter().enumerate() {
        let h = if *b == 0 {
            0.0
        } else {
            (*b as f64 / max as f64 * 18.0).max(1.5)
        };
        let _ = write!(
            s,
            r#"<rect x="{}" y="{:.1}" width="8" height="{h:.1}"><title>{}–{}: {}</title></rect>"#,
            i * 9,
            20.0 - h,
            i as f64 / 10.0,
            (i + 1) as f64 / 10.0,
            int(*b)
        );
    }
    s.push_str("</svg>");
    s
}

/// One histogram per numeric `metadata.quality.*` signal.
pub(crate) fn quality(out: &mut String, c: &Collected, recipe: Option<&str>, extra: &[Threshold]) {
    out.push_str(r#"<section id="quality"><h2>Quality signals</h2>"#);
    if c.signals.is_empty() {
        out.push_str(r#"<p class="muted">No document carries numeric <code>metadata.quality.*</code> values. Quality filters write them (with <code>annotate_only = true</code> they write them and remove nothing).</p></section>"#);
        return;
    }
    let limits = recipe.map(recipe_limits).unwrap_or_default();
    let _ = write!(
        out,
        r#"<p class="lede">{} signals found in <code>metadata.quality</code>. Bars: <span class="sw ok"></span> kept, <span class="sw cut"></span> removed (by any stage), estimated from sampled values; <span class="sw thr"></span> thresholds {}.</p><div class="grid">"#,
        c.signals.len(),
        if recipe.is_some() {
            "from the recipe's <code>min_*</code>/<code>max_*</code> keys"
        } else {
            "(none known: the run directory has no recipe.toml)"
        }
    );
    for (name, s) in &c.signals {
        let mut thresholds = for_signal(name, &limits);
        thresholds.extend(extra.iter().filter(|t| &t.signal == name).cloned());
        let points: Vec<(f64, bool)> = s
            .values
            .clone()
            .into_sorted()
            .iter()
            .map(|p| (p.value(), p.removed))
            .collect();
        let n = s.kept + s.removed;
        let mut sorted: Vec<f64> = points.iter().map(|p| p.0).collect();
        sorted.sort_by(f64::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
        let h = histogram(&points, n, &thresholds);
        let _ = write!(
            out,
            r#"<figure class="sig"><figcaption><code>{}</code><span class="muted">n {} · min {} · median {} · mean {} · max {}</span></figcaption>{}"#,
            esc(name),
            int(n),
            num(s.min),
            num(median),
            num(s.sum / n.max(1) as f64),
            num(s.max),
            histogram_svg(&h, name)
        );
        let mut notes = Vec::new();
        if (points.len() as u64) < n {
            notes.push(format!("from {} sampled values", int(points.len() as u64)));
        }
        if h.clipped {
            notes.push("outer 0.5% on each side counted in the edge bins".to_string());
        }
        for t in &h.off_chart {
            notes.push(format!(
                "{} = {} (off the chart)",
                esc(&t.label),
                num(t.value)
            ));
        }
        if !notes.is_empty() {
            let _ = write!(out, r#"<p class="note">{}</p>"#, notes.join(" · "));
        }
        out.push_str("</figure>");
    }
    out.push_str("</div></section>");
}

/// Cluster sizes (kept documents' `metadata.cluster_size`) in powers of two, then the biggest.
pub(crate) fn dedup(out: &mut String, sum: &Sum, c: &Collected, samples: &mut usize) {
    out.push_str(r#"<section id="dedup"><h2>Deduplication</h2>"#);
    let dedup_removed: Vec<(String, u64)> = sum
        .counts("removed")
        .into_iter()
        .filter(|(k, _)| k.split('/').next().is_some_and(|s| s.contains("dedup")))
        .collect();
    if !dedup_removed.is_empty() {
        let parts: Vec<String> = dedup_removed
            .iter()
            .map(|(k, n)| format!("<code>{}</code> {}", esc(k), int(*n)))
            .collect();
        let _ = write!(
            out,
            r#"<p class="lede">Removed as duplicates: {}.</p>"#,
            parts.join(" · ")
        );
    }
    if c.cluster_sizes.is_empty() {
        out.push_str(r#"<p class="muted">No kept document carries <code>metadata.cluster_size</code> (no near-duplicate stage ran, or it does not annotate).</p></section>"#);
        return;
    }
    let mut bins: Vec<(u64, u64, u64, u64)> = Vec::new(); // (lo, hi, docs, represented)
    for (&size, &n) in &c.cluster_sizes {
        let hi = if size <= 1 {
            size
        } else {
            size.next_power_of_two()
        };
        let lo = if size <= 1 { size } else { hi / 2 + 1 };
        match bins.last_mut() {
            Some(b) if b.0 == lo => {
                b.2 += n;
                b.3 += n * size;
            }
            _ => bins.push((lo, hi.max(lo), n, n * size)),
        }
    }
    let top = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    let clustered: u64 = c
        .cluster_sizes
        .iter()
        .filter(|(s, _)| **s > 1)
        .map(|(_, n)| n)
        .sum();
    let _ = write!(
        out,
        r#"<p class="lede">{} kept documents carry a cluster size; {} of them stand for a cluster of two or more.</p><table class="data narrow"><thead><tr><th>Cluster size</th><th class=n>Clusters</th><th class=n>Documents in them</th><th class="barcol"></th></tr></thead><tbody>"#,
        int(c.cluster_sizes.values().sum()),
        int(clustered)
    );
    for (lo, hi, n, docs) in &bins {
        let label = if lo == hi {
            int(*lo)
        } else {
            format!("{}–{}", int(*lo), int(*hi))
        };
        let _ = write!(
            out,
            r#"<tr><td>{label}</td><td class=n>{}</td><td class=n>{}</td><td class="barcol"><span class="bar neutral" style="width:{:.1}%"></span></td></tr>"#,
            int(*n),
            int(*docs),
            *n as f64 * 100.0 / top as f64
        );
    }
    out.push_str("</tbody></table>");
    let biggest = c.clusters.clone().into_sorted();
    if !biggest.is_empty() {
        out.push_str(r#"<h3>Biggest clusters</h3><p class="muted">The kept document of each cluster.</p><div class="docs">"#);
        for cl in &biggest {
            let _ = write!(
                out,
                r#"<div class="cl"><div class="clhead">cluster of {} documents</div>"#,
                int(cl.size)
            );
            doc_card(out, &cl.sample);
            out.push_str("</div>");
            *samples += 1;
        }
        out.push_str("</div>");
    }
    out.push_str("</section>");
}

/// A sampled document: id and facts, the excerpt, lines cut, folded metadata.
fn doc_card(out: &mut String, s: &Sample) {
    let _ = write!(
        out,
        r#"<article class="doc {}"><header><code class="id">{}</code>"#,
        if s.removed { "removed" } else { "kept" },
        esc(&s.id)
    );
    for (k, v) in &s.facts {
        let _ = write!(
            out,
            r#"<span class="chip"><b>{}</b> {}</span>"#,
            esc(k),
            esc(v)
        );
    }
    let _ = write!(
        out,
        r#"<span class="size">{} chars · {} lines{}</span></header>"#,
        int(s.total_chars as u64),
        int(s.total_lines as u64),
        if s.repeated_lines > 0 {
            format!(" · {} repeated", int(s.repeated_lines as u64))
        } else {
            String::new()
        }
    );
    if !s.cut_lines.is_empty() {
        out.push_str(r#"<ul class="cutlines">"#);
        for l in &s.cut_lines {
            let _ = write!(out, "<li><s>{}</s></li>", esc(l));
        }
        out.push_str("</ul>");
    }
    out.push_str(r#"<pre class="excerpt">"#);
    if s.excerpt.is_empty() {
        out.push_str(r#"<span class="muted">(empty text)</span>"#);
    }
    for l in &s.excerpt {
        if l.gap_before {
            out.push_str("<span class=\"gap\">⋯</span>\n");
        }
        if l.repeated {
            out.push_str("<mark>");
            esc_into(out, &l.text);
            out.push_str("</mark>\n");
        } else {
            esc_into(out, &l.text);
            out.push('\n');
        }
    }
    let shown = s.excerpt.iter().filter(|l| !l.gap_before).count();
    if s.total_lines > shown && !s.excerpt.iter().any(|l| l.gap_before) {
        let _ = write!(
            out,
            "<span class=\"gap\">⋯ {} more lines</span>",
            int((s.total_lines - shown) as u64)
        );
    }
    let _ = write!(
        out,
        r#"</pre><details class="meta"><summary>metadata</summary><pre>{}</pre></details></article>"#,
        esc(&s.metadata)
    );
}

/// An HTML id for a reason key.
fn anchor(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
