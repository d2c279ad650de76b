//! Writers: kept and removed documents as sharded JSON Lines part files, each written under a
//! temporary name and renamed when complete, so a part file under its final name is whole.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::OutputConfig;
use crate::doc::Document;

/// A document as written to `kept/`.
#[derive(Serialize)]
struct KeptLine<'a> {
    id: &'a str,
    text: &'a str,
    metadata: &'a Map<String, Value>,
}

/// A document as written to `removed/`: the kept fields plus who removed it and why.
#[derive(Serialize)]
struct RemovedLine<'a> {
    id: &'a str,
    text: &'a str,
    metadata: &'a Map<String, Value>,
    removed_by: &'a str,
    reason: &'a str,
}

/// Serialise a kept document as one JSON line (with `\n`).
pub fn kept_line(doc: &Document, out: &mut Vec<u8>) {
    let line = KeptLine {
        id: &doc.id,
        text: &doc.text,
        metadata: &doc.metadata,
    };
    // Serialising a struct of strings and a JSON map cannot fail.
    serde_json::to_writer(&mut *out, &line).expect("serialising a document");
    out.push(b'\n');
}

/// Serialise a removed document as one JSON line (with `\n`).
pub fn removed_line(doc: &Document, stage: &str, reason: &str, out: &mut Vec<u8>) {
    let line = RemovedLine {
        id: &doc.id,
        text: &doc.text,
        metadata: &doc.metadata,
        removed_by: stage,
        reason,
    };
    serde_json::to_writer(&mut *out, &line).expect("serialising a document");
    out.push(b'\n');
}

enum Encoder {
    Plain(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<File>>),
}

impl Encoder {
    fn open(path: &Path, format: &str, level: i32) -> io::Result<Encoder> {
        let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
        Ok(match format {
            "jsonl.gz" => Encoder::Gzip(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::new(level.clamp(0, 9) as u32),
            )),
            "jsonl.zst" => {
                let mut enc = zstd::stream::write::Encoder::new(file, level.clamp(1, 19))?;
                enc.include_checksum(true)?;
                Encoder::Zstd(enc)
            }
            _ => Encoder::Plain(file),
        })
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.write_all(bytes),
            Encoder::Gzip(w) => w.write_all(bytes),
            Encoder::Zstd(w) => w.write_all(bytes),
        }
    }

    fn finish(self) -> io::Result<()> {
        let mut file = match self {
            Encoder::Plain(w) => w,
            Encoder::Gzip(w) => w.finish()?,
            Encoder::Zstd(w) => w.finish()?,
        };
        file.flush()?;
        file.get_ref().sync_all()
    }
}

/// Writes `part-NNNNN.<format>` files into one directory, starting a new part when the
/// current one holds `shard_bytes` uncompressed bytes.
pub struct ShardWriter {
    dir: PathBuf,
    format: String,
    level: i32,
    shard_bytes: u64,
    next_index: u32,
    current: Option<(Encoder, PathBuf, PathBuf, u64)>,
    /// Uncompressed bytes written in all parts.
    pub bytes_written: u64,
    /// Completed part files, in order.
    pub parts: Vec<PathBuf>,
}

impl ShardWriter {
    /// A writer into `dir` (created if missing), numbering parts from `first_index`.
    pub fn new(dir: &Path, cfg: &OutputConfig, first_index: u32) -> io::Result<ShardWriter> {
        fs::create_dir_all(dir)?;
        Ok(ShardWriter {
            dir: dir.to_path_buf(),
            format: cfg.format.clone(),
            level: cfg.compression_level,
            shard_bytes: cfg.shard_bytes.max(1),
            next_index: first_index,
            current: None,
            bytes_written: 0,
            parts: Vec::new(),
        })
    }

    /// Append already-serialised JSON lines (whole lines only).
    pub fn write(&mut self, lines: &[u8]) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        if self.current.is_none() {
            let name = format!("part-{:05}.{}", self.next_index, self.format);
            self.next_index += 1;
            let final_path = self.dir.join(&name);
            let tmp = self.dir.join(format!(".{name}.tmp"));
            let enc =
                Encoder::open(&tmp, &self.format, self.level).map_err(|e| with_path(e, &tmp))?;
            self.current = Some((enc, tmp, final_path, 0));
        }
        let (enc, tmp, _, size) = self.current.as_mut().expect("a part is open");
        enc.write_all(lines).map_err(|e| with_path(e, tmp))?;
        *size += lines.len() as u64;
        self.bytes_written += lines.len() as u64;
        if *size >= self.shard_bytes {
            self.close_part()?;
        }
        Ok(())
    }

    /// Finish the open part, if any, and give it its final name.
    pub fn close_part(&mut self) -> io::Result<()> {
        if let Some((enc, tmp, final_path, _)) = self.current.take() {
            enc.finish().map_err(|e| with_path(e, &tmp))?;
            fs::rename(&tmp, &final_path).map_err(|e| with_path(e, &final_path))?;
            self.parts.push(final_path);
        }
        Ok(())
    }

    /// Close the last part.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        self.close_part()?;
        Ok(self.parts)
    }
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Write `bytes` to `path` atomically: a temporary file beside it, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    {
        let mut f = File::create(&tmp).map_err(|e| with_path(e, &tmp))?;
        f.write_all(bytes).map_err(|e| with_path(e, &tmp))?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path).map_err(|e| with_path(e, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(format: &str, shard_bytes: u64) -> OutputConfig {
        OutputConfig {
            format: format.into(),
            shard_bytes,
            compression_level: 3,
        }
    }

    #[test]
    fn shards_by_uncompressed_size_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ShardWriter::new(dir.path(), &cfg("jsonl", 10), 0).unwrap();
        w.write(b"{\"a\":1}\n").unwrap();
        w.write(b"{\"a\":2}\n").unwrap(); // 16 bytes >= 10: part 0 closes
        w.write(b"{\"a\":3}\n").unwrap();
        let parts = w.finish().unwrap();
        let names: Vec<_> = parts
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["part-00000.jsonl", "part-00001.jsonl"]);
        assert_eq!(fs::read_to_string(&parts[1]).unwrap(), "{\"a\":3}\n");
        let mut all: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        all.sort();
        assert_eq!(all, names);
    }

    #[test]
    fn open_part_is_only_visible_under_its_temporary_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ShardWriter::new(dir.path(), &cfg("jsonl.zst", 1 << 20), 0).unwrap();
        w.write(b"{\"a\":1}\n").unwrap();
        assert!(!dir.path().join("part-00000.jsonl.zst").exists());
        assert!(dir.path().join(".part-00000.jsonl.zst.tmp").exists());
        w.finish().unwrap();
        let back =
            zstd::decode_all(File::open(dir.path().join("part-00000.jsonl.zst")).unwrap()).unwrap();
        assert_eq!(back, b"{\"a\":1}\n");
    }

    #[test]
    fn removed_line_names_stage_and_reason() {
        let mut out = Vec::new();
        removed_line(&Document::new("d1", "x"), "read", "invalid_json", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"id\":\"d1\",\"text\":\"x\",\"metadata\":{},\"removed_by\":\"read\",\"reason\":\"invalid_json\"}\n"
        );
    }
}
