//! Fieldledger's server: sync, approvals and ledgers (axum). So far: SQLite (embedded default) or
//! PostgreSQL, migrated at start; device tokens (admin command, hashed at rest); health checks.

pub mod auth;
pub mod config;
pub mod db;
pub mod docstore;
pub mod error;
pub mod metrics;
pub mod routes;
pub mod sync;

pub use config::Config;
