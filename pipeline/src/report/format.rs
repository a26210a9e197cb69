//! How numbers and JSON values are displayed (the values come from the files;
//! only their display is chosen here).

use serde_json::Value;

use super::document::md_text;

pub use formats::thousands;

/// Four decimals, as every loss, accuracy and P/R/F1 figure is shown.
pub(super) fn f4(x: f64) -> String {
    format!("{x:.4}")
}

/// A figure of `metrics.json` with four decimals, or `–` for NaN (`null` in the file).
pub(super) fn show(x: f64) -> String {
    if x.is_nan() {
        "–".into()
    } else {
        f4(x)
    }
}

/// An optional figure with four decimals, or `–`.
pub(super) fn show_opt(x: Option<f64>) -> String {
    x.map(show).unwrap_or_else(|| "–".into())
}

/// A JSON value as Markdown text (`0.001`, `true`, `[28, 28, 1]`, `rmsprop`); its
/// strings come from the stage outputs, so they are escaped ([`md_text`]).
pub(super) fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => md_text(s),
        Value::Null => "none".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(plain).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}
