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
use crate::reports::cost::CostReport;
use crate::reports::export::Words;
use crate::reports::labour::{LabourSummary, Period as LabourPeriod};
use crate::reports::query::{Format, ReportQuery};
use crate::reports::schedule::ScheduleReport;
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

/// A report's `format` (as `ReportQuery::format` reads it; the description only).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum ReportFormat {
    Json,
    Csv,
    Xlsx,
}

/// A file's language (`?lang=`; anything else: the column keys).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum ReportLang {
    #[schema(rename = "en")]
    En,
    #[schema(rename = "zh-CN")]
    ZhCn,
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

/// The `format` parameter: JSON (the default) or a file.
const FORMAT: &str = "`json` (the default), `csv` or `xlsx` (a file download with its name in `Content-Disposition`)";
/// The `lang` parameter.
const LANG: &str = "A file's headers, titles and name in `en` or `zh-CN`; without it (or another value), the stable \
                    column keys. JSON answers do not change";
/// A date parameter's limits.
const DATE: &str = "`YYYY-MM-DD`, 2000-01-01 to 2100-12-31; blank or absent: open";

/// `GET /v1/reports/cost?from=&to=&format=&lang=`
#[utoipa::path(
    get,
    path = "/v1/reports/cost",
    summary = "Cost report",
    description = "Budget, approved actual cost, variance, earned value, CPI and spent share per cost code (children after their parent), with totals and other currencies' actuals; JSON, CSV or XLSX.",
    tag = "reports",
    params(
        ("from" = Option<String>, Query, format = Date, description = DATE),
        ("to" = Option<String>, Query, format = Date, description = "`YYYY-MM-DD`, 2000-01-01 to 2100-12-31, not before `from`; absent: today where the project works"),
        ("format" = Option<ReportFormat>, Query, description = FORMAT),
        ("lang" = Option<ReportLang>, Query, description = LANG),
    ),
    responses(
        (status = 200, description = "Budget, actual, variance, earned value and CPI per cost code (children after their parent)",
         content(
            (CostReport = "application/json"),
            (crate::api::BinaryBody = "text/csv"),
            (crate::api::BinaryBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
         )),
        (status = 400, description = "A parameter that does not read (named, with its limits)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "A role that may not read reports", body = crate::openapi::ErrorBody),
    )
)]
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
#[utoipa::path(
    get,
    path = "/v1/reports/schedule",
    summary = "Schedule report",
    description = "Planned and earned value, SPI, CPI and forecasts per activity and cost code at a status date, the project totals, the S-curve and the quantity burn-down; JSON, CSV or XLSX.",
    tag = "reports",
    params(
        ("at" = Option<String>, Query, format = Date, description = "The status date: `YYYY-MM-DD`, 2000-01-01 to 2100-12-31; absent: today where the project works"),
        ("format" = Option<ReportFormat>, Query, description = FORMAT),
        ("lang" = Option<ReportLang>, Query, description = LANG),
    ),
    responses(
        (status = 200, description = "Planned and earned value per activity and cost code, forecasts, the S-curve and the quantity burn-down",
         content(
            (ScheduleReport = "application/json"),
            (crate::api::BinaryBody = "text/csv"),
            (crate::api::BinaryBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
         )),
        (status = 400, description = "A parameter that does not read (named, with its limits)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "A role that may not read reports", body = crate::openapi::ErrorBody),
    )
)]
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
#[utoipa::path(
    get,
    path = "/v1/reports/labour",
    summary = "Labour summary",
    description = "Approved labour per period (day, week, month or total) and grouping (site, trade, crew, cost code, activity, author): headcount, headcount-days, person-hours and cost, with totals per currency; JSON, CSV or XLSX.",
    tag = "reports",
    params(
        ("from" = Option<String>, Query, format = Date, description = DATE),
        ("to" = Option<String>, Query, format = Date, description = "`YYYY-MM-DD`, 2000-01-01 to 2100-12-31, not before `from`; blank or absent: open"),
        ("period" = Option<LabourPeriod>, Query, description = "Rows per `day` (the default), `week`, `month` or one `total`"),
        ("by" = Option<String>, Query, example = "site,trade,crew", description = "Grouping, comma separated, in order: any of `site`, `trade`, `crew`, `cost_code`, `activity`, `author` (default `site,trade,crew`)"),
        ("format" = Option<ReportFormat>, Query, description = FORMAT),
        ("lang" = Option<ReportLang>, Query, description = LANG),
    ),
    responses(
        (status = 200, description = "Headcount, headcount-days, person-hours and cost of approved labour, per period and group, with totals per currency",
         content(
            (LabourSummary = "application/json"),
            (crate::api::BinaryBody = "text/csv"),
            (crate::api::BinaryBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
         )),
        (status = 400, description = "A parameter that does not read (named, with its limits)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "A role that may not read reports", body = crate::openapi::ErrorBody),
    )
)]
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
