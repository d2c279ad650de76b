//! Tests of the identifier (on sentences written for these tests) and of the stage.

use serde_json::json;

use super::*;
use crate::stage::{BuildContext, Stage, StageConfig, StageStats};
use crate::{Document, Outcome};

const ZSM: &str = "Kerajaan tidak mempunyai wang yang cukup kerana ekonomi merosot, jadi rakyat \
                   boleh membantu sahaja daripada tidak berbuat apa-apa.";
const IND: &str = "Pemerintah tidak punya uang yang cukup karena ekonomi sedang lesu, jadi \
                   masyarakat bisa membantu saja daripada tidak berbuat apa-apa.";
const ENG: &str = "The committee will publish its findings next week, after the members have \
                   reviewed all of the evidence.";

fn identify(text: &str) -> Prediction {
    Identifier::default().identify(text)
}

#[test]
fn embedded_model_lists_the_generated_languages() {
    assert_eq!(Identifier::languages(), LANGS.to_vec());
    assert!(LANGS.len() >= 120, "{} languages", LANGS.len());
}

#[test]
fn identifies_fixture_sentences() {
    let cases = [
        ("eng", ENG),
        ("ind", IND),
        ("zsm", ZSM),
        (
            "ind",
            "Saya tidak tahu apakah dia bisa datang besok karena hujan deras sejak pagi.",
        ),
        (
            "zsm",
            "Saya tidak tahu sama ada dia boleh datang esok kerana hujan lebat sejak pagi.",
        ),
        (
            "fra",
            "Le gouvernement a annoncé hier de nouvelles mesures pour soutenir les familles.",
        ),
        (
            "deu",
            "Die Regierung hat gestern neue Maßnahmen zur Unterstützung der Familien angekündigt.",
        ),
        (
            "spa",
            "El gobierno anunció ayer nuevas medidas para apoyar a las familias.",
        ),
        (
            "rus",
            "Правительство вчера объявило о новых мерах поддержки семей.",
        ),
        (
            "jpn",
            "政府は昨日、家族を支援するための新しい措置を発表しました。",
        ),
        (
            "kor",
            "정부는 어제 가족을 지원하기 위한 새로운 조치를 발표했습니다.",
        ),
        ("tha", "รัฐบาลประกาศมาตรการใหม่เพื่อช่วยเหลือครอบครัวเมื่อวานนี้"),
        (
            "ell",
            "Η κυβέρνηση ανακοίνωσε χθες νέα μέτρα για τη στήριξη των οικογενειών.",
        ),
    ];
    for (want, text) in cases {
        let p = identify(text);
        assert_eq!(p.lang, want, "{text:?} -> {:?}", p.top);
    }
}

#[test]
fn scores_are_probabilities_and_top_is_sorted() {
    for text in [ZSM, IND, ENG, "ok", "Jakarta"] {
        let p = identify(text);
        assert_eq!(p.top.len(), 3, "{text}");
        assert_eq!(p.top[0], (p.lang, p.score), "{text}");
        assert!((0.0..=1.0).contains(&p.score), "{text}: {}", p.score);
        assert!(
            p.top.windows(2).all(|w| w[0].1 >= w[1].1),
            "{text}: {:?}",
            p.top
        );
        let sum: f32 = p.top.iter().map(|t| t.1).sum();
        assert!(sum <= 1.0001, "{text}: {sum}");
    }
}

#[test]
fn text_without_letters_is_undetermined() {
    for text in ["", "12345 67 - 89", "!!! ??? ..."] {
        let p = identify(text);
        assert_eq!(
            (p.lang, p.score, p.top.len()),
            (UNDETERMINED, 0.0, 0),
            "{text:?}"
        );
    }
}

#[test]
fn mixed_language_document_scores_lower_than_a_pure_one() {
    let eng = [ENG; 6].join(" ");
    let rus = ["Правительство вчера объявило о новых мерах поддержки семей."; 8].join(" ");
    let pure = identify(&eng);
    let mixed = identify(&format!("{eng} {rus}"));
    assert_eq!(pure.lang, "eng");
    assert!(
        mixed.score < pure.score - 0.2,
        "pure {} mixed {:?}",
        pure.score,
        mixed.top
    );
}

#[test]
fn long_documents_are_sampled_and_still_identified() {
    let long = [ZSM; 200].join("\n");
    let p = Identifier::new(1200).identify(&long);
    assert_eq!(p.lang, "zsm");
}

fn stage(config: LangidConfig) -> Box<dyn crate::DocStage> {
    match config.build(&BuildContext::default()) {
        Ok(Stage::Doc(s)) => s,
        Ok(_) => panic!("langid must be a document stage"),
        Err(e) => panic!("{e:?}"),
    }
}

fn run(config: LangidConfig, text: &str) -> Outcome {
    stage(config).process(Document::new("d", text), &mut StageStats::default())
}

#[test]
fn annotates_and_keeps_everything_by_default() {
    let out = run(LangidConfig::default(), ZSM);
    let p = identify(ZSM);
    let Outcome::Keep(doc) = out else {
        panic!("removed: {out:?}")
    };
    assert_eq!(doc.text, ZSM);
    assert_eq!(doc.metadata["lang"], json!("zsm"));
    let score = doc.metadata["lang_score"].as_f64().unwrap();
    assert_eq!(score, (p.score as f64 * 10_000.0).round() / 10_000.0);
    let top = doc.metadata["lang_top"].as_array().unwrap();
    assert_eq!(top.len(), 3);
    assert_eq!(top[0]["lang"], json!("zsm"));
    assert_eq!(top[0]["score"].as_f64(), Some(score));
}

#[test]
fn top_k_zero_writes_no_candidates() {
    let config = LangidConfig {
        top_k: 0,
        ..LangidConfig::default()
    };
    let doc = run(config, ENG).into_document();
    assert_eq!(doc.metadata.get("lang_top"), None);
    assert_eq!(doc.metadata["lang"], json!("eng"));
}

#[test]
fn keeps_document_in_a_kept_language() {
    let config = LangidConfig {
        keep: vec!["ind".into(), "zsm".into()],
        min_score: 0.0,
        ..LangidConfig::default()
    };
    assert_eq!(run(config.clone(), IND).reason(), None);
    assert_eq!(run(config, ZSM).reason(), None);
}

#[test]
fn removes_other_language() {
    let config = LangidConfig {
        keep: vec!["zsm".into()],
        min_score: 0.0,
        ..LangidConfig::default()
    };
    assert_eq!(run(config.clone(), ENG).reason(), Some("other_language"));
    assert_eq!(run(config, IND).reason(), Some("other_language"));
}

#[test]
fn removes_kept_language_below_threshold_with_its_code() {
    let score = identify(ZSM).score as f64;
    let rounded = (score * 10_000.0).round() / 10_000.0;
    let at = |min_score: f64| LangidConfig {
        keep: vec!["zsm".into()],
        min_score,
        ..LangidConfig::default()
    };
    assert_eq!(run(at(rounded), ZSM).reason(), None, "at the score");
    if rounded < 1.0 {
        let above = (rounded + 0.0001).min(1.0);
        assert_eq!(run(at(above), ZSM).reason(), Some("zsm_below_threshold"));
    }
    assert_eq!(run(at(0.0), ZSM).reason(), None);
}

#[test]
fn short_ambiguous_text_falls_below_default_threshold() {
    let config = LangidConfig {
        keep: vec!["eng".into()],
        ..LangidConfig::default()
    };
    let p = identify("ok");
    if p.lang == "eng" {
        assert!(p.score < 0.65);
    }
    let out = run(config, "ok");
    assert!(matches!(
        out.reason(),
        Some("other_language") | Some("eng_below_threshold")
    ));
}

#[test]
fn every_reason_code_is_listed() {
    assert_eq!(
        LangidConfig::REASONS,
        &["other_language", "<lang>_below_threshold"]
    );
}

#[test]
fn rejects_bad_config_values_naming_each_key() {
    let config = LangidConfig {
        keep: vec!["id".into(), "zsm".into()],
        min_score: 1.5,
        top_k: 4,
        sample_bytes: 10,
        regional_test: true,
    };
    let Err(problems) = config.build(&BuildContext::default()) else {
        panic!("accepted a bad config")
    };
    let keys: Vec<&str> = problems.iter().filter_map(|p| p.key.as_deref()).collect();
    assert_eq!(keys, vec!["min_score", "top_k", "sample_bytes", "keep"]);
    assert_eq!(
        problems[0].message,
        "`min_score` must be between 0 and 1 (got 1.5)"
    );
    assert!(problems[3]
        .message
        .starts_with("unknown language `id` in `keep`"));
}

#[test]
fn word_table_finds_every_entry_and_nothing_else() {
    let entries: Vec<(u32, i8)> = (1..=100u32).map(|k| (k * 7919, k as i8 - 50)).collect();
    let table = model::WordTable::new(&entries);
    for &(k, w) in &entries {
        assert_eq!(table.get(k), Some(i32::from(w)), "key {k}");
    }
    assert_eq!(table.get(0), None);
    assert_eq!(table.get(7918), None);
    assert_eq!(table.get(101 * 7919), None);
}

/// Bytes of a long document outside the sampled windows never change the prediction.
#[test]
fn text_outside_the_sampled_windows_is_not_read() {
    let base = [ZSM; 30].join(" ");
    assert!(base.len() > 3000, "{}", base.len());
    // With the default 1,024-byte sample the windows are [0, 341), the middle 341 bytes and
    // the last 341: bytes 500..700 are in none of them.
    let mut changed = base.clone();
    changed.replace_range(500..700, &"ы".repeat(100));
    assert_eq!(identify(&changed), identify(&base));
    assert_eq!(identify(&base).lang, "zsm");
    // Bytes inside the first window do change the scores.
    let mut first = base.clone();
    first.replace_range(0..200, &"ы".repeat(100));
    assert_ne!(identify(&first).top, identify(&base).top);
}

#[test]
fn identification_is_deterministic() {
    let doc = format!("{} {} {}", [IND; 12].join(" "), ENG, [ZSM; 12].join(" "));
    let first = identify(&doc);
    for _ in 0..3 {
        assert_eq!(identify(&doc), first);
    }
}

/// When the start and end windows agree decisively, the broad model skips the middle one.
#[test]
fn middle_window_is_skipped_when_start_and_end_agree() {
    let base = [ZSM; 30].join(" ");
    let mid = base.len() / 2;
    let mut changed = base.clone();
    changed.replace_range(mid - 20..mid + 20, &"ы".repeat(20));
    let (a, b) = (identify(&base), identify(&changed));
    assert_eq!(a, b);
    assert_eq!(a.lang, "zsm");
    // A document whose start and end disagree reads its middle too: changing it moves the
    // scores.
    let mixed = format!("{} {}", [ENG; 20].join(" "), [ZSM; 20].join(" "));
    let mid = mixed.len() / 2;
    let mut mixed_changed = mixed.clone();
    mixed_changed.replace_range(mid - 20..mid + 20, &"ы".repeat(20));
    assert_ne!(identify(&mixed).top, identify(&mixed_changed).top);
}

/// P(zsm | zsm or ind) of a prediction.
fn malay_share(p: &Prediction) -> f32 {
    let get = |l: &str| p.top.iter().find(|t| t.0 == l).map_or(0.0, |t| t.1);
    get("zsm") / (get("zsm") + get("ind")).max(f32::MIN_POSITIVE)
}

#[test]
fn one_distinctive_word_decides_between_indonesian_and_malay() {
    let pairs = [
        (
            "Saya tidak datang kerana hujan.",
            "Saya tidak datang karena hujan.",
        ),
        (
            "Dia mahu membeli kereta baharu.",
            "Dia mau membeli mobil baru.",
        ),
    ];
    for (zsm, ind) in pairs {
        assert_eq!(identify(zsm).lang, "zsm", "{zsm}: {:?}", identify(zsm).top);
        assert_eq!(identify(ind).lang, "ind", "{ind}: {:?}", identify(ind).top);
    }
}

#[test]
fn names_alone_do_not_decide_between_indonesian_and_malay() {
    let place = |p: &str| identify(&format!("Mereka tinggal di {p} bersama keluarga."));
    let (kl, jakarta) = (place("Kuala Lumpur"), place("Jakarta"));
    assert_eq!(kl.lang, jakarta.lang, "{:?} vs {:?}", kl.top, jakarta.top);
    let (a, b) = (malay_share(&kl), malay_share(&jakarta));
    assert!((a - b).abs() < 0.02, "Kuala Lumpur {a} vs Jakarta {b}");
}

#[test]
fn regional_prior_moves_mass_away_from_regional_languages() {
    let text = "Wong-wong kuwi lagi mangan sega ing omahe simbah.";
    assert_eq!(identify(text).lang, "jav");
    let strict = Identifier::default()
        .with_regional_prior(1e-6)
        .identify(text);
    assert_ne!(strict.lang, "jav");
    for (lang, score) in &strict.top {
        assert!(
            !REGIONAL_LANGS.contains(lang) || *score < 1e-3,
            "{lang} kept {score}"
        );
    }
    let total: f32 = strict.top.iter().map(|t| t.1).sum();
    assert!(total <= 1.0 + 1e-4, "scores sum to {total}");
    // A text far from the regional languages keeps its language.
    let english = "The weather was lovely and we walked along the river until sunset.";
    let p = Identifier::default()
        .with_regional_prior(0.01)
        .identify(english);
    assert_eq!(p.lang, "eng");
}

#[test]
fn coverage_test_sends_indonesian_words_to_the_specialist() {
    let sentences = [
        "Saya tidak tahu apa yang harus saya lakukan.",
        "Dia pergi ke pasar kemarin sore.",
        "Kamu sudah makan belum?",
        "Kita harus berangkat besok pagi.",
        "Apakah kamu bisa berenang?",
        "Ini rumah saya.",
        "Tolong bukakan pintunya.",
    ];
    let on = Identifier::default();
    let off = Identifier::default().with_coverage_test(false);
    let mut regional_without = 0;
    for s in sentences {
        let p = on.identify(s);
        assert!(["ind", "zsm"].contains(&p.lang), "{s}: {p:?}");
        regional_without += REGIONAL_LANGS.contains(&off.identify(s).lang) as usize;
    }
    // The test matters: without it the broad model gives some of them a regional language.
    assert!(regional_without > 0);
    // A Javanese sentence (few Indonesian words) stays Javanese.
    for jav in [
        "Aku arep lunga menyang pasar karo ibuku sesuk esuk.",
        "Wong-wong kuwi lagi mangan sega ing omahe simbah.",
    ] {
        assert_eq!(on.identify(jav).lang, "jav", "{jav}");
    }
}

#[test]
fn stage_regional_test_is_on_by_default_and_can_be_turned_off() {
    let text = "Saya tidak tahu apa yang harus saya lakukan.";
    let lang = |config: LangidConfig| run(config, text).into_document().lang().map(String::from);
    let on = lang(LangidConfig::default());
    let off = lang(LangidConfig {
        regional_test: false,
        ..LangidConfig::default()
    });
    assert_eq!(on.as_deref(), Some("ind"));
    assert_ne!(off, on);
}

#[test]
fn short_texts_use_their_own_combination_and_long_ones_do_not() {
    // The model's last section is the short-text combination (a word count, its
    // coefficients, its word-pair and sub-word weights). Without it, every text uses the
    // sentence combination.
    let bytes = model::MODEL_BYTES;
    let decoded = model::Model::decode(bytes);
    assert!(
        (1..=30).contains(&decoded.short_words),
        "short-text combination up to {} words",
        decoded.short_words
    );
    let with = Identifier::with_model_bytes(DEFAULT_SAMPLE_BYTES, bytes);
    let without =
        Identifier::with_model_bytes(DEFAULT_SAMPLE_BYTES, &bytes[..decoded.short_offset]);
    // At most `short_words` words: scored differently.
    let short = "Saya tidak tahu apa yang terjadi.";
    let (a, b) = (with.identify(short), without.identify(short));
    assert!(
        (malay_share(&a) - malay_share(&b)).abs() > 1e-4,
        "{:?} vs {:?}",
        a.top,
        b.top
    );
    // Longer texts: exactly the same prediction.
    for long in [format!("{ZSM} {ZSM}"), format!("{IND} {IND}")] {
        let mut n = 0;
        features::for_each_word_key(&long, |_| n += 1);
        assert!(n > decoded.short_words, "{n} words");
        assert_eq!(with.identify(&long), without.identify(&long), "{long}");
    }
}
