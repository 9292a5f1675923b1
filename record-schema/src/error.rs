use thiserror::Error;

/// A document could not be decoded into a record.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SchemaError {
    #[error("document was written by schema version {found} of {kind}; this build reads up to {supported}")]
    NewerSchemaVersion { kind: String, found: i64, supported: i64 },
    #[error("document is not a Fieldledger record: {0}")]
    NotARecord(String),
    #[error("document kind {found:?} where {expected:?} was expected")]
    WrongKind { expected: String, found: String },
    #[error("field `{field}` is malformed: {reason}")]
    Malformed { field: String, reason: String },
    /// Beyond a bound on what a document may hold (see `shape`); the message names the limit.
    #[error("document is too large: {0}")]
    TooLarge(String),
    #[error("automerge: {0}")]
    Automerge(String),
}

impl From<automerge::AutomergeError> for SchemaError {
    fn from(e: automerge::AutomergeError) -> Self {
        SchemaError::Automerge(e.to_string())
    }
}

/// Input that breaks a rule. `field` is a path such as `lines[2].hours`, so a UI can point at it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    pub field: String,
    pub reason: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}
