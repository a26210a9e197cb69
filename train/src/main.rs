//! `train`: fits a model spec on a dataset and writes model.onnx, history.parquet,
//! summary.json and summary.txt. See docs/train.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

/// Trains a Keras-style network (or the logistic baseline) and exports it to ONNX.
#[derive(Parser)]
#[command(
    name = "train",
    version,
    about,
    long_about = None,
    after_help = "Examples:
  train --spec mlp.toml --train out/data/mnist/train.parquet --val out/data/mnist/val.parquet --out runs/mlp
  train --spec mlp.toml --train T --out runs/mlp-more --init-from runs/mlp/model.onnx   # warm start
  train --baseline logistic --train out/features/hog/train.parquet --out runs/logistic
  train --spec cnn.toml --train T --val V --out runs/cnn --profile prof.json   # time per layer
  LAB_KERNELS=avx2 train --spec cnn.toml --train T --out runs/c2   # force a kernel path
  train --spec cnn.toml --train T --out runs/cnn --max-memory 4G   # refuse bigger models

A run killed part-way continues after its last complete epoch when run again with the
same inputs (a checkpoint beside the output directory); --fresh starts over.

Environment:
  LAB_KERNELS  avx512, avx2, neon or portable: the kernels' instruction set (default: the
               fastest this CPU runs). Every path trains to the same bits; only speed differs."
)]
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
    /// Start from the weights of this model.onnx (exported by `train` for the same
    /// layers) instead of fresh ones: fine-tuning, resuming, or a run from given
    /// initial weights. The optimizer's state starts fresh.
    #[arg(long, value_name = "MODEL", conflicts_with = "baseline")]
    init_from: Option<PathBuf>,
    /// Write where the time went, layer by layer (forward, backward-data,
    /// backward-weights, validation: seconds and GFLOP/s), to FILE as JSON, and print it
    /// as a table on stderr (not with --quiet). See docs/benchmarks.md.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    profile: Option<PathBuf>,
    /// Refuse a model that needs more memory than SIZE to train (weights, gradients,
    /// optimizer state and a batch of layer outputs), e.g. `8G`, `512Mi`. Default: the
    /// memory available when the run starts.
    #[arg(long, value_name = "SIZE", value_parser = params::memory::parse_size)]
    max_memory: Option<u64>,
    /// Start from epoch 1 even when a checkpoint of an interrupted run with the same
    /// inputs is there (by default the run continues after its last complete epoch).
    #[arg(long, conflicts_with = "baseline")]
    fresh: bool,
    /// No progress bar, no per-epoch lines, no summary.
    #[arg(long)]
    quiet: bool,
    /// Print summary.json on stdout instead of the summary table.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Baseline {
    Logistic,
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // A bad LAB_KERNELS is one sentence before any work, not a panic inside it.
    train::kernels::Isa::select()?;
    // Per-epoch lines and the bar go to stderr; the summary (the result) to stdout.
    let verbose = !cli.quiet && !cli.json;
    let json = cli.json;
    let (profile, quiet) = (cli.profile.clone(), cli.quiet);
    // The profile is written after the run's outputs: a path that cannot take it is
    // refused now, before training, not after the commit.
    if let Some(path) = &profile {
        if path.is_dir() || path.as_os_str().to_string_lossy().ends_with('/') {
            anyhow::bail!(
                "--profile {} is a directory; give a file name such as prof.json",
                path.display()
            );
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if parent.exists() && !parent.is_dir() {
                anyhow::bail!(
                    "--profile {}: {} is not a directory",
                    path.display(),
                    parent.display()
                );
            }
        }
    }
    let options = train::RunOptions {
        verbose,
        init_from: cli.init_from.clone(),
        max_memory: cli.max_memory,
        fresh: cli.fresh,
    };
    let print_summary = |t: train::Trained| -> anyhow::Result<()> {
        if let Some(path) = &profile {
            formats::atomic::write_bytes(
                path,
                serde_json::to_string_pretty(&t.profile)?.as_bytes(),
            )?;
            if !quiet {
                eprint!("{}", t.profile.table());
            }
        }
        if json {
            println!("{}", t.summary.to_json_line());
        } else if verbose {
            print!("{}", train::summary_text(&t.summary));
        }
        Ok(())
    };
    let (train, out) = (cli.train, cli.out);
    match (cli.baseline, &cli.spec) {
        (Some(Baseline::Logistic), _) => {
            Ok(train::baseline::run_baseline(&train, cli.val.as_deref(), &out)?)
        }
        (None, Some(spec)) => {
            let spec = train::spec::from_file(spec)?;
            print_summary(train::train_from(&spec, &train, cli.val.as_deref(), &out, &options)?)
        }
        (None, None) => unreachable!("clap requires --spec or --baseline"),
    }
}

fn main() -> ExitCode {
    cli::exit_status(run(cli::parse_args::<Cli>()))
}
