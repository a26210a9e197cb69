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

use crate::error::Result;
use crate::manifest::Manifest;
pub use crate::plan::SpecFile;
pub use crate::shell::{command_line, make_path, shell_word, STAGE_BINARIES};

/// One make rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// What the rule is for, as a comment above it.
    pub comment: String,
    /// Outputs; several are written as a grouped target (`a b &: …`, GNU make ≥ 4.3).
    pub targets: Vec<String>,
    /// Inputs: the files whose newer dates re-run the rule (the node's inputs).
    pub prerequisites: Vec<String>,
    /// Things that must exist but whose date does not matter (binaries, the runtime).
    pub order_only: Vec<String>,
    /// Shell commands, already quoted; `$(BIN)` is left for make to expand.
    pub commands: Vec<String>,
}

/// Everything `pipeline make` produces for a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct MakePlan {
    /// One rule per node of the one-shard plan, in the plan's order.
    pub rules: Vec<Rule>,
    /// The parameter files under `OUT/specs` the rules' commands read.
    pub spec_files: Vec<SpecFile>,
    /// Phony names (`mlp`, `hog`, `report`, …) → the outputs they stand for.
    pub phony: Vec<(String, Vec<String>)>,
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
            // make cannot quote a target: a path it would misread is refused here,
            // not in the plan (the Ray executor takes any path).
            let check = |paths: Vec<String>| -> Result<Vec<String>> {
                paths.iter().map(|p| make_path(std::path::Path::new(p))).collect()
            };
            Ok(Rule {
                comment: n.comment,
                targets: check(n.outputs)?,
                prerequisites: check(n.inputs)?,
                order_only,
                commands: n.commands.iter().map(|c| command_line(c)).collect(),
            })
        })
        .collect::<Result<_>>()?;
    Ok(MakePlan { rules, spec_files: p.spec_files, phony: p.phony })
}
