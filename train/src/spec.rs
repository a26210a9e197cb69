//! Reading a model spec file. The spec's types, defaults and checks are the `params`
//! crate's, shared with the pipeline manifest (see docs/train.md for the format).

use std::path::Path;

use crate::error::{Context, Error, ErrorKind, Result};

pub use params::{ClassWeight, EarlyStopping, LayerSpec, ModelSpec};

/// Reads and checks the spec file at `path`; its name defaults to the file's stem.
pub fn from_file(path: &Path) -> Result<ModelSpec> {
    let text = std::fs::read_to_string(path)
        .context(ErrorKind::Spec, || format!("cannot read model spec {}", path.display()))?;
    let mut spec = ModelSpec::from_toml_str(&text).map_err(|e| {
        let message = match e.key.as_str() {
            "" => format!("{} is not a valid model spec: {e}", path.display()),
            key => format!("{} is not a valid model spec: {key}: {e}", path.display()),
        };
        Error::new(ErrorKind::Spec, message)
    })?;
    if spec.name.is_none() {
        spec.name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    }
    Ok(spec)
}
