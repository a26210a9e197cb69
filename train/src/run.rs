//! `train --spec S --train P [--val P] --out DIR`: everything is read and checked
//! before training starts, and the outputs are written only once training is done
//! (each atomically), so bad input never leaves partial output.

use std::path::Path;
use std::time::Instant;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use formats::{DatasetKind, Summary};

use crate::checkpoint::Checkpoint;
use crate::data::Samples;
use crate::error::{fail, Context, Error, ErrorKind, Result};
use crate::fingerprint::Fingerprint;
use crate::fit::{fit, seconds_since, FitOptions, History};
use crate::model::Model;
use crate::spec::{ClassWeight, ModelSpec};

/// Seed stream of `validation_split` (independent of the weight and shuffle streams).
const SPLIT_STREAM: u64 = 0x5350_4c54;

/// A finished run: the model (for tests and tools), its history and summary.
pub struct Trained {
    /// The trained model, with the weights `model.onnx` holds.
    pub model: Model,
    /// One record per epoch, as `history.parquet` holds them.
    pub history: History,
    /// What `summary.json` holds.
    pub summary: Summary,
    /// Where the fit's time went, layer by layer.
    pub profile: crate::profile::Profile,
}

fn load(path: &Path, what: &str) -> Result<Samples> {
    let data = formats::read_any_dataset(path)
        .context(ErrorKind::Data, || format!("cannot read the {what} data {}", path.display()))?;
    Samples::from_dataset(data, &format!("{what} data {}", path.display()))
}

/// Per-class weights: 1 without `class_weight`; `balanced` = n / (k · count_c) over the
/// training rows (scikit-learn's rule); a table by class name, unnamed classes 1.
pub fn class_weights(spec: Option<&ClassWeight>, train: &Samples) -> Result<Vec<f32>> {
    let k = train.classes.len();
    Ok(match spec {
        None => vec![1.0; k],
        Some(ClassWeight::Mode(_)) => {
            let mut counts = vec![0usize; k];
            train.labels.iter().for_each(|&l| counts[l] += 1);
            counts
                .iter()
                .map(
                    |&c| {
                        if c == 0 {
                            1.0
                        } else {
                            (train.len() as f64 / (k as f64 * c as f64)) as f32
                        }
                    },
                )
                .collect()
        }
        Some(ClassWeight::Table(t)) => {
            let mut w = vec![1.0; k];
            for (name, v) in t {
                let Some(i) = train.classes.iter().position(|c| c == name) else {
                    fail!(Data, "class_weight names class {name:?}, which the training data does not have (classes: {})", train.classes.join(", "));
                };
                w[i] = *v as f32;
            }
            w
        }
    })
}

/// The rows `validation_split = fraction` keeps for training and holds out for
/// validation. Keras holds out n − ⌊n(1−f)⌋ rows, the last
/// ones (`SplitMode::Last`); by default we pick them at random with the seed
/// (`SplitMode::Random`), because datasets are often sorted by class.
pub fn split_rows(
    n: usize,
    fraction: f64,
    mode: params::SplitMode,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let n_train = (n as f64 * (1.0 - fraction)).floor() as usize;
    if n_train == 0 || n_train == n {
        fail!(
            Data,
            "validation_split = {fraction} leaves no training or no validation rows out of {n}"
        );
    }
    let mut idx: Vec<usize> = (0..n).collect();
    if mode == params::SplitMode::Random {
        idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ SPLIT_STREAM));
    }
    // Training rows in the data's order; the held-out ones in the order drawn.
    let (mut keep, held) = (idx[..n_train].to_vec(), idx[n_train..].to_vec());
    keep.sort_unstable();
    Ok((keep, held))
}

/// Trains the model of `spec_path` and writes `model.onnx`, `history.parquet`,
/// `summary.json` and `summary.txt` into `out_dir`.
pub fn run(
    spec_path: &Path,
    train_path: &Path,
    val_path: Option<&Path>,
    out_dir: &Path,
    verbose: bool,
) -> Result<Trained> {
    let spec = crate::spec::from_file(spec_path)?;
    train_with_spec(&spec, train_path, val_path, out_dir, verbose)
}

/// [`run`] for a spec already parsed (e.g. a model table of `pipeline.toml`).
pub fn train_with_spec(
    spec: &ModelSpec,
    train_path: &Path,
    val_path: Option<&Path>,
    out_dir: &Path,
    verbose: bool,
) -> Result<Trained> {
    train_from(spec, train_path, val_path, out_dir, &RunOptions { verbose, ..Default::default() })
}

/// The name a training's log lines carry: the run of the pipeline's layout
/// (`out/runs/RUN/model` → `RUN`), else the output folder's name.
pub fn output_name(out_dir: &Path) -> String {
    formats::run_name(out_dir, "model")
}

/// How a run goes, beside its spec and files (the `train` flags of the same names).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// A progress bar and one line per epoch on stderr.
    pub verbose: bool,
    /// Start from the weights of this `model.onnx` (`--init-from`).
    pub init_from: Option<std::path::PathBuf>,
    /// Refuse a model that needs more bytes than this to train (`--max-memory`;
    /// default: the memory available now).
    pub max_memory: Option<u64>,
    /// Start from epoch 1 even if a checkpoint of the same inputs is there (`--fresh`).
    pub fresh: bool,
}

/// [`train_with_spec`] with every option: a warm start from the weights of
/// `init_from` (a `model.onnx` that `train` exported for the same layers), a memory
/// limit, and a fresh start instead of resuming from a checkpoint.
pub fn train_from(
    spec: &ModelSpec,
    train_path: &Path,
    val_path: Option<&Path>,
    out_dir: &Path,
    options: &RunOptions,
) -> Result<Trained> {
    let started = Instant::now();
    let verbose = options.verbose;
    // Read first: a missing or foreign model is refused before any data is loaded.
    let init_bytes = match &options.init_from {
        Some(p) => Some((
            std::fs::read(p).context(ErrorKind::Weights, || {
                format!("cannot read --init-from {}", p.display())
            })?,
            format!("--init-from {}", p.display()),
        )),
        None => None,
    };
    let mut train = load(train_path, "training")?;
    let val = match val_path {
        Some(p) => {
            let v = load(p, "validation")?;
            if v.kind != train.kind || v.shape != train.shape {
                fail!(
                    Data,
                    "validation data {} holds {:?} {:?} but the training data holds {:?} {:?}",
                    p.display(),
                    v.kind,
                    v.shape,
                    train.kind,
                    train.shape
                );
            }
            if v.classes != train.classes {
                fail!(
                    Data,
                    "validation data {} has classes [{}] but the training data has [{}]",
                    p.display(),
                    v.classes.join(", "),
                    train.classes.join(", ")
                );
            }
            Some(v)
        }
        None => match spec.validation_split {
            Some(fraction) => {
                let (keep, held) =
                    split_rows(train.len(), fraction, spec.validation_split_mode, spec.seed)?;
                let v = train.subset(&held);
                train = train.subset(&keep);
                Some(v)
            }
            None => None,
        },
    };
    if let Some(want) = &spec.input_shape {
        if *want != train.shape {
            fail!(
                Data,
                "the spec says input_shape = {want:?} but the training data {} has samples of shape {:?}",
                train_path.display(),
                train.shape
            );
        }
    }
    if let Some(es) = &spec.early_stopping {
        if es.monitor.starts_with("val_") && val.is_none() {
            fail!(Data, "early_stopping monitors {} but there is no validation data (give --val or validation_split)", es.monitor);
        }
    }
    let (limit, limit_name) = match options.max_memory {
        Some(m) => (m, "--max-memory"),
        None => (params::memory::available(), "the memory available"),
    };
    params::memory::estimate(spec, Some(&train.shape)).check(spec, limit, limit_name).map_err(
        |e| match options.max_memory {
            None => Error::new(ErrorKind::Memory, format!("{e} (--max-memory sets another limit)")),
            Some(_) => Error::passed(ErrorKind::Memory, e),
        },
    )?;
    let mut model = Model::build(&spec.layers, train.kind, &train.shape, spec.seed)?;
    model.check_output(spec.loss, train.classes.len())?;
    if let Some((bytes, what)) = &init_bytes {
        model.load_weights(bytes, what)?;
    }
    let opts = FitOptions {
        epochs: spec.epochs,
        batch_size: spec.batch_size,
        seed: spec.seed,
        loss: spec.loss,
        optimizer: spec.optimizer.clone(),
        class_weights: class_weights(spec.class_weight.as_ref(), &train)?,
        early_stopping: spec.early_stopping.clone(),
        shuffle: spec.shuffle,
        verbose,
        line_prefix: if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            String::new()
        } else {
            format!("[{}] ", output_name(out_dir))
        },
    };
    let mut inputs = Fingerprint::default();
    let spec_json = serde_json::to_string(spec).expect("a spec serializes: plain values");
    inputs.bytes(spec_json.as_bytes());
    train.fingerprint(&mut inputs);
    if let Some(v) = &val {
        v.fingerprint(&mut inputs);
    }
    inputs.bytes(init_bytes.as_ref().map_or(&[][..], |(b, _)| b));
    let checkpoint = Checkpoint::for_output(out_dir, inputs.finish())?;
    let resume = if options.fresh { None } else { checkpoint.load() };
    let seconds_before = resume.as_ref().map_or(0.0, |s| s.fit_seconds);
    if let (Some(state), true) = (&resume, verbose) {
        eprintln!(
            "{}Resuming after epoch {} of {} from {}",
            opts.line_prefix,
            state.epochs_done,
            spec.epochs,
            checkpoint.path().display()
        );
    }
    let fit_started = Instant::now();
    let fitted = fit(&mut model, &train, val.as_ref(), &opts, Some(&checkpoint), resume)
        .inspect_err(|_| {
            // A run that fails (a loss turned NaN) would fail again from its checkpoint.
            checkpoint.remove();
        })?;
    let (history, stopping) = (fitted.history, fitted.stopping);
    let profile = model.profile(fit_started.elapsed().as_secs_f64());
    let seconds = seconds_before + seconds_since(started);

    let init_from = options.init_from.as_deref();
    let summary = crate::output::summary(
        spec,
        &model,
        &train.classes,
        (&history, &stopping),
        seconds,
        init_from,
    );
    let mut extra = vec![
        ("spec".to_string(), spec_json),
        ("name".to_string(), spec.name.clone().unwrap_or_else(|| "model".into())),
        (
            "input_kind".to_string(),
            match model.input_kind {
                DatasetKind::Image => "image",
                DatasetKind::Features => "features",
            }
            .to_string(),
        ),
    ];
    if let Some(init) = init_from {
        extra.push(("init_from".to_string(), init.display().to_string()));
    }
    let onnx = crate::export::to_onnx(&model, &train.classes, &extra)?;
    let text = crate::output::summary_text(&summary);
    crate::output::write_run(out_dir, &onnx, &history, &summary, &text)?;
    checkpoint.remove();
    Ok(Trained { model, history, summary, profile })
}

#[cfg(test)]
mod tests {
    use super::*;
    use params::SplitMode;

    #[test]
    fn a_training_is_named_by_its_run_or_its_folder() {
        use std::path::Path;
        assert_eq!(super::output_name(Path::new("out/runs/hog-mlp/model")), "hog-mlp");
        assert_eq!(super::output_name(Path::new("results/cnn-v2")), "cnn-v2");
    }

    #[test]
    fn keras_mode_holds_out_the_last_rows_and_ours_a_seeded_draw() {
        // Keras: n − ⌊n(1−f)⌋ = 10 − ⌊7⌋ = 3 rows, the last ones.
        let (keep, held) = split_rows(10, 0.3, SplitMode::Last, 1).unwrap();
        assert_eq!((keep, held), ((0..7).collect::<Vec<_>>(), vec![7, 8, 9]));
        let (keep, held) = split_rows(10, 0.3, SplitMode::Random, 1).unwrap();
        assert_eq!((keep.len(), held.len()), (7, 3));
        assert_ne!(held, [7, 8, 9], "a seeded draw, not the tail");
        assert_eq!(split_rows(10, 0.3, SplitMode::Random, 1).unwrap().1, held, "seeded");
        let mut all: Vec<usize> = keep.iter().chain(&held).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert!(split_rows(3, 0.9, SplitMode::Last, 1).is_err(), "no training row");
    }
}
