//! Photo ingest: hash the original, read its EXIF facts, and make an upright thumbnail and
//! preview, once per shutter press.
//!
//! What keeps the work small on a 12-megapixel JPEG (see `benches/photo_ingest.rs`):
//! - the SHA-256 of the original runs on a second thread while the pixels are decoded;
//! - the JPEG is decoded with DCT scaling straight to the smallest size whose long edge is
//!   still >= the preview edge (4000×3000 → 1500×1125 at 3/8 for a 1280 preview), so the
//!   full-size image (36 MB of RGB) is never materialised;
//! - baseline JPEGs (what phone cameras write) are Huffman-decoded on two cores even without
//!   restart markers (`split_jpeg`: a second decoder starts mid-scan and is taken over where it
//!   provably stands in step), to YCbCr planes; other JPEGs go to libjpeg-turbo;
//! - planes stay planes: resized (SIMD, fast_image_resize; chroma on a second thread) and
//!   encoded 4:2:0 by libjpeg-turbo with no colour conversion either way; the thumbnail is made
//!   from the preview, on a second thread while the preview is encoded;
//! - EXIF orientation is applied to the small outputs only.
//!
//! Measured (`cargo bench -p mobile-core --bench photo_ingest`, the benchmark's 2.8 MB
//! quality-92 4:2:0 4000×3000 photo, 2-core VM whose runs vary by ±10%): ingest 44–48 ms vs the
//! naive `image::open(..).thumbnail(..)` 141–150 ms in the same runs, ratio 0.31–0.32 (0.34–0.40
//! decoding at 1/2; 0.52 with libjpeg-turbo's single-threaded scaled decode to RGB; 0.92 with
//! jpeg-decoder). The 1/8-scale libjpeg-turbo decode alone, little more than one core's
//! entropy decoding, is 0.25 of the naive path: the two-core split is what gets ingest near it.
//!
//! Safety rails: the format is sniffed from magic bytes; the container structure is walked
//! before decoding so a file cut off mid-scan is [`PhotoError::Truncated`] (decoders would
//! happily fill the missing part with grey); more than [`MAX_PIXELS`] is refused before any
//! pixel is decoded.

pub(crate) mod container;
mod decode;
mod error;
mod exif;
mod resize;
mod split_jpeg;

use std::path::Path;

use fast_image_resize::FilterType;
use sha2::{Digest, Sha256};

pub use error::PhotoError;

use container::{Container, Format};
use decode::Decoded;
use exif::PhotoMeta;
use record_schema::photo::fit_within;
use resize::Picture;

/// Photos with more pixels than this are refused (decompression-bomb guard); the server's upload
/// check takes the same limit, so what the phone took in always uploads.
pub const MAX_PIXELS: u64 = record_schema::photo::MAX_PIXELS;

const THUMBNAIL_QUALITY: u8 = 80;
const PREVIEW_QUALITY: u8 = record_schema::photo::PREVIEW_QUALITY;
/// Decoded → preview is a mild shrink (< 2× after DCT scaling): a sharp bicubic is cheap.
const PREVIEW_FILTER: FilterType = FilterType::CatmullRom;
/// Preview → thumbnail shrinks ~5×; the convolution widens the kernel, so no aliasing.
const THUMBNAIL_FILTER: FilterType = FilterType::CatmullRom;
/// Below this, hashing takes less time than starting a thread.
const PARALLEL_HASH_MIN_BYTES: usize = 256 * 1024;

/// Sizes of the derived images. A value of 0 is treated as 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestOptions {
    /// Long edge of the thumbnail, in pixels (default 256).
    pub thumbnail_edge: u32,
    /// Long edge of the preview, in pixels (default 1280). Never upscaled.
    pub preview_edge: u32,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { thumbnail_edge: 256, preview_edge: record_schema::photo::PREVIEW_SIDE }
    }
}

/// Everything the store needs to keep about a new photo.
#[derive(Clone, PartialEq)]
pub struct IngestedPhoto {
    /// Lower-case hex SHA-256 of the original bytes.
    pub sha256: String,
    pub byte_size: u64,
    /// Size of the original as displayed (EXIF orientation 5..=8 swap the stored sides).
    pub width: u32,
    pub height: u32,
    /// "image/jpeg" or "image/png".
    pub mime: &'static str,
    /// EXIF `DateTimeOriginal` (+ `SubSecTimeOriginal`), ms since the Unix epoch. The
    /// `OffsetTimeOriginal` offset is applied when present; **without it the wall-clock time
    /// is taken as UTC**.
    pub captured_at_ms: Option<i64>,
    /// EXIF GPS position, when present and plausible (0°,0° and "void" fixes are dropped).
    pub location: Option<record_schema::GeoPoint>,
    /// Upright JPEG (quality 80), long edge <= `thumbnail_edge`.
    pub thumbnail_jpeg: Vec<u8>,
    /// Lower-case hex SHA-256 of `thumbnail_jpeg`.
    pub thumbnail_sha256: String,
    /// Upright JPEG (quality 82), long edge <= `preview_edge`, never upscaled.
    pub preview_jpeg: Vec<u8>,
}

impl std::fmt::Debug for IngestedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestedPhoto")
            .field("sha256", &self.sha256)
            .field("byte_size", &self.byte_size)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("mime", &self.mime)
            .field("captured_at_ms", &self.captured_at_ms)
            .field("location", &self.location)
            .field("thumbnail_jpeg", &format_args!("<{} bytes>", self.thumbnail_jpeg.len()))
            .field("thumbnail_sha256", &self.thumbnail_sha256)
            .field("preview_jpeg", &format_args!("<{} bytes>", self.preview_jpeg.len()))
            .finish()
    }
}

/// Reads the file at `path`, then [`ingest_bytes`]. Error messages name the file.
pub fn ingest_file(path: &Path, opts: &IngestOptions) -> Result<IngestedPhoto, PhotoError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PhotoError::NotFound { path: shown.clone() },
        _ => PhotoError::Unreadable { path: shown.clone(), reason: e.to_string() },
    })?;
    let subject = path.file_name().map_or(shown, |n| n.to_string_lossy().into_owned());
    ingest(&bytes, opts, &subject)
}

/// Ingests a JPEG or PNG held in memory.
pub fn ingest_bytes(bytes: &[u8], opts: &IngestOptions) -> Result<IngestedPhoto, PhotoError> {
    ingest(bytes, opts, "the photo data")
}

fn ingest(bytes: &[u8], opts: &IngestOptions, subject: &str) -> Result<IngestedPhoto, PhotoError> {
    let container = container::inspect(bytes, subject)?;
    let meta = exif::read_meta(container.exif);
    let (width, height) =
        if meta.orientation >= 5 { (container.height, container.width) } else { (container.width, container.height) };
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooLarge { width, height });
    }

    let (sha256, outputs) = hash_alongside(bytes, || make_outputs(bytes, &container, &meta, opts, subject));
    let (thumbnail_jpeg, preview_jpeg) = outputs?;
    Ok(IngestedPhoto {
        sha256,
        byte_size: bytes.len() as u64,
        width,
        height,
        mime: container.format.mime(),
        captured_at_ms: meta.captured_at_ms,
        location: meta.location,
        thumbnail_sha256: sha256_hex(&thumbnail_jpeg),
        thumbnail_jpeg,
        preview_jpeg,
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Runs `work` while the SHA-256 of `bytes` is computed on another thread (large files only).
fn hash_alongside<T: Send>(bytes: &[u8], work: impl FnOnce() -> T + Send) -> (String, T) {
    if bytes.len() < PARALLEL_HASH_MIN_BYTES {
        return (sha256_hex(bytes), work());
    }
    let (out, hash) = resize::alongside(work, || sha256_hex(bytes));
    (hash, out)
}

/// Decodes as little as possible and returns (thumbnail JPEG, preview JPEG).
fn make_outputs(
    bytes: &[u8],
    container: &Container<'_>,
    meta: &PhotoMeta,
    opts: &IngestOptions,
    subject: &str,
) -> Result<(Vec<u8>, Vec<u8>), PhotoError> {
    let thumb_edge = opts.thumbnail_edge.max(1);
    let preview_edge = opts.preview_edge.max(1);
    let (w, h) = (container.width, container.height);
    let decoded = match container.format {
        Format::Jpeg => decode::decode_jpeg(bytes, w, h, preview_edge.max(thumb_edge), subject)?,
        Format::Png => Decoded::Interleaved(decode::decode_png(bytes, subject)?),
    };

    let sizes = OutputSizes::of(w, h, thumb_edge, preview_edge, meta.orientation);
    match decoded {
        Decoded::Interleaved(raster) => sizes.outputs(raster),
        Decoded::Planar(planes) => sizes.outputs(planes),
    }
}

/// The derived images' sizes, computed from the original's size (stored orientation), so
/// DCT-scaling rounding never changes the outputs' aspect ratio.
struct OutputSizes {
    preview: (u32, u32),
    thumbnail: (u32, u32),
    /// The thumbnail's size once upright: it is made from the (upright) preview, unless it is
    /// the bigger of the two.
    thumbnail_upright: Option<(u32, u32)>,
    orientation: u8,
}

impl OutputSizes {
    fn of(w: u32, h: u32, thumb_edge: u32, preview_edge: u32, orientation: u8) -> Self {
        let (tw, th) = fit_within(w, h, thumb_edge);
        let upright = if orientation >= 5 { (th, tw) } else { (tw, th) };
        OutputSizes {
            preview: fit_within(w, h, preview_edge),
            thumbnail: (tw, th),
            thumbnail_upright: (thumb_edge <= preview_edge).then_some(upright),
            orientation,
        }
    }

    /// (thumbnail JPEG, preview JPEG).
    fn outputs<P: Picture>(&self, decoded: P) -> Result<(Vec<u8>, Vec<u8>), PhotoError> {
        let (pw, ph) = self.preview;
        let preview = decoded.resized(pw, ph, PREVIEW_FILTER)?.oriented(self.orientation);
        let Some((tw, th)) = self.thumbnail_upright else {
            // An unusual configuration: the thumbnail is bigger than the preview.
            let (tw, th) = self.thumbnail;
            let thumbnail = decoded.resized(tw, th, THUMBNAIL_FILTER)?.oriented(self.orientation);
            return Ok((thumbnail.encoded(THUMBNAIL_QUALITY)?, preview.encoded(PREVIEW_QUALITY)?));
        };
        drop(decoded);
        // The thumbnail is made and encoded on a second thread while the preview is encoded.
        let (preview_jpeg, thumbnail_jpeg) = resize::alongside(
            || preview.encoded(PREVIEW_QUALITY),
            || preview.resized(tw, th, THUMBNAIL_FILTER)?.encoded(THUMBNAIL_QUALITY),
        );
        Ok((thumbnail_jpeg?, preview_jpeg?))
    }
}
