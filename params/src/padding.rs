//! One padding type for Conv2D and MaxPooling2D, with the one Keras/TensorFlow rule
//! that both the trainer and the ONNX export use (as burn's `PaddingConfig2d`).

use serde::{Deserialize, Serialize};

/// Keras padding modes (`padding = "same"`; default `valid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Padding {
    /// Output `ceil(in/s)`; `pad_total = max((out−1)·s + k − in, 0)`, the extra pixel on
    /// the bottom/right, as TensorFlow does (also for even kernels).
    Same,
    /// No padding; output `⌊(in − k)/s⌋ + 1`.
    #[default]
    Valid,
}

impl Padding {
    /// Output length and (before, after) padding of one spatial axis; `None` when a
    /// `valid` window does not fit (or a size is zero).
    ///
    /// ```
    /// use params::Padding;
    /// assert_eq!(Padding::Valid.window(7, 2, 2), Some((3, 0, 0)));
    /// // 28 wide, kernel 4, stride 2: 14 out, 2 pixels of padding split 1 + 1.
    /// assert_eq!(Padding::Same.window(28, 4, 2), Some((14, 1, 1)));
    /// assert_eq!(Padding::Valid.window(2, 3, 1), None);
    /// ```
    pub fn window(
        self,
        input: usize,
        kernel: usize,
        stride: usize,
    ) -> Option<(usize, usize, usize)> {
        if input == 0 || kernel == 0 || stride == 0 {
            return None;
        }
        match self {
            Padding::Valid => (input >= kernel).then(|| ((input - kernel) / stride + 1, 0, 0)),
            Padding::Same => {
                let out = input.div_ceil(stride);
                let total = ((out - 1) * stride + kernel).saturating_sub(input);
                Some((out, total / 2, total - total / 2))
            }
        }
    }
}
