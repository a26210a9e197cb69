//! The `features` metadata of a feature dataset: how its values were made, one type
//! per method that `features` writes.
//!
//! The text is compact JSON with the keys in alphabetical order (how `features` has
//! always written it): [`FeatureParams::to_json`] writes through a `serde_json::Value`,
//! whose objects keep their keys sorted.

use params::{BlockNorm, HogParams, Size2};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// How a feature dataset's values were made: its `features` metadata, a JSON object
/// whose `method` names the method.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureParams {
    /// `{"method":"hog",…}`, written by `features hog`.
    Hog(HogFeatures),
    /// `{"method":"pixels",…}`, written by `features pixels`.
    Pixels(PixelFeatures),
    /// An object another program wrote: a method `features` does not have, or a `hog` or
    /// `pixels` object without exactly the fields `features` writes (the format asks only
    /// for a JSON object). Kept as written, so it is written back unchanged.
    Other(Map<String, Value>),
}

/// `features hog`'s metadata: the HOG parameters and the image and descriptor sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct HogFeatures {
    /// scikit-image's parameters.
    pub params: HogParams,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// Channels per pixel.
    pub channels: usize,
    /// Values per descriptor.
    pub dim: usize,
    /// What the values are checked against (`skimage.feature.hog 0.26 …`).
    pub reference: String,
}

/// `features pixels`' metadata: the image size and how the values are laid out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PixelFeatures {
    /// How a byte becomes a value (`1/255`).
    pub scale: String,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// Channels per pixel.
    pub channels: usize,
    /// The order of the values (`row-major HxWxC`).
    pub order: String,
    /// Values per row: height · width · channels.
    pub dim: usize,
}

/// `HogFeatures` as the file spells it: sizes always `[rows, cols]`, every parameter
/// written (`HogParams`' own serde form leaves defaults out and writes `4` for `4x4`).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HogFile {
    orientations: usize,
    pixels_per_cell: [usize; 2],
    cells_per_block: [usize; 2],
    block_norm: BlockNorm,
    transform_sqrt: bool,
    height: usize,
    width: usize,
    channels: usize,
    dim: usize,
    reference: String,
}

impl From<&HogFeatures> for HogFile {
    fn from(h: &HogFeatures) -> Self {
        let p = &h.params;
        HogFile {
            orientations: p.orientations,
            pixels_per_cell: [p.pixels_per_cell.rows, p.pixels_per_cell.cols],
            cells_per_block: [p.cells_per_block.rows, p.cells_per_block.cols],
            block_norm: p.block_norm,
            transform_sqrt: p.transform_sqrt,
            height: h.height,
            width: h.width,
            channels: h.channels,
            dim: h.dim,
            reference: h.reference.clone(),
        }
    }
}

impl From<HogFile> for HogFeatures {
    fn from(f: HogFile) -> Self {
        let size = |[rows, cols]: [usize; 2]| Size2::new(rows, cols);
        HogFeatures {
            params: HogParams {
                orientations: f.orientations,
                pixels_per_cell: size(f.pixels_per_cell),
                cells_per_block: size(f.cells_per_block),
                block_norm: f.block_norm,
                transform_sqrt: f.transform_sqrt,
            },
            height: f.height,
            width: f.width,
            channels: f.channels,
            dim: f.dim,
            reference: f.reference,
        }
    }
}

const METHOD: &str = "method";

impl FeatureParams {
    /// The metadata's text: compact JSON, keys in alphabetical order.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }

    /// Reads the metadata's text; anything but a JSON object is refused.
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        serde_json::from_str(text)
    }

    /// The method's name: `hog`, `pixels`, or what another program wrote (`""` for none).
    pub fn method(&self) -> &str {
        match self {
            FeatureParams::Hog(_) => "hog",
            FeatureParams::Pixels(_) => "pixels",
            FeatureParams::Other(o) => o.get(METHOD).and_then(Value::as_str).unwrap_or(""),
        }
    }

    fn to_value(&self) -> Value {
        let fields = match self {
            FeatureParams::Hog(h) => serde_json::to_value(HogFile::from(h)),
            FeatureParams::Pixels(p) => serde_json::to_value(p),
            FeatureParams::Other(o) => return Value::Object(o.clone()),
        };
        let Ok(Value::Object(mut object)) = fields else {
            unreachable!("a struct of numbers and strings serializes to an object")
        };
        object.insert(METHOD.into(), Value::String(self.method().into()));
        Value::Object(object)
    }

    /// The typed form of an object that is exactly what `features` writes for its
    /// method, else the object as it is.
    fn from_object(object: Map<String, Value>) -> Self {
        let mut fields = object.clone();
        let method = fields.remove(METHOD);
        let typed = match method.as_ref().and_then(Value::as_str) {
            Some("hog") => serde_json::from_value::<HogFile>(Value::Object(fields))
                .ok()
                .map(|f| FeatureParams::Hog(f.into())),
            Some("pixels") => {
                serde_json::from_value(Value::Object(fields)).ok().map(FeatureParams::Pixels)
            }
            _ => None,
        };
        typed.unwrap_or(FeatureParams::Other(object))
    }
}

impl Serialize for FeatureParams {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for FeatureParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(object) => Ok(FeatureParams::from_object(object)),
            other => Err(serde::de::Error::custom(format!(
                "expected a JSON object saying how the features were made, found {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `features hog` writes for MNIST with the lab's parameters, byte for byte.
    const HOG_TEXT: &str = r#"{"block_norm":"L2-Hys","cells_per_block":[1,1],"channels":1,"dim":392,"height":28,"method":"hog","orientations":8,"pixels_per_cell":[4,4],"reference":"skimage.feature.hog 0.26 (feature_vector=True, uint8 input as float64)","transform_sqrt":false,"width":28}"#;

    /// What `features pixels` writes for MNIST, byte for byte.
    const PIXELS_TEXT: &str = r#"{"channels":1,"dim":784,"height":28,"method":"pixels","order":"row-major HxWxC","scale":"1/255","width":28}"#;

    fn hog() -> FeatureParams {
        FeatureParams::Hog(HogFeatures {
            params: HogParams {
                orientations: 8,
                pixels_per_cell: Size2::square(4),
                cells_per_block: Size2::square(1),
                ..HogParams::DEFAULT
            },
            height: 28,
            width: 28,
            channels: 1,
            dim: 392,
            reference: "skimage.feature.hog 0.26 (feature_vector=True, uint8 input as float64)"
                .into(),
        })
    }

    fn pixels() -> FeatureParams {
        FeatureParams::Pixels(PixelFeatures {
            scale: "1/255".into(),
            height: 28,
            width: 28,
            channels: 1,
            order: "row-major HxWxC".into(),
            dim: 784,
        })
    }

    #[test]
    fn the_methods_are_written_as_they_always_were() {
        assert_eq!(hog().to_json(), HOG_TEXT);
        assert_eq!(pixels().to_json(), PIXELS_TEXT);
        assert_eq!(FeatureParams::from_json(HOG_TEXT).unwrap(), hog());
        assert_eq!(FeatureParams::from_json(PIXELS_TEXT).unwrap(), pixels());
    }

    #[test]
    fn a_rectangular_cell_and_another_norm_read_back() {
        let mut h = hog();
        if let FeatureParams::Hog(f) = &mut h {
            f.params.pixels_per_cell = Size2::new(5, 4);
            f.params.block_norm = BlockNorm::L1Sqrt;
            f.params.transform_sqrt = true;
        }
        let text = h.to_json();
        assert!(text.contains(r#""pixels_per_cell":[5,4]"#) && text.contains("L1-sqrt"), "{text}");
        assert_eq!(FeatureParams::from_json(&text).unwrap(), h);
    }

    #[test]
    fn another_programs_object_is_kept_as_written() {
        for text in [
            r#"{"method":"test"}"#,
            r#"{"method":"hog"}"#,
            r#"{"channels":1,"height":28,"method":"pixels","scale":"1/255","width":28}"#,
            r#"{"dim":4,"made_by":"numpy"}"#,
        ] {
            let p = FeatureParams::from_json(text).unwrap();
            assert!(matches!(p, FeatureParams::Other(_)), "{text}: {p:?}");
            assert_eq!(p.to_json(), text);
        }
        // One field more than `features` writes is another program's object too.
        let extra = HOG_TEXT.replace(r#""width":28"#, r#""width":28,"z":0"#);
        assert!(matches!(FeatureParams::from_json(&extra).unwrap(), FeatureParams::Other(_)));
        assert_eq!(FeatureParams::from_json(r#"{"method":"test"}"#).unwrap().method(), "test");
        assert_eq!(hog().method(), "hog");
    }

    #[test]
    fn anything_but_an_object_is_refused() {
        for text in ["[1, 2]", "\"hog\"", "3", "null"] {
            let e = FeatureParams::from_json(text).unwrap_err().to_string();
            assert!(e.contains("expected a JSON object saying how the features were made"), "{e}");
        }
    }
}
