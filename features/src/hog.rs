//! Histogram of Oriented Gradients, value for value as scikit-image 0.26's
//! `skimage.feature.hog(image, ..., feature_vector=True)` on a uint8 image.
//!
//! What scikit-image does, and what this module reproduces operation by operation
//! (same IEEE float64 operations, same order where the order changes the rounding):
//!
//! 1. The uint8 image is converted to float64 without rescaling; `transform_sqrt`
//!    takes `sqrt` of every value.
//! 2. Gradients by central differences, zero on the border rows/columns:
//!    `g_row[r,c] = v[r+1,c] - v[r-1,c]`, `g_col[r,c] = v[r,c+1] - v[r,c-1]`.
//!    With several channels, each pixel takes the gradient of the channel whose
//!    magnitude `hypot(g_row, g_col)` is largest (the first one on a tie, as `argmax`).
//! 3. `magnitude = hypot(g_col, g_row)`,
//!    `orientation = (atan2(g_row, g_col) * (180/π)) mod 180` (numpy's `rad2deg` then
//!    Python's floor-mod, so the result is in `[0, 180)`).
//! 4. Hard binning: with `step = 180.0 / orientations` (float64), a pixel votes into
//!    bin `i` exactly when `step*i <= orientation < step*(i+1)`, both edges computed
//!    in float64 as `step * i`. A pixel that falls in no bin (only possible when
//!    `step*orientations` rounds below 180) votes nowhere.
//! 5. A cell's bin value is the sum of its pixels' magnitudes accumulated in a
//!    **float32** variable (`cdef float total` in `_hoghistogram.pyx`: each step is
//!    `total = (float)((double)total + magnitude)`, in row-major pixel order), then
//!    divided, in float32, by the cell area. Only the `n_cells = size // cell` whole
//!    cells are used; the rightmost/bottom remainder pixels are ignored.
//! 6. Blocks of `cells_per_block` cells slide by one cell; each block (all its
//!    cells and bins) is normalised in float64 with `eps = 1e-5`:
//!    L1 `b/(Σ|b|+eps)`, L1-sqrt `sqrt(b/(Σ|b|+eps))`, L2 `b/sqrt(Σb²+eps²)`,
//!    L2-Hys: L2, clip at 0.2, L2 again.
//! 7. Output order: block row, block column, cell row in block, cell column in
//!    block, orientation. D = n_blocks_row·n_blocks_col·b_row·b_col·orientations.
//!
//! Speed: for uint8 input without `transform_sqrt` the gradients are integers in
//! [-255, 255], so each gradient pair's bin and magnitude come from a table built
//! once with the exact float64 formulas above (a test checks every one of the
//! 511² entries against the direct computation). Everything else works on
//! per-thread scratch buffers reused from image to image.

use std::sync::Arc;

pub use params::{BlockNorm, HogParams, Size2};

use crate::error::{fail, Result};

/// scikit-image's block normalisation epsilon.
const EPS: f64 = 1e-5;

/// Where every number of a descriptor comes from, for one image size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HogLayout {
    /// Image rows.
    pub height: usize,
    /// Image columns.
    pub width: usize,
    /// Values per pixel (1 gray, 3 RGB).
    pub channels: usize,
    /// Whole cells that fit the image (remainder pixels are ignored).
    pub cells: Size2,
    /// Block positions, sliding by one cell.
    pub blocks: Size2,
    /// Descriptor length: blocks.rows·blocks.cols·cells_per_block.rows·cells_per_block.cols·orientations.
    pub dim: usize,
}

impl HogLayout {
    /// Checks the parameters against an image size and works out the descriptor layout.
    pub fn new(
        params: &HogParams,
        height: usize,
        width: usize,
        channels: usize,
    ) -> Result<HogLayout> {
        let (ppc, cpb) = (params.pixels_per_cell, params.cells_per_block);
        params.validate()?;
        if channels == 0 || height == 0 || width == 0 {
            fail!(Layout, "images of {height}x{width}x{channels} pixels hold nothing to describe");
        }
        if ppc.rows > height || ppc.cols > width {
            fail!(Layout, "a cell of {ppc} pixels is larger than the {height}x{width} images");
        }
        let cells = Size2::new(height / ppc.rows, width / ppc.cols);
        if cpb.rows > cells.rows || cpb.cols > cells.cols {
            fail!(
                Layout,
                "a block of {cpb} cells is larger than the {} grid of {ppc}-pixel cells that fits in the {height}x{width} images",
                cells
            );
        }
        let blocks = Size2::new(cells.rows - cpb.rows + 1, cells.cols - cpb.cols + 1);
        let dim = blocks.rows * blocks.cols * cpb.rows * cpb.cols * params.orientations;
        Ok(HogLayout { height, width, channels, cells, blocks, dim })
    }
}

/// `np.rad2deg(np.arctan2(g_row, g_col)) % 180`, bit for bit.
#[inline]
pub fn orientation_degrees(g_row: f64, g_col: f64) -> f64 {
    // numpy's rad2deg is `x * (180.0 / NPY_PI)`; the constant is folded first.
    let deg = g_row.atan2(g_col) * (180.0 / std::f64::consts::PI);
    // numpy's float remainder: fmod, then shift negative results by the divisor;
    // a zero result takes the divisor's sign (+0).
    let m = deg % 180.0;
    if m == 0.0 {
        0.0
    } else if m < 0.0 {
        m + 180.0
    } else {
        m
    }
}

/// The orientation bins' edges, `step * i` for i = 0..=n, as `_hoghistogram.pyx` computes them.
pub fn bin_edges(orientations: usize) -> Vec<f64> {
    let step = 180.0 / orientations as f64;
    (0..=orientations).map(|i| step * i as f64).collect()
}

/// Marks a pixel that votes into no bin.
const NO_BIN: u8 = u8::MAX;

/// The bin of an orientation: `i` with `edges[i] <= deg < edges[i+1]`, else [`NO_BIN`].
#[inline]
fn bin_of(deg: f64, edges: &[f64]) -> u8 {
    let n = edges.len() - 1;
    // A first guess from the quotient, then exact comparisons against the edges
    // scikit-image uses (the quotient alone can round across an edge).
    let guess = (deg / edges[1]) as isize;
    let mut i = guess.clamp(0, n as isize - 1) as usize;
    while i > 0 && deg < edges[i] {
        i -= 1;
    }
    while i + 1 < n && deg >= edges[i + 1] {
        i += 1;
    }
    if deg >= edges[i] && deg < edges[i + 1] {
        i as u8
    } else {
        NO_BIN
    }
}

/// Bin and magnitude of every integer gradient pair (uint8 images, no sqrt).
#[derive(Debug)]
struct GradientTable {
    /// Indexed by `(g_row + 255) * 511 + (g_col + 255)`.
    bins: Vec<u8>,
    /// `hypot(|g_row|, |g_col|)`, indexed by `|g_row| * 256 + |g_col|`.
    magnitudes: Vec<f64>,
}

const G_SPAN: usize = 511;

impl GradientTable {
    fn new(edges: &[f64]) -> Self {
        let mut bins = vec![NO_BIN; G_SPAN * G_SPAN];
        for gr in -255i32..=255 {
            for gc in -255i32..=255 {
                let deg = orientation_degrees(gr as f64, gc as f64);
                bins[(gr + 255) as usize * G_SPAN + (gc + 255) as usize] = bin_of(deg, edges);
            }
        }
        let mut magnitudes = vec![0.0; 256 * 256];
        for gr in 0..256usize {
            for gc in 0..256usize {
                magnitudes[gr * 256 + gc] = (gc as f64).hypot(gr as f64);
            }
        }
        Self { bins, magnitudes }
    }

    #[inline]
    fn bin(&self, gr: i32, gc: i32) -> u8 {
        self.bins[(gr + 255) as usize * G_SPAN + (gc + 255) as usize]
    }

    #[inline]
    fn magnitude(&self, gr: i32, gc: i32) -> f64 {
        self.magnitudes[gr.unsigned_abs() as usize * 256 + gc.unsigned_abs() as usize]
    }
}

/// Per-thread working memory, reused from image to image.
#[derive(Debug, Default, Clone)]
pub struct HogScratch {
    /// float32 cell accumulators, `cells.rows × cells.cols × orientations`.
    totals: Vec<f32>,
    /// Cell histograms after the division by the area, float64 as scikit-image stores them.
    histogram: Vec<f64>,
    /// One normalised block.
    block: Vec<f64>,
    /// float64 pixel values (sqrt applied) of the current image, for the general path.
    values: Vec<f64>,
}

/// A HOG extractor for one image size and parameter set.
#[derive(Debug, Clone)]
pub struct Hog {
    /// The parameters it computes with.
    pub params: HogParams,
    /// The descriptor layout for its image size.
    pub layout: HogLayout,
    edges: Vec<f64>,
    table: Option<Arc<GradientTable>>,
    /// `sqrt(v)` or `v` for every uint8 value.
    value_of: [f64; 256],
}

impl Hog {
    /// Checks `params` against the image size (see [`HogLayout::new`]) and builds the tables.
    pub fn new(params: HogParams, height: usize, width: usize, channels: usize) -> Result<Self> {
        let layout = HogLayout::new(&params, height, width, channels)?;
        let edges = bin_edges(params.orientations);
        let table = (!params.transform_sqrt).then(|| Arc::new(GradientTable::new(&edges)));
        let mut value_of = [0.0; 256];
        for (v, slot) in value_of.iter_mut().enumerate() {
            *slot = if params.transform_sqrt { (v as f64).sqrt() } else { v as f64 };
        }
        Ok(Self { params, layout, edges, table, value_of })
    }

    /// Descriptor length D.
    pub fn dim(&self) -> usize {
        self.layout.dim
    }

    /// A scratch sized for this extractor.
    pub fn scratch(&self) -> HogScratch {
        let l = &self.layout;
        let cells = l.cells.rows * l.cells.cols * self.params.orientations;
        HogScratch {
            totals: vec![0.0; cells],
            histogram: vec![0.0; cells],
            block: vec![
                0.0;
                self.params.cells_per_block.rows
                    * self.params.cells_per_block.cols
                    * self.params.orientations
            ],
            values: vec![
                0.0;
                if self.table.is_some() { 0 } else { l.height * l.width * l.channels }
            ],
        }
    }

    /// The cell histograms of one image (`cells.rows × cells.cols × orientations`,
    /// before block normalisation) — what scikit-image's `visualize` draws.
    pub fn cell_histograms<'s>(&self, image: &[u8], scratch: &'s mut HogScratch) -> &'s [f64] {
        self.fill_histogram(image, scratch);
        &scratch.histogram
    }

    /// The descriptor of one image (uint8, row-major H×W×C) into `out` (length D).
    pub fn compute(&self, image: &[u8], scratch: &mut HogScratch, out: &mut [f32]) {
        debug_assert_eq!(out.len(), self.layout.dim);
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vl") {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { self.compute_avx512(image, scratch, out) };
        }
        self.compute_portable(image, scratch, out)
    }

    /// [`Hog::compute`] compiled for AVX-512, where a block's float64 divisions run
    /// eight lanes wide. Rust never fuses or reorders float operations, so the values
    /// are the portable code's, bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512vl,avx2")]
    unsafe fn compute_avx512(&self, image: &[u8], scratch: &mut HogScratch, out: &mut [f32]) {
        self.compute_portable(image, scratch, out)
    }

    #[inline(always)]
    fn compute_portable(&self, image: &[u8], scratch: &mut HogScratch, out: &mut [f32]) {
        self.fill_histogram(image, scratch);
        self.normalize_blocks(scratch, out);
    }

    #[inline(always)]
    fn fill_histogram(&self, image: &[u8], s: &mut HogScratch) {
        let l = &self.layout;
        assert_eq!(
            image.len(),
            l.height * l.width * l.channels,
            "image size does not match the extractor"
        );
        s.totals.fill(0.0);
        match &self.table {
            Some(table) if l.channels == 1 => {
                self.accumulate_gray_table(image, table, &mut s.totals)
            }
            _ => self.accumulate_general(image, &mut s.values, &mut s.totals),
        }
        let area = (self.params.pixels_per_cell.rows * self.params.pixels_per_cell.cols) as f32;
        for (h, &t) in s.histogram.iter_mut().zip(&s.totals) {
            *h = (t / area) as f64;
        }
    }

    /// Adds `magnitude` to a float32 cell total the way the Cython code does.
    #[inline(always)]
    fn vote(totals: &mut [f32], cell_base: usize, bin: u8, magnitude: f64) {
        if bin != NO_BIN {
            let t = &mut totals[cell_base + bin as usize];
            *t = (*t as f64 + magnitude) as f32;
        }
    }

    /// The integer gradients of a one-channel uint8 image, handed to `vote` with the
    /// histogram of the pixel's cell (`cell_len` totals). Pixels are visited row by
    /// row, so within each cell and bin the float32 sums run in scikit-image's
    /// (row-major) order; within a row, column offset outermost and cells innermost, so
    /// consecutive votes go to different cells and their float32 add chains overlap
    /// in the CPU.
    #[inline(always)]
    fn for_each_gray_gradient(
        &self,
        image: &[u8],
        totals: &mut [f32],
        cell_len: usize,
        mut vote: impl FnMut(&mut [f32], i32, i32),
    ) {
        let (h, w) = (self.layout.height, self.layout.width);
        let (pr, pc) = (self.params.pixels_per_cell.rows, self.params.pixels_per_cell.cols);
        let row_len = self.layout.cells.cols * cell_len;
        for r in 0..self.layout.cells.rows * pr {
            let row = &image[r * w..(r + 1) * w];
            // On the first and last rows g_row is 0: difference the row with itself.
            let (up, down) = if r > 0 && r + 1 < h {
                (&image[(r - 1) * w..r * w], &image[(r + 1) * w..(r + 2) * w])
            } else {
                (row, row)
            };
            let cell_row = &mut totals[(r / pr) * row_len..(r / pr + 1) * row_len];
            for offset in 0..pc {
                for (cc, cell) in cell_row.chunks_exact_mut(cell_len).enumerate() {
                    let c = cc * pc + offset;
                    let gr = down[c] as i32 - up[c] as i32;
                    let gc = if c == 0 || c + 1 == w {
                        0
                    } else {
                        row[c + 1] as i32 - row[c - 1] as i32
                    };
                    vote(cell, gr, gc);
                }
            }
        }
    }

    /// Fast path: one uint8 channel, no sqrt; integer gradients through the table,
    /// each vote added to its bin.
    fn accumulate_gray_table(&self, image: &[u8], table: &GradientTable, totals: &mut [f32]) {
        self.for_each_gray_gradient(image, totals, self.params.orientations, |cell, gr, gc| {
            if gr == 0 && gc == 0 {
                return; // magnitude 0: adding it leaves the float32 total unchanged
            }
            let bin = table.bin(gr, gc);
            if bin != NO_BIN {
                let t = &mut cell[bin as usize];
                *t = (*t as f64 + table.magnitude(gr, gc)) as f32;
            }
        });
    }

    /// General path: any channel count, optional sqrt; float64 gradients as scikit-image.
    fn accumulate_general(&self, image: &[u8], values: &mut Vec<f64>, totals: &mut [f32]) {
        let (h, w, ch) = (self.layout.height, self.layout.width, self.layout.channels);
        let ppc = self.params.pixels_per_cell;
        let n = self.params.orientations;
        values.clear();
        values.extend(image.iter().map(|&v| self.value_of[v as usize]));
        let used_rows = self.layout.cells.rows * ppc.rows;
        let used_cols = self.layout.cells.cols * ppc.cols;
        let at = |r: usize, c: usize, k: usize| values[(r * w + c) * ch + k];
        for r in 0..used_rows {
            for c in 0..used_cols {
                // Per channel gradient; keep the first channel of largest magnitude.
                let mut best = (0.0f64, 0.0f64);
                let mut best_magnitude = f64::NEG_INFINITY;
                for k in 0..ch {
                    let gr =
                        if r == 0 || r + 1 == h { 0.0 } else { at(r + 1, c, k) - at(r - 1, c, k) };
                    let gc =
                        if c == 0 || c + 1 == w { 0.0 } else { at(r, c + 1, k) - at(r, c - 1, k) };
                    let m = gr.hypot(gc);
                    // `argmax` keeps the first maximum; NaN cannot occur for finite input.
                    if m > best_magnitude {
                        best_magnitude = m;
                        best = (gr, gc);
                    }
                }
                let (gr, gc) = best;
                let magnitude = gc.hypot(gr);
                let bin = bin_of(orientation_degrees(gr, gc), &self.edges);
                let cell_base = ((r / ppc.rows) * self.layout.cells.cols + c / ppc.cols) * n;
                Self::vote(totals, cell_base, bin, magnitude);
            }
        }
    }

    #[inline(always)]
    fn normalize_blocks(&self, s: &mut HogScratch, out: &mut [f32]) {
        let n = self.params.orientations;
        let cpb = self.params.cells_per_block;
        let cells_cols = self.layout.cells.cols;
        let block_len = cpb.rows * cpb.cols * n;
        let mut o = 0;
        for br in 0..self.layout.blocks.rows {
            for bc in 0..self.layout.blocks.cols {
                // Gather the block in ravel order: cell row, cell column, orientation.
                let mut k = 0;
                for r in br..br + cpb.rows {
                    let start = (r * cells_cols + bc) * n;
                    s.block[k..k + cpb.cols * n]
                        .copy_from_slice(&s.histogram[start..start + cpb.cols * n]);
                    k += cpb.cols * n;
                }
                normalize_block(&mut s.block, self.params.block_norm);
                for (dst, &v) in out[o..o + block_len].iter_mut().zip(&s.block) {
                    *dst = v as f32;
                }
                o += block_len;
            }
        }
    }
}

/// `_hog_normalize_block` of scikit-image, in place.
#[inline(always)]
pub fn normalize_block(block: &mut [f64], norm: BlockNorm) {
    match norm {
        BlockNorm::L1 => {
            let d = block.iter().map(|v| v.abs()).sum::<f64>() + EPS;
            block.iter_mut().for_each(|v| *v /= d);
        }
        BlockNorm::L1Sqrt => {
            let d = block.iter().map(|v| v.abs()).sum::<f64>() + EPS;
            block.iter_mut().for_each(|v| *v = (*v / d).sqrt());
        }
        BlockNorm::L2 => {
            let d = (block.iter().map(|v| v * v).sum::<f64>() + EPS * EPS).sqrt();
            block.iter_mut().for_each(|v| *v /= d);
        }
        BlockNorm::L2Hys => {
            let d = (block.iter().map(|v| v * v).sum::<f64>() + EPS * EPS).sqrt();
            block.iter_mut().for_each(|v| *v = (*v / d).min(0.2));
            let d = (block.iter().map(|v| v * v).sum::<f64>() + EPS * EPS).sqrt();
            block.iter_mut().for_each(|v| *v /= d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `compute` (compiled for AVX-512 where the CPU has it) gives the portable code's
    /// bits.
    #[test]
    fn every_path_gives_the_same_descriptor() {
        let mut state = 7u32;
        let images: Vec<u8> = (0..20 * 28 * 28)
            .map(|i| {
                state = state.wrapping_mul(1664525).wrapping_add(1013904223);
                // Flat runs (zero gradients) between random pixels, as in real digits.
                if i % 5 == 0 {
                    0
                } else {
                    (state >> 24) as u8
                }
            })
            .collect();
        for (orientations, norm) in [(8, BlockNorm::L2Hys), (9, BlockNorm::L1Sqrt)] {
            let params = HogParams {
                orientations,
                pixels_per_cell: Size2::new(4, 4),
                cells_per_block: Size2::new(2, 2),
                block_norm: norm,
                ..Default::default()
            };
            let hog = Hog::new(params, 28, 28, 1).unwrap();
            let mut s = hog.scratch();
            let (mut dispatched, mut portable) = (vec![0.0; hog.dim()], vec![0.0; hog.dim()]);
            for img in images.chunks_exact(28 * 28) {
                hog.compute(img, &mut s, &mut dispatched);
                hog.compute_portable(img, &mut s, &mut portable);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&dispatched), bits(&portable), "{orientations} orientations");
                assert!(portable.iter().any(|&v| v > 0.0));
            }
        }
    }

    #[test]
    fn table_matches_direct_formulas_for_every_integer_gradient() {
        for n in [1, 4, 7, 8, 9, 12] {
            let edges = bin_edges(n);
            let t = GradientTable::new(&edges);
            for gr in -255i32..=255 {
                for gc in -255i32..=255 {
                    let deg = orientation_degrees(gr as f64, gc as f64);
                    let direct = edges
                        .windows(2)
                        .position(|e| deg >= e[0] && deg < e[1])
                        .map_or(NO_BIN, |i| i as u8);
                    assert_eq!(t.bin(gr, gc), direct, "n={n} gr={gr} gc={gc} deg={deg}");
                    assert_eq!(t.magnitude(gr, gc), (gc as f64).hypot(gr as f64));
                }
            }
        }
    }

    #[test]
    fn exact_angles_land_on_scikit_image_bins() {
        // 45°, 90°, 135° come out exactly and belong to the bin that starts there.
        assert_eq!(orientation_degrees(1.0, 1.0), 45.0);
        assert_eq!(orientation_degrees(1.0, 0.0), 90.0);
        assert_eq!(orientation_degrees(-1.0, 1.0), 135.0);
        assert_eq!(orientation_degrees(0.0, -1.0), 0.0);
        let e8 = bin_edges(8);
        assert_eq!(bin_of(45.0, &e8), 2);
        assert_eq!(bin_of(90.0, &e8), 4);
        assert_eq!(bin_of(44.99999999999999, &e8), 1);
        // 7 bins: 180/7*7 rounds to exactly 180, so every angle has a bin.
        let e7 = bin_edges(7);
        assert_eq!(bin_of(179.99999999999997, &e7), 6);
    }

    #[test]
    fn layout_errors_are_clear() {
        let p = HogParams { pixels_per_cell: Size2::new(32, 32), ..Default::default() };
        let e = HogLayout::new(&p, 28, 28, 1).unwrap_err().to_string();
        assert!(e.contains("cell of 32x32 pixels is larger than the 28x28 images"), "{e}");
        let p = HogParams { orientations: 0, ..Default::default() };
        assert!(HogLayout::new(&p, 28, 28, 1)
            .unwrap_err()
            .to_string()
            .contains("orientations must be at least 1"));
        let p = HogParams { pixels_per_cell: Size2::new(10, 10), ..Default::default() };
        let e = HogLayout::new(&p, 28, 28, 1).unwrap_err().to_string();
        assert!(e.contains("block of 3x3 cells is larger than the 2x2 grid"), "{e}");
        assert!("l2"
            .parse::<BlockNorm>()
            .unwrap_err()
            .to_string()
            .contains("unknown block norm \"l2\""));
    }

    #[test]
    fn dimension_formula() {
        let p = HogParams {
            orientations: 8,
            pixels_per_cell: Size2::new(4, 4),
            cells_per_block: Size2::new(1, 1),
            ..Default::default()
        };
        assert_eq!(HogLayout::new(&p, 28, 28, 1).unwrap().dim, 392);
        let p = HogParams {
            orientations: 9,
            pixels_per_cell: Size2::new(7, 7),
            cells_per_block: Size2::new(2, 2),
            ..Default::default()
        };
        assert_eq!(HogLayout::new(&p, 28, 28, 1).unwrap().dim, 3 * 3 * 2 * 2 * 9);
        let p = HogParams {
            orientations: 6,
            pixels_per_cell: Size2::new(4, 6),
            cells_per_block: Size2::new(2, 3),
            ..Default::default()
        };
        // 30x40: 7x6 cells, 6x4 blocks.
        assert_eq!(HogLayout::new(&p, 30, 40, 3).unwrap().dim, 6 * 4 * 2 * 3 * 6);
    }
}
