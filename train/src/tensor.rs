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

/// `len` zeros, written by the rayon pool: the layers' large batch buffers, which a
/// serial `vec![0.0; len]` would clear on one core while the other waits.
pub fn par_zeros(len: usize) -> Vec<f32> {
    use rayon::prelude::*;
    const CHUNK: usize = 1 << 16;
    if len < 4 * CHUNK {
        return vec![0.0; len];
    }
    let mut v: Vec<f32> = Vec::with_capacity(len);
    v.spare_capacity_mut()[..len].par_chunks_mut(CHUNK).for_each(|c| {
        c.fill(std::mem::MaybeUninit::new(0.0));
    });
    // SAFETY: every one of the `len` elements was initialised just above.
    unsafe { v.set_len(len) };
    v
}

/// Σ values with 8 independent partial sums (vectorisable, and the same order on every
/// run), then the partials in order and the tail.
pub fn lane_sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (l, v) in lanes.iter_mut().zip(c) {
            *l += v;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_zeros_and_lane_sums() {
        for len in [0, 5, 4 << 16, (4 << 16) + 3] {
            let z = par_zeros(len);
            assert_eq!(z.len(), len);
            assert!(z.iter().all(|v| *v == 0.0));
        }
        for len in [0, 3, 8, 21] {
            let v: Vec<f32> = (0..len).map(|i| i as f32 * 0.5).collect();
            assert_eq!(lane_sum(&v), v.iter().sum::<f32>(), "small integers/2 add exactly in any order");
        }
    }
}
