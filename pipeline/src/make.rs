//! `pipeline make`: the manifest as make rules.
//!
//! One rule per stage output. Its prerequisites are the stage's inputs plus a
//! per-stage parameter file under `OUT/specs/` (the model spec `RUN.toml` for a
//! training run, the exact command line `NAME.cmd` for the other stages) that is
//! rewritten only when its content changes: a parameter change makes exactly that
//! file newer than the stage's output, so make re-runs that stage and, through
//! the file dates, every stage below it, and nothing else.

mod render;
pub use render::{render, write_spec_files};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::manifest::{FeatureSet, Manifest};
pub use crate::plan::{command_line, SpecFile, STAGE_BINARIES};
use anyhow::{bail, Result};

/// How many images of a HOG feature set `features hog --visualize` draws for the report.
pub const HOG_PICTURES: usize = 3;

/// Where a HOG feature set's pictures go: `OUT/features/SET/pictures/hog-00000.png` ….
pub fn hog_pictures_dir(m: &Manifest, feature_set: &str) -> PathBuf {
    m.feature_split_path(feature_set, "train").with_file_name("pictures")
}

/// The split whose first images are drawn: the first split of the set's dataset.
pub fn hog_pictures_split(m: &Manifest, f: &FeatureSet) -> Option<String> {
    m.dataset(&f.from)?.splits().into_iter().next()
}

/// One make rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// What the rule is for, as a comment above it.
    pub comment: String,
    /// Outputs; several are written as a grouped target (`a b &: …`, GNU make ≥ 4.3).
    pub targets: Vec<String>,
    pub prerequisites: Vec<String>,
    /// Things that must exist but whose date does not matter (binaries, the runtime).
    pub order_only: Vec<String>,
    /// Shell commands, already quoted; `$(BIN)` is left for make to expand.
    pub commands: Vec<String>,
}

/// Everything `pipeline make` produces for a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct MakePlan {
    pub rules: Vec<Rule>,
    pub spec_files: Vec<SpecFile>,
    /// Phony names (`mlp`, `hog`, `report`, …) → the outputs they stand for.
    pub phony: Vec<(String, Vec<String>)>,
}

/// Quotes a word for `sh` (only when needed) and escapes `$` for make.
pub fn shell_word(w: &str) -> String {
    let plain =
        !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "_./:=,+-@%".contains(c));
    let quoted = if plain { w.to_string() } else { format!("'{}'", w.replace('\'', r"'\''")) };
    quoted.replace('$', "$$")
}

/// A path as make sees it; make cannot quote, so refuse what it would misread.
pub fn make_path(p: &Path) -> Result<String> {
    let s = p.to_string_lossy().into_owned();
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || "#$:;%\\*?[]|=".contains(c)) {
        bail!("path `{s}` cannot be a make target or prerequisite (no spaces or # $ : ; % \\ * ? [ ] | =)");
    }
    Ok(s)
}

/// Builds the rules, spec files and phony targets of `m`: the nodes of its one-shard
/// [`plan`](crate::plan::plan), each as a rule whose targets are the node's outputs
/// and whose prerequisites are its inputs.
pub fn plan(m: &Manifest) -> Result<MakePlan> {
    let p = crate::plan::plan(m, 1)?;
    let rules = p
        .nodes
        .into_iter()
        .map(|n| {
            let mut order_only: Vec<String> = n
                .commands
                .iter()
                .filter(|c| STAGE_BINARIES.contains(&c[0].as_str()))
                .map(|c| format!("$(BIN)/{}", c[0]))
                .take(1)
                .collect();
            if n.needs_runtime {
                order_only.push("$(PIPELINE_RUNTIME)".into());
            }
            Rule {
                comment: n.comment,
                targets: n.outputs,
                prerequisites: n.inputs,
                order_only,
                commands: n.commands.iter().map(|c| command_line(c)).collect(),
            }
        })
        .collect();
    Ok(MakePlan { rules, spec_files: p.spec_files, phony: p.phony })
}
