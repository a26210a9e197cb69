//! What the workspace's tests share: one seeded random stream ([`Rng`]) and small
//! dataset builders ([`image_dataset`], [`feature_dataset`]), so no test file carries
//! its own copy.
//!
//! ```
//! let mut rng = testkit::Rng::new(7);
//! let x = rng.uniform();
//! assert!((-1.0..1.0).contains(&x));
//! assert_eq!(testkit::Rng::new(7).uniform(), x); // the same seed, the same stream
//! let ds = testkit::image_dataset(4, [2, 3, 1], &["a", "b"], 1);
//! assert_eq!((ds.labels, ds.images.len()), (vec![0, 1, 0, 1], 4 * 6));
//! ```

use formats::{FeatureDataset, FeatureMeta, ImageDataset, ImageMeta};

/// Deterministic numbers without a `rand` dependency (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A stream from a non-zero seed (0 is replaced by 1: xorshift never leaves 0).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [-1, 1), on a grid of 2⁻²³.
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    /// `n` values uniform in [-scale, scale).
    pub fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.uniform() * scale).collect()
    }

    /// `n` uniform bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u64() >> 56) as u8).collect()
    }
}

/// The checkout's `.venv/bin/python` (made by `scripts/setup/setup.sh ARGS`); fails the
/// test, naming that command, when it is missing.
pub fn venv_python(setup_args: &str) -> std::path::PathBuf {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    let command = format!("scripts/setup/setup.sh {setup_args}");
    assert!(python.exists(), "{} missing: run {}", python.display(), command.trim_end());
    python
}

/// How many fuzz cases each parser's fuzz test runs: `LAB_FUZZ_CASES`, default 300
/// (`scripts/test/fuzz-long.sh` runs 100,000).
pub fn fuzz_cases() -> usize {
    std::env::var("LAB_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
}

/// The slowest case of a fuzz run, printed beside its counts (`scripts/test/fuzz-long.sh`
/// refuses a run whose slowest case took over 5 s: a hang, not a refusal).
#[derive(Debug, Default)]
pub struct Slowest {
    case: usize,
    took: std::time::Duration,
}

impl Slowest {
    /// Runs case `case` and keeps its time if it is the slowest so far.
    pub fn time<T>(&mut self, case: usize, f: impl FnOnce() -> T) -> T {
        let started = std::time::Instant::now();
        let out = f();
        if started.elapsed() > self.took {
            (self.case, self.took) = (case, started.elapsed());
        }
        out
    }
}

impl std::fmt::Display for Slowest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "slowest case {} ms (#{})", self.took.as_millis(), self.case)
    }
}

/// A mutated copy of `seed`: 1 to 8 random edits — a byte replaced, a bit flipped,
/// bytes inserted or deleted, the tail cut off, a slice repeated — half of them aimed
/// at the last 512 bytes, where Parquet keeps its footer.
pub fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    let edits = 1 + (rng.next_u64() % 8) as usize;
    for _ in 0..edits {
        if b.is_empty() {
            b.push(rng.next_u64() as u8);
            continue;
        }
        let len = b.len();
        let at = if rng.next_u64().is_multiple_of(2) {
            len - 1 - (rng.next_u64() as usize % len.min(512))
        } else {
            rng.next_u64() as usize % len
        };
        match rng.next_u64() % 6 {
            0 => b[at] = rng.next_u64() as u8,
            1 => b[at] ^= 1 << (rng.next_u64() % 8),
            2 => b.insert(at, rng.next_u64() as u8),
            3 => {
                b.remove(at);
            }
            4 => b.truncate(at),
            _ => {
                let end = (at + 1 + rng.next_u64() as usize % 16).min(len);
                let slice = b[at..end].to_vec();
                b.splice(at..at, slice);
            }
        }
    }
    b
}

fn names(classes: &[&str]) -> Vec<String> {
    classes.iter().map(|s| s.to_string()).collect()
}

/// `rows` random images of `[height, width, channels]`, labels cycling through the classes.
pub fn image_dataset(
    rows: usize,
    [height, width, channels]: [usize; 3],
    classes: &[&str],
    seed: u64,
) -> ImageDataset {
    let mut rng = Rng::new(seed);
    let meta =
        ImageMeta { height, width, channels, classes: names(classes), source: "testkit".into() };
    let labels = (0..rows).map(|i| (i % classes.len()) as i32).collect();
    ImageDataset { meta, labels, images: rng.bytes(rows * height * width * channels), paths: None }
}

/// `rows` random feature vectors of `dim` values in [-1, 1), labels cycling through the classes.
pub fn feature_dataset(rows: usize, dim: usize, classes: &[&str], seed: u64) -> FeatureDataset {
    let mut rng = Rng::new(seed);
    let meta = FeatureMeta { dim, classes: names(classes), source: "testkit".into(), params: None };
    let labels = (0..rows).map(|i| (i % classes.len()) as i32).collect();
    FeatureDataset { meta, labels, features: rng.vec(rows * dim, 1.0) }
}

/// Runs `command` with the commit hook on (`LAB_PAUSE_BEFORE_COMMIT`), waits until
/// it says it has reached the commit of its output set, and `kill -9`s it there.
/// Returns the stage's stderr up to that moment. Panics if the stage ends, or has
/// not reached its commit within two minutes.
pub fn kill_at_commit(mut command: std::process::Command) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = command
        .env("LAB_PAUSE_BEFORE_COMMIT", "120")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the stage starts");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let reached = line.starts_with("LAB_PAUSE_BEFORE_COMMIT:");
            if tx.send((line, reached)).is_err() || reached {
                break;
            }
        }
    });
    let mut seen = String::new();
    loop {
        match rx.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok((line, true)) => {
                seen.push_str(&line);
                break;
            }
            Ok((line, false)) => {
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(_) => {
                let _ = child.kill();
                panic!("the stage never reached its commit; its stderr:\n{seen}");
            }
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("the stage is reaped");
    seen
}

/// The names in `dir`, sorted (none for a directory that cannot be read).
pub fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The names in `dir` of the stages' temporaries (`.NAME.tmp-PID-…`, see
/// `formats::atomic`): what a killed run leaves until the next run clears it.
pub fn temporaries(dir: &std::path::Path) -> Vec<String> {
    let entries = std::fs::read_dir(dir).expect("a readable directory").flatten();
    let names = entries.map(|e| e.file_name().to_string_lossy().into_owned());
    names.filter(|n| n.contains(".tmp-")).collect()
}

/// Everything under `dir`, as sorted relative paths with each file's bytes, so a
/// test can compare a whole output tree before and after.
pub fn tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).expect("readable").flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let rel = path.strip_prefix(root).expect("under root").display().to_string();
            if path.is_dir() {
                out.push((rel + "/", Vec::new()));
                walk(root, &path, out);
            } else {
                out.push((rel, std::fs::read(&path).expect("readable")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}
