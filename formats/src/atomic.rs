//! Outputs appear under their final name only when complete.
//!
//! Every stage writes to a temporary sibling (`.NAME.tmp-PID-RANDOM`) and renames
//! it into place at the end; if the run fails or is killed, the target name never
//! holds a partial file. Dropping an uncommitted [`AtomicPath`] removes the
//! temporary file or directory.
//!
//! The temporary is created exclusively ([`AtomicPath::create_file`] opens with
//! `O_CREAT | O_EXCL | O_NOFOLLOW`, [`AtomicPath::create_dir`] is `mkdir`) under a
//! name no other process can guess, so in a shared directory nobody can plant a
//! symlink there and make a stage write through it.

use std::fs::File;
use std::hash::{BuildHasher, Hasher};
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
        Self::reserve(target, true)
    }

    /// Reserves the temporary; `scan`: remove dead processes' temporaries first.
    fn reserve(target: &Path, scan: bool) -> Result<Self> {
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
        let stem = temp_stem(&name);
        if scan {
            remove_stale(&parent, Some(&stem));
        }
        let temp =
            parent.join(format!(".{stem}.tmp-{}-{:016x}", std::process::id(), unguessable()));
        Ok(Self { target: target.to_path_buf(), temp, committed: false })
    }

    /// Creates the temporary as a new, empty file: never an existing file, never
    /// through a symlink (`O_EXCL`, `O_NOFOLLOW`).
    pub fn create_file(&self) -> Result<File> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW);
        }
        options.open(&self.temp).map_err(Error::io(IoAction::Create, &self.temp))
    }

    /// Creates the temporary as a new directory (`mkdir`, which fails on any
    /// existing entry, a symlink included).
    pub fn create_dir(&self) -> Result<()> {
        std::fs::create_dir(&self.temp).map_err(Error::io(IoAction::Create, &self.temp))
    }

    /// Where to write now: inside the directory made by [`AtomicPath::create_dir`],
    /// or the file made by [`AtomicPath::create_file`].
    pub fn temp(&self) -> &Path {
        &self.temp
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the finished temporary file or directory onto the target, replacing what
    /// was there. A directory replaces a directory in one step (`renameat2` with
    /// `RENAME_EXCHANGE`, then the old one is removed), so a reader, or a kill at any
    /// moment, sees the old set or the new one, never nothing.
    pub fn commit(self) -> Result<()> {
        self.commit_replacing(&|_| true)
    }

    /// [`AtomicPath::commit`], but an existing target directory is replaced only if
    /// `is_ours(target)` says it is an output of this kind (its marker, or nothing
    /// but the names this output writes); otherwise it is an error and nothing moves.
    ///
    /// Test hook: with `LAB_PAUSE_BEFORE_COMMIT=SECONDS` set, a directory (a set of
    /// files) says so on stderr and waits that long before it moves, so a test can
    /// `kill -9` the stage at exactly that moment.
    pub fn commit_replacing(mut self, is_ours: &dyn Fn(&Path) -> bool) -> Result<()> {
        if self.temp.is_dir() {
            pause_before_commit(&self.target);
        }
        if self.temp.is_dir() && self.target.is_dir() {
            if !is_ours(&self.target) {
                return Err(Error::Foreign { path: self.target.clone() });
            }
            if exchange(&self.temp, &self.target) {
                // The old set is now at the temporary name; the drop removes it.
                return Ok(());
            }
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

/// A set of files that replaces the previous set in an output directory as one unit
/// (train's model, history and summaries; evaluate's metrics, tables and pictures).
///
/// The files are written into a staging directory beside `out`. At [`OutputSet::commit`]:
/// * `out` absent, or holding nothing but names of this set: the staging directory
///   takes its place in one step ([`AtomicPath::commit`]), so a reader or a kill sees
///   the old set or the new one, never a mix, never nothing;
/// * `out` also holding other files (e.g. `--out .`): each file is renamed in, and
///   names of this set that the new run did not write (a `roc.png` of an earlier
///   binary model) are removed, so no stale file survives.
#[derive(Debug)]
pub struct OutputSet {
    stage: AtomicPath,
    names: &'static [&'static str],
}

impl OutputSet {
    /// Starts a set for `out` whose files are all among `names`.
    pub fn new(out: &Path, names: &'static [&'static str]) -> Result<Self> {
        let stage = AtomicPath::new(out)?;
        stage.create_dir()?;
        Ok(Self { stage, names })
    }

    /// Where to write `name` now.
    pub fn path(&self, name: &str) -> PathBuf {
        debug_assert!(self.names.contains(&name), "{name} is not one of {:?}", self.names);
        self.stage.temp().join(name)
    }

    /// Puts the set in place; returns the final paths of the files written, sorted.
    /// (The test hook of [`AtomicPath::commit_replacing`] applies.)
    pub fn commit(self) -> Result<Vec<PathBuf>> {
        let out = self.stage.target().to_path_buf();
        let mut written: Vec<String> = std::fs::read_dir(self.stage.temp())
            .map_err(Error::io(IoAction::Read, self.stage.temp()))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        written.sort();
        let finals = written.iter().map(|n| out.join(n)).collect();
        let only_ours = only_names(&out, |n| self.names.contains(&n));
        if !out.exists() || (out.is_dir() && only_ours) {
            self.stage.commit()?;
            return Ok(finals);
        }
        pause_before_commit(&out);
        for name in &written {
            let (from, to) = (self.stage.temp().join(name), out.join(name));
            std::fs::rename(&from, &to).map_err(|source| Error::Move { from, to, source })?;
        }
        for stale in self.names.iter().filter(|n| !written.iter().any(|w| w == *n)) {
            let _ = std::fs::remove_file(out.join(stale));
        }
        Ok(finals)
    }
}

/// True when every entry of `dir` has a name that `ours` accepts (an empty one too).
pub fn only_names(dir: &Path, ours: impl Fn(&str) -> bool) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(|e| e.ok()).all(|e| ours(&e.file_name().to_string_lossy()))
    })
}

/// The test hook of [`AtomicPath::commit_replacing`]. The line on stderr is how a
/// test knows the stage has reached the commit.
fn pause_before_commit(target: &Path) {
    if let Some(s) = std::env::var_os("LAB_PAUSE_BEFORE_COMMIT") {
        let seconds = s.to_string_lossy().parse::<f64>().unwrap_or(0.0).clamp(0.0, 600.0);
        eprintln!("LAB_PAUSE_BEFORE_COMMIT: {seconds} s before {}", target.display());
        std::thread::sleep(std::time::Duration::from_secs_f64(seconds));
    }
}

/// 64 random bits for a temporary's name: std's `RandomState` keys come from the
/// operating system's random source, fresh for each call's hasher.
fn unguessable() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// A hidden file beside `target` that belongs to it, `.NAME.TAG` (a long name
/// shortened as a temporary's is), e.g. train's `.model.checkpoint`.
pub fn hidden_sibling(target: &Path, tag: &str) -> Result<PathBuf> {
    let name = target
        .file_name()
        .ok_or_else(|| Error::NoFileName { path: target.to_path_buf() })?
        .to_string_lossy();
    Ok(target.with_file_name(format!(".{}.{tag}", temp_stem(&name))))
}

/// What a temporary's name says of its target (`.STEM.tmp-PID-RANDOM`): the target's
/// name, or, when that name is too long for the temporary to fit the file system's
/// 255-byte limit, its first bytes and a hash of the whole name.
fn temp_stem(name: &str) -> String {
    /// `.` + `.tmp-` + a 10-digit PID + `-` + 16 hex digits.
    const SUFFIX_BYTES: usize = 1 + 5 + 10 + 1 + 16;
    const NAME_MAX: usize = 255;
    if name.len() + SUFFIX_BYTES <= NAME_MAX {
        return name.to_string();
    }
    let mut keep = NAME_MAX - SUFFIX_BYTES - 17; // room for `~` + 16 hex digits
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}~{:016x}", &name[..keep], fnv1a(name.as_bytes()))
}

/// FNV-1a, 64 bits: a hash that is the same in every build (std's is not promised).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3))
}

/// Removes the temporaries that killed runs left in `parent`: exactly
/// `.STEM.tmp-PID-RANDOM`, with 16 hex digits of RANDOM, whose process is gone, so
/// they do not pile up and nothing else (a user's `.a.parquet.tmp-1-keep`) is touched.
/// [`AtomicPath::new`] does this for its target's name; a writer of many files into
/// one directory calls this once, for every name, and writes with
/// [`write_bytes_unscanned`]. Linux only (`/proc`); elsewhere a no-op.
pub fn remove_stale_temps(parent: &Path) {
    remove_stale(parent, None)
}

/// [`remove_stale_temps`] for temporaries of `stem` only, or of every name.
fn remove_stale(parent: &Path, only: Option<&str>) {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some((stem, pid)) = stale_temp(&file_name) else { continue };
        if only.is_some_and(|o| o != stem) {
            continue;
        }
        if pid != std::process::id() && !proc.join(pid.to_string()).exists() {
            remove_path(&entry.path());
        }
    }
}

/// The STEM and PID of a temporary's name `.STEM.tmp-PID-RANDOM` (16 hex digits of
/// RANDOM); `None` for any other name.
fn stale_temp(file_name: &str) -> Option<(&str, u32)> {
    let (stem, rest) = file_name.strip_prefix('.')?.rsplit_once(".tmp-")?;
    let (pid, random) = rest.split_once('-')?;
    let ours =
        !stem.is_empty() && random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    Some((stem, pid.parse().ok().filter(|_| ours)?))
}

/// Swaps two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`); false where the
/// system or file system cannot, and the caller falls back to remove + rename.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> bool {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let (Ok(a), Ok(b)) =
        (CString::new(a.as_os_str().as_bytes()), CString::new(b.as_os_str().as_bytes()))
    else {
        return false;
    };
    // SAFETY: two valid NUL-terminated paths relative to the working directory.
    unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        ) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> bool {
    false
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
    write_with(AtomicPath::new(target)?, bytes)
}

/// [`write_bytes`] without looking for stale temporaries in the target's directory
/// (the caller has called [`remove_stale_temps`] on it): n files into one directory
/// cost n, not n² directory reads.
pub fn write_bytes_unscanned(target: &Path, bytes: &[u8]) -> Result<()> {
    write_with(AtomicPath::reserve(target, false)?, bytes)
}

fn write_with(out: AtomicPath, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    out.create_file()?.write_all(bytes).map_err(Error::io(IoAction::Write, out.temp()))?;
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
    fn a_directory_is_swapped_in_whole_and_a_foreign_one_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("set");
        let make = |files: &[&str]| {
            let out = AtomicPath::new(&target).unwrap();
            std::fs::create_dir(out.temp()).unwrap();
            files.iter().for_each(|f| std::fs::write(out.temp().join(f), f).unwrap());
            out
        };
        let ours = |d: &Path| d.join("a").exists() || d.join("b").exists();
        make(&["a"]).commit_replacing(&ours).unwrap();
        make(&["b"]).commit_replacing(&ours).unwrap();
        assert!(target.join("b").exists() && !target.join("a").exists());
        // Nothing but the target is left: the old set went with the temporary name.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        std::fs::remove_file(target.join("b")).unwrap();
        std::fs::write(target.join("thesis.tex"), "mine").unwrap();
        let e = make(&["a"]).commit_replacing(&ours).unwrap_err().to_string();
        assert!(e.contains("is not an output of this kind"), "{e}");
        assert_eq!(std::fs::read_to_string(target.join("thesis.tex")).unwrap(), "mine");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the temporary is removed");
    }

    #[test]
    fn an_output_set_replaces_the_old_set_whole_or_file_by_file() {
        const NAMES: &[&str] = &["model.onnx", "roc.png"];
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let write = |files: &[&str]| {
            let set = OutputSet::new(&out, NAMES).unwrap();
            files.iter().for_each(|f| std::fs::write(set.path(f), f).unwrap());
            set.commit().unwrap()
        };
        assert_eq!(
            write(&["model.onnx", "roc.png"]),
            [out.join("model.onnx"), out.join("roc.png")]
        );
        // A dedicated directory is swapped whole: the old roc.png goes with it.
        write(&["model.onnx"]);
        assert!(out.join("model.onnx").exists() && !out.join("roc.png").exists());
        // Beside other files, file by file, and our stale names are removed.
        write(&["model.onnx", "roc.png"]);
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        write(&["model.onnx"]);
        assert!(out.join("notes.txt").exists() && !out.join("roc.png").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary left");
    }

    #[test]
    fn a_planted_temporary_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep").unwrap();
        let out = AtomicPath::new(&dir.path().join("out.bin")).unwrap();
        // Someone who learned the name links it to a file of theirs first.
        std::os::unix::fs::symlink(&victim, out.temp()).unwrap();
        assert!(out.create_file().is_err());
        assert!(out.create_dir().is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        // Two reservations for the same target never share a name.
        let (a, b) = (AtomicPath::new(&victim).unwrap(), AtomicPath::new(&victim).unwrap());
        assert_ne!(a.temp(), b.temp());
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("model.onnx");
        // PID 0x7fffffff never runs here (pid_max is at most 2^22); ours is alive.
        let dead = dir.path().join(".model.onnx.tmp-2147483647-00ff00ff00ff00ff");
        let other = dir.path().join(".history.parquet.tmp-2147483647-00ff00ff00ff00ff");
        let alive =
            dir.path().join(format!(".model.onnx.tmp-{}-00ff00ff00ff00ff", std::process::id()));
        // Named like a temporary of a dead process, but not one of ours: a user's files.
        let users = [
            ".model.onnx.tmp-2147483647-keep",
            ".model.onnx.tmp-2147483646",
            ".tmp-2147483647-00ff00ff00ff00ff",
        ]
        .map(|n| dir.path().join(n));
        for p in [&dead, &other, &alive].into_iter().chain(&users) {
            std::fs::write(p, "x").unwrap();
        }
        let _reserved = AtomicPath::new(&target).unwrap();
        assert!(!dead.exists() && other.exists() && alive.exists(), "only the target's");
        assert!(users.iter().all(|u| u.exists()), "a user's file was removed");
        remove_stale_temps(dir.path());
        assert!(!other.exists() && alive.exists(), "every dead process's, any name");
        assert!(users.iter().all(|u| u.exists()), "a user's file was removed");
    }

    #[test]
    fn a_name_of_255_bytes_gets_a_temporary_that_fits() {
        let root = tempfile::tempdir().unwrap();
        for len in [200, 222, 223, 248, 255] {
            let name = "é".repeat(len / 2) + &"a".repeat(len % 2);
            assert_eq!(name.len(), len);
            // The temporary of a killed run of that name, in a directory of its own
            // (stale temporaries are looked for once per directory and process).
            let dir = root.path().join(len.to_string());
            let temp = AtomicPath::new(&dir.join(&name)).unwrap();
            assert!(temp.temp().file_name().unwrap().len() <= 255);
            let dead_name = temp
                .temp()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(&format!("-{}-", std::process::id()), "-2147483647-");
            drop(temp);
            let fresh = dir.join("fresh");
            std::fs::create_dir(&fresh).unwrap();
            std::fs::write(fresh.join(&dead_name), "x").unwrap();
            write_bytes(&fresh.join(&name), b"abc").unwrap();
            assert_eq!(std::fs::read(fresh.join(&name)).unwrap(), b"abc");
            let left: Vec<_> = std::fs::read_dir(&fresh).unwrap().collect();
            assert_eq!(left.len(), 1, "a {len}-byte name's stale temporary was left");
        }
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
