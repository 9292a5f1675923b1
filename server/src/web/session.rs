//! Browser sessions: a person signs in with a password (`web::account`), or a supervisor with their
//! device key; the browser then holds a random session id in an HTTP-only cookie. Only the id's
//! SHA-256 is stored (`web_sessions`), and every lookup joins the token and device, or the person,
//! so a revoked token or device and a disabled person end their sessions. A person's session works
//! on one project at a time (`web_sessions.project_id`, the switcher) with their role there.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::{Chrome, Fields, WebError, render};
use crate::auth::{Role, token_sha256};
use crate::db::{Db, TokenGrant, on_pool};
use crate::state::AppState;

pub const COOKIE: &str = "fl_session";
/// A working day and then some: a supervisor signs in once per shift.
pub const LIFETIME_MS: i64 = 12 * 3600 * 1000;

/// A signed-in browser: who (the token's grant, or a person's role on the session's project) and
/// the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub grant: TokenGrant,
    pub csrf: String,
    /// A person's session (signed in with a password): who, and the projects they may switch to.
    /// None for a session opened with a device key.
    pub person: Option<std::sync::Arc<SessionPerson>>,
}

impl WebSession {
    /// May approve, reject and resolve (`Role::decides`).
    pub fn decides(&self) -> bool {
        self.grant.role.decides()
    }

    /// May manage people and read the access audit of this project (`Role::manages`).
    pub fn manages(&self) -> bool {
        self.grant.role.manages()
    }
}

/// The person behind a password session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPerson {
    pub id: String,
    pub name: String,
    pub company_admin: bool,
    /// Every project they may open, with their role there (`access::people::projects_of`).
    pub projects: Vec<crate::access::people::ProjectRole>,
}

/// 256 random bits as hex (the OS RNG via two UUID v4s, as device tokens are made).
pub fn random_secret() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    hex::encode(bytes)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// `Set-Cookie` for the session: HTTP-only (scripts cannot read it), Secure (browsers treat
/// `localhost` as secure, so tests over plain HTTP on loopback still work; anything else needs TLS
/// in front), SameSite=Lax (a link from a chat message still opens the page signed in; every
/// state-changing form is additionally guarded by its CSRF token).
pub fn set_cookie(name: &str, value: &str, max_age_s: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; Secure; SameSite=Lax")
}

/// Who holds a new session: a device's token (the key sign-in), or a person working on a project
/// (none yet: a person with no project).
pub enum Holder<'a> {
    Token(&'a str),
    Person { id: &'a str, project: Option<&'a str> },
}

/// Opens a session for a holder already checked; returns the cookie value and the CSRF token.
pub async fn open(db: &Db, holder: Holder<'_>) -> Result<(String, String), sqlx::Error> {
    let id = random_secret();
    let csrf = random_secret();
    let now = record_schema::now_ms();
    let (token, person, project) = match holder {
        Holder::Token(t) => (Some(token_sha256(t)), None, None),
        Holder::Person { id, project } => (None, Some(id), project),
    };
    on_pool!(db, |p| {
        sqlx::query(
            "INSERT INTO web_sessions (id_sha256, token_sha256, person_id, project_id, csrf_token, created_at_ms, expires_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(token_sha256(&id))
        .bind(&token)
        .bind(person)
        .bind(project)
        .bind(&csrf)
        .bind(now)
        .bind(now + LIFETIME_MS)
        .execute(p)
        .await
        .map(drop)
    })?;
    // Expired sessions are dead weight; sign-ins are rare enough to sweep them here.
    on_pool!(db, |p| sqlx::query("DELETE FROM web_sessions WHERE expires_at_ms < $1")
        .bind(now)
        .execute(p)
        .await
        .map(drop))?;
    Ok((id, csrf))
}

/// A live session as stored: a token's (with its grant) or a person's (with their current project).
#[derive(Debug, Clone)]
pub enum Found {
    Token(WebSession),
    Person { person: std::sync::Arc<SessionPerson>, project: Option<String>, csrf: String },
}

impl Found {
    /// The session a page works in: a token's, or a person's on their current project with their
    /// role there (company admins: admin). None for a person with no (longer a) project.
    pub fn working(self) -> Option<WebSession> {
        match self {
            Found::Token(s) => Some(s),
            Found::Person { person, project, csrf } => {
                let project = project?;
                let role = person.projects.iter().find(|p| p.project_id == project)?.role;
                let grant = TokenGrant {
                    device_id: person.id.clone(),
                    device_name: person.name.clone(),
                    role,
                    project_id: project,
                };
                Some(WebSession { grant, csrf, person: Some(person) })
            }
        }
    }
}

/// A row of `lookup`: the session, its token's grant (device key sessions) or its person.
#[derive(sqlx::FromRow)]
struct SessionRow {
    csrf_token: String,
    device_id: Option<String>,
    device_name: Option<String>,
    role: Option<Role>,
    token_project: Option<String>,
    person_id: Option<String>,
    person_name: Option<String>,
    company_admin: Option<bool>,
    project_id: Option<String>,
}

/// The live session of cookie value `id`, if any: unexpired, its token and device not revoked, or
/// its person not disabled.
pub async fn lookup(db: &Db, id: &str) -> Result<Option<Found>, sqlx::Error> {
    let row: Option<SessionRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT s.csrf_token, d.id AS device_id, d.name AS device_name, t.role, t.project_id AS token_project, \
         pe.id AS person_id, pe.name AS person_name, pe.company_admin, s.project_id FROM web_sessions s \
         LEFT JOIN tokens t ON t.token_sha256 = s.token_sha256 AND t.revoked_at_ms IS NULL \
         LEFT JOIN devices d ON d.id = t.device_id AND d.revoked_at_ms IS NULL \
         LEFT JOIN people pe ON pe.id = s.person_id AND pe.disabled_at_ms IS NULL \
         WHERE s.id_sha256 = $1 AND s.expires_at_ms > $2"
    )
    .bind(token_sha256(id))
    .bind(record_schema::now_ms())
    .fetch_optional(p)
    .await?);
    let Some(r) = row else { return Ok(None) };
    if let (Some(device_id), Some(role), Some(project_id)) = (r.device_id, r.role, r.token_project) {
        let grant = TokenGrant { device_id, device_name: r.device_name.unwrap_or_default(), role, project_id };
        return Ok(Some(Found::Token(WebSession { grant, csrf: r.csrf_token, person: None })));
    }
    let (Some(person_id), Some(name)) = (r.person_id, r.person_name) else { return Ok(None) };
    let company_admin = r.company_admin.unwrap_or(false);
    let projects = crate::access::people::projects_of(db, &person_id, company_admin).await?;
    let person = SessionPerson { id: person_id, name, company_admin, projects };
    Ok(Some(Found::Person { person: std::sync::Arc::new(person), project: r.project_id, csrf: r.csrf_token }))
}

/// The live session of cookie value `id` a page can work in (see `Found::working`).
pub async fn find(db: &Db, id: &str) -> Result<Option<WebSession>, sqlx::Error> {
    Ok(lookup(db, id).await?.and_then(Found::working).filter(|s| may_sign_in(s.grant.role)))
}

/// Moves a person's session to another project (checked by the caller).
pub async fn switch_project(db: &Db, id: &str, project: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, |p| sqlx::query(
        "UPDATE web_sessions SET project_id = $2 WHERE id_sha256 = $1 AND person_id IS NOT NULL"
    )
    .bind(token_sha256(id))
    .bind(project)
    .execute(p)
    .await
    .map(drop))
}

pub async fn close(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, |p| sqlx::query("DELETE FROM web_sessions WHERE id_sha256 = $1")
        .bind(token_sha256(id))
        .execute(p)
        .await
        .map(drop))
}

/// Supervisors, office people and admins read the screens; a foreman never gets a session.
pub fn may_sign_in(role: Role) -> bool {
    role.reads_ledgers()
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = WebError;

    /// No or a dead session: the sign-in page, which comes back here afterwards. A person with no
    /// project: their home page, which says so. A decision posted by someone who reads but does
    /// not decide (office): 403, whatever the form.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back = parts.uri.path_and_query().map_or("/web/queue".to_string(), |p| p.as_str().to_string());
        let Some(id) = cookie(&parts.headers, COOKIE) else { return Err(WebError::SignIn(back)) };
        let found = lookup(&state.db, &id).await.map_err(WebError::internal)?;
        let is_person = matches!(found, Some(Found::Person { .. }));
        match found.and_then(Found::working) {
            Some(s) if may_sign_in(s.grant.role) => {
                super::remember_session(&s);
                if parts.method == axum::http::Method::POST && decision_kind(parts.uri.path()).is_some() && !s.decides()
                {
                    return Err(WebError::Forbidden(format!(
                        "a {} cannot approve, reject or resolve records",
                        s.grant.role
                    )));
                }
                Ok(s)
            }
            _ if is_person => Err(WebError::NoProject),
            _ => Err(WebError::SignIn(back)),
        }
    }
}

// ---------- a decision posted after the session ended ----------
//
// A supervisor types a comment, goes to lunch, comes back and presses Approve: the session has
// ended. The form is not lost: the sign-in page carries its fields (hidden; the CSRF token is
// not kept, a new one is issued), and after signing in a page asks "Continue approving … with
// comment …?" and posts them with the new session's token, on the same version (heads) the
// supervisor saw. Nothing is decided until they press the button.

/// Fields kept across sign-in, at most this many (bulk approval lists one per record).
const MAX_KEPT_FIELDS: usize = 2_000;
/// Hidden fields of the sign-in form carrying the kept form: the action, then each field.
const KEEP_ACTION: &str = "keep_action";
const KEEP_PREFIX: &str = "keep_";

/// The decisions a form may carry across sign-in: what it does, by its path.
pub fn decision_kind(path: &str) -> Option<&'static str> {
    match path {
        "/web/bulk-approve" => return Some("bulk"),
        "/web/queue/decide" => return Some("decide"),
        _ => {}
    }
    let rest = path.strip_prefix("/web/records/")?;
    let (id, action) = rest.split_once('/')?;
    if id.is_empty() || id.contains(['/', '?', '#']) || id.contains(char::is_control) {
        return None;
    }
    match action {
        "approve" => Some("approve"),
        "reject" => Some("reject"),
        "resolve" => Some("resolve"),
        _ => None,
    }
}

/// The page a form was posted from, to go back to or sign in towards (a decision's path is not a
/// page: `GET` on it would answer 405): the record, or the queue.
pub fn page_of(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    match decision_kind(path) {
        Some("bulk" | "decide") => "/web/queue".to_string(),
        Some(_) => path.rsplit_once('/').map_or("/web/queue".to_string(), |(p, _)| p.to_string()),
        None if path.is_empty() => "/web/queue".to_string(),
        None => path.to_string(),
    }
}

/// A posted decision kept across sign-in: where it goes and its fields (without the CSRF token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Kept {
    fn new(action: &str, fields: impl Iterator<Item = (String, String)>) -> Option<Kept> {
        decision_kind(action)?;
        let fields: Vec<(String, String)> = fields
            .filter(|(k, _)| k != super::csrf::FIELD && !k.starts_with(KEEP_PREFIX))
            .take(MAX_KEPT_FIELDS)
            .collect();
        Some(Kept { action: action.to_string(), fields })
    }

    /// The form a browser posted to `path` without a live session.
    pub fn from_post(path: &str, fields: &[(String, String)]) -> Option<Kept> {
        Kept::new(path, fields.iter().cloned())
    }

    /// The kept form the sign-in page carried back (`keep_action`, `keep_<field>`).
    pub fn from_sign_in(f: &Fields) -> Option<Kept> {
        let action = f.get(KEEP_ACTION)?;
        let fields = f.0.iter().filter_map(|(k, v)| {
            k.strip_prefix(KEEP_PREFIX).filter(|_| k != KEEP_ACTION).map(|name| (name.to_string(), v.clone()))
        });
        Kept::new(action, fields)
    }

    /// The sign-in form's hidden fields carrying this form.
    pub fn hidden(&self) -> Vec<(String, String)> {
        std::iter::once((KEEP_ACTION.to_string(), self.action.clone()))
            .chain(self.fields.iter().map(|(k, v)| (format!("{KEEP_PREFIX}{k}"), v.clone())))
            .collect()
    }

    /// The comment or reason typed (empty when none).
    pub fn comment(&self) -> &str {
        self.fields
            .iter()
            .find(|(k, v)| (k == "comment" || k == "reason") && !v.trim().is_empty())
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

#[derive(Template)]
#[template(path = "session_continue.html")]
struct ContinuePage {
    c: Chrome,
    /// `Continue approving 点工单 2026-11-20 王建国?`
    question: String,
    comment: String,
    version: String,
    /// The record changed since the version kept: the decision still applies to the one shown.
    newer: bool,
    action: String,
    fields: Vec<(String, String)>,
    button: &'static str,
    cancel: String,
}

/// The record a kept decision is about, in words (`点工单 2026-11-20 王建国`), and its current heads.
async fn record_words(
    state: &AppState,
    project: &str,
    id: &str,
    lang: super::i18n::Lang,
) -> Option<(String, Vec<String>)> {
    let mut stored = crate::ledger::store::load_record(&state.db, &state.cache, project, id).await.ok()?;
    let heads = crate::ledger::store::heads_hex(&stored.doc.get_heads());
    let record = record_schema::Record::read(&stored.doc).ok();
    state.cache.put(stored);
    let record = record?;
    let date = record.date();
    Some((format!("{} {date} {}", lang.t(record.kind().as_str()), record.header().author), heads))
}

/// After signing in with a kept decision: the question, the comment and version, and the form that
/// posts it with the new session's token (`c.csrf`).
pub async fn continue_page(state: &AppState, c: Chrome, keep: Kept) -> Result<Response, WebError> {
    let lang = c.lang;
    let kind = decision_kind(&keep.action).unwrap_or("approve");
    let heads: Vec<String> = {
        let mut h: Vec<String> = keep
            .get("heads")
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .collect();
        h.sort();
        h
    };
    let (question, newer) = match kind {
        "bulk" | "decide" => {
            let n = keep.fields.iter().filter(|(k, _)| k == "rec" || k == "record").count();
            let reject = keep.get("action") == Some("reject");
            let key = match (reject, n == 1) {
                (true, true) => "err_sess_continue_reject_one",
                (true, false) => "err_sess_continue_reject_many",
                (false, true) => "err_sess_continue_approve_one",
                (false, false) => "err_sess_continue_approve_many",
            };
            (lang.t(key).replace("{n}", &n.to_string()), false)
        }
        _ => {
            let id = keep.action.trim_start_matches("/web/records/").split('/').next().unwrap_or_default().to_string();
            let (words, current) = record_words(state, &c.project, &id, lang).await.unwrap_or((id, Vec::new()));
            let key = match kind {
                "reject" => "err_sess_continue_reject",
                "resolve" => "err_sess_continue_resolve",
                _ => "err_sess_continue_approve",
            };
            (lang.t(key).replace("{record}", &words), !heads.is_empty() && !current.is_empty() && current != heads)
        }
    };
    let button = match (kind, keep.get("action")) {
        ("reject", _) | (_, Some("reject")) => "err_sess_yes_reject",
        ("resolve", _) => "err_sess_yes_resolve",
        _ => "err_sess_yes_approve",
    };
    let version = heads.iter().map(|h| h.get(..8).unwrap_or(h)).collect::<Vec<_>>().join(", ");
    let page = ContinuePage {
        question,
        comment: keep.comment().to_string(),
        version,
        newer,
        cancel: page_of(&keep.action),
        action: keep.action,
        fields: keep.fields,
        button,
        c,
    };
    Ok(render(&page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_and_their_pages() {
        assert_eq!(decision_kind("/web/records/r1/approve"), Some("approve"));
        assert_eq!(decision_kind("/web/records/r1/reject"), Some("reject"));
        assert_eq!(decision_kind("/web/queue/decide"), Some("decide"));
        assert_eq!(decision_kind("/web/records//approve"), None);
        assert_eq!(decision_kind("/web/records/r1/approve/x"), None);
        assert_eq!(decision_kind("/web/sign-out"), None);
        assert_eq!(page_of("/web/records/r1/approve"), "/web/records/r1");
        assert_eq!(page_of("/web/bulk-approve"), "/web/queue");
        assert_eq!(page_of("/web/cost?from=2026-11-01"), "/web/cost");
    }

    #[test]
    fn kept_forms_drop_the_csrf_token_and_round_trip() {
        let posted = vec![
            ("csrf".to_string(), "old".to_string()),
            ("heads".to_string(), "abc".to_string()),
            ("comment".to_string(), "人数核对无误".to_string()),
        ];
        let kept = Kept::from_post("/web/records/r1/approve", &posted).expect("a decision");
        assert_eq!(kept.fields.len(), 2);
        assert_eq!(kept.comment(), "人数核对无误");
        let mut signed = kept.hidden();
        signed.push(("csrf".into(), "signin".into()));
        signed.push(("token".into(), "t".into()));
        let back = Kept::from_sign_in(&Fields(signed)).expect("kept");
        // The sign-in form's own fields (token) are not kept fields: only keep_* ones are.
        assert_eq!(back, kept);
        assert!(Kept::from_post("/web/sign-out", &posted).is_none());
    }
}
