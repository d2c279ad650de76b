//! Recipes: a TOML pipeline description turned into built stages, with every problem reported
//! at its file and line before any input is read.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::stage::{self, BuildContext, ConfigProblem, Stage};

/// The `[input]` table: how records are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InputConfig {
    /// JSON field holding the document text.
    pub text_field: String,
    /// JSON field holding the document id; missing ids are derived from file path and line.
    pub id_field: String,
    /// Longest accepted record (one JSON line, or one text/HTML file), in bytes. Longer records
    /// are quarantined with reason `read/record_too_long`, their first KiB kept for audit.
    pub max_record_bytes: u64,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            text_field: "text".into(),
            id_field: "id".into(),
            max_record_bytes: 64 << 20,
        }
    }
}

/// The `[output]` table: how kept and removed documents are written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputConfig {
    /// `jsonl`, `jsonl.gz`, `jsonl.zst` or `parquet`.
    pub format: String,
    /// Start a new part file once the current one holds this many uncompressed bytes.
    pub shard_bytes: u64,
    /// Compression level for `jsonl.zst` (1-19), `jsonl.gz` (0-9) or `parquet` (zstd, 1-22).
    pub compression_level: i32,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            format: "jsonl.zst".into(),
            shard_bytes: 256 << 20,
            compression_level: 3,
        }
    }
}

/// Output formats the writer knows.
pub const OUTPUT_FORMATS: &[&str] = &["jsonl", "jsonl.gz", "jsonl.zst", "parquet"];

/// A parsed recipe with its stages built and ready to run.
pub struct Recipe {
    /// The `[input]` table.
    pub input: InputConfig,
    /// The `[output]` table.
    pub output: OutputConfig,
    /// The stages, in order.
    pub stages: Vec<Stage>,
    /// The recipe text it was built from (identifies the recipe when a run resumes).
    pub source: String,
}

/// Every problem found in a recipe, each with its origin and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// One message per problem, already formatted `origin:line: ...`.
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.problems.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

impl Recipe {
    /// Parse and build a recipe. `origin` names it in messages (a file path, or `<default>`).
    pub fn parse(text: &str, origin: &str) -> Result<Recipe, ConfigError> {
        let spans = SpanIndex::new(text, origin)?;
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError {
            problems: vec![format!("{origin}: {}", first_line(&e.to_string()))],
        })?;
        let mut problems = Vec::new();
        for key in table.keys() {
            if !["input", "stages", "output"].contains(&key.as_str()) {
                let mut msg = format!("{}: unknown section `{key}`", spans.at_key(&[key]));
                if let Some(c) = closest(key, ["input", "stages", "output"].into_iter()) {
                    msg.push_str(&format!("; did you mean `{c}`?"));
                }
                problems.push(msg);
            }
        }
        let input: InputConfig = section(&table, "input", &spans, &mut problems);
        let output: OutputConfig = section(&table, "output", &spans, &mut problems);
        if !OUTPUT_FORMATS.contains(&output.format.as_str()) {
            problems.push(format!(
                "{}: output `format` must be one of {} (got `{}`)",
                spans.at_key(&["output", "format"]),
                OUTPUT_FORMATS.join(", "),
                output.format
            ));
        }
        let ctx = BuildContext {
            text_field: input.text_field.clone(),
        };
        let mut stages = Vec::new();
        match table.get("stages") {
            None => {}
            Some(toml::Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    match build_stage(i, item, &ctx, &spans) {
                        Ok(s) => stages.push(s),
                        Err(mut p) => problems.append(&mut p),
                    }
                }
            }
            Some(_) => problems.push(format!(
                "{}: `stages` must be an array of tables, written [[stages]]",
                spans.at_key(&["stages"])
            )),
        }
        if problems.is_empty() {
            Ok(Recipe {
                input,
                output,
                stages,
                source: text.to_string(),
            })
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The built-in default recipe.
    pub fn default_recipe() -> Recipe {
        match Recipe::parse(&default_recipe_toml(), "<default recipe>") {
            Ok(r) => r,
            Err(e) => panic!("the built-in default recipe does not build: {e}"),
        }
    }
}

/// The built-in default recipe as TOML, as `sapu config --default` prints it.
pub fn default_recipe_toml() -> String {
    let mut out = String::from(
        "# sapu default recipe: every stage with its default parameters.\n\
         # Copy it, edit it, pass it with `sapu run --config FILE`.\n\n",
    );
    out.push_str("[input]\n");
    out.push_str(&toml::to_string(&InputConfig::default()).unwrap_or_default());
    for entry in stage::REGISTRY.iter().filter(|e| e.in_default_recipe) {
        let mut table = toml::Table::new();
        table.insert("type".into(), entry.name.into());
        table.extend((entry.default_table)());
        let mut wrapper = toml::Table::new();
        wrapper.insert("stages".into(), toml::Value::Array(vec![table.into()]));
        out.push_str(&format!("\n# {}\n", entry.summary));
        out.push_str(&toml::to_string(&wrapper).unwrap_or_default());
    }
    out.push_str("\n[output]\n");
    out.push_str(&toml::to_string(&OutputConfig::default()).unwrap_or_default());
    out
}

fn build_stage(
    index: usize,
    item: &toml::Value,
    ctx: &BuildContext,
    spans: &SpanIndex,
) -> Result<Stage, Vec<String>> {
    let at = spans.at_stage(index, None);
    let Some(table) = item.as_table() else {
        return Err(vec![format!("{at}: stage {} must be a table", index + 1)]);
    };
    let Some(type_name) = table.get("type").and_then(toml::Value::as_str) else {
        return Err(vec![format!(
            "{at}: stage {} has no `type`; known types: {}",
            index + 1,
            stage::names().join(", ")
        )]);
    };
    let Some(entry) = stage::find(type_name) else {
        let mut msg = format!(
            "{}: stage {}: unknown stage type `{type_name}`",
            spans.at_stage(index, Some("type")),
            index + 1
        );
        match closest(type_name, stage::names().into_iter()) {
            Some(c) => msg.push_str(&format!("; did you mean `{c}`?")),
            None => msg.push_str(&format!("; known types: {}", stage::names().join(", "))),
        }
        return Err(vec![msg]);
    };
    let mut params = table.clone();
    params.remove("type");
    (entry.build)(toml::Value::Table(params), ctx).map_err(|problems| {
        problems
            .into_iter()
            .map(|p| {
                format!(
                    "{}: stage {} ({type_name}): {}",
                    spans.at_stage(index, p.key.as_deref()),
                    index + 1,
                    p.message
                )
            })
            .collect()
    })
}

fn section<T: Default + serde::de::DeserializeOwned + Serialize>(
    table: &toml::Table,
    name: &str,
    spans: &SpanIndex,
    problems: &mut Vec<String>,
) -> T {
    let Some(value) = table.get(name) else {
        return T::default();
    };
    let mut unknown = Vec::new();
    match serde_ignored::deserialize(value.clone(), |p| unknown.push(p.to_string())) {
        Ok(v) => {
            let known = match toml::Value::try_from(T::default()) {
                Ok(toml::Value::Table(t)) => t.keys().cloned().collect::<Vec<_>>(),
                _ => Vec::new(),
            };
            for key in unknown {
                let mut msg = format!(
                    "{}: unknown key `{key}` in [{name}]",
                    spans.at_key(&[name, &key])
                );
                if let Some(c) = closest(&key, known.iter().map(String::as_str)) {
                    msg.push_str(&format!("; did you mean `{c}`?"));
                }
                problems.push(msg);
            }
            v
        }
        Err(e) => {
            let p = ConfigProblem {
                key: None,
                message: first_line(&e.to_string()),
            };
            problems.push(format!(
                "{}: [{name}]: {}",
                spans.at_key(&[name]),
                p.message
            ));
            T::default()
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The name in `candidates` closest to `name` by edit distance, if close enough to suggest.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= (c.len().max(name.len()) / 3).max(2) || c.contains(name))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Line numbers of keys and stage tables in the recipe text, for messages.
struct SpanIndex {
    origin: String,
    text: String,
    doc: toml_edit::ImDocument<String>,
}

impl SpanIndex {
    fn new(text: &str, origin: &str) -> Result<Self, ConfigError> {
        let doc = toml_edit::ImDocument::parse(text.to_string()).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            ConfigError {
                problems: vec![format!("{origin}:{line}: {}", first_line(e.message()))],
            }
        })?;
        Ok(SpanIndex {
            origin: origin.to_string(),
            text: text.to_string(),
            doc,
        })
    }

    fn place(&self, offset: Option<usize>) -> String {
        match offset {
            Some(o) => format!("{}:{}", self.origin, line_of(&self.text, o)),
            None => self.origin.clone(),
        }
    }

    fn at_key(&self, path: &[&str]) -> String {
        let mut item = self.doc.as_item();
        let mut offset = None;
        for key in path {
            let Some(table) = item.as_table_like() else {
                break;
            };
            let Some((k, v)) = table.get_key_value(key) else {
                break;
            };
            offset = k.span().map(|s| s.start).or(offset);
            if let Some(s) = v.span() {
                offset = offset.or(Some(s.start));
            }
            item = v;
        }
        self.place(offset)
    }

    fn at_stage(&self, index: usize, key: Option<&str>) -> String {
        let table = self
            .doc
            .get("stages")
            .and_then(|s| s.as_array_of_tables())
            .and_then(|a| a.get(index));
        let Some(table) = table else {
            return self.place(None);
        };
        let key_offset = key
            .and_then(|k| table.get_key_value(k.split('.').next().unwrap_or(k)))
            .and_then(|(k, _)| k.span())
            .map(|s| s.start);
        self.place(key_offset.or(table.span().map(|s| s.start)))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
