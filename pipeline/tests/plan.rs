//! `pipeline plan`: the DAG that make and the Ray executor both run.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use pipeline::manifest::Manifest;
use pipeline::plan::plan;

/// The lab's manifest as committed with the tests (tests/fixtures/pipeline.toml, a copy
/// of `pipeline.toml`): its names are asserted below, whatever the live one says.
fn demo_manifest() -> Manifest {
    Manifest::parse(include_str!("fixtures/pipeline.toml"), Path::new("pipeline.toml")).unwrap()
}

#[test]
fn the_one_shard_plan_is_the_make_rules() {
    let m = demo_manifest();
    let p = plan(&m, 1).unwrap();
    let rules = pipeline::make::plan(&m).unwrap().rules;
    assert_eq!(p.nodes.len(), rules.len());
    for (n, r) in p.nodes.iter().zip(&rules) {
        assert_eq!(n.outputs, r.targets, "{}", n.id);
        assert_eq!(n.inputs, r.prerequisites, "{}", n.id);
        let lines: Vec<String> =
            n.commands.iter().map(|c| pipeline::plan::command_line(c)).collect();
        assert_eq!(lines, r.commands, "{}", n.id);
    }
}

#[test]
fn sharded_plans_split_the_per_row_stages_and_keep_a_valid_order() {
    let m = demo_manifest();
    let one = plan(&m, 1).unwrap();
    for shards in [2, 3] {
        let p = plan(&m, shards).unwrap();
        let ids: HashSet<&str> = p.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids.len(), p.nodes.len(), "ids are unique");
        // Every per-row node of the one-shard plan becomes `shards` nodes; training,
        // the synthetic images and the report stay one; each evaluation gets a merge.
        let per_row = one.nodes.iter().filter(|n| {
            ["data:mnist:", "data:xray:", "features:", "eval:"].iter().any(|p| n.id.starts_with(p))
        });
        let single = one.nodes.len() - per_row.clone().count();
        let evals = m.runs.len();
        assert_eq!(p.nodes.len(), single + per_row.count() * shards + evals, "{shards} shards");
        for run in &m.runs {
            let merge =
                p.nodes.iter().find(|n| n.id == format!("eval:{}:merge", run.name)).unwrap();
            assert_eq!(merge.after.len(), shards);
            assert_eq!(merge.commands[0][..2], ["evaluate".to_string(), "merge".to_string()]);
        }
        // A node comes after the nodes it waits for, and those write its inputs.
        let mut seen = HashSet::new();
        let writer: HashMap<&str, &str> = p
            .nodes
            .iter()
            .flat_map(|n| n.outputs.iter().map(move |o| (o.as_str(), n.id.as_str())))
            .collect();
        for n in &p.nodes {
            for a in &n.after {
                assert!(seen.contains(a.as_str()), "{} runs before {a}", n.id);
            }
            for i in &n.inputs {
                if let Some(w) = writer.get(i.as_str()) {
                    assert!(
                        n.after.iter().any(|a| a == w),
                        "{} reads {i} without waiting for {w}",
                        n.id
                    );
                }
            }
            seen.insert(n.id.as_str());
        }
        // Shard K writes part K; the HOG pictures are drawn once.
        let hog: Vec<_> =
            p.nodes.iter().filter(|n| n.id.starts_with("features:hog:train:")).collect();
        assert_eq!(hog.len(), shards);
        for (k, n) in hog.iter().enumerate() {
            assert!(
                n.outputs[0].ends_with(&format!("train.parquet/part-{k:05}.parquet")),
                "{:?}",
                n.outputs
            );
            assert_eq!(n.commands[0].contains(&"--visualize".to_string()), k == 0);
        }
        let train = p.nodes.iter().find(|n| n.id == "train:cnn").unwrap();
        assert_eq!(train.cpus, pipeline::plan::TRAIN_CPUS);
    }
    assert!(plan(&m, 0).is_err());
}

/// A model with `n` named variants, each changing `epochs`.
fn many_variants(n: usize) -> String {
    let mut text = String::from(
        "[datasets.mnist]\nkind = \"idx\"\ntrain_images = \"data/train-images.gz\"\ntrain_labels = \"data/train-labels.gz\"\ntest_images = \"data/test-images.gz\"\ntest_labels = \"data/test-labels.gz\"\nval_fraction = 0.1\n\n[models.mlp]\ndata = \"mnist\"\nloss = \"categorical_crossentropy\"\nlayers = [{ type = \"flatten\" }, { type = \"dense\", units = 10, activation = \"softmax\" }]\n",
    );
    for i in 1..=n {
        text.push_str(&format!("\n[models.mlp.variants.v{i}]\nepochs = {}\n", i % 50 + 1));
    }
    text
}

#[test]
fn ten_thousand_variants_make_every_rule_and_spec_file() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest = tmp.path().join("pipeline.toml");
    let out = tmp.path().join("out");
    let text =
        format!("[settings]\nout = {:?}\n{}", out.display().to_string(), many_variants(10_000));
    std::fs::write(&manifest, text).unwrap();
    let fragment = pipeline::make_fragment(&pipeline::MakeArgs {
        manifest: manifest.clone(),
        outputs_anywhere: false,
        out: None,
    })
    .unwrap();
    // The base run and 10,000 variants: a train and an eval rule each.
    assert_eq!(fragment.matches("\t$(BIN)/train --spec ").count(), 10_001);
    assert_eq!(fragment.matches("\t$(BIN)/evaluate --model ").count(), 10_001);
    assert!(fragment.contains(&format!("{}/runs/mlp-v10000/model/model.onnx", out.display())));
    let specs = std::fs::read_dir(out.join("specs")).unwrap().count();
    // Two ingest commands, a model spec and an evaluate command per run.
    assert_eq!(specs, 2 + 2 * 10_001);

    let plan = pipeline::plan_for(&manifest, 4, false).unwrap();
    let report = plan.nodes.iter().find(|n| n.id == "report").unwrap();
    assert_eq!(report.after.len(), 2 * 10_001, "waits for every train and merge node once");
    let m = Manifest::load(&manifest).unwrap();
    assert_eq!(m.run("mlp-v10000").unwrap().line, 10_000 * 3 + 13);
}

#[test]
fn show_prints_a_runs_commands_in_order_ready_for_a_shell() {
    let p = plan(&demo_manifest(), 1).unwrap();
    let script = pipeline::show::show(&p, "hog-mlp-ppc7", "target/release", None).unwrap();
    let lines: Vec<&str> = script.lines().collect();
    let ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("# "))
        .map(|l| l.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "data:mnist:train",
            "data:mnist:test",
            "features:hog-ppc7:train",
            "features:hog-ppc7:val",
            "features:hog-ppc7:test",
            "train:hog-mlp-ppc7",
            "eval:hog-mlp-ppc7",
        ]
    );
    let commands: Vec<&str> = lines.iter().copied().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(commands.len(), 7);
    assert_eq!(
        commands[5],
        "target/release/train --spec out/specs/hog-mlp-ppc7.toml \
         --train out/features/hog-ppc7/train.parquet --val out/features/hog-ppc7/val.parquet \
         --out out/runs/hog-mlp-ppc7/model"
    );
    assert!(commands.iter().all(|c| c.starts_with("target/release/") && !c.contains("$(")));

    // Each command is the node's argv, word for word, once `sh` has read it.
    let eval = p.nodes.iter().find(|n| n.id == "eval:hog-mlp-ppc7").unwrap();
    let words = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\n' {}", commands[6]))
        .output()
        .unwrap();
    let words: Vec<String> =
        String::from_utf8(words.stdout).unwrap().lines().map(String::from).collect();
    assert_eq!(words[0], "target/release/evaluate");
    assert_eq!(words[1..], eval.commands[0][1..]);

    // A node id and an output file name the same nodes as their run or set does.
    // Training reads the train and val splits only.
    let by_id = pipeline::show::nodes_for(&p, "train:hog-mlp-ppc7").unwrap();
    let ids: Vec<&str> = by_id.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "data:mnist:train",
            "features:hog-ppc7:train",
            "features:hog-ppc7:val",
            "train:hog-mlp-ppc7"
        ]
    );
    let by_file = pipeline::show::nodes_for(&p, "out/features/hog-ppc7/test.parquet").unwrap();
    let ids: Vec<&str> = by_file.iter().map(|n| n.id.as_str()).collect();
    assert_eq!(ids, ["data:mnist:test", "features:hog-ppc7:test"]);
    let report = pipeline::show::nodes_for(&p, "pipeline").unwrap();
    assert_eq!(report.len(), p.nodes.len(), "the whole pipeline");

    let e = pipeline::show::show(&p, "hog-mpl", "bin", None).unwrap_err().to_string();
    assert!(e.starts_with("pipeline.toml has no target `hog-mpl`: give a run"), "{e}");
    assert!(e.contains("hog-mlp-ppc7, hog-mlp-units300"), "{e}");
}

#[test]
fn shell_words_with_quotes_and_dollars_survive_sh() {
    for word in ["plain", "with space", "it's", "$HOME", "a\"b", "", "semi;colon"] {
        let quoted = pipeline::shell::shell_quote(word);
        let o = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf '%s' {quoted}"))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(o.stdout).unwrap(), word, "{quoted}");
    }
}

#[test]
fn a_warm_start_reads_its_source_model_and_trains_after_it() {
    // The fine-tune variant is declared before the model it starts from.
    let text = include_str!("fixtures/pipeline.toml").replacen(
        "[models.mlp]",
        "[models.tuned]\ninit_from = \"mlp\"\ndata = \"mnist\"\ninput_shape = [28, 28, 1]\nloss = \"categorical_crossentropy\"\nepochs = 1\noptimizer = { name = \"sgd\" }\nlayers = [{ type = \"flatten\" }, { type = \"dense\", units = 10, activation = \"softmax\" }]\n\n[models.mlp]",
        1,
    );
    let m = Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    let p = plan(&m, 1).unwrap();
    let position = |id: &str| p.nodes.iter().position(|n| n.id == id).unwrap();
    let tuned = &p.nodes[position("train:tuned")];
    let source = "out/runs/mlp/model/model.onnx".to_string();
    let command = tuned.commands[0].join(" ");
    assert!(command.contains(&format!("--init-from {source}")), "{command}");
    assert!(tuned.inputs.contains(&source) && tuned.after.contains(&"train:mlp".to_string()));
    assert!(position("train:mlp") < position("train:tuned"));
}
