//! The office's HTTP API for reports (JSON, CSV, XLSX): cost, schedule and the day-labour summary,
//! each within the token's project (docs/approvals-and-ledgers.md, "Reports"). The parameters are
//! read by `reports::query::ReportQuery`, as on the screens.

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::Reader;
use crate::error::ApiError;
use crate::reference::store;
use crate::reports::export::Words;
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

/// `?lang=en|zh-CN`: an export's headers, titles and file name in that language (the screens'
/// exports); without it, the stable column keys.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LangParam {
    pub lang: Option<String>,
}

fn words(q: Result<Query<LangParam>, axum::extract::rejection::QueryRejection>) -> Words {
    Words::from_query(q.ok().and_then(|Query(l)| l.lang).as_deref())
}

fn respond(
    format: Format,
    json: Value,
    file: impl FnOnce() -> (export::FileName, crate::reports::Table),
) -> Result<Response, ApiError> {
    let f = match format {
        Format::Json => return Ok(Json(json).into_response()),
        Format::File(f) => f,
    };
    let (name, table) = file();
    Ok(export::download(&name, f, &table)?)
}

/// `GET /v1/reports/cost?from=&to=&format=&lang=`
pub async fn cost_report(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
    lang: Result<Query<LangParam>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (q, format) = query(q)?;
    let range = q.range()?;
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    let report = cost::report(&state.db, &set, range).await?;
    let w = words(lang);
    respond(format, json!(report), || (report.file_name(w, &set), report.table(w, &set)))
}

/// `GET /v1/reports/schedule?at=&format=&lang=`
pub async fn schedule_report(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
    lang: Result<Query<LangParam>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (q, format) = query(q)?;
    let at = q.at()?;
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    let at = at.unwrap_or_else(|| crate::reports::today(&set));
    let report = schedule::report(&state.db, &set, at).await?;
    let w = words(lang);
    respond(format, json!(report), || (report.file_name(w, &set), report.table(w, &set)))
}

/// `GET /v1/reports/labour?from=&to=&period=day|week|month|total&by=site,trade,crew&format=&lang=`
pub async fn labour_summary(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
    lang: Result<Query<LangParam>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let (q, format) = query(q)?;
    let p = q.labour()?;
    let summary = labour::summary(&state.db, &grant.project_id, p.range, p.period, &p.by).await?;
    let w = words(lang);
    if format == Format::Json {
        return Ok(Json(json!(summary)).into_response());
    }
    // Names and the project's name come from the reference data (files only).
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    respond(format, Value::Null, || (summary.file_name(w, &set), summary.table(w, &set)))
}
