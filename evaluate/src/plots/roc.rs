//! `roc.png`: the ROC curve with its AUC and two operating points.

use std::path::Path;

use plotters::prelude::*;

use super::{canvas, err, register_font, title_of, write_png, GlyphBackend, FAMILY};
use super::{BLUE, GREEN};
use crate::error::Result;
use crate::metrics::BinaryMetrics;

/// `roc.png`: the ROC curve with its AUC, the operating point at the threshold used
/// and at the best-F1 threshold. The title names `run` when given ([`run_name`]).
pub fn roc_png(b: &BinaryMetrics, run: Option<&str>, path: &Path) -> Result<()> {
    register_font();
    let (w, h) = (620, 600);
    let mut pixels = canvas(w, h);
    let root = GlyphBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{} (positive = {}): AUC {:.4}",
                title_of("ROC", run),
                b.positive_class,
                b.roc_auc
            ),
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
