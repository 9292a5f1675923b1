//! `/web/admin/people`: a project's people for its admins: each member's role, sites, phone, e-mail
//! and devices; add a person (with their sites), change a role or the sites they work on (their phones' sync scope),
//! remove from the project, make a new sign-in link (shown once). Rules and audit in
//! `crate::access::people` (sites: `check_sites` and `set_sites`, as the people API); a person of
//! another project is 404.

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::account::client_address;
use super::i18n::Lang;
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
    Actor::of(s.person.as_ref().map(|p| p.id.as_str()), &s.grant.device_id, address.as_deref())
}

/// A member as a row of the page.
pub struct Row {
    pub m: Member,
    pub role_key: &'static str,
    /// Their sites on the project in words, `东区工地 (S1), 西区工地 (S2)`; empty: every site (set
    /// here, with `person grant --site` or the people API's `sites`).
    pub sites: String,
    /// The project's sites for the row's form: (id, name, ticked).
    pub choices: Vec<(String, String, bool)>,
    /// Why their sites were not saved (the form stays open), in words.
    pub sites_problem: String,
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
    /// The project has sites (the rows' and the add form's site choices are offered).
    has_sites: bool,
    /// The add form's site choices: (id, name, ticked as typed).
    new_sites: Vec<(String, String, bool)>,
}

#[derive(Debug, Default, Clone)]
pub struct NewTyped {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub role: String,
    /// "Only these sites" was chosen (else every site), and the sites ticked.
    pub sites_only: bool,
    pub sites: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
    name: Option<String>,
    /// `done=sites`: whose sites were saved (their stored list is said, so a link cannot make the
    /// page claim a change that did not happen).
    person: Option<String>,
}

fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), super::role_key(*r))).collect()
}

/// The project's sites from its reference data: (id, name), in that order (`people::project_sites` is who
/// works where).
async fn site_names(state: &AppState, project: &str) -> Result<Vec<(String, String)>, WebError> {
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    Ok(set.sites.into_iter().map(|s| (s.id, s.name)).collect())
}

/// Site ids in words: each by its name and id (an id the reference data no longer lists, alone).
/// The access log words a sites change with it too.
pub(super) fn site_words(ids: &[&str], names: &[(String, String)], lang: Lang) -> String {
    ids.iter()
        .map(|id| match names.iter().find(|(i, _)| i == id) {
            Some((_, name)) if !name.is_empty() && name != id => format!("{name} ({id})"),
            _ => id.to_string(),
        })
        .collect::<Vec<_>>()
        .join(lang.t("lab_list_sep"))
}

/// A site form's choice (`sites_mode` all|only, `site` repeated) checked by the people API's rule
/// (`check_sites`): the sites to store (empty: every site), or why not in the page's words. An id
/// the reference data no longer lists (removed since the page was opened) is said by this screen, in
/// the page's language; the rule's other refusals through `in_words`.
async fn chosen_sites(
    state: &AppState,
    project: &str,
    only: bool,
    ticked: &[String],
    c: &Chrome,
) -> Result<Result<Vec<String>, String>, WebError> {
    if !only {
        return Ok(Ok(Vec::new()));
    }
    if ticked.is_empty() {
        return Ok(Err(c.t("acc_sites_none_ticked").to_string()));
    }
    let names = site_names(state, project).await?;
    // Empty ids are left to the rule's own refusal.
    let unknown = |t: &&str| !t.is_empty() && !names.iter().any(|(id, _)| id == t);
    if let Some(gone) = ticked.iter().map(|t| t.trim()).find(unknown) {
        let why = c.t("acc_sites_unknown").replace("{site}", gone).replace("{project}", project);
        return Ok(Err(format!("{}{}{why}", c.t("acc_sites"), c.t("err_colon"))));
    }
    match people::check_sites(&state.db, project, ticked).await {
        Ok(sites) => Ok(Ok(sites)),
        Err(e @ (PeopleError::Invalid { .. } | PeopleError::Taken { .. })) => Ok(Err(in_words(&e, c))),
        Err(e) => Err(WebError::Api(e.into())),
    }
}

/// A site form refused: whose, and why in words.
type SitesProblem = Option<(String, String)>;

#[allow(clippy::too_many_arguments)] // The page's parts, each optional.
async fn page(
    state: &AppState,
    s: &WebSession,
    mut c: Chrome,
    done: String,
    problem: String,
    typed: NewTyped,
    link: Option<(String, String)>,
    sites_problem: SitesProblem,
) -> Result<PeoplePage, WebError> {
    // The language switch comes back to the list, never to a form's path.
    c.path = "/web/admin/people".into();
    let members = people::members(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let sites = people::project_sites(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let names = site_names(state, &s.grant.project_id).await?;
    let rows = members
        .into_iter()
        .map(|m| {
            let mine: Vec<&str> =
                sites.iter().filter(|(p, _)| *p == m.person.id).map(|(_, site)| site.as_str()).collect();
            let choices =
                names.iter().map(|(id, name)| (id.clone(), name.clone(), mine.contains(&id.as_str()))).collect();
            let sites_problem = match &sites_problem {
                Some((who, why)) if *who == m.person.id => why.clone(),
                _ => String::new(),
            };
            Row {
                role_key: super::role_key(m.role),
                sites: site_words(&mine, &names, c.lang),
                choices,
                sites_problem,
                m,
            }
        })
        .collect();
    let new_sites = names.iter().map(|(id, name)| (id.clone(), name.clone(), typed.sites.contains(id))).collect();
    Ok(PeoplePage { c, rows, roles: roles(), done, problem, typed, link, has_sites: !names.is_empty(), new_sites })
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
        Some("sites") => sites_saved(&state, &s, &c, q.person.as_deref().unwrap_or_default()).await?,
        _ => String::new(),
    };
    let p = page(&state, &s, c, done, String::new(), NewTyped::default(), None, None).await?;
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
                "sites" => "acc_sites",
                _ => "acc_people",
            };
            format!("{}{}{message}", c.t(key), c.t("err_colon"))
        }
        other => other.to_string(),
    }
}

/// `POST /web/admin/people` (csrf, name, phone, email, role, `sites_mode` all|only, `site` repeated):
/// adds a person to this project with their sites, as `POST /v1/people` does: the role and the sites
/// are checked before anybody is created, so a refused site creates nobody.
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
        sites_only: f.get("sites_mode") == Some("only"),
        sites: f.all("site").map(str::to_string).collect(),
    };
    let project = &s.grant.project_id;
    let c = Chrome::new(Some(&s), &headers, &uri, "admin", "acc_people_title");
    let Ok(role) = typed.role.parse::<Role>() else {
        let e = PeopleError::Invalid { field: "role", message: "choose foreman, supervisor, office or admin".into() };
        let problem = in_words(&e, &c);
        return add_refused(&state, &s, c, StatusCode::BAD_REQUEST, problem, typed).await;
    };
    let sites = match chosen_sites(&state, project, typed.sites_only, &typed.sites, &c).await? {
        Ok(sites) => sites,
        Err(problem) => return add_refused(&state, &s, c, StatusCode::BAD_REQUEST, problem, typed).await,
    };
    let new = NewPerson {
        name: typed.name.clone(),
        phone: Some(typed.phone.clone()),
        email: Some(typed.email.clone()),
        company_admin: false,
    };
    let by = actor(&s, &address);
    match people::add_member(&state.db, &new, project, role, &sites, by).await {
        Ok(p) => Ok(Redirect::to(&format!("/web/admin/people?done=added&name={}", urlencode(&p.name))).into_response()),
        Err(e @ (PeopleError::Invalid { .. } | PeopleError::Taken { .. })) => {
            let status =
                if matches!(e, PeopleError::Taken { .. }) { StatusCode::CONFLICT } else { StatusCode::BAD_REQUEST };
            let problem = in_words(&e, &c);
            add_refused(&state, &s, c, status, problem, typed).await
        }
        Err(e) => Err(WebError::Api(e.into())),
    }
}

/// The add form refused: the page again with why and what was typed (sites ticked as they were).
async fn add_refused(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    status: StatusCode,
    problem: String,
    typed: NewTyped,
) -> Result<Response, WebError> {
    let p = page(state, s, c, String::new(), problem, typed, None, None).await?;
    Ok((status, render(&p)?).into_response())
}

/// The member `id` of the session's project, or 404 (whether or not they exist elsewhere).
async fn member_of(state: &AppState, s: &WebSession, id: &str) -> Result<people::Person, WebError> {
    let not_here = || WebError::Api(ApiError::not_found("person", "no such person on this project"));
    if people::membership(&state.db, id, &s.grant.project_id).await.map_err(WebError::internal)?.is_none() {
        return Err(not_here());
    }
    people::find(&state.db, id).await.map_err(WebError::internal)?.ok_or_else(not_here)
}

/// `POST /web/admin/people/{id}/role` (csrf, role), or the row's site form (csrf, `sites_form`,
/// `sites_mode` all|only, `site` repeated): the role and the sites, as `PUT /v1/people/{id}/role`
/// sets them.
pub(crate) async fn change_role(
    State(state): State<AppState>,
    s: WebSession,
    headers: HeaderMap,
    uri: Uri,
    ext: Extensions,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    admin_only(&s)?;
    let person = member_of(&state, &s, &id).await?;
    if f.get("sites_form").is_some() {
        return change_sites(&state, &s, &headers, &uri, &ext, person, &f).await;
    }
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

/// The row's site form: every site (`sites_mode=all`, the default), or only the ticked ones (at
/// least one), checked and stored by the people API's rules (`check_sites`, `set_sites`: audited).
/// Refused, the page comes back with the row's form open and why (400); nothing changes.
async fn change_sites(
    state: &AppState,
    s: &WebSession,
    headers: &HeaderMap,
    uri: &Uri,
    ext: &Extensions,
    person: people::Person,
    f: &Fields,
) -> Result<Response, WebError> {
    let project = &s.grant.project_id;
    let c = Chrome::new(Some(s), headers, uri, "admin", "acc_people_title");
    let only = f.get("sites_mode") == Some("only");
    let ticked: Vec<String> = f.all("site").map(str::to_string).collect();
    let sites = match chosen_sites(state, project, only, &ticked, &c).await? {
        Ok(sites) => sites,
        Err(why) => {
            let p = page(state, s, c, String::new(), String::new(), NewTyped::default(), None, Some((person.id, why)))
                .await?;
            return Ok((StatusCode::BAD_REQUEST, render(&p)?).into_response());
        }
    };
    let address = client_address(ext);
    people::set_sites(&state.db, &person.id, project, &sites, actor(s, &address))
        .await
        .map_err(|e| WebError::Api(e.into()))?;
    Ok(Redirect::to(&format!("/web/admin/people?done=sites&person={}", urlencode(&person.id))).into_response())
}

/// "Sites of 王建国 saved: 东区工地 (S1)", from what is stored for member `person` (nothing for
/// someone not on the project).
async fn sites_saved(state: &AppState, s: &WebSession, c: &Chrome, person: &str) -> Result<String, WebError> {
    let project = &s.grant.project_id;
    if person.is_empty() || people::membership(&state.db, person, project).await.map_err(WebError::internal)?.is_none()
    {
        return Ok(String::new());
    }
    let Some(p) = people::find(&state.db, person).await.map_err(WebError::internal)? else { return Ok(String::new()) };
    let ids = people::sites_of(&state.db, person, project).await.map_err(WebError::internal)?;
    let words = if ids.is_empty() {
        c.t("acc_sites_all").to_string()
    } else {
        let names = site_names(state, project).await?;
        site_words(&ids.iter().map(String::as_str).collect::<Vec<_>>(), &names, c.lang)
    };
    Ok(c.t("acc_sites_saved").replace("{name}", &p.name).replace("{sites}", &words))
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
    let link = Some((person.name, link));
    let p = page(&state, &s, c, String::new(), String::new(), NewTyped::default(), link, None).await?;
    Ok(render(&p)?.into_response())
}
