//! A QR code drawn as filled rectangles (vector, sharp at any zoom): each run of dark modules
//! in a row becomes one rectangle.

use printpdf::Op;
use qrcode::{Color as Module, EcLevel, QrCode};

use super::rect_op;

/// Drawing operations of a QR code for `data`, `size` millimetres square, its bottom-left
/// corner at (`x`, `y`) from the page's bottom-left. The quiet zone is inside `size`.
pub fn qr_ops(data: &str, x: f32, y: f32, size: f32) -> anyhow::Result<Vec<Op>> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 4;
    let module = size / (width + 2 * quiet) as f32;
    let mut ops = Vec::new();
    for row in 0..width {
        let mut col = 0;
        while col < width {
            if colors[row * width + col] != Module::Dark {
                col += 1;
                continue;
            }
            let start = col;
            while col < width && colors[row * width + col] == Module::Dark {
                col += 1;
            }
            let left = x + (start + quiet) as f32 * module;
            let bottom = y + size - (row + quiet + 1) as f32 * module;
            ops.push(rect_op(left, bottom, (col - start) as f32 * module, module));
        }
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_becomes_rows_of_rectangles() {
        let ops = qr_ops("http://localhost:3000/receipts/42", 10.0, 10.0, 30.0).unwrap();
        assert!(ops.len() > 50, "{}", ops.len());
        assert!(ops.iter().all(|op| matches!(op, Op::DrawRectangle { .. })));
    }
}
