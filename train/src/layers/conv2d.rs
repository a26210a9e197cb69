//! `Conv2D`, Keras `layers.Conv2D(filters, kernel_size, strides, padding, activation)`.
//!
//! Shapes (Keras's, as the summary prints them): input `[H, W, C]` → output `[Ho, Wo, F]`;
//! in memory images are channel-planar, `[N, C, H, W]` → `[N, F, Ho, Wo]` (see `engine/tensor.rs`).
//! Kernel `[kh, kw, C, F]` (Keras layout, row-major), bias `[F]`. Weights: kh·kw·C·F + F.
//! `valid`: Ho = ⌊(H − kh)/sh⌋ + 1; `same`: Ho = ⌈H/sh⌉ with padding
//! max((Ho−1)·sh + kh − H, 0), the odd one at the bottom/right (Keras/TF rule).
//!
//! Direct convolution over "tap rows": for each tap t = (c, ky, kx) a row holds the input
//! value that tap sees at every output position q, so z[f][q] = b[f] + Σ_t K[t][f]·row_t[q].
//! * Stride 1: the input planes are zero-padded to Hp × Wp and positions are counted along
//!   the padded width (q = oy·Wp + ox; the Wp − Wo extra columns are computed and dropped).
//!   Row t is then the padded plane c shifted by ky·Wp + kx — a view, nothing is copied
//!   (the im2col matrix is never written).
//! * Other strides: the rows are gathered into a buffer first (planar im2col).
//!
//! Backward, from g = dL/da: dz = act′(z)·g (z kept from forward); dK[t][f] =
//! Σ_q row_t[q]·dz[f][q]; db = Σ_q dz. dx: with stride 1 a full correlation of dz (placed
//! after a zero margin) with the kernel, again over shifted rows; otherwise dcols = K·dz
//! then col2im. All of it runs per sample on the rayon pool; kernel gradients are summed
//! per fixed group of samples, then the groups in order, so a run is bit-identical for
//! any thread count.
//!
//! The max-pool after the layer can run inside it (`conv2d/fused_pool.rs`); where the
//! tap rows come from is `conv2d/taps.rs`.
//!
//! Init: K Glorot-uniform with fan_in = kh·kw·C, fan_out = kh·kw·F; b = 0 (Keras).
//!
//! Tests, with the gradient checks of every path: `conv2d/tests.rs`.

use std::mem::MaybeUninit;
use std::time::Instant;

use params::Size2;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use onnx::GraphBuilder;

use super::{
    glorot_uniform, output_len, thousands, Activation, ActivationFn, Ctx, Layer, Padding,
    PoolWindows,
};
use crate::engine::offset_gemm::{
    offset_dot, offset_dot_filters, offset_gemm, PackedRows, Start, LANES,
};
use crate::engine::tensor::{assume_init_mut, lane_sum, zeroed, Tensor, Unwritten};
use crate::profile::{BackwardSplit, MultiplyAdds, Products};

mod fused_pool;
mod taps;

use taps::Plan;

/// Samples per kernel-gradient partial sum in backward (fixed, for determinism).
const GRAD_GROUP: usize = 4;

pub struct Conv2d {
    pub in_shape: [usize; 3],
    pub filters: usize,
    pub kernel_size: Size2,
    pub strides: Size2,
    pub padding: Padding,
    pub activation: Activation,
    /// `[kh, kw, c_in, filters]`, row-major.
    pub kernel: Vec<f32>,
    pub bias: Vec<f32>,
    out_hw: (usize, usize),
    pad_top_left: (usize, usize),
    plan: Plan,
    grad_kernel: Vec<f32>,
    grad_bias: Vec<f32>,
    /// The tap-row sources of the last batch (kept for backward).
    src: Vec<f32>,
    /// The last batch's pre-activation z in q-space `[N, F, q_len]` (kept for backward).
    z: Vec<f32>,
    batch: usize,
    applied: bool,
    /// Thread-time of the last backward's products, for the profile.
    split: Option<BackwardSplit>,
    /// The max-pool after this layer, when it runs here ([`Conv2d::fuse_pool`]).
    pool: Option<PoolWindows>,
    /// With the fused pool, per pooled value of the last batch: the q-space position of
    /// its window's winner in its filter's row, with `fused_pool::BLOCKED` set where ReLU stops the
    /// gradient. Replaces `z`.
    winners: Vec<u32>,
}

impl Conv2d {
    /// `None` when a `valid` kernel is larger than the input.
    pub fn new(
        in_shape: [usize; 3],
        filters: usize,
        kernel_size: Size2,
        strides: Size2,
        padding: Padding,
        activation: Activation,
        rng: &mut ChaCha8Rng,
    ) -> Option<Self> {
        let [h, w, c] = in_shape;
        let (ho, pt) = output_len(h, kernel_size.rows, strides.rows, padding)?;
        let (wo, pl) = output_len(w, kernel_size.cols, strides.cols, padding)?;
        let area = kernel_size.rows * kernel_size.cols;
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
            plan: Self::plan(in_shape, filters, kernel_size.pair(), strides.pair(), (ho, wo), pt),
            grad_kernel: vec![0.0; n],
            grad_bias: vec![0.0; filters],
            src: Vec::new(),
            z: Vec::new(),
            batch: 0,
            applied: true,
            split: None,
            pool: None,
            winners: Vec::new(),
        })
    }

    /// The packed kernel and the batch's tap-row sources (taken from the layer, to be put
    /// back). Only valid input positions are ever written, so the padding stays zero from
    /// batch to batch (the buffer grows with zeros when a batch is larger).
    fn forward_operands(&mut self, n: usize) -> (PackedRows, Vec<f32>) {
        let a = PackedRows::new(&self.forward_matrix(), self.filters, self.taps());
        let mut src = std::mem::take(&mut self.src);
        src.resize(n * self.plan.src_len, 0.0);
        (a, src)
    }

    /// One sample's dz in q-space from the gradient `g` `[F, Ho, Wo]` of the output and
    /// the kept pre-activation `z`, and its bias gradient (per output row, in 8 lanes).
    fn dz_from_output_grad(
        &self,
        g: &[f32],
        z: &[f32],
        derivative: Option<Activation>,
        dzq: &mut [f32],
        db: &mut [f32],
        act_row: &mut Vec<f32>,
    ) {
        let p = &self.plan;
        let (ho, wo) = self.out_hw;
        for f in 0..self.filters {
            for oy in 0..ho {
                let g = &g[(f * ho + oy) * wo..][..wo];
                let z = &z[f * p.q_len + oy * p.q_width..][..wo];
                let row = &mut dzq[f * p.dz_row + p.margin + oy * p.q_width..][..wo];
                match derivative {
                    // The common case, inline and branch-free: relu′(z) = [z > 0].
                    Some(Activation::Relu) => row
                        .iter_mut()
                        .zip(g.iter().zip(z))
                        .for_each(|(d, (g, z))| *d = if *z > 0.0 { *g } else { 0.0 }),
                    Some(act) => {
                        act_row.clear();
                        act_row.extend_from_slice(z);
                        act.apply(act_row, wo);
                        row.copy_from_slice(g);
                        act.backward(act_row, row, wo);
                    }
                    None => row.copy_from_slice(g),
                }
                db[f] += lane_sum(row);
            }
        }
    }
}

impl Layer for Conv2d {
    fn type_name(&self) -> &'static str {
        "Conv2D"
    }
    fn output_shape(&self) -> Vec<usize> {
        vec![self.out_hw.0, self.out_hw.1, self.filters]
    }
    fn activation(&self) -> Option<Activation> {
        Some(self.activation)
    }

    fn forward(&mut self, x: Tensor, _ctx: &mut Ctx, apply_activation: bool) -> Tensor {
        if let Some(pool) = self.pool {
            return self.forward_pooled(x, pool, apply_activation);
        }
        let n = x.batch();
        let in_len: usize = self.in_shape.iter().product();
        assert_eq!(x.sample_len(), in_len, "Conv2D expects {:?} inputs", self.in_shape);
        let (ho, wo) = self.out_hw;
        let f_len = self.filters;
        let out_len = f_len * ho * wo;
        let z_len = f_len * self.plan.q_len;
        let (a, mut src) = self.forward_operands(n);
        // z in q-space, kept for backward (act′ comes from it, so no copy of the output).
        let mut z = std::mem::take(&mut self.z);
        z.resize(n * z_len, 0.0);
        let mut out = Unwritten::new(n * out_len);
        let this = &*self;
        let p = &this.plan;
        let activation = apply_activation.then_some(this.activation);
        out.par_chunks_mut(out_len)
            .zip(z.par_chunks_mut(z_len))
            .zip(src.par_chunks_mut(p.src_len))
            .zip(x.data.par_chunks(in_len))
            .for_each(|(((out, z), src), image)| {
                this.fill_source(image, src);
                offset_gemm(
                    &a,
                    &p.tap_offsets,
                    src,
                    p.q_len,
                    Start::RowBias(&this.bias),
                    z,
                    p.q_len,
                );
                for f in 0..f_len {
                    for oy in 0..ho {
                        out[(f * ho + oy) * wo..][..wo]
                            .write_copy_of_slice(&z[f * p.q_len + oy * p.q_width..][..wo]);
                    }
                }
                // SAFETY: the loop above wrote all F·Ho·Wo values of this sample.
                let out = unsafe { assume_init_mut(out) };
                if let Some(act) = activation {
                    act.apply(out, f_len);
                }
            });
        self.applied = apply_activation;
        self.z = z;
        self.src = src;
        self.batch = n;
        // SAFETY: every sample's chunk was written in full above.
        Tensor::new(vec![n, f_len, ho, wo], unsafe { out.assume_init() })
    }

    fn backward(&mut self, grad: Tensor, need_input_grad: bool) -> Option<Tensor> {
        let n = self.batch;
        let (ho, wo) = self.out_hw;
        let f_len = self.filters;
        let taps = self.taps();
        let [h, w, c] = self.in_shape;
        let in_len = h * w * c;
        let p = &self.plan;
        let z_len = f_len * p.q_len;
        assert_eq!(self.src.len(), n * p.src_len, "Conv2D backward without a training forward");
        // The gradient of this layer's output: pooled when the pool runs here.
        let (gh, gw) = self.pool.map_or((ho, wo), |pool| pool.out_hw);
        let g_len = f_len * gh * gw;
        assert_eq!(grad.data.len(), n * g_len, "Conv2D backward: gradient of another batch");
        let derivative =
            (self.applied && self.activation != Activation::Linear).then_some(self.activation);
        let rows = if self.plan.shifted { c } else { taps };
        let a_back = need_input_grad
            .then(|| PackedRows::new(&self.backward_matrix(), rows, self.plan.back_offsets.len()));
        let mut dx = Unwritten::new(if need_input_grad { n * in_len } else { 0 });
        // The kernel gradient vectorised along the filters for whole vectors of 16 or more
        // filters (a size rule, never a CPU one: the two kernels sum in different orders).
        // Its figures are in docs/train.md ("Speed"); the filter kernel keeps its pass of
        // dz in L1 by chunking the positions.
        let by_filters = f_len >= 2 * LANES && f_len.is_multiple_of(LANES);
        let this = &*self;
        let g_all = &grad.data;
        // One sample: dz laid out in q-space, its kernel gradient added to `dk`, its bias
        // gradient to `db`, and its dx.
        let per_sample = |i: usize,
                          dk: &mut [f32],
                          db: &mut [f32],
                          dx: Option<&mut [MaybeUninit<f32>]>,
                          scratch: &mut (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>),
                          split: &mut BackwardSplit| {
            let (dzq, work, act_row, dz_t) = scratch;
            let g = &g_all[i * g_len..][..g_len];
            // Only the valid positions are written: margins and extra columns stay zero.
            dzq.resize(f_len * p.dz_row, 0.0);
            let winners = this.pool.map(|_| &this.winners[i * g_len..][..g_len]);
            match winners {
                Some(winners) => this.scatter_pooled(g, winners, dzq, db),
                None => {
                    let z = &this.z[i * z_len..][..z_len];
                    this.dz_from_output_grad(g, z, derivative, dzq, db, act_row);
                }
            }
            let src = &this.src[i * p.src_len..][..p.src_len];
            let t = Instant::now();
            if by_filters {
                // dz transposed, `[q][f]` with rows F + 8 apart (off a power of two).
                let ldg = f_len + LANES;
                dz_t.resize(p.q_len * ldg, 0.0);
                for f in 0..f_len {
                    let row = &dzq[f * p.dz_row + p.margin..][..p.q_len];
                    for (q, v) in row.iter().enumerate() {
                        dz_t[q * ldg + f] = *v;
                    }
                }
                offset_dot_filters(src, &p.tap_offsets, dz_t, f_len, ldg, p.q_len, dk);
            } else {
                offset_dot(src, &p.tap_offsets, &dzq[p.margin..], f_len, p.dz_row, p.q_len, dk);
            }
            split.weights += t.elapsed();
            if let (Some(dx), Some(a_back)) = (dx, &a_back) {
                let t = Instant::now();
                work.resize(rows * p.dx_q_len, 0.0);
                offset_gemm(
                    a_back,
                    &p.back_offsets,
                    dzq,
                    p.dx_q_len,
                    Start::Zero,
                    work,
                    p.dx_q_len,
                );
                if p.shifted {
                    let pl = this.pad_top_left.1;
                    for ch in 0..c {
                        for y in 0..h {
                            dx[(ch * h + y) * w..][..w]
                                .write_copy_of_slice(&work[ch * p.dx_q_len + y * p.wp + pl..][..w]);
                        }
                    }
                } else {
                    this.col2im(work, zeroed(dx));
                }
                split.data += t.elapsed();
            }
            if let Some(winners) = winners {
                this.clear_winners(winners, dzq);
            }
        };
        // Samples in fixed groups (never by thread): each group sums its kernel gradient in
        // sample order, then the groups are added in order — bit-identical for any thread count.
        let groups = n.div_ceil(GRAD_GROUP);
        let per_group = |g: usize, dx: Option<&mut [MaybeUninit<f32>]>, scratch: &mut _| {
            let start = Instant::now();
            let mut dk = vec![0.0f32; taps * f_len];
            let mut db = vec![0.0f32; f_len];
            let mut split = BackwardSplit::default();
            let samples = g * GRAD_GROUP..((g + 1) * GRAD_GROUP).min(n);
            match dx {
                Some(dx) => {
                    for (i, dx) in samples.zip(dx.chunks_mut(in_len)) {
                        per_sample(i, &mut dk, &mut db, Some(dx), scratch, &mut split);
                    }
                }
                None => {
                    samples.for_each(|i| per_sample(i, &mut dk, &mut db, None, scratch, &mut split))
                }
            }
            split.total = start.elapsed();
            (dk, db, split)
        };
        let partials: Vec<(Vec<f32>, Vec<f32>, BackwardSplit)> = if need_input_grad {
            dx.par_chunks_mut(GRAD_GROUP * in_len)
                .enumerate()
                .map_init(Default::default, |s, (g, dx)| per_group(g, Some(dx), s))
                .collect()
        } else {
            (0..groups)
                .into_par_iter()
                .map_init(Default::default, |s, g| per_group(g, None, s))
                .collect()
        };
        let mut dk = vec![0.0f32; taps * f_len];
        self.grad_bias.fill(0.0);
        let mut split = BackwardSplit::default();
        for (part, db, part_split) in &partials {
            dk.iter_mut().zip(part).for_each(|(g, p)| *g += p);
            self.grad_bias.iter_mut().zip(db).for_each(|(g, p)| *g += p);
            split += *part_split;
        }
        self.split = Some(split);
        for t in 0..taps {
            for f in 0..f_len {
                let k = self.kernel_index(t, f);
                self.grad_kernel[k] = dk[t * f_len + f];
            }
        }
        // SAFETY: with need_input_grad every sample's dx was written in full (copied rows,
        // or zeroed then accumulated by col2im); otherwise the buffer is empty.
        need_input_grad.then(|| Tensor::new(vec![n, c, h, w], unsafe { dx.assume_init() }))
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
            self.kernel_size.rows,
            self.kernel_size.cols,
            thousands(c),
            if c == 1 { "" } else { "s" },
            thousands(self.filters),
            thousands(self.param_count())
        )
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({
            "filters": self.filters,
            "kernel_size": [self.kernel_size.rows, self.kernel_size.cols],
            "strides": [self.strides.rows, self.strides.cols],
            "padding": self.padding,
            "activation": self.activation.name(),
        })
    }

    /// The kernel comes back from ONNX's `[O, I, H, W]` to Keras's `[H, W, I, O]`.
    fn import(&mut self, tensors: &[onnx::Initializer]) -> Result<(), String> {
        let (kh, kw) = self.kernel_size.pair();
        let (c_in, c_out) = (self.in_shape[2], self.filters);
        let [kernel, bias] = tensors else {
            return Err(format!(
                "a Conv2D layer has 2 weight tensors, the model gives {}",
                tensors.len()
            ));
        };
        if kernel.dims != [c_out, c_in, kh, kw] {
            return Err(format!(
                "`{}` is a kernel of {:?} where this model's is [{c_out}, {c_in}, {kh}, {kw}]",
                kernel.name, kernel.dims
            ));
        }
        let hwio = onnx::hwio_from_oihw(&kernel.values, self.kernel_size, c_in, c_out);
        self.kernel.copy_from_slice(&hwio);
        crate::layers::copy_weights(&mut self.bias, bias)
    }

    /// `Conv` (the builder transposes to NCHW first if needed, and the kernel to OIHW), then
    /// the activation's node (none for linear).
    fn export(&self, g: &mut GraphBuilder) {
        g.conv2d(
            &self.kernel,
            &self.bias,
            self.kernel_size,
            self.in_shape[2],
            self.filters,
            self.strides,
            self.padding,
        );
        g.activation(self.activation);
    }
}

impl Products for Conv2d {
    /// Useful multiply-adds (the q-space's extra columns are not counted): Ho·Wo·T·F for
    /// each of the three products.
    fn multiply_adds(&self) -> MultiplyAdds {
        let m = (self.out_hw.0 * self.out_hw.1 * self.taps() * self.filters) as u64;
        MultiplyAdds { forward: m, backward_data: m, backward_weights: m }
    }
    fn take_backward_split(&mut self) -> Option<BackwardSplit> {
        self.split.take()
    }
}

#[cfg(test)]
mod tests;
