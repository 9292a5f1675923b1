//! Pixel decoding, as small as the outputs allow.
//!
//! JPEG: libjpeg-turbo (through `turbojpeg`) with DCT scaling (n/8, done inside the IDCT), so
//! a 12-megapixel photo wanted as a 1280-pixel preview is decoded straight to 2000×1500 and
//! never exists at full size. Variants it does not take (CMYK/YCCK, 12-bit, lossless), and
//! any file it refuses, go to the `image` crate's full decoder, whose verdict (damaged or
//! unsupported) is the one reported.
//! PNG: the `image` crate, alpha flattened onto white (JPEG outputs have no alpha).

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use image::{DynamicImage, ImageError, ImageFormat, ImageReader, Limits};
use turbojpeg::{Colorspace, Decompressor, PixelFormat, ScalingFactor};

use super::MAX_PIXELS;
use super::error::PhotoError;
use super::split_jpeg::{self, Planes};

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
    PhotoError::Truncated { reason: format!("{subject} is damaged or incomplete and cannot be decoded ({detail})") }
}

fn unsupported(subject: &str, detail: impl std::fmt::Display) -> PhotoError {
    PhotoError::NotAnImage { reason: format!("{subject} uses an image feature this app cannot read ({detail})") }
}

/// Runs a decoder, turning a panic inside it (a decoder bug on hostile input) into an error
/// instead of tearing down the app.
fn guarded<T>(subject: &str, f: impl FnOnce() -> Result<T, PhotoError>) -> Result<T, PhotoError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(damaged(subject, "the decoder gave up on it")))
}

/// Decoded pixels: interleaved, or a JPEG's own planes.
pub(crate) enum Decoded {
    Interleaved(Raster),
    Planar(Planes),
}

/// Decodes a JPEG whose stored size is `width`×`height` to the smallest DCT scale whose long
/// edge is still at least `min_long_edge` (or full size, if the photo is smaller): on two cores
/// to planes when `split_jpeg` takes the file, else by libjpeg-turbo to RGB.
pub(crate) fn decode_jpeg(
    bytes: &[u8],
    width: u32,
    height: u32,
    min_long_edge: u32,
    subject: &str,
) -> Result<Decoded, PhotoError> {
    guarded(subject, || {
        // Our own decoder scales by any n/8 up to 1/2 at the same speed: the smallest that
        // keeps the edge (3/8 for a 4000-pixel photo wanted at 1280).
        let long = width.max(height) as usize;
        if let Some(n) = (1..=4usize).find(|n| (long * n).div_ceil(8) >= min_long_edge as usize) {
            let scale = ScalingFactor::new(n, 8);
            let expected = (scale.scale(width as usize) as u32, scale.scale(height as usize) as u32);
            if let Some(planes) = split_jpeg::decode(bytes, n).filter(|p| (p.luma.width, p.luma.height) == expected) {
                return Ok(Decoded::Planar(planes));
            }
        }
        match decode_jpeg_scaled(bytes, width, height, min_long_edge) {
            Some(raster) => Ok(Decoded::Interleaved(raster)),
            None => decode_with_image(bytes, ImageFormat::Jpeg, subject).map(Decoded::Interleaved),
        }
    })
}

/// The smallest DCT scale n/8 (n = 1, 2, 4, 8) that keeps the long edge >= `min_long_edge`.
///
/// Only powers of two: libjpeg-turbo has SIMD for the 8×8, 4×4 and 2×2 IDCTs, and its 3/8
/// (3×3 and 6×6 IDCTs in plain C) measured no faster than 1/2 on the benchmark photo.
fn dct_scale(width: u32, height: u32, min_long_edge: u32) -> ScalingFactor {
    let long = width.max(height) as usize;
    [ScalingFactor::ONE_EIGHTH, ScalingFactor::ONE_QUARTER, ScalingFactor::ONE_HALF]
        .into_iter()
        .find(|f| f.scale(long) >= min_long_edge as usize)
        .unwrap_or(ScalingFactor::ONE)
}

/// `None`: a variant or a file we leave to the `image` crate (which then decodes it or says
/// why not).
fn decode_jpeg_scaled(bytes: &[u8], width: u32, height: u32, min_long_edge: u32) -> Option<Raster> {
    let mut decoder = Decompressor::new().ok()?;
    let header = decoder.read_header(bytes).ok()?;
    // The container walk read the first frame header; libjpeg-turbo must agree, since
    // MAX_PIXELS was checked against it.
    if (header.width, header.height) != (width as usize, height as usize) || header.is_lossless {
        return None;
    }
    let (format, channels) = match header.colorspace {
        Colorspace::Gray => (PixelFormat::GRAY, Channels::Gray),
        Colorspace::YCbCr | Colorspace::RGB => (PixelFormat::RGB, Channels::Rgb),
        Colorspace::CMYK | Colorspace::YCCK => return None,
    };
    let scale = dct_scale(width, height, min_long_edge);
    decoder.set_scaling_factor(scale).ok()?;
    let (w, h) = (scale.scale(header.width), scale.scale(header.height));
    let pitch = w * channels.count();
    let mut data = vec![0u8; pitch * h];
    let image = turbojpeg::Image { pixels: &mut data[..], width: w, pitch, height: h, format };
    decoder.decompress(bytes, image).ok()?;
    Some(Raster { width: u32::try_from(w).ok()?, height: u32::try_from(h).ok()?, channels, data })
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
        ImageError::Limits(_) => unsupported(subject, "it needs more memory to decode than this app allows"),
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

    fn turbo_jpeg(w: usize, h: usize, format: PixelFormat, setup: impl FnOnce(&mut turbojpeg::Compressor)) -> Vec<u8> {
        let size = format.size();
        let pixels: Vec<u8> = (0..w * h * size).map(|i| (i % 251) as u8).collect();
        let image = turbojpeg::Image { pixels: &pixels[..], width: w, pitch: w * size, height: h, format };
        let mut c = turbojpeg::Compressor::new().expect("compressor");
        setup(&mut c);
        c.compress_to_vec(image).expect("compress")
    }

    #[test]
    fn scales_to_the_smallest_power_of_two_that_keeps_the_edge() {
        assert_eq!(dct_scale(4000, 3000, 1280), ScalingFactor::ONE_HALF);
        assert_eq!(dct_scale(4000, 3000, 500), ScalingFactor::ONE_EIGHTH);
        assert_eq!(dct_scale(4000, 3000, 2001), ScalingFactor::ONE);
        assert_eq!(dct_scale(640, 480, 1280), ScalingFactor::ONE);
    }

    #[test]
    fn progressive_jpeg_is_decoded_scaled() {
        let jpeg = turbo_jpeg(1600, 1200, PixelFormat::RGB, |c| {
            c.set_progressive(true).expect("progressive");
        });
        let Decoded::Interleaved(r) = decode_jpeg(&jpeg, 1600, 1200, 400, "p.jpg").expect("decodes") else {
            panic!("a progressive JPEG is libjpeg-turbo's")
        };
        assert_eq!((r.width, r.height, r.channels), (400, 300, Channels::Rgb));
    }

    #[test]
    fn cmyk_jpeg_falls_back_to_the_image_crate() {
        let jpeg = turbo_jpeg(64, 48, PixelFormat::CMYK, |c| {
            c.set_colorspace(Colorspace::YCCK).expect("ycck");
        });
        assert!(decode_jpeg_scaled(&jpeg, 64, 48, 16).is_none());
        let Decoded::Interleaved(r) = decode_jpeg(&jpeg, 64, 48, 16, "cmyk.jpg").expect("decodes through image") else {
            panic!("CMYK is not planar YCbCr")
        };
        assert_eq!((r.width, r.height, r.channels), (64, 48, Channels::Rgb));
    }

    #[test]
    fn flattens_alpha_onto_white() {
        let img = image::RgbaImage::from_raw(2, 1, vec![0, 0, 0, 0, 10, 20, 30, 255]).expect("2x1");
        let r = into_raster(DynamicImage::ImageRgba8(img));
        assert_eq!(r.channels, Channels::Rgb);
        assert_eq!(r.data, vec![255, 255, 255, 10, 20, 30]);
    }
}
