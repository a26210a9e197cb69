//! `pipeline show TARGET`: the shell commands that make would run for one of its
//! targets (a run, a dataset, a feature set, `report`, a node id or an output file)
//! if nothing were up to date, in an order that works, ready to paste into a shell.
//! Unlike `make -n`, it prints them whether or not the outputs are up to date.

use std::collections::HashSet;
use std::fmt::Write as _;

use crate::error::{fail, Result};
use crate::plan::{Node, Plan};
use crate::shell::{shell_line, shell_quote};

/// The outputs that `target` stands for: a phony name's (followed through the names
/// it stands for), a node's, or the file itself when a node writes it.
fn goal_outputs(plan: &Plan, target: &str) -> Result<Vec<String>> {
    let mut outputs = Vec::new();
    let mut names = vec![target.to_string()];
    let mut seen = HashSet::new();
    while let Some(name) = names.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some((_, stands_for)) = plan.phony.iter().find(|(n, _)| *n == name) {
            names.extend(stands_for.iter().cloned());
        } else if let Some(node) = plan.nodes.iter().find(|n| n.id == name) {
            outputs.extend(node.outputs.iter().cloned());
        } else if plan.nodes.iter().any(|n| n.outputs.contains(&name)) {
            outputs.push(name);
        } else if name == target {
            let mut known: Vec<&str> = plan.phony.iter().map(|(n, _)| n.as_str()).collect();
            known.sort_unstable();
            fail!(
                Plan,
                "{} has no target `{target}`: give a run, a dataset, a feature set, a node id \
                 (`pipeline plan` lists them) or an output file; its names are: {}",
                plan.manifest,
                known.join(", ")
            );
        }
    }
    Ok(outputs)
}

/// The nodes that make `target`'s outputs and every node they wait for, in the
/// plan's order (each after the nodes it waits for).
pub fn nodes_for<'p>(plan: &'p Plan, target: &str) -> Result<Vec<&'p Node>> {
    let mut wanted: HashSet<&str> = HashSet::new();
    let mut todo: Vec<&Node> = Vec::new();
    let goals = goal_outputs(plan, target)?;
    for n in &plan.nodes {
        if n.outputs.iter().any(|o| goals.contains(o)) && wanted.insert(&n.id) {
            todo.push(n);
        }
    }
    while let Some(n) = todo.pop() {
        for id in &n.after {
            if wanted.insert(id) {
                todo.extend(plan.nodes.iter().find(|m| &m.id == id));
            }
        }
    }
    Ok(plan.nodes.iter().filter(|n| wanted.contains(n.id.as_str())).collect())
}

/// The commands of `target` as a shell script: one comment line per node (its id and
/// what it does), then its commands, stage binaries as `BIN/NAME`. `cd`, when given,
/// is the directory the paths start from (the manifest's), printed first.
pub fn show(plan: &Plan, target: &str, bin: &str, cd: Option<&str>) -> Result<String> {
    let nodes = nodes_for(plan, target)?;
    let mut o = String::new();
    if let Some(dir) = cd {
        let _ = writeln!(o, "cd {}", shell_quote(dir));
    }
    for n in nodes {
        let _ = writeln!(o, "# {}: {}", n.id, n.comment);
        for c in &n.commands {
            let _ = writeln!(o, "{}", shell_line(c, bin));
        }
    }
    Ok(o)
}
