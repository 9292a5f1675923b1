//! Fieldledger's server: sync, approvals and ledgers (axum). So far: SQLite (embedded default) or
//! PostgreSQL, migrated at start; device tokens (admin command, hashed at rest); health checks.

pub mod approvals;
pub mod auth;
pub mod blobs;
pub mod cache;
pub mod commit;
pub mod config;
pub mod db;
pub mod docstore;
pub mod error;
pub mod held;
pub mod ledger;
pub mod metrics;
pub mod office;
pub mod reference;
pub mod reports;
pub mod routes;
pub mod sync;
pub mod web;

pub use config::Config;

/// Milliseconds since the Unix epoch, the time unit of every stored timestamp.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
