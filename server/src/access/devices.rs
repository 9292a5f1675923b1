//! Devices: the phones (and browsers signed in with a key) that hold tokens. Listed per project (the
//! devices holding one of its tokens), per person or all, with their person, handset, role,
//! projects, last request and app version; revoked (with every token, and every device row of the
//! same handset), renamed, or given a new token (rotation). Every change is audited
//! (`super::audit`). Tables: `devices` and `tokens` (migrations 0002 and 0015).
//!
//! Last seen: `note_seen`, a layer on the sync and API routes, writes `devices.last_seen_at_ms`
//! and `app_version` after the response, at most once a minute per token (`SeenTracker`), so a
//! sync's path gains no write and a failed write never fails a request.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use super::audit::{self, Entry, Event, Facts, Via};
use crate::auth::{Role, new_token, token_sha256};
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::ApiError;

/// The header phones send: `Fieldledger-App: fieldledger-mobile-core/0.4.0`.
pub const APP_HEADER: &str = "fieldledger-app";
/// Longest app version kept (longer is cut to this many characters).
pub const MAX_APP_VERSION: usize = 100;
/// Longest device name, in characters.
pub const MAX_NAME: usize = 100;
/// Most devices one list shows (newest seen first).
pub const MAX_LIST: i64 = 1_000;
/// A device's last-seen time is written at most this often (per token).
pub const SEEN_EVERY_MS: i64 = 60_000;

/// A device as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DeviceInfo {
    pub id: String,
    pub name: String,
    pub person_id: Option<String>,
    /// The person's name (`people.name`), when the device belongs to one.
    pub person_name: Option<String>,
    pub handset_id: Option<String>,
    /// Its role on the listed project (or its newest token's role).
    pub role: Role,
    /// Projects of its live tokens (of all its tokens once revoked), by name.
    pub projects: Vec<String>,
    pub created_at_ms: i64,
    /// Its last sync or API request (written at most once a minute).
    pub last_seen_at_ms: Option<i64>,
    pub app_version: Option<String>,
    /// Set once revoked (the device's own revocation, or its last live token's).
    pub revoked_at_ms: Option<i64>,
}

impl DeviceInfo {
    pub fn revoked(&self) -> bool {
        self.revoked_at_ms.is_some()
    }
}

/// Which devices to list.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    All,
    /// Devices holding a token (live or revoked) of this project.
    Project(&'a str),
    Person(&'a str),
    One(&'a str),
}

/// Why a device action was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("no device {0:?}")]
    NotFound(String),
    #[error("device {0:?} is revoked")]
    Revoked(String),
    #[error("name: {0}")]
    Name(&'static str),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

impl From<DeviceError> for ApiError {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::NotFound(id) => ApiError::not_found("id", format!("no device {id:?} in this project")),
            DeviceError::Revoked(id) => ApiError::conflict("id", format!("device {id:?} is revoked")),
            DeviceError::Name(m) => ApiError::bad_request("name", m),
            DeviceError::Sql(e) => ApiError::internal(e),
        }
    }
}

/// Who acts, for the audit: a person (screens), a device (API), or nobody (the command line).
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor<'a> {
    pub person_id: Option<&'a str>,
    pub device_id: Option<&'a str>,
    pub address: Option<&'a str>,
}

impl Actor<'_> {
    fn via(&self) -> Via {
        Via::of(self.person_id, self.device_id)
    }
}

/// A row of `list`: one device with one of its tokens.
#[derive(sqlx::FromRow)]
struct ListRow {
    id: String,
    name: String,
    person_id: Option<String>,
    person_name: Option<String>,
    handset_id: Option<String>,
    created_at_ms: i64,
    last_seen_at_ms: Option<i64>,
    app_version: Option<String>,
    revoked_at_ms: Option<i64>,
    project_id: String,
    role: Role,
    token_revoked_at_ms: Option<i64>,
}

/// The devices of `scope`: live ones first, then by last request, newest first (at most
/// `MAX_LIST`).
pub async fn list(db: &Db, scope: Scope<'_>) -> Result<Vec<DeviceInfo>, sqlx::Error> {
    // The devices first (filtered, ordered, limited), then their tokens: one statement.
    macro_rules! listing {
        ($filter:literal) => {
            concat!(
                "WITH ds AS (SELECT d.id, d.name, d.person_id, d.handset_id, d.created_at_ms, d.last_seen_at_ms, \
                 d.app_version, d.revoked_at_ms FROM devices d WHERE ",
                $filter,
                " ORDER BY (d.revoked_at_ms IS NOT NULL), COALESCE(d.last_seen_at_ms, 0) DESC, d.created_at_ms DESC, \
                 d.id LIMIT $2) \
                 SELECT ds.id, ds.name, ds.person_id, p.name AS person_name, ds.handset_id, ds.created_at_ms, \
                 ds.last_seen_at_ms, ds.app_version, ds.revoked_at_ms, t.project_id, t.role, \
                 t.revoked_at_ms AS token_revoked_at_ms \
                 FROM ds JOIN tokens t ON t.device_id = ds.id LEFT JOIN people p ON p.id = ds.person_id \
                 ORDER BY (ds.revoked_at_ms IS NOT NULL), COALESCE(ds.last_seen_at_ms, 0) DESC, ds.created_at_ms DESC, \
                 ds.id, t.created_at_ms DESC"
            )
        };
    }
    let (sql, key) = match scope {
        Scope::All => (listing!("$1 = ''"), ""),
        Scope::Project(p) => (listing!("d.id IN (SELECT t.device_id FROM tokens t WHERE t.project_id = $1)"), p),
        Scope::Person(p) => (listing!("d.person_id = $1"), p),
        Scope::One(id) => (listing!("d.id = $1"), id),
    };
    let rows: Vec<ListRow> = on_pool!(db, |p| sqlx::query_as(sql).bind(key).bind(MAX_LIST).fetch_all(p).await)?;
    let project = match scope {
        Scope::Project(p) => Some(p),
        _ => None,
    };
    Ok(fold(rows, project))
}

/// One device per run of rows (rows come grouped by device, newest token first).
fn fold(rows: Vec<ListRow>, project: Option<&str>) -> Vec<DeviceInfo> {
    // A device's token: (project, role, revoked at).
    type Token = (String, Role, Option<i64>);
    let mut groups: Vec<(DeviceInfo, Vec<Token>)> = Vec::new();
    for r in rows {
        if groups.last().is_none_or(|(d, _)| d.id != r.id) {
            let d = DeviceInfo {
                id: r.id,
                name: r.name,
                person_id: r.person_id,
                person_name: r.person_name,
                handset_id: r.handset_id,
                role: r.role,
                projects: Vec::new(),
                created_at_ms: r.created_at_ms,
                last_seen_at_ms: r.last_seen_at_ms,
                app_version: r.app_version,
                revoked_at_ms: r.revoked_at_ms,
            };
            groups.push((d, Vec::new()));
        }
        if let Some((_, tokens)) = groups.last_mut() {
            tokens.push((r.project_id, r.role, r.token_revoked_at_ms));
        }
    }
    groups
        .into_iter()
        .map(|(mut d, tokens)| {
            let live: Vec<&Token> = tokens.iter().filter(|t| t.2.is_none()).collect();
            // The role shown: of the listed project's live token, else of any live one, else of the
            // newest token (already set).
            let here = live.iter().find(|t| project.is_some_and(|p| p == t.0));
            if let Some(t) = here.or(live.first()) {
                d.role = t.1;
            }
            let shown: Vec<&(String, Role, Option<i64>)> = if live.is_empty() { tokens.iter().collect() } else { live };
            d.projects = shown.iter().map(|t| t.0.clone()).collect();
            d.projects.sort();
            d.projects.dedup();
            // Tokens revoked one by one (or by SQL before devices could be): the device is revoked.
            if d.revoked_at_ms.is_none() && tokens.iter().all(|t| t.2.is_some()) {
                d.revoked_at_ms = tokens.iter().filter_map(|t| t.2).max();
            }
            d
        })
        .collect()
}

/// One device, if it exists.
pub async fn get(db: &Db, id: &str) -> Result<Option<DeviceInfo>, sqlx::Error> {
    Ok(list(db, Scope::One(id)).await?.into_iter().next())
}

/// The device, if it holds a token (live or revoked) of `project`: what a project's supervisor may
/// see and act on. Another project's device is `NotFound`, as a missing one is.
pub async fn in_project(db: &Db, id: &str, project: &str) -> Result<DeviceInfo, DeviceError> {
    match get(db, id).await? {
        Some(d) if d.projects.iter().any(|p| p == project) || holds_token(db, id, project).await? => Ok(d),
        _ => Err(DeviceError::NotFound(id.to_string())),
    }
}

async fn holds_token(db: &Db, id: &str, project: &str) -> Result<bool, sqlx::Error> {
    let n: i64 =
        on_pool!(db, |p| sqlx::query_scalar("SELECT COUNT(*) FROM tokens WHERE device_id = $1 AND project_id = $2")
            .bind(id)
            .bind(project)
            .fetch_one(p)
            .await)?;
    Ok(n > 0)
}

/// Revokes device `id`, and every other device row of its handset (a phone paired for several
/// projects is one phone: lost, it is lost for all of them), with all their tokens and the browser
/// sessions opened with those tokens, in one transaction. The next request of any of them is 401.
/// Returns the devices revoked now (none when all already were).
pub async fn revoke(db: &Db, id: &str, project: Option<&str>, actor: Actor<'_>) -> Result<Vec<String>, DeviceError> {
    let now = record_schema::now_ms();
    let mut tx = db.begin().await?;
    if !lock(&mut tx, id).await? {
        return Err(DeviceError::NotFound(id.to_string()));
    }
    let handset: Option<Option<String>> =
        on_tx!(&mut tx, |c| sqlx::query_scalar("SELECT handset_id FROM devices WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *c)
            .await)?;
    let Some(handset) = handset else { return Err(DeviceError::NotFound(id.to_string())) };
    let ids: Vec<String> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "SELECT id FROM devices WHERE id = $1 OR (handset_id IS NOT NULL AND handset_id = $2) ORDER BY id"
    )
    .bind(id)
    .bind(handset.as_deref())
    .fetch_all(&mut *c)
    .await)?;
    let mut revoked = Vec::new();
    for device in &ids {
        if revoke_one(&mut tx, device, now).await? {
            revoked.push(device.clone());
        }
    }
    tx.commit().await?;
    for device in &revoked {
        let same_handset_as = (device != id).then(|| id.to_string());
        audit::record(
            db,
            Event::DeviceRevoked,
            Entry {
                project_id: project,
                actor_id: actor.person_id,
                device_id: Some(device),
                address: actor.address,
                facts: Facts::DeviceRevoked { via: actor.via(), same_handset_as },
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(revoked)
}

/// Takes device `id` for this transaction before reading anything (a row lock on PostgreSQL; on
/// SQLite the write lock, so no other write can slip in between this transaction's reads and its
/// writes, which SQLite would refuse as busy); false when there is no such device.
async fn lock(tx: &mut Tx<'_>, id: &str) -> Result<bool, sqlx::Error> {
    let n = on_tx!(tx, |c| sqlx::query("UPDATE devices SET name = name WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// One device's revocation inside `tx`: its row, its live tokens and their sessions. True when
/// something was live.
pub(super) async fn revoke_one(tx: &mut Tx<'_>, device: &str, now: i64) -> Result<bool, sqlx::Error> {
    let rows =
        on_tx!(tx, |c| sqlx::query("UPDATE devices SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL")
            .bind(now)
            .bind(device)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
    // Sessions end anyway (their lookup joins a live token); deleted so none outlives a change there.
    on_tx!(tx, |c| sqlx::query(
        "DELETE FROM web_sessions WHERE token_sha256 IN (SELECT token_sha256 FROM tokens WHERE device_id = $1)"
    )
    .bind(device)
    .execute(&mut *c)
    .await
    .map(drop))?;
    let tokens = on_tx!(tx, |c| sqlx::query(
        "UPDATE tokens SET revoked_at_ms = $1 WHERE device_id = $2 AND revoked_at_ms IS NULL"
    )
    .bind(now)
    .bind(device)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(rows + tokens > 0)
}

/// A device name as given: trimmed, 1 to `MAX_NAME` characters, no control characters.
pub fn clean_name(name: &str) -> Result<String, DeviceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DeviceError::Name("a name is required (1 to 100 characters)"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(DeviceError::Name("must be at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(DeviceError::Name("must not contain control characters (line breaks, tabs)"));
    }
    Ok(name.to_string())
}

/// Renames device `id`; returns the name kept.
pub async fn rename(
    db: &Db,
    id: &str,
    name: &str,
    project: Option<&str>,
    actor: Actor<'_>,
) -> Result<String, DeviceError> {
    let name = clean_name(name)?;
    let old: Option<String> = on_pool!(db, |p| sqlx::query_scalar("SELECT name FROM devices WHERE id = $1")
        .bind(id)
        .fetch_optional(p)
        .await)?;
    let Some(old) = old else { return Err(DeviceError::NotFound(id.to_string())) };
    on_pool!(db, |p| sqlx::query("UPDATE devices SET name = $1 WHERE id = $2")
        .bind(&name)
        .bind(id)
        .execute(p)
        .await
        .map(drop))?;
    let facts = Facts::DeviceRenamed { from: old, to: name.clone(), via: actor.via() };
    audit::record(
        db,
        Event::DeviceRenamed,
        Entry {
            project_id: project,
            actor_id: actor.person_id,
            device_id: Some(id),
            address: actor.address,
            facts,
            ..Default::default()
        },
    )
    .await?;
    Ok(name)
}

/// A rotated token: shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = RotatedToken)]
pub struct Rotated {
    pub device_id: String,
    pub project_id: String,
    pub role: Role,
    pub token: String,
}

#[derive(sqlx::FromRow)]
struct LiveToken {
    token_sha256: String,
    project_id: String,
    role: Role,
}

/// Gives device `id` a new token for the same project and role as its live one (of `project`
/// when given), revoking the old one (and its browser sessions) in the same transaction. A revoked
/// device, or one without a live token, is refused.
pub async fn rotate(db: &Db, id: &str, project: Option<&str>, actor: Actor<'_>) -> Result<Rotated, DeviceError> {
    let device = get(db, id).await?.ok_or_else(|| DeviceError::NotFound(id.to_string()))?;
    if device.revoked_at_ms.is_some() {
        return Err(DeviceError::Revoked(id.to_string()));
    }
    let now = record_schema::now_ms();
    let token = new_token();
    let mut tx = db.begin().await?;
    if !lock(&mut tx, id).await? {
        return Err(DeviceError::NotFound(id.to_string()));
    }
    let live: Vec<LiveToken> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT token_sha256, project_id, role FROM tokens WHERE device_id = $1 AND revoked_at_ms IS NULL \
         ORDER BY created_at_ms DESC"
    )
    .bind(id)
    .fetch_all(&mut *c)
    .await)?;
    let Some(old) = live.into_iter().find(|t| project.is_none_or(|p| p == t.project_id)) else {
        return Err(DeviceError::Revoked(id.to_string()));
    };
    on_tx!(&mut tx, |c| sqlx::query("DELETE FROM web_sessions WHERE token_sha256 = $1")
        .bind(&old.token_sha256)
        .execute(&mut *c)
        .await
        .map(drop))?;
    on_tx!(&mut tx, |c| sqlx::query("UPDATE tokens SET revoked_at_ms = $1 WHERE token_sha256 = $2")
        .bind(now)
        .bind(&old.token_sha256)
        .execute(&mut *c)
        .await
        .map(drop))?;
    on_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO tokens (token_sha256, device_id, role, project_id, created_at_ms) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(token_sha256(&token))
    .bind(id)
    .bind(old.role.as_str())
    .bind(&old.project_id)
    .bind(now)
    .execute(&mut *c)
    .await
    .map(drop))?;
    tx.commit().await?;
    let facts = Facts::TokenRotated { role: old.role, project: old.project_id.clone(), via: actor.via() };
    audit::record(
        db,
        Event::TokenRotated,
        Entry {
            project_id: Some(&old.project_id),
            actor_id: actor.person_id,
            device_id: Some(id),
            address: actor.address,
            facts,
            ..Default::default()
        },
    )
    .await?;
    Ok(Rotated { device_id: id.to_string(), project_id: old.project_id, role: old.role, token })
}

// ---------- who may do what ----------

/// What is asked of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    List,
    Revoke,
    Rename,
    Rotate,
}

/// Whether a `role` may do `action` at all (before the device is looked up, so a refusal says
/// nothing of which devices exist): listing, revoking and renaming are for supervisors and admins
/// (any device may revoke itself: `own`), rotating for admins.
pub fn may(role: Role, action: Action, own: bool) -> Result<(), ApiError> {
    let ok = match action {
        Action::Revoke if own => true,
        Action::List | Action::Revoke | Action::Rename => role.decides(),
        Action::Rotate => role.manages(),
    };
    if ok {
        return Ok(());
    }
    Err(ApiError::forbidden(match action {
        Action::Rotate => format!("a {role} cannot give a device a new token; an admin can"),
        _ => format!("a {role} cannot list, revoke or rename devices; a supervisor or admin can"),
    }))
}

/// An admin's device is changed by admins only (a supervisor cannot lock an admin out).
pub fn may_touch(role: Role, target: &DeviceInfo, own: bool) -> Result<(), ApiError> {
    if target.role.manages() && !role.manages() && !own {
        return Err(ApiError::forbidden(format!("a {role} cannot change an admin's device")));
    }
    Ok(())
}

// ---------- last seen and app version ----------

/// When each token's device was last written as seen (ms) and with which app version, so a device
/// syncing every few seconds costs one UPDATE a minute, and a new app version is written at once.
/// Keyed by token hash: the layer knows the token, not yet the device.
#[derive(Debug, Default)]
pub struct SeenTracker {
    written: Mutex<HashMap<String, (i64, Option<String>)>>,
}

/// Entries kept before the stale ones (older than a minute) are dropped.
const SEEN_ENTRIES: usize = 50_000;

impl SeenTracker {
    /// True (and noted) when this token's device is due a write at `now`: a minute since the last,
    /// or an app version it was not written with.
    pub fn due(&self, token_sha256: &str, now: i64, version: Option<&str>) -> bool {
        let Ok(mut map) = self.written.lock() else { return false };
        let known = map.get(token_sha256);
        let recent = known.is_some_and(|(at, _)| now - *at < SEEN_EVERY_MS);
        let same_app = version.is_none() || known.is_some_and(|(_, v)| v.as_deref() == version);
        if recent && same_app {
            return false;
        }
        let version = version.map(str::to_string).or_else(|| known.and_then(|(_, v)| v.clone()));
        if map.len() >= SEEN_ENTRIES {
            map.retain(|_, (at, _)| now - *at < SEEN_EVERY_MS);
        }
        map.insert(token_sha256.to_string(), (now, version));
        true
    }
}

/// The app version a request names (`Fieldledger-App`): printable ASCII, cut to
/// `MAX_APP_VERSION` characters; anything else is ignored (never an error).
pub fn app_version(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(APP_HEADER)?.to_str().ok()?.trim();
    if v.is_empty() || !v.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return None;
    }
    Some(v.chars().take(MAX_APP_VERSION).collect::<String>().trim_end().to_string())
}

/// What `note_seen` needs of the state.
#[derive(Clone)]
pub struct SeenState {
    pub db: Db,
    pub seen: std::sync::Arc<SeenTracker>,
}

/// Layer of the sync and API routes: after the response, a request with a token that was not
/// refused (401) marks its device seen now, with its app version (at most once a minute per token,
/// on a task of its own; a failure is logged, never the request's).
pub async fn note_seen(State(s): State<SeenState>, request: Request, next: Next) -> Response {
    let token = crate::auth::bearer_in(request.headers()).map(token_sha256);
    let version = app_version(request.headers());
    let response = next.run(request).await;
    let Some(token) = token else { return response };
    if response.status() == StatusCode::UNAUTHORIZED {
        return response;
    }
    let now = record_schema::now_ms();
    if s.seen.due(&token, now, version.as_deref()) {
        tokio::spawn(async move {
            if let Err(e) = mark_seen(&s.db, &token, version.as_deref(), now).await {
                tracing::warn!(error = %e, "could not record a device's last request");
            }
        });
    }
    response
}

/// Sets the last request (and the app version, when given) of the device holding a live token.
pub async fn mark_seen(db: &Db, token_sha256: &str, version: Option<&str>, now: i64) -> Result<(), sqlx::Error> {
    on_pool!(db, |p| sqlx::query(
        // Notes are written by tasks of their own, which may land out of order: a note older than
        // the stored one changes nothing (both SET expressions read the row as it was).
        "UPDATE devices SET last_seen_at_ms = $1, app_version = COALESCE($2, app_version) \
         WHERE id = (SELECT device_id FROM tokens WHERE token_sha256 = $3 AND revoked_at_ms IS NULL) \
         AND revoked_at_ms IS NULL AND (last_seen_at_ms IS NULL OR last_seen_at_ms <= $1)"
    )
    .bind(now)
    .bind(version)
    .bind(token_sha256)
    .execute(p)
    .await
    .map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_bounded_and_plain() {
        assert_eq!(clean_name("  王建国的手机 ").ok().as_deref(), Some("王建国的手机"));
        assert!(clean_name("   ").is_err());
        assert!(clean_name(&"机".repeat(100)).is_ok());
        assert!(clean_name(&"机".repeat(101)).is_err());
        assert!(clean_name("a\nb").is_err());
    }

    #[test]
    fn app_versions_are_cut_or_ignored_never_refused() {
        let with = |v: &[u8]| {
            let mut h = HeaderMap::new();
            h.insert(APP_HEADER, axum::http::HeaderValue::from_bytes(v).expect("header value"));
            app_version(&h)
        };
        assert_eq!(with(b"fieldledger-mobile-core/0.4.0").as_deref(), Some("fieldledger-mobile-core/0.4.0"));
        assert_eq!(with(&[b'x'; 300]).map(|v| v.len()), Some(MAX_APP_VERSION));
        assert_eq!(with(b"app\t1"), None);
        assert_eq!(with(&[0xe4, 0xb8, 0xad]), None, "not ASCII: ignored");
        assert_eq!(with(b"   "), None);
        assert_eq!(app_version(&HeaderMap::new()), None);
    }

    #[test]
    fn a_token_is_written_once_a_minute() {
        let t = SeenTracker::default();
        assert!(t.due("a", 1_000, None));
        assert!(!t.due("a", 1_000 + SEEN_EVERY_MS - 1, None));
        assert!(t.due("b", 1_000, Some("app/1")));
        assert!(t.due("a", 1_000 + SEEN_EVERY_MS, None));
        // A new app version is written at once, the same one not again within the minute.
        assert!(t.due("a", 1_000 + SEEN_EVERY_MS + 1, Some("app/1")));
        assert!(!t.due("a", 1_000 + SEEN_EVERY_MS + 2, Some("app/1")));
        assert!(!t.due("a", 1_000 + SEEN_EVERY_MS + 3, None));
        assert!(t.due("a", 1_000 + SEEN_EVERY_MS + 4, Some("app/2")));
    }
}
