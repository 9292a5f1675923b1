//! Device tokens: issued by the admin command, presented as `Authorization: Bearer <token>`, stored
//! only as SHA-256.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::db::{Db, SyncGrant, TokenGrant};
use crate::error::ApiError;
use crate::held::Held;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    Foreman,
    Supervisor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Foreman => "foreman",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

/// A new random token (256 bits from the OS RNG via UUID v4s), prefixed so it is recognisable in logs
/// and secret scanners.
pub fn new_token() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!("flt_{}", hex::encode(bytes))
}

pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates a device with a token for `project` and `role`; returns (device id, token). The token is
/// shown once and never stored in clear.
pub async fn create_token(db: &Db, project: &str, role: Role, device_name: &str) -> Result<(String, String), ApiError> {
    let project = project.trim();
    if project.is_empty() || project.len() > 200 {
        return Err(ApiError::bad_request("project", "a project id is required (at most 200 bytes)"));
    }
    let device_id = uuid::Uuid::now_v7().to_string();
    let token = new_token();
    let now = record_schema::now_ms();
    db.insert_device_token(&device_id, device_name.trim(), &token_sha256(&token), role.as_str(), project, now)
        .await
        .map_err(ApiError::internal)?;
    Ok((device_id, token))
}

/// The bearer token of a request; a missing or malformed header is 401.
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing `Authorization: Bearer <token>` header"))?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("expected `Authorization: Bearer <token>`"))
}

/// The authenticated device of a request. Missing, malformed, unknown or revoked tokens get 401.
#[derive(Debug, Clone)]
pub struct Device(pub TokenGrant);

impl<S> FromRequestParts<S> for Device
where
    Db: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let db = Db::from_ref(state);
        match db.find_token(&token_sha256(token)).await.map_err(ApiError::internal)? {
            Some(grant) => Ok(Device(grant)),
            None => Err(ApiError::unauthorized("unknown or revoked token")),
        }
    }
}

/// `Device` for `POST /v1/sync`: the same check of the token on every request, with the device's
/// manifest and sync generation read in the same lookup (the sync's first statement).
#[derive(Debug, Clone)]
pub struct SyncDevice(pub SyncGrant);

impl<S> FromRequestParts<S> for SyncDevice
where
    std::sync::Arc<Held>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let held = std::sync::Arc::<Held>::from_ref(state);
        let mut lease = held.lease().await.map_err(ApiError::internal)?;
        let found = lease.conn().find_sync_grant(&token_sha256(token)).await.map_err(ApiError::internal)?;
        lease.release();
        match found {
            Some(grant) => Ok(SyncDevice(grant)),
            None => Err(ApiError::unauthorized("unknown or revoked token")),
        }
    }
}
