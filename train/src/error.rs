//! The library's one error type: what kind of problem ([`ErrorKind`]), the sentence the
//! user sees, and the lower-level cause behind it (the machinery is
//! [`stage_error::define_error!`]'s: `{:#}`, here or of the `anyhow::Error` the binary
//! makes of it, is `sentence: cause: its cause` on one line).

/// Which part of a run refused to go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The model spec file cannot be read or is not a valid spec.
    Spec,
    /// A dataset cannot be read, or its rows, classes or shapes do not fit the run.
    Data,
    /// The layers do not fit the data, each other or the loss.
    Model,
    /// The `--init-from` weights cannot be read, do not fit the layers, or are not finite.
    Weights,
    /// The model needs more memory than the limit allows.
    Memory,
    /// Training diverged: a loss or a weight became NaN or infinite.
    Diverged,
    /// linfa's logistic regression could not fit the baseline.
    Baseline,
    /// An output (model, history, summary, checkpoint) could not be written.
    Output,
}

stage_error::define_error! {
    /// Why a training run (or the baseline) stopped before writing its outputs.
    ErrorKind
}

impl From<formats::Error> for Error {
    /// A file of `docs/formats.md` that could not be written or read: its own sentence
    /// names the file.
    fn from(e: formats::Error) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}
