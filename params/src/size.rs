//! [`Size2`]: every (rows, columns) pair of the project — kernel, stride and pool
//! sizes, HOG cells and blocks, image sizes — parsed one way everywhere.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::ParamError;

/// A (rows, columns) pair of whole numbers ≥ 1.
///
/// Written `RxC` on a command line (or `N` for `NxN`); in TOML also `N` or `[R, C]`.
///
/// ```
/// use params::Size2;
/// assert_eq!("4x7".parse::<Size2>().unwrap(), Size2::new(4, 7));
/// assert_eq!("5".parse::<Size2>().unwrap(), Size2::new(5, 5));
/// assert!("0x4".parse::<Size2>().is_err());
/// let t: toml::Table = toml::from_str("a = 3\nb = [2, 5]\nc = \"8x8\"").unwrap();
/// let sizes: Vec<Size2> = ["a", "b", "c"].iter().map(|k| t[*k].clone().try_into().unwrap()).collect();
/// assert_eq!(sizes, [Size2::new(3, 3), Size2::new(2, 5), Size2::new(8, 8)]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Size2 {
    /// Rows: the height, first of `RxC` and of `[R, C]`.
    pub rows: usize,
    /// Columns: the width, second of `RxC` and of `[R, C]`.
    pub cols: usize,
}

impl Size2 {
    /// `rows` × `cols`, unchecked (`FromStr` and serde refuse zeros; this does not).
    pub const fn new(rows: usize, cols: usize) -> Self {
        Self { rows, cols }
    }

    /// `n` × `n`, what a bare `N` means (`kernel_size = 3`).
    pub const fn square(n: usize) -> Self {
        Self { rows: n, cols: n }
    }

    /// `(rows, cols)`.
    pub fn pair(self) -> (usize, usize) {
        (self.rows, self.cols)
    }
}

impl fmt::Display for Size2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.rows, self.cols)
    }
}

impl FromStr for Size2 {
    type Err = ParamError;

    /// `RxC` (or `RXC`) or `N`, whole numbers ≥ 1.
    fn from_str(s: &str) -> Result<Self, ParamError> {
        let bad = || {
            ParamError::new(
                "",
                format!("{s:?} is not valid: expected ROWSxCOLS of whole numbers ≥ 1, e.g. 8x8"),
            )
        };
        let one = |p: &str| match p.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad()),
        };
        match s.split_once(['x', 'X']) {
            Some((r, c)) => Ok(Self::new(one(r)?, one(c)?)),
            None => Ok(Self::square(one(s)?)),
        }
    }
}

/// TOML writes a square size as `N` and any other as `[R, C]`.
impl Serialize for Size2 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // A named newtype, invisible to TOML and JSON, lets `to_args` write `RxC`.
        if self.rows == self.cols {
            s.serialize_newtype_struct(crate::args::SIZE2_NAME, &(self.rows as u64))
        } else {
            s.serialize_newtype_struct(crate::args::SIZE2_NAME, &[self.rows, self.cols][..])
        }
    }
}

impl<'de> Deserialize<'de> for Size2 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        const EXPECTED: &str = "a whole number ≥ 1, [rows, cols] or \"RxC\"";
        fn positive<E: de::Error>(v: i64) -> Result<usize, E> {
            usize::try_from(v)
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| E::custom(format!("{v} is not {EXPECTED}")))
        }
        impl<'de> Visitor<'de> for V {
            type Value = Size2;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size2, E> {
                positive(v).map(Size2::square)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Size2, E> {
                positive(i64::try_from(v).unwrap_or(-1)).map(Size2::square)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size2, E> {
                v.parse().map_err(|e: ParamError| E::custom(e.message))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Size2, A::Error> {
                let mut next = || -> Result<Option<usize>, A::Error> {
                    match seq.next_element::<i64>()? {
                        Some(v) => positive(v).map(Some),
                        None => Ok(None),
                    }
                };
                match (next()?, next()?, next()?) {
                    (Some(r), Some(c), None) => Ok(Size2::new(r, c)),
                    _ => Err(de::Error::custom(format!("expected {EXPECTED}"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}
