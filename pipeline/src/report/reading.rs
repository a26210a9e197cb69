//! Reading a run's stage outputs: `history.parquet` (and what its curves say),
//! `summary.json`, `metrics.json`, and a feature dataset's `features` metadata.
//! A missing or unreadable file is recorded for the report to say, never filled in.

use std::path::Path;

use crate::error::{fail, Context, ErrorKind, Result};
use crate::manifest::{Manifest, Run, Trainer};
use formats::{FeatureParams, History, Metrics, Summary};
use serde::de::DeserializeOwned;

/// What the curves say: the best epoch and where validation loss starts rising.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveReading {
    /// Epoch (1-based) of the lowest validation loss.
    pub best_epoch: usize,
    /// That lowest validation loss.
    pub best_val_loss: f64,
    /// Set when validation loss overfits by [`History::overfitting`]'s rule (a
    /// sustained rise after its minimum): the first epoch after the best one.
    pub overfitting_from: Option<usize>,
    /// The last epoch (1-based) with a validation loss.
    pub last_epoch: usize,
    /// The validation loss of `last_epoch`.
    pub last_val_loss: f64,
    /// The training loss (the epoch's running average) of `best_epoch`.
    pub train_loss_at_best: f64,
    /// The training loss (the epoch's running average) of `last_epoch`.
    pub last_train_loss: f64,
}

/// Reads the best epoch ([`History::best_epoch`]: lowest validation loss) and the
/// overfitting onset ([`History::overfitting`]); `None` without validation losses or
/// with fewer than two epochs (a baseline fitted in one go has no curves).
pub fn read_curves(h: &History) -> Option<CurveReading> {
    if !h.has_validation() || !has_curves(h) {
        return None;
    }
    let best = h.best_epoch()?;
    let last = h.epochs.iter().rfind(|r| r.val_loss.is_some())?;
    Some(CurveReading {
        best_epoch: best.epoch,
        best_val_loss: best.val_loss?,
        overfitting_from: h.overfitting().map(|o| o.from_epoch),
        last_epoch: last.epoch,
        last_val_loss: last.val_loss?,
        train_loss_at_best: best.loss,
        last_train_loss: last.loss,
    })
}

/// Whether a history has curves to show: two epochs or more.
pub(super) fn has_curves(h: &History) -> bool {
    h.epochs.len() >= 2
}

/// One run's outputs, as far as they could be read.
pub(super) struct RunOutputs {
    pub(super) summary: Option<Summary>,
    pub(super) history: Option<History>,
    pub(super) metrics: Option<Metrics>,
    /// Problems reading the outputs (missing files, unreadable content), said in the report.
    pub(super) missing: Vec<String>,
}

/// Reads a JSON file as `T`; a missing file, invalid JSON or JSON without what `T`
/// needs is recorded in `missing`.
fn read_json<T: DeserializeOwned>(path: &Path, missing: &mut Vec<String>) -> Option<T> {
    match std::fs::read_to_string(path) {
        Err(_) => {
            missing.push(format!("{} is missing", path.display()));
            None
        }
        Ok(text) => match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                let what = match e.classify() {
                    serde_json::error::Category::Data => "does not hold what the report reads",
                    _ => "is not valid JSON",
                };
                missing.push(format!("{} {what} ({e})", path.display()));
                None
            }
        },
    }
}

/// Reads `run`'s `summary.json`, `history.parquet` and `metrics.json` at the paths
/// the manifest gives them. (`evaluate compare`'s `read_run` reads the same two typed
/// files from an evaluation directory, finding the history through `metrics.json`
/// instead, and fails on the first problem where this one records it.)
pub(super) fn read_run(m: &Manifest, run: &Run) -> RunOutputs {
    let mut missing = Vec::new();
    let model_dir = m.run_model_dir(&run.name);
    let summary = read_json(&model_dir.join("summary.json"), &mut missing);
    let hpath = model_dir.join("history.parquet");
    let history = if hpath.exists() {
        match History::read(&hpath) {
            Ok(h) => Some(h),
            Err(e) => {
                // The sentence and its causes, as the stages print an error.
                missing.push(with_causes(&e));
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

/// The `features` metadata of a feature dataset (docs/features.md), `None` when it
/// has none; the dataset is one file or a directory of parts (a sharded run's).
pub(super) fn feature_params(path: &Path) -> Result<Option<FeatureParams>> {
    if !path.exists() {
        fail!(Input, "{} is missing", path.display());
    }
    let reader = formats::DatasetReader::open(path).context(ErrorKind::Input, || {
        format!("{} is not a readable Parquet file", path.display())
    })?;
    let meta = reader
        .feature_meta()
        .context(ErrorKind::Input, || format!("{} is not a feature dataset", path.display()))?;
    Ok(meta.params)
}

/// An error's sentence followed by each cause after `: ` (what `{:#}` of an `anyhow`
/// error prints, as the stages' `main` do).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
