//! Fieldledger's server: sync, approvals and ledgers (axum). For now it boots on its embedded
//! default (a SQLite file in a data folder, migrated at start) and answers health checks.

pub mod config;
pub mod db;
pub mod routes;

pub use config::Config;
