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
    let err = stderr(&o);
    assert!(
        err.contains("cannot write output: out/kept/") && err.contains("File too large"),
        "{err}"
    );
    assert!(
        err.contains("output up to the last checkpoint is kept")
            && err.contains("continue with the same command plus --resume"),
        "the message says how to go on: {err}"
    );
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

/// A disk that fills up under a corpus stage's own state (the near-dedup spill file, in
/// `$TMPDIR`; simulated with a file-size limit as above, the spill budget at 0 MB so that every
/// record goes to the file): the run stops with exit 2 and a message naming the stage, the
/// directory, the OS error and `--resume`, without a panic; `--resume` with room again gives
/// exactly the output of an uninterrupted run.
#[cfg(unix)]
#[test]
fn a_full_disk_under_the_dedup_spill_stops_the_run_cleanly_and_resume_completes_it() {
    let case = Case::fresh();
    // Letters only (shingling drops digits), ~800 bytes of shingle set per document.
    let word = |mut i: u32| {
        let mut w = String::new();
        i += 1000;
        while i > 0 {
            w.push(char::from(b'a' + (i % 26) as u8));
            i /= 26;
        }
        w
    };
    let words: Vec<String> = (0..700).map(word).collect();
    let mut lines = String::new();
    for i in 0..1500u64 {
        // Every fifth document repeats an earlier one: something to remove.
        let seed = if i % 5 == 4 { i - 3 } else { i };
        let text: Vec<&str> = (0..200u64)
            .map(|k| {
                let h = (seed * 1_000_003 + k).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
                words[(h % 700) as usize].as_str()
            })
            .collect();
        lines.push_str(&format!(
            "{{\"id\":\"d{i}\",\"text\":\"{}\"}}\n",
            text.join(" ")
        ));
    }
    case.write("in.jsonl", lines);
    case.write(
        "dedup.toml",
        "[[stages]]\ntype = \"minhash_dedup\"\nmemory_mb = 0\n\n[output]\nformat = \"jsonl\"\n",
    );
    fs::create_dir_all(case.path("tmp")).unwrap();
    let bin = env!("CARGO_BIN_EXE_sapu");
    let args = "run in.jsonl -o out --quiet --batch-docs 50 --config dedup.toml";
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f 1024; exec {bin} {args}"))
        .env("TMPDIR", case.path("tmp"))
        .current_dir(case.dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&format!(
            "minhash_dedup: cannot write the dedup spill file in `{}`: File too large",
            case.path("tmp").display()
        )),
        "{err}"
    );
    assert!(
        err.contains("output up to the last checkpoint is kept")
            && err.contains("continue with the same command plus --resume"),
        "the message says how to go on: {err}"
    );
    assert!(!case.path("out/summary.json").exists());
    // It failed after a checkpoint (every 8 batches = 400 documents; the spill file reaches
    // the limit after ~650), so the resume below continues rather than starts afresh.
    assert!(case.path("out/.sapu-tmp/checkpoint.json").exists());
    let o = Command::new(bin)
        .args(args.split(' '))
        .arg("--resume")
        .env("TMPDIR", case.path("tmp"))
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
        "50",
        "--config",
        "dedup.toml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let whole = read_parts(&case.path("whole/kept"));
    assert_eq!(read_parts(&case.path("out/kept")), whole);
    assert_eq!(
        read_parts(&case.path("out/removed")),
        read_parts(&case.path("whole/removed"))
    );
    assert_eq!(case.summary("out")["resumed"], true);
    assert_eq!(case.summary("out")["removed_docs"], 300);
}

/// The issue entry of `summary.json` with this code for the input whose path ends with `name`.
fn issue_for<'a>(summary: &'a serde_json::Value, name: &str, code: &str) -> &'a serde_json::Value {
    summary["input_issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["location"]["path"].as_str().unwrap().ends_with(name) && i["code"] == code)
        .unwrap_or_else(|| panic!("no {code} issue for {name}: {}", summary["input_issues"]))
}

/// Unreadable files in an input directory: each is named with the OS reason in stderr and
/// `summary.json`, and the readable files are processed. A file whose read fails with EIO
/// (a link to `/proc/self/mem`, unreadable at offset 0 even for root) is always tested; a
/// `chmod 000` file and directory only where permissions block reads (not as root).
#[cfg(target_os = "linux")]
#[test]
fn unreadable_files_are_named_and_the_rest_is_processed() {
    use std::os::unix::fs::PermissionsExt;
    let case = Case::fresh();
    case.write("in/a.jsonl", "{\"id\":\"a\",\"text\":\"dibaca\"}\n");
    case.write("in/z.jsonl", "{\"id\":\"z\",\"text\":\"juga dibaca\"}\n");
    std::os::unix::fs::symlink("/proc/self/mem", case.path("in/eio.jsonl")).unwrap();
    let locked = case.write("in/locked.jsonl", "{\"id\":\"l\",\"text\":\"terkunci\"}\n");
    case.write(
        "in/closed/b.jsonl",
        "{\"id\":\"b\",\"text\":\"terkunci\"}\n",
    );
    let mode = |p: &std::path::Path, m: u32| {
        fs::set_permissions(p, fs::Permissions::from_mode(m)).unwrap()
    };
    mode(&locked, 0o000);
    mode(&case.path("in/closed"), 0o000);
    let permissions_bite = fs::File::open(&locked).is_err();
    if !permissions_bite {
        eprintln!(
            "unreadable_files_are_named_and_the_rest_is_processed: permissions do not block \
             reads here (running as root): the chmod 000 part is skipped, the EIO part runs"
        );
    }
    case.write("none.toml", "[output]\nformat = \"jsonl\"\n");
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet", "--config", "none.toml"]);
    mode(&case.path("in/closed"), 0o755);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    let s = case.summary("out");
    assert_eq!(s["accounting_ok"], true);
    let eio = issue_for(&s, "eio.jsonl", "read_error");
    let msg = eio["message"].as_str().unwrap();
    assert!(msg.contains("os error 5"), "{msg}");
    assert!(err.contains("eio.jsonl"), "{err}");
    let kept: Vec<_> = read_parts(&case.path("out/kept"))
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    if permissions_bite {
        assert_eq!(kept, ["a", "z"]);
        let l = issue_for(&s, "locked.jsonl", "read_error");
        assert!(
            l["message"].as_str().unwrap().contains("Permission denied"),
            "{l}"
        );
        assert!(err.contains("locked.jsonl"), "{err}");
        assert!(err.contains("closed"), "{err}");
    } else {
        assert_eq!(kept, ["a", "b", "l", "z"]);
    }
}

/// Corrupt (not only truncated) compressed files in a run: nothing from the damaged block or
/// member is processed, the damage is named with file, line and decompressed byte offset in
/// stderr and `summary.json`, and the run goes on with the next file.
#[test]
fn corrupt_gzip_and_zstd_inputs_are_named_and_the_run_goes_on() {
    use std::io::Write;
    let case = Case::fresh();
    let mut plain = Vec::new();
    for i in 0..3000 {
        writeln!(
            plain,
            "{{\"id\":\"d{i}\",\"text\":\"dokumen nomor {i}: {} kata\"}}",
            i * 7919 % 1013
        )
        .unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&plain).unwrap();
    let mut gz = gz.finish().unwrap();
    let mut zst = zstd::encode_all(&plain[..], 3).unwrap();
    for bytes in [&mut gz, &mut zst] {
        let at = bytes.len() / 2;
        for (i, b) in bytes[at..at + 64].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0xa5;
        }
    }
    case.write("in/a.jsonl.zst", &zst);
    case.write("in/b.jsonl.gz", &gz);
    case.write(
        "in/c.jsonl",
        "{\"id\":\"after\",\"text\":\"masih dibaca\"}\n",
    );
    case.write("none.toml", "[output]\nformat = \"jsonl\"\n");
    let o = case.sapu(&["run", "in", "-o", "out", "--quiet", "--config", "none.toml"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    let s = case.summary("out");
    assert_eq!(s["accounting_ok"], true);
    // zstd finds the damage when it decodes the damaged block (here the first: the records
    // before it in that block are lost with it); gzip at the member's CRC, before releasing
    // anything of it: the one member of this file yields no line at all, garbage or not.
    let issue = issue_for(&s, "a.jsonl.zst", "corrupt_zstd");
    let line = issue["location"]["line"].as_u64().unwrap();
    assert!(issue["location"]["byte_offset"].is_u64(), "{issue}");
    assert!(err.contains(&format!("a.jsonl.zst:{line}")), "{err}");
    assert_eq!(s["input_issue_counts"]["corrupt_zstd"], 1);
    assert_eq!(s["input_issue_counts"]["corrupt_gzip"], 1);
    let gz = issue_for(&s, "b.jsonl.gz", "corrupt_gzip");
    assert_eq!(gz["location"]["byte_offset"], 0);
    assert!(
        gz["message"]
            .as_str()
            .unwrap()
            .contains("gzip member 1 at compressed byte 0 is corrupt"),
        "{gz}"
    );
    assert!(err.contains("b.jsonl.gz:1"), "{err}");
    let b_file = s["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("b.jsonl.gz"))
        .unwrap();
    assert_eq!(
        b_file["input_docs"], 0,
        "no garbage line reaches the pipeline"
    );
    // Neither damaged file had an intact block or member before its damage: only the next
    // file's document is read.
    let kept = read_parts(&case.path("out/kept"));
    let ids: Vec<&str> = kept.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["after"]);
}

/// Ctrl-C: the run stops at the next batch boundary, says how to resume, and `--resume`
/// finishes with the output of an uninterrupted run. Input comes on stdin so that the test
/// decides when the engine can go on: no timing involved.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_at_a_batch_boundary_and_resume_completes_the_run() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::time::Duration;

    let case = Case::fresh();
    case.write(
        "r.toml",
        "[[stages]]\ntype = \"exact_dedup\"\n\n[output]\nformat = \"jsonl.zst\"\n",
    );
    let doc = |i: usize| format!("{{\"id\":\"d{i}\",\"text\":\"dokumen {}\"}}\n", i % 700);
    let all: String = (0..3000).map(doc).collect();
    let args = [
        "run",
        "-",
        "-o",
        "out",
        "--quiet",
        "--batch-docs",
        "10",
        "--config",
        "r.toml",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_sapu"))
        .args(args)
        .current_dir(case.dir.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(err).lines() {
            let line = line.unwrap();
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let mut stdin = child.stdin.take().unwrap();
    // 100 documents: 10 batches, so the checkpoint after 8 batches is written.
    stdin
        .write_all(&all.as_bytes()[..(0..100).map(|i| doc(i).len()).sum()])
        .unwrap();
    stdin.flush().unwrap();
    wait_for_checkpoint(&case, "out");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let said = rx.recv_timeout(Duration::from_secs(120)).unwrap();
    assert!(
        said.contains("stopping at the next batch boundary"),
        "{said}"
    );
    // Now feed the rest one batch at a time: the engine stops at the next boundary.
    let mut fed = 100;
    while fed < 3000 && child.try_wait().unwrap().is_none() {
        if stdin.write_all(doc(fed).as_bytes()).is_err() {
            break;
        }
        fed += 1;
    }
    drop(stdin);
    let status = child.wait().unwrap();
    let err = reader.join().unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "interrupted; the output so far is saved: continue with the same command plus --resume"
        ),
        "{err}"
    );
    assert!(!case.path("out/summary.json").exists());

    resume_and_run_whole_from_stdin(&case, &args, &all);
    let s = case.summary("out");
    assert_eq!(s["resumed"], true);
    assert_eq!(s["input_docs"], 3000);
    assert_eq!(s["kept_docs"], 700);
    assert_eq!(
        read_parts(&case.path("out/kept")),
        read_parts(&case.path("whole/kept"))
    );
    assert_eq!(
        read_parts(&case.path("out/removed")),
        read_parts(&case.path("whole/removed"))
    );
}

/// SIGKILL: the process gets no chance to clean up. Input comes on stdin: the test feeds 10
/// batches (a checkpoint is written after 8), waits for the checkpoint, feeds five and a half
/// batches more, lets the engine work on them, and kills it with `kill -9`. `--resume` with the
/// whole input then gives exactly the output of an uninterrupted run, corpus stage included
/// (its state rebuilt from the checkpointed spill).
#[cfg(unix)]
#[test]
fn a_sigkill_mid_run_then_resume_gives_the_uninterrupted_output() {
    use std::io::Write;
    use std::process::Stdio;
    use std::time::Duration;

    let case = Case::fresh();
    case.write(
        "r.toml",
        "[[stages]]\ntype = \"exact_dedup\"\n\n[output]\nformat = \"jsonl.zst\"\nshard_bytes = 4000\n",
    );
    let doc = |i: usize| format!("{{\"id\":\"d{i}\",\"text\":\"dokumen {}\"}}\n", i % 450);
    let all: String = (0..2000).map(doc).collect();
    let upto = |n: usize| -> usize { (0..n).map(|i| doc(i).len()).sum() };
    let args = [
        "run",
        "-",
        "-o",
        "out",
        "--quiet",
        "--batch-docs",
        "10",
        "--config",
        "r.toml",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_sapu"))
        .args(args)
        .current_dir(case.dir.path())
        .stdin(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&all.as_bytes()[..upto(100)]).unwrap();
    stdin.flush().unwrap();
    wait_for_checkpoint(&case, "out");
    stdin
        .write_all(&all.as_bytes()[upto(100)..upto(155)])
        .unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "{status:?}");
    assert!(!case.path("out/summary.json").exists());

    resume_and_run_whole_from_stdin(&case, &args, &all);
    let s = case.summary("out");
    assert_eq!(s["resumed"], true);
    assert_eq!(s["input_docs"], 2000);
    assert_eq!(s["kept_docs"], 450);
    assert_eq!(s["kept_parts"], case.summary("whole")["kept_parts"]);
    for sub in ["kept", "removed"] {
        assert_eq!(
            read_parts(&case.path(&format!("out/{sub}"))),
            read_parts(&case.path(&format!("whole/{sub}"))),
            "{sub}"
        );
    }
}

/// Waits (up to two minutes) until the run writing into `out` has written its first checkpoint.
#[cfg(unix)]
fn wait_for_checkpoint(case: &Case, out: &str) {
    use std::time::{Duration, Instant};
    let checkpoint = case.path(&format!("{out}/.sapu-tmp/checkpoint.json"));
    let deadline = Instant::now() + Duration::from_secs(120);
    while !checkpoint.exists() {
        assert!(Instant::now() < deadline, "no checkpoint after 8 batches");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `args` (a `run -` command whose output folder is `args[3]`) twice with the whole
/// `input` on stdin: with `--resume` into the interrupted `out`, and afresh into `whole`, the
/// uninterrupted run the resumed one is compared with. Both must succeed.
#[cfg(unix)]
fn resume_and_run_whole_from_stdin(case: &Case, args: &[&str], input: &str) {
    use std::io::Write;
    use std::process::Stdio;
    for (out, extra) in [("out", Some("--resume")), ("whole", None)] {
        let mut a: Vec<&str> = args.to_vec();
        a[3] = out;
        a.extend(extra);
        let mut c = Command::new(env!("CARGO_BIN_EXE_sapu"))
            .args(&a)
            .current_dir(case.dir.path())
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let o = c.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
}
