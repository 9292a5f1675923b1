//! Screens of the risk register (issue 22; docs/risks.md): `/web/risks` (the 5×5 heat map, the
//! register with its filters and exports, the new-risk form), `/web/risks/{label}` (a risk, its edit
//! form, close or reopen, its history) and the forms' POST handlers, including the promotion of an
//! observation (`POST /web/risks/promote`). Every reader may look; supervisors and admins change.
//! Also the dashboard's compact panel of open risks ([`Panel`], `templates/risks_panel.html`).
//! Strings in `web/i18n/risks.rs`, style in `static/risks.css`.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::db::Db;
use crate::reports::export::{FileFormat, Words};
use crate::risks::export::{category_key, level_key, status_key, strategy_key};
use crate::risks::store::{self, Input};
use crate::risks::{
    self, Category, Level, LevelCounts, ListFilter, Matrix, RiskError, RiskEvent, RiskRow, Status, StatusFilter,
    Strategy, promote,
};
use crate::state::AppState;
use crate::web::i18n::Lang;
use crate::web::session::WebSession;
use crate::web::svg::esc;
use crate::web::{Chrome, Fields, WebError, render};

/// The list's query: filters, and `done` after a form was saved.
#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    pub status: Option<String>,
    pub level: Option<String>,
    pub probability: Option<String>,
    pub impact: Option<String>,
    pub format: Option<String>,
    pub done: Option<String>,
}

/// A risk's form as typed (kept on a refusal).
#[derive(Debug, Clone, Default)]
pub struct RiskForm {
    pub title: String,
    pub description: String,
    pub category: String,
    pub probability: String,
    pub impact: String,
    pub owner: String,
    pub strategy: String,
    pub response: String,
    pub due: String,
    pub status: String,
}

impl RiskForm {
    fn of(r: &RiskRow) -> RiskForm {
        RiskForm {
            title: r.title.clone(),
            description: r.description.clone().unwrap_or_default(),
            category: r.category.as_str().into(),
            probability: r.probability.to_string(),
            impact: r.impact.to_string(),
            owner: r.owner.clone().unwrap_or_default(),
            strategy: r.strategy.map(|s| s.as_str().to_string()).unwrap_or_default(),
            response: r.response.clone().unwrap_or_default(),
            due: r.due.map(|d| d.to_string()).unwrap_or_default(),
            status: r.status.as_str().into(),
        }
    }

    fn blank() -> RiskForm {
        RiskForm { category: "other".into(), probability: "3".into(), impact: "3".into(), ..RiskForm::default() }
    }

    fn from_fields(f: &Fields) -> RiskForm {
        let g = |k: &str| f.get(k).unwrap_or_default().to_string();
        RiskForm {
            title: g("title"),
            description: g("description"),
            category: g("category"),
            probability: g("probability"),
            impact: g("impact"),
            owner: g("owner"),
            strategy: g("strategy"),
            response: g("response"),
            due: g("due"),
            status: g("status"),
        }
    }

    /// The fields the form posted, as the store reads them (a field not on the form is absent).
    fn input(f: &Fields) -> Input {
        store::FIELDS.iter().filter_map(|k| f.get(k).map(|v| (k.to_string(), Some(v.to_string())))).collect()
    }
}

/// One choice of a select: value, words, chosen.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub on: bool,
}

fn choices<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    key: fn(T) -> &'static str,
    lang: Lang,
    on: &str,
) -> Vec<Choice> {
    all.iter().map(|&x| Choice { value: value(x), label: lang.t(key(x)), on: value(x) == on }).collect()
}

/// The choices of the forms' selects, in the page language.
pub struct Options {
    pub categories: Vec<Choice>,
    pub strategies: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub scale: Vec<i64>,
}

impl Options {
    fn new(lang: Lang, form: &RiskForm) -> Options {
        Options {
            categories: choices(Category::ALL, Category::as_str, category_key, lang, &form.category),
            strategies: choices(Strategy::ALL, Strategy::as_str, strategy_key, lang, &form.strategy),
            // A form edits open and mitigating; closing is its own button.
            statuses: choices(&[Status::Open, Status::Mitigating], Status::as_str, status_key, lang, &form.status),
            scale: vec![1, 2, 3, 4, 5],
        }
    }
}

/// A refusal shown at its form: headline key, the field in words, the reason.
#[derive(Debug, Clone)]
pub struct Problem {
    pub headline: &'static str,
    pub field: String,
    pub message: String,
}

fn field_label(field: &str, lang: Lang) -> String {
    let key = match field {
        "title" => "risk_title",
        "description" => "risk_description",
        "category" => "risk_category",
        "probability" => "risk_probability",
        "impact" => "risk_impact",
        "owner" => "risk_owner",
        "strategy" => "risk_strategy",
        "response" => "risk_response",
        "due" => "risk_due",
        "status" => "risk_status",
        "note" => "risk_note",
        _ => return field.to_string(),
    };
    lang.t(key).to_string()
}

/// The status and words of a refusal; `None` for a failure that is not the input's.
fn problem_of(e: &RiskError, lang: Lang) -> Option<(StatusCode, Problem)> {
    let one = |status, headline, field: &str, message: &str| {
        Some((status, Problem { headline, field: field_label(field, lang), message: message.to_string() }))
    };
    match e {
        RiskError::BadInput { field, message } => one(StatusCode::BAD_REQUEST, "risk_not_saved", field, message),
        RiskError::Invalid { field, message } => {
            one(StatusCode::UNPROCESSABLE_ENTITY, "risk_not_saved", field, message)
        }
        RiskError::NotFound { field, message } => one(StatusCode::NOT_FOUND, "risk_not_found", field, message),
        RiskError::Conflict { field, message } => one(StatusCode::CONFLICT, "risk_conflict", field, message),
        RiskError::NotMarked { .. } | RiskError::Observation(_) | RiskError::Sql(_) => None,
    }
}

fn web_error(e: RiskError) -> WebError {
    WebError::Api(e.into())
}

/// 403 unless the session may change risks (supervisors and admins).
fn require_acting(s: &WebSession, lang: Lang) -> Result<(), WebError> {
    if s.decides() { Ok(()) } else { Err(WebError::Forbidden(lang.t("risk_read_only").to_string())) }
}

/// A level's tag: its class and words.
pub struct Tag {
    pub class: &'static str,
    pub label: &'static str,
}

fn tag(l: Level, lang: Lang) -> Tag {
    Tag { class: l.as_str(), label: lang.t(level_key(l)) }
}

/// One row of the register.
pub struct Line {
    pub label: String,
    pub title: String,
    pub category: &'static str,
    pub probability: i64,
    pub impact: i64,
    pub score: i64,
    pub level: Tag,
    pub owner: String,
    pub due: String,
    pub overdue: bool,
    pub status: &'static str,
    pub status_class: &'static str,
    pub source: String,
}

fn line(r: &RiskRow, today: NaiveDate, lang: Lang) -> Line {
    Line {
        label: r.label.clone(),
        title: r.title.clone(),
        category: lang.t(category_key(r.category)),
        probability: r.probability,
        impact: r.impact,
        score: r.score,
        level: tag(r.level, lang),
        owner: r.owner.clone().unwrap_or_default(),
        due: r.due.map(|d| d.to_string()).unwrap_or_default(),
        overdue: r.overdue(today),
        status: lang.t(status_key(r.status)),
        status_class: r.status.as_str(),
        source: r.source_record_id.clone().unwrap_or_default(),
    }
}

/// The 5×5 heat map as SVG: impact on x (1 → 5), probability on y (5 at the top), each cell coloured
/// by its score's level and showing its count, linking to the register filtered to that cell. A
/// fixed viewBox scaled to the box's width (at most 30rem in the stylesheet): at 390 px it draws
/// about one unit per pixel, so its 12–20 px text stays readable.
pub fn heat_map(m: &Matrix, chosen: Option<(i64, i64)>, status: &str, lang: Lang) -> String {
    const LEFT: f64 = 46.0;
    const TOP: f64 = 6.0;
    const CW: f64 = 60.0;
    const CH: f64 = 52.0;
    let width = LEFT + 5.0 * CW + 6.0;
    let height = TOP + 5.0 * CH + 44.0;
    let title = lang.t("risk_matrix");
    let mut s = format!(
        r#"<svg class="risk-map" id="risk-map" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for p in (1..=5i64).rev() {
        let y = TOP + (5 - p) as f64 * CH;
        s.push_str(&format!(
            r#"<text class="axis-num" x="{x}" y="{ty}" text-anchor="middle">{p}</text>"#,
            x = LEFT - 12.0,
            ty = y + CH / 2.0 + 5.0
        ));
        for i in 1..=5i64 {
            let x = LEFT + (i - 1) as f64 * CW;
            let n = m.count(p, i);
            let level = Level::of(p * i);
            let on = chosen == Some((p, i));
            let tip = lang
                .t("risk_matrix_cell")
                .replace("{p}", &p.to_string())
                .replace("{i}", &i.to_string())
                .replace("{n}", &n.to_string());
            s.push_str(&format!(
                r##"<a href="/web/risks?probability={p}&amp;impact={i}&amp;status={st}#register" class="cell lvl-{lv}{on}{zero}" id="cell-{p}-{i}" data-count="{n}" data-level="{lv}"><title>{tip} · {lvw}</title><rect x="{rx}" y="{ry}" width="{w}" height="{h}" rx="3"/><text class="score" x="{sx}" y="{sy}">{score}</text><text class="count" x="{cx}" y="{cy}" text-anchor="middle">{count}</text></a>"##,
                st = esc(status),
                lv = level.as_str(),
                on = if on { " on" } else { "" },
                zero = if n == 0 { " zero" } else { "" },
                tip = esc(&tip),
                lvw = esc(lang.t(level_key(level))),
                rx = x + 1.5,
                ry = y + 1.5,
                w = CW - 3.0,
                h = CH - 3.0,
                sx = x + 6.0,
                sy = y + 15.0,
                score = p * i,
                cx = x + CW / 2.0,
                cy = y + CH / 2.0 + 9.0,
                count = if n == 0 { String::from("·") } else { n.to_string() },
            ));
        }
    }
    let bottom = TOP + 5.0 * CH;
    for i in 1..=5i64 {
        s.push_str(&format!(
            r#"<text class="axis-num" x="{x}" y="{y}" text-anchor="middle">{i}</text>"#,
            x = LEFT + (i - 1) as f64 * CW + CW / 2.0,
            y = bottom + 16.0
        ));
    }
    s.push_str(&format!(
        r#"<text class="axis-name" x="{x}" y="{y}" text-anchor="middle">{t} →</text>"#,
        x = LEFT + 2.5 * CW,
        y = bottom + 36.0,
        t = esc(lang.t("risk_impact"))
    ));
    s.push_str(&format!(
        r#"<text class="axis-name" x="0" y="0" text-anchor="middle" transform="translate(14 {y}) rotate(-90)">{t} →</text>"#,
        y = TOP + 2.5 * CH,
        t = esc(lang.t("risk_probability"))
    ));
    s.push_str("</svg>");
    s
}

/// A filter choice of the list: value, words, chosen.
pub struct FilterChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "risks.html")]
struct ListPage {
    c: Chrome,
    map: String,
    /// The open-risks panel beside the map (the dashboard's partial).
    risks: Panel,
    counts: LevelCounts,
    lines: Vec<Line>,
    statuses: Vec<FilterChoice>,
    levels: Vec<FilterChoice>,
    /// The filters as a query string (for the exports), without `format`.
    query: String,
    cell: String,
    filtered: bool,
    acting: bool,
    form: RiskForm,
    opts: Options,
    problem: Option<Problem>,
    done: String,
}

fn filter_of(q: &Asked) -> Result<ListFilter, RiskError> {
    // The screen lists what is not closed unless asked otherwise.
    let status = q.status.as_deref().or(Some("active"));
    ListFilter::parse(status, q.level.as_deref(), q.probability.as_deref(), q.impact.as_deref())
}

fn query_of(f: &ListFilter) -> String {
    let mut parts = vec![format!("status={}", f.status.map_or("all", StatusFilter::as_str))];
    if let Some(l) = f.level {
        parts.push(format!("level={}", l.as_str()));
    }
    if let Some(p) = f.probability {
        parts.push(format!("probability={p}"));
    }
    if let Some(i) = f.impact {
        parts.push(format!("impact={i}"));
    }
    parts.join("&")
}

async fn today(db: &Db, project: &str) -> Result<NaiveDate, WebError> {
    let set = crate::reference::store::load(db, project).await.map_err(WebError::internal)?;
    Ok(crate::reports::today(&set))
}

/// `GET /web/risks?status=&level=&probability=&impact=`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let c = Chrome::new(Some(&s), &headers, &uri, "risks", "risk_title_page");
    let filter = filter_of(&q).map_err(web_error)?;
    let done = q.done.filter(|d| ["created", "promoted"].contains(&d.as_str())).unwrap_or_default();
    let page = build_list(&state, &s, c, &filter, RiskForm::blank(), None, done).await?;
    Ok(render(&page)?.into_response())
}

async fn build_list(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    filter: &ListFilter,
    form: RiskForm,
    problem: Option<Problem>,
    done: String,
) -> Result<ListPage, WebError> {
    let lang = c.lang;
    let project = &s.grant.project_id;
    let rows = risks::list(&state.db, project, filter).await.map_err(web_error)?;
    let today = today(&state.db, project).await?;
    // The map shows the risks of the chosen status (by default: not closed), whatever the cell or level.
    let map_filter = ListFilter { status: filter.status, ..ListFilter::default() };
    let all = risks::list(&state.db, project, &map_filter).await.map_err(web_error)?;
    let status_text = filter.status.map_or("all", StatusFilter::as_str);
    let chosen = filter.probability.zip(filter.impact);
    let map = heat_map(&risks::matrix_of(&all), chosen, status_text, lang);
    let on_status = status_text;
    let statuses = [
        ("active", "risk_status_active"),
        ("open", "risk_status_open"),
        ("mitigating", "risk_status_mitigating"),
        ("closed", "risk_status_closed"),
        ("all", "risk_all"),
    ]
    .into_iter()
    .map(|(v, k)| FilterChoice { value: v, label: lang.t(k), on: v == on_status })
    .collect();
    let mut levels = vec![FilterChoice { value: "", label: lang.t("risk_all"), on: filter.level.is_none() }];
    levels.extend(Level::ALL.iter().map(|&l| FilterChoice {
        value: l.as_str(),
        label: lang.t(level_key(l)),
        on: filter.level == Some(l),
    }));
    let cell = match chosen {
        Some((p, i)) => lang.t("risk_cell_filter").replace("{p}", &p.to_string()).replace("{i}", &i.to_string()),
        None => String::new(),
    };
    let opts = Options::new(lang, &form);
    let risks = Panel::load(&state.db, project, lang).await?;
    Ok(ListPage {
        map,
        risks,
        counts: LevelCounts::of(&all),
        lines: rows.iter().map(|r| line(r, today, lang)).collect(),
        statuses,
        levels,
        query: query_of(filter),
        cell,
        filtered: filter.level.is_some() || chosen.is_some() || filter.status != Some(StatusFilter::Active),
        acting: s.decides(),
        form,
        opts,
        problem,
        done,
        c,
    })
}

/// `GET /web/risks/export?format=csv|xlsx&status=&level=&probability=&impact=`: the register as the
/// list shows it, in the page language.
pub async fn export(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Response, WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let lang = Lang::from_headers(&headers);
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" => FileFormat::Csv,
        "xlsx" => FileFormat::Xlsx,
        other => return Err(WebError::BadRequest(format!("format {other:?} is not one of csv, xlsx"))),
    };
    let filter = filter_of(&q).map_err(web_error)?;
    let project = &s.grant.project_id;
    let rows = risks::list(&state.db, project, &filter).await.map_err(web_error)?;
    let set = crate::reference::store::load(&state.db, project).await.map_err(WebError::internal)?;
    let today = crate::reports::today(&set);
    let words = Words::Lang(lang);
    let table = risks::export::table(&rows, words, &set.project.name, today);
    let name = risks::export::file_name(words, &set.project.name, project, today);
    Ok(crate::reports::export::download(&name, format, &table)?)
}

/// `POST /web/risks` (csrf): a new risk; to its page, or the list again with the refusal at the form.
pub async fn create(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "risks", "risk_title_page");
    require_acting(&s, c.lang)?;
    let input = RiskForm::input(&f);
    match store::create(&state.db, &s.grant.project_id, &input, &s.grant.device_name).await {
        Ok(r) => Ok(Redirect::to(&format!("/web/risks/{}?done=created", r.label)).into_response()),
        Err(e) => {
            let Some((status, p)) = problem_of(&e, c.lang) else { return Err(web_error(e)) };
            let filter = ListFilter { status: Some(StatusFilter::Active), ..ListFilter::default() };
            let page = build_list(&state, &s, c, &filter, RiskForm::from_fields(&f), Some(p), String::new()).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// `POST /web/risks/promote` (csrf) with `record_id` (and optional `probability`, `impact`, `owner`,
/// `due`): the observation raised as a risk; to the risk's page. Refusals (promoted before: 409
/// naming the risk) answer on the error page.
pub async fn promote(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    require_acting(&s, Lang::from_headers(&headers))?;
    let id = f.get("record_id").unwrap_or_default().trim().to_string();
    if id.is_empty() {
        return Err(web_error(RiskError::bad("record_id", "is required")));
    }
    let given: Input =
        promote::FIELDS.iter().filter_map(|k| f.get(k).map(|v| (k.to_string(), Some(v.to_string())))).collect();
    let r = promote::promote(&state.db, &state.cache, &s.grant.project_id, &id, &given, &s.grant.device_name)
        .await
        .map_err(web_error)?;
    Ok(Redirect::to(&format!("/web/risks/{}?done=promoted", r.label)).into_response())
}

/// One line of a risk's history, in words.
pub struct HistoryLine {
    pub when: String,
    pub who: String,
    pub action: &'static str,
    pub field: String,
    pub from: String,
    pub to: String,
    pub note: String,
    /// A promotion's source observation (its record page).
    pub source: String,
}

fn value_words(field: Option<&str>, v: Option<&str>, lang: Lang) -> String {
    let Some(v) = v else { return lang.t("risk_empty_value").to_string() };
    let key = match field {
        Some("category") => Category::parse(v).map(category_key),
        Some("status") => Status::parse(v).map(status_key),
        Some("strategy") => Strategy::parse(v).map(strategy_key),
        _ => None,
    };
    key.map_or_else(|| v.to_string(), |k| lang.t(k).to_string())
}

fn history(events: &[RiskEvent], tz: &str, lang: Lang) -> Vec<HistoryLine> {
    events
        .iter()
        .rev()
        .map(|e| {
            let action = match e.action.as_str() {
                "created" => "risk_ev_created",
                "promoted" => "risk_ev_promoted",
                "closed" => "risk_ev_closed",
                "reopened" => "risk_ev_reopened",
                _ => "risk_ev_edited",
            };
            let changed = e.field.is_some();
            HistoryLine {
                when: crate::web::format::instant(e.at_ms, tz, lang),
                who: e.by.clone(),
                action: lang.t(action),
                field: e.field.as_deref().map(|f| field_label(f, lang)).unwrap_or_default(),
                from: if changed { value_words(e.field.as_deref(), e.from.as_deref(), lang) } else { String::new() },
                to: if changed { value_words(e.field.as_deref(), e.to.as_deref(), lang) } else { String::new() },
                note: e.note.clone().unwrap_or_default(),
                source: if e.action == "promoted" { e.to.clone().unwrap_or_default() } else { String::new() },
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "risks_detail.html")]
struct DetailPage {
    c: Chrome,
    r: Line,
    description: String,
    strategy: String,
    response: String,
    created_by: String,
    updated: String,
    /// The source observation's title (its id when it cannot be read).
    source_title: String,
    closed: bool,
    acting: bool,
    form: RiskForm,
    opts: Options,
    history: Vec<HistoryLine>,
    problem: Option<Problem>,
    /// Which form the problem belongs to: `edit` or `status`.
    problem_at: String,
    done: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DetailAsked {
    pub done: Option<String>,
}

/// `GET /web/risks/{label}`
pub async fn detail(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(label): Path<String>,
    q: Result<Query<DetailAsked>, QueryRejection>,
) -> Result<Response, WebError> {
    let done = q.ok().and_then(|Query(q)| q.done).unwrap_or_default();
    let done = if ["created", "promoted", "saved", "closed", "reopened"].contains(&done.as_str()) {
        done
    } else {
        String::new()
    };
    let c = Chrome::new(Some(&s), &headers, &uri, "risks", "risk_title_page");
    let r = risks::by_label(&state.db, &s.grant.project_id, &label).await.map_err(web_error)?;
    let page = build_detail(&state, &s, c, r, None, None, done).await?;
    Ok(render(&page)?.into_response())
}

async fn build_detail(
    state: &AppState,
    s: &WebSession,
    mut c: Chrome,
    r: RiskRow,
    form: Option<RiskForm>,
    problem: Option<(Problem, &str)>,
    done: String,
) -> Result<DetailPage, WebError> {
    let lang = c.lang;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let today = crate::reports::today(&set);
    let tz = set.sites.first().map_or("UTC", |x| x.time_zone.as_str()).to_string();
    let events = risks::events(&state.db, &s.grant.project_id, r.number).await.map_err(web_error)?;
    c.title = format!("{} {}", r.label, r.title);
    let form = form.unwrap_or_else(|| RiskForm::of(&r));
    let opts = Options::new(lang, &form);
    let source_title = match &r.source_record_id {
        Some(id) => crate::observations::get(&state.db, &s.grant.project_id, id)
            .await
            .ok()
            .flatten()
            .map_or_else(|| id.clone(), |o| format!("{} · {}", o.title, o.date)),
        None => String::new(),
    };
    let (problem, problem_at) = match problem {
        Some((p, at)) => (Some(p), at.to_string()),
        None => (None, String::new()),
    };
    Ok(DetailPage {
        r: line(&r, today, lang),
        description: r.description.clone().unwrap_or_default(),
        strategy: r.strategy.map(|x| lang.t(strategy_key(x)).to_string()).unwrap_or_default(),
        response: r.response.clone().unwrap_or_default(),
        created_by: r.created_by.clone(),
        updated: crate::web::format::instant(r.updated_at_ms, &tz, lang),
        source_title,
        closed: r.status == Status::Closed,
        acting: s.decides(),
        form,
        opts,
        history: history(&events, &tz, lang),
        problem,
        problem_at,
        done,
        c,
    })
}

/// `POST /web/risks/{label}` (csrf): the edit form; every changed field recorded.
pub async fn save(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(label): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "risks", "risk_title_page");
    require_acting(&s, c.lang)?;
    let r = risks::by_label(&state.db, &s.grant.project_id, &label).await.map_err(web_error)?;
    let input = RiskForm::input(&f);
    match store::edit(&state.db, &s.grant.project_id, r.number, &input, &s.grant.device_name).await {
        Ok(r) => Ok(Redirect::to(&format!("/web/risks/{}?done=saved", r.label)).into_response()),
        Err(e) => {
            let Some((status, p)) = problem_of(&e, c.lang) else { return Err(web_error(e)) };
            let page =
                build_detail(&state, &s, c, r, Some(RiskForm::from_fields(&f)), Some((p, "edit")), String::new())
                    .await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

async fn set_status(
    s: WebSession,
    state: AppState,
    headers: HeaderMap,
    uri: Uri,
    label: String,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
    closing: bool,
) -> Result<Response, WebError> {
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "risks", "risk_title_page");
    require_acting(&s, c.lang)?;
    let r = risks::by_label(&state.db, &s.grant.project_id, &label).await.map_err(web_error)?;
    let note = f.get("note");
    let (db, p, by) = (&state.db, &s.grant.project_id, &s.grant.device_name);
    let done = if closing {
        store::close(db, p, r.number, note, by).await
    } else {
        store::reopen(db, p, r.number, note, by).await
    };
    match done {
        Ok(r) => {
            let word = if closing { "closed" } else { "reopened" };
            Ok(Redirect::to(&format!("/web/risks/{}?done={word}", r.label)).into_response())
        }
        Err(e) => {
            let Some((status, p)) = problem_of(&e, c.lang) else { return Err(web_error(e)) };
            let page = build_detail(&state, &s, c, r, None, Some((p, "status")), String::new()).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// `POST /web/risks/{label}/close` (csrf) with an optional `note`.
pub async fn close(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(label): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    set_status(s, state, headers, uri, label, form, true).await
}

/// `POST /web/risks/{label}/reopen` (csrf) with an optional `note`.
pub async fn reopen(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Path(label): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    set_status(s, state, headers, uri, label, form, false).await
}

/// The dashboard's compact panel of open risks: counts by level and the five worst, each linking to
/// its page. Embed it in a page's template struct as a field named `risks` and
/// `{% include "risks_panel.html" %}` where it should show (the partial reads `risks` and `c`).
pub struct Panel {
    pub counts: LevelCounts,
    pub worst: Vec<Line>,
}

/// How many of the worst open risks the panel lists.
pub const PANEL_WORST: i64 = 5;

impl Panel {
    /// The panel of `project` in `lang` (overdue marked as of the project's today).
    pub async fn load(db: &Db, project: &str, lang: Lang) -> Result<Panel, WebError> {
        let filter = ListFilter { status: Some(StatusFilter::Active), ..ListFilter::default() };
        let open = risks::list(db, project, &filter).await.map_err(web_error)?;
        let worst = risks::open_risks(db, project, PANEL_WORST).await.map_err(web_error)?;
        let today = today(db, project).await?;
        Ok(Panel { counts: LevelCounts::of(&open), worst: worst.iter().map(|r| line(r, today, lang)).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_map_cells_link_and_count() {
        let mut m = Matrix::default();
        m.cells[4][3] = 2; // p 5, i 4
        let svg = heat_map(&m, Some((5, 4)), "active", Lang::En);
        assert!(svg.contains(r#"id="cell-5-4""#));
        assert!(svg.contains(r#"data-count="2""#));
        assert!(svg.contains("probability=5&amp;impact=4&amp;status=active"));
        assert!(svg.contains("lvl-critical on"));
        assert_eq!(svg.matches("<a ").count(), 25);
    }
}
