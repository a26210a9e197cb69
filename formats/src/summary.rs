//! `summary.json`, what `train` says about a model it trained: the input, the layers
//! with their weight counts and formulas, the optimizer, the loss, and how training
//! went. A network's summary and the logistic baseline's share this type; the fields
//! only a network has are [`NetworkRun`], absent from a baseline's file.
//!
//! The file's keys are in alphabetical order at every level (how `train` has always
//! written it): [`Summary::to_json_pretty`] writes through a `serde_json::Value`,
//! whose objects keep their keys sorted.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, IoAction, Result};
use crate::DatasetKind;

/// The content of `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The spec's name (its file's stem by default), or `logistic_baseline`.
    pub name: String,
    /// What the model reads.
    pub input: Input,
    /// Class names, in label order.
    pub classes: Vec<String>,
    /// The layer table, input to output.
    pub layers: Vec<LayerRow>,
    /// Trainable weights of the whole model.
    pub total_params: usize,
    /// The optimizer's name, settings and update rule (each optimizer has its own
    /// settings, so they stay a JSON object).
    pub optimizer: Map<String, Value>,
    /// The loss and its equation.
    pub loss: LossSummary,
    /// Epochs asked for (1 for the baseline's single fit).
    pub epochs: usize,
    /// `null` for the baseline, which fits on all rows at once.
    pub batch_size: Option<usize>,
    /// `null` for the baseline, which starts from zeros.
    pub seed: Option<u64>,
    /// The one best-epoch rule (`History::best_epoch`): lowest validation loss, or
    /// lowest training loss without validation.
    pub best_epoch: Option<usize>,
    /// The figures of the epoch whose weights the model holds.
    #[serde(rename = "final")]
    pub final_epoch: Option<FinalEpoch>,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// What only a network's run has.
    #[serde(flatten)]
    pub network: Option<NetworkRun>,
}

/// What the model reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    /// Images or feature vectors (`image`, `features`).
    #[serde(with = "kind_name")]
    pub kind: DatasetKind,
    /// One sample: `[H, W, C]` or `[D]`.
    pub shape: Vec<usize>,
    /// How the model scales its input (a network's summary only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<String>,
}

/// One row of the layer table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerRow {
    /// Keras-style name (`dense_1`).
    pub name: String,
    /// Keras class name (`Dense`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Keras's output shape, the batch axis first as `null`.
    pub output_shape: Vec<Option<usize>>,
    /// The layer's weight count.
    pub params: usize,
    /// How the weight count comes about, ending with `= count`.
    pub formula: String,
    /// The layer's settings (a network's layers only; each type has its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// The activation the layer ends with, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<String>,
}

/// The loss and its equation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossSummary {
    /// Keras's name (`categorical_crossentropy`).
    pub name: String,
    /// The formula, in plain text.
    pub equation: String,
}

/// Loss and accuracy of the final weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinalEpoch {
    /// The epoch (a network's summary only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<usize>,
    /// Training loss.
    pub loss: f64,
    /// Training accuracy.
    pub accuracy: f64,
    /// Validation loss, when there is validation data.
    pub val_loss: Option<f64>,
    /// Validation accuracy, when there is validation data.
    pub val_accuracy: Option<f64>,
}

/// The fields of a network's summary that the baseline's does not have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkRun {
    /// Epochs trained (fewer than asked when early stopping stopped the run).
    pub epochs_run: usize,
    /// The spec's `class_weight` (`null` without one).
    pub class_weight: Option<params::ClassWeight>,
    /// The spec's `early_stopping` (`null` without one).
    pub early_stopping: Option<params::EarlyStopping>,
    /// Whether the rows were shuffled every epoch.
    pub shuffle: bool,
    /// The epoch after which early stopping stopped the run.
    pub stopped_epoch: Option<usize>,
    /// Whether early stopping put back the best epoch's weights.
    pub restored_best_weights: bool,
    /// The epoch whose weights early stopping put back.
    pub restored_epoch: Option<usize>,
    /// The instruction set the kernels ran on: speed only, the bits are the same on every one.
    pub kernels: String,
    /// The `model.onnx` whose weights the run started from (`train --init-from`); absent
    /// for a run that started from the seed's initial weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<String>,
}

impl Summary {
    /// Reads a `summary.json` written by `train`.
    pub fn read(path: &Path) -> Result<Summary> {
        let text = std::fs::read_to_string(path).map_err(Error::io(IoAction::Read, path))?;
        serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.to_path_buf(),
            message: format!("{} is not a summary.json written by train", path.display()),
            source,
        })
    }

    /// The file's text: pretty JSON with every object's keys in alphabetical order.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).expect("a summary serializes")
    }

    /// One line of JSON, keys in the same order (`train --json`).
    pub fn to_json_line(&self) -> String {
        self.to_value().to_string()
    }

    fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a summary serializes: string keys, plain values")
    }
}

/// `image` or `features`, as the datasets' metadata names the kinds.
mod kind_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::DatasetKind;

    pub fn serialize<S: Serializer>(kind: &DatasetKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match kind {
            DatasetKind::Image => "image",
            DatasetKind::Features => "features",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DatasetKind, D::Error> {
        match String::deserialize(d)?.as_str() {
            "image" => Ok(DatasetKind::Image),
            "features" => Ok(DatasetKind::Features),
            other => Err(serde::de::Error::unknown_variant(other, &["image", "features"])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network_summary() -> Summary {
        let optimizer = serde_json::json!({"name": "Adam", "learning_rate": 0.001});
        Summary {
            name: "cnn".into(),
            input: Input {
                kind: DatasetKind::Image,
                shape: vec![4, 4, 1],
                scaling: Some("uint8 / 255 inside the model".into()),
            },
            classes: vec!["NORMAL".into(), "PNEUMONIA".into()],
            layers: vec![LayerRow {
                name: "dense_1".into(),
                type_name: "Dense".into(),
                output_shape: vec![None, Some(2)],
                params: 34,
                formula: "16 inputs × 2 units + 2 biases = 34".into(),
                config: Some(serde_json::json!({"units": 2})),
                activation: Some("softmax".into()),
            }],
            total_params: 34,
            optimizer: optimizer.as_object().unwrap().clone(),
            loss: LossSummary { name: "categorical_crossentropy".into(), equation: "L".into() },
            epochs: 3,
            batch_size: Some(8),
            seed: Some(1),
            best_epoch: Some(2),
            final_epoch: Some(FinalEpoch {
                epoch: Some(2),
                loss: 0.5,
                accuracy: 0.75,
                val_loss: Some(0.625),
                val_accuracy: None,
            }),
            seconds: 1.5,
            network: Some(NetworkRun {
                epochs_run: 3,
                class_weight: Some(params::ClassWeight::Table(
                    [("NORMAL".to_string(), 2.0)].into_iter().collect(),
                )),
                early_stopping: Some(params::EarlyStopping {
                    monitor: "val_loss".into(),
                    patience: 1,
                    min_delta: 0.0,
                    restore_best_weights: true,
                }),
                shuffle: true,
                stopped_epoch: Some(3),
                restored_best_weights: true,
                restored_epoch: Some(2),
                kernels: "avx2".into(),
                init_from: None,
            }),
        }
    }

    #[test]
    fn a_network_summary_reads_back_as_written() {
        let s = network_summary();
        let text = s.to_json_pretty();
        assert!(text.contains("\"class_weight\": {\n    \"NORMAL\": 2.0\n  },"), "{text}");
        assert!(text.contains("\"min_delta\": 0.0,\n    \"monitor\": \"val_loss\","), "{text}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(Summary::read(&path).unwrap(), s);
    }

    #[test]
    fn a_baseline_summary_has_no_network_fields() {
        let s = Summary { network: None, batch_size: None, seed: None, ..network_summary() };
        let text = s.to_json_line();
        assert!(!text.contains("kernels") && !text.contains("class_weight"), "{text}");
        assert!(text.contains(r#""batch_size":null"#), "{text}");
        assert_eq!(serde_json::from_str::<Summary>(&text).unwrap(), s);
    }

    #[test]
    fn a_file_without_what_train_writes_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.json");
        std::fs::write(&path, r#"{"baseline": "logistic"}"#).unwrap();
        let e = Summary::read(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{} is not a summary.json written by train", path.display())
        );
        let cause = std::error::Error::source(&e).unwrap().to_string();
        assert!(cause.contains("missing field `name`"), "{cause}");
    }
}
