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
    /// A build without the built-in HTTP transport, opened without the app's (`Store::with_transport`).
    #[error("this build of the core has no HTTP transport: open the store with the app's (FieldStore.open_with_http)")]
    NoTransport,
    #[error("the server refused this device's token: {0}")]
    Unauthorized(String),
    /// The server refused a pairing code (or the pairing itself).
    #[error("{message}")]
    Pairing { refusal: PairingRefusal, message: String },
    #[error("sync failed: {0}")]
    Sync(String),
    #[error("{records} records and {photos} photos are not on the server yet")]
    Unsynced { records: u32, photos: u32 },
    #[error("cancelled")]
    Cancelled,
    /// The server has no records of that site and day, so no daily report.
    #[error("no daily report for site {site_id} on {date}: nothing was recorded that day")]
    NoDailyReport { site_id: String, date: String },
    /// A day the phone no longer holds (sync scopes) and could not fetch: no connection.
    #[error("site {site_id}'s records of {date} are no longer on this phone: connect to fetch them")]
    DayNotOnPhone { site_id: String, date: String },
    /// A record this phone held and evicted (sync scopes): it is on the server, not here.
    #[error("record {id} is no longer on this phone: fetch it (fetch_record) or copy its day (copy_sheet_from_day)")]
    RecordNotOnPhone { id: String },
    #[error("the {what} is larger than {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    /// The server answered with a status this call does not expect (e.g. 503 when it cannot print).
    #[error("the server answered {status}: {message}")]
    Server { status: u16, message: String },
    /// The app's progress listener failed (threw), which stops the operation it was following.
    #[error("the progress listener failed: {0}")]
    Listener(String),
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

/// Why a pairing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairingRefusal {
    Unknown,
    Used,
    Expired,
    /// Anything else the server said no to (a disabled person, no project, too many wrong codes).
    Refused,
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
    /// The file exists but cannot be read (permissions, a folder, an I/O error).
    #[error("cannot read photo file {path}: {reason}")]
    PhotoUnreadable { path: String, reason: String },
    /// More pixels than a phone decodes safely; refused before decoding. Ask for a smaller photo.
    #[error(
        "photo is {width}×{height} pixels, more than the {limit_mp}-megapixel limit",
        limit_mp = .max_pixels / 1_000_000
    )]
    PhotoTooLarge { width: u32, height: u32, max_pixels: u64 },
    /// A JPEG or PNG whose data is cut off or corrupt (e.g. a copy that did not finish).
    #[error("{reason}")]
    PhotoDamaged { reason: String },
    /// Not a JPEG or PNG (`reason` names what it is when known, e.g. GIF), or a variant of them this
    /// app cannot decode.
    #[error("{reason}")]
    PhotoUnsupported { reason: String },
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
    /// This build of the core has no HTTP of its own (the phone builds leave it out) and the store was opened
    /// without the app's `HttpTransport`: open it with `FieldStore.open_with_http`. A bug in the app, not the network.
    #[error("no HTTP transport: open the store with the app's HttpTransport (FieldStore.open_with_http)")]
    NoHttpTransport,
    /// The token is wrong, revoked, or for another project: sign in again.
    #[error("the server refused this device's token: {reason}")]
    Unauthorized { reason: String },
    #[error("sync failed: {reason}")]
    SyncFailed { reason: String },
    /// The pairing code is not known (mistyped, or never made): check it or ask for a new one.
    #[error("pairing code not known: {reason}")]
    PairingCodeUnknown { reason: String },
    /// The pairing code paired a phone already: ask for a new one.
    #[error("pairing code already used: {reason}")]
    PairingCodeUsed { reason: String },
    /// The pairing code is too old (codes last 15 minutes unless made longer): ask for a new one.
    #[error("pairing code expired: {reason}")]
    PairingCodeExpired { reason: String },
    /// The server would not pair for another reason, which `reason` gives (the person is disabled
    /// or on no project, or too many wrong codes were tried: wait and retry).
    #[error("pairing refused: {reason}")]
    PairingRefused { reason: String },
    /// Refused: this would lose work that has not reached the server. Sync first, or force.
    #[error("{records} records and {photos} photos are not on the server yet")]
    UnsyncedData { records: u32, photos: u32 },
    /// The app cancelled the sync. Nothing is lost; what was done is kept and the rest follows next time.
    #[error("cancelled")]
    Cancelled,
    /// The server has no records of that site and day, so there is no daily report for it.
    #[error("no daily report for site {site_id} on {date}: nothing was recorded that day")]
    NoDailyReport { site_id: String, date: String },
    /// The site's records of that day are no longer on this phone (it keeps recent days, its own
    /// and open records) and there is no connection to fetch them: connect and try again.
    #[error("site {site_id}'s records of {date} are no longer on this phone: connect to fetch them")]
    DayNotOnPhone { site_id: String, date: String },
    /// Record `id` was on this phone and left it (it keeps recent days, its own and open records);
    /// the server still has it. Online, `fetch_record(id)` brings it back (for "copy from an
    /// earlier day", `copy_sheet_from_day` fetches the day itself); offline, connect first.
    #[error("record {id} is no longer on this phone: fetch it from the server (fetch_record) when online")]
    RecordNotOnPhone { id: String },
    /// A download larger than this app accepts (`limit_bytes`); nothing was kept.
    #[error("the download is larger than {limit_bytes} bytes")]
    DownloadTooLarge { limit_bytes: u64 },
    /// The server could not do what was asked, for the reason it gives (e.g. 503: it has no font to
    /// print a report with; an admin fixes that on the server).
    #[error("the server answered {status}: {reason}")]
    ServerError { status: u16, reason: String },
    /// The app's `ProgressListener` threw, so the operation it followed stopped there. What was done
    /// before stays done (synced rounds, uploaded or attached photos); the rest follows next time.
    #[error("stopped because the progress listener failed: {reason}")]
    ListenerFailed { reason: String },
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
            Error::Photo(PhotoError::Unreadable { path, reason }) => CoreError::PhotoUnreadable { path, reason },
            Error::Photo(PhotoError::TooLarge { width, height }) => {
                CoreError::PhotoTooLarge { width, height, max_pixels: crate::photo::MAX_PIXELS }
            }
            Error::Photo(PhotoError::Truncated { reason }) => CoreError::PhotoDamaged { reason },
            Error::Photo(PhotoError::NotAnImage { reason }) => CoreError::PhotoUnsupported { reason },
            // Making the thumbnail or preview of a photo that decoded is this app's failure, not the photo's.
            Error::Photo(p @ PhotoError::Encode { .. }) => CoreError::Internal { reason: p.to_string() },
            Error::NotAStore { path, reason } => CoreError::StoreCorrupt { path, reason },
            Error::StoreTooNew { path, found, supported } => CoreError::StoreTooNew { path, found, supported },
            Error::Sql(e) => CoreError::Storage { reason: e.to_string() },
            Error::Migrate(e) => CoreError::Storage { reason: e.to_string() },
            Error::Io { path, source } => CoreError::Storage { reason: format!("{path}: {source}") },
            Error::Closed => CoreError::Closed,
            Error::Offline(reason) => CoreError::Offline { reason },
            Error::NoTransport => CoreError::NoHttpTransport,
            Error::Unauthorized(reason) => CoreError::Unauthorized { reason },
            Error::Sync(reason) => CoreError::SyncFailed { reason },
            Error::Pairing { refusal, message: reason } => match refusal {
                PairingRefusal::Unknown => CoreError::PairingCodeUnknown { reason },
                PairingRefusal::Used => CoreError::PairingCodeUsed { reason },
                PairingRefusal::Expired => CoreError::PairingCodeExpired { reason },
                PairingRefusal::Refused => CoreError::PairingRefused { reason },
            },
            Error::Unsynced { records, photos } => CoreError::UnsyncedData { records, photos },
            Error::Cancelled => CoreError::Cancelled,
            Error::NoDailyReport { site_id, date } => CoreError::NoDailyReport { site_id, date },
            Error::DayNotOnPhone { site_id, date } => CoreError::DayNotOnPhone { site_id, date },
            Error::RecordNotOnPhone { id } => CoreError::RecordNotOnPhone { id },
            Error::TooLarge { limit, .. } => CoreError::DownloadTooLarge { limit_bytes: limit },
            Error::Server { status, message } => CoreError::ServerError { status, reason: message },
            Error::Listener(reason) => CoreError::ListenerFailed { reason },
            Error::Internal(reason) => CoreError::Internal { reason },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each way a photo can be unusable is its own variant for apps, with what they need to say so.
    #[test]
    fn photo_errors_map_one_to_one() {
        let core = |p: PhotoError| CoreError::from(Error::Photo(p));
        assert!(matches!(
            core(PhotoError::NotFound { path: "a.jpg".into() }),
            CoreError::PhotoNotFound { path } if path == "a.jpg"
        ));
        assert!(matches!(
            core(PhotoError::Unreadable { path: "a.jpg".into(), reason: "denied".into() }),
            CoreError::PhotoUnreadable { path, reason } if path == "a.jpg" && reason == "denied"
        ));
        let too_large = core(PhotoError::TooLarge { width: 20_000, height: 20_000 });
        assert!(too_large.to_string().contains("100-megapixel"), "{too_large}");
        assert!(
            matches!(too_large, CoreError::PhotoTooLarge { width: 20_000, height: 20_000, max_pixels: 100_000_000 }),
            "{too_large:?}"
        );
        assert!(matches!(
            core(PhotoError::Truncated { reason: "cut off".into() }),
            CoreError::PhotoDamaged { reason } if reason == "cut off"
        ));
        assert!(matches!(
            core(PhotoError::NotAnImage { reason: "a GIF".into() }),
            CoreError::PhotoUnsupported { reason } if reason == "a GIF"
        ));
        assert!(matches!(core(PhotoError::Encode { reason: "x".into() }), CoreError::Internal { .. }));
        assert!(matches!(
            CoreError::from(Error::Listener("boom".into())),
            CoreError::ListenerFailed { reason } if reason == "boom"
        ));
    }
}
