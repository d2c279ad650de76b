//! Whole-stage tests: the reference article, each rule through `process`, the config switches
//! and the metadata report.

use serde_json::json;

use super::*;

fn stage(config: CleanConfig) -> Clean {
    Clean::new(&config).expect("valid config")
}

fn run(config: CleanConfig, text: &str) -> Document {
    stage(config)
        .process(Document::new("t", text), &mut StageStats::default())
        .into_document()
}

const BODY: [&str; 4] = [
    "JAKARTA - Pemerintah menegaskan pentingnya pengendalian inflasi dalam menjaga stabilitas ekonomi nasional pada tahun ini.",
    "Menurut menteri, capaian ini menjadi salah satu yang terendah di antara negara anggota G20 sejak lama.",
    "\"Kita mampu menjaga inflasi di sekitar dua persen,\" ujar Presiden dalam keterangannya, Selasa.",
    "Tim pengendali inflasi daerah dibentuk sejak September 2022 di seluruh provinsi di Indonesia.",
];

/// The reference article of issue 3: chrome at the top, the body repeated from its second
/// paragraph, a byline at the end.
#[test]
fn issue_3_reference_article() {
    let raw = include_str!("../../tests/fixtures/clean/raw-news-id.txt");
    let expected = include_str!("../../tests/fixtures/clean/raw-news-id.expected.txt");
    let out = run(CleanConfig::default(), raw);
    let got: Vec<&str> = out.text.lines().map(str::trim).collect();
    let want: Vec<&str> = expected.lines().map(str::trim).collect();
    assert_eq!(got, want);
    assert_eq!(out.metadata["byline"], "ian");
    assert_eq!(
        out.metadata["clean"],
        json!({"removed": {"ui": 4, "repeated_block": 10, "byline": 1}, "normalised": false})
    );
}

#[test]
fn keeps_a_clean_article_unchanged() {
    let text = BODY.join("\n");
    let out = run(CleanConfig::default(), &text);
    assert_eq!(out.text, text);
    assert_eq!(out.metadata.get("byline"), None);
    assert_eq!(
        out.metadata["clean"],
        json!({"removed": {}, "normalised": false})
    );
}

#[test]
fn removes_chrome_by_rule_and_records_lines() {
    let text = [
        "Memuat...",
        "A-",
        "A",
        "A+",
        "Bagikan",
        "WhatsApp",
        BODY[0],
        "ADVERTISEMENT",
        BODY[1],
        "Baca Juga: Harga Emas Naik Lagi Hari Ini",
        BODY[2],
        "Lihat Foto",
        BODY[3],
        "Tags: Jakarta, Inflasi",
        "Copyright © 2023 contoh.id. All rights reserved.",
    ]
    .join("\n");
    let config = CleanConfig {
        record_lines: true,
        ..CleanConfig::default()
    };
    let out = run(config, &text);
    assert_eq!(out.text, BODY.join("\n"));
    let clean = &out.metadata["clean"];
    assert_eq!(
        clean["removed"],
        json!({"ui": 8, "read_also": 1, "tags": 1, "copyright": 1})
    );
    assert_eq!(
        clean["lines"][9],
        json!({"rule": "tags", "text": "Tags: Jakarta, Inflasi"})
    );
}

#[test]
fn english_german_and_french_pages() {
    let en = "Share\nFacebook\nTwitter\nLONDON - The council approved the budget on Tuesday.\nRead also: Markets rally after Fed decision\nCritics said the plan ignores rural districts.\nAdvertisement\nFollow us on Instagram";
    assert_eq!(
        run(CleanConfig::default(), en).text,
        "LONDON - The council approved the budget on Tuesday.\nCritics said the plan ignores rural districts."
    );
    let de = "Wird geladen...\nBERLIN - Der Stadtrat hat den Haushalt beschlossen.\nAnzeige\nLesen Sie auch: Die Bahn streikt wieder\nKritiker sprechen von einem Fehler.";
    assert_eq!(
        run(CleanConfig::default(), de).text,
        "BERLIN - Der Stadtrat hat den Haushalt beschlossen.\nKritiker sprechen von einem Fehler."
    );
    let fr = "Partager\nPARIS - Le gouvernement annonce un plan.\nPublicité\nLire aussi : Les prix montent encore\n« Nous agirons », a-t-il dit.\n© 2024 Le Journal. Tous droits réservés.";
    assert_eq!(
        run(CleanConfig::default(), fr).text,
        "PARIS - Le gouvernement annonce un plan.\n« Nous agirons », a-t-il dit."
    );
}

#[test]
fn keeps_headings_datelines_quotes_and_lists() {
    let text = "Lima Hal Penting dari Sidang Kabinet\nLiputan6.com, Jakarta - Sidang kabinet digelar hari ini.\nBerikut daftarnya:\n1. Inflasi terkendali\n2. Ekonomi tumbuh\n\"Kita bekerja keras,\" kata Presiden.\nSubjudul Tanpa Titik\nParagraf terakhir berita.";
    let out = run(CleanConfig::default(), text);
    assert_eq!(out.text, text);
}

#[test]
fn motomalaya_post_meta_and_advertisements() {
    let text = "Moto Malaya\n\nNiat Membantu, Bengkel Sanggup Baiki Motosikal\n\nPosted on July 26, 2023 by Amirul Azreen\n\nSebuah bengkel di Lembah Klang mencuri tumpuan.\nNamun pelanggan tersebut lesap.\nJangan lupa ikuti kami di YouTube dan Instagram!\nAdvertisements";
    let out = run(CleanConfig::default(), text);
    assert_eq!(
        out.text,
        "Moto Malaya\n\nNiat Membantu, Bengkel Sanggup Baiki Motosikal\n\nSebuah bengkel di Lembah Klang mencuri tumpuan.\nNamun pelanggan tersebut lesap."
    );
    assert_eq!(
        out.metadata["clean"]["removed"],
        json!({"post_meta": 1, "follow_prompt": 1, "ui": 1})
    );
}

#[test]
fn repairs_repeated_body_with_chrome_inside_both_copies() {
    let text = [
        BODY[0],
        BODY[1],
        "ADVERTISEMENT",
        BODY[2],
        BODY[3],
        BODY[1],
        "ADVERTISEMENT",
        BODY[2],
        BODY[3],
        "(dnu/dnu)",
    ]
    .join("\n");
    let out = run(CleanConfig::default(), &text);
    assert_eq!(out.text, BODY.join("\n"));
    assert_eq!(out.metadata["byline"], "dnu/dnu");
    assert_eq!(
        out.metadata["clean"]["removed"],
        json!({"ui": 2, "repeated_block": 3, "byline": 1})
    );
}

#[test]
fn byline_in_brackets_after_footer_chrome() {
    let text = format!("{}\n{}\n[gil]\nTags: Ekonomi, Inflasi", BODY[0], BODY[1]);
    let out = run(CleanConfig::default(), &text);
    assert_eq!(out.text, format!("{}\n{}", BODY[0], BODY[1]));
    assert_eq!(out.metadata["byline"], "gil");
}

#[test]
fn each_rule_can_be_switched_off() {
    let text = [" Memuat... ", BODY[0], BODY[1], BODY[0], BODY[1], "(ian)"].join("\n");
    let off = CleanConfig {
        normalise: false,
        chrome: false,
        repeats: false,
        byline: false,
        ..CleanConfig::default()
    };
    let out = run(off, &text);
    assert_eq!(out.text, text);
    assert_eq!(out.metadata.get("byline"), None);

    let no_repeats = CleanConfig {
        repeats: false,
        ..CleanConfig::default()
    };
    assert_eq!(
        run(no_repeats, &text).text,
        [BODY[0], BODY[1], BODY[0], BODY[1]].join("\n")
    );
    let no_chrome = CleanConfig {
        chrome: false,
        ..CleanConfig::default()
    };
    assert_eq!(
        run(no_chrome, &text).text,
        ["Memuat...", BODY[0], BODY[1]].join("\n")
    );
    let no_byline = CleanConfig {
        byline: false,
        ..CleanConfig::default()
    };
    assert_eq!(
        run(no_byline, &text).text,
        [BODY[0], BODY[1], "(ian)"].join("\n")
    );
}

#[test]
fn near_repeats_switch() {
    let changed = BODY[1].replace("terendah", "tertinggi");
    let text = [BODY[0], BODY[1], BODY[2], BODY[0], &changed, BODY[2]].join("\n");
    assert_eq!(
        run(CleanConfig::default(), &text).text,
        [BODY[0], BODY[1], BODY[2]].join("\n")
    );
    let exact = CleanConfig {
        near_repeats: false,
        ..CleanConfig::default()
    };
    // without near pairing, the two exact lines are still separate one-line runs under 40 words
    assert_eq!(run(exact, &text).text, text);
}

#[test]
fn normalises_and_reports_it() {
    let out = run(CleanConfig::default(), "  Satu   dua\r\nTiga\u{0}  \n");
    assert_eq!(out.text, "Satu   dua\nTiga");
    assert_eq!(out.metadata["clean"]["normalised"], true);
    let collapsing = CleanConfig {
        collapse_spaces: true,
        ..CleanConfig::default()
    };
    assert_eq!(
        run(collapsing, "  Satu   dua\r\nTiga").text,
        "Satu dua\nTiga"
    );
}

#[test]
fn never_removes_a_document_even_when_emptied() {
    let out = stage(CleanConfig::default()).process(
        Document::new("t", "Loading...\nShare\nADVERTISEMENT"),
        &mut StageStats::default(),
    );
    let Outcome::Keep(doc) = out else {
        panic!("clean removed a document")
    };
    assert_eq!(doc.text, "");
    assert_eq!(CleanConfig::REASONS, &[] as &[&str]);
}

#[test]
fn counts_lines_in_stage_stats() {
    let mut stats = StageStats::default();
    let text = [BODY[0], "Share", BODY[1], BODY[0], BODY[1], "(ian)"].join("\n");
    stage(CleanConfig::default()).process(Document::new("t", text), &mut stats);
    let got: Vec<(&str, u64)> = stats.0.iter().map(|(k, v)| (k.as_ref(), *v)).collect();
    assert_eq!(
        got,
        [("bylines", 1), ("lines_repeated_block", 2), ("lines_ui", 1)]
    );
}

#[test]
fn rejects_zero_min_block_lines() {
    let config = CleanConfig {
        min_block_lines: 0,
        ..CleanConfig::default()
    };
    let problems = Clean::new(&config).err().expect("invalid");
    assert_eq!(
        problems,
        [ConfigProblem::key(
            "min_block_lines",
            "`min_block_lines` must be at least 1 (got 0)"
        )]
    );
}
