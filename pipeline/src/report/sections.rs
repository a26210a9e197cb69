//! The report's sections, each built from one run's or one experiment's outputs:
//! the input description, HOG pictures, training settings, topology line, weight
//! table, and a run's detail (curves reading, pictures, confused pairs in words,
//! per-class and binary metrics).

use std::path::Path;

use crate::manifest::{Manifest, Run, Trainer};
use formats::{DatasetKind, Metrics, Summary};

use super::document::{md_text, Block};
use super::format::{f4, plain, show, show_opt, thousands};
use super::pictures::{copy_picture, PictureError};
use super::reading::{has_curves, read_curves, RunOutputs};

/// The optimizer with its parameters, the loss with its equation and the
/// training settings, as one list.
pub(super) fn training_blocks(summary: &Summary, doc: &mut Vec<Block>) {
    let o = &summary.optimizer;
    let name = o.get("name").map(plain).unwrap_or_else(|| "?".into());
    // learning_rate first, then the others by name (each optimizer has its own settings).
    let mut keys: Vec<&String> = o.keys().filter(|k| k.as_str() != "name").collect();
    keys.sort_by_key(|k| (k.as_str() != "learning_rate", k.as_str()));
    // Numbers and switches are parameters; text (e.g. the update rule) is shown after them.
    let (params, texts): (Vec<&&String>, Vec<&&String>) =
        keys.iter().partition(|k| !o[k.as_str()].is_string());
    let params: Vec<String> =
        params.iter().map(|k| format!("{} = {}", md_text(k), plain(&o[k.as_str()]))).collect();
    let mut optimizer = format!("Optimizer: {name} ({})", params.join(", "));
    for k in texts {
        optimizer.push_str(&format!("; {}: {}", md_text(k), plain(&o[k.as_str()])));
    }
    let loss =
        format!("Loss: {}: {}", md_text(&summary.loss.name), md_text(&summary.loss.equation));
    // A baseline fits on all rows at once from zeros: no batch size, no seed.
    let or_none = |v: Option<u64>| v.map_or_else(|| "none".to_string(), |v| v.to_string());
    let training = format!(
        "Training: epochs = {}, batch_size = {}, seed = {}, training time {:.1} s",
        summary.epochs,
        or_none(summary.batch_size.map(|b| b as u64)),
        or_none(summary.seed),
        summary.seconds
    );
    doc.push(Block::List(vec![optimizer, loss, training]));
}

/// A Keras output shape as the report writes it, the batch axis as `N`: `[N, 28, 28, 32]`.
fn shape_text(shape: &[Option<usize>]) -> String {
    let dims: Vec<String> =
        shape.iter().map(|d| d.map_or_else(|| "N".to_string(), |d| d.to_string())).collect();
    format!("[{}]", dims.join(", "))
}

/// `Topology: input … → LAYER SHAPE → … → output: N classes`.
pub(super) fn topology_line(summary: &Summary) -> String {
    let input = &summary.input;
    let kind = match input.kind {
        DatasetKind::Image => "image",
        DatasetKind::Features => "features",
    };
    let shape = shape_text(&input.shape.iter().copied().map(Some).collect::<Vec<_>>());
    let layers: Vec<String> = summary
        .layers
        .iter()
        .map(|l| format!("{} {}", md_text(&l.type_name), shape_text(&l.output_shape)))
        .collect();
    let classes = summary.classes.len();
    format!(
        "Topology: input {kind} {shape} → {} → output: {classes} class{}",
        layers.join(" → "),
        if classes == 1 { "" } else { "es" }
    )
}

/// The total weight count (`total_params`).
pub(super) fn params_of(summary: &Summary) -> i64 {
    summary.total_params as i64
}

/// One row per layer (output shape, activation, weights, formula), then the total.
pub(super) fn layer_table(summary: &Summary) -> Block {
    let mut rows: Vec<Vec<String>> = summary
        .layers
        .iter()
        .map(|l| {
            vec![
                md_text(&l.name),
                md_text(&l.type_name),
                shape_text(&l.output_shape),
                l.activation.as_deref().map(md_text).unwrap_or_default(),
                thousands(l.params as i64),
                md_text(&l.formula),
            ]
        })
        .collect();
    rows.push(vec![
        "total".into(),
        String::new(),
        String::new(),
        String::new(),
        thousands(params_of(summary)),
        String::new(),
    ]);
    Block::Table(
        ["layer", "type", "output shape", "activation", "weights", "how"]
            .map(String::from)
            .to_vec(),
        rows,
    )
}

/// One run: its change, what is missing, the curves reading, the pictures, the
/// most confused pairs, per-class P/R/F1 and the binary metrics.
pub(super) fn run_detail(
    m: &Manifest,
    run: &Run,
    out: &RunOutputs,
    report_tmp: &Path,
    doc: &mut Vec<Block>,
) -> Result<(), PictureError> {
    doc.push(Block::Heading(
        4,
        format!("Run `{}`{}", run.name, if run.synthetic { " (SYNTHETIC data)" } else { "" }),
    ));
    if !run.changes.is_empty() {
        doc.push(Block::Para(format!("Variant: {}", md_text(&run.changes.join("; ")))));
    }
    for missing in &out.missing {
        doc.push(Block::Note(format!(
            "Not available: {} (run `make {}`)",
            md_text(missing),
            run.name
        )));
    }
    let history = out.history.as_ref();
    match history {
        // A baseline is fitted in one go: one point is no curve, so no curves section.
        Some(h) if !has_curves(h) => doc.push(Block::Para(match &run.trainer {
            Trainer::Baseline { method } => format!(
                "No training curves: the {method} baseline is fitted in one go, without epochs."
            ),
            Trainer::Network { .. } => {
                "No training curves: history.parquet holds a single epoch.".to_string()
            }
        })),
        Some(h) => {
            curves_blocks(h, doc);
            if let Some(src) = copy_picture(m, &run.name, "curves.png", report_tmp)? {
                doc.push(Block::Image { alt: format!("{}: training curves", run.name), src });
            }
        }
        None => {}
    }
    if let Some(src) = copy_picture(m, &run.name, "confusion.png", report_tmp)? {
        doc.push(Block::Image { alt: format!("{}: confusion matrix", run.name), src });
    }
    let Some(metrics) = &out.metrics else { return Ok(()) };
    let pairs = confused_pairs_in_words(metrics);
    if !pairs.is_empty() {
        doc.push(Block::Para("Most confused pairs:".into()));
        doc.push(Block::List(pairs));
    }
    let mut rows: Vec<Vec<String>> = metrics
        .per_class
        .iter()
        .map(|c| {
            vec![
                md_text(&c.class),
                show(c.scores.precision),
                show(c.scores.recall),
                show(c.scores.f1),
                c.support.to_string(),
            ]
        })
        .collect();
    for (avg, a) in [("macro", &metrics.macro_avg), ("weighted", &metrics.weighted)] {
        rows.push(vec![
            format!("{avg} average"),
            show(a.precision),
            show(a.recall),
            show(a.f1),
            String::new(),
        ]);
    }
    doc.push(Block::Table(
        ["class", "precision", "recall", "F1", "support"].map(String::from).to_vec(),
        rows,
    ));
    if let Some(b) = &metrics.binary {
        let mut items = vec![
            format!("Positive class: {}", md_text(&b.positive_class)),
            format!("ROC AUC: {}", show(b.roc_auc)),
            format!(
                "At the chosen threshold {}: precision {}, recall {}, F1 {}",
                show(b.threshold),
                show(b.at_threshold.precision),
                show(b.at_threshold.recall),
                show(b.at_threshold.f1)
            ),
            format!("Best-F1 threshold {} (F1 {})", show(b.best_f1_threshold), show(b.best_f1)),
        ];
        if let Some(t) = b.threshold_for_min_recall {
            let precision = b
                .precision_at_min_recall
                .map(|p| format!(" (precision there {})", show(p)))
                .unwrap_or_default();
            items.push(format!(
                "Threshold keeping recall ≥ {}: {}{precision}",
                show_opt(b.min_recall),
                show(t)
            ));
        }
        doc.push(Block::List(items));
        if let Some(src) = copy_picture(m, &run.name, "roc.png", report_tmp)? {
            doc.push(Block::Image { alt: format!("{}: ROC curve", run.name), src });
        }
    }
    Ok(())
}

/// The verdict on a history of two epochs or more: the best epoch, and overfitting
/// or not by [`formats::History::overfitting`]'s rule (stated once per experiment,
/// under its variants table).
fn curves_blocks(h: &formats::History, doc: &mut Vec<Block>) {
    let Some(c) = read_curves(h) else {
        doc.push(Block::Para(format!(
            "{} epochs; no validation losses in history.parquet, so no best epoch.",
            h.epochs.len()
        )));
        return;
    };
    let best =
        format!("Best epoch {} (lowest validation loss, {}).", c.best_epoch, f4(c.best_val_loss));
    match c.overfitting_from {
        Some(e) => {
            doc.push(Block::Para(best));
            doc.push(Block::Note(format!(
                "Overfitting: validation loss starts rising at epoch {e} and ends at {} at epoch {} (minimum {} at epoch {}), while training loss keeps falling from {} to {}.",
                f4(c.last_val_loss), c.last_epoch, f4(c.best_val_loss), c.best_epoch, f4(c.train_loss_at_best), f4(c.last_train_loss)
            )));
        }
        None if c.last_val_loss > c.best_val_loss => doc.push(Block::Para(format!(
            "{best} No overfitting: validation loss at the last epoch ({}, epoch {}) is above its minimum, but not in a sustained rise.",
            f4(c.last_val_loss),
            c.last_epoch
        ))),
        None => doc.push(Block::Para(format!(
            "{best} No overfitting: validation loss is at its minimum at the last epoch."
        ))),
    }
}

/// The three most confused (true, predicted) pairs, in words, from `top_confused`
/// (or the confusion matrix when that list is absent or empty).
pub fn confused_pairs_in_words(metrics: &Metrics) -> Vec<String> {
    let classes = &metrics.classes;
    let confusion: Vec<Vec<f64>> =
        metrics.confusion.iter().map(|r| r.iter().map(|&c| c as f64).collect()).collect();
    let mut pairs: Vec<(String, String, f64, Option<f64>)> = Vec::new();
    let row_total = |name: &str| -> Option<f64> {
        let i = classes.iter().position(|c| c == name)?;
        Some(confusion.get(i)?.iter().sum())
    };
    if !metrics.top_confused.is_empty() {
        for p in &metrics.top_confused {
            let (t, pr) = (class_name(classes, &p.true_class), class_name(classes, &p.predicted));
            let total = row_total(&t);
            pairs.push((t, pr, p.count as f64, total));
        }
    } else {
        for (i, row) in confusion.iter().enumerate() {
            let total: f64 = row.iter().sum();
            for (j, &c) in row.iter().enumerate() {
                if i != j && c > 0.0 {
                    let name = |k: usize| classes.get(k).cloned().unwrap_or_else(|| k.to_string());
                    pairs.push((name(i), name(j), c, Some(total)));
                }
            }
        }
        pairs.sort_by(|a, b| b.2.total_cmp(&a.2));
    }
    pairs
        .into_iter()
        .filter(|p| p.2 > 0.0)
        .take(3)
        .map(|(t, p, c, total)| {
            // Class names come from the data: shown as text, never as Markdown.
            let (t, p) = (md_text(&t), md_text(&p));
            let share = match total {
                Some(n) if n > 0.0 => format!(" ({:.1}% of the {n:.0} true {t})", 100.0 * c / n),
                _ => String::new(),
            };
            format!("true {t} predicted as {p}: {c:.0} times{share}")
        })
        .collect()
}

/// A class of `top_confused` as its name: a class name as it is; a class given by
/// its index (other programs) as the name at that index.
fn class_name(classes: &[String], class: &str) -> String {
    if classes.iter().any(|c| c == class) {
        return class.to_string();
    }
    class
        .parse::<usize>()
        .ok()
        .and_then(|i| classes.get(i).cloned())
        .unwrap_or_else(|| class.to_string())
}
