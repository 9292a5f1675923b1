//! The demo company (`fieldledger-server demo`, `--demo`): so a newcomer sees real screens within a
//! minute of the README's run command. One project (滨江花园二期, `company.rs`), three foremen each
//! on his own phone (a device row and token each, last seen when his newest record synced) and a
//! member of the project as foreman, four weeks of their records up to today
//! (`records.rs`), all written through the real code paths: the reference import, `docstore` for
//! the documents, `ledger::store::decide` for approvals and rejections; then the queue's index is
//! refreshed as its first visit would. The demo supervisor is a person (陈明, a member of the
//! project as supervisor) and has a device key: each start prints a one-time link for him to set a
//! password (`access::codes`, while he has none; likewise for the office clerk 王芳, who sees the
//! funds centre's wages, roster and payments) and the key (kept in the data folder,
//! `demo-sign-in.txt`, so a restart can print it again).
//!
//! Loading is all or nothing in effect: a marker (`server_meta.demo_project`) is written last, and
//! a project without it is a load that stopped part way, refused rather than added to.

pub mod company;
pub mod funds;
pub mod observations;
pub mod records;
pub mod risks;
pub mod seedkit;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::auth::Role;
use crate::cache::DocCache;
use crate::db::{BeginWrite, Db, TokenGrant, on_pool};
use records::Phone;

/// The demo supervisor's device, whose key is printed.
pub const SUPERVISOR: &str = "生产经理 陈明 (demo)";
/// The demo supervisor as a person, and the phone number he signs in with (unless already someone's).
pub const PERSON: &str = "陈明";
pub const PERSON_PHONE: &str = "13800138000";
/// The demo office clerk (劳资员: the roster, wages and payments under Funds, which supervisors do
/// not see), and her phone number.
pub const OFFICE_PERSON: &str = "王芳";
pub const OFFICE_PHONE: &str = "13800138001";
/// The foremen's phone numbers, by site.
const FOREMAN_PHONES: [&str; 3] = ["13912345601", "13912345602", "13912345603"];
/// What the foremen's app reports as its version.
const APP_VERSION: &str = "1.0.0";
const MARKER: &str = "demo_project";
/// The demo supervisor's person id.
const PERSON_KEY: &str = "demo_person";
/// The demo office clerk's person id.
const OFFICE_KEY: &str = "demo_office";
const KEY_FILE: &str = "demo-sign-in.txt";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo project {0} exists but its load did not finish; start on a fresh data folder or database")]
    Partial(String),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("reference data: {0}")]
    Reference(#[from] crate::reference::ReferenceError),
    #[error("{0}")]
    Setup(String),
    #[error("storing the demo records: {0}")]
    Records(String),
    #[error("queue index: {0}")]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("the demo supervisor: {0}")]
    People(#[from] crate::access::people::PeopleError),
}

/// What a database holds, as far as the demo is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holds {
    /// No project at all.
    Nothing,
    /// The demo company, fully loaded.
    Demo,
    /// Other projects only.
    Others,
}

/// What to tell the newcomer once the server listens (or the command is done).
#[derive(Debug, Clone)]
pub struct Welcome {
    /// What happened: loaded (with figures) or found loaded.
    pub summary: String,
    /// The demo supervisor's key, when it is known.
    pub key: Option<String>,
    /// The demo supervisor's person id.
    pub person: Option<String>,
    /// The demo office clerk's person id.
    pub office: Option<String>,
}

impl Welcome {
    /// The lines to print, with the server at `base` (`http://host:port`): while the demo
    /// supervisor has no password, a new one-time link to set it (`sign-in link: `), else his login;
    /// then the key (`sign-in key: `). Scripts and tests read those two lines.
    pub async fn text(&self, db: &Db, base: &str) -> Result<String, DemoError> {
        use crate::access::{codes, people};
        let mut out = format!("{}\n", self.summary);
        let person = match &self.person {
            Some(id) => people::find(db, id).await?,
            None => None,
        };
        match person {
            Some(p) if !p.has_password && !p.disabled => {
                let code = codes::create(db, &p.id, None).await?;
                out.push_str(&format!(
                    "open this link to choose a password for the demo supervisor {} (works once, for 24 hours):\n",
                    p.name
                ));
                out.push_str(&format!("sign-in link: {}\n", codes::link(base, &code)));
            }
            Some(p) if !p.disabled => {
                let login = p.phone.or(p.email).unwrap_or_default();
                out.push_str(&format!("the demo supervisor {} signs in at {base}/web/sign-in as {login}\n", p.name));
            }
            _ => {}
        }
        // The office clerk, for the funds centre's wages, roster and payments.
        let office = match &self.office {
            Some(id) => people::find(db, id).await?,
            None => None,
        };
        match office {
            Some(p) if !p.has_password && !p.disabled => {
                let code = codes::create(db, &p.id, None).await?;
                out.push_str(&format!(
                    "for wages, the roster and payments (Funds), the demo office clerk {} chooses a password here:\n",
                    p.name
                ));
                out.push_str(&format!("office sign-in link: {}\n", codes::link(base, &code)));
            }
            Some(p) if !p.disabled => {
                let login = p.phone.or(p.email).unwrap_or_default();
                out.push_str(&format!("the demo office clerk {} signs in at {base}/web/sign-in as {login}\n", p.name));
            }
            _ => {}
        }
        match &self.key {
            Some(key) => {
                out.push_str(&format!("or paste the demo supervisor's device key at {base}/web/sign-in:\n"));
                out.push_str(&format!("sign-in key: {key}\n"));
            }
            None => out.push_str(&format!(
                "open {base}/web/sign-in with a supervisor's key; make one with:\n  \
                 fieldledger-server token create --project {} --role supervisor --name 'your name'\n",
                company::PROJECT
            )),
        }
        Ok(out)
    }
}

/// What the database holds (see `Holds`); a demo project without the marker is `Partial`.
pub async fn holds(db: &Db) -> Result<Holds, DemoError> {
    if meta(db, MARKER).await?.is_some() {
        return Ok(Holds::Demo);
    }
    let (projects, demo): (i64, i64) = on_pool!(db, |p| sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN id = $1 THEN 1 ELSE 0 END), 0) FROM projects"
    )
    .bind(company::PROJECT)
    .fetch_one(p)
    .await)?;
    match (projects, demo) {
        (_, d) if d > 0 => Err(DemoError::Partial(company::PROJECT.into())),
        (0, _) => Ok(Holds::Nothing),
        _ => Ok(Holds::Others),
    }
}

/// `--demo`: loads the demo company when the database holds no project yet. `None` when it holds
/// other projects (nothing is loaded into a real company's database).
pub async fn on_start(db: &Db, data_dir: &Path) -> Result<Option<Welcome>, DemoError> {
    match holds(db).await? {
        Holds::Nothing => Ok(Some(load(db, data_dir).await?)),
        Holds::Demo => Ok(Some(loaded_already(db, data_dir).await?)),
        Holds::Others => {
            tracing::warn!("--demo: the database already holds projects; the demo company is not loaded");
            Ok(None)
        }
    }
}

/// `fieldledger-server demo`: loads the demo company unless it is loaded already (next to any
/// other projects: it is a project of its own).
pub async fn command(db: &Db, data_dir: &Path) -> Result<Welcome, DemoError> {
    match holds(db).await? {
        Holds::Demo => loaded_already(db, data_dir).await,
        Holds::Nothing | Holds::Others => load(db, data_dir).await,
    }
}

async fn loaded_already(db: &Db, data_dir: &Path) -> Result<Welcome, DemoError> {
    Ok(Welcome {
        summary: format!(
            "the demo company {} (Riverside Gardens Phase 2, project {}) is loaded already",
            company::PROJECT_NAME,
            company::PROJECT
        ),
        key: saved_key(db, data_dir).await?,
        person: meta(db, PERSON_KEY).await?,
        office: meta(db, OFFICE_KEY).await?,
    })
}

/// A `server_meta` value.
async fn meta(db: &Db, key: &str) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar("SELECT value FROM server_meta WHERE key = $1")
        .bind(key)
        .fetch_optional(p)
        .await)
}

/// Sets a `server_meta` value (new keys only).
async fn set_meta(db: &Db, key: &str, value: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, |p| sqlx::query("INSERT INTO server_meta (key, value) VALUES ($1, $2)")
        .bind(key)
        .bind(value)
        .execute(p)
        .await
        .map(|_| ()))
}

/// A person with `role` on the demo project; with `phone` unless it is someone's already (then
/// without: a welcome link asks for a login).
async fn member(db: &Db, name: &str, phone: &str, role: Role) -> Result<String, DemoError> {
    use crate::access::people::{self, Actor, NewPerson, PeopleError};
    let new =
        |phone: Option<&str>| NewPerson { name: name.into(), phone: phone.map(str::to_string), ..NewPerson::default() };
    let person = match people::create(db, &new(Some(phone)), Actor::COMMAND_LINE).await {
        Err(PeopleError::Taken { .. }) => people::create(db, &new(None), Actor::COMMAND_LINE).await?,
        other => other?,
    };
    people::set_membership(db, &person.id, company::PROJECT, role, Actor::COMMAND_LINE).await?;
    Ok(person.id)
}

fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE)
}

/// The key saved at load, if it still signs in to the demo project (the file may be another
/// database's, or the device revoked since).
async fn saved_key(db: &Db, data_dir: &Path) -> Result<Option<String>, DemoError> {
    let Ok(text) = std::fs::read_to_string(key_file(data_dir)) else {
        return Ok(None);
    };
    let key = text.trim().to_string();
    let grant = db.find_token(&crate::auth::token_sha256(&key)).await?;
    Ok(grant.filter(|g| g.project_id == company::PROJECT).map(|_| key))
}

/// Keeps the key beside the database, readable by its owner only.
fn save_key(data_dir: &Path, key: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(data_dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(key_file(data_dir))?;
    writeln!(f, "{key}")
}

/// Today on the demo's sites (Shanghai).
fn today() -> chrono::NaiveDate {
    let tz: chrono_tz::Tz = company::TIME_ZONE.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    chrono::Utc::now().with_timezone(&tz).date_naive()
}

/// Loads the demo company (the database must not hold it yet).
pub async fn load(db: &Db, data_dir: &Path) -> Result<Welcome, DemoError> {
    let started = Instant::now();
    let today = today();
    let cache = DocCache::new(32 << 20);
    let device = |e: crate::error::ApiError| DemoError::Setup(format!("device: {e:?}"));
    let (mut phones, mut tokens) = (Vec::new(), Vec::new());
    for (site, foreman) in records::FOREMEN.iter().enumerate() {
        let name = format!("{foreman}的手机 ({})", company::SITES[site].1);
        let (id, token) =
            crate::auth::create_token(db, company::PROJECT, Role::Foreman, &name).await.map_err(device)?;
        // As the app names itself in change messages: 12 hex digits (the id's random tail).
        let hex: String = id.chars().filter(char::is_ascii_hexdigit).collect();
        let device = hex.get(hex.len().saturating_sub(12)..).unwrap_or(&hex).to_string();
        phones.push(Phone { foreman, site, device, device_id: id });
        tokens.push(token);
    }
    let (sup_id, key) =
        crate::auth::create_token(db, company::PROJECT, Role::Supervisor, SUPERVISOR).await.map_err(device)?;
    let who = TokenGrant {
        device_id: sup_id,
        device_name: SUPERVISOR.into(),
        role: Role::Supervisor,
        project_id: company::PROJECT.into(),
    };
    let plan = records::plan(today, &phones);
    let budgets = records::budgets(today, &plan);
    crate::reference::store::import(db, &cache, company::PROJECT, &company::tables(today, &budgets)).await?;
    let (count, approved) = (plan.len(), plan.iter().filter(|p| p.state.posts()).count());
    let mut arrived = Vec::with_capacity(plan.len());
    // Each phone last synced with its newest record.
    let mut synced = vec![0i64; phones.len()];
    for p in &plan {
        if let Some(n) = phones.iter().position(|ph| ph.device == p.device) {
            synced[n] = synced[n].max(p.last_change_ms());
        }
    }
    for p in plan {
        arrived.push((p.record.header().id.clone(), p.last_change_ms()));
        seedkit::store_planned(db, &cache, &who, p).await.map_err(|e| DemoError::Records(e.to_string()))?;
    }
    backdate(db, &arrived).await?;
    crate::ledger::pending::refresh_index(db, &cache, company::PROJECT).await?;
    funds::load(db, &cache, today).await.map_err(|e| DemoError::Setup(format!("funds: {e}")))?;
    observations::load(db, &cache, &who, &phones, today)
        .await
        .map_err(|e| DemoError::Records(format!("observations: {e}")))?;
    risks::load(db, &cache, today).await.map_err(|e| DemoError::Records(format!("risks: {e}")))?;
    for ((phone, token), at_ms) in phones.iter().zip(&tokens).zip(synced) {
        let sha = crate::auth::token_sha256(token);
        crate::access::devices::mark_seen(db, &sha, Some(APP_VERSION), at_ms).await?;
        member(db, phone.foreman, FOREMAN_PHONES[phone.site], Role::Foreman).await?;
    }
    let person = member(db, PERSON, PERSON_PHONE, Role::Supervisor).await?;
    set_meta(db, PERSON_KEY, &person).await?;
    let office = member(db, OFFICE_PERSON, OFFICE_PHONE, Role::Office).await?;
    set_meta(db, OFFICE_KEY, &office).await?;
    set_meta(db, MARKER, company::PROJECT).await?;
    if let Err(e) = save_key(data_dir, &key) {
        tracing::warn!(error = %e, "the demo key could not be kept in the data folder; it is printed once");
    }
    let took = started.elapsed();
    Ok(Welcome { summary: summary(count, approved, took), key: Some(key), person: Some(person), office: Some(office) })
}

/// The phones synced each record the evening it was made, not during the load: each document's
/// arrival (what the queue shows as submitted) is set to its last change on the phone. Before the
/// queue's index is refreshed, which reads it.
async fn backdate(db: &Db, arrived: &[(String, i64)]) -> Result<(), sqlx::Error> {
    on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
        for (id, at_ms) in arrived {
            sqlx::query("UPDATE documents SET updated_at_ms = $1 WHERE id = $2")
                .bind(at_ms)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    })
}

fn summary(count: usize, approved: usize, took: Duration) -> String {
    format!(
        "demo company loaded: {} (Riverside Gardens Phase 2, project {}), 3 sites, {} foremen's phones, {} days of records up to today \
         ({count} records, {approved} approved) in {:.1} s",
        company::PROJECT_NAME,
        company::PROJECT,
        records::FOREMEN.len(),
        records::DAYS,
        took.as_secs_f64()
    )
}
