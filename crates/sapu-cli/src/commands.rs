//! One function per subcommand: build what the library needs from the arguments, call it,
//! print the result, choose the exit code.

use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use sapu::config::{self, Recipe};
use sapu::pipeline::{self, Progress, RunOptions, Summary};
use sapu::stage::{self, BuildContext, Stage, StageKind, StageStats};
use sapu::{Document, Outcome};
use serde_json::Value;

use crate::progress::Display;
use crate::{RunArgs, EXIT_INPUT_ISSUES};

/// Which stages `run` uses.
pub enum Mode {
    /// The recipe given with --config, or the default recipe.
    Recipe,
    /// Only the default recipe's deduplication stages (or those of --config).
    DedupOnly,
}

pub fn run(args: RunArgs, mode: Mode) -> Result<u8> {
    let (text, origin) = match &args.config {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read recipe {}", path.display()))?,
            path.display().to_string(),
        ),
        None => (
            config::default_recipe_toml(),
            "<default recipe>".to_string(),
        ),
    };
    let mut recipe = Recipe::parse(&text, &origin).map_err(|e| anyhow!("{e}"))?;
    if let Mode::DedupOnly = mode {
        recipe.stages.retain(|s| matches!(s, Stage::Corpus(_)));
        if recipe.stages.is_empty() {
            bail!("{origin}: the recipe has no deduplication stage");
        }
    }
    let opts = RunOptions {
        threads: args.threads,
        batch_docs: args.batch_docs,
        overwrite: args.overwrite,
        resume: args.resume,
        ..RunOptions::default()
    };
    let stop = Arc::clone(&opts.stop);
    // The first Ctrl-C asks the engine to stop at the next batch boundary with a checkpoint;
    // a second one ends the process at once (the last checkpoint still allows --resume).
    let _ = ctrlc::set_handler(move || {
        if stop.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(130);
        }
        eprintln!("sapu: stopping at the next batch boundary (Ctrl-C again to quit now)");
    });
    let progress = Arc::new(Progress::default());
    let display = Display::start(&progress, args.quiet);
    let result = pipeline::run(&mut recipe, &args.inputs, &args.output, &opts, &progress);
    display.finish();
    let summary = result?;
    for issue in summary.input_issues.iter().take(20) {
        eprintln!("sapu: {issue}");
    }
    let listed = summary.input_issues.len().min(20) as u64;
    let total: u64 = summary.input_issue_counts.values().sum();
    if total > listed {
        eprintln!(
            "sapu: ... and {} more input issues (all listed in {})",
            total - listed,
            args.output.join("summary.json").display()
        );
    }
    if !args.quiet {
        print_summary(&summary, &args.output);
    }
    if args.report {
        report(&args.output, None)?;
    }
    Ok(if summary.had_input_issues() {
        EXIT_INPUT_ISSUES
    } else {
        0
    })
}

fn print_summary(s: &Summary, out: &Path) {
    let mb = s.bytes_in as f64 / 1e6;
    println!(
        "{} documents in, {} kept, {} removed ({}) in {:.2}s, {:.1} MB at {:.1} MB/s on {} threads",
        s.input_docs,
        s.kept_docs,
        s.removed_docs,
        if s.accounting_ok {
            "all accounted for"
        } else {
            "ACCOUNTING MISMATCH"
        },
        s.seconds,
        mb,
        mb / s.seconds.max(1e-9),
        s.threads
    );
    for (reason, n) in &s.removed {
        println!("  removed {n:>9}  {reason}");
    }
    for (code, n) in &s.input_issue_counts {
        println!("  input issue {n:>5}  {code}");
    }
    println!(
        "output: {}/kept, {}/removed, {}/summary.json",
        out.display(),
        out.display(),
        out.display()
    );
}

pub fn config(default: bool, check: Option<PathBuf>) -> Result<u8> {
    if let Some(path) = check {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read recipe {}", path.display()))?;
        let recipe =
            Recipe::parse(&text, &path.display().to_string()).map_err(|e| anyhow!("{e}"))?;
        let names: Vec<_> = recipe.stages.iter().map(Stage::name).collect();
        println!(
            "{}: ok ({} stages: {})",
            path.display(),
            names.len(),
            names.join(" -> ")
        );
        return Ok(0);
    }
    if !default {
        bail!("say what to print: `sapu config --default`, or `sapu config --check FILE`");
    }
    print!("{}", config::default_recipe_toml());
    Ok(0)
}

pub fn stages() -> Result<u8> {
    for e in stage::REGISTRY {
        let kind = match e.kind {
            StageKind::Document => "document",
            StageKind::Corpus => "corpus",
        };
        let default = if e.in_default_recipe {
            ", default recipe"
        } else {
            ""
        };
        println!("{} ({kind}{default}): {}", e.name, e.summary);
        if !e.reasons.is_empty() {
            println!("    reasons: {}", e.reasons.join(", "));
        }
    }
    Ok(0)
}

/// Build a registered document stage with its default config.
fn default_doc_stage(name: &str) -> Result<Box<dyn sapu::DocStage>> {
    let entry = stage::find(name).ok_or_else(|| {
        anyhow!(
            "this build of sapu has no `{name}` stage (known: {})",
            stage::names().join(", ")
        )
    })?;
    let table = toml::Value::Table((entry.default_table)());
    match (entry.build)(table, &BuildContext::default()) {
        Ok(Stage::Doc(s)) => Ok(s),
        Ok(Stage::Corpus(_)) => bail!("`{name}` is a corpus stage"),
        Err(problems) => bail!(
            "cannot build `{name}`: {}",
            problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

fn read_input(file: Option<&Path>) -> Result<(String, String)> {
    let mut bytes = Vec::new();
    let name = match file {
        None => "-".to_string(),
        Some(p) if p.as_os_str() == "-" => "-".to_string(),
        Some(p) => p.display().to_string(),
    };
    if name == "-" {
        io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
    } else {
        bytes = std::fs::read(&name).with_context(|| format!("cannot read {name}"))?;
    }
    match String::from_utf8(bytes) {
        Ok(t) => Ok((name, t)),
        Err(e) => bail!(
            "{name}: invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        ),
    }
}

fn process_one(stage: &dyn sapu::DocStage, doc: Document) -> Document {
    match stage.process(doc, &mut StageStats::default()) {
        Outcome::Keep(d) => d,
        Outcome::Remove(mut d, reason) => {
            d.metadata
                .insert("removed_by".into(), Value::from(stage.name()));
            d.metadata
                .insert("reason".into(), Value::from(reason.as_ref()));
            d
        }
    }
}

fn print_doc(doc: &Document, json: bool) -> Result<()> {
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, doc)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", doc.text)?;
        if !doc.text.ends_with('\n') {
            writeln!(out)?;
        }
    }
    Ok(())
}

pub fn clean(file: Option<PathBuf>, json: bool) -> Result<u8> {
    let stage = default_doc_stage("clean")?;
    let (name, text) = read_input(file.as_deref())?;
    let doc = process_one(stage.as_ref(), Document::new(name, text));
    print_doc(&doc, json)?;
    Ok(0)
}

pub fn extract(file: PathBuf, json: bool) -> Result<u8> {
    let stage = default_doc_stage("extract")?;
    let (name, text) = read_input(Some(&file))?;
    let mut doc = Document::new(name, text);
    doc.metadata
        .insert("content_type".into(), "text/html".into());
    let doc = process_one(stage.as_ref(), doc);
    print_doc(&doc, json)?;
    Ok(0)
}

pub fn langid(file: Option<PathBuf>) -> Result<u8> {
    let stage = default_doc_stage("langid")?;
    let (name, text) = read_input(file.as_deref())?;
    let looks_jsonl =
        name.ends_with(".jsonl") || name.ends_with(".json") || text.trim_start().starts_with('{');
    let mut out = io::stdout().lock();
    if !looks_jsonl {
        let doc = process_one(stage.as_ref(), Document::new(name, text));
        let lang = doc.lang().unwrap_or("und").to_string();
        let score = doc
            .metadata
            .get("lang_score")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        writeln!(out, "{lang} {score:.4}")?;
        return Ok(0);
    }
    let mut status = 0;
    for (i, line) in text.as_bytes().lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut record: serde_json::Map<String, Value> = match serde_json::from_str(&line) {
            Ok(Value::Object(m)) => m,
            _ => {
                eprintln!("sapu: {name}:{}: not a JSON object (line skipped)", i + 1);
                status = EXIT_INPUT_ISSUES;
                continue;
            }
        };
        let Some(text) = record.get("text").and_then(Value::as_str) else {
            eprintln!("sapu: {name}:{}: no `text` field (line skipped)", i + 1);
            status = EXIT_INPUT_ISSUES;
            continue;
        };
        let doc = process_one(stage.as_ref(), Document::new("", text));
        for key in ["lang", "lang_score"] {
            record.insert(
                key.into(),
                doc.metadata.get(key).cloned().unwrap_or(Value::Null),
            );
        }
        serde_json::to_writer(&mut out, &record)?;
        writeln!(out)?;
    }
    Ok(status)
}

pub fn report(dir: &Path, output: Option<PathBuf>) -> Result<u8> {
    let dest = output.unwrap_or_else(|| dir.join("report.html"));
    let facts = sapu::report::write_report(dir, &dest, &sapu::report::ReportOptions::default())?;
    for w in &facts.warnings {
        eprintln!("sapu: report: {w}");
    }
    println!(
        "report: {} ({} KB)",
        dest.display(),
        facts.html_bytes / 1024
    );
    Ok(0)
}
