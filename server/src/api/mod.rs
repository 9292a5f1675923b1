//! The JSON API's handlers, by area: `approvals` (pending records, a record, decisions, postings),
//! `reference` (reference data) and `reports`; here the two that need no area, `/healthz` and
//! `/v1/whoami`. Their routes are listed in `crate::routes` (`app_with`). The sync
//! (`crate::sync`), the uploads (`crate::blobs::tus`) and the screens (`crate::web`) have their own
//! folders.

pub mod approvals;
pub mod daily_reports;
pub mod devices;
pub mod funds;
pub mod funds_cashflow;
pub mod funds_ledger;
pub mod observations;
pub mod pairing;
pub mod people;
pub mod portfolio;
pub mod reference;
pub mod reports;
pub mod risks;
pub mod webhooks;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::auth::Device;
use crate::state::AppState;

/// 200 when the database answers; 503 with the reason otherwise.
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
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
pub async fn whoami(Device(grant): Device) -> Json<Value> {
    Json(json!({
        "device_id": grant.device_id,
        "device_name": grant.device_name,
        "role": grant.role,
        "project_id": grant.project_id,
    }))
}
