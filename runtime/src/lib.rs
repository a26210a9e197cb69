//! Finding and loading ONNX Runtime for `ort`'s `load-dynamic`.
//!
//! Looked for, in order ([`locate`]):
//! 1. `ORT_DYLIB_PATH` (a file);
//! 2. the project's own install, `.venv/lib/python3*/site-packages/onnxruntime/capi/`
//!    (made by `scripts/setup/setup.sh`, i.e. `pip install onnxruntime==1.31.1`), in the
//!    running executable's directory or above it, then in the current directory or above
//!    it. The file is the wheel's: `libonnxruntime.so*` on Linux, `libonnxruntime*.dylib`
//!    on macOS, `onnxruntime.dll` (under `.venv\Lib\site-packages`) on Windows.
//!
//! A missing or too old library is one sentence saying what was looked for and how to
//! install it; `ort` itself is only initialised after its version was checked, so it
//! never panics on a mismatch.
//!
//! [`run_model`] runs a serialized model once, for tests and tools (`evaluate` keeps
//! its own session for batches).
//!
//! Where the library is looked for, and what a missing one says (this runs with or
//! without ONNX Runtime installed):
//!
//! ```
//! let (found, looked) = runtime::candidates();
//! assert!(looked.contains(".venv/lib/python3*/site-packages/onnxruntime/capi/"));
//! match runtime::library_path() {
//!     // The library is the first existing candidate (after set-up: the `.venv` one).
//!     Ok(path) => assert_eq!(Some(&path), found.iter().find(|p| p.is_file())),
//!     // Before set-up: one sentence that says how to install it.
//!     Err(e) => assert!(e.to_string().contains("scripts/setup/setup.sh"), "{e}"),
//! }
//! ```
//!
//! Running a model (needs ONNX Runtime, so compiled here but run by the tests of
//! `onnx`, which use this crate):
//!
//! ```no_run
//! use onnx::{Activation, GraphBuilder};
//! use runtime::{run_model, InputTensor};
//!
//! // Dense(1) + sigmoid on two features: p = sigmoid(x0 − x1), batch of two rows.
//! let mut b = GraphBuilder::feature_input(2);
//! b.dense(&[1.0, -1.0], &[0.0], 2, 1);
//! b.activation(Activation::Sigmoid);
//! let model = b.finish(&["no".into(), "yes".into()], &[]).unwrap();
//! let input = InputTensor::F32 { shape: &[2, 2], data: &[3.0, 3.0, 2.0, 0.0] };
//! let (shape, p) = run_model(&model, input).unwrap();
//! assert_eq!(shape, [2, 1]);
//! assert_eq!(p[0], 0.5);
//! assert!((p[1] - 1.0 / (1.0 + (-2.0f32).exp())).abs() < 1e-6);
//! ```

#![warn(missing_docs)]

mod error;
pub mod locate;

use std::path::PathBuf;
use std::sync::OnceLock;

use onnx::{INPUT_NAME, OUTPUT_NAME};

pub use error::{Error, ErrorKind, Result};
pub use locate::Os;

/// The oldest minor version `ort` 2.0.0-rc.15 (API 31) accepts.
pub const ORT_MIN_MINOR: u32 = 31;

/// Candidate library paths, best first, and a description of where they were looked
/// for ([`locate`]: `ORT_DYLIB_PATH`, then a `.venv` at or above the executable's
/// directory, then at or above the current directory).
pub fn candidates() -> (Vec<PathBuf>, String) {
    let env_path = std::env::var_os("ORT_DYLIB_PATH").map(PathBuf::from);
    let exe = std::env::current_exe().ok();
    let cwd = std::env::current_dir().ok();
    locate::candidates_from(Os::CURRENT, env_path.as_deref(), exe.as_deref(), cwd.as_deref())
}

/// The library loaded once per process, or why it could not be.
static ENVIRONMENT: OnceLock<Result<(ort::environment::Environment, PathBuf)>> = OnceLock::new();

/// The process-wide ONNX Runtime environment, loading the library on first use.
pub fn environment() -> Result<ort::environment::Environment> {
    Ok(loaded()?.0)
}

/// Where the loaded library came from.
pub fn library_path() -> Result<PathBuf> {
    Ok(loaded()?.1)
}

fn loaded() -> Result<(ort::environment::Environment, PathBuf)> {
    ENVIRONMENT.get_or_init(load).clone()
}

fn load() -> Result<(ort::environment::Environment, PathBuf)> {
    let (candidates, looked) = candidates();
    let hint = Os::CURRENT.install_hint();
    let Some(path) = candidates.into_iter().find(|p| p.is_file()) else {
        return Err(Error::new(
            ErrorKind::NotFound,
            None,
            format!(
                "ONNX Runtime ({}) was not found (looked in {looked}); {hint}",
                Os::CURRENT.library_pattern()
            ),
        ));
    };
    let builder = ort::init_from(&path).map_err(|e| match e {
        ort::LoadDynamicError::BadVersion { version_str, .. } => Error::new(
            ErrorKind::TooOld,
            Some(&path),
            format!(
                "ONNX Runtime at {} is version {version_str}, older than the 1.{ORT_MIN_MINOR} this build needs; {hint}",
                path.display()
            ),
        ),
        other => Error::new(
            ErrorKind::Load,
            Some(&path),
            format!("cannot load ONNX Runtime from {}: {other}; {hint}", path.display()),
        ),
    })?;
    let env = builder.with_name("lab-pipeline").build().map_err(|e| {
        Error::new(
            ErrorKind::Start,
            Some(&path),
            format!("cannot start ONNX Runtime from {}: {e}", path.display()),
        )
    })?;
    // ONNX Runtime would print its own (coloured) line for an error it also returns to
    // us; we say it once, in our one `error:` line.
    env.set_log_level(ort::logging::LogLevel::Fatal);
    Ok((env, path))
}

/// One input tensor for [`run_model`]: its shape (batch first) and values.
#[derive(Debug, Clone, Copy)]
pub enum InputTensor<'a> {
    /// Image bytes, for a model with a uint8 input.
    U8 {
        /// Batch first, then the model's per-row dimensions.
        shape: &'a [usize],
        /// The values, row-major.
        data: &'a [u8],
    },
    /// Pixels or features, for a model with a float32 input.
    F32 {
        /// Batch first, then the model's per-row dimensions.
        shape: &'a [usize],
        /// The values, row-major.
        data: &'a [f32],
    },
}

/// Runs a serialized model once through ONNX Runtime (one intra-op thread) and returns
/// the shape and values of its output `probabilities`. For tests and tools; `evaluate`
/// keeps its own session for batches.
pub fn run_model(model: &[u8], input: InputTensor<'_>) -> Result<(Vec<usize>, Vec<f32>)> {
    use ort::session::Session;
    use ort::value::Tensor;
    fn fail<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> Error + '_ {
        move |e| Error::new(ErrorKind::Run, None, format!("{what}: {e}"))
    }
    let env = environment()?;
    let mut session = Session::builder(&env)
        .map_err(fail("cannot create an ONNX Runtime session"))?
        .with_intra_threads(1)
        .map_err(fail("cannot configure the ONNX Runtime session"))?
        .commit_from_memory(model)
        .map_err(fail("ONNX Runtime rejects the model"))?;
    let value = match input {
        InputTensor::U8 { shape, data } => {
            Tensor::from_array((shape.to_vec(), data.to_vec())).map(|t| t.into_dyn())
        }
        InputTensor::F32 { shape, data } => {
            Tensor::from_array((shape.to_vec(), data.to_vec())).map(|t| t.into_dyn())
        }
    }
    .map_err(fail("cannot make the input tensor"))?;
    let outputs = session
        .run(ort::inputs![INPUT_NAME => value])
        .map_err(fail("ONNX Runtime failed to run the model"))?;
    let output = outputs.get(OUTPUT_NAME).ok_or_else(|| {
        Error::new(ErrorKind::Run, None, format!("the model has no output named `{OUTPUT_NAME}`"))
    })?;
    let (shape, values) =
        output.try_extract_tensor::<f32>().map_err(fail("cannot read the model's output"))?;
    Ok((shape.iter().map(|&d| d as usize).collect(), values.to_vec()))
}
