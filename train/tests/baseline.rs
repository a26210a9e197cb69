//! `train --baseline logistic`: linfa's multinomial logistic regression, its ONNX export
//! (parity with linfa's own probabilities through ONNX Runtime), its output files, and
//! every bad input.

use std::path::Path;

use arrow::array::{Array, Float64Array, Int32Array};
use formats::summary::Input;
use formats::{DatasetKind, FeatureDataset, FeatureMeta, ImageDataset, ImageMeta, Summary};
use ndarray::Array2;
use onnx::read_metadata;
use runtime::{run_model, InputTensor};
use testkit::Rng;
use train::baseline::{
    loss_and_accuracy, run_baseline, run_baseline_with, BaselineConfig, DesignMatrix,
    LogisticBaseline, RowShape,
};

fn names(n: usize) -> Vec<String> {
    ["cat", "dog", "owl", "ant"][..n].iter().map(|s| s.to_string()).collect()
}

/// Three blobs around (4,0), (-2,3.5), (-2,-3.5) with noise ≤ 0.8: linearly separable.
fn blobs(rows_per_class: usize, seed: u64, classes: usize, present: &[i32]) -> FeatureDataset {
    let centres = [(4.0, 0.0), (-2.0, 3.5), (-2.0, -3.5)];
    let mut rng = Rng::new(seed);
    let (mut labels, mut features) = (Vec::new(), Vec::new());
    for i in 0..rows_per_class * present.len() {
        let class = present[i % present.len()];
        let (cx, cy) = centres[class as usize];
        labels.push(class);
        features.extend([cx + 0.8 * rng.uniform(), cy + 0.8 * rng.uniform()]);
    }
    let meta =
        FeatureMeta { dim: 2, classes: names(classes), source: "test blobs".into(), params: None };
    FeatureDataset { meta, labels, features }
}

/// 4×4 grey images: class 0 bright on top, class 1 bright at the bottom.
fn images(rows: usize, seed: u64) -> ImageDataset {
    let mut rng = Rng::new(seed);
    let (mut labels, mut pixels) = (Vec::new(), Vec::new());
    for i in 0..rows {
        let class = (i % 2) as i32;
        labels.push(class);
        for y in 0..4 {
            let bright = (y < 2) == (class == 0);
            for _ in 0..4 {
                let base = if bright { 200.0 } else { 40.0 };
                pixels.push((base + 40.0 * rng.uniform()) as u8);
            }
        }
    }
    let meta = ImageMeta {
        height: 4,
        width: 4,
        channels: 1,
        classes: vec!["top".into(), "bottom".into()],
        source: "test".into(),
    };
    ImageDataset { meta, labels, images: pixels, paths: None }
}

fn max_abs_diff(a: &[f32], b: &Array2<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(&x, &y)| (x as f64 - y).abs()).fold(0.0, f64::max)
}

#[test]
fn feature_baseline_is_accurate_and_onnx_matches_linfa() {
    let train = blobs(30, 1, 3, &[0, 1, 2]);
    let val = blobs(10, 2, 3, &[0, 1, 2]);
    let data = DesignMatrix::from_dataset(&formats::AnyDataset::Features(train), "train").unwrap();
    let model = LogisticBaseline::fit(&data, &BaselineConfig::default()).unwrap();
    assert_eq!(model.params(), 2 * 3 + 3);

    let val_data =
        DesignMatrix::from_dataset(&formats::AnyDataset::Features(val.clone()), "val").unwrap();
    let linfa = model.probabilities(&val_data.x);
    let (_, accuracy) = loss_and_accuracy(&linfa, &val_data.labels);
    assert_eq!(accuracy, 1.0, "separable blobs");

    let bytes = model.to_onnx(&[]).unwrap();
    let (shape, ort) =
        run_model(&bytes, InputTensor::F32 { shape: &[val.len(), 2], data: &val.features })
            .unwrap();
    assert_eq!(shape, [val.len(), 3]);
    let worst = max_abs_diff(&ort, &linfa);
    eprintln!("features: max |ort − linfa| = {worst:e}");
    assert!(worst <= 1e-5, "max |ort − linfa| = {worst:e}");
}

#[test]
fn image_baseline_onnx_takes_raw_pixels_and_matches_linfa() {
    let train = images(40, 3);
    let test = images(12, 4);
    let data = DesignMatrix::from_dataset(&formats::AnyDataset::Image(train), "train").unwrap();
    assert_eq!(data.input, RowShape::Image { height: 4, width: 4, channels: 1 });
    assert!(data.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
    let model = LogisticBaseline::fit(&data, &BaselineConfig::default()).unwrap();

    let test_data =
        DesignMatrix::from_dataset(&formats::AnyDataset::Image(test.clone()), "test").unwrap();
    let linfa = model.probabilities(&test_data.x);
    assert_eq!(loss_and_accuracy(&linfa, &test_data.labels).1, 1.0);

    let bytes = model.to_onnx(&[]).unwrap();
    let (shape, ort) =
        run_model(&bytes, InputTensor::U8 { shape: &[test.len(), 4, 4, 1], data: &test.images })
            .unwrap();
    assert_eq!(shape, [test.len(), 2]);
    let worst = max_abs_diff(&ort, &linfa);
    eprintln!("images: max |ort − linfa| = {worst:e}");
    assert!(worst <= 1e-5, "max |ort − linfa| = {worst:e}");
}

#[test]
fn a_class_missing_from_training_gets_probability_zero() {
    let train = blobs(20, 5, 3, &[0, 2]); // no "dog"
    let data =
        DesignMatrix::from_dataset(&formats::AnyDataset::Features(train.clone()), "train").unwrap();
    let model = LogisticBaseline::fit(&data, &BaselineConfig::default()).unwrap();
    assert_eq!(model.present, [0, 2]);
    let linfa = model.probabilities(&data.x);
    assert!(linfa.column(1).iter().all(|&p| p == 0.0));
    let bytes = model.to_onnx(&[]).unwrap();
    let (_, ort) =
        run_model(&bytes, InputTensor::F32 { shape: &[train.len(), 2], data: &train.features })
            .unwrap();
    assert!(ort.chunks(3).all(|row| row[1] == 0.0), "absent class must get 0");
    assert!(max_abs_diff(&ort, &linfa) <= 1e-5);
}

fn read_history(path: &Path) -> (i32, f64, f64, Option<f64>, Option<f64>, usize) {
    let reader = formats::DatasetReader::open(path).unwrap();
    let batches: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.len(), 1);
    let b = &batches[0];
    let f = |name: &str| {
        b.column_by_name(name).unwrap().as_any().downcast_ref::<Float64Array>().unwrap().clone()
    };
    let epoch =
        b.column_by_name("epoch").unwrap().as_any().downcast_ref::<Int32Array>().unwrap().value(0);
    let (vl, va) = (f("val_loss"), f("val_accuracy"));
    (
        epoch,
        f("loss").value(0),
        f("accuracy").value(0),
        vl.is_valid(0).then(|| vl.value(0)),
        va.is_valid(0).then(|| va.value(0)),
        b.num_rows(),
    )
}

#[test]
fn run_baseline_writes_the_four_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val, out) =
        (dir.path().join("train.parquet"), dir.path().join("val.parquet"), dir.path().join("out"));
    blobs(30, 6, 3, &[0, 1, 2]).write(&train, None).unwrap();
    blobs(10, 7, 3, &[0, 1, 2]).write(&val, None).unwrap();
    run_baseline(&train, Some(&val), &out).unwrap();

    let summary = Summary::read(&out.join("summary.json")).unwrap();
    assert_eq!(summary.total_params, 9);
    let layer = &summary.layers[0];
    assert_eq!(layer.type_name, "LogisticRegression");
    assert_eq!(layer.formula, "2 inputs × 3 classes + 3 biases = 9");
    assert_eq!(layer.output_shape, [None, Some(3)]);
    assert_eq!(summary.input, Input { kind: DatasetKind::Features, shape: vec![2], scaling: None });
    assert_eq!(summary.classes, ["cat", "dog", "owl"]);
    assert_eq!(summary.optimizer["name"], "L-BFGS");
    assert_eq!(summary.optimizer["max_iterations"], 100);
    assert_eq!(summary.optimizer["alpha"], 1.0);
    assert_eq!(summary.loss.name, "multinomial_log_loss");
    let last = summary.final_epoch.as_ref().unwrap();
    assert_eq!((last.accuracy, last.val_accuracy), (1.0, Some(1.0)));
    assert_eq!((summary.batch_size, summary.seed, &summary.network), (None, None, &None));

    let text = std::fs::read_to_string(out.join("summary.txt")).unwrap();
    assert!(
        text.contains("2 inputs × 3 classes + 3 biases = 9") && text.contains("Total params: 9"),
        "{text}"
    );
    assert!(text.contains("Validation: loss"), "{text}");

    let (epoch, loss, accuracy, val_loss, val_accuracy, rows) =
        read_history(&out.join("history.parquet"));
    assert_eq!((epoch, rows), (1, 1));
    assert_eq!(accuracy, 1.0);
    assert_eq!(val_accuracy, Some(1.0));
    assert!(loss > 0.0 && loss < 0.1, "loss {loss}");
    assert!(val_loss.unwrap() > 0.0 && val_loss.unwrap() < 0.1);
    assert_eq!(last.loss, loss);

    let bytes = std::fs::read(out.join("model.onnx")).unwrap();
    let metadata = read_metadata(&bytes).unwrap();
    assert_eq!(metadata[0], ("classes".to_string(), r#"["cat","dog","owl"]"#.to_string()));
    let spec = &metadata.iter().find(|(k, _)| k == "spec").unwrap().1;
    assert!(spec.contains("\"baseline\":\"logistic\""), "{spec}");
    assert!(metadata.iter().any(|(k, _)| k == "producer"));
    // The keys a network's model has too.
    let value = |key: &str| metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(value("name"), Some("logistic_baseline"));
    assert!(matches!(value("input_kind"), Some("image" | "features")), "{metadata:?}");

    // The file passes the ONNX checker.
    let python = testkit::venv_python("");
    let status = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, onnx; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)",
        ])
        .arg(out.join("model.onnx"))
        .status()
        .unwrap();
    assert!(status.success(), "onnx.checker rejects the baseline model");
}

#[test]
fn run_baseline_on_images_without_validation() {
    let dir = tempfile::tempdir().unwrap();
    let (train, out) = (dir.path().join("train.parquet"), dir.path().join("out"));
    images(30, 8).write(&train, None).unwrap();
    let config = BaselineConfig { max_iterations: 20, ..Default::default() };
    let figures = run_baseline_with(&train, None, &out, &config).unwrap();
    assert_eq!(figures.params, 16 * 2 + 2);
    assert_eq!(figures.accuracy, 1.0);
    let (_, _, _, val_loss, val_accuracy, _) = read_history(&out.join("history.parquet"));
    assert_eq!((val_loss, val_accuracy), (None, None));
    let summary = Summary::read(&out.join("summary.json")).unwrap();
    assert_eq!(
        summary.input,
        Input { kind: DatasetKind::Image, shape: vec![4, 4, 1], scaling: None }
    );
    assert_eq!(summary.layers[0].formula, "16 inputs × 2 classes + 2 biases = 34");
    assert_eq!(summary.optimizer["max_iterations"], 20);
    assert_eq!(summary.final_epoch.unwrap().val_loss, None);
}

fn error_of(train: &Path, val: Option<&Path>, out: &Path) -> String {
    let e = format!("{:#}", run_baseline(train, val, out).unwrap_err());
    assert!(!out.exists(), "a failed run must not leave {}", out.display());
    e
}

#[test]
fn bad_inputs_name_the_file_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let out = p("out");
    blobs(10, 9, 3, &[0, 1, 2]).write(&p("train.parquet"), None).unwrap();

    let e = error_of(&p("missing.parquet"), None, &out);
    assert!(e.contains("missing.parquet"), "{e}");

    images(6, 10).write(&p("images.parquet"), None).unwrap();
    let e = error_of(&p("train.parquet"), Some(&p("images.parquet")), &out);
    assert!(
        e.contains("images.parquet") && e.contains("image 4×4×1") && e.contains("features [2]"),
        "{e}"
    );

    let mut other_classes = blobs(5, 11, 3, &[0, 1, 2]);
    other_classes.meta.classes = vec!["a".into(), "b".into(), "c".into()];
    other_classes.write(&p("val_classes.parquet"), None).unwrap();
    let e = error_of(&p("train.parquet"), Some(&p("val_classes.parquet")), &out);
    assert!(e.contains("val_classes.parquet") && e.contains("classes"), "{e}");

    let mut bad_label = blobs(5, 12, 3, &[0, 1, 2]);
    bad_label.labels[3] = 7;
    bad_label.write(&p("bad_label.parquet"), None).unwrap();
    let e = error_of(&p("bad_label.parquet"), None, &out);
    assert!(e.contains("bad_label.parquet") && e.contains("row 3 has label 7"), "{e}");

    let mut non_finite = blobs(5, 13, 3, &[0, 1, 2]);
    non_finite.features[5] = f32::NAN;
    non_finite.write(&p("nan.parquet"), None).unwrap();
    let e = error_of(&p("nan.parquet"), None, &out);
    assert!(e.contains("nan.parquet") && e.contains("row 2") && e.contains("non-finite"), "{e}");

    blobs(5, 14, 3, &[1]).write(&p("one_class.parquet"), None).unwrap();
    let e = error_of(&p("one_class.parquet"), None, &out);
    assert!(e.contains("only 1 distinct class"), "{e}");

    blobs(0, 15, 3, &[0, 1, 2]).write(&p("empty.parquet"), None).unwrap();
    let e = error_of(&p("empty.parquet"), None, &out);
    assert!(e.contains("empty.parquet") && e.contains("no rows"), "{e}");
}
