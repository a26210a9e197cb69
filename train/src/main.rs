//! `train`: fits a model spec on a dataset and writes model.onnx, history.parquet,
//! history.csv, summary.json and summary.txt. See docs/train.md.

use std::process::ExitCode;

use clap::Parser;
use params::{Baseline, TrainArgs};

/// Trains a Keras-style network (or the logistic baseline) and exports it to ONNX.
#[derive(Parser)]
#[command(
    name = "train",
    version,
    about,
    long_about = None,
    // Example lines stay within 78 columns: clap wraps wider ones at the terminal's
    // width, and a wrapped example pastes as two commands.
    after_help = "Examples:
  train --spec mlp.toml --train out/data/mnist/train.parquet \\
      --val out/data/mnist/val.parquet --out runs/mlp
  # warm start from a trained model:
  train --spec mlp.toml --train T --out runs/mlp-more \\
      --init-from runs/mlp/model.onnx
  train --baseline logistic --train out/features/hog/train.parquet \\
      --out runs/logistic
  # time per layer:
  train --spec cnn.toml --train T --val V --out runs/cnn --profile prof.json
  LAB_KERNELS=avx2 train --spec cnn.toml --train T --out runs/c2  # kernels
  # refuse bigger models:
  train --spec cnn.toml --train T --out runs/cnn --max-memory 4G

A run killed part-way continues after its last complete epoch when run
again with the same inputs (a checkpoint beside the output directory);
--fresh starts over.

Environment:
  LAB_KERNELS  avx512, avx2, neon or portable: the kernels' instruction set
               (default: the fastest this CPU runs). Every path trains to the
               same bits; only speed differs."
)]
struct Cli {
    #[command(flatten)]
    args: TrainArgs,
    /// No progress bar, no per-epoch lines, no summary.
    #[arg(long)]
    quiet: bool,
    /// Print summary.json on stdout instead of the summary table.
    #[arg(long)]
    json: bool,
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let a = cli.args;
    // A bad LAB_KERNELS is one sentence before any work, not a panic inside it.
    train::kernels::Isa::select()?;
    // Per-epoch lines and the bar go to stderr; the summary (the result) to stdout.
    let verbose = !cli.quiet && !cli.json;
    let json = cli.json;
    let (profile, quiet) = (a.profile.clone(), cli.quiet);
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
        init_from: a.init_from.clone(),
        max_memory: a.max_memory,
        fresh: a.fresh,
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
    let (train, out) = (a.train, a.out);
    match (a.baseline, &a.spec) {
        (Some(Baseline::Logistic), _) => {
            Ok(train::baseline::run_baseline(&train, a.val.as_deref(), &out)?)
        }
        (None, Some(spec)) => {
            let spec = train::spec::from_file(spec)?;
            print_summary(train::train_from(&spec, &train, a.val.as_deref(), &out, &options)?)
        }
        (None, None) => unreachable!("clap requires --spec or --baseline"),
    }
}

fn main() -> ExitCode {
    cli::exit_status(run(cli::parse_args::<Cli>()))
}
