//! Bad input and bad luck: every bad input named and counted, no crash, nothing lost, and a
//! run stopped by a full disk resumes to the same output.

use std::fs;
use std::process::Command;

use crate::{read_parts, stderr, Case};

#[test]
fn binary_junk_empty_files_and_a_huge_line_are_survived() {
    let case = Case::fresh();
    let junk: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    case.write("in/junk.jsonl", &junk);
    case.write("in/empty.jsonl", "");
    case.write("in/empty.txt", "");
    let mut big = b"{\"id\":\"huge\",\"text\":\"".to_vec();
    big.resize(big.len() + 100 * 1024 * 1024 + 10, b'a');
    big.extend_from_slice(b"\"}\n{\"id\":\"after\",\"text\":\"masih dibaca\"}\n");
    case.write("in/huge.jsonl", &big);
    drop(big);
    case.write("none.toml", "[output]\nformat = \"jsonl.zst\"\n");
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet", "--config", "none.toml"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let s = case.summary("out");
    assert_eq!(s["accounting_ok"], true);
    assert_eq!(s["removed"]["read/record_too_long"], 1);
    assert!(
        stderr(&o).contains("in/huge.jsonl:1: line is longer than max_record_bytes"),
        "{}",
        stderr(&o)
    );
    let kept = read_parts(&case.path("out/kept"));
    let ids: Vec<_> = kept
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"after".to_string()), "{ids:?}");
    assert!(
        ids.iter().any(|i| i.ends_with("empty.txt")),
        "an empty text file is an (empty) document: {ids:?}"
    );
    let junk_lines = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("junk.jsonl"))
        .unwrap()["removed_docs"]
        .as_u64()
        .unwrap();
    assert!(junk_lines > 0);
    let quarantined = read_parts(&case.path("out/removed"));
    let huge = quarantined
        .iter()
        .find(|d| d["reason"] == "record_too_long")
        .unwrap();
    assert_eq!(
        huge["text"].as_str().unwrap().len(),
        64 << 10,
        "quarantine keeps a bounded prefix"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_named_not_followed_forever() {
    let case = Case::fresh();
    case.write("in/a.jsonl", "{\"id\":\"a\",\"text\":\"ada\"}\n");
    std::os::unix::fs::symlink(case.path("in"), case.path("in/loop")).unwrap();
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot list directory entry"),
        "{}",
        stderr(&o)
    );
    assert_eq!(case.summary("out")["input_docs"], 1);
}

/// A full disk, simulated with a file-size limit (the process ignores SIGXFSZ, so writes fail
/// with EFBIG as they would with ENOSPC): the run stops with a clear message, and `--resume`
/// with room again finishes with exactly the output of an uninterrupted run.
#[cfg(unix)]
#[test]
fn a_full_disk_stops_the_run_cleanly_and_resume_completes_it() {
    let case = Case::fresh();
    let mut lines = String::new();
    for i in 0..20_000 {
        lines.push_str(&format!(
            "{{\"id\":\"d{i}\",\"text\":\"dokumen {i} {}\"}}\n",
            "kata ".repeat(i % 50)
        ));
    }
    case.write("in.jsonl", lines);
    let bin = env!("CARGO_BIN_EXE_sapu");
    let args = "run in.jsonl -o out --quiet --batch-docs 500 --config plain.toml";
    case.write("plain.toml", "[output]\nformat = \"jsonl\"\n");
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f 1024; exec {bin} {args}"))
        .current_dir(case.dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write output"), "{}", stderr(&o));
    assert!(!case.path("out/summary.json").exists());
    let o = Command::new(bin)
        .args(args.split(' '))
        .arg("--resume")
        .current_dir(case.dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = case.sapu(&[
        "run",
        "in.jsonl",
        "-o",
        "whole",
        "--quiet",
        "--batch-docs",
        "500",
        "--config",
        "plain.toml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read_parts(&case.path("out/kept")),
        read_parts(&case.path("whole/kept"))
    );
    assert_eq!(case.summary("out")["kept_docs"], 20_000);
    assert!(fs::read_dir(case.path("out/kept")).unwrap().count() >= 1);
}
