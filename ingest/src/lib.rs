//! The `ingest` stage: raw data → image datasets (`docs/formats.md`).
//!
//! * [`idx::run_idx`]: MNIST-style IDX files (gzip or raw) → Parquet, with an
//!   optional stratified, seeded validation split.
//! * [`folders::run_folders`]: class-per-folder JPEG/PNG trees (the Kaggle chest
//!   X-ray layout) → Parquet, decoded in parallel, DCT-scaled, resized.
//! * [`synth::run_synth`]: a SYNTHETIC X-ray-like JPEG tree for tests and the demo.
//!
//! `main.rs` only parses flags; tests call these functions directly.
//!
//! ```
//! use ingest::{parse_size, run_idx, IdxOptions};
//!
//! // Four 2×3 images with labels 0, 1, 0, 1 as raw IDX files (header: 0, 0, dtype, ndims, dims).
//! let dir = tempfile::tempdir().unwrap();
//! let mut images = vec![0, 0, 0x08, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 3];
//! images.extend((0..24).map(|v| v * 10));
//! std::fs::write(dir.path().join("images.idx"), images).unwrap();
//! std::fs::write(dir.path().join("labels.idx"), [0, 0, 0x08, 1, 0, 0, 0, 4, 0, 1, 0, 1]).unwrap();
//!
//! // Half of each class goes to the validation dataset, chosen by a seeded shuffle.
//! let summary = run_idx(&IdxOptions {
//!     images: dir.path().join("images.idx"),
//!     labels: dir.path().join("labels.idx"),
//!     out: dir.path().join("train"),
//!     val_fraction: Some(0.5),
//!     val_out: Some(dir.path().join("val")),
//!     seed: 42,
//!     rows_per_file: None,
//!     classes: Some(vec!["even".into(), "odd".into()]),
//!     progress: false,
//!     shard: formats::Shard::WHOLE,
//! }).unwrap();
//! assert_eq!((summary.rows, summary.val_rows, summary.height, summary.width), (2, 2, 2, 3));
//! assert_eq!(summary.classes, ["even", "odd"]);
//! assert_eq!(parse_size("128x96"), Ok((128, 96)));
//! ```

mod fast_jpeg;
pub mod folders;
pub mod idx;
pub mod resize;
pub mod synth;

pub use folders::{run_folders, FolderOptions, FolderSummary};
pub use idx::{run_idx, IdxOptions, IdxSummary};
pub use synth::{run_synth, SynthOptions, SynthSummary};

/// The largest `--rows-per-file`: a part file of more rows would be a multi-gigabyte
/// Parquet file, which defeats splitting the dataset.
pub const MAX_ROWS_PER_FILE: usize = 100_000_000;

/// Checks `--rows-per-file`: 1..=[`MAX_ROWS_PER_FILE`] when given.
pub fn check_rows_per_file(rows_per_file: Option<usize>) -> anyhow::Result<()> {
    match rows_per_file {
        Some(n) if n == 0 || n > MAX_ROWS_PER_FILE => anyhow::bail!(
            "--rows-per-file must be 1..={}, got {n}",
            formats::thousands(MAX_ROWS_PER_FILE as i64)
        ),
        _ => Ok(()),
    }
}

/// Checks class names (`--classes`, or the class folders of `ingest folders`): each
/// non-empty, without control characters (a newline would split a line of a table or
/// a log), and no name twice (two labels the report could not tell apart).
/// `what` says where the names come from, for the message.
pub fn check_class_names(names: &[String], what: &str) -> anyhow::Result<()> {
    let mut seen = std::collections::HashMap::new();
    for (label, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            anyhow::bail!("{what}: the name of class {label} is empty");
        }
        if name.chars().any(char::is_control) {
            anyhow::bail!(
                "{what}: the name of class {label} ({name:?}) holds a control character (newline, tab, …)"
            );
        }
        if let Some(first) = seen.insert(name.as_str(), label) {
            anyhow::bail!("{what}: classes {first} and {label} have the same name {name:?}");
        }
    }
    Ok(())
}

/// Parses `HxW` (e.g. `128x128`, or `N` for `NxN`) into (height, width), sides
/// 1..=[`params::ingest::MAX_SIDE`].
pub fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let max = params::ingest::MAX_SIDE;
    let bad = || format!("size {s:?} is not HxW with sides 1..={max} (e.g. 128x128)");
    let size: params::Size2 = s.parse().map_err(|_| bad())?;
    // The range check and its sentence are the manifest's too.
    params::ingest::check_image_size(size).map_err(|e| e.message)?;
    Ok(size.pair())
}
