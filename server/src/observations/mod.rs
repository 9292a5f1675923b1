//! Field observations in the office (issue 22): the index of observations synced from phones, their
//! follow-up (assign, close, reopen, comment, promote to a risk) and the follow-up document phones read
//! (docs/observations.md).
//!
//! The index (`observations`, migration 0019) is refreshed from the documents the way the record
//! index is (`ledger::pending`): every read first indexes the observation documents whose version
//! moved since they were read, so an observation synced by a phone, stored by the demo or by the
//! seed kit is listed at the next look without a hook in the sync's write path. A refresh rewrites
//! the record's facts only; the follow-up state (status, assignee, due, resolution, risk) is the
//! office's and only the actions here change it, each in one transaction with its event row, then
//! republished to phones as the server-owned document `follow_up:<record id>`.

use axum::http::StatusCode;
use chrono::NaiveDate;
use record_schema::{FollowUp, FollowUpEvent, FollowUpStatus, Record, RecordKind};
use serde::Serialize;

use crate::cache::DocCache;
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::docstore::{self, DocStoreError, OwnedWriteError};
use crate::error::ApiError;

/// Longest assignee name (bytes), as a record's names.
pub const MAX_ASSIGNEE_BYTES: usize = record_schema::validate::MAX_NAME_BYTES;
/// Longest note or resolution (bytes), as a record's notes.
pub const MAX_NOTE_BYTES: usize = record_schema::validate::MAX_NOTE_BYTES;

/// Why an observation lookup or action was refused; each names the field to look at.
#[derive(Debug, thiserror::Error)]
pub enum ObservationError {
    /// No observation of that id in the caller's project (another project's look the same).
    #[error("no observation {0} in your project")]
    NotFound(String),
    /// Input that cannot be accepted (field, reason).
    #[error("{0}: {1}")]
    BadInput(&'static str, String),
    /// Refused because of the observation's state (field, reason).
    #[error("{0}: {1}")]
    State(&'static str, String),
    /// An action that does not apply to the observation as it stands (the screens say which in
    /// their language).
    #[error("{}: {}", .0.field(), .0.message())]
    Refused(Refusal),
    /// Other writers kept getting in first; retrying later will work.
    #[error("the observation kept changing; retry")]
    Busy,
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("documents: {0}")]
    Docs(#[from] DocStoreError),
    #[error("document: {0}")]
    Schema(#[from] record_schema::SchemaError),
}

impl From<OwnedWriteError> for ObservationError {
    fn from(e: OwnedWriteError) -> Self {
        match e {
            OwnedWriteError::Docs(e) => ObservationError::Docs(e),
            OwnedWriteError::Schema(e) => ObservationError::Schema(e),
            OwnedWriteError::Foreign(id) => {
                ObservationError::State("id", format!("document {id} is not this observation's follow-up"))
            }
            OwnedWriteError::Busy(_) => ObservationError::Busy,
        }
    }
}

/// Why an action does not apply to the observation as it stands (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its author voided it.
    Voided,
    /// Closed: assigning needs a reopen first.
    ClosedReopenFirst,
    /// Closing a closed one.
    AlreadyClosed,
    /// Reopening one that is not closed (its status).
    NotClosed(String),
}

impl Refusal {
    pub fn field(&self) -> &'static str {
        match self {
            Refusal::Voided => "id",
            _ => "status",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Voided => "the observation was voided by its author".into(),
            Refusal::ClosedReopenFirst => "the observation is closed: reopen it first".into(),
            Refusal::AlreadyClosed => "the observation is already closed".into(),
            Refusal::NotClosed(status) => format!("the observation is {status}, not closed"),
        }
    }
}

impl From<ObservationError> for ApiError {
    fn from(e: ObservationError) -> Self {
        match e {
            ObservationError::NotFound(id) => ApiError::not_found("id", format!("no observation {id} in your project")),
            ObservationError::BadInput(field, m) => ApiError::bad_request(field, m),
            ObservationError::State(field, m) => ApiError::new(StatusCode::CONFLICT, "conflict", field, m),
            ObservationError::Refused(r) => ApiError::new(StatusCode::CONFLICT, "conflict", r.field(), r.message()),
            ObservationError::Busy => ApiError::busy(Some("id"), "the observation kept changing; retry"),
            ObservationError::Sql(e) => ApiError::internal(e),
            ObservationError::Docs(e) => ApiError::internal(e),
            ObservationError::Schema(e) => ApiError::internal(e),
        }
    }
}

/// One observation as the office lists it: the record's facts and the follow-up state.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ObservationRow {
    pub record_id: String,
    pub project_id: String,
    pub site_id: String,
    pub date: NaiveDate,
    /// `safety`, `quality`, `delay` or `other`.
    pub category: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: String,
    pub title: String,
    pub description: Option<String>,
    pub place: Option<String>,
    pub activity: Option<String>,
    pub author: String,
    pub photo_count: i64,
    pub voided: bool,
    /// `open`, `assigned` or `closed`.
    pub status: String,
    pub assignee: Option<String>,
    pub due: Option<NaiveDate>,
    pub resolution: Option<String>,
    pub risk_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl ObservationRow {
    /// Open or assigned, not voided, with a due date before `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        !self.voided && self.status != "closed" && self.due.is_some_and(|d| d < today)
    }
}

/// One thing done about an observation (a row of `observation_events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ObservationEvent {
    pub seq: i64,
    /// `assigned`, `closed`, `reopened`, `promoted` or `comment`.
    pub action: String,
    /// The status after it.
    pub status: String,
    pub by: String,
    pub at_ms: i64,
    pub note: String,
    /// `assigned`: to whom, and the due date set (if any).
    pub assignee: Option<String>,
    pub due: Option<NaiveDate>,
}

/// SQL (a string literal): the columns of `observations` as `Row` reads them.
macro_rules! columns {
    () => {
        "record_id, project_id, site_id, obs_date, category, severity, title, description, place, activity, author, \
         photo_count, voided, status, assignee, due, resolution, risk_id, created_at_ms, updated_at_ms"
    };
}
const COLUMNS: &str = columns!();

#[derive(sqlx::FromRow)]
struct Row {
    record_id: String,
    project_id: String,
    site_id: String,
    obs_date: String,
    category: String,
    severity: String,
    title: String,
    description: Option<String>,
    place: Option<String>,
    activity: Option<String>,
    author: String,
    photo_count: i64,
    voided: i64,
    status: String,
    assignee: Option<String>,
    due: Option<String>,
    resolution: Option<String>,
    risk_id: Option<String>,
    created_at_ms: i64,
    updated_at_ms: i64,
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl From<Row> for ObservationRow {
    fn from(r: Row) -> Self {
        ObservationRow {
            date: parse_day(&r.obs_date).unwrap_or_default(),
            due: r.due.as_deref().and_then(parse_day),
            record_id: r.record_id,
            project_id: r.project_id,
            site_id: r.site_id,
            category: r.category,
            severity: r.severity,
            title: r.title,
            description: r.description,
            place: r.place,
            activity: r.activity,
            author: r.author,
            photo_count: r.photo_count,
            voided: r.voided != 0,
            status: r.status,
            assignee: r.assignee,
            resolution: r.resolution,
            risk_id: r.risk_id,
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    seq: i64,
    action: String,
    status: String,
    by_name: String,
    at_ms: i64,
    note: String,
    assignee: Option<String>,
    due: Option<String>,
}

#[derive(sqlx::FromRow)]
struct StaleDoc {
    id: String,
}

/// SQL (a string literal): observation documents of project `$1` whose index row is missing or
/// behind their version.
macro_rules! stale_observations {
    () => {
        "SELECT d.id FROM documents d LEFT JOIN observations o ON o.record_id = d.id \
         WHERE d.project_id = $1 AND d.kind = 'observation' AND (o.record_id IS NULL OR o.doc_version <> d.version)"
    };
}

/// Brings the observation index of `project` up to date with the documents (only documents whose
/// version moved since they were read are read). Returns how many were read.
pub async fn refresh(db: &Db, cache: Option<&DocCache>, project: &str) -> Result<usize, ObservationError> {
    let stale: Vec<StaleDoc> =
        on_pool!(db, |p| sqlx::query_as(stale_observations!()).bind(project).fetch_all(p).await?);
    let n = stale.len();
    for StaleDoc { id } in stale {
        index_one(db, cache, project, &id).await?;
    }
    Ok(n)
}

/// Indexes one observation document if its row is missing or behind.
async fn refresh_one(db: &Db, cache: Option<&DocCache>, project: &str, id: &str) -> Result<(), ObservationError> {
    let stale: Option<StaleDoc> = on_pool!(db, |p| sqlx::query_as(concat!(stale_observations!(), " AND d.id = $2"))
        .bind(project)
        .bind(id)
        .fetch_optional(p)
        .await?);
    if stale.is_some() {
        index_one(db, cache, project, id).await?;
    }
    Ok(())
}

async fn index_one(db: &Db, cache: Option<&DocCache>, project: &str, id: &str) -> Result<(), ObservationError> {
    let loaded = match cache {
        Some(c) => docstore::load_hot(db, c, id).await,
        None => docstore::load(db, id).await,
    };
    let stored = match loaded {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(()),
        Err(e @ DocStoreError::Damaged { .. }) => {
            // Listed in the record queue as damaged; it cannot be listed here without its facts.
            tracing::warn!(doc = %id, error = %e, "observation not indexed: its document does not load");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    let read = Record::read(&stored.doc);
    let version = stored.version;
    if stored.project_id != project {
        return Ok(());
    }
    if let Some(c) = cache {
        c.put(stored);
    }
    let o = match read {
        Ok(Record::Observation(o)) => o,
        Ok(_) => return Ok(()),
        Err(e) => {
            tracing::warn!(doc = %id, error = %e, "observation not indexed: it does not read as a record");
            return Ok(());
        }
    };
    let now = record_schema::now_ms();
    let rank = match o.severity {
        record_schema::Severity::Low => 1i64,
        record_schema::Severity::Medium => 2,
        record_schema::Severity::High => 3,
        record_schema::Severity::Critical => 4,
    };
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO observations (record_id, project_id, site_id, obs_date, category, severity, severity_rank, title, \
         description, place, activity, author, photo_count, voided, doc_version, status, created_at_ms, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'open', $16, $17) \
         ON CONFLICT (record_id) DO UPDATE SET site_id = excluded.site_id, obs_date = excluded.obs_date, \
         category = excluded.category, severity = excluded.severity, severity_rank = excluded.severity_rank, \
         title = excluded.title, description = excluded.description, place = excluded.place, \
         activity = excluded.activity, author = excluded.author, photo_count = excluded.photo_count, \
         voided = excluded.voided, doc_version = excluded.doc_version \
         WHERE observations.doc_version < excluded.doc_version"
    )
    .bind(id)
    .bind(project)
    .bind(&o.header.site_id)
    .bind(o.date.to_string())
    .bind(o.category.as_str())
    .bind(o.severity.as_str())
    .bind(rank)
    .bind(&o.title)
    .bind(o.description.as_deref())
    .bind(o.place.as_deref())
    .bind(o.activity.as_deref())
    .bind(&o.header.author)
    .bind(o.photos.len() as i64)
    .bind(i64::from(o.header.voided.is_some()))
    .bind(version)
    .bind(if o.header.created_at_ms > 0 { o.header.created_at_ms } else { now })
    .bind(now)
    .execute(p)
    .await
    .map(drop))?;
    Ok(())
}

/// The observation `record_id` of `project` (indexed first if its document moved), or `None`.
pub async fn get(db: &Db, project: &str, record_id: &str) -> Result<Option<ObservationRow>, ObservationError> {
    get_with(db, None, project, record_id).await
}

/// `get` reading the document through the hot cache.
pub async fn get_with(
    db: &Db,
    cache: Option<&DocCache>,
    project: &str,
    record_id: &str,
) -> Result<Option<ObservationRow>, ObservationError> {
    refresh_one(db, cache, project, record_id).await?;
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM observations WHERE project_id = $1 AND record_id = $2"
    ))
    .bind(project)
    .bind(record_id)
    .fetch_optional(p)
    .await?);
    Ok(row.map(ObservationRow::from))
}

/// The follow-up history of an observation, oldest first.
pub async fn events(db: &Db, record_id: &str) -> Result<Vec<ObservationEvent>, ObservationError> {
    const SQL: &str = "SELECT seq, action, status, by_name, at_ms, note, assignee, due FROM observation_events \
         WHERE record_id = $1 ORDER BY seq";
    let rows: Vec<EventRow> = on_pool!(db, |p| sqlx::query_as(SQL).bind(record_id).fetch_all(p).await?);
    Ok(rows
        .into_iter()
        .map(|r| ObservationEvent {
            seq: r.seq,
            action: r.action,
            status: r.status,
            by: r.by_name,
            at_ms: r.at_ms,
            note: r.note,
            due: r.due.as_deref().and_then(parse_day),
            assignee: r.assignee,
        })
        .collect())
}

/// How many observations of `project` are open or assigned (voided ones not counted).
pub async fn open_count(db: &Db, project: &str) -> Result<i64, ObservationError> {
    refresh(db, None, project).await?;
    Ok(on_pool!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM observations WHERE project_id = $1 AND voided = 0 AND status <> 'closed'"
    )
    .bind(project)
    .fetch_one(p)
    .await?))
}

/// Filters of the list (all optional; dates inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub status: Option<FollowUpStatus>,
    pub category: Option<record_schema::ObservationCategory>,
    pub severity: Option<record_schema::Severity>,
    pub site: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Voided observations are listed only when asked for.
    pub include_voided: bool,
}

/// How many observations match the filter (all but the status) in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ObservationCounts)]
pub struct StatusCounts {
    pub open: i64,
    pub assigned: i64,
    pub closed: i64,
    /// Open or assigned with a due date already past.
    pub overdue: i64,
}

/// Most rows one list returns.
pub const LIST_LIMIT: i64 = 500;

/// The observations of `project` that match `f`, newest first (by day, then by when reported),
/// and the counts by status of those matching every filter but the status.
pub async fn list(
    db: &Db,
    cache: Option<&DocCache>,
    project: &str,
    f: &ListFilter,
    today: NaiveDate,
) -> Result<(Vec<ObservationRow>, StatusCounts), ObservationError> {
    refresh(db, cache, project).await?;
    // Conditions other than the status, with their values in placeholder order after $1 (project).
    let mut cond = String::new();
    let mut binds: Vec<String> = Vec::new();
    let mut add = |sql: &str, v: String, cond: &mut String| {
        binds.push(v);
        cond.push_str(&format!(" AND {sql} ${}", binds.len() + 1));
    };
    if !f.include_voided {
        cond.push_str(" AND voided = 0");
    }
    if let Some(c) = f.category {
        add("category =", c.as_str().to_string(), &mut cond);
    }
    if let Some(s) = f.severity {
        add("severity =", s.as_str().to_string(), &mut cond);
    }
    if let Some(s) = &f.site {
        add("site_id =", s.clone(), &mut cond);
    }
    if let Some(d) = f.from {
        add("obs_date >=", d.to_string(), &mut cond);
    }
    if let Some(d) = f.to {
        add("obs_date <=", d.to_string(), &mut cond);
    }
    let today_n = binds.len() + 2;
    let counts_sql = format!(
        "SELECT \
         COALESCE(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'assigned' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN status <> 'closed' AND due IS NOT NULL AND due < ${today_n} THEN 1 ELSE 0 END), 0) \
         FROM observations WHERE project_id = $1{cond}"
    );
    let (open, assigned, closed, overdue): (i64, i64, i64, i64) = on_pool!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(counts_sql.as_str())).bind(project);
        for b in &binds {
            q = q.bind(b);
        }
        q.bind(today.to_string()).fetch_one(p).await?
    });
    let mut list_cond = cond.clone();
    let mut list_binds = binds.clone();
    if let Some(s) = f.status {
        list_binds.push(s.as_str().to_string());
        list_cond.push_str(&format!(" AND status = ${}", list_binds.len() + 1));
    }
    let list_sql = format!(
        "SELECT {COLUMNS} FROM observations WHERE project_id = $1{list_cond} \
         ORDER BY obs_date DESC, created_at_ms DESC, record_id DESC LIMIT {LIST_LIMIT}"
    );
    let rows: Vec<Row> = on_pool!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(list_sql.as_str())).bind(project);
        for b in &list_binds {
            q = q.bind(b);
        }
        q.fetch_all(p).await?
    });
    Ok((rows.into_iter().map(ObservationRow::from).collect(), StatusCounts { open, assigned, closed, overdue }))
}

/// What the office does about an observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Someone is to deal with it (by `due`, when given). Allowed while open or assigned.
    /// `assignee_person`: a member of the project (person id), whose phones then hold it while it
    /// is open (sync scopes); `assignee` may then be empty (the person's name is used).
    Assign { assignee: String, due: Option<NaiveDate>, note: String, assignee_person: Option<String> },
    /// Dealt with; `resolution` says how. Allowed while open or assigned.
    Close { resolution: String },
    /// Not dealt with after all. Allowed while closed.
    Reopen { note: String },
    /// A note in the history; the status does not change.
    Comment { note: String },
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assigned",
            Action::Close { .. } => "closed",
            Action::Reopen { .. } => "reopened",
            Action::Comment { .. } => "comment",
        }
    }

    /// Checks the input alone (before the observation is looked at), naming the field.
    pub fn validate(&self) -> Result<(), ObservationError> {
        let note = |field: &'static str, v: &str, required: bool| -> Result<(), ObservationError> {
            if required && v.trim().is_empty() {
                return Err(ObservationError::BadInput(field, "is required".into()));
            }
            if v.len() > MAX_NOTE_BYTES {
                return Err(ObservationError::BadInput(field, format!("is longer than {MAX_NOTE_BYTES} bytes")));
            }
            Ok(())
        };
        match self {
            Action::Assign { assignee, note: n, assignee_person, .. } => {
                if let Some(p) = assignee_person
                    && (p.trim().is_empty() || p.len() > 200)
                {
                    return Err(ObservationError::BadInput(
                        "assignee_person",
                        "is a person id of 1 to 200 bytes when given".into(),
                    ));
                }
                if assignee.trim().is_empty() && assignee_person.is_none() {
                    return Err(ObservationError::BadInput("assignee", "is required: who is to deal with it".into()));
                }
                if assignee.len() > MAX_ASSIGNEE_BYTES {
                    return Err(ObservationError::BadInput(
                        "assignee",
                        format!("is longer than {MAX_ASSIGNEE_BYTES} bytes"),
                    ));
                }
                note("note", n, false)
            }
            Action::Close { resolution } => note("resolution", resolution, true),
            Action::Reopen { note: n } => note("note", n, false),
            Action::Comment { note: n } => note("note", n, true),
        }
    }
}

/// Does `action` to observation `record_id` of `project` as `by`: one transaction updates the row
/// and appends the event, then the follow-up document is republished. Returns the row after it.
pub async fn act(
    db: &Db,
    cache: &DocCache,
    project: &str,
    record_id: &str,
    action: &Action,
    by: &str,
) -> Result<ObservationRow, ObservationError> {
    act_at(db, cache, project, record_id, action, by, None).await
}

/// `act`, the event dated `at_ms` instead of now (the demo's history, which happened over days).
pub async fn act_at(
    db: &Db,
    cache: &DocCache,
    project: &str,
    record_id: &str,
    action: &Action,
    by: &str,
    at_ms: Option<i64>,
) -> Result<ObservationRow, ObservationError> {
    action.validate()?;
    // The person assigned must be a member of the project (their name is the assignee if none given).
    let member = match action {
        Action::Assign { assignee_person: Some(p), .. } => Some(member_name(db, project, p.trim()).await?),
        _ => None,
    };
    for _ in 0..8 {
        let row = get_with(db, Some(cache), project, record_id)
            .await?
            .ok_or_else(|| ObservationError::NotFound(record_id.to_string()))?;
        if row.voided {
            return Err(ObservationError::Refused(Refusal::Voided));
        }
        let mut person = assignee_person(db, record_id).await?;
        let closed = row.status == "closed";
        let (status, assignee, due, resolution, note) = match action {
            Action::Assign { assignee, due, note, assignee_person } => {
                if closed {
                    return Err(ObservationError::Refused(Refusal::ClosedReopenFirst));
                }
                person = assignee_person.as_ref().map(|p| p.trim().to_string());
                let name = match (assignee.trim(), &member) {
                    ("", Some(name)) => name.clone(),
                    (given, _) => given.to_string(),
                };
                ("assigned", Some(name), *due, None, note.trim().to_string())
            }
            Action::Close { resolution } => {
                if closed {
                    return Err(ObservationError::Refused(Refusal::AlreadyClosed));
                }
                ("closed", row.assignee.clone(), row.due, Some(resolution.trim().to_string()), resolution.trim().into())
            }
            Action::Reopen { note } => {
                if !closed {
                    return Err(ObservationError::Refused(Refusal::NotClosed(row.status.clone())));
                }
                let s = if row.assignee.is_some() { "assigned" } else { "open" };
                (s, row.assignee.clone(), row.due, None, note.trim().to_string())
            }
            Action::Comment { note } => {
                (status_str(&row.status), row.assignee.clone(), row.due, row.resolution.clone(), note.trim().into())
            }
        };
        // Open for the scope rule (`scope::is_open`): conflicts matter only once it is closed.
        let conflict = status == "closed" && in_conflict(db, cache, record_id).await?;
        let open = crate::scope_facts::open_observation(row.voided, conflict, parse_status(status));
        let facts = Some(ScopeFacts { open, person });
        let changes = Changes { status, assignee, due, resolution, risk_id: row.risk_id.clone(), at_ms, facts };
        if write_event(db, project, &row, &changes, action.name(), by, &note).await? {
            publish(db, cache, project, record_id).await?;
            return get_with(db, Some(cache), project, record_id)
                .await?
                .ok_or_else(|| ObservationError::NotFound(record_id.to_string()));
        }
    }
    Err(ObservationError::Busy)
}

fn parse_status(s: &str) -> FollowUpStatus {
    FollowUpStatus::parse(s).unwrap_or(FollowUpStatus::Open)
}

/// The name of person `person` if they are a member of `project`; else 400 naming `assignee_person`.
async fn member_name(db: &Db, project: &str, person: &str) -> Result<String, ObservationError> {
    let name: Option<String> = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT pe.name FROM memberships m JOIN people pe ON pe.id = m.person_id \
         WHERE m.person_id = $1 AND m.project_id = $2 AND pe.disabled_at_ms IS NULL"
    )
    .bind(person)
    .bind(project)
    .fetch_optional(p)
    .await?);
    name.ok_or_else(|| {
        ObservationError::BadInput("assignee_person", format!("{person:?} is not a member of this project"))
    })
}

/// The person observation `record_id` is assigned to (`observations.assignee_person`).
pub async fn assignee_person(db: &Db, record_id: &str) -> Result<Option<String>, ObservationError> {
    let person: Option<Option<String>> =
        on_pool!(db, |p| sqlx::query_scalar("SELECT assignee_person FROM observations WHERE record_id = $1")
            .bind(record_id)
            .fetch_optional(p)
            .await?);
    Ok(person.flatten())
}

/// Whether the observation's document holds conflicting values (then it stays open, `scope::is_open`).
async fn in_conflict(db: &Db, cache: &DocCache, record_id: &str) -> Result<bool, ObservationError> {
    let Some(stored) = docstore::load_hot(db, cache, record_id).await? else { return Ok(false) };
    let conflicts = record_schema::conflicts::find_conflicts(&stored.doc).map(|c| !c.is_empty());
    cache.put(stored);
    Ok(conflicts.unwrap_or(true))
}

fn status_str(s: &str) -> &'static str {
    FollowUpStatus::parse(s).unwrap_or(FollowUpStatus::Open).as_str()
}

/// The follow-up state after an action.
struct Changes {
    status: &'static str,
    assignee: Option<String>,
    due: Option<NaiveDate>,
    resolution: Option<String>,
    risk_id: Option<String>,
    /// When the event happened; `None`: now.
    at_ms: Option<i64>,
    /// The record's scope facts after it (None: unchanged).
    facts: Option<ScopeFacts>,
}

/// An observation's scope facts after an action (`crate::scope_facts::set_follow_up`).
struct ScopeFacts {
    open: bool,
    /// `observations.assignee_person`.
    person: Option<String>,
}

/// Writes `changes` and the event in one transaction, if the row is still as `before` read it
/// (same `updated_at_ms` and status). `false`: another action got in first (retry).
async fn write_event(
    db: &Db,
    project: &str,
    before: &ObservationRow,
    changes: &Changes,
    action: &str,
    by: &str,
    note: &str,
) -> Result<bool, ObservationError> {
    let now = record_schema::now_ms().max(before.updated_at_ms + 1);
    let at_ms = changes.at_ms.unwrap_or(now);
    let mut tx = db.begin().await?;
    let updated = on_tx!(&mut tx, |c| sqlx::query(
        "UPDATE observations SET status = $1, assignee = $2, due = $3, resolution = $4, risk_id = $5, \
         updated_at_ms = $6 WHERE record_id = $7 AND project_id = $8 AND updated_at_ms = $9 AND status = $10"
    )
    .bind(changes.status)
    .bind(changes.assignee.as_deref())
    .bind(changes.due.map(|d| d.to_string()))
    .bind(changes.resolution.as_deref())
    .bind(changes.risk_id.as_deref())
    .bind(now)
    .bind(&before.record_id)
    .bind(project)
    .bind(before.updated_at_ms)
    .bind(&before.status)
    .execute(c)
    .await?
    .rows_affected());
    if updated != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    if let Some(f) = &changes.facts {
        on_tx!(&mut tx, |c| sqlx::query("UPDATE observations SET assignee_person = $1 WHERE record_id = $2")
            .bind(f.person.as_deref())
            .bind(&before.record_id)
            .execute(c)
            .await
            .map(drop))?;
        // The record's row and its companions', as every writer of the facts: the project's change
        // counter first (PostgreSQL), then the document rows.
        crate::scope_facts::lock(&mut tx, &before.record_id).await?;
        crate::scope_facts::set_follow_up(&mut tx, &before.record_id, f.open, f.person.as_deref()).await?;
    }
    let inserted = on_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO observation_events (record_id, seq, project_id, action, status, by_name, at_ms, note, assignee, due) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9 FROM observation_events WHERE record_id = $10"
    )
    .bind(&before.record_id)
    .bind(project)
    .bind(action)
    .bind(changes.status)
    .bind(by)
    .bind(at_ms)
    .bind(note)
    .bind(if action == "assigned" { changes.assignee.as_deref() } else { None })
    .bind(if action == "assigned" { changes.due.map(|d| d.to_string()) } else { None })
    .bind(&before.record_id)
    .execute(c)
    .await
    .map(drop)
    });
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            tx.rollback().await?;
            return Ok(false);
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(true)
}

/// Records that observation `record_id` was raised as risk `risk_id` (by the risk register): sets
/// the risk, appends a `promoted` event (the status does not change) and republishes the follow-up
/// document. Refused when it already names a risk.
pub async fn mark_promoted(
    db: &Db,
    cache: &DocCache,
    project: &str,
    record_id: &str,
    risk_id: &str,
    by: &str,
) -> Result<(), ObservationError> {
    if risk_id.trim().is_empty() {
        return Err(ObservationError::BadInput("risk_id", "is required".into()));
    }
    for _ in 0..8 {
        let row = get_with(db, Some(cache), project, record_id)
            .await?
            .ok_or_else(|| ObservationError::NotFound(record_id.to_string()))?;
        if let Some(r) = &row.risk_id {
            if r == risk_id {
                return Ok(());
            }
            return Err(ObservationError::State("risk_id", format!("the observation was already raised as risk {r}")));
        }
        let changes = Changes {
            status: status_str(&row.status),
            assignee: row.assignee.clone(),
            due: row.due,
            resolution: row.resolution.clone(),
            risk_id: Some(risk_id.to_string()),
            at_ms: None,
            facts: None,
        };
        if write_event(db, project, &row, &changes, "promoted", by, risk_id).await? {
            return publish(db, cache, project, record_id).await;
        }
    }
    Err(ObservationError::Busy)
}

/// The follow-up document's content for an observation's row and history.
pub fn follow_up_view(row: &ObservationRow, events: &[ObservationEvent]) -> FollowUp {
    let parse = |s: &str| FollowUpStatus::parse(s).unwrap_or(FollowUpStatus::Open);
    FollowUp {
        record_id: row.record_id.clone(),
        project_id: row.project_id.clone(),
        status: parse(&row.status),
        assignee: row.assignee.clone(),
        due: row.due,
        resolution: row.resolution.clone(),
        risk_id: row.risk_id.clone(),
        events: events
            .iter()
            .map(|e| FollowUpEvent {
                action: e.action.clone(),
                status: parse(&e.status),
                by: e.by.clone(),
                at_ms: e.at_ms,
                note: e.note.clone(),
            })
            .collect(),
    }
}

/// Rewrites `follow_up:<record id>` from the observation's row and history, so phones receive it
/// by sync. Derived data: repeating it is harmless, and every action rewrites it whole, so a write
/// that failed is made good by the next action.
pub async fn publish(db: &Db, cache: &DocCache, project: &str, record_id: &str) -> Result<(), ObservationError> {
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(concat!(
        "SELECT ",
        columns!(),
        " FROM observations WHERE project_id = $1 AND record_id = $2"
    ))
    .bind(project)
    .bind(record_id)
    .fetch_optional(p)
    .await?);
    let row = ObservationRow::from(row.ok_or_else(|| ObservationError::NotFound(record_id.to_string()))?);
    let history = events(db, record_id).await?;
    let view = follow_up_view(&row, &history);
    let person = assignee_person(db, record_id).await?;
    let id = FollowUp::document_id(record_id);
    docstore::write_owned(db, cache, &id, project, RecordKind::FollowUp, |doc| {
        view.write(doc)?;
        FollowUp::write_assignee_person(doc, person.as_deref())
    })
    .await?;
    Ok(())
}
