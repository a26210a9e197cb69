//! The figures of an evaluation, from the scores of all its rows: predictions,
//! confusion matrix, per-class and averaged scores, the binary figures.

use crate::error::{fail, Result};
use crate::metrics;
use crate::score::Scored;
use crate::Metrics;

/// One evaluated run: the metrics and what the files are made from.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Every figure, as `metrics.json` holds them.
    pub metrics: Metrics,
    /// Each row's true class (a model class index).
    pub labels: Vec<i32>,
    /// Each row's predicted class ([`predict_classes`]).
    pub predicted: Vec<i32>,
    /// Row-major probabilities, `metrics.classes.len()` per row.
    pub scores: Vec<f32>,
    /// The training history the curves are drawn from, if any.
    pub history: Option<formats::History>,
}

/// Every figure from the scores of all rows (one run, or the shards merged).
pub fn finish(scored: Scored) -> Result<Evaluation> {
    let Scored { info, labels, scores, history } = scored;
    let (names, c) = (info.classes.clone(), info.classes.len());
    if labels.is_empty() {
        fail!(Input, "dataset {} holds no rows: there is nothing to evaluate", info.data);
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
