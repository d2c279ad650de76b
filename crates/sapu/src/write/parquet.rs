//! Parquet output. A Parquet file cannot be appended to or cut back after a crash (its index
//! is a footer written last), so parts are first staged as JSON Lines, which the checkpoint and
//! resume logic handles, and each staged part becomes `part-NNNNN.parquet` when the run ends.
//!
//! Columns: `id`, `text` and `metadata` (a JSON string: Parquet has no schema-free map), plus
//! `removed_by` and `reason` in `removed/`. sapu's reader restores `metadata` as an object.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Rows per row group: large enough for good compression and fast scans, small enough that a
/// row group of long documents stays within memory.
const ROW_GROUP_ROWS: usize = 20_000;
/// Uncompressed bytes per row group, whichever limit comes first.
const ROW_GROUP_BYTES: usize = 128 << 20;

#[derive(Deserialize)]
struct StagedLine<'a> {
    #[serde(borrow)]
    id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    metadata: &'a RawValue,
    #[serde(borrow, default)]
    removed_by: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    reason: Option<std::borrow::Cow<'a, str>>,
}

/// Columns of the row group being built.
#[derive(Default)]
struct Columns {
    id: Vec<ByteArray>,
    text: Vec<ByteArray>,
    metadata: Vec<ByteArray>,
    removed_by: Vec<ByteArray>,
    reason: Vec<ByteArray>,
    bytes: usize,
}

impl Columns {
    fn push(&mut self, line: StagedLine<'_>) {
        self.bytes += line.text.len() + line.metadata.get().len() + line.id.len();
        self.id.push(ByteArray::from(line.id.as_bytes().to_vec()));
        self.text
            .push(ByteArray::from(line.text.as_bytes().to_vec()));
        self.metadata
            .push(ByteArray::from(line.metadata.get().as_bytes().to_vec()));
        if let (Some(by), Some(reason)) = (line.removed_by, line.reason) {
            self.removed_by
                .push(ByteArray::from(by.as_bytes().to_vec()));
            self.reason
                .push(ByteArray::from(reason.as_bytes().to_vec()));
        }
    }

    fn len(&self) -> usize {
        self.id.len()
    }
}

fn schema(removed: bool) -> String {
    let extra = if removed {
        "REQUIRED BYTE_ARRAY removed_by (STRING); REQUIRED BYTE_ARRAY reason (STRING);"
    } else {
        ""
    };
    format!(
        "message document {{ REQUIRED BYTE_ARRAY id (STRING); REQUIRED BYTE_ARRAY text (STRING); \
         REQUIRED BYTE_ARRAY metadata (JSON); {extra} }}"
    )
}

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e.to_string())
}

/// Convert one staged JSON Lines part (zstd) into a Parquet file at `to`, written under a
/// temporary name and renamed when complete.
pub(super) fn convert(staged: &Path, to: &Path, level: i32) -> io::Result<()> {
    let at = |e: io::Error, p: &Path| io::Error::new(e.kind(), format!("{}: {e}", p.display()));
    let input = File::open(staged).map_err(|e| at(e, staged))?;
    let mut lines = BufReader::with_capacity(1 << 20, zstd::Decoder::new(input)?);
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = to.with_file_name(format!(".{name}.tmp"));
    let file = File::create(&tmp).map_err(|e| at(e, &tmp))?;

    let mut writer: Option<SerializedFileWriter<File>> = None;
    let mut file = Some(file);
    let mut removed = false;
    let mut columns = Columns::default();
    let mut buf = Vec::new();
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(level.clamp(1, 22)).map_err(parquet_error)?,
            ))
            .set_created_by("sapu".into())
            .build(),
    );
    loop {
        buf.clear();
        if lines.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line: StagedLine = serde_json::from_slice(&buf).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: staged line is not a document: {e}", staged.display()),
            )
        })?;
        if writer.is_none() {
            removed = line.removed_by.is_some();
            let schema = Arc::new(parse_message_type(&schema(removed)).map_err(parquet_error)?);
            let out = file.take().expect("the output file is opened once");
            writer = Some(
                SerializedFileWriter::new(out, schema, Arc::clone(&props))
                    .map_err(parquet_error)?,
            );
        }
        columns.push(line);
        if columns.len() >= ROW_GROUP_ROWS || columns.bytes >= ROW_GROUP_BYTES {
            let w = writer.as_mut().expect("opened with the first line");
            write_row_group(w, std::mem::take(&mut columns), removed)?;
        }
    }
    let mut w = match writer {
        Some(w) => w,
        None => {
            // An empty part still gets a valid (empty) Parquet file with the kept schema.
            let schema = Arc::new(parse_message_type(&schema(false)).map_err(parquet_error)?);
            let out = file.take().expect("the output file is opened once");
            SerializedFileWriter::new(out, schema, props).map_err(parquet_error)?
        }
    };
    if columns.len() > 0 {
        write_row_group(&mut w, columns, removed)?;
    }
    let out = w.into_inner().map_err(parquet_error)?;
    out.sync_data()?;
    fs::rename(&tmp, to).map_err(|e| at(e, to))
}

fn write_row_group(
    writer: &mut SerializedFileWriter<File>,
    columns: Columns,
    removed: bool,
) -> io::Result<()> {
    let mut order = vec![columns.id, columns.text, columns.metadata];
    if removed {
        order.push(columns.removed_by);
        order.push(columns.reason);
    }
    let mut group = writer.next_row_group().map_err(parquet_error)?;
    for values in order {
        let mut column = group
            .next_column()
            .map_err(parquet_error)?
            .expect("the schema has one column per vector");
        column
            .typed::<ByteArrayType>()
            .write_batch(&values, None, None)
            .map_err(parquet_error)?;
        column.close().map_err(parquet_error)?;
    }
    group.close().map_err(parquet_error)?;
    Ok(())
}
