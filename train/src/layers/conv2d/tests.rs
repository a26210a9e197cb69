//! Conv2D's tests: shapes and weight counts, the padding rule, the direct convolution
//! against the textbook loop, and the gradient checks of every path.

use super::*;
use crate::layers::gradcheck::{check, random};
use crate::layers::MaxPool2d;
use params::Size2;
use rand::SeedableRng;

fn conv(
    in_shape: [usize; 3],
    f: usize,
    k: (usize, usize),
    s: (usize, usize),
    p: Padding,
    a: Activation,
) -> Conv2d {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    Conv2d::new(in_shape, f, Size2::new(k.0, k.1), Size2::new(s.0, s.1), p, a, &mut rng).unwrap()
}

fn planar_shape(n: usize, [h, w, c]: [usize; 3]) -> Vec<usize> {
    vec![n, c, h, w]
}

#[test]
fn weight_counts_and_shapes_of_the_seed_cnn() {
    let c1 = conv([28, 28, 1], 10, (7, 7), (1, 1), Padding::Same, Activation::Relu);
    assert_eq!(c1.output_shape(), [28, 28, 10]);
    assert_eq!(c1.param_count(), 500);
    assert_eq!(c1.formula(), "10 filters × 7×7 kernel × 1 input channel + 10 biases = 500");
    let c2 = conv([14, 14, 10], 10, (5, 5), (1, 1), Padding::Same, Activation::Relu);
    assert_eq!(c2.param_count(), 2510);
    let c3 = conv([7, 7, 10], 10, (3, 3), (1, 1), Padding::Same, Activation::Relu);
    assert_eq!(c3.param_count(), 910);
    assert_eq!(
        conv([7, 7, 1], 2, (3, 3), (2, 2), Padding::Valid, Activation::Linear).output_shape(),
        [3, 3, 2]
    );
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    assert!(Conv2d::new(
        [2, 2, 1],
        1,
        Size2::square(3),
        Size2::square(1),
        Padding::Valid,
        Activation::Linear,
        &mut rng
    )
    .is_none());
}

/// The textbook loop over NHWC input and the Keras kernel layout, for comparison;
/// returns NHWC.
fn naive(c: &Conv2d, x: &[f32]) -> Vec<f32> {
    let [h, w, cin] = c.in_shape;
    let (kh, kw) = c.kernel_size.pair();
    let (ho, wo) = c.out_hw;
    let (pt, pl) = c.pad_top_left;
    let mut out = vec![0.0; ho * wo * c.filters];
    for oy in 0..ho {
        for ox in 0..wo {
            for f in 0..c.filters {
                let mut s = c.bias[f];
                for ky in 0..kh {
                    for kx in 0..kw {
                        let iy = (oy * c.strides.rows + ky) as isize - pt as isize;
                        let ix = (ox * c.strides.cols + kx) as isize - pl as isize;
                        if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                            continue;
                        }
                        for ci in 0..cin {
                            s += x[(iy as usize * w + ix as usize) * cin + ci]
                                * c.kernel[((ky * kw + kx) * cin + ci) * c.filters + f];
                        }
                    }
                }
                out[(oy * wo + ox) * c.filters + f] = s;
            }
        }
    }
    out
}

/// `[H, W, C]` → `[C, H, W]`.
fn to_planar(x: &[f32], [h, w, c]: [usize; 3]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    for p in 0..h * w {
        for ch in 0..c {
            out[ch * h * w + p] = x[p * c + ch];
        }
    }
    out
}

#[test]
fn same_padding_even_kernel_puts_the_extra_row_at_the_bottom() {
    // 4×4 input, 2×2 kernel, same: total padding 1, all of it bottom/right.
    let mut c = conv([4, 4, 1], 1, (2, 2), (1, 1), Padding::Same, Activation::Linear);
    assert_eq!(c.pad_top_left, (0, 0));
    c.kernel = vec![1.0, 0.0, 0.0, 0.0]; // picks the top-left of each window
    let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let y = c.forward(
        Tensor::new(vec![1, 1, 4, 4], x.clone()),
        &mut Ctx { training: false, rng: &mut rng },
        true,
    );
    assert_eq!(y.data, x, "top-left tap of a window anchored at the pixel itself");
    // 3×3 kernel, stride 2 on 6: out 3, total padding max(2·2+3−6,0)=1 → 0 before.
    let c = conv([6, 6, 1], 1, (3, 3), (2, 2), Padding::Same, Activation::Linear);
    assert_eq!((c.out_hw, c.pad_top_left), ((3, 3), (0, 0)));
    let c = conv([5, 5, 1], 1, (4, 4), (1, 1), Padding::Same, Activation::Linear);
    assert_eq!(c.pad_top_left, (1, 1), "total 3: 1 before, 2 after");
}

#[test]
fn direct_convolution_matches_the_textbook_loop() {
    // Stride 1 (shifted rows) and other strides (gathered rows); filter counts that
    // hit every block shape of the kernels.
    for (shape, k, s, p) in [
        ([6, 5, 3], (3, 3), (1, 1), Padding::Same),
        ([9, 11, 1], (7, 7), (1, 1), Padding::Same),
        ([7, 7, 2], (4, 2), (2, 1), Padding::Same),
        ([8, 6, 2], (3, 3), (2, 2), Padding::Valid),
        ([8, 7, 2], (3, 2), (1, 1), Padding::Valid),
    ] {
        for filters in [4, 10, 13] {
            let mut c = conv(shape, filters, k, s, p, Activation::Linear);
            c.bias = random(filters, -1.0, 1.0, 9);
            let n: usize = shape.iter().product();
            let x = random(2 * n, -1.0, 1.0, 8);
            let planar: Vec<f32> = x.chunks(n).flat_map(|s| to_planar(s, shape)).collect();
            let mut rng = ChaCha8Rng::seed_from_u64(0);
            let y = c.forward(
                Tensor::new(planar_shape(2, shape), planar),
                &mut Ctx { training: false, rng: &mut rng },
                true,
            );
            let out_shape = [c.out_hw.0, c.out_hw.1, filters];
            assert_eq!(y.shape, planar_shape(2, out_shape));
            let per = y.sample_len();
            for i in 0..2 {
                let want = to_planar(&naive(&c, &x[i * n..(i + 1) * n]), out_shape);
                for (j, (g, w)) in y.data[i * per..(i + 1) * per].iter().zip(&want).enumerate() {
                    assert!(
                        (g - w).abs() < 1e-5,
                        "{shape:?} k {k:?} s {s:?}, {filters} filters, [{j}]: {g} vs {w}"
                    );
                }
            }
        }
    }
}

#[test]
fn gradient_check() {
    for (shape, f, k, s, p, a) in [
        ([5, 5, 2], 3, (3, 3), (1, 1), Padding::Same, Activation::Tanh),
        ([6, 6, 1], 3, (2, 2), (2, 2), Padding::Same, Activation::Linear),
        ([6, 5, 2], 3, (3, 2), (2, 1), Padding::Valid, Activation::Sigmoid),
        ([7, 6, 3], 10, (3, 4), (1, 1), Padding::Same, Activation::Tanh),
        ([6, 7, 2], 5, (3, 3), (1, 1), Padding::Valid, Activation::Linear),
        // 16 filters on short rows: the kernel gradient vectorised along the filters.
        ([5, 5, 2], 16, (3, 3), (1, 1), Padding::Same, Activation::Tanh),
    ] {
        let mut c = conv(shape, f, k, s, p, a);
        c.bias = random(f, -0.5, 0.5, 10);
        let n: usize = shape.iter().product();
        check(&mut c, Tensor::new(planar_shape(2, shape), random(2 * n, -1.0, 1.0, 11)), true);
    }
}

#[test]
fn gradient_check_fused_relu() {
    // ReLU inside the layer: backward masks dz by [z > 0] from the kept z, for shifted rows
    // (stride 1) and gathered rows (stride 2).
    for (shape, f, k, s, p) in [
        ([5, 5, 2], 3, (3, 3), (1, 1), Padding::Same),
        ([6, 7, 2], 4, (2, 3), (1, 1), Padding::Valid),
        ([7, 7, 2], 3, (3, 3), (2, 2), Padding::Same),
    ] {
        let mut c = conv(shape, f, k, s, p, Activation::Relu);
        c.bias = random(f, -0.5, 0.5, 12);
        let n: usize = shape.iter().product();
        check(&mut c, Tensor::new(planar_shape(2, shape), random(2 * n, -1.0, 1.0, 13)), true);
    }
}

#[test]
fn gradient_check_strided_with_padding() {
    // Strided (gathered rows) with `same` padding: taps on the padding are skipped by the
    // gather and by col2im. (out_hw, pad_top_left) pin down where the padding falls.
    for (shape, f, k, s, a, geometry) in [
        // Odd kernel: total padding 2, one row/column on each side.
        ([7, 7, 2], 3, (3, 3), (2, 2), Activation::Linear, ((4, 4), (1, 1))),
        // Even kernel: rows 1 before and 2 after, columns 1 and 1.
        ([7, 6, 2], 3, (4, 4), (2, 2), Activation::Tanh, ((4, 3), (1, 1))),
        // Even kernel: total 1, all of it after (bottom/right).
        ([5, 5, 3], 2, (2, 2), (2, 2), Activation::Sigmoid, ((3, 3), (0, 0))),
        // Unequal strides, with the fused ReLU.
        ([9, 8, 2], 4, (3, 4), (2, 3), Activation::Relu, ((5, 3), (1, 1))),
    ] {
        let mut c = conv(shape, f, k, s, Padding::Same, a);
        assert_eq!((c.out_hw, c.pad_top_left), geometry, "{shape:?} k {k:?} s {s:?}");
        c.bias = random(f, -0.5, 0.5, 14);
        let n: usize = shape.iter().product();
        check(&mut c, Tensor::new(planar_shape(2, shape), random(2 * n, -1.0, 1.0, 15)), true);
    }
}

/// Conv2D followed by MaxPooling2D, as two layers and fused (`Layer::fuse_pool`), from the
/// same weights.
fn conv_and_pool(
    shape: [usize; 3],
    f: usize,
    (k, s): (usize, usize),
    a: Activation,
    pool: usize,
) -> (Conv2d, MaxPool2d, Conv2d) {
    let mut c = conv(shape, f, (k, k), (s, s), Padding::Same, a);
    c.bias = random(f, -0.3, 0.3, 14);
    let [h, w, _] = c.output_shape()[..] else { unreachable!() };
    let p =
        MaxPool2d::new([h, w, f], Size2::new(pool, pool), Size2::new(pool, pool), Padding::Valid)
            .unwrap();
    let mut fused = conv(shape, f, (k, k), (s, s), Padding::Same, a);
    fused.bias = c.bias.clone();
    assert!(fused.fuse_pool(p.pool_to_fuse().unwrap()), "a disjoint pool after {a:?} fuses");
    (c, p, fused)
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn fused_pool_gives_the_two_layers_bits() {
    // Odd planes (7 → 3, the floor rule), a general 3×3/3 pool, C = 1 and 3, ReLU and
    // linear, and a strided convolution (gathered rows); inputs on a coarse grid, so
    // windows hold ties and ReLU zeros.
    for (shape, f, k, a, pool) in [
        ([7, 7, 3], 4, (3, 1), Activation::Relu, 2),
        ([8, 8, 1], 5, (5, 1), Activation::Relu, 2),
        ([9, 10, 2], 3, (3, 1), Activation::Relu, 3),
        ([6, 6, 2], 3, (2, 1), Activation::Linear, 2),
        ([11, 9, 2], 4, (3, 2), Activation::Relu, 2),
    ] {
        let (mut c, mut p, mut fused) = conv_and_pool(shape, f, k, a, pool);
        let n = 3;
        let len: usize = shape.iter().product();
        let x: Vec<f32> =
            random(n * len, -1.0, 1.0, 15).iter().map(|v| (v * 4.0).round() / 4.0).collect();
        let x = Tensor::new(planar_shape(n, shape), x);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut ctx = Ctx { training: true, rng: &mut rng };
        let two = c.forward(x.clone(), &mut ctx, true);
        let two = p.forward(two, &mut ctx, true);
        let one = fused.forward(x, &mut ctx, true);
        assert_eq!(one.shape, two.shape, "{shape:?}");
        assert_eq!(bits(&one.data), bits(&two.data), "{shape:?} forward");
        let g = Tensor::new(two.shape.clone(), random(two.data.len(), -1.0, 1.0, 16));
        let dx_two = c.backward(p.backward(g.clone(), true).unwrap(), true).unwrap();
        let dx_one = fused.backward(g, true).unwrap();
        assert_eq!(bits(&dx_one.data), bits(&dx_two.data), "{shape:?} dx");
        assert_eq!(bits(&fused.grad_kernel), bits(&c.grad_kernel), "{shape:?} dK");
        assert_eq!(bits(&fused.grad_bias), bits(&c.grad_bias), "{shape:?} db");
        // A second batch: the scratch the first one used is clean again.
        let x2 = Tensor::new(planar_shape(1, shape), random(len, -1.0, 1.0, 17));
        let two = p.forward(c.forward(x2.clone(), &mut ctx, true), &mut ctx, true);
        let one = fused.forward(x2, &mut ctx, true);
        let g = Tensor::new(two.shape.clone(), random(two.data.len(), -1.0, 1.0, 18));
        c.backward(p.backward(g.clone(), true).unwrap(), true);
        fused.backward(g, true);
        assert_eq!(bits(&one.data), bits(&two.data));
        assert_eq!(bits(&fused.grad_kernel), bits(&c.grad_kernel), "{shape:?} second dK");
    }
}

#[test]
fn gradient_check_with_the_fused_pool() {
    // A step may not change a window's winner, or the finite difference jumps: a 1×1
    // kernel with weights away from 0 over distinct inputs 0.05 apart keeps every
    // window's order (the bit test above covers larger kernels against the two layers).
    for a in [Activation::Relu, Activation::Linear] {
        let shape = [5, 6, 1];
        let (_, _, mut fused) = conv_and_pool(shape, 3, (1, 1), a, 2);
        fused.kernel = vec![0.7, -0.9, 0.5];
        let n: usize = 2 * shape.iter().product::<usize>();
        let mut rng = ChaCha8Rng::seed_from_u64(20);
        let mut x: Vec<f32> = (0..n).map(|i| i as f32 * 0.05 - 1.5).collect();
        rand::seq::SliceRandom::shuffle(&mut x[..], &mut rng);
        check(&mut fused, Tensor::new(planar_shape(2, shape), x), true);
    }
}

#[test]
fn only_disjoint_unpadded_pools_after_relu_or_linear_fuse() {
    let mut c = conv([8, 8, 1], 2, (3, 3), (1, 1), Padding::Same, Activation::Relu);
    let overlapping =
        MaxPool2d::new([8, 8, 2], Size2::new(3, 3), Size2::new(2, 2), Padding::Valid).unwrap();
    assert_eq!(overlapping.pool_to_fuse(), None);
    let padded =
        MaxPool2d::new([7, 7, 2], Size2::new(2, 2), Size2::new(2, 2), Padding::Same).unwrap();
    assert_eq!(padded.pool_to_fuse(), None, "the last window runs past the plane");
    let same_even =
        MaxPool2d::new([8, 8, 2], Size2::new(2, 2), Size2::new(2, 2), Padding::Same).unwrap();
    let windows = same_even.pool_to_fuse().expect("`same` on an even plane pads nothing");
    let mut tanh = conv([8, 8, 1], 2, (3, 3), (1, 1), Padding::Same, Activation::Tanh);
    assert!(!tanh.fuse_pool(windows), "tanh′ needs the output, which the pool drops");
    let other_plane = PoolWindows::new((6, 6), (2, 2), (2, 2), Padding::Valid).unwrap();
    assert!(!c.fuse_pool(other_plane));
    assert!(c.fuse_pool(windows));
}
