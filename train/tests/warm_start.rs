//! `train --init-from`, `shuffle = false`: a run that starts from an earlier run's
//! exported weights continues where it stopped, and without shuffling the seed no
//! longer matters once the weights are given.

use std::path::Path;

use formats::{ImageDataset, ImageMeta};

/// 12×12 images of 3 classes, each a bright 4×4 patch at its own place, plus noise.
fn patches(rows: usize, seed: u64) -> ImageDataset {
    let mut rng = testkit::Rng::new(seed);
    let mut images = Vec::with_capacity(rows * 144);
    for i in 0..rows {
        let c = i % 3;
        for y in 0..12 {
            for x in 0..12 {
                let inside = y / 4 == c && x / 4 == (c + 1) % 3;
                let noise = (rng.next_u64() % 50) as u8;
                images.push(if inside { 200 } else { 20 } + noise);
            }
        }
    }
    let meta = ImageMeta {
        height: 12,
        width: 12,
        channels: 1,
        classes: vec!["a".into(), "b".into(), "c".into()],
        source: "test".into(),
    };
    ImageDataset { meta, labels: (0..rows as i32).map(|i| i % 3).collect(), images, paths: None }
}

/// A conv net (its kernel goes through ONNX's OIHW layout and back) without dropout.
fn spec(extra: &str) -> train::ModelSpec {
    let text = format!(
        r#"
name = "warm"
loss = "categorical_crossentropy"
seed = 7
{extra}

[[layers]]
type = "conv2d"
filters = 3
kernel_size = [3, 2]
activation = "relu"

[[layers]]
type = "max_pool2d"
pool_size = 2

[[layers]]
type = "flatten"

[[layers]]
type = "dense"
units = 3
activation = "softmax"
"#
    );
    train::ModelSpec::from_toml_str(&text).unwrap()
}

struct Data {
    dir: tempfile::TempDir,
}

impl Data {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        patches(90, 1).write(&dir.path().join("train.parquet"), None).unwrap();
        patches(30, 2).write(&dir.path().join("val.parquet"), None).unwrap();
        Data { dir }
    }
    fn p(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }
    fn train(&self, spec: &train::ModelSpec, out: &str, init: Option<&Path>) -> train::History {
        let (t, v) = (self.p("train.parquet"), self.p("val.parquet"));
        train::train_from(spec, &t, Some(&v), &self.p(out), &options(init)).unwrap().history
    }
    fn weights(&self, run: &str) -> Vec<onnx::Initializer> {
        onnx::read_initializers(&std::fs::read(self.p(run).join("model.onnx")).unwrap()).unwrap()
    }
}

#[test]
fn init_from_continues_where_the_earlier_run_stopped() {
    let d = Data::new();
    let learning = "batch_size = 16\noptimizer = { name = \"adam\", learning_rate = 0.01 }";
    let first = d.train(&spec(&format!("epochs = 3\n{learning}")), "first", None);
    let model = d.p("first/model.onnx");
    // Exact: with a learning rate too small to move anything, the warm-started model's
    // validation loss after its epoch is the first run's last one.
    let still =
        spec("epochs = 1\nbatch_size = 16\noptimizer = { name = \"sgd\", learning_rate = 1e-30 }");
    let frozen = d.train(&still, "frozen", Some(&model));
    let (a, b) = (first.epochs[2].val_loss.unwrap(), frozen.epochs[0].val_loss.unwrap());
    assert!((a - b).abs() < 1e-6, "val loss {a} after 3 epochs, {b} warm-started");
    assert_eq!(d.weights("frozen"), d.weights("first"));
    // The warm start is on record: summary.json, summary.txt and the model's metadata.
    let summary = formats::Summary::read(&d.p("frozen/summary.json")).unwrap();
    let recorded = summary.network.and_then(|n| n.init_from);
    assert_eq!(recorded.as_deref(), Some(model.to_str().unwrap()));
    let text = std::fs::read_to_string(d.p("frozen/summary.txt")).unwrap();
    assert!(
        text.contains(&format!("Warm start: from the weights of {}\n", model.display())),
        "{text}"
    );
    let onnx = std::fs::read(d.p("frozen/model.onnx")).unwrap();
    let metadata = onnx::read_metadata(&onnx).unwrap();
    let init = metadata.iter().find(|(k, _)| k == "init_from").map(|(_, v)| v.as_str());
    assert_eq!(init, model.to_str());
    let first_summary = formats::Summary::read(&d.p("first/summary.json")).unwrap();
    assert_eq!(first_summary.network.and_then(|n| n.init_from), None);
    // Learning on: epoch 1 of the warm start picks up at the first run's last level,
    // not at a fresh epoch 1's.
    let more = d.train(&spec(&format!("epochs = 1\n{learning}")), "more", Some(&model));
    let fresh1 = first.epochs[0].loss;
    let (last, resumed) = (first.epochs[2].loss, more.epochs[0].loss);
    assert!(last < fresh1, "the first run learned: {fresh1} → {last}");
    assert!(
        resumed <= last && resumed < (fresh1 + last) / 2.0,
        "fresh {fresh1}, last {last}, resumed {resumed}"
    );
}

#[test]
fn weights_that_do_not_fit_are_refused_naming_the_layer() {
    let d = Data::new();
    d.train(&spec("epochs = 1\nbatch_size = 16"), "first", None);
    let mut wider = spec("epochs = 1\nbatch_size = 16");
    if let params::LayerSpec::Conv2d { filters, .. } = &mut wider.layers[0] {
        *filters = 5;
    }
    let (t, out) = (d.p("train.parquet"), d.p("wider"));
    let model = d.p("first/model.onnx");
    let e = train::train_from(&wider, &t, None, &out, &options(Some(&model))).err().unwrap();
    let e = format!("{e:#}");
    assert!(e.contains("does not fit this model at layer 1 (Conv2D)"), "{e}");
    assert!(!out.exists(), "nothing written");
    let e =
        train::train_from(&wider, &t, None, &out, &options(Some(&d.p("none.onnx")))).err().unwrap();
    assert!(format!("{e:#}").contains("cannot read --init-from"), "{e:#}");
}

#[test]
fn without_shuffling_the_seed_does_not_matter_from_given_weights() {
    let d = Data::new();
    d.train(&spec("epochs = 1\nbatch_size = 16"), "start", None);
    let start = d.p("start/model.onnx");
    // One batch of the whole dataset, rows in order: nothing random remains.
    for seed in [1, 2] {
        let s = spec("epochs = 2\nshuffle = false\nbatch_size = 90");
        let s = train::ModelSpec { seed, ..s };
        d.train(&s, &format!("seed{seed}"), Some(&start));
    }
    assert_eq!(d.weights("seed1"), d.weights("seed2"));
    assert_ne!(d.weights("seed1"), d.weights("start"), "training moved the weights");
}

fn options(init_from: Option<&Path>) -> train::RunOptions {
    train::RunOptions { init_from: init_from.map(Path::to_path_buf), ..Default::default() }
}
