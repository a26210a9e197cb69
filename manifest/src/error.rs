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
    /// Not TOML at all; `line` is where the parser stopped. The sentence is followed by
    /// the line itself with a caret under the column, as compilers show it.
    #[error("{file}: invalid TOML at line {line}: {message}\n{snippet}")]
    Toml {
        /// The manifest file, as shown in messages.
        file: String,
        /// 1-based line of the syntax error.
        line: usize,
        /// The parser's message, on one line, with where an unclosed array opened.
        message: String,
        /// The offending line with its number and a caret (several lines of text).
        snippet: String,
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

/// A TOML syntax error of `text`: its line, its one-line message, and the snippet.
pub(super) fn toml_syntax(text: &str, e: &toml::de::Error) -> (usize, String, String) {
    let offset = e.span().map_or(0, |s| s.start.min(text.len()));
    let line = text[..offset].matches('\n').count() + 1;
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_text = text[line_start..].lines().next().unwrap_or("");
    let column = text[line_start..offset].chars().count();
    let mut message = e.message().trim_end().replace('\n', "; ");
    if let Some(open) = unclosed_array_line(&text[..offset]) {
        if open < line {
            message.push_str(&format!(" (the list opened on line {open} is not closed)"));
        }
    }
    let gutter = " ".repeat(line.to_string().len());
    let snippet = format!("{gutter} |\n{line} | {line_text}\n{gutter} | {}^", " ".repeat(column));
    (line, message, snippet)
}

/// The line of the innermost `[` of a value list still open at the end of `text`, if
/// any. Strings and comments are skipped; a table header (`[a.b]`) closes on its line.
fn unclosed_array_line(text: &str) -> Option<usize> {
    let mut open: Vec<usize> = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => line += 1,
            '#' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            '"' | '\'' => {
                // A one-line string: a multi-line one only makes the scan see an empty
                // string followed by more text, which opens no bracket that matters here.
                let quote = c;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' if quote == '"' => {
                            chars.next();
                        }
                        '\n' => {
                            line += 1;
                            break;
                        }
                        c if c == quote => break,
                        _ => {}
                    }
                }
            }
            '[' => open.push(line),
            ']' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.last().copied()
}

#[cfg(test)]
mod tests {
    use super::unclosed_array_line;

    #[test]
    fn finds_the_list_left_open() {
        assert_eq!(unclosed_array_line("[t]\na = [1,\n  2,\n\n[u]\n"), Some(2));
        assert_eq!(unclosed_array_line("[t]\na = [1, 2]\n"), None);
        assert_eq!(unclosed_array_line("a = \"[\"  # [\nb = ['x]', [3,\n"), Some(2));
    }
}
