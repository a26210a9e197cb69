//! The one error type of this library: what kind of problem ([`ErrorKind`]), the
//! sentence that says it, and the cause underneath (the machinery is
//! [`stage_error::define_error!`]'s). Printed with `{:#}` through `anyhow` (as
//! `evaluate`'s `main` does), an error is its sentence followed by its causes, each
//! after `: `.

/// What went wrong, for a caller that reacts to it rather than prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A flag's value outside its range (`--batch-size 0`, `--threshold 2`).
    Parameter,
    /// A flag that does not apply to this model (`--min-recall` on ten classes).
    NotApplicable,
    /// The model is missing or ONNX Runtime cannot load or run it.
    Model,
    /// The model and the dataset do not fit: input shape, classes, labels.
    Mismatch,
    /// The model's output is not class probabilities (logits, NaN, rows not summing to 1).
    NotProbabilities,
    /// A dataset, history, `metrics.json` or shard directory that cannot be read.
    Input,
    /// The shard directories given to `evaluate merge` are not one complete set.
    Shards,
    /// An output file that cannot be written or drawn.
    Output,
    /// A file of `docs/formats.md` that `formats` refused to read or write.
    Format,
    /// ONNX Runtime could not be found or loaded.
    Runtime,
}

stage_error::define_error! {
    /// Why an evaluation failed. Its `Display` is one sentence; the cause, if any, is
    /// [`std::error::Error::source`].
    ErrorKind
}

impl From<params::ParamError> for Error {
    /// A refused parameter says its stage sentence alone (the key is for manifests).
    fn from(e: params::ParamError) -> Self {
        Error::new(ErrorKind::Parameter, e.message)
    }
}

impl From<formats::Error> for Error {
    /// A dataset, history or output file refused by `formats`, as it says it.
    fn from(e: formats::Error) -> Self {
        Error::passed(ErrorKind::Format, e)
    }
}

impl From<runtime::Error> for Error {
    /// ONNX Runtime could not be loaded, as `runtime` says it.
    fn from(e: runtime::Error) -> Self {
        Error::passed(ErrorKind::Runtime, e)
    }
}

impl From<arrow::error::ArrowError> for Error {
    /// Building an output table or its columns failed (Arrow).
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}

impl From<polars::error::PolarsError> for Error {
    /// Building a comparison table failed (Polars).
    fn from(e: polars::error::PolarsError) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}

impl From<serde_json::Error> for Error {
    /// A JSON output could not be made.
    fn from(e: serde_json::Error) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}

impl From<ort::Error> for Error {
    /// ONNX Runtime refused an input tensor.
    fn from(e: ort::Error) -> Self {
        Error::passed(ErrorKind::Model, e)
    }
}
