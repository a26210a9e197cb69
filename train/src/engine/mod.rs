//! The numeric engine under the layers: the batch tensor and the matrix products.
//!
//! * `tensor.rs`: [`tensor::Tensor`] (images channel-planar, `[N, C, H, W]`), the
//!   [`tensor::Unwritten`] batch buffers the layers fill from rayon tasks, `lane_sum`;
//! * `isa.rs`: [`isa::Isa`], the instruction set the kernels run on, chosen once per
//!   process (`LAB_KERNELS` or the CPU);
//! * `simd.rs`: one vector interface over those sets, so each kernel is written once;
//! * `gemm.rs`: dense products (the `offset_gemm` kernel split over threads), used by `Dense`;
//! * `offset_gemm.rs`: products whose operand is a list of rows at offsets into one
//!   buffer (an im2col matrix never written), used by `Conv2D`.
//!
//! Every result depends on the sizes only, never on the thread count or the instruction
//! set: each kernel's summation order is part of its contract (`offset_gemm.rs`).

pub(crate) mod gemm;
pub mod isa;
pub(crate) mod offset_gemm;
pub(crate) mod simd;
pub(crate) mod tensor;
