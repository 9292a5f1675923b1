//! Screens of the portfolio (issue 22): `GET /web/portfolio`, a person's projects worst first
//! (`reports::portfolio`: CPI, SPI(t), SV(t) in days, EAC against budget, forecast finish against
//! planned, open high risks, wage arrears), each in words a site manager reads, each project a
//! button that switches the session to it and opens its schedule (`POST /web/switch`);
//! `GET /web/portfolio/export?format=csv|xlsx&at=` the same as a file.
//!
//! Whose projects: a person's session lists the projects they may read the ledgers of (company
//! admins: every project). A device key's session has one project and no portfolio (404, as the
//! home page).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::account::PersonSession;
use super::format::{money_whole, ratio};
use super::i18n::Lang;
use super::session::Found;
use super::{Chrome, WebError, render};
use crate::reports::export::{self, Words};
use crate::reports::portfolio::{self, PortfolioRow};
use crate::reports::query::ReportQuery;
use crate::state::AppState;

/// The projects of a person's portfolio: those where their role reads the ledgers.
fn projects_of(p: &PersonSession) -> Vec<String> {
    p.person.projects.iter().filter(|r| r.role.reads_ledgers()).map(|r| r.project_id.clone()).collect()
}

/// The page frame: the working project's, or (none) the person's name and sign-out.
fn chrome(p: &PersonSession, headers: &HeaderMap, uri: &Uri) -> Chrome {
    let working =
        Found::Person { person: p.person.clone(), project: p.project.clone(), csrf: p.csrf.clone() }.working();
    let mut c = Chrome::new(working.as_ref(), headers, uri, "portfolio", "pf_title");
    if working.is_none() {
        c.user = p.person.name.clone();
        c.csrf = p.csrf.clone();
        c.person = true;
    }
    c
}

/// One project's line, in words.
pub struct Line {
    pub rank: usize,
    pub project_id: String,
    pub name: String,
    pub current: bool,
    /// `bad` when the project's health is below 0.9, `warn` below 1, else `good` ('' unknown).
    pub class: &'static str,
    pub cpi: String,
    pub cpi_class: &'static str,
    pub spi_t: String,
    pub spi_t_class: &'static str,
    /// SV(t) in words: "4.5 days behind".
    pub sv_t: String,
    pub sv_t_class: &'static str,
    /// EAC against BAC in words.
    pub cost: String,
    pub cost_note: String,
    pub cost_class: &'static str,
    /// Forecast finish against planned.
    pub finish: String,
    pub finish_note: String,
    pub finish_class: &'static str,
    pub risks: String,
    pub risks_class: &'static str,
    pub arrears: String,
    pub arrears_note: String,
    pub arrears_class: &'static str,
}

fn fill(template: &str, pairs: &[(&str, String)]) -> String {
    pairs.iter().fold(template.to_string(), |s, (k, v)| s.replace(k, v))
}

/// Days as people write them: whole days without decimals, else one decimal.
fn index_class(r: Option<Decimal>) -> &'static str {
    match r {
        None => "",
        Some(r) if r < Decimal::new(9, 1) => "bad",
        Some(r) if r < Decimal::ONE => "warn",
        Some(_) => "good",
    }
}

pub fn line(r: &PortfolioRow, lang: Lang, current: Option<&str>) -> Line {
    let m = |d: Decimal| money_whole(d, r.currency, lang);
    let t = |k: &'static str| lang.t(k);
    let (sv_t, sv_t_class) = match r.sv_t {
        None => (t("pf_none").to_string(), ""),
        Some(s) if s < Decimal::ZERO => (fill(t("pf_days_behind"), &[("{n}", super::dashboards::days_text(s))]), "bad"),
        Some(s) if s > Decimal::ZERO => (fill(t("pf_days_ahead"), &[("{n}", super::dashboards::days_text(s))]), "good"),
        Some(_) => (t("pf_on_time").to_string(), "good"),
    };
    let (cost, cost_note, cost_class) = match (r.eac, r.vac) {
        (Some(eac), Some(vac)) => {
            let note = if vac < Decimal::ZERO {
                fill(t("pf_over_by"), &[("{amount}", m(-vac))])
            } else if vac > Decimal::ZERO {
                fill(t("pf_under_by"), &[("{amount}", m(vac))])
            } else {
                t("pf_on_budget").to_string()
            };
            let class = if vac < Decimal::ZERO { "bad" } else { "good" };
            (fill(t("pf_eac_of_bac"), &[("{eac}", m(eac)), ("{bac}", m(r.bac))]), note, class)
        }
        _ => (fill(t("pf_bac_only"), &[("{bac}", m(r.bac))]), t("pf_no_cpi").to_string(), ""),
    };
    let (finish, finish_note, finish_class) = match (r.forecast_finish, r.planned_finish) {
        (Some(f), Some(p)) => {
            let slip = (f - p).num_days();
            let note = match slip {
                s if s > 0 => fill(t("pf_finish_late"), &[("{n}", s.to_string())]),
                s if s < 0 => fill(t("pf_finish_early"), &[("{n}", (-s).to_string())]),
                _ => t("pf_finish_on_plan").to_string(),
            };
            let planned = fill(t("pf_planned_on"), &[("{date}", p.to_string())]);
            (f.to_string(), format!("{planned} · {note}"), if slip > 0 { "bad" } else { "good" })
        }
        (None, Some(p)) => (t("pf_none").to_string(), fill(t("pf_planned_on"), &[("{date}", p.to_string())]), ""),
        _ => (t("pf_no_plan").to_string(), String::new(), ""),
    };
    let risks = if r.open_risks == 0 {
        t("pf_no_risks").to_string()
    } else {
        fill(t("pf_risks"), &[("{high}", r.high_risks.to_string()), ("{open}", r.open_risks.to_string())])
    };
    let (arrears, arrears_note, arrears_class) = if r.arrears > Decimal::ZERO {
        let note = fill(
            t("pf_arrears_months"),
            &[
                ("{n}", r.arrears_months.to_string()),
                ("{since}", r.arrears_since.clone().unwrap_or_default()),
                ("{workers}", r.arrears_workers.to_string()),
            ],
        );
        (m(r.arrears), note, "bad")
    } else {
        (t("pf_no_arrears").to_string(), String::new(), "good")
    };
    Line {
        rank: r.rank,
        project_id: r.project_id.clone(),
        name: r.name.clone(),
        current: current == Some(r.project_id.as_str()),
        class: index_class(r.health),
        cpi: ratio(r.cpi),
        cpi_class: index_class(r.cpi),
        spi_t: ratio(r.spi_t),
        spi_t_class: index_class(r.spi_t),
        sv_t,
        sv_t_class,
        cost,
        cost_note,
        cost_class,
        finish,
        finish_note,
        finish_class,
        risks,
        risks_class: if r.high_risks > 0 { "bad" } else { "" },
        arrears,
        arrears_note,
        arrears_class,
    }
}

#[derive(Template)]
#[template(path = "portfolio.html")]
struct PortfolioPage {
    c: Chrome,
    /// The status date asked for ('' = each project's today).
    at: String,
    lines: Vec<Line>,
    /// "3 of 8 projects need attention" or the like.
    summary: String,
    export_query: String,
}

fn status_date(q: Result<Query<ReportQuery>, QueryRejection>) -> Result<(ReportQuery, Option<NaiveDate>), WebError> {
    let q = super::dashboards::query(q)?;
    let at = q.at()?;
    Ok((q, at))
}

/// `GET /web/portfolio?at=`: the person's projects worst first.
pub async fn page(
    State(state): State<AppState>,
    p: PersonSession,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let (_, at) = status_date(q)?;
    let c = chrome(&p, &headers, &uri);
    let lang = c.lang;
    let pf = portfolio::portfolio(&state.db, &projects_of(&p), at).await?;
    let lines: Vec<Line> = pf.projects.iter().map(|r| line(r, lang, p.project.as_deref())).collect();
    let attention = lines.iter().filter(|l| l.class == "bad" || l.arrears_class == "bad").count();
    let summary = fill(lang.t("pf_summary"), &[("{n}", attention.to_string()), ("{total}", lines.len().to_string())]);
    let at_text = at.map(|d| d.to_string()).unwrap_or_default();
    let export_query = if at_text.is_empty() { String::new() } else { format!("&at={at_text}") };
    Ok(render(&PortfolioPage { c, at: at_text, lines, summary, export_query })?.into_response())
}

/// `GET /web/portfolio/export?format=csv|xlsx&at=`: the page's rows as a file in its language.
pub async fn export(
    State(state): State<AppState>,
    p: PersonSession,
    headers: HeaderMap,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let (q, at) = status_date(q)?;
    let pf = portfolio::portfolio(&state.db, &projects_of(&p), at).await?;
    let words = Words::Lang(Lang::from_headers(&headers));
    let today = crate::reports::today_in(None);
    Ok(export::download(&pf.file_name(words, today), q.file_format()?, &pf.table(words))?)
}
