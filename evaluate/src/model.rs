//! Running any ONNX classifier through ONNX Runtime: matching the model's input to
//! the dataset's columns and finding its class-score output.
//!
//! Input rules (one model input):
//! * `uint8` input ← the image bytes (`image` column), shape `[N, …]` from the model;
//! * `float32` input of H·W·C values per row ← the pixels × `scale` (default 1/255);
//! * `float32` input of D values per row ← a feature dataset's `features`.
//!
//! Output rules: `--output NAME`, else the output named `probabilities`, else the
//! first `float32` output of rank 2 (`[N, C]`). A single column is a sigmoid
//! P(class 1) and becomes the two scores `[1 − p, p]`.

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{TensorElementType, ValueType};

mod batches;
mod rows;

use crate::error::{fail, Context, Error, ErrorKind, Result};

use rows::{describe as describe_rows, row_dims};
pub use rows::{Feed, RowShape};

/// The most ONNX Runtime threads (`--threads`): far more than any machine's cores,
/// and few enough that starting them cannot exhaust the process's threads or memory.
pub const MAX_THREADS: usize = 1024;

/// Checks `--threads`: 1..=[`MAX_THREADS`].
pub fn check_threads(threads: usize) -> Result<()> {
    if !(1..=MAX_THREADS).contains(&threads) {
        fail!(Parameter, "--threads must be 1..={MAX_THREADS}, got {threads}");
    }
    Ok(())
}

/// Checks `--sessions`: 1..=[`MAX_SESSIONS`].
pub fn check_sessions(sessions: usize) -> Result<()> {
    if !(1..=MAX_SESSIONS).contains(&sessions) {
        fail!(Parameter, "--sessions must be 1..={MAX_SESSIONS}, got {sessions}");
    }
    Ok(())
}

/// An ONNX Runtime message on one line: its lines joined with "; " (with a space
/// after a line ending in `:`). It may hold a stack of causes, one per line.
pub fn one_line(message: &impl std::fmt::Display) -> String {
    let text = message.to_string();
    let mut joined = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !joined.is_empty() {
            joined.push_str(if joined.ends_with(':') { " " } else { "; " });
        }
        joined.push_str(line);
    }
    joined
}

/// Options of [`Classifier::open`].
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// Multiplier for pixels fed to a float input (default 1/255).
    pub scale: Option<f32>,
    /// The class-score output to use, overriding the default choice.
    pub output: Option<String>,
    /// ONNX Runtime threads in all, 1..=[`MAX_THREADS`] (default: `RAYON_NUM_THREADS`
    /// if set, else all cores, at most [`MAX_THREADS`]).
    pub threads: Option<usize>,
    /// ONNX Runtime sessions scoring different batches at once, 1..=[`MAX_SESSIONS`],
    /// sharing the threads (default 1; never more than the threads).
    pub sessions: Option<usize>,
}

/// The most sessions (`--sessions`): each holds a copy of the model.
pub const MAX_SESSIONS: usize = 64;

/// An ONNX classifier matched to a dataset.
pub struct Classifier {
    /// The model file.
    pub path: PathBuf,
    /// One or more sessions of the model, each scoring its own batches
    /// (`ModelOptions::sessions`).
    sessions: Vec<Session>,
    /// The name of the model's one input.
    pub input_name: String,
    /// The model's declared input shape, `-1` for dynamic dimensions.
    pub input_shape: Vec<i64>,
    /// The model's input element type, by its ONNX name.
    pub input_type: String,
    /// The per-row shape fed (the model's dims after the batch dimension, dynamic
    /// ones filled in from the dataset).
    feed_dims: Vec<i64>,
    /// How the rows become the input tensor.
    pub feed: Feed,
    /// The output holding the class scores.
    pub output_name: String,
    /// Its declared shape, `-1` for dynamic dimensions.
    pub output_shape: Vec<i64>,
    /// Class names from the model's `metadata_props` `classes`, if any.
    pub model_classes: Option<Vec<String>>,
    /// ONNX Runtime threads in use, over all sessions.
    pub threads: usize,
}

/// Class scores for every row, in dataset order.
#[derive(Debug, Clone)]
pub struct Scores {
    /// The dataset's label of each row.
    pub labels: Vec<i32>,
    /// Row-major, `classes` values per row, as the model produced them
    /// (a single sigmoid column expanded to `[1 − p, p]`).
    pub scores: Vec<f32>,
    /// Classes per row (2 for a sigmoid column).
    pub classes: usize,
    /// Whether the model gave one sigmoid column.
    pub sigmoid: bool,
    /// Seconds spent inside ONNX Runtime.
    pub seconds: f64,
}

fn dims(shape: &[i64]) -> String {
    // The batch dimension reads N; other dynamic dimensions read ?.
    let d: Vec<String> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| match (i, d < 0) {
            (0, true) => "N".into(),
            (_, true) => "?".into(),
            _ => d.to_string(),
        })
        .collect();
    format!("[{}]", d.join(","))
}

/// ONNX's name of an element type (`float32`, `uint8`, `int64`, …).
fn type_name(t: TensorElementType) -> String {
    match t {
        TensorElementType::Float32 => "float32".into(),
        TensorElementType::Float64 => "float64".into(),
        TensorElementType::Float16 => "float16".into(),
        TensorElementType::Uint8 => "uint8".into(),
        TensorElementType::Int8 => "int8".into(),
        TensorElementType::Int32 => "int32".into(),
        TensorElementType::Int64 => "int64".into(),
        TensorElementType::String => "string".into(),
        TensorElementType::Bool => "bool".into(),
        other => other.to_string(),
    }
}

fn describe_type(t: &ValueType) -> String {
    match t {
        ValueType::Tensor { ty, shape, .. } => format!("{} {}", type_name(*ty), dims(shape)),
        ValueType::Sequence(inner) => format!("a sequence of {}", describe_type(inner)),
        ValueType::Map { key, value } => format!("a map {}→{}", type_name(*key), type_name(*value)),
        ValueType::Optional(inner) => format!("optional {}", describe_type(inner)),
    }
}

/// A session of the model at `path` with `threads` intra-op threads.
fn new_session(
    env: &ort::environment::Environment,
    path: &Path,
    threads: usize,
) -> Result<Session> {
    Session::builder(env)
        .map_err(|e| {
            Error::new(
                ErrorKind::Runtime,
                format!("cannot start an ONNX Runtime session: {}", one_line(&e)),
            )
        })?
        .with_intra_threads(threads)
        .map_err(|e| {
            Error::new(
                ErrorKind::Runtime,
                format!("cannot set ONNX Runtime threads: {}", one_line(&e)),
            )
        })?
        .commit_from_file(path)
        .map_err(|e| {
            Error::new(
                ErrorKind::Model,
                format!(
                    "model {} cannot be loaded by ONNX Runtime: {}",
                    path.display(),
                    one_line(&e)
                ),
            )
        })
}

impl Classifier {
    /// Loads the model and matches its input to `rows` and its output to class scores.
    pub fn open(path: &Path, rows: &RowShape, dataset: &str, opts: &ModelOptions) -> Result<Self> {
        let env = runtime::environment()?;
        if !path.is_file() {
            fail!(Model, "model {} does not exist", path.display());
        }
        if let Some(n) = opts.threads {
            check_threads(n)?;
        }
        // A scheduler that gives the stage fewer CPUs says so in RAYON_NUM_THREADS
        // (pipeline/ray/ray_run.py does), as for the other stages' thread pools; it is a
        // hint, so it is kept within MAX_THREADS rather than refused.
        let from_env = std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok());
        let threads = opts
            .threads
            .or(from_env.filter(|&n: &usize| n > 0))
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .min(MAX_THREADS);
        if let Some(n) = opts.sessions {
            check_sessions(n)?;
        }
        let count = opts.sessions.unwrap_or(1).min(threads);
        let sessions = (0..count)
            .map(|k| new_session(&env, path, threads / count + usize::from(k < threads % count)))
            .collect::<Result<Vec<_>>>()?;
        let session = &sessions[0];
        let model = path.display().to_string();

        // ---- input ----
        let inputs = session.inputs();
        if inputs.len() != 1 {
            let names: Vec<&str> = inputs.iter().map(|i| i.name()).collect();
            fail!(Mismatch,
                "model {model} has {} inputs ({}) but evaluate feeds exactly one (the dataset's rows)",
                inputs.len(),
                names.join(", ")
            );
        }
        let input = &inputs[0];
        let input_name = input.name().to_string();
        let (in_ty, input_shape) = match input.dtype() {
            ValueType::Tensor { ty, shape, .. } => (*ty, shape.to_vec()),
            other => fail!(
                Mismatch,
                "model {model} input `{input_name}` is {}, not a tensor",
                describe_type(other)
            ),
        };
        let feed = match (in_ty, rows) {
            (TensorElementType::Uint8, RowShape::Image { .. }) => Feed::ImageBytes,
            (TensorElementType::Uint8, RowShape::Features { .. }) => fail!(Mismatch,
                "model {model} input `{input_name}` is uint8 {} (image bytes) but dataset {dataset} holds {}",
                dims(&input_shape),
                describe_rows(rows)
            ),
            (TensorElementType::Float32, RowShape::Image { .. }) => {
                Feed::ImageScaled { scale: opts.scale.unwrap_or(1.0 / 255.0) }
            }
            (TensorElementType::Float32, RowShape::Features { .. }) => Feed::Features,
            (other, _) => fail!(Mismatch,
                "model {model} input `{input_name}` is {} {}; evaluate feeds uint8 image bytes or float32 values",
                type_name(other),
                dims(&input_shape)
            ),
        };
        if input_shape.is_empty() {
            fail!(
                Mismatch,
                "model {model} input `{input_name}` is a scalar; expected a batch of rows [N, …]"
            );
        }
        let feed_dims = row_dims(&input_shape[1..], rows).context(ErrorKind::Mismatch, || {
            format!(
                "model {model} expects input `{input_name}` of {} {} but dataset {dataset} holds {}",
                type_name(in_ty),
                dims(&input_shape),
                describe_rows(rows)
            )
        })?;

        // ---- output ----
        let outputs = session.outputs();
        let is_scores = |t: &ValueType| matches!(t, ValueType::Tensor { ty: TensorElementType::Float32, shape, .. } if shape.len() == 2);
        let chosen = match &opts.output {
            Some(name) => outputs.iter().find(|o| o.name() == name).context(ErrorKind::Mismatch, || {
                let names: Vec<&str> = outputs.iter().map(|o| o.name()).collect();
                format!("model {model} has no output `{name}` (--output); its outputs are {}", names.join(", "))
            })?,
            None => outputs
                .iter()
                .find(|o| o.name() == "probabilities" && is_scores(o.dtype()))
                .or_else(|| outputs.iter().find(|o| is_scores(o.dtype())))
                .context(ErrorKind::Mismatch, || {
                    let list: Vec<String> =
                        outputs.iter().map(|o| format!("`{}` {}", o.name(), describe_type(o.dtype()))).collect();
                    format!(
                        "model {model} has no float32 [N, C] class-score output (outputs: {}); a scikit-learn export needs options={{'zipmap': False}}",
                        list.join(", ")
                    )
                })?,
        };
        if !is_scores(chosen.dtype()) {
            fail!(
                Mismatch,
                "model {model} output `{}` is {}, expected float32 [N, C] class scores",
                chosen.name(),
                describe_type(chosen.dtype())
            );
        }
        let output_name = chosen.name().to_string();
        let output_shape = chosen.dtype().tensor_shape().unwrap().to_vec();

        let model_classes = match session.metadata().ok().and_then(|m| m.custom("classes")) {
            Some(json) => Some(serde_json::from_str::<Vec<String>>(&json).context(
                ErrorKind::Model,
                || {
                    format!(
                        "model {model}: metadata `classes` is not a JSON list of names: {}",
                        one_line(&json)
                    )
                },
            )?),
            None => None,
        };
        Ok(Self {
            path: path.to_path_buf(),
            sessions,
            input_name,
            input_type: type_name(in_ty),
            input_shape,
            feed_dims,
            feed,
            output_name,
            output_shape,
            model_classes,
            threads,
        })
    }

    /// The input as one phrase: "`input` uint8 [N,28,28,1] ← image bytes (uint8)".
    pub fn describe_input(&self) -> String {
        format!(
            "`{}` {} {} ← {}",
            self.input_name,
            self.input_type,
            dims(&self.input_shape),
            self.feed.describe()
        )
    }

    /// The output as one phrase: "`probabilities` float32 [N,10]".
    pub fn describe_output(&self) -> String {
        format!("`{}` float32 {}", self.output_name, dims(&self.output_shape))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_messages_are_joined_on_one_line() {
        let message =
            "Load model failed:\n  Node (r) Op (Reshape) [ShapeInferenceError]\n\n  bad dims  \n";
        assert_eq!(
            one_line(&message),
            "Load model failed: Node (r) Op (Reshape) [ShapeInferenceError]; bad dims"
        );
        assert_eq!(one_line(&"one line"), "one line");
        assert!(check_threads(1024).is_ok() && check_threads(1025).is_err());
        assert!(check_threads(0).is_err());
    }

    #[test]
    fn row_dims_fill_and_check() {
        let img = RowShape::Image { height: 28, width: 28, channels: 1 };
        assert_eq!(row_dims(&[28, 28, 1], &img).unwrap(), vec![28, 28, 1]);
        assert_eq!(row_dims(&[784], &img).unwrap(), vec![784]);
        assert_eq!(row_dims(&[-1, -1, 1], &img).unwrap(), vec![28, 28, 1]);
        assert_eq!(row_dims(&[-1], &img).unwrap(), vec![784]);
        assert!(row_dims(&[100], &img).is_err());
        assert!(row_dims(&[32, 32, 3], &img).is_err());
        assert_eq!(row_dims(&[-1], &RowShape::Features { dim: 81 }).unwrap(), vec![81]);
    }
}
