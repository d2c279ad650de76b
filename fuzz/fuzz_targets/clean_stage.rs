//! The `clean` stage (default config) on arbitrary text: no panic, the document is always kept
//! and annotated.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The check itself lives in the library so that the seeds and every crash found are replayed
// by `crates/sapu/tests/fuzz_regressions.rs` on stable Rust, in CI.
fuzz_target!(|data: &[u8]| sapu::fuzz_checks::clean_stage(data));
