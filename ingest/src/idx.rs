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

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use arrow::array::{ArrayRef, FixedSizeBinaryArray, Int32Array, RecordBatch};
use arrow::buffer::Buffer;
use common::{image_schema, DatasetWriter, ImageMeta};
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// IDX dtype byte for unsigned 8-bit values.
const DTYPE_U8: u8 = 0x08;
/// Rows per record batch written (one batch = one progress step).
const BATCH_ROWS: usize = 8192;

/// A decoded IDX file: its dimensions and payload bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// True when `bytes` start with the gzip magic 1f 8b.
fn is_gzip(first: &[u8]) -> bool {
    first.len() >= 2 && first[0] == 0x1f && first[1] == 0x8b
}

fn dtype_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "int16",
        0x0C => "int32",
        0x0D => "float32",
        0x0E => "float64",
        _ => "unknown",
    }
}

/// Reads an IDX file of unsigned bytes with exactly `expected_dims` dimensions.
/// `what` ("images", "labels") is used in error messages.
pub fn read_idx(path: &Path, expected_dims: u8, what: &str) -> Result<IdxArray> {
    let file = File::open(path).with_context(|| format!("cannot open {what} file {}", path.display()))?;
    let file_len = file
        .metadata()
        .with_context(|| format!("cannot stat {}", path.display()))?
        .len();
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut first = [0u8; 2];
    let got = read_up_to(&mut reader, &mut first)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let first = &first[..got];
    let gz = is_gzip(first);
    // Put the sniffed bytes back in front of the stream.
    let chained = first.chain(reader);
    if gz {
        let mut decoder = flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, chained));
        read_idx_stream(&mut decoder, path, expected_dims, what, None, file_len)
            .map_err(|e| annotate_gzip(e, path))
    } else {
        let mut chained = chained;
        read_idx_stream(&mut chained, path, expected_dims, what, Some(file_len), file_len)
    }
}

/// Turns low-level decompression errors into "truncated or corrupt gzip" sentences.
fn annotate_gzip(e: anyhow::Error, path: &Path) -> anyhow::Error {
    if let Some(io) = e.downcast_ref::<std::io::Error>() {
        return anyhow::anyhow!(
            "{} is a truncated or corrupt gzip file ({io})",
            path.display()
        );
    }
    e
}

/// Fills `buf` as far as the stream allows; returns how many bytes were read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// `raw_len` is the exact byte length of the (uncompressed) stream when known.
fn read_idx_stream(
    reader: &mut impl Read,
    path: &Path,
    expected_dims: u8,
    what: &str,
    raw_len: Option<u64>,
    file_len: u64,
) -> Result<IdxArray> {
    let name = path.display();
    let mut magic = [0u8; 4];
    let got = read_up_to(reader, &mut magic)?;
    if got < 4 {
        bail!("{name} is too short to be an IDX {what} file ({got} bytes, the header alone needs 4)");
    }
    let expected_magic = 0x0800u32 | expected_dims as u32;
    let magic_value = u32::from_be_bytes(magic);
    if magic[0] != 0 || magic[1] != 0 {
        bail!(
            "{name} is not an IDX file: wrong magic number 0x{magic_value:08X} (IDX {what} start with 0x{expected_magic:08X})"
        );
    }
    if magic[2] != DTYPE_U8 {
        bail!(
            "{name}: IDX dtype byte is 0x{:02X} ({}), only 0x08 (unsigned byte) is supported",
            magic[2],
            dtype_name(magic[2])
        );
    }
    if magic[3] != expected_dims {
        bail!(
            "{name}: wrong magic number 0x{magic_value:08X}: {} dimensions, but IDX {what} have {expected_dims} (magic 0x{expected_magic:08X})",
            magic[3]
        );
    }
    let mut dim_bytes = vec![0u8; 4 * expected_dims as usize];
    let got = read_up_to(reader, &mut dim_bytes)?;
    if got < dim_bytes.len() {
        bail!("{name}: header is truncated ({} of {} dimension bytes present)", got, dim_bytes.len());
    }
    let dims: Vec<usize> = dim_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let header_len = 4 + dim_bytes.len() as u64;
    let claimed = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .with_context(|| format!("{name}: header dimensions {dims:?} overflow a 64-bit size"))?;
    if let Some(raw_len) = raw_len {
        // Raw file: the exact size is known, so check before allocating anything.
        let present = raw_len - header_len;
        if present != claimed {
            bail!(
                "{name}: header {dims:?} claims {claimed} payload bytes but the file holds {present} ({})",
                if present < claimed { "truncated payload" } else { "extra bytes after the payload" }
            );
        }
    }
    // Gzip: the decompressed size is unknown; read at most claimed+1 bytes, growing
    // the buffer with the data actually present (the initial capacity is bounded
    // by a generous multiple of the compressed size, never by the header's claim).
    let capacity = claimed.min(file_len.saturating_mul(8)).min(1 << 30) as usize;
    let mut data = Vec::with_capacity(capacity);
    reader
        .take(claimed.saturating_add(1))
        .read_to_end(&mut data)?;
    let present = data.len() as u64;
    if present < claimed {
        bail!(
            "{name}: header {dims:?} claims {claimed} payload bytes but only {present} are present (truncated payload)"
        );
    }
    if present > claimed {
        bail!("{name}: extra bytes after the {claimed}-byte payload that the header {dims:?} announces");
    }
    Ok(IdxArray { dims, data })
}

/// Options of `ingest idx`.
#[derive(Debug, Clone)]
pub struct IdxOptions {
    pub images: PathBuf,
    pub labels: PathBuf,
    pub out: PathBuf,
    /// Fraction of each class moved to `val_out` (stratified), when given.
    pub val_fraction: Option<f64>,
    pub val_out: Option<PathBuf>,
    pub seed: u64,
    pub rows_per_file: Option<usize>,
    /// Class names (index = label); default "0".."9" (or up to the largest label).
    pub classes: Option<Vec<String>>,
    pub progress: bool,
}

/// What `ingest idx` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxSummary {
    pub rows: usize,
    pub val_rows: usize,
    pub classes: Vec<String>,
    pub height: usize,
    pub width: usize,
    pub seconds: f64,
}

/// A loaded pair of IDX files, checked against each other.
#[derive(Debug, Clone)]
pub struct IdxDataset {
    pub height: usize,
    pub width: usize,
    pub labels: Vec<u8>,
    pub images: Vec<u8>,
}

/// Reads and cross-checks an images file and a labels file (decompressed in parallel).
pub fn load_idx_pair(images: &Path, labels: &Path) -> Result<IdxDataset> {
    let (img, lab) = rayon::join(|| read_idx(images, 3, "images"), || read_idx(labels, 1, "labels"));
    let img = img?;
    let lab = lab?;
    let (n, height, width) = (img.dims[0], img.dims[1], img.dims[2]);
    if n != lab.dims[0] {
        bail!(
            "count mismatch: {} holds {n} images but {} holds {} labels",
            images.display(),
            labels.display(),
            lab.dims[0]
        );
    }
    if n > 0 && (height == 0 || width == 0) {
        bail!("{}: images of {height}x{width} pixels are empty", images.display());
    }
    Ok(IdxDataset { height, width, labels: lab.data, images: img.data })
}

/// Indices of the validation rows: `round(fraction · n_c)` of each class, chosen by
/// a seeded shuffle; returned sorted so both outputs keep the source order.
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
pub fn run_idx(opts: &IdxOptions) -> Result<IdxSummary> {
    let start = Instant::now();
    match (&opts.val_fraction, &opts.val_out) {
        (Some(f), Some(_)) if !(*f > 0.0 && *f < 1.0) => bail!("--val-fraction must be between 0 and 1 (exclusive), got {f}"),
        (Some(_), None) => bail!("--val-fraction needs --val-out (where to write the validation rows)"),
        (None, Some(_)) => bail!("--val-out needs --val-fraction"),
        _ => {}
    }
    let ds = load_idx_pair(&opts.images, &opts.labels)?;
    let max_label = ds.labels.iter().copied().max().unwrap_or(0) as usize;
    let classes = match &opts.classes {
        Some(c) => {
            if c.is_empty() {
                bail!("--classes is empty");
            }
            if max_label >= c.len() {
                bail!(
                    "{} holds label {max_label} but --classes names only {} classes",
                    opts.labels.display(),
                    c.len()
                );
            }
            c.clone()
        }
        None => (0..=max_label.max(9)).map(|i| i.to_string()).collect(),
    };
    let meta = ImageMeta {
        height: ds.height,
        width: ds.width,
        channels: 1,
        classes: classes.clone(),
        source: format!(
            "IDX images {} + labels {}",
            opts.images.display(),
            opts.labels.display()
        ),
    };
    let split = opts.val_fraction.map(|f| stratified_split(&ds.labels, f, opts.seed));
    let rows_of = |want_val: bool| -> Vec<usize> {
        match &split {
            None => (0..ds.labels.len()).collect(),
            Some(is_val) => (0..ds.labels.len()).filter(|&i| is_val[i] == want_val).collect(),
        }
    };
    let bar = opts.progress.then(|| common::progress::bar(ds.labels.len() as u64, "images"));
    let train_rows = rows_of(false);
    write_rows(&opts.out, &meta, &ds, &train_rows, opts.rows_per_file, bar.as_ref())?;
    let mut val_rows = 0;
    if let Some(val_out) = &opts.val_out {
        let rows = rows_of(true);
        val_rows = rows.len();
        write_rows(val_out, &meta, &ds, &rows, opts.rows_per_file, bar.as_ref())?;
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(IdxSummary {
        rows: train_rows.len(),
        val_rows,
        classes,
        height: ds.height,
        width: ds.width,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Writes the given rows of `ds` as an image dataset at `out`.
fn write_rows(
    out: &Path,
    meta: &ImageMeta,
    ds: &IdxDataset,
    rows: &[usize],
    rows_per_file: Option<usize>,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<()> {
    let schema = image_schema(meta, false);
    let mut writer = DatasetWriter::create(out, schema.clone(), rows_per_file)?;
    let n = meta.image_len();
    let contiguous = rows.len() == ds.labels.len();
    for chunk in rows.chunks(BATCH_ROWS) {
        let labels: Vec<i32> = chunk.iter().map(|&i| ds.labels[i] as i32).collect();
        let pixels: Vec<u8> = if contiguous {
            ds.images[chunk[0] * n..(chunk[chunk.len() - 1] + 1) * n].to_vec()
        } else {
            let mut v = Vec::with_capacity(chunk.len() * n);
            for &i in chunk {
                v.extend_from_slice(&ds.images[i * n..(i + 1) * n]);
            }
            v
        };
        let images = FixedSizeBinaryArray::try_new(n as i32, Buffer::from_vec(pixels), None)?;
        let columns: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(labels)), Arc::new(images)];
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
        if let Some(bar) = bar {
            bar.inc(chunk.len() as u64);
        }
    }
    writer.finish()?;
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
