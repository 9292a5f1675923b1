//! Outgoing webhooks (issue 23; `docs/webhooks.md`): a project's endpoints (`endpoints`), the
//! durable outbox (`outbox`: a message row is written in the transaction of the event it reports,
//! so an event that committed is delivered and one that rolled back is not), the delivery worker
//! (`deliver`: leases, signed POSTs, retries with backoff), the signatures (`sign`) and the bodies
//! per format (`formats`: generic JSON, WeCom and DingTalk robot markdown).
//!
//! Events: `record.approved` and `record.rejected` in the decision's transaction
//! (`ledger::journal::commit`, by `on_decision`); `record.submitted`,
//! `record.changed_since_approval` and `record.conflict` derived from the record index by the
//! event task (`records`, woken by the sync: `records::wake`); `wages.arrears_flagged` (`arrears`)
//! and `digest.daily` (`digest`) by the same task (`tasks`); `daily_report.ready` enqueued by the
//! daily reports with `enqueue`.

pub mod arrears;
pub mod deliver;
pub mod digest;
pub mod endpoints;
pub mod formats;
pub mod outbox;
pub mod records;
pub mod sign;
pub mod tasks;

use serde_json::{Value, json};

use crate::db::{Db, Tx};
use crate::ledger::store::DecisionRow;

/// Every event type an endpoint may subscribe to.
pub const EVENTS: &[&str] = &[
    "record.submitted",
    "record.changed_since_approval",
    "record.approved",
    "record.rejected",
    "record.conflict",
    "daily_report.ready",
    "wages.arrears_flagged",
    "digest.daily",
];

/// The event `POST /v1/webhooks/{id}/test` sends (to that endpoint only, whatever its filter).
pub const PING: &str = "ping";

/// Starts the delivery worker and the event task (record events, wage arrears, digests), sharing
/// the server's document cache.
pub fn spawn(db: Db, cache: std::sync::Arc<crate::cache::DocCache>) {
    deliver::spawn_worker(db.clone(), deliver::Settings::from_env());
    tasks::spawn(db, cache, tasks::Settings::from_env());
}

static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Wakes the delivery worker (after a transaction that enqueued messages committed).
pub fn wake() {
    WAKE.notify_one();
}

pub(crate) async fn woken() {
    WAKE.notified().await;
}

/// The message body every format starts from: `{"type", "timestamp", "data"}` (Standard Webhooks).
pub fn payload(event: &str, at_ms: i64, data: Value) -> Value {
    json!({ "type": event, "timestamp": iso_ms(at_ms), "data": data })
}

/// Epoch milliseconds as RFC 3339 UTC.
pub fn iso_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Enqueues `event` for each enabled endpoint of `project` that takes it, in the caller's
/// transaction (call `wake` after it commits). Returns how many messages were written.
pub async fn enqueue(tx: &mut Tx<'_>, project: &str, event: &str, data: Value) -> Result<usize, sqlx::Error> {
    let now = record_schema::now_ms();
    let targets = outbox::subscribed(tx, project, event).await?;
    let body = payload(event, now, data).to_string();
    for endpoint in &targets {
        outbox::insert(tx, endpoint, event, &body, now).await?;
    }
    Ok(targets.len())
}

/// Enqueues `event` for those of `endpoints` (read in this transaction, `outbox::enabled`) that
/// take it: for callers enqueueing many events of one project at once.
pub async fn enqueue_to(
    tx: &mut Tx<'_>,
    endpoints: &[outbox::Endpoint],
    event: &str,
    data: Value,
) -> Result<usize, sqlx::Error> {
    let targets: Vec<&outbox::Endpoint> = endpoints.iter().filter(|e| e.takes(event)).collect();
    if targets.is_empty() {
        return Ok(0);
    }
    let now = record_schema::now_ms();
    let body = payload(event, now, data).to_string();
    for endpoint in &targets {
        outbox::insert(tx, endpoint, event, &body, now).await?;
    }
    Ok(targets.len())
}

/// `record.approved` or `record.rejected` for a decision, in the decision's transaction.
pub async fn on_decision(tx: &mut Tx<'_>, d: &DecisionRow) -> Result<usize, sqlx::Error> {
    let event = match d.status.as_str() {
        "approved" => "record.approved",
        "rejected" => "record.rejected",
        _ => return Ok(0),
    };
    let mut data = json!({
        "project_id": d.project_id,
        "record_id": d.record_id,
        "record_kind": d.record_kind,
        "decision_id": d.id,
        "status": d.status,
        "heads": d.heads,
        "comment": d.comment,
        "decided_by": d.decided_by_name,
        "decided_by_role": d.decided_by_role,
        "decided_at": iso_ms(d.decided_at_ms),
    });
    if event == "record.rejected" {
        data["reason"] = json!(d.comment);
    }
    enqueue(tx, &d.project_id, event, data).await
}
