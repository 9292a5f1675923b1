//! Checking an uploaded photo: it must decode as JPEG or PNG within sane limits (a small file can
//! claim a gigapixel image), and gets a server-side thumbnail.

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
/// Largest accepted image side (a 100-megapixel camera is ~12,000 px wide).
const MAX_SIDE: u32 = 16_384;
/// Most pixels decoded: the phone's own limit (`record_schema::photo::MAX_PIXELS`, 100 MP), so what
/// a phone took in always uploads. Checked from the header before decoding: a 13,000 x 13,000 PNG
/// is a small file that decodes to ~500 MB.
pub const MAX_PIXELS: u64 = record_schema::photo::MAX_PIXELS;
/// Most memory one decode may allocate: `MAX_PIXELS` of 8-bit RGB (300 MB) with room for the
/// decoder's own buffers. One decode runs per core at a time.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PhotoProblem {
    #[error("the file is not a JPEG or PNG image")]
    NotAnImage,
    #[error("{0} images are not accepted; send JPEG or PNG")]
    Unsupported(String),
    #[error("the image cannot be decoded: {0}")]
    Damaged(String),
    #[error("the image is too large to decode safely: {0}")]
    TooLarge(String),
}

#[derive(Debug)]
pub struct Checked {
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
}

/// Decodes `bytes` (CPU-heavy: call from a blocking thread) and makes the thumbnail.
pub fn check(bytes: &[u8]) -> Result<Checked, PhotoProblem> {
    let format = image::guess_format(bytes).map_err(|_| PhotoProblem::NotAnImage)?;
    let mime = match format {
        ImageFormat::Jpeg => "image/jpeg",
        ImageFormat::Png => "image/png",
        other => return Err(PhotoProblem::Unsupported(format!("{other:?}"))),
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let problem = |e: image::ImageError| match e {
        image::ImageError::Limits(l) => PhotoProblem::TooLarge(l.to_string()),
        other => PhotoProblem::Damaged(other.to_string()),
    };
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(problem)?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(PhotoProblem::TooLarge(format!(
            "{width} x {height} pixels is {} megapixels; the limit is {} megapixels",
            pixels.div_ceil(1_000_000),
            MAX_PIXELS / 1_000_000
        )));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits);
    let img = reader.decode().map_err(problem)?;
    let thumb = img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE).to_rgb8();
    let mut thumbnail = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut thumbnail, 80)
        .encode_image(&thumb)
        .map_err(|e| PhotoProblem::Damaged(format!("thumbnail: {e}")))?;
    Ok(Checked { mime, width: img.width(), height: img.height(), thumbnail })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).expect("encode");
        out.into_inner()
    }

    #[test]
    fn thumbnails_a_png() {
        let c = check(&png(1000, 500)).expect("checked");
        assert_eq!((c.mime, c.width, c.height), ("image/png", 1000, 500));
        let t = image::load_from_memory(&c.thumbnail).expect("thumbnail decodes");
        assert_eq!((t.width(), t.height()), (320, 160));
    }

    #[test]
    fn refuses_more_pixels_than_the_limit_before_decoding() {
        // A header of 13,000 x 13,000 and an empty pixel data chunk: the header is all that is read.
        let mut big = Vec::new();
        let mut encoder = png::Encoder::new(&mut big, 13_000, 13_000);
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().expect("png header");
        writer.write_chunk(png::chunk::IDAT, &[]).expect("png data chunk");
        drop(writer);
        let Err(PhotoProblem::TooLarge(why)) = check(&big) else { panic!("refused as too large: {:?}", check(&big)) };
        assert!(why.contains("169 megapixels; the limit is 100 megapixels"), "{why}");
    }

    #[test]
    fn refuses_non_images_and_bombs() {
        assert!(matches!(check(b"hello, not a photo"), Err(PhotoProblem::NotAnImage)));
        assert!(matches!(check(b"GIF89a........"), Err(PhotoProblem::Unsupported(_))));
        let mut truncated = png(64, 64);
        truncated.truncate(60);
        assert!(matches!(check(&truncated), Err(PhotoProblem::Damaged(_))));
        // A PNG header claiming 100,000 x 100,000 pixels.
        let mut bomb = png(1, 1);
        bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(
            matches!(check(&bomb), Err(PhotoProblem::TooLarge(_) | PhotoProblem::Damaged(_))),
            "{:?}",
            check(&bomb)
        );
    }
}
