//! Every parameter refusal of the bad-input matrix, given once on a stage's command
//! line and once in `pipeline.toml`, is the same sentence: both read the value into
//! the stage's own type from `params` (HOG's and the model spec's cases are in
//! `features/tests/manifest_parity.rs` and `train/tests/manifest_parity.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use pipeline::manifest::Manifest;

/// The other stage binaries, built beside `pipeline` by `cargo test --workspace`.
fn stage(name: &str) -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_pipeline")).with_file_name(name)
}

const BASE: &str = r#"
[datasets.mnist]
kind = "idx"
train_images = "train-images.gz"
train_labels = "train-labels.gz"
test_images = "test-images.gz"
test_labels = "test-labels.gz"
val_fraction = 0.1

[models.m]
data = "mnist"
loss = "categorical_crossentropy"
layers = [{ type = "flatten" }, { type = "dense", units = 10, activation = "softmax" }]
"#;

/// (stage and flags, the manifest with the same value, the sentence both must say).
fn cases() -> Vec<(Vec<&'static str>, String, &'static str)> {
    let idx = ["ingest", "idx", "--images", "i.gz", "--labels", "l.gz", "--out", "o.parquet"];
    let idx_with = |flags: &[&'static str]| [&idx[..], flags].concat();
    let synth = ["ingest", "synth-xray", "--out", "xs"];
    let synth_with = |flags: &[&'static str]| [&synth[..], flags].concat();
    let synth_table =
        |line: &str| format!("{BASE}\n[datasets.xs]\nkind = \"synth-xray\"\n{line}\n");
    let evaluate = ["evaluate", "--model", "m.onnx", "--data", "d.parquet", "--out", "e"];
    let eval_with = |flags: &[&'static str]| [&evaluate[..], flags].concat();
    let eval_table = |line: &str| {
        BASE.replace("[models.m]\n", &format!("[models.m]\nevaluation = {{ {line} }}\n"))
    };
    vec![
        (
            idx_with(&["--val-fraction", "0", "--val-out", "v.parquet"]),
            BASE.replace("val_fraction = 0.1", "val_fraction = 0"),
            "--val-fraction must be between 0 and 1 (exclusive), got 0",
        ),
        (
            idx_with(&["--val-fraction", "1.5", "--val-out", "v.parquet"]),
            BASE.replace("val_fraction = 0.1", "val_fraction = 1.5"),
            "--val-fraction must be between 0 and 1 (exclusive), got 1.5",
        ),
        (
            idx_with(&["--classes", "a,b,a"]),
            BASE.replace(
                "val_fraction = 0.1",
                "val_fraction = 0.1\nclasses = [\"a\", \"b\", \"a\"]",
            ),
            "classes 0 and 2 have the same name \"a\"",
        ),
        (
            idx_with(&["--classes", "a,,b"]),
            BASE.replace(
                "val_fraction = 0.1",
                "val_fraction = 0.1\nclasses = [\"a\", \"\", \"b\"]",
            ),
            "the name of class 1 is empty",
        ),
        (
            synth_with(&["--pneumonia-ratio", "0"]),
            synth_table("pneumonia_ratio = 0"),
            "--pneumonia-ratio must be a finite number > 0, got 0",
        ),
        (
            synth_with(&["--min-size", "10"]),
            synth_table("min_size = 10"),
            "--min-size/--max-size must satisfy 32 ≤ min ≤ max ≤ 8000, got 10 and 1500",
        ),
        (
            synth_with(&["--max-size", "100000"]),
            synth_table("max_size = 100000"),
            "--min-size/--max-size must satisfy 32 ≤ min ≤ max ≤ 8000, got 300 and 100000",
        ),
        (
            synth_with(&["--min-size", "2000", "--max-size", "1500"]),
            synth_table("min_size = 2000\nmax_size = 1500"),
            "got 2000 and 1500",
        ),
        (
            vec!["ingest", "folders", "--root", "r", "--out", "o.parquet", "--size", "20000x5"],
            format!("{BASE}\n[datasets.f]\nkind = \"folders\"\nroot = \"r\"\nsize = [20000, 5]\n"),
            "size 20000x5 is not HxW with sides 1..=16384 (e.g. 128x128)",
        ),
        (
            vec![
                "ingest",
                "folders",
                "--root",
                "r",
                "--out",
                "o.parquet",
                "--size",
                "8",
                "--channels",
                "4",
            ],
            format!(
                "{BASE}\n[datasets.f]\nkind = \"folders\"\nroot = \"r\"\nsize = 8\nchannels = 4\n"
            ),
            "expected 1 or 3",
        ),
        (
            eval_with(&["--threshold", "1.5"]),
            eval_table("threshold = 1.5"),
            "--threshold 1.5 is not a probability between 0 and 1",
        ),
        (
            eval_with(&["--min-recall", "2"]),
            eval_table("min_recall = 2"),
            "--min-recall 2 is not a fraction between 0 and 1",
        ),
        (
            eval_with(&["--batch-size", "0"]),
            eval_table("batch_size = 0"),
            "--batch-size must be 1..=65536, got 0",
        ),
        (
            eval_with(&["--batch-size", "70000"]),
            eval_table("batch_size = 70000"),
            "--batch-size must be 1..=65536, got 70000",
        ),
    ]
}

#[test]
fn a_stage_and_the_manifest_refuse_a_parameter_in_the_same_sentence() {
    let dir = tempfile::tempdir().unwrap();
    for (argv, manifest, sentence) in cases() {
        let out =
            Command::new(stage(argv[0])).args(&argv[1..]).current_dir(dir.path()).output().unwrap();
        let by_stage = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{argv:?} was accepted: {by_stage}");
        assert!(
            by_stage.contains(sentence),
            "{argv:?}: the stage says {by_stage:?}, not {sentence:?}"
        );
        let by_manifest = Manifest::parse(&manifest, Path::new("pipeline.toml"))
            .expect_err("the manifest accepted it")
            .to_string();
        assert!(
            by_manifest.starts_with("pipeline.toml line ") && by_manifest.contains(sentence),
            "{argv:?}: the manifest says {by_manifest:?}, not {sentence:?}"
        );
    }
}
