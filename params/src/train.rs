//! [`TrainArgs`]: `train`'s flags (its files and run options; the model itself is the
//! spec file, [`ModelSpec`](crate::ModelSpec)).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A classical model `train --baseline` fits instead of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Baseline {
    /// linfa's multinomial logistic regression.
    Logistic,
}

impl Baseline {
    /// The baseline of this name, if there is one.
    pub fn from_name(name: &str) -> Option<Baseline> {
        match name {
            "logistic" => Some(Baseline::Logistic),
            _ => None,
        }
    }

    /// The name a manifest and the flag use (`logistic`).
    pub fn name(self) -> &'static str {
        match self {
            Baseline::Logistic => "logistic",
        }
    }
}

/// `train`'s flags, but for `--quiet` and `--json` (how it talks, not what it does).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct TrainArgs {
    /// Model spec (TOML: layers, loss, optimizer, epochs, ...; see docs/train.md).
    #[cfg_attr(
        feature = "clap",
        arg(long, required_unless_present = "baseline", conflicts_with = "baseline")
    )]
    pub spec: Option<PathBuf>,
    /// Fit a classical baseline instead of a network: `logistic` (linfa multinomial logistic regression).
    #[cfg_attr(feature = "clap", arg(long, value_enum))]
    pub baseline: Option<Baseline>,
    /// Training dataset (image or feature dataset: a .parquet file or a directory of parts).
    #[cfg_attr(feature = "clap", arg(long))]
    pub train: PathBuf,
    /// Validation dataset, evaluated after every epoch (overrides the spec's validation_split).
    #[cfg_attr(feature = "clap", arg(long))]
    pub val: Option<PathBuf>,
    /// Output directory: model.onnx, history.parquet, history.csv, summary.json, summary.txt.
    #[cfg_attr(feature = "clap", arg(long))]
    pub out: PathBuf,
    /// Start from the weights of this model.onnx (exported by `train` for the same
    /// layers) instead of fresh ones: fine-tuning, resuming, or a run from given
    /// initial weights. The optimizer's state starts fresh.
    #[cfg_attr(feature = "clap", arg(long, value_name = "MODEL", conflicts_with = "baseline"))]
    pub init_from: Option<PathBuf>,
    /// Write where the time went, layer by layer (forward, backward-data,
    /// backward-weights, validation: seconds and GFLOP/s), to FILE as JSON, and print it
    /// as a table on stderr (not with --quiet). See docs/benchmarks.md.
    #[cfg_attr(feature = "clap", arg(long, value_name = "FILE", conflicts_with = "baseline"))]
    pub profile: Option<PathBuf>,
    /// Refuse a model that needs more memory than SIZE to train (weights, gradients,
    /// optimizer state and a batch of layer outputs), e.g. `8G`, `512Mi`. Default: the
    /// memory available when the run starts.
    #[cfg_attr(
        feature = "clap",
        arg(long, value_name = "SIZE", value_parser = crate::memory::parse_size)
    )]
    pub max_memory: Option<u64>,
    /// Start from epoch 1 even when a checkpoint of an interrupted run with the same
    /// inputs is there (by default the run continues after its last complete epoch).
    #[cfg_attr(feature = "clap", arg(long, conflicts_with = "baseline"))]
    pub fresh: bool,
}

impl TrainArgs {
    /// `--train T --out O`, nothing else.
    pub fn new(train: PathBuf, out: PathBuf) -> Self {
        TrainArgs {
            spec: None,
            baseline: None,
            train,
            val: None,
            out,
            init_from: None,
            profile: None,
            max_memory: None,
            fresh: false,
        }
    }

    /// The flags, as `train` takes them.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_come_in_field_order() {
        let mut a = TrainArgs::new("t.parquet".into(), "runs/m".into());
        a.spec = Some("m.toml".into());
        a.val = Some("v.parquet".into());
        assert_eq!(
            a.to_args().join(" "),
            "--spec m.toml --train t.parquet --val v.parquet --out runs/m"
        );
        let b = TrainArgs {
            baseline: Some(Baseline::Logistic),
            ..TrainArgs::new("t".into(), "o".into())
        };
        assert_eq!(b.to_args().join(" "), "--baseline logistic --train t --out o");
    }
}
