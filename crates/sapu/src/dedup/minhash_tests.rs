use serde_json::json;

use super::*;
use crate::dedup::signature::splitmix64;

/// `n` pseudo-random words drawn from a 5,000-word vocabulary (letters only: normalisation
/// turns digits into `0`).
fn words(seed: u64, n: usize) -> Vec<String> {
    let mut s = seed;
    (0..n).map(|_| word(splitmix64(&mut s) % 5000)).collect()
}

fn word(mut k: u64) -> String {
    let mut w = String::from("w");
    loop {
        w.push((b'a' + (k % 26) as u8) as char);
        k /= 26;
        if k == 0 {
            return w;
        }
    }
}

/// `base` with the words at `at` replaced.
fn edit(base: &[String], at: &[usize]) -> String {
    let mut w = base.to_vec();
    for &i in at {
        w[i] = format!("x{}", word(i as u64));
    }
    w.join(" ")
}

fn doc(id: &str, text: &str) -> Document {
    Document::new(id, text)
}

/// Observe `docs` in batches of `batch`, finish, decide every document.
fn run(config: &MinHashDedupConfig, docs: &[Document], batch: usize) -> (Vec<Outcome>, StageStats) {
    let Ok(Stage::Corpus(mut s)) = config.build(&BuildContext::default()) else {
        panic!("config builds")
    };
    let mut st = StageStats::default();
    for (k, chunk) in docs.chunks(batch).enumerate() {
        s.observe(100 + (k * batch) as u64, chunk, &mut st).unwrap();
    }
    s.finish(&mut st).unwrap();
    let out = docs
        .par_iter()
        .enumerate()
        .map(|(i, d)| s.decide(100 + i as u64, d.clone(), &mut StageStats::default()))
        .collect();
    (out, st)
}

fn summary(out: &[Outcome]) -> Vec<String> {
    out.iter()
        .map(|o| match o {
            Outcome::Keep(d) => format!(
                "keep {} cluster {} size {}",
                d.id, d.metadata["cluster_id"], d.metadata["cluster_size"]
            ),
            Outcome::Remove(d, r) => format!("{r} {} of {}", d.id, d.metadata["duplicate_of"]),
        })
        .collect()
}

fn corpus() -> Vec<Document> {
    let a = words(1, 100);
    let b = words(2, 100);
    vec![
        doc("a", &a.join(" ")),
        doc("b", &b.join(" ")),
        doc("a1", &edit(&a, &[50])),     // J(a, a1) = 91/101
        doc("b1", &edit(&b, &[10, 80])), // J(b, b1) = 86/106
        doc("a2", &edit(&a, &[20])),
        doc("empty", " ... "),
        doc("empty2", ""),
    ]
}

#[test]
fn removes_near_duplicates_and_names_the_kept_document() {
    let (out, st) = run(&MinHashDedupConfig::default(), &corpus(), 3);
    assert_eq!(
        summary(&out),
        [
            "keep a cluster \"a\" size 3",
            "keep b cluster \"b\" size 2",
            "near_duplicate a1 of \"a\"",
            "near_duplicate b1 of \"b\"",
            "near_duplicate a2 of \"a\"",
            "keep empty cluster \"empty\" size 1",
            "keep empty2 cluster \"empty2\" size 1",
        ]
    );
    assert_eq!(st.0["clusters"], 2);
}

#[test]
fn survivors_do_not_depend_on_threads_or_batches() {
    let mut docs = Vec::new();
    for k in 0..40u64 {
        let base = words(k % 13, 60);
        let text = if k < 13 {
            base.join(" ")
        } else {
            edit(&base, &[(k as usize * 7) % 60])
        };
        docs.push(doc(&format!("d{k}"), &text));
    }
    let star = MinHashDedupConfig {
        linkage: "star".into(),
        ..MinHashDedupConfig::default()
    };
    // Each copy is at 51/61 to its base, two copies of one base at 46/66 to each other: with
    // complete linkage one copy per base joins it, the second is kept; a star takes both.
    for (config, expect_kept) in [(MinHashDedupConfig::default(), 26), (star, 13)] {
        let reference = summary(&run(&config, &docs, 40).0);
        for threads in [1, 2, 4] {
            for batch in [1, 7, 40] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| summary(&run(&config, &docs, batch).0));
                assert_eq!(got, reference, "threads {threads} batch {batch}");
            }
        }
        let kept = reference.iter().filter(|s| s.starts_with("keep")).count();
        assert_eq!(kept, expect_kept, "{}", config.linkage);
    }
}

#[test]
fn verification_rejects_candidates_below_threshold() {
    let a = words(5, 40);
    // 4 of 40 words changed, spread out: J = 16/56, yet many shared signature values.
    let far = edit(&a, &[4, 14, 24, 34]);
    let docs = [doc("a", &a.join(" ")), doc("far", &far)];
    // One value per band: almost surely a candidate.
    let loose = MinHashDedupConfig {
        bands: 64,
        rows: 1,
        ..MinHashDedupConfig::default()
    };
    let (out, st) = run(&loose, &docs, 2);
    assert_eq!(
        summary(&out),
        [
            "keep a cluster \"a\" size 1",
            "keep far cluster \"far\" size 1"
        ]
    );
    assert_eq!(st.0["candidates_rejected"], st.0["candidates_verified"]);
    let unverified = MinHashDedupConfig {
        verify: false,
        ..loose
    };
    let (out, _) = run(&unverified, &docs, 2);
    assert_eq!(
        summary(&out),
        ["keep a cluster \"a\" size 2", "near_duplicate far of \"a\""]
    );
}

#[test]
fn keeps_the_longest_or_the_highest_metadata_value() {
    let a = words(9, 100);
    let mut docs = vec![
        doc("short", &a.join(" ")),
        doc("long", &format!("{} tambahan", a.join(" "))),
        doc("mid", &edit(&a, &[3])),
    ];
    docs[0].metadata.insert("score".into(), json!(0.2));
    docs[2].metadata.insert("score".into(), json!(0.9));
    let longest = MinHashDedupConfig {
        keep: "longest".into(),
        ..MinHashDedupConfig::default()
    };
    assert_eq!(
        summary(&run(&longest, &docs, 3).0),
        [
            "near_duplicate short of \"long\"",
            "keep long cluster \"long\" size 3",
            "near_duplicate mid of \"long\"",
        ]
    );
    let by_score = MinHashDedupConfig {
        keep: "metadata".into(),
        keep_field: "score".into(),
        ..MinHashDedupConfig::default()
    };
    assert_eq!(
        summary(&run(&by_score, &docs, 1).0),
        [
            "near_duplicate short of \"mid\"",
            "near_duplicate long of \"mid\"",
            "keep mid cluster \"mid\" size 3",
        ]
    );
}

#[test]
fn datatrove_preset_uses_its_parameters() {
    let c = MinHashDedupConfig {
        preset: "datatrove".into(),
        ..MinHashDedupConfig::default()
    };
    let sketch = MinHashDedupConfig {
        sketch: "bins".into(),
        ..c.clone()
    };
    assert_eq!(
        sketch.effective(),
        (5, 14, 8, false, 64, Sketch::Permutations),
        "the preset keeps datatrove's permutations whatever `sketch` says"
    );
    assert_eq!(
        MinHashDedupConfig::default().effective(),
        (5, 20, 6, true, 32, Sketch::Bins)
    );
    let (out, _) = run(&c, &corpus(), 7);
    assert_eq!(out.iter().filter(|o| o.reason().is_some()).count(), 3);
}

#[test]
fn bins_and_permutations_find_the_same_clusters_and_bins_need_32_bits() {
    let perms = MinHashDedupConfig {
        sketch: "permutations".into(),
        ..MinHashDedupConfig::default()
    };
    let (a, _) = run(&MinHashDedupConfig::default(), &corpus(), 7);
    let (b, _) = run(&perms, &corpus(), 7);
    let show = |o: &[Outcome]| -> Vec<Option<String>> {
        o.iter().map(|o| o.reason().map(str::to_string)).collect()
    };
    assert_eq!(show(&a), show(&b));
    assert!(
        a.iter().any(|o| o.reason().is_some()),
        "the corpus has duplicates"
    );
    for (sketch, bits, ok) in [
        ("bins", 64, false),
        ("permutations", 64, true),
        ("bins", 32, true),
        ("minhash", 32, false),
    ] {
        let c = MinHashDedupConfig {
            sketch: sketch.into(),
            signature_bits: bits,
            ..MinHashDedupConfig::default()
        };
        assert_eq!(c.problems().is_empty(), ok, "{sketch} at {bits} bits");
    }
}

#[test]
fn reports_every_bad_key() {
    let c = MinHashDedupConfig {
        preset: "fast".into(),
        threshold: 1.5,
        rows: 0,
        keep: "metadata".into(),
        ..MinHashDedupConfig::default()
    };
    let Err(p) = c.build(&BuildContext::default()) else {
        panic!()
    };
    let msgs: Vec<&str> = p.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "`preset` must be `sapu` or `datatrove` (got `fast`)",
            "`threshold` must be in (0, 1] (got 1.5)",
            "`rows` must be at least 1 (got 0)",
            "`keep = \"metadata\"` needs `keep_field` (the metadata field to rank by)",
        ]
    );
}

#[test]
fn a_chain_keeps_the_end_not_similar_to_the_kept_document() {
    let a = words(11, 100);
    let b = edit(&a, &[20]); // J(a, b) = 91/101
    let mut c: Vec<String> = b.split(' ').map(str::to_string).collect();
    c[50] = "ganti".into();
    c[70] = "lagi".into(); // J(b, c) = 86/106, J(a, c) = 81/111
    let docs = [doc("a", &a.join(" ")), doc("b", &b), doc("c", &c.join(" "))];
    assert_eq!(
        summary(&run(&MinHashDedupConfig::default(), &docs, 3).0),
        [
            "keep a cluster \"a\" size 2",
            "near_duplicate b of \"a\"",
            "keep c cluster \"c\" size 1",
        ]
    );
    let unverified = MinHashDedupConfig {
        verify: false,
        ..MinHashDedupConfig::default()
    };
    assert_eq!(
        summary(&run(&unverified, &docs, 3).0),
        [
            "keep a cluster \"a\" size 3",
            "near_duplicate b of \"a\"",
            "near_duplicate c of \"a\"",
        ]
    );
}

#[test]
fn a_spilling_store_gives_the_same_decisions() {
    let in_memory = run(&MinHashDedupConfig::default(), &corpus(), 3);
    assert_eq!(in_memory.1.get("spilled_bytes"), 0);
    let spilling = MinHashDedupConfig {
        memory_mb: 0,
        ..MinHashDedupConfig::default()
    };
    let spilled = run(&spilling, &corpus(), 3);
    assert_eq!(summary(&spilled.0), summary(&in_memory.0));
    assert!(spilled.1.get("spilled_bytes") > 0, "memory_mb = 0 spills");
}

/// Shingle sets that cannot be read back in `finish` (EIO on `$TMPDIR`, simulated with a
/// write-only spill file): an error naming the directory, not a panic.
#[cfg(unix)]
#[test]
fn an_unreadable_spill_file_is_an_error_of_finish() {
    let dir = tempfile::tempdir().unwrap();
    let store = RecordStore::unreadable_in(dir.path());
    let mut s = MinHashDedup::with_store(&MinHashDedupConfig::default(), store);
    let mut st = StageStats::default();
    s.observe(0, &corpus(), &mut st).unwrap();
    let err = s.finish(&mut st).unwrap_err().to_string();
    RecordStore::assert_read_error_in(&err, dir.path());
}

#[test]
fn complete_linkage_keeps_a_member_not_near_another_member() {
    let a = words(13, 100);
    // J(a, b) = J(a, c) = 86/106 (two words each), J(b, c) = 76/116.
    let docs = [
        doc("a", &a.join(" ")),
        doc("b", &edit(&a, &[10, 30])),
        doc("c", &edit(&a, &[60, 80])),
        doc("d", &a.join(" ")),
    ];
    let (out, st) = run(&MinHashDedupConfig::default(), &docs, 4);
    assert_eq!(
        summary(&out),
        [
            "keep a cluster \"a\" size 3",
            "near_duplicate b of \"a\"",
            "keep c cluster \"c\" size 1",
            "near_duplicate d of \"a\"",
        ]
    );
    assert_eq!(st.0["linkage_unchecked"], 0);
    let star = MinHashDedupConfig {
        linkage: "star".into(),
        ..MinHashDedupConfig::default()
    };
    assert_eq!(
        summary(&run(&star, &docs, 4).0),
        [
            "keep a cluster \"a\" size 4",
            "near_duplicate b of \"a\"",
            "near_duplicate c of \"a\"",
            "near_duplicate d of \"a\"",
        ]
    );
}

#[test]
fn member_checks_are_skipped_by_the_triangle_inequality_and_bounded() {
    let sets: Vec<Vec<u32>> = vec![(0..10).collect(), (0..10).collect(), (5..15).collect()];
    // A member at 0.95 to the kept document, `b` at 0.9: J(b, m) >= 0.85, no check needed
    // (a check would fail: J(set 0, set 2) = 1/3).
    assert_eq!(fits_all(&[(2, 0.95)], &sets, 0, 0.9, 0.8), (true, 0));
    // At 0.85 and 0.9 the bound is 0.75: checked, and it fails.
    assert_eq!(fits_all(&[(2, 0.85)], &sets, 0, 0.9, 0.8), (false, 0));
    assert_eq!(fits_all(&[(1, 0.85)], &sets, 0, 0.9, 0.8), (true, 0));
    // Only the first MEMBER_CHECKS members that need a check are checked.
    let mut members = vec![(1, 0.85); MEMBER_CHECKS];
    members.extend([(2, 0.85), (2, 0.85), (2, 0.99)]);
    assert_eq!(fits_all(&members, &sets, 0, 0.9, 0.8), (true, 2));
}

#[test]
fn an_unknown_linkage_is_a_config_problem() {
    let c = MinHashDedupConfig {
        linkage: "single".into(),
        ..MinHashDedupConfig::default()
    };
    let Err(p) = c.build(&BuildContext::default()) else {
        panic!()
    };
    assert_eq!(
        p[0].message,
        "`linkage` must be `complete` or `star` (got `single`)"
    );
}
