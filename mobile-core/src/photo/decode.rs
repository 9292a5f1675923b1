//! Pixel decoding, as small as the outputs allow.
//!
//! JPEG: `jpeg-decoder` with DCT scaling (1/2, 1/4 or 1/8 done inside the IDCT), so a
//! 12-megapixel photo wanted as a 1280-pixel preview is decoded straight to 2000×1500 and
//! never exists at full size. Variants it does not handle (CMYK, 12/16-bit, arithmetic
//! coding...) fall back to the `image` crate's full decoder.
//! PNG: the `image` crate, alpha flattened onto white (JPEG outputs have no alpha).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageError, ImageFormat, ImageReader, Limits};
use jpeg_decoder::{Decoder, PixelFormat};

use super::MAX_PIXELS;
use super::error::PhotoError;
use super::resize::fit_within;

/// Interleaved 8-bit pixels, grey or RGB, in the orientation they are stored in.
#[derive(Debug, Clone)]
pub(crate) struct Raster {
    pub width: u32,
    pub height: u32,
    pub channels: Channels,
    pub data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Channels {
    Gray,
    Rgb,
}

impl Channels {
    pub(crate) fn count(self) -> usize {
        match self {
            Channels::Gray => 1,
            Channels::Rgb => 3,
        }
    }
}

fn damaged(subject: &str, detail: impl std::fmt::Display) -> PhotoError {
    PhotoError::Truncated {
        reason: format!("{subject} is damaged or incomplete and cannot be decoded ({detail})"),
    }
}

fn unsupported(subject: &str, detail: impl std::fmt::Display) -> PhotoError {
    PhotoError::NotAnImage { reason: format!("{subject} uses an image feature this app cannot read ({detail})") }
}

/// Runs a decoder, turning a panic inside it (a decoder bug on hostile input) into an error
/// instead of tearing down the app.
fn guarded<T>(subject: &str, f: impl FnOnce() -> Result<T, PhotoError>) -> Result<T, PhotoError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(damaged(subject, "the decoder gave up on it")))
}

/// Decodes a JPEG whose stored size is `width`×`height` to the smallest DCT scale whose long
/// edge is still at least `min_long_edge` (or full size, if the photo is smaller).
pub(crate) fn decode_jpeg(
    bytes: &[u8],
    width: u32,
    height: u32,
    min_long_edge: u32,
    subject: &str,
) -> Result<Raster, PhotoError> {
    guarded(subject, || match decode_jpeg_scaled(bytes, width, height, min_long_edge) {
        Ok(Some(raster)) => Ok(raster),
        Ok(None) | Err(jpeg_decoder::Error::Unsupported(_)) => decode_with_image(bytes, ImageFormat::Jpeg, subject),
        Err(e) => Err(damaged(subject, e)),
    })
}

/// `Ok(None)`: a pixel format we leave to the `image` crate.
fn decode_jpeg_scaled(
    bytes: &[u8],
    width: u32,
    height: u32,
    min_long_edge: u32,
) -> Result<Option<Raster>, jpeg_decoder::Error> {
    let mut decoder = Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(MAX_PIXELS as usize * 3);
    decoder.read_info()?;
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let channels = match info.pixel_format {
        PixelFormat::L8 => Channels::Gray,
        PixelFormat::RGB24 => Channels::Rgb,
        PixelFormat::L16 | PixelFormat::CMYK32 => return Ok(None),
    };
    if width.max(height) > min_long_edge {
        let (w, h) = fit_within(width, height, min_long_edge);
        let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
        decoder.scale(clamp(w), clamp(h))?;
    }
    let data = decoder.decode()?;
    let Some(info) = decoder.info() else {
        return Ok(None);
    };
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if data.len() != w as usize * h as usize * channels.count() {
        return Err(jpeg_decoder::Error::Format("decoded size does not match the frame header".into()));
    }
    Ok(Some(Raster { width: w, height: h, channels, data }))
}

/// Decodes a PNG at full size.
pub(crate) fn decode_png(bytes: &[u8], subject: &str) -> Result<Raster, PhotoError> {
    guarded(subject, || decode_with_image(bytes, ImageFormat::Png, subject))
}

fn decode_with_image(bytes: &[u8], format: ImageFormat, subject: &str) -> Result<Raster, PhotoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    // Room for a 100-megapixel RGBA image with 16-bit channels plus a converted copy.
    limits.max_alloc = Some(MAX_PIXELS * 8 + MAX_PIXELS * 4);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        ImageError::Limits(_) => PhotoError::Encode { reason: format!("{subject} needs too much memory to decode") },
        ImageError::Unsupported(e) => unsupported(subject, e),
        e => damaged(subject, e),
    })?;
    Ok(into_raster(image))
}

fn into_raster(image: DynamicImage) -> Raster {
    let (width, height) = (image.width(), image.height());
    if !image.color().has_alpha() {
        return if image.color().has_color() {
            Raster { width, height, channels: Channels::Rgb, data: image.into_rgb8().into_raw() }
        } else {
            Raster { width, height, channels: Channels::Gray, data: image.into_luma8().into_raw() }
        };
    }
    // Flatten onto white: a transparent screenshot or drawing stays readable as a JPEG.
    let rgba = image.into_rgba8().into_raw();
    let mut data = Vec::with_capacity(rgba.len() / 4 * 3);
    for px in rgba.chunks_exact(4) {
        let a = u32::from(px[3]);
        for &c in &px[..3] {
            // c*a/255 + 255*(255-a)/255, rounded.
            data.push(((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8);
        }
    }
    Raster { width, height, channels: Channels::Rgb, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_alpha_onto_white() {
        let img = image::RgbaImage::from_raw(2, 1, vec![0, 0, 0, 0, 10, 20, 30, 255]).expect("2x1");
        let r = into_raster(DynamicImage::ImageRgba8(img));
        assert_eq!(r.channels, Channels::Rgb);
        assert_eq!(r.data, vec![255, 255, 255, 10, 20, 30]);
    }
}
