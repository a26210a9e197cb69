//! The two dataset formats of `docs/formats.md`, as Arrow schemas and in-memory tables.
//!
//! * **image dataset**: `label: int32`, `image: fixed_size_binary[H·W·C]`
//!   (uint8, row-major HWC), optional `path: utf8`; schema metadata `height`,
//!   `width`, `channels`, `classes` (JSON list, index = label), `source`.
//! * **feature dataset**: `label: int32`, `features: fixed_size_list<float32>[D]`;
//!   schema metadata `dim`, `classes`, `source`, and `features` (JSON object
//!   describing how the features were made, e.g. `{"method":"hog",...}`; read and
//!   written as [`FeatureParams`]).
//!
//! Both carry `kind` = `image` / `features` in the metadata so a reader can
//! tell them apart without guessing from columns.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, FixedSizeBinaryArray, FixedSizeListArray, Float32Array, Int32Array, RecordBatch,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};

mod feature_params;
mod in_memory;

pub use feature_params::{FeatureParams, HogFeatures, PixelFeatures};
pub use in_memory::{AnyDataset, FeatureDataset, ImageDataset};

/// Column names, fixed by the format.
pub const LABEL: &str = "label";
/// Column: one image's bytes (`fixed_size_binary[H·W·C]`).
pub const IMAGE: &str = "image";
/// Column: each row's source file (optional).
pub const PATH: &str = "path";
/// Column: one feature vector (`fixed_size_list<float32>[D]`).
pub const FEATURES: &str = "features";

/// Metadata keys, fixed by the format.
pub const KIND_KEY: &str = "kind";
/// Metadata key: image height in pixels.
pub const HEIGHT_KEY: &str = "height";
/// Metadata key: image width in pixels.
pub const WIDTH_KEY: &str = "width";
/// Metadata key: channels per pixel.
pub const CHANNELS_KEY: &str = "channels";
/// Metadata key: class names (JSON list).
pub const CLASSES_KEY: &str = "classes";
/// Metadata key: where the data came from (free text).
pub const SOURCE_KEY: &str = "source";
/// Metadata key: feature vector length.
pub const DIM_KEY: &str = "dim";
/// Metadata key: how the features were made (JSON).
pub const FEATURES_KEY: &str = "features";

/// Which of the two formats a dataset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetKind {
    /// Images with labels.
    Image,
    /// Feature vectors with labels.
    Features,
}

/// What one row of a dataset holds: an image of H×W×C bytes or D feature values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowShape {
    /// Image rows.
    Image {
        /// Pixel rows.
        height: usize,
        /// Pixel columns.
        width: usize,
        /// Channels per pixel.
        channels: usize,
    },
    /// Feature rows.
    Features {
        /// Values per row.
        dim: usize,
    },
}

impl RowShape {
    /// The dataset kind, without the dimensions.
    pub fn kind(&self) -> DatasetKind {
        match self {
            RowShape::Image { .. } => DatasetKind::Image,
            RowShape::Features { .. } => DatasetKind::Features,
        }
    }

    /// Values per row: H·W·C, or D.
    pub fn values(&self) -> usize {
        match *self {
            RowShape::Image { height, width, channels } => height * width * channels,
            RowShape::Features { dim } => dim,
        }
    }

    /// One row's shape: `[H, W, C]` or `[D]`.
    pub fn shape(&self) -> Vec<usize> {
        match *self {
            RowShape::Image { height, width, channels } => vec![height, width, channels],
            RowShape::Features { dim } => vec![dim],
        }
    }
}

/// Schema metadata of an image dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageMeta {
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// Channels per pixel (1 grey, 3 RGB).
    pub channels: usize,
    /// Class names; `classes[label]` names the class of a row.
    pub classes: Vec<String>,
    /// Free text: where the images came from (files, generator, licence note).
    pub source: String,
}

impl ImageMeta {
    /// Bytes per image: H·W·C.
    pub fn image_len(&self) -> usize {
        self.height * self.width * self.channels
    }

    /// The schema metadata that records this.
    pub fn to_metadata(&self) -> HashMap<String, String> {
        HashMap::from([
            (KIND_KEY.into(), "image".into()),
            (HEIGHT_KEY.into(), self.height.to_string()),
            (WIDTH_KEY.into(), self.width.to_string()),
            (CHANNELS_KEY.into(), self.channels.to_string()),
            (CLASSES_KEY.into(), serde_json::to_string(&self.classes).unwrap()),
            (SOURCE_KEY.into(), self.source.clone()),
        ])
    }

    /// Reads the metadata of an image dataset's schema; `dataset` is its path, for errors.
    pub fn from_schema(schema: &Schema, dataset: &Path) -> Result<Self> {
        let what = describe(dataset);
        let md = schema.metadata();
        check_shard_set(dataset, md)?;
        let height = parse_usize(md, HEIGHT_KEY, dataset)?;
        let width = parse_usize(md, WIDTH_KEY, dataset)?;
        let channels = parse_usize(md, CHANNELS_KEY, dataset)?;
        let classes = parse_classes(md, dataset)?;
        let source = md.get(SOURCE_KEY).cloned().unwrap_or_default();
        // H·W·C is a Parquet value's byte length: it must not overflow (2⁶³+392 × 2
        // would wrap to 784) and must fit the i32 a fixed_size_binary length is.
        let fits = height.checked_mul(width).and_then(|hw| hw.checked_mul(channels));
        if fits.is_none_or(|n| n > i32::MAX as usize) {
            return Err(Error::schema(
                dataset,
                format!("{what}: images of {height}x{width}x{channels} values are too large for one Parquet value"),
            ));
        }
        let meta = Self { height, width, channels, classes, source };
        let field = schema.field_with_name(IMAGE).map_err(|_| {
            Error::schema(
                dataset,
                format!("{what} has no `{IMAGE}` column (columns: {})", column_list(schema)),
            )
        })?;
        match field.data_type() {
            DataType::FixedSizeBinary(n) if *n as usize == meta.image_len() => {}
            other => {
                return Err(Error::schema(
                    dataset,
                    format!(
                        "{what}: column `{IMAGE}` is {other}, expected fixed_size_binary[{}] for {}x{}x{} images",
                        meta.image_len(),
                        meta.height,
                        meta.width,
                        meta.channels
                    ),
                ))
            }
        }
        check_label_field(schema, dataset)?;
        Ok(meta)
    }
}

/// Schema metadata of a feature dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMeta {
    /// Values per feature vector.
    pub dim: usize,
    /// Class names; `classes[label]` names the class of a row.
    pub classes: Vec<String>,
    /// Free text: the image dataset the features were made from.
    pub source: String,
    /// How the features were made (the `features` metadata); `None` when the file
    /// does not say.
    pub params: Option<FeatureParams>,
}

impl FeatureMeta {
    /// The schema metadata that records this.
    pub fn to_metadata(&self) -> HashMap<String, String> {
        let mut metadata = HashMap::from([
            (KIND_KEY.into(), "features".into()),
            (DIM_KEY.into(), self.dim.to_string()),
            (CLASSES_KEY.into(), serde_json::to_string(&self.classes).unwrap()),
            (SOURCE_KEY.into(), self.source.clone()),
        ]);
        if let Some(params) = &self.params {
            metadata.insert(FEATURES_KEY.into(), params.to_json());
        }
        metadata
    }

    /// Reads the metadata of a feature dataset's schema; `dataset` is its path, for errors.
    pub fn from_schema(schema: &Schema, dataset: &Path) -> Result<Self> {
        let what = describe(dataset);
        let md = schema.metadata();
        check_shard_set(dataset, md)?;
        let field = schema.field_with_name(FEATURES).map_err(|_| {
            Error::schema(
                dataset,
                format!("{what} has no `{FEATURES}` column (columns: {})", column_list(schema)),
            )
        })?;
        let dim = match field.data_type() {
            DataType::FixedSizeList(item, n) if item.data_type() == &DataType::Float32 => {
                *n as usize
            }
            other => {
                return Err(Error::schema(
                    dataset,
                    format!(
                    "{what}: column `{FEATURES}` is {other}, expected fixed_size_list<float32>[D]"
                ),
                ))
            }
        };
        if let Some(d) = md.get(DIM_KEY) {
            if d.parse::<usize>().ok() != Some(dim) {
                return Err(Error::schema(
                    dataset,
                    format!("{what}: metadata says dim = {d} but column `{FEATURES}` holds {dim} values per row"),
                ));
            }
        }
        check_label_field(schema, dataset)?;
        let classes = parse_classes(md, dataset)?;
        let source = md.get(SOURCE_KEY).cloned().unwrap_or_default();
        let params = match md.get(FEATURES_KEY) {
            Some(s) => Some(FeatureParams::from_json(s).map_err(|source| Error::Json {
                path: dataset.to_path_buf(),
                message: format!("{what}: metadata `{FEATURES_KEY}` is not a JSON object"),
                source,
            })?),
            None => None,
        };
        Ok(Self { dim, classes, source, params })
    }
}

/// A directory of shard parts must be one complete set ([`crate::shard::check_complete_set`]).
fn check_shard_set(dataset: &Path, md: &arrow::datatypes::Metadata) -> Result<()> {
    crate::shard::check_complete_set(dataset, md).map_err(|e| Error::schema(dataset, e.to_string()))
}

/// `dataset PATH`, how errors name a dataset.
pub(crate) fn describe(dataset: &Path) -> String {
    format!("dataset {}", dataset.display())
}

fn column_list(schema: &Schema) -> String {
    schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
}

fn check_label_field(schema: &Schema, dataset: &Path) -> Result<()> {
    let what = describe(dataset);
    let field = schema.field_with_name(LABEL).map_err(|_| {
        Error::schema(
            dataset,
            format!("{what} has no `{LABEL}` column (columns: {})", column_list(schema)),
        )
    })?;
    if !field.data_type().is_integer() {
        return Err(Error::schema(
            dataset,
            format!("{what}: column `{LABEL}` is {}, expected an integer type", field.data_type()),
        ));
    }
    Ok(())
}

fn parse_usize(md: &arrow::datatypes::Metadata, key: &str, dataset: &Path) -> Result<usize> {
    let what = describe(dataset);
    let v = md.get(key).ok_or_else(|| {
        Error::schema(
            dataset,
            format!("{what} has no `{key}` in its schema metadata; is it an image dataset?"),
        )
    })?;
    v.parse().map_err(|e: std::num::ParseIntError| {
        Error::schema_because(
            dataset,
            format!("{what}: metadata `{key}` = {v:?} is not a whole number"),
            e,
        )
    })
}

fn parse_classes(md: &arrow::datatypes::Metadata, dataset: &Path) -> Result<Vec<String>> {
    match md.get(CLASSES_KEY) {
        Some(s) => serde_json::from_str(s).map_err(|source| Error::Json {
            path: dataset.to_path_buf(),
            message: format!(
                "{}: metadata `{CLASSES_KEY}` is not a JSON list of names",
                describe(dataset)
            ),
            source,
        }),
        None => Ok(Vec::new()),
    }
}

/// Tells an image dataset from a feature dataset by its columns; `dataset` is its
/// path, for errors.
pub fn kind_of(schema: &Schema, dataset: &Path) -> Result<DatasetKind> {
    if schema.field_with_name(IMAGE).is_ok() {
        Ok(DatasetKind::Image)
    } else if schema.field_with_name(FEATURES).is_ok() {
        Ok(DatasetKind::Features)
    } else {
        Err(Error::schema(
            dataset,
            format!(
                "{} is neither an image dataset (no `{IMAGE}` column) nor a feature dataset (no `{FEATURES}` column); columns: {}",
                describe(dataset),
                column_list(schema)
            ),
        ))
    }
}

/// The Arrow schema of an image dataset.
pub fn image_schema(meta: &ImageMeta, with_path: bool) -> SchemaRef {
    let mut fields = vec![
        Field::new(LABEL, DataType::Int32, false),
        Field::new(IMAGE, DataType::FixedSizeBinary(meta.image_len() as i32), false),
    ];
    if with_path {
        fields.push(Field::new(PATH, DataType::Utf8, false));
    }
    Arc::new(Schema::new_with_metadata(fields, meta.to_metadata()))
}

/// The Arrow schema of a feature dataset.
pub fn feature_schema(meta: &FeatureMeta) -> SchemaRef {
    let fields = vec![
        Field::new(LABEL, DataType::Int32, false),
        Field::new(FEATURES, features_type(meta.dim), false),
    ];
    Arc::new(Schema::new_with_metadata(fields, meta.to_metadata()))
}

fn item_field() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Float32, false))
}

fn features_type(dim: usize) -> DataType {
    DataType::FixedSizeList(item_field(), dim as i32)
}

/// Labels of a batch of `dataset` as i32, whatever integer type the file used.
pub fn batch_labels(batch: &RecordBatch, dataset: &Path) -> Result<Vec<i32>> {
    let what = describe(dataset);
    let col = batch
        .column_by_name(LABEL)
        .ok_or_else(|| Error::schema(dataset, format!("{what} has no `{LABEL}` column")))?;
    if col.null_count() > 0 {
        return Err(Error::schema(
            dataset,
            format!("{what}: column `{LABEL}` has {} missing values", col.null_count()),
        ));
    }
    let cast = arrow::compute::cast(col, &DataType::Int32).map_err(|e| {
        Error::schema_because(dataset, format!("{what}: column `{LABEL}` does not fit in int32"), e)
    })?;
    let arr = cast.as_any().downcast_ref::<Int32Array>().unwrap();
    Ok(arr.values().to_vec())
}

/// The image bytes of a batch of `dataset`, concatenated (row-major, H·W·C per row).
pub fn batch_images<'a>(batch: &'a RecordBatch, dataset: &Path) -> Result<&'a [u8]> {
    let what = describe(dataset);
    let col = batch
        .column_by_name(IMAGE)
        .ok_or_else(|| Error::schema(dataset, format!("{what} has no `{IMAGE}` column")))?;
    let arr = col.as_any().downcast_ref::<FixedSizeBinaryArray>().ok_or_else(|| {
        Error::schema(dataset, format!("{what}: column `{IMAGE}` is not fixed_size_binary"))
    })?;
    if arr.null_count() > 0 {
        return Err(Error::schema(
            dataset,
            format!("{what}: column `{IMAGE}` has {} missing images", arr.null_count()),
        ));
    }
    let width = arr.value_length() as usize;
    let start = arr.offset() * width;
    Ok(&arr.value_data()[start..start + arr.len() * width])
}

/// The feature values of a batch of `dataset`, concatenated (D per row).
pub fn batch_features<'a>(batch: &'a RecordBatch, dataset: &Path) -> Result<&'a [f32]> {
    let what = describe(dataset);
    let col = batch
        .column_by_name(FEATURES)
        .ok_or_else(|| Error::schema(dataset, format!("{what} has no `{FEATURES}` column")))?;
    let arr = col.as_any().downcast_ref::<FixedSizeListArray>().ok_or_else(|| {
        Error::schema(dataset, format!("{what}: column `{FEATURES}` is not a fixed_size_list"))
    })?;
    if arr.null_count() > 0 {
        return Err(Error::schema(
            dataset,
            format!("{what}: column `{FEATURES}` has {} missing rows", arr.null_count()),
        ));
    }
    let dim = arr.value_length() as usize;
    let values = arr.values().as_any().downcast_ref::<Float32Array>().ok_or_else(|| {
        Error::schema(dataset, format!("{what}: column `{FEATURES}` does not hold float32"))
    })?;
    let start = arr.offset() * dim;
    Ok(&values.values()[start..start + arr.len() * dim])
}

/// Builds one record batch of a feature dataset from labels and row-major values.
pub fn feature_batch(
    meta: &FeatureMeta,
    labels: Vec<i32>,
    values: Vec<f32>,
) -> Result<RecordBatch> {
    if values.len() != labels.len() * meta.dim {
        return Err(Error::FeatureValues {
            values: values.len(),
            rows: labels.len(),
            dim: meta.dim,
        });
    }
    let list = FixedSizeListArray::try_new(
        item_field(),
        meta.dim as i32,
        Arc::new(Float32Array::from(values)),
        None,
    )?;
    Ok(RecordBatch::try_new(
        feature_schema(meta),
        vec![Arc::new(Int32Array::from(labels)), Arc::new(list)],
    )?)
}
