use std::fmt;
use std::str::FromStr;

use crate::SchemaError;

/// The kinds of document. Each carries its own schema version in the document root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    LabourSheet,
    Expense,
    ProgressReport,
    /// A wage advance (借支) handed to a worker on site.
    WageAdvance,
    /// A field observation (现场问题): a safety, quality or delay issue seen on site.
    Observation,
    /// A day log (施工日志): one site's weather, visitors and delays on one day.
    DayLog,
    /// Server-owned: cost codes, activities, trades and rates of one project. Phones only read it.
    ReferenceData,
    /// Server-owned: the supervisors' decisions on one record (`approval:<record id>`). Phones only read it.
    Approval,
    /// Server-owned: the office's follow-up of one observation (`follow_up:<record id>`). Phones only read it.
    FollowUp,
}

impl RecordKind {
    pub const ALL: [RecordKind; 9] = [
        RecordKind::LabourSheet,
        RecordKind::Expense,
        RecordKind::ProgressReport,
        RecordKind::WageAdvance,
        RecordKind::Observation,
        RecordKind::DayLog,
        RecordKind::ReferenceData,
        RecordKind::Approval,
        RecordKind::FollowUp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::LabourSheet => "labour_sheet",
            RecordKind::Expense => "expense",
            RecordKind::ProgressReport => "progress_report",
            RecordKind::WageAdvance => "wage_advance",
            RecordKind::Observation => "observation",
            RecordKind::DayLog => "day_log",
            RecordKind::ReferenceData => "reference_data",
            RecordKind::Approval => "approval",
            RecordKind::FollowUp => "follow_up",
        }
    }

    /// Written by the server only; phones receive these documents read-only.
    pub fn server_owned(self) -> bool {
        matches!(self, RecordKind::ReferenceData | RecordKind::Approval | RecordKind::FollowUp)
    }

    /// The newest schema version of this kind that this build writes and reads.
    pub fn schema_version(self) -> i64 {
        match self {
            RecordKind::LabourSheet => 1,
            RecordKind::Expense => 1,
            RecordKind::ProgressReport => 1,
            RecordKind::WageAdvance => 1,
            RecordKind::Observation => 1,
            RecordKind::DayLog => 1,
            RecordKind::ReferenceData => 1,
            RecordKind::Approval => 1,
            RecordKind::FollowUp => 1,
        }
    }
}

/// Id prefixes of the server-owned documents (`approval:<record>`, `follow_up:<record>`,
/// `reference:<project>`): reserved, so no record may squat on one.
pub const SERVER_ID_PREFIXES: [&str; 3] = ["approval:", "follow_up:", "reference:"];

/// Whether `id` is reserved for a server-owned document.
pub fn is_server_id(id: &str) -> bool {
    SERVER_ID_PREFIXES.iter().any(|p| id.starts_with(p))
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordKind {
    type Err = SchemaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RecordKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| SchemaError::NotARecord(format!("unknown kind {s:?}")))
    }
}
