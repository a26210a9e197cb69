//! `ingest`'s subcommands as types ([`IdxParams`], [`FoldersParams`], [`SynthParams`]):
//! each field is a flag (`clap` derive behind the `clap` feature) and `to_args()`
//! writes them back, so the binary, the pipeline manifest and the plan share one
//! definition and refuse the same values with the same words.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::{ParamError, Shard, Size2};

/// Largest image side `ingest folders --size` accepts.
pub const MAX_SIDE: usize = 16384;

/// Smallest and largest side of a synthetic X-ray (`ingest synth-xray --min-size/--max-size`).
pub const SYNTH_SIDES: (usize, usize) = (32, 8000);

/// `ingest synth-xray`'s default `--min-size` and `--max-size`.
pub const SYNTH_DEFAULT_SIDES: (usize, usize) = (300, 1500);

/// A number as a message shows it: huge or tiny ones in exponent form, not as
/// hundreds of digits.
fn shown(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// `--val-fraction` / `val_fraction`: strictly between 0 and 1.
pub fn check_val_fraction(f: f64) -> Result<(), ParamError> {
    if f > 0.0 && f < 1.0 {
        Ok(())
    } else {
        Err(ParamError::new(
            "val_fraction",
            format!("--val-fraction must be between 0 and 1 (exclusive), got {}", shown(f)),
        ))
    }
}

/// `--size` / `size` of `ingest folders`: sides 1..=[`MAX_SIDE`].
pub fn check_image_size(size: Size2) -> Result<(), ParamError> {
    let side = 1..=MAX_SIDE;
    if side.contains(&size.rows) && side.contains(&size.cols) {
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
        // The key of the side that is out of place: the maximum when it is too large.
        let key = if max > hi { "max_size" } else { "min_size" };
        Err(ParamError::new(
            key,
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
            format!("--pneumonia-ratio must be a finite number > 0, got {}", shown(r)),
        ))
    }
}

/// The largest `--rows-per-file`.
pub const MAX_ROWS_PER_FILE: usize = 100_000_000;

/// The most NORMAL images one `synth-xray` split may ask for.
pub const MAX_SPLIT_IMAGES: usize = 1_000_000;

/// `ingest idx`'s seed of the validation split when none is given.
pub const DEFAULT_SEED: u64 = 42;

/// `ingest folders --max-megapixels` when none is given (100 MP): a header is checked
/// against it before anything is decoded, so a tiny file cannot claim 65500×65500.
pub const DEFAULT_MEGAPIXELS: f64 = 100.0;

/// The largest `--max-megapixels`: 65535², the largest JPEG, rounded up.
pub const MAX_MEGAPIXELS: f64 = 4295.0;

/// `ingest idx`: MNIST-style IDX image and label files (gzip or raw, told by content)
/// → an image dataset. The fields are the subcommand's flags (`--val-fraction`), in the
/// order `to_args` writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct IdxParams {
    /// IDX images file (magic 0x00000803: N × rows × cols unsigned bytes), gzip or raw.
    #[cfg_attr(feature = "clap", arg(long))]
    pub images: PathBuf,
    /// IDX labels file (magic 0x00000801: N unsigned bytes), gzip or raw.
    #[cfg_attr(feature = "clap", arg(long))]
    pub labels: PathBuf,
    /// Output dataset: a .parquet file, or a directory of part files with --rows-per-file.
    #[cfg_attr(feature = "clap", arg(long))]
    pub out: PathBuf,
    /// Move this fraction of each class (stratified, rounded per class) to --val-out;
    /// more than 0 and less than 1.
    #[cfg_attr(feature = "clap", arg(long, requires = "val_out"))]
    pub val_fraction: Option<f64>,
    /// Where the validation rows go (needs --val-fraction).
    #[cfg_attr(feature = "clap", arg(long, requires = "val_fraction"))]
    pub val_out: Option<PathBuf>,
    /// Seed of the validation split's shuffle, any whole number 0..=2^64-1 [default: 42].
    #[cfg_attr(feature = "clap", arg(long))]
    pub seed: Option<u64>,
    /// Write a directory of part-NNNNN.parquet files of at most N rows each (1..=100,000,000).
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub rows_per_file: Option<usize>,
    /// Class names, comma-separated, index = label [default: 0,1,…,9]; each non-empty,
    /// without control characters, no name twice.
    #[cfg_attr(feature = "clap", arg(long, value_delimiter = ','))]
    pub classes: Option<Vec<String>>,
    /// Process only shard K of N (0-based): a contiguous slice of the rows (the validation
    /// split is drawn over all rows), written as OUT/part-0000K.parquet; the N parts read
    /// as one dataset, in order (OUT may hold only parts of the same N).
    #[cfg_attr(feature = "clap", arg(long, value_name = "K/N", default_value_t = Shard::WHOLE))]
    #[serde(default, skip_serializing_if = "Shard::is_whole")]
    pub shard: Shard,
    /// Draw a progress bar: the binary's `--quiet` turns it off; not a flag of its own.
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(skip)]
    pub progress: bool,
}

impl IdxParams {
    /// The seed of the validation split.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(DEFAULT_SEED)
    }

    /// The flags, as `ingest idx` takes them.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }

    /// The checks that need no file: the fraction, the rows per file, the class names.
    pub fn validate(&self) -> Result<(), ParamError> {
        if let Some(f) = self.val_fraction {
            check_val_fraction(f)?;
        }
        check_rows_per_file(self.rows_per_file)?;
        if let Some(classes) = &self.classes {
            check_class_names(classes, "--classes").map_err(|m| ParamError::new("classes", m))?;
        }
        Ok(())
    }
}

/// `ingest folders`: a class-per-folder JPEG/PNG tree (ROOT/CLASS/*.jpeg, the Kaggle
/// chest X-ray layout) → an image dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct FoldersParams {
    /// Root of one split: one subfolder per class (sorted names = labels 0, 1, …).
    #[cfg_attr(feature = "clap", arg(long))]
    pub root: PathBuf,
    /// Output dataset: a .parquet file, or a directory of part files with --rows-per-file.
    #[cfg_attr(feature = "clap", arg(long))]
    pub out: PathBuf,
    /// Target size HxW, e.g. 128x128 (sides 1..=16384): area-averaged when shrinking,
    /// bilinear when enlarging (aspect ratio is not kept, as Keras image_dataset_from_directory).
    #[cfg_attr(feature = "clap", arg(long, value_name = "HxW", value_parser = parse_image_size))]
    pub size: Size2,
    /// 1 = grayscale (ITU-R BT.601 luma, as PIL convert("L")), 3 = RGB.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 1, value_parser = parse_channels))]
    pub channels: u8,
    /// Skip files that cannot be decoded (they are listed on stderr) instead of failing.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub skip_bad: bool,
    /// Write a directory of part-NNNNN.parquet files of at most N rows each (1..=100,000,000).
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub rows_per_file: Option<usize>,
    /// Refuse an image whose header declares more megapixels than this (checked
    /// before decoding); more than 0 and at most 4295 (65535², the largest JPEG) [default: 100].
    #[cfg_attr(feature = "clap", arg(long, value_name = "MP"))]
    pub max_megapixels: Option<f64>,
    /// Accept class folders named train/val/test (without it such a root is taken
    /// for a dataset's root, given instead of one of its splits, and refused).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub allow_split_names: bool,
    /// Process only shard K of N (0-based): a contiguous slice of the sorted file list
    /// (classes come from the whole tree), written as OUT/part-0000K.parquet; the N parts
    /// read as one dataset, in order (OUT may hold only parts of the same N).
    #[cfg_attr(feature = "clap", arg(long, value_name = "K/N", default_value_t = Shard::WHOLE))]
    #[serde(default, skip_serializing_if = "Shard::is_whole")]
    pub shard: Shard,
    /// Draw a progress bar: the binary's `--quiet` turns it off; not a flag of its own.
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(skip)]
    pub progress: bool,
}

impl FoldersParams {
    /// The most pixels an image header may declare.
    pub fn max_pixels(&self) -> usize {
        (self.max_megapixels.unwrap_or(DEFAULT_MEGAPIXELS) * 1e6) as usize
    }

    /// The flags, as `ingest folders` takes them.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }

    /// The checks that need no file: size, channels, rows per file, megapixels.
    pub fn validate(&self) -> Result<(), ParamError> {
        check_image_size(self.size)?;
        check_channels(self.channels)?;
        check_rows_per_file(self.rows_per_file)?;
        if let Some(mp) = self.max_megapixels {
            if !(mp.is_finite() && mp > 0.0 && mp <= MAX_MEGAPIXELS) {
                return Err(ParamError::new(
                    "max_megapixels",
                    format!("--max-megapixels must be a number more than 0 and at most {MAX_MEGAPIXELS}, got {mp}"),
                ));
            }
        }
        Ok(())
    }
}

/// Why a channel count is refused, on the command line and in a manifest alike.
pub const CHANNELS_REFUSED: &str = "expected 1 or 3";

/// `--channels` / `channels` of `ingest folders`: 1 (grayscale) or 3 (RGB).
pub fn check_channels(channels: u8) -> Result<(), ParamError> {
    match channels {
        1 | 3 => Ok(()),
        _ => Err(ParamError::new("channels", CHANNELS_REFUSED)),
    }
}

/// `--channels` of `ingest folders` on a command line: 1 or 3.
pub fn parse_channels(s: &str) -> Result<u8, String> {
    match s.trim() {
        "1" => Ok(1),
        "3" => Ok(3),
        _ => Err(CHANNELS_REFUSED.to_string()),
    }
}

/// `--size` of `ingest folders`: `HxW` (or `N`) with sides 1..=[`MAX_SIDE`].
pub fn parse_image_size(s: &str) -> Result<Size2, String> {
    let bad = || format!("size {s:?} is not HxW with sides 1..={MAX_SIDE} (e.g. 128x128)");
    let size: Size2 = s.parse().map_err(|_| bad())?;
    check_image_size(size).map_err(|e| e.message)?;
    Ok(size)
}

/// `ingest synth-xray`: SYNTHETIC chest-X-ray-like JPEGs in the Kaggle layout
/// (OUT/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg + OUT/README.txt). Counts are NORMAL
/// images per split; PNEUMONIA gets `round(count × pneumonia_ratio)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct SynthParams {
    /// Output directory (replaced only if empty or an earlier synth-xray tree).
    #[cfg_attr(feature = "clap", arg(long))]
    pub out: PathBuf,
    /// Training NORMAL images, 0..=1,000,000 (0 = no train split); PNEUMONIA gets
    /// round(N × ratio). All splits together make at most 10,000,000 images.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 300))]
    pub train: usize,
    /// Validation NORMAL images, 0..=1,000,000 (0 = no val split); PNEUMONIA gets round(N × ratio).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 50))]
    pub val: usize,
    /// Test NORMAL images, 0..=1,000,000 (0 = no test split); PNEUMONIA gets round(N × ratio).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 100))]
    pub test: usize,
    /// Seed, any whole number 0..=2^64-1: the same seed gives the same files [default: 42].
    #[cfg_attr(feature = "clap", arg(long))]
    pub seed: Option<u64>,
    /// Smallest image side in pixels (32 ≤ min ≤ max ≤ 8000) [default: 300].
    #[cfg_attr(feature = "clap", arg(long))]
    pub min_size: Option<usize>,
    /// Largest image side in pixels (32 ≤ min ≤ max ≤ 8000) [default: 1500].
    #[cfg_attr(feature = "clap", arg(long))]
    pub max_size: Option<usize>,
    /// PNEUMONIA images per NORMAL image in every split, > 0 and ≤ 100 [default: 1, balanced];
    /// the Kaggle set is ≈ 2.9 in train (1,341 NORMAL vs 3,875 PNEUMONIA).
    #[cfg_attr(feature = "clap", arg(long))]
    pub pneumonia_ratio: Option<f64>,
    /// JPEG quality 1..=100 [default: 85].
    #[cfg_attr(feature = "clap", arg(long))]
    pub quality: Option<u8>,
    /// Draw a progress bar: the binary's `--quiet` turns it off; not a flag of its own.
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(skip)]
    pub progress: bool,
}

impl SynthParams {
    /// `--train 300 --val 50 --test 100`, the other flags at their defaults.
    pub fn new(out: PathBuf) -> Self {
        SynthParams {
            out,
            train: 300,
            val: 50,
            test: 100,
            seed: None,
            min_size: None,
            max_size: None,
            pneumonia_ratio: None,
            quality: None,
            progress: false,
        }
    }
    /// The seed of every image.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(DEFAULT_SEED)
    }
    /// The smallest and largest image side.
    pub fn sides(&self) -> (usize, usize) {
        let (min, max) = SYNTH_DEFAULT_SIDES;
        (self.min_size.unwrap_or(min), self.max_size.unwrap_or(max))
    }
    /// PNEUMONIA images per NORMAL image.
    pub fn pneumonia_ratio(&self) -> f64 {
        self.pneumonia_ratio.unwrap_or(1.0)
    }
    /// The JPEG quality.
    pub fn quality(&self) -> u8 {
        self.quality.unwrap_or(85)
    }

    /// The flags, as `ingest synth-xray` takes them.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }

    /// The checks that need no file: sides and ratio.
    pub fn validate(&self) -> Result<(), ParamError> {
        let (min, max) = self.sides();
        check_synth_sides(min, max)?;
        if let Some(r) = self.pneumonia_ratio {
            check_pneumonia_ratio(r)?;
        }
        Ok(())
    }
}

/// `--rows-per-file`: 1..=[`MAX_ROWS_PER_FILE`] when given.
pub fn check_rows_per_file(rows_per_file: Option<usize>) -> Result<(), ParamError> {
    match rows_per_file {
        Some(n) if n == 0 || n > MAX_ROWS_PER_FILE => Err(ParamError::new(
            "rows_per_file",
            format!("--rows-per-file must be 1..=100,000,000, got {n}"),
        )),
        _ => Ok(()),
    }
}

/// Class names (`--classes`, or the class folders of `ingest folders`): each non-empty,
/// without control characters, no name twice. `what` names them in the message.
pub fn check_class_names(names: &[String], what: &str) -> Result<(), String> {
    let mut seen = std::collections::HashMap::new();
    for (label, name) in names.iter().enumerate() {
        if name.trim().is_empty() {
            return Err(format!("{what}: the name of class {label} is empty"));
        }
        if name.chars().any(char::is_control) {
            return Err(format!(
                "{what}: the name of class {label} ({name:?}) holds a control character (newline, tab, …)"
            ));
        }
        if let Some(first) = seen.insert(name.as_str(), label) {
            return Err(format!("{what}: classes {first} and {label} have the same name {name:?}"));
        }
    }
    Ok(())
}
