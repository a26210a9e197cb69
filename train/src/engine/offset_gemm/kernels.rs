//! The kernels of `offset_gemm`, `offset_dot` and `offset_dot_filters`, generic over the
//! vector type. Register blocks per set: up to 24 accumulators with 32 registers
//! (AVX-512, NEON), up to 12 with 16 (AVX2, portable).

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
