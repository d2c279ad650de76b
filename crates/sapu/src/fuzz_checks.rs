//! The checks the fuzz targets (`fuzz/fuzz_targets/`) run on arbitrary bytes, shared with the
//! regression test that replays their seeds and crash fixtures on stable Rust.

use crate::clean::{Clean, CleanConfig};
use crate::config::InputConfig;
use crate::extract::{Extract, ExtractConfig};
use crate::read::{decode_html, read_stream, Compression, Format, Record};
use crate::{DocStage, Document, Outcome, StageStats};

/// The JSON reader on arbitrary bytes: every record comes out as a document, a named bad
/// record or a skip; pending lines parse without panicking.
pub fn jsonl_reader(data: &[u8]) {
    let cfg = InputConfig {
        max_record_bytes: 4096,
        ..InputConfig::default()
    };
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    read_stream(
        "fuzz.jsonl",
        Format::Json,
        Compression::None,
        input,
        &cfg,
        &mut |r| match r.resolve(&cfg) {
            Record::Doc(_) | Record::Skipped { .. } => {}
            Record::Bad { issue, .. } => assert!(!issue.code.is_empty()),
            Record::Pending(_) => panic!("resolve left a pending line"),
        },
    );
}

/// The WARC reader on arbitrary bytes: nothing is read after the damage that ends a file.
pub fn warc_reader(data: &[u8]) {
    let cfg = InputConfig::default();
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    let mut ended = false;
    read_stream(
        "fuzz.warc",
        Format::Warc,
        Compression::None,
        input,
        &cfg,
        &mut |r| {
            assert!(!ended, "a record after the damage that ends the file");
            if let Record::Bad { issue, .. } = r {
                ended = issue.code != "record_too_long";
            }
        },
    );
}

/// Charset detection and the extract stage on arbitrary bytes: a kept page has text.
pub fn html_extract(data: &[u8]) {
    let (html, _) = decode_html(data, None);
    let mut doc = Document::new("fuzz".to_string(), html);
    doc.metadata
        .insert("content_type".into(), serde_json::json!("text/html"));
    let stage = Extract::new(&ExtractConfig::default());
    if let Outcome::Keep(d) = stage.process(doc, &mut StageStats::default()) {
        assert!(!d.text.is_empty());
    }
}

/// The clean stage on arbitrary text: it always keeps, and records what it did.
pub fn clean_stage(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    let stage = Clean::new(&CleanConfig::default()).unwrap();
    match stage.process(Document::new("fuzz", text), &mut StageStats::default()) {
        Outcome::Keep(d) => assert!(d.metadata.contains_key("clean")),
        Outcome::Remove(..) => panic!("clean never removes a document"),
    }
}
