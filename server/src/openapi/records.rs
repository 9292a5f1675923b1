//! OpenAPI: the operations of this area (see `super`): health and metrics, the sync, records and
//! their decisions, postings, reference data, reports, photo uploads (tus) and blob reads. Each
//! handler carries its `#[utoipa::path]`; the list is below.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::api::healthz,
        crate::metrics::endpoint,
        crate::api::whoami,
        crate::sync::handler,
        crate::api::approvals::pending,
        crate::api::approvals::record,
        crate::api::approvals::approve,
        crate::api::approvals::reject,
        crate::api::approvals::resolve,
        crate::api::approvals::postings,
        crate::api::reference::reference,
        crate::api::reference::import_file,
        crate::api::reference::put_project,
        crate::api::reference::put_row,
        crate::api::reference::delete_row,
        crate::api::reports::cost_report,
        crate::api::reports::schedule_report,
        crate::api::reports::labour_summary,
        crate::blobs::tus::create,
        crate::blobs::tus::options,
        crate::blobs::tus::status,
        crate::blobs::tus::patch,
        crate::blobs::tus::terminate,
        upload_options,
        crate::blobs::tus::original,
        crate::blobs::tus::thumbnail,
        crate::blobs::tus::preview,
    ),
    // Schemas only parameters name (a path's `params` tuples do not collect them).
    components(schemas(crate::api::reports::ReportFormat, crate::api::reports::ReportLang)),
    tags(
        (name = "health", description = "Is the server up, what does a token grant, metrics"),
        (name = "sync", description = "Documents in and out (CBOR; docs/sync-protocol.md)"),
        (name = "records", description = "Supervisors' records, decisions and the postings they make"),
        (name = "reference", description = "The project's reference data (sites, cost codes, activities, trades, categories)"),
        (name = "reports", description = "Cost, schedule and labour reports, as JSON or files"),
        (name = "uploads", description = "Photo uploads (tus 1.0: creation, checksum, termination, expiration) and photo reads"),
    )
)]
/// This area's operations (their response links are written as OpenAPI names them by
/// `super::camel_case_links`).
pub struct Api;

/// `OPTIONS /v1/uploads/{id}`: the same handler as `OPTIONS /v1/uploads`
/// (`crate::blobs::tus::options`); an operation needs a function of its own to be described.
#[utoipa::path(
    options,
    path = "/v1/uploads/{id}",
    tag = "uploads",
    operation_id = "upload_options_of_one",
    summary = "tus capabilities (at an upload)",
    description = "The same answer as `OPTIONS /v1/uploads`.",
    params(("id" = String, Path, description = "Any upload id: the answer is the server's capabilities")),
    responses(
        (status = 204, description = "What this tus server supports",
         headers(
            ("Tus-Resumable" = String, description = "`1.0.0`"),
            ("Tus-Version" = String, description = "`1.0.0`"),
            ("Tus-Extension" = String, description = "`creation,checksum,termination,expiration`"),
            ("Tus-Max-Size" = u64, description = "The largest upload, in bytes"),
            ("Tus-Checksum-Algorithm" = String, description = "`sha1,sha256`"),
         )),
        (status = 401, description = "No valid token", body = super::ErrorBody),
    )
)]
#[allow(dead_code)] // A description only: the route calls `crate::blobs::tus::options`.
fn upload_options() {}
