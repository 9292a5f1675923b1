//! The arrears warning (欠薪预警, `/web/funds/arrears?as_of=`) over `funds::arrears::arrears`:
//! cards (wages overdue, workers and months in arrears, allocation shortfall), the months with
//! wages outstanding (due day, overdue or not yet due, per crew, the workers owed), and the owner's
//! labour-cost allocations against wages payable, with the forms that record an allocation
//! (`POST /web/funds/allocations`) and set the project's wage pay day (`POST /web/funds/settings`).
//! Office and admin only.

use askama::Template;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{Problem, Tab, problem_of, recorder};
use crate::funds::allocations::{self, NewAllocation};
use crate::funds::error::FundsError;
use crate::funds::wages::WageLedger;
use crate::funds::{arrears, settings};
use crate::reports::export::Words;
use crate::reports::query::date_param;
use crate::state::AppState;
use crate::web::dashboards::Card;
use crate::web::format::money_code;
use crate::web::session::WebSession;
use crate::web::{Chrome, Fields, WebError, render};

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    pub as_of: Option<String>,
    /// `allocated` or `pay_day` after a form was saved.
    pub done: Option<String>,
}

/// The allocation form as typed (kept on a refusal).
#[derive(Debug, Clone, Default)]
pub struct AllocForm {
    pub month: String,
    pub received_on: String,
    pub amount: String,
    pub reference: String,
}

pub struct CrewLine {
    pub crew: String,
    pub workers: usize,
    pub outstanding: String,
}

pub struct WorkerLine {
    pub name: String,
    pub crew: String,
    pub gross: String,
    pub paid: String,
    pub outstanding: String,
}

pub struct MonthLine {
    pub month: String,
    /// `YYYY-MM`, for the wage ledger's link.
    pub key: String,
    pub due_on: String,
    pub overdue: bool,
    pub gross: String,
    pub advances: String,
    pub paid: String,
    pub outstanding: String,
    pub workers: usize,
    pub crews: Vec<CrewLine>,
    pub rows: Vec<WorkerLine>,
}

pub struct AllocationLine {
    pub month: String,
    pub wages: String,
    pub allocated: String,
    pub cumulative_wages: String,
    pub cumulative_allocated: String,
    pub shortfall: String,
    pub flagged: bool,
}

#[derive(Template)]
#[template(path = "funds_arrears.html")]
struct ArrearsPage {
    c: Chrome,
    tabs: Vec<Tab>,
    as_of: String,
    pay_rule: String,
    cards: Vec<Card>,
    months: Vec<MonthLine>,
    allocations: Vec<AllocationLine>,
    pay_day: u32,
    form: AllocForm,
    problem: Option<Problem>,
    /// Which form the problem belongs to: `alloc` or `pay_day`.
    problem_at: String,
    done: String,
}

/// `GET /web/funds/arrears`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let asked = date_param("as_of", q.as_of)?.and_then(|d| d.parse().ok());
    let c = Chrome::new(Some(&s), &headers, &uri, "funds", "fa_title");
    let done = q.done.filter(|d| d == "allocated" || d == "pay_day").unwrap_or_default();
    let page = build(&state, &s, c, asked, AllocForm::default(), None, done).await?;
    Ok(render(&page)?.into_response())
}

/// `POST /web/funds/allocations` (csrf): the owner's labour-cost allocation of a month.
pub async fn allocate(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let g = |k: &str| f.get(k).unwrap_or_default().trim().to_string();
    let typed =
        AllocForm { month: g("month"), received_on: g("received_on"), amount: g("amount"), reference: g("reference") };
    let opt = |v: &str| Some(v.to_string()).filter(|v| !v.is_empty());
    let input = NewAllocation {
        month: opt(&typed.month),
        received_on: opt(&typed.received_on),
        amount: opt(&typed.amount),
        reference: opt(&typed.reference),
    };
    match allocations::record(&state.db, &s.grant.project_id, &input, &recorder(&s)).await {
        Ok(_) => Ok(Redirect::to("/web/funds/arrears?done=allocated#allocations-head").into_response()),
        Err(e) => {
            refused(&state, &s, Chrome::new(Some(&s), &headers, &uri, "funds", "fa_title"), e, typed, "alloc").await
        }
    }
}

/// `POST /web/funds/settings` (csrf): the day of the next month a month's wages are due by.
pub async fn set_pay_day(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    super::require_pay(&s)?;
    let f = Fields::from(form)?;
    f.check_csrf(&s)?;
    let typed = f.get("wage_pay_day").unwrap_or_default().trim().to_string();
    let day = match typed.parse::<i64>() {
        Ok(d) => Ok(d),
        Err(_) => Err(FundsError::invalid("wage_pay_day", "a day of the month from 1 to 28")),
    };
    let saved = match day {
        Ok(d) => settings::set_wage_pay_day(&state.db, &s.grant.project_id, Some(d)).await.map(drop),
        Err(e) => Err(e),
    };
    let c = Chrome::new(Some(&s), &headers, &uri, "funds", "fa_title");
    match saved {
        Ok(()) => Ok(Redirect::to("/web/funds/arrears?done=pay_day").into_response()),
        Err(e) => refused(&state, &s, c, e, AllocForm::default(), "pay_day").await,
    }
}

/// The page again with the refusal shown at its form (status 400/422), what was typed kept.
async fn refused(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    e: FundsError,
    form: AllocForm,
    at: &str,
) -> Result<Response, WebError> {
    let Some((status, p)) = problem_of(&e, c.lang) else { return Err(WebError::internal(e)) };
    let page = build(state, s, c, None, form, Some((p, at.to_string())), String::new()).await?;
    Ok((status, render(&page)?).into_response())
}

async fn build(
    state: &AppState,
    s: &WebSession,
    c: Chrome,
    asked: Option<chrono::NaiveDate>,
    form: AllocForm,
    problem: Option<(Problem, String)>,
    done: String,
) -> Result<ArrearsPage, WebError> {
    let as_of = match asked {
        Some(d) => d,
        None => {
            let set =
                crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
            crate::reports::today(&set)
        }
    };
    let a = arrears::arrears(&state.db, &s.grant.project_id, as_of).await?;
    let lang = c.lang;
    let money = |d: Decimal| money_code(d, &a.currency, lang);
    let month_label = |m: &str| {
        chrono::NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_or_else(|_| m.to_string(), |d| crate::web::svg::month_label(d, true, lang))
    };
    let t = &a.totals;
    let card = |id, label, value, class| Card { id, label, value, class, note: String::new() };
    let cards = vec![
        card(
            "card-overdue",
            lang.t("fa_overdue_wages"),
            money(t.outstanding),
            if t.outstanding > Decimal::ZERO { "bad" } else { "good" },
        ),
        card("card-workers", lang.t("fa_workers"), t.workers.to_string(), if t.workers > 0 { "bad" } else { "" }),
        card("card-months", lang.t("fa_months"), t.months.to_string(), if t.months > 0 { "bad" } else { "" }),
        card(
            "card-shortfall",
            lang.t("fa_shortfall"),
            money(t.allocation_shortfall),
            if t.allocation_shortfall > Decimal::ZERO { "warn" } else { "" },
        ),
    ];
    let words = Words::Lang(lang);
    // Overdue months first (what must be paid now), each group newest first.
    let mut ordered: Vec<&arrears::MonthArrears> = a.months.iter().rev().collect();
    ordered.sort_by_key(|m| !m.overdue);
    let months = ordered
        .into_iter()
        .map(|m| MonthLine {
            month: month_label(&m.month),
            key: m.month.clone(),
            due_on: m.due_on.to_string(),
            overdue: m.overdue,
            gross: money(m.gross),
            advances: money(m.advances),
            paid: money(m.paid),
            outstanding: money(m.outstanding),
            workers: m.workers,
            crews: m
                .crews
                .iter()
                .map(|k| CrewLine {
                    crew: k.crew.clone().unwrap_or_else(|| lang.t("fa_no_crew").to_string()),
                    workers: k.workers,
                    outstanding: money(k.outstanding),
                })
                .collect(),
            rows: m
                .rows
                .iter()
                .map(|r| WorkerLine {
                    name: WageLedger::display_name(r, words),
                    crew: r.crew.clone().unwrap_or_default(),
                    gross: money(r.gross),
                    paid: money(r.paid + r.advances),
                    outstanding: money(r.outstanding),
                })
                .collect(),
        })
        .collect();
    let allocations = a
        .allocations
        .iter()
        .rev()
        .map(|m| AllocationLine {
            month: month_label(&m.month),
            wages: money(m.wages),
            allocated: money(m.allocated),
            cumulative_wages: money(m.cumulative_wages),
            cumulative_allocated: money(m.cumulative_allocated),
            shortfall: if m.shortfall.is_zero() { String::new() } else { money(m.shortfall) },
            flagged: m.flagged,
        })
        .collect();
    let (problem, problem_at) = match problem {
        Some((p, at)) => (Some(p), at),
        None => (None, String::new()),
    };
    Ok(ArrearsPage {
        tabs: super::tabs(s, lang, "arrears"),
        as_of: as_of.to_string(),
        pay_rule: crate::web::dashboards::fill(lang.t("fa_pay_rule"), a.pay_day),
        cards,
        months,
        allocations,
        pay_day: a.pay_day,
        form,
        problem,
        problem_at,
        done,
        c,
    })
}
