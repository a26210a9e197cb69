//! `train --baseline logistic`: linfa's multinomial logistic regression, exported to ONNX.
//! (Placeholder body; the real implementation follows shortly.)

use std::path::Path;

/// Fits the logistic-regression baseline on `train` (feature or image dataset),
/// optionally scores `val`, and writes `model.onnx`, `summary.json`, `summary.txt`
/// and `history.parquet` into `out_dir`.
pub fn run_baseline(train: &Path, val: Option<&Path>, out_dir: &Path) -> anyhow::Result<()> {
    let _ = (train, val, out_dir);
    anyhow::bail!("the logistic baseline is not implemented yet")
}
