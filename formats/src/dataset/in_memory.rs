//! Whole datasets in memory: [`ImageDataset`], [`FeatureDataset`], and
//! [`AnyDataset`] for a stage that takes either.

use std::sync::Arc;

use arrow::array::{ArrayRef, FixedSizeBinaryArray, Int32Array, RecordBatch, StringArray};

use super::{feature_batch, image_schema, FeatureMeta, ImageMeta};
use crate::error::Result;

/// A whole image dataset in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageDataset {
    /// Image size, classes and source.
    pub meta: ImageMeta,
    /// Each row's class index.
    pub labels: Vec<i32>,
    /// `len() * meta.image_len()` bytes, row-major HWC per image.
    pub images: Vec<u8>,
    /// Source file of each row, when the dataset records it.
    pub paths: Option<Vec<String>>,
}

impl ImageDataset {
    /// Rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True for no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The bytes of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.meta.image_len();
        &self.images[i * n..(i + 1) * n]
    }

    /// Rows `start..end` as a record batch of [`image_schema`].
    pub fn to_batch(&self, start: usize, end: usize) -> Result<RecordBatch> {
        let n = self.meta.image_len();
        let schema = image_schema(&self.meta, self.paths.is_some());
        let labels: ArrayRef = Arc::new(Int32Array::from(self.labels[start..end].to_vec()));
        let images: ArrayRef = Arc::new(FixedSizeBinaryArray::try_new(
            n as i32,
            self.images[start * n..end * n].to_vec().into(),
            None,
        )?);
        let mut columns = vec![labels, images];
        if let Some(paths) = &self.paths {
            columns.push(Arc::new(StringArray::from_iter_values(&paths[start..end])));
        }
        Ok(RecordBatch::try_new(schema, columns)?)
    }
}

/// A whole feature dataset in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureDataset {
    /// Vector length, classes and source.
    pub meta: FeatureMeta,
    /// Each row's class index.
    pub labels: Vec<i32>,
    /// `len() * meta.dim` values, row-major.
    pub features: Vec<f32>,
}

impl FeatureDataset {
    /// Rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True for no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The feature vector of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.meta.dim..(i + 1) * self.meta.dim]
    }

    /// Rows `start..end` as a record batch of [`feature_schema`].
    pub fn to_batch(&self, start: usize, end: usize) -> Result<RecordBatch> {
        feature_batch(
            &self.meta,
            self.labels[start..end].to_vec(),
            self.features[start * self.meta.dim..end * self.meta.dim].to_vec(),
        )
    }
}

/// Either kind of dataset, for stages that take both (`train`, `evaluate`).
#[derive(Debug, Clone, PartialEq)]
pub enum AnyDataset {
    /// An image dataset.
    Image(ImageDataset),
    /// A feature dataset.
    Features(FeatureDataset),
}

impl AnyDataset {
    /// Each row's class index.
    pub fn labels(&self) -> &[i32] {
        match self {
            AnyDataset::Image(d) => &d.labels,
            AnyDataset::Features(d) => &d.labels,
        }
    }

    /// Class names.
    pub fn classes(&self) -> &[String] {
        match self {
            AnyDataset::Image(d) => &d.meta.classes,
            AnyDataset::Features(d) => &d.meta.classes,
        }
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.labels().len()
    }

    /// True for no rows.
    pub fn is_empty(&self) -> bool {
        self.labels().is_empty()
    }
}
