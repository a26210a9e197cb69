//! The report, from fixture stage outputs written here.

use std::path::Path;

use formats::summary::{FinalEpoch, Input, LayerRow, LossSummary, NetworkRun};
use formats::{DatasetKind, EpochRecord, FeatureParams, History, HogFeatures, Metrics, Summary};
use pipeline::manifest::Manifest;
use pipeline::report;

fn manifest(dir: &Path) -> Manifest {
    Manifest::parse(&manifest_text(dir), Path::new("pipeline.toml")).unwrap()
}

fn manifest_text(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"
[settings]
out = "{d}/out"
report = "{d}/report"

[datasets.mnist]
kind = "idx"
train_images = "a.gz"
train_labels = "b.gz"
test_images = "c.gz"
test_labels = "d.gz"
val_fraction = 0.1

[datasets.xs]
kind = "synth-xray"

[datasets.xray]
kind = "folders"
from = "xs"
size = 64

[models.mlp]
title = "Raw-pixel MLP"
data = "mnist"
loss = "categorical_crossentropy"
optimizer = {{ name = "rmsprop" }}
layers = [ {{ type = "flatten" }}, {{ type = "dense", units = 10, activation = "softmax" }} ]
[models.mlp.sweep]
epochs = [40]

[models.pn]
title = "Pneumonia"
data = "xray"
loss = "binary_crossentropy"
optimizer = {{ name = "adam" }}
layers = [ {{ type = "flatten" }}, {{ type = "dense", units = 1, activation = "sigmoid" }} ]
"#
    )
}

fn write_history(path: &Path, loss: &[f64], val_loss: &[f64]) {
    let epochs = loss
        .iter()
        .zip(val_loss)
        .enumerate()
        .map(|(i, (&loss, &val_loss))| EpochRecord {
            epoch: i + 1,
            loss,
            accuracy: 0.9,
            val_loss: Some(val_loss),
            val_accuracy: Some(0.8),
            seconds: Some(1.0),
        })
        .collect();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    History { epochs }.write(path).unwrap();
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A layer row of the MLP's summary.
fn dense_row(name: &str, inputs: usize, units: usize, activation: &str) -> LayerRow {
    let params = inputs * units + units;
    LayerRow {
        name: name.into(),
        type_name: "Dense".into(),
        output_shape: vec![None, Some(units)],
        params,
        formula: format!(
            "{inputs} inputs × {units} units + {units} biases = {}",
            report::thousands(params as i64)
        ),
        config: None,
        activation: Some(activation.into()),
    }
}

/// The summary `train` writes for the raw-pixel MLP (784 → 30 → 30 → 10), 5 epochs.
fn mlp_summary() -> Summary {
    let optimizer = serde_json::json!({"name": "RMSprop", "learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": false});
    Summary {
        name: "mlp".into(),
        input: Input {
            kind: DatasetKind::Image,
            shape: vec![28, 28, 1],
            scaling: Some("uint8 / 255 inside the model".into()),
        },
        classes: (0..10).map(|c| c.to_string()).collect(),
        layers: vec![
            LayerRow {
                name: "flatten_1".into(),
                type_name: "Flatten".into(),
                output_shape: vec![None, Some(784)],
                params: 0,
                formula: "no weights".into(),
                config: None,
                activation: None,
            },
            dense_row("dense_1", 784, 30, "relu"),
            dense_row("dense_2", 30, 30, "relu"),
            dense_row("dense_3", 30, 10, "softmax"),
        ],
        total_params: 24790,
        optimizer: optimizer.as_object().unwrap().clone(),
        loss: LossSummary {
            name: "categorical_crossentropy".into(),
            equation: "L = −(1/N) Σᵢ Σₖ yᵢₖ log pᵢₖ".into(),
        },
        epochs: 5,
        batch_size: Some(32),
        seed: Some(42),
        best_epoch: Some(3),
        final_epoch: None,
        seconds: 12.3,
        network: Some(NetworkRun {
            epochs_run: 5,
            class_weight: None,
            early_stopping: None,
            shuffle: true,
            stopped_epoch: None,
            restored_best_weights: false,
            restored_epoch: None,
            kernels: "avx2".into(),
            init_from: None,
        }),
    }
}

/// The summary `train --baseline logistic` writes for 784 inputs and 10 classes.
fn baseline_summary() -> Summary {
    let optimizer = serde_json::json!({"name": "L-BFGS", "max_iterations": 100, "alpha": 1e-4});
    Summary {
        name: "logistic_baseline".into(),
        input: Input { kind: DatasetKind::Image, shape: vec![28, 28, 1], scaling: None },
        classes: (0..10).map(|c| c.to_string()).collect(),
        layers: vec![LayerRow {
            name: "logistic_regression".into(),
            type_name: "LogisticRegression".into(),
            output_shape: vec![None, Some(10)],
            params: 7850,
            formula: "784 inputs × 10 classes + 10 biases = 7,850".into(),
            config: None,
            activation: Some("softmax".into()),
        }],
        total_params: 7850,
        optimizer: optimizer.as_object().unwrap().clone(),
        loss: LossSummary { name: "multinomial_log_loss".into(), equation: "L = …".into() },
        epochs: 1,
        batch_size: None,
        seed: None,
        best_epoch: Some(1),
        final_epoch: Some(FinalEpoch {
            epoch: None,
            loss: 0.3,
            accuracy: 0.9,
            val_loss: Some(0.35),
            val_accuracy: Some(0.88),
        }),
        seconds: 2.0,
        network: None,
    }
}

fn metrics(accuracy: f64, log_loss: f64) -> String {
    // 10 classes; 4→9 is the most confused pair (12 of 200 true 4s), then 5→3 (7), then 7→2 (5).
    let mut confusion = vec![vec![0u32; 10]; 10];
    for (i, row) in confusion.iter_mut().enumerate() {
        row[i] = 180;
    }
    confusion[4][4] = 188;
    confusion[4][9] = 12;
    confusion[5][3] = 7;
    confusion[7][2] = 5;
    serde_json::json!({
        "rows": 2000, "classes": ["0","1","2","3","4","5","6","7","8","9"],
        "accuracy": accuracy, "log_loss": log_loss,
        "per_class": (0..10).map(|c| serde_json::json!({"class": c.to_string(), "precision": 0.91, "recall": 0.92, "f1": 0.915, "support": 200})).collect::<Vec<_>>(),
        "macro": {"precision": 0.9, "recall": 0.9, "f1": 0.9012},
        "weighted": {"precision": 0.9, "recall": 0.9, "f1": 0.9},
        "confusion": confusion,
        "top_confused": [{"true": "4", "predicted": "9", "count": 12}, {"true": "5", "predicted": "3", "count": 7}, {"true": "7", "predicted": "2", "count": 5}, {"true": "1", "predicted": "2", "count": 1}],
        "binary": null
    })
    .to_string()
}

/// A history of `loss` and `val_loss` per epoch (epochs 1, 2, …).
fn history(loss: &[f64], val_loss: &[Option<f64>]) -> History {
    let epochs = loss
        .iter()
        .zip(val_loss)
        .enumerate()
        .map(|(i, (&loss, &val_loss))| EpochRecord {
            epoch: i + 1,
            loss,
            accuracy: 0.0,
            val_loss,
            val_accuracy: None,
            seconds: None,
        })
        .collect();
    History { epochs }
}

#[test]
fn curves_reading_finds_best_epoch_and_overfitting() {
    let loss = [0.9, 0.5, 0.3, 0.2, 0.15, 0.1];
    let h = history(&loss, &[Some(0.8), Some(0.5), Some(0.4), Some(0.45), Some(0.5), Some(0.6)]);
    let c = report::read_curves(&h).unwrap();
    assert_eq!((c.best_epoch, c.overfitting_from, c.last_epoch), (3, Some(4), 6));
    assert_eq!(
        (c.best_val_loss, c.last_val_loss, c.train_loss_at_best, c.last_train_loss),
        (0.4, 0.6, 0.3, 0.1)
    );
    assert_eq!(c.best_epoch, h.best_epoch().unwrap().epoch, "the one best-epoch rule");
    assert_eq!(
        c.overfitting_from,
        h.overfitting().map(|o| o.from_epoch),
        "the one overfitting rule"
    );
    // Still falling at the end: no overfitting.
    let h2 = history(&loss, &[Some(0.8), Some(0.7), Some(0.6), Some(0.5), Some(0.4), Some(0.3)]);
    let c = report::read_curves(&h2).unwrap();
    assert_eq!((c.best_epoch, c.overfitting_from), (6, None));
    // No validation: no reading (though History::best_epoch falls back to the training loss).
    let h3 = history(&loss, &[None; 6]);
    assert!(report::read_curves(&h3).is_none());
    assert_eq!(h3.best_epoch().unwrap().epoch, 6);
    // One epoch (a baseline): no curves to read.
    assert!(report::read_curves(&history(&[0.3], &[Some(0.35)])).is_none());
}

#[test]
fn a_one_epoch_uptick_of_validation_loss_is_not_called_overfitting() {
    // Validation loss 0.1778 → 0.1800 at the last epoch only.
    let loss = [0.6, 0.4, 0.3, 0.25, 0.2];
    let h = history(&loss, &[Some(0.3), Some(0.22), Some(0.19), Some(0.1778), Some(0.1800)]);
    let c = report::read_curves(&h).unwrap();
    assert_eq!((c.best_epoch, c.overfitting_from, c.last_epoch), (4, None, 5));
}

#[test]
fn thousands_separators() {
    assert_eq!(report::thousands(24790), "24,790");
    assert_eq!(report::thousands(4940), "4,940");
    assert_eq!(report::thousands(40310), "40,310");
    assert_eq!(report::thousands(999), "999");
    assert_eq!(report::thousands(1000000), "1,000,000");
}

#[test]
fn confused_pairs_from_the_matrix_when_the_list_is_absent() {
    let mut v: serde_json::Value = serde_json::from_str(&metrics(0.9, 0.3)).unwrap();
    v.as_object_mut().unwrap().remove("top_confused");
    let m: Metrics = serde_json::from_value(v).unwrap();
    let pairs = report::confused_pairs_in_words(&m);
    assert_eq!(
        pairs,
        [
            "true 4 predicted as 9: 12 times (6.0% of the 200 true 4)",
            "true 5 predicted as 3: 7 times (3.7% of the 187 true 5)",
            "true 7 predicted as 2: 5 times (2.7% of the 185 true 7)",
        ]
    );
}

#[test]
fn report_from_fixture_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let m = manifest(dir);
    let out = dir.join("out/runs");
    // mlp: full outputs with pictures; val loss bottoms out at epoch 3.
    write(&out.join("mlp/model/summary.json"), &mlp_summary().to_json_pretty());
    write_history(
        &out.join("mlp/model/history.parquet"),
        &[0.9, 0.5, 0.3, 0.2, 0.15, 0.1],
        &[0.8, 0.5, 0.4, 0.45, 0.5, 0.6],
    );
    write(&out.join("mlp/eval/metrics.json"), &metrics(0.9412, 0.2171));
    write(&out.join("mlp/eval/confusion.png"), "PNG-confusion");
    write(&out.join("mlp/eval/curves.png"), "PNG-curves");
    // mlp-epochs40: better accuracy, other weight count, no pictures.
    let epochs40 = Summary { total_params: 24791, epochs: 40, ..mlp_summary() };
    write(&out.join("mlp-epochs40/model/summary.json"), &epochs40.to_json_pretty());
    // Its validation loss ticks up at the last epoch only: not overfitting.
    write_history(
        &out.join("mlp-epochs40/model/history.parquet"),
        &[0.9, 0.5, 0.4],
        &[0.8, 0.1778, 0.1800],
    );
    write(&out.join("mlp-epochs40/eval/metrics.json"), &metrics(0.9655, 0.1234));
    // pn: binary metrics, SYNTHETIC; no summary (missing on purpose).
    let mut pn: serde_json::Value = serde_json::from_str(&metrics(0.75, 0.55)).unwrap();
    pn["classes"] = serde_json::json!(["NORMAL", "PNEUMONIA"]);
    pn["confusion"] = serde_json::json!([[20, 10], [3, 27]]);
    pn["top_confused"] = serde_json::json!([{"true": 0, "predicted": 1, "count": 10}, {"true": 1, "predicted": 0, "count": 3}]);
    pn["binary"] = serde_json::json!({"positive_class": "PNEUMONIA", "roc_auc": 0.8123, "threshold": 0.5, "precision": 0.73, "recall": 0.9, "f1": 0.806,
        "best_f1_threshold": 0.42, "best_f1": 0.81, "min_recall": 0.95, "threshold_for_min_recall": 0.31, "precision_at_min_recall": 0.61});
    write(&out.join("pn/eval/metrics.json"), &pn.to_string());
    write(&out.join("pn/eval/roc.png"), "PNG-roc");

    let report_dir = dir.join("report");
    let line = report::write_report(&m, &report_dir).unwrap();
    assert!(line.contains("3 of 3 runs evaluated"), "{line}");
    let md = std::fs::read_to_string(report_dir.join("index.md")).unwrap();
    let html = std::fs::read_to_string(report_dir.join("index.html")).unwrap();

    // Leaderboard: best accuracy first, synthetic marked.
    let board = md.split("## Leaderboard").nth(1).unwrap().split("\n## ").next().unwrap();
    let order: Vec<&str> = board
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
        .map(|l| l.split(" | ").nth(1).unwrap())
        .collect();
    assert_eq!(order, ["mlp-epochs40", "mlp", "pn"]);
    assert!(
        board.contains("| 1 | mlp-epochs40 | mlp | 24,791 | 0.9655 | 0.1234 | 0.9012 |  |"),
        "{board}"
    );
    assert!(
        board.contains("| 3 | pn | pn | – | 0.7500 | 0.5500 | 0.9012 | SYNTHETIC |"),
        "{board}"
    );

    // Experiment 1: optimizer with all parameters, loss with equation, topology, weights.
    assert!(md.contains("## 1. Raw-pixel MLP\n"), "{md}");
    assert!(md.contains("- Optimizer: RMSprop (learning_rate = 0.001, centered = false, epsilon = 1e-7, momentum = 0.0, rho = 0.9)"), "{md}");
    assert!(md.contains("- Loss: categorical_crossentropy: L = −(1/N) Σᵢ Σₖ yᵢₖ log pᵢₖ"), "{md}");
    assert!(
        md.contains("- Training: epochs = 5, batch_size = 32, seed = 42, training time 12.3 s"),
        "{md}"
    );
    assert!(md.contains("Topology: input image [28, 28, 1] → Flatten [N, 784] → Dense [N, 30] → Dense [N, 30] → Dense [N, 10] → output: 10 classes"), "{md}");
    assert!(md.contains("| dense_1 | Dense | [N, 30] | relu | 23,550 | 784 inputs × 30 units + 30 biases = 23,550 |"), "{md}");
    assert!(md.contains("| total |  |  |  | 24,790 |  |"), "{md}");
    // Variants table: change, weights, epochs, best epoch, overfitting, test loss/accuracy.
    assert!(
        md.contains("| mlp | (base) | 24,790 | 6 | 3 | from epoch 4 | 0.2171 | 0.9412 |"),
        "{md}"
    );
    assert!(
        md.contains("| mlp-epochs40 | epochs = 40 | 24,791 | 3 | 2 | – | 0.1234 | 0.9655 |"),
        "{md}"
    );
    assert!(md.contains("#### Weights of `mlp-epochs40`"), "{md}");
    // Curves reading, pictures, confused pairs, P/R/F1.
    assert!(md.contains("Best epoch 3 (lowest validation loss, 0.4000)."), "{md}");
    assert!(md.contains("Overfitting: validation loss starts rising at epoch 4 and ends at 0.6000 at epoch 6 (minimum 0.4000 at epoch 3), while training loss keeps falling from 0.3000 to 0.1000."), "{md}");
    // The rule is stated once per experiment with verdicts, under its variants table;
    // a one-epoch uptick is no overfitting.
    let rule = formats::history::OVERFITTING_RULE;
    assert!(rule.contains("at least 3 epochs") && rule.contains("slope"), "{rule}");
    assert_eq!(md.matches(rule).count(), 1, "once for the experiment's two runs: {md}");
    let variants_table_end = md.find("| mlp-epochs40 | epochs = 40 |").unwrap();
    let first_verdict = md.find("Best epoch 3 (lowest validation loss").unwrap();
    assert!((variants_table_end..first_verdict).contains(&md.find(rule).unwrap()), "{md}");
    assert!(md.contains("Best epoch 2 (lowest validation loss, 0.1778). No overfitting: validation loss at the last epoch (0.1800, epoch 3) is above its minimum, but not in a sustained rise.\n"), "{md}");
    assert!(md.contains("![mlp: training curves](img/mlp-curves.png)"));
    assert!(md.contains("![mlp: confusion matrix](img/mlp-confusion.png)"));
    assert_eq!(std::fs::read(report_dir.join("img/mlp-confusion.png")).unwrap(), b"PNG-confusion");
    assert!(md.contains("- true 4 predicted as 9: 12 times (6.0% of the 200 true 4)"), "{md}");
    assert!(md.contains("| 4 | 0.9100 | 0.9200 | 0.9150 | 200 |"), "{md}");
    assert!(md.contains("| macro average | 0.9000 | 0.9000 | 0.9012 |  |"), "{md}");

    // Experiment 2: SYNTHETIC, binary metrics, ROC, confused pairs by index, missing summary said.
    assert!(md.contains("## 2. Pneumonia — SYNTHETIC data"), "{md}");
    assert!(
        md.contains("- true NORMAL predicted as PNEUMONIA: 10 times (33.3% of the 30 true NORMAL)"),
        "{md}"
    );
    assert!(md.contains("- ROC AUC: 0.8123"), "{md}");
    assert!(
        md.contains("- At the chosen threshold 0.5000: precision 0.7300, recall 0.9000, F1 0.8060"),
        "{md}"
    );
    assert!(
        md.contains("- Threshold keeping recall ≥ 0.9500: 0.3100 (precision there 0.6100)"),
        "{md}"
    );
    assert!(md.contains("![pn: ROC curve](img/pn-roc.png)"));
    assert!(
        md.contains("Not available: ")
            && md.contains("pn/model/summary.json is missing (run `make pn`)"),
        "{md}"
    );

    // HTML: the Markdown rendered (no backtick left), headings with ids and a table of
    // contents linking them, a page that fits a phone, offline.
    assert!(html.contains("<img src=\"img/mlp-confusion.png\""));
    assert!(html.contains("<td>24,790</td>"));
    assert!(html.contains("SYNTHETIC"));
    assert!(!html.contains('`'), "{html}");
    assert!(html.contains("<h4 id=\"run-mlp\">Run <code>mlp</code></h4>"), "{html}");
    assert!(html.contains("<a href=\"#run-mlp\">Run <code>mlp</code></a>"), "{html}");
    assert!(html.contains("<a href=\"#leaderboard\">Leaderboard</a>"), "{html}");
    let ids = html.matches(" id=\"").count();
    assert_eq!(ids, md.lines().filter(|l| l.starts_with('#')).count(), "every heading has an id");
    assert!(
        html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
    );
    assert!(html.contains("img{max-width:100%;height:auto;"));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn report_says_what_is_missing_and_replaces_the_old_one() {
    let tmp = tempfile::tempdir().unwrap();
    let m = manifest(tmp.path());
    // A folder of someone's files is not a report: it is left alone.
    let report_dir = tmp.path().join("report");
    std::fs::create_dir_all(&report_dir).unwrap();
    std::fs::write(report_dir.join("notes.txt"), "mine").unwrap();
    let e = format!("{:#}", report::write_report(&m, &report_dir).unwrap_err());
    assert!(e.contains("is not an output of this kind"), "{e}");
    assert_eq!(std::fs::read_to_string(report_dir.join("notes.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "no temporary left");
    // A report (its marker) is replaced as a whole, stale files included.
    std::fs::remove_file(report_dir.join("notes.txt")).unwrap();
    report::write_report(&m, &report_dir).unwrap();
    assert!(report_dir.join(report::REPORT_MARKER).is_file());
    std::fs::write(report_dir.join("stale.txt"), "old").unwrap();
    let line = report::write_report(&m, &report_dir).unwrap();
    assert!(line.contains("0 of 3 runs evaluated"), "{line}");
    let md = std::fs::read_to_string(report_dir.join("index.md")).unwrap();
    assert!(md.contains("0 of 3 runs have an evaluation"));
    assert!(md.contains("mlp/eval/metrics.json is missing (run `make mlp`)"), "{md}");
    assert!(!report_dir.join("stale.txt").exists());
}

/// `kill -9` of `pipeline report` at the moment its new directory is about to be
/// swapped in: the old report stays, whole; without the kill the new one replaces it.
#[test]
fn a_kill_at_the_commit_of_the_report_leaves_the_old_one() {
    let tmp = tempfile::tempdir().unwrap();
    let manifest_path = tmp.path().join("pipeline.toml");
    write(&manifest_path, &manifest_text(tmp.path()));
    let report_dir = tmp.path().join("report");
    let report = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pipeline"));
        c.arg("report").arg("--manifest").arg(&manifest_path).arg("--out").arg(&report_dir);
        c
    };
    assert!(report().status().unwrap().success());
    let old = testkit::tree(&report_dir);
    assert!(old.iter().any(|(name, _)| name == "index.md"));

    // One run gets evaluated: the next report differs.
    write(&tmp.path().join("out/runs/mlp/eval/metrics.json"), &metrics(0.9412, 0.2171));
    let said = testkit::kill_at_commit(report());
    assert!(said.contains("report"), "{said}");
    assert_eq!(testkit::tree(&report_dir), old, "the old report is intact");

    assert!(report().status().unwrap().success());
    let md = std::fs::read_to_string(report_dir.join("index.md")).unwrap();
    assert!(md.contains("1 of 3 runs have an evaluation"), "{md}");
    let left = testkit::temporaries(tmp.path());
    assert!(left.is_empty(), "temporaries of the killed run remain: {left:?}");
}

#[test]
fn unreadable_outputs_are_said_to_be_unreadable_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let m = manifest(tmp.path());
    let out = tmp.path().join("out/runs");
    write(&out.join("mlp/model/history.parquet"), "not parquet");
    write(&out.join("mlp/eval/metrics.json"), "{not json");
    // Valid JSON without the figures: not an evaluation either.
    write(&out.join("mlp-epochs40/eval/metrics.json"), r#"{"accuracy": 0.5}"#);
    // A summary without what `train` writes is not one either: said, not shown in part.
    write(&out.join("mlp/model/summary.json"), r#"{"baseline": "logistic"}"#);
    write(&out.join("mlp-epochs40/model/summary.json"), "{");
    let report_dir = tmp.path().join("report");
    let line = report::write_report(&m, &report_dir).unwrap();
    assert!(line.contains("0 of 3 runs evaluated"), "{line}");
    let md = std::fs::read_to_string(report_dir.join("index.md")).unwrap();
    assert!(md.contains("mlp/model/history.parquet is not a readable Parquet file"), "{md}");
    assert!(md.contains("mlp/eval/metrics.json is not valid JSON ("), "{md}");
    assert!(md.contains("mlp-epochs40/eval/metrics.json does not hold what the report reads (missing field \\`rows\\`"), "{md}");
    assert!(
        md.contains(
            "mlp/model/summary.json does not hold what the report reads (missing field \\`name\\`"
        ),
        "{md}"
    );
    assert!(md.contains("mlp-epochs40/model/summary.json is not valid JSON ("), "{md}");
    assert!(!md.contains("Topology:") && !md.contains("#### Weights"), "{md}");
}

/// A HOG feature dataset of two rows, with the metadata `features hog` writes.
fn write_hog_features(path: &Path, params: params::HogParams, dim: usize) {
    let mut ds = testkit::feature_dataset(2, dim, &["a", "b"], 1);
    ds.meta.params = Some(FeatureParams::Hog(HogFeatures {
        params,
        height: 28,
        width: 28,
        channels: 1,
        dim,
        reference: "skimage.feature.hog 0.26".into(),
    }));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    ds.write(path, None).unwrap();
}

#[test]
fn report_shows_the_hog_pictures_and_parameters_or_says_they_are_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let d = dir.display();
    let text = format!(
        r#"
[settings]
out = "{d}/out"
report = "{d}/report"

[datasets.mnist]
kind = "idx"
train_images = "a.gz"
train_labels = "b.gz"
test_images = "c.gz"
test_labels = "d.gz"
val_fraction = 0.1

[features.hog]
method = "hog"
from = "mnist"
orientations = 8
pixels_per_cell = [4, 4]
cells_per_block = [1, 1]

[models.h]
title = "HOG MLP"
features = "hog"
loss = "categorical_crossentropy"
optimizer = {{ name = "rmsprop" }}
layers = [ {{ type = "dense", units = 10, activation = "softmax" }} ]
[models.h.variants.o4]
features.orientations = 4
[models.h.variants.u3]
layers.0.units = 3
"#
    );
    let m = Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    let feats = dir.join("out/features");
    // `hog`: metadata and two pictures; `hog-o4` (derived by the variant): nothing yet.
    let hog = params::HogParams {
        orientations: 8,
        pixels_per_cell: params::Size2::square(4),
        cells_per_block: params::Size2::square(1),
        ..params::HogParams::DEFAULT
    };
    write_hog_features(&feats.join("hog/train.parquet"), hog, 392);
    write(&feats.join("hog/pictures/hog-00000.png"), "PNG-hog-0");
    write(&feats.join("hog/pictures/hog-00001.png"), "PNG-hog-1");
    write(&feats.join("hog/pictures/notes.txt"), "not a picture");

    let report_dir = dir.join("report");
    report::write_report(&m, &report_dir).unwrap();
    let md = std::fs::read_to_string(report_dir.join("index.md")).unwrap();
    let html = std::fs::read_to_string(report_dir.join("index.html")).unwrap();

    assert_eq!(md.matches("### What the HOG descriptor captures").count(), 1, "{md}");
    let section = md
        .split("### What the HOG descriptor captures")
        .nth(1)
        .unwrap()
        .split("\n### ")
        .next()
        .unwrap();
    assert!(section.contains("Feature set `hog`: orientations 8, pixels_per_cell [4, 4], cells_per_block [1, 1], D = 392 (from "), "{section}");
    assert!(
        section.contains(
            "![hog: train image 00000 (left) and its HOG glyphs (right)](img/hog-hog-00000.png)"
        ),
        "{section}"
    );
    assert!(section.contains("(img/hog-hog-00001.png)"), "{section}");
    assert_eq!(section.matches("![").count(), 2, "{section}");
    assert_eq!(std::fs::read(report_dir.join("img/hog-hog-00000.png")).unwrap(), b"PNG-hog-0");
    assert_eq!(std::fs::read(report_dir.join("img/hog-hog-00001.png")).unwrap(), b"PNG-hog-1");
    assert!(html.contains("<img src=\"img/hog-hog-00000.png\""), "{html}");
    assert!(html.contains("D = 392"), "{html}");
    // The derived set, listed once though two runs could name it, says what is missing.
    assert!(section.contains("Feature set `hog-o4`: --orientations 4 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys (parameters unknown: "), "{section}");
    assert!(section.contains("hog-o4/train.parquet is missing"), "{section}");
    assert!(
        section.contains("Not available: the HOG pictures of `hog-o4` (")
            && section.contains("hog-o4/pictures/hog-00000.png …) are missing (run `make hog-o4`)"),
        "{section}"
    );
    assert_eq!(section.matches("Feature set `hog`").count(), 1, "{section}");

    // Metadata another program wrote (a `hog` object without what `features hog` writes):
    // its parameters are said to be unknown, not guessed.
    let mut ds = testkit::feature_dataset(2, 392, &["a", "b"], 1);
    let foreign = serde_json::json!({"method": "hog", "orientations": 8});
    ds.meta.params = Some(FeatureParams::Other(foreign.as_object().unwrap().clone()));
    ds.write(&feats.join("hog/train.parquet"), None).unwrap();
    report::write_report(&m, &report_dir).unwrap();
    let md = std::fs::read_to_string(report_dir.join("index.md")).unwrap();
    assert!(
        md.contains("Feature set `hog`: --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1 --block-norm L2-Hys (parameters unknown: ")
            && md.contains("hog/train.parquet's \\`features\\` metadata is not what \\`features hog\\` writes (method \"hog\"); run `make hog`)."),
        "{md}"
    );
}

/// A baseline (linfa logistic regression) has a one-point history: no curves section,
/// no curves picture (even a stale one), no epoch count; one line says why.
#[test]
fn a_baseline_has_no_curves_section() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let text = manifest_text(dir)
        + "\n[baselines.logistic]\ntitle = \"Logistic regression\"\ndata = \"mnist\"\nmethod = \"logistic\"\n";
    let m = Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    let out = dir.join("out/runs");
    write(&out.join("logistic/model/summary.json"), &baseline_summary().to_json_pretty());
    write_history(&out.join("logistic/model/history.parquet"), &[0.3], &[0.35]);
    write(&out.join("logistic/eval/metrics.json"), &metrics(0.9, 0.3));
    write(&out.join("logistic/eval/curves.png"), "PNG-one-point-curves");
    write(&out.join("logistic/eval/confusion.png"), "PNG-confusion");
    let report_dir = dir.join("report");
    report::write_report(&m, &report_dir).unwrap();
    let md = std::fs::read_to_string(report_dir.join("index.md")).unwrap();
    let run = md.split("#### Run `logistic`").nth(1).unwrap();
    assert!(
        run.starts_with(
            "\n\nNo training curves: the logistic baseline is fitted in one go, without epochs.\n"
        ),
        "{run}"
    );
    assert!(!run.contains("curves.png") && !run.contains("Best epoch"), "{run}");
    assert!(!report_dir.join("img/logistic-curves.png").exists());
    assert!(run.contains("![logistic: confusion matrix](img/logistic-confusion.png)"), "{run}");
    assert!(md.contains("| logistic | (base) | 7,850 | – | – | – | 0.3000 | 0.9000 |"), "{md}");
    // No batch size or seed: the baseline fits on all rows at once, from zeros.
    assert!(
        md.contains("- Training: epochs = 1, batch_size = none, seed = none, training time 2.0 s"),
        "{md}"
    );
    assert!(
        md.contains(
            "Topology: input image [28, 28, 1] → LogisticRegression [N, 10] → output: 10 classes"
        ),
        "{md}"
    );
}

/// Markup a hostile manifest or dataset could carry: none of it may be live in the page.
const HOSTILE: &[&str] = &[
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<javascript:alert(2)>",
    "![x](javascript:alert(3))",
    "<div>\n<script>alert(4)</script>",
    "**bold** _em_ `code` &amp; \\<b>",
];

#[test]
fn titles_class_names_and_paths_are_text_never_markup() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Every string of the manifest that reaches the report carries a payload.
    let text = manifest_text(dir)
        .replace("title = \"Raw-pixel MLP\"", &format!("title = {:?}", HOSTILE[..4].join(" ")))
        .replace(
            "title = \"Pneumonia\"",
            &format!("title = {:?}", HOSTILE[4..].join(" ").replace('\n', " ")),
        )
        .replace("train_images = \"a.gz\"", "train_images = \"<img src=x onerror=alert(5)>/a.gz\"");
    let m = Manifest::parse(&text, Path::new("pipeline.toml")).unwrap();
    let out = dir.join("out/runs");
    // Class names come from the data (a class folder, `ingest idx --classes`).
    let mut mt: serde_json::Value = serde_json::from_str(&metrics(0.9, 0.2)).unwrap();
    let classes: Vec<String> =
        (0..10).map(|i| HOSTILE[i % HOSTILE.len()].to_string() + &i.to_string()).collect();
    mt["classes"] = serde_json::json!(classes);
    for (i, c) in classes.iter().enumerate() {
        mt["per_class"][i]["class"] = serde_json::json!(c);
    }
    mt["top_confused"] =
        serde_json::json!([{"true": classes[1], "predicted": classes[2], "count": 9}]);
    write(&out.join("mlp/eval/metrics.json"), &mt.to_string());
    let report_dir = dir.join("report");
    report::write_report(&m, &report_dir).unwrap();
    let html = std::fs::read_to_string(report_dir.join("index.html")).unwrap();
    let body = html.split("<body>").nth(1).unwrap();
    for live in [
        "<script",
        "<img src=\"x\"",
        "<img src=x",
        "href=\"javascript",
        "src=\"javascript",
        "<div>",
        "<strong>bold",
        "<em>em",
        "<code>code",
        "<b>",
    ] {
        assert!(!body.contains(live), "{live:?} is live in:\n{body}");
    }
    // They are there, as text.
    for shown in [
        "&lt;script&gt;document.title=",
        "&lt;img src=x onerror=alert(1)&gt;",
        "[click](javascript:alert(1))",
        "**bold** _em_ `code` &amp;amp; \\&lt;b&gt;",
        "&lt;img src=x onerror=alert(5)&gt;",
    ] {
        assert!(body.contains(shown), "{shown:?} not shown in:\n{body}");
    }
    assert!(
        body.contains(
            "true &lt;img src=x onerror=alert(1)&gt;1 predicted as [click](javascript:alert(1))2: 9 times"
        ),
        "{body}"
    );
    // In index.md the same strings are escaped Markdown.
    let md = std::fs::read_to_string(report_dir.join("index.md")).unwrap();
    assert!(md.contains("\\<script\\>document.title='pwned'\\</script\\>"), "{md}");
    assert!(md.contains("\\[click\\](javascript:alert(1))"), "{md}");
    assert!(md.match_indices('<').all(|(i, _)| md[..i].ends_with('\\')), "every < escaped: {md}");
}

#[test]
fn raw_html_and_foreign_links_in_the_markdown_are_not_rendered_live() {
    // Whatever reaches the Markdown unescaped, the page shows it as text.
    let html = report::markdown_page("t", "<script>alert(1)</script>\n\nx <img src=x onerror=alert(2)> [a](javascript:alert(3)) ![b](http://example.com/x.png) [ok](#here) ![ok](img/a.png)\n");
    let body = html.split("<body>").nth(1).unwrap();
    assert!(
        !body.contains("<script")
            && !body.contains("<img src=\"x\"")
            && !body.contains("<img src=x"),
        "{body}"
    );
    assert!(!body.contains("javascript:alert(3)\"") && !body.contains("http://"), "{body}");
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{body}");
    assert!(
        body.contains("<a href=\"#here\">ok</a>")
            && body.contains("<img src=\"img/a.png\" alt=\"ok\" />"),
        "{body}"
    );
}

#[test]
fn pictures_are_copied_only_from_regular_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let m = manifest(dir);
    let out = dir.join("out/runs");
    write(&out.join("mlp/eval/metrics.json"), &metrics(0.9, 0.2));
    let secret = dir.join("secret.txt");
    write(&secret, "root:x:0:0");
    std::fs::create_dir_all(out.join("mlp/eval")).unwrap();
    std::os::unix::fs::symlink(&secret, out.join("mlp/eval/confusion.png")).unwrap();
    let report_dir = dir.join("report");
    let e = format!("{:#}", report::write_report(&m, &report_dir).unwrap_err());
    assert!(e.contains("mlp/eval/confusion.png is not a regular file"), "{e}");
    assert_eq!(e.lines().count(), 1);
    assert!(!report_dir.exists(), "nothing written");
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "no temporary report left: {left:?}");
    // A regular file is copied.
    std::fs::remove_file(out.join("mlp/eval/confusion.png")).unwrap();
    write(&out.join("mlp/eval/confusion.png"), "PNG");
    report::write_report(&m, &report_dir).unwrap();
    assert_eq!(std::fs::read_to_string(report_dir.join("img/mlp-confusion.png")).unwrap(), "PNG");
}
