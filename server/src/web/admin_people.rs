//! `/web/admin/people`: a project's people for its admins: each member's role, phone, e-mail and
//! devices; add a person, change a role, remove from the project, make a new sign-in link (shown
//! once). Rules and audit in `crate::access::people`; a person of another project is 404.

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::account::client_address;
use super::session::WebSession;
use super::{Chrome, Fields, WebError, render, urlencode};
use crate::access::codes;
use crate::access::people::{self, Actor, Member, NewPerson, PeopleError};
use crate::auth::Role;
use crate::error::ApiError;
use crate::state::AppState;

/// Refuses (403) anyone but the project's admins.
fn admin_only(s: &WebSession) -> Result<(), WebError> {
    if s.manages() {
        Ok(())
    } else {
        Err(WebError::Forbidden(format!("a {} cannot manage this project's people; an admin can", s.grant.role)))
    }
}

/// The acting person (none for a device key's session) and the client's address.
fn actor<'a>(s: &'a WebSession, address: &'a Option<String>) -> Actor<'a> {
    Actor { person_id: s.person.as_ref().map(|p| p.id.as_str()), address: address.as_deref() }
}

/// A member as a row of the page.
pub struct Row {
    pub m: Member,
    pub role_key: &'static str,
    /// Their sites on the project, comma-separated (empty: every site; set with `person grant
    /// --site` or the people API's `sites`).
    pub sites: String,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage {
    c: Chrome,
    rows: Vec<Row>,
    roles: Vec<(&'static str, &'static str)>,
    /// What was just done, in words.
    done: String,
    /// Why the add form was refused, in words; and what was typed.
    problem: String,
    typed: NewTyped,
    /// A new sign-in link, shown once: (whose name, the link).
    link: Option<(String, String)>,
}

#[derive(Debug, Default, Clone)]
pub struct NewTyped {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub role: String,
}

#[derive(Debug, Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
    name: Option<String>,
}

fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), super::role_key(*r))).collect()
}

async fn page(
    state: &AppState,
    s: &WebSession,
    mut c: Chrome,
    done: String,
    problem: String,
    typed: NewTyped,
    link: Option<(String, String)>,
) -> Result<PeoplePage, WebError> {
    // The language switch comes back to the list, never to a form's path.
    c.path = "/web/admin/people".into();
    let members = people::members(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let sites = people::project_sites(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let sites_of = |person: &str| -> String {
        sites.iter().filter(|(p, _)| p == person).map(|(_, site)| site.as_str()).collect::<Vec<_>>().join(", ")
    };
    let rows = members
        .into_iter()
        .map(|m| Row { role_key: super::role_key(m.role), sites: sites_of(&m.person.id), m })
        .collect();
    Ok(PeoplePage { c, rows, roles: roles(), done, problem, typed, link })
}

/// `GET /web/admin/people`
pub(crate) async fn list(
    State(state): State<AppState>,
    s: WebSession,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    admin_only(&s)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "admin", "acc_people_title");
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let name = q.name.unwrap_or_default();
    let done = match q.done.as_deref() {
        Some("added") => c.t("acc_added").replace("{name}", &name),
        Some("role") => c.t("acc_role_changed").to_string(),
        Some("removed") => c.t("acc_removed").replace("{name}", &name),
        _ => String::new(),
    };
    let p = page(&state, &s, c, done, String::new(), NewTyped::default(), None).await?;
    Ok(render(&p)?.into_response())
}

/// A refusal of the shared rules in the page's words: the field and the reason.
fn in_words(e: &PeopleError, c: &Chrome) -> String {
    match e {
        PeopleError::Invalid { field, message } | PeopleError::Taken { field, message } => {
            let key = match *field {
                "name" => "acc_name",
                "phone" => "acc_phone",
                "email" => "acc_email",
                "role" => "acc_role",
                _ => "acc_people",
            };
            format!("{}{}{message}", c.t(key), c.t("err_colon"))
        }
        other => other.to_string(),
    }
}

/// `POST /web/admin/people` (csrf, name, phone, email, role): adds a person to this project.
pub(crate) async fn add(
    State(state): State<AppState>,
    s: WebSession,
    headers: HeaderMap,
    uri: Uri,
    ext: Extensions,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    admin_only(&s)?;
    let address = client_address(&ext);
    let typed = NewTyped {
        name: f.get("name").unwrap_or_default().to_string(),
        phone: f.get("phone").unwrap_or_default().to_string(),
        email: f.get("email").unwrap_or_default().to_string(),
        role: f.get("role").unwrap_or_default().to_string(),
    };
    let role = typed.role.parse::<Role>().map_err(|_| PeopleError::Invalid {
        field: "role",
        message: "choose foreman, supervisor, office or admin".into(),
    });
    let new = NewPerson {
        name: typed.name.clone(),
        phone: Some(typed.phone.clone()),
        email: Some(typed.email.clone()),
        company_admin: false,
    };
    let result = match role {
        Ok(role) => match people::create(&state.db, &new, actor(&s, &address)).await {
            Ok(p) => people::set_membership(&state.db, &p.id, &s.grant.project_id, role, actor(&s, &address))
                .await
                .map(|()| p),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/web/admin/people?done=added&name={}", urlencode(&p.name))).into_response()),
        Err(e @ (PeopleError::Invalid { .. } | PeopleError::Taken { .. })) => {
            let status =
                if matches!(e, PeopleError::Taken { .. }) { StatusCode::CONFLICT } else { StatusCode::BAD_REQUEST };
            let c = Chrome::new(Some(&s), &headers, &uri, "admin", "acc_people_title");
            let problem = in_words(&e, &c);
            let p = page(&state, &s, c, String::new(), problem, typed, None).await?;
            Ok((status, render(&p)?).into_response())
        }
        Err(e) => Err(WebError::Api(e.into())),
    }
}

/// The member `id` of the session's project, or 404 (whether or not they exist elsewhere).
async fn member_of(state: &AppState, s: &WebSession, id: &str) -> Result<people::Person, WebError> {
    let not_here = || WebError::Api(ApiError::not_found("person", "no such person on this project"));
    if people::membership(&state.db, id, &s.grant.project_id).await.map_err(WebError::internal)?.is_none() {
        return Err(not_here());
    }
    people::find(&state.db, id).await.map_err(WebError::internal)?.ok_or_else(not_here)
}

/// `POST /web/admin/people/{id}/role` (csrf, role)
pub(crate) async fn change_role(
    State(state): State<AppState>,
    s: WebSession,
    ext: Extensions,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    admin_only(&s)?;
    member_of(&state, &s, &id).await?;
    let role = f
        .get("role")
        .unwrap_or_default()
        .parse::<Role>()
        .map_err(|_| WebError::Api(ApiError::bad_request("role", "choose foreman, supervisor, office or admin")))?;
    let address = client_address(&ext);
    people::set_membership(&state.db, &id, &s.grant.project_id, role, actor(&s, &address))
        .await
        .map_err(|e| WebError::Api(e.into()))?;
    Ok(Redirect::to("/web/admin/people?done=role").into_response())
}

/// `POST /web/admin/people/{id}/remove` (csrf)
pub(crate) async fn remove(
    State(state): State<AppState>,
    s: WebSession,
    ext: Extensions,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    admin_only(&s)?;
    let person = member_of(&state, &s, &id).await?;
    let address = client_address(&ext);
    people::remove_membership(&state.db, &id, &s.grant.project_id, actor(&s, &address))
        .await
        .map_err(|e| WebError::Api(e.into()))?;
    Ok(Redirect::to(&format!("/web/admin/people?done=removed&name={}", urlencode(&person.name))).into_response())
}

/// `POST /web/admin/people/{id}/link` (csrf): a new one-time sign-in link, shown on this page once.
pub(crate) async fn new_link(
    State(state): State<AppState>,
    s: WebSession,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    admin_only(&s)?;
    let person = member_of(&state, &s, &id).await?;
    let by = s.person.as_ref().map(|p| p.id.as_str());
    let code = codes::create(&state.db, &id, by).await.map_err(WebError::internal)?;
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let link = codes::link(&format!("http://{host}"), &code);
    let c = Chrome::new(Some(&s), &headers, &uri, "admin", "acc_people_title");
    let p = page(&state, &s, c, String::new(), String::new(), NewTyped::default(), Some((person.name, link))).await?;
    Ok(render(&p)?.into_response())
}
