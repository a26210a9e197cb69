//! Reading back what a serialized model holds: its metadata and its float32 weights.

use prost::Message;

use crate::proto::{data_type, ModelProto};
use crate::{OnnxError, Result};

/// The `metadata_props` of a serialized `ModelProto`, in file order.
pub fn read_metadata(bytes: &[u8]) -> Result<Vec<(String, String)>> {
    let model = ModelProto::decode(bytes)?;
    Ok(model
        .metadata_props
        .into_iter()
        .map(|e| (e.key.unwrap_or_default(), e.value.unwrap_or_default()))
        .collect())
}

/// A float32 weight tensor of a model, as stored (`[O, I, H, W]` for a Conv kernel).
#[derive(Debug, Clone, PartialEq)]
pub struct Initializer {
    /// The initializer's name in the graph.
    pub name: String,
    /// Its dimensions.
    pub dims: Vec<usize>,
    /// Its values, row-major.
    pub values: Vec<f32>,
}

/// The float32 initializers of a serialized model, in graph order (for a warm start
/// from a model this crate wrote). Fails on a tensor whose data is not float32, or
/// whose length disagrees with its dimensions.
pub fn read_initializers(bytes: &[u8]) -> Result<Vec<Initializer>> {
    let model = ModelProto::decode(bytes)?;
    let graph = model.graph.unwrap_or_default();
    graph
        .initializer
        .into_iter()
        .map(|t| {
            let name = t.name.clone().unwrap_or_default();
            let dims = t.dims.iter().map(|&d| d.max(0) as usize).collect::<Vec<_>>();
            let expected = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
            let values: Vec<f32> = if t.data_type != Some(data_type::FLOAT) {
                return Err(OnnxError::Invalid(format!("initializer `{name}` is not float32")));
            } else if let Some(raw) = &t.raw_data {
                raw.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
            } else {
                t.float_data.clone()
            };
            if expected != Some(values.len()) {
                return Err(OnnxError::Invalid(format!(
                    "initializer `{name}` holds {} values for dimensions {dims:?}",
                    values.len()
                )));
            }
            Ok(Initializer { name, dims, values })
        })
        .collect()
}
