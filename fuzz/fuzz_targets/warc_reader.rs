//! The WARC/WET reader on arbitrary bytes (plain, as after decompression): records come out as
//! documents, skips or named bad records, never a panic or a hang; damage to the archive
//! structure ends the file (nothing is read after it).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The check itself lives in the library so that the seeds and every crash found are replayed
// by `crates/sapu/tests/fuzz_regressions.rs` on stable Rust, in CI.
fuzz_target!(|data: &[u8]| sapu::fuzz_checks::warc_reader(data));
