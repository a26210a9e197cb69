//! The one tensor type of the engine: a batch of samples, row-major; images are
//! channel-planar, `[N, C, H, W]`.
//!
//! Planar images let `Conv2D` read each kernel tap as a shifted view of a padded plane
//! and vectorise along positions (see `layers/conv2d.rs`). Everything Keras-facing keeps
//! Keras's channels-last order: layer shapes in summaries are `[H, W, C]`, `Flatten`
//! emits h, w, c, the data files and the exported ONNX graph take NHWC.

/// `shape[0]` is the batch size; the rest is one sample's shape in memory
/// (`[C, H, W]` for images, `[D]` for vectors). `data` is row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        assert_eq!(shape.iter().product::<usize>(), data.len(), "tensor data does not match shape {shape:?}");
        Tensor { shape, data }
    }

    pub fn zeros(shape: Vec<usize>) -> Self {
        let n = shape.iter().product();
        Tensor { shape, data: vec![0.0; n] }
    }

    /// Number of samples.
    pub fn batch(&self) -> usize {
        self.shape[0]
    }

    /// Values per sample.
    pub fn sample_len(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// The size of the last axis (units, channels, classes).
    pub fn last_dim(&self) -> usize {
        *self.shape.last().unwrap()
    }
}

/// `[batch] + sample_shape`.
pub fn batch_shape(batch: usize, sample_shape: &[usize]) -> Vec<usize> {
    let mut s = Vec::with_capacity(sample_shape.len() + 1);
    s.push(batch);
    s.extend_from_slice(sample_shape);
    s
}
