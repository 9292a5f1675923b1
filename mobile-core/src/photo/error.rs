//! The one error type of photo ingest. Every message is a sentence a site manager can read.

/// Why a photo could not be ingested. Each variant is one `CoreError` apps see (`crate::error`):
/// `NotFound` → `PhotoNotFound`, `Unreadable` → `PhotoUnreadable`, `NotAnImage` → `PhotoUnsupported`,
/// `Truncated` → `PhotoDamaged`, `TooLarge` → `PhotoTooLarge`, `Encode` (this app's own failure)
/// → `Internal`.
///
/// `NotAnImage` and `Truncated` carry a complete, human-readable sentence in `reason`
/// (it names the file when the photo came from [`super::ingest_file`]), and that sentence
/// is the whole `Display` output.
#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The file does not exist.
    #[error("photo file not found: {path}")]
    NotFound { path: String },

    /// The file exists but could not be read (permissions, it is a folder, I/O error...).
    #[error("cannot read photo file {path}: {reason}")]
    Unreadable { path: String, reason: String },

    /// The bytes are not a JPEG or PNG (sniffed from the magic bytes), or use a
    /// JPEG/PNG variant that cannot be decoded (including one needing more decoding memory than
    /// allowed).
    #[error("{reason}")]
    NotAnImage { reason: String },

    /// A JPEG or PNG whose data ends early or is corrupt mid-stream. Never turned into a
    /// half-grey thumbnail.
    #[error("{reason}")]
    Truncated { reason: String },

    /// Refused before any pixel was decoded: more than [`super::MAX_PIXELS`] pixels
    /// (protects the phone against decompression bombs).
    #[error(
        "photo is {width}×{height} pixels, more than the {limit_mp}-megapixel limit",
        limit_mp = super::MAX_PIXELS / 1_000_000
    )]
    TooLarge { width: u32, height: u32 },

    /// The thumbnail or preview could not be produced from pixels that decoded.
    #[error("could not make the photo's thumbnail or preview: {reason}")]
    Encode { reason: String },
}
