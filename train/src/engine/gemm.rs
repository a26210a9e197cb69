//! Matrix products for `Dense`: the register-blocked kernel of `offset_gemm.rs` with the
//! rows of the right operand as its offset rows, split over rayon threads.
//!
//! Each result is one FMA chain over the inner index in order (`offset_gemm`'s
//! contract), so a product has the same bits on every instruction set. Work is cut into
//! chunks whose boundaries depend only on the matrix sizes, never on the number of
//! threads, and partial sums are added in chunk order: a run is bit-identical for any
//! thread count.

use std::borrow::Cow;

use rayon::prelude::*;

use super::isa::Isa;
use super::offset_gemm::{offset_gemm_strided, Start};

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

    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
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

/// The right operand as the kernel reads it: rows as contiguous runs (`b` itself, or a
/// row-major copy of a strided `b`), and where each of its `k` rows starts.
struct RightRows<'a> {
    data: Cow<'a, [f32]>,
    offsets: Vec<usize>,
}

impl<'a> RightRows<'a> {
    fn new(b: Mat<'a>) -> Self {
        b.check();
        let (data, ldb) = if b.cs == 1 {
            (Cow::Borrowed(b.data), b.rs)
        } else {
            let copy = (0..b.rows).flat_map(|p| (0..b.cols).map(move |j| b.at(p, j))).collect();
            (Cow::Owned(copy), b.cols)
        };
        RightRows { data, offsets: (0..b.rows).map(|p| p * ldb).collect() }
    }
}

/// `c = a·b` (`accumulate` false) or `c = c + a·b` (true: each sum starts from c) for a
/// row-major `c` of `a.rows × b.cols`, on this thread.
pub fn gemm_serial(a: Mat, b: Mat, accumulate: bool, c: &mut [f32]) {
    assert_eq!(a.cols, b.rows, "inner dimensions differ");
    product(a, &RightRows::new(b), b.cols, accumulate, c);
}

/// `c = a·b` or `c = c + a·b` with `b` given as its `n`-wide rows, on this thread. `a` is
/// read in place: it is used once, and packing it would cost as much as the product.
fn product(a: Mat, b: &RightRows, n: usize, accumulate: bool, c: &mut [f32]) {
    let m = a.rows;
    assert!(c.len() >= m * n, "output too small");
    if m == 0 || n == 0 {
        return;
    }
    let start = if accumulate { Start::Out } else { Start::Zero };
    let a = (a.data, m, a.rs, a.cs);
    offset_gemm_strided(Isa::current(), a, &b.offsets, &b.data, n, start, c, n);
}

/// `c = a·b` or `c = c + a·b` (see [`gemm_serial`]), rows of `a` and `c` split over
/// threads when large enough; `b` is prepared once for all of them.
pub fn gemm(a: Mat, b: Mat, accumulate: bool, c: &mut [f32]) {
    assert_eq!(a.cols, b.rows, "inner dimensions differ");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let right = RightRows::new(b);
    if m * k * n < PARALLEL_MIN_MACS || m <= ROW_CHUNK {
        return product(a, &right, n, accumulate, c);
    }
    c[..m * n].par_chunks_mut(ROW_CHUNK * n).enumerate().for_each(|(i, c_block)| {
        let start = i * ROW_CHUNK;
        let len = c_block.len() / n;
        product(a.row_block(start, len), &right, n, accumulate, c_block);
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
        return gemm_serial(a.t(), b, false, c);
    }
    let starts: Vec<usize> = (0..m).step_by(chunk).collect();
    let partials: Vec<Vec<f32>> = starts
        .par_iter()
        .map(|&start| {
            let len = chunk.min(m - start);
            let mut part = vec![0.0f32; k * n];
            gemm_serial(a.row_block(start, len).t(), b.row_block(start, len), false, &mut part);
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
        (0..n)
            .map(|i| {
                (((i as u32).wrapping_mul(2654435761).wrapping_add(seed) >> 16) % 200) as f32
                    / 100.0
                    - 1.0
            })
            .collect()
    }

    /// The contract: each result one FMA chain over the inner index, from 0 or from c.
    #[test]
    fn products_are_one_fma_chain_per_result() {
        for &(m, k, n, accumulate) in &[(5, 7, 3, false), (300, 40, 30, true), (9, 784, 10, false)]
        {
            let a = values(m * k, 4);
            let b = values(k * n, 5);
            let c0 = values(m * n, 6);
            for transposed_b in [false, true] {
                let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
                let bm = if transposed_b { Mat::rows(&bt, n, k).t() } else { Mat::rows(&b, k, n) };
                let mut got = c0.clone();
                gemm(Mat::rows(&a, m, k), bm, accumulate, &mut got);
                for i in 0..m {
                    for j in 0..n {
                        let start = if accumulate { c0[i * n + j] } else { 0.0 };
                        let want =
                            (0..k).fold(start, |acc, p| a[i * k + p].mul_add(b[p * n + j], acc));
                        assert_eq!(
                            got[i * n + j].to_bits(),
                            want.to_bits(),
                            "({m},{k},{n}) [{i}][{j}]"
                        );
                    }
                }
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
            gemm(Mat::rows(&a, m, k), Mat::rows(&b, k, n), false, &mut got);
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
