//! The office's dashboards over the same report code as `/v1/reports/*`: budget vs actual per cost
//! code (summary cards, SVG bars of every code that costs are charged to, the code tree with links
//! to each code's postings in `drilldown`) and the schedule with earned value (cards, a compact
//! table, an SVG S-curve with month ticks and the status date), with CSV and XLSX exports for this
//! session. The day-labour summary is in `labour`.
//!
//! Money: tables keep the full figure to the cent where it is the ledger's (the cost table, the
//! postings); summary cards and charts write large figures in 万 in Chinese (`format::money_short`);
//! earned-value figures, which are estimates (a percent of a budget), are shown to the whole unit.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{Html, Response};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use super::format::{money_code, money_short, money_whole, percent, ratio};
use super::gantt;
use super::i18n::Lang;
use super::session::WebSession;
use super::svg::{self, BudgetBar};
use super::{Chrome, WebError, render, urlencode};
use crate::reports::query::ReportQuery;
use crate::reports::{DateRange, cost, export, schedule, today};
use crate::state::AppState;

pub(super) fn query(q: Result<Query<ReportQuery>, QueryRejection>) -> Result<ReportQuery, WebError> {
    q.map(|Query(q)| q).map_err(|e| WebError::BadRequest(e.body_text()))
}

/// "bad" below 1 (over cost or behind), "good" from 1.
pub(super) fn index_class(r: Option<Decimal>) -> &'static str {
    match r {
        Some(r) if r < Decimal::ONE => "bad",
        Some(_) => "good",
        None => "",
    }
}

pub(super) fn sign_class(d: Decimal) -> &'static str {
    if d < Decimal::ZERO { "bad" } else { "" }
}

/// A CPI as shown: "—" (and no colour) without earned value, where the index says nothing (a code
/// whose activities reported no progress would otherwise show a red 0).
pub(super) fn cpi_text(earned: Decimal, cpi: Option<Decimal>) -> (String, &'static str) {
    if earned.is_zero() { ("—".into(), "") } else { (ratio(cpi), index_class(cpi)) }
}

/// `{n}` of a template string filled in.
pub(super) fn fill(template: &str, n: impl std::fmt::Display) -> String {
    template.replace("{n}", &n.to_string())
}

/// One figure of the cards at the top of a dashboard.
pub struct Card {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    pub class: &'static str,
    /// A second line (e.g. how many codes are over budget); may be empty.
    pub note: String,
}

/// A quick choice of dates (this month, …): a link, marked when it is what the page shows.
pub struct Preset {
    pub id: &'static str,
    pub label: &'static str,
    pub href: String,
    pub on: bool,
}

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The cost page's periods relative to `today` (the project's): this month, last month, this year
/// and all to date (the default: budgets are for the whole job, so actual to date is what they are
/// measured against).
pub(super) fn cost_presets(path: &str, range: DateRange, today: NaiveDate, lang: Lang) -> Vec<Preset> {
    let this_month = month_start(today);
    let last_month = this_month.checked_sub_months(Months::new(1)).unwrap_or(this_month);
    let year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(this_month);
    let shown = (range.from, range.to.unwrap_or(today));
    let link = |from: NaiveDate, to: NaiveDate| format!("{path}?from={from}&to={to}");
    vec![
        Preset {
            id: "preset-month",
            label: lang.t("dash_this_month"),
            href: link(this_month, today),
            on: shown == (Some(this_month), today),
        },
        Preset {
            id: "preset-last-month",
            label: lang.t("dash_last_month"),
            href: link(last_month, this_month.pred_opt().unwrap_or(this_month)),
            on: shown == (Some(last_month), this_month.pred_opt().unwrap_or(this_month)),
        },
        Preset {
            id: "preset-year",
            label: lang.t("dash_this_year"),
            href: link(year, today),
            on: shown == (Some(year), today),
        },
        Preset {
            id: "preset-all",
            label: lang.t("dash_all_to_date"),
            href: path.to_string(),
            on: shown == (None, today),
        },
    ]
}

/// `from=…&to=…` of a range as the page's links carry it (blank ends stay blank).
pub(super) fn range_query(range: DateRange) -> String {
    let text = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    format!("from={}&to={}", urlencode(&text(range.from)), urlencode(&text(range.to)))
}

/// The link to a code's postings in the same period.
pub(super) fn code_href(code: &str, range: DateRange) -> String {
    format!("/web/cost/{}?{}", urlencode(code), range_query(range))
}

pub struct CostLine {
    pub depth: usize,
    pub code: String,
    pub name: String,
    pub href: String,
    pub in_reference: bool,
    pub budget: String,
    pub actual: String,
    pub variance: String,
    pub variance_class: &'static str,
    pub earned: String,
    pub cpi: String,
    pub cpi_class: &'static str,
    pub spent: String,
    pub spent_class: &'static str,
}

#[derive(Template)]
#[template(path = "cost.html")]
struct CostPage {
    c: Chrome,
    from: String,
    to: String,
    presets: Vec<Preset>,
    cards: Vec<Card>,
    /// The query of the exports (the page's own filters).
    export_query: String,
    lines: Vec<CostLine>,
    totals: CostLine,
    others: Vec<String>,
    chart: String,
    has_chart: bool,
    no_ev: &'static str,
}

pub(super) fn cost_line(r: &cost::CostRow, currency: &str, lang: Lang, range: DateRange) -> CostLine {
    let (cpi, cpi_class) = cpi_text(r.earned, r.cpi);
    CostLine {
        depth: r.depth,
        code: r.code.clone(),
        name: r.name.clone(),
        href: code_href(&r.code, range),
        in_reference: r.in_reference,
        budget: money_code(r.budget, currency, lang),
        actual: money_code(r.actual, currency, lang),
        variance: money_code(r.variance, currency, lang),
        variance_class: sign_class(r.variance),
        earned: money_code(r.earned, currency, lang),
        cpi,
        cpi_class,
        spent: percent(r.spent_percent),
        spent_class: if r.actual > r.budget { "bad" } else { "" },
    }
}

/// The cards of a cost report's totals (the cost page's, or one code's on its drill-down).
pub(super) fn cost_cards(t: &cost::CostRow, currency: &str, lang: Lang, over_note: String) -> Vec<Card> {
    let m = |d: Decimal| money_short(d, currency, lang);
    vec![
        Card { id: "card-budget", label: lang.t("dash_budget"), value: m(t.budget), class: "", note: String::new() },
        Card {
            id: "card-actual",
            label: lang.t("dash_actual"),
            value: m(t.actual),
            class: if t.actual > t.budget { "bad" } else { "" },
            note: String::new(),
        },
        Card {
            id: "card-variance",
            label: lang.t("dash_variance"),
            value: m(t.variance),
            class: sign_class(t.variance),
            note: if t.variance < Decimal::ZERO { lang.t("dash_over_budget").into() } else { String::new() },
        },
        Card {
            id: "card-spent",
            label: lang.t("dash_spent"),
            value: percent(t.spent_percent),
            class: if t.actual > t.budget { "bad" } else { "" },
            note: over_note,
        },
    ]
}

/// Most bars of the cost chart before the rest are drawn as one "others" bar.
pub const CHART_BARS: usize = 12;

/// The chart's bars: every code's own figures (a parent's own budget and cost, beyond its
/// children's, when it has any), largest actual first; past `CHART_BARS`, the rest as one bar.
/// The bars' actuals add up to the report's total.
pub(super) fn chart_bars(report: &cost::CostReport, lang: Lang, range: DateRange) -> Vec<BudgetBar> {
    use std::collections::HashMap;
    let cur = report.currency;
    let mut kids: HashMap<&str, (Decimal, Decimal)> = HashMap::new();
    for r in &report.codes {
        if let Some(p) = &r.parent {
            let k = kids.entry(p.as_str()).or_default();
            k.0 += r.budget;
            k.1 += r.actual;
        }
    }
    // (code, name, own budget, own actual, has children)
    let mut own: Vec<(&cost::CostRow, Decimal, Decimal, bool)> = report
        .codes
        .iter()
        .map(|r| {
            let k = kids.get(r.code.as_str());
            let (kb, ka) = k.copied().unwrap_or_default();
            (r, r.budget - kb, r.actual - ka, k.is_some())
        })
        .filter(|(_, b, a, _)| !b.is_zero() || !a.is_zero())
        .collect();
    own.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.code.cmp(&b.0.code)));
    let spent =
        |b: Decimal, a: Decimal| percent(crate::reports::ratio(a * Decimal::ONE_HUNDRED, b).map(|x| x.round_dp(1)));
    let bar = |code: String, label: String, href: String, budget: Decimal, actual: Decimal| {
        let caption = money_short(actual, cur, lang);
        let tooltip = format!(
            "{label}: {} {caption} / {} {} ({})",
            lang.t("dash_actual"),
            lang.t("dash_budget"),
            money_short(budget, cur, lang),
            spent(budget, actual)
        );
        BudgetBar { code, label, href, budget, actual, caption, spent: spent(budget, actual), tooltip }
    };
    let shown = if own.len() > CHART_BARS + 1 { CHART_BARS } else { own.len() };
    let mut bars: Vec<BudgetBar> = own[..shown]
        .iter()
        .map(|(r, b, a, parent)| {
            let mut label = if r.name.is_empty() { r.code.clone() } else { format!("{} {}", r.code, r.name) };
            if *parent {
                label = format!("{label} ({})", lang.t("dash_direct"));
            }
            bar(r.code.clone(), label, code_href(&r.code, range), *b, *a)
        })
        .collect();
    let rest = &own[shown..];
    if !rest.is_empty() {
        let (b, a): (Decimal, Decimal) =
            rest.iter().fold((Decimal::ZERO, Decimal::ZERO), |s, r| (s.0 + r.1, s.1 + r.2));
        let over = rest.iter().filter(|r| r.2 > r.1).count();
        let mut label = if rest.len() == 1 {
            lang.t("dash_others_one").to_string()
        } else {
            fill(lang.t("dash_others"), rest.len())
        };
        if over > 0 {
            label = format!("{label} · {}", fill(lang.t("dash_others_over"), over));
        }
        bars.push(bar(String::new(), label, "#cost-table".into(), b, a));
    }
    bars
}

/// `GET /web/cost?from=&to=`: both blank is all to date.
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
    let day = today(&set);
    let bars = chart_bars(&report, lang, range);
    let over = report.codes.iter().filter(|r| r.actual > r.budget && !kids_of(&report, &r.code)).count();
    let over_note = match over {
        0 => lang.t("dash_codes_over_none").to_string(),
        1 => lang.t("dash_codes_over_one").to_string(),
        n => fill(lang.t("dash_codes_over"), n),
    };
    let page = CostPage {
        export_query: range_query(range),
        presets: cost_presets("/web/cost", range, day, lang),
        cards: cost_cards(&report.totals, cur, lang, over_note),
        has_chart: !bars.is_empty(),
        chart: svg::budget_bars(&bars, lang.t("dash_chart_title")),
        from: range.from.map(|d| d.to_string()).unwrap_or_default(),
        to: range.to.unwrap_or(day).to_string(),
        lines: report.codes.iter().map(|r| cost_line(r, cur, lang, range)).collect(),
        totals: cost_line(&report.totals, cur, lang, range),
        others: report.other_currencies.iter().map(|o| money_code(o.actual, &o.currency, lang)).collect(),
        no_ev: lang.t("dash_no_ev"),
        c,
    };
    render(&page)
}

/// Whether `code` has codes under it in the report.
fn kids_of(report: &cost::CostReport, code: &str) -> bool {
    report.codes.iter().any(|r| r.parent.as_deref() == Some(code))
}

pub struct ActivityLine {
    pub id: String,
    pub name: String,
    pub window: String,
    pub cost_code: String,
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

/// The project's forecast in words (issue 22): cost at completion against budget, the finish date
/// against the plan. `class`: `good` or `bad`.
pub struct ForecastWords {
    pub cost: String,
    pub cost_class: &'static str,
    pub finish: String,
    pub finish_class: &'static str,
    pub tcpi: String,
}

/// One cost code's forecast (the activities under it, rolled up).
pub struct CodeForecastLine {
    pub code: String,
    pub name: String,
    pub bac: String,
    pub eac: String,
    pub vac: String,
    pub vac_class: &'static str,
    pub spi_t: String,
    pub spi_t_class: &'static str,
    pub planned_finish: String,
    pub forecast_finish: String,
    pub finish_class: &'static str,
}

fn fill_all(template: &str, pairs: &[(&str, String)]) -> String {
    pairs.iter().fold(template.to_string(), |s, (k, v)| s.replace(k, v))
}

/// Days as people write them: whole days without decimals, else one decimal.
pub(super) fn days_text(d: Decimal) -> String {
    d.abs().round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero).normalize().to_string()
}

/// The totals' forecast in a site manager's words.
fn forecast_words(t: &schedule::Totals, cur: &str, lang: Lang) -> ForecastWords {
    let m = |d: Decimal| if lang == Lang::ZhCn { money_short(d, cur, lang) } else { money_whole(d, cur, lang) };
    let f = &t.forecast;
    let (cost, cost_class) = match (f.cost.eac_cpi, t.cpi) {
        (Some(e), Some(cpi)) => {
            let gap = if e.vac < Decimal::ZERO {
                fill_all(lang.t("sf_over"), &[("{amount}", m(-e.vac))])
            } else {
                fill_all(lang.t("sf_under"), &[("{amount}", m(e.vac))])
            };
            let text = fill_all(
                lang.t("sf_cost"),
                &[
                    ("{cpi}", ratio(Some(cpi))),
                    ("{eac}", m(e.eac)),
                    ("{bac}", m(t.budget_at_completion)),
                    ("{gap}", gap),
                ],
            );
            (text, if e.vac < Decimal::ZERO { "bad" } else { "good" })
        }
        _ => (lang.t("sf_cost_none").to_string(), ""),
    };
    let sched = f.schedule.as_ref();
    let planned = sched.and_then(|s| {
        let pd = u64::try_from(s.earned.pd.trunc().mantissa()).ok()?;
        s.start.checked_add_days(chrono::Days::new(pd.checked_sub(1)?))
    });
    let (finish, finish_class) = match (sched, planned) {
        (Some(s), Some(p)) => {
            let lag = if s.earned.sv_t < Decimal::ZERO {
                fill_all(lang.t("sf_behind"), &[("{n}", days_text(s.earned.sv_t))])
            } else if s.earned.sv_t > Decimal::ZERO {
                fill_all(lang.t("sf_ahead"), &[("{n}", days_text(s.earned.sv_t))])
            } else {
                lang.t("sf_on_plan").to_string()
            };
            match s.forecast_finish {
                Some(ff) => {
                    let slip = (ff - p).num_days();
                    let when = match slip {
                        n if n > 0 => fill_all(lang.t("sf_days_late"), &[("{n}", n.to_string())]),
                        n if n < 0 => fill_all(lang.t("sf_days_early"), &[("{n}", (-n).to_string())]),
                        _ => lang.t("sf_as_planned").to_string(),
                    };
                    let text = fill_all(
                        lang.t("sf_finish"),
                        &[
                            ("{lag}", lag),
                            ("{spi_t}", ratio(s.earned.spi_t)),
                            ("{forecast}", ff.to_string()),
                            ("{planned}", p.to_string()),
                            ("{when}", when),
                        ],
                    );
                    (text, if slip > 0 { "bad" } else { "good" })
                }
                None => (fill_all(lang.t("sf_finish_none"), &[("{planned}", p.to_string())]), ""),
            }
        }
        _ => (lang.t("sf_no_plan").to_string(), ""),
    };
    let tcpi = match f.cost.tcpi {
        Some(x) if x > Decimal::ONE => fill_all(lang.t("sf_tcpi_hard"), &[("{tcpi}", ratio(Some(x)))]),
        Some(x) => fill_all(lang.t("sf_tcpi_room"), &[("{tcpi}", ratio(Some(x)))]),
        None => lang.t("sf_tcpi_spent").to_string(),
    };
    ForecastWords { cost, cost_class, finish, finish_class, tcpi }
}

fn code_forecast_line(r: &schedule::CodeRow, cur: &str, lang: Lang) -> CodeForecastLine {
    let m = |d: Decimal| money_whole(d, cur, lang);
    let e = r.forecast.cost.eac_cpi;
    let s = r.forecast.schedule.as_ref();
    let ff = s.and_then(|s| s.forecast_finish);
    CodeForecastLine {
        code: r.cost_code.clone().unwrap_or_default(),
        name: if r.cost_code.is_none() { lang.t("dash_gantt_no_code").to_string() } else { r.name.clone() },
        bac: m(r.budget_at_completion),
        eac: e.map(|e| m(e.eac)).unwrap_or_else(|| "—".into()),
        vac: e.map(|e| m(e.vac)).unwrap_or_else(|| "—".into()),
        vac_class: e.map_or("", |e| sign_class(e.vac)),
        spi_t: ratio(s.and_then(|s| s.earned.spi_t)),
        spi_t_class: index_class(s.and_then(|s| s.earned.spi_t)),
        planned_finish: r.planned_finish.to_string(),
        forecast_finish: ff.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
        finish_class: match ff {
            Some(d) if d > r.planned_finish => "bad",
            Some(_) => "good",
            None => "",
        },
    }
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    /// The burn-down's title: planned value, or the quantity still to install.
    burn_title: String,
    /// The quantity's unit ('' = the burn-down is of planned value).
    burn_unit: String,
    forecast: ForecastWords,
    code_forecasts: Vec<CodeForecastLine>,
    c: Chrome,
    at: String,
    presets: Vec<Preset>,
    cards: Vec<Card>,
    lines: Vec<ActivityLine>,
    totals: ActivityLine,
    unassigned: String,
    chart: String,
    has_curve: bool,
    gantt: String,
    zoom: &'static str,
    late_count: usize,
    burndown: String,
    /// The project's open risks (counts by level, the worst five).
    risks: crate::web::risks::Panel,
}

/// `GET /web/schedule?at=`: `at` (the status date) blank is today where the project works.
pub async fn schedule(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Html<String>, WebError> {
    let q = query(q)?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let day = today(&set);
    let at = q.at()?.unwrap_or(day);
    let report = schedule::report(&state.db, &set, at).await?;
    let c = Chrome::new(Some(&s), &headers, &uri, "schedule", "schedule_title");
    let lang = c.lang;
    let cur = report.currency;
    let m = |d: Decimal| money_whole(d, cur, lang);
    let line =
        |id: &str, name: &str, window: String, cost_code: String, a: Option<&schedule::ActivityRow>, t: Figures| {
            let (cpi, cpi_class) = cpi_text(t.ev, t.cpi);
            ActivityLine {
                id: id.to_string(),
                name: name.to_string(),
                window,
                cost_code,
                bac: m(t.bac),
                planned: a.map(|a| percent(Some(a.planned_percent))).unwrap_or_default(),
                actual: a.map(|a| percent(a.actual_percent)).unwrap_or_default(),
                behind: a.is_some_and(|a| a.actual_percent.unwrap_or_default() < a.planned_percent),
                pv: m(t.pv),
                ev: m(t.ev),
                ac: m(t.ac),
                sv: m(t.ev - t.pv),
                sv_class: sign_class(t.ev - t.pv),
                spi: ratio(t.spi),
                spi_class: index_class(t.spi),
                cpi,
                cpi_class,
            }
        };
    let lines = report
        .activities
        .iter()
        .map(|a| {
            let window = format!("{} – {}", a.planned_start, a.planned_finish);
            let f = Figures { bac: a.budget_at_completion, pv: a.pv, ev: a.ev, ac: a.ac, spi: a.spi, cpi: a.cpi };
            line(&a.id, &a.name, window, a.cost_code.clone().unwrap_or_default(), Some(a), f)
        })
        .collect();
    let t = &report.totals;
    let tf = Figures { bac: t.budget_at_completion, pv: t.pv, ev: t.ev, ac: t.ac, spi: t.spi, cpi: t.cpi };
    let totals = line("", lang.t("total"), String::new(), String::new(), None, tf);
    // Cards: 万 in Chinese; whole units in English (earned value is an estimate).
    let short = |d: Decimal| if lang == Lang::ZhCn { money_short(d, cur, lang) } else { m(d) };
    let (cpi, cpi_class) = cpi_text(t.ev, t.cpi);
    let card = |id, label, value, class| Card { id, label, value, class, note: String::new() };
    let cards = vec![
        card("card-pv", lang.t("dash_pv_long"), short(t.pv), ""),
        card("card-ev", lang.t("dash_ev_long"), short(t.ev), ""),
        card("card-ac", lang.t("dash_ac_long"), short(t.ac), ""),
        card("card-sv", lang.t("dash_sv_long"), short(t.sv), sign_class(t.sv)),
        card("card-spi", lang.t("dash_spi_long"), ratio(t.spi), index_class(t.spi)),
        card("card-cpi", lang.t("dash_cpi_long"), cpi, cpi_class),
    ];
    let points: Vec<svg::CurvePoint> =
        report.s_curve.iter().map(|p| svg::CurvePoint { date: p.date, pv: p.pv, ev: p.ev, ac: p.ac }).collect();
    let marker = if at == day {
        format!("{} {}", lang.t("dash_today"), at.format("%m-%d"))
    } else {
        format!("{} {at}", lang.t("dash_status_date"))
    };
    let text = svg::CurveText { title: lang.t("dash_curve_title"), marker: &marker, lang };
    let last_month_end = month_start(day).pred_opt().unwrap_or(day);
    let presets = vec![
        Preset { id: "preset-today", label: lang.t("dash_today"), href: "/web/schedule".into(), on: at == day },
        Preset {
            id: "preset-month-end",
            label: lang.t("dash_month_end"),
            href: format!("/web/schedule?at={last_month_end}"),
            on: at == last_month_end,
        },
    ];
    let zoom_asked = uri.query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("zoom=")));
    let rows: Vec<gantt::GanttRow> = report
        .activities
        .iter()
        .map(|a| gantt::GanttRow {
            id: a.id.clone(),
            name: a.name.clone(),
            code: a.cost_code.clone().unwrap_or_default(),
            start: a.planned_start,
            finish: a.planned_finish,
            planned: a.planned_percent,
            actual: a.actual_percent,
        })
        .collect();
    let first = rows.iter().map(|r| r.start).min().unwrap_or(at);
    let last = rows.iter().map(|r| r.finish).max().unwrap_or(at);
    let zoom = gantt::Zoom::pick(zoom_asked, first.min(at), last.max(at));
    let groups: Vec<(String, String)> =
        set.cost_codes.iter().map(|c| (c.code.clone(), format!("{} {}", c.code, c.name))).collect();
    let gantt_text = gantt::GanttText {
        title: lang.t("dash_gantt_title"),
        marker: &marker,
        no_code: lang.t("dash_gantt_no_code"),
        late: lang.t("dash_gantt_late"),
        lang,
    };
    // Burn-down: what is left of the budget by the plan (the ideal line) and by the work earned.
    let bac = t.budget_at_completion;
    let left: Vec<svg::CurvePoint> = points
        .iter()
        .map(|p| svg::CurvePoint { date: p.date, pv: bac - p.pv, ev: p.ev.map(|e| bac - e), ac: None })
        .collect();
    // By quantity where the activities count one (issue 22): what is left to install.
    let (left, burn_title, burn_unit) = match &report.quantity_burn {
        Some(q) => (
            q.points
                .iter()
                .map(|p| svg::CurvePoint { date: p.date, pv: p.planned_left, ev: p.left, ac: None })
                .collect(),
            lang.t("sf_burn_qty_title").replace("{unit}", &q.unit),
            q.unit.clone(),
        ),
        None => (left, lang.t("dash_burn_title").to_string(), String::new()),
    };
    let burn_text = svg::CurveText { title: &burn_title, marker: &marker, lang };
    let page = SchedulePage {
        forecast: forecast_words(t, cur, lang),
        code_forecasts: report.cost_codes.iter().map(|r| code_forecast_line(r, cur, lang)).collect(),
        late_count: rows.iter().filter(|r| r.late()).count(),
        gantt: if rows.is_empty() { String::new() } else { gantt::gantt(&rows, &groups, at, zoom, &gantt_text) },
        zoom: zoom.as_str(),
        burndown: svg::s_curve(&left, at, &burn_text),
        burn_title,
        burn_unit,
        has_curve: !points.is_empty(),
        chart: svg::s_curve(&points, at, &text),
        at: at.to_string(),
        presets,
        cards,
        lines,
        totals,
        unassigned: if t.unassigned_cost.is_zero() { String::new() } else { money_code(t.unassigned_cost, cur, lang) },
        risks: crate::web::risks::Panel::load(&state.db, &s.grant.project_id, lang).await?,
        c,
    };
    render(&page)
}

/// The earned-value figures of an activity or of the totals.
#[derive(Clone, Copy)]
struct Figures {
    bac: Decimal,
    pv: Decimal,
    ev: Decimal,
    ac: Decimal,
    spi: Option<Decimal>,
    cpi: Option<Decimal>,
}

/// `GET /web/cost/export?format=csv|xlsx&from=&to=`: as `/v1/reports/cost?format=&lang=` in the
/// page's language (headers, file name with the project's name and dates).
pub async fn cost_export(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query(q)?;
    let range = q.range()?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let report = cost::report(&state.db, &set, range).await?;
    let words = export::Words::Lang(Lang::from_headers(&headers));
    Ok(export::download(&report.file_name(words, &set), q.file_format()?, &report.table(words, &set))?)
}

/// `GET /web/schedule/export?format=csv|xlsx&at=`: as `/v1/reports/schedule?format=&lang=` in the
/// page's language.
pub async fn schedule_export(
    s: WebSession,
    State(state): State<AppState>,
    headers: HeaderMap,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    let q = query(q)?;
    let set = crate::reference::store::load(&state.db, &s.grant.project_id).await.map_err(WebError::internal)?;
    let at = q.at()?.unwrap_or_else(|| today(&set));
    // The file holds the activities and totals: no S-curve to compute.
    let report = schedule::report_with(&state.db, &set, at, false).await?;
    let words = export::Words::Lang(Lang::from_headers(&headers));
    Ok(export::download(&report.file_name(words, &set), q.file_format()?, &report.table(words, &set))?)
}
