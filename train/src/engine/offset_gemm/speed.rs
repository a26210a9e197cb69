//! Throughput of the products on the lab's convolution shapes, in multiply-adds per
//! nanosecond (one thread), on every instruction set this CPU runs:
//! `cargo test --release --workspace offset_gemm_speed -- --ignored --nocapture`.

use super::*;

#[test]
#[ignore]
fn offset_gemm_speed() {
    // (name, C, kernel, H=W, filters): stride-1 `same` convolutions.
    for (name, c, k, hw, f) in [
        ("seed conv1", 1, 7, 28, 10),
        ("seed conv2", 10, 5, 14, 10),
        ("pneu conv1", 1, 3, 128, 8),
        ("pneu conv2", 8, 3, 64, 16),
        ("pneu conv3", 16, 3, 32, 32),
        ("pneu conv4", 32, 3, 16, 64),
        ("pneu conv5", 64, 3, 8, 128),
    ] {
        let wp = hw + k - 1;
        let plane = round_up(wp * wp + k + 7);
        let src = vec![0.5f32; c * plane + 64];
        let offsets: Vec<usize> =
            (0..c * k * k).map(|t| (t / (k * k)) * plane + (t / k % k) * wp + t % k).collect();
        let q_len = round_up(hw * wp);
        let mut out = vec![0.0f32; f * q_len];
        let mut dk = vec![0.0f32; offsets.len() * f];
        let g = vec![0.5f32; (f + 8) * q_len];
        let reps = (2e8 / (f * offsets.len() * q_len) as f64).ceil() as usize;
        let macs = (reps * f * offsets.len() * q_len) as f64;
        for isa in Isa::supported() {
            let a = PackedRows::from_fn(isa, f, offsets.len(), |_, _| 0.25);
            let t0 = std::time::Instant::now();
            for _ in 0..reps {
                offset_gemm(&a, &offsets, &src, q_len, Start::Zero, &mut out, q_len);
            }
            let fwd = t0.elapsed().as_secs_f64();
            let t0 = std::time::Instant::now();
            for _ in 0..reps {
                offset_dot_on(isa, &src, &offsets, &g, f, q_len, q_len, &mut dk);
            }
            let dot = t0.elapsed().as_secs_f64();
            let t0 = std::time::Instant::now();
            for _ in 0..reps * (f % LANES == 0) as usize {
                offset_dot_filters_on(isa, &src, &offsets, &g, f, f + 8, q_len, &mut dk);
            }
            let dot_f = t0.elapsed().as_secs_f64();
            println!(
                "{name} {isa:>8}: M {f:>3} K {:>4} q {q_len:>5}: offset_gemm {:5.1} MAC/ns, offset_dot {:5.1} MAC/ns, offset_dot_filters {:5.1} MAC/ns",
                offsets.len(),
                macs / fwd / 1e9,
                macs / dot / 1e9,
                macs / dot_f / 1e9
            );
        }
        // The portable kernel compiled without FMA (what a CPU without it runs): `mul_add`
        // becomes a call to the C library's `fmaf` per multiply-add.
        let a = PackedRows::from_fn(Isa::Portable, f, offsets.len(), |_, _| 0.25);
        let reps = reps.div_ceil(20);
        let t0 = std::time::Instant::now();
        for _ in 0..reps {
            // SAFETY: the sizes are the ones checked by the timed calls above.
            unsafe {
                kernels::offset_gemm::<Portable>(
                    a.left(),
                    &offsets,
                    &src,
                    q_len,
                    Start::Zero,
                    &mut out,
                    q_len,
                )
            };
        }
        let macs = (reps * f * offsets.len() * q_len) as f64;
        println!(
            "{name} portable without FMA: offset_gemm {:5.2} MAC/ns",
            macs / t0.elapsed().as_secs_f64() / 1e9
        );
    }
}
