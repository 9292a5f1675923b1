//! The JSON API described as OpenAPI 3.1 (issue 24), assembled from each area's `#[utoipa::path]`
//! handlers: `records.rs` (health, sync, records and approvals, reference data, reports, photo
//! uploads), `access.rs` (devices, pairing, people, webhooks, portfolio, daily reports) and
//! `funds_and_risks.rs` (funds and wages, observations, risks). Served as JSON at
//! `/v1/openapi.json` and as a browsable page at `/v1/docs` (`page.rs`, no script, no CDN).
//! `server/tests/openapi_routes.rs` fails when a route of `crate::routes` is missing here.
//!
//! What every operation shares is added here, once: the bearer token (unless the operation says
//! `security(())`, public) and a `default` response with the error body (`ErrorBody`), so a 4xx or
//! 5xx the operation does not list still matches the description.

mod access;
mod funds_and_risks;
pub mod page;
mod records;

use std::sync::OnceLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Spec, RefOr, ResponseBuilder};
use utoipa::{OpenApi, ToSchema};

/// Every error answer's body (`crate::error::ApiError`): a short machine code, the request field
/// it concerns, and a sentence for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// `invalid`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `too_large`, `busy`, …
    pub error: String,
    /// The request field the error concerns (e.g. `name`, `authorization`), when there is one.
    pub field: Option<String>,
    pub message: String,
}

/// The name of the bearer scheme operations refer to.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Fieldledger API",
        description = "Field records, approvals and ledgers of a construction project. Every request \
                       carries a device token (`Authorization: Bearer …`) unless its operation says \
                       otherwise; every error answers `ErrorBody`. The sync itself is CBOR \
                       (docs/sync-protocol.md); a guide for client authors: docs/writing-a-client.md."
    ),
    paths(openapi_json, page::docs),
    components(schemas(ErrorBody))
)]
struct Base;

/// The whole description (built once).
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut spec = Base::openapi();
        spec.merge(records::Api::openapi());
        spec.merge(access::Api::openapi());
        spec.merge(funds_and_risks::Api::openapi());
        spec.info.version = env!("CARGO_PKG_VERSION").to_string();
        finish(&mut spec);
        camel_case_links(&mut spec);
        spec
    })
}

/// The bearer scheme, and per operation: the bearer requirement unless it has its own (public:
/// `security(())`), and the `default` error response.
fn finish(spec: &mut Spec) {
    let components = spec.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        BEARER.to_string(),
        SecurityScheme::Http(
            HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("a device token")).build(),
        ),
    );
    let error = ResponseBuilder::new()
        .description("An error: the status says which kind, the body names the field and the limit.")
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody"))).build(),
        )
        .build();
    for operation in operations(spec) {
        if operation.security.is_none() {
            operation.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
        }
        operation.responses.responses.entry("default".to_string()).or_insert_with(|| RefOr::T(error.clone()));
    }
}

/// Every operation of the description, whatever its method.
fn operations(spec: &mut Spec) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    spec.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
    })
}

/// utoipa 5 serializes a response link's fields in snake case (`operation_id`, `request_body`),
/// which no OpenAPI tool reads (Schemathesis calls such links invalid; utoipa 6 fixes it): each link
/// is written again with OpenAPI's names in the response's extensions, serialized in place of the
/// emptied `links`. The links let the fuzzer's stateful phase follow a listed record, risk or
/// payment to its own operations.
fn camel_case_links(spec: &mut Spec) {
    for operation in operations(spec) {
        for response in operation.responses.responses.values_mut() {
            let RefOr::T(response) = response else { continue };
            if response.links.is_empty() {
                continue;
            }
            let mut links = serde_json::Map::new();
            for (name, link) in std::mem::take(&mut response.links) {
                let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&link) else { continue };
                let renamed = fields.into_iter().map(|(k, v)| {
                    let k = match k.as_str() {
                        "operation_id" => "operationId".to_string(),
                        "operation_ref" => "operationRef".to_string(),
                        "request_body" => "requestBody".to_string(),
                        _ => k,
                    };
                    (k, v)
                });
                links.insert(name, serde_json::Value::Object(renamed.collect()));
            }
            response.extensions.get_or_insert_with(Default::default).insert("links".into(), links.into());
        }
    }
}

/// The description as JSON (serialized once).
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_string_pretty(spec()).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")))
}

/// `GET /v1/openapi.json`: this API's OpenAPI 3.1 description.
#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json", body = Object))
)]
pub async fn openapi_json() -> Response {
    ([(CONTENT_TYPE, "application/json")], json()).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use utoipa::OpenApi;

    /// `OpenApi::merge` keeps the first schema of a name and drops the others silently: two areas
    /// naming different types alike would describe one of them wrong (it happened: an
    /// `ObservationView` of each area). The same name for the same schema (shared types) is fine.
    #[test]
    fn areas_name_their_schemas_apart() {
        let areas = [
            ("base", super::Base::openapi()),
            ("records", super::records::Api::openapi()),
            ("access", super::access::Api::openapi()),
            ("funds_and_risks", super::funds_and_risks::Api::openapi()),
        ];
        let mut seen: BTreeMap<String, (&str, serde_json::Value)> = BTreeMap::new();
        let mut clashes = Vec::new();
        for (area, spec) in &areas {
            let Some(components) = &spec.components else { continue };
            for (name, schema) in &components.schemas {
                let schema = serde_json::to_value(schema).expect("schema as JSON");
                match seen.get(name) {
                    Some((other, first)) if *first != schema => clashes.push(format!("{name}: {other} and {area}")),
                    Some(_) => {}
                    None => {
                        seen.insert(name.clone(), (area, schema));
                    }
                }
            }
        }
        assert!(seen.len() > 100, "only {} schemas found", seen.len());
        assert!(clashes.is_empty(), "one name, different schemas: {clashes:#?}");
    }
}
