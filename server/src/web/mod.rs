//! Supervisor and office screens, rendered on the server (askama templates in `server/templates/`,
//! CSS and a little JavaScript in `server/static/`, embedded in the binary: nothing comes from a
//! CDN). They are a second front end over the same ledger and report code as the JSON API
//! (docs/supervisor-screens.md):
//!
//! * `session`: sign-in with a supervisor or admin token, sessions in an HTTP-only cookie;
//! * `csrf`: the token every state-changing form carries;
//! * `i18n`, `format`: English and 简体中文, money per currency, instants in the site's zone;
//! * `queue`, `record`: the approval queue, a record with its decisions, approve / reject / bulk;
//! * `dashboards`, `svg`: cost, schedule (earned value) and day labour, with SVG charts.
//!
//! Their routes are listed in `crate::routes` (`web_routes`), with `page_headers` on the pages.

pub mod csrf;
pub mod dashboards;
pub mod format;
pub mod i18n;
pub mod queue;
pub mod record;
pub mod session;
pub mod svg;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;
use i18n::Lang;
use session::WebSession;

pub(crate) fn asset(mime: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Pages are private (no caching), not framable, and may load only the server's own CSS and
/// script: a name typed on a phone cannot become running code here.
pub(crate) async fn page_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Why a page could not be shown. Each becomes a page with the right status (or, for a missing
/// session, the way to the sign-in page).
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: to the sign-in page, then back to this path.
    SignIn(String),
    Forbidden(String),
    BadRequest(String),
    /// An error of the shared API code (status and message kept).
    Api(ApiError),
}

impl WebError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        WebError::Api(ApiError::internal(e))
    }
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::Api(e)
    }
}

impl From<crate::ledger::LedgerError> for WebError {
    fn from(e: crate::ledger::LedgerError) -> Self {
        WebError::Api(e.into())
    }
}

impl From<crate::reports::ReportError> for WebError {
    fn from(e: crate::reports::ReportError) -> Self {
        WebError::Api(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            WebError::SignIn(back) => {
                return Redirect::to(&format!("/web/sign-in?next={}", urlencode(&back))).into_response();
            }
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            WebError::Api(e) => {
                let m = match e.field {
                    Some(f) if e.status != StatusCode::INTERNAL_SERVER_ERROR => format!("{f}: {}", e.message),
                    _ => e.message,
                };
                (e.status, m)
            }
        };
        let page = ErrorPage { status: status.as_u16(), message };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, page.message).into_response(),
        }
    }
}

/// Renders a template, or a 500 page when it cannot (logged).
pub fn render(t: &impl Template) -> Result<Html<String>, WebError> {
    t.render().map(Html).map_err(WebError::internal)
}

/// Percent-encodes everything but unreserved characters (for query values and redirects).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after signing in or switching language: only a path of these screens (never
/// another site: no open redirect), and nothing with a control character, which cannot be in a
/// `Location` header (CR/LF would end it; building it would fail).
pub fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b)
            if b.starts_with("/web/")
                && !b.starts_with("//")
                && !b.contains('\\')
                && !b.contains("://")
                && !b.contains(char::is_control) =>
        {
            b.to_string()
        }
        _ => "/web/queue".to_string(),
    }
}

/// What every page's frame shows: language, who is signed in, the navigation, the CSRF token for
/// the sign-out form.
pub struct Chrome {
    pub lang: Lang,
    pub title: String,
    pub user: String,
    pub role: String,
    pub project: String,
    pub csrf: String,
    pub nav: &'static str,
    /// This page's path and query, where the language switch comes back to.
    pub path: String,
}

/// The i18n key of a role's name, as the page frame shows it.
fn role_key(role: crate::auth::Role) -> &'static str {
    match role {
        crate::auth::Role::Foreman => "role_foreman",
        crate::auth::Role::Supervisor => "role_supervisor",
        crate::auth::Role::Admin => "role_admin",
    }
}

impl Chrome {
    pub fn new(
        s: Option<&WebSession>,
        headers: &HeaderMap,
        uri: &axum::http::Uri,
        nav: &'static str,
        title_key: &'static str,
    ) -> Self {
        let lang = Lang::from_headers(headers);
        Chrome {
            lang,
            title: lang.t(title_key).to_string(),
            user: s.map(|s| s.grant.device_name.clone()).unwrap_or_default(),
            role: s.map(|s| lang.t(role_key(s.grant.role)).to_string()).unwrap_or_default(),
            project: s.map(|s| s.grant.project_id.clone()).unwrap_or_default(),
            csrf: s.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav,
            path: uri.path_and_query().map_or("/web/queue".into(), |p| p.as_str().to_string()),
        }
    }

    pub fn t(&self, key: &'static str) -> &'static str {
        self.lang.t(key)
    }

    pub fn signed_in(&self) -> bool {
        !self.user.is_empty() || !self.csrf.is_empty()
    }
}

/// A submitted form's fields, in order (a key may repeat: bulk approval lists many records).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn from(form: Result<Form<Vec<(String, String)>>, FormRejection>) -> Result<Fields, WebError> {
        form.map(|Form(v)| Fields(v))
            .map_err(|e| WebError::BadRequest(format!("expected a submitted form: {}", e.body_text())))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Refuses (403) unless the form carries the session's CSRF token. Call before anything else.
    pub fn check_csrf(&self, s: &WebSession) -> Result<(), WebError> {
        csrf::check(&s.csrf, self.get(csrf::FIELD))
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    next: String,
    form_csrf: String,
    problem: Option<&'static str>,
}

#[derive(Debug, Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

fn sign_in_form(
    c: Chrome,
    next: String,
    problem: Option<&'static str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let form_csrf = session::random_secret();
    let page = SignInPage { c, next, form_csrf: form_csrf.clone(), problem };
    let cookie = session::set_cookie(csrf::SIGNIN_COOKIE, &form_csrf, 3600);
    Ok((status, [(header::SET_COOKIE, cookie)], render(&page)?).into_response())
}

/// `GET /web/sign-in?next=`
pub(crate) async fn sign_in_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    q: Result<Query<NextQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let next = safe_back(q.as_ref().ok().and_then(|Query(q)| q.next.as_deref()));
    if let Some(id) = session::cookie(&headers, session::COOKIE)
        && session::find(&state.db, &id).await.map_err(WebError::internal)?.is_some()
    {
        return Ok(Redirect::to(&next).into_response());
    }
    sign_in_form(Chrome::new(None, &headers, &uri, "", "sign_in"), next, None, StatusCode::OK)
}

/// `POST /web/sign-in` (token, next, csrf): a supervisor or admin token opens a session; a
/// foreman's is refused (403), an unknown one too (401).
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    // Double-submit: the token in the form must be the one this browser got with the form.
    csrf::check(&session::cookie(&headers, csrf::SIGNIN_COOKIE).unwrap_or_default(), f.get(csrf::FIELD))?;
    let next = safe_back(f.get("next"));
    let token = f.get("token").map(str::trim).unwrap_or_default();
    let chrome = || Chrome::new(None, &headers, &uri, "", "sign_in");
    let grant = if token.is_empty() {
        None
    } else {
        state.db.find_token(&crate::auth::token_sha256(token)).await.map_err(WebError::internal)?
    };
    match grant {
        None => sign_in_form(chrome(), next, Some("unknown_token"), StatusCode::UNAUTHORIZED),
        Some(g) if !session::may_sign_in(g.role) => {
            sign_in_form(chrome(), next, Some("foreman_refused"), StatusCode::FORBIDDEN)
        }
        Some(g) => {
            let (id, _) = session::open(&state.db, token).await.map_err(WebError::internal)?;
            tracing::info!(device = %g.device_id, role = %g.role, "web sign-in");
            let mut response = Redirect::to(&next).into_response();
            let h = response.headers_mut();
            for c in [
                session::set_cookie(session::COOKIE, &id, session::LIFETIME_MS / 1000),
                session::set_cookie(csrf::SIGNIN_COOKIE, "", 0),
            ] {
                h.append(header::SET_COOKIE, HeaderValue::from_str(&c).map_err(WebError::internal)?);
            }
            Ok(response)
        }
    }
}

/// `POST /web/sign-out` (csrf)
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    s: WebSession,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    Fields::from(form)?.check_csrf(&s)?;
    if let Some(id) = session::cookie(&headers, session::COOKIE) {
        session::close(&state.db, &id).await.map_err(WebError::internal)?;
    }
    Ok(([(header::SET_COOKIE, session::set_cookie(session::COOKIE, "", 0))], Redirect::to("/web/sign-in"))
        .into_response())
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    c: Chrome,
}

/// Any other path under `/web/`: 404 with the screens' own page, in the page language. A
/// signed-in browser keeps its navigation; a signed-out one gets the same page without it (no
/// sign-in detour: signing in would not make the path exist).
pub(crate) async fn not_found(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, WebError> {
    let s = match session::cookie(&headers, session::COOKIE) {
        Some(id) => session::find(&state.db, &id)
            .await
            .map_err(WebError::internal)?
            .filter(|s| session::may_sign_in(s.grant.role)),
        None => None,
    };
    let page = NotFoundPage { c: Chrome::new(s.as_ref(), &headers, &uri, "", "not_found") };
    Ok((StatusCode::NOT_FOUND, render(&page)?).into_response())
}

/// The favicon (`/web/static/favicon.svg`, and `/favicon.ico`, which browsers ask for unprompted:
/// the same SVG, which they accept whatever the name).
pub(crate) fn favicon() -> Response {
    asset("image/svg+xml", include_str!("../../static/favicon.svg"))
}

#[derive(Debug, Deserialize, Default)]
pub struct LangQuery {
    to: Option<String>,
    back: Option<String>,
}

/// `GET /web/lang?to=zh-CN&back=/web/queue`: remembers the choice in a cookie (a preference of
/// this browser, nothing on the server changes).
pub(crate) async fn switch_lang(q: Result<Query<LangQuery>, QueryRejection>) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let lang = q.to.as_deref().and_then(Lang::parse).unwrap_or(Lang::En);
    let cookie = format!("{}={}; Path=/; Max-Age=31536000; SameSite=Lax", i18n::COOKIE, lang.tag());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&safe_back(q.back.as_deref()))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_come_back() {
        assert_eq!(safe_back(Some("/web/cost?from=2026-11-01")), "/web/cost?from=2026-11-01");
        for bad in [
            "https://evil.example/",
            "//evil.example/web/",
            "/web/\\evil",
            "/v1/sync",
            "web/queue",
            "/web/cost\r\nSet-Cookie: x=1",
            "/web/cost\t",
            "/web/cost\u{7f}",
            "/web/cost\u{85}",
        ] {
            assert_eq!(safe_back(Some(bad)), "/web/queue", "{bad}");
        }
        assert_eq!(urlencode("/web/q?a=1&b=中"), "%2Fweb%2Fq%3Fa%3D1%26b%3D%E4%B8%AD");
    }
}
