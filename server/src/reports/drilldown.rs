//! A cost code's own postings, for the cost dashboard's drill-down (`/web/cost/{code}`): the ledger
//! lines charged to exactly that code in a date range, newest first, a page at a time.
//!
//! Every query is answered from the index `ledger_postings_by_cost_code (project_id, cost_code,
//! work_date)`: a page walks it backwards from a cursor (keyset paging: the date and id of the
//! last line shown, never an OFFSET that grows with history), and the count reads the index alone.
//! Schedule postings carry no cost code, so `cost_code = $2` selects cost postings only. Sums are
//! not computed here: the code's actual comes from `ledger_totals` (the cost report), which equals
//! the sum of these postings (a test checks it).

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{DateRange, ReportError};
use crate::db::{Db, on_pool};
use crate::ledger::postings::{from_micro, from_minor};

/// Postings counted at most: past it the page says "more than 10,000" (a count reads the index
/// alone, but every entry of it: ~7 ms per 16,000 on PostgreSQL, too slow for a code of years).
pub const COUNT_CAP: i64 = 10_000;

/// Most lines on one page (and the default).
pub const MAX_PAGE: i64 = 200;
pub const DEFAULT_PAGE: i64 = 50;

/// Where a page starts: after the line with this date and id (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub date: NaiveDate,
    pub id: i64,
}

impl Cursor {
    /// `2026-11-20.1234`, as the next page's link carries it.
    pub fn text(&self) -> String {
        format!("{}.{}", self.date, self.id)
    }

    /// The text of `text()`; anything else is refused.
    pub fn parse(s: &str) -> Result<Cursor, ReportError> {
        let bad = || ReportError::BadInput("before", format!("expected DATE.ID, got {s:?}"));
        let (date, id) = s.trim().split_once('.').ok_or_else(bad)?;
        let date = super::query::date_param("before", Some(date.to_string()))?
            .and_then(|d| NaiveDate::from_str(&d).ok())
            .ok_or_else(bad)?;
        let id = id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(bad)?;
        Ok(Cursor { date, id })
    }
}

/// One line of the ledger charged to the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodePosting {
    pub id: i64,
    pub record_id: String,
    /// `labour_sheet` or `expense`.
    pub record_kind: String,
    /// `posting`, or `reversal` (the record was approved again: its earlier figures are undone).
    pub entry: String,
    pub site_id: String,
    pub work_date: NaiveDate,
    pub author: String,
    pub activity: Option<String>,
    pub trade: Option<String>,
    pub crew: Option<String>,
    /// An expense's category.
    pub category: Option<String>,
    pub currency: String,
    pub amount: Decimal,
    pub headcount: i64,
    pub person_days: Decimal,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    record_id: String,
    record_kind: String,
    entry: String,
    site_id: String,
    work_date: String,
    author: String,
    activity: Option<String>,
    trade: Option<String>,
    crew: Option<String>,
    category: Option<String>,
    currency: Option<String>,
    amount_minor: i64,
    headcount: i64,
    person_days_micro: i64,
}

impl Row {
    fn decode(self) -> Result<CodePosting, ReportError> {
        let bad = |field: &str, v: &str| {
            ReportError::Sql(sqlx::Error::Protocol(format!("ledger_postings.{field} holds {v:?}")))
        };
        let work_date = NaiveDate::from_str(&self.work_date).map_err(|_| bad("work_date", &self.work_date))?;
        let code = self.currency.unwrap_or_default();
        let currency = record_schema::Currency::from_str(&code).map_err(|_| bad("currency", &code))?;
        Ok(CodePosting {
            id: self.id,
            record_id: self.record_id,
            record_kind: self.record_kind,
            entry: self.entry,
            site_id: self.site_id,
            work_date,
            author: self.author,
            activity: self.activity,
            trade: self.trade,
            crew: self.crew,
            category: self.category,
            currency: code,
            amount: from_minor(self.amount_minor, currency),
            headcount: self.headcount,
            person_days: from_micro(self.person_days_micro),
        })
    }
}

/// A page of a code's postings, newest first.
#[derive(Debug, Clone)]
pub struct PostingsPage {
    pub postings: Vec<CodePosting>,
    /// The cursor of the next (older) page, when there is one.
    pub next: Option<Cursor>,
    /// Postings of the code in the whole range (all pages), up to `COUNT_CAP + 1` (more than the
    /// cap).
    pub count: i64,
}

/// The postings charged to exactly `code` dated in `range`, newest first, `limit` of them (1 to
/// `MAX_PAGE`) after `before`.
pub async fn code_postings(
    db: &Db,
    project: &str,
    code: &str,
    range: DateRange,
    before: Option<Cursor>,
    limit: i64,
) -> Result<PostingsPage, ReportError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let (from, to) = range.sql_bounds();
    // The cursor bounds the index range too (not only the OR below), so a late page still starts
    // its walk where the previous one stopped.
    let upper = match before {
        Some(c) => to.clone().min(c.date.to_string()),
        None => to.clone(),
    };
    let (cursor_date, cursor_id) = before.map_or(("9999-12-31".to_string(), i64::MAX), |c| (c.date.to_string(), c.id));
    const PAGE: &str = "SELECT id, record_id, record_kind, entry, site_id, work_date, author, activity, trade, crew, \
                        category, currency, amount_minor, headcount, person_days_micro FROM ledger_postings \
                        WHERE project_id = $1 AND cost_code = $2 AND work_date >= $3 AND work_date <= $4 \
                        AND (work_date < $5 OR (work_date = $5 AND id < $6)) \
                        ORDER BY work_date DESC, id DESC LIMIT $7";
    const COUNT: &str = "SELECT count(*) AS n FROM (SELECT 1 AS one FROM ledger_postings \
                         WHERE project_id = $1 AND cost_code = $2 AND work_date >= $3 AND work_date <= $4 LIMIT $5) AS capped";
    let rows: Vec<Row> = on_pool!(db, |p| sqlx::query_as(PAGE)
        .bind(project)
        .bind(code)
        .bind(&from)
        .bind(&upper)
        .bind(&cursor_date)
        .bind(cursor_id)
        .bind(limit + 1)
        .fetch_all(p)
        .await?);
    let count: i64 = on_pool!(db, |p| sqlx::query_scalar(COUNT)
        .bind(project)
        .bind(code)
        .bind(&from)
        .bind(&to)
        .bind(COUNT_CAP + 1)
        .fetch_one(p)
        .await?);
    let more = rows.len() as i64 > limit;
    let postings = rows.into_iter().take(limit as usize).map(Row::decode).collect::<Result<Vec<_>, _>>()?;
    let next = if more { postings.last().map(|p| Cursor { date: p.work_date, id: p.id }) } else { None };
    Ok(PostingsPage { postings, next, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip_and_refusals() {
        let c = Cursor { date: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"), id: 42 };
        assert_eq!(Cursor::parse(&c.text()).expect("parses"), c);
        for bad in ["", "2026-11-20", "2026-11-20.", "2026-11-20.x", "2026-11-20.-1", "x.1", "+262142-12-31.1"] {
            assert!(Cursor::parse(bad).is_err(), "{bad:?}");
        }
    }
}
