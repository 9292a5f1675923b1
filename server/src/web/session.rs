//! Browser sessions: a supervisor or office user signs in with their device token once; the
//! browser then holds a random session id in an HTTP-only cookie. Only the id's SHA-256 is stored
//! (`web_sessions`), and every lookup joins the token, so a revoked token ends its sessions.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::WebError;
use crate::auth::{Role, token_sha256};
use crate::db::{Db, TokenGrant, on_pool};
use crate::state::AppState;

pub const COOKIE: &str = "fl_session";
/// A working day and then some: a supervisor signs in once per shift.
pub const LIFETIME_MS: i64 = 12 * 3600 * 1000;

/// A signed-in browser: who (the token's grant) and the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub grant: TokenGrant,
    pub csrf: String,
}

/// 256 random bits as hex (the OS RNG via two UUID v4s, as device tokens are made).
pub fn random_secret() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    hex::encode(bytes)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for the session: HTTP-only (scripts cannot read it), Secure (browsers treat
/// `localhost` as secure, so tests over plain HTTP on loopback still work; anything else needs TLS
/// in front), SameSite=Lax (a link from a chat message still opens the page signed in; every
/// state-changing form is additionally guarded by its CSRF token).
pub fn set_cookie(name: &str, value: &str, max_age_s: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Lax")
}

/// Opens a session for a token already checked; returns the cookie value and the CSRF token.
pub async fn open(db: &Db, token: &str) -> Result<(String, String), sqlx::Error> {
    let id = random_secret();
    let csrf = random_secret();
    let now = record_schema::now_ms();
    on_pool!(db, |p| {
        sqlx::query(
        "INSERT INTO web_sessions (id_sha256, token_sha256, csrf_token, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(token_sha256(&id))
    .bind(token_sha256(token))
    .bind(&csrf)
    .bind(now)
    .bind(now + LIFETIME_MS)
    .execute(p)
    .await
    .map(drop)
    })?;
    // Expired sessions are dead weight; sign-ins are rare enough to sweep them here.
    on_pool!(db, |p| sqlx::query("DELETE FROM web_sessions WHERE expires_at_ms < $1")
        .bind(now)
        .execute(p)
        .await
        .map(drop))?;
    Ok((id, csrf))
}

/// The live session of cookie value `id`, if any (unexpired, token not revoked).
pub async fn find(db: &Db, id: &str) -> Result<Option<WebSession>, sqlx::Error> {
    let row: Option<SessionRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT d.id AS device_id, d.name AS device_name, t.role, t.project_id, s.csrf_token FROM web_sessions s \
         JOIN tokens t ON t.token_sha256 = s.token_sha256 JOIN devices d ON d.id = t.device_id \
         WHERE s.id_sha256 = $1 AND s.expires_at_ms > $2 AND t.revoked_at_ms IS NULL"
    )
    .bind(token_sha256(id))
    .bind(record_schema::now_ms())
    .fetch_optional(p)
    .await?);
    Ok(row.map(|r| WebSession { grant: r.grant, csrf: r.csrf_token }))
}

/// A row of `find`: the token's grant and the session's CSRF token.
#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    grant: TokenGrant,
    csrf_token: String,
}

pub async fn close(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, |p| sqlx::query("DELETE FROM web_sessions WHERE id_sha256 = $1")
        .bind(token_sha256(id))
        .execute(p)
        .await
        .map(drop))
}

/// Supervisors and admins review; a foreman's token never gets a session.
pub fn may_sign_in(role: Role) -> bool {
    role.reviews()
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = WebError;

    /// No or a dead session: the sign-in page, which comes back here afterwards.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back = parts.uri.path_and_query().map_or("/web/queue".to_string(), |p| p.as_str().to_string());
        let Some(id) = cookie(&parts.headers, COOKIE) else { return Err(WebError::SignIn(back)) };
        match find(&state.db, &id).await.map_err(WebError::internal)? {
            Some(s) if may_sign_in(s.grant.role) => Ok(s),
            _ => Err(WebError::SignIn(back)),
        }
    }
}
