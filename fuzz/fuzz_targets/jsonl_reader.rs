//! The JSON reader (JSON Lines and JSON arrays) on arbitrary bytes: every record must come out
//! as a document, a named bad record or a skip, and pending lines must parse without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sapu::config::InputConfig;
use sapu::read::{read_stream, Compression, Format, Record};

fuzz_target!(|data: &[u8]| {
    // A small record cap so that the too-long path is reached by short inputs too.
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
            Record::Doc(_) => {}
            Record::Bad { issue, .. } => assert!(!issue.code.is_empty()),
            Record::Pending(_) => panic!("resolve left a pending line"),
            Record::Skipped { .. } => {}
        },
    );
});
