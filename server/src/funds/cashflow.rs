//! Cash flow per project and month (issue 21): planned spend, approved cost and paid, each with
//! its cumulative from the project's start; payables outstanding by age; a company view summing
//! projects. No personal data: supervisors read it too.
//!
//! * **Planned spend**: budgets phased by the schedule's planned values (`reports::schedule::
//!   planned_percent`, the S-curve's PV). A cost code's own budget follows the planned percent of
//!   its activities weighted by their budgets (a code of 110 000 over activities of 100 000 plans
//!   110 000 along their PV). A code with a budget and no activity (site set-up, safety) is spread
//!   evenly over the project's planned span (earliest start to latest finish), reported as
//!   `spread_budget`; without any activity there is no span and the budget is `unphased_budget`.
//!   Activities on no code, on an unknown code or on a code of budget 0 plan their own budget.
//!   Cumulative planned spend is rounded to the currency at each month's end and a month is the
//!   difference, so months always sum to the cumulative.
//! * **Approved**: the cost ledger's month totals (`ledger_totals`, month grain, by cost code) in the
//!   project currency; other currencies are listed apart, not converted.
//! * **Paid**: `funds_payments` of every kind by the month of `paid_on` (cancellations are rows with
//!   the opposite amount, so they count where they are dated).
//! * Months after `as_of`'s month have planned spend only (approved and paid are `null`).
//! * **Payables by age**: vendor and reimbursement entries (`funds_entries`, reversals included)
//!   dated up to `as_of`, less the payments of the same kind to the same payee up to `as_of`,
//!   which settle the oldest first; what is left is aged by work date: 0–30, 31–60, 61–90 and over
//!   90 days. More paid than owed shows as `credit`, never as a negative payable.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::wages::first_day;
use crate::db::{Db, on_pool};
use crate::ledger::postings::from_minor;
use crate::reference::{Activity, ReferenceSet};
use crate::reports::export::{FileName, Words};
use crate::reports::schedule::planned_percent;
use crate::reports::{Cell, ReportError, Table};

/// Most months one report covers (ten years): a typing error must not build a century of rows.
pub const MAX_MONTHS: u32 = 120;
/// Months shown before `as_of` by default when the schedule starts earlier (or has no start).
pub const DEFAULT_MONTHS_BACK: u32 = 11;

/// Age buckets of payables, in days since the work date (upper bounds inclusive; the last open).
pub const AGE_BUCKETS: [(&str, Option<i64>); 4] =
    [("0-30", Some(30)), ("31-60", Some(60)), ("61-90", Some(90)), ("over-90", None)];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CashflowMonth)]
pub struct MonthRow {
    /// First day of the month.
    pub month: NaiveDate,
    pub planned: Decimal,
    /// None after `as_of`'s month.
    pub approved: Option<Decimal>,
    pub paid: Option<Decimal>,
    pub planned_cumulative: Decimal,
    pub approved_cumulative: Option<Decimal>,
    pub paid_cumulative: Option<Decimal>,
}

/// Amounts by age (`AGE_BUCKETS`, in order) and their total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = AgedAmounts)]
pub struct Aged {
    pub days_0_30: Decimal,
    pub days_31_60: Decimal,
    pub days_61_90: Decimal,
    pub over_90: Decimal,
    pub total: Decimal,
}

impl Aged {
    fn add(&mut self, age_days: i64, amount: Decimal) {
        match age_days {
            ..=30 => self.days_0_30 += amount,
            31..=60 => self.days_31_60 += amount,
            61..=90 => self.days_61_90 += amount,
            _ => self.over_90 += amount,
        }
        self.total += amount;
    }

    fn plus(&mut self, o: &Aged) {
        self.days_0_30 += o.days_0_30;
        self.days_31_60 += o.days_31_60;
        self.days_61_90 += o.days_61_90;
        self.over_90 += o.over_90;
        self.total += o.total;
    }

    /// The buckets in `AGE_BUCKETS` order.
    pub fn buckets(&self) -> [Decimal; 4] {
        [self.days_0_30, self.days_31_60, self.days_61_90, self.over_90]
    }
}

/// What one payee is owed (a vendor, or the foreman who paid an expense himself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Payable {
    /// `vendor` or `reimbursement`.
    pub kind: String,
    /// '' when the entry named nobody.
    pub payee: String,
    /// Owed up to `as_of` (net of reversals), paid up to `as_of`, and what is left by age.
    pub owed: Decimal,
    pub paid: Decimal,
    pub outstanding: Aged,
    /// Paid beyond what is owed.
    pub credit: Decimal,
    /// Work date of the oldest entry still unpaid.
    pub oldest_unpaid: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OtherCurrency {
    pub currency: String,
    pub approved: Decimal,
    pub paid: Decimal,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Cashflow {
    pub project_id: String,
    pub project_name: String,
    pub currency: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    /// Cumulative figures at the end of the month before `from`.
    pub opening: Opening,
    pub months: Vec<MonthRow>,
    /// Planned spend up to the end of `as_of` itself (the months hold whole months).
    pub planned_to_date: Decimal,
    /// Every month's planned spend up to the schedule's end: the budget the schedule phases.
    pub planned_at_completion: Decimal,
    /// Budgets of codes without activities, spread evenly over the project's planned span.
    pub spread_budget: Decimal,
    /// Budgets the schedule cannot phase (the project has no activity).
    pub unphased_budget: Decimal,
    pub payables: Vec<Payable>,
    pub payables_total: Aged,
    pub payables_credit: Decimal,
    pub other_currencies: Vec<OtherCurrency>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = CashflowOpening)]
pub struct Opening {
    pub planned: Decimal,
    pub approved: Decimal,
    pub paid: Decimal,
}

fn month_end(first: NaiveDate) -> NaiveDate {
    first.checked_add_months(Months::new(1)).and_then(|n| n.pred_opt()).unwrap_or(first)
}

/// Months from `from` to `to` (first days), inclusive.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = first_day(from);
    while m <= to && out.len() <= MAX_MONTHS as usize {
        out.push(m);
        m = match m.checked_add_months(Months::new(1)) {
            Some(n) => n,
            None => break,
        };
    }
    out
}

/// A month parameter: blank is none; `YYYY-MM` or a date `YYYY-MM-DD` (its month).
pub fn month_param(field: &'static str, v: Option<&str>) -> Result<Option<NaiveDate>, ReportError> {
    let Some(text) = v.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let day = if text.len() == 7 { format!("{text}-01") } else { text.to_string() };
    let parsed = crate::reports::query::date_param(field, Some(day)).map_err(|_| {
        ReportError::BadInput(field, format!("expected a month YYYY-MM (or a date YYYY-MM-DD), got {text:?}"))
    })?;
    Ok(parsed.and_then(|d| d.parse::<NaiveDate>().ok()).map(first_day))
}

/// The months shown when none are asked for: from the schedule's first month (at most
/// `DEFAULT_MONTHS_BACK` before `as_of`'s) to the later of `as_of`'s month and the schedule's last
/// (at most `MAX_MONTHS` in all).
pub fn default_range(set: &ReferenceSet, as_of: NaiveDate) -> (NaiveDate, NaiveDate) {
    let now = first_day(as_of);
    let back = now.checked_sub_months(Months::new(DEFAULT_MONTHS_BACK)).unwrap_or(now);
    let start = set.activities.iter().map(|a| first_day(a.planned_start)).min().unwrap_or(back).max(back).min(now);
    let finish = set.activities.iter().map(|a| first_day(a.planned_finish)).max().unwrap_or(now).max(now);
    let cap = start.checked_add_months(Months::new(MAX_MONTHS - 1)).unwrap_or(finish);
    (start, finish.min(cap))
}

/// The months and day of a report: as asked, else `default_range` as of `as_of` (default: today
/// where the project works). One end given: the other from the defaults, kept in order.
pub fn resolve_range(
    set: &ReferenceSet,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    as_of: Option<NaiveDate>,
) -> Result<(NaiveDate, NaiveDate, NaiveDate), ReportError> {
    let as_of = as_of.unwrap_or_else(|| crate::reports::today(set));
    let (df, dt) = default_range(set, as_of);
    let (from, to) = match (from, to) {
        (Some(f), Some(t)) => (f, t),
        (Some(f), None) => (f, dt.max(f)),
        (None, Some(t)) => (df.min(t), t),
        (None, None) => (df, dt),
    };
    check_range(from, to)?;
    Ok((from, to, as_of))
}

/// Checks an asked range: `to` not before `from`, at most `MAX_MONTHS` months.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), ReportError> {
    if to < from {
        return Err(ReportError::BadInput(
            "to",
            format!("{} is before from {}", to.format("%Y-%m"), from.format("%Y-%m")),
        ));
    }
    let span = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
    if span > MAX_MONTHS as i32 {
        return Err(ReportError::BadInput("to", format!("at most {MAX_MONTHS} months from `from`, asked for {span}")));
    }
    Ok(())
}

/// The schedule's phasing of the budgets: cumulative planned spend at the end of day `d`
/// (unrounded), and the budgets spread evenly or left unphased.
pub struct Phasing<'a> {
    /// (weight, activity): planned spend at `d` = Σ weight × planned % × budget / 100.
    weighted: Vec<(Decimal, &'a Activity)>,
    /// The project's planned span with the spread budget as its own.
    span: Option<Activity>,
    pub spread_budget: Decimal,
    pub unphased_budget: Decimal,
}

impl<'a> Phasing<'a> {
    pub fn new(set: &'a ReferenceSet) -> Self {
        let mut by_code: HashMap<&str, Vec<&Activity>> = HashMap::new();
        let known: HashMap<&str, Decimal> = set.cost_codes.iter().map(|c| (c.code.as_str(), c.budget)).collect();
        let mut weighted = Vec::new();
        for a in &set.activities {
            match a.cost_code.as_deref().filter(|c| known.get(c).is_some_and(|b| !b.is_zero())) {
                Some(code) => by_code.entry(code).or_default().push(a),
                None => weighted.push((Decimal::ONE, a)),
            }
        }
        let mut spread = Decimal::ZERO;
        for c in set.cost_codes.iter().filter(|c| !c.budget.is_zero()) {
            let acts = by_code.get(c.code.as_str()).map(Vec::as_slice).unwrap_or_default();
            let planned: Decimal = acts.iter().map(|a| a.budget).sum();
            if planned.is_zero() {
                spread += c.budget;
            } else {
                // The code's budget along its activities' planned value.
                weighted.extend(acts.iter().map(|a| (c.budget / planned, *a)));
            }
        }
        let start = set.activities.iter().map(|a| a.planned_start).min();
        let finish = set.activities.iter().map(|a| a.planned_finish).max();
        let span = match (start, finish) {
            (Some(s), Some(f)) if !spread.is_zero() => Some(Activity {
                id: String::new(),
                name: String::new(),
                cost_code: None,
                planned_start: s,
                planned_finish: f,
                budget: spread,
                planned_quantity: None,
                unit: None,
                curve: Vec::new(),
            }),
            _ => None,
        };
        let (spread_budget, unphased_budget) =
            if span.is_some() { (spread, Decimal::ZERO) } else { (Decimal::ZERO, spread) };
        Phasing { weighted, span, spread_budget, unphased_budget }
    }

    /// Cumulative planned spend at the end of day `d`, unrounded.
    pub fn at(&self, d: NaiveDate) -> Decimal {
        let pv = |a: &Activity| planned_percent(a, d) * a.budget / Decimal::ONE_HUNDRED;
        self.weighted.iter().map(|(w, a)| *w * pv(a)).sum::<Decimal>() + self.span.as_ref().map_or(Decimal::ZERO, pv)
    }

    /// Planned spend once the schedule is finished.
    pub fn at_completion(&self, set: &ReferenceSet) -> Decimal {
        let last = set.activities.iter().map(|a| a.planned_finish).max();
        last.map_or(Decimal::ZERO, |d| self.at(d))
    }
}

#[derive(sqlx::FromRow)]
struct MonthAmount {
    month: String,
    currency: String,
    amount_minor: i64,
}

#[derive(sqlx::FromRow)]
struct OwedRow {
    kind: String,
    payee: String,
    work_date: String,
    amount_minor: i64,
}

#[derive(sqlx::FromRow)]
struct PaidRow {
    kind: String,
    payee: String,
    amount_minor: i64,
}

fn currency_of(code: &str, fallback: record_schema::Currency) -> record_schema::Currency {
    code.parse().unwrap_or(fallback)
}

/// The cash flow of `set`'s project over the months `from..=to` (first days), as of `as_of`.
pub async fn report(
    db: &Db,
    set: &ReferenceSet,
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
) -> Result<Cashflow, ReportError> {
    let (from, to) = (first_day(from), first_day(to));
    check_range(from, to)?;
    let cur = set.project.currency;
    let project = set.project.id.as_str();
    let last_day = month_end(to).to_string();

    // Approved cost by month (cost-code dimension: every cost posting counts once in it).
    let approved: Vec<MonthAmount> = on_pool!(db, |p| sqlx::query_as(
        "SELECT period AS month, currency, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor FROM ledger_totals \
         WHERE project_id = $1 AND dimension = 'cost_code' AND grain = 'month' AND period <= $2 \
         GROUP BY period, currency"
    )
    .bind(project)
    .bind(&last_day)
    .fetch_all(p)
    .await?);
    // Paid by the month of paid_on.
    let paid: Vec<MonthAmount> = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT substr(paid_on, 1, 7) || '-01' AS month, currency, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor \
         FROM funds_payments WHERE project_id = $1 AND paid_on <= $2 GROUP BY substr(paid_on, 1, 7), currency"
    )
    .bind(project)
    .bind(&last_day)
    .fetch_all(p)
    .await?
    });

    let mut others: BTreeMap<String, OtherCurrency> = BTreeMap::new();
    let mut by_month = |rows: Vec<MonthAmount>, approved: bool| -> BTreeMap<NaiveDate, Decimal> {
        let mut out = BTreeMap::new();
        for r in rows {
            let Ok(m) = r.month.parse::<NaiveDate>() else { continue };
            if r.currency == cur.code() {
                *out.entry(first_day(m)).or_default() += from_minor(r.amount_minor, cur);
            } else {
                let o = others.entry(r.currency.clone()).or_insert_with(|| OtherCurrency {
                    currency: r.currency.clone(),
                    approved: Decimal::ZERO,
                    paid: Decimal::ZERO,
                });
                let amount = from_minor(r.amount_minor, currency_of(&r.currency, cur));
                if approved { o.approved += amount } else { o.paid += amount }
            }
        }
        out
    };
    let approved = by_month(approved, true);
    let paid = by_month(paid, false);

    let phasing = Phasing::new(set);
    let planned_cum = |m: NaiveDate| cur.round(phasing.at(month_end(m)));
    let before = from.pred_opt().unwrap_or(from);
    let sum_before = |map: &BTreeMap<NaiveDate, Decimal>| map.range(..from).map(|(_, v)| *v).sum::<Decimal>();
    let opening =
        Opening { planned: cur.round(phasing.at(before)), approved: sum_before(&approved), paid: sum_before(&paid) };
    let now = first_day(as_of);
    let mut rows = Vec::new();
    let (mut prev_planned, mut app_cum, mut paid_cum) = (opening.planned, opening.approved, opening.paid);
    for m in months(from, to) {
        let planned_cumulative = planned_cum(m);
        let past = m <= now;
        let a = approved.get(&m).copied().unwrap_or_default();
        let p = paid.get(&m).copied().unwrap_or_default();
        app_cum += a;
        paid_cum += p;
        rows.push(MonthRow {
            month: m,
            planned: planned_cumulative - prev_planned,
            approved: past.then_some(a),
            paid: past.then_some(p),
            planned_cumulative,
            approved_cumulative: past.then_some(app_cum),
            paid_cumulative: past.then_some(paid_cum),
        });
        prev_planned = planned_cumulative;
    }

    let (payables, payables_total, payables_credit) = payables(db, project, cur, as_of).await?;
    Ok(Cashflow {
        project_id: set.project.id.clone(),
        project_name: set.project.name.clone(),
        currency: cur.code(),
        from,
        to,
        as_of,
        opening,
        months: rows,
        planned_to_date: cur.round(phasing.at(as_of)),
        planned_at_completion: cur.round(phasing.at_completion(set)),
        spread_budget: phasing.spread_budget,
        unphased_budget: phasing.unphased_budget,
        payables,
        payables_total,
        payables_credit,
        other_currencies: others.into_values().collect(),
    })
}

/// Payables outstanding by age as of `as_of` (module docs), in the project currency; biggest first.
async fn payables(
    db: &Db,
    project: &str,
    cur: record_schema::Currency,
    as_of: NaiveDate,
) -> Result<(Vec<Payable>, Aged, Decimal), ReportError> {
    let day = as_of.to_string();
    let owed: Vec<OwedRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT kind, COALESCE(payee, '') AS payee, work_date, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor \
         FROM funds_entries WHERE project_id = $1 AND kind IN ('vendor', 'reimbursement') AND currency = $2 \
         AND work_date <= $3 GROUP BY kind, COALESCE(payee, ''), work_date ORDER BY work_date"
    )
    .bind(project)
    .bind(cur.code())
    .bind(&day)
    .fetch_all(p)
    .await?);
    let paid: Vec<PaidRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT kind, COALESCE(payee, '') AS payee, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor \
         FROM funds_payments WHERE project_id = $1 AND kind IN ('vendor', 'reimbursement') AND currency = $2 \
         AND paid_on <= $3 GROUP BY kind, COALESCE(payee, '')"
    )
    .bind(project)
    .bind(cur.code())
    .bind(&day)
    .fetch_all(p)
    .await?);
    let mut by_payee: BTreeMap<(String, String), Vec<(NaiveDate, Decimal)>> = BTreeMap::new();
    for r in owed {
        let Ok(d) = r.work_date.parse::<NaiveDate>() else { continue };
        by_payee.entry((r.kind, r.payee)).or_default().push((d, from_minor(r.amount_minor, cur)));
    }
    let mut paid_by: HashMap<(String, String), Decimal> = HashMap::new();
    for r in paid {
        *paid_by.entry((r.kind.clone(), r.payee.clone())).or_default() += from_minor(r.amount_minor, cur);
        by_payee.entry((r.kind, r.payee)).or_default();
    }
    let mut out = Vec::new();
    let (mut total, mut credit_total) = (Aged::default(), Decimal::ZERO);
    for ((kind, payee), days) in by_payee {
        let owed: Decimal = days.iter().map(|(_, a)| *a).sum();
        let paid = paid_by.get(&(kind.clone(), payee.clone())).copied().unwrap_or_default();
        // Payments settle the oldest days first (days come sorted by date).
        let mut left = paid;
        let mut aged = Aged::default();
        let mut oldest = None;
        for (d, amount) in days.into_iter().filter(|(_, a)| *a > Decimal::ZERO) {
            let settled = left.clamp(Decimal::ZERO, amount);
            left -= settled;
            let open = amount - settled;
            if open > Decimal::ZERO {
                oldest = oldest.or(Some(d));
                aged.add((as_of - d).num_days(), open);
            }
        }
        // Net negative days (a reversal dated apart from its posting) and overpayment: the
        // outstanding total is what is owed less paid, never below zero.
        let net = owed - paid;
        let credit = (-net).max(Decimal::ZERO);
        if aged.total != net.max(Decimal::ZERO) {
            // Only when reversals fall on other days than their postings: age what is left by the
            // oldest open day, keeping the total exact.
            let open = net.max(Decimal::ZERO);
            aged = Aged::default();
            if let Some(d) = oldest {
                aged.add((as_of - d).num_days(), open);
            }
        }
        if owed.is_zero() && paid.is_zero() {
            continue;
        }
        total.plus(&aged);
        credit_total += credit;
        out.push(Payable { kind, payee, owed, paid, outstanding: aged, credit, oldest_unpaid: oldest });
    }
    out.sort_by(|a, b| b.outstanding.total.cmp(&a.outstanding.total).then(a.payee.cmp(&b.payee)));
    Ok((out, total, credit_total))
}

/// The cash flow of several projects, summed per currency (projects in different currencies are
/// never added together).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CompanyCashflow)]
pub struct Company {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: NaiveDate,
    pub projects: Vec<ProjectLine>,
    pub totals: Vec<CurrencyTotal>,
}

/// One project's line of the company view: cumulative figures up to `as_of` (planned to the day,
/// approved and paid to the end of its month).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CompanyProjectLine)]
pub struct ProjectLine {
    pub project_id: String,
    pub project_name: String,
    pub currency: &'static str,
    pub planned_cumulative: Decimal,
    pub approved_cumulative: Decimal,
    pub paid_cumulative: Decimal,
    pub planned_at_completion: Decimal,
    pub payables: Aged,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = CompanyCurrencyTotal)]
pub struct CurrencyTotal {
    pub currency: &'static str,
    pub projects: usize,
    pub opening: Opening,
    pub months: Vec<MonthRow>,
    pub planned_to_date: Decimal,
    pub planned_at_completion: Decimal,
    pub payables_total: Aged,
    pub payables_credit: Decimal,
}

impl Cashflow {
    /// Cumulative (planned, approved, paid) at the last month shown (approved and paid up to
    /// `as_of`'s month).
    pub fn cumulative(&self) -> (Decimal, Decimal, Decimal) {
        let last = self.months.last();
        let known = self.months.iter().rev().find(|m| m.approved_cumulative.is_some());
        (
            last.map_or(self.opening.planned, |m| m.planned_cumulative),
            known.and_then(|m| m.approved_cumulative).unwrap_or(self.opening.approved),
            known.and_then(|m| m.paid_cumulative).unwrap_or(self.opening.paid),
        )
    }
}

/// Sums projects' reports (each over the same months) into the company view.
pub fn company(reports: &[Cashflow], from: NaiveDate, to: NaiveDate, as_of: NaiveDate) -> Company {
    let mut projects = Vec::new();
    let mut totals: BTreeMap<&'static str, CurrencyTotal> = BTreeMap::new();
    for r in reports {
        let (_, approved, paid) = r.cumulative();
        let planned = r.planned_to_date;
        projects.push(ProjectLine {
            project_id: r.project_id.clone(),
            project_name: r.project_name.clone(),
            currency: r.currency,
            planned_cumulative: planned,
            approved_cumulative: approved,
            paid_cumulative: paid,
            planned_at_completion: r.planned_at_completion,
            payables: r.payables_total,
        });
        let t = totals.entry(r.currency).or_insert_with(|| CurrencyTotal {
            currency: r.currency,
            projects: 0,
            opening: Opening::default(),
            months: r
                .months
                .iter()
                .map(|m| MonthRow {
                    month: m.month,
                    planned: Decimal::ZERO,
                    approved: m.approved.map(|_| Decimal::ZERO),
                    paid: m.paid.map(|_| Decimal::ZERO),
                    planned_cumulative: Decimal::ZERO,
                    approved_cumulative: m.approved_cumulative.map(|_| Decimal::ZERO),
                    paid_cumulative: m.paid_cumulative.map(|_| Decimal::ZERO),
                })
                .collect(),
            planned_to_date: Decimal::ZERO,
            planned_at_completion: Decimal::ZERO,
            payables_total: Aged::default(),
            payables_credit: Decimal::ZERO,
        });
        t.projects += 1;
        t.opening.planned += r.opening.planned;
        t.opening.approved += r.opening.approved;
        t.opening.paid += r.opening.paid;
        t.planned_to_date += r.planned_to_date;
        t.planned_at_completion += r.planned_at_completion;
        t.payables_total.plus(&r.payables_total);
        t.payables_credit += r.payables_credit;
        let add = |a: &mut Option<Decimal>, b: Option<Decimal>| {
            if let (Some(x), Some(y)) = (a.as_mut(), b) {
                *x += y;
            }
        };
        for (sum, m) in t.months.iter_mut().zip(&r.months) {
            sum.planned += m.planned;
            sum.planned_cumulative += m.planned_cumulative;
            add(&mut sum.approved, m.approved);
            add(&mut sum.paid, m.paid);
            add(&mut sum.approved_cumulative, m.approved_cumulative);
            add(&mut sum.paid_cumulative, m.paid_cumulative);
        }
    }
    Company { from, to, as_of, projects, totals: totals.into_values().collect() }
}

fn month_cell(m: NaiveDate) -> Cell {
    Cell::Date(m, "yyyy-mm")
}

/// The monthly rows as a table (one per month, then the payables by age below, one per payee).
pub fn months_table(months: &[MonthRow], currency: &str, words: Words, title: String, sheet: String) -> Table {
    let dp = crate::reports::cost::scale(currency);
    let num = |d: Decimal| Cell::Number(d, dp);
    let rows = months
        .iter()
        .map(|m| {
            vec![
                month_cell(m.month),
                num(m.planned),
                Cell::opt(m.approved, dp),
                Cell::opt(m.paid, dp),
                num(m.planned_cumulative),
                Cell::opt(m.approved_cumulative, dp),
                Cell::opt(m.paid_cumulative, dp),
            ]
        })
        .collect();
    let h = |k, l| words.head(k, l);
    Table {
        sheet,
        title,
        columns: vec![
            h("month", "fc_month"),
            h("planned", "fc_planned"),
            h("approved", "fc_approved"),
            h("paid", "fc_paid"),
            h("planned_cumulative", "fc_planned_cum"),
            h("approved_cumulative", "fc_approved_cum"),
            h("paid_cumulative", "fc_paid_cum"),
        ],
        rows,
    }
}

impl Cashflow {
    /// The monthly table as a file (`part=months`, the default).
    pub fn table(&self, words: Words) -> Table {
        let (title, sheet) = match words {
            Words::Keys => (
                format!("Cash flow {} {}..{}", self.project_id, self.from.format("%Y-%m"), self.to.format("%Y-%m")),
                format!("Cash flow {}", self.project_id),
            ),
            Words::Lang(l) => (
                format!(
                    "{} · {} · {}–{} · {}",
                    l.t("fc_title"),
                    self.project_name,
                    self.from.format("%Y-%m"),
                    self.to.format("%Y-%m"),
                    self.currency
                ),
                l.t("fc_title").to_string(),
            ),
        };
        months_table(&self.months, self.currency, words, title, sheet)
    }

    /// The payables by age as a file (`part=payables`): one row per payee, then the total.
    pub fn payables_table(&self, words: Words) -> Table {
        let dp = crate::reports::cost::scale(self.currency);
        let num = |d: Decimal| Cell::Number(d, dp);
        let lang = words.lang();
        let kind = |k: &str| match words {
            Words::Keys => k.to_string(),
            Words::Lang(l) => l.t(if k == "vendor" { "fc_kind_vendor" } else { "fc_kind_reimbursement" }).to_string(),
        };
        let mut rows: Vec<Vec<Cell>> = self
            .payables
            .iter()
            .map(|p| {
                let mut r = vec![Cell::text(kind(&p.kind)), Cell::text(&p.payee), num(p.owed), num(p.paid)];
                r.extend(p.outstanding.buckets().map(num));
                r.push(num(p.outstanding.total));
                r.push(num(p.credit));
                r
            })
            .collect();
        let t = &self.payables_total;
        let mut total = vec![Cell::text(words.head("TOTAL", "total")), Cell::Empty, Cell::Empty, Cell::Empty];
        total.extend(t.buckets().map(num));
        total.push(num(t.total));
        total.push(num(self.payables_credit));
        rows.push(total);
        let h = |k, l| words.head(k, l);
        let (title, sheet) = match words {
            Words::Keys => (format!("Payables {} as of {}", self.project_id, self.as_of), "Payables".to_string()),
            Words::Lang(_) => (
                format!("{} · {} · {} {}", lang.t("fc_payables"), self.project_name, lang.t("fc_as_of"), self.as_of),
                lang.t("fc_payables").to_string(),
            ),
        };
        Table {
            sheet,
            title,
            columns: vec![
                h("kind", "fc_kind"),
                h("payee", "fc_payee"),
                h("owed", "fc_owed"),
                h("paid", "fc_paid"),
                h("days_0_30", "fc_age_0_30"),
                h("days_31_60", "fc_age_31_60"),
                h("days_61_90", "fc_age_61_90"),
                h("over_90", "fc_age_over_90"),
                h("outstanding", "fc_outstanding"),
                h("credit", "fc_credit"),
            ],
            rows,
        }
    }

    pub fn file_name(&self, words: Words, payables: bool) -> FileName {
        let range = format!("{}_{}", self.from.format("%Y-%m"), self.to.format("%Y-%m"));
        let key = if payables { "payables" } else { "cashflow" };
        match words {
            Words::Keys => FileName::plain(&format!("{key}-{}-{range}", self.project_id)),
            Words::Lang(l) => FileName::new(
                &[l.t(if payables { "fc_file_payables" } else { "fc_file_cashflow" }), &self.project_name, &range],
                &[key, &self.project_id, &range],
            ),
        }
    }
}

impl Company {
    /// One currency's monthly sums as a file.
    pub fn table(&self, words: Words) -> Table {
        let range = format!("{}–{}", self.from.format("%Y-%m"), self.to.format("%Y-%m"));
        let mut rows = Vec::new();
        let mut first: Option<Table> = None;
        for t in &self.totals {
            let title = match words {
                Words::Keys => format!("Company cash flow {range} {}", t.currency),
                Words::Lang(l) => format!("{} · {range} · {}", l.t("fc_company_title"), t.currency),
            };
            let sheet = match words {
                Words::Keys => "Company cash flow".to_string(),
                Words::Lang(l) => l.t("fc_company_title").to_string(),
            };
            let table = months_table(&t.months, t.currency, words, title, sheet);
            if self.totals.len() > 1 {
                // Several currencies: each block opens with its currency.
                rows.push(vec![Cell::text(t.currency)]);
            }
            rows.extend(table.rows.iter().cloned());
            first.get_or_insert(table);
        }
        let mut table = first.unwrap_or_else(|| months_table(&[], "CNY", words, String::new(), "Company".into()));
        table.rows = rows;
        table
    }

    pub fn file_name(&self, words: Words) -> FileName {
        let range = format!("{}_{}", self.from.format("%Y-%m"), self.to.format("%Y-%m"));
        match words {
            Words::Keys => FileName::plain(&format!("cashflow-company-{range}")),
            Words::Lang(l) => FileName::new(&[l.t("fc_file_company"), &range], &["cashflow-company", &range]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::CostCode;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn act(id: &str, code: Option<&str>, start: &str, finish: &str, budget: i64) -> Activity {
        Activity {
            id: id.into(),
            name: id.into(),
            cost_code: code.map(Into::into),
            planned_start: d(start),
            planned_finish: d(finish),
            budget: Decimal::from(budget),
            planned_quantity: None,
            unit: None,
            curve: vec![],
        }
    }

    fn code(c: &str, budget: i64) -> CostCode {
        CostCode { code: c.into(), name: c.into(), parent: None, budget: Decimal::from(budget) }
    }

    #[test]
    fn budgets_follow_their_activities_and_the_rest_spreads_over_the_span() {
        let mut set = ReferenceSet::empty("P1");
        // 01: 1 100 over A1 (1 000, all of March); 02: 600 without activity, spread over the
        // project's span (March and April: 61 days); A2 on no code plans its own 400 in April.
        set.cost_codes = vec![code("01", 1100), code("02", 600)];
        set.activities = vec![
            act("A1", Some("01"), "2026-03-01", "2026-03-31", 1000),
            act("A2", None, "2026-04-01", "2026-04-30", 400),
        ];
        let p = Phasing::new(&set);
        assert_eq!((p.spread_budget, p.unphased_budget), (Decimal::from(600), Decimal::ZERO));
        // End of March: all of 01 (1 100) and 31/61 of 600.
        let march = set.project.currency.round(p.at(d("2026-03-31")));
        assert_eq!(
            march,
            set.project.currency.round(Decimal::from(1100) + Decimal::from(600 * 31) / Decimal::from(61))
        );
        assert_eq!(p.at_completion(&set), Decimal::from(2100));
        assert_eq!(p.at(d("2026-02-28")), Decimal::ZERO);
    }

    #[test]
    fn without_activities_nothing_is_phased() {
        let mut set = ReferenceSet::empty("P1");
        set.cost_codes = vec![code("01", 500)];
        let p = Phasing::new(&set);
        assert_eq!((p.spread_budget, p.unphased_budget), (Decimal::ZERO, Decimal::from(500)));
        assert_eq!(p.at(d("2030-01-01")), Decimal::ZERO);
    }

    #[test]
    fn ages_fall_into_their_buckets() {
        let mut a = Aged::default();
        for (days, amount) in [(0, 1), (30, 2), (31, 4), (60, 8), (61, 16), (90, 32), (91, 64)] {
            a.add(days, Decimal::from(amount));
        }
        assert_eq!(a.buckets().map(|d| d.to_string()), ["3", "12", "48", "64"]);
        assert_eq!(a.total, Decimal::from(127));
    }

    fn flow(project: &str, currency: &'static str, planned: i64, approved: Option<i64>, owed_over_90: i64) -> Cashflow {
        let dec = Decimal::from;
        let m = |month: &str, p: i64, a: Option<i64>| MonthRow {
            month: d(month),
            planned: dec(p),
            approved: a.map(dec),
            paid: a.map(|_| dec(1)),
            planned_cumulative: dec(p),
            approved_cumulative: a.map(dec),
            paid_cumulative: a.map(|_| dec(1)),
        };
        let mut payables = Aged::default();
        payables.add(91, dec(owed_over_90));
        Cashflow {
            project_id: project.into(),
            project_name: project.into(),
            currency,
            from: d("2026-11-01"),
            to: d("2026-12-01"),
            as_of: d("2026-11-20"),
            opening: Opening { planned: dec(10), approved: dec(5), paid: dec(1) },
            months: vec![m("2026-11-01", planned, approved), m("2026-12-01", planned * 2, None)],
            planned_to_date: dec(planned),
            planned_at_completion: dec(planned * 2),
            spread_budget: Decimal::ZERO,
            unphased_budget: Decimal::ZERO,
            payables: vec![],
            payables_total: payables,
            payables_credit: Decimal::ZERO,
            other_currencies: vec![],
        }
    }

    #[test]
    fn the_company_adds_projects_of_one_currency_and_keeps_others_apart() {
        let reports =
            [flow("P1", "CNY", 100, Some(40), 7), flow("P2", "CNY", 50, Some(20), 3), flow("P3", "USD", 9, Some(2), 0)];
        let c = company(&reports, d("2026-11-01"), d("2026-12-01"), d("2026-11-20"));
        assert_eq!(c.projects.len(), 3);
        assert_eq!(c.totals.iter().map(|t| (t.currency, t.projects)).collect::<Vec<_>>(), [("CNY", 2), ("USD", 1)]);
        let cny = &c.totals[0];
        assert_eq!(cny.months[0].planned, Decimal::from(150));
        assert_eq!(cny.months[0].approved, Some(Decimal::from(60)));
        assert_eq!(cny.months[0].paid_cumulative, Some(Decimal::from(2)));
        // The future stays unknown in the sum.
        assert_eq!((cny.months[1].planned_cumulative, cny.months[1].approved), (Decimal::from(300), None));
        assert_eq!((cny.opening.planned, cny.planned_to_date), (Decimal::from(20), Decimal::from(150)));
        assert_eq!((cny.payables_total.over_90, cny.payables_total.total), (Decimal::from(10), Decimal::from(10)));
        // Each project's line: planned to the day, approved and paid to its last known month.
        assert_eq!(
            (c.projects[1].planned_cumulative, c.projects[1].approved_cumulative, c.projects[1].paid_cumulative),
            (Decimal::from(50), Decimal::from(20), Decimal::ONE)
        );
    }

    #[test]
    fn months_are_read_and_bounded() {
        assert_eq!(month_param("from", Some("2026-03")).expect("ok"), Some(d("2026-03-01")));
        assert_eq!(month_param("from", Some("2026-03-17")).expect("ok"), Some(d("2026-03-01")));
        assert_eq!(month_param("from", Some(" ")).expect("ok"), None);
        assert!(matches!(month_param("to", Some("2026-13")), Err(ReportError::BadInput("to", _))));
        assert!(check_range(d("2026-03-01"), d("2026-02-01")).is_err());
        assert!(check_range(d("2020-01-01"), d("2029-12-01")).is_ok());
        assert!(matches!(check_range(d("2020-01-01"), d("2030-01-01")), Err(ReportError::BadInput("to", _))));
        assert_eq!(months(d("2026-11-01"), d("2027-02-01")).len(), 4);
    }
}
