//! OpenAPI: the operations of this area (see `super`). Each handler carries its
//! `#[utoipa::path]`; list it in `paths(...)` below.
//!
//! Funds (`api::funds`, `api::funds_ledger`, `api::funds_cashflow`; issue 21): office and admin
//! tokens, except the cash flow (every reader). Observations' follow-up (`api::observations`) and
//! the risk register (`api::risks`; issue 22): readers read, supervisors and admins act. The
//! schemas are the handlers' own response and request types, so the description cannot drift.

use utoipa::OpenApi;
use utoipa::openapi::{OpenApi as Spec, RefOr};

/// This area's operations, with their response links (a listed observation to its actions, a new
/// risk, worker, payment or batch to its own operations) written as OpenAPI names them.
pub struct Api;

impl OpenApi for Api {
    fn openapi() -> Spec {
        let mut spec = Operations::openapi();
        camel_case_links(&mut spec);
        spec
    }
}

/// utoipa 5.5 serializes a link's fields in snake case (`operation_id`), which OpenAPI tools do not
/// read (Schemathesis: invalid links): each link is written again with OpenAPI's names in the
/// response's extensions, in place of the emptied `links` (as `super::records` does).
fn camel_case_links(spec: &mut Spec) {
    for item in spec.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else { continue };
                if response.links.is_empty() {
                    continue;
                }
                let mut links = serde_json::Map::new();
                for (name, link) in std::mem::take(&mut response.links) {
                    let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&link) else { continue };
                    let renamed = fields.into_iter().map(|(k, v)| match k.as_str() {
                        "operation_id" => ("operationId".to_string(), v),
                        "operation_ref" => ("operationRef".to_string(), v),
                        "request_body" => ("requestBody".to_string(), v),
                        _ => (k, v),
                    });
                    links.insert(name, serde_json::Value::Object(renamed.collect()));
                }
                response.extensions.get_or_insert_with(Default::default).insert("links".into(), links.into());
            }
        }
    }
}

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
struct Operations;
