//! The library's one error type: what kind of problem ([`ErrorKind`]), the sentence the
//! user sees, and the lower-level cause behind it.
//!
//! Like globset's `Error`, a kind to match on and the context to show; like candle's,
//! a [`Context`] extension that puts a sentence in front of a lower-level error. The
//! cause is not repeated in the sentence but given by [`std::error::Error::source`], so
//! `{:#}` (here, or of the `anyhow::Error` the binary makes of it) prints
//! `sentence: cause: its cause` on one line.

use std::fmt;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed lower-level cause.
type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

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

/// Why a training run (or the baseline) stopped before writing its outputs.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    repr: Repr,
}

#[derive(Debug)]
enum Repr {
    /// A sentence of this crate, with the error that caused it, if any.
    Message { message: String, source: Option<Cause> },
    /// Another crate's error passed on as it is (its sentence is already the user's).
    Passed(Cause),
}

impl Error {
    /// A problem this crate found, said in one sentence.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, repr: Repr::Message { message: message.into(), source: None } }
    }

    /// Another crate's error whose own sentence is the one to show.
    pub(crate) fn passed(kind: ErrorKind, error: impl Into<Cause>) -> Self {
        Error { kind, repr: Repr::Passed(error.into()) }
    }

    /// What kind of problem it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    /// The sentence; with `{:#}`, followed by each cause (`sentence: cause: …`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Message { message, .. } => f.write_str(message)?,
            Repr::Passed(e) => write!(f, "{e}")?,
        }
        if f.alternate() {
            let mut cause = std::error::Error::source(self);
            while let Some(e) = cause {
                write!(f, ": {e}")?;
                cause = e.source();
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.repr {
            Repr::Message { source, .. } => source.as_deref().map(|e| e as _),
            Repr::Passed(e) => e.source(),
        }
    }
}

/// Puts this crate's sentence (and kind) in front of a lower-level error.
pub(crate) trait Context<T> {
    /// The error becomes the cause of `message()`.
    fn context(self, kind: ErrorKind, message: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Cause>> Context<T> for std::result::Result<T, E> {
    fn context(self, kind: ErrorKind, message: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error {
            kind,
            repr: Repr::Message { message: message(), source: Some(e.into()) },
        })
    }
}

/// Returns an [`Error`] of `kind` with a formatted sentence: `fail!(Data, "{what} has no rows")`.
macro_rules! fail {
    ($kind:ident, $($message:tt)+) => {
        return Err($crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($message)+)))
    };
}
pub(crate) use fail;

impl From<formats::Error> for Error {
    /// A file of `docs/formats.md` that could not be written or read: its own sentence
    /// names the file.
    fn from(e: formats::Error) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_display_is_the_sentence_then_its_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e =
            Err::<(), _>(io).context(ErrorKind::Spec, || "cannot read model spec m.toml".into());
        let e = e.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Spec);
        assert_eq!(e.to_string(), "cannot read model spec m.toml");
        assert_eq!(format!("{e:#}"), "cannot read model spec m.toml: no such file");
        let via_anyhow = anyhow::Error::from(e);
        assert_eq!(format!("{via_anyhow:#}"), "cannot read model spec m.toml: no such file");
    }
}
