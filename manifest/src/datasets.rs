//! The `[datasets.X]` tables of each `kind`, deserialized by serde (unknown keys,
//! missing keys and wrong types are serde's refusals, at their key) and then checked
//! with the `ingest` stage's own checks from `params::ingest`, so the manifest and
//! `ingest` refuse a value in the same words.

use std::path::PathBuf;

use params::ingest::{
    check_channels, check_class_names, check_image_size, check_pneumonia_ratio, check_synth_sides,
    check_val_fraction, MAX_SPLIT_IMAGES, SYNTH_DEFAULT_SIDES,
};
use params::{ParamError, Size2};
use serde::Deserialize;

/// `kind = "idx"`: `ingest idx` on the train (and test) IDX files.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdxTable {
    /// IDX images of the training split (and of validation, with `val_fraction`).
    pub train_images: PathBuf,
    /// IDX labels of the training split.
    pub train_labels: PathBuf,
    /// IDX images of the test split (with `test_labels`, or neither).
    pub test_images: Option<PathBuf>,
    /// IDX labels of the test split.
    pub test_labels: Option<PathBuf>,
    /// `ingest idx --val-fraction`: the `val` split, drawn from `train` per class.
    pub val_fraction: Option<f64>,
    /// `ingest idx --seed` of the validation draw (ingest's default 42 when absent).
    pub seed: Option<u64>,
    /// `ingest idx --classes`: class names, index = label.
    pub classes: Option<Vec<String>>,
}

impl IdxTable {
    /// The checks `ingest idx` makes of the same values.
    pub fn check(&self) -> Result<(), ParamError> {
        if self.test_images.is_some() != self.test_labels.is_some() {
            return Err(ParamError::new("", "give both test_images and test_labels, or neither"));
        }
        if let Some(f) = self.val_fraction {
            check_val_fraction(f)?;
        }
        if let Some(classes) = &self.classes {
            check_class_names(classes, "classes").map_err(|m| ParamError::new("classes", m))?;
        }
        Ok(())
    }
}

/// `kind = "synth-xray"`: `ingest synth-xray`, a directory of SYNTHETIC JPEGs. The
/// counts are NORMAL images; each split gets `round(count × pneumonia_ratio)` PNEUMONIA.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthTable {
    /// NORMAL training images (default 50, 1..=1,000,000).
    #[serde(default = "SynthTable::default_train")]
    pub train: usize,
    /// NORMAL validation images (default 8).
    #[serde(default = "SynthTable::default_val")]
    pub val: usize,
    /// NORMAL test images (default 20).
    #[serde(default = "SynthTable::default_test")]
    pub test: usize,
    /// `--seed` (ingest's default 42 when absent).
    pub seed: Option<u64>,
    /// `--min-size`, the smallest image side (ingest's default 300).
    pub min_size: Option<usize>,
    /// `--max-size`, the largest image side (ingest's default 1500).
    pub max_size: Option<usize>,
    /// `--pneumonia-ratio` (> 0; ingest's default 1.0, balanced, when absent).
    pub pneumonia_ratio: Option<f64>,
}

impl SynthTable {
    fn default_train() -> usize {
        50
    }
    fn default_val() -> usize {
        8
    }
    fn default_test() -> usize {
        20
    }

    /// The checks `ingest synth-xray` makes of the same values.
    pub fn check(&self) -> Result<(), ParamError> {
        for (key, n) in [("train", self.train), ("val", self.val), ("test", self.test)] {
            if !(1..=MAX_SPLIT_IMAGES).contains(&n) {
                return Err(ParamError::new(
                    key,
                    format!("expected a whole number from 1 to {MAX_SPLIT_IMAGES}, found {n}"),
                ));
            }
        }
        if let Some(r) = self.pneumonia_ratio {
            check_pneumonia_ratio(r)?;
        }
        let (min, max) = SYNTH_DEFAULT_SIDES;
        check_synth_sides(self.min_size.unwrap_or(min), self.max_size.unwrap_or(max))
    }
}

/// `kind = "folders"`: `ingest folders` once per split, `ROOT/SPLIT/CLASS/*.jpeg`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FoldersTable {
    /// A directory holding one folder per split (e.g. the Kaggle `chest_xray/`).
    pub root: Option<PathBuf>,
    /// Or: the `synth-xray` dataset whose directory is the root.
    pub from: Option<String>,
    /// The split folders read (default `["train", "val", "test"]`).
    #[serde(default = "FoldersTable::default_splits")]
    pub splits: Vec<String>,
    /// `--size`: every image is resized to this (`[128, 128]`, `128` or `"128x128"`).
    pub size: Size2,
    /// `--channels`: 1 (grayscale, default) or 3.
    #[serde(default = "FoldersTable::default_channels")]
    pub channels: u8,
    /// `--skip-bad`: skip undecodable files instead of failing (default false).
    #[serde(default)]
    pub skip_bad: bool,
}

impl FoldersTable {
    fn default_splits() -> Vec<String> {
        ["train", "val", "test"].map(String::from).to_vec()
    }
    fn default_channels() -> u8 {
        1
    }

    /// The checks `ingest folders` makes of the same values.
    pub fn check(&self) -> Result<(), ParamError> {
        if self.root.is_some() == self.from.is_some() {
            return Err(ParamError::new(
                "",
                "give exactly one of `root` (a directory) or `from` (a synth-xray dataset)",
            ));
        }
        if self.splits.is_empty() {
            return Err(ParamError::new(
                "splits",
                "expected a non-empty list of split directory names",
            ));
        }
        check_image_size(self.size)?;
        check_channels(self.channels)
    }
}
