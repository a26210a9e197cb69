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
    about = "Image dataset → feature dataset (HOG as scikit-image, or raw pixels)",
    after_help = "Examples:
  features hog --in out/data/mnist/train.parquet --out hog-train.parquet --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1
  features hog --in train.parquet --out hog.parquet --visualize 3 --visualize-out pictures/
  features pixels --in out/data/mnist/test.parquet --out pixels-test.parquet
  features hog --in big.parquet --out hog/ --shard 0/4      # one quarter of the rows, as hog/part-00000.parquet"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bar and no summary.
    #[arg(long, global = true)]
    quiet: bool,
    /// Print the summary as JSON on stdout (rows, dim, seconds, output, pictures).
    #[arg(long, global = true)]
    json: bool,
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
        /// Number of orientation bins over 0–180° (1..=254).
        #[arg(long, default_value_t = HogParams::DEFAULT.orientations)]
        orientations: usize,
        /// Cell size in pixels, ROWSxCOLS (or N for NxN); each ≥ 1 and at most the image's side.
        #[arg(long, default_value_t = HogParams::DEFAULT.pixels_per_cell.to_string(), value_name = "RxC")]
        pixels_per_cell: String,
        /// Block size in cells, ROWSxCOLS (or N for NxN); each ≥ 1 and at most the cell grid's side.
        #[arg(long, default_value_t = HogParams::DEFAULT.cells_per_block.to_string(), value_name = "RxC")]
        cells_per_block: String,
        /// Block normalisation: L1, L1-sqrt, L2 or L2-Hys.
        #[arg(long, default_value_t = HogParams::DEFAULT.block_norm.to_string(), value_name = "NORM")]
        block_norm: String,
        /// Take the square root of every pixel value first (power-law compression).
        #[arg(long)]
        transform_sqrt: bool,
        /// Also write pictures of the first N images beside their HOG glyphs (0..=1000).
        #[arg(long, default_value_t = 0, value_name = "N")]
        visualize: usize,
        /// Directory for the pictures (hog-00000.png, ...): created, or an existing
        /// directory whose earlier pictures are replaced as one set.
        #[arg(long, value_name = "DIR")]
        visualize_out: Option<PathBuf>,
        /// Process only shard K of N (0-based) of the rows, a contiguous slice, and
        /// write it as OUT/part-0000K.parquet; the N parts read as one dataset (OUT may hold only parts of the same N).
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
        /// write it as OUT/part-0000K.parquet; the N parts read as one dataset (OUT may hold only parts of the same N).
        #[arg(long, value_name = "K/N", default_value_t = Shard::WHOLE)]
        shard: Shard,
    },
}

fn run(cli: Cli) -> Result<()> {
    cli::progress::set_quiet(cli.quiet);
    let (method, output, s) = match cli.command {
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
            ("hog", output.clone(), features::run_hog(&input, &output, &opts)?)
        }
        Command::Pixels { input, output, shard } => {
            ("pixels", output.clone(), features::run_pixels(&input, &output, shard)?)
        }
    };
    if cli.json {
        let pictures: Vec<String> = s.pictures.iter().map(|p| p.display().to_string()).collect();
        let summary = serde_json::json!({
            "method": method, "rows": s.rows, "dim": s.dim, "seconds": s.seconds,
            "output": output.display().to_string(), "pictures": pictures,
        });
        println!("{summary}");
    } else if !cli.quiet {
        println!(
            "features {method}: {} rows × {} features → {} in {:.2} s ({} images/s)",
            s.rows,
            s.dim,
            output.display(),
            s.seconds,
            formats::thousands((s.rows as f64 / s.seconds.max(1e-9)).round() as i64)
        );
        if let Some(first) = s.pictures.first() {
            println!(
                "features {method}: {} pictures (first: {})",
                s.pictures.len(),
                first.display()
            );
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    cli::exit_status(run(cli::parse_args::<Cli>()))
}
