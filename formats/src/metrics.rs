//! `metrics.json` (docs/formats.md): what `evaluate` writes and the report and
//! `evaluate compare` read, as one typed struct.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoAction, Result};

/// `metrics.json` (docs/formats.md), plus a few fields describing the run.
///
/// Reading is more tolerant than writing, for files other programs wrote: the
/// fields after `confusion` may be absent (empty, `None`, zero), a class in
/// `top_confused` may be given by its index, and a `null` figure reads as NaN
/// (serde_json writes a non-finite `f64`, e.g. the ROC AUC of a one-class test set,
/// as `null`). What `evaluate` writes is unchanged by this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Rows evaluated.
    pub rows: usize,
    /// Class names, index = class.
    pub classes: Vec<String>,
    /// Share of rows predicted right.
    #[serde(deserialize_with = "nan_if_null")]
    pub accuracy: f64,
    /// Mean −ln p(true class).
    #[serde(deserialize_with = "nan_if_null")]
    pub log_loss: f64,
    /// Precision, recall and F1 of each class.
    pub per_class: Vec<ClassMetrics>,
    /// The unweighted mean over classes.
    #[serde(rename = "macro")]
    pub macro_avg: Scores,
    /// The mean over classes weighted by support.
    pub weighted: Scores,
    /// Rows = true class, columns = predicted class.
    pub confusion: Vec<Vec<u64>>,
    /// The most frequent confusions, most first.
    #[serde(default)]
    pub top_confused: Vec<Confused>,
    /// The figures of a two-class model.
    #[serde(default)]
    pub binary: Option<BinaryMetrics>,
    /// The model file.
    #[serde(default)]
    pub model: String,
    /// The dataset file or directory.
    #[serde(default)]
    pub data: String,
    /// The training history the curves come from, if any.
    #[serde(default)]
    pub history: Option<String>,
    /// How the dataset fed the model and which output was read.
    #[serde(default)]
    pub input: String,
    /// The class-score output used.
    #[serde(default)]
    pub output: String,
    /// `none`, or `softmax` / `sigmoid` when the output held raw scores (logits).
    #[serde(default)]
    pub score_transform: String,
    /// Rows per ONNX Runtime call.
    #[serde(default)]
    pub batch_size: usize,
    /// ONNX Runtime intra-op threads.
    #[serde(default)]
    pub threads: usize,
    /// Inference time (ONNX Runtime calls plus feeding), and rows per second.
    #[serde(default, deserialize_with = "nan_if_null")]
    pub seconds: f64,
    /// Rows scored per second of inference.
    #[serde(default, deserialize_with = "nan_if_null")]
    pub rows_per_second: f64,
}

impl Metrics {
    /// Reads a `metrics.json` written by `evaluate`.
    pub fn read(path: &Path) -> Result<Metrics> {
        let text = std::fs::read_to_string(path).map_err(Error::io(IoAction::Read, path))?;
        serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            message: format!("{} is not a metrics.json written by evaluate", path.display()),
            source,
        })
    }

    /// `scores.json`: the figures alone, one flat level of numbers (no timings, paths or
    /// settings), as `dvc metrics diff`, MLflow's `log_metrics` and spreadsheets want them:
    /// `accuracy`, `log_loss`, `macro_precision` … `weighted_f1`, and for a binary model
    /// `roc_auc`, `precision`, `recall`, `f1` (at the threshold) and `best_f1`. A figure
    /// that is not finite (the ROC AUC of a one-class set) is left out.
    pub fn scores(&self) -> std::collections::BTreeMap<String, f64> {
        let mut out = std::collections::BTreeMap::new();
        out.insert("accuracy".to_string(), self.accuracy);
        out.insert("log_loss".to_string(), self.log_loss);
        for (prefix, s) in [("macro", &self.macro_avg), ("weighted", &self.weighted)] {
            out.insert(format!("{prefix}_precision"), s.precision);
            out.insert(format!("{prefix}_recall"), s.recall);
            out.insert(format!("{prefix}_f1"), s.f1);
        }
        if let Some(b) = &self.binary {
            out.insert("roc_auc".to_string(), b.roc_auc);
            out.insert("precision".to_string(), b.at_threshold.precision);
            out.insert("recall".to_string(), b.at_threshold.recall);
            out.insert("f1".to_string(), b.at_threshold.f1);
            out.insert("best_f1".to_string(), b.best_f1);
        }
        out.retain(|_, v| v.is_finite());
        out
    }
}

/// An `f64` that serde_json wrote as `null` because it was not finite, read back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// A class by name, or by index (as its decimal text) as other programs may write it.
fn class_name_or_index<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NameOrIndex {
        Name(String),
        Index(u64),
    }
    Ok(match NameOrIndex::deserialize(d)? {
        NameOrIndex::Name(s) => s,
        NameOrIndex::Index(i) => i.to_string(),
    })
}

/// Precision, recall and F1 and the support of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class name.
    pub class: String,
    /// Its precision, recall and F1.
    #[serde(flatten)]
    pub scores: Scores,
    /// Rows of this class.
    pub support: u64,
}

/// Precision, recall and F1: of one class, or averaged over the classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scores {
    /// Right among those predicted this class.
    #[serde(deserialize_with = "nan_if_null")]
    pub precision: f64,
    /// Found among those of this class.
    #[serde(deserialize_with = "nan_if_null")]
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    #[serde(deserialize_with = "nan_if_null")]
    pub f1: f64,
}

/// One off-diagonal cell of the confusion matrix. `evaluate` names the classes;
/// a class another program gave by its index reads as the index's decimal text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confused {
    /// The true class.
    #[serde(rename = "true", deserialize_with = "class_name_or_index")]
    pub true_class: String,
    /// The class it was taken for.
    #[serde(deserialize_with = "class_name_or_index")]
    pub predicted: String,
    /// How many rows.
    pub count: u64,
}

impl Confused {
    /// "5 predicted as 3: 22 times".
    pub fn sentence(&self) -> String {
        let times = if self.count == 1 { "time" } else { "times" };
        format!("{} predicted as {}: {} {times}", self.true_class, self.predicted, self.count)
    }
}

/// The binary-classification figures (positive class = index 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    /// The name of class 1.
    pub positive_class: String,
    /// NaN (`null` in the file) when the test set holds one class only.
    #[serde(deserialize_with = "nan_if_null")]
    pub roc_auc: f64,
    /// The threshold on P(positive) used for `predicted` (`--threshold`, default 0.5).
    #[serde(deserialize_with = "nan_if_null")]
    pub threshold: f64,
    /// Precision, recall and F1 at `threshold`.
    #[serde(flatten)]
    pub at_threshold: Scores,
    /// The threshold that maximises F1 over all distinct scores, and that F1.
    #[serde(deserialize_with = "nan_if_null")]
    pub best_f1_threshold: f64,
    /// The best F1 over all thresholds.
    #[serde(deserialize_with = "nan_if_null")]
    pub best_f1: f64,
    /// The recall target (`--min-recall`), the largest threshold reaching it and
    /// the precision there (null without a target).
    #[serde(default)]
    pub min_recall: Option<f64>,
    /// The largest threshold whose recall reaches `min_recall`, if any does.
    #[serde(default)]
    pub threshold_for_min_recall: Option<f64>,
    /// The precision at that threshold.
    #[serde(default)]
    pub precision_at_min_recall: Option<f64>,
    /// The ROC curve: false and true positive rates and the threshold of each point
    /// (one per distinct score, after a first point (0, 0) at threshold +∞). Drawn in
    /// `roc.png`, left out of `metrics.json` (one point per row).
    #[serde(skip, default)]
    pub roc_fpr: Vec<f64>,
    /// True positive rate of each ROC point.
    #[serde(skip, default)]
    pub roc_tpr: Vec<f64>,
    /// The threshold of each ROC point.
    #[serde(skip, default)]
    pub roc_thresholds: Vec<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(roc_auc: f64) -> Metrics {
        let avg = Scores { precision: 0.5, recall: 0.25, f1: 1.0 / 3.0 };
        Metrics {
            rows: 4,
            classes: vec!["a".into(), "b".into()],
            accuracy: 0.75,
            log_loss: 0.5,
            per_class: vec![ClassMetrics {
                class: "a".into(),
                scores: Scores { precision: 1.0, recall: 0.5, f1: 2.0 / 3.0 },
                support: 2,
            }],
            macro_avg: avg.clone(),
            weighted: avg,
            confusion: vec![vec![1, 1], vec![0, 2]],
            top_confused: vec![Confused {
                true_class: "a".into(),
                predicted: "b".into(),
                count: 1,
            }],
            binary: Some(BinaryMetrics {
                positive_class: "b".into(),
                roc_auc,
                threshold: 0.5,
                at_threshold: Scores { precision: 2.0 / 3.0, recall: 1.0, f1: 0.8 },
                best_f1_threshold: 0.4,
                best_f1: 0.8,
                min_recall: Some(0.9),
                threshold_for_min_recall: Some(0.3),
                precision_at_min_recall: None,
                roc_fpr: vec![],
                roc_tpr: vec![],
                roc_thresholds: vec![],
            }),
            model: "m.onnx".into(),
            data: "d.parquet".into(),
            history: None,
            input: "pixels".into(),
            output: "`probabilities`".into(),
            score_transform: "none".into(),
            batch_size: 512,
            threads: 2,
            seconds: 0.5,
            rows_per_second: 8.0,
        }
    }

    #[test]
    fn what_evaluate_writes_reads_back_even_a_nan_roc_auc() {
        let m = metrics(0.75);
        assert_eq!(
            serde_json::from_str::<Metrics>(&serde_json::to_string_pretty(&m).unwrap()).unwrap(),
            m
        );
        // One class in the test set: the AUC is NaN, written as null, read as NaN.
        let text = serde_json::to_string(&metrics(f64::NAN)).unwrap();
        assert!(text.contains("\"roc_auc\":null"), "{text}");
        let back: Metrics = serde_json::from_str(&text).unwrap();
        assert!(back.binary.unwrap().roc_auc.is_nan());
    }

    #[test]
    fn other_programs_files_may_leave_out_the_run_description_and_name_classes_by_index() {
        let text = r#"{"rows": 4, "classes": ["a", "b"], "accuracy": null, "log_loss": 0.5,
            "per_class": [], "macro": {"precision": 0.5, "recall": 0.5, "f1": 0.5},
            "weighted": {"precision": 0.5, "recall": 0.5, "f1": 0.5}, "confusion": [[1, 1], [0, 2]],
            "top_confused": [{"true": 0, "predicted": "b", "count": 1}]}"#;
        let m: Metrics = serde_json::from_str(text).unwrap();
        assert!(m.accuracy.is_nan());
        assert_eq!(
            m.top_confused[0],
            Confused { true_class: "0".into(), predicted: "b".into(), count: 1 }
        );
        assert_eq!((m.binary, m.history, m.model.as_str(), m.batch_size), (None, None, "", 0));
        // The figures themselves stay required.
        let e = serde_json::from_str::<Metrics>(&text.replace(r#""rows": 4, "#, "")).unwrap_err();
        assert!(e.to_string().contains("missing field `rows`"), "{e}");
    }
}
