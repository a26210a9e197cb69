//! Reading datasets: a streaming [`DatasetReader`] over a file or a directory of
//! parts, and whole-dataset loaders.

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::ParquetRecordBatchReader;

use crate::dataset::{
    batch_features, batch_images, batch_labels, describe, kind_of, AnyDataset, DatasetKind,
    FeatureDataset, FeatureMeta, ImageDataset, ImageMeta, PATH,
};
use crate::error::{Error, IoAction, Result};
use crate::parquet_bounds::{open_checked, open_footer};
use crate::shard::Shard;

use super::feature_cast::FeatureCast;

/// Rows per record batch when reading.
pub const READ_BATCH_ROWS: usize = 8192;

/// The Parquet files that make up the dataset at `path`, in reading order.
pub fn list_parts(path: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path).map_err(Error::io(IoAction::ReadDataset, path))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut parts: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(Error::io(IoAction::ListDataset, path))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "parquet"))
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    parts.sort();
    if parts.is_empty() {
        return Err(Error::NoParts { path: path.to_path_buf() });
    }
    Ok(parts)
}

/// At most this many rows and bytes are reserved from a footer's counts before reading.
const PREALLOCATED_ROWS: usize = 1 << 20;
const PREALLOCATED_BYTES: usize = 1 << 30;

/// Streams the record batches of a dataset (file or directory of parts).
pub struct DatasetReader {
    path: PathBuf,
    parts: Vec<PathBuf>,
    /// Rows of each part, from its footer.
    part_rows: Vec<usize>,
    schema: SchemaRef,
    rows: usize,
    /// The rows this reader yields ([`DatasetReader::window`]): all by default.
    window: std::ops::Range<usize>,
    next_part: usize,
    current: Option<ParquetRecordBatchReader>,
    batch_rows: usize,
    /// How a feature column written as another list of floats is read as the format's.
    cast: Option<FeatureCast>,
}

impl DatasetReader {
    /// Opens a dataset and checks that every part has the same schema and metadata.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with_batch_rows(path, READ_BATCH_ROWS)
    }

    /// [`DatasetReader::open`] yielding batches of at most `batch_rows` rows.
    pub fn open_with_batch_rows(path: &Path, batch_rows: usize) -> Result<Self> {
        let parts = list_parts(path)?;
        let mut schema: Option<SchemaRef> = None;
        let mut rows = 0;
        let mut part_rows = Vec::with_capacity(parts.len());
        for part in &parts {
            // Only the footer is read here; the pages are checked when read.
            let builder = open_footer(part)?;
            // The footer's row count is checked against its row groups before anything
            // is sized from it (a corrupt footer says -1 or 2⁴⁰).
            let declared = builder.metadata().file_metadata().num_rows();
            let in_groups: i64 =
                builder.metadata().row_groups().iter().map(|g| g.num_rows().max(0)).sum();
            if declared < 0 || declared != in_groups {
                return Err(Error::schema(
                    part,
                    format!(
                        "{}: corrupt Parquet footer ({declared} rows declared, {in_groups} in its row groups)",
                        part.display()
                    ),
                ));
            }
            rows += declared as usize;
            part_rows.push(declared as usize);
            let s = builder.schema().clone();
            match &schema {
                None => schema = Some(s),
                // Metadata too: parts of 49×16 and 28×28 images share their columns.
                Some(first) if first.fields() != s.fields() || first.metadata() != s.metadata() => {
                    return Err(Error::PartSchema {
                        dataset: path.to_path_buf(),
                        part: part.clone(),
                        first: parts[0].clone(),
                    })
                }
                Some(_) => {}
            }
        }
        let schema = schema.unwrap();
        let cast = FeatureCast::of(&schema, path, &parts[0])?;
        Ok(Self {
            path: path.to_path_buf(),
            schema: cast.as_ref().map_or(schema, |c| c.schema().clone()),
            cast,
            parts,
            part_rows,
            rows,
            window: 0..rows,
            next_part: 0,
            current: None,
            batch_rows,
        })
    }

    /// The schema, with the format's metadata.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The rows this reader yields: all rows over all parts (from the Parquet
    /// footers), or those of its [`DatasetReader::window`].
    pub fn rows(&self) -> usize {
        self.window.len()
    }

    /// Rows over all parts, whatever the window.
    pub fn total_rows(&self) -> usize {
        self.rows
    }

    /// Index of the first row yielded, among all rows of the dataset.
    pub fn first_row(&self) -> usize {
        self.window.start
    }

    /// Yields only the rows of `shard` (`--shard K/N`), in order: parts outside it
    /// are not opened, and the ones it cuts are read from an offset with a limit.
    pub fn shard(mut self, shard: Shard) -> Self {
        self.window = shard.range(self.rows);
        self
    }

    /// This reader's batches, each decoded on a thread of its own while the caller
    /// works on the one before ([`Prefetch`](super::Prefetch)).
    pub fn prefetch(self) -> super::Prefetch {
        super::Prefetch::start(self)
    }

    /// The dataset's path (a file or a directory of parts), as given to [`DatasetReader::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `dataset PATH`, for error messages.
    pub fn describe(&self) -> String {
        describe(&self.path)
    }

    /// Image or feature dataset, from the schema metadata.
    pub fn kind(&self) -> Result<DatasetKind> {
        kind_of(&self.schema, &self.path)
    }

    /// The image metadata; an error for a feature dataset.
    pub fn image_meta(&self) -> Result<ImageMeta> {
        ImageMeta::from_schema(&self.schema, &self.path)
    }

    /// The feature metadata; an error for an image dataset.
    pub fn feature_meta(&self) -> Result<FeatureMeta> {
        FeatureMeta::from_schema(&self.schema, &self.path)
    }
}

impl Iterator for DatasetReader {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(reader) = &mut self.current {
                match crate::guard::catch(|| reader.next()) {
                    Ok(Some(Ok(batch))) => {
                        return Some(match &self.cast {
                            None => Ok(batch),
                            Some(cast) => cast.apply(batch, &self.parts[self.next_part - 1]),
                        })
                    }
                    Ok(Some(Err(source))) => {
                        let path = self.parts[self.next_part - 1].clone();
                        return Some(Err(Error::CorruptParquet { path, source }));
                    }
                    Ok(None) => self.current = None,
                    Err(message) => {
                        // A reader that panicked is not used again, nor are the parts after it.
                        let path = self.parts[self.next_part - 1].clone();
                        self.current = None;
                        self.next_part = self.parts.len();
                        return Some(Err(Error::PanickedParquet { path, message }));
                    }
                }
            }
            if self.next_part == self.parts.len() {
                return None;
            }
            // This part's rows among all rows, cut to the window.
            let start: usize = self.part_rows[..self.next_part].iter().sum();
            let end = start + self.part_rows[self.next_part];
            let (from, to) = (start.max(self.window.start), end.min(self.window.end));
            let part = &self.parts[self.next_part];
            self.next_part += 1;
            if from >= to {
                continue;
            }
            let (offset, limit) = (from.saturating_sub(start), to.saturating_sub(from));
            let whole = offset == 0 && limit == end - start;
            let reader = open_checked(part).and_then(|b| {
                let b = b.with_batch_size(self.batch_rows);
                let b = if whole { b } else { b.with_offset(offset).with_limit(limit) };
                crate::guard::catch(|| b.build())
                    .map_err(|message| Error::PanickedParquet { path: part.clone(), message })?
                    .map_err(|source| Error::NotParquet { path: part.clone(), source })
            });
            match reader {
                Ok(r) => self.current = Some(r),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// Loads a whole image dataset into memory.
pub fn read_image_dataset(path: &Path) -> Result<ImageDataset> {
    let reader = DatasetReader::open(path)?;
    let meta = reader.image_meta()?;
    let with_path = reader.schema().field_with_name(PATH).is_ok();
    // Sized up front, but only so far: the vectors grow with what is really read.
    let rows = reader.rows().min(PREALLOCATED_ROWS);
    let mut labels = Vec::with_capacity(rows);
    let mut images =
        Vec::with_capacity(rows.saturating_mul(meta.image_len()).min(PREALLOCATED_BYTES));
    let mut paths = with_path.then(|| Vec::with_capacity(rows));
    for batch in reader {
        let batch = batch?;
        labels.extend(batch_labels(&batch, path)?);
        images.extend_from_slice(batch_images(&batch, path)?);
        if let Some(paths) = &mut paths {
            let col = arrow::compute::cast(
                batch.column_by_name(PATH).unwrap(),
                &arrow::datatypes::DataType::Utf8,
            )
            .map_err(|e| {
                Error::schema_because(
                    path,
                    format!("{}: column `{PATH}` is not text", describe(path)),
                    e,
                )
            })?;
            let col = col.as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
            paths.extend(col.iter().map(|s| s.unwrap_or_default().to_string()));
        }
    }
    Ok(ImageDataset { meta, labels, images, paths })
}

/// Loads a whole feature dataset into memory.
pub fn read_feature_dataset(path: &Path) -> Result<FeatureDataset> {
    let reader = DatasetReader::open(path)?;
    let meta = reader.feature_meta()?;
    let rows = reader.rows().min(PREALLOCATED_ROWS);
    let mut labels = Vec::with_capacity(rows);
    let mut features =
        Vec::with_capacity(rows.saturating_mul(meta.dim).min(PREALLOCATED_BYTES / 4));
    for batch in reader {
        let batch = batch?;
        labels.extend(batch_labels(&batch, path)?);
        features.extend_from_slice(batch_features(&batch, path)?);
    }
    Ok(FeatureDataset { meta, labels, features })
}

/// Loads a dataset of either kind.
pub fn read_any_dataset(path: &Path) -> Result<AnyDataset> {
    let kind = DatasetReader::open(path)?.kind()?;
    Ok(match kind {
        DatasetKind::Image => AnyDataset::Image(read_image_dataset(path)?),
        DatasetKind::Features => AnyDataset::Features(read_feature_dataset(path)?),
    })
}
