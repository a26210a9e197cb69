//! The pictures: run names in their titles, the confusion matrix's layout and colour
//! bar, the curves' overfitting shading.

use super::*;
use crate::Metrics;
use formats::metrics::{ClassMetrics, Scores};
use formats::History;

fn binary_metrics(model: &str) -> Metrics {
    let scores = Scores { precision: 0.8, recall: 0.7, f1: 0.75 };
    let class =
        |name: &str| ClassMetrics { class: name.into(), scores: scores.clone(), support: 30 };
    Metrics {
        rows: 60,
        classes: vec!["NORMAL".into(), "PNEUMONIA".into()],
        accuracy: 0.75,
        log_loss: 0.55,
        per_class: vec![class("NORMAL"), class("PNEUMONIA")],
        macro_avg: scores.clone(),
        weighted: scores,
        confusion: vec![vec![20, 10], vec![3, 27]],
        top_confused: vec![],
        binary: None,
        model: model.into(),
        data: String::new(),
        history: None,
        input: String::new(),
        output: String::new(),
        score_transform: String::new(),
        batch_size: 0,
        threads: 0,
        seconds: 0.0,
        rows_per_second: 0.0,
    }
}

#[test]
fn a_picture_names_its_run_from_the_model_path() {
    assert_eq!(run_name("out/runs/mlp/model/model.onnx").as_deref(), Some("mlp"));
    assert_eq!(
        run_name("/abs/out/runs/cnn-lr0.01/model/model.onnx").as_deref(),
        Some("cnn-lr0.01")
    );
    assert_eq!(run_name("tests/fixtures/binary/model.onnx").as_deref(), Some("binary"));
    assert_eq!(run_name("models/cnn-v2.onnx").as_deref(), Some("cnn-v2"));
    assert_eq!(run_name("model.onnx").as_deref(), Some("model"));
    assert_eq!(run_name(""), None, "another program's metrics.json without a model");
    let l = confusion_layout(&binary_metrics("out/runs/pneumonia/model/model.onnx"));
    assert_eq!(l.title, "Confusion matrix of run pneumonia: accuracy 0.7500 on 60 rows");
    let l = confusion_layout(&binary_metrics(""));
    assert_eq!(l.title, "Confusion matrix: accuracy 0.7500 on 60 rows");
}

#[test]
fn the_binary_confusion_picture_has_big_square_cells_and_upright_labels() {
    let l = confusion_layout(&binary_metrics("out/runs/pn/model/model.onnx"));
    assert!(l.width >= 480, "{l:?}");
    assert_eq!((l.cell, l.grid), (160, 320), "two cells of 160 px each way");
    assert!(l.upright_columns, "NORMAL and PNEUMONIA fit under their cells: {l:?}");
    // Ten classes of long names do not fit under 64-px cells: they are written upwards.
    let mut m = binary_metrics("m.onnx");
    m.classes = (0..10).map(|i| format!("long class name {i}")).collect();
    m.confusion = vec![vec![1; 10]; 10];
    let l = confusion_layout(&m);
    assert_eq!(l.cell, 64);
    assert!(!l.upright_columns && l.column_labels_height > l.cell, "{l:?}");
}

#[test]
fn the_confusion_picture_has_a_colour_bar_from_0_to_100_percent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("confusion.png");
    let m = binary_metrics("out/runs/pn/model/model.onnx");
    confusion_png(&m, &path).unwrap();
    let png = image::open(&path).unwrap().to_rgb8();
    let l = confusion_layout(&m);
    assert_eq!((png.width(), png.height()), (l.width, l.height));
    let colour = |x: i32, y: i32| {
        let p = png.get_pixel(x as u32, y as u32);
        RGBColor(p[0], p[1], p[2])
    };
    let mid = l.bar_left + BAR_WIDTH / 2;
    // The bar's first and last rows inside its black border.
    assert_eq!(colour(mid, l.top + 1), heat(1.0 - 1.0 / (l.grid - 1) as f64), "top: 100%");
    assert_eq!(colour(mid, l.top + l.grid - 2), heat(1.0 / (l.grid - 1) as f64), "bottom: 0%");
    assert_eq!(colour(mid, l.top + l.grid / 2), heat(0.5 - 0.5 / (l.grid - 1) as f64));
    // Cell (PNEUMONIA, PNEUMONIA): 27 of 30, shaded 0.9; sampled off its count.
    assert_eq!(colour(l.left + l.cell + 6, l.top + l.cell + 6), heat(0.9));
}

#[test]
fn curves_mark_overfitting_by_the_history_rule_and_a_single_epoch_draws_none() {
    let record = |epoch: usize, loss: f64, val_loss: f64| formats::EpochRecord {
        epoch,
        loss,
        accuracy: 0.9,
        val_loss: Some(val_loss),
        val_accuracy: Some(0.8),
        seconds: None,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("curves.png");
    let one = History { epochs: vec![record(1, 0.3, 0.35)] };
    curves_png(&one, None, &path).unwrap();
    assert!(!path.exists(), "one point is no curve");

    let val = [0.5, 0.3, 0.2, 0.25, 0.3, 0.4];
    let epochs = val.iter().enumerate().map(|(i, &v)| record(i + 1, 1.0 - 0.1 * i as f64, v));
    let h = History { epochs: epochs.collect() };
    assert_eq!(h.overfitting().map(|o| o.from_epoch), Some(4));
    curves_png(&h, Some("mlp"), &path).unwrap();
    let png = image::open(&path).unwrap().to_rgb8();
    assert_eq!((png.width(), png.height()), (1100, 480));
    let shaded = |png: &image::RgbImage| {
        let RGBColor(r, g, b) = OVERFITTING_SHADE;
        png.pixels().filter(|p| p.0 == [r, g, b]).count()
    };
    // Epochs 4 to 6 of 6: a quarter of the loss panel's plot area, at least.
    assert!(shaded(&png) > 20_000, "the overfitting epochs are shaded: {}", shaded(&png));
    // Still falling at the end: nothing shaded.
    let val = [0.5, 0.3, 0.2, 0.19, 0.18, 0.17];
    let epochs = val.iter().enumerate().map(|(i, &v)| record(i + 1, 1.0 - 0.1 * i as f64, v));
    curves_png(&History { epochs: epochs.collect() }, None, &path).unwrap();
    assert_eq!(shaded(&image::open(&path).unwrap().to_rgb8()), 0);
}

#[test]
fn an_accuracy_axis_spans_at_least_a_tenth_within_0_to_1() {
    let close = |(lo, hi): (f64, f64), (want_lo, want_hi): (f64, f64)| {
        assert!((lo - want_lo).abs() < 1e-9 && (hi - want_hi).abs() < 1e-9, "{lo}..{hi}");
    };
    // A flat run (0.736–0.750) is drawn on 0.693–0.793, not zoomed to its wobble.
    close(accuracy_range([0.736, 0.75, 0.74].into_iter()), (0.693, 0.793));
    // Near the top the span ends just above 1.
    close(accuracy_range([0.99, 1.0].into_iter()), (0.91, 1.01));
    close(accuracy_range([0.0, 0.01].into_iter()), (-0.01, 0.09));
    // A span wider than the least keeps its 8 % margin.
    close(accuracy_range([0.5, 1.0].into_iter()), (0.46, 1.04));
}

#[test]
fn glyphs_sit_at_their_bearing_so_digits_are_evenly_spaced() {
    let ink_columns = |text: &str| -> Vec<i32> {
        let mut xs: Vec<i32> =
            text::text_pixels(24.0, text).iter().filter(|p| p.2 > 0.5).map(|p| p.0).collect();
        xs.sort();
        xs.dedup();
        xs
    };
    // "1" has a left bearing of 2 px and more at 24 px in DejaVu Sans: its ink starts right of
    // the pen, not at it.
    assert_eq!(ink_columns("1")[0], 2, "{:?}", ink_columns("1"));
    // In "111" every digit advances by the same width, so the two gaps between inks match.
    let cols = ink_columns("111");
    let gaps: Vec<i32> = cols.windows(2).map(|w| w[1] - w[0]).filter(|&g| g > 1).collect();
    assert_eq!(gaps.len(), 2, "{cols:?}");
    assert!((gaps[0] - gaps[1]).abs() <= 1, "{gaps:?}");
    // The pen advances by the font's width of "1": the second "1" starts that far
    // after the first.
    let second = cols[cols.windows(2).position(|w| w[1] - w[0] > 1).unwrap() + 1];
    let advance = {
        use ab_glyph::{Font, ScaleFont};
        let font = text::font();
        let scaled = font.as_scaled(24.0);
        scaled.h_advance(scaled.glyph_id('1'))
    };
    assert!(((second - cols[0]) as f32 - advance).abs() <= 1.0, "{cols:?} {advance}");
}
