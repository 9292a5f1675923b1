//! The record before and after this one in the approvals list's order (pending records of the
//! project by date, then id: `ledger::pending::pending`), for previous / next and approve-and-next.

use crate::db::{Db, on_pool};
use crate::ledger::LedgerError;

/// SQL (a string literal): record index row `r` awaits a decision (its current version is neither
/// the standing approval nor rejected since), as `pending` lists it.
macro_rules! awaits_decision {
    () => {
        "NOT EXISTS (SELECT 1 FROM approval_decisions x WHERE x.record_id = r.record_id AND x.heads = r.heads \
         AND x.record_seq = (SELECT max(y.record_seq) FROM approval_decisions y WHERE y.record_id = r.record_id \
         AND (y.status = 'approved' OR y.heads = r.heads)))"
    };
}

/// The pending records just before and just after (`date`, `id`) in `project`, by date then id.
/// Reads the record index as it is (the caller refreshes it when it must be current).
pub async fn neighbours(
    db: &Db,
    project: &str,
    date: &str,
    id: &str,
) -> Result<(Option<String>, Option<String>), LedgerError> {
    let before: Option<String> = on_pool!(db, |p| sqlx::query_scalar(concat!(
        "SELECT r.record_id FROM record_index r WHERE r.project_id = $1 \
         AND (r.record_date < $2 OR (r.record_date = $3 AND r.record_id < $4)) AND ",
        awaits_decision!(),
        " ORDER BY r.record_date DESC, r.record_id DESC LIMIT 1"
    ))
    .bind(project)
    .bind(date)
    .bind(date)
    .bind(id)
    .fetch_optional(p)
    .await?);
    let after: Option<String> = on_pool!(db, |p| sqlx::query_scalar(concat!(
        "SELECT r.record_id FROM record_index r WHERE r.project_id = $1 \
         AND (r.record_date > $2 OR (r.record_date = $3 AND r.record_id > $4)) AND ",
        awaits_decision!(),
        " ORDER BY r.record_date, r.record_id LIMIT 1"
    ))
    .bind(project)
    .bind(date)
    .bind(date)
    .bind(id)
    .fetch_optional(p)
    .await?);
    Ok((before, after))
}
