//! Reading ahead: a [`DatasetReader`] decoding the next record batch on a thread of
//! its own while the caller works on the current one.
//!
//! ```no_run
//! # fn main() -> formats::Result<()> {
//! let reader = formats::DatasetReader::open(std::path::Path::new("train.parquet"))?;
//! for batch in reader.prefetch() {
//!     let batch = batch?; // decoded while the previous batch was being used
//!     println!("{} rows", batch.num_rows());
//! }
//! # Ok(())
//! # }
//! ```

use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

use arrow::array::RecordBatch;

use super::reader::DatasetReader;
use crate::Result;

/// The batches of a [`DatasetReader`], decoded one ahead on a reader thread
/// ([`DatasetReader::prefetch`]). The batches, their order and their errors are the
/// reader's own; after an error nothing more is read.
///
/// Dropping it early stops the thread once it has finished the batch it is decoding.
pub struct Prefetch {
    batches: Option<Receiver<Result<RecordBatch>>>,
    thread: Option<JoinHandle<()>>,
}

impl Prefetch {
    pub(super) fn start(reader: DatasetReader) -> Self {
        // One batch waiting and one being decoded: enough to hide decoding behind a
        // caller that takes longer per batch, and memory for two batches only.
        let (send, batches) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("dataset-reader".into())
            .spawn(move || {
                for batch in reader {
                    let failed = batch.is_err();
                    if send.send(batch).is_err() || failed {
                        break; // the caller has gone, or the reader cannot go on
                    }
                }
            })
            .expect("cannot start the dataset reader thread");
        Self { batches: Some(batches), thread: Some(thread) }
    }
}

impl Iterator for Prefetch {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.batches.as_ref()?.recv().ok();
        if next.is_none() {
            self.batches = None;
            if let Some(thread) = self.thread.take() {
                // The reader catches the Parquet decoder's panics, so this one is a bug.
                thread.join().expect("the dataset reader thread panicked");
            }
        }
        next
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.batches = None; // the thread's next send fails, and it ends
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
