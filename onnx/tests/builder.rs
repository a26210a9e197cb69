//! The model header (IR version, opset, producer, input types), the metadata, a
//! model without layers, and every misuse the builder must report at `finish`.

use onnx::proto::{data_type, DimensionValue, ModelProto};
use onnx::{read_metadata, Activation, GraphBuilder, Padding, Size2};
use prost::Message;
use runtime::{run_model, InputTensor};

#[test]
fn model_header_input_types_and_metadata() {
    let mut b = GraphBuilder::image_input(2, 2, 1);
    b.flatten();
    b.dense(&[0.0; 8], &[0.0; 2], 4, 2);
    b.activation(Activation::Softmax);
    let classes = vec!["NORMAL".to_string(), "PNEUMONIA".to_string()];
    let bytes = b.finish(&classes, &[("spec".into(), "name = \"x\"".into())]).unwrap();
    let model = ModelProto::decode(bytes.as_slice()).unwrap();
    assert_eq!(model.ir_version, Some(8));
    assert_eq!(model.opset_import.len(), 1);
    assert_eq!(model.opset_import[0].version, Some(17));
    assert_eq!(model.producer_name.as_deref(), Some("lab-pipeline"));
    let graph = model.graph.unwrap();
    let input = graph.input[0].r#type.as_ref().unwrap().tensor_type.as_ref().unwrap();
    assert_eq!(input.elem_type, Some(data_type::UINT8));
    let dims: Vec<_> =
        input.shape.as_ref().unwrap().dim.iter().map(|d| d.value.clone().unwrap()).collect();
    assert_eq!(
        dims,
        vec![
            DimensionValue::DimParam("N".into()),
            DimensionValue::DimValue(2),
            DimensionValue::DimValue(2),
            DimensionValue::DimValue(1)
        ]
    );
    let ops: Vec<_> = graph.node.iter().map(|n| n.op_type.clone().unwrap()).collect();
    assert_eq!(ops, ["Cast", "Div", "Flatten", "Gemm", "Softmax"]);
    assert_eq!(graph.node.last().unwrap().output, ["probabilities"]);

    let metadata = read_metadata(&bytes).unwrap();
    assert_eq!(metadata[0], ("classes".to_string(), r#"["NORMAL","PNEUMONIA"]"#.to_string()));
    assert_eq!(metadata[1], ("spec".to_string(), "name = \"x\"".to_string()));
    assert_eq!(metadata[2].0, "producer");
    assert!(metadata[2].1.starts_with("lab-pipeline "), "{:?}", metadata[2]);
    assert_eq!(metadata.len(), 3);

    // Feature input is float32 [N, D]; a caller's `producer` replaces the default one.
    let mut b = GraphBuilder::feature_input(3);
    b.dense(&[0.0; 3], &[0.5], 3, 1);
    b.activation(Activation::Sigmoid);
    let bytes = b.finish(&classes, &[("producer".into(), "me".into())]).unwrap();
    let model = ModelProto::decode(bytes.as_slice()).unwrap();
    let input = model.graph.unwrap().input[0].r#type.clone().unwrap().tensor_type.unwrap();
    assert_eq!(input.elem_type, Some(data_type::FLOAT));
    assert_eq!(read_metadata(&bytes).unwrap()[1], ("producer".to_string(), "me".to_string()));
    let (shape, probabilities) = run_model(
        &bytes,
        InputTensor::F32 { shape: &[2, 3], data: &[1.0, 2.0, 3.0, 0.0, 0.0, 0.0] },
    )
    .unwrap();
    assert_eq!(shape, [2, 1]);
    let sigmoid_half = 1.0 / (1.0 + (-0.5f32).exp());
    assert!(probabilities.iter().all(|p| (p - sigmoid_half).abs() < 1e-7), "{probabilities:?}");
}

#[test]
fn a_model_without_layers_is_an_identity() {
    let b = GraphBuilder::feature_input(2);
    let classes = vec!["a".to_string(), "b".to_string()];
    let bytes = b.finish(&classes, &[]).unwrap();
    let (shape, out) =
        run_model(&bytes, InputTensor::F32 { shape: &[1, 2], data: &[0.25, 0.75] }).unwrap();
    assert_eq!((shape, out), (vec![1, 2], vec![0.25, 0.75]));
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

fn error_of(b: GraphBuilder, classes: usize, extra: &[(String, String)]) -> String {
    format!("{:#}", b.finish(&names(classes), extra).unwrap_err())
}

#[test]
fn misuse_is_reported_by_finish() {
    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 7], &[0.0; 2], 4, 2);
    let e = error_of(b, 2, &[]);
    assert!(e.contains("dense_1") && e.contains("7 values") && e.contains("expected 8"), "{e}");

    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 6], &[0.0; 2], 3, 2);
    let e = error_of(b, 2, &[]);
    assert!(e.contains("declared 3 inputs but the previous layer gives 4"), "{e}");

    let mut b = GraphBuilder::feature_input(4);
    b.conv2d(&[0.0; 9], &[0.0], Size2::new(3, 3), 1, 1, Size2::new(1, 1), Padding::Same);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("conv2d_1 needs an image tensor"), "{e}");

    let mut b = GraphBuilder::feature_input(4);
    b.max_pool2d(Size2::new(2, 2), Size2::new(2, 2), Padding::Valid);
    let e = error_of(b, 4, &[]);
    assert!(e.contains("max_pooling2d_1 needs an image tensor"), "{e}");

    let mut b = GraphBuilder::image_input(5, 5, 3);
    b.conv2d(&[0.0; 9], &[0.0], Size2::new(3, 3), 1, 1, Size2::new(1, 1), Padding::Same);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("declared 1 input channels but the previous layer gives 3"), "{e}");

    let mut b = GraphBuilder::image_input(5, 5, 1);
    b.conv2d(&[0.0; 8], &[0.0], Size2::new(3, 3), 1, 1, Size2::new(1, 1), Padding::Same);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("kernel has 8 values") && e.contains("expected 9"), "{e}");

    let mut b = GraphBuilder::image_input(2, 5, 1);
    b.conv2d(&[0.0; 9], &[0.0], Size2::new(3, 3), 1, 1, Size2::new(1, 1), Padding::Valid);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("3×3 kernel with valid padding does not fit a 2×5 input"), "{e}");

    let mut b = GraphBuilder::image_input(5, 5, 1);
    b.conv2d(&[0.0; 9], &[0.0], Size2::new(3, 3), 1, 1, Size2::new(0, 1), Padding::Same);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("strides 0x1 must all be at least 1"), "{e}");

    let mut b = GraphBuilder::image_input(3, 3, 1);
    b.max_pool2d(Size2::new(4, 4), Size2::new(4, 4), Padding::Valid);
    let e = error_of(b, 1, &[]);
    assert!(e.contains("4×4 pool with valid padding does not fit a 3×3 input"), "{e}");

    // The first error wins; later calls do not overwrite it.
    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 1], &[0.0; 2], 4, 2);
    b.conv2d(&[0.0; 9], &[0.0], Size2::new(3, 3), 1, 1, Size2::new(1, 1), Padding::Same);
    let e = error_of(b, 2, &[]);
    assert!(e.contains("dense_1") && !e.contains("conv2d"), "{e}");

    let e = error_of(GraphBuilder::image_input(0, 5, 1), 1, &[]);
    assert!(e.contains("empty dimension"), "{e}");
    let e = error_of(GraphBuilder::feature_input(0), 1, &[]);
    assert!(e.contains("dimension 0"), "{e}");
}

#[test]
fn output_width_must_match_the_classes_and_metadata_keys_are_unique() {
    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 12], &[0.0; 3], 4, 3);
    let e = error_of(b, 2, &[]);
    assert!(e.contains("outputs 3 value(s) per row but there are 2 classes"), "{e}");

    // One sigmoid column stands for two classes, not three.
    let mut b = GraphBuilder::feature_input(4);
    b.dense(&[0.0; 4], &[0.0; 1], 4, 1);
    let e = error_of(b, 3, &[]);
    assert!(e.contains("outputs 1 value(s) per row but there are 3 classes"), "{e}");

    let b = GraphBuilder::feature_input(2);
    let e = error_of(b, 2, &[("classes".into(), "[]".into())]);
    assert!(e.contains("metadata key `classes` is given twice"), "{e}");

    let b = GraphBuilder::feature_input(2);
    let e = error_of(b, 2, &[("spec".into(), "a".into()), ("spec".into(), "b".into())]);
    assert!(e.contains("metadata key `spec` is given twice"), "{e}");
}

#[test]
fn bad_bytes_are_not_a_model() {
    let e = format!("{:#}", read_metadata(b"\xff\xff\xff").unwrap_err());
    assert!(e.contains("not an ONNX model"), "{e}");
    let e = format!(
        "{:#}",
        run_model(b"\x08\x08", InputTensor::F32 { shape: &[1, 1], data: &[0.0] }).unwrap_err()
    );
    assert!(e.contains("ONNX Runtime rejects the model"), "{e}");
}
