//! `pipeline.toml` as written, read by serde: the top-level tables and the keys that
//! belong to the pipeline itself.
//!
//! Keys that belong to a stage (a dataset kind's, a feature method's, a model's spec,
//! `evaluate`'s) stay a [`Table`] here and are read afterwards by the stage's own type
//! from `params`, once the `kind` or `method` that says which type is known. A model
//! table stays whole until its variants' overrides are applied, then each run's table is
//! read as a [`RunTable`].
//!
//! Unknown keys, missing keys and wrong types are serde's refusals; the caller turns their
//! key path into `FILE line N: key.path: problem`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Table;

use super::Settings;

/// The whole file: six optional top-level tables, nothing else.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Document {
    /// `[settings]`: where outputs and the report go.
    #[serde(default)]
    pub settings: Settings,
    /// `[evaluation]`: defaults for every model's and baseline's evaluation.
    pub evaluation: Option<EvaluationTable>,
    /// `[datasets.NAME]`.
    #[serde(default)]
    pub datasets: BTreeMap<String, DatasetTable>,
    /// `[features.NAME]`.
    #[serde(default)]
    pub features: BTreeMap<String, FeatureTable>,
    /// `[models.NAME]`, read as a [`ModelTable`] once its name is checked.
    #[serde(default)]
    pub models: BTreeMap<String, Table>,
    /// `[baselines.NAME]`.
    #[serde(default)]
    pub baselines: BTreeMap<String, BaselineTable>,
}

/// `[datasets.NAME]`: its `kind`, and that kind's keys (read by the kind's table type).
#[derive(Debug, Deserialize)]
pub(super) struct DatasetTable {
    /// Which stage makes it, or `parquet` for ready-made files.
    pub kind: DatasetKind,
    /// The other keys, as written.
    #[serde(flatten)]
    pub keys: Table,
}

/// A dataset's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum DatasetKind {
    /// `ingest idx`.
    Idx,
    /// `ingest synth-xray`.
    SynthXray,
    /// `ingest folders`.
    Folders,
    /// A program of the user's ([`crate::CommandDatasetTable`]).
    Command,
    /// Ready-made dataset files, one key per split.
    Parquet,
}

/// `[features.NAME]`: its `method` and dataset, and the method's parameters.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct FeatureTable {
    /// Which `features` subcommand computes it.
    pub method: FeatureMethodName,
    /// The dataset whose splits it transforms.
    pub from: String,
    /// The codec of the files `features` writes (not for `command`).
    pub compression: Option<params::Compression>,
    /// The method's parameters, as written (read by the method's type).
    #[serde(flatten)]
    pub params: Table,
}

/// A feature set's `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum FeatureMethodName {
    /// `features pixels` (no parameters).
    Pixels,
    /// `features hog` (`params::HogParams`).
    Hog,
    /// A program of the user's ([`crate::StageCommand`]).
    Command,
}

/// `[baselines.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BaselineTable {
    /// The report heading (default `NAME baseline`).
    pub title: Option<String>,
    /// `train --baseline METHOD`.
    pub method: BaselineMethod,
    /// The dataset it trains on (or `features`).
    pub data: Option<String>,
    /// The feature set it trains on (or `data`).
    pub features: Option<String>,
    /// Overrides of `[evaluation]`.
    pub evaluation: Option<EvaluationTable>,
}

/// A baseline's `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum BaselineMethod {
    /// Multinomial logistic regression (linfa).
    Logistic,
}

impl BaselineMethod {
    /// Its `method` value, as `train --baseline` takes it.
    pub fn name(self) -> &'static str {
        match self {
            BaselineMethod::Logistic => "logistic",
        }
    }
}

/// An `evaluation` table: the split evaluated, and `evaluate`'s parameters (read by
/// `params::EvalParams`).
#[derive(Debug, Clone, Deserialize)]
pub(super) struct EvaluationTable {
    /// The split evaluated.
    pub split: Option<String>,
    /// `evaluate`'s own parameters, as written.
    #[serde(flatten)]
    pub params: Table,
}

/// `[models.NAME]` as written: its variants, its sweep, and the table every run starts from.
#[derive(Debug, Deserialize)]
pub(super) struct ModelTable {
    /// `[models.NAME.variants.VNAME]`: overrides, one run each.
    #[serde(default)]
    pub variants: BTreeMap<String, Table>,
    /// `[models.NAME.sweep]`: key path → list of values, one run per value.
    #[serde(default)]
    pub sweep: Table,
    /// Everything else: the base run's table (read as a [`RunTable`] once overrides are applied).
    #[serde(flatten)]
    pub run: Table,
}

/// One run's model table, overrides applied: the pipeline's keys and `train`'s spec.
#[derive(Debug, Deserialize)]
pub(super) struct RunTable {
    /// The report heading (default the model's name).
    pub title: Option<String>,
    /// The dataset it trains on (or `features`).
    pub data: Option<String>,
    /// The feature set it trains on (or `data`).
    pub features: Option<String>,
    /// Overrides of `[evaluation]`.
    pub evaluation: Option<EvaluationTable>,
    /// A run of this manifest whose trained weights this run starts from.
    pub init_from: Option<String>,
    /// `train`'s spec keys, as written (read by `params::ModelSpec`).
    #[serde(flatten)]
    pub spec: Table,
}
