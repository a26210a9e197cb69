//! The nodes of one run: training, evaluation (and, sharded, the merge).

use std::path::{Path, PathBuf};

use crate::error::Result;
use formats::Shard;
use params::{Baseline, EvaluateArgs, MergeArgs, TrainArgs};

use super::data::in_parts;
use super::{argv, command_line, s, stage, Builder, SpecFile, TRAIN_CPUS};
use crate::manifest::{spec_toml, Run, Trainer};

/// The train and evaluate nodes of one run (and its merge node when sharded);
/// returns the path of its `metrics.json`.
pub(super) fn run_nodes(b: &mut Builder, run: &Run) -> Result<String> {
    let m = b.m;
    let specs = m.specs_dir();
    let model_dir = m.run_model_dir(&run.name);
    let eval_dir = m.run_eval_dir(&run.name);
    let model = model_dir.join("model.onnx");
    let ds = m.run_dataset(run);
    let from_plan = in_parts(m, &run.input);
    let train = m.run_input_path(run, "train");
    let val = ds.splits().iter().any(|s| s == "val").then(|| m.run_input_path(run, "val"));

    let mut args = TrainArgs::new(train.clone(), model_dir.clone());
    args.val = val.clone();
    // A warm start reads the other run's model, so it waits for that run's training.
    let init_model = run.init_from.as_ref().map(|from| m.run_model_dir(from).join("model.onnx"));
    args.init_from = init_model.clone();
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
    let mut inputs = b.parts(&train, from_plan);
    if let Some(v) = &val {
        inputs.extend(b.parts(v, from_plan));
    }
    inputs.extend(init_model.as_deref().map(s));
    let kind = match &run.trainer {
        Trainer::Network { .. } => "train".to_string(),
        Trainer::Baseline { method } => format!("train --baseline {method}"),
    };
    b.push(
        format!("train:{}", run.name),
        format!("run {}: {kind}{}", run.name, if run.synthetic { " (SYNTHETIC data)" } else { "" }),
        cmds,
        inputs,
        vec![s(&model)],
        Some(s(&stamp)),
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
    let metrics = s(&eval_dir.join("metrics.json"));
    let data_parts = b.parts(&data, from_plan);
    let eval_comment = format!("run {}: evaluate on the {} split", run.name, run.evaluation.split);
    if b.shards == 1 {
        let eargs = eval_args(&eval_dir, Shard::WHOLE).to_args();
        let cmds = vec![argv("evaluate", eargs)];
        let stamp = b.cmd_file(&format!("{}.eval", run.name), &cmds);
        let mut inputs = vec![s(&model)];
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
        let stamp = b.cmd_file(&b.stamp_name(format!("{}.eval", run.name), k), &cmds);
        let mut inputs = vec![s(&model)];
        inputs.extend(data_parts.clone());
        let out = s(&dir.join("shard.json"));
        let (id, comment) =
            (b.id(format!("eval:{}", run.name), k), b.comment(eval_comment.clone(), k));
        b.push(id, comment, cmds, inputs, vec![out.clone()], Some(stamp), 1, true);
        shard_dirs.push(s(&dir));
        shard_files.push(out);
    }
    let merge = MergeArgs { dirs: shard_dirs.iter().map(PathBuf::from).collect(), out: eval_dir };
    let cmds = vec![stage("evaluate", "merge", merge.to_args())];
    let stamp = b.cmd_file(&format!("{}.eval-merge", run.name), &cmds);
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
