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
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Device;
use crate::state::AppState;

/// Bytes that are not JSON, in the OpenAPI description: CBOR sync messages, CSV and XLSX files,
/// upload chunks, photos.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // A description only.
pub struct BinaryBody(Vec<u8>);

/// `/healthz` when the database answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// The backend: `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    pub database: &'static str,
    /// The server's version.
    pub version: &'static str,
}

/// `/healthz` when the database does not answer (503).
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthUnavailable {
    /// Always `unavailable`.
    #[schema(example = "unavailable")]
    pub status: &'static str,
    #[schema(example = "database unreachable")]
    pub error: &'static str,
}

/// 200 when the database answers; 503 with the reason otherwise.
#[utoipa::path(
    get,
    path = "/healthz",
    summary = "Health of the server and its database",
    description = "200 while the database answers (with the backend and the server's version); 503 otherwise. No token needed.",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "The server and its database answer", body = Health),
        (status = 503, description = "The database does not answer", body = HealthUnavailable),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, (StatusCode, Json<HealthUnavailable>)> {
    match state.db.ping().await {
        Ok(()) => Ok(Json(Health { status: "ok", database: state.db.backend(), version: env!("CARGO_PKG_VERSION") })),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                Json(HealthUnavailable { status: "unavailable", error: "database unreachable" }),
            ))
        }
    }
}

/// What a token grants (`/v1/whoami`).
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    pub device_id: String,
    pub device_name: String,
    pub role: crate::auth::Role,
    pub project_id: String,
}

/// What the presented token grants: lets an app check its sign-in.
#[utoipa::path(
    get,
    path = "/v1/whoami",
    summary = "What the token grants",
    description = "The token's device, role and project: lets an app check its sign-in.",
    tag = "health",
    responses(
        (status = 200, description = "The token's device, role and project", body = WhoAmI),
        (status = 401, description = "No token, or not a valid one", body = crate::openapi::ErrorBody),
    )
)]
pub async fn whoami(Device(grant): Device) -> Json<WhoAmI> {
    Json(WhoAmI {
        device_id: grant.device_id,
        device_name: grant.device_name,
        role: grant.role,
        project_id: grant.project_id,
    })
}
