//! Scoring: the model run over a dataset's rows (or one shard of them), its output
//! checked to be probabilities and its classes matched to the dataset's labels.

use std::path::{Path, PathBuf};

use formats::{DatasetKind, DatasetReader, Shard};
use params::EvalParams;
use serde::{Deserialize, Serialize};

use crate::classes::class_names;
use crate::error::{fail, Error, ErrorKind, Result};
use crate::model::{check_sessions, check_threads, Classifier, ModelOptions, RowShape};
use crate::probabilities::check_probabilities;

/// The largest `--scale`: pixels are at most 255, so larger multipliers only make
/// inputs no model was trained on.
pub const MAX_SCALE: f32 = 1000.0;

/// What to evaluate and how (the CLI's flags).
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The ONNX model.
    pub model: PathBuf,
    /// The dataset, with labels.
    pub data: PathBuf,
    /// A `history.parquet` for the curves; default: the one beside the model, if any.
    pub history: Option<PathBuf>,
    /// The threshold, recall target and batch size (the manifest's `[evaluation]`).
    pub params: EvalParams,
    /// How the model is fed and run.
    pub model_options: ModelOptions,
    /// Map the dataset's labels onto the model's `classes` by name.
    pub labels_from_model: bool,
    /// `--shard K/N`: score only those rows ([`shard`]); the figures come from
    /// `evaluate merge` over all N.
    pub shard: formats::Shard,
}

impl EvalOptions {
    /// `model` on `data` with every default: whole dataset, default parameters.
    pub fn new(model: &Path, data: &Path) -> Self {
        Self {
            model: model.to_path_buf(),
            data: data.to_path_buf(),
            history: None,
            params: EvalParams::default(),
            model_options: ModelOptions::default(),
            labels_from_model: false,
            shard: formats::Shard::WHOLE,
        }
    }
}

/// What a shard scored and how: everything of `metrics.json` that is not a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The model file, as given.
    pub model: String,
    /// The dataset, as given.
    pub data: String,
    /// The training history the curves are drawn from, if any.
    pub history: Option<String>,
    /// Class names, index = model class.
    pub classes: Vec<String>,
    /// The model's input and how rows feed it ([`Classifier::describe_input`](crate::model::Classifier::describe_input)).
    pub input: String,
    /// The class-score output ([`Classifier::describe_output`](crate::model::Classifier::describe_output)).
    pub output: String,
    /// What was applied to the raw scores (`none`: they are probabilities).
    pub score_transform: String,
    /// Rows per ONNX Runtime call.
    pub batch_size: usize,
    /// ONNX Runtime intra-op threads.
    pub threads: usize,
    /// Inference seconds of this shard (summed by the merge).
    pub seconds: f64,
    /// The binary decision threshold.
    pub threshold: f64,
    /// The recall target, if one was given.
    pub min_recall: Option<f64>,
    /// Which shard this is ([`Shard::WHOLE`] for a whole run).
    pub shard: Shard,
    /// This shard's first row and row count, among `total_rows`.
    pub first_row: usize,
    /// Rows scored.
    pub rows: usize,
    /// Rows of the whole dataset.
    pub total_rows: usize,
}

/// The model's probabilities for the rows of a dataset (or of one shard of it), with
/// what the figures need besides: everything before the metrics.
#[derive(Debug, Clone)]
pub struct Scored {
    /// What was scored and how.
    pub info: RunInfo,
    /// Dataset labels as model class indices.
    pub labels: Vec<i32>,
    /// Row-major probabilities, `info.classes.len()` per row.
    pub scores: Vec<f32>,
    /// The training history at `info.history`, read once (not stored in a shard).
    pub history: Option<formats::History>,
}

/// Runs the model over the dataset's rows (those of `opts.shard`) and checks the
/// scores; computes no figure and writes nothing.
pub fn score(opts: &EvalOptions) -> Result<Scored> {
    opts.params.validate()?;
    if let Some(n) = opts.model_options.threads {
        check_threads(n)?;
    }
    if let Some(n) = opts.model_options.sessions {
        check_sessions(n)?;
    }
    let (threshold, min_recall) = (opts.params.threshold(), opts.params.min_recall);
    let batch_size = opts.params.batch_size();
    if let Some(s) = opts.model_options.scale {
        if !(s.is_finite() && s > 0.0) {
            fail!(Parameter, "--scale {s} is not a finite number > 0");
        }
        if s > MAX_SCALE {
            fail!(Parameter, "--scale must be at most {MAX_SCALE}, got {s}");
        }
    }
    let reader = DatasetReader::open_with_batch_rows(&opts.data, batch_size)?;
    let total_rows = reader.total_rows();
    let reader = reader.shard(opts.shard);
    let first_row = reader.first_row();
    let dataset = opts.data.display().to_string();
    let (rows, dataset_classes) = match reader.kind()? {
        DatasetKind::Image => {
            let m = reader.image_meta()?;
            (RowShape::Image { height: m.height, width: m.width, channels: m.channels }, m.classes)
        }
        DatasetKind::Features => {
            let m = reader.feature_meta()?;
            (RowShape::Features { dim: m.dim }, m.classes)
        }
    };
    let history_path = match &opts.history {
        Some(h) => {
            if !h.is_file() {
                fail!(Input, "history {} does not exist (--history)", h.display());
            }
            Some(h.clone())
        }
        None => opts.model.parent().map(|d| d.join("history.parquet")).filter(|h| h.is_file()),
    };
    // Read now, so that a corrupt history fails before any inference.
    let history = history_path.as_deref().map(formats::History::read).transpose()?;

    let mut classifier = Classifier::open(&opts.model, &rows, &dataset, &opts.model_options)?;
    let mut out = classifier.predict(reader)?;
    let c = out.classes;
    let model = opts.model.display().to_string();
    if total_rows == 0 {
        fail!(Input, "dataset {dataset} holds no rows: there is nothing to evaluate");
    }
    // A NaN or infinite score would silently count as a wrong (or right) prediction.
    if let Some(i) = out.scores.iter().position(|v| !v.is_finite()) {
        fail!(
            NotProbabilities,
            "model {model} gives a non-finite score ({}) for row {} of dataset {dataset}",
            out.scores[i],
            i / c.max(1)
        );
    }
    check_probabilities(&mut out.scores, c, out.sigmoid, first_row).map_err(|problem| {
        Error::new(
            ErrorKind::NotProbabilities,
            format!(
            "model {model} output {} does not give probabilities on dataset {dataset}: {problem}; evaluate needs each row's class probabilities (a softmax or sigmoid output), not logits or other scores",
            classifier.describe_output()
        ),
        )
    })?;

    if c != 2 {
        // Both only mean something for a positive class; silently ignoring them would
        // let a user believe they applied.
        if let Some(r) = min_recall {
            fail!(
                NotApplicable,
                "--min-recall {r} applies to binary models, but model {model} scores {c} classes"
            );
        }
        if threshold != 0.5 {
            fail!(NotApplicable,
                "--threshold {} applies to binary models, but model {model} scores {c} classes (the prediction is the most probable class)",
                threshold
            );
        }
    }
    let (names, relabel) = class_names(
        &dataset_classes,
        classifier.model_classes.as_deref(),
        c,
        opts.labels_from_model,
        &model,
        &dataset,
        &classifier.describe_output(),
    )?;
    let labels: Vec<i32> = match &relabel {
        Some(map) => {
            out.labels.iter().map(|&l| map.get(l as usize).copied().unwrap_or(i32::MAX)).collect()
        }
        None => out.labels.clone(),
    };
    if let Some(row) = labels.iter().position(|&l| l < 0 || l as usize >= c) {
        fail!(
            Mismatch,
            "dataset {dataset} row {row} has label {} but model {model} scores {c} classes ({})",
            out.labels[row],
            names.join(", ")
        );
    }
    let info = RunInfo {
        model,
        data: dataset,
        history: history_path.map(|h| h.display().to_string()),
        classes: names,
        input: classifier.describe_input(),
        output: classifier.describe_output(),
        score_transform: "none".to_string(),
        batch_size,
        threads: classifier.threads,
        seconds: out.seconds,
        threshold,
        min_recall,
        shard: opts.shard,
        first_row,
        rows: labels.len(),
        total_rows,
    };
    Ok(Scored { info, labels, scores: out.scores, history })
}
