//! JSON API of outgoing webhooks (issue 23; docs/webhooks.md), admins only (`Admin`), within the
//! token's project (another project's endpoint is 404): create and list endpoints, delete one,
//! send it a test message, read its delivery log. The secret is answered once, at creation;
//! afterwards only masked.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::state::AppState;
use crate::webhooks::endpoints::{self, EndpointView};
use crate::webhooks::outbox::{self, AttemptRow, MessageRow};

type Answer = Result<Response, ApiError>;

/// Entries of the delivery log answered (messages and attempts each).
const LOG_LIMIT: i64 = 200;

/// `POST /v1/webhooks`'s body, as `endpoints::parse` checks it (the description only: the body is
/// read field by field there, so each refusal names its field). Unknown fields are refused.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `http://` or `https://` with a host (no `user:password@`), no spaces; at most 2,000 bytes.
    #[schema(
        max_length = 2000,
        pattern = r"^https?://[!\x22$-.0->A-~]+([/?#][!-~]*)?$",
        example = "https://example.com/hooks/fieldledger"
    )]
    pub url: String,
    /// Default `generic`.
    #[schema(value_type = Option<WebhookFormat>)]
    pub format: Option<String>,
    /// `generic`: a Standard Webhooks key (`whsec_` and base64), made when absent or blank;
    /// `dingtalk`: the robot's signing secret (optional); `wecom`: none (the key is in the URL).
    /// At most 500 bytes, no control characters.
    #[schema(max_length = 500)]
    pub secret: Option<String>,
    /// Event types to send; absent or empty: all of them.
    #[schema(value_type = Option<Vec<WebhookEvent>>)]
    pub events: Option<Vec<String>>,
    /// Default true.
    pub enabled: Option<bool>,
    /// The daily digest's local time, `HH:MM` (24 h, the project's time zone); default the server's.
    #[schema(pattern = r"^\s*([01][0-9]|2[0-3]):[0-5][0-9]\s*$", example = "07:30")]
    pub digest_time: Option<String>,
}

/// How messages are written: Standard Webhooks JSON, or a WeCom or DingTalk group robot's text.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    Generic,
    Wecom,
    Dingtalk,
}

/// An event type an endpoint may take (`crate::webhooks::EVENTS`).
#[derive(Debug, Serialize, ToSchema)]
pub enum WebhookEvent {
    #[serde(rename = "record.submitted")]
    RecordSubmitted,
    #[serde(rename = "record.changed_since_approval")]
    RecordChangedSinceApproval,
    #[serde(rename = "record.approved")]
    RecordApproved,
    #[serde(rename = "record.rejected")]
    RecordRejected,
    #[serde(rename = "record.conflict")]
    RecordConflict,
    #[serde(rename = "daily_report.ready")]
    DailyReportReady,
    #[serde(rename = "wages.arrears_flagged")]
    WagesArrearsFlagged,
    #[serde(rename = "digest.daily")]
    DigestDaily,
}

/// A webhook just created, with its secret (answered whole this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    pub webhook: EndpointView,
    /// The signing secret (empty for a WeCom robot).
    pub secret: String,
}

/// `POST /v1/webhooks`: 201 with the endpoint and its secret (the only time it is answered whole).
#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = "webhooks",
    operation_id = "create_webhook",
    request_body = NewWebhook,
    responses(
        (status = 201, description = "Created; the secret is answered this once", body = WebhookCreated),
        (status = 400, description = "Not a JSON object, an unknown field, or a bad url, format, secret, event or digest_time (the body names the field)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Admin(who): Admin,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let body = body.map(|Json(v)| v).map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let n = endpoints::parse(&body).map_err(|r| ApiError::bad_request(&r.field, r.message))?;
    let e = endpoints::create(&state.db, &who.project_id, &who.device_name, &n).await.map_err(ApiError::internal)?;
    let answer = WebhookCreated { webhook: EndpointView::from(&e), secret: e.secret };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// The project's webhooks.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<EndpointView>,
}

/// `GET /v1/webhooks`: the project's endpoints.
#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = "webhooks",
    operation_id = "list_webhooks",
    responses(
        (status = 200, description = "The project's webhooks, secrets masked", body = WebhookList),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(State(state): State<AppState>, Admin(who): Admin) -> Answer {
    let all = endpoints::list(&state.db, &who.project_id).await.map_err(ApiError::internal)?;
    let webhooks: Vec<EndpointView> = all.iter().map(EndpointView::from).collect();
    Ok(Json(WebhookList { webhooks }).into_response())
}

fn no_such(id: &str) -> ApiError {
    ApiError::not_found("id", format!("no webhook {id:?} in this project"))
}

/// A webhook deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeleted {
    /// Its id.
    pub deleted: String,
}

/// `DELETE /v1/webhooks/{id}`.
#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = "webhooks",
    operation_id = "delete_webhook",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "Deleted, with its messages and attempts", body = WebhookDeleted),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such webhook in the token's project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn delete(State(state): State<AppState>, Admin(who): Admin, Path(id): Path<String>) -> Answer {
    if !endpoints::delete(&state.db, &who.project_id, &id).await.map_err(ApiError::internal)? {
        return Err(no_such(&id));
    }
    Ok(Json(WebhookDeleted { deleted: id }).into_response())
}

/// A test message queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookPing {
    /// The queued `ping` message's id (its `webhook-id`, and its entry in the delivery log).
    pub webhook_id: String,
}

/// `POST /v1/webhooks/{id}/test`: enqueues a `ping` for this endpoint; 202 with its message id.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/test",
    tag = "webhooks",
    operation_id = "test_webhook",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 202, description = "A `ping` is queued for this webhook (whatever its events)", body = WebhookPing),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such webhook in the token's project", body = crate::openapi::ErrorBody),
        (status = 409, description = "The webhook is disabled", body = crate::openapi::ErrorBody),
    )
)]
pub async fn test(State(state): State<AppState>, Admin(who): Admin, Path(id): Path<String>) -> Answer {
    let e = endpoints::get(&state.db, &who.project_id, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| no_such(&id))?;
    if e.enabled == 0 {
        return Err(ApiError::conflict("enabled", "the endpoint is disabled"));
    }
    let message = endpoints::ping(&state.db, &e, &who.device_name).await.map_err(ApiError::internal)?;
    Ok((StatusCode::ACCEPTED, Json(WebhookPing { webhook_id: message })).into_response())
}

/// A webhook's delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookLog {
    pub webhook: EndpointView,
    /// The latest 200 messages, newest first.
    pub messages: Vec<MessageRow>,
    /// The latest 200 attempts, newest first.
    pub attempts: Vec<AttemptRow>,
}

/// `GET /v1/webhooks/{id}/deliveries`: the latest messages and attempts, newest first.
#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = "webhooks",
    operation_id = "webhook_deliveries",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook and its latest messages and attempts", body = WebhookLog),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such webhook in the token's project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn deliveries(State(state): State<AppState>, Admin(who): Admin, Path(id): Path<String>) -> Answer {
    let e = endpoints::get(&state.db, &who.project_id, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| no_such(&id))?;
    let (messages, attempts) = outbox::log(&state.db, &e.id, LOG_LIMIT).await.map_err(ApiError::internal)?;
    Ok(Json(WebhookLog { webhook: EndpointView::from(&e), messages, attempts }).into_response())
}

/// The endpoint `id` of the admin's project, enabled (a disabled endpoint buries what it is sent).
async fn enabled_endpoint(state: &AppState, project: &str, id: &str) -> Result<outbox::Endpoint, ApiError> {
    let e = endpoints::get(&state.db, project, id).await.map_err(ApiError::internal)?.ok_or_else(|| no_such(id))?;
    if e.enabled == 0 {
        return Err(ApiError::conflict("enabled", "the endpoint is disabled: enable it first"));
    }
    Ok(e)
}

/// Messages made pending again.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookReplayed {
    /// Their ids (none: nothing was dead).
    pub replayed: Vec<String>,
}

/// `POST /v1/webhooks/{id}/deliveries/{message}/replay`: a dead message pending again, its
/// attempts reset (the replay noted on the message and logged); 409 when it is not dead.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/deliveries/{message}/replay",
    tag = "webhooks",
    operation_id = "replay_webhook_message",
    params(
        ("id" = String, Path, description = "The webhook's id"),
        ("message" = String, Path, description = "The message's id (from the delivery log)"),
    ),
    responses(
        (status = 200, description = "The message is pending again, its attempts reset", body = WebhookReplayed),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such webhook in the token's project, or no such message of it", body = crate::openapi::ErrorBody),
        (status = 409, description = "The webhook is disabled, or the message is not dead", body = crate::openapi::ErrorBody),
    )
)]
pub async fn replay_one(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path((id, message)): Path<(String, String)>,
) -> Answer {
    let e = enabled_endpoint(&state, &who.project_id, &id).await?;
    match outbox::message_status(&state.db, &e.id, &message).await.map_err(ApiError::internal)? {
        None => return Err(ApiError::not_found("message", format!("no message {message:?} of webhook {id:?}"))),
        Some(s) if s != "dead" => {
            return Err(ApiError::conflict("status", format!("only a dead message is replayed; this one is {s}")));
        }
        Some(_) => {}
    }
    let ids = outbox::replay(&state.db, &e.id, Some(&message), &who.device_name).await.map_err(ApiError::internal)?;
    replayed(&e, &who.device_name, ids)
}

/// `POST /v1/webhooks/{id}/replay`: every dead message of the endpoint pending again.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/replay",
    tag = "webhooks",
    operation_id = "replay_dead_webhook_messages",
    params(("id" = String, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "Every dead message of the webhook is pending again", body = WebhookReplayed),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such webhook in the token's project", body = crate::openapi::ErrorBody),
        (status = 409, description = "The webhook is disabled", body = crate::openapi::ErrorBody),
    )
)]
pub async fn replay_dead(State(state): State<AppState>, Admin(who): Admin, Path(id): Path<String>) -> Answer {
    let e = enabled_endpoint(&state, &who.project_id, &id).await?;
    let ids = outbox::replay(&state.db, &e.id, None, &who.device_name).await.map_err(ApiError::internal)?;
    replayed(&e, &who.device_name, ids)
}

fn replayed(e: &outbox::Endpoint, by: &str, ids: Vec<String>) -> Answer {
    if !ids.is_empty() {
        tracing::info!(endpoint = %e.id, project = %e.project_id, by, messages = ?ids, "webhook messages replayed");
        crate::webhooks::wake();
    }
    Ok(Json(WebhookReplayed { replayed: ids }).into_response())
}

/// `POST /v1/webhooks/{id}/enable`'s body (read as JSON, so a missing or non-boolean `enabled` is a
/// 400 naming it).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEnable {
    pub enabled: bool,
}

/// A webhook as it stands now.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOne {
    pub webhook: EndpointView,
}

/// `POST /v1/webhooks/{id}/enable` with `{"enabled": bool}`: an admin turns an endpoint on (after a
/// 410 disabled it, say) or off.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/enable",
    tag = "webhooks",
    operation_id = "enable_webhook",
    params(("id" = String, Path, description = "The webhook's id")),
    request_body = WebhookEnable,
    responses(
        (status = 200, description = "Turned on or off (on: its disabled reason cleared)", body = WebhookOne),
        (status = 400, description = "Not JSON, or `enabled` missing or not a boolean", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such webhook in the token's project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn set_enabled(
    State(state): State<AppState>,
    Admin(who): Admin,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let body = body.map(|Json(v)| v).map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let Some(on) = body.get("enabled").and_then(Value::as_bool) else {
        return Err(ApiError::bad_request("enabled", "expected true or false"));
    };
    if !endpoints::set_enabled(&state.db, &who.project_id, &id, on).await.map_err(ApiError::internal)? {
        return Err(no_such(&id));
    }
    let e = endpoints::get(&state.db, &who.project_id, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| no_such(&id))?;
    Ok(Json(WebhookOne { webhook: EndpointView::from(&e) }).into_response())
}
