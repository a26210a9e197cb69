//! The `ingest` stage: raw data → image datasets (`docs/formats.md`).
//!
//! * [`idx::run_idx`]: MNIST-style IDX files (gzip or raw) → Parquet, with an
//!   optional stratified, seeded validation split.
//! * [`folders::run_folders`]: class-per-folder JPEG/PNG trees (the Kaggle chest
//!   X-ray layout) → Parquet, decoded in parallel, DCT-scaled, resized.
//! * [`synth::run_synth`]: a SYNTHETIC X-ray-like JPEG tree for tests and the demo.
//!
//! `main.rs` only parses flags; tests call these functions directly. Every failure is
//! an [`Error`]: its [`ErrorKind`], the sentence the user reads, and the cause as
//! [`std::error::Error::source`].
//!
//! ```
//! use ingest::{run_idx, IdxParams};
//!
//! // Four 2×3 images with labels 0, 1, 0, 1 as raw IDX files (header: 0, 0, dtype, ndims, dims).
//! let dir = tempfile::tempdir().unwrap();
//! let mut images = vec![0, 0, 0x08, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 3];
//! images.extend((0..24).map(|v| v * 10));
//! std::fs::write(dir.path().join("images.idx"), images).unwrap();
//! std::fs::write(dir.path().join("labels.idx"), [0, 0, 0x08, 1, 0, 0, 0, 4, 0, 1, 0, 1]).unwrap();
//!
//! // Half of each class goes to the validation dataset, chosen by a seeded shuffle.
//! let summary = run_idx(&IdxParams {
//!     images: dir.path().join("images.idx"),
//!     labels: dir.path().join("labels.idx"),
//!     out: dir.path().join("train"),
//!     val_fraction: Some(0.5),
//!     val_out: Some(dir.path().join("val")),
//!     seed: Some(42),
//!     rows_per_file: None,
//!     classes: Some(vec!["even".into(), "odd".into()]),
//!     progress: false,
//!     shard: formats::Shard::WHOLE,
//! }).unwrap();
//! assert_eq!((summary.rows, summary.val_rows, summary.height, summary.width), (2, 2, 2, 3));
//! assert_eq!(summary.classes, ["even", "odd"]);
//! ```

#![warn(missing_docs)]

pub mod error;
mod fast_jpeg;
pub mod folders;
pub mod idx;
pub mod resize;
pub mod synth;

pub use error::{Error, ErrorKind, Result};
pub use folders::{run_folders, FolderSummary, FoldersParams};
pub use idx::{run_idx, IdxParams, IdxSummary};
pub use synth::{run_synth, SynthParams, SynthSummary};

pub use params::ingest::MAX_ROWS_PER_FILE;

/// Checks `--rows-per-file`: 1..=[`MAX_ROWS_PER_FILE`] when given.
pub fn check_rows_per_file(rows_per_file: Option<usize>) -> Result<()> {
    Ok(params::ingest::check_rows_per_file(rows_per_file)?)
}

/// Checks class names (`--classes`, or the class folders of `ingest folders`): each
/// non-empty, without control characters (a newline would split a line of a table or
/// a log), and no name twice (two labels the report could not tell apart).
/// `what` says where the names come from, for the message.
pub fn check_class_names(names: &[String], what: &str) -> Result<()> {
    params::ingest::check_class_names(names, what).map_err(|e| Error::new(ErrorKind::Classes, e))
}
