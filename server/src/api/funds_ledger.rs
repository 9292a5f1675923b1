//! The wage payment ledger and the arrears warning over HTTP (issue 21), office and admin tokens
//! only (`auth::Office`), within the token's project:
//!
//! * `GET /v1/funds/wages?month=YYYY-MM[&crew=][&format=json|csv|xlsx][&lang=en|zh-CN]`:
//!   `funds::wages::WageLedger` as JSON, or the inspectors' layout as a file.
//! * `GET /v1/funds/arrears[?as_of=YYYY-MM-DD]`: `funds::arrears::Arrears` (as of the project's
//!   today by default).
//!
//! Bad parameters: 400 naming the parameter and what it accepts.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use crate::auth::Office;
use crate::error::ApiError;
use crate::funds::{arrears, wages};
use crate::openapi::ErrorBody;
use crate::reports::export::{self, FileFormat, Words};
use crate::state::AppState;

/// The first and last months and days a query may name (as the reports' dates).
const EARLIEST: (i32, u32) = (2000, 1);
const LATEST: (i32, u32) = (2100, 12);

/// `GET /v1/funds/wages` parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WagesQuery {
    /// The wage month, `YYYY-MM` from 2000-01 to 2100-12.
    #[param(required = true, pattern = r"^\d{4}-\d{2}$", example = "2026-11")]
    pub month: Option<String>,
    /// Only this crew's rows (at most 200 characters).
    #[param(max_length = 200)]
    pub crew: Option<String>,
    /// `json` (the default), or the inspectors' layout as a `csv` or `xlsx` file.
    #[param(example = "json")]
    pub format: Option<String>,
    /// The file's column words: `en` or `zh-CN` (else the API's keys).
    #[param(example = "zh-CN")]
    pub lang: Option<String>,
}

/// `GET /v1/funds/arrears` parameters.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArrearsQuery {
    /// The day to judge by, `YYYY-MM-DD` from 2000-01-01 to 2100-12-31; absent: the project's today.
    #[param(format = Date, example = "2026-12-16")]
    pub as_of: Option<String>,
}

/// `YYYY-MM` from 2000-01 to 2100-12, as its first day.
pub fn parse_month(v: Option<&str>) -> Result<NaiveDate, ApiError> {
    let bad = |why: &str| ApiError::bad_request("month", format!("{why}: a month YYYY-MM from 2000-01 to 2100-12"));
    let v = v.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| bad("required"))?;
    let valid_shape =
        v.len() == 7 && v.as_bytes()[4] == b'-' && v.bytes().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit());
    let d = valid_shape
        .then(|| NaiveDate::parse_from_str(&format!("{v}-01"), "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| bad(&format!("{v:?} is not one")))?;
    let lo = NaiveDate::from_ymd_opt(EARLIEST.0, EARLIEST.1, 1);
    let hi = NaiveDate::from_ymd_opt(LATEST.0, LATEST.1, 1);
    if Some(d) < lo || Some(d) > hi {
        return Err(bad(&format!("{v:?} is out of range")));
    }
    Ok(d)
}

/// `YYYY-MM-DD` from 2000-01-01 to 2100-12-31.
pub fn parse_day(field: &'static str, v: &str) -> Result<NaiveDate, ApiError> {
    let bad = || ApiError::bad_request(field, format!("{v:?} is not a date YYYY-MM-DD from 2000-01-01 to 2100-12-31"));
    let v = v.trim();
    if v.len() != 10 {
        return Err(bad());
    }
    let d = NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| bad())?;
    let lo = NaiveDate::from_ymd_opt(EARLIEST.0, EARLIEST.1, 1);
    let hi = NaiveDate::from_ymd_opt(LATEST.0, LATEST.1, 31);
    if Some(d) < lo || Some(d) > hi {
        return Err(bad());
    }
    Ok(d)
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q).map_err(|e| ApiError::bad_request("query", e.body_text()))
}

/// `GET /v1/funds/wages?month=YYYY-MM[&crew=&format=json|csv|xlsx&lang=en|zh-CN]`
#[utoipa::path(
    get,
    path = "/v1/funds/wages",
    operation_id = "funds_wages",
    tag = "funds",
    params(WagesQuery),
    responses(
        (
            status = 200,
            description = "The wage payment ledger (工资支付台账) of the month: one row per worker, and totals",
            content(
                (wages::WageLedger = "application/json"),
                (String = "text/csv"),
                (super::funds::SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )
        ),
        (status = 400, description = "A bad parameter, named with what it accepts", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
    )
)]
pub async fn wages(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<WagesQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let month = parse_month(q.month.as_deref())?;
    let crew = q.crew.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = crew
        && c.chars().count() > 200
    {
        return Err(ApiError::bad_request("crew", "at most 200 characters"));
    }
    let format = match q.format.as_deref().map(str::trim).unwrap_or("json") {
        "" | "json" => None,
        "csv" => Some(FileFormat::Csv),
        "xlsx" => Some(FileFormat::Xlsx),
        other => return Err(ApiError::bad_request("format", format!("{other:?}: one of json, csv, xlsx"))),
    };
    let ledger = wages::ledger(&state.db, &grant.project_id, month, crew).await?;
    let Some(f) = format else { return Ok(Json(ledger).into_response()) };
    let words = Words::from_query(q.lang.as_deref());
    Ok(export::download(&ledger.file_name(words), f, &ledger.table(words))?)
}

/// `GET /v1/funds/arrears[?as_of=YYYY-MM-DD]`
#[utoipa::path(
    get,
    path = "/v1/funds/arrears",
    operation_id = "funds_arrears",
    tag = "funds",
    params(ArrearsQuery),
    responses(
        (status = 200, description = "Months with wages outstanding, allocations against wages, and totals", body = arrears::Arrears),
        (status = 400, description = "`as_of` is not a date YYYY-MM-DD from 2000 to 2100", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
    )
)]
pub async fn arrears(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<ArrearsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let as_of = match q.as_of.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(v) => parse_day("as_of", v)?,
        None => {
            let set = crate::reference::store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
            crate::reports::today(&set)
        }
    };
    let a = arrears::arrears(&state.db, &grant.project_id, as_of).await?;
    Ok(Json(a).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_days() {
        assert_eq!(parse_month(Some("2026-11")).ok(), NaiveDate::from_ymd_opt(2026, 11, 1));
        for bad in
            [None, Some(""), Some("2026-13"), Some("2026-1"), Some("1999-12"), Some("2101-01"), Some("2026-11-01")]
        {
            assert!(parse_month(bad).is_err(), "{bad:?}");
        }
        assert!(parse_day("as_of", "2026-12-16").is_ok());
        for bad in ["2026-12-32", "2026-2-1", "1999-12-31", "x"] {
            assert!(parse_day("as_of", bad).is_err(), "{bad}");
        }
    }
}
