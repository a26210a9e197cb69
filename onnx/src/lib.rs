//! Building ONNX models of the lab's layers (Keras semantics) without `protoc` or Python.
//!
//! [`GraphBuilder`] is fed layers in Keras order and layout (NHWC images, kernels
//! `[kh, kw, c_in, c_out]`, dense kernels `[in, out]`) and writes a `ModelProto`
//! (IR version 8, opset 17) whose graph reproduces Keras's arithmetic:
//!
//! * image input `input: uint8 [N,H,W,C]` → `Cast(float)` → `Div(255)`;
//!   feature input `input: float32 [N,D]`;
//! * Conv2D / MaxPooling2D run in ONNX's NCHW layout: the builder inserts a
//!   `Transpose` to NCHW before the first of them and back to NHWC before a
//!   `Flatten` (so the flattened order is Keras's h, w, c and Dense weights line up),
//!   before a Dense on a 4-D tensor, and at the output;
//! * Keras `same` padding becomes explicit `pads` (`pad_total = max((ceil(in/s)−1)·s + k − in, 0)`,
//!   the odd pixel on the bottom/right, as TensorFlow does — also for even kernels);
//!   `valid` is no padding with the floor rule `out = ⌊(in − k)/s⌋ + 1`;
//! * Dense is `Gemm` on `[N,D]` (MatMul + Add on a 4-D tensor), activations are
//!   `Relu`, `Sigmoid`, `Tanh`, `Softmax` (last axis), linear is no node.
//!
//! The last tensor is named `probabilities`; `metadata_props` hold `classes` (JSON
//! list), `producer` and the caller's extra pairs. `docs/onnx.md` shows the graph
//! each layer becomes.
//!
//! Misuse (a kernel of the wrong length, a Conv2D on features, a window larger than
//! its input for `valid`) is recorded at the first faulty call and returned by
//! [`GraphBuilder::finish`], so callers keep a plain builder style.
//!
//! ```
//! use onnx::{read_metadata, Activation, GraphBuilder, OnnxError};
//!
//! // Two features → Dense(2) → softmax: a two-class classifier (kernel `[in, out]`).
//! let mut b = GraphBuilder::feature_input(2);
//! b.dense(&[1.0, -1.0, 0.5, 0.5], &[0.0, 0.1], 2, 2);
//! b.activation(Activation::Softmax);
//! let classes = ["cat".to_string(), "dog".to_string()];
//! let bytes = b.finish(&classes, &[("spec".into(), "units = 2".into())]).unwrap();
//!
//! let metadata = read_metadata(&bytes).unwrap();
//! assert_eq!(metadata[0], ("classes".to_string(), r#"["cat","dog"]"#.to_string()));
//! assert_eq!(metadata[1], ("spec".to_string(), "units = 2".to_string()));
//! assert_eq!(metadata[2].0, "producer"); // "lab-pipeline <version>" unless given
//! assert!(metadata[2].1.starts_with(onnx::PRODUCER));
//!
//! // Misuse surfaces at `finish`: three outputs per row for two classes.
//! let mut b = GraphBuilder::feature_input(2);
//! b.dense(&[0.0; 6], &[0.0; 3], 2, 3);
//! let err = b.finish(&classes, &[]).unwrap_err();
//! assert!(matches!(err, OnnxError::Build(_)));
//! assert_eq!(err.to_string(), "cannot build the ONNX graph: the model outputs 3 value(s) per row but there are 2 classes");
//! ```

#![warn(missing_docs)]

mod builder;
mod kernel;
pub mod proto;
mod readers;

pub use builder::{window_output, GraphBuilder};
pub use kernel::hwio_from_oihw;
pub use params::{Activation, Padding, Size2};
pub use readers::{read_initializers, read_metadata, Initializer};

/// Why a graph could not be built or a model not read: one sentence.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    /// A misuse recorded by the builder (a kernel of the wrong length, a window that does
    /// not fit, an output that does not match the classes, a metadata key given twice).
    #[error("cannot build the ONNX graph: {0}")]
    Build(String),
    /// Bytes that are not an ONNX `ModelProto`.
    #[error("not an ONNX model (the protobuf does not decode): {0}")]
    Decode(#[from] prost::DecodeError),
    /// A decoded model whose content this crate cannot use (e.g. a weight that is not float32).
    #[error("{0}")]
    Invalid(String),
}

/// `Result` with this crate's [`OnnxError`].
pub type Result<T, E = OnnxError> = std::result::Result<T, E>;

/// ONNX IR version written (ONNX Runtime 1.31 reads up to 13; 8 is ONNX 1.10+).
pub const IR_VERSION: i64 = 8;
/// Default-domain opset written.
pub const OPSET_VERSION: i64 = 17;
/// `producer_name` of the model and start of the `producer` metadata value.
pub const PRODUCER: &str = "lab-pipeline";
/// Name of the graph input.
pub const INPUT_NAME: &str = "input";
/// Name of the graph output.
pub const OUTPUT_NAME: &str = "probabilities";
/// Symbolic name of the dynamic batch dimension.
pub const BATCH_DIM: &str = "N";
