//! The model's tests: weight counts against Keras, shapes, refused layer lists, fused pools
//! against the plain layers, and the whole-model gradient check.

use formats::DatasetKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::engine::tensor::Tensor;
use crate::layers::gradcheck::{random, Probes};
use crate::layers::{Activation, Ctx};
use crate::loss::Loss;
use crate::loss::LossFn;
use crate::optim::Optimizer;
use crate::spec::LayerSpec;
use crate::spec::{self, ModelSpec};

fn example(name: &str) -> ModelSpec {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.toml"));
    spec::from_file(&path).unwrap()
}

fn weights(name: &str, kind: DatasetKind, shape: &[usize]) -> (usize, Vec<usize>) {
    let spec = example(name);
    let model = Model::build(&spec.layers, kind, shape, spec.seed).unwrap();
    (model.param_count(), model.layers.iter().map(|l| l.param_count()).collect())
}

#[test]
fn a_warm_start_from_nan_weights_is_refused() {
    let spec = example("mlp");
    let mut model = Model::build(&spec.layers, DatasetKind::Image, &[28, 28, 1], 1).unwrap();
    let mut w = model.weights();
    w[2][7] = f32::NAN;
    model.set_weights(&w);
    let classes: Vec<String> = (0..10).map(|c| c.to_string()).collect();
    let bytes = crate::export::to_onnx(&model, &classes, &[]).unwrap();
    let mut fresh = Model::build(&spec.layers, DatasetKind::Image, &[28, 28, 1], 2).unwrap();
    let err = fresh.load_weights(&bytes, "--init-from m.onnx").unwrap_err().to_string();
    assert!(err.contains("NaN in weight tensor 0 of layer dense_2"), "{err}");
}

#[test]
fn weight_counts_equal_keras() {
    assert_eq!(
        weights("mlp", DatasetKind::Image, &[28, 28, 1]),
        (24_790, vec![0, 23_550, 930, 310])
    );
    assert_eq!(weights("hog_mlp", DatasetKind::Features, &[392]), (40_310, vec![39_300, 1_010]));
    assert_eq!(
        weights("cnn", DatasetKind::Image, &[28, 28, 1]),
        (4_940, vec![500, 0, 2_510, 0, 910, 0, 0, 910, 110])
    );
    let (total, per) = weights("pneumonia_cnn", DatasetKind::Image, &[128, 128, 1]);
    // 80+1168+4640+18496+73856 conv; 4·4·128 = 2048 → 32: 65,568; 528; 17
    assert_eq!(
        per.iter().filter(|p| **p > 0).copied().collect::<Vec<_>>(),
        [80, 1_168, 4_640, 18_496, 73_856, 65_568, 528, 17]
    );
    assert_eq!(total, 164_353);
}

#[test]
fn cnn_shapes_follow_the_floor_rule() {
    let spec = example("cnn");
    let model = Model::build(&spec.layers, DatasetKind::Image, &[28, 28, 1], 1).unwrap();
    let shapes: Vec<Vec<usize>> = model.layers.iter().map(|l| l.output_shape()).collect();
    assert_eq!(shapes[5], [3, 3, 10], "7 pooled by 2 → 3");
    assert_eq!(shapes[6], [90]);
    model.check_output(Loss::CategoricalCrossentropy, 10).unwrap();
    let e = model.check_output(Loss::CategoricalCrossentropy, 2).unwrap_err().to_string();
    assert!(e.contains("units = 2"), "{e}");
    let e = model.check_output(Loss::BinaryCrossentropy, 2).unwrap_err().to_string();
    assert!(e.contains("\"sigmoid\""), "{e}");
}

#[test]
fn shape_mismatches_are_explained() {
    let spec = example("mlp");
    let e = Model::build(&spec.layers[1..], DatasetKind::Image, &[28, 28, 1], 1)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("layer 1 (dense) needs a flat input; it gets [28, 28, 1]"), "{e}");
    let spec = example("cnn");
    let e = Model::build(&spec.layers, DatasetKind::Features, &[392], 1).err().unwrap().to_string();
    assert!(e.contains("layer 1 (conv2d) needs an image input [H, W, C]; it gets [392]"), "{e}");
    let e =
        Model::build(&spec.layers, DatasetKind::Image, &[4, 4, 1], 1).err().unwrap().to_string();
    assert!(e.contains("pool does not fit"), "{e}");
    let softmax_image = [LayerSpec::Activation { activation: Activation::Softmax }];
    let e =
        Model::build(&softmax_image, DatasetKind::Image, &[4, 4, 3], 1).err().unwrap().to_string();
    assert!(e.contains("layer 1 (activation): softmax over the channels of an image [4, 4, 3] is not supported"), "{e}");
}

/// Dropout's stream in the whole-model check: a fresh one per pass, so the same mask.
const DROPOUT_SEED: u64 = 17;
/// Its central-difference step: small, so that few steps cross a ReLU or pooling kink.
const STEP: f32 = 1e-3;

/// A training pass (dropout on) at `x`: the mean weighted loss L = (1/N) Σ wᵢℓᵢ from the
/// logits, and which piece of its piecewise-linear parts the pass is on — each hidden
/// ReLU's zeroed outputs and the inputs each pooling layer routes its gradient to (its
/// windows' winners). A difference quotient is exact only when both steps stay on it.
fn probe(
    model: &mut Model,
    loss: Loss,
    x: &Tensor,
    labels: &[usize],
    weights: &[f32],
) -> (f64, Vec<Vec<bool>>) {
    let mut rng = ChaCha8Rng::seed_from_u64(DROPOUT_SEED);
    let logits = model.forward(x.clone(), &mut Ctx { training: true, rng: &mut rng }, false);
    let l = loss.evaluate(&logits.data, logits.last_dim(), labels, weights).weighted_sum
        / labels.len() as f64;
    // The same pass layer by layer, reading the pieces off.
    let mut rng = ChaCha8Rng::seed_from_u64(DROPOUT_SEED);
    let mut ctx = Ctx { training: true, rng: &mut rng };
    let last = model.layers.len() - 1;
    let mut x = x.clone();
    let mut pieces = Vec::new();
    for (i, layer) in model.layers.iter_mut().enumerate() {
        x = layer.forward(x, &mut ctx, i != last);
        if layer.activation() == Some(Activation::Relu) {
            pieces.push(x.data.iter().map(|v| *v <= 0.0).collect());
        }
        if layer.type_name() == "MaxPooling2D" {
            let routed = layer
                .backward(Tensor::new(x.shape.clone(), vec![1.0; x.data.len()]), true)
                .unwrap();
            pieces.push(routed.data.iter().map(|g| *g != 0.0).collect());
        }
    }
    (l, pieces)
}

#[test]
fn fused_pools_train_the_seed_cnn_to_the_same_bits() {
    let spec = example("cnn");
    let build = if_fused(&spec);
    let (mut fused, mut plain) = (build(true), build(false));
    let fused_pools = fused.layers.iter().filter(|l| l.type_name() == "MaxPooling2D");
    assert_eq!(fused_pools.count(), 3);
    let n = 5;
    let x = Tensor::new(vec![n, 1, 28, 28], random(n * 784, 0.0, 1.0, 21));
    let labels = [3, 1, 4, 1, 5];
    let mut optimizers =
        [Optimizer::new(spec.optimizer.clone()), Optimizer::new(spec.optimizer.clone())];
    for step in 0..3 {
        for (model, opt) in [&mut fused, &mut plain].into_iter().zip(&mut optimizers) {
            let mut rng = ChaCha8Rng::seed_from_u64(step);
            let logits =
                model.forward(x.clone(), &mut Ctx { training: true, rng: &mut rng }, false);
            let b = spec.loss.evaluate(&logits.data, logits.last_dim(), &labels, &[1.0; 5]);
            model.backward(Tensor::new(logits.shape, b.grad), false);
            opt.apply(model.params_and_grads());
        }
        let bits =
            |m: &Model| -> Vec<u32> { m.weights().concat().iter().map(|v| v.to_bits()).collect() };
        assert_eq!(bits(&fused), bits(&plain), "weights after step {}", step + 1);
    }
}

#[test]
fn backward_stops_at_the_first_layer_with_weights() {
    let spec = example("mlp");
    let mut model =
        Model::build(&spec.layers, DatasetKind::Image, &[28, 28, 1], spec.seed).unwrap();
    assert_eq!(model.layers[0].type_name(), "Flatten");
    let x = Tensor::new(vec![4, 1, 28, 28], random(4 * 784, 0.0, 1.0, 22));
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let logits = model.forward(x, &mut Ctx { training: true, rng: &mut rng }, false);
    let grad = Tensor::new(logits.shape.clone(), random(logits.data.len(), -1.0, 1.0, 23));
    assert!(model.backward(grad.clone(), false).is_none());
    // dense_1 made no 4×784 input gradient, and Flatten was not called.
    assert_eq!(model.clocks[1].input_grad_samples, 0);
    assert_eq!(model.clocks[2].input_grad_samples, 4);
    assert_eq!(model.clocks[0].backward, std::time::Duration::ZERO);
    // Asked for, the input gradient comes back through every layer.
    let dx = model.backward(grad, true).unwrap();
    assert_eq!(dx.shape, [4, 1, 28, 28]);
}

/// Builds `spec`'s model with or without the fused pools.
fn if_fused(spec: &ModelSpec) -> impl Fn(bool) -> Model + '_ {
    move |fuse| {
        let build = if fuse { Model::build } else { Model::build_unfused };
        build(&spec.layers, DatasetKind::Image, &spec.input_shape.clone().unwrap(), spec.seed)
            .unwrap()
    }
}

/// Every layer type in one chain, the loss included: dL/dx and dL/dθ for every input
/// value and every parameter, from `Model::backward`, against central differences of L.
#[test]
fn whole_model_gradient_check() {
    let chain = r#"
[[layers]]
type = "conv2d"
filters = 3
kernel_size = 3
padding = "same"
activation = "relu"
[[layers]]
type = "max_pool2d"
[[layers]]
type = "activation"
activation = "tanh"
[[layers]]
type = "flatten"
[[layers]]
type = "dense"
units = 6
activation = "relu"
[[layers]]
type = "dropout"
rate = 0.4
"#;
    // (loss, last layer, labels, class weights)
    let cases = [
        (
            "categorical_crossentropy",
            "units = 3\nactivation = \"softmax\"",
            vec![0, 2, 1],
            vec![1.0, 2.5, 0.5],
        ),
        (
            "binary_crossentropy",
            "units = 1\nactivation = \"sigmoid\"",
            vec![1, 0, 1],
            vec![0.7, 1.6],
        ),
    ];
    for (loss_name, last, labels, class_weights) in cases {
        let text = format!("loss = \"{loss_name}\"\n{chain}[[layers]]\ntype = \"dense\"\n{last}\n");
        let spec = ModelSpec::from_toml_str(&text).unwrap();
        // Unfused, so that `probe` can read each pool's winners off its own layer; the
        // fused model computes the same bits (`fused_pools_train_the_seed_cnn_to_the_same_bits`).
        let mut model =
            Model::build_unfused(&spec.layers, DatasetKind::Image, &[6, 6, 2], 1).unwrap();
        model.check_output(spec.loss, class_weights.len()).unwrap();
        let kinds: Vec<&str> = model.layers.iter().map(|l| l.type_name()).collect();
        assert_eq!(
            kinds,
            ["Conv2D", "MaxPooling2D", "Activation", "Flatten", "Dense", "Dropout", "Dense"]
        );
        // Non-zero biases too, so that no gradient is a special case.
        for (i, (p, _)) in model.params_and_grads().into_iter().enumerate() {
            p.copy_from_slice(&random(p.len(), -0.5, 0.5, 20 + i as u64));
        }
        // Seeds (here and above) with no ReLU input or pooling window within a step of
        // its kink, so that every coordinate is compared (the ones that cross would be skipped).
        let x = Tensor::new(vec![3, 2, 6, 6], random(3 * 72, 0.0, 1.0, 31));
        let weights: Vec<f32> = labels.iter().map(|&l| class_weights[l]).collect();
        let (loss, labels) = (spec.loss, &labels[..]);

        // Analytical: the training pass, the fused loss gradient, the model's backward.
        let inference = model.forward(
            x.clone(),
            &mut Ctx { training: false, rng: &mut ChaCha8Rng::seed_from_u64(0) },
            false,
        );
        let mut rng = ChaCha8Rng::seed_from_u64(DROPOUT_SEED);
        let logits = model.forward(x.clone(), &mut Ctx { training: true, rng: &mut rng }, false);
        assert_ne!(logits.data, inference.data, "dropout is on in the training pass");
        let b = loss.evaluate(&logits.data, logits.last_dim(), labels, &weights);
        let dx = model.backward(Tensor::new(logits.shape, b.grad), true).unwrap();
        assert_eq!(dx.shape, x.shape);
        let grads: Vec<Vec<f32>> =
            model.params_and_grads().into_iter().map(|(_, g)| g.to_vec()).collect();

        let (_, base) = probe(&mut model, loss, &x, labels, &weights);
        assert!(
            base.iter().all(|p| p.contains(&true) && p.contains(&false)),
            "{loss_name}: a ReLU or a pool on one side only"
        );
        // Compares one coordinate; false when a step left the base's pieces (skipped).
        let compare = |(plus, plus_pieces): (f64, Vec<Vec<bool>>),
                       (minus, minus_pieces): (f64, Vec<Vec<bool>>),
                       ana: f32,
                       what: String| {
            if plus_pieces != base || minus_pieces != base {
                return false;
            }
            let (num, ana) = ((plus - minus) / (2.0 * STEP as f64), ana as f64);
            // f32 rounding of L (~1e-7) is ~5e-5 over a 2·STEP step; the O(STEP²) truncation ~1e-6
            // of the value. Seen: at most 2e-5 apart.
            let tol = 1e-4 + 1e-2 * num.abs().max(ana.abs());
            assert!(
                (num - ana).abs() <= tol,
                "{loss_name}, {what}: numerical {num} vs analytical {ana}"
            );
            true
        };
        // Each tensor separately must be mostly compared, not skipped.
        let mut probes = Probes::default();
        for i in 0..x.data.len() {
            let (mut plus, mut minus) = (x.clone(), x.clone());
            plus.data[i] += STEP;
            minus.data[i] -= STEP;
            let (plus, minus) = (
                probe(&mut model, loss, &plus, labels, &weights),
                probe(&mut model, loss, &minus, labels, &weights),
            );
            probes.count(compare(plus, minus, dx.data[i], format!("input {i}")));
        }
        probes.finish(&format!("{loss_name}: input"));
        for (p, g) in grads.iter().enumerate() {
            let mut probes = Probes::default();
            for (i, &analytic) in g.iter().enumerate() {
                model.params_and_grads()[p].0[i] += STEP;
                let plus = probe(&mut model, loss, &x, labels, &weights);
                model.params_and_grads()[p].0[i] -= 2.0 * STEP;
                let minus = probe(&mut model, loss, &x, labels, &weights);
                model.params_and_grads()[p].0[i] += STEP;
                probes.count(compare(plus, minus, analytic, format!("parameter {p}[{i}]")));
            }
            probes.finish(&format!("{loss_name}: parameter {p}"));
        }
    }
}
