//! Pictures copied into the report: regular files only, never through a link.

use std::path::{Path, PathBuf};

use crate::manifest::Manifest;

/// Why a picture could not be copied into the report.
#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("{} is not a regular file (a symbolic link, a directory or a device); the report copies only regular files", path.display())]
    NotRegular { path: PathBuf },
    #[error("{} was replaced while the report copied it", path.display())]
    Replaced { path: PathBuf },
    #[error("cannot copy the picture {} into the report: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
}

impl From<PictureError> for crate::Error {
    /// A picture that cannot be copied says so in its own sentence.
    fn from(e: PictureError) -> Self {
        crate::Error::new(crate::ErrorKind::Input, e.to_string())
    }
}

/// Copies `src` to the new file `dst` if `src` is a regular file, never through a
/// symbolic link: the file opened must be the one `symlink_metadata` saw (same
/// device and inode), so a link swapped in between is caught too. `Ok(false)` when
/// `src` does not exist. A picture shown twice (a feature set read by two
/// experiments) is copied once: `dst`, in the report's own staging directory, is
/// then already this report's copy.
pub(super) fn copy_regular_file(src: &Path, dst: &Path) -> Result<bool, PictureError> {
    use std::os::unix::fs::MetadataExt;
    let io = |error| PictureError::Io { path: src.to_path_buf(), error };
    let seen = match std::fs::symlink_metadata(src) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io(e)),
    };
    if !seen.file_type().is_file() {
        return Err(PictureError::NotRegular { path: src.to_path_buf() });
    }
    let mut from = std::fs::File::open(src).map_err(io)?;
    let opened = from.metadata().map_err(io)?;
    if (opened.dev(), opened.ino()) != (seen.dev(), seen.ino()) || !opened.is_file() {
        return Err(PictureError::Replaced { path: src.to_path_buf() });
    }
    if std::fs::symlink_metadata(dst).is_ok_and(|m| m.is_file()) {
        return Ok(true);
    }
    let mut to = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)
        .map_err(|error| PictureError::Io { path: dst.to_path_buf(), error })?;
    std::io::copy(&mut from, &mut to).map_err(io)?;
    Ok(true)
}

/// Copies `OUT/runs/RUN/eval/NAME` to `IMG/RUN-NAME`; returns the link relative to
/// the report, or `None` when the picture does not exist.
pub(super) fn copy_picture(
    m: &Manifest,
    run: &str,
    name: &str,
    report_tmp: &Path,
) -> Result<Option<String>, PictureError> {
    let src = m.run_eval_dir(run).join(name);
    let rel = format!("img/{run}-{name}");
    Ok(copy_regular_file(&src, &report_tmp.join(&rel))?.then_some(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_shown_twice_is_copied_once_and_a_link_never() {
        let dir = tempfile::tempdir().unwrap();
        let (src, dst) = (dir.path().join("hog-00000.png"), dir.path().join("img-hog.png"));
        std::fs::write(&src, b"png").unwrap();
        // Two experiments read one feature set: its pictures come up twice.
        assert!(copy_regular_file(&src, &dst).unwrap());
        assert!(copy_regular_file(&src, &dst).unwrap());
        assert_eq!(std::fs::read(&dst).unwrap(), b"png");
        assert!(!copy_regular_file(&dir.path().join("none.png"), &dst).unwrap());
        let link = dir.path().join("link.png");
        std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
        let other = dir.path().join("img-link.png");
        assert!(matches!(copy_regular_file(&link, &other), Err(PictureError::NotRegular { .. })));
        assert!(!other.exists());
    }
}
