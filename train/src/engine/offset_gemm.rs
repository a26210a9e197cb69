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

mod kernels;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod speed;
