//! `pipeline run NODE`: one node of the plan, run with the commands make would run,
//! from the manifest's directory.

use std::process::Command;

const MANIFEST: &str = r#"
[settings]
out = "pipe"

[datasets.tiny]
kind = "parquet"
train = "img_train.parquet"
val = "img_val.parquet"
test = "img_val.parquet"

[models.net]
data = "tiny"
input_shape = [12, 12, 1]
loss = "categorical_crossentropy"
epochs = 2
batch_size = 16
optimizer = { name = "rmsprop" }
layers = [
  { type = "flatten" },
  { type = "dense", units = 8, activation = "relu" },
  { type = "dense", units = 3, activation = "softmax" },
]

[models.net.variants.wide]
layers.1.units = 16
"#;

#[test]
fn runs_one_training_node_of_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let classes = ["a", "b", "c"];
    testkit::image_dataset(120, [12, 12, 1], &classes, 1)
        .write(&dir.path().join("img_train.parquet"), None)
        .unwrap();
    testkit::image_dataset(30, [12, 12, 1], &classes, 2)
        .write(&dir.path().join("img_val.parquet"), None)
        .unwrap();
    std::fs::write(dir.path().join("pipeline.toml"), MANIFEST).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_pipeline")).parent().unwrap();
    // Run from elsewhere: the manifest's relative paths resolve next to it.
    let run = |node: &str| {
        Command::new(env!("CARGO_BIN_EXE_pipeline"))
            .args(["run", node, "--manifest"])
            .arg(dir.path().join("pipeline.toml"))
            .arg("--bin")
            .arg(bin)
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    };
    let o = run("train:net-wide");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("pipe/runs/net-wide/model");
    let summary = formats::Summary::read(&out.join("summary.json")).unwrap();
    // 144·16 + 16 + 16·3 + 3: the variant's 16 units, not the base model's 8.
    assert_eq!(summary.total_params, 2_371, "{summary:?}");
    assert!(out.join("model.onnx").is_file() && out.join("history.parquet").is_file());

    let o = run("nope");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("has no node `nope`; its nodes are: train:net, eval:net,"), "{err}");

    let o = run("eval:net");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("node `eval:net` needs pipe/runs/net/model/model.onnx, which is missing"),
        "{err}"
    );
}
