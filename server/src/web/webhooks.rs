//! `/web/webhooks`: a project's outgoing webhooks for its admins (issue 23; docs/webhooks.md): the
//! endpoints with their state and message counts, add (a generic endpoint's new key shown once),
//! test, enable or disable, delete; `/web/webhooks/{id}`: an endpoint's delivery log (messages
//! with status, attempts, last answer, next attempt in the site's time and words) and replays of
//! dead messages. Over `crate::webhooks` with the JSON API's rules (another project's endpoint is
//! 404); every form carries the session's CSRF token.

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, Fields, WebError, render};
use crate::error::ApiError;
use crate::state::AppState;
use crate::webhooks::outbox::{self, Endpoint, MessageRow};
use crate::webhooks::{EVENTS, endpoints, formats};

/// Messages shown on an endpoint's log.
const LOG_LIMIT: i64 = 200;

fn admin_only(s: &WebSession) -> Result<(), WebError> {
    if s.manages() {
        Ok(())
    } else {
        Err(WebError::Forbidden(format!("a {} cannot manage this project's webhooks; an admin can", s.grant.role)))
    }
}

/// A URL as the screens show it: the query's values hidden (a WeCom key, a DingTalk token are
/// the robot's only credential).
pub fn masked_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_string() };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !v.is_empty() => format!("{k}=…"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

/// The i18n key of an event type.
pub fn event_key(event: &str) -> &'static str {
    match event {
        "record.submitted" => "wh_ev_submitted",
        "record.changed_since_approval" => "wh_ev_changed",
        "record.approved" => "wh_ev_approved",
        "record.rejected" => "wh_ev_rejected",
        "record.conflict" => "wh_ev_conflict",
        "daily_report.ready" => "wh_ev_daily_report",
        "wages.arrears_flagged" => "wh_ev_arrears",
        "digest.daily" => "wh_ev_digest",
        "ping" => "wh_ev_ping",
        _ => "wh_ev_other",
    }
}

fn format_key(format: &str) -> &'static str {
    match format {
        "wecom" => "wh_fmt_wecom",
        "dingtalk" => "wh_fmt_dingtalk",
        _ => "wh_fmt_generic",
    }
}

/// "in 3 min" / "3 分钟后" (a time to come), "now" when due.
pub fn until(now_ms: i64, at_ms: i64, lang: Lang) -> String {
    let minutes = (at_ms - now_ms).max(0) / 60_000;
    let seconds = (at_ms - now_ms).max(0) / 1000;
    let (key, n) = match minutes {
        0 if seconds == 0 => return lang.t("wh_due_now").to_string(),
        0 => ("wh_in_s", seconds),
        1..60 => ("wh_in_min", minutes),
        60..1440 => ("wh_in_h", minutes / 60),
        _ => ("wh_in_days", minutes / 1440),
    };
    lang.t(key).replace("{n}", &n.to_string())
}

/// One endpoint as a row of the list.
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub format: String,
    pub events: String,
    pub enabled: bool,
    pub state: String,
    pub pending: i64,
    pub delivered: i64,
    pub dead: i64,
    pub digest_time: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<EndpointRow>,
    events: Vec<(&'static str, String)>,
    done: String,
    problem: String,
    /// A new generic endpoint's key, shown once.
    secret: String,
    typed_url: String,
}

/// One message as a row of the log.
pub struct MessageView {
    pub id: String,
    pub event: String,
    pub status: String,
    pub status_word: String,
    pub attempts: i64,
    pub created: String,
    pub last: String,
    pub next: String,
    pub next_exact: String,
    pub replayed: String,
    pub dead: bool,
}

#[derive(Template)]
#[template(path = "webhooks_log.html")]
struct LogPage {
    c: Chrome,
    e: EndpointRow,
    messages: Vec<MessageView>,
    dead: usize,
    done: String,
}

/// The project's time zone for times: its first site's, else UTC.
async fn zone(state: &AppState, project: &str) -> String {
    match crate::reference::store::load(&state.db, project).await {
        Ok(set) => set.sites.first().map_or_else(|| "UTC".to_string(), |s| s.time_zone.clone()),
        Err(_) => "UTC".to_string(),
    }
}

fn row(e: &Endpoint, counts: &[(String, String, i64)], lang: Lang) -> EndpointRow {
    let count =
        |status: &str| counts.iter().filter(|(id, s, _)| *id == e.id && s == status).map(|(_, _, n)| *n).sum::<i64>();
    let list = e.event_list();
    let events = if list.is_empty() {
        lang.t("wh_all_events").to_string()
    } else {
        list.iter().map(|ev| lang.t(event_key(ev))).collect::<Vec<_>>().join(lang.t("wh_list_sep"))
    };
    let state = if e.enabled != 0 {
        lang.t("wh_enabled").to_string()
    } else {
        match e.disabled_reason.as_deref() {
            Some(r) if r.starts_with("410") => lang.t("wh_disabled_gone").to_string(),
            _ => lang.t("wh_disabled").to_string(),
        }
    };
    EndpointRow {
        id: e.id.clone(),
        url: masked_url(&e.url),
        format: lang.t(format_key(&e.format)).to_string(),
        events,
        enabled: e.enabled != 0,
        state,
        pending: count("pending"),
        delivered: count("delivered"),
        dead: count("dead"),
        digest_time: e
            .digest_time
            .clone()
            .unwrap_or_else(|| crate::webhooks::digest::server_time().format("%H:%M").to_string()),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

fn done_words(lang: Lang, done: Option<&str>) -> String {
    let key = match done {
        Some("added") => "wh_done_added",
        Some("deleted") => "wh_done_deleted",
        Some("tested") => "wh_done_tested",
        Some("enabled") => "wh_done_enabled",
        Some("disabled") => "wh_done_disabled",
        Some("replayed") => "wh_done_replayed",
        _ => return String::new(),
    };
    lang.t(key).to_string()
}

async fn list_page(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    done: String,
    problem: String,
    secret: String,
    typed_url: String,
) -> Result<ListPage, WebError> {
    let lang = c.lang;
    let all = endpoints::list(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let counts = outbox::counts(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let rows = all.iter().map(|e| row(e, &counts, lang)).collect();
    let events = EVENTS.iter().map(|e| (*e, lang.t(event_key(e)).to_string())).collect();
    Ok(ListPage { c, rows, events, done, problem, secret, typed_url })
}

/// `GET /web/webhooks?done=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    admin_only(&s)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "admin", "wh_title");
    let done = done_words(c.lang, q.ok().and_then(|Query(q)| q.done).as_deref());
    let page = list_page(&state, &s, c, done, String::new(), String::new(), String::new()).await?;
    Ok(render(&page)?.into_response())
}

/// `POST /web/webhooks` (csrf, url, format, secret, events…, digest_time): adds an endpoint; a
/// refusal shows the list again with the reason (400), nothing added.
pub async fn create(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    admin_only(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let mut body = json!({
        "url": f.get("url").unwrap_or_default(),
        "format": f.get("format").unwrap_or("generic"),
        "events": f.all("events").collect::<Vec<_>>(),
    });
    if let Some(secret) = f.get("secret").map(str::trim).filter(|x| !x.is_empty()) {
        body["secret"] = Value::from(secret);
    }
    if let Some(t) = f.get("digest_time").map(str::trim).filter(|x| !x.is_empty()) {
        body["digest_time"] = Value::from(t);
    }
    let c = Chrome::new(Some(&s), &headers, &uri, "admin", "wh_title");
    let n = match endpoints::parse(&body) {
        Ok(n) => n,
        Err(r) => {
            let key = match r.field.as_str() {
                "url" => "wh_bad_url",
                "secret" => "wh_bad_secret",
                "digest_time" => "wh_bad_time",
                _ => "wh_bad_input",
            };
            let problem = format!("{} ({})", c.t(key), r.message);
            let typed = f.get("url").unwrap_or_default().to_string();
            let page = list_page(&state, &s, c, String::new(), problem, String::new(), typed).await?;
            return Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response());
        }
    };
    let by = s.person.as_ref().map_or_else(|| s.grant.device_name.clone(), |p| p.name.clone());
    let e = endpoints::create(&state.db, &s.grant.project_id, &by, &n).await.map_err(WebError::internal)?;
    // A generic endpoint's key is shown this once (the receiver needs it to verify signatures).
    let secret = if e.format == "generic" { e.secret.clone() } else { String::new() };
    let done = c.t("wh_done_added").to_string();
    let page = list_page(&state, &s, c, done, String::new(), secret, String::new()).await?;
    Ok(render(&page)?.into_response())
}

async fn endpoint_of(state: &AppState, s: &WebSession, id: &str) -> Result<Endpoint, WebError> {
    endpoints::get(&state.db, &s.grant.project_id, id)
        .await
        .map_err(WebError::internal)?
        .ok_or_else(|| ApiError::not_found("id", format!("no webhook {id:?} in this project")).into())
}

/// `POST /web/webhooks/{id}/delete` (csrf)
pub async fn delete(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    admin_only(&s)?;
    Fields::from(form)?.check_csrf(&s)?;
    if !endpoints::delete(&state.db, &s.grant.project_id, &id).await.map_err(WebError::internal)? {
        return Err(ApiError::not_found("id", format!("no webhook {id:?} in this project")).into());
    }
    Ok(Redirect::to("/web/webhooks?done=deleted").into_response())
}

/// `POST /web/webhooks/{id}/test` (csrf): a `ping` to this endpoint; to its log.
pub async fn test(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    admin_only(&s)?;
    Fields::from(form)?.check_csrf(&s)?;
    let e = endpoint_of(&state, &s, &id).await?;
    if e.enabled == 0 {
        return Err(ApiError::conflict("enabled", "the endpoint is disabled").into());
    }
    let by = s.person.as_ref().map_or_else(|| s.grant.device_name.clone(), |p| p.name.clone());
    endpoints::ping(&state.db, &e, &by).await.map_err(WebError::internal)?;
    Ok(Redirect::to(&format!("/web/webhooks/{}?done=tested", e.id)).into_response())
}

/// `POST /web/webhooks/{id}/enable` (csrf, enabled=1|0)
pub async fn set_enabled(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    admin_only(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let on = match f.get("enabled") {
        Some("1") => true,
        Some("0") => false,
        _ => return Err(WebError::BadRequest("enabled: expected 1 or 0".into())),
    };
    if !endpoints::set_enabled(&state.db, &s.grant.project_id, &id, on).await.map_err(WebError::internal)? {
        return Err(ApiError::not_found("id", format!("no webhook {id:?} in this project")).into());
    }
    let done = if on { "enabled" } else { "disabled" };
    Ok(Redirect::to(&format!("/web/webhooks?done={done}")).into_response())
}

/// `POST /web/webhooks/{id}/replay` (csrf, message: one dead message; none: every dead one)
pub async fn replay(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    admin_only(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let e = endpoint_of(&state, &s, &id).await?;
    if e.enabled == 0 {
        return Err(ApiError::conflict("enabled", "the endpoint is disabled: enable it first").into());
    }
    let by = s.person.as_ref().map_or_else(|| s.grant.device_name.clone(), |p| p.name.clone());
    let message = f.get("message").filter(|m| !m.is_empty());
    let ids = outbox::replay(&state.db, &e.id, message, &by).await.map_err(WebError::internal)?;
    if !ids.is_empty() {
        tracing::info!(endpoint = %e.id, project = %e.project_id, by, messages = ?ids, "webhook messages replayed");
        crate::webhooks::wake();
    }
    Ok(Redirect::to(&format!("/web/webhooks/{}?done=replayed", e.id)).into_response())
}

/// `GET /web/webhooks/{id}?done=`: the endpoint's delivery log, newest first.
pub async fn log(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    admin_only(&s)?;
    let e = endpoint_of(&state, &s, &id).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "admin", "wh_log_title");
    let lang = c.lang;
    let done = done_words(lang, q.ok().and_then(|Query(q)| q.done).as_deref());
    let zone = zone(&state, &s.grant.project_id).await;
    let counts = outbox::counts(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let (messages, _) = outbox::log(&state.db, &e.id, LOG_LIMIT).await.map_err(WebError::internal)?;
    let now = record_schema::now_ms();
    let messages: Vec<MessageView> = messages.into_iter().map(|m| message_view(m, now, &zone, lang)).collect();
    let dead = messages.iter().filter(|m| m.dead).count();
    let e = row(&e, &counts, lang);
    Ok(render(&LogPage { c, e, messages, dead, done })?.into_response())
}

fn message_view(m: MessageRow, now: i64, zone: &str, lang: Lang) -> MessageView {
    let at = |ms: i64| super::format::instant(ms, zone, lang);
    let last = match (m.last_status, m.last_error.as_deref()) {
        (Some(code), Some(err)) => format!("{code} · {}", formats::truncate(err, 200)),
        (Some(code), None) => code.to_string(),
        (None, Some(err)) => formats::truncate(err, 200).to_string(),
        (None, None) => "—".to_string(),
    };
    let (next, next_exact) = match m.status.as_str() {
        "pending" => (until(now, m.next_attempt_at_ms, lang), at(m.next_attempt_at_ms)),
        "delivered" => {
            (lang.t("wh_delivered_at").replace("{when}", &m.delivered_at_ms.map(at).unwrap_or_default()), String::new())
        }
        _ => ("—".to_string(), String::new()),
    };
    let replayed = match (m.replays, m.replayed_by.as_deref(), m.replayed_at_ms) {
        (n, Some(by), Some(when)) if n > 0 => {
            lang.t("wh_replayed_by").replace("{n}", &n.to_string()).replace("{by}", by).replace("{when}", &at(when))
        }
        _ => String::new(),
    };
    let status_word = match m.status.as_str() {
        "pending" => lang.t("wh_st_pending"),
        "delivered" => lang.t("wh_st_delivered"),
        "dead" => lang.t("wh_st_dead"),
        other => other,
    }
    .to_string();
    MessageView {
        event: lang.t(event_key(&m.event_type)).to_string(),
        dead: m.status == "dead",
        status_word,
        attempts: m.attempts,
        created: at(m.created_at_ms),
        last,
        next,
        next_exact,
        replayed,
        id: m.id,
        status: m.status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_hide_their_keys() {
        assert_eq!(
            masked_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123"),
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
        );
        assert_eq!(masked_url("https://x/in"), "https://x/in");
    }

    #[test]
    fn times_to_come() {
        let now = 1_800_000_000_000;
        assert_eq!(until(now, now - 5, Lang::En), "now");
        assert_eq!(until(now, now + 30_000, Lang::En), "in 30 s");
        assert_eq!(until(now, now + 3 * 60_000, Lang::ZhCn), "3 分钟后");
        assert_eq!(until(now, now + 5 * 3_600_000, Lang::En), "in 5 h");
    }

    #[test]
    fn every_event_has_words() {
        for e in EVENTS {
            assert_ne!(event_key(e), "wh_ev_other", "{e}");
            assert_ne!(Lang::ZhCn.t(event_key(e)), event_key(e), "{e} has no Chinese");
        }
    }
}
