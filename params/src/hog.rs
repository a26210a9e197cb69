//! The parameters of `features hog`: scikit-image's `hog` names and defaults.
//! The image-size checks (does a block fit?) are `features`' `HogLayout`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Compression, ParamError, Shard, Size2};

/// How each block of cells is normalised (`block_norm` in scikit-image). Read from
/// TOML and from `--block-norm` by the same `FromStr`, so both refuse alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum BlockNorm {
    /// `L1`: b / (Σ|b| + ε), with ε = 1e-5.
    L1,
    /// `L1-sqrt`: √(b / (Σ|b| + ε)).
    L1Sqrt,
    /// `L2`: b / √(Σb² + ε²).
    L2,
    /// `L2-Hys` (the default): L2, then min(·, 0.2), then L2 again.
    L2Hys,
}

impl TryFrom<String> for BlockNorm {
    type Error = ParamError;
    fn try_from(s: String) -> Result<Self, ParamError> {
        s.parse()
    }
}

impl From<BlockNorm> for String {
    fn from(b: BlockNorm) -> String {
        b.name().to_string()
    }
}

impl BlockNorm {
    /// The accepted spellings, listed in the message that refuses any other.
    pub const NAMES: &'static str = "L1, L1-sqrt, L2 or L2-Hys";

    /// Its scikit-image spelling (`"L2-Hys"`), as `--block-norm` and TOML take it.
    pub fn name(self) -> &'static str {
        match self {
            BlockNorm::L1 => "L1",
            BlockNorm::L1Sqrt => "L1-sqrt",
            BlockNorm::L2 => "L2",
            BlockNorm::L2Hys => "L2-Hys",
        }
    }
}

impl fmt::Display for BlockNorm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BlockNorm {
    type Err = ParamError;

    /// scikit-image's spelling, exactly (it is case-sensitive too).
    fn from_str(s: &str) -> Result<Self, ParamError> {
        Ok(match s {
            "L1" => BlockNorm::L1,
            "L1-sqrt" => BlockNorm::L1Sqrt,
            "L2" => BlockNorm::L2,
            "L2-Hys" => BlockNorm::L2Hys,
            other => {
                return Err(ParamError::new(
                    "block_norm",
                    format!("unknown block norm {other:?}: expected {}", Self::NAMES),
                ))
            }
        })
    }
}

/// The parameters of `skimage.feature.hog`, with its defaults ([`HogParams::DEFAULT`]).
/// A `[features.X]` table with `method = "hog"` and the `features hog` flags both
/// become this. As flags ([`HogParams::to_args`]) every value is written, defaults
/// too, so a command and the report say every parameter in effect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct HogParams {
    /// Number of orientation bins over 0–180° (1..=254).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = HogParams::DEFAULT.orientations))]
    pub orientations: usize,
    /// Cell size in pixels, ROWSxCOLS (or N for NxN); each ≥ 1 and at most the image's side.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = HogParams::DEFAULT.pixels_per_cell, value_name = "RxC"))]
    pub pixels_per_cell: Size2,
    /// Block size in cells, ROWSxCOLS (or N for NxN); each ≥ 1 and at most the cell grid's side.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = HogParams::DEFAULT.cells_per_block, value_name = "RxC"))]
    pub cells_per_block: Size2,
    /// Block normalisation: L1, L1-sqrt, L2 or L2-Hys.
    #[cfg_attr(feature = "clap", arg(long, default_value_t = HogParams::DEFAULT.block_norm, value_name = "NORM"))]
    pub block_norm: BlockNorm,
    /// Take the square root of every pixel value first (power-law compression).
    #[cfg_attr(feature = "clap", arg(long))]
    pub transform_sqrt: bool,
}

/// `features hog`: an image dataset → HOG descriptors, value for value as
/// `skimage.feature.hog` 0.26 (same names and defaults).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct HogArgs {
    /// Image dataset (Parquet file or directory of parts).
    #[cfg_attr(feature = "clap", arg(long = "in", value_name = "P"))]
    #[serde(rename = "in")]
    pub input: PathBuf,
    /// Feature dataset to write (replaced atomically).
    #[cfg_attr(feature = "clap", arg(long = "out", value_name = "P"))]
    #[serde(rename = "out")]
    pub output: PathBuf,
    /// The HOG parameters proper (orientations, cell and block sizes, norm, `transform_sqrt`), as flags of their own.
    #[cfg_attr(feature = "clap", command(flatten))]
    #[serde(flatten)]
    pub params: HogParams,
    /// Also write pictures of the first N images beside their HOG glyphs (0..=1000).
    #[cfg_attr(feature = "clap", arg(long, default_value_t = 0, value_name = "N"))]
    #[serde(skip_serializing_if = "is_zero")]
    pub visualize: usize,
    /// Directory for the pictures (hog-00000.png, ...): created, or an existing
    /// directory whose earlier pictures are replaced as one set.
    #[cfg_attr(feature = "clap", arg(long, value_name = "DIR"))]
    pub visualize_out: Option<PathBuf>,
    /// Process only shard K of N (0-based) of the rows, a contiguous slice, and
    /// write it as OUT/part-0000K.parquet; the N parts read as one dataset (OUT may hold only parts of the same N).
    #[cfg_attr(feature = "clap", arg(long, value_name = "K/N", default_value_t = Shard::WHOLE))]
    #[serde(skip_serializing_if = "Shard::is_whole")]
    pub shard: Shard,
    /// Codec of the written Parquet pages: none, snappy, lz4 (LZ4_RAW) or zstd (level 1).
    #[cfg_attr(feature = "clap", arg(long, value_name = "CODEC", default_value_t = Compression::FEATURES_DEFAULT))]
    #[serde(skip_serializing_if = "Compression::is_features_default")]
    pub compression: Compression,
}

/// `features pixels`: raw pixels scaled to float32 in [0, 1] (v / 255), row-major H·W·C.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct PixelsArgs {
    /// Image dataset (Parquet file or directory of parts).
    #[cfg_attr(feature = "clap", arg(long = "in", value_name = "P"))]
    #[serde(rename = "in")]
    pub input: PathBuf,
    /// Feature dataset to write (replaced atomically).
    #[cfg_attr(feature = "clap", arg(long = "out", value_name = "P"))]
    #[serde(rename = "out")]
    pub output: PathBuf,
    /// Process only shard K of N (0-based) of the rows, a contiguous slice, and
    /// write it as OUT/part-0000K.parquet; the N parts read as one dataset (OUT may hold only parts of the same N).
    #[cfg_attr(feature = "clap", arg(long, value_name = "K/N", default_value_t = Shard::WHOLE))]
    #[serde(skip_serializing_if = "Shard::is_whole")]
    pub shard: Shard,
    /// Codec of the written Parquet pages: none, snappy, lz4 (LZ4_RAW) or zstd (level 1).
    #[cfg_attr(feature = "clap", arg(long, value_name = "CODEC", default_value_t = Compression::FEATURES_DEFAULT))]
    #[serde(skip_serializing_if = "Compression::is_features_default")]
    pub compression: Compression,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl HogParams {
    /// scikit-image 0.26's defaults.
    pub const DEFAULT: HogParams = HogParams {
        orientations: 9,
        pixels_per_cell: Size2::square(8),
        cells_per_block: Size2::square(3),
        block_norm: BlockNorm::L2Hys,
        transform_sqrt: false,
    };

    /// Largest `orientations`: bins are numbered in a byte, one value marks "no bin".
    pub const MAX_ORIENTATIONS: usize = 254;

    /// Deserializes and checks a table of HOG parameters (keys as in scikit-image).
    pub fn from_table(table: toml::Table) -> Result<Self, ParamError> {
        let p: HogParams = crate::error::from_table(table)?;
        p.validate()?;
        Ok(p)
    }

    /// The checks that need no image: the orientation count.
    pub fn validate(&self) -> Result<(), ParamError> {
        match self.orientations {
            0 => Err(ParamError::new("orientations", "orientations must be at least 1 (got 0)")),
            n if n > Self::MAX_ORIENTATIONS => Err(ParamError::new(
                "orientations",
                format!("orientations must be at most {} (got {n})", Self::MAX_ORIENTATIONS),
            )),
            _ => Ok(()),
        }
    }

    /// The `features hog` flags that give these parameters, every one (defaults too),
    /// in scikit-image's order (`--orientations 9 --pixels-per-cell 8x8 …`);
    /// `--transform-sqrt` only when set.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }
}

impl HogArgs {
    /// The flags, as `features hog` takes them.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }
}

impl PixelsArgs {
    /// The flags, as `features pixels` takes them.
    pub fn to_args(&self) -> Vec<String> {
        crate::to_args(self)
    }
}

impl Default for HogParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn a_table_takes_scikit_image_defaults() {
        let p = HogParams::from_table(table("orientations = 8\npixels_per_cell = [4, 4]")).unwrap();
        assert_eq!(
            p,
            HogParams { orientations: 8, pixels_per_cell: Size2::square(4), ..HogParams::DEFAULT }
        );
        let p = HogParams::from_table(table("cells_per_block = \"2x1\"\nblock_norm = \"L1-sqrt\""))
            .unwrap();
        assert_eq!((p.cells_per_block, p.block_norm), (Size2::new(2, 1), BlockNorm::L1Sqrt));
    }

    #[test]
    fn bad_values_name_their_key() {
        let e = HogParams::from_table(table("orientations = 0")).unwrap_err();
        assert_eq!(
            (e.key.as_str(), e.message.as_str()),
            ("orientations", "orientations must be at least 1 (got 0)")
        );
        let e = HogParams::from_table(table("block_norm = \"L3\"")).unwrap_err();
        assert_eq!(e.key, "block_norm");
        assert!(e.message.contains("L3"), "{e}");
        let e = HogParams::from_table(table("pixels_per_cell = [0, 4]")).unwrap_err();
        assert_eq!(e.key, "pixels_per_cell");
        let e = HogParams::from_table(table("pixel_per_cell = 4")).unwrap_err();
        assert!(e.message.contains("unknown field `pixel_per_cell`"), "{e}");
    }

    #[test]
    fn flags_round_trip() {
        let p = HogParams {
            orientations: 6,
            cells_per_block: Size2::new(2, 3),
            transform_sqrt: true,
            ..HogParams::DEFAULT
        };
        assert_eq!(
            p.to_args().join(" "),
            "--orientations 6 --pixels-per-cell 8x8 --cells-per-block 2x3 --block-norm L2-Hys --transform-sqrt"
        );
        assert_eq!("2x3".parse::<Size2>().unwrap(), p.cells_per_block);
        // A value equal to its default is still said: the command shows every parameter.
        assert_eq!(
            HogParams::DEFAULT.to_args().join(" "),
            "--orientations 9 --pixels-per-cell 8x8 --cells-per-block 3x3 --block-norm L2-Hys"
        );
        assert_eq!("L2-Hys".parse::<BlockNorm>().unwrap(), p.block_norm);
    }
}
