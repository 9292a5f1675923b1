//! `/v1/people`: a project's people for its admins (an admin token of the project). Members of
//! other projects are 404 (no existence leak), lower roles 403; the company-wide listing only for a
//! device of a company admin. Rules and audit in `crate::access::people`; docs/access.md.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::access::codes;
use crate::access::people::{self, Actor, NewPerson};
use crate::auth::{Admin, Role};
use crate::db::{Db, TokenGrant, on_pool};
use crate::error::ApiError;
use crate::state::AppState;

fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(v)| v).map_err(|e| ApiError::bad_request("body", e.body_text()))
}

fn role(text: &str) -> Result<Role, ApiError> {
    text.parse().map_err(|_| ApiError::bad_request("role", "expected foreman, supervisor, office or admin"))
}

/// The person a device belongs to (devices paired by a person, or tied to one), if any.
async fn device_person(db: &Db, device_id: &str) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar::<_, Option<String>>("SELECT person_id FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(p)
        .await)
    .map(Option::flatten)
}

/// Who acts, for the audit: the device's person, else nobody known (the device is recorded).
async fn actor_of(db: &Db, grant: &TokenGrant) -> Result<Option<String>, ApiError> {
    device_person(db, &grant.device_id).await.map_err(ApiError::internal)
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// `company`: everybody (company admins only).
    scope: Option<String>,
}

/// `GET /v1/people[?scope=company]`
pub async fn list(
    Admin(grant): Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    match q.scope.as_deref() {
        None | Some("project") => {
            let members = people::members(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
            Ok(Json(json!({ "project_id": grant.project_id, "people": members })).into_response())
        }
        Some("company") => {
            let person = actor_of(&state.db, &grant).await?;
            let admin = match person {
                Some(id) => {
                    people::find(&state.db, &id).await.map_err(ApiError::internal)?.is_some_and(|p| p.company_admin)
                }
                None => false,
            };
            if !admin {
                return Err(ApiError::forbidden("only a company admin's device may list the whole company's people"));
            }
            let everyone = people::everyone(&state.db).await.map_err(ApiError::internal)?;
            Ok(Json(json!({ "people": everyone })).into_response())
        }
        Some(_) => Err(ApiError::bad_request("scope", "expected project or company")),
    }
}

#[derive(Debug, Deserialize)]
pub struct AddBody {
    name: String,
    phone: Option<String>,
    email: Option<String>,
    role: String,
}

/// `POST /v1/people` `{name, phone, email?, role}`: a new person on the token's project (201).
pub async fn add(
    Admin(grant): Admin,
    State(state): State<AppState>,
    b: Result<Json<AddBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let b = body(b)?;
    let role = role(&b.role)?;
    let actor = actor_of(&state.db, &grant).await?;
    let by = Actor { person_id: actor.as_deref(), address: None };
    let new = NewPerson { name: b.name, phone: b.phone, email: b.email, company_admin: false };
    let person = people::create(&state.db, &new, by).await?;
    people::set_membership(&state.db, &person.id, &grant.project_id, role, by).await?;
    Ok((StatusCode::CREATED, Json(json!({ "person": person, "project_id": grant.project_id, "role": role })))
        .into_response())
}

/// 404 unless `id` is a member of the token's project.
async fn member(db: &Db, grant: &TokenGrant, id: &str) -> Result<Role, ApiError> {
    people::membership(db, id, &grant.project_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("person", "no such person on this project"))
}

#[derive(Debug, Deserialize)]
pub struct RoleBody {
    role: String,
}

/// `PUT /v1/people/{id}/role` `{role}`: changes a member's role on the token's project.
pub async fn set_role(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<RoleBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    member(&state.db, &grant, &id).await?;
    let role = role(&body(b)?.role)?;
    let actor = actor_of(&state.db, &grant).await?;
    people::set_membership(
        &state.db,
        &id,
        &grant.project_id,
        role,
        Actor { person_id: actor.as_deref(), address: None },
    )
    .await?;
    Ok(Json(json!({ "person_id": id, "project_id": grant.project_id, "role": role })).into_response())
}

/// `DELETE /v1/people/{id}/role`: removes a member from the token's project.
pub async fn remove(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    member(&state.db, &grant, &id).await?;
    let actor = actor_of(&state.db, &grant).await?;
    people::remove_membership(&state.db, &id, &grant.project_id, Actor { person_id: actor.as_deref(), address: None })
        .await?;
    Ok(Json(json!({ "person_id": id, "project_id": grant.project_id, "removed": true })).into_response())
}

/// `POST /v1/people/{id}/disable`: the member can no longer sign in; their sessions end and their
/// devices are revoked.
pub async fn disable(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    member(&state.db, &grant, &id).await?;
    let actor = actor_of(&state.db, &grant).await?;
    let by = Actor { person_id: actor.as_deref(), address: None };
    people::disable(&state.db, &id, Some(&grant.project_id), by).await?;
    Ok(Json(json!({ "person_id": id, "disabled": true })).into_response())
}

/// `POST /v1/people/{id}/sign-in-link`: a new one-time link (24 h) for a member to set a
/// password; its path is returned once.
pub async fn sign_in_link(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    member(&state.db, &grant, &id).await?;
    let actor = actor_of(&state.db, &grant).await?;
    let code = codes::create(&state.db, &id, actor.as_deref()).await.map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "person_id": id, "path": codes::link("", &code), "expires_in_s": codes::LIFETIME_MS / 1000 })),
    )
        .into_response())
}
