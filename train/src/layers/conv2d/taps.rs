//! Where a convolution's tap rows come from: for stride 1, shifted views of the
//! zero-padded input planes; for other strides, rows gathered into a buffer (planar
//! im2col), and col2im back. Also the kernel's two matrix layouts.

use super::Conv2d;
use crate::engine::offset_gemm::round_up;

/// Where the tap rows live for one sample, and how positions are counted.
pub(super) struct Plan {
    /// Stride 1 (shifted views of padded planes) or gathered rows.
    pub(super) shifted: bool,
    /// Positions per output row in q-space: Wp (shifted) or Wo (gathered).
    pub(super) q_width: usize,
    /// Ho·q_width rounded up to the vector width.
    pub(super) q_len: usize,
    /// Values of one sample's tap-row source: C padded planes, or T gathered rows.
    pub(super) src_len: usize,
    /// Padded plane length (shifted).
    pub(super) plane: usize,
    pub(super) wp: usize,
    /// Start of tap row t = (c, ky, kx) in the sample's source.
    pub(super) tap_offsets: Vec<usize>,
    /// Zeros before dz in its backward buffer (shifted: room for the largest kernel shift).
    pub(super) margin: usize,
    /// Length of one filter's row of dz in the backward buffer.
    pub(super) dz_row: usize,
    /// Rows read by the input-gradient product: (f, ky, kx) shifts of dz (shifted) or f rows.
    pub(super) back_offsets: Vec<usize>,
    /// Positions of the input-gradient product.
    pub(super) dx_q_len: usize,
}

impl Conv2d {
    pub(super) fn plan(
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
    pub(super) fn kernel_index(&self, t: usize, f: usize) -> usize {
        let (kh, kw) = self.kernel_size.pair();
        let (c, ky, kx) = (t / (kh * kw), t / kw % kh, t % kw);
        ((ky * kw + kx) * self.in_shape[2] + c) * self.filters + f
    }

    pub(super) fn taps(&self) -> usize {
        self.kernel_size.rows * self.kernel_size.cols * self.in_shape[2]
    }

    /// Writes one sample's tap-row source from its planar image `[C, H, W]`. Only in-range
    /// positions are written: `src` holds zeros (or this layout's earlier values) elsewhere.
    pub(super) fn fill_source(&self, image: &[f32], src: &mut [f32]) {
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
    pub(super) fn for_each_gathered(&self, mut visit: impl FnMut(usize, usize)) {
        let [h, w, _] = self.in_shape;
        let (kh, kw) = self.kernel_size.pair();
        let (ho, wo) = self.out_hw;
        let (pt, pl) = self.pad_top_left;
        let (sh, sw) = self.strides.pair();
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
    pub(super) fn forward_matrix(&self) -> Vec<f32> {
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
    pub(super) fn backward_matrix(&self) -> Vec<f32> {
        let (kh, kw) = self.kernel_size.pair();
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

    /// Adds one sample's gathered-row gradient `dcols` `[T, q_len]` onto its planar `dimage`.
    pub(super) fn col2im(&self, dcols: &[f32], dimage: &mut [f32]) {
        self.for_each_gathered(|row, input| dimage[input] += dcols[row]);
    }
}
