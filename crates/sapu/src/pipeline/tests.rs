use std::collections::HashMap;
use std::io::Read;

use super::*;
use crate::config::{InputConfig, OutputConfig};

/// Removes documents containing a word; marks the others.
struct DropContaining(&'static str);

impl DocStage for DropContaining {
    fn name(&self) -> &'static str {
        "drop_containing"
    }
    fn process(&self, mut doc: Document, stats: &mut StageStats) -> Outcome {
        if doc.text.contains(self.0) {
            return Outcome::remove(doc, "contains_word");
        }
        stats.add("checked", 1);
        doc.metadata.insert("checked".into(), true.into());
        Outcome::Keep(doc)
    }
}

/// Keeps the first document of each text: a minimal corpus stage.
#[derive(Default)]
struct FirstOfEachText {
    first: HashMap<String, u64>,
}

impl CorpusStage for FirstOfEachText {
    fn name(&self) -> &'static str {
        "first_of_each_text"
    }
    fn observe(
        &mut self,
        first: u64,
        docs: &[Document],
        _: &mut StageStats,
    ) -> Result<(), StageError> {
        for (i, d) in docs.iter().enumerate() {
            self.first.entry(d.text.clone()).or_insert(first + i as u64);
        }
        Ok(())
    }
    fn finish(&mut self, stats: &mut StageStats) -> Result<(), StageError> {
        stats.add("distinct", self.first.len() as u64);
        Ok(())
    }
    fn decide(&self, ordinal: u64, doc: Document, _: &mut StageStats) -> Outcome {
        if self.first[&doc.text] == ordinal {
            Outcome::Keep(doc)
        } else {
            Outcome::remove(doc, "duplicate")
        }
    }
}

fn recipe(stages: Vec<Stage>) -> Recipe {
    Recipe {
        input: InputConfig::default(),
        output: OutputConfig {
            format: "jsonl".into(),
            ..OutputConfig::default()
        },
        stages,
        source: String::new(),
    }
}

/// The recipe of the crash-and-resume tests: compressed parts (a checkpoint must end their
/// stream) small enough that a run writes several.
fn zst_recipe(stages: Vec<Stage>) -> Recipe {
    Recipe {
        output: OutputConfig {
            shard_bytes: 3000,
            ..OutputConfig::default()
        },
        ..recipe(stages)
    }
}

fn fixture(dir: &Path) -> Vec<PathBuf> {
    let mut a = String::new();
    for i in 0..300 {
        let text = match i % 7 {
            0 => "spam spam".to_string(),
            1 => "same text".to_string(),
            _ => format!("document {i}"),
        };
        a.push_str(&format!("{{\"id\":\"a{i}\",\"text\":\"{text}\"}}\n"));
        if i == 150 {
            a.push_str("{broken\n");
        }
    }
    fs::write(dir.join("a.jsonl"), a).unwrap();
    fs::write(dir.join("b.txt"), "same text").unwrap();
    vec![dir.join("a.jsonl"), dir.join("b.txt")]
}

fn run_with(threads: usize, batch: usize, dir: &Path, out: &str) -> (Summary, String, String) {
    let mut r = recipe(vec![
        Stage::Doc(Box::new(DropContaining("spam"))),
        Stage::Corpus(Box::new(FirstOfEachText::default())),
        Stage::Doc(Box::new(DropContaining("document 2"))),
    ]);
    let opts = RunOptions {
        threads,
        batch_docs: batch,
        ..RunOptions::default()
    };
    let out = dir.join(out);
    let s = run(
        &mut r,
        &fixture(dir),
        &out,
        &opts,
        &Arc::new(Progress::default()),
    )
    .unwrap();
    let read = |sub: &str| {
        let mut text = String::new();
        for p in fs::read_dir(out.join(sub)).unwrap() {
            fs::File::open(p.unwrap().path())
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
        }
        text
    };
    (s, read("kept"), read("removed"))
}

#[test]
fn every_document_is_kept_or_removed_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (s, kept, removed) = run_with(2, 16, dir.path(), "out");
    assert_eq!(s.input_docs, 302);
    assert_eq!(s.kept_docs + s.removed_docs, 302);
    assert!(s.accounting_ok);
    let expect: BTreeMap<String, u64> = [
        ("drop_containing/contains_word", 43 + 79),
        ("first_of_each_text/duplicate", 43),
        ("read/invalid_json", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(s.removed, expect);
    assert_eq!(s.kept_docs, 136);
    assert_eq!(kept.lines().count() as u64, s.kept_docs);
    assert_eq!(removed.lines().count() as u64, s.removed_docs);
    assert_eq!(
        (
            s.files[0].input_docs,
            s.files[0].kept_docs,
            s.files[0].removed_docs
        ),
        (301, 136, 165)
    );
    assert_eq!((s.files[1].input_docs, s.files[1].removed_docs), (1, 1));
    assert_eq!(s.stages[1].docs_in, 258);
    assert_eq!(s.stages[1].counters.get("distinct"), 215);
    assert_eq!(s.input_issue_counts.get("invalid_json"), Some(&1));
    assert_eq!(s.removed_docs, s.removed.values().sum::<u64>());
}

#[test]
fn output_is_in_input_order_and_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (_, kept1, removed1) = run_with(1, 7, dir.path(), "one");
    let (_, kept2, removed2) = run_with(2, 64, dir.path(), "two");
    assert_eq!(kept1, kept2);
    assert_eq!(removed1, removed2);
    let ids: Vec<u32> = kept1
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()[1..]
                .parse()
                .unwrap()
        })
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    assert_eq!(ids[0], 1);
}

#[test]
fn removed_lines_name_the_stage_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, removed) = run_with(2, 16, dir.path(), "out");
    let first: serde_json::Value = serde_json::from_str(removed.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], "a0");
    assert_eq!(first["removed_by"], "drop_containing");
    assert_eq!(first["reason"], "contains_word");
    let bad = removed
        .lines()
        .find(|l| l.contains("invalid_json"))
        .unwrap();
    let bad: serde_json::Value = serde_json::from_str(bad).unwrap();
    assert_eq!(bad["removed_by"], "read");
    assert_eq!(bad["text"], "{broken");
    assert_eq!(bad["metadata"]["source"]["line"], 152);
}

#[test]
fn refuses_a_non_empty_output_dir_unless_overwriting() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture(dir.path());
    let out = dir.path().join("out");
    let progress = Arc::new(Progress::default());
    run(
        &mut recipe(vec![]),
        &inputs,
        &out,
        &RunOptions::default(),
        &progress,
    )
    .unwrap();
    let again = run(
        &mut recipe(vec![]),
        &inputs,
        &out,
        &RunOptions::default(),
        &progress,
    );
    assert!(matches!(again, Err(Error::OutputExists(_))));
    let opts = RunOptions {
        overwrite: true,
        ..RunOptions::default()
    };
    let s = run(&mut recipe(vec![]), &inputs, &out, &opts, &progress).unwrap();
    assert_eq!(s.kept_docs, 301);
    assert!(!out.join(".sapu-tmp").exists());
}

/// Keeps every document; copies the checkpoint when it sees one id and asks the engine to
/// stop when it sees another, to simulate a crash between two checkpoints.
struct Tripwire {
    copy_at: &'static str,
    stop_at: &'static str,
    out: PathBuf,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl DocStage for Tripwire {
    fn name(&self) -> &'static str {
        "tripwire"
    }
    fn process(&self, doc: Document, _: &mut StageStats) -> Outcome {
        if doc.id == self.copy_at {
            let cp = self.out.join(".sapu-tmp/checkpoint.json");
            fs::copy(&cp, self.out.join("saved-checkpoint.json")).unwrap();
        }
        if doc.id == self.stop_at {
            self.stop.store(true, Ordering::Relaxed);
        }
        Outcome::Keep(doc)
    }
}

fn decompressed_parts(dir: &Path) -> String {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut text = String::new();
    for p in names {
        assert!(
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("part-"),
            "{p:?}"
        );
        let bytes = zstd::decode_all(fs::File::open(&p).unwrap()).unwrap();
        text.push_str(&String::from_utf8(bytes).unwrap());
    }
    text
}

fn crash_and_resume(tripwire_after_corpus: bool, copy_at: &'static str, stop_at: &'static str) {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture(dir.path());
    let stages = |trip: Option<Tripwire>| {
        let trip: Stage = Stage::Doc(Box::new(trip.unwrap_or(Tripwire {
            copy_at: "",
            stop_at: "",
            out: PathBuf::new(),
            stop: Arc::default(),
        })));
        let mut v = vec![
            Stage::Doc(Box::new(DropContaining("spam"))),
            Stage::Corpus(Box::new(FirstOfEachText::default())),
            Stage::Doc(Box::new(DropContaining("document 2"))),
        ];
        v.insert(if tripwire_after_corpus { 3 } else { 1 }, trip);
        v
    };
    let opts = RunOptions {
        threads: 2,
        batch_docs: 10,
        checkpoint_batches: 1,
        ..RunOptions::default()
    };
    let progress = Arc::new(Progress::default());
    let whole = dir.path().join("whole");
    let expected = run(
        &mut zst_recipe(stages(None)),
        &inputs,
        &whole,
        &opts,
        &progress,
    )
    .unwrap();

    let out = dir.path().join("cut");
    let trip = Tripwire {
        copy_at,
        stop_at,
        out: out.clone(),
        stop: Arc::clone(&opts.stop),
    };
    let first = run(
        &mut zst_recipe(stages(Some(trip))),
        &inputs,
        &out,
        &opts,
        &progress,
    );
    assert!(
        matches!(first, Err(Error::Interrupted(_))),
        "{:?}",
        first.err()
    );
    // The crash: everything written after the saved checkpoint is as a killed run leaves it.
    fs::rename(
        out.join("saved-checkpoint.json"),
        out.join(".sapu-tmp/checkpoint.json"),
    )
    .unwrap();
    let opts = RunOptions {
        resume: true,
        stop: Arc::default(),
        ..opts
    };
    let resumed = run(
        &mut zst_recipe(stages(None)),
        &inputs,
        &out,
        &opts,
        &progress,
    )
    .unwrap();
    assert!(resumed.resumed && resumed.accounting_ok);
    assert_eq!(resumed.input_docs, expected.input_docs);
    assert_eq!(resumed.removed, expected.removed);
    assert_eq!(resumed.kept_parts, expected.kept_parts);
    for sub in ["kept", "removed"] {
        let (a, b) = (
            decompressed_parts(&whole.join(sub)),
            decompressed_parts(&out.join(sub)),
        );
        assert_eq!(a.lines().count(), b.lines().count(), "{sub}");
        assert!(a == b, "{sub}/ differs after resume");
    }
    assert!(!out.join(".sapu-tmp").exists());
}

#[test]
fn resume_after_a_crash_in_the_input_phase_gives_the_uninterrupted_output() {
    crash_and_resume(false, "a120", "a260");
}

#[test]
fn resume_after_a_crash_in_a_spill_phase_gives_the_uninterrupted_output() {
    crash_and_resume(true, "a60", "a180");
}

#[test]
fn resume_of_a_finished_run_is_refused_and_of_an_empty_dir_starts_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture(dir.path());
    let out = dir.path().join("out");
    let opts = RunOptions {
        resume: true,
        ..RunOptions::default()
    };
    let progress = Arc::new(Progress::default());
    let s = run(&mut recipe(vec![]), &inputs, &out, &opts, &progress).unwrap();
    assert_eq!(s.kept_docs, 301);
    let again = run(&mut recipe(vec![]), &inputs, &out, &opts, &progress);
    assert!(
        matches!(&again, Err(Error::Other(m)) if m.contains("already complete")),
        "{:?}",
        again.err()
    );
}

/// Removes a document when the hash of its text, salted, falls under a rate: random but
/// reproducible outcomes for property tests.
struct HashRemover {
    salt: u64,
    per_mille: u64,
}

impl DocStage for HashRemover {
    fn name(&self) -> &'static str {
        "hash_remover"
    }
    fn process(&self, doc: Document, _: &mut StageStats) -> Outcome {
        let h = xxhash_rust::xxh3::xxh3_64_with_seed(doc.text.as_bytes(), self.salt);
        if h % 1000 < self.per_mille {
            Outcome::remove(doc, "unlucky")
        } else {
            Outcome::Keep(doc)
        }
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    fn run_case(
        texts: &[String],
        salts: &[(u64, u64)],
        threads: usize,
        batch: usize,
        dir: &Path,
    ) -> (Summary, String, String) {
        let input = dir.join("in.jsonl");
        let mut lines = String::new();
        for (i, t) in texts.iter().enumerate() {
            lines.push_str(&serde_json::json!({"id": format!("d{i}"), "text": t}).to_string());
            lines.push('\n');
        }
        fs::write(&input, lines).unwrap();
        let mut stages: Vec<Stage> = salts
            .iter()
            .map(|&(salt, per_mille)| {
                Stage::Doc(Box::new(HashRemover { salt, per_mille })) as Stage
            })
            .collect();
        stages.insert(
            stages.len() / 2,
            Stage::Corpus(Box::new(FirstOfEachText::default())),
        );
        let out = dir.join(format!("out-{threads}-{batch}"));
        let opts = RunOptions {
            threads,
            batch_docs: batch,
            ..RunOptions::default()
        };
        let s = run(
            &mut recipe(stages),
            &[input],
            &out,
            &opts,
            &Arc::new(Progress::default()),
        )
        .unwrap();
        let read = |sub: &str| {
            let mut text = String::new();
            if let Ok(entries) = fs::read_dir(out.join(sub)) {
                let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
                paths.sort();
                for p in paths {
                    text.push_str(&fs::read_to_string(p).unwrap());
                }
            }
            text
        };
        (s, read("kept"), read("removed"))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn accounting_order_and_thread_independence_hold(
            texts in proptest::collection::vec("[ab ]{0,6}", 0..120),
            salts in proptest::collection::vec((any::<u64>(), 0u64..700), 0..4),
            batch in 1usize..40,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let (s1, kept1, removed1) = run_case(&texts, &salts, 1, batch, dir.path());
            let (s2, kept2, removed2) = run_case(&texts, &salts, 2, batch + 3, dir.path());
            prop_assert_eq!(s1.input_docs, texts.len() as u64);
            prop_assert!(s1.accounting_ok && s2.accounting_ok);
            prop_assert_eq!(s1.kept_docs + s1.removed_docs, s1.input_docs);
            prop_assert_eq!(&kept1, &kept2);
            prop_assert_eq!(&removed1, &removed2);
            prop_assert_eq!(kept1.lines().count() as u64, s1.kept_docs);
            let ids: Vec<usize> = kept1
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap()[1..].parse().unwrap())
                .collect();
            prop_assert!(ids.windows(2).all(|w| w[0] < w[1]), "kept documents out of input order");
        }
    }
}

/// A corpus stage whose storage fails: `observe` once it reaches ordinal `at`, or `finish`.
struct FailingStore {
    inner: FirstOfEachText,
    observe_fails_at: Option<u64>,
    finish_fails: bool,
}

impl CorpusStage for FailingStore {
    fn name(&self) -> &'static str {
        "failing_store"
    }
    fn observe(
        &mut self,
        first: u64,
        docs: &[Document],
        stats: &mut StageStats,
    ) -> Result<(), StageError> {
        if self
            .observe_fails_at
            .is_some_and(|at| first + docs.len() as u64 > at)
        {
            let e = std::io::Error::from_raw_os_error(28);
            return Err(StageError::io("cannot write /spill/state", &e));
        }
        self.inner.observe(first, docs, stats)
    }
    fn finish(&mut self, stats: &mut StageStats) -> Result<(), StageError> {
        if self.finish_fails {
            let e = std::io::Error::from_raw_os_error(28);
            return Err(StageError::io("cannot write /spill/index", &e));
        }
        self.inner.finish(stats)
    }
    fn decide(&self, ordinal: u64, doc: Document, stats: &mut StageStats) -> Outcome {
        self.inner.decide(ordinal, doc, stats)
    }
}

/// Every `part-*` file under its final name decodes whole (zstd): a failed run renames no
/// partial part into place.
fn assert_final_parts_whole(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("part-") {
            let bytes = fs::read(&p).unwrap();
            zstd::decode_all(&bytes[..]).unwrap_or_else(|e| panic!("{name} is partial: {e}"));
        } else {
            assert!(name.starts_with('.') && name.ends_with(".tmp"), "{name}");
        }
    }
}

/// A corpus stage that fails (its storage: a full disk) stops the run with an error naming the
/// stage, the file and the OS error, and how to resume; nothing is renamed into place half
/// written, there is no summary, and `--resume` without the fault gives exactly the output of
/// an uninterrupted run.
fn failing_corpus_stage_then_resume(corpus: impl Fn(bool) -> Stage, expected_message: &str) {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture(dir.path());
    let stages = |fail: bool| {
        vec![
            Stage::Doc(Box::new(DropContaining("spam"))),
            corpus(fail),
            Stage::Doc(Box::new(DropContaining("document 2"))),
        ]
    };
    let opts = RunOptions {
        threads: 2,
        batch_docs: 10,
        checkpoint_batches: 3,
        ..RunOptions::default()
    };
    let progress = Arc::new(Progress::default());
    let whole = dir.path().join("whole");
    let expected = run(
        &mut zst_recipe(stages(false)),
        &inputs,
        &whole,
        &opts,
        &progress,
    )
    .unwrap();

    let out = dir.path().join("cut");
    let err = run(
        &mut zst_recipe(stages(true)),
        &inputs,
        &out,
        &opts,
        &progress,
    )
    .unwrap_err();
    assert!(matches!(err, Error::StageStopped { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "{expected_message}; the run stopped, and its output up to the last checkpoint is \
             kept: make room, then continue with the same command plus --resume (output in {})",
            out.display()
        )
    );
    assert!(!out.join("summary.json").exists());
    assert!(out.join(".sapu-tmp/checkpoint.json").exists());
    for sub in ["kept", "removed"] {
        assert_final_parts_whole(&out.join(sub));
    }

    let opts = RunOptions {
        resume: true,
        ..opts
    };
    let resumed = run(
        &mut zst_recipe(stages(false)),
        &inputs,
        &out,
        &opts,
        &progress,
    )
    .unwrap();
    assert!(resumed.resumed && resumed.accounting_ok);
    assert_eq!(resumed.input_docs, expected.input_docs);
    assert_eq!(resumed.kept_docs, expected.kept_docs);
    assert_eq!(resumed.removed, expected.removed);
    for sub in ["kept", "removed"] {
        let (a, b) = (
            decompressed_parts(&whole.join(sub)),
            decompressed_parts(&out.join(sub)),
        );
        assert!(!a.is_empty(), "{sub}");
        assert!(a == b, "{sub}/ differs after resume");
    }
    assert!(!out.join(".sapu-tmp").exists());
}

#[test]
fn a_corpus_stage_failing_in_observe_stops_the_run_and_resume_completes_it() {
    failing_corpus_stage_then_resume(
        |fail| {
            Stage::Corpus(Box::new(FailingStore {
                inner: FirstOfEachText::default(),
                observe_fails_at: fail.then_some(150),
                finish_fails: false,
            }))
        },
        "failing_store: cannot write /spill/state: No space left on device (os error 28)",
    );
}

#[test]
fn a_corpus_stage_failing_in_finish_stops_the_run_and_resume_completes_it() {
    failing_corpus_stage_then_resume(
        |fail| {
            Stage::Corpus(Box::new(FailingStore {
                inner: FirstOfEachText::default(),
                observe_fails_at: None,
                finish_fails: fail,
            }))
        },
        "failing_store: cannot write /spill/index: No space left on device (os error 28)",
    );
}

/// The real near-dedup stage with its spill file on a full disk (`/dev/full`, whose writes fail
/// with ENOSPC) and a budget so small it spills after ~100 documents, a few checkpoints in.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_under_the_dedup_spill_stops_the_run_and_resume_completes_it() {
    use crate::dedup::{MinHashDedup, MinHashDedupConfig, RecordStore};
    let tmp = std::env::temp_dir();
    failing_corpus_stage_then_resume(
        |fail| {
            let config = MinHashDedupConfig::default();
            let mut store = RecordStore::create_in(1500, &tmp).unwrap();
            if fail {
                let full = fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap();
                store = store.with_file(full);
            }
            Stage::Corpus(Box::new(MinHashDedup::with_store(&config, store)))
        },
        &format!(
            "minhash_dedup: cannot write the dedup spill file in `{}`: No space left on device \
             (os error 28)",
            tmp.display()
        ),
    );
}
