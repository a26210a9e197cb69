//! The one error type of this crate: which file, and what is wrong with it.
//!
//! Every variant names the path it is about (a dataset, one of its part files, an
//! output, `history.parquet`, `metrics.json`), except the few misuses that involve
//! no file. The message is one sentence naming the file; the low-level cause (the
//! operating system's, Parquet's, Arrow's or serde_json's error) is not repeated in
//! it but given by [`std::error::Error::source`], so `anyhow`'s `{:#}` in a stage's
//! `main` prints `file and problem: cause` on one line.

use std::fmt;
use std::path::PathBuf;

use arrow::error::ArrowError;
use parquet::errors::ParquetError;

/// A boxed lower-level cause, for the variants whose cause may be of several kinds.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a file of `docs/formats.md` could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation on `path` failed (open, read, list, create, write).
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done.
        action: IoAction,
        /// The file or directory.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A finished temporary output could not be renamed onto its target.
    #[error("cannot move {} into place as {}", from.display(), to.display())]
    Move {
        /// The temporary.
        from: PathBuf,
        /// The final name.
        to: PathBuf,
        /// The system's reason.
        #[source]
        source: std::io::Error,
    },
    /// An output path that ends in `..` or `/`.
    #[error("output path {} has no file name", path.display())]
    NoFileName {
        /// The path.
        path: PathBuf,
    },
    /// A dataset directory without a single (non-hidden) `*.parquet` file.
    #[error("dataset directory {} holds no .parquet files", path.display())]
    NoParts {
        /// The directory.
        path: PathBuf,
    },
    /// The file's footer or metadata does not decode: not Parquet at all, or truncated.
    #[error("{} is not a readable Parquet file", path.display())]
    NotParquet {
        /// The file.
        path: PathBuf,
        /// The parquet crate's reason.
        #[source]
        source: ParquetError,
    },
    /// A Parquet file on which the parquet crate panicked (caught at the file boundary).
    #[error("{}: corrupt Parquet ({message})", path.display())]
    PanickedParquet {
        /// The file.
        path: PathBuf,
        /// The panic's message.
        message: String,
    },
    /// A Parquet file whose footer reads but whose data does not decode.
    #[error("cannot read {}", path.display())]
    CorruptParquet {
        /// The dataset.
        path: PathBuf,
        /// Arrow's reason.
        #[source]
        source: ArrowError,
    },
    /// Parquet could not encode or write an output file.
    #[error("cannot write {}", path.display())]
    WriteParquet {
        /// The file.
        path: PathBuf,
        /// The parquet crate's reason.
        #[source]
        source: ParquetError,
    },
    /// An output directory that holds something other than this kind of output: it is
    /// not replaced (it may hold a user's files).
    #[error("{} exists and is not an output of this kind (it holds other files); not replacing it: choose another output or empty it", path.display())]
    Foreign {
        /// The existing directory.
        path: PathBuf,
    },
    /// The part files of a dataset directory disagree on the schema or its metadata.
    #[error("dataset {}: part {} has a different schema or metadata from {}", dataset.display(), part.display(), first.display())]
    PartSchema {
        /// The dataset directory.
        dataset: PathBuf,
        /// The part that differs.
        part: PathBuf,
        /// The first part, whose schema the others must have.
        first: PathBuf,
    },
    /// Wrong schema, metadata or content: a missing or mistyped column, a metadata key
    /// missing or not a number, missing values, an epoch that is not a whole number.
    /// `message` is the whole sentence (it names `path`).
    #[error("{message}")]
    Schema {
        /// The dataset.
        path: PathBuf,
        /// The sentence.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Cause>,
    },
    /// JSON that does not parse or does not hold what is expected: `metrics.json`,
    /// `summary.json`, or the `classes` / `features` metadata of a dataset. `message`
    /// names `path`.
    #[error("{message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The sentence.
        message: String,
        /// serde_json's reason.
        #[source]
        source: serde_json::Error,
    },
    /// A shard's output directory is a single-file dataset of an unsharded run.
    #[error("{} is a single-file dataset; a shard (--shard) writes part files into a directory there: remove it or write elsewhere", path.display())]
    ShardOverFile {
        /// The existing file.
        path: PathBuf,
    },
    /// `--shard` with `--rows-per-file`: a shard writes exactly one part.
    #[error("--shard writes one part file per shard; it cannot be combined with --rows-per-file")]
    ShardWithRowsPerFile,
    /// `rows_per_file` of `Some(0)` (the `--rows-per-file` option of the stages).
    #[error("--rows-per-file must be at least 1")]
    ZeroRowsPerFile,
    /// A batch given to [`crate::DatasetWriter::write`] whose columns differ from the
    /// dataset's (a bug in the caller).
    #[error("internal error: batch schema differs from the dataset schema")]
    BatchSchema {
        /// The dataset being written.
        path: PathBuf,
    },
    /// Feature values whose count is not rows × dimension (a bug in the caller).
    #[error("{values} values for {rows} rows of dimension {dim}")]
    FeatureValues {
        /// Values given.
        values: usize,
        /// Rows given.
        rows: usize,
        /// Values per row expected.
        dim: usize,
    },
    /// Arrow refused to build a record batch in memory (no file involved).
    #[error(transparent)]
    Arrow(#[from] ArrowError),
}

/// What was being done to a path when the operating system said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IoAction {
    /// Opening a file to read it.
    Open,
    /// Reading a whole file.
    Read,
    /// Looking up a dataset path (file or directory).
    ReadDataset,
    /// Listing a dataset directory's part files.
    ListDataset,
    /// Creating the directory an output goes in.
    CreateOutputDirectory,
    /// Creating a file or directory.
    Create,
    /// Writing a file.
    Write,
}

impl fmt::Display for IoAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoAction::Open => "open",
            IoAction::Read => "read",
            IoAction::ReadDataset => "read dataset",
            IoAction::ListDataset => "list dataset directory",
            IoAction::CreateOutputDirectory => "create output directory",
            IoAction::Create => "create",
            IoAction::Write => "write",
        })
    }
}

impl Error {
    /// The file or directory the error is about, when there is one (the target for
    /// [`Error::Move`], the dataset for [`Error::PartSchema`]).
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Io { path, .. }
            | Error::NoFileName { path }
            | Error::NoParts { path }
            | Error::Foreign { path }
            | Error::NotParquet { path, .. }
            | Error::CorruptParquet { path, .. }
            | Error::PanickedParquet { path, .. }
            | Error::WriteParquet { path, .. }
            | Error::Schema { path, .. }
            | Error::Json { path, .. }
            | Error::BatchSchema { path } => Some(path),
            Error::Move { to, .. } => Some(to),
            Error::PartSchema { dataset, .. } => Some(dataset),
            Error::ShardOverFile { path } => Some(path),
            Error::ZeroRowsPerFile
            | Error::ShardWithRowsPerFile
            | Error::FeatureValues { .. }
            | Error::Arrow(_) => None,
        }
    }

    pub(crate) fn io(
        action: IoAction,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }

    /// A schema, metadata or content problem without a lower-level cause.
    pub(crate) fn schema(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Schema { path: path.into(), message: message.into(), source: None }
    }

    /// A schema, metadata or content problem caused by `source`.
    pub(crate) fn schema_because(
        path: impl Into<PathBuf>,
        message: impl Into<String>,
        source: impl Into<Cause>,
    ) -> Error {
        Error::Schema { path: path.into(), message: message.into(), source: Some(source.into()) }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_file_and_the_cause_is_the_source() {
        let e = Error::io(IoAction::ReadDataset, "data/x.parquet")(std::io::Error::from(
            std::io::ErrorKind::NotFound,
        ));
        assert_eq!(e.to_string(), "cannot read dataset data/x.parquet");
        assert_eq!(e.path(), Some(std::path::Path::new("data/x.parquet")));
        assert!(std::error::Error::source(&e).is_some());
        let e = Error::schema("h.parquet", "h.parquet has no epochs");
        assert_eq!(e.to_string(), "h.parquet has no epochs");
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn is_send_sync_and_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }
}
