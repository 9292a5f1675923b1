//! Persisting Automerge documents: a compacted snapshot per document plus appended incremental
//! changes. An edit appends a few hundred bytes in one transaction; every `COMPACT_AFTER` changes the
//! document is saved whole and the appended changes are folded in.

use automerge::{AutoCommit, ChangeHash};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::error::{Error, Result};

/// Appended changes per document before it is compacted into a new snapshot.
pub const COMPACT_AFTER: i64 = 64;

/// A document in memory, with the heads already on disk (what the next save appends after).
pub struct HotDoc {
    pub doc: AutoCommit,
    pub persisted: Vec<ChangeHash>,
    pub pending_count: i64,
    /// Conflicted fields after the last write, so local edits can skip the walk when there are none.
    pub conflicts: i64,
    /// The record as last read or written. Reading a 50-line sheet out of automerge 0.12's columnar
    /// storage costs ~2 ms; an edit knows the record it wrote, so it keeps that instead of re-reading.
    pub view: Option<record_schema::Record>,
}

pub async fn load(pool: &SqlitePool, id: &str) -> Result<Option<HotDoc>> {
    let row: Option<(Vec<u8>, i64)> = sqlx::query_as("SELECT snapshot, pending_count FROM documents WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    let Some((snapshot, pending_count)) = row else { return Ok(None) };
    let mut doc = AutoCommit::load(&snapshot).map_err(|e| Error::document(id, e))?;
    let changes: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT data FROM changes WHERE doc_id = ? ORDER BY seq").bind(id).fetch_all(pool).await?;
    for (data,) in changes {
        doc.load_incremental(&data).map_err(|e| Error::document(id, e))?;
    }
    let conflicts: i64 = sqlx::query_scalar("SELECT conflict_count FROM records WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .unwrap_or(0);
    let persisted = doc.get_heads();
    Ok(Some(HotDoc { doc, persisted, pending_count, conflicts, view: None }))
}

/// What a write put into the transaction; `committed` brings the hot copy in step once it commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Nothing new to store.
    Nothing,
    /// One incremental change appended.
    Change,
    /// The whole document saved as the snapshot (a new document, or a compaction).
    Snapshot,
}

/// Inserts a new document (its whole save as the first snapshot).
pub async fn insert(
    tx: &mut Transaction<'_, Sqlite>,
    id: &str,
    kind: &str,
    hot: &mut HotDoc,
    now_ms: i64,
) -> Result<Written> {
    let snapshot = hot.doc.save();
    sqlx::query("INSERT INTO documents (id, kind, snapshot, updated_at_ms) VALUES (?, ?, ?, ?)")
        .bind(id)
        .bind(kind)
        .bind(snapshot)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    Ok(Written::Snapshot)
}

/// What the next save of a hot document has to store.
pub enum Pending {
    Nothing,
    /// The changes since the last save, to append.
    Change(Vec<u8>),
    /// The whole document: `COMPACT_AFTER` changes are pending, so it is compacted.
    Snapshot(Vec<u8>),
}

impl Pending {
    pub fn of(hot: &mut HotDoc) -> Self {
        let delta = hot.doc.save_after(&hot.persisted);
        if delta.is_empty() {
            Pending::Nothing
        } else if hot.pending_count + 1 >= COMPACT_AFTER {
            Pending::Snapshot(hot.doc.save())
        } else {
            Pending::Change(delta)
        }
    }
}

/// Appends one change; the `changes_counted` trigger bumps the document's counters.
pub const APPEND_CHANGE: &str = "INSERT INTO changes (doc_id, data) VALUES (?, ?)";

/// Stores `pending` in the transaction. Call `committed` with the result after it commits.
pub async fn write(tx: &mut Transaction<'_, Sqlite>, id: &str, pending: Pending, now_ms: i64) -> Result<Written> {
    match pending {
        Pending::Nothing => Ok(Written::Nothing),
        Pending::Snapshot(snapshot) => {
            sqlx::query("DELETE FROM changes WHERE doc_id = ?").bind(id).execute(&mut **tx).await?;
            sqlx::query(
                "UPDATE documents SET snapshot = ?, pending_bytes = 0, pending_count = 0, updated_at_ms = ? WHERE id = ?",
            )
            .bind(snapshot)
            .bind(now_ms)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            Ok(Written::Snapshot)
        }
        Pending::Change(delta) => {
            sqlx::query(APPEND_CHANGE).bind(id).bind(delta).execute(&mut **tx).await?;
            Ok(Written::Change)
        }
    }
}

/// After the transaction committed: what is on disk now matches the document in memory.
pub fn committed(hot: &mut HotDoc, written: Written) {
    match written {
        Written::Nothing => return,
        Written::Change => hot.pending_count += 1,
        Written::Snapshot => hot.pending_count = 0,
    }
    hot.persisted = hot.doc.get_heads();
}
