//! Fieldledger record documents: the one source of truth for phone and server.
//!
//! Every record is an Automerge document. This crate defines, per kind, the plain Rust view of the
//! record, its validation rules, and how it maps onto the document (`write` reconciles a view into a
//! document touching only changed fields, so concurrent edits of different fields merge; `read` decodes
//! a document and refuses one written by a newer schema version).

pub mod advance;
pub mod approval;
pub mod change_note;
pub mod conflicts;
pub mod day_log;
pub mod describe;
pub mod doc;
pub mod error;
pub mod expansion;
pub mod expense;
pub mod follow_up;
pub mod kind;
pub mod labour;
pub mod money;
pub mod observation;
pub mod persist;
pub mod photo;
pub mod progress;
pub mod record;
pub mod reference;
pub mod scope;
pub mod shape;
pub mod sync_client;
pub mod tus;
pub mod validate;
pub mod wire;
pub mod zone;

pub use advance::WageAdvance;
pub use approval::{Approval, Decision, DecisionStatus};
pub use day_log::{DayLog, Delay, DelayCause, Visitor, WeatherCondition};
pub use error::{SchemaError, ValidationError};
pub use expense::Expense;
pub use follow_up::{FollowUp, FollowUpEvent, FollowUpStatus};
pub use kind::RecordKind;
pub use labour::{CrewLine, Effort, LabourSheet, TimeUnit, Worker};
pub use money::Currency;
pub use observation::{Observation, ObservationCategory, Severity};
pub use photo::{GeoPoint, PhotoRef};
pub use progress::{Progress, ProgressReport};
pub use record::Record;
pub use reference::{Activity, CostCode, ExpenseCategory, ReferenceData, RosterWorker, Site, Trade};
pub use validate::ValidationContext;
pub use zone::SiteZone;

/// Milliseconds since the Unix epoch, the time unit of every stored timestamp on phone and server
/// (0 for a clock set before 1970, `i64::MAX` past the range).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
