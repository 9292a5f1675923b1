//! `GET /v1/funds/cashflow`: a project's cash flow per month (planned spend, approved cost, paid,
//! cumulative) and its payables by age, as JSON, CSV or XLSX; `?scope=company` sums the projects the
//! caller administers (`funds::cashflow`, docs/funds-and-wages.md). No personal data: every reader
//! (supervisor, office, admin) may see a project's; foremen 403.
//!
//! The app has no company-wide reading role: a company admin (`people.company_admin`) is admin of
//! every project, anyone else admin of some. So the company view is an admin's, over the projects
//! the token's person administers (a company admin's: all), or the token's project alone when the
//! device belongs to nobody.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::access::people;
use crate::auth::{Reader, Role};
use crate::db::{Db, TokenGrant, on_pool};
use crate::error::ApiError;
use crate::funds::cashflow::{self, Cashflow};
use crate::openapi::ErrorBody;
use crate::reference::store;
use crate::reports::export::{self, Words};
use crate::reports::query::{Format, ReportQuery, date_param};
use crate::state::AppState;

/// `?from=YYYY-MM&to=YYYY-MM&as_of=YYYY-MM-DD&scope=project|company&part=months|payables&format=&lang=`
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CashflowQuery {
    /// First month shown, `YYYY-MM` (or a day of it, `YYYY-MM-DD`); absent: the project's default.
    #[param(pattern = r"^\d{4}-\d{2}(-\d{2})?$", example = "2026-01")]
    pub from: Option<String>,
    /// Last month shown, as `from`; at most 120 months from `from`.
    #[param(pattern = r"^\d{4}-\d{2}(-\d{2})?$", example = "2026-12")]
    pub to: Option<String>,
    /// The day figures are taken at, `YYYY-MM-DD`; absent: the project's today.
    #[param(format = Date)]
    pub as_of: Option<String>,
    /// `project` (the default) or `company`: the projects the token's person administers (admins only).
    #[param(example = "project")]
    pub scope: Option<String>,
    /// A file's part: `months` (the default) or `payables`.
    #[param(example = "months")]
    pub part: Option<String>,
    /// `json` (the default), `csv` or `xlsx`.
    #[param(example = "json")]
    pub format: Option<String>,
    /// A file's column words: `en` or `zh-CN` (else the API's keys).
    pub lang: Option<String>,
}

/// `GET /v1/funds/cashflow` as JSON: one project's cash flow, or (`scope=company`) the projects the
/// token's person administers, summed per currency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum CashflowAnswer {
    Project(Box<Cashflow>),
    Company(Box<cashflow::Company>),
}

/// The asked months and day, read (defaults from `set`).
pub struct Asked {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub as_of: Option<NaiveDate>,
    pub format: Format,
    pub payables: bool,
}

impl CashflowQuery {
    pub fn read(&self) -> Result<Asked, ApiError> {
        let from = cashflow::month_param("from", self.from.as_deref())?;
        let to = cashflow::month_param("to", self.to.as_deref())?;
        let as_of = date_param("as_of", self.as_of.clone())?.and_then(|d| d.parse().ok());
        let format = ReportQuery { format: self.format.clone(), ..Default::default() }.format()?;
        let payables = match self.part.as_deref().unwrap_or("months") {
            "months" | "" => false,
            "payables" => true,
            other => return Err(ApiError::bad_request("part", format!("{other:?} is not one of months, payables"))),
        };
        if let (Some(f), Some(t)) = (from, to) {
            cashflow::check_range(f, t)?;
        }
        Ok(Asked { from, to, as_of, format, payables })
    }
}

impl Asked {
    /// The months and day for `set` (`cashflow::resolve_range`).
    pub fn resolve(&self, set: &crate::reference::ReferenceSet) -> Result<(NaiveDate, NaiveDate, NaiveDate), ApiError> {
        Ok(cashflow::resolve_range(set, self.from, self.to, self.as_of)?)
    }
}

/// The person a device belongs to, if any.
async fn device_person(db: &Db, device_id: &str) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar::<_, Option<String>>("SELECT person_id FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(p)
        .await)
    .map(Option::flatten)
}

/// The projects a person administers (a company admin: every project), by name.
pub async fn administered(db: &Db, person_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let company_admin = people::find(db, person_id).await?.is_some_and(|p| p.company_admin);
    let projects = people::projects_of(db, person_id, company_admin).await?;
    Ok(projects.into_iter().filter(|p| p.role == Role::Admin).map(|p| p.project_id).collect())
}

/// The company view of `projects` (each over the same months: the asked ones, else the widest of
/// the projects' defaults).
pub async fn company_view(
    db: &Db,
    projects: &[String],
    asked: &Asked,
) -> Result<(cashflow::Company, Vec<Cashflow>), ApiError> {
    let mut sets = Vec::with_capacity(projects.len());
    for p in projects {
        sets.push(store::load(db, p).await.map_err(ApiError::internal)?);
    }
    let mut range: Option<(NaiveDate, NaiveDate, NaiveDate)> = None;
    for set in &sets {
        let (f, t, a) = asked.resolve(set)?;
        range = Some(match range {
            None => (f, t, a),
            Some((rf, rt, ra)) => (rf.min(f), rt.max(t), ra.max(a)),
        });
    }
    let Some((mut from, to, as_of)) = range else {
        let today = crate::reports::today(&crate::reference::ReferenceSet::empty(""));
        let m = crate::funds::wages::first_day(today);
        return Ok((cashflow::company(&[], m, m, today), Vec::new()));
    };
    // The widest range may exceed the limit: keep its last months.
    if cashflow::check_range(from, to).is_err() {
        from = to.checked_sub_months(chrono::Months::new(cashflow::MAX_MONTHS - 1)).unwrap_or(to);
    }
    let mut reports = Vec::with_capacity(sets.len());
    for set in &sets {
        reports.push(cashflow::report(db, set, from, to, as_of).await?);
    }
    Ok((cashflow::company(&reports, from, to, as_of), reports))
}

async fn company_projects(db: &Db, grant: &TokenGrant) -> Result<Vec<String>, ApiError> {
    if !grant.role.manages() {
        return Err(ApiError::forbidden(format!(
            "a {} token cannot read the company view; it sums the projects an admin administers",
            grant.role
        )));
    }
    let person = device_person(db, &grant.device_id).await.map_err(ApiError::internal)?;
    let mut projects = match person {
        Some(p) => administered(db, &p).await.map_err(ApiError::internal)?,
        None => Vec::new(),
    };
    if !projects.contains(&grant.project_id) {
        projects.insert(0, grant.project_id.clone());
    }
    Ok(projects)
}

/// `GET /v1/funds/cashflow`
#[utoipa::path(
    get,
    path = "/v1/funds/cashflow",
    operation_id = "funds_cashflow",
    tag = "funds",
    params(CashflowQuery),
    responses(
        (
            status = 200,
            description = "The project's cash flow by month and its payables by age (`scope=company`: \
                           `CompanyCashflow`, the administered projects summed per currency), or that as a file",
            content(
                (CashflowAnswer = "application/json"),
                (String = "text/csv"),
                (super::funds::SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )
        ),
        (status = 400, description = "A bad parameter, named with what it accepts", body = ErrorBody),
        (status = 403, description = "A foreman's token, or the company view without an admin token", body = ErrorBody),
    )
)]
pub async fn cashflow(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<CashflowQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let asked = q.read()?;
    let words = Words::from_query(q.lang.as_deref());
    match q.scope.as_deref().unwrap_or("project") {
        "project" | "" => {
            let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
            let (from, to, as_of) = asked.resolve(&set)?;
            let report = cashflow::report(&state.db, &set, from, to, as_of).await?;
            match asked.format {
                Format::Json => Ok(Json(CashflowAnswer::Project(Box::new(report))).into_response()),
                Format::File(f) => {
                    let table = if asked.payables { report.payables_table(words) } else { report.table(words) };
                    Ok(export::download(&report.file_name(words, asked.payables), f, &table)?)
                }
            }
        }
        "company" => {
            let projects = company_projects(&state.db, &grant).await?;
            let (company, _) = company_view(&state.db, &projects, &asked).await?;
            match asked.format {
                Format::Json => Ok(Json(CashflowAnswer::Company(Box::new(company))).into_response()),
                Format::File(f) => Ok(export::download(&company.file_name(words), f, &company.table(words))?),
            }
        }
        other => Err(ApiError::bad_request("scope", format!("{other:?} is not one of project, company"))),
    }
}
