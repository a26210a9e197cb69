//! The library's one error type: what kind of problem ([`ErrorKind`]), the sentence the
//! user sees, and the lower-level cause behind it.
//!
//! The cause is not repeated in the sentence but given by [`std::error::Error::source`],
//! so `{:#}` (as the binary prints it) is `sentence: cause: its cause` on one line, and
//! `{}` the sentence alone.

use std::fmt;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed lower-level cause.
type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, for a caller that reacts to it rather than prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A flag's or HOG parameter's value is outside its range, or two flags do not go together.
    Parameter,
    /// The input cannot be read as an image dataset, or a row's label is outside its classes.
    Input,
    /// The HOG cells and blocks do not fit the images (or the images have no pixels).
    Layout,
    /// An output (the feature dataset, a picture) cannot be made or written.
    Output,
}

/// Why a `features` run stopped before putting its output in place.
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

    /// A sentence of this crate over the error that caused it.
    pub(crate) fn because(
        kind: ErrorKind,
        message: impl Into<String>,
        source: impl Into<Cause>,
    ) -> Self {
        Error { kind, repr: Repr::Message { message: message.into(), source: Some(source.into()) } }
    }

    /// Another crate's error whose own sentence is the one to show.
    pub(crate) fn passed(kind: ErrorKind, error: impl Into<Cause>) -> Self {
        Error { kind, repr: Repr::Passed(error.into()) }
    }

    /// The input dataset refused by `formats` (unreadable, not Parquet, a bad column),
    /// as it says it.
    pub(crate) fn input(e: formats::Error) -> Self {
        Error::passed(ErrorKind::Input, e)
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

/// Puts this crate's sentence (and kind) in front of a lower-level error, or in place of
/// a missing value.
pub(crate) trait Context<T> {
    /// The value, or an error of `kind` saying `message()` (over the cause, if any).
    fn context(self, kind: ErrorKind, message: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Cause>> Context<T> for std::result::Result<T, E> {
    fn context(self, kind: ErrorKind, message: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::because(kind, message(), e))
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, kind: ErrorKind, message: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| Error::new(kind, message()))
    }
}

/// Returns an [`Error`] of `kind` with a formatted sentence: `fail!(Layout, "a cell of {ppc} pixels is larger")`.
macro_rules! fail {
    ($kind:ident, $($message:tt)+) => {
        return Err($crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($message)+)))
    };
}
pub(crate) use fail;

impl From<params::ParamError> for Error {
    /// A refused flag value says its stage sentence alone (the key is for manifests).
    fn from(e: params::ParamError) -> Self {
        Error::new(ErrorKind::Parameter, e.message)
    }
}

impl From<formats::Error> for Error {
    /// An output of `docs/formats.md` that could not be created or written: its own
    /// sentence names the file. (Reading the input goes through `Error::input`.)
    fn from(e: formats::Error) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}

impl From<formats::shard::ShardError> for Error {
    /// An `--out` directory that cannot take this shard's part, as `formats` says it.
    fn from(e: formats::shard::ShardError) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_display_is_the_sentence_then_its_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Err::<(), _>(io).context(ErrorKind::Output, || "cannot write p.png".into());
        let e = e.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Output);
        assert_eq!(e.to_string(), "cannot write p.png");
        assert_eq!(format!("{e:#}"), "cannot write p.png: no such file");
        // A sentence over one of this crate's errors keeps that error's causes.
        let outer = Error::because(ErrorKind::Output, "outer", e);
        assert_eq!(format!("{outer:#}"), "outer: cannot write p.png: no such file");
        let missing = None::<u8>.context(ErrorKind::Input, || "no value".into()).unwrap_err();
        assert_eq!(format!("{missing:#}"), "no value");
    }
}
