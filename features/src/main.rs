//! `features`: turn an image dataset into a feature dataset (see docs/features.md).

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};
use features::{BlockNorm, HogOptions, HogParams, Size2};
use formats::Shard;

#[derive(Parser)]
#[command(
    name = "features",
    version,
    about = "Image dataset → feature dataset (HOG as scikit-image, or raw pixels)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// HOG descriptors, value for value as skimage.feature.hog 0.26 (same names and defaults).
    Hog {
        /// Image dataset (Parquet file or directory of parts).
        #[arg(long = "in", value_name = "P")]
        input: PathBuf,
        /// Feature dataset to write (replaced atomically).
        #[arg(long = "out", value_name = "P")]
        output: PathBuf,
        /// Number of orientation bins over 0–180°.
        #[arg(long, default_value_t = HogParams::DEFAULT.orientations)]
        orientations: usize,
        /// Cell size in pixels, ROWSxCOLS (or N for NxN).
        #[arg(long, default_value_t = HogParams::DEFAULT.pixels_per_cell.to_string(), value_name = "RxC")]
        pixels_per_cell: String,
        /// Block size in cells, ROWSxCOLS (or N for NxN).
        #[arg(long, default_value_t = HogParams::DEFAULT.cells_per_block.to_string(), value_name = "RxC")]
        cells_per_block: String,
        /// Block normalisation: L1, L1-sqrt, L2 or L2-Hys.
        #[arg(long, default_value_t = HogParams::DEFAULT.block_norm.to_string(), value_name = "NORM")]
        block_norm: String,
        /// Take the square root of every pixel value first (power-law compression).
        #[arg(long)]
        transform_sqrt: bool,
        /// Also write pictures of the first N images beside their HOG glyphs.
        #[arg(long, default_value_t = 0, value_name = "N")]
        visualize: usize,
        /// Directory for the pictures (hog-00000.png, ...).
        #[arg(long, value_name = "DIR")]
        visualize_out: Option<PathBuf>,
        /// Process only shard K of N (0-based) of the rows, a contiguous slice, and
        /// write it as OUT/part-0000K.parquet; the N parts read as one dataset.
        #[arg(long, value_name = "K/N", default_value_t = Shard::WHOLE)]
        shard: Shard,
    },
    /// Raw pixels scaled to float32 in [0, 1] (v / 255), row-major H·W·C.
    Pixels {
        /// Image dataset (Parquet file or directory of parts).
        #[arg(long = "in", value_name = "P")]
        input: PathBuf,
        /// Feature dataset to write (replaced atomically).
        #[arg(long = "out", value_name = "P")]
        output: PathBuf,
        /// Process only shard K of N (0-based) of the rows, a contiguous slice, and
        /// write it as OUT/part-0000K.parquet; the N parts read as one dataset.
        #[arg(long, value_name = "K/N", default_value_t = Shard::WHOLE)]
        shard: Shard,
    },
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Hog {
            input,
            output,
            orientations,
            pixels_per_cell,
            cells_per_block,
            block_norm,
            transform_sqrt,
            visualize,
            visualize_out,
            shard,
        } => {
            // The flags are strings so that a bad value is one `error:` line (exit 1) naming
            // the flag, like every other refusal; the parsing is `params`'s.
            let size = |flag: &str, value: &str| {
                value.parse::<Size2>().map_err(|e| anyhow::anyhow!("{flag} {e}"))
            };
            let params = HogParams {
                orientations,
                pixels_per_cell: size("--pixels-per-cell", &pixels_per_cell)?,
                cells_per_block: size("--cells-per-block", &cells_per_block)?,
                block_norm: block_norm.parse::<BlockNorm>()?,
                transform_sqrt,
            };
            params.validate()?;
            let opts = HogOptions { params, visualize, visualize_out, shard };
            let s = features::run_hog(&input, &output, &opts)?;
            eprintln!(
                "features hog: {} rows × {} features → {} in {:.2} s ({:.0} images/s)",
                s.rows,
                s.dim,
                output.display(),
                s.seconds,
                s.rows as f64 / s.seconds.max(1e-9)
            );
            if let (Some(first), Some(dir)) = (s.pictures.first(), &opts.visualize_out) {
                eprintln!(
                    "features hog: {} pictures in {} (first: {})",
                    s.pictures.len(),
                    dir.display(),
                    first.display()
                );
            }
        }
        Command::Pixels { input, output, shard } => {
            let s = features::run_pixels(&input, &output, shard)?;
            eprintln!(
                "features pixels: {} rows × {} features → {} in {:.2} s",
                s.rows,
                s.dim,
                output.display(),
                s.seconds
            );
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    formats::exit_status(run(formats::parse_args::<Cli>()))
}
