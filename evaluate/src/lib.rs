//! `evaluate`: runs any ONNX classifier over a dataset through ONNX Runtime and
//! writes the lab's metrics, tables and pictures (`docs/evaluate.md`).
//!
//! [`score`] runs the model and checks its output, [`finish`] computes the figures,
//! [`write_outputs`] writes them; [`shard`] splits the first over machines.
//!
//! [`evaluate`] does all the work that can fail (loading the runtime, matching the
//! model to the dataset, inference, metrics, reading the history) before
//! [`write_outputs`] writes anything, so bad input leaves no partial output.
//!
//! The figures come from [`metrics`], which needs no model:
//!
//! ```
//! use evaluate::metrics::{accuracy, argmax_rows, confusion_matrix, log_loss, macro_average, per_class, roc_auc};
//!
//! // Three classes, five samples: one row of probabilities per sample.
//! let labels = [0, 0, 1, 2, 2];
//! let probabilities = [0.8, 0.1, 0.1, /* 0 taken for 1: */ 0.4, 0.5, 0.1, 0.2, 0.7, 0.1, 0.1, 0.1, 0.8, 0.25, 0.25, 0.5];
//! let predicted = argmax_rows(&probabilities, 3);
//! assert_eq!(predicted, [0, 1, 1, 2, 2]);
//! let confusion = confusion_matrix(&labels, &predicted, 3);
//! assert_eq!(confusion, [[1, 1, 0], [0, 1, 0], [0, 0, 2]]); // confusion[true][predicted]
//! assert_eq!(accuracy(&confusion), 0.8);
//!
//! let classes = per_class(&confusion, &["cat", "dog", "fox"].map(String::from));
//! // "dog": 1 right of the 2 predicted, its 1 sample found.
//! assert_eq!((classes[1].scores.precision, classes[1].scores.recall, classes[1].support), (0.5, 1.0, 1));
//! assert!((macro_average(&classes).recall - (0.5 + 1.0 + 1.0) / 3.0).abs() < 1e-12);
//! // Log-loss: −mean ln p(true class).
//! let want = -[0.8f64, 0.4, 0.7, 0.8, 0.5].iter().map(|p| p.ln()).sum::<f64>() / 5.0;
//! assert!((log_loss(&labels, &probabilities, 3) - want).abs() < 1e-6);
//! // ROC AUC: the share of (positive, negative) pairs scored in the right order (3 of 4).
//! assert_eq!(roc_auc(&[true, false, true, false], &[0.9, 0.8, 0.3, 0.1]), 0.75);
//! ```

#![warn(missing_docs)]

mod classes;
pub mod compare;
pub mod error;
mod figures;
pub mod metrics;
pub mod model;
mod outputs;
pub mod plots;
mod probabilities;
mod score;
pub mod shard;
mod summary;
pub mod tables;

pub use error::{Error, ErrorKind, Result};
pub use figures::{finish, predict_classes, Evaluation};
pub use formats::metrics::Metrics;
pub use outputs::{write_outputs, write_predictions, OUTPUTS};
pub use probabilities::{check_probabilities, PROBABILITY_TOLERANCE, SUM_TOLERANCE};
pub use score::{score, EvalOptions, RunInfo, Scored, MAX_SCALE};
pub use summary::summary;

/// Runs the model over the dataset and computes every figure; writes nothing.
pub fn evaluate(opts: &EvalOptions) -> Result<Evaluation> {
    finish(score(opts)?)
}
