//! Outputs appear under their final name only when complete.
//!
//! Every stage writes to a temporary sibling (`.NAME.tmp-PID`) and renames it
//! into place at the end; if the run fails or is killed, the target name never
//! holds a partial file. Dropping an uncommitted [`AtomicPath`] removes the
//! temporary file or directory.

use std::path::{Path, PathBuf};

use crate::error::{Error, IoAction, Result};

/// A temporary path beside `target`, renamed onto `target` by [`AtomicPath::commit`].
#[derive(Debug)]
pub struct AtomicPath {
    target: PathBuf,
    temp: PathBuf,
    committed: bool,
}

impl AtomicPath {
    /// Reserves a temporary sibling of `target`; creates `target`'s parent directory.
    pub fn new(target: &Path) -> Result<Self> {
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .map_err(Error::io(IoAction::CreateOutputDirectory, &parent))?;
        let name = target
            .file_name()
            .ok_or_else(|| Error::NoFileName { path: target.to_path_buf() })?
            .to_string_lossy()
            .into_owned();
        let temp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        remove_path(&temp);
        Ok(Self { target: target.to_path_buf(), temp, committed: false })
    }

    /// Where to write now.
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the finished temporary file or directory onto the target,
    /// replacing what was there.
    pub fn commit(mut self) -> Result<()> {
        if self.temp.is_dir() && self.target.exists() {
            // rename(2) cannot replace a non-empty directory.
            remove_path(&self.target);
        }
        std::fs::rename(&self.temp, &self.target).map_err(|source| Error::Move {
            from: self.temp.clone(),
            to: self.target.clone(),
            source,
        })?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicPath {
    fn drop(&mut self) {
        if !self.committed {
            remove_path(&self.temp);
        }
    }
}

fn remove_path(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

/// Writes `bytes` to `target` atomically.
pub fn write_bytes(target: &Path, bytes: &[u8]) -> Result<()> {
    let out = AtomicPath::new(target)?;
    std::fs::write(out.temp(), bytes).map_err(Error::io(IoAction::Write, out.temp()))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_output_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.parquet");
        {
            let out = AtomicPath::new(&target).unwrap();
            std::fs::write(out.temp(), b"partial").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn commit_replaces_file_and_directory() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("old"), b"x").unwrap();
        let out = AtomicPath::new(&target).unwrap();
        std::fs::create_dir(out.temp()).unwrap();
        std::fs::write(out.temp().join("new"), b"y").unwrap();
        out.commit().unwrap();
        assert!(target.join("new").exists());
        assert!(!target.join("old").exists());

        write_bytes(&dir.path().join("f.txt"), b"abc").unwrap();
        assert_eq!(std::fs::read(dir.path().join("f.txt")).unwrap(), b"abc");
    }
}
