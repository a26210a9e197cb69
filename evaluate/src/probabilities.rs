//! The check that a model's output is class probabilities, not logits or other scores.

/// How far a probability may stray outside [0, 1] (float rounding of a softmax or
/// sigmoid).
pub const PROBABILITY_TOLERANCE: f32 = 1e-4;
/// How far a softmax row's sum may stray from 1.
pub const SUM_TOLERANCE: f32 = 1e-3;

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
