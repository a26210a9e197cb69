//! Finding and loading ONNX Runtime (`libonnxruntime.so`) for `ort`'s `load-dynamic`.
//!
//! Looked for, in order:
//! 1. `ORT_DYLIB_PATH` (a file);
//! 2. the project's own install, `.venv/lib/python3*/site-packages/onnxruntime/capi/libonnxruntime.so*`
//!    (made by `scripts/setup/setup.sh`, i.e. `pip install onnxruntime==1.31.1`), searched upwards
//!    from the running executable, from the current directory, and in the workspace
//!    this binary was built from.
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

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use onnx::{INPUT_NAME, OUTPUT_NAME};

pub use error::{Error, ErrorKind, Result};

/// The oldest minor version `ort` 2.0.0-rc.15 (API 31) accepts.
pub const ORT_MIN_MINOR: u32 = 31;

const INSTALL_HINT: &str = "run `scripts/setup/setup.sh` (it does `pip install onnxruntime==1.31.1` into .venv) or set ORT_DYLIB_PATH to a libonnxruntime.so of version 1.31 or newer";

/// Candidate library paths, best first, and a description of where we looked.
pub fn candidates() -> (Vec<PathBuf>, String) {
    let mut found = Vec::new();
    let mut looked = Vec::new();
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        looked.push(format!("ORT_DYLIB_PATH={}", Path::new(&p).display()));
        found.push(PathBuf::from(p));
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        roots.extend(exe.ancestors().skip(1).map(Path::to_path_buf));
    }
    if let Ok(cwd) = std::env::current_dir() {
        roots.extend(cwd.ancestors().map(Path::to_path_buf));
    }
    roots.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    for root in roots {
        let venv = root.join(".venv");
        if let Some(lib) = venv_library(&venv) {
            if !found.contains(&lib) {
                found.push(lib);
            }
        }
    }
    looked.push(".venv/lib/python3*/site-packages/onnxruntime/capi/ above the executable and the current directory".into());
    (found, looked.join(" and "))
}

/// The newest `libonnxruntime.so*` of the onnxruntime wheel in `venv`, if installed.
fn venv_library(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    for py in lib.flatten() {
        let capi = py.path().join("site-packages/onnxruntime/capi");
        let Ok(entries) = std::fs::read_dir(&capi) else { continue };
        let mut libs: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so"))
            })
            .collect();
        libs.sort();
        if let Some(l) = libs.pop() {
            return Some(l);
        }
    }
    None
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
    let Some(path) = candidates.into_iter().find(|p| p.is_file()) else {
        return Err(Error::new(
            ErrorKind::NotFound,
            None,
            format!("ONNX Runtime was not found (looked in {looked}); {INSTALL_HINT}"),
        ));
    };
    let builder = ort::init_from(&path).map_err(|e| match e {
        ort::LoadDynamicError::BadVersion { version_str, .. } => Error::new(
            ErrorKind::TooOld,
            Some(&path),
            format!(
                "ONNX Runtime at {} is version {version_str}, older than the 1.{ORT_MIN_MINOR} this build needs; {INSTALL_HINT}",
                path.display()
            ),
        ),
        other => Error::new(
            ErrorKind::Load,
            Some(&path),
            format!("cannot load ONNX Runtime from {}: {other}; {INSTALL_HINT}", path.display()),
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
