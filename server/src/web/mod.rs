//! Supervisor and office screens, rendered on the server (askama templates in `server/templates/`,
//! CSS and a little JavaScript in `server/static/`, embedded in the binary: nothing comes from a
//! CDN). They are a second front end over the same ledger and report code as the JSON API
//! (docs/supervisor-screens.md):
//!
//! * `session`: sessions in an HTTP-only cookie, opened by a person's password (`account`: sign-in,
//!   welcome link, project switcher, portfolio home) or a supervisor's device key;
//! * `admin_people`, `admin_audit`: a project's people and roles, and its access audit (admins);
//! * `csrf`: the token every state-changing form carries;
//! * `i18n`, `format`: English and 简体中文, money per currency, instants in the site's zone;
//! * `queue`, `record`: the approval queue, a record with its decisions, approve / reject / bulk;
//! * `dashboards`, `svg`, `drilldown`: cost and schedule (earned value) with SVG charts, a cost
//!   code's postings;
//! * `labour`: the day-labour summary (点工汇总) and its exports;
//! * `admin_reference`: the project's reference data for its admins.
//!
//! Their routes are listed in `crate::routes` (`web_routes`), with `page_headers` on the pages.

pub mod account;
pub mod admin_audit;
pub mod admin_devices;
pub mod admin_pairing;
pub mod admin_people;
pub mod admin_reference;
pub mod csrf;
pub mod daily_reports;
pub mod dashboards;
pub mod drilldown;
pub mod format;
pub mod funds;
pub mod gantt;
pub mod history;
pub mod i18n;
pub mod labour;
pub mod observations;
pub mod photos;
pub mod portfolio;
pub mod print;
pub mod queue;
pub mod record;
pub mod risks;
pub mod session;
pub mod svg;
pub mod webhooks;

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

/// Form bodies up to this size are kept by `page_headers`, so a refused or signed-out submission
/// can show (and carry across sign-in) what the user typed. Larger bodies pass through untouched.
const MAX_KEPT_FORM: usize = 256 * 1024;

tokio::task_local! {
    /// The session a page's handler found (set by the `WebSession` extractor), for the frame of an
    /// error page that `page_headers` renders after the handler gave up.
    static PAGE_SESSION: std::sync::Arc<std::sync::Mutex<Option<WebSession>>>;
}

/// Remembers the request's session for its error page (no-op outside `page_headers`).
pub(crate) fn remember_session(s: &WebSession) {
    let _ = PAGE_SESSION.try_with(|slot| {
        if let Ok(mut slot) = slot.lock() {
            *slot = Some(s.clone());
        }
    });
}

/// Pages are private (no caching), not framable, and may load only the server's own CSS and
/// script: a name typed on a phone cannot become running code here. A page whose handler failed
/// (`WebError`) is finished here, where the request is known: the error page in the page
/// language with its frame and what the user typed, or, for a form posted without a live session,
/// the sign-in page that keeps the form (`session::keep`).
pub(crate) async fn page_headers(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let small_form = parts.method == axum::http::Method::POST
        && parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
        && parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .is_some_and(|n| n <= MAX_KEPT_FORM);
    let (body, kept) = if small_form {
        match axum::body::to_bytes(body, MAX_KEPT_FORM).await {
            Ok(bytes) => (axum::body::Body::from(bytes.clone()), Some(bytes)),
            Err(_) => return WebError::BadRequest("the form could not be read".into()).into_response(),
        }
    } else {
        (body, None)
    };
    let (headers, uri, method) = (parts.headers.clone(), parts.uri.clone(), parts.method.clone());
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let mut response = PAGE_SESSION.scope(slot.clone(), next.run(Request::from_parts(parts, body))).await;
    if let Some(failure) = response.extensions_mut().remove::<Failure>() {
        let fields = match kept {
            Some(bytes) => form_fields(bytes).await,
            None => Vec::new(),
        };
        let session = slot.lock().ok().and_then(|s| s.clone());
        let page =
            Failed { failure, session, headers: &headers, uri: &uri, post: method == axum::http::Method::POST, fields };
        response = page.render().unwrap_or_else(|e| e.into_response());
    }
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

/// The fields of a urlencoded form body, in order (empty when it does not parse).
async fn form_fields(bytes: bytes::Bytes) -> Vec<(String, String)> {
    use axum::extract::FromRequest;
    let request = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(bytes));
    match request {
        Ok(r) => Form::<Vec<(String, String)>>::from_request(r, &()).await.map(|Form(v)| v).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// Why a page could not be shown. Each becomes a page with the right status (or, for a missing
/// session, the way to the sign-in page).
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: to the sign-in page, then back to this path.
    SignIn(String),
    /// Signed in as a person with no project (left): to their home page, which says so.
    NoProject,
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

/// What a failed page hands to `page_headers` (a response extension) to be finished there.
#[derive(Debug, Clone)]
enum Failure {
    /// No live session: where the user was going.
    SignIn(String),
    /// Refused or failed: the status and the shared code's error (English message, field path).
    Error { status: StatusCode, code: &'static str, field: Option<String>, message: String },
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    status: u16,
    /// The headline: what kind of problem, in the page language.
    headline: &'static str,
    /// What happened in words (`第25行 单价: 不能为负数`), in the page language where known.
    explanation: String,
    /// The shared code's own message with field paths put in words (English), when it adds to
    /// the explanation.
    detail: String,
    /// What the user typed (comment or reason), shown back so it is not lost.
    typed: String,
    back: String,
    back_key: &'static str,
}

/// The i18n key of an error page's headline by status.
fn headline_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 422 => "err_not_accepted",
        401 => "err_signed_out",
        403 => "err_forbidden",
        404 => "err_not_found",
        409 => "err_conflict",
        408 | 503 => "err_busy",
        413 => "err_too_large",
        _ => "err_internal",
    }
}

/// A path the shared code names (`lines[24].rate`, `lines.l7.headcount`, `line.hours`, `amount`)
/// in the words of the page: `第25行 单价` / `line 25, rate`; a line number only when the path
/// gives its position (1-based), never the path itself.
pub fn field_words(path: &str, lang: Lang) -> String {
    let mut line: Option<u64> = None;
    let mut photo: Option<(u64, bool)> = None;
    let mut in_lines = false;
    let mut name = "";
    for part in path.split('.') {
        let (base, index) = match part.split_once('[') {
            Some((b, rest)) => (b, rest.trim_end_matches(']').parse::<u64>().ok()),
            None => (part, None),
        };
        match (base, index) {
            ("lines", Some(i)) => line = Some(i + 1),
            ("lines" | "line", None) => in_lines = true,
            ("photos", Some(i)) => photo = Some((i + 1, false)),
            ("receipts", Some(i)) => photo = Some((i + 1, true)),
            (b, _) if in_lines && line.is_none() && name.is_empty() && b.len() > 2 && b.contains('-') => {}
            (b, _) => name = b,
        }
    }
    let key = match name {
        "trade" => Some("trade"),
        "crew" => Some("crew"),
        "headcount" => Some("headcount"),
        "hours" | "days" | "effort" | "effort_unit" => Some("effort"),
        "rate" => Some("rate"),
        "cost" | "amount" | "total" => Some("amount"),
        "cost_code" => Some("cost_code"),
        "activity" => Some("activity"),
        "note" => Some("note"),
        "workers" | "name" | "id_number" => Some("err_f_workers"),
        "work_date" | "date" => Some("date"),
        "site_id" | "site" => Some("site"),
        "currency" => Some("err_f_currency"),
        "category" => Some("category"),
        "vendor" => Some("vendor"),
        "caption" => Some("caption"),
        "comment" => Some("comment"),
        "reason" => Some("err_f_reason"),
        "heads" => Some("version"),
        "author" => Some("author"),
        "value" | "percent" | "quantity" | "measure" | "unit" => Some("progress"),
        "captured_at_ms" => Some("err_f_captured"),
        "latitude" | "longitude" | "accuracy_m" | "location" => Some("err_f_location"),
        "csrf" | "authorization" | "id" | "field" | "request_id" => None,
        "" => None,
        _ => None,
    };
    let field = key.map(|k| lang.t(k).to_string()).unwrap_or_else(|| {
        if name.is_empty() || matches!(name, "csrf" | "authorization" | "id" | "field" | "request_id") {
            String::new()
        } else {
            name.replace('_', " ")
        }
    });
    let (place, sep) = match (line, photo) {
        (Some(n), _) => (lang.t("err_line_n").replace("{n}", &n.to_string()), lang.t("err_place_sep")),
        (None, Some((n, receipt))) => (
            lang.t(if receipt { "err_receipt_n" } else { "err_photo_n" }).replace("{n}", &n.to_string()),
            lang.t("err_place_sep"),
        ),
        (None, None) => (String::new(), ""),
    };
    match (place.is_empty(), field.is_empty()) {
        (true, _) => field,
        (false, true) => place,
        // English: `line 25, rate` (the field lower-case after the place).
        (false, false) if lang == Lang::En => format!("{place}{sep}{}", field.to_lowercase()),
        (false, false) => format!("{place}{sep}{field}"),
    }
}

/// Field paths inside a message (`lines[24].rate (…)`) put in words.
fn paths_in_words(message: &str, lang: Lang) -> String {
    message
        .split(' ')
        .map(|w| {
            let core = w.trim_end_matches([':', ',', ';', ')']).trim_start_matches('(');
            if (core.starts_with("lines[")
                || core.starts_with("lines.")
                || core.starts_with("line.")
                || core.starts_with("receipts[")
                || core.starts_with("photos["))
                && core.len() > 5
            {
                w.replace(core, &field_words(core, lang))
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The shared code's reason in the page language when it is one of the common ones; `None` keeps
/// the English text (shown as the detail).
fn reason_words(code: &str, field: &str, message: &str, lang: Lang) -> Option<String> {
    let got = |m: &str| m.rsplit_once("(got ").map(|(_, v)| v.trim_end_matches(')').to_string()).unwrap_or_default();
    let t = |k: &'static str| lang.t(k).to_string();
    Some(match (code, field, message) {
        (_, "comment", m) if m.starts_with("say why") => t("err_reason_required"),
        (_, "heads", m) if m.starts_with("the record changed") => t("err_changed_since"),
        ("unknown_version", ..) => t("err_unknown_version"),
        ("conflicts", ..) => t("err_conflicts"),
        (_, "authorization", m) if m.contains("security token") || m.contains("csrf") => t("err_csrf"),
        (_, "id", m) if m.starts_with("no record") => t("err_no_record"),
        (_, _, "is required") => t("err_required"),
        (_, _, "must be more than 0") => t("err_more_than_zero"),
        (_, _, m) if m.starts_with("must not be negative") => t("err_negative").replace("{v}", &got(m)),
        (_, _, m) if m.starts_with("must be at most") => {
            let max = m.trim_start_matches("must be at most ").split(' ').next().unwrap_or_default();
            t("err_at_most").replace("{max}", max).replace("{v}", &got(m))
        }
        (_, _, m) if m.contains("not in the project's reference data") || m.starts_with("unknown ") => {
            let entered = m.split('"').nth(1).unwrap_or_default();
            t("err_unknown_reference").replace("{v}", entered).trim().to_string()
        }
        _ => return None,
    })
}

/// A failed page, finished by `page_headers` with what it knows of the request.
struct Failed<'a> {
    failure: Failure,
    session: Option<WebSession>,
    headers: &'a HeaderMap,
    uri: &'a axum::http::Uri,
    post: bool,
    fields: Vec<(String, String)>,
}

impl Failed<'_> {
    fn render(self) -> Result<Response, WebError> {
        let (status, code, field, message) = match self.failure {
            Failure::SignIn(back) if self.post && !self.fields.is_empty() => {
                let mut c = Chrome::new(None, self.headers, self.uri, "", "sign_in");
                let keep = session::Kept::from_post(self.uri.path(), &self.fields);
                let next = safe_back(Some(&session::page_of(&back)));
                // The language switch goes to a page (a decision's path answers only POST).
                c.path = format!("/web/sign-in?next={}", urlencode(&next));
                return sign_in_form(c, next, None, StatusCode::UNAUTHORIZED, keep);
            }
            Failure::SignIn(back) => {
                let back = if self.post { session::page_of(&back) } else { back };
                return Ok(Redirect::to(&format!("/web/sign-in?next={}", urlencode(&back))).into_response());
            }
            Failure::Error { status, code, field, message } => (status, code, field, message),
        };
        let mut c = Chrome::new(self.session.as_ref(), self.headers, self.uri, "", "error");
        let lang = c.lang;
        let headline = headline_key(status);
        c.title = lang.t(headline).to_string();
        let field = field.unwrap_or_default();
        let place = field_words(&field, lang);
        let internal = status == StatusCode::INTERNAL_SERVER_ERROR;
        let reason = if internal {
            Some(lang.t("err_internal_help").to_string())
        } else {
            reason_words(code, &field, &message, lang)
        };
        let in_words = paths_in_words(&message, lang);
        let explanation = match (&reason, place.is_empty()) {
            (Some(r), true) => r.clone(),
            (Some(r), false) => format!("{place}{}{r}", lang.t("err_colon")),
            (None, true) => in_words.clone(),
            (None, false) => format!("{place}{}{in_words}", lang.t("err_colon")),
        };
        let explanation = match lang {
            Lang::En => {
                let mut chars = explanation.chars();
                chars.next().map(|f| f.to_uppercase().chain(chars).collect()).unwrap_or_default()
            }
            Lang::ZhCn => explanation,
        };
        // The English original adds something only when the explanation is translated.
        let detail = if reason.is_some() && !internal && lang != Lang::En { in_words } else { String::new() };
        let typed = ["comment", "reason"]
            .iter()
            .find_map(|k| self.fields.iter().find(|(n, v)| n == k && !v.trim().is_empty()).map(|(_, v)| v.clone()))
            .unwrap_or_default();
        let back = if self.post { session::page_of(self.uri.path()) } else { "/web/queue".to_string() };
        if self.post {
            c.path = back.clone();
        }
        let back_key = if back.starts_with("/web/records/") { "err_back_to_record" } else { "back_to_queue" };
        let page = ErrorPage { c, status: status.as_u16(), headline, explanation, detail, typed, back, back_key };
        Ok((status, render(&page)?).into_response())
    }
}

impl IntoResponse for WebError {
    /// A minimal answer (the redirect to sign-in, or the error in plain words) carrying the
    /// failure for `page_headers`, which replaces it with the full page.
    fn into_response(self) -> Response {
        let failure = match self {
            WebError::SignIn(back) => Failure::SignIn(back),
            WebError::NoProject => return Redirect::to("/web/home").into_response(),
            WebError::Forbidden(m) => Failure::Error {
                status: StatusCode::FORBIDDEN,
                code: "forbidden",
                field: Some("authorization".into()),
                message: m,
            },
            WebError::BadRequest(m) => {
                Failure::Error { status: StatusCode::BAD_REQUEST, code: "invalid", field: None, message: m }
            }
            WebError::Api(e) => Failure::Error { status: e.status, code: e.code, field: e.field, message: e.message },
        };
        let mut response = match &failure {
            Failure::SignIn(back) => Redirect::to(&format!("/web/sign-in?next={}", urlencode(back))).into_response(),
            Failure::Error { status, message, .. } => (*status, message.clone()).into_response(),
        };
        response.extensions_mut().insert(failure);
        response
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
    /// The project's name from reference data when a person's session knows it, else its id.
    pub project_name: String,
    pub csrf: String,
    pub nav: &'static str,
    /// This page's path and query, where the language switch comes back to.
    pub path: String,
    /// May decide (approve, reject, resolve): decision buttons are shown only then.
    pub decides: bool,
    /// May manage the project (the Admin entry of the navigation).
    pub manages: bool,
    /// A person's projects to switch between (id, name), when they have more than one.
    pub projects: Vec<(String, String)>,
    /// Signed in as a person (their home page is in the navigation).
    pub person: bool,
}

/// The i18n key of a record kind's name (the kinds' keys are their own names); `record` for a
/// kind the schema does not have.
pub fn kind_key(kind: &str) -> &'static str {
    kind.parse::<record_schema::RecordKind>().map_or("record", |k| k.as_str())
}

/// An expense category in the page's language; the stored key when it is not one of the schema's.
pub fn expense_category(lang: Lang, key: &str) -> String {
    let k = match key {
        "materials" => "cat_materials",
        "equipment" => "cat_equipment",
        "tools" => "cat_tools",
        "transport" => "cat_transport",
        "fuel" => "cat_fuel",
        "meals" => "cat_meals",
        "accommodation" => "cat_accommodation",
        "other" => "cat_other",
        other => return other.to_string(),
    };
    lang.t(k).to_string()
}

/// The i18n key of a role's name, as the page frame shows it.
pub fn role_key(role: crate::auth::Role) -> &'static str {
    match role {
        crate::auth::Role::Foreman => "role_foreman",
        crate::auth::Role::Supervisor => "role_supervisor",
        crate::auth::Role::Office => "acc_role_office",
        crate::auth::Role::Admin => "role_admin",
    }
}

/// The session's project by name when a person's projects list it, else its id.
fn project_label(s: &WebSession) -> String {
    s.person
        .as_ref()
        .and_then(|p| p.projects.iter().find(|r| r.project_id == s.grant.project_id))
        .map_or_else(|| s.grant.project_id.clone(), |r| r.label().to_string())
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
            project_name: s.map(project_label).unwrap_or_default(),
            csrf: s.map(|s| s.csrf.clone()).unwrap_or_default(),
            nav,
            path: uri.path_and_query().map_or("/web/queue".into(), |p| p.as_str().to_string()),
            decides: s.is_some_and(WebSession::decides),
            manages: s.is_some_and(WebSession::manages),
            projects: s
                .and_then(|s| s.person.as_ref())
                .filter(|p| p.projects.len() > 1)
                .map(|p| p.projects.iter().map(|r| (r.project_id.clone(), r.label().to_string())).collect())
                .unwrap_or_default(),
            person: s.is_some_and(|s| s.person.is_some()),
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
    /// The problem in words when it needs more than a key (`too many attempts, try again in 12
    /// minutes`).
    problem_text: String,
    /// The phone or e-mail typed, shown back after a refusal.
    login: String,
    /// The device-key form is unfolded: no person has a password yet (or a key was just refused).
    key_open: bool,
    /// A form posted after the session ended, carried through sign-in (hidden fields).
    keep: Option<session::Kept>,
}

#[derive(Debug, Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

pub(crate) fn sign_in_form(
    c: Chrome,
    next: String,
    problem: Option<&'static str>,
    status: StatusCode,
    keep: Option<session::Kept>,
) -> Result<Response, WebError> {
    sign_in_form_with(c, next, SignInProblem { key: problem, key_open: true, ..SignInProblem::default() }, status, keep)
}

/// What the sign-in page says went wrong, and what was typed.
#[derive(Debug, Default)]
pub(crate) struct SignInProblem {
    pub key: Option<&'static str>,
    pub text: String,
    pub login: String,
    pub key_open: bool,
}

pub(crate) fn sign_in_form_with(
    c: Chrome,
    next: String,
    problem: SignInProblem,
    status: StatusCode,
    keep: Option<session::Kept>,
) -> Result<Response, WebError> {
    let form_csrf = session::random_secret();
    let page = SignInPage {
        c,
        next,
        form_csrf: form_csrf.clone(),
        problem: problem.key,
        problem_text: problem.text,
        login: problem.login,
        key_open: problem.key_open,
        keep,
    };
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
    let key_open = !account::anyone_has_password(&state.db).await.map_err(WebError::internal)?;
    let problem = SignInProblem { key_open, ..SignInProblem::default() };
    sign_in_form_with(
        Chrome::new(None, &headers, &uri, "", "sign_in"),
        session::page_of(&next),
        problem,
        StatusCode::OK,
        None,
    )
}

/// `POST /web/sign-in` (token, next, csrf): a supervisor or admin token opens a session; a
/// foreman's is refused (403), an unknown one too (401).
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    ext: axum::http::Extensions,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    // Double-submit: the token in the form must be the one this browser got with the form.
    csrf::check(&session::cookie(&headers, csrf::SIGNIN_COOKIE).unwrap_or_default(), f.get(csrf::FIELD))?;
    let next = session::page_of(&safe_back(f.get("next")));
    let keep = session::Kept::from_sign_in(&f);
    if f.get("login").is_some_and(|l| !l.trim().is_empty()) {
        return account::password_sign_in(&state, &headers, &uri, &ext, &f, next, keep).await;
    }
    let token = f.get("token").map(str::trim).unwrap_or_default();
    let chrome = || Chrome::new(None, &headers, &uri, "", "sign_in");
    let grant = if token.is_empty() {
        None
    } else {
        state.db.find_token(&crate::auth::token_sha256(token)).await.map_err(WebError::internal)?
    };
    match grant {
        None => sign_in_form(chrome(), next, Some("unknown_token"), StatusCode::UNAUTHORIZED, keep),
        Some(g) if !session::may_sign_in(g.role) => {
            sign_in_form(chrome(), next, Some("foreman_refused"), StatusCode::FORBIDDEN, keep)
        }
        Some(g) => {
            let (id, csrf) =
                session::open(&state.db, session::Holder::Token(token)).await.map_err(WebError::internal)?;
            tracing::info!(device = %g.device_id, role = %g.role, "web sign-in");
            // A decision posted after the session ended: ask before doing it (never on its own).
            let mut response = match keep {
                Some(keep) => {
                    let s = WebSession { grant: g, csrf, person: None };
                    let c = Chrome::new(Some(&s), &headers, &uri, "queue", "err_sess_continue_title");
                    session::continue_page(&state, c, keep).await?
                }
                None => Redirect::to(&next).into_response(),
            };
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
    headers: HeaderMap,
    ext: axum::http::Extensions,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    // Any live session signs out, a person's with no project too (not only one a page works in).
    let id = session::cookie(&headers, session::COOKIE).ok_or_else(|| WebError::SignIn("/web/queue".into()))?;
    let found = session::lookup(&state.db, &id).await.map_err(WebError::internal)?;
    let (csrf, person) = match &found {
        Some(session::Found::Token(s)) => (s.csrf.as_str(), None),
        Some(session::Found::Person { person, csrf, .. }) => (csrf.as_str(), Some(person.id.as_str())),
        None => return Err(WebError::SignIn("/web/queue".into())),
    };
    csrf::check(csrf, f.get(csrf::FIELD))?;
    session::close(&state.db, &id).await.map_err(WebError::internal)?;
    if let Some(person) = person {
        let address = account::client_address(&ext);
        let entry = crate::access::audit::Entry {
            actor_id: Some(person),
            person_id: Some(person),
            address: address.as_deref(),
            ..Default::default()
        };
        crate::access::audit::record(&state.db, crate::access::audit::Event::SignOut, entry)
            .await
            .map_err(WebError::internal)?;
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
    fn record_kinds_and_expense_categories_have_words() {
        for kind in ["labour_sheet", "expense", "progress_report", "wage_advance", "something_else"] {
            assert_ne!(Lang::ZhCn.t(kind_key(kind)), kind_key(kind), "{kind}");
        }
        for c in ["materials", "equipment", "tools", "transport", "fuel", "meals", "accommodation", "other"] {
            let words = expense_category(Lang::ZhCn, c);
            assert_ne!(words, c, "{c}");
            assert_ne!(words, expense_category(Lang::En, c), "{c}");
        }
        assert_eq!(expense_category(Lang::ZhCn, "anything"), "anything");
    }

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

    #[test]
    fn field_paths_read_as_words() {
        assert_eq!(field_words("lines[24].rate", Lang::ZhCn), "第25行 单价");
        assert_eq!(field_words("lines[24].rate", Lang::En), "line 25, rate");
        assert_eq!(field_words("lines[0].hours", Lang::ZhCn), "第1行 工时 / 工日");
        assert_eq!(field_words("line.headcount", Lang::ZhCn), "人数");
        assert_eq!(field_words("lines.0193a1b2-7c3d.headcount", Lang::En), "Headcount");
        assert_eq!(field_words("receipts[1].captured_at_ms", Lang::ZhCn), "第2张收据 拍摄时间");
        assert_eq!(field_words("comment", Lang::ZhCn), "意见");
        assert_eq!(field_words("authorization", Lang::En), "");
        assert_eq!(field_words("lines[3]", Lang::En), "line 4");
        for (path, lang) in
            [("lines[24].rate", Lang::En), ("lines[24].rate", Lang::ZhCn), ("lines[2].whatever", Lang::En)]
        {
            let w = field_words(path, lang);
            assert!(!w.contains('[') && !w.contains("lines"), "{path} -> {w}");
        }
        assert_eq!(
            paths_in_words("resolve the concurrent values first: lines[4].rate (40 | 45)", Lang::ZhCn),
            "resolve the concurrent values first: 第5行 单价 (40 | 45)"
        );
        assert_eq!(
            reason_words("invalid", "lines[1].rate", "must not be negative (got -5)", Lang::ZhCn).as_deref(),
            Some("不能为负数（填的是 -5）")
        );
    }
}
