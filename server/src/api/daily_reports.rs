//! JSON and PDF API of the daily reports (issue 23, docs/daily-reports.md): the calendar of days that
//! have records, one day's report (the newest version, made now if the records moved, or an older
//! one by `?version=`) and its PDF. Any device token of the project may read them, a foreman's
//! phone included (the report is its own day's records); another project's days are not there.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Device;
use crate::daily_reports::model::{DailyReport, DayCell, VersionInfo};
use crate::daily_reports::store::{self, Stored};
use crate::error::ApiError;
use crate::reports::query::date_param;
use crate::state::AppState;
use crate::web::i18n::Lang;

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD&site=S`
#[derive(Debug, Default, Deserialize)]
pub struct CalendarQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub site: Option<String>,
}

/// `?version=N&lang=zh-CN|en`
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    pub version: Option<String>,
    pub lang: Option<String>,
}

fn blank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(q)| q).map_err(|e| ApiError::bad_request("query", e.body_text()))
}

/// A date parameter (`YYYY-MM-DD`, within the dates the reports accept), or 400 naming `field`.
fn day(field: &'static str, v: Option<String>) -> Result<Option<NaiveDate>, ApiError> {
    Ok(date_param(field, v)?.and_then(|d| d.parse().ok()))
}

/// `?version=`: a whole number from 1, or 400 naming `version`.
fn version_param(v: Option<String>) -> Result<Option<i64>, ApiError> {
    match blank(v) {
        None => Ok(None),
        Some(s) => match s.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(ApiError::bad_request("version", format!("expected a version number from 1, got {s:?}"))),
        },
    }
}

/// The calendar of days with records.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyReportCalendar {
    pub project: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The one site asked for; none: every site.
    pub site: Option<String>,
    /// By date, then site.
    pub days: Vec<DayCell>,
}

/// `GET /v1/daily-reports?from=&to=&site=`: the days with records, `{"days": [DayCell...]}`. `to`
/// defaults to today on the project's calendar, `from` to 30 days before `to`; at most 92 days.
#[utoipa::path(
    get,
    path = "/v1/daily-reports",
    tag = "daily reports",
    operation_id = "daily_report_calendar",
    params(
        ("from" = Option<String>, Query, format = Date, pattern = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", description = "First day (YYYY-MM-DD, 2000-01-01 to 2100-12-31); default 30 days before `to`"),
        ("to" = Option<String>, Query, format = Date, pattern = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", description = "Last day; default today on the project's calendar. At most 92 days from `from`, not before it"),
        ("site" = Option<String>, Query, description = "One site's days only (its id); blank: every site"),
    ),
    responses(
        (status = 200, description = "The days that have records, per site: how many, how many wait for a decision, the newest version made", body = DailyReportCalendar),
        (status = 400, description = "A bad date, `to` before `from`, or more than 92 days", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
    )
)]
pub async fn calendar(
    Device(grant): Device,
    State(state): State<AppState>,
    q: Result<Query<CalendarQuery>, QueryRejection>,
) -> Result<Json<DailyReportCalendar>, ApiError> {
    let q = query(q)?;
    let from = day("from", q.from)?;
    let to = match day("to", q.to)? {
        Some(t) => t,
        None => {
            let set = crate::reference::store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
            crate::reports::today(&set)
        }
    };
    let from = from.unwrap_or_else(|| to - chrono::Days::new(30));
    let site = blank(q.site);
    let days = store::calendar(&state, &grant.project_id, from, to, site.as_deref()).await?;
    Ok(Json(DailyReportCalendar { project: grant.project_id, from, to, site, days }))
}

/// The version a request names (`version`), or the newest as the records stand now; 404 naming
/// `version` for one never made, naming `date` for a day without records.
async fn stored_of(
    state: &AppState,
    project: &str,
    site: &str,
    date: &str,
    version: Option<String>,
) -> Result<Stored, ApiError> {
    let date = day("date", Some(date.to_string()))?
        .ok_or_else(|| ApiError::bad_request("date", "expected a date YYYY-MM-DD"))?;
    match version_param(version)? {
        Some(n) => store::version(&state.db, project, site, date, n)
            .await?
            .ok_or_else(|| ApiError::not_found("version", format!("no version {n} of the report of {site} on {date}"))),
        None => store::current(state, project, site, date)
            .await?
            .ok_or_else(|| ApiError::not_found("date", format!("no records of site {site} on {date}"))),
    }
}

/// One version of a day's report, and the day's versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct DailyReportVersionAnswer {
    /// The version's id (the PDF's `ETag` is made from it).
    pub id: String,
    pub version: i64,
    /// SHA-256 over the sources (record ids, heads, states).
    pub fingerprint: String,
    pub report: DailyReport,
    /// Every version of the day, newest first.
    pub versions: Vec<VersionInfo>,
}

/// `GET /v1/daily-reports/{site}/{date}?version=N`: `{"id", "version", "fingerprint", "report",
/// "versions"}` (versions newest first).
#[utoipa::path(
    get,
    path = "/v1/daily-reports/{site}/{date}",
    tag = "daily reports",
    operation_id = "daily_report",
    params(
        ("site" = String, Path, description = "The site's id"),
        ("date" = String, Path, format = Date, pattern = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", description = "The day (YYYY-MM-DD) in the site's time zone"),
        ("version" = Option<i64>, Query, minimum = 1, maximum = 2147483647, description = "A version made before; absent or blank: the newest, made now if the records moved"),
    ),
    responses(
        (status = 200, description = "The report (data, no words) and the day's versions", body = DailyReportVersionAnswer),
        (status = 400, description = "A bad date or version", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 404, description = "No records of the site on that day (field `date`), or no such version (field `version`)", body = crate::openapi::ErrorBody),
        (status = 503, description = "The day's records kept changing while the report was made; retry (`Retry-After`)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn day_report(
    Device(grant): Device,
    State(state): State<AppState>,
    Path((site, date)): Path<(String, String)>,
    q: Result<Query<DayQuery>, QueryRejection>,
) -> Result<Json<DailyReportVersionAnswer>, ApiError> {
    let q = query(q)?;
    let stored = stored_of(&state, &grant.project_id, &site, &date, q.version).await?;
    let versions = store::versions(&state.db, &grant.project_id, &site, stored.report.date).await?;
    Ok(Json(DailyReportVersionAnswer {
        id: stored.id,
        version: stored.report.version,
        fingerprint: stored.fingerprint,
        report: stored.report,
        versions,
    }))
}

/// `?lang=`: `zh-CN` (or `zh`) or `en`, else 400 naming `lang`; absent: the request's language.
fn lang_param(v: Option<String>, headers: &HeaderMap) -> Result<Lang, ApiError> {
    match blank(v) {
        None => Ok(Lang::from_headers(headers)),
        Some(s) => match s.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "zh_cn" => Ok(Lang::ZhCn),
            "en" => Ok(Lang::En),
            _ => Err(ApiError::bad_request("lang", format!("{s:?} is not one of zh-CN, en"))),
        },
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').map(str::trim).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag))
}

/// `?lang=` of the PDF (case ignored; `zh` and `zh_cn` also read as zh-CN).
#[derive(Debug, Serialize, ToSchema)]
pub enum DailyReportLang {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

/// `GET /v1/daily-reports/{site}/{date}/pdf?lang=&version=`: the version's PDF. `ETag` is the
/// version's id and the language (a version never changes); `If-None-Match` with it: 304.
#[utoipa::path(
    get,
    path = "/v1/daily-reports/{site}/{date}/pdf",
    tag = "daily reports",
    operation_id = "daily_report_pdf",
    params(
        ("site" = String, Path, description = "The site's id"),
        ("date" = String, Path, format = Date, pattern = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", description = "The day (YYYY-MM-DD) in the site's time zone"),
        ("version" = Option<i64>, Query, minimum = 1, maximum = 2147483647, description = "A version made before; absent or blank: the newest, made now if the records moved"),
        ("lang" = Option<DailyReportLang>, Query, description = "The PDF's language; absent: the request's (`Accept-Language`)"),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` answered before: 304 when it is this version's in this language"),
    ),
    responses(
        (status = 200, description = "The version's PDF (a version never changes, so neither does its PDF)", content_type = "application/pdf", body = crate::api::BinaryBody,
            headers(
                ("ETag" = String, description = "The version's id and the language"),
                ("X-Report-Version" = i64, description = "The version's number"),
                ("Content-Disposition" = String, description = "inline, with the file name `daily-report-SITE-DATE-LANG.pdf`"),
                ("Cache-Control" = String, description = "private, no-cache"),
            )),
        (status = 304, description = "Not modified: `If-None-Match` names this version's PDF in this language",
            headers(
                ("ETag" = String, description = "The version's id and the language"),
                ("X-Report-Version" = i64, description = "The version's number"),
            )),
        (status = 400, description = "A bad date, version or lang", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 404, description = "No records of the site on that day (field `date`), or no such version (field `version`)", body = crate::openapi::ErrorBody),
        (status = 503, description = "No font to draw the PDF with (`no_font`), or the records kept changing (`busy`, with `Retry-After`)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn pdf(
    Device(grant): Device,
    State(state): State<AppState>,
    Path((site, date)): Path<(String, String)>,
    headers: HeaderMap,
    q: Result<Query<DayQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = query(q)?;
    let lang = lang_param(q.lang, &headers)?;
    let stored = stored_of(&state, &grant.project_id, &site, &date, q.version).await?;
    let etag = format!("\"{}-{}\"", stored.id, lang.tag());
    let version = stored.report.version.to_string();
    let value = |s: &str| HeaderValue::from_str(s).map_err(ApiError::internal);
    if not_modified(&headers, &etag) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, value(&etag)?);
        r.headers_mut().insert("x-report-version", value(&version)?);
        return Ok(r);
    }
    let bytes = store::pdf_bytes(&state, &stored, lang).await?;
    let name = crate::reports::export::FileName::plain(&format!(
        "daily-report-{}-{}-{}",
        stored.report.site_id,
        stored.report.date,
        lang.tag()
    ));
    let disposition = name.disposition("pdf").replacen("attachment", "inline", 1);
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(header::ETAG, value(&etag)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert("x-report-version", value(&version)?);
    h.insert(header::CONTENT_DISPOSITION, value(&disposition)?);
    Ok(r)
}
