//! Inputs that would give a meaningless figure, or a second error line, are refused
//! with one `error:` line, exit status 1 and no output.

mod common;

use std::process::Command;

use common::{assert_one_sentence_error, evaluate, fixture, stderr};

/// A model that loads but fails while running: one `error:` line, not ONNX Runtime's
/// own coloured log line before it, and no output.
#[test]
fn a_model_failing_at_run_time_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let o = evaluate(&[
        "--model",
        fixture("fails-at-run.onnx").to_str().unwrap(),
        "--data",
        fixture("mnist-200-features.parquet").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("error: model ") && err.contains("Reshape"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!out.exists());
}

/// Values that would give a meaningless figure with exit 0 are refused instead:
/// an empty dataset (accuracy 0.0) and a `--scale` that is not a finite positive number.
#[test]
fn empty_data_and_a_non_finite_scale_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture("binary/model.onnx");
    let mut ds = formats::read_image_dataset(&fixture("binary-200.parquet")).unwrap();
    let row = ds.meta.image_len();
    ds.labels.clear();
    ds.images.truncate(0);
    ds.paths = ds.paths.map(|_| Vec::new());
    let empty = dir.path().join("empty.parquet");
    ds.write(&empty, None).unwrap();
    assert_eq!(row, ds.meta.image_len());
    let cases: [(&[&str], &str); 3] = [
        (&["--data", empty.to_str().unwrap()], "holds no rows: there is nothing to evaluate"),
        (&["--scale", "NaN"], "--scale NaN is not a finite number > 0"),
        (&["--scale=-1"], "--scale -1 is not a finite number > 0"),
    ];
    let nan_model = fixture("nan-scores.onnx");
    let features = fixture("mnist-200-features.parquet");
    let o = evaluate(&[
        "--model",
        nan_model.to_str().unwrap(),
        "--data",
        features.to_str().unwrap(),
        "--out",
        dir.path().join("nan").to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("gives a non-finite score (NaN) for row 0"), "{err}");
    assert!(!dir.path().join("nan").exists());
    let data = fixture("binary-200.parquet");
    for (extra, expected) in cases {
        let out = dir.path().join("eval");
        let mut args = vec!["--model", model.to_str().unwrap(), "--out", out.to_str().unwrap()];
        if !extra.contains(&"--data") {
            args.extend(["--data", data.to_str().unwrap()]);
        }
        args.extend(extra);
        let o = evaluate(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {err}");
        assert!(err.contains(expected) && err.trim_end().lines().count() == 1, "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?} wrote output");
    }
}

/// `--min-recall` and `--threshold` mean something only for a binary model; on a
/// 10-class model they are refused rather than silently ignored.
#[test]
fn binary_only_flags_on_a_multi_class_model_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let (model, data) = (fixture("sklearn/model.onnx"), fixture("mnist-200.parquet"));
    for (flag, value, needle) in [
        ("--min-recall", "0.9", "--min-recall 0.9 applies to binary models"),
        ("--threshold", "0.3", "--threshold 0.3 applies to binary models"),
    ] {
        let o = evaluate(&[
            "--model",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            flag,
            value,
        ]);
        assert_one_sentence_error(&o, &out, &[needle, "scores 10 classes"]);
        assert!(!out.exists());
    }
}

/// `kill -9` of evaluate at the moment its new set of files is about to replace the
/// old one: the old metrics, tables and pictures stay, together; without the kill the
/// new set replaces them whole (a binary model's roc.png goes when a 10-class one
/// replaces it).
#[test]
fn a_kill_at_the_commit_leaves_the_old_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let run = |model: &str, data: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_evaluate"));
        c.arg("--model").arg(fixture(model)).arg("--data").arg(fixture(data));
        c.arg("--out").arg(&out).arg("--quiet");
        c
    };
    assert!(run("binary/model.onnx", "binary-200.parquet").status().unwrap().success());
    let old = testkit::tree(&out);
    assert!(old.iter().any(|(n, _)| n == "roc.png"));
    let said = testkit::kill_at_commit(run("sklearn/model.onnx", "mnist-200.parquet"));
    assert!(said.contains("eval"), "{said}");
    assert_eq!(testkit::tree(&out), old, "the old set is intact");
    assert!(run("sklearn/model.onnx", "mnist-200.parquet").status().unwrap().success());
    let new = testkit::tree(&out);
    assert!(new.iter().all(|(n, _)| n != "roc.png"), "the binary model's roc.png is gone");
    assert_ne!(new, old);
    let temps = testkit::temporaries(dir.path()).len();
    assert_eq!(temps, 0, "the killed run's staging directory was removed by the next run");
}

/// Thread counts, batch sizes and scales beyond their bounds are refused at once
/// (100,000 threads would crash ONNX Runtime).
#[test]
fn numbers_beyond_their_bounds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    let (model, data) = (fixture("binary/model.onnx"), fixture("binary-200.parquet"));
    for (flag, value, needle) in [
        ("--threads", "100000", "--threads must be 1..=1024, got 100000"),
        ("--threads", "0", "--threads must be 1..=1024, got 0"),
        ("--batch-size", "1099511627776", "--batch-size must be 1..=65536, got 1099511627776"),
        ("--scale", "1e30", "--scale must be at most 1000"),
    ] {
        let o = evaluate(&[
            "--model",
            model.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            flag,
            value,
        ]);
        assert_one_sentence_error(&o, &out, &[needle]);
        assert!(!out.exists());
    }
}

/// Scores that are not probabilities (±100 logits, rows summing to 2, a sigmoid column
/// outside [0, 1]) would give a meaningless log-loss: refused, naming the model.
#[test]
fn outputs_that_are_not_probabilities_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eval");
    for (model, data, needle) in [
        ("logits.onnx", "mnist-200-features.parquet", "row 0 holds 134.01178, outside [0, 1]"),
        ("sums-to-two.onnx", "mnist-200-features.parquet", "row 0 sums to 2.0000002, not 1"),
        ("sigmoid-logit.onnx", "binary-200.parquet", "outside [0, 1]"),
    ] {
        let model = fixture(model);
        let o = evaluate(&[
            "--model",
            model.to_str().unwrap(),
            "--data",
            fixture(data).to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let what = format!("model {} output `probabilities`", model.display());
        assert_one_sentence_error(&o, &out, &[&what, "does not give probabilities", needle]);
        assert!(!out.exists());
    }
}
