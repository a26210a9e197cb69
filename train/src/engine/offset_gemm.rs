//! Matrix products whose other operand is a list of rows at given offsets into one
//! buffer — an im2col matrix that is never written. `Conv2D` with stride 1 reads its
//! taps as shifted views of the zero-padded input planes (row `(c, ky, kx)` starts at
//! `c·plane + ky·Wp + kx`), so forward, kernel gradient and input gradient are all one
//! of these products, vectorised along the output positions; `Dense` uses
//! [`offset_gemm`] with the rows of its right operand (`gemm.rs`).
//!
//! * [`offset_gemm`]: `out[i][q] = start + Σ_k a[i][k] · src[offsets[k] + q]`
//! * [`offset_dot`]:  `out[t][f] += Σ_q src[offsets[t] + q] · g[f][q]`
//! * [`offset_dot_filters`]: the same sums with the gradient transposed, `gt[q][f]`,
//!   vectorised along the filters instead of the positions (layers of 16+ filters)
//!
//! # The same bits on every instruction set
//!
//! Each kernel is written once, generic over [`Simd`], and compiled for AVX-512F,
//! AVX2+FMA, NEON and a portable path; [`Isa::current`] picks one per process. The
//! register blocking differs per set, the arithmetic does not, because each result's
//! summation order is part of the kernel's contract:
//!
//! * `offset_gemm`: every `out[i][q]` is one FMA chain over `k = 0, 1, …` in order,
//!   starting from its start value (zero, the row's bias, or `out` itself).
//! * `offset_dot`: positions are taken in chunks of [`DOT_CHUNK`]; in a chunk, partial
//!   sum `l` of 8 is the FMA chain over positions `≡ l (mod 8)` in order, from +0; the 8
//!   are reduced by one fixed tree (`l + l+4`, then `l + l+2`, then `0 + 1`) and the
//!   chunk's sum is added to `out`. AVX2, AVX-512 (in 8-lane registers, 32 of them) and
//!   the portable path hold the 8 in one register, NEON in two.
//! * `offset_dot_filters`: every `(t, f)` is one FMA chain over the positions in order,
//!   from +0, then added to `out`.
//!
//! Lanes past a row's end are masked (loaded as zeros, never stored), and an FMA of
//! zeros leaves a chain unchanged (a chain started at +0 is never −0), so tails cost
//! nothing in exactness. Results depend on the sizes only, never on the instruction set
//! or the thread count (the callers split work by sample or by fixed row blocks).

// The kernels index fixed-size register blocks (`acc[r][v]`) and take every size as an
// argument: that keeps their shape visible and lets the compiler keep them in registers.
#![allow(clippy::needless_range_loop, clippy::too_many_arguments)]

#[cfg(target_arch = "x86_64")]
use super::isa::has_fma;
use super::isa::Isa;
#[cfg(test)]
use super::simd::tree8;
#[cfg(target_arch = "aarch64")]
use super::simd::Neon;
#[cfg(target_arch = "x86_64")]
use super::simd::{Avx2, Avx512};
use super::simd::{Portable, Simd};

/// The granule callers round their rows to (positions, filters): the narrowest vector
/// the x86 paths use, so AVX2 needs no tails on the conv shapes.
pub const LANES: usize = 8;

/// Rounds `n` up to a multiple of [`LANES`].
pub fn round_up(n: usize) -> usize {
    n.div_ceil(LANES) * LANES
}

/// Positions per chunk of [`offset_dot`] (part of its summation contract).
pub const DOT_CHUNK: usize = 1024;

/// Partial sums per (row, filter) pair in [`offset_dot`] (part of its contract).
const DOT_SUMS: usize = 8;

/// Most rows of an [`offset_gemm`] register block on `isa`: 8 with 32 vector registers
/// (up to 24 accumulators), 6 with 16.
fn gemm_rows(isa: Isa) -> usize {
    match isa {
        Isa::Avx512 | Isa::Neon => 8,
        Isa::Avx2 | Isa::Portable => 6,
    }
}

/// Rows split into as few register blocks as `isa` allows, as even as possible (10 rows
/// with blocks of 6 → 5 + 5, not 6 + 4): (first row, rows) of each.
fn row_blocks(isa: Isa, m: usize) -> Vec<(usize, usize)> {
    let count = m.div_ceil(gemm_rows(isa));
    let mut blocks = Vec::with_capacity(count);
    let mut i0 = 0;
    for b in 0..count {
        let mr = m / count + usize::from(b < m % count);
        blocks.push((i0, mr));
        i0 += mr;
    }
    blocks
}

/// The left operand as the kernels read it: element (i, k) of block `(i0, mr)` at
/// `data[i0·k + k·mr + i]` when packed, else at `data[(i0 + i)·rs + k·cs]`.
#[derive(Clone, Copy)]
pub(crate) struct Left<'a> {
    data: &'a [f32],
    k: usize,
    blocks: &'a [(usize, usize)],
    packed: bool,
    rs: usize,
    cs: usize,
}

/// The left operand of [`offset_gemm`], packed once for many products (a layer packs its
/// kernel once per batch, not once per sample): rows in blocks of up to 6 or 8 (the
/// instruction set's register block), each block k-major, `[k][row]`, so the kernel's
/// broadcasts read consecutive values. Packed for the process's [`Isa::current`] or a
/// given one, whose kernels then run it.
pub struct PackedRows {
    isa: Isa,
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
        Self::from_fn(Isa::current(), m, k, |i, j| a[i * k + j])
    }

    /// Packs the `m × k` matrix whose element (i, j) is `at(i, j)`, for `isa`.
    pub fn from_fn(isa: Isa, m: usize, k: usize, at: impl Fn(usize, usize) -> f32) -> Self {
        assert!(isa.is_supported(), "this CPU cannot run the {isa} kernels");
        let blocks = row_blocks(isa, m);
        let mut data = vec![0.0f32; m * k];
        for &(i0, mr) in &blocks {
            let panel = &mut data[i0 * k..(i0 + mr) * k];
            for r in 0..mr {
                for kk in 0..k {
                    panel[kk * mr + r] = at(i0 + r, kk);
                }
            }
        }
        PackedRows { isa, m, k, blocks, data }
    }

    /// How the kernels read it.
    fn left(&self) -> Left<'_> {
        Left { data: &self.data, k: self.k, blocks: &self.blocks, packed: true, rs: 0, cs: 0 }
    }

    /// Element (i, k) of the original matrix.
    #[cfg(test)]
    fn get(&self, i: usize, k: usize) -> f32 {
        let &(i0, mr) = self.blocks.iter().rev().find(|(i0, _)| *i0 <= i).unwrap();
        self.data[i0 * self.k + k * mr + (i - i0)]
    }
}

/// Where each sum of [`offset_gemm`] starts.
#[derive(Clone, Copy)]
pub enum Start<'a> {
    /// +0.
    Zero,
    /// `bias[i]` for every position of row i.
    RowBias(&'a [f32]),
    /// The value already in `out` (accumulate).
    Out,
}

/// `out[i·ldo + q] = start + Σ_k a[i][k] · src[offsets[k] + q]` for `i < m`, `q < q_len`,
/// with `a` the packed `m × K` matrix and `K = offsets.len()`. Runs on the instruction set
/// `a` was packed for.
pub fn offset_gemm(
    a: &PackedRows,
    offsets: &[usize],
    src: &[f32],
    q_len: usize,
    start: Start,
    out: &mut [f32],
    ldo: usize,
) {
    run_offset_gemm(a.isa, a.left(), a.m, offsets, src, q_len, start, out, ldo)
}

/// [`offset_gemm`] with the left operand read in place, not packed: `a[i][k] =
/// a[i·rs + k·cs]`, `m × offsets.len()`, on `isa`. For an operand used once (a Dense
/// layer's batch), where packing would cost as much as the product. The same bits.
pub fn offset_gemm_strided(
    isa: Isa,
    (a, m, rs, cs): (&[f32], usize, usize, usize),
    offsets: &[usize],
    src: &[f32],
    q_len: usize,
    start: Start,
    out: &mut [f32],
    ldo: usize,
) {
    let k = offsets.len();
    if m > 0 && k > 0 {
        assert!((m - 1) * rs + (k - 1) * cs < a.len(), "a is smaller than {m}×{k}");
    }
    assert!(isa.is_supported(), "this CPU cannot run the {isa} kernels");
    let blocks = row_blocks(isa, m);
    let left = Left { data: a, k, blocks: &blocks, packed: false, rs, cs };
    run_offset_gemm(isa, left, m, offsets, src, q_len, start, out, ldo)
}

fn run_offset_gemm(
    isa: Isa,
    a: Left,
    m: usize,
    offsets: &[usize],
    src: &[f32],
    q_len: usize,
    start: Start,
    out: &mut [f32],
    ldo: usize,
) {
    assert_eq!(offsets.len(), a.k, "{} offsets for {} columns", offsets.len(), a.k);
    if let Start::RowBias(b) = start {
        assert!(b.len() >= m, "bias shorter than {m}");
    }
    if m == 0 || q_len == 0 {
        return;
    }
    assert!(ldo >= q_len && out.len() >= (m - 1) * ldo + q_len, "out too small");
    if let Some(&max) = offsets.iter().max() {
        assert!(max + q_len <= src.len(), "an offset row runs past the source");
    }
    // SAFETY: bounds checked above and by the callers (a's extent); the instruction set
    // was checked supported.
    unsafe { dispatch::offset_gemm(isa, a, offsets, src, q_len, start, out, ldo) }
}

/// `out[t·F + f] += Σ_{q < q_len} src[offsets[t] + q] · g[f·ldg + q]` for `t < offsets.len()`,
/// `f < F = f_len`, on the process's instruction set. Accumulates into `out`.
pub fn offset_dot(
    src: &[f32],
    offsets: &[usize],
    g: &[f32],
    f_len: usize,
    ldg: usize,
    q_len: usize,
    out: &mut [f32],
) {
    offset_dot_on(Isa::current(), src, offsets, g, f_len, ldg, q_len, out)
}

/// [`offset_dot`] on a given instruction set (which this CPU must support).
pub fn offset_dot_on(
    isa: Isa,
    src: &[f32],
    offsets: &[usize],
    g: &[f32],
    f_len: usize,
    ldg: usize,
    q_len: usize,
    out: &mut [f32],
) {
    let t_len = offsets.len();
    assert!(out.len() >= t_len * f_len, "out smaller than {t_len}×{f_len}");
    if t_len == 0 || f_len == 0 || q_len == 0 {
        return;
    }
    assert!(ldg >= q_len && g.len() >= (f_len - 1) * ldg + q_len, "g too small");
    let max = *offsets.iter().max().unwrap();
    assert!(max + q_len <= src.len(), "an offset row runs past the source");
    assert!(isa.is_supported(), "this CPU cannot run the {isa} kernels");
    // SAFETY: bounds checked above; the instruction set is supported.
    unsafe { dispatch::offset_dot(isa, src, offsets, g, f_len, ldg, q_len, out) }
}

/// `out[t·F + f] += Σ_{q < q_len} src[offsets[t] + q] · gt[q·ldg + f]` for `t < offsets.len()`,
/// `f < F = f_len` (`ldg` ≥ F: a row stride off a power of two keeps the column of rows
/// a block reads spread over the L1 sets). [`offset_dot`]'s sums, vectorised along the
/// filters: each (t, f) sums its positions in order in one lane, so there is no horizontal
/// sum per pair, which `offset_dot` pays once per pair and chunk. Accumulates into `out`.
pub fn offset_dot_filters(
    src: &[f32],
    offsets: &[usize],
    gt: &[f32],
    f_len: usize,
    ldg: usize,
    q_len: usize,
    out: &mut [f32],
) {
    offset_dot_filters_on(Isa::current(), src, offsets, gt, f_len, ldg, q_len, out)
}

/// [`offset_dot_filters`] on a given instruction set (which this CPU must support).
pub fn offset_dot_filters_on(
    isa: Isa,
    src: &[f32],
    offsets: &[usize],
    gt: &[f32],
    f_len: usize,
    ldg: usize,
    q_len: usize,
    out: &mut [f32],
) {
    let t_len = offsets.len();
    assert!(out.len() >= t_len * f_len, "out smaller than {t_len}×{f_len}");
    assert!(ldg >= f_len, "ldg below f_len");
    if t_len == 0 || f_len == 0 || q_len == 0 {
        return;
    }
    assert!(gt.len() >= (q_len - 1) * ldg + f_len, "gt smaller than {q_len}×{f_len}");
    let max = *offsets.iter().max().unwrap();
    assert!(max + q_len <= src.len(), "an offset row runs past the source");
    assert!(isa.is_supported(), "this CPU cannot run the {isa} kernels");
    // SAFETY: bounds checked above; the instruction set is supported.
    unsafe { dispatch::offset_dot_filters(isa, src, offsets, gt, f_len, ldg, q_len, out) }
}

/// One entry function per instruction set and kernel, each compiled with that set's
/// target features so the generic kernel's intrinsics inline into it; the portable path
/// is compiled with FMA (and AVX) on x86-64 CPUs that have it, since `mul_add` is a
/// libm call otherwise.
mod dispatch {
    use super::*;

    macro_rules! entry_points {
        ($(fn $name:ident($($arg:ident: $ty:ty),* $(,)?);)*) => {$(
            /// # Safety
            /// Arguments bounds-checked by the caller; `isa` supported by this CPU.
            pub(super) unsafe fn $name(isa: Isa, $($arg: $ty),*) {
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                unsafe fn on_avx512($($arg: $ty),*) { kernels::$name::<Avx512>($($arg),*) }
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx2,fma")]
                unsafe fn on_avx2($($arg: $ty),*) { kernels::$name::<Avx2>($($arg),*) }
                #[cfg(target_arch = "x86_64")]
                #[target_feature(enable = "avx,fma")]
                unsafe fn on_portable_fma($($arg: $ty),*) { kernels::$name::<Portable>($($arg),*) }
                #[cfg(target_arch = "aarch64")]
                #[target_feature(enable = "neon")]
                unsafe fn on_neon($($arg: $ty),*) { kernels::$name::<Neon>($($arg),*) }
                unsafe fn on_portable($($arg: $ty),*) { kernels::$name::<Portable>($($arg),*) }
                match isa {
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx512 => on_avx512($($arg),*),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2 => on_avx2($($arg),*),
                    #[cfg(target_arch = "aarch64")]
                    Isa::Neon => on_neon($($arg),*),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Portable if has_fma() => on_portable_fma($($arg),*),
                    Isa::Portable => on_portable($($arg),*),
                    #[allow(unreachable_patterns)]
                    _ => unreachable!("{isa} kernels on another architecture"),
                }
            }
        )*};
    }

    entry_points! {
        fn offset_gemm(a: Left, offsets: &[usize], src: &[f32], q_len: usize, start: Start, out: &mut [f32], ldo: usize);
        fn offset_dot(src: &[f32], offsets: &[usize], g: &[f32], f_len: usize, ldg: usize, q_len: usize, out: &mut [f32]);
        fn offset_dot_filters(src: &[f32], offsets: &[usize], gt: &[f32], f_len: usize, ldg: usize, q_len: usize, out: &mut [f32]);
    }
}

/// The kernels, generic over the vector type. Register blocks per set: up to 24
/// accumulators with 32 registers (AVX-512, NEON), up to 12 with 16 (AVX2, portable).
mod kernels {
    use super::*;

    /// One row block of `offset_gemm` over positions `q0..q1`.
    #[derive(Clone, Copy)]
    struct Rows<'a> {
        /// Element (i, k) of the block at `a[i·rs + k·cs]`.
        a: *const f32,
        rs: usize,
        cs: usize,
        k_len: usize,
        offsets: *const usize,
        src: *const f32,
        /// Where the block's sums start (a bias holds the block's rows only).
        start: Start<'a>,
        out: *mut f32,
        ldo: usize,
    }

    #[inline(always)]
    pub(super) unsafe fn offset_gemm<S: Simd>(
        a: Left,
        offsets: &[usize],
        src: &[f32],
        q_len: usize,
        start: Start,
        out: &mut [f32],
        ldo: usize,
    ) {
        let k_len = a.k;
        // Positions per chunk: every row block sweeps one chunk before the next, so the
        // chunk's slice of each tap row is read from L1 (or L2) by all row blocks.
        let chunk = if S::LANES == 16 { 192 } else { 96 };
        let mut q0 = 0;
        while q0 < q_len {
            let q1 = (q0 + chunk).min(q_len);
            for &(i0, mr) in a.blocks {
                let (first, rs, cs) =
                    if a.packed { (i0 * k_len, 1, mr) } else { (i0 * a.rs, a.rs, a.cs) };
                let rows = Rows {
                    a: a.data.as_ptr().add(first),
                    rs,
                    cs,
                    k_len,
                    offsets: offsets.as_ptr(),
                    src: src.as_ptr(),
                    start: match start {
                        Start::RowBias(b) => Start::RowBias(&b[i0..i0 + mr]),
                        other => other,
                    },
                    out: out.as_mut_ptr().add(i0 * ldo),
                    ldo,
                };
                if S::REGISTERS == 16 {
                    // 16 registers: MR × QV ≤ 12 accumulators plus QV sources and a broadcast.
                    match mr {
                        6 => row_block::<S, 6, 2>(rows, q0, q1),
                        5 => row_block::<S, 5, 2>(rows, q0, q1),
                        4 => row_block::<S, 4, 2>(rows, q0, q1),
                        3 => row_block::<S, 3, 3>(rows, q0, q1),
                        2 => row_block::<S, 2, 4>(rows, q0, q1),
                        _ => row_block::<S, 1, 4>(rows, q0, q1),
                    }
                } else {
                    // 32 registers: MR × QV ≤ 24 accumulators plus QV sources and a broadcast.
                    match mr {
                        8 => row_block::<S, 8, 3>(rows, q0, q1),
                        7 => row_block::<S, 7, 3>(rows, q0, q1),
                        6 => row_block::<S, 6, 4>(rows, q0, q1),
                        5 => row_block::<S, 5, 4>(rows, q0, q1),
                        4 => row_block::<S, 4, 6>(rows, q0, q1),
                        3 => row_block::<S, 3, 6>(rows, q0, q1),
                        2 => row_block::<S, 2, 8>(rows, q0, q1),
                        _ => row_block::<S, 1, 8>(rows, q0, q1),
                    }
                }
            }
            q0 = q1;
        }
    }

    /// MR output rows over positions q0..q1: blocks of QV vectors, then single vectors,
    /// then one masked vector.
    #[inline(always)]
    unsafe fn row_block<S: Simd, const MR: usize, const QV: usize>(r: Rows, q0: usize, q1: usize) {
        let l = S::LANES;
        let mut q = q0;
        while q + QV * l <= q1 {
            block::<S, MR, QV, false>(r, q, l);
            q += QV * l;
        }
        while q + l <= q1 {
            block::<S, MR, 1, false>(r, q, l);
            q += l;
        }
        if q < q1 {
            block::<S, MR, 1, true>(r, q, q1 - q);
        }
    }

    /// MR rows × QV vectors at position q0; with TAIL, one vector of its first `n` lanes.
    #[inline(always)]
    unsafe fn block<S: Simd, const MR: usize, const QV: usize, const TAIL: bool>(
        r: Rows,
        q0: usize,
        n: usize,
    ) {
        let l = S::LANES;
        let mut acc = [[S::zero(); QV]; MR];
        for i in 0..MR {
            for v in 0..QV {
                acc[i][v] = match r.start {
                    Start::Zero => S::zero(),
                    Start::RowBias(b) => S::splat(b[i]),
                    Start::Out => load::<S, TAIL>(r.out.add(i * r.ldo + q0 + v * l), n),
                };
            }
        }
        for k in 0..r.k_len {
            let s = r.src.add(*r.offsets.add(k) + q0);
            let mut x = [S::zero(); QV];
            for v in 0..QV {
                x[v] = load::<S, TAIL>(s.add(v * l), n);
            }
            for i in 0..MR {
                let w = S::splat(*r.a.add(i * r.rs + k * r.cs));
                for v in 0..QV {
                    acc[i][v] = S::fma(w, x[v], acc[i][v]);
                }
            }
        }
        for i in 0..MR {
            for v in 0..QV {
                let p = r.out.add(i * r.ldo + q0 + v * l);
                store::<S, TAIL>(p, acc[i][v], n);
            }
        }
    }

    /// A whole vector, or with TAIL its first `n` lanes (zeros after).
    #[inline(always)]
    unsafe fn load<S: Simd, const TAIL: bool>(p: *const f32, n: usize) -> S::V {
        if TAIL {
            S::load_part(p, n)
        } else {
            S::load(p)
        }
    }

    /// A whole vector, or with TAIL its first `n` lanes.
    #[inline(always)]
    unsafe fn store<S: Simd, const TAIL: bool>(p: *mut f32, v: S::V, n: usize) {
        if TAIL {
            S::store_part(p, v, n)
        } else {
            S::store(p, v)
        }
    }

    /// TR source rows × FR gradient rows of `offset_dot` over one chunk.
    #[derive(Clone, Copy)]
    struct Dot {
        rows: *const f32,
        offsets: *const usize,
        g: *const f32,
        ldg: usize,
        q0: usize,
        q1: usize,
        out: *mut f32,
        ldo: usize,
    }

    #[inline(always)]
    pub(super) unsafe fn offset_dot<S: Simd>(
        src: &[f32],
        offsets: &[usize],
        g: &[f32],
        f_len: usize,
        ldg: usize,
        q_len: usize,
        out: &mut [f32],
    ) {
        // The 8 partial sums live in 8-lane (or 4-lane) vectors on every set; the register
        // count sets the tile: 4 × 6 pairs with 32 registers and 8 lanes (AVX-512's upper
        // 16 registers), 3 × 4 with 16 (AVX2, portable), 3 × 4 pairs of two with NEON.
        type E<S> = <S as Simd>::Eight;
        let (most_t, most_f) = match (S::REGISTERS, E::<S>::LANES) {
            (32, 8) => (4, 6),
            _ => (3, 4),
        };
        let t_len = offsets.len();
        let mut q0 = 0;
        while q0 < q_len {
            let q1 = (q0 + DOT_CHUNK).min(q_len);
            let mut t0 = 0;
            while t0 < t_len {
                let tr = (t_len - t0).min(most_t);
                let mut f0 = 0;
                while f0 < f_len {
                    let fr = (f_len - f0).min(most_f);
                    let d = Dot {
                        rows: src.as_ptr(),
                        offsets: offsets.as_ptr().add(t0),
                        g: g.as_ptr().add(f0 * ldg),
                        ldg,
                        q0,
                        q1,
                        out: out.as_mut_ptr().add(t0 * f_len + f0),
                        ldo: f_len,
                    };
                    if E::<S>::LANES == 8 {
                        dot_tile::<E<S>, 1>(d, tr, fr)
                    } else {
                        dot_tile::<E<S>, 2>(d, tr, fr)
                    }
                    f0 += fr;
                }
                t0 += tr;
            }
            q0 = q1;
        }
    }

    /// [`dot`] for a tile of `tr` ≤ 4 rows × `fr` ≤ 6 filters, sizes made constants.
    #[inline(always)]
    unsafe fn dot_tile<S: Simd, const P: usize>(d: Dot, tr: usize, fr: usize) {
        match tr {
            4 => dot_rows::<S, 4, P>(d, fr),
            3 => dot_rows::<S, 3, P>(d, fr),
            2 => dot_rows::<S, 2, P>(d, fr),
            _ => dot_rows::<S, 1, P>(d, fr),
        }
    }

    #[inline(always)]
    unsafe fn dot_rows<S: Simd, const TR: usize, const P: usize>(d: Dot, fr: usize) {
        match fr {
            6 => dot::<S, TR, 6, P>(d),
            5 => dot::<S, TR, 5, P>(d),
            4 => dot::<S, TR, 4, P>(d),
            3 => dot::<S, TR, 3, P>(d),
            2 => dot::<S, TR, 2, P>(d),
            _ => dot::<S, TR, 1, P>(d),
        }
    }

    /// TR source rows × FR gradient rows over one chunk, each pair's 8 partial sums in P
    /// registers (P · LANES = 8), reduced by `Simd::sum8` and added into `out`.
    #[inline(always)]
    unsafe fn dot<S: Simd, const TR: usize, const FR: usize, const P: usize>(d: Dot) {
        let l = S::LANES;
        debug_assert_eq!(P * l, DOT_SUMS);
        let mut acc = [[[S::zero(); P]; FR]; TR];
        let mut rows = [d.rows; TR];
        for t in 0..TR {
            rows[t] = d.rows.add(*d.offsets.add(t));
        }
        let mut q = d.q0;
        while q + DOT_SUMS <= d.q1 {
            for p in 0..P {
                let mut x = [S::zero(); TR];
                for t in 0..TR {
                    x[t] = S::load(rows[t].add(q + p * l));
                }
                for f in 0..FR {
                    let y = S::load(d.g.add(f * d.ldg + q + p * l));
                    for t in 0..TR {
                        acc[t][f][p] = S::fma(x[t], y, acc[t][f][p]);
                    }
                }
            }
            q += DOT_SUMS;
        }
        if q < d.q1 {
            // The chunk's last < 8 positions: partial sum l takes position q + l if any.
            let n = d.q1 - q;
            for p in 0..P {
                let lanes = n.saturating_sub(p * l).min(l);
                if lanes == 0 {
                    break;
                }
                let mut x = [S::zero(); TR];
                for t in 0..TR {
                    x[t] = S::load_n(rows[t].add(q + p * l), lanes);
                }
                for f in 0..FR {
                    let y = S::load_n(d.g.add(f * d.ldg + q + p * l), lanes);
                    for t in 0..TR {
                        acc[t][f][p] = S::fma(x[t], y, acc[t][f][p]);
                    }
                }
            }
        }
        for t in 0..TR {
            for f in 0..FR {
                *d.out.add(t * d.ldo + f) += S::sum8(&acc[t][f]);
            }
        }
    }

    /// TR source rows × FV filter vectors of `offset_dot_filters` over positions `q0..q1`.
    #[derive(Clone, Copy)]
    struct Filters {
        rows: *const f32,
        offsets: *const usize,
        gt: *const f32,
        ldg: usize,
        q0: usize,
        q1: usize,
        /// The chains so far (`first`: none yet, start from +0).
        partial: *mut f32,
        first: bool,
        /// After the last positions the chains are added to `out`; otherwise kept in `partial`.
        last: bool,
        out: *mut f32,
        ldo: usize,
    }

    #[inline(always)]
    pub(super) unsafe fn offset_dot_filters<S: Simd>(
        src: &[f32],
        offsets: &[usize],
        gt: &[f32],
        f_len: usize,
        ldg: usize,
        q_len: usize,
        out: &mut [f32],
    ) {
        let t_len = offsets.len();
        let l = S::LANES;
        // Tiles: 6 rows × up to 4 vectors with 32 registers (24 accumulators), × 2 with 16.
        let most_v = if S::REGISTERS == 16 { 2 } else { 4 };
        // Positions per pass: the pass's rows of gt (≤ 48 KB) stay in L1/L2 while every row
        // block reads them. Between passes the chains wait in `partial` (an f32 store and
        // load change nothing, so the chunk length is free of the contract).
        let chunk = (12288 / ldg).max(64);
        let mut partial = if q_len > chunk { vec![0.0f32; t_len * f_len] } else { Vec::new() };
        let mut f0 = 0;
        while f0 < f_len {
            let whole = (f_len - f0) / l;
            let fv = whole.min(most_v);
            let mut q0 = 0;
            while q0 < q_len {
                let q1 = (q0 + chunk).min(q_len);
                let mut t0 = 0;
                while t0 < t_len {
                    let tr = (t_len - t0).min(6);
                    let b = Filters {
                        rows: src.as_ptr(),
                        offsets: offsets.as_ptr().add(t0),
                        gt: gt.as_ptr().add(f0),
                        ldg,
                        q0,
                        q1,
                        partial: partial.as_mut_ptr().wrapping_add(t0 * f_len + f0),
                        first: q0 == 0,
                        last: q1 == q_len,
                        out: out.as_mut_ptr().add(t0 * f_len + f0),
                        ldo: f_len,
                    };
                    if fv == 0 {
                        // The last filters, fewer than a vector.
                        filters_tile::<S, true>(b, tr, 1, f_len - f0)
                    } else {
                        filters_tile::<S, false>(b, tr, fv, l)
                    }
                    t0 += tr;
                }
                q0 = q1;
            }
            f0 += if fv == 0 { f_len - f0 } else { fv * l };
        }
    }

    /// [`filters`] for a tile of `tr` ≤ 6 rows × `fv` ≤ 4 vectors, sizes made constants.
    #[inline(always)]
    unsafe fn filters_tile<S: Simd, const TAIL: bool>(b: Filters, tr: usize, fv: usize, n: usize) {
        match tr {
            6 => filters_rows::<S, 6, TAIL>(b, fv, n),
            5 => filters_rows::<S, 5, TAIL>(b, fv, n),
            4 => filters_rows::<S, 4, TAIL>(b, fv, n),
            3 => filters_rows::<S, 3, TAIL>(b, fv, n),
            2 => filters_rows::<S, 2, TAIL>(b, fv, n),
            _ => filters_rows::<S, 1, TAIL>(b, fv, n),
        }
    }

    #[inline(always)]
    unsafe fn filters_rows<S: Simd, const TR: usize, const TAIL: bool>(
        b: Filters,
        fv: usize,
        n: usize,
    ) {
        match fv {
            4 => filters::<S, TR, 4, TAIL>(b, n),
            3 => filters::<S, TR, 3, TAIL>(b, n),
            2 => filters::<S, TR, 2, TAIL>(b, n),
            _ => filters::<S, TR, 1, TAIL>(b, n),
        }
    }

    /// TR source rows × FV filter vectors over positions q0..q1, each position one load
    /// per filter vector and one broadcast per row; with TAIL, one vector of `n` filters.
    #[inline(always)]
    unsafe fn filters<S: Simd, const TR: usize, const FV: usize, const TAIL: bool>(
        b: Filters,
        n: usize,
    ) {
        let l = S::LANES;
        let mut acc = [[S::zero(); FV]; TR];
        if !b.first {
            for t in 0..TR {
                for v in 0..FV {
                    acc[t][v] = load::<S, TAIL>(b.partial.add(t * b.ldo + v * l), n);
                }
            }
        }
        let mut rows = [b.rows; TR];
        for t in 0..TR {
            rows[t] = b.rows.add(*b.offsets.add(t));
        }
        for q in b.q0..b.q1 {
            let mut y = [S::zero(); FV];
            for v in 0..FV {
                y[v] = load::<S, TAIL>(b.gt.add(q * b.ldg + v * l), n);
            }
            for t in 0..TR {
                let x = S::splat(*rows[t].add(q));
                for v in 0..FV {
                    acc[t][v] = S::fma(x, y[v], acc[t][v]);
                }
            }
        }
        for t in 0..TR {
            for v in 0..FV {
                if b.last {
                    let p = b.out.add(t * b.ldo + v * l);
                    store::<S, TAIL>(p, S::add(load::<S, TAIL>(p, n), acc[t][v]), n);
                } else {
                    store::<S, TAIL>(b.partial.add(t * b.ldo + v * l), acc[t][v], n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod speed;
