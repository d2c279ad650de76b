//! WARC archives (`.warc`, `.warc.gz` with one gzip member per record, WET `.warc.wet.gz`):
//! HTML responses and WET text conversions become documents; every other record is skipped
//! and counted; a damaged archive keeps the records before the damage and names it.
//!
//! The format is simple (ISO 28500: a version line, `Name: value` headers, a blank line,
//! `Content-Length` bytes of block, two CRLFs), so it is parsed here over the decompressed
//! stream rather than through a crate.

use std::io::{BufRead, Read};

use serde_json::Value;

use super::{decode_html, Record, Source};
use crate::doc::Document;

/// Longest header line accepted; a longer one means the stream is not WARC.
const MAX_HEADER_LINE: u64 = 64 << 10;
/// Most header lines per record (WARC or HTTP).
const MAX_HEADERS: usize = 512;

pub(super) fn read(source: &Source, reader: &mut dyn BufRead, sink: &mut dyn FnMut(Record)) {
    let mut r = Counting {
        inner: reader,
        pos: 0,
    };
    loop {
        let mut start = r.pos;
        let headers = match read_warc_headers(&mut r, &mut start) {
            Ok(Some(h)) => h,
            Ok(None) => return,
            Err(Damage::Io(e)) => return sink(source.io_error(None, r.pos, &e)),
            Err(Damage::Eof) => return sink(truncated(source, start, "record header")),
            Err(Damage::Invalid(what)) => {
                return sink(source.bad(
                    None,
                    Some(start),
                    "invalid_warc",
                    format!(
                    "not a WARC record at byte {start}: {what}; the rest of the file was not read"
                ),
                    None,
                ))
            }
        };
        let Some(len) =
            header(&headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok())
        else {
            return sink(source.bad(
                None,
                Some(start),
                "invalid_warc",
                format!("WARC record at byte {start} has no valid Content-Length; the rest of the file was not read"),
                None,
            ));
        };
        let kind = header(&headers, "warc-type")
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let wanted = matches!(kind.as_str(), "response" | "conversion" | "resource");
        let cap = source.cfg.max_record_bytes;
        let block = if wanted && len <= cap {
            let mut block = Vec::with_capacity(len.min(1 << 24) as usize);
            match (&mut r).take(len).read_to_end(&mut block) {
                Ok(n) if n as u64 == len => Some(block),
                Ok(_) => return sink(truncated(source, start, "record block")),
                Err(e) => return sink(source.io_error(None, r.pos, &e)),
            }
        } else {
            match std::io::copy(&mut (&mut r).take(len), &mut std::io::sink()) {
                Ok(n) if n == len => None,
                Ok(_) => return sink(truncated(source, start, "record block")),
                Err(e) => return sink(source.io_error(None, r.pos, &e)),
            }
        };
        let record = match block {
            Some(block) => to_record(&kind, &headers, &block),
            None if wanted => source.bad(
                None,
                Some(start),
                "record_too_long",
                format!(
                    "WARC record at byte {start} is {len} bytes, over max_record_bytes ({cap})"
                ),
                None,
            ),
            None => Record::Skipped {
                code: skip_code(&kind),
            },
        };
        sink(record);
    }
}

/// What stopped the reading of a record.
enum Damage {
    Io(std::io::Error),
    Eof,
    Invalid(&'static str),
}

fn truncated(source: &Source, start: u64, what: &str) -> Record {
    let code = match source.compression {
        super::Compression::Gzip => "truncated_gzip",
        _ => "truncated_warc",
    };
    source.bad(
        None,
        Some(start),
        code,
        format!("archive ends inside the {what} of the record at byte {start}; records before it were kept"),
        None,
    )
}

/// The record's headers, `None` at a clean end of file; `start` is set to the offset of its
/// version line.
fn read_warc_headers(
    r: &mut Counting,
    start: &mut u64,
) -> Result<Option<Vec<(String, String)>>, Damage> {
    let mut line = Vec::new();
    // Skip the blank lines that end the previous record.
    loop {
        line.clear();
        *start = r.pos;
        let n = read_line(r, &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        if !line.trim_ascii().is_empty() {
            break;
        }
    }
    if !line.starts_with(b"WARC/") {
        return Err(Damage::Invalid("no `WARC/` version line"));
    }
    let mut headers = Vec::new();
    loop {
        line.clear();
        if read_line(r, &mut line)? == 0 {
            return Err(Damage::Eof);
        }
        let l = line.trim_ascii();
        if l.is_empty() {
            return Ok(Some(headers));
        }
        if headers.len() >= MAX_HEADERS {
            return Err(Damage::Invalid("too many header lines"));
        }
        if let Some(colon) = memchr::memchr(b':', l) {
            let name = String::from_utf8_lossy(&l[..colon])
                .trim()
                .to_ascii_lowercase();
            let value = String::from_utf8_lossy(&l[colon + 1..]).trim().to_string();
            headers.push((name, value));
        }
    }
}

fn read_line(r: &mut Counting, line: &mut Vec<u8>) -> Result<usize, Damage> {
    let n = (&mut *r)
        .take(MAX_HEADER_LINE)
        .read_until(b'\n', line)
        .map_err(Damage::Io)?;
    if n as u64 == MAX_HEADER_LINE && !line.ends_with(b"\n") {
        return Err(Damage::Invalid("header line too long"));
    }
    Ok(n)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn skip_code(kind: &str) -> &'static str {
    match kind {
        "warcinfo" => "warcinfo_record",
        "request" => "request_record",
        "metadata" => "metadata_record",
        "revisit" => "revisit_record",
        "response" | "resource" => "non_html_response",
        "conversion" => "conversion_record",
        _ => "other_record",
    }
}

/// A document for an HTML response (or resource) or a WET conversion; a skip otherwise.
fn to_record(kind: &str, headers: &[(String, String)], block: &[u8]) -> Record {
    let skip = |code| Record::Skipped { code };
    let (content_type, body) = match kind {
        "conversion" => {
            let text = String::from_utf8_lossy(block).into_owned();
            return Record::Doc(document(headers, text, "text/plain", None));
        }
        "response"
            if header(headers, "content-type").is_some_and(|c| c.contains("msgtype=request")) =>
        {
            return skip("request_record")
        }
        "response" => match split_http(block) {
            Some(http) => http,
            None => return skip("non_http_response"),
        },
        _ => (
            header(headers, "content-type").map(str::to_string),
            block.to_vec(),
        ),
    };
    let mime = content_type
        .as_deref()
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    let html = match mime.as_deref() {
        Some("text/html" | "application/xhtml+xml") => true,
        Some(_) => false,
        None => looks_like_html(&body),
    };
    if !html {
        return skip(skip_code(kind));
    }
    let declared = content_type.as_deref().and_then(charset_param);
    let (text, charset) = decode_html(&body, declared);
    Record::Doc(document(headers, text, "text/html", Some(charset)))
}

fn document(
    headers: &[(String, String)],
    text: String,
    ct: &str,
    charset: Option<&str>,
) -> Document {
    let id = header(headers, "warc-record-id")
        .map(unbracket)
        .unwrap_or_default();
    let mut doc = Document::new(id.clone(), text);
    let m = &mut doc.metadata;
    if let Some(url) = header(headers, "warc-target-uri") {
        m.insert("url".into(), Value::from(unbracket(url)));
    }
    if let Some(date) = header(headers, "warc-date") {
        m.insert("date".into(), Value::from(date));
    }
    m.insert("warc_record_id".into(), Value::from(id));
    m.insert("content_type".into(), Value::from(ct));
    if let Some(cs) = charset {
        m.insert("charset".into(), Value::from(cs));
    }
    doc
}

/// `<urn:uuid:...>` -> `urn:uuid:...`
fn unbracket(v: &str) -> String {
    v.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// The HTTP `Content-Type` and the payload (de-chunked, decompressed) of a response block.
fn split_http(block: &[u8]) -> Option<(Option<String>, Vec<u8>)> {
    if !block.starts_with(b"HTTP/") {
        return None;
    }
    let end = memchr::memmem::find(block, b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| memchr::memmem::find(block, b"\n\n").map(|i| (i, i + 2)))?;
    let head = String::from_utf8_lossy(&block[..end.0]);
    let mut content_type = None;
    let (mut chunked, mut encoding) = (false, None);
    for line in head.lines().skip(1).take(MAX_HEADERS) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.to_string()),
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            "content-encoding" => encoding = Some(value.to_ascii_lowercase()),
            _ => {}
        }
    }
    let mut body = block[end.1..].to_vec();
    if chunked {
        body = dechunk(&body).unwrap_or(body);
    }
    if let Some(enc) = encoding.as_deref() {
        body = decompress(enc, &body).unwrap_or(body);
    }
    Some((content_type, body))
}

/// Undo HTTP chunked transfer coding; `None` when the body is not validly chunked.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    loop {
        let eol = memchr::memchr(b'\n', b)?;
        let size_text = std::str::from_utf8(&b[..eol]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        b = &b[eol + 1..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size..)?;
        b = b
            .strip_prefix(b"\r\n")
            .or(b.strip_prefix(b"\n"))
            .unwrap_or(b);
    }
}

fn decompress(encoding: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    // A bound so a decompression bomb cannot take the memory: 64 MiB.
    let limit = 64 << 20;
    let result = match encoding {
        "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(body)
            .take(limit)
            .read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body)
            .take(limit)
            .read_to_end(&mut out),
        "identity" => return Some(body.to_vec()),
        _ => return None,
    };
    result.ok().map(|_| out)
}

fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then_some(v.trim())
    })
}

fn looks_like_html(body: &[u8]) -> bool {
    let head: Vec<u8> = body.iter().take(1024).map(u8::to_ascii_lowercase).collect();
    memchr::memmem::find(&head, b"<html").is_some()
        || memchr::memmem::find(&head, b"<!doctype html").is_some()
}

/// Counts the bytes read, for locations.
struct Counting<'a> {
    inner: &'a mut dyn BufRead,
    pos: u64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl BufRead for Counting<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}
