//! `history.parquet` (docs/formats.md): one row per epoch, written by `train`, read by
//! `evaluate` (curves, `compare`) and the report. One type, one reader, one writer and
//! one best-epoch rule for all three.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};

use crate::error::{Error, Result};

/// One epoch: training loss and accuracy, the validation pair when there was
/// validation, and the epoch's wall time.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EpochRecord {
    /// 1-based.
    pub epoch: usize,
    /// Training loss of the epoch.
    pub loss: f64,
    /// Training accuracy of the epoch.
    pub accuracy: f64,
    /// Validation loss, when a validation split was held out.
    pub val_loss: Option<f64>,
    /// Validation accuracy, likewise.
    pub val_accuracy: Option<f64>,
    /// `None` when another program wrote the file without a `seconds` column.
    pub seconds: Option<f64>,
}

/// A training run's epochs, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// One record per epoch, in order.
    pub epochs: Vec<EpochRecord>,
}

/// How many epochs after its minimum validation loss must stay above it before a
/// rise counts as overfitting.
pub const OVERFITTING_MIN_EPOCHS: usize = 3;

/// [`History::overfitting`] in one sentence, for the report and the docs to state
/// the rule where they show its verdict.
pub const OVERFITTING_RULE: &str = "Overfitting is called only for a sustained rise: after its minimum, validation loss stays above it for at least 3 epochs, rises in trend (least-squares slope over those epochs > 0), and training loss falls meanwhile.";

/// A sustained rise of validation loss after its minimum ([`History::overfitting`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Overfitting {
    /// The epoch of the lowest validation loss.
    pub best_epoch: usize,
    /// The first epoch after it: where validation loss starts rising.
    pub from_epoch: usize,
    /// The last epoch with a validation loss.
    pub last_epoch: usize,
    /// Least-squares slope of validation loss per epoch, from `from_epoch` to `last_epoch`.
    pub slope: f64,
}

/// The least-squares slope of `y` over `x` (0 for fewer than two distinct `x`).
fn least_squares_slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let spread: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if spread > 0.0 {
        covariance / spread
    } else {
        0.0
    }
}

impl History {
    /// True when the epochs have validation figures.
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

    /// Whether validation loss overfits, by the one rule that the report's text and
    /// `evaluate`'s curves picture both apply ([`OVERFITTING_RULE`]): after its
    /// minimum, validation loss stays above it for at least
    /// [`OVERFITTING_MIN_EPOCHS`] epochs, its least-squares slope over those epochs is
    /// positive, and training loss at the last of them is below its value at the
    /// minimum. A one-epoch uptick (0.1778 → 0.1800 at the end) is noise, not a trend.
    pub fn overfitting(&self) -> Option<Overfitting> {
        let best = self.best_epoch().filter(|_| self.has_validation())?;
        let best_val = best.val_loss?;
        let after: Vec<&EpochRecord> =
            self.epochs.iter().filter(|r| r.epoch > best.epoch && r.val_loss.is_some()).collect();
        let last = *after.last()?;
        let points: Vec<(f64, f64)> =
            after.iter().filter_map(|r| Some((r.epoch as f64, r.val_loss?))).collect();
        let sustained = after.len() >= OVERFITTING_MIN_EPOCHS
            && points.iter().all(|&(_, v)| v > best_val)
            && least_squares_slope(&points) > 0.0
            && last.loss < best.loss;
        sustained.then(|| Overfitting {
            best_epoch: best.epoch,
            from_epoch: after[0].epoch,
            last_epoch: last.epoch,
            slope: least_squares_slope(&points),
        })
    }

    /// Total training time, over the epochs that recorded one.
    pub fn seconds(&self) -> f64 {
        self.epochs.iter().filter_map(|r| r.seconds).sum()
    }

    /// The history as CSV (`history.csv`, for `dvc plots` and spreadsheets): a header
    /// `epoch,seconds,loss,accuracy,val_loss,val_accuracy`, then one line per epoch
    /// (1-based), an empty field where a value is missing. The timing comes second so
    /// that a tool that plots the last column by default (`dvc plots show`) plots a
    /// figure of the model. Numbers are written in full (Rust's shortest round-trip form).
    pub fn to_csv(&self) -> String {
        let field = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut out = String::from("epoch,seconds,loss,accuracy,val_loss,val_accuracy\n");
        for r in &self.epochs {
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                r.epoch,
                field(r.seconds),
                r.loss,
                r.accuracy,
                field(r.val_loss),
                field(r.val_accuracy)
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
        let builder = crate::parquet_bounds::open_checked(path)?;
        let panicked = |message| Error::PanickedParquet { path: path.to_path_buf(), message };
        let mut reader = crate::guard::catch(|| builder.build())
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
            "epoch,seconds,loss,accuracy,val_loss,val_accuracy\n1,1.25,0.5,0.75,,\n2,,0.25,0.875,0.3,0.9\n"
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

    /// A history whose training loss falls by 0.1 an epoch, with these validation losses.
    fn with_val_losses(val: &[f64]) -> History {
        let epochs = val
            .iter()
            .enumerate()
            .map(|(i, &v)| record(i + 1, 2.0 - 0.1 * i as f64, Some(v)))
            .collect();
        History { epochs }
    }

    #[test]
    fn a_one_epoch_uptick_at_the_end_is_not_overfitting() {
        let h = with_val_losses(&[0.40, 0.25, 0.20, 0.1778, 0.1800]);
        assert_eq!(h.best_epoch().unwrap().epoch, 4);
        assert_eq!(h.overfitting(), None);
        // Two epochs above the minimum are not enough either.
        assert_eq!(with_val_losses(&[0.40, 0.1778, 0.1800, 0.1900]).overfitting(), None);
    }

    #[test]
    fn three_rising_epochs_above_the_minimum_are_overfitting() {
        let h = with_val_losses(&[0.40, 0.30, 0.1778, 0.1800, 0.1900, 0.2100]);
        let o = h.overfitting().unwrap();
        assert_eq!((o.best_epoch, o.from_epoch, o.last_epoch), (3, 4, 6));
        // Points (4, 0.18), (5, 0.19), (6, 0.21): slope 0.015 per epoch.
        assert!((o.slope - 0.015).abs() < 1e-12, "{}", o.slope);
    }

    #[test]
    fn a_rise_that_falls_back_or_with_rising_training_loss_is_not_overfitting() {
        // Above the minimum for 3 epochs, but falling back towards it: slope < 0.
        assert_eq!(with_val_losses(&[0.40, 0.17, 0.30, 0.25, 0.20]).overfitting(), None);
        // Back at the minimum (a tie) within the run: not above it for every epoch.
        assert_eq!(with_val_losses(&[0.40, 0.17, 0.18, 0.17, 0.19, 0.20]).overfitting(), None);
        // Training loss rises too: the run diverges, it does not overfit.
        let mut h = with_val_losses(&[0.40, 0.17, 0.18, 0.19, 0.20]);
        h.epochs.last_mut().unwrap().loss = 5.0;
        assert_eq!(h.overfitting(), None);
        // Without validation there is nothing to overfit.
        let h = History { epochs: (1..=6).map(|e| record(e, 1.0 / e as f64, None)).collect() };
        assert_eq!(h.overfitting(), None);
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
