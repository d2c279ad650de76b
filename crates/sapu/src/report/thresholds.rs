//! Thresholds to draw on the quality-signal histograms.
//!
//! `summary.json` does not carry the recipe, so thresholds come from a recipe text (given in
//! [`ReportOptions::recipe`](super::ReportOptions) or found as `recipe.toml` in the run
//! directory) and from thresholds given explicitly. A recipe key `min_X` or `max_X` of any stage
//! is drawn on the histogram of signal `S` when X and S name the same words once spelling
//! variants are folded (`avg`/`mean`, plural, `frac`/`ratio`, and the filler words `doc`, `num`,
//! `count`, `n`): `max_dup_line_frac` matches `dup_line_frac`, `min_doc_words` matches
//! `word_count`, `min_avg_word_length` matches `mean_word_length`.

use std::collections::BTreeSet;

/// A threshold line on one signal's histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The signal it applies to: the key under `metadata.quality` (dotted when nested).
    pub signal: String,
    /// Where the line is drawn.
    pub value: f64,
    /// What it is, shown beside the line (`gopher_quality.min_doc_words`).
    pub label: String,
}

/// One numeric `min_*` / `max_*` key of a recipe stage.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RecipeLimit {
    pub stage: String,
    pub key: String,
    pub value: f64,
}

/// Every numeric `min_*` / `max_*` key of every `[[stages]]` table (nested tables included,
/// named by dotted path). An unparsable recipe has none.
pub(crate) fn recipe_limits(recipe: &str) -> Vec<RecipeLimit> {
    let Ok(table) = recipe.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(toml::Value::Array(stages)) = table.get("stages") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for stage in stages {
        let Some(t) = stage.as_table() else { continue };
        let name = t.get("type").and_then(|v| v.as_str()).unwrap_or("stage");
        walk(name, "", t, &mut out);
    }
    out
}

fn walk(stage: &str, prefix: &str, t: &toml::Table, out: &mut Vec<RecipeLimit>) {
    for (k, v) in t {
        let value = match v {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            toml::Value::Table(inner) => {
                walk(stage, &format!("{prefix}{k}."), inner, out);
                None
            }
            _ => None,
        };
        if let Some(value) = value.filter(|v| v.is_finite()) {
            if k.starts_with("min_") || k.starts_with("max_") {
                out.push(RecipeLimit {
                    stage: stage.to_string(),
                    key: format!("{prefix}{k}"),
                    value,
                });
            }
        }
    }
}

/// The recipe limits that apply to `signal`, as thresholds.
pub(crate) fn for_signal(signal: &str, limits: &[RecipeLimit]) -> Vec<Threshold> {
    let want = words(signal.rsplit('.').next().unwrap_or(signal));
    limits
        .iter()
        .filter(|l| {
            let last = l.key.rsplit('.').next().unwrap_or(&l.key);
            let stem = &last[4..];
            !want.is_empty() && words(stem) == want
        })
        .map(|l| Threshold {
            signal: signal.to_string(),
            value: l.value,
            label: format!("{}.{}", l.stage, l.key),
        })
        .collect()
}

/// The words of a snake_case name with spelling variants folded and filler words dropped.
fn words(name: &str) -> BTreeSet<String> {
    name.split(['_', '.', '-'])
        .filter_map(|w| {
            let w = w.to_ascii_lowercase();
            let w = match w.as_str() {
                "doc" | "docs" | "num" | "n" | "count" | "" => return None,
                "avg" | "average" => "mean".to_string(),
                "frac" | "fraction" | "ratio" | "share" => "ratio".to_string(),
                "len" => "length".to_string(),
                "chars" | "characters" | "character" => "char".to_string(),
                "dup" | "dupe" | "duplicate" | "duplicated" => "dup".to_string(),
                _ => w
                    .strip_suffix('s')
                    .filter(|s| s.len() > 2)
                    .map(str::to_string)
                    .unwrap_or(w),
            };
            Some(w)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECIPE: &str = r#"
[[stages]]
type = "gopher_quality"
min_doc_words = 50
max_doc_words = 100000
min_avg_word_length = 3
max_avg_word_length = 10.0
keep = "x"

[[stages]]
type = "gopher_repetition"
max_dup_line_frac = 0.3
"#;

    #[test]
    fn matches_recipe_limits_to_signals_by_words() {
        let limits = recipe_limits(RECIPE);
        assert_eq!(limits.len(), 5);
        let t = for_signal("word_count", &limits);
        assert_eq!(
            t.iter()
                .map(|t| (t.label.as_str(), t.value))
                .collect::<Vec<_>>(),
            // In recipe order.
            [
                ("gopher_quality.min_doc_words", 50.0),
                ("gopher_quality.max_doc_words", 100000.0)
            ]
        );
        assert_eq!(for_signal("mean_word_length", &limits).len(), 2);
        assert_eq!(for_signal("dup_line_frac", &limits)[0].value, 0.3);
        assert_eq!(for_signal("stop_word_ratio", &limits), vec![]);
    }

    #[test]
    fn bad_recipe_has_no_limits() {
        assert_eq!(recipe_limits("[[stages"), vec![]);
    }
}
