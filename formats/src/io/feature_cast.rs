//! Feature columns as other programs write them, read as the format's.
//!
//! `features` writes `fixed_size_list<float32>[D]`; pandas (`df.to_parquet` of a column
//! of numpy arrays) and most dataframe libraries write a `list<float>` or
//! `list<double>` instead, and numpy's default dtype gives `double`. A reader accepts
//! any list (`list`, `large_list`, `fixed_size_list`) of `float` or `double` in which
//! every row holds D values, and casts it to `fixed_size_list<float32>[D]` batch by
//! batch (a `double` becomes the nearest `float`). D is the list's fixed size, else
//! the metadata key `dim`, else the length of the first row.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ListArray, RecordBatch};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::dataset::{describe, DIM_KEY, FEATURES};
use crate::error::{Error, Result};
use crate::parquet_bounds::open_checked;

/// How a dataset's feature column is read as `fixed_size_list<float32>[D]`.
#[derive(Debug, Clone)]
pub(super) struct FeatureCast {
    /// The column's index.
    column: usize,
    /// `fixed_size_list<float32>[D]`.
    target: DataType,
    /// D.
    dim: usize,
    /// The schema with the column as the target type (what the reader shows).
    schema: SchemaRef,
}

impl FeatureCast {
    /// `None` when the column is already the format's (or absent, or not a list of
    /// floats: the format's checks then name the problem); otherwise the cast, with D
    /// found as the module says (reading the first row of `first_part` if need be).
    pub(super) fn of(
        schema: &SchemaRef,
        dataset: &Path,
        first_part: &Path,
    ) -> Result<Option<Self>> {
        let Ok(column) = schema.index_of(FEATURES) else { return Ok(None) };
        let field = schema.field(column);
        let (item, fixed) = match field.data_type() {
            DataType::FixedSizeList(item, n) => (item, Some(*n as usize)),
            DataType::List(item) | DataType::LargeList(item) => (item, None),
            _ => return Ok(None),
        };
        let floats = matches!(item.data_type(), DataType::Float32 | DataType::Float64);
        if !floats || (fixed.is_some() && item.data_type() == &DataType::Float32) {
            return Ok(None);
        }
        let from_metadata = schema.metadata().get(DIM_KEY).and_then(|d| d.parse().ok());
        let dim = match fixed.or(from_metadata) {
            Some(d) => d,
            None => first_row_length(first_part, dataset)?,
        };
        if dim == 0 || dim > i32::MAX as usize {
            return Err(Error::schema(
                dataset,
                format!("{}: column `{FEATURES}` holds {dim} values per row", describe(dataset)),
            ));
        }
        let item = Arc::new(Field::new("item", DataType::Float32, false));
        let target = DataType::FixedSizeList(item, dim as i32);
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields[column] = Field::new(FEATURES, target.clone(), field.is_nullable());
        let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
        Ok(Some(Self { column, target, dim, schema }))
    }

    /// The schema the reader shows: the feature column as `fixed_size_list<float32>[D]`.
    pub(super) fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// One batch with its feature column cast; a row of another length than D is an
    /// error naming `part`.
    pub(super) fn apply(&self, batch: RecordBatch, part: &Path) -> Result<RecordBatch> {
        let options = CastOptions { safe: false, ..CastOptions::default() };
        let mut columns = batch.columns().to_vec();
        columns[self.column] = cast_with_options(&columns[self.column], &self.target, &options)
            .map_err(|e| {
                Error::schema(
                    part,
                    format!(
                        "{}: column `{FEATURES}` cannot be read as {} values of float32 per row: {e}",
                        part.display(),
                        self.dim
                    ),
                )
            })?;
        RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| {
            Error::schema(part, format!("{}: column `{FEATURES}`: {e}", part.display()))
        })
    }
}

/// The number of values in the first row of `part`'s feature column (a variable list).
fn first_row_length(part: &Path, dataset: &Path) -> Result<usize> {
    let no_rows = || {
        Error::schema(
            dataset,
            format!(
                "{}: column `{FEATURES}` is a variable-length list and the dataset has no row to tell its length; give the metadata key `{DIM_KEY}`",
                describe(dataset)
            ),
        )
    };
    let reader = open_checked(part)?
        .with_batch_size(1)
        .with_limit(1)
        .build()
        .map_err(|source| Error::NotParquet { path: part.to_path_buf(), source })?;
    let batch = match reader.into_iter().next() {
        Some(Ok(batch)) => batch,
        Some(Err(source)) => {
            return Err(Error::CorruptParquet { path: part.to_path_buf(), source })
        }
        None => return Err(no_rows()),
    };
    let column = batch.column_by_name(FEATURES).ok_or_else(no_rows)?;
    let lengths = match column.data_type() {
        DataType::List(_) => column.as_any().downcast_ref::<ListArray>().map(|l| l.value_length(0)),
        DataType::LargeList(_) => column
            .as_any()
            .downcast_ref::<arrow::array::LargeListArray>()
            .map(|l| l.value_length(0) as i32),
        _ => None,
    };
    match lengths {
        Some(n) if batch.num_rows() > 0 && n >= 0 => Ok(n as usize),
        _ => Err(no_rows()),
    }
}
