//! The nodes that make datasets (`ingest`) and feature sets (`features`).

use crate::error::Result;
use params::ingest::{FoldersParams, IdxParams, SynthParams};
use params::{HogArgs, PixelsArgs};

use super::{s, stage, Builder};
use crate::manifest::{
    DatasetSource, FeatureMethod, FeatureSet, FolderRoot, IdxTable, Manifest, RunInput,
    HOG_PICTURES,
};

pub(super) fn datasets(b: &mut Builder, phony: &mut Vec<(String, Vec<String>)>) -> Result<()> {
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
                    let mut targets = vec![b.part(&train, k)];
                    if let Some(val) = &val {
                        targets.push(b.part(val, k));
                    }
                    let cmds = vec![stage("ingest", "idx", params.to_args())];
                    let name = b.stamp_name(format!("data-{}-train", d.name), k);
                    let stamp = b.cmd_file(&name, &cmds);
                    outputs.extend(targets.clone());
                    let comment = b.comment(
                        format!(
                            "dataset {}: train{} split (ingest idx)",
                            d.name,
                            if val_fraction.is_some() { " and val" } else { "" }
                        ),
                        k,
                    );
                    let inputs = vec![s(train_images), s(train_labels)];
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
                        let stamp = b.cmd_file(&name, &cmds);
                        let target = b.part(&test, k);
                        outputs.push(target.clone());
                        let comment =
                            b.comment(format!("dataset {}: test split (ingest idx)", d.name), k);
                        let id = b.id(format!("data:{}:test", d.name), k);
                        let inputs = vec![s(ti), s(tl)];
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
                let stamp = b.cmd_file(&format!("data-{}", d.name), &cmds);
                outputs.push(s(&dir));
                b.push(
                    format!("data:{}", d.name),
                    format!("dataset {}: SYNTHETIC X-ray-like JPEGs (ingest synth-xray)", d.name),
                    cmds,
                    Vec::new(),
                    vec![s(&dir)],
                    Some(stamp),
                    1,
                    false,
                );
            }
            DatasetSource::Folders { root, splits, size, channels, skip_bad } => {
                let (root_dir, root_prereq) = match root {
                    FolderRoot::Path(p) => (p.clone(), None),
                    FolderRoot::Synthetic(src) => {
                        (m.synthetic_dir(src), Some(s(&m.synthetic_dir(src))))
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
                        let stamp = b.cmd_file(&name, &cmds);
                        let target = b.part(&out, k);
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
            DatasetSource::Command { command, splits } => {
                // One run of the user's program per split, writing the whole file.
                for split in splits {
                    let out = m.dataset_split_path(&d.name, split);
                    let dir = out.parent().expect("a split's file lies in its dataset's directory");
                    let cmds = vec![
                        vec!["mkdir".into(), "-p".into(), s(dir)],
                        command.argv(None, &out, split),
                    ];
                    let stamp = b.cmd_file(&format!("data-{}-{split}", d.name), &cmds);
                    let inputs = command.inputs.iter().map(|p| s(p)).collect();
                    outputs.push(s(&out));
                    b.push(
                        format!("data:{}:{split}", d.name),
                        format!("dataset {}: {split} split (the manifest's command)", d.name),
                        cmds,
                        inputs,
                        vec![s(&out)],
                        Some(stamp),
                        1,
                        false,
                    );
                }
            }
            DatasetSource::Parquet { splits } => {
                for (_, p) in splits {
                    outputs.push(s(p));
                }
            }
        }
        phony.push((d.name.clone(), outputs));
    }
    Ok(())
}

/// Whether a dataset's files are written by the plan's sharded nodes (and so split into
/// parts): not a `parquet` dataset's, nor a `command` dataset's (one file per split).
pub(super) fn produced(m: &Manifest, dataset: &str) -> bool {
    !matches!(
        m.dataset(dataset).map(|d| &d.source),
        Some(DatasetSource::Parquet { .. } | DatasetSource::Command { .. })
    )
}

/// Whether a run's input is written in N parts by sharded nodes: a produced dataset,
/// or a feature set that the `features` stage makes (a user's command writes one file).
pub(super) fn in_parts(m: &Manifest, input: &RunInput) -> bool {
    match input {
        RunInput::Dataset(d) => produced(m, d),
        RunInput::Features(f) => {
            !matches!(m.feature_set(f).map(|f| &f.method), Some(FeatureMethod::Command(_)))
        }
    }
}

pub(super) fn features(b: &mut Builder, phony: &mut Vec<(String, Vec<String>)>) -> Result<()> {
    let m = b.m;
    for f in &m.feature_sets {
        let ds = m.dataset(&f.from).expect("checked at parse");
        let mut outputs = Vec::new();
        if let FeatureMethod::Command(_) = &f.method {
            command_features(b, f, &ds.splits(), &mut outputs);
            phony.push((f.name.clone(), outputs));
            continue;
        }
        for split in ds.splits() {
            let input = m.dataset_split_path(&f.from, &split);
            let out = m.feature_split_path(&f.name, &split);
            let inputs = b.parts(&input, produced(m, &f.from));
            for k in 0..b.shards {
                let (input, output, shard) = (input.clone(), out.clone(), b.stage_shard(k));
                let cmd = match &f.method {
                    FeatureMethod::Pixels => {
                        let args = PixelsArgs { input, output, shard, compression: f.compression };
                        stage("features", "pixels", args.to_args())
                    }
                    FeatureMethod::Command(_) => unreachable!("planned by command_features"),
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
                            compression: f.compression,
                        };
                        stage("features", "hog", args.to_args())
                    }
                };
                let cmds = vec![cmd];
                let name = b.stamp_name(format!("features-{}-{split}", f.name), k);
                let stamp = b.cmd_file(&name, &cmds);
                let target = b.part(&out, k);
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

/// A feature set made by the user's command: one node per split, whatever the shard
/// count (the command knows nothing of shards), reading the split's whole dataset.
fn command_features(b: &mut Builder, f: &FeatureSet, splits: &[String], outputs: &mut Vec<String>) {
    let m = b.m;
    let FeatureMethod::Command(command) = &f.method else { return };
    for split in splits {
        let input = m.dataset_split_path(&f.from, split);
        let out = m.feature_split_path(&f.name, split);
        let dir = out.parent().expect("a feature file lies in its set's directory");
        let cmds = vec![
            vec!["mkdir".into(), "-p".into(), s(dir)],
            command.argv(Some(&input), &out, split),
        ];
        let stamp = b.cmd_file(&format!("features-{}-{split}", f.name), &cmds);
        let mut inputs = b.parts(&input, produced(m, &f.from));
        inputs.extend(command.inputs.iter().map(|p| s(p)));
        outputs.push(s(&out));
        let comment = format!("feature set {}: {split} split (the manifest's command)", f.name);
        let id = format!("features:{}:{split}", f.name);
        b.push(id, comment, cmds, inputs, vec![s(&out)], Some(stamp), 1, false);
    }
}
