//! Cash flow (`/web/funds`) and the all-projects view (`/web/funds/company`) over the same code
//! as `GET /v1/funds/cashflow` (`funds::cashflow`): cards, the cumulative curves of planned spend,
//! approved cost and paid (drawn by the S-curve's `svg::s_curve`: planned dashed as PV, approved
//! as EV's line, paid as AC's), the monthly table, payables by age, and CSV/XLSX exports.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Response};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::Tab;
use crate::funds::cashflow::{self, Aged, Cashflow, MonthRow};
use crate::reports::export::{self, Words};
use crate::reports::query::{ReportQuery, date_param};
use crate::state::AppState;
use crate::web::dashboards::{Card, fill};
use crate::web::format::{money_code, money_short, money_whole};
use crate::web::i18n::Lang;
use crate::web::session::WebSession;
use crate::web::svg;
use crate::web::{Chrome, WebError, render};

/// `?from=YYYY-MM&to=YYYY-MM&as_of=YYYY-MM-DD` (the month inputs send `YYYY-MM`), and for the
/// exports `format=csv|xlsx&part=months|payables`.
#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    pub from: Option<String>,
    pub to: Option<String>,
    pub as_of: Option<String>,
    pub format: Option<String>,
    pub part: Option<String>,
}

type Range = (Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>);

fn read(q: Result<Query<Asked>, QueryRejection>) -> Result<Asked, WebError> {
    q.map(|Query(q)| q).map_err(|e| WebError::BadRequest(e.body_text()))
}

impl Asked {
    fn range(&self) -> Result<Range, WebError> {
        let from = cashflow::month_param("from", self.from.as_deref())?;
        let to = cashflow::month_param("to", self.to.as_deref())?;
        let as_of = date_param("as_of", self.as_of.clone())?.and_then(|d| d.parse().ok());
        Ok((from, to, as_of))
    }
}

/// One row of the monthly table, as shown.
pub struct MonthLine {
    pub month: String,
    pub planned: String,
    pub approved: String,
    pub paid: String,
    pub planned_cum: String,
    pub approved_cum: String,
    pub paid_cum: String,
    pub future: bool,
    pub current: bool,
}

/// One payee's line of payables by age.
pub struct PayableLine {
    pub kind: &'static str,
    pub payee: String,
    pub owed: String,
    pub paid: String,
    pub buckets: [String; 4],
    pub outstanding: String,
    pub credit: String,
    pub oldest: String,
    /// Index of the oldest non-empty bucket (the row's colour): 0..=3.
    pub age: usize,
}

/// A project's line of the all-projects view.
pub struct ProjectLine {
    pub name: String,
    pub id: String,
    pub planned: String,
    pub approved: String,
    pub paid: String,
    pub payables: String,
    pub over_90: String,
}

/// The curves and table of one currency (a project, or a currency of the company view).
pub struct Series {
    pub currency: &'static str,
    pub chart: String,
    pub months: Vec<MonthLine>,
    pub opening: Option<MonthLine>,
    pub cards: Vec<Card>,
    pub payables_total: Vec<String>,
}

#[derive(Template)]
#[template(path = "funds_cashflow.html")]
struct CashflowPage {
    c: Chrome,
    tabs: Vec<Tab>,
    company: bool,
    lede: String,
    from: String,
    to: String,
    as_of: String,
    query: String,
    series: Vec<Series>,
    projects: Vec<ProjectLine>,
    payables: Vec<PayableLine>,
    notes: Vec<String>,
    age_heads: [&'static str; 4],
}

fn month_text(m: NaiveDate, lang: Lang) -> String {
    svg::month_label(m, true, lang)
}

fn line(m: &MonthRow, code: &str, lang: Lang, as_of: NaiveDate) -> MonthLine {
    let full = |d: Decimal| money_code(d, code, lang);
    let known = |d: Option<Decimal>| d.map_or_else(|| lang.t("fc_future").to_string(), full);
    MonthLine {
        month: month_text(m.month, lang),
        planned: full(m.planned),
        approved: known(m.approved),
        paid: known(m.paid),
        planned_cum: full(m.planned_cumulative),
        approved_cum: known(m.approved_cumulative),
        paid_cum: known(m.paid_cumulative),
        future: m.approved.is_none(),
        current: m.month == crate::funds::wages::first_day(as_of),
    }
}

/// The curves, cards and table of one series of months.
fn series(
    currency: &'static str,
    months: &[MonthRow],
    opening: cashflow::Opening,
    planned_to_date: Decimal,
    payables: &Aged,
    as_of: NaiveDate,
    lang: Lang,
) -> Series {
    // Cards: 万 in Chinese, whole units in English (a phone's card has room for 12 characters);
    // the tables keep the cents.
    let short =
        |d: Decimal| if lang == Lang::ZhCn { money_short(d, currency, lang) } else { money_whole(d, currency, lang) };
    // The curves: the opening balance at the first month's start, then each month's end; in
    // `as_of`'s month approved and paid stop at `as_of` (planned goes on to the month's end).
    let mut points = Vec::with_capacity(months.len() + 2);
    if let Some(first) = months.first() {
        let start = first.month.pred_opt().unwrap_or(first.month);
        points.push(svg::CurvePoint {
            date: start,
            pv: opening.planned,
            ev: (start <= as_of).then_some(opening.approved),
            ac: (start <= as_of).then_some(opening.paid),
        });
    }
    for m in months {
        let end = m.month.checked_add_months(chrono::Months::new(1)).and_then(|n| n.pred_opt()).unwrap_or(m.month);
        let now = m.month <= as_of && as_of < end;
        if now {
            points.push(svg::CurvePoint {
                date: as_of,
                pv: planned_to_date,
                ev: m.approved_cumulative,
                ac: m.paid_cumulative,
            });
        }
        points.push(svg::CurvePoint {
            date: end,
            pv: m.planned_cumulative,
            ev: m.approved_cumulative.filter(|_| !now),
            ac: m.paid_cumulative.filter(|_| !now),
        });
    }
    let marker = format!("{} {}", lang.t("fc_as_of"), as_of.format("%m-%d"));
    let chart =
        svg::s_curve(&points, as_of, &svg::CurveText { title: lang.t("fc_curve_title"), marker: &marker, lang });
    let known = months.iter().rev().find(|m| m.approved_cumulative.is_some());
    let planned_now = planned_to_date;
    let approved = known.and_then(|m| m.approved_cumulative).unwrap_or(opening.approved);
    let paid = known.and_then(|m| m.paid_cumulative).unwrap_or(opening.paid);
    let card = |id, label, value, class| Card { id, label, value, class, note: String::new() };
    let unpaid = approved - paid;
    let cards = vec![
        card("card-planned", lang.t("fc_card_planned"), short(planned_now), ""),
        card("card-approved", lang.t("fc_card_approved"), short(approved), ""),
        card("card-paid", lang.t("fc_card_paid"), short(paid), ""),
        card("card-unpaid", lang.t("fc_card_unpaid"), short(unpaid), if unpaid > Decimal::ZERO { "warn" } else { "" }),
        card(
            "card-payables",
            lang.t("fc_card_payables"),
            short(payables.total),
            if payables.over_90 > Decimal::ZERO { "bad" } else { "" },
        ),
    ];
    let opening_line = months
        .first()
        .filter(|_| !opening.planned.is_zero() || !opening.approved.is_zero() || !opening.paid.is_zero())
        .map(|first| {
            let full = |d: Decimal| money_code(d, currency, lang);
            MonthLine {
                month: fill(lang.t("fc_opening"), month_text(first.month, lang)),
                planned: String::new(),
                approved: String::new(),
                paid: String::new(),
                planned_cum: full(opening.planned),
                approved_cum: full(opening.approved),
                paid_cum: full(opening.paid),
                future: false,
                current: false,
            }
        });
    let full = |d: Decimal| money_code(d, currency, lang);
    let mut payables_total: Vec<String> = payables.buckets().iter().map(|d| full(*d)).collect();
    payables_total.push(full(payables.total));
    Series {
        currency,
        chart,
        months: months.iter().map(|m| line(m, currency, lang, as_of)).collect(),
        opening: opening_line,
        cards,
        payables_total,
    }
}

fn payable_lines(r: &Cashflow, lang: Lang) -> Vec<PayableLine> {
    let full = |d: Decimal| money_code(d, r.currency, lang);
    let blank = |d: Decimal| if d.is_zero() { String::new() } else { full(d) };
    r.payables
        .iter()
        .map(|p| {
            let b = p.outstanding.buckets();
            PayableLine {
                kind: lang.t(if p.kind == "vendor" { "fc_kind_vendor" } else { "fc_kind_reimbursement" }),
                payee: if p.payee.is_empty() { lang.t("fc_no_payee").to_string() } else { p.payee.clone() },
                owed: full(p.owed),
                paid: full(p.paid),
                buckets: b.map(blank),
                outstanding: full(p.outstanding.total),
                credit: blank(p.credit),
                oldest: p.oldest_unpaid.map(|d| d.to_string()).unwrap_or_default(),
                age: b.iter().rposition(|d| !d.is_zero()).unwrap_or(0),
            }
        })
        .collect()
}

fn age_heads(lang: Lang) -> [&'static str; 4] {
    [lang.t("fc_age_0_30"), lang.t("fc_age_31_60"), lang.t("fc_age_61_90"), lang.t("fc_age_over_90")]
}

fn query_text(from: NaiveDate, to: NaiveDate, as_of: NaiveDate) -> String {
    format!("from={}&to={}&as_of={as_of}", from.format("%Y-%m"), to.format("%Y-%m"))
}

/// `GET /web/funds`: the session's project.
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let (from, to, as_of) = read(q)?.range()?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let (from, to, as_of) = cashflow::resolve_range(&set, from, to, as_of)?;
    let r = cashflow::report(&state.db, &set, from, to, as_of).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "funds", "fc_title");
    let lang = c.lang;
    let mut notes = Vec::new();
    if !r.spread_budget.is_zero() {
        notes.push(fill(lang.t("fc_phasing_note"), money_code(r.spread_budget, r.currency, lang)));
    }
    if !r.unphased_budget.is_zero() {
        notes.push(fill(lang.t("fc_unphased_note"), money_code(r.unphased_budget, r.currency, lang)));
    }
    for o in &r.other_currencies {
        notes.push(format!(
            "{}: {} {} · {} {}",
            lang.t("fc_other_currencies"),
            lang.t("fc_approved"),
            money_code(o.approved, &o.currency, lang),
            lang.t("fc_paid"),
            money_code(o.paid, &o.currency, lang)
        ));
    }
    let page = CashflowPage {
        tabs: super::tabs(&s, lang, "cashflow"),
        company: false,
        lede: lang.t("fc_lede").to_string(),
        from: from.format("%Y-%m").to_string(),
        to: to.format("%Y-%m").to_string(),
        as_of: as_of.to_string(),
        query: query_text(from, to, as_of),
        series: vec![series(r.currency, &r.months, r.opening, r.planned_to_date, &r.payables_total, as_of, lang)],
        projects: Vec::new(),
        payables: payable_lines(&r, lang),
        notes,
        age_heads: age_heads(lang),
        c,
    };
    render(&page)
}

/// The projects of the all-projects view: those the session's person administers (a company
/// admin: every project); a device key's session, its own project. Others 403.
async fn company_projects(state: &AppState, s: &WebSession) -> Result<Vec<String>, WebError> {
    if !s.manages() {
        return Err(WebError::Forbidden(format!(
            "a {} cannot see the all-projects view; it adds up the projects an admin administers",
            s.grant.role
        )));
    }
    let mut projects = match &s.person {
        Some(p) => crate::api::funds_cashflow::administered(&state.db, &p.id).await.map_err(WebError::internal)?,
        None => Vec::new(),
    };
    if !projects.contains(&s.grant.project_id) {
        projects.insert(0, s.grant.project_id.clone());
    }
    Ok(projects)
}

fn api_asked(range: Range) -> crate::api::funds_cashflow::Asked {
    crate::api::funds_cashflow::Asked {
        from: range.0,
        to: range.1,
        as_of: range.2,
        format: crate::reports::query::Format::Json,
        payables: false,
    }
}

/// `GET /web/funds/company`: the projects an admin administers, added up per currency.
pub async fn company(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let range = read(q)?.range()?;
    let projects = company_projects(&state, &s).await?;
    let (view, reports) = crate::api::funds_cashflow::company_view(&state.db, &projects, &api_asked(range)).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "funds", "fc_company_title");
    let lang = c.lang;
    let series = view
        .totals
        .iter()
        .map(|t| series(t.currency, &t.months, t.opening, t.planned_to_date, &t.payables_total, view.as_of, lang))
        .collect();
    let lines = view
        .projects
        .iter()
        .map(|p| {
            let full = |d: Decimal| money_code(d, p.currency, lang);
            ProjectLine {
                name: if p.project_name.is_empty() { p.project_id.clone() } else { p.project_name.clone() },
                id: p.project_id.clone(),
                planned: full(p.planned_cumulative),
                approved: full(p.approved_cumulative),
                paid: full(p.paid_cumulative),
                payables: full(p.payables.total),
                over_90: if p.payables.over_90.is_zero() { String::new() } else { full(p.payables.over_90) },
            }
        })
        .collect();
    let mut payables = Vec::new();
    for r in &reports {
        let mut lines = payable_lines(r, lang);
        for l in &mut lines {
            l.payee =
                format!("{} · {}", l.payee, if r.project_name.is_empty() { &r.project_id } else { &r.project_name });
        }
        payables.extend(lines);
    }
    let page = CashflowPage {
        tabs: super::tabs(&s, lang, "company"),
        company: true,
        lede: fill(lang.t("fc_company_lede"), projects.len()),
        from: view.from.format("%Y-%m").to_string(),
        to: view.to.format("%Y-%m").to_string(),
        as_of: view.as_of.to_string(),
        query: query_text(view.from, view.to, view.as_of),
        series,
        projects: lines,
        payables,
        notes: Vec::new(),
        age_heads: age_heads(lang),
        c,
    };
    render(&page)
}

/// `GET /web/funds/export?format=csv|xlsx&part=months|payables&from=&to=&as_of=`
pub async fn export(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Response, WebError> {
    let asked = read(q)?;
    let (from, to, as_of) = asked.range()?;
    let format = ReportQuery { format: asked.format.clone(), ..Default::default() }.file_format()?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let (from, to, as_of) = cashflow::resolve_range(&set, from, to, as_of)?;
    let r = cashflow::report(&state.db, &set, from, to, as_of).await?;
    let words = Words::Lang(Lang::from_headers(&headers));
    let payables = asked.part.as_deref() == Some("payables");
    let table = if payables { r.payables_table(words) } else { r.table(words) };
    Ok(export::download(&r.file_name(words, payables), format, &table)?)
}

/// `GET /web/funds/company/export?format=csv|xlsx&from=&to=&as_of=`
pub async fn company_export(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Response, WebError> {
    let asked = read(q)?;
    let format = ReportQuery { format: asked.format.clone(), ..Default::default() }.file_format()?;
    let projects = company_projects(&state, &s).await?;
    let (view, _) = crate::api::funds_cashflow::company_view(&state.db, &projects, &api_asked(asked.range()?)).await?;
    let words = Words::Lang(Lang::from_headers(&headers));
    Ok(export::download(&view.file_name(words), format, &view.table(words))?)
}
