//! Automerge documents on the server, on either backend: a snapshot plus appended changes, compacted
//! every `COMPACT_AFTER` appends, and a version for optimistic concurrency between server processes
//! (a write names the version it read; a stale writer is told to reload and merge again).

use automerge::{AutoCommit, ChangeHash};

use crate::cache::DocCache;
use crate::db::{on_pool, Db};
use crate::now_ms;

pub const COMPACT_AFTER: i64 = 64;

#[derive(Debug, thiserror::Error)]
pub enum DocStoreError {
    #[error("document {id} changed since version {expected} was read")]
    VersionConflict { id: String, expected: i64 },
    #[error("document {id} already exists")]
    AlreadyExists { id: String },
    #[error("document {id} is damaged: {reason}")]
    Damaged { id: String, reason: String },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

/// A document as loaded: its content, the heads on disk, and the version to name when writing.
pub struct StoredDoc {
    pub id: String,
    pub project_id: String,
    pub kind: String,
    pub doc: AutoCommit,
    pub persisted: Vec<ChangeHash>,
    pub version: i64,
    pending_count: i64,
    /// Bytes of the document's saved form as last loaded or written: the cache weighs by it.
    pub saved_bytes: usize,
}

impl StoredDoc {
    #[cfg(test)]
    pub(crate) fn for_tests(id: &str, version: i64, doc: AutoCommit, saved_bytes: usize) -> Self {
        let persisted = Vec::new();
        StoredDoc { id: id.into(), project_id: String::new(), kind: String::new(), doc, persisted, version, pending_count: 0, saved_bytes }
    }
}

/// The current version of `id`, if it exists: a primary-key lookup, no document bytes.
pub async fn version_of(db: &Db, id: &str) -> Result<Option<i64>, DocStoreError> {
    Ok(on_pool!(db, |p| sqlx::query_scalar("SELECT version FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(p)
        .await?))
}

/// The project `id` belongs to, if it exists.
pub async fn project_of(db: &Db, id: &str) -> Result<Option<String>, sqlx::Error> {
    on_pool!(db, |p| sqlx::query_scalar("SELECT project_id FROM documents WHERE id = $1")
        .bind(id)
        .fetch_optional(p)
        .await)
}

/// `load` through the hot cache: the cached copy if it is still at the stored version.
pub async fn load_hot(db: &Db, cache: &DocCache, id: &str) -> Result<Option<StoredDoc>, DocStoreError> {
    let Some(version) = version_of(db, id).await? else { return Ok(None) };
    if let Some(doc) = cache.take(id, version) {
        return Ok(Some(doc));
    }
    load(db, id).await
}


pub async fn load(db: &Db, id: &str) -> Result<Option<StoredDoc>, DocStoreError> {
    type Head = (String, String, Vec<u8>, i64, i64);
    let head: Option<Head> = on_pool!(db, |p| sqlx::query_as(
        "SELECT project_id, kind, snapshot, version, pending_count FROM documents WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await?);
    let Some((project_id, kind, snapshot, version, pending_count)) = head else { return Ok(None) };
    let changes: Vec<(Vec<u8>,)> =
        on_pool!(db, |p| sqlx::query_as("SELECT data FROM document_changes WHERE doc_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(p)
            .await?);
    let damaged = |e: automerge::AutomergeError| DocStoreError::Damaged { id: id.to_string(), reason: e.to_string() };
    let mut doc = AutoCommit::load(&snapshot).map_err(damaged)?;
    let mut saved_bytes = snapshot.len();
    for (data,) in changes {
        doc.load_incremental(&data).map_err(damaged)?;
        saved_bytes += data.len();
    }
    let persisted = doc.get_heads();
    Ok(Some(StoredDoc { id: id.to_string(), project_id, kind, doc, persisted, version, pending_count, saved_bytes }))
}

/// Stores a new document at version 1.
pub async fn insert(db: &Db, id: &str, project_id: &str, kind: &str, mut doc: AutoCommit) -> Result<StoredDoc, DocStoreError> {
    let snapshot = doc.save();
    let saved_bytes = snapshot.len();
    let done = on_pool!(db, |p| sqlx::query(
        "INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms) VALUES ($1, $2, $3, $4, 1, $5) \
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(id)
    .bind(project_id)
    .bind(kind)
    .bind(snapshot)
    .bind(now_ms())
    .execute(p)
    .await?
    .rows_affected());
    if done == 0 {
        return Err(DocStoreError::AlreadyExists { id: id.to_string() });
    }
    let persisted = doc.get_heads();
    Ok(StoredDoc {
        id: id.to_string(),
        project_id: project_id.to_string(),
        kind: kind.to_string(),
        doc,
        persisted,
        version: 1,
        pending_count: 0,
        saved_bytes,
    })
}

/// Writes what changed in `stored.doc` since it was loaded, if the stored version is still the one
/// read; otherwise `VersionConflict` and nothing is written. Returns the bytes appended (0: no change).
pub async fn save(db: &Db, stored: &mut StoredDoc) -> Result<usize, DocStoreError> {
    let delta = stored.doc.save_after(&stored.persisted);
    if delta.is_empty() {
        return Ok(0);
    }
    let compact = stored.pending_count + 1 >= COMPACT_AFTER;
    let (id, expected, now) = (stored.id.clone(), stored.version, now_ms());
    let mut snapshot_len = None;
    let conflict = || DocStoreError::VersionConflict { id: id.clone(), expected };
    on_pool!(db, |p| {
        let mut tx = p.begin().await?;
        let bumped = if compact {
            let snapshot = stored.doc.save();
            snapshot_len = Some(snapshot.len());
            let n = sqlx::query(
                "UPDATE documents SET snapshot = $1, version = version + 1, pending_count = 0, updated_at_ms = $2 \
                 WHERE id = $3 AND version = $4",
            )
            .bind(snapshot)
            .bind(now)
            .bind(&id)
            .bind(expected)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM document_changes WHERE doc_id = $1").bind(&id).execute(&mut *tx).await?;
            }
            n
        } else {
            let n = sqlx::query(
                "UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
                 WHERE id = $2 AND version = $3",
            )
            .bind(now)
            .bind(&id)
            .bind(expected)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("INSERT INTO document_changes (doc_id, data) VALUES ($1, $2)")
                    .bind(&id)
                    .bind(&delta)
                    .execute(&mut *tx)
                    .await?;
            }
            n
        };
        if bumped != 1 {
            tx.rollback().await?;
            return Err(conflict());
        }
        tx.commit().await?;
    });
    stored.persisted = stored.doc.get_heads();
    stored.version += 1;
    stored.pending_count = if compact { 0 } else { stored.pending_count + 1 };
    stored.saved_bytes = snapshot_len.unwrap_or(stored.saved_bytes + delta.len());
    Ok(delta.len())
}
