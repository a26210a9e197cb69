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
    /// A flag's value is outside its range, or two flags do not go together.
    Parameter,
    /// An input file or folder cannot be opened, listed or read.
    Read,
    /// An IDX file is not what its header says, or the images and labels do not match.
    Idx,
    /// The class names (`--classes` or the class folders) or the labels do not make a set of classes.
    Classes,
    /// `--root` is not a class-per-folder tree of regular files.
    Tree,
    /// An image file cannot be decoded, or declares more pixels than accepted.
    Image,
    /// An output cannot be written, or `--out` holds something that is not replaced.
    Output,
}

/// Why an `ingest` run stopped before putting its output in place.
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

/// Returns an [`Error`] of `kind` with a formatted sentence: `fail!(Idx, "{name} is too short")`.
macro_rules! fail {
    ($kind:ident, $($message:tt)+) => {
        return Err($crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($message)+)))
    };
}
pub(crate) use fail;

impl From<params::ParamError> for Error {
    /// A refused flag value says its stage sentence alone (the key is for manifests);
    /// a refused class name is a [`ErrorKind::Classes`] problem, as from a class folder.
    fn from(e: params::ParamError) -> Self {
        let kind = if e.key == "classes" { ErrorKind::Classes } else { ErrorKind::Parameter };
        Error::new(kind, e.message)
    }
}

impl From<formats::Error> for Error {
    /// An output of `docs/formats.md` that could not be created or written: its own
    /// sentence names the file.
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

impl From<arrow::error::ArrowError> for Error {
    /// A record batch of the output that Arrow refused to build.
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_display_is_the_sentence_then_its_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = Err::<(), _>(io).context(ErrorKind::Read, || "cannot list root".into());
        let e = e.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Read);
        assert_eq!(e.to_string(), "cannot list root");
        assert_eq!(format!("{e:#}"), "cannot list root: no such file");
        // A sentence over one of this crate's errors keeps that error's causes.
        let outer = Error::because(ErrorKind::Read, "outer", e);
        assert_eq!(format!("{outer:#}"), "outer: cannot list root: no such file");
        let missing = None::<u8>.context(ErrorKind::Idx, || "no value".into()).unwrap_err();
        assert_eq!(format!("{missing:#}"), "no value");
    }
}
