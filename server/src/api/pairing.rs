//! Phone pairing over JSON: `POST /v1/pairing-codes` `{person_id, minutes?}` (an admin's or
//! supervisor's token; the person must be on its project, else 404), `POST /v1/pair`
//! `{code, device_name, app?}` (no token: the code is the credential) and `POST /v1/pair/refresh`
//! (any token of a paired handset). Rules and audit in `crate::access::pairing`.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::pairing::{self, Maker, PairingError, PersonRef, Phone};
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

/// A pairing code to make.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = NewPairingCode)]
pub struct CreateBody {
    /// The person whose phone pairs: a member of the token's project.
    person_id: String,
    /// How long the code works, in minutes: 1 to 1,440 (a day); default 15.
    #[schema(minimum = 1, maximum = 1440)]
    minutes: Option<i64>,
}

/// A pairing code just made (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct PairingCode {
    /// As shown: `ABCD-EFGH-JKMN`.
    pub code: String,
    pub person: PersonRef,
    pub expires_at_ms: i64,
    /// The link the QR code holds (the server as the request reached it, and the code).
    pub link: String,
}

/// `POST /v1/pairing-codes`: 201 with the code (shown once), its expiry and the QR's link.
#[utoipa::path(
    post,
    path = "/v1/pairing-codes",
    tag = "pairing",
    operation_id = "create_pairing_code",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The code (shown once), its expiry and the QR code's link", body = PairingCode),
        (status = 400, description = "Not JSON, no person_id, or minutes outside 1 to 1,440", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "A foreman's token (supervisors and admins make codes), or the person is disabled (`person_disabled`)", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such person on the token's project", body = crate::openapi::ErrorBody),
    )
)]
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
    let answer = PairingCode {
        code: created.code,
        person: PersonRef { id: created.person_id, name: created.person_name },
        expires_at_ms: created.expires_at_ms,
        link,
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// A phone's pairing request.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = PairRequest)]
pub struct PairBody {
    /// The code as typed or scanned: 12 characters of Crockford's base32 (case, spaces and dashes
    /// ignored; O, I and L read as 0, 1 and 1).
    #[schema(value_type = String, required = true, example = "ABCD-EFGH-JKMN")]
    code: Option<String>,
    /// The phone's name: 1 to 100 characters (trimmed), no control characters.
    #[schema(
        value_type = String,
        required = true,
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*\S[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    device_name: Option<String>,
    /// The app's version (else the `X-App-Version` header's); kept to 64 characters.
    app: Option<String>,
}

/// `POST /v1/pair`: the phone's tokens, one per project (201); refusals as typed 4xx errors, a
/// throttled address 429 with `Retry-After`.
#[utoipa::path(
    post,
    path = "/v1/pair",
    tag = "pairing",
    operation_id = "pair_phone",
    security(()),
    request_body = PairBody,
    responses(
        (status = 201, description = "Paired: a device and its token (shown once) per project the person records for", body = pairing::Paired),
        (status = 400, description = "Not JSON, no code, or no or a bad device name", body = crate::openapi::ErrorBody),
        (status = 403, description = "The person is disabled (`person_disabled`)", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such code (`code_unknown`)", body = crate::openapi::ErrorBody),
        (status = 409, description = "The code was used already (`code_used`), or its person is on no project a phone records for (`no_projects`)", body = crate::openapi::ErrorBody),
        (status = 410, description = "The code has expired (`code_expired`)", body = crate::openapi::ErrorBody),
        (status = 429, description = "Too many refused codes from this address (`throttled`)", body = crate::openapi::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until this address may try again"))),
    )
)]
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
        Ok(paired) => Ok((StatusCode::CREATED, Json(paired)).into_response()),
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
#[utoipa::path(
    post,
    path = "/v1/pair/refresh",
    tag = "pairing",
    operation_id = "refresh_pairing",
    responses(
        (status = 200, description = "Tokens for projects joined since (shown once), projects left (their tokens revoked now), and every project held", body = pairing::Refreshed),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 409, description = "The device was not paired with a code (`not_paired`)", body = crate::openapi::ErrorBody),
    )
)]
pub async fn refresh(
    Device(grant): Device,
    State(state): State<AppState>,
    ext: axum::http::Extensions,
) -> Result<Json<pairing::Refreshed>, ApiError> {
    let address = address(&ext);
    let r = pairing::refresh(&state.db, &grant.device_id, address.as_deref()).await?;
    Ok(Json(r))
}
