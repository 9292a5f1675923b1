//! The office's HTTP API: reference data (read by supervisors, managed by admins: JSON edits and
//! CSV/XLSX imports) and the reports (JSON, CSV, XLSX). Each within the token's project
//! (docs/approvals-and-ledgers.md, "Reference data" and "Reports").

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::approvals::supervisor;
use crate::auth::Device;
use crate::db::TokenGrant;
use crate::error::ApiError;
use crate::reference::table::{RawTable, Table};
use crate::reference::{ReferenceError, import, store};
use crate::reports::labour::{self, Period};
use crate::reports::{DateRange, cost, export, schedule};
use crate::state::AppState;

fn admin(grant: &TokenGrant) -> Result<(), ApiError> {
    if grant.role == "admin" {
        return Ok(());
    }
    Err(ApiError::forbidden(format!("a {} token cannot change reference data; an admin token can", grant.role)))
}

impl IntoResponse for ReferenceError {
    fn into_response(self) -> Response {
        match self {
            ReferenceError::Invalid(errors) => {
                let first = errors.first();
                let body = json!({
                    "error": "invalid",
                    "field": first.map(|e| format!("{}.{}", e.table, e.column)),
                    "message": format!("nothing was imported: {} problem(s), first: {}", errors.len(), first.map(ToString::to_string).unwrap_or_default()),
                    "errors": errors,
                    // Problems found beyond the listed ones (reference::MAX_LISTED_PROBLEMS).
                    "more_errors": errors.more(),
                });
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
            }
            ReferenceError::Unreadable(m) => ApiError::bad_request("file", m).into_response(),
            ReferenceError::Sql(e) => ApiError::internal(e).into_response(),
            ReferenceError::Publish(e) => ApiError::internal(e).into_response(),
        }
    }
}

/// `GET /v1/reference`: the project's reference data with budgets.
pub async fn reference(Device(grant): Device, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    supervisor(&grant)?;
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    Ok(Json(json!(set)))
}

#[derive(Debug, Deserialize, Default)]
pub struct ImportQuery {
    pub table: Option<String>,
}

fn table_param(t: Option<String>) -> Result<Option<Table>, ApiError> {
    t.filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<Table>().map_err(|m| ApiError::bad_request("table", m)))
        .transpose()
}

/// `POST /v1/reference/import?table=`: an XLSX workbook (a sheet per table) or a CSV file (one
/// table, named by `table`). All or nothing.
pub async fn import_file(
    Device(grant): Device,
    State(state): State<AppState>,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    admin(&grant)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let table = table_param(q.table)?;
    if body.is_empty() {
        return Err(ApiError::bad_request("file", "the request body is empty: send the CSV or XLSX file"));
    }
    let tables = match import::read_file(&body, table) {
        Ok(t) => t,
        Err(e) => return Ok(e.into_response()),
    };
    Ok(match store::import(&state.db, &state.cache, &grant.project_id, &tables).await {
        Ok(summary) => Json(json!({ "imported": summary })).into_response(),
        Err(e) => e.into_response(),
    })
}

/// `PUT /v1/reference/{table}/{key}` with `{column: "text" | null, …}`: one row, added or changed.
pub async fn put_row(
    Device(grant): Device,
    State(state): State<AppState>,
    Path((table, key)): Path<(String, String)>,
    body: Result<Json<BTreeMap<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    admin(&grant)?;
    let table = table.parse::<Table>().map_err(|m| ApiError::bad_request("table", m))?;
    let Json(fields) = body.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let key_column = table.columns()[0].0;
    let mut header = Vec::new();
    let mut cells = Vec::new();
    if table != Table::Project {
        header.push(key_column.to_string());
        cells.push(key);
    }
    for (k, v) in fields {
        if table != Table::Project && k == key_column {
            continue;
        }
        let text = match v {
            Value::Null => String::new(),
            Value::String(s) => s,
            // Amounts as JSON numbers would pass through a float: refused, as on the sync wire.
            _ => {
                return Err(ApiError::bad_request(
                    &k,
                    "values are text (amounts as decimal strings, e.g. \"1250.00\")",
                ));
            }
        };
        header.push(k);
        cells.push(text);
    }
    let raw = RawTable { table, labels: header.clone(), header, rows: vec![(0, cells)] };
    Ok(match store::import(&state.db, &state.cache, &grant.project_id, &[raw]).await {
        Ok(summary) => Json(json!({ "imported": summary })).into_response(),
        Err(e) => e.into_response(),
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub at: Option<String>,
    pub period: Option<String>,
    pub by: Option<String>,
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Xlsx,
}

fn format_param(f: Option<&str>) -> Result<Format, ApiError> {
    match f.unwrap_or("json") {
        "json" | "" => Ok(Format::Json),
        "csv" => Ok(Format::Csv),
        "xlsx" => Ok(Format::Xlsx),
        other => Err(ApiError::bad_request("format", format!("{other:?} is not one of json, csv, xlsx"))),
    }
}

fn date(field: &'static str, v: Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    Ok(crate::approvals::date_param(field, v)?.and_then(|d| d.parse().ok()))
}

fn query(
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(ReportQuery, Format), ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let f = format_param(q.format.as_deref())?;
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
        Format::Csv => export::FileFormat::Csv,
        Format::Xlsx => export::FileFormat::Xlsx,
    };
    Ok(export::download(name, file, &table())?)
}

/// `GET /v1/reports/cost?from=&to=&format=`
pub async fn cost_report(
    Device(grant): Device,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    supervisor(&grant)?;
    let (q, format) = query(q)?;
    let range = DateRange::new(date("from", q.from)?, date("to", q.to)?)?;
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    let report = cost::report(&state.db, &set, range).await?;
    respond(format, &format!("cost-{}", grant.project_id), json!(report), || report.table())
}

/// `GET /v1/reports/schedule?at=&format=`
pub async fn schedule_report(
    Device(grant): Device,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    supervisor(&grant)?;
    let (q, format) = query(q)?;
    let at = date("at", q.at)?;
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    let at = at.unwrap_or_else(|| crate::reports::today(&set));
    let report = schedule::report(&state.db, &set, at).await?;
    respond(format, &format!("schedule-{}-{at}", grant.project_id), json!(report), || report.table())
}

/// `GET /v1/reports/labour?from=&to=&period=day|week|month|total&by=site,trade,crew&format=`
pub async fn labour_summary(
    Device(grant): Device,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    supervisor(&grant)?;
    let (q, format) = query(q)?;
    let range = DateRange::new(date("from", q.from)?, date("to", q.to)?)?;
    let period: Period = q.period.as_deref().filter(|p| !p.is_empty()).unwrap_or("day").parse()?;
    let by = labour::parse_dimensions(q.by.as_deref().unwrap_or("site,trade,crew"))?;
    let summary = labour::summary(&state.db, &grant.project_id, range, period, &by).await?;
    respond(format, &format!("labour-{}", grant.project_id), json!(summary), || summary.table())
}

/// `PUT /v1/reference/project` with `{name?, currency?}`.
pub async fn put_project(
    device: Device,
    state: State<AppState>,
    body: Result<Json<BTreeMap<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    put_row(device, state, Path(("project".to_string(), String::new())), body).await
}
