//! One record as a supervisor reviews it: the figures (money per currency), photos, what changed
//! since the approved version, conflicting values side by side, decisions and change history;
//! and the forms that approve, reject or settle a conflict on exactly the version shown.

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use record_schema::{Currency, DecisionStatus};
use serde::Deserialize;
use serde_json::Value;

use super::format::{dec, instant, money};
use super::i18n::Lang;
use super::queue::short_heads;
use super::session::WebSession;
use super::{Chrome, Fields, WebError, render, urlencode};
use crate::error::ApiError;
use crate::ledger::store::{self, DecideRequest};
use crate::ledger::{LedgerError, resolve};
use crate::state::AppState;

pub struct Line {
    pub trade: String,
    pub crew: String,
    pub headcount: String,
    pub effort: String,
    pub rate: String,
    pub cost: String,
    pub cost_code: String,
    pub activity: String,
    pub note: String,
}

pub struct Photo {
    pub sha256: String,
    pub short: String,
    pub mime: String,
    pub captured: String,
}

pub struct Change {
    pub field: String,
    pub approved: String,
    pub current: String,
}

pub struct Conflict {
    pub field: String,
    pub values: Vec<(usize, String)>,
}

pub struct DecisionView {
    pub seq: i64,
    pub status: &'static str,
    pub by: String,
    pub when: String,
    pub comment: String,
    pub version: String,
}

pub struct ChangeLog {
    pub when: String,
    pub actor: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    c: Chrome,
    id: String,
    kind: &'static str,
    status: &'static str,
    heads: String,
    version: String,
    time_zone: String,
    /// (label, value) of the record's own fields.
    facts: Vec<(String, String)>,
    lines: Vec<Line>,
    total: String,
    photos: Vec<Photo>,
    changes: Vec<Change>,
    conflicts: Vec<Conflict>,
    decisions: Vec<DecisionView>,
    history: Vec<ChangeLog>,
    voided: String,
    done: Option<&'static str>,
    can_approve: bool,
    can_reject: bool,
}

#[derive(Debug, Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn status_key(s: &str) -> &'static str {
    match s {
        "approved" => "approved",
        "rejected" => "rejected",
        "changed_since_approval" => "changed_since_approval",
        _ => "pending",
    }
}

fn kind_key(s: &str) -> &'static str {
    match s {
        "labour_sheet" => "labour_sheet",
        "expense" => "expense",
        _ => "progress_report",
    }
}

fn amount(v: &Value, currency: Currency, lang: Lang) -> String {
    dec(v).map_or_else(|| text(v), |d| money(d, currency, lang))
}

/// `GET /web/records/{id}?done=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<DoneQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let done = q.ok().and_then(|Query(q)| q.done).and_then(|d| match d.as_str() {
        "approved" => Some("done_approved"),
        "rejected" => Some("done_rejected"),
        "resolved" => Some("done_resolved"),
        _ => None,
    });
    // The same description the JSON API gives (`GET /v1/records/{id}`), so screen and API agree.
    let mut stored = store::load_record(&state.db, &state.cache, &s.grant.project_id, &id).await?;
    let history = store::history(&state.db, &id).await.map_err(LedgerError::from);
    let described = history.map_err(ApiError::from).and_then(|h| crate::api::approvals::describe(&mut stored.doc, &h));
    state.cache.put(stored);
    let v = described?;
    let c = Chrome::new(Some(&s), &headers, &uri, "queue", "record");
    let lang = c.lang;
    let r = &v["record"];
    let currency: Currency = r["currency"].as_str().and_then(|c| c.parse().ok()).unwrap_or_default();
    let tz = r["time_zone"].as_str().unwrap_or("UTC").to_string();
    let kind = kind_key(v["kind"].as_str().unwrap_or_default());
    let mut facts: Vec<(&'static str, String)> =
        vec![("site", text(&r["site_id"])), ("author", text(&r["author"])), ("date", text(&r["date"]))];
    match kind {
        "expense" => facts.extend([
            ("amount", amount(&r["amount"], currency, lang)),
            ("category", text(&r["category"])),
            ("vendor", text(&r["vendor"])),
            ("cost_code", text(&r["cost_code"])),
            ("note", text(&r["note"])),
        ]),
        "progress_report" => facts.extend([
            ("activity", text(&r["activity"])),
            (
                "progress",
                format!(
                    "{}{}",
                    text(&r["value"]),
                    if r["measure"] == "percent" { "%".to_string() } else { format!(" {}", text(&r["unit"])) }
                ),
            ),
            ("caption", text(&r["caption"])),
        ]),
        _ => facts.push(("note", text(&r["note"]))),
    }
    let lines = r["lines"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| Line {
                    trade: text(&l["trade"]),
                    crew: text(&l["crew"]),
                    headcount: text(&l["headcount"]),
                    effort: format!(
                        "{} {}",
                        text(&l["effort"]),
                        lang.t(if l["effort_unit"] == "days" { "days" } else { "hours" })
                    ),
                    rate: amount(&l["rate"], currency, lang),
                    cost: amount(&l["cost"], currency, lang),
                    cost_code: text(&l["cost_code"]),
                    activity: text(&l["activity"]),
                    note: text(&l["note"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let photos = r["photos"]
        .as_array()
        .or_else(|| r["receipts"].as_array())
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let sha = text(&p["sha256"]);
                    Photo {
                        short: sha.get(..12).unwrap_or(&sha).to_string(),
                        mime: text(&p["mime"]),
                        captured: p["captured_at_ms"].as_i64().map(|ms| instant(ms, &tz)).unwrap_or_default(),
                        sha256: sha,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let absent = lang.t("absent");
    let show = |x: &Value| if x.is_null() { absent.to_string() } else { text(x) };
    let changes = v["changes_since_approval"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|ch| Change {
                    field: text(&ch["field"]),
                    approved: show(&ch["approved"]),
                    current: show(&ch["current"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let conflicts: Vec<Conflict> = v["conflicts"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|ch| Conflict {
                    field: text(&ch["field"]),
                    values: ch["values"]
                        .as_array()
                        .map(|vs| vs.iter().map(text).enumerate().collect())
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let decisions = v["approval"]["decisions"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .rev()
                .map(|d| DecisionView {
                    seq: d["record_seq"].as_i64().unwrap_or_default(),
                    status: status_key(d["status"].as_str().unwrap_or_default()),
                    by: format!("{} ({})", text(&d["decided_by_name"]), text(&d["decided_by_role"])),
                    when: d["decided_at_ms"].as_i64().map(|ms| instant(ms, &tz)).unwrap_or_default(),
                    comment: text(&d["comment"]),
                    version: short_heads(
                        &d["heads"].as_array().map(|h| h.iter().map(text).collect::<Vec<_>>()).unwrap_or_default(),
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    let history = v["history"]
        .as_array()
        .map(|hs| {
            hs.iter()
                .rev()
                .map(|h| ChangeLog {
                    // Automerge change times are seconds; 0 when the writer set none.
                    when: h["time"]
                        .as_i64()
                        .filter(|t| *t > 0)
                        .map(|t| instant(t * 1000, &tz))
                        .unwrap_or_else(|| "—".into()),
                    actor: text(&h["actor"]).chars().take(8).collect(),
                    message: text(&h["message"]),
                })
                .collect()
        })
        .unwrap_or_default();
    let heads: Vec<String> = v["heads"].as_array().map(|h| h.iter().map(text).collect()).unwrap_or_default();
    let status = status_key(v["approval"]["status"].as_str().unwrap_or_default());
    let page = RecordPage {
        id: id.clone(),
        kind,
        status,
        version: short_heads(&heads),
        heads: heads.join(","),
        time_zone: tz,
        facts: facts.into_iter().map(|(k, v)| (lang.t(k).to_string(), v)).collect(),
        lines,
        total: r.get("total").map(|t| amount(t, currency, lang)).unwrap_or_default(),
        photos,
        changes,
        can_approve: conflicts.is_empty() && status != "approved",
        can_reject: status != "approved" && status != "rejected",
        conflicts,
        decisions,
        history,
        voided: r["voided"].get("reason").map(text).unwrap_or_default(),
        done,
        c,
    };
    render(&page)
}

fn heads_field(f: &Fields) -> Vec<String> {
    f.get("heads").unwrap_or_default().split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_string).collect()
}

async fn decide(
    s: WebSession,
    state: AppState,
    id: String,
    status: DecisionStatus,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let req = DecideRequest {
        record_id: id.clone(),
        status,
        heads: heads_field(&f),
        comment: f.get("comment").unwrap_or_default().to_string(),
        request_id: None,
    };
    store::decide(&state.db, &state.cache, &s.grant, req).await?;
    let done = if status == DecisionStatus::Approved { "approved" } else { "rejected" };
    Ok(Redirect::to(&format!("/web/records/{}?done={done}", urlencode(&id))).into_response())
}

/// `POST /web/records/{id}/approve` (csrf, heads, comment)
pub async fn approve(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    decide(s, state, id, DecisionStatus::Approved, form).await
}

/// `POST /web/records/{id}/reject` (csrf, heads, comment: required)
pub async fn reject(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    decide(s, state, id, DecisionStatus::Rejected, form).await
}

/// `POST /web/records/{id}/resolve` (csrf, heads, field, choice): keeps one of a field's
/// concurrent values on the version shown.
pub async fn resolve(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let field = f.get("field").unwrap_or_default().to_string();
    let choice: usize = f
        .get("choice")
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| WebError::BadRequest("choice: expected the index of the value to keep".into()))?;
    resolve::resolve(&state.db, &state.cache, &s.grant, &id, &heads_field(&f), &field, choice).await?;
    Ok(Redirect::to(&format!("/web/records/{}?done=resolved", urlencode(&id))).into_response())
}

/// `GET /web/photos/{sha256}/thumbnail`: the blob route's thumbnail for a signed-in browser (an
/// `<img>` cannot send a bearer token); the same project scoping.
pub async fn thumbnail(
    s: WebSession,
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Response, WebError> {
    crate::blobs::tus::readable(&state.db, &sha256, &s.grant.project_id).await?;
    let key = crate::blobs::Blobs::thumbnail_key(&sha256);
    Ok(crate::blobs::tus::serve(&state.blobs, &key, "image/jpeg", &format!("{sha256}-thumbnail")).await?)
}

/// `GET /web/photos/{sha256}`: the original, full size.
pub async fn photo(
    s: WebSession,
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Response, WebError> {
    let mime = crate::blobs::tus::readable(&state.db, &sha256, &s.grant.project_id).await?;
    Ok(crate::blobs::tus::serve(&state.blobs, &crate::blobs::Blobs::original_key(&sha256), &mime, &sha256).await?)
}
