//! The office's HTTP API for reference data: read by supervisors, managed by admins (JSON edits and
//! CSV/XLSX imports). Each within the token's project (docs/approvals-and-ledgers.md, "Reference
//! data").

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Admin, Reader};
use crate::error::ApiError;
use crate::reference::edit::{self, DeleteError};
use crate::reference::store::ImportSummary;
use crate::reference::table::{RawTable, Table};
use crate::reference::{CellError, ReferenceSet, import, store};
use crate::state::AppState;

/// `GET /v1/reference`: the project's reference data with budgets.
#[utoipa::path(
    get,
    path = "/v1/reference",
    summary = "The project's reference data",
    description = "The project (currency, hours per day), sites, cost codes with budgets, activities with their plans, trades with rates, expense categories and the active roster.",
    operation_id = "reference_get",
    tag = "reference",
    responses(
        (status = 200, description = "The project, its sites, cost codes with budgets, activities, trades, expense categories and active roster", body = ReferenceSet),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "A role that may not read reference data", body = crate::openapi::ErrorBody),
    )
)]
pub async fn reference(Reader(grant): Reader, State(state): State<AppState>) -> Result<Json<ReferenceSet>, ApiError> {
    let set = store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    Ok(Json(set))
}

#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The table a CSV file holds (required for CSV): `project`, `sites`, `cost_codes`,
    /// `activities`, `trades` or `expense_categories`. With a workbook: import only that sheet.
    #[param(example = "cost_codes")]
    pub table: Option<String>,
}

/// What an import or an edit wrote.
#[derive(Debug, Serialize, ToSchema)]
pub struct Imported {
    /// Rows written per table.
    pub imported: ImportSummary,
}

/// A refused import or edit (422, nothing written): the usual error fields and the problems found,
/// each naming its table, spreadsheet row and column (as `crate::reference::ReferenceError`
/// answers).
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceProblems {
    /// `invalid`.
    pub error: String,
    /// The first problem's `table.column`.
    pub field: Option<String>,
    pub message: String,
    /// The first 100 problems, in the order found.
    pub errors: Vec<CellError>,
    /// Problems found beyond the listed ones.
    pub more_errors: usize,
}

/// A row as sent: column name to text, or null for none (amounts as decimal text, e.g. `"1250.00"`;
/// numbers are refused). The key column comes from the path.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // The description of `put_row`'s body (it reads a map of JSON values).
pub struct ReferenceRow(BTreeMap<String, Option<String>>);

/// The project's own settings; an absent field is kept.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // The description of `put_project`'s body (it reads a map of JSON values).
pub struct ProjectEdit {
    pub name: Option<String>,
    /// ISO 4217 code, e.g. `CNY`.
    pub currency: Option<String>,
    /// Hours in one day's pay, as decimal text; null or `""` returns to the default, 8.
    pub hours_per_day: Option<String>,
    /// Sync scopes: days of a site's records phones hold, today included (1 to 366; default 14).
    #[schema(minimum = 1, maximum = 366)]
    pub scope_window_days: Option<u32>,
    /// Sync scopes: days of a person's own records their phones hold (1 to 3650); null or `""`:
    /// all of them (the default).
    #[schema(minimum = 1, maximum = 3650)]
    pub scope_own_days: Option<u32>,
}

fn table_param(t: Option<String>) -> Result<Option<Table>, ApiError> {
    t.filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<Table>().map_err(|m| ApiError::bad_request("table", m)))
        .transpose()
}

/// `POST /v1/reference/import?table=`: an XLSX workbook (a sheet per table) or a CSV file (one
/// table, named by `table`). All or nothing.
#[utoipa::path(
    post,
    path = "/v1/reference/import",
    summary = "Import reference data from a file",
    description = "An XLSX workbook (a sheet per table) or a CSV file (one table, named by `table`), sent as the request body. All or nothing: a refused import lists its problems by table, row and column. Admin tokens.",
    operation_id = "reference_import",
    tag = "reference",
    params(ImportQuery),
    request_body(
        description = "The file itself as the body (not multipart): an XLSX workbook (recognised by its bytes, \
                       whatever the Content-Type) or a UTF-8 CSV file with a header row; at most 16 MB and the server's request limit",
        content(
            (crate::api::BinaryBody = "text/csv"),
            (crate::api::BinaryBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (crate::api::BinaryBody = "application/octet-stream"),
        )
    ),
    responses(
        (status = 200, description = "Imported: rows written per table", body = Imported),
        (status = 400, description = "An empty or unreadable file, a CSV without `table`, or an unknown table", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::openapi::ErrorBody),
        (status = 413, description = "Larger than the server's request limit", body = crate::openapi::ErrorBody),
        (status = 422, description = "Nothing imported: the problems, by table, row and column", body = ReferenceProblems),
    )
)]
pub async fn import_file(
    Admin(grant): Admin,
    State(state): State<AppState>,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    // A body past the request limit answers JSON like every other error (axum's own answer is text).
    let body = body.map_err(|e| {
        let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { "too_large" } else { "invalid" };
        ApiError::new(e.status(), code, "file", e.body_text())
    })?;
    let table = table_param(q.table)?;
    if body.is_empty() {
        return Err(ApiError::bad_request("file", "the request body is empty: send the CSV or XLSX file"));
    }
    let tables = match import::read_file(&body, table) {
        Ok(t) => t,
        Err(e) => return Ok(e.into_response()),
    };
    Ok(match store::import(&state.db, &state.cache, &grant.project_id, &tables).await {
        Ok(summary) => Json(Imported { imported: summary }).into_response(),
        Err(e) => e.into_response(),
    })
}

/// `PUT /v1/reference/{table}/{key}` with `{column: "text" | null, …}`: one row, added or changed.
#[utoipa::path(
    put,
    path = "/v1/reference/{table}/{key}",
    operation_id = "reference_put_row",
    summary = "Add or change one row",
    description = "One row of a reference table, its key from the path, its other columns as text (null: empty). Checked as an import is. Admin tokens.",
    tag = "reference",
    params(
        ("table" = String, Path, description = "`sites`, `cost_codes`, `activities`, `trades` or `expense_categories` \
                                                (`project`: use `PUT /v1/reference/project`)"),
        ("key" = String, Path, description = "The row's key: a site's or activity's id, a cost code, a trade's or category's name/code"),
    ),
    request_body(content = ReferenceRow, description = "The row's columns (see docs/approvals-and-ledgers.md, \"Reference data\"); absent columns are empty"),
    responses(
        (status = 200, description = "Written (the phones' reference document is republished)", body = Imported),
        (status = 400, description = "An unknown table, or a value that is not text", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::openapi::ErrorBody),
        (status = 422, description = "Nothing written: the problems, by column", body = ReferenceProblems),
    )
)]
pub async fn put_row(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path((table, key)): Path<(String, String)>,
    body: Result<Json<BTreeMap<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let table = table.parse::<Table>().map_err(|m| ApiError::bad_request("table", m))?;
    let Json(fields) = body.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let key_column = table.columns()[0].0;
    let mut cells = Vec::new();
    if table != Table::Project {
        cells.push((key_column.to_string(), key));
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
        cells.push((k, text));
    }
    let raw = RawTable::one_row(table, cells);
    Ok(match store::import(&state.db, &state.cache, &grant.project_id, &[raw]).await {
        Ok(summary) => Json(Imported { imported: summary }).into_response(),
        Err(e) => e.into_response(),
    })
}

/// What a delete removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: DeletedRow,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedRow {
    pub table: &'static str,
    pub key: String,
}

/// `DELETE /v1/reference/{table}/{key}`: one row, only while nothing uses it (409 naming what
/// does: postings, records, child cost codes, activities); the phones' document is republished.
#[utoipa::path(
    delete,
    path = "/v1/reference/{table}/{key}",
    operation_id = "reference_delete_row",
    summary = "Delete one row",
    description = "Only while nothing uses it: a 409 names the postings, records, child cost codes or activities that do. Admin tokens.",
    tag = "reference",
    params(
        ("table" = String, Path, description = "`sites`, `cost_codes`, `activities`, `trades` or `expense_categories`"),
        ("key" = String, Path, description = "The row's key"),
    ),
    responses(
        (status = 200, description = "Deleted (the phones' reference document is republished)", body = Deleted),
        (status = 400, description = "An unknown table, or `project`", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such row", body = crate::openapi::ErrorBody),
        (status = 409, description = "The row is in use (the uses are named)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn delete_row(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path((table, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let table = table.parse::<Table>().map_err(|m| ApiError::bad_request("table", m))?;
    match edit::delete(&state.db, &state.cache, &grant.project_id, table, &key).await {
        Ok(()) => Ok(Json(Deleted { deleted: DeletedRow { table: table.as_str(), key } }).into_response()),
        Err(DeleteError::Missing) => Err(ApiError::not_found("key", format!("{} has no row {key:?}", table.as_str()))),
        Err(DeleteError::Project) => Err(ApiError::bad_request("table", "the project itself cannot be deleted")),
        Err(DeleteError::InUse(uses)) => {
            let uses: Vec<String> = uses.iter().map(edit::Use::words).collect();
            Err(ApiError::conflict("key", format!("{key:?} cannot be deleted while it is used: {}", uses.join("; "))))
        }
        Err(DeleteError::Reference(e)) => Ok(e.into_response()),
    }
}

/// `PUT /v1/reference/project` with `{name?, currency?, hours_per_day?, scope_window_days?,
/// scope_own_days?}` (an absent field is kept; `hours_per_day` null or `""` returns to the
/// default, 8; `scope_own_days` null or `""`: all).
#[utoipa::path(
    put,
    path = "/v1/reference/project",
    summary = "Change the project's settings",
    description = "`name`, `currency`, `hours_per_day`, `scope_window_days` (1 to 366), `scope_own_days` (1 to 3650): an absent field is kept; `hours_per_day` null or `\"\"` returns to the default, 8; `scope_own_days` null or `\"\"`: all of a person's own records. Admin tokens.",
    operation_id = "reference_put_project",
    tag = "reference",
    request_body = ProjectEdit,
    responses(
        (status = 200, description = "Written (the phones' reference document is republished)", body = Imported),
        (status = 400, description = "A body that does not read, a value that is not text, or a scope setting out of its range (nothing written)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::openapi::ErrorBody),
        (status = 409, description = "Scope settings for a project that has no settings yet (give it a name and currency first)", body = crate::openapi::ErrorBody),
        (status = 422, description = "Nothing written: the problems, by column", body = ReferenceProblems),
    )
)]
pub async fn put_project(
    admin: Admin,
    state: State<AppState>,
    body: Result<Json<BTreeMap<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(mut fields) = body.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    // The sync-scope settings are checked first (nothing is written when one is out of range),
    // and written after the reference columns, which may refuse (422).
    let scope = crate::scope_facts::ProjectScope::take_from(&mut fields)?;
    if scope.is_empty() || !fields.is_empty() {
        let written =
            put_row(admin.clone(), state.clone(), Path(("project".to_string(), String::new())), Ok(Json(fields)))
                .await?;
        if scope.is_empty() || !written.status().is_success() {
            return Ok(written);
        }
    }
    let Admin(grant) = admin;
    crate::scope_facts::set_project_scope(&state.db, &grant.project_id, scope).await?;
    Ok(Json(Imported { imported: ImportSummary { project: 1, ..ImportSummary::default() } }).into_response())
}
