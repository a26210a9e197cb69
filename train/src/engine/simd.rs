//! One vector interface over the instruction sets of [`super::isa::Isa`], so each kernel
//! is written once (generic over [`Simd`]) and compiled once per set.
//!
//! Every operation is exact or correctly rounded lane by lane (`fma` rounds once), so a
//! kernel that fixes which lane sums which terms in which order gets the same bits
//! whatever the vector width. The methods are `#[inline(always)]`: a kernel is
//! instantiated inside a `#[target_feature]` entry function (`kernels.rs`) and the
//! intrinsics inline into it.

// The intrinsics' safety is the caller's: pointers valid for the lanes touched, and the
// CPU feature detected before an entry function of that set is called.
#![allow(clippy::missing_safety_doc)]

/// A vector of `LANES` f32 values and the operations the kernels use.
pub(crate) trait Simd {
    const LANES: usize;
    /// Vector registers of the set (32 for AVX-512 and NEON, 16 for AVX2): what the
    /// kernels size their register blocks by.
    const REGISTERS: usize;
    type V: Copy;
    /// The vectors `offset_dot` keeps its 8 partial sums in: this type where it has 8 lanes
    /// or fewer, 8-lane AVX registers on AVX-512 (16 lanes would hold two sets of 8).
    type Eight: Simd;

    unsafe fn zero() -> Self::V;
    unsafe fn splat(x: f32) -> Self::V;
    /// `LANES` values from `p` (unaligned).
    unsafe fn load(p: *const f32) -> Self::V;
    /// The first `n < LANES` values from `p`, zeros in the other lanes; nothing past
    /// `p + n` is read.
    unsafe fn load_part(p: *const f32, n: usize) -> Self::V;
    unsafe fn store(p: *mut f32, v: Self::V);
    /// The first `n < LANES` lanes to `p`; nothing past `p + n` is written.
    unsafe fn store_part(p: *mut f32, v: Self::V, n: usize);
    /// `a·b + c`, rounded once.
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    /// The total of 8 partial sums held in `8 / LANES` vectors (sum `p·LANES + l` in lane
    /// l of `parts[p]`), by the fixed tree [`tree8`]. Only for sets of 8 lanes or fewer.
    unsafe fn sum8(parts: &[Self::V]) -> f32;

    /// `n` values (`n ≤ LANES`), whole or in part.
    #[inline(always)]
    unsafe fn load_n(p: *const f32, n: usize) -> Self::V {
        if n == Self::LANES {
            Self::load(p)
        } else {
            Self::load_part(p, n)
        }
    }
}

/// The fixed reduction of 8 partial sums: `l + l+4`, then `l + l+2`, then `0 + 1`. Every
/// path's `sum8` computes exactly this.
#[inline(always)]
pub(crate) fn tree8(v: &[f32; 8]) -> f32 {
    let s4: [f32; 4] = std::array::from_fn(|l| v[l] + v[l + 4]);
    (s4[0] + s4[2]) + (s4[1] + s4[3])
}

/// Portable lanes: eight `f32` in an array, each operation a loop (`mul_add` for FMA) the
/// compiler vectorises for whatever the entry function enables.
#[derive(Clone, Copy)]
pub(crate) struct Portable;

impl Simd for Portable {
    const LANES: usize = 8;
    const REGISTERS: usize = 16;
    type V = [f32; 8];
    type Eight = Portable;

    #[inline(always)]
    unsafe fn zero() -> [f32; 8] {
        [0.0; 8]
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> [f32; 8] {
        [x; 8]
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> [f32; 8] {
        std::ptr::read_unaligned(p as *const [f32; 8])
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, n: usize) -> [f32; 8] {
        let mut v = [0.0; 8];
        std::ptr::copy_nonoverlapping(p, v.as_mut_ptr(), n);
        v
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: [f32; 8]) {
        std::ptr::write_unaligned(p as *mut [f32; 8], v)
    }
    #[inline(always)]
    unsafe fn store_part(p: *mut f32, v: [f32; 8], n: usize) {
        std::ptr::copy_nonoverlapping(v.as_ptr(), p, n);
    }
    #[inline(always)]
    unsafe fn fma(a: [f32; 8], b: [f32; 8], c: [f32; 8]) -> [f32; 8] {
        std::array::from_fn(|i| a[i].mul_add(b[i], c[i]))
    }
    #[inline(always)]
    unsafe fn add(a: [f32; 8], b: [f32; 8]) -> [f32; 8] {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    unsafe fn sum8(parts: &[[f32; 8]]) -> f32 {
        tree8(&parts[0])
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{Avx2, Avx512};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::Simd;

    /// AVX2 + FMA: `__m256`.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx2;

    /// Lanes `0..n` set (`n ≤ 8`), as the mask AVX2's masked moves take.
    #[inline(always)]
    unsafe fn mask8(n: usize) -> __m256i {
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
    }

    impl Simd for Avx2 {
        const LANES: usize = 8;
        const REGISTERS: usize = 16;
        type V = __m256;
        type Eight = Avx2;

        #[inline(always)]
        unsafe fn zero() -> __m256 {
            _mm256_setzero_ps()
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> __m256 {
            _mm256_set1_ps(x)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m256 {
            _mm256_loadu_ps(p)
        }
        #[inline(always)]
        unsafe fn load_part(p: *const f32, n: usize) -> __m256 {
            _mm256_maskload_ps(p, mask8(n))
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m256) {
            _mm256_storeu_ps(p, v)
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: __m256, n: usize) {
            _mm256_maskstore_ps(p, mask8(n), v)
        }
        #[inline(always)]
        unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
            _mm256_fmadd_ps(a, b, c)
        }
        #[inline(always)]
        unsafe fn add(a: __m256, b: __m256) -> __m256 {
            _mm256_add_ps(a, b)
        }
        #[inline(always)]
        unsafe fn sum8(parts: &[__m256]) -> f32 {
            let s8 = parts[0];
            let s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
            let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
            _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)))
        }
    }

    /// AVX-512F: `__m512`, tails through lane masks.
    #[derive(Clone, Copy)]
    pub(crate) struct Avx512;

    impl Simd for Avx512 {
        const LANES: usize = 16;
        const REGISTERS: usize = 32;
        type V = __m512;
        type Eight = Avx2;

        #[inline(always)]
        unsafe fn zero() -> __m512 {
            _mm512_setzero_ps()
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> __m512 {
            _mm512_set1_ps(x)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m512 {
            _mm512_loadu_ps(p)
        }
        #[inline(always)]
        unsafe fn load_part(p: *const f32, n: usize) -> __m512 {
            _mm512_maskz_loadu_ps(((1u32 << n) - 1) as __mmask16, p)
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m512) {
            _mm512_storeu_ps(p, v)
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: __m512, n: usize) {
            _mm512_mask_storeu_ps(p, ((1u32 << n) - 1) as __mmask16, v)
        }
        #[inline(always)]
        unsafe fn fma(a: __m512, b: __m512, c: __m512) -> __m512 {
            _mm512_fmadd_ps(a, b, c)
        }
        #[inline(always)]
        unsafe fn add(a: __m512, b: __m512) -> __m512 {
            _mm512_add_ps(a, b)
        }
        #[inline(always)]
        unsafe fn sum8(_: &[__m512]) -> f32 {
            unreachable!("offset_dot keeps its 8 sums in Avx512::Eight")
        }
    }
}

#[cfg(target_arch = "aarch64")]
pub(crate) use arm::Neon;

#[cfg(target_arch = "aarch64")]
mod arm {
    use std::arch::aarch64::*;

    use super::Simd;

    /// Advanced SIMD: `float32x4_t`.
    #[derive(Clone, Copy)]
    pub(crate) struct Neon;

    impl Simd for Neon {
        const LANES: usize = 4;
        const REGISTERS: usize = 32;
        type V = float32x4_t;
        type Eight = Neon;

        #[inline(always)]
        unsafe fn zero() -> float32x4_t {
            vdupq_n_f32(0.0)
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> float32x4_t {
            vdupq_n_f32(x)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> float32x4_t {
            vld1q_f32(p)
        }
        #[inline(always)]
        unsafe fn load_part(p: *const f32, n: usize) -> float32x4_t {
            let mut v = [0.0f32; 4];
            std::ptr::copy_nonoverlapping(p, v.as_mut_ptr(), n);
            vld1q_f32(v.as_ptr())
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: float32x4_t) {
            vst1q_f32(p, v)
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: float32x4_t, n: usize) {
            let mut a = [0.0f32; 4];
            vst1q_f32(a.as_mut_ptr(), v);
            std::ptr::copy_nonoverlapping(a.as_ptr(), p, n);
        }
        #[inline(always)]
        unsafe fn fma(a: float32x4_t, b: float32x4_t, c: float32x4_t) -> float32x4_t {
            // vfmaq_f32(c, a, b) = c + a·b, rounded once.
            vfmaq_f32(c, a, b)
        }
        #[inline(always)]
        unsafe fn add(a: float32x4_t, b: float32x4_t) -> float32x4_t {
            vaddq_f32(a, b)
        }
        #[inline(always)]
        unsafe fn sum8(parts: &[float32x4_t]) -> f32 {
            // Sums 0–3 | 4–7: l + l+4, then l + l+2, then 0 + 1.
            let s4 = vaddq_f32(parts[0], parts[1]);
            let s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4));
            vget_lane_f32::<0>(vpadd_f32(s2, s2))
        }
    }
}
