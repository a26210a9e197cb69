//! A stage swapped by configuration: `method = "command"` runs the user's program in
//! place of `features`, once per split, and the runs train on what it wrote.

use std::path::Path;
use std::process::Command;

/// One feature set made by `features pixels`, one by the numpy script of `examples/`.
const MANIFEST: &str = r#"
[settings]
out = "pipe"

[datasets.tiny]
kind = "parquet"
train = "img_train.parquet"
test = "img_test.parquet"

[features.rust]
method = "pixels"
from = "tiny"

[features.numpy]
method = "command"
from = "tiny"
command = ["PYTHON", "SCRIPT", "{in}", "{out}"]
inputs = ["SCRIPT"]

[baselines.lr]
method = "logistic"
features = "numpy"
"#;

/// `pipeline run NODE` on the manifest in `dir`, which must succeed.
fn run_node(dir: &Path, node: &str) {
    let bin = Path::new(env!("CARGO_BIN_EXE_pipeline")).parent().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_pipeline"))
        .args(["run", node, "--manifest"])
        .arg(dir.join("pipeline.toml"))
        .arg("--bin")
        .arg(bin)
        .output()
        .unwrap();
    assert!(o.status.success(), "{node}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_command_replaces_the_features_stage_value_for_value() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = testkit::venv_python("");
    let script = root.join("examples/pixels_numpy.py").canonicalize().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let classes = ["a", "b", "c"];
    testkit::image_dataset(90, [6, 5, 1], &classes, 1)
        .write(&dir.path().join("img_train.parquet"), None)
        .unwrap();
    testkit::image_dataset(30, [6, 5, 1], &classes, 2)
        .write(&dir.path().join("img_test.parquet"), None)
        .unwrap();
    let manifest = MANIFEST
        .replace("PYTHON", &python.to_string_lossy())
        .replace("SCRIPT", &script.to_string_lossy());
    std::fs::write(dir.path().join("pipeline.toml"), manifest).unwrap();
    let run = |node: &str| run_node(dir.path(), node);
    for node in ["features:rust:train", "features:numpy:train", "features:numpy:test"] {
        run(node);
    }
    let read = |set: &str| {
        formats::read_feature_dataset(
            &dir.path().join(format!("pipe/features/{set}/train.parquet")),
        )
        .unwrap()
    };
    let (rust, numpy) = (read("rust"), read("numpy"));
    assert_eq!(numpy.meta.dim, 30);
    assert_eq!(numpy.meta.classes, classes);
    assert_eq!(numpy.labels, rust.labels);
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&numpy.features), bits(&rust.features));

    // The run reads the command's files.
    run("train:lr");
    assert!(dir.path().join("pipe/runs/lr/model/model.onnx").is_file());
}

#[test]
fn a_command_node_reads_whole_files_in_a_sharded_plan() {
    let text = MANIFEST.replace("PYTHON", "python3").replace("SCRIPT", "tools/f.py");
    let m = pipeline::manifest::Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    let plan = pipeline::plan::plan(&m, 3).unwrap();
    let node = |id: &str| plan.nodes.iter().find(|n| n.id == id).unwrap_or_else(|| panic!("{id}"));
    let cmd = node("features:numpy:test");
    assert_eq!(
        cmd.commands,
        [
            vec!["mkdir", "-p", "pipe/features/numpy"],
            vec!["python3", "tools/f.py", "img_test.parquet", "pipe/features/numpy/test.parquet"],
        ]
    );
    assert_eq!(cmd.outputs, ["pipe/features/numpy/test.parquet"]);
    assert!(cmd.inputs.contains(&"tools/f.py".to_string()), "{:?}", cmd.inputs);
    assert!(plan.nodes.iter().all(|n| n.id != "features:numpy:test:1"));
    // Training waits for the command's file; `features pixels` is still sharded.
    let train = node("train:lr");
    assert_eq!(train.inputs[0], "pipe/features/numpy/train.parquet");
    assert!(train.after.contains(&"features:numpy:train".to_string()), "{:?}", train.after);
    node("features:rust:train:2");
}

#[test]
fn a_command_makes_a_dataset_split_by_split() {
    let dir = tempfile::tempdir().unwrap();
    let classes = ["a", "b"];
    for (split, seed) in [("train", 3), ("test", 4)] {
        testkit::image_dataset(40, [4, 4, 1], &classes, seed)
            .write(&dir.path().join(format!("given-{split}.parquet")), None)
            .unwrap();
    }
    let manifest = r#"
[settings]
out = "pipe"

[datasets.copied]
kind = "command"
command = ["cp", "given-{split}.parquet", "{out}"]
splits = ["train", "test"]

[baselines.lr]
method = "logistic"
data = "copied"
"#;
    std::fs::write(dir.path().join("pipeline.toml"), manifest).unwrap();
    for node in ["data:copied:train", "data:copied:test", "train:lr"] {
        run_node(dir.path(), node);
    }
    let made = std::fs::read(dir.path().join("pipe/data/copied/test.parquet")).unwrap();
    assert_eq!(made, std::fs::read(dir.path().join("given-test.parquet")).unwrap());
    assert!(dir.path().join("pipe/runs/lr/model/model.onnx").is_file());
    // Sharded, it stays one node per split; its readers read the whole file.
    let m = pipeline::manifest::Manifest::parse(manifest, Path::new("pipeline.toml")).unwrap();
    let plan = pipeline::plan::plan(&m, 2).unwrap();
    let ids: Vec<&str> = plan.nodes.iter().map(|n| n.id.as_str()).collect();
    assert!(ids.contains(&"data:copied:train") && !ids.contains(&"data:copied:train:1"), "{ids:?}");
    let train = plan.nodes.iter().find(|n| n.id == "train:lr").unwrap();
    assert!(
        train.inputs.contains(&"pipe/data/copied/train.parquet".to_string()),
        "{:?}",
        train.inputs
    );
    assert_eq!(train.after, ["data:copied:train"]);
}
