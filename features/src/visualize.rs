//! The HOG picture: an image beside its HOG glyphs, like scikit-image's
//! `hog(..., visualize=True)`.
//!
//! For every cell and orientation bin a line is drawn through the cell centre,
//! perpendicular to the bin's middle gradient direction (so it follows the edge
//! that produced the gradient), with brightness proportional to the cell's
//! histogram value (the un-normalised cell histogram, as scikit-image draws).
//! Both halves are enlarged by the same whole factor so that a 28×28 digit
//! becomes about 250 pixels wide; scikit-image's own glyph radius
//! (`min(cell)//2 - 1` pixels, i.e. 1 pixel for 4×4 cells) is too small to see.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};

use crate::error::{Context, ErrorKind, Result};
use crate::hog::HogLayout;
use crate::Size2;

/// Enlargement so the longer side is about 256 pixels (never below 1).
pub fn scale_for(layout: &HogLayout) -> usize {
    (256 / layout.height.max(layout.width)).max(1)
}

/// The glyph image (H·s × W·s, float intensities) for cell histograms
/// `cells.rows × cells.cols × orientations`, cells of `ppc` pixels.
pub fn glyphs(
    layout: &HogLayout,
    ppc: Size2,
    orientations: usize,
    histogram: &[f64],
    scale: usize,
) -> Vec<f64> {
    let (h, w) = (layout.height * scale, layout.width * scale);
    let mut canvas = vec![0.0f64; h * w];
    let (cell_h, cell_w) = ((ppc.rows * scale) as f64, (ppc.cols * scale) as f64);
    let radius = 0.45 * cell_h.min(cell_w);
    // Lines a quarter of the enlargement wide (2 px at ×9) so they stay visible.
    let thickness = (scale / 4).max(1);
    for r in 0..layout.cells.rows {
        for c in 0..layout.cells.cols {
            let centre = ((r as f64 + 0.5) * cell_h, (c as f64 + 0.5) * cell_w);
            for o in 0..orientations {
                let value = histogram[(r * layout.cells.cols + c) * orientations + o];
                if value <= 0.0 {
                    continue;
                }
                // As scikit-image: midpoint of the bin, line from (r - dc, c + dr) to (r + dc, c - dr).
                let theta = std::f64::consts::PI * (o as f64 + 0.5) / orientations as f64;
                let (dr, dc) = (radius * theta.sin(), radius * theta.cos());
                draw_line(
                    &mut canvas,
                    w,
                    h,
                    (centre.0 - dc, centre.1 + dr),
                    (centre.0 + dc, centre.1 - dr),
                    value,
                    thickness,
                );
            }
        }
    }
    canvas
}

/// Adds `value` along a line `thickness` pixels wide (DDA), each pixel once per line.
fn draw_line(
    canvas: &mut [f64],
    w: usize,
    h: usize,
    a: (f64, f64),
    b: (f64, f64),
    value: f64,
    thickness: usize,
) {
    let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil().max(1.0) as usize;
    let mut touched = Vec::with_capacity((steps + 1) * thickness * thickness);
    let half = (thickness / 2) as f64;
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        let (r, c) =
            ((a.0 + (b.0 - a.0) * t - half).floor(), (a.1 + (b.1 - a.1) * t - half).floor());
        for dr in 0..thickness {
            for dc in 0..thickness {
                let (rr, cc) = (r + dr as f64, c + dc as f64);
                if rr >= 0.0 && cc >= 0.0 && (rr as usize) < h && (cc as usize) < w {
                    touched.push(rr as usize * w + cc as usize);
                }
            }
        }
    }
    touched.sort_unstable();
    touched.dedup();
    for i in touched {
        canvas[i] += value;
    }
}

/// PNG bytes: the enlarged image (left), a gap, and the glyphs (right).
pub fn picture_png(
    image: &[u8],
    layout: &HogLayout,
    ppc: Size2,
    orientations: usize,
    histogram: &[f64],
) -> Result<Vec<u8>> {
    let s = scale_for(layout);
    let (h, w, ch) = (layout.height, layout.width, layout.channels);
    let gap = 4u32;
    let (ph, pw) = ((h * s) as u32, (w * s) as u32);
    let mut out = RgbImage::from_pixel(pw * 2 + gap, ph, Rgb([40, 40, 40]));
    for y in 0..ph {
        for x in 0..pw {
            let (r, c) = (y as usize / s, x as usize / s);
            let px = &image[(r * w + c) * ch..(r * w + c + 1) * ch];
            let rgb = if ch >= 3 { [px[0], px[1], px[2]] } else { [px[0]; 3] };
            out.put_pixel(x, y, Rgb(rgb));
        }
    }
    let canvas = glyphs(layout, ppc, orientations, histogram, s);
    let max = canvas.iter().cloned().fold(0.0f64, f64::max);
    for y in 0..ph {
        for x in 0..pw {
            let v = canvas[y as usize * pw as usize + x as usize];
            let g = if max > 0.0 { (255.0 * (v / max).min(1.0)).round() as u8 } else { 0 };
            out.put_pixel(pw + gap + x, y, Rgb([g, g, g]));
        }
    }
    let mut bytes = Vec::new();
    out.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .context(ErrorKind::Output, || "cannot encode the HOG picture as PNG")?;
    Ok(bytes)
}
