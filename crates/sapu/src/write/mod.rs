//! Writers: kept and removed documents as sharded JSON Lines part files, each written under a
//! temporary name and renamed when complete, so a part file under its final name is whole.

use std::fs::{self, File};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::config::OutputConfig;
use crate::doc::Document;

mod parquet;

/// The directory, inside an output directory, where Parquet parts are staged as JSON Lines.
const PARQUET_STAGING: &str = ".staging";

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
    /// Start a compressed stream (a new gzip member or zstd frame) at the end of `file`.
    fn wrap(file: BufWriter<File>, format: &str, level: i32, workers: u32) -> io::Result<Encoder> {
        Ok(match format {
            "jsonl.gz" => Encoder::Gzip(flate2::write::GzEncoder::new(
                file,
                flate2::Compression::new(level.clamp(0, 9) as u32),
            )),
            "jsonl.zst" => {
                let mut enc = zstd::stream::write::Encoder::new(file, level.clamp(1, 19))?;
                enc.include_checksum(true)?;
                // Compress on `workers` background threads, overlapping with the caller. zstd's
                // multi-threaded mode cuts jobs by size alone, so the output is the same for any
                // worker count >= 1 (but differs from 0, the single-threaded mode).
                if workers > 0 {
                    enc.multithread(workers)?;
                }
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

    /// End the compressed stream and flush everything to disk; returns the file.
    fn finish(self) -> io::Result<BufWriter<File>> {
        let mut file = match self {
            Encoder::Plain(w) => w,
            Encoder::Gzip(w) => w.finish()?,
            Encoder::Zstd(w) => w.finish()?,
        };
        file.flush()?;
        file.get_ref().sync_data()?;
        Ok(file)
    }
}

/// The part file being written.
struct OpenPart {
    enc: Encoder,
    index: u32,
    size: u64,
}

/// Where a writer stood at a checkpoint: enough to reopen it and continue after a crash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterState {
    /// Index the next new part gets.
    pub next_index: u32,
    /// Uncompressed bytes written in all parts.
    pub bytes_written: u64,
    /// Parts completed.
    pub parts_done: u64,
    /// The open part: its index, its length on disk and its uncompressed size.
    pub open: Option<(u32, u64, u64)>,
}

/// Writes `part-NNNNN.<format>` files into one directory, starting a new part when the
/// current one holds `shard_bytes` uncompressed bytes. A part is written as `.NAME.tmp` and
/// renamed when complete.
pub struct ShardWriter {
    dir: PathBuf,
    format: String,
    level: i32,
    workers: u32,
    shard_bytes: u64,
    next_index: u32,
    current: Option<OpenPart>,
    /// Uncompressed bytes written in all parts.
    pub bytes_written: u64,
    /// Parts completed.
    pub parts_done: u64,
    /// For Parquet output: the directory the `.parquet` parts go to, and their zstd level
    /// (`dir` is then the staging directory inside it).
    parquet: Option<(PathBuf, i32)>,
}

impl ShardWriter {
    /// A writer into `dir` (created if missing).
    pub fn new(dir: &Path, cfg: &OutputConfig) -> io::Result<ShardWriter> {
        let (parquet, stage_dir, format, level) = if cfg.format == "parquet" {
            let target = (dir.to_path_buf(), cfg.compression_level);
            (Some(target), dir.join(PARQUET_STAGING), "jsonl.zst", 1)
        } else {
            (
                None,
                dir.to_path_buf(),
                cfg.format.as_str(),
                cfg.compression_level,
            )
        };
        fs::create_dir_all(&stage_dir).map_err(|e| with_path(e, &stage_dir))?;
        Ok(ShardWriter {
            dir: stage_dir,
            format: format.to_string(),
            level,
            parquet,
            workers: 0,
            shard_bytes: cfg.shard_bytes.max(1),
            next_index: 0,
            current: None,
            bytes_written: 0,
            parts_done: 0,
        })
    }

    /// Compress `jsonl.zst` parts on `workers` background threads (0, the default: on the
    /// calling thread). Any count >= 1 gives the same bytes; 0 gives different (equally valid)
    /// bytes, so a run must use >= 1 whatever its thread count.
    pub fn with_compression_workers(mut self, workers: u32) -> ShardWriter {
        self.workers = workers;
        self
    }

    /// Reopen a writer where a checkpoint left it: the open part is cut back to its
    /// checkpointed length (undoing whatever was written after), later parts are deleted.
    pub fn resume(
        dir: &Path,
        cfg: &OutputConfig,
        state: &WriterState,
        workers: u32,
    ) -> io::Result<ShardWriter> {
        let mut w = ShardWriter::new(dir, cfg)?.with_compression_workers(workers);
        w.next_index = state.next_index;
        w.bytes_written = state.bytes_written;
        w.parts_done = state.parts_done;
        let first_stale = state.open.map_or(state.next_index, |(i, _, _)| i);
        for entry in fs::read_dir(dir).map_err(|e| with_path(e, dir))? {
            let path = entry?.path();
            let index = part_index(&path);
            if index.is_some_and(|i| i > first_stale || (i == first_stale && state.open.is_none()))
            {
                fs::remove_file(&path).map_err(|e| with_path(e, &path))?;
            }
        }
        if let Some((index, disk_len, size)) = state.open {
            let (tmp, done) = w.names(index);
            if !tmp.exists() && done.exists() {
                fs::rename(&done, &tmp).map_err(|e| with_path(e, &done))?;
            }
            let file = fs::OpenOptions::new()
                .write(true)
                .open(&tmp)
                .map_err(|e| with_path(e, &tmp))?;
            file.set_len(disk_len).map_err(|e| with_path(e, &tmp))?;
            let mut file = BufWriter::with_capacity(1 << 20, file);
            file.seek(SeekFrom::End(0))?;
            w.current = Some(OpenPart {
                enc: Encoder::wrap(file, &w.format, w.level, w.workers)?,
                index,
                size,
            });
        }
        Ok(w)
    }

    fn names(&self, index: u32) -> (PathBuf, PathBuf) {
        let name = format!("part-{index:05}.{}", self.format);
        (self.dir.join(format!(".{name}.tmp")), self.dir.join(name))
    }

    /// Append already-serialised JSON lines (whole lines only).
    pub fn write(&mut self, lines: &[u8]) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        if self.current.is_none() {
            let index = self.next_index;
            self.next_index += 1;
            let (tmp, _) = self.names(index);
            let file = File::create(&tmp).map_err(|e| with_path(e, &tmp))?;
            let enc = Encoder::wrap(
                BufWriter::with_capacity(1 << 20, file),
                &self.format,
                self.level,
                self.workers,
            )?;
            self.current = Some(OpenPart {
                enc,
                index,
                size: 0,
            });
        }
        let dir = &self.dir;
        let part = self.current.as_mut().expect("a part is open");
        part.enc.write_all(lines).map_err(|e| with_path(e, dir))?;
        part.size += lines.len() as u64;
        self.bytes_written += lines.len() as u64;
        if part.size >= self.shard_bytes {
            self.close_part()?;
        }
        Ok(())
    }

    /// Make everything written so far durable and say where the writer stands: the open
    /// part's compressed stream is ended (a later one starts a new gzip member / zstd frame,
    /// which every reader of those formats concatenates).
    pub fn checkpoint(&mut self) -> io::Result<WriterState> {
        let open = match self.current.take() {
            None => None,
            Some(part) => {
                let tmp = self.names(part.index).0;
                let file = part.enc.finish().map_err(|e| with_path(e, &tmp))?;
                let disk_len = file.get_ref().metadata()?.len();
                self.current = Some(OpenPart {
                    enc: Encoder::wrap(file, &self.format, self.level, self.workers)?,
                    index: part.index,
                    size: part.size,
                });
                Some((part.index, disk_len, part.size))
            }
        };
        Ok(WriterState {
            next_index: self.next_index,
            bytes_written: self.bytes_written,
            parts_done: self.parts_done,
            open,
        })
    }

    /// Finish the open part, if any, and give it its final name.
    pub fn close_part(&mut self) -> io::Result<()> {
        if let Some(part) = self.current.take() {
            let (tmp, done) = self.names(part.index);
            part.enc.finish().map_err(|e| with_path(e, &tmp))?;
            fs::rename(&tmp, &done).map_err(|e| with_path(e, &done))?;
            self.parts_done += 1;
        }
        Ok(())
    }

    /// Close the open part and, for Parquet output, turn every staged part into its
    /// `part-NNNNN.parquet` (parts left by an earlier, longer attempt are deleted). The staging
    /// directory stays until `remove_staging`, so a crash before the run is recorded complete
    /// can still resume.
    pub fn finish(&mut self) -> io::Result<()> {
        self.close_part()?;
        let Some((target, level)) = &self.parquet else {
            return Ok(());
        };
        let staged = self.part_paths()?;
        let mut wanted = Vec::new();
        for path in &staged {
            let index = part_index(path).expect("staged parts are named part-NNNNN");
            let to = target.join(format!("part-{index:05}.parquet"));
            parquet::convert(path, &to, *level)?;
            wanted.push(to);
        }
        for entry in fs::read_dir(target).map_err(|e| with_path(e, target))? {
            let path = entry?.path();
            if part_index(&path).is_some() && !wanted.contains(&path) {
                fs::remove_file(&path).map_err(|e| with_path(e, &path))?;
            }
        }
        Ok(())
    }

    /// Delete the Parquet staging directory (nothing to do for JSON Lines output).
    pub fn remove_staging(&self) -> io::Result<()> {
        match &self.parquet {
            Some(_) => fs::remove_dir_all(&self.dir).map_err(|e| with_path(e, &self.dir)),
            None => Ok(()),
        }
    }

    /// Completed part files in this writer's directory, in order.
    pub fn part_paths(&self) -> io::Result<Vec<PathBuf>> {
        let mut parts: Vec<PathBuf> = fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("part-"))
            })
            .collect();
        parts.sort();
        Ok(parts)
    }
}

/// The index of a part file (`part-00012.jsonl.zst` or its `.tmp`), if the name is one.
pub(crate) fn part_index(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    let name = name.strip_prefix('.').unwrap_or(name);
    name.strip_prefix("part-")?.get(..5)?.parse().ok()
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
        let mut w = ShardWriter::new(dir.path(), &cfg("jsonl", 10)).unwrap();
        w.write(b"{\"a\":1}\n").unwrap();
        w.write(b"{\"a\":2}\n").unwrap(); // 16 bytes >= 10: part 0 closes
        w.write(b"{\"a\":3}\n").unwrap();
        w.close_part().unwrap();
        let parts = w.part_paths().unwrap();
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
        let mut w = ShardWriter::new(dir.path(), &cfg("jsonl.zst", 1 << 20)).unwrap();
        w.write(b"{\"a\":1}\n").unwrap();
        assert!(!dir.path().join("part-00000.jsonl.zst").exists());
        assert!(dir.path().join(".part-00000.jsonl.zst.tmp").exists());
        w.close_part().unwrap();
        let back =
            zstd::decode_all(File::open(dir.path().join("part-00000.jsonl.zst")).unwrap()).unwrap();
        assert_eq!(back, b"{\"a\":1}\n");
    }

    #[test]
    fn resume_cuts_the_open_part_back_to_its_checkpoint_and_drops_later_parts() {
        for format in ["jsonl", "jsonl.gz", "jsonl.zst"] {
            let dir = tempfile::tempdir().unwrap();
            let c = cfg(format, 40);
            let mut w = ShardWriter::new(dir.path(), &c).unwrap();
            w.write(b"{\"a\":1}\n{\"a\":2}\n").unwrap();
            let state = w.checkpoint().unwrap();
            // Written after the checkpoint, then "crash": part 0 completes, part 1 opens.
            w.write(b"{\"a\":3}\n{\"a\":4}\n{\"a\":5}\n").unwrap();
            w.write(b"{\"a\":6}\n").unwrap();
            w.checkpoint().unwrap();
            drop(w);
            let mut w = ShardWriter::resume(dir.path(), &c, &state, 0).unwrap();
            w.write(b"{\"b\":3}\n").unwrap();
            w.close_part().unwrap();
            let parts = w.part_paths().unwrap();
            assert_eq!(parts.len(), 1, "{format}");
            let mut text = Vec::new();
            let f = File::open(&parts[0]).unwrap();
            match format {
                "jsonl.gz" => {
                    std::io::Read::read_to_end(
                        &mut flate2::read::MultiGzDecoder::new(f),
                        &mut text,
                    )
                    .unwrap();
                }
                "jsonl.zst" => text = zstd::decode_all(f).unwrap(),
                _ => text = fs::read(&parts[0]).unwrap(),
            }
            assert_eq!(
                String::from_utf8(text).unwrap(),
                "{\"a\":1}\n{\"a\":2}\n{\"b\":3}\n",
                "{format}"
            );
            let names = fs::read_dir(dir.path()).unwrap().count();
            assert_eq!(names, 1, "{format}: no stray files");
        }
    }

    #[test]
    fn zstd_output_is_identical_for_any_worker_count() {
        // More than two zstd jobs' worth of varied lines, written in uneven pieces.
        let mut data = Vec::new();
        let mut rng = crate::test_rng::Lcg::new(12345);
        while data.len() < 20 << 20 {
            let x = rng.next_u64();
            let line = format!(
                "{{\"id\":\"{}\",\"text\":\"w{} v{} u{}\"}}\n",
                x,
                x >> 40,
                x % 977,
                x % 31
            );
            data.extend_from_slice(line.as_bytes());
        }
        let mut outputs = Vec::new();
        for workers in [1, 2, 3] {
            let dir = tempfile::tempdir().unwrap();
            let mut w = ShardWriter::new(dir.path(), &cfg("jsonl.zst", 1 << 40))
                .unwrap()
                .with_compression_workers(workers);
            let mut rest = &data[..];
            while !rest.is_empty() {
                let cut = rest[..rest.len().min(100_000 + 7919 * workers as usize)]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(rest.len(), |i| i + 1);
                w.write(&rest[..cut]).unwrap();
                rest = &rest[cut..];
            }
            w.close_part().unwrap();
            let parts = w.part_paths().unwrap();
            outputs.push(fs::read(&parts[0]).unwrap());
        }
        assert_eq!(zstd::decode_all(&outputs[0][..]).unwrap(), data);
        assert!(outputs[0] == outputs[1] && outputs[1] == outputs[2]);
    }

    fn doc_with(id: &str, text: &str, lang: &str) -> Document {
        let mut d = Document::new(id, text);
        d.metadata.insert("lang".into(), Value::from(lang));
        d.metadata
            .insert("quality".into(), serde_json::json!({"score": 0.5}));
        d
    }

    fn read_parquet(path: &Path) -> Vec<Value> {
        let mut rows = Vec::new();
        crate::read::parquet_rows(path, |r| rows.push(r)).unwrap();
        rows
    }

    #[test]
    fn parquet_parts_hold_id_text_and_metadata_and_read_back_as_documents() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ShardWriter::new(dir.path(), &cfg("parquet", 1 << 20)).unwrap();
        let mut lines = Vec::new();
        kept_line(&doc_with("a", "satu\n\ndua", "ind"), &mut lines);
        kept_line(&doc_with("b", "kerana wang", "zsm"), &mut lines);
        w.write(&lines).unwrap();
        w.finish().unwrap();
        let part = dir.path().join("part-00000.parquet");
        let rows = read_parquet(&part);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["id"], "a");
        assert_eq!(rows[0]["text"], "satu\n\ndua");
        assert_eq!(rows[1]["metadata"]["lang"], "zsm");
        assert_eq!(rows[1]["metadata"]["quality"]["score"], 0.5);
        w.remove_staging().unwrap();
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["part-00000.parquet"]);
    }

    #[test]
    fn removed_parquet_parts_carry_stage_and_reason_columns() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ShardWriter::new(dir.path(), &cfg("parquet", 1 << 20)).unwrap();
        let mut lines = Vec::new();
        removed_line(
            &Document::new("x", "t"),
            "langid",
            "other_language",
            &mut lines,
        );
        w.write(&lines).unwrap();
        w.finish().unwrap();
        let rows = read_parquet(&dir.path().join("part-00000.parquet"));
        assert_eq!(rows[0]["removed_by"], "langid");
        assert_eq!(rows[0]["reason"], "other_language");
    }

    #[test]
    fn parquet_output_resumes_from_a_checkpoint_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let c = cfg("parquet", 1 << 20);
        let line = |id: &str| {
            let mut out = Vec::new();
            kept_line(&Document::new(id, "text"), &mut out);
            out
        };
        let mut w = ShardWriter::new(dir.path(), &c).unwrap();
        w.write(&line("1")).unwrap();
        let state = w.checkpoint().unwrap();
        w.write(&line("2-lost")).unwrap();
        w.checkpoint().unwrap();
        drop(w); // crash: the run never finished
        let mut w = ShardWriter::resume(dir.path(), &c, &state, 0).unwrap();
        w.write(&line("2")).unwrap();
        w.finish().unwrap();
        let ids: Vec<_> = read_parquet(&dir.path().join("part-00000.parquet"))
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn parquet_output_is_identical_across_runs() {
        let bytes = || {
            let dir = tempfile::tempdir().unwrap();
            let mut w = ShardWriter::new(dir.path(), &cfg("parquet", 1 << 20)).unwrap();
            let mut lines = Vec::new();
            for i in 0..100 {
                kept_line(&doc_with(&i.to_string(), "teks berita", "ind"), &mut lines);
            }
            w.write(&lines).unwrap();
            w.finish().unwrap();
            fs::read(dir.path().join("part-00000.parquet")).unwrap()
        };
        assert_eq!(bytes(), bytes());
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
