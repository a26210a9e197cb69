//! The library's one error type: what kind of problem ([`ErrorKind`]), the sentence the
//! user sees, and the lower-level cause behind it (the machinery is
//! [`stage_error::define_error!`]'s: `{:#}`, as the binary prints it, is
//! `sentence: cause: its cause` on one line, and `{}` the sentence alone).

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

stage_error::define_error! {
    /// Why a `features` run stopped before putting its output in place.
    ErrorKind
}

impl Error {
    /// The input dataset refused by `formats` (unreadable, not Parquet, a bad column),
    /// as it says it.
    pub(crate) fn input(e: formats::Error) -> Self {
        Error::passed(ErrorKind::Input, e)
    }
}

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
