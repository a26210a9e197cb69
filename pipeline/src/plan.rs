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
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use formats::Shard;
use serde::Serialize;

pub use crate::spec_files::{write_spec_files, SpecFile};

pub use crate::shell::{command_line, STAGE_BINARIES};

use crate::manifest::{
    spec_toml, DatasetSource, FeatureMethod, FolderRoot, IdxTable, Manifest, Run, Trainer,
    HOG_PICTURES,
};
use params::ingest::{FoldersParams, IdxParams, SynthParams};
use params::{Baseline, EvaluateArgs, HogArgs, MergeArgs, PixelsArgs, TrainArgs};

use crate::report::ReportArgs;

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
    /// Run in order, each an argv; `argv[0]` is a stage binary or `touch`.
    pub commands: Vec<Vec<String>>,
    /// Files read, the node's parameter file included.
    pub inputs: Vec<String>,
    /// Files (or, for the synthetic images, a directory) written.
    pub outputs: Vec<String>,
    /// Ids of the nodes whose outputs are among the inputs.
    pub after: Vec<String>,
    pub cpus: usize,
    /// Loads ONNX Runtime (make waits for the runtime's set-up first).
    #[serde(skip)]
    pub needs_runtime: bool,
}

/// The DAG of a manifest at a shard count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub format: &'static str,
    pub manifest: String,
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

/// A path as a node's input or output (make refuses those it cannot write as
/// targets when it renders the plan).
fn path_of(p: &Path) -> Result<String> {
    Ok(s(p))
}

/// `binary subcommand args…`.
fn stage(binary: &str, subcommand: &str, args: Vec<String>) -> Vec<String> {
    [binary, subcommand].into_iter().map(String::from).chain(args).collect()
}

fn argv(binary: &str, args: Vec<String>) -> Vec<String> {
    std::iter::once(binary.to_string()).chain(args).collect()
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
    fn parts(&self, path: &Path, produced: bool) -> Result<Vec<String>> {
        if self.shards == 1 || !produced {
            return Ok(vec![path_of(path)?]);
        }
        (0..self.shards)
            .map(|k| path_of(&path.join(Shard { index: k, count: self.shards }.part_name())))
            .collect()
    }

    /// Where shard `k` writes for a dataset at `path`.
    fn part(&self, path: &Path, k: usize) -> Result<String> {
        match self.shard(k) {
            Some(shard) => path_of(&path.join(shard.part_name())),
            None => path_of(path),
        }
    }

    /// The parameter file of a node: its commands, one a line.
    fn cmd_file(&mut self, name: &str, commands: &[Vec<String>]) -> Result<String> {
        let path = self.m.specs_dir().join(format!("{name}.cmd"));
        let content =
            commands.iter().map(|c| command_line(c)).collect::<Vec<_>>().join("\n") + "\n";
        self.spec_files.push(SpecFile { path: path.clone(), content });
        path_of(&path)
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
        bail!("--shards {shards} is not between 1 and {}", formats::shard::MAX_SHARDS);
    }
    let mut b = Builder { m, shards, nodes: Vec::new(), spec_files: Vec::new() };
    let mut phony = Vec::new();
    datasets(&mut b, &mut phony)?;
    features(&mut b, &mut phony)?;
    let mut report_inputs = Vec::new();
    for run in &m.runs {
        let metrics = run_nodes(&mut b, run)?;
        report_inputs.push(path_of(&m.run_model_dir(&run.name).join("model.onnx"))?);
        report_inputs.push(metrics.clone());
        phony.push((run.name.clone(), vec![metrics]));
    }

    let index = m.settings.report.join("index.md");
    report_inputs.push(path_of(&m.file)?);
    let report = ReportArgs { manifest: m.file.clone(), out: m.settings.report.clone() };
    let report = stage("pipeline", "report", report.to_args());
    b.push(
        "report".into(),
        "the report: every experiment, variant and run (pipeline report)".into(),
        vec![report],
        report_inputs,
        vec![path_of(&index)?],
        None,
        1,
        false,
    );
    let evals: Vec<String> =
        m.runs.iter().map(|r| s(&m.run_eval_dir(&r.name).join("metrics.json"))).collect();
    phony.push(("runs".into(), evals));
    phony.push(("report".into(), vec![path_of(&index)?]));
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

fn datasets(b: &mut Builder, phony: &mut Vec<(String, Vec<String>)>) -> Result<()> {
    let m = b.m;
    for d in &m.datasets {
        let mut outputs = Vec::new();
        match &d.source {
            DatasetSource::Idx(IdxTable {
                train_images,
                train_labels,
                test_images,
                test_labels,
                val_fraction,
                seed,
                classes,
            }) => {
                let train = m.dataset_split_path(&d.name, "train");
                let val = val_fraction.map(|_| m.dataset_split_path(&d.name, "val"));
                for k in 0..b.shards {
                    let params = IdxParams {
                        images: train_images.clone(),
                        labels: train_labels.clone(),
                        out: train.clone(),
                        val_fraction: *val_fraction,
                        val_out: val.clone(),
                        seed: *seed,
                        rows_per_file: None,
                        classes: classes.clone(),
                        shard: b.stage_shard(k),
                        progress: false,
                    };
                    let mut targets = vec![b.part(&train, k)?];
                    if let Some(val) = &val {
                        targets.push(b.part(val, k)?);
                    }
                    let cmds = vec![stage("ingest", "idx", params.to_args())];
                    let name = b.stamp_name(format!("data-{}-train", d.name), k);
                    let stamp = b.cmd_file(&name, &cmds)?;
                    outputs.extend(targets.clone());
                    let comment = b.comment(
                        format!(
                            "dataset {}: train{} split (ingest idx)",
                            d.name,
                            if val_fraction.is_some() { " and val" } else { "" }
                        ),
                        k,
                    );
                    let inputs = vec![path_of(train_images)?, path_of(train_labels)?];
                    let id = b.id(format!("data:{}:train", d.name), k);
                    b.push(id, comment, cmds, inputs, targets, Some(stamp), 1, false);
                }
                if let (Some(ti), Some(tl)) = (test_images, test_labels) {
                    let test = m.dataset_split_path(&d.name, "test");
                    for k in 0..b.shards {
                        let params = IdxParams {
                            images: ti.clone(),
                            labels: tl.clone(),
                            out: test.clone(),
                            val_fraction: None,
                            val_out: None,
                            seed: None,
                            rows_per_file: None,
                            classes: classes.clone(),
                            shard: b.stage_shard(k),
                            progress: false,
                        };
                        let cmds = vec![stage("ingest", "idx", params.to_args())];
                        let name = b.stamp_name(format!("data-{}-test", d.name), k);
                        let stamp = b.cmd_file(&name, &cmds)?;
                        let target = b.part(&test, k)?;
                        outputs.push(target.clone());
                        let comment =
                            b.comment(format!("dataset {}: test split (ingest idx)", d.name), k);
                        let id = b.id(format!("data:{}:test", d.name), k);
                        let inputs = vec![path_of(ti)?, path_of(tl)?];
                        b.push(id, comment, cmds, inputs, vec![target], Some(stamp), 1, false);
                    }
                }
            }
            DatasetSource::SynthXray(synth) => {
                let dir = m.synthetic_dir(&d.name);
                let params = SynthParams {
                    train: synth.train,
                    val: synth.val,
                    test: synth.test,
                    seed: synth.seed,
                    min_size: synth.min_size,
                    max_size: synth.max_size,
                    pneumonia_ratio: synth.pneumonia_ratio,
                    ..SynthParams::new(dir.clone())
                };
                // The directory is the target; touch it so its date is the run's.
                let cmds = vec![
                    stage("ingest", "synth-xray", params.to_args()),
                    vec!["touch".into(), s(&dir)],
                ];
                let stamp = b.cmd_file(&format!("data-{}", d.name), &cmds)?;
                outputs.push(path_of(&dir)?);
                b.push(
                    format!("data:{}", d.name),
                    format!("dataset {}: SYNTHETIC X-ray-like JPEGs (ingest synth-xray)", d.name),
                    cmds,
                    Vec::new(),
                    vec![path_of(&dir)?],
                    Some(stamp),
                    1,
                    false,
                );
            }
            DatasetSource::Folders { root, splits, size, channels, skip_bad } => {
                let (root_dir, root_prereq) = match root {
                    FolderRoot::Path(p) => (p.clone(), None),
                    FolderRoot::Synthetic(src) => {
                        (m.synthetic_dir(src), Some(path_of(&m.synthetic_dir(src))?))
                    }
                };
                for split in splits {
                    let out = m.dataset_split_path(&d.name, split);
                    for k in 0..b.shards {
                        let params = FoldersParams {
                            root: root_dir.join(split),
                            out: out.clone(),
                            size: *size,
                            channels: *channels,
                            skip_bad: *skip_bad,
                            rows_per_file: None,
                            max_megapixels: None,
                            allow_split_names: false,
                            shard: b.stage_shard(k),
                            progress: false,
                        };
                        let cmds = vec![stage("ingest", "folders", params.to_args())];
                        let name = b.stamp_name(format!("data-{}-{split}", d.name), k);
                        let stamp = b.cmd_file(&name, &cmds)?;
                        let target = b.part(&out, k)?;
                        outputs.push(target.clone());
                        let comment = b.comment(
                            format!(
                                "dataset {}: {split} split (ingest folders{})",
                                d.name,
                                if d.synthetic { ", SYNTHETIC" } else { "" }
                            ),
                            k,
                        );
                        let id = b.id(format!("data:{}:{split}", d.name), k);
                        let inputs = root_prereq.iter().cloned().collect();
                        b.push(id, comment, cmds, inputs, vec![target], Some(stamp), 1, false);
                    }
                }
            }
            DatasetSource::Parquet { splits } => {
                for (_, p) in splits {
                    outputs.push(path_of(p)?);
                }
            }
        }
        phony.push((d.name.clone(), outputs));
    }
    Ok(())
}

/// Whether a dataset's files are written by the plan (and so split into parts).
fn produced(m: &Manifest, dataset: &str) -> bool {
    !matches!(m.dataset(dataset).map(|d| &d.source), Some(DatasetSource::Parquet { .. }))
}

fn features(b: &mut Builder, phony: &mut Vec<(String, Vec<String>)>) -> Result<()> {
    let m = b.m;
    for f in &m.feature_sets {
        let ds = m.dataset(&f.from).expect("checked at parse");
        let mut outputs = Vec::new();
        for split in ds.splits() {
            let input = m.dataset_split_path(&f.from, &split);
            let out = m.feature_split_path(&f.name, &split);
            let inputs = b.parts(&input, produced(m, &f.from))?;
            for k in 0..b.shards {
                let (input, output, shard) = (input.clone(), out.clone(), b.stage_shard(k));
                let cmd = match &f.method {
                    FeatureMethod::Pixels => {
                        stage("features", "pixels", PixelsArgs { input, output, shard }.to_args())
                    }
                    FeatureMethod::Hog(params) => {
                        // The report shows what HOG captured: pictures of a few images of
                        // one split (the first the dataset lists, `train` for an IDX
                        // dataset), written beside it; drawn by the first shard, whose
                        // rows come first.
                        let draws =
                            m.hog_pictures_split(f).as_deref() == Some(split.as_str()) && k == 0;
                        let args = HogArgs {
                            input,
                            output,
                            params: *params,
                            visualize: if draws { HOG_PICTURES } else { 0 },
                            visualize_out: draws.then(|| m.hog_pictures_dir(&f.name)),
                            shard,
                        };
                        stage("features", "hog", args.to_args())
                    }
                };
                let cmds = vec![cmd];
                let name = b.stamp_name(format!("features-{}-{split}", f.name), k);
                let stamp = b.cmd_file(&name, &cmds)?;
                let target = b.part(&out, k)?;
                outputs.push(target.clone());
                let comment = b.comment(
                    format!("feature set {}: {split} split ({})", f.name, f.method.name()),
                    k,
                );
                let id = b.id(format!("features:{}:{split}", f.name), k);
                b.push(id, comment, cmds, inputs.clone(), vec![target], Some(stamp), 1, false);
            }
        }
        phony.push((f.name.clone(), outputs));
    }
    Ok(())
}

/// The train and evaluate nodes of one run (and its merge node when sharded);
/// returns the path of its `metrics.json`.
fn run_nodes(b: &mut Builder, run: &Run) -> Result<String> {
    let m = b.m;
    let specs = m.specs_dir();
    let model_dir = m.run_model_dir(&run.name);
    let eval_dir = m.run_eval_dir(&run.name);
    let model = model_dir.join("model.onnx");
    let ds = m.run_dataset(run);
    let from_plan = produced(m, &ds.name);
    let train = m.run_input_path(run, "train");
    let val = ds.splits().iter().any(|s| s == "val").then(|| m.run_input_path(run, "val"));

    let mut args = TrainArgs::new(train.clone(), model_dir.clone());
    args.val = val.clone();
    let stamp = match &run.trainer {
        Trainer::Network { .. } => {
            let spec_path = specs.join(format!("{}.toml", run.name));
            args.spec = Some(spec_path.clone());
            spec_path
        }
        Trainer::Baseline { method } => {
            args.baseline = Some(Baseline::from_name(method).expect("checked at parse"));
            specs.join(format!("{}.cmd", run.name))
        }
    };
    let cmds = vec![argv("train", args.to_args())];
    match &run.trainer {
        Trainer::Network { table, .. } => {
            // The command goes in as a comment: a changed input path re-runs the run too.
            let mut header = vec![format!("model spec of run `{}`, written by `pipeline make` from {}; edit the manifest, not this file", run.name, m.file.display())];
            header.extend(cmds.iter().map(|c| format!("$ {}", command_line(c))));
            b.spec_files
                .push(SpecFile { path: stamp.clone(), content: spec_toml(table, &header)? });
        }
        Trainer::Baseline { .. } => {
            let content =
                cmds.iter().map(|c| command_line(c)).collect::<Vec<_>>().join("\n") + "\n";
            b.spec_files.push(SpecFile { path: stamp.clone(), content })
        }
    }
    let mut inputs = b.parts(&train, from_plan)?;
    if let Some(v) = &val {
        inputs.extend(b.parts(v, from_plan)?);
    }
    let kind = match &run.trainer {
        Trainer::Network { .. } => "train".to_string(),
        Trainer::Baseline { method } => format!("train --baseline {method}"),
    };
    b.push(
        format!("train:{}", run.name),
        format!("run {}: {kind}{}", run.name, if run.synthetic { " (SYNTHETIC data)" } else { "" }),
        cmds,
        inputs,
        vec![path_of(&model)?],
        Some(path_of(&stamp)?),
        TRAIN_CPUS,
        true,
    );

    let data = m.run_input_path(run, &run.evaluation.split);
    let e = &run.evaluation;
    let eval_args = |out: &Path, shard: Shard| EvaluateArgs {
        model: Some(model.clone()),
        data: Some(data.clone()),
        out: Some(out.to_path_buf()),
        params: e.params,
        shard,
        ..EvaluateArgs::default()
    };
    let metrics = path_of(&eval_dir.join("metrics.json"))?;
    let data_parts = b.parts(&data, from_plan)?;
    let eval_comment = format!("run {}: evaluate on the {} split", run.name, run.evaluation.split);
    if b.shards == 1 {
        let eargs = eval_args(&eval_dir, Shard::WHOLE).to_args();
        let cmds = vec![argv("evaluate", eargs)];
        let stamp = b.cmd_file(&format!("{}.eval", run.name), &cmds)?;
        let mut inputs = vec![path_of(&model)?];
        inputs.extend(data_parts);
        let id = format!("eval:{}", run.name);
        b.push(id, eval_comment, cmds, inputs, vec![metrics.clone()], Some(stamp), 1, true);
        return Ok(metrics);
    }
    // Sharded: each shard scores its rows into eval-shards/K; the merge makes the figures.
    let shards_dir = eval_dir.with_file_name("eval-shards");
    let mut shard_dirs = Vec::new();
    let mut shard_files = Vec::new();
    for k in 0..b.shards {
        let dir = shards_dir.join(k.to_string());
        let eargs = eval_args(&dir, b.stage_shard(k)).to_args();
        let cmds = vec![argv("evaluate", eargs)];
        let stamp = b.cmd_file(&b.stamp_name(format!("{}.eval", run.name), k), &cmds)?;
        let mut inputs = vec![path_of(&model)?];
        inputs.extend(data_parts.clone());
        let out = path_of(&dir.join("shard.json"))?;
        let (id, comment) =
            (b.id(format!("eval:{}", run.name), k), b.comment(eval_comment.clone(), k));
        b.push(id, comment, cmds, inputs, vec![out.clone()], Some(stamp), 1, true);
        shard_dirs.push(s(&dir));
        shard_files.push(out);
    }
    let merge = MergeArgs { dirs: shard_dirs.iter().map(PathBuf::from).collect(), out: eval_dir };
    let cmds = vec![stage("evaluate", "merge", merge.to_args())];
    let stamp = b.cmd_file(&format!("{}.eval-merge", run.name), &cmds)?;
    b.push(
        format!("eval:{}:merge", run.name),
        format!("run {}: merge the {} evaluation shards", run.name, b.shards),
        cmds,
        shard_files,
        vec![metrics.clone()],
        Some(stamp),
        1,
        false,
    );
    Ok(metrics)
}
