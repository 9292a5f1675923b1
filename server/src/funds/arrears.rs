//! The arrears warning (欠薪预警). A month's wages are due in full by its due day: day
//! `projects.wage_pay_day` (1..=28, default 15) of the next month. Once that day is over in the
//! project's time zone (its first site's, as the reports' "today"), every worker row of the month
//! with wages outstanding (gross − advances − paid > 0, `funds::wages`) is in arrears, flagged per
//! project, crew and worker. A credit of one worker never pays another's wages.
//!
//! Allocation shortfall: the owner's labour-cost allocations (人工费拨付, `labour_allocations`)
//! received up to a month, cumulative, against the gross wages payable up to that month; a month
//! where allocations fall short is flagged.
//!
//! `/metrics` (`Gauges`): per project, the amount in arrears (minor units) and the workers in
//! arrears, recomputed on a scrape only when something they depend on changed (a cheap
//! fingerprint of the funds tables and each project's date), else served from memory.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use record_schema::Currency;
use rust_decimal::Decimal;
use serde::Serialize;

use super::wages::{Balances, Roster, WageRow, WorkerKey, balances, first_day, project_info, row};
use crate::db::{Db, on_pool};
use crate::ledger::postings::from_minor;
use crate::reports::ReportError;

/// The due day when a project has not set one.
pub const DEFAULT_PAY_DAY: u32 = 15;

/// The first month the ledgers hold (records start 2000-01-01).
fn earliest() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default()
}

/// The day `month`'s wages are due: `pay_day` of the next month.
pub fn due_on(month: NaiveDate, pay_day: u32) -> NaiveDate {
    let next = first_day(month).checked_add_months(Months::new(1)).unwrap_or(month);
    next.with_day(pay_day.clamp(1, 28)).unwrap_or(next)
}

/// A project's pay day as stored (NULL or out of range: the default).
pub fn pay_day(stored: Option<i64>) -> u32 {
    stored.and_then(|d| u32::try_from(d).ok()).filter(|d| (1..=28).contains(d)).unwrap_or(DEFAULT_PAY_DAY)
}

/// A crew's arrears in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrewArrears {
    pub crew: Option<String>,
    pub outstanding: Decimal,
    /// Rows in arrears (workers; a crew's unnamed rest counts once).
    pub workers: usize,
}

/// One month with wages outstanding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthArrears {
    /// `YYYY-MM`.
    pub month: String,
    pub due_on: NaiveDate,
    /// The due day is over and wages are still outstanding.
    pub overdue: bool,
    pub gross: Decimal,
    pub advances: Decimal,
    pub paid: Decimal,
    /// The sum of the rows' outstanding wages (credits are not netted against them).
    pub outstanding: Decimal,
    pub workers: usize,
    pub crews: Vec<CrewArrears>,
    /// The rows with wages outstanding.
    pub rows: Vec<WageRow>,
}

/// Allocations against wages payable, cumulative, per month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationMonth {
    pub month: String,
    pub wages: Decimal,
    pub allocated: Decimal,
    pub cumulative_wages: Decimal,
    pub cumulative_allocated: Decimal,
    /// cumulative wages − cumulative allocated, when more than 0.
    pub shortfall: Decimal,
    pub flagged: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ArrearsTotals {
    /// Overdue months only.
    pub outstanding: Decimal,
    /// Distinct rows (workers, unconfirmed names, crews' unnamed rests) in arrears in any month.
    pub workers: usize,
    pub months: usize,
    pub allocation_shortfall: Decimal,
}

/// The arrears warning of one project as of a day.
#[derive(Debug, Clone, Serialize)]
pub struct Arrears {
    pub project_id: String,
    pub as_of: NaiveDate,
    pub pay_day: u32,
    pub currency: String,
    /// Months with wages outstanding, oldest first (overdue or not yet due).
    pub months: Vec<MonthArrears>,
    pub allocations: Vec<AllocationMonth>,
    pub totals: ArrearsTotals,
}

/// Allocations received per month (first day), in minor units.
async fn allocations(db: &Db, project: &str, to: NaiveDate) -> Result<BTreeMap<NaiveDate, i64>, sqlx::Error> {
    const SQL: &str = "SELECT month, CAST(sum(amount_minor) AS BIGINT) FROM labour_allocations \
                       WHERE project_id = $1 AND month <= $2 GROUP BY month";
    let rows: Vec<(String, Option<i64>)> =
        on_pool!(db, |p| sqlx::query_as(SQL).bind(project).bind(to.to_string()).fetch_all(p).await?);
    let mut out = BTreeMap::new();
    for (m, a) in rows {
        let month = NaiveDate::parse_from_str(&m, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d"))
            .map_err(|_| sqlx::Error::Protocol(format!("labour_allocations.month holds {m:?}")))?;
        *out.entry(first_day(month)).or_default() += a.unwrap_or_default();
    }
    Ok(out)
}

/// The arrears of `project` as of `as_of` (the project's today unless asked): months up to
/// `as_of`'s month.
pub async fn arrears(db: &Db, project: &str, as_of: NaiveDate) -> Result<Arrears, ReportError> {
    let roster = Roster::load(db, project).await?;
    let info = project_info(db, project).await?;
    let day = pay_day(info.as_ref().and_then(|i| i.2));
    let b = balances(db, project, earliest(), first_day(as_of), &roster).await?;
    let currency = info.as_ref().and_then(|(_, c, _)| c.parse::<Currency>().ok()).or(b.currency).unwrap_or_default();
    let alloc = allocations(db, project, first_day(as_of)).await?;
    Ok(assess(project, as_of, day, currency, &b, &alloc, &roster))
}

/// The arrears from the month balances (pure: the property tests and `/metrics` share it).
pub fn assess(
    project: &str,
    as_of: NaiveDate,
    day: u32,
    currency: Currency,
    b: &Balances,
    alloc: &BTreeMap<NaiveDate, i64>,
    roster: &Roster,
) -> Arrears {
    let money = |m: i64| from_minor(m, currency);
    let mut months = Vec::new();
    let mut in_arrears: std::collections::BTreeSet<&WorkerKey> = Default::default();
    let mut totals = ArrearsTotals::default();
    for (month, rows) in &b.months {
        let due = due_on(*month, day);
        let overdue = as_of > due;
        let (mut gross, mut advances, mut paid, mut outstanding) = (0i64, 0i64, 0i64, 0i64);
        let mut owing = Vec::new();
        let mut crews: BTreeMap<Option<String>, (i64, usize)> = BTreeMap::new();
        for (key, (s, seen)) in rows {
            gross += s.gross;
            advances += s.advances;
            paid += s.paid;
            let bal = s.balance();
            if bal > 0 {
                outstanding += bal;
                let r = row(key, s, seen, roster, currency);
                let c = crews.entry(r.crew.clone()).or_default();
                c.0 += bal;
                c.1 += 1;
                owing.push(r);
                if overdue {
                    in_arrears.insert(key);
                }
            }
        }
        if outstanding == 0 {
            continue;
        }
        if overdue {
            totals.outstanding += money(outstanding);
            totals.months += 1;
        }
        months.push(MonthArrears {
            month: month.format("%Y-%m").to_string(),
            due_on: due,
            overdue,
            gross: money(gross),
            advances: money(advances),
            paid: money(paid),
            outstanding: money(outstanding),
            workers: owing.len(),
            crews: crews
                .into_iter()
                .map(|(crew, (o, w))| CrewArrears { crew, outstanding: money(o), workers: w })
                .collect(),
            rows: owing,
        });
    }
    totals.workers = in_arrears.len();
    // Allocations: every month with wages or allocations, cumulative.
    let mut all: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
    for (month, rows) in &b.months {
        all.entry(*month).or_default().0 += rows.values().map(|(s, _)| s.gross).sum::<i64>();
    }
    for (month, a) in alloc {
        all.entry(*month).or_default().1 += a;
    }
    let (mut cw, mut ca) = (0i64, 0i64);
    let mut allocations = Vec::new();
    for (month, (w, a)) in all {
        cw += w;
        ca += a;
        let short = (cw - ca).max(0);
        allocations.push(AllocationMonth {
            month: month.format("%Y-%m").to_string(),
            wages: money(w),
            allocated: money(a),
            cumulative_wages: money(cw),
            cumulative_allocated: money(ca),
            shortfall: money(short),
            flagged: short > 0,
        });
    }
    totals.allocation_shortfall = money((cw - ca).max(0));
    Arrears {
        project_id: project.to_string(),
        as_of,
        pay_day: day,
        currency: currency.code().to_string(),
        months,
        allocations,
        totals,
    }
}

/// Largest entry id and the rows among the last ids; payments' count and newest time; allocations'
/// count; roster count and newest edit.
type TableMarks = (i64, i64, i64, i64, i64, i64, i64);

/// What the gauges depend on: the funds tables' sizes and each project's date and pay day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Fingerprint {
    tables: TableMarks,
    projects: Vec<(String, NaiveDate, u32)>,
}

async fn fingerprint(db: &Db) -> Result<Fingerprint, sqlx::Error> {
    // Append-only tables: the largest id or the row count moves on every write; the roster is
    // edited in place, so its newest update time too: index lookups and counts of small tables.
    // On PostgreSQL an id is taken before its transaction commits, so a row may appear below the
    // largest id seen: the rows among the last 10,000 ids (a primary key range) count it.
    const TABLES: &str = "SELECT (SELECT COALESCE(max(id), 0) FROM funds_entries), \
         (SELECT count(*) FROM funds_entries WHERE id > (SELECT COALESCE(max(id), 0) FROM funds_entries) - 10000), \
         (SELECT count(*) FROM funds_payments), (SELECT COALESCE(max(recorded_at_ms), 0) FROM funds_payments), \
         (SELECT count(*) FROM labour_allocations), (SELECT count(*) FROM workers), \
         (SELECT COALESCE(max(updated_at_ms), 0) FROM workers)";
    const PROJECTS: &str = "SELECT p.id, p.wage_pay_day, \
         (SELECT s.time_zone FROM sites s WHERE s.project_id = p.id ORDER BY s.id LIMIT 1) FROM projects p \
         WHERE EXISTS (SELECT 1 FROM funds_entries e WHERE e.project_id = p.id) ORDER BY p.id";
    type ProjectRow = (String, Option<i64>, Option<String>);
    let (tables, projects): (TableMarks, Vec<ProjectRow>) = on_pool!(db, |p| {
        let t = sqlx::query_as(TABLES).fetch_one(p).await?;
        let ps = sqlx::query_as(PROJECTS).fetch_all(p).await?;
        (t, ps)
    });
    Ok(Fingerprint {
        tables,
        projects: projects
            .into_iter()
            .map(|(id, day, tz)| (id, crate::reports::today_in(tz.as_deref()), pay_day(day)))
            .collect(),
    })
}

/// Per project: (amount in arrears in minor units, rows in arrears).
pub type GaugeValues = Vec<(String, i64, i64)>;

/// The arrears gauges, cached until their fingerprint changes.
#[derive(Default)]
pub struct Gauges {
    last: tokio::sync::Mutex<Option<(Fingerprint, GaugeValues)>>,
}

impl Gauges {
    /// The current values: from memory when nothing they depend on changed since the last scrape.
    pub async fn values(&self, db: &Db) -> Result<GaugeValues, ReportError> {
        let mut last = self.last.lock().await;
        let fp = fingerprint(db).await?;
        if let Some((seen, values)) = last.as_ref()
            && *seen == fp
        {
            return Ok(values.clone());
        }
        let mut values = Vec::with_capacity(fp.projects.len());
        for (project, today, _) in &fp.projects {
            let a = arrears(db, project, *today).await?;
            let currency = a.currency.parse::<Currency>().unwrap_or_default();
            let minor = crate::ledger::postings::to_minor(a.totals.outstanding, currency).unwrap_or(i64::MAX);
            values.push((project.clone(), minor, a.totals.workers as i64));
        }
        *last = Some((fp, values.clone()));
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funds::wages::{Seen, Sums};

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn due_days() {
        assert_eq!(due_on(d("2026-11-01"), 15), d("2026-12-15"));
        assert_eq!(due_on(d("2026-12-20"), 28), d("2027-01-28"));
        assert_eq!(due_on(d("2026-01-31"), 40), d("2026-02-28"));
        assert_eq!((pay_day(None), pay_day(Some(0)), pay_day(Some(29)), pay_day(Some(5))), (15, 15, 15, 5));
    }

    #[test]
    fn overdue_rows_crews_and_allocation_shortfall() {
        let mut b = Balances::default();
        let s = |gross, advances, paid| Sums { gross, advances, paid, days_micro: 0, hours_micro: 0 };
        let seen = |c: &str| Seen { crew: Some(c.into()), ..Seen::default() };
        let nov = b.months.entry(d("2026-11-01")).or_default();
        nov.insert(WorkerKey::Unconfirmed("王五".into()), (s(100_000, 10_000, 50_000), seen("张班")));
        nov.insert(WorkerKey::Unconfirmed("赵六".into()), (s(100_000, 0, 120_000), seen("张班")));
        nov.insert(WorkerKey::Crew("李班".into()), (s(30_000, 0, 0), Seen::default()));
        let dec = b.months.entry(d("2026-12-01")).or_default();
        dec.insert(WorkerKey::Unconfirmed("王五".into()), (s(80_000, 0, 0), seen("张班")));
        let alloc = BTreeMap::from([(d("2026-11-01"), 200_000)]);
        let roster = Roster::default();
        // On the due day itself November is not yet overdue.
        let a = assess("P1", d("2026-12-15"), 15, Currency::Cny, &b, &alloc, &roster);
        assert!(a.months.iter().all(|m| !m.overdue));
        assert_eq!(a.totals.workers, 0);
        let a = assess("P1", d("2026-12-16"), 15, Currency::Cny, &b, &alloc, &roster);
        let nov = &a.months[0];
        // 王五 owes 400.00, 李班's rest 300.00; 赵六's 200.00 credit pays nobody else.
        assert_eq!((nov.overdue, nov.outstanding, nov.workers), (true, Decimal::new(70_000, 2), 2));
        assert_eq!(nov.crews.len(), 2);
        assert!(!a.months[1].overdue);
        assert_eq!((a.totals.outstanding, a.totals.workers, a.totals.months), (Decimal::new(70_000, 2), 2, 1));
        // Wages 2300.00 by November against 2000.00 allocated; 3100.00 by December.
        assert_eq!(a.allocations[0].shortfall, Decimal::new(30_000, 2));
        assert!(a.allocations[0].flagged && a.allocations[1].flagged);
        assert_eq!(a.totals.allocation_shortfall, Decimal::new(110_000, 2));
    }
}
