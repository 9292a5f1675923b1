//! The day-labour summary (点工汇总) over the same report code as `/v1/reports/labour`, with its
//! CSV and XLSX exports for this session.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Response};

use super::dashboards::query;
use super::format::{grouped, money_code};
use super::session::WebSession;
use super::{Chrome, WebError, render, urlencode};
use crate::reports::query::ReportQuery;
use crate::reports::{export, labour};
use crate::state::AppState;

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
