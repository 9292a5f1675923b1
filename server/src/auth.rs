//! Device tokens: issued by the admin command, presented as `Authorization: Bearer <token>`, stored
//! only as SHA-256.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::db::{Db, SyncGrant, TokenGrant};
use crate::error::ApiError;
use crate::held::Held;

/// What a token or a membership may do (`tokens.role`, `memberships.role`): foremen record;
/// supervisors also review and decide; office people (cost controllers) read the ledgers, reports
/// and reference data but never decide, and have no device tokens; admins also manage reference
/// data and people. Read from the database with its row (`sqlx::Decode`); a role the database
/// holds but this enum does not know is a decode error, never taken for another. What each may do
/// is asked through the capability methods (`decides`, `reads_ledgers`, `manages`), not matches.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Foreman,
    Supervisor,
    Office,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Foreman, Role::Supervisor, Role::Office, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Foreman => "foreman",
            Role::Supervisor => "supervisor",
            Role::Office => "office",
            Role::Admin => "admin",
        }
    }

    /// Approves, rejects and resolves records: supervisors and admins.
    pub fn decides(self) -> bool {
        matches!(self, Role::Supervisor | Role::Admin)
    }

    /// Reads the queue, records, ledgers, reports, exports and reference data (and may sign in to
    /// the screens): supervisors, office and admins; foremen only record.
    pub fn reads_ledgers(self) -> bool {
        matches!(self, Role::Supervisor | Role::Office | Role::Admin)
    }

    /// Wages, the roster, payments and allocations (issue 21): office and admin roles only.
    pub fn keeps_funds(self) -> bool {
        matches!(self, Role::Office | Role::Admin)
    }

    /// Changes reference data, people and memberships, reads the access audit: admins.
    pub fn manages(self) -> bool {
        matches!(self, Role::Admin)
    }

    /// A device token may carry this role (office people sign in with a password only; the
    /// tokens table has no 'office').
    pub fn has_tokens(self) -> bool {
        !matches!(self, Role::Office)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored role this server does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?} (expected foreman, supervisor, office or admin)")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, UnknownRole> {
        match s {
            "foreman" => Ok(Role::Foreman),
            "supervisor" => Ok(Role::Supervisor),
            "office" => Ok(Role::Office),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_string())),
        }
    }
}

/// Stored as its text (`as_str`), on both backends.
impl<DB: sqlx::Database> sqlx::Type<DB> for Role
where
    String: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as sqlx::Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for Role
where
    String: sqlx::Decode<'r, DB>,
{
    fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(<String as sqlx::Decode<'r, DB>>::decode(value)?.parse()?)
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
    if !role.has_tokens() {
        return Err(ApiError::bad_request(
            "role",
            "office people have no device tokens: add them with `person add --role office` and they sign in with a password",
        ));
    }
    let project = project.trim();
    if project.is_empty() || project.len() > 200 {
        return Err(ApiError::bad_request("project", "a project id is required (at most 200 bytes)"));
    }
    let device_id = uuid::Uuid::now_v7().to_string();
    let token = new_token();
    let now = record_schema::now_ms();
    db.insert_device_token(&device_id, device_name.trim(), &token_sha256(&token), role, project, now)
        .await
        .map_err(ApiError::internal)?;
    Ok((device_id, token))
}

/// The token of an `Authorization: Bearer <token>` header, if the request has a well-formed one.
pub fn bearer_in(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The bearer token of a request; a missing or malformed header is 401.
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    if !parts.headers.contains_key(axum::http::header::AUTHORIZATION) {
        return Err(ApiError::unauthorized("missing `Authorization: Bearer <token>` header"));
    }
    bearer_in(&parts.headers).ok_or_else(|| ApiError::unauthorized("expected `Authorization: Bearer <token>`"))
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
        // (A device at cursor 0 is listed by the sync itself: a scoped one by its scope's indexes.)
        let found =
            lease.conn().find_sync_grant_listing(&token_sha256(token), false).await.map_err(ApiError::internal)?;
        lease.release();
        match found {
            Some(grant) => Ok(SyncDevice(grant)),
            None => Err(ApiError::unauthorized("unknown or revoked token")),
        }
    }
}

/// The request's `Device` if its role may (`may`), else 403 saying it `cannot` (after the role).
async fn device_that<S>(
    parts: &mut Parts,
    state: &S,
    may: fn(Role) -> bool,
    cannot: &str,
) -> Result<TokenGrant, ApiError>
where
    Db: FromRef<S>,
    S: Send + Sync,
{
    let Device(grant) = Device::from_request_parts(parts, state).await?;
    if !may(grant.role) {
        return Err(ApiError::forbidden(format!("a {} token {cannot}", grant.role)));
    }
    Ok(grant)
}

/// `Device` for what supervisors and admins do: review and decide (`Role::decides`). Any other
/// token gets 403.
#[derive(Debug, Clone)]
pub struct Supervisor(pub TokenGrant);

impl<S> FromRequestParts<S> for Supervisor
where
    Db: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        device_that(parts, state, Role::decides, "cannot review or approve records").await.map(Supervisor)
    }
}

/// `Device` for reading the ledgers: reports, exports, reference data (`Role::reads_ledgers`). A
/// foreman's token gets 403.
#[derive(Debug, Clone)]
pub struct Reader(pub TokenGrant);

impl<S> FromRequestParts<S> for Reader
where
    Db: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        device_that(parts, state, Role::reads_ledgers, "cannot read reports or reference data").await.map(Reader)
    }
}

/// `Device` for what only admins do (change reference data). Any other token gets 403.
#[derive(Debug, Clone)]
pub struct Admin(pub TokenGrant);

impl<S> FromRequestParts<S> for Admin
where
    Db: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        device_that(parts, state, Role::manages, "cannot change reference data; an admin token can").await.map(Admin)
    }
}

/// `Device` for the funds centre's personal data (wages, roster, payments, allocations:
/// `Role::keeps_funds`). Supervisors and foremen get 403.
#[derive(Debug, Clone)]
pub struct Office(pub TokenGrant);

impl<S> FromRequestParts<S> for Office
where
    Db: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        device_that(parts, state, Role::keeps_funds, "cannot read wages or workers' data; an office or admin token can")
            .await
            .map(Office)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_as_stored_and_nothing_else() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
            assert_eq!(role.to_string(), role.as_str());
            assert_eq!(serde_json::to_value(role).ok(), Some(serde_json::json!(role.as_str())));
        }
        for unknown in ["", "Admin", "owner", "supervisor "] {
            assert!(unknown.parse::<Role>().is_err(), "{unknown:?} is not a role");
        }
        let can = |f: fn(Role) -> bool| Role::ALL.into_iter().filter(|r| f(*r)).collect::<Vec<_>>();
        assert_eq!(can(Role::decides), [Role::Supervisor, Role::Admin]);
        assert_eq!(can(Role::reads_ledgers), [Role::Supervisor, Role::Office, Role::Admin]);
        assert_eq!(can(Role::manages), [Role::Admin]);
        assert_eq!(can(Role::keeps_funds), [Role::Office, Role::Admin]);
        assert_eq!(can(Role::has_tokens), [Role::Foreman, Role::Supervisor, Role::Admin]);
    }
}
