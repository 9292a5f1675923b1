//! The sync-scope facts on each record's row (issue 25, docs/sync-scopes.md §2): site, date, open,
//! owner and assignee, which a sync's listing reads to decide (`record_schema::scope::decide`)
//! without loading documents. Every writer that changes a fact writes it here, in its own
//! transaction, to the record's row and its companions' (`approval:<id>`, `follow_up:<id>`: they
//! carry their record's facts). A change of site, date, open or assignee gives the row the
//! project's next change number (migration 0026's trigger), so devices are offered it again.
//!
//! Who writes what:
//! - the sync write of a record (`sync::incoming`): site, date, open after the edit
//!   (`RecordFacts::after_sync`), and the owner on the first insert (`DocWrite` carries them, so they
//!   commit with the document, the one-call append included: `sync::write`);
//! - a decision (`ledger::journal::commit`): open (`set_open`), guarded by the record's version;
//! - an observation's follow-up (`observations::act`): open and assignee (`set_follow_up`);
//! - the server's insert of a companion copies its record's facts (`docstore`'s insert).
//!
//! PostgreSQL: the statements here take document rows, whose facts' trigger takes the project's
//! change counter: a caller that has not written a document of the project in the transaction yet
//! locks the counter first (`lock`), as every document writer does (`docstore::lock_projects`).

use automerge::AutoCommit;
use record_schema::scope::{Standing, is_open};
use record_schema::{FollowUpStatus, Record, RecordKind};

use crate::db::{Db, Tx, on_pool, on_tx};

/// Whether a record is open (`scope::is_open`), as the writer knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    No,
    Yes,
    /// An observation edited by a phone: open unless its follow-up is closed. The follow-up is the
    /// office's (`observations.status`), read by the same statement, so an edit racing a close
    /// cannot leave the old status behind.
    UnlessClosed,
}

impl Open {
    /// As bound in the statements (`OPEN_SQL`).
    pub fn code(self) -> i64 {
        match self {
            Open::No => 0,
            Open::Yes => 1,
            Open::UnlessClosed => 2,
        }
    }

    pub fn from_bool(open: bool) -> Self {
        if open { Open::Yes } else { Open::No }
    }
}

/// SQL (a string literal): `scope_open` from the code `$open` (an expression) of record `$id`.
macro_rules! scope_open_sql {
    ($open:literal, $id:literal) => {
        concat!(
            "CASE WHEN ",
            $open,
            " = 2 THEN COALESCE((SELECT CASE WHEN o.status = 'closed' THEN 0 ELSE 1 END FROM observations o \
             WHERE o.record_id = ",
            $id,
            "), 1) ELSE ",
            $open,
            " END"
        )
    };
}
pub(crate) use scope_open_sql;

/// The facts a sync write of a record sets, on the record's row and its companions'.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordFacts {
    /// `RecordHeader::site_id`.
    pub site: String,
    /// `Record::date`, YYYY-MM-DD.
    pub date: String,
    pub open: Open,
    /// The device whose write first stores the record: the owner becomes its person (`p:<id>`),
    /// else the device itself (`d:<id>`), and is never changed after (`scope::Holder::key`).
    pub owner_device: Option<String>,
}

impl RecordFacts {
    /// The facts of `record` (read from `doc`) as a device's write leaves it. The write changed
    /// its heads, so no approval is of them: a record that was approved is open again.
    pub fn after_sync(record: &Record, doc: &AutoCommit, owner_device: Option<&str>) -> Self {
        let h = record.header();
        RecordFacts {
            site: h.site_id.clone(),
            date: record.date().to_string(),
            open: open_after_sync(record.kind(), h.voided.is_some(), || {
                record_schema::conflicts::find_conflicts(doc).map(|c| !c.is_empty()).unwrap_or(true)
            }),
            owner_device: owner_device.map(str::to_string),
        }
    }
}

/// `scope::is_open` of a record just changed by a device (never approved at its new heads); its
/// conflicts (`in_conflict`, a walk of the document) are looked at only when they matter (an
/// observation, not voided), its follow-up is left to the statement (`Open::UnlessClosed`).
pub fn open_after_sync(kind: RecordKind, voided: bool, in_conflict: impl FnOnce() -> bool) -> Open {
    let s = |in_conflict, follow_up| Standing { kind, voided, in_conflict, approved_current: false, follow_up };
    let closed = Some(FollowUpStatus::Closed);
    let all = [s(false, None), s(false, closed), s(true, None), s(true, closed)].map(|s| is_open(&s));
    if all.iter().all(|o| *o == all[0]) {
        return Open::from_bool(all[0]);
    }
    let conflict = in_conflict();
    let (not_closed, closed) = (is_open(&s(conflict, None)), is_open(&s(conflict, closed)));
    if not_closed == closed { Open::from_bool(closed) } else { Open::UnlessClosed }
}

/// PostgreSQL: locks the change counter of `record`'s project for the rest of `tx` (before any of
/// its document rows). Nothing on SQLite.
pub async fn lock(tx: &mut Tx<'_>, record: &str) -> Result<(), sqlx::Error> {
    crate::docstore::lock_projects(tx, &[record], &[]).await
}

/// Writes `f` to record `record`'s row and its companions' (the project's counter already locked:
/// a document of it was written in `tx`, or `lock`). The owner is set only where none is.
pub async fn write(tx: &mut Tx<'_>, record: &str, f: &RecordFacts) -> Result<(), sqlx::Error> {
    on_tx!(tx, |c| sqlx::query(concat!(
        "UPDATE documents SET scope_site = $2, scope_date = $3, scope_open = ",
        scope_open_sql!("$4", "$1"),
        ", scope_owner = COALESCE(scope_owner, (SELECT CASE WHEN dv.person_id IS NULL THEN 'd:' || dv.id \
         ELSE 'p:' || dv.person_id END FROM devices dv WHERE dv.id = $5)) \
         WHERE id IN ($1, 'approval:' || $1, 'follow_up:' || $1)"
    ))
    .bind(record)
    .bind(&f.site)
    .bind(&f.date)
    .bind(f.open.code())
    .bind(f.owner_device.as_deref())
    .execute(c)
    .await
    .map(drop))
}

/// A decision's `scope_open` of record `record` and its companions, if the record is still at
/// `version` (the one the decision read its current heads from). Otherwise a device's write got in
/// between and set what that write left (the decision is of older heads), so nothing changes.
pub async fn set_open(tx: &mut Tx<'_>, record: &str, open: bool, version: i64) -> Result<(), sqlx::Error> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE documents SET scope_open = $2 WHERE id IN ($1, 'approval:' || $1, 'follow_up:' || $1) \
         AND (SELECT r.version FROM documents r WHERE r.id = $1) = $3"
    )
    .bind(record)
    .bind(i64::from(open))
    .bind(version)
    .execute(c)
    .await
    .map(drop))
}

/// An observation's follow-up facts: open and the assigned person, on the record's row and its
/// companions'.
pub async fn set_follow_up(
    tx: &mut Tx<'_>,
    record: &str,
    open: bool,
    assignee_person: Option<&str>,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, |c| sqlx::query(
        "UPDATE documents SET scope_open = $2, scope_assignee = $3 \
         WHERE id IN ($1, 'approval:' || $1, 'follow_up:' || $1)"
    )
    .bind(record)
    .bind(i64::from(open))
    .bind(assignee_person)
    .execute(c)
    .await
    .map(drop))
}

/// `scope::is_open` of a record after a decision, given whether its standing approval is of its
/// current heads.
pub fn open_after_decision(kind: RecordKind, voided: bool, in_conflict: bool, approved_current: bool) -> bool {
    is_open(&Standing { kind, voided, in_conflict, approved_current, follow_up: None })
}

/// `scope::is_open` of an observation with follow-up `status`.
pub fn open_observation(voided: bool, in_conflict: bool, status: FollowUpStatus) -> bool {
    is_open(&Standing {
        kind: RecordKind::Observation,
        voided,
        in_conflict,
        approved_current: false,
        follow_up: Some(status),
    })
}

// The parameters a device's scope is worked out from (besides the person's `membership_sites`,
// `access::people::set_sites`): the project's two settings and the device's full scope.

/// `projects.scope_window_days`: days of a site's records a phone holds, today included.
pub const WINDOW_DAYS: std::ops::RangeInclusive<u32> = 1..=366;
/// `projects.scope_own_days` when set: days of a person's own records their phones hold.
pub const OWN_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;

/// Why a scope setting was refused: the field and what is wrong (400).
#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    #[error("{0}: {1}")]
    Invalid(&'static str, String),
    /// The project has no settings row yet (its reference data names it first).
    #[error("project: {0}")]
    NoProject(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<SettingError> for crate::error::ApiError {
    fn from(e: SettingError) -> Self {
        match e {
            SettingError::Invalid(field, m) => crate::error::ApiError::bad_request(field, m),
            SettingError::NoProject(m) => crate::error::ApiError::conflict("project", m),
            SettingError::Db(e) => crate::error::ApiError::internal(e),
        }
    }
}

/// A number of days from JSON (a whole number, or its decimal text) within `range`, naming `field`.
pub fn days_in(
    field: &'static str,
    v: &serde_json::Value,
    range: &std::ops::RangeInclusive<u32>,
) -> Result<u32, SettingError> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok()).filter(|n| range.contains(n)).ok_or_else(|| {
        SettingError::Invalid(field, format!("a whole number of days from {} to {}", range.start(), range.end()))
    })
}

/// Scope settings of a project to write: each `None` is kept; `own_days: Some(None)` is "all".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProjectScope {
    pub window_days: Option<u32>,
    pub own_days: Option<Option<u32>>,
}

impl ProjectScope {
    /// Takes `scope_window_days` and `scope_own_days` (null or `""`: all own records) out of a
    /// settings body, checked.
    pub fn take_from(fields: &mut std::collections::BTreeMap<String, serde_json::Value>) -> Result<Self, SettingError> {
        let window_days = match fields.remove("scope_window_days") {
            None => None,
            Some(v) => Some(days_in("scope_window_days", &v, &WINDOW_DAYS)?),
        };
        let own_days = match fields.remove("scope_own_days") {
            None => None,
            Some(serde_json::Value::Null) => Some(None),
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => Some(None),
            Some(v) => Some(Some(days_in("scope_own_days", &v, &OWN_DAYS)?)),
        };
        Ok(ProjectScope { window_days, own_days })
    }

    pub fn is_empty(&self) -> bool {
        self.window_days.is_none() && self.own_days.is_none()
    }
}

/// Writes `project`'s scope settings (`ProjectScope`). Its devices' parameters change with them
/// (their next sync resets its cursor).
pub async fn set_project_scope(db: &Db, project: &str, s: ProjectScope) -> Result<(), SettingError> {
    if s.is_empty() {
        return Ok(());
    }
    let n = on_pool!(db, |p| sqlx::query(
        "UPDATE projects SET scope_window_days = COALESCE($1, scope_window_days), \
         scope_own_days = CASE WHEN $2 THEN $3 ELSE scope_own_days END WHERE id = $4"
    )
    .bind(s.window_days.map(i64::from))
    .bind(s.own_days.is_some())
    .bind(s.own_days.flatten().map(i64::from))
    .bind(project)
    .execute(p)
    .await?
    .rows_affected());
    if n == 0 {
        return Err(SettingError::NoProject(format!(
            "project {project} has no settings yet: give it a name and currency first"
        )));
    }
    Ok(())
}

/// `project`'s scope settings: window days, own days.
pub async fn project_scope(db: &Db, project: &str) -> Result<(u32, Option<u32>), sqlx::Error> {
    let row: Option<(i64, Option<i64>)> =
        on_pool!(db, |p| sqlx::query_as("SELECT scope_window_days, scope_own_days FROM projects WHERE id = $1")
            .bind(project)
            .fetch_optional(p)
            .await?);
    let days = |n: i64| u32::try_from(n).unwrap_or(0);
    Ok(row.map_or((record_schema::scope::DEFAULT_WINDOW_DAYS, None), |(w, o)| (days(w), o.map(days))))
}

/// Device `device` holds its whole project whatever the scope (`token create --full-scope`).
pub async fn set_full_scope(db: &Db, device: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, |p| sqlx::query("UPDATE devices SET scope_full = 1 WHERE id = $1")
        .bind(device)
        .execute(p)
        .await
        .map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_synced_edit_is_open_unless_voided_or_a_closed_observation() {
        let never = || panic!("conflicts looked at when they do not matter");
        assert_eq!(open_after_sync(RecordKind::LabourSheet, false, never), Open::Yes);
        assert_eq!(open_after_sync(RecordKind::Expense, true, never), Open::No);
        assert_eq!(open_after_sync(RecordKind::Observation, true, never), Open::No);
        assert_eq!(open_after_sync(RecordKind::Observation, false, || false), Open::UnlessClosed);
        assert_eq!(open_after_sync(RecordKind::Observation, false, || true), Open::Yes);
    }
}
