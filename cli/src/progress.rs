//! Progress bars on long work, drawn on stderr only when it is a terminal.

use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: every bar made after this is hidden.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A bar over `total` items labelled `what` (e.g. "images"); hidden after
/// [`set_quiet`]`(true)`.
pub fn bar(total: u64, what: &str) -> ProgressBar {
    if QUIET.load(Ordering::Relaxed) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} [{{elapsed_precise}}] {{bar:40}} {{pos}}/{{len}} {what} ({{rate}}, eta {{eta}}) {{msg}}"
        ))
        .expect("a valid template")
        .with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&rate_text(state.per_sec()));
        }),
    );
    bar
}

/// Items per second as a person reads them: `36,538/s`, `12.5/s`, `0.42/s`
/// (indicatif's own `{per_sec}` prints `36,537.5873/s`).
pub fn rate_text(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "–/s".to_string()
    } else if per_sec >= 100.0 {
        format!("{}/s", formats::thousands(per_sec.round() as i64))
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.2}/s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_are_rounded_for_reading() {
        assert_eq!(super::rate_text(36537.5873), "36,538/s");
        assert_eq!(super::rate_text(12.46), "12.5/s");
        assert_eq!(super::rate_text(0.4213), "0.42/s");
        assert_eq!(super::rate_text(0.0), "–/s");
    }
}
