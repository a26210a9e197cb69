//! Training data in memory: images stay uint8 (scaled to [0,1] per batch, as the
//! exported graph does), features stay float32.

use formats::{AnyDataset, DatasetKind};

use crate::engine::tensor::{batch_shape, Tensor};
use crate::error::{fail, Result};

enum Values {
    Bytes(Vec<u8>),
    Floats(Vec<f32>),
}

pub struct Samples {
    pub kind: DatasetKind,
    /// One sample's shape: `[H, W, C]` or `[D]`.
    pub shape: Vec<usize>,
    pub classes: Vec<String>,
    pub labels: Vec<usize>,
    values: Values,
}

/// `v / 255` for every byte value, the ONNX graph's own f32 division, computed once, for
/// the strided reads of multi-channel images (one channel divides in place, vectorised).
const SCALED: [f32; 256] = {
    let mut table = [0.0f32; 256];
    let mut v = 0;
    while v < 256 {
        table[v] = v as f32 / 255.0;
        v += 1;
    }
    table
};

impl Samples {
    /// Takes a dataset read by `common`; `what` names it in errors (labels out of range).
    pub fn from_dataset(data: AnyDataset, what: &str) -> Result<Self> {
        let (kind, shape, classes, labels, values) = match data {
            AnyDataset::Image(d) => (
                DatasetKind::Image,
                vec![d.meta.height, d.meta.width, d.meta.channels],
                d.meta.classes,
                d.labels,
                Values::Bytes(d.images),
            ),
            AnyDataset::Features(d) => (
                DatasetKind::Features,
                vec![d.meta.dim],
                d.meta.classes,
                d.labels,
                Values::Floats(d.features),
            ),
        };
        if labels.is_empty() {
            fail!(Data, "{what} has no rows");
        }
        let n_classes = if classes.is_empty() {
            labels.iter().copied().max().unwrap_or(0).max(0) as usize + 1
        } else {
            classes.len()
        };
        if let Some((row, bad)) =
            labels.iter().enumerate().find(|(_, l)| **l < 0 || **l as usize >= n_classes)
        {
            fail!(
                Data,
                "{what}: row {row} has label {bad}, outside the {n_classes} classes 0..{}",
                n_classes - 1
            );
        }
        if let Values::Floats(f) = &values {
            let dim = shape.iter().product::<usize>().max(1);
            if let Some(at) = f.iter().position(|v| !v.is_finite()) {
                fail!(
                    Data,
                    "{what}: row {} has {} in feature {}; NaN and infinite features cannot be trained on",
                    at / dim,
                    f[at],
                    at % dim
                );
            }
        }
        let classes = if classes.is_empty() {
            (0..n_classes).map(|c| c.to_string()).collect()
        } else {
            classes
        };
        let labels = labels.into_iter().map(|l| l as usize).collect();
        Ok(Samples { kind, shape, classes, labels, values })
    }

    /// Feeds everything that makes these samples what they are to `h`.
    pub(crate) fn fingerprint(&self, h: &mut crate::fingerprint::Fingerprint) {
        h.word(self.kind as u64);
        self.shape.iter().for_each(|&d| {
            h.word(d as u64);
        });
        self.classes.iter().for_each(|c| {
            h.bytes(c.as_bytes());
        });
        self.labels.iter().for_each(|&l| {
            h.word(l as u64);
        });
        match &self.values {
            Values::Bytes(b) => h.bytes(b),
            Values::Floats(f) => h.floats(f),
        };
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn sample_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The rows `idx` as a float tensor (images divided by 255, exactly as the ONNX graph
    /// does, and made channel-planar `[N, C, H, W]` as the engine keeps them).
    pub fn batch(&self, idx: &[usize]) -> Tensor {
        let len = self.sample_len();
        let mut data = Vec::with_capacity(idx.len() * len);
        match &self.values {
            Values::Bytes(b) => {
                let [h, w, c] = self.shape[..] else { unreachable!("image samples are [H, W, C]") };
                for &i in idx {
                    let pixels = &b[i * len..(i + 1) * len];
                    if c == 1 {
                        // Into place, so the conversion and division vectorise (8 lanes of
                        // the same correctly rounded f32 division as the table's).
                        let start = data.len();
                        data.resize(start + len, 0.0);
                        data[start..]
                            .iter_mut()
                            .zip(pixels)
                            .for_each(|(o, &v)| *o = f32::from(v) / 255.0);
                        continue;
                    }
                    for ch in 0..c {
                        data.extend(pixels.iter().skip(ch).step_by(c).map(|&v| SCALED[v as usize]));
                    }
                }
                return Tensor::new(vec![idx.len(), c, h, w], data);
            }
            Values::Floats(f) => {
                for &i in idx {
                    data.extend_from_slice(&f[i * len..(i + 1) * len]);
                }
            }
        }
        Tensor::new(batch_shape(idx.len(), &self.shape), data)
    }

    /// A new set made of rows `idx`.
    pub fn subset(&self, idx: &[usize]) -> Samples {
        let len = self.sample_len();
        let values = match &self.values {
            Values::Bytes(b) => Values::Bytes(
                idx.iter().flat_map(|&i| b[i * len..(i + 1) * len].iter().copied()).collect(),
            ),
            Values::Floats(f) => Values::Floats(
                idx.iter().flat_map(|&i| f[i * len..(i + 1) * len].iter().copied()).collect(),
            ),
        };
        Samples {
            kind: self.kind,
            shape: self.shape.clone(),
            classes: self.classes.clone(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            values,
        }
    }
}
