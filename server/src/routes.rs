//! HTTP routes.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::auth::Device;
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
}

/// Writer tasks of the shared commit on PostgreSQL (SQLite has one). Since a batch of edit syncs
/// is one statement, one writer gathers the largest batches and wins (measured with the load
/// generator, 3 interleaved runs each: 1 writer 2,455-2,552 syncs/s and 0.19 ms of postgres CPU
/// per sync; 2 writers 2,142-2,403 and 0.22-0.24 ms; 4 writers 2,020-2,193 and 0.28-0.30 ms).
pub const DEFAULT_DB_WRITERS: usize = 1;

impl Default for Limits {
    fn default() -> Self {
        Limits { cache_bytes: 64 << 20, max_request_bytes: 32 << 20, db_writers: DEFAULT_DB_WRITERS }
    }
}

impl AppState {
    /// Must be called within a Tokio runtime (it starts the database writers).
    pub fn new(db: Db, limits: Limits, blobs: std::sync::Arc<crate::blobs::Blobs>) -> Self {
        let cache = std::sync::Arc::new(crate::cache::DocCache::new(limits.cache_bytes));
        let commits = crate::commit::Committer::start(db.clone(), limits.db_writers);
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
        .layer(axum::extract::DefaultBodyLimit::max(state.limits.max_request_bytes))
        .merge(crate::blobs::tus::routes())
        .merge(crate::web::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.metrics.clone(), crate::metrics::track))
        .with_state(state)
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
