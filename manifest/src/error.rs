//! [`ManifestError`]: a manifest that cannot be used, said in one sentence that names
//! the file, the line and the key path.

use std::path::PathBuf;

/// Why `pipeline.toml` was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read manifest {}: {error}", path.display())]
    Read {
        /// The manifest file, as given.
        path: PathBuf,
        /// Why reading failed.
        error: std::io::Error,
    },
    /// Not TOML at all; `line` is where the parser stopped.
    #[error("{file}: invalid TOML at line {line}: {message}")]
    Toml {
        /// The manifest file, as shown in messages.
        file: String,
        /// 1-based line of the syntax error.
        line: usize,
        /// The parser's message, on one line.
        message: String,
    },
    /// A refused key or value: `FILE line N: key.path: problem`.
    #[error("{file} line {line}: {key}: {message}")]
    Key {
        /// The manifest file, as shown in messages.
        file: String,
        /// 1-based line of the key, or of its nearest enclosing table when the key is absent.
        line: usize,
        /// The full dotted key path (`models.mlp.layers.1.units`).
        key: String,
        /// One sentence: what is wrong with the value.
        message: String,
    },
    /// A run's model spec table could not be serialized back to TOML.
    #[error("cannot write the model spec as TOML: {0}")]
    WriteSpec(#[from] toml::ser::Error),
}

impl ManifestError {
    /// The same refusal with a note after its sentence (`… (variant `x` of model `m`)`).
    pub fn with_note(self, note: &str) -> Self {
        match self {
            ManifestError::Key { file, line, key, message } => {
                ManifestError::Key { file, line, key, message: format!("{message} ({note})") }
            }
            other => other,
        }
    }
}

/// A TOML syntax error of `text` as (line, message), one line only.
pub(super) fn toml_syntax(text: &str, e: &toml::de::Error) -> (usize, String) {
    let line = e.span().map_or(1, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    (line, e.message().trim_end().replace('\n', "; "))
}
