//! [`GlyphBackend`]: plotters' bitmap backend with text drawn glyph by glyph at each
//! glyph's own outline box.
//!
//! plotters' `ab_glyph` text drawing places every glyph's outline at the pen position,
//! dropping the glyph's left side bearing, so a glyph with a wide bearing ("1", "C", "o")
//! sits against its left neighbour and a gap opens after it ("AU C 0.875 0"). This
//! backend places each outline where the font puts it (pen + bearing + kerning) and
//! leaves every other drawing call to [`BitMapBackend`], whose pixels it does not touch.

use ab_glyph::{point, Font, FontRef, ScaleFont};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// The embedded font every text is drawn with.
pub(super) fn font() -> FontRef<'static> {
    // The embedded font is a valid TTF; failing here is a build error, not input.
    FontRef::try_from_slice(super::FONT).expect("embedded DejaVuSans.ttf is a readable font")
}

/// The glyphs of `text` at `size` pixels as (x, y, coverage) pixels relative to the
/// text's top left, each outline placed at pen + bearing, pens advanced with kerning.
/// The baseline sits `size / 2` below the top, as in plotters' own drawing.
pub(super) fn text_pixels(size: f64, text: &str) -> Vec<(i32, i32, f32)> {
    let font = font();
    let scaled = font.as_scaled(size as f32);
    let mut pixels = Vec::new();
    let mut pen = 0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(scaled.scale(), point(pen, 0.0));
        if let Some(outline) = scaled.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            let (x0, y0) = (bounds.min.x as i32, (size as f32 / 2.0 + bounds.min.y) as i32);
            outline.draw(|x, y, a| pixels.push((x0 + x as i32, y0 + y as i32, a)));
        }
        pen += scaled.h_advance(id);
    }
    pixels
}

/// [`BitMapBackend`] with [`text_pixels`] for text.
pub(super) struct GlyphBackend<'a>(pub BitMapBackend<'a>);

impl<'a> GlyphBackend<'a> {
    /// A backend drawing into `pixels`, an RGB canvas of `w`×`h`.
    pub fn with_buffer(pixels: &'a mut [u8], (w, h): (u32, u32)) -> Self {
        GlyphBackend(BitMapBackend::with_buffer(pixels, (w, h)))
    }
}

type Failure<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> DrawingBackend for GlyphBackend<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Failure<'a>> {
        self.0.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Failure<'a>> {
        self.0.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Failure<'a>> {
        self.0.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.0.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure<'a>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.0.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Failure<'a>> {
        self.0.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Failure<'a>> {
        self.0.fill_polygon(vert, style)
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), Failure<'a>> {
        self.0.estimate_text_size(text, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Failure<'a>> {
        self.0.blit_bitmap(pos, size, src)
    }

    /// Anchors and rotates the text as plotters does, with the glyphs of [`text_pixels`].
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Failure<'a>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        for (x, y, a) in text_pixels(style.size(), text) {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                self.0.draw_pixel((x, y), color.mix(a as f64))?;
            }
        }
        Ok(())
    }
}
