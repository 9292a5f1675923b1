//! The devices of the token's project: `GET /v1/devices` (supervisors and admins), and per device
//! `POST /v1/devices/{id}/revoke` (supervisors and admins; any device may revoke itself),
//! `/rename` (supervisors and admins; `{"name": "…"}`) and `/rotate` (admins; the new token is in
//! the answer, once). A device holding no token of the project is 404, whether it exists or not;
//! a foreman is 403 before any lookup. Over `crate::access::devices`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// The devices of the token's project.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceList {
    pub project_id: String,
    /// Newest seen first, at most 1,000.
    pub devices: Vec<devices::DeviceInfo>,
}

/// `GET /v1/devices`
#[utoipa::path(
    get,
    path = "/v1/devices",
    tag = "devices",
    operation_id = "list_devices",
    responses(
        (status = 200, description = "The project's devices, revoked ones included", body = DeviceList),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "A foreman's token: only supervisors and admins list devices", body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(Device(grant): Device, State(state): State<AppState>) -> Result<Json<DeviceList>, ApiError> {
    devices::may(grant.role, Action::List, false)?;
    let list =
        devices::list(&state.db, devices::Scope::Project(&grant.project_id)).await.map_err(ApiError::internal)?;
    Ok(Json(DeviceList { project_id: grant.project_id, devices: list }))
}

/// The devices a revocation revoked.
#[derive(Debug, Serialize, ToSchema)]
pub struct DevicesRevoked {
    /// Device ids revoked now: the device and the other devices of its handset (a phone paired for
    /// several projects); empty when all already were.
    pub revoked: Vec<String>,
}

/// `POST /v1/devices/{id}/revoke`
#[utoipa::path(
    post,
    path = "/v1/devices/{id}/revoke",
    tag = "devices",
    operation_id = "revoke_device",
    params(("id" = String, Path, description = "The device's id")),
    responses(
        (status = 200, description = "Revoked with its handset's other devices, their tokens and sessions: their next request is 401", body = DevicesRevoked),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "A foreman revoking another device, or a supervisor an admin's", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such device holds a token of this project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn revoke(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DevicesRevoked>, ApiError> {
    target(&state, &grant, &id, Action::Revoke).await?;
    let revoked = devices::revoke(&state.db, &id, Some(&grant.project_id), actor(&grant)).await?;
    Ok(Json(DevicesRevoked { revoked }))
}

/// A device's new name.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = DeviceRename)]
pub struct RenameBody {
    /// 1 to 100 characters (trimmed), no control characters.
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*\S[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    name: Option<String>,
}

/// A renamed device.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceRenamed {
    pub id: String,
    /// The name as stored (trimmed).
    pub name: String,
}

/// `POST /v1/devices/{id}/rename` with `{"name": "…"}` (1 to 100 characters).
#[utoipa::path(
    post,
    path = "/v1/devices/{id}/rename",
    tag = "devices",
    operation_id = "rename_device",
    params(("id" = String, Path, description = "The device's id")),
    request_body = RenameBody,
    responses(
        (status = 200, description = "Renamed", body = DeviceRenamed),
        (status = 400, description = "No name, an empty or too long one, or not JSON", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "A foreman's token, or a supervisor renaming an admin's device", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such device holds a token of this project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn rename(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<RenameBody>, JsonRejection>,
) -> Result<Json<DeviceRenamed>, ApiError> {
    target(&state, &grant, &id, Action::Rename).await?;
    let Json(body) = body.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let name = body.name.ok_or_else(|| ApiError::bad_request("name", "a name is required (1 to 100 characters)"))?;
    let name = devices::rename(&state.db, &id, &name, Some(&grant.project_id), actor(&grant)).await?;
    Ok(Json(DeviceRenamed { id, name }))
}

/// `POST /v1/devices/{id}/rotate`: the new token, shown once.
#[utoipa::path(
    post,
    path = "/v1/devices/{id}/rotate",
    tag = "devices",
    operation_id = "rotate_device_token",
    params(("id" = String, Path, description = "The device's id")),
    responses(
        (status = 200, description = "The device's new token (shown once); its old one answers 401 from now on", body = devices::Rotated),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Only admins rotate tokens", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such device holds a token of this project", body = crate::openapi::ErrorBody),
        (status = 409, description = "The device is revoked", body = crate::openapi::ErrorBody),
    )
)]
pub async fn rotate(
    Device(grant): Device,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<devices::Rotated>, ApiError> {
    target(&state, &grant, &id, Action::Rotate).await?;
    let rotated = devices::rotate(&state.db, &id, Some(&grant.project_id), actor(&grant)).await?;
    Ok(Json(rotated))
}
