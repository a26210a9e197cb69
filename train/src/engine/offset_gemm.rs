//! Matrix products whose other operand is a list of rows at given offsets into one
//! buffer — an im2col matrix that is never written. `Conv2D` with stride 1 reads its
//! taps as shifted views of the zero-padded input planes (row `(c, ky, kx)` starts at
//! `c·plane + ky·Wp + kx`), so forward, kernel gradient and input gradient are all one
//! of these two products, vectorised along the output positions.
//!
//! * [`offset_gemm`]: `out[i][q] = bias[i] + Σ_k a[i][k] · src[offsets[k] + q]`
//! * [`offset_dot`]:  `out[t][f] += Σ_q src[offsets[t] + q] · g[f][q]`
//! * [`offset_dot_filters`]: the same sums with the gradient transposed, `gt[q][f]`,
//!   vectorised along the filters instead of the positions (short rows, many filters)
//!
//! `q_len` is a multiple of 8 (callers pad their rows), so the AVX2/FMA kernels have no
//! tails. Results depend only on the sizes, never on the thread count (the callers
//! split work by sample). Machines without AVX2/FMA take a plain loop.

// The kernels index fixed-size register blocks (`acc[r][v]`) and take every size as an
// argument: that keeps their shape visible and lets the compiler keep them in registers.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

/// Positions per vector.
pub const LANES: usize = 8;

/// Rounds `n` up to a multiple of [`LANES`].
pub fn round_up(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// The left operand of [`offset_gemm`], packed once for many products (a layer packs its
/// kernel once per batch, not once per sample): rows in blocks of 6 (or 5, 4, …), each
/// block k-major, `[k][row]`, so the kernel's broadcasts read consecutive values.
pub struct PackedRows {
    m: usize,
    k: usize,
    /// (first row, rows) of each block, in order; block data follow each other.
    blocks: Vec<(usize, usize)>,
    data: Vec<f32>,
}

impl PackedRows {
    /// Packs `a`, row-major `m × k`.
    pub fn new(a: &[f32], m: usize, k: usize) -> Self {
        assert!(a.len() >= m * k, "a is smaller than {m}×{k}");
        let mut blocks = Vec::new();
        let mut data = vec![0.0f32; m * k];
        let mut i0 = 0;
        while i0 < m {
            // 6 (or 5, 4) rows × 16 positions: 8–12 accumulators plus 2 source vectors and
            // a broadcast fit the 16 AVX registers (4 × 24 spilled one accumulator, which
            // then went through memory every step).
            let mr = match m - i0 {
                5 | 10 => 5,
                8 => 4,
                6.. => 6,
                r => r,
            };
            let panel = &mut data[i0 * k..(i0 + mr) * k];
            for r in 0..mr {
                for (kk, v) in a[(i0 + r) * k..(i0 + r + 1) * k].iter().enumerate() {
                    panel[kk * mr + r] = *v;
                }
            }
            blocks.push((i0, mr));
            i0 += mr;
        }
        PackedRows { m, k, blocks, data }
    }

    /// Element (i, k) of the original matrix.
    fn get(&self, i: usize, k: usize) -> f32 {
        let &(i0, mr) = self.blocks.iter().rev().find(|(i0, _)| *i0 <= i).unwrap();
        self.data[i0 * self.k + k * mr + (i - i0)]
    }
}

/// `out[i·ldo + q] = bias[i] + Σ_k a[i][k] · src[offsets[k] + q]` for `i < m`, `q < q_len`,
/// with `a` the packed `m × K` matrix and `K = offsets.len()`. Overwrites `out`.
pub fn offset_gemm(
    a: &PackedRows,
    offsets: &[usize],
    src: &[f32],
    q_len: usize,
    bias: Option<&[f32]>,
    out: &mut [f32],
    ldo: usize,
) {
    let (m, k_len) = (a.m, a.k);
    assert_eq!(offsets.len(), k_len, "{} offsets for {k_len} columns", offsets.len());
    assert_eq!(q_len % LANES, 0, "q_len must be a multiple of {LANES}");
    assert!(bias.is_none_or(|b| b.len() >= m), "bias shorter than {m}");
    if m == 0 || q_len == 0 {
        return;
    }
    assert!(ldo >= q_len && out.len() >= (m - 1) * ldo + q_len, "out too small");
    if let Some(&max) = offsets.iter().max() {
        assert!(max + q_len <= src.len(), "an offset row runs past the source");
    }
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: bounds checked above; AVX2 and FMA detected.
        unsafe { avx2::offset_gemm(a, offsets, src, q_len, bias, out, ldo) };
        return;
    }
    for i in 0..m {
        let row = &mut out[i * ldo..i * ldo + q_len];
        row.fill(bias.map_or(0.0, |b| b[i]));
        for (k, &off) in offsets.iter().enumerate() {
            let w = a.get(i, k);
            row.iter_mut().zip(&src[off..off + q_len]).for_each(|(o, s)| *o = w.mul_add(*s, *o));
        }
    }
}

/// `out[t·F + f] += Σ_{q < q_len} src[offsets[t] + q] · g[f·ldg + q]` for `t < offsets.len()`,
/// `f < F = f_len`. Accumulates into `out`.
pub fn offset_dot(
    src: &[f32],
    offsets: &[usize],
    g: &[f32],
    f_len: usize,
    ldg: usize,
    q_len: usize,
    out: &mut [f32],
) {
    let t_len = offsets.len();
    assert_eq!(q_len % LANES, 0, "q_len must be a multiple of {LANES}");
    assert!(out.len() >= t_len * f_len, "out smaller than {t_len}×{f_len}");
    if t_len == 0 || f_len == 0 || q_len == 0 {
        return;
    }
    assert!(ldg >= q_len && g.len() >= (f_len - 1) * ldg + q_len, "g too small");
    let max = *offsets.iter().max().unwrap();
    assert!(max + q_len <= src.len(), "an offset row runs past the source");
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: bounds checked above; AVX2 and FMA detected.
        unsafe { avx2::offset_dot(src, offsets, g, f_len, ldg, q_len, out) };
        return;
    }
    for (t, &off) in offsets.iter().enumerate() {
        let s = &src[off..off + q_len];
        for f in 0..f_len {
            let gf = &g[f * ldg..f * ldg + q_len];
            out[t * f_len + f] += s.iter().zip(gf).map(|(a, b)| a * b).sum::<f32>();
        }
    }
}

/// `out[t·F + f] += Σ_{q < q_len} src[offsets[t] + q] · gt[q·ldg + f]` for `t < offsets.len()`,
/// `f < F = f_len`, with `F` a multiple of 8 (`ldg` ≥ F: a row stride off a power of two
/// keeps the column of rows a block reads spread over the L1 sets). [`offset_dot`]'s sums, vectorised along the
/// filters: each (t, f) sums its positions in order in one lane, so there is no horizontal
/// sum per pair — what dominates `offset_dot` when rows are short (the late layers: 80
/// positions at 8×8) and there are many filters. Accumulates into `out`.
pub fn offset_dot_filters(
    src: &[f32],
    offsets: &[usize],
    gt: &[f32],
    f_len: usize,
    ldg: usize,
    q_len: usize,
    out: &mut [f32],
) {
    let t_len = offsets.len();
    assert_eq!(f_len % LANES, 0, "f_len must be a multiple of {LANES}");
    assert!(out.len() >= t_len * f_len, "out smaller than {t_len}×{f_len}");
    assert!(ldg >= f_len, "ldg below f_len");
    if q_len > 0 {
        assert!(gt.len() >= (q_len - 1) * ldg + f_len, "gt smaller than {q_len}×{f_len}");
    }
    if t_len == 0 || f_len == 0 || q_len == 0 {
        return;
    }
    let max = *offsets.iter().max().unwrap();
    assert!(max + q_len <= src.len(), "an offset row runs past the source");
    #[cfg(target_arch = "x86_64")]
    if has_fma() {
        // SAFETY: bounds checked above; AVX2 and FMA detected.
        unsafe { avx2::offset_dot_filters(src, offsets, gt, f_len, ldg, q_len, out) };
        return;
    }
    for (t, &off) in offsets.iter().enumerate() {
        let row = &mut out[t * f_len..][..f_len];
        for q in 0..q_len {
            let s = src[off + q];
            row.iter_mut().zip(&gt[q * ldg..][..f_len]).for_each(|(o, g)| *o = s.mul_add(*g, *o));
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn has_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{PackedRows, LANES};

    /// Positions summed per chunk in `offset_dot`: its rows then stay in L1/L2.
    const DOT_CHUNK: usize = 1024;

    /// Positions per chunk: every row block sweeps one chunk before the next, so the chunk's
    /// slice of each tap row (K × 96 values) is read from L1 by all row blocks.
    const GEMM_CHUNK: usize = 96;

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn offset_gemm(
        a: &PackedRows,
        offsets: &[usize],
        src: &[f32],
        q_len: usize,
        bias: Option<&[f32]>,
        out: &mut [f32],
        ldo: usize,
    ) {
        let k_len = a.k;
        let blocks: Vec<(usize, usize, [f32; 6])> = a
            .blocks
            .iter()
            .map(|&(i0, mr)| {
                let mut init = [0.0f32; 6];
                if let Some(b) = bias {
                    init[..mr].copy_from_slice(&b[i0..i0 + mr]);
                }
                (i0, mr, init)
            })
            .collect();
        let (s, offs) = (src.as_ptr(), offsets.as_ptr());
        let mut q0 = 0;
        while q0 < q_len {
            let q1 = (q0 + GEMM_CHUNK).min(q_len);
            for (i0, mr, init) in &blocks {
                let p = a.data.as_ptr().add(i0 * k_len);
                let o = out.as_mut_ptr().add(i0 * ldo);
                match mr {
                    6 => rows::<6, 2>(p, k_len, offs, s, q0, q1, init, o, ldo),
                    5 => rows::<5, 2>(p, k_len, offs, s, q0, q1, init, o, ldo),
                    4 => rows::<4, 2>(p, k_len, offs, s, q0, q1, init, o, ldo),
                    3 => rows::<3, 3>(p, k_len, offs, s, q0, q1, init, o, ldo),
                    2 => rows::<2, 4>(p, k_len, offs, s, q0, q1, init, o, ldo),
                    _ => rows::<1, 4>(p, k_len, offs, s, q0, q1, init, o, ldo),
                }
            }
            q0 = q1;
        }
    }

    /// MR output rows over positions q0..q1: blocks of QV vectors, then single vectors.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn rows<const MR: usize, const QV: usize>(
        packed: *const f32,
        k_len: usize,
        offsets: *const usize,
        src: *const f32,
        q0: usize,
        q1: usize,
        init: &[f32; 6],
        out: *mut f32,
        ldo: usize,
    ) {
        let mut q = q0;
        while q + QV * LANES <= q1 {
            block::<MR, QV>(packed, k_len, offsets, src, q, init, out, ldo);
            q += QV * LANES;
        }
        while q < q1 {
            block::<MR, 1>(packed, k_len, offsets, src, q, init, out, ldo);
            q += LANES;
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn block<const MR: usize, const QV: usize>(
        packed: *const f32,
        k_len: usize,
        offsets: *const usize,
        src: *const f32,
        q0: usize,
        init: &[f32; 6],
        out: *mut f32,
        ldo: usize,
    ) {
        let mut acc = [[_mm256_setzero_ps(); QV]; MR];
        for r in 0..MR {
            let b = _mm256_set1_ps(init[r]);
            for v in 0..QV {
                acc[r][v] = b;
            }
        }
        for k in 0..k_len {
            let s = src.add(*offsets.add(k) + q0);
            let mut x = [_mm256_setzero_ps(); QV];
            for v in 0..QV {
                x[v] = _mm256_loadu_ps(s.add(v * LANES));
            }
            for r in 0..MR {
                let w = _mm256_broadcast_ss(&*packed.add(k * MR + r));
                for v in 0..QV {
                    acc[r][v] = _mm256_fmadd_ps(w, x[v], acc[r][v]);
                }
            }
        }
        for r in 0..MR {
            for v in 0..QV {
                _mm256_storeu_ps(out.add(r * ldo + q0 + v * LANES), acc[r][v]);
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn offset_dot(
        src: &[f32],
        offsets: &[usize],
        g: &[f32],
        f_len: usize,
        ldg: usize,
        q_len: usize,
        out: &mut [f32],
    ) {
        let t_len = offsets.len();
        let (s, offs, gp, o) = (src.as_ptr(), offsets.as_ptr(), g.as_ptr(), out.as_mut_ptr());
        let mut q0 = 0;
        while q0 < q_len {
            let q1 = (q0 + DOT_CHUNK).min(q_len);
            let mut t0 = 0;
            while t0 < t_len {
                let tr = (t_len - t0).min(3);
                let mut f0 = 0;
                while f0 < f_len {
                    let fr = (f_len - f0).min(4);
                    let args = (
                        s,
                        offs.add(t0),
                        gp.add(f0 * ldg),
                        ldg,
                        q0,
                        q1,
                        o.add(t0 * f_len + f0),
                        f_len,
                    );
                    match (tr, fr) {
                        (3, 4) => dot::<3, 4>(args),
                        (3, 3) => dot::<3, 3>(args),
                        (3, 2) => dot::<3, 2>(args),
                        (3, _) => dot::<3, 1>(args),
                        (2, 4) => dot::<2, 4>(args),
                        (2, 3) => dot::<2, 3>(args),
                        (2, 2) => dot::<2, 2>(args),
                        (2, _) => dot::<2, 1>(args),
                        (_, 4) => dot::<1, 4>(args),
                        (_, 3) => dot::<1, 3>(args),
                        (_, 2) => dot::<1, 2>(args),
                        _ => dot::<1, 1>(args),
                    }
                    f0 += fr;
                }
                t0 += tr;
            }
            q0 = q1;
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn offset_dot_filters(
        src: &[f32],
        offsets: &[usize],
        gt: &[f32],
        f_len: usize,
        ldg: usize,
        q_len: usize,
        out: &mut [f32],
    ) {
        let t_len = offsets.len();
        let (s, offs, gp, o) = (src.as_ptr(), offsets.as_ptr(), gt.as_ptr(), out.as_mut_ptr());
        let mut f0 = 0;
        while f0 < f_len {
            let fv = ((f_len - f0) / LANES).min(2);
            let mut t0 = 0;
            while t0 < t_len {
                let tr = (t_len - t0).min(6);
                let args =
                    (s, offs.add(t0), gp.add(f0), (f_len, ldg), q_len, o.add(t0 * f_len + f0));
                match (tr, fv) {
                    (6, 2) => dot_filters::<6, 2>(args),
                    (5, 2) => dot_filters::<5, 2>(args),
                    (4, 2) => dot_filters::<4, 2>(args),
                    (3, 2) => dot_filters::<3, 2>(args),
                    (2, 2) => dot_filters::<2, 2>(args),
                    (_, 2) => dot_filters::<1, 2>(args),
                    (6, _) => dot_filters::<6, 1>(args),
                    (5, _) => dot_filters::<5, 1>(args),
                    (4, _) => dot_filters::<4, 1>(args),
                    (3, _) => dot_filters::<3, 1>(args),
                    (2, _) => dot_filters::<2, 1>(args),
                    _ => dot_filters::<1, 1>(args),
                }
                t0 += tr;
            }
            f0 += fv * LANES;
        }
    }

    /// TR source rows × FV·8 filters over all positions: 12 accumulators at most, each
    /// position one load per filter vector and one broadcast per row.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot_filters<const TR: usize, const FV: usize>(
        (src, offsets, gt, (f_len, ldg), q_len, out): (
            *const f32,
            *const usize,
            *const f32,
            (usize, usize),
            usize,
            *mut f32,
        ),
    ) {
        let mut acc = [[_mm256_setzero_ps(); FV]; TR];
        let mut rows = [src; TR];
        for t in 0..TR {
            rows[t] = src.add(*offsets.add(t));
        }
        for q in 0..q_len {
            let mut y = [_mm256_setzero_ps(); FV];
            for v in 0..FV {
                y[v] = _mm256_loadu_ps(gt.add(q * ldg + v * LANES));
            }
            for t in 0..TR {
                let x = _mm256_broadcast_ss(&*rows[t].add(q));
                for v in 0..FV {
                    acc[t][v] = _mm256_fmadd_ps(x, y[v], acc[t][v]);
                }
            }
        }
        for t in 0..TR {
            for v in 0..FV {
                let p = out.add(t * f_len + v * LANES);
                _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), acc[t][v]));
            }
        }
    }

    type DotArgs = (*const f32, *const usize, *const f32, usize, usize, usize, *mut f32, usize);

    /// TR source rows × FR gradient rows over positions q0..q1, added into `out` (row stride `ldo`).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn dot<const TR: usize, const FR: usize>(
        (src, offsets, g, ldg, q0, q1, out, ldo): DotArgs,
    ) {
        let mut acc = [[_mm256_setzero_ps(); FR]; TR];
        let mut rows = [src; TR];
        for t in 0..TR {
            rows[t] = src.add(*offsets.add(t));
        }
        let mut q = q0;
        while q < q1 {
            let mut x = [_mm256_setzero_ps(); TR];
            for t in 0..TR {
                x[t] = _mm256_loadu_ps(rows[t].add(q));
            }
            for f in 0..FR {
                let y = _mm256_loadu_ps(g.add(f * ldg + q));
                for t in 0..TR {
                    acc[t][f] = _mm256_fmadd_ps(x[t], y, acc[t][f]);
                }
            }
            q += LANES;
        }
        for t in 0..TR {
            for f in 0..FR {
                *out.add(t * ldo + f) += horizontal_sum(acc[t][f]);
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline]
    unsafe fn horizontal_sum(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n)
            .map(|i| {
                (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 8) % 2001) as f32
                    / 1000.0
                    - 1.0
            })
            .collect()
    }

    #[test]
    fn offset_gemm_matches_plain_sums() {
        // Row counts hit every block shape (6, 5, 4, 3, 2, 1) and q_len both block and vector tails.
        for (m, k, q_len) in [
            (10, 7, 40),
            (8, 3, 24),
            (7, 5, 56),
            (3, 9, 8),
            (2, 4, 16),
            (1, 6, 72),
            (13, 11, 104),
            (16, 5, 96),
            (128, 9, 80),
        ] {
            let src = values(400, 1);
            let offsets: Vec<usize> = (0..k).map(|i| (i * 37) % 250).collect();
            let a = values(m * k, 2);
            let bias = values(m, 3);
            let ldo = q_len + 8;
            let mut out = vec![f32::NAN; m * ldo];
            offset_gemm(
                &PackedRows::new(&a, m, k),
                &offsets,
                &src,
                q_len,
                Some(&bias),
                &mut out,
                ldo,
            );
            for i in 0..m {
                for q in 0..q_len {
                    let want: f64 = bias[i] as f64
                        + (0..k)
                            .map(|j| a[i * k + j] as f64 * src[offsets[j] + q] as f64)
                            .sum::<f64>();
                    let got = out[i * ldo + q] as f64;
                    assert!((got - want).abs() < 1e-4, "m {m} k {k} [{i}][{q}]: {got} vs {want}");
                }
                assert!(out[i * ldo + q_len].is_nan(), "wrote past q_len");
            }
        }
    }

    /// `out` (started at 1.0) holds `1 + Σ_q src[offsets[t] + q] · g(f, q)` for every (t, f).
    fn assert_plain_sums(
        out: &[f32],
        src: &[f32],
        offsets: &[usize],
        (f_len, q_len): (usize, usize),
        g: impl Fn(usize, usize) -> f32,
    ) {
        for (t, &off) in offsets.iter().enumerate() {
            for f in 0..f_len {
                let want: f64 =
                    1.0 + (0..q_len).map(|q| src[off + q] as f64 * g(f, q) as f64).sum::<f64>();
                let got = out[t * f_len + f] as f64;
                assert!((got - want).abs() < 1e-3, "[{t}][{f}] q {q_len}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn offset_dot_accumulates_plain_sums() {
        for (t_len, f_len, q_len) in [(7, 10, 48), (3, 4, 8), (5, 3, 2064), (1, 1, 16), (2, 6, 24)]
        {
            let src = values(3000, 4);
            let offsets: Vec<usize> = (0..t_len).map(|i| (i * 53) % 900).collect();
            let ldg = q_len + 16;
            let g = values(f_len * ldg, 5);
            let mut out = vec![1.0f32; t_len * f_len];
            offset_dot(&src, &offsets, &g, f_len, ldg, q_len, &mut out);
            assert_plain_sums(&out, &src, &offsets, (f_len, q_len), |f, q| g[f * ldg + q]);
        }
    }

    #[test]
    fn offset_dot_filters_accumulates_plain_sums() {
        // Filter counts hit both vector widths (16 and a lone 8) and row counts every block height.
        for (t_len, f_len, q_len) in
            [(7, 24, 80), (13, 16, 8), (6, 8, 33), (1, 128, 5), (20, 32, 288)]
        {
            let src = values(3000, 6);
            let offsets: Vec<usize> = (0..t_len).map(|i| (i * 53) % 900).collect();
            let ldg = f_len + 8;
            let gt = values(q_len * ldg, 7);
            let mut out = vec![1.0f32; t_len * f_len];
            offset_dot_filters(&src, &offsets, &gt, f_len, ldg, q_len, &mut out);
            assert_plain_sums(&out, &src, &offsets, (f_len, q_len), |f, q| gt[q * ldg + f]);
        }
    }

    #[test]
    fn packed_rows_keep_every_element() {
        for m in [1, 5, 8, 10, 13, 16, 128] {
            let a = values(m * 7, 6);
            let p = PackedRows::new(&a, m, 7);
            for i in 0..m {
                for k in 0..7 {
                    assert_eq!(p.get(i, k), a[i * 7 + k], "m {m} ({i}, {k})");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "runs past the source")]
    fn rows_past_the_source_are_refused() {
        let mut out = vec![0.0; 8];
        offset_gemm(&PackedRows::new(&[1.0], 1, 1), &[5], &[0.0; 12], 8, None, &mut out, 8);
    }
}

/// Throughput of the two products on the lab's convolution shapes, in multiply-adds per
/// nanosecond (one thread): `cargo test --release -p train offset_gemm_speed -- --ignored --nocapture`.
#[cfg(test)]
mod speed {
    use super::*;

    #[test]
    #[ignore]
    fn offset_gemm_speed() {
        // (name, C, kernel, H=W, filters): stride-1 `same` convolutions.
        for (name, c, k, hw, f) in [
            ("seed conv1", 1, 7, 28, 10),
            ("seed conv2", 10, 5, 14, 10),
            ("pneu conv1", 1, 3, 128, 8),
            ("pneu conv2", 8, 3, 64, 16),
            ("pneu conv3", 16, 3, 32, 32),
            ("pneu conv4", 32, 3, 16, 64),
            ("pneu conv5", 64, 3, 8, 128),
        ] {
            let wp = hw + k - 1;
            let plane = round_up(wp * wp + k + 7);
            let src = vec![0.5f32; c * plane + 64];
            let offsets: Vec<usize> =
                (0..c * k * k).map(|t| (t / (k * k)) * plane + (t / k % k) * wp + t % k).collect();
            let q_len = round_up(hw * wp);
            let a = PackedRows::new(&vec![0.25f32; f * offsets.len()], f, offsets.len());
            let mut out = vec![0.0f32; f * q_len];
            let mut dk = vec![0.0f32; offsets.len() * f];
            let g = vec![0.5f32; (f + 8) * q_len];
            let reps = (2e8 / (f * offsets.len() * q_len) as f64).ceil() as usize;
            let t0 = std::time::Instant::now();
            for _ in 0..reps {
                offset_gemm(&a, &offsets, &src, q_len, None, &mut out, q_len);
            }
            let fwd = t0.elapsed().as_secs_f64();
            let t0 = std::time::Instant::now();
            for _ in 0..reps {
                offset_dot(&src, &offsets, &g, f, q_len, q_len, &mut dk);
            }
            let dot = t0.elapsed().as_secs_f64();
            let t0 = std::time::Instant::now();
            for _ in 0..reps * (f % LANES == 0) as usize {
                offset_dot_filters(&src, &offsets, &g, f, f + 8, q_len, &mut dk);
            }
            let dot_f = t0.elapsed().as_secs_f64();
            let macs = (reps * f * offsets.len() * q_len) as f64;
            println!("{name}: M {f:>3} K {:>4} q {q_len:>5}: offset_gemm {:5.1} MAC/ns, offset_dot {:5.1} MAC/ns, offset_dot_filters {:5.1} MAC/ns", offsets.len(), macs / fwd / 1e9, macs / dot / 1e9, macs / dot_f / 1e9);
        }
    }
}
