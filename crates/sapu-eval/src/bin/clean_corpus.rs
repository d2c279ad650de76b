//! Run the `clean` stage over real crawled text and report what it removed: lines by rule per
//! file, the most frequent removed lines, and an evenly spaced sample of removed lines for
//! checking by eye.
//!
//! `cargo run --release -p sapu-eval --bin clean_corpus [-- SAMPLE [RULE]]` (default sample 30)
//! over `text/detik-news-1000` and every file of `text/malaysian-dataset-extracts`; with RULE
//! (`ui`, `read_also`, `repeated_block`, ...) it also lists up to 300 lines that rule removed.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use sapu::clean::{Clean, CleanConfig};

/// One removed line: document id, rule code, line text.
type Removal = (String, &'static str, String);

fn main() -> Result<()> {
    let sample: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(30);
    let rule_filter = std::env::args().nth(2);
    let data = sapu_eval::data_dir()?;
    let clean = Clean::new(&CleanConfig::default()).map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let mut files = vec![data.join("text/detik-news-1000/detik_news_1000.jsonl")];
    let mut extracts: Vec<_> = std::fs::read_dir(data.join("text/malaysian-dataset-extracts"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().contains(".jsonl"))
        .collect();
    extracts.sort();
    files.extend(extracts);

    let mut all: Vec<Removal> = Vec::new();
    for path in &files {
        let rows = sapu_eval::read_jsonl(path)?;
        let mut by_rule: BTreeMap<&'static str, usize> = BTreeMap::new();
        let (mut docs, mut touched, mut lines_in) = (0, 0, 0);
        for row in &rows {
            let Some(text) = row["text"].as_str() else {
                continue;
            };
            docs += 1;
            lines_in += text.lines().filter(|l| !l.trim().is_empty()).count();
            let c = clean.clean_text(text);
            touched += usize::from(!c.removed.is_empty());
            let id = row["id"].as_str().unwrap_or("?").to_string();
            for (rule, line) in c.removed {
                *by_rule.entry(rule.code()).or_insert(0) += 1;
                all.push((id.clone(), rule.code(), line));
            }
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("{name}: {docs} docs, {lines_in} non-empty lines, {touched} docs changed by a rule, removed {by_rule:?}");
    }

    let mut freq: HashMap<(&str, &str), usize> = HashMap::new();
    for (_, rule, line) in &all {
        *freq.entry((rule, line.as_str())).or_insert(0) += 1;
    }
    let mut freq: Vec<_> = freq.into_iter().collect();
    freq.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("\nmost frequent removed lines (rule, count, line):");
    for ((rule, line), n) in freq.iter().take(40) {
        println!("  {rule:<14} {n:>6}  {}", cut(line));
    }

    // Stratified: evenly spaced removals from each (source, rule) group, so rare rules and
    // small sources are seen too (repeated-block lines are article text, listed apart).
    let mut groups: BTreeMap<(&str, &str), Vec<&Removal>> = BTreeMap::new();
    for entry in all.iter().filter(|(_, r, _)| *r != "repeated_block") {
        let source = entry.0.split('-').next().unwrap_or("");
        groups.entry((source, entry.1)).or_default().push(entry);
    }
    let total: usize = groups.values().map(Vec::len).sum();
    let quota = sample.div_ceil(groups.len().max(1));
    println!("\nsample of {sample} removed chrome lines (of {total}), by source and rule:");
    let mut shown = 0;
    for list in groups.values() {
        let step = (list.len() / quota).max(1);
        for (id, rule, line) in list.iter().step_by(step).take(quota) {
            if shown < sample {
                println!("  {id:<36} {rule:<14} {}", cut(line));
                shown += 1;
            }
        }
    }
    if let Some(rule) = &rule_filter {
        let mut distinct: HashMap<&str, (usize, &str)> = HashMap::new();
        for (id, _, line) in all.iter().filter(|(_, r, _)| r == rule) {
            distinct.entry(line.as_str()).or_insert((0, id.as_str())).0 += 1;
        }
        let mut distinct: Vec<_> = distinct.into_iter().collect();
        distinct.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
        println!("\ndistinct lines removed by `{rule}` (count, first doc, line):");
        for (line, (n, id)) in distinct.iter().take(300) {
            println!("  {n:>5} {id:<36} {}", cut(line));
        }
    }
    let repeated: Vec<_> = all
        .iter()
        .filter(|(_, r, _)| *r == "repeated_block")
        .collect();
    println!(
        "\nsample of 10 repeated-block lines (of {}):",
        repeated.len()
    );
    let step = (repeated.len() / 10).max(1);
    for (id, _, line) in repeated.iter().step_by(step).take(10) {
        println!("  {id:<28} {}", cut(line));
    }
    Ok(())
}

fn cut(line: &str) -> String {
    let mut s: String = line.chars().take(110).collect();
    if s.len() < line.len() {
        s.push('…');
    }
    s
}
