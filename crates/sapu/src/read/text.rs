//! Whole-file documents: a `.txt` or `.html` file is one document, its id the file path.

use std::io::{BufRead, Read};

use super::{Record, Source};
use crate::doc::Document;

pub(super) fn read(
    source: &Source,
    reader: &mut dyn BufRead,
    content_type: Option<&str>,
    sink: &mut dyn FnMut(Record),
) {
    let cap = source.cfg.max_record_bytes;
    let mut bytes = Vec::new();
    // Read one byte past the cap to learn whether the file is longer than it.
    if let Err(e) = reader.take(cap + 1).read_to_end(&mut bytes) {
        sink(source.io_error(None, bytes.len() as u64, &e));
        return;
    }
    if bytes.len() as u64 > cap {
        sink(source.bad(
            None,
            None,
            "record_too_long",
            format!("file is longer than max_record_bytes ({cap} bytes); quarantined (first 64 KiB kept)"),
            Some(&bytes),
        ));
        return;
    }
    let mut charset = None;
    let text = match (String::from_utf8(bytes), content_type) {
        (Ok(t), _) => t,
        // HTML declares its own charset (`<meta>`), or is detected.
        (Err(e), Some(_)) => {
            let (text, used) = super::decode_html(e.as_bytes(), None);
            charset = Some(used);
            text
        }
        (Err(e), None) => {
            let at = e.utf8_error().valid_up_to();
            sink(source.bad(
                None,
                Some(at as u64),
                "invalid_utf8",
                format!("invalid UTF-8 at byte {at} (file quarantined)"),
                Some(e.as_bytes()),
            ));
            return;
        }
    };
    let mut doc = Document::new(source.path.to_string(), text);
    if let Some(ct) = content_type {
        doc.metadata.insert("content_type".into(), ct.into());
    }
    if let Some(cs) = charset {
        doc.metadata.insert("charset".into(), cs.into());
    }
    sink(Record::Doc(doc));
}
