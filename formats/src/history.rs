//! `history.parquet` (docs/formats.md): one row per epoch, written by `train`, read by
//! `evaluate` (curves, `compare`) and the report. One type, one reader, one writer and
//! one best-epoch rule for all three.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, IoAction, Result};

/// One epoch: training loss and accuracy, the validation pair when there was
/// validation, and the epoch's wall time.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    pub loss: f64,
    pub accuracy: f64,
    pub val_loss: Option<f64>,
    pub val_accuracy: Option<f64>,
    /// `None` when another program wrote the file without a `seconds` column.
    pub seconds: Option<f64>,
}

/// A training run's epochs, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    pub epochs: Vec<EpochRecord>,
}

impl History {
    pub fn has_validation(&self) -> bool {
        self.epochs.iter().any(|r| r.val_loss.is_some())
    }

    /// The best epoch: lowest `val_loss`, or lowest `loss` without validation (what
    /// Keras's early stopping monitors by default); the first one on a tie.
    pub fn best_epoch(&self) -> Option<&EpochRecord> {
        let key = |r: &EpochRecord| if self.has_validation() { r.val_loss } else { Some(r.loss) };
        self.epochs
            .iter()
            .filter_map(|r| key(r).map(|k| (r, k)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(r, _)| r)
    }

    /// Total training time, over the epochs that recorded one.
    pub fn seconds(&self) -> f64 {
        self.epochs.iter().filter_map(|r| r.seconds).sum()
    }

    /// The history as CSV (`history.csv`, for `dvc plots` and spreadsheets): a header
    /// `epoch,loss,accuracy,val_loss,val_accuracy,seconds`, then one line per epoch
    /// (1-based), an empty field where a value is missing. Numbers are written in
    /// full (Rust's shortest round-trip form).
    pub fn to_csv(&self) -> String {
        let field = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut out = String::from("epoch,loss,accuracy,val_loss,val_accuracy,seconds\n");
        for r in &self.epochs {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                r.epoch,
                r.loss,
                r.accuracy,
                field(r.val_loss),
                field(r.val_accuracy),
                field(r.seconds)
            ));
        }
        out
    }

    /// Writes `path` atomically: `epoch` (int32), `loss`, `accuracy`, `val_loss` and
    /// `val_accuracy` (null without validation), `seconds` (float64).
    pub fn write(&self, path: &Path) -> Result<()> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("epoch", DataType::Int32, false),
            Field::new("loss", DataType::Float64, false),
            Field::new("accuracy", DataType::Float64, false),
            Field::new("val_loss", DataType::Float64, true),
            Field::new("val_accuracy", DataType::Float64, true),
            Field::new("seconds", DataType::Float64, false),
        ]));
        let e = &self.epochs;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from_iter_values(e.iter().map(|r| r.epoch as i32))),
            Arc::new(Float64Array::from_iter_values(e.iter().map(|r| r.loss))),
            Arc::new(Float64Array::from_iter_values(e.iter().map(|r| r.accuracy))),
            Arc::new(Float64Array::from_iter(e.iter().map(|r| r.val_loss))),
            Arc::new(Float64Array::from_iter(e.iter().map(|r| r.val_accuracy))),
            Arc::new(Float64Array::from_iter_values(
                e.iter().map(|r| r.seconds.unwrap_or(f64::NAN)),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns)?;
        crate::io::write_batches(path, schema, &[batch], None).map(|_| ())
    }

    /// Reads `path`: `epoch`, `loss` and `accuracy` required (any numeric type);
    /// `val_loss`, `val_accuracy` and `seconds` optional.
    pub fn read(path: &Path) -> Result<History> {
        let file = std::fs::File::open(path).map_err(Error::io(IoAction::Open, path))?;
        let panicked = |message| Error::PanickedParquet { path: path.to_path_buf(), message };
        let mut reader = crate::guard::catch(|| {
            ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build())
        })
        .map_err(panicked)?
        .map_err(|source| Error::NotParquet { path: path.to_path_buf(), source })?;
        let mut h = History::default();
        while let Some(batch) = crate::guard::catch(|| reader.next()).map_err(panicked)? {
            let batch = batch
                .map_err(|source| Error::CorruptParquet { path: path.to_path_buf(), source })?;
            let column = |name: &str| -> Result<Option<Vec<Option<f64>>>> {
                let Some(c) = batch.column_by_name(name) else { return Ok(None) };
                let c = arrow::compute::cast(c, &DataType::Float64).map_err(|e| {
                    Error::schema_because(
                        path,
                        format!("{}: column `{name}` is not numeric", path.display()),
                        e,
                    )
                })?;
                let c = c.as_any().downcast_ref::<Float64Array>().expect("cast to Float64");
                Ok(Some((0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i))).collect()))
            };
            let required = |name: &str| -> Result<Vec<f64>> {
                column(name)?
                    .ok_or_else(|| {
                        Error::schema(path, format!("{} has no column `{name}`", path.display()))
                    })?
                    .into_iter()
                    .map(|v| {
                        v.ok_or_else(|| {
                            Error::schema(
                                path,
                                format!("{}: column `{name}` has a null", path.display()),
                            )
                        })
                    })
                    .collect()
            };
            let optional = |name: &str| -> Result<Vec<Option<f64>>> {
                Ok(column(name)?.unwrap_or_else(|| vec![None; batch.num_rows()]))
            };
            let (epoch, loss, accuracy) =
                (required("epoch")?, required("loss")?, required("accuracy")?);
            let (val_loss, val_accuracy, seconds) =
                (optional("val_loss")?, optional("val_accuracy")?, optional("seconds")?);
            for i in 0..batch.num_rows() {
                if !(epoch[i] >= 1.0 && epoch[i].fract() == 0.0) {
                    return Err(Error::schema(
                        path,
                        format!("{}: epoch {} is not a whole number ≥ 1", path.display(), epoch[i]),
                    ));
                }
                h.epochs.push(EpochRecord {
                    epoch: epoch[i] as usize,
                    loss: loss[i],
                    accuracy: accuracy[i],
                    val_loss: val_loss[i],
                    val_accuracy: val_accuracy[i],
                    seconds: seconds[i],
                });
            }
        }
        if h.epochs.is_empty() {
            return Err(Error::schema(path, format!("{} has no epochs", path.display())));
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: usize, loss: f64, val_loss: Option<f64>) -> EpochRecord {
        EpochRecord {
            epoch,
            loss,
            accuracy: 0.5,
            val_loss,
            val_accuracy: val_loss.map(|_| 0.4),
            seconds: Some(0.25),
        }
    }

    #[test]
    fn csv_has_a_header_and_empty_fields_for_missing_values() {
        let h = History {
            epochs: vec![
                EpochRecord {
                    epoch: 1,
                    loss: 0.5,
                    accuracy: 0.75,
                    val_loss: None,
                    val_accuracy: None,
                    seconds: Some(1.25),
                },
                EpochRecord {
                    epoch: 2,
                    loss: 0.25,
                    accuracy: 0.875,
                    val_loss: Some(0.3),
                    val_accuracy: Some(0.9),
                    seconds: None,
                },
            ],
        };
        assert_eq!(
            h.to_csv(),
            "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n1,0.5,0.75,,,1.25\n2,0.25,0.875,0.3,0.9,\n"
        );
    }

    #[test]
    fn best_epoch_is_lowest_val_loss_else_lowest_loss() {
        let h = History {
            epochs: vec![
                record(1, 0.9, Some(0.8)),
                record(2, 0.5, Some(0.6)),
                record(3, 0.4, Some(0.7)),
            ],
        };
        assert_eq!(h.best_epoch().unwrap().epoch, 2);
        let h = History {
            epochs: vec![record(1, 0.9, None), record(2, 0.5, None), record(3, 0.5, None)],
        };
        assert_eq!(h.best_epoch().unwrap().epoch, 2, "first of a tie");
        assert_eq!(History::default().best_epoch(), None);
    }

    #[test]
    fn write_then_read_is_the_same_history() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.parquet");
        let h = History { epochs: vec![record(1, 0.9, Some(0.8)), record(2, 0.5, None)] };
        h.write(&path).unwrap();
        assert_eq!(History::read(&path).unwrap(), h);
        assert_eq!(h.seconds(), 0.5);
        std::fs::write(&path, b"PAR1 not really").unwrap();
        let e = format!("{:#}", History::read(&path).unwrap_err());
        assert!(e.contains("history.parquet is not a readable Parquet file"), "{e}");
    }
}
