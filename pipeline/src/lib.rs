//! `pipeline`: the manifest (`pipeline.toml`, parsed by [`crate::manifest`]) as
//! make rules ([`make`]), and the lab report written from the stage outputs
//! ([`report`]). See `docs/pipeline.md`.

pub mod make;
pub mod manifest;
pub mod report;

use std::path::Path;

use anyhow::Result;
use crate::manifest::Manifest;

/// `pipeline make`: checks the manifest, writes the changed parameter files and
/// returns the make fragment. `fragment_out` is where the caller will put it
/// (it goes into the rule that rewrites missing parameter files).
pub fn make_fragment(manifest_path: &Path, fragment_out: Option<&Path>) -> Result<String> {
    let m = Manifest::load(manifest_path)?;
    let plan = make::plan(&m)?;
    make::write_spec_files(&plan)?;
    let regenerate = match fragment_out {
        Some(f) => format!(
            "$(BIN)/pipeline make --manifest {} --out {}",
            make::shell_word(&manifest_path.display().to_string()),
            make::shell_word(&f.display().to_string())
        ),
        None => format!(
            "$(BIN)/pipeline make --manifest {} > /dev/null",
            make::shell_word(&manifest_path.display().to_string())
        ),
    };
    Ok(make::render(&m, &plan, &regenerate))
}
