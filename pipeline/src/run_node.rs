//! `pipeline run NODE`: one node of the plan, run by hand with the commands `make`
//! would run for it (`train:mlp-hidden3`, `eval:cnn`, `features:hog:test`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{fail, Context, ErrorKind, Result};

use crate::plan::{Plan, STAGE_BINARIES};

/// Runs the commands of node `id` of `plan` in `dir` (the manifest's directory, where
/// the plan's relative paths start), stage binaries from `bin`. The nodes it waits
/// for are not run: their outputs must be there, as `make` would have left them.
pub fn run_node(plan: &Plan, id: &str, dir: &Path, bin: &Path) -> Result<()> {
    let Some(node) = plan.nodes.iter().find(|n| n.id == id) else {
        let ids: Vec<&str> = plan.nodes.iter().map(|n| n.id.as_str()).collect();
        fail!(Plan, "{} has no node `{id}`; its nodes are: {}", plan.manifest, ids.join(", "));
    };
    for input in &node.inputs {
        if !dir.join(input).exists() {
            fail!(Plan, "node `{id}` needs {input}, which is missing: run `make {input}` first");
        }
    }
    for argv in &node.commands {
        let program = match argv[0].as_str() {
            name if STAGE_BINARIES.contains(&name) => bin.join(name),
            other => PathBuf::from(other),
        };
        let status = Command::new(&program)
            .args(&argv[1..])
            .current_dir(dir)
            .status()
            .context(ErrorKind::Stage, || format!("cannot start {}", program.display()))?;
        if !status.success() {
            fail!(Stage, "node `{id}`: {} failed ({status})", argv[0]);
        }
    }
    Ok(())
}
