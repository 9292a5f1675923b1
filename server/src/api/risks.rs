//! JSON API of the risk register (issue 22; docs/risks.md), within the token's project (another
//! project's risk is 404). Readers (supervisor, office, admin) read; supervisors and admins
//! (`Supervisor`) create, edit, close, reopen and promote. Bodies are JSON objects whose values are
//! text, integers or null; a refusal names the field and nothing is stored.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Reader, Supervisor};
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::reports::export::Words;
use crate::reports::query::Format;
use crate::risks::store::{self, Input};
use crate::risks::{self, Level, ListFilter, RiskError, RiskEvent, RiskRow, StatusFilter, export, promote};
use crate::state::AppState;

type Answer = Result<Response, ApiError>;

/// `GET /v1/risks` parameters (`GET /v1/risks/matrix` takes `MatrixQuery`'s).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open`, `mitigating`, `closed`, `active` (not closed) or `all`; the list's default: all, the
    /// matrix's: active.
    #[param(example = "active")]
    pub status: Option<String>,
    /// `low`, `medium`, `high`, `critical` or `all`.
    #[param(example = "high")]
    pub level: Option<String>,
    /// 1 to 5.
    #[param(pattern = r"^ *[1-5]? *$", example = "3")]
    pub probability: Option<String>,
    /// 1 to 5.
    #[param(pattern = r"^ *[1-5]? *$", example = "4")]
    pub impact: Option<String>,
    /// `json` (the default), `csv` or `xlsx`.
    #[param(example = "json")]
    pub format: Option<String>,
    /// A file's column words: `en` or `zh-CN` (else the API's keys).
    pub lang: Option<String>,
    /// Accepted for API tokens' symmetry with the reports; must be the token's project.
    pub project: Option<String>,
}

/// `GET /v1/risks/matrix` parameters: the matrix counts every risk of the status, so the list's other
/// filters do not apply (and are not described).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// `open`, `mitigating`, `closed`, `active` (not closed, the default) or `all`.
    #[param(example = "active")]
    pub status: Option<String>,
    /// Accepted for API tokens' symmetry with the reports; must be the token's project.
    pub project: Option<String>,
}

/// A risk with whether it is overdue (not closed, due before the project's today).
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskView {
    #[serde(flatten)]
    pub risk: RiskRow,
    pub overdue: bool,
}

impl RiskView {
    fn of(risk: RiskRow, today: NaiveDate) -> RiskView {
        let overdue = risk.overdue(today);
        RiskView { risk, overdue }
    }
}

/// `GET /v1/risks/{label}`: the risk and its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskDetail {
    #[serde(flatten)]
    pub risk: RiskRow,
    pub overdue: bool,
    /// Every change, oldest first.
    pub history: Vec<RiskEvent>,
}

/// `GET /v1/risks`: the register by number.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskList {
    pub project: String,
    /// The project's today: what `overdue` is judged by.
    pub as_of: NaiveDate,
    pub risks: Vec<RiskView>,
}

/// One cell of the 5×5 matrix.
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskMatrixCell {
    pub probability: i64,
    pub impact: i64,
    pub score: i64,
    pub level: Level,
    pub count: i64,
}

/// `GET /v1/risks/matrix`: the counts by probability (rows) and impact (columns).
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskMatrix {
    /// The status filter applied (`all` when none).
    pub status: &'static str,
    /// `probability`.
    pub rows: &'static str,
    /// `impact`.
    pub columns: &'static str,
    /// `matrix[p-1][i-1]`: the risks of probability p and impact i (5 rows of 5).
    #[schema(value_type = Vec<Vec<i64>>)]
    pub matrix: [[i64; 5]; 5],
    pub total: i64,
    /// The 25 cells, probability then impact.
    pub cells: Vec<RiskMatrixCell>,
}

/// A risk field's value: text, an integer or null (null or "" clears an optional field).
fn text_or_integer() -> Schema {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Integer, Type::Null])).into()
}

/// `POST /v1/risks`: values are text, integers or null. `title` (at most 200 bytes), `probability`
/// and `impact` (1 to 5) are required; `category` one of safety, quality, schedule, cost, other
/// (default other); `strategy` avoid, mitigate, transfer or accept; `due` `YYYY-MM-DD`; `status`
/// open or mitigating.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct NewRisk {
    #[schema(schema_with = text_or_integer, required = true)]
    title: Option<String>,
    #[schema(schema_with = text_or_integer, required = true)]
    probability: Option<String>,
    #[schema(schema_with = text_or_integer, required = true)]
    impact: Option<String>,
    #[schema(schema_with = text_or_integer)]
    description: Option<String>,
    #[schema(schema_with = text_or_integer)]
    category: Option<String>,
    #[schema(schema_with = text_or_integer)]
    owner: Option<String>,
    #[schema(schema_with = text_or_integer)]
    strategy: Option<String>,
    #[schema(schema_with = text_or_integer)]
    response: Option<String>,
    #[schema(schema_with = text_or_integer)]
    due: Option<String>,
    #[schema(schema_with = text_or_integer)]
    status: Option<String>,
}

/// `PUT /v1/risks/{label}`: the fields of [`NewRisk`] to change, each optional (absent: unchanged;
/// null or "": cleared). A risk is closed by `…/close`, not by `status`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RiskChanges {
    #[schema(schema_with = text_or_integer)]
    title: Option<String>,
    #[schema(schema_with = text_or_integer)]
    probability: Option<String>,
    #[schema(schema_with = text_or_integer)]
    impact: Option<String>,
    #[schema(schema_with = text_or_integer)]
    description: Option<String>,
    #[schema(schema_with = text_or_integer)]
    category: Option<String>,
    #[schema(schema_with = text_or_integer)]
    owner: Option<String>,
    #[schema(schema_with = text_or_integer)]
    strategy: Option<String>,
    #[schema(schema_with = text_or_integer)]
    response: Option<String>,
    #[schema(schema_with = text_or_integer)]
    due: Option<String>,
    #[schema(schema_with = text_or_integer)]
    status: Option<String>,
}

/// `POST /v1/observations/{id}/promote`: what the risk takes instead of the observation's own
/// (probability 3 and an impact from its severity by default); values text, integers or null.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct PromoteFields {
    #[schema(schema_with = text_or_integer)]
    probability: Option<String>,
    #[schema(schema_with = text_or_integer)]
    impact: Option<String>,
    #[schema(schema_with = text_or_integer)]
    owner: Option<String>,
    #[schema(schema_with = text_or_integer)]
    due: Option<String>,
}

/// The body of `…/close` and `…/reopen` (optional: no body is `{}`).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RiskNote {
    /// Kept in the risk's history.
    note: Option<String>,
}

fn check_project(asked: Option<&str>, grant_project: &str) -> Result<(), ApiError> {
    match asked.map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) if p != grant_project => {
            Err(ApiError::not_found("project", format!("no project {p:?} for this token; it reads {grant_project}")))
        }
        _ => Ok(()),
    }
}

fn body(b: Result<Json<Value>, JsonRejection>) -> Result<Value, ApiError> {
    b.map(|Json(v)| v).map_err(|e| ApiError::bad_request("body", e.body_text()))
}

/// An optional JSON body: empty (or only spaces) is `{}`.
fn optional_body(b: &Bytes) -> Result<Value, ApiError> {
    if b.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(b).map_err(|e| ApiError::bad_request("body", format!("not JSON: {e}")))
}

/// `GET /v1/risks?status=open|mitigating|closed|active|all&level=&probability=&impact=&format=json|csv|xlsx&lang=en|zh`:
/// the register by number; with `format=csv|xlsx` the same rows as a file (columns in `lang`'s
/// words, else the API's keys).
#[utoipa::path(
    get,
    path = "/v1/risks",
    operation_id = "risks_list",
    tag = "risks",
    params(ListQuery),
    responses(
        (
            status = 200,
            description = "The register by number, or the same rows as a file",
            content(
                (RiskList = "application/json"),
                (String = "text/csv"),
                (super::funds::SpreadsheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )
        ),
        (status = 400, description = "A bad filter or format, named with the values it takes", body = ErrorBody),
        (status = 403, description = "A foreman's token", body = ErrorBody),
        (status = 404, description = "`project` is not the token's project", body = ErrorBody),
    )
)]
pub async fn list(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    check_project(q.project.as_deref(), &grant.project_id)?;
    let format = match q.format.as_deref().map(str::trim).unwrap_or_default() {
        "" | "json" => Format::Json,
        "csv" => Format::File(crate::reports::export::FileFormat::Csv),
        "xlsx" => Format::File(crate::reports::export::FileFormat::Xlsx),
        other => return Err(ApiError::bad_request("format", format!("{other:?} is not one of json, csv, xlsx"))),
    };
    let filter =
        ListFilter::parse(q.status.as_deref(), q.level.as_deref(), q.probability.as_deref(), q.impact.as_deref())?;
    let rows = risks::list(&state.db, &grant.project_id, &filter).await?;
    let set = crate::reference::store::load(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
    let today = crate::reports::today(&set);
    match format {
        Format::Json => {
            let risks = rows.into_iter().map(|r| RiskView::of(r, today)).collect();
            Ok(Json(RiskList { project: grant.project_id, as_of: today, risks }).into_response())
        }
        Format::File(f) => {
            let words = Words::from_query(q.lang.as_deref());
            let shown = match words {
                Words::Keys => grant.project_id.clone(),
                Words::Lang(_) => set.project.name.clone(),
            };
            let table = export::table(&rows, words, &shown, today);
            let name = export::file_name(words, &set.project.name, &grant.project_id, today);
            Ok(crate::reports::export::download(&name, f, &table)?)
        }
    }
}

/// `GET /v1/risks/matrix?status=active|open|mitigating|closed|all`: the 5×5 counts (`cells[p-1][i-1]`),
/// by default of the risks not closed.
#[utoipa::path(
    get,
    path = "/v1/risks/matrix",
    operation_id = "risks_matrix",
    tag = "risks",
    params(MatrixQuery),
    responses(
        (status = 200, description = "The 5×5 counts by probability and impact", body = RiskMatrix),
        (status = 400, description = "A bad status", body = ErrorBody),
        (status = 403, description = "A foreman's token", body = ErrorBody),
        (status = 404, description = "`project` is not the token's project", body = ErrorBody),
    )
)]
pub async fn matrix(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<MatrixQuery>, QueryRejection>,
) -> Answer {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    check_project(q.project.as_deref(), &grant.project_id)?;
    let status = match q.status.as_deref() {
        None => Some(StatusFilter::Active),
        s => StatusFilter::parse("status", s)?,
    };
    let m = risks::matrix(&state.db, &grant.project_id, status).await?;
    let cells = (1..=5)
        .flat_map(|p| (1..=5).map(move |i| (p, i)))
        .map(|(p, i)| RiskMatrixCell {
            probability: p,
            impact: i,
            score: p * i,
            level: Level::of(p * i),
            count: m.count(p, i),
        })
        .collect();
    Ok(Json(RiskMatrix {
        status: status.map_or("all", StatusFilter::as_str),
        rows: "probability",
        columns: "impact",
        matrix: m.cells,
        total: m.total,
        cells,
    })
    .into_response())
}

/// `GET /v1/risks/{label}`: the risk and its history.
#[utoipa::path(
    get,
    path = "/v1/risks/{label}",
    operation_id = "risks_one",
    tag = "risks",
    params(("label" = String, Path, description = "The risk's label, `R-0001`")),
    responses(
        (status = 200, description = "The risk and its history", body = RiskDetail),
        (status = 403, description = "A foreman's token", body = ErrorBody),
        (status = 404, description = "No such risk in the token's project", body = ErrorBody),
    )
)]
pub async fn one(Reader(grant): Reader, State(state): State<AppState>, Path(label): Path<String>) -> Answer {
    let r = risks::by_label(&state.db, &grant.project_id, &label).await?;
    let events = risks::events(&state.db, &grant.project_id, r.number).await?;
    let today = super::observations::project_today(&state, &grant.project_id).await?;
    let overdue = r.overdue(today);
    Ok(Json(RiskDetail { risk: r, overdue, history: events }).into_response())
}

/// `POST /v1/risks` `{title, probability, impact, description?, category?, owner?, strategy?,
/// response?, due?, status?}`: 201 with the risk.
#[utoipa::path(
    post,
    path = "/v1/risks",
    operation_id = "risks_create",
    tag = "risks",
    request_body(content = NewRisk, description = "The risk's fields: text, integers or null"),
    responses(
        (
            status = 201,
            description = "The risk added",
            body = RiskView,
            links(
                ("get" = (operation_id = "risks_one", parameters(("label" = "$response.body#/label")))),
                ("edit" = (operation_id = "risks_edit", parameters(("label" = "$response.body#/label")))),
                ("close" = (operation_id = "risks_close", parameters(("label" = "$response.body#/label")))),
                ("reopen" = (operation_id = "risks_reopen", parameters(("label" = "$response.body#/label")))),
            )
        ),
        (status = 400, description = "Not a JSON object, an unknown field, or a value that is not text, an integer or null", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 422, description = "A field missing or not valid (named, with its limit)", body = ErrorBody),
    )
)]
pub async fn create(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    b: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input = store::input_from_json(&body(b)?, &[])?;
    let r = store::create(&state.db, &grant.project_id, &input, &grant.device_name).await?;
    let today = super::observations::project_today(&state, &grant.project_id).await?;
    Ok((StatusCode::CREATED, Json(RiskView::of(r, today))).into_response())
}

/// `PUT /v1/risks/{label}` with the fields to change (absent: unchanged; null: cleared).
#[utoipa::path(
    put,
    path = "/v1/risks/{label}",
    operation_id = "risks_edit",
    tag = "risks",
    params(("label" = String, Path, description = "The risk's label, `R-0001`")),
    request_body(content = RiskChanges, description = "The fields to change: text, integers or null"),
    responses(
        (status = 200, description = "The risk as changed", body = RiskView),
        (status = 400, description = "Not a JSON object, an unknown field, or a value that is not text, an integer or null", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 404, description = "No such risk in the token's project", body = ErrorBody),
        (status = 409, description = "The risk is closed: reopen it first", body = ErrorBody),
        (status = 422, description = "A field not valid (named, with its limit)", body = ErrorBody),
    )
)]
pub async fn edit(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(label): Path<String>,
    b: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let r = risks::by_label(&state.db, &grant.project_id, &label).await?;
    let input = store::input_from_json(&body(b)?, &[])?;
    let r = store::edit(&state.db, &grant.project_id, r.number, &input, &grant.device_name).await?;
    let today = super::observations::project_today(&state, &grant.project_id).await?;
    Ok(Json(RiskView::of(r, today)).into_response())
}

fn note_of(v: &Value) -> Result<Option<String>, ApiError> {
    let Value::Object(map) = v else { return Err(ApiError::bad_request("body", "expected a JSON object")) };
    if let Some(k) = map.keys().find(|k| k.as_str() != "note") {
        return Err(ApiError::bad_request(k, "the only field is note"));
    }
    match map.get("note") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::bad_request("note", "expected text")),
    }
}

/// `POST /v1/risks/{label}/close` `{note?}`
#[utoipa::path(
    post,
    path = "/v1/risks/{label}/close",
    operation_id = "risks_close",
    tag = "risks",
    params(("label" = String, Path, description = "The risk's label, `R-0001`")),
    request_body(content = Option<RiskNote>, description = "`{note?}`, or no body"),
    responses(
        (status = 200, description = "The risk closed", body = RiskView),
        (status = 400, description = "Not JSON, a field other than note, or a note that is not text", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 404, description = "No such risk in the token's project", body = ErrorBody),
        (status = 409, description = "The risk is already closed", body = ErrorBody),
        (status = 422, description = "The note is too long", body = ErrorBody),
    )
)]
pub async fn close(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(label): Path<String>,
    b: Bytes,
) -> Answer {
    let note = note_of(&optional_body(&b)?)?;
    let r = risks::by_label(&state.db, &grant.project_id, &label).await?;
    let r = store::close(&state.db, &grant.project_id, r.number, note.as_deref(), &grant.device_name).await?;
    let today = super::observations::project_today(&state, &grant.project_id).await?;
    Ok(Json(RiskView::of(r, today)).into_response())
}

/// `POST /v1/risks/{label}/reopen` `{note?}`
#[utoipa::path(
    post,
    path = "/v1/risks/{label}/reopen",
    operation_id = "risks_reopen",
    tag = "risks",
    params(("label" = String, Path, description = "The risk's label, `R-0001`")),
    request_body(content = Option<RiskNote>, description = "`{note?}`, or no body"),
    responses(
        (status = 200, description = "The risk reopened", body = RiskView),
        (status = 400, description = "Not JSON, a field other than note, or a note that is not text", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 404, description = "No such risk in the token's project", body = ErrorBody),
        (status = 409, description = "The risk is not closed", body = ErrorBody),
        (status = 422, description = "The note is too long", body = ErrorBody),
    )
)]
pub async fn reopen(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(label): Path<String>,
    b: Bytes,
) -> Answer {
    let note = note_of(&optional_body(&b)?)?;
    let r = risks::by_label(&state.db, &grant.project_id, &label).await?;
    let r = store::reopen(&state.db, &grant.project_id, r.number, note.as_deref(), &grant.device_name).await?;
    let today = super::observations::project_today(&state, &grant.project_id).await?;
    Ok(Json(RiskView::of(r, today)).into_response())
}

/// `POST /v1/observations/{id}/promote` `{probability?, impact?, owner?, due?}`: 201 with the new
/// risk; 409 naming the risk when the observation was promoted before.
#[utoipa::path(
    post,
    path = "/v1/observations/{id}/promote",
    operation_id = "observations_promote",
    tag = "risks",
    params(("id" = String, Path, description = "The observation record's id")),
    request_body(content = Option<PromoteFields>, description = "`{probability?, impact?, owner?, due?}`, or no body"),
    responses(
        (status = 201, description = "The risk made from the observation (it names it as its source)", body = RiskView),
        (status = 400, description = "Not JSON, a field a promotion does not set, or a value not text, an integer or null", body = ErrorBody),
        (status = 403, description = "Not a supervisor or admin token", body = ErrorBody),
        (status = 404, description = "No such observation in the token's project", body = ErrorBody),
        (status = 409, description = "Voided, or promoted before (the risk named)", body = ErrorBody),
        (status = 422, description = "A field not valid (named, with its limit)", body = ErrorBody),
    )
)]
pub async fn promote_observation(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Bytes,
) -> Answer {
    let given: Input = store::input_from_json(&optional_body(&b)?, &[]).and_then(|i| {
        match i.keys().find(|k| !promote::FIELDS.contains(&k.as_str())) {
            Some(k) => Err(RiskError::bad(k, format!("a promotion sets only {}", promote::FIELDS.join(", ")))),
            None => Ok(i),
        }
    })?;
    let r = promote::promote(&state.db, &state.cache, &grant.project_id, &id, &given, &grant.device_name).await?;
    let today = super::observations::project_today(&state, &grant.project_id).await?;
    Ok((StatusCode::CREATED, Json(RiskView::of(r, today))).into_response())
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;

    use super::*;

    /// The properties of a described object, and which are required.
    fn fields(schema: RefOr<Schema>) -> (Vec<String>, Vec<String>) {
        match schema {
            RefOr::T(Schema::Object(o)) => (o.properties.keys().cloned().collect(), o.required),
            _ => panic!("not an object schema"),
        }
    }

    fn sorted(v: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    /// The bodies read by hand (`store::input_from_json`) are described by doc-only structs: their
    /// fields must be the ones the handlers read, so the description cannot drift from them.
    #[test]
    fn described_bodies_are_the_fields_read() {
        let (new, required) = fields(NewRisk::schema());
        assert_eq!(sorted(&new.iter().map(String::as_str).collect::<Vec<_>>()), sorted(store::FIELDS));
        assert_eq!(
            sorted(&required.iter().map(String::as_str).collect::<Vec<_>>()),
            sorted(&["title", "probability", "impact"])
        );
        let (changes, required) = fields(RiskChanges::schema());
        assert_eq!(sorted(&changes.iter().map(String::as_str).collect::<Vec<_>>()), sorted(store::FIELDS));
        assert!(required.is_empty(), "an edit requires nothing: {required:?}");
        let (promoted, _) = fields(PromoteFields::schema());
        assert_eq!(sorted(&promoted.iter().map(String::as_str).collect::<Vec<_>>()), sorted(promote::FIELDS));
        let (note, _) = fields(RiskNote::schema());
        assert_eq!(note, vec!["note".to_string()]);
    }
}
