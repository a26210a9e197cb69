//! `ingest`: raw data → image datasets (Parquet). See docs/ingest.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand};
use formats::Shard;
use ingest::{parse_size, FolderOptions, IdxOptions, SynthOptions};

/// Turns raw data into image datasets (Parquet, see docs/formats.md).
#[derive(Parser)]
#[command(
    name = "ingest",
    version,
    about,
    long_about = None,
    after_help = "Examples:
  ingest idx --images train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \\
      --out train.parquet --val-fraction 0.1 --val-out val.parquet
  ingest folders --root chest_xray/train --out xray-train.parquet --size 128x128
  ingest synth-xray --out xs --train 100 --val 10 --test 30     # SYNTHETIC X-ray-like JPEGs
  ingest folders --root big/train --out big-train/ --size 128x128 --shard 2/8"
)]
struct Cli {
    /// No progress bar and no summary (the bar is drawn only on a terminal anyway).
    #[arg(long, global = true)]
    quiet: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// MNIST-style IDX image + label files (gzip or raw, told by content) → image dataset.
    Idx {
        /// IDX images file (magic 0x00000803: N × rows × cols unsigned bytes), gzip or raw.
        #[arg(long)]
        images: PathBuf,
        /// IDX labels file (magic 0x00000801: N unsigned bytes), gzip or raw.
        #[arg(long)]
        labels: PathBuf,
        /// Output dataset: a .parquet file, or a directory of part files with --rows-per-file.
        #[arg(long)]
        out: PathBuf,
        /// Move this fraction of each class (stratified, rounded per class) to --val-out;
        /// more than 0 and less than 1.
        #[arg(long, requires = "val_out")]
        val_fraction: Option<f64>,
        /// Where the validation rows go (needs --val-fraction).
        #[arg(long, requires = "val_fraction")]
        val_out: Option<PathBuf>,
        /// Seed of the validation split's shuffle, any whole number 0..=2^64-1.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write a directory of part-NNNNN.parquet files of at most N rows each (1..=100,000,000).
        #[arg(long, value_name = "N")]
        rows_per_file: Option<usize>,
        /// Class names, comma-separated, index = label [default: 0,1,…,9]; each non-empty,
        /// without control characters, no name twice.
        #[arg(long, value_delimiter = ',')]
        classes: Option<Vec<String>>,
        /// Process only shard K of N (0-based): a contiguous slice of the rows (the validation split is drawn over all rows), written
        /// as OUT/part-0000K.parquet; the N parts read as one dataset, in order (OUT may hold only parts of the same N).
        #[arg(long, value_name = "K/N", default_value_t = Shard::WHOLE)]
        shard: Shard,
    },
    /// Class-per-folder JPEG/PNG tree (ROOT/CLASS/*.jpeg, the Kaggle chest X-ray layout) → image dataset.
    Folders {
        /// Root of one split: one subfolder per class (sorted names = labels 0, 1, …).
        #[arg(long)]
        root: PathBuf,
        /// Output dataset: a .parquet file, or a directory of part files with --rows-per-file.
        #[arg(long)]
        out: PathBuf,
        /// Target size HxW, e.g. 128x128: area-averaged when shrinking, bilinear when enlarging
        /// (aspect ratio is not kept, as Keras image_dataset_from_directory).
        #[arg(long, value_parser = parse_size, value_name = "HxW")]
        size: (usize, usize),
        /// 1 = grayscale (ITU-R BT.601 luma, as PIL convert("L")), 3 = RGB.
        #[arg(long, default_value_t = 1, value_parser = clap::builder::PossibleValuesParser::new(["1", "3"]).map(|s| s.parse::<u8>().unwrap()))]
        channels: u8,
        /// Skip files that cannot be decoded (they are listed on stderr) instead of failing.
        #[arg(long)]
        skip_bad: bool,
        /// Write a directory of part-NNNNN.parquet files of at most N rows each (1..=100,000,000).
        #[arg(long, value_name = "N")]
        rows_per_file: Option<usize>,
        /// Refuse an image whose header declares more megapixels than this (checked
        /// before decoding); more than 0 and at most 4295 (65535², the largest JPEG).
        #[arg(long, value_name = "MP", default_value_t = ingest::folders::MAX_PIXELS as f64 / 1e6)]
        max_megapixels: f64,
        /// Accept class folders named train/val/test (without it such a root is taken
        /// for a dataset's root, given instead of one of its splits, and refused).
        #[arg(long)]
        allow_split_names: bool,
        /// Process only shard K of N (0-based): a contiguous slice of the sorted file list (classes come from the whole tree), written
        /// as OUT/part-0000K.parquet; the N parts read as one dataset, in order (OUT may hold only parts of the same N).
        #[arg(long, value_name = "K/N", default_value_t = Shard::WHOLE)]
        shard: Shard,
    },
    /// Generate SYNTHETIC chest-X-ray-like JPEGs in the Kaggle layout
    /// (OUT/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg + OUT/README.txt). Not real X-rays.
    SynthXray(SynthOptions),
}

fn main() -> ExitCode {
    cli::exit_status(run(cli::parse_args::<Cli>()))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let progress = !cli.quiet;
    // Each subcommand gives its summary twice: as JSON (--json) and as a line.
    let (json, line) = match cli.command {
        Command::Idx {
            images,
            labels,
            out,
            val_fraction,
            val_out,
            seed,
            rows_per_file,
            classes,
            shard,
        } => {
            let opts = IdxOptions {
                images,
                labels,
                out: out.clone(),
                val_fraction,
                val_out: val_out.clone(),
                seed,
                rows_per_file,
                classes,
                progress,
                shard,
            };
            let s = ingest::run_idx(&opts)?;
            let json = serde_json::json!({
                "rows": s.rows, "val_rows": s.val_rows, "classes": s.classes,
                "height": s.height, "width": s.width, "seconds": s.seconds,
                "out": out.display().to_string(),
                "val_out": val_out.as_ref().map(|v| v.display().to_string()),
            });
            let val = match &val_out {
                Some(v) => format!(" + {} validation rows → {}", s.val_rows, v.display()),
                None => String::new(),
            };
            let line = format!(
                "ingest idx: {} rows of {}x{}, {} classes, {:.2} s → {}{val}",
                s.rows,
                s.height,
                s.width,
                s.classes.len(),
                s.seconds,
                out.display()
            );
            (json, line)
        }
        Command::Folders {
            root,
            out,
            size,
            channels,
            skip_bad,
            rows_per_file,
            max_megapixels,
            shard,
            allow_split_names,
        } => {
            let limit = ingest::folders::MAX_PIXELS_LIMIT as f64 / 1e6;
            if !(max_megapixels.is_finite() && max_megapixels > 0.0 && max_megapixels <= limit) {
                anyhow::bail!(
                    "--max-megapixels must be a number more than 0 and at most {limit}, got {max_megapixels}"
                );
            }
            let opts = FolderOptions {
                root,
                out: out.clone(),
                height: size.0,
                width: size.1,
                channels: channels as usize,
                skip_bad,
                rows_per_file,
                progress,
                max_pixels: (max_megapixels * 1e6) as usize,
                shard,
                allow_split_names,
            };
            let s = ingest::run_folders(&opts)?;
            for (path, reason) in &s.skipped {
                eprintln!("skipped {}: {reason}", path.display());
            }
            let skipped: Vec<_> = s
                .skipped
                .iter()
                .map(|(p, r)| serde_json::json!({"path": p.display().to_string(), "reason": r}))
                .collect();
            let json = serde_json::json!({
                "rows": s.rows, "classes": s.classes, "skipped": skipped,
                "hidden_ignored": s.hidden_ignored, "synthetic": s.synthetic,
                "seconds": s.seconds, "out": out.display().to_string(),
            });
            let mut notes = Vec::new();
            if !s.skipped.is_empty() {
                notes.push(format!("{} bad files skipped (listed above)", s.skipped.len()));
            }
            if s.hidden_ignored > 0 {
                notes.push(format!("{} hidden entries ignored", s.hidden_ignored));
            }
            if s.synthetic {
                notes.push("SYNTHETIC source".to_string());
            }
            let notes =
                if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
            let line = format!(
                "ingest folders: {} rows of {}x{}x{}, {} classes [{}], {:.2} s ({} images/s) → {}{notes}",
                s.rows,
                size.0,
                size.1,
                channels,
                s.classes.len(),
                s.classes.join(", "),
                s.seconds,
                formats::thousands(
                    ((s.rows + s.skipped.len()) as f64 / s.seconds.max(1e-9)).round() as i64
                ),
                out.display()
            );
            (json, line)
        }
        Command::SynthXray(opts) => {
            let opts = SynthOptions { progress, ..opts };
            let s = ingest::run_synth(&opts)?;
            let json = serde_json::json!({
                "files": s.files, "rgb": s.rgb, "progressive": s.progressive,
                "bytes": s.bytes, "seconds": s.seconds, "synthetic": true,
                "out": opts.out.display().to_string(),
            });
            let line = format!(
                "ingest synth-xray: {} SYNTHETIC JPEGs ({} RGB, {} progressive, {:.1} MB), 2 classes, {:.2} s → {}",
                s.files,
                s.rgb,
                s.progressive,
                s.bytes as f64 / 1e6,
                s.seconds,
                opts.out.display()
            );
            (json, line)
        }
    };
    if cli.json {
        println!("{json}");
    } else if !cli.quiet {
        println!("{line}");
    }
    Ok(())
}
