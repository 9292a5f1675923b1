//! Decisions and postings in the database, on SQLite and PostgreSQL alike: the module other code
//! calls (`ledger::store::decide`, `history`, `postings_of`, ...), re-exporting from the files that
//! hold each concern.
//!
//! * `decide.rs`: the decision flow (`decide`, `DecideRequest`, `Outcome`, its checks and
//!   `read_version`).
//! * `journal.rs`: the `approval_decisions` and `approval_requests` tables (`DecisionRow`,
//!   `History`, `history`) and the decision's one transaction (`commit`).
//! * `stored_postings.rs`: the `ledger_postings` and `ledger_totals` tables (`StoredPosting`,
//!   `postings_of`).
//! * `approval_doc.rs`: the record's server-owned approval document (`ApprovalDoc`, `publish`).
//!
//! A decision is one transaction: the record's decisions are read in one statement, the new one is
//! inserted with the next per-record sequence number (unique: a concurrent decider on the same
//! record fails and retries against the new state), and an approval appends the reversal of the
//! standing approval's postings and the new version's postings. Both tables refuse UPDATE and
//! DELETE (triggers). Afterwards the record's approval document is rewritten from the decisions, so
//! the decision reaches phones through sync.

pub use super::approval_doc::{ApprovalDoc, publish};
pub use super::decide::{ATTEMPTS, DecideRequest, Outcome, decide, is_record_kind, load_record, version_at};
pub use super::journal::{Committed, DecisionCommitError, DecisionRow, History, commit, heads_hex, history};
pub(crate) use super::journal::{heads_of_text, heads_text};
pub use super::stored_postings::{PostingEntry, StoredPosting, postings_of};
