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
//!
//! Read from two summaries kept by triggers (migration 0024) instead of every month's wage totals:
//! `funds_wage_months` (each month's gross, advances and paid) and `funds_wage_balances` (each
//! month's balance per row identity as stored: roster id, name and crew, or crew). A wage ledger
//! row's balance is the sum of its identities' balances (the roster decides which identities a row
//! has, never splits one), so a row can be owed wages only if one of its identities is. Those
//! identities are resolved against today's roster, and only their rows' wage totals and payments
//! are read and netted by the wage ledger's own code (`wages::accumulate`); a month with many such
//! identities is read whole. `arrears_full` is the computation over every row, kept as the
//! reference the fast path is tested against.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{Datelike, Months, NaiveDate};
use record_schema::Currency;
use rust_decimal::Decimal;
use serde::Serialize;

use super::wages::{
    Balances, EntryGroup, PaymentGroup, Roster, WageRow, WorkerKey, accumulate, balances, first_day, month_sums,
    project_info, row,
};
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CrewArrears {
    pub crew: Option<String>,
    pub outstanding: Decimal,
    /// Rows in arrears (workers; a crew's unnamed rest counts once).
    pub workers: usize,
}

/// One month with wages outstanding.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ArrearsTotals {
    /// Overdue months only.
    pub outstanding: Decimal,
    /// Distinct rows (workers, unconfirmed names, crews' unnamed rests) in arrears in any month.
    pub workers: usize,
    pub months: usize,
    pub allocation_shortfall: Decimal,
}

/// The arrears warning of one project as of a day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

/// A month's gross wages, advances and wage payments, in minor units.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthFigures {
    pub gross: i64,
    pub advances: i64,
    pub paid: i64,
}

/// What the warning is computed from: every month's figures, and the ledger rows that may be owed
/// wages (at least those; rows in credit or settled may be among them).
#[derive(Debug, Clone, Default)]
pub struct Owing {
    pub figures: BTreeMap<NaiveDate, MonthFigures>,
    pub rows: Balances,
}

/// Months with more identities owed wages than this are read whole (they are most of the month).
const WHOLE_MONTH: usize = 150;
/// Values per `IN` list: far below either backend's limit on binds.
const CHUNK: usize = 400;

fn parse_month(m: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(m, "%Y-%m-%d").map_err(|_| sqlx::Error::Protocol(format!("funds month holds {m:?}")))
}

/// `($n, $n+1, …)` for `count` values, numbering on from `next`.
fn placeholders(next: &mut usize, count: usize) -> String {
    let list = (0..count).map(|i| format!("${}", *next + i)).collect::<Vec<_>>().join(", ");
    *next += count;
    format!("({list})")
}

/// Each month's figures (`funds_wage_months`: months with any wage row or wage payment).
async fn month_figures(
    db: &Db,
    project: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<NaiveDate, MonthFigures>, sqlx::Error> {
    const SQL: &str = "SELECT month, gross_minor, advances_minor, paid_minor FROM funds_wage_months \
                       WHERE project_id = $1 AND month >= $2 AND month <= $3 AND source_rows > 0";
    let rows: Vec<(String, i64, i64, i64)> = on_pool!(db, |p| sqlx::query_as(SQL)
        .bind(project)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(p)
        .await?);
    rows.into_iter()
        .map(|(m, gross, advances, paid)| Ok((parse_month(&m)?, MonthFigures { gross, advances, paid })))
        .collect()
}

/// `JOIN (VALUES ($n, $n+1), …) AS w` over `pairs` (month, value), binds numbered from `$2`; the
/// pairs' columns are `w.column1` and `w.column2` on both backends.
fn pairs_join(pairs: &[(String, String)]) -> (String, Vec<String>) {
    let mut next = 2;
    let rows = pairs
        .iter()
        .map(|_| {
            let r = format!("(${}, ${})", next, next + 1);
            next += 2;
            r
        })
        .collect::<Vec<_>>()
        .join(", ");
    let binds = pairs.iter().flat_map(|(m, v)| [m.clone(), v.clone()]).collect();
    (format!("JOIN (VALUES {rows}) AS w"), binds)
}

/// Wage totals rows (kinds wage and advance) of the project: `join` then `cond` (binds from `$2`).
async fn entry_rows(
    db: &Db,
    project: &str,
    join: &str,
    cond: &str,
    binds: &[String],
) -> Result<Vec<EntryGroup>, sqlx::Error> {
    let sql = format!(
        "SELECT t.month AS month, t.kind AS kind, NULLIF(t.worker_id, '') AS worker_id, NULLIF(t.worker_name, '') AS worker_name, \
         NULLIF(t.crew, '') AS crew, NULLIF(t.trade, '') AS trade, t.currency AS currency, t.amount_minor AS amount, \
         t.person_days_micro AS days, t.person_hours_micro AS hours FROM funds_month_totals t {join} \
         WHERE t.project_id = $1 AND t.kind IN ('wage', 'advance') AND {cond}"
    );
    on_pool!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(project);
        for b in binds {
            q = q.bind(b);
        }
        q.fetch_all(p).await
    })
}

/// Wage payments of the project: `join` then `cond` (binds from `$2`), summed as `wages::balances`
/// sums them.
async fn payment_rows(
    db: &Db,
    project: &str,
    join: &str,
    cond: &str,
    binds: &[String],
) -> Result<Vec<PaymentGroup>, sqlx::Error> {
    let sql = format!(
        "SELECT t.month AS month, t.worker_id AS worker_id, t.crew AS crew, t.payee AS payee, \
         CAST(sum(t.amount_minor) AS BIGINT) AS amount \
         FROM funds_payments t {join} WHERE t.project_id = $1 AND t.kind = 'wage' AND {cond} \
         GROUP BY t.month, t.worker_id, t.crew, t.payee"
    );
    on_pool!(db, |p| {
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(project);
        for b in binds {
            q = q.bind(b);
        }
        q.fetch_all(p).await
    })
}

/// What to read of the months read by identity: (month, value) pairs.
#[derive(Default)]
struct Wanted {
    /// Roster ids: their totals rows and payments.
    ids: BTreeSet<(String, String)>,
    /// Names recorded without an id.
    names: BTreeSet<(String, String)>,
    /// Crews: their rows without an id (their unnamed rest among them).
    crews: BTreeSet<(String, String)>,
}

/// The months' figures and the rows of months `from..=to` that may be owed wages, netted exactly as
/// the wage ledger nets them: every row with a positive balance is among them with all its figures.
pub async fn owing(
    db: &Db,
    project: &str,
    from: NaiveDate,
    to: NaiveDate,
    roster: &Roster,
) -> Result<Owing, sqlx::Error> {
    const OWED: &str = "SELECT month, key_kind, key_text, key_crew FROM funds_wage_balances \
                        WHERE project_id = $1 AND month >= $2 AND month <= $3 AND balance_minor > 0";
    let figures = month_figures(db, project, from, to).await?;
    let owed: Vec<(String, String, String, String)> = on_pool!(db, |p| sqlx::query_as(OWED)
        .bind(project)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(p)
        .await?);
    // The ledger rows those identities fall in today, per month.
    let mut keys: BTreeMap<NaiveDate, (Vec<usize>, BTreeSet<WorkerKey>)> = BTreeMap::new();
    for (i, (m, kind, text, crew)) in owed.iter().enumerate() {
        let key = match kind.as_str() {
            "roster" => WorkerKey::Roster(text.trim().to_string()),
            "name" => roster.resolve(None, Some(text), Some(crew)),
            _ => WorkerKey::Crew(text.clone()),
        };
        let k = keys.entry(parse_month(m)?).or_default();
        k.0.push(i);
        k.1.insert(key);
    }
    let mut whole = Vec::new();
    let mut w = Wanted::default();
    for (month, (identities, rows)) in &keys {
        let m = month.to_string();
        if identities.len() > WHOLE_MONTH {
            whole.push(m);
            continue;
        }
        for i in identities {
            // The stored text too, should it differ from the resolved one.
            let (_, kind, text, _) = &owed[*i];
            match kind.as_str() {
                "roster" => w.ids.insert((m.clone(), text.clone())),
                "name" => w.names.insert((m.clone(), text.clone())),
                _ => w.crews.insert((m.clone(), text.clone())),
            };
        }
        for key in rows {
            match key {
                WorkerKey::Roster(id) => {
                    w.ids.insert((m.clone(), id.clone()));
                    // Names recorded without an id that resolve to this roster entry.
                    if let Some(n) = roster.name_of(id) {
                        w.names.insert((m.clone(), n.to_string()));
                    }
                }
                WorkerKey::Unconfirmed(n) => {
                    w.names.insert((m.clone(), n.clone()));
                }
                WorkerKey::Crew(c) => {
                    w.crews.insert((m.clone(), c.clone()));
                }
            }
        }
    }
    let (mut entries, mut payments) = (Vec::new(), Vec::new());
    for months in whole.chunks(CHUNK) {
        let cond = format!("t.month IN {}", placeholders(&mut 2, months.len()));
        entries.extend(entry_rows(db, project, "", &cond, months).await?);
        payments.extend(payment_rows(db, project, "", &cond, months).await?);
    }
    // Entries carry a roster id, or else a name, or else only a crew: a row may be read both for
    // its name and its crew; duplicates are dropped below.
    let ids: Vec<(String, String)> = w.ids.into_iter().collect();
    for chunk in ids.chunks(CHUNK) {
        let (join, binds) = pairs_join(chunk);
        let on = "t.month = w.column1 AND t.worker_id = w.column2";
        entries
            .extend(entry_rows(db, project, &format!("{join} ON {on} AND t.worker_id <> ''"), "1 = 1", &binds).await?);
        payments.extend(payment_rows(db, project, &format!("{join} ON {on}"), "1 = 1", &binds).await?);
    }
    for (pairs, column) in [(w.names, "worker_name"), (w.crews, "crew")] {
        let pairs: Vec<(String, String)> = pairs.into_iter().collect();
        for chunk in pairs.chunks(CHUNK) {
            let (join, binds) = pairs_join(chunk);
            let on = format!("{join} ON t.month = w.column1 AND t.worker_id = '' AND t.{column} = w.column2");
            entries.extend(entry_rows(db, project, &on, "1 = 1", &binds).await?);
        }
    }
    // Payments without an id (to a crew or a payee) of those months: few.
    let months: Vec<String> = keys.keys().map(NaiveDate::to_string).filter(|m| !whole.contains(m)).collect();
    for chunk in months.chunks(CHUNK) {
        let cond = format!("t.month IN {} AND t.worker_id IS NULL", placeholders(&mut 2, chunk.len()));
        payments.extend(payment_rows(db, project, "", &cond, chunk).await?);
    }
    let mut seen = HashSet::new();
    entries.retain(|e| {
        seen.insert((
            e.month.clone(),
            e.kind.clone(),
            e.worker_id.clone(),
            e.worker_name.clone(),
            e.crew.clone(),
            e.trade.clone(),
            e.currency.clone(),
        ))
    });
    let mut rows = accumulate(entries, payments, roster)?;
    // In months read by identity, other rows may have been read in part: dropped.
    rows.months.retain(|m, _| keys.contains_key(m));
    for (month, (identities, wanted)) in &keys {
        if identities.len() <= WHOLE_MONTH
            && let Some(m) = rows.months.get_mut(month)
        {
            m.retain(|k, _| wanted.contains(k));
        }
    }
    Ok(Owing { figures, rows })
}

/// The currency of the project's wage rows, when its reference data has none.
async fn rows_currency(db: &Db, project: &str) -> Result<Option<Currency>, sqlx::Error> {
    const SQL: &str = "SELECT DISTINCT currency FROM funds_month_totals WHERE project_id = $1 \
                       AND kind IN ('wage', 'advance')";
    let codes: Vec<String> = on_pool!(db, |p| sqlx::query_scalar(SQL).bind(project).fetch_all(p).await?);
    Ok(codes.iter().find_map(|c| c.parse().ok()))
}

/// The arrears of `project` as of `as_of` (the project's today unless asked): months up to
/// `as_of`'s month. Reads the summaries and the rows that may be owed wages (`owing`).
pub async fn arrears(db: &Db, project: &str, as_of: NaiveDate) -> Result<Arrears, ReportError> {
    let roster = Roster::load(db, project).await?;
    let info = project_info(db, project).await?;
    let day = pay_day(info.as_ref().and_then(|i| i.2));
    let o = owing(db, project, earliest(), first_day(as_of), &roster).await?;
    let currency = match info.as_ref().and_then(|(_, c, _)| c.parse::<Currency>().ok()) {
        Some(c) => c,
        None => rows_currency(db, project).await?.unwrap_or_default(),
    };
    let alloc = allocations(db, project, first_day(as_of)).await?;
    Ok(assess_owing(project, as_of, day, currency, &o, &alloc, &roster))
}

/// The arrears computed over every month's wage rows (what `arrears` did before the summaries of
/// migration 0024): the reference `arrears` is tested against.
pub async fn arrears_full(db: &Db, project: &str, as_of: NaiveDate) -> Result<Arrears, ReportError> {
    let roster = Roster::load(db, project).await?;
    let info = project_info(db, project).await?;
    let day = pay_day(info.as_ref().and_then(|i| i.2));
    let b = balances(db, project, earliest(), first_day(as_of), &roster).await?;
    let currency = info.as_ref().and_then(|(_, c, _)| c.parse::<Currency>().ok()).or(b.currency).unwrap_or_default();
    let alloc = allocations(db, project, first_day(as_of)).await?;
    Ok(assess(project, as_of, day, currency, &b, &alloc, &roster))
}

/// The arrears from the month balances of every row (pure: the property tests share it).
pub fn assess(
    project: &str,
    as_of: NaiveDate,
    day: u32,
    currency: Currency,
    b: &Balances,
    alloc: &BTreeMap<NaiveDate, i64>,
    roster: &Roster,
) -> Arrears {
    let figures = b
        .months
        .iter()
        .map(|(m, rows)| {
            let s = month_sums(rows);
            (*m, MonthFigures { gross: s.gross, advances: s.advances, paid: s.paid })
        })
        .collect();
    let o = Owing { figures, rows: b.clone() };
    assess_owing(project, as_of, day, currency, &o, alloc, roster)
}

/// The arrears from every month's figures and the rows that may be owed wages (pure).
pub fn assess_owing(
    project: &str,
    as_of: NaiveDate,
    day: u32,
    currency: Currency,
    o: &Owing,
    alloc: &BTreeMap<NaiveDate, i64>,
    roster: &Roster,
) -> Arrears {
    let money = |m: i64| from_minor(m, currency);
    let mut months = Vec::new();
    let mut in_arrears: BTreeSet<&WorkerKey> = Default::default();
    let mut totals = ArrearsTotals::default();
    let all_months: BTreeSet<NaiveDate> = o.figures.keys().chain(o.rows.months.keys()).copied().collect();
    let none = BTreeMap::new();
    for month in &all_months {
        let rows = o.rows.months.get(month).unwrap_or(&none);
        let f = o.figures.get(month).copied().unwrap_or_default();
        let due = due_on(*month, day);
        let overdue = as_of > due;
        let mut outstanding = 0i64;
        let mut owing = Vec::new();
        let mut crews: BTreeMap<Option<String>, (i64, usize)> = BTreeMap::new();
        for (key, (s, seen)) in rows {
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
            gross: money(f.gross),
            advances: money(f.advances),
            paid: money(f.paid),
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
    for month in &all_months {
        all.entry(*month).or_default().0 += o.figures.get(month).map_or(0, |f| f.gross);
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
