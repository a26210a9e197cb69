//! The one error type of this library: what kind of problem, the sentence that says
//! it, and the cause underneath.
//!
//! Printed with `{:#}` through `anyhow` (as `evaluate`'s `main` does), an error is its
//! sentence followed by its causes, each after `: `.

/// A cause kept under an evaluate sentence (an I/O error, an inner check's sentence).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

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

/// Why an evaluation failed. Its `Display` is one sentence; the cause, if any, is
/// [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A problem found by this crate.
    #[error("{message}")]
    Evaluate {
        /// What kind of problem.
        kind: ErrorKind,
        /// The sentence the user reads.
        message: String,
        /// What caused it, if anything did.
        #[source]
        source: Option<BoxError>,
    },
    /// A dataset, history or output file refused by `formats`, as it says it.
    #[error(transparent)]
    Format(#[from] formats::Error),
    /// ONNX Runtime could not be loaded, as `runtime` says it.
    #[error(transparent)]
    Runtime(#[from] runtime::Error),
    /// Building an output table or its columns failed (Arrow).
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
    /// Building a comparison table failed (Polars).
    #[error(transparent)]
    Polars(#[from] polars::error::PolarsError),
    /// A JSON output could not be made.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// ONNX Runtime refused an input tensor.
    #[error(transparent)]
    Ort(#[from] ort::Error),
}

impl Error {
    /// An error of `kind` that says `message` and has no cause.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error::Evaluate { kind, message: message.into(), source: None }
    }

    /// An error of `kind` that says `message`, caused by `source`.
    pub fn because(
        kind: ErrorKind,
        message: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Evaluate { kind, message: message.into(), source: Some(source.into()) }
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Evaluate { kind, .. } => *kind,
            Error::Format(_) => ErrorKind::Format,
            Error::Runtime(_) => ErrorKind::Runtime,
            Error::Arrow(_) | Error::Polars(_) | Error::Json(_) => ErrorKind::Output,
            Error::Ort(_) => ErrorKind::Model,
        }
    }
}

impl From<params::ParamError> for Error {
    /// A refused parameter says its stage sentence alone (the key is for manifests).
    fn from(e: params::ParamError) -> Self {
        Error::new(ErrorKind::Parameter, e.message)
    }
}

/// `bail!` with a kind: returns an [`Error`] of `ErrorKind::$kind` with the formatted sentence.
macro_rules! fail {
    ($kind:ident, $($sentence:tt)+) => {
        return Err($crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($sentence)+)))
    };
}
pub(crate) use fail;

/// `anyhow::Context` with a kind: a sentence for a missing value or over a cause.
pub(crate) trait Context<T> {
    /// The value, or an error of `kind` saying `sentence()` (over the cause, if any).
    fn or_fail<S: Into<String>>(self, kind: ErrorKind, sentence: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<BoxError>> Context<T> for std::result::Result<T, E> {
    fn or_fail<S: Into<String>>(self, kind: ErrorKind, sentence: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| Error::because(kind, sentence(), e))
    }
}

impl<T> Context<T> for Option<T> {
    fn or_fail<S: Into<String>>(self, kind: ErrorKind, sentence: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| Error::new(kind, sentence()))
    }
}
