//! HOG throughput on IDX images (used by `scripts/bench/bench-hog.sh`).
//!
//! Reads every `*-images-idx3-ubyte.gz` given, computes HOG descriptors of all images
//! in memory with the same code `features hog` runs (rayon over images, per-thread
//! scratch, 8192-image batches as the dataset reader streams them), and prints one
//! JSON line with the best of `--repeat` timings. Optionally writes the first rows'
//! descriptors (`--dump`, float32 LE) for a parity check against scikit-image, and
//! the images as an image dataset (`--write-dataset`) for an end-to-end CLI timing.
//!
//! A binary of the workspace build (`cargo build --release --workspace`), so the benchmark
//! compiles nothing of its own:
//!
//! target/release/bench_hog FILE.gz... [--orientations 8]
//!   [--pixels-per-cell 4x4] [--cells-per-block 1x1] [--block-norm L2-Hys] [--repeat 5]
//!   [--dump OUT.f32 --dump-rows 2000] [--write-dataset OUT.parquet]

use std::io::Read;
use std::path::PathBuf;
use std::time::Instant;

use features::{hog_batch, BlockNorm, Hog, HogParams, Size2};
use formats::{ImageDataset, ImageMeta};

/// Any error of a benchmark run, printed as one `error: …` line.
type Result<T, E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

fn read_idx_images(path: &PathBuf) -> Result<(usize, usize, Vec<u8>)> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if raw.len() < 16 || raw[..4] != [0, 0, 8, 3] {
        return Err(format!("{} is not an IDX image file", path.display()).into());
    }
    let dims: Vec<usize> = (0..3)
        .map(|i| u32::from_be_bytes(raw[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .collect();
    Ok((dims[1], dims[2], raw[16..16 + dims[0] * dims[1] * dims[2]].to_vec()))
}

fn main() -> std::process::ExitCode {
    cli::exit_status(run())
}

fn run() -> Result<()> {
    let mut files = Vec::new();
    let mut params = HogParams {
        orientations: 8,
        pixels_per_cell: Size2::new(4, 4),
        cells_per_block: Size2::new(1, 1),
        block_norm: BlockNorm::L2Hys,
        transform_sqrt: false,
    };
    let (mut repeat, mut dump, mut dump_rows, mut write_dataset) =
        (5usize, None::<PathBuf>, 2000usize, None::<PathBuf>);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--orientations" => params.orientations = value()?.parse()?,
            "--pixels-per-cell" => params.pixels_per_cell = value()?.parse::<Size2>()?,
            "--cells-per-block" => params.cells_per_block = value()?.parse::<Size2>()?,
            "--block-norm" => params.block_norm = value()?.parse()?,
            "--transform-sqrt" => params.transform_sqrt = true,
            "--repeat" => repeat = value()?.parse()?,
            "--dump" => dump = Some(value()?.into()),
            "--dump-rows" => dump_rows = value()?.parse()?,
            "--write-dataset" => write_dataset = Some(value()?.into()),
            _ => files.push(PathBuf::from(a)),
        }
    }
    let mut images = Vec::new();
    let mut size = None;
    for f in &files {
        let (h, w, px) = read_idx_images(f)?;
        if size.is_some_and(|s| s != (h, w)) {
            return Err(format!(
                "{} holds {h}x{w} images, unlike the files before it",
                f.display()
            )
            .into());
        }
        size = Some((h, w));
        images.extend_from_slice(&px);
    }
    let (h, w) = size.ok_or("give at least one IDX image file")?;
    let n = images.len() / (h * w);
    let hog = Hog::new(params, h, w, 1)?;
    let dim = hog.dim();
    let mut out = vec![0.0f32; 8192 * dim];
    let mut best = f64::INFINITY;
    for _ in 0..repeat.max(1) + 1 {
        let t = Instant::now();
        for chunk in images.chunks(8192 * h * w) {
            let rows = chunk.len() / (h * w);
            hog_batch(&hog, chunk, &mut out[..rows * dim]);
        }
        best = best.min(t.elapsed().as_secs_f64()); // the first (warm-up) run counts too, it is never the best
    }
    if let Some(path) = dump {
        let rows = dump_rows.min(n);
        let mut d = vec![0.0f32; rows * dim];
        hog_batch(&hog, &images[..rows * h * w], &mut d);
        let bytes: Vec<u8> = d.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(&path, bytes)?;
    }
    if let Some(path) = write_dataset {
        let ds = ImageDataset {
            meta: ImageMeta {
                height: h,
                width: w,
                channels: 1,
                classes: (0..10).map(|i| i.to_string()).collect(),
                source: format!(
                    "benchmark: {}",
                    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
                ),
            },
            labels: vec![0; n],
            images: images.clone(),
            paths: None,
        };
        ds.write(&path, None).map_err(features::Error::from)?;
    }
    println!(
        "{{\"images\":{n},\"dim\":{dim},\"seconds\":{best:.6},\"images_per_s\":{:.1},\"threads\":{}}}",
        n as f64 / best,
        rayon::current_num_threads()
    );
    Ok(())
}
