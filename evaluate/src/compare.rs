//! `evaluate compare DIR...`: several evaluations (and the `history.parquet` of
//! their training runs) side by side — the lab's "three meaningful variants".
//!
//! Writes `leaderboard.parquet` (one row per evaluation, grouped by class set, best
//! accuracy first within a set) and, when any run has a history, `histories.parquet`
//! (every epoch of every run, with a `run` column), and returns the leaderboard for
//! printing.

use std::path::{Path, PathBuf};

use polars::functions::concat_df_diagonal;
use polars::prelude::*;

use formats::History;

use crate::error::{fail, Context, ErrorKind, Result};
use crate::tables::{history_frame, write_parquet};
use crate::Metrics;

/// One evaluation directory, read back.
pub struct Run {
    /// The run's name in the tables ([`run_name`]).
    pub name: String,
    /// The evaluation directory.
    pub dir: PathBuf,
    /// Its `metrics.json`.
    pub metrics: Metrics,
    /// The training history it names, if one exists.
    pub history: Option<History>,
}

/// Reads `DIR/metrics.json` and the training history it names (or the
/// `history.parquet` beside its model). `DIR` may also be a pipeline run directory
/// (`out/runs/RUN`, whose evaluation is `RUN/eval`).
pub fn read_run(dir: &Path) -> Result<Run> {
    let dir = if !dir.join("metrics.json").is_file() && dir.join("eval/metrics.json").is_file() {
        dir.join("eval")
    } else {
        dir.to_path_buf()
    };
    let path = dir.join("metrics.json");
    let text = std::fs::read_to_string(&path).context(ErrorKind::Input, || {
        format!("{} is not an evaluation directory: cannot read {}", dir.display(), path.display())
    })?;
    let metrics: Metrics = serde_json::from_str(&text).context(ErrorKind::Input, || {
        format!("{} is not a metrics.json written by evaluate", path.display())
    })?;
    let history_path = metrics
        .history
        .as_ref()
        .map(PathBuf::from)
        .or_else(|| Path::new(&metrics.model).parent().map(|d| d.join("history.parquet")))
        .filter(|p| p.is_file());
    let history = history_path.as_deref().map(History::read).transpose()?;
    Ok(Run { name: run_name(&dir), dir, metrics, history })
}

/// A run's name: its directory's, or for the pipeline's layout (`out/runs/RUN/eval`)
/// the run directory's, since every evaluation there is called `eval`.
pub fn run_name(eval_dir: &Path) -> String {
    formats::run_name(eval_dir, "eval")
}

fn run_row(run: &Run) -> Result<DataFrame> {
    let m = &run.metrics;
    let mut cols = vec![
        Column::new("run".into(), [run.name.as_str()]),
        Column::new("classes".into(), [class_set(m)]),
        Column::new("accuracy".into(), [m.accuracy]),
        Column::new("log_loss".into(), [m.log_loss]),
        Column::new("macro_f1".into(), [m.macro_avg.f1]),
        Column::new("weighted_f1".into(), [m.weighted.f1]),
        Column::new("rows".into(), [m.rows as u64]),
        Column::new("rows_per_second".into(), [m.rows_per_second.round() as u64]),
    ];
    if let Some(b) = &m.binary {
        cols.push(Column::new("roc_auc".into(), [b.roc_auc]));
        cols.push(Column::new("recall".into(), [b.at_threshold.recall]));
        cols.push(Column::new("precision".into(), [b.at_threshold.precision]));
        cols.push(Column::new("best_f1".into(), [b.best_f1]));
    }
    if let (Some(h), Some(last)) =
        (&run.history, run.history.as_ref().and_then(|h| h.epochs.last()))
    {
        cols.push(Column::new("epochs".into(), [h.epochs.len() as u32]));
        if let Some(best) = h.best_epoch() {
            cols.push(Column::new("best_epoch".into(), [best.epoch as i32]));
            cols.push(Column::new("best_val_loss".into(), [best.val_loss]));
            cols.push(Column::new("best_val_accuracy".into(), [best.val_accuracy]));
        }
        cols.push(Column::new("final_loss".into(), [last.loss]));
        cols.push(Column::new("final_accuracy".into(), [last.accuracy]));
        cols.push(Column::new("train_seconds".into(), [h.seconds()]));
    }
    cols.push(Column::new("model".into(), [m.model.as_str()]));
    cols.push(Column::new("dir".into(), [run.dir.display().to_string()]));
    Ok(DataFrame::new(1, cols)?)
}

/// A run's class set as the leaderboard names it: `NORMAL, PNEUMONIA`.
fn class_set(m: &Metrics) -> String {
    m.classes.join(", ")
}

/// The leaderboard of `runs`: runs with the same class set together (accuracies of
/// different tasks do not rank against each other), the sets in the order their first
/// run was given, best accuracy first within a set.
pub fn leaderboard(runs: &[Run]) -> Result<DataFrame> {
    let mut sets: Vec<String> = Vec::new();
    for run in runs {
        let set = class_set(&run.metrics);
        if !sets.contains(&set) {
            sets.push(set);
        }
    }
    let rows = runs.iter().map(run_row).collect::<Result<Vec<_>>>()?;
    let mut df = concat_df_diagonal(&rows)?;
    let set_order: Vec<u32> = runs
        .iter()
        .map(|r| sets.iter().position(|s| *s == class_set(&r.metrics)).unwrap_or(0) as u32)
        .collect();
    df.with_column(Column::new("set_order".into(), set_order))?;
    let sorted = df.sort(
        ["set_order", "accuracy"],
        SortMultipleOptions::default()
            .with_order_descending_multi([false, true])
            .with_maintain_order(true),
    )?;
    Ok(sorted.drop("set_order")?)
}

/// Every epoch of every run that has a history, with a leading `run` column.
pub fn histories(runs: &[Run]) -> Result<Option<DataFrame>> {
    let mut frames = Vec::new();
    for run in runs {
        if let Some(h) = &run.history {
            let mut df = history_frame(h)?;
            let n = df.height();
            df.insert_column(0, Column::new("run".into(), vec![run.name.as_str(); n]))?;
            frames.push(df);
        }
    }
    if frames.is_empty() {
        return Ok(None);
    }
    Ok(Some(concat_df_diagonal(&frames)?))
}

/// Reads every directory, writes the tables into `out`, returns the leaderboard.
pub fn compare(dirs: &[PathBuf], out: &Path) -> Result<(DataFrame, Vec<PathBuf>)> {
    if dirs.is_empty() {
        fail!(Input, "evaluate compare needs at least one evaluation directory");
    }
    let runs = dirs.iter().map(|d| read_run(d)).collect::<Result<Vec<_>>>()?;
    // Two directories with the same name would be indistinguishable in the tables.
    for (i, r) in runs.iter().enumerate() {
        if let Some(other) = runs[..i].iter().find(|o| o.name == r.name) {
            fail!(Input,
                "evaluation directories {} and {} have the same name `{}`; the leaderboard names runs by directory",
                other.dir.display(),
                r.dir.display(),
                r.name
            );
        }
    }
    let mut board = leaderboard(&runs)?;
    let hist = histories(&runs)?;
    let stage = formats::OutputSet::new(out, &["leaderboard.parquet", "histories.parquet"])?;
    write_parquet(&mut board, &stage.path("leaderboard.parquet"))?;
    if let Some(mut h) = hist {
        write_parquet(&mut h, &stage.path("histories.parquet"))?;
    }
    let written = stage.commit()?;
    Ok((board, written))
}

/// The leaderboard as plain text tables, one per class set under a `classes: …` line
/// when runs of several class sets are compared (each with only the columns its runs
/// fill); numbers to 4 decimals, nulls as `-`; narrower than polars' boxed display.
pub fn format_table(df: &DataFrame) -> String {
    let Ok(sets) = df.column("classes").and_then(|c| c.str().cloned()) else {
        return format_rows(df);
    };
    let mut names: Vec<&str> = Vec::new();
    for name in sets.iter().flatten() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.len() <= 1 {
        return format_rows(&df.drop_many(["classes"]));
    }
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        let in_set = sets.equal(*name);
        let Ok(rows) = df.filter(&in_set) else { continue };
        let filled: Vec<PlSmallStr> = rows
            .columns()
            .iter()
            .filter(|c| c.name() != "classes" && c.null_count() < c.len())
            .map(|c| c.name().clone())
            .collect();
        let Ok(rows) = rows.select(filled) else { continue };
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("classes: {name} ({} runs)\n", rows.height()));
        out.push_str(&format_rows(&rows));
    }
    out
}

/// One table: every column but `model` and `dir`, every row.
fn format_rows(df: &DataFrame) -> String {
    let shown = df.drop_many(["model", "dir"]);
    let mut columns: Vec<Vec<String>> = Vec::new();
    for col in shown.columns() {
        let mut cells = vec![col.name().to_string()];
        match col.dtype() {
            DataType::Float64 => {
                let ca = col.f64().expect("f64 column");
                cells.extend(ca.iter().map(|v| v.map_or("-".to_string(), |v| format!("{v:.4}"))));
            }
            _ => {
                let as_text = col.cast(&DataType::String).expect("any column casts to text");
                let ca = as_text.str().expect("string column");
                cells.extend(ca.iter().map(|v| v.unwrap_or("-").to_string()));
            }
        }
        columns.push(cells);
    }
    let widths: Vec<usize> =
        columns.iter().map(|c| c.iter().map(|s| s.chars().count()).max().unwrap_or(1)).collect();
    let rows = columns.first().map_or(0, Vec::len);
    let mut out = String::new();
    for r in 0..rows {
        let line: Vec<String> = columns
            .iter()
            .zip(&widths)
            .enumerate()
            .map(
                |(i, (c, &w))| {
                    if i == 0 {
                        format!("{:<w$}", c[r])
                    } else {
                        format!("{:>w$}", c[r])
                    }
                },
            )
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
