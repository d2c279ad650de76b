//! Readers: input files (JSONL, JSON arrays, plain text, HTML; gzip or zstd) into documents,
//! with every unreadable part named by file and line and quarantined, never a crash.

mod charset;
mod compress;
mod json;
mod lines;
mod parquet;
mod text;
mod warc;

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::InputConfig;
use crate::doc::Document;

pub use charset::decode_html;
pub use compress::Compression;
pub use json::PendingLine;
pub use parquet::rows_as_json as parquet_rows;

/// Where in the input something was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The file, as given or found by walking a directory.
    pub path: String,
    /// 1-based line (JSONL) when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Byte offset in the decompressed stream, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<u64>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.byte_offset) {
            (Some(line), _) => write!(f, "{}:{line}", self.path),
            (None, Some(off)) => write!(f, "{}: at byte {off}", self.path),
            (None, None) => write!(f, "{}", self.path),
        }
    }
}

/// Something in the input that could not be read as a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputIssue {
    /// Where it was found.
    pub location: Location,
    /// A code from a small fixed set: `invalid_json`, `invalid_utf8`, `missing_text_field`,
    /// `record_too_long`, `truncated_gzip`, `corrupt_gzip`, `corrupt_zstd`, `corrupt_parquet`, `read_error`,
    /// `not_found`, `unsupported_format`, `not_an_object`.
    pub code: Cow<'static, str>,
    /// What went wrong, for people.
    pub message: String,
}

impl fmt::Display for InputIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// One thing a reader yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A readable document.
    Doc(Document),
    /// An unreadable part of the input. When it had content (a bad line, a text file that is
    /// not UTF-8), `quarantined` holds it as a document for `removed/`, reason `read/<code>`.
    Bad {
        /// What and where.
        issue: InputIssue,
        /// The content, kept for audit, when there was any.
        quarantined: Option<Document>,
    },
    /// A JSON line not parsed yet; `resolve` turns it into `Doc` or `Bad`.
    Pending(PendingLine),
    /// A record read and deliberately not turned into a document (a WARC request, a non-HTML
    /// response): not an error, counted in the summary's `skipped_records` by code.
    Skipped {
        /// `request_record`, `non_html_response`, `revisit_record`, `metadata_record`, ...
        code: &'static str,
    },
}

impl Record {
    /// Parse a pending JSON line; other records are returned unchanged.
    pub fn resolve(self, cfg: &InputConfig) -> Record {
        match self {
            Record::Pending(line) => line.parse(cfg),
            other => other,
        }
    }
}

/// The kinds of input file sapu reads, by extension (after `.gz` / `.zst`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON Lines, or one JSON array of objects.
    Json,
    /// One document per file.
    Text,
    /// One HTML page per file; `metadata.content_type = "text/html"` so `extract` handles it.
    Html,
    /// WARC or WET archive: HTML responses and text conversions become documents.
    Warc,
    /// Parquet (Hugging Face datasets layout): one row per document.
    Parquet,
}

impl Format {
    /// Detect from a file name; `None` for unknown extensions.
    pub fn detect(path: &Path) -> Option<(Format, Compression)> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let (stem, compression) = Compression::strip(&name);
        let ext = stem.rsplit('.').next()?;
        let format = match ext {
            "jsonl" | "ndjson" | "json" => Format::Json,
            "txt" | "text" => Format::Text,
            "html" | "htm" | "xhtml" => Format::Html,
            "warc" | "wet" => Format::Warc,
            "parquet" if compression == Compression::None => Format::Parquet,
            _ => return None,
        };
        Some((format, compression))
    }
}

/// Shared counters a reader advances, so a progress display can follow a long run.
#[derive(Debug, Default)]
pub struct ReadProgress {
    /// Bytes of input files consumed so far (compressed bytes for compressed files).
    pub bytes: AtomicU64,
    /// Total bytes of all input files, known after `expand_inputs`.
    pub total_bytes: AtomicU64,
}

/// Input files found under the given paths (directories walked recursively, files in sorted
/// order), plus issues for paths that do not exist or cannot be listed.
pub fn expand_inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<InputIssue>, u64) {
    let mut files = Vec::new();
    let mut issues = Vec::new();
    let mut skipped = 0u64;
    for path in paths {
        let at = |p: &Path| Location {
            path: p.display().to_string(),
            line: None,
            byte_offset: None,
        };
        if path.as_os_str() == "-" {
            files.push(path.clone());
            continue;
        }
        match std::fs::metadata(path) {
            Err(e) => issues.push(InputIssue {
                location: at(path),
                code: "not_found".into(),
                message: format!("cannot read input: {e}"),
            }),
            Ok(m) if m.is_dir() => {
                let walker = walkdir::WalkDir::new(path)
                    .follow_links(true)
                    .sort_by_file_name();
                for entry in walker {
                    match entry {
                        Ok(e) if e.file_type().is_file() => {
                            let hidden = e.file_name().to_string_lossy().starts_with('.');
                            if !hidden && Format::detect(e.path()).is_some() {
                                files.push(e.path().to_path_buf());
                            } else {
                                skipped += 1;
                            }
                        }
                        Ok(_) => {}
                        Err(e) => issues.push(InputIssue {
                            location: at(e.path().unwrap_or(path)),
                            code: "read_error".into(),
                            message: format!("cannot list directory entry: {e}"),
                        }),
                    }
                }
            }
            Ok(_) => files.push(path.clone()),
        }
    }
    (files, issues, skipped)
}

/// Read every record of one file, in order, handing each to `sink`.
pub fn read_file(
    path: &Path,
    cfg: &InputConfig,
    progress: &Arc<ReadProgress>,
    sink: &mut dyn FnMut(Record),
) {
    let shown = path.display().to_string();
    let issue = |code: &'static str, message: String| Record::Bad {
        issue: InputIssue {
            location: Location {
                path: shown.clone(),
                line: None,
                byte_offset: None,
            },
            code: code.into(),
            message,
        },
        quarantined: None,
    };
    let (format, compression) = if path.as_os_str() == "-" {
        (Format::Json, Compression::None)
    } else {
        match Format::detect(path) {
            Some(f) => f,
            None => {
                sink(issue(
                    "unsupported_format",
                    "unknown file type; expected .jsonl, .json, .txt, .html or .warc (optionally .gz or .zst), or .parquet"
                        .into(),
                ));
                return;
            }
        }
    };
    if format == Format::Parquet {
        // Parquet needs random access to its footer, so it is read from the file, not a stream.
        let source = Source {
            path: Arc::from(shown.as_str()),
            compression,
            cfg,
        };
        parquet::read(&source, path, sink);
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        progress.bytes.fetch_add(size, Ordering::Relaxed);
        return;
    }
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        match File::open(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                sink(issue("read_error", format!("cannot open: {e}")));
                return;
            }
        }
    };
    let counted = CountingReader {
        inner: raw,
        progress: Arc::clone(progress),
    };
    read_stream(&shown, format, compression, Box::new(counted), cfg, sink);
}

/// Read every record of a byte stream, as [`read_file`] does for a file named `name` of the
/// given format and compression (the entry point the fuzz targets drive with arbitrary bytes).
pub fn read_stream(
    name: &str,
    format: Format,
    compression: Compression,
    input: Box<dyn Read + Send>,
    cfg: &InputConfig,
    sink: &mut dyn FnMut(Record),
) {
    let mut reader: Box<dyn BufRead + Send> = match compression.buf_decoder(input) {
        Ok(r) => r,
        Err(e) => {
            sink(Record::Bad {
                issue: InputIssue {
                    location: Location {
                        path: name.to_string(),
                        line: None,
                        byte_offset: None,
                    },
                    code: compression.error_code().into(),
                    message: format!("cannot start decompression: {e}"),
                },
                quarantined: None,
            });
            return;
        }
    };
    let source = Source {
        path: Arc::from(name),
        compression,
        cfg,
    };
    match format {
        Format::Json => json::read(&source, &mut reader, sink),
        Format::Text => text::read(&source, &mut reader, None, sink),
        Format::Html => text::read(&source, &mut reader, Some("text/html"), sink),
        Format::Warc => warc::read(&source, &mut reader, sink),
        Format::Parquet => sink(
            source.bad(
                None,
                None,
                "unsupported_format",
                "Parquet needs random access and cannot be read from a stream; give it as a file"
                    .into(),
                None,
            ),
        ),
    }
}

/// What a format reader needs to know of the file it reads.
pub(crate) struct Source<'a> {
    pub(crate) path: Arc<str>,
    pub(crate) compression: Compression,
    pub(crate) cfg: &'a InputConfig,
}

impl Source<'_> {
    pub(crate) fn location(&self, line: Option<u64>, byte_offset: Option<u64>) -> Location {
        Location {
            path: self.path.to_string(),
            line,
            byte_offset,
        }
    }

    /// A record for bad content: named issue plus quarantined content for `removed/`.
    pub(crate) fn bad(
        &self,
        line: Option<u64>,
        byte_offset: Option<u64>,
        code: &'static str,
        message: String,
        content: Option<&[u8]>,
    ) -> Record {
        let location = self.location(line, byte_offset);
        let quarantined = content.map(|bytes| {
            let id = match line {
                Some(l) => format!("{}:{l}", self.path),
                None => self.path.to_string(),
            };
            let mut doc = Document::new(id, quarantine_text(bytes));
            doc.metadata
                .insert("source".into(), serde_json::json!(location));
            doc
        });
        Record::Bad {
            issue: InputIssue {
                location,
                code: code.into(),
                message,
            },
            quarantined,
        }
    }

    /// An I/O error while reading: a damaged compressed stream, or a read failure.
    pub(crate) fn io_error(&self, line: Option<u64>, offset: u64, e: &std::io::Error) -> Record {
        let code = self.compression.error_code_for(e.kind());
        let what = match code {
            "truncated_gzip" => "gzip stream is truncated",
            "corrupt_gzip" => "gzip stream is corrupt",
            "corrupt_zstd" => "zstd stream is truncated or corrupt",
            _ => "read failed",
        };
        self.bad(
            line,
            Some(offset),
            code,
            format!("{what} after {offset} decompressed bytes ({e}); records before it were kept"),
            None,
        )
    }
}

/// Quarantined content is kept for audit, bounded so one huge bad record cannot blow up
/// `removed/`.
const QUARANTINE_LIMIT: usize = 64 << 10;

fn quarantine_text(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(QUARANTINE_LIMIT)];
    String::from_utf8_lossy(cut).into_owned()
}

struct CountingReader {
    inner: Box<dyn Read + Send>,
    progress: Arc<ReadProgress>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod warc_tests;
