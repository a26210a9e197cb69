//! `curves.png`: loss and accuracy per epoch, the best epoch marked, overfitting shaded.

use std::path::Path;

use plotters::prelude::*;

use super::{
    accuracy_range, canvas, err, padded_range, register_font, title_of, write_png, GlyphBackend,
    FAMILY,
};
use super::{BLUE, ORANGE, OVERFITTING_SHADE};
use crate::error::Result;
use formats::History;

/// Fewer epochs than this draw no curves: a baseline fitted in one go has one point.
pub const MIN_CURVE_EPOCHS: usize = 2;

/// `curves.png`: loss and accuracy per epoch, train vs validation, the best epoch
/// (lowest validation loss; lowest training loss without validation) marked, and
/// overfitting shaded where [`History::overfitting`] (the report's rule) finds it.
/// A history of fewer than [`MIN_CURVE_EPOCHS`] draws nothing. The title names `run`
/// when given ([`run_name`]).
pub fn curves_png(h: &History, run: Option<&str>, path: &Path) -> Result<()> {
    if h.epochs.len() < MIN_CURVE_EPOCHS {
        return Ok(());
    }
    register_font();
    let (width, height) = (1100, 480);
    let mut pixels = canvas(width, height);
    let root = GlyphBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let best = h.best_epoch();
    let overfitting = h.overfitting();
    let mut verdict = match best {
        Some(b) if h.has_validation() => format!(
            "best epoch {} (val_loss {:.4}, val_accuracy {:.4})",
            b.epoch,
            b.val_loss.unwrap_or(f64::NAN),
            b.val_accuracy.unwrap_or(f64::NAN)
        ),
        Some(b) => format!("best epoch {} (loss {:.4}; no validation)", b.epoch, b.loss),
        None => String::new(),
    };
    if let Some(o) = &overfitting {
        verdict.push_str(&format!(
            "; overfitting from epoch {}: validation loss rises for {} epochs",
            o.from_epoch,
            o.last_epoch + 1 - o.from_epoch
        ));
    } else if h.has_validation() {
        verdict.push_str("; no sustained rise of validation loss: no overfitting");
    }
    let heading = title_of("Training curves", run);
    let column = |f: fn(&formats::EpochRecord) -> f64| h.epochs.iter().map(f).collect::<Vec<f64>>();
    let optional =
        |f: fn(&formats::EpochRecord) -> Option<f64>| h.epochs.iter().map(f).collect::<Vec<_>>();
    let (loss, accuracy) = (column(|r| r.loss), column(|r| r.accuracy));
    let (val_loss, val_accuracy) = (optional(|r| r.val_loss), optional(|r| r.val_accuracy));
    let epochs: Vec<f64> = h.epochs.iter().map(|r| r.epoch as f64).collect();
    let (top, body) = root.split_vertically(60);
    top.draw_text(&heading, &(FAMILY, 18).into_font().color(&BLACK), (12, 10))
        .map_err(err(path))?;
    top.draw_text(&verdict, &(FAMILY, 14).into_font().color(&BLACK.mix(0.75)), (12, 36))
        .map_err(err(path))?;
    let panels = body.split_evenly((1, 2));
    let first = *epochs.first().unwrap_or(&1.0);
    let last = *epochs.last().unwrap_or(&1.0);
    let x_range = (first - 0.5)..(last.max(first + 1.0) + 0.5);

    for (panel, (name, train, val)) in
        panels.iter().zip([("loss", &loss, &val_loss), ("accuracy", &accuracy, &val_accuracy)])
    {
        let values = train.iter().copied().chain(val.iter().flatten().copied());
        let (lo, hi) =
            if name == "accuracy" { accuracy_range(values) } else { padded_range(values, false) };
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
        // The epochs of a sustained rise, shaded under the loss lines (the rule reads loss).
        if let Some(o) = overfitting.as_ref().filter(|_| name == "loss") {
            let (from, to) = (o.from_epoch as f64 - 0.5, o.last_epoch as f64 + 0.5);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(from, lo), (to, hi)],
                    OVERFITTING_SHADE.filled(),
                )))
                .map_err(err(path))?
                .label(format!("overfitting from epoch {}", o.from_epoch))
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], OVERFITTING_SHADE.filled())
                });
        }
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
