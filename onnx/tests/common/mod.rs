//! The Keras reference the layer tests compare ONNX Runtime with: test models
//! described layer by layer ([`Spec`]) with seeded random weights ([`model`]), built
//! through [`GraphBuilder`] ([`Model::build`]) and run by a naive forward pass written
//! here independently of the library (loops, NHWC, f64 sums; [`Model::reference`]).

use onnx::{Activation, GraphBuilder, Padding, Size2};
use testkit::Rng;

/// One layer of a test model, with its weights.
#[derive(Clone)]
pub enum Layer {
    Dense {
        kernel: Vec<f32>,
        bias: Vec<f32>,
        units: usize,
    },
    Conv {
        kernel: Vec<f32>,
        bias: Vec<f32>,
        k: (usize, usize),
        filters: usize,
        strides: (usize, usize),
        padding: Padding,
    },
    Pool {
        pool: (usize, usize),
        strides: (usize, usize),
        padding: Padding,
    },
    Flatten,
    Act(Activation),
}

/// Shape without the batch: `[D]` or `[H, W, C]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    Flat(usize),
    Image(usize, usize, usize),
}

impl Shape {
    pub fn len(self) -> usize {
        match self {
            Shape::Flat(d) => d,
            Shape::Image(h, w, c) => h * w * c,
        }
    }
}

/// Layer descriptions without weights; `model` draws the weights.
pub enum Spec {
    Dense(usize, Activation),
    Conv((usize, usize), usize, (usize, usize), Padding, Activation),
    Pool((usize, usize), (usize, usize), Padding),
    Flatten,
}

pub struct Model {
    pub input: Shape,
    pub image: bool,
    pub layers: Vec<Layer>,
}

pub fn model(input: Shape, image: bool, specs: &[Spec], seed: u64) -> Model {
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
                layers.push(Layer::Dense {
                    kernel: rng.vec(fan_in * units, 0.5),
                    bias: rng.vec(units, 0.2),
                    units,
                });
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
            Spec::Pool(pool, strides, padding) => {
                layers.push(Layer::Pool { pool, strides, padding })
            }
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
                Shape::Image(
                    keras_out(h, k.0, strides.0, *padding),
                    keras_out(w, k.1, strides.1, *padding),
                    *filters,
                )
            }
            (Layer::Pool { pool, strides, padding }, Shape::Image(h, w, c)) => Shape::Image(
                keras_out(h, pool.0, strides.0, *padding),
                keras_out(w, pool.1, strides.1, *padding),
                c,
            ),
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
    pub fn build(&self, classes: usize) -> Vec<u8> {
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
                    let size = |(rows, cols): (usize, usize)| Size2::new(rows, cols);
                    b.conv2d(kernel, bias, size(*k), c, *filters, size(*strides), *padding)
                }
                Layer::Pool { pool, strides, padding } => b.max_pool2d(
                    Size2::new(pool.0, pool.1),
                    Size2::new(strides.0, strides.1),
                    *padding,
                ),
                Layer::Flatten => b.flatten(),
                Layer::Act(a) => b.activation(*a),
            }
            shape = reference_shape(shape, std::iter::once(layer));
        }
        let classes: Vec<String> = (0..classes).map(|i| format!("class {i}")).collect();
        b.finish(&classes, &[("spec".into(), "{\"test\":true}".into())]).expect("model builds")
    }

    pub fn output_shape(&self) -> Shape {
        reference_shape(self.input, self.layers.iter())
    }

    /// Naive forward of one sample (NHWC, f64 sums), Keras semantics.
    pub fn reference(&self, sample: &[f32]) -> Vec<f32> {
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
                (
                    Layer::Conv { kernel, bias, k, filters, strides, padding },
                    Shape::Image(h, w, c),
                ) => {
                    let oh = keras_out(h, k.0, strides.0, *padding);
                    let ow = keras_out(w, k.1, strides.1, *padding);
                    let (top, left) = match padding {
                        Padding::Valid => (0, 0),
                        Padding::Same => (
                            keras_pad_before(h, k.0, strides.0),
                            keras_pad_before(w, k.1, strides.1),
                        ),
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
                                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize
                                        {
                                            continue; // zero padding
                                        }
                                        for i in 0..c {
                                            let v =
                                                x[((iy as usize) * w + ix as usize) * c + i] as f64;
                                            acc += v * kernel
                                                [((ky * k.1 + kx) * c + i) * filters + o]
                                                as f64;
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
                        Padding::Same => (
                            keras_pad_before(h, pool.0, strides.0),
                            keras_pad_before(w, pool.1, strides.1),
                        ),
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
                                        if iy >= 0 && ix >= 0 && iy < h as isize && ix < w as isize
                                        {
                                            *cell = cell
                                                .max(x[((iy as usize) * w + ix as usize) * c + ch]);
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
        Activation::Sigmoid => {
            x.iter_mut().for_each(|v| *v = (1.0 / (1.0 + (-*v as f64).exp())) as f32)
        }
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
