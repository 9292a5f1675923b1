//! The ledger's rows: `ledger_postings` (append-only; a posting or the reversal of one) and the
//! running `ledger_totals`: how a posting is encoded into integer units and inserted, decoded
//! back (`StoredPosting`), and read (`postings_of`, `counts`).

use super::journal::{DecisionRow, heads_of_text};
use super::postings::{self, Posting, to_micro, to_minor};
use crate::db::{Db, on_pool};

/// Decodes a row of `POSTING_COLUMNS_SQL` (a macro: the row type differs between the backends).
macro_rules! stored_posting {
    ($r:expr) => {{
        use std::str::FromStr as _;

        use record_schema::Currency;
        use rust_decimal::Decimal;
        use sqlx::Row as _;

        use $crate::ledger::postings::{self, Posting, from_micro, from_minor};
        use $crate::ledger::stored_postings::StoredPosting;
        let r = $r;
        (|| -> Result<StoredPosting, sqlx::Error> {
            let bad = |field: &str, v: &str| sqlx::Error::Protocol(format!("ledger_postings.{field} holds {v:?}"));
            let ledger: String = r.try_get(4)?;
            let ledger = match ledger.as_str() {
                "cost" => postings::Ledger::Cost,
                "schedule" => postings::Ledger::Schedule,
                other => return Err(bad("ledger", other)),
            };
            let currency: Option<String> = r.try_get(18)?;
            let currency = currency.map(|c| Currency::from_str(&c).map_err(|_| bad("currency", &c))).transpose()?;
            let date: String = r.try_get(11)?;
            let work_date = chrono::NaiveDate::from_str(&date).map_err(|_| bad("work_date", &date))?;
            let percent: Option<i64> = r.try_get(23)?;
            let quantity: Option<i64> = r.try_get(24)?;
            let amount: i64 = r.try_get(19)?;
            Ok(StoredPosting {
                id: r.try_get(0)?,
                decision_id: r.try_get(1)?,
                entry: r.try_get(2)?,
                reverses: r.try_get(3)?,
                project_id: r.try_get(5)?,
                record_id: r.try_get(7)?,
                record_kind: r.try_get(8)?,
                heads: r.try_get(9)?,
                approved_by: r.try_get(26)?,
                posted_at_ms: r.try_get(27)?,
                posting: Posting {
                    ledger,
                    line_id: r.try_get(10)?,
                    site_id: r.try_get(6)?,
                    work_date,
                    author: r.try_get(12)?,
                    cost_code: r.try_get(13)?,
                    activity: r.try_get(14)?,
                    trade: r.try_get(15)?,
                    crew: r.try_get(16)?,
                    category: r.try_get(17)?,
                    currency,
                    amount: currency.map_or(Decimal::ZERO, |c| from_minor(amount, c)),
                    headcount: r.try_get(20)?,
                    person_hours: from_micro(r.try_get(21)?),
                    person_days: from_micro(r.try_get(22)?),
                    percent: percent.map(from_micro),
                    quantity: quantity.map(from_micro),
                    unit: r.try_get(25)?,
                },
            })
        })()
    }};
}

pub(super) use stored_posting;

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

/// Appends, in the decision's transaction `$tx`, the reversal of the replaced approval's postings
/// and `$posts` (at `$heads`), and adds them to `ledger_totals`; evaluates to (rows appended,
/// reversals among them). A macro: the transaction type differs between the backends.
macro_rules! append_postings {
    ($tx:ident, $d:ident, $heads:ident, $posts:ident) => {{
        use $crate::ledger::postings::Posting;
        use $crate::ledger::stored_postings::{
            INSERT_CHUNK, POSTING_SELECT_BY_DECISION, Row, encode, stored_posting, totals,
        };
        let (tx, d, heads, posts) = (&mut $tx, $d, &$heads, $posts);
        // The replaced approval's own postings (not the reversals it made) are reversed.
        let old: Vec<(i64, Posting, String)> = match &d.replaces {
            None => Vec::new(),
            Some(replaced) => {
                let rows = sqlx::query(POSTING_SELECT_BY_DECISION).bind(replaced).fetch_all(&mut **tx).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let stored = stored_posting!(r)?;
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
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO ledger_postings (decision_id, entry, reverses, ledger, project_id, site_id, record_id, \
                 record_kind, heads, line_id, work_date, author, cost_code, activity, trade, crew, category, currency, \
                 amount_minor, headcount, person_hours_micro, person_days_micro, percent_micro, quantity_micro, unit, \
                 approved_by, posted_at_ms) ",
            );
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
        let (postings, reversals) = (encoded.len() as i64, old.len() as i64);
        (postings, reversals)
    }};
}

pub(super) use append_postings;

const POSTING_COLUMNS_SQL: &str = "id, decision_id, entry, reverses, ledger, project_id, site_id, record_id, record_kind, \
     heads, line_id, work_date, author, cost_code, activity, trade, crew, category, currency, amount_minor, headcount, \
     person_hours_micro, person_days_micro, percent_micro, quantity_micro, unit, approved_by, posted_at_ms";

pub(super) const POSTING_SELECT_BY_DECISION: &str = "SELECT id, decision_id, entry, reverses, ledger, project_id, site_id, record_id, \
     record_kind, heads, line_id, work_date, author, cost_code, activity, trade, crew, category, currency, amount_minor, \
     headcount, person_hours_micro, person_days_micro, percent_micro, quantity_micro, unit, approved_by, posted_at_ms \
     FROM ledger_postings WHERE decision_id = $1 AND entry = 'posting' ORDER BY id";

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

impl StoredPosting {
    /// The posting as JSON, amounts and quantities as decimal text.
    pub fn json(&self) -> serde_json::Value {
        let p = &self.posting;
        let currency = p.currency.unwrap_or_default();
        serde_json::json!({
            "id": self.id,
            "decision_id": self.decision_id,
            "entry": self.entry,
            "reverses": self.reverses,
            "ledger": p.ledger.as_str(),
            "project_id": self.project_id,
            "site_id": p.site_id,
            "record_id": self.record_id,
            "record_kind": self.record_kind,
            "heads": heads_of_text(&self.heads),
            "line_id": p.line_id,
            "date": p.work_date.to_string(),
            "author": p.author,
            "cost_code": p.cost_code,
            "activity": p.activity,
            "trade": p.trade,
            "crew": p.crew,
            "category": p.category,
            "currency": p.currency.map(|c| c.code()),
            "amount": p.currency.map(|_| currency.canonical(p.amount)),
            "headcount": p.headcount,
            "person_hours": p.person_hours.normalize().to_string(),
            "headcount_days": p.person_days.normalize().to_string(),
            "percent": p.percent.map(|x| x.normalize().to_string()),
            "quantity": p.quantity.map(|x| x.normalize().to_string()),
            "unit": p.unit,
            "approved_by": self.approved_by,
            "posted_at_ms": self.posted_at_ms,
        })
    }
}

/// Postings of one record (all of them, in order), or of a whole project when `record_id` is None.
pub async fn postings_of(db: &Db, project: &str, record_id: Option<&str>) -> Result<Vec<StoredPosting>, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {POSTING_COLUMNS_SQL} FROM ledger_postings WHERE project_id = $1 AND record_id = COALESCE($2, record_id) ORDER BY id"
    ));
    on_pool!(db, |p| {
        let rows = sqlx::query(sql).bind(project).bind(record_id).fetch_all(p).await?;
        rows.iter().map(|r| stored_posting!(r)).collect()
    })
}

/// Counts of postings a decision appended (postings, reversals among them).
pub(super) async fn counts(db: &Db, decision_id: &str) -> Result<(i64, i64), sqlx::Error> {
    let row: (i64, Option<i64>) = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT count(*), sum(CASE WHEN entry = 'reversal' THEN 1 ELSE 0 END) FROM ledger_postings WHERE decision_id = $1"
    )
    .bind(decision_id)
    .fetch_one(p)
    .await?
    });
    Ok((row.0, row.1.unwrap_or_default()))
}
