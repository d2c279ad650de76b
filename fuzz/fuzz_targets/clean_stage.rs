//! The `clean` stage (default config) on arbitrary text: no panic, the document is always kept
//! and annotated.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sapu::clean::{Clean, CleanConfig};
use sapu::{DocStage, Document, Outcome, StageStats};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let stage = Clean::new(&CleanConfig::default()).expect("default config is valid");
    let mut stats = StageStats::default();
    let doc = Document::new("fuzz".to_string(), text);
    match stage.process(doc, &mut stats) {
        Outcome::Keep(d) => assert!(d.metadata.contains_key("clean")),
        Outcome::Remove(_, _) => panic!("clean never removes a document"),
    }
});
