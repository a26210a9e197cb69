//! What `train` leaves in its output directory (docs/formats.md): `history.parquet`
//! (and the same as `history.csv`), `summary.json`, `summary.txt` (and `model.onnx`, see `export.rs`). Every file is
//! written atomically.

use serde_json::{json, Value};

use crate::fit::{History, Stopping};
use crate::layers::thousands;
use crate::model::{InputKind, Model};
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
    summary: &Value,
    summary_text: &str,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let set = formats::OutputSet::new(out_dir, OUTPUTS)?;
    let write = |name: &str, bytes: &[u8]| {
        std::fs::write(set.path(name), bytes)
            .with_context(|| format!("cannot write {}", set.path(name).display()))
    };
    write("model.onnx", onnx)?;
    history.write(&set.path("history.parquet"))?;
    write("history.csv", history.to_csv().as_bytes())?;
    write("summary.json", serde_json::to_string_pretty(summary)?.as_bytes())?;
    write("summary.txt", summary_text.as_bytes())?;
    set.commit()?;
    Ok(())
}

/// Keras-style layer names: the type's prefix and its count so far (`dense_1`, `dense_2`).
pub fn layer_names(model: &Model) -> Vec<String> {
    let mut counters: std::collections::HashMap<&str, usize> = Default::default();
    (model.layers.iter())
        .map(|l| {
            let n = counters.entry(l.name_prefix()).or_insert(0);
            *n += 1;
            format!("{}_{}", l.name_prefix(), n)
        })
        .collect()
}

/// Per-layer rows of the summary: Keras-style names (`dense_1`, ...), output shapes with a
/// `null` batch axis, weight counts and their formulas.
pub fn layer_rows(model: &Model) -> Vec<Value> {
    model
        .layers
        .iter()
        .zip(layer_names(model))
        .map(|(l, name)| {
            let mut shape: Vec<Value> = vec![Value::Null];
            shape.extend(l.output_shape().into_iter().map(Value::from));
            let mut row = json!({
                "name": name,
                "type": l.type_name(),
                "output_shape": shape,
                "params": l.param_count(),
                "formula": l.formula(),
                "config": l.config(),
            });
            if let Some(a) = l.activation() {
                row["activation"] = json!(a.name());
            }
            row
        })
        .collect()
}

/// The content of `summary.json`.
pub fn summary_json(
    spec: &ModelSpec,
    model: &Model,
    classes: &[String],
    (history, stopping): (&History, &Stopping),
    seconds: f64,
) -> Value {
    let last = history.epochs.last();
    // After restore-best-weights the model is the best epoch's; report that epoch as final.
    let final_record = if stopping.restored_best {
        stopping.best_epoch.and_then(|b| history.epochs.iter().find(|r| r.epoch == b)).or(last)
    } else {
        last
    };
    json!({
        "name": spec.name.clone().unwrap_or_else(|| "model".into()),
        "input": {
            "kind": match model.input_kind { InputKind::Image => "image", InputKind::Features => "features" },
            "shape": model.input_shape,
            "scaling": match model.input_kind { InputKind::Image => "uint8 / 255 inside the model", InputKind::Features => "none" },
        },
        "classes": classes,
        "layers": layer_rows(model),
        "total_params": model.param_count(),
        "optimizer": spec.optimizer.describe(),
        "loss": { "name": spec.loss.name(), "equation": spec.loss.equation() },
        "epochs": spec.epochs,
        "epochs_run": history.epochs.len(),
        "batch_size": spec.batch_size,
        "seed": spec.seed,
        "class_weight": spec.class_weight,
        "early_stopping": spec.early_stopping,
        "shuffle": spec.shuffle,
        // The one best-epoch rule (formats::History::best_epoch): lowest validation
        // loss, or lowest training loss without validation; always filled.
        "best_epoch": history.best_epoch().map(|r| r.epoch),
        "stopped_epoch": stopping.stopped_epoch,
        "restored_best_weights": stopping.restored_best,
        // The epoch whose weights early stopping put back (its monitor's best).
        "restored_epoch": stopping.restored_best.then_some(stopping.best_epoch).flatten(),
        "final": final_record.map(|r| json!({
            "epoch": r.epoch, "loss": r.loss, "accuracy": r.accuracy,
            "val_loss": r.val_loss, "val_accuracy": r.val_accuracy,
        })),
        "seconds": seconds,
        // The instruction set the kernels ran on: speed only, the bits are the same on every one.
        "kernels": crate::engine::isa::Isa::current().name(),
    })
}

fn shape_text(v: &Value) -> String {
    let dims: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter().map(|d| if d.is_null() { "None".into() } else { d.to_string() }).collect()
        })
        .unwrap_or_default();
    format!("({})", dims.join(", "))
}

/// `summary.txt`: Keras's `model.summary()` table plus how each count comes about,
/// the optimizer and the loss.
pub fn summary_text(summary: &Value) -> String {
    let mut s = format!("Model: \"{}\"\n", summary["name"].as_str().unwrap_or("model"));
    let input = &summary["input"];
    s += &format!(
        "Input: {} {} ({})\n\n",
        input["kind"].as_str().unwrap_or(""),
        shape_text(&{
            let mut v = vec![Value::Null];
            v.extend(input["shape"].as_array().cloned().unwrap_or_default());
            Value::from(v)
        }),
        input["scaling"].as_str().unwrap_or("")
    );
    let rows: Vec<[String; 4]> = summary["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            [
                format!("{} ({})", l["name"].as_str().unwrap(), l["type"].as_str().unwrap()),
                shape_text(&l["output_shape"]),
                thousands(l["params"].as_u64().unwrap() as usize),
                l["formula"].as_str().unwrap().to_string(),
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
    let total = summary["total_params"].as_u64().unwrap() as usize;
    let parts: Vec<String> = summary["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["params"].as_u64().unwrap() > 0)
        .map(|l| thousands(l["params"].as_u64().unwrap() as usize))
        .collect();
    s += &format!("Total params: {} = {}\n\n", thousands(total), parts.join(" + "));
    let opt = &summary["optimizer"];
    let params: Vec<String> = opt
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "name" && *k != "update")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    s += &format!(
        "Optimizer: {} ({})\n  update: {}\n",
        opt["name"].as_str().unwrap(),
        params.join(", "),
        opt["update"].as_str().unwrap_or("")
    );
    s += &format!(
        "Loss: {}\n  {}\n\n",
        summary["loss"]["name"].as_str().unwrap(),
        summary["loss"]["equation"].as_str().unwrap()
    );
    s += &format!(
        "Training: {} epochs run of {}, batch size {}, seed {}\n",
        summary["epochs_run"], summary["epochs"], summary["batch_size"], summary["seed"]
    );
    if !summary["best_epoch"].is_null() {
        s += &format!(
            "Best epoch: {} (restored: {})\n",
            summary["best_epoch"], summary["restored_best_weights"]
        );
    }
    if let Some(f) = summary["final"].as_object() {
        let mut parts = vec![
            format!("loss {:.4}", f["loss"].as_f64().unwrap_or(f64::NAN)),
            format!("accuracy {:.4}", f["accuracy"].as_f64().unwrap_or(f64::NAN)),
        ];
        if let Some(v) = f["val_loss"].as_f64() {
            parts.push(format!("val_loss {v:.4}"));
        }
        if let Some(v) = f["val_accuracy"].as_f64() {
            parts.push(format!("val_accuracy {v:.4}"));
        }
        s += &format!("Final (epoch {}): {}\n", f["epoch"], parts.join(", "));
    }
    s += &format!("Wall time: {:.2} s\n", summary["seconds"].as_f64().unwrap_or(0.0));
    s
}
