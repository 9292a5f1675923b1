//! The office's dashboards over the same report code as `/v1/reports/*`: budget vs actual per cost
//! code (variance and CPI highlighted, SVG bars), the schedule with earned value (SVG S-curve), and
//! the day-labour summary with CSV and XLSX exports for this session.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Response};
use rust_decimal::Decimal;

use super::format::{grouped, money_code, percent, ratio};
use super::i18n::Lang;
use super::session::WebSession;
use super::svg::{self, BudgetBar};
use super::{Chrome, WebError, render, urlencode};
use crate::reports::query::ReportQuery;
use crate::reports::{cost, export, labour, schedule, today};
use crate::state::AppState;

fn query(q: Result<Query<ReportQuery>, QueryRejection>) -> Result<ReportQuery, WebError> {
    q.map(|Query(q)| q).map_err(|e| WebError::BadRequest(e.body_text()))
}

/// "bad" below 1 (over cost or behind), "good" from 1.
fn index_class(r: Option<Decimal>) -> &'static str {
    match r {
        Some(r) if r < Decimal::ONE => "bad",
        Some(_) => "good",
        None => "",
    }
}

fn sign_class(d: Decimal) -> &'static str {
    if d < Decimal::ZERO { "bad" } else { "" }
}

pub struct CostLine {
    pub depth: usize,
    pub code: String,
    pub name: String,
    pub in_reference: bool,
    pub budget: String,
    pub actual: String,
    pub variance: String,
    pub variance_class: &'static str,
    pub earned: String,
    pub cpi: String,
    pub cpi_class: &'static str,
    pub spent: String,
}

#[derive(Template)]
#[template(path = "cost.html")]
struct CostPage {
    c: Chrome,
    from: String,
    to: String,
    /// The query of the exports (the page's own filters).
    export_query: String,
    lines: Vec<CostLine>,
    totals: CostLine,
    others: Vec<String>,
    chart: String,
}

fn cost_line(r: &cost::CostRow, currency: &str, lang: Lang) -> CostLine {
    CostLine {
        depth: r.depth,
        code: r.code.clone(),
        name: r.name.clone(),
        in_reference: r.in_reference,
        budget: money_code(r.budget, currency, lang),
        actual: money_code(r.actual, currency, lang),
        variance: money_code(r.variance, currency, lang),
        variance_class: sign_class(r.variance),
        earned: money_code(r.earned, currency, lang),
        cpi: ratio(r.cpi),
        cpi_class: index_class(r.cpi),
        spent: percent(r.spent_percent),
    }
}

/// `GET /web/cost?from=&to=`
pub async fn cost(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let q = query(q)?;
    let range = q.range()?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let report = cost::report(&state.db, &set, range).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "cost", "cost_title");
    let lang = c.lang;
    let cur = report.currency;
    // The chart shows the two top levels; deeper codes are in the table.
    let bars: Vec<BudgetBar> = report
        .codes
        .iter()
        .filter(|r| r.depth <= 1)
        .take(40)
        .map(|r| BudgetBar {
            label: format!("{}{} {}", "  ".repeat(r.depth), r.code, r.name),
            budget: r.budget,
            actual: r.actual,
            caption: money_code(r.actual, cur, lang),
        })
        .collect();
    let (from_text, to_text) =
        (range.from.map(|d| d.to_string()).unwrap_or_default(), range.to.map(|d| d.to_string()).unwrap_or_default());
    let page = CostPage {
        export_query: format!("from={}&to={}", urlencode(&from_text), urlencode(&to_text)),
        chart: svg::budget_bars(&bars, lang.t("cost_title")),
        from: range.from.map(|d| d.to_string()).unwrap_or_default(),
        to: range.to.map(|d| d.to_string()).unwrap_or_default(),
        lines: report.codes.iter().map(|r| cost_line(r, cur, lang)).collect(),
        totals: cost_line(&report.totals, cur, lang),
        others: report.other_currencies.iter().map(|o| money_code(o.actual, &o.currency, lang)).collect(),
        c,
    };
    render(&page)
}

pub struct ActivityLine {
    pub id: String,
    pub name: String,
    pub window: String,
    pub bac: String,
    pub planned: String,
    pub actual: String,
    pub behind: bool,
    pub pv: String,
    pub ev: String,
    pub ac: String,
    pub sv: String,
    pub sv_class: &'static str,
    pub spi: String,
    pub spi_class: &'static str,
    pub cpi: String,
    pub cpi_class: &'static str,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    c: Chrome,
    at: String,
    lines: Vec<ActivityLine>,
    totals: ActivityLine,
    chart: String,
    has_curve: bool,
}

/// `GET /web/schedule?at=`
pub async fn schedule(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let q = query(q)?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let at = q.at()?.unwrap_or_else(|| today(&set));
    let report = schedule::report(&state.db, &set, at).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "schedule", "schedule_title");
    let lang = c.lang;
    let cur = report.currency;
    let m = |d: Decimal| money_code(d, cur, lang);
    let lines = report
        .activities
        .iter()
        .map(|a| ActivityLine {
            id: a.id.clone(),
            name: a.name.clone(),
            window: format!("{} – {}", a.planned_start, a.planned_finish),
            bac: m(a.budget_at_completion),
            planned: percent(Some(a.planned_percent)),
            actual: percent(a.actual_percent),
            behind: a.actual_percent.unwrap_or_default() < a.planned_percent,
            pv: m(a.pv),
            ev: m(a.ev),
            ac: m(a.ac),
            sv: m(a.sv),
            sv_class: sign_class(a.sv),
            spi: ratio(a.spi),
            spi_class: index_class(a.spi),
            cpi: ratio(a.cpi),
            cpi_class: index_class(a.cpi),
        })
        .collect();
    let t = &report.totals;
    let totals = ActivityLine {
        id: String::new(),
        name: lang.t("total").into(),
        window: String::new(),
        bac: m(t.budget_at_completion),
        planned: String::new(),
        actual: String::new(),
        behind: false,
        pv: m(t.pv),
        ev: m(t.ev),
        ac: m(t.ac),
        sv: m(t.sv),
        sv_class: sign_class(t.sv),
        spi: ratio(t.spi),
        spi_class: index_class(t.spi),
        cpi: ratio(t.cpi),
        cpi_class: index_class(t.cpi),
    };
    let points: Vec<svg::CurvePoint> =
        report.s_curve.iter().map(|p| svg::CurvePoint { date: p.date, pv: p.pv, ev: p.ev, ac: p.ac }).collect();
    let max = points.iter().flat_map(|p| [Some(p.pv), p.ev, p.ac]).flatten().max().unwrap_or_default();
    let page = SchedulePage {
        has_curve: !points.is_empty(),
        chart: svg::s_curve(&points, lang.t("s_curve"), &m(max)),
        at: at.to_string(),
        lines,
        totals,
        c,
    };
    render(&page)
}

pub struct LabourLine {
    pub period: String,
    pub keys: Vec<String>,
    pub headcount: i64,
    pub headcount_days: String,
    pub person_hours: String,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "labour.html")]
struct LabourPage {
    c: Chrome,
    from: String,
    to: String,
    period: String,
    by: Vec<&'static str>,
    by_text: String,
    lines: Vec<LabourLine>,
    totals: Vec<LabourLine>,
    /// The query of the exports (the page's own filters).
    export_query: String,
}

/// `GET /web/labour?from=&to=&period=&by=`
pub async fn labour(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let q = query(q)?;
    let p = q.labour()?;
    let summary = labour::summary(&state.db, &s.grant.project_id, p.range, p.period, &p.by).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "labour", "labour_title");
    let lang = c.lang;
    let line = |r: &labour::LabourRow| LabourLine {
        period: r.period.map_or_else(|| lang.t("total").to_string(), |d| d.to_string()),
        keys: r.keys.iter().map(|k| k.clone().unwrap_or_default()).collect(),
        headcount: r.headcount,
        headcount_days: grouped(r.headcount_days.normalize()),
        person_hours: grouped(r.person_hours.normalize()),
        cost: money_code(r.cost, &r.currency, lang),
    };
    let from = p.range.from.map(|d| d.to_string()).unwrap_or_default();
    let to = p.range.to.map(|d| d.to_string()).unwrap_or_default();
    let by_text = p.by.join(",");
    let export_query = format!(
        "from={}&to={}&period={}&by={}",
        urlencode(&from),
        urlencode(&to),
        urlencode(&p.period_text),
        urlencode(&by_text)
    );
    let page = LabourPage {
        lines: summary.rows.iter().map(line).collect(),
        totals: summary.totals.iter().map(line).collect(),
        from,
        to,
        period: p.period_text,
        by: p.by,
        by_text,
        export_query,
        c,
    };
    render(&page)
}

/// `GET /web/labour/export?format=csv|xlsx&from=&to=&period=&by=`: the same file as
/// `/v1/reports/labour?format=`, for a signed-in browser.
pub async fn labour_export(
    s: WebSession,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query(q)?;
    let p = q.labour()?;
    let summary = labour::summary(&state.db, &s.grant.project_id, p.range, p.period, &p.by).await?;
    Ok(export::download(&format!("labour-{}", s.grant.project_id), q.file_format()?, &summary.table())?)
}

/// `GET /web/cost/export?format=csv|xlsx&from=&to=`: as `/v1/reports/cost?format=`.
pub async fn cost_export(
    s: WebSession,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query(q)?;
    let range = q.range()?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let report = cost::report(&state.db, &set, range).await?;
    Ok(export::download(&format!("cost-{}", s.grant.project_id), q.file_format()?, &report.table())?)
}

/// `GET /web/schedule/export?format=csv|xlsx&at=`: as `/v1/reports/schedule?format=`.
pub async fn schedule_export(
    s: WebSession,
    State(state): State<AppState>,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query(q)?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let at = q.at()?.unwrap_or_else(|| today(&set));
    let report = schedule::report(&state.db, &set, at).await?;
    Ok(export::download(&format!("schedule-{}-{at}", s.grant.project_id), q.file_format()?, &report.table())?)
}
