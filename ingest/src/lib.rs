//! The `ingest` stage: raw data → image datasets (`docs/formats.md`).
//!
//! * [`idx::run_idx`]: MNIST-style IDX files (gzip or raw) → Parquet, with an
//!   optional stratified, seeded validation split.
//! * [`folders::run_folders`]: class-per-folder JPEG/PNG trees (the Kaggle chest
//!   X-ray layout) → Parquet, decoded in parallel, DCT-scaled, resized.
//! * [`synth::run_synth`]: a SYNTHETIC X-ray-like JPEG tree for tests and the demo.
//!
//! `main.rs` only parses flags; tests call these functions directly.

pub mod folders;
pub mod idx;
pub mod resize;
pub mod synth;

pub use folders::{run_folders, FolderOptions, FolderSummary};
pub use idx::{run_idx, IdxOptions, IdxSummary};
pub use synth::{run_synth, SynthOptions, SynthSummary};

/// Parses `HxW` (e.g. `128x128`, or `N` for `NxN`) into (height, width), sides
/// 1..=[`params::ingest::MAX_SIDE`].
pub fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let max = params::ingest::MAX_SIDE;
    let bad = || format!("size {s:?} is not HxW with sides 1..={max} (e.g. 128x128)");
    let size: params::Size2 = s.parse().map_err(|_| bad())?;
    params::ingest::check_image_size(size).map_err(|_| bad())?;
    Ok(size.pair())
}
