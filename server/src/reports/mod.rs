//! Reports over the ledgers (docs/approvals-and-ledgers.md, "Reports"): cost (budget, actual,
//! variance, CPI per cost code, rolled up the code tree), schedule (planned and actual %, PV, EV,
//! AC, SV, SPI, CPI per activity, with S-curve points), and the day-labour summary (点工汇总).
//! Each is a [`Table`] too, which `export` writes as CSV or XLSX.
//!
//! Figures come from postings only, so they always equal the sums over the approved versions.
//! Money stays `Decimal`; earned-value figures are rounded to the currency once, at the end, and
//! ratios (CPI, SPI) to 3 decimals, percents to 2.

pub mod cost;
pub mod drilldown;
pub mod export;
pub mod forecast;
pub mod labour;
pub mod portfolio;
pub mod progress;
pub mod query;
pub mod schedule;

use chrono::{DateTime, NaiveDate, Utc};

use crate::db::{Db, on_pool};
use crate::reference::ReferenceSet;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A parameter that cannot be used (field, reason).
    #[error("{0}: {1}")]
    BadInput(&'static str, String),
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("export: {0}")]
    Export(String),
}

/// Test hook: an RFC 3339 instant (`2026-03-02T17:30:00Z`) that freezes the clock the reports'
/// default dates come from, read once. Only honoured when set; never set it in production.
pub const TEST_NOW_ENV: &str = "FIELDLEDGER_TEST_NOW";

/// The clock of the reports' default dates: now, or the instant `FIELDLEDGER_TEST_NOW` holds.
pub fn now() -> DateTime<Utc> {
    static FIXED: std::sync::OnceLock<Option<DateTime<Utc>>> = std::sync::OnceLock::new();
    let fixed = FIXED.get_or_init(|| {
        let text = std::env::var(TEST_NOW_ENV).ok()?;
        match DateTime::parse_from_rfc3339(text.trim()) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(e) => {
                tracing::warn!(value = %text, error = %e, "{TEST_NOW_ENV} is not an RFC 3339 instant; using the real clock");
                None
            }
        }
    });
    fixed.unwrap_or_else(Utc::now)
}

/// Today where the project works, the default end of every report: a project has no zone of its
/// own, so its first site's; UTC without a site. Not UTC's date, which in Shanghai is still
/// yesterday until 08:00.
pub fn today(set: &ReferenceSet) -> NaiveDate {
    today_in(set.sites.first().map(|s| s.time_zone.as_str()))
}

/// Today in `time_zone` (an IANA name); UTC's date without one or with a name that is not one.
pub fn today_in(time_zone: Option<&str>) -> NaiveDate {
    let now = now();
    match time_zone.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => now.with_timezone(&tz).date_naive(),
        None => now.date_naive(),
    }
}

/// An inclusive date range; either end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl DateRange {
    pub fn new(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Self, ReportError> {
        if let (Some(f), Some(t)) = (from, to)
            && t < f
        {
            return Err(ReportError::BadInput("to", format!("{t} is before from {f}")));
        }
        Ok(DateRange { from, to })
    }

    /// The range cut for tables kept per month (`ledger_totals`' month grain, `labour_month_totals`):
    /// the whole months inside it and the days at either edge outside them. An open end is the
    /// earliest or latest date a ledger holds.
    pub fn split_months(&self) -> MonthSplit {
        use chrono::{Datelike, Days, Months};
        let min = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
        let max = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
        let (from, to) = (self.from.unwrap_or(min).max(min), self.to.unwrap_or(max).min(max));
        if from > to {
            return MonthSplit { months: None, edges: [None, None] };
        }
        let month_of = |d: NaiveDate| d.with_day(1).unwrap_or(d);
        let next_month = |d: NaiveDate| month_of(d).checked_add_months(Months::new(1)).unwrap_or(max);
        // Whole months inside the range: from the first day of `first` to `last_end`.
        let first = if from.day() == 1 { from } else { next_month(from) };
        let last_end = if to.checked_add_days(Days::new(1)).is_none_or(|n| n.day() == 1) {
            to
        } else {
            month_of(to).pred_opt().unwrap_or(min)
        };
        if first > last_end {
            // No whole month: days only.
            return MonthSplit { months: None, edges: [Some((from, to)), None] };
        }
        let before = (first > from).then(|| (from, first.pred_opt().unwrap_or(min)));
        let after = (to > last_end).then(|| (last_end.succ_opt().unwrap_or(max), to));
        MonthSplit { months: Some((first, month_of(last_end))), edges: [before, after] }
    }

    /// Bounds as SQL text: ISO dates compare as text on both backends.
    fn sql_bounds(&self) -> (String, String) {
        (
            self.from.map_or("0000-01-01".into(), |d| d.to_string()),
            self.to.map_or("9999-12-31".into(), |d| d.to_string()),
        )
    }
}

/// A `DateRange` cut at whole months (`DateRange::split_months`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSplit {
    /// The first days of the first and the last whole month inside the range.
    pub months: Option<(NaiveDate, NaiveDate)>,
    /// The days before the first whole month and after the last (the whole range when it holds
    /// no whole month), inclusive.
    pub edges: [Option<(NaiveDate, NaiveDate)>; 2],
}

/// Net approved cost of one item of a dimension, in one currency (`cost_totals`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ItemTotal {
    pub item: String,
    pub currency: String,
    pub amount_minor: i64,
}

/// Net approved cost per item of `dimension` (`cost_code` or `activity`) and currency, dated in
/// `range`: whole months from the month totals, the days at either edge from the day totals.
pub async fn cost_totals(
    db: &Db,
    project: &str,
    dimension: &str,
    range: DateRange,
) -> Result<Vec<ItemTotal>, ReportError> {
    let split = range.split_months();
    let text = |d: NaiveDate| d.to_string();
    let span =
        |r: Option<(NaiveDate, NaiveDate)>| r.map_or(("1".to_string(), "0".to_string()), |(a, b)| (text(a), text(b)));
    let months = span(split.months);
    let days = [span(split.edges[0]), span(split.edges[1])];
    let sql = "SELECT item, currency, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor FROM ledger_totals \
               WHERE project_id = $1 AND dimension = $2 AND ( \
               (grain = 'month' AND period >= $3 AND period <= $4) OR \
               (grain = 'day' AND period >= $5 AND period <= $6) OR \
               (grain = 'day' AND period >= $7 AND period <= $8)) \
               GROUP BY item, currency";
    Ok(on_pool!(db, |p| sqlx::query_as(sql)
        .bind(project)
        .bind(dimension)
        .bind(&months.0)
        .bind(&months.1)
        .bind(&days[0].0)
        .bind(&days[0].1)
        .bind(&days[1].0)
        .bind(&days[1].1)
        .fetch_all(p)
        .await?))
}

/// `a / b` rounded to 3 decimals; none when `b` is zero.
pub fn ratio(a: Decimal, b: Decimal) -> Option<Decimal> {
    (!b.is_zero()).then(|| (a / b).round_dp_with_strategy(3, RoundingStrategy::MidpointAwayFromZero))
}

pub fn pct(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize()
}

/// One cell of an exported table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    /// Exact decimal (CSV writes it as it is) with the decimals XLSX shows it to.
    Number(Decimal, u32),
    /// A date: a date cell with this Excel number format in XLSX (`yyyy-mm-dd`, or `yyyy-mm` for a
    /// month), the same shown as text in CSV.
    Date(NaiveDate, &'static str),
    Empty,
}

impl Cell {
    pub fn opt(d: Option<Decimal>, dp: u32) -> Cell {
        d.map_or(Cell::Empty, |d| Cell::Number(d, dp))
    }

    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }
}

/// A report as a table, for CSV and XLSX.
#[derive(Debug, Clone)]
pub struct Table {
    /// The XLSX sheet's name (at most 31 characters, none of `[]:*?/\\`; `export` enforces it).
    pub sheet: String,
    pub title: String,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn split(from: Option<&str>, to: Option<&str>) -> MonthSplit {
        DateRange::new(from.map(d), to.map(d)).expect("range").split_months()
    }

    #[test]
    fn ranges_split_into_whole_months_and_edge_days() {
        let m = |a, b| Some((d(a), d(b)));
        // Mid-month to mid-month: the edges from days, the months between from month totals.
        assert_eq!(
            split(Some("2026-03-17"), Some("2026-09-09")),
            MonthSplit {
                months: m("2026-04-01", "2026-08-01"),
                edges: [m("2026-03-17", "2026-03-31"), m("2026-09-01", "2026-09-09")]
            }
        );
        // Exactly whole months (February of a leap year ends on the 29th): no edges.
        assert_eq!(
            split(Some("2028-01-01"), Some("2028-02-29")),
            MonthSplit { months: m("2028-01-01", "2028-02-01"), edges: [None, None] }
        );
        // Inside one month: days only.
        assert_eq!(
            split(Some("2026-11-02"), Some("2026-11-30")),
            MonthSplit { months: None, edges: [m("2026-11-02", "2026-11-30"), None] }
        );
        // Open ends are whole months up to the ledgers' earliest and latest dates.
        let open = split(None, None);
        assert_eq!(open.months, m("1900-01-01", "9999-12-01"));
        assert_eq!(open.edges, [None, None]);
        assert_eq!(split(None, Some("2026-06-30")).months, m("1900-01-01", "2026-06-01"));
    }
}
