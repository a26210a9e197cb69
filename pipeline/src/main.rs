//! `pipeline make`, `plan`, `run`, `show` and `report`: flags only; the work is the
//! library's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "pipeline",
    version,
    about = "The lab pipeline: pipeline.toml → make rules, its DAG, and the report",
    // Example lines stay within 78 columns: clap wraps wider ones at the terminal's
    // width, and a wrapped example pastes as two commands.
    after_help = "Examples:
  pipeline make --manifest pipeline.toml --out build/pipeline.mk
  pipeline plan --shards 2 --json    # the DAG, for pipeline/ray/ray_run.py
  pipeline show hog-mlp-ppc7         # one run's commands, to paste
  pipeline run train:mlp-hidden3     # one node, as make runs it
  pipeline report --manifest pipeline.toml --out report"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check the manifest, write the changed parameter files under OUT/specs and
    /// print the make fragment (one rule per stage output).
    Make(pipeline::MakeArgs),
    /// Print the pipeline's DAG: one node per stage command with its inputs, outputs,
    /// dependencies and CPUs; per-row stages split into N shards (docs/scale-out.md).
    /// Writes the changed parameter files, as `make` does.
    #[command(after_help = "Examples:
  pipeline plan                      # the nodes `make` runs, as a list
  pipeline plan --shards 4 --json    # what pipeline/ray/ray_run.py runs")]
    Plan {
        /// The manifest.
        #[arg(long, default_value = "pipeline.toml")]
        manifest: PathBuf,
        /// Shards per per-row stage (ingest, features, evaluate).
        #[arg(long, default_value_t = 1)]
        shards: usize,
        /// Print the plan as JSON (format `lab-plan/1`).
        #[arg(long)]
        json: bool,
        /// As for `pipeline make`.
        #[arg(long)]
        outputs_anywhere: bool,
    },
    /// Run one node of the plan (`pipeline plan` lists them), with the commands `make`
    /// would run, from the manifest's directory. The nodes it waits for are not run:
    /// their outputs must already be there.
    #[command(after_help = "Examples:
  pipeline run train:mlp-hidden3     # train one variant
  pipeline run eval:cnn              # evaluate one run")]
    Run {
        /// The node's id, as `pipeline plan` prints it (`train:RUN`, `eval:RUN`,
        /// `features:SET:SPLIT`, `data:DATASET:SPLIT`, `report`).
        node: String,
        /// The manifest.
        #[arg(long, default_value = "pipeline.toml")]
        manifest: PathBuf,
        /// Where the stage binaries are [default: beside this `pipeline`].
        #[arg(long, value_name = "DIR")]
        bin: Option<PathBuf>,
        /// As for `pipeline make`.
        #[arg(long)]
        outputs_anywhere: bool,
    },
    /// Print the shell commands of one make target (a run, a dataset, a feature set,
    /// `report`, a node id or an output file) and of everything it needs, in order,
    /// whether or not they are up to date: `make -n -B TARGET` as a script to paste.
    /// Writes the changed parameter files, as `make` does.
    #[command(after_help = "Examples:
  pipeline show hog-mlp-ppc7         # one run, all its stages
  pipeline show hog > hog.sh         # one feature set, as a script")]
    Show {
        /// The make target: a run (`mlp-hidden3`), a dataset (`mnist`), a feature set
        /// (`hog`), `report`, a node id (`train:cnn`) or an output file.
        target: String,
        /// The manifest.
        #[arg(long, default_value = "pipeline.toml")]
        manifest: PathBuf,
        /// Where the stage binaries are [default: beside this `pipeline`].
        #[arg(long, value_name = "DIR")]
        bin: Option<PathBuf>,
        /// As for `pipeline make`.
        #[arg(long)]
        outputs_anywhere: bool,
    },
    /// Write a dvc.yaml beside the manifest: one DVC stage per node of the plan (the
    /// commands make runs), each run's scores.json as metrics and history.csv as plots,
    /// so `dvc repro` runs the same DAG. Writes the changed parameter files, as `make` does.
    #[command(after_help = "Examples:
  pipeline dvc && dvc repro           # the whole lab through DVC
  pipeline dvc --out lab.dvc.yaml     # elsewhere than beside the manifest")]
    Dvc {
        /// The manifest.
        #[arg(long, default_value = "pipeline.toml")]
        manifest: PathBuf,
        /// Where the stage binaries are [default: beside this `pipeline`].
        #[arg(long, value_name = "DIR")]
        bin: Option<PathBuf>,
        /// Where to write it [default: dvc.yaml beside the manifest].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// As for `pipeline make`.
        #[arg(long)]
        outputs_anywhere: bool,
    },
    /// Write REPORT/index.md and REPORT/index.html (with its pictures) from the
    /// stage outputs of every run of the manifest.
    Report(pipeline::report::ReportArgs),
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Make(args) => {
            let fragment = pipeline::make_fragment(&args)?;
            match args.out {
                Some(path) => formats::atomic::write_bytes(&path, fragment.as_bytes())?,
                None => print!("{fragment}"),
            }
        }
        Command::Plan { manifest, shards, json, outputs_anywhere } => {
            let plan = pipeline::plan_for(&manifest, shards, outputs_anywhere)?;
            let text = if json {
                serde_json::to_string_pretty(&plan)? + "\n"
            } else {
                plan_listing(&plan, &bin_for_shell(&stage_binaries(None)?)?)
            };
            print_out(&text)?;
        }
        Command::Run { node, manifest, bin, outputs_anywhere } => {
            let bin = stage_binaries(bin)?;
            let (dir, file) = manifest_dir(&manifest);
            std::env::set_current_dir(&dir)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            let plan = pipeline::plan_for(&file, 1, outputs_anywhere)?;
            pipeline::run_node::run_node(&plan, &node, Path::new("."), &bin)?;
        }
        Command::Show { target, manifest, bin, outputs_anywhere } => {
            let bin = stage_binaries(bin)?;
            let (dir, file) = manifest_dir(&manifest);
            // Paths start at the manifest's directory: a script for another directory
            // goes there first, and names the binaries by absolute path.
            let (cd, bin) = if dir == Path::new(".") {
                (None, bin_for_shell(&bin)?)
            } else {
                let abs = std::path::absolute(&dir)?;
                (Some(abs.to_string_lossy().into_owned()), bin.to_string_lossy().into_owned())
            };
            std::env::set_current_dir(&dir)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            let plan = pipeline::plan_for(&file, 1, outputs_anywhere)?;
            print_out(&pipeline::show::show(&plan, &target, &bin, cd.as_deref())?)?;
        }
        Command::Dvc { manifest, bin, out, outputs_anywhere } => {
            let bin = stage_binaries(bin)?;
            let (dir, file) = manifest_dir(&manifest);
            let out = out.map(std::path::absolute).transpose()?;
            std::env::set_current_dir(&dir)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            // DVC runs the commands from the manifest's directory, as make does.
            let bin = bin_for_shell(&bin)?;
            let plan = pipeline::plan_for(&file, 1, outputs_anywhere)?;
            let m = pipeline::manifest::Manifest::load(&file)?;
            let yaml = pipeline::dvc::dvc_yaml(&m, &plan, &bin)?;
            let out = out.unwrap_or_else(|| PathBuf::from("dvc.yaml"));
            formats::atomic::write_bytes(&out, yaml.as_bytes())?;
            eprintln!("wrote {}", out.display());
        }
        Command::Report(pipeline::report::ReportArgs { manifest, out }) => {
            let m = pipeline::manifest::Manifest::load(&manifest)?;
            let summary = pipeline::report::write_report(&m, &out)?;
            println!("{summary}");
        }
    }
    Ok(())
}

/// The plan's paths start at the manifest's directory, as under make: that directory
/// (`.` for a bare file name) and the manifest's name in it.
fn manifest_dir(manifest: &Path) -> (PathBuf, PathBuf) {
    let dir = match manifest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = manifest.file_name().map(PathBuf::from).unwrap_or(manifest.to_path_buf());
    (dir, file)
}

/// The stage binaries' directory, absolute: `--bin`, else the one holding this `pipeline`.
fn stage_binaries(bin: Option<PathBuf>) -> Result<PathBuf> {
    Ok(match bin {
        Some(b) => std::path::absolute(b)?,
        None => std::env::current_exe()?.parent().map(PathBuf::from).unwrap_or_default(),
    })
}

/// `bin` as a command in the current directory would name it: relative when it is
/// below it (`target/release`), absolute otherwise.
fn bin_for_shell(bin: &Path) -> Result<String> {
    let cwd = std::env::current_dir()?;
    Ok(match bin.strip_prefix(&cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => bin.to_string_lossy().into_owned(),
    })
}

/// The plan for a person: each node with its CPUs, what it waits for, its commands
/// (stage binaries in `bin`).
fn plan_listing(plan: &pipeline::plan::Plan, bin: &str) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    for n in &plan.nodes {
        let cpus = if n.cpus == 1 { "1 cpu".to_string() } else { format!("{} cpus", n.cpus) };
        let _ = writeln!(o, "{}  ({cpus}) {}", n.id, n.comment);
        if !n.after.is_empty() {
            let _ = writeln!(o, "    after: {}", n.after.join(", "));
        }
        for c in &n.commands {
            let _ = writeln!(o, "    $ {}", pipeline::shell::shell_line(c, bin));
        }
    }
    let plural = if plan.shards == 1 { "" } else { "s" };
    let _ =
        writeln!(o, "{} nodes, {} shard{plural} per per-row stage", plan.nodes.len(), plan.shards);
    o
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    cli::exit_status(run(cli::parse_args::<Cli>()))
}
