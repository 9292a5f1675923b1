//! Checking an uploaded photo: it must decode as JPEG or PNG within sane limits (a small file can
//! claim a gigapixel image), and gets a server-side thumbnail. Its preview is made later, on demand
//! (`preview`).

use std::io::Cursor;

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

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

/// Decodes `bytes` (CPU-heavy: call from a blocking thread) and makes the thumbnail, upright by the
/// photo's EXIF orientation (a phone held upright stores its photo sideways and says so there).
pub fn check(bytes: &[u8]) -> Result<Checked, PhotoProblem> {
    let (mime, img) = decode(bytes)?;
    let thumbnail = thumbnail_of(&img, bytes)?;
    Ok(Checked { mime, width: img.width(), height: img.height(), thumbnail })
}

/// The thumbnail of a photo already checked (a thumbnail made before orientation was applied is
/// remade from the original). CPU-heavy: call from a blocking thread.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, PhotoProblem> {
    thumbnail_of(&decode(bytes)?.1, bytes)
}

fn thumbnail_of(img: &DynamicImage, bytes: &[u8]) -> Result<Vec<u8>, PhotoProblem> {
    let mut small = img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    small.apply_orientation(orientation(bytes));
    let mut thumbnail = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut thumbnail, 80)
        .encode_image(&small.to_rgb8())
        .map_err(|e| PhotoProblem::Damaged(format!("thumbnail: {e}")))?;
    Ok(thumbnail)
}

/// The photo's preview, made as the phone makes its own at ingest (mobile-core's `photo`): a JPEG at
/// quality `PREVIEW_QUALITY` whose long side is at most `PREVIEW_SIDE` (sizes rounded as the phone
/// rounds them), resized with Catmull-Rom, then turned upright by its EXIF orientation. A photo no
/// bigger than that is re-encoded at its own size, never upscaled (as on the phone), so the answer is
/// always an upright JPEG, also for a PNG or a rotated small photo. CPU-heavy: call from a blocking
/// thread.
pub fn preview(bytes: &[u8]) -> Result<Vec<u8>, PhotoProblem> {
    use record_schema::photo::{PREVIEW_QUALITY, PREVIEW_SIDE, fit_within};
    let img = flattened(decode(bytes)?.1);
    let (w, h) = fit_within(img.width(), img.height(), PREVIEW_SIDE);
    let mut out =
        if (w, h) == (img.width(), img.height()) { img } else { img.resize_exact(w, h, FilterType::CatmullRom) };
    out.apply_orientation(orientation(bytes));
    let mut jpeg = Vec::new();
    // In its own colour type (`encode_image` would take every pixel through RGBA).
    out.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, PREVIEW_QUALITY))
        .map_err(|e| PhotoProblem::Damaged(format!("preview: {e}")))?;
    Ok(jpeg)
}

/// The EXIF orientation of `bytes`; an unreadable EXIF block leaves the photo as stored, as on the
/// phone.
fn orientation(bytes: &[u8]) -> Orientation {
    ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()
        .and_then(|r| r.into_decoder().ok())
        .and_then(|mut d| d.orientation().ok())
        .unwrap_or(Orientation::NoTransforms)
}

/// 8-bit grey or RGB, as the phone decodes (mobile-core's `decode::into_raster`): grey stays grey,
/// alpha is flattened onto white (a transparent drawing stays readable as a JPEG).
fn flattened(img: DynamicImage) -> DynamicImage {
    if !img.color().has_alpha() {
        return if img.color().has_color() {
            DynamicImage::ImageRgb8(img.into_rgb8())
        } else {
            DynamicImage::ImageLuma8(img.into_luma8())
        };
    }
    let rgba = img.into_rgba8();
    let white = |c: u8, a: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8;
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        image::Rgb([white(r, a), white(g, a), white(b, a)])
    });
    DynamicImage::ImageRgb8(rgb)
}

/// Decodes a JPEG or PNG within the limits (sides, pixels from the header before decoding, memory).
fn decode(bytes: &[u8]) -> Result<(&'static str, DynamicImage), PhotoProblem> {
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
    Ok((mime, reader.decode().map_err(problem)?))
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
    fn previews_at_most_1280_never_upscaled_grey_stays_grey() {
        let p = image::load_from_memory(&preview(&png(2000, 1000)).expect("preview")).expect("decodes");
        assert_eq!((p.width(), p.height()), (1280, 640));
        let small = preview(&png(300, 200)).expect("preview");
        assert_eq!(image::guess_format(&small).expect("format"), ImageFormat::Jpeg, "a PNG's preview is a JPEG");
        let s = image::load_from_memory(&small).expect("decodes");
        assert_eq!((s.width(), s.height()), (300, 200));
        let mut grey = Cursor::new(Vec::new());
        image::GrayImage::from_fn(1500, 900, |x, _| image::Luma([(x % 256) as u8]))
            .write_to(&mut grey, ImageFormat::Png)
            .expect("encode");
        let g = image::load_from_memory(&preview(grey.get_ref()).expect("preview")).expect("decodes");
        assert_eq!((g.color(), g.width(), g.height()), (image::ColorType::L8, 1280, 768));
    }

    #[test]
    fn a_transparent_png_previews_on_white() {
        let clear = image::RgbaImage::from_fn(40, 20, |x, _| image::Rgba([200, 0, 0, if x < 20 { 0 } else { 255 }]));
        let mut png = Cursor::new(Vec::new());
        clear.write_to(&mut png, ImageFormat::Png).expect("encode");
        let p = image::load_from_memory(&preview(png.get_ref()).expect("preview")).expect("decodes").to_rgb8();
        let (left, right) = (p.get_pixel(5, 10).0, p.get_pixel(35, 10).0);
        assert!(left.iter().all(|&c| c > 240), "transparent is white: {left:?}");
        assert!(right[0] > 170 && right[1] < 60, "opaque red stays red: {right:?}");
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
