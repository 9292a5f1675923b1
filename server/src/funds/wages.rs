//! The wage payment ledger (工资支付台账) of a project and month: one row per worker with days and
//! hours worked, gross wages, advances (借支), paid, outstanding and credit, and totals that are the
//! sums of the rows. Every figure is a sum of `funds_entries` (kinds `wage` and `advance`, reversals
//! included, so a re-approved sheet counts once) and of `funds_payments` (kind `wage`, the month
//! paid), in integer minor units: reproducible, exact.
//!
//! Who a row is, decided when read (the roster may have changed since the sheet was approved):
//! * the roster id the record names (`worker_id`), else
//! * the one roster entry of the project with exactly that name (trimmed), else
//! * the name itself, unconfirmed (the office confirms it into the roster: `funds::roster`);
//! * entries without a name are the crew's unnamed rest: one row per crew.
//!
//! Payments go to the roster id they name, else to the crew's row (paid to its leader), else to
//! their payee resolved like a name. balance = gross − advances − paid; outstanding = max(balance,
//! 0) and credit = max(−balance, 0): an overpayment is a credit, never a negative wage. So
//! paid + outstanding − credit = gross − advances, per row and in total.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use record_schema::Currency;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::db::{Db, on_pool};
use crate::ledger::postings::{from_micro, from_minor};
use crate::reports::export::{FileName, Words};
use crate::reports::{Cell, ReportError, Table};
use crate::web::i18n::Lang;

/// Who a ledger row is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(tag = "status", content = "key", rename_all = "snake_case")]
pub enum WorkerKey {
    /// A roster entry, by its id.
    Roster(String),
    /// A name on approved records that matches no single roster entry.
    Unconfirmed(String),
    /// The unnamed rest of a crew ("" when the lines named no crew).
    Crew(String),
}

/// A row's figures in integer units (minor units, millionths): sums are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sums {
    pub gross: i64,
    pub advances: i64,
    pub paid: i64,
    pub days_micro: i64,
    pub hours_micro: i64,
}

impl Sums {
    pub fn balance(&self) -> i64 {
        self.gross - self.advances - self.paid
    }

    fn add(&mut self, o: &Sums) {
        self.gross += o.gross;
        self.advances += o.advances;
        self.paid += o.paid;
        self.days_micro += o.days_micro;
        self.hours_micro += o.hours_micro;
    }
}

/// One roster entry as the ledger shows it (masked ID only: full numbers are never stored).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RosterEntry {
    pub id: String,
    pub name: String,
    pub id_masked: Option<String>,
    pub crew: Option<String>,
    pub trade: Option<String>,
}

/// The project's roster, for resolving names at read time.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    by_id: HashMap<String, RosterEntry>,
    /// Trimmed name → the ids with that name.
    by_name: HashMap<String, Vec<String>>,
}

impl Roster {
    pub async fn load(db: &Db, project: &str) -> Result<Roster, sqlx::Error> {
        const SQL: &str = "SELECT id, name, id_masked, crew, trade FROM workers WHERE project_id = $1";
        let rows: Vec<RosterEntry> = on_pool!(db, |p| sqlx::query_as(SQL).bind(project).fetch_all(p).await?);
        Ok(Roster::from_entries(rows))
    }

    pub fn from_entries(rows: Vec<RosterEntry>) -> Roster {
        let mut r = Roster::default();
        for w in rows {
            r.by_name.entry(w.name.trim().to_string()).or_default().push(w.id.clone());
            r.by_id.insert(w.id.clone(), w);
        }
        r
    }

    pub fn get(&self, id: &str) -> Option<&RosterEntry> {
        self.by_id.get(id)
    }

    /// The name (trimmed) under which recorded names resolve to roster entry `id`, if it has one.
    pub fn name_of(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(|w| w.name.trim())
    }

    /// The row a roster id, a name, or neither (a crew's rest) belongs to.
    pub fn resolve(&self, worker_id: Option<&str>, name: Option<&str>, crew: Option<&str>) -> WorkerKey {
        if let Some(id) = worker_id.map(str::trim).filter(|s| !s.is_empty()) {
            return WorkerKey::Roster(id.to_string());
        }
        match name.map(str::trim).filter(|s| !s.is_empty()) {
            Some(n) => match self.by_name.get(n).map(Vec::as_slice) {
                Some([one]) => WorkerKey::Roster(one.clone()),
                _ => WorkerKey::Unconfirmed(n.to_string()),
            },
            None => WorkerKey::Crew(crew.unwrap_or("").to_string()),
        }
    }
}

/// Per month (first day) and row: the sums, and the crew and trade seen on the row's entries.
#[derive(Debug, Clone, Default)]
pub struct Balances {
    pub months: BTreeMap<NaiveDate, BTreeMap<WorkerKey, (Sums, Seen)>>,
    /// The currency of the entries (one per project), when any.
    pub currency: Option<Currency>,
}

/// The crew and trade of a row's entries, when the roster does not say (smallest seen: stable).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub crew: Option<String>,
    pub trade: Option<String>,
    /// The name recorded with a roster id the roster does not have (any longer).
    pub name: Option<String>,
}

impl Seen {
    fn note(&mut self, crew: Option<String>, trade: Option<String>) {
        fn least(a: &mut Option<String>, b: Option<String>) {
            if let Some(b) = b
                && a.as_ref().is_none_or(|x| b < *x)
            {
                *a = Some(b);
            }
        }
        least(&mut self.crew, crew);
        least(&mut self.trade, trade);
    }
}

/// A `funds_month_totals` row of kind wage or advance ('' read back as None).
#[derive(sqlx::FromRow)]
pub(crate) struct EntryGroup {
    pub(crate) month: String,
    pub(crate) kind: String,
    pub(crate) worker_id: Option<String>,
    pub(crate) worker_name: Option<String>,
    pub(crate) crew: Option<String>,
    pub(crate) trade: Option<String>,
    pub(crate) currency: Option<String>,
    pub(crate) amount: Option<i64>,
    pub(crate) days: Option<i64>,
    pub(crate) hours: Option<i64>,
}

/// Wage payments of a month summed per worker id, crew and payee.
#[derive(sqlx::FromRow)]
pub(crate) struct PaymentGroup {
    pub(crate) month: Option<String>,
    pub(crate) worker_id: Option<String>,
    pub(crate) crew: Option<String>,
    pub(crate) payee: Option<String>,
    pub(crate) amount: Option<i64>,
}

fn month_of(text: &str) -> Result<NaiveDate, sqlx::Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| sqlx::Error::Protocol(format!("funds month holds {text:?}")))
}

/// Wages, advances and wage payments of months `from..=to` (first days), netted per month and row.
/// Two grouped statements (the month totals, the payments by month), and the roster.
pub async fn balances(
    db: &Db,
    project: &str,
    from: NaiveDate,
    to: NaiveDate,
    roster: &Roster,
) -> Result<Balances, sqlx::Error> {
    // SUM over bigint is numeric on PostgreSQL: cast back (a month's sums fit easily).
    // The month totals kept beside funds_entries (one row per worker, trade and currency; '' =
    // absent): a month of 500 workers reads ~5,000 rows instead of sorting ~34,000 shares. They are
    // already grouped, so they are read as they are and added up below (a GROUP BY here spilled to
    // disk over a year of such months, for nothing).
    const ENTRIES: &str = "SELECT month, kind, NULLIF(worker_id, '') AS worker_id, \
         NULLIF(worker_name, '') AS worker_name, NULLIF(crew, '') AS crew, NULLIF(trade, '') AS trade, \
         currency, amount_minor AS amount, person_days_micro AS days, person_hours_micro AS hours \
         FROM funds_month_totals WHERE project_id = $1 AND month >= $2 AND month <= $3 \
         AND kind IN ('wage', 'advance')";
    const PAYMENTS: &str = "SELECT month, worker_id, crew, payee, CAST(sum(amount_minor) AS BIGINT) AS amount \
         FROM funds_payments WHERE project_id = $1 AND month >= $2 AND month <= $3 AND kind = 'wage' \
         GROUP BY month, worker_id, crew, payee";
    let (f, t) = (from.to_string(), to.to_string());
    let (entries, payments): (Vec<EntryGroup>, Vec<PaymentGroup>) = on_pool!(db, |p| {
        let e = sqlx::query_as(ENTRIES).bind(project).bind(&f).bind(&t).fetch_all(p).await?;
        let pay = sqlx::query_as(PAYMENTS).bind(project).bind(&f).bind(&t).fetch_all(p).await?;
        (e, pay)
    });
    accumulate(entries, payments, roster)
}

/// The wage totals' and payments' rows netted per month and row (names resolved by `roster`).
pub(crate) fn accumulate(
    entries: Vec<EntryGroup>,
    payments: Vec<PaymentGroup>,
    roster: &Roster,
) -> Result<Balances, sqlx::Error> {
    let mut out = Balances::default();
    for g in entries {
        let month = month_of(&g.month)?;
        if out.currency.is_none() {
            out.currency = g.currency.as_deref().and_then(|c| c.parse().ok());
        }
        let key = roster.resolve(g.worker_id.as_deref(), g.worker_name.as_deref(), g.crew.as_deref());
        let (sums, seen) = out.months.entry(month).or_default().entry(key).or_default();
        let amount = g.amount.unwrap_or_default();
        match g.kind.as_str() {
            "advance" => sums.advances += amount,
            _ => {
                sums.gross += amount;
                sums.days_micro += g.days.unwrap_or_default();
                sums.hours_micro += g.hours.unwrap_or_default();
            }
        }
        if g.worker_id.is_some()
            && let Some(n) = g.worker_name.as_deref().map(str::trim).filter(|n| !n.is_empty())
            && seen.name.as_deref().is_none_or(|x| n < x)
        {
            seen.name = Some(n.to_string());
        }
        seen.note(g.crew, g.trade);
    }
    for g in payments {
        let Some(month) = g.month.as_deref() else { continue };
        let month = month_of(month)?;
        let key = match (&g.worker_id, &g.crew) {
            (Some(id), _) => WorkerKey::Roster(id.trim().to_string()),
            (None, Some(c)) => WorkerKey::Crew(c.clone()),
            (None, None) => roster.resolve(None, g.payee.as_deref(), None),
        };
        let (sums, seen) = out.months.entry(month).or_default().entry(key).or_default();
        sums.paid += g.amount.unwrap_or_default();
        if seen.crew.is_none() {
            seen.note(g.crew, None);
        }
    }
    Ok(out)
}

/// One row of the wage ledger.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WageRow {
    #[serde(flatten)]
    pub key: WorkerKey,
    /// The roster id (roster rows only).
    pub worker_id: Option<String>,
    /// The roster's name, or the unconfirmed name; None for a crew's unnamed rest.
    pub name: Option<String>,
    /// From the roster (3201**********1234).
    pub id_masked: Option<String>,
    pub crew: Option<String>,
    pub trade: Option<String>,
    /// Person-days and person-hours worked.
    pub days: Decimal,
    pub hours: Decimal,
    pub gross: Decimal,
    pub advances: Decimal,
    pub paid: Decimal,
    pub outstanding: Decimal,
    pub credit: Decimal,
}

/// Totals: the sums of the rows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WageTotals {
    pub workers: usize,
    pub days: Decimal,
    pub hours: Decimal,
    pub gross: Decimal,
    pub advances: Decimal,
    pub paid: Decimal,
    pub outstanding: Decimal,
    pub credit: Decimal,
}

/// The wage payment ledger of one project and month.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WageLedger {
    pub project_id: String,
    pub project_name: String,
    /// `YYYY-MM`.
    pub month: String,
    pub currency: String,
    pub crew: Option<String>,
    pub rows: Vec<WageRow>,
    pub totals: WageTotals,
}

/// A row from its key and figures (the roster supplies name, masked ID, crew and trade).
pub fn row(key: &WorkerKey, sums: &Sums, seen: &Seen, roster: &Roster, currency: Currency) -> WageRow {
    let money = |m: i64| from_minor(m, currency);
    let balance = sums.balance();
    let listed = match key {
        WorkerKey::Roster(id) => roster.get(id),
        _ => None,
    };
    let (worker_id, name) = match key {
        WorkerKey::Roster(id) => (Some(id.clone()), listed.map(|w| w.name.clone()).or_else(|| seen.name.clone())),
        WorkerKey::Unconfirmed(n) => (None, Some(n.clone())),
        WorkerKey::Crew(_) => (None, None),
    };
    let crew = match key {
        WorkerKey::Crew(c) => Some(c.clone()).filter(|c| !c.is_empty()),
        _ => listed.and_then(|w| w.crew.clone()).or_else(|| seen.crew.clone()),
    };
    WageRow {
        key: key.clone(),
        worker_id,
        name,
        id_masked: listed.and_then(|w| w.id_masked.clone()),
        crew,
        trade: listed.and_then(|w| w.trade.clone()).or_else(|| seen.trade.clone()),
        days: from_micro(sums.days_micro),
        hours: from_micro(sums.hours_micro),
        gross: money(sums.gross),
        advances: money(sums.advances),
        paid: money(sums.paid),
        outstanding: money(balance.max(0)),
        credit: money((-balance).max(0)),
    }
}

/// The project's name, currency and wage pay day (None: no reference data yet).
pub async fn project_info(db: &Db, project: &str) -> Result<Option<(String, String, Option<i64>)>, sqlx::Error> {
    const SQL: &str = "SELECT name, currency, wage_pay_day FROM projects WHERE id = $1";
    on_pool!(db, |p| sqlx::query_as(SQL).bind(project).fetch_optional(p).await)
}

/// The first day of `month`'s month.
pub fn first_day(month: NaiveDate) -> NaiveDate {
    month.with_day(1).unwrap_or(month)
}

/// The wage ledger of `project` for the month of `month` (any day in it), optionally of one crew.
/// Rows by crew, then roster rows, unconfirmed names and the crew's unnamed rest, by name.
pub async fn ledger(db: &Db, project: &str, month: NaiveDate, crew: Option<&str>) -> Result<WageLedger, ReportError> {
    let month = first_day(month);
    let roster = Roster::load(db, project).await?;
    let info = project_info(db, project).await?;
    let b = balances(db, project, month, month, &roster).await?;
    let currency = info.as_ref().and_then(|(_, c, _)| c.parse::<Currency>().ok()).or(b.currency).unwrap_or_default();
    let mut rows: Vec<WageRow> = b
        .months
        .get(&month)
        .map(|m| m.iter().map(|(k, (s, seen))| row(k, s, seen, &roster, currency)).collect())
        .unwrap_or_default();
    if let Some(c) = crew {
        rows.retain(|r| r.crew.as_deref().unwrap_or("") == c);
    }
    rows.sort_by(|a, b| {
        let rank = |r: &WageRow| match r.key {
            WorkerKey::Roster(_) => 0,
            WorkerKey::Unconfirmed(_) => 1,
            WorkerKey::Crew(_) => 2,
        };
        (a.crew.as_deref().unwrap_or(""), rank(a), a.name.as_deref().unwrap_or(""), &a.key).cmp(&(
            b.crew.as_deref().unwrap_or(""),
            rank(b),
            b.name.as_deref().unwrap_or(""),
            &b.key,
        ))
    });
    let totals = totals(&rows);
    Ok(WageLedger {
        project_id: project.to_string(),
        project_name: info.map_or_else(|| project.to_string(), |(n, _, _)| n),
        month: month.format("%Y-%m").to_string(),
        currency: currency.code().to_string(),
        crew: crew.map(str::to_string),
        rows,
        totals,
    })
}

/// The sums of `rows`.
pub fn totals(rows: &[WageRow]) -> WageTotals {
    let mut t = WageTotals { workers: rows.len(), ..WageTotals::default() };
    for r in rows {
        t.days += r.days;
        t.hours += r.hours;
        t.gross += r.gross;
        t.advances += r.advances;
        t.paid += r.paid;
        t.outstanding += r.outstanding;
        t.credit += r.credit;
    }
    // Quantities as the rows show them (1.1875 + 1.1875 = 2.375, not 2.3750).
    t.days = t.days.normalize();
    t.hours = t.hours.normalize();
    t
}

/// The inspectors' layout (one row per worker for the month, masked ID from the roster, a column
/// for the worker's signature) in a language: (key, English, 中文) per column.
const COLUMNS: [(&str, &str, &str); 16] = [
    ("employer", "Employer", "用人单位"),
    ("project", "Project", "项目"),
    ("period", "Pay period", "支付周期"),
    ("name", "Name", "姓名"),
    ("worker_id", "Worker no.", "工号"),
    ("id_number", "ID number", "身份证号"),
    ("trade", "Trade", "工种"),
    ("crew", "Crew", "班组"),
    ("days", "Days worked", "出勤天数"),
    ("hours", "Hours", "工时"),
    ("gross", "Gross wages", "应发工资"),
    ("advances", "Advances", "借支"),
    ("paid", "Paid", "实发工资"),
    ("outstanding", "Outstanding", "欠发工资"),
    ("credit", "Overpaid", "多付"),
    ("signature", "Signature", "本人签字"),
];

impl WageLedger {
    fn zh(words: Words) -> bool {
        words.lang() == Lang::ZhCn
    }

    /// How a row's person is written: the roster's name, an unconfirmed name marked so, or the
    /// crew's unnamed rest.
    pub fn display_name(row: &WageRow, words: Words) -> String {
        let zh = Self::zh(words);
        match (&row.key, &row.name) {
            (WorkerKey::Roster(id), None) => id.clone(),
            (WorkerKey::Roster(_), Some(n)) => n.clone(),
            (WorkerKey::Unconfirmed(n), _) if zh => format!("{n}（未确认）"),
            (WorkerKey::Unconfirmed(n), _) => format!("{n} (unconfirmed)"),
            (WorkerKey::Crew(c), _) if zh => format!("{}未具名人员", if c.is_empty() { "" } else { c.as_str() }),
            (WorkerKey::Crew(c), _) if c.is_empty() => "unnamed workers".to_string(),
            (WorkerKey::Crew(c), _) => format!("{c}: unnamed workers"),
        }
    }

    /// The ledger as a file table: one row per worker, then the totals.
    pub fn table(&self, words: Words) -> Table {
        let zh = Self::zh(words);
        let columns = COLUMNS
            .iter()
            .map(|(k, en, cn)| match words {
                Words::Keys => *k,
                Words::Lang(_) if zh => *cn,
                Words::Lang(_) => *en,
            })
            .collect();
        let dp = self.currency.parse::<Currency>().map_or(2, |c| c.scale());
        let text = |s: &Option<String>| s.as_ref().map_or(Cell::Empty, |s| Cell::text(s.clone()));
        let month = NaiveDate::parse_from_str(&format!("{}-01", self.month), "%Y-%m-%d").ok();
        let period = || month.map_or_else(|| Cell::text(self.month.clone()), |m| Cell::Date(m, "yyyy-mm"));
        let figures = |days: Decimal, hours: Decimal, f: [Decimal; 5]| {
            let mut v = vec![Cell::Number(days, 3), Cell::Number(hours, 2)];
            v.extend(f.into_iter().map(|x| Cell::Number(x, dp)));
            v
        };
        let mut rows = Vec::with_capacity(self.rows.len() + 1);
        for r in &self.rows {
            let mut cells = vec![
                Cell::text(self.project_name.clone()),
                Cell::text(self.project_id.clone()),
                period(),
                Cell::text(Self::display_name(r, words)),
                text(&r.worker_id),
                text(&r.id_masked),
                text(&r.trade),
                text(&r.crew),
            ];
            cells.extend(figures(r.days, r.hours, [r.gross, r.advances, r.paid, r.outstanding, r.credit]));
            cells.push(Cell::Empty);
            rows.push(cells);
        }
        let t = &self.totals;
        let mut total = vec![
            Cell::text(self.project_name.clone()),
            Cell::text(self.project_id.clone()),
            period(),
            Cell::text(if zh { "合计" } else { "Total" }),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            text(&self.crew),
        ];
        total.extend(figures(t.days, t.hours, [t.gross, t.advances, t.paid, t.outstanding, t.credit]));
        total.push(Cell::Empty);
        rows.push(total);
        let title = if zh {
            format!("工资支付台账 {} {}（{}）", self.project_name, self.month, self.currency)
        } else {
            format!("Wage payment ledger {} {} ({})", self.project_name, self.month, self.currency)
        };
        Table { sheet: if zh { "工资支付台账".into() } else { "Wages".into() }, title, columns, rows }
    }

    /// The download's name: 工资支付台账_<project>_<month>[_<crew>].
    pub fn file_name(&self, words: Words) -> FileName {
        let head = if Self::zh(words) { "工资支付台账" } else { "wage-ledger" };
        let crew = self.crew.as_deref().unwrap_or("");
        FileName::new(&[head, &self.project_name, &self.month, crew], &["wages", &self.project_id, &self.month])
    }
}

/// Sums of a month's rows in integer units (arrears and tests).
pub fn month_sums(rows: &BTreeMap<WorkerKey, (Sums, Seen)>) -> Sums {
    let mut t = Sums::default();
    for (s, _) in rows.values() {
        t.add(s);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Roster {
        let w = |id: &str, name: &str| RosterEntry {
            id: id.into(),
            name: name.into(),
            id_masked: Some("3201**********1234".into()),
            crew: Some("张班".into()),
            trade: Some("木工".into()),
        };
        Roster::from_entries(vec![w("W1", "王五"), w("W2", "李四"), w("W3", "李四")])
    }

    #[test]
    fn files_neutralise_formulas_in_names_and_keep_exact_figures() {
        let r = roster();
        let s = Sums { gross: 38_000, advances: 0, paid: 0, days_micro: 1_187_500, hours_micro: 9_500_000 };
        let rows = vec![
            row(&WorkerKey::Unconfirmed("=HYPERLINK(\"x\")".into()), &s, &Seen::default(), &r, Currency::Cny),
            row(&WorkerKey::Roster("W1".into()), &s, &Seen::default(), &r, Currency::Cny),
        ];
        let ledger = WageLedger {
            project_id: "P1".into(),
            project_name: "一号楼".into(),
            month: "2026-11".into(),
            currency: "CNY".into(),
            crew: None,
            totals: totals(&rows),
            rows,
        };
        let csv = crate::reports::export::csv(&ledger.table(Words::Lang(Lang::ZhCn))).expect("csv");
        let text = String::from_utf8_lossy(&csv);
        assert!(text.contains("'=HYPERLINK(\"\"x\"\")（未确认）"), "{text}");
        assert!(
            text.contains(
                "一号楼,P1,2026-11,王五,W1,3201**********1234,木工,张班,1.1875,9.5,380.00,0.00,0.00,380.00,0.00,\n"
            ),
            "{text}"
        );
        assert!(text.contains("合计,,,,,2.375,19,760.00,0.00,0.00,760.00,0.00,\n"), "{text}");
        assert_eq!(&crate::reports::export::xlsx(&ledger.table(Words::Keys)).expect("xlsx")[..2], b"PK");
    }

    #[test]
    fn names_resolve_at_read_time() {
        let r = roster();
        assert_eq!(r.resolve(Some("W9"), Some("王五"), None), WorkerKey::Roster("W9".into()));
        assert_eq!(r.resolve(None, Some(" 王五 "), Some("x")), WorkerKey::Roster("W1".into()));
        // Two roster entries named 李四: which one is not guessed.
        assert_eq!(r.resolve(None, Some("李四"), None), WorkerKey::Unconfirmed("李四".into()));
        assert_eq!(r.resolve(None, Some("赵六"), None), WorkerKey::Unconfirmed("赵六".into()));
        assert_eq!(r.resolve(None, None, Some("张班")), WorkerKey::Crew("张班".into()));
        assert_eq!(r.resolve(None, Some("  "), None), WorkerKey::Crew(String::new()));
    }

    #[test]
    fn overpayment_is_a_credit_and_the_row_balances() {
        let r = roster();
        let s = Sums { gross: 100_000, advances: 20_000, paid: 90_000, days_micro: 2_500_000, hours_micro: 20_000_000 };
        let row = row(&WorkerKey::Roster("W1".into()), &s, &Seen::default(), &r, Currency::Cny);
        assert_eq!(row.name.as_deref(), Some("王五"));
        assert_eq!(row.id_masked.as_deref(), Some("3201**********1234"));
        assert_eq!((row.outstanding, row.credit), (Decimal::ZERO, Decimal::new(10_000, 2)));
        assert_eq!(row.paid + row.outstanding - row.credit, row.gross - row.advances);
        // A roster id the roster no longer has keeps the name recorded with it.
        let seen = Seen { name: Some("孙七".into()), ..Seen::default() };
        let gone = super::row(&WorkerKey::Roster("W9".into()), &s, &seen, &r, Currency::Cny);
        assert_eq!((gone.worker_id.as_deref(), gone.name.as_deref(), gone.id_masked), (Some("W9"), Some("孙七"), None));
        assert_eq!((row.days, row.hours), (Decimal::new(25, 1), Decimal::from(20)));
    }
}
