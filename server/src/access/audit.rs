//! The access audit (`access_events`): sign-ins and failed attempts, pairings, revocations, role
//! changes, with who did it, whom it concerns and from which address. Appended, never changed;
//! read by admins (newest first).

use serde::Serialize;

use crate::db::{Db, on_pool};

/// What happened. Stored as its snake_case name (`as_str`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    SignIn,
    SignInFailed,
    SignOut,
    PasswordSet,
    PersonAdded,
    MembershipSet,
    MembershipRemoved,
    PairingCreated,
    Paired,
    PairingRefused,
    DeviceRevoked,
    DeviceRenamed,
    TokenRotated,
    TokenCreated,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::SignIn => "sign_in",
            Event::SignInFailed => "sign_in_failed",
            Event::SignOut => "sign_out",
            Event::PasswordSet => "password_set",
            Event::PersonAdded => "person_added",
            Event::MembershipSet => "membership_set",
            Event::MembershipRemoved => "membership_removed",
            Event::PairingCreated => "pairing_created",
            Event::Paired => "paired",
            Event::PairingRefused => "pairing_refused",
            Event::DeviceRevoked => "device_revoked",
            Event::DeviceRenamed => "device_renamed",
            Event::TokenRotated => "token_rotated",
            Event::TokenCreated => "token_created",
        }
    }
}

/// One event to append. Fields left `None` are not known or do not apply.
#[derive(Debug, Clone, Default)]
pub struct Entry<'a> {
    pub project_id: Option<&'a str>,
    /// Who did it (a person id); none from the command line or for an attempt by nobody known.
    pub actor_id: Option<&'a str>,
    /// The person it concerns.
    pub person_id: Option<&'a str>,
    pub device_id: Option<&'a str>,
    /// The client's address (HTTP only).
    pub address: Option<&'a str>,
    /// A short free text (e.g. `role foreman -> supervisor`, the phone number tried); never a
    /// password, code or token.
    pub detail: &'a str,
}

/// Appends `event` now.
pub async fn record(db: &Db, event: Event, e: Entry<'_>) -> Result<(), sqlx::Error> {
    let sql = "INSERT INTO access_events (at_ms, event, project_id, actor_id, person_id, device_id, address, detail) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_pool!(db, |p| sqlx::query(sql)
        .bind(record_schema::now_ms())
        .bind(event.as_str())
        .bind(e.project_id)
        .bind(e.actor_id)
        .bind(e.person_id)
        .bind(e.device_id)
        .bind(e.address)
        .bind(e.detail)
        .execute(p)
        .await
        .map(drop))?;
    Ok(())
}

/// A stored event, as admins read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredEvent {
    pub id: i64,
    pub at_ms: i64,
    pub event: String,
    pub project_id: Option<String>,
    pub actor_id: Option<String>,
    pub person_id: Option<String>,
    pub device_id: Option<String>,
    pub address: Option<String>,
    pub detail: String,
}

/// The newest events first, `limit` of them older than `before` (an id; none: the newest), of one
/// project (with the company-wide ones when `company_wide`), or of every project (`project` none).
pub async fn list(
    db: &Db,
    project: Option<&str>,
    company_wide: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let sql = "SELECT id, at_ms, event, project_id, actor_id, person_id, device_id, address, detail \
               FROM access_events WHERE id < $1 \
               AND ($2 IS NULL OR project_id = $2 OR ($3 AND project_id IS NULL)) \
               ORDER BY id DESC LIMIT $4";
    on_pool!(db, |p| sqlx::query_as(sql)
        .bind(before.unwrap_or(i64::MAX))
        .bind(project)
        .bind(company_wide)
        .bind(limit.clamp(1, 500))
        .fetch_all(p)
        .await)
}
