//! The access audit (`access_events`): sign-ins and failed attempts, pairings, revocations, role
//! changes, with who did it, whom it concerns and from which address. Appended, never changed;
//! read by admins (newest first).
//!
//! Each event's particulars are `Facts`, stored twice: as JSON in `facts` (migration 0027), which
//! the access log turns into words of the page's language, and as today's English `detail`
//! (`Facts::detail`), which the sign-in throttle counts by and rows older than `facts` only have.

use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::db::{Db, Tx, on_pool, on_tx};

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

/// Who acted when it was not a signed-in person alone: the facts keep it, since `actor_id` names
/// only a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// A person (also `actor_id`).
    Person(String),
    /// A device's key (a token's API call or key session), no person known.
    Device(String),
    CommandLine,
}

impl Via {
    /// A person if one acted, else the device, else the command line.
    pub fn of(person_id: Option<&str>, device_id: Option<&str>) -> Via {
        match (person_id, device_id) {
            (Some(p), _) => Via::Person(p.to_string()),
            (None, Some(d)) => Via::Device(d.to_string()),
            (None, None) => Via::CommandLine,
        }
    }

    fn words(&self) -> String {
        match self {
            Via::Person(p) => format!("by person {p}"),
            Via::Device(d) => format!("by device {d}"),
            Via::CommandLine => "from the command line".into(),
        }
    }
}

/// What an event says beyond who, whom, which device and from where: the particulars the access
/// log puts in words. Stored as JSON (`{"kind": "sites", "sites": ["S1", "S3"]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Facts {
    /// Nothing more (a sign-in, a sign-out, a password set).
    #[default]
    Plain,
    /// A refused sign-in: the phone number or e-mail typed (the log shows its first characters).
    Login {
        login: String,
    },
    PersonAdded {
        company_admin: bool,
    },
    /// A role given on the project; `before` none: newly a member.
    Role {
        before: Option<Role>,
        after: Role,
    },
    /// Removed from the project, holding `role` until then.
    Removed {
        role: Role,
    },
    /// Made a company admin, or (`admin` false) no longer one.
    CompanyAdmin {
        admin: bool,
    },
    /// The member's sites, by id; empty: every site.
    Sites {
        sites: Vec<String>,
    },
    /// Disabled: sessions ended, devices revoked.
    Disabled,
    PairingCode {
        minutes: i64,
        via: Via,
    },
    /// A phone paired (or, `refresh`, given a project it was missing).
    Paired {
        device_name: String,
        role: Role,
        project: String,
        handset: String,
        refresh: bool,
    },
    /// A pairing code refused: the answer's code (`code_unknown`, `code_used`, ...).
    PairingRefused {
        reason: String,
    },
    /// A device revoked; `same_handset_as`: the device asked for, when this is another row of its
    /// phone.
    DeviceRevoked {
        via: Via,
        same_handset_as: Option<String>,
    },
    /// A phone's device of a project its person is no longer on, revoked by the phone's refresh.
    LeftProject,
    DeviceRenamed {
        from: String,
        to: String,
        via: Via,
    },
    TokenRotated {
        role: Role,
        project: String,
        via: Via,
    },
    /// Device keys made from the command line: `count` devices named `name` (a load test's many
    /// as one event).
    TokenCreated {
        role: Role,
        project: String,
        name: String,
        count: u64,
    },
}

impl Facts {
    /// The English text kept in `detail` (the same text as before facts were stored).
    pub fn detail(&self) -> String {
        match self {
            Facts::Plain => String::new(),
            Facts::Login { login } => login.clone(),
            Facts::PersonAdded { company_admin } => if *company_admin { "company admin" } else { "" }.into(),
            Facts::Role { before: Some(b), after } => format!("{b} -> {after}"),
            Facts::Role { before: None, after } => after.to_string(),
            Facts::Removed { role } => role.to_string(),
            Facts::CompanyAdmin { admin } => if *admin { "company admin" } else { "no longer company admin" }.into(),
            Facts::Sites { sites } if sites.is_empty() => "sites: all".into(),
            Facts::Sites { sites } => format!("sites: {}", sites.join(", ")),
            Facts::Disabled => "disabled: sessions ended".into(),
            Facts::PairingCode { minutes, via } => format!("valid {minutes} min, {}", via.words()),
            Facts::Paired { device_name, role, project, handset, refresh } => format!(
                "{}{device_name} as {role} on {project} (handset {handset})",
                if *refresh { "refresh: " } else { "" }
            ),
            Facts::PairingRefused { reason } => reason.clone(),
            Facts::DeviceRevoked { via, same_handset_as } => format!(
                "{}{}",
                via.words(),
                same_handset_as.as_ref().map(|id| format!(" (same handset as {id})")).unwrap_or_default()
            ),
            Facts::LeftProject => "refresh: no longer on the project".into(),
            Facts::DeviceRenamed { from, to, via } => format!("{from:?} -> {to:?} {}", via.words()),
            Facts::TokenRotated { role, project, via } => format!("{role} on {project} {}", via.words()),
            Facts::TokenCreated { role, project, count: 1, .. } => {
                format!("{role} on {project} from the command line")
            }
            Facts::TokenCreated { role, project, name, count } => {
                format!("{count} devices ({name}), {role} on {project} from the command line")
            }
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
    /// The particulars (e.g. `foreman -> supervisor`, the phone number tried); never a password,
    /// code or token.
    pub facts: Facts,
}

const INSERT: &str = "INSERT INTO access_events \
     (at_ms, event, project_id, actor_id, person_id, device_id, address, detail, facts) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Appends `event` now (a transaction of its own: events are few, and `record_in` is the one
/// insert).
pub async fn record(db: &Db, event: Event, e: Entry<'_>) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    record_in(&mut tx, event, e).await?;
    tx.commit().await
}

/// `record` inside `tx`: the event is kept only if the change it tells of is.
pub async fn record_in(tx: &mut Tx<'_>, event: Event, e: Entry<'_>) -> Result<(), sqlx::Error> {
    let (detail, facts) = (e.facts.detail(), facts_json(&e.facts)?);
    on_tx!(tx, |c| sqlx::query(INSERT)
        .bind(record_schema::now_ms())
        .bind(event.as_str())
        .bind(e.project_id)
        .bind(e.actor_id)
        .bind(e.person_id)
        .bind(e.device_id)
        .bind(e.address)
        .bind(&detail)
        .bind(&facts)
        .execute(&mut *c)
        .await
        .map(drop))
}

fn facts_json(facts: &Facts) -> Result<String, sqlx::Error> {
    serde_json::to_string(facts).map_err(|e| sqlx::Error::Encode(Box::new(e)))
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
    /// `Facts` as JSON; none on rows written before migration 0027.
    #[serde(skip)]
    pub facts: Option<String>,
}

impl StoredEvent {
    /// The event's facts; none for an older row (or one this server cannot read), which is shown
    /// by its `detail`.
    pub fn facts(&self) -> Option<Facts> {
        self.facts.as_deref().and_then(|f| serde_json::from_str(f).ok())
    }
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
    let sql = "SELECT id, at_ms, event, project_id, actor_id, person_id, device_id, address, detail, facts \
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
