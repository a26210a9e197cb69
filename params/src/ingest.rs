//! The checks of `ingest`'s numeric flags, shared with the pipeline manifest's
//! `[datasets.X]` tables so both refuse the same values with the same words.

use crate::{ParamError, Size2};

/// Largest image side `ingest folders --size` accepts.
pub const MAX_SIDE: usize = 16384;

/// Smallest and largest side of a synthetic X-ray (`ingest synth-xray --min-size/--max-size`).
pub const SYNTH_SIDES: (usize, usize) = (32, 8000);

/// `ingest synth-xray`'s default `--min-size` and `--max-size`.
pub const SYNTH_DEFAULT_SIDES: (usize, usize) = (300, 1500);

/// `--val-fraction` / `val_fraction`: strictly between 0 and 1.
pub fn check_val_fraction(f: f64) -> Result<(), ParamError> {
    if f > 0.0 && f < 1.0 {
        Ok(())
    } else {
        Err(ParamError::new(
            "val_fraction",
            format!("--val-fraction must be between 0 and 1 (exclusive), got {f}"),
        ))
    }
}

/// `--size` / `size` of `ingest folders`: sides 1..=[`MAX_SIDE`].
pub fn check_image_size(size: Size2) -> Result<(), ParamError> {
    if size.rows <= MAX_SIDE && size.cols <= MAX_SIDE {
        Ok(())
    } else {
        Err(ParamError::new(
            "size",
            format!("size {size} is not HxW with sides 1..={MAX_SIDE} (e.g. 128x128)"),
        ))
    }
}

/// `--min-size`/`--max-size` of `ingest synth-xray`: 32 ≤ min ≤ max ≤ 8000.
pub fn check_synth_sides(min: usize, max: usize) -> Result<(), ParamError> {
    let (lo, hi) = SYNTH_SIDES;
    if lo <= min && min <= max && max <= hi {
        Ok(())
    } else {
        Err(ParamError::new(
            "min_size",
            format!(
                "--min-size/--max-size must satisfy {lo} ≤ min ≤ max ≤ {hi}, got {min} and {max}"
            ),
        ))
    }
}

/// `--pneumonia-ratio`: PNEUMONIA images per NORMAL image, a finite number > 0.
pub fn check_pneumonia_ratio(r: f64) -> Result<(), ParamError> {
    if r.is_finite() && r > 0.0 {
        Ok(())
    } else {
        Err(ParamError::new(
            "pneumonia_ratio",
            format!("--pneumonia-ratio must be a finite number > 0, got {r}"),
        ))
    }
}
