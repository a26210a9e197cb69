//! The evaluation's tables as polars DataFrames: per-class metrics, the confusion
//! matrix, the training history, written as Parquet.
//!
//! The frames are written through arrow-rs with plain types (`Utf8`, never polars'
//! `Utf8View`), so that every Parquet reader opens them (pyarrow 12 and later
//! included), and so that polars needs none of its I/O features in the build.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int32Array, Int64Array, StringArray, UInt32Array, UInt64Array,
};
use arrow::datatypes::{DataType as ArrowType, Field, Schema};
use arrow::record_batch::RecordBatch;
use formats::History;
use polars::prelude::*;

use crate::error::{fail, Context, ErrorKind, Result};
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

/// The confusion matrix: column `true_class` (class name), then one count column per
/// predicted class, named after it. (`true` alone is an SQL keyword.)
pub fn confusion_frame(m: &Metrics) -> Result<DataFrame> {
    let c = m.classes.len();
    let mut cols = vec![Column::new("true_class".into(), m.classes.clone())];
    for (p, name) in m.classes.iter().enumerate() {
        // A class name could clash with `true_class`; suffix it then.
        let col_name = if name == "true_class" { format!("{name}_") } else { name.clone() };
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

/// `df` as one arrow-rs batch, column by column, nulls kept.
pub fn to_record_batch(df: &DataFrame) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for col in df.columns() {
        let name = col.name().as_str();
        let (kind, array): (ArrowType, ArrayRef) = match col.dtype() {
            DataType::String => {
                (ArrowType::Utf8, Arc::new(col.str()?.iter().collect::<StringArray>()))
            }
            DataType::Float64 => {
                (ArrowType::Float64, Arc::new(col.f64()?.iter().collect::<Float64Array>()))
            }
            DataType::Int32 => {
                (ArrowType::Int32, Arc::new(col.i32()?.iter().collect::<Int32Array>()))
            }
            DataType::Int64 => {
                (ArrowType::Int64, Arc::new(col.i64()?.iter().collect::<Int64Array>()))
            }
            DataType::UInt32 => {
                (ArrowType::UInt32, Arc::new(col.u32()?.iter().collect::<UInt32Array>()))
            }
            DataType::UInt64 => {
                (ArrowType::UInt64, Arc::new(col.u64()?.iter().collect::<UInt64Array>()))
            }
            other => fail!(Output, "column `{name}` has type {other}, which the tables never use"),
        };
        fields.push(Field::new(name, kind, col.null_count() > 0));
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// Writes `df` to `path` as Parquet (zstd), atomically.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<()> {
    let batch = to_record_batch(df)?;
    formats::io::write_batches(path, batch.schema(), &[batch], None)
        .context(ErrorKind::Output, || format!("cannot write {}", path.display()))?;
    Ok(())
}
