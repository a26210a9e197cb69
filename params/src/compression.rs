//! [`Compression`]: `--compression`, the codec of the Parquet pages a stage writes.
//!
//! ```
//! use params::Compression;
//!
//! assert_eq!(Compression::FEATURES_DEFAULT, Compression::None);
//! assert_eq!("lz4".parse::<Compression>().unwrap(), Compression::Lz4Raw);
//! assert_eq!(Compression::Zstd.to_string(), "zstd");
//! assert!("gzip".parse::<Compression>().is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ParamError;

/// How the pages of a written Parquet file are compressed. Every codec here is read
/// by pyarrow, pandas, polars and DuckDB.
///
/// Feature datasets default to [`Compression::None`]: on 70,000 Fashion-MNIST HOG
/// vectors snappy makes the file 2.3× smaller but costs more CPU than the HOG itself
/// (docs/benchmarks.md), and a feature dataset is written once and read by every run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Compression {
    /// `none`: pages as they are (the fastest to write and read, the largest file).
    #[default]
    None,
    /// `snappy`: Parquet's usual codec.
    Snappy,
    /// `lz4`: Parquet's `LZ4_RAW` (LZ4 blocks without a frame).
    Lz4Raw,
    /// `zstd`: Zstandard at level 1 (the smallest file, the slowest to write).
    Zstd,
}

impl Compression {
    /// The accepted spellings, listed in the message that refuses any other.
    pub const NAMES: &'static str = "none, snappy, lz4 or zstd";

    /// What `features hog` and `features pixels` write when not told.
    pub const FEATURES_DEFAULT: Compression = Compression::None;

    /// Its spelling, as `--compression` and TOML take it.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Snappy => "snappy",
            Compression::Lz4Raw => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// True for [`Compression::FEATURES_DEFAULT`] (whose flag a command leaves out).
    pub fn is_features_default(&self) -> bool {
        *self == Self::FEATURES_DEFAULT
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Compression {
    type Err = ParamError;

    fn from_str(s: &str) -> Result<Self, ParamError> {
        Ok(match s {
            "none" => Compression::None,
            "snappy" => Compression::Snappy,
            "lz4" => Compression::Lz4Raw,
            "zstd" => Compression::Zstd,
            other => {
                return Err(ParamError::new(
                    "compression",
                    format!("unknown compression {other:?}: expected {}", Self::NAMES),
                ))
            }
        })
    }
}

impl TryFrom<String> for Compression {
    type Error = ParamError;
    fn try_from(s: String) -> Result<Self, ParamError> {
        s.parse()
    }
}

impl From<Compression> for String {
    fn from(c: Compression) -> String {
        c.name().to_string()
    }
}
