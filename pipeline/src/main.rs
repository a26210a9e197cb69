//! `pipeline make --manifest pipeline.toml [--out build/pipeline.mk]` and
//! `pipeline report --manifest pipeline.toml --out report`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "pipeline",
    about = "The lab pipeline: pipeline.toml → make rules, and the report"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the manifest, write the changed parameter files under OUT/specs and
    /// print the make fragment (one rule per stage output).
    Make {
        /// The manifest.
        #[arg(long, default_value = "pipeline.toml")]
        manifest: PathBuf,
        /// Write the fragment to this file (atomically) instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Allow `settings.out` and `settings.report` outside the manifest's
        /// directory (e.g. on another disk). Without it, such a manifest is refused.
        #[arg(long)]
        outputs_anywhere: bool,
    },
    /// Write REPORT/index.md and REPORT/index.html (with its pictures) from the
    /// stage outputs of every run of the manifest.
    Report {
        /// The manifest.
        #[arg(long, default_value = "pipeline.toml")]
        manifest: PathBuf,
        /// The report directory (replaced as a whole).
        #[arg(long, default_value = "report")]
        out: PathBuf,
    },
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Make { manifest, out, outputs_anywhere } => {
            let fragment = pipeline::make_fragment(&manifest, out.as_deref(), outputs_anywhere)?;
            match out {
                Some(path) => formats::atomic::write_bytes(&path, fragment.as_bytes())?,
                None => print!("{fragment}"),
            }
        }
        Command::Report { manifest, out } => {
            let m = pipeline::manifest::Manifest::load(&manifest)?;
            let summary = pipeline::report::write_report(&m, &out)?;
            eprintln!("{summary}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    formats::exit_status(run(formats::parse_args::<Cli>()))
}
