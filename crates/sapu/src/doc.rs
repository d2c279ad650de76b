//! The document model: what flows between stages, and what a stage decides about it.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A removal reason code: snake_case, from the stage's documented set of codes.
///
/// Most codes are static; a few (such as `ind_below_threshold` in langid) are built from a
/// bounded set of values, hence the `Cow`.
pub type Reason = Cow<'static, str>;

/// One document: an id, its text, and free-form JSON metadata that stages annotate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Document {
    /// Stable identifier: from the input's id field, or derived from file path and line.
    pub id: String,
    /// The document text (plain UTF-8, lines separated by `\n`).
    pub text: String,
    /// Metadata carried from the input and added by stages.
    #[serde(default)]
    pub metadata: Map<String, Value>,
}

impl Document {
    /// A document with empty metadata.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Document {
            id: id.into(),
            text: text.into(),
            metadata: Map::new(),
        }
    }

    /// The language code a previous stage stored in `metadata.lang`, if any.
    pub fn lang(&self) -> Option<&str> {
        // Every document stage asks, so this is once per stage and document: a short map (the
        // usual few keys) is scanned, which costs less than hashing the key (SipHash).
        let v = if self.metadata.len() <= SCANNED_KEYS {
            self.metadata
                .iter()
                .find_map(|(k, v)| (k == "lang").then_some(v))
        } else {
            self.metadata.get("lang")
        };
        v.and_then(Value::as_str)
    }
}

/// Metadata maps up to this many keys are searched by [`Document::lang`] one key after the other.
const SCANNED_KEYS: usize = 8;

/// What a stage decided about one document.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The document goes on, possibly changed or annotated.
    Keep(Document),
    /// The document leaves the pipeline; the engine writes it to `removed/` with the stage name
    /// and this reason.
    Remove(Document, Reason),
}

impl Outcome {
    /// Remove with a static reason code.
    pub fn remove(doc: Document, reason: &'static str) -> Self {
        Outcome::Remove(doc, Cow::Borrowed(reason))
    }

    /// The document, whatever the decision.
    pub fn into_document(self) -> Document {
        match self {
            Outcome::Keep(d) | Outcome::Remove(d, _) => d,
        }
    }

    /// The reason, when removed.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Keep(_) => None,
            Outcome::Remove(_, r) => Some(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan of short maps finds what the map's own look-up finds, at every size around the
    /// threshold, with `lang` first, last, absent or not a string.
    #[test]
    fn lang_scan_agrees_with_the_map_lookup() {
        for keys in 0..=SCANNED_KEYS + 2 {
            for at in 0..=keys {
                for lang in [Some(Value::from("ind")), Some(Value::from(3)), None] {
                    let mut d = Document::new("d", "t");
                    for k in 0..=keys {
                        if let (true, Some(l)) = (k == at, &lang) {
                            d.metadata.insert("lang".into(), l.clone());
                        }
                        if k < keys {
                            d.metadata.insert(format!("key{k}"), Value::from(k));
                        }
                    }
                    let plain = d.metadata.get("lang").and_then(Value::as_str);
                    assert_eq!(d.lang(), plain, "{keys} keys, lang at {at}");
                }
            }
        }
        let mut d = Document::new("d", "t");
        d.metadata.insert("lang".into(), "eng".into());
        assert_eq!(d.lang(), Some("eng"));
    }
}
