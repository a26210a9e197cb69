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
//! Every failure is an [`Error`]: its [`ErrorKind`], the sentence the user reads, and
//! the cause as [`std::error::Error::source`].
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

#![warn(missing_docs)]

pub mod error;
pub mod hog;
pub mod visualize;

use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use arrow::array::RecordBatch;
use formats::dataset::{batch_images, batch_labels, feature_batch, feature_schema, IMAGE};
use formats::{
    DatasetReader, DatasetWriter, FeatureMeta, FeatureParams, HogFeatures, ImageMeta, PixelFeatures,
};
use rayon::prelude::*;

use crate::error::{fail, Context};
pub use error::{Error, ErrorKind, Result};

pub use hog::{BlockNorm, Hog, HogLayout, HogParams, HogScratch, Size2};

/// The most pictures `--visualize` writes: each is rendered in memory first.
pub const MAX_PICTURES: usize = 1000;

/// The file names a picture directory can hold (`hog-00000.png` …), the set that
/// replaces the previous one ([`formats::OutputSet`]).
fn picture_names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        (0..MAX_PICTURES).map(|i| &*Box::leak(picture_name(i).into_boxed_str())).collect()
    })
}

fn picture_name(i: usize) -> String {
    format!("hog-{i:05}.png")
}

/// Options of `features hog` beyond scikit-image's parameters.
#[derive(Debug, Clone, Default)]
pub struct HogOptions {
    /// scikit-image's parameters (orientations, cells, blocks, norm, sqrt).
    pub params: HogParams,
    /// Write pictures of the first N images (0: none; at most [`MAX_PICTURES`]).
    pub visualize: usize,
    /// Where the pictures go (`hog-00000.png`, ...); required when `visualize > 0`.
    pub visualize_out: Option<PathBuf>,
    /// `--shard K/N`: only those rows, written as `OUT/part-0000K.parquet`.
    pub shard: formats::Shard,
    /// `--compression`: the codec of the written Parquet pages.
    pub compression: params::Compression,
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// Rows written (the shard's, with `--shard`).
    pub rows: usize,
    /// Features per row.
    pub dim: usize,
    /// Wall time of the run.
    pub seconds: f64,
    /// Pictures written (HOG only).
    pub pictures: Vec<PathBuf>,
}

/// What a HOG feature dataset's values are checked against, as its metadata says.
pub const HOG_REFERENCE: &str =
    "skimage.feature.hog 0.26 (feature_vector=True, uint8 input as float64)";

/// The `features` metadata of a HOG feature dataset.
pub fn hog_feature_params(hog: &Hog) -> FeatureParams {
    let l = &hog.layout;
    FeatureParams::Hog(HogFeatures {
        params: hog.params,
        height: l.height,
        width: l.width,
        channels: l.channels,
        dim: l.dim,
        reference: HOG_REFERENCE.into(),
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
    let reader = DatasetReader::open(input).map_err(Error::input)?;
    let what = reader.describe();
    if reader.schema().field_with_name(IMAGE).is_err() {
        let columns: Vec<&str> =
            reader.schema().fields().iter().map(|f| f.name().as_str()).collect();
        fail!(
            Input,
            "{what} has no `{IMAGE}` column (columns: {}); `features` needs an image dataset as written by `ingest`",
            columns.join(", ")
        );
    }
    let meta = reader.image_meta().map_err(Error::input)?;
    Ok((reader, meta))
}

/// Refuses a label outside the dataset's classes (`0..classes`), naming the row
/// (among all rows of the dataset) and the label; train and evaluate refuse them too.
fn check_labels(labels: &[i32], first_row: usize, classes: usize, dataset: &Path) -> Result<()> {
    if classes == 0 {
        return Ok(()); // no `classes` metadata: nothing to check against
    }
    if let Some(i) = labels.iter().position(|&l| l < 0 || l as usize >= classes) {
        fail!(
            Input,
            "dataset {} row {} has label {}, but the dataset names {classes} classes (labels 0..={})",
            dataset.display(),
            first_row + i,
            labels[i],
            classes - 1
        );
    }
    Ok(())
}

/// Reads `reader` batch by batch (decoding the next batch on a thread of its own),
/// turns each into a feature batch with `make`, and writes it to `output` on another
/// thread, so that decoding, computing and encoding overlap.
/// Returns the writer, not yet finished (the caller puts the output in place with
/// [`Output::finish`]), and the rows written.
fn stream_features(
    reader: DatasetReader,
    output: &Path,
    shard: formats::Shard,
    compression: params::Compression,
    meta: &FeatureMeta,
    mut make: impl FnMut(&[i32], &[u8]) -> Result<Vec<f32>>,
) -> Result<(Output, usize)> {
    let reader = reader.shard(shard);
    let dataset = reader.path().to_path_buf();
    let mut next_row = reader.first_row();
    let bar = cli::progress::bar(reader.rows() as u64, "images");
    formats::shard::check_part_directory(output, shard)?;
    let part_directory = formats::shard::PartDirectory::new(output, shard);
    let schema = formats::shard::part_schema(feature_schema(meta), shard);
    let mut writer =
        DatasetWriter::create_shard(output, schema, None, shard)?.with_compression(compression);
    let (send, receive) = sync_channel::<RecordBatch>(1);
    let written = std::thread::scope(|scope| -> Result<(DatasetWriter, usize)> {
        let writing = scope.spawn(move || -> Result<DatasetWriter> {
            for batch in receive {
                writer.write(&batch)?;
            }
            Ok(writer)
        });
        let mut rows = 0;
        let mut failure = None;
        for batch in reader.prefetch() {
            let step = (|| -> Result<RecordBatch> {
                let batch = batch.map_err(Error::input)?;
                let labels = batch_labels(&batch, &dataset).map_err(Error::input)?;
                check_labels(&labels, next_row, meta.classes.len(), &dataset)?;
                next_row += labels.len();
                let images = batch_images(&batch, &dataset).map_err(Error::input)?;
                // Each batch's values are a buffer of their own: it becomes the batch's
                // column without a copy.
                let values = make(&labels, images)?;
                Ok(feature_batch(meta, labels, values)?)
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
        Ok((writer, rows))
    })?;
    bar.finish_and_clear();
    let (writer, rows) = written;
    Ok((Output { writer, part_directory }, rows))
}

/// A feature dataset written but not yet in place.
struct Output {
    writer: DatasetWriter,
    /// A shard's directory, removed if the run fails before its part is in place.
    part_directory: formats::shard::PartDirectory,
}

impl Output {
    fn finish(self) -> Result<()> {
        self.writer.finish()?;
        self.part_directory.keep();
        Ok(())
    }
}

/// `features hog`: HOG descriptors of every image of `input` into `output`.
pub fn run_hog(input: &Path, output: &Path, opts: &HogOptions) -> Result<RunSummary> {
    let start = Instant::now();
    // Refused before the input is opened, so a bad flag is named before a bad file.
    opts.params.validate()?;
    if opts.visualize > MAX_PICTURES {
        fail!(
            Parameter,
            "--visualize must be at most {MAX_PICTURES} pictures, got {}",
            opts.visualize
        );
    }
    // The pictures' directory is checked and staged before anything is computed, so a
    // bad one leaves no feature dataset behind.
    let pictures_out = match (&opts.visualize_out, opts.visualize) {
        (None, 0) => None,
        (None, n) => {
            fail!(
                Parameter,
                "--visualize {n} needs --visualize-out DIR to know where to write the pictures"
            )
        }
        (Some(dir), _) if dir.exists() && !dir.is_dir() => {
            fail!(Output, "--visualize-out {} exists and is not a directory", dir.display())
        }
        (Some(dir), _) if same_path(dir, output) => {
            fail!(
                Parameter,
                "--visualize-out {} is the feature dataset's path (--out): give the pictures their own directory",
                dir.display()
            )
        }
        (Some(_), 0) => None,
        (Some(dir), _) => Some(formats::OutputSet::new(dir, picture_names())?),
    };
    let (reader, meta) = open_images(input)?;
    let what = reader.describe();
    let hog = Hog::new(opts.params, meta.height, meta.width, meta.channels)
        .map_err(|e| Error::because(e.kind(), format!("cannot compute HOG on {what}"), e))?;
    let fmeta = FeatureMeta {
        dim: hog.dim(),
        classes: meta.classes.clone(),
        source: meta.source.clone(),
        params: Some(hog_feature_params(&hog)),
    };
    let image_len = meta.image_len();
    // Pictures are rendered while streaming and written just before the dataset is put in place.
    let mut pictures: Vec<Vec<u8>> = Vec::new();
    let mut scratch = hog.scratch();
    let (dataset_out, rows) =
        stream_features(reader, output, opts.shard, opts.compression, &fmeta, |_, images| {
            let n = images.len() / image_len;
            let mut values = vec![0.0; n * hog.dim()];
            hog_batch(&hog, images, &mut values);
            for img in
                images.chunks_exact(image_len).take(opts.visualize.saturating_sub(pictures.len()))
            {
                let hist = hog.cell_histograms(img, &mut scratch);
                pictures.push(visualize::picture_png(
                    img,
                    &hog.layout,
                    hog.params.pixels_per_cell,
                    hog.params.orientations,
                    hist,
                )?);
            }
            Ok(values)
        })?;
    // The pictures go into their staging directory first: a failure there (a full
    // disk) removes it and the unfinished dataset, and leaves nothing.
    if let Some(set) = &pictures_out {
        for (i, png) in pictures.iter().enumerate() {
            let path = set.path(&picture_name(i));
            std::fs::write(&path, png)
                .context(ErrorKind::Output, || format!("cannot write {}", path.display()))?;
        }
    }
    dataset_out.finish()?;
    let written = match pictures_out {
        Some(set) => set.commit()?,
        None => Vec::new(),
    };
    Ok(RunSummary {
        rows,
        dim: hog.dim(),
        seconds: start.elapsed().as_secs_f64(),
        pictures: written,
    })
}

/// Whether two paths name the same place (compared absolute, without resolving links).
fn same_path(a: &Path, b: &Path) -> bool {
    std::path::absolute(a).ok() == std::path::absolute(b).ok()
}

/// `features pixels`: every image as float32 values `v / 255` (row-major H·W·C).
pub fn run_pixels(
    input: &Path,
    output: &Path,
    shard: formats::Shard,
    compression: params::Compression,
) -> Result<RunSummary> {
    let start = Instant::now();
    let (reader, meta) = open_images(input)?;
    let dim = meta.image_len();
    let fmeta = FeatureMeta {
        dim,
        classes: meta.classes.clone(),
        source: meta.source.clone(),
        params: Some(FeatureParams::Pixels(PixelFeatures {
            scale: "1/255".into(),
            height: meta.height,
            width: meta.width,
            channels: meta.channels,
            order: "row-major HxWxC".into(),
            dim,
        })),
    };
    let (dataset_out, rows) =
        stream_features(reader, output, shard, compression, &fmeta, |_, images| {
            let mut values = vec![0.0; images.len()];
            values.par_chunks_mut(1 << 16).zip(images.par_chunks(1 << 16)).for_each(|(o, i)| {
                // float32 division, as `x.astype("float32") / 255` in numpy/Keras.
                o.iter_mut().zip(i).for_each(|(o, &v)| *o = v as f32 / 255.0);
            });
            Ok(values)
        })?;
    dataset_out.finish()?;
    Ok(RunSummary { rows, dim, seconds: start.elapsed().as_secs_f64(), pictures: Vec::new() })
}
