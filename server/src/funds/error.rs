//! The funds centre's errors: each names the field (or the file's row and column) and the limit, and
//! answers as the API's JSON error body. Screens read `field` and `message` the same way.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// One refused row of an uploaded file: its row as the spreadsheet numbers it (the header is row
/// 1), the column (letter and header) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// The 422 answer of an upload: the API's error body; when rows were refused (nothing imported)
/// also the rows (`field` then names the first problem's row and column). A file refused as a whole
/// (no name column) has the error body alone.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileRefusal {
    /// `invalid`.
    pub error: &'static str,
    pub field: Option<String>,
    pub message: String,
    /// The first [`MAX_LISTED`] problems.
    #[schema(required = false)]
    pub errors: Vec<RowProblem>,
    /// Problems beyond those listed.
    #[schema(required = false)]
    pub more_errors: usize,
}

/// Most problems one answer lists; the rest are counted.
pub const MAX_LISTED: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum FundsError {
    /// 400: not readable as asked (a malformed date, an unknown kind, a file that is not CSV/XLSX).
    #[error("{field}: {message}")]
    BadInput { field: String, message: String },
    /// 422: readable but not valid (an ID number whose check digit fails, an amount of 0).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// 404: nothing of that id in the caller's project.
    #[error("{field}: {message}")]
    NotFound { field: String, message: String },
    /// 409: refused because of what is stored (a duplicate ID number, a file imported before).
    #[error("{field}: {message}")]
    Conflict { field: String, message: String },
    /// 413: past a size or row limit.
    #[error("{field}: {message}")]
    TooLarge { field: String, message: String },
    /// 422: an upload's rows refused, nothing written; the first [`MAX_LISTED`] listed.
    #[error("{} problem(s) in the file", .problems.len() + .more)]
    Rows { problems: Vec<RowProblem>, more: usize },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("publishing the roster to phones: {0}")]
    Publish(#[from] crate::reference::ReferenceError),
    /// A report's error (the wage ledger, cash flow), answered as the reports answer it.
    #[error("{0}")]
    Report(#[from] crate::reports::ReportError),
}

pub type FundsResult<T> = Result<T, FundsError>;

impl FundsError {
    pub fn bad(field: &str, message: impl Into<String>) -> Self {
        FundsError::BadInput { field: field.into(), message: message.into() }
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        FundsError::Invalid { field: field.into(), message: message.into() }
    }
    pub fn not_found(field: &str, message: impl Into<String>) -> Self {
        FundsError::NotFound { field: field.into(), message: message.into() }
    }
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        FundsError::Conflict { field: field.into(), message: message.into() }
    }
    pub fn too_large(field: &str, message: impl Into<String>) -> Self {
        FundsError::TooLarge { field: field.into(), message: message.into() }
    }

    /// Rows refused: the first [`MAX_LISTED`] kept.
    pub fn rows(mut problems: Vec<RowProblem>) -> Self {
        let more = problems.len().saturating_sub(MAX_LISTED);
        problems.truncate(MAX_LISTED);
        FundsError::Rows { problems, more }
    }

    /// The field a person should look at (`None` for internal errors).
    pub fn field(&self) -> Option<String> {
        match self {
            FundsError::BadInput { field, .. }
            | FundsError::Invalid { field, .. }
            | FundsError::NotFound { field, .. }
            | FundsError::Conflict { field, .. }
            | FundsError::TooLarge { field, .. } => Some(field.clone()),
            FundsError::Rows { problems, .. } => problems.first().map(|p| format!("row {} {}", p.row, p.column)),
            FundsError::Report(crate::reports::ReportError::BadInput(field, _)) => Some(field.to_string()),
            FundsError::Sql(_) | FundsError::Publish(_) | FundsError::Report(_) => None,
        }
    }
}

impl From<FundsError> for ApiError {
    fn from(e: FundsError) -> Self {
        match e {
            FundsError::BadInput { field, message } => ApiError::bad_request(&field, message),
            FundsError::Invalid { field, message } => ApiError::unprocessable(&field, message),
            FundsError::NotFound { field, message } => ApiError::not_found(&field, message),
            FundsError::Conflict { field, message } => ApiError::conflict(&field, message),
            FundsError::TooLarge { field, message } => ApiError::too_large(&field, message),
            FundsError::Rows { ref problems, more } => {
                let first = problems.first().map(|p| format!("row {}, {}: {}", p.row, p.column, p.message));
                ApiError::unprocessable(
                    "file",
                    format!(
                        "nothing was imported: {} problem(s), first: {}",
                        problems.len() + more,
                        first.unwrap_or_default()
                    ),
                )
            }
            FundsError::Sql(e) => ApiError::internal(e),
            FundsError::Publish(e) => ApiError::internal(e),
            FundsError::Report(e) => ApiError::from(e),
        }
    }
}

/// The API's error body; a refused file also lists its rows (`errors`, `more_errors`).
impl IntoResponse for FundsError {
    fn into_response(self) -> Response {
        if let FundsError::Rows { problems, more } = &self {
            let first = problems.first();
            let body = FileRefusal {
                error: "invalid",
                field: first.map(|p| format!("row {} {}", p.row, p.column)),
                message: format!(
                    "nothing was imported: {} problem(s), first: {}",
                    problems.len() + more,
                    first.map(|p| format!("row {}, {}: {}", p.row, p.column, p.message)).unwrap_or_default()
                ),
                errors: problems.clone(),
                more_errors: *more,
            };
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
        }
        ApiError::from(self).into_response()
    }
}
