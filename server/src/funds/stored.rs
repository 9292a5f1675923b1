//! `funds_entries` rows: what a decision's version owes (`entries::entries`), appended in the
//! decision's own transaction beside its ledger postings (`ledger::journal::commit`), and the
//! reversal of the replaced approval's entries, the same way as `ledger_postings`: each of its own
//! `posting` rows (never the reversals it made) copied once with every figure negated,
//! `entry = 'reversal'`, `reverses` = the original. So the rows of a record always net to its
//! standing version, and a report sums rows without knowing which are current. Each decision's
//! rows are then added to `funds_month_totals`, which the wage ledger reads.

use super::entries::FundsEntry;
use crate::ledger::postings::{to_micro, to_minor};

/// The columns of `funds_entries` as inserted (all but `id`). A macro, so statements stay literals.
macro_rules! entry_columns {
    () => {
        "decision_id, entry, reverses, kind, project_id, site_id, record_id, line_id, work_date, month, crew, trade, \
         worker_id, worker_name, payee, currency, amount_minor, headcount, person_days_micro, person_hours_micro, \
         posted_at_ms"
    };
}

pub(crate) use entry_columns;

/// The replaced approval's own entries, negated, in one statement ($1 the new decision, $2 its
/// time, $3 the replaced decision). Copied column for column: rows written by migration 0018 from
/// older postings reverse exactly too.
pub(crate) const REVERSE_ENTRIES: &str = concat!(
    "INSERT INTO funds_entries (",
    entry_columns!(),
    ") SELECT $1, 'reversal', id, kind, project_id, site_id, record_id, line_id, work_date, month, crew, trade, \
     worker_id, worker_name, payee, currency, -amount_minor, -headcount, -person_days_micro, -person_hours_micro, $2 \
     FROM funds_entries WHERE decision_id = $3 AND entry = 'posting' ORDER BY id"
);

/// The decision's entries (its reversals and postings), added to their months' totals ($1 the
/// decision). Entries are only ever appended, so adding each decision's rows once keeps the totals
/// equal to the sums of `funds_entries`. (`WHERE` before `ON CONFLICT`: SQLite's upsert needs it.)
pub(crate) const ADD_TO_MONTH_TOTALS: &str = "INSERT INTO funds_month_totals (project_id, month, kind, worker_id, \
     worker_name, crew, trade, currency, amount_minor, person_days_micro, person_hours_micro) \
     SELECT project_id, month, kind, COALESCE(worker_id, ''), COALESCE(worker_name, ''), COALESCE(crew, ''), \
     COALESCE(trade, ''), currency, CAST(SUM(amount_minor) AS BIGINT), CAST(SUM(person_days_micro) AS BIGINT), \
     CAST(SUM(person_hours_micro) AS BIGINT) FROM funds_entries WHERE decision_id = $1 \
     GROUP BY project_id, month, kind, COALESCE(worker_id, ''), COALESCE(worker_name, ''), COALESCE(crew, ''), \
     COALESCE(trade, ''), currency \
     ON CONFLICT (project_id, month, kind, worker_id, worker_name, crew, trade, currency) DO UPDATE SET \
     amount_minor = funds_month_totals.amount_minor + excluded.amount_minor, \
     person_days_micro = funds_month_totals.person_days_micro + excluded.person_days_micro, \
     person_hours_micro = funds_month_totals.person_hours_micro + excluded.person_hours_micro";

/// Rows per multi-row INSERT (21 binds each).
pub(crate) const INSERT_CHUNK: usize = 200;

/// An entry with its figures in the table's integer units.
pub(crate) struct Encoded<'a> {
    pub(crate) e: &'a FundsEntry,
    pub(crate) work_date: String,
    pub(crate) month: String,
    pub(crate) amount: i64,
    pub(crate) days: i64,
    pub(crate) hours: i64,
}

pub(crate) fn encode<'a>(record_id: &str, e: &'a FundsEntry) -> Result<Encoded<'a>, sqlx::Error> {
    let overflow = || sqlx::Error::Protocol(format!("funds entry of {record_id} does not fit the integer columns"));
    Ok(Encoded {
        e,
        work_date: e.work_date.to_string(),
        month: super::wages::first_day(e.work_date).to_string(),
        amount: to_minor(e.amount, e.currency).ok_or_else(overflow)?,
        days: to_micro(e.person_days).ok_or_else(overflow)?,
        hours: to_micro(e.person_hours).ok_or_else(overflow)?,
    })
}

/// Appends, in the decision's transaction `$tx`, the reversal of the replaced approval's entries
/// and `$entries`; evaluates to the number of reversal rows. A macro: the transaction type differs
/// between the backends (as `ledger::stored_postings::append_postings`).
macro_rules! append_entries {
    ($tx:ident, $d:ident, $entries:ident) => {{
        use $crate::funds::stored::{ADD_TO_MONTH_TOTALS, INSERT_CHUNK, REVERSE_ENTRIES, encode, entry_columns};
        let (tx, d, entries) = (&mut $tx, $d, $entries);
        let reversed = match &d.replaces {
            None => 0,
            Some(replaced) => sqlx::query(REVERSE_ENTRIES)
                .bind(&d.id)
                .bind(d.decided_at_ms)
                .bind(replaced)
                .execute(&mut **tx)
                .await?
                .rows_affected(),
        };
        let encoded = entries.iter().map(|e| encode(&d.record_id, e)).collect::<Result<Vec<_>, _>>()?;
        for chunk in encoded.chunks(INSERT_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(concat!("INSERT INTO funds_entries (", entry_columns!(), ") "));
            q.push_values(chunk, |mut b, x| {
                let e = x.e;
                b.push_bind(&d.id)
                    .push_bind("posting")
                    .push_bind(None::<i64>)
                    .push_bind(e.kind.as_str())
                    .push_bind(&d.project_id)
                    .push_bind(&e.site_id)
                    .push_bind(&d.record_id)
                    .push_bind(&e.line_id)
                    .push_bind(&x.work_date)
                    .push_bind(&x.month)
                    .push_bind(&e.crew)
                    .push_bind(&e.trade)
                    .push_bind(&e.worker_id)
                    .push_bind(&e.worker_name)
                    .push_bind(&e.payee)
                    .push_bind(e.currency.code())
                    .push_bind(x.amount)
                    .push_bind(e.headcount)
                    .push_bind(x.days)
                    .push_bind(x.hours)
                    .push_bind(d.decided_at_ms);
            });
            q.build().execute(&mut **tx).await?;
        }
        if reversed > 0 || !encoded.is_empty() {
            sqlx::query(ADD_TO_MONTH_TOTALS).bind(&d.id).execute(&mut **tx).await?;
        }
        reversed
    }};
}

pub(crate) use append_entries;
