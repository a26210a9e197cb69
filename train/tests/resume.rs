//! A training run survives `kill -9`: killed at 20 random instants and run again each
//! time with the same command, it ends with the same `model.onnx`, `history.parquet`,
//! `history.csv`, `summary.json` and `summary.txt`, byte for byte, as a run never
//! interrupted (`LAB_ZERO_TIMES` makes the recorded wall-clock seconds comparable).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Adam, dropout and early stopping with restored weights: every piece of state a
/// resumed run must get back.
const SPEC: &str = r#"
name = "resumable"
loss = "categorical_crossentropy"
epochs = 24
batch_size = 16
seed = 11
validation_split = 0.2
[optimizer]
name = "adam"
learning_rate = 0.002
[early_stopping]
monitor = "val_loss"
patience = 30
restore_best_weights = true
[[layers]]
type = "conv2d"
filters = 8
kernel_size = 3
padding = "same"
activation = "relu"
[[layers]]
type = "max_pool2d"
[[layers]]
type = "flatten"
[[layers]]
type = "dense"
units = 16
activation = "relu"
[[layers]]
type = "dropout"
rate = 0.3
[[layers]]
type = "dense"
units = 3
activation = "softmax"
"#;

fn command(dir: &Path, out: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_train"));
    cmd.arg("--spec")
        .arg(dir.join("spec.toml"))
        .arg("--train")
        .arg(dir.join("train.parquet"))
        .arg("--out")
        .arg(dir.join(out))
        .env("LAB_ZERO_TIMES", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn twenty_kills_end_in_the_bytes_of_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    testkit::image_dataset(1500, [12, 12, 1], &["a", "b", "c"], 5)
        .write(&d.join("train.parquet"), None)
        .unwrap();
    std::fs::write(d.join("spec.toml"), SPEC).unwrap();

    let started = Instant::now();
    let reference = command(d, "reference").output().unwrap();
    assert!(reference.status.success(), "{}", String::from_utf8_lossy(&reference.stderr));
    let whole = started.elapsed();

    // Kill at random instants up to a quarter of a whole run after each start, until
    // 20 kills have landed (a run that ends first commits; the next one starts over).
    let mut rng = testkit::Rng::new(2024);
    let (mut kills, mut resumed, mut starts) = (0, 0, 0);
    while kills < 20 {
        starts += 1;
        assert!(starts <= 200, "only {kills} kills landed in 200 starts");
        let mut child = command(d, "killed").spawn().unwrap();
        std::thread::sleep(whole.mul_f32((rng.uniform() + 1.0) / 8.0));
        if child.try_wait().unwrap().is_some() {
            continue;
        }
        child.kill().unwrap(); // SIGKILL
        let out = child.wait_with_output().unwrap();
        resumed += String::from_utf8_lossy(&out.stderr).contains("Resuming after epoch") as usize;
        kills += 1;
    }
    let last = command(d, "killed").output().unwrap();
    let stderr = String::from_utf8_lossy(&last.stderr);
    assert!(last.status.success(), "{stderr}");
    resumed += stderr.contains("Resuming after epoch") as usize;
    eprintln!("{kills} kills in {starts} starts; {resumed} runs resumed; whole run {whole:?}");
    assert!(resumed >= 3, "only {resumed} runs resumed from a checkpoint");

    let (want, got) = (files(&d.join("reference")), files(&d.join("killed")));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want));
    for ((name, a), (_, b)) in want.iter().zip(&got) {
        assert!(a == b, "{name} differs from the uninterrupted run's");
    }
    // Done: the checkpoint is gone, and nothing else was left beside the outputs.
    assert_eq!(testkit::entries(d), ["killed", "reference", "spec.toml", "train.parquet"]);
}

#[test]
fn a_checkpoint_of_other_inputs_is_not_used_and_fresh_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    testkit::image_dataset(300, [12, 12, 1], &["a", "b", "c"], 5)
        .write(&d.join("train.parquet"), None)
        .unwrap();
    std::fs::write(d.join("spec.toml"), SPEC.replace("epochs = 24", "epochs = 3")).unwrap();
    // A run that stops before its commit leaves its checkpoint after the last epoch.
    let stderr = testkit::kill_at_commit(command(d, "run"));
    assert!(stderr.contains("LAB_PAUSE_BEFORE_COMMIT"), "{stderr}");
    assert!(d.join(".run.checkpoint").is_file());
    // The same inputs: the next run only writes the outputs.
    let again = command(d, "run").output().unwrap();
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("Resuming after epoch 3 of 3"), "{said}");
    assert!(!d.join(".run.checkpoint").exists());
    // Other data: the checkpoint is someone else's, training starts at epoch 1.
    std::fs::write(d.join("spec.toml"), SPEC.replace("epochs = 24", "epochs = 2")).unwrap();
    testkit::kill_at_commit(command(d, "run"));
    std::fs::write(d.join("spec.toml"), SPEC.replace("epochs = 24", "epochs = 3")).unwrap();
    let other = command(d, "run").output().unwrap();
    assert!(!String::from_utf8_lossy(&other.stderr).contains("Resuming"));
    // --fresh ignores a checkpoint of the same inputs.
    testkit::kill_at_commit(command(d, "run"));
    let fresh = command(d, "run").arg("--fresh").output().unwrap();
    assert!(fresh.status.success());
    assert!(!String::from_utf8_lossy(&fresh.stderr).contains("Resuming"));
}
