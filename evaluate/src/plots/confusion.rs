//! `confusion.png`: the confusion matrix as a heat map with counts and a colour bar.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontTransform};

use super::{
    canvas, err, heat, register_font, run_name, text_size, title_of, write_png, GlyphBackend,
    FAMILY,
};
use crate::error::Result;
use crate::Metrics;

/// Where `confusion.png` puts things, in pixels: square cells, at least 24 px and at
/// most 160 px (two classes get big cells, not a strip), the colour bar right of the
/// grid, and room for the labels and axis titles around it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ConfusionLayout {
    pub(super) title: String,
    pub(super) cell: i32,
    /// The grid's top-left corner; it is `cell × classes` wide and high.
    pub(super) left: i32,
    pub(super) top: i32,
    pub(super) grid: i32,
    /// Column labels too wide for their cell are written upwards instead of overlapping.
    pub(super) upright_columns: bool,
    pub(super) column_labels_height: i32,
    pub(super) bar_left: i32,
    pub(super) width: u32,
    pub(super) height: u32,
}

const SUBTITLE: &str = "count per cell; colour: share of the true class's rows";
pub(super) const BAR_WIDTH: i32 = 18;

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

pub(super) fn confusion_layout(m: &Metrics) -> ConfusionLayout {
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
    let root = GlyphBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
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
