//! The server's shared state (`AppState`) and its bounds on memory and input (`Limits`).

use axum::extract::FromRef;

use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
    pub cache: std::sync::Arc<crate::cache::DocCache>,
    /// The shared commit of sync writes.
    pub commits: crate::commit::Committer<crate::sync::SyncWrite>,
    /// Connections for the token lookup that starts every sync (`crate::held`).
    pub sync_reads: std::sync::Arc<crate::held::Held>,
    pub limits: Limits,
    pub blobs: std::sync::Arc<crate::blobs::Blobs>,
    /// When each device was last written as seen (`crate::access::devices::note_seen`).
    pub seen: std::sync::Arc<crate::access::devices::SeenTracker>,
}

/// Bounds on memory and input, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The hot document cache's budget.
    pub cache_bytes: usize,
    /// Largest request body accepted (a sync batch); larger gets 413.
    pub max_request_bytes: usize,
    /// Writer tasks of the shared commit on PostgreSQL (SQLite has one).
    pub db_writers: usize,
    /// Sync writes waiting for the shared commit; past this a sync is refused at once (503,
    /// `Retry-After`) instead of queueing without bound while the database is slow.
    pub commit_queue: usize,
    /// Longest an API request may take (sync, approvals, reports, screens), body included; 408
    /// after. Photo uploads are exempt: a large one on a slow link takes long (see `upload_stall`).
    pub request_timeout: std::time::Duration,
    /// Longest a photo upload's body (tus PATCH) may send nothing; the request then ends, freeing
    /// the upload for the client's next PATCH.
    pub upload_stall: std::time::Duration,
    /// Bytes of offered documents per sync answer; the rest follow on the next request
    /// (`SyncResponse::more`), so a phone joining a big project gets it in answers that each fit
    /// well within the request timeout.
    pub sync_answer_bytes: usize,
}

/// Writer tasks of the shared commit on PostgreSQL (SQLite has one). Since a batch of edit syncs
/// is one statement, one writer gathers the largest batches and wins (measured with the load
/// generator, 3 interleaved runs each: 1 writer 2,455-2,552 syncs/s and 0.19 ms of postgres CPU
/// per sync; 2 writers 2,142-2,403 and 0.22-0.24 ms; 4 writers 2,020-2,193 and 0.28-0.30 ms).
pub const DEFAULT_DB_WRITERS: usize = 1;

/// Sync writes that may wait for the shared commit (a batch takes at most 64; see `crate::commit`).
pub const DEFAULT_COMMIT_QUEUE: u32 = 4096;
/// Seconds an API request may take.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// KiB of offered documents per sync answer.
pub const DEFAULT_SYNC_ANSWER_KB: u32 = 4096;
/// Seconds a photo upload's body may stall.
pub const DEFAULT_UPLOAD_STALL_SECS: u64 = 60;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            cache_bytes: 64 << 20,
            max_request_bytes: 32 << 20,
            db_writers: DEFAULT_DB_WRITERS,
            commit_queue: DEFAULT_COMMIT_QUEUE as usize,
            request_timeout: std::time::Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
            upload_stall: std::time::Duration::from_secs(DEFAULT_UPLOAD_STALL_SECS),
            sync_answer_bytes: (DEFAULT_SYNC_ANSWER_KB as usize) << 10,
        }
    }
}

impl AppState {
    /// Must be called within a Tokio runtime (it starts the database writers).
    pub fn new(db: Db, limits: Limits, blobs: std::sync::Arc<crate::blobs::Blobs>) -> Self {
        let cache = std::sync::Arc::new(crate::cache::DocCache::new(limits.cache_bytes));
        let commits = crate::commit::Committer::start_bounded(db.clone(), limits.db_writers, limits.commit_queue);
        let metrics = crate::metrics::Metrics::new(cache.clone(), &commits);
        let sync_reads = std::sync::Arc::new(crate::held::Held::new(db.clone(), SYNC_READ_CONNECTIONS));
        let seen = std::sync::Arc::default();
        AppState { db, metrics, cache, commits, sync_reads, limits, blobs, seen }
    }
}

impl FromRef<AppState> for std::sync::Arc<crate::metrics::Metrics> {
    fn from_ref(state: &AppState) -> Self {
        state.metrics.clone()
    }
}

/// Connections held for the sync path's token lookups: a few, so lookups of concurrent syncs
/// overlap (SQLite's WAL lets them read beside the writer).
const SYNC_READ_CONNECTIONS: usize = 4;

impl FromRef<AppState> for std::sync::Arc<crate::held::Held> {
    fn from_ref(state: &AppState) -> Self {
        state.sync_reads.clone()
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.clone()
    }
}
