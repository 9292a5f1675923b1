//! The ledger's rows: `ledger_postings` (append-only; a posting or the reversal of one) and the
//! running `ledger_totals`: how a posting is encoded into integer units and inserted, decoded
//! back (`PostingRow`, `StoredPosting`), and read (`postings_of`, `counts`). Each table's columns
//! are listed once (`posting_columns!`).

use super::journal::{DecisionRow, heads_of_text};
use super::postings::{self, Posting, to_micro, to_minor};
use crate::db::{Db, on_pool};

/// The columns of `ledger_postings` as a posting is inserted: all but `id`, which the database
/// assigns. `PostingRow` reads these and `id`. A macro, so that the statements stay literals.
macro_rules! posting_columns {
    () => {
        "decision_id, entry, reverses, ledger, project_id, site_id, record_id, record_kind, heads, line_id, \
         work_date, author, cost_code, activity, trade, crew, category, currency, amount_minor, headcount, \
         person_hours_micro, person_days_micro, percent_micro, quantity_micro, unit, approved_by, posted_at_ms"
    };
}

pub(super) use posting_columns;

/// Reads stored postings: `POSTINGS` with a condition appended.
macro_rules! select_postings {
    ($condition:literal) => {
        concat!("SELECT id, ", posting_columns!(), " FROM ledger_postings ", $condition)
    };
}

/// A decision's own postings (not the reversals it made), in order.
pub(super) const POSTINGS_OF_DECISION: &str =
    select_postings!("WHERE decision_id = $1 AND entry = 'posting' ORDER BY id");

/// A `ledger_postings` row as stored: figures in integer units, the date and currency as text.
#[derive(sqlx::FromRow)]
pub(super) struct PostingRow {
    id: i64,
    decision_id: String,
    entry: String,
    reverses: Option<i64>,
    ledger: String,
    project_id: String,
    site_id: String,
    record_id: String,
    record_kind: String,
    heads: String,
    line_id: String,
    work_date: String,
    author: String,
    cost_code: Option<String>,
    activity: Option<String>,
    trade: Option<String>,
    crew: Option<String>,
    category: Option<String>,
    currency: Option<String>,
    amount_minor: i64,
    headcount: i64,
    person_hours_micro: i64,
    person_days_micro: i64,
    percent_micro: Option<i64>,
    quantity_micro: Option<i64>,
    unit: Option<String>,
    approved_by: String,
    posted_at_ms: i64,
}

impl PostingRow {
    /// The posting this row stores; a value the ledger never writes is an error.
    pub(super) fn decode(self) -> Result<StoredPosting, sqlx::Error> {
        use std::str::FromStr as _;

        use record_schema::Currency;
        use rust_decimal::Decimal;

        use super::postings::{from_micro, from_minor};
        let bad = |field: &str, v: &str| sqlx::Error::Protocol(format!("ledger_postings.{field} holds {v:?}"));
        let ledger = match self.ledger.as_str() {
            "cost" => postings::Ledger::Cost,
            "schedule" => postings::Ledger::Schedule,
            other => return Err(bad("ledger", other)),
        };
        let currency = self.currency.map(|c| Currency::from_str(&c).map_err(|_| bad("currency", &c))).transpose()?;
        let work_date = chrono::NaiveDate::from_str(&self.work_date).map_err(|_| bad("work_date", &self.work_date))?;
        Ok(StoredPosting {
            id: self.id,
            decision_id: self.decision_id,
            entry: self.entry,
            reverses: self.reverses,
            project_id: self.project_id,
            record_id: self.record_id,
            record_kind: self.record_kind,
            heads: self.heads,
            approved_by: self.approved_by,
            posted_at_ms: self.posted_at_ms,
            posting: Posting {
                ledger,
                line_id: self.line_id,
                site_id: self.site_id,
                work_date,
                author: self.author,
                cost_code: self.cost_code,
                activity: self.activity,
                trade: self.trade,
                crew: self.crew,
                category: self.category,
                currency,
                amount: currency.map_or(Decimal::ZERO, |c| from_minor(self.amount_minor, c)),
                headcount: self.headcount,
                person_hours: from_micro(self.person_hours_micro),
                person_days: from_micro(self.person_days_micro),
                percent: self.percent_micro.map(from_micro),
                quantity: self.quantity_micro.map(from_micro),
                unit: self.unit,
            },
        })
    }
}

/// A posting row as inserted: figures in integer units.
pub(super) struct Row<'a> {
    pub(super) entry: &'static str,
    pub(super) reverses: Option<i64>,
    pub(super) heads: &'a str,
    pub(super) p: &'a Posting,
}

/// Rows per multi-row INSERT: 27 binds each stays far below SQLite's and PostgreSQL's limits.
pub(super) const INSERT_CHUNK: usize = 200;

/// A row with its figures in the ledger's integer units.
pub(super) struct Encoded<'a> {
    pub(super) row: Row<'a>,
    pub(super) amount: i64,
    pub(super) hours: i64,
    pub(super) days: i64,
    pub(super) percent: Option<i64>,
    pub(super) quantity: Option<i64>,
}

pub(super) fn encode<'a>(d: &DecisionRow, r: &Row<'a>) -> Result<Encoded<'a>, sqlx::Error> {
    let p = r.p;
    let currency = p.currency.unwrap_or_default();
    let overflow =
        || sqlx::Error::Protocol(format!("posting of {} does not fit the ledger's integer columns", d.record_id));
    Ok(Encoded {
        row: Row { entry: r.entry, reverses: r.reverses, heads: r.heads, p },
        amount: to_minor(p.amount, currency).ok_or_else(overflow)?,
        hours: to_micro(p.person_hours).ok_or_else(overflow)?,
        days: to_micro(p.person_days).ok_or_else(overflow)?,
        percent: p.percent.map(|x| to_micro(x).ok_or_else(overflow)).transpose()?,
        quantity: p.quantity.map(|x| to_micro(x).ok_or_else(overflow)).transpose()?,
    })
}

/// (dimension, grain, period, item, currency) of a `ledger_totals` row; an absent item is ''.
pub(super) type TotalsKey<'a> = (&'static str, &'static str, chrono::NaiveDate, &'a str, &'a str);

/// The cost rows' net per `ledger_totals` key (each posting counts in its day and its month, by
/// cost code and by activity), in key order: concurrent approvals then lock shared rows in the
/// same order and cannot deadlock each other.
pub(super) fn totals<'a>(rows: &'a [Encoded<'a>]) -> Vec<(TotalsKey<'a>, (i64, i64, i64))> {
    use chrono::Datelike;
    let mut totals: std::collections::BTreeMap<TotalsKey<'a>, (i64, i64, i64)> = std::collections::BTreeMap::new();
    for e in rows.iter().filter(|e| e.row.p.ledger == postings::Ledger::Cost) {
        let p = e.row.p;
        let currency = p.currency.map_or("", |c| c.code());
        let month = p.work_date.with_day(1).unwrap_or(p.work_date);
        for (dimension, item) in [("cost_code", &p.cost_code), ("activity", &p.activity)] {
            for (grain, period) in [("day", p.work_date), ("month", month)] {
                let t = totals.entry((dimension, grain, period, item.as_deref().unwrap_or(""), currency)).or_default();
                t.0 += e.amount;
                t.1 += e.days;
                t.2 += e.hours;
            }
        }
    }
    totals.into_iter().collect()
}

/// (month, currency, site, trade, crew) of a `labour_month_totals` row; an absent value is ''.
pub(super) type LabourMonthKey<'a> = (chrono::NaiveDate, &'a str, &'a str, &'a str, &'a str);

/// A labour sheet's cost lines netted per `labour_month_totals` key (headcount, person-days,
/// person-hours, amount), in key order, for the same reason as `totals`. Other kinds add nothing.
pub(super) fn labour_months<'a>(
    record_kind: &str,
    rows: &'a [Encoded<'a>],
) -> Vec<(LabourMonthKey<'a>, (i64, i64, i64, i64))> {
    use chrono::Datelike;
    let mut months: std::collections::BTreeMap<LabourMonthKey<'a>, (i64, i64, i64, i64)> =
        std::collections::BTreeMap::new();
    if record_kind != "labour_sheet" {
        return Vec::new();
    }
    for e in rows.iter().filter(|e| e.row.p.ledger == postings::Ledger::Cost) {
        let p = e.row.p;
        let key = (
            p.work_date.with_day(1).unwrap_or(p.work_date),
            p.currency.map_or("", |c| c.code()),
            p.site_id.as_str(),
            p.trade.as_deref().unwrap_or(""),
            p.crew.as_deref().unwrap_or(""),
        );
        let t = months.entry(key).or_default();
        t.0 += p.headcount;
        t.1 += e.days;
        t.2 += e.hours;
        t.3 += e.amount;
    }
    months.into_iter().collect()
}

/// Appends, in the decision's transaction `$tx`, the reversal of the replaced approval's postings
/// and `$posts` (at `$heads`), and adds them to `ledger_totals`; evaluates to (rows appended,
/// reversals among them). A macro: the transaction type differs between the backends.
macro_rules! append_postings {
    ($tx:ident, $d:ident, $heads:ident, $posts:ident) => {{
        use $crate::ledger::postings::Posting;
        use $crate::ledger::stored_postings::{
            INSERT_CHUNK, POSTINGS_OF_DECISION, PostingRow, Row, encode, labour_months, posting_columns, totals,
        };
        let (tx, d, heads, posts) = (&mut $tx, $d, &$heads, $posts);
        // The replaced approval's own postings (not the reversals it made) are reversed.
        let old: Vec<(i64, Posting, String)> = match &d.replaces {
            None => Vec::new(),
            Some(replaced) => {
                let rows: Vec<PostingRow> =
                    sqlx::query_as(POSTINGS_OF_DECISION).bind(replaced).fetch_all(&mut **tx).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let stored = r.decode()?;
                    out.push((stored.id, stored.posting, stored.heads));
                }
                out
            }
        };
        let mut rows: Vec<Row<'_>> = Vec::new();
        let reversed: Vec<Posting> = old.iter().map(|(_, p, _)| p.reversed()).collect();
        for ((id, _, h), p) in old.iter().zip(&reversed) {
            rows.push(Row { entry: "reversal", reverses: Some(*id), heads: h, p });
        }
        for p in posts {
            rows.push(Row { entry: "posting", reverses: None, heads: &heads, p });
        }
        let encoded = rows.iter().map(|r| encode(d, r)).collect::<Result<Vec<_>, _>>()?;
        // Multi-row inserts: a 50-line sheet is a handful of statements, not 50 round trips.
        for chunk in encoded.chunks(INSERT_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(concat!("INSERT INTO ledger_postings (", posting_columns!(), ") "));
            q.push_values(chunk, |mut b, e| {
                let p = e.row.p;
                b.push_bind(&d.id)
                    .push_bind(e.row.entry)
                    .push_bind(e.row.reverses)
                    .push_bind(p.ledger.as_str())
                    .push_bind(&d.project_id)
                    .push_bind(&p.site_id)
                    .push_bind(&d.record_id)
                    .push_bind(&d.record_kind)
                    .push_bind(e.row.heads)
                    .push_bind(&p.line_id)
                    .push_bind(p.work_date.to_string())
                    .push_bind(&p.author)
                    .push_bind(&p.cost_code)
                    .push_bind(&p.activity)
                    .push_bind(&p.trade)
                    .push_bind(&p.crew)
                    .push_bind(&p.category)
                    .push_bind(p.currency.map(|c| c.code()))
                    .push_bind(e.amount)
                    .push_bind(p.headcount)
                    .push_bind(e.hours)
                    .push_bind(e.days)
                    .push_bind(e.percent)
                    .push_bind(e.quantity)
                    .push_bind(&p.unit)
                    .push_bind(&d.decided_by)
                    .push_bind(d.decided_at_ms);
            });
            q.build().execute(&mut **tx).await?;
        }
        let totals = totals(&encoded);
        for chunk in totals.chunks(INSERT_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO ledger_totals (project_id, dimension, grain, period, item, currency, amount_minor, \
                 person_days_micro, person_hours_micro) ",
            );
            q.push_values(chunk, |mut b, (k, t)| {
                b.push_bind(&d.project_id)
                    .push_bind(k.0)
                    .push_bind(k.1)
                    .push_bind(k.2.to_string())
                    .push_bind(k.3)
                    .push_bind(k.4)
                    .push_bind(t.0)
                    .push_bind(t.1)
                    .push_bind(t.2);
            });
            q.push(
                " ON CONFLICT (project_id, dimension, grain, period, item, currency) DO UPDATE SET \
                 amount_minor = ledger_totals.amount_minor + excluded.amount_minor, \
                 person_days_micro = ledger_totals.person_days_micro + excluded.person_days_micro, \
                 person_hours_micro = ledger_totals.person_hours_micro + excluded.person_hours_micro",
            );
            q.build().execute(&mut **tx).await?;
        }
        let months = labour_months(&d.record_kind, &encoded);
        for chunk in months.chunks(INSERT_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO labour_month_totals (project_id, month, currency, site_id, trade, crew, headcount, \
                 person_days_micro, person_hours_micro, amount_minor) ",
            );
            q.push_values(chunk, |mut b, (k, t)| {
                b.push_bind(&d.project_id)
                    .push_bind(k.0.to_string())
                    .push_bind(k.1)
                    .push_bind(k.2)
                    .push_bind(k.3)
                    .push_bind(k.4)
                    .push_bind(t.0)
                    .push_bind(t.1)
                    .push_bind(t.2)
                    .push_bind(t.3);
            });
            q.push(
                " ON CONFLICT (project_id, month, currency, site_id, trade, crew) \
                 DO UPDATE SET headcount = labour_month_totals.headcount + excluded.headcount, \
                 person_days_micro = labour_month_totals.person_days_micro + excluded.person_days_micro, \
                 person_hours_micro = labour_month_totals.person_hours_micro + excluded.person_hours_micro, \
                 amount_minor = labour_month_totals.amount_minor + excluded.amount_minor",
            );
            q.build().execute(&mut **tx).await?;
        }
        let (postings, reversals) = (encoded.len() as i64, old.len() as i64);
        (postings, reversals)
    }};
}

pub(super) use append_postings;

/// One stored posting with its audit columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPosting {
    pub id: i64,
    pub decision_id: String,
    /// `posting` or `reversal`.
    pub entry: String,
    pub reverses: Option<i64>,
    pub project_id: String,
    pub record_id: String,
    pub record_kind: String,
    /// The version whose figures these are (for a reversal: the version reversed).
    pub heads: String,
    pub approved_by: String,
    pub posted_at_ms: i64,
    pub posting: Posting,
}

/// One stored posting as the API lists it (`GET /v1/ledger/postings`): amounts and quantities as
/// decimal text.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PostingEntry {
    pub id: i64,
    /// The decision that appended it.
    pub decision_id: String,
    /// `posting` or `reversal`.
    #[schema(example = "posting")]
    pub entry: String,
    /// For a reversal: the posting it reverses.
    pub reverses: Option<i64>,
    /// `cost` or `schedule`.
    pub ledger: &'static str,
    pub project_id: String,
    pub site_id: String,
    pub record_id: String,
    pub record_kind: String,
    /// The version whose figures these are (for a reversal: the version reversed).
    pub heads: Vec<String>,
    /// The crew line's id on a labour sheet; empty otherwise.
    pub line_id: String,
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub author: String,
    pub cost_code: Option<String>,
    pub activity: Option<String>,
    pub trade: Option<String>,
    pub crew: Option<String>,
    /// An expense's category.
    pub category: Option<String>,
    /// None on schedule postings.
    pub currency: Option<&'static str>,
    /// In `currency`'s decimals; none without a currency.
    #[schema(example = "433.44")]
    pub amount: Option<String>,
    pub headcount: i64,
    pub person_hours: String,
    pub headcount_days: String,
    pub percent: Option<String>,
    pub quantity: Option<String>,
    pub unit: Option<String>,
    pub approved_by: String,
    pub posted_at_ms: i64,
}

impl StoredPosting {
    /// The posting as the API lists it.
    pub fn entry(&self) -> PostingEntry {
        let p = &self.posting;
        let currency = p.currency.unwrap_or_default();
        PostingEntry {
            id: self.id,
            decision_id: self.decision_id.clone(),
            entry: self.entry.clone(),
            reverses: self.reverses,
            ledger: p.ledger.as_str(),
            project_id: self.project_id.clone(),
            site_id: p.site_id.clone(),
            record_id: self.record_id.clone(),
            record_kind: self.record_kind.clone(),
            heads: heads_of_text(&self.heads),
            line_id: p.line_id.clone(),
            date: p.work_date.to_string(),
            author: p.author.clone(),
            cost_code: p.cost_code.clone(),
            activity: p.activity.clone(),
            trade: p.trade.clone(),
            crew: p.crew.clone(),
            category: p.category.clone(),
            currency: p.currency.map(|c| c.code()),
            amount: p.currency.map(|_| currency.canonical(p.amount)),
            headcount: p.headcount,
            person_hours: p.person_hours.normalize().to_string(),
            headcount_days: p.person_days.normalize().to_string(),
            percent: p.percent.map(|x| x.normalize().to_string()),
            quantity: p.quantity.map(|x| x.normalize().to_string()),
            unit: p.unit.clone(),
            approved_by: self.approved_by.clone(),
            posted_at_ms: self.posted_at_ms,
        }
    }
}

/// Postings of one record (all of them, in order), or of a whole project when `record_id` is None.
pub async fn postings_of(db: &Db, project: &str, record_id: Option<&str>) -> Result<Vec<StoredPosting>, sqlx::Error> {
    const SQL: &str = select_postings!("WHERE project_id = $1 AND record_id = COALESCE($2, record_id) ORDER BY id");
    let rows: Vec<PostingRow> =
        on_pool!(db, |p| sqlx::query_as(SQL).bind(project).bind(record_id).fetch_all(p).await?);
    rows.into_iter().map(PostingRow::decode).collect()
}

/// Counts of postings a decision appended (postings, reversals among them).
pub(super) async fn counts(db: &Db, decision_id: &str) -> Result<(i64, i64), sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Counts {
        postings: i64,
        reversals: Option<i64>,
    }
    let row: Counts = on_pool!(db, |p| {
        sqlx::query_as(
            "SELECT count(*) AS postings, sum(CASE WHEN entry = 'reversal' THEN 1 ELSE 0 END) AS reversals \
             FROM ledger_postings WHERE decision_id = $1",
        )
        .bind(decision_id)
        .fetch_one(p)
        .await?
    });
    Ok((row.postings, row.reversals.unwrap_or_default()))
}
