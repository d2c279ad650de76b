//! The `sapu` command line: argument parsing, printing and exit codes. The work is done by the
//! `sapu` library; this crate owns the terminal.

mod commands;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// The engine allocates a string per document and field; mimalloc cuts that cost by half against
// glibc's allocator on the read -> write path (bench/read_write.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code when some inputs could not be read (the run still completed).
const EXIT_INPUT_ISSUES: u8 = 1;
/// Exit code for usage, configuration and fatal errors.
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "sapu",
    version,
    about = "Clean, deduplicate and language-tag web-crawled text corpora, fast.",
    after_help = "Examples:\n  \
        sapu run examples/corpus -o out           run the default recipe on a folder\n  \
        sapu run data/*.jsonl.zst -o out --config pipeline.toml --threads 8\n  \
        sapu config --default > pipeline.toml     print the default recipe to edit\n  \
        sapu clean page.txt --json                clean one raw text document\n  \
        sapu langid sentences.jsonl               tag JSON lines with their language\n  \
        sapu extract page.html --json             main text and metadata of one page\n  \
        sapu dedup data/ -o deduped               exact + near-duplicate removal alone\n  \
        sapu report out                           write out/report.html for a finished run\n\n\
        Exit codes: 0 ok, 1 some inputs could not be read (named on stderr, run completed),\n\
        2 usage, configuration or output error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a recipe (the default one unless --config) over files or folders.
    Run(RunArgs),
    /// Exact and near-duplicate removal alone, with the same output layout as `run`.
    Dedup(RunArgs),
    /// Print or check a recipe.
    Config {
        /// Print the built-in default recipe as TOML.
        #[arg(long)]
        default: bool,
        /// Check a recipe file and report every problem with its line.
        #[arg(long, value_name = "FILE")]
        check: Option<PathBuf>,
    },
    /// List the stage types a recipe can use, with their reason codes.
    Stages,
    /// Write a self-contained HTML report of a finished run (funnel, reasons with samples,
    /// languages, quality signals, dedup clusters).
    Report {
        /// The run's output folder.
        dir: PathBuf,
        /// Where to write the page (default: DIR/report.html).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Clean one raw text document and print the cleaned text.
    Clean {
        /// The document (`-` or absent: standard input).
        file: Option<PathBuf>,
        /// Print a JSON record with the text and what was removed (metadata).
        #[arg(long)]
        json: bool,
    },
    /// Identify languages: JSON lines in (field `text`) -> same lines plus `lang`,
    /// `lang_score`; plain text in -> `<lang> <score>`.
    Langid {
        /// The input (`-` or absent: standard input).
        file: Option<PathBuf>,
    },
    /// Extract the main text (and title, date, author) of one HTML page.
    Extract {
        /// The HTML file (`-`: standard input).
        file: PathBuf,
        /// Print a JSON record with title, date, author and text.
        #[arg(long)]
        json: bool,
    },
}

/// Arguments shared by `run` and `dedup`.
#[derive(clap::Args)]
struct RunArgs {
    /// Input files or folders (JSONL, JSON, TXT, HTML; .gz or .zst).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output folder: kept/, removed/, summary.json.
    #[arg(short, long)]
    output: PathBuf,
    /// Recipe file (TOML); without it, the built-in default recipe.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Replace an earlier run's output in the output folder.
    #[arg(long)]
    overwrite: bool,
    /// Continue an interrupted run in the output folder.
    #[arg(long)]
    resume: bool,
    /// Documents per batch (memory is bounded by the batch).
    #[arg(long, default_value_t = 4096)]
    batch_docs: usize,
    /// No progress bar and no summary on stdout.
    #[arg(short, long)]
    quiet: bool,
    /// Also write DIR/report.html at the end (see `sapu report`).
    #[arg(long)]
    report: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => commands::run(args, commands::Mode::Recipe),
        Command::Dedup(args) => commands::run(args, commands::Mode::DedupOnly),
        Command::Config { default, check } => commands::config(default, check),
        Command::Stages => commands::stages(),
        Command::Report { dir, output } => commands::report(&dir, output),
        Command::Clean { file, json } => commands::clean(file, json),
        Command::Langid { file } => commands::langid(file),
        Command::Extract { file, json } => commands::extract(file, json),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("sapu: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
