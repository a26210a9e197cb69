//! The evaluation's tables as polars DataFrames: per-class metrics, the confusion
//! matrix, the training history, written as Parquet.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use formats::History;
use polars::prelude::*;

use crate::Metrics;

/// `class, precision, recall, f1, support`, one row per class.
pub fn per_class_frame(m: &Metrics) -> Result<DataFrame> {
    let pc = &m.per_class;
    Ok(DataFrame::new(
        pc.len(),
        vec![
            Column::new("class".into(), pc.iter().map(|c| c.class.as_str()).collect::<Vec<_>>()),
            Column::new(
                "precision".into(),
                pc.iter().map(|c| c.scores.precision).collect::<Vec<_>>(),
            ),
            Column::new("recall".into(), pc.iter().map(|c| c.scores.recall).collect::<Vec<_>>()),
            Column::new("f1".into(), pc.iter().map(|c| c.scores.f1).collect::<Vec<_>>()),
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
        cols.push(Column::new(
            col_name.into(),
            (0..c).map(|t| m.confusion[t][p]).collect::<Vec<u64>>(),
        ));
    }
    Ok(DataFrame::new(c, cols)?)
}

/// The history as a DataFrame (for `evaluate compare`).
pub fn history_frame(h: &History) -> Result<DataFrame> {
    let e = &h.epochs;
    Ok(DataFrame::new(
        e.len(),
        vec![
            Column::new("epoch".into(), e.iter().map(|r| r.epoch as i32).collect::<Vec<_>>()),
            Column::new("loss".into(), e.iter().map(|r| r.loss).collect::<Vec<_>>()),
            Column::new("accuracy".into(), e.iter().map(|r| r.accuracy).collect::<Vec<_>>()),
            Column::new("val_loss".into(), e.iter().map(|r| r.val_loss).collect::<Vec<_>>()),
            Column::new(
                "val_accuracy".into(),
                e.iter().map(|r| r.val_accuracy).collect::<Vec<_>>(),
            ),
            Column::new("seconds".into(), e.iter().map(|r| r.seconds).collect::<Vec<_>>()),
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
