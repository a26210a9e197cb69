//! Every layer kind: models built with random weights, run through ONNX Runtime and
//! compared with the naive Keras-semantics forward pass of `common` within 1e-5;
//! checked with `onnx.checker.check_model(full_check=True)` through the project's
//! `.venv`; and Keras's window-size rules.

mod common;

use std::process::Command;

use common::{model, Model, Shape, Spec};
use onnx::{window_output, Activation, Padding};
use runtime::{run_model, InputTensor};
use testkit::Rng;

const TOLERANCE: f32 = 1e-5;

/// Runs `model` through ONNX Runtime at batch sizes 3 and 1 and compares with the reference.
fn assert_parity(name: &str, model: &Model, classes: usize) -> Vec<u8> {
    let bytes = model.build(classes);
    let mut rng = Rng::new(0xC0FFEE ^ name.len() as u64);
    let per_sample = model.input.len();
    let out_len = model.output_shape().len();
    for batch in [3usize, 1] {
        let mut shape = vec![batch];
        match model.input {
            Shape::Flat(d) => shape.push(d),
            Shape::Image(h, w, c) => shape.extend([h, w, c]),
        }
        let (floats, (out_shape, got)) = if model.image {
            let pixels = rng.bytes(batch * per_sample);
            let floats: Vec<f32> = pixels.iter().map(|&p| p as f32 / 255.0).collect();
            (floats, run_model(&bytes, InputTensor::U8 { shape: &shape, data: &pixels }).unwrap())
        } else {
            let floats = rng.vec(batch * per_sample, 1.0);
            let out = run_model(&bytes, InputTensor::F32 { shape: &shape, data: &floats }).unwrap();
            (floats, out)
        };
        let mut expected_shape = vec![batch];
        match model.output_shape() {
            Shape::Flat(d) => expected_shape.push(d),
            Shape::Image(h, w, c) => expected_shape.extend([h, w, c]),
        }
        assert_eq!(out_shape, expected_shape, "{name}: output shape");
        assert_eq!(got.len(), batch * out_len);
        let mut worst = 0f32;
        for (s, sample) in floats.chunks(per_sample).enumerate() {
            let want = model.reference(sample);
            for (g, w) in got[s * out_len..(s + 1) * out_len].iter().zip(&want) {
                worst = worst.max((g - w).abs());
            }
        }
        assert!(worst <= TOLERANCE, "{name}: max |ort − reference| = {worst:e} at batch {batch}");
        eprintln!("{name}: batch {batch}, max |ort − reference| = {worst:e}");
    }
    bytes
}

fn all_models() -> Vec<(&'static str, Model, usize)> {
    use Activation::*;
    use Padding::*;
    vec![
        (
            "mlp_features",
            model(
                Shape::Flat(6),
                false,
                &[Spec::Dense(5, Relu), Spec::Dense(4, Tanh), Spec::Dense(3, Softmax)],
                1,
            ),
            3,
        ),
        (
            "image_mlp_flatten",
            model(
                Shape::Image(5, 4, 2),
                true,
                &[Spec::Flatten, Spec::Dense(7, Sigmoid), Spec::Dense(3, Softmax)],
                2,
            ),
            3,
        ),
        (
            "cnn_same_then_valid",
            model(
                Shape::Image(9, 8, 1),
                true,
                &[
                    Spec::Conv((3, 3), 4, (1, 1), Same, Relu),
                    Spec::Pool((2, 2), (2, 2), Valid), // 9×8 → 4×4 (floor)
                    Spec::Conv((3, 3), 3, (1, 1), Valid, Tanh),
                    Spec::Flatten,
                    Spec::Dense(4, Softmax),
                ],
                3,
            ),
            4,
        ),
        (
            "cnn_even_kernel_stride2_pool7to3",
            model(
                Shape::Image(7, 7, 2),
                true,
                &[
                    Spec::Conv((4, 4), 3, (1, 1), Same, Relu), // pads 1 top, 2 bottom
                    Spec::Pool((2, 2), (2, 2), Valid),         // 7 → 3
                    Spec::Conv((2, 2), 5, (2, 2), Same, Linear), // 3 → 2, pads 0/1
                    Spec::Pool((2, 2), (1, 1), Same),          // 2 → 2, pads 0/1 ignored
                    Spec::Flatten,
                    Spec::Dense(1, Sigmoid),
                ],
                4,
            ),
            2,
        ),
        (
            "cnn_rectangular_kernels_and_strides",
            model(
                Shape::Image(6, 5, 3),
                true,
                &[
                    Spec::Conv((3, 2), 4, (2, 1), Same, Relu),
                    Spec::Conv((1, 3), 2, (1, 2), Valid, Sigmoid),
                    Spec::Pool((3, 2), (2, 2), Same),
                    Spec::Flatten,
                    Spec::Dense(3, Softmax),
                ],
                5,
            ),
            3,
        ),
        (
            "seed_cnn_28x28",
            model(
                Shape::Image(28, 28, 1),
                true,
                &[
                    Spec::Conv((7, 7), 10, (1, 1), Same, Relu),
                    Spec::Pool((2, 2), (2, 2), Valid),
                    Spec::Conv((5, 5), 5, (1, 1), Valid, Relu),
                    Spec::Pool((2, 2), (2, 2), Valid),
                    Spec::Flatten,
                    Spec::Dense(10, Softmax),
                ],
                6,
            ),
            10,
        ),
        (
            "conv_output_4d_softmax_channels",
            model(Shape::Image(5, 5, 2), true, &[Spec::Conv((3, 3), 3, (1, 1), Same, Softmax)], 7),
            3,
        ),
        (
            "dense_on_channels_then_flatten",
            model(
                Shape::Image(4, 4, 3),
                true,
                &[Spec::Dense(5, Relu), Spec::Flatten, Spec::Dense(2, Softmax)],
                8,
            ),
            2,
        ),
    ]
}

#[test]
fn every_layer_kind_matches_the_reference_and_passes_the_checker() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, model, classes) in all_models() {
        let bytes = assert_parity(name, &model, classes);
        let path = dir.path().join(format!("{name}.onnx"));
        std::fs::write(&path, &bytes).unwrap();
        files.push(path);
    }

    let python = testkit::venv_python("");
    let script = r#"
import sys, onnx
for path in sys.argv[1:]:
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    print("ok", path.rsplit("/", 1)[-1], m.ir_version, m.opset_import[0].version,
          m.graph.input[0].name, m.graph.output[0].name,
          m.graph.input[0].type.tensor_type.shape.dim[0].dim_param)
"#;
    let out = Command::new(&python).arg("-c").arg(script).args(&files).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "checker failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            stdout.contains(&format!("ok {name} 8 17 input probabilities N")),
            "{name} missing from checker output:\n{stdout}"
        );
    }
}

#[test]
fn keras_window_rules() {
    assert_eq!(window_output(7, 2, 2, Padding::Valid), Some((3, 0, 0))); // floor rule 7 → 3
    assert_eq!(window_output(28, 7, 1, Padding::Same), Some((28, 3, 3)));
    assert_eq!(window_output(7, 4, 1, Padding::Same), Some((7, 1, 2))); // even kernel: extra after
    assert_eq!(window_output(3, 2, 2, Padding::Same), Some((2, 0, 1)));
    assert_eq!(window_output(8, 3, 2, Padding::Same), Some((4, 0, 1)));
    assert_eq!(window_output(5, 1, 2, Padding::Same), Some((3, 0, 0)));
    assert_eq!(window_output(2, 3, 1, Padding::Valid), None);
}
