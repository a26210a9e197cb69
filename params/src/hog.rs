//! The parameters of `features hog`: scikit-image's `hog` names and defaults.
//! The image-size checks (does a block fit?) are `features`' `HogLayout`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{ParamError, Size2};

/// How each block of cells is normalised (`block_norm` in scikit-image). Read from
/// TOML and from `--block-norm` by the same `FromStr`, so both refuse alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum BlockNorm {
    L1,
    L1Sqrt,
    L2,
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
    pub const NAMES: &'static str = "L1, L1-sqrt, L2 or L2-Hys";

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
/// become this.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HogParams {
    /// Orientation bins over 0–180° (1 to 254; default 9).
    pub orientations: usize,
    /// Cell size in pixels (default 8x8).
    pub pixels_per_cell: Size2,
    /// Block size in cells (default 3x3).
    pub cells_per_block: Size2,
    /// Block normalisation (default L2-Hys).
    pub block_norm: BlockNorm,
    /// Square root of every pixel value first (default false).
    pub transform_sqrt: bool,
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

    /// The `features hog` flags that give these parameters: those that differ from
    /// the defaults, in scikit-image's order (`--orientations 8 --pixels-per-cell 4x4`).
    pub fn to_args(&self) -> Vec<String> {
        let d = Self::DEFAULT;
        let mut a: Vec<String> = Vec::new();
        let mut flag = |name: &str, value: String| a.extend([name.to_string(), value]);
        if self.orientations != d.orientations {
            flag("--orientations", self.orientations.to_string());
        }
        if self.pixels_per_cell != d.pixels_per_cell {
            flag("--pixels-per-cell", self.pixels_per_cell.to_string());
        }
        if self.cells_per_block != d.cells_per_block {
            flag("--cells-per-block", self.cells_per_block.to_string());
        }
        if self.block_norm != d.block_norm {
            flag("--block-norm", self.block_norm.to_string());
        }
        if self.transform_sqrt {
            a.push("--transform-sqrt".into());
        }
        a
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
            "--orientations 6 --cells-per-block 2x3 --transform-sqrt"
        );
        assert_eq!("2x3".parse::<Size2>().unwrap(), p.cells_per_block);
        assert_eq!("L2-Hys".parse::<BlockNorm>().unwrap(), p.block_norm);
    }
}
