//! The files the stages exchange (`docs/formats.md`): datasets as Parquet over a
//! file or a directory of part files, atomic outputs, and progress bars.
//!
//! Stages never re-implement each other's I/O: `ingest` writes image datasets
//! with [`DatasetWriter`], `features` reads them with [`DatasetReader`] and
//! writes feature datasets, `train` and `evaluate` load either with
//! [`read_image_dataset`] / [`read_feature_dataset`] or [`read_any_dataset`].

pub mod atomic;
pub mod dataset;
pub mod history;
pub mod io;
pub mod metrics;
pub mod progress;

pub use atomic::AtomicPath;
pub use history::{EpochRecord, History};
pub use metrics::Metrics;
pub use dataset::{
    feature_schema, image_schema, AnyDataset, DatasetKind, FeatureDataset, FeatureMeta,
    ImageDataset, ImageMeta,
};
pub use io::{
    list_parts, read_any_dataset, read_feature_dataset, read_image_dataset, DatasetReader,
    DatasetWriter, WriteSummary,
};

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

/// How every stage's `main` ends: `Ok` is exit status 0; an error is one line on stderr,
/// `error: ` and the whole context chain (file, then problem), and exit status 1.
pub fn exit_status(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
