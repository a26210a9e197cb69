//! Every stage parameter, written once: serde types with their defaults and a
//! `validate()`, shared by the stage CLIs (`train --spec`, `features hog`) and by the
//! pipeline manifest, so `pipeline make` refuses exactly what a stage would refuse.
//!
//! * [`ModelSpec`] and its parts ([`LayerSpec`], [`OptimizerSpec`], [`Loss`],
//!   [`Activation`], [`Padding`], [`EarlyStopping`], [`ClassWeight`]): `train`'s model spec;
//! * [`HogParams`] ([`BlockNorm`]): `features hog`;
//! * [`ingest`]: the checks of `ingest`'s numeric flags;
//! * [`memory`]: what a model spec needs in memory to train, checked before allocating;
//! * [`keras_names`]: Keras's default layer names (`dense_1`, `max_pooling2d_2`);
//! * [`Compression`]: `--compression`, the codec of a written Parquet file;
//! * [`Size2`]: every rows × columns pair (`8x8`, `[3, 5]`, `4`);
//! * [`ParamError`]: the key path of a refused value and one sentence why.
//!
//! ```
//! use params::{LayerSpec, ModelSpec, Size2};
//!
//! let spec = ModelSpec::from_toml_str(r#"
//!     loss = "categorical_crossentropy"
//!     [[layers]]
//!     type = "conv2d"
//!     filters = 8
//!     kernel_size = 3
//!     [[layers]]
//!     type = "dense"
//!     units = 10
//!     activation = "softmax"
//! "#).unwrap();
//! assert_eq!((spec.epochs, spec.batch_size, spec.seed), (1, 32, 42)); // Keras's defaults
//! assert!(matches!(spec.layers[0], LayerSpec::Conv2d { kernel_size, .. } if kernel_size == Size2::square(3)));
//!
//! // A refused value names its key, for the manifest's `file line N: key: …` messages.
//! let mut table: toml::Table = toml::from_str("loss = \"binary_crossentropy\"\nlayers = [{ type = \"dense\", units = 0 }]").unwrap();
//! let err = ModelSpec::from_table(table.clone()).unwrap_err();
//! assert_eq!(err.key, "layers.0.units");
//! assert_eq!(err.to_string(), "layer 1 (dense): units must be at least 1");
//! table.insert("validation_split".into(), 0.into());
//! assert_eq!(ModelSpec::from_table(table).unwrap_err().key, "validation_split");
//! ```

#![warn(missing_docs)]

mod activation;
mod args;
mod compression;
mod error;
mod evaluate;
mod hog;
pub mod ingest;
pub mod keras_names;
mod loss;
pub mod memory;
mod model;
mod optimizer;
mod padding;
pub mod shard;
mod size;
mod train;

pub use activation::Activation;
pub use args::to_args;
pub use compression::Compression;
pub use error::{from_table, join_key, ParamError};
pub use evaluate::{EvalParams, EvaluateArgs, MergeArgs};
pub use hog::{BlockNorm, HogArgs, HogParams, PixelsArgs};
pub use loss::Loss;
pub use model::{
    ClassWeight, EarlyStopping, LayerSpec, ModelSpec, SplitMode, MAX_BATCH_SIZE, MAX_EPOCHS,
    MAX_EVALUATION_BATCH_SIZE,
};
pub use optimizer::OptimizerSpec;
pub use padding::Padding;
pub use shard::Shard;
pub use size::Size2;
pub use train::{Baseline, TrainArgs};
