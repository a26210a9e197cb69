//! How numbers and JSON values are displayed (the values come from the files;
//! only their display is chosen here).

use serde_json::Value;

pub use formats::thousands;

/// Four decimals, as every loss, accuracy and P/R/F1 figure is shown.
pub(super) fn f4(x: f64) -> String {
    format!("{x:.4}")
}

/// A JSON number, if it is one.
pub(super) fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

/// A JSON number with four decimals, or `–`.
pub(super) fn show_num(v: Option<&Value>) -> String {
    num(v).map(f4).unwrap_or_else(|| "–".into())
}

/// A JSON value as plain text (`0.001`, `true`, `[28, 28, 1]`, `rmsprop`).
pub(super) fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(plain).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}
