//! Score the `clean` stage on `clean/clean_dev.jsonl` (raw page -> expected article pairs) and
//! on the reference article of `../shared/samples`.
//!
//! Prints the four figures of issue 3: exact-match rate, share of expected lines kept, share of
//! injected chrome lines removed, share of repeated-body documents fully repaired. Lines are
//! compared after trimming; the exact-match rate is printed twice, strictly and with runs of
//! whitespace (including no-break spaces) counted as one space, because the stage collapses
//! space runs the expected texts still contain.
//!
//! `cargo run --release -p sapu-eval --bin eval_clean [-- --show N]` prints up to N failing
//! documents with the lines lost and the lines left over.

use std::collections::HashMap;

use anyhow::{Context, Result};
use sapu::clean::{Clean, CleanConfig};

fn main() -> Result<()> {
    let show: usize = std::env::args()
        .skip_while(|a| a != "--show")
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(0);
    let data = sapu_eval::data_dir()?;
    let clean = Clean::new(&CleanConfig::default()).map_err(|p| anyhow::anyhow!("{p:?}"))?;

    let keep_spaces = Clean::new(&CleanConfig {
        collapse_spaces: false,
        ..CleanConfig::default()
    })
    .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let mut strict_keep_spaces = 0;
    reference(&clean, &data.join("../samples"))?;

    let rows = sapu_eval::read_jsonl(&data.join("clean/clean_dev.jsonl"))?;
    let mut s = Score::default();
    let mut shown = 0;
    for row in &rows {
        let field = |k: &str| {
            row[k]
                .as_str()
                .with_context(|| format!("row without `{k}`"))
        };
        let raw = field("raw")?;
        let expected = field("expected")?;
        let repeat = field("repeat")?;
        let injected: Vec<&str> = row["injected"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let cleaned = clean.clean_text(raw);
        let out = cleaned.text.as_deref().unwrap_or(raw);
        let ok = s.add(out, expected, &injected, repeat != "none");
        let spaced = keep_spaces.clean_text(raw);
        strict_keep_spaces +=
            usize::from(lines(spaced.text.as_deref().unwrap_or(raw)) == lines(expected));
        if !ok && shown < show {
            shown += 1;
            explain(field("id")?, out, expected);
        }
    }
    s.print();
    println!(
        "exact match (strict), collapse_spaces = false: {:.4}",
        strict_keep_spaces as f64 / rows.len().max(1) as f64
    );
    Ok(())
}

fn reference(clean: &Clean, samples: &std::path::Path) -> Result<()> {
    let raw = std::fs::read_to_string(samples.join("raw-news-id.txt"))?;
    let want = std::fs::read_to_string(samples.join("raw-news-id.expected.txt"))?;
    let got = clean.clean_text(&raw);
    let text = got.text.as_deref().unwrap_or(&raw);
    let same = text.lines().map(str::trim).eq(want.lines().map(str::trim));
    println!(
        "reference raw-news-id.txt: lines match {same}, byline {:?}",
        got.byline.as_deref().unwrap_or("")
    );
    Ok(())
}

/// Trimmed non-empty lines.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// A line with every whitespace run (no-break spaces included) written as one space.
fn squash(line: &str) -> String {
    line.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn counts(lines: &[String]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for l in lines {
        *m.entry(squash(l)).or_insert(0) += 1;
    }
    m
}

#[derive(Default)]
struct Score {
    docs: usize,
    exact_strict: usize,
    exact_ws: usize,
    expected_lines: usize,
    expected_kept: usize,
    injected: usize,
    injected_removed: usize,
    repeat_docs: usize,
    repeat_repaired: usize,
}

impl Score {
    /// Add one document; true when it matches (whitespace-insensitive).
    fn add(&mut self, out: &str, expected: &str, injected: &[&str], repeated: bool) -> bool {
        let (o, e) = (lines(out), lines(expected));
        self.docs += 1;
        self.exact_strict += usize::from(o == e);
        let ws = o.iter().map(|l| squash(l)).eq(e.iter().map(|l| squash(l)));
        self.exact_ws += usize::from(ws);
        let (oc, ec) = (counts(&o), counts(&e));
        for (line, n) in &ec {
            self.expected_lines += n;
            self.expected_kept += (*n).min(oc.get(line).copied().unwrap_or(0));
        }
        let mut ic: HashMap<String, usize> = HashMap::new();
        for l in injected {
            *ic.entry(squash(l)).or_insert(0) += 1;
        }
        for (line, n) in &ic {
            let left = oc
                .get(line)
                .copied()
                .unwrap_or(0)
                .saturating_sub(ec.get(line).copied().unwrap_or(0));
            self.injected += n;
            self.injected_removed += n - left.min(*n);
        }
        if repeated {
            self.repeat_docs += 1;
            let repaired = ec.iter().all(|(l, n)| oc.get(l) == Some(n));
            self.repeat_repaired += usize::from(repaired);
        }
        ws
    }

    fn print(&self) {
        let r = |a: usize, b: usize| a as f64 / b.max(1) as f64;
        println!("documents                         {}", self.docs);
        println!(
            "exact match (whitespace runs = 1) {:.4}  (target >= 0.95)",
            r(self.exact_ws, self.docs)
        );
        println!(
            "exact match (strict, trim only)   {:.4}",
            r(self.exact_strict, self.docs)
        );
        println!(
            "expected lines kept               {:.4}  ({}/{}, target >= 0.998)",
            r(self.expected_kept, self.expected_lines),
            self.expected_kept,
            self.expected_lines
        );
        println!(
            "injected chrome lines removed     {:.4}  ({}/{}, target >= 0.97)",
            r(self.injected_removed, self.injected),
            self.injected_removed,
            self.injected
        );
        println!(
            "repeated-body docs repaired       {:.4}  ({}/{}, target >= 0.99)",
            r(self.repeat_repaired, self.repeat_docs),
            self.repeat_repaired,
            self.repeat_docs
        );
    }
}

fn explain(id: &str, out: &str, expected: &str) {
    let (o, e) = (lines(out), lines(expected));
    let (oc, ec) = (counts(&o), counts(&e));
    println!("--- {id}");
    for (l, n) in &ec {
        let got = oc.get(l).copied().unwrap_or(0);
        if got < *n {
            println!("  lost ({}x): {l}", n - got);
        }
    }
    for (l, n) in &oc {
        let want = ec.get(l).copied().unwrap_or(0);
        if *n > want {
            println!("  left ({}x): {l}", n - want);
        }
    }
}
