//! One record as a supervisor reviews it: names instead of ids, each crew line with its workers,
//! rate and unit, totals of headcount, worker-days and amount; photos with time and place; what
//! changed since the approved version and conflicting values in words, each value with who entered
//! it; decisions and change history; previous / next pending record; and the forms that approve
//! (then open the next), reject or settle conflicts on exactly the version shown.

mod nav;
mod words;

use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use record_schema::{Currency, DecisionStatus};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::i18n::Lang;
use super::queue::short_heads;
use super::session::WebSession;
use super::{Chrome, Fields, WebError, kind_key, render, urlencode};
use crate::error::ApiError;
use crate::ledger::store::{self, DecideRequest};
use crate::ledger::{LedgerError, resolve};
use crate::state::AppState;
use words::{Names, Words, code_and_name, text};
pub(crate) use words::{category_words, rate_money};

pub struct Line {
    pub no: usize,
    /// `第1行` / `Line 1`.
    pub label: String,
    pub trade: String,
    pub crew: String,
    pub workers: String,
    pub headcount: String,
    pub effort: String,
    pub worker_days: String,
    pub rate: String,
    pub cost: String,
    pub cost_code: String,
    pub activity: String,
    pub note: String,
}

pub struct Totals {
    pub headcount: String,
    pub worker_days: String,
    pub amount: String,
}

pub struct Photo {
    pub sha256: String,
    pub alt: String,
    pub captured: String,
    /// `31.23042, 121.47370` (± accuracy), empty when the phone recorded no place.
    pub place: String,
    pub map: String,
}

/// One value a conflicting field holds, with who entered it and when.
pub struct Choice {
    pub index: usize,
    pub value: String,
    pub who: String,
    pub when: String,
    pub shown: bool,
}

pub struct Conflict {
    /// Index of the field in the form (`choice-<n>`).
    pub n: usize,
    pub path: String,
    pub label: String,
    pub choices: Vec<Choice>,
}

pub struct DecisionView {
    pub seq: i64,
    pub status: &'static str,
    pub by: String,
    pub when: String,
    pub comment: String,
    pub version: String,
}

/// A newer version than the one the supervisor acted on or opened: when and by whom it came.
pub struct Newer {
    pub when: String,
    pub who: String,
    /// `Submitted <when> by <who>`, in the page's language.
    pub text: String,
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
    /// When and by whom the version shown was submitted.
    submitted: String,
    title: String,
    time_zone: String,
    /// (label, value, small detail) of the record's own fields.
    facts: Vec<(String, String, String)>,
    lines: Vec<Line>,
    totals: Totals,
    total: String,
    photos: Vec<Photo>,
    receipts: bool,
    /// The photos' heading (receipts, signed slips or photos), translated.
    photos_title: &'static str,
    changes: Vec<String>,
    conflicts: Vec<Conflict>,
    decisions: Vec<DecisionView>,
    history: Vec<super::history::HistoryRow>,
    /// Older changes the history leaves out.
    older: usize,
    voided: String,
    done: Option<&'static str>,
    /// The version approved from this page was not the latest: the newer one's time and author.
    newer_after_decision: Option<Newer>,
    /// The page was opened for a version (`?heads=`) that is no longer the current one.
    opened_old: Option<Newer>,
    prev: Option<String>,
    next: Option<String>,
    can_approve: bool,
    can_reject: bool,
    /// An observation's follow-up panel (observations are followed up, not approved).
    obs: Option<super::observations::Panel>,
}

#[derive(Debug, Deserialize, Default)]
pub struct PageQuery {
    done: Option<String>,
    /// The heads a decision was taken on (after approving), or the version a link opened.
    v: Option<String>,
    heads: Option<String>,
}

fn status_key(s: &str) -> &'static str {
    match s {
        "approved" => "approved",
        "rejected" => "rejected",
        "changed_since_approval" => "changed_since_approval",
        _ => "pending",
    }
}

fn role_key(role: &str) -> &'static str {
    match role {
        "supervisor" => "role_supervisor",
        "admin" => "role_admin",
        "foreman" => "role_foreman",
        _ => "rec_other_field",
    }
}

/// Heads as a comma list, sorted (`a,b`), for comparing versions.
fn heads_list(s: &str) -> Vec<String> {
    let mut h: Vec<String> = s.split(',').map(|h| h.trim().to_ascii_lowercase()).filter(|h| !h.is_empty()).collect();
    h.sort();
    h
}

/// Summary, author and device of a change message (`record_schema::change_note`).
fn note_of(message: &str) -> (String, Option<String>, Option<String>) {
    let note = record_schema::change_note::parse(message);
    (note.summary, note.author, note.device)
}

/// `王工 (phone-7f3a)`, `王工`, the device alone, or `fallback`.
fn who(author: Option<String>, device: Option<String>, fallback: &str) -> String {
    match (author, device) {
        (Some(a), Some(d)) => format!("{a} ({d})"),
        (Some(a), None) => a,
        (None, Some(d)) => d,
        (None, None) => fallback.to_string(),
    }
}

/// The newest change of the document (by time, the last listed among equals): when and by whom.
fn latest_change(v: &Value, tz: &str, author: &str, lang: Lang) -> Newer {
    let newest = v["history"]
        .as_array()
        .and_then(|hs| hs.iter().max_by_key(|h| h["time"].as_i64().unwrap_or_default()).cloned())
        .unwrap_or_default();
    let (_, a, d) = note_of(newest["message"].as_str().unwrap_or_default());
    let when = newest["time"].as_i64().filter(|t| *t > 0).map(|t| super::history::when(t, tz, lang));
    let who = who(a, d, author);
    let text = match &when {
        Some(w) => lang.t("rec_submitted_by").replace("{when}", w).replace("{who}", &who),
        None => lang.t("rec_submitted_by_untimed").replace("{who}", &who),
    };
    Newer { text, when: when.unwrap_or_default(), who }
}

/// `GET /web/records/{id}?done=&v=&heads=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let done = q.done.as_deref().and_then(|d| match d {
        "approved" => Some("done_approved"),
        "approved_prev" => Some("rec_done_approved_prev"),
        "approved_last" => Some("rec_done_approved_last"),
        "rejected" => Some("done_rejected"),
        "resolved" => Some("rec_done_resolved"),
        _ => None,
    });
    // The same description the JSON API gives (`GET /v1/records/{id}`), so screen and API agree.
    let mut stored = store::load_record(&state.db, &state.cache, &s.grant.project_id, &id).await?;
    let history = store::history(&state.db, &id).await.map_err(LedgerError::from);
    let described = history.map_err(ApiError::from).and_then(|h| crate::api::approvals::describe(&mut stored.doc, &h));
    state.cache.put(stored);
    let v = described?;
    let reference = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let names = Names::of(&reference);
    let mut c = Chrome::new(Some(&s), &headers, &uri, "queue", "record");
    let lang = c.lang;
    let r = &v["record"];
    let currency: Currency = r["currency"].as_str().and_then(|c| c.parse().ok()).unwrap_or_default();
    let w = Words { lang, currency, names: &names };
    let tz = r["time_zone"].as_str().unwrap_or("UTC").to_string();
    let kind = kind_key(v["kind"].as_str().unwrap_or_default());
    let author = text(&r["author"]);
    let date = text(&r["date"]);
    let site = text(&r["site_id"]);
    let mut facts: Vec<(&'static str, String, String)> =
        vec![("site", names.site(&site), site.clone()), ("author", author.clone(), String::new())];
    match kind {
        "expense" => facts.extend([
            ("amount", w.money(&r["amount"]), String::new()),
            ("category", names.category(r["category"].as_str().unwrap_or_default(), lang), String::new()),
            ("vendor", text(&r["vendor"]), String::new()),
            ("cost_code", code_and_name(names.code(&text(&r["cost_code"]))), String::new()),
            ("note", text(&r["note"]), String::new()),
        ]),
        "progress_report" => {
            let (a, name) = names.activity(&text(&r["activity"]));
            facts.extend([
                ("activity", if name.is_empty() { a.clone() } else { name }, a),
                (
                    "progress",
                    format!(
                        "{}{}",
                        text(&r["value"]),
                        if r["measure"] == "percent" { "%".to_string() } else { format!(" {}", text(&r["unit"])) }
                    ),
                    String::new(),
                ),
                ("caption", text(&r["caption"]), String::new()),
            ])
        }
        "wage_advance" => facts.extend([
            ("rec_adv_worker", text(&r["worker"]["name"]), text(&r["worker"]["worker_id"])),
            ("rec_adv_crew", text(&r["crew"]), String::new()),
            ("amount", w.money(&r["amount"]), String::new()),
            ("rec_adv_reason", text(&r["reason"]), String::new()),
            ("note", text(&r["note"]), String::new()),
        ]),
        "day_log" => facts.extend(day_log_json_facts(r, lang)),
        "observation" => {
            let (a, name) = names.activity(&text(&r["activity"]));
            let category = r["category"].as_str().and_then(record_schema::ObservationCategory::parse);
            let severity = r["severity"].as_str().and_then(record_schema::Severity::parse);
            facts.extend([
                ("obs_title", text(&r["title"]), String::new()),
                (
                    "obs_category",
                    category.map_or(String::new(), |c| lang.t(observation_category_key(c)).into()),
                    String::new(),
                ),
                ("obs_severity", severity.map_or(String::new(), |x| lang.t(severity_key(x)).into()), String::new()),
                ("obs_description", text(&r["description"]), String::new()),
                ("obs_place", text(&r["place"]), String::new()),
                ("activity", if name.is_empty() { a.clone() } else { name }, a),
            ])
        }
        _ => facts.push(("note", text(&r["note"]), String::new())),
    }
    facts.retain(|(_, value, _)| !value.is_empty());
    let raw_lines: Vec<Value> = r["lines"].as_array().cloned().unwrap_or_default();
    let (mut heads_sum, mut days_sum) = (0_i64, Decimal::ZERO);
    let lines: Vec<Line> = raw_lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            heads_sum += l["headcount"].as_i64().unwrap_or_default();
            let wd = Words::worker_days(l);
            days_sum += wd.unwrap_or_default();
            let (act, act_name) = names.activity(&text(&l["activity"]));
            Line {
                no: i + 1,
                label: w.line_no(i as u64 + 1),
                trade: text(&l["trade"]),
                crew: text(&l["crew"]),
                workers: l["workers"]
                    .as_array()
                    .map(|ws| ws.iter().map(|w| text(&w["name"])).collect::<Vec<_>>().join(lang.t("rec_list_sep")))
                    .unwrap_or_default(),
                headcount: text(&l["headcount"]),
                effort: w.effort(&l["effort"], &l["effort_unit"]),
                worker_days: wd.map(Words::quantity).unwrap_or_default(),
                rate: w.line_rate(l),
                cost: w.money(&l["cost"]),
                cost_code: code_and_name(names.code(&text(&l["cost_code"]))),
                activity: if act_name.is_empty() { act } else { act_name },
                note: text(&l["note"]),
            }
        })
        .collect();
    let total = r.get("total").map(|t| w.money(t)).unwrap_or_default();
    let totals =
        Totals { headcount: heads_sum.to_string(), worker_days: Words::quantity(days_sum), amount: total.clone() };
    let receipts = kind == "expense";
    let alt_key = match kind {
        "expense" => "rec_receipt",
        "wage_advance" => "rec_slip",
        _ => "rec_photo",
    };
    let photos = r["photos"]
        .as_array()
        .or_else(|| r["receipts"].as_array())
        .or_else(|| r["slips"].as_array())
        .map(|ps| {
            ps.iter()
                .enumerate()
                .map(|(i, p)| {
                    let loc = &p["location"];
                    let (lat, lon) = (loc["latitude"].as_f64(), loc["longitude"].as_f64());
                    let (place, map) = match (lat, lon) {
                        (Some(lat), Some(lon)) => super::format::place(lat, lon, loc["accuracy_m"].as_f64()),
                        _ => (String::new(), String::new()),
                    };
                    Photo {
                        sha256: text(&p["sha256"]),
                        alt: format!("{} {}", lang.t(alt_key), i + 1),
                        captured: p["captured_at_ms"]
                            .as_i64()
                            .map(|ms| super::history::when(ms, &tz, lang))
                            .unwrap_or_default(),
                        place,
                        map,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let changes = if v["changes_by_line"].is_null() { Vec::new() } else { w.changes(&v["changes_by_line"]) };
    let conflicts: Vec<Conflict> = v["conflicts"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .enumerate()
                .map(|(n, ch)| {
                    let path = text(&ch["field"]);
                    let sources = ch["sources"].as_array().cloned().unwrap_or_default();
                    let choices = ch["values"]
                        .as_array()
                        .map(|vs| {
                            vs.iter()
                                .enumerate()
                                .map(|(index, value)| {
                                    let value = text(value);
                                    // Everyone who entered this value (two phones may agree).
                                    let by: Vec<&Value> = sources.iter().filter(|s| s["value"] == value).collect();
                                    let whos: Vec<String> = by
                                        .iter()
                                        .map(|s| {
                                            who(
                                                s["author"].as_str().map(str::to_string),
                                                s["device"].as_str().map(str::to_string),
                                                lang.t("rec_unknown_author"),
                                            )
                                        })
                                        .collect();
                                    let whens: Vec<String> = by
                                        .iter()
                                        .filter_map(|s| s["time"].as_i64().filter(|t| *t > 0))
                                        .map(|t| super::history::when(t, &tz, lang))
                                        .collect();
                                    Choice {
                                        index,
                                        value: w.conflict_value(&path, &value, &raw_lines),
                                        who: whos.join(lang.t("rec_list_sep")),
                                        when: whens.join(lang.t("rec_list_sep")),
                                        shown: index == 0,
                                    }
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Conflict { n, label: w.conflict_field(&path, &raw_lines), path, choices }
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
                    by: format!(
                        "{} ({})",
                        text(&d["decided_by_name"]),
                        lang.t(role_key(d["decided_by_role"].as_str().unwrap_or_default()))
                    ),
                    when: d["decided_at_ms"].as_i64().map(|ms| super::history::when(ms, &tz, lang)).unwrap_or_default(),
                    comment: text(&d["comment"]),
                    version: short_heads(
                        &d["heads"].as_array().map(|h| h.iter().map(text).collect::<Vec<_>>()).unwrap_or_default(),
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    // The change history in words (when in the site's zone, who on which device, what), newest first.
    let history = super::history::change_log(&v["history"], &tz, lang);
    let older = super::history::omitted(&v["history"]);
    let heads: Vec<String> = v["heads"].as_array().map(|h| h.iter().map(text).collect()).unwrap_or_default();
    let mut sorted = heads.clone();
    sorted.sort();
    let status = status_key(v["approval"]["status"].as_str().unwrap_or_default());
    let voided = r["voided"].get("reason").map(text);
    let latest = latest_change(&v, &tz, &author, lang);
    let newer_after_decision =
        q.v.as_deref()
            .filter(|_| done.is_some())
            .map(heads_list)
            .filter(|decided| !decided.is_empty() && *decided != sorted)
            .map(|_| latest_change(&v, &tz, &author, lang));
    let opened_old = q
        .heads
        .as_deref()
        .map(heads_list)
        .filter(|opened| !opened.is_empty() && *opened != sorted)
        .map(|_| latest_change(&v, &tz, &author, lang));
    // Approved from a page opened before the latest edit: the ledgers hold the version shown then.
    let done = if newer_after_decision.is_some() && done == Some("done_approved") {
        Some("rec_done_approved_shown")
    } else {
        done
    };
    let observation = kind == "observation";
    // The record's place in the approvals list, for previous / next (an observation is in none).
    let (prev, next) =
        if observation { (None, None) } else { nav::neighbours(&state.db, &s.grant.project_id, &date, &id).await? };
    let obs = if observation {
        c.nav = "observations";
        let done = q.done.as_deref().and_then(|d| d.strip_prefix("obs_"));
        super::observations::panel(&state, &s.grant.project_id, &id, r, &tz, lang, done).await?
    } else {
        None
    };
    // An observation is named by what is wrong.
    let named = if observation { text(&r["title"]) } else { lang.t(kind).to_string() };
    let title =
        [named, date.clone(), names.site(&site)].into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" · ");
    let page = RecordPage {
        id: id.clone(),
        kind,
        status,
        version: short_heads(&heads),
        heads: heads.join(","),
        submitted: latest.text,
        title,
        time_zone: tz.clone(),
        facts: facts.into_iter().map(|(k, v, d)| (lang.t(k).to_string(), v, d)).collect(),
        lines,
        totals,
        total,
        photos,
        receipts,
        photos_title: lang.t(match kind {
            "expense" => "rec_receipts",
            "wage_advance" => "rec_slips",
            _ => "photos",
        }),
        changes,
        // A voided record is never approved as a record: its void is confirmed instead (the same
        // decision, which takes it out of the ledgers).
        can_approve: !observation && conflicts.is_empty() && status != "approved",
        can_reject: !observation && status != "approved" && status != "rejected",
        obs,
        conflicts,
        decisions,
        history,
        older,
        voided: voided.unwrap_or_default(),
        done,
        newer_after_decision,
        opened_old,
        prev,
        next,
        c,
    };
    render(&page)
}

fn heads_field(f: &Fields) -> Vec<String> {
    f.get("heads").unwrap_or_default().split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_string).collect()
}

/// The record's current heads, sorted, and its date (for its place in the list).
async fn current(state: &AppState, project: &str, id: &str) -> Result<(Vec<String>, String), WebError> {
    let mut stored = store::load_record(&state.db, &state.cache, project, id).await?;
    let heads = store::heads_hex(&stored.doc.get_heads());
    let date = record_schema::Record::read(&stored.doc).map(|r| r.date().to_string()).unwrap_or_default();
    state.cache.put(stored);
    Ok((heads, date))
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
    let then_next = f.get("then") == Some("next");
    let req = DecideRequest {
        record_id: id.clone(),
        status,
        heads: heads_field(&f),
        comment: f.get("comment").unwrap_or_default().to_string(),
        request_id: None,
    };
    let outcome = store::decide(&state.db, &state.cache, &s.grant, req).await?;
    let decided = outcome.decision.heads.join(",");
    let here = |done: &str| format!("/web/records/{}?done={done}&v={}", urlencode(&id), urlencode(&decided));
    if status == DecisionStatus::Rejected {
        return Ok(Redirect::to(&here("rejected")).into_response());
    }
    // A newer version arrived meanwhile: stay, and say so (the decision stands for the version shown).
    let (heads, date) = current(&state, &s.grant.project_id, &id).await?;
    let mut decided_sorted = outcome.decision.heads.clone();
    decided_sorted.sort();
    if !then_next || heads != decided_sorted {
        return Ok(Redirect::to(&here("approved")).into_response());
    }
    crate::ledger::pending::refresh_index(&state.db, &state.cache, &s.grant.project_id).await?;
    let (_, next) = nav::neighbours(&state.db, &s.grant.project_id, &date, &id).await?;
    Ok(match next {
        Some(n) => Redirect::to(&format!("/web/records/{}?done=approved_prev", urlencode(&n))),
        None => Redirect::to(&here("approved_last")),
    }
    .into_response())
}

/// `POST /web/records/{id}/approve` (csrf, heads, comment, then=next: open the next pending record)
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

/// `POST /web/records/{id}/resolve` (csrf, heads, then per conflicting field `field` (repeated, in
/// order) and `choice-<n>` the index of the value kept for the n-th): settles every chosen field
/// in one change on the version shown. The older single form (`field`, `choice`) still works.
pub async fn resolve(
    s: WebSession,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let lang = Lang::from_headers(&headers);
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let mut chosen: Vec<(String, usize)> = Vec::new();
    for (n, field) in f.all("field").enumerate() {
        let pick = f.get(&format!("choice-{n}")).or_else(|| f.get("choice").filter(|_| n == 0));
        if let Some(p) = pick {
            let index = p.parse().map_err(|_| WebError::BadRequest(lang.t("rec_bad_choice").to_string()))?;
            chosen.push((field.to_string(), index));
        }
    }
    if chosen.is_empty() {
        return Err(WebError::BadRequest(lang.t("rec_choose_one").to_string()));
    }
    resolve::resolve_all(&state.db, &state.cache, &s.grant, &id, &heads_field(&f), &chosen).await?;
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
    let key = crate::blobs::tus::ensure_derived(&state.blobs, &sha256, crate::blobs::tus::Derived::Thumbnail).await?;
    Ok(crate::blobs::tus::serve(&state.blobs, &key, "image/jpeg", &format!("{sha256}-upright-thumbnail")).await?)
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

/// The i18n key of a weather condition (`dl_w_sunny`…).
pub fn weather_key(w: record_schema::WeatherCondition) -> &'static str {
    use record_schema::WeatherCondition as W;
    match w {
        W::Sunny => "dl_w_sunny",
        W::Cloudy => "dl_w_cloudy",
        W::Overcast => "dl_w_overcast",
        W::LightRain => "dl_w_light_rain",
        W::Rain => "dl_w_rain",
        W::HeavyRain => "dl_w_heavy_rain",
        W::Snow => "dl_w_snow",
        W::Fog => "dl_w_fog",
        W::Windy => "dl_w_windy",
        W::Other => "dl_w_other",
    }
}

/// The i18n key of a delay's cause (`dl_c_weather`…).
pub fn delay_cause_key(c: record_schema::DelayCause) -> &'static str {
    use record_schema::DelayCause as C;
    match c {
        C::Weather => "dl_c_weather",
        C::Material => "dl_c_material",
        C::Equipment => "dl_c_equipment",
        C::Labour => "dl_c_labour",
        C::Design => "dl_c_design",
        C::Owner => "dl_c_owner",
        C::Inspection => "dl_c_inspection",
        C::Other => "dl_c_other",
    }
}

/// A day log's facts in words (weather, temperature, notes, visitors, delays), from its parts.
fn day_log_words(
    weather: [Option<record_schema::WeatherCondition>; 2],
    temps: [String; 2],
    notes: String,
    visitors: Vec<String>,
    delays: Vec<String>,
    lang: Lang,
) -> Vec<(&'static str, String)> {
    let w =
        |x: Option<record_schema::WeatherCondition>| x.map_or(String::new(), |x| lang.t(weather_key(x)).to_string());
    let [low, high] = temps;
    let temperature = match (low.is_empty(), high.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!("{low} °C"),
        (true, false) => format!("{high} °C"),
        (false, false) => lang.t("dl_temp_range").replace("{low}", &low).replace("{high}", &high),
    };
    vec![
        ("dl_weather_am", w(weather[0])),
        ("dl_weather_pm", w(weather[1])),
        ("dl_temperature", temperature),
        ("dl_notes", notes),
        ("dl_visitors", visitors.join(lang.t("rec_list_sep"))),
        ("dl_delays", delays.join(lang.t("rec_list_sep"))),
    ]
}

fn visitor_words(name: &str, organisation: &str, purpose: &str, lang: Lang) -> String {
    let extra: Vec<&str> = [organisation, purpose].into_iter().filter(|s| !s.is_empty()).collect();
    if extra.is_empty() {
        name.to_string()
    } else {
        format!(
            "{name}{}{}{}",
            lang.t("rec_paren_open"),
            extra.join(lang.t("rec_clause_sep")),
            lang.t("rec_paren_close")
        )
    }
}

fn delay_words(cause: Option<record_schema::DelayCause>, hours: &str, description: &str, lang: Lang) -> String {
    let cause = cause.map_or(String::new(), |c| lang.t(delay_cause_key(c)).to_string());
    let mut s = format!("{cause} {}", lang.t("dl_hours").replace("{h}", hours));
    if !description.is_empty() {
        s.push_str(&format!("{}{description}{}", lang.t("rec_paren_open"), lang.t("rec_paren_close")));
    }
    s
}

/// A day log's facts on its record page, from the record JSON (`ledger::view`).
fn day_log_json_facts(r: &Value, lang: Lang) -> Vec<(&'static str, String, String)> {
    let weather = |k: &str| r[k].as_str().and_then(record_schema::WeatherCondition::parse);
    let list = |k: &str| r[k].as_array().cloned().unwrap_or_default();
    let visitors = list("visitors")
        .iter()
        .map(|v| visitor_words(&text(&v["name"]), &text(&v["organisation"]), &text(&v["purpose"]), lang))
        .collect();
    let delays = list("delays")
        .iter()
        .map(|d| {
            let cause = d["cause"].as_str().and_then(record_schema::DelayCause::parse);
            delay_words(cause, &text(&d["hours"]), &text(&d["description"]), lang)
        })
        .collect();
    day_log_words(
        [weather("weather_am"), weather("weather_pm")],
        [text(&r["temp_low_c"]), text(&r["temp_high_c"])],
        text(&r["notes"]),
        visitors,
        delays,
        lang,
    )
    .into_iter()
    .map(|(k, v)| (k, v, String::new()))
    .collect()
}

/// A day log's facts on its print page.
pub fn day_log_facts(l: &record_schema::DayLog, lang: Lang) -> Vec<(String, String)> {
    let t = |d: Option<rust_decimal::Decimal>| d.map_or(String::new(), |d| d.normalize().to_string());
    let visitors = l
        .visitors
        .iter()
        .map(|v| {
            visitor_words(&v.name, v.organisation.as_deref().unwrap_or(""), v.purpose.as_deref().unwrap_or(""), lang)
        })
        .collect();
    let delays = l
        .delays
        .iter()
        .map(|d| {
            delay_words(Some(d.cause), &d.hours.normalize().to_string(), d.description.as_deref().unwrap_or(""), lang)
        })
        .collect();
    day_log_words(
        [l.weather_am, l.weather_pm],
        [t(l.temp_low_c), t(l.temp_high_c)],
        String::new(),
        visitors,
        delays,
        lang,
    )
    .into_iter()
    .filter(|(k, v)| !v.is_empty() && *k != "dl_notes")
    .map(|(k, v)| (lang.t(k).to_string(), v))
    .collect()
}

/// The i18n key of an observation's category (`obs_cat_safety`…).
pub fn observation_category_key(c: record_schema::ObservationCategory) -> &'static str {
    use record_schema::ObservationCategory as C;
    match c {
        C::Safety => "obs_cat_safety",
        C::Quality => "obs_cat_quality",
        C::Delay => "obs_cat_delay",
        C::Other => "obs_cat_other",
    }
}

/// The i18n key of an observation's severity (`obs_sev_high`…).
pub fn severity_key(s: record_schema::Severity) -> &'static str {
    use record_schema::Severity as S;
    match s {
        S::Low => "obs_sev_low",
        S::Medium => "obs_sev_medium",
        S::High => "obs_sev_high",
        S::Critical => "obs_sev_critical",
    }
}
