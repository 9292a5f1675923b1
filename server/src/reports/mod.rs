//! Reports over the ledgers (docs/approvals-and-ledgers.md, "Reports"): cost (budget, actual,
//! variance, CPI per cost code, rolled up the code tree), schedule (planned and actual %, PV, EV,
//! AC, SV, SPI, CPI per activity, with S-curve points), and the day-labour summary (点工汇总).
//! Each is a [`Table`] too, which `export` writes as CSV or XLSX.
//!
//! Figures come from postings only, so they always equal the sums over the approved versions.
//! Money stays `Decimal`; earned-value figures are rounded to the currency once, at the end, and
//! ratios (CPI, SPI) to 3 decimals, percents to 2.

pub mod cost;
pub mod export;
pub mod labour;
pub mod progress;
pub mod schedule;

use chrono::NaiveDate;
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

    /// Bounds as SQL text: ISO dates compare as text on both backends.
    fn sql_bounds(&self) -> (String, String) {
        (self.from.map_or("0000-01-01".into(), |d| d.to_string()), self.to.map_or("9999-12-31".into(), |d| d.to_string()))
    }
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
    /// Exact decimal with the number of decimals to show.
    Number(Decimal, u32),
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
    pub title: String,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}
