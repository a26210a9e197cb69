//! `Conv2D`, Keras `layers.Conv2D(filters, kernel_size, strides, padding, activation)`.
//!
//! Shapes: input `[N, H, W, C]` (NHWC) → output `[N, Ho, Wo, F]`; kernel `[kh, kw, C, F]`
//! (Keras layout, row-major), bias `[F]`. Weights: kh·kw·C·F + F.
//! `valid`: Ho = ⌊(H − kh)/sh⌋ + 1; `same`: Ho = ⌈H/sh⌉ with padding
//! max((Ho−1)·sh + kh − H, 0), the odd one at the bottom/right (Keras/TF rule).
//!
//! Forward (im2col + GEMM): each output position's receptive field is copied into
//! one row of `cols` `[N·Ho·Wo, kh·kw·C]` (order ky, kx, c, zeros for padding), so
//! z = cols·K + b with K the kernel seen as `[kh·kw·C, F]`; a = act(z).
//! The rows are in output order, so the result is already NHWC.
//!
//! Backward, from g = dL/da: dz = act′(g); dK = colsᵀ·dz; db = Σ dz over N·Ho·Wo;
//! dcols = dz·Kᵀ, then col2im adds each row back onto the input positions it came from.
//!
//! Init: K Glorot-uniform with fan_in = kh·kw·C, fan_out = kh·kw·F; b = 0 (Keras).

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{glorot_uniform, output_len, thousands, Activation, Ctx, ExportOp, Layer, Padding};
use crate::gemm::{column_sums, gemm, gemm_at_b, gemm_at_b_narrow, gemm_narrow, gemm_narrow_bt, Mat, NARROW_MAX};
use crate::tensor::Tensor;

pub struct Conv2d {
    pub in_shape: [usize; 3],
    pub filters: usize,
    pub kernel_size: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
    pub activation: Activation,
    /// `[kh, kw, c_in, filters]`, row-major.
    pub kernel: Vec<f32>,
    pub bias: Vec<f32>,
    out_hw: (usize, usize),
    pad_top_left: (usize, usize),
    grad_kernel: Vec<f32>,
    grad_bias: Vec<f32>,
    cols: Vec<f32>,
    /// The last training input, for the narrow (per-sample im2col) backward.
    input: Vec<f32>,
    batch: usize,
    output: Option<Vec<f32>>,
    applied: bool,
}

impl Conv2d {
    /// `None` when a `valid` kernel is larger than the input.
    pub fn new(
        in_shape: [usize; 3],
        filters: usize,
        kernel_size: (usize, usize),
        strides: (usize, usize),
        padding: Padding,
        activation: Activation,
        rng: &mut ChaCha8Rng,
    ) -> Option<Self> {
        let [h, w, c] = in_shape;
        let (ho, pt) = output_len(h, kernel_size.0, strides.0, padding)?;
        let (wo, pl) = output_len(w, kernel_size.1, strides.1, padding)?;
        let area = kernel_size.0 * kernel_size.1;
        let n = area * c * filters;
        Some(Conv2d {
            in_shape,
            filters,
            kernel_size,
            strides,
            padding,
            activation,
            kernel: glorot_uniform(n, area * c, area * filters, rng),
            bias: vec![0.0; filters],
            out_hw: (ho, wo),
            pad_top_left: (pt, pl),
            grad_kernel: vec![0.0; n],
            grad_bias: vec![0.0; filters],
            cols: Vec::new(),
            input: Vec::new(),
            batch: 0,
            output: None,
            applied: true,
        })
    }

    /// Values in one im2col row: kh·kw·C.
    fn patch_len(&self) -> usize {
        self.kernel_size.0 * self.kernel_size.1 * self.in_shape[2]
    }

    /// Fills `cols` for one sample: `image` is H·W·C, `cols` is Ho·Wo rows of `patch_len`.
    fn im2col(&self, image: &[f32], cols: &mut [f32]) {
        let [h, w, c] = self.in_shape;
        let (kh, kw) = self.kernel_size;
        let (ho, wo) = self.out_hw;
        let (pt, pl) = self.pad_top_left;
        let patch = self.patch_len();
        for oy in 0..ho {
            for ox in 0..wo {
                let row = &mut cols[(oy * wo + ox) * patch..][..patch];
                let x0 = (ox * self.strides.1) as isize - pl as isize;
                // The taps kx in kx_lo..kx_hi fall inside the image; for one kernel row they are
                // contiguous in NHWC memory, so each kernel row is a single copy.
                let kx_lo = (-x0).max(0) as usize;
                let kx_hi = ((w as isize - x0).min(kw as isize)).max(kx_lo as isize) as usize;
                for ky in 0..kh {
                    let iy = (oy * self.strides.0 + ky) as isize - pt as isize;
                    let dst = &mut row[ky * kw * c..][..kw * c];
                    if iy < 0 || iy >= h as isize || kx_lo >= kx_hi {
                        dst.fill(0.0);
                        continue;
                    }
                    dst[..kx_lo * c].fill(0.0);
                    dst[kx_hi * c..].fill(0.0);
                    let start = (iy as usize * w + (x0 + kx_lo as isize) as usize) * c;
                    copy_short(&mut dst[kx_lo * c..kx_hi * c], &image[start..start + (kx_hi - kx_lo) * c]);
                }
            }
        }
    }

    /// Backward for few filters: per sample, im2col recomputed in a cache-sized buffer,
    /// its kernel gradient (summed over samples in sample order: the same result for any
    /// thread count), and the input gradient through dcols and col2im.
    fn backward_narrow(&mut self, grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        let n = self.batch;
        let f = self.filters;
        let positions = self.out_hw.0 * self.out_hw.1;
        let patch = self.patch_len();
        let in_len: usize = self.in_shape.iter().product();
        assert_eq!(self.input.len(), n * in_len, "Conv2D backward without a training forward");
        let this = &*self;
        let partials: Vec<Vec<f32>> = grad
            .data
            .par_chunks(positions * f)
            .zip(this.input.par_chunks(in_len))
            .map_init(Vec::new, |cols, (dz, image)| {
                cols.resize(positions * patch, 0.0);
                this.im2col(image, cols);
                let mut part = vec![0.0f32; patch * f];
                gemm_at_b_narrow(cols, positions, patch, dz, f, &mut part);
                part
            })
            .collect();
        self.grad_kernel.fill(0.0);
        for part in &partials {
            self.grad_kernel.iter_mut().zip(part).for_each(|(g, p)| *g += p);
        }
        column_sums(&grad.data, f, &mut self.grad_bias);
        if !need_input_grad {
            return None;
        }
        let mut dx = vec![0.0f32; n * in_len];
        let this = &*self;
        dx.par_chunks_mut(in_len).zip(grad.data.par_chunks(positions * f)).for_each_init(
            Vec::new,
            |dcols, (dimage, dz)| {
                dcols.resize(positions * patch, 0.0);
                gemm_narrow_bt(dz, positions, f, &this.kernel, patch, dcols);
                this.col2im(dcols, dimage);
            },
        );
        let mut shape = vec![n];
        shape.extend_from_slice(&self.in_shape);
        Some(Tensor::new(shape, dx))
    }

    /// Adds one sample's `dcols` back onto its input gradient `dimage` (H·W·C).
    fn col2im(&self, dcols: &[f32], dimage: &mut [f32]) {
        let [h, w, c] = self.in_shape;
        let (kh, kw) = self.kernel_size;
        let (ho, wo) = self.out_hw;
        let (pt, pl) = self.pad_top_left;
        let patch = self.patch_len();
        for oy in 0..ho {
            for ox in 0..wo {
                let row = &dcols[(oy * wo + ox) * patch..][..patch];
                let x0 = (ox * self.strides.1) as isize - pl as isize;
                let kx_lo = (-x0).max(0) as usize;
                let kx_hi = ((w as isize - x0).min(kw as isize)).max(kx_lo as isize) as usize;
                if kx_lo >= kx_hi {
                    continue;
                }
                for ky in 0..kh {
                    let iy = (oy * self.strides.0 + ky) as isize - pt as isize;
                    if iy < 0 || iy >= h as isize {
                        continue;
                    }
                    let src = &row[(ky * kw + kx_lo) * c..(ky * kw + kx_hi) * c];
                    let start = (iy as usize * w + (x0 + kx_lo as isize) as usize) * c;
                    let dst = &mut dimage[start..start + src.len()];
                    dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
                }
            }
        }
    }
}

/// `dst.copy_from_slice(src)`, with lengths up to 16 (kernel rows of one channel) as
/// fixed-size copies: a libc memcpy call per 7 values dominated im2col.
#[inline(always)]
fn copy_short(dst: &mut [f32], src: &[f32]) {
    macro_rules! fixed {
        ($($n:literal)*) => {
            match src.len() {
                $($n => dst[..$n].copy_from_slice(&src[..$n]),)*
                _ => dst.copy_from_slice(src),
            }
        };
    }
    fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
}

impl Layer for Conv2d {
    fn type_name(&self) -> &'static str {
        "Conv2D"
    }
    fn name_prefix(&self) -> &'static str {
        "conv2d"
    }
    fn output_shape(&self) -> Vec<usize> {
        vec![self.out_hw.0, self.out_hw.1, self.filters]
    }
    fn activation(&self) -> Option<Activation> {
        Some(self.activation)
    }

    fn forward(&mut self, x: Tensor, ctx: &mut Ctx, apply_activation: bool) -> Tensor {
        let n = x.batch();
        let in_len: usize = self.in_shape.iter().product();
        assert_eq!(x.sample_len(), in_len, "Conv2D expects {:?} inputs", self.in_shape);
        let positions = self.out_hw.0 * self.out_hw.1;
        let patch = self.patch_len();
        let mut cols = std::mem::take(&mut self.cols);
        let mut out = vec![0.0f32; n * positions * self.filters];
        let narrow = self.filters <= NARROW_MAX;
        if narrow {
            // Few filters: the im2col matrix of one sample at a time (it stays in cache, the
            // batch's one is never written to memory) times the kernel with a direct kernel.
            let f = self.filters;
            out.par_chunks_mut(positions * f).zip(x.data.par_chunks(in_len)).for_each_init(
                Vec::new,
                |cols, (out, image)| {
                    cols.resize(positions * patch, 0.0);
                    self.im2col(image, cols);
                    gemm_narrow(cols, positions, patch, &self.kernel, &self.bias, f, out);
                },
            );
        } else {
            cols.resize(n * positions * patch, 0.0);
            cols.par_chunks_mut(positions * patch)
                .zip(x.data.par_chunks(in_len))
                .for_each(|(cols, image)| self.im2col(image, cols));
            for row in out.chunks_exact_mut(self.filters) {
                row.iter_mut().zip(&self.bias).for_each(|(o, b)| *o = *b);
            }
            gemm(
                Mat::rows(&cols, n * positions, patch),
                Mat::rows(&self.kernel, patch, self.filters),
                1.0,
                &mut out,
            );
        }
        self.applied = apply_activation;
        if apply_activation {
            self.activation.apply(&mut out, self.filters);
        }
        if ctx.training {
            self.output = (apply_activation && self.activation.needs_output()).then(|| out.clone());
        }
        // Kept for backward, and as the buffer of the next call either way.
        self.cols = cols;
        // The narrow path recomputes im2col from the input in backward.
        self.input = if narrow && ctx.training { x.data } else { Vec::new() };
        self.batch = n;
        Tensor::new(vec![n, self.out_hw.0, self.out_hw.1, self.filters], out)
    }

    fn backward(&mut self, mut grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        let n = self.batch;
        let positions = self.out_hw.0 * self.out_hw.1;
        let patch = self.patch_len();
        if self.applied && self.activation.needs_output() {
            self.activation.backward(self.output.as_ref().unwrap(), &mut grad.data, self.filters);
        }
        if self.filters <= NARROW_MAX {
            return self.backward_narrow(grad, need_input_grad);
        }
        let dz = Mat::rows(&grad.data, n * positions, self.filters);
        gemm_at_b(Mat::rows(&self.cols, n * positions, patch), dz, &mut self.grad_kernel);
        column_sums(&grad.data, self.filters, &mut self.grad_bias);
        if !need_input_grad {
            return None;
        }
        // Reuse the cols buffer for dcols: it is not needed any more.
        let mut dcols = std::mem::take(&mut self.cols);
        gemm(dz, Mat::rows(&self.kernel, patch, self.filters).t(), 0.0, &mut dcols);
        let in_len: usize = self.in_shape.iter().product();
        let mut dx = vec![0.0f32; n * in_len];
        dx.par_chunks_mut(in_len)
            .zip(dcols.par_chunks(positions * patch))
            .for_each(|(dimage, dcols)| self.col2im(dcols, dimage));
        self.cols = dcols;
        let mut shape = vec![n];
        shape.extend_from_slice(&self.in_shape);
        Some(Tensor::new(shape, dx))
    }

    fn params_and_grads(&mut self) -> Vec<(&mut [f32], &[f32])> {
        vec![(&mut self.kernel, &self.grad_kernel), (&mut self.bias, &self.grad_bias)]
    }
    fn params(&self) -> Vec<&[f32]> {
        vec![&self.kernel, &self.bias]
    }

    fn formula(&self) -> String {
        let c = self.in_shape[2];
        format!(
            "{} filters × {}×{} kernel × {} input channel{} + {} biases = {}",
            thousands(self.filters),
            self.kernel_size.0,
            self.kernel_size.1,
            thousands(c),
            if c == 1 { "" } else { "s" },
            thousands(self.filters),
            thousands(self.param_count())
        )
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({
            "filters": self.filters,
            "kernel_size": [self.kernel_size.0, self.kernel_size.1],
            "strides": [self.strides.0, self.strides.1],
            "padding": self.padding,
            "activation": self.activation.name(),
        })
    }

    fn export(&self) -> Vec<ExportOp<'_>> {
        let mut ops = vec![ExportOp::Conv2d {
            kernel: &self.kernel,
            bias: &self.bias,
            kh: self.kernel_size.0,
            kw: self.kernel_size.1,
            c_in: self.in_shape[2],
            c_out: self.filters,
            strides: self.strides,
            padding: self.padding,
        }];
        if self.activation != Activation::Linear {
            ops.push(ExportOp::Activation(self.activation));
        }
        ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::gradcheck::{check, random};
    use rand::SeedableRng;

    fn conv(in_shape: [usize; 3], f: usize, k: (usize, usize), s: (usize, usize), p: Padding, a: Activation) -> Conv2d {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        Conv2d::new(in_shape, f, k, s, p, a, &mut rng).unwrap()
    }

    #[test]
    fn weight_counts_and_shapes_of_the_seed_cnn() {
        let c1 = conv([28, 28, 1], 10, (7, 7), (1, 1), Padding::Same, Activation::Relu);
        assert_eq!(c1.output_shape(), [28, 28, 10]);
        assert_eq!(c1.param_count(), 500);
        assert_eq!(c1.formula(), "10 filters × 7×7 kernel × 1 input channel + 10 biases = 500");
        let c2 = conv([14, 14, 10], 10, (5, 5), (1, 1), Padding::Same, Activation::Relu);
        assert_eq!(c2.param_count(), 2510);
        let c3 = conv([7, 7, 10], 10, (3, 3), (1, 1), Padding::Same, Activation::Relu);
        assert_eq!(c3.param_count(), 910);
        assert_eq!(conv([7, 7, 1], 2, (3, 3), (2, 2), Padding::Valid, Activation::Linear).output_shape(), [3, 3, 2]);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert!(Conv2d::new([2, 2, 1], 1, (3, 3), (1, 1), Padding::Valid, Activation::Linear, &mut rng).is_none());
    }

    /// Direct convolution, for comparison with im2col + GEMM.
    fn naive(c: &Conv2d, x: &[f32]) -> Vec<f32> {
        let [h, w, cin] = c.in_shape;
        let (kh, kw) = c.kernel_size;
        let (ho, wo) = c.out_hw;
        let (pt, pl) = c.pad_top_left;
        let mut out = vec![0.0; ho * wo * c.filters];
        for oy in 0..ho {
            for ox in 0..wo {
                for f in 0..c.filters {
                    let mut s = c.bias[f];
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let iy = (oy * c.strides.0 + ky) as isize - pt as isize;
                            let ix = (ox * c.strides.1 + kx) as isize - pl as isize;
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            for ci in 0..cin {
                                s += x[(iy as usize * w + ix as usize) * cin + ci]
                                    * c.kernel[((ky * kw + kx) * cin + ci) * c.filters + f];
                            }
                        }
                    }
                    out[(oy * wo + ox) * c.filters + f] = s;
                }
            }
        }
        out
    }

    #[test]
    fn same_padding_even_kernel_puts_the_extra_row_at_the_bottom() {
        // 4×4 input, 2×2 kernel, same: total padding 1, all of it bottom/right.
        let mut c = conv([4, 4, 1], 1, (2, 2), (1, 1), Padding::Same, Activation::Linear);
        assert_eq!(c.pad_top_left, (0, 0));
        c.kernel = vec![1.0, 0.0, 0.0, 0.0]; // picks the top-left of each window
        let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let y = c.forward(Tensor::new(vec![1, 4, 4, 1], x.clone()), &mut Ctx { training: false, rng: &mut rng }, true);
        assert_eq!(y.data, x, "top-left tap of a window anchored at the pixel itself");
        // 3×3 kernel, stride 2 on 6: out 3, total padding max(2·2+3−6,0)=1 → 0 before.
        let c = conv([6, 6, 1], 1, (3, 3), (2, 2), Padding::Same, Activation::Linear);
        assert_eq!((c.out_hw, c.pad_top_left), ((3, 3), (0, 0)));
        let c = conv([5, 5, 1], 1, (4, 4), (1, 1), Padding::Same, Activation::Linear);
        assert_eq!(c.pad_top_left, (1, 1), "total 3: 1 before, 2 after");
    }

    #[test]
    fn im2col_gemm_matches_direct_convolution() {
        for (shape, k, s, p) in [
            ([6, 5, 3], (3, 3), (1, 1), Padding::Same),
            ([7, 7, 2], (4, 2), (2, 1), Padding::Same),
            ([8, 6, 2], (3, 3), (2, 2), Padding::Valid),
        ] {
          for filters in [4, NARROW_MAX + 3] {
            let mut c = conv(shape, filters, k, s, p, Activation::Linear);
            c.bias = random(filters, -1.0, 1.0, 9);
            let n: usize = shape.iter().product();
            let x = random(2 * n, -1.0, 1.0, 8);
            let mut rng = ChaCha8Rng::seed_from_u64(0);
            let mut sh = vec![2];
            sh.extend_from_slice(&shape);
            let y = c.forward(Tensor::new(sh, x.clone()), &mut Ctx { training: false, rng: &mut rng }, true);
            let per = y.sample_len();
            for i in 0..2 {
                let want = naive(&c, &x[i * n..(i + 1) * n]);
                for (g, w) in y.data[i * per..(i + 1) * per].iter().zip(&want) {
                    assert!((g - w).abs() < 1e-5, "{filters} filters: {g} vs {w}");
                }
            }
          }
        }
    }

    #[test]
    fn gradient_check() {
        for (shape, k, s, p, a) in [
            ([5, 5, 2], (3, 3), (1, 1), Padding::Same, Activation::Tanh),
            ([6, 6, 1], (2, 2), (2, 2), Padding::Same, Activation::Linear),
            ([6, 5, 2], (3, 2), (2, 1), Padding::Valid, Activation::Sigmoid),
        ] {
            let mut c = conv(shape, 3, k, s, p, a);
            c.bias = random(3, -0.5, 0.5, 10);
            let n: usize = shape.iter().product();
            let mut sh = vec![2];
            sh.extend_from_slice(&shape);
            check(&mut c, Tensor::new(sh, random(2 * n, -1.0, 1.0, 11)), true);
        }
        // More filters than the narrow kernels take: the batched im2col + GEMM path.
        for (shape, k, s, p, a) in [([4, 4, 2], (3, 3), (1, 1), Padding::Same, Activation::Tanh)] {
            let mut c = conv(shape, NARROW_MAX + 1, k, s, p, a);
            c.bias = random(NARROW_MAX + 1, -0.5, 0.5, 10);
            let n: usize = shape.iter().product();
            let mut sh = vec![2];
            sh.extend_from_slice(&shape);
            check(&mut c, Tensor::new(sh, random(2 * n, -1.0, 1.0, 11)), true);
        }
    }
}
