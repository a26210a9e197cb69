//! `evaluate`: runs any ONNX classifier over a dataset through ONNX Runtime and
//! writes the lab's metrics, tables and pictures (`docs/evaluate.md`).
//!
//! [`evaluate`] does all the work that can fail (loading the runtime, matching the
//! model to the dataset, inference, metrics, reading the history) before
//! [`write_outputs`] writes anything, so bad input leaves no partial output.
//!
//! The figures come from [`metrics`], which needs no model:
//!
//! ```
//! use evaluate::metrics::{accuracy, argmax_rows, confusion_matrix, log_loss, macro_average, per_class, roc_auc};
//!
//! // Three classes, five samples: one row of probabilities per sample.
//! let labels = [0, 0, 1, 2, 2];
//! let probabilities = [0.8, 0.1, 0.1, /* 0 taken for 1: */ 0.4, 0.5, 0.1, 0.2, 0.7, 0.1, 0.1, 0.1, 0.8, 0.25, 0.25, 0.5];
//! let predicted = argmax_rows(&probabilities, 3);
//! assert_eq!(predicted, [0, 1, 1, 2, 2]);
//! let confusion = confusion_matrix(&labels, &predicted, 3);
//! assert_eq!(confusion, [[1, 1, 0], [0, 1, 0], [0, 0, 2]]); // confusion[true][predicted]
//! assert_eq!(accuracy(&confusion), 0.8);
//!
//! let classes = per_class(&confusion, &["cat", "dog", "fox"].map(String::from));
//! // "dog": 1 right of the 2 predicted, its 1 sample found.
//! assert_eq!((classes[1].scores.precision, classes[1].scores.recall, classes[1].support), (0.5, 1.0, 1));
//! assert!((macro_average(&classes).recall - (0.5 + 1.0 + 1.0) / 3.0).abs() < 1e-12);
//! // Log-loss: −mean ln p(true class).
//! let want = -[0.8f64, 0.4, 0.7, 0.8, 0.5].iter().map(|p| p.ln()).sum::<f64>() / 5.0;
//! assert!((log_loss(&labels, &probabilities, 3) - want).abs() < 1e-6);
//! // ROC AUC: the share of (positive, negative) pairs scored in the right order (3 of 4).
//! assert_eq!(roc_auc(&[true, false, true, false], &[0.9, 0.8, 0.3, 0.1]), 0.75);
//! ```

pub mod compare;
pub mod metrics;
pub mod model;
pub mod plots;
pub mod shard;
pub mod tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use arrow::array::{FixedSizeListArray, Float32Array, Int32Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use formats::{DatasetKind, DatasetReader};

use model::{Classifier, ModelOptions, RowShape};

/// Rows per inference batch unless `--batch-size` says otherwise: large enough
/// that per-call overhead vanishes, small enough to stay in cache-friendly memory.
pub const DEFAULT_BATCH_SIZE: usize = 512;

/// The largest `--batch-size` (shared with the manifest's `evaluation.batch_size`).
pub const MAX_BATCH_SIZE: usize = params::MAX_EVALUATION_BATCH_SIZE;

/// The largest `--scale`: pixels are at most 255, so larger multipliers only make
/// inputs no model was trained on.
pub const MAX_SCALE: f32 = 1000.0;

/// How far a probability may stray outside [0, 1] (float rounding of a softmax or
/// sigmoid), and how far a softmax row's sum from 1.
pub const PROBABILITY_TOLERANCE: f32 = 1e-4;
pub const SUM_TOLERANCE: f32 = 1e-3;

/// What to evaluate and how (the CLI's flags).
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub model: PathBuf,
    pub data: PathBuf,
    /// A `history.parquet` for the curves; default: the one beside the model, if any.
    pub history: Option<PathBuf>,
    /// Binary case: predict the positive class when P(positive) ≥ threshold.
    pub threshold: f64,
    /// Binary case: report the largest threshold whose recall reaches this.
    pub min_recall: Option<f64>,
    pub batch_size: usize,
    pub model_options: ModelOptions,
    /// Map the dataset's labels onto the model's `classes` by name.
    pub labels_from_model: bool,
    /// `--shard K/N`: score only those rows ([`shard`]); the figures come from
    /// `evaluate merge` over all N.
    pub shard: formats::Shard,
}

impl EvalOptions {
    pub fn new(model: &Path, data: &Path) -> Self {
        Self {
            model: model.to_path_buf(),
            data: data.to_path_buf(),
            history: None,
            threshold: 0.5,
            min_recall: None,
            batch_size: DEFAULT_BATCH_SIZE,
            model_options: ModelOptions::default(),
            labels_from_model: false,
            shard: formats::Shard::WHOLE,
        }
    }
}

pub use formats::metrics::Metrics;

/// One evaluated run: the metrics and what the files are made from.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub metrics: Metrics,
    pub labels: Vec<i32>,
    pub predicted: Vec<i32>,
    /// Row-major probabilities, `metrics.classes.len()` per row.
    pub scores: Vec<f32>,
    pub history: Option<formats::History>,
}

/// The model's probabilities for the rows of a dataset (or of one shard of it), with
/// what the figures need besides: everything before the metrics.
#[derive(Debug, Clone)]
pub struct Scored {
    pub info: shard::RunInfo,
    /// Dataset labels as model class indices.
    pub labels: Vec<i32>,
    /// Row-major probabilities, `info.classes.len()` per row.
    pub scores: Vec<f32>,
    /// The training history at `info.history`, read once (not stored in a shard).
    pub history: Option<formats::History>,
}

/// Runs the model over the dataset and computes every figure; writes nothing.
pub fn evaluate(opts: &EvalOptions) -> Result<Evaluation> {
    finish(score(opts)?)
}

/// Runs the model over the dataset's rows (those of `opts.shard`) and checks the
/// scores; computes no figure and writes nothing.
pub fn score(opts: &EvalOptions) -> Result<Scored> {
    if !(1..=MAX_BATCH_SIZE).contains(&opts.batch_size) {
        bail!("--batch-size must be 1..={MAX_BATCH_SIZE}, got {}", opts.batch_size);
    }
    if let Some(n) = opts.model_options.threads {
        model::check_threads(n)?;
    }
    if !(0.0..=1.0).contains(&opts.threshold) {
        bail!("--threshold {} is not a probability between 0 and 1", opts.threshold);
    }
    if let Some(r) = opts.min_recall {
        if !(0.0..=1.0).contains(&r) {
            bail!("--min-recall {r} is not a fraction between 0 and 1");
        }
    }
    if let Some(s) = opts.model_options.scale {
        if !(s.is_finite() && s > 0.0) {
            bail!("--scale {s} is not a finite number > 0");
        }
        if s > MAX_SCALE {
            bail!("--scale must be at most {MAX_SCALE}, got {s}");
        }
    }
    let reader = DatasetReader::open_with_batch_rows(&opts.data, opts.batch_size)?;
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
                bail!("history {} does not exist (--history)", h.display());
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
        bail!("dataset {dataset} holds no rows: there is nothing to evaluate");
    }
    // A NaN or infinite score would silently count as a wrong (or right) prediction.
    if let Some(i) = out.scores.iter().position(|v| !v.is_finite()) {
        bail!(
            "model {model} gives a non-finite score ({}) for row {} of dataset {dataset}",
            out.scores[i],
            i / c.max(1)
        );
    }
    check_probabilities(&mut out.scores, c, out.sigmoid, first_row).map_err(|problem| {
        anyhow::anyhow!(
            "model {model} output {} does not give probabilities on dataset {dataset}: {problem}; evaluate needs each row's class probabilities (a softmax or sigmoid output), not logits or other scores",
            classifier.describe_output()
        )
    })?;

    if c != 2 {
        // Both only mean something for a positive class; silently ignoring them would
        // let a user believe they applied.
        if let Some(r) = opts.min_recall {
            bail!(
                "--min-recall {r} applies to binary models, but model {model} scores {c} classes"
            );
        }
        if opts.threshold != 0.5 {
            bail!(
                "--threshold {} applies to binary models, but model {model} scores {c} classes (the prediction is the most probable class)",
                opts.threshold
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
        bail!(
            "dataset {dataset} row {row} has label {} but model {model} scores {c} classes ({})",
            out.labels[row],
            names.join(", ")
        );
    }
    let info = shard::RunInfo {
        model,
        data: dataset,
        history: history_path.map(|h| h.display().to_string()),
        classes: names,
        input: classifier.describe_input(),
        output: classifier.describe_output(),
        score_transform: "none".to_string(),
        batch_size: opts.batch_size,
        threads: classifier.threads,
        seconds: out.seconds,
        threshold: opts.threshold,
        min_recall: opts.min_recall,
        shard: opts.shard,
        first_row,
        rows: labels.len(),
        total_rows,
    };
    Ok(Scored { info, labels, scores: out.scores, history })
}

/// Every figure from the scores of all rows (one run, or the shards merged).
pub fn finish(scored: Scored) -> Result<Evaluation> {
    let Scored { info, labels, scores, history } = scored;
    let (names, c) = (info.classes.clone(), info.classes.len());
    if labels.is_empty() {
        bail!("dataset {} holds no rows: there is nothing to evaluate", info.data);
    }
    let predicted = predict_classes(&scores, c, info.threshold);
    let confusion = metrics::confusion_matrix(&labels, &predicted, c);
    let per_class = metrics::per_class(&confusion, &names);
    let binary = (c == 2).then(|| {
        let positive: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
        let p: Vec<f64> = scores.chunks_exact(2).map(|r| r[1] as f64).collect();
        metrics::binary_metrics(&positive, &p, info.threshold, info.min_recall, &names[1])
    });
    let n = labels.len();
    let metrics = Metrics {
        rows: n,
        classes: names.clone(),
        accuracy: metrics::accuracy(&confusion),
        log_loss: metrics::log_loss(&labels, &scores, c),
        macro_avg: metrics::macro_average(&per_class),
        weighted: metrics::weighted_average(&per_class),
        per_class,
        top_confused: metrics::top_confused(&confusion, &names, metrics::TOP_CONFUSED),
        confusion,
        binary,
        model: info.model,
        data: info.data,
        history: info.history,
        input: info.input,
        output: info.output,
        score_transform: info.score_transform,
        batch_size: info.batch_size,
        threads: info.threads,
        seconds: info.seconds,
        rows_per_second: if info.seconds > 0.0 { n as f64 / info.seconds } else { 0.0 },
    };
    Ok(Evaluation { metrics, labels, predicted, scores, history })
}

/// The predicted class of each row. Binary: the threshold on P(positive) decides,
/// not the argmax.
pub fn predict_classes(scores: &[f32], classes: usize, threshold: f64) -> Vec<i32> {
    if classes == 2 {
        scores.chunks_exact(2).map(|r| (r[1] as f64 >= threshold) as i32).collect()
    } else {
        metrics::argmax_rows(scores, classes)
    }
}

/// Class names, and (with `--labels-from-model`) the map dataset label → model index.
fn class_names(
    dataset_classes: &[String],
    model_classes: Option<&[String]>,
    c: usize,
    labels_from_model: bool,
    model: &str,
    dataset: &str,
    output: &str,
) -> Result<(Vec<String>, Option<Vec<i32>>)> {
    if labels_from_model {
        let Some(mc) = model_classes else {
            bail!("--labels-from-model: model {model} has no `classes` in its metadata to match dataset {dataset}'s labels against");
        };
        if mc.len() != c {
            bail!(
                "model {model} names {} classes in its metadata but its output {output} scores {c}",
                mc.len()
            );
        }
        if dataset_classes.is_empty() {
            bail!(
                "--labels-from-model: dataset {dataset} has no `classes` metadata to match by name"
            );
        }
        let map = dataset_classes
            .iter()
            .map(|name| {
                mc.iter().position(|m| m == name).map(|i| i as i32).with_context(|| {
                    format!("dataset {dataset} class `{name}` is not among model {model}'s classes ({})", mc.join(", "))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok((mc.to_vec(), Some(map)));
    }
    if !dataset_classes.is_empty() {
        if dataset_classes.len() != c {
            bail!(
                "model {model} output {output} scores {c} classes but dataset {dataset} names {} ({})",
                dataset_classes.len(),
                dataset_classes.join(", ")
            );
        }
        if let Some(mc) = model_classes {
            if mc != dataset_classes {
                eprintln!(
                    "warning: model {model} names its classes {} but dataset {dataset} names them {}; labels are matched by index (use --labels-from-model to match by name)",
                    mc.join(", "),
                    dataset_classes.join(", ")
                );
            }
        }
        return Ok((dataset_classes.to_vec(), None));
    }
    if let Some(mc) = model_classes.filter(|mc| mc.len() == c) {
        return Ok((mc.to_vec(), None));
    }
    Ok(((0..c).map(|k| k.to_string()).collect(), None))
}

/// Checks that `scores` (row-major, `classes` per row) are probabilities: every value
/// in [0, 1] and every row summing to 1, within [`PROBABILITY_TOLERANCE`] and
/// [`SUM_TOLERANCE`]; a single sigmoid column (`sigmoid`, expanded to `[1 − p, p]`)
/// only needs p in [0, 1]. Values within the tolerance outside [0, 1] are clamped.
/// The error says which row (counted from `first_row`, the shard's place among all
/// rows) and why.
pub fn check_probabilities(
    scores: &mut [f32],
    classes: usize,
    sigmoid: bool,
    first_row: usize,
) -> std::result::Result<(), String> {
    let range = -PROBABILITY_TOLERANCE..=1.0 + PROBABILITY_TOLERANCE;
    for (i, values) in scores.chunks_exact(classes.max(1)).enumerate() {
        let row = first_row + i;
        let shown = if sigmoid { &values[1..] } else { values };
        if let Some(v) = shown.iter().find(|v| !range.contains(*v)) {
            return Err(format!("row {row} holds {v}, outside [0, 1]"));
        }
        let sum: f32 = values.iter().sum();
        if !sigmoid && (sum - 1.0).abs() > SUM_TOLERANCE {
            return Err(format!("row {row} sums to {sum}, not 1"));
        }
    }
    scores.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
    Ok(())
}

/// Every file an evaluation directory can hold: the set that replaces the previous one.
pub const OUTPUTS: &[&str] = &[
    "metrics.json",
    "predictions.parquet",
    "per_class.parquet",
    "confusion.parquet",
    "confusion.png",
    "curves.png",
    "roc.png",
];

/// Writes metrics.json, predictions.parquet, per_class.parquet, confusion.parquet,
/// confusion.png, curves.png (with a history) and roc.png (binary) into `out`, as one
/// set ([`formats::OutputSet`]: the old set or the new one, never a mix).
pub fn write_outputs(ev: &Evaluation, out: &Path) -> Result<Vec<PathBuf>> {
    let stage = formats::OutputSet::new(out, OUTPUTS)?;
    let m = &ev.metrics;
    let json = serde_json::to_string_pretty(m)? + "\n";
    std::fs::write(stage.path("metrics.json"), json).context("cannot write metrics.json")?;
    let (classes, path) = (&ev.metrics.classes, stage.path("predictions.parquet"));
    write_predictions(classes, 0, &ev.labels, &ev.predicted, &ev.scores, &path)?;
    tables::write_parquet(&mut tables::per_class_frame(m)?, &stage.path("per_class.parquet"))?;
    tables::write_parquet(&mut tables::confusion_frame(m)?, &stage.path("confusion.parquet"))?;
    let run = plots::run_name(&m.model);
    plots::confusion_png(m, &stage.path("confusion.png"))?;
    if let Some(h) = &ev.history {
        plots::curves_png(h, run.as_deref(), &stage.path("curves.png"))?;
    }
    if let Some(b) = &m.binary {
        plots::roc_png(b, run.as_deref(), &stage.path("roc.png"))?;
    }
    Ok(stage.commit()?)
}

/// `predictions.parquet`: `row: int64, label: int32, predicted: int32,
/// scores: fixed_size_list<float32>[C]`; schema metadata `classes`. Rows are numbered
/// from `first_row` (a shard's place in the dataset).
pub fn write_predictions(
    classes: &[String],
    first_row: usize,
    labels: &[i32],
    predicted: &[i32],
    scores: &[f32],
    path: &Path,
) -> Result<()> {
    let c = classes.len();
    let item = Arc::new(Field::new("item", DataType::Float32, false));
    let schema = Arc::new(Schema::new_with_metadata(
        vec![
            Field::new("row", DataType::Int64, false),
            Field::new("label", DataType::Int32, false),
            Field::new("predicted", DataType::Int32, false),
            Field::new("scores", DataType::FixedSizeList(item.clone(), c as i32), false),
        ],
        std::collections::HashMap::from([("classes".to_string(), serde_json::to_string(classes)?)]),
    ));
    let n = labels.len() as i64;
    let first = first_row as i64;
    let scores = FixedSizeListArray::try_new(
        item,
        c as i32,
        Arc::new(Float32Array::from(scores.to_vec())),
        None,
    )?;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(first..first + n)),
            Arc::new(Int32Array::from(labels.to_vec())),
            Arc::new(Int32Array::from(predicted.to_vec())),
            Arc::new(scores),
        ],
    )?;
    formats::io::write_batches(path, schema, &[batch], None)?;
    Ok(())
}

/// The one-screen summary printed on stdout.
pub fn summary(m: &Metrics) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "model {} on {}: {} rows, {} classes",
        m.model,
        m.data,
        m.rows,
        m.classes.len()
    );
    let _ = writeln!(
        s,
        "  input {} ; output {}{}",
        m.input,
        m.output,
        match m.score_transform.as_str() {
            "none" => String::new(),
            t => format!(" (raw scores, {t} applied)"),
        }
    );
    let _ = writeln!(
        s,
        "  accuracy {:.4}   log-loss {:.4}   macro F1 {:.4}   weighted F1 {:.4}",
        m.accuracy, m.log_loss, m.macro_avg.f1, m.weighted.f1
    );
    let _ = writeln!(
        s,
        "  speed: {:.3} s of inference, {:.0} rows/s (batch {}, {} threads)",
        m.seconds, m.rows_per_second, m.batch_size, m.threads
    );
    let width = m.classes.iter().map(|c| c.chars().count()).max().unwrap_or(5).clamp(8, 24);
    let _ = writeln!(s, "\n  {:<width$}  precision  recall      f1  support", "class");
    for c in &m.per_class {
        let _ = writeln!(
            s,
            "  {:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
            c.class, c.scores.precision, c.scores.recall, c.scores.f1, c.support
        );
    }
    let _ = writeln!(
        s,
        "  {:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
        "macro", m.macro_avg.precision, m.macro_avg.recall, m.macro_avg.f1, m.rows
    );
    let _ = writeln!(
        s,
        "  {:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
        "weighted", m.weighted.precision, m.weighted.recall, m.weighted.f1, m.rows
    );
    if !m.top_confused.is_empty() {
        let _ = writeln!(s, "\n  most confused:");
        for c in m.top_confused.iter().take(5) {
            let _ = writeln!(s, "    {}", c.sentence());
        }
    }
    if let Some(b) = &m.binary {
        let _ = writeln!(
            s,
            "\n  binary (positive = {}): ROC-AUC {:.4}; at threshold {:.3}: precision {:.4}, recall {:.4}, F1 {:.4}",
            b.positive_class, b.roc_auc, b.threshold, b.at_threshold.precision, b.at_threshold.recall, b.at_threshold.f1
        );
        let _ = writeln!(s, "  best F1 {:.4} at threshold {:.4}", b.best_f1, b.best_f1_threshold);
        if let Some(r) = b.min_recall {
            match (b.threshold_for_min_recall, b.precision_at_min_recall) {
                (Some(t), Some(p)) => {
                    let _ = writeln!(s, "  recall ≥ {r}: threshold {t:.4} (precision {p:.4})");
                }
                _ => {
                    let _ = writeln!(s, "  recall ≥ {r}: not reachable");
                }
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_probabilities_are_accepted() {
        let mut p = vec![0.2f32, 0.8, 0.5, 0.5];
        assert_eq!(check_probabilities(&mut p, 2, false, 0), Ok(()));
        assert_eq!(p, vec![0.2, 0.8, 0.5, 0.5]);
        // Float rounding of a softmax is clamped, not refused.
        let mut r = vec![1.00001f32, -0.00001];
        assert_eq!(check_probabilities(&mut r, 2, false, 0), Ok(()));
        assert_eq!(r, vec![1.0, 0.0]);
        // ±100 logits, probabilities that do not sum to 1, a sigmoid column outside [0, 1].
        let mut logits = vec![0.3f32, 0.7, 100.0, -100.0];
        assert_eq!(
            check_probabilities(&mut logits, 2, false, 10),
            Err("row 11 holds 100, outside [0, 1]".to_string())
        );
        let mut halves = vec![0.5f32, 0.5, 0.5, 0.5, 0.5, 0.5];
        assert_eq!(
            check_probabilities(&mut halves, 3, false, 0),
            Err("row 0 sums to 1.5, not 1".to_string())
        );
        let mut sigmoid = vec![1.0f32 - 2.0, 2.0];
        assert_eq!(
            check_probabilities(&mut sigmoid, 2, true, 0),
            Err("row 0 holds 2, outside [0, 1]".to_string())
        );
    }
}
