//! Words for `sh`, inside make or not: the one place that quotes. A plan's nodes hold
//! plain argv and paths; the make fragment and the parameter files (`OUT/specs/*.cmd`)
//! hold them as one shell line each, stage binaries as `$(BIN)/NAME`; `pipeline show`
//! prints them for a shell, stage binaries as `BIN/NAME`.

use std::path::Path;

use crate::error::{fail, Result};

/// The stage binaries the nodes call (`BIN/NAME`; make's `$(BIN)/NAME`).
pub const STAGE_BINARIES: &[&str] = &["ingest", "features", "train", "evaluate", "pipeline"];

/// Quotes a word for `sh`, only when needed (no make escaping: this is for a shell).
pub fn shell_quote(w: &str) -> String {
    let plain =
        !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "_./:=,+-@%".contains(c));
    if plain {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// An argv as one line for `sh`, stage binaries as `BIN/NAME`.
pub fn shell_line(argv: &[String], bin: &str) -> String {
    argv.iter()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 && STAGE_BINARIES.contains(&a.as_str()) {
                shell_quote(&format!("{bin}/{a}"))
            } else {
                shell_quote(a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Quotes a word for `sh` (only when needed) and escapes `$` for make.
pub fn shell_word(w: &str) -> String {
    shell_quote(w).replace('$', "$$")
}

/// An argv as one shell line, stage binaries as `$(BIN)/NAME` (make's form; also the
/// content of the parameter files, so a changed command re-runs its node).
pub fn command_line(argv: &[String]) -> String {
    let mut words = Vec::with_capacity(argv.len());
    for (i, a) in argv.iter().enumerate() {
        if i == 0 && STAGE_BINARIES.contains(&a.as_str()) {
            words.push(format!("$(BIN)/{a}"));
        } else {
            words.push(shell_word(a));
        }
    }
    words.join(" ")
}

/// A path as make sees it; make cannot quote, so refuse what it would misread.
pub fn make_path(p: &Path) -> Result<String> {
    let s = p.to_string_lossy().into_owned();
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || "#$:;%\\*?[]|=".contains(c)) {
        fail!(Plan, "path `{s}` cannot be a make target or prerequisite (no spaces or # $ : ; % \\ * ? [ ] | =)");
    }
    Ok(s)
}
