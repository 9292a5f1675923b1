//! HTTP routes.

use std::time::Duration;

use axum::extract::{FromRef, Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::auth::Device;
use crate::db::Db;
use crate::error::ApiError;

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
        AppState { db, metrics, cache, commits, sync_reads, limits, blobs }
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

pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// `app` with `extra` routes beside the API's, under the same layers: tests use it to reach code
/// paths no real request should (e.g. a handler that panics).
pub fn app_with(state: AppState, extra: Router<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::metrics::endpoint))
        .route("/v1/whoami", get(whoami))
        .route("/v1/sync", axum::routing::post(crate::sync::handler))
        .route("/v1/approvals/pending", get(crate::approvals::pending))
        .route("/v1/records/{id}", get(crate::approvals::record))
        .route("/v1/records/{id}/approve", axum::routing::post(crate::approvals::approve))
        .route("/v1/records/{id}/reject", axum::routing::post(crate::approvals::reject))
        .route("/v1/records/{id}/resolve", axum::routing::post(crate::approvals::resolve))
        .route("/v1/ledger/postings", get(crate::approvals::postings))
        .route("/v1/reference", get(crate::office::reference))
        .route("/v1/reference/import", axum::routing::post(crate::office::import_file))
        .route("/v1/reference/project", axum::routing::put(crate::office::put_project))
        .route("/v1/reference/{table}/{key}", axum::routing::put(crate::office::put_row))
        .route("/v1/reports/cost", get(crate::office::cost_report))
        .route("/v1/reports/schedule", get(crate::office::schedule_report))
        .route("/v1/reports/labour", get(crate::office::labour_summary))
        .merge(extra)
        .layer(axum::extract::DefaultBodyLimit::max(state.limits.max_request_bytes))
        .merge(crate::web::routes())
        // Photo uploads (merged below) are exempt: a large one on a slow link may rightly take
        // long; a stalled one is cut off by the upload stall timeout instead (blobs/tus.rs).
        .layer(axum::middleware::from_fn_with_state(state.limits.request_timeout, request_timeout))
        .merge(crate::blobs::tus::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::track))
        .with_state(state)
        .layer(axum::middleware::map_response(retry_after))
        // Outermost: a panic anywhere below answers 500 (logged) and the server goes on serving.
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
}

/// Ends a request that takes longer than `limit` with 408 (its handler is dropped: a sync write
/// already queued still commits, and the phone's next sync finds it).
async fn request_timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            code: "timeout",
            field: None,
            message: format!(
                "the request did not finish within {} s (the limit, --request-timeout-seconds / \
                 FIELDLEDGER_REQUEST_TIMEOUT_SECONDS)",
                limit.as_secs()
            ),
        }
        .into_response(),
    }
}

/// Seconds a client told 503 (busy, or the database unreachable) should wait before trying again.
pub const RETRY_AFTER_SECS: u64 = 1;

/// Every 503 says when to try again.
async fn retry_after(mut response: Response) -> Response {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE && !response.headers().contains_key(RETRY_AFTER) {
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// The answer to a request whose handler panicked: the panic is logged, the client gets the usual
/// 500 JSON body (nothing of the panic leaks).
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    ApiError::internal(format!("a request handler panicked: {what}")).into_response()
}

/// 200 when the database answers; 503 with the reason otherwise.
async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": state.db.backend(), "version": env!("CARGO_PKG_VERSION") })),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "error": "database unreachable" })))
        }
    }
}

/// What the presented token grants: lets an app check its sign-in.
async fn whoami(Device(grant): Device) -> Json<Value> {
    Json(json!({
        "device_id": grant.device_id,
        "device_name": grant.device_name,
        "role": grant.role,
        "project_id": grant.project_id,
    }))
}
