//! tus constants and Upload-Metadata keys shared by the phone's upload client
//! (`mobile-core/src/store/upload.rs`) and the server (`server/src/blobs/tus/`), so both speak the
//! same version, headers and keys (docs/sync-protocol.md, "Photo uploads").

/// The tus version both sides speak (`Tus-Resumable`, `Tus-Version`).
pub const TUS_VERSION: &str = "1.0.0";
/// The extensions the server offers (`Tus-Extension`).
pub const TUS_EXTENSIONS: &str = "creation,checksum,termination,expiration";
/// The `Upload-Checksum` algorithms the server accepts (`Tus-Checksum-Algorithm`).
pub const TUS_CHECKSUMS: &str = "sha1,sha256";
/// The algorithm the phone checksums its chunks with (one of [`TUS_CHECKSUMS`]).
pub const CHECKSUM_ALGORITHM: &str = "sha256";

/// Where uploads are created (`POST`); an upload lives at `UPLOADS_PATH/<id>`.
pub const UPLOADS_PATH: &str = "/v1/uploads";
/// The `Content-Type` of every PATCH.
pub const PATCH_CONTENT_TYPE: &str = "application/offset+octet-stream";

/// Header names (HTTP headers are case-insensitive; these are the spellings the protocol uses).
pub mod header {
    pub const TUS_RESUMABLE: &str = "Tus-Resumable";
    pub const TUS_VERSION: &str = "Tus-Version";
    pub const TUS_EXTENSION: &str = "Tus-Extension";
    pub const TUS_MAX_SIZE: &str = "Tus-Max-Size";
    pub const TUS_CHECKSUM_ALGORITHM: &str = "Tus-Checksum-Algorithm";
    pub const UPLOAD_LENGTH: &str = "Upload-Length";
    pub const UPLOAD_DEFER_LENGTH: &str = "Upload-Defer-Length";
    pub const UPLOAD_OFFSET: &str = "Upload-Offset";
    pub const UPLOAD_METADATA: &str = "Upload-Metadata";
    pub const UPLOAD_CHECKSUM: &str = "Upload-Checksum";
    pub const UPLOAD_EXPIRES: &str = "Upload-Expires";
}

/// `Upload-Metadata` keys.
pub mod meta {
    /// Optional: the hex SHA-256 of the whole file (the photo's identity). The server hashes what
    /// arrives; a declared one is checked at completion and lets a photo the project already has
    /// complete at creation. Our phone always declares it.
    pub const SHA256: &str = "sha256";
    /// Optional: the file's name.
    pub const FILENAME: &str = "filename";
    /// Optional: the file's MIME type (`image/jpeg`, `image/png`).
    pub const MIME: &str = "mime";
    /// Optional: the name other tus clients give the MIME type; read when `mime` is absent.
    pub const FILETYPE: &str = "filetype";
}
