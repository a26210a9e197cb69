//! Why ONNX Runtime could not be loaded or run a model: a kind, the library it
//! concerns, and one sentence.

use std::path::{Path, PathBuf};

/// What went wrong, for a caller that reacts to it rather than prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No library at `ORT_DYLIB_PATH` nor in a `.venv`.
    NotFound,
    /// The library found is older than the API version this build needs.
    TooOld,
    /// The library could not be loaded (not a shared object, missing symbols).
    Load,
    /// The library loaded but its environment could not be started.
    Start,
    /// A session could not be made or run, or its output read ([`crate::run_model`]).
    Run,
}

/// One sentence saying what failed, and how to install ONNX Runtime where that helps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    library: Option<PathBuf>,
    message: String,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, library: Option<&Path>, message: String) -> Self {
        Self { kind, library: library.map(Path::to_path_buf), message }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The library file concerned, when one was found.
    pub fn library(&self) -> Option<&Path> {
        self.library.as_deref()
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
