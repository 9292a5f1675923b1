//! Actual progress of activities from the schedule ledger: what the approved progress reports say,
//! as of any date.
//!
//! Percent reports are cumulative: the activity stands at the latest one. Quantity reports are
//! what was installed that day: they add up, and over the activity's planned quantity give its
//! percent. When an activity has both, the most recent report decides.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::ReportError;
use crate::db::{Db, on_pool};
use crate::ledger::postings::from_micro;

#[derive(Debug, Clone, Default)]
pub struct ActivityProgress {
    /// (date, cumulative percent), ascending by date.
    pub percents: Vec<(NaiveDate, Decimal)>,
    /// (date, quantity installed that day), ascending by date.
    pub quantities: Vec<(NaiveDate, Decimal)>,
}

impl ActivityProgress {
    /// Installed quantity up to and including `at`.
    pub fn installed(&self, at: NaiveDate) -> Decimal {
        self.quantities.iter().take_while(|(d, _)| *d <= at).map(|(_, q)| *q).sum()
    }

    /// Percent complete at `at` (0–100), if the reports say: see the module doc.
    pub fn percent_at(&self, at: NaiveDate, planned_quantity: Option<Decimal>) -> Option<Decimal> {
        let pct = self.percents.iter().take_while(|(d, _)| *d <= at).last().copied();
        let last_qty = self.quantities.iter().take_while(|(d, _)| *d <= at).last().map(|(d, _)| *d);
        let from_qty = match (last_qty, planned_quantity) {
            (Some(d), Some(planned)) if !planned.is_zero() => {
                Some((d, (self.installed(at) / planned * Decimal::from(100)).min(Decimal::from(100))))
            }
            _ => None,
        };
        match (pct, from_qty) {
            (Some((pd, p)), Some((qd, q))) => Some(if qd > pd { q } else { p }),
            (Some((_, p)), None) => Some(p),
            (None, Some((_, q))) => Some(q),
            (None, None) => None,
        }
    }
}

/// One record's net progress postings on one day for one activity: the sums of its figures and
/// how many of each stand (postings less reversals).
#[derive(sqlx::FromRow)]
struct ProgressRow {
    activity: String,
    work_date: String,
    percent_micro: Option<i64>,
    quantity_micro: Option<i64>,
    percents: i64,
    quantities: i64,
}

/// Every approved progress figure of `project` up to `until`, by activity.
pub async fn load(db: &Db, project: &str, until: NaiveDate) -> Result<HashMap<String, ActivityProgress>, ReportError> {
    // Per record and date: the net of postings and reversals. A record whose standing version has
    // another date or measure nets to zero at the old one.
    let rows: Vec<ProgressRow> = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT activity, work_date, \
            CAST(SUM(percent_micro) AS BIGINT) AS percent_micro, CAST(SUM(quantity_micro) AS BIGINT) AS quantity_micro, \
            CAST(SUM(CASE WHEN percent_micro IS NULL THEN 0 WHEN entry = 'posting' THEN 1 ELSE -1 END) AS BIGINT) AS percents, \
            CAST(SUM(CASE WHEN quantity_micro IS NULL THEN 0 WHEN entry = 'posting' THEN 1 ELSE -1 END) AS BIGINT) AS quantities \
         FROM ledger_postings WHERE project_id = $1 AND ledger = 'schedule' AND work_date <= $2 AND activity IS NOT NULL \
         GROUP BY activity, record_id, work_date ORDER BY work_date"
    )
    .bind(project)
    .bind(until.to_string())
    .fetch_all(p)
    .await?
    });
    let mut out: HashMap<String, ActivityProgress> = HashMap::new();
    for ProgressRow {
        activity,
        work_date: date,
        percent_micro: pct,
        quantity_micro: qty,
        percents: n_pct,
        quantities: n_qty,
    } in rows
    {
        let Ok(date) = date.parse::<NaiveDate>() else { continue };
        let a = out.entry(activity).or_default();
        if n_pct > 0
            && let Some(p) = pct
        {
            // Two reports on one day: the higher figure (cumulative percents only grow).
            match a.percents.last_mut() {
                Some((d, v)) if *d == date => *v = (*v).max(from_micro(p)),
                _ => a.percents.push((date, from_micro(p))),
            }
        }
        if n_qty > 0
            && let Some(q) = qty
        {
            a.quantities.push((date, from_micro(q)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn latest_report_decides() {
        let a = ActivityProgress {
            percents: vec![(d("2026-03-01"), Decimal::from(20)), (d("2026-03-10"), Decimal::from(35))],
            quantities: vec![(d("2026-03-05"), Decimal::from(10)), (d("2026-03-12"), Decimal::from(30))],
        };
        assert_eq!(a.percent_at(d("2026-02-28"), Some(Decimal::from(100))), None);
        assert_eq!(a.percent_at(d("2026-03-01"), None), Some(Decimal::from(20)));
        assert_eq!(a.percent_at(d("2026-03-06"), Some(Decimal::from(100))), Some(Decimal::from(10)));
        assert_eq!(a.percent_at(d("2026-03-11"), Some(Decimal::from(100))), Some(Decimal::from(35)));
        assert_eq!(a.percent_at(d("2026-03-12"), Some(Decimal::from(100))), Some(Decimal::from(40)));
        assert_eq!(a.percent_at(d("2026-03-12"), Some(Decimal::from(20))), Some(Decimal::from(100)));
        assert_eq!(a.installed(d("2026-03-31")), Decimal::from(40));
    }
}
