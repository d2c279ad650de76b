//! Per-language settings of the quality filters: which language a document is in, FineWeb-2's
//! built-in Indonesian (`ind_Latn`) and Standard Malay (`zsm_Latn`) settings, and the machinery
//! that turns a config plus its `language_settings` overrides into one set of rules per language.
//!
//! FineWeb-2 values: huggingface/fineweb-2 `configs/ind_Latn.yml`, `configs/zsm_Latn.yml` and the
//! fixed overrides of `fineweb-2-pipeline.py` (paragraph checks and `dup_line_char_frac` off,
//! `short_line_thr = 999`, `char_duplicates_ratio = 0.1`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{de::DeserializeOwned, Serialize};
use serde_json::{Map, Value};

use crate::doc::{Document, Outcome};
use crate::stage::ConfigProblem;
use crate::text::words::WordRules;

/// Keys of a filter config that are not thresholds and cannot vary per language.
pub(crate) const NOT_PER_LANGUAGE: &[&str] = &[
    "language",
    "fallback_language",
    "annotate_only",
    "language_settings",
    "languages",
];

/// FineWeb-2 stop words for Indonesian (`ind_Latn.yml`).
pub(crate) const IND_STOP_WORDS: &[&str] = &[
    "dan", "yang", "di", "pada", "dari", "ini", "dengan", "adalah", "untuk", "dalam",
];
/// FineWeb-2 stop words for Standard Malay (`zsm_Latn.yml`).
pub(crate) const ZSM_STOP_WORDS: &[&str] = &[
    "dan", "di", "yang", "pada", "dalam", "dengan", "untuk", "ini",
];

/// The built-in `language_settings` of a filter: FineWeb-2's values for `ind` and `zsm`.
pub(crate) fn fineweb2_settings(filter: &str) -> BTreeMap<String, toml::Table> {
    let mut out = BTreeMap::new();
    for lang in ["ind", "zsm"] {
        let ind = lang == "ind";
        let mut t = toml::Table::new();
        let pairs = |v: &[(i64, f64)]| {
            toml::Value::Array(
                v.iter()
                    .map(|&(n, f)| toml::Value::Array(vec![n.into(), f.into()]))
                    .collect(),
            )
        };
        match filter {
            "gopher_repetition" => {
                t.insert("dup_para_frac".into(), 0.0.into());
                t.insert("dup_para_char_frac".into(), 0.0.into());
                t.insert("dup_line_char_frac".into(), 0.0.into());
                t.insert(
                    "dup_line_frac".into(),
                    (if ind { 0.25 } else { 0.375 }).into(),
                );
                let top: &[(i64, f64)] = if ind {
                    &[(2, 0.088), (3, 0.104), (4, 0.12)]
                } else {
                    &[(2, 0.087), (3, 0.104), (4, 0.115)]
                };
                t.insert("top_n_grams".into(), pairs(top));
                let dup: &[(i64, f64)] = if ind {
                    &[
                        (5, 0.176),
                        (6, 0.158),
                        (7, 0.142),
                        (8, 0.128),
                        (9, 0.119),
                        (10, 0.109),
                    ]
                } else {
                    &[
                        (5, 0.244),
                        (6, 0.225),
                        (7, 0.212),
                        (8, 0.201),
                        (9, 0.192),
                        (10, 0.183),
                    ]
                };
                t.insert("dup_n_grams".into(), pairs(dup));
            }
            "gopher_quality" => {
                t.insert("min_avg_word_length".into(), 3.0.into());
                t.insert(
                    "max_avg_word_length".into(),
                    (if ind { 11.0 } else { 10.0 }).into(),
                );
                t.insert(
                    "min_alpha_words_ratio".into(),
                    (if ind { 0.805 } else { 0.808 }).into(),
                );
                let words = if ind { IND_STOP_WORDS } else { ZSM_STOP_WORDS };
                t.insert(
                    "stop_words".into(),
                    toml::Value::Array(words.iter().map(|w| (*w).into()).collect()),
                );
            }
            "fineweb_quality" => {
                t.insert("line_punct_thr".into(), 0.25.into());
                t.insert("short_line_thr".into(), 999.0.into());
                t.insert("char_duplicates_ratio".into(), 0.1.into());
                t.insert(
                    "new_line_ratio".into(),
                    (if ind { 0.222 } else { 0.25 }).into(),
                );
            }
            _ => {}
        }
        if !t.is_empty() {
            out.insert(lang.to_string(), t);
        }
    }
    out
}

/// A language code as the filters compare it: ISO 639-3, without a script suffix (`ind_Latn`
/// -> `ind`); the common ISO 639-1 codes are mapped (`id` -> `ind`, `ms` -> `zsm`, `en` -> `eng`).
pub fn normalize_language(code: &str) -> String {
    normalized(code).into_owned()
}

/// [`normalize_language`] without allocating when the code is already normal (`ind`, `eng`).
fn normalized(code: &str) -> Cow<'_, str> {
    let base = code.split(['_', '-']).next().unwrap_or(code);
    let base = if base.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(base.to_ascii_lowercase())
    } else {
        Cow::Borrowed(base)
    };
    match base.as_ref() {
        "en" => "eng".into(),
        "id" => "ind".into(),
        "ms" => "zsm".into(),
        _ => base,
    }
}

/// How a filter picks the language of a document.
#[derive(Debug, Clone)]
pub(crate) struct LanguagePick {
    /// A fixed language, or `None` for "auto" (from `metadata.lang`).
    fixed: Option<String>,
    fallback: String,
}

impl LanguagePick {
    pub(crate) fn new(language: &str, fallback: &str) -> Self {
        LanguagePick {
            fixed: (language != "auto").then(|| normalize_language(language)),
            fallback: normalize_language(fallback),
        }
    }

    /// The document's language: the fixed one, else `metadata.lang`, else the fallback.
    pub(crate) fn of<'a>(&'a self, doc: &'a Document) -> Cow<'a, str> {
        match &self.fixed {
            Some(l) => Cow::Borrowed(l),
            None => doc
                .lang()
                .filter(|l| !l.is_empty())
                .map(normalized)
                .unwrap_or(Cow::Borrowed(&self.fallback)),
        }
    }
}

/// Checks the shared language keys of a filter config.
pub(crate) fn check_language_keys(language: &str, fallback: &str) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    let ok = |c: &str| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
    if !ok(language) {
        problems.push(ConfigProblem::key(
            "language",
            format!(
                "`language` must be \"auto\" or a language code such as \"ind\" (got {language:?})"
            ),
        ));
    }
    if !ok(fallback) {
        problems.push(ConfigProblem::key(
            "fallback_language",
            format!(
                "`fallback_language` must be a language code such as \"eng\" (got {fallback:?})"
            ),
        ));
    }
    problems
}

/// One set of rules per language: the config itself for languages without settings, and the
/// config with each `language_settings.<lang>` table applied on top for the others.
pub(crate) struct PerLanguage<R> {
    default: R,
    /// A few languages at most: a list is faster to search than a hash map.
    by_language: Vec<(String, R)>,
}

impl<R> PerLanguage<R> {
    /// Builds the rules of `config` and of each of its per-language variants with `make`.
    pub(crate) fn build<C>(
        config: &C,
        settings: &BTreeMap<String, toml::Table>,
        make: impl Fn(&C, &str) -> Result<R, Vec<ConfigProblem>>,
    ) -> Result<Self, Vec<ConfigProblem>>
    where
        C: Serialize + DeserializeOwned,
    {
        let mut problems = Vec::new();
        let default = make(config, "");
        let base = match toml::Value::try_from(config) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        let mut by_language: Vec<(String, R)> = Vec::new();
        for (lang, overrides) in settings {
            let prefix = format!("language_settings.{lang}");
            let mut merged = base.clone();
            for (k, v) in overrides {
                if NOT_PER_LANGUAGE.contains(&k.as_str()) || !base.contains_key(k) {
                    problems.push(ConfigProblem::key(
                        &format!("{prefix}.{k}"),
                        format!("unknown per-language key `{k}` in `{prefix}`"),
                    ));
                } else {
                    merged.insert(k.clone(), v.clone());
                }
            }
            match toml::Value::Table(merged).try_into::<C>() {
                Ok(c) => match make(&c, &prefix) {
                    Ok(r) => {
                        let lang = normalize_language(lang);
                        by_language.retain(|(l, _)| *l != lang);
                        by_language.push((lang, r));
                    }
                    // Problems of keys this language does not override are the base config's,
                    // reported once without the prefix.
                    Err(p) => problems.extend(p.into_iter().filter(|p| {
                        p.key
                            .as_deref()
                            .and_then(|k| k.rsplit('.').next())
                            .is_some_and(|k| overrides.contains_key(k))
                    })),
                },
                Err(e) => problems.push(ConfigProblem::key(
                    &prefix,
                    format!("`{prefix}`: {}", e.to_string().lines().next().unwrap_or("")),
                )),
            }
        }
        match default {
            Ok(default) if problems.is_empty() => Ok(PerLanguage {
                default,
                by_language,
            }),
            Ok(_) => Err(problems),
            Err(mut p) => {
                p.extend(problems);
                Err(p)
            }
        }
    }

    /// The rules for a (normalised) language code.
    pub(crate) fn get(&self, lang: &str) -> &R {
        self.by_language
            .iter()
            .find(|(l, _)| l == lang)
            .map_or(&self.default, |(_, r)| r)
    }
}

/// The word rules datatrove would use for a language.
pub(crate) fn word_rules(lang: &str) -> WordRules {
    WordRules::for_language(lang)
}

/// Quality signals being measured for one document: in filter mode the first failed check
/// stops the work; with `annotate_only` every value is written to `metadata.quality`.
pub(crate) struct Signals {
    values: Option<Map<String, Value>>,
    /// The first check that failed, if any.
    pub(crate) failed: Option<std::borrow::Cow<'static, str>>,
}

impl Signals {
    pub(crate) fn new(annotate: bool) -> Self {
        Signals {
            values: annotate.then(Map::new),
            failed: None,
        }
    }

    /// Whether values are being collected (so every check must run).
    pub(crate) fn annotating(&self) -> bool {
        self.values.is_some()
    }

    /// Record one measured value and whether its check failed; returns `true` when the caller
    /// should stop (a check failed and nothing is being annotated).
    pub(crate) fn check(
        &mut self,
        reason: impl Into<std::borrow::Cow<'static, str>>,
        value: impl Into<Value>,
        failed: bool,
    ) -> bool {
        let reason = reason.into();
        if let Some(v) = &mut self.values {
            let value = value.into();
            // NaN and infinities have no JSON form.
            let value = match value.as_f64() {
                Some(f) if !f.is_finite() => Value::Null,
                _ => value,
            };
            v.insert(reason.to_string(), value);
        }
        if failed && self.failed.is_none() {
            self.failed = Some(reason);
        }
        self.failed.is_some() && self.values.is_none()
    }

    /// Write the collected values under `metadata.quality`.
    /// The filter's decision: when annotating, the values are written and the document kept;
    /// otherwise it is removed with the first failed check, if any.
    pub(crate) fn into_outcome(self, mut doc: Document) -> Outcome {
        if self.annotating() {
            self.write(&mut doc);
            return Outcome::Keep(doc);
        }
        match self.failed {
            Some(reason) => Outcome::Remove(doc, reason),
            None => Outcome::Keep(doc),
        }
    }

    pub(crate) fn write(self, doc: &mut Document) {
        if let Some(values) = self.values {
            let q = doc
                .metadata
                .entry("quality")
                .or_insert_with(|| Value::Object(Map::new()));
            if !q.is_object() {
                *q = Value::Object(Map::new());
            }
            if let Value::Object(m) = q {
                m.extend(values);
            }
        }
    }
}

/// A ratio rounded to 6 decimals for metadata (avoids float noise in the output).
pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The config key of a setting: `k` itself, or `PREFIX.k` inside a per-language table.
pub(crate) fn setting_key(prefix: &str, k: &str) -> String {
    if prefix.is_empty() {
        k.to_string()
    } else {
        format!("{prefix}.{k}")
    }
}

/// One problem for each ratio or threshold that is negative or not a finite number.
pub(crate) fn non_negative(prefix: &str, values: &[(&str, f64)]) -> Vec<ConfigProblem> {
    values
        .iter()
        .filter(|(_, v)| !(*v >= 0.0 && v.is_finite()))
        .map(|(k, v)| {
            ConfigProblem::key(
                &setting_key(prefix, k),
                format!("`{k}` must be 0 or more (got {v})"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_language_codes() {
        for (code, want) in [
            ("ind", "ind"),
            ("ind_Latn", "ind"),
            ("id", "ind"),
            ("ms", "zsm"),
            ("zsm_Latn", "zsm"),
            ("en", "eng"),
            ("ENG", "eng"),
            ("jav", "jav"),
        ] {
            assert_eq!(normalize_language(code), want, "{code}");
        }
    }

    #[test]
    fn picks_language_from_metadata_then_fallback() {
        let auto = LanguagePick::new("auto", "eng");
        let mut doc = Document::new("a", "x");
        assert_eq!(auto.of(&doc), "eng");
        doc.metadata.insert("lang".into(), "ind_Latn".into());
        assert_eq!(auto.of(&doc), "ind");
        let fixed = LanguagePick::new("zsm", "eng");
        assert_eq!(fixed.of(&doc), "zsm");
    }

    #[test]
    fn word_rules_follow_datatrove_assignments() {
        assert_eq!(word_rules("ind"), WordRules::Indonesian);
        assert_eq!(word_rules("zsm"), WordRules::Malay);
        assert_eq!(word_rules("eng"), WordRules::English);
        assert_eq!(word_rules("fra"), WordRules::English);
    }

    #[test]
    fn fineweb2_settings_cover_ind_and_zsm() {
        let s = fineweb2_settings("gopher_repetition");
        assert_eq!(s["ind"]["dup_line_frac"].as_float(), Some(0.25));
        assert_eq!(s["zsm"]["dup_line_frac"].as_float(), Some(0.375));
        let q = fineweb2_settings("gopher_quality");
        assert_eq!(q["ind"]["stop_words"].as_array().map(Vec::len), Some(10));
        assert_eq!(q["zsm"]["max_avg_word_length"].as_float(), Some(10.0));
        assert!(fineweb2_settings("c4_quality").is_empty());
    }
}
