//! The office's HTTP API for reference data: read by supervisors, managed by admins (JSON edits and
//! CSV/XLSX imports). Each within the token's project (docs/approvals-and-ledgers.md, "Reference
//! data").

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Admin, Reader};
use crate::error::ApiError;
use crate::reference::edit::{self, DeleteError};
use crate::reference::table::{RawTable, Table};
use crate::reference::{import, store};
use crate::state::AppState;

/// `GET /v1/reference`: the project's reference data with budgets.
pub async fn reference(Reader(grant): Reader, State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
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
    Admin(grant): Admin,
    State(state): State<AppState>,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
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
        Ok(summary) => Json(json!({ "imported": summary })).into_response(),
        Err(e) => e.into_response(),
    })
}

/// `DELETE /v1/reference/{table}/{key}`: one row, only while nothing uses it (409 naming what
/// does: postings, records, child cost codes, activities); the phones' document is republished.
pub async fn delete_row(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path((table, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let table = table.parse::<Table>().map_err(|m| ApiError::bad_request("table", m))?;
    match edit::delete(&state.db, &state.cache, &grant.project_id, table, &key).await {
        Ok(()) => Ok(Json(json!({ "deleted": { "table": table.as_str(), "key": key } })).into_response()),
        Err(DeleteError::Missing) => Err(ApiError::not_found("key", format!("{} has no row {key:?}", table.as_str()))),
        Err(DeleteError::Project) => Err(ApiError::bad_request("table", "the project itself cannot be deleted")),
        Err(DeleteError::InUse(uses)) => {
            let uses: Vec<String> = uses.iter().map(edit::Use::words).collect();
            Err(ApiError::conflict("key", format!("{key:?} cannot be deleted while it is used: {}", uses.join("; "))))
        }
        Err(DeleteError::Reference(e)) => Ok(e.into_response()),
    }
}

/// `PUT /v1/reference/project` with `{name?, currency?, hours_per_day?}` (an absent field is kept;
/// `hours_per_day` null or `""` returns to the default, 8).
pub async fn put_project(
    admin: Admin,
    state: State<AppState>,
    body: Result<Json<BTreeMap<String, Value>>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    put_row(admin, state, Path(("project".to_string(), String::new())), body).await
}
