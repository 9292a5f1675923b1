//! People and their memberships (tables `people`, `memberships`, migration 0015): who they are,
//! which projects they work on and in which role, company admins, disabling. Every change is
//! recorded in the access audit (`super::audit`). The rules of input (name, phone, e-mail) live
//! here, so the command line, the JSON API and the screens refuse the same things the same way.

use serde::Serialize;

use super::audit::{self, Entry, Event, Facts};
use crate::auth::Role;
use crate::db::{Db, Tx, is_unique_violation, on_pool, on_tx};
use crate::error::ApiError;

/// A name: required, at most this many characters.
pub const MAX_NAME_CHARS: usize = 100;
/// A phone number's digits (a leading + aside).
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 6..=20;
/// An e-mail address: at most this many bytes.
pub const MAX_EMAIL_BYTES: usize = 254;

/// Why a change to people or memberships was refused.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// Bad input: the field and what is wrong with it.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The phone number (or e-mail) is someone else's already.
    #[error("{field}: {message}")]
    Taken { field: &'static str, message: String },
    /// No such person (or not one the caller may see).
    #[error("no such person")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// Something of ours failed (e.g. hashing); logged, never shown in detail.
    #[error("{0}")]
    Internal(String),
}

impl From<PeopleError> for ApiError {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::Invalid { field, message } => ApiError::bad_request(field, message),
            PeopleError::Taken { field, message } => ApiError::conflict(field, message),
            PeopleError::NotFound => ApiError::not_found("person", "no such person in this project"),
            PeopleError::Db(e) => ApiError::internal(e),
            PeopleError::Internal(e) => ApiError::internal(e),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> PeopleError {
    PeopleError::Invalid { field, message: message.into() }
}

/// A name, trimmed: required, at most `MAX_NAME_CHARS` characters, no control characters.
pub fn check_name(name: &str) -> Result<String, PeopleError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("name", "a name is required"));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(invalid("name", format!("must be at most {MAX_NAME_CHARS} characters (got {n})")));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("name", "must not contain control characters"));
    }
    Ok(name.to_string())
}

/// A phone number as stored: its digits, with a leading + kept (`+86 138-1234-5678` ->
/// `+8613812345678`); spaces, dashes, dots and brackets are dropped; anything else is refused.
pub fn normalize_phone(phone: &str) -> Result<String, PeopleError> {
    let phone = phone.trim();
    let (plus, rest) = match phone.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", phone),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(invalid("phone", "only digits, spaces, dashes and a leading + are allowed")),
        }
    }
    if !PHONE_DIGITS.contains(&digits.len()) {
        return Err(invalid(
            "phone",
            format!("must have {} to {} digits (got {})", PHONE_DIGITS.start(), PHONE_DIGITS.end(), digits.len()),
        ));
    }
    Ok(format!("{plus}{digits}"))
}

/// An e-mail address, trimmed and lower-cased, of the basic shape `name@domain.tld`.
pub fn check_email(email: &str) -> Result<String, PeopleError> {
    let email = email.trim().to_lowercase();
    if email.len() > MAX_EMAIL_BYTES {
        return Err(invalid("email", format!("must be at most {MAX_EMAIL_BYTES} bytes")));
    }
    let shaped = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain.contains('.')
            && !domain.contains('@')
    }) && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !shaped {
        return Err(invalid("email", "expected an address like name@example.com"));
    }
    Ok(email)
}

/// A person as admins see them (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub company_admin: bool,
    pub has_password: bool,
    pub disabled: bool,
}

const PERSON_COLUMNS: &str = "p.id, p.name, p.phone, p.email, p.company_admin, \
     (p.password_hash IS NOT NULL) AS has_password, (p.disabled_at_ms IS NOT NULL) AS disabled";

/// A member of a project: the person and their role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Member {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub person: Person,
    pub role: Role,
    /// Their devices on this project (not revoked).
    pub devices: i64,
}

/// A new person, as typed (checked by `create`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct NewPerson {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub company_admin: bool,
}

/// Who makes a change and from where, for the audit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Actor<'a> {
    /// The person acting; none from the command line or a device key alone.
    pub person_id: Option<&'a str>,
    /// The device whose key acts when no person does (a key's API call or web session), so the
    /// access log names it rather than the command line.
    pub device_id: Option<&'a str>,
    pub address: Option<&'a str>,
}

impl<'a> Actor<'a> {
    pub const COMMAND_LINE: Actor<'static> = Actor { person_id: None, device_id: None, address: None };

    /// A signed-in person if there is one, else the device whose key made the request.
    pub fn of(person_id: Option<&'a str>, device_id: &'a str, address: Option<&'a str>) -> Self {
        Actor { person_id, device_id: person_id.is_none().then_some(device_id), address }
    }
}

/// Creates a person (audited `person_added`); a phone number already someone's is 409.
pub async fn create(db: &Db, new: &NewPerson, by: Actor<'_>) -> Result<Person, PeopleError> {
    let mut tx = db.begin().await?;
    let person = create_in(&mut tx, new, by).await?;
    tx.commit().await?;
    Ok(person)
}

/// Adds a new person to `project` as `role` with `sites` (from `check_sites`; empty: every site),
/// as the people API and screen do: the person, the membership, the sites and their audit events
/// in one transaction, so a failure anywhere leaves nobody half added.
pub async fn add_member(
    db: &Db,
    new: &NewPerson,
    project: &str,
    role: Role,
    sites: &[String],
    by: Actor<'_>,
) -> Result<Person, PeopleError> {
    let project = check_project(project)?;
    // Sorted as `set_sites` keeps them.
    let mut sites = sites.to_vec();
    sites.sort();
    let mut tx = db.begin().await?;
    let person = create_in(&mut tx, new, by).await?;
    write_membership(&mut tx, &person.id, project, role, None, by).await?;
    if !sites.is_empty() {
        write_sites(&mut tx, &person.id, project, &sites, by).await?;
    }
    tx.commit().await?;
    Ok(person)
}

/// `create` inside `tx`.
async fn create_in(tx: &mut Tx<'_>, new: &NewPerson, by: Actor<'_>) -> Result<Person, PeopleError> {
    let name = check_name(&new.name)?;
    let phone = new.phone.as_deref().filter(|p| !p.trim().is_empty()).map(normalize_phone).transpose()?;
    let email = new.email.as_deref().filter(|e| !e.trim().is_empty()).map(check_email).transpose()?;
    let id = uuid::Uuid::now_v7().to_string();
    let inserted = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO people (id, name, phone, email, company_admin, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(&id)
    .bind(&name)
    .bind(&phone)
    .bind(&email)
    .bind(new.company_admin)
    .bind(record_schema::now_ms())
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected()));
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            return Err(PeopleError::Taken {
                field: "phone",
                message: "this phone number belongs to someone else".into(),
            });
        }
        other => other.map(drop)?,
    }
    let facts = Facts::PersonAdded { company_admin: new.company_admin };
    let entry = Entry {
        actor_id: by.person_id,
        device_id: by.device_id,
        person_id: Some(&id),
        address: by.address,
        facts,
        ..Entry::default()
    };
    audit::record_in(tx, Event::PersonAdded, entry).await?;
    Ok(Person { id, name, phone, email, company_admin: new.company_admin, has_password: false, disabled: false })
}

/// Gives a person who has neither a phone number nor an e-mail address one to sign in with (the
/// first run's admin); a login someone else has is 409.
pub async fn set_login(db: &Db, person_id: &str, login: &str) -> Result<(), PeopleError> {
    let Some((column, value)) = normalize_login(login) else {
        return Err(invalid("login", "expected a phone number (6 to 20 digits) or an e-mail address"));
    };
    if column == "email" && by_login(db, &value).await?.is_some() {
        return Err(PeopleError::Taken {
            field: "email",
            message: "this e-mail address belongs to someone else".into(),
        });
    }
    let sql = format!("UPDATE people SET {column} = $2 WHERE id = $1 AND phone IS NULL AND email IS NULL");
    let done = on_pool!(db, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(person_id)
        .bind(&value)
        .execute(p)
        .await
        .map(drop));
    match done {
        Err(e) if is_unique_violation(&e) => {
            Err(PeopleError::Taken { field: "phone", message: "this phone number belongs to someone else".into() })
        }
        other => other.map(drop).map_err(PeopleError::from),
    }
}

/// Gives a person their own name (the first run's admin replaces the placeholder "Admin").
pub async fn rename(db: &Db, person_id: &str, name: &str) -> Result<(), PeopleError> {
    let name = check_name(name)?;
    on_pool!(db, |p| sqlx::query("UPDATE people SET name = $2 WHERE id = $1")
        .bind(person_id)
        .bind(&name)
        .execute(p)
        .await
        .map(drop))?;
    Ok(())
}

/// One person by id (disabled ones too).
pub async fn find(db: &Db, id: &str) -> Result<Option<Person>, sqlx::Error> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people p WHERE p.id = $1");
    on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(p).await)
}

/// What signing in needs of a person, found by phone number or e-mail address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Login {
    pub id: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

/// A sign-in's login as stored: an e-mail address (lower case) when it has an @, else a phone
/// number's digits. None when it is neither.
pub fn normalize_login(login: &str) -> Option<(&'static str, String)> {
    if login.contains('@') {
        check_email(login).ok().map(|e| ("email", e))
    } else {
        normalize_phone(login).ok().map(|p| ("phone", p))
    }
}

/// The person a sign-in names (`normalize_login`). None when nobody has it. A phone number typed
/// without its country code (`138 1234 5678`) finds one stored with it (`+8613812345678`) when
/// exactly one person's number ends so; an exact match always wins.
pub async fn by_login(db: &Db, login: &str) -> Result<Option<Login>, sqlx::Error> {
    let Some((column, value)) = normalize_login(login) else { return Ok(None) };
    let sql = format!(
        "SELECT id, name, password_hash, (disabled_at_ms IS NOT NULL) AS disabled FROM people \
         WHERE {column} = $1 ORDER BY created_at_ms LIMIT 1"
    );
    let exact: Option<Login> =
        on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(&value).fetch_optional(p).await)?;
    if exact.is_some() || column != "phone" || value.starts_with('+') {
        return Ok(exact);
    }
    let sql = "SELECT id, name, password_hash, (disabled_at_ms IS NOT NULL) AS disabled FROM people \
               WHERE phone LIKE $1 AND length(phone) BETWEEN $2 AND $3 ORDER BY created_at_ms LIMIT 2";
    // A country code is 1 to 3 digits after the +: a longer prefix is another number ending so.
    let n = i32::try_from(value.len()).unwrap_or(i32::MAX);
    let found: Vec<Login> = on_pool!(db, |p| sqlx::query_as(sql)
        .bind(format!("+%{value}"))
        .bind(n.saturating_add(2))
        .bind(n.saturating_add(4))
        .fetch_all(p)
        .await)?;
    Ok(if found.len() == 1 { found.into_iter().next() } else { None })
}

/// The members of `project`, by name, with their role and live devices there.
pub async fn members(db: &Db, project: &str) -> Result<Vec<Member>, sqlx::Error> {
    let sql = format!(
        "SELECT {PERSON_COLUMNS}, m.role, \
         (SELECT COUNT(*) FROM devices d JOIN tokens t ON t.device_id = d.id \
          WHERE d.person_id = p.id AND t.project_id = m.project_id AND t.revoked_at_ms IS NULL) AS devices \
         FROM memberships m JOIN people p ON p.id = m.person_id WHERE m.project_id = $1 ORDER BY p.name, p.id"
    );
    on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(project).fetch_all(p).await)
}

/// Everybody, by name (company admins' listing).
pub async fn everyone(db: &Db) -> Result<Vec<Person>, sqlx::Error> {
    let sql = format!("SELECT {PERSON_COLUMNS} FROM people p ORDER BY p.name, p.id");
    on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).fetch_all(p).await)
}

/// A person's role on `project`, if a member (company admins aside: see `role_on`).
pub async fn membership(db: &Db, person_id: &str, project: &str) -> Result<Option<Role>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar("SELECT role FROM memberships WHERE person_id = $1 AND project_id = $2")
        .bind(person_id)
        .bind(project)
        .fetch_optional(p)
        .await)
}

/// Sets `person`'s role on `project` (adding the membership or changing its role); audited
/// `membership_set` with the change in words (`foreman -> supervisor`).
pub async fn set_membership(
    db: &Db,
    person_id: &str,
    project: &str,
    role: Role,
    by: Actor<'_>,
) -> Result<(), PeopleError> {
    let project = check_project(project)?;
    if find(db, person_id).await?.is_none() {
        return Err(PeopleError::NotFound);
    }
    let before = membership(db, person_id, project).await?;
    if before == Some(role) {
        return Ok(());
    }
    if before.is_some() {
        phones_take_role(db, person_id, project, role).await?;
    }
    let mut tx = db.begin().await?;
    write_membership(&mut tx, person_id, project, role, before, by).await?;
    tx.commit().await?;
    Ok(())
}

/// The membership row (added, or its role changed from `before`) and its `membership_set` event.
async fn write_membership(
    tx: &mut Tx<'_>,
    person_id: &str,
    project: &str,
    role: Role,
    before: Option<Role>,
    by: Actor<'_>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, |c| sqlx::query(
        "INSERT INTO memberships (person_id, project_id, role, created_at_ms) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (person_id, project_id) DO UPDATE SET role = excluded.role"
    )
    .bind(person_id)
    .bind(project)
    .bind(role.as_str())
    .bind(record_schema::now_ms())
    .execute(&mut *c)
    .await
    .map(drop))?;
    let entry = Entry {
        project_id: Some(project),
        actor_id: by.person_id,
        device_id: by.device_id,
        person_id: Some(person_id),
        address: by.address,
        facts: Facts::Role { before, after: role },
    };
    audit::record_in(tx, Event::MembershipSet, entry).await
}

/// Removes `person` from `project` (404 when not a member); audited `membership_removed`. Their
/// browser sessions on that project end.
pub async fn remove_membership(db: &Db, person_id: &str, project: &str, by: Actor<'_>) -> Result<(), PeopleError> {
    let Some(before) = membership(db, person_id, project).await? else { return Err(PeopleError::NotFound) };
    phones_leave(db, person_id, project).await?;
    on_pool!(db, |p| sqlx::query("DELETE FROM memberships WHERE person_id = $1 AND project_id = $2")
        .bind(person_id)
        .bind(project)
        .execute(p)
        .await
        .map(drop))?;
    // A member again later starts with every site.
    on_pool!(db, |p| sqlx::query("DELETE FROM membership_sites WHERE person_id = $1 AND project_id = $2")
        .bind(person_id)
        .bind(project)
        .execute(p)
        .await
        .map(drop))?;
    audit::record(
        db,
        Event::MembershipRemoved,
        Entry {
            project_id: Some(project),
            actor_id: by.person_id,
            device_id: by.device_id,
            person_id: Some(person_id),
            address: by.address,
            facts: Facts::Removed { role: before },
        },
    )
    .await?;
    Ok(())
}

/// The person's phones lose `project` at once, not at their next `/v1/pair/refresh`: the tokens
/// their devices hold on it are revoked (the next sync or request is 401, and browser sessions
/// opened with them end), and a device left with no live token is revoked too.
async fn phones_leave(db: &Db, person_id: &str, project: &str) -> Result<(), sqlx::Error> {
    let now = record_schema::now_ms();
    on_pool!(db, |p| sqlx::query(
        "UPDATE tokens SET revoked_at_ms = $1 WHERE project_id = $2 AND revoked_at_ms IS NULL \
         AND device_id IN (SELECT id FROM devices WHERE person_id = $3)"
    )
    .bind(now)
    .bind(project)
    .bind(person_id)
    .execute(p)
    .await
    .map(drop))?;
    on_pool!(db, |p| sqlx::query(
        "UPDATE devices SET revoked_at_ms = $1 WHERE person_id = $2 AND revoked_at_ms IS NULL \
         AND NOT EXISTS (SELECT 1 FROM tokens t WHERE t.device_id = devices.id AND t.revoked_at_ms IS NULL)"
    )
    .bind(now)
    .bind(person_id)
    .execute(p)
    .await
    .map(drop))
}

/// A changed role reaches the person's phones at once: their tokens on `project` carry the new
/// role (the token decides what a phone may do), or, for a role without device tokens (office),
/// the phones leave the project.
async fn phones_take_role(db: &Db, person_id: &str, project: &str, role: Role) -> Result<(), sqlx::Error> {
    if !role.has_tokens() {
        return phones_leave(db, person_id, project).await;
    }
    on_pool!(db, |p| sqlx::query(
        "UPDATE tokens SET role = $1 WHERE project_id = $2 AND revoked_at_ms IS NULL \
         AND device_id IN (SELECT id FROM devices WHERE person_id = $3)"
    )
    .bind(role.as_str())
    .bind(project)
    .bind(person_id)
    .execute(p)
    .await
    .map(drop))
}

/// Makes a person a company admin (admin of every project) or not; audited as a membership change
/// of no project.
pub async fn set_company_admin(db: &Db, person_id: &str, admin: bool, by: Actor<'_>) -> Result<(), PeopleError> {
    let done = on_pool!(db, |p| sqlx::query("UPDATE people SET company_admin = $2 WHERE id = $1")
        .bind(person_id)
        .bind(admin)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    if done == 0 {
        return Err(PeopleError::NotFound);
    }
    let facts = Facts::CompanyAdmin { admin };
    audit::record(
        db,
        Event::MembershipSet,
        Entry {
            actor_id: by.person_id,
            device_id: by.device_id,
            person_id: Some(person_id),
            address: by.address,
            facts,
            ..Entry::default()
        },
    )
    .await?;
    Ok(())
}

/// Disables a person: they can no longer sign in, their browser sessions end at once and their
/// devices are revoked (their tokens stop working on the next request).
pub async fn disable(db: &Db, person_id: &str, project: Option<&str>, by: Actor<'_>) -> Result<(), PeopleError> {
    let now = record_schema::now_ms();
    let done = on_pool!(db, |p| sqlx::query(
        "UPDATE people SET disabled_at_ms = $2 WHERE id = $1 AND disabled_at_ms IS NULL"
    )
    .bind(person_id)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    if done == 0 && find(db, person_id).await?.is_none() {
        return Err(PeopleError::NotFound);
    }
    end_sessions(db, person_id).await?;
    on_pool!(db, |p| sqlx::query(
        "UPDATE devices SET revoked_at_ms = $2 WHERE person_id = $1 AND revoked_at_ms IS NULL"
    )
    .bind(person_id)
    .bind(now)
    .execute(p)
    .await
    .map(drop))?;
    audit::record(
        db,
        Event::SignOut,
        Entry {
            project_id: project,
            actor_id: by.person_id,
            device_id: by.device_id,
            person_id: Some(person_id),
            address: by.address,
            facts: Facts::Disabled,
        },
    )
    .await?;
    Ok(())
}

/// Ends every browser session of a person.
pub async fn end_sessions(db: &Db, person_id: &str) -> Result<u64, sqlx::Error> {
    on_pool!(db, |p| sqlx::query("DELETE FROM web_sessions WHERE person_id = $1")
        .bind(person_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
}

/// Most sites one membership lists (`membership_sites`).
pub const MAX_MEMBERSHIP_SITES: usize = 200;

/// `sites` as a person's site list on `project` (sync scopes, issue 25): trimmed, without repeats,
/// each a site of the project's reference data, at most `MAX_MEMBERSHIP_SITES`. An empty list:
/// every site. Refusals name the field `sites`.
pub async fn check_sites(db: &Db, project: &str, sites: &[String]) -> Result<Vec<String>, PeopleError> {
    if sites.len() > MAX_MEMBERSHIP_SITES {
        return Err(invalid("sites", format!("at most {MAX_MEMBERSHIP_SITES} sites")));
    }
    let mut wanted: Vec<String> = Vec::with_capacity(sites.len());
    for s in sites {
        let s = s.trim();
        if s.is_empty() || s.len() > 200 {
            return Err(invalid("sites", "a site id is 1 to 200 bytes"));
        }
        if !wanted.iter().any(|w| w == s) {
            wanted.push(s.to_string());
        }
    }
    if wanted.is_empty() {
        return Ok(wanted);
    }
    let known: Vec<String> = on_pool!(db, |p| sqlx::query_scalar("SELECT id FROM sites WHERE project_id = $1")
        .bind(project)
        .fetch_all(p)
        .await)?;
    if let Some(unknown) = wanted.iter().find(|w| !known.contains(w)) {
        return Err(invalid(
            "sites",
            format!("{unknown:?} is not a site of project {project} (its reference data lists the sites)"),
        ));
    }
    Ok(wanted)
}

/// Replaces `person`'s site list on `project` with `sites` (from `check_sites`; empty: every
/// site), if it differs; audited `membership_set` (facts `Sites`, detail `sites: A, B` or `sites:
/// all`). The person must be a member. Their devices' scope parameters change with it (their next
/// sync resets its cursor).
pub async fn set_sites(
    db: &Db,
    person_id: &str,
    project: &str,
    sites: &[String],
    by: Actor<'_>,
) -> Result<(), PeopleError> {
    if membership(db, person_id, project).await?.is_none() {
        return Err(PeopleError::NotFound);
    }
    let mut before = sites_of(db, person_id, project).await?;
    let mut after = sites.to_vec();
    before.sort();
    after.sort();
    if before == after {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    write_sites(&mut tx, person_id, project, &after, by).await?;
    tx.commit().await?;
    Ok(())
}

/// The member's site rows replaced by `sites`, and their `membership_set` event.
async fn write_sites(
    tx: &mut Tx<'_>,
    person_id: &str,
    project: &str,
    sites: &[String],
    by: Actor<'_>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, |c| {
        sqlx::query("DELETE FROM membership_sites WHERE person_id = $1 AND project_id = $2")
            .bind(person_id)
            .bind(project)
            .execute(&mut *c)
            .await?;
        for site in sites {
            sqlx::query("INSERT INTO membership_sites (person_id, project_id, site_id) VALUES ($1, $2, $3)")
                .bind(person_id)
                .bind(project)
                .bind(site)
                .execute(&mut *c)
                .await?;
        }
    });
    let entry = Entry {
        project_id: Some(project),
        actor_id: by.person_id,
        device_id: by.device_id,
        person_id: Some(person_id),
        address: by.address,
        facts: Facts::Sites { sites: sites.to_vec() },
    };
    audit::record_in(tx, Event::MembershipSet, entry).await
}

/// `person`'s sites on `project`, by id (empty: every site).
pub async fn sites_of(db: &Db, person_id: &str, project: &str) -> Result<Vec<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar(
        "SELECT site_id FROM membership_sites WHERE person_id = $1 AND project_id = $2 ORDER BY site_id"
    )
    .bind(person_id)
    .bind(project)
    .fetch_all(p)
    .await)
}

/// The site lists of `project`'s members who have one: (person, site), by person and site.
pub async fn project_sites(db: &Db, project: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_as(
        "SELECT person_id, site_id FROM membership_sites WHERE project_id = $1 ORDER BY person_id, site_id"
    )
    .bind(project)
    .fetch_all(p)
    .await)
}

/// A project id as typed: trimmed, required, at most 200 bytes (as tokens' projects).
pub fn check_project(project: &str) -> Result<&str, PeopleError> {
    let project = project.trim();
    if project.is_empty() || project.len() > 200 || project.chars().any(char::is_control) {
        return Err(invalid("project", "a project id is required (at most 200 bytes)"));
    }
    Ok(project)
}

/// A project a person may open, with their role there and its name from reference data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ProjectRole {
    pub project_id: String,
    /// The project's name from reference data; none when it has none yet.
    pub name: Option<String>,
    pub role: Role,
}

impl ProjectRole {
    /// The name, else the id.
    pub fn label(&self) -> &str {
        self.name.as_deref().filter(|n| !n.is_empty()).unwrap_or(&self.project_id)
    }
}

/// The projects `person` may open, by name: their memberships; a company admin every project the
/// company has (any with reference data, a device token or a member) as admin.
pub async fn projects_of(db: &Db, person_id: &str, company_admin: bool) -> Result<Vec<ProjectRole>, sqlx::Error> {
    let sql = if company_admin {
        "SELECT a.project_id, pr.name, 'admin' AS role FROM \
         (SELECT id AS project_id FROM projects UNION SELECT project_id FROM memberships \
          UNION SELECT project_id FROM tokens) a \
         LEFT JOIN projects pr ON pr.id = a.project_id WHERE $1 = $1 \
         ORDER BY COALESCE(pr.name, a.project_id), a.project_id"
    } else {
        "SELECT m.project_id, pr.name, m.role FROM memberships m LEFT JOIN projects pr ON pr.id = m.project_id \
         WHERE m.person_id = $1 ORDER BY COALESCE(pr.name, m.project_id), m.project_id"
    };
    on_pool!(db, |p| sqlx::query_as(sql).bind(person_id).fetch_all(p).await)
}

/// Whether a company admin exists, and whether one has set a password (the first run is over).
pub async fn company_admins(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    on_pool!(db, |p| sqlx::query_as(
        "SELECT COUNT(*), COUNT(password_hash) FROM people WHERE company_admin = $1 AND disabled_at_ms IS NULL"
    )
    .bind(true)
    .fetch_one(p)
    .await)
}

/// The first company admin without a password (the one the first-run link is for).
pub async fn first_admin_without_password(db: &Db) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar(
        "SELECT id FROM people WHERE company_admin = $1 AND disabled_at_ms IS NULL AND password_hash IS NULL \
         ORDER BY created_at_ms, id LIMIT 1"
    )
    .bind(true)
    .fetch_optional(p)
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_digits_with_an_optional_plus() {
        assert_eq!(normalize_phone(" +86 138-1234-5678 ").ok().as_deref(), Some("+8613812345678"));
        assert_eq!(normalize_phone("(010) 6512.3456").ok().as_deref(), Some("01065123456"));
        for bad in ["", "12345", "1".repeat(21).as_str(), "138x1234", "++8613812345678", "1+3812345678"] {
            assert!(matches!(normalize_phone(bad), Err(PeopleError::Invalid { field: "phone", .. })), "{bad:?}");
        }
    }

    #[test]
    fn names_and_emails_are_checked() {
        assert_eq!(check_name("  王建国 ").ok().as_deref(), Some("王建国"));
        assert!(check_name(" ").is_err());
        assert!(check_name(&"王".repeat(100)).is_ok());
        assert!(check_name(&"王".repeat(101)).is_err());
        assert!(check_name("a\u{7}b").is_err());
        assert_eq!(check_email(" Li.Qiang@Example.COM ").ok().as_deref(), Some("li.qiang@example.com"));
        for bad in ["li", "@example.com", "li@", "li@example", "li@.com", "li @example.com", "a@b@c.com"] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }
}
