//! The trained model as ONNX, through `common::onnx::GraphBuilder`: the layers'
//! weights are already in Keras layout, so each layer maps onto one builder call.

use anyhow::Result;
use common::onnx::{self, GraphBuilder};

use crate::layers::{Activation, ExportOp};
use crate::model::{InputKind, Model};

fn activation(a: Activation) -> onnx::Activation {
    match a {
        Activation::Linear => onnx::Activation::Linear,
        Activation::Relu => onnx::Activation::Relu,
        Activation::Sigmoid => onnx::Activation::Sigmoid,
        Activation::Tanh => onnx::Activation::Tanh,
        Activation::Softmax => onnx::Activation::Softmax,
    }
}

/// Serialized ONNX model: input `input` (uint8 NHWC images or float32 features),
/// output `probabilities`, `metadata_props` = classes + `extra`.
pub(crate) fn to_onnx(model: &Model, classes: &[String], extra: &[(String, String)]) -> Result<Vec<u8>> {
    let mut g = match model.input_kind {
        InputKind::Image => GraphBuilder::image_input(model.input_shape[0], model.input_shape[1], model.input_shape[2]),
        InputKind::Features => GraphBuilder::feature_input(model.input_shape[0]),
    };
    for layer in &model.layers {
        for op in layer.export() {
            match op {
                ExportOp::Dense { kernel, bias, in_dim, out_dim } => g.dense(kernel, bias, in_dim, out_dim),
                ExportOp::Conv2d { kernel, bias, kh, kw, c_in, c_out, strides, padding: p } => {
                    g.conv2d(kernel, bias, kh, kw, c_in, c_out, strides, p.into())
                }
                ExportOp::MaxPool2d { pool, strides, padding: p } => g.max_pool2d(pool, strides, p.into()),
                ExportOp::Flatten => g.flatten(),
                ExportOp::Activation(a) => g.activation(activation(a)),
            }
        }
    }
    g.finish(classes, extra)
}
