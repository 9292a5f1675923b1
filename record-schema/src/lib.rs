//! Fieldledger record documents: the one source of truth for phone and server.
//!
//! Every record is an Automerge document. This crate defines, per kind, the plain Rust view of the
//! record, its validation rules, and how it maps onto the document (`write` reconciles a view into a
//! document touching only changed fields, so concurrent edits of different fields merge; `read` decodes
//! a document and refuses one written by a newer schema version).

pub mod approval;
pub mod conflicts;
pub mod doc;
pub mod error;
pub mod expansion;
pub mod expense;
pub mod kind;
pub mod labour;
pub mod money;
pub mod photo;
pub mod progress;
pub mod record;
pub mod reference;
pub mod shape;
pub mod validate;
pub mod wire;

pub use approval::{Approval, Decision, DecisionStatus};
pub use error::{SchemaError, ValidationError};
pub use expense::Expense;
pub use kind::RecordKind;
pub use labour::{CrewLine, Effort, LabourSheet, Worker};
pub use money::Currency;
pub use photo::{GeoPoint, PhotoRef};
pub use progress::{Progress, ProgressReport};
pub use record::Record;
pub use reference::{Activity, CostCode, ReferenceData, Site, Trade};
pub use validate::ValidationContext;
