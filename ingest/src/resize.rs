//! Resampling to the target size, and colour conversion.
//!
//! Per axis: when shrinking, **area (box) averaging** — each output pixel is the
//! mean of the source pixels its footprint covers, with fractional weights at the
//! edges (no aliasing, like OpenCV `INTER_AREA`); when enlarging, **bilinear** with
//! half-pixel centres (like PIL and `tf.image.resize(half_pixel_centers=True)`).
//! Separable: a horizontal pass then a vertical pass, in f32, rounded once.

/// Luma of an RGB pixel, ITU-R BT.601, exactly as PIL's `convert("L")`:
/// `(19595 R + 38470 G + 7471 B + 32768) >> 16`.
#[inline]
pub fn luma601(r: u8, g: u8, b: u8) -> u8 {
    ((19595 * r as u32 + 38470 * g as u32 + 7471 * b as u32 + 0x8000) >> 16) as u8
}

/// One output coordinate's contributing source indices and weights (summing to 1).
#[derive(Debug, Clone)]
struct Taps {
    first: usize,
    weights: Vec<f32>,
}

fn taps(src: usize, dst: usize) -> Vec<Taps> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|o| {
            if src >= dst {
                // Area: the footprint [o·s, (o+1)·s) in source pixels.
                let lo = o as f64 * scale;
                let hi = ((o + 1) as f64 * scale).min(src as f64);
                let first = lo.floor() as usize;
                let last = (hi.ceil() as usize).min(src).max(first + 1);
                let weights: Vec<f32> = (first..last)
                    .map(|i| {
                        let a = lo.max(i as f64);
                        let b = hi.min((i + 1) as f64);
                        ((b - a).max(0.0) / scale) as f32
                    })
                    .collect();
                Taps { first, weights }
            } else {
                // Bilinear with half-pixel centres, clamped at the borders.
                let x = ((o as f64 + 0.5) * scale - 0.5).clamp(0.0, (src - 1) as f64);
                let first = (x.floor() as usize).min(src - 1);
                let frac = (x - first as f64) as f32;
                if first + 1 < src && frac > 0.0 {
                    Taps { first, weights: vec![1.0 - frac, frac] }
                } else {
                    Taps { first, weights: vec![1.0] }
                }
            }
        })
        .collect()
}

/// Resizes an interleaved `src_h × src_w × channels` u8 image to `dst_h × dst_w`.
pub fn resize(
    src: &[u8],
    src_h: usize,
    src_w: usize,
    channels: usize,
    dst_h: usize,
    dst_w: usize,
) -> Vec<u8> {
    assert_eq!(src.len(), src_h * src_w * channels);
    if src_h == dst_h && src_w == dst_w {
        return src.to_vec();
    }
    let xt = taps(src_w, dst_w);
    let yt = taps(src_h, dst_h);
    // Horizontal pass: src_h × dst_w × channels, f32.
    let mut tmp = vec![0f32; src_h * dst_w * channels];
    for y in 0..src_h {
        let row = &src[y * src_w * channels..(y + 1) * src_w * channels];
        let out = &mut tmp[y * dst_w * channels..(y + 1) * dst_w * channels];
        for (ox, t) in xt.iter().enumerate() {
            for c in 0..channels {
                let mut acc = 0f32;
                for (k, w) in t.weights.iter().enumerate() {
                    acc += w * row[(t.first + k) * channels + c] as f32;
                }
                out[ox * channels + c] = acc;
            }
        }
    }
    // Vertical pass.
    let stride = dst_w * channels;
    let mut out = vec![0u8; dst_h * stride];
    let mut acc = vec![0f32; stride];
    for (oy, t) in yt.iter().enumerate() {
        acc.iter_mut().for_each(|a| *a = 0.0);
        for (k, w) in t.weights.iter().enumerate() {
            let row = &tmp[(t.first + k) * stride..(t.first + k + 1) * stride];
            for (a, v) in acc.iter_mut().zip(row) {
                *a += w * v;
            }
        }
        for (o, a) in out[oy * stride..(oy + 1) * stride].iter_mut().zip(&acc) {
            *o = a.round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_halving_averages_blocks() {
        // 4x4 → 2x2: each output = mean of a 2x2 block.
        let src: Vec<u8> = vec![0, 2, 10, 20, 4, 6, 30, 40, 100, 100, 7, 7, 100, 100, 9, 9];
        assert_eq!(resize(&src, 4, 4, 1, 2, 2), vec![3, 25, 100, 8]);
    }

    #[test]
    fn area_with_fractional_footprint() {
        // 3 → 2: output 0 = (a + b/2)/1.5, output 1 = (b/2 + c)/1.5.
        let src = vec![0u8, 90, 180];
        assert_eq!(resize(&src, 1, 3, 1, 1, 2), vec![30, 150]);
    }

    #[test]
    fn bilinear_upscale_and_identity() {
        let src = vec![0u8, 100];
        // 2 → 4 with half-pixel centres: x = -0.25, 0.25, 0.75, 1.25 → clamp.
        assert_eq!(resize(&src, 1, 2, 1, 1, 4), vec![0, 25, 75, 100]);
        let rgb = vec![1u8, 2, 3, 4, 5, 6];
        assert_eq!(resize(&rgb, 1, 2, 3, 1, 2), rgb);
        assert_eq!(resize(&rgb, 1, 2, 3, 1, 1), vec![3, 4, 5]);
    }

    #[test]
    fn luma_matches_pil() {
        assert_eq!(luma601(255, 255, 255), 255);
        assert_eq!(luma601(255, 0, 0), 76);
        assert_eq!(luma601(0, 255, 0), 150);
        assert_eq!(luma601(0, 0, 255), 29);
    }
}
