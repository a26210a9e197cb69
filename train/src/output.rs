//! What `train` leaves in its output directory (docs/formats.md): `history.parquet`
//! (and the same as `history.csv`), `summary.json`, `summary.txt` (and `model.onnx`, see
//! `export.rs`). Every file is written atomically, as one set.

use std::path::Path;

use formats::summary::{FinalEpoch, Input, LayerRow, LossSummary, NetworkRun};
use formats::{DatasetKind, History, Summary};

use crate::early_stopping::Stopping;
use crate::error::{Context, ErrorKind, Result};
use crate::layers::thousands;
use crate::model::Model;
use crate::spec::ModelSpec;

/// Every file a training run writes: the set that replaces the previous one.
pub const OUTPUTS: &[&str] =
    &["model.onnx", "history.parquet", "history.csv", "summary.json", "summary.txt"];

/// Writes a run's files into `out_dir` as one set ([`formats::OutputSet`]): a reader,
/// or a kill at any moment, finds the old model with its old history, or the new with
/// the new, never a mix; a failure half-way (a full disk) leaves the old set.
pub fn write_run(
    out_dir: &std::path::Path,
    onnx: &[u8],
    history: &History,
    summary: &Summary,
    summary_text: &str,
) -> Result<()> {
    let set = formats::OutputSet::new(out_dir, OUTPUTS)?;
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(set.path(name), bytes)
            .context(ErrorKind::Output, || format!("cannot write {}", set.path(name).display()))
    };
    write("model.onnx", onnx)?;
    history.write(&set.path("history.parquet"))?;
    write("history.csv", history.to_csv().as_bytes())?;
    write("summary.json", summary.to_json_pretty().as_bytes())?;
    write("summary.txt", summary_text.as_bytes())?;
    set.commit()?;
    Ok(())
}

/// Per-layer rows of the summary: Keras-style names (`dense_1`, ...), output shapes with a
/// `null` batch axis, weight counts and their formulas.
fn layer_rows(model: &Model) -> Vec<LayerRow> {
    (model.layers.iter().zip(&model.names))
        .map(|(l, name)| LayerRow {
            name: name.clone(),
            type_name: l.type_name().to_string(),
            output_shape: [None]
                .into_iter()
                .chain(l.output_shape().into_iter().map(Some))
                .collect(),
            params: l.param_count(),
            formula: l.formula(),
            config: Some(l.config()),
            activation: l.activation().map(|a| a.name().to_string()),
        })
        .collect()
}

/// The content of `summary.json`.
pub fn summary(
    spec: &ModelSpec,
    model: &Model,
    classes: &[String],
    (history, stopping): (&History, &Stopping),
    seconds: f64,
    init_from: Option<&Path>,
) -> Summary {
    let last = history.epochs.last();
    // After restore-best-weights the model is the best epoch's; report that epoch as final.
    let final_record = if stopping.restored_best {
        stopping.best_epoch.and_then(|b| history.epochs.iter().find(|r| r.epoch == b)).or(last)
    } else {
        last
    };
    Summary {
        name: spec.name.clone().unwrap_or_else(|| "model".into()),
        input: Input {
            kind: model.input_kind,
            shape: model.input_shape.clone(),
            scaling: Some(
                match model.input_kind {
                    DatasetKind::Image => "uint8 / 255 inside the model",
                    DatasetKind::Features => "none",
                }
                .into(),
            ),
        },
        classes: classes.to_vec(),
        layers: layer_rows(model),
        total_params: model.param_count(),
        optimizer: match spec.optimizer.describe() {
            serde_json::Value::Object(o) => o,
            _ => unreachable!("an optimizer describes itself as an object"),
        },
        loss: LossSummary { name: spec.loss.name().into(), equation: spec.loss.equation().into() },
        epochs: spec.epochs,
        batch_size: Some(spec.batch_size),
        seed: Some(spec.seed),
        best_epoch: history.best_epoch().map(|r| r.epoch),
        final_epoch: final_record.map(|r| FinalEpoch {
            epoch: Some(r.epoch),
            loss: r.loss,
            accuracy: r.accuracy,
            val_loss: r.val_loss,
            val_accuracy: r.val_accuracy,
        }),
        seconds,
        network: Some(NetworkRun {
            epochs_run: history.epochs.len(),
            class_weight: spec.class_weight.clone(),
            early_stopping: spec.early_stopping.clone(),
            shuffle: spec.shuffle,
            stopped_epoch: stopping.stopped_epoch,
            restored_best_weights: stopping.restored_best,
            restored_epoch: stopping.restored_best.then_some(stopping.best_epoch).flatten(),
            kernels: crate::engine::isa::Isa::current().name().into(),
            init_from: init_from.map(|p| p.display().to_string()),
        }),
    }
}

/// A Keras shape, `None` for the batch axis: `(None, 28, 28, 1)`.
fn shape_text(dims: &[Option<usize>]) -> String {
    let dims: Vec<String> =
        dims.iter().map(|d| d.map_or_else(|| "None".into(), |d| d.to_string())).collect();
    format!("({})", dims.join(", "))
}

/// How the input is scaled, in words: `summary.json` says `"none"` (or nothing) for
/// features that go into the network as they are.
fn scaling_text(scaling: Option<&str>) -> &str {
    match scaling {
        Some(s) if !s.is_empty() && s != "none" => s,
        _ => "no scaling",
    }
}

/// A value as `summary.json` holds it: a number, or `null`.
fn or_null(v: Option<impl std::fmt::Display>) -> String {
    v.map_or_else(|| "null".into(), |v| v.to_string())
}

/// `summary.txt`: Keras's `model.summary()` table plus how each count comes about,
/// the optimizer and the loss.
pub fn summary_text(summary: &Summary) -> String {
    let mut s = format!("Model: \"{}\"\n", summary.name);
    let input = &summary.input;
    let input_shape: Vec<Option<usize>> =
        [None].into_iter().chain(input.shape.iter().copied().map(Some)).collect();
    s += &format!(
        "Input: {} {} ({})\n\n",
        match input.kind {
            DatasetKind::Image => "image",
            DatasetKind::Features => "features",
        },
        shape_text(&input_shape),
        scaling_text(input.scaling.as_deref())
    );
    let rows: Vec<[String; 4]> = (summary.layers.iter())
        .map(|l| {
            [
                format!("{} ({})", l.name, l.type_name),
                shape_text(&l.output_shape),
                thousands(l.params),
                l.formula.clone(),
            ]
        })
        .collect();
    let header = [
        "Layer (type)".to_string(),
        "Output Shape".into(),
        "Param #".into(),
        "How the count comes about".into(),
    ];
    let widths: Vec<usize> = (0..3)
        .map(|i| rows.iter().chain([&header]).map(|r| r[i].chars().count()).max().unwrap() + 3)
        .collect();
    let line = |r: &[String; 4]| {
        let mut out = String::new();
        for i in 0..3 {
            out += &r[i];
            out += &" ".repeat(widths[i] - r[i].chars().count());
        }
        out + &r[3] + "\n"
    };
    let rule = "─".repeat(widths.iter().sum::<usize>() + 50) + "\n";
    s += &line(&header);
    s += &rule;
    for r in &rows {
        s += &line(r);
    }
    s += &rule;
    let parts: Vec<String> =
        summary.layers.iter().filter(|l| l.params > 0).map(|l| thousands(l.params)).collect();
    s += &format!("Total params: {} = {}\n\n", thousands(summary.total_params), parts.join(" + "));
    let opt = &summary.optimizer;
    let settings: Vec<String> = (opt.iter())
        .filter(|(k, _)| *k != "name" && *k != "update")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    s += &format!(
        "Optimizer: {} ({})\n  update: {}\n",
        opt["name"].as_str().unwrap_or(""),
        settings.join(", "),
        opt.get("update").and_then(|u| u.as_str()).unwrap_or("")
    );
    s += &format!("Loss: {}\n  {}\n\n", summary.loss.name, summary.loss.equation);
    let network = summary.network.as_ref();
    s += &format!(
        "Training: {} epochs run of {}, batch size {}, seed {}\n",
        or_null(network.map(|n| n.epochs_run)),
        summary.epochs,
        or_null(summary.batch_size),
        or_null(summary.seed)
    );
    if let Some(init) = network.and_then(|n| n.init_from.as_ref()) {
        s += &format!("Warm start: from the weights of {init}\n");
    }
    if let Some(best) = summary.best_epoch {
        s += &format!(
            "Best epoch: {best} (restored: {})\n",
            or_null(network.map(|n| n.restored_best_weights))
        );
    }
    if let Some(f) = &summary.final_epoch {
        let mut parts = vec![format!("loss {:.4}", f.loss), format!("accuracy {:.4}", f.accuracy)];
        if let Some(v) = f.val_loss {
            parts.push(format!("val_loss {v:.4}"));
        }
        if let Some(v) = f.val_accuracy {
            parts.push(format!("val_accuracy {v:.4}"));
        }
        s += &format!("Final (epoch {}): {}\n", or_null(f.epoch), parts.join(", "));
    }
    s += &format!("Wall time: {:.2} s\n", summary.seconds);
    s
}
