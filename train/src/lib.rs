//! `train` stage library: a small NN engine with Keras semantics (layers, losses,
//! optimizers, `fit`), the TOML model spec, and the outputs of a run (ONNX model,
//! history, summary). See docs/train.md.
//!
//! Layout: `engine/` (the batch tensor and the matrix products), `layers/` (one file per
//! layer: config, forward, backward, ONNX nodes, gradient check), `loss.rs`, `optim.rs`,
//! `model/` (a model from the spec's layer list), `fit.rs` (the training loop),
//! `early_stopping.rs`, `checkpoint.rs` and `fingerprint.rs` (resuming a killed run),
//! `spec.rs`, `data.rs`, `export.rs` (ONNX through `onnx`), `output.rs`,
//! `run.rs` (the CLI's work), `baseline.rs` (`--baseline logistic`), `profile.rs` (where
//! a run's time goes, `--profile`), `error.rs` (the one error type).
//!
//! Public: what the `train` binary and the tests (this crate's and `evaluate`'s) use —
//! the run entry points and what they return, the spec, and the baseline.
//!
//! ```
//! use train::{train_with_spec, ModelSpec, Tensor};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let data = testkit::feature_dataset(12, 4, &["a", "b", "c"], 1);
//! data.write(&dir.path().join("train.parquet"), None).unwrap();
//! let spec = ModelSpec::from_toml_str(r#"
//!     loss = "categorical_crossentropy"
//!     epochs = 3
//!     validation_split = 0.25
//!     layers = [{ type = "dense", units = 3, activation = "softmax" }]
//! "#).unwrap();
//! let out = dir.path().join("out");
//! let mut trained = train_with_spec(&spec, &dir.path().join("train.parquet"), None, &out, false).unwrap();
//! assert_eq!(trained.history.epochs.len(), 3);
//! assert!(trained.history.epochs.iter().all(|r| r.val_loss.is_some())); // 3 of the 12 rows
//! assert_eq!(trained.summary.total_params, 4 * 3 + 3);
//!
//! // The exported model.onnx computes what the engine computes.
//! let row = &data.features[..4];
//! let p = trained.model.predict(Tensor::new(vec![1, 4], row.to_vec())).data;
//! assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
//! let onnx = std::fs::read(out.join("model.onnx")).unwrap();
//! let (_, q) = runtime::run_model(&onnx, runtime::InputTensor::F32 { shape: &[1, 4], data: row }).unwrap();
//! assert!(p.iter().zip(&q).all(|(a, b)| (a - b).abs() < 1e-6), "{p:?} vs {q:?}");
//! ```

#![warn(missing_docs)]

pub mod baseline;
mod checkpoint;
mod data;
mod early_stopping;
mod engine;
mod error;
mod export;
mod fingerprint;
mod fit;
mod layers;
mod loss;
mod model;
mod optim;
mod output;
pub mod profile;
mod run;
pub mod spec;

pub use engine::tensor::Tensor;
/// The kernels' instruction set: which one runs, and `LAB_KERNELS` to force one.
pub mod kernels {
    pub use crate::engine::isa::{cpu_features, cpu_model, Isa, KernelsError, ENV};
}
pub use error::{Error, ErrorKind, Result};
pub use fit::{EpochRecord, History};
pub use model::Model;
pub use output::summary_text;
pub use run::{run, train_from, train_with_spec, RunOptions, Trained};
// The spec and its parts are the `params` crate's (shared with the pipeline manifest).
pub use params::ModelSpec;
