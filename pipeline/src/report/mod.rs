//! `pipeline report`: the lab report, written from the stage outputs only.
//!
//! For every experiment of the manifest (a model and its variants, or a baseline)
//! it reads `OUT/runs/RUN/model/summary.json` (topology, weights and their
//! formulas, optimizer, loss), `OUT/runs/RUN/model/history.parquet` (curves, best
//! epoch, overfitting) and `OUT/runs/RUN/eval/metrics.json` (test loss and
//! accuracy, confusion, P/R/F1, ROC), copies the pictures `evaluate` drew, and
//! writes `REPORT/index.md` and an offline `REPORT/index.html`. No number is typed
//! here: a missing file is said to be missing, never filled in.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use arrow::array::{Array, Float64Array};
use arrow::datatypes::DataType;
use common::manifest::{DatasetSource, FeatureMethod, FeatureSet, FolderRoot, Manifest, Run, RunInput, Trainer};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// A training history (`history.parquet`, docs/formats.md).
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub epoch: Vec<i64>,
    pub loss: Vec<f64>,
    pub accuracy: Vec<f64>,
    pub val_loss: Vec<Option<f64>>,
    pub val_accuracy: Vec<Option<f64>>,
}

/// Reads `history.parquet`: columns `epoch`, `loss`, `accuracy`, `val_loss`, `val_accuracy`.
pub fn read_history(path: &Path) -> Result<History> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .with_context(|| format!("{} is not a readable Parquet file", path.display()))?;
    let mut h = History { epoch: vec![], loss: vec![], accuracy: vec![], val_loss: vec![], val_accuracy: vec![] };
    for batch in reader {
        let batch = batch.with_context(|| format!("cannot read {}", path.display()))?;
        let column = |name: &str| -> Result<Vec<Option<f64>>> {
            let c = batch
                .column_by_name(name)
                .with_context(|| format!("{} has no column `{name}`", path.display()))?;
            let c = arrow::compute::cast(c, &DataType::Float64)
                .with_context(|| format!("{}: column `{name}` is not numeric", path.display()))?;
            let c = c.as_any().downcast_ref::<Float64Array>().expect("cast to Float64");
            Ok((0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i))).collect())
        };
        let required = |name: &str| -> Result<Vec<f64>> {
            column(name)?
                .into_iter()
                .map(|v| v.with_context(|| format!("{}: column `{name}` has a null", path.display())))
                .collect()
        };
        h.epoch.extend(required("epoch")?.into_iter().map(|e| e as i64));
        h.loss.extend(required("loss")?);
        h.accuracy.extend(required("accuracy")?);
        h.val_loss.extend(column("val_loss")?);
        h.val_accuracy.extend(column("val_accuracy")?);
    }
    if h.epoch.is_empty() {
        bail!("{} has no epochs", path.display());
    }
    Ok(h)
}

/// What the curves say: the best epoch and where validation loss starts rising.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveReading {
    /// Epoch of the lowest validation loss, and that loss.
    pub best_epoch: i64,
    pub best_val_loss: f64,
    /// Set when validation loss ends above its minimum while training loss
    /// kept falling: the first epoch after the best one (where it starts rising).
    pub overfitting_from: Option<i64>,
    pub last_epoch: i64,
    pub last_val_loss: f64,
    pub train_loss_at_best: f64,
    pub last_train_loss: f64,
}

/// Reads the best epoch and the overfitting onset; `None` without validation losses.
pub fn read_curves(h: &History) -> Option<CurveReading> {
    let points: Vec<(usize, f64)> = h.val_loss.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v))).collect();
    let &(best_i, best) = points.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    let &(last_i, last) = points.last()?;
    let rising = last_i > best_i && last > best && h.loss[last_i] < h.loss[best_i];
    Some(CurveReading {
        best_epoch: h.epoch[best_i],
        best_val_loss: best,
        overfitting_from: rising.then(|| h.epoch[best_i + 1]),
        last_epoch: h.epoch[last_i],
        last_val_loss: last,
        train_loss_at_best: h.loss[best_i],
        last_train_loss: h.loss[last_i],
    })
}

// ---------------------------------------------------------------------------
// A small document model rendered both as Markdown and as HTML.

#[derive(Debug, Clone)]
enum Block {
    Heading(u8, String),
    Para(String),
    /// A paragraph that must stand out (SYNTHETIC, overfitting, missing outputs).
    Note(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
    Image { alt: String, src: String },
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn to_markdown(doc: &[Block]) -> String {
    let mut o = String::new();
    for b in doc {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "{} {t}\n", "#".repeat(*l as usize));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "{t}\n");
            }
            Block::Note(t) => {
                let _ = writeln!(o, "> **{t}**\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(o, "- {i}");
                }
                o.push('\n');
            }
            Block::Table(head, rows) => {
                let _ = writeln!(o, "| {} |", head.iter().map(|h| md_cell(h)).collect::<Vec<_>>().join(" | "));
                let _ = writeln!(o, "|{}", head.iter().map(|_| "---|").collect::<String>());
                for r in rows {
                    let _ = writeln!(o, "| {} |", r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | "));
                }
                o.push('\n');
            }
            Block::Image { alt, src } => {
                let _ = writeln!(o, "![{alt}]({src})\n");
            }
        }
    }
    o
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const CSS: &str = "body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.4;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left}\
th{background:#eee}img{max-width:100%;border:1px solid #ddd}.note{background:#fff3cd;border-left:4px solid #e0a800;padding:.4em .8em}\
h2{border-bottom:1px solid #ccc;margin-top:2em}code{background:#f4f4f4}";

fn to_html(title: &str, doc: &[Block]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>", esc(title));
    for b in doc {
        match b {
            Block::Heading(l, t) => {
                let _ = writeln!(o, "<h{l}>{}</h{l}>", esc(t));
            }
            Block::Para(t) => {
                let _ = writeln!(o, "<p>{}</p>", esc(t));
            }
            Block::Note(t) => {
                let _ = writeln!(o, "<p class=\"note\"><strong>{}</strong></p>", esc(t));
            }
            Block::List(items) => {
                o.push_str("<ul>\n");
                for i in items {
                    let _ = writeln!(o, "<li>{}</li>", esc(i));
                }
                o.push_str("</ul>\n");
            }
            Block::Table(head, rows) => {
                o.push_str("<table>\n<tr>");
                for h in head {
                    let _ = write!(o, "<th>{}</th>", esc(h));
                }
                o.push_str("</tr>\n");
                for r in rows {
                    o.push_str("<tr>");
                    for c in r {
                        let _ = write!(o, "<td>{}</td>", esc(c));
                    }
                    o.push_str("</tr>\n");
                }
                o.push_str("</table>\n");
            }
            Block::Image { alt, src } => {
                let _ = writeln!(o, "<p><img src=\"{}\" alt=\"{}\"></p>", esc(src), esc(alt));
            }
        }
    }
    o.push_str("</body>\n</html>\n");
    o
}

// ---------------------------------------------------------------------------
// Number formatting (values come from the files; only their display is chosen here).

/// `24790` → `24,790`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn f4(x: f64) -> String {
    format!("{x:.4}")
}

fn num(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

fn show_num(v: Option<&Value>) -> String {
    num(v).map(f4).unwrap_or_else(|| "–".into())
}

/// A JSON value as plain text (`0.001`, `true`, `[28, 28, 1]`, `rmsprop`).
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "none".into(),
        Value::Array(a) => format!("[{}]", a.iter().map(plain).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// One run's outputs.

struct RunOutputs {
    summary: Option<Value>,
    history: Option<History>,
    metrics: Option<Value>,
    /// Problems reading the outputs (missing files, unreadable content), said in the report.
    missing: Vec<String>,
}

fn read_json(path: &Path, missing: &mut Vec<String>) -> Option<Value> {
    match std::fs::read_to_string(path) {
        Err(_) => {
            missing.push(format!("{} is missing", path.display()));
            None
        }
        Ok(text) => match serde_json::from_str(&text) {
            Ok(v) => Some(v),
            Err(e) => {
                missing.push(format!("{} is not valid JSON ({e})", path.display()));
                None
            }
        },
    }
}

fn read_run(m: &Manifest, run: &Run) -> RunOutputs {
    let mut missing = Vec::new();
    let model_dir = m.run_model_dir(&run.name);
    let summary = read_json(&model_dir.join("summary.json"), &mut missing);
    let hpath = model_dir.join("history.parquet");
    let history = if hpath.exists() {
        match read_history(&hpath) {
            Ok(h) => Some(h),
            Err(e) => {
                missing.push(format!("{e:#}"));
                None
            }
        }
    } else {
        if matches!(run.trainer, Trainer::Network { .. }) {
            missing.push(format!("{} is missing", hpath.display()));
        }
        None
    };
    let metrics = read_json(&m.run_eval_dir(&run.name).join("metrics.json"), &mut missing);
    RunOutputs { summary, history, metrics, missing }
}

/// Copies `OUT/runs/RUN/eval/NAME` to `IMG/RUN-NAME`; returns the link relative to the report.
fn copy_picture(m: &Manifest, run: &str, name: &str, report_tmp: &Path) -> Option<String> {
    let src = m.run_eval_dir(run).join(name);
    if !src.is_file() {
        return None;
    }
    let rel = format!("img/{run}-{name}");
    std::fs::copy(&src, report_tmp.join(&rel)).ok()?;
    Some(rel)
}

fn class_name(classes: &[String], v: &Value) -> String {
    match v {
        Value::Number(n) => n
            .as_u64()
            .and_then(|i| classes.get(i as usize).cloned())
            .unwrap_or_else(|| n.to_string()),
        other => plain(other),
    }
}

fn classes_of(metrics: &Value) -> Vec<String> {
    metrics
        .get("classes")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(plain).collect())
        .unwrap_or_default()
}

/// The three most confused (true, predicted) pairs, in words, from `top_confused`
/// (or the confusion matrix when that list is absent).
pub fn confused_pairs_in_words(metrics: &Value) -> Vec<String> {
    let classes = classes_of(metrics);
    let confusion: Vec<Vec<f64>> = metrics
        .get("confusion")
        .and_then(Value::as_array)
        .map(|rows| rows.iter().map(|r| r.as_array().map(|c| c.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()).collect())
        .unwrap_or_default();
    let mut pairs: Vec<(String, String, f64, Option<f64>)> = Vec::new();
    let row_total = |name: &str| -> Option<f64> {
        let i = classes.iter().position(|c| c == name)?;
        Some(confusion.get(i)?.iter().sum())
    };
    if let Some(list) = metrics.get("top_confused").and_then(Value::as_array) {
        for p in list {
            let (Some(t), Some(pr), Some(count)) = (p.get("true"), p.get("predicted"), num(p.get("count"))) else { continue };
            let (t, pr) = (class_name(&classes, t), class_name(&classes, pr));
            let total = row_total(&t);
            pairs.push((t, pr, count, total));
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
            let share = match total {
                Some(n) if n > 0.0 => format!(" ({:.1}% of the {n:.0} true {t})", 100.0 * c / n),
                _ => String::new(),
            };
            format!("true {t} predicted as {p}: {c:.0} times{share}")
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The report.

fn describe_input(m: &Manifest, run: &Run) -> String {
    let ds = m.run_dataset(run);
    let data = match &ds.source {
        DatasetSource::Idx { train_images, .. } => format!("dataset `{}` (IDX files, {})", ds.name, train_images.parent().map(|p| p.display().to_string()).unwrap_or_default()),
        DatasetSource::Folders { root, height, width, channels, .. } => {
            let root = match root {
                FolderRoot::Path(p) => p.display().to_string(),
                FolderRoot::Synthetic(s) => format!("SYNTHETIC X-ray-like JPEGs generated by dataset `{s}`"),
            };
            format!("dataset `{}` (image folders: {root}; resized to {height}×{width}×{channels})", ds.name)
        }
        DatasetSource::Parquet { .. } => format!("dataset `{}` (Parquet files)", ds.name),
        DatasetSource::SynthXray { .. } => format!("dataset `{}`", ds.name),
    };
    match &run.input {
        RunInput::Dataset(_) => format!("raw images of {data}"),
        RunInput::Features(f) => {
            let fs = m.feature_set(f).expect("checked at parse");
            let params = match &fs.method {
                FeatureMethod::Pixels => "pixels scaled to [0, 1]".to_string(),
                FeatureMethod::Hog { .. } => {
                    let a = fs.method.args();
                    format!("HOG {}", a.chunks(2).map(|c| c.join(" ")).collect::<Vec<_>>().join(", ").replace("--", ""))
                }
            };
            format!("feature set `{f}` ({params}) of {data}")
        }
    }
}

/// The `features` JSON of a feature dataset's schema metadata (docs/features.md).
fn feature_metadata(path: &Path) -> Result<Value> {
    let file = std::fs::File::open(path).with_context(|| format!("{} is missing", path.display()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{} is not a readable Parquet file", path.display()))?;
    let text = builder
        .schema()
        .metadata()
        .get("features")
        .with_context(|| format!("{} has no `features` metadata", path.display()))?;
    serde_json::from_str(text).with_context(|| format!("{}: the `features` metadata is not valid JSON", path.display()))
}

/// The HOG feature sets an experiment's runs read, each once, in run order.
fn hog_sets_of<'a>(m: &'a Manifest, runs: &[String]) -> Vec<&'a FeatureSet> {
    let mut sets: Vec<&FeatureSet> = Vec::new();
    for name in runs {
        let Some(RunInput::Features(f)) = m.run(name).map(|r| &r.input) else { continue };
        let Some(fs) = m.feature_set(f) else { continue };
        if matches!(fs.method, FeatureMethod::Hog { .. }) && !sets.iter().any(|s| s.name == fs.name) {
            sets.push(fs);
        }
    }
    sets
}

/// Per HOG feature set: its parameters (from the dataset's metadata) and the
/// pictures `features hog --visualize` drew (copied to `img/SET-hog-NNNNN.png`).
/// Anything missing is said, never fatal.
fn hog_pictures_blocks(m: &Manifest, runs: &[String], report_tmp: &Path, doc: &mut Vec<Block>) {
    let sets = hog_sets_of(m, runs);
    if sets.is_empty() {
        return;
    }
    doc.push(Block::Heading(3, "What the HOG descriptor captures".into()));
    for fs in sets {
        let split = crate::make::hog_pictures_split(m, fs).unwrap_or_else(|| "train".into());
        let data = m.feature_split_path(&fs.name, &split);
        let line = match feature_metadata(&data) {
            Ok(meta) => {
                let g = |k: &str| meta.get(k).map(plain).unwrap_or_else(|| "–".into());
                format!(
                    "Feature set `{}`: orientations {}, pixels_per_cell {}, cells_per_block {}, D = {} (from {}).",
                    fs.name, g("orientations"), g("pixels_per_cell"), g("cells_per_block"), g("dim"), data.display()
                )
            }
            Err(e) => format!("Feature set `{}`: {} (parameters unknown: {e:#}; run `make {}`).", fs.name, fs.method.args().join(" "), fs.name),
        };
        doc.push(Block::Para(line));
        let dir = crate::make::hog_pictures_dir(m, &fs.name);
        let mut pictures: Vec<String> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| n.starts_with("hog-") && n.ends_with(".png"))
                    .collect()
            })
            .unwrap_or_default();
        pictures.sort();
        let mut shown = 0;
        for name in &pictures {
            let rel = format!("img/{}-{name}", fs.name);
            if std::fs::copy(dir.join(name), report_tmp.join(&rel)).is_ok() {
                doc.push(Block::Image { alt: format!("{}: {split} image {} (left) and its HOG glyphs (right)", fs.name, name.trim_start_matches("hog-").trim_end_matches(".png")), src: rel });
                shown += 1;
            }
        }
        if shown == 0 {
            doc.push(Block::Note(format!("Not available: the HOG pictures of `{}` ({}/hog-00000.png …) are missing (run `make {}`)", fs.name, dir.display(), fs.name)));
        }
    }
}

fn params_of(summary: &Value) -> Option<i64> {
    summary.get("total_params").and_then(Value::as_i64)
}

fn layer_table(summary: &Value) -> Option<Block> {
    let layers = summary.get("layers")?.as_array()?;
    let mut rows: Vec<Vec<String>> = layers
        .iter()
        .map(|l| {
            let g = |k: &str| l.get(k).map(plain).unwrap_or_default();
            vec![
                g("name"),
                g("type"),
                l.get("output_shape").map(plain).unwrap_or_default().replace("none", "N"),
                g("activation"),
                l.get("params").and_then(Value::as_i64).map(thousands).unwrap_or_default(),
                g("formula"),
            ]
        })
        .collect();
    rows.push(vec![
        "total".into(),
        String::new(),
        String::new(),
        String::new(),
        params_of(summary).map(thousands).unwrap_or_else(|| "–".into()),
        String::new(),
    ]);
    Some(Block::Table(
        ["layer", "type", "output shape", "activation", "weights", "how"].map(String::from).to_vec(),
        rows,
    ))
}

fn training_blocks(summary: &Value, doc: &mut Vec<Block>) {
    let mut items = Vec::new();
    if let Some(o) = summary.get("optimizer").and_then(Value::as_object) {
        let name = o.get("name").map(plain).unwrap_or_else(|| "?".into());
        // learning_rate first, then the others by name (JSON object order is not kept).
        let mut keys: Vec<&String> = o.keys().filter(|k| k.as_str() != "name").collect();
        keys.sort_by_key(|k| (k.as_str() != "learning_rate", k.as_str()));
        // Numbers and switches are parameters; text (e.g. the update rule) is shown after them.
        let (params, texts): (Vec<&&String>, Vec<&&String>) = keys.iter().partition(|k| !o[k.as_str()].is_string());
        let params: Vec<String> = params.iter().map(|k| format!("{k} = {}", plain(&o[k.as_str()]))).collect();
        let mut line = format!("Optimizer: {name} ({})", params.join(", "));
        for k in texts {
            line.push_str(&format!("; {k}: {}", plain(&o[k.as_str()])));
        }
        items.push(line);
    }
    if let Some(l) = summary.get("loss") {
        match l {
            Value::Object(o) => items.push(format!(
                "Loss: {}: {}",
                o.get("name").map(plain).unwrap_or_default(),
                o.get("equation").map(plain).unwrap_or_else(|| "(no equation in summary.json)".into())
            )),
            other => items.push(format!("Loss: {}", plain(other))),
        }
    }
    let mut t = Vec::new();
    for k in ["epochs", "batch_size", "seed"] {
        if let Some(v) = summary.get(k) {
            t.push(format!("{k} = {}", plain(v)));
        }
    }
    if let Some(s) = summary.get("seconds").and_then(Value::as_f64) {
        t.push(format!("training time {s:.1} s"));
    }
    if !t.is_empty() {
        items.push(format!("Training: {}", t.join(", ")));
    }
    if !items.is_empty() {
        doc.push(Block::List(items));
    }
}

fn topology_line(summary: &Value) -> Option<String> {
    let input = summary.get("input")?;
    let kind = input.get("kind").map(plain).unwrap_or_default();
    let shape = input.get("shape").map(plain).unwrap_or_default();
    let layers: Vec<String> = summary
        .get("layers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|l| {
                    let ty = l.get("type").map(plain).unwrap_or_default();
                    let shape = l.get("output_shape").map(plain).unwrap_or_default().replace("none", "N");
                    format!("{ty} {shape}")
                })
                .collect()
        })
        .unwrap_or_default();
    let classes = summary.get("classes").and_then(Value::as_array).map(|c| c.len()).unwrap_or(0);
    Some(format!(
        "Topology: input {kind} {shape} → {} → output: {classes} class{}",
        layers.join(" → "),
        if classes == 1 { "" } else { "es" }
    ))
}

fn run_detail(m: &Manifest, run: &Run, out: &RunOutputs, report_tmp: &Path, doc: &mut Vec<Block>) {
    doc.push(Block::Heading(4, format!("Run `{}`{}", run.name, if run.synthetic { " (SYNTHETIC data)" } else { "" })));
    if !run.changes.is_empty() {
        doc.push(Block::Para(format!("Variant: {}", run.changes.join("; "))));
    }
    for missing in &out.missing {
        doc.push(Block::Note(format!("Not available: {missing} (run `make {}`)", run.name)));
    }
    if let Some(h) = &out.history {
        match read_curves(h) {
            Some(c) => {
                let mut text = format!("Best epoch {} (lowest validation loss, {}).", c.best_epoch, f4(c.best_val_loss));
                if let Some(e) = c.overfitting_from {
                    doc.push(Block::Para(text));
                    text = format!(
                        "Overfitting: validation loss starts rising at epoch {e} and ends at {} at epoch {} (minimum {} at epoch {}), while training loss keeps falling from {} to {}.",
                        f4(c.last_val_loss), c.last_epoch, f4(c.best_val_loss), c.best_epoch, f4(c.train_loss_at_best), f4(c.last_train_loss)
                    );
                    doc.push(Block::Note(text));
                } else {
                    text.push_str(&format!(" No overfitting seen: validation loss at the last epoch ({}) is {} its minimum.", c.last_epoch, if c.last_val_loss > c.best_val_loss { "above (but training loss did not keep falling)" } else { "at" }));
                    doc.push(Block::Para(text));
                }
            }
            None => doc.push(Block::Para(format!("{} epochs; no validation losses in history.parquet, so no best epoch.", h.epoch.len()))),
        }
    }
    if let Some(src) = copy_picture(m, &run.name, "curves.png", report_tmp) {
        doc.push(Block::Image { alt: format!("{}: training curves", run.name), src });
    }
    if let Some(src) = copy_picture(m, &run.name, "confusion.png", report_tmp) {
        doc.push(Block::Image { alt: format!("{}: confusion matrix", run.name), src });
    }
    let Some(metrics) = &out.metrics else { return };
    let pairs = confused_pairs_in_words(metrics);
    if !pairs.is_empty() {
        doc.push(Block::Para("Most confused pairs:".into()));
        doc.push(Block::List(pairs));
    }
    if let Some(per_class) = metrics.get("per_class").and_then(Value::as_array) {
        let mut rows: Vec<Vec<String>> = per_class
            .iter()
            .map(|c| {
                vec![
                    c.get("class").map(plain).unwrap_or_default(),
                    show_num(c.get("precision")),
                    show_num(c.get("recall")),
                    show_num(c.get("f1")),
                    c.get("support").map(plain).unwrap_or_default(),
                ]
            })
            .collect();
        for avg in ["macro", "weighted"] {
            if let Some(a) = metrics.get(avg) {
                rows.push(vec![format!("{avg} average"), show_num(a.get("precision")), show_num(a.get("recall")), show_num(a.get("f1")), String::new()]);
            }
        }
        doc.push(Block::Table(["class", "precision", "recall", "F1", "support"].map(String::from).to_vec(), rows));
    }
    if let Some(b) = metrics.get("binary").filter(|b| !b.is_null()) {
        let g = |k: &str| show_num(b.get(k));
        let mut items = vec![
            format!("Positive class: {}", b.get("positive_class").map(plain).unwrap_or_default()),
            format!("ROC AUC: {}", g("roc_auc")),
            format!("At the chosen threshold {}: precision {}, recall {}, F1 {}", g("threshold"), g("precision"), g("recall"), g("f1")),
            format!("Best-F1 threshold {} (F1 {})", g("best_f1_threshold"), g("best_f1")),
        ];
        if b.get("threshold_for_min_recall").is_some_and(|v| !v.is_null()) {
            items.push(format!("Threshold keeping recall ≥ {}: {}", g("min_recall"), g("threshold_for_min_recall")));
        }
        doc.push(Block::List(items));
        if let Some(src) = copy_picture(m, &run.name, "roc.png", report_tmp) {
            doc.push(Block::Image { alt: format!("{}: ROC curve", run.name), src });
        }
    }
}

/// Writes `out_dir/index.md`, `out_dir/index.html` and `out_dir/img/`, replacing
/// the directory as a whole. Returns a one-line summary for the terminal.
pub fn write_report(m: &Manifest, out_dir: &Path) -> Result<String> {
    let tmp = common::AtomicPath::new(out_dir)?;
    std::fs::create_dir_all(tmp.temp().join("img")).with_context(|| format!("cannot create {}", tmp.temp().display()))?;
    let outputs: Vec<(Run, RunOutputs)> = m.runs.iter().map(|r| (r.clone(), read_run(m, r))).collect();
    let find = |name: &str| outputs.iter().find(|(r, _)| r.name == name).expect("run of the manifest");

    let mut doc = Vec::new();
    let title = "Lab report: MLP, HOG, CNN and pneumonia experiments";
    doc.push(Block::Heading(1, title.into()));
    doc.push(Block::Para(format!(
        "Written by `pipeline report` from the manifest {} and the stage outputs under {}/: summary.json and history.parquet (train), metrics.json and its pictures (evaluate). Nothing here is typed by hand.",
        m.file.display(),
        m.settings.out.display()
    )));
    if m.runs.iter().any(|r| r.synthetic) {
        doc.push(Block::Note(
            "Runs marked SYNTHETIC use generated X-ray-like images (ingest synth-xray), not real chest X-rays: their numbers say that the pipeline works, not how well a model detects pneumonia. Point the folders dataset's `root` at a real Kaggle chest_xray/ directory to run the experiment for real.".into(),
        ));
    }
    let complete = outputs.iter().filter(|(_, o)| o.metrics.is_some()).count();
    if complete < outputs.len() {
        doc.push(Block::Note(format!("{complete} of {} runs have an evaluation; the others are listed as missing.", outputs.len())));
    }

    // Leaderboard: every evaluated run, best test accuracy first.
    doc.push(Block::Heading(2, "Leaderboard".into()));
    let mut board: Vec<(&Run, &RunOutputs, f64)> = outputs
        .iter()
        .filter_map(|(r, o)| Some((r, o, num(o.metrics.as_ref()?.get("accuracy"))?)))
        .collect();
    board.sort_by(|a, b| b.2.total_cmp(&a.2));
    let rows = board
        .iter()
        .enumerate()
        .map(|(i, (r, o, acc))| {
            let mt = o.metrics.as_ref().unwrap();
            vec![
                (i + 1).to_string(),
                r.name.clone(),
                r.experiment.clone(),
                o.summary.as_ref().and_then(params_of).map(thousands).unwrap_or_else(|| "–".into()),
                f4(*acc),
                show_num(mt.get("log_loss")),
                show_num(mt.get("macro").and_then(|x| x.get("f1"))),
                if r.synthetic { "SYNTHETIC".into() } else { String::new() },
            ]
        })
        .collect();
    doc.push(Block::Table(
        ["#", "run", "experiment", "weights", "test accuracy", "test loss", "macro F1", "data"].map(String::from).to_vec(),
        rows,
    ));

    for (i, exp) in m.experiments.iter().enumerate() {
        let synthetic = exp.runs.iter().any(|r| find(r).0.synthetic);
        doc.push(Block::Heading(2, format!("{}. {}{}", i + 1, exp.title, if synthetic { " — SYNTHETIC data" } else { "" })));
        let (base, base_out) = find(&exp.runs[0]);
        doc.push(Block::Para(format!("Input: {}.", describe_input(m, base))));
        if synthetic {
            doc.push(Block::Note("SYNTHETIC: these results come from generated images, not real chest X-rays.".into()));
        }
        hog_pictures_blocks(m, &exp.runs, tmp.temp(), &mut doc);
        if let Some(s) = &base_out.summary {
            training_blocks(s, &mut doc);
            if let Some(t) = topology_line(s) {
                doc.push(Block::Para(t));
            }
            if let Some(t) = layer_table(s) {
                doc.push(Block::Heading(3, "Weights".into()));
                doc.push(t);
            }
        }
        // Variants side by side.
        doc.push(Block::Heading(3, if exp.runs.len() > 1 { "Variants".into() } else { "Result".into() }));
        let rows = exp
            .runs
            .iter()
            .map(|name| {
                let (r, o) = find(name);
                let reading = o.history.as_ref().and_then(read_curves);
                vec![
                    r.name.clone(),
                    if r.changes.is_empty() { "(base)".into() } else { r.changes.join("; ") },
                    o.summary.as_ref().and_then(params_of).map(thousands).unwrap_or_else(|| "–".into()),
                    o.history.as_ref().map(|h| h.epoch.len().to_string()).unwrap_or_else(|| "–".into()),
                    reading.as_ref().map(|c| c.best_epoch.to_string()).unwrap_or_else(|| "–".into()),
                    reading.as_ref().and_then(|c| c.overfitting_from).map(|e| format!("from epoch {e}")).unwrap_or_else(|| "–".into()),
                    show_num(o.metrics.as_ref().and_then(|x| x.get("log_loss"))),
                    show_num(o.metrics.as_ref().and_then(|x| x.get("accuracy"))),
                ]
            })
            .collect();
        doc.push(Block::Table(
            ["run", "change", "weights", "epochs", "best epoch", "overfitting", "test loss", "test accuracy"].map(String::from).to_vec(),
            rows,
        ));
        let base_params = base_out.summary.as_ref().and_then(params_of);
        for name in &exp.runs {
            let (r, o) = find(name);
            // A variant with another topology gets its own weight table.
            if r.variant.is_some() {
                if let Some(s) = &o.summary {
                    if params_of(s) != base_params {
                        doc.push(Block::Heading(4, format!("Weights of `{}`", r.name)));
                        if let Some(t) = layer_table(s) {
                            doc.push(t);
                        }
                    }
                }
            }
            run_detail(m, r, o, tmp.temp(), &mut doc);
        }
    }

    let md = to_markdown(&doc);
    let html = to_html(title, &doc);
    let write = |name: &str, text: &str| -> Result<()> {
        let p: PathBuf = tmp.temp().join(name);
        std::fs::write(&p, text).with_context(|| format!("cannot write {}", p.display()))
    };
    write("index.html", &html)?;
    write("index.md", &md)?;
    tmp.commit()?;
    Ok(format!(
        "report: {} ({complete} of {} runs evaluated; also index.html)",
        out_dir.join("index.md").display(),
        m.runs.len()
    ))
}
