//! `evaluate compare` on the pipeline's own layout: every evaluation directory there
//! is called `eval`, so runs are named by their run directory (`out/runs/RUN/eval`),
//! and a run directory itself is accepted.

mod common;

use std::path::Path;
use std::process::Command;

use common::fixture;

#[test]
fn runs_of_the_pipeline_layout_are_named_by_their_run_directory() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("out/runs");
    for (run, model, data) in [
        ("mlp", "sklearn/model.onnx", "mnist-200.parquet"),
        ("pneumonia", "binary/model.onnx", "binary-200.parquet"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_evaluate"))
            .args(["--model", fixture(model).to_str().unwrap(), "--data"])
            .arg(fixture(data))
            .arg("--out")
            .arg(runs.join(run).join("eval"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let board = dir.path().join("board");
    // One evaluation directory and one run directory.
    let o = Command::new(env!("CARGO_BIN_EXE_evaluate"))
        .arg("compare")
        .arg(runs.join("mlp/eval"))
        .arg(runs.join("pneumonia"))
        .arg("--out")
        .arg(&board)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let first_column: Vec<&str> =
        stdout.lines().skip(1).filter_map(|l| l.split_whitespace().next()).collect();
    assert!(first_column.contains(&"mlp") && first_column.contains(&"pneumonia"), "{stdout}");
    assert!(!first_column.contains(&"eval"), "{stdout}");
    // Digits and pneumonia do not rank in one table: one table per class set, in the
    // order given (whichever is more accurate), each with only its own columns.
    let headings = |out: &str| -> Vec<String> {
        out.lines().filter(|l| l.starts_with("classes: ")).map(str::to_string).collect()
    };
    let given_first = headings(&stdout);
    assert_eq!(given_first.len(), 2, "{stdout}");
    assert!(given_first[0].starts_with("classes: 0, 1, 2"), "{stdout}");
    assert!(given_first[1].ends_with("(1 runs)"), "{stdout}");
    let mnist_table = stdout.split("\n\n").next().unwrap();
    assert!(!mnist_table.contains("roc_auc"), "{stdout}");
    let o = Command::new(env!("CARGO_BIN_EXE_evaluate"))
        .arg("compare")
        .arg(runs.join("pneumonia"))
        .arg(runs.join("mlp"))
        .arg("--out")
        .arg(dir.path().join("board2"))
        .output()
        .unwrap();
    let swapped = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(headings(&swapped), [given_first[1].clone(), given_first[0].clone()], "{swapped}");
    assert_eq!(evaluate::compare::run_name(Path::new("out/runs/cnn/eval")), "cnn");
    assert_eq!(evaluate::compare::run_name(Path::new("results/cnn-v2")), "cnn-v2");
}
