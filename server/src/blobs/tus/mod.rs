//! tus 1.0 resumable uploads at `/v1/uploads` (core, creation, checksum, termination and expiration extensions) and the blob
//! reads at `/v1/blobs/{sha256}`. Every route needs a device token; uploads and blobs are scoped to
//! the token's project, and anything of another project is simply not found.
//!
//! The bytes received so far are in `<data dir>/uploads/<id>`, the offset that counts is the
//! database's: a chunk is fsynced before the offset moves, and leftovers of a request cut short are
//! cut off before the next chunk, so a killed server resumes exactly where HEAD says.
//!
//! An unfinished upload expires `Blobs::upload_ttl` after its creation (its responses say when, in
//! `Upload-Expires`): afterwards it answers 410 and a sweeper deletes its row and partial file. A client may
//! also terminate it at once with DELETE.
//!
//! The routes are listed in `crate::routes` (`tus_routes`), with `tus_headers` on the uploads.
//!
//! The code is in three files: `protocol.rs` (the tus protocol: constants, `Tus-Resumable`,
//! headers, metadata, checksums), `handlers.rs` (the HTTP handlers of the uploads and blob reads)
//! and `uploads.rs` (the `uploads` table, partial files, expiry and its sweeper, completion). This
//! module re-exports what other code calls, so callers name `crate::blobs::tus::...` as before.

mod handlers;
mod protocol;
mod uploads;

pub(crate) use handlers::{
    Derived, create, ensure_derived, options, original, patch, preview, readable, serve, status, terminate, thumbnail,
};
// The handlers' OpenAPI descriptions (`#[utoipa::path]`), listed by `crate::openapi`.
pub(crate) use handlers::{
    __path_create, __path_options, __path_original, __path_patch, __path_preview, __path_status, __path_terminate,
    __path_thumbnail,
};
pub(crate) use protocol::tus_headers;
pub use protocol::{TUS_CHECKSUMS, TUS_EXTENSIONS, TUS_VERSION, parse_metadata};
pub use uploads::{spawn_sweeper, sweep_expired};
