//! OpenAPI: the operations of this area (see `super`). Each handler carries its
//! `#[utoipa::path]`; list it in `paths(...)` below.
//!
//! Funds (`api::funds`, `api::funds_ledger`, `api::funds_cashflow`; issue 21): office and admin
//! tokens, except the cash flow (every reader). Observations' follow-up (`api::observations`) and
//! the risk register (`api::risks`; issue 22): readers read, supervisors and admins act. The
//! schemas are the handlers' own response and request types, so the description cannot drift.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::api::funds_ledger::wages,
        crate::api::funds_ledger::arrears,
        crate::api::funds_cashflow::cashflow,
        crate::api::funds::list_workers,
        crate::api::funds::create_worker,
        crate::api::funds::import_workers,
        crate::api::funds::proposed_workers,
        crate::api::funds::confirm_proposed,
        crate::api::funds::update_worker,
        crate::api::funds::list_payments,
        crate::api::funds::record_payment,
        crate::api::funds::cancel_payment,
        crate::api::funds::list_batches,
        crate::api::funds::import_batch,
        crate::api::funds::get_batch,
        crate::api::funds::list_allocations,
        crate::api::funds::record_allocation,
        crate::api::funds::get_settings,
        crate::api::funds::put_settings,
        crate::api::observations::list,
        crate::api::observations::get,
        crate::api::observations::assign,
        crate::api::observations::close,
        crate::api::observations::reopen,
        crate::api::observations::comment,
        crate::api::risks::promote_observation,
        crate::api::risks::list,
        crate::api::risks::create,
        crate::api::risks::matrix,
        crate::api::risks::one,
        crate::api::risks::edit,
        crate::api::risks::close,
        crate::api::risks::reopen,
    ),
    tags(
        (name = "funds", description = "Wages, arrears, cash flow, the real-name roster, payments, bank batches, \
                                         allocations (issue 21; docs/funds-and-wages.md). ID, card and phone \
                                         numbers are only ever answered masked."),
        (name = "observations", description = "Field observations and their follow-up (issue 22; docs/observations.md)"),
        (name = "risks", description = "The risk register and its 5×5 matrix (issue 22; docs/risks.md)"),
    )
)]
/// This area's operations (their response links are written as OpenAPI names them by
/// `super::camel_case_links`).
pub struct Api;
