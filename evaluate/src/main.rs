//! `evaluate --model M.onnx --data D.parquet --out DIR` and `evaluate compare DIR... --out DIR`.
//! See docs/evaluate.md.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use evaluate::model::ModelOptions;
use evaluate::EvalOptions;
use params::{EvaluateArgs, MergeArgs};

/// Evaluates an ONNX classifier on a dataset: metrics, tables and pictures.
#[derive(Parser, Debug)]
#[command(
    name = "evaluate",
    version,
    // Example lines stay within 78 columns: clap wraps wider ones at the terminal's
    // width, and a wrapped example pastes as two commands.
    after_help = "Examples:
  evaluate --model out/runs/mlp/model/model.onnx \\
      --data out/data/mnist/test.parquet --out out/runs/mlp/eval
  evaluate --model m.onnx --data test.parquet --out eval --json > metrics.json
  evaluate --model pneumonia.onnx --data xray-test.parquet --out eval \\
      --min-recall 0.95
  evaluate compare out/runs/mlp out/runs/mlp-hidden3 out/runs/cnn --out board
  # one shard of four, then the four merged:
  evaluate --model m.onnx --data big.parquet --out shards/0 --shard 0/4
  evaluate merge shards/* --out eval",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    eval: EvalArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Stacks several evaluation directories (and their training histories) into a leaderboard.
    Compare {
        /// Evaluation directories (each with a metrics.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where leaderboard.parquet (and histories.parquet) go.
        #[arg(long)]
        out: PathBuf,
    },
    /// Combines the shard directories of `evaluate --shard K/N` (all N of them) into
    /// the metrics, tables and pictures of one unsharded evaluation.
    Merge {
        #[command(flatten)]
        args: MergeArgs,
        /// Print metrics.json on stdout instead of the summary.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
struct EvalArgs {
    #[command(flatten)]
    run: EvaluateArgs,
    /// Print metrics.json on stdout instead of the summary.
    #[arg(long)]
    json: bool,
    /// No progress bar and no summary.
    #[arg(long)]
    quiet: bool,
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Some(Command::Compare { dirs, out }) => {
            let (board, written) = evaluate::compare::compare(&dirs, &out)?;
            println!("{}", evaluate::compare::format_table(&board));
            for w in written {
                println!("wrote {}", w.display());
            }
            return Ok(());
        }
        Some(Command::Merge { args: MergeArgs { dirs, out }, json }) => {
            let ev = evaluate::shard::merge(&dirs)?;
            let written = evaluate::write_outputs(&ev, &out)?;
            return report(&ev, &out, &written, json);
        }
        None => {}
    }
    let EvalArgs { run: a, json, quiet } = cli.eval;
    cli::progress::set_quiet(quiet);
    let (model, data, out) = (a.model.unwrap(), a.data.unwrap(), a.out.unwrap());
    let mut opts = EvalOptions::new(&model, &data);
    opts.history = a.history;
    opts.params = a.params;
    opts.labels_from_model = a.labels_from_model;
    opts.model_options =
        ModelOptions { scale: a.scale, output: a.output, threads: a.threads, sessions: a.sessions };
    opts.shard = a.shard;
    if !a.shard.is_whole() {
        let scored = evaluate::score(&opts)?;
        evaluate::shard::write_shard(&scored, &out)?;
        let i = &scored.info;
        if quiet {
            return Ok(());
        }
        println!(
            "evaluate shard {}: rows {}..{} of {} scored in {:.2} s → {}/{{shard.json, predictions.parquet}}",
            i.shard,
            i.first_row,
            i.first_row + i.rows,
            i.total_rows,
            i.seconds,
            out.display()
        );
        return Ok(());
    }
    let ev = evaluate::evaluate(&opts)?;
    let written = evaluate::write_outputs(&ev, &out)?;
    if quiet && !json {
        return Ok(());
    }
    report(&ev, &out, &written, json)
}

/// The summary (or metrics.json with `--json`) and the files written, on stdout.
fn report(
    ev: &evaluate::Evaluation,
    out: &std::path::Path,
    written: &[PathBuf],
    json: bool,
) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&ev.metrics)?);
    } else {
        print!("{}", evaluate::summary(&ev.metrics));
        let names: Vec<String> = written
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        println!("\n  wrote {}/{{{}}}", out.display(), names.join(", "));
    }
    Ok(())
}

fn main() -> ExitCode {
    // One line whatever the causes hold (ONNX Runtime's messages span several).
    let result = run(cli::parse_args::<Cli>())
        .map_err(|e| anyhow::anyhow!(evaluate::model::one_line(&format!("{e:#}"))));
    cli::exit_status(result)
}
