//! The pipeline's DAG as data (`pipeline plan`): one node per stage command, with its
//! inputs, outputs, the nodes it waits for and the CPUs it wants.
//!
//! This is the one source of the pipeline's structure: `pipeline make` renders the
//! nodes of a one-shard plan as make rules ([`crate::make`]), and
//! `pipeline/ray/ray_run.py` runs the nodes of an N-shard plan as Ray tasks
//! (`docs/scale-out.md`). With N > 1 every per-row stage (`ingest idx`, `ingest
//! folders`, `features`, `evaluate`) becomes N nodes, each with `--shard K/N`
//! writing `part-0000K.parquet`; an evaluation gets a merge node
//! (`evaluate merge`). Training, the synthetic data and the report stay one node.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::error::{fail, Result};
use formats::Shard;
use serde::Serialize;

pub use crate::spec_files::{write_spec_files, SpecFile};

pub use crate::shell::{command_line, STAGE_BINARIES};

use crate::manifest::{Manifest, Run};

use crate::report::ReportArgs;

mod data;
mod runs;

use data::{datasets, features};
use runs::run_nodes;

/// The `format` field of the JSON plan.
pub const PLAN_FORMAT: &str = "lab-plan/1";

/// CPUs a training node asks for (its rayon pool); every other node asks for one.
pub const TRAIN_CPUS: usize = 2;

/// One stage command and its files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Unique and stable: `data:mnist:train`, `features:hog:test:1`, `eval:mlp:merge`.
    pub id: String,
    /// What the node is for, one line.
    pub comment: String,
    /// Run in order, each an argv; `argv[0]` is a stage binary, `touch`, `mkdir`, or the
    /// program of a feature set's `command`.
    pub commands: Vec<Vec<String>>,
    /// Files read, the node's parameter file included.
    pub inputs: Vec<String>,
    /// Files (or, for the synthetic images, a directory) written.
    pub outputs: Vec<String>,
    /// Ids of the nodes whose outputs are among the inputs.
    pub after: Vec<String>,
    /// CPUs it asks for: [`TRAIN_CPUS`] for training, 1 for every other node.
    pub cpus: usize,
    /// Loads ONNX Runtime (make waits for the runtime's set-up first).
    #[serde(skip)]
    pub needs_runtime: bool,
}

/// The DAG of a manifest at a shard count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Always [`PLAN_FORMAT`], so a reader can refuse a plan it does not know.
    pub format: &'static str,
    /// The manifest file it was made from, as given.
    pub manifest: String,
    /// N: how many shards each per-row stage is split into (1 for make).
    pub shards: usize,
    /// In an order where every node comes after the nodes it waits for.
    pub nodes: Vec<Node>,
    /// The parameter files the nodes read (written by [`write_spec_files`]).
    #[serde(skip)]
    pub spec_files: Vec<SpecFile>,
    /// Names (`mlp`, `hog`, `report`, …) → the outputs they stand for.
    #[serde(skip)]
    pub phony: Vec<(String, Vec<String>)>,
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `binary subcommand args…`.
fn stage(binary: &str, subcommand: &str, args: Vec<String>) -> Vec<String> {
    [binary, subcommand].into_iter().map(String::from).chain(args).collect()
}

fn argv(binary: &str, args: Vec<String>) -> Vec<String> {
    std::iter::once(binary.to_string()).chain(args).collect()
}

/// The runs in manifest order, except that a run that starts from another run's
/// weights comes after it (the manifest has refused circles).
fn warm_starts_after_their_sources(runs: &[Run]) -> Vec<&Run> {
    let mut placed: HashSet<&str> = HashSet::new();
    let mut order = Vec::with_capacity(runs.len());
    let mut waiting: Vec<&Run> = runs.iter().collect();
    while !waiting.is_empty() {
        let before = waiting.len();
        waiting.retain(|run| match &run.init_from {
            Some(from) if !placed.contains(from.as_str()) => true,
            _ => {
                placed.insert(&run.name);
                order.push(*run);
                false
            }
        });
        assert!(waiting.len() < before, "the manifest refuses runs that start from each other");
    }
    order
}

/// Builds nodes in order; knows the shard count and collects the parameter files.
struct Builder<'a> {
    m: &'a Manifest,
    shards: usize,
    nodes: Vec<Node>,
    spec_files: Vec<SpecFile>,
}

impl Builder<'_> {
    /// Shard `k`, or none when the plan has one shard.
    fn shard(&self, k: usize) -> Option<Shard> {
        (self.shards > 1).then_some(Shard { index: k, count: self.shards })
    }

    /// Shard `k` as a stage's `--shard` (the whole input when the plan has one shard).
    fn stage_shard(&self, k: usize) -> Shard {
        self.shard(k).unwrap_or(Shard::WHOLE)
    }

    /// The files of a dataset written by sharded nodes: the path itself with one
    /// shard, its N part files otherwise. Datasets the manifest names (`parquet`)
    /// are never split.
    fn parts(&self, path: &Path, produced: bool) -> Vec<String> {
        if self.shards == 1 || !produced {
            return vec![s(path)];
        }
        (0..self.shards)
            .map(|k| s(&path.join(Shard { index: k, count: self.shards }.part_name())))
            .collect()
    }

    /// Where shard `k` writes for a dataset at `path`.
    fn part(&self, path: &Path, k: usize) -> String {
        match self.shard(k) {
            Some(shard) => s(&path.join(shard.part_name())),
            None => s(path),
        }
    }

    /// The parameter file of a node: its commands, one a line.
    fn cmd_file(&mut self, name: &str, commands: &[Vec<String>]) -> String {
        let path = self.m.specs_dir().join(format!("{name}.cmd"));
        let content =
            commands.iter().map(|c| command_line(c)).collect::<Vec<_>>().join("\n") + "\n";
        self.spec_files.push(SpecFile { path: path.clone(), content });
        s(&path)
    }

    /// `base` for one shard, `base:k` for shard k of several.
    fn id(&self, base: String, k: usize) -> String {
        if self.shards == 1 {
            base
        } else {
            format!("{base}:{k}")
        }
    }

    fn stamp_name(&self, base: String, k: usize) -> String {
        if self.shards == 1 {
            base
        } else {
            format!("{base}.{k}-of-{}", self.shards)
        }
    }

    fn comment(&self, base: String, k: usize) -> String {
        if self.shards == 1 {
            base
        } else {
            format!("{base}, shard {} of {}", k + 1, self.shards)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: String,
        comment: String,
        commands: Vec<Vec<String>>,
        mut inputs: Vec<String>,
        outputs: Vec<String>,
        stamp: Option<String>,
        cpus: usize,
        needs_runtime: bool,
    ) {
        inputs.extend(stamp);
        self.nodes.push(Node {
            id,
            comment,
            commands,
            inputs,
            outputs,
            after: Vec::new(),
            cpus,
            needs_runtime,
        });
    }
}

/// The plan of `m` with `shards` shards per per-row stage (1: no sharding, what
/// `pipeline make` runs).
pub fn plan(m: &Manifest, shards: usize) -> Result<Plan> {
    if !(1..=formats::shard::MAX_SHARDS).contains(&shards) {
        fail!(Plan, "--shards {shards} is not between 1 and {}", formats::shard::MAX_SHARDS);
    }
    let mut b = Builder { m, shards, nodes: Vec::new(), spec_files: Vec::new() };
    let mut phony = Vec::new();
    datasets(&mut b, &mut phony)?;
    features(&mut b, &mut phony)?;
    let mut report_inputs = Vec::new();
    for run in warm_starts_after_their_sources(&m.runs) {
        let metrics = run_nodes(&mut b, run)?;
        report_inputs.push(s(&m.run_model_dir(&run.name).join("model.onnx")));
        report_inputs.push(metrics.clone());
        phony.push((run.name.clone(), vec![metrics]));
    }

    let index = m.settings.report.join("index.md");
    report_inputs.push(s(&m.file));
    let report = ReportArgs { manifest: m.file.clone(), out: m.settings.report.clone() };
    let report = stage("pipeline", "report", report.to_args());
    b.push(
        "report".into(),
        "the report: every experiment, variant and run (pipeline report)".into(),
        vec![report],
        report_inputs,
        vec![s(&index)],
        None,
        1,
        false,
    );
    let evals: Vec<String> =
        m.runs.iter().map(|r| s(&m.run_eval_dir(&r.name).join("metrics.json"))).collect();
    phony.push(("runs".into(), evals));
    phony.push(("report".into(), vec![s(&index)]));
    phony.push(("pipeline".into(), vec!["report".into()]));

    // Edges: a node waits for the nodes that write its inputs.
    let mut producer: HashMap<String, String> = HashMap::new();
    for n in &b.nodes {
        for o in &n.outputs {
            producer.insert(o.clone(), n.id.clone());
        }
    }
    for n in &mut b.nodes {
        // A set beside the list: the report node waits for every run's nodes.
        let mut seen: HashSet<&String> = HashSet::new();
        for i in &n.inputs {
            if let Some(p) = producer.get(i) {
                if seen.insert(p) {
                    n.after.push(p.clone());
                }
            }
        }
    }
    Ok(Plan {
        format: PLAN_FORMAT,
        manifest: s(&m.file),
        shards,
        nodes: b.nodes,
        spec_files: b.spec_files,
        phony,
    })
}
