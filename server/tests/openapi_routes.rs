//! The OpenAPI description covers the whole API (issue 24): every method of every route that
//! `server/src/routes.rs` serves outside the screens (`/v1/…`, `/healthz`, `/metrics`) is an
//! operation of `server::openapi::spec()`, and nothing is described that is not served. The routes
//! are read from routes.rs's text (axum cannot list a router's routes), so a route added there
//! without its `#[utoipa::path]` fails here. The description served at `/v1/openapi.json` is the
//! same, and is OpenAPI 3.1.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

const ROUTES: &str = include_str!("../src/routes.rs");

/// Methods axum's routing functions stand for (`get(…)`, `.post(…)`, `axum::routing::delete(…)`).
const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

/// (path, method) of every `.route("…", …)` call in routes.rs whose path is part of the API.
fn served() -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    // Each `.route(` call runs to the next one; a call's handlers are the method names followed by
    // `(` within it (handler paths such as `api::devices::list` contain no `(` after a method name).
    let calls: Vec<&str> = ROUTES.split(".route(\"").skip(1).collect();
    for call in calls {
        let Some((path, rest)) = call.split_once('"') else { continue };
        if !(path.starts_with("/v1/") || path == "/healthz" || path == "/metrics") {
            continue;
        }
        let handlers = rest.split(".route(").next().unwrap_or(rest);
        let handlers = handlers.split(".route_layer(").next().unwrap_or(handlers);
        let handlers = handlers.split("\n}").next().unwrap_or(handlers);
        for method in METHODS {
            let called = handlers.match_indices(&format!("{method}(")).any(|(at, _)| {
                // A whole word: `get(`, `.get(`, `routing::get(`, not `budget(`.
                at == 0 || !handlers.as_bytes()[at - 1].is_ascii_alphanumeric() && handlers.as_bytes()[at - 1] != b'_'
            });
            if called {
                found.insert((path.to_string(), method.to_string()));
            }
        }
    }
    found
}

/// (path, method) of every operation in the description.
fn described(spec: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            if item.get(method).is_some() {
                found.insert((path.clone(), method.to_string()));
            }
        }
    }
    found
}

#[test]
fn every_api_route_is_described_and_nothing_else() {
    let spec = serde_json::to_value(server::openapi::spec()).expect("spec as JSON");
    let served = served();
    assert!(served.len() > 80, "the route scan found only {} routes: is routes.rs read right?", served.len());
    assert!(served.contains(&("/v1/uploads/{id}".into(), "patch".into())), "{served:?}");
    assert!(served.contains(&("/v1/webhooks/{id}".into(), "delete".into())), "{served:?}");
    let described = described(&spec);
    let missing: Vec<_> = served.difference(&described).collect();
    let extra: Vec<_> = described.difference(&served).collect();
    assert!(missing.is_empty(), "routes served but not in the OpenAPI description: {missing:#?}");
    assert!(extra.is_empty(), "operations described but not served: {extra:#?}");
}

#[test]
fn every_operation_has_an_id_a_tag_and_a_success_response() {
    let spec = serde_json::to_value(server::openapi::spec()).expect("spec as JSON");
    let mut ids = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(ids.insert(id.to_string()), "operationId {id} is used twice ({method} {path})");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path} has no tag");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2') || s.starts_with('3')),
                "{method} {path} describes no success answer: {responses:?}"
            );
            assert!(responses.contains_key("default"), "{method} {path}: no default (error) answer");
        }
    }
}

#[test]
fn the_server_serves_its_description_as_openapi_3_1() {
    let dir = tempfile::tempdir().expect("dir");
    let server = start(dir.path());
    let (status, body) = get(&server.addr, "/v1/openapi.json");
    assert_eq!(status, 200, "{body}");
    let served: Value = serde_json::from_str(&body).expect("JSON");
    assert!(served["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", served["openapi"]);
    assert_eq!(served, serde_json::to_value(server::openapi::spec()).expect("spec"));
    assert!(served["components"]["securitySchemes"]["bearer"].is_object(), "{}", served["components"]);
    // Public: no token needed for the description and its page.
    let (status, page) = get(&server.addr, "/v1/docs");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("/v1/openapi.json"), "the page links the description");
}
