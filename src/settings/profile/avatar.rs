//! `/settings/profile/avatar`: upload and remove the signed-in user's avatar.
//!
//! An upload is recognised by its bytes (PNG, JPEG or WebP; never by its name or declared
//! type), limited to `AVATAR_MAX_BYTES` (413 above), decoded with dimension and memory limits
//! (a decompression bomb is refused before anything large is allocated), turned upright by
//! its EXIF orientation, centre-cropped to a square, scaled to 256×256 and re-encoded as PNG,
//! which drops every metadata block of the original. The result is stored under
//! `salons/{salonId}/avatars/{userId}-{random}.png`, served at `/uploads/...`, and the previous
//! avatar's file is deleted once the change is committed.

use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, imageops::FilterType,
};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// The thumbnail's side in pixels.
pub const SIDE: u32 = 256;
/// Largest width or height decoded (a 12-megapixel phone photo is about 4000×3000).
const MAX_DIMENSION: u32 = 10_000;
/// Largest allocation a decoder may make.
const MAX_ALLOC: u64 = 256 * 1024 * 1024;

/// Decoding is CPU- and memory-heavy: at most two at once per process.
static DECODING: Semaphore = Semaphore::const_new(2);

/// The 256×256 PNG thumbnail of an uploaded image, made off the async runtime.
pub async fn thumbnail(bytes: Vec<u8>) -> Result<Vec<u8>, AppError> {
    let permit = DECODING.acquire().await.map_err(anyhow::Error::from)?;
    let span = tracing::Span::current();
    let out = tokio::task::spawn_blocking(move || span.in_scope(|| make_thumbnail(&bytes)))
        .await
        .map_err(anyhow::Error::from)?;
    drop(permit);
    out
}

fn not_an_image() -> AppError {
    AppError::field("file", "Завантажте зображення PNG, JPEG або WebP")
}

fn make_thumbnail(bytes: &[u8]) -> Result<Vec<u8>, AppError> {
    let format = image::guess_format(bytes).map_err(|_| not_an_image())?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    ) {
        return Err(not_an_image());
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let refused = |e: ImageError| match e {
        ImageError::Limits(_) => AppError::field(
            "file",
            format!("Зображення завелике: не більше {MAX_DIMENSION} пікселів по кожній стороні"),
        ),
        _ => AppError::field("file", "Зображення пошкоджене або не підтримується"),
    };
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let orientation = decoder.orientation().map_err(refused)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(refused)?;
    img.apply_orientation(orientation);

    let (w, h) = (img.width(), img.height());
    let side = w.min(h);
    let square = img.crop_imm((w - side) / 2, (h - side) / 2, side, side);
    let thumb = square.resize_exact(SIDE, SIDE, FilterType::CatmullRom);
    let thumb = if thumb.color().has_alpha() {
        DynamicImage::ImageRgba8(thumb.to_rgba8())
    } else {
        DynamicImage::ImageRgb8(thumb.to_rgb8())
    };
    let mut out = Cursor::new(Vec::new());
    thumb
        .write_to(&mut out, ImageFormat::Png)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_wide_image_is_centre_cropped_to_a_square() {
        // Left third red, middle third green, right third blue: the square keeps the green.
        let img = image::RgbImage::from_fn(300, 100, |x, _| match x / 100 {
            0 => image::Rgb([255, 0, 0]),
            1 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        });
        let png = make_thumbnail(&encoded(DynamicImage::ImageRgb8(img), ImageFormat::Png)).unwrap();
        let thumb = image::load_from_memory_with_format(&png, ImageFormat::Png)
            .unwrap()
            .to_rgb8();
        assert_eq!(thumb.dimensions(), (SIDE, SIDE));
        assert_eq!(
            thumb.get_pixel(SIDE / 2, SIDE / 2),
            &image::Rgb([0, 255, 0])
        );
        assert_eq!(
            thumb.get_pixel(2, 2),
            &image::Rgb([0, 255, 0]),
            "no red from the left edge"
        );
    }

    #[test]
    fn other_bytes_are_not_images() {
        assert!(make_thumbnail(b"hello, I am a text file named photo.png").is_err());
        assert!(make_thumbnail(b"GIF89a....").is_err());
        let mut png = encoded(DynamicImage::new_rgb8(10, 10), ImageFormat::Png);
        png.truncate(30);
        assert!(make_thumbnail(&png).is_err(), "truncated");
    }
}
