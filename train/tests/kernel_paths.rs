//! The same bits on every kernel path: the four example nets (`train/examples/*.toml`,
//! 2 epochs, with validation) trained by the `train` binary under `LAB_KERNELS` set to
//! each path this CPU runs write byte-identical `model.onnx` files and the same history
//! (losses and accuracies; the seconds column is a clock). A bad `LAB_KERNELS` is one
//! sentence and no output.
//!
//! For `scripts/test/test-aarch64.sh`: `LAB_TRAIN_RUNNER` runs the binary through an emulator
//! (`qemu-aarch64 -L /usr/aarch64-linux-gnu`), and `LAB_KERNEL_MODELS=DIR` keeps each
//! net's model as `DIR/NAME.onnx`, to compare the bytes across architectures.

use std::path::{Path, PathBuf};
use std::process::Command;

use arrow::array::{Array, Float64Array};
use train::kernels::Isa;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The example spec with 2 epochs and a batch that leaves a partial last batch.
fn spec(dir: &Path, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(examples().join(format!("{name}.toml"))).unwrap();
    let text: String = text
        .lines()
        .map(|l| match l {
            l if l.starts_with("epochs =") => "epochs = 2".to_string(),
            l if l.starts_with("batch_size =") => "batch_size = 24".to_string(),
            l => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// (train, val) datasets for an example: images for the CNNs and the MLP, features for HOG.
fn data(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (train, val) =
        (dir.join(format!("{name}-train.parquet")), dir.join(format!("{name}-val.parquet")));
    let digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    for (path, rows, seed) in [(&train, 100, 1), (&val, 30, 2)] {
        let written = match name {
            "hog_mlp" => testkit::feature_dataset(rows, 392, &digits, seed).write(path, None),
            "pneumonia_cnn" => {
                let classes = ["normal", "pneumonia"];
                testkit::image_dataset(rows / 2, [128, 128, 1], &classes, seed).write(path, None)
            }
            _ => testkit::image_dataset(rows, [28, 28, 1], &digits, seed).write(path, None),
        };
        written.unwrap();
    }
    (train, val)
}

/// The `train` binary, through `LAB_TRAIN_RUNNER` when set.
fn train_command() -> Command {
    let bin = env!("CARGO_BIN_EXE_train");
    match std::env::var("LAB_TRAIN_RUNNER") {
        Ok(runner) if !runner.trim().is_empty() => {
            let mut words = runner.split_whitespace();
            let mut cmd = Command::new(words.next().unwrap());
            cmd.args(words).arg(bin);
            cmd
        }
        _ => Command::new(bin),
    }
}

fn history_numbers(path: &Path) -> Vec<Option<f64>> {
    let mut numbers = Vec::new();
    for batch in formats::DatasetReader::open(path).unwrap() {
        let batch = batch.unwrap();
        for (i, field) in batch.schema().fields().iter().enumerate() {
            if field.name() == "seconds" {
                continue;
            }
            if let Some(col) = batch.column(i).as_any().downcast_ref::<Float64Array>() {
                numbers.extend((0..col.len()).map(|r| (!col.is_null(r)).then(|| col.value(r))));
            }
        }
    }
    numbers
}

#[test]
fn every_kernel_path_trains_the_examples_to_the_same_bytes() {
    let paths = Isa::supported();
    eprintln!("kernel paths on this CPU: {paths:?}");
    let dir = tempfile::tempdir().unwrap();
    for name in ["mlp", "hog_mlp", "cnn", "pneumonia_cnn"] {
        let spec = spec(dir.path(), name);
        let (train, val) = data(dir.path(), name);
        let mut first: Option<(Isa, Vec<u8>, Vec<Option<f64>>)> = None;
        for &isa in &paths {
            let out = dir.path().join(format!("{name}-{isa}"));
            let o = train_command()
                .env("LAB_KERNELS", isa.name())
                .args(["--quiet", "--spec"])
                .arg(&spec)
                .arg("--train")
                .arg(&train)
                .arg("--val")
                .arg(&val)
                .arg("--out")
                .arg(&out)
                .output()
                .unwrap();
            assert!(o.status.success(), "{name} on {isa}: {}", String::from_utf8_lossy(&o.stderr));
            let summary = formats::Summary::read(&out.join("summary.json")).unwrap();
            let kernels = summary.network.map(|n| n.kernels);
            assert_eq!(
                kernels.as_deref(),
                Some(isa.name()),
                "summary.json names the path that ran"
            );
            let model = std::fs::read(out.join("model.onnx")).unwrap();
            let history = history_numbers(&out.join("history.parquet"));
            assert_eq!(history.len(), 2 * 4, "{name}: loss, accuracy, val_loss, val_accuracy × 2");
            match &first {
                None => {
                    if let Some(keep) = std::env::var_os("LAB_KERNEL_MODELS") {
                        std::fs::write(Path::new(&keep).join(format!("{name}.onnx")), &model)
                            .unwrap();
                    }
                    first = Some((isa, model, history))
                }
                Some((isa0, model0, history0)) => {
                    assert!(model == *model0, "{name}: model.onnx on {isa} differs from {isa0}");
                    let bits = |h: &[Option<f64>]| {
                        h.iter().map(|v| v.map(f64::to_bits)).collect::<Vec<_>>()
                    };
                    assert_eq!(
                        bits(&history),
                        bits(history0),
                        "{name}: history on {isa} vs {isa0}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_bad_kernel_path_is_one_sentence_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec(dir.path(), "mlp");
    let (train, _) = data(dir.path(), "mlp");
    let unsupported =
        Isa::ALL.into_iter().find(|i| !i.is_supported()).expect("some path is foreign");
    for (value, want) in [
        (
            "sse9".to_string(),
            "LAB_KERNELS=sse9: not a kernel path; use one of avx512, avx2, neon, portable"
                .to_string(),
        ),
        (unsupported.name().to_string(), format!("LAB_KERNELS={unsupported}: this CPU (")),
    ] {
        let out = dir.path().join("bad");
        let o = train_command()
            .env("LAB_KERNELS", &value)
            .args(["--quiet", "--spec"])
            .arg(&spec)
            .arg("--train")
            .arg(&train)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{value}: {err}");
        assert!(err.starts_with(&format!("error: {want}")), "{value}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(!out.exists(), "no output for a bad LAB_KERNELS");
    }
}
