//! `train`: fits a model spec on a dataset and writes model.onnx, history.parquet,
//! summary.json and summary.txt. See docs/train.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// Trains a Keras-style network (or the logistic baseline) and exports it to ONNX.
#[derive(Parser)]
#[command(name = "train", version, about, long_about = None)]
struct Cli {
    /// Model spec (TOML: layers, loss, optimizer, epochs, ...; see docs/train.md).
    #[arg(long, required_unless_present = "baseline", conflicts_with = "baseline")]
    spec: Option<PathBuf>,
    /// Fit a classical baseline instead of a network: `logistic` (linfa multinomial logistic regression).
    #[arg(long, value_enum)]
    baseline: Option<Baseline>,
    /// Training dataset (image or feature dataset: a .parquet file or a directory of parts).
    #[arg(long)]
    train: PathBuf,
    /// Validation dataset, evaluated after every epoch (overrides the spec's validation_split).
    #[arg(long)]
    val: Option<PathBuf>,
    /// Output directory: model.onnx, history.parquet, summary.json, summary.txt.
    #[arg(long)]
    out: PathBuf,
    /// No progress bar and no per-epoch lines.
    #[arg(long)]
    quiet: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Baseline {
    Logistic,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match (cli.baseline, &cli.spec) {
        (Some(Baseline::Logistic), _) => train::baseline::run_baseline(&cli.train, cli.val.as_deref(), &cli.out),
        (None, Some(spec)) => train::run(spec, &cli.train, cli.val.as_deref(), &cli.out, !cli.quiet).map(|t| {
            if !cli.quiet {
                eprint!("{}", train::output::summary_text(&t.summary));
            }
        }),
        (None, None) => unreachable!("clap requires --spec or --baseline"),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
