//! Parquet reading and writing for both dataset formats.
//!
//! A dataset path is one Parquet file, or a directory of `*.parquet` part files
//! sharing one schema, read in file-name order (how `ingest --rows-per-file`,
//! a sharded run or a distributed engine writes it). Reading streams record
//! batches, so a stage never needs two full copies of a large dataset.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::atomic::AtomicPath;
use crate::dataset::{
    batch_features, batch_images, batch_labels, describe, kind_of, AnyDataset, DatasetKind,
    FeatureDataset, FeatureMeta, ImageDataset, ImageMeta, PATH,
};
use crate::error::{Error, IoAction, Result};

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

/// True when every entry of `dir` has a name that `ours` accepts (an empty one too).
pub fn only_names(dir: &Path, ours: impl Fn(&str) -> bool) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(|e| e.ok()).all(|e| ours(&e.file_name().to_string_lossy()))
    })
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
}

impl DatasetReader {
    /// Opens a dataset and checks that every part has the same schema and metadata.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with_batch_rows(path, READ_BATCH_ROWS)
    }

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
        Ok(Self {
            path: path.to_path_buf(),
            parts,
            part_rows,
            schema: schema.unwrap(),
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
    pub fn shard(mut self, shard: crate::Shard) -> Self {
        self.window = shard.range(self.rows);
        self
    }

    /// The dataset's path (a file or a directory of parts), as given to [`DatasetReader::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `dataset PATH`, for error messages.
    pub fn describe(&self) -> String {
        describe(&self.path)
    }

    pub fn kind(&self) -> Result<DatasetKind> {
        kind_of(&self.schema, &self.path)
    }

    pub fn image_meta(&self) -> Result<ImageMeta> {
        ImageMeta::from_schema(&self.schema, &self.path)
    }

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
                    Ok(Some(Ok(batch))) => return Some(Ok(batch)),
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

/// Opens one Parquet file and parses its footer, checked for bounds first
/// ([`crate::parquet_bounds::check_footer`]); panics inside the parquet crate caught.
/// For its metadata: the pages are not looked at.
pub(crate) fn open_footer(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let mut file = File::open(path).map_err(Error::io(IoAction::Open, path))?;
    crate::parquet_bounds::check_footer(&mut file, path)?;
    crate::guard::catch(|| ParquetRecordBatchReaderBuilder::try_new(file))
        .map_err(|message| Error::PanickedParquet { path: path.to_path_buf(), message })?
        .map_err(|source| Error::NotParquet { path: path.to_path_buf(), source })
}

/// [`open_footer`], and every page header checked for bounds too
/// ([`crate::parquet_bounds::check_pages`]): for reading the rows.
pub(crate) fn open_checked(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>> {
    let builder = open_footer(path)?;
    let mut pages = File::open(path).map_err(Error::io(IoAction::Open, path))?;
    crate::parquet_bounds::check_pages(&mut pages, path, builder.metadata())?;
    Ok(builder)
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

/// What a finished [`DatasetWriter`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    pub rows: usize,
    pub files: usize,
}

/// Bytes of one row group (at most): small enough that several are encoded at once,
/// one per rayon thread, large enough that a reader streams them efficiently.
const GROUP_BYTES: usize = 8 << 20;

/// Row groups the rows after the last full group are split into (at least 64 rows each).
const TAIL_GROUPS: usize = 4;

/// An encoded row group, or why it could not be encoded.
type Encoded = parquet::errors::Result<Vec<ArrowColumnChunk>>;

/// One open Parquet file: the file writer and the factory of its column writers.
struct PartWriter {
    file: SerializedFileWriter<File>,
    factory: ArrowRowGroupWriterFactory,
    /// Row groups appended to the file.
    groups: usize,
    /// Row groups being encoded on the rayon pool, in file order.
    encoding: VecDeque<Receiver<Encoded>>,
}

/// Writes a dataset atomically: one Parquet file, or with `rows_per_file` a
/// directory of `part-NNNNN.parquet` files. Nothing appears under the target
/// name until [`DatasetWriter::finish`] succeeds.
///
/// Each row group is encoded and compressed on the rayon pool as soon as its rows
/// are in, while the caller goes on; finished groups are appended in order (one
/// encoder thread was the floor of `features hog`).
pub struct DatasetWriter {
    out: AtomicPath,
    schema: SchemaRef,
    rows_per_file: Option<usize>,
    props: WriterProperties,
    writer: Option<PartWriter>,
    /// Rows per row group.
    group_rows: usize,
    /// Rows (zero-copy slices) not yet in a row group, all of the current file.
    pending: VecDeque<RecordBatch>,
    pending_rows: usize,
    rows_in_file: usize,
    rows: usize,
    files: usize,
    /// A shard's part: the directory and shard, to remove parts of a larger N at the end.
    shard_of: Option<(PathBuf, crate::Shard)>,
}

impl DatasetWriter {
    /// Starts shard `shard` of a dataset at `target`: the part file
    /// `target/part-0000K.parquet` (the directory is created). With [`Shard::WHOLE`]
    /// this is [`DatasetWriter::create`].
    ///
    /// [`Shard::WHOLE`]: crate::Shard::WHOLE
    pub fn create_shard(
        target: &Path,
        schema: SchemaRef,
        rows_per_file: Option<usize>,
        shard: crate::Shard,
    ) -> Result<Self> {
        if shard.is_whole() {
            return Self::create(target, schema, rows_per_file);
        }
        if rows_per_file.is_some() {
            return Err(Error::ShardWithRowsPerFile);
        }
        if target.is_file() {
            return Err(Error::ShardOverFile { path: target.to_path_buf() });
        }
        let mut w = Self::create(&target.join(shard.part_name()), schema, None)?;
        w.shard_of = Some((target.to_path_buf(), shard));
        Ok(w)
    }

    /// Starts a dataset at `target` with `schema` (whose metadata is the format's).
    pub fn create(target: &Path, schema: SchemaRef, rows_per_file: Option<usize>) -> Result<Self> {
        if rows_per_file == Some(0) {
            return Err(Error::ZeroRowsPerFile);
        }
        let out = AtomicPath::new(target)?;
        if rows_per_file.is_some() {
            out.create_dir()?;
        }
        let row_bytes = schema
            .fields()
            .iter()
            .map(|f| {
                f.data_type().primitive_width().unwrap_or(match f.data_type() {
                    arrow::datatypes::DataType::FixedSizeBinary(n) => *n as usize,
                    arrow::datatypes::DataType::FixedSizeList(_, n) => 4 * *n as usize,
                    _ => 32,
                })
            })
            .sum::<usize>()
            .max(1);
        let group_rows = (GROUP_BYTES / row_bytes).clamp(64, 1 << 20);
        let kv = schema
            .metadata()
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
            .collect::<Vec<_>>();
        // Images and feature vectors are all distinct values: a dictionary never pays, and
        // min/max statistics of 784-byte images or float lists are as costly as useless.
        // Labels keep both (small, and a reader can skip by label).
        let label = parquet::schema::types::ColumnPath::from(crate::dataset::LABEL);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_key_value_metadata(Some(kv))
            .set_dictionary_enabled(false)
            .set_statistics_enabled(EnabledStatistics::None)
            .set_column_dictionary_enabled(label.clone(), true)
            .set_column_statistics_enabled(label, EnabledStatistics::Chunk)
            .build();
        Ok(Self {
            out,
            schema,
            rows_per_file,
            props,
            writer: None,
            group_rows,
            pending: VecDeque::new(),
            pending_rows: 0,
            rows_in_file: 0,
            rows: 0,
            files: 0,
            shard_of: None,
        })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Appends a batch (its schema must be the writer's, metadata aside).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.schema().fields() != self.schema.fields() {
            return Err(Error::BatchSchema { path: self.out.target().to_path_buf() });
        }
        let mut start = 0;
        while start < batch.num_rows() {
            let room = match self.rows_per_file {
                Some(n) => n - self.rows_in_file,
                None => usize::MAX,
            };
            let take = room.min(batch.num_rows() - start);
            let slice = batch.slice(start, take);
            let slice = RecordBatch::try_new(self.schema.clone(), slice.columns().to_vec())?;
            self.current_writer()?;
            self.pending.push_back(slice);
            self.pending_rows += take;
            self.rows_in_file += take;
            self.rows += take;
            start += take;
            if self.rows_per_file.is_some_and(|n| self.rows_in_file == n) {
                self.close_file()?;
            } else {
                while self.pending_rows >= self.group_rows {
                    let rows = self.take_pending(self.group_rows);
                    self.start_group(rows)?;
                }
                self.append_encoded(false)?;
            }
        }
        Ok(())
    }

    fn write_error(&self, source: parquet::errors::ParquetError) -> Error {
        Error::WriteParquet { path: self.out.target().to_path_buf(), source }
    }

    /// The first `n` pending rows, as slices.
    fn take_pending(&mut self, n: usize) -> Vec<RecordBatch> {
        let mut rows = Vec::new();
        let mut need = n;
        while need > 0 {
            let batch = self.pending.pop_front().expect("n rows are pending");
            if batch.num_rows() <= need {
                need -= batch.num_rows();
                rows.push(batch);
            } else {
                rows.push(batch.slice(0, need));
                self.pending.push_front(batch.slice(need, batch.num_rows() - need));
                need = 0;
            }
        }
        self.pending_rows -= n;
        rows
    }

    /// Starts encoding `rows` as the next row group, on the rayon pool (inline when
    /// called from it); at most one group per rayon thread is in flight.
    fn start_group(&mut self, rows: Vec<RecordBatch>) -> Result<()> {
        let part = self.writer.as_mut().expect("rows are pending only with a file open");
        let writers = part.factory.create_column_writers(part.groups + part.encoding.len());
        let writers = writers.map_err(|e| self.write_error(e))?;
        let schema = self.schema.clone();
        let (send, receive) = std::sync::mpsc::sync_channel(1);
        let job = move || {
            let encoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                encode_group(&schema, &rows, writers)
            }))
            .unwrap_or_else(|_| Err(ParquetError::General("row group encoder panicked".into())));
            let _ = send.send(encoded);
        };
        if rayon::current_thread_index().is_some() {
            job();
        } else {
            rayon::spawn(job);
        }
        let part = self.writer.as_mut().unwrap();
        part.encoding.push_back(receive);
        if part.encoding.len() > rayon::current_num_threads() {
            self.append_front(true)?;
        }
        Ok(())
    }

    /// Appends the oldest row group in flight to the file, when it is encoded or, with
    /// `wait`, once it is; false when there was none to append.
    fn append_front(&mut self, wait: bool) -> Result<bool> {
        let Some(part) = self.writer.as_mut() else { return Ok(false) };
        let Some(receive) = part.encoding.front() else { return Ok(false) };
        let encoded = match receive.try_recv() {
            Ok(encoded) => Some(encoded),
            Err(TryRecvError::Empty) if wait => receive.recv().ok(),
            Err(TryRecvError::Empty) => return Ok(false),
            Err(TryRecvError::Disconnected) => None,
        };
        part.encoding.pop_front();
        let encoded = encoded
            .unwrap_or_else(|| Err(ParquetError::General("row group encoder vanished".into())));
        let appended = encoded.and_then(|chunks| {
            let mut group = part.file.next_row_group()?;
            for chunk in chunks {
                chunk.append_to_row_group(&mut group)?;
            }
            group.close()?;
            part.groups += 1;
            Ok(())
        });
        appended.map_err(|e| self.write_error(e))?;
        Ok(true)
    }

    /// Appends the finished row groups in order: all of them, waiting, with `wait`.
    fn append_encoded(&mut self, wait: bool) -> Result<()> {
        while self.append_front(wait)? {}
        Ok(())
    }

    fn current_writer(&mut self) -> Result<&mut PartWriter> {
        if self.writer.is_none() {
            let file = match self.rows_per_file {
                // Inside our own new directory: no one else can create entries there.
                Some(_) => {
                    let path = self.out.temp().join(format!("part-{:05}.parquet", self.files));
                    File::create(&path).map_err(Error::io(IoAction::Create, &path))?
                }
                None => self.out.create_file()?,
            };
            // ArrowWriter sets up the file (with the Arrow schema in its footer); its
            // row groups are then encoded by us, in parallel.
            let (file, factory) =
                ArrowWriter::try_new(file, self.schema.clone(), Some(self.props.clone()))
                    .and_then(ArrowWriter::into_serialized_writer)
                    .map_err(|e| self.write_error(e))?;
            self.writer = Some(PartWriter { file, factory, groups: 0, encoding: VecDeque::new() });
            self.rows_in_file = 0;
        }
        Ok(self.writer.as_mut().unwrap())
    }

    fn close_file(&mut self) -> Result<()> {
        // The last rows in a few groups, so that the tail is encoded in parallel too; a
        // fixed count, not the thread count, so the same rows make the same file bytes on
        // any machine.
        if self.pending_rows > 0 {
            let groups = TAIL_GROUPS.min(self.pending_rows.div_ceil(64)).max(1);
            let per_group = self.pending_rows.div_ceil(groups);
            while self.pending_rows > 0 {
                let rows = self.take_pending(per_group.min(self.pending_rows));
                self.start_group(rows)?;
            }
        }
        self.append_encoded(true)?;
        if let Some(w) = self.writer.take() {
            w.file.close().map_err(|e| self.write_error(e))?;
            self.files += 1;
        }
        Ok(())
    }

    /// Closes the last file and moves the dataset into place.
    pub fn finish(mut self) -> Result<WriteSummary> {
        if self.rows == 0 || self.writer.is_some() || self.rows_per_file.is_none() {
            // An empty dataset is still one valid file with the schema.
            self.current_writer()?;
        }
        self.close_file()?;
        let summary = WriteSummary { rows: self.rows, files: self.files };
        // A part directory replaces only a part directory, never a folder of other files.
        self.out.commit_replacing(&|dir| {
            only_names(dir, |n| n.starts_with("part-") && n.ends_with(".parquet"))
        })?;
        if let Some((dir, shard)) = &self.shard_of {
            remove_parts_beyond(dir, shard.count);
        }
        Ok(summary)
    }
}

/// Encodes `rows` into the column chunks of one row group.
fn encode_group(
    schema: &SchemaRef,
    rows: &[RecordBatch],
    mut writers: Vec<parquet::arrow::arrow_writer::ArrowColumnWriter>,
) -> Encoded {
    for batch in rows {
        let mut next = writers.iter_mut();
        for (field, column) in schema.fields().iter().zip(batch.columns()) {
            for leaf in compute_leaves(field, column)? {
                next.next().expect("one writer per leaf column").write(&leaf)?;
            }
        }
    }
    writers.into_iter().map(|w| w.close()).collect()
}

/// Removes `part-NNNNN.parquet` files with NNNNN ≥ `count` from `dir`: the parts of an
/// earlier run with more shards, which would otherwise be read with this run's.
fn remove_parts_beyond(dir: &Path, count: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let index = name.strip_prefix("part-").and_then(|n| n.strip_suffix(".parquet"));
        if index.and_then(|i| i.parse::<usize>().ok()).is_some_and(|i| i >= count) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Writes whole record batches as one dataset.
pub fn write_batches(
    target: &Path,
    schema: SchemaRef,
    batches: &[RecordBatch],
    rows_per_file: Option<usize>,
) -> Result<WriteSummary> {
    let mut w = DatasetWriter::create(target, schema, rows_per_file)?;
    for b in batches {
        w.write(b)?;
    }
    w.finish()
}

impl ImageDataset {
    /// Writes the dataset to `target` (file, or directory of parts).
    pub fn write(&self, target: &Path, rows_per_file: Option<usize>) -> Result<WriteSummary> {
        let schema = crate::dataset::image_schema(&self.meta, self.paths.is_some());
        let mut w = DatasetWriter::create(target, schema, rows_per_file)?;
        for start in (0..self.len()).step_by(READ_BATCH_ROWS) {
            w.write(&self.to_batch(start, (start + READ_BATCH_ROWS).min(self.len()))?)?;
        }
        w.finish()
    }
}

impl FeatureDataset {
    /// Writes the dataset to `target` (file, or directory of parts).
    pub fn write(&self, target: &Path, rows_per_file: Option<usize>) -> Result<WriteSummary> {
        let schema = crate::dataset::feature_schema(&self.meta);
        let mut w = DatasetWriter::create(target, schema, rows_per_file)?;
        for start in (0..self.len()).step_by(READ_BATCH_ROWS) {
            w.write(&self.to_batch(start, (start + READ_BATCH_ROWS).min(self.len()))?)?;
        }
        w.finish()
    }
}

#[cfg(test)]
mod tests;
