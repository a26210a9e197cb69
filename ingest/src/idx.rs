//! `ingest idx`: MNIST-style IDX files (gzip or raw) → image dataset.
//!
//! IDX layout (big-endian): two zero bytes, a dtype byte (0x08 = unsigned byte, the
//! only one accepted), a byte with the number of dimensions, one u32 per dimension,
//! then the payload of ∏dims values. Images are `0x00000803` (N × rows × cols),
//! labels `0x00000801` (N).
//!
//! Every check happens before a large allocation: the claimed payload size is
//! computed with overflow checks and compared with the file size (raw files) or
//! read through a bounded reader (gzip, where the decompressed size is unknown
//! until the stream ends), so a header claiming terabytes costs nothing.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, FixedSizeBinaryArray, Int32Array, RecordBatch};
use arrow::buffer::Buffer;
use formats::{image_schema, DatasetWriter, ImageMeta};
use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::error::{fail, Result};

/// Rows per record batch written (one batch = one progress step).
const BATCH_ROWS: usize = 8192;

mod file;
pub use file::{read_idx, IdxArray, IdxStream};

pub use params::ingest::IdxParams;

/// What `ingest idx` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxSummary {
    /// Rows written to `--out` (the shard's, with `--shard`).
    pub rows: usize,
    /// Rows written to `--val-out` (0 without a split).
    pub val_rows: usize,
    /// Class names, index = label.
    pub classes: Vec<String>,
    /// Image rows.
    pub height: usize,
    /// Image columns.
    pub width: usize,
    /// Wall time of the run.
    pub seconds: f64,
}

/// Indices of the validation rows: `round(fraction · n_c)` of each class, chosen by
/// a seeded shuffle; `result[i]` says whether row `i` goes to validation.
pub fn stratified_split(labels: &[u8], fraction: f64, seed: u64) -> Vec<bool> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l as usize].push(i);
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut is_val = vec![false; labels.len()];
    for members in by_class.iter_mut().filter(|m| !m.is_empty()) {
        let take = (fraction * members.len() as f64).round() as usize;
        members.shuffle(&mut rng);
        for &i in &members[..take.min(members.len())] {
            is_val[i] = true;
        }
    }
    is_val
}

/// `ingest idx`: IDX pair → image dataset (and optionally a stratified validation split).
///
/// The labels (small) are read first; the images are then streamed in chunks of
/// [`BATCH_ROWS`] rows: one thread decompresses while the caller's thread encodes
/// and writes Parquet, so the run takes about max(inflate, write), not the sum,
/// and memory stays at a few chunks.
pub fn run_idx(opts: &IdxParams) -> Result<IdxSummary> {
    let start = Instant::now();
    opts.validate()?;
    match (&opts.val_fraction, &opts.val_out) {
        (Some(_), Some(v)) if v == &opts.out => {
            fail!(
                Parameter,
                "--val-out {} is the same path as --out: the two splits need two files",
                v.display()
            )
        }
        (Some(_), None) => {
            fail!(Parameter, "--val-fraction needs --val-out (where to write the validation rows)")
        }
        (None, Some(_)) => fail!(Parameter, "--val-out needs --val-fraction"),
        _ => {}
    }
    let (images, labels) = rayon::join(
        || IdxStream::open(&opts.images, 3, "images"),
        || read_idx(&opts.labels, 1, "labels"),
    );
    let (images, labels) = (images?, labels?.data);
    let (n, height, width) = (images.dims[0], images.dims[1], images.dims[2]);
    if n != labels.len() {
        fail!(
            Idx,
            "count mismatch: {} holds {n} images but {} holds {} labels",
            opts.images.display(),
            opts.labels.display(),
            labels.len()
        );
    }
    if n > 0 && (height == 0 || width == 0) {
        fail!(Idx, "{}: images of {height}x{width} pixels are empty", opts.images.display());
    }
    if height.saturating_mul(width) > i32::MAX as usize {
        fail!(
            Idx,
            "{}: images of {height}x{width} pixels are too large for one Parquet value",
            opts.images.display()
        );
    }
    let max_label = labels.iter().copied().max().unwrap_or(0) as usize;
    let classes = match &opts.classes {
        Some(c) => {
            if c.is_empty() {
                fail!(Classes, "--classes is empty");
            }
            if max_label >= c.len() {
                fail!(
                    Classes,
                    "{} holds label {max_label} but --classes names only {} classes",
                    opts.labels.display(),
                    c.len()
                );
            }
            c.clone()
        }
        None => {
            // Beyond the ten digits, a stray large label (255) would silently make
            // hundreds of empty classes: refuse unless most of them have rows.
            if max_label > 9 {
                let mut present = vec![false; max_label + 1];
                labels.iter().for_each(|&l| present[l as usize] = true);
                let present = present.iter().filter(|&&p| p).count();
                if present * 2 < max_label + 1 {
                    fail!(
Classes,
                        "{} holds label {max_label}, which makes {} classes, but only {present} of them have rows; name the classes with --classes if that is meant",
                        opts.labels.display(),
                        max_label + 1
                    );
                }
            }
            (0..=max_label.max(9)).map(|i| i.to_string()).collect()
        }
    };
    let meta = ImageMeta {
        height,
        width,
        channels: 1,
        classes: classes.clone(),
        source: format!("IDX images {} + labels {}", opts.images.display(), opts.labels.display()),
    };
    // Drawn over all rows, so that each row lands in the split of the unsharded run.
    let is_val = opts.val_fraction.map(|f| stratified_split(&labels, f, opts.seed()));
    let range = opts.shard.range(n);
    let val_rows = is_val.as_ref().map_or(0, |v| v[range.clone()].iter().filter(|&&b| b).count());
    let schema = image_schema(&meta, false);
    // Both outputs are checked before either is created.
    for path in std::iter::once(&opts.out).chain(&opts.val_out) {
        formats::shard::check_part_directory(path, opts.shard)?;
    }
    let part_directories: Vec<_> = std::iter::once(&opts.out)
        .chain(&opts.val_out)
        .map(|path| formats::shard::PartDirectory::new(path, opts.shard))
        .collect();
    let part_schema = formats::shard::part_schema(schema.clone(), opts.shard);
    let create = |path: &Path| {
        DatasetWriter::create_shard(path, part_schema.clone(), opts.rows_per_file, opts.shard)
    };
    let mut train_writer = create(&opts.out)?;
    let mut val_writer = match &opts.val_out {
        Some(p) => Some(create(p)?),
        None => None,
    };
    let bar = opts.progress.then(|| cli::progress::bar(range.len() as u64, "images"));
    let image_len = height * width;
    // Chunks of ~8 MB, at least one image.
    let chunk_rows = (BATCH_ROWS.min((8 << 20) / image_len.max(1))).max(1);

    // Chunks of the shard's rows, each with the index of its first row.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Vec<u8>)>(2);
    let write_result = std::thread::scope(|scope| -> Result<()> {
        let reader = scope.spawn(move || -> Result<()> {
            let mut images = images;
            let mut consumed = 0u64;
            // Every chunk is read (the file is checked whole), only the shard's sent.
            for first in (0..n).step_by(chunk_rows) {
                let rows = chunk_rows.min(n - first);
                let mut chunk = images.read_chunk((rows * image_len) as u64, consumed)?;
                consumed += chunk.len() as u64;
                let (lo, hi) = (first.max(range.start), (first + rows).min(range.end));
                if lo >= hi {
                    continue;
                }
                chunk.truncate((hi - first) * image_len);
                chunk.drain(..(lo - first) * image_len);
                if tx.send((lo, chunk)).is_err() {
                    return Ok(()); // the writer failed; its error is reported
                }
            }
            drop(tx);
            images.finish()
        });
        let mut write_error = None;
        for (first, chunk) in rx.iter() {
            let rows = chunk.len() / image_len.max(1);
            let res = write_chunk(
                &schema,
                &labels[first..first + rows],
                chunk,
                image_len,
                is_val.as_ref().map(|v| &v[first..first + rows]),
                &mut train_writer,
                val_writer.as_mut(),
            );
            if let Err(e) = res {
                write_error = Some(e);
                break;
            }
            if let Some(bar) = &bar {
                bar.inc(rows as u64);
            }
        }
        drop(rx);
        // A read error (truncated data) is the cause to report before any write error.
        reader.join().expect("IDX reader thread panicked")?;
        if let Some(e) = write_error {
            return Err(e);
        }
        Ok(())
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    write_result?;
    let train_rows = train_writer.finish()?.rows;
    if let Some(w) = val_writer {
        w.finish()?;
    }
    part_directories.into_iter().for_each(formats::shard::PartDirectory::keep);
    Ok(IdxSummary {
        rows: train_rows,
        val_rows,
        classes,
        height,
        width,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Writes one chunk of rows, each to the training or the validation writer.
fn write_chunk(
    schema: &arrow::datatypes::SchemaRef,
    labels: &[u8],
    pixels: Vec<u8>,
    image_len: usize,
    is_val: Option<&[bool]>,
    train: &mut DatasetWriter,
    val: Option<&mut DatasetWriter>,
) -> Result<()> {
    let batch = |labels: Vec<i32>, pixels: Vec<u8>| -> Result<RecordBatch> {
        let images =
            FixedSizeBinaryArray::try_new(image_len as i32, Buffer::from_vec(pixels), None)?;
        let columns: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(labels)), Arc::new(images)];
        Ok(RecordBatch::try_new(schema.clone(), columns)?)
    };
    match (is_val, val) {
        (Some(is_val), Some(val)) => {
            let mut parts = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
            for (i, &l) in labels.iter().enumerate() {
                let part = &mut parts[is_val[i] as usize];
                part.0.push(l as i32);
                part.1.extend_from_slice(&pixels[i * image_len..(i + 1) * image_len]);
            }
            let [(tl, tp), (vl, vp)] = parts;
            if !tl.is_empty() {
                train.write(&batch(tl, tp)?)?;
            }
            if !vl.is_empty() {
                val.write(&batch(vl, vp)?)?;
            }
        }
        _ => train.write(&batch(labels.iter().map(|&l| l as i32).collect(), pixels)?)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stratified_and_seeded() {
        let labels: Vec<u8> = (0..1000).map(|i| (i % 4) as u8).collect();
        let a = stratified_split(&labels, 0.1, 7);
        let b = stratified_split(&labels, 0.1, 7);
        let c = stratified_split(&labels, 0.1, 8);
        assert_eq!(a, b);
        assert_ne!(a, c);
        for class in 0..4u8 {
            let val = (0..1000).filter(|&i| labels[i] == class && a[i]).count();
            assert_eq!(val, 25);
        }
    }
}
