//! [`Shard`]: `--shard K/N`, which contiguous slice of the rows (or of the sorted
//! file list) a stage processes, and the part file it writes. The files of a
//! sharded dataset are `formats::shard`'s.
//!
//! ```
//! use params::Shard;
//!
//! let shards: Vec<Shard> = (0..3).map(|k| format!("{k}/3").parse().unwrap()).collect();
//! let ranges: Vec<_> = shards.iter().map(|s| s.range(10)).collect();
//! assert_eq!(ranges, [0..3, 3..6, 6..10]);
//! assert_eq!(shards[1].part_name(), "part-00001.parquet");
//! assert!("3/3".parse::<Shard>().is_err());
//! ```

use std::ops::Range;
use std::str::FromStr;

/// The largest N: part names have five digits.
pub const MAX_SHARDS: usize = 99_999;

/// Shard `index` of `count` (0-based: `0/2` and `1/2` are the two halves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    /// K, from 0.
    pub index: usize,
    /// N, at least 1.
    pub count: usize,
}

impl Shard {
    /// The whole input as one shard (what an unsharded run processes).
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// The items of this shard among `n`: `[K·n/N, (K+1)·n/N)`.
    pub fn range(&self, n: usize) -> Range<usize> {
        let at = |k: usize| (k as u128 * n as u128 / self.count as u128) as usize;
        at(self.index)..at(self.index + 1)
    }

    /// `part-0000K.parquet`, the file this shard writes into the output directory.
    pub fn part_name(&self) -> String {
        format!("part-{:05}.parquet", self.index)
    }

    /// Whether this is the only shard (no sharding).
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }
}

impl Default for Shard {
    fn default() -> Self {
        Shard::WHOLE
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// As its `K/N` text (in `evaluate`'s `shard.json`).
impl serde::Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Shard {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard K/N (0 ≤ K < N ≤ {MAX_SHARDS}, e.g. 0/4)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if count == 0 || count > MAX_SHARDS || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}
