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

use crate::manifest::{
    spec_toml, DatasetSource, FeatureMethod, FeatureSet, FolderRoot, Manifest, Run, Trainer,
};
use anyhow::{bail, Context, Result};

/// The stage binaries the rules call, as `$(BIN)/NAME` (the Makefile sets `BIN`).
pub const STAGE_BINARIES: &[&str] = &["ingest", "features", "train", "evaluate", "pipeline"];

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

/// A parameter file and the content it must have.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecFile {
    pub path: PathBuf,
    pub content: String,
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

fn command(binary: &str, args: &[String]) -> String {
    let mut s = format!("$(BIN)/{binary}");
    for a in args {
        s.push(' ');
        s.push_str(&shell_word(a));
    }
    s
}

/// A path as make sees it; make cannot quote, so refuse what it would misread.
fn make_path(p: &Path) -> Result<String> {
    let s = p.to_string_lossy().into_owned();
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || "#$:;%\\*?[]|=".contains(c)) {
        bail!("path `{s}` cannot be a make target or prerequisite (no spaces or # $ : ; % \\ * ? [ ] | =)");
    }
    Ok(s)
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Builds the rules, spec files and phony targets of `m`.
pub fn plan(m: &Manifest) -> Result<MakePlan> {
    let specs = m.specs_dir();
    let mut rules = Vec::new();
    let mut spec_files = Vec::new();
    let mut phony = Vec::new();
    // A stage's parameter file: its commands, one a line (a re-run iff they change).
    let mut cmd_file = |name: &str, commands: &[String]| -> PathBuf {
        let path = specs.join(format!("{name}.cmd"));
        spec_files.push(SpecFile { path: path.clone(), content: commands.join("\n") + "\n" });
        path
    };

    for d in &m.datasets {
        let mut outputs = Vec::new();
        match &d.source {
            DatasetSource::Idx {
                train_images,
                train_labels,
                test_images,
                test_labels,
                val_fraction,
                seed,
                classes,
            } => {
                let train = m.dataset_split_path(&d.name, "train");
                let mut args = vec![
                    "idx".into(),
                    "--images".into(),
                    s(train_images),
                    "--labels".into(),
                    s(train_labels),
                    "--out".into(),
                    s(&train),
                ];
                let mut targets = vec![make_path(&train)?];
                if let Some(f) = val_fraction {
                    let val = m.dataset_split_path(&d.name, "val");
                    args.extend([
                        "--val-fraction".into(),
                        f.to_string(),
                        "--val-out".into(),
                        s(&val),
                    ]);
                    targets.push(make_path(&val)?);
                }
                if let Some(seed) = seed {
                    args.extend(["--seed".into(), seed.to_string()]);
                }
                if let Some(c) = classes {
                    args.extend(["--classes".into(), c.join(",")]);
                }
                let cmds = vec![command("ingest", &args)];
                let stamp = cmd_file(&format!("data-{}-train", d.name), &cmds);
                outputs.extend(targets.clone());
                rules.push(Rule {
                    comment: format!(
                        "dataset {}: train{} split (ingest idx)",
                        d.name,
                        if val_fraction.is_some() { " and val" } else { "" }
                    ),
                    targets,
                    prerequisites: vec![
                        make_path(train_images)?,
                        make_path(train_labels)?,
                        make_path(&stamp)?,
                    ],
                    order_only: vec!["$(BIN)/ingest".into()],
                    commands: cmds,
                });
                if let (Some(ti), Some(tl)) = (test_images, test_labels) {
                    let test = m.dataset_split_path(&d.name, "test");
                    let mut args = vec![
                        "idx".into(),
                        "--images".into(),
                        s(ti),
                        "--labels".into(),
                        s(tl),
                        "--out".into(),
                        s(&test),
                    ];
                    if let Some(c) = classes {
                        args.extend(["--classes".into(), c.join(",")]);
                    }
                    let cmds = vec![command("ingest", &args)];
                    let stamp = cmd_file(&format!("data-{}-test", d.name), &cmds);
                    outputs.push(make_path(&test)?);
                    rules.push(Rule {
                        comment: format!("dataset {}: test split (ingest idx)", d.name),
                        targets: vec![make_path(&test)?],
                        prerequisites: vec![make_path(ti)?, make_path(tl)?, make_path(&stamp)?],
                        order_only: vec!["$(BIN)/ingest".into()],
                        commands: cmds,
                    });
                }
            }
            DatasetSource::SynthXray {
                train,
                val,
                test,
                seed,
                min_size,
                max_size,
                pneumonia_ratio,
            } => {
                let dir = m.synthetic_dir(&d.name);
                let mut args = vec![
                    "synth-xray".into(),
                    "--out".into(),
                    s(&dir),
                    "--train".into(),
                    train.to_string(),
                    "--val".into(),
                    val.to_string(),
                    "--test".into(),
                    test.to_string(),
                ];
                for (flag, v) in
                    [("--seed", seed), ("--min-size", min_size), ("--max-size", max_size)]
                {
                    if let Some(v) = v {
                        args.extend([flag.to_string(), v.to_string()]);
                    }
                }
                if let Some(ratio) = pneumonia_ratio {
                    args.extend(["--pneumonia-ratio".to_string(), ratio.to_string()]);
                }
                // The directory is the target; touch it so its date is the run's.
                let cmds =
                    vec![command("ingest", &args), format!("touch {}", shell_word(&s(&dir)))];
                let stamp = cmd_file(&format!("data-{}", d.name), &cmds);
                outputs.push(make_path(&dir)?);
                rules.push(Rule {
                    comment: format!(
                        "dataset {}: SYNTHETIC X-ray-like JPEGs (ingest synth-xray)",
                        d.name
                    ),
                    targets: vec![make_path(&dir)?],
                    prerequisites: vec![make_path(&stamp)?],
                    order_only: vec!["$(BIN)/ingest".into()],
                    commands: cmds,
                });
            }
            DatasetSource::Folders { root, splits, height, width, channels, skip_bad } => {
                let (root_dir, root_prereq) = match root {
                    FolderRoot::Path(p) => (p.clone(), None),
                    FolderRoot::Synthetic(src) => {
                        (m.synthetic_dir(src), Some(make_path(&m.synthetic_dir(src))?))
                    }
                };
                for split in splits {
                    let out = m.dataset_split_path(&d.name, split);
                    let mut args = vec![
                        "folders".into(),
                        "--root".into(),
                        s(&root_dir.join(split)),
                        "--out".into(),
                        s(&out),
                        "--size".into(),
                        format!("{height}x{width}"),
                        "--channels".into(),
                        channels.to_string(),
                    ];
                    if *skip_bad {
                        args.push("--skip-bad".into());
                    }
                    let cmds = vec![command("ingest", &args)];
                    let stamp = cmd_file(&format!("data-{}-{split}", d.name), &cmds);
                    let mut prerequisites: Vec<String> = root_prereq.iter().cloned().collect();
                    prerequisites.push(make_path(&stamp)?);
                    outputs.push(make_path(&out)?);
                    rules.push(Rule {
                        comment: format!(
                            "dataset {}: {split} split (ingest folders{})",
                            d.name,
                            if d.synthetic { ", SYNTHETIC" } else { "" }
                        ),
                        targets: vec![make_path(&out)?],
                        prerequisites,
                        order_only: vec!["$(BIN)/ingest".into()],
                        commands: cmds,
                    });
                }
            }
            DatasetSource::Parquet { splits } => {
                for (_, p) in splits {
                    outputs.push(make_path(p)?);
                }
            }
        }
        phony.push((d.name.clone(), outputs));
    }

    for f in &m.feature_sets {
        let ds = m.dataset(&f.from).expect("checked at parse");
        let mut outputs = Vec::new();
        for split in ds.splits() {
            let input = m.dataset_split_path(&f.from, &split);
            let out = m.feature_split_path(&f.name, &split);
            let mut args = vec![
                f.method.name().to_string(),
                "--in".into(),
                s(&input),
                "--out".into(),
                s(&out),
            ];
            args.extend(f.method.args());
            // The report shows what HOG captured: pictures of a few images of one split
            // (the first the dataset lists, `train` for an IDX dataset), written beside it.
            if matches!(f.method, FeatureMethod::Hog(_))
                && hog_pictures_split(m, f).as_deref() == Some(split.as_str())
            {
                args.extend([
                    "--visualize".into(),
                    HOG_PICTURES.to_string(),
                    "--visualize-out".into(),
                    s(&hog_pictures_dir(m, &f.name)),
                ]);
            }
            let cmds = vec![command("features", &args)];
            let stamp = cmd_file(&format!("features-{}-{split}", f.name), &cmds);
            outputs.push(make_path(&out)?);
            rules.push(Rule {
                comment: format!("feature set {}: {split} split ({})", f.name, f.method.name()),
                targets: vec![make_path(&out)?],
                prerequisites: vec![make_path(&input)?, make_path(&stamp)?],
                order_only: vec!["$(BIN)/features".into()],
                commands: cmds,
            });
        }
        phony.push((f.name.clone(), outputs));
    }

    let runtime = "$(PIPELINE_RUNTIME)".to_string();
    let mut report_inputs = Vec::new();
    for run in &m.runs {
        let (model_rule, eval_rule, specs) = run_rules(m, run)?;
        spec_files.extend(specs);
        let metrics = eval_rule.targets[0].clone();
        report_inputs.push(model_rule.targets[0].clone());
        report_inputs.push(metrics.clone());
        rules.push(Rule { order_only: vec!["$(BIN)/train".into(), runtime.clone()], ..model_rule });
        rules.push(Rule {
            order_only: vec!["$(BIN)/evaluate".into(), runtime.clone()],
            ..eval_rule
        });
        phony.push((run.name.clone(), vec![metrics]));
    }

    let index = m.settings.report.join("index.md");
    let mut prerequisites = report_inputs.clone();
    prerequisites.push(make_path(&m.file)?);
    rules.push(Rule {
        comment: "the report: every experiment, variant and run (pipeline report)".into(),
        targets: vec![make_path(&index)?],
        prerequisites,
        order_only: vec!["$(BIN)/pipeline".into()],
        commands: vec![command(
            "pipeline",
            &[
                "report".into(),
                "--manifest".into(),
                s(&m.file),
                "--out".into(),
                s(&m.settings.report),
            ],
        )],
    });
    let evals: Vec<String> =
        m.runs.iter().map(|r| s(&m.run_eval_dir(&r.name).join("metrics.json"))).collect();
    phony.push(("runs".into(), evals));
    phony.push(("report".into(), vec![make_path(&index)?]));
    phony.push(("pipeline".into(), vec!["report".into()]));
    Ok(MakePlan { rules, spec_files, phony })
}

/// The train and evaluate rules of one run, and their parameter files.
fn run_rules(m: &Manifest, run: &Run) -> Result<(Rule, Rule, Vec<SpecFile>)> {
    let specs = m.specs_dir();
    let model_dir = m.run_model_dir(&run.name);
    let eval_dir = m.run_eval_dir(&run.name);
    let model = model_dir.join("model.onnx");
    let ds = m.run_dataset(run);
    let train = m.run_input_path(run, "train");
    let val = ds.splits().iter().any(|s| s == "val").then(|| m.run_input_path(run, "val"));
    let mut spec_files = Vec::new();

    let mut args = Vec::new();
    let stamp = match &run.trainer {
        Trainer::Network { .. } => {
            let spec_path = specs.join(format!("{}.toml", run.name));
            args.extend(["--spec".into(), s(&spec_path)]);
            spec_path
        }
        Trainer::Baseline { method } => {
            args.extend(["--baseline".into(), method.clone()]);
            specs.join(format!("{}.cmd", run.name))
        }
    };
    args.extend(["--train".into(), s(&train)]);
    if let Some(v) = &val {
        args.extend(["--val".into(), s(v)]);
    }
    args.extend(["--out".into(), s(&model_dir)]);
    let mut cmds = vec![command("train", &args)];
    match &run.trainer {
        Trainer::Network { table, .. } => {
            // The command goes in as a comment: a changed input path re-runs the run too.
            let mut header = vec![format!("model spec of run `{}`, written by `pipeline make` from {}; edit the manifest, not this file", run.name, m.file.display())];
            header.extend(cmds.iter().map(|c| format!("$ {c}")));
            spec_files.push(SpecFile { path: stamp.clone(), content: spec_toml(table, &header)? });
        }
        Trainer::Baseline { .. } => {
            spec_files.push(SpecFile { path: stamp.clone(), content: cmds.join("\n") + "\n" })
        }
    }
    let mut prerequisites = vec![make_path(&train)?];
    if let Some(v) = &val {
        prerequisites.push(make_path(v)?);
    }
    prerequisites.push(make_path(&stamp)?);
    let kind = match &run.trainer {
        Trainer::Network { .. } => "train".to_string(),
        Trainer::Baseline { method } => format!("train --baseline {method}"),
    };
    let model_rule = Rule {
        comment: format!(
            "run {}: {kind}{}",
            run.name,
            if run.synthetic { " (SYNTHETIC data)" } else { "" }
        ),
        targets: vec![make_path(&model)?],
        prerequisites,
        order_only: vec![],
        commands: std::mem::take(&mut cmds),
    };

    let data = m.run_input_path(run, &run.evaluation.split);
    let mut eargs =
        vec!["--model".into(), s(&model), "--data".into(), s(&data), "--out".into(), s(&eval_dir)];
    if let Some(t) = run.evaluation.threshold {
        eargs.extend(["--threshold".into(), t.to_string()]);
    }
    if let Some(r) = run.evaluation.min_recall {
        eargs.extend(["--min-recall".into(), r.to_string()]);
    }
    if let Some(b) = run.evaluation.batch_size {
        eargs.extend(["--batch-size".into(), b.to_string()]);
    }
    let ecmds = vec![command("evaluate", &eargs)];
    let estamp = specs.join(format!("{}.eval.cmd", run.name));
    spec_files.push(SpecFile { path: estamp.clone(), content: ecmds.join("\n") + "\n" });
    let eval_rule = Rule {
        comment: format!("run {}: evaluate on the {} split", run.name, run.evaluation.split),
        targets: vec![make_path(&eval_dir.join("metrics.json"))?],
        prerequisites: vec![make_path(&model)?, make_path(&data)?, make_path(&estamp)?],
        order_only: vec![],
        commands: ecmds,
    };
    Ok((model_rule, eval_rule, spec_files))
}
