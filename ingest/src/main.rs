//! `ingest`: raw data → image datasets (Parquet). See docs/ingest.md.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use ingest::{FoldersParams, IdxParams, SynthParams};

/// Turns raw data into image datasets (Parquet, see docs/formats.md).
#[derive(Parser)]
#[command(
    name = "ingest",
    version,
    about,
    long_about = None,
    // Example lines stay within 78 columns: clap wraps wider ones at the terminal's
    // width, and a wrapped example pastes as two commands.
    after_help = "Examples:
  ingest idx --images train-images-idx3-ubyte.gz \\
      --labels train-labels-idx1-ubyte.gz --out train.parquet \\
      --val-fraction 0.1 --val-out val.parquet
  ingest folders --root chest_xray/train --out xray.parquet --size 128x128
  ingest synth-xray --out xs --train 100 --val 10 --test 30  # SYNTHETIC JPEGs
  ingest folders --root big/train --out big/ --size 128x128 --shard 2/8"
)]
struct Cli {
    /// No progress bar and no summary (the bar is drawn only on a terminal anyway).
    #[arg(long, global = true, help_heading = "Global options")]
    quiet: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long, global = true, help_heading = "Global options")]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// MNIST-style IDX image + label files (gzip or raw, told by content) → image dataset.
    Idx(IdxParams),
    /// Class-per-folder JPEG/PNG tree (ROOT/CLASS/*.jpeg, the Kaggle chest X-ray layout) → image dataset.
    Folders(FoldersParams),
    /// Generate SYNTHETIC chest-X-ray-like JPEGs in the Kaggle layout
    /// (OUT/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg + OUT/README.txt). Not real X-rays.
    SynthXray(SynthParams),
}

fn main() -> ExitCode {
    cli::exit_status(run(cli::parse_args::<Cli>()))
}

fn run(cli: Cli) -> ingest::Result<()> {
    let progress = !cli.quiet;
    // Each subcommand gives its summary twice: as JSON (--json) and as a line.
    let (json, line) = match cli.command {
        Command::Idx(opts) => {
            let opts = IdxParams { progress, ..opts };
            let (out, val_out) = (opts.out.clone(), opts.val_out.clone());
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
        Command::Folders(opts) => {
            let opts = FoldersParams { progress, ..opts };
            let (out, size, channels) = (opts.out.clone(), opts.size, opts.channels);
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
                size.rows,
                size.cols,
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
            let opts = SynthParams { progress, ..opts };
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
