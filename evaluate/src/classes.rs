//! Which class names an evaluation uses, and how the dataset's labels map onto the
//! model's classes (by index, or by name with `--labels-from-model`).

use crate::error::{fail, Context, ErrorKind, Result};

/// Class names, and (with `--labels-from-model`) the map dataset label → model index.
pub(crate) fn class_names(
    dataset_classes: &[String],
    model_classes: Option<&[String]>,
    c: usize,
    labels_from_model: bool,
    model: &str,
    dataset: &str,
    output: &str,
) -> Result<(Vec<String>, Option<Vec<i32>>)> {
    if labels_from_model {
        let Some(mc) = model_classes else {
            fail!(Mismatch, "--labels-from-model: model {model} has no `classes` in its metadata to match dataset {dataset}'s labels against");
        };
        if mc.len() != c {
            fail!(
                Mismatch,
                "model {model} names {} classes in its metadata but its output {output} scores {c}",
                mc.len()
            );
        }
        if dataset_classes.is_empty() {
            fail!(
                Mismatch,
                "--labels-from-model: dataset {dataset} has no `classes` metadata to match by name"
            );
        }
        let map = dataset_classes
            .iter()
            .map(|name| {
                mc.iter().position(|m| m == name).map(|i| i as i32).context(ErrorKind::Mismatch, || {
                    format!("dataset {dataset} class `{name}` is not among model {model}'s classes ({})", mc.join(", "))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok((mc.to_vec(), Some(map)));
    }
    if !dataset_classes.is_empty() {
        if dataset_classes.len() != c {
            fail!(Mismatch,
                "model {model} output {output} scores {c} classes but dataset {dataset} names {} ({})",
                dataset_classes.len(),
                dataset_classes.join(", ")
            );
        }
        if let Some(mc) = model_classes {
            if mc != dataset_classes {
                eprintln!(
                    "warning: model {model} names its classes {} but dataset {dataset} names them {}; labels are matched by index (use --labels-from-model to match by name)",
                    mc.join(", "),
                    dataset_classes.join(", ")
                );
            }
        }
        return Ok((dataset_classes.to_vec(), None));
    }
    if let Some(mc) = model_classes.filter(|mc| mc.len() == c) {
        return Ok((mc.to_vec(), None));
    }
    Ok(((0..c).map(|k| k.to_string()).collect(), None))
}
