//! End-to-end: spec + Parquet data → trained model, ONNX parity with ONNX Runtime,
//! history and summary files, reproducibility, and every bad-input case.

use std::path::{Path, PathBuf};

use arrow::array::{Array, Float64Array, Int32Array};
use formats::{FeatureDataset, FeatureMeta, ImageDataset, ImageMeta};
use onnx::read_metadata;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use runtime::{run_model, InputTensor};

/// 12×12 grayscale images of 3 classes: class c has a bright 4×4 patch at position c, plus noise.
fn image_dataset(rows: usize, seed: u64) -> ImageDataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut labels = Vec::new();
    let mut images = Vec::new();
    for i in 0..rows {
        let c = i % 3;
        labels.push(c as i32);
        for y in 0..12 {
            for x in 0..12 {
                let inside = (y / 4 == c) && (x / 4 == (c + 1) % 3);
                let base: u8 = if inside { 200 } else { 20 };
                images.push(base.saturating_add(rng.random_range(0..50)));
            }
        }
    }
    let meta = ImageMeta {
        height: 12,
        width: 12,
        channels: 1,
        classes: vec!["a".into(), "b".into(), "c".into()],
        source: "test".into(),
    };
    ImageDataset { meta, labels, images, paths: None }
}

/// 2-class features in 6 dimensions, separable by the sign of x0 + x1, 3:1 imbalanced.
fn feature_dataset(rows: usize, seed: u64) -> FeatureDataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut labels = Vec::new();
    let mut features = Vec::new();
    for i in 0..rows {
        let label = (i % 4 == 0) as i32;
        labels.push(label);
        let shift = if label == 1 { 1.0 } else { -1.0 };
        for d in 0..6 {
            let v: f32 = rng.random_range(-1.0..1.0);
            features.push(if d < 2 { v + shift } else { v });
        }
    }
    let meta = FeatureMeta {
        dim: 6,
        classes: vec!["NORMAL".into(), "PNEUMONIA".into()],
        source: "test".into(),
        params: None,
    };
    FeatureDataset { meta, labels, features }
}

const CNN_SPEC: &str = r#"
name = "tiny_cnn"
input_shape = [12, 12, 1]
loss = "categorical_crossentropy"
epochs = 4
batch_size = 16
seed = 7

[optimizer]
name = "rmsprop"
learning_rate = 0.003

[[layers]]
type = "conv2d"
filters = 4
kernel_size = 3
padding = "same"
activation = "relu"

[[layers]]
type = "max_pool2d"
pool_size = 2

[[layers]]
type = "conv2d"
filters = 4
kernel_size = 2
padding = "same"
activation = "relu"

[[layers]]
type = "max_pool2d"
pool_size = 2

[[layers]]
type = "flatten"

[[layers]]
type = "dense"
units = 8
activation = "tanh"

[[layers]]
type = "dropout"
rate = 0.2

[[layers]]
type = "dense"
units = 3
activation = "softmax"
"#;

const MLP_SPEC: &str = r#"
name = "tiny_mlp"
loss = "binary_crossentropy"
epochs = 6
batch_size = 8
seed = 3
validation_split = 0.25
class_weight = "balanced"

[optimizer]
name = "adam"

[early_stopping]
monitor = "val_loss"
patience = 1
restore_best_weights = true

[[layers]]
type = "dense"
units = 5
activation = "relu"

[[layers]]
type = "dense"
units = 1
activation = "sigmoid"
"#;

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        image_dataset(120, 1).write(&root.join("img_train.parquet"), None).unwrap();
        image_dataset(30, 2).write(&root.join("img_val.parquet"), None).unwrap();
        feature_dataset(96, 3).write(&root.join("feat_train.parquet"), None).unwrap();
        std::fs::write(root.join("cnn.toml"), CNN_SPEC).unwrap();
        std::fs::write(root.join("mlp.toml"), MLP_SPEC).unwrap();
        Setup { _dir: dir, root }
    }
    fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

fn read_history(path: &Path) -> Vec<arrow::array::RecordBatch> {
    formats::DatasetReader::open(path).unwrap().map(|b| b.unwrap()).collect()
}

#[test]
fn cnn_trains_exports_and_matches_onnx_runtime() {
    let s = Setup::new();
    let out = s.p("out_cnn");
    let mut t = train::run(
        &s.p("cnn.toml"),
        &s.p("img_train.parquet"),
        Some(&s.p("img_val.parquet")),
        &out,
        false,
    )
    .unwrap();
    let last = t.history.epochs.last().unwrap();
    assert_eq!(t.history.epochs.len(), 4);
    assert!(last.val_accuracy.unwrap() > 0.9, "learns the patches: {:?}", t.history.epochs);

    // History file: 4 rows, the agreed columns.
    let batches = read_history(&out.join("history.parquet"));
    let b = &batches[0];
    let schema = b.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"]);
    let epochs = b.column(0).as_any().downcast_ref::<Int32Array>().unwrap();
    assert_eq!(epochs.values().to_vec(), [1, 2, 3, 4]);
    let val_acc = b.column(4).as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(val_acc.value(3), last.val_accuracy.unwrap());

    // Summary: counts and formulas. conv 3·3·1·4+4 = 40; conv 2·2·4·4+4 = 68; flatten 3·3·4 = 36;
    // dense 36·8+8 = 296; dense 8·3+3 = 27.
    let summary = formats::Summary::read(&out.join("summary.json")).unwrap();
    assert_eq!(summary.total_params, 40 + 68 + 296 + 27);
    assert_eq!(
        summary.layers[0].formula,
        "4 filters × 3×3 kernel × 1 input channel + 4 biases = 40"
    );
    assert_eq!(
        summary.layers[2].formula,
        "4 filters × 2×2 kernel × 4 input channels + 4 biases = 68"
    );
    assert_eq!(summary.layers[3].output_shape, [None, Some(3), Some(3), Some(4)]);
    assert_eq!(summary.layers[5].name, "dense_1");
    assert_eq!(summary.optimizer["name"], "RMSprop");
    assert_eq!(summary.optimizer["learning_rate"], 0.003);
    assert_eq!(summary.optimizer["epsilon"], 1e-7);
    assert!(summary.loss.equation.contains("log"));
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(text.contains("Total params: 431 = 40 + 68 + 296 + 27"), "{text}");
    assert!(
        text.contains("Input: image (None, 12, 12, 1) (uint8 / 255 inside the model)"),
        "{text}"
    );

    // ONNX: metadata, and the probabilities ONNX Runtime computes from raw uint8 pixels.
    let bytes = std::fs::read(out.join("model.onnx")).unwrap();
    let meta = read_metadata(&bytes).unwrap();
    let get = |k: &str| meta.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(get("classes").unwrap(), r#"["a","b","c"]"#);
    assert!(get("spec").unwrap().contains("tiny_cnn"));
    let val = image_dataset(30, 2);
    let (shape, onnx_probs) =
        run_model(&bytes, InputTensor::U8 { shape: &[30, 12, 12, 1], data: &val.images }).unwrap();
    assert_eq!(shape, [30, 3]);
    let x = train::Tensor::new(
        vec![30, 12, 12, 1],
        val.images.iter().map(|v| *v as f32 / 255.0).collect(),
    );
    let ours = t.model.predict(x);
    let max_diff =
        ours.data.iter().zip(&onnx_probs).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(max_diff <= 1e-5, "ONNX Runtime differs from the trainer by {max_diff}");
}

#[test]
fn feature_model_with_split_class_weights_and_early_stopping() {
    let s = Setup::new();
    let out = s.p("out_mlp");
    let mut t =
        train::run(&s.p("mlp.toml"), &s.p("feat_train.parquet"), None, &out, false).unwrap();
    // 96 rows, split 0.25 → 72 train / 24 validation.
    assert!(t.history.epochs.iter().all(|r| r.val_loss.is_some()));
    assert_eq!(t.summary.total_params, 6 * 5 + 5 + 5 + 1);
    assert_eq!(t.summary.layers[0].formula, "6 inputs × 5 units + 5 biases = 35");
    assert_eq!(t.summary.optimizer["beta_2"], 0.999);
    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(text.contains("Input: features (None, 6) (no scaling)"), "{text}");
    let bytes = std::fs::read(out.join("model.onnx")).unwrap();
    let data = feature_dataset(16, 9);
    let (shape, probs) =
        run_model(&bytes, InputTensor::F32 { shape: &[16, 6], data: &data.features }).unwrap();
    assert_eq!(shape, [16, 1]);
    let ours = t.model.predict(train::Tensor::new(vec![16, 6], data.features.clone()));
    for (a, b) in ours.data.iter().zip(&probs) {
        assert!((a - b).abs() <= 1e-5, "{a} vs {b}");
    }
    let batches = read_history(&out.join("history.parquet"));
    assert_eq!(batches[0].column(3).null_count(), 0);
}

#[test]
fn seeded_runs_are_bit_identical() {
    let s = Setup::new();
    let a =
        train::run(&s.p("cnn.toml"), &s.p("img_train.parquet"), None, &s.p("a"), false).unwrap();
    let b =
        train::run(&s.p("cnn.toml"), &s.p("img_train.parquet"), None, &s.p("b"), false).unwrap();
    assert_eq!(a.model.weights(), b.model.weights());
    let losses = |t: &train::Trained| {
        t.history.epochs.iter().map(|r| (r.loss, r.accuracy)).collect::<Vec<_>>()
    };
    assert_eq!(losses(&a), losses(&b));
    // No validation → null columns.
    let batches = read_history(&s.p("a").join("history.parquet"));
    assert_eq!(batches[0].column(3).null_count(), 4);
    // A different seed gives different weights.
    std::fs::write(s.p("cnn2.toml"), CNN_SPEC.replace("seed = 7", "seed = 8")).unwrap();
    let c =
        train::run(&s.p("cnn2.toml"), &s.p("img_train.parquet"), None, &s.p("c"), false).unwrap();
    assert_ne!(a.model.weights(), c.model.weights());
}

/// Runs the binary and returns (exit code, stderr); the output dir must stay absent.
fn fails(s: &Setup, args: &[&str], want: &str) {
    let out = s.p("bad_out");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_train"));
    cmd.args(args).arg("--out").arg(&out).arg("--quiet");
    let o = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(want), "{args:?}: expected {want:?} in {err}");
    assert!(!out.exists(), "no partial output for {args:?}");
}

#[test]
fn bad_inputs_fail_with_one_clear_message_and_no_output() {
    let s = Setup::new();
    let spec = |name: &str, text: String| {
        let p = s.p(name);
        std::fs::write(&p, text).unwrap();
        p.to_string_lossy().into_owned()
    };
    let train = s.p("img_train.parquet").to_string_lossy().into_owned();
    let feats = s.p("feat_train.parquet").to_string_lossy().into_owned();
    let cnn = s.p("cnn.toml").to_string_lossy().into_owned();
    let unknown = spec("u.toml", CNN_SPEC.replace("epochs = 4", "epochs = 4\nepoch = 3"));
    fails(&s, &["--spec", &unknown, "--train", &train], "unknown field `epoch`");
    let unknown_layer_key = spec(
        "ul.toml",
        CNN_SPEC.replace("filters = 4\nkernel_size = 3", "filters = 4\nkernel = 3"),
    );
    fails(&s, &["--spec", &unknown_layer_key, "--train", &train], "unknown field `kernel`");
    fails(&s, &["--spec", "/nonexistent/spec.toml", "--train", &train], "/nonexistent/spec.toml");
    fails(
        &s,
        &["--spec", &cnn, "--train", "/nonexistent/data.parquet"],
        "/nonexistent/data.parquet",
    );
    fails(&s, &["--spec", &cnn, "--train", &feats], "input_shape = [12, 12, 1]");
    let no_shape = spec("ns.toml", CNN_SPEC.replace("input_shape = [12, 12, 1]\n", ""));
    fails(
        &s,
        &["--spec", &no_shape, "--train", &feats],
        "needs an image input [H, W, C]; it gets [6]",
    );
    let classes = spec("cl.toml", CNN_SPEC.replace("units = 3", "units = 4"));
    fails(&s, &["--spec", &classes, "--train", &train], "3 classes");
    let weights =
        spec("cw.toml", CNN_SPEC.replace("seed = 7", "seed = 7\nclass_weight = { z = 2.0 }"));
    fails(&s, &["--spec", &weights, "--train", &train], "class_weight names class \"z\"");
    let monitor =
        spec("es.toml", format!("{}\n[early_stopping]\nmonitor = \"val_accuracy\"\n", CNN_SPEC));
    fails(&s, &["--spec", &monitor, "--train", &train], "no validation data");
    fails(&s, &["--spec", &cnn, "--train", &train, "--val", &feats], "validation data");
    let mlp = s.p("mlp.toml").to_string_lossy().into_owned();
    fails(&s, &["--spec", &mlp, "--train", &train], "needs a flat input");
}

#[test]
fn non_finite_values_never_pass_silently() {
    let s = Setup::new();
    let mlp = s.p("mlp.toml").to_string_lossy().into_owned();
    let mut nan = feature_dataset(96, 3);
    nan.features[5 * 6 + 2] = f32::NAN;
    nan.write(&s.p("nan.parquet"), None).unwrap();
    fails(
        &s,
        &["--spec", &mlp, "--train", &s.p("nan.parquet").to_string_lossy()],
        "row 5 has NaN in feature 2",
    );
    let mut inf = feature_dataset(40, 4);
    inf.features[39 * 6] = f32::NEG_INFINITY;
    inf.write(&s.p("inf.parquet"), None).unwrap();
    let feats = s.p("feat_train.parquet").to_string_lossy().into_owned();
    fails(
        &s,
        &["--spec", &mlp, "--train", &feats, "--val", &s.p("inf.parquet").to_string_lossy()],
        "row 39 has -inf in feature 0",
    );
    // A step so large the weights overflow: stopped at the batch where the loss turns
    // non-finite (Keras's TerminateOnNaN), nothing written.
    let wild = MLP_SPEC.replace("name = \"adam\"", "name = \"sgd\"\nlearning_rate = 1e30");
    std::fs::write(s.p("wild.toml"), wild).unwrap();
    fails(
        &s,
        &["--spec", &s.p("wild.toml").to_string_lossy(), "--train", &feats],
        "at epoch 1, batch 2 of 9",
    );
}

#[test]
fn exported_models_pass_the_onnx_checker() {
    let python = testkit::venv_python("");
    let s = Setup::new();
    train::run(&s.p("cnn.toml"), &s.p("img_train.parquet"), None, &s.p("o1"), false).unwrap();
    train::run(&s.p("mlp.toml"), &s.p("feat_train.parquet"), None, &s.p("o2"), false).unwrap();
    for dir in ["o1", "o2"] {
        let model = s.p(dir).join("model.onnx");
        // Also: the graph states every layer's output shape (value_info, for Netron),
        // and each equals what ONNX's own shape inference finds without them.
        let script = r#"
import onnx, sys
m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True)
dims = lambda v: [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]
ours = {v.name: dims(v) for v in m.graph.value_info}
bare = onnx.ModelProto(); bare.CopyFrom(m); del bare.graph.value_info[:]
theirs = {v.name: dims(v) for v in onnx.shape_inference.infer_shapes(bare, strict_mode=True).graph.value_info}
wrong = [n for n in ours if ours[n] != theirs.get(n)]
print(m.ir_version, m.opset_import[0].version, len(ours) > 2, wrong)
"#;
        let o =
            std::process::Command::new(&python).args(["-c", script]).arg(&model).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "8 17 True []");
    }
}

/// `kill -9` while a run's new files wait to be committed: the output directory still
/// holds the old model with the old history and summaries, not a mix.
#[test]
fn a_kill_before_the_commit_leaves_the_old_set() {
    let s = Setup::new();
    let out = s.p("run");
    train::run(&s.p("cnn.toml"), &s.p("img_train.parquet"), None, &out, false).unwrap();
    let read = |dir: &Path| -> Vec<Vec<u8>> {
        ["model.onnx", "history.parquet", "summary.json", "summary.txt"]
            .iter()
            .map(|f| std::fs::read(dir.join(f)).unwrap())
            .collect()
    };
    let old = read(&out);
    // A different run (another seed), paused just before its commit, then killed.
    std::fs::write(s.p("cnn2.toml"), CNN_SPEC.replace("seed = 7", "seed = 8")).unwrap();
    let mut train = std::process::Command::new(env!("CARGO_BIN_EXE_train"));
    train.args(["--spec", s.p("cnn2.toml").to_str().unwrap(), "--train"]);
    train.arg(s.p("img_train.parquet")).arg("--out").arg(&out).arg("--quiet");
    let said = testkit::kill_at_commit(train);
    assert!(said.contains("run"), "{said}");
    assert!(testkit::temporaries(&s.p(".")).iter().any(|t| t.starts_with(".run.tmp-")));
    assert_eq!(read(&out), old, "the old set is intact");
    // And without the kill the new set replaces it whole.
    let new = train::run(&s.p("cnn2.toml"), &s.p("img_train.parquet"), None, &out, false).unwrap();
    assert_ne!(read(&out)[0], old[0]);
    assert_eq!(
        new.history.epochs.len(),
        formats::History::read(&out.join("history.parquet")).unwrap().epochs.len()
    );
    // The killed run's staging directory was cleaned up by the next run.
    let temps = testkit::temporaries(&s.p("."));
    assert!(temps.is_empty(), "temporaries of the killed run remain: {temps:?}");
}

#[test]
fn profile_names_every_layer_and_rates_the_products() {
    let s = Setup::new();
    let profile = s.p("profile.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_train"))
        .args(["--spec", "cnn.toml", "--train", "img_train.parquet", "--val", "img_val.parquet"])
        .args(["--out", "out_profile", "--profile", "profile.json"])
        .current_dir(&s.root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8_lossy(&out.stderr);
    assert!(table.contains("backward-weights") && table.contains("conv2d_2"), "{table}");
    let p: serde_json::Value = serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    let names: Vec<&str> =
        p["layers"].as_array().unwrap().iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "conv2d_1",
            "max_pooling2d_1",
            "conv2d_2",
            "max_pooling2d_2",
            "flatten_1",
            "dense_1",
            "dropout_1",
            "dense_2"
        ]
    );
    let layer = |i: usize| &p["layers"][i];
    // conv2d_2: 6×6 outputs × (2·2·4 taps) × 4 filters per sample, for each product.
    assert_eq!(layer(2)["multiply_adds"]["forward"], 6 * 6 * 16 * 4);
    assert_eq!(layer(5)["multiply_adds"]["backward_weights"], 36 * 8);
    for i in [0, 2, 5, 7] {
        assert!(layer(i)["forward"]["gflops"].as_f64().unwrap() > 0.0, "{}", layer(i));
        assert!(layer(i)["backward_weights"]["gflops"].as_f64().unwrap() > 0.0, "{}", layer(i));
    }
    // The first layer computes no input gradient.
    assert_eq!(layer(0)["backward_data"]["seconds"], 0.0);
    assert!(layer(2)["backward_data"]["gflops"].as_f64().unwrap() > 0.0);
    assert!(
        p["fit_s"].as_f64().unwrap()
            >= p["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["forward"]["seconds"].as_f64().unwrap())
                .sum::<f64>()
    );
}
