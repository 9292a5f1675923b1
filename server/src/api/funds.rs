//! The funds centre's office API (issue 21): the real-name roster, proposed names, payments, bank
//! batch files, labour-cost allocations and the wage pay day, over `crate::funds`. Office and admin
//! tokens only (`Office`: supervisors and foremen 403); everything within the token's project
//! (another project's ids are 404). ID, card and phone numbers are only ever answered masked.
//! Bodies are JSON whose values are text (amounts as decimal strings), or a raw CSV/XLSX file.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::auth::Office;
use crate::error::ApiError;
use crate::funds::error::FundsError;
use crate::funds::{allocations, batch, payments, roster, settings};
use crate::state::AppState;

type Answer = Result<Response, ApiError>;

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| ApiError::bad_request("query", e.body_text()))
}

/// A JSON object whose values are text or null, read as `T` (unknown fields refused, naming them).
/// A number where text is expected is refused naming its field: amounts never pass through a float.
fn text_body<T: DeserializeOwned>(body: Result<Json<Value>, JsonRejection>) -> Result<T, ApiError> {
    let Json(v) = body.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let Value::Object(map) = &v else {
        return Err(ApiError::bad_request("body", "expected a JSON object"));
    };
    for (k, value) in map {
        if !matches!(value, Value::String(_) | Value::Null) {
            return Err(ApiError::bad_request(
                k,
                "values are text (amounts as decimal strings, e.g. \"1250.00\") or null",
            ));
        }
    }
    serde_json::from_value(v).map_err(|e| {
        let m = e.to_string();
        // serde names an unknown field as `name`; make it the error's field.
        let field = m.split('`').nth(1).filter(|_| m.starts_with("unknown field")).unwrap_or("body").to_string();
        ApiError::bad_request(&field, m)
    })
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// A funds call's value, or its refusal answered as is (a refused file lists its rows).
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Ok(<FundsError as IntoResponse>::into_response(e)),
        }
    };
}

/// `GET /v1/funds/workers[?status=active|left&crew=]`: the roster, numbers masked.
pub async fn list_workers(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<roster::ListFilter>, QueryRejection>,
) -> Answer {
    let filter = query(q)?;
    let workers = tri!(roster::list(&state.db, &grant.project_id, &filter).await);
    Ok(Json(json!({ "workers": workers })).into_response())
}

/// `POST /v1/funds/workers` with `{name, id?, id_number?, card_number?, bank?, phone?, crew?, trade?,
/// day_rate?, status?, joined_on?, left_on?}` (all text): 201 with the worker (masked).
pub async fn create_worker(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: roster::WorkerInput = text_body(body)?;
    let w = tri!(roster::create(&state.db, &state.cache, &grant.project_id, &input).await);
    Ok(created(json!({ "worker": w })))
}

/// `PUT /v1/funds/workers/{id}`: absent fields kept, null or "" clears; `status: "left"` with
/// `left_on` marks the worker left.
pub async fn update_worker(
    Office(grant): Office,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: roster::WorkerInput = text_body(body)?;
    let w = tri!(roster::update(&state.db, &state.cache, &grant.project_id, &id, &input).await);
    Ok(Json(json!({ "worker": w })).into_response())
}

/// `POST /v1/funds/workers/import`: a roster file (CSV or XLSX) as the body; all rows or none.
pub async fn import_workers(Office(grant): Office, State(state): State<AppState>, body: Bytes) -> Answer {
    let summary = tri!(roster::import(&state.db, &state.cache, &grant.project_id, &body).await);
    Ok(Json(json!({ "imported": summary })).into_response())
}

/// `GET /v1/funds/workers/proposed`: names on approved labour lines that no roster entry carries.
pub async fn proposed_workers(Office(grant): Office, State(state): State<AppState>) -> Answer {
    let proposed = tri!(roster::proposed(&state.db, &grant.project_id).await);
    Ok(Json(json!({ "proposed": proposed })).into_response())
}

/// `POST /v1/funds/workers/proposed/confirm` with `{name, …worker fields}`: the roster entry
/// created for a proposed name (201).
pub async fn confirm_proposed(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: roster::WorkerInput = text_body(body)?;
    let w = tri!(roster::confirm_proposed(&state.db, &state.cache, &grant.project_id, &input).await);
    Ok(created(json!({ "worker": w })))
}

/// `GET /v1/funds/payments[?month=YYYY-MM&kind=&worker_id=&batch_id=]`, newest first.
pub async fn list_payments(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<payments::ListFilter>, QueryRejection>,
) -> Answer {
    let filter = query(q)?;
    let list = tri!(payments::list(&state.db, &grant.project_id, &filter).await);
    Ok(Json(json!({ "payments": list })).into_response())
}

/// `POST /v1/funds/payments` with `{kind, worker_id?|crew?|payee?, month?, paid_on, payer_account,
/// amount, reference?}`: 201 with the payment.
pub async fn record_payment(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: payments::NewPayment = text_body(body)?;
    let p = tri!(payments::record(&state.db, &grant.project_id, &input, &grant.device_id).await);
    Ok(created(json!({ "payment": p })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /v1/funds/payments/{id}/cancel` with `{reason?}` (or no body): 201 with the reversal.
pub async fn cancel_payment(
    Office(grant): Office,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let input: CancelBody = if body.iter().all(u8::is_ascii_whitespace) {
        CancelBody::default()
    } else {
        let v: Value = serde_json::from_slice(&body).map_err(|e| ApiError::bad_request("body", e.to_string()))?;
        text_body(Ok(Json(v)))?
    };
    let r = tri!(payments::cancel(&state.db, &grant.project_id, &id, input.reason.as_deref(), &grant.device_id).await);
    Ok(created(json!({ "cancellation": r })))
}

/// `POST /v1/funds/batches?month=YYYY-MM[&file_name=&paid_on=&payer_account=]` with the bank's
/// result file (CSV or XLSX) as the body: 201 with the batch, its payments and its mismatches.
pub async fn import_batch(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<batch::BatchInput>, QueryRejection>,
    body: Bytes,
) -> Answer {
    let input = query(q)?;
    let b = tri!(batch::import(&state.db, &grant.project_id, &body, &input, &grant.device_id).await);
    Ok(created(json!({ "batch": b })))
}

/// `GET /v1/funds/batches`: the project's imported batches, newest first.
pub async fn list_batches(Office(grant): Office, State(state): State<AppState>) -> Answer {
    let list = tri!(batch::list(&state.db, &grant.project_id).await);
    Ok(Json(json!({ "batches": list })).into_response())
}

/// `GET /v1/funds/batches/{id}`.
pub async fn get_batch(Office(grant): Office, State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    let b = tri!(batch::get(&state.db, &grant.project_id, &id).await);
    Ok(Json(json!({ "batch": b })).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthRange {
    from: Option<String>,
    to: Option<String>,
}

/// `GET /v1/funds/allocations[?from=YYYY-MM&to=YYYY-MM]`: allocations with monthly sums.
pub async fn list_allocations(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<MonthRange>, QueryRejection>,
) -> Answer {
    let r = query(q)?;
    let list = tri!(allocations::list(&state.db, &grant.project_id, r.from.as_deref(), r.to.as_deref()).await);
    Ok(Json(json!(list)).into_response())
}

/// `POST /v1/funds/allocations` with `{month, received_on, amount, reference?}`: 201.
pub async fn record_allocation(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: allocations::NewAllocation = text_body(body)?;
    let a = tri!(allocations::record(&state.db, &grant.project_id, &input, &grant.device_id).await);
    Ok(created(json!({ "allocation": a })))
}

/// `GET /v1/funds/settings`: `{wage_pay_day, is_default, currency}`.
pub async fn get_settings(Office(grant): Office, State(state): State<AppState>) -> Answer {
    let s = settings::get(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    Ok(Json(json!(s)).into_response())
}

/// `PUT /v1/funds/settings` with `{wage_pay_day: 1..=28 | "20" | null}` (null: the default, 15).
pub async fn put_settings(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<BTreeMap<String, Value>>, JsonRejection>,
) -> Answer {
    let Json(map) = body.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    if let Some(k) = map.keys().find(|k| k.as_str() != "wage_pay_day") {
        return Err(ApiError::bad_request(k, "unknown field; expected wage_pay_day"));
    }
    let day = match map.get("wage_pay_day") {
        None => return Err(ApiError::bad_request("wage_pay_day", "is required (1 to 28, or null for the default)")),
        Some(Value::Null) => None,
        Some(Value::Number(n)) => {
            Some(n.as_i64().ok_or_else(|| ApiError::bad_request("wage_pay_day", "a whole number from 1 to 28"))?)
        }
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request("wage_pay_day", "a whole number from 1 to 28"))?,
        ),
        Some(_) => return Err(ApiError::bad_request("wage_pay_day", "a whole number from 1 to 28, or null")),
    };
    let s = tri!(settings::set_wage_pay_day(&state.db, &grant.project_id, day).await);
    Ok(Json(json!(s)).into_response())
}
