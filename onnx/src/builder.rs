//! [`GraphBuilder`]: the lab's layers, fed in Keras order and layout, become the
//! nodes and initializers of one ONNX graph; [`GraphBuilder::finish`] serializes it.

mod graph;

use prost::Message;

use crate::kernel::kernel_positions;
use crate::proto::{
    attr_int, attr_ints, data_type, value_info, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, StringStringEntryProto, TensorProto, ValueInfoProto,
};
use crate::{
    Activation, OnnxError, Padding, Result, Size2, INPUT_NAME, IR_VERSION, OPSET_VERSION,
    OUTPUT_NAME, PRODUCER,
};

/// Output size and (begin, end) padding of one spatial axis under Keras's rules
/// ([`Padding::window`]); `None` when a `valid` window does not fit.
pub fn window_output(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
) -> Option<(usize, usize, usize)> {
    padding.window(input, kernel, stride)
}

/// Shape of the current tensor, batch dimension left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `[N, D]`.
    Flat(usize),
    /// `[N, H, W, C]` (Keras).
    Nhwc { h: usize, w: usize, c: usize },
    /// `[N, C, H, W]` (ONNX Conv / MaxPool).
    Nchw { h: usize, w: usize, c: usize },
}

/// Builds the ONNX graph of a Keras-style sequential model; see the module docs.
#[derive(Debug, Clone)]
pub struct GraphBuilder {
    input: ValueInfoProto,
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    /// Name of the tensor the next layer reads.
    current: String,
    layout: Layout,
    /// Per layer kind, how many were added (Keras-style names `dense_1`, `conv2d_2`, …).
    names: params::keras_names::LayerNames,
    /// First misuse, reported by `finish`.
    error: Option<String>,
    /// The shape of each layer's output tensor, for the graph's `value_info` (so a
    /// viewer such as Netron shows every shape, not only the input's).
    shapes: Vec<ValueInfoProto>,
}

impl GraphBuilder {
    /// Input `input`: uint8 `[N,H,W,C]`; the graph casts to float and divides by 255. Tensor layout NHWC.
    pub fn image_input(height: usize, width: usize, channels: usize) -> Self {
        let mut b = Self::new(
            value_info(INPUT_NAME, data_type::UINT8, &[height, width, channels]),
            Layout::Nhwc { h: height, w: width, c: channels },
        );
        if height == 0 || width == 0 || channels == 0 {
            b.fail(format!("image input {height}×{width}×{channels} has an empty dimension"));
        }
        let cast = b.tensor_name("scale", "cast");
        b.node(
            "Cast",
            "scale/Cast",
            &[INPUT_NAME],
            &cast,
            vec![attr_int("to", data_type::FLOAT as i64)],
        );
        let divisor = b.initializer("scale", "divisor", &[], &[255.0]);
        let out = b.tensor_name("scale", "output");
        b.node("Div", "scale/Div", &[&cast, &divisor], &out, vec![]);
        b.current = out;
        b
    }

    /// Input `input`: float32 `[N,D]`.
    pub fn feature_input(dim: usize) -> Self {
        let mut b = Self::new(value_info(INPUT_NAME, data_type::FLOAT, &[dim]), Layout::Flat(dim));
        if dim == 0 {
            b.fail("feature input of dimension 0".into());
        }
        b
    }

    fn new(input: ValueInfoProto, layout: Layout) -> Self {
        Self {
            input,
            nodes: Vec::new(),
            initializers: Vec::new(),
            current: INPUT_NAME.to_string(),
            layout,
            names: Default::default(),
            error: None,
            shapes: Vec::new(),
        }
    }

    /// y = x·W + b, kernel row-major `[in_dim, out_dim]` (Keras layout), bias `[out_dim]`.
    /// On `[N,D]` this is one `Gemm`; on an image tensor it applies to the channel axis
    /// (as Keras's Dense does) with `MatMul` + `Add`.
    pub fn dense(&mut self, kernel: &[f32], bias: &[f32], in_dim: usize, out_dim: usize) {
        if self.error.is_some() {
            return;
        }
        let layer = self.layer_name("dense");
        if kernel.len() != in_dim * out_dim || bias.len() != out_dim {
            return self.fail(format!(
                "{layer}: kernel has {} values and bias {} for {in_dim} inputs × {out_dim} units (expected {} and {out_dim})",
                kernel.len(),
                bias.len(),
                in_dim * out_dim
            ));
        }
        let width = match self.layout {
            Layout::Flat(d) => d,
            Layout::Nhwc { c, .. } | Layout::Nchw { c, .. } => c,
        };
        if width != in_dim {
            return self.fail(format!(
                "{layer}: declared {in_dim} inputs but the previous layer gives {width}"
            ));
        }
        let w = self.initializer(&layer, "kernel", &[in_dim, out_dim], kernel);
        let b = self.initializer(&layer, "bias", &[out_dim], bias);
        let out = self.tensor_name(&layer, "output");
        match self.layout {
            Layout::Flat(_) => {
                self.node(
                    "Gemm",
                    &format!("{layer}/Gemm"),
                    &[&self.current.clone(), &w, &b],
                    &out,
                    vec![],
                );
                self.layout = Layout::Flat(out_dim);
            }
            _ => {
                self.make_nhwc();
                let product = self.tensor_name(&layer, "matmul");
                self.node(
                    "MatMul",
                    &format!("{layer}/MatMul"),
                    &[&self.current.clone(), &w],
                    &product,
                    vec![],
                );
                self.node("Add", &format!("{layer}/Add"), &[&product, &b], &out, vec![]);
                let Layout::Nhwc { h, w, .. } = self.layout else { unreachable!() };
                self.layout = Layout::Nhwc { h, w, c: out_dim };
            }
        }
        self.current = out;
    }

    /// Keras Conv2D of a `kernel_size` (rows × columns) kernel; kernel row-major
    /// `[kh, kw, c_in, c_out]` (Keras layout), bias `[c_out]`; input NHWC.
    #[allow(clippy::too_many_arguments)]
    pub fn conv2d(
        &mut self,
        kernel: &[f32],
        bias: &[f32],
        kernel_size: Size2,
        c_in: usize,
        c_out: usize,
        strides: Size2,
        padding: Padding,
    ) {
        if self.error.is_some() {
            return;
        }
        let layer = self.layer_name("conv2d");
        let Some((h, w, c)) = self.image_dims(&layer) else { return };
        let Size2 { rows: kh, cols: kw } = kernel_size;
        if kh == 0 || kw == 0 || c_out == 0 || strides.rows == 0 || strides.cols == 0 {
            return self.fail(format!("{layer}: kernel {kh}×{kw}, {c_out} filters and strides {strides} must all be at least 1"));
        }
        if c != c_in {
            return self.fail(format!(
                "{layer}: declared {c_in} input channels but the previous layer gives {c}"
            ));
        }
        if kernel.len() != kh * kw * c_in * c_out || bias.len() != c_out {
            return self.fail(format!(
                "{layer}: kernel has {} values and bias {} for {kh}×{kw}×{c_in}×{c_out} (expected {} and {c_out})",
                kernel.len(),
                bias.len(),
                kh * kw * c_in * c_out
            ));
        }
        let (Some((oh, top, bottom)), Some((ow, left, right))) = (
            window_output(h, kh, strides.rows, padding),
            window_output(w, kw, strides.cols, padding),
        ) else {
            return self.fail(format!(
                "{layer}: a {kh}×{kw} kernel with valid padding does not fit a {h}×{w} input"
            ));
        };
        // Keras [kh, kw, c_in, c_out] → ONNX OIHW [c_out, c_in, kh, kw].
        let mut oihw = vec![0f32; kernel.len()];
        for (hwio_at, oihw_at) in kernel_positions(kh, kw, c_in, c_out) {
            oihw[oihw_at] = kernel[hwio_at];
        }
        self.make_nchw();
        let wt = self.initializer(&layer, "kernel", &[c_out, c_in, kh, kw], &oihw);
        let b = self.initializer(&layer, "bias", &[c_out], bias);
        let out = self.tensor_name(&layer, "output");
        let attrs = vec![
            attr_ints("kernel_shape", &[kh, kw]),
            attr_ints("strides", &[strides.rows, strides.cols]),
            attr_ints("pads", &[top, left, bottom, right]),
            attr_ints("dilations", &[1, 1]),
            attr_int("group", 1),
        ];
        self.node("Conv", &format!("{layer}/Conv"), &[&self.current.clone(), &wt, &b], &out, attrs);
        self.current = out;
        self.layout = Layout::Nchw { h: oh, w: ow, c: c_out };
    }

    /// Keras MaxPooling2D (floor rule for Valid; for Same the padded cells never win).
    pub fn max_pool2d(&mut self, pool: Size2, strides: Size2, padding: Padding) {
        if self.error.is_some() {
            return;
        }
        let layer = self.layer_name("max_pooling2d");
        let Some((h, w, c)) = self.image_dims(&layer) else { return };
        if pool.rows == 0 || pool.cols == 0 || strides.rows == 0 || strides.cols == 0 {
            return self
                .fail(format!("{layer}: pool {pool} and strides {strides} must be at least 1"));
        }
        let (Some((oh, top, bottom)), Some((ow, left, right))) = (
            window_output(h, pool.rows, strides.rows, padding),
            window_output(w, pool.cols, strides.cols, padding),
        ) else {
            return self.fail(format!(
                "{layer}: a {}×{} pool with valid padding does not fit a {h}×{w} input",
                pool.rows, pool.cols
            ));
        };
        self.make_nchw();
        let out = self.tensor_name(&layer, "output");
        let attrs = vec![
            attr_ints("kernel_shape", &[pool.rows, pool.cols]),
            attr_ints("strides", &[strides.rows, strides.cols]),
            attr_ints("pads", &[top, left, bottom, right]),
        ];
        self.node("MaxPool", &format!("{layer}/MaxPool"), &[&self.current.clone()], &out, attrs);
        self.current = out;
        self.layout = Layout::Nchw { h: oh, w: ow, c };
    }

    /// Keras Flatten of an NHWC tensor: element order h, w, c (channels last) — matches Keras
    /// so Dense weights line up. On an `[N,D]` tensor it is the identity (no node).
    pub fn flatten(&mut self) {
        if self.error.is_some() {
            return;
        }
        let (h, w, c) = match self.layout {
            Layout::Flat(_) => return,
            Layout::Nhwc { h, w, c } | Layout::Nchw { h, w, c } => (h, w, c),
        };
        let layer = self.layer_name("flatten");
        self.make_nhwc();
        let out = self.tensor_name(&layer, "output");
        self.node(
            "Flatten",
            &format!("{layer}/Flatten"),
            &[&self.current.clone()],
            &out,
            vec![attr_int("axis", 1)],
        );
        self.current = out;
        self.layout = Layout::Flat(h * w * c);
    }

    /// Applies an activation to the current tensor (`Linear` adds nothing).
    pub fn activation(&mut self, a: Activation) {
        if self.error.is_some() {
            return;
        }
        let (op, attrs) = match a {
            Activation::Linear => return,
            Activation::Relu => ("Relu", vec![]),
            Activation::Sigmoid => ("Sigmoid", vec![]),
            Activation::Tanh => ("Tanh", vec![]),
            // Keras's softmax runs over the last axis, which is channels in NCHW.
            Activation::Softmax => {
                let axis = if matches!(self.layout, Layout::Nchw { .. }) { 1 } else { -1 };
                ("Softmax", vec![attr_int("axis", axis)])
            }
        };
        let layer = self.layer_name(&op.to_lowercase());
        let out = self.tensor_name(&layer, "output");
        self.node(op, &format!("{layer}/{op}"), &[&self.current.clone()], &out, attrs);
        self.current = out;
    }

    /// Names the current tensor `probabilities`; `metadata_props` get `classes` (JSON list),
    /// `producer` (unless given) and the `extra` pairs. IR version 8, opset 17, dynamic batch
    /// dimension "N", producer "lab-pipeline". Returns the serialized `ModelProto`.
    ///
    /// A 2-D output must have one column per class, or one column for two classes (sigmoid).
    pub fn finish(
        mut self,
        classes: &[String],
        extra_metadata: &[(String, String)],
    ) -> Result<Vec<u8>> {
        if let Some(e) = self.error.take() {
            return Err(OnnxError::Build(e));
        }
        self.make_nhwc();
        if let Layout::Flat(width) = self.layout {
            if !(width == classes.len() || (width == 1 && classes.len() == 2)) {
                return Err(OnnxError::Build(format!(
                    "the model outputs {width} value(s) per row but there are {} classes",
                    classes.len()
                )));
            }
        }
        // The output is the last node's output, renamed; a graph without nodes gets an Identity.
        match self.nodes.last_mut() {
            Some(last) if last.output.first() == Some(&self.current) => {
                last.output[0] = OUTPUT_NAME.to_string()
            }
            _ => self.node(
                "Identity",
                "output/Identity",
                &[&self.current.clone()],
                OUTPUT_NAME,
                vec![],
            ),
        }
        let out_dims: Vec<usize> = match self.layout {
            Layout::Flat(d) => vec![d],
            Layout::Nhwc { h, w, c } | Layout::Nchw { h, w, c } => vec![h, w, c],
        };

        let mut metadata = vec![(
            "classes".to_string(),
            serde_json::to_string(classes).expect("a list of strings is JSON"),
        )];
        metadata.extend(extra_metadata.iter().cloned());
        if !metadata.iter().any(|(k, _)| k == "producer") {
            metadata.push(("producer".into(), format!("{PRODUCER} {}", env!("CARGO_PKG_VERSION"))));
        }
        for (i, (key, _)) in metadata.iter().enumerate() {
            if metadata[..i].iter().any(|(k, _)| k == key) {
                return Err(OnnxError::Build(format!("metadata key `{key}` is given twice")));
            }
        }

        let model = ModelProto {
            ir_version: Some(IR_VERSION),
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(OPSET_VERSION),
            }],
            producer_name: Some(PRODUCER.into()),
            producer_version: Some(env!("CARGO_PKG_VERSION").into()),
            domain: None,
            model_version: Some(1),
            doc_string: None,
            graph: Some(GraphProto {
                node: self.nodes,
                name: Some("model".into()),
                initializer: self.initializers,
                doc_string: None,
                input: vec![self.input],
                output: vec![value_info(OUTPUT_NAME, data_type::FLOAT, &out_dims)],
                value_info: self.shapes,
            }),
            metadata_props: metadata
                .into_iter()
                .map(|(k, v)| StringStringEntryProto { key: Some(k), value: Some(v) })
                .collect(),
        };
        Ok(model.encode_to_vec())
    }

    // ---- internals ----
}
