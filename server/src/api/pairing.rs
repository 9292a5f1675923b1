//! Phone pairing over JSON: `POST /v1/pairing-codes` `{person_id, minutes?}` (an admin's or
//! supervisor's token; the person must be on its project, else 404), `POST /v1/pair`
//! `{code, device_name, app?}` (no token: the code is the credential) and `POST /v1/pair/refresh`
//! (any token of a paired handset). Rules and audit in `crate::access::pairing`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::access::pairing::{self, Maker, PairingError, Phone};
use crate::auth::Device;
use crate::error::ApiError;
use crate::state::AppState;

fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(v)| v).map_err(|e| ApiError::bad_request("body", e.body_text()))
}

/// The client's address (the connection's, as the sign-in throttle counts it).
fn address(ext: &axum::http::Extensions) -> Option<String> {
    ext.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
}

/// The server as the client reached it (`Host`), for the link a QR code holds.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) == Some("https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

#[derive(Debug, Deserialize)]
pub struct CreateBody {
    person_id: String,
    minutes: Option<i64>,
}

/// `POST /v1/pairing-codes`: 201 with the code (shown once), its expiry and the QR's link.
pub async fn create(
    Device(grant): Device,
    State(state): State<AppState>,
    headers: HeaderMap,
    b: Result<Json<CreateBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let b = body(b)?;
    pairing::may_create(&state.db, grant.role, &grant.project_id, b.person_id.trim()).await?;
    let actor = pairing::person_of_device(&state.db, &grant.device_id).await.map_err(ApiError::internal)?;
    let maker = Maker {
        person_id: actor.as_deref(),
        device_id: Some(&grant.device_id),
        project_id: Some(&grant.project_id),
        address: None,
    };
    let minutes = b.minutes.unwrap_or(pairing::DEFAULT_MINUTES);
    if minutes < 1 {
        return Err(ApiError::bad_request("minutes", format!("must be between 1 and {}", pairing::MAX_MINUTES)));
    }
    let created = pairing::create(&state.db, b.person_id.trim(), minutes, maker).await?;
    let link = pairing::link(&base_url(&headers), &created.code);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "code": created.code,
            "person": { "id": created.person_id, "name": created.person_name },
            "expires_at_ms": created.expires_at_ms,
            "link": link,
        })),
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
pub struct PairBody {
    code: Option<String>,
    device_name: Option<String>,
    app: Option<String>,
}

/// `POST /v1/pair`: the phone's tokens, one per project (201); refusals as typed 4xx errors, a
/// throttled address 429 with `Retry-After`.
pub async fn pair(
    State(state): State<AppState>,
    ext: axum::http::Extensions,
    headers: HeaderMap,
    b: Result<Json<PairBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let address = address(&ext);
    let app = crate::access::devices::app_version(&headers);
    let b = body(b)?;
    let code = b.code.ok_or_else(|| ApiError::bad_request("code", "the pairing code is required"))?;
    let name = b.device_name.ok_or_else(|| ApiError::bad_request("device_name", "a device name is required"))?;
    let app = b.app.or(app);
    let phone = Phone { device_name: &name, app: app.as_deref(), address: address.as_deref() };
    match pairing::exchange(&state.db, &code, phone).await {
        Ok(paired) => Ok((StatusCode::CREATED, Json(json!(paired))).into_response()),
        Err(PairingError::Throttled(t)) => {
            state.metrics.pairing_throttled.inc();
            let mut r = ApiError::from(PairingError::Throttled(t)).into_response();
            if let Ok(v) = t.seconds().to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(r)
        }
        Err(e) => {
            if !matches!(e, PairingError::Sql(_) | PairingError::Invalid { .. }) {
                state.metrics.pairing_refused.inc();
            }
            Err(e.into())
        }
    }
}

/// `POST /v1/pair/refresh`: tokens for projects joined since pairing, and those no longer held.
pub async fn refresh(
    Device(grant): Device,
    State(state): State<AppState>,
    ext: axum::http::Extensions,
) -> Result<Response, ApiError> {
    let address = address(&ext);
    let r = pairing::refresh(&state.db, &grant.device_id, address.as_deref()).await?;
    Ok(Json(json!(r)).into_response())
}
