//! The one error type of this library: what kind of problem, the sentence that says
//! it, and the cause underneath. Printed with `{:#}` through `anyhow` (as `pipeline`'s
//! `main` does), an error is its sentence followed by its causes, each after `: `.

use crate::confine::ConfinementError;
use crate::manifest::ManifestError;
use crate::spec_files::SpecFileError;

/// A cause kept under a pipeline sentence (an I/O error, a file's own refusal).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, for a caller that reacts to it rather than prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The manifest is refused: syntax, a key, a value, a reference.
    Manifest,
    /// An output root outside the manifest's directory, or a symlink out of it.
    Confinement,
    /// A parameter file under `OUT/specs` (or the fragment's name) cannot be written.
    SpecFile,
    /// The plan cannot be built or run as asked: a shard count, a node, a path make
    /// cannot write.
    Plan,
    /// A stage that `pipeline run` started failed, or could not start.
    Stage,
    /// A stage output the report reads is missing or unreadable.
    Input,
    /// The report cannot be written.
    Output,
}

/// Why a pipeline command failed. Its `Display` is one sentence; the cause, if any, is
/// [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A problem found by this crate.
    #[error("{message}")]
    Pipeline {
        /// What kind of problem.
        kind: ErrorKind,
        /// The sentence the user reads.
        message: String,
        /// What caused it, if anything did.
        #[source]
        source: Option<BoxError>,
    },
    /// The manifest's own refusal (`FILE line N: key: problem`).
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// An output root the manifest may not use.
    #[error(transparent)]
    Confinement(#[from] ConfinementError),
    /// A file of `docs/formats.md` refused by `formats`, or an atomic write that failed.
    #[error(transparent)]
    Format(#[from] formats::Error),
}

impl Error {
    /// An error of `kind` that says `message` and has no cause.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error::Pipeline { kind, message: message.into(), source: None }
    }

    /// An error of `kind` that says `message`, caused by `source`.
    pub fn because(
        kind: ErrorKind,
        message: impl Into<String>,
        source: impl Into<BoxError>,
    ) -> Self {
        Error::Pipeline { kind, message: message.into(), source: Some(source.into()) }
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Pipeline { kind, .. } => *kind,
            Error::Manifest(_) => ErrorKind::Manifest,
            Error::Confinement(_) => ErrorKind::Confinement,
            Error::Format(_) => ErrorKind::Output,
        }
    }

    /// A parameter file's refusal, after the manifest that asked for it.
    pub(crate) fn spec_file(manifest: &std::path::Path, e: SpecFileError) -> Self {
        Error::new(ErrorKind::SpecFile, format!("{}: {e}", manifest.display()))
    }
}

/// `bail!` with a kind: returns an [`Error`] of `ErrorKind::$kind` with the formatted sentence.
macro_rules! fail {
    ($kind:ident, $($sentence:tt)+) => {
        return Err($crate::error::Error::new($crate::error::ErrorKind::$kind, format!($($sentence)+)))
    };
}
pub(crate) use fail;

/// `anyhow::Context` with a kind: a sentence over the cause.
pub(crate) trait Context<T> {
    /// The value, or an error of `kind` saying `sentence()` over the cause.
    fn or_fail<S: Into<String>>(self, kind: ErrorKind, sentence: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<BoxError>> Context<T> for std::result::Result<T, E> {
    fn or_fail<S: Into<String>>(self, kind: ErrorKind, sentence: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| Error::because(kind, sentence(), e))
    }
}
