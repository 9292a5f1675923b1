//! `wages.arrears_flagged`: a crew's wages of a month became overdue (the arrears warning,
//! `funds::arrears`), once per (project, month, crew) transition. Checked by the event task
//! (`tasks`: at start, hourly, and when woken); what is flagged is remembered in
//! `webhook_arrears_flags`, a row written in the transaction that enqueues its event (conditional
//! insert: two servers announce it once). A month and crew no longer overdue loses its row, so
//! arrears of it later are announced again.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::db::{Db, Tx, on_pool, on_tx};
use crate::reports::ReportError;

pub const EVENT: &str = "wages.arrears_flagged";

/// Projects with wage entries, with their first site's time zone (the reports' "today").
async fn projects(db: &Db) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
    const SQL: &str = "SELECT p.id, (SELECT s.time_zone FROM sites s WHERE s.project_id = p.id ORDER BY s.id LIMIT 1) \
                       FROM projects p WHERE EXISTS (SELECT 1 FROM funds_entries e WHERE e.project_id = p.id) \
                       ORDER BY p.id";
    on_pool!(db, |p| sqlx::query_as(SQL).fetch_all(p).await)
}

/// Checks every project; returns how many messages were written.
pub async fn check_all(db: &Db) -> Result<usize, ReportError> {
    let mut n = 0;
    for (project, tz) in projects(db).await? {
        n += check(db, &project, tz.as_deref()).await?;
    }
    Ok(n)
}

/// One overdue crew month as announced.
struct Flag {
    workers: usize,
    outstanding: rust_decimal::Decimal,
    due_on: chrono::NaiveDate,
    month_workers: usize,
    month_outstanding: rust_decimal::Decimal,
}

/// Checks one project as of its today; returns how many messages were written.
pub async fn check(db: &Db, project: &str, time_zone: Option<&str>) -> Result<usize, ReportError> {
    let today = crate::reports::today_in(time_zone);
    let a = crate::funds::arrears::arrears(db, project, today).await?;
    let mut now: BTreeMap<(String, String), Flag> = BTreeMap::new();
    for m in a.months.iter().filter(|m| m.overdue) {
        for c in &m.crews {
            now.insert(
                (m.month.clone(), c.crew.clone().unwrap_or_default()),
                Flag {
                    workers: c.workers,
                    outstanding: c.outstanding,
                    due_on: m.due_on,
                    month_workers: m.workers,
                    month_outstanding: m.outstanding,
                },
            );
        }
    }
    let known: BTreeSet<(String, String)> = on_pool!(db, |p| {
        sqlx::query_as::<_, (String, String)>("SELECT month, crew FROM webhook_arrears_flags WHERE project_id = $1")
            .bind(project)
            .fetch_all(p)
            .await?
    })
    .into_iter()
    .collect();
    if known.iter().all(|k| now.contains_key(k)) && now.keys().all(|k| known.contains(k)) {
        return Ok(0);
    }
    let at = record_schema::now_ms();
    let written = {
        // It reads the endpoints, then writes: on SQLite, take the write lock first.
        let mut tx: Tx = db.begin().await?;
        let endpoints = super::outbox::enabled(&mut tx, project).await?;
        let mut written = 0;
        for (month, crew) in known.iter().filter(|k| !now.contains_key(*k)) {
            on_tx!(&mut tx, |c| sqlx::query(
                "DELETE FROM webhook_arrears_flags WHERE project_id = $1 AND month = $2 AND crew = $3"
            )
            .bind(project)
            .bind(month)
            .bind(crew)
            .execute(c)
            .await
            .map(drop)?);
        }
        for ((month, crew), f) in now.iter().filter(|(k, _)| !known.contains(*k)) {
            let won = on_tx!(&mut tx, |c| {
                sqlx::query(
                "INSERT INTO webhook_arrears_flags (project_id, month, crew, flagged_at_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (project_id, month, crew) DO NOTHING"
            )
            .bind(project)
            .bind(month)
            .bind(crew)
            .bind(at)
            .execute(c)
            .await?
            .rows_affected()
            });
            if won == 0 {
                continue;
            }
            let data = json!({
                "project_id": project,
                "month": month,
                "crew": if crew.is_empty() { None } else { Some(crew) },
                "workers": f.workers,
                "outstanding": f.outstanding.to_string(),
                "currency": a.currency,
                "due_on": f.due_on.to_string(),
                "days_overdue": (today - f.due_on).num_days(),
                "as_of": today.to_string(),
                "month_workers": f.month_workers,
                "month_outstanding": f.month_outstanding.to_string(),
                "web_path": "/web/funds/arrears",
            });
            written += super::enqueue_to(&mut tx, &endpoints, EVENT, data).await?;
        }
        tx.commit().await?;
        written
    };
    if written > 0 {
        super::wake();
    }
    Ok(written)
}
