//! Daily reports (日报 / 施工日志, issue 23; docs/daily-reports.md): one site's day assembled from its
//! records, kept as numbered versions with the record versions each was made from, shown as a
//! printable page and a PDF.
//!
//! * `model`: what a report holds (data, no words);
//! * `assemble`: the day's records read into the model;
//! * `store`: versions (table `daily_reports`), the fingerprint that says when to make a new one,
//!   the calendar, the PDF cache;
//! * `worker`: regenerates the days whose records changed once they settle, and enqueues
//!   `daily_report.ready`;
//! * `pdf`: the model as a PDF in English or Chinese (crate `report-pdf`).

pub mod assemble;
pub mod model;
pub mod pdf;
pub mod store;
pub mod worker;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// Why a daily report could not be read, made or rendered.
#[derive(Debug, thiserror::Error)]
pub enum DailyReportError {
    /// Input that cannot be understood (field, reason).
    #[error("{0}: {1}")]
    BadInput(&'static str, String),
    /// Nothing of that name (field, reason): a day without records, a version that was never made.
    #[error("{0}: {1}")]
    NotFound(&'static str, String),
    /// No CJK font to draw the PDF with (how to fix it).
    #[error("report font: {0}")]
    NoFont(String),
    #[error("PDF: {0}")]
    Render(String),
    /// Other generations of the same day kept getting in first; retrying later will work.
    #[error("the day's report kept changing; retry")]
    Busy,
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("records: {0}")]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("observations: {0}")]
    Observations(#[from] crate::observations::ObservationError),
    #[error("documents: {0}")]
    Docs(#[from] crate::docstore::DocStoreError),
    #[error("stored report: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<DailyReportError> for ApiError {
    fn from(e: DailyReportError) -> Self {
        match e {
            DailyReportError::BadInput(field, m) => ApiError::bad_request(field, m),
            DailyReportError::NotFound(field, m) => ApiError::not_found(field, m),
            DailyReportError::NoFont(m) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_font",
                "report_font",
                format!(
                    "no font to draw the PDF with ({m}): install Debian's fonts-noto-cjk, or start the server \
                     with --report-font FILE (FIELDLEDGER_REPORT_FONT) naming a CJK TrueType/OpenType font"
                ),
            ),
            DailyReportError::Busy => ApiError::busy(Some("date"), "the day's report kept changing; retry"),
            e @ (DailyReportError::Render(_)
            | DailyReportError::Sql(_)
            | DailyReportError::Ledger(_)
            | DailyReportError::Observations(_)
            | DailyReportError::Docs(_)
            | DailyReportError::Json(_)) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for DailyReportError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
