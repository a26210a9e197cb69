//! `train` stage library: a small NN engine with Keras semantics (layers, losses,
//! optimizers, `fit`), the TOML model spec, and the outputs of a run (ONNX model,
//! history, summary). See docs/train.md.
//!
//! Layout: `layers/` (one file per layer: forward, backward, gradient check),
//! `loss.rs`, `optim.rs`, `gemm.rs` (matrix products), `model.rs` (a model from the
//! spec's layer list), `fit.rs` (the training loop), `spec.rs`, `data.rs`,
//! `export.rs` (ONNX through `onnx`), `output.rs`, `run.rs` (the CLI's work).

pub mod baseline;
pub mod data;
pub mod export;
pub mod fit;
pub mod gemm;
pub mod offset_gemm;
pub mod layers;
pub mod loss;
pub mod model;
pub mod optim;
pub mod output;
pub mod run;
pub mod spec;
pub mod tensor;

pub use model::{InputKind, Model};
pub use run::{resolve_manifest_run, run, train_with_spec, ManifestRun, Trained};
pub use spec::ModelSpec;
