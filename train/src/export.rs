//! The trained model as ONNX, through `onnx::GraphBuilder`: each layer writes
//! its own nodes (`Layer::export`); its weights are already in Keras layout.

use formats::DatasetKind;
use onnx::GraphBuilder;

use crate::error::{Error, ErrorKind, Result};
use crate::model::Model;

/// Serialized ONNX model: input `input` (uint8 NHWC images or float32 features),
/// output `probabilities`, `metadata_props` = classes + `extra`.
pub(crate) fn to_onnx(
    model: &Model,
    classes: &[String],
    extra: &[(String, String)],
) -> Result<Vec<u8>> {
    let mut g = match model.input_kind {
        DatasetKind::Image => GraphBuilder::image_input(
            model.input_shape[0],
            model.input_shape[1],
            model.input_shape[2],
        ),
        DatasetKind::Features => GraphBuilder::feature_input(model.input_shape[0]),
    };
    for layer in &model.layers {
        layer.export(&mut g);
    }
    g.finish(classes, extra).map_err(|e| Error::passed(ErrorKind::Model, e))
}
