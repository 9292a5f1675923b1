//! Regeneration: the days whose records changed are generated again once they settle, and a new
//! version is announced (`daily_report.ready`, enqueued in the transaction that inserts it).
//!
//! Each round looks at what changed since the persisted watermark (`daily_report_marks`), less a
//! margin for writes committed late: records (re)indexed, decisions taken, observations synced or
//! followed up. A day whose newest change is older than the settle time is generated (a new version
//! only when its fingerprint moved) and announced; a version a reader made before the day settled is
//! announced then, once. The watermark moves past a day only once it was handled, so a restart
//! loses nothing; handling a day twice is harmless (same fingerprint, announced once).
//!
//! On its first start the worker sets the watermark to now: the history before it is not
//! announced. A record moved to another day or site regenerates its new day; its old day is
//! regenerated when next read.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;

use super::{DailyReportError, store};
use crate::db::{Db, on_pool};
use crate::state::AppState;

static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Tells the worker that records or decisions changed (after a sync that changed documents, after
/// a decision): it looks at once instead of at its next poll.
pub fn wake() {
    WAKE.notify_one();
}

/// Changes within this long before the watermark are looked at again (a write committed after a
/// later one was seen is not missed).
const MARGIN_MS: i64 = 60 * 1000;

/// The watermark's row.
const MARK: &str = "regenerate";

/// Starts the worker on the current runtime: days settle `settle` after their newest change
/// (environment `FIELDLEDGER_DAILY_REPORT_SETTLE_SECS`, 300 by default; tests use 0).
pub fn spawn(state: AppState, settle: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(state, settle))
}

/// The settle time from `FIELDLEDGER_DAILY_REPORT_SETTLE_SECS` (seconds; default 300).
pub fn settle_from_env() -> Duration {
    let secs = std::env::var("FIELDLEDGER_DAILY_REPORT_SETTLE_SECS").ok().and_then(|v| v.trim().parse::<u64>().ok());
    Duration::from_secs(secs.unwrap_or(300))
}

async fn run(state: AppState, settle: Duration) {
    // Without a wake (a write path that does not call it) changes are still found: a fifth of the
    // settle time, between 1 s and a minute.
    let poll = (settle / 5).clamp(Duration::from_secs(1), Duration::from_secs(60));
    loop {
        let wait = match round(&state, settle).await {
            Ok(Some(next)) => next.min(poll),
            Ok(None) => poll,
            Err(e) => {
                tracing::warn!(error = %e, "daily reports: regeneration round failed; retrying");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            () = WAKE.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// What changed on one day: when last (settling), and the earliest change time seen (where the
/// watermark must stay while the day waits).
#[derive(Debug, Clone, Copy)]
struct Touched {
    newest: i64,
    oldest: i64,
}

/// One pass over every project: generates and announces the settled days that changed. Returns how
/// long until the next waiting day settles (`None`: none waits).
pub async fn round(state: &AppState, settle: Duration) -> Result<Option<Duration>, DailyReportError> {
    let db = &state.db;
    let now = record_schema::now_ms();
    let mark: Option<i64> =
        on_pool!(db, |p| sqlx::query_scalar("SELECT mark_ms FROM daily_report_marks WHERE name = $1")
            .bind(MARK)
            .fetch_optional(p)
            .await?);
    let Some(mark) = mark else {
        write_mark(state, now).await?;
        return Ok(None);
    };
    let since = mark - MARGIN_MS;
    let settle_ms = i64::try_from(settle.as_millis()).unwrap_or(i64::MAX / 4);
    let projects: Vec<String> = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT DISTINCT project_id FROM documents WHERE kind IN ('labour_sheet', 'progress_report', 'expense', \
         'day_log', 'observation') ORDER BY project_id"
    )
    .fetch_all(p)
    .await?);
    let mut next_mark = now;
    let mut next_due: Option<i64> = None;
    for project in projects {
        super::assemble::refresh(state, &project).await?;
        for ((site, day), t) in touched(state, &project, since).await? {
            if t.newest > now - settle_ms {
                // Still changing: wait, and keep the watermark before its changes.
                next_mark = next_mark.min(t.oldest - 1);
                let due = t.newest + settle_ms;
                next_due = Some(next_due.map_or(due, |d: i64| d.min(due)));
                continue;
            }
            let Ok(date) = day.parse::<NaiveDate>() else { continue };
            match store::generate(state, &project, &site, date, true).await {
                Ok(Some((s, true))) => {
                    tracing::info!(project = %project, site = %site, date = %date, version = s.report.version,
                        "daily report ready");
                    crate::webhooks::wake();
                }
                Ok(_) => {}
                // One day's failure must not hold every other day: it is tried again next round.
                Err(e) => {
                    tracing::warn!(project = %project, site = %site, date = %date, error = %e,
                        "daily report: regeneration failed; retrying");
                    next_mark = next_mark.min(t.oldest - 1);
                }
            }
        }
    }
    if next_mark > mark {
        write_mark(state, next_mark).await?;
    }
    Ok(next_due.map(|d| Duration::from_millis(u64::try_from(d - now).unwrap_or(0).max(200))))
}

async fn write_mark(state: &AppState, mark: i64) -> Result<(), DailyReportError> {
    on_pool!(&state.db, |p| sqlx::query(
        "INSERT INTO daily_report_marks (name, mark_ms) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET mark_ms = excluded.mark_ms"
    )
    .bind(MARK)
    .bind(mark)
    .execute(p)
    .await
    .map(drop))?;
    Ok(())
}

/// The days of `project` with a change after `since`: (site, date) -> when. Records whose document
/// changed since (found among the index rows written since, not by reading every document: a
/// record re-indexed without a change, e.g. an upgrade's backlog, is no change), decisions,
/// observation documents and follow-ups. Read after the indexes were refreshed.
async fn touched(
    state: &AppState,
    project: &str,
    since: i64,
) -> Result<BTreeMap<(String, String), Touched>, DailyReportError> {
    let db = &state.db;
    // (site, date, newest change, oldest time seen) per source of change.
    let mut rows: Vec<(String, String, i64, i64)> = on_pool!(db, |p| sqlx::query_as(concat!(
        "SELECT r.site_id, r.record_date, MAX(d.updated_at_ms), MIN(r.indexed_at_ms) FROM record_index r \
         JOIN documents d ON d.id = r.record_id WHERE r.project_id = $1 AND r.indexed_at_ms > $2 \
         AND d.updated_at_ms > $3 AND r.kind IN ",
        super::assemble::index_kinds!(),
        " GROUP BY r.site_id, r.record_date"
    ))
    .bind(project)
    .bind(since)
    .bind(since)
    .fetch_all(p)
    .await?);
    let decided: Vec<(String, String, i64, i64)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT r.site_id, r.record_date, MAX(a.decided_at_ms), MIN(a.decided_at_ms) FROM approval_decisions a \
         JOIN record_index r ON r.record_id = a.record_id WHERE a.project_id = $1 AND a.decided_at_ms > $2 \
         GROUP BY r.site_id, r.record_date"
    )
    .bind(project)
    .bind(since)
    .fetch_all(p)
    .await?);
    let observed: Vec<(String, String, i64, i64)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT o.site_id, o.obs_date, MAX(d.updated_at_ms), MIN(d.updated_at_ms) FROM documents d \
         JOIN observations o ON o.record_id = d.id WHERE d.project_id = $1 AND d.kind = 'observation' \
         AND d.updated_at_ms > $2 GROUP BY o.site_id, o.obs_date"
    )
    .bind(project)
    .bind(since)
    .fetch_all(p)
    .await?);
    let followed: Vec<(String, String, i64, i64)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT site_id, obs_date, MAX(updated_at_ms), MIN(updated_at_ms) FROM observations \
         WHERE project_id = $1 AND updated_at_ms > $2 GROUP BY site_id, obs_date"
    )
    .bind(project)
    .bind(since)
    .fetch_all(p)
    .await?);
    rows.extend(decided);
    rows.extend(observed);
    rows.extend(followed);
    let mut out: BTreeMap<(String, String), Touched> = BTreeMap::new();
    for (site, day, newest, oldest) in rows {
        // A damaged record has no site or date: no day to make.
        if site.is_empty() || day.is_empty() {
            continue;
        }
        out.entry((site, day))
            .and_modify(|t| {
                t.newest = t.newest.max(newest);
                t.oldest = t.oldest.min(oldest);
            })
            .or_insert(Touched { newest, oldest });
    }
    Ok(out)
}
