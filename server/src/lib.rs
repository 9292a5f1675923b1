//! Fieldledger's server: sync, approvals and ledgers (axum). So far: SQLite (embedded default) or
//! PostgreSQL, migrated at start; device tokens (admin command, hashed at rest); health checks.

pub mod access;
pub mod api;
pub mod auth;
pub mod blobs;
pub mod cache;
pub mod commit;
pub mod config;
pub mod daily_reports;
pub mod db;
pub mod demo;
pub mod docstore;
pub mod error;
pub mod funds;
pub mod held;
pub mod ledger;
pub mod metrics;
pub mod observations;
pub mod openapi;
pub mod reference;
pub mod reports;
pub mod risks;
pub mod routes;
pub mod scope_facts;
pub mod state;
pub mod sync;
pub mod web;
pub mod webhooks;

pub use config::Config;
