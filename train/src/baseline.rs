//! `train --baseline logistic`: linfa's multinomial logistic regression as the classical
//! model the report sets beside the networks, exported to ONNX like them.
//!
//! The model is `softmax(x·W + b)` over every class of the dataset, fitted by
//! `linfa_logistic::MultiLogisticRegression` (L-BFGS, history 10, Moré–Thuente line search,
//! L2 penalty `alpha`), on features as they are or on pixels scaled to [0,1].
//! Its ONNX graph is the nets' contract: image input `uint8 [N,H,W,C]` → Cast → Div 255 →
//! Flatten (Keras order) → Gemm → Softmax → `probabilities`; feature input
//! `float32 [N,D]` → Gemm → Softmax.
//!
//! Outputs in `out_dir` (`docs/formats.md`): `model.onnx`, `summary.json`, `summary.txt`,
//! `history.parquet` (one row, "epoch" 1 = the whole L-BFGS fit). Everything is computed
//! before the first file is written, and each file is written atomically.

use std::path::Path;
use std::time::Instant;

use formats::summary::{FinalEpoch, Input, LayerRow, LossSummary};
use formats::{AnyDataset, DatasetKind, Summary};
use linfa::traits::Fit;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2};
use onnx::{Activation, GraphBuilder};
use serde_json::json;

use crate::error::{fail, Context, Error, ErrorKind, Result};
use crate::layers::thousands;

/// Solver settings. The defaults are linfa's, except `max_iterations`, which caps the fit
/// so that MNIST-10k (8k × 784) stays in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineConfig {
    /// L-BFGS iterations at most (linfa's default is also 100).
    pub max_iterations: u64,
    /// L2 penalty weight α on W in the summed loss (linfa's default 1.0); biases are not penalised.
    pub alpha: f64,
    /// Stop when the gradient norm falls below this (linfa's default 1e-4).
    pub gradient_tolerance: f64,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        Self { max_iterations: 100, alpha: 1.0, gradient_tolerance: 1e-4 }
    }
}

/// Memory of L-BFGS and line search, fixed inside linfa-logistic 0.8 (reported in the summary).
const LBFGS_HISTORY: usize = 10;
/// Keras's clipping of probabilities in its log-loss, used for the reported losses.
const LOG_LOSS_EPSILON: f64 = 1e-7;
/// Bias of a class absent from the training set: its probability is exactly 0 after softmax.
const ABSENT_CLASS_BIAS: f32 = -1e30;

pub use formats::RowShape;

/// The input as the summary table's first line names it: `image 28×28×1`, `features [392]`.
fn describe(input: &RowShape) -> String {
    match *input {
        RowShape::Image { height, width, channels } => format!("image {height}×{width}×{channels}"),
        RowShape::Features { dim } => format!("features [{dim}]"),
    }
}

/// A dataset as the regression sees it: rows of f64 in [0,1] (pixels) or as stored (features).
#[derive(Debug, Clone)]
pub struct DesignMatrix {
    /// What each row is.
    pub input: RowShape,
    /// Class names, in label order.
    pub classes: Vec<String>,
    /// One row per sample.
    pub x: Array2<f64>,
    /// Each row's class index.
    pub labels: Vec<usize>,
}

impl DesignMatrix {
    /// Converts a loaded dataset; `what` names it in errors. Labels must index `classes`.
    pub fn from_dataset(data: &AnyDataset, what: &str) -> Result<Self> {
        if data.is_empty() {
            fail!(Data, "{what} has no rows");
        }
        let mut classes = data.classes().to_vec();
        if classes.is_empty() {
            // No `classes` metadata: classes are named by their index, as for a network.
            let top = data.labels().iter().copied().max().unwrap_or(0).max(0) as usize;
            classes = (0..=top).map(|c| c.to_string()).collect();
        }
        let (input, values): (RowShape, Vec<f64>) = match data {
            AnyDataset::Image(d) => (
                RowShape::Image {
                    height: d.meta.height,
                    width: d.meta.width,
                    channels: d.meta.channels,
                },
                d.images.iter().map(|&p| p as f64 / 255.0).collect(),
            ),
            AnyDataset::Features(d) => {
                if let Some(i) = d.features.iter().position(|v| !v.is_finite()) {
                    fail!(
                        Data,
                        "{what}: row {} holds a non-finite feature value ({})",
                        i / d.meta.dim,
                        d.features[i]
                    );
                }
                (
                    RowShape::Features { dim: d.meta.dim },
                    d.features.iter().map(|&v| v as f64).collect(),
                )
            }
        };
        let mut labels = Vec::with_capacity(data.len());
        for (row, &label) in data.labels().iter().enumerate() {
            if label < 0 || label as usize >= classes.len() {
                fail!(
                    Data,
                    "{what}: row {row} has label {label}, but there are {} classes {:?}",
                    classes.len(),
                    classes
                );
            }
            labels.push(label as usize);
        }
        let x = Array2::from_shape_vec((data.len(), input.values()), values)
            .expect("one row of input.values() values per label");
        Ok(Self { input, classes, x, labels })
    }
}

/// A fitted baseline: linfa's model plus its weights over every class, ready for ONNX.
#[derive(Debug, Clone)]
pub struct LogisticBaseline {
    /// What the model reads.
    pub input: RowShape,
    /// Class names, in label order (the output's columns).
    pub classes: Vec<String>,
    /// Row-major `[D, C]` (Keras Dense layout), f32 as exported.
    pub kernel: Vec<f32>,
    /// `[C]`; `ABSENT_CLASS_BIAS` for classes without training rows.
    pub bias: Vec<f32>,
    /// Class indices linfa saw (its columns), ascending.
    pub present: Vec<usize>,
    fitted: MultiFittedLogisticRegression<f64, usize>,
}

impl LogisticBaseline {
    /// Fits the multinomial regression on `data`.
    pub fn fit(data: &DesignMatrix, config: &BaselineConfig) -> Result<Self> {
        let distinct = {
            let mut seen = vec![false; data.classes.len()];
            data.labels.iter().for_each(|&l| seen[l] = true);
            seen.iter().filter(|&&s| s).count()
        };
        if distinct < 2 {
            fail!(Data, "the training set holds only {distinct} distinct class(es); a classifier needs at least 2");
        }
        let dataset = linfa::Dataset::new(data.x.clone(), Array1::from(data.labels.clone()));
        let fitted = MultiLogisticRegression::default()
            .max_iterations(config.max_iterations)
            .alpha(config.alpha)
            .gradient_tolerance(config.gradient_tolerance)
            .fit(&dataset)
            .map_err(|e| {
                Error::new(ErrorKind::Baseline, format!("linfa's logistic regression failed: {e}"))
            })?;

        let (dim, n_classes) = (data.input.values(), data.classes.len());
        let present = fitted.classes().to_vec();
        let mut kernel = vec![0f32; dim * n_classes];
        let mut bias = vec![ABSENT_CLASS_BIAS; n_classes];
        let params = fitted.params();
        for (column, &class) in present.iter().enumerate() {
            for d in 0..dim {
                kernel[d * n_classes + class] = params[[d, column]] as f32;
            }
            bias[class] = fitted.intercept()[column] as f32;
        }
        Ok(Self { input: data.input, classes: data.classes.clone(), kernel, bias, present, fitted })
    }

    /// linfa's own probabilities (f64), one column per class of the dataset (0 for absent ones).
    pub fn probabilities(&self, x: &Array2<f64>) -> Array2<f64> {
        let linfa = self.fitted.predict_probabilities(x);
        let mut all = Array2::zeros((x.nrows(), self.classes.len()));
        for (column, &class) in self.present.iter().enumerate() {
            all.column_mut(class).assign(&linfa.column(column));
        }
        all
    }

    /// Weight count: D·C + C.
    pub fn params(&self) -> usize {
        self.kernel.len() + self.bias.len()
    }

    /// The ONNX model (see the module docs); `extra_metadata` goes into `metadata_props`.
    pub fn to_onnx(&self, extra_metadata: &[(String, String)]) -> Result<Vec<u8>> {
        let (dim, n_classes) = (self.input.values(), self.classes.len());
        let mut graph = match self.input {
            RowShape::Image { height, width, channels } => {
                let mut g = GraphBuilder::image_input(height, width, channels);
                g.flatten();
                g
            }
            RowShape::Features { dim } => GraphBuilder::feature_input(dim),
        };
        graph.dense(&self.kernel, &self.bias, dim, n_classes);
        graph.activation(Activation::Softmax);
        graph.finish(&self.classes, extra_metadata).map_err(|e| Error::passed(ErrorKind::Model, e))
    }
}

/// Mean log-loss (probabilities clipped to [ε, 1−ε] as Keras does) and accuracy.
pub fn loss_and_accuracy(probabilities: &Array2<f64>, labels: &[usize]) -> (f64, f64) {
    let mut loss = 0.0;
    let mut correct = 0usize;
    for (row, &label) in probabilities.rows().into_iter().zip(labels) {
        loss -= row[label].clamp(LOG_LOSS_EPSILON, 1.0 - LOG_LOSS_EPSILON).ln();
        // First maximum wins, like numpy's argmax.
        let best = row.iter().enumerate().fold(0, |b, (i, &p)| if p > row[b] { i } else { b });
        correct += (best == label) as usize;
    }
    let n = labels.len() as f64;
    (loss / n, correct as f64 / n)
}

/// Fits the logistic-regression baseline on `train` (feature or image dataset),
/// optionally scores `val`, and writes `model.onnx`, `summary.json`, `summary.txt`
/// and `history.parquet` into `out_dir`.
pub fn run_baseline(
    train: &std::path::Path,
    val: Option<&std::path::Path>,
    out_dir: &std::path::Path,
) -> Result<()> {
    run_baseline_with(train, val, out_dir, &BaselineConfig::default()).map(|_| ())
}

/// Train and validation figures of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineFigures {
    /// Mean log-loss on the training set.
    pub loss: f64,
    /// Accuracy on the training set.
    pub accuracy: f64,
    /// Mean log-loss on the validation set, when there is one.
    pub val_loss: Option<f64>,
    /// Accuracy on the validation set, when there is one.
    pub val_accuracy: Option<f64>,
    /// Seconds the fit took.
    pub seconds: f64,
    /// Weight count: D·C + C.
    pub params: usize,
}

/// [`run_baseline`] with explicit solver settings; returns the figures it wrote.
pub fn run_baseline_with(
    train: &Path,
    val: Option<&Path>,
    out_dir: &Path,
    config: &BaselineConfig,
) -> Result<BaselineFigures> {
    let train_what = format!("training set {}", train.display());
    let train_data = formats::read_any_dataset(train)
        .context(ErrorKind::Data, || format!("cannot read the {train_what}"))?;
    let train_data = DesignMatrix::from_dataset(&train_data, &train_what)?;
    let val_data = match val {
        Some(path) => {
            let what = format!("validation set {}", path.display());
            let data = formats::read_any_dataset(path)
                .context(ErrorKind::Data, || format!("cannot read the {what}"))?;
            let data = DesignMatrix::from_dataset(&data, &what)?;
            if data.input != train_data.input {
                fail!(
                    Data,
                    "the {what} holds {} but the training set holds {}",
                    describe(&data.input),
                    describe(&train_data.input)
                );
            }
            if data.classes != train_data.classes {
                fail!(
                    Data,
                    "the {what} has classes {:?} but the training set has {:?}",
                    data.classes,
                    train_data.classes
                );
            }
            Some(data)
        }
        None => None,
    };

    let start = Instant::now();
    let model = LogisticBaseline::fit(&train_data, config)?;
    let seconds = start.elapsed().as_secs_f64();
    let (loss, accuracy) =
        loss_and_accuracy(&model.probabilities(&train_data.x), &train_data.labels);
    let (val_loss, val_accuracy) = match &val_data {
        Some(v) => {
            let (l, a) = loss_and_accuracy(&model.probabilities(&v.x), &v.labels);
            (Some(l), Some(a))
        }
        None => (None, None),
    };
    let figures =
        BaselineFigures { loss, accuracy, val_loss, val_accuracy, seconds, params: model.params() };

    let spec = json!({
        "baseline": "logistic",
        "library": "linfa-logistic 0.8 MultiLogisticRegression",
        "max_iterations": config.max_iterations,
        "alpha": config.alpha,
        "gradient_tolerance": config.gradient_tolerance,
        "train": train.display().to_string(),
        "val": val.map(|p| p.display().to_string()),
    });
    // The same metadata keys as a network's model (export.rs), so tools read both alike.
    let input_kind = match model.input.kind() {
        DatasetKind::Image => "image",
        DatasetKind::Features => "features",
    };
    let onnx = model.to_onnx(&[
        ("spec".into(), spec.to_string()),
        ("name".into(), "logistic_baseline".into()),
        ("input_kind".into(), input_kind.into()),
    ])?;
    let summary = summary(&model, config, &figures);
    let text = summary_text(&model, config, &figures);
    let history = formats::History {
        epochs: vec![formats::EpochRecord {
            epoch: 1,
            loss: figures.loss,
            accuracy: figures.accuracy,
            val_loss: figures.val_loss,
            val_accuracy: figures.val_accuracy,
            seconds: Some(figures.seconds),
        }],
    };

    crate::output::write_run(out_dir, &onnx, &history, &summary, &text)?;
    Ok(figures)
}

fn formula(model: &LogisticBaseline) -> String {
    let (d, c) = (model.input.values(), model.classes.len());
    format!(
        "{} inputs × {} classes + {} biases = {}",
        thousands(d),
        thousands(c),
        thousands(c),
        thousands(model.params())
    )
}

const LOSS_EQUATION: &str = "L = −(1/N) Σᵢ Σₖ yᵢₖ log pᵢₖ, pᵢ = softmax(xᵢ·W + b); linfa minimises N·L + (α/2)‖W‖² (reported losses omit the penalty)";

fn summary(model: &LogisticBaseline, config: &BaselineConfig, f: &BaselineFigures) -> Summary {
    let optimizer = json!({
        "name": "L-BFGS",
        "library": "linfa-logistic 0.8 (argmin LBFGS)",
        "history_size": LBFGS_HISTORY,
        "line_search": "More-Thuente",
        "max_iterations": config.max_iterations,
        "gradient_tolerance": config.gradient_tolerance,
        "alpha": config.alpha,
        "initial_params": "zeros",
    });
    Summary {
        name: "logistic_baseline".into(),
        input: Input { kind: model.input.kind(), shape: model.input.shape(), scaling: None },
        classes: model.classes.clone(),
        layers: vec![LayerRow {
            name: "logistic_regression".into(),
            type_name: "LogisticRegression".into(),
            output_shape: vec![None, Some(model.classes.len())],
            params: model.params(),
            formula: formula(model),
            config: None,
            activation: Some("softmax".into()),
        }],
        total_params: model.params(),
        optimizer: match optimizer {
            serde_json::Value::Object(o) => o,
            _ => unreachable!("json! of an object"),
        },
        loss: LossSummary { name: "multinomial_log_loss".into(), equation: LOSS_EQUATION.into() },
        epochs: 1,
        batch_size: None,
        seed: None,
        best_epoch: Some(1),
        final_epoch: Some(FinalEpoch {
            epoch: None,
            loss: f.loss,
            accuracy: f.accuracy,
            val_loss: f.val_loss,
            val_accuracy: f.val_accuracy,
        }),
        seconds: f.seconds,
        network: None,
    }
}

fn summary_text(model: &LogisticBaseline, config: &BaselineConfig, f: &BaselineFigures) -> String {
    let mut s = String::new();
    s.push_str("Model: logistic_baseline (linfa multinomial logistic regression)\n");
    s.push_str(&format!("Input: {}\n", describe(&model.input)));
    s.push_str(&format!("Classes: {}\n\n", model.classes.join(", ")));
    s.push_str(&format!(
        "{:<42} {:<14} {:>10}   {}\n",
        "Layer (type)", "Output shape", "Params", "Formula"
    ));
    s.push_str(&format!(
        "{:<42} {:<14} {:>10}   {}\n",
        "logistic_regression (LogisticRegression)",
        format!("(None, {})", model.classes.len()),
        thousands(model.params()),
        formula(model)
    ));
    s.push_str(&format!("\nTotal params: {}\n", thousands(model.params())));
    s.push_str(&format!(
        "Optimizer: L-BFGS (linfa-logistic 0.8 / argmin), history {LBFGS_HISTORY}, More-Thuente line search, max_iterations {}, gradient_tolerance {:e}, alpha (L2) {}, start from zeros\n",
        config.max_iterations, config.gradient_tolerance, config.alpha
    ));
    s.push_str(&format!("Loss: multinomial log-loss, {LOSS_EQUATION}\n"));
    s.push_str(&format!("Train: loss {:.4}, accuracy {:.4}\n", f.loss, f.accuracy));
    if let (Some(l), Some(a)) = (f.val_loss, f.val_accuracy) {
        s.push_str(&format!("Validation: loss {l:.4}, accuracy {a:.4}\n"));
    }
    s.push_str(&format!("Fit time: {:.2} s\n", f.seconds));
    s
}
