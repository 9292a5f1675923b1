//! A labour sheet's crew lines, edited in batches: `set_crew_lines` adds, replaces, patches and
//! removes any number of lines as one Automerge change and one durable write (a foreman's morning
//! of "same as yesterday, but 5 more on rebar" is one call). Each line is still written field by
//! field (`LabourSheet::put_line`), so two phones editing different fields merge cleanly and the
//! same field edited on both shows as a conflict, exactly as with single-line edits.

use automerge::AutoCommit;
use record_schema::now_ms;
use record_schema::{CrewLine, Currency, Effort, LabourSheet, Record, RecordKind, TimeUnit, ValidationContext, Worker};
use rust_decimal::Decimal;

use super::edit::DocOp;
use super::records::wrong_kind;
use super::{Store, new_id};
use crate::error::{Error, Result};

/// Changes to a batch of crew lines: more than a day's crews would hold is a typing loop.
pub const MAX_LINE_CHANGES: usize = 500;

/// One change of a batch (`Store::set_crew_lines`).
#[derive(Debug, Clone)]
pub enum LineChange {
    /// A new line (id and position are assigned; hours per day is the project's).
    Add(CrewLine),
    /// Every field of line `line.id` (its position and hours per day are kept).
    Replace(CrewLine),
    /// Only the fields the patch gives, of line `.0`.
    Patch(String, LinePatch),
    Remove(String),
}

/// The fields to change of one line; `None` keeps a field. `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct LinePatch {
    pub trade: Option<String>,
    pub crew: Option<Option<String>>,
    pub headcount: Option<i64>,
    pub effort_unit: Option<TimeUnit>,
    pub effort: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub rate_unit: Option<TimeUnit>,
    pub cost_code: Option<String>,
    pub activity: Option<Option<String>>,
    pub note: Option<Option<String>>,
    pub workers: Option<Vec<Worker>>,
}

impl LinePatch {
    fn apply(self, line: &CrewLine) -> CrewLine {
        let unit = self.effort_unit.unwrap_or(line.effort.unit());
        let quantity = self.effort.unwrap_or(line.effort.quantity());
        CrewLine {
            trade: self.trade.unwrap_or_else(|| line.trade.clone()),
            crew: self.crew.unwrap_or_else(|| line.crew.clone()),
            headcount: self.headcount.unwrap_or(line.headcount),
            effort: match unit {
                TimeUnit::Hour => Effort::Hours(quantity),
                TimeUnit::Day => Effort::Days(quantity),
            },
            rate: self.rate.unwrap_or(line.rate),
            rate_unit: self.rate_unit.unwrap_or(line.rate_unit),
            cost_code: self.cost_code.unwrap_or_else(|| line.cost_code.clone()),
            activity: self.activity.unwrap_or_else(|| line.activity.clone()),
            note: self.note.unwrap_or_else(|| line.note.clone()),
            workers: self.workers.unwrap_or_else(|| line.workers.clone()),
            ..line.clone()
        }
    }
}

/// What the batch writes into the document, in order.
enum LineOp {
    Put(Box<CrewLine>),
    Remove(String),
}

/// A batch as applied: the sheet after it and the id of each change's line, in order.
pub struct LinesSet {
    pub sheet: LabourSheet,
    pub line_ids: Vec<String>,
}

impl Store {
    /// Applies `changes` to sheet `sheet_id` in order, as one change of its document: all of them,
    /// or (on the first invalid or unknown line) none. `field` names change `i` in errors
    /// (`changes[3]`, so a refusal reads `changes[3].headcount`).
    pub async fn set_crew_lines(
        &self,
        sheet_id: &str,
        changes: Vec<LineChange>,
        field: impl Fn(usize) -> String,
    ) -> Result<LinesSet> {
        if changes.len() > MAX_LINE_CHANGES {
            return Err(record_schema::ValidationError::new(
                "changes",
                format!("{} changes in one call; at most {MAX_LINE_CHANGES}", changes.len()),
            )
            .into());
        }
        self.edit(sheet_id, None, |record, ctx| {
            let Record::LabourSheet(sheet) = record else {
                return Err(wrong_kind(sheet_id, RecordKind::LabourSheet, record.kind()));
            };
            let mut ops = Vec::with_capacity(changes.len());
            let mut line_ids = Vec::with_capacity(changes.len());
            let mut counts = Counts::default();
            for (i, change) in changes.into_iter().enumerate() {
                let (op, id) = apply(sheet, change, &field(i), ctx, &mut counts)?;
                ops.push(op);
                line_ids.push(id);
            }
            let summary = counts.summary(sheet, &line_ids);
            let currency: Currency = sheet.currency;
            let at = now_ms();
            let op: DocOp = Box::new(move |doc: &mut AutoCommit| {
                for op in ops {
                    match op {
                        LineOp::Put(line) => LabourSheet::put_line(doc, currency, &line, at)?,
                        LineOp::Remove(id) => LabourSheet::remove_line(doc, &id, at)?,
                    }
                }
                Ok(())
            });
            Ok((op, summary, LinesSet { sheet: sheet.clone(), line_ids }))
        })
        .await
    }

    /// Adds (`line.id` empty) or replaces one crew line; other lines are untouched, so two phones
    /// editing different lines of one sheet merge cleanly.
    pub async fn put_crew_line(&self, sheet_id: &str, line: CrewLine) -> Result<(CrewLine, Currency)> {
        let change = if line.id.is_empty() { LineChange::Add(line) } else { LineChange::Replace(line) };
        let set = self.set_crew_lines(sheet_id, vec![change], |_| "line".to_string()).await?;
        let id = set.line_ids.first().cloned().unwrap_or_default();
        let line = set.sheet.lines.iter().find(|l| l.id == id).cloned();
        let line = line.ok_or_else(|| Error::Internal(format!("line {id} missing after writing it")))?;
        Ok((line, set.sheet.currency))
    }

    pub async fn remove_crew_line(&self, sheet_id: &str, line_id: &str) -> Result<()> {
        self.set_crew_lines(sheet_id, vec![LineChange::Remove(line_id.to_string())], |_| "line".to_string())
            .await
            .map(drop)
    }
}

/// One change applied to the sheet's view; returns what to write and the line's id.
fn apply(
    sheet: &mut LabourSheet,
    change: LineChange,
    field: &str,
    ctx: &ValidationContext<'_>,
    counts: &mut Counts,
) -> Result<(LineOp, String)> {
    let find = |sheet: &mut LabourSheet, id: &str| -> Result<usize> {
        sheet
            .lines
            .iter()
            .position(|l| !id.is_empty() && l.id == id)
            .ok_or_else(|| Error::NotFound { what: "crew line", id: id.to_string() })
    };
    let put = |sheet: &mut LabourSheet, at: usize, line: CrewLine| -> Result<(LineOp, String)> {
        // The line alone first, so errors name `changes[2].hours` rather than its place in the sheet.
        line.validate(field, ctx)?;
        let id = line.id.clone();
        if let Some(slot) = sheet.lines.get_mut(at) {
            *slot = line.clone();
        } else {
            sheet.lines.push(line.clone());
        }
        Ok((LineOp::Put(Box::new(line)), id))
    };
    match change {
        LineChange::Add(mut line) => {
            line.id = new_id();
            line.position = sheet.lines.iter().map(|l| l.position + 1).max().unwrap_or(0);
            line.hours_per_day = ctx.hours_per_day();
            counts.added += 1;
            let at = sheet.lines.len();
            put(sheet, at, line)
        }
        LineChange::Replace(line) => {
            let at = find(sheet, &line.id)?;
            let old = &sheet.lines[at];
            let line = CrewLine { position: old.position, hours_per_day: old.hours_per_day, ..line };
            counts.updated += 1;
            put(sheet, at, line)
        }
        LineChange::Patch(id, patch) => {
            let at = find(sheet, &id)?;
            let line = patch.apply(&sheet.lines[at]);
            counts.updated += 1;
            put(sheet, at, line)
        }
        LineChange::Remove(id) => {
            let at = find(sheet, &id)?;
            counts.removed.push(line_number(sheet, &id));
            sheet.lines.remove(at);
            Ok((LineOp::Remove(id.clone()), id))
        }
    }
}

/// What a batch did, for the change's message in the record's history.
#[derive(Default)]
struct Counts {
    added: usize,
    updated: usize,
    /// Line numbers of removed lines, as the foreman saw them before.
    removed: Vec<usize>,
}

impl Counts {
    /// `add line 3`, `update line 2`, `remove line 4` for one change (as single edits always
    /// said); `lines: 1 added, 5 updated, 1 removed` for a batch.
    fn summary(&self, sheet: &LabourSheet, ids: &[String]) -> String {
        let total = self.added + self.updated + self.removed.len();
        if total == 1 {
            if let Some(n) = self.removed.first() {
                return format!("remove line {n}");
            }
            let id = ids.first().map(String::as_str).unwrap_or_default();
            let verb = if self.added == 1 { "add" } else { "update" };
            return format!("{verb} line {}", line_number(sheet, id));
        }
        let mut parts = Vec::new();
        for (n, what) in [(self.added, "added"), (self.updated, "updated"), (self.removed.len(), "removed")] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if parts.is_empty() { "lines unchanged".to_string() } else { format!("lines: {}", parts.join(", ")) }
    }
}

/// The 1-based number of line `line_id` in the sheet's order (by position), as the foreman sees it.
fn line_number(sheet: &LabourSheet, line_id: &str) -> usize {
    let Some(line) = sheet.lines.iter().find(|l| l.id == line_id) else { return sheet.lines.len() };
    1 + sheet.lines.iter().filter(|l| (l.position, &l.id) < (line.position, &line.id)).count()
}
