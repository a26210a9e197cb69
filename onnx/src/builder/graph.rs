//! The builder's own bookkeeping: names of layers and tensors, the NHWC ↔ NCHW
//! transposes, nodes and initializers, and the first misuse it records.

use super::{GraphBuilder, Layout};
use crate::proto::{attr_ints, data_type, AttributeProto, NodeProto, TensorProto};

impl GraphBuilder {
    pub(crate) fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
    }

    /// `(h, w, c)` of an image tensor, or records that `layer` needs one.
    pub(crate) fn image_dims(&mut self, layer: &str) -> Option<(usize, usize, usize)> {
        match self.layout {
            Layout::Nhwc { h, w, c } | Layout::Nchw { h, w, c } => Some((h, w, c)),
            Layout::Flat(d) => {
                self.fail(format!(
                    "{layer} needs an image tensor [N,H,W,C] but the previous layer gives [N,{d}]"
                ));
                None
            }
        }
    }

    /// Adds the current tensor's shape to the graph's `value_info`, once; the graph's
    /// input and output have theirs already.
    fn record_current_shape(&mut self) {
        let name = self.current.as_str();
        if name == crate::INPUT_NAME || self.shapes.iter().any(|v| v.name.as_deref() == Some(name))
        {
            return;
        }
        let dims = match self.layout {
            Layout::Flat(d) => vec![d],
            Layout::Nhwc { h, w, c } => vec![h, w, c],
            Layout::Nchw { h, w, c } => vec![c, h, w],
        };
        self.shapes.push(crate::proto::value_info(name, data_type::FLOAT, &dims));
    }

    pub(crate) fn layer_name(&mut self, kind: &str) -> String {
        self.names.next(kind)
    }

    pub(crate) fn tensor_name(&self, layer: &str, what: &str) -> String {
        format!("{layer}/{what}")
    }

    pub(crate) fn make_nchw(&mut self) {
        if let Layout::Nhwc { h, w, c } = self.layout {
            self.transpose(&[0, 3, 1, 2], "to_nchw");
            self.layout = Layout::Nchw { h, w, c };
        }
    }

    pub(crate) fn make_nhwc(&mut self) {
        if let Layout::Nchw { h, w, c } = self.layout {
            self.transpose(&[0, 2, 3, 1], "to_nhwc");
            self.layout = Layout::Nhwc { h, w, c };
        }
    }

    pub(crate) fn transpose(&mut self, perm: &[usize], kind: &str) {
        let layer = self.layer_name(kind);
        let out = self.tensor_name(&layer, "output");
        self.node(
            "Transpose",
            &format!("{layer}/Transpose"),
            &[&self.current.clone()],
            &out,
            vec![attr_ints("perm", perm)],
        );
        self.current = out;
    }

    pub(crate) fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        output: &str,
        attribute: Vec<AttributeProto>,
    ) {
        // A node that reads the current tensor: its shape is the layout's now.
        if inputs.contains(&self.current.as_str()) {
            self.record_current_shape();
        }
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: Some(name.to_string()),
            op_type: Some(op.to_string()),
            domain: None,
            attribute,
            doc_string: None,
        });
    }

    pub(crate) fn initializer(
        &mut self,
        layer: &str,
        what: &str,
        dims: &[usize],
        values: &[f32],
    ) -> String {
        let name = self.tensor_name(layer, what);
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: Some(data_type::FLOAT),
            name: Some(name.clone()),
            raw_data: Some(values.iter().flat_map(|v| v.to_le_bytes()).collect()),
            ..Default::default()
        });
        name
    }
}
