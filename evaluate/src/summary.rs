//! The one-screen summary `evaluate` prints on stdout.

use crate::Metrics;

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
        "  speed: {} (batch {}, {} threads)",
        speed_text(m.seconds, m.rows_per_second),
        m.batch_size,
        m.threads
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

/// Scoring time shorter than this is too short for a rows-per-second figure to mean much
/// (a timer tick and thread start-up dominate it).
const SHORTEST_RATED_SECONDS: f64 = 0.01;

/// The scoring time in a unit that shows its digits (`2.41 s`, `37.2 ms`, `< 1 ms`), with
/// the rows-per-second rate when the time is long enough to rate.
fn speed_text(seconds: f64, rows_per_second: f64) -> String {
    let time = if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 0.001 {
        format!("{:.1} ms", seconds * 1000.0)
    } else {
        "< 1 ms".to_string()
    };
    if seconds >= SHORTEST_RATED_SECONDS {
        format!("{time} scoring, {rows_per_second:.0} rows/s")
    } else {
        format!("{time} scoring, too short to rate")
    }
}

#[cfg(test)]
mod tests {
    use super::speed_text;

    #[test]
    fn speed_uses_a_unit_that_shows_the_time() {
        assert_eq!(speed_text(12.345, 8100.0), "12.35 s scoring, 8100 rows/s");
        assert_eq!(speed_text(0.0372, 5376.3), "37.2 ms scoring, 5376 rows/s");
        assert_eq!(speed_text(0.0041, 48780.0), "4.1 ms scoring, too short to rate");
        assert_eq!(speed_text(0.00004, 4942372.0), "< 1 ms scoring, too short to rate");
    }
}
