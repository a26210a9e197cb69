//! The issue's first "done when": a model trained and exported by `train` gets the
//! same accuracy (and loss) from `evaluate`, through ONNX Runtime, as the trainer's
//! own final validation pass.

use std::path::Path;

#[test]
fn evaluate_agrees_with_the_trainers_final_validation_pass() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mnist-200.parquet");
    let spec = train::ModelSpec::from_toml_str(
        r#"
name = "parity-mlp"
loss = "categorical_crossentropy"
epochs = 3
batch_size = 32
seed = 7
[optimizer]
name = "rmsprop"
[[layers]]
type = "flatten"
[[layers]]
type = "dense"
units = 16
activation = "relu"
[[layers]]
type = "dense"
units = 10
activation = "softmax"
"#,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let trained = train::train_with_spec(&spec, &data, Some(&data), &out, false).unwrap();
    let last = trained.history.epochs.last().unwrap();
    let (val_accuracy, val_loss) = (last.val_accuracy.unwrap(), last.val_loss.unwrap());

    let ev =
        evaluate::evaluate(&evaluate::EvalOptions::new(&out.join("model.onnx"), &data)).unwrap();
    assert_eq!(ev.metrics.rows, 200);
    // Accuracy is a count over 200 rows: it must be identical.
    assert_eq!(ev.metrics.accuracy, val_accuracy, "evaluate vs train's validation accuracy");
    assert!(
        (ev.metrics.log_loss - val_loss).abs() < 1e-4,
        "log-loss {} vs {}",
        ev.metrics.log_loss,
        val_loss
    );
    // A model that learned nothing would make this test pass trivially.
    assert!(val_accuracy > 0.5, "the parity model should learn something: {val_accuracy}");
}
