//! The day-labour summary (点工汇总): headcount-days, person-hours and cost of approved labour
//! sheets, by period and by the dimensions asked for (site, trade, crew, cost code, activity,
//! author), the sheet payroll and subcontractor settlement need. Net of reversals: a re-approved
//! sheet counts once, at its standing version.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{Cell, DateRange, ReportError, Table};
use crate::db::Db;
use crate::ledger::postings::{from_micro, from_minor};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Total,
}

impl std::str::FromStr for Period {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, ReportError> {
        match s {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            "total" => Ok(Period::Total),
            other => Err(ReportError::BadInput("period", format!("{other:?} is not one of day, week, month, total"))),
        }
    }
}

impl Period {
    /// The first day of the period holding `d` (weeks start on Monday); none for `Total`.
    fn start(self, d: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Day => Some(d),
            Period::Week => d.checked_sub_days(chrono::Days::new(u64::from(d.weekday().num_days_from_monday()))),
            Period::Month => d.with_day(1),
            Period::Total => None,
        }
    }
}

/// Dimensions a summary can be grouped by, with their ledger column.
pub const DIMENSIONS: [(&str, &str); 6] = [
    ("site", "site_id"),
    ("trade", "trade"),
    ("crew", "crew"),
    ("cost_code", "cost_code"),
    ("activity", "activity"),
    ("author", "author"),
];

pub fn parse_dimensions(text: &str) -> Result<Vec<&'static str>, ReportError> {
    let mut out: Vec<&'static str> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, _) = DIMENSIONS.iter().find(|(n, _)| *n == part).ok_or_else(|| {
            ReportError::BadInput(
                "by",
                format!("{part:?} is not one of site, trade, crew, cost_code, activity, author"),
            )
        })?;
        if !out.contains(name) {
            out.push(name);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Serialize)]
pub struct LabourRow {
    /// First day of the period; none for `total`.
    pub period: Option<NaiveDate>,
    /// The grouping values, in the order asked for (none: not given on the sheet, e.g. no crew).
    pub keys: Vec<Option<String>>,
    pub currency: String,
    /// Sum of the crews' daily headcounts.
    pub headcount: i64,
    pub headcount_days: Decimal,
    pub person_hours: Decimal,
    pub cost: Decimal,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabourSummary {
    pub project_id: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub period: Period,
    pub by: Vec<&'static str>,
    pub rows: Vec<LabourRow>,
    pub totals: Vec<LabourRow>,
}

type Key = (Option<NaiveDate>, Vec<Option<String>>, String);

/// A row of `summary`'s query but its grouping columns (read by name: which ones depends on the
/// request): the group's day ('' for a total) and currency, and its sums.
#[derive(sqlx::FromRow)]
struct LabourSums {
    day: String,
    currency: Option<String>,
    headcount: i64,
    person_days_micro: i64,
    person_hours_micro: i64,
    amount_minor: i64,
}

pub async fn summary(
    db: &Db,
    project: &str,
    range: DateRange,
    period: Period,
    by: &[&'static str],
) -> Result<LabourSummary, ReportError> {
    let (from, to) = range.sql_bounds();
    // Column names come from the fixed DIMENSIONS list, never from the request.
    let cols: Vec<&str> = by.iter().filter_map(|b| DIMENSIONS.iter().find(|(n, _)| n == b).map(|(_, c)| *c)).collect();
    let select_dims: String = cols.iter().map(|c| format!(", {c}")).collect();
    let group = if period == Period::Total { String::from("currency") } else { String::from("currency, work_date") };
    let sql = format!(
        "SELECT {} AS day, currency{select_dims}, CAST(SUM(headcount) AS BIGINT) AS headcount, \
         CAST(SUM(person_days_micro) AS BIGINT) AS person_days_micro, \
         CAST(SUM(person_hours_micro) AS BIGINT) AS person_hours_micro, CAST(SUM(amount_minor) AS BIGINT) AS amount_minor \
         FROM ledger_postings WHERE project_id = $1 AND ledger = 'cost' AND record_kind = 'labour_sheet' \
         AND work_date >= $2 AND work_date <= $3 GROUP BY {group}{select_dims}",
        if period == Period::Total { "''" } else { "work_date" },
    );
    let mut acc: BTreeMap<Key, (i64, i64, i64, i64)> = BTreeMap::new();
    macro_rules! collect {
        ($p:expr) => {{
            use sqlx::Row as _;
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(project)
                .bind(&from)
                .bind(&to)
                .fetch_all($p)
                .await?;
            for r in rows {
                let LabourSums {
                    day,
                    currency,
                    headcount: h,
                    person_days_micro: d,
                    person_hours_micro: hr,
                    amount_minor: m,
                } = sqlx::FromRow::from_row(&r)?;
                let mut keys = Vec::with_capacity(cols.len());
                for c in &cols {
                    keys.push(r.try_get::<Option<String>, _>(*c)?);
                }
                let start = day.parse::<NaiveDate>().ok().and_then(|d| period.start(d));
                let t = acc.entry((start, keys, currency.unwrap_or_default())).or_default();
                t.0 += h;
                t.1 += d;
                t.2 += hr;
                t.3 += m;
            }
        }};
    }
    match db {
        Db::Sqlite(p) => collect!(p),
        Db::Postgres(p) => collect!(p),
    }
    let row = |(period, keys, currency): Key, (h, d, hr, m): (i64, i64, i64, i64)| LabourRow {
        period,
        keys,
        cost: from_minor(m, currency.parse().unwrap_or_default()),
        currency,
        headcount: h,
        headcount_days: from_micro(d),
        person_hours: from_micro(hr),
    };
    let mut totals: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    let mut rows = Vec::with_capacity(acc.len());
    for (k, v) in acc {
        // Wholly reversed groups (a sheet moved to another day) are not shown.
        if v == (0, 0, 0, 0) {
            continue;
        }
        let t = totals.entry(k.2.clone()).or_default();
        t.0 += v.0;
        t.1 += v.1;
        t.2 += v.2;
        t.3 += v.3;
        rows.push(row(k, v));
    }
    let totals = totals.into_iter().map(|(c, v)| row((None, Vec::new(), c), v)).collect();
    Ok(LabourSummary {
        project_id: project.into(),
        from: range.from,
        to: range.to,
        period,
        by: by.to_vec(),
        rows,
        totals,
    })
}

impl LabourSummary {
    pub fn table(&self) -> Table {
        let mut columns: Vec<&'static str> = vec!["period"];
        columns.extend(self.by.iter().copied());
        columns.extend(["headcount", "headcount_days", "person_hours", "currency", "cost"]);
        let line = |r: &LabourRow, label: Option<&str>| {
            let mut cells = vec![match (label, r.period) {
                (Some(l), _) => Cell::text(l),
                (None, Some(p)) => Cell::text(p.to_string()),
                (None, None) => Cell::text("total"),
            }];
            if label.is_some() {
                cells.extend(self.by.iter().map(|_| Cell::Empty));
            } else {
                cells.extend(r.keys.iter().map(|k| k.as_ref().map_or(Cell::Empty, Cell::text)));
            }
            cells.extend([
                Cell::Number(Decimal::from(r.headcount), 0),
                Cell::Number(r.headcount_days, 3),
                Cell::Number(r.person_hours, 2),
                Cell::text(&r.currency),
                Cell::Number(r.cost, super::cost::scale(&r.currency)),
            ]);
            cells
        };
        let mut rows: Vec<Vec<Cell>> = self.rows.iter().map(|r| line(r, None)).collect();
        rows.extend(self.totals.iter().map(|r| line(r, Some("TOTAL"))));
        let range = format!(
            "{} to {}",
            self.from.map_or("start".into(), |d| d.to_string()),
            self.to.map_or("today".into(), |d| d.to_string())
        );
        Table { title: format!("Day labour {} {range}", self.project_id), columns, rows }
    }
}
