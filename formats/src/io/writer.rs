//! Writing datasets atomically, one Parquet file or a directory of parts, with the
//! row groups encoded in parallel.

use std::collections::VecDeque;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::arrow_writer::{compute_leaves, ArrowColumnChunk, ArrowRowGroupWriterFactory};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;

use super::reader::READ_BATCH_ROWS;
use crate::atomic::{only_names, AtomicPath};
use crate::dataset::{FeatureDataset, ImageDataset};
use crate::error::{Error, IoAction, Result};
use crate::shard::Shard;

/// What a finished [`DatasetWriter`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    /// Rows written.
    pub rows: usize,
    /// Parquet files written (1, or the parts).
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
    shard_of: Option<(PathBuf, Shard)>,
}

impl DatasetWriter {
    /// Starts shard `shard` of a dataset at `target`: the part file
    /// `target/part-0000K.parquet` (the directory is created). With [`Shard::WHOLE`]
    /// this is [`DatasetWriter::create`].
    ///
    /// [`Shard::WHOLE`]: Shard::WHOLE
    pub fn create_shard(
        target: &Path,
        schema: SchemaRef,
        rows_per_file: Option<usize>,
        shard: Shard,
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

    /// Compresses the pages with `codec` instead of snappy (call before the first
    /// [`DatasetWriter::write`]).
    pub fn with_compression(mut self, codec: params::Compression) -> Self {
        let codec = match codec {
            params::Compression::None => Compression::UNCOMPRESSED,
            params::Compression::Snappy => Compression::SNAPPY,
            params::Compression::Lz4Raw => Compression::LZ4_RAW,
            params::Compression::Zstd => Compression::ZSTD(ZstdLevel::default()),
        };
        self.props = self.props.into_builder().set_compression(codec).build();
        self
    }

    /// The schema batches must have.
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
