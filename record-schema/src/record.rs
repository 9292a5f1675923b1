//! What every record kind shares: its header (identity, place, author, void state) and the `Record`
//! enum used where any kind may appear.

use automerge::{AutoCommit, ChangeHash, Patch, ROOT, ScalarValue};

use crate::doc::{self, Fields, get_str, get_timestamp, put_scalar, put_str};
use crate::labour::LineReadings;
use crate::validate::{check_required, parse_time_zone};
use crate::{
    DayLog, Expense, LabourSheet, Observation, ProgressReport, RecordKind, SchemaError, SiteZone, ValidationContext,
    ValidationError, WageAdvance,
};

/// A voided record stays (for the audit trail) but no longer counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voided {
    pub reason: String,
    pub by: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHeader {
    /// Document id (a UUID v7, so ids sort by creation time).
    pub id: String,
    pub project_id: String,
    pub site_id: String,
    /// IANA time zone of the site; the record's date is a date on this calendar.
    pub time_zone: String,
    pub author: String,
    pub created_at_ms: i64,
    pub voided: Option<Voided>,
}

impl RecordHeader {
    pub fn validate(&self) -> Result<SiteZone, ValidationError> {
        check_required("project_id", &self.project_id)?;
        check_required("site_id", &self.site_id)?;
        check_required("author", &self.author)?;
        parse_time_zone("time_zone", &self.time_zone)
    }

    pub(crate) fn write(&self, d: &mut AutoCommit, kind: RecordKind) -> Result<(), SchemaError> {
        doc::stamp_kind(d, kind)?;
        put_str(d, &ROOT, "id", &self.id)?;
        put_str(d, &ROOT, "project_id", &self.project_id)?;
        put_str(d, &ROOT, "site_id", &self.site_id)?;
        put_str(d, &ROOT, "time_zone", &self.time_zone)?;
        put_str(d, &ROOT, "author", &self.author)?;
        put_scalar(d, &ROOT, "created_at", ScalarValue::Timestamp(self.created_at_ms))?;
        match &self.voided {
            None => doc::delete_key(d, &ROOT, "void"),
            Some(v) => {
                let obj = doc::ensure_map(d, &ROOT, "void")?;
                put_str(d, &obj, "reason", &v.reason)?;
                put_str(d, &obj, "by", &v.by)?;
                put_scalar(d, &obj, "at", ScalarValue::Timestamp(v.at_ms))
            }
        }
    }

    pub(crate) fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        Self::read_from(d, &Fields::read(d, &ROOT))
    }

    /// `read` from the root's fields, read once for the whole record.
    pub(crate) fn read_from(d: &AutoCommit, root: &Fields) -> Result<Self, SchemaError> {
        let voided = match root.map("void")? {
            None => None,
            Some(obj) => Some(Voided {
                reason: get_str(d, obj, "reason")?.unwrap_or_default(),
                by: get_str(d, obj, "by")?.unwrap_or_default(),
                at_ms: get_timestamp(d, obj, "at")?.unwrap_or_default(),
            }),
        };
        Ok(RecordHeader {
            id: root.req_str("id")?,
            project_id: root.req_str("project_id")?,
            site_id: root.req_str("site_id")?,
            time_zone: root.req_str("time_zone")?,
            author: root.req_str("author")?,
            created_at_ms: root.timestamp("created_at")?.unwrap_or_default(),
            voided,
        })
    }
}

/// What `Record::reread` keeps of a record read at some heads: for a labour sheet, each crew line
/// as read.
#[derive(Debug, Clone)]
pub struct Reading {
    heads: Vec<ChangeHash>,
    lines: Option<LineReadings>,
}

impl Reading {
    /// The document's heads when it was read.
    pub fn heads(&self) -> &[ChangeHash] {
        &self.heads
    }

    /// Starts Automerge's patch log on `d`, which must be at this reading's heads, so that the
    /// next `reread` reads only the crew lines changed meanwhile. Does nothing for a reading
    /// without crew lines: `reread` reads those records whole anyway.
    pub fn watch(&self, d: &mut AutoCommit) {
        if self.lines.is_some() {
            d.update_diff_cursor();
        }
    }

    /// Crew lines read from the document to make this reading (the others were kept from the
    /// previous one).
    pub fn lines_read(&self) -> usize {
        self.lines.as_ref().map_or(0, |l| l.read)
    }

    /// Rough bytes held (a cache weighs by it).
    pub fn approx_bytes(&self) -> usize {
        std::mem::size_of::<Self>() + self.heads.len() * 32 + self.lines.as_ref().map_or(0, LineReadings::approx_bytes)
    }
}

/// Any record a foreman writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    LabourSheet(LabourSheet),
    Expense(Expense),
    ProgressReport(ProgressReport),
    WageAdvance(WageAdvance),
    Observation(Observation),
    DayLog(DayLog),
}

impl Record {
    /// Decodes any record document, refusing one of a newer schema version.
    pub fn read(d: &AutoCommit) -> Result<Self, SchemaError> {
        Self::read_with(d, &Fields::read(d, &ROOT))
    }

    /// The record as `read` gives it, read again after changes made since `prev` was taken: only
    /// the crew lines those changes altered are read (a whole read costs ~7 µs per crew line; the
    /// server reads every sheet a phone changes). The changes are told by Automerge's patch log:
    /// call `prev.watch(d)` (or `d.update_diff_cursor()`) while the document is still at `prev`'s
    /// heads, then apply the changes. Without that cursor (or for kinds other than labour sheets)
    /// the whole record is read. The patch log is switched off again either way.
    pub fn reread(d: &mut AutoCommit, prev: Option<Reading>) -> Result<(Self, Reading), SchemaError> {
        let patches = Self::take_patches(d, prev.as_ref());
        Self::reread_with(d, prev, patches)
    }

    /// The visible changes since `prev` was read, when Automerge's patch log was started at its
    /// heads (`Reading::watch`); `None` otherwise. The patch log is switched off either way. For
    /// `reread_with`, and for `shape::check_patched` before it.
    pub fn take_patches(d: &mut AutoCommit, prev: Option<&Reading>) -> Option<Vec<Patch>> {
        let cursor = d.diff_cursor();
        let patches = match prev {
            Some(p) if !cursor.is_empty() && cursor == p.heads => Some(d.diff_incremental()),
            _ => None,
        };
        if !cursor.is_empty() {
            d.reset_diff_cursor();
        }
        patches
    }

    /// `reread` given the patches `take_patches` took (`None`: read the whole record).
    pub fn reread_with(
        d: &mut AutoCommit,
        prev: Option<Reading>,
        patches: Option<Vec<Patch>>,
    ) -> Result<(Self, Reading), SchemaError> {
        let heads = d.get_heads();
        let root = Fields::read(d, &ROOT);
        if doc::kind_of(&root)? != RecordKind::LabourSheet {
            return Ok((Self::read_with(d, &root)?, Reading { heads, lines: None }));
        }
        let (kept, patches) = match (prev.and_then(|p| p.lines), patches) {
            (Some(lines), Some(patches)) => (Some(lines), patches),
            _ => (None, Vec::new()),
        };
        let (sheet, lines) = LabourSheet::read_tracked(d, &root, kept.map(|l| (l, patches.as_slice())))?;
        Ok((Record::LabourSheet(sheet), Reading { heads, lines }))
    }

    fn read_with(d: &AutoCommit, root: &Fields) -> Result<Self, SchemaError> {
        match doc::kind_of(root)? {
            RecordKind::LabourSheet => LabourSheet::read_with(d, root).map(Record::LabourSheet),
            RecordKind::Expense => Expense::read(d).map(Record::Expense),
            RecordKind::ProgressReport => ProgressReport::read(d).map(Record::ProgressReport),
            RecordKind::WageAdvance => WageAdvance::read(d).map(Record::WageAdvance),
            RecordKind::Observation => Observation::read(d).map(Record::Observation),
            RecordKind::DayLog => DayLog::read(d).map(Record::DayLog),
            RecordKind::ReferenceData => {
                Err(SchemaError::NotARecord("reference data is not a foreman's record".into()))
            }
            RecordKind::Approval => Err(SchemaError::NotARecord("an approval is not a foreman's record".into())),
            RecordKind::FollowUp => Err(SchemaError::NotARecord("a follow-up is not a foreman's record".into())),
        }
    }

    /// Reconciles this record into `d` (see each kind's `write`).
    pub fn write(&self, d: &mut AutoCommit) -> Result<(), SchemaError> {
        match self {
            Record::LabourSheet(r) => r.write(d),
            Record::Expense(r) => r.write(d),
            Record::ProgressReport(r) => r.write(d),
            Record::WageAdvance(r) => r.write(d),
            Record::Observation(r) => r.write(d),
            Record::DayLog(r) => r.write(d),
        }
    }

    pub fn validate(&self, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        match self {
            Record::LabourSheet(r) => r.validate(ctx),
            Record::Expense(r) => r.validate(ctx),
            Record::ProgressReport(r) => r.validate(ctx),
            Record::WageAdvance(r) => r.validate(ctx),
            Record::Observation(r) => r.validate(ctx),
            Record::DayLog(r) => r.validate(ctx),
        }
    }

    pub fn header_mut(&mut self) -> &mut RecordHeader {
        match self {
            Record::LabourSheet(r) => &mut r.header,
            Record::Expense(r) => &mut r.header,
            Record::ProgressReport(r) => &mut r.header,
            Record::WageAdvance(r) => &mut r.header,
            Record::Observation(r) => &mut r.header,
            Record::DayLog(r) => &mut r.header,
        }
    }

    pub fn header(&self) -> &RecordHeader {
        match self {
            Record::LabourSheet(r) => &r.header,
            Record::Expense(r) => &r.header,
            Record::ProgressReport(r) => &r.header,
            Record::WageAdvance(r) => &r.header,
            Record::Observation(r) => &r.header,
            Record::DayLog(r) => &r.header,
        }
    }

    /// The day the record is about (a sheet's work date, the others' date), on the site's calendar.
    pub fn date(&self) -> chrono::NaiveDate {
        match self {
            Record::LabourSheet(r) => r.work_date,
            Record::Expense(r) => r.date,
            Record::ProgressReport(r) => r.date,
            Record::WageAdvance(r) => r.date,
            Record::Observation(r) => r.date,
            Record::DayLog(r) => r.date,
        }
    }

    /// The record's photos and the key they are kept under (`receipts`, `photos`, `slips`); `None`
    /// for a labour sheet, which has none.
    pub fn photos(&self) -> Option<(&'static str, &[crate::PhotoRef])> {
        match self {
            Record::LabourSheet(_) => None,
            Record::Expense(r) => Some(("receipts", &r.receipts)),
            Record::ProgressReport(r) => Some(("photos", &r.photos)),
            Record::WageAdvance(r) => Some(("slips", &r.slips)),
            Record::Observation(r) => Some(("photos", &r.photos)),
            Record::DayLog(_) => None,
        }
    }

    /// Every named worker of the record, with the path validation names it by
    /// (`lines[2].workers[0]`, `worker`).
    pub fn named_workers(&self) -> Vec<(String, &crate::Worker)> {
        match self {
            Record::LabourSheet(s) => s
                .lines
                .iter()
                .enumerate()
                .flat_map(|(i, l)| {
                    l.workers.iter().enumerate().map(move |(j, w)| (format!("lines[{i}].workers[{j}]"), w))
                })
                .collect(),
            Record::WageAdvance(a) => vec![("worker".to_string(), &a.worker)],
            Record::Expense(_) | Record::ProgressReport(_) | Record::Observation(_) | Record::DayLog(_) => Vec::new(),
        }
    }

    /// Whether any worker of the record carries a roster id.
    pub fn names_roster_ids(&self) -> bool {
        self.named_workers().iter().any(|(_, w)| w.worker_id.is_some())
    }

    /// The roster part of `validate` alone: every `worker_id` one of `ctx.roster` (when one is
    /// published). For the server's sync, which reads the roster only for records that name ids.
    pub fn check_worker_ids(&self, ctx: &ValidationContext<'_>) -> Result<(), ValidationError> {
        for (field, w) in self.named_workers() {
            if let Some(id) = &w.worker_id {
                ctx.check_worker_id(&format!("{field}.worker_id"), id)?;
            }
        }
        Ok(())
    }

    pub fn kind(&self) -> RecordKind {
        match self {
            Record::LabourSheet(_) => RecordKind::LabourSheet,
            Record::Expense(_) => RecordKind::Expense,
            Record::ProgressReport(_) => RecordKind::ProgressReport,
            Record::WageAdvance(_) => RecordKind::WageAdvance,
            Record::Observation(_) => RecordKind::Observation,
            Record::DayLog(_) => RecordKind::DayLog,
        }
    }
}
