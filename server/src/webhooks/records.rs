//! Record events: `record.submitted` (a record first reached the server), `record.changed_since_approval`
//! (an approved record's document changed after the approval) and `record.conflict` (a record now
//! holds unresolved concurrent edits).
//!
//! They are derived from the record index (`ledger::pending`, refreshed here for the projects a
//! sync woke, `wake`) against what was last announced (`webhook_record_state`): a record whose
//! index row is at another document version than its state row is looked at; its events are
//! enqueued in the transaction that moves its state row on, written only if the state row is still
//! at the version read (so two servers never announce the same transition twice). The index only
//! holds committed documents, so a sync that rolled back announces nothing; a server killed after
//! a sync committed finds the difference at its next start (`sweep` of every project). The sync
//! itself only calls `wake` (a set insert and a notify).

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::{Value, json};

use crate::cache::DocCache;
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::ledger::store::heads_of_text;

pub const SUBMITTED: &str = "record.submitted";
pub const CHANGED: &str = "record.changed_since_approval";
pub const CONFLICT: &str = "record.conflict";

/// Records looked at per transaction.
const BATCH: i64 = 200;

static WOKEN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
static WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Tells the event task that documents of `project` changed (call after the sync's commit): its
/// record index is refreshed and its record events derived shortly after, in the background.
pub fn wake(project: &str) {
    WOKEN.lock().unwrap_or_else(|e| e.into_inner()).insert(project.to_string());
    WAKE.notify_one();
}

pub(crate) async fn woken() {
    WAKE.notified().await;
}

/// The projects woken since the last call.
pub(crate) fn take_woken() -> BTreeSet<String> {
    std::mem::take(&mut *WOKEN.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Every project with records (the sweep at start and every few minutes: a wake lost to a crash
/// or sent by another server process).
pub async fn projects(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar("SELECT DISTINCT project_id FROM documents ORDER BY project_id")
        .fetch_all(p)
        .await)
}

/// A record index row whose events were not derived at its version, with its state and latest decision.
#[derive(Debug, sqlx::FromRow)]
struct Changed {
    record_id: String,
    kind: String,
    site_id: String,
    site_name: Option<String>,
    author: String,
    record_date: String,
    heads: String,
    doc_version: i64,
    conflict_count: i64,
    voided: i64,
    damage: Option<String>,
    submitted_at_ms: i64,
    s_version: Option<i64>,
    s_submitted: Option<i64>,
    s_conflicted: Option<i64>,
    s_changed_after: Option<String>,
    last_id: Option<String>,
    last_status: Option<String>,
    last_heads: Option<String>,
    last_by: Option<String>,
    last_at_ms: Option<i64>,
}

/// SQL (a literal): a column of the record's latest decision.
macro_rules! last_decision {
    ($col:literal, $as:literal) => {
        concat!(
            "(SELECT a.",
            $col,
            " FROM approval_decisions a WHERE a.record_id = r.record_id ORDER BY a.record_seq DESC LIMIT 1) AS ",
            $as
        )
    };
}

const CHANGED_SQL: &str = concat!(
    "SELECT r.record_id, r.kind, r.site_id, (SELECT t.name FROM sites t WHERE t.project_id = r.project_id \
     AND t.id = r.site_id) AS site_name, r.author, r.record_date, r.heads, r.doc_version, r.conflict_count, \
     r.voided, r.damage, r.submitted_at_ms, s.doc_version AS s_version, s.submitted AS s_submitted, \
     s.conflicted AS s_conflicted, s.changed_after AS s_changed_after, ",
    last_decision!("id", "last_id"),
    ", ",
    last_decision!("status", "last_status"),
    ", ",
    last_decision!("heads", "last_heads"),
    ", ",
    last_decision!("decided_by_name", "last_by"),
    ", ",
    last_decision!("decided_at_ms", "last_at_ms"),
    " FROM record_index r LEFT JOIN webhook_record_state s ON s.record_id = r.record_id \
     WHERE r.project_id = $1 AND (s.record_id IS NULL OR s.doc_version <> r.doc_version) \
     ORDER BY r.submitted_at_ms, r.record_id LIMIT $2"
);

/// What a record's state row becomes, and the events of the move.
#[derive(Debug, Clone, PartialEq)]
struct Derived {
    submitted: bool,
    conflicted: bool,
    changed_after: Option<String>,
    events: Vec<&'static str>,
}

impl Changed {
    /// The transitions from the state row to the index row (pure).
    fn derive(&self) -> Derived {
        let readable = self.damage.is_none();
        let was_submitted = self.s_submitted.unwrap_or(0) != 0;
        let was_conflicted = self.s_conflicted.unwrap_or(0) != 0;
        let mut events = Vec::new();
        // A damaged record is announced once it reads.
        let submitted = was_submitted || readable;
        if !was_submitted && readable {
            events.push(SUBMITTED);
        }
        let conflicted = readable && self.conflict_count > 0;
        if conflicted && !was_conflicted {
            events.push(CONFLICT);
        }
        // Changed since approval: the latest decision is an approval of other heads than the
        // record's now; announced once per approval.
        let mut changed_after = self.s_changed_after.clone();
        if self.last_status.as_deref() == Some("approved")
            && self.last_heads.as_deref() != Some(self.heads.as_str())
            && self.last_id.is_some()
            && changed_after != self.last_id
        {
            changed_after = self.last_id.clone();
            events.push(CHANGED);
        }
        Derived { submitted, conflicted, changed_after, events }
    }

    fn data(&self, project: &str, event: &str) -> Value {
        let mut d = json!({
            "project_id": project,
            "record_id": self.record_id,
            "record_kind": self.kind,
            "author": self.author,
            "site_id": self.site_id,
            "site_name": self.site_name.clone().unwrap_or_default(),
            "date": self.record_date,
            "heads": heads_of_text(&self.heads),
            "doc_version": self.doc_version,
            "submitted_at": super::iso_ms(self.submitted_at_ms),
            "conflict_count": self.conflict_count,
            "voided": self.voided != 0,
        });
        if event == CHANGED {
            d["approval_id"] = json!(self.last_id);
            d["approved_heads"] = json!(heads_of_text(self.last_heads.as_deref().unwrap_or("")));
            d["approved_by"] = json!(self.last_by);
            d["approved_at"] = json!(self.last_at_ms.map(super::iso_ms));
        }
        d
    }
}

/// Refreshes the record index of `project` and enqueues its record events; returns how many
/// messages were written.
pub async fn refresh(db: &Db, cache: &DocCache, project: &str) -> Result<usize, sqlx::Error> {
    // Only the documents that changed (budget 0): the upgrade's backlog of migration 0012 is the
    // background re-index's and the queue's, in their bounded steps.
    if let Err(e) = crate::ledger::pending::refresh_index_bounded(db, cache, project, 0).await {
        // The index as it stands still holds committed states: derive from it.
        tracing::warn!(project, error = %e, "webhook record events: refreshing the record index");
    }
    derive(db, project).await
}

/// Enqueues the record events of `project`'s index rows not yet looked at, in batches.
pub async fn derive(db: &Db, project: &str) -> Result<usize, sqlx::Error> {
    let mut written = 0;
    loop {
        let rows: Vec<Changed> =
            on_pool!(db, |p| sqlx::query_as(CHANGED_SQL).bind(project).bind(BATCH).fetch_all(p).await?);
        if rows.is_empty() {
            return Ok(written);
        }
        let full = rows.len() as i64 == BATCH;
        let (n, moved) = {
            // Reads the endpoints, then writes: on SQLite, take the write lock first.
            let mut tx: Tx = db.begin().await?;
            let endpoints = super::outbox::enabled(&mut tx, project).await?;
            let mut n = 0;
            let mut moved = 0;
            for row in &rows {
                let d = row.derive();
                if !write_state(&mut tx, project, row, &d).await? {
                    continue; // another server moved it on meanwhile (and announced it)
                }
                moved += 1;
                for event in &d.events {
                    n += super::enqueue_to(&mut tx, &endpoints, event, row.data(project, event)).await?;
                }
            }
            tx.commit().await?;
            (n, moved)
        };
        written += n;
        if n > 0 {
            super::wake();
        }
        if !full || moved == 0 {
            return Ok(written);
        }
    }
}

/// Moves the record's state row to the index row's version, if it is still at the one read.
async fn write_state(tx: &mut Tx<'_>, project: &str, row: &Changed, d: &Derived) -> Result<bool, sqlx::Error> {
    const INSERT: &str = "INSERT INTO webhook_record_state (record_id, project_id, doc_version, submitted, \
                          conflicted, changed_after) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (record_id) DO NOTHING";
    const UPDATE: &str = "UPDATE webhook_record_state SET doc_version = $1, submitted = $2, conflicted = $3, \
                          changed_after = $4 WHERE record_id = $5 AND doc_version = $6";
    let n = match row.s_version {
        None => on_tx!(tx, |c| sqlx::query(INSERT)
            .bind(&row.record_id)
            .bind(project)
            .bind(row.doc_version)
            .bind(i64::from(d.submitted))
            .bind(i64::from(d.conflicted))
            .bind(&d.changed_after)
            .execute(c)
            .await?
            .rows_affected()),
        Some(old) => on_tx!(tx, |c| sqlx::query(UPDATE)
            .bind(row.doc_version)
            .bind(i64::from(d.submitted))
            .bind(i64::from(d.conflicted))
            .bind(&d.changed_after)
            .bind(&row.record_id)
            .bind(old)
            .execute(c)
            .await?
            .rows_affected()),
    };
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> Changed {
        Changed {
            record_id: "r1".into(),
            kind: "labour_sheet".into(),
            site_id: "S1".into(),
            site_name: Some("3#楼".into()),
            author: "张工".into(),
            record_date: "2026-12-06".into(),
            heads: "h2".into(),
            doc_version: 2,
            conflict_count: 0,
            voided: 0,
            damage: None,
            submitted_at_ms: 0,
            s_version: None,
            s_submitted: None,
            s_conflicted: None,
            s_changed_after: None,
            last_id: None,
            last_status: None,
            last_heads: None,
            last_by: None,
            last_at_ms: None,
        }
    }

    #[test]
    fn new_record_is_submitted_once() {
        let r = row();
        assert_eq!(r.derive().events, vec![SUBMITTED]);
        let again = Changed { s_version: Some(1), s_submitted: Some(1), s_conflicted: Some(0), ..row() };
        assert!(again.derive().events.is_empty());
    }

    #[test]
    fn damaged_waits_until_it_reads() {
        let r = Changed { damage: Some("bad".into()), conflict_count: 2, ..row() };
        let d = r.derive();
        assert!(d.events.is_empty() && !d.submitted && !d.conflicted);
    }

    #[test]
    fn conflict_on_zero_to_more() {
        let known = |was: i64, now: i64| Changed {
            s_version: Some(1),
            s_submitted: Some(1),
            s_conflicted: Some(was),
            conflict_count: now,
            ..row()
        };
        assert_eq!(known(0, 1).derive().events, vec![CONFLICT]);
        assert!(known(1, 2).derive().events.is_empty());
        assert!(!known(1, 0).derive().conflicted);
    }

    #[test]
    fn changed_since_approval_once_per_approval() {
        let approved = |heads: &str, after: Option<&str>| Changed {
            s_version: Some(1),
            s_submitted: Some(1),
            s_conflicted: Some(0),
            s_changed_after: after.map(str::to_string),
            last_id: Some("d1".into()),
            last_status: Some("approved".into()),
            last_heads: Some(heads.into()),
            ..row()
        };
        let d = approved("h1", None).derive();
        assert_eq!(d.events, vec![CHANGED]);
        assert_eq!(d.changed_after.as_deref(), Some("d1"));
        assert!(approved("h1", Some("d1")).derive().events.is_empty(), "edited again: no second event");
        assert!(approved("h2", None).derive().events.is_empty(), "at the approved heads");
        let rejected = Changed { last_status: Some("rejected".into()), ..approved("h1", None) };
        assert!(rejected.derive().events.is_empty());
    }
}
