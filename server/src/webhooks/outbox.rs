//! The outbox tables: messages to deliver (`webhook_outbox`), the attempts log
//! (`webhook_attempts`), and the endpoints the worker reads (`webhook_endpoints`).
//!
//! A message is claimed with a lease (`locked_until_ms`): PostgreSQL picks due rows `FOR UPDATE
//! SKIP LOCKED`, SQLite (one writer) in one conditional `UPDATE`. A worker that dies mid-delivery
//! leaves a lease that expires; the row is claimed again, with the same id (at least once).

use serde::Serialize;

use crate::db::{BeginWrite, Db, Tx, on_pool, on_tx};

/// The columns of `webhook_endpoints` as `Endpoint` reads them.
macro_rules! endpoint_columns {
    () => {
        "id, project_id, url, format, secret, events, enabled, disabled_reason, created_by, created_at_ms, digest_time"
    };
}
pub(crate) use endpoint_columns;

/// An endpoint as stored (its secret included: never answer it as is).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Endpoint {
    pub id: String,
    pub project_id: String,
    pub url: String,
    pub format: String,
    pub secret: String,
    pub events: String,
    pub enabled: i64,
    pub disabled_reason: Option<String>,
    pub created_by: String,
    pub created_at_ms: i64,
    /// The daily digest's local time (`HH:MM`); none: the server's.
    pub digest_time: Option<String>,
}

impl Endpoint {
    pub fn event_list(&self) -> Vec<&str> {
        self.events.split(',').filter(|e| !e.is_empty()).collect()
    }

    /// Whether the endpoint takes `event` (an empty filter takes every event).
    pub fn takes(&self, event: &str) -> bool {
        let list = self.event_list();
        list.is_empty() || list.contains(&event)
    }
}

/// The enabled endpoints of `project` that take `event`.
pub async fn subscribed(tx: &mut Tx<'_>, project: &str, event: &str) -> Result<Vec<Endpoint>, sqlx::Error> {
    Ok(enabled(tx, project).await?.into_iter().filter(|e| e.takes(event)).collect())
}

/// The enabled endpoints of `project`.
pub async fn enabled(tx: &mut Tx<'_>, project: &str) -> Result<Vec<Endpoint>, sqlx::Error> {
    const SQL: &str =
        concat!("SELECT ", endpoint_columns!(), " FROM webhook_endpoints WHERE project_id = $1 AND enabled = 1");
    on_tx!(tx, |c| sqlx::query_as(SQL).bind(project).fetch_all(c).await)
}

/// A new message id (the `webhook-id` header).
pub fn new_id() -> String {
    format!("msg_{}", uuid::Uuid::now_v7().simple())
}

/// Writes one pending message for `endpoint`, due now; returns its id.
pub async fn insert(
    tx: &mut Tx<'_>,
    endpoint: &Endpoint,
    event: &str,
    payload: &str,
    now_ms: i64,
) -> Result<String, sqlx::Error> {
    let id = new_id();
    insert_with_id(tx, &id, endpoint, event, payload, now_ms).await?;
    Ok(id)
}

/// `insert` with the message id chosen by the caller (who wrote it elsewhere in the transaction).
pub async fn insert_with_id(
    tx: &mut Tx<'_>,
    id: &str,
    endpoint: &Endpoint,
    event: &str,
    payload: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO webhook_outbox (id, endpoint_id, event_type, payload, status, attempts, \
                       next_attempt_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6)";
    on_tx!(tx, |c| sqlx::query(SQL)
        .bind(id)
        .bind(&endpoint.id)
        .bind(event)
        .bind(payload)
        .bind(now_ms)
        .bind(now_ms)
        .execute(c)
        .await
        .map(drop))
}

/// A claimed message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: String,
    pub endpoint_id: String,
    pub event_type: String,
    pub payload: String,
    pub attempts: i64,
}

/// Claims up to `limit` due messages (pending, due, not leased) until `lease_until_ms`.
pub async fn claim(db: &Db, now_ms: i64, lease_until_ms: i64, limit: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    macro_rules! claim_sql {
        ($lock:literal) => {
            concat!(
                "UPDATE webhook_outbox SET locked_until_ms = $1 WHERE id IN (SELECT id FROM webhook_outbox \
                 WHERE status = 'pending' AND next_attempt_at_ms <= $2 AND (locked_until_ms IS NULL OR \
                 locked_until_ms < $3) ORDER BY next_attempt_at_ms, created_at_ms LIMIT $4",
                $lock,
                ") RETURNING id, endpoint_id, event_type, payload, attempts"
            )
        };
    }
    match db {
        Db::Sqlite(p) => {
            sqlx::query_as(claim_sql!("")).bind(lease_until_ms).bind(now_ms).bind(now_ms).bind(limit).fetch_all(p).await
        }
        Db::Postgres(p) => {
            sqlx::query_as(claim_sql!(" FOR UPDATE SKIP LOCKED"))
                .bind(lease_until_ms)
                .bind(now_ms)
                .bind(now_ms)
                .bind(limit)
                .fetch_all(p)
                .await
        }
    }
}

/// When the worker should look again: the earliest due time of a pending message.
pub async fn next_due(db: &Db) -> Result<Option<i64>, sqlx::Error> {
    const SQL: &str = "SELECT MIN(CASE WHEN locked_until_ms IS NOT NULL AND locked_until_ms > next_attempt_at_ms \
                       THEN locked_until_ms ELSE next_attempt_at_ms END) FROM webhook_outbox WHERE status = 'pending'";
    on_pool!(db, |p| sqlx::query_scalar::<_, Option<i64>>(SQL).fetch_one(p).await)
}

pub async fn endpoint(db: &Db, id: &str) -> Result<Option<Endpoint>, sqlx::Error> {
    const SQL: &str = concat!("SELECT ", endpoint_columns!(), " FROM webhook_endpoints WHERE id = $1");
    on_pool!(db, |p| sqlx::query_as(SQL).bind(id).fetch_optional(p).await)
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// Delivered, retry at, or dead.
    pub next: Next,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(i64),
    Dead,
}

/// Records an attempt of a claimed message and its new state; the attempt log row in the same
/// transaction.
pub async fn record(db: &Db, m: &Claimed, at_ms: i64, o: &Outcome) -> Result<(), sqlx::Error> {
    const LOG: &str = "INSERT INTO webhook_attempts (outbox_id, endpoint_id, attempt, at_ms, status_code, error, \
                       duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const DELIVERED: &str = "UPDATE webhook_outbox SET status = 'delivered', attempts = attempts + 1, \
                             last_status = $1, last_error = NULL, locked_until_ms = NULL, delivered_at_ms = $2 \
                             WHERE id = $3";
    const RETRY: &str = "UPDATE webhook_outbox SET status = $1, attempts = attempts + 1, last_status = $2, \
                         last_error = $3, locked_until_ms = NULL, next_attempt_at_ms = $4 WHERE id = $5";
    let end = at_ms + o.duration_ms;
    on_pool!(db, |p| {
        let mut tx = p.begin_write().await?;
        sqlx::query(LOG)
            .bind(&m.id)
            .bind(&m.endpoint_id)
            .bind(m.attempts + 1)
            .bind(at_ms)
            .bind(o.status_code)
            .bind(&o.error)
            .bind(o.duration_ms)
            .execute(&mut *tx)
            .await?;
        match o.next {
            Next::Delivered => {
                sqlx::query(DELIVERED).bind(o.status_code).bind(end).bind(&m.id).execute(&mut *tx).await?;
            }
            Next::RetryAt(_) | Next::Dead => {
                let (status, at) = match o.next {
                    Next::RetryAt(at) => ("pending", at),
                    _ => ("dead", end),
                };
                sqlx::query(RETRY)
                    .bind(status)
                    .bind(o.status_code)
                    .bind(&o.error)
                    .bind(at)
                    .bind(&m.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await
    })
}

/// A message that cannot be sent at all (its endpoint deleted or disabled): dead, without an attempt.
pub async fn bury(db: &Db, id: &str, why: &str) -> Result<(), sqlx::Error> {
    const SQL: &str =
        "UPDATE webhook_outbox SET status = 'dead', last_error = $1, locked_until_ms = NULL WHERE id = $2";
    on_pool!(db, |p| sqlx::query(SQL).bind(why).bind(id).execute(p).await.map(drop))
}

/// Disables an endpoint (it answered 410 Gone).
pub async fn disable(db: &Db, id: &str, why: &str) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1 WHERE id = $2";
    on_pool!(db, |p| sqlx::query(SQL).bind(why).bind(id).execute(p).await.map(drop))
}

/// A message as the delivery log shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = WebhookMessage)]
pub struct MessageRow {
    pub id: String,
    pub event_type: String,
    /// `pending` (waiting for its next attempt), `delivered` or `dead` (attempts used up; replayable).
    #[schema(example = "pending")]
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at_ms: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub delivered_at_ms: Option<i64>,
    pub replays: i64,
    pub replayed_by: Option<String>,
    pub replayed_at_ms: Option<i64>,
}

/// One attempt as the delivery log shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = WebhookAttempt)]
pub struct AttemptRow {
    pub outbox_id: String,
    pub attempt: i64,
    pub at_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// An endpoint's latest messages and attempts, newest first.
pub async fn log(db: &Db, endpoint_id: &str, limit: i64) -> Result<(Vec<MessageRow>, Vec<AttemptRow>), sqlx::Error> {
    const MESSAGES: &str = "SELECT id, event_type, status, attempts, next_attempt_at_ms, last_status, last_error, \
                            created_at_ms, delivered_at_ms, replays, replayed_by, replayed_at_ms FROM webhook_outbox WHERE endpoint_id = $1 \
                            ORDER BY created_at_ms DESC, id DESC LIMIT $2";
    const ATTEMPTS: &str = "SELECT outbox_id, attempt, at_ms, status_code, error, duration_ms FROM webhook_attempts \
                            WHERE endpoint_id = $1 ORDER BY at_ms DESC, id DESC LIMIT $2";
    on_pool!(db, |p| {
        let messages = sqlx::query_as(MESSAGES).bind(endpoint_id).bind(limit).fetch_all(p).await?;
        let attempts = sqlx::query_as(ATTEMPTS).bind(endpoint_id).bind(limit).fetch_all(p).await?;
        Ok((messages, attempts))
    })
}

/// A robot endpoint's send slot (WeCom and DingTalk take 20 messages a minute): taken when free
/// (`next_slot_at_ms` passed), marking it busy until `busy_until_ms` (a POST in flight; a server
/// that died mid-POST leaves it to expire). `Err(next)`: not free, with when it frees.
pub async fn take_slot(
    db: &Db,
    endpoint_id: &str,
    now_ms: i64,
    busy_until_ms: i64,
) -> Result<Result<(), i64>, sqlx::Error> {
    const TAKE: &str = "UPDATE webhook_endpoints SET next_slot_at_ms = $1 WHERE id = $2 \
                        AND (next_slot_at_ms IS NULL OR next_slot_at_ms <= $3)";
    const NEXT: &str = "SELECT next_slot_at_ms FROM webhook_endpoints WHERE id = $1";
    on_pool!(db, |p| {
        let n = sqlx::query(TAKE).bind(busy_until_ms).bind(endpoint_id).bind(now_ms).execute(p).await?.rows_affected();
        if n == 1 {
            return Ok(Ok(()));
        }
        let next: Option<Option<i64>> = sqlx::query_scalar(NEXT).bind(endpoint_id).fetch_optional(p).await?;
        Ok(Err(next.flatten().unwrap_or(now_ms)))
    })
}

/// After a robot POST ended at `end_ms`: the next may start `gap_ms` later.
pub async fn free_slot(db: &Db, endpoint_id: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE webhook_endpoints SET next_slot_at_ms = $1 WHERE id = $2";
    on_pool!(db, |p| sqlx::query(SQL).bind(at_ms).bind(endpoint_id).execute(p).await.map(drop))
}

/// A claimed message waiting for its endpoint's slot: due again at `at_ms`, its lease released;
/// not an attempt (nothing logged, attempts unchanged).
pub async fn defer(db: &Db, id: &str, at_ms: i64) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE webhook_outbox SET next_attempt_at_ms = $1, locked_until_ms = NULL WHERE id = $2 \
                       AND status = 'pending'";
    on_pool!(db, |p| sqlx::query(SQL).bind(at_ms).bind(id).execute(p).await.map(drop))
}

/// Sends dead messages of `endpoint_id` again: pending, due now, attempts reset, the replay noted
/// (`by`, when, how many times). `message`: that one only; none: every dead one. Returns their ids.
pub async fn replay(db: &Db, endpoint_id: &str, message: Option<&str>, by: &str) -> Result<Vec<String>, sqlx::Error> {
    const SQL: &str = "UPDATE webhook_outbox SET status = 'pending', attempts = 0, next_attempt_at_ms = $1, \
                       locked_until_ms = NULL, replays = replays + 1, replayed_by = $2, replayed_at_ms = $3 \
                       WHERE endpoint_id = $4 AND status = 'dead' AND ($5 = '' OR id = $6) RETURNING id";
    let now = record_schema::now_ms();
    let only = message.unwrap_or("");
    on_pool!(db, |p| sqlx::query_scalar(SQL)
        .bind(now)
        .bind(by)
        .bind(now)
        .bind(endpoint_id)
        .bind(only)
        .bind(only)
        .fetch_all(p)
        .await)
}

/// One message of an endpoint (its status), if it has it.
pub async fn message_status(db: &Db, endpoint_id: &str, id: &str) -> Result<Option<String>, sqlx::Error> {
    const SQL: &str = "SELECT status FROM webhook_outbox WHERE endpoint_id = $1 AND id = $2";
    on_pool!(db, |p| sqlx::query_scalar(SQL).bind(endpoint_id).bind(id).fetch_optional(p).await)
}

/// Messages per endpoint of `project` and status: (endpoint id, status, count).
pub async fn counts(db: &Db, project: &str) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    const SQL: &str = "SELECT o.endpoint_id, o.status, COUNT(*) FROM webhook_outbox o JOIN webhook_endpoints e \
                       ON e.id = o.endpoint_id WHERE e.project_id = $1 GROUP BY o.endpoint_id, o.status";
    on_pool!(db, |p| sqlx::query_as(SQL).bind(project).fetch_all(p).await)
}
