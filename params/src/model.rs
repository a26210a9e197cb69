//! The model spec: a TOML file (`train --spec`) or a `[models.X]` table of
//! `pipeline.toml`, in Keras's terms (`docs/train.md`). Both are read by
//! [`ModelSpec::from_toml_str`] / [`ModelSpec::from_table`] and checked by
//! [`ModelSpec::validate`], so `pipeline make` refuses exactly what `train` refuses.
//! Every table rejects unknown keys, naming them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Activation, Loss, OptimizerSpec, Padding, ParamError, Size2};

/// A model spec: the layers, loss, optimizer and fit settings of one model (`docs/train.md`),
/// Keras's `compile` and `fit` arguments with their defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Used in summaries and metadata; defaults to the spec file's stem.
    #[serde(default)]
    pub name: Option<String>,
    /// Optional check against the dataset: `[H, W, C]` for images, `[D]` for features.
    #[serde(default)]
    pub input_shape: Option<Vec<usize>>,
    /// The loss (Keras `compile(loss=…)`); required, and it fixes the last layer's activation.
    pub loss: Loss,
    /// Keras `fit` default: 1.
    #[serde(default = "one")]
    pub epochs: usize,
    /// Keras default: 32.
    #[serde(default = "thirty_two")]
    pub batch_size: usize,
    /// Seeds weights, shuffling, dropout and `validation_split`. Default 42.
    #[serde(default = "forty_two")]
    pub seed: u64,
    /// Fraction of the training rows held out when `--val` is not given.
    #[serde(default)]
    pub validation_split: Option<f64>,
    /// Which rows `validation_split` holds out: `random` (default: a seeded random
    /// choice, because datasets are often sorted by class) or `last` (Keras's
    /// `fit(validation_split=…)`: the last rows, before any shuffling).
    #[serde(default)]
    pub validation_split_mode: SplitMode,
    /// Shuffle the training rows before every epoch (Keras `fit(shuffle=True)`,
    /// the default); `false` keeps the data's order, as `fit(shuffle=False)`.
    #[serde(default = "yes")]
    pub shuffle: bool,
    /// Per-class weights of the training loss (Keras `fit(class_weight=…)`); none: every class 1.
    #[serde(default)]
    pub class_weight: Option<ClassWeight>,
    /// Keras `compile` default: RMSprop with its defaults.
    #[serde(default)]
    pub optimizer: OptimizerSpec,
    /// The `[early_stopping]` table (Keras's `EarlyStopping` callback); none: train every epoch.
    #[serde(default)]
    pub early_stopping: Option<EarlyStopping>,
    /// The `[[layers]]`, input to output (at least one; Keras's `Sequential`).
    pub layers: Vec<LayerSpec>,
}

/// The most epochs a spec may ask for: far beyond any use, and a bound keeps a typo
/// (`epochs = 1e18`) from running for ever.
pub const MAX_EPOCHS: usize = 100_000;

/// The largest training batch (`batch_size`): 2²⁰ rows.
pub const MAX_BATCH_SIZE: usize = 1 << 20;

/// The largest evaluation batch (`evaluate --batch-size`, a manifest's
/// `evaluation.batch_size`): 65,536 rows of 784 floats are 200 MB already.
pub const MAX_EVALUATION_BATCH_SIZE: usize = 65_536;

fn one() -> usize {
    1
}
fn yes() -> bool {
    true
}

/// How `validation_split` chooses its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitMode {
    /// A seeded random choice of rows (ours).
    #[default]
    Random,
    /// The last rows, as Keras.
    Last,
}
fn thirty_two() -> usize {
    32
}
fn forty_two() -> u64 {
    42
}

/// `"balanced"` (n_samples / (n_classes · count_c), as scikit-learn) or `{ NAME = weight }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ClassWeight {
    /// A named mode; only `"balanced"` is accepted.
    Mode(String),
    /// A weight (finite, ≥ 0) per class name of the dataset; classes not named get 1.
    Table(BTreeMap<String, f64>),
}

/// The `[early_stopping]` table: Keras's `EarlyStopping` callback (mode auto) with its defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStopping {
    /// `loss`, `accuracy`, `val_loss` or `val_accuracy` (Keras default `val_loss`).
    #[serde(default = "val_loss")]
    pub monitor: String,
    /// Epochs without improvement before stopping (Keras default 0).
    #[serde(default)]
    pub patience: usize,
    /// Smallest change that counts as an improvement (Keras default 0).
    #[serde(default)]
    pub min_delta: f64,
    /// Put back the weights of the best epoch at the end (Keras default false).
    #[serde(default)]
    pub restore_best_weights: bool,
}

fn val_loss() -> String {
    "val_loss".into()
}

fn size_one() -> Size2 {
    Size2::square(1)
}
fn size_two() -> Size2 {
    Size2::square(2)
}

/// One `[[layers]]` entry, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerSpec {
    /// `flatten`: Keras `Flatten`, each sample's H×W×C values to one vector, row-major (no weights).
    Flatten {},
    /// `dense`: Keras `Dense`, a fully connected layer (in·units + units weights).
    Dense {
        /// Output units (≥ 1).
        units: usize,
        /// Applied to the output (default `linear`).
        #[serde(default)]
        activation: Activation,
    },
    /// `conv2d`: Keras `Conv2D` over H×W×C images (kh·kw·c_in·filters + filters weights).
    Conv2d {
        /// Output channels (≥ 1).
        filters: usize,
        /// Kernel rows × columns (`3` or `[3, 3]`); required.
        kernel_size: Size2,
        /// Step in rows × columns (default 1).
        #[serde(default = "size_one")]
        strides: Size2,
        /// `valid` (the default) or `same`.
        #[serde(default)]
        padding: Padding,
        /// Applied to the output (default `linear`).
        #[serde(default)]
        activation: Activation,
    },
    /// `max_pool2d`: Keras `MaxPooling2D`, the maximum of each window (no weights).
    MaxPool2d {
        /// Window rows × columns (default 2).
        #[serde(default = "size_two")]
        pool_size: Size2,
        /// Defaults to `pool_size`.
        #[serde(default)]
        strides: Option<Size2>,
        /// `valid` (the default) or `same`.
        #[serde(default)]
        padding: Padding,
    },
    /// `dropout`: Keras `Dropout`, zeroing inputs at random while training (left out of the ONNX model).
    Dropout {
        /// Fraction of the inputs dropped, in [0, 1).
        rate: f64,
    },
    /// `activation`: Keras `Activation`, a function applied on its own.
    Activation {
        /// The function applied.
        activation: Activation,
    },
}

impl ModelSpec {
    /// Parses and checks the text of a spec file: TOML syntax first, then exactly
    /// [`ModelSpec::from_table`], so a spec file and a manifest table are refused alike.
    pub fn from_toml_str(text: &str) -> Result<Self, ParamError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            // toml's message is a caret snippet over several lines; keep its first sentence.
            let message = e.message().trim_end().to_string();
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            ParamError::new(
                "",
                match line {
                    Some(l) => format!("invalid TOML at line {l}: {message}"),
                    None => format!("invalid TOML: {message}"),
                },
            )
        })?;
        Self::from_table(table)
    }

    /// Deserializes and checks a spec table, e.g. a model of `pipeline.toml`; a wrong
    /// type names its key path (`layers.1.units`).
    pub fn from_table(table: toml::Table) -> Result<Self, ParamError> {
        let spec: ModelSpec = crate::error::from_table(table)?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks values serde cannot: ranges, names, a non-empty layer list.
    pub fn validate(&self) -> Result<(), ParamError> {
        let bad = |key: &str, msg: String| Err(ParamError::new(key, msg));
        if !(1..=MAX_EPOCHS).contains(&self.epochs) {
            return bad(
                "epochs",
                format!("epochs = {} must be between 1 and {MAX_EPOCHS}", self.epochs),
            );
        }
        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return bad(
                "batch_size",
                format!("batch_size = {} must be between 1 and {MAX_BATCH_SIZE}", self.batch_size),
            );
        }
        if let Some(f) = self.validation_split {
            if !(f > 0.0 && f < 1.0) {
                return bad(
                    "validation_split",
                    format!("validation_split = {f} must be between 0 and 1 (exclusive)"),
                );
            }
        }
        match &self.class_weight {
            Some(ClassWeight::Mode(m)) if m != "balanced" => {
                return bad(
                    "class_weight",
                    format!("class_weight = {m:?}: the only named mode is \"balanced\" (or give a table {{ CLASS = weight }})"),
                )
            }
            Some(ClassWeight::Table(t)) => {
                if let Some((k, v)) = t.iter().find(|(_, v)| !(**v >= 0.0 && v.is_finite())) {
                    return bad(&format!("class_weight.{k}"), format!("class_weight for {k:?} = {v} must be a finite number ≥ 0"));
                }
            }
            _ => {}
        }
        if let Some(es) = &self.early_stopping {
            if !["loss", "accuracy", "val_loss", "val_accuracy"].contains(&es.monitor.as_str()) {
                return bad(
                    "early_stopping.monitor",
                    format!("early_stopping.monitor = {:?}: use loss, accuracy, val_loss or val_accuracy", es.monitor),
                );
            }
            if !(es.min_delta >= 0.0 && es.min_delta.is_finite()) {
                return bad(
                    "early_stopping.min_delta",
                    format!(
                        "early_stopping.min_delta = {} must be a finite number ≥ 0",
                        es.min_delta
                    ),
                );
            }
        }
        self.optimizer.validate().map_err(|e| e.within("optimizer"))?;
        if self.layers.is_empty() {
            return bad("layers", "the model has no [[layers]]".into());
        }
        for (i, layer) in self.layers.iter().enumerate() {
            let bad = |key: &str, msg: String| {
                Err(ParamError::new(
                    format!("layers.{i}.{key}"),
                    format!("layer {} ({}): {msg}", i + 1, layer.type_str()),
                ))
            };
            match layer {
                LayerSpec::Dense { units: 0, .. } => {
                    return bad("units", "units must be at least 1".into())
                }
                LayerSpec::Conv2d { filters: 0, .. } => {
                    return bad("filters", "filters must be at least 1".into())
                }
                LayerSpec::Dropout { rate } if !(*rate >= 0.0 && *rate < 1.0) => {
                    return bad("rate", format!("rate = {rate} must be in [0, 1)"))
                }
                _ => {}
            }
        }
        // Without the data only a floor is known (unknown sizes count as 1); `train`
        // checks the whole need against the memory available once it has read the data.
        crate::memory::estimate(self, None).check(
            self,
            crate::memory::total(),
            "this machine's memory",
        )
    }
}

impl LayerSpec {
    /// Its `type` in a spec (`"max_pool2d"`), as the refusal messages name it.
    pub fn type_str(&self) -> &'static str {
        match self {
            LayerSpec::Flatten {} => "flatten",
            LayerSpec::Dense { .. } => "dense",
            LayerSpec::Conv2d { .. } => "conv2d",
            LayerSpec::MaxPool2d { .. } => "max_pool2d",
            LayerSpec::Dropout { .. } => "dropout",
            LayerSpec::Activation { .. } => "activation",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MLP: &str = r#"
name = "mlp"
input_shape = [28, 28, 1]
loss = "categorical_crossentropy"
epochs = 10
[optimizer]
name = "rmsprop"
[[layers]]
type = "flatten"
[[layers]]
type = "dense"
units = 30
activation = "relu"
[[layers]]
type = "dense"
units = 10
activation = "softmax"
"#;

    fn err(text: &str) -> String {
        ModelSpec::from_toml_str(text).unwrap_err().to_string()
    }

    #[test]
    fn parses_with_keras_defaults() {
        let s = ModelSpec::from_toml_str(MLP).unwrap();
        assert_eq!(s.batch_size, 32);
        assert_eq!(s.seed, 42);
        assert_eq!(s.epochs, 10);
        assert_eq!(s.optimizer, OptimizerSpec::default());
        assert_eq!(s.layers[1], LayerSpec::Dense { units: 30, activation: Activation::Relu });
        let cnn = "loss = \"binary_crossentropy\"\nclass_weight = { NORMAL = 2.0 }\n[optimizer]\nname = \"adam\"\nlearning_rate = 0.01\n[early_stopping]\npatience = 2\n[[layers]]\ntype = \"conv2d\"\nfilters = 8\nkernel_size = [3, 5]\npadding = \"same\"\n[[layers]]\ntype = \"max_pool2d\"\n";
        let s = ModelSpec::from_toml_str(cnn).unwrap();
        assert_eq!(
            s.layers[0],
            LayerSpec::Conv2d {
                filters: 8,
                kernel_size: Size2::new(3, 5),
                strides: Size2::square(1),
                padding: Padding::Same,
                activation: Activation::Linear
            }
        );
        assert_eq!(
            s.layers[1],
            LayerSpec::MaxPool2d {
                pool_size: Size2::square(2),
                strides: None,
                padding: Padding::Valid
            }
        );
        assert_eq!(
            s.optimizer,
            OptimizerSpec::Adam { learning_rate: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 }
        );
        assert_eq!(s.early_stopping.unwrap().monitor, "val_loss");
        assert_eq!(
            s.class_weight,
            Some(ClassWeight::Table(BTreeMap::from([("NORMAL".into(), 2.0)])))
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = err(&format!("epoch = 3\n{MLP}"));
        assert!(e.contains("unknown field `epoch`"), "{e}");
        let e = err(&MLP.replace("units = 30", "units = 30\nunit = 4"));
        assert!(e.contains("unknown field `unit`"), "{e}");
        let e = err(&MLP.replace("name = \"rmsprop\"", "name = \"rmsprop\"\nbeta_1 = 0.9"));
        assert!(e.contains("beta_1"), "{e}");
        let e = err(&MLP.replace("type = \"flatten\"", "type = \"flatten\"\nunits = 3"));
        assert!(e.contains("units"), "{e}");
        let e = err(&format!("{MLP}\n[early_stopping]\npatients = 3"));
        assert!(e.contains("patients"), "{e}");
    }

    #[test]
    fn bad_values_are_explained() {
        assert!(err(&MLP.replace("\"relu\"", "\"gelu\"")).contains("gelu"));
        assert!(err(&MLP.replace("\"flatten\"", "\"lstm\"")).contains("lstm"));
        assert!(err(&MLP.replace("epochs = 10", "epochs = 0"))
            .contains("epochs = 0 must be between 1 and 100000"));
        assert!(err(&format!("validation_split = 1.5\n{MLP}")).contains("validation_split"));
        assert!(err(&format!("class_weight = \"auto\"\n{MLP}")).contains("balanced"));
        assert!(
            err(&MLP.replace("name = \"rmsprop\"", "name = \"rmsprop\"\nlearning_rate = -1.0"))
                .contains("learning_rate")
        );
        assert!(err(&MLP.replace("\"rmsprop\"", "\"adagrad\"")).contains("adagrad"));
        assert!(err(&MLP.replace("loss = \"categorical_crossentropy\"\n", "")).contains("loss"));
        assert!(err(&MLP.replace("units = 30", "units = 0"))
            .contains("layer 2 (dense): units must be at least 1"));
        let e = err(&format!("{MLP}\n[[layers]]\ntype = \"dropout\"\nrate = 1.0"));
        assert!(e.contains("rate = 1"), "{e}");
    }
}
