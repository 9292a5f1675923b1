//! JSON API of the observations (issue 22, docs/observations.md): the list and one observation for
//! every reader of the project, the follow-up actions (assign, close, reopen, comment) for
//! supervisors and admins (`Supervisor`, as approvals). Each within the token's project: another
//! project's observation is 404.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use record_schema::{FollowUpStatus, ObservationCategory, Record, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Reader, Supervisor};
use crate::db::TokenGrant;
use crate::error::ApiError;
use crate::ledger::view::record_json;
use crate::observations::{self, Action, ListFilter, ObservationError, ObservationEvent, ObservationRow, StatusCounts};
use crate::openapi::ErrorBody;
use crate::reports::query::date_param;
use crate::state::AppState;

/// `?project=&status=&category=&severity=&site=&from=&to=&voided=`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The token's own project (another project is 404); absent: the token's project.
    pub project: Option<String>,
    /// `open`, `assigned` or `closed`.
    #[param(example = "open")]
    pub status: Option<String>,
    /// `safety`, `quality`, `delay` or `other`.
    #[param(example = "safety")]
    pub category: Option<String>,
    /// `low`, `medium`, `high` or `critical`.
    #[param(example = "high")]
    pub severity: Option<String>,
    /// Only this site's observations (its id).
    pub site: Option<String>,
    /// Observed on or after, `YYYY-MM-DD`.
    #[param(format = Date)]
    pub from: Option<String>,
    /// Observed on or before, `YYYY-MM-DD` (not before `from`).
    #[param(format = Date)]
    pub to: Option<String>,
    /// `true` or `1`: voided observations too.
    #[param(example = "true")]
    pub voided: Option<String>,
}

/// An observation with whether its follow-up is overdue (open or assigned, due before today).
/// (Named apart from the records' `ObservationView`, the record itself.)
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ObservationFollowUp)]
pub struct ObservationView {
    #[serde(flatten)]
    pub observation: ObservationRow,
    pub overdue: bool,
}

impl ObservationView {
    fn of(row: ObservationRow, today: NaiveDate) -> ObservationView {
        let overdue = row.overdue(today);
        ObservationView { observation: row, overdue }
    }
}

/// `GET /v1/observations`: newest first (at most 500), with the counts by status.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationList {
    pub project: String,
    /// Today where the project works: what `overdue` is judged by.
    pub today: NaiveDate,
    /// Of the observations matching every filter but the status.
    pub counts: StatusCounts,
    pub observations: Vec<ObservationView>,
}

/// One observation: its row, its follow-up history and the record itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ObservationDetail {
    pub observation: ObservationView,
    /// The person (id) it is assigned to, when the office picked a member of the project.
    pub assignee_person: Option<String>,
    /// What was done about it, oldest first.
    pub events: Vec<ObservationEvent>,
    /// The observation record as JSON (null when its document cannot be read).
    #[schema(value_type = Option<Object>)]
    pub record: Option<Value>,
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
#[utoipa::path(
    get,
    path = "/v1/observations",
    operation_id = "observations_list",
    tag = "observations",
    params(ListQuery),
    responses(
        (
            status = 200,
            description = "The project's observations, newest first, and the counts by status",
            body = ObservationList,
            links(
                ("get" = (operation_id = "observations_get", parameters(("id" = "$response.body#/observations/0/record_id")))),
                ("assign" = (operation_id = "observations_assign", parameters(("id" = "$response.body#/observations/0/record_id")))),
                ("close" = (operation_id = "observations_close", parameters(("id" = "$response.body#/observations/0/record_id")))),
                ("reopen" = (operation_id = "observations_reopen", parameters(("id" = "$response.body#/observations/0/record_id")))),
                ("comment" = (operation_id = "observations_comment", parameters(("id" = "$response.body#/observations/0/record_id")))),
                ("promote" = (operation_id = "observations_promote", parameters(("id" = "$response.body#/observations/0/record_id")))),
            )
        ),
        (status = 400, description = "A bad filter, named with the values it takes", body = ErrorBody),
        (status = 403, description = "A foreman's token", body = ErrorBody),
        (status = 404, description = "`project` is not the token's project", body = ErrorBody),
    )
)]
pub async fn list(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<ObservationList>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    check_project(&grant, q.project.as_deref())?;
    let filter = q.filter()?;
    let today = project_today(&state, &grant.project_id).await?;
    let (rows, counts) = observations::list(&state.db, Some(&state.cache), &grant.project_id, &filter, today).await?;
    let observations = rows.into_iter().map(|r| ObservationView::of(r, today)).collect();
    Ok(Json(ObservationList { project: grant.project_id, today, counts, observations }))
}

/// `GET /v1/observations/{id}`: the row, its history and the record as JSON.
#[utoipa::path(
    get,
    path = "/v1/observations/{id}",
    operation_id = "observations_get",
    tag = "observations",
    params(("id" = String, Path, description = "The observation record's id")),
    responses(
        (status = 200, description = "The observation, its follow-up history and the record", body = ObservationDetail),
        (status = 403, description = "A foreman's token", body = ErrorBody),
        (status = 404, description = "No such observation in the token's project", body = ErrorBody),
    )
)]
pub async fn get(
    Reader(grant): Reader,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ObservationDetail>, ApiError> {
    Ok(Json(describe(&state, &grant.project_id, &id).await?))
}

async fn describe(state: &AppState, project: &str, id: &str) -> Result<ObservationDetail, ApiError> {
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
    let assignee_person = observations::assignee_person(&state.db, id).await?;
    Ok(ObservationDetail { observation: ObservationView::of(row, today), assignee_person, events, record })
}

/// Body of the follow-up actions (each reads the fields it needs: assign `assignee`, `due?`,
/// `note?`; close `resolution`; reopen `note?`; comment `note`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// Who follows it up (assign: required unless `assignee_person` is given, whose name it then is).
    #[serde(default)]
    pub assignee: Option<String>,
    /// Assign: the person (id) who follows it up, a member of the project; their phones hold the
    /// observation while it is open.
    #[serde(default)]
    pub assignee_person: Option<String>,
    /// When it is due, `YYYY-MM-DD` (assign).
    #[serde(default)]
    #[schema(format = Date)]
    pub due: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// How it was resolved (close: required).
    #[serde(default)]
    pub resolution: Option<String>,
}

fn body_of(body: Result<Json<ActionBody>, JsonRejection>, expected: &str) -> Result<ActionBody, ApiError> {
    body.map(|Json(b)| b)
        .map_err(|e| ApiError::bad_request("body", format!("expected JSON {expected}: {}", e.body_text())))
}

async fn act(
    grant: TokenGrant,
    state: AppState,
    id: String,
    action: Action,
) -> Result<Json<ObservationDetail>, ApiError> {
    observations::act(&state.db, &state.cache, &grant.project_id, &id, &action, &grant.device_name).await?;
    Ok(Json(describe(&state, &grant.project_id, &id).await?))
}

/// `POST /v1/observations/{id}/assign` `{assignee, assignee_person?, due?: "YYYY-MM-DD", note?}`
#[utoipa::path(
    post,
    path = "/v1/observations/{id}/assign",
    operation_id = "observations_assign",
    tag = "observations",
    params(("id" = String, Path, description = "The observation record's id")),
    request_body(content = ActionBody, description = "`{assignee, assignee_person?, due?: \"YYYY-MM-DD\", note?}`"),
    responses(
        (status = 200, description = "Assigns the follow-up to someone, with an optional due date; the observation as it now stands", body = ObservationDetail),
        (status = 400, description = "Not JSON, an unknown field, a bad date, or a field missing or too long", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 404, description = "No such observation in the token's project", body = ErrorBody),
        (status = 409, description = "Does not apply as the observation stands (voided, closed, not closed)", body = ErrorBody),
    )
)]
pub async fn assign(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Json<ObservationDetail>, ApiError> {
    let b = body_of(body, "{assignee, assignee_person?, due?, note?}")?;
    let due = day("due", b.due)?;
    let action = Action::Assign {
        assignee: b.assignee.unwrap_or_default(),
        due,
        note: b.note.unwrap_or_default(),
        assignee_person: blank(b.assignee_person),
    };
    act(grant, state, id, action).await
}

/// `POST /v1/observations/{id}/close` `{resolution}`
#[utoipa::path(
    post,
    path = "/v1/observations/{id}/close",
    operation_id = "observations_close",
    tag = "observations",
    params(("id" = String, Path, description = "The observation record's id")),
    request_body(content = ActionBody, description = "`{resolution}`"),
    responses(
        (status = 200, description = "Closes the follow-up with its resolution; the observation as it now stands", body = ObservationDetail),
        (status = 400, description = "Not JSON, an unknown field, a bad date, or a field missing or too long", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 404, description = "No such observation in the token's project", body = ErrorBody),
        (status = 409, description = "Does not apply as the observation stands (voided, closed, not closed)", body = ErrorBody),
    )
)]
pub async fn close(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Json<ObservationDetail>, ApiError> {
    let b = body_of(body, "{resolution}")?;
    act(grant, state, id, Action::Close { resolution: b.resolution.unwrap_or_default() }).await
}

/// `POST /v1/observations/{id}/reopen` `{note?}`
#[utoipa::path(
    post,
    path = "/v1/observations/{id}/reopen",
    operation_id = "observations_reopen",
    tag = "observations",
    params(("id" = String, Path, description = "The observation record's id")),
    request_body(content = ActionBody, description = "`{note?}`"),
    responses(
        (status = 200, description = "Reopens a closed follow-up; the observation as it now stands", body = ObservationDetail),
        (status = 400, description = "Not JSON, an unknown field, a bad date, or a field missing or too long", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 404, description = "No such observation in the token's project", body = ErrorBody),
        (status = 409, description = "Does not apply as the observation stands (voided, closed, not closed)", body = ErrorBody),
    )
)]
pub async fn reopen(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Json<ObservationDetail>, ApiError> {
    let b = body_of(body, "{note?}")?;
    act(grant, state, id, Action::Reopen { note: b.note.unwrap_or_default() }).await
}

/// `POST /v1/observations/{id}/comment` `{note}`
#[utoipa::path(
    post,
    path = "/v1/observations/{id}/comment",
    operation_id = "observations_comment",
    tag = "observations",
    params(("id" = String, Path, description = "The observation record's id")),
    request_body(content = ActionBody, description = "`{note}`"),
    responses(
        (status = 200, description = "Adds a comment to the history; the observation as it now stands", body = ObservationDetail),
        (status = 400, description = "Not JSON, an unknown field, a bad date, or a field missing or too long", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 404, description = "No such observation in the token's project", body = ErrorBody),
        (status = 409, description = "Does not apply as the observation stands (voided, closed, not closed)", body = ErrorBody),
    )
)]
pub async fn comment(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<ActionBody>, JsonRejection>,
) -> Result<Json<ObservationDetail>, ApiError> {
    let b = body_of(body, "{note}")?;
    act(grant, state, id, Action::Comment { note: b.note.unwrap_or_default() }).await
}
