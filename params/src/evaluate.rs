//! The parameters of `evaluate`: the decision threshold, the recall target and the
//! inference batch. A manifest's `[evaluation]` table and `evaluate`'s flags both
//! become [`EvalParams`].
//!
//! Each field is an `Option`: unset means the stage's default, so a manifest that
//! sets only `min_recall` gives exactly `--min-recall R` ([`EvalParams::to_args`]).
//!
//! ```
//! use params::EvalParams;
//!
//! let p = EvalParams::from_table(toml::from_str("min_recall = 0.95\nbatch_size = 256").unwrap()).unwrap();
//! assert_eq!(p.to_args().join(" "), "--min-recall 0.95 --batch-size 256");
//! assert_eq!((p.threshold(), p.batch_size()), (0.5, 256));
//!
//! let e = EvalParams { threshold: Some(1.5), ..EvalParams::default() }.validate().unwrap_err();
//! assert_eq!((e.key.as_str(), e.to_string().as_str()), ("threshold", "--threshold 1.5 is not a probability between 0 and 1"));
//! ```

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{ParamError, Shard, MAX_EVALUATION_BATCH_SIZE};

/// How `evaluate` turns a model's probabilities into figures.
///
/// Execution knobs that change no figure (`--threads`, `--shard`) and the model's
/// input and output plumbing (`--scale`, `--output`) stay `evaluate`'s own flags.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct EvalParams {
    /// Binary models: predict the positive class (index 1) when its probability ≥ T (0..=1) [default: 0.5].
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Binary models: also report the largest threshold whose recall reaches R (0..=1).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_recall: Option<f64>,
    /// Rows per ONNX Runtime call, 1..=65,536 [default: 512].
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
}

impl EvalParams {
    /// The threshold when none is given: the more probable of the two classes.
    pub const DEFAULT_THRESHOLD: f64 = 0.5;

    /// The batch when none is given: large enough that per-call overhead vanishes,
    /// small enough to stay in cache-friendly memory.
    pub const DEFAULT_BATCH_SIZE: usize = 512;

    /// Deserializes and checks a table of evaluation parameters.
    pub fn from_table(table: toml::Table) -> Result<Self, ParamError> {
        let p: EvalParams = crate::error::from_table(table)?;
        p.validate()?;
        Ok(p)
    }

    /// The threshold in effect ([`EvalParams::DEFAULT_THRESHOLD`] when unset).
    pub fn threshold(&self) -> f64 {
        self.threshold.unwrap_or(Self::DEFAULT_THRESHOLD)
    }

    /// The batch size in effect ([`EvalParams::DEFAULT_BATCH_SIZE`] when unset).
    pub fn batch_size(&self) -> usize {
        self.batch_size.unwrap_or(Self::DEFAULT_BATCH_SIZE)
    }

    /// The checks that need no model: each value within its range, in the sentences
    /// `evaluate` prints.
    pub fn validate(&self) -> Result<(), ParamError> {
        if let Some(n) = self.batch_size {
            if !(1..=MAX_EVALUATION_BATCH_SIZE).contains(&n) {
                return Err(ParamError::new(
                    "batch_size",
                    format!("--batch-size must be 1..={MAX_EVALUATION_BATCH_SIZE}, got {n}"),
                ));
            }
        }
        if let Some(t) = self.threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(ParamError::new(
                    "threshold",
                    format!("--threshold {t} is not a probability between 0 and 1"),
                ));
            }
        }
        if let Some(r) = self.min_recall {
            if !(0.0..=1.0).contains(&r) {
                return Err(ParamError::new(
                    "min_recall",
                    format!("--min-recall {r} is not a fraction between 0 and 1"),
                ));
            }
        }
        Ok(())
    }

    /// The `evaluate` flags that give these parameters: only those set, in the order
    /// `--threshold`, `--min-recall`, `--batch-size`.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }
}

/// `evaluate`'s flags for one evaluation (`evaluate --model M --data D --out DIR`).
/// The three files are `Option`s because `evaluate compare` and `evaluate merge`
/// share the command line; clap requires them when no subcommand is given.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct EvaluateArgs {
    /// The ONNX model (any classifier: one input, float32 [N, C] class scores).
    #[cfg_attr(feature = "clap", arg(long, required = true))]
    pub model: Option<PathBuf>,
    /// The dataset (image or feature Parquet, file or directory of parts) with labels.
    #[cfg_attr(feature = "clap", arg(long, required = true))]
    pub data: Option<PathBuf>,
    /// Output directory for metrics.json, predictions.parquet, tables and PNGs.
    #[cfg_attr(feature = "clap", arg(long, required = true))]
    pub out: Option<PathBuf>,
    /// Training history for curves.png [default: history.parquet beside the model, if present].
    #[cfg_attr(feature = "clap", arg(long))]
    pub history: Option<PathBuf>,
    /// Threshold, minimum recall and batch size: what a manifest's `[evaluation]` also sets, as flags of their own.
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub params: EvalParams,
    /// Multiplier for image bytes fed to a float32 model input, more than 0 and at
    /// most 1000 [default: 1/255].
    #[cfg_attr(feature = "clap", arg(long))]
    pub scale: Option<f32>,
    /// The model output holding class scores [default: `probabilities`, else the first float32 [N, C] output].
    #[cfg_attr(feature = "clap", arg(long))]
    pub output: Option<String>,
    /// ONNX Runtime threads, 1..=1024 [default: RAYON_NUM_THREADS if set, else all
    /// cores; at most 1024 either way].
    #[cfg_attr(feature = "clap", arg(long))]
    pub threads: Option<usize>,
    /// ONNX Runtime sessions scoring different batches at once, 1..=64, sharing the
    /// threads; the scores are the same for any number [default: 1].
    #[cfg_attr(feature = "clap", arg(long))]
    pub sessions: Option<usize>,
    /// Use the model's `classes` metadata as class names and match the dataset's labels to them by name.
    #[cfg_attr(feature = "clap", arg(long))]
    pub labels_from_model: bool,
    /// Score only shard K of N (0-based) of the rows, a contiguous slice, and write
    /// OUT/shard.json and OUT/predictions.parquet; `evaluate merge` makes the figures.
    #[cfg_attr(feature = "clap", arg(long, value_name = "K/N", default_value_t = Shard::WHOLE))]
    #[serde(skip_serializing_if = "Shard::is_whole")]
    pub shard: Shard,
}

impl EvaluateArgs {
    /// The flags, as `evaluate` takes them.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }
}

/// `evaluate merge DIR… --out DIR`: the shard directories of `evaluate --shard K/N`
/// (all N of them) → the metrics, tables and pictures of one unsharded evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct MergeArgs {
    /// The shard directories (each with shard.json and predictions.parquet).
    #[cfg_attr(feature = "clap", arg(required = true))]
    #[serde(rename = "")]
    pub dirs: Vec<PathBuf>,
    /// Output directory, as `evaluate --out`.
    #[cfg_attr(feature = "clap", arg(long))]
    pub out: PathBuf,
}

impl MergeArgs {
    /// The words after `evaluate merge`.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn only_the_values_set_become_flags_in_a_fixed_order() {
        assert!(EvalParams::default().to_args().is_empty());
        let p = EvalParams::from_table(table("batch_size = 64\nthreshold = 0.3\nmin_recall = 1"))
            .unwrap();
        assert_eq!(p.to_args().join(" "), "--threshold 0.3 --min-recall 1 --batch-size 64");
        assert_eq!((p.threshold(), p.min_recall, p.batch_size()), (0.3, Some(1.0), 64));
    }

    #[test]
    fn bad_values_name_their_key_in_the_stage_sentence() {
        let refused = |text: &str| {
            let e = EvalParams::from_table(table(text)).unwrap_err();
            (e.key, e.message)
        };
        assert_eq!(
            refused("batch_size = 0"),
            ("batch_size".into(), "--batch-size must be 1..=65536, got 0".into())
        );
        assert_eq!(
            refused("min_recall = -0.5"),
            ("min_recall".into(), "--min-recall -0.5 is not a fraction between 0 and 1".into())
        );
        assert_eq!(refused("threshold = \"high\"").0, "threshold");
        assert!(refused("split = \"test\"").1.contains("unknown field `split`"));
    }
}
