//! The arrears warning (欠薪预警, `/web/funds/arrears?as_of=`) over `funds::arrears::arrears`:
//! cards (wages overdue, workers and months in arrears, allocation shortfall), the months with
//! wages outstanding (due day, overdue or not yet due, per crew, the workers owed), and the owner's
//! labour-cost allocations against wages payable. Office and admin only.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Html;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::Tab;
use crate::funds::arrears;
use crate::funds::wages::WageLedger;
use crate::reports::export::Words;
use crate::reports::query::date_param;
use crate::state::AppState;
use crate::web::dashboards::Card;
use crate::web::format::money_code;
use crate::web::session::WebSession;
use crate::web::{Chrome, WebError, render};

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    pub as_of: Option<String>,
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
}

/// `GET /web/funds/arrears`
pub async fn page(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<Asked>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    super::require_pay(&s)?;
    let Query(q) = q.map_err(|e| WebError::BadRequest(e.body_text()))?;
    let asked = date_param("as_of", q.as_of)?.and_then(|d| d.parse().ok());
    let as_of = match asked {
        Some(d) => d,
        None => {
            let set =
                crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
            crate::reports::today(&set)
        }
    };
    let a = arrears::arrears(&state.db, &s.grant.project_id, as_of).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "funds", "fa_title");
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
    let page = ArrearsPage {
        tabs: super::tabs(&s, lang, "arrears"),
        as_of: as_of.to_string(),
        pay_rule: crate::web::dashboards::fill(lang.t("fa_pay_rule"), a.pay_day),
        cards,
        months,
        allocations,
        c,
    };
    render(&page)
}
