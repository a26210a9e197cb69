//! `onnx`: models of every layer kind built with random weights, run through
//! ONNX Runtime and compared with a naive Keras-semantics forward pass written here
//! (loops, NHWC, f64 sums) within 1e-5; checked with `onnx.checker.check_model(full_check=True)`
//! through the project's `.venv`; plus every misuse the builder must report.

use std::path::PathBuf;
use std::process::Command;

use onnx::proto::{data_type, DimensionValue, ModelProto};
use onnx::{read_metadata, window_output, Activation, GraphBuilder, Padding};
use runtime::{run_model, InputTensor};
use prost::Message;
use testkit::Rng;

const TOLERANCE: f32 = 1e-5;

/// One layer of a test model, with its weights.
#[derive(Clone)]
enum Layer {
    Dense { kernel: Vec<f32>, bias: Vec<f32>, units: usize },
    Conv { kernel: Vec<f32>, bias: Vec<f32>, k: (usize, usize), filters: usize, strides: (usize, usize), padding: Padding },
    Pool { pool: (usize, usize), strides: (usize, usize), padding: Padding },
    Flatten,
    Act(Activation),
}

/// Shape without the batch: `[D]` or `[H, W, C]`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    Flat(usize),
    Image(usize, usize, usize),
}

impl Shape {
    fn len(self) -> usize {
        match self {
            Shape::Flat(d) => d,
            Shape::Image(h, w, c) => h * w * c,
        }
    }
}

/// Layer descriptions without weights; `model` draws the weights.
enum Spec {
    Dense(usize, Activation),
    Conv((usize, usize), usize, (usize, usize), Padding, Activation),
    Pool((usize, usize), (usize, usize), Padding),
    Flatten,
}

struct Model {
    input: Shape,
    image: bool,
    layers: Vec<Layer>,
}

fn model(input: Shape, image: bool, specs: &[Spec], seed: u64) -> Model {
    let mut rng = Rng::new(seed);
    let mut shape = input;
    let mut layers = Vec::new();
    for spec in specs {
        let start = layers.len();
        match *spec {
            Spec::Dense(units, act) => {
                let fan_in = match shape {
                    Shape::Flat(d) => d,
                    Shape::Image(_, _, c) => c,
                };
                layers.push(Layer::Dense { kernel: rng.vec(fan_in * units, 0.5), bias: rng.vec(units, 0.2), units });
                layers.push(Layer::Act(act));
            }
            Spec::Conv(k, filters, strides, padding, act) => {
                let Shape::Image(_, _, c) = shape else { panic!("conv on flat") };
                layers.push(Layer::Conv {
                    kernel: rng.vec(k.0 * k.1 * c * filters, 0.5),
                    bias: rng.vec(filters, 0.2),
                    k,
                    filters,
                    strides,
                    padding,
                });
                layers.push(Layer::Act(act));
            }
            Spec::Pool(pool, strides, padding) => layers.push(Layer::Pool { pool, strides, padding }),
            Spec::Flatten => layers.push(Layer::Flatten),
        }
        shape = reference_shape(shape, layers[start..].iter());
    }
    Model { input, image, layers }
}

fn reference_shape<'a>(mut shape: Shape, layers: impl Iterator<Item = &'a Layer>) -> Shape {
    for layer in layers {
        shape = match (layer, shape) {
            (Layer::Dense { units, .. }, Shape::Flat(_)) => Shape::Flat(*units),
            (Layer::Dense { units, .. }, Shape::Image(h, w, _)) => Shape::Image(h, w, *units),
            (Layer::Conv { k, filters, strides, padding, .. }, Shape::Image(h, w, _)) => {
                Shape::Image(keras_out(h, k.0, strides.0, *padding), keras_out(w, k.1, strides.1, *padding), *filters)
            }
            (Layer::Pool { pool, strides, padding }, Shape::Image(h, w, c)) => {
                Shape::Image(keras_out(h, pool.0, strides.0, *padding), keras_out(w, pool.1, strides.1, *padding), c)
            }
            (Layer::Flatten, s) => Shape::Flat(s.len()),
            (Layer::Act(_), s) => s,
            _ => panic!("layer does not fit shape {shape:?}"),
        };
    }
    shape
}

/// Keras/TensorFlow output size, written independently of the library.
fn keras_out(input: usize, k: usize, s: usize, padding: Padding) -> usize {
    match padding {
        Padding::Valid => (input - k) / s + 1,
        Padding::Same => input.div_ceil(s),
    }
}

/// TensorFlow's SAME padding before the first pixel.
fn keras_pad_before(input: usize, k: usize, s: usize) -> usize {
    let out = input.div_ceil(s);
    (((out - 1) * s + k).saturating_sub(input)) / 2
}

impl Model {
    fn build(&self, classes: usize) -> Vec<u8> {
        let mut b = match self.input {
            Shape::Flat(d) => GraphBuilder::feature_input(d),
            Shape::Image(h, w, c) => {
                assert!(self.image);
                GraphBuilder::image_input(h, w, c)
            }
        };
        let mut shape = self.input;
        for layer in &self.layers {
            match layer {
                Layer::Dense { kernel, bias, units } => {
                    let fan_in = match shape {
                        Shape::Flat(d) => d,
                        Shape::Image(_, _, c) => c,
                    };
                    b.dense(kernel, bias, fan_in, *units)
                }
                Layer::Conv { kernel, bias, k, filters, strides, padding } => {
                    let Shape::Image(_, _, c) = shape else { unreachable!() };
                    b.conv2d(kernel, bias, k.0, k.1, c, *filters, *strides, *padding)
                }
                Layer::Pool { pool, strides, padding } => b.max_pool2d(*pool, *strides, *padding),
                Layer::Flatten => b.flatten(),
                Layer::Act(a) => b.activation(*a),
            }
            shape = reference_shape(shape, std::iter::once(layer));
        }
        let classes: Vec<String> = (0..classes).map(|i| format!("class {i}")).collect();
        b.finish(&classes, &[("spec".into(), "{\"test\":true}".into())]).expect("model builds")
    }

    fn output_shape(&self) -> Shape {
        reference_shape(self.input, self.layers.iter())
    }

    /// Naive forward of one sample (NHWC, f64 sums), Keras semantics.
    fn reference(&self, sample: &[f32]) -> Vec<f32> {
        let mut x = sample.to_vec();
        let mut shape = self.input;
        for layer in &self.layers {
            x = match (layer, shape) {
                (Layer::Dense { kernel, bias, units }, s) => {
                    let fan_in = match s {
                        Shape::Flat(d) => d,
                        Shape::Image(_, _, c) => c,
                    };
                    // Applies to the last axis of whatever shape (Keras Dense).
                    let rows = x.len() / fan_in;
                    let mut y = vec![0f32; rows * units];
                    for r in 0..rows {
                        for u in 0..*units {
                            let mut acc = bias[u] as f64;
                            for i in 0..fan_in {
                                acc += x[r * fan_in + i] as f64 * kernel[i * units + u] as f64;
                            }
                            y[r * units + u] = acc as f32;
                        }
                    }
                    y
                }
                (Layer::Conv { kernel, bias, k, filters, strides, padding }, Shape::Image(h, w, c)) => {
                    let oh = keras_out(h, k.0, strides.0, *padding);
                    let ow = keras_out(w, k.1, strides.1, *padding);
                    let (top, left) = match padding {
                        Padding::Valid => (0, 0),
                        Padding::Same => (keras_pad_before(h, k.0, strides.0), keras_pad_before(w, k.1, strides.1)),
                    };
                    let mut y = vec![0f32; oh * ow * filters];
                    for oy in 0..oh {
                        for ox in 0..ow {
                            for o in 0..*filters {
                                let mut acc = bias[o] as f64;
                                for ky in 0..k.0 {
                                    for kx in 0..k.1 {
                                        let iy = (oy * strides.0 + ky) as isize - top as isize;
                                        let ix = (ox * strides.1 + kx) as isize - left as isize;
                                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                            continue; // zero padding
                                        }
                                        for i in 0..c {
                                            let v = x[((iy as usize) * w + ix as usize) * c + i] as f64;
                                            acc += v * kernel[((ky * k.1 + kx) * c + i) * filters + o] as f64;
                                        }
                                    }
                                }
                                y[(oy * ow + ox) * filters + o] = acc as f32;
                            }
                        }
                    }
                    y
                }
                (Layer::Pool { pool, strides, padding }, Shape::Image(h, w, c)) => {
                    let oh = keras_out(h, pool.0, strides.0, *padding);
                    let ow = keras_out(w, pool.1, strides.1, *padding);
                    let (top, left) = match padding {
                        Padding::Valid => (0, 0),
                        Padding::Same => (keras_pad_before(h, pool.0, strides.0), keras_pad_before(w, pool.1, strides.1)),
                    };
                    let mut y = vec![f32::NEG_INFINITY; oh * ow * c];
                    for oy in 0..oh {
                        for ox in 0..ow {
                            for ch in 0..c {
                                let cell = &mut y[(oy * ow + ox) * c + ch];
                                for py in 0..pool.0 {
                                    for px in 0..pool.1 {
                                        let iy = (oy * strides.0 + py) as isize - top as isize;
                                        let ix = (ox * strides.1 + px) as isize - left as isize;
                                        if iy >= 0 && ix >= 0 && iy < h as isize && ix < w as isize {
                                            *cell = cell.max(x[((iy as usize) * w + ix as usize) * c + ch]);
                                        }
                                    }
                                }
                            }
                        }
                    }
                    y
                }
                (Layer::Flatten, _) => x, // NHWC order is already Keras's flatten order
                (Layer::Act(a), s) => {
                    let last = match s {
                        Shape::Flat(d) => d,
                        Shape::Image(_, _, c) => c,
                    };
                    activate(*a, &mut x, last);
                    x
                }
                _ => unreachable!(),
            };
            shape = reference_shape(shape, std::iter::once(layer));
        }
        x
    }
}

fn activate(a: Activation, x: &mut [f32], last_axis: usize) {
    match a {
        Activation::Linear => {}
        Activation::Relu => x.iter_mut().for_each(|v| *v = v.max(0.0)),
        Activation::Sigmoid => x.iter_mut().for_each(|v| *v = (1.0 / (1.0 + (-*v as f64).exp())) as f32),
        Activation::Tanh => x.iter_mut().for_each(|v| *v = (*v as f64).tanh() as f32),
        Activation::Softmax => {
            for row in x.chunks_mut(last_axis) {
                let max = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
                let sum: f64 = row.iter().map(|&v| (v as f64 - max).exp()).sum();
                row.iter_mut().for_each(|v| *v = ((*v as f64 - max).exp() / sum) as f32);
            }
        }
    }
}

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
            model(Shape::Flat(6), false, &[Spec::Dense(5, Relu), Spec::Dense(4, Tanh), Spec::Dense(3, Softmax)], 1),
            3,
        ),
        (
            "image_mlp_flatten",
            model(Shape::Image(5, 4, 2), true, &[Spec::Flatten, Spec::Dense(7, Sigmoid), Spec::Dense(3, Softmax)], 2),
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

fn venv_python() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python")
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

    let python = venv_python();
    assert!(python.exists(), "{} is missing: run scripts/setup.sh", python.display());
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
    assert!(out.status.success(), "checker failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            stdout.contains(&format!("ok {name} 8 17 input probabilities N")),
            "{name} missing from checker output:\n{stdout}"
        );
    }
}

#[test]
fn model_header_input_types_and_metadata() {
    let mut b = GraphBuilder::image_input(2, 2, 1);
    b.flatten();
    b.dense(&[0.0; 8], &[0.0; 2], 4, 2);
    b.activation(Activation::Softmax);
    let classes = vec!["NORMAL".to_string(), "PNEUMONIA".to_string()];
    let bytes = b.finish(&classes, &[("spec".into(), "name = \"x\"".into())]).unwrap();
    let model = ModelProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(model.ir_version, Some(8));
    assert_eq!(model.opset_import.len(), 1);
    assert_eq!(model.opset_import[0].version, Some(17));
    assert_eq!(model.producer_name.as_deref(), Some("lab-pipeline"));
    let graph = model.graph.unwrap();
    let input = graph.input[0].r#type.as_ref().unwrap().tensor_type.as_ref().unwrap();
    assert_eq!(input.elem_type, Some(data_type::UINT8));
    let dims: Vec<_> = input.shape.as_ref().unwrap().dim.iter().map(|d| d.value.clone().unwrap()).collect();
    assert_eq!(
        dims,
        vec![
            DimensionValue::DimParam("N".into()),
            DimensionValue::DimValue(2),
            DimensionValue::DimValue(2),
            DimensionValue::DimValue(1)
        ]
    );
    let ops: Vec<_> = graph.node.iter().map(|n| n.op_type.clone().unwrap()).collect();
    assert_eq!(ops, ["Cast", "Div", "Flatten", "Gemm", "Softmax"]);
    assert_eq!(graph.node.last().unwrap().output, ["probabilities"]);

    let metadata = read_metadata(&bytes).unwrap();
    assert_eq!(metadata[0], ("classes".to_string(), r#"["NORMAL","PNEUMONIA"]"#.to_string()));
    assert_eq!(metadata[1], ("spec".to_string(), "name = \"x\"".to_string()));
    assert_eq!(metadata[2].0, "producer");
    assert!(metadata[2].1.starts_with("lab-pipeline "), "{:?}", metadata[2]);
    assert_eq!(metadata.len(), 3);

    // Feature input is float32 [N, D]; a caller's `producer` replaces the default one.
    let mut b = GraphBuilder::feature_input(3);
    b.dense(&[0.0; 3], &[0.5], 3, 1);
    b.activation(Activation::Sigmoid);
    let bytes = b.finish(&classes, &[("producer".into(), "me".into())]).unwrap();
    let model = ModelProto::decode(bytes.as_slice()).unwrap();
    let input = model.graph.unwrap().input[0].r#type.clone().unwrap().tensor_type.unwrap();
    assert_eq!(input.elem_type, Some(data_type::FLOAT));
    assert_eq!(read_metadata(&bytes).unwrap()[1], ("producer".to_string(), "me".to_string()));
    let (shape, probabilities) =
        run_model(&bytes, InputTensor::F32 { shape: &[2, 3], data: &[1.0, 2.0, 3.0, 0.0, 0.0, 0.0] }).unwrap();
    assert_eq!(shape, [2, 1]);
    let sigmoid_half = 1.0 / (1.0 + (-0.5f32).exp());
    assert!(probabilities.iter().all(|p| (p - sigmoid_half).abs() < 1e-7), "{probabilities:?}");
}

#[test]
fn a_model_without_layers_is_an_identity() {
    let b = GraphBuilder::feature_input(2);
    let classes = vec!["a".to_string(), "b".to_string()];
    let bytes = b.finish(&classes, &[]).unwrap();
    let (shape, out) = run_model(&bytes, InputTensor::F32 { shape: &[1, 2], data: &[0.25, 0.75] }).unwrap();
    assert_eq!((shape, out), (vec![1, 2], vec![0.25, 0.75]));
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

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

fn error_of(b: GraphBuilder, classes: usize, extra: &[(String, String)]) -> String {
    format!("{:#}", b.finish(&names(classes), extra).unwrap_err())
}

#[test]
fn misuse_is_reported_by_finish() {
    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 7], &[0.0; 2], 4, 2);
    let e = error_of(b, 2, &[]);
    assert!(e.contains("dense_1") && e.contains("7 values") && e.contains("expected 8"), "{e}");

    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 6], &[0.0; 2], 3, 2);
    let e = error_of(b, 2, &[]);
    assert!(e.contains("declared 3 inputs but the previous layer gives 4"), "{e}");

    let mut b = GraphBuilder::feature_input(4);
    b.conv2d(&[0.0; 9], &[0.0], 3, 3, 1, 1, (1, 1), Padding::Same);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("conv2d_1 needs an image tensor"), "{e}");

    let mut b = GraphBuilder::feature_input(4);
    b.max_pool2d((2, 2), (2, 2), Padding::Valid);
    let e = error_of(b, 4, &[]);
    assert!(e.contains("max_pooling2d_1 needs an image tensor"), "{e}");

    let mut b = GraphBuilder::image_input(5, 5, 3);
    b.conv2d(&[0.0; 9], &[0.0], 3, 3, 1, 1, (1, 1), Padding::Same);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("declared 1 input channels but the previous layer gives 3"), "{e}");

    let mut b = GraphBuilder::image_input(5, 5, 1);
    b.conv2d(&[0.0; 8], &[0.0], 3, 3, 1, 1, (1, 1), Padding::Same);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("kernel has 8 values") && e.contains("expected 9"), "{e}");

    let mut b = GraphBuilder::image_input(2, 5, 1);
    b.conv2d(&[0.0; 9], &[0.0], 3, 3, 1, 1, (1, 1), Padding::Valid);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("3×3 kernel with valid padding does not fit a 2×5 input"), "{e}");

    let mut b = GraphBuilder::image_input(5, 5, 1);
    b.conv2d(&[0.0; 9], &[0.0], 3, 3, 1, 1, (0, 1), Padding::Same);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("must all be at least 1"), "{e}");

    let mut b = GraphBuilder::image_input(3, 3, 1);
    b.max_pool2d((4, 4), (4, 4), Padding::Valid);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("4×4 pool with valid padding does not fit a 3×3 input"), "{e}");

    // The first error wins; later calls do not overwrite it.
    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 1], &[0.0; 2], 4, 2);
    b.conv2d(&[0.0; 9], &[0.0], 3, 3, 1, 1, (1, 1), Padding::Same);
    let e = error_of(b, 2, &[]);
    assert!(e.contains("dense_1") && !e.contains("conv2d"), "{e}");

    let e = error_of(GraphBuilder::image_input(0, 5, 1), 1, &[]);
    assert!(e.contains("empty dimension"), "{e}");
    let e = error_of(GraphBuilder::feature_input(0), 1, &[]);
    assert!(e.contains("dimension 0"), "{e}");
}

#[test]
fn output_width_must_match_the_classes_and_metadata_keys_are_unique() {
    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 12], &[0.0; 3], 4, 3);
    let e = error_of(b, 2, &[]);
    assert!(e.contains("outputs 3 value(s) per row but there are 2 classes"), "{e}");

    // One sigmoid column stands for two classes, not three.
    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 4], &[0.0; 1], 4, 1);
    let e = error_of(b, 3, &[]);
    assert!(e.contains("outputs 1 value(s) per row but there are 3 classes"), "{e}");

    let b = GraphBuilder::feature_input(2);
    let e = error_of(b, 2, &[("classes".into(), "[]".into())]);
    assert!(e.contains("metadata key `classes` is given twice"), "{e}");

    let b = GraphBuilder::feature_input(2);
    let e = error_of(b, 2, &[("spec".into(), "a".into()), ("spec".into(), "b".into())]);
    assert!(e.contains("metadata key `spec` is given twice"), "{e}");
}

#[test]
fn bad_bytes_are_not_a_model() {
    let e = format!("{:#}", read_metadata(b"\xff\xff\xff").unwrap_err());
    assert!(e.contains("not an ONNX model"), "{e}");
    let e = format!("{:#}", run_model(b"\x08\x08", InputTensor::F32 { shape: &[1, 1], data: &[0.0] }).unwrap_err());
    assert!(e.contains("ONNX Runtime rejects the model"), "{e}");
}
