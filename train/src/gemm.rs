//! Matrix products for the layers: `matrixmultiply::sgemm` (AVX2/FMA kernels,
//! arbitrary strides, so transposes cost nothing) split over rayon threads.
//!
//! Determinism: work is cut into chunks whose boundaries depend only on the
//! matrix sizes, never on the number of threads, and partial sums are added in
//! chunk order. A run is therefore bit-identical for any thread count.

use rayon::prelude::*;

/// A read-only matrix view: element (i, j) is `data[i*rs + j*cs]`.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
    pub rs: usize,
    pub cs: usize,
}

impl<'a> Mat<'a> {
    /// A row-major `rows × cols` matrix.
    pub fn rows(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols, "matrix view larger than its data");
        Mat { data, rows, cols, rs: cols, cs: 1 }
    }

    /// The transpose (a view, no copy).
    pub fn t(self) -> Self {
        Mat { data: self.data, rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs }
    }

    /// Rows `start..start+len` (a view).
    fn row_block(self, start: usize, len: usize) -> Self {
        let offset = start * self.rs;
        Mat { data: &self.data[offset.min(self.data.len())..], rows: len, ..self }
    }

    fn check(&self) {
        if self.rows > 0 && self.cols > 0 {
            let last = (self.rows - 1) * self.rs + (self.cols - 1) * self.cs;
            assert!(last < self.data.len(), "matrix view out of bounds");
        }
    }
}

/// Below this many multiply-adds a product runs on one thread: the split costs more.
const PARALLEL_MIN_MACS: usize = 1 << 19;
/// Rows per chunk when a product is split (fixed, for determinism).
const ROW_CHUNK: usize = 256;

/// `c = a·b + beta·c` for a row-major `c` of `a.rows × b.cols`, on this thread.
pub fn gemm_serial(a: Mat, b: Mat, beta: f32, c: &mut [f32]) {
    assert_eq!(a.cols, b.rows, "inner dimensions differ");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(c.len() >= m * n, "output too small");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c[..m * n].iter_mut().for_each(|v| *v *= beta);
        return;
    }
    a.check();
    b.check();
    // SAFETY: the views were bounds-checked above and `c` holds m·n values.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// `c = a·b + beta·c`, rows of `a` and `c` split over threads when large enough.
pub fn gemm(a: Mat, b: Mat, beta: f32, c: &mut [f32]) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m * k * n < PARALLEL_MIN_MACS || m <= ROW_CHUNK {
        return gemm_serial(a, b, beta, c);
    }
    c[..m * n].par_chunks_mut(ROW_CHUNK * n).enumerate().for_each(|(i, c_block)| {
        let start = i * ROW_CHUNK;
        let len = c_block.len() / n;
        gemm_serial(a.row_block(start, len), b, beta, c_block);
    });
}

/// `c = aᵀ·b` where `a` is `m × k` and `b` is `m × n` (both given untransposed):
/// the weight gradient `Xᵀ·dY`, a sum over the `m` rows. Large sums are split
/// into fixed row chunks whose partial products are added in order.
pub fn gemm_at_b(a: Mat, b: Mat, c: &mut [f32]) {
    assert_eq!(a.rows, b.rows, "row counts differ");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let chunk = reduce_chunk(m);
    if m * k * n < PARALLEL_MIN_MACS || m <= chunk {
        return gemm_serial(a.t(), b, 0.0, c);
    }
    let starts: Vec<usize> = (0..m).step_by(chunk).collect();
    let partials: Vec<Vec<f32>> = starts
        .par_iter()
        .map(|&start| {
            let len = chunk.min(m - start);
            let mut part = vec![0.0f32; k * n];
            gemm_serial(a.row_block(start, len).t(), b.row_block(start, len), 0.0, &mut part);
            part
        })
        .collect();
    let c = &mut c[..k * n];
    c.copy_from_slice(&partials[0]);
    for part in &partials[1..] {
        c.iter_mut().zip(part).for_each(|(x, y)| *x += y);
    }
}

/// Rows per partial sum of [`gemm_at_b`]: at most 8 partial products, at least 512 rows each.
fn reduce_chunk(m: usize) -> usize {
    m.div_ceil(8).max(512)
}

/// Column sums of a row-major `rows × cols` matrix into `out` (the bias gradient).
pub fn column_sums(data: &[f32], cols: usize, out: &mut [f32]) {
    out[..cols].iter_mut().for_each(|v| *v = 0.0);
    for row in data.chunks_exact(cols) {
        out.iter_mut().zip(row).for_each(|(o, v)| *o += v);
    }
}

// ---------------------------------------------------------------------------
// Narrow products for convolutions: the im2col matrices are tall (batch·H·W rows)
// and the filter count is small (≤ 32), where matrixmultiply spends as much time
// packing the tall matrix as multiplying. These kernels stream the tall matrix
// once, keep the narrow side padded to NP (a multiple of 8) in registers, and are
// split over fixed row chunks (deterministic for any thread count).
// ---------------------------------------------------------------------------

/// Widest narrow side handled by the narrow kernels.
pub const NARROW_MAX: usize = 32;

/// Rows per task of the narrow kernels (fixed, for determinism).
const NARROW_ROW_CHUNK: usize = 512;

#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `c[m, 0..n] = bias + Σ_k a[m, k]·w[k, 0..n]` for rows of `a` (`k` wide, row-major),
/// `w` padded to `[k][NP]` and `bias` padded to NP.
#[inline(always)]
fn rows_times_narrow<const NP: usize, const FMA: bool>(a: &[f32], k: usize, w: &[f32], bias: &[f32], n: usize, c: &mut [f32]) {
    let m = c.len() / n;
    let w = &w[..k * NP];
    let bias: &[f32; NP] = bias[..NP].try_into().unwrap();
    // Rows are stored in order with whole NP-wide stores that may run into the next row
    // (overwritten right after): fixed-size stores, no short variable-length copies.
    let total = c.len();
    let mut store = |row: usize, acc: &[f32; NP]| {
        let start = row * n;
        if start + NP <= total {
            c[start..start + NP].copy_from_slice(acc);
        } else {
            c[start..total].copy_from_slice(&acc[..total - start]);
        }
    };
    let mut r = 0;
    while r + 4 <= m {
        let mut acc = [*bias; 4];
        let a0 = &a[r * k..][..k];
        let a1 = &a[(r + 1) * k..][..k];
        let a2 = &a[(r + 2) * k..][..k];
        let a3 = &a[(r + 3) * k..][..k];
        for (p, wr) in w.chunks_exact(NP).enumerate() {
            let x = [a0[p], a1[p], a2[p], a3[p]];
            for i in 0..4 {
                for j in 0..NP {
                    acc[i][j] = madd::<FMA>(x[i], wr[j], acc[i][j]);
                }
            }
        }
        for (i, acc) in acc.iter().enumerate() {
            store(r + i, acc);
        }
        r += 4;
    }
    while r < m {
        let mut acc = *bias;
        let ar = &a[r * k..][..k];
        for (p, wr) in w.chunks_exact(NP).enumerate() {
            for j in 0..NP {
                acc[j] = madd::<FMA>(ar[p], wr[j], acc[j]);
            }
        }
        store(r, &acc);
        r += 1;
    }
}

/// `g[0..k, 0..NP] += Σ_m a[m, 0..k]ᵀ·d[m, 0..NP]` with `d` padded to `[m][NP]`:
/// four rows of `g` at a time stay in registers while the rows of `a` stream past.
/// Rows are taken in blocks of about 16 KB of `a`, so that the passes over one block
/// (one per four columns of `a`) hit the L1 cache.
#[inline(always)]
fn narrow_at_b<const NP: usize, const FMA: bool>(a: &[f32], k: usize, d: &[f32], g: &mut [f32]) {
    let rows = d.len() / NP;
    let block = (4096 / k.max(1)).max(8);
    let mut start = 0;
    while start < rows {
        let len = block.min(rows - start);
        narrow_at_b_block::<NP, FMA>(&a[start * k..(start + len) * k], k, &d[start * NP..(start + len) * NP], g);
        start += len;
    }
}

#[inline(always)]
fn narrow_at_b_block<const NP: usize, const FMA: bool>(a: &[f32], k: usize, d: &[f32], g: &mut [f32]) {
    let m = d.len() / NP;
    let mut p = 0;
    while p < k {
        let kb = (k - p).min(4);
        let mut acc = [[0.0f32; NP]; 4];
        for i in 0..kb {
            acc[i].copy_from_slice(&g[(p + i) * NP..][..NP]);
        }
        if kb == 4 {
            for (r, dr) in d.chunks_exact(NP).enumerate() {
                let ar = &a[r * k + p..][..4];
                for i in 0..4 {
                    for j in 0..NP {
                        acc[i][j] = madd::<FMA>(ar[i], dr[j], acc[i][j]);
                    }
                }
            }
        } else {
            for (r, dr) in d.chunks_exact(NP).enumerate().take(m) {
                for i in 0..kb {
                    let x = a[r * k + p + i];
                    for j in 0..NP {
                        acc[i][j] = madd::<FMA>(x, dr[j], acc[i][j]);
                    }
                }
            }
        }
        for i in 0..kb {
            g[(p + i) * NP..][..NP].copy_from_slice(&acc[i]);
        }
        p += kb;
    }
}

/// Outputs per register block of [`narrow_times_wide`]; `wt` rows are padded to a multiple.
const WIDE_BLOCK: usize = 32;

/// `c[m, 0..k] = Σ_f d[m, f]·wt[f, 0..k]` (`d` is `m × n`, `wt` is `n × kp` with kp = k
/// rounded up to [`WIDE_BLOCK`], zero-padded): the input gradient of the im2col matrix,
/// 32 outputs at a time kept in registers while the n terms are summed.
#[inline(always)]
fn narrow_times_wide<const FMA: bool>(d: &[f32], n: usize, wt: &[f32], k: usize, c: &mut [f32]) {
    let kp = k.div_ceil(WIDE_BLOCK) * WIDE_BLOCK;
    let total = c.len();
    for (r, dr) in d.chunks_exact(n).enumerate() {
        for p in (0..k).step_by(WIDE_BLOCK) {
            let mut acc = [0.0f32; WIDE_BLOCK];
            for (f, x) in dr.iter().enumerate() {
                let wr = &wt[f * kp + p..][..WIDE_BLOCK];
                for j in 0..WIDE_BLOCK {
                    acc[j] = madd::<FMA>(*x, wr[j], acc[j]);
                }
            }
            // A whole block may run into the next row, which is written after it: a
            // fixed-size store is much cheaper than a short variable-length copy.
            let start = r * k + p;
            if start + WIDE_BLOCK <= total {
                c[start..start + WIDE_BLOCK].copy_from_slice(&acc);
            } else {
                c[start..total].copy_from_slice(&acc[..total - start]);
            }
        }
    }
}

macro_rules! dispatch_np {
    ($np:expr, $f:ident, $fma:expr, ($($arg:expr),*)) => {
        match $np {
            8 => $f::<8, $fma>($($arg),*),
            16 => $f::<16, $fma>($($arg),*),
            24 => $f::<24, $fma>($($arg),*),
            32 => $f::<32, $fma>($($arg),*),
            _ => unreachable!("narrow width {}", $np),
        }
    };
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_times_narrow_fma(np: usize, a: &[f32], k: usize, w: &[f32], bias: &[f32], n: usize, c: &mut [f32]) {
    dispatch_np!(np, rows_times_narrow, true, (a, k, w, bias, n, c))
}
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn narrow_at_b_fma(np: usize, a: &[f32], k: usize, d: &[f32], g: &mut [f32]) {
    dispatch_np!(np, narrow_at_b, true, (a, k, d, g))
}
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn narrow_times_wide_fma(d: &[f32], n: usize, wt: &[f32], k: usize, c: &mut [f32]) {
    narrow_times_wide::<true>(d, n, wt, k, c)
}

fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn padded_width(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// `c = a·w + bias` (bias added to every row) for a row-major `a` (`m × k`), a row-major
/// `w` (`k × n`, n ≤ NARROW_MAX) and a row-major `c` (`m × n`).
pub fn gemm_narrow(a: &[f32], m: usize, k: usize, w: &[f32], bias: &[f32], n: usize, c: &mut [f32]) {
    assert!(n > 0 && n <= NARROW_MAX && a.len() >= m * k && w.len() >= k * n && c.len() >= m * n);
    assert_eq!(bias.len(), n, "one bias per column");
    let np = padded_width(n);
    let mut bias_padded = [0.0f32; NARROW_MAX];
    bias_padded[..n].copy_from_slice(bias);
    let bias = &bias_padded[..];
    let mut wp = vec![0.0f32; k * np];
    for (dst, src) in wp.chunks_exact_mut(np).zip(w.chunks_exact(n)) {
        dst[..n].copy_from_slice(src);
    }
    let fma = has_fma();
    let run = |a: &[f32], c: &mut [f32]| {
        #[cfg(target_arch = "x86_64")]
        if fma {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            return unsafe { rows_times_narrow_fma(np, a, k, &wp, bias, n, c) };
        }
        dispatch_np!(np, rows_times_narrow, false, (a, k, &wp, bias, n, c))
    };
    let c = &mut c[..m * n];
    if m * k * n < PARALLEL_MIN_MACS || m <= NARROW_ROW_CHUNK {
        return run(a, c);
    }
    c.par_chunks_mut(NARROW_ROW_CHUNK * n).enumerate().for_each(|(i, c_block)| {
        run(&a[i * NARROW_ROW_CHUNK * k..], c_block);
    });
}

/// `c = aᵀ·d` for a row-major `a` (`m × k`) and `d` (`m × n`, n ≤ NARROW_MAX): the
/// kernel gradient. Fixed row chunks (as in [`gemm_at_b`]) are summed in order.
pub fn gemm_at_b_narrow(a: &[f32], m: usize, k: usize, d: &[f32], n: usize, c: &mut [f32]) {
    assert!(n > 0 && n <= NARROW_MAX && a.len() >= m * k && d.len() >= m * n && c.len() >= k * n);
    let np = padded_width(n);
    let fma = has_fma();
    let part = |start: usize, len: usize| -> Vec<f32> {
        let mut dp = vec![0.0f32; len * np];
        for (dst, src) in dp.chunks_exact_mut(np).zip(d[start * n..(start + len) * n].chunks_exact(n)) {
            dst[..n].copy_from_slice(src);
        }
        let mut g = vec![0.0f32; k * np];
        let a = &a[start * k..(start + len) * k];
        #[cfg(target_arch = "x86_64")]
        if fma {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            unsafe { narrow_at_b_fma(np, a, k, &dp, &mut g) };
            return g;
        }
        dispatch_np!(np, narrow_at_b, false, (a, k, &dp, &mut g));
        g
    };
    let chunk = reduce_chunk(m);
    let partials: Vec<Vec<f32>> = if m * k * n < PARALLEL_MIN_MACS || m <= chunk {
        vec![part(0, m)]
    } else {
        let starts: Vec<usize> = (0..m).step_by(chunk).collect();
        starts.par_iter().map(|&s| part(s, chunk.min(m - s))).collect()
    };
    let c = &mut c[..k * n];
    c.fill(0.0);
    for g in &partials {
        for (cr, gr) in c.chunks_exact_mut(n).zip(g.chunks_exact(np)) {
            cr.iter_mut().zip(gr).for_each(|(x, y)| *x += y);
        }
    }
}

/// `c = d·wᵀ` for a row-major `d` (`m × n`, n ≤ NARROW_MAX) and `w` (`k × n`), into a
/// row-major `c` (`m × k`): the gradient of the im2col matrix.
pub fn gemm_narrow_bt(d: &[f32], m: usize, n: usize, w: &[f32], k: usize, c: &mut [f32]) {
    assert!(n > 0 && d.len() >= m * n && w.len() >= k * n && c.len() >= m * k);
    let kp = k.div_ceil(WIDE_BLOCK) * WIDE_BLOCK;
    let mut wt = vec![0.0f32; n * kp];
    for (p, wr) in w.chunks_exact(n).enumerate().take(k) {
        for (f, v) in wr.iter().enumerate() {
            wt[f * kp + p] = *v;
        }
    }
    let fma = has_fma();
    let run = |d: &[f32], c: &mut [f32]| {
        #[cfg(target_arch = "x86_64")]
        if fma {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            return unsafe { narrow_times_wide_fma(d, n, &wt, k, c) };
        }
        narrow_times_wide::<false>(d, n, &wt, k, c)
    };
    let c = &mut c[..m * k];
    if m * k * n < PARALLEL_MIN_MACS || m <= NARROW_ROW_CHUNK {
        return run(&d[..m * n], c);
    }
    c.par_chunks_mut(NARROW_ROW_CHUNK * k).enumerate().for_each(|(i, c_block)| {
        let rows = c_block.len() / k;
        run(&d[i * NARROW_ROW_CHUNK * n..][..rows * n], c_block);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: Mat, b: Mat) -> Vec<f32> {
        let mut c = vec![0.0; a.rows * b.cols];
        for i in 0..a.rows {
            for j in 0..b.cols {
                let mut s = 0.0f64;
                for p in 0..a.cols {
                    s += (a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs]) as f64;
                }
                c[i * b.cols + j] = s as f32;
            }
        }
        c
    }

    fn values(n: usize, seed: u32) -> Vec<f32> {
        (0..n).map(|i| (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 16) % 200) as f32 / 100.0 - 1.0).collect()
    }

    #[test]
    fn narrow_kernels_match_naive_sums() {
        for &(m, k, n) in &[(3, 4, 5), (7, 49, 10), (1300, 49, 10), (2100, 90, 17), (600, 250, 32), (9, 3, 8), (5000, 27, 1)] {
            let a = values(m * k, 1);
            let w = values(k * n, 2);
            let bias = values(n, 4);
            let mut want = naive(Mat::rows(&a, m, k), Mat::rows(&w, k, n));
            want.iter_mut().enumerate().for_each(|(i, x)| *x += bias[i % n]);
            let mut got = vec![f32::NAN; m * n];
            gemm_narrow(&a, m, k, &w, &bias, n, &mut got);
            for (g, x) in got.iter().zip(&want) {
                assert!((g - x).abs() < 1e-3, "forward {m}×{k}×{n}: {g} vs {x}");
            }
            let d = values(m * n, 3);
            let want = naive(Mat::rows(&a, m, k).t(), Mat::rows(&d, m, n));
            let mut got = vec![f32::NAN; k * n];
            gemm_at_b_narrow(&a, m, k, &d, n, &mut got);
            for (g, x) in got.iter().zip(&want) {
                assert!((g - x).abs() < 1e-2, "weight gradient {m}×{k}×{n}: {g} vs {x}");
            }
            let want = naive(Mat::rows(&d, m, n), Mat::rows(&w, k, n).t());
            let mut got = vec![f32::NAN; m * k];
            gemm_narrow_bt(&d, m, n, &w, k, &mut got);
            for (g, x) in got.iter().zip(&want) {
                assert!((g - x).abs() < 1e-3, "input gradient {m}×{k}×{n}: {g} vs {x}");
            }
        }
    }

    #[test]
    fn products_match_naive_sums_serial_and_parallel() {
        for &(m, k, n) in &[(3, 4, 5), (700, 90, 10), (1300, 49, 10)] {
            let a = values(m * k, 1);
            let b = values(k * n, 2);
            let want = naive(Mat::rows(&a, m, k), Mat::rows(&b, k, n));
            let mut got = vec![0.0; m * n];
            gemm(Mat::rows(&a, m, k), Mat::rows(&b, k, n), 0.0, &mut got);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-3, "{g} vs {w}");
            }
            // aᵀ·c where c is m×n
            let c = values(m * n, 3);
            let want = naive(Mat::rows(&a, m, k).t(), Mat::rows(&c, m, n));
            let mut got = vec![0.0; k * n];
            gemm_at_b(Mat::rows(&a, m, k), Mat::rows(&c, m, n), &mut got);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-2, "{g} vs {w}");
            }
        }
    }
}
