//! `/v1/people`: a project's people for its admins (an admin token of the project). Members of
//! other projects are 404 (no existence leak), lower roles 403; the company-wide listing only for a
//! device of a company admin. Rules and audit in `crate::access::people`; docs/access.md.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::codes;
use crate::access::people::{self, Actor, Member, NewPerson, Person};
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

/// Whose people a listing holds.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PeopleScope {
    /// The token's project's members (the default).
    Project,
    /// Everybody in the company (a company admin's device only).
    Company,
}

#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `project` (default): the token's project's members; `company`: everybody (company admins only).
    #[param(value_type = Option<PeopleScope>)]
    scope: Option<String>,
}

/// A project's members.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectPeople {
    pub project_id: String,
    pub people: Vec<Member>,
}

/// The whole company's people (no project, no roles).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPeople {
    pub people: Vec<Person>,
}

/// `GET /v1/people`'s answer: a project's members, or (`?scope=company`) the company's people.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum PeopleList {
    Project(ProjectPeople),
    Company(CompanyPeople),
}

/// `GET /v1/people[?scope=company]`
#[utoipa::path(
    get,
    path = "/v1/people",
    tag = "people",
    operation_id = "list_people",
    params(ListQuery),
    responses(
        (status = 200, description = "The project's members with their roles, or with `scope=company` everybody", body = PeopleList),
        (status = 400, description = "`scope` is neither project nor company", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token, or `scope=company` from a device not a company admin's", body = crate::openapi::ErrorBody),
    )
)]
pub async fn list(
    Admin(grant): Admin,
    State(state): State<AppState>,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    match q.scope.as_deref() {
        None | Some("project") => {
            let members = people::members(&state.db, &grant.project_id).await.map_err(ApiError::internal)?;
            Ok(Json(PeopleList::Project(ProjectPeople { project_id: grant.project_id, people: members }))
                .into_response())
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
            Ok(Json(PeopleList::Company(CompanyPeople { people: everyone })).into_response())
        }
        Some(_) => Err(ApiError::bad_request("scope", "expected project or company")),
    }
}

/// A person to add to the token's project.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = PersonToAdd)]
pub struct AddBody {
    /// 1 to 100 characters (trimmed), no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*\S[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    name: String,
    /// 6 to 20 digits, with spaces, dashes, dots, brackets and a leading + (kept as `+8613812345678`);
    /// blank: none. Someone else's number is 409.
    #[schema(pattern = r"^\s*(\+?[ .()\-]*([0-9][ .()\-]*){6,20})?\s*$")]
    phone: Option<String>,
    /// `name@domain.tld` (kept lower-case), at most 254 bytes; blank: none.
    #[schema(max_length = 254)]
    email: Option<String>,
    /// The person's role on the project.
    role: String,
    /// The sites (ids) they work on: their phones' sync scope follows them. Absent or empty: every
    /// site. Each must be a site of the project's reference data.
    #[serde(default)]
    #[schema(max_items = 200)]
    sites: Option<Vec<String>>,
}

/// A person just added, and their role on the project.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonAdded {
    pub person: Person,
    pub project_id: String,
    pub role: Role,
    /// Their sites on the project (empty: every site).
    pub sites: Vec<String>,
}

/// `POST /v1/people` `{name, phone, email?, role, sites?}`: a new person on the token's project (201).
#[utoipa::path(
    post,
    path = "/v1/people",
    tag = "people",
    operation_id = "add_person",
    request_body = AddBody,
    responses(
        (status = 201, description = "Added to the company and made a member of the token's project", body = PersonAdded),
        (status = 400, description = "Not JSON, or a bad name, phone, e-mail, role or site (the body names the field)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 409, description = "The phone number is someone else's", body = crate::openapi::ErrorBody),
    )
)]
pub async fn add(
    Admin(grant): Admin,
    State(state): State<AppState>,
    b: Result<Json<AddBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let b = body(b)?;
    let role = role(&b.role)?;
    // Checked before anybody is added.
    let sites = people::check_sites(&state.db, &grant.project_id, b.sites.as_deref().unwrap_or_default()).await?;
    let actor = actor_of(&state.db, &grant).await?;
    let by = Actor::of(actor.as_deref(), &grant.device_id, None);
    let new = NewPerson { name: b.name, phone: b.phone, email: b.email, company_admin: false };
    let person = people::add_member(&state.db, &new, &grant.project_id, role, &sites, by).await?;
    let added = PersonAdded { person, project_id: grant.project_id, role, sites };
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// 404 unless `id` is a member of the token's project.
async fn member(db: &Db, grant: &TokenGrant, id: &str) -> Result<Role, ApiError> {
    people::membership(db, id, &grant.project_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("person", "no such person on this project"))
}

/// A member's new role.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = MemberRoleChange)]
pub struct RoleBody {
    role: String,
    /// The sites (ids) they work on, replacing their list: their phones' sync scope follows them.
    /// Absent: unchanged; empty: every site. Each must be a site of the project's reference data.
    #[serde(default)]
    #[schema(max_items = 200)]
    sites: Option<Vec<String>>,
}

/// A member's role on the project, as set.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRole {
    pub person_id: String,
    pub project_id: String,
    pub role: Role,
    /// Their sites on the project (empty: every site).
    pub sites: Vec<String>,
}

/// `PUT /v1/people/{id}/role` `{role, sites?}`: changes a member's role (and site list) on the
/// token's project.
#[utoipa::path(
    put,
    path = "/v1/people/{id}/role",
    tag = "people",
    operation_id = "set_member_role",
    params(("id" = String, Path, description = "The person's id")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The role is set (their phones' tokens take it too)", body = MemberRole),
        (status = 400, description = "Not JSON, not a role, or a site the project does not have (`sites`; nothing stored)", body = crate::openapi::ErrorBody),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such person on the token's project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn set_role(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    b: Result<Json<RoleBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    member(&state.db, &grant, &id).await?;
    let b = body(b)?;
    let role = role(&b.role)?;
    // Checked before anything is stored.
    let sites = match &b.sites {
        Some(s) => Some(people::check_sites(&state.db, &grant.project_id, s).await?),
        None => None,
    };
    let actor = actor_of(&state.db, &grant).await?;
    let by = Actor::of(actor.as_deref(), &grant.device_id, None);
    people::set_membership(&state.db, &id, &grant.project_id, role, by).await?;
    if let Some(sites) = &sites {
        people::set_sites(&state.db, &id, &grant.project_id, sites, by).await?;
    }
    let sites = people::sites_of(&state.db, &id, &grant.project_id).await.map_err(ApiError::internal)?;
    Ok(Json(MemberRole { person_id: id, project_id: grant.project_id, role, sites }).into_response())
}

/// A member removed from the project.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRemoved {
    pub person_id: String,
    pub project_id: String,
    /// Always true.
    pub removed: bool,
}

/// `DELETE /v1/people/{id}/role`: removes a member from the token's project.
#[utoipa::path(
    delete,
    path = "/v1/people/{id}/role",
    tag = "people",
    operation_id = "remove_member",
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "No longer a member: their sessions on the project end, their phones' tokens for it are revoked", body = MemberRemoved),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such person on the token's project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn remove(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    member(&state.db, &grant, &id).await?;
    let actor = actor_of(&state.db, &grant).await?;
    people::remove_membership(&state.db, &id, &grant.project_id, Actor::of(actor.as_deref(), &grant.device_id, None))
        .await?;
    Ok(Json(MemberRemoved { person_id: id, project_id: grant.project_id, removed: true }).into_response())
}

/// A person disabled.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonDisabled {
    pub person_id: String,
    /// Always true.
    pub disabled: bool,
}

/// `POST /v1/people/{id}/disable`: the member can no longer sign in; their sessions end and their
/// devices are revoked.
#[utoipa::path(
    post,
    path = "/v1/people/{id}/disable",
    tag = "people",
    operation_id = "disable_person",
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = 200, description = "Disabled: no sign-in, sessions ended, devices revoked", body = PersonDisabled),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such person on the token's project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn disable(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    member(&state.db, &grant, &id).await?;
    let actor = actor_of(&state.db, &grant).await?;
    let by = Actor::of(actor.as_deref(), &grant.device_id, None);
    people::disable(&state.db, &id, Some(&grant.project_id), by).await?;
    Ok(Json(PersonDisabled { person_id: id, disabled: true }).into_response())
}

/// A one-time sign-in link (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInLink {
    pub person_id: String,
    /// The link's path on this server (`/web/...`), where the person sets a password.
    pub path: String,
    /// Seconds the link works: 86,400 (a day).
    pub expires_in_s: i64,
}

/// `POST /v1/people/{id}/sign-in-link`: a new one-time link (24 h) for a member to set a
/// password; its path is returned once.
#[utoipa::path(
    post,
    path = "/v1/people/{id}/sign-in-link",
    tag = "people",
    operation_id = "create_sign_in_link",
    params(("id" = String, Path, description = "The person's id")),
    responses(
        (status = 201, description = "A new one-time link (24 h), shown once", body = SignInLink),
        (status = 401, description = "No token, or not a live one", body = crate::openapi::ErrorBody),
        (status = 403, description = "Not an admin's token", body = crate::openapi::ErrorBody),
        (status = 404, description = "No such person on the token's project", body = crate::openapi::ErrorBody),
    )
)]
pub async fn sign_in_link(
    Admin(grant): Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    member(&state.db, &grant, &id).await?;
    let actor = actor_of(&state.db, &grant).await?;
    let code = codes::create(&state.db, &id, actor.as_deref()).await.map_err(ApiError::internal)?;
    let link = SignInLink { person_id: id, path: codes::link("", &code), expires_in_s: codes::LIFETIME_MS / 1000 };
    Ok((StatusCode::CREATED, Json(link)).into_response())
}
