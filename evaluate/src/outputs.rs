//! The files of an evaluation directory, written as one set.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{FixedSizeListArray, Float32Array, Int32Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};

use crate::error::{Context, ErrorKind, Result};
use crate::figures::Evaluation;
use crate::{plots, tables};

/// Every file an evaluation directory can hold: the set that replaces the previous one.
pub const OUTPUTS: &[&str] = &[
    "metrics.json",
    "scores.json",
    "predictions.parquet",
    "per_class.parquet",
    "confusion.parquet",
    "confusion.png",
    "curves.png",
    "roc.png",
];

/// Writes metrics.json, scores.json (the figures alone), predictions.parquet, per_class.parquet, confusion.parquet,
/// confusion.png, curves.png (with a history) and roc.png (binary) into `out`, as one
/// set ([`formats::OutputSet`]: the old set or the new one, never a mix).
pub fn write_outputs(ev: &Evaluation, out: &Path) -> Result<Vec<PathBuf>> {
    let stage = formats::OutputSet::new(out, OUTPUTS)?;
    let m = &ev.metrics;
    let json = serde_json::to_string_pretty(m)? + "\n";
    std::fs::write(stage.path("metrics.json"), json)
        .context(ErrorKind::Output, || "cannot write metrics.json")?;
    let scores = serde_json::to_string_pretty(&m.scores())? + "\n";
    std::fs::write(stage.path("scores.json"), scores)
        .context(ErrorKind::Output, || "cannot write scores.json")?;
    let (classes, path) = (&ev.metrics.classes, stage.path("predictions.parquet"));
    write_predictions(classes, 0, &ev.labels, &ev.predicted, &ev.scores, &path)?;
    tables::write_parquet(&mut tables::per_class_frame(m)?, &stage.path("per_class.parquet"))?;
    tables::write_parquet(&mut tables::confusion_frame(m)?, &stage.path("confusion.parquet"))?;
    let run = plots::run_name(&m.model);
    plots::confusion_png(m, &stage.path("confusion.png"))?;
    if let Some(h) = &ev.history {
        plots::curves_png(h, run.as_deref(), &stage.path("curves.png"))?;
    }
    if let Some(b) = &m.binary {
        plots::roc_png(b, run.as_deref(), &stage.path("roc.png"))?;
    }
    Ok(stage.commit()?)
}

/// `predictions.parquet`: `row: int64, label: int32, predicted: int32,
/// scores: fixed_size_list<float32>[C]`; schema metadata `classes`. Rows are numbered
/// from `first_row` (a shard's place in the dataset).
pub fn write_predictions(
    classes: &[String],
    first_row: usize,
    labels: &[i32],
    predicted: &[i32],
    scores: &[f32],
    path: &Path,
) -> Result<()> {
    let c = classes.len();
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let schema = Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("row", DataType::Int64, false),
            Field::new("label", DataType::Int32, false),
            Field::new("predicted", DataType::Int32, false),
            Field::new("scores", DataType::FixedSizeList(item.clone(), c as i32), false),
        ],
        std::collections::HashMap::from([("classes".to_string(), serde_json::to_string(classes)?)]),
    ));
    let n = labels.len() as i64;
    let first = first_row as i64;
    let scores = FixedSizeListArray::try_new(
        item,
        c as i32,
        Arc::new(Float32Array::from(scores.to_vec())),
        None,
    )?;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(first..first + n)),
            Arc::new(Int32Array::from(labels.to_vec())),
            Arc::new(Int32Array::from(predicted.to_vec())),
            Arc::new(scores),
        ],
    )?;
    formats::io::write_batches(path, schema, &[batch], None)?;
    Ok(())
}
