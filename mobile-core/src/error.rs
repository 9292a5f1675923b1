//! Errors. Internal code uses `Error` (rich, with sources); apps see `CoreError`, a small set of stable,
//! typed variants that cross the FFI (one mapping function, `From<Error> for CoreError`).

use record_schema::{SchemaError, ValidationError};

use crate::photo::PhotoError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{what} {id:?} was not found")]
    NotFound { what: &'static str, id: String },
    #[error("record {id} is voided and can no longer be edited")]
    Voided { id: String },
    #[error("record {id} is a {found}, not a {expected}")]
    WrongKind { id: String, expected: String, found: String },
    #[error("document {id}: {source}")]
    Document { id: String, source: SchemaError },
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error("{path} is not a Fieldledger store: {reason}")]
    NotAStore { path: String, reason: String },
    #[error("{path} was written by a newer Fieldledger (store format {found}); this app reads up to {supported}")]
    StoreTooNew { path: String, found: i64, supported: i64 },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("store migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the store is closed")]
    Closed,
    #[error("cannot reach the server: {0}")]
    Offline(String),
    #[error("the server refused this device's token: {0}")]
    Unauthorized(String),
    #[error("sync failed: {0}")]
    Sync(String),
    #[error("{records} records and {photos} photos are not on the server yet")]
    Unsynced { records: u32, photos: u32 },
    #[error("cancelled")]
    Cancelled,
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn document(id: &str, source: impl Into<SchemaError>) -> Self {
        Error::Document { id: id.to_string(), source: source.into() }
    }

    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io { path: path.display().to_string(), source }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What an app sees. Every variant says what went wrong in words a person can act on; `InvalidInput`
/// names the field (e.g. `lines[2].hours`) so the UI can highlight it.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CoreError {
    #[error("{field}: {reason}")]
    InvalidInput { field: String, reason: String },
    #[error("{what} {id} was not found")]
    NotFound { what: String, id: String },
    #[error("record {id} is voided and can no longer be edited")]
    RecordVoided { id: String },
    #[error("record {id} is a {found}, not a {expected}")]
    WrongKind { id: String, expected: String, found: String },
    /// A document written by a newer app version: refused whole, never half-read.
    #[error("document {id} needs a newer app: {kind} schema version {found}, this app reads up to {supported}")]
    NewerSchemaVersion { id: String, kind: String, found: i64, supported: i64 },
    #[error("document {id} is damaged or not a Fieldledger record: {reason}")]
    BadDocument { id: String, reason: String },
    #[error("photo file not found: {path}")]
    PhotoNotFound { path: String },
    #[error("photo is not usable: {reason}")]
    PhotoInvalid { reason: String },
    #[error("{path} is not a Fieldledger store or is damaged: {reason}")]
    StoreCorrupt { path: String, reason: String },
    #[error("{path} was written by a newer app (store format {found}; this app reads up to {supported})")]
    StoreTooNew { path: String, found: i64, supported: i64 },
    #[error("storage failed: {reason}")]
    Storage { reason: String },
    #[error("the store is closed")]
    Closed,
    /// No connection (or it broke): nothing is lost, sync again later.
    #[error("cannot reach the server: {reason}")]
    Offline { reason: String },
    /// The token is wrong, revoked, or for another project: sign in again.
    #[error("the server refused this device's token: {reason}")]
    Unauthorized { reason: String },
    #[error("sync failed: {reason}")]
    SyncFailed { reason: String },
    /// Refused: this would lose work that has not reached the server. Sync first, or force.
    #[error("{records} records and {photos} photos are not on the server yet")]
    UnsyncedData { records: u32, photos: u32 },
    /// The app cancelled the sync. Nothing is lost; what was done is kept and the rest follows next time.
    #[error("cancelled")]
    Cancelled,
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl From<Error> for CoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(v) => CoreError::InvalidInput { field: v.field, reason: v.reason },
            Error::NotFound { what, id } => CoreError::NotFound { what: what.to_string(), id },
            Error::Voided { id } => CoreError::RecordVoided { id },
            Error::WrongKind { id, expected, found } => CoreError::WrongKind { id, expected, found },
            Error::Document { id, source: SchemaError::NewerSchemaVersion { kind, found, supported } } => {
                CoreError::NewerSchemaVersion { id, kind, found, supported }
            }
            Error::Document { id, source } => CoreError::BadDocument { id, reason: source.to_string() },
            Error::Photo(PhotoError::NotFound { path }) => CoreError::PhotoNotFound { path },
            Error::Photo(p) => CoreError::PhotoInvalid { reason: p.to_string() },
            Error::NotAStore { path, reason } => CoreError::StoreCorrupt { path, reason },
            Error::StoreTooNew { path, found, supported } => CoreError::StoreTooNew { path, found, supported },
            Error::Sql(e) => CoreError::Storage { reason: e.to_string() },
            Error::Migrate(e) => CoreError::Storage { reason: e.to_string() },
            Error::Io { path, source } => CoreError::Storage { reason: format!("{path}: {source}") },
            Error::Closed => CoreError::Closed,
            Error::Offline(reason) => CoreError::Offline { reason },
            Error::Unauthorized(reason) => CoreError::Unauthorized { reason },
            Error::Sync(reason) => CoreError::SyncFailed { reason },
            Error::Unsynced { records, photos } => CoreError::UnsyncedData { records, photos },
            Error::Cancelled => CoreError::Cancelled,
            Error::Internal(reason) => CoreError::Internal { reason },
        }
    }
}
