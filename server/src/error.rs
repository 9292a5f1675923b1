//! The one error type handlers return: a status and a JSON body naming the problem. Internal errors
//! are logged, never leaked. The constructors below are the statuses handlers answer with; the
//! `From` impls map the ledger's and the reports' errors to them, and reference data's errors
//! answer the same way (with the list of an import's problems).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::ledger::LedgerError;
use crate::reference::ReferenceError;
use crate::reports::ReportError;

#[derive(Debug, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub field: Option<String>,
    pub message: String,
}

impl ApiError {
    /// Any status, with its code and the field it concerns.
    pub fn new(status: StatusCode, code: &'static str, field: &str, message: impl Into<String>) -> Self {
        ApiError { status, code, field: Some(field.to_string()), message: message.into() }
    }

    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid",
            field: Some(field.into()),
            message: message.into(),
        }
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            field: Some("authorization".into()),
            message: message.into(),
        }
    }

    /// 403: the token's role may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "authorization", message)
    }

    /// 404: nothing of that name in the caller's project.
    pub fn not_found(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", field, message)
    }

    /// 408: the request took longer than the limit (`field` None: the whole request).
    pub fn timeout(field: Option<&str>, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            code: "timeout",
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// 409: refused because of the current state.
    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "conflict", field, message)
    }

    /// 413: past a size limit.
    pub fn too_large(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", field, message)
    }

    /// 422: well-formed, but not valid.
    pub fn unprocessable(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", field, message)
    }

    /// 423: another request holds it.
    pub fn locked(field: &str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::LOCKED, "locked", field, message)
    }

    /// 503: busy now; retrying later will work (the router adds `Retry-After`).
    pub fn busy(field: Option<&str>, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "busy",
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            field: None,
            message: "internal error".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.code, "field": self.field, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::NoSuchRecord(id) => ApiError::not_found("id", format!("no record {id} in your project")),
            LedgerError::BadInput(field, m) => ApiError::bad_request(field, m),
            LedgerError::UnknownHeads(h) => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_version",
                "heads",
                format!("the record has no change {}; read the record again", h.join(", ")),
            ),
            LedgerError::Conflicts(c) => {
                let listed: Vec<String> = c.iter().map(|f| format!("{} ({})", f.path, f.values.join(" | "))).collect();
                ApiError::new(
                    StatusCode::CONFLICT,
                    "conflicts",
                    c.first().map_or("heads", |f| f.path.as_str()),
                    format!("resolve the concurrent values first: {}", listed.join("; ")),
                )
            }
            LedgerError::Invalid(v) => ApiError::unprocessable(&v.field, v.reason),
            LedgerError::Schema(e) => {
                ApiError::unprocessable("heads", format!("that version is not a readable record: {e}"))
            }
            LedgerError::State(field, m) => ApiError::conflict(field, m),
            LedgerError::Busy => ApiError::busy(Some("id"), "the record kept changing; retry"),
            LedgerError::Sql(e) => ApiError::internal(e),
            LedgerError::Docs(e) => ApiError::internal(e),
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::BadInput(field, m) => ApiError::bad_request(field, m),
            ReportError::Sql(e) => ApiError::internal(e),
            ReportError::Export(e) => ApiError::internal(e),
        }
    }
}

/// A refused import lists its problems (`errors`, `more_errors`) beside the usual body.
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
