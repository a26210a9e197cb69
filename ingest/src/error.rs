//! The library's one error type: what kind of problem ([`ErrorKind`]), the sentence the
//! user sees, and the lower-level cause behind it (the machinery is
//! [`stage_error::define_error!`]'s: `{:#}`, as the binary prints it, is
//! `sentence: cause: its cause` on one line, and `{}` the sentence alone).

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

stage_error::define_error! {
    /// Why an `ingest` run stopped before putting its output in place.
    ErrorKind
}

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
    fn a_refused_class_name_is_a_classes_problem_and_says_its_sentence_alone() {
        let e = Error::from(params::ParamError::new("classes", "class name `` is empty"));
        assert_eq!(
            (e.kind(), e.to_string()),
            (ErrorKind::Classes, "class name `` is empty".into())
        );
        let e = Error::from(params::ParamError::new("rows", "--rows must be at least 1"));
        assert_eq!(e.kind(), ErrorKind::Parameter);
        assert_eq!(format!("{e:#}"), "--rows must be at least 1");
    }
}
