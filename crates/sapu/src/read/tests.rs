use std::io::Write;

use super::*;

fn read_all(path: &Path, cfg: &InputConfig) -> Vec<Record> {
    let mut out = Vec::new();
    let progress = Arc::new(ReadProgress::default());
    read_file(path, cfg, &progress, &mut |r| out.push(r.resolve(cfg)));
    out
}

fn codes(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| match r {
            Record::Doc(d) => format!("doc:{}", d.id),
            Record::Bad { issue, quarantined } => format!(
                "{}@{}{}",
                issue.code,
                issue.location.line.map_or("-".into(), |l| l.to_string()),
                if quarantined.is_some() { "+q" } else { "" }
            ),
            Record::Pending(_) => "pending".into(),
            Record::Skipped { code } => format!("skipped:{code}"),
        })
        .collect()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn jsonl_bad_lines_are_quarantined_with_their_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"{\"id\":\"a\",\"text\":\"one\"}\n{not json}\n\n".to_vec();
    bytes.extend_from_slice(b"{\"id\":\"b\",\"text\":\"bad \xff utf8\"}\n");
    bytes.extend_from_slice(b"{\"id\":\"c\",\"body\":\"no text\"}\n[1,2]\n");
    bytes.extend_from_slice(b"{\"text\":\"no id\",\"url\":\"u\"}\n");
    let p = write_file(dir.path(), "in.jsonl", &bytes);
    let records = read_all(&p, &InputConfig::default());
    let shown = p.display().to_string();
    assert_eq!(
        codes(&records),
        [
            "doc:a".to_string(),
            "invalid_json@2+q".into(),
            "invalid_utf8@4+q".into(),
            "missing_text_field@5+q".into(),
            "not_an_object@6+q".into(),
            format!("doc:{shown}:7"),
        ]
    );
    let Record::Doc(last) = &records[5] else {
        panic!()
    };
    assert_eq!(last.metadata.get("url").unwrap(), "u");
}

#[test]
fn text_and_id_fields_are_configurable_and_metadata_is_merged() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        dir.path(),
        "in.ndjson",
        b"{\"doc_id\":7,\"content\":\"x\",\"metadata\":{\"a\":1},\"b\":2}\n",
    );
    let cfg = InputConfig {
        text_field: "content".into(),
        id_field: "doc_id".into(),
        ..InputConfig::default()
    };
    let records = read_all(&p, &cfg);
    let Record::Doc(d) = &records[0] else {
        panic!("{records:?}")
    };
    assert_eq!(d.id, "7");
    assert_eq!(d.text, "x");
    assert_eq!(
        serde_json::to_string(&d.metadata).unwrap(),
        "{\"a\":1,\"b\":2}"
    );
}

#[test]
fn truncated_gzip_keeps_the_records_before_the_damage_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..2000 {
        writeln!(
            enc,
            "{{\"id\":\"d{i}\",\"text\":\"document number {i} with some words\"}}"
        )
        .unwrap();
    }
    let full = enc.finish().unwrap();
    let p = write_file(dir.path(), "cut.jsonl.gz", &full[..full.len() * 2 / 3]);
    let records = read_all(&p, &InputConfig::default());
    let docs = records
        .iter()
        .filter(|r| matches!(r, Record::Doc(_)))
        .count();
    assert!(docs > 100 && docs < 2000, "{docs} docs before the damage");
    let Record::Bad { issue, quarantined } = records.last().unwrap() else {
        panic!("last record should name the damage")
    };
    assert_eq!(issue.code, "truncated_gzip");
    assert!(quarantined.is_none());
    assert_eq!(issue.location.line, Some(docs as u64 + 1));
}

#[test]
fn zstd_and_plain_give_the_same_documents() {
    let dir = tempfile::tempdir().unwrap();
    let plain = b"{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"text\":\"y\"}";
    let p1 = write_file(dir.path(), "a.jsonl", plain);
    let p2 = write_file(
        dir.path(),
        "a.jsonl.zst",
        &zstd::encode_all(&plain[..], 3).unwrap(),
    );
    let cfg = InputConfig::default();
    assert_eq!(codes(&read_all(&p1, &cfg)), ["doc:a", "doc:b"]);
    assert_eq!(codes(&read_all(&p2, &cfg)), ["doc:a", "doc:b"]);
}

#[test]
fn corrupt_zstd_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "bad.jsonl.zst", b"this is not zstd at all");
    let records = read_all(&p, &InputConfig::default());
    assert_eq!(codes(&records), ["corrupt_zstd@1"]);
}

#[test]
fn json_array_streams_elements_and_keeps_those_before_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        dir.path(),
        "arr.json",
        b" [ {\"id\":\"a\",\"text\":\"x\"},\n {\"text\":\"y\"},\n {\"id\":\"c\" \"text\":1} ]",
    );
    let records = read_all(&p, &InputConfig::default());
    let shown = p.display().to_string();
    assert_eq!(
        codes(&records),
        [
            "doc:a".to_string(),
            format!("doc:{shown}#2"),
            "invalid_json@3".into()
        ]
    );
}

#[test]
fn overlong_line_is_quarantined_with_a_bounded_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes =
        format!("{{\"id\":\"big\",\"text\":\"{}\"}}\n", "x".repeat(300_000)).into_bytes();
    bytes.extend_from_slice(b"{\"id\":\"ok\",\"text\":\"fine\"}\n");
    let p = write_file(dir.path(), "big.jsonl", &bytes);
    let cfg = InputConfig {
        max_record_bytes: 100_000,
        ..InputConfig::default()
    };
    let records = read_all(&p, &cfg);
    assert_eq!(codes(&records), ["record_too_long@1+q", "doc:ok"]);
    let Record::Bad {
        quarantined: Some(q),
        ..
    } = &records[0]
    else {
        panic!()
    };
    assert_eq!(q.text.len(), QUARANTINE_LIMIT);
}

#[test]
fn text_file_is_one_document_and_invalid_utf8_is_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_file(dir.path(), "good.txt", "Judul\nIsi berita.".as_bytes());
    let bad = write_file(dir.path(), "bad.txt", b"ok \xc3\x28 broken");
    let cfg = InputConfig::default();
    let records = read_all(&good, &cfg);
    let Record::Doc(d) = &records[0] else {
        panic!()
    };
    assert_eq!(
        (d.id.as_str(), d.text.as_str()),
        (good.to_str().unwrap(), "Judul\nIsi berita.")
    );
    let records = read_all(&bad, &cfg);
    let Record::Bad {
        issue,
        quarantined: Some(q),
    } = &records[0]
    else {
        panic!()
    };
    assert_eq!(
        (issue.code.as_ref(), issue.location.byte_offset),
        ("invalid_utf8", Some(3))
    );
    assert_eq!(q.text, "ok \u{fffd}( broken");
}

#[test]
fn html_file_is_marked_for_extraction() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(dir.path(), "page.HTML", b"<p>hi</p>");
    let records = read_all(&p, &InputConfig::default());
    let Record::Doc(d) = &records[0] else {
        panic!()
    };
    assert_eq!(d.metadata.get("content_type").unwrap(), "text/html");
}

#[test]
fn directories_are_walked_in_sorted_order_skipping_unknown_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    write_file(dir.path(), "b.jsonl", b"");
    write_file(dir.path(), "a.txt", b"");
    write_file(dir.path(), "README.md", b"");
    write_file(&dir.path().join("sub"), "c.jsonl.gz", b"");
    let missing = dir.path().join("nope.jsonl");
    let (files, issues, skipped) = expand_inputs(&[dir.path().to_path_buf(), missing]);
    let names: Vec<_> = files
        .iter()
        .map(|f| f.strip_prefix(dir.path()).unwrap().display().to_string())
        .collect();
    assert_eq!(names, ["a.txt", "b.jsonl", "sub/c.jsonl.gz"]);
    assert_eq!(skipped, 1);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].code, "not_found");
}

#[test]
fn crlf_line_endings_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        dir.path(),
        "w.jsonl",
        b"{\"id\":\"a\",\"text\":\"x\"}\r\n{\"id\":\"b\",\"text\":\"y\"}\r\n",
    );
    assert_eq!(
        codes(&read_all(&p, &InputConfig::default())),
        ["doc:a", "doc:b"]
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn parquet_in_hugging_face_layout_reads_rows_as_documents_with_other_columns_as_metadata() {
    // Written by pyarrow (snappy, two row groups): FineWeb's columns, one row with a null text.
    let records = read_all(
        &fixture("hf-fineweb-layout.parquet"),
        &InputConfig::default(),
    );
    assert_eq!(
        codes(&records),
        [
            "doc:<urn:uuid:1>",
            "missing_text_field@2+q",
            "doc:<urn:uuid:3>"
        ]
    );
    let Record::Doc(doc) = &records[2] else {
        unreachable!()
    };
    assert!(doc.text.starts_with("Kerajaan mengumumkan"));
    assert_eq!(doc.metadata["url"], "https://berita.example.my/c");
    assert_eq!(doc.metadata["token_count"], 8);
    assert_eq!(doc.metadata["dump"], "CC-MAIN-2024-10");
}

#[test]
fn a_file_named_parquet_that_is_not_parquet_is_named_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "junk.parquet",
        b"{\"id\":\"a\",\"text\":\"x\"}\n",
    );
    let records = read_all(&path, &InputConfig::default());
    assert_eq!(codes(&records), ["corrupt_parquet@-"]);
    let Record::Bad { issue, .. } = &records[0] else {
        unreachable!()
    };
    assert!(
        issue.message.contains("not a readable Parquet file"),
        "{}",
        issue.message
    );
}

#[test]
fn a_truncated_parquet_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture("hf-fineweb-layout.parquet")).unwrap();
    let path = write_file(dir.path(), "cut.parquet", &bytes[..bytes.len() / 2]);
    let records = read_all(&path, &InputConfig::default());
    assert_eq!(codes(&records), ["corrupt_parquet@-"]);
}
