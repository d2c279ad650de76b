//! The WARC/WET reader on arbitrary bytes (plain, as after decompression): records come out as
//! documents, skips or named bad records, never a panic or a hang; damage to the archive
//! structure ends the file (nothing is read after it).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sapu::config::InputConfig;
use sapu::read::{read_stream, Compression, Format, Record};

fuzz_target!(|data: &[u8]| {
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
});
