//! A stage made by a program of the user's instead of one of ours: a feature set
//! (`method = "command"`, e.g. a scikit-image script, in place of `features`) or a
//! dataset (`kind = "command"`, e.g. a download or a conversion, in place of `ingest`).
//! It is run once per split, like the stage it replaces, and must write what that
//! stage writes (`docs/formats.md`).
//!
//! ```
//! use manifest::StageCommand;
//! use std::path::Path;
//!
//! let c = StageCommand {
//!     command: ["python3", "tools/hog.py", "{in}", "{out}"].map(String::from).to_vec(),
//!     inputs: vec!["tools/hog.py".into()],
//! };
//! c.check(true).unwrap();
//! let argv = c.argv(Some(Path::new("out/data/mnist/test.parquet")), Path::new("out/features/h/test.parquet"), "test");
//! assert_eq!(argv[2..], ["out/data/mnist/test.parquet", "out/features/h/test.parquet"]);
//! ```

use std::path::{Path, PathBuf};

use params::ParamError;
use serde::{Deserialize, Serialize};

/// The `command` and `inputs` keys of a table made by the user's program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageCommand {
    /// The program and its arguments, as a list (no shell): `{in}` becomes the split's
    /// dataset file or directory of parts (a feature set's only), `{out}` the file to
    /// write, and `{split}` the split's name. `{out}` is required, and `{in}` for a
    /// feature set.
    pub command: Vec<String>,
    /// Files the command reads besides its input, such as its script: a change to one
    /// re-runs the command (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<PathBuf>,
}

impl StageCommand {
    /// A program is named, and the command writes `{out}`; with `reads_input` (a feature
    /// set) it reads `{in}`, without (a dataset) it has no `{in}` to read.
    pub fn check(&self, reads_input: bool) -> Result<(), ParamError> {
        if self.command.first().is_none_or(|program| program.is_empty()) {
            return Err(ParamError::new(
                "command",
                "expected a program and its arguments, e.g. [\"python3\", \"hog.py\", \"{in}\", \"{out}\"]",
            ));
        }
        let has = |placeholder: &str| self.command.iter().any(|word| word.contains(placeholder));
        let needed: &[&str] = if reads_input { &["{in}", "{out}"] } else { &["{out}"] };
        if let Some(missing) = needed.iter().find(|p| !has(p)) {
            return Err(ParamError::new(
                "command",
                format!(
                    "the command must name the file it writes with {{out}}{}; it has no {missing}",
                    if reads_input { " and its input with {in}" } else { "" }
                ),
            ));
        }
        if !reads_input && has("{in}") {
            return Err(ParamError::new(
                "command",
                "a dataset's command has no input to read: {in} is for a feature set's command",
            ));
        }
        Ok(())
    }

    /// The command for one split: the placeholders replaced.
    pub fn argv(&self, input: Option<&Path>, output: &Path, split: &str) -> Vec<String> {
        let input = input.map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        let output = output.to_string_lossy();
        self.command
            .iter()
            .map(|word| {
                word.replace("{in}", &input).replace("{out}", &output).replace("{split}", split)
            })
            .collect()
    }
}

/// A `[datasets.X]` table with `kind = "command"`: the splits the command writes, one
/// run of it each.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandDatasetTable {
    /// The program and its arguments ([`StageCommand::command`]).
    pub command: Vec<String>,
    /// Files it reads ([`StageCommand::inputs`]).
    #[serde(default)]
    pub inputs: Vec<PathBuf>,
    /// The splits, each written by one run of the command with its `{split}`.
    pub splits: Vec<String>,
}
