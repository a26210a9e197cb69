//! The pipeline manifest (`pipeline.toml`): datasets, feature sets, models,
//! baselines, evaluations and variants, parsed, checked and expanded into runs.
//!
//! `pipeline make`, `pipeline plan`, `pipeline run` and `pipeline report` read it. The stages'
//! own parameters (a model's spec, a HOG feature set) deserialize into the stages'
//! types from the `params` crate, so the manifest accepts exactly what the stage
//! accepts. The format is documented in `docs/pipeline.md`.
//!
//! The file's own structure (its top-level tables, `kind`, `method`, `data`, `features`,
//! `title`, variants and sweeps) is a serde schema too (`schema.rs`).
//!
//! Every error names the manifest file, the line and the full key path
//! (`pipeline.toml line 12: models.mlp.optimzer: unknown field …`): the key path comes
//! from serde (`serde_path_to_error`), its line from the spans of `toml::de::DeTable`.

#![warn(missing_docs)]

mod command;
mod datasets;
mod declarations;
mod error;
mod layout;
mod parse;
mod schema;
mod variants;

use std::path::PathBuf;

pub use command::{CommandDatasetTable, StageCommand};
pub use datasets::{FoldersTable, IdxTable, SynthTable};
pub use error::ManifestError;
use params::{EvalParams, HogParams, ModelSpec, Size2};

/// What the manifest's functions return.
pub type Result<T, E = ManifestError> = std::result::Result<T, E>;
use toml::Table;

/// How many images of a HOG feature set `features hog --visualize` draws for the report.
pub const HOG_PICTURES: usize = 3;

/// Run and target names that the root Makefile uses for itself.
pub const RESERVED_NAMES: &[&str] =
    &["all", "setup", "build", "test", "demo", "bench", "clean", "report", "runs", "pipeline"];

/// The longest name (dataset, feature set, split, model, variant, run), in bytes.
/// Files are named after names: the longest, `OUT/specs/RUN.eval.K-of-N.cmd` with
/// N = 99,999 shards, adds 24 bytes, and its temporary name 30 more, which must fit
/// the file system's 255 (`pipeline::spec_files::MAX_FILE_NAME`).
pub const MAX_NAME_BYTES: usize = 200;

/// The whole manifest, with variants already expanded into runs.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest file, as given (used in error messages and make rules).
    pub file: PathBuf,
    /// The `[settings]` table: where outputs and the report go.
    pub settings: Settings,
    /// Declaration order.
    pub datasets: Vec<Dataset>,
    /// Declared feature sets first (declaration order), then those derived by variants.
    pub feature_sets: Vec<FeatureSet>,
    /// One per `[models.X]` and `[baselines.X]`, declaration order (models first).
    pub experiments: Vec<Experiment>,
    /// Every run: each experiment's base run followed by its variants.
    pub runs: Vec<Run>,
}

/// `[settings]`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Root of every stage output (default `out`).
    pub out: PathBuf,
    /// Where `pipeline report` writes `index.md` / `index.html` (default `report`).
    pub report: PathBuf,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { out: "out".into(), report: "report".into() }
    }
}

/// A `[datasets.NAME]` table: where a dataset's images come from, and its splits.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// `NAME`, which names its output directory `OUT/data/NAME`.
    pub name: String,
    /// The manifest line of its table (1-based), for messages.
    pub line: usize,
    /// Its `kind` and that kind's keys.
    pub source: DatasetSource,
    /// True when the images are generated (`synth-xray`), directly or through `from`.
    pub synthetic: bool,
}

/// A dataset's `kind` (`idx`, `synth-xray`, `folders`, `command`, `parquet`) with its checked keys.
#[derive(Debug, Clone, PartialEq)]
pub enum DatasetSource {
    /// `ingest idx` on IDX files; splits `train`, `val` (with `val_fraction`), `test`.
    Idx(IdxTable),
    /// `ingest synth-xray`: a directory of JPEGs in the Kaggle layout (no splits of its own).
    SynthXray(SynthTable),
    /// `ingest folders`, once per split: `ROOT/SPLIT/CLASS/*.jpeg`.
    Folders {
        /// Where the split folders are.
        root: FolderRoot,
        /// The split folders read, in order.
        splits: Vec<String>,
        /// Every image is resized to this.
        size: Size2,
        /// 1 (grayscale) or 3 (RGB).
        channels: u8,
        /// Skip undecodable files instead of failing.
        skip_bad: bool,
    },
    /// Made by a program of the user's, once per split (`{split}`, `{out}`).
    Command {
        /// The program, its arguments and the files it reads.
        command: StageCommand,
        /// The splits it writes, in order.
        splits: Vec<String>,
    },
    /// Ready-made dataset files (any program that writes docs/formats.md); no stage runs.
    Parquet {
        /// (split name, file or part directory), in the manifest's order.
        splits: Vec<(String, PathBuf)>,
    },
}

/// Where a `folders` dataset's split folders are: its `root` or its `from`.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderRoot {
    /// A directory on disk, e.g. the real Kaggle `chest_xray/`.
    Path(PathBuf),
    /// The output directory of a `synth-xray` dataset of this name.
    Synthetic(String),
}

impl Dataset {
    /// The splits this dataset provides, in order (empty for `synth-xray`).
    pub fn splits(&self) -> Vec<String> {
        match &self.source {
            DatasetSource::Idx(idx) => {
                let mut s = vec!["train".to_string()];
                if idx.val_fraction.is_some() {
                    s.push("val".into());
                }
                if idx.test_images.is_some() {
                    s.push("test".into());
                }
                s
            }
            DatasetSource::SynthXray(_) => vec![],
            DatasetSource::Folders { splits, .. } | DatasetSource::Command { splits, .. } => {
                splits.clone()
            }
            DatasetSource::Parquet { splits } => splits.iter().map(|(s, _)| s.clone()).collect(),
        }
    }
}

/// A `[features.NAME]` table, or a set derived from one by a model variant.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet {
    /// `NAME` (`SET-VNAME` when derived), which names its output directory `OUT/features/NAME`.
    pub name: String,
    /// The manifest line of its table (of the variant, when derived), for messages.
    pub line: usize,
    /// The dataset whose splits it transforms, one by one.
    pub from: String,
    /// The `method` and its parameters.
    pub method: FeatureMethod,
    /// `compression`: the codec of the files `features` writes (default `none`).
    pub compression: params::Compression,
    /// For a set derived by a model variant: the declared set it started from.
    pub derived_from: Option<String>,
    /// True when its dataset is synthetic (the report marks its runs SYNTHETIC).
    pub synthetic: bool,
}

/// A feature set's `method`: which `features` subcommand computes it, or which
/// program of the user's.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureMethod {
    /// `features pixels`: each image as float32 `v / 255`, row-major, D = H·W·C features (no parameters).
    Pixels,
    /// `features hog` with these parameters (the stage's own type).
    Hog(HogParams),
    /// A program of the user's, run once per split in place of `features`.
    Command(StageCommand),
}

impl FeatureMethod {
    /// Its `method` value: `"pixels"`, `"hog"` (also the `features` subcommand) or `"command"`.
    pub fn name(&self) -> &'static str {
        match self {
            FeatureMethod::Pixels => "pixels",
            FeatureMethod::Hog { .. } => "hog",
            FeatureMethod::Command(_) => "command",
        }
    }

    /// The method's parameter flags (e.g. `--orientations 8`), as the report shows them;
    /// for a command, its words with the placeholders.
    pub fn args(&self) -> Vec<String> {
        match self {
            FeatureMethod::Pixels => vec![],
            FeatureMethod::Hog(params) => params.to_args(),
            FeatureMethod::Command(c) => c.command.clone(),
        }
    }
}

/// What a run trains on.
#[derive(Debug, Clone, PartialEq)]
pub enum RunInput {
    /// An image dataset (by name).
    Dataset(String),
    /// A feature set (by name).
    Features(String),
}

/// How a run trains: a network from its model spec, or a baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Trainer {
    /// `train --spec`: the model spec table as written (it becomes the spec file), and
    /// the same table read as `train` reads it.
    Network {
        /// The spec keys of the model table, variant changes applied, as written to `OUT/specs/RUN.toml`.
        table: Table,
        /// `table` read and checked as `train --spec` reads it.
        spec: Box<ModelSpec>,
    },
    /// `train --baseline METHOD` (e.g. `logistic`).
    Baseline {
        /// The baseline's `method`; only `logistic` is accepted.
        method: String,
    },
}

/// `[evaluation]` defaults, overridden per model by its `evaluation` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The split evaluated (default `test`).
    pub split: String,
    /// `evaluate`'s own parameters (threshold, recall target, batch), those set.
    pub params: EvalParams,
}

impl Default for Evaluation {
    fn default() -> Self {
        Evaluation { split: "test".into(), params: EvalParams::default() }
    }
}

/// One `[models.NAME]` or `[baselines.NAME]`: a report section, with its runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// `NAME`, also its base run's name.
    pub name: String,
    /// The report heading: its `title`, else `NAME` (a model) or `NAME baseline`.
    pub title: String,
    /// The manifest line of its table, for messages.
    pub line: usize,
    /// True for a `[baselines.NAME]`, false for a `[models.NAME]`.
    pub is_baseline: bool,
    /// Run names: the base run first, then the variants in declaration order.
    pub runs: Vec<String>,
}

/// One model trained and evaluated: an experiment's base run or one of its variants.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// `NAME` for a base run, `NAME-VNAME` for a variant; names `OUT/runs/RUN`.
    pub name: String,
    /// The name of the experiment it belongs to.
    pub experiment: String,
    /// The variant's own name (`hidden3`, `epochs40`), `None` for the base run.
    pub variant: Option<String>,
    /// What the variant changes, as `key = value` lines.
    pub changes: Vec<String>,
    /// What it trains on (its `train` split) and is evaluated on.
    pub input: RunInput,
    /// A network from its spec, or a baseline.
    pub trainer: Trainer,
    /// The split evaluated and `evaluate`'s parameters, `[evaluation]` with the model's overrides.
    pub evaluation: Evaluation,
    /// True when its data are synthetic (`synth-xray`); the report marks it SYNTHETIC.
    pub synthetic: bool,
    /// The manifest line of its table (of the variant, for a variant's run), for messages.
    pub line: usize,
    /// `init_from`: the run whose trained model this run starts from (`train --init-from`).
    pub init_from: Option<String>,
}

/// The spec file `train --spec` reads: the run's spec as TOML, preceded by comments.
pub fn spec_toml(spec: &Table, header_comments: &[String]) -> Result<String> {
    let mut s = String::new();
    for c in header_comments {
        s.push_str("# ");
        s.push_str(c);
        s.push('\n');
    }
    s.push_str(&toml::to_string(spec)?);
    Ok(s)
}
