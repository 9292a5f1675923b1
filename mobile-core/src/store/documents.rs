//! Persisting Automerge documents: a compacted snapshot per document plus appended incremental
//! changes. An edit appends a few hundred bytes in one transaction; every `COMPACT_AFTER` changes the
//! document is saved whole and the appended changes are folded in. The rules (loading, what a save
//! writes, when it compacts) are the server's too, in `record_schema::persist`; the tables are here.
//! Every write also stores the document's heads (`documents.heads`, `heads_bytes`), so a sync finds
//! what changed since it was last shared without loading the documents that did not.

use automerge::{AutoCommit, ChangeHash};
use record_schema::persist::{self, COMPACT_AFTER};
pub use record_schema::persist::{Save, Written};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::error::{Error, Result};

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

/// The row of `documents` a load reads.
#[derive(sqlx::FromRow)]
struct DocumentRow {
    snapshot: Vec<u8>,
    pending_count: i64,
}

pub async fn load(pool: &SqlitePool, id: &str) -> Result<Option<HotDoc>> {
    let row: Option<DocumentRow> = sqlx::query_as("SELECT snapshot, pending_count FROM documents WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    let Some(DocumentRow { snapshot, pending_count }) = row else { return Ok(None) };
    let changes: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT data FROM changes WHERE doc_id = ? ORDER BY seq").bind(id).fetch_all(pool).await?;
    let persist::Loaded { doc, persisted, .. } =
        persist::load(&snapshot, &changes).map_err(|e| Error::document(id, e))?;
    let conflicts: i64 = sqlx::query_scalar("SELECT conflict_count FROM records WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .unwrap_or(0);
    Ok(Some(HotDoc { doc, persisted, pending_count, conflicts, view: None }))
}

/// A document's heads as `documents.heads` keeps them: the 32-byte change hashes, sorted bytewise
/// and concatenated. Equal bytes, equal heads; the sync compares them with a state's shared heads.
pub fn heads_bytes(heads: &[ChangeHash]) -> Vec<u8> {
    let mut sorted: Vec<&ChangeHash> = heads.iter().collect();
    sorted.sort();
    sorted.into_iter().flat_map(|h| h.0).collect()
}

/// Sets a document's stored heads; after `APPEND_CHANGE` (whose trigger leaves them unknown).
pub const SET_HEADS: &str = "UPDATE documents SET heads = ? WHERE id = ?";

/// Inserts a new document (its whole save as the first snapshot).
pub async fn insert(
    tx: &mut Transaction<'_, Sqlite>,
    id: &str,
    kind: &str,
    hot: &mut HotDoc,
    now_ms: i64,
) -> Result<Written> {
    let snapshot = hot.doc.save();
    sqlx::query("INSERT INTO documents (id, kind, snapshot, heads, updated_at_ms) VALUES (?, ?, ?, ?, ?)")
        .bind(id)
        .bind(kind)
        .bind(snapshot)
        .bind(heads_bytes(&hot.doc.get_heads()))
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    Ok(Written::Snapshot)
}

/// What the next save of a hot document has to store: nothing, the changes since the last save
/// to append, or (`COMPACT_AFTER` changes pending) the whole document, compacted.
pub fn pending(hot: &mut HotDoc) -> Save {
    Save::plan(&mut hot.doc, &hot.persisted, hot.pending_count, COMPACT_AFTER)
}

/// Appends one change; the `changes_counted` trigger bumps the document's counters (and forgets its
/// heads: `SET_HEADS` follows in the same transaction).
pub const APPEND_CHANGE: &str = "INSERT INTO changes (doc_id, data) VALUES (?, ?)";

/// Stores `save` (from `pending`) and the document's `heads` after it in the transaction. Call
/// `committed` with the result after it commits.
pub async fn write(
    tx: &mut Transaction<'_, Sqlite>,
    id: &str,
    save: Save,
    heads: &[ChangeHash],
    now_ms: i64,
) -> Result<Written> {
    let written = save.written();
    match save {
        Save::Nothing => {}
        Save::Snapshot { snapshot, .. } => {
            sqlx::query("DELETE FROM changes WHERE doc_id = ?").bind(id).execute(&mut **tx).await?;
            sqlx::query(
                "UPDATE documents SET snapshot = ?, heads = ?, pending_bytes = 0, pending_count = 0, updated_at_ms = ? \
                 WHERE id = ?",
            )
            .bind(snapshot)
            .bind(heads_bytes(heads))
            .bind(now_ms)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        Save::Change(delta) => {
            sqlx::query(APPEND_CHANGE).bind(id).bind(delta).execute(&mut **tx).await?;
            sqlx::query(SET_HEADS).bind(heads_bytes(heads)).bind(id).execute(&mut **tx).await?;
        }
    }
    Ok(written)
}

/// After the transaction committed: what is on disk now matches the document in memory.
pub fn committed(hot: &mut HotDoc, written: Written) {
    if written == Written::Nothing {
        return;
    }
    hot.pending_count = written.appended_after(hot.pending_count);
    hot.persisted = hot.doc.get_heads();
}
