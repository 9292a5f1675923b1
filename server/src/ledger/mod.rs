//! Approvals and the central ledgers (docs/approvals-and-ledgers.md).
//!
//! * `postings`: what an approved record version posts (pure, exact Decimal arithmetic).
//! * `store`: decisions and postings in the database, one transaction per decision, append-only;
//!   it re-exports from `decide` (the decision flow), `journal` (the decisions' tables and the
//!   decision's transaction), `stored_postings` (the ledger's rows) and `approval_doc` (the
//!   record's approval document).
//! * `pending`: the record index and the list of records awaiting a decision.
//! * `resolve`: a supervisor settles a conflict before approving.
//! * `view`: records as JSON for supervisors, and the field-by-field difference of two versions.

mod approval_doc;
mod decide;
mod journal;
pub mod pending;
pub mod postings;
pub mod resolve;
pub mod store;
mod stored_postings;
pub mod view;

use record_schema::{ExpenseCategory, ValidationError};

use crate::cache::DocCache;
use crate::db::Db;

/// The project's expense categories as published to its phones (empty: the default list), which
/// the server checks expenses against as the phones do.
pub async fn expense_categories(db: &Db, cache: &DocCache, project: &str) -> Result<Vec<ExpenseCategory>, LedgerError> {
    Ok(decide::reference_data(db, cache, project).await?.map(|r| r.expense_categories).unwrap_or_default())
}

/// Why a decision or a lookup was refused. Each names the field a client should look at.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The record does not exist in the caller's project (another project's records look the same).
    #[error("no record {0} in your project")]
    NoSuchRecord(String),
    /// Input that cannot be understood (field, reason).
    #[error("{0}: {1}")]
    BadInput(&'static str, String),
    /// Heads that the stored record document does not contain.
    #[error("the record has no version with heads {0:?}")]
    UnknownHeads(Vec<String>),
    /// The version has concurrent values in these fields: they must be resolved first.
    #[error("concurrent values must be resolved first: {0:?}")]
    Conflicts(Vec<record_schema::conflicts::FieldConflict>),
    /// The version does not read as a valid record.
    #[error("the version is not a valid record: {0}")]
    Invalid(ValidationError),
    /// Refused because of the record's approval state (field, reason).
    #[error("{0}: {1}")]
    State(&'static str, String),
    /// Too many concurrent deciders on one record; retrying later will work.
    #[error("the record kept changing; retry")]
    Busy,
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("documents: {0}")]
    Docs(#[from] crate::docstore::DocStoreError),
    #[error("document: {0}")]
    Schema(#[from] record_schema::SchemaError),
}
