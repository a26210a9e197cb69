//! Writing the parameter files under `OUT/specs`: each is rewritten only when its
//! content changes (so make's dates work), atomically (`formats::atomic`). Every name is checked before the first file is written, and a write
//! that fails puts back what it had changed, so a refused set leaves nothing new.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A parameter file and the content it must have.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecFile {
    /// Where it goes, under `OUT/specs`.
    pub path: PathBuf,
    /// Its whole text; the file is rewritten only when this differs.
    pub content: String,
}

/// The longest file name most file systems take (`NAME_MAX`), in bytes.
pub const NAME_MAX: usize = 255;

/// What a temporary name adds to the file's name in `formats::atomic`: `.` before it
/// and `.tmp-PID-RANDOM` after it (a PID of up to 7 digits, 16 hex digits).
pub const TEMP_NAME_EXTRA: usize = 1 + ".tmp-".len() + 7 + 1 + 16;

/// The longest name of a file the pipeline writes: its temporary keeps the whole name
/// (`formats::atomic` shortens the temporaries of longer names, with a hash).
pub const MAX_FILE_NAME: usize = NAME_MAX - TEMP_NAME_EXTRA;

/// Why the parameter files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SpecFileError {
    /// A file name longer than [`MAX_FILE_NAME`] bytes.
    #[error("the file name of {} is {len} bytes, longer than the {MAX_FILE_NAME} a written file may have (255 with its temporary name); shorten the names in the manifest", path.display())]
    NameTooLong {
        /// The file refused.
        path: PathBuf,
        /// Its file name's length, in bytes.
        len: usize,
    },
    /// A path that ends without a file name (`..`, `/`).
    #[error("{} has no file name", path.display())]
    NoFileName {
        /// The path refused.
        path: PathBuf,
    },
    /// Writing a file failed (what had changed was put back).
    #[error("cannot write the parameter file {}: {error}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// Why writing failed.
        error: std::io::Error,
    },
    /// Creating a file's directory failed.
    #[error("cannot create the directory {}: {error}", path.display())]
    CreateDir {
        /// The directory being created.
        path: PathBuf,
        /// Why creating it failed.
        error: std::io::Error,
    },
}

/// Refuses a path whose file name, with a temporary name's prefix and suffix, would
/// not fit the file system.
pub fn check_file_name(path: &Path) -> Result<(), SpecFileError> {
    let name = path.file_name().ok_or_else(|| SpecFileError::NoFileName { path: path.into() })?;
    let len = name.len();
    if len > MAX_FILE_NAME {
        return Err(SpecFileError::NameTooLong { path: path.into(), len });
    }
    Ok(())
}

/// Writes each spec file whose content differs from what is on disk; returns how
/// many were (re)written. Unchanged files keep their date. All names are checked
/// first; if a write fails, the files written so far get their old content back (or
/// are removed) and directories this call created are removed.
pub fn write_spec_files(spec_files: &[SpecFile]) -> Result<usize, SpecFileError> {
    for f in spec_files {
        check_file_name(&f.path)?;
    }
    // What changes, with the content it had (None: a new file).
    let changed: Vec<(&SpecFile, Option<Vec<u8>>)> = spec_files
        .iter()
        .filter_map(|f| {
            let old = std::fs::read(&f.path).ok();
            (old.as_deref() != Some(f.content.as_bytes())).then_some((f, old))
        })
        .collect();
    let mut undo = Undo::default();
    match write_changed(&changed, &mut undo) {
        Ok(()) => Ok(changed.len()),
        Err(e) => {
            undo.run();
            Err(e)
        }
    }
}

/// What a failed write must put back.
#[derive(Default)]
struct Undo {
    /// Files written, with their old content (None: remove).
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
    /// Directories created, parents first.
    dirs: Vec<PathBuf>,
}

impl Undo {
    fn run(self) {
        for (path, old) in self.files.into_iter().rev() {
            match old {
                Some(bytes) => {
                    let _ = replace_file(&path, &bytes);
                }
                None => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        for dir in self.dirs.into_iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

fn write_changed(
    changed: &[(&SpecFile, Option<Vec<u8>>)],
    undo: &mut Undo,
) -> Result<(), SpecFileError> {
    let parents: BTreeSet<PathBuf> = changed.iter().map(|(f, _)| parent_of(&f.path)).collect();
    for dir in &parents {
        create_dirs(dir, undo)?;
        // Once per directory: a scan per file would make n files cost n².
        formats::atomic::remove_stale_temps(dir);
    }
    for (f, old) in changed {
        replace_file(&f.path, f.content.as_bytes())
            .map_err(|error| SpecFileError::Write { path: f.path.clone(), error })?;
        undo.files.push((f.path.clone(), old.clone()));
    }
    Ok(())
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `mkdir -p dir`, remembering each directory it made.
fn create_dirs(dir: &Path, undo: &mut Undo) -> Result<(), SpecFileError> {
    let missing: Vec<&Path> =
        dir.ancestors().take_while(|d| !d.as_os_str().is_empty() && !d.exists()).collect();
    for d in missing.into_iter().rev() {
        match std::fs::create_dir(d) {
            Ok(()) => undo.dirs.push(d.to_path_buf()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {}
            Err(error) => return Err(SpecFileError::CreateDir { path: d.to_path_buf(), error }),
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (`formats::atomic`: a temporary sibling
/// created exclusively, never through a symlink, renamed into place); the directory
/// was cleared of stale temporaries once, before.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    formats::atomic::write_bytes_unscanned(path, bytes).map_err(|e| {
        let cause = std::error::Error::source(&e).map(|s| s.to_string());
        std::io::Error::other(cause.unwrap_or_else(|| e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_name_fits_with_its_temporary_name() {
        let longest = format!(".{}.tmp-{}-{:016x}", "a".repeat(MAX_FILE_NAME), 4_194_304, u64::MAX);
        assert_eq!(longest.len(), NAME_MAX);
    }

    #[test]
    fn a_refused_name_leaves_nothing_and_a_failed_write_is_undone() {
        let dir = tempfile::tempdir().unwrap();
        let specs = dir.path().join("out/specs");
        let file = |name: &str, content: &str| SpecFile {
            path: specs.join(name),
            content: content.into(),
        };
        let long = format!("{}.toml", "r".repeat(MAX_FILE_NAME));
        let e = write_spec_files(&[file("a.cmd", "a\n"), file(&long, "x\n")]).unwrap_err();
        assert!(matches!(e, SpecFileError::NameTooLong { .. }), "{e}");
        assert!(
            !dir.path().join("out").exists(),
            "nothing is written before the names are checked"
        );

        assert_eq!(write_spec_files(&[file("a.cmd", "a\n")]).unwrap(), 1);
        // A directory where a file must go: the write fails after `a.cmd` changed.
        std::fs::create_dir(specs.join("b.cmd")).unwrap();
        std::fs::write(specs.join("b.cmd/x"), "x").unwrap();
        assert!(write_spec_files(&[
            file("a.cmd", "changed\n"),
            file("b.cmd", "b\n"),
            file("c.cmd", "c\n")
        ])
        .is_err());
        assert_eq!(std::fs::read_to_string(specs.join("a.cmd")).unwrap(), "a\n");
        assert!(!specs.join("c.cmd").exists());
        let names: Vec<_> =
            std::fs::read_dir(&specs).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary left: {names:?}");
    }
}
