//! Parquet reading and writing for both dataset formats.
//!
//! A dataset path is one Parquet file, or a directory of `*.parquet` part files
//! sharing one schema, read in file-name order (how `ingest --rows-per-file`,
//! a sharded run or a distributed engine writes it). Reading streams record
//! batches, so a stage never needs two full copies of a large dataset.
//!
//! [`reader`] streams and loads datasets, [`prefetch`] reads ahead on a thread of
//! its own; [`writer`] writes them. Neither imports
//! the other's types: the writer only borrows the reader's batch size.

mod feature_cast;
pub mod prefetch;
pub mod reader;
pub mod writer;

pub use prefetch::Prefetch;
pub use reader::{
    list_parts, read_any_dataset, read_feature_dataset, read_image_dataset, DatasetReader,
    READ_BATCH_ROWS,
};
pub use writer::{write_batches, DatasetWriter, WriteSummary};

#[cfg(test)]
mod tests;
