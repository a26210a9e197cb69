//! The lab's metrics, from true labels and class probabilities.
//!
//! Conventions follow scikit-learn (`precision_recall_fscore_support` with
//! `zero_division=0`, `roc_auc_score`) and Keras (log-loss clips probabilities to
//! `[1e-7, 1 − 1e-7]`, Keras's `epsilon()`), so figures can be checked against either.

/// Keras's `epsilon()`: probabilities are clipped to `[EPS, 1 − EPS]` before the log.
pub const LOG_LOSS_EPS: f64 = 1e-7;

/// How many confused pairs `metrics.json` lists.
pub const TOP_CONFUSED: usize = 10;

pub use formats::metrics::{BinaryMetrics, ClassMetrics, Confused, Scores};

/// `confusion[true][predicted]` counts.
pub fn confusion_matrix(labels: &[i32], predicted: &[i32], classes: usize) -> Vec<Vec<u64>> {
    let mut m = vec![vec![0u64; classes]; classes];
    for (&t, &p) in labels.iter().zip(predicted) {
        m[t as usize][p as usize] += 1;
    }
    m
}

/// The index of the largest score in each row (the first one on ties, as numpy's argmax).
pub fn argmax_rows(scores: &[f32], classes: usize) -> Vec<i32> {
    scores
        .chunks_exact(classes)
        .map(|row| {
            let mut best = 0;
            for (k, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = k;
                }
            }
            best as i32
        })
        .collect()
}

/// The share of rows on the confusion matrix's diagonal (0 for no rows).
pub fn accuracy(confusion: &[Vec<u64>]) -> f64 {
    let total: u64 = confusion.iter().flatten().sum();
    let right: u64 = (0..confusion.len()).map(|k| confusion[k][k]).sum();
    ratio(right, total)
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn f1_of(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// Per-class precision/recall/F1/support (scikit-learn's `zero_division=0`).
pub fn per_class(confusion: &[Vec<u64>], names: &[String]) -> Vec<ClassMetrics> {
    let c = confusion.len();
    (0..c)
        .map(|k| {
            let tp = confusion[k][k];
            let predicted: u64 = (0..c).map(|t| confusion[t][k]).sum();
            let support: u64 = confusion[k].iter().sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            ClassMetrics {
                class: names[k].clone(),
                scores: Scores { precision, recall, f1: f1_of(precision, recall) },
                support,
            }
        })
        .collect()
}

/// The unweighted mean over classes (scikit-learn's `average="macro"`).
pub fn macro_average(per_class: &[ClassMetrics]) -> Scores {
    let n = per_class.len().max(1) as f64;
    Scores {
        precision: per_class.iter().map(|m| m.scores.precision).sum::<f64>() / n,
        recall: per_class.iter().map(|m| m.scores.recall).sum::<f64>() / n,
        f1: per_class.iter().map(|m| m.scores.f1).sum::<f64>() / n,
    }
}

/// The support-weighted mean over classes (scikit-learn's `average="weighted"`).
pub fn weighted_average(per_class: &[ClassMetrics]) -> Scores {
    let total: u64 = per_class.iter().map(|m| m.support).sum();
    let w = |f: fn(&ClassMetrics) -> f64| {
        if total == 0 {
            0.0
        } else {
            per_class.iter().map(|m| f(m) * m.support as f64).sum::<f64>() / total as f64
        }
    };
    Scores {
        precision: w(|m| m.scores.precision),
        recall: w(|m| m.scores.recall),
        f1: w(|m| m.scores.f1),
    }
}

/// Mean cross-entropy −(1/N) Σ log p(true class), probabilities clipped to
/// `[LOG_LOSS_EPS, 1 − LOG_LOSS_EPS]` as Keras does.
pub fn log_loss(labels: &[i32], probabilities: &[f32], classes: usize) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let sum: f64 = labels
        .iter()
        .zip(probabilities.chunks_exact(classes))
        .map(|(&t, row)| -(row[t as usize] as f64).clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS).ln())
        .sum();
    sum / labels.len() as f64
}

/// The largest off-diagonal cells, largest first (ties: by true, then predicted class).
pub fn top_confused(confusion: &[Vec<u64>], names: &[String], limit: usize) -> Vec<Confused> {
    let mut cells: Vec<(u64, usize, usize)> = Vec::new();
    for (t, row) in confusion.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            if t != p && count > 0 {
                cells.push((count, t, p));
            }
        }
    }
    cells.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    cells
        .into_iter()
        .take(limit)
        .map(|(count, t, p)| Confused {
            true_class: names[t].clone(),
            predicted: names[p].clone(),
            count,
        })
        .collect()
}

/// Area under the ROC curve by the rank statistic (Mann–Whitney U), ties counted
/// half — the same value as scikit-learn's `roc_auc_score`. `NaN` when one class is absent.
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    // Average ranks (1-based) over tied groups.
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum_pos += order[i..=j].iter().filter(|&&k| positive[k]).count() as f64 * avg_rank;
        i = j + 1;
    }
    (rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// Counts at one threshold: a row is predicted positive when `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counts {
    /// Positive rows predicted positive.
    pub tp: u64,
    /// Negative rows predicted positive.
    pub fp: u64,
    /// Positive rows predicted negative (`fn` is a keyword).
    pub fn_: u64,
    /// Negative rows predicted negative.
    pub tn: u64,
}

impl Counts {
    /// The counts when rows scoring at least `threshold` are predicted positive.
    pub fn at(positive: &[bool], scores: &[f64], threshold: f64) -> Self {
        let mut c = Counts { tp: 0, fp: 0, fn_: 0, tn: 0 };
        for (&p, &s) in positive.iter().zip(scores) {
            match (p, s >= threshold) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                (false, false) => c.tn += 1,
            }
        }
        c
    }
    /// TP / (TP + FP); 0 when nothing is predicted positive.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    /// TP / (TP + FN); 0 when there is no positive row.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        f1_of(self.precision(), self.recall())
    }
}

/// One point of the threshold sweep: predicting positive for `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepPoint {
    /// The threshold of this point.
    pub threshold: f64,
    /// The counts at it.
    pub counts: Counts,
}

/// Every distinct score as a threshold, highest first (so recall grows along the list).
pub fn threshold_sweep(positive: &[bool], scores: &[f64]) -> Vec<SweepPoint> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let n_pos = positive.iter().filter(|&&p| p).count() as u64;
    let n_neg = positive.len() as u64 - n_pos;
    let mut points = Vec::new();
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut i = 0;
    while i < order.len() {
        let threshold = scores[order[i]];
        while i < order.len() && scores[order[i]] == threshold {
            if positive[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        points.push(SweepPoint {
            threshold,
            counts: Counts { tp, fp, fn_: n_pos - tp, tn: n_neg - fp },
        });
    }
    points
}

/// ROC-AUC, the figures at `threshold`, the best-F1 threshold and the threshold
/// reaching `min_recall`, for P(positive) `scores`.
pub fn binary_metrics(
    positive: &[bool],
    scores: &[f64],
    threshold: f64,
    min_recall: Option<f64>,
    positive_class: &str,
) -> BinaryMetrics {
    let at = Counts::at(positive, scores, threshold);
    let sweep = threshold_sweep(positive, scores);
    // Highest F1; on ties the higher threshold (fewer false alarms), which comes first.
    let mut best = (f64::NAN, -1.0);
    for p in &sweep {
        if p.counts.f1() > best.1 {
            best = (p.threshold, p.counts.f1());
        }
    }
    // The largest threshold whose recall reaches the target: the best precision
    // that still meets it, as recall only grows when the threshold falls.
    let reach = min_recall.and_then(|r| sweep.iter().find(|p| p.counts.recall() >= r));
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    let mut roc_fpr = vec![0.0];
    let mut roc_tpr = vec![0.0];
    let mut roc_thresholds = vec![f64::INFINITY];
    for p in &sweep {
        roc_thresholds.push(p.threshold);
        roc_fpr.push(if n_neg > 0.0 { p.counts.fp as f64 / n_neg } else { 0.0 });
        roc_tpr.push(if n_pos > 0.0 { p.counts.tp as f64 / n_pos } else { 0.0 });
    }
    BinaryMetrics {
        positive_class: positive_class.to_string(),
        roc_auc: roc_auc(positive, scores),
        threshold,
        at_threshold: Scores { precision: at.precision(), recall: at.recall(), f1: at.f1() },
        best_f1_threshold: best.0,
        best_f1: best.1.max(0.0),
        min_recall,
        threshold_for_min_recall: reach.map(|p| p.threshold),
        precision_at_min_recall: reach.map(|p| p.counts.precision()),
        roc_fpr,
        roc_tpr,
        roc_thresholds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|k| k.to_string()).collect()
    }

    // Hand-worked example: 3 classes, 8 rows.
    //   true:      0 0 0 1 1 1 2 2
    //   predicted: 0 0 1 1 1 2 2 0
    // confusion rows (true) = [[2,1,0],[0,2,1],[1,0,1]]
    // class 0: tp 2, predicted 3, support 3 → P 2/3, R 2/3, F1 2/3
    // class 1: tp 2, predicted 3, support 3 → P 2/3, R 2/3, F1 2/3
    // class 2: tp 1, predicted 2, support 2 → P 1/2, R 1/2, F1 1/2
    // accuracy 5/8; macro F1 (2/3+2/3+1/2)/3 = 11/18; weighted F1 (3·2/3+3·2/3+2·1/2)/8 = 5/8
    const T: [i32; 8] = [0, 0, 0, 1, 1, 1, 2, 2];
    const P: [i32; 8] = [0, 0, 1, 1, 1, 2, 2, 0];

    #[test]
    fn confusion_and_per_class_by_hand() {
        let m = confusion_matrix(&T, &P, 3);
        assert_eq!(m, vec![vec![2, 1, 0], vec![0, 2, 1], vec![1, 0, 1]]);
        assert_eq!(accuracy(&m), 5.0 / 8.0);
        let pc = per_class(&m, &names(3));
        assert!((pc[0].scores.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((pc[2].scores.recall - 0.5).abs() < 1e-12);
        assert_eq!(pc.iter().map(|c| c.support).collect::<Vec<_>>(), vec![3, 3, 2]);
        let mac = macro_average(&pc);
        assert!((mac.f1 - 11.0 / 18.0).abs() < 1e-12);
        let w = weighted_average(&pc);
        assert!((w.f1 - 5.0 / 8.0).abs() < 1e-12);
        assert!((w.recall - 5.0 / 8.0).abs() < 1e-12, "weighted recall equals accuracy");
    }

    #[test]
    fn class_never_predicted_has_zero_precision_not_nan() {
        let m = confusion_matrix(&[0, 1], &[0, 0], 2);
        let pc = per_class(&m, &names(2));
        assert_eq!((pc[1].scores.precision, pc[1].scores.recall, pc[1].scores.f1), (0.0, 0.0, 0.0));
        assert_eq!(pc[0].scores.precision, 0.5);
    }

    #[test]
    fn top_confused_in_words_largest_first() {
        let m = vec![vec![5, 0, 3], vec![22, 1, 0], vec![3, 0, 0]];
        let top = top_confused(&m, &names(3), 10);
        let words: Vec<String> = top.iter().map(Confused::sentence).collect();
        assert_eq!(
            words,
            vec![
                "1 predicted as 0: 22 times",
                "0 predicted as 2: 3 times",
                "2 predicted as 0: 3 times"
            ]
        );
        assert_eq!(top_confused(&m, &names(3), 1).len(), 1);
        assert_eq!(
            Confused { true_class: "a".into(), predicted: "b".into(), count: 1 }.sentence(),
            "a predicted as b: 1 time"
        );
    }

    #[test]
    fn log_loss_by_hand_and_clipped() {
        // rows: p(true) = 0.5 and 0.25 → (ln 2 + ln 4) / 2 = 1.5 ln 2
        let probs = [0.5f32, 0.5, 0.75, 0.25];
        assert!((log_loss(&[0, 1], &probs, 2) - 1.5 * 2f64.ln()).abs() < 1e-7);
        // a zero probability is clipped to 1e-7, not infinite
        let l = log_loss(&[1], &[1.0, 0.0], 2);
        assert!((l - (-(1e-7f64).ln())).abs() < 1e-9);
    }

    #[test]
    fn argmax_takes_first_on_ties() {
        assert_eq!(argmax_rows(&[0.2, 0.5, 0.3, 0.4, 0.4, 0.2], 3), vec![1, 0]);
    }

    #[test]
    fn roc_auc_by_hand_with_ties() {
        // positives 0.9, 0.4 ; negatives 0.4, 0.1 → pairs: (0.9>0.4)1 (0.9>0.1)1 (0.4=0.4)½ (0.4>0.1)1 → 3.5/4
        let pos = [true, true, false, false];
        let s = [0.9, 0.4, 0.4, 0.1];
        assert!((roc_auc(&pos, &s) - 0.875).abs() < 1e-12);
        assert!(roc_auc(&[true, true], &[0.1, 0.2]).is_nan());
        // perfect separation
        assert_eq!(roc_auc(&[false, true], &[0.1, 0.2]), 1.0);
    }

    #[test]
    fn thresholds_by_hand() {
        // scores (desc): 0.9 P, 0.8 N, 0.7 P, 0.3 P, 0.2 N
        let pos = [true, false, true, true, false];
        let s = [0.9, 0.8, 0.7, 0.3, 0.2];
        // t=0.9: tp1 fp0 → P1 R1/3 F1 .5 ; t=0.8: tp1 fp1 → P.5 R1/3 F1 .4
        // t=0.7: tp2 fp1 → P2/3 R2/3 F1 2/3 ; t=0.3: tp3 fp1 → P3/4 R1 F1 6/7 ; t=0.2: P.6 R1 F1 .75
        let b = binary_metrics(&pos, &s, 0.5, Some(0.6), "PNEUMONIA");
        assert_eq!(b.best_f1_threshold, 0.3);
        assert!((b.best_f1 - 6.0 / 7.0).abs() < 1e-12);
        assert_eq!(b.threshold_for_min_recall, Some(0.7));
        assert!((b.precision_at_min_recall.unwrap() - 2.0 / 3.0).abs() < 1e-12);
        // at 0.5: tp 2 (0.9,0.7), fp 1 (0.8), fn 1 (0.3)
        assert!(
            (b.at_threshold.precision - 2.0 / 3.0).abs() < 1e-12
                && (b.at_threshold.recall - 2.0 / 3.0).abs() < 1e-12
        );
        assert_eq!(b.roc_fpr, vec![0.0, 0.0, 0.5, 0.5, 0.5, 1.0]);
        assert_eq!(b.roc_tpr.len(), 6);
        assert_eq!(*b.roc_tpr.last().unwrap(), 1.0);
        // AUC: positive-negative pairs won: 0.9 beats both(2), 0.7 beats 0.2(1), 0.3 beats 0.2(1) → 4/6
        assert!((b.roc_auc - 4.0 / 6.0).abs() < 1e-12);
        // unreachable target → none
        let none = binary_metrics(&[false, false, true], &[0.1, 0.2, 0.3], 0.5, None, "x");
        assert_eq!(none.threshold_for_min_recall, None);
    }
}
