//! `features`: turn an image dataset into a feature dataset (see docs/features.md).

use clap::{Parser, Subcommand};
use features::{HogOptions, Result};
use params::{HogArgs, PixelsArgs};

#[derive(Parser)]
#[command(
    name = "features",
    version,
    about = "Image dataset → feature dataset (HOG as scikit-image, or raw pixels)",
    // Example lines stay within 78 columns: clap wraps wider ones at the terminal's
    // width, and a wrapped example pastes as two commands.
    after_help = "Examples:
  features hog --in out/data/mnist/train.parquet --out hog-train.parquet \\
      --orientations 8 --pixels-per-cell 4x4 --cells-per-block 1x1
  features hog --in train.parquet --out hog.parquet \\
      --visualize 3 --visualize-out pictures/
  features pixels --in out/data/mnist/test.parquet --out pixels-test.parquet
  # one quarter of the rows, as hog/part-00000.parquet:
  features hog --in big.parquet --out hog/ --shard 0/4"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress bar and no summary.
    #[arg(long, global = true, help_heading = "Global options")]
    quiet: bool,
    /// Print the summary as JSON on stdout (rows, dim, seconds, output, pictures).
    #[arg(long, global = true, help_heading = "Global options")]
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// HOG descriptors, value for value as skimage.feature.hog 0.26 (same names and defaults).
    Hog(HogArgs),
    /// Raw pixels scaled to float32 in [0, 1] (v / 255), row-major H·W·C.
    Pixels(PixelsArgs),
}

fn run(cli: Cli) -> Result<()> {
    cli::progress::set_quiet(cli.quiet);
    let (method, output, s) = match cli.command {
        Command::Hog(HogArgs {
            input,
            output,
            params,
            visualize,
            visualize_out,
            shard,
            compression,
        }) => {
            let opts = HogOptions { params, visualize, visualize_out, shard, compression };
            ("hog", output.clone(), features::run_hog(&input, &output, &opts)?)
        }
        Command::Pixels(PixelsArgs { input, output, shard, compression }) => {
            ("pixels", output.clone(), features::run_pixels(&input, &output, shard, compression)?)
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

/// mimalloc reuses the pages of the batches freed after writing, where glibc's malloc
/// hands each large buffer back to the kernel and the next one is faulted in page by
/// page (docs/features.md, Speed).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::exit_status(run(cli::parse_args::<Cli>()))
}
