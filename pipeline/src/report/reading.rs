//! Reading a run's stage outputs: `history.parquet` (and what its curves say),
//! `summary.json`, `metrics.json`, and a feature dataset's `features` metadata.
//! A missing or unreadable file is recorded for the report to say, never filled in.

use std::path::Path;

use anyhow::{bail, Context, Result};
use arrow::array::{Array, Float64Array};
use arrow::datatypes::DataType;
use crate::manifest::{Manifest, Run, Trainer};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// A training history (`history.parquet`, docs/formats.md).
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub epoch: Vec<i64>,
    pub loss: Vec<f64>,
    pub accuracy: Vec<f64>,
    pub val_loss: Vec<Option<f64>>,
    pub val_accuracy: Vec<Option<f64>>,
}

/// Reads `history.parquet`: columns `epoch`, `loss`, `accuracy`, `val_loss`, `val_accuracy`.
pub fn read_history(path: &Path) -> Result<History> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .with_context(|| format!("{} is not a readable Parquet file", path.display()))?;
    let mut h = History { epoch: vec![], loss: vec![], accuracy: vec![], val_loss: vec![], val_accuracy: vec![] };
    for batch in reader {
        let batch = batch.with_context(|| format!("cannot read {}", path.display()))?;
        let column = |name: &str| -> Result<Vec<Option<f64>>> {
            let c = batch
                .column_by_name(name)
                .with_context(|| format!("{} has no column `{name}`", path.display()))?;
            let c = arrow::compute::cast(c, &DataType::Float64)
                .with_context(|| format!("{}: column `{name}` is not numeric", path.display()))?;
            let c = c.as_any().downcast_ref::<Float64Array>().expect("cast to Float64");
            Ok((0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i))).collect())
        };
        let required = |name: &str| -> Result<Vec<f64>> {
            column(name)?
                .into_iter()
                .map(|v| v.with_context(|| format!("{}: column `{name}` has a null", path.display())))
                .collect()
        };
        h.epoch.extend(required("epoch")?.into_iter().map(|e| e as i64));
        h.loss.extend(required("loss")?);
        h.accuracy.extend(required("accuracy")?);
        h.val_loss.extend(column("val_loss")?);
        h.val_accuracy.extend(column("val_accuracy")?);
    }
    if h.epoch.is_empty() {
        bail!("{} has no epochs", path.display());
    }
    Ok(h)
}

/// What the curves say: the best epoch and where validation loss starts rising.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveReading {
    /// Epoch of the lowest validation loss, and that loss.
    pub best_epoch: i64,
    pub best_val_loss: f64,
    /// Set when validation loss ends above its minimum while training loss
    /// kept falling: the first epoch after the best one (where it starts rising).
    pub overfitting_from: Option<i64>,
    pub last_epoch: i64,
    pub last_val_loss: f64,
    pub train_loss_at_best: f64,
    pub last_train_loss: f64,
}

/// Reads the best epoch and the overfitting onset; `None` without validation losses.
pub fn read_curves(h: &History) -> Option<CurveReading> {
    let points: Vec<(usize, f64)> = h.val_loss.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v))).collect();
    let &(best_i, best) = points.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    let &(last_i, last) = points.last()?;
    let rising = last_i > best_i && last > best && h.loss[last_i] < h.loss[best_i];
    Some(CurveReading {
        best_epoch: h.epoch[best_i],
        best_val_loss: best,
        overfitting_from: rising.then(|| h.epoch[best_i + 1]),
        last_epoch: h.epoch[last_i],
        last_val_loss: last,
        train_loss_at_best: h.loss[best_i],
        last_train_loss: h.loss[last_i],
    })
}

/// One run's outputs, as far as they could be read.
pub(super) struct RunOutputs {
    pub(super) summary: Option<Value>,
    pub(super) history: Option<History>,
    pub(super) metrics: Option<Value>,
    /// Problems reading the outputs (missing files, unreadable content), said in the report.
    pub(super) missing: Vec<String>,
}

fn read_json(path: &Path, missing: &mut Vec<String>) -> Option<Value> {
    match std::fs::read_to_string(path) {
        Err(_) => {
            missing.push(format!("{} is missing", path.display()));
            None
        }
        Ok(text) => match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                missing.push(format!("{} is not valid JSON ({e})", path.display()));
                None
            }
        },
    }
}

pub(super) fn read_run(m: &Manifest, run: &Run) -> RunOutputs {
    let mut missing = Vec::new();
    let model_dir = m.run_model_dir(&run.name);
    let summary = read_json(&model_dir.join("summary.json"), &mut missing);
    let hpath = model_dir.join("history.parquet");
    let history = if hpath.exists() {
        match read_history(&hpath) {
            Ok(h) => Some(h),
            Err(e) => {
                missing.push(format!("{e:#}"));
                None
            }
        }
    } else {
        if matches!(run.trainer, Trainer::Network { .. }) {
            missing.push(format!("{} is missing", hpath.display()));
        }
        None
    };
    let metrics = read_json(&m.run_eval_dir(&run.name).join("metrics.json"), &mut missing);
    RunOutputs { summary, history, metrics, missing }
}

/// The `features` JSON of a feature dataset's schema metadata (docs/features.md).
pub(super) fn feature_metadata(path: &Path) -> Result<Value> {
    let file = std::fs::File::open(path).with_context(|| format!("{} is missing", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{} is not a readable Parquet file", path.display()))?;
    let text = builder
        .schema()
        .metadata()
        .get("features")
        .with_context(|| format!("{} has no `features` metadata", path.display()))?;
    serde_json::from_str(text).with_context(|| format!("{}: the `features` metadata is not valid JSON", path.display()))
}
