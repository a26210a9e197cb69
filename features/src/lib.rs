//! `features` stage: image dataset in, feature dataset out (`docs/formats.md`).
//!
//! * [`run_hog`]: HOG descriptors identical to scikit-image 0.26's `hog` (see
//!   [`hog`] for the exact arithmetic), computed in parallel over the images of
//!   each streamed record batch, with optional pictures ([`visualize`]).
//! * [`run_pixels`]: the raw pixels scaled to float32 in [0, 1].
//!
//! Memory stays bounded: one record batch is read, turned into features and
//! handed to a writer thread while the next batch is computed.
//!
//! ```
//! use features::{BlockNorm, Hog, HogParams, Size2};
//!
//! // A 12×16 grayscale image, dark left half, bright right half: one vertical edge.
//! let image: Vec<u8> = (0..12 * 16).map(|i| if i % 16 < 8 { 0 } else { 200 }).collect();
//! let params = HogParams {
//!     pixels_per_cell: Size2::square(4),
//!     cells_per_block: Size2::square(2),
//!     block_norm: BlockNorm::L2,
//!     ..HogParams::DEFAULT // 9 orientations
//! };
//! let hog = Hog::new(params, 12, 16, 1).unwrap();
//! // 3×4 cells, 2×3 blocks of 2×2 cells, 9 bins each.
//! assert_eq!((hog.layout.cells, hog.layout.blocks), (Size2::new(3, 4), Size2::new(2, 3)));
//! assert_eq!(hog.dim(), 2 * 3 * (2 * 2) * 9);
//!
//! let mut scratch = hog.scratch();
//! // The edge's gradient (200, at 0°) in 4 of the 16 pixels of cell (0, 1): 200 · 4 / 16 in bin 0.
//! assert_eq!(hog.cell_histograms(&image, &mut scratch)[9..18], [50.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
//! let mut descriptor = vec![0f32; hog.dim()];
//! hog.compute(&image, &mut scratch, &mut descriptor);
//! // Only bin 0 is set; the first block has two equal cells, L2-normalised to 1/√2 each.
//! assert!(descriptor.iter().enumerate().all(|(i, &v)| i % 9 == 0 || v == 0.0));
//! assert_eq!(descriptor[..36].iter().filter(|&&v| (v - 0.5f32.sqrt()).abs() < 1e-6).count(), 2);
//! ```

pub mod hog;
pub mod visualize;

use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use arrow::array::RecordBatch;
use formats::dataset::{batch_images, batch_labels, feature_batch, feature_schema, IMAGE};
use formats::{DatasetReader, DatasetWriter, FeatureMeta, ImageMeta};
use rayon::prelude::*;
use serde_json::json;

pub use hog::{BlockNorm, Hog, HogLayout, HogParams, HogScratch, Size2};

/// Options of `features hog` beyond scikit-image's parameters.
#[derive(Debug, Clone, Default)]
pub struct HogOptions {
    pub params: HogParams,
    /// Write pictures of the first N images (0: none).
    pub visualize: usize,
    /// Where the pictures go (`hog-00000.png`, ...); required when `visualize > 0`.
    pub visualize_out: Option<PathBuf>,
    /// `--shard K/N`: only those rows, written as `OUT/part-0000K.parquet`.
    pub shard: formats::Shard,
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    pub rows: usize,
    pub dim: usize,
    pub seconds: f64,
    /// Pictures written (HOG only).
    pub pictures: Vec<PathBuf>,
}

/// The `features` metadata object of a HOG feature dataset.
pub fn hog_params_json(hog: &Hog) -> serde_json::Value {
    let p = &hog.params;
    let l = &hog.layout;
    json!({
        "method": "hog",
        "orientations": p.orientations,
        "pixels_per_cell": [p.pixels_per_cell.rows, p.pixels_per_cell.cols],
        "cells_per_block": [p.cells_per_block.rows, p.cells_per_block.cols],
        "block_norm": p.block_norm.name(),
        "transform_sqrt": p.transform_sqrt,
        "height": l.height,
        "width": l.width,
        "channels": l.channels,
        "dim": l.dim,
        "reference": "skimage.feature.hog 0.26 (feature_vector=True, uint8 input as float64)",
    })
}

/// HOG descriptors of `images` (concatenated H·W·C uint8 rows) into `out`
/// (D values per row), in parallel; each rayon worker reuses one scratch.
pub fn hog_batch(hog: &Hog, images: &[u8], out: &mut [f32]) {
    let len = hog.layout.height * hog.layout.width * hog.layout.channels;
    let dim = hog.dim();
    assert_eq!(images.len() / len, out.len() / dim, "images and output rows differ");
    // Chunks of several images per task keep rayon's overhead off the ~µs per image.
    const PER_TASK: usize = 64;
    out.par_chunks_mut(dim * PER_TASK).zip(images.par_chunks(len * PER_TASK)).for_each_init(
        || hog.scratch(),
        |scratch, (out, images)| {
            for (o, img) in out.chunks_exact_mut(dim).zip(images.chunks_exact(len)) {
                hog.compute(img, scratch, o);
            }
        },
    );
}

/// Opens an image dataset, failing with one sentence when it is not one.
fn open_images(input: &Path) -> Result<(DatasetReader, ImageMeta)> {
    let reader = DatasetReader::open(input)?;
    let what = reader.describe();
    if reader.schema().field_with_name(IMAGE).is_err() {
        let columns: Vec<&str> =
            reader.schema().fields().iter().map(|f| f.name().as_str()).collect();
        bail!(
            "{what} has no `{IMAGE}` column (columns: {}); `features` needs an image dataset as written by `ingest`",
            columns.join(", ")
        );
    }
    let meta = reader.image_meta()?;
    Ok((reader, meta))
}

/// Reads `reader` batch by batch, turns each into a feature batch with `make`,
/// and writes it to `output` on a second thread (so encoding overlaps computing).
fn stream_features(
    reader: DatasetReader,
    output: &Path,
    shard: formats::Shard,
    meta: &FeatureMeta,
    mut make: impl FnMut(&[i32], &[u8], &mut Vec<f32>) -> Result<()>,
) -> Result<usize> {
    let reader = reader.shard(shard);
    let dataset = reader.path().to_path_buf();
    let bar = formats::progress::bar(reader.rows() as u64, "images");
    let mut writer = DatasetWriter::create_shard(output, feature_schema(meta), None, shard)?;
    let (send, receive) = sync_channel::<RecordBatch>(1);
    let rows = std::thread::scope(|scope| -> Result<usize> {
        let writing = scope.spawn(move || -> Result<DatasetWriter> {
            for batch in receive {
                writer.write(&batch)?;
            }
            Ok(writer)
        });
        let mut values = Vec::new();
        let mut rows = 0;
        let mut failure = None;
        for batch in reader {
            let step = (|| -> Result<RecordBatch> {
                let batch = batch?;
                let labels = batch_labels(&batch, &dataset)?;
                let images = batch_images(&batch, &dataset)?;
                make(&labels, images, &mut values)?;
                Ok(feature_batch(meta, &labels, &values)?)
            })();
            match step {
                Ok(b) => {
                    rows += b.num_rows();
                    bar.inc(b.num_rows() as u64);
                    if send.send(b).is_err() {
                        break; // the writer failed; its error is reported below
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        drop(send);
        let writer = writing.join().expect("writer thread panicked")?;
        if let Some(e) = failure {
            return Err(e); // dropping `writer` removes the partial output
        }
        writer.finish()?;
        Ok(rows)
    })?;
    bar.finish_and_clear();
    Ok(rows)
}

/// `features hog`: HOG descriptors of every image of `input` into `output`.
pub fn run_hog(input: &Path, output: &Path, opts: &HogOptions) -> Result<RunSummary> {
    let start = Instant::now();
    if opts.visualize > 0 && opts.visualize_out.is_none() {
        bail!(
            "--visualize {} needs --visualize-out DIR to know where to write the pictures",
            opts.visualize
        );
    }
    let (reader, meta) = open_images(input)?;
    let what = reader.describe();
    let hog = Hog::new(opts.params, meta.height, meta.width, meta.channels)
        .with_context(|| format!("cannot compute HOG on {what}"))?;
    let fmeta = FeatureMeta {
        dim: hog.dim(),
        classes: meta.classes.clone(),
        source: meta.source.clone(),
        params: hog_params_json(&hog),
    };
    let image_len = meta.image_len();
    let ppc = (opts.params.pixels_per_cell.rows, opts.params.pixels_per_cell.cols);
    // Pictures are rendered while streaming but written only once the dataset is in place.
    let mut pictures: Vec<Vec<u8>> = Vec::new();
    let mut scratch = hog.scratch();
    let rows = stream_features(reader, output, opts.shard, &fmeta, |_, images, values| {
        let n = images.len() / image_len;
        values.resize(n * hog.dim(), 0.0);
        hog_batch(&hog, images, values);
        for img in
            images.chunks_exact(image_len).take(opts.visualize.saturating_sub(pictures.len()))
        {
            let hist = hog.cell_histograms(img, &mut scratch);
            pictures.push(visualize::picture_png(
                img,
                &hog.layout,
                ppc,
                hog.params.orientations,
                hist,
            )?);
        }
        Ok(())
    })?;
    let mut written = Vec::new();
    if let Some(dir) = &opts.visualize_out {
        if !pictures.is_empty() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        for (i, png) in pictures.iter().enumerate() {
            let path = dir.join(format!("hog-{i:05}.png"));
            formats::atomic::write_bytes(&path, png)?;
            written.push(path);
        }
    }
    Ok(RunSummary {
        rows,
        dim: hog.dim(),
        seconds: start.elapsed().as_secs_f64(),
        pictures: written,
    })
}

/// `features pixels`: every image as float32 values `v / 255` (row-major H·W·C).
pub fn run_pixels(input: &Path, output: &Path, shard: formats::Shard) -> Result<RunSummary> {
    let start = Instant::now();
    let (reader, meta) = open_images(input)?;
    let dim = meta.image_len();
    let fmeta = FeatureMeta {
        dim,
        classes: meta.classes.clone(),
        source: meta.source.clone(),
        params: json!({
            "method": "pixels",
            "scale": "1/255",
            "height": meta.height,
            "width": meta.width,
            "channels": meta.channels,
            "order": "row-major HxWxC",
            "dim": dim,
        }),
    };
    let rows = stream_features(reader, output, shard, &fmeta, |_, images, values| {
        values.resize(images.len(), 0.0);
        values.par_chunks_mut(1 << 16).zip(images.par_chunks(1 << 16)).for_each(|(o, i)| {
            // float32 division, as `x.astype("float32") / 255` in numpy/Keras.
            o.iter_mut().zip(i).for_each(|(o, &v)| *o = v as f32 / 255.0);
        });
        Ok(())
    })?;
    Ok(RunSummary { rows, dim, seconds: start.elapsed().as_secs_f64(), pictures: Vec::new() })
}
