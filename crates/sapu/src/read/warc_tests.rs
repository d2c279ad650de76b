//! WARC reader tests on small archives written by the tests themselves.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use flate2::write::GzEncoder;

use super::*;

fn read_all(path: &Path) -> Vec<Record> {
    let mut out = Vec::new();
    read_file(
        path,
        &InputConfig::default(),
        &Arc::new(ReadProgress::default()),
        &mut |r| out.push(r),
    );
    out
}

fn warc_record(kind: &str, id: &str, extra: &str, block: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:{id}>\r\n\
         WARC-Date: 2024-04-25T16:24:44Z\r\nWARC-Target-URI: http://example.com/{id}\r\n{extra}\
         Content-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    r.extend_from_slice(block);
    r.extend_from_slice(b"\r\n\r\n");
    r
}

fn http(content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut b = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\r\n").into_bytes();
    b.extend_from_slice(body);
    b
}

const HTTP_RESPONSE: &str = "Content-Type: application/http;msgtype=response\r\n";

/// warcinfo, request, HTML response (Latin-1 declared in the header), image response,
/// revisit, metadata, and an HTML response whose charset is only in `<meta>`.
fn sample_records() -> Vec<Vec<u8>> {
    vec![
        warc_record("warcinfo", "0", "", b"software: test\r\n"),
        warc_record(
            "request",
            "1",
            "",
            b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        ),
        warc_record(
            "response",
            "2",
            HTTP_RESPONSE,
            &http(
                "text/html; charset=ISO-8859-1",
                b"<html><body><p>Gr\xfc\xdfe</p></body></html>",
            ),
        ),
        warc_record(
            "response",
            "3",
            HTTP_RESPONSE,
            &http("image/png", b"\x89PNG\r\n\x1a\n"),
        ),
        warc_record("revisit", "4", "", b""),
        warc_record("metadata", "5", "", b"fetchTimeMs: 12\r\n"),
        warc_record(
            "response",
            "6",
            HTTP_RESPONSE,
            &http(
                "text/html",
                b"<meta charset=\"windows-1251\"><p>\xcf\xf0\xe8</p>",
            ),
        ),
    ]
}

fn write_gz_members(path: &Path, records: &[Vec<u8>]) -> Vec<u8> {
    let mut all = Vec::new();
    for r in records {
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(r).unwrap();
        all.extend(gz.finish().unwrap());
    }
    std::fs::write(path, &all).unwrap();
    all
}

fn summarize(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| match r {
            Record::Doc(d) => format!(
                "doc {} {} {} {:?}",
                d.id,
                d.metadata["content_type"],
                d.metadata
                    .get("charset")
                    .map_or("-".into(), |c| c.to_string()),
                d.text
            ),
            Record::Skipped { code } => format!("skip {code}"),
            Record::Bad { issue, .. } => format!("bad {} {}", issue.code, issue.location),
            Record::Pending(_) => "pending".into(),
        })
        .collect()
}

#[test]
fn reads_html_responses_and_counts_skipped_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.warc.gz");
    write_gz_members(&path, &sample_records());
    let records = read_all(&path);
    assert_eq!(
        summarize(&records),
        [
            "skip warcinfo_record",
            "skip request_record",
            "doc urn:uuid:2 \"text/html\" \"windows-1252\" \"<html><body><p>Grüße</p></body></html>\"",
            "skip non_html_response",
            "skip revisit_record",
            "skip metadata_record",
            "doc urn:uuid:6 \"text/html\" \"windows-1251\" \"<meta charset=\\\"windows-1251\\\"><p>При</p>\"",
        ]
    );
    let Record::Doc(d) = &records[2] else {
        unreachable!()
    };
    assert_eq!(d.metadata["url"], "http://example.com/2");
    assert_eq!(d.metadata["date"], "2024-04-25T16:24:44Z");
    assert_eq!(d.metadata["warc_record_id"], "urn:uuid:2");
}

#[test]
fn reads_uncompressed_warc_and_wet_conversions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.warc.wet");
    let mut bytes = warc_record("warcinfo", "0", "", b"x");
    bytes.extend(warc_record(
        "conversion",
        "7",
        "Content-Type: text/plain\r\n",
        "Zeile eins\nZeile zwei".as_bytes(),
    ));
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(
        summarize(&read_all(&path)),
        [
            "skip warcinfo_record",
            "doc urn:uuid:7 \"text/plain\" - \"Zeile eins\\nZeile zwei\""
        ]
    );
}

#[test]
fn truncated_gzip_keeps_records_before_the_damage() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.warc.gz");
    let all = write_gz_members(&path, &sample_records());
    // Cut the file in the middle of the last member.
    std::fs::write(&path, &all[..all.len() - 30]).unwrap();
    let got = summarize(&read_all(&path));
    assert_eq!(got.len(), 7, "{got:?}");
    assert_eq!(
        &got[..6],
        &summarize(&read_all_of(&sample_records()[..6]))[..]
    );
    assert!(got[6].starts_with("bad truncated_gzip "), "{got:?}");
}

fn read_all_of(records: &[Vec<u8>]) -> Vec<Record> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.warc");
    std::fs::write(&path, records.concat()).unwrap();
    read_all(&path)
}

#[test]
fn truncated_plain_warc_is_named_with_its_offset() {
    let recs = sample_records();
    let mut bytes = recs[..3].concat();
    let cut_at = bytes.len();
    bytes.extend_from_slice(&recs[6][..recs[6].len() - 20]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.warc");
    std::fs::write(&path, bytes).unwrap();
    let got = summarize(&read_all(&path));
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(
        got[3],
        format!("bad truncated_warc {}: at byte {cut_at}", path.display())
    );
}

#[test]
fn garbage_is_invalid_warc_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.warc");
    let garbage: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    std::fs::write(&path, garbage).unwrap();
    let got = summarize(&read_all(&path));
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("bad invalid_warc"), "{got:?}");
}

#[test]
fn dechunks_and_gunzips_http_payloads() {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"<html><p>zipped</p></html>").unwrap();
    let zipped = gz.finish().unwrap();
    let mut chunked = format!("{:x}\r\n", zipped.len()).into_bytes();
    chunked.extend_from_slice(&zipped);
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let mut block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
    block.extend(chunked);
    let got = summarize(&read_all_of(&[warc_record(
        "response",
        "8",
        HTTP_RESPONSE,
        &block,
    )]));
    assert_eq!(
        got,
        ["doc urn:uuid:8 \"text/html\" \"UTF-8\" \"<html><p>zipped</p></html>\""]
    );
}

#[test]
fn detects_warc_and_wet_extensions() {
    for name in ["a.warc", "a.warc.gz", "a.warc.wet.gz", "A.WARC.GZ"] {
        assert_eq!(
            Format::detect(Path::new(name)).map(|f| f.0),
            Some(Format::Warc),
            "{name}"
        );
    }
}
