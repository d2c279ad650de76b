//! JSON Lines and JSON-array files: one object per record, text and id fields configurable,
//! every other field carried into metadata.

use std::io::BufRead;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde_json::{Map, Value};

use std::sync::Arc;

use super::compress::Compression;
use super::lines::{read_capped_line, LineRead};
use super::{Record, Source};
use crate::config::InputConfig;
use crate::doc::Document;

pub(super) fn read(source: &Source, reader: &mut dyn BufRead, sink: &mut dyn FnMut(Record)) {
    let starts_with_bracket = match reader.fill_buf() {
        Ok(buf) => buf.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'['),
        Err(e) => {
            sink(source.io_error(Some(1), 0, &e));
            return;
        }
    };
    if starts_with_bracket {
        read_array(source, reader, sink);
    } else {
        read_lines(source, reader, sink);
    }
}

/// One JSON line read but not parsed yet: parsing is left to the engine's worker threads, so
/// the reader thread only decompresses and splits lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLine {
    path: Arc<str>,
    number: u64,
    offset: u64,
    bytes: Vec<u8>,
    too_long: bool,
}

impl PendingLine {
    /// Size of the raw line in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the raw line is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Parse the line into a document, or a quarantine record saying why it could not be.
    pub fn parse(&self, cfg: &InputConfig) -> Record {
        let source = Source {
            path: Arc::clone(&self.path),
            compression: Compression::None,
            cfg,
        };
        parse_line(&source, self)
    }
}

fn read_lines(source: &Source, reader: &mut dyn BufRead, sink: &mut dyn FnMut(Record)) {
    let cap = usize::try_from(source.cfg.max_record_bytes).unwrap_or(usize::MAX);
    let mut number = 0u64;
    let mut offset = 0u64;
    let mut buf = Vec::new();
    loop {
        let (consumed, too_long) = match read_capped_line(reader, &mut buf, cap) {
            Ok(LineRead::Eof) => break,
            Ok(LineRead::Line { consumed }) => (consumed, false),
            Ok(LineRead::TooLong { consumed }) => (consumed, true),
            Err(e) => {
                sink(source.io_error(Some(number + 1), offset, &e));
                return;
            }
        };
        number += 1;
        let line_offset = offset;
        offset += consumed;
        if !too_long && buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        sink(Record::Pending(PendingLine {
            path: Arc::clone(&source.path),
            number,
            offset: line_offset,
            bytes: std::mem::take(&mut buf),
            too_long,
        }));
    }
}

fn parse_line(source: &Source, line: &PendingLine) -> Record {
    let (n, off) = (Some(line.number), Some(line.offset));
    if line.too_long {
        return source.bad(
            n,
            off,
            "record_too_long",
            format!(
                "line is longer than max_record_bytes ({} bytes); quarantined (first 64 KiB kept)",
                source.cfg.max_record_bytes
            ),
            Some(&line.bytes),
        );
    }
    let text = match std::str::from_utf8(&line.bytes) {
        Ok(t) => t,
        Err(e) => {
            return source.bad(
                n,
                off,
                "invalid_utf8",
                format!(
                    "invalid UTF-8 at column {} (line quarantined)",
                    e.valid_up_to() + 1
                ),
                Some(&line.bytes),
            )
        }
    };
    match serde_json::from_str::<Value>(text) {
        Ok(value) => into_record(source, value, n, off, &|| line.bytes.clone()),
        Err(e) => source.bad(
            n,
            off,
            "invalid_json",
            format!(
                "invalid JSON at column {}: {} (line quarantined)",
                e.column(),
                e_without_position(&e)
            ),
            Some(&line.bytes),
        ),
    }
}

fn e_without_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A JSON value into a document, or a quarantine record naming what is missing. `raw` gives
/// the record's bytes for quarantine; it is only called for a bad record.
pub(super) fn into_record(
    source: &Source,
    value: Value,
    line: Option<u64>,
    offset: Option<u64>,
    raw: &dyn Fn() -> Vec<u8>,
) -> Record {
    let Value::Object(mut fields) = value else {
        return source.bad(
            line,
            offset,
            "not_an_object",
            "record is not a JSON object (quarantined)".into(),
            Some(&raw()),
        );
    };
    let cfg = source.cfg;
    let text = match fields.remove(&cfg.text_field) {
        Some(Value::String(t)) => t,
        other => {
            let what = match other {
                None => "has no".to_string(),
                Some(v) => format!("has a non-string ({})", kind(&v)),
            };
            return source.bad(
                line,
                offset,
                "missing_text_field",
                format!("record {what} `{}` field (quarantined)", cfg.text_field),
                Some(&raw()),
            );
        }
    };
    let id = match fields.remove(&cfg.id_field) {
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        _ => match line {
            Some(l) => format!("{}:{l}", source.path),
            None => source.path.to_string(),
        },
    };
    let mut metadata = match fields.remove("metadata") {
        Some(Value::Object(m)) => m,
        Some(other) => {
            let mut m = Map::new();
            m.insert("metadata".into(), other);
            m
        }
        None => Map::new(),
    };
    metadata.extend(fields);
    Record::Doc(Document { id, text, metadata })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A file holding one JSON array of records: streamed element by element, so the records
/// before a syntax error are kept.
fn read_array(source: &Source, reader: &mut dyn BufRead, sink: &mut dyn FnMut(Record)) {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut index = 0u64;
    let seed = ArraySeed {
        source,
        sink: &mut *sink,
        index: &mut index,
    };
    if let Err(e) = seed.deserialize(&mut de) {
        let code = if let Some(kind) = e.io_error_kind() {
            source.compression.error_code_for(kind)
        } else {
            "invalid_json"
        };
        sink(source.bad(
            Some(e.line() as u64),
            None,
            code,
            format!(
                "{} at column {}, in array element {}; elements before it were kept",
                e_without_position(&e),
                e.column(),
                index + 1
            ),
            None,
        ));
    }
}

struct ArraySeed<'a, 'b> {
    source: &'a Source<'a>,
    sink: &'b mut dyn FnMut(Record),
    index: &'b mut u64,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of JSON objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            *self.index += 1;
            let raw = value.clone();
            let mut record = into_record(self.source, value, None, None, &|| {
                raw.to_string().into_bytes()
            });
            if let Record::Doc(doc) = &mut record {
                if *doc.id == *self.source.path {
                    doc.id = format!("{}#{}", self.source.path, self.index);
                }
            }
            (self.sink)(record);
        }
        Ok(())
    }
}
