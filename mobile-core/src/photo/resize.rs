//! Resizing (fast_image_resize, SIMD), EXIF orientation, and JPEG encoding of the outputs.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::pixels::{U8, U8x3};
use fast_image_resize::{
    FilterType, IntoImageView, IntoImageViewMut, PixelTrait, PixelType, ResizeAlg, ResizeError, ResizeOptions, Resizer,
};

use super::decode::{Channels, Raster};
use super::error::PhotoError;
use super::split_jpeg::Planes;

fn encode_error(e: impl std::fmt::Display) -> PhotoError {
    PhotoError::Encode { reason: e.to_string() }
}

/// Resizes `src` to exactly `width`×`height` with a convolution `filter` (which also
/// anti-aliases when shrinking a lot). Returns a copy when the size is unchanged.
pub(crate) fn resize(src: &Raster, width: u32, height: u32, filter: FilterType) -> Result<Raster, PhotoError> {
    if (src.width, src.height) == (width, height) {
        return Ok(src.clone());
    }
    let pixel_type = match src.channels {
        Channels::Gray => PixelType::U8,
        Channels::Rgb => PixelType::U8x3,
    };
    let src_view = ImageRef::new(src.width, src.height, &src.data, pixel_type).map_err(encode_error)?;
    let mut dst = Image::new(width, height, pixel_type);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter));
    // Typed, so only the two pixel types used here are compiled in (`Resizer::resize` matches on all
    // thirteen, each with its SIMD variants: 3.6 of the library's 18 MB).
    match src.channels {
        Channels::Gray => resize_as::<U8>(&src_view, &mut dst, &options),
        Channels::Rgb => resize_as::<U8x3>(&src_view, &mut dst, &options),
    }
    .map_err(encode_error)?;
    Ok(Raster { width, height, channels: src.channels, data: dst.into_vec() })
}

fn resize_as<P: PixelTrait>(src: &ImageRef, dst: &mut Image, options: &ResizeOptions) -> Result<(), ResizeError> {
    match (src.image_view::<P>(), dst.image_view_mut::<P>()) {
        (Some(src), Some(mut dst)) => Resizer::new().resize_typed(&src, &mut dst, options),
        _ => Err(ResizeError::PixelTypesAreDifferent),
    }
}

/// Applies EXIF orientation `orientation` (1..=8) so the raster is upright as displayed.
/// 5..=8 swap width and height.
pub(crate) fn orient(src: Raster, orientation: u8) -> Raster {
    match src.channels {
        Channels::Gray => orient_px::<1>(src, orientation),
        Channels::Rgb => orient_px::<3>(src, orientation),
    }
}

/// Maps an output pixel (x, y) of a `w`×`h` source to the source pixel it comes from.
type SourceOf = fn(x: usize, y: usize, w: usize, h: usize) -> (usize, usize);

fn orient_px<const C: usize>(src: Raster, orientation: u8) -> Raster {
    let (w, h) = (src.width as usize, src.height as usize);
    // For each output pixel (x, y), the source pixel it comes from.
    let (out_w, out_h, source): (usize, usize, SourceOf) = match orientation {
        2 => (w, h, |x, y, w, _| (w - 1 - x, y)),
        3 => (w, h, |x, y, w, h| (w - 1 - x, h - 1 - y)),
        4 => (w, h, |x, y, _, h| (x, h - 1 - y)),
        5 => (h, w, |x, y, _, _| (y, x)),
        6 => (h, w, |x, y, _, h| (y, h - 1 - x)),
        7 => (h, w, |x, y, w, h| (w - 1 - y, h - 1 - x)),
        8 => (h, w, |x, y, w, _| (w - 1 - y, x)),
        _ => return src,
    };
    let mut data = vec![0u8; src.data.len()];
    for (y, row) in data.chunks_exact_mut(out_w * C).enumerate() {
        for (x, px) in row.chunks_exact_mut(C).enumerate() {
            let (sx, sy) = source(x, y, w, h);
            let at = (sy * w + sx) * C;
            px.copy_from_slice(&src.data[at..at + C]);
        }
    }
    Raster { width: out_w as u32, height: out_h as u32, channels: src.channels, data }
}

/// Baseline JPEG at `quality` (1..=100), 4:2:0 chroma (grey stays grey).
///
/// libjpeg-turbo (already here for decoding), for its SIMD colour conversion, downsampling and
/// DCT; `jpeg-encoder`'s encoding showed up in profiles of the old ingest. 4:2:0 because 4:4:4
/// makes previews ~30% bigger for no visible gain.
pub(crate) fn encode_jpeg(raster: &Raster, quality: u8) -> Result<Vec<u8>, PhotoError> {
    // libjpeg's JPEG_MAX_DIMENSION.
    const MAX_SIDE: u32 = 65_500;
    if raster.width > MAX_SIDE || raster.height > MAX_SIDE {
        return Err(PhotoError::Encode {
            reason: format!("{}×{} is too big for a JPEG (at most {MAX_SIDE} per side)", raster.width, raster.height),
        });
    }
    let (format, subsamp) = match raster.channels {
        Channels::Gray => (turbojpeg::PixelFormat::GRAY, turbojpeg::Subsamp::Gray),
        Channels::Rgb => (turbojpeg::PixelFormat::RGB, turbojpeg::Subsamp::Sub2x2),
    };
    let (width, height) = (raster.width as usize, raster.height as usize);
    let pitch = width * raster.channels.count();
    if raster.data.len() != pitch * height {
        return Err(PhotoError::Encode { reason: format!("{width}×{height} raster has {} bytes", raster.data.len()) });
    }
    let image = turbojpeg::Image { pixels: &raster.data[..], width, pitch, height, format };
    let mut compressor = turbojpeg::Compressor::new().map_err(encode_error)?;
    compressor.set_quality(i32::from(quality.clamp(1, 100))).map_err(encode_error)?;
    compressor.set_subsamp(subsamp).map_err(encode_error)?;
    compressor.compress_to_vec(image).map_err(encode_error)
}

/// What the outputs are made from: interleaved pixels, or a JPEG's planes kept as planes (no
/// colour conversion either way).
pub(crate) trait Picture: Sized + Sync {
    /// Resized to exactly `width`×`height` (as displayed before orientation).
    fn resized(&self, width: u32, height: u32, filter: FilterType) -> Result<Self, PhotoError>;
    /// Upright, per EXIF orientation 1..=8.
    fn oriented(self, orientation: u8) -> Self;
    /// Baseline JPEG, 4:2:0 (grey stays grey).
    fn encoded(&self, quality: u8) -> Result<Vec<u8>, PhotoError>;
}

impl Picture for Raster {
    fn resized(&self, width: u32, height: u32, filter: FilterType) -> Result<Self, PhotoError> {
        resize(self, width, height, filter)
    }
    fn oriented(self, orientation: u8) -> Self {
        orient(self, orientation)
    }
    fn encoded(&self, quality: u8) -> Result<Vec<u8>, PhotoError> {
        encode_jpeg(self, quality)
    }
}

impl Picture for Planes {
    fn resized(&self, width: u32, height: u32, filter: FilterType) -> Result<Self, PhotoError> {
        resize_planes(self, width, height, filter)
    }
    fn oriented(self, orientation: u8) -> Self {
        orient_planes(self, orientation)
    }
    fn encoded(&self, quality: u8) -> Result<Vec<u8>, PhotoError> {
        encode_planes(self, quality)
    }
}

/// Resizes a JPEG's planes for a `width`×`height` picture: luma to that size, chroma to half
/// of it (rounded up), the 4:2:0 layout the outputs are encoded in.
/// The chroma planes are resized on a second thread while the luma plane is.
fn resize_planes(src: &Planes, width: u32, height: u32, filter: FilterType) -> Result<Planes, PhotoError> {
    let Some([cb, cr]) = &src.chroma else {
        return Ok(Planes { luma: resize(&src.luma, width, height, filter)?, chroma: None });
    };
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    let chroma =
        || -> Result<[Raster; 2], PhotoError> { Ok([resize(cb, cw, ch, filter)?, resize(cr, cw, ch, filter)?]) };
    let (luma, chroma) = alongside(|| resize(&src.luma, width, height, filter), chroma);
    Ok(Planes { luma: luma?, chroma: Some(chroma?) })
}

/// Runs `first` here and `second` on another thread; both in turn here when no thread can be had.
/// A panic in `second` goes on in the caller.
pub(crate) fn alongside<A: Send, B: Send>(
    first: impl FnOnce() -> A + Send,
    second: impl FnOnce() -> B + Send,
) -> (A, B) {
    let (mut first, mut second) = (Some(first), Some(second));
    let together = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new().spawn_scoped(scope, || second.take().map(|f| f())).ok()?;
        let a = first.take().map(|f| f());
        match handle.join() {
            Ok(b) => Some((a, b)),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    // Whichever did not run above runs now.
    let (a, b) = together.unwrap_or((None, None));
    match (a.or_else(|| first.take().map(|f| f())), b.or_else(|| second.take().map(|f| f()))) {
        (Some(a), Some(b)) => (a, b),
        _ => unreachable!("each closure is taken once and run where it is taken"),
    }
}

/// [`orient`] for every plane.
fn orient_planes(src: Planes, orientation: u8) -> Planes {
    Planes {
        luma: orient(src.luma, orientation),
        chroma: src.chroma.map(|[cb, cr]| [orient(cb, orientation), orient(cr, orientation)]),
    }
}

/// Baseline 4:2:0 JPEG at `quality` straight from planes (no colour conversion or chroma
/// downsampling to do); grey when there is no chroma.
fn encode_planes(planes: &Planes, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let Some([cb, cr]) = &planes.chroma else { return encode_jpeg(&planes.luma, quality) };
    let (width, height) = (planes.luma.width as usize, planes.luma.height as usize);
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    if (cb.width as usize, cb.height as usize, cr.width as usize, cr.height as usize) != (cw, ch, cw, ch) {
        return Err(PhotoError::Encode { reason: format!("chroma planes do not fit a {width}×{height} picture") });
    }
    // TurboJPEG reads 4:2:0 luma in whole 2×2 groups: repeat the last column and row if odd.
    let luma = pad_to_even(&planes.luma);
    let image = turbojpeg::YuvPlanesImage {
        y_plane: &luma.data[..],
        u_plane: &cb.data[..],
        v_plane: &cr.data[..],
        width,
        height,
        y_stride: luma.width as usize,
        u_stride: cw,
        v_stride: cw,
        subsamp: turbojpeg::Subsamp::Sub2x2,
    };
    let mut compressor = turbojpeg::Compressor::new().map_err(encode_error)?;
    compressor.set_quality(i32::from(quality.clamp(1, 100))).map_err(encode_error)?;
    compressor.compress_yuv_planes_to_vec(&image).map_err(encode_error)
}

fn pad_to_even(plane: &Raster) -> std::borrow::Cow<'_, Raster> {
    let (w, h) = (plane.width as usize, plane.height as usize);
    if w % 2 == 0 && h % 2 == 0 {
        return std::borrow::Cow::Borrowed(plane);
    }
    let (pw, ph) = (w.next_multiple_of(2), h.next_multiple_of(2));
    let mut data = Vec::with_capacity(pw * ph);
    for row in plane.data.chunks_exact(w) {
        data.extend_from_slice(row);
        if pw > w {
            data.push(row[w - 1]);
        }
    }
    if ph > h {
        let last = data[(h - 1) * pw..].to_vec();
        data.extend_from_slice(&last);
    }
    std::borrow::Cow::Owned(Raster { width: pw as u32, height: ph as u32, channels: plane.channels, data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gray(w: u32, h: u32) -> Raster {
        Raster { width: w, height: h, channels: Channels::Gray, data: (0..(w * h) as u8).collect() }
    }

    #[test]
    fn orientations_match_exif_meaning() {
        // Stored 3x2:   0 1 2
        //               3 4 5
        let cases: [(u8, u32, u32, &[u8]); 8] = [
            (1, 3, 2, &[0, 1, 2, 3, 4, 5]),
            (2, 3, 2, &[2, 1, 0, 5, 4, 3]),
            (3, 3, 2, &[5, 4, 3, 2, 1, 0]),
            (4, 3, 2, &[3, 4, 5, 0, 1, 2]),
            (5, 2, 3, &[0, 3, 1, 4, 2, 5]),
            (6, 2, 3, &[3, 0, 4, 1, 5, 2]),
            (7, 2, 3, &[5, 2, 4, 1, 3, 0]),
            (8, 2, 3, &[2, 5, 1, 4, 0, 3]),
        ];
        for (o, w, h, want) in cases {
            let r = orient(gray(3, 2), o);
            assert_eq!((r.width, r.height, r.data.as_slice()), (w, h, want), "orientation {o}");
        }
    }
}
