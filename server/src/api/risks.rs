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
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Reader, Supervisor};
use crate::error::ApiError;
use crate::reports::export::Words;
use crate::reports::query::Format;
use crate::risks::store::{self, Input};
use crate::risks::{self, ListFilter, RiskError, RiskRow, StatusFilter, export, promote};
use crate::state::AppState;

type Answer = Result<Response, ApiError>;

/// `GET /v1/risks` parameters.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub level: Option<String>,
    pub probability: Option<String>,
    pub impact: Option<String>,
    pub format: Option<String>,
    pub lang: Option<String>,
    /// Accepted for API tokens' symmetry with the reports; must be the token's project.
    pub project: Option<String>,
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

fn risk_json(r: &RiskRow, today: chrono::NaiveDate) -> Value {
    let mut v = json!(r);
    v["overdue"] = json!(r.overdue(today));
    v
}

/// `GET /v1/risks?status=open|mitigating|closed|active|all&level=&probability=&impact=&format=json|csv|xlsx&lang=en|zh`:
/// the register by number; with `format=csv|xlsx` the same rows as a file (columns in `lang`'s
/// words, else the API's keys).
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
            let list: Vec<Value> = rows.iter().map(|r| risk_json(r, today)).collect();
            Ok(Json(json!({ "project": grant.project_id, "as_of": today, "risks": list })).into_response())
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
pub async fn matrix(
    Reader(grant): Reader,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Answer {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    check_project(q.project.as_deref(), &grant.project_id)?;
    let status = match q.status.as_deref() {
        None => Some(StatusFilter::Active),
        s => StatusFilter::parse("status", s)?,
    };
    let m = risks::matrix(&state.db, &grant.project_id, status).await?;
    let cells: Vec<Value> = (1..=5)
        .flat_map(|p| (1..=5).map(move |i| (p, i)))
        .map(|(p, i)| {
            json!({ "probability": p, "impact": i, "score": p * i, "level": risks::Level::of(p * i), "count": m.count(p, i) })
        })
        .collect();
    Ok(Json(json!({
        "status": status.map_or("all", StatusFilter::as_str),
        "rows": "probability", "columns": "impact",
        "matrix": m.cells, "total": m.total, "cells": cells,
    }))
    .into_response())
}

/// `GET /v1/risks/{label}`: the risk and its history.
pub async fn one(Reader(grant): Reader, State(state): State<AppState>, Path(label): Path<String>) -> Answer {
    let r = risks::by_label(&state.db, &grant.project_id, &label).await?;
    let events = risks::events(&state.db, &grant.project_id, r.number).await?;
    let today = super::observations::project_today(&state, &grant.project_id).await?;
    let mut v = risk_json(&r, today);
    v["history"] = json!(events);
    Ok(Json(v).into_response())
}

/// `POST /v1/risks` `{title, probability, impact, description?, category?, owner?, strategy?,
/// response?, due?, status?}`: 201 with the risk.
pub async fn create(
    Supervisor(grant): Supervisor,
    State(state): State<AppState>,
    b: Result<Json<Value>, JsonRejection>,
) -> Answer {
    let input = store::input_from_json(&body(b)?, &[])?;
    let r = store::create(&state.db, &grant.project_id, &input, &grant.device_name).await?;
    let today = super::observations::project_today(&state, &grant.project_id).await?;
    Ok((StatusCode::CREATED, Json(risk_json(&r, today))).into_response())
}

/// `PUT /v1/risks/{label}` with the fields to change (absent: unchanged; null: cleared).
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
    Ok(Json(risk_json(&r, today)).into_response())
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
    Ok(Json(risk_json(&r, today)).into_response())
}

/// `POST /v1/risks/{label}/reopen` `{note?}`
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
    Ok(Json(risk_json(&r, today)).into_response())
}

/// `POST /v1/observations/{id}/promote` `{probability?, impact?, owner?, due?}`: 201 with the new
/// risk; 409 naming the risk when the observation was promoted before.
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
    Ok((StatusCode::CREATED, Json(risk_json(&r, today))).into_response())
}
