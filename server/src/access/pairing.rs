//! Phone pairing (`access_codes`, purpose `pair`): an admin or supervisor makes a one-time code for
//! a person; the phone exchanges it (`POST /v1/pair`) for one device row and token per project the
//! person may record on, all sharing a new handset id. Later membership changes reach the phone
//! through `refresh` (`POST /v1/pair/refresh`). docs/access.md, "Phone pairing".
//!
//! A code is 12 Crockford base32 characters (60 random bits), shown as `ABCD-EFGH-JKMN`; only its
//! SHA-256 is kept. It expires after `DEFAULT_MINUTES` unless told otherwise and works once: the
//! exchange marks it used in the transaction that writes the devices, so two exchanges of one code
//! (even concurrent ones) pair one phone. Refused exchanges are audited (`pairing_refused`) and
//! counted per client address: past `PER_ADDRESS` in `throttle::WINDOW_MS`, further attempts are refused
//! unheard (429) until the oldest leaves the window.

use serde::Serialize;

use super::audit::{self, Entry, Event, Facts, Via};
use super::throttle::Throttled;
use crate::auth::{Role, new_token, token_sha256};
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::ApiError;

pub const DEFAULT_MINUTES: i64 = 15;
/// Longest a code may live (a day): a code is a key to the person's projects.
pub const MAX_MINUTES: i64 = 24 * 60;
/// Refused exchanges from one address in `throttle::WINDOW_MS` before further attempts wait.
pub const PER_ADDRESS: i64 = 20;
const PURPOSE: &str = "pair";
/// Crockford's base32: no I, L, O or U, so a code read aloud or typed is not mistaken.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_CHARS: usize = 12;

/// Why a pairing was refused.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    #[error("this pairing code is not known: check it, or ask for a new one")]
    Unknown,
    #[error("this pairing code was used already: ask for a new one")]
    Used,
    #[error("this pairing code has expired: ask for a new one")]
    Expired,
    #[error("this person is disabled and cannot pair a phone")]
    Disabled,
    #[error("{0} is on no project a phone records for (office people sign in with a password)")]
    NoProjects(String),
    #[error("this phone was not paired with a code: it has no handset to refresh")]
    NotPaired,
    #[error("too many refused pairing codes from this address: try again in {} minutes", .0.minutes())]
    Throttled(Throttled),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

impl PairingError {
    /// The audit's word for a refusal.
    fn reason(&self) -> &'static str {
        match self {
            PairingError::Unknown => "code_unknown",
            PairingError::Used => "code_used",
            PairingError::Expired => "code_expired",
            PairingError::Disabled => "person_disabled",
            PairingError::NoProjects(_) => "no_projects",
            _ => "refused",
        }
    }
}

impl From<PairingError> for ApiError {
    fn from(e: PairingError) -> Self {
        use axum::http::StatusCode as S;
        let message = e.to_string();
        match e {
            PairingError::Unknown => ApiError::new(S::NOT_FOUND, "code_unknown", "code", message),
            PairingError::Used => ApiError::new(S::CONFLICT, "code_used", "code", message),
            PairingError::Expired => ApiError::new(S::GONE, "code_expired", "code", message),
            PairingError::Disabled => ApiError::new(S::FORBIDDEN, "person_disabled", "code", message),
            PairingError::NoProjects(_) => ApiError::new(S::CONFLICT, "no_projects", "code", message),
            PairingError::NotPaired => ApiError::new(S::CONFLICT, "not_paired", "authorization", message),
            PairingError::Throttled(_) => ApiError::new(S::TOO_MANY_REQUESTS, "throttled", "code", message),
            PairingError::Invalid { field, message } => ApiError::bad_request(field, message),
            PairingError::Sql(e) => ApiError::internal(e),
        }
    }
}

impl From<super::devices::DeviceError> for PairingError {
    fn from(e: super::devices::DeviceError) -> Self {
        match e {
            super::devices::DeviceError::Name(m) => PairingError::Invalid { field: "device_name", message: m.into() },
            super::devices::DeviceError::Sql(e) => PairingError::Sql(e),
            other => PairingError::Invalid { field: "device_name", message: other.to_string() },
        }
    }
}

/// A new code: 60 random bits (from two UUID v4s' random bytes, the OS RNG) as 12 characters.
pub fn new_code() -> String {
    let a = uuid::Uuid::new_v4();
    let b = a.as_bytes();
    // Bytes 0-5 and 10-11 of a v4 UUID are wholly random (6 and 8 hold its version and variant).
    let mut bits = 0u64;
    for byte in b[0..6].iter().chain(&b[10..12]) {
        bits = (bits << 8) | u64::from(*byte);
    }
    (0..CODE_CHARS).map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char).collect()
}

/// A code as typed, in its canonical 12 characters: case, spaces and dashes ignored, and O, I and
/// L read as 0, 1 and 1 (as Crockford's base32 says). None when it cannot be a code.
pub fn canonical(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in typed.chars().filter(|c| !matches!(c, '-' | ' ')) {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() == CODE_CHARS {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// `ABCD-EFGH-JKMN`: how a code is shown.
pub fn grouped(code: &str) -> String {
    code.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// What the phone's camera reads: the server to pair with and the code.
pub fn link(base_url: &str, code: &str) -> String {
    let code = canonical(code).map_or_else(|| code.to_string(), |c| grouped(&c));
    format!("fieldledger://pair?server={}&code={code}", crate::web::urlencode(base_url.trim_end_matches('/')))
}

/// The QR code of `text` as an SVG element (dark modules on white, sized by its viewBox).
pub fn qr_svg(text: &str) -> Result<String, qrcode::types::QrError> {
    let qr = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)?;
    Ok(qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// A code just made (shown once).
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// As shown: `ABCD-EFGH-JKMN`.
    pub code: String,
    pub person_id: String,
    pub person_name: String,
    pub expires_at_ms: i64,
}

/// Who makes a code, for the audit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Maker<'a> {
    pub person_id: Option<&'a str>,
    pub device_id: Option<&'a str>,
    /// The project it was made from (an API token's, a screen's).
    pub project_id: Option<&'a str>,
    pub address: Option<&'a str>,
}

/// Minutes as asked: 0 (a code that is expired at once, for tests) to `MAX_MINUTES`.
pub fn check_minutes(minutes: i64) -> Result<i64, PairingError> {
    if !(0..=MAX_MINUTES).contains(&minutes) {
        return Err(PairingError::Invalid {
            field: "minutes",
            message: format!("must be between 0 and {MAX_MINUTES} (a day)"),
        });
    }
    Ok(minutes)
}

/// A new pairing code for `person_id`, valid `minutes`; audited `pairing_created`. The caller has
/// checked the maker may (an admin or supervisor of a project the person is on).
pub async fn create(db: &Db, person_id: &str, minutes: i64, by: Maker<'_>) -> Result<Created, PairingError> {
    let minutes = check_minutes(minutes)?;
    let person = super::people::find(db, person_id)
        .await?
        .ok_or(PairingError::Invalid { field: "person_id", message: "no such person".into() })?;
    if person.disabled {
        return Err(PairingError::Disabled);
    }
    let code = new_code();
    let now = record_schema::now_ms();
    let expires_at_ms = now + minutes * 60_000;
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO access_codes (code_sha256, purpose, person_id, created_by, created_at_ms, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(token_sha256(&code))
    .bind(PURPOSE)
    .bind(person_id)
    .bind(by.person_id)
    .bind(now)
    .bind(expires_at_ms)
    .execute(p)
    .await
    .map(drop))?;
    let facts = Facts::PairingCode { minutes, via: Via::of(by.person_id, by.device_id) };
    audit::record(
        db,
        Event::PairingCreated,
        Entry {
            project_id: by.project_id,
            actor_id: by.person_id,
            person_id: Some(person_id),
            device_id: by.device_id,
            address: by.address,
            facts,
        },
    )
    .await?;
    Ok(Created { code: grouped(&code), person_id: person.id, person_name: person.name, expires_at_ms })
}

/// A project the phone now holds, with its token (shown once).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectToken {
    pub project_id: String,
    /// From reference data; the id when the project has no name yet.
    pub name: String,
    pub role: Role,
    pub device_id: String,
    pub token: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

/// What a phone gets for its code.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Paired {
    pub handset_id: String,
    pub person: PersonRef,
    pub projects: Vec<ProjectToken>,
}

/// The phone asking: its name, app version and address.
#[derive(Debug, Clone, Copy)]
pub struct Phone<'a> {
    pub device_name: &'a str,
    pub app: Option<&'a str>,
    pub address: Option<&'a str>,
}

/// Whether exchanges from `address` must wait (too many refused lately), and how long.
pub async fn throttled(db: &Db, address: Option<&str>) -> Result<Option<Throttled>, sqlx::Error> {
    super::throttle::by_address(db, "pairing_refused", address, PER_ADDRESS).await
}

/// Exchanges `code` for the person's device tokens (see the module's doc). A refusal is audited
/// `pairing_refused` with its reason; a throttled attempt is not (so a lock ends on time).
pub async fn exchange(db: &Db, code: &str, phone: Phone<'_>) -> Result<Paired, PairingError> {
    if let Some(t) = throttled(db, phone.address).await? {
        return Err(PairingError::Throttled(t));
    }
    let device_name = super::devices::clean_name(phone.device_name)?;
    let app = phone.app.map(|a| a.chars().take(super::devices::MAX_APP_VERSION).collect::<String>());
    let result = match canonical(code) {
        None => Err((PairingError::Unknown, None)),
        Some(code) => pair(db, &code, &device_name, app.as_deref()).await,
    };
    match result {
        Ok(paired) => {
            for p in &paired.projects {
                let facts = Facts::Paired {
                    device_name: device_name.clone(),
                    role: p.role,
                    project: p.project_id.clone(),
                    handset: paired.handset_id.clone(),
                    refresh: false,
                };
                let entry = Entry {
                    project_id: Some(&p.project_id),
                    person_id: Some(&paired.person.id),
                    device_id: Some(&p.device_id),
                    address: phone.address,
                    facts,
                    ..Entry::default()
                };
                audit::record(db, Event::Paired, entry).await?;
            }
            Ok(paired)
        }
        Err((e, person)) => {
            if !matches!(e, PairingError::Sql(_)) {
                let entry = Entry {
                    person_id: person.as_deref(),
                    address: phone.address,
                    facts: Facts::PairingRefused { reason: e.reason().to_string() },
                    ..Entry::default()
                };
                audit::record(db, Event::PairingRefused, entry).await?;
            }
            Err(e)
        }
    }
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    name: String,
    disabled_at_ms: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    project_id: String,
    name: Option<String>,
    role: Role,
}

/// The pairing's one transaction: the code taken, the devices and tokens written. On refusal, the
/// person the code was for (when known) for the audit.
async fn pair(
    db: &Db,
    code: &str,
    device_name: &str,
    app: Option<&str>,
) -> Result<Paired, (PairingError, Option<String>)> {
    let sql = |e: sqlx::Error| (PairingError::Sql(e), None);
    let now = record_schema::now_ms();
    let handset_id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.begin().await.map_err(sql)?;
    // Taken first: a concurrent exchange of the same code waits on this row, then finds it used.
    let taken: Option<String> = on_tx!(&mut tx, |c| sqlx::query_scalar(
        "UPDATE access_codes SET used_at_ms = $1, handset_id = $2 WHERE code_sha256 = $3 AND purpose = $4 \
         AND used_at_ms IS NULL AND expires_at_ms > $1 RETURNING person_id"
    )
    .bind(now)
    .bind(&handset_id)
    .bind(token_sha256(code))
    .bind(PURPOSE)
    .fetch_optional(&mut *c)
    .await)
    .map_err(sql)?;
    let Some(person_id) = taken else {
        tx.rollback().await.map_err(sql)?;
        return Err(why_not(db, code).await);
    };
    let refuse = |e: PairingError| (e, Some(person_id.clone()));
    let person: Option<PersonRow> =
        on_tx!(&mut tx, |c| sqlx::query_as("SELECT name, disabled_at_ms FROM people WHERE id = $1")
            .bind(&person_id)
            .fetch_optional(&mut *c)
            .await)
        .map_err(sql)?;
    let Some(person) = person.filter(|p| p.disabled_at_ms.is_none()) else {
        tx.rollback().await.map_err(sql)?;
        return Err(refuse(PairingError::Disabled));
    };
    let projects = memberships(&mut tx, &person_id).await.map_err(sql)?;
    if projects.is_empty() {
        // The code stays unused: once the person joins a project it still works.
        tx.rollback().await.map_err(sql)?;
        return Err(refuse(PairingError::NoProjects(person.name)));
    }
    let mut out = Vec::new();
    for m in projects {
        let (device_id, token) =
            add_device(&mut tx, &person_id, &handset_id, device_name, app, &m.project_id, m.role, now)
                .await
                .map_err(sql)?;
        let name = m.name.filter(|n| !n.is_empty()).unwrap_or_else(|| m.project_id.clone());
        out.push(ProjectToken { project_id: m.project_id, name, role: m.role, device_id, token });
    }
    tx.commit().await.map_err(sql)?;
    Ok(Paired { handset_id, person: PersonRef { id: person_id, name: person.name }, projects: out })
}

/// Why a code was not taken: unknown, used or expired.
async fn why_not(db: &Db, code: &str) -> (PairingError, Option<String>) {
    #[derive(sqlx::FromRow)]
    struct Row {
        person_id: String,
        expires_at_ms: i64,
        used_at_ms: Option<i64>,
    }
    let row: Result<Option<Row>, sqlx::Error> = on_pool!(db, |p| sqlx::query_as(
        "SELECT person_id, expires_at_ms, used_at_ms FROM access_codes WHERE code_sha256 = $1 AND purpose = $2"
    )
    .bind(token_sha256(code))
    .bind(PURPOSE)
    .fetch_optional(p)
    .await);
    match row {
        Err(e) => (PairingError::Sql(e), None),
        Ok(None) => (PairingError::Unknown, None),
        Ok(Some(r)) if r.used_at_ms.is_some() => (PairingError::Used, Some(r.person_id)),
        Ok(Some(r)) => {
            // Not used and not taken: expired (or used by a concurrent exchange just now).
            let e = if r.expires_at_ms <= record_schema::now_ms() { PairingError::Expired } else { PairingError::Used };
            (e, Some(r.person_id))
        }
    }
}

/// The person's projects a phone holds: every membership but office (office has no tokens).
async fn memberships(tx: &mut Tx<'_>, person_id: &str) -> Result<Vec<MembershipRow>, sqlx::Error> {
    let rows: Vec<MembershipRow> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT m.project_id, pr.name, m.role FROM memberships m LEFT JOIN projects pr ON pr.id = m.project_id \
         WHERE m.person_id = $1 ORDER BY m.project_id"
    )
    .bind(person_id)
    .fetch_all(&mut *c)
    .await)?;
    Ok(rows.into_iter().filter(|m| m.role.has_tokens()).collect())
}

/// One device row of the handset, on one project, with its token (as `auth::create_token` makes
/// them, with the person and handset set).
#[allow(clippy::too_many_arguments)]
async fn add_device(
    tx: &mut Tx<'_>,
    person_id: &str,
    handset_id: &str,
    name: &str,
    app: Option<&str>,
    project: &str,
    role: Role,
    now: i64,
) -> Result<(String, String), sqlx::Error> {
    let device_id = uuid::Uuid::now_v7().to_string();
    let token = new_token();
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO devices (id, name, created_at_ms, person_id, handset_id, app_version) \
         VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(&device_id)
    .bind(name)
    .bind(now)
    .bind(person_id)
    .bind(handset_id)
    .bind(app)
    .execute(&mut *c)
    .await
    .map(drop))?;
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO tokens (token_sha256, device_id, role, project_id, created_at_ms) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(token_sha256(&token))
    .bind(&device_id)
    .bind(role.as_str())
    .bind(project)
    .bind(now)
    .execute(&mut *c)
    .await
    .map(drop))?;
    Ok((device_id, token))
}

/// What a refresh changed on the phone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Refreshed {
    pub handset_id: String,
    /// Projects joined since: new device rows, with their tokens (shown once).
    pub added: Vec<ProjectToken>,
    /// Projects the person is no longer on: their tokens are revoked now.
    pub removed: Vec<String>,
    /// Every project the handset holds after the refresh.
    pub projects: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct HandsetRow {
    id: String,
    project_id: String,
}

/// Brings the handset of `device_id` (any of its device rows) in line with its person's
/// memberships: a device row and token for each project joined since, and the tokens of projects
/// left revoked. Audited (`paired`, `device_revoked`).
pub async fn refresh(db: &Db, device_id: &str, address: Option<&str>) -> Result<Refreshed, PairingError> {
    let now = record_schema::now_ms();
    let owner: Option<(Option<String>, Option<String>, String)> =
        on_pool!(db, |p| sqlx::query_as("SELECT person_id, handset_id, name FROM devices WHERE id = $1")
            .bind(device_id)
            .fetch_optional(p)
            .await)?;
    let Some((Some(person_id), Some(handset_id), name)) = owner else { return Err(PairingError::NotPaired) };
    let mut tx = db.begin().await?;
    // The handset's rows taken first, so two refreshes at once add each project once.
    on_tx!(&mut tx, |c| sqlx::query("UPDATE devices SET name = name WHERE handset_id = $1")
        .bind(&handset_id)
        .execute(&mut *c)
        .await
        .map(drop))?;
    let held: Vec<HandsetRow> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT d.id, t.project_id FROM devices d JOIN tokens t ON t.device_id = d.id \
         WHERE d.handset_id = $1 AND d.revoked_at_ms IS NULL AND t.revoked_at_ms IS NULL ORDER BY t.project_id"
    )
    .bind(&handset_id)
    .fetch_all(&mut *c)
    .await)?;
    let wanted = memberships(&mut tx, &person_id).await?;
    let mut added = Vec::new();
    for m in wanted.iter().filter(|m| !held.iter().any(|h| h.project_id == m.project_id)) {
        let (device_id, token) =
            add_device(&mut tx, &person_id, &handset_id, &name, None, &m.project_id, m.role, now).await?;
        let shown = m.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| m.project_id.clone());
        added.push(ProjectToken { project_id: m.project_id.clone(), name: shown, role: m.role, device_id, token });
    }
    let mut removed = Vec::new();
    for h in held.iter().filter(|h| !wanted.iter().any(|m| m.project_id == h.project_id)) {
        super::devices::revoke_one(&mut tx, &h.id, now).await?;
        removed.push((h.project_id.clone(), h.id.clone()));
    }
    tx.commit().await?;
    for p in &added {
        let facts = Facts::Paired {
            device_name: name.clone(),
            role: p.role,
            project: p.project_id.clone(),
            handset: handset_id.clone(),
            refresh: true,
        };
        let entry = Entry {
            project_id: Some(&p.project_id),
            person_id: Some(&person_id),
            device_id: Some(&p.device_id),
            address,
            facts,
            ..Entry::default()
        };
        audit::record(db, Event::Paired, entry).await?;
    }
    for (project, device) in &removed {
        let entry = Entry {
            project_id: Some(project),
            person_id: Some(&person_id),
            device_id: Some(device),
            address,
            facts: Facts::LeftProject,
            ..Entry::default()
        };
        audit::record(db, Event::DeviceRevoked, entry).await?;
    }
    let mut projects: Vec<String> = held
        .iter()
        .map(|h| h.project_id.clone())
        .filter(|p| !removed.iter().any(|(r, _)| r == p))
        .chain(added.iter().map(|a| a.project_id.clone()))
        .collect();
    projects.sort();
    projects.dedup();
    Ok(Refreshed { handset_id, added, removed: removed.into_iter().map(|(p, _)| p).collect(), projects })
}

/// The person a device belongs to, if any (who acts, for the audit).
pub async fn person_of_device(db: &Db, device_id: &str) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar::<_, Option<String>>("SELECT person_id FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(p)
        .await)
    .map(Option::flatten)
}

/// Whether a maker with `role` on `project` may make a code for `person_id`: admins and
/// supervisors, for a member of that project (anyone else's person is 404, no existence leak).
pub async fn may_create(db: &Db, role: Role, project: &str, person_id: &str) -> Result<(), ApiError> {
    if !role.decides() {
        return Err(ApiError::forbidden(format!("a {role} cannot make pairing codes; an admin or supervisor can")));
    }
    match super::people::membership(db, person_id, project).await.map_err(ApiError::internal)? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found("person_id", "no such person on this project")),
    }
}

/// `fieldledger-server pairing create --person ID [--minutes N]`: the code alone on stdout (scripts
/// read it), then the link its QR holds; whose it is and until when on stderr.
pub async fn command(
    db: &Db,
    base: &str,
    command: crate::config::PairingCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    let crate::config::PairingCommand::Create { person, minutes } = command;
    let person = person.trim();
    let found = super::people::find(db, person).await?;
    if found.is_none() {
        return Err("no such person (their id is printed by `person add`)".into());
    }
    let projects: i64 = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE person_id = $1 AND role <> 'office'"
    )
    .bind(person)
    .fetch_one(p)
    .await)?;
    if projects == 0 {
        return Err(PairingError::NoProjects(found.map(|p| p.name).unwrap_or_default()).to_string().into());
    }
    let created = create(db, person, minutes, Maker::default()).await.map_err(|e| e.to_string())?;
    let until = chrono::DateTime::from_timestamp_millis(created.expires_at_ms)
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    eprintln!("pairing code for {} (works once, until {until}):", created.person_name);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", created.code)?;
    writeln!(out, "{}", link(base, &created.code))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_12_crockford_characters_read_forgivingly() {
        let code = new_code();
        assert_eq!(code.len(), 12);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        assert_ne!(new_code(), code, "two codes alike");
        let shown = grouped(&code);
        assert_eq!(shown.len(), 14);
        assert_eq!(shown.matches('-').count(), 2);
        assert_eq!(canonical(&shown).as_deref(), Some(code.as_str()));
        assert_eq!(canonical(&shown.to_lowercase()).as_deref(), Some(code.as_str()));
        assert_eq!(canonical("abcd efgh jkmn").as_deref(), Some("ABCDEFGHJKMN"));
        assert_eq!(canonical("O1IL-0000-0000").as_deref(), Some("011100000000"));
        for bad in ["", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKMU", "ABCD-EFGH-JKM!", "ÄBCD-EFGH-JKMN"] {
            assert_eq!(canonical(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn codes_spread_over_60_bits() {
        // Every character position takes many values over a few hundred codes (no stuck bits).
        let codes: Vec<String> = (0..400).map(|_| new_code()).collect();
        for i in 0..CODE_CHARS {
            let mut seen: Vec<u8> = codes.iter().map(|c| c.as_bytes()[i]).collect();
            seen.sort_unstable();
            seen.dedup();
            assert!(seen.len() > 24, "position {i}: {} values", seen.len());
        }
    }

    #[test]
    fn the_link_names_the_server_and_code_and_its_qr_is_svg() {
        assert_eq!(link("http://a", "ABCD-EFGH-JKMN"), link("http://a", "ABCDEFGHJKMN"));
        let link = link("http://10.0.0.5:8080/", "ABCDEFGHJKMN");
        assert_eq!(link, "fieldledger://pair?server=http%3A%2F%2F10.0.0.5%3A8080&code=ABCD-EFGH-JKMN");
        let svg = qr_svg(&link).expect("qr");
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
        assert!(!svg.contains("<script"), "no script in the QR");
    }
}
