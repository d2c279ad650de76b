//! Charset detection and the `extract` stage on arbitrary bytes taken as an HTML page.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The check itself lives in the library so that the seeds and every crash found are replayed
// by `crates/sapu/tests/fuzz_regressions.rs` on stable Rust, in CI.
fuzz_target!(|data: &[u8]| sapu::fuzz_checks::html_extract(data));
