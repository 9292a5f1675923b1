//! `/web/admin/devices`: the devices holding the project's tokens, for its supervisors and admins:
//! name, person, role, last sync ("3 min ago", the exact time on hover), app version, status.
//! Revoking asks first (`…/confirm?action=revoke`), renaming is a small form per device, and admins
//! may give a device a new key (asked first too), shown once. Over `crate::access::devices`, with
//! the same rules as the JSON API (`devices::may`, `may_touch`, 404 for another project's device).

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, Fields, WebError, render, role_key};
use crate::access::devices::{self, Action, Actor, DeviceError, DeviceInfo};
use crate::state::AppState;

/// "3 min ago" / "3 分钟前"; "never" when the device never synced.
pub fn ago(now_ms: i64, at_ms: Option<i64>, lang: Lang) -> String {
    let Some(at) = at_ms else { return lang.t("dev_never").to_string() };
    let minutes = (now_ms - at).max(0) / 60_000;
    let (key, n) = match minutes {
        0 => return lang.t("dev_just_now").to_string(),
        1..60 => ("dev_min_ago", minutes),
        60..1440 => ("dev_h_ago", minutes / 60),
        _ => ("dev_days_ago", minutes / 1440),
    };
    lang.t(key).replace("{n}", &n.to_string())
}

/// One device as a row (a card on a phone).
pub struct Row {
    pub id: String,
    pub name: String,
    pub person: String,
    pub role: &'static str,
    pub seen_ago: String,
    pub seen_exact: String,
    pub app: String,
    pub status: String,
    pub revoked: bool,
    /// The signed-in key's own device.
    pub own: bool,
    /// This session may rename and revoke it.
    pub changes: bool,
}

#[derive(Template)]
#[template(path = "admin_devices.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    count: String,
    notice: String,
    problem: String,
    rotates: bool,
}

#[derive(Template)]
#[template(path = "admin_devices_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    id: String,
    action: &'static str,
    question: String,
    explain: &'static str,
    button: &'static str,
}

#[derive(Template)]
#[template(path = "admin_devices_token.html")]
struct TokenPage {
    c: Chrome,
    heading: String,
    token: String,
}

fn own(s: &WebSession, id: &str) -> bool {
    s.person.is_none() && s.grant.device_id == id
}

fn actor(s: &WebSession) -> Actor<'_> {
    match &s.person {
        Some(p) => Actor { person_id: Some(&p.id), ..Default::default() },
        None => Actor { device_id: Some(&s.grant.device_id), ..Default::default() },
    }
}

/// The device `id` of the session's project, after checking the session may do `action` to it.
async fn target(state: &AppState, s: &WebSession, id: &str, action: Action) -> Result<DeviceInfo, WebError> {
    devices::may(s.grant.role, action, own(s, id))?;
    let d = devices::in_project(&state.db, id, &s.grant.project_id).await.map_err(crate::error::ApiError::from)?;
    devices::may_touch(s.grant.role, &d, own(s, id))?;
    Ok(d)
}

/// The project's time zone for exact times: its first site's, else UTC.
async fn zone(state: &AppState, project: &str) -> String {
    match crate::reference::store::load(&state.db, project).await {
        Ok(set) => set.sites.first().map_or_else(|| "UTC".to_string(), |s| s.time_zone.clone()),
        Err(_) => "UTC".to_string(),
    }
}

fn rows(list: Vec<DeviceInfo>, s: &WebSession, lang: Lang, zone: &str) -> Vec<Row> {
    let now = record_schema::now_ms();
    list.into_iter()
        .map(|d| {
            let own = own(s, &d.id);
            let changes = devices::may(s.grant.role, Action::Rename, own).is_ok()
                && devices::may_touch(s.grant.role, &d, own).is_ok();
            Row {
                seen_ago: ago(now, d.last_seen_at_ms, lang),
                seen_exact: d.last_seen_at_ms.map(|ms| super::format::instant(ms, zone, lang)).unwrap_or_default(),
                person: d.person_name.clone().unwrap_or_else(|| "—".into()),
                role: role_key(d.role),
                app: d.app_version.clone().unwrap_or_else(|| "—".into()),
                status: match d.revoked_at_ms {
                    Some(at) => lang.t("dev_revoked_at").replace("{when}", &super::format::instant(at, zone, lang)),
                    None => lang.t("dev_live").to_string(),
                },
                revoked: d.revoked(),
                own,
                changes,
                id: d.id,
                name: d.name,
            }
        })
        .collect()
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    done: Option<String>,
}

async fn list_page(
    state: &AppState,
    s: &WebSession,
    headers: &HeaderMap,
    uri: &Uri,
    notice: String,
    problem: String,
) -> Result<ListPage, WebError> {
    devices::may(s.grant.role, Action::List, false)?;
    let c = Chrome::new(Some(s), headers, uri, "devices", "dev_title");
    let lang = c.lang;
    let list =
        devices::list(&state.db, devices::Scope::Project(&s.grant.project_id)).await.map_err(WebError::internal)?;
    let live = list.iter().filter(|d| !d.revoked()).count();
    let count = lang.t("dev_count").replace("{live}", &live.to_string()).replace("{all}", &list.len().to_string());
    let rows = rows(list, s, lang, &zone(state, &s.grant.project_id).await);
    Ok(ListPage { rotates: s.grant.role.manages(), c, rows, count, notice, problem })
}

/// `GET /web/admin/devices?done=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let lang = Lang::from_headers(&headers);
    let notice = match q.ok().and_then(|Query(q)| q.done).as_deref() {
        Some("revoked") => lang.t("dev_done_revoked").to_string(),
        Some("renamed") => lang.t("dev_done_renamed").to_string(),
        _ => String::new(),
    };
    let page = list_page(&state, &s, &headers, &uri, notice, String::new()).await?;
    Ok(render(&page)?.into_response())
}

#[derive(Debug, Deserialize, Default)]
pub struct ConfirmQuery {
    action: Option<String>,
}

/// `GET /web/admin/devices/{id}/confirm?action=revoke|rotate`: asks before doing it.
pub async fn confirm(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    q: Result<Query<ConfirmQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let (action, act) = match q.ok().and_then(|Query(q)| q.action).as_deref() {
        Some("rotate") => ("rotate", Action::Rotate),
        Some("revoke") => ("revoke", Action::Revoke),
        _ => return Err(crate::error::ApiError::bad_request("action", "expected revoke or rotate").into()),
    };
    let d = target(&state, &s, &id, act).await?;
    if d.revoked() {
        return Err(crate::error::ApiError::from(DeviceError::Revoked(id)).into());
    }
    let c = Chrome::new(Some(&s), &headers, &uri, "devices", "dev_title");
    let (question, explain, button) = match act {
        Action::Rotate => ("dev_rotate_q", "dev_rotate_explain", "dev_rotate_yes"),
        _ if own(&s, &id) => ("dev_revoke_q", "dev_revoke_own_explain", "dev_revoke_yes"),
        _ => ("dev_revoke_q", "dev_revoke_explain", "dev_revoke_yes"),
    };
    let question = c.t(question).replace("{name}", &d.name);
    let explain = c.t(explain);
    let button = c.t(button);
    Ok(render(&ConfirmPage { c, id: d.id, action, question, explain, button })?.into_response())
}

/// `POST /web/admin/devices/{id}/revoke` (csrf)
pub async fn revoke(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    Fields::from(form)?.check_csrf(&s)?;
    target(&state, &s, &id, Action::Revoke).await?;
    devices::revoke(&state.db, &id, Some(&s.grant.project_id), actor(&s))
        .await
        .map_err(crate::error::ApiError::from)?;
    // Revoking the key this browser signed in with ends this session too: to the sign-in page.
    let to = if own(&s, &id) { "/web/sign-in" } else { "/web/admin/devices?done=revoked" };
    Ok(Redirect::to(to).into_response())
}

/// `POST /web/admin/devices/{id}/rename` (csrf, name): a refused name shows the list again with
/// the reason (400), nothing changed.
pub async fn rename(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    target(&state, &s, &id, Action::Rename).await?;
    let name = f.get("name").unwrap_or_default();
    match devices::rename(&state.db, &id, name, Some(&s.grant.project_id), actor(&s)).await {
        Ok(_) => Ok(Redirect::to("/web/admin/devices?done=renamed").into_response()),
        Err(DeviceError::Name(_)) => {
            let lang = Lang::from_headers(&headers);
            let problem = lang.t("dev_bad_name").to_string();
            let page = list_page(&state, &s, &headers, &uri, String::new(), problem).await?;
            Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response())
        }
        Err(e) => Err(crate::error::ApiError::from(e).into()),
    }
}

/// `POST /web/admin/devices/{id}/rotate` (csrf; admins): the new key, shown this once.
pub async fn rotate(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    Fields::from(form)?.check_csrf(&s)?;
    let d = target(&state, &s, &id, Action::Rotate).await?;
    let r = devices::rotate(&state.db, &id, Some(&s.grant.project_id), actor(&s))
        .await
        .map_err(crate::error::ApiError::from)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "devices", "dev_token_title");
    let heading = c.t("dev_token_for").replace("{name}", &d.name);
    Ok(render(&TokenPage { c, heading, token: r.token })?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_people_say_them() {
        let now = 1_800_000_000_000;
        assert_eq!(ago(now, None, Lang::ZhCn), "从未同步");
        assert_eq!(ago(now, Some(now - 20_000), Lang::En), "just now");
        assert_eq!(ago(now, Some(now - 3 * 60_000), Lang::ZhCn), "3 分钟前");
        assert_eq!(ago(now, Some(now - 3 * 60_000), Lang::En), "3 min ago");
        assert_eq!(ago(now, Some(now - 5 * 3_600_000), Lang::En), "5 h ago");
        assert_eq!(ago(now, Some(now - 2 * 86_400_000), Lang::ZhCn), "2 天前");
        assert_eq!(ago(now, Some(now + 60_000), Lang::En), "just now", "a clock ahead is not the future");
    }
}
