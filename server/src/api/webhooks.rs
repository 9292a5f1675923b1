//! JSON API of outgoing webhooks (issue 23; docs/webhooks.md), admins only (`Admin`), within the
//! token's project (another project's endpoint is 404): create and list endpoints, delete one,
//! send it a test message, read its delivery log. The secret is answered once, at creation;
//! afterwards only masked.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::auth::Admin;
use crate::error::ApiError;
use crate::state::AppState;
use crate::webhooks::endpoints::{self, EndpointView};
use crate::webhooks::outbox;

type Answer = Result<Response, ApiError>;

/// Entries of the delivery log answered (messages and attempts each).
const LOG_LIMIT: i64 = 200;

/// `POST /v1/webhooks`: 201 with the endpoint and its secret (the only time it is answered whole).
pub async fn create(
    State(state): State<AppState>,
    Admin(who): Admin,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let body = body.map(|Json(v)| v).map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let n = endpoints::parse(&body).map_err(|r| ApiError::bad_request(&r.field, r.message))?;
    let e = endpoints::create(&state.db, &who.project_id, &who.device_name, &n).await.map_err(ApiError::internal)?;
    let answer = json!({"webhook": EndpointView::from(&e), "secret": e.secret});
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /v1/webhooks`: the project's endpoints.
pub async fn list(State(state): State<AppState>, Admin(who): Admin) -> Answer {
    let all = endpoints::list(&state.db, &who.project_id).await.map_err(ApiError::internal)?;
    let views: Vec<EndpointView> = all.iter().map(EndpointView::from).collect();
    Ok(Json(json!({"webhooks": views})).into_response())
}

fn no_such(id: &str) -> ApiError {
    ApiError::not_found("id", format!("no webhook {id:?} in this project"))
}

/// `DELETE /v1/webhooks/{id}`.
pub async fn delete(State(state): State<AppState>, Admin(who): Admin, Path(id): Path<String>) -> Answer {
    if !endpoints::delete(&state.db, &who.project_id, &id).await.map_err(ApiError::internal)? {
        return Err(no_such(&id));
    }
    Ok(Json(json!({"deleted": id})).into_response())
}

/// `POST /v1/webhooks/{id}/test`: enqueues a `ping` for this endpoint; 202 with its message id.
pub async fn test(State(state): State<AppState>, Admin(who): Admin, Path(id): Path<String>) -> Answer {
    let e = endpoints::get(&state.db, &who.project_id, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| no_such(&id))?;
    if e.enabled == 0 {
        return Err(ApiError::conflict("enabled", "the endpoint is disabled"));
    }
    let message = endpoints::ping(&state.db, &e, &who.device_name).await.map_err(ApiError::internal)?;
    Ok((StatusCode::ACCEPTED, Json(json!({"webhook_id": message}))).into_response())
}

/// `GET /v1/webhooks/{id}/deliveries`: the latest messages and attempts, newest first.
pub async fn deliveries(State(state): State<AppState>, Admin(who): Admin, Path(id): Path<String>) -> Answer {
    let e = endpoints::get(&state.db, &who.project_id, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| no_such(&id))?;
    let (messages, attempts) = outbox::log(&state.db, &e.id, LOG_LIMIT).await.map_err(ApiError::internal)?;
    Ok(Json(json!({"webhook": EndpointView::from(&e), "messages": messages, "attempts": attempts})).into_response())
}

/// The endpoint `id` of the admin's project, enabled (a disabled endpoint buries what it is sent).
async fn enabled_endpoint(state: &AppState, project: &str, id: &str) -> Result<outbox::Endpoint, ApiError> {
    let e = endpoints::get(&state.db, project, id).await.map_err(ApiError::internal)?.ok_or_else(|| no_such(id))?;
    if e.enabled == 0 {
        return Err(ApiError::conflict("enabled", "the endpoint is disabled: enable it first"));
    }
    Ok(e)
}

/// `POST /v1/webhooks/{id}/deliveries/{message}/replay`: a dead message pending again, its
/// attempts reset (the replay noted on the message and logged); 409 when it is not dead.
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
    Ok(Json(json!({"replayed": ids})).into_response())
}

/// `POST /v1/webhooks/{id}/enable` with `{"enabled": bool}`: an admin turns an endpoint on (after a
/// 410 disabled it, say) or off.
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
    Ok(Json(json!({"webhook": EndpointView::from(&e)})).into_response())
}
