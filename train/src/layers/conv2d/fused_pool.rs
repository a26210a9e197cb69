//! Conv2D with the max-pool after it run inside (set by the model's build when the
//! pool's windows are disjoint and inside the output, after ReLU or no activation):
//! forward pools each sample's z in the thread's scratch and applies ReLU to the
//! maxima, keeping the winners' q-space positions instead of z; backward scatters the
//! pooled gradient onto them. The same bits as the two layers.

use rayon::prelude::*;

use super::Conv2d;
use crate::engine::offset_gemm::{offset_gemm, Start};
use crate::engine::tensor::{lane_sum, zeroed, Tensor, Unwritten};
use crate::layers::{Activation, ActivationFn, PoolWindows};

/// Marks a fused pool's winner whose gradient the activation stops (ReLU's max was ≤ 0):
/// the position stays in the low bits, so backward adds +0 there without a branch.
const BLOCKED: u32 = 1 << 31;

impl Conv2d {
    /// Takes a pool whose windows are disjoint and inside this layer's output, after ReLU
    /// or no activation: max and ReLU commute on the winner, so its gradient is the
    /// pooled value's gradient where ReLU passes it and nothing elsewhere. False (and
    /// nothing changes) when it cannot.
    pub fn fuse_pool(&mut self, pool: PoolWindows) -> bool {
        let fits = pool.in_hw == self.out_hw
            && pool.disjoint_unpadded()
            && matches!(self.activation, Activation::Relu | Activation::Linear);
        if fits {
            self.pool = Some(pool);
        }
        fits
    }

    /// Forward with the fused max-pool (`[N, C, H, W]` → pooled `[N, F, Ho', Wo']`): per
    /// sample, z goes to the thread's scratch, is pooled, and the activation is applied to
    /// the maxima; only the pooled values and the winners leave the task, so the full-size
    /// output is never written to memory and read back.
    pub(super) fn forward_pooled(
        &mut self,
        x: Tensor,
        pool: PoolWindows,
        apply_activation: bool,
    ) -> Tensor {
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

    /// One sample's dz in q-space from the pooled gradient `g` `[F, Ho', Wo']`: each
    /// value onto its winner (nothing where ReLU stopped it), and the bias gradient as
    /// the unfused path sums it (per output row, in 8 lanes), so both give the same bits.
    pub(super) fn scatter_pooled(
        &self,
        g: &[f32],
        winners: &[u32],
        dzq: &mut [f32],
        db: &mut [f32],
    ) {
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

    /// Puts one sample's dz back to all zeros for the next sample: only the winners were
    /// written.
    pub(super) fn clear_winners(&self, winners: &[u32], dzq: &mut [f32]) {
        let p = &self.plan;
        let plane = winners.len() / self.filters;
        for (f, w) in winners.chunks(plane).enumerate() {
            for &w in w {
                dzq[f * p.dz_row + p.margin + (w & !BLOCKED) as usize] = 0.0;
            }
        }
    }
}
