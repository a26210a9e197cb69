//! Each kernel on every instruction set this CPU runs: against a plain f64 sum (is it the
//! product?) and bit for bit against a scalar statement of its summation contract (is it
//! the same product on every path?), over random sizes with tails, strides and offsets.

use super::*;
use testkit::Rng;

fn values(rng: &mut Rng, n: usize) -> Vec<f32> {
    rng.vec(n, 1.0)
}

/// Uniform in `0..n`.
fn below(rng: &mut Rng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

/// The contract of `offset_gemm`: one FMA chain over k from the start value.
fn gemm_contract(
    a: &[f32],
    k: usize,
    offsets: &[usize],
    src: &[f32],
    start: f32,
    i: usize,
    q: usize,
) -> f32 {
    (0..k).fold(start, |acc, j| a[i * k + j].mul_add(src[offsets[j] + q], acc))
}

/// The contract of `offset_dot` for one (row, filter) pair: each chunk's sum added to `out`.
fn dot_contract(out: f32, row: &[f32], g: &[f32]) -> f32 {
    let mut total = out;
    for (xs, ys) in row.chunks(DOT_CHUNK).zip(g.chunks(DOT_CHUNK)) {
        let mut sums = [0.0f32; DOT_SUMS];
        for (q, (x, y)) in xs.iter().zip(ys).enumerate() {
            sums[q % DOT_SUMS] = x.mul_add(*y, sums[q % DOT_SUMS]);
        }
        total += tree8(&sums);
    }
    total
}

fn assert_close(got: f32, want: f64, scale: f64, what: &str) {
    assert!((got as f64 - want).abs() <= 1e-5 * scale.max(1.0), "{what}: {got} vs {want}");
}

#[test]
fn offset_gemm_is_its_contract_on_every_path() {
    let mut rng = Rng::new(11);
    // Row counts hit every block height of both register budgets; q_len whole blocks,
    // single vectors and partial vectors (any length: Dense uses it with 10 or 30 units).
    let mut shapes =
        vec![(10, 7, 40), (8, 3, 24), (7, 5, 56), (13, 11, 104), (16, 5, 96), (128, 9, 80)];
    for _ in 0..30 {
        shapes.push((1 + below(&mut rng, 20), 1 + below(&mut rng, 40), 1 + below(&mut rng, 300)));
    }
    for (m, k, q_len) in shapes {
        let src = values(&mut rng, 1200);
        let offsets: Vec<usize> = (0..k).map(|_| below(&mut rng, 1200 - q_len)).collect();
        let a = values(&mut rng, m * k);
        let bias = values(&mut rng, m);
        let ldo = q_len + 3;
        let before = values(&mut rng, m * ldo);
        let mut first: Option<Vec<f32>> = None;
        for isa in Isa::supported() {
            let packed = PackedRows::from_fn(isa, m, k, |i, j| a[i * k + j]);
            for (s, start) in
                [("zero", Start::Zero), ("bias", Start::RowBias(&bias)), ("out", Start::Out)]
            {
                let mut out = before.clone();
                offset_gemm(&packed, &offsets, &src, q_len, start, &mut out, ldo);
                for i in 0..m {
                    for q in 0..q_len {
                        let init = match s {
                            "zero" => 0.0,
                            "bias" => bias[i],
                            _ => before[i * ldo + q],
                        };
                        let got = out[i * ldo + q];
                        let want = gemm_contract(&a, k, &offsets, &src, init, i, q);
                        assert_eq!(
                            got.to_bits(),
                            want.to_bits(),
                            "{isa} {s} m {m} k {k} q {q_len} [{i}][{q}]"
                        );
                        let plain: f64 = init as f64
                            + (0..k)
                                .map(|j| a[i * k + j] as f64 * src[offsets[j] + q] as f64)
                                .sum::<f64>();
                        assert_close(got, plain, k as f64, "plain sum");
                    }
                    for q in q_len..ldo {
                        assert_eq!(
                            out[i * ldo + q].to_bits(),
                            before[i * ldo + q].to_bits(),
                            "{isa} wrote past q_len"
                        );
                    }
                }
                if s == "bias" {
                    match &first {
                        None => first = Some(out),
                        Some(f) => {
                            assert!(f.iter().zip(&out).all(|(x, y)| x.to_bits() == y.to_bits()))
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn offset_dot_is_its_contract_on_every_path() {
    let mut rng = Rng::new(12);
    let mut shapes =
        vec![(7, 10, 48), (3, 4, 8), (5, 3, 2064), (1, 1, 16), (2, 6, 24), (9, 13, 1030)];
    for _ in 0..30 {
        shapes.push((1 + below(&mut rng, 12), 1 + below(&mut rng, 14), 1 + below(&mut rng, 2500)));
    }
    for (t_len, f_len, q_len) in shapes {
        let src = values(&mut rng, 6000);
        let offsets: Vec<usize> = (0..t_len).map(|_| below(&mut rng, 6000 - q_len)).collect();
        let ldg = q_len + 5;
        let g = values(&mut rng, f_len * ldg);
        for isa in Isa::supported() {
            let mut out = vec![1.0f32; t_len * f_len];
            offset_dot_on(isa, &src, &offsets, &g, f_len, ldg, q_len, &mut out);
            for (t, &off) in offsets.iter().enumerate() {
                for f in 0..f_len {
                    let (row, gf) = (&src[off..off + q_len], &g[f * ldg..f * ldg + q_len]);
                    let want = dot_contract(1.0, row, gf);
                    let got = out[t * f_len + f];
                    assert_eq!(
                        got.to_bits(),
                        want.to_bits(),
                        "{isa} t {t_len} f {f_len} q {q_len} [{t}][{f}]"
                    );
                    let plain =
                        1.0 + row.iter().zip(gf).map(|(x, y)| *x as f64 * *y as f64).sum::<f64>();
                    assert_close(got, plain, (q_len as f64).sqrt(), "plain sum");
                }
            }
        }
    }
}

#[test]
fn offset_dot_filters_is_its_contract_on_every_path() {
    let mut rng = Rng::new(13);
    // Filter counts are multiples of 8: whole 16-lane vectors, and a lone 8 after them.
    let mut shapes = vec![(7, 24, 80), (13, 16, 8), (6, 8, 33), (1, 128, 5), (20, 32, 288)];
    for _ in 0..30 {
        shapes.push((
            1 + below(&mut rng, 20),
            8 * (1 + below(&mut rng, 17)),
            1 + below(&mut rng, 150),
        ));
    }
    for (t_len, f_len, q_len) in shapes {
        let src = values(&mut rng, 3000);
        let offsets: Vec<usize> = (0..t_len).map(|_| below(&mut rng, 3000 - q_len)).collect();
        let ldg = f_len + 8;
        let gt = values(&mut rng, q_len * ldg);
        for isa in Isa::supported() {
            let mut out = vec![1.0f32; t_len * f_len];
            offset_dot_filters_on(isa, &src, &offsets, &gt, f_len, ldg, q_len, &mut out);
            for (t, &off) in offsets.iter().enumerate() {
                for f in 0..f_len {
                    let chain = (0..q_len)
                        .fold(0.0f32, |acc, q| src[off + q].mul_add(gt[q * ldg + f], acc));
                    let got = out[t * f_len + f];
                    assert_eq!(
                        got.to_bits(),
                        (1.0 + chain).to_bits(),
                        "{isa} t {t_len} f {f_len} q {q_len} [{t}][{f}]"
                    );
                    let plain = 1.0
                        + (0..q_len)
                            .map(|q| src[off + q] as f64 * gt[q * ldg + f] as f64)
                            .sum::<f64>();
                    assert_close(got, plain, (q_len as f64).sqrt(), "plain sum");
                }
            }
        }
    }
}

#[test]
fn tails_read_and_write_nothing_past_their_rows() {
    // Rows that end exactly at the end of their buffers: a masked tail must not fault or
    // read past them (checked by the bounds of the slices handed in), nor write past q_len.
    for isa in Isa::supported() {
        for q_len in [1, 7, 9, 15, 17, 31, 33] {
            let src: Vec<f32> = (0..q_len + 2).map(|i| i as f32).collect();
            let a = PackedRows::from_fn(isa, 3, 2, |i, j| (i + j) as f32);
            let mut out = vec![f32::NAN; 3 * q_len + 1];
            offset_gemm(&a, &[0, 2], &src, q_len, Start::Zero, &mut out[..3 * q_len], q_len);
            assert!(out[3 * q_len].is_nan(), "{isa} q {q_len}: wrote past the output");
            assert_eq!(out[q_len - 1], (q_len + 1) as f32, "{isa} q {q_len}");
        }
    }
}

#[test]
fn packed_rows_keep_every_element_in_even_blocks() {
    let mut rng = Rng::new(14);
    for isa in Isa::supported() {
        for m in [1, 5, 8, 10, 13, 16, 128] {
            let a = values(&mut rng, m * 7);
            let p = PackedRows::from_fn(isa, m, 7, |i, j| a[i * 7 + j]);
            for i in 0..m {
                for k in 0..7 {
                    assert_eq!(p.get(i, k), a[i * 7 + k], "{isa} m {m} ({i}, {k})");
                }
            }
            let heights: Vec<usize> = p.blocks.iter().map(|b| b.1).collect();
            assert!(
                heights.iter().max().unwrap() - heights.iter().min().unwrap() <= 1,
                "{heights:?}"
            );
            assert!(heights.iter().all(|h| *h <= gemm_rows(isa)));
        }
    }
    let blocks = |isa| PackedRows::from_fn(isa, 10, 1, |_, _| 0.0).blocks;
    assert_eq!(blocks(Isa::Portable), [(0, 5), (5, 5)]);
}

#[test]
fn the_reduction_tree_is_fixed() {
    let v: [f32; 8] = std::array::from_fn(|i| 1.0 + (i as f32) * 1e-7);
    let manual = ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
    assert_eq!(tree8(&v).to_bits(), manual.to_bits());
}

#[test]
#[should_panic(expected = "runs past the source")]
fn rows_past_the_source_are_refused() {
    let mut out = vec![0.0; 8];
    let a = PackedRows::new(&[1.0], 1, 1);
    offset_gemm(&a, &[5], &[0.0; 12], 8, Start::Zero, &mut out, 8);
}
