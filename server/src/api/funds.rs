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
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Office;
use crate::error::ApiError;
use crate::funds::allocations::{Allocation, Allocations, NewAllocation};
use crate::funds::batch::{Batch, BatchSummary};
use crate::funds::error::{FileRefusal, FundsError};
use crate::funds::payments::{NewPayment, Payment};
use crate::funds::roster::{ImportSummary, ProposedName, Worker, WorkerInput};
use crate::funds::settings::Settings;
use crate::funds::{allocations, batch, payments, roster, settings};
use crate::openapi::ErrorBody;
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

fn created<T: Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

fn ok<T: Serialize>(v: T) -> Answer {
    Ok(Json(v).into_response())
}

/// `GET /v1/funds/workers`: the roster.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerList {
    pub workers: Vec<Worker>,
}

/// One roster entry, as written (numbers masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerAnswer {
    pub worker: Worker,
}

/// `POST /v1/funds/workers/import`: what the import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterImported {
    pub imported: ImportSummary,
}

/// `GET /v1/funds/workers/proposed`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProposedList {
    pub proposed: Vec<ProposedName>,
}

/// `GET /v1/funds/payments`, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentList {
    pub payments: Vec<Payment>,
}

/// A payment recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentAnswer {
    pub payment: Payment,
}

/// The reversal that cancels a payment (the opposite amount; `reverses` names the payment).
#[derive(Debug, Serialize, ToSchema)]
pub struct CancellationAnswer {
    pub cancellation: Payment,
}

/// One bank batch with its payments and mismatches.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchAnswer {
    pub batch: Batch,
}

/// `GET /v1/funds/batches`, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchList {
    pub batches: Vec<BatchSummary>,
}

/// An allocation recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllocationAnswer {
    pub allocation: Allocation,
}

/// A roster or bank file: CSV (UTF-8) or XLSX, told apart by its bytes (not by `Content-Type`).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct SpreadsheetFile(#[allow(dead_code)] Vec<u8>);

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
#[utoipa::path(
    get,
    path = "/v1/funds/workers",
    operation_id = "funds_list_workers",
    tag = "funds",
    params(roster::ListFilter),
    responses(
        (status = 200, description = "The roster by id; ID, card and phone numbers masked", body = WorkerList),
        (status = 400, description = "A bad filter (`status` not active or left)", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
    )
)]
pub async fn list_workers(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<roster::ListFilter>, QueryRejection>,
) -> Answer {
    let filter = query(q)?;
    let workers = tri!(roster::list(&state.db, &grant.project_id, &filter).await);
    ok(WorkerList { workers })
}

/// `POST /v1/funds/workers` with `{name, id?, id_number?, card_number?, bank?, phone?, crew?, trade?,
/// day_rate?, status?, joined_on?, left_on?}` (all text): 201 with the worker (masked).
#[utoipa::path(
    post,
    path = "/v1/funds/workers",
    operation_id = "funds_create_worker",
    tag = "funds",
    request_body(content = WorkerInput, description = "The worker; values are text or null, `name` is required"),
    responses(
        (
            status = 201,
            description = "The worker added (numbers masked)",
            body = WorkerAnswer,
            links(
                ("update" = (operation_id = "funds_update_worker", parameters(("id" = "$response.body#/worker/id")))),
            )
        ),
        (status = 400, description = "Not a JSON object of text values, or an unknown field", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 409, description = "The id, ID number or card number is already on the roster", body = ErrorBody),
        (status = 422, description = "A field is not valid (the field and the limit named)", body = ErrorBody),
    )
)]
pub async fn create_worker(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: roster::WorkerInput = text_body(body)?;
    let worker = tri!(roster::create(&state.db, &state.cache, &grant.project_id, &input).await);
    Ok(created(WorkerAnswer { worker }))
}

/// `PUT /v1/funds/workers/{id}`: absent fields kept, null or "" clears; `status: "left"` with
/// `left_on` marks the worker left.
#[utoipa::path(
    put,
    path = "/v1/funds/workers/{id}",
    operation_id = "funds_update_worker",
    tag = "funds",
    params(("id" = String, Path, description = "The worker's roster id (`W0001`)")),
    request_body(
        content = WorkerInput,
        description = "The fields to change: absent kept, null or \"\" cleared; `status: left` needs `left_on`"
    ),
    responses(
        (status = 200, description = "The worker as changed (numbers masked)", body = WorkerAnswer),
        (status = 400, description = "Not a JSON object of text values, or an unknown field", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 404, description = "No such worker in the token's project", body = ErrorBody),
        (status = 409, description = "The ID or card number belongs to another worker", body = ErrorBody),
        (status = 422, description = "A field is not valid (the field and the limit named)", body = ErrorBody),
    )
)]
pub async fn update_worker(
    Office(grant): Office,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: roster::WorkerInput = text_body(body)?;
    let worker = tri!(roster::update(&state.db, &state.cache, &grant.project_id, &id, &input).await);
    ok(WorkerAnswer { worker })
}

/// `POST /v1/funds/workers/import`: a roster file (CSV or XLSX) as the body; all rows or none.
#[utoipa::path(
    post,
    path = "/v1/funds/workers/import",
    operation_id = "funds_import_workers",
    tag = "funds",
    request_body(
        description = "The roster file itself (row 1 the header: 姓名/name, 身份证号/id_number, …), CSV or XLSX",
        content(
            (SpreadsheetFile = "text/csv"),
            (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (SpreadsheetFile = "application/octet-stream"),
        )
    ),
    responses(
        (status = 200, description = "Workers created and updated, and the columns not read", body = RosterImported),
        (status = 400, description = "Not a CSV or XLSX file", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 413, description = "Past the file, row, column or cell limits", body = ErrorBody),
        (status = 422, description = "Rows refused, nothing imported: the rows listed", body = FileRefusal),
    )
)]
pub async fn import_workers(Office(grant): Office, State(state): State<AppState>, body: Bytes) -> Answer {
    let imported = tri!(roster::import(&state.db, &state.cache, &grant.project_id, &body).await);
    ok(RosterImported { imported })
}

/// `GET /v1/funds/workers/proposed`: names on approved labour lines that no roster entry carries.
#[utoipa::path(
    get,
    path = "/v1/funds/workers/proposed",
    operation_id = "funds_proposed_workers",
    tag = "funds",
    responses(
        (status = 200, description = "Names on approved labour lines that no roster entry carries", body = ProposedList),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
    )
)]
pub async fn proposed_workers(Office(grant): Office, State(state): State<AppState>) -> Answer {
    let proposed = tri!(roster::proposed(&state.db, &grant.project_id).await);
    ok(ProposedList { proposed })
}

/// `POST /v1/funds/workers/proposed/confirm` with `{name, …worker fields}`: the roster entry
/// created for a proposed name (201).
#[utoipa::path(
    post,
    path = "/v1/funds/workers/proposed/confirm",
    operation_id = "funds_confirm_proposed",
    tag = "funds",
    request_body(content = WorkerInput, description = "The proposed `name` (required) and the worker's other fields"),
    responses(
        (status = 201, description = "The roster entry created for the name", body = WorkerAnswer),
        (status = 400, description = "Not a JSON object of text values, or an unknown field", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 404, description = "The name is not a proposed one", body = ErrorBody),
        (status = 409, description = "The name or a number is already on the roster", body = ErrorBody),
        (status = 422, description = "A field is not valid (the field and the limit named)", body = ErrorBody),
    )
)]
pub async fn confirm_proposed(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: roster::WorkerInput = text_body(body)?;
    let worker = tri!(roster::confirm_proposed(&state.db, &state.cache, &grant.project_id, &input).await);
    Ok(created(WorkerAnswer { worker }))
}

/// `GET /v1/funds/payments[?month=YYYY-MM&kind=&worker_id=&batch_id=]`, newest first.
#[utoipa::path(
    get,
    path = "/v1/funds/payments",
    operation_id = "funds_list_payments",
    tag = "funds",
    params(payments::ListFilter),
    responses(
        (status = 200, description = "The project's payments, newest first (at most 5,000)", body = PaymentList),
        (status = 400, description = "A bad filter (month not YYYY-MM, unknown kind)", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
    )
)]
pub async fn list_payments(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<payments::ListFilter>, QueryRejection>,
) -> Answer {
    let filter = query(q)?;
    let payments = tri!(payments::list(&state.db, &grant.project_id, &filter).await);
    ok(PaymentList { payments })
}

/// `POST /v1/funds/payments` with `{kind, worker_id?|crew?|payee?, month?, paid_on, payer_account,
/// amount, reference?}`: 201 with the payment.
#[utoipa::path(
    post,
    path = "/v1/funds/payments",
    operation_id = "funds_record_payment",
    tag = "funds",
    request_body(content = NewPayment, description = "The payment; values are text or null (amounts as decimal text)"),
    responses(
        (
            status = 201,
            description = "The payment recorded",
            body = PaymentAnswer,
            links(
                ("cancel" = (operation_id = "funds_cancel_payment", parameters(("id" = "$response.body#/payment/id")))),
            )
        ),
        (status = 400, description = "Not a JSON object of text values, an unknown field, a bad date or amount", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 404, description = "`worker_id` is not on the project's roster", body = ErrorBody),
        (status = 422, description = "A field is missing or not valid for the kind", body = ErrorBody),
    )
)]
pub async fn record_payment(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: payments::NewPayment = text_body(body)?;
    let payment = tri!(payments::record(&state.db, &grant.project_id, &input, &grant.device_id).await);
    Ok(created(PaymentAnswer { payment }))
}

/// Why a payment is cancelled (optional; the whole body may be left out).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Kept in the reversal's reference.
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /v1/funds/payments/{id}/cancel` with `{reason?}` (or no body): 201 with the reversal.
#[utoipa::path(
    post,
    path = "/v1/funds/payments/{id}/cancel",
    operation_id = "funds_cancel_payment",
    tag = "funds",
    params(("id" = String, Path, description = "The payment's id")),
    request_body(content = Option<CancelBody>, description = "`{reason?}`, or no body"),
    responses(
        (status = 201, description = "The reversal appended", body = CancellationAnswer),
        (status = 400, description = "Not JSON, an unknown field, or a reason that is not text", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 404, description = "No such payment in the token's project", body = ErrorBody),
        (status = 409, description = "Already cancelled, or itself a cancellation", body = ErrorBody),
        (status = 422, description = "The reason is too long", body = ErrorBody),
    )
)]
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
    let cancellation =
        tri!(payments::cancel(&state.db, &grant.project_id, &id, input.reason.as_deref(), &grant.device_id).await);
    Ok(created(CancellationAnswer { cancellation }))
}

/// `POST /v1/funds/batches?month=YYYY-MM[&file_name=&paid_on=&payer_account=]` with the bank's
/// result file (CSV or XLSX) as the body: 201 with the batch, its payments and its mismatches.
#[utoipa::path(
    post,
    path = "/v1/funds/batches",
    operation_id = "funds_import_batch",
    tag = "funds",
    params(batch::BatchInput),
    request_body(
        description = "The bank's result file itself (row 1 the header: 姓名, 卡号, 金额, 状态 …), CSV or XLSX",
        content(
            (SpreadsheetFile = "text/csv"),
            (SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (SpreadsheetFile = "application/octet-stream"),
        )
    ),
    responses(
        (
            status = 201,
            description = "The batch: its payments and the rows that matched no worker",
            body = BatchAnswer,
            links(
                ("get" = (operation_id = "funds_get_batch", parameters(("id" = "$response.body#/batch/id")))),
            )
        ),
        (status = 400, description = "A bad parameter, or not a CSV or XLSX file", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 409, description = "The same file was imported before", body = ErrorBody),
        (status = 413, description = "Past the file, row, column or cell limits", body = ErrorBody),
        (status = 422, description = "Rows refused, nothing imported: the rows listed", body = FileRefusal),
    )
)]
pub async fn import_batch(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<batch::BatchInput>, QueryRejection>,
    body: Bytes,
) -> Answer {
    let input = query(q)?;
    let batch = tri!(batch::import(&state.db, &grant.project_id, &body, &input, &grant.device_id).await);
    Ok(created(BatchAnswer { batch }))
}

/// `GET /v1/funds/batches`: the project's imported batches, newest first.
#[utoipa::path(
    get,
    path = "/v1/funds/batches",
    operation_id = "funds_list_batches",
    tag = "funds",
    responses(
        (status = 200, description = "The project's imported batches, newest first", body = BatchList),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
    )
)]
pub async fn list_batches(Office(grant): Office, State(state): State<AppState>) -> Answer {
    let batches = tri!(batch::list(&state.db, &grant.project_id).await);
    ok(BatchList { batches })
}

/// `GET /v1/funds/batches/{id}`.
#[utoipa::path(
    get,
    path = "/v1/funds/batches/{id}",
    operation_id = "funds_get_batch",
    tag = "funds",
    params(("id" = String, Path, description = "The batch's id")),
    responses(
        (status = 200, description = "The batch with its payments and mismatches", body = BatchAnswer),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 404, description = "No such batch in the token's project", body = ErrorBody),
    )
)]
pub async fn get_batch(Office(grant): Office, State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    let batch = tri!(batch::get(&state.db, &grant.project_id, &id).await);
    ok(BatchAnswer { batch })
}

/// `?from=YYYY-MM&to=YYYY-MM`, both optional and inclusive.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthRange {
    /// First month, `YYYY-MM` (years 2000 to 2100).
    #[param(pattern = r"^\d{4}-\d{2}$", example = "2026-01")]
    from: Option<String>,
    /// Last month, `YYYY-MM` (years 2000 to 2100).
    #[param(pattern = r"^\d{4}-\d{2}$", example = "2026-12")]
    to: Option<String>,
}

/// `GET /v1/funds/allocations[?from=YYYY-MM&to=YYYY-MM]`: allocations with monthly sums.
#[utoipa::path(
    get,
    path = "/v1/funds/allocations",
    operation_id = "funds_list_allocations",
    tag = "funds",
    params(MonthRange),
    responses(
        (status = 200, description = "Labour-cost allocations received, with each month's sum and the total", body = Allocations),
        (status = 400, description = "A month that is not YYYY-MM from 2000 to 2100, or an unknown parameter", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
    )
)]
pub async fn list_allocations(
    Office(grant): Office,
    State(state): State<AppState>,
    q: Result<Query<MonthRange>, QueryRejection>,
) -> Answer {
    let r = query(q)?;
    let list: Allocations =
        tri!(allocations::list(&state.db, &grant.project_id, r.from.as_deref(), r.to.as_deref()).await);
    ok(list)
}

/// `POST /v1/funds/allocations` with `{month, received_on, amount, reference?}`: 201.
#[utoipa::path(
    post,
    path = "/v1/funds/allocations",
    operation_id = "funds_record_allocation",
    tag = "funds",
    request_body(content = NewAllocation, description = "The allocation; values are text or null (the amount as decimal text)"),
    responses(
        (status = 201, description = "The allocation recorded", body = AllocationAnswer),
        (status = 400, description = "Not a JSON object of text values, an unknown field, a bad month, date or amount", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 422, description = "A field is missing or not valid", body = ErrorBody),
    )
)]
pub async fn record_allocation(
    Office(grant): Office,
    State(state): State<AppState>,
    body: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input: NewAllocation = text_body(body)?;
    let allocation = tri!(allocations::record(&state.db, &grant.project_id, &input, &grant.device_id).await);
    Ok(created(AllocationAnswer { allocation }))
}

/// `GET /v1/funds/settings`: `{wage_pay_day, is_default, currency}`.
#[utoipa::path(
    get,
    path = "/v1/funds/settings",
    operation_id = "funds_get_settings",
    tag = "funds",
    responses(
        (status = 200, description = "The wage pay day and the project currency", body = Settings),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
    )
)]
pub async fn get_settings(Office(grant): Office, State(state): State<AppState>) -> Answer {
    let s: Settings = settings::get(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    ok(s)
}

/// The body of `PUT /v1/funds/settings` (read by hand: a number or its text are both taken).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PayDayBody {
    /// The day of the month wages are due, 1 to 28 (every month has it), as a number or as text;
    /// null or "" for the default (15).
    #[schema(schema_with = pay_day_schema, required = true)]
    wage_pay_day: Option<u32>,
}

fn pay_day_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    Schema::OneOf(
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(28)))
            .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^ *([1-9]|1[0-9]|2[0-8])? *$")))
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    )
}

/// `PUT /v1/funds/settings` with `{wage_pay_day: 1..=28 | "20" | null}` (null: the default, 15).
#[utoipa::path(
    put,
    path = "/v1/funds/settings",
    operation_id = "funds_put_settings",
    tag = "funds",
    request_body(content = PayDayBody, description = "`{wage_pay_day}`: 1 to 28, as a number or text, or null for the default"),
    responses(
        (status = 200, description = "The settings as stored", body = Settings),
        (status = 400, description = "Not a JSON object, an unknown field, or not a whole number", body = ErrorBody),
        (status = 403, description = "Not an office or admin token", body = ErrorBody),
        (status = 409, description = "The project has no reference data yet", body = ErrorBody),
        (status = 422, description = "A day outside 1 to 28", body = ErrorBody),
    )
)]
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
    ok(s)
}
