//! `ingest folders`: a class-per-folder tree of JPEG/PNG files → image dataset.
//!
//! `ROOT/CLASS/**/FILE`: one class per subfolder of `ROOT`, sorted by name
//! (label = index in that order), files sorted by path; hidden entries (`.…`,
//! e.g. `.DS_Store`, which the Kaggle chest X-ray archive contains) are ignored
//! and counted. The format of each file is told by its content (JPEG `FF D8 FF`,
//! PNG `89 50 4E 47`), not its name.
//!
//! JPEGs are decoded with `jpeg-decoder` (baseline grayscale ones by [`crate::fast_jpeg`],
//! to the same pixels); when the target is at least twice
//! smaller, the decoder's DCT scaling (1/2, 1/4 or 1/8) reduces the image while
//! decoding — the strongest reduction that keeps both sides ≥ the target — and
//! the final size comes from [`crate::resize::resize`]. Files are decoded in
//! parallel with rayon; rows keep the sorted order.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, FixedSizeBinaryArray, Int32Array, RecordBatch, StringArray};
use arrow::buffer::Buffer;
use formats::{image_schema, DatasetWriter, ImageMeta};
use rayon::prelude::*;

use crate::error::{fail, Context, Error, ErrorKind, Result};
use crate::resize::{luma601, resize};

/// The marker file that `ingest synth-xray` writes at the top of its tree.
pub const SYNTHETIC_README: &str = "README.txt";
/// The word in that file that marks a tree as synthetic.
pub const SYNTHETIC_MARK: &str = "SYNTHETIC";

pub use params::ingest::FoldersParams;

/// Folder names that are a dataset's splits rather than classes.
const SPLIT_NAMES: &[&str] =
    &["train", "training", "val", "valid", "validation", "test", "testing"];

/// Refuses a root whose class folders are all split names (`chest_xray/` given instead
/// of `chest_xray/train`): it would make a 3-class dataset of train/val/test.
fn check_not_split_root(root: &Path, classes: &[String]) -> Result<()> {
    let is_split = |c: &String| SPLIT_NAMES.contains(&c.to_lowercase().as_str());
    if classes.len() >= 2 && classes.iter().all(is_split) {
        fail!(
Tree,
            "--root {} holds the folders {}, which look like a dataset's splits, not its classes: give one split as --root (e.g. {}), or --allow-split-names if they are classes",
            root.display(),
            classes.join(", "),
            root.join(classes.iter().find(|c| c.to_lowercase().starts_with("train")).unwrap_or(&classes[0])).display()
        );
    }
    Ok(())
}

/// What `ingest folders` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderSummary {
    /// Images written (the shard's, with `--shard`).
    pub rows: usize,
    /// Class names (the folders, sorted), index = label.
    pub classes: Vec<String>,
    /// Files that could not be decoded (only with `skip_bad`), with the reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// Hidden files and folders that were ignored.
    pub hidden_ignored: usize,
    /// The tree is one `ingest synth-xray` made (its README says SYNTHETIC).
    pub synthetic: bool,
    /// Wall time of the run.
    pub seconds: f64,
}

/// The files of the tree: (label, path), in row order.
pub struct Listing {
    /// Class names (the folders, sorted), index = label.
    pub classes: Vec<String>,
    /// Every file with its label, classes in order, files sorted by path.
    pub files: Vec<(i32, PathBuf)>,
    /// Hidden files and folders that were ignored.
    pub hidden_ignored: usize,
}

fn is_hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Lists `root`: classes = sorted subfolders; every class must hold at least one file.
pub fn list_tree(root: &Path) -> Result<Listing> {
    let meta = std::fs::metadata(root)
        .context(ErrorKind::Read, || format!("cannot read --root {}", root.display()))?;
    if !meta.is_dir() {
        fail!(Tree, "--root {} is not a directory", root.display());
    }
    let mut hidden_ignored = 0;
    let mut class_dirs = Vec::new();
    for entry in std::fs::read_dir(root)
        .context(ErrorKind::Read, || format!("cannot list {}", root.display()))?
    {
        let path =
            entry.context(ErrorKind::Read, || format!("cannot list {}", root.display()))?.path();
        if is_hidden(&path) {
            hidden_ignored += 1;
        } else if path.is_dir() {
            class_dirs.push(path);
        }
    }
    class_dirs.sort();
    if class_dirs.is_empty() {
        fail!(Tree, "{} holds no class folders (expected ROOT/CLASS/image files)", root.display());
    }
    let mut classes = Vec::new();
    let mut files = Vec::new();
    let mut visited = std::collections::HashSet::new();
    for (label, dir) in class_dirs.iter().enumerate() {
        let mut found = Vec::new();
        walk(dir, &mut found, &mut hidden_ignored, &mut visited)?;
        if found.is_empty() {
            fail!(Tree, "class folder {} is empty (no image files)", dir.display());
        }
        found.sort();
        classes.push(dir.file_name().unwrap().to_string_lossy().into_owned());
        files.extend(found.into_iter().map(|p| (label as i32, p)));
    }
    Ok(Listing { classes, files, hidden_ignored })
}

/// Collects the files under `dir`. Symlinks are followed, but a directory reached twice
/// (a symlink loop, or two links to one folder) is an error, and so is anything that is
/// not a regular file: reading a FIFO blocks forever, a device never ends.
fn walk(
    dir: &Path,
    found: &mut Vec<PathBuf>,
    hidden: &mut usize,
    visited: &mut std::collections::HashSet<PathBuf>,
) -> Result<()> {
    let real = std::fs::canonicalize(dir)
        .context(ErrorKind::Read, || format!("cannot read {}", dir.display()))?;
    if !visited.insert(real.clone()) {
        fail!(
            Tree,
            "{} leads to {}, which is already listed (a symlink loop or a second link)",
            dir.display(),
            real.display()
        );
    }
    let list = || format!("cannot list {}", dir.display());
    for entry in std::fs::read_dir(dir).context(ErrorKind::Read, list)? {
        let path = entry.context(ErrorKind::Read, list)?.path();
        if is_hidden(&path) {
            *hidden += 1;
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, found, hidden, visited)?,
            Ok(m) if !m.is_file() => fail!(
Tree,
                "{} is not a regular file (a FIFO, socket or device); ingest folders reads only files",
                path.display()
            ),
            // A regular file, or a broken link that reading will report.
            _ => found.push(path),
        }
    }
    Ok(())
}

/// True when `root` (or one of its two parents: `chest_xray/train` → `chest_xray`)
/// holds the README.txt that `ingest synth-xray` writes, with the word SYNTHETIC.
pub fn is_synthetic_tree(root: &Path) -> bool {
    let mut dir = Some(root.to_path_buf());
    for _ in 0..3 {
        let Some(d) = dir else { break };
        if let Ok(text) = std::fs::read_to_string(d.join(SYNTHETIC_README)) {
            if text.contains(SYNTHETIC_MARK) {
                return true;
            }
        }
        dir = std::fs::canonicalize(&d).ok().and_then(|c| c.parent().map(Path::to_path_buf));
    }
    false
}

/// A decoded image: `height × width × channels` bytes (channels 1 or 3).
struct Decoded {
    height: usize,
    width: usize,
    channels: usize,
    pixels: Vec<u8>,
}

/// Decodes one file's bytes and resizes to `height × width × channels`.
/// Errors are the reason only; the caller adds the file name.
pub fn load_image(
    bytes: &[u8],
    height: usize,
    width: usize,
    channels: usize,
    max_pixels: usize,
) -> Result<Vec<u8>> {
    if bytes.is_empty() {
        fail!(Image, "empty file (0 bytes)");
    }
    let decoded = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        decode_jpeg(bytes, height, width, channels, max_pixels)?
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        decode_png(bytes, channels, max_pixels)?
    } else {
        let head: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02X}")).collect();
        fail!(Image, "not a JPEG or PNG image (starts with bytes {})", head.join(" "));
    };
    debug_assert_eq!(decoded.channels, channels);
    Ok(resize(&decoded.pixels, decoded.height, decoded.width, channels, height, width))
}

/// The DCT reduction (1, 2, 4, 8) that keeps both sides ≥ the target.
fn dct_reduction(src_w: usize, src_h: usize, dst_w: usize, dst_h: usize) -> usize {
    [8, 4, 2]
        .into_iter()
        .find(|&s| src_w.div_ceil(s) >= dst_w && src_h.div_ceil(s) >= dst_h)
        .unwrap_or(1)
}

fn check_pixels(kind: &str, w: usize, h: usize, max_pixels: usize) -> Result<()> {
    if w.saturating_mul(h) > max_pixels {
        fail!(
Image,
            "{kind} header declares {w}x{h} pixels, more than the {} megapixels accepted (--max-megapixels)",
            max_pixels as f64 / 1e6
        );
    }
    Ok(())
}

/// A file that does not decode, said with the decoder's reason in the sentence (the
/// caller puts the file's name in front of it).
fn image_error(reason: String) -> Error {
    Error::new(ErrorKind::Image, reason)
}

/// Gray pixels as `channels` values each: as they are, or replicated to R = G = B.
fn gray_as(channels: usize, gray: Vec<u8>) -> Vec<u8> {
    if channels == 1 {
        gray
    } else {
        gray.iter().flat_map(|&g| [g, g, g]).collect()
    }
}

fn decode_jpeg(
    bytes: &[u8],
    height: usize,
    width: usize,
    channels: usize,
    max_pixels: usize,
) -> Result<Decoded> {
    use jpeg_decoder::PixelFormat;
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|e| image_error(format!("not a decodable JPEG: {e}")))?;
    let info =
        decoder.info().context(ErrorKind::Image, || "not a decodable JPEG: no frame header")?;
    let (src_w, src_h) = (info.width as usize, info.height as usize);
    check_pixels("JPEG", src_w, src_h, max_pixels)?;
    let reduction = dct_reduction(src_w, src_h, width, height);
    // Baseline grayscale files (an X-ray tree's) take the fast path; other kinds, and
    // any file it does not accept, jpeg-decoder.
    if reduction > 1 {
        if let Some((h, w, gray)) = crate::fast_jpeg::decode_gray_reduced(bytes, reduction) {
            let pixels = gray_as(channels, gray);
            return Ok(Decoded { height: h, width: w, channels, pixels });
        }
        // jpeg-decoder picks the smallest of 1/8, 1/4, 1/2, 1 giving ≥ the request.
        decoder
            .scale(src_w.div_ceil(reduction) as u16, src_h.div_ceil(reduction) as u16)
            .map_err(|e| image_error(format!("cannot scale JPEG: {e}")))?;
    }
    let raw = decoder.decode().map_err(|e| image_error(format!("corrupt JPEG: {e}")))?;
    let info = decoder.info().context(ErrorKind::Image, || "corrupt JPEG: no frame header")?;
    let (w, h) = (info.width as usize, info.height as usize);
    let px = w * h;
    let expect = px * info.pixel_format.pixel_bytes();
    if raw.len() < expect {
        fail!(Image, "corrupt JPEG: {} bytes decoded for {w}x{h} pixels", raw.len());
    }
    let gray_or_rgb = |rgb_of: &dyn Fn(usize) -> (u8, u8, u8)| -> Vec<u8> {
        if channels == 1 {
            (0..px)
                .map(|i| {
                    let (r, g, b) = rgb_of(i);
                    luma601(r, g, b)
                })
                .collect()
        } else {
            let mut v = Vec::with_capacity(px * 3);
            for i in 0..px {
                let (r, g, b) = rgb_of(i);
                v.extend_from_slice(&[r, g, b]);
            }
            v
        }
    };
    let pixels = match info.pixel_format {
        PixelFormat::L8 => {
            let mut raw = raw;
            raw.truncate(px);
            gray_as(channels, raw)
        }
        // 12-bit JPEGs: 16-bit big-endian samples; keep the high byte.
        PixelFormat::L16 => gray_as(channels, raw.chunks_exact(2).take(px).map(|c| c[0]).collect()),
        PixelFormat::RGB24 => {
            if channels == 3 {
                let mut raw = raw;
                raw.truncate(px * 3);
                raw
            } else {
                raw.chunks_exact(3).take(px).map(|c| luma601(c[0], c[1], c[2])).collect()
            }
        }
        // jpeg-decoder returns true CMYK (0 = no ink), Adobe inversion undone.
        PixelFormat::CMYK32 => gray_or_rgb(&|i| {
            let p = &raw[i * 4..i * 4 + 4];
            let k = 255 - p[3] as u32;
            let ink = |c: u8| ((255 - c as u32) * k / 255) as u8;
            (ink(p[0]), ink(p[1]), ink(p[2]))
        }),
    };
    Ok(Decoded { height: h, width: w, channels, pixels })
}

fn decode_png(bytes: &[u8], channels: usize, max_pixels: usize) -> Result<Decoded> {
    let reader =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Png);
    let (w, h) = reader.into_dimensions().map_err(|e| image_error(format!("corrupt PNG: {e}")))?;
    check_pixels("PNG", w as usize, h as usize, max_pixels)?;
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .map_err(|e| image_error(format!("corrupt PNG: {e}")))?;
    let (w, h) = (img.width() as usize, img.height() as usize);
    let has_colour = img.color().has_color();
    // Alpha is dropped; gray PNGs keep their values, colour ones use BT.601 luma.
    let pixels = match (channels, has_colour) {
        (1, false) => img.into_luma8().into_raw(),
        (1, true) => img.into_rgb8().pixels().map(|p| luma601(p[0], p[1], p[2])).collect(),
        _ => img.into_rgb8().into_raw(),
    };
    Ok(Decoded { height: h, width: w, channels, pixels })
}

/// `ingest folders`: decode, resize and write every image of the tree.
pub fn run_folders(opts: &FoldersParams) -> Result<FolderSummary> {
    let start = Instant::now();
    opts.validate()?;
    let listing = list_tree(&opts.root)?;
    crate::check_class_names(
        &listing.classes,
        &format!("--root {} (class folder names)", opts.root.display()),
    )?;
    // Before any decoding: a directory that cannot take this shard's part.
    formats::shard::check_part_directory(&opts.out, opts.shard)?;
    if !opts.allow_split_names {
        check_not_split_root(&opts.root, &listing.classes)?;
    }
    let synthetic = is_synthetic_tree(&opts.root);
    let files = &listing.files[opts.shard.range(listing.files.len())];
    let bar = opts.progress.then(|| cli::progress::bar(files.len() as u64, "images"));
    let results: Vec<Result<Vec<u8>, String>> = files
        .par_iter()
        .map(|(_, path)| {
            let out =
                std::fs::read(path).map_err(|e| format!("cannot read: {e}")).and_then(|bytes| {
                    load_image(
                        &bytes,
                        opts.size.rows,
                        opts.size.cols,
                        opts.channels as usize,
                        opts.max_pixels(),
                    )
                    .map_err(|e| format!("{e:#}"))
                });
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            out
        })
        .collect();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let bad: Vec<(PathBuf, String)> = files
        .iter()
        .zip(&results)
        .filter_map(|((_, p), r)| r.as_ref().err().map(|e| (p.clone(), e.clone())))
        .collect();
    if !bad.is_empty() && !opts.skip_bad {
        let shown: Vec<String> =
            bad.iter().take(5).map(|(p, e)| format!("{}: {e}", p.display())).collect();
        fail!(
            Image,
            "{} of {} files could not be decoded (use --skip-bad to skip them): {}{}",
            bad.len(),
            files.len(),
            shown.join("; "),
            if bad.len() > 5 { "; …" } else { "" }
        );
    }
    let good = files.len() - bad.len();
    // (A shard may be given no files at all: it writes an empty part.)
    if good == 0 && !files.is_empty() {
        fail!(
            Image,
            "none of the {} files under {} could be decoded",
            files.len(),
            opts.root.display()
        );
    }
    let meta = ImageMeta {
        height: opts.size.rows,
        width: opts.size.cols,
        channels: opts.channels as usize,
        classes: listing.classes.clone(),
        source: if synthetic {
            format!(
                "SYNTHETIC X-ray-like images generated by `ingest synth-xray` (not real chest X-rays), from {}",
                opts.root.display()
            )
        } else {
            format!("image folders {}", opts.root.display())
        },
    };
    let schema = image_schema(&meta, true);
    let part_directory = formats::shard::PartDirectory::new(&opts.out, opts.shard);
    let part_schema = formats::shard::part_schema(schema.clone(), opts.shard);
    let mut writer =
        DatasetWriter::create_shard(&opts.out, part_schema, opts.rows_per_file, opts.shard)?;
    let n = meta.image_len();
    let rows: Vec<(&(i32, PathBuf), Vec<u8>)> =
        files.iter().zip(results).filter_map(|(f, r)| r.ok().map(|px| (f, px))).collect();
    for chunk in rows.chunks(4096) {
        let labels = Int32Array::from_iter_values(chunk.iter().map(|((l, _), _)| *l));
        let mut pixels = Vec::with_capacity(chunk.len() * n);
        for (_, px) in chunk {
            pixels.extend_from_slice(px);
        }
        let images = FixedSizeBinaryArray::try_new(n as i32, Buffer::from_vec(pixels), None)?;
        let paths =
            StringArray::from_iter_values(chunk.iter().map(|((_, p), _)| p.to_string_lossy()));
        let columns: Vec<ArrayRef> = vec![Arc::new(labels), Arc::new(images), Arc::new(paths)];
        writer.write(&RecordBatch::try_new(schema.clone(), columns)?)?;
    }
    writer.finish()?;
    part_directory.keep();
    Ok(FolderSummary {
        rows: good,
        classes: listing.classes,
        skipped: bad,
        hidden_ignored: listing.hidden_ignored,
        synthetic,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_reduction_keeps_both_sides_at_least_the_target() {
        assert_eq!(dct_reduction(2000, 1800, 128, 128), 8);
        assert_eq!(dct_reduction(1000, 900, 128, 128), 4); // 1000/8 = 125 < 128
        assert_eq!(dct_reduction(300, 300, 128, 128), 2);
        assert_eq!(dct_reduction(200, 200, 128, 128), 1);
        assert_eq!(dct_reduction(2000, 200, 128, 128), 1);
    }
}
