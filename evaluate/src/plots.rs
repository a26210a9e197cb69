//! The pictures (PNG, plotters' bitmap backend): the confusion matrix as a heat
//! map with counts, the training curves with the best epoch marked, the ROC curve.
//! Each title names its run ([`run_name`] of the model's path).
//!
//! Text is drawn with DejaVu Sans embedded in the binary (`assets/`, Bitstream Vera
//! licence), so the pictures render the same on a machine without system fonts.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontStyle, FontTransform};

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
/// The background of the epochs that overfit, under the loss lines.
const OVERFITTING_SHADE: RGBColor = RGBColor(253, 224, 224);

/// White → dark blue.
fn heat(t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0))
}

/// The run a model path belongs to, for the pictures' titles: `RUN` for the
/// pipeline's layout `…/RUN/model/model.onnx`, the folder for another `…/DIR/model.onnx`,
/// else the file's stem (`models/cnn-v2.onnx` → `cnn-v2`); `None` for no path.
pub fn run_name(model: &str) -> Option<String> {
    let path = Path::new(model);
    let stem = path.file_stem()?.to_str()?;
    fn folder(p: Option<&Path>) -> Option<&str> {
        p.and_then(Path::file_name).and_then(|n| n.to_str())
    }
    let parent = path.parent();
    let run = match (folder(parent), folder(parent.and_then(Path::parent))) {
        (Some("model"), Some(run)) => run,
        (Some(dir), _) if stem == "model" => dir,
        _ => stem,
    };
    Some(run.to_string())
}

/// A picture's title, naming its run when known: "Confusion matrix of run mlp".
fn title_of(what: &str, run: Option<&str>) -> String {
    match run {
        Some(run) => format!("{what} of run {run}"),
        None => what.to_string(),
    }
}

/// A text's width and height in pixels as `font` draws it (0×0 if it cannot tell).
fn text_size(font: &FontDesc, text: &str) -> (i32, i32) {
    font.box_size(text).map(|(w, h)| (w as i32, h as i32)).unwrap_or((0, 0))
}

/// Where `confusion.png` puts things, in pixels: square cells, at least 24 px and at
/// most 160 px (two classes get big cells, not a strip), the colour bar right of the
/// grid, and room for the labels and axis titles around it.
#[derive(Debug, Clone, PartialEq)]
struct ConfusionLayout {
    title: String,
    cell: i32,
    /// The grid's top-left corner; it is `cell × classes` wide and high.
    left: i32,
    top: i32,
    grid: i32,
    /// Column labels too wide for their cell are written upwards instead of overlapping.
    upright_columns: bool,
    column_labels_height: i32,
    bar_left: i32,
    width: u32,
    height: u32,
}

const SUBTITLE: &str = "count per cell; colour: share of the true class's rows";
const BAR_WIDTH: i32 = 18;

struct ConfusionFonts<'a> {
    title: FontDesc<'a>,
    subtitle: FontDesc<'a>,
    label: FontDesc<'a>,
    axis: FontDesc<'a>,
    small: FontDesc<'a>,
    count: FontDesc<'a>,
}

impl ConfusionFonts<'_> {
    fn for_cell(cell: i32) -> Self {
        ConfusionFonts {
            title: (FAMILY, 18).into_font(),
            subtitle: (FAMILY, 13).into_font(),
            label: (FAMILY, 14.0_f64.min(cell as f64 * 0.45).max(9.0)).into_font(),
            axis: (FAMILY, 15).into_font(),
            small: (FAMILY, 12).into_font(),
            count: (FAMILY, (cell as f64 * 0.30).clamp(8.0, 22.0)).into_font(),
        }
    }

    fn axis_height(&self) -> i32 {
        text_size(&self.axis, "Xg").1
    }
}

fn confusion_layout(m: &Metrics) -> ConfusionLayout {
    register_font();
    let n = m.classes.len().max(1) as i32;
    let cell: i32 = (640 / n).clamp(24, 160);
    let fonts = ConfusionFonts::for_cell(cell);
    let title = format!(
        "{}: accuracy {:.4} on {} rows",
        title_of("Confusion matrix", run_name(&m.model).as_deref()),
        m.accuracy,
        m.rows
    );
    let label_width = m.classes.iter().map(|t| text_size(&fonts.label, t).0).max().unwrap_or(0);
    let upright_columns = label_width + 8 <= cell;
    let column_labels_height =
        if upright_columns { text_size(&fonts.label, "Xg").1 } else { label_width };
    let axis_height = fonts.axis_height();
    let tick_width = text_size(&fonts.small, "100%").0;

    let grid = cell * n;
    let left = 12 + axis_height + 10 + label_width + 8;
    let top = 76;
    let bottom = 8 + column_labels_height + 12 + axis_height + 12;
    let bar_left = left + grid + 28;
    let right_edge = bar_left + BAR_WIDTH + 6 + tick_width + 10 + axis_height + 12;
    let width = [
        right_edge,
        24 + text_size(&fonts.title, &title).0,
        24 + text_size(&fonts.subtitle, SUBTITLE).0,
        480,
    ]
    .into_iter()
    .max()
    .unwrap_or(480);
    ConfusionLayout {
        title,
        cell,
        left,
        top,
        grid,
        upright_columns,
        column_labels_height,
        bar_left,
        width: width as u32,
        height: (top + grid + bottom) as u32,
    }
}

/// `confusion.png`: rows = true class, columns = predicted; each cell shows its count,
/// shaded by the share of its row (the class's recall on the diagonal), with axis
/// titles and a colour bar for that share ([`ConfusionLayout`]).
pub fn confusion_png(m: &Metrics, path: &Path) -> Result<()> {
    let l = confusion_layout(m);
    let fonts = ConfusionFonts::for_cell(l.cell);
    let (c, cell, left, top, grid) = (m.classes.len(), l.cell, l.left, l.top, l.grid);
    let (w, h) = (l.width, l.height);
    let mut pixels = canvas(w, h);
    let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(err(path))?;

    let center = Pos::new(HPos::Center, VPos::Center);
    root.draw_text(&l.title, &fonts.title.color(&BLACK), (12, 10)).map_err(err(path))?;
    root.draw_text(SUBTITLE, &fonts.subtitle.color(&BLACK.mix(0.7)), (12, 38))
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
                &fonts.count.clone().color(&ink).pos(center),
                (x0 + cell / 2, y0 + cell / 2),
            )
            .map_err(err(path))?;
        }
        // Row (true class) label, right-aligned before the grid.
        root.draw_text(
            &m.classes[t],
            &fonts.label.clone().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center)),
            (left - 8, top + t as i32 * cell + cell / 2),
        )
        .map_err(err(path))?;
    }
    // Column (predicted class) labels under the grid: upright when they fit their
    // cell, else written upwards, ending at the grid.
    for p in 0..c {
        let x = left + p as i32 * cell + cell / 2;
        let style = if l.upright_columns {
            fonts.label.clone().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top))
        } else {
            fonts
                .label
                .clone()
                .transform(FontTransform::Rotate270)
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center))
        };
        root.draw_text(&m.classes[p], &style, (x, top + grid + 8)).map_err(err(path))?;
    }
    root.draw(&Rectangle::new([(left, top), (left + grid, top + grid)], BLACK.stroke_width(1)))
        .map_err(err(path))?;
    // Axis titles: predicted class under the column labels, true class up the left side.
    let axis_height = fonts.axis_height();
    root.draw_text(
        "predicted class",
        &fonts.axis.clone().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)),
        (left + grid / 2, top + grid + 8 + l.column_labels_height + 12),
    )
    .map_err(err(path))?;
    let upwards = fonts.axis.clone().transform(FontTransform::Rotate270);
    root.draw_text(
        "true class",
        &upwards.color(&BLACK).pos(center),
        (12 + axis_height / 2, top + grid / 2),
    )
    .map_err(err(path))?;

    // Colour bar: share of the row from 0% (bottom) to 100% (top), ticks every 25%.
    let bar_left = l.bar_left;
    for y in 0..grid {
        let share = 1.0 - y as f64 / (grid - 1).max(1) as f64;
        root.draw(&Rectangle::new(
            [(bar_left, top + y), (bar_left + BAR_WIDTH, top + y + 1)],
            heat(share).filled(),
        ))
        .map_err(err(path))?;
    }
    root.draw(&Rectangle::new(
        [(bar_left, top), (bar_left + BAR_WIDTH, top + grid)],
        BLACK.stroke_width(1),
    ))
    .map_err(err(path))?;
    for quarter in 0..=4 {
        let y = top + grid - quarter * grid / 4;
        let tick_end = bar_left + BAR_WIDTH + 4;
        root.draw(&PathElement::new(vec![(bar_left + BAR_WIDTH, y), (tick_end, y)], BLACK))
            .map_err(err(path))?;
        root.draw_text(
            &format!("{}%", quarter * 25),
            &fonts.small.clone().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center)),
            (tick_end + 2, y),
        )
        .map_err(err(path))?;
    }
    let tick_width = text_size(&fonts.small, "100%").0;
    root.draw_text(
        "share of the true class",
        &upwards.color(&BLACK).pos(center),
        (bar_left + BAR_WIDTH + 6 + tick_width + 10 + axis_height / 2, top + grid / 2),
    )
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
    let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
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

/// `roc.png`: the ROC curve with its AUC, the operating point at the threshold used
/// and at the best-F1 threshold. The title names `run` when given ([`run_name`]).
pub fn roc_png(b: &BinaryMetrics, run: Option<&str>, path: &Path) -> Result<()> {
    register_font();
    let (w, h) = (620, 600);
    let mut pixels = canvas(w, h);
    let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
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

#[cfg(test)]
mod tests;
