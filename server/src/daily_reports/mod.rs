//! Daily reports (日报 / 施工日志, issue 23; docs/daily-reports.md): one site's day assembled from its
//! records, kept as numbered versions with the record versions each was made from, shown as a
//! printable page and a PDF.
//!
//! * `model`: what a report holds (data, no words);
//! * `assemble`: the day's records read into the model;
//! * `store`: versions (table `daily_reports`), the fingerprint that says when to make a new one,
//!   the calendar, the PDF cache, the worker that regenerates changed days and enqueues
//!   `daily_report.ready`;
//! * `pdf`: the model as a PDF in English or Chinese (crate `report-pdf`).

pub mod model;
