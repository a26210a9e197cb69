//! The files the stages exchange (`docs/formats.md`): datasets as Parquet over a
//! file or a directory of part files, training histories, metrics, and atomic outputs.
//!
//! Stages never re-implement each other's I/O: `ingest` writes image datasets
//! with [`DatasetWriter`], `features` reads them with [`DatasetReader`] and
//! writes feature datasets, `train` and `evaluate` load either with
//! [`read_image_dataset`] / [`read_feature_dataset`] or [`read_any_dataset`].
//!
//! A two-image dataset written as one Parquet file and read back:
//!
//! ```
//! use formats::{read_any_dataset, read_image_dataset, AnyDataset, ImageDataset, ImageMeta};
//!
//! # fn main() -> formats::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let meta = ImageMeta {
//!     height: 2,
//!     width: 2,
//!     channels: 1,
//!     classes: vec!["dark".into(), "light".into()],
//!     source: "doctest".into(),
//! };
//! let ds = ImageDataset { meta, labels: vec![0, 1], images: vec![0, 1, 2, 3, 252, 253, 254, 255], paths: None };
//! let path = dir.path().join("tiny.parquet");
//! let summary = ds.write(&path, None)?;
//! assert_eq!((summary.rows, summary.files), (2, 1));
//!
//! let back = read_image_dataset(&path)?;
//! assert_eq!(back, ds);
//! assert_eq!(back.image(1), &[252, 253, 254, 255]);
//! assert_eq!(back.meta.classes[back.labels[1] as usize], "light");
//! assert!(matches!(read_any_dataset(&path)?, AnyDataset::Image(_)));
//!
//! // Errors are one sentence naming the file; the cause is the error's `source()`.
//! let missing = dir.path().join("missing.parquet");
//! let e = read_image_dataset(&missing).unwrap_err();
//! assert_eq!(e.to_string(), format!("cannot read dataset {}", missing.display()));
//! assert!(matches!(e, formats::Error::Io { .. }));
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod atomic;
pub mod dataset;
pub mod error;
mod guard;
pub mod history;
pub mod io;
pub mod metrics;
mod parquet_bounds;
pub mod shard;
pub mod summary;

pub use atomic::{AtomicPath, OutputSet};
pub use dataset::{
    feature_schema, image_schema, AnyDataset, DatasetKind, FeatureDataset, FeatureMeta,
    FeatureParams, HogFeatures, ImageDataset, ImageMeta, PixelFeatures, RowShape,
};
pub use error::{Error, IoAction, Result};
pub use history::{EpochRecord, History};
pub use io::{
    list_parts, read_any_dataset, read_feature_dataset, read_image_dataset, DatasetReader,
    DatasetWriter, Prefetch, WriteSummary,
};
pub use metrics::Metrics;
pub use shard::Shard;
pub use summary::Summary;

/// The run an output directory belongs to: in the pipeline's layout
/// (`out/runs/RUN/LEAF`, where LEAF is `model` or `eval`) the run's name, else the
/// directory's own name.
///
/// ```
/// use std::path::Path;
/// assert_eq!(formats::run_name(Path::new("out/runs/hog-mlp/model"), "model"), "hog-mlp");
/// assert_eq!(formats::run_name(Path::new("out/runs/cnn/eval"), "eval"), "cnn");
/// assert_eq!(formats::run_name(Path::new("results/cnn-v2"), "eval"), "cnn-v2");
/// ```
pub fn run_name(dir: &std::path::Path, leaf: &str) -> String {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let name = |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    match name(&absolute) {
        Some(n) if n == leaf => absolute.parent().and_then(name).unwrap_or(n),
        Some(n) => n,
        None => dir.display().to_string(),
    }
}

/// A count with thousands separators, as summaries and the report print weight
/// counts: `24790` → `24,790`.
///
/// ```
/// assert_eq!(formats::thousands(164_353), "164,353");
/// assert_eq!(formats::thousands(-1_000), "-1,000");
/// assert_eq!(formats::thousands(999), "999");
/// ```
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}
