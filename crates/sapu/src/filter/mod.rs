//! Quality filters: Gopher repetition, Gopher quality, C4 and FineWeb rules with datatrove
//! 0.10's parameters, defaults and reason codes, per-language settings (FineWeb-2's Indonesian
//! and Malay built in) and an `annotate_only` mode that writes quality signals instead of removing.

pub mod c4_quality;
pub mod fineweb_quality;
pub mod gopher_quality;
pub mod gopher_repetition;
pub mod languages;
mod table;

/// One document, optionally tagged with `metadata.lang`, through a filter built from `config`:
/// the helper every filter's tests use.
#[cfg(test)]
pub(crate) fn run_with<C: crate::stage::StageConfig>(
    config: C,
    text: &str,
    lang: Option<&str>,
) -> crate::Outcome {
    use crate::stage::{BuildContext, Stage, StageStats};
    let Ok(Stage::Doc(stage)) = config.build(&BuildContext::default()) else {
        panic!("the filter config should build")
    };
    let mut doc = crate::Document::new("t", text);
    if let Some(l) = lang {
        doc.metadata.insert("lang".into(), l.into());
    }
    stage.process(doc, &mut StageStats::default())
}

#[cfg(test)]
mod tests {
    use crate::config::Recipe;
    use crate::stage::{Stage, StageStats};
    use crate::{Document, Outcome};

    /// The document stages of the built-in default recipe, in order, on one document.
    fn default_recipe(text: &str) -> Outcome {
        let mut doc = Document::new("t", text);
        for stage in &Recipe::default_recipe().stages {
            if let Stage::Doc(s) = stage {
                match s.process(doc, &mut StageStats::default()) {
                    Outcome::Keep(d) => doc = d,
                    removed => return removed,
                }
            }
        }
        Outcome::Keep(doc)
    }

    /// Issue 5: clean runs before the repetition filters in the default recipe, so the
    /// reference article, whose scraper repeated its body, is repaired and kept with the body
    /// once; the repetition filter alone would have removed it.
    #[test]
    fn default_recipe_keeps_the_reference_article_with_its_body_once() {
        let raw = include_str!("../../tests/fixtures/clean/raw-news-id.txt");
        let expected = include_str!("../../tests/fixtures/clean/raw-news-id.expected.txt");
        let Outcome::Keep(doc) = default_recipe(raw) else {
            panic!("the default recipe removed the reference article")
        };
        assert_eq!(doc.text.trim(), expected.trim());
        assert_eq!(doc.lang(), Some("ind"));

        let mut alone = Document::new("t", raw);
        alone.metadata.insert("lang".into(), "ind".into());
        let repetition = Recipe::default_recipe()
            .stages
            .into_iter()
            .find_map(|s| match s {
                Stage::Doc(s) if s.name() == "gopher_repetition" => Some(s),
                _ => None,
            })
            .expect("gopher_repetition is in the default recipe");
        let out = repetition.process(alone, &mut StageStats::default());
        assert!(
            out.reason().is_some(),
            "the raw article passes the repetition filter"
        );
    }
}
