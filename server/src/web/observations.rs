//! Screens of the observations (issue 22, docs/observations.md): the list (`/web/observations`, with
//! filters by status, category, severity and site, the counts by status, overdue due dates marked,
//! severity as a coloured tag and the photos' count, each linking to its record page), the
//! follow-up panel on an observation's record page (`panel`), and the panel's forms
//! (`POST /web/observations/{id}/assign|close|reopen|comment`, CSRF-checked, supervisors and
//! admins), which come back to the record page.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use record_schema::{FollowUpStatus, ObservationCategory, Severity};
use serde::Deserialize;

use super::i18n::Lang;
use super::session::WebSession;
use super::{Chrome, Fields, WebError, render, urlencode};
use crate::error::ApiError;
use crate::observations::{self, Action, ListFilter, ObservationError, ObservationRow, Refusal, StatusCounts};
use crate::reference::ReferenceSet;
use crate::state::AppState;

/// The i18n key of a follow-up status.
pub fn status_key(s: &str) -> &'static str {
    match s {
        "assigned" => "obs_st_assigned",
        "closed" => "obs_st_closed",
        _ => "obs_st_open",
    }
}

/// The i18n key of a follow-up event's action.
pub fn action_key(s: &str) -> &'static str {
    match s {
        "assigned" => "obs_ev_assigned",
        "closed" => "obs_ev_closed",
        "reopened" => "obs_ev_reopened",
        "promoted" => "obs_ev_promoted",
        _ => "obs_ev_comment",
    }
}

fn category_key(s: &str) -> &'static str {
    ObservationCategory::parse(s).map_or("obs_cat_other", super::record::observation_category_key)
}

fn severity_key(s: &str) -> &'static str {
    Severity::parse(s).map_or("obs_sev_medium", super::record::severity_key)
}

/// A date as the screens show it (`12月3日` / `3 Dec`), with the year when it is not `today`'s.
fn day_text(d: NaiveDate, today: NaiveDate, lang: Lang) -> String {
    use chrono::Datelike;
    match (lang, d.year() == today.year()) {
        (Lang::ZhCn, true) => format!("{}月{}日", d.month(), d.day()),
        (Lang::ZhCn, false) => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        (_, true) => d.format("%-d %b").to_string(),
        (_, false) => d.format("%-d %b %Y").to_string(),
    }
}

fn site_name(set: &ReferenceSet, id: &str) -> String {
    set.sites.iter().find(|s| s.id == id).map_or_else(|| id.to_string(), |s| s.name.clone())
}

/// One row of the list.
pub struct ListRow {
    pub id: String,
    pub date: String,
    pub title: String,
    pub category: &'static str,
    pub severity: String,
    pub severity_key: &'static str,
    pub site: String,
    pub place: String,
    pub author: String,
    pub status: String,
    pub status_key: &'static str,
    pub assignee: String,
    pub due: String,
    pub overdue: bool,
    pub photos: i64,
    pub risk: String,
}

/// A status filter link with its count.
pub struct StatusTab {
    pub key: &'static str,
    /// `open`…; empty: all.
    pub value: &'static str,
    pub count: i64,
    pub on: bool,
    pub href: String,
}

#[derive(Template)]
#[template(path = "observations.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<ListRow>,
    tabs: Vec<StatusTab>,
    counts: StatusCounts,
    status: String,
    category: String,
    severity: String,
    site: String,
    categories: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    sites: Vec<(String, String)>,
    filtered: bool,
    today: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub category: Option<String>,
    pub severity: Option<String>,
    pub site: Option<String>,
}

/// `GET /web/observations?status=&category=&severity=&site=`
pub async fn list(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = Chrome::new(Some(&s), &headers, &uri, "observations", "obs_list_title");
    let lang = c.lang;
    let project = s.grant.project_id.clone();
    let set = crate::reference::store::load(&state.db, &project).await.map_err(WebError::internal)?;
    let today = crate::reports::today(&set);
    // Unknown values in the address are ignored (all), as the other screens' filters.
    let status = q.status.as_deref().and_then(FollowUpStatus::parse);
    let category = q.category.as_deref().and_then(ObservationCategory::parse);
    let severity = q.severity.as_deref().and_then(Severity::parse);
    let site = q.site.filter(|x| set.sites.iter().any(|s| &s.id == x));
    let filter = ListFilter { status, category, severity, site: site.clone(), ..ListFilter::default() };
    let (found, counts) =
        observations::list(&state.db, Some(&state.cache), &project, &filter, today).await.map_err(ApiError::from)?;
    let rows = found.iter().map(|r| list_row(r, &set, today, lang)).collect();
    let query_without_status = |value: &str| {
        let mut parts: Vec<String> = Vec::new();
        if !value.is_empty() {
            parts.push(format!("status={value}"));
        }
        if let Some(x) = category {
            parts.push(format!("category={}", x.as_str()));
        }
        if let Some(x) = severity {
            parts.push(format!("severity={}", x.as_str()));
        }
        if let Some(x) = &site {
            parts.push(format!("site={}", urlencode(x)));
        }
        if parts.is_empty() {
            "/web/observations".to_string()
        } else {
            format!("/web/observations?{}", parts.join("&"))
        }
    };
    let status_value = status.map_or("", FollowUpStatus::as_str);
    let tabs = [
        ("obs_all", "", counts.open + counts.assigned + counts.closed),
        ("obs_st_open", "open", counts.open),
        ("obs_st_assigned", "assigned", counts.assigned),
        ("obs_st_closed", "closed", counts.closed),
    ]
    .into_iter()
    .map(|(key, value, count)| StatusTab {
        key,
        value,
        count,
        on: value == status_value,
        href: query_without_status(value),
    })
    .collect();
    let page = ListPage {
        rows,
        tabs,
        counts,
        status: status_value.to_string(),
        category: category.map_or("", ObservationCategory::as_str).to_string(),
        severity: severity.map_or("", Severity::as_str).to_string(),
        site: site.clone().unwrap_or_default(),
        categories: ObservationCategory::ALL
            .iter()
            .map(|x| (x.as_str(), super::record::observation_category_key(*x)))
            .collect(),
        severities: Severity::ALL.iter().rev().map(|x| (x.as_str(), super::record::severity_key(*x))).collect(),
        sites: set.sites.iter().map(|s| (s.id.clone(), s.name.clone())).collect(),
        filtered: category.is_some() || severity.is_some() || site.is_some(),
        today: day_text(today, today, lang),
        c,
    };
    render(&page)
}

fn list_row(r: &ObservationRow, set: &ReferenceSet, today: NaiveDate, lang: Lang) -> ListRow {
    ListRow {
        id: r.record_id.clone(),
        date: day_text(r.date, today, lang),
        title: r.title.clone(),
        category: category_key(&r.category),
        severity: r.severity.clone(),
        severity_key: severity_key(&r.severity),
        site: site_name(set, &r.site_id),
        place: r.place.clone().unwrap_or_default(),
        author: r.author.clone(),
        status: r.status.clone(),
        status_key: status_key(&r.status),
        assignee: r.assignee.clone().unwrap_or_default(),
        due: r.due.map(|d| day_text(d, today, lang)).unwrap_or_default(),
        overdue: r.overdue(today),
        photos: r.photo_count,
        risk: r.risk_id.clone().unwrap_or_default(),
    }
}

/// One event of the follow-up's history, in words.
pub struct EventView {
    pub when: String,
    pub action: &'static str,
    pub status: &'static str,
    /// `open`, `assigned` or `closed` (the badge's class).
    pub status_value: String,
    pub by: String,
    pub note: String,
    /// `assigned`: to whom and by when, in words (`李工，期限 12月10日`).
    pub to: String,
}

/// The follow-up panel of an observation's record page.
pub struct Panel {
    pub status: String,
    pub status_key: &'static str,
    pub severity: String,
    pub severity_key: &'static str,
    pub assignee: String,
    pub due: String,
    /// `YYYY-MM-DD`, for the form's date field.
    pub due_value: String,
    pub overdue: bool,
    pub resolution: String,
    pub risk: String,
    pub voided: bool,
    pub closed: bool,
    /// Newest first.
    pub events: Vec<EventView>,
    /// The place by GPS (`31.23042, 121.47370 (±5 m)`) and its map link, when the phone had a fix.
    pub gps: Option<(String, String)>,
    /// The message after a form was saved (`?done=`), translated.
    pub done: Option<&'static str>,
    /// The project's members (id, name) the assign form offers: the one picked holds the
    /// observation on their phones while it is open (sync scopes).
    pub members: Vec<(String, String)>,
    /// The member it is assigned to (id; empty: none).
    pub assignee_person: String,
}

/// The follow-up panel of observation `id` (None: not an observation, or not indexed).
pub async fn panel(
    state: &AppState,
    project: &str,
    id: &str,
    record: &serde_json::Value,
    tz: &str,
    lang: Lang,
    done: Option<&str>,
) -> Result<Option<Panel>, WebError> {
    let Some(row) = observations::get_with(&state.db, Some(&state.cache), project, id).await.map_err(ApiError::from)?
    else {
        return Ok(None);
    };
    let events = observations::events(&state.db, id).await.map_err(ApiError::from)?;
    let members = crate::access::people::members(&state.db, project).await.map_err(WebError::internal)?;
    let members = members.into_iter().filter(|m| !m.person.disabled).map(|m| (m.person.id, m.person.name)).collect();
    let assignee_person = observations::assignee_person(&state.db, id).await.map_err(ApiError::from)?;
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    let today = crate::reports::today(&set);
    let gps = match (record["gps"]["latitude"].as_f64(), record["gps"]["longitude"].as_f64()) {
        (Some(lat), Some(lon)) => Some(super::format::place(lat, lon, record["gps"]["accuracy_m"].as_f64())),
        _ => None,
    };
    Ok(Some(Panel {
        members,
        assignee_person: assignee_person.unwrap_or_default(),
        status_key: status_key(&row.status),
        severity_key: severity_key(&row.severity),
        severity: row.severity.clone(),
        assignee: row.assignee.clone().unwrap_or_default(),
        due: row.due.map(|d| day_text(d, today, lang)).unwrap_or_default(),
        due_value: row.due.map(|d| d.to_string()).unwrap_or_default(),
        overdue: row.overdue(today),
        resolution: row.resolution.clone().unwrap_or_default(),
        risk: row.risk_id.clone().unwrap_or_default(),
        voided: row.voided,
        closed: row.status == "closed",
        events: events
            .iter()
            .rev()
            .map(|e| EventView {
                when: super::history::when(e.at_ms, tz, lang),
                action: action_key(&e.action),
                status: status_key(&e.status),
                status_value: e.status.clone(),
                by: e.by.clone(),
                note: e.note.clone(),
                to: match (&e.assignee, e.due) {
                    (Some(a), Some(d)) => {
                        format!("{a}{}{} {}", lang.t("obs_list_sep"), lang.t("obs_due"), day_text(d, today, lang))
                    }
                    (Some(a), None) => a.clone(),
                    _ => String::new(),
                },
            })
            .collect(),
        gps,
        done: done.and_then(|d| match d {
            "assigned" => Some("obs_done_assigned"),
            "closed" => Some("obs_done_closed"),
            "reopened" => Some("obs_done_reopened"),
            "comment" => Some("obs_done_comment"),
            _ => None,
        }),
        status: row.status,
    }))
}

/// An action's refusal on the screens: the field's problem in the page's language.
fn refused(e: ObservationError, lang: Lang) -> WebError {
    match e {
        ObservationError::BadInput(field, _) => WebError::BadRequest(
            match field {
                "assignee" => lang.t("obs_err_assignee"),
                "assignee_person" => lang.t("obs_err_member"),
                "due" => lang.t("obs_err_due"),
                "resolution" => lang.t("obs_err_resolution"),
                _ => lang.t("obs_err_note"),
            }
            .to_string(),
        ),
        ObservationError::Refused(r) => {
            let text = match r {
                Refusal::AlreadyClosed => lang.t("obs_err_closed"),
                Refusal::ClosedReopenFirst => lang.t("obs_err_reopen_first"),
                Refusal::Voided => lang.t("obs_err_voided"),
                Refusal::NotClosed(_) => lang.t("obs_err_not_closed"),
            };
            WebError::Api(ApiError::conflict(r.field(), text))
        }
        other => WebError::Api(other.into()),
    }
}

async fn act(
    s: WebSession,
    state: AppState,
    id: String,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
    make: impl FnOnce(&Fields, Lang) -> Result<Action, WebError>,
) -> Result<Response, WebError> {
    let lang = Lang::from_headers(&headers);
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    if !s.decides() {
        return Err(WebError::Forbidden(lang.t("obs_err_role").to_string()));
    }
    let action = make(&f, lang)?;
    let done = match &action {
        Action::Assign { .. } => "assigned",
        Action::Close { .. } => "closed",
        Action::Reopen { .. } => "reopened",
        Action::Comment { .. } => "comment",
    };
    observations::act(&state.db, &state.cache, &s.grant.project_id, &id, &action, &s.grant.device_name)
        .await
        .map_err(|e| refused(e, lang))?;
    Ok(Redirect::to(&format!("/web/records/{}?done=obs_{done}#follow-up", urlencode(&id))).into_response())
}

fn text(f: &Fields, key: &str) -> String {
    f.get(key).unwrap_or_default().to_string()
}

/// `POST /web/observations/{id}/assign` (csrf, assignee, assignee_person: a member's id or empty, due:
/// YYYY-MM-DD or empty, note)
pub async fn assign(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    act(s, state, id, headers, form, |f, lang| {
        let due = match f.get("due").map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => Some(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| WebError::BadRequest(lang.t("obs_err_due").to_string()))?,
            ),
        };
        // A member picked (person id; empty: a name typed only, which assigns nobody's phone).
        let assignee_person = f.get("assignee_person").map(str::trim).filter(|p| !p.is_empty()).map(String::from);
        Ok(Action::Assign { assignee: text(f, "assignee"), due, note: text(f, "note"), assignee_person })
    })
    .await
}

/// `POST /web/observations/{id}/close` (csrf, resolution)
pub async fn close(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    act(s, state, id, headers, form, |f, _| Ok(Action::Close { resolution: text(f, "resolution") })).await
}

/// `POST /web/observations/{id}/reopen` (csrf, note)
pub async fn reopen(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    act(s, state, id, headers, form, |f, _| Ok(Action::Reopen { note: text(f, "note") })).await
}

/// `POST /web/observations/{id}/comment` (csrf, note)
pub async fn comment(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    act(s, state, id, headers, form, |f, _| Ok(Action::Comment { note: text(f, "note") })).await
}
