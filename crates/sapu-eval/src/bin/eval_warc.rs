//! Account for every record of the WARC files in `formats/dolma-testdata/warc` (or the paths
//! given): documents made, records skipped by code, input issues, and what `extract` does with
//! the documents.
//!
//! `cargo run --release -p sapu-eval --bin eval_warc [-- FILE...]`

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use sapu::config::InputConfig;
use sapu::extract::ExtractConfig;
use sapu::read::{read_file, ReadProgress, Record};
use sapu::stage::{BuildContext, Stage, StageConfig, StageStats};
use sapu::Outcome;

fn main() -> Result<()> {
    let mut files: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        let dir = sapu_eval::data_dir()?.join("formats/dolma-testdata/warc");
        files = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
    }
    let Ok(Stage::Doc(extract)) = ExtractConfig::default().build(&BuildContext::default()) else {
        anyhow::bail!("extract does not build");
    };
    let cfg = InputConfig::default();
    for f in &files {
        let mut docs = 0;
        let mut skipped: BTreeMap<&str, u64> = BTreeMap::new();
        let mut issues = Vec::new();
        let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
        let mut stats = StageStats::default();
        read_file(
            f,
            &cfg,
            &Arc::new(ReadProgress::default()),
            &mut |r| match r {
                Record::Doc(d) => {
                    docs += 1;
                    let key = match extract.process(d, &mut stats) {
                        Outcome::Keep(_) => "kept".to_string(),
                        Outcome::Remove(_, reason) => format!("extract/{reason}"),
                    };
                    *outcomes.entry(key).or_insert(0) += 1;
                }
                Record::Skipped { code } => *skipped.entry(code).or_insert(0) += 1,
                Record::Bad { issue, .. } => issues.push(issue.to_string()),
                Record::Pending(_) => {}
            },
        );
        println!("{}", f.display());
        println!("  documents: {docs} -> {outcomes:?}");
        println!("  skipped:   {skipped:?}");
        println!("  issues:    {issues:?}");
    }
    Ok(())
}
