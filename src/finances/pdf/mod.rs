//! A small PDF layer over printpdf for receipts and reports: DejaVu Sans embedded in the binary
//! (Ukrainian text renders and stays extractable), text measured with the font's own advances
//! for right alignment and wrapping, rectangles, rules and a QR code, pages that break when full.
//!
//! Everything here is synchronous and CPU-bound: callers run it in `spawn_blocking`.

mod qr;

use std::sync::LazyLock;

use printpdf::{
    Color, FontId, Mm, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt,
    Rect, Rgb, TextItem, WindingOrder,
};

pub use qr::qr_ops;

use crate::money::Money;

static REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

static REGULAR: LazyLock<Option<ParsedFont>> = LazyLock::new(|| ParsedFont::from_bytes(REGULAR_TTF, 0, &mut Vec::new()));
static BOLD: LazyLock<Option<ParsedFont>> = LazyLock::new(|| ParsedFont::from_bytes(BOLD_TTF, 0, &mut Vec::new()));

fn fonts() -> anyhow::Result<(&'static ParsedFont, &'static ParsedFont)> {
    match (REGULAR.as_ref(), BOLD.as_ref()) {
        (Some(r), Some(b)) => Ok((r, b)),
        _ => Err(anyhow::anyhow!("the embedded DejaVu fonts do not parse")),
    }
}

/// An amount as a Ukrainian reads it: `1 250,50 ₴`.
pub fn uah(m: Money) -> String {
    let sign = if m.minor() < 0 { "-" } else { "" };
    let abs = m.minor().unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02} ₴", abs % 100)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// A document being laid out top-down in millimetres; `y` is the baseline of the next line,
/// measured from the page's top.
pub struct Sheet {
    doc: PdfDocument,
    regular: FontId,
    bold: FontId,
    width: f32,
    height: f32,
    margin: f32,
    pages: Vec<PdfPage>,
    ops: Vec<Op>,
    pub y: f32,
}

impl Sheet {
    pub fn new(title: &str, width: f32, height: f32, margin: f32) -> anyhow::Result<Self> {
        let (regular_font, bold_font) = fonts()?;
        let mut doc = PdfDocument::new(title);
        let regular = doc.add_font(regular_font);
        let bold = doc.add_font(bold_font);
        Ok(Sheet { doc, regular, bold, width, height, margin, pages: Vec::new(), ops: Vec::new(), y: margin })
    }

    /// Starts a new page when less than `needed` millimetres are left.
    pub fn ensure(&mut self, needed: f32) {
        if self.y + needed > self.height - self.margin {
            let ops = std::mem::take(&mut self.ops);
            self.pages.push(PdfPage::new(Mm(self.width), Mm(self.height), ops));
            self.y = self.margin;
        }
    }

    /// Width of `text` in millimetres at `size` points.
    pub fn measure(text: &str, size: f32, weight: Weight) -> f32 {
        let Ok((regular, bold)) = fonts() else { return 0.0 };
        let font = if weight == Weight::Bold { bold } else { regular };
        let units = f32::from(font.font_metrics.units_per_em.max(1));
        let advance: u32 = text
            .chars()
            .map(|c| font.lookup_glyph_index(c as u32).map(|g| u32::from(font.get_horizontal_advance(g))).unwrap_or(0))
            .sum();
        advance as f32 / units * size * 25.4 / 72.0
    }

    /// `text` cut to `max` millimetres, ending in "…" when cut.
    pub fn fit(text: &str, size: f32, weight: Weight, max: f32) -> String {
        if Self::measure(text, size, weight) <= max {
            return text.to_owned();
        }
        let mut out: String = text.to_owned();
        while !out.is_empty() && Self::measure(&format!("{out}…"), size, weight) > max {
            out.pop();
        }
        format!("{}…", out.trim_end())
    }

    /// Splits `text` into lines no wider than `max` millimetres, breaking at spaces.
    pub fn wrap(text: &str, size: f32, weight: Weight, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if Self::measure(&candidate, size, weight) <= max || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines.into_iter().map(|l| Self::fit(&l, size, weight, max)).collect()
    }

    /// Writes `text` with its left edge at `x` on the current baseline.
    pub fn text(&mut self, x: f32, text: &str, size: f32, weight: Weight) {
        let font = if weight == Weight::Bold { self.bold.clone() } else { self.regular.clone() };
        let y = self.height - self.y;
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) },
            Op::SetTextCursor { pos: Point::new(Mm(x), Mm(y)) },
            Op::ShowText { items: vec![TextItem::Text(text.to_owned())] },
            Op::EndTextSection,
        ]);
    }

    /// Writes `text` with its right edge at `right`.
    pub fn text_right(&mut self, right: f32, text: &str, size: f32, weight: Weight) {
        let x = right - Self::measure(text, size, weight);
        self.text(x, text, size, weight);
    }

    pub fn text_center(&mut self, text: &str, size: f32, weight: Weight) {
        let x = (self.width - Self::measure(text, size, weight)) / 2.0;
        self.text(x.max(self.margin), text, size, weight);
    }

    /// Moves the baseline down by `mm`.
    pub fn down(&mut self, mm: f32) {
        self.y += mm;
    }

    /// A thin rule across the text area, below the current baseline.
    pub fn rule(&mut self) {
        let (x, w) = (self.margin, self.width - 2.0 * self.margin);
        let top = self.y - 1.5;
        self.fill_rect(x, top, w, 0.2, 0.4);
    }

    /// A filled rectangle whose top-left corner is (`x`, `top`) from the page's top-left.
    pub fn fill_rect(&mut self, x: f32, top: f32, w: f32, h: f32, grey: f32) {
        self.ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: grey, g: grey, b: grey, icc_profile: None }) });
        self.ops.push(rect_op(x, self.height - top - h, w, h));
        self.ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: 0.0, g: 0.0, b: 0.0, icc_profile: None }) });
    }

    /// Raw drawing operations (the QR code), already in page coordinates.
    pub fn extend(&mut self, ops: Vec<Op>) {
        self.ops.extend(ops);
    }

    pub fn page_height(&self) -> f32 {
        self.height
    }

    /// The finished PDF.
    pub fn finish(mut self) -> Vec<u8> {
        let ops = std::mem::take(&mut self.ops);
        self.pages.push(PdfPage::new(Mm(self.width), Mm(self.height), ops));
        let pages = std::mem::take(&mut self.pages);
        self.doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new())
    }
}

/// A filled rectangle in millimetres from the page's bottom-left.
pub fn rect_op(x: f32, y: f32, w: f32, h: f32) -> Op {
    let pt = |mm: f32| Pt(mm * 72.0 / 25.4);
    Op::DrawRectangle {
        rectangle: Rect {
            x: pt(x),
            y: pt(y),
            width: pt(w),
            height: pt(h),
            mode: Some(PaintMode::Fill),
            winding_order: Some(WindingOrder::NonZero),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_the_ukrainian_way() {
        assert_eq!(uah(Money(125_050)), "1 250,50 ₴");
        assert_eq!(uah(Money(5)), "0,05 ₴");
        assert_eq!(uah(Money(100_000_000)), "1 000 000,00 ₴");
        assert_eq!(uah(Money(-99)), "-0,99 ₴");
    }

    #[test]
    fn the_fonts_cover_ukrainian_and_the_hryvnia_sign() {
        let (regular, bold) = fonts().unwrap();
        for c in "ЇїЄєІіҐґ₴№×…".chars() {
            assert!(regular.lookup_glyph_index(c as u32).is_some_and(|g| g != 0), "regular lacks {c}");
            assert!(bold.lookup_glyph_index(c as u32).is_some_and(|g| g != 0), "bold lacks {c}");
        }
        assert!(Sheet::measure("Разом", 10.0, Weight::Regular) > 5.0);
        assert!(Sheet::measure("Разом", 10.0, Weight::Bold) > Sheet::measure("Разом", 10.0, Weight::Regular));
    }

    #[test]
    fn long_text_wraps_and_fits() {
        let lines = Sheet::wrap("Фарбування волосся у складній техніці з тонуванням", 9.0, Weight::Regular, 40.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| Sheet::measure(l, 9.0, Weight::Regular) <= 40.0 + 0.01));
        let cut = Sheet::fit("Дуже довга назва клієнта", 9.0, Weight::Regular, 15.0);
        assert!(cut.ends_with('…') && Sheet::measure(&cut, 9.0, Weight::Regular) <= 15.0);
    }
}
