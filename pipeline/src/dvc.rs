//! `pipeline dvc`: the plan as a `dvc.yaml`, so that `dvc repro` runs the same DAG as
//! make (the same commands, inputs and outputs, one DVC stage per node), and DVC's
//! `metrics` and `plots` read each run's `scores.json` and `history.csv`.
//!
//! The file is YAML written with JSON's quoting (YAML reads a JSON string as it is),
//! so any path or argument is carried exactly. Stage names are node ids with every
//! character but letters, digits, `-` and `_` made `_` (`data:mnist:train` →
//! `data_mnist_train`).

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::error::{fail, Result};
use crate::manifest::{Manifest, Trainer};
use crate::plan::Plan;
use crate::shell::shell_line;

/// A node id as a DVC stage name.
pub fn stage_name(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .collect()
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The `dvc.yaml` of a one-shard plan of `m`, stage binaries in `bin`.
pub fn dvc_yaml(m: &Manifest, plan: &Plan, bin: &str) -> Result<String> {
    if plan.shards != 1 {
        fail!(Plan, "a dvc.yaml is made from the one-shard plan, not from {} shards", plan.shards);
    }
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Written by `pipeline dvc` from {}: one stage per node of `pipeline plan`, the\n\
         # commands make runs. Edit the manifest and run `pipeline dvc` again, not this file.",
        m.file.display()
    );
    o.push_str("stages:\n");
    let mut names: HashMap<String, &str> = HashMap::new();
    for node in &plan.nodes {
        let name = stage_name(&node.id);
        if let Some(other) = names.insert(name.clone(), &node.id) {
            fail!(
                Plan,
                "nodes `{other}` and `{}` would both be DVC stage `{name}`; rename one",
                node.id
            );
        }
        let cmd: Vec<String> = node.commands.iter().map(|c| shell_line(c, bin)).collect();
        let _ = writeln!(o, "  {name}:");
        let _ = writeln!(o, "    cmd: {}", quoted(&cmd.join(" && ")));
        for (key, paths) in [("deps", &node.inputs), ("outs", &node.outputs)] {
            if paths.is_empty() {
                continue;
            }
            let _ = writeln!(o, "    {key}:");
            for p in paths {
                let _ = writeln!(o, "      - {}", quoted(p));
            }
        }
    }
    if !m.runs.is_empty() {
        o.push_str("metrics:\n");
    }
    for run in &m.runs {
        let scores = m.run_eval_dir(&run.name).join("scores.json");
        let _ = writeln!(o, "  - {}", quoted(&scores.to_string_lossy()));
    }
    let networks: Vec<_> =
        m.runs.iter().filter(|r| matches!(r.trainer, Trainer::Network { .. })).collect();
    if !networks.is_empty() {
        o.push_str("plots:\n");
        for run in networks {
            let history = m.run_model_dir(&run.name).join("history.csv");
            let _ = writeln!(o, "  - {}:", quoted(&history.to_string_lossy()));
            o.push_str("      x: epoch\n      y: [loss, val_loss]\n");
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::stage_name;

    #[test]
    fn node_ids_become_dvc_stage_names() {
        assert_eq!(stage_name("data:mnist:train"), "data_mnist_train");
        assert_eq!(stage_name("train:cnn-lr0.01"), "train_cnn-lr0_01");
    }
}
