//! Extraction on small hand-written pages, the stage's reason codes, and hostile input.

use super::*;
use crate::doc::{Document, Outcome};
use crate::stage::{BuildContext, DocStage, Stage, StageConfig, StageStats};

fn extract(html: &str) -> Extracted {
    extract_html(html, &ExtractOptions::default()).unwrap()
}

fn stage(config: ExtractConfig) -> Box<dyn DocStage> {
    match config.build(&BuildContext::default()) {
        Ok(Stage::Doc(s)) => s,
        _ => panic!("extract builds as a document stage"),
    }
}

fn html_doc(html: &str) -> Document {
    let mut doc = Document::new("p1", html);
    doc.metadata
        .insert("content_type".into(), "text/html; charset=utf-8".into());
    doc
}

const ARTICLE: &str = r##"<!doctype html>
<html lang="de"><head><title>Ein Titel | Die Zeitung</title>
<meta property="og:site_name" content="Die Zeitung">
<meta name="author" content="Erika Muster">
<meta property="article:published_time" content="2021-03-04T08:00:00+01:00">
</head><body>
<header><a href="/">Die Zeitung</a><nav><ul><li><a href="/a">Politik</a></li><li><a href="/b">Sport</a></li></ul></nav></header>
<div class="cookie-banner">Wir verwenden Cookies, um Ihnen das beste Erlebnis zu bieten. Akzeptieren?</div>
<main><article>
<h1>Ein Titel</h1>
<p>Der erste Absatz des Artikels ist lang genug, um als Inhalt zu gelten, und er endet mit einem Punkt.</p>
<p>Der zweite Absatz enthält <a href="/x">einen Link</a> und weiteren Text, der ebenfalls zum Artikel gehört.</p>
<h2>Zwischentitel</h2>
<ul><li>Erster Punkt der Liste</li><li>Zweiter Punkt der Liste</li></ul>
<div class="share-buttons"><a href="#">Teilen</a> <a href="#">Twittern</a></div>
</article>
<section id="comments"><h3>3 Kommentare</h3><p>Ein Leser schreibt einen langen Kommentar, der nicht zum Artikel gehört, obwohl er lang ist.</p></section>
</main>
<aside><p>Meistgelesen: eine lange Liste von anderen Artikeln, die hier nicht hingehören, und mehr.</p></aside>
<footer><p>Impressum · Datenschutz · Kontakt</p></footer>
</body></html>"##;

#[test]
fn keeps_article_drops_chrome_and_reads_metadata() {
    let out = extract(ARTICLE);
    assert_eq!(
        out.text,
        "Ein Titel\n\n\
         Der erste Absatz des Artikels ist lang genug, um als Inhalt zu gelten, und er endet mit einem Punkt.\n\n\
         Der zweite Absatz enthält einen Link und weiteren Text, der ebenfalls zum Artikel gehört.\n\n\
         Zwischentitel\n\n\
         Erster Punkt der Liste\n\
         Zweiter Punkt der Liste"
    );
    assert_eq!(
        out.meta,
        PageMeta {
            title: Some("Ein Titel".into()),
            author: Some("Erika Muster".into()),
            date: Some("2021-03-04".into()),
            site_name: Some("Die Zeitung".into()),
            lang_hint: Some("de".into()),
        }
    );
}

#[test]
fn reads_json_ld_before_meta_tags() {
    let page = r#"<html><head><meta property="og:title" content="OG title">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Example Site"},
{"@type":"NewsArticle","headline":"LD headline","author":[{"@type":"Person","name":"Ann Lee"},{"@type":"Person","name":"Bo Chen"}],
"datePublished":"2020-01-27T10:00:00Z","inLanguage":"en-GB"}]}</script></head>
<body><p>Some body text that is long enough to be the main content of this page.</p></body></html>"#;
    let out = extract(page);
    assert_eq!(
        out.text,
        "Some body text that is long enough to be the main content of this page."
    );
    assert_eq!(
        out.meta,
        PageMeta {
            title: Some("LD headline".into()),
            author: Some("Ann Lee; Bo Chen".into()),
            date: Some("2020-01-27".into()),
            site_name: Some("Example Site".into()),
            lang_hint: Some("en-GB".into()),
        }
    );
}

#[test]
fn keeps_pre_whitespace_and_table_rows_as_lines() {
    let page = "<body><article><p>Code sample follows here, explained in this sentence.</p>\
        <pre>fn main() {\n    run();\n}</pre>\
        <table><tr><td>a</td><td>1</td></tr><tr><td>b</td><td>2</td></tr></table></article></body>";
    assert_eq!(
        extract(page).text,
        "Code sample follows here, explained in this sentence.\n\nfn main() {\n    run();\n}\n\na 1\nb 2"
    );
}

#[test]
fn page_without_body_tag_still_yields_text() {
    let out = extract("<title>T</title>Just some loose text without any tags around it at all.");
    assert_eq!(
        out.text,
        "Just some loose text without any tags around it at all."
    );
    assert_eq!(out.meta.title.as_deref(), Some("T"));
}

#[test]
fn hidden_elements_are_dropped() {
    let page = "<body><p>Visible paragraph with enough words to count as the content.</p>\
        <p style=\"display: none\">Hidden text that must not appear anywhere.</p>\
        <div hidden>Also hidden.</div></body>";
    assert_eq!(
        extract(page).text,
        "Visible paragraph with enough words to count as the content."
    );
}

#[test]
fn stage_replaces_text_and_writes_metadata() {
    let s = stage(ExtractConfig::default());
    let mut stats = StageStats::default();
    let Outcome::Keep(doc) = s.process(html_doc(ARTICLE), &mut stats) else {
        panic!("article page kept");
    };
    assert!(
        doc.text.starts_with("Ein Titel\n\nDer erste Absatz"),
        "{}",
        doc.text
    );
    assert_eq!(doc.metadata["title"], "Ein Titel");
    assert_eq!(doc.metadata["date"], "2021-03-04");
    assert_eq!(doc.metadata["lang_hint"], "de");
    assert_eq!(stats.0["html_bytes_in"], ARTICLE.len() as u64);
}

#[test]
fn stage_keeps_crawl_date_and_writes_published_date() {
    let s = stage(ExtractConfig::default());
    let mut doc = html_doc(ARTICLE);
    doc.metadata
        .insert("date".into(), "2024-04-25T16:24:44Z".into());
    let doc = s.process(doc, &mut StageStats::default()).into_document();
    assert_eq!(doc.metadata["date"], "2024-04-25T16:24:44Z");
    assert_eq!(doc.metadata["published_date"], "2021-03-04");
}

#[test]
fn stage_passes_non_html_through_untouched() {
    let s = stage(ExtractConfig::default());
    let mut doc = Document::new("t", "<p>not parsed</p>");
    doc.metadata
        .insert("content_type".into(), "text/plain".into());
    assert_eq!(
        s.process(doc.clone(), &mut StageStats::default()),
        Outcome::Keep(doc)
    );
    let plain = Document::new("u", "<b>no content type</b>");
    assert_eq!(
        s.process(plain.clone(), &mut StageStats::default()),
        Outcome::Keep(plain)
    );
}

#[test]
fn removes_page_without_text_as_no_content() {
    let s = stage(ExtractConfig::default());
    let out = s.process(
        html_doc("<html><body><nav><a href=/>Home</a></nav><script>x()</script></body></html>"),
        &mut StageStats::default(),
    );
    assert_eq!(out.reason(), Some("no_content"));
    assert_eq!(out.into_document().text, "");
}

/// `<div>` nested `n` deep around one paragraph.
fn nested(n: usize) -> String {
    format!(
        "<html><body>{}<p>deep text</p>{}</body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    )
}

#[test]
fn removes_deeply_nested_page_as_too_complex() {
    let s = stage(ExtractConfig::default());
    let mut stats = StageStats::default();
    let out = s.process(html_doc(&nested(100_000)), &mut stats);
    assert_eq!(out.reason(), Some("too_complex"));
    assert_eq!(stats.0.get("too_deep"), Some(&1));
}

#[test]
fn depth_limit_boundary() {
    let opts = |max_depth| ExtractOptions {
        max_depth,
        ..ExtractOptions::default()
    };
    // html 1, body 2, ten divs 3..=12, p 13, its text 14.
    assert_eq!(
        extract_html(&nested(10), &opts(14)).map(|e| e.text),
        Ok("deep text".into())
    );
    assert_eq!(extract_html(&nested(10), &opts(13)), Err(Limit::Depth));
}

#[test]
fn byte_and_node_limits() {
    let page = "<p>a</p>".repeat(100);
    let bytes = ExtractOptions {
        max_bytes: page.len(),
        ..ExtractOptions::default()
    };
    assert!(extract_html(&page, &bytes).is_ok());
    let bytes = ExtractOptions {
        max_bytes: page.len() - 1,
        ..ExtractOptions::default()
    };
    assert_eq!(extract_html(&page, &bytes), Err(Limit::Bytes));
    let nodes = ExtractOptions {
        max_nodes: 50,
        ..ExtractOptions::default()
    };
    assert_eq!(extract_html(&page, &nodes), Err(Limit::Nodes));
}

#[test]
fn survives_hostile_markup() {
    let long_attr = format!("<body><div class=\"{}\"><p>Text after a megabyte-long attribute value, long enough.</p></div></body>", "x".repeat(1 << 20));
    assert_eq!(
        extract(&long_attr).text,
        "Text after a megabyte-long attribute value, long enough."
    );
    // Unclosed formatting elements, stray end tags, a table soup: parsed, bounded, no panic.
    let soup = format!(
        "{}<table><p>x</td></tr>{}",
        "<b><i><font>".repeat(3000),
        "</b></div>".repeat(3000)
    );
    let out = extract_html(&soup, &ExtractOptions::default());
    assert!(matches!(out, Ok(_) | Err(Limit::Depth)), "{out:?}");
    assert_eq!(extract("").text, "");
    // The tree builder drops NUL in body text.
    assert_eq!(
        extract("\u{0}\u{fffd}<<<>>>&&&;").text,
        "\u{fffd}<<<>>>&&&;"
    );
}

#[test]
fn config_rejects_zero_limits() {
    let c = ExtractConfig {
        max_nodes: 0,
        max_depth: 0,
        ..ExtractConfig::default()
    };
    let problems = match c.build(&BuildContext::default()) {
        Err(p) => p,
        Ok(_) => panic!("zero limits accepted"),
    };
    let keys: Vec<_> = problems.iter().map(|p| p.key.as_deref()).collect();
    assert_eq!(keys, [Some("max_nodes"), Some("max_depth")]);
}

#[test]
fn favor_recall_keeps_more_than_precision() {
    let page = "<body><article><p>Main paragraph with plenty of words to be the content here.</p>\
        <p>Related: <a href=/1>one link</a> and <a href=/2>another link</a> here.</p></article></body>";
    let get = |favor| {
        extract_html(
            page,
            &ExtractOptions {
                favor,
                ..ExtractOptions::default()
            },
        )
        .unwrap()
        .text
    };
    assert_eq!(
        get(Favor::Precision),
        "Main paragraph with plenty of words to be the content here."
    );
    assert_eq!(
        get(Favor::Recall),
        "Main paragraph with plenty of words to be the content here.\n\nRelated: one link and another link here."
    );
}

#[test]
fn drops_heading_left_alone_by_a_dropped_link_box() {
    let page = "<body><article><h2>Title</h2><p>Body paragraph with enough words to be the article text.</p>\
        <h3>Related posts</h3><ul><li><a href=/1>First other post</a></li>\
        <li><a href=/2>Second other post</a></li></ul></article></body>";
    assert_eq!(
        extract(page).text,
        "Title\n\nBody paragraph with enough words to be the article text."
    );
}

#[test]
fn keeps_article_inside_an_aside_when_it_holds_most_text() {
    let page = "<body><nav><a href=/>Home</a></nav><aside><p>The only real paragraph of this page \
        sits inside an aside element, oddly enough.</p></aside></body>";
    assert_eq!(
        extract(page).text,
        "The only real paragraph of this page sits inside an aside element, oddly enough."
    );
}

#[test]
fn semantic_article_beats_a_larger_teaser_block_named_like_content() {
    let para = "A paragraph of the article itself, long enough to count as good text here.";
    let teaser = "<li><a href=/x>Other story headline</a><p>Teaser text of another story that is long enough to be good.</p></li>";
    let page = format!(
        "<body><article><p>{para}</p><p>{para}</p></article>\
         <div class=\"article-below\"><ul>{}</ul></div></body>",
        teaser.repeat(4)
    );
    assert_eq!(extract(&page).text, format!("{para}\n\n{para}"));
}

#[test]
fn several_nested_articles_are_a_listing_not_the_article() {
    let post = "The real post text, one long paragraph with enough words to be good text.";
    let other =
        "<article><p>Another post teaser with enough words to count as good text.</p></article>";
    let page = format!(
        "<body><article class=postbox><h2>You may like</h2>{}</article>\
         <article class=articlebox><p>{post}</p><p>{post}</p></article></body>",
        other.repeat(3)
    );
    assert_eq!(extract(&page).text, format!("{post}\n\n{post}"));
}

#[test]
fn chrome_named_wrapper_holding_the_article_is_kept() {
    let para = "An article paragraph inside a wrapper whose class says header, oddly.";
    let page = format!(
        "<body><div class=\"article-header\"><h1>Title</h1><p>{para}</p><p>{para}</p></div>\
         <div class=sidebar><p>Sidebar paragraph that is long enough to be good text too.</p></div></body>"
    );
    assert_eq!(extract(&page).text, format!("Title\n\n{para}\n\n{para}"));
}

#[test]
fn banner_role_around_the_whole_page_is_not_dropped() {
    let page = "<body><header role=banner><p>The whole page sits inside an unclosed banner \
        header, which happens on broken pages.</p></header></body>";
    assert_eq!(
        extract(page).text,
        "The whole page sits inside an unclosed banner header, which happens on broken pages."
    );
}

#[test]
fn trailing_labels_and_headings_after_the_last_paragraph_are_cut() {
    let para = "The last real paragraph of this article, long enough to be good text.";
    let page = format!(
        "<body><article><p>{para}</p><p>Contact:</p><h3>Related posts</h3></article></body>"
    );
    assert_eq!(extract(&page).text, para);
    let recall = ExtractOptions {
        favor: Favor::Recall,
        ..ExtractOptions::default()
    };
    assert_eq!(
        extract_html(&page, &recall).unwrap().text,
        format!("{para}\n\nContact:")
    );
}

#[test]
fn reads_author_from_byline_class_and_json_ld_reference() {
    let page = r##"<html><head><title>Post title - My Blog</title>
<meta property="og:site_name" content="My Blog">
<script type="application/ld+json">{"@graph":[{"@type":"BlogPosting","author":{"@id":"#p1"}},
{"@type":"Person","@id":"#p1","name":"Ann Lee"}]}</script></head>
<body><p>Body text that is long enough to be the main content of this page.</p>
<span class="date">Posted on November 22, 2011</span></body></html>"##;
    let m = extract(page).meta;
    assert_eq!(m.author.as_deref(), Some("Ann Lee"));
    assert_eq!(m.title.as_deref(), Some("Post title"));
    assert_eq!(m.date.as_deref(), Some("2011-11-22"));
    let page = "<body><span class=\"byline\">von <span class=\"author vcard\">Heiko</span></span>\
        <p>Body text that is long enough to be the main content of this page.</p></body>";
    assert_eq!(extract(page).meta.author.as_deref(), Some("Heiko"));
}

#[test]
fn lead_paragraph_before_the_body_wrapper_is_kept_without_its_headline() {
    let lead = "The lead paragraph sums up the story in one long sentence before the body.";
    let para = "A body paragraph of the article, long enough to count as good text here.";
    let page = format!(
        "<body><article><div class=top><h1>Headline of the story</h1><span>5 May 2020</span>\
         <p>{lead}</p></div><div class=text>{}</div></article></body>",
        format!("<p>{para}</p>").repeat(12)
    );
    let text = extract(&page).text;
    assert!(text.starts_with(&format!("{lead}\n\n{para}")), "{text}");
    assert!(
        !text.contains("Headline") && !text.contains("May"),
        "{text}"
    );
    assert_eq!(text.matches(para).count(), 12);
}

#[test]
fn posts_named_comment_are_kept_when_nothing_else_is_left() {
    let post = |n: usize| {
        format!("<div class=comment><p>Forum post number {n}, which is the content of this thread page.</p></div>")
    };
    let page = format!(
        "<body><main><h1>Thread title</h1>{}{}{}</main><footer>Imprint and contact</footer></body>",
        post(1),
        post(2),
        post(3)
    );
    let text = extract(&page).text;
    for n in 1..=3 {
        assert!(text.contains(&format!("Forum post number {n},")), "{text}");
    }
    assert!(!text.contains("Imprint"), "{text}");
    // With a real article of some length, comments are still dropped.
    let para = "A paragraph of the article itself, long enough to count as good text here.";
    let page = format!(
        "<body><main><article>{}</article>{}{}</main></body>",
        format!("<p>{para}</p>").repeat(5),
        post(1),
        post(2)
    );
    let text = extract(&page).text;
    assert!(!text.contains("Forum post"), "{text}");
}

#[test]
fn sections_that_only_have_ads_are_not_ads() {
    let para = "A paragraph of the article itself, long enough to count as good text here.";
    let page = format!(
        "<body><article><div>{p5}</div><section class=\"o-section--has-ads\"><p>First {para}</p></section>\
         <section class=\"o-section--has-ads\"><p>Second {para}</p></section>\
         <div class=\"ad-slot\"><p>Buy this product now, a sponsored message long enough.</p></div>\
         </article></body>",
        p5 = format!("<p>{para}</p>").repeat(5)
    );
    let text = extract(&page).text;
    assert!(
        text.contains("First A paragraph") && text.contains("Second A paragraph"),
        "{text}"
    );
    assert!(!text.contains("Buy this"), "{text}");
}

#[test]
fn title_is_the_only_h1_without_a_declared_one_and_entities_are_decoded() {
    let body = "<p>Body text that is long enough to be the main content of this page.</p>";
    let page = format!(
        "<html><head><title>Welcome to the Club Site</title></head>\
         <body><h1>Summer party 2020</h1>{body}</body></html>"
    );
    assert_eq!(
        extract(&page).meta.title.as_deref(),
        Some("Summer party 2020")
    );
    // Two h1: the <title> is used.
    let page = format!(
        "<html><head><title>Welcome to the Club Site</title></head>\
         <body><h1>Menu</h1><h1>Summer party 2020</h1>{body}</body></html>"
    );
    assert_eq!(
        extract(&page).meta.title.as_deref(),
        Some("Welcome to the Club Site")
    );
    // A declared title escaped twice.
    let page = format!(
        "<html><head><meta property=\"og:title\" content=\"Luboku, &amp;#8216;Lift Off&amp;#x2019; &amp;amp; more\">\
         </head><body>{body}</body></html>"
    );
    assert_eq!(
        extract(&page).meta.title.as_deref(),
        Some("Luboku, \u{2018}Lift Off\u{2019} & more")
    );
    // Broken references stay as they are.
    let page = format!(
        "<html><head><meta property=\"og:title\" content=\"A &amp;#xZZ; b &amp;é; c &amp;\"></head><body>{body}</body></html>"
    );
    assert_eq!(
        extract(&page).meta.title.as_deref(),
        Some("A &#xZZ; b &é; c &")
    );
}

#[test]
fn teaser_before_a_marked_article_body_is_kept_but_not_a_caption_box() {
    let page = r#"<html><body><div class="news"><div class="article">
        <h3>Die Schlagzeile</h3>
        <div class="teaser-text"><p>Ein Vorspann, der den Artikel in zwei langen Sätzen zusammenfasst und neugierig macht.</p></div>
        <div class="image-box"><img src="a.jpg"><p>Eine Bildunterschrift, lang genug, um als Absatz zu zählen, mit Fotograf.</p></div>
        <div itemprop="articleBody"><p>Der erste Absatz des eigentlichen Artikels ist lang genug und endet mit einem Punkt.</p>
        <p>Der zweite Absatz des Artikels ist ebenfalls lang genug, um als guter Text zu gelten.</p></div>
    </div></div>
    <div class="listing"><p>Ein anderer Artikel, dessen Anriss hier steht, mit genug Text, um zu zählen.</p></div>
    </body></html>"#;
    let text = extract(page).text;
    assert!(text.starts_with("Ein Vorspann, der den Artikel"), "{text}");
    assert!(text.contains("Der zweite Absatz des Artikels"), "{text}");
    assert!(!text.contains("Bildunterschrift"), "{text}");
    assert!(!text.contains("Schlagzeile"), "{text}");
    assert!(!text.contains("anderer Artikel"), "{text}");
}

#[test]
fn label_of_a_dropped_link_box_is_cut_but_a_short_sentence_stays() {
    let page = r#"<html><body><article>
        <p>Der erste Absatz des Artikels ist lang genug, um als Inhalt zu gelten, mit Punkt.</p>
        <h3>Mehr zum Thema</h3>
        <ul><li><a href="/a">Ein anderer Artikel über etwas</a></li><li><a href="/b">Noch ein Artikel</a></li></ul>
        <p>Der zweite Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
        <p>Die Tür ging auf.</p>
        <p><a href="/c">Ein Link zu einer anderen Seite mit einem langen Titel</a></p>
        <p>Der dritte Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
    </article></body></html>"#;
    let text = extract(page).text;
    assert!(!text.contains("Mehr zum Thema"), "{text}");
    assert!(text.contains("Die Tür ging auf."), "{text}");
    assert!(text.contains("Der dritte Absatz"), "{text}");
}

#[test]
fn standfirst_in_an_article_header_is_kept_without_headline_or_dateline() {
    let page = r#"<html><body><article>
        <header class="article-header">
            <h1>Eine Schlagzeile, die lang genug ist, um als Absatz zu zählen</h1>
            <p class="dateline">VERÖFFENTLICHT: 10:48, Di, 19. Nov 2019 | AKTUALISIERT: 11:05</p>
            <p class="lead">Ein Vorspann, der den Artikel in einem langen Satz zusammenfasst und neugierig macht.</p>
        </header>
        <div class="body"><p>Der erste Absatz des eigentlichen Artikels ist lang genug und endet mit einem Punkt.</p>
        <p>Der zweite Absatz des Artikels ist ebenfalls lang genug, um als guter Text zu gelten.</p>
        <p>Der dritte Absatz des Artikels ist ebenfalls lang genug, um als guter Text zu gelten.</p></div>
    </article></body></html>"#;
    let text = extract(page).text;
    assert!(text.starts_with("Ein Vorspann, der den Artikel"), "{text}");
    assert!(text.contains("Der dritte Absatz"), "{text}");
    assert!(!text.contains("Schlagzeile"), "{text}");
    assert!(!text.contains("VERÖFFENTLICHT"), "{text}");
}

#[test]
fn long_subheading_before_the_article_body_is_kept_but_not_the_title() {
    let page = r#"<html><body><div class="detail">
        <div class="head"><h1>Ein Titel, der lang genug ist, um die Grenze für Unterzeilen zu überschreiten, ganz sicher</h1>
        <h2>Zwei Mal ging sie heuer leer aus, doch ausgerechnet beim letzten großen Rennen der Saison schlug sie zurück</h2></div>
        <div itemprop="articleBody"><p>Der erste Absatz des eigentlichen Artikels ist lang genug und endet mit einem Punkt.</p>
        <p>Der zweite Absatz des Artikels ist ebenfalls lang genug, um als guter Text zu gelten.</p>
        <p>Der dritte Absatz des Artikels ist ebenfalls lang genug, um als guter Text zu gelten.</p></div>
    </div></body></html>"#;
    let text = extract(page).text;
    assert!(
        text.starts_with("Zwei Mal ging sie heuer leer aus"),
        "{text}"
    );
    assert!(!text.contains("Ein Titel"), "{text}");
}

#[test]
fn a_line_that_is_only_a_date_is_dropped_but_not_a_phone_number() {
    let page = r#"<html><body><article>
        <p>23.10.2018</p>
        <p>Der erste Absatz des Artikels ist lang genug, um als Inhalt zu gelten, mit Punkt.</p>
        <p>3:59 PM</p>
        <p>Der zweite Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
        <p>+81 158-23-2012</p>
        <p>Der dritte Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
    </article></body></html>"#;
    let text = extract(page).text;
    assert!(!text.contains("23.10.2018"), "{text}");
    assert!(!text.contains("3:59 PM"), "{text}");
    assert!(text.contains("+81 158-23-2012"), "{text}");
    assert!(super::content::is_dateline("05. Februar 2020"));
    assert!(super::content::is_dateline("11 Jan 2019"));
    assert!(!super::content::is_dateline(
        "Seite 2019 von 2020 im Archiv nachlesen"
    ));
    assert!(!super::content::is_dateline("Görlitzer Str. 45"));
}

#[test]
fn a_long_heading_before_a_heading_of_the_same_rank_is_kept_but_not_a_box_title() {
    let page = r#"<html><body><article>
        <h3>Lange habe ich diesen Artikel vor mir hergeschoben, denn er fühlt sich wie ein Abschied an, und das mag ich nicht.</h3>
        <h3>Ein kurzer Titel</h3>
        <p>Der erste Absatz des Artikels ist lang genug, um als Inhalt zu gelten, mit Punkt.</p>
        <p>Der zweite Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
        <h3>Mehr zum Thema</h3>
        <h3>Noch ein Titel</h3>
        <p>Der dritte Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
    </article></body></html>"#;
    let text = extract(page).text;
    assert!(text.starts_with("Lange habe ich diesen Artikel"), "{text}");
    assert!(!text.contains("Mehr zum Thema"), "{text}");
    assert!(text.contains("Noch ein Titel"), "{text}");
}

#[test]
fn a_header_named_for_the_article_keeps_its_standfirst_outside_article() {
    let page = r#"<html><body><div class="page">
        <div class="row article-header"><h1>Ein Titel</h1>
        <p class="lead">Der Kunststoff-Hersteller will seine Anlagen bis zum Jahr 2035 vollständig umstellen.</p></div>
        <div class="text"><p>Der erste Absatz des Artikels ist lang genug, um als Inhalt zu gelten, mit Punkt.</p>
        <p>Der zweite Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
        <p>Der dritte Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p></div>
        <div class="site-header"><p>Ein Satz im Kopf der Seite, der lang genug ist, um als Text zu gelten.</p></div>
    </div></body></html>"#;
    let text = extract(page).text;
    assert!(text.starts_with("Der Kunststoff-Hersteller"), "{text}");
    assert!(!text.contains("Kopf der Seite"), "{text}");
}

#[test]
fn teaser_cards_after_the_article_are_dropped_with_their_heading() {
    let card = |n: u32| {
        format!(
            r#"<div class="teaser"><h3><a href="/a{n}">Ein Titel eines anderen Artikels Nummer {n}</a></h3>
            <p>Eine kurze Beschreibung des anderen Artikels, lang genug, um als guter Text zu gelten.</p></div>"#
        )
    };
    let page = format!(
        r#"<html><body><article>
        <p>Der erste Absatz des Artikels ist lang genug, um als Inhalt zu gelten, mit Punkt.</p>
        <p>Der zweite Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
        <p>Der dritte Absatz des Artikels ist ebenfalls lang genug, um als Inhalt zu gelten.</p>
        <h2>Mehr zum Thema</h2>{}{}{}
        </article></body></html>"#,
        card(1),
        card(2),
        card(3)
    );
    let text = extract(&page).text;
    assert!(text.contains("Der dritte Absatz"), "{text}");
    assert!(!text.contains("Eine kurze Beschreibung"), "{text}");
    assert!(!text.contains("Mehr zum Thema"), "{text}");
    let two = page.replace(&card(3), "");
    assert!(!extract(&two).text.contains("Eine kurze Beschreibung"));
    // One box of that kind is not a row of cards.
    let single = page.replace(&card(2), "").replace(&card(3), "");
    assert!(extract(&single).text.contains("Eine kurze Beschreibung"));
}
