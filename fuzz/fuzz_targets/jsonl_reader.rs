//! The JSON reader (JSON Lines and JSON arrays) on arbitrary bytes: every record must come out
//! as a document, a named bad record or a skip, and pending lines must parse without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The check itself lives in the library so that the seeds and every crash found are replayed
// by `crates/sapu/tests/fuzz_regressions.rs` on stable Rust, in CI.
fuzz_target!(|data: &[u8]| sapu::fuzz_checks::jsonl_reader(data));
