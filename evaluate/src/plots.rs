//! The pictures (PNG, plotters' bitmap backend): the confusion matrix as a heat
//! map with counts, the training curves with the best epoch marked, the ROC curve.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (`assets/`, Bitstream Vera
//! licence), so the pictures render the same on a machine without system fonts.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;

use crate::metrics::BinaryMetrics;
use crate::Metrics;
use formats::History;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TTF; failing here is a build error, not input.
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("embedded DejaVuSans.ttf is not a readable font");
        }
    });
}

fn err<E: std::fmt::Debug>(path: &Path) -> impl FnOnce(E) -> anyhow::Error + '_ {
    move |e| anyhow!("cannot draw {}: {e:?}", path.display())
}

/// A white RGB canvas of `w`×`h` pixels for plotters' in-memory bitmap backend.
fn canvas(w: u32, h: u32) -> Vec<u8> {
    vec![255; w as usize * h as usize * 3]
}

/// Encodes an RGB canvas as PNG. plotters' own encoder would pull a second major
/// version of `image` into the build; this one is already there.
fn write_png(path: &Path, pixels: &[u8], w: u32, h: u32) -> Result<()> {
    image::save_buffer_with_format(
        path,
        pixels,
        w,
        h,
        image::ColorType::Rgb8,
        image::ImageFormat::Png,
    )
    .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
}

const BLUE: RGBColor = RGBColor(31, 119, 180);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const GREEN: RGBColor = RGBColor(44, 160, 44);

/// White → dark blue.
fn heat(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0))
}

/// `confusion.png`: rows = true class, columns = predicted; each cell shows its count,
/// shaded by the share of its row (the class's recall on the diagonal).
pub fn confusion_png(m: &Metrics, path: &Path) -> Result<()> {
    register_font();
    let c = m.classes.len().max(1);
    let cell: i32 = (640 / c as i32).clamp(22, 72);
    let count_size = (cell as f64 * 0.30).clamp(8.0, 18.0);
    let label_size = 14.0_f64.min(cell as f64 * 0.45).max(9.0);
    let longest = m.classes.iter().map(|s| s.chars().count()).max().unwrap_or(1) as i32;
    let left = 40 + (longest as f64 * label_size * 0.62) as i32;
    let top = 70;
    let bottom = 60;
    let right = 30;
    let w = (left + cell * c as i32 + right).max(420) as u32;
    let h = (top + cell * c as i32 + bottom) as u32;
    let mut pixels = canvas(w, h);
    let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;

    let title = (FAMILY, 18).into_font();
    let label = (FAMILY, label_size).into_font();
    let center = Pos::new(HPos::Center, VPos::Center);
    root.draw_text(
        &format!("Confusion matrix: accuracy {:.4} on {} rows", m.accuracy, m.rows),
        &title.color(&BLACK),
        (12, 10),
    )
    .map_err(err(path))?;
    root.draw_text(
        "rows: true class, columns: predicted class",
        &(FAMILY, 13).into_font().color(&BLACK.mix(0.7)),
        (12, 36),
    )
    .map_err(err(path))?;

    for t in 0..c {
        let row_total: u64 = m.confusion[t].iter().sum();
        for p in 0..c {
            let count = m.confusion[t][p];
            let share = if row_total == 0 { 0.0 } else { count as f64 / row_total as f64 };
            let x0 = left + p as i32 * cell;
            let y0 = top + t as i32 * cell;
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell, y0 + cell)], heat(share).filled()))
                .map_err(err(path))?;
            let ink = if share > 0.5 { WHITE } else { BLACK };
            let ink = if t == p || count > 0 { ink } else { RGBColor(190, 190, 190) };
            root.draw_text(
                &count.to_string(),
                &(FAMILY, count_size).into_font().color(&ink).pos(center),
                (x0 + cell / 2, y0 + cell / 2),
            )
            .map_err(err(path))?;
        }
        // Row (true class) label, right-aligned before the grid.
        root.draw_text(
            &m.classes[t],
            &label.clone().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center)),
            (left - 8, top + t as i32 * cell + cell / 2),
        )
        .map_err(err(path))?;
    }
    // Column (predicted class) labels under the grid, alternating two lines when crowded.
    let crowded = longest as f64 * label_size * 0.6 > cell as f64;
    for p in 0..c {
        let dy = if crowded && p % 2 == 1 { label_size as i32 + 4 } else { 0 };
        root.draw_text(
            &m.classes[p],
            &label.clone().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)),
            (left + p as i32 * cell + cell / 2, top + c as i32 * cell + 6 + dy),
        )
        .map_err(err(path))?;
    }
    root.draw(&Rectangle::new(
        [(left, top), (left + cell * c as i32, top + cell * c as i32)],
        BLACK.stroke_width(1),
    ))
    .map_err(err(path))?;
    root.present().map_err(err(path))?;
    drop(root);
    write_png(path, &pixels, w, h)
}

fn padded_range(values: impl Iterator<Item = f64>, floor_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if floor_zero {
        lo = lo.min(0.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-3);
    (if floor_zero { lo } else { lo - pad }, hi + pad)
}

/// `curves.png`: loss and accuracy per epoch, train vs validation, the best epoch
/// (lowest validation loss; lowest training loss without validation) marked.
pub fn curves_png(h: &History, path: &Path) -> Result<()> {
    register_font();
    let (width, height) = (1100, 460);
    let mut pixels = canvas(width, height);
    let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let best = h.best_epoch();
    let heading = match best {
        Some(b) if h.has_validation() => format!(
            "Training curves: best epoch {} (val_loss {:.4}, val_accuracy {:.4})",
            b.epoch,
            b.val_loss.unwrap_or(f64::NAN),
            b.val_accuracy.unwrap_or(f64::NAN)
        ),
        Some(b) => {
            format!("Training curves: best epoch {} (loss {:.4}; no validation)", b.epoch, b.loss)
        }
        None => "Training curves".into(),
    };
    let column = |f: fn(&formats::EpochRecord) -> f64| h.epochs.iter().map(f).collect::<Vec<f64>>();
    let optional =
        |f: fn(&formats::EpochRecord) -> Option<f64>| h.epochs.iter().map(f).collect::<Vec<_>>();
    let (loss, accuracy) = (column(|r| r.loss), column(|r| r.accuracy));
    let (val_loss, val_accuracy) = (optional(|r| r.val_loss), optional(|r| r.val_accuracy));
    let epochs: Vec<f64> = h.epochs.iter().map(|r| r.epoch as f64).collect();
    let (top, body) = root.split_vertically(40);
    top.draw_text(&heading, &(FAMILY, 18).into_font().color(&BLACK), (12, 12))
        .map_err(err(path))?;
    let panels = body.split_evenly((1, 2));
    let first = *epochs.first().unwrap_or(&1.0);
    let last = *epochs.last().unwrap_or(&1.0);
    let x_range = (first - 0.5)..(last.max(first + 1.0) + 0.5);

    for (panel, (name, train, val)) in
        panels.iter().zip([("loss", &loss, &val_loss), ("accuracy", &accuracy, &val_accuracy)])
    {
        let (lo, hi) =
            padded_range(train.iter().copied().chain(val.iter().flatten().copied()), false);
        let mut chart = ChartBuilder::on(panel)
            .caption(name, (FAMILY, 16))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x_range.clone(), lo..hi)
            .map_err(err(path))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(name)
            .x_labels(epochs.len().min(12) + 1)
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-9 {
                    format!("{}", v.round() as i64)
                } else {
                    String::new()
                }
            })
            .label_style((FAMILY, 12))
            .axis_desc_style((FAMILY, 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err(path))?;
        let train_pts: Vec<(f64, f64)> =
            epochs.iter().copied().zip(train.iter().copied()).collect();
        chart
            .draw_series(LineSeries::new(train_pts.clone(), BLUE.stroke_width(2)))
            .map_err(err(path))?
            .label(format!("train {name}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        chart
            .draw_series(train_pts.iter().map(|&p| Circle::new(p, 3, BLUE.filled())))
            .map_err(err(path))?;
        let val_pts: Vec<(f64, f64)> =
            epochs.iter().copied().zip(val.iter()).filter_map(|(e, v)| v.map(|v| (e, v))).collect();
        if !val_pts.is_empty() {
            chart
                .draw_series(LineSeries::new(val_pts.clone(), ORANGE.stroke_width(2)))
                .map_err(err(path))?
                .label(format!("validation {name}"))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], ORANGE.stroke_width(2))
                });
            chart
                .draw_series(val_pts.iter().map(|&p| Circle::new(p, 3, ORANGE.filled())))
                .map_err(err(path))?;
        }
        if let Some(b) = best {
            let e = b.epoch as f64;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(e, lo), (e, hi)],
                    6,
                    4,
                    RED.mix(0.8).stroke_width(2),
                ))
                .map_err(err(path))?
                .label(format!("best epoch {}", e as i64))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .label_font((FAMILY, 12))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(if name == "loss" {
                SeriesLabelPosition::UpperRight
            } else {
                SeriesLabelPosition::LowerRight
            })
            .draw()
            .map_err(err(path))?;
    }
    // The split areas share the backend, and with it the borrow of `pixels`.
    drop((top, body, panels));
    root.present().map_err(err(path))?;
    drop(root);
    write_png(path, &pixels, width, height)
}

/// `roc.png`: the ROC curve with its AUC, the operating point at the threshold used
/// and at the best-F1 threshold.
pub fn roc_png(b: &BinaryMetrics, path: &Path) -> Result<()> {
    register_font();
    let (w, h) = (620, 600);
    let mut pixels = canvas(w, h);
    let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("ROC (positive = {}): AUC {:.4}", b.positive_class, b.roc_auc),
            (FAMILY, 17),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..1.0, 0.0..1.0)
        .map_err(err(path))?;
    chart
        .configure_mesh()
        .x_desc("false positive rate")
        .y_desc("true positive rate (recall)")
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 13))
        .draw()
        .map_err(err(path))?;
    chart
        .draw_series(DashedLineSeries::new(
            vec![(0.0, 0.0), (1.0, 1.0)],
            6,
            4,
            BLACK.mix(0.4).stroke_width(1),
        ))
        .map_err(err(path))?;
    let pts: Vec<(f64, f64)> = b.roc_fpr.iter().copied().zip(b.roc_tpr.iter().copied()).collect();
    chart
        .draw_series(LineSeries::new(pts, BLUE.stroke_width(2)))
        .map_err(err(path))?
        .label("ROC curve")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], BLUE.stroke_width(2)));
    // The operating point of a threshold t: the last curve point whose threshold is ≥ t.
    let point_at = |t: f64| -> Option<(f64, f64)> {
        b.roc_thresholds.iter().rposition(|&th| th >= t).map(|i| (b.roc_fpr[i], b.roc_tpr[i]))
    };
    if let Some(p) = point_at(b.threshold) {
        chart
            .draw_series(std::iter::once(Circle::new(p, 6, RED.filled())))
            .map_err(err(path))?
            .label(format!(
                "threshold {:.3}: recall {:.3}, precision {:.3}",
                b.threshold, b.at_threshold.recall, b.at_threshold.precision
            ))
            .legend(|(x, y)| Circle::new((x + 9, y), 5, RED.filled()));
    }
    if let Some(t) = b.threshold_for_min_recall {
        if let Some(p) = point_at(t) {
            chart
                .draw_series(std::iter::once(TriangleMarker::new(p, 8, GREEN.filled())))
                .map_err(err(path))?
                .label(format!("recall ≥ {}: threshold {:.3}", b.min_recall.unwrap_or(0.0), t))
                .legend(|(x, y)| TriangleMarker::new((x + 9, y), 6, GREEN.filled()));
        }
    }
    chart
        .configure_series_labels()
        .label_font((FAMILY, 12))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(err(path))?;
    drop(chart);
    root.present().map_err(err(path))?;
    drop(root);
    write_png(path, &pixels, w, h)
}
