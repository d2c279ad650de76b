//! The one table of every stage sapu knows: adding a stage adds one line to `REGISTRY`.
//!
//! The order of the table is the order of the default recipe and of the docs.

use super::{BuildContext, ConfigProblem, Stage, StageConfig, StageKind};

/// One registered stage type.
pub struct StageEntry {
    /// The type name written in recipes.
    pub name: &'static str,
    /// Document or corpus stage.
    pub kind: StageKind,
    /// One line for the docs.
    pub summary: &'static str,
    /// Every reason code the stage may remove a document with.
    pub reasons: &'static [&'static str],
    /// Whether the built-in default recipe includes this stage.
    pub in_default_recipe: bool,
    /// Deserialise a recipe table (without its `type` key) and build the stage.
    pub build: fn(toml::Value, &BuildContext) -> Result<Stage, Vec<ConfigProblem>>,
    /// The stage's default config as a TOML table, for `sapu config --default` and suggestions.
    pub default_table: fn() -> toml::Table,
}

const fn entry<C: StageConfig>(in_default_recipe: bool) -> StageEntry {
    StageEntry {
        name: C::NAME,
        kind: C::KIND,
        summary: C::SUMMARY,
        reasons: C::REASONS,
        in_default_recipe,
        build: build_from_table::<C>,
        default_table: default_table::<C>,
    }
}

/// Every stage, in pipeline order. `true` marks the stages of the default recipe.
pub static REGISTRY: &[StageEntry] = &[
    entry::<crate::extract::ExtractConfig>(true),
    entry::<crate::clean::CleanConfig>(true),
    entry::<crate::langid::LangidConfig>(true),
    entry::<crate::filter::gopher_repetition::GopherRepetitionConfig>(true),
    entry::<crate::filter::gopher_quality::GopherQualityConfig>(true),
    entry::<crate::filter::c4_quality::C4QualityConfig>(true),
    entry::<crate::filter::fineweb_quality::FineWebQualityConfig>(true),
    entry::<crate::dedup::ExactDedupConfig>(true),
    entry::<crate::dedup::MinHashDedupConfig>(true),
    entry::<crate::dedup::LineDedupConfig>(false),
];

/// The entry for a type name.
pub fn find(name: &str) -> Option<&'static StageEntry> {
    REGISTRY.iter().find(|e| e.name == name)
}

/// All registered type names, in table order.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|e| e.name).collect()
}

fn default_table<C: StageConfig>() -> toml::Table {
    match toml::Value::try_from(C::default()) {
        Ok(toml::Value::Table(t)) => t,
        // A config that does not serialise to a table is a programming error caught by the
        // registry test.
        _ => toml::Table::new(),
    }
}

fn build_from_table<C: StageConfig>(
    table: toml::Value,
    ctx: &BuildContext,
) -> Result<Stage, Vec<ConfigProblem>> {
    let mut unknown = Vec::new();
    let config: C = serde_ignored::deserialize(table, |path| unknown.push(path.to_string()))
        .map_err(|e| vec![ConfigProblem::from_serde(&e.to_string())])?;
    if !unknown.is_empty() {
        let known: Vec<String> = default_table::<C>().keys().cloned().collect();
        return Err(unknown
            .iter()
            .map(|key| {
                let mut message = format!("unknown key `{key}`");
                if let Some(close) = crate::config::closest(key, known.iter().map(String::as_str)) {
                    message.push_str(&format!("; did you mean `{close}`?"));
                }
                ConfigProblem::key(key, message)
            })
            .collect());
    }
    config.build(ctx)
}

impl ConfigProblem {
    /// A type error reported by the deserialiser, with the key it names when it names one.
    fn from_serde(text: &str) -> Self {
        let key = text
            .split("for key `")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string);
        ConfigProblem {
            key,
            message: text.lines().next().unwrap_or(text).trim().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for e in REGISTRY {
            assert!(seen.insert(e.name), "duplicate stage name {}", e.name);
            assert!(
                e.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{} is not snake_case",
                e.name
            );
            assert!(!e.summary.is_empty(), "{} has no summary", e.name);
            for r in e.reasons {
                assert!(
                    r.chars().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || c == '_'
                        || c == '<'
                        || c == '>'),
                    "{}: reason {r} is not snake_case",
                    e.name
                );
            }
        }
    }

    #[test]
    fn every_default_config_round_trips_and_builds() {
        for e in REGISTRY {
            let table = (e.default_table)();
            let text = toml::to_string(&table).unwrap();
            let back: toml::Table = toml::from_str(&text).unwrap();
            assert_eq!(back, table, "{} default config does not round-trip", e.name);
            let built = (e.build)(toml::Value::Table(table), &BuildContext::default());
            assert!(built.is_ok(), "{} default config does not build", e.name);
        }
    }
}
