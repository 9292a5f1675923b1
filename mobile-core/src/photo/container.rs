//! Cheap structural checks on the raw bytes, before any pixel is decoded:
//! format sniffing, dimensions, the embedded EXIF block, and "does the file really end?"
//!
//! Decoders are forgiving in the wrong way for us: `jpeg-decoder` fills a file cut off
//! mid-scan with grey and reports success. Checking the container structure ourselves
//! turns such a file into [`PhotoError::Truncated`] instead of a half-grey thumbnail.

use super::error::PhotoError;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// The two formats we ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Jpeg,
    Png,
}

impl Format {
    pub(crate) fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }
}

/// What the container walk found.
#[derive(Debug)]
pub(crate) struct Container<'a> {
    pub format: Format,
    /// Stored (un-rotated) dimensions, from the JPEG frame header or the PNG IHDR.
    pub width: u32,
    pub height: u32,
    /// The TIFF structure of the EXIF block (starting at the byte-order mark), if any.
    pub exif: Option<&'a [u8]>,
}

/// Sniffs the magic bytes and walks the container. `subject` names the photo in messages
/// ("photo.jpg", "the photo data").
pub(crate) fn inspect<'a>(bytes: &'a [u8], subject: &str) -> Result<Container<'a>, PhotoError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        inspect_jpeg(bytes, subject)
    } else if bytes.starts_with(&PNG_SIGNATURE) {
        inspect_png(bytes, subject)
    } else {
        Err(PhotoError::NotAnImage {
            reason: format!("{subject} is not a JPEG or PNG image ({})", describe_other(bytes)),
        })
    }
}

/// A short guess at what the bytes are instead, for the error message.
fn describe_other(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(512)];
    if bytes.is_empty() {
        "it is empty: 0 bytes"
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        "it is a GIF image"
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        "it is a WebP image"
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(&head[8..12], b"heic" | b"heix" | b"mif1" | b"msf1" | b"heim" | b"heis" | b"hevc")
    {
        "it is a HEIC/HEIF image; set the camera to save JPEG (\"Most Compatible\")"
    } else if head.starts_with(b"%PDF") {
        "it is a PDF document"
    } else if head.starts_with(b"BM") {
        "it looks like a BMP image"
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        "it is a TIFF or camera RAW file"
    } else if head.starts_with(&[0xFF, 0xD8]) {
        "it starts like a JPEG but the header is damaged"
    } else if looks_like_text(head) {
        "it looks like a text file"
    } else {
        "its first bytes match no known image format"
    }
}

/// UTF-8 (a character cut at the end of `head` is fine) without control characters
/// other than whitespace.
fn looks_like_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&head[..e.valid_up_to()]) {
            Ok(s) => s,
            Err(_) => return false,
        },
        Err(_) => return false,
    };
    !text.is_empty() && text.chars().all(|c| !c.is_control() || c.is_whitespace())
}

fn truncated(subject: &str, what: &str) -> PhotoError {
    PhotoError::Truncated {
        reason: format!(
            "{subject} is damaged or incomplete: {what} (the file was probably cut off while being copied or saved)"
        ),
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

// ---------------------------------------------------------------- JPEG

/// Walks the marker segments from SOI up to the first SOS (frame size, EXIF), then makes
/// sure the file really ends with an EOI marker.
fn inspect_jpeg<'a>(bytes: &'a [u8], subject: &str) -> Result<Container<'a>, PhotoError> {
    let mut pos = 2; // after SOI
    let mut size: Option<(u32, u32)> = None;
    let mut exif: Option<&[u8]> = None;
    let sos = loop {
        let Some(&b) = bytes.get(pos) else {
            return Err(truncated(subject, "the JPEG data ends inside its header"));
        };
        if b != 0xFF {
            return Err(truncated(subject, "the JPEG header is corrupt"));
        }
        let Some(&marker) = bytes.get(pos + 1) else {
            return Err(truncated(subject, "the JPEG data ends inside its header"));
        };
        match marker {
            0xFF => pos += 1, // fill byte before a marker
            0x01 | 0xD0..=0xD7 => pos += 2,
            0xD8 | 0xD9 | 0x00 => {
                return Err(truncated(subject, "the JPEG header is corrupt"));
            }
            _ => {
                let Some(len) = be16(bytes, pos + 2).map(usize::from) else {
                    return Err(truncated(subject, "the JPEG data ends inside its header"));
                };
                let seg_end = pos + 2 + len;
                if len < 2 || seg_end > bytes.len() {
                    return Err(truncated(subject, "the JPEG data ends inside its header"));
                }
                let payload = &bytes[pos + 4..seg_end];
                match marker {
                    0xDA => break pos,
                    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
                    0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                        let (Some(h), Some(w)) = (be16(payload, 1), be16(payload, 3)) else {
                            return Err(truncated(subject, "the JPEG frame header is corrupt"));
                        };
                        size = Some((u32::from(w), u32::from(h)));
                    }
                    0xE1 if exif.is_none() && payload.starts_with(b"Exif\0\0") => {
                        exif = Some(&payload[6..]);
                    }
                    _ => {}
                }
                pos = seg_end;
            }
        }
    };
    let Some((width, height)) = size else {
        return Err(truncated(subject, "the JPEG has no frame header before its image data"));
    };
    if width == 0 || height == 0 {
        return Err(truncated(subject, "the JPEG frame header gives a zero size"));
    }
    if !jpeg_ends_with_eoi(bytes) && !jpeg_scan_reaches_eoi(bytes, sos) {
        return Err(truncated(subject, "the JPEG image data stops before the end-of-image marker"));
    }
    Ok(Container { format: Format::Jpeg, width, height, exif })
}

/// Fast path: the last bytes (ignoring zero padding some cameras add) are the EOI marker.
fn jpeg_ends_with_eoi(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    bytes[..end].ends_with(&[0xFF, 0xD9])
}

/// Slow path, for files with data appended after the image (motion photos, MPF, vendor
/// trailers): walk the scans and segments from the first SOS until an EOI marker.
fn jpeg_scan_reaches_eoi(bytes: &[u8], mut pos: usize) -> bool {
    loop {
        match (bytes.get(pos), bytes.get(pos + 1)) {
            (Some(0xFF), Some(0xFF)) => pos += 1,
            (Some(0xFF), Some(0xD9)) => return true,
            (Some(0xFF), Some(0x01 | 0xD0..=0xD7)) => pos += 2,
            (Some(0xFF), Some(&marker)) if marker != 0x00 && marker != 0xD8 => {
                let Some(len) = be16(bytes, pos + 2).map(usize::from) else {
                    return false;
                };
                if len < 2 {
                    return false;
                }
                pos += 2 + len;
                if marker == 0xDA {
                    match skip_entropy_coded(bytes, pos) {
                        Some(next) => pos = next,
                        None => return false,
                    }
                }
            }
            _ => return false,
        }
    }
}

/// Returns the position of the marker that ends the entropy-coded data starting at `pos`
/// (skipping stuffed `FF 00` bytes and restart markers), or `None` if the data runs out.
fn skip_entropy_coded(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let ff = pos + bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(ff + 1)? {
            0x00 | 0xD0..=0xD7 => pos = ff + 2,
            _ => return Some(ff),
        }
    }
}

// ---------------------------------------------------------------- PNG

/// Walks the PNG chunks up to IEND (sizes are in the chunk headers, so this is cheap).
fn inspect_png<'a>(bytes: &'a [u8], subject: &str) -> Result<Container<'a>, PhotoError> {
    let mut pos = PNG_SIGNATURE.len();
    let mut size: Option<(u32, u32)> = None;
    let mut exif: Option<&[u8]> = None;
    loop {
        let (Some(len), Some(kind)) = (be32(bytes, pos), bytes.get(pos + 4..pos + 8)) else {
            return Err(truncated(subject, "the PNG data stops before its IEND chunk"));
        };
        let data_start = pos + 8;
        let Some(data_end) = data_start.checked_add(len as usize) else {
            return Err(truncated(subject, "a PNG chunk has an impossible length"));
        };
        if data_end.saturating_add(4) > bytes.len() {
            return Err(truncated(subject, "the PNG data stops before its IEND chunk"));
        }
        let data = &bytes[data_start..data_end];
        match kind {
            b"IHDR" => {
                let (Some(w), Some(h)) = (be32(data, 0), be32(data, 4)) else {
                    return Err(truncated(subject, "the PNG header chunk is corrupt"));
                };
                size = Some((w, h));
            }
            b"eXIf" if exif.is_none() => {
                // Some writers keep JPEG's "Exif\0\0" prefix; the TIFF structure follows it.
                exif = Some(data.strip_prefix(b"Exif\0\0").unwrap_or(data));
            }
            b"IEND" => break,
            _ => {}
        }
        if size.is_none() {
            return Err(truncated(subject, "the PNG does not start with its header chunk"));
        }
        pos = data_end + 4; // CRC
    }
    let Some((width, height)) = size else {
        return Err(truncated(subject, "the PNG has no header chunk"));
    };
    if width == 0 || height == 0 {
        return Err(truncated(subject, "the PNG header gives a zero size"));
    }
    Ok(Container { format: Format::Png, width, height, exif })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_skips_stuffed_bytes_and_restarts() {
        // SOS segment (len 2, empty), data with FF00 and RST0, then EOI, then a trailer.
        let data = [0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9, 1, 2, 3];
        assert!(jpeg_scan_reaches_eoi(&data, 0));
        assert!(!jpeg_scan_reaches_eoi(&data[..11], 0));
    }

    #[test]
    fn eoi_fast_path_ignores_zero_padding() {
        assert!(jpeg_ends_with_eoi(&[0xFF, 0xD8, 0xFF, 0xD9, 0, 0, 0]));
        assert!(!jpeg_ends_with_eoi(&[0xFF, 0xD8, 0x12, 0x34]));
        assert!(!jpeg_ends_with_eoi(&[]));
    }

    #[test]
    fn describes_common_non_images() {
        assert!(describe_other(b"").contains("empty"));
        assert!(describe_other(b"GIF89a....").contains("GIF"));
        assert!(describe_other(b"hello, this is a site diary\n").contains("text"));
        assert!(describe_other(&[0x00, 0xFE, 0x81, 0x02]).contains("no known"));
    }
}
