//! `metrics.json` (docs/formats.md): what `evaluate` writes and the report and
//! `evaluate compare` read, as one typed struct.

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// `metrics.json` (docs/formats.md), plus a few fields describing the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub rows: usize,
    pub classes: Vec<String>,
    pub accuracy: f64,
    pub log_loss: f64,
    pub per_class: Vec<ClassMetrics>,
    #[serde(rename = "macro")]
    pub macro_avg: Average,
    pub weighted: Average,
    /// Rows = true class, columns = predicted class.
    pub confusion: Vec<Vec<u64>>,
    pub top_confused: Vec<Confused>,
    pub binary: Option<BinaryMetrics>,
    pub model: String,
    pub data: String,
    pub history: Option<String>,
    /// How the dataset fed the model and which output was read.
    pub input: String,
    pub output: String,
    /// `none`, or `softmax` / `sigmoid` when the output held raw scores (logits).
    pub score_transform: String,
    pub batch_size: usize,
    pub threads: usize,
    /// Inference time (ONNX Runtime calls plus feeding), and rows per second.
    pub seconds: f64,
    pub rows_per_second: f64,
}

impl Metrics {
    /// Reads a `metrics.json` written by `evaluate`.
    pub fn read(path: &Path) -> Result<Metrics> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a metrics.json written by evaluate", path.display()))
    }
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub class: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

/// An average of per-class figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Average {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// One off-diagonal cell of the confusion matrix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confused {
    #[serde(rename = "true")]
    pub true_class: String,
    pub predicted: String,
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
    pub positive_class: String,
    pub roc_auc: f64,
    /// The threshold on P(positive) used for `predicted` (`--threshold`, default 0.5).
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// The threshold that maximises F1 over all distinct scores, and that F1.
    pub best_f1_threshold: f64,
    pub best_f1: f64,
    /// The recall target (`--min-recall`), the largest threshold reaching it and
    /// the precision there (null without a target).
    pub min_recall: Option<f64>,
    pub threshold_for_min_recall: Option<f64>,
    pub precision_at_min_recall: Option<f64>,
    /// The ROC curve: false and true positive rates and the threshold of each point
    /// (one per distinct score, after a first point (0, 0) at threshold +∞). Drawn in
    /// `roc.png`, left out of `metrics.json` (one point per row).
    #[serde(skip, default)]
    pub roc_fpr: Vec<f64>,
    #[serde(skip, default)]
    pub roc_tpr: Vec<f64>,
    #[serde(skip, default)]
    pub roc_thresholds: Vec<f64>,
}
