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
//! Fused max-pool (`Layer::fuse_pool`, set by `Model::build`): when the next layer is a
//! max-pool with disjoint windows inside the output and the activation is ReLU or linear,
//! forward pools each sample's z in the thread's scratch and applies ReLU to the maxima,
//! keeping the winners' q-space positions instead of z; backward scatters the pooled
//! gradient onto them. The same bits as the two layers.
//!
//! Init: K Glorot-uniform with fan_in = kh·kw·C, fan_out = kh·kw·F; b = 0 (Keras).
//!
//! Tests, with the gradient checks of every path: `conv2d/tests.rs`.

use std::mem::MaybeUninit;
use std::time::Instant;

use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use onnx::GraphBuilder;

use super::{
    glorot_uniform, output_len, thousands, Activation, ActivationFn, Ctx, Layer, Padding,
    PoolWindows,
};
use crate::engine::offset_gemm::{
    offset_dot, offset_dot_filters, offset_gemm, round_up, PackedRows, Start, LANES,
};
use crate::engine::tensor::{assume_init_mut, lane_sum, zeroed, Tensor, Unwritten};
use crate::profile::{BackwardSplit, MultiplyAdds};

/// Samples per kernel-gradient partial sum in backward (fixed, for determinism).
const GRAD_GROUP: usize = 4;

/// Marks a fused pool's winner whose gradient the activation stops (ReLU's max was ≤ 0):
/// the position stays in the low bits, so backward adds +0 there without a branch.
const BLOCKED: u32 = 1 << 31;

/// Where the tap rows live for one sample, and how positions are counted.
struct Plan {
    /// Stride 1 (shifted views of padded planes) or gathered rows.
    shifted: bool,
    /// Positions per output row in q-space: Wp (shifted) or Wo (gathered).
    q_width: usize,
    /// Ho·q_width rounded up to the vector width.
    q_len: usize,
    /// Values of one sample's tap-row source: C padded planes, or T gathered rows.
    src_len: usize,
    /// Padded plane length (shifted).
    plane: usize,
    wp: usize,
    /// Start of tap row t = (c, ky, kx) in the sample's source.
    tap_offsets: Vec<usize>,
    /// Zeros before dz in its backward buffer (shifted: room for the largest kernel shift).
    margin: usize,
    /// Length of one filter's row of dz in the backward buffer.
    dz_row: usize,
    /// Rows read by the input-gradient product: (f, ky, kx) shifts of dz (shifted) or f rows.
    back_offsets: Vec<usize>,
    /// Positions of the input-gradient product.
    dx_q_len: usize,
}

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
    /// The max-pool after this layer, when it runs here (`Layer::fuse_pool`).
    pool: Option<PoolWindows>,
    /// With the fused pool, per pooled value of the last batch: the q-space position of
    /// its window's winner in its filter's row, with [`BLOCKED`] set where ReLU stops the
    /// gradient. Replaces `z`.
    winners: Vec<u32>,
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
            plan: Self::plan(in_shape, filters, kernel_size, strides, (ho, wo), pt),
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

    fn plan(
        in_shape: [usize; 3],
        filters: usize,
        (kh, kw): (usize, usize),
        strides: (usize, usize),
        (ho, wo): (usize, usize),
        pt: usize,
    ) -> Plan {
        let [h, _, c] = in_shape;
        let taps = c * kh * kw;
        if strides == (1, 1) {
            let (hp, wp) = (ho + kh - 1, wo + kw - 1);
            let q_len = round_up(ho * wp);
            // The last tap row reads up to (kh−1)·Wp + kw−1 + q_len − 1 ≤ Hp·Wp + kw + 6.
            let plane = round_up(hp * wp + kw + 7);
            let tap_offsets =
                (0..taps).map(|t| (t / (kh * kw)) * plane + (t / kw % kh) * wp + t % kw).collect();
            let margin = (kh - 1) * wp + kw - 1;
            let dz_row = round_up(margin + hp * wp + 8);
            // dx over the unpadded rows pt..pt+H of the padded frame: dz shifted back by (ky, kx).
            let back_offsets = (0..filters * kh * kw)
                .map(|j| (j / (kh * kw)) * dz_row + margin + pt * wp - (j / kw % kh) * wp - j % kw)
                .collect();
            Plan {
                shifted: true,
                q_width: wp,
                q_len,
                src_len: c * plane,
                plane,
                wp,
                tap_offsets,
                margin,
                dz_row,
                back_offsets,
                dx_q_len: round_up(h * wp),
            }
        } else {
            let q_len = round_up(ho * wo);
            Plan {
                shifted: false,
                q_width: wo,
                q_len,
                src_len: taps * q_len,
                plane: 0,
                wp: 0,
                tap_offsets: (0..taps).map(|t| t * q_len).collect(),
                margin: 0,
                dz_row: q_len,
                back_offsets: (0..filters).map(|f| f * q_len).collect(),
                dx_q_len: q_len,
            }
        }
    }

    /// Keras kernel index of tap t = (c, ky, kx) and filter f.
    fn kernel_index(&self, t: usize, f: usize) -> usize {
        let (kh, kw) = self.kernel_size;
        let (c, ky, kx) = (t / (kh * kw), t / kw % kh, t % kw);
        ((ky * kw + kx) * self.in_shape[2] + c) * self.filters + f
    }

    fn taps(&self) -> usize {
        self.kernel_size.0 * self.kernel_size.1 * self.in_shape[2]
    }

    /// Writes one sample's tap-row source from its planar image `[C, H, W]`. Only in-range
    /// positions are written: `src` holds zeros (or this layout's earlier values) elsewhere.
    fn fill_source(&self, image: &[f32], src: &mut [f32]) {
        let [h, w, c] = self.in_shape;
        let (pt, pl) = self.pad_top_left;
        let p = &self.plan;
        if p.shifted {
            for ch in 0..c {
                for y in 0..h {
                    let dst = ch * p.plane + (y + pt) * p.wp + pl;
                    src[dst..dst + w].copy_from_slice(&image[(ch * h + y) * w..][..w]);
                }
            }
            return;
        }
        self.for_each_gathered(|row, input| src[row] = image[input]);
    }

    /// Visits every (gathered-row position, planar input index) pair whose tap falls inside
    /// the input: position `t·q_len + oy·Wo + ox` of tap row t = (c, ky, kx). Padding
    /// positions are skipped (they stay zero). Shared by the gather and by col2im.
    fn for_each_gathered(&self, mut visit: impl FnMut(usize, usize)) {
        let [h, w, _] = self.in_shape;
        let (kh, kw) = self.kernel_size;
        let (ho, wo) = self.out_hw;
        let (pt, pl) = self.pad_top_left;
        let (sh, sw) = self.strides;
        for t in 0..self.taps() {
            let (ch, ky, kx) = (t / (kh * kw), t / kw % kh, t % kw);
            for oy in 0..ho {
                let iy = (oy * sh + ky) as isize - pt as isize;
                if iy < 0 || iy >= h as isize {
                    continue;
                }
                for ox in 0..wo {
                    let ix = (ox * sw + kx) as isize - pl as isize;
                    if ix >= 0 && ix < w as isize {
                        visit(
                            t * self.plan.q_len + oy * wo + ox,
                            (ch * h + iy as usize) * w + ix as usize,
                        );
                    }
                }
            }
        }
    }

    /// The kernel as `[F, T]` for the forward product.
    fn forward_matrix(&self) -> Vec<f32> {
        let taps = self.taps();
        let mut a = vec![0.0; self.filters * taps];
        for f in 0..self.filters {
            for t in 0..taps {
                a[f * taps + t] = self.kernel[self.kernel_index(t, f)];
            }
        }
        a
    }

    /// The kernel for the input-gradient product: `[C, F·kh·kw]` (shifted) or `[T, F]`.
    fn backward_matrix(&self) -> Vec<f32> {
        let (kh, kw) = self.kernel_size;
        let (c, f_len, area) = (self.in_shape[2], self.filters, kh * kw);
        let mut a = vec![0.0; c * f_len * area];
        for ch in 0..c {
            for f in 0..f_len {
                for s in 0..area {
                    let t = ch * area + s;
                    let v = self.kernel[self.kernel_index(t, f)];
                    if self.plan.shifted {
                        a[ch * f_len * area + f * area + s] = v;
                    } else {
                        a[t * f_len + f] = v;
                    }
                }
            }
        }
        a
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

    /// Forward with the fused max-pool (`[N, C, H, W]` → pooled `[N, F, Ho', Wo']`): per
    /// sample, z goes to the thread's scratch, is pooled, and the activation is applied to
    /// the maxima; only the pooled values and the winners leave the task, so the full-size
    /// output is never written to memory and read back.
    fn forward_pooled(&mut self, x: Tensor, pool: PoolWindows, apply_activation: bool) -> Tensor {
        let n = x.batch();
        let in_len: usize = self.in_shape.iter().product();
        assert_eq!(x.sample_len(), in_len, "Conv2D expects {:?} inputs", self.in_shape);
        let f_len = self.filters;
        let plane = pool.out_hw.0 * pool.out_hw.1;
        let pooled_len = f_len * plane;
        let (a, mut src) = self.forward_operands(n);
        let mut winners = std::mem::take(&mut self.winners);
        winners.resize(n * pooled_len, 0);
        let mut out = Unwritten::new(n * pooled_len);
        let this = &*self;
        let p = &this.plan;
        let activation = apply_activation.then_some(this.activation);
        out.par_chunks_mut(pooled_len)
            .zip(winners.par_chunks_mut(pooled_len))
            .zip(src.par_chunks_mut(p.src_len))
            .zip(x.data.par_chunks(in_len))
            .for_each_init(
                || vec![0.0f32; f_len * p.q_len],
                |z, (((out, winners), src), image)| {
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
                    let out = zeroed(out);
                    for f in 0..f_len {
                        let (o, w) = (&mut out[f * plane..][..plane], &mut winners[f * plane..]);
                        pool.pool_plane(
                            &z[f * p.q_len..][..p.q_len],
                            p.q_width,
                            0,
                            o,
                            &mut w[..plane],
                        );
                    }
                    if let Some(act @ Activation::Relu) = activation {
                        // Max and ReLU commute, so z is pooled first and ReLU applied to the
                        // maxima only (a quarter of the values for 2×2); ReLU′ at the winner
                        // is [max > 0]. On ties the winner is the one pooling ReLU's output
                        // would pick, except among windows whose gradient is zero anyway.
                        for (o, w) in out.iter().zip(winners.iter_mut()) {
                            let passes = *o > 0.0;
                            *w |= BLOCKED * u32::from(!passes);
                        }
                        act.apply(out, plane);
                    }
                },
            );
        self.applied = apply_activation;
        self.src = src;
        self.winners = winners;
        self.z.clear();
        self.batch = n;
        // SAFETY: every sample's chunk was zeroed (then pooled into) above.
        Tensor::new(vec![n, f_len, pool.out_hw.0, pool.out_hw.1], unsafe { out.assume_init() })
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

    /// One sample's dz in q-space from the pooled gradient `g` `[F, Ho', Wo']`: each
    /// value onto its winner (nothing where ReLU stopped it), and the bias gradient as
    /// the unfused path sums it (per output row, in 8 lanes), so both give the same bits.
    fn scatter_pooled(&self, g: &[f32], winners: &[u32], dzq: &mut [f32], db: &mut [f32]) {
        let p = &self.plan;
        let (ho, wo) = self.out_hw;
        let plane = g.len() / self.filters;
        for (f, (g, w)) in g.chunks(plane).zip(winners.chunks(plane)).enumerate() {
            let row = &mut dzq[f * p.dz_row + p.margin..];
            // Branch-free (ReLU's cut is unpredictable): a blocked winner gets 0 + 0, as the
            // unfused ReLU′ gives it; windows are disjoint, so each position is hit once.
            for (g, &w) in g.iter().zip(w) {
                row[(w & !BLOCKED) as usize] += if w & BLOCKED == 0 { *g } else { 0.0 };
            }
            for oy in 0..ho {
                db[f] += lane_sum(&row[oy * p.q_width..][..wo]);
            }
        }
    }

    /// Adds one sample's gathered-row gradient `dcols` `[T, q_len]` onto its planar `dimage`.
    fn col2im(&self, dcols: &[f32], dimage: &mut [f32]) {
        self.for_each_gathered(|row, input| dimage[input] += dcols[row]);
    }
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
                // Back to all zeros for the next sample: only the winners were written.
                for (f, w) in winners.chunks(gh * gw).enumerate() {
                    for &w in w {
                        dzq[f * p.dz_row + p.margin + (w & !BLOCKED) as usize] = 0.0;
                    }
                }
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
    /// Useful multiply-adds (the q-space's extra columns are not counted): Ho·Wo·T·F for
    /// each of the three products.
    fn multiply_adds(&self) -> MultiplyAdds {
        let m = (self.out_hw.0 * self.out_hw.1 * self.taps() * self.filters) as u64;
        MultiplyAdds { forward: m, backward_data: m, backward_weights: m }
    }
    fn take_backward_split(&mut self) -> Option<BackwardSplit> {
        self.split.take()
    }
    /// Takes a pool whose windows are disjoint and inside this layer's output, after ReLU
    /// or no activation: max and ReLU commute on the winner, so its gradient is the
    /// pooled value's gradient where ReLU passes it and nothing elsewhere.
    fn fuse_pool(&mut self, pool: PoolWindows) -> bool {
        let fits = pool.in_hw == self.out_hw
            && pool.disjoint_unpadded()
            && matches!(self.activation, Activation::Relu | Activation::Linear);
        if fits {
            self.pool = Some(pool);
        }
        fits
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

    /// The kernel comes back from ONNX's `[O, I, H, W]` to Keras's `[H, W, I, O]`.
    fn import(&mut self, tensors: &[onnx::Initializer]) -> Result<(), String> {
        let (kh, kw) = self.kernel_size;
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
        let hwio = onnx::hwio_from_oihw(&kernel.values, kh, kw, c_in, c_out);
        self.kernel.copy_from_slice(&hwio);
        super::copy_weights(&mut self.bias, bias)
    }

    /// `Conv` (the builder transposes to NCHW first if needed, and the kernel to OIHW), then
    /// the activation's node (none for linear).
    fn export(&self, g: &mut GraphBuilder) {
        let (kh, kw) = self.kernel_size;
        g.conv2d(
            &self.kernel,
            &self.bias,
            kh,
            kw,
            self.in_shape[2],
            self.filters,
            self.strides,
            self.padding,
        );
        g.activation(self.activation);
    }
}

#[cfg(test)]
mod tests;
