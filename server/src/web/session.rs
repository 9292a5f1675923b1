//! Browser sessions: a supervisor or office user signs in with their device token once; the
//! browser then holds a random session id in an HTTP-only cookie. Only the id's SHA-256 is stored
//! (`web_sessions`), and every lookup joins the token, so a revoked token ends its sessions.

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

/// A signed-in browser: who (the token's grant) and the CSRF token its forms must carry.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub grant: TokenGrant,
    pub csrf: String,
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

/// Opens a session for a token already checked; returns the cookie value and the CSRF token.
pub async fn open(db: &Db, token: &str) -> Result<(String, String), sqlx::Error> {
    let id = random_secret();
    let csrf = random_secret();
    let now = record_schema::now_ms();
    on_pool!(db, |p| {
        sqlx::query(
        "INSERT INTO web_sessions (id_sha256, token_sha256, csrf_token, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(token_sha256(&id))
    .bind(token_sha256(token))
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

/// The live session of cookie value `id`, if any (unexpired, token not revoked).
pub async fn find(db: &Db, id: &str) -> Result<Option<WebSession>, sqlx::Error> {
    let row: Option<SessionRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT d.id AS device_id, d.name AS device_name, t.role, t.project_id, s.csrf_token FROM web_sessions s \
         JOIN tokens t ON t.token_sha256 = s.token_sha256 JOIN devices d ON d.id = t.device_id \
         WHERE s.id_sha256 = $1 AND s.expires_at_ms > $2 AND t.revoked_at_ms IS NULL"
    )
    .bind(token_sha256(id))
    .bind(record_schema::now_ms())
    .fetch_optional(p)
    .await?);
    Ok(row.map(|r| WebSession { grant: r.grant, csrf: r.csrf_token }))
}

/// A row of `find`: the token's grant and the session's CSRF token.
#[derive(sqlx::FromRow)]
struct SessionRow {
    #[sqlx(flatten)]
    grant: TokenGrant,
    csrf_token: String,
}

pub async fn close(db: &Db, id: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, |p| sqlx::query("DELETE FROM web_sessions WHERE id_sha256 = $1")
        .bind(token_sha256(id))
        .execute(p)
        .await
        .map(drop))
}

/// Supervisors and admins review; a foreman's token never gets a session.
pub fn may_sign_in(role: Role) -> bool {
    role.reviews()
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = WebError;

    /// No or a dead session: the sign-in page, which comes back here afterwards.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let back = parts.uri.path_and_query().map_or("/web/queue".to_string(), |p| p.as_str().to_string());
        let Some(id) = cookie(&parts.headers, COOKIE) else { return Err(WebError::SignIn(back)) };
        match find(&state.db, &id).await.map_err(WebError::internal)? {
            Some(s) if may_sign_in(s.grant.role) => {
                super::remember_session(&s);
                Ok(s)
            }
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
    let date = match &record {
        record_schema::Record::LabourSheet(s) => s.work_date,
        record_schema::Record::Expense(e) => e.date,
        record_schema::Record::ProgressReport(p) => p.date,
    };
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
