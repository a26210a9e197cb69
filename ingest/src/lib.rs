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

/// Parses `HxW` (e.g. `128x128`) into (height, width).
pub fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let (h, w) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("size {s:?} is not HxW (e.g. 128x128)"))?;
    let parse = |t: &str| t.trim().parse::<usize>().ok().filter(|&v| v > 0 && v <= 16384);
    match (parse(h), parse(w)) {
        (Some(h), Some(w)) => Ok((h, w)),
        _ => Err(format!("size {s:?} is not HxW with sides 1..=16384 (e.g. 128x128)")),
    }
}
