//! JSON API of the portfolio (issue 22): `GET /v1/portfolio?at=&format=json|csv|xlsx&lang=`, every
//! project's CPI, SPI, SV(t), SPI(t), EAC vs BAC, forecast finish, open high risks and wage
//! arrears, worst first (`reports::portfolio`). An admin token sees every project of the company;
//! any other reader's token its own project (a token has one project; people with several projects
//! see theirs on `/web/portfolio`).

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};

use super::reports::LangParam;
use crate::access::people;
use crate::auth::Reader;
use crate::error::ApiError;
use crate::reports::export::{self, Words};
use crate::reports::portfolio;
use crate::reports::query::{Format, ReportQuery};
use crate::state::AppState;

/// `?format=`: the portfolio as JSON or as a file.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PortfolioFormat {
    Json,
    Csv,
    Xlsx,
}

/// The projects a token's portfolio holds: an admin's every project, else its own.
pub async fn projects_for(state: &AppState, grant: &crate::db::TokenGrant) -> Result<Vec<String>, ApiError> {
    if grant.role.manages() {
        let all = people::projects_of(&state.db, "", true).await.map_err(ApiError::internal)?;
        Ok(all.into_iter().map(|p| p.project_id).collect())
    } else {
        Ok(vec![grant.project_id.clone()])
    }
}

/// `GET /v1/portfolio?at=&format=&lang=`: `at` blank is each project's own today.
#[utoipa::path(
    get,
    path = "/v1/portfolio",
    tag = "portfolio",
    operation_id = "get_portfolio",
    params(
        ("at" = Option<String>, Query, format = Date, pattern = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", description = "The status date (YYYY-MM-DD, 2000-01-01 to 2100-12-31); blank: each project's own today"),
        ("format" = Option<PortfolioFormat>, Query, description = "json (default), or a csv or xlsx download of the same table"),
        ("lang" = Option<String>, Query, description = "A download's headers and file name: en or zh-CN; otherwise the stable column keys"),
    ),
    responses(
        (status = 200, description = "Every project the token may see (an admin's: the company's; else its own), worst first",
            content(
                (crate::reports::portfolio::Portfolio = "application/json"),
                (String = "text/csv; charset=utf-8"),
                (crate::api::BinaryBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ),
            headers(("Content-Disposition" = String, description = "A download's file name (csv and xlsx)"))),
        (status = 400, description = "A bad `at` or `format`", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "A foreman's token: reports are for readers", body = crate::openapi::ErrorBody),
    )
)]
pub async fn get_portfolio(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, axum::extract::rejection::QueryRejection>,
    lang: Result<Query<LangParam>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let format = q.format()?;
    let at = q.at()?;
    let projects = projects_for(&state, &grant).await?;
    let p = portfolio::portfolio(&state.db, &projects, at).await?;
    match format {
        Format::Json => Ok(Json(p).into_response()),
        Format::File(f) => {
            let w = Words::from_query(lang.ok().and_then(|Query(l)| l.lang).as_deref());
            let today = crate::reports::today_in(None);
            Ok(export::download(&p.file_name(w, today), f, &p.table(w))?)
        }
    }
}
