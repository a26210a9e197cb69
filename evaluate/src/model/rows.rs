//! The dataset's rows as the model's input: their shape, how they are fed, and the
//! per-row dimensions of the input tensor.

use crate::error::{fail, Result};

pub use formats::RowShape;

/// The rows as one phrase, for messages: `28x28x1 images (784 values per row)`.
pub fn describe(rows: &RowShape) -> String {
    match *rows {
        RowShape::Image { height, width, channels } => {
            format!("{height}x{width}x{channels} images ({} values per row)", rows.values())
        }
        RowShape::Features { dim } => format!("features of {dim} values per row"),
    }
}

/// How the dataset's rows are turned into the model's input tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum Feed {
    /// The image bytes as they are (uint8 input).
    ImageBytes,
    /// The image bytes × scale, as float32.
    ImageScaled {
        /// The multiplier (default 1/255).
        scale: f32,
    },
    /// The feature vectors as they are.
    Features,
}

impl Feed {
    /// The feed as one phrase, for messages and `metrics.json`'s `input`.
    pub fn describe(&self) -> String {
        match self {
            Feed::ImageBytes => "image bytes (uint8)".into(),
            Feed::ImageScaled { scale } => format!("pixels × {scale} (float32)"),
            Feed::Features => "feature vectors (float32)".into(),
        }
    }
}

/// The per-row dims to feed: the model's non-batch dims, with dynamic ones filled
/// from the dataset; their product must be the dataset's values per row.
pub(super) fn row_dims(model_dims: &[i64], rows: &RowShape) -> Result<Vec<i64>> {
    let want = rows.values() as i64;
    let dynamic = model_dims.iter().filter(|&&d| d < 0).count();
    let known: i64 = model_dims.iter().filter(|&&d| d >= 0).product();
    let filled: Vec<i64> = match dynamic {
        0 => model_dims.to_vec(),
        _ => match (rows, model_dims.len()) {
            // [N,H,W,C] with unknown spatial dims: take the dataset's.
            (RowShape::Image { height, width, channels }, 3) => {
                let from_data = [*height as i64, *width as i64, *channels as i64];
                model_dims.iter().zip(from_data).map(|(&m, d)| if m < 0 { d } else { m }).collect()
            }
            _ if dynamic == 1 && known > 0 && want % known == 0 => {
                model_dims.iter().map(|&m| if m < 0 { want / known } else { m }).collect()
            }
            _ => fail!(Mismatch, "the model's row shape cannot be inferred"),
        },
    };
    let got: i64 = filled.iter().product();
    if got != want {
        fail!(Mismatch, "the model takes {got} values per row");
    }
    Ok(filled)
}
