//! `train` stage library: a small NN engine with Keras semantics (layers, losses,
//! optimizers, `fit`), the TOML model spec, and the outputs of a run (ONNX model,
//! history, summary). See docs/train.md.
//!
//! Layout: `engine/` (the batch tensor and the matrix products), `layers/` (one file per
//! layer: config, forward, backward, ONNX nodes, gradient check), `loss.rs`, `optim.rs`,
//! `model.rs` (a model from the spec's layer list), `fit.rs` (the training loop),
//! `spec.rs`, `data.rs`, `export.rs` (ONNX through `onnx`), `output.rs`,
//! `run.rs` (the CLI's work), `baseline.rs` (`--baseline logistic`).
//!
//! Public: what the `train` binary and the tests (this crate's and `evaluate`'s) use —
//! the run entry points and what they return, the spec, and the baseline.

pub mod baseline;
mod data;
mod engine;
mod export;
mod fit;
mod layers;
mod loss;
mod model;
mod optim;
mod output;
mod run;
mod spec;

pub use engine::tensor::Tensor;
pub use fit::{EpochRecord, History};
pub use model::{InputKind, Model};
pub use output::summary_text;
pub use run::{resolve_manifest_run, run, train_with_spec, ManifestRun, Trained};
// The spec and its parts are the `params` crate's (shared with the pipeline manifest).
pub use params::ModelSpec;
