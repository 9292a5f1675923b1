//! The office's HTTP API for reports (JSON, CSV, XLSX): cost, schedule and the day-labour summary,
//! each within the token's project (docs/approvals-and-ledgers.md, "Reports"). The parameters are
//! read by `reports::query::ReportQuery`, as on the screens.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::Supervisor;
use crate::error::ApiError;
use crate::reference::store;
use crate::reports::query::{Format, ReportQuery};
use crate::reports::{cost, export, labour, schedule};
use crate::state::AppState;

fn query(
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(ReportQuery, Format), ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let f = q.format()?;
    Ok((q, f))
}

fn respond(
    format: Format,
    name: &str,
    json: Value,
    table: impl FnOnce() -> crate::reports::Table,
) -> Result<Response, ApiError> {
    let file = match format {
        Format::Json => return Ok(Json(json).into_response()),
        Format::File(file) => file,
    };
    Ok(export::download(name, file, &table())?)
}

/// `GET /v1/reports/cost?from=&to=&format=`
pub async fn cost_report(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (q, format) = query(q)?;
    let range = q.range()?;
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    let report = cost::report(&state.db, &set, range).await?;
    respond(format, &format!("cost-{}", grant.project_id), json!(report), || report.table())
}

/// `GET /v1/reports/schedule?at=&format=`
pub async fn schedule_report(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (q, format) = query(q)?;
    let at = q.at()?;
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    let at = at.unwrap_or_else(|| crate::reports::today(&set));
    let report = schedule::report(&state.db, &set, at).await?;
    respond(format, &format!("schedule-{}-{at}", grant.project_id), json!(report), || report.table())
}

/// `GET /v1/reports/labour?from=&to=&period=day|week|month|total&by=site,trade,crew&format=`
pub async fn labour_summary(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (q, format) = query(q)?;
    let p = q.labour()?;
    let summary = labour::summary(&state.db, &grant.project_id, p.range, p.period, &p.by).await?;
    respond(format, &format!("labour-{}", grant.project_id), json!(summary), || summary.table())
}
