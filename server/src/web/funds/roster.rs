//! The real-name roster (实名制花名册, `/web/funds/roster`) over `funds::roster`: the list with
//! masked ID, card and phone numbers, the add/edit form, the import of a roster file (CSV/XLSX, sent
//! by `funds.js` with the CSRF token in a header), and the names typed on approved sheets that are
//! not on the roster yet, each confirmed with one form. Office and admin only. Full numbers are
//! read from the form and never shown back.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Problem, Tab, problem_of};
use crate::funds::roster::{self, ListFilter, ProposedName, Worker, WorkerInput};
use crate::state::AppState;
use crate::web::session::WebSession;
use crate::web::{Chrome, Fields, WebError, render};

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    /// A worker to edit.
    pub edit: Option<String>,
    /// What was just done: `saved`, `confirmed`, `imported` (with `n` rows).
    pub done: Option<String>,
    pub n: Option<String>,
}

/// The form's values as shown (typed back after a refusal; ID, card and phone numbers never).
#[derive(Debug, Default, Clone)]
pub struct FormValues {
    pub id: String,
    pub name: String,
    pub bank: String,
    pub crew: String,
    pub trade: String,
    pub day_rate: String,
    pub status: String,
    pub joined_on: String,
    pub left_on: String,
    /// The masked numbers on file (editing), as hints.
    pub id_masked: String,
    pub card_masked: String,
    pub phone_masked: String,
}

impl FormValues {
    fn of(w: &Worker) -> Self {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        FormValues {
            id: w.id.clone(),
            name: w.name.clone(),
            bank: o(&w.bank),
            crew: o(&w.crew),
            trade: o(&w.trade),
            day_rate: o(&w.day_rate),
            status: w.status.clone(),
            joined_on: o(&w.joined_on),
            left_on: o(&w.left_on),
            id_masked: o(&w.id_masked),
            card_masked: o(&w.card_masked),
            phone_masked: o(&w.phone_masked),
        }
    }

    fn typed(f: &Fields) -> Self {
        let g = |k: &str| f.get(k).unwrap_or_default().trim().to_string();
        FormValues {
            id: g("id"),
            name: g("name"),
            bank: g("bank"),
            crew: g("crew"),
            trade: g("trade"),
            day_rate: g("day_rate"),
            status: g("status"),
            joined_on: g("joined_on"),
            left_on: g("left_on"),
            ..FormValues::default()
        }
    }
}

#[derive(Template)]
#[template(path = "funds_roster.html")]
struct RosterPage {
    c: Chrome,
    tabs: Vec<Tab>,
    workers: Vec<Worker>,
    active: usize,
    proposed: Vec<ProposedName>,
    /// Editing this worker (its id), else adding.
    editing: String,
    form: FormValues,
    problem: Option<Problem>,
    /// Which form the problem belongs to: `worker`, `import`, or a proposed name.
    problem_at: String,
    done: String,
}

async fn build(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    editing: Option<String>,
    form: Option<FormValues>,
    problem: Option<(Problem, String)>,
    done: String,
) -> Result<RosterPage, WebError> {
    let project = &s.grant.project_id;
    let workers = roster::list(&state.db, project, &ListFilter::default()).await.map_err(WebError::internal)?;
    let proposed = roster::proposed(&state.db, project).await.map_err(WebError::internal)?;
    let form = match (form, &editing) {
        (Some(f), _) => f,
        (None, Some(id)) => workers.iter().find(|w| &w.id == id).map(FormValues::of).unwrap_or_default(),
        (None, None) => FormValues { status: "active".into(), ..FormValues::default() },
    };
    let (problem, problem_at) = problem.map_or((None, String::new()), |(p, at)| (Some(p), at));
    Ok(RosterPage {
        tabs: super::tabs(s, c.lang, "roster"),
        active: workers.iter().filter(|w| w.status == "active").count(),
        workers,
        proposed,
        editing: editing.unwrap_or_default(),
        form,
        problem,
        problem_at,
        done,
        c,
    })
}

fn chrome(s: &WebSession, headers: &HeaderMap, uri: &Uri) -> Chrome {
    Chrome::new(Some(s), headers, uri, "funds", "fr_title")
}

/// `GET /web/funds/roster[?edit=ID]`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let c = chrome(&s, &headers, &uri);
    let done = match q.done.as_deref() {
        Some("saved") => c.t("fr_done_saved").to_string(),
        Some("confirmed") => c.t("fr_done_confirmed").to_string(),
        Some("imported") => crate::web::dashboards::fill(c.t("fr_done_imported"), q.n.as_deref().unwrap_or("0").trim()),
        _ => String::new(),
    };
    let editing = q.edit.filter(|e| !e.trim().is_empty());
    let page = build(&state, &s, c, editing, None, None, done).await?;
    Ok(render(&page)?.into_response())
}

/// The form as `WorkerInput`: blank ID, card and phone numbers keep what is on file; other blank
/// fields clear (editing) or stay unset (adding).
fn input_of(f: &Fields, editing: bool) -> WorkerInput {
    let text = |k: &str| f.get(k).map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let field = |k: &str| match text(k) {
        Some(t) => Some(Some(t)),
        None if editing => Some(None),
        None => None,
    };
    let number = |k: &str| text(k).map(Some);
    WorkerInput {
        id: text("id"),
        name: text("name"),
        id_number: number("id_number"),
        card_number: number("card_number"),
        bank: field("bank"),
        phone: number("phone"),
        crew: field("crew"),
        trade: field("trade"),
        day_rate: field("day_rate"),
        status: text("status"),
        joined_on: field("joined_on"),
        left_on: field("left_on"),
    }
}

async fn refused(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    e: crate::funds::error::FundsError,
    editing: Option<String>,
    form: Option<FormValues>,
    at: &str,
) -> Result<Response, WebError> {
    let lang = c.lang;
    let Some((status, p)) = problem_of(&e, lang) else { return Err(WebError::internal(e)) };
    let page = build(state, s, c, editing, form, Some((p, at.to_string())), String::new()).await?;
    Ok((status, render(&page)?).into_response())
}

/// `POST /web/funds/roster` (add) and `POST /web/funds/roster/{id}` (edit).
pub async fn save(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    id: Option<Path<String>>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let editing = id.map(|Path(id)| id);
    let input = input_of(&f, editing.is_some());
    let project = &s.grant.project_id;
    let result = match &editing {
        Some(id) => roster::update(&state.db, &state.cache, project, id, &input).await,
        None => roster::create(&state.db, &state.cache, project, &input).await,
    };
    match result {
        Ok(w) => Ok(Redirect::to(&format!("/web/funds/roster?done=saved#worker-{}", w.id)).into_response()),
        Err(e) => {
            let c = chrome(&s, &headers, &uri);
            let mut typed = FormValues::typed(&f);
            if let Some(id) = &editing
                && let Ok(w) = roster::get(&state.db, project, id).await
            {
                typed.id_masked = w.id_masked.unwrap_or_default();
                typed.card_masked = w.card_masked.unwrap_or_default();
                typed.phone_masked = w.phone_masked.unwrap_or_default();
            }
            refused(&state, &s, c, e, editing, Some(typed), "worker").await
        }
    }
}

/// `POST /web/funds/roster/confirm`: a proposed name onto the roster (with crew, trade and ID
/// number when typed).
pub async fn confirm(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let input = input_of(&f, false);
    match roster::confirm_proposed(&state.db, &state.cache, &s.grant.project_id, &input).await {
        Ok(w) => Ok(Redirect::to(&format!("/web/funds/roster?done=confirmed#worker-{}", w.id)).into_response()),
        Err(e) => {
            let at = format!("proposed-{}", f.get("name").unwrap_or_default().trim());
            refused(&state, &s, chrome(&s, &headers, &uri), e, None, None, &at).await
        }
    }
}

/// `POST /web/funds/roster/import`: the file as the body (CSV or XLSX), the CSRF token in
/// `X-CSRF-Token`; all or nothing (`roster::import`).
pub async fn import(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: axum::body::Bytes,
) -> Result<Response, WebError> {
    crate::web::csrf::check(&s.csrf, headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))?;
    super::require_pay(&s)?;
    let result = if body.is_empty() {
        Err(crate::funds::error::FundsError::bad("file", "the file is empty"))
    } else {
        roster::import(&state.db, &state.cache, &s.grant.project_id, &body).await
    };
    match result {
        Ok(sum) => {
            Ok(Redirect::to(&format!("/web/funds/roster?done=imported&n={}", sum.created + sum.updated))
                .into_response())
        }
        Err(e) => refused(&state, &s, chrome(&s, &headers, &uri), e, None, None, "import").await,
    }
}

/// The import route, with the body limit of a roster file.
pub fn import_route() -> axum::routing::MethodRouter<AppState> {
    axum::routing::post(import).layer(axum::extract::DefaultBodyLimit::max(crate::funds::sheet::MAX_FILE_BYTES))
}
