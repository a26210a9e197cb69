//! The numeric engine under the layers: the batch tensor and the matrix products.
//!
//! * `tensor.rs`: [`tensor::Tensor`] (images channel-planar, `[N, C, H, W]`), the
//!   [`tensor::Unwritten`] batch buffers the layers fill from rayon tasks, `lane_sum`;
//! * `gemm.rs`: dense products (`matrixmultiply` split over threads), used by `Dense`;
//! * `offset_gemm.rs`: products whose operand is a list of rows at offsets into one
//!   buffer (an im2col matrix never written), used by `Conv2D`.
//!
//! Every result depends on the sizes only, never on the thread count.

pub(crate) mod gemm;
pub(crate) mod offset_gemm;
pub(crate) mod tensor;
