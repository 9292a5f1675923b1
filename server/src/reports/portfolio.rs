//! The portfolio across projects (issue 22): each project's CPI, SPI, SV(t), SPI(t), EAC against
//! its budget, forecast finish against the planned finish, open high risks and wage arrears,
//! ranked worst first (docs/forecasts.md, "Portfolio").
//!
//! Per project, at its status date (its own today where it works unless one date is asked): the
//! schedule report's totals and project forecast (`schedule::report_with`, without the S-curve),
//! the risk register's open counts (`risks::open_counts`, one statement for all projects) and the
//! arrears warning (`funds::arrears`). Projects are read concurrently; a project's row is kept
//! and served again while the ledgers, the funds entries and its reference data have not moved,
//! for at most a minute (`KEEP`: payments and allocations show within it).
//!
//! **Worst first**: by *health*, the lower of CPI and SPI(t) (the worse of cost and time
//! efficiency; a project with neither, nothing earned or spent yet, ranks after every project with
//! one); then by overdue wage arrears, larger first; then by open high or critical risks, more
//! first; then by project id.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::task::JoinSet;

use super::export::{FileName, Words};
use super::{Cell, ReportError, Table, schedule};
use crate::db::{Db, on_pool};

/// One project of the portfolio.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PortfolioRow {
    /// 1 = worst.
    pub rank: usize,
    pub project_id: String,
    /// The project's name from reference data, else its id.
    pub name: String,
    #[schema(value_type = String)]
    pub currency: &'static str,
    /// The status date of the figures.
    pub at: NaiveDate,
    /// Budget at completion: the activities' budgets.
    pub bac: Decimal,
    pub pv: Decimal,
    pub ev: Decimal,
    pub ac: Decimal,
    pub cpi: Option<Decimal>,
    pub spi: Option<Decimal>,
    /// Earned schedule's schedule variance in days (negative = late).
    pub sv_t: Option<Decimal>,
    pub spi_t: Option<Decimal>,
    /// EAC by the CPI method (BAC / CPI); none without a CPI.
    pub eac: Option<Decimal>,
    /// BAC − EAC (negative = overrun).
    pub vac: Option<Decimal>,
    /// The plan's last day.
    pub planned_finish: Option<NaiveDate>,
    pub forecast_finish: Option<NaiveDate>,
    /// Forecast finish − planned finish, in days (positive = late).
    pub finish_slip_days: Option<i64>,
    /// The lower of CPI and SPI(t): the ranking's first key.
    pub health: Option<Decimal>,
    pub open_risks: i64,
    /// Open risks at level high or critical.
    pub high_risks: i64,
    /// Wages outstanding past their due day (`funds::arrears`, overdue months only).
    pub arrears: Decimal,
    /// Months with wages overdue.
    pub arrears_months: usize,
    /// Workers (rows) in arrears.
    pub arrears_workers: usize,
    /// The oldest month with wages overdue (`YYYY-MM`).
    pub arrears_since: Option<String>,
}

/// Every project a token may see, worst first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Portfolio {
    /// The date asked for; none: each project at its own today.
    pub as_of: Option<NaiveDate>,
    /// Worst first.
    pub projects: Vec<PortfolioRow>,
}

/// The lower of the indices that exist.
fn health(cpi: Option<Decimal>, spi_t: Option<Decimal>) -> Option<Decimal> {
    match (cpi, spi_t) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The ranking rule (the module's comment): worst first.
pub fn worst_first(a: &PortfolioRow, b: &PortfolioRow) -> Ordering {
    let h = match (a.health, b.health) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    h.then_with(|| b.arrears.cmp(&a.arrears))
        .then_with(|| b.high_risks.cmp(&a.high_risks))
        .then_with(|| a.project_id.cmp(&b.project_id))
}

/// What a project's row depends on besides its reference data: the ledgers' and the funds entries'
/// largest ids and the rows among their last 10,000 ids (on PostgreSQL an id is taken before its
/// transaction commits, so a row may appear below the largest id seen), read by primary key.
type Marks = [i64; 4];

async fn marks(db: &Db) -> Result<Marks, sqlx::Error> {
    const SQL: &str = "SELECT (SELECT COALESCE(max(id), 0) FROM ledger_postings), \
         (SELECT count(*) FROM ledger_postings WHERE id > (SELECT COALESCE(max(id), 0) FROM ledger_postings) - 10000), \
         (SELECT COALESCE(max(id), 0) FROM funds_entries), \
         (SELECT count(*) FROM funds_entries WHERE id > (SELECT COALESCE(max(id), 0) FROM funds_entries) - 10000)";
    let (a, b, c, d): (i64, i64, i64, i64) = on_pool!(db, |p| sqlx::query_as(SQL).fetch_one(p).await)?;
    Ok([a, b, c, d])
}

/// How long a row is kept at most: payments, allocations, the roster and the pay day (which the
/// marks do not see) show within this.
const KEEP: std::time::Duration = std::time::Duration::from_secs(60);

/// A computed row, the marks and reference data it was computed from, and when.
struct Kept {
    marks: Marks,
    reference: u64,
    at: std::time::Instant,
    row: PortfolioRow,
}

/// Rows by project and status date. A project's row reads its whole progress history (and the
/// arrears warning, from the wage summaries since migration 0024); they change only when something
/// is approved or paid, so a row is computed again only when the ledgers, the funds entries or the
/// project's reference data moved, or after `KEEP`.
static KEPT: std::sync::Mutex<Option<HashMap<(String, NaiveDate), Kept>>> = std::sync::Mutex::new(None);

/// A digest of the reference data a row depends on (the plan, budgets, currency, name).
fn reference_digest(set: &crate::reference::ReferenceSet) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&set.project.name, set.project.currency.code()).hash(&mut h);
    for a in &set.activities {
        (&a.id, &a.cost_code, a.planned_start, a.planned_finish, a.budget, a.planned_quantity, &a.curve).hash(&mut h);
    }
    for s in &set.sites {
        s.time_zone.hash(&mut h);
    }
    h.finish()
}

/// One project's figures (risks filled in by the caller): kept (`KEPT`) or computed.
async fn project_row(
    db: Db,
    project: String,
    as_of: Option<NaiveDate>,
    marks: Marks,
) -> Result<PortfolioRow, ReportError> {
    let set = crate::reference::store::load(&db, &project).await?;
    let at = as_of.unwrap_or_else(|| super::today(&set));
    let reference = reference_digest(&set);
    let key = (project.clone(), at);
    if let Ok(kept) = KEPT.lock()
        && let Some(k) = kept.as_ref().and_then(|m| m.get(&key))
        && k.marks == marks
        && k.reference == reference
        && k.at.elapsed() < KEEP
    {
        return Ok(k.row.clone());
    }
    let row = compute_row(&db, project, &set, at).await?;
    if let Ok(mut kept) = KEPT.lock() {
        let map = kept.get_or_insert_with(HashMap::new);
        // Rows of other days and projects gone from the company do not pile up.
        map.retain(|_, k| k.at.elapsed() < KEEP);
        map.insert(key, Kept { marks, reference, at: std::time::Instant::now(), row: row.clone() });
    }
    Ok(row)
}

async fn compute_row(
    db: &Db,
    project: String,
    set: &crate::reference::ReferenceSet,
    at: NaiveDate,
) -> Result<PortfolioRow, ReportError> {
    let report = schedule::report_with(db, set, at, false).await?;
    let a = crate::funds::arrears::arrears(db, &project, at).await?;
    let t = &report.totals;
    let f = &t.forecast;
    let sched = f.schedule.as_ref();
    let planned_finish = sched.and_then(|s| {
        let pd = u64::try_from(s.earned.pd.trunc().mantissa()).ok()?;
        s.start.checked_add_days(Days::new(pd.checked_sub(1)?))
    });
    let forecast_finish = sched.and_then(|s| s.forecast_finish);
    let spi_t = sched.and_then(|s| s.earned.spi_t);
    let name = if set.project.name.is_empty() { project.clone() } else { set.project.name.clone() };
    Ok(PortfolioRow {
        rank: 0,
        name,
        currency: report.currency,
        at,
        bac: t.budget_at_completion,
        pv: t.pv,
        ev: t.ev,
        ac: t.ac,
        cpi: t.cpi,
        spi: t.spi,
        sv_t: sched.map(|s| s.earned.sv_t),
        spi_t,
        eac: f.cost.eac_cpi.map(|e| e.eac),
        vac: f.cost.eac_cpi.map(|e| e.vac),
        planned_finish,
        forecast_finish,
        finish_slip_days: planned_finish.zip(forecast_finish).map(|(p, f)| (f - p).num_days()),
        health: health(t.cpi, spi_t),
        open_risks: 0,
        high_risks: 0,
        arrears: a.totals.outstanding,
        arrears_months: a.totals.months,
        arrears_workers: a.totals.workers,
        arrears_since: a.months.iter().find(|m| m.overdue).map(|m| m.month.clone()),
        project_id: project,
    })
}

/// The portfolio of `projects` at `as_of` (none: each project's today), worst first.
pub async fn portfolio(db: &Db, projects: &[String], as_of: Option<NaiveDate>) -> Result<Portfolio, ReportError> {
    let risks = crate::risks::open_counts(db).await.map_err(|e| match e {
        crate::risks::RiskError::Sql(e) => ReportError::Sql(e),
        other => ReportError::BadInput("risks", other.to_string()),
    })?;
    let marks = marks(db).await?;
    let mut tasks = JoinSet::new();
    for p in projects {
        let (db, p) = (db.clone(), p.clone());
        tasks.spawn(async move { project_row(db, p, as_of, marks).await });
    }
    let mut rows: Vec<PortfolioRow> = Vec::with_capacity(projects.len());
    while let Some(done) = tasks.join_next().await {
        rows.push(done.map_err(|e| ReportError::Export(format!("portfolio task: {e}")))??);
    }
    apply_risks(&mut rows, &risks);
    rows.sort_by(worst_first);
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    Ok(Portfolio { as_of, projects: rows })
}

fn apply_risks(rows: &mut [PortfolioRow], risks: &HashMap<String, crate::risks::RiskCounts>) {
    for r in rows {
        if let Some(c) = risks.get(&r.project_id) {
            r.open_risks = c.open;
            r.high_risks = c.high;
        }
    }
}

impl Portfolio {
    /// The portfolio as a file: one row per project, worst first (money in each project's
    /// currency, named in its own column).
    pub fn table(&self, words: Words) -> Table {
        let day = |d: Option<NaiveDate>| d.map_or(Cell::Empty, |d| Cell::Date(d, "yyyy-mm-dd"));
        let rows = self
            .projects
            .iter()
            .map(|r| {
                let dp = super::cost::scale(r.currency);
                vec![
                    Cell::Number(Decimal::from(r.rank as u64), 0),
                    Cell::text(&r.project_id),
                    Cell::text(&r.name),
                    Cell::text(r.currency),
                    Cell::Date(r.at, "yyyy-mm-dd"),
                    Cell::opt(r.cpi, 3),
                    Cell::opt(r.spi, 3),
                    Cell::opt(r.spi_t, super::forecast::INDEX_DP),
                    Cell::opt(r.sv_t, super::forecast::DURATION_DP),
                    Cell::Number(r.bac, dp),
                    Cell::opt(r.eac, dp),
                    Cell::opt(r.vac, dp),
                    day(r.planned_finish),
                    day(r.forecast_finish),
                    Cell::opt(r.finish_slip_days.map(Decimal::from), 0),
                    Cell::Number(Decimal::from(r.open_risks), 0),
                    Cell::Number(Decimal::from(r.high_risks), 0),
                    Cell::Number(r.arrears, dp),
                    Cell::Number(Decimal::from(r.arrears_months as u64), 0),
                ]
            })
            .collect();
        let h = |k, l| words.head(k, l);
        let columns = vec![
            h("rank", "pf_x_rank"),
            h("project", "pf_x_project"),
            h("name", "pf_x_name"),
            h("currency", "pf_x_currency"),
            h("at", "pf_x_at"),
            h("cpi", "pf_x_cpi"),
            h("spi", "pf_x_spi"),
            h("spi_t", "pf_x_spi_t"),
            h("sv_t", "pf_x_sv_t"),
            h("bac", "pf_x_bac"),
            h("eac", "pf_x_eac"),
            h("vac", "pf_x_vac"),
            h("planned_finish", "pf_x_planned_finish"),
            h("forecast_finish", "pf_x_forecast_finish"),
            h("finish_slip_days", "pf_x_slip"),
            h("open_risks", "pf_x_open_risks"),
            h("high_risks", "pf_x_high_risks"),
            h("arrears", "pf_x_arrears"),
            h("arrears_months", "pf_x_arrears_months"),
        ];
        let when = self.as_of.map_or_else(String::new, |d| d.to_string());
        match words {
            Words::Keys => Table {
                sheet: "Portfolio".into(),
                title: format!("Portfolio {when}").trim_end().to_string(),
                columns,
                rows,
            },
            Words::Lang(l) => Table {
                sheet: l.t("pf_title").to_string(),
                title: format!("{} {when}", l.t("pf_title")).trim_end().to_string(),
                columns,
                rows,
            },
        }
    }

    /// `项目总览_2026-11-20` (`portfolio-2026-11-20` for the API's keys; the date is today's when
    /// each project is at its own).
    pub fn file_name(&self, words: Words, today: NaiveDate) -> FileName {
        let when = self.as_of.unwrap_or(today).to_string();
        match words {
            Words::Keys => FileName::plain(&format!("portfolio-{when}")),
            Words::Lang(l) => FileName::new(&[l.t("pf_title"), &when], &["portfolio", &when]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, cpi: Option<i64>, spi_t: Option<i64>, arrears: i64, high: i64) -> PortfolioRow {
        let d = |x: Option<i64>| x.map(|v| Decimal::new(v, 2));
        PortfolioRow {
            rank: 0,
            project_id: id.into(),
            name: id.into(),
            currency: "CNY",
            at: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            bac: Decimal::ZERO,
            pv: Decimal::ZERO,
            ev: Decimal::ZERO,
            ac: Decimal::ZERO,
            cpi: d(cpi),
            spi: None,
            sv_t: None,
            spi_t: d(spi_t),
            eac: None,
            vac: None,
            planned_finish: None,
            forecast_finish: None,
            finish_slip_days: None,
            health: health(d(cpi), d(spi_t)),
            open_risks: high,
            high_risks: high,
            arrears: Decimal::from(arrears),
            arrears_months: 0,
            arrears_workers: 0,
            arrears_since: None,
        }
    }

    #[test]
    fn worst_first_by_health_then_arrears_then_risks() {
        let mut rows = [
            row("P-none", None, None, 9_000, 9),
            row("P-ok", Some(105), Some(98), 0, 0),
            row("P-late", Some(110), Some(80), 0, 0),
            row("P-cost", Some(80), Some(120), 0, 1),
            row("P-cost-arrears", Some(80), Some(95), 500, 0),
            row("P-cost-arrears-risk", Some(80), Some(95), 500, 2),
            row("P-spi-only", None, Some(90), 0, 0),
        ];
        rows.sort_by(worst_first);
        let order: Vec<&str> = rows.iter().map(|r| r.project_id.as_str()).collect();
        assert_eq!(
            order,
            ["P-cost-arrears-risk", "P-cost-arrears", "P-cost", "P-late", "P-spi-only", "P-ok", "P-none"]
        );
        assert_eq!(health(Some(Decimal::ONE), None), Some(Decimal::ONE));
    }
}
