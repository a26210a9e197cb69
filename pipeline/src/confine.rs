//! Keeping the make rules' writes inside the manifest's directory: `settings.out` and
//! `settings.report` are checked as written (no `..` out of it) and as the file
//! system resolves them (a symlink on the way must not lead out of it either).

use std::path::{Component, Path, PathBuf};

use crate::manifest::Manifest;

/// Why an output root was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfinementError {
    /// The manifest's own directory could not be made canonical.
    #[error("cannot resolve the manifest's directory {}: {error}", dir.display())]
    ManifestDir {
        /// The manifest's directory, as given (`.` for a bare file name).
        dir: PathBuf,
        /// Why `canonicalize` failed.
        error: std::io::Error,
    },
    /// The root, as written, is not strictly below the manifest's directory (`..`, `/`, the directory itself).
    #[error("{}: {key} = {value:?} leads outside the manifest's directory {}; outputs stay under it unless `pipeline make --outputs-anywhere`", manifest.display(), base.display())]
    Outside {
        /// The manifest file, as given.
        manifest: PathBuf,
        /// `settings.out` or `settings.report`.
        key: &'static str,
        /// The refused path, as written in the manifest.
        value: String,
        /// The manifest's directory, canonical.
        base: PathBuf,
    },
    /// The root is written inside, but a symbolic link on its way leads outside.
    #[error("{}: {key} = {value:?} resolves through a symbolic link to {}, outside the manifest's directory {}; outputs stay under it unless `pipeline make --outputs-anywhere`", manifest.display(), real.display(), base.display())]
    Symlinked {
        /// The manifest file, as given.
        manifest: PathBuf,
        /// `settings.out` or `settings.report`.
        key: &'static str,
        /// The refused path, as written in the manifest.
        value: String,
        /// Where the path really leads, every link resolved.
        real: PathBuf,
        /// The manifest's directory, canonical.
        base: PathBuf,
    },
    /// An entry on the root's way exists but cannot be resolved (a dangling link, a loop).
    #[error("{}: {key} = {value:?} cannot be resolved ({}: {error})", manifest.display(), at.display())]
    Unresolvable {
        /// The manifest file, as given.
        manifest: PathBuf,
        /// `settings.out` or `settings.report`.
        key: &'static str,
        /// The path, as written in the manifest.
        value: String,
        /// The entry that could not be resolved.
        at: PathBuf,
        /// Why resolving it failed.
        error: std::io::Error,
    },
}

/// The make rules write and replace files under `settings.out` and `settings.report`
/// only; both must lie inside the manifest's directory, so a manifest cannot point
/// them at `/` or `../../home`. Written relative (no `..`; read from the manifest's
/// directory) or absolute below it, and still below it once every symbolic link on
/// the way is resolved: an `out -> /elsewhere` link beside the manifest is refused.
pub fn check_output_roots(m: &Manifest, manifest_path: &Path) -> Result<(), ConfinementError> {
    let dir =
        manifest_path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let base = std::fs::canonicalize(dir)
        .map_err(|error| ConfinementError::ManifestDir { dir: dir.to_path_buf(), error })?;
    for (key, path) in [("settings.out", &m.settings.out), ("settings.report", &m.settings.report)]
    {
        let value = path.display().to_string();
        let written_inside = if path.is_absolute() {
            let normal = lexical(path);
            normal.starts_with(&base) && normal != base
        } else {
            let parts: Vec<Component> = path.components().collect();
            !parts.is_empty()
                && parts.iter().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
                && parts.iter().any(|c| matches!(c, Component::Normal(_)))
        };
        if !written_inside {
            return Err(ConfinementError::Outside {
                manifest: manifest_path.to_path_buf(),
                key,
                value,
                base,
            });
        }
        let real =
            resolve(&base.join(path)).map_err(|(at, error)| ConfinementError::Unresolvable {
                manifest: manifest_path.to_path_buf(),
                key,
                value: value.clone(),
                at,
                error,
            })?;
        if !real.starts_with(&base) || real == base {
            return Err(ConfinementError::Symlinked {
                manifest: manifest_path.to_path_buf(),
                key,
                value,
                real,
                base,
            });
        }
    }
    Ok(())
}

/// `path` with `.` dropped and each `..` taking back the component before it.
fn lexical(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal
}

/// Where an absolute `path` really is: its deepest existing ancestor with every
/// symbolic link resolved, then the components that do not exist yet. An entry that
/// exists but cannot be resolved (a dangling link, a loop) is an error, with the
/// entry.
fn resolve(path: &Path) -> Result<PathBuf, (PathBuf, std::io::Error)> {
    let mut existing = path.to_path_buf();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        match std::fs::canonicalize(&existing) {
            Ok(real) => {
                let mut full = real;
                for part in rest.iter().rev() {
                    full = lexical(&full.join(part));
                }
                return Ok(full);
            }
            Err(e) if existing.symlink_metadata().is_ok() => return Err((existing, e)),
            Err(e) => {
                let Some(name) = existing.file_name().map(|n| n.to_os_string()) else {
                    return Err((existing, e));
                };
                rest.push(name);
                if !existing.pop() {
                    return Err((path.to_path_buf(), e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_follows_links_and_keeps_what_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(base.join("real")).unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        assert_eq!(resolve(&base.join("link/a/b")).unwrap(), base.join("real/a/b"));
        assert_eq!(resolve(&base.join("new/x")).unwrap(), base.join("new/x"));
        std::os::unix::fs::symlink(base.join("nowhere"), base.join("dangling")).unwrap();
        assert_eq!(resolve(&base.join("dangling/x")).unwrap_err().0, base.join("dangling"));
    }
}
