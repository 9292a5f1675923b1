//! The wage payment ledger (工资支付台账, `/web/funds/wages?month=YYYY-MM&crew=`) over
//! `funds::wages::ledger`: one row per worker for the month (roster workers, names not yet
//! confirmed, each crew's unnamed rest), totals, the inspectors' CSV/XLSX, and a printable page
//! with a column for each worker's signature. Office and admin only.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Response};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::Tab;
use crate::funds::wages::{self, WageLedger, WageRow, WorkerKey};
use crate::reports::export::{self, Words};
use crate::reports::query::ReportQuery;
use crate::state::AppState;
use crate::web::format::{grouped, money_code};
use crate::web::i18n::Lang;
use crate::web::session::WebSession;
use crate::web::{Chrome, WebError, render, urlencode};

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    pub month: Option<String>,
    pub crew: Option<String>,
    pub format: Option<String>,
}

/// The month asked for (any day of it), else this month where the project works; the crew, if one.
async fn read(
    state: &AppState,
    s: &WebSession,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<(NaiveDate, Option<String>, Asked), WebError> {
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let month = match crate::funds::cashflow::month_param("month", q.month.as_deref())? {
        Some(m) => m,
        None => {
            let set =
                crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
            crate::funds::wages::first_day(crate::reports::today(&set))
        }
    };
    let crew = q.crew.clone().map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    Ok((month, crew, q))
}

/// One row as shown.
pub struct Line {
    pub no: usize,
    pub name: String,
    /// "unconfirmed" / "crew" marks, or empty.
    pub status: &'static str,
    pub worker_id: String,
    pub id_masked: String,
    pub crew: String,
    pub trade: String,
    pub days: String,
    pub hours: String,
    pub gross: String,
    pub advances: String,
    pub paid: String,
    pub outstanding: String,
    pub credit: String,
    pub owed: bool,
}

fn qty(d: Decimal) -> String {
    grouped(d.normalize())
}

fn lines(l: &WageLedger, lang: Lang) -> (Vec<Line>, Line) {
    let money = |d: Decimal| money_code(d, &l.currency, lang);
    let blank = |d: Decimal| if d.is_zero() { String::new() } else { money(d) };
    let words = Words::Lang(lang);
    let rows = l
        .rows
        .iter()
        .enumerate()
        .map(|(i, r): (usize, &WageRow)| Line {
            no: i + 1,
            name: match &r.key {
                WorkerKey::Roster(_) => WageLedger::display_name(r, words),
                WorkerKey::Unconfirmed(n) => n.clone(),
                WorkerKey::Crew(_) => WageLedger::display_name(r, words),
            },
            status: match r.key {
                WorkerKey::Roster(_) => "",
                WorkerKey::Unconfirmed(_) => "fw_unconfirmed",
                WorkerKey::Crew(_) => "fw_crew_rest",
            },
            worker_id: r.worker_id.clone().unwrap_or_default(),
            id_masked: r.id_masked.clone().unwrap_or_default(),
            crew: r.crew.clone().unwrap_or_default(),
            trade: r.trade.clone().unwrap_or_default(),
            days: qty(r.days),
            hours: qty(r.hours),
            gross: money(r.gross),
            advances: blank(r.advances),
            paid: blank(r.paid),
            outstanding: blank(r.outstanding),
            credit: blank(r.credit),
            owed: r.outstanding > Decimal::ZERO,
        })
        .collect();
    let t = &l.totals;
    let total = Line {
        no: 0,
        name: lang.t("total").to_string(),
        status: "",
        worker_id: String::new(),
        id_masked: String::new(),
        crew: String::new(),
        trade: String::new(),
        days: qty(t.days),
        hours: qty(t.hours),
        gross: money(t.gross),
        advances: money(t.advances),
        paid: money(t.paid),
        outstanding: money(t.outstanding),
        credit: blank(t.credit),
        owed: t.outstanding > Decimal::ZERO,
    };
    (rows, total)
}

#[derive(Template)]
#[template(path = "funds_wages.html")]
struct WagesPage {
    c: Chrome,
    tabs: Vec<Tab>,
    month: String,
    month_label: String,
    prev: String,
    next: String,
    crew: String,
    crews: Vec<String>,
    query: String,
    lines: Vec<Line>,
    total: Line,
    unconfirmed: usize,
}

#[derive(Template)]
#[template(path = "funds_wages_print.html")]
struct WagesPrint {
    c: Chrome,
    project: String,
    month_label: String,
    pay_day: String,
    crew: String,
    query: String,
    lines: Vec<Line>,
    total: Line,
    printed: String,
}

fn month_label(m: NaiveDate, lang: Lang) -> String {
    crate::web::svg::month_label(m, true, lang)
}

/// `GET /web/funds/wages`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    super::require_pay(&s)?;
    let (month, crew, _) = read(&state, &s, q).await?;
    let all = wages::ledger(&state.db, &s.grant.project_id, month, None).await?;
    let mut crews: Vec<String> = all.rows.iter().filter_map(|r| r.crew.clone()).collect();
    crews.sort();
    crews.dedup();
    let l = match &crew {
        Some(c) => wages::ledger(&state.db, &s.grant.project_id, month, Some(c)).await?,
        None => all,
    };
    let c = Chrome::new(Some(&s), &headers, &uri, "funds", "fw_title");
    let lang = c.lang;
    let (lines, total) = lines(&l, lang);
    let shift = |m: Option<NaiveDate>| m.map(|m| m.format("%Y-%m").to_string()).unwrap_or_default();
    let page = WagesPage {
        tabs: super::tabs(&s, lang, "wages"),
        month: month.format("%Y-%m").to_string(),
        month_label: month_label(month, lang),
        prev: shift(month.checked_sub_months(Months::new(1))),
        next: shift(month.checked_add_months(Months::new(1))),
        query: format!(
            "month={}{}",
            month.format("%Y-%m"),
            crew.as_deref().map(|c| format!("&crew={}", urlencode(c))).unwrap_or_default()
        ),
        crew: crew.unwrap_or_default(),
        crews,
        unconfirmed: l.rows.iter().filter(|r| matches!(r.key, WorkerKey::Unconfirmed(_))).count(),
        lines,
        total,
        c,
    };
    render(&page)
}

/// `GET /web/funds/wages/print`: the month's ledger on paper (A4 landscape), a signature column.
pub async fn print(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    super::require_pay(&s)?;
    let (month, crew, _) = read(&state, &s, q).await?;
    let l = wages::ledger(&state.db, &s.grant.project_id, month, crew.as_deref()).await?;
    let info = wages::project_info(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let c = Chrome::new(Some(&s), &headers, &uri, "funds", "fw_print_title");
    let lang = c.lang;
    let day = info.and_then(|(_, _, d)| d).unwrap_or(15);
    // Due by the pay day of the next month (funds::arrears' rule).
    let due = month.checked_add_months(Months::new(1)).and_then(|m| m.with_day(u32::try_from(day).ok()?));
    let (lines, total) = lines(&l, lang);
    let page = WagesPrint {
        project: l.project_name.clone(),
        month_label: month_label(month, lang),
        pay_day: due.map(|d| d.to_string()).unwrap_or_default(),
        query: format!(
            "month={}{}",
            month.format("%Y-%m"),
            crew.as_deref().map(|c| format!("&crew={}", urlencode(c))).unwrap_or_default()
        ),
        crew: crew.unwrap_or_default(),
        lines,
        total,
        printed: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        c,
    };
    render(&page)
}

/// `GET /web/funds/wages/export?month=&crew=&format=csv|xlsx`: the inspectors' layout.
pub async fn export(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let (month, crew, asked) = read(&state, &s, q).await?;
    let format = ReportQuery { format: asked.format.clone(), ..Default::default() }.file_format()?;
    let l = wages::ledger(&state.db, &s.grant.project_id, month, crew.as_deref()).await?;
    let words = Words::Lang(Lang::from_headers(&headers));
    Ok(export::download(&l.file_name(words), format, &l.table(words))?)
}
