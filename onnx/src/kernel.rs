//! Conv kernels between Keras's `[H, W, I, O]` and ONNX's `[O, I, H, W]` layouts.

use crate::Size2;

/// A Conv kernel of `kernel_size` from ONNX's `[O, I, H, W]` back to Keras's
/// `[H, W, I, O]` (the inverse of what [`GraphBuilder::conv2d`] writes).
pub fn hwio_from_oihw(oihw: &[f32], kernel_size: Size2, c_in: usize, c_out: usize) -> Vec<f32> {
    let mut hwio = vec![0f32; oihw.len()];
    for (hwio_at, oihw_at) in kernel_positions(kernel_size.rows, kernel_size.cols, c_in, c_out) {
        hwio[hwio_at] = oihw[oihw_at];
    }
    hwio
}

/// Each weight of a `kh×kw` kernel from `c_in` to `c_out` channels as (its index in
/// Keras's `[H, W, I, O]`, its index in ONNX's `[O, I, H, W]`): the one layout map both
/// directions use.
pub(crate) fn kernel_positions(
    kh: usize,
    kw: usize,
    c_in: usize,
    c_out: usize,
) -> impl Iterator<Item = (usize, usize)> {
    (0..kh).flat_map(move |y| {
        (0..kw).flat_map(move |x| {
            (0..c_in).flat_map(move |i| {
                (0..c_out).map(move |o| {
                    (((y * kw + x) * c_in + i) * c_out + o, ((o * c_in + i) * kh + y) * kw + x)
                })
            })
        })
    })
}
