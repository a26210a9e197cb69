//! The pictures (PNG, plotters' bitmap backend): the confusion matrix as a heat
//! map with counts, the training curves with the best epoch marked, the ROC curve.
//! Each title names its run ([`run_name`] of the model's path).
//!
//! Text is drawn with DejaVu Sans embedded in the binary (`assets/`, Bitstream Vera
//! licence), so the pictures render the same on a machine without system fonts, by
//! [`text::GlyphBackend`], which spaces glyphs as the font does.
//!
//! One file per picture: [`confusion_png`], [`curves_png`], [`roc_png`]; this one
//! holds what they share (font, canvas, PNG encoding, colours, titles).

mod confusion;
mod curves;
mod roc;
mod text;

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontDesc, FontStyle};

use crate::error::{Error, ErrorKind, Result};

pub use confusion::confusion_png;
pub use curves::{curves_png, MIN_CURVE_EPOCHS};
pub use roc::roc_png;

use text::GlyphBackend;

#[cfg(test)]
use confusion::{confusion_layout, BAR_WIDTH};

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Makes the embedded font the one plotters draws `FAMILY` with (once per process).
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TTF; failing here is a build error, not input.
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            panic!("embedded DejaVuSans.ttf is not a readable font");
        }
    });
}

/// A drawing failure as the error that names the picture.
fn err<E: std::fmt::Debug>(path: &Path) -> impl FnOnce(E) -> Error + '_ {
    move |e| Error::new(ErrorKind::Output, format!("cannot draw {}: {e:?}", path.display()))
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
    .map_err(|e| Error::new(ErrorKind::Output, format!("cannot write {}: {e}", path.display())))
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

/// The y range of a chart: the finite values with 8 % margin, from 0 with `floor_zero`.
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

/// The least span of an accuracy axis: a run that moves a few thousandths stays flat.
const MIN_ACCURACY_SPAN: f64 = 0.1;

/// The y range of an accuracy chart: [`padded_range`] widened to at least
/// [`MIN_ACCURACY_SPAN`] around its middle, kept within 0–1 (plus the margin a point
/// at 0 or 1 needs to be drawn whole).
fn accuracy_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = padded_range(values, false);
    if hi - lo >= MIN_ACCURACY_SPAN {
        return (lo, hi);
    }
    let mid = (lo + hi) / 2.0;
    let (lo, hi) = (mid - MIN_ACCURACY_SPAN / 2.0, mid + MIN_ACCURACY_SPAN / 2.0);
    let (bottom, top) = (-0.01, 1.01);
    if hi > top {
        (top - MIN_ACCURACY_SPAN, top)
    } else if lo < bottom {
        (bottom, bottom + MIN_ACCURACY_SPAN)
    } else {
        (lo, hi)
    }
}

#[cfg(test)]
mod tests;
