//! One-time sign-in links (`access_codes`, purpose `sign_in`): a person opens
//! `/web/welcome?code=…` and sets their password (the first admin's first run, a new person, a
//! forgotten password). A code is 256 random bits, stored only as its SHA-256, expires after
//! `LIFETIME_MS` and works once.

use crate::auth::token_sha256;
use crate::db::{Db, on_pool};

pub const LIFETIME_MS: i64 = 24 * 3600 * 1000;
const PURPOSE: &str = "sign_in";

/// Why a code does not open the welcome page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("this sign-in link is not known: ask your administrator for a new one")]
    Unknown,
    #[error("this sign-in link was used already: ask your administrator for a new one")]
    Used,
    #[error("this sign-in link has expired (links last 24 hours): ask your administrator for a new one")]
    Expired,
}

/// A new sign-in code for `person_id`, made by `created_by` (none: the command line). The code is
/// returned once; only its hash is kept.
pub async fn create(db: &Db, person_id: &str, created_by: Option<&str>) -> Result<String, sqlx::Error> {
    let code = crate::web::session::random_secret();
    let now = record_schema::now_ms();
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO access_codes (code_sha256, purpose, person_id, created_by, created_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(token_sha256(&code))
    .bind(PURPOSE)
    .bind(person_id)
    .bind(created_by)
    .bind(now)
    .bind(now + LIFETIME_MS)
    .execute(p)
    .await
    .map(drop))?;
    Ok(code)
}

/// The link to open, on the server at `base` (`http://127.0.0.1:8080`).
pub fn link(base: &str, code: &str) -> String {
    format!("{}/web/welcome?code={code}", base.trim_end_matches('/'))
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    person_id: String,
    expires_at_ms: i64,
    used_at_ms: Option<i64>,
}

/// The person a live code is for (not consumed).
pub async fn peek(db: &Db, code: &str) -> Result<Result<String, CodeError>, sqlx::Error> {
    let row: Option<CodeRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT person_id, expires_at_ms, used_at_ms FROM access_codes WHERE code_sha256 = $1 AND purpose = $2"
    )
    .bind(token_sha256(code.trim()))
    .bind(PURPOSE)
    .fetch_optional(p)
    .await)?;
    Ok(match row {
        None => Err(CodeError::Unknown),
        Some(r) if r.used_at_ms.is_some() => Err(CodeError::Used),
        Some(r) if r.expires_at_ms <= record_schema::now_ms() => Err(CodeError::Expired),
        Some(r) => Ok(r.person_id),
    })
}

/// Uses a code: the person it was for, once (a second use, even a concurrent one, gets `Used`).
pub async fn consume(db: &Db, code: &str) -> Result<Result<String, CodeError>, sqlx::Error> {
    let now = record_schema::now_ms();
    let taken: Option<String> = on_pool!(db, |p| sqlx::query_scalar(
        "UPDATE access_codes SET used_at_ms = $3 WHERE code_sha256 = $1 AND purpose = $2 \
         AND used_at_ms IS NULL AND expires_at_ms > $3 RETURNING person_id"
    )
    .bind(token_sha256(code.trim()))
    .bind(PURPOSE)
    .bind(now)
    .fetch_optional(p)
    .await)?;
    match taken {
        Some(person) => Ok(Ok(person)),
        None => Ok(peek(db, code).await?.and(Err(CodeError::Used))),
    }
}
