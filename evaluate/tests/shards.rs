//! `evaluate --shard K/N` and `evaluate merge`: the shards' predictions, merged, give
//! the files of one unsharded evaluation; a wrong set of shards is refused.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{assert_one_sentence_error, evaluate, fixture};
use serde_json::Value;

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// metrics.json without its timings, which differ from run to run.
fn figures(dir: &Path) -> Value {
    let mut m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap();
    for key in ["seconds", "rows_per_second", "threads"] {
        m.as_object_mut().unwrap().remove(key);
    }
    m
}

fn shard_run(model: &Path, data: &Path, dir: &Path, n: usize, extra: &[&str]) -> Vec<PathBuf> {
    (0..n)
        .map(|k| {
            let out = dir.join(format!("shard-{k}-of-{n}"));
            let shard = format!("{k}/{n}");
            let mut args =
                vec!["--model", model.to_str().unwrap(), "--data", data.to_str().unwrap()];
            args.extend(["--out", out.to_str().unwrap(), "--shard", &shard, "--batch-size", "64"]);
            args.extend(extra);
            ok(evaluate(&args));
            out
        })
        .collect()
}

#[test]
fn merged_shards_equal_the_unsharded_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    for (model, data, extra) in [
        (fixture("sklearn/model.onnx"), fixture("mnist-200.parquet"), &[][..]),
        (fixture("binary/model.onnx"), fixture("binary-200.parquet"), &["--min-recall", "0.9"][..]),
    ] {
        let whole = dir.path().join("whole");
        let mut args = vec!["--model", model.to_str().unwrap(), "--data", data.to_str().unwrap()];
        args.extend(["--out", whole.to_str().unwrap(), "--batch-size", "64"]);
        args.extend(extra);
        ok(evaluate(&args));
        for n in [2, 3] {
            let shards = shard_run(&model, &data, dir.path(), n, extra);
            let merged = dir.path().join(format!("merged-{n}"));
            let mut args: Vec<PathBuf> = vec!["merge".into()];
            args.extend(shards.iter().rev().cloned()); // any order
            args.extend(["--out".into(), merged.clone()]);
            ok(evaluate(&args));
            assert_eq!(figures(&merged), figures(&whole), "{} in {n} shards", model.display());
            for table in ["predictions.parquet", "per_class.parquet", "confusion.parquet"] {
                assert_eq!(
                    std::fs::read(merged.join(table)).unwrap(),
                    std::fs::read(whole.join(table)).unwrap(),
                    "{table} of {} in {n} shards",
                    model.display()
                );
            }
            let names = |d: &Path| {
                let mut v: Vec<_> = std::fs::read_dir(d)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                v.sort();
                v
            };
            assert_eq!(names(&merged), names(&whole));
        }
        std::fs::remove_dir_all(&whole).unwrap();
    }
}

#[test]
fn a_missing_duplicated_or_foreign_shard_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let model = fixture("sklearn/model.onnx");
    let data = fixture("mnist-200.parquet");
    let three = shard_run(&model, &data, dir.path(), 3, &[]);
    let two = shard_run(&model, &data, dir.path(), 2, &[]);
    let out = dir.path().join("merged");
    let refuse = |dirs: &[&PathBuf], needle: &str| {
        let mut args: Vec<PathBuf> = vec!["merge".into()];
        args.extend(dirs.iter().map(|d| d.to_path_buf()));
        args.extend(["--out".into(), out.clone()]);
        assert_one_sentence_error(&evaluate(&args), &out, &[needle]);
        assert!(!out.exists());
    };
    refuse(&[&three[0], &three[2]], "shard 1/3 is missing");
    refuse(&[&three[0], &three[1], &three[1], &three[2]], "shard 1/3 is given twice");
    refuse(&[&three[0], &two[1]], "are not of one evaluation");
    refuse(&[&data], "is not an evaluate shard");
}

#[test]
fn predictions_do_not_depend_on_sessions_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    for (model, data) in [
        (fixture("sklearn/model.onnx"), fixture("mnist-200.parquet")),
        (fixture("binary/model.onnx"), fixture("binary-200.parquet")),
    ] {
        let run = |threads: &str, sessions: &str| {
            let out = dir.path().join(format!("t{threads}-s{sessions}"));
            let mut args =
                vec!["--model", model.to_str().unwrap(), "--data", data.to_str().unwrap()];
            args.extend(["--out", out.to_str().unwrap(), "--batch-size", "16"]);
            args.extend(["--threads", threads, "--sessions", sessions]);
            ok(evaluate(&args));
            (std::fs::read(out.join("predictions.parquet")).unwrap(), figures(&out))
        };
        // 13 batches, scored by one session, or by two or three at once (taking
        // turns in any order), with 1, 2 or 3 threads between them.
        let one = run("2", "1");
        for (threads, sessions) in [("1", "1"), ("2", "2"), ("3", "2"), ("3", "3"), ("1", "4")] {
            let other = run(threads, sessions);
            assert!(other == one, "{}: {threads} threads, {sessions} sessions", model.display());
        }
    }
    let (model, data, out) =
        (fixture("sklearn/model.onnx"), fixture("mnist-200.parquet"), dir.path().join("zero"));
    let mut args = vec!["--model", model.to_str().unwrap(), "--data", data.to_str().unwrap()];
    args.extend(["--out", out.to_str().unwrap(), "--sessions", "0"]);
    assert_one_sentence_error(&evaluate(&args), &out, &["--sessions must be 1..=64, got 0"]);
}
