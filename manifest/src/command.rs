//! `method = "command"`: a feature set made by a program of the user's instead of the
//! `features` stage, e.g. a scikit-image script. It is run once per split, like the
//! stage it replaces, and must write what `features` writes (`docs/formats.md`).
//!
//! ```
//! use manifest::CommandFeatures;
//! use std::path::Path;
//!
//! let c = CommandFeatures {
//!     command: ["python3", "tools/hog.py", "{in}", "{out}"].map(String::from).to_vec(),
//!     inputs: vec!["tools/hog.py".into()],
//! };
//! c.check().unwrap();
//! let argv = c.argv(Path::new("out/data/mnist/test.parquet"), Path::new("out/features/h/test.parquet"), "test");
//! assert_eq!(argv[2..], ["out/data/mnist/test.parquet", "out/features/h/test.parquet"]);
//! ```

use std::path::{Path, PathBuf};

use params::ParamError;
use serde::{Deserialize, Serialize};

/// A `[features.X]` table with `method = "command"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandFeatures {
    /// The program and its arguments, as a list (no shell): `{in}` becomes the split's
    /// dataset file (or directory of parts), `{out}` the feature file to write, and
    /// `{split}` the split's name. `{in}` and `{out}` are required.
    pub command: Vec<String>,
    /// Files the command reads besides its input, such as its script: a change to one
    /// re-runs the command (default none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<PathBuf>,
}

impl CommandFeatures {
    /// The placeholders a command word may hold.
    pub const PLACEHOLDERS: [&'static str; 3] = ["{in}", "{out}", "{split}"];

    /// A program is named, and the command reads `{in}` and writes `{out}`.
    pub fn check(&self) -> Result<(), ParamError> {
        if self.command.first().is_none_or(|program| program.is_empty()) {
            return Err(ParamError::new(
                "command",
                "expected a program and its arguments, e.g. [\"python3\", \"hog.py\", \"{in}\", \"{out}\"]",
            ));
        }
        for needed in ["{in}", "{out}"] {
            if !self.command.iter().any(|word| word.contains(needed)) {
                return Err(ParamError::new(
                    "command",
                    format!("the command must name its input and output with {{in}} and {{out}}; it has no {needed}"),
                ));
            }
        }
        Ok(())
    }

    /// The command for one split: the placeholders replaced.
    pub fn argv(&self, input: &Path, output: &Path, split: &str) -> Vec<String> {
        let (input, output) = (input.to_string_lossy(), output.to_string_lossy());
        self.command
            .iter()
            .map(|word| {
                word.replace("{in}", &input).replace("{out}", &output).replace("{split}", split)
            })
            .collect()
    }
}
