//! The evaluation's tables as polars DataFrames: per-class metrics, the confusion
//! matrix, the training history, written as Parquet.

use std::fs::File;
use std::path::Path;

use anyhow::{bail, Context, Result};
use polars::prelude::*;

use crate::Metrics;

/// A training run's `history.parquet` (docs/formats.md), one entry per epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub epoch: Vec<i32>,
    pub loss: Vec<f64>,
    pub accuracy: Vec<f64>,
    pub val_loss: Vec<Option<f64>>,
    pub val_accuracy: Vec<Option<f64>>,
    pub seconds: Vec<Option<f64>>,
}

impl History {
    pub fn has_validation(&self) -> bool {
        self.val_loss.iter().any(Option::is_some)
    }

    /// The best epoch (1-based, as stored): lowest `val_loss`, or lowest `loss`
    /// without validation — what Keras's early stopping monitors by default.
    pub fn best_epoch(&self) -> Option<(usize, i32)> {
        let key: Vec<Option<f64>> = if self.has_validation() {
            self.val_loss.clone()
        } else {
            self.loss.iter().copied().map(Some).collect()
        };
        key.iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (i, v)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| (i, self.epoch[i]))
    }
}

/// Reads a Parquet file into a DataFrame; `what` names it in errors.
pub fn read_parquet(path: &Path, what: &str) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {what} {}", path.display()))?;
    ParquetReader::new(file)
        .finish()
        .map_err(anyhow::Error::new)
        .with_context(|| format!("{what} {} is not a readable Parquet file", path.display()))
}

fn f64_column(df: &DataFrame, name: &str, what: &str) -> Result<Option<Vec<Option<f64>>>> {
    let Ok(col) = df.column(name) else { return Ok(None) };
    let cast = col
        .cast(&DataType::Float64)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("{what}: column `{name}` is {}, not a number", col.dtype()))?;
    Ok(Some(cast.f64()?.iter().collect()))
}

/// Reads `history.parquet`: `epoch`, `loss`, `accuracy` required; `val_loss`,
/// `val_accuracy`, `seconds` optional.
pub fn read_history(path: &Path) -> Result<History> {
    let what = format!("history {}", path.display());
    let df = read_parquet(path, "history")?;
    let need = |name: &str| -> Result<Vec<f64>> {
        let v = f64_column(&df, name, &what)?.with_context(|| {
            let cols: Vec<&str> = df.get_column_names().iter().map(|s| s.as_str()).collect();
            format!("{what} has no `{name}` column (columns: {})", cols.join(", "))
        })?;
        v.into_iter()
            .collect::<Option<Vec<f64>>>()
            .with_context(|| format!("{what}: column `{name}` has missing values"))
    };
    let epoch: Vec<i32> = need("epoch")?.into_iter().map(|e| e as i32).collect();
    let loss = need("loss")?;
    let accuracy = need("accuracy")?;
    let n = epoch.len();
    let optional = |name: &str| -> Result<Vec<Option<f64>>> {
        Ok(f64_column(&df, name, &what)?.unwrap_or_else(|| vec![None; n]))
    };
    let h = History {
        val_loss: optional("val_loss")?,
        val_accuracy: optional("val_accuracy")?,
        seconds: optional("seconds")?,
        epoch,
        loss,
        accuracy,
    };
    if h.epoch.is_empty() {
        bail!("{what} has no epochs");
    }
    Ok(h)
}

/// `class, precision, recall, f1, support`, one row per class.
pub fn per_class_frame(m: &Metrics) -> Result<DataFrame> {
    let pc = &m.per_class;
    Ok(DataFrame::new(
        pc.len(),
        vec![
            Column::new("class".into(), pc.iter().map(|c| c.class.as_str()).collect::<Vec<_>>()),
            Column::new("precision".into(), pc.iter().map(|c| c.precision).collect::<Vec<_>>()),
            Column::new("recall".into(), pc.iter().map(|c| c.recall).collect::<Vec<_>>()),
            Column::new("f1".into(), pc.iter().map(|c| c.f1).collect::<Vec<_>>()),
            Column::new("support".into(), pc.iter().map(|c| c.support).collect::<Vec<_>>()),
        ],
    )?)
}

/// The confusion matrix: column `true` (class name), then one count column per
/// predicted class, named after it.
pub fn confusion_frame(m: &Metrics) -> Result<DataFrame> {
    let c = m.classes.len();
    let mut cols = vec![Column::new("true".into(), m.classes.clone())];
    for (p, name) in m.classes.iter().enumerate() {
        // A class name could clash with `true`; suffix it then.
        let col_name = if name == "true" { format!("{name}_") } else { name.clone() };
        cols.push(Column::new(col_name.into(), (0..c).map(|t| m.confusion[t][p]).collect::<Vec<u64>>()));
    }
    Ok(DataFrame::new(c, cols)?)
}

/// The history as a DataFrame (for `evaluate compare`).
pub fn history_frame(h: &History) -> Result<DataFrame> {
    Ok(DataFrame::new(
        h.epoch.len(),
        vec![
            Column::new("epoch".into(), h.epoch.clone()),
            Column::new("loss".into(), h.loss.clone()),
            Column::new("accuracy".into(), h.accuracy.clone()),
            Column::new("val_loss".into(), h.val_loss.clone()),
            Column::new("val_accuracy".into(), h.val_accuracy.clone()),
            Column::new("seconds".into(), h.seconds.clone()),
        ],
    )?)
}

/// Writes `df` to `path` as Parquet (zstd).
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    ParquetWriter::new(file)
        .finish(df)
        .map_err(anyhow::Error::new)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
