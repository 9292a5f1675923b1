//! JSON API of the observations (issue 22, docs/observations.md): the list and one observation for
//! every reader of the project, the follow-up actions (assign, close, reopen, comment) for
//! supervisors and admins (`Supervisor`, as approvals). Each within the token's project: another
//! project's observation is 404.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use record_schema::{FollowUpStatus, ObservationCategory, Record, Severity};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Reader, Supervisor};
use crate::db::TokenGrant;
use crate::error::ApiError;
use crate::ledger::view::record_json;
use crate::observations::{self, Action, ListFilter, ObservationError};
use crate::reports::query::date_param;
use crate::state::AppState;

/// `?project=&status=&category=&severity=&site=&from=&to=`
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub project: Option<String>,
    pub status: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub site: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `true`: voided observations too.
    pub voided: Option<String>,
}

fn blank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// One of `allowed` (by `parse`), or 400 naming the field and the values it takes.
fn one_of<T>(
    field: &'static str,
    v: Option<String>,
    parse: fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>, ApiError> {
    match blank(v) {
        None => Ok(None),
        Some(s) => {
            parse(&s).map(Some).ok_or_else(|| ApiError::bad_request(field, format!("{s:?} is not one of {allowed}")))
        }
    }
}

fn day(field: &'static str, v: Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    Ok(date_param(field, v)?.and_then(|d| d.parse().ok()))
}

impl ListQuery {
    /// The filter, or 400 naming the first bad parameter.
    pub fn filter(self) -> Result<ListFilter, ApiError> {
        let f = ListFilter {
            status: one_of("status", self.status, FollowUpStatus::parse, "open, assigned, closed")?,
            category: one_of("category", self.category, ObservationCategory::parse, "safety, quality, delay, other")?,
            severity: one_of("severity", self.severity, Severity::parse, "low, medium, high, critical")?,
            site: blank(self.site),
            from: day("from", self.from)?,
            to: day("to", self.to)?,
            include_voided: matches!(blank(self.voided).as_deref(), Some("true" | "1")),
        };
        if let (Some(a), Some(b)) = (f.from, f.to)
            && a > b
        {
            return Err(ApiError::bad_request("to", format!("{b} is before from {a}")));
        }
        Ok(f)
    }
}

/// `?project=` names the token's own project or nothing: a token reads one project.
fn check_project(grant: &TokenGrant, project: Option<&str>) -> Result<(), ApiError> {
    match project.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if p != grant.project_id => {
            Err(ApiError::not_found("project", format!("no project {p} for this token")))
        }
        _ => Ok(()),
    }
}

/// Today where the project works (its first site's calendar), for due dates.
pub async fn project_today(state: &AppState, project: &str) -> Result<NaiveDate, ApiError> {
    let set = crate::reference::store::load(&state.db, project).await.map_err(ApiError::internal)?;
    Ok(crate::reports::today(&set))
}

/// `GET /v1/observations`: newest first, with the counts by status (of those matching every filter
/// but the status) and how many are overdue.
pub async fn list(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    check_project(&grant, q.project.as_deref())?;
    let filter = q.filter()?;
    let today = project_today(&state, &grant.project_id).await?;
    let (rows, counts) = observations::list(&state.db, Some(&state.cache), &grant.project_id, &filter, today).await?;
    let listed: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = json!(r);
            v["overdue"] = json!(r.overdue(today));
            v
        })
        .collect();
    Ok(Json(json!({ "project": grant.project_id, "today": today, "counts": counts, "observations": listed })))
}

/// `GET /v1/observations/{id}`: the row, its history and the record as JSON.
pub async fn get(
    Reader(grant): Reader,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(describe(&state, &grant.project_id, &id).await?))
}

async fn describe(state: &AppState, project: &str, id: &str) -> Result<Value, ApiError> {
    let row = observations::get_with(&state.db, Some(&state.cache), project, id)
        .await?
        .ok_or_else(|| ObservationError::NotFound(id.to_string()))?;
    let events = observations::events(&state.db, id).await?;
    let record = match crate::docstore::load_hot(&state.db, &state.cache, id).await.map_err(ApiError::internal)? {
        Some(stored) => {
            let r = Record::read(&stored.doc).ok().map(|r| record_json(&r));
            state.cache.put(stored);
            r
        }
        None => None,
    };
    let today = project_today(state, project).await?;
    let mut obs = json!(row);
    obs["overdue"] = json!(row.overdue(today));
    Ok(json!({ "observation": obs, "events": events, "record": record }))
}

/// Body of the follow-up actions (each takes the fields it needs).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub resolution: Option<String>,
}

fn body_of(body: Result<Json<ActionBody>, JsonRejection>, expected: &str) -> Result<ActionBody, ApiError> {
    body.map(|Json(b)| b)
        .map_err(|e| ApiError::bad_request("body", format!("expected JSON {expected}: {}", e.body_text())))
}

async fn act(grant: TokenGrant, state: AppState, id: String, action: Action) -> Result<Json<Value>, ApiError> {
    observations::act(&state.db, &state.cache, &grant.project_id, &id, &action, &grant.device_name).await?;
    Ok(Json(describe(&state, &grant.project_id, &id).await?))
}

/// `POST /v1/observations/{id}/assign` `{assignee, due?: "YYYY-MM-DD", note?}`
pub async fn assign(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let b = body_of(body, "{assignee, due?, note?}")?;
    let due = day("due", b.due)?;
    let action = Action::Assign { assignee: b.assignee.unwrap_or_default(), due, note: b.note.unwrap_or_default() };
    act(grant, state, id, action).await
}

/// `POST /v1/observations/{id}/close` `{resolution}`
pub async fn close(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let b = body_of(body, "{resolution}")?;
    act(grant, state, id, Action::Close { resolution: b.resolution.unwrap_or_default() }).await
}

/// `POST /v1/observations/{id}/reopen` `{note?}`
pub async fn reopen(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let b = body_of(body, "{note?}")?;
    act(grant, state, id, Action::Reopen { note: b.note.unwrap_or_default() }).await
}

/// `POST /v1/observations/{id}/comment` `{note}`
pub async fn comment(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let b = body_of(body, "{note}")?;
    act(grant, state, id, Action::Comment { note: b.note.unwrap_or_default() }).await
}
