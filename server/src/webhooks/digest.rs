//! `digest.daily`: a morning summary per project (records waiting for a decision, the oldest of
//! them with its age, yesterday's totals: records, 人次, 工日, labour cost, expenses) to each
//! endpoint that takes it, at a local time in the project's time zone (its first site's): the
//! endpoint's `digest_time`, else the server's (`FIELDLEDGER_DIGEST_TIME`, default 07:30).
//!
//! Once per endpoint and local day, across restarts and servers: `webhook_digests` gets its row
//! (a conditional insert) in the transaction that enqueues the message. A server down at the
//! digest time sends it when it comes back that day; a day it was down throughout has none.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime, TimeZone};
use record_schema::Currency;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::outbox::{Endpoint, endpoint_columns};
use crate::cache::DocCache;
use crate::db::{BeginWrite, Db, Tx, on_pool, on_tx};
use crate::ledger::postings::from_minor;

pub const EVENT: &str = "digest.daily";
/// The digest's local time when neither the endpoint nor the server sets one.
pub const DEFAULT_TIME: &str = "07:30";
/// The server's digest time (`HH:MM`).
pub const TIME_ENV: &str = "FIELDLEDGER_DIGEST_TIME";

/// `HH:MM` (24 h) as a time of day.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    if s.len() != 5 {
        return None;
    }
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

/// The server's digest time: `FIELDLEDGER_DIGEST_TIME`, else 07:30.
pub fn server_time() -> NaiveTime {
    let default = parse_time(DEFAULT_TIME).unwrap_or_default();
    match std::env::var(TIME_ENV) {
        Ok(v) => parse_time(&v).unwrap_or_else(|| {
            tracing::warn!(value = %v, "{TIME_ENV} is not HH:MM; the digest goes at {DEFAULT_TIME}");
            default
        }),
        Err(_) => default,
    }
}

/// The project's time zone (its first site's; UTC without one).
async fn time_zone(db: &Db, project: &str) -> Result<chrono_tz::Tz, sqlx::Error> {
    let tz: Option<String> =
        on_pool!(db, |p| sqlx::query_scalar("SELECT time_zone FROM sites WHERE project_id = $1 ORDER BY id LIMIT 1")
            .bind(project)
            .fetch_optional(p)
            .await?);
    Ok(tz.and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC))
}

/// Enqueues the digests due now; returns how many messages were written.
pub async fn run(db: &Db, cache: &DocCache, default: NaiveTime) -> Result<usize, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", endpoint_columns!(), " FROM webhook_endpoints WHERE enabled = 1 ORDER BY id");
    let all: Vec<Endpoint> = on_pool!(db, |p| sqlx::query_as(SQL).fetch_all(p).await?);
    let mut by_project: BTreeMap<String, Vec<Endpoint>> = BTreeMap::new();
    for e in all.into_iter().filter(|e| e.takes(EVENT)) {
        by_project.entry(e.project_id.clone()).or_default().push(e);
    }
    let mut written = 0;
    for (project, endpoints) in by_project {
        let tz = time_zone(db, &project).await?;
        let now = crate::reports::now().with_timezone(&tz);
        let today = now.date_naive();
        let mut due = Vec::new();
        for e in endpoints {
            let at = e.digest_time.as_deref().and_then(parse_time).unwrap_or(default);
            if now.time() < at {
                continue;
            }
            let sent: Option<i64> = on_pool!(db, |p| sqlx::query_scalar(
                "SELECT created_at_ms FROM webhook_digests WHERE endpoint_id = $1 AND day = $2"
            )
            .bind(&e.id)
            .bind(today.to_string())
            .fetch_optional(p)
            .await?);
            if sent.is_none() {
                due.push(e);
            }
        }
        if due.is_empty() {
            continue;
        }
        if let Err(e) = crate::ledger::pending::refresh_index(db, cache, &project).await {
            tracing::warn!(project, error = %e, "digest: refreshing the record index");
        }
        let data = compose(db, &project, tz, today).await?;
        let stamp = record_schema::now_ms();
        let body = super::payload(EVENT, stamp, data).to_string();
        written += on_pool!(db, |p| {
            let mut tx: Tx = p.begin_write().await?.into();
            let mut n = 0;
            for e in &due {
                let id = super::outbox::new_id();
                let won = on_tx!(&mut tx, |c| {
                    sqlx::query(
                    "INSERT INTO webhook_digests (endpoint_id, day, outbox_id, created_at_ms) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (endpoint_id, day) DO NOTHING"
                )
                .bind(&e.id)
                .bind(today.to_string())
                .bind(&id)
                .bind(stamp)
                .execute(c)
                .await?
                .rows_affected()
                });
                if won == 1 {
                    super::outbox::insert_with_id(&mut tx, &id, e, EVENT, &body, stamp).await?;
                    n += 1;
                }
            }
            tx.commit().await?;
            n
        });
    }
    if written > 0 {
        super::wake();
    }
    Ok(written)
}

#[derive(sqlx::FromRow)]
struct DayRow {
    kind: String,
    queue_state: String,
    headcount: Option<i64>,
    worker_days: Option<String>,
    amount_minor: Option<i64>,
    currency: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Oldest {
    record_id: String,
    kind: String,
    record_date: String,
    author: String,
    site_id: String,
    submitted_at_ms: i64,
}

/// The digest's data for `project` on its local day `today`.
pub async fn compose(db: &Db, project: &str, tz: chrono_tz::Tz, today: NaiveDate) -> Result<Value, sqlx::Error> {
    let yesterday = today.pred_opt().unwrap_or(today);
    let (name, currency): (Option<String>, Option<String>) = on_pool!(db, |p| sqlx::query_as(
        "SELECT (SELECT name FROM projects WHERE id = $1), (SELECT currency FROM projects WHERE id = $1)"
    )
    .bind(project)
    .fetch_one(p)
    .await?);
    let pending: i64 = on_pool!(db, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM record_index WHERE project_id = $1 AND queue_state = 'pending'"
    )
    .bind(project)
    .fetch_one(p)
    .await?);
    let oldest: Option<Oldest> = on_pool!(db, |p| sqlx::query_as(
        "SELECT record_id, kind, record_date, author, site_id, submitted_at_ms FROM record_index \
         WHERE project_id = $1 AND queue_state = 'pending' ORDER BY submitted_at_ms, record_id LIMIT 1"
    )
    .bind(project)
    .fetch_optional(p)
    .await?);
    let rows: Vec<DayRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT kind, queue_state, headcount, worker_days, amount_minor, currency FROM record_index \
         WHERE project_id = $1 AND record_date = $2 AND voided = 0"
    )
    .bind(project)
    .bind(yesterday.to_string())
    .fetch_all(p)
    .await?);
    let currency: Currency = currency
        .as_deref()
        .or_else(|| rows.iter().find_map(|r| r.currency.as_deref()))
        .and_then(|c| c.parse().ok())
        .unwrap_or_default();
    let (mut approved, mut headcount, mut man_days, mut labour, mut expenses) = (0, 0i64, Decimal::ZERO, 0i64, 0i64);
    for r in &rows {
        if r.queue_state == "approved" {
            approved += 1;
        }
        match r.kind.as_str() {
            "labour_sheet" => {
                headcount += r.headcount.unwrap_or(0);
                man_days += r.worker_days.as_deref().and_then(|d| d.parse::<Decimal>().ok()).unwrap_or_default();
                labour += r.amount_minor.unwrap_or(0);
            }
            "expense" => expenses += r.amount_minor.unwrap_or(0),
            _ => {}
        }
    }
    let now_ms = crate::reports::now().timestamp_millis();
    let oldest = oldest.map(|o| {
        let age_ms = (now_ms - o.submitted_at_ms).max(0);
        json!({
            "record_id": o.record_id,
            "record_kind": o.kind,
            "date": o.record_date,
            "author": o.author,
            "site_id": o.site_id,
            "submitted_at": super::iso_ms(o.submitted_at_ms),
            "age_hours": age_ms / 3_600_000,
            "age_days": age_ms / 86_400_000,
        })
    });
    let at_midnight =
        tz.from_local_datetime(&today.and_time(NaiveTime::MIN)).earliest().map(|t| t.to_rfc3339()).unwrap_or_default();
    Ok(json!({
        "project_id": project,
        "project_name": name.unwrap_or_default(),
        "date": today.to_string(),
        "time_zone": tz.name(),
        "day_start": at_midnight,
        "pending": {"count": pending, "oldest": oldest},
        "yesterday": {
            "date": yesterday.to_string(),
            "records": rows.len(),
            "approved": approved,
            "headcount": headcount,
            "man_days": man_days.normalize().to_string(),
            "labour_cost": from_minor(labour, currency).to_string(),
            "expenses": from_minor(expenses, currency).to_string(),
            "currency": currency.code(),
        },
        "web_path": "/web/queue",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("07:30"), NaiveTime::from_hms_opt(7, 30, 0));
        assert_eq!(parse_time("7:30"), None);
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(parse_time("07:30:00"), None);
    }
}
