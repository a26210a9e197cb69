//! `pipeline make` refuses every model spec that `train` refuses, at the same key and
//! with the same sentence: both read the spec into `params::ModelSpec`.

use std::path::Path;
use std::process::Command;

use manifest::Manifest;

const BASE: &str = r#"
loss = "categorical_crossentropy"
epochs = 2
[optimizer]
name = "rmsprop"
[[layers]]
type = "conv2d"
filters = 4
kernel_size = 3
[[layers]]
type = "flatten"
[[layers]]
type = "dense"
units = 10
activation = "softmax"
"#;

/// (what is wrong, the edit to BASE, the key train and the manifest must name).
fn bad_specs() -> Vec<(&'static str, String, &'static str)> {
    let top = |line: &str| format!("{line}\n{BASE}");
    let swap = |from: &str, to: &str| {
        assert!(BASE.contains(from), "{from}");
        BASE.replacen(from, to, 1)
    };
    vec![
        ("validation_split 0", top("validation_split = 0"), "validation_split"),
        ("validation_split 1.5", top("validation_split = 1.5"), "validation_split"),
        (
            "learning_rate 0",
            swap("name = \"rmsprop\"", "name = \"rmsprop\"\nlearning_rate = 0"),
            "optimizer.learning_rate",
        ),
        (
            "learning_rate inf",
            swap("name = \"rmsprop\"", "name = \"rmsprop\"\nlearning_rate = inf"),
            "optimizer.learning_rate",
        ),
        ("rho 1", swap("name = \"rmsprop\"", "name = \"rmsprop\"\nrho = 1.0"), "optimizer.rho"),
        ("epochs 0", swap("epochs = 2", "epochs = 0"), "epochs"),
        ("batch_size 0", top("batch_size = 0"), "batch_size"),
        ("units 0", swap("units = 10", "units = 0"), "layers.2.units"),
        ("filters 0", swap("filters = 4", "filters = 0"), "layers.0.filters"),
        ("kernel 0", swap("kernel_size = 3", "kernel_size = [0, 3]"), "layers.0"),
        ("padding", swap("kernel_size = 3", "kernel_size = 3\npadding = \"full\""), "layers.0"),
        ("unknown top key", top("epoch = 3"), "epoch"),
        ("unknown layer key", swap("units = 10", "units = 10\nunit = 4"), "layers.2.unit"),
        ("unknown layer type", swap("type = \"flatten\"", "type = \"lstm\""), "layers.1.type"),
        ("activation", swap("\"softmax\"", "\"gelu\""), "layers.2"),
        ("optimizer name", swap("\"rmsprop\"", "\"adagrad\""), "optimizer.name"),
        ("class_weight mode", top("class_weight = \"auto\""), "class_weight"),
        ("class_weight value", top("class_weight = { a = -1.0 }"), "class_weight.a"),
        (
            "early_stopping monitor",
            format!("{BASE}\n[early_stopping]\nmonitor = \"f1\""),
            "early_stopping.monitor",
        ),
        (
            "dropout rate",
            format!("{BASE}\n[[layers]]\ntype = \"dropout\"\nrate = 1.0"),
            "layers.3.rate",
        ),
        ("loss", swap("\"categorical_crossentropy\"", "\"hinge\""), "loss"),
        ("no layers", "loss = \"binary_crossentropy\"\nlayers = []".into(), "layers"),
    ]
}

/// `train --spec`'s refusal: its one `error:` line, after the file name.
fn train_refusal(dir: &Path, spec: &str) -> String {
    let path = dir.join("spec.toml");
    std::fs::write(&path, spec).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--spec", path.to_str().unwrap(), "--train", "missing.parquet", "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "train accepted it: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    let prefix = format!("error: {} is not a valid model spec: ", path.display());
    stderr.trim_end().strip_prefix(&prefix).unwrap_or_else(|| panic!("{stderr}")).to_string()
}

/// The manifest's refusal of the same spec as model `m`: `KEY: sentence`.
fn manifest_refusal(spec: &str) -> String {
    let mut model: toml::Table = toml::from_str(spec).unwrap();
    model.insert("data".into(), "d".into());
    let mut root: toml::Table = toml::from_str(
        "[datasets.d]\nkind = \"parquet\"\ntrain = \"train.parquet\"\ntest = \"test.parquet\"\n",
    )
    .unwrap();
    root.insert(
        "models".into(),
        toml::Value::Table(toml::Table::from_iter([("m".to_string(), model.into())])),
    );
    let text = toml::to_string(&root).unwrap();
    let e = Manifest::parse(&text, Path::new("pipeline.toml"))
        .expect_err("the manifest accepted it")
        .to_string();
    let rest = e.split_once(": models.m.").unwrap_or_else(|| panic!("{e}")).1;
    rest.to_string()
}

#[test]
fn the_manifest_refuses_what_train_refuses_with_the_same_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = Vec::new();
    for (what, spec, key) in bad_specs() {
        let by_train = train_refusal(dir.path(), &spec);
        let by_manifest = manifest_refusal(&spec);
        if !by_train.starts_with(&format!("{key}: ")) || by_train != by_manifest {
            wrong.push(format!(
                "{what} (key {key}):\n  train:    {by_train}\n  manifest: {by_manifest}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The harness itself: the base spec passes both.
    assert!(params::ModelSpec::from_toml_str(BASE).is_ok());
}
