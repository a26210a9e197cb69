//! The one error type of this library: what kind of problem ([`ErrorKind`]), the
//! sentence that says it, and the cause underneath (the machinery is
//! [`stage_error::define_error!`]'s). Printed with `{:#}` through `anyhow` (as
//! `pipeline`'s `main` does), an error is its sentence followed by its causes, each
//! after `: `.

use crate::confine::ConfinementError;
use crate::manifest::ManifestError;
use crate::spec_files::SpecFileError;

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

stage_error::define_error! {
    /// Why a pipeline command failed. Its `Display` is one sentence; the cause, if any,
    /// is [`std::error::Error::source`].
    ErrorKind
}

impl Error {
    /// A parameter file's refusal, after the manifest that asked for it.
    pub(crate) fn spec_file(manifest: &std::path::Path, e: SpecFileError) -> Self {
        Error::new(ErrorKind::SpecFile, format!("{}: {e}", manifest.display()))
    }
}

impl From<ManifestError> for Error {
    /// The manifest's own refusal (`FILE line N: key: problem`).
    fn from(e: ManifestError) -> Self {
        Error::passed(ErrorKind::Manifest, e)
    }
}

impl From<ConfinementError> for Error {
    /// An output root the manifest may not use.
    fn from(e: ConfinementError) -> Self {
        Error::passed(ErrorKind::Confinement, e)
    }
}

impl From<formats::Error> for Error {
    /// A file of `docs/formats.md` refused by `formats`, or an atomic write that failed.
    fn from(e: formats::Error) -> Self {
        Error::passed(ErrorKind::Output, e)
    }
}
