//! The devices of the token's project: `GET /v1/devices` (supervisors and admins), and per device
//! `POST /v1/devices/{id}/revoke` (supervisors and admins; any device may revoke itself),
//! `/rename` (supervisors and admins; `{"name": "…"}`) and `/rotate` (admins; the new token is in
//! the answer, once). A device holding no token of the project is 404, whether it exists or not;
//! a foreman is 403 before any lookup. Over `crate::access::devices`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::devices::{self, Action, Actor};
use crate::auth::Device;
use crate::db::TokenGrant;
use crate::error::ApiError;
use crate::state::AppState;

fn actor(grant: &TokenGrant) -> Actor<'_> {
    Actor { device_id: Some(&grant.device_id), ..Default::default() }
}

/// The device `id` of the grant's project, after checking the grant may do `action` to it.
async fn target(
    state: &AppState,
    grant: &TokenGrant,
    id: &str,
    action: Action,
) -> Result<devices::DeviceInfo, ApiError> {
    let own = id == grant.device_id;
    devices::may(grant.role, action, own)?;
    let device = devices::in_project(&state.db, id, &grant.project_id).await?;
    devices::may_touch(grant.role, &device, own)?;
    Ok(device)
}

/// `GET /v1/devices`
pub async fn list(Device(grant): Device, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    devices::may(grant.role, Action::List, false)?;
    let list =
        devices::list(&state.db, devices::Scope::Project(&grant.project_id)).await.map_err(ApiError::internal)?;
    Ok(Json(json!({ "project_id": grant.project_id, "devices": list })))
}

/// `POST /v1/devices/{id}/revoke`
pub async fn revoke(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    target(&state, &grant, &id, Action::Revoke).await?;
    let revoked = devices::revoke(&state.db, &id, Some(&grant.project_id), actor(&grant)).await?;
    Ok(Json(json!({ "revoked": revoked })))
}

#[derive(Debug, Deserialize)]
pub struct RenameBody {
    name: Option<String>,
}

/// `POST /v1/devices/{id}/rename` with `{"name": "…"}` (1 to 100 characters).
pub async fn rename(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<RenameBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    target(&state, &grant, &id, Action::Rename).await?;
    let Json(body) = body.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let name = body.name.ok_or_else(|| ApiError::bad_request("name", "a name is required (1 to 100 characters)"))?;
    let name = devices::rename(&state.db, &id, &name, Some(&grant.project_id), actor(&grant)).await?;
    Ok(Json(json!({ "id": id, "name": name })))
}

/// `POST /v1/devices/{id}/rotate`: the new token, shown once.
pub async fn rotate(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    target(&state, &grant, &id, Action::Rotate).await?;
    let rotated = devices::rotate(&state.db, &id, Some(&grant.project_id), actor(&grant)).await?;
    Ok(Json(json!(rotated)))
}
