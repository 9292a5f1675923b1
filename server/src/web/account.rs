//! A person's way in and around: password sign-in (throttled, audited), the welcome page a
//! sign-in link opens (set a password), the project switcher and the portfolio home (their
//! projects with role and pending count). Rules in `crate::access`; docs/access.md.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::{self, Found, Holder, SessionPerson, WebSession};
use super::{Chrome, Fields, SignInProblem, WebError, csrf, render, safe_back};
use crate::access::audit::{self, Entry, Event};
use crate::access::throttle::{self, Account};
use crate::access::{codes, password, people};
use crate::db::{Db, on_pool};
use crate::state::AppState;

/// Whether anyone can sign in with a password yet (else the device-key form is shown unfolded).
pub async fn anyone_has_password(db: &Db) -> Result<bool, sqlx::Error> {
    let n: i64 = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM people WHERE password_hash IS NOT NULL LIMIT 1) t"
    )
    .fetch_one(p)
    .await)?;
    Ok(n > 0)
}

/// The client's address as the connection gives it (never a header a client could forge).
pub fn client_address(ext: &Extensions) -> Option<String> {
    ext.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
}

/// Adds the session cookie (and clears the sign-in form's) to a response.
fn with_session_cookie(mut response: Response, id: &str) -> Result<Response, WebError> {
    let h = response.headers_mut();
    for c in [
        session::set_cookie(session::COOKIE, id, session::LIFETIME_MS / 1000),
        session::set_cookie(csrf::SIGNIN_COOKIE, "", 0),
    ] {
        h.append(header::SET_COOKIE, HeaderValue::from_str(&c).map_err(WebError::internal)?);
    }
    Ok(response)
}

/// Opens a person's session on their first project; where they land: their only project's page
/// (`next`), else the portfolio home.
async fn open_person_session(db: &Db, person_id: &str, company_admin: bool) -> Result<(String, bool), WebError> {
    let projects = people::projects_of(db, person_id, company_admin).await.map_err(WebError::internal)?;
    let project = projects.first().map(|p| p.project_id.as_str());
    let (id, _) = session::open(db, Holder::Person { id: person_id, project }).await.map_err(WebError::internal)?;
    Ok((id, projects.len() == 1))
}

/// `POST /web/sign-in` with `login` (phone or e-mail) and `password`: throttled per account and
/// address (429), refused alike whether the account exists or not (401), audited either way.
pub(crate) async fn password_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    ext: &Extensions,
    f: &Fields,
    next: String,
    keep: Option<session::Kept>,
) -> Result<Response, WebError> {
    let db = &state.db;
    let typed = f.get("login").map(str::trim).unwrap_or_default();
    let typed = typed.chars().take(people::MAX_EMAIL_BYTES).collect::<String>();
    let secret = f.get("password").unwrap_or_default();
    let address = client_address(ext);
    let login = people::normalize_login(&typed).map_or_else(|| typed.to_lowercase(), |(_, l)| l);
    let person = people::by_login(db, &typed).await.map_err(WebError::internal)?;
    let chrome = || Chrome::new(None, headers, uri, "", "sign_in");
    let account = person.as_ref().map_or(Account::Unknown(&login), |p| Account::Person(&p.id));
    if let Some(wait) = throttle::check(db, account, address.as_deref()).await.map_err(WebError::internal)? {
        state.metrics.sign_in_throttled.inc();
        tracing::warn!(address = address.as_deref().unwrap_or("-"), "sign-in throttled");
        let lang = chrome().lang;
        let text = lang.t("acc_throttled").replace("{n}", &wait.minutes().to_string());
        let problem = SignInProblem { text, login: typed, ..SignInProblem::default() };
        let mut response = super::sign_in_form_with(chrome(), next, problem, StatusCode::TOO_MANY_REQUESTS, keep)?;
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.seconds()));
        return Ok(response);
    }
    // Verified in every case (a dummy hash for an unknown account), so timing tells nothing.
    let matched = password::verify(person.as_ref().and_then(|p| p.password_hash.as_deref()), secret).await;
    let person = match person {
        Some(p) if matched && !p.disabled => p,
        refused => {
            state.metrics.sign_in_failures.inc();
            let entry = Entry {
                person_id: refused.as_ref().map(|p| p.id.as_str()),
                address: address.as_deref(),
                facts: audit::Facts::Login { login: login.clone() },
                ..Entry::default()
            };
            audit::record(db, Event::SignInFailed, entry).await.map_err(WebError::internal)?;
            let problem = SignInProblem { key: Some("acc_wrong_password"), login: typed, ..SignInProblem::default() };
            return super::sign_in_form_with(chrome(), next, problem, StatusCode::UNAUTHORIZED, keep);
        }
    };
    let company_admin =
        people::find(db, &person.id).await.map_err(WebError::internal)?.is_some_and(|p| p.company_admin);
    let (id, single) = open_person_session(db, &person.id, company_admin).await?;
    let working = session::lookup(db, &id).await.map_err(WebError::internal)?.and_then(Found::working);
    audit::record(
        db,
        Event::SignIn,
        Entry {
            project_id: working.as_ref().map(|s| s.grant.project_id.as_str()),
            actor_id: Some(&person.id),
            person_id: Some(&person.id),
            address: address.as_deref(),
            ..Entry::default()
        },
    )
    .await
    .map_err(WebError::internal)?;
    tracing::info!(person = %person.id, "web sign-in with a password");
    let response = match (keep, working) {
        (Some(keep), Some(s)) if single => {
            let c = Chrome::new(Some(&s), headers, uri, "queue", "err_sess_continue_title");
            session::continue_page(state, c, keep).await?
        }
        _ if single => Redirect::to(&next).into_response(),
        _ => Redirect::to("/web/home").into_response(),
    };
    with_session_cookie(response, &id)
}

/// A person's session whatever its project (the home page and the switcher). A device-key session
/// goes to the queue; none, to sign-in.
pub struct PersonSession {
    pub person: Arc<SessionPerson>,
    pub project: Option<String>,
    pub csrf: String,
    /// The cookie value (to move the session to another project).
    pub id: String,
}

impl FromRequestParts<AppState> for PersonSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back = parts.uri.path_and_query().map_or("/web/home".to_string(), |p| p.as_str().to_string());
        let Some(id) = session::cookie(&parts.headers, session::COOKIE) else { return Err(WebError::SignIn(back)) };
        match session::lookup(&state.db, &id).await.map_err(WebError::internal)? {
            Some(Found::Person { person, project, csrf }) => Ok(PersonSession { person, project, csrf, id }),
            Some(Found::Token(_)) => Err(WebError::Api(crate::error::ApiError::not_found(
                "session",
                "a device key's session has one project: there is no home page to choose from",
            ))),
            None => Err(WebError::SignIn(back)),
        }
    }
}

impl PersonSession {
    /// The working session on the current project, if any.
    fn working(&self) -> Option<WebSession> {
        Found::Person { person: self.person.clone(), project: self.project.clone(), csrf: self.csrf.clone() }.working()
    }

    /// The page frame: the working session's, or (no project) the person's name and sign-out.
    fn chrome(&self, headers: &HeaderMap, uri: &Uri, title: &'static str) -> Chrome {
        let working = self.working();
        let mut c = Chrome::new(working.as_ref(), headers, uri, "home", title);
        if working.is_none() {
            c.user = self.person.name.clone();
            c.csrf = self.csrf.clone();
            c.person = true;
        }
        c
    }
}

/// A row of the portfolio.
pub struct HomeRow {
    pub project_id: String,
    pub name: String,
    pub role: &'static str,
    pub pending: i64,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account_home.html")]
struct HomePage {
    c: Chrome,
    rows: Vec<HomeRow>,
    /// The cap of a count (`10,000+`).
    cap: i64,
}

/// `GET /web/home`: the person's projects with their role and pending count, each a link (a form
/// that switches to it); a person with none is told so.
pub(crate) async fn home(
    State(state): State<AppState>,
    p: PersonSession,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, WebError> {
    use crate::ledger::pending;
    let mut rows = Vec::with_capacity(p.person.projects.len());
    for pr in &p.person.projects {
        pending::refresh_index(&state.db, &state.cache, &pr.project_id).await?;
        let counts = pending::tab_counts(&state.db, &pr.project_id, &pending::QueueFilter::default()).await?;
        rows.push(HomeRow {
            project_id: pr.project_id.clone(),
            name: pr.label().to_string(),
            role: super::role_key(pr.role),
            pending: counts.pending,
            current: p.project.as_deref() == Some(pr.project_id.as_str()),
        });
    }
    let c = p.chrome(&headers, &uri, "acc_home");
    Ok(render(&HomePage { c, rows, cap: pending::COUNT_CAP })?.into_response())
}

/// `POST /web/switch` (csrf, project, next): works on another of the person's projects from now
/// on. A project they are not on is 404, as if it did not exist.
pub(crate) async fn switch(
    State(state): State<AppState>,
    p: PersonSession,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    csrf::check(&p.csrf, f.get(csrf::FIELD))?;
    let project = f.get("project").unwrap_or_default();
    if !p.person.projects.iter().any(|r| r.project_id == project) {
        return Err(WebError::Api(crate::error::ApiError::not_found("project", "no such project")));
    }
    session::switch_project(&state.db, &p.id, project).await.map_err(WebError::internal)?;
    // A record or a drill-down of the old project is not in the new one: land on its list.
    let next = safe_back(f.get("next"));
    let next = if next.starts_with("/web/records/") || next.starts_with("/web/cost/") {
        "/web/queue".to_string()
    } else {
        next
    };
    Ok(Redirect::to(&next).into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct CodeQuery {
    code: Option<String>,
}

#[derive(Template)]
#[template(path = "account_welcome.html")]
struct WelcomePage {
    c: Chrome,
    code: String,
    name: String,
    form_csrf: String,
    /// Why the link does not work, or what was wrong with the password (in words).
    problem: String,
    usable: bool,
    min_chars: usize,
    /// The person has no phone number or e-mail yet (the first run's admin): the form asks for one.
    needs_login: bool,
    login: String,
}

/// Who a welcome page is for: their name, and whether they still need a phone number or e-mail.
#[derive(Default)]
struct Whom {
    name: String,
    needs_login: bool,
    login: String,
}

async fn whom(db: &Db, person: &str) -> Result<Whom, WebError> {
    let p = people::find(db, person).await.map_err(WebError::internal)?;
    Ok(p.map(|p| Whom { needs_login: p.phone.is_none() && p.email.is_none(), name: p.name, login: String::new() })
        .unwrap_or_default())
}

fn welcome_page(
    c: Chrome,
    code: String,
    who: Whom,
    problem: String,
    usable: bool,
    status: StatusCode,
) -> Result<Response, WebError> {
    let form_csrf = session::random_secret();
    let page = WelcomePage {
        c,
        code,
        name: who.name,
        form_csrf: form_csrf.clone(),
        problem,
        usable,
        min_chars: password::MIN_CHARS,
        needs_login: who.needs_login,
        login: who.login,
    };
    let cookie = session::set_cookie(csrf::SIGNIN_COOKIE, &form_csrf, 3600);
    Ok((status, [(header::SET_COOKIE, cookie)], render(&page)?).into_response())
}

/// The words of a code that does not work, and its status.
fn code_problem(e: codes::CodeError, lang: super::i18n::Lang) -> (String, StatusCode) {
    match e {
        codes::CodeError::Unknown => (lang.t("acc_code_unknown").to_string(), StatusCode::NOT_FOUND),
        codes::CodeError::Used => (lang.t("acc_code_used").to_string(), StatusCode::GONE),
        codes::CodeError::Expired => (lang.t("acc_code_expired").to_string(), StatusCode::GONE),
    }
}

/// `GET /web/welcome?code=`: the sign-in link's page, where the person sets their password.
pub(crate) async fn welcome(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<CodeQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let code = q.ok().and_then(|Query(q)| q.code).unwrap_or_default();
    let c = Chrome::new(None, &headers, &uri, "", "acc_welcome");
    match codes::peek(&state.db, &code).await.map_err(WebError::internal)? {
        Ok(person) => {
            let who = whom(&state.db, &person).await?;
            welcome_page(c, code, who, String::new(), true, StatusCode::OK)
        }
        Err(e) => {
            let (problem, status) = code_problem(e, c.lang);
            welcome_page(c, String::new(), Whom::default(), problem, false, status)
        }
    }
}

/// `POST /web/welcome` (csrf, code, password, confirm): sets the password, uses the link up and
/// signs the person in.
pub(crate) async fn set_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    ext: Extensions,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    csrf::check(&session::cookie(&headers, csrf::SIGNIN_COOKIE).unwrap_or_default(), f.get(csrf::FIELD))?;
    let db = &state.db;
    let code = f.get("code").unwrap_or_default().to_string();
    let (pw, confirm) = (f.get("password").unwrap_or_default(), f.get("confirm").unwrap_or_default());
    let c = Chrome::new(None, &headers, &uri, "", "acc_welcome");
    let lang = c.lang;
    let person = match codes::peek(db, &code).await.map_err(WebError::internal)? {
        Ok(p) => p,
        Err(e) => {
            let (problem, status) = code_problem(e, lang);
            return welcome_page(c, String::new(), Whom::default(), problem, false, status);
        }
    };
    let mut who = whom(db, &person).await?;
    let login = f.get("login").map(str::trim).unwrap_or_default();
    who.login = login.to_string();
    // The first run's admin is a placeholder ("Admin"): their page also asks for their own name
    // (left as it is when not given).
    let name = f.get("name").map(str::trim).filter(|n| who.needs_login && !n.is_empty());
    let refused = if who.needs_login && people::normalize_login(login).is_none() {
        Some(lang.t("acc_login_needed").to_string())
    } else if name.is_some_and(|n| people::check_name(n).is_err()) {
        Some(lang.t("acc_name_bad").to_string())
    } else if password::check_new(pw).is_err() {
        Some(lang.t("acc_password_short").replace("{n}", &password::MIN_CHARS.to_string()))
    } else if pw != confirm {
        Some(lang.t("acc_password_mismatch").to_string())
    } else {
        None
    };
    if let Some(problem) = refused {
        return welcome_page(c, code, who, problem, true, StatusCode::BAD_REQUEST);
    }
    if let Some(name) = name {
        people::rename(db, &person, name).await.map_err(|e| WebError::Api(e.into()))?;
    }
    if who.needs_login {
        match people::set_login(db, &person, login).await {
            Ok(()) => {}
            Err(people::PeopleError::Taken { .. }) => {
                let problem = lang.t("acc_login_taken").to_string();
                return welcome_page(c, code, who, problem, true, StatusCode::CONFLICT);
            }
            Err(e) => return Err(WebError::Api(e.into())),
        }
    }
    // Used up first: of two submissions of one link, only one sets a password.
    let person = match codes::consume(db, &code).await.map_err(WebError::internal)? {
        Ok(p) => p,
        Err(e) => {
            let (problem, status) = code_problem(e, lang);
            return welcome_page(c, String::new(), Whom::default(), problem, false, status);
        }
    };
    let address = client_address(&ext);
    password::set(db, &person, pw, address.as_deref()).await.map_err(|e| WebError::Api(e.into()))?;
    let company_admin = people::find(db, &person).await.map_err(WebError::internal)?.is_some_and(|p| p.company_admin);
    let (id, _) = open_person_session(db, &person, company_admin).await?;
    let entry =
        Entry { actor_id: Some(&person), person_id: Some(&person), address: address.as_deref(), ..Entry::default() };
    audit::record(db, Event::SignIn, entry).await.map_err(WebError::internal)?;
    with_session_cookie(Redirect::to("/web/home").into_response(), &id)
}
