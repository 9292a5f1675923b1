//! Photo ingest against real JPEG/PNG files generated here with the `image` crate.

use std::path::{Path, PathBuf};

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, GenericImageView, ImageEncoder, ImageFormat};
use mobile_core::photo::{IngestOptions, IngestedPhoto, PhotoError, ingest_bytes, ingest_file};
use sha2::{Digest, Sha256};

/// RGB pixels: a gradient with noise, and a pure red block in the stored top-left corner
/// (a quarter of each side) so orientation can be checked.
fn pixels(w: u32, h: u32) -> Vec<u8> {
    let mut seed = 12345u32;
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let n = ((seed >> 16) % 17) as i32 - 8;
            let px = if x < w / 4 && y < h / 4 {
                [230, 20, 20]
            } else {
                let g = (x * 200 / w) as i32 + n;
                let b = (y * 200 / h) as i32 + n;
                [40, g.clamp(0, 255), b.clamp(0, 255)]
            };
            out.extend(px.iter().map(|&v| v as u8));
        }
    }
    out
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(&pixels(w, h), w, h, ExtendedColorType::Rgb8)
        .expect("encode test JPEG");
    out
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(&pixels(w, h), w, h, ExtendedColorType::Rgb8).expect("encode test PNG");
    out
}

/// Inserts an EXIF APP1 segment (built with kamadak-exif's writer) after SOI and JFIF APP0.
fn with_exif(jpeg: &[u8], fields: &[Field]) -> Vec<u8> {
    let mut writer = Writer::new();
    for f in fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("write EXIF");
    let tiff = tiff.into_inner();

    let mut at = 2;
    if jpeg[2..4] == [0xFF, 0xE0] {
        at += 2 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    }
    let len = u16::try_from(2 + 6 + tiff.len()).expect("small EXIF");
    let mut out = jpeg[..at].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[at..]);
    out
}

fn ascii(s: &str) -> Value {
    Value::Ascii(vec![s.as_bytes().to_vec()])
}

fn dms(d: u32, m: u32, s_thousandths: u32) -> Value {
    Value::Rational(vec![
        Rational { num: d, denom: 1 },
        Rational { num: m, denom: 1 },
        Rational { num: s_thousandths, denom: 1000 },
    ])
}

fn field(tag: Tag, value: Value) -> Field {
    Field { tag, ifd_num: In::PRIMARY, value }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write test file");
    path
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn ingest(dir: &Path, name: &str, bytes: &[u8]) -> Result<IngestedPhoto, PhotoError> {
    ingest_file(&write(dir, name, bytes), &IngestOptions::default())
}

/// Decodes an output and checks it really is a JPEG; returns it.
fn decode_jpeg(bytes: &[u8]) -> image::DynamicImage {
    assert_eq!(image::guess_format(bytes).expect("format"), ImageFormat::Jpeg);
    image::load_from_memory_with_format(bytes, ImageFormat::Jpeg).expect("output decodes")
}

fn check_common(photo: &IngestedPhoto, original: &[u8]) {
    assert_eq!(photo.sha256, sha(original));
    assert_eq!(photo.byte_size, original.len() as u64);
    assert_eq!(photo.thumbnail_sha256, sha(&photo.thumbnail_jpeg));
    assert!(photo.sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
}

#[test]
fn photo_small_jpeg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = jpeg(640, 480);
    let photo = ingest(dir.path(), "small.jpg", &bytes).expect("ingest");
    check_common(&photo, &bytes);
    assert_eq!((photo.width, photo.height, photo.mime), (640, 480, "image/jpeg"));
    assert_eq!((photo.captured_at_ms, photo.location), (None, None));
    assert_eq!(decode_jpeg(&photo.thumbnail_jpeg).dimensions(), (256, 192));
    // Never upscaled.
    assert_eq!(decode_jpeg(&photo.preview_jpeg).dimensions(), (640, 480));
    // Same bytes in memory give the same result.
    assert_eq!(ingest_bytes(&bytes, &IngestOptions::default()).expect("ingest_bytes"), photo);
}

#[test]
fn photo_large_jpeg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = jpeg(3000, 2000);
    let photo = ingest(dir.path(), "large.jpg", &bytes).expect("ingest");
    check_common(&photo, &bytes);
    assert_eq!((photo.width, photo.height), (3000, 2000));
    let thumb = decode_jpeg(&photo.thumbnail_jpeg);
    assert_eq!(thumb.dimensions(), (256, 171));
    let preview = decode_jpeg(&photo.preview_jpeg);
    let (pw, ph) = preview.dimensions();
    assert!((1000..=1280).contains(&pw.max(ph)), "{pw}x{ph}");
    assert_eq!((pw, ph), (1280, 853));
    // Not a grey or black mush: the red corner survives at the top-left.
    let red = thumb.to_rgb8().get_pixel(10, 10).0;
    assert!(red[0] > 180 && red[1] < 80 && red[2] < 80, "{red:?}");
}

#[test]
fn photo_png_small_and_large() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (w, h, thumb, preview) in [(640, 480, (256, 192), (640, 480)), (3000, 2000, (256, 171), (1280, 853))] {
        let bytes = png(w, h);
        let photo = ingest(dir.path(), "shot.png", &bytes).expect("ingest");
        check_common(&photo, &bytes);
        assert_eq!((photo.width, photo.height, photo.mime), (w, h, "image/png"));
        assert_eq!(decode_jpeg(&photo.thumbnail_jpeg).dimensions(), thumb);
        assert_eq!(decode_jpeg(&photo.preview_jpeg).dimensions(), preview);
    }
}

#[test]
fn photo_png_with_alpha_and_grey_jpeg() {
    let rgba: Vec<u8> = (0..64 * 32).flat_map(|i| [(i % 256) as u8, 0, 0, 128]).collect();
    let mut png = Vec::new();
    PngEncoder::new(&mut png).write_image(&rgba, 64, 32, ExtendedColorType::Rgba8).expect("png");
    let photo = ingest_bytes(&png, &IngestOptions::default()).expect("rgba png");
    assert_eq!(decode_jpeg(&photo.preview_jpeg).dimensions(), (64, 32));

    let grey: Vec<u8> = (0..800u32 * 600).map(|i| (i % 251) as u8).collect();
    let mut jpg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpg, 85).write_image(&grey, 800, 600, ExtendedColorType::L8).expect("jpg");
    let photo = ingest_bytes(&jpg, &IngestOptions::default()).expect("grey jpeg");
    assert_eq!(decode_jpeg(&photo.thumbnail_jpeg).dimensions(), (256, 192));
}

#[test]
fn photo_exif_orientation_gps_and_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fields = [
        field(Tag::Orientation, Value::Short(vec![6])),
        field(Tag::DateTimeOriginal, ascii("2024:06:01 09:15:30")),
        field(Tag::OffsetTimeOriginal, ascii("-04:00")),
        field(Tag::GPSLatitudeRef, ascii("N")),
        field(Tag::GPSLatitude, dms(40, 44, 54_360)), // 40°44'54.36" N
        field(Tag::GPSLongitudeRef, ascii("W")),
        field(Tag::GPSLongitude, dms(73, 59, 8_500)), // 73°59'8.5" W
        field(Tag::GPSHPositioningError, Value::Rational(vec![Rational { num: 12, denom: 1 }])),
    ];
    let bytes = with_exif(&jpeg(640, 480), &fields);
    let photo = ingest(dir.path(), "portrait.jpg", &bytes).expect("ingest");
    check_common(&photo, &bytes);
    // Stored 640x480, displayed rotated 90° clockwise.
    assert_eq!((photo.width, photo.height), (480, 640));
    // 2024-06-01T13:15:30Z
    assert_eq!(photo.captured_at_ms, Some(1_717_247_730_000));
    let loc = photo.location.expect("GPS");
    assert!((loc.latitude - (40.0 + 44.0 / 60.0 + 54.36 / 3600.0)).abs() < 1e-9, "{loc:?}");
    assert!((loc.longitude - -(73.0 + 59.0 / 60.0 + 8.5 / 3600.0)).abs() < 1e-9, "{loc:?}");
    assert_eq!(loc.accuracy_m, Some(12.0));

    let thumb = decode_jpeg(&photo.thumbnail_jpeg).to_rgb8();
    assert_eq!(thumb.dimensions(), (192, 256));
    // The stored top-left red block is at the top-RIGHT once rotated 90° clockwise.
    let top_right = thumb.get_pixel(185, 8).0;
    let top_left = thumb.get_pixel(8, 8).0;
    assert!(top_right[0] > 180 && top_right[1] < 80, "top-right {top_right:?}");
    assert!(top_left[0] < 120, "top-left {top_left:?}");
    assert_eq!(decode_jpeg(&photo.preview_jpeg).dimensions(), (480, 640));
}

#[test]
fn photo_jpeg_with_trailer_or_padding_is_fine() {
    let mut bytes = jpeg(320, 240);
    bytes.extend_from_slice(&[0; 64]);
    ingest_bytes(&bytes, &IngestOptions::default()).expect("zero padding");
    // Motion photos and MPF append data after the EOI marker.
    let mut bytes = jpeg(320, 240);
    bytes.extend_from_slice(b"\0\0\0\x18ftypmp42 appended video data, not ending in FFD9");
    ingest_bytes(&bytes, &IngestOptions::default()).expect("trailer");
}

#[test]
fn photo_custom_sizes() {
    let bytes = jpeg(3000, 2000);
    let opts = IngestOptions { thumbnail_edge: 100, preview_edge: 400 };
    let photo = ingest_bytes(&bytes, &opts).expect("ingest");
    assert_eq!(decode_jpeg(&photo.thumbnail_jpeg).dimensions(), (100, 67));
    assert_eq!(decode_jpeg(&photo.preview_jpeg).dimensions(), (400, 267));
    // Thumbnail larger than the preview: still honoured.
    let opts = IngestOptions { thumbnail_edge: 600, preview_edge: 300 };
    let photo = ingest_bytes(&bytes, &opts).expect("ingest");
    assert_eq!(decode_jpeg(&photo.thumbnail_jpeg).dimensions(), (600, 400));
    assert_eq!(decode_jpeg(&photo.preview_jpeg).dimensions(), (300, 200));
}

// ------------------------------------------------------------------ errors

#[test]
fn photo_missing_file_is_not_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = ingest_file(&dir.path().join("nope.jpg"), &IngestOptions::default()).expect_err("missing");
    assert!(matches!(err, PhotoError::NotFound { ref path } if path.ends_with("nope.jpg")), "{err:?}");
    assert!(err.to_string().contains("nope.jpg"), "{err}");
}

#[test]
fn photo_folder_is_unreadable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = ingest_file(dir.path(), &IngestOptions::default()).expect_err("folder");
    assert!(matches!(err, PhotoError::Unreadable { .. }), "{err:?}");
}

#[test]
fn photo_text_file_is_not_an_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = ingest(dir.path(), "photo.jpg", b"Site diary, 3 June: pour delayed by rain.\n").expect_err("text");
    assert!(matches!(err, PhotoError::NotAnImage { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.starts_with("photo.jpg is not a JPEG or PNG image"), "{msg}");
    assert!(msg.contains("text"), "{msg}");
}

#[test]
fn photo_zero_bytes_and_gif_are_not_images() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = ingest(dir.path(), "empty.jpg", b"").expect_err("empty");
    assert!(matches!(err, PhotoError::NotAnImage { .. }), "{err:?}");
    assert!(err.to_string().contains("empty"), "{err}");
    let err = ingest(dir.path(), "anim.jpg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").expect_err("gif");
    assert!(matches!(err, PhotoError::NotAnImage { .. }) && err.to_string().contains("GIF"), "{err:?}");
}

#[test]
fn photo_truncated_jpeg() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = jpeg(640, 480);
    let err = ingest(dir.path(), "half.jpg", &bytes[..bytes.len() / 2]).expect_err("half");
    assert!(matches!(err, PhotoError::Truncated { .. }), "{err:?}");
    assert!(err.to_string().starts_with("half.jpg is damaged or incomplete"), "{err}");
    // Only the end-of-image marker missing: still incomplete.
    let err = ingest_bytes(&bytes[..bytes.len() - 2], &IngestOptions::default()).expect_err("no EOI");
    assert!(matches!(err, PhotoError::Truncated { .. }), "{err:?}");
    // Cut inside the header.
    let err = ingest_bytes(&bytes[..100], &IngestOptions::default()).expect_err("header");
    assert!(matches!(err, PhotoError::Truncated { .. }), "{err:?}");
}

#[test]
fn photo_truncated_png() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = png(640, 480);
    let err = ingest(dir.path(), "half.png", &bytes[..bytes.len() / 2]).expect_err("half");
    assert!(matches!(err, PhotoError::Truncated { .. }), "{err:?}");
    // IEND present but image data corrupted: the decoder's error is reported as damage.
    let mut corrupt = bytes.clone();
    let mid = corrupt.len() / 2;
    corrupt[mid..mid + 64].fill(0x55);
    let err = ingest_bytes(&corrupt, &IngestOptions::default()).expect_err("corrupt");
    assert!(matches!(err, PhotoError::Truncated { .. }), "{err:?}");
}

#[test]
fn photo_random_bytes_after_jpeg_magic_are_an_error() {
    let mut seed = 7u32;
    let mut bytes = vec![0xFF, 0xD8, 0xFF];
    bytes.extend((0..50_000).map(|_| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as u8
    }));
    let err = ingest_bytes(&bytes, &IngestOptions::default()).expect_err("random");
    assert!(matches!(err, PhotoError::Truncated { .. } | PhotoError::NotAnImage { .. }), "{err:?}");
}

#[test]
fn photo_too_large_is_refused_before_decoding() {
    // A PNG that claims 20000x20000 (400 MP) with no pixel data at all.
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(b"IHDR");
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]); // depth, colour, ..., CRC (unchecked)
    png.extend_from_slice(&[0, 0, 0, 0]);
    png.extend_from_slice(b"IEND");
    png.extend_from_slice(&[0xAE, 0x42, 0x60, 0x82]);
    let err = ingest_bytes(&png, &IngestOptions::default()).expect_err("bomb");
    assert!(matches!(err, PhotoError::TooLarge { width: 20_000, height: 20_000 }), "{err:?}");
    assert!(err.to_string().contains("100-megapixel"), "{err}");

    // A JPEG frame header claiming 60000x60000.
    let mut jpg = vec![0xFF, 0xD8];
    jpg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 8, 0xEA, 0x60, 0xEA, 0x60, 1, 1, 0x11, 0]);
    jpg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0]);
    jpg.extend_from_slice(&[0x00, 0x00, 0xFF, 0xD9]);
    let err = ingest_bytes(&jpg, &IngestOptions::default()).expect_err("bomb");
    assert!(matches!(err, PhotoError::TooLarge { width: 60_000, height: 60_000 }), "{err:?}");
}
