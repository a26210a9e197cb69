//! The one error type of this crate: which key is wrong, and why.

use std::fmt;

/// A parameter value that a stage would refuse.
///
/// `key` is the dotted path of the offending value inside the table that was
/// checked (`layers.1.units`, `optimizer.learning_rate`, `pixels_per_cell`), or
/// empty when the table as a whole is wrong. The pipeline manifest prefixes it with
/// the table's own path and looks up the line; a stage CLI prints `message` alone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParamError {
    /// Dotted path of the refused value within the checked table (`layers.1.units`); empty for the whole table.
    pub key: String,
    /// One sentence saying why the value is refused (the error's `Display`).
    pub message: String,
}

impl ParamError {
    /// An error at `key` (dotted path, or empty) with the sentence `message`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { key: key.into(), message: message.into() }
    }

    /// The same error one table further out: `key` becomes `prefix.key`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.key = join_key(prefix, &self.key);
        self
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// `a.b` from `a` and `b`, with either side possibly empty.
pub fn join_key(prefix: &str, key: &str) -> String {
    match (prefix.is_empty(), key.is_empty()) {
        (true, _) => key.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}.{key}"),
    }
}

/// Deserializes `T` from a TOML table, naming the key path of a type error
/// (`layers.1.units`) instead of none.
pub fn from_table<T: serde::de::DeserializeOwned>(table: toml::Table) -> Result<T, ParamError> {
    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
        let key = e
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                serde_path_to_error::Segment::Unknown => None,
            })
            .collect::<Vec<_>>()
            .join(".");
        // The message alone: toml's Display adds "in `key`" lines, the key is ours to give.
        let message = e.into_inner().message().trim_end().to_string();
        // serde's path stops at the table that holds an unknown key; name the key itself.
        let unknown = message.strip_prefix("unknown field `").and_then(|rest| rest.split_once('`'));
        let key = match unknown {
            Some((field, _)) if key != field && !key.ends_with(&format!(".{field}")) => {
                join_key(&key, field)
            }
            _ => key,
        };
        ParamError::new(key, message)
    })
}
