//! The schedule report: per activity, planned and actual percent complete at a date and the
//! earned-value figures; project totals; S-curve points of PV, EV and AC.
//!
//! * planned % at the end of day `at`: linear over the planned days, start and finish inclusive,
//!   or along the activity's curve (linear between its points) when it has one;
//! * actual %: the approved progress reports (`progress.rs`);
//! * PV = planned % × BAC, EV = actual % × BAC, AC = approved cost posted to the activity up to
//!   `at` (in the project currency); SV = EV − PV, SPI = EV / PV, CPI = EV / AC.
//!   Costs posted without an activity are not any activity's AC: they are reported as
//!   `unassigned_cost` beside the totals.
//! * forecasts (`forecast.rs`, docs/forecasts.md) per activity and for the project: EAC, ETC, VAC,
//!   TCPI from these figures, and earned schedule over daily periods of the planned-value curve
//!   (`planned_percent`), from the first planned day to the last.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::export::{FileName, Words};
use super::forecast::{self, Forecast};
use super::progress::{self, ActivityProgress};
use super::{Cell, ReportError, Table, pct, ratio};
use crate::db::{Db, on_pool};
use crate::ledger::postings::from_minor;
use crate::reference::{Activity, ReferenceSet};

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Planned percent complete of `a` at the end of day `at`.
pub fn planned_percent(a: &Activity, at: NaiveDate) -> Decimal {
    if !a.curve.is_empty() {
        let mut prev: Option<(NaiveDate, Decimal)> = None;
        for &(d, p) in &a.curve {
            if at < d {
                return match prev {
                    None => Decimal::ZERO,
                    Some((pd, pp)) => {
                        let span = Decimal::from((d - pd).num_days());
                        pp + (p - pp) * Decimal::from((at - pd).num_days()) / span
                    }
                };
            }
            prev = Some((d, p));
        }
        return prev.map_or(Decimal::ZERO, |(_, p)| p);
    }
    if at < a.planned_start {
        return Decimal::ZERO;
    }
    if at >= a.planned_finish {
        return HUNDRED;
    }
    let done = (at - a.planned_start).num_days() + 1;
    let total = (a.planned_finish - a.planned_start).num_days() + 1;
    Decimal::from(done) * HUNDRED / Decimal::from(total)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ScheduleActivityRow)]
pub struct ActivityRow {
    pub id: String,
    pub name: String,
    pub cost_code: Option<String>,
    pub planned_start: NaiveDate,
    pub planned_finish: NaiveDate,
    pub budget_at_completion: Decimal,
    pub planned_percent: Decimal,
    /// None: no approved progress report yet (counts as 0 in EV).
    pub actual_percent: Option<Decimal>,
    pub planned_quantity: Option<Decimal>,
    pub installed_quantity: Option<Decimal>,
    pub unit: Option<String>,
    pub pv: Decimal,
    pub ev: Decimal,
    pub ac: Decimal,
    pub sv: Decimal,
    pub spi: Option<Decimal>,
    pub cpi: Option<Decimal>,
    pub forecast: Forecast,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ScheduleTotals)]
pub struct Totals {
    pub budget_at_completion: Decimal,
    pub pv: Decimal,
    pub ev: Decimal,
    pub ac: Decimal,
    pub sv: Decimal,
    pub spi: Option<Decimal>,
    pub cpi: Option<Decimal>,
    /// Approved cost up to `at` posted without an activity.
    pub unassigned_cost: Decimal,
    /// Over the project's PV curve (the sum of the activities'); AC without `unassigned_cost`.
    pub forecast: Forecast,
}

/// The activities of one cost code rolled up, with their forecast: BAC, PV, EV and AC are the sums
/// of the activities', the PV curve the sum of their curves (docs/forecasts.md, "Per cost code").
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = ScheduleCodeRow)]
pub struct CodeRow {
    /// None: activities without a cost code.
    pub cost_code: Option<String>,
    /// The code's name from reference data ('' when unknown or none).
    pub name: String,
    pub activities: usize,
    pub budget_at_completion: Decimal,
    pub pv: Decimal,
    pub ev: Decimal,
    pub ac: Decimal,
    pub sv: Decimal,
    pub spi: Option<Decimal>,
    pub cpi: Option<Decimal>,
    /// The last planned finish of its activities.
    pub planned_finish: NaiveDate,
    pub forecast: Forecast,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SCurvePoint)]
pub struct CurvePoint {
    pub date: NaiveDate,
    pub pv: Decimal,
    /// None after `at` (the future has no earned value yet).
    pub ev: Option<Decimal>,
    pub ac: Option<Decimal>,
}

/// The burn-down by quantity (issue 22): over the activities that have a planned quantity, when
/// they all count in one unit; none otherwise (the screen burns down planned value instead).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuantityBurn {
    pub unit: String,
    /// The activities counted.
    pub activities: usize,
    /// Their planned quantities summed.
    pub planned_total: Decimal,
    /// At each S-curve date: what the plan leaves to install, and (up to `at`) what is left by the
    /// progress reports (each activity's planned quantity × (1 − actual %), as its earned value).
    pub points: Vec<QuantityPoint>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuantityPoint {
    pub date: NaiveDate,
    pub planned_left: Decimal,
    pub left: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScheduleReport {
    pub project_id: String,
    pub currency: &'static str,
    pub at: NaiveDate,
    pub activities: Vec<ActivityRow>,
    pub totals: Totals,
    /// Forecasts per cost code, by code (activities without one last).
    pub cost_codes: Vec<CodeRow>,
    pub s_curve: Vec<CurvePoint>,
    /// None without quantities in one unit (or without the curve).
    pub quantity_burn: Option<QuantityBurn>,
}

/// Net cost of an activity ('' = none) on a day, from `ledger_totals`.
#[derive(sqlx::FromRow)]
struct DayCost {
    item: String,
    period: String,
    amount_minor: i64,
}

/// Cumulative AC by activity ('' = none) and date, up to `until`.
async fn costs(
    db: &Db,
    set: &ReferenceSet,
    until: NaiveDate,
) -> Result<Vec<(String, NaiveDate, Decimal)>, ReportError> {
    let rows: Vec<DayCost> = on_pool!(db, |p| sqlx::query_as(
        "SELECT item, period, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor FROM ledger_totals \
         WHERE project_id = $1 AND dimension = 'activity' AND grain = 'day' AND currency = $2 AND period <= $3 \
         GROUP BY item, period ORDER BY period"
    )
    .bind(&set.project.id)
    .bind(set.project.currency.code())
    .bind(until.to_string())
    .fetch_all(p)
    .await?);
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((r.item, r.period.parse().ok()?, from_minor(r.amount_minor, set.project.currency))))
        .collect())
}

/// AC by activity ('' = none) up to `until`, dated `until` (the report without its curve).
async fn cost_to_date(
    db: &Db,
    set: &ReferenceSet,
    until: NaiveDate,
) -> Result<Vec<(String, NaiveDate, Decimal)>, ReportError> {
    let rows: Vec<(String, i64)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT item, CAST(SUM(amount_minor) AS BIGINT) FROM ledger_totals \
         WHERE project_id = $1 AND dimension = 'activity' AND grain = 'day' AND currency = $2 AND period <= $3 \
         GROUP BY item"
    )
    .bind(&set.project.id)
    .bind(set.project.currency.code())
    .bind(until.to_string())
    .fetch_all(p)
    .await?);
    Ok(rows.into_iter().map(|(item, m)| (item, until, from_minor(m, set.project.currency))).collect())
}

fn earned(a: &Activity, progress: Option<&ActivityProgress>, at: NaiveDate) -> (Option<Decimal>, Decimal) {
    let actual = progress.and_then(|p| p.percent_at(at, a.planned_quantity));
    (actual, actual.unwrap_or_default() * a.budget / HUNDRED)
}

/// Most points of an S-curve, whatever the planned dates (monthly points over 33 years).
pub const MAX_CURVE_POINTS: u64 = 400;

/// Dates of the S-curve: every 7 days (every 30 past two years; further apart past
/// `MAX_CURVE_POINTS`) from the earliest planned start to the later of the last planned finish
/// and `at`, with `at` itself.
fn curve_dates(set: &ReferenceSet, at: NaiveDate) -> Vec<NaiveDate> {
    let Some(start) = set.activities.iter().map(|a| a.planned_start).min() else { return vec![at] };
    let end = set.activities.iter().map(|a| a.planned_finish).max().unwrap_or(at).max(at);
    let span = u64::try_from((end - start).num_days()).unwrap_or(0);
    // Steps of the span, its end and `at`: at most MAX_CURVE_POINTS.
    let step = (if span > 730 { 30 } else { 7 }).max(span.div_ceil(MAX_CURVE_POINTS - 2));
    let mut out = Vec::new();
    let mut d = start;
    while d < end {
        out.push(d);
        d = d.checked_add_days(Days::new(step)).unwrap_or(end);
    }
    out.push(end);
    if !out.contains(&at) {
        out.push(at);
        out.sort();
    }
    out
}

/// The days an activity's plan spans: its planned dates, widened to its curve's points.
fn plan_span(a: &Activity) -> (NaiveDate, NaiveDate) {
    let first = a.curve.first().map_or(a.planned_start, |&(d, _)| d.min(a.planned_start));
    let last = a.curve.last().map_or(a.planned_finish, |&(d, _)| d.max(a.planned_finish));
    (first, last)
}

/// Per cost code: the activities' figures summed and their forecast over the sum of their curves.
fn by_cost_code(set: &ReferenceSet, activities: &[ActivityRow], at: NaiveDate) -> Vec<CodeRow> {
    let cur = set.project.currency;
    let mut groups: std::collections::BTreeMap<Option<&str>, Vec<usize>> = Default::default();
    for (i, a) in set.activities.iter().enumerate() {
        groups.entry(a.cost_code.as_deref()).or_default().push(i);
    }
    let mut out: Vec<CodeRow> = groups
        .into_iter()
        .map(|(code, idx)| {
            let sum = |f: fn(&ActivityRow) -> Decimal| idx.iter().map(|&i| f(&activities[i])).sum::<Decimal>();
            let (bac, pv, ev, ac) = (sum(|r| r.budget_at_completion), sum(|r| r.pv), sum(|r| r.ev), sum(|r| r.ac));
            let acts: Vec<&Activity> = idx.iter().map(|&i| &set.activities[i]).collect();
            let spans: Vec<_> = acts.iter().map(|a| plan_span(a)).collect();
            let span = (spans.iter().map(|s| s.0).min().unwrap_or(at), spans.iter().map(|s| s.1).max().unwrap_or(at));
            let forecast = forecast::daily(bac, pv, ev, ac, cur, span, at, |d| {
                acts.iter().map(|a| planned_percent(a, d) * a.budget / HUNDRED).sum()
            });
            CodeRow {
                cost_code: code.map(str::to_string),
                name: code
                    .and_then(|c| set.cost_codes.iter().find(|x| x.code == c))
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                activities: idx.len(),
                budget_at_completion: bac,
                pv,
                ev,
                ac,
                sv: ev - pv,
                spi: ratio(ev, pv),
                cpi: ratio(ev, ac),
                planned_finish: acts.iter().map(|a| a.planned_finish).max().unwrap_or(at),
                forecast,
            }
        })
        .collect();
    // Activities without a code last.
    out.sort_by(|a, b| (a.cost_code.is_none(), &a.cost_code).cmp(&(b.cost_code.is_none(), &b.cost_code)));
    out
}

/// Remaining quantity by the plan and by the progress reports at `dates`, over the activities with a
/// planned quantity, if they share one unit.
fn quantity_burn(
    set: &ReferenceSet,
    progress: &HashMap<String, ActivityProgress>,
    dates: &[NaiveDate],
    at: NaiveDate,
) -> Option<QuantityBurn> {
    let counted: Vec<(&Activity, Decimal)> = set
        .activities
        .iter()
        .filter_map(|a| a.planned_quantity.filter(|q| *q > Decimal::ZERO).map(|q| (a, q)))
        .collect();
    let unit = counted.first()?.0.unit.clone().unwrap_or_default();
    if dates.is_empty() || counted.iter().any(|(a, _)| a.unit.clone().unwrap_or_default() != unit) {
        return None;
    }
    let total: Decimal = counted.iter().map(|(_, q)| *q).sum();
    let points = dates
        .iter()
        .map(|&d| {
            let planned: Decimal = counted.iter().map(|(a, q)| planned_percent(a, d) * *q / HUNDRED).sum();
            let left = (d <= at).then(|| {
                let done: Decimal = counted
                    .iter()
                    .map(|(a, q)| {
                        let pct = progress.get(&a.id).and_then(|p| p.percent_at(d, Some(*q))).unwrap_or_default();
                        pct.min(HUNDRED) * *q / HUNDRED
                    })
                    .sum();
                total - done
            });
            QuantityPoint { date: d, planned_left: total - planned, left }
        })
        .collect();
    Some(QuantityBurn { unit, activities: counted.len(), planned_total: total, points })
}

/// The schedule report at the end of day `at`, with its S-curve.
pub async fn report(db: &Db, set: &ReferenceSet, at: NaiveDate) -> Result<ScheduleReport, ReportError> {
    report_with(db, set, at, true).await
}

/// The report; without `curve`, no S-curve points (the portfolio needs only the totals).
pub async fn report_with(
    db: &Db,
    set: &ReferenceSet,
    at: NaiveDate,
    curve: bool,
) -> Result<ScheduleReport, ReportError> {
    let cur = set.project.currency;
    let round = |d: Decimal| cur.round(d);
    let progress = progress::load(db, &set.project.id, at).await?;
    // Without the curve, AC by activity only (one row each, not one per activity and day).
    let costs = if curve { costs(db, set, at).await? } else { cost_to_date(db, set, at).await? };
    let mut ac_by: HashMap<&str, Decimal> = HashMap::new();
    for (a, _, m) in &costs {
        *ac_by.entry(a.as_str()).or_default() += *m;
    }
    let mut activities = Vec::with_capacity(set.activities.len());
    for a in &set.activities {
        let p = progress.get(&a.id);
        let planned = planned_percent(a, at);
        let (actual, ev) = earned(a, p, at);
        let pv = planned * a.budget / HUNDRED;
        let ac = ac_by.get(a.id.as_str()).copied().unwrap_or_default();
        let (pv, ev) = (round(pv), round(ev));
        let forecast = forecast::daily(a.budget, pv, ev, ac, cur, plan_span(a), at, |d| {
            planned_percent(a, d) * a.budget / HUNDRED
        });
        activities.push(ActivityRow {
            id: a.id.clone(),
            name: a.name.clone(),
            cost_code: a.cost_code.clone(),
            planned_start: a.planned_start,
            planned_finish: a.planned_finish,
            budget_at_completion: a.budget,
            planned_percent: pct(planned),
            actual_percent: actual.map(pct),
            planned_quantity: a.planned_quantity,
            installed_quantity: p.filter(|p| !p.quantities.is_empty()).map(|p| p.installed(at)),
            unit: a.unit.clone(),
            pv,
            ev,
            ac,
            sv: ev - pv,
            spi: ratio(ev, pv),
            cpi: ratio(ev, ac),
            forecast,
        });
    }
    let sum = |f: fn(&ActivityRow) -> Decimal| activities.iter().map(f).sum::<Decimal>();
    let (pv, ev, ac) = (sum(|r| r.pv), sum(|r| r.ev), sum(|r| r.ac));
    let known: std::collections::HashSet<&str> = set.activities.iter().map(|a| a.id.as_str()).collect();
    let unassigned_cost = ac_by.iter().filter(|(a, _)| !known.contains(**a)).map(|(_, m)| *m).sum();
    let bac = sum(|r| r.budget_at_completion);
    let spans: Vec<_> = set.activities.iter().map(plan_span).collect();
    let plan = spans.iter().map(|s| s.0).min().zip(spans.iter().map(|s| s.1).max());
    let forecast = match plan {
        Some(span) => forecast::daily(bac, pv, ev, ac, cur, span, at, |d| {
            set.activities.iter().map(|a| planned_percent(a, d) * a.budget / HUNDRED).sum()
        }),
        None => Forecast { cost: forecast::cost(bac, pv, ev, ac, cur), schedule: None },
    };
    let totals = Totals {
        budget_at_completion: bac,
        pv,
        ev,
        ac,
        sv: ev - pv,
        spi: ratio(ev, pv),
        cpi: ratio(ev, ac),
        unassigned_cost,
        forecast,
    };
    let cost_codes = if curve { by_cost_code(set, &activities, at) } else { Vec::new() };
    let dates = if curve { curve_dates(set, at) } else { Vec::new() };
    let quantity_burn = quantity_burn(set, &progress, &dates, at);
    let s_curve = dates
        .into_iter()
        .map(|d| {
            let pv = set.activities.iter().map(|a| planned_percent(a, d) * a.budget / HUNDRED).sum();
            let past = d <= at;
            let ev = past.then(|| set.activities.iter().map(|a| earned(a, progress.get(&a.id), d).1).sum());
            let ac = past.then(|| {
                costs.iter().filter(|(a, day, _)| *day <= d && known.contains(a.as_str())).map(|(_, _, m)| *m).sum()
            });
            CurvePoint { date: d, pv: round(pv), ev: ev.map(round), ac }
        })
        .collect();
    Ok(ScheduleReport {
        project_id: set.project.id.clone(),
        currency: cur.code(),
        at,
        activities,
        totals,
        cost_codes,
        s_curve,
        quantity_burn,
    })
}

/// The forecast columns of the export: EAC by the CPI method with its ETC and VAC, TCPI, and the
/// earned schedule's SV(t), SPI(t) and forecast finish (empty where the JSON has null).
fn forecast_cells(f: &Forecast, dp: u32) -> [Cell; 7] {
    let e = f.cost.eac_cpi;
    let s = f.schedule.as_ref();
    [
        Cell::opt(e.map(|e| e.eac), dp),
        Cell::opt(e.map(|e| e.etc), dp),
        Cell::opt(e.map(|e| e.vac), dp),
        Cell::opt(f.cost.tcpi, forecast::INDEX_DP),
        Cell::opt(s.map(|s| s.earned.sv_t), forecast::DURATION_DP),
        Cell::opt(s.and_then(|s| s.earned.spi_t), forecast::INDEX_DP),
        s.and_then(|s| s.forecast_finish).map_or(Cell::Empty, |d| Cell::Date(d, "yyyy-mm-dd")),
    ]
}

impl ScheduleReport {
    /// The report as a file: one row per activity (planned dates as date cells), then the total.
    pub fn table(&self, words: Words, set: &ReferenceSet) -> Table {
        let dp = crate::reports::cost::scale(self.currency);
        let day = |d: NaiveDate| Cell::Date(d, "yyyy-mm-dd");
        let mut rows: Vec<Vec<Cell>> = self
            .activities
            .iter()
            .map(|r| {
                let mut row = vec![
                    Cell::text(&r.id),
                    Cell::text(&r.name),
                    day(r.planned_start),
                    day(r.planned_finish),
                    Cell::Number(r.budget_at_completion, dp),
                    Cell::Number(r.planned_percent, 2),
                    Cell::opt(r.actual_percent, 2),
                    Cell::Number(r.pv, dp),
                    Cell::Number(r.ev, dp),
                    Cell::Number(r.ac, dp),
                    Cell::Number(r.sv, dp),
                    Cell::opt(r.spi, 3),
                    Cell::opt(r.cpi, 3),
                ];
                row.extend(forecast_cells(&r.forecast, dp));
                row
            })
            .collect();
        let t = &self.totals;
        rows.push(vec![
            Cell::text(words.head("TOTAL", "total")),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Number(t.budget_at_completion, dp),
            Cell::Empty,
            Cell::Empty,
            Cell::Number(t.pv, dp),
            Cell::Number(t.ev, dp),
            Cell::Number(t.ac, dp),
            Cell::Number(t.sv, dp),
            Cell::opt(t.spi, 3),
            Cell::opt(t.cpi, 3),
        ]);
        if let Some(total) = rows.last_mut() {
            total.extend(forecast_cells(&t.forecast, dp));
        }
        let h = |k, l| words.head(k, l);
        let columns = vec![
            h("activity", "lab_x_activity_id"),
            h("name", "lab_x_name"),
            h("planned_start", "lab_x_start"),
            h("planned_finish", "lab_x_finish"),
            h("bac", "lab_x_bac"),
            h("planned_pct", "lab_x_planned_pct"),
            h("actual_pct", "lab_x_actual_pct"),
            h("pv", "lab_x_pv"),
            h("ev", "lab_x_earned"),
            h("ac", "lab_x_ac"),
            h("sv", "lab_x_sv"),
            h("spi", "lab_x_spi"),
            h("cpi", "lab_x_cpi"),
            h("eac", "lab_x_eac"),
            h("etc", "lab_x_etc"),
            h("vac", "lab_x_vac"),
            h("tcpi", "lab_x_tcpi"),
            h("sv_t", "lab_x_sv_t"),
            h("spi_t", "lab_x_spi_t"),
            h("forecast_finish", "lab_x_forecast_finish"),
        ];
        match words {
            Words::Keys => Table {
                sheet: format!("Schedule {} at {}", self.project_id, self.at),
                title: format!("Schedule {} at {}", self.project_id, self.at),
                columns,
                rows,
            },
            Words::Lang(l) => Table {
                sheet: format!("{} {}", l.t("lab_sheet_schedule"), self.at),
                title: format!(
                    "{} · {} · {} {} · {}",
                    l.t("schedule_title"),
                    set.project.name,
                    l.t("lab_as_of"),
                    self.at,
                    self.currency
                ),
                columns,
                rows,
            },
        }
    }

    /// The file name of the export: `进度与挣值_一号楼_2026-11-20` (`schedule-P1-2026-11-20` for the
    /// API's keys).
    pub fn file_name(&self, words: Words, set: &ReferenceSet) -> FileName {
        match words {
            Words::Keys => FileName::plain(&format!("schedule-{}-{}", self.project_id, self.at)),
            Words::Lang(l) => FileName::new(
                &[l.t("lab_file_schedule"), &set.project.name, &self.at.to_string()],
                &["schedule", &self.project_id, &self.at.to_string()],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn act(start: &str, finish: &str, curve: &[(&str, i64)]) -> Activity {
        Activity {
            id: "A".into(),
            name: "A".into(),
            cost_code: None,
            planned_start: start.parse().expect("d"),
            planned_finish: finish.parse().expect("d"),
            budget: Decimal::from(1000),
            planned_quantity: None,
            unit: None,
            curve: curve.iter().map(|(d, p)| (d.parse().expect("d"), Decimal::from(*p))).collect(),
        }
    }

    #[test]
    fn linear_over_inclusive_days() {
        let a = act("2026-03-01", "2026-03-10", &[]);
        let at = |s: &str| planned_percent(&a, s.parse().expect("d"));
        assert_eq!(at("2026-02-28"), Decimal::ZERO);
        assert_eq!(at("2026-03-01"), Decimal::from(10));
        assert_eq!(at("2026-03-05"), Decimal::from(50));
        assert_eq!(at("2026-03-10"), HUNDRED);
    }

    #[test]
    fn burn_down_by_quantity_in_one_unit() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("d");
        let mut a = act("2026-03-01", "2026-03-10", &[]);
        (a.planned_quantity, a.unit) = (Some(Decimal::from(200)), Some("m3".into()));
        let mut b = act("2026-03-06", "2026-03-15", &[]);
        (b.id, b.planned_quantity, b.unit) = ("B".into(), Some(Decimal::from(100)), Some("m3".into()));
        let c = act("2026-03-01", "2026-03-31", &[]);
        let mut set = ReferenceSet::empty("P");
        set.activities = vec![a, b, c];
        // A: 120 of 200 m3 installed by 5 March; B: reported 10% on 8 March.
        let mut progress = HashMap::new();
        progress.insert(
            "A".to_string(),
            ActivityProgress {
                percents: vec![],
                quantities: vec![(d("2026-03-03"), Decimal::from(50)), (d("2026-03-05"), Decimal::from(70))],
            },
        );
        progress.insert(
            "B".to_string(),
            ActivityProgress { percents: vec![(d("2026-03-08"), Decimal::from(10))], quantities: vec![] },
        );
        let dates = [d("2026-03-01"), d("2026-03-05"), d("2026-03-10"), d("2026-03-15")];
        let q = quantity_burn(&set, &progress, &dates, d("2026-03-10")).expect("one unit");
        assert_eq!((q.unit.as_str(), q.activities, q.planned_total), ("m3", 2, Decimal::from(300)));
        // 5 March: the plan installed 5/10 of A (100) and nothing of B; the reports 120 of A.
        assert_eq!((q.points[1].planned_left, q.points[1].left), (Decimal::from(200), Some(Decimal::from(180))));
        // 10 March: plan A 200 + B 5/10 × 100; reports A 120 + B 10 m3. After the status date: none.
        assert_eq!((q.points[2].planned_left, q.points[2].left), (Decimal::from(50), Some(Decimal::from(170))));
        assert_eq!((q.points[3].planned_left, q.points[3].left), (Decimal::ZERO, None));
        // Two units: no quantity burn-down (planned value instead).
        set.activities[1].unit = Some("t".into());
        assert!(quantity_burn(&set, &progress, &dates, d("2026-03-10")).is_none());
    }

    #[test]
    fn along_a_curve() {
        let a = act("2026-03-01", "2026-03-31", &[("2026-03-01", 0), ("2026-03-11", 60), ("2026-03-31", 100)]);
        let at = |s: &str| planned_percent(&a, s.parse().expect("d"));
        assert_eq!(at("2026-02-01"), Decimal::ZERO);
        assert_eq!(at("2026-03-06"), Decimal::from(30));
        assert_eq!(at("2026-03-21"), Decimal::from(80));
        assert_eq!(at("2026-05-01"), HUNDRED);
    }
}
