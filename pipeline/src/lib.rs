//! `pipeline`: the manifest (`pipeline.toml`, parsed by [`crate::manifest`]) as
//! make rules ([`make`]), and the lab report written from the stage outputs
//! ([`report`]). See `docs/pipeline.md`.
//!
//! ```
//! use std::path::{Path, PathBuf};
//! use pipeline::manifest::{Manifest, Trainer};
//!
//! let text = r#"
//! [datasets.digits]
//! kind = "idx"
//! train_images = "train-images.gz"
//! train_labels = "train-labels.gz"
//! test_images = "test-images.gz"
//! test_labels = "test-labels.gz"
//! val_fraction = 0.1
//!
//! [models.mlp]
//! data = "digits"
//! loss = "categorical_crossentropy"
//! layers = [{ type = "flatten" }, { type = "dense", units = 10, activation = "softmax" }]
//! sweep = { epochs = [5, 20] }
//! "#;
//! let m = Manifest::parse(text, Path::new("pipeline.toml")).unwrap();
//! let runs: Vec<&str> = m.runs.iter().map(|r| r.name.as_str()).collect();
//! assert_eq!(runs, ["mlp", "mlp-epochs5", "mlp-epochs20"]); // base run, then the sweep
//! let Trainer::Network { spec, .. } = &m.run("mlp-epochs20").unwrap().trainer else { unreachable!() };
//! assert_eq!(spec.epochs, 20);
//! assert_eq!(m.run_model_dir("mlp-epochs20"), Path::new("out/runs/mlp-epochs20/model"));
//!
//! // A refused value names the file, the line and the key.
//! let err = Manifest::parse(&text.replace("units = 10", "units = 0"), Path::new("pipeline.toml")).unwrap_err();
//! assert_eq!(format!("{err:#}"), "pipeline.toml line 13: models.mlp.layers.1.units: layer 2 (dense): units must be at least 1");
//! ```

#![warn(missing_docs)]

/// The manifest's schema (its own crate), as `pipeline::manifest`.
pub use ::manifest;

pub mod confine;
pub mod dvc;
pub mod error;
pub mod make;
pub mod plan;
pub mod report;
pub mod run_node;
pub mod shell;
pub mod show;
pub mod spec_files;

use std::path::{Path, PathBuf};

pub use crate::confine::check_output_roots;
pub use crate::error::{Error, ErrorKind, Result};
use crate::manifest::Manifest;

/// `pipeline make`'s flags.
#[derive(Debug, Clone, PartialEq, serde::Serialize, clap::Args)]
pub struct MakeArgs {
    /// The manifest.
    #[arg(long, default_value = "pipeline.toml")]
    pub manifest: PathBuf,
    /// Allow `settings.out` and `settings.report` outside the manifest's
    /// directory (e.g. on another disk). Without it, such a manifest is refused.
    #[arg(long)]
    pub outputs_anywhere: bool,
    /// Write the fragment to this file (atomically) instead of printing it.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `pipeline make`: checks the manifest, writes the changed parameter files and
/// returns the make fragment. `args.out` is where the caller will put it (it goes
/// into the rule that rewrites missing parameter files); `args.outputs_anywhere`
/// lifts [`check_output_roots`] for a user who wants `out/` on another disk.
pub fn make_fragment(args: &MakeArgs) -> Result<String> {
    let manifest_path = args.manifest.as_path();
    let m = Manifest::load(manifest_path)?;
    if !args.outputs_anywhere {
        check_output_roots(&m, manifest_path)?;
    }
    if let Some(f) = &args.out {
        spec_files::check_file_name(f).map_err(|e| Error::spec_file(manifest_path, e))?;
    }
    let plan = make::plan(&m)?;
    make::write_spec_files(&plan).map_err(|e| Error::spec_file(manifest_path, e))?;
    // The rule that remakes this fragment runs this same command.
    let argv: Vec<String> =
        ["pipeline", "make"].into_iter().map(String::from).chain(params::to_args(args)).collect();
    let mut regenerate = shell::command_line(&argv);
    if args.out.is_none() {
        regenerate.push_str(" > /dev/null");
    }
    Ok(make::render(&m, &plan, &regenerate))
}

/// `pipeline plan`: checks the manifest, writes the changed parameter files (as
/// `pipeline make` does) and returns the DAG at `shards` shards per per-row stage.
pub fn plan_for(manifest_path: &Path, shards: usize, outputs_anywhere: bool) -> Result<plan::Plan> {
    let m = Manifest::load(manifest_path)?;
    if !outputs_anywhere {
        check_output_roots(&m, manifest_path)?;
    }
    let p = plan::plan(&m, shards)?;
    plan::write_spec_files(&p.spec_files).map_err(|e| Error::spec_file(manifest_path, e))?;
    Ok(p)
}
