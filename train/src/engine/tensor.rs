//! The one tensor type of the engine: a batch of samples, row-major; images are
//! channel-planar, `[N, C, H, W]`.
//!
//! Planar images let `Conv2D` read each kernel tap as a shifted view of a padded plane
//! and vectorise along positions (see `layers/conv2d.rs`). Everything Keras-facing keeps
//! Keras's channels-last order: layer shapes in summaries are `[H, W, C]`, `Flatten`
//! emits h, w, c, the data files and the exported ONNX graph take NHWC.

use std::mem::MaybeUninit;

/// Public as the argument and result of [`crate::Model::predict`].
/// `shape[0]` is the batch size; the rest is one sample's shape in memory
/// (`[C, H, W]` for images, `[D]` for vectors). `data` is row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// The batch size, then one sample's shape.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<f32>,
}

impl Tensor {
    /// A tensor of `shape` holding `data` (panics when the lengths differ).
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "tensor data does not match shape {shape:?}"
        );
        Tensor { shape, data }
    }

    /// Number of samples.
    pub(crate) fn batch(&self) -> usize {
        self.shape[0]
    }

    /// Values per sample.
    pub(crate) fn sample_len(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// The size of the last axis (units, channels, classes).
    pub(crate) fn last_dim(&self) -> usize {
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

/// A batch buffer that rayon tasks write sample by sample, with no zeroing pass first:
/// a serial `vec![0.0; len]` of a 16 MB activation cost as much as a layer's arithmetic.
pub struct Unwritten {
    data: Vec<f32>,
    len: usize,
}

impl Unwritten {
    pub fn new(len: usize) -> Self {
        Unwritten { data: Vec::with_capacity(len), len }
    }

    /// The buffer in pieces of `chunk` values, to zip with the other per-sample slices.
    pub fn par_chunks_mut(
        &mut self,
        chunk: usize,
    ) -> rayon::slice::ChunksMut<'_, MaybeUninit<f32>> {
        use rayon::prelude::*;
        self.data.spare_capacity_mut()[..self.len].par_chunks_mut(chunk)
    }

    /// # Safety
    /// Every value has been written.
    pub unsafe fn assume_init(mut self) -> Vec<f32> {
        // SAFETY: the caller wrote all `len` values; capacity ≥ len.
        unsafe { self.data.set_len(self.len) };
        self.data
    }
}

/// Zeroes a piece of an [`Unwritten`] buffer (in cache, by the task about to fill it).
pub fn zeroed(chunk: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    chunk.fill(MaybeUninit::new(0.0));
    // SAFETY: every value was just written.
    unsafe { assume_init_mut(chunk) }
}

/// # Safety
/// Every value of `chunk` has been written.
pub(crate) unsafe fn assume_init_mut(chunk: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    // SAFETY: MaybeUninit<f32> has f32's layout; the caller guarantees initialisation.
    unsafe { &mut *(chunk as *mut [MaybeUninit<f32>] as *mut [f32]) }
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
    fn unwritten_buffers_and_lane_sums() {
        use rayon::prelude::*;
        let mut b = Unwritten::new(10);
        b.par_chunks_mut(4)
            .enumerate()
            .for_each(|(i, c)| zeroed(c).iter_mut().for_each(|v| *v = i as f32));
        // SAFETY: every chunk was zeroed then written.
        assert_eq!(unsafe { b.assume_init() }, [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0]);
        for len in [0, 3, 8, 21] {
            let v: Vec<f32> = (0..len).map(|i| i as f32 * 0.5).collect();
            assert_eq!(
                lane_sum(&v),
                v.iter().sum::<f32>(),
                "small integers/2 add exactly in any order"
            );
        }
    }
}
