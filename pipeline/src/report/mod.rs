//! `pipeline report`: the lab report, written from the stage outputs only.
//!
//! For every experiment of the manifest (a model and its variants, or a baseline)
//! it reads `OUT/runs/RUN/model/summary.json` (topology, weights and their
//! formulas, optimizer, loss), `OUT/runs/RUN/model/history.parquet` (curves, best
//! epoch, overfitting) and `OUT/runs/RUN/eval/metrics.json` (test loss and
//! accuracy, confusion, P/R/F1, ROC), copies the pictures `evaluate` drew, and
//! writes `REPORT/index.md` and an offline `REPORT/index.html`. No number is typed
//! here: a missing file is said to be missing, never filled in.
//!
//! `reading` reads the outputs, `sections` turns them into the blocks of
//! `document`, which renders them as Markdown and HTML; `write_report` below
//! puts the sections in order and writes the directory.

mod document;
mod format;
mod inputs;
mod pictures;
mod reading;
mod sections;

use std::path::{Path, PathBuf};

use crate::error::{Context, ErrorKind, Result};
use crate::manifest::{Manifest, Run};

use document::{md_text, to_html, to_markdown, Block};
use format::{f4, show, show_opt};
use inputs::{describe_input, hog_pictures_blocks};
use reading::{has_curves, read_run, RunOutputs};
use sections::{layer_table, params_of, run_detail, topology_line, training_blocks};

pub use format::thousands;
pub use reading::{read_curves, CurveReading};
pub use sections::confused_pairs_in_words;

/// `pipeline report`'s flags: the manifest whose runs it reports, and where.
#[derive(Debug, Clone, PartialEq, serde::Serialize, clap::Args)]
pub struct ReportArgs {
    /// The manifest.
    #[arg(long, default_value = "pipeline.toml")]
    pub manifest: PathBuf,
    /// The report directory (replaced as a whole).
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
}

impl ReportArgs {
    /// The words after `pipeline report`.
    pub fn to_args(&self) -> Vec<String> {
        params::to_args(self)
    }
}

/// `markdown` as the report's standalone HTML page titled `title`: raw HTML in it is
/// shown as text, and only links to the page's anchors and pictures under `img/` stay.
pub fn markdown_page(title: &str, markdown: &str) -> String {
    to_html(title, markdown)
}

/// The file that marks a directory as a report `pipeline report` may replace.
pub const REPORT_MARKER: &str = ".lab-report";

/// Writes `out_dir/index.md`, `out_dir/index.html` and `out_dir/img/`, replacing
/// the directory as a whole. Returns a one-line summary for the terminal.
pub fn write_report(m: &Manifest, out_dir: &Path) -> Result<String> {
    let tmp = formats::AtomicPath::new(out_dir)?;
    tmp.create_dir()?;
    std::fs::create_dir_all(tmp.temp().join("img"))
        .context(ErrorKind::Output, || format!("cannot create {}", tmp.temp().display()))?;
    let outputs: Vec<(Run, RunOutputs)> =
        m.runs.iter().map(|r| (r.clone(), read_run(m, r))).collect();
    let find =
        |name: &str| outputs.iter().find(|(r, _)| r.name == name).expect("run of the manifest");

    let mut doc = Vec::new();
    let title = "Lab report: MLP, HOG, CNN and pneumonia experiments";
    doc.push(Block::Heading(1, title.into()));
    doc.push(Block::Para(format!(
        "Written by `pipeline report` from the manifest {} and the stage outputs under {}/: summary.json and history.parquet (train), metrics.json and its pictures (evaluate). Nothing here is typed by hand.",
        md_text(&m.file.display().to_string()),
        md_text(&m.settings.out.display().to_string())
    )));
    if m.runs.iter().any(|r| r.synthetic) {
        doc.push(Block::Note(
            "Runs marked SYNTHETIC use generated X-ray-like images (ingest synth-xray), not real chest X-rays: their numbers say that the pipeline works, not how well a model detects pneumonia. Point the folders dataset's `root` at a real Kaggle chest_xray/ directory to run the experiment for real.".into(),
        ));
    }
    let complete = outputs.iter().filter(|(_, o)| o.metrics.is_some()).count();
    if complete < outputs.len() {
        doc.push(Block::Note(format!(
            "{complete} of {} runs have an evaluation; the others are listed as missing.",
            outputs.len()
        )));
    }

    // Leaderboard: every evaluated run, best test accuracy first.
    doc.push(Block::Heading(2, "Leaderboard".into()));
    let mut board: Vec<(&Run, &RunOutputs, f64)> = outputs
        .iter()
        .filter_map(|(r, o)| {
            Some((r, o, o.metrics.as_ref().map(|mt| mt.accuracy).filter(|a| !a.is_nan())?))
        })
        .collect();
    board.sort_by(|a, b| b.2.total_cmp(&a.2));
    let rows = board
        .iter()
        .enumerate()
        .map(|(i, (r, o, acc))| {
            let mt = o.metrics.as_ref().unwrap();
            vec![
                (i + 1).to_string(),
                md_text(&r.name),
                md_text(&r.experiment),
                o.summary.as_ref().map(params_of).map(thousands).unwrap_or_else(|| "–".into()),
                f4(*acc),
                show(mt.log_loss),
                show(mt.macro_avg.f1),
                if r.synthetic { "SYNTHETIC".into() } else { String::new() },
            ]
        })
        .collect();
    doc.push(Block::Table(
        ["#", "run", "experiment", "weights", "test accuracy", "test loss", "macro F1", "data"]
            .map(String::from)
            .to_vec(),
        rows,
    ));

    for (i, exp) in m.experiments.iter().enumerate() {
        let synthetic = exp.runs.iter().any(|r| find(r).0.synthetic);
        doc.push(Block::Heading(
            2,
            format!(
                "{}. {}{}",
                i + 1,
                md_text(&exp.title),
                if synthetic { " — SYNTHETIC data" } else { "" }
            ),
        ));
        let (base, base_out) = find(&exp.runs[0]);
        doc.push(Block::Para(format!("Input: {}.", describe_input(m, base))));
        if synthetic {
            doc.push(Block::Note(
                "SYNTHETIC: these results come from generated images, not real chest X-rays."
                    .into(),
            ));
        }
        hog_pictures_blocks(m, &exp.runs, tmp.temp(), &mut doc)?;
        if let Some(s) = &base_out.summary {
            training_blocks(s, &mut doc);
            doc.push(Block::Para(topology_line(s)));
            doc.push(Block::Heading(3, "Weights".into()));
            doc.push(layer_table(s));
        }
        // Variants side by side.
        doc.push(Block::Heading(
            3,
            if exp.runs.len() > 1 { "Variants".into() } else { "Result".into() },
        ));
        let rows = exp
            .runs
            .iter()
            .map(|name| {
                let (r, o) = find(name);
                let reading = o.history.as_ref().and_then(read_curves);
                vec![
                    md_text(&r.name),
                    if r.changes.is_empty() {
                        "(base)".into()
                    } else {
                        md_text(&r.changes.join("; "))
                    },
                    o.summary.as_ref().map(params_of).map(thousands).unwrap_or_else(|| "–".into()),
                    // A baseline fitted in one go has no epochs to count.
                    o.history
                        .as_ref()
                        .filter(|h| has_curves(h))
                        .map(|h| h.epochs.len().to_string())
                        .unwrap_or_else(|| "–".into()),
                    reading
                        .as_ref()
                        .map(|c| c.best_epoch.to_string())
                        .unwrap_or_else(|| "–".into()),
                    reading
                        .as_ref()
                        .and_then(|c| c.overfitting_from)
                        .map(|e| format!("from epoch {e}"))
                        .unwrap_or_else(|| "–".into()),
                    show_opt(o.metrics.as_ref().map(|x| x.log_loss)),
                    show_opt(o.metrics.as_ref().map(|x| x.accuracy)),
                ]
            })
            .collect();
        doc.push(Block::Table(
            [
                "run",
                "change",
                "weights",
                "epochs",
                "best epoch",
                "overfitting",
                "test loss",
                "test accuracy",
            ]
            .map(String::from)
            .to_vec(),
            rows,
        ));
        // The rule behind the overfitting column and every run's verdict, said once here.
        let any_verdict = exp.runs.iter().any(|name| {
            find(name).1.history.as_ref().is_some_and(|h| has_curves(h) && read_curves(h).is_some())
        });
        if any_verdict {
            doc.push(Block::Para(formats::history::OVERFITTING_RULE.into()));
        }
        let base_params = base_out.summary.as_ref().map(params_of);
        for name in &exp.runs {
            let (r, o) = find(name);
            // A variant with another topology gets its own weight table.
            if r.variant.is_some() {
                if let Some(s) = &o.summary {
                    if Some(params_of(s)) != base_params {
                        doc.push(Block::Heading(4, format!("Weights of `{}`", r.name)));
                        doc.push(layer_table(s));
                    }
                }
            }
            run_detail(m, r, o, tmp.temp(), &mut doc)?;
        }
    }

    let md = to_markdown(&doc);
    let html = to_html(title, &md);
    let write = |name: &str, text: &str| -> Result<()> {
        let p: PathBuf = tmp.temp().join(name);
        std::fs::write(&p, text)
            .context(ErrorKind::Output, || format!("cannot write {}", p.display()))
    };
    write("index.html", &html)?;
    write("index.md", &md)?;
    // A report directory replaces only a report directory (its marker, or what a report
    // of an earlier version holds), never a folder of someone's files.
    std::fs::write(tmp.temp().join(REPORT_MARKER), "written by `pipeline report`\n")
        .context(ErrorKind::Output, || format!("cannot write {}", tmp.temp().display()))?;
    tmp.commit_replacing(&|dir| {
        dir.join(REPORT_MARKER).is_file()
            || formats::atomic::only_names(dir, |n| ["index.md", "index.html", "img"].contains(&n))
    })?;
    Ok(format!(
        "report: {} ({complete} of {} runs evaluated; also index.html)",
        out_dir.join("index.md").display(),
        m.runs.len()
    ))
}
