//! Charset detection and the `extract` stage on arbitrary bytes taken as an HTML page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sapu::extract::{Extract, ExtractConfig};
use sapu::read::decode_html;
use sapu::{DocStage, Document, Outcome, StageStats};

fuzz_target!(|data: &[u8]| {
    let (html, _charset) = decode_html(data, None);
    let mut doc = Document::new("fuzz".to_string(), html);
    doc.metadata
        .insert("content_type".into(), serde_json::json!("text/html"));
    let stage = Extract::new(&ExtractConfig::default());
    let mut stats = StageStats::default();
    match stage.process(doc, &mut stats) {
        Outcome::Keep(d) => assert!(!d.text.is_empty()),
        Outcome::Remove(_, _) => {}
    }
});
