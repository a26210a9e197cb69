//! End-to-end tests of the `evaluate` binary and library on the committed fixtures
//! (`tests/fixtures/make_fixtures.py` made them and saved scikit-learn's figures
//! beside them as JSON).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{assert_one_sentence_error, evaluate, fixture, stderr};
use serde_json::Value;

fn evaluate_env(args: &[&str], key: &str, value: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evaluate"))
        .args(args)
        .env(key, value)
        .output()
        .expect("run evaluate")
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// A Parquet file as one arrow batch.
fn table(path: &Path) -> arrow::record_batch::RecordBatch {
    let reader = formats::DatasetReader::open(path).unwrap();
    let schema = reader.schema().clone();
    let batches: Vec<_> = reader.map(|b| b.unwrap()).collect();
    arrow::compute::concat_batches(&schema, &batches).unwrap()
}

fn column_names(batch: &arrow::record_batch::RecordBatch) -> Vec<String> {
    batch.schema().fields().iter().map(|f| f.name().clone()).collect()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(a: &Value, b: &Value, tol: f64, what: &str) {
    let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
    assert!((a - b).abs() <= tol, "{what}: evaluate {a} vs scikit-learn {b}");
}

fn compare_with_sklearn(m: &Value, e: &Value) {
    assert_eq!(m["rows"], e["rows"]);
    assert_eq!(m["classes"], e["classes"]);
    assert_eq!(m["confusion"], e["confusion"], "confusion matrix");
    close(&m["accuracy"], &e["accuracy"], 1e-12, "accuracy");
    close(&m["log_loss"], &e["log_loss"], 1e-5, "log_loss");
    for avg in ["macro", "weighted"] {
        for k in ["precision", "recall", "f1"] {
            close(&m[avg][k], &e[avg][k], 1e-9, &format!("{avg} {k}"));
        }
    }
    let (mp, ep) = (m["per_class"].as_array().unwrap(), e["per_class"].as_array().unwrap());
    assert_eq!(mp.len(), ep.len());
    for (a, b) in mp.iter().zip(ep) {
        assert_eq!(a["class"], b["class"]);
        assert_eq!(a["support"], b["support"]);
        for k in ["precision", "recall", "f1"] {
            close(&a[k], &b[k], 1e-9, &format!("class {} {k}", a["class"]));
        }
    }
}

#[test]
fn sklearn_model_needs_only_model_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let o = evaluate(&[
        "--model",
        fixture("sklearn/model.onnx").to_str().unwrap(),
        "--data",
        fixture("mnist-200.parquet").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("accuracy 0.9050"), "{stdout}");
    assert!(stdout.contains("predicted as"), "{stdout}");
    let m = read_json(&out.join("metrics.json"));
    compare_with_sklearn(&m, &expected("sklearn_expected.json"));
    assert_eq!(m["binary"], Value::Null);
    assert!(m["output"].as_str().unwrap().contains("`probabilities`"), "{}", m["output"]);
    assert!(m["input"].as_str().unwrap().contains("pixels × "), "{}", m["input"]);
    assert_eq!(m["score_transform"], "none");
    // top confused pairs agree with the confusion matrix, largest first
    let conf = m["confusion"].as_array().unwrap();
    let top = m["top_confused"].as_array().unwrap();
    assert!(!top.is_empty());
    let largest_off = (0..10)
        .flat_map(|t| (0..10).filter(move |&p| p != t).map(move |p| (t, p)))
        .map(|(t, p)| conf[t][p].as_u64().unwrap())
        .max()
        .unwrap();
    assert_eq!(top[0]["count"].as_u64().unwrap(), largest_off);
    for w in top.windows(2) {
        assert!(w[0]["count"].as_u64() >= w[1]["count"].as_u64());
    }
    for f in ["predictions.parquet", "per_class.parquet", "confusion.parquet", "confusion.png"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // scores.json: the figures of metrics.json alone, flat.
    let scores = read_json(&out.join("scores.json"));
    let keys: Vec<&str> = scores.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "accuracy",
            "log_loss",
            "macro_f1",
            "macro_precision",
            "macro_recall",
            "weighted_f1",
            "weighted_precision",
            "weighted_recall"
        ]
    );
    assert_eq!(scores["accuracy"], m["accuracy"]);
    assert_eq!(scores["macro_f1"], m["macro"]["f1"]);
    assert_eq!(scores["weighted_recall"], m["weighted"]["recall"]);
    assert!(!out.join("curves.png").exists(), "no history beside the sklearn model");
    assert!(!out.join("roc.png").exists(), "not binary");
    assert_eq!(&std::fs::read(out.join("confusion.png")).unwrap()[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn feature_dataset_feeds_a_float_input_the_same() {
    // The same rows as features (pixels/255) through the same model: same figures.
    let dir = tempfile::tempdir().unwrap();
    let o = evaluate(&[
        "--model",
        fixture("sklearn/model.onnx").to_str().unwrap(),
        "--data",
        fixture("mnist-200-features.parquet").to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "--json",
        "--batch-size",
        "7",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m: Value = serde_json::from_slice(&o.stdout).expect("--json prints metrics.json");
    compare_with_sklearn(&m, &expected("sklearn_expected.json"));
    assert!(m["input"].as_str().unwrap().contains("feature vectors"));
    assert_eq!(m["batch_size"], 7);
    assert_eq!(read_json(&dir.path().join("metrics.json")), m);
}

#[test]
fn binary_sigmoid_model_thresholds_roc_and_curves() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let o = evaluate(&[
        "--model",
        fixture("binary/model.onnx").to_str().unwrap(),
        "--data",
        fixture("binary-200.parquet").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--min-recall",
        "0.99",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = read_json(&out.join("metrics.json"));
    let e = expected("binary_expected.json");
    compare_with_sklearn(&m, &e);
    let b = &m["binary"];
    assert_eq!(b["positive_class"], "zero");
    close(&b["roc_auc"], &e["roc_auc"], 1e-12, "roc_auc");
    let scores = read_json(&out.join("scores.json"));
    for (key, value) in [("roc_auc", &b["roc_auc"]), ("f1", &b["f1"]), ("best_f1", &b["best_f1"])] {
        assert_eq!(&scores[key], value, "scores.json {key}");
    }
    for k in [
        "threshold",
        "precision",
        "recall",
        "f1",
        "best_f1",
        "best_f1_threshold",
        "min_recall",
        "threshold_for_min_recall",
        "precision_at_min_recall",
    ] {
        close(&b[k], &e[k], 1e-9, k);
    }
    // history.parquet beside the model is picked up by default
    assert!(m["history"].as_str().unwrap().ends_with("binary/history.parquet"));
    for f in ["curves.png", "roc.png", "confusion.png"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }

    // A lower threshold flips predictions: recall up.
    let out2 = dir.path().join("eval-low");
    let o = evaluate(&[
        "--model",
        fixture("binary/model.onnx").to_str().unwrap(),
        "--data",
        fixture("binary-200.parquet").to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--threshold",
        &e["best_f1_threshold"].as_f64().unwrap().to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m2 = read_json(&out2.join("metrics.json"));
    close(&m2["binary"]["f1"], &e["best_f1"], 1e-9, "F1 at the best-F1 threshold");
    assert_eq!(m2["binary"]["min_recall"], Value::Null);
}

#[test]
fn predictions_parquet_layout() {
    let dir = tempfile::tempdir().unwrap();
    let o = evaluate(&[
        "--model",
        fixture("binary/model.onnx").to_str().unwrap(),
        "--data",
        fixture("binary-200.parquet").to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Float64Type, Int32Type, UInt64Type};
    let df = table(&dir.path().join("predictions.parquet"));
    assert_eq!((df.num_rows(), df.num_columns()), (200, 4));
    assert_eq!(column_names(&df), ["row", "label", "predicted", "scores"]);
    let schema = df.schema();
    assert_eq!(schema.field_with_name("row").unwrap().data_type(), &DataType::Int64);
    assert_eq!(schema.field_with_name("label").unwrap().data_type(), &DataType::Int32);
    assert!(matches!(
        schema.field_with_name("scores").unwrap().data_type(),
        DataType::FixedSizeList(item, 2) if item.data_type() == &DataType::Float32
    ));
    let labels = df.column_by_name("label").unwrap().as_primitive::<Int32Type>();
    assert_eq!(labels.values().iter().filter(|&&l| l == 1).count(), 19);
    let pc = table(&dir.path().join("per_class.parquet"));
    assert_eq!((pc.num_rows(), pc.num_columns()), (2, 5));
    // Plain UTF-8 strings (every pyarrow reads them), not polars' string views.
    assert_eq!(pc.schema().field_with_name("class").unwrap().data_type(), &DataType::Utf8);
    assert!(pc.column_by_name("f1").unwrap().as_primitive::<Float64Type>().null_count() == 0);
    let conf = table(&dir.path().join("confusion.parquet"));
    assert_eq!(column_names(&conf), ["true_class", "other", "zero"]);
    let m = read_json(&dir.path().join("metrics.json"));
    let zero_col = conf.column_by_name("zero").unwrap().as_primitive::<UInt64Type>();
    assert_eq!(
        zero_col.values().to_vec(),
        vec![m["confusion"][0][1].as_u64().unwrap(), m["confusion"][1][1].as_u64().unwrap()]
    );
}

#[test]
fn missing_runtime_is_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("libonnxruntime.so");
    std::fs::write(&bogus, b"not a library").unwrap();
    let out = dir.path().join("eval");
    let o = evaluate_env(
        &[
            "--model",
            fixture("sklearn/model.onnx").to_str().unwrap(),
            "--data",
            fixture("mnist-200.parquet").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "ORT_DYLIB_PATH",
        bogus.to_str().unwrap(),
    );
    assert_one_sentence_error(&o, &out, &["ONNX Runtime", bogus.to_str().unwrap(), "setup.sh"]);
}

#[test]
fn wrong_input_size_names_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let o = evaluate(&[
        "--model",
        fixture("sklearn/model.onnx").to_str().unwrap(),
        "--data",
        fixture("features-81.parquet").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_one_sentence_error(
        &o,
        &out,
        &["sklearn/model.onnx", "[N,784]", "features-81.parquet", "81 values per row"],
    );

    // uint8 image model fed a feature dataset
    let o = evaluate(&[
        "--model",
        fixture("binary/model.onnx").to_str().unwrap(),
        "--data",
        fixture("mnist-200-features.parquet").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_one_sentence_error(
        &o,
        &out,
        &["binary/model.onnx", "uint8", "mnist-200-features.parquet", "784"],
    );
}

#[test]
fn class_count_mismatch_names_both_sides() {
    // A 10-class model on the binary dataset (2 class names).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let o = evaluate(&[
        "--model",
        fixture("sklearn/model.onnx").to_str().unwrap(),
        "--data",
        fixture("binary-200.parquet").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_one_sentence_error(&o, &out, &["scores 10 classes", "names 2", "other, zero"]);
}

#[test]
fn dataset_without_labels_is_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let o = evaluate(&[
        "--model",
        fixture("binary/model.onnx").to_str().unwrap(),
        "--data",
        fixture("nolabels.parquet").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_one_sentence_error(&o, &out, &["nolabels.parquet", "`label`"]);
}

#[test]
fn missing_files_and_bad_flags_are_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let data = fixture("mnist-200.parquet");
    let o = evaluate(&[
        "--model",
        "/nonexistent/model.onnx",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_one_sentence_error(&o, &out, &["/nonexistent/model.onnx", "does not exist"]);
    let model = fixture("sklearn/model.onnx");
    let o = evaluate(&[
        "--model",
        model.to_str().unwrap(),
        "--data",
        "/nonexistent/d.parquet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_one_sentence_error(&o, &out, &["/nonexistent/d.parquet"]);
    let o = evaluate(&[
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--output",
        "label",
    ]);
    assert_one_sentence_error(&o, &out, &["output `label`", "int64", "expected float32 [N, C]"]);
    let o = evaluate(&[
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threshold",
        "1.5",
    ]);
    assert_one_sentence_error(&o, &out, &["--threshold 1.5"]);
}

#[test]
fn compare_stacks_runs_into_a_leaderboard() {
    let dir = tempfile::tempdir().unwrap();
    let runs: Vec<PathBuf> =
        ["sklearn-images", "binary"].iter().map(|n| dir.path().join(n)).collect();
    for (run, (model, data)) in runs.iter().zip([
        ("sklearn/model.onnx", "mnist-200.parquet"),
        ("binary/model.onnx", "binary-200.parquet"),
    ]) {
        let o = evaluate(&[
            "--model",
            fixture(model).to_str().unwrap(),
            "--data",
            fixture(data).to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let board_dir = dir.path().join("board");
    let o = evaluate(&[
        "compare",
        runs[0].to_str().unwrap(),
        runs[1].to_str().unwrap(),
        "--out",
        board_dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("sklearn-images") && stdout.contains("roc_auc"), "{stdout}");

    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Float64Type, Int32Type};
    let board = table(&board_dir.join("leaderboard.parquet"));
    assert_eq!(board.num_rows(), 2);
    let run = board.column_by_name("run").unwrap().as_string::<i32>();
    let names: Vec<String> = run.iter().map(|s| s.unwrap().to_string()).collect();
    // Digits and binary are different class sets: grouped in the order given, so the
    // digits come first although binary is more accurate (0.935 > 0.905).
    assert_eq!(names, ["sklearn-images", "binary"]);
    let acc = board.column_by_name("accuracy").unwrap().as_primitive::<Float64Type>();
    let acc: Vec<f64> = acc.values().to_vec();
    assert!(acc[1] > acc[0]);
    let classes = board.column_by_name("classes").unwrap().as_string::<i32>();
    assert_eq!(classes.value(1), "other, zero");
    let b = expected("binary_expected.json");
    let s = expected("sklearn_expected.json");
    let acc_of = |name: &str| acc[names.iter().position(|n| n == name).unwrap()];
    assert!((acc_of("binary") - b["accuracy"].as_f64().unwrap()).abs() < 1e-12);
    assert!((acc_of("sklearn-images") - s["accuracy"].as_f64().unwrap()).abs() < 1e-12);
    // diagonal concat: roc_auc only for the binary run, history columns only for the run that has one
    let auc = board.column_by_name("roc_auc").unwrap().as_primitive::<Float64Type>();
    assert_eq!(auc.null_count(), 1);
    let best = board.column_by_name("best_epoch").unwrap().as_primitive::<Int32Type>();
    assert_eq!(best.iter().flatten().collect::<Vec<_>>(), vec![4]);
    let hist = table(&board_dir.join("histories.parquet"));
    assert_eq!(hist.num_rows(), 6);

    let o = evaluate(&[
        "compare",
        dir.path().join("nothing-here").to_str().unwrap(),
        "--out",
        board_dir.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is not an evaluation directory"), "{}", stderr(&o));
}

#[test]
fn labels_from_model_matches_class_names() {
    // The binary dataset with its class order reversed: ["zero", "other"], labels flipped.
    let dir = tempfile::tempdir().unwrap();
    let mut ds = formats::read_image_dataset(&fixture("binary-200.parquet")).unwrap();
    ds.meta.classes = vec!["zero".into(), "other".into()];
    for l in ds.labels.iter_mut() {
        *l = 1 - *l;
    }
    let data = dir.path().join("reversed.parquet");
    ds.write(&data, None).unwrap();
    let model = fixture("binary/model.onnx");
    let out = dir.path().join("eval");
    let o = evaluate(&[
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--labels-from-model",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = read_json(&out.join("metrics.json"));
    compare_with_sklearn(&m, &expected("binary_expected.json"));

    // Without the flag labels are matched by index: a warning, and different figures.
    let out2 = dir.path().join("eval2");
    let o = evaluate(&[
        "--model",
        model.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("--labels-from-model"), "{}", stderr(&o));
    let m2 = read_json(&out2.join("metrics.json"));
    assert_eq!(m2["classes"], serde_json::json!(["zero", "other"]));
    assert_ne!(m2["accuracy"], m["accuracy"]);
}
