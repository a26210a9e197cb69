//! `MaxPooling2D`, Keras `layers.MaxPooling2D(pool_size, strides, padding)`.
//!
//! Shapes (Keras's): input `[H, W, C]` → output `[Ho, Wo, C]`; in memory channel-planar,
//! `[N, C, H, W]` → `[N, C, Ho, Wo]` (see `engine/tensor.rs`); no weights.
//! `valid` (Keras default): Ho = ⌊(H − ph)/sh⌋ + 1 — the floor rule, so 7 pooled by 2 gives 3
//! and the last row/column is dropped; `same`: Ho = ⌈H/sh⌉, padding as in `Conv2D`
//! (padded cells never win). Strides default to the pool size.
//!
//! Forward: each output is the maximum of its window, per channel; the position of
//! the maximum (first one on ties, scanning rows then columns) is remembered.
//!
//! Backward: each output gradient goes to the input position that won its window
//! (added, in case windows overlap); every other input gets 0.

use params::Size2;
use rayon::prelude::*;

use onnx::GraphBuilder;

use super::{output_len, Ctx, Layer, Padding};
use crate::engine::tensor::{zeroed, Tensor, Unwritten};

/// Where the windows of a max-pool fall on one input plane: one type for the
/// `MaxPooling2D` layer and for a pool that runs inside the convolution before it
/// (`Conv2d`'s fused pool, see [`PoolWindows::disjoint_unpadded`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolWindows {
    /// The input plane, (H, W).
    pub in_hw: (usize, usize),
    pub pool: (usize, usize),
    pub strides: (usize, usize),
    /// The output plane, (Ho, Wo).
    pub out_hw: (usize, usize),
    pub pad_top_left: (usize, usize),
}

impl PoolWindows {
    /// `None` when a `valid` window is larger than the input.
    pub fn new(
        in_hw: (usize, usize),
        pool: (usize, usize),
        strides: (usize, usize),
        padding: Padding,
    ) -> Option<Self> {
        let (ho, pt) = output_len(in_hw.0, pool.0, strides.0, padding)?;
        let (wo, pl) = output_len(in_hw.1, pool.1, strides.1, padding)?;
        Some(PoolWindows { in_hw, pool, strides, out_hw: (ho, wo), pad_top_left: (pt, pl) })
    }

    /// Whether every input lies in at most one window and every window lies inside the
    /// input: then each output's gradient lands on one input nobody else writes, and the
    /// pool can run inside the layer before it.
    pub fn disjoint_unpadded(&self) -> bool {
        let ((h, w), (ho, wo)) = (self.in_hw, self.out_hw);
        self.strides.0 >= self.pool.0
            && self.strides.1 >= self.pool.1
            && self.pad_top_left == (0, 0)
            && (ho - 1) * self.strides.0 + self.pool.0 <= h
            && (wo - 1) * self.strides.1 + self.pool.1 <= w
    }

    /// Pools one plane whose rows lie `row_stride` values apart into `out` `[Ho, Wo]`:
    /// each output is its window's maximum, and `argmax` gets `base + iy·row_stride + ix`
    /// of the first maximum scanning rows then columns (padded cells never win).
    pub fn pool_plane(
        &self,
        plane: &[f32],
        row_stride: usize,
        base: u32,
        out: &mut [f32],
        argmax: &mut [u32],
    ) {
        let (h, w) = self.in_hw;
        let (ho, wo) = self.out_hw;
        let (pt, pl) = self.pad_top_left;
        if self.pool == (2, 2)
            && self.strides == (2, 2)
            && (pt, pl) == (0, 0)
            && 2 * ho <= h
            && 2 * wo <= w
        {
            return pool_2x2(plane, row_stride, base, (ho, wo), out, argmax);
        }
        for oy in 0..ho {
            let y0 = (oy * self.strides.0) as isize - pt as isize;
            let ys = y0.max(0) as usize..((y0 + self.pool.0 as isize).min(h as isize)) as usize;
            for ox in 0..wo {
                let x0 = (ox * self.strides.1) as isize - pl as isize;
                let xs = x0.max(0) as usize..((x0 + self.pool.1 as isize).min(w as isize)) as usize;
                let (mut best, mut at) = (f32::NEG_INFINITY, 0);
                for iy in ys.clone() {
                    for ix in xs.clone() {
                        let v = plane[iy * row_stride + ix];
                        if v > best {
                            best = v;
                            at = iy * row_stride + ix;
                        }
                    }
                }
                out[oy * wo + ox] = best;
                argmax[oy * wo + ox] = base + at as u32;
            }
        }
    }
}

/// The common 2×2, stride-2 window with no padding, unrolled (same tie rule: the first
/// maximum scanning rows then columns).
fn pool_2x2(
    plane: &[f32],
    row_stride: usize,
    base: u32,
    (ho, wo): (usize, usize),
    out: &mut [f32],
    argmax: &mut [u32],
) {
    for oy in 0..ho {
        let top = 2 * oy * row_stride;
        let (r0, r1) = (&plane[top..top + 2 * wo], &plane[top + row_stride..][..2 * wo]);
        let (out, argmax) = (&mut out[oy * wo..][..wo], &mut argmax[oy * wo..][..wo]);
        // Branch-free (the comparisons of real activations are unpredictable): the
        // better of each row pair, then of the two rows; ties keep the earlier one.
        for (ox, ((out, argmax), (t, b))) in out
            .iter_mut()
            .zip(argmax.iter_mut())
            .zip(r0.chunks_exact(2).zip(r1.chunks_exact(2)))
            .enumerate()
        {
            let (top_right, bottom_right) = (t[1] > t[0], b[1] > b[0]);
            let top_best = if top_right { t[1] } else { t[0] };
            let bottom_best = if bottom_right { b[1] } else { b[0] };
            let bottom = bottom_best > top_best;
            *out = if bottom { bottom_best } else { top_best };
            let column = if bottom { bottom_right } else { top_right };
            let at = top + 2 * ox + column as usize + bottom as usize * row_stride;
            *argmax = base + at as u32;
        }
    }
}

pub struct MaxPool2d {
    pub in_shape: [usize; 3],
    pub pool: Size2,
    pub strides: Size2,
    pub padding: Padding,
    windows: PoolWindows,
    /// For each output value of the last training batch: the index of the winning input in its sample.
    argmax: Vec<u32>,
    /// The convolution before this layer runs the pool ([`MaxPool2d::set_fused`]): this layer's
    /// forward and backward pass their tensors through.
    fused: bool,
}

impl MaxPool2d {
    /// `None` when a `valid` window is larger than the input.
    pub fn new(
        in_shape: [usize; 3],
        pool: Size2,
        strides: Size2,
        padding: Padding,
    ) -> Option<Self> {
        let windows =
            PoolWindows::new((in_shape[0], in_shape[1]), pool.pair(), strides.pair(), padding)?;
        Some(MaxPool2d {
            in_shape,
            pool,
            strides,
            padding,
            windows,
            argmax: Vec::new(),
            fused: false,
        })
    }

    /// Its windows, when they are disjoint and inside the input, so that the
    /// convolution before it can run it ([`super::Conv2d::fuse_pool`]).
    pub fn pool_to_fuse(&self) -> Option<PoolWindows> {
        self.windows.disjoint_unpadded().then_some(self.windows)
    }

    /// The convolution before this layer runs its pool: forward and backward pass
    /// their tensors through.
    pub fn set_fused(&mut self) {
        self.fused = true;
    }

    /// Pools one planar sample `[C, H, W]` into `out` `[C, Ho, Wo]`.
    fn pool_sample(&self, image: &[f32], out: &mut [f32], argmax: &mut [u32]) {
        let [h, w, c] = self.in_shape;
        let (ho, wo) = self.windows.out_hw;
        for ch in 0..c {
            self.windows.pool_plane(
                &image[ch * h * w..][..h * w],
                w,
                (ch * h * w) as u32,
                &mut out[ch * ho * wo..][..ho * wo],
                &mut argmax[ch * ho * wo..][..ho * wo],
            );
        }
    }
}

impl Layer for MaxPool2d {
    fn type_name(&self) -> &'static str {
        "MaxPooling2D"
    }
    fn output_shape(&self) -> Vec<usize> {
        vec![self.windows.out_hw.0, self.windows.out_hw.1, self.in_shape[2]]
    }

    fn forward(&mut self, x: Tensor, _ctx: &mut Ctx, _apply_activation: bool) -> Tensor {
        if self.fused {
            return x;
        }
        let n = x.batch();
        let in_len: usize = self.in_shape.iter().product();
        let (ho, wo) = self.windows.out_hw;
        let out_len = ho * wo * self.in_shape[2];
        let mut out = Unwritten::new(n * out_len);
        let mut argmax = std::mem::take(&mut self.argmax);
        argmax.resize(n * out_len, 0);
        out.par_chunks_mut(out_len)
            .zip(argmax.par_chunks_mut(out_len))
            .zip(x.data.par_chunks(in_len))
            .for_each(|((out, argmax), image)| self.pool_sample(image, zeroed(out), argmax));
        self.argmax = argmax;
        // SAFETY: every chunk was zeroed (then filled) above.
        Tensor::new(vec![n, self.in_shape[2], ho, wo], unsafe { out.assume_init() })
    }

    fn backward(&mut self, grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        if !need_input_grad {
            return None;
        }
        if self.fused {
            return Some(grad);
        }
        let n = grad.batch();
        let in_len: usize = self.in_shape.iter().product();
        let out_len = grad.sample_len();
        let mut dx = Unwritten::new(n * in_len);
        dx.par_chunks_mut(in_len)
            .zip(grad.data.par_chunks(out_len))
            .zip(self.argmax.par_chunks(out_len))
            .for_each(|((dx, g), argmax)| {
                let dx = zeroed(dx);
                for (g, &i) in g.iter().zip(argmax) {
                    dx[i as usize] += g;
                }
            });
        let [h, w, c] = self.in_shape;
        // SAFETY: every chunk was zeroed (then accumulated into) above.
        Some(Tensor::new(vec![n, c, h, w], unsafe { dx.assume_init() }))
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({
            "pool_size": [self.pool.rows, self.pool.cols],
            "strides": [self.strides.rows, self.strides.cols],
            "padding": self.padding,
        })
    }

    /// `MaxPool` (after a transpose to NCHW if needed).
    fn export(&self, g: &mut GraphBuilder) {
        g.max_pool2d(self.pool, self.strides, self.padding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::check;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn floor_rule_seven_pooled_by_two_is_three() {
        let p =
            MaxPool2d::new([7, 7, 10], Size2::new(2, 2), Size2::new(2, 2), Padding::Valid).unwrap();
        assert_eq!(p.output_shape(), [3, 3, 10]);
        let p = MaxPool2d::new([28, 28, 10], Size2::new(2, 2), Size2::new(2, 2), Padding::Valid)
            .unwrap();
        assert_eq!(p.output_shape(), [14, 14, 10]);
        let p =
            MaxPool2d::new([7, 7, 1], Size2::new(2, 2), Size2::new(2, 2), Padding::Same).unwrap();
        assert_eq!(p.output_shape(), [4, 4, 1]);
        assert!(
            MaxPool2d::new([1, 1, 1], Size2::new(2, 2), Size2::new(2, 2), Padding::Valid).is_none()
        );
    }

    #[test]
    fn forward_picks_window_maxima() {
        let mut p =
            MaxPool2d::new([3, 3, 1], Size2::new(2, 2), Size2::new(2, 2), Padding::Valid).unwrap();
        let x: Vec<f32> = vec![1.0, 5.0, 9.0, 3.0, 2.0, 9.0, 9.0, 9.0, 9.0];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let y = p.forward(
            Tensor::new(vec![1, 1, 3, 3], x),
            &mut Ctx { training: true, rng: &mut rng },
            true,
        );
        assert_eq!(y.data, [5.0]);
        let dx = p.backward(Tensor::new(vec![1, 1, 1, 1], vec![2.0]), true).unwrap();
        assert_eq!(dx.data, [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        // same padding: the padded border never wins, even over negative values.
        let mut p =
            MaxPool2d::new([3, 3, 1], Size2::new(2, 2), Size2::new(2, 2), Padding::Same).unwrap();
        let y = p.forward(
            Tensor::new(vec![1, 1, 3, 3], vec![-1.0; 9]),
            &mut Ctx { training: true, rng: &mut rng },
            true,
        );
        assert_eq!(y.data, [-1.0; 4]);
        // Two planar channels pool independently.
        let mut p =
            MaxPool2d::new([2, 2, 2], Size2::new(2, 2), Size2::new(2, 2), Padding::Valid).unwrap();
        let y = p.forward(
            Tensor::new(vec![1, 2, 2, 2], vec![1.0, 4.0, 2.0, 3.0, -5.0, -6.0, -7.0, -8.0]),
            &mut Ctx { training: true, rng: &mut rng },
            true,
        );
        assert_eq!((y.shape, y.data), (vec![1, 2, 1, 1], vec![4.0, -5.0]));
        let dx = p.backward(Tensor::new(vec![1, 2, 1, 1], vec![1.0, 2.0]), true).unwrap();
        assert_eq!(dx.data, [0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn ties_go_to_the_first_maximum_in_scan_order() {
        // Tiles (2×2/2 on 2×6): all equal → top-left; [1 2; 2 2] → top-right; [1 1; 3 3] → bottom-left.
        let x = vec![7.0, 7.0, 1.0, 2.0, 1.0, 1.0, 7.0, 7.0, 2.0, 2.0, 3.0, 3.0];
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for padding in [Padding::Valid, Padding::Same] {
            // Same on an even input has no padding either: both take the unrolled path; the
            // general path is checked against it on the same tiles with a 3-row input below.
            let mut p =
                MaxPool2d::new([2, 6, 1], Size2::new(2, 2), Size2::new(2, 2), padding).unwrap();
            let y = p.forward(
                Tensor::new(vec![1, 1, 2, 6], x.clone()),
                &mut Ctx { training: true, rng: &mut rng },
                true,
            );
            assert_eq!(y.data, [7.0, 2.0, 3.0]);
            let dx = p.backward(Tensor::new(vec![1, 1, 1, 3], vec![1.0, 2.0, 3.0]), true).unwrap();
            assert_eq!(dx.data, [1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0]);
        }
        // 3×6 with same padding: the general path (padded last row), same first-row tiles.
        let mut x3 = x.clone();
        x3.extend([0.0; 6]);
        let mut p =
            MaxPool2d::new([3, 6, 1], Size2::new(2, 2), Size2::new(2, 2), Padding::Same).unwrap();
        let y = p.forward(
            Tensor::new(vec![1, 1, 3, 6], x3),
            &mut Ctx { training: true, rng: &mut rng },
            true,
        );
        assert_eq!(&y.data[..3], &[7.0, 2.0, 3.0]);
        let dx = p
            .backward(Tensor::new(vec![1, 1, 2, 3], vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0]), true)
            .unwrap();
        assert_eq!(&dx.data[..12], &[1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0]);
    }

    #[test]
    fn gradient_check() {
        // Distinct values at least 0.05 apart, so a 0.01 step never changes a window's winner.
        let n = 2 * 5 * 5 * 2;
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut x: Vec<f32> = (0..n).map(|i| i as f32 * 0.05 - 2.0).collect();
        rand::seq::SliceRandom::shuffle(&mut x[..], &mut rng);
        // 2×2/2 valid on 5×5 is the unrolled path (dropping the odd row and column); 2×2/2
        // same on 5×5 pads, so it takes the general path like the overlapping windows.
        for (pool, strides, padding) in [
            (Size2::square(2), Size2::square(2), Padding::Valid),
            (Size2::square(3), Size2::square(2), Padding::Same),
            (Size2::square(2), Size2::square(1), Padding::Valid),
            (Size2::square(2), Size2::square(2), Padding::Same),
        ] {
            let mut p = MaxPool2d::new([5, 5, 2], pool, strides, padding).unwrap();
            check(&mut p, Tensor::new(vec![2, 2, 5, 5], x.clone()), true);
        }
    }
}
