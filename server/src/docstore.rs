//! Automerge documents on the server, on either backend: a snapshot plus appended changes, compacted
//! every `COMPACT_AFTER` appends, and a version for optimistic concurrency between server processes
//! (a write names the version it read; a stale writer is told to reload and merge again).

use automerge::{AutoCommit, ChangeHash};

use crate::cache::DocCache;
use crate::db::{on_pool, on_tx, Db, Tx};
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
    load_at(db, cache, id, version).await
}

/// `load_hot` when the caller already knows the stored version (read in the same request, e.g. by
/// the sync's query of unseen documents): the cached copy if it is at `version`, else a load.
pub async fn load_at(db: &Db, cache: &DocCache, id: &str, version: i64) -> Result<Option<StoredDoc>, DocStoreError> {
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
    let mut tx = db.begin().await?;
    let saved_bytes = insert_in(&mut tx, id, project_id, kind, &mut doc).await?;
    tx.commit().await?;
    Ok(StoredDoc::inserted(id, project_id, kind, doc, saved_bytes))
}

/// `insert` inside the caller's transaction; returns the saved size for `StoredDoc::inserted`, to
/// be built once the transaction has committed.
pub async fn insert_in(tx: &mut Tx, id: &str, project_id: &str, kind: &str, doc: &mut AutoCommit) -> Result<usize, DocStoreError> {
    let snapshot = doc.save();
    let saved_bytes = snapshot.len();
    let done = on_tx!(tx, |c| sqlx::query(
        "INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms) VALUES ($1, $2, $3, $4, 1, $5) \
         ON CONFLICT (id) DO NOTHING"
    )
    .bind(id)
    .bind(project_id)
    .bind(kind)
    .bind(snapshot)
    .bind(now_ms())
    .execute(c)
    .await?
    .rows_affected());
    if done == 0 {
        return Err(DocStoreError::AlreadyExists { id: id.to_string() });
    }
    Ok(saved_bytes)
}

/// What `save_in` wrote, applied to the `StoredDoc` by `committed` once the transaction commits
/// (before that the stored form is still the old one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Written {
    /// Bytes appended (0: nothing changed, nothing written).
    pub delta_len: usize,
    /// The new snapshot's size when the write compacted.
    snapshot_len: Option<usize>,
}

impl StoredDoc {
    /// A document `insert_in` stored at version 1.
    pub fn inserted(id: &str, project_id: &str, kind: &str, mut doc: AutoCommit, saved_bytes: usize) -> Self {
        let persisted = doc.get_heads();
        StoredDoc {
            id: id.to_string(),
            project_id: project_id.to_string(),
            kind: kind.to_string(),
            doc,
            persisted,
            version: 1,
            pending_count: 0,
            saved_bytes,
        }
    }

    /// Records a committed `save_in`: the document's heads are on disk at the next version.
    pub fn committed(&mut self, w: Written) {
        if w.delta_len == 0 {
            return;
        }
        self.persisted = self.doc.get_heads();
        self.version += 1;
        self.pending_count = if w.snapshot_len.is_some() { 0 } else { self.pending_count + 1 };
        self.saved_bytes = w.snapshot_len.unwrap_or(self.saved_bytes + w.delta_len);
    }
}

/// Writes what changed in `stored.doc` since it was loaded, if the stored version is still the one
/// read; otherwise `VersionConflict` and nothing is written. Returns the bytes appended (0: no change).
pub async fn save(db: &Db, stored: &mut StoredDoc) -> Result<usize, DocStoreError> {
    let delta = stored.doc.save_after(&stored.persisted);
    if delta.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    match write_delta(&mut tx, stored, delta).await {
        Ok(w) => {
            tx.commit().await?;
            stored.committed(w);
            Ok(w.delta_len)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// `save` inside the caller's transaction, which must commit before `StoredDoc::committed`. On
/// `VersionConflict` nothing was written, and the caller should roll back.
pub async fn save_in(tx: &mut Tx, stored: &mut StoredDoc) -> Result<Written, DocStoreError> {
    let delta = stored.doc.save_after(&stored.persisted);
    if delta.is_empty() {
        return Ok(Written { delta_len: 0, snapshot_len: None });
    }
    write_delta(tx, stored, delta).await
}

async fn write_delta(tx: &mut Tx, stored: &mut StoredDoc, delta: Vec<u8>) -> Result<Written, DocStoreError> {
    let compact = stored.pending_count + 1 >= COMPACT_AFTER;
    let (id, expected, now) = (stored.id.as_str(), stored.version, now_ms());
    let mut snapshot_len = None;
    let delta_len = delta.len();
    let bumped = on_tx!(tx, |c| {
        if compact {
            let snapshot = stored.doc.save();
            snapshot_len = Some(snapshot.len());
            let n = sqlx::query(
                "UPDATE documents SET snapshot = $1, version = version + 1, pending_count = 0, updated_at_ms = $2 \
                 WHERE id = $3 AND version = $4",
            )
            .bind(snapshot)
            .bind(now)
            .bind(id)
            .bind(expected)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("DELETE FROM document_changes WHERE doc_id = $1").bind(id).execute(&mut *c).await?;
            }
            n
        } else {
            let n = sqlx::query(
                "UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
                 WHERE id = $2 AND version = $3",
            )
            .bind(now)
            .bind(id)
            .bind(expected)
            .execute(&mut *c)
            .await?
            .rows_affected();
            if n == 1 {
                sqlx::query("INSERT INTO document_changes (doc_id, data) VALUES ($1, $2)")
                    .bind(id)
                    .bind(delta)
                    .execute(&mut *c)
                    .await?;
            }
            n
        }
    });
    if bumped != 1 {
        return Err(DocStoreError::VersionConflict { id: id.to_string(), expected });
    }
    Ok(Written { delta_len, snapshot_len })
}

/// A device's sync state for a document, written together with the document by `append_with_state`.
#[derive(Debug, Clone, Copy)]
pub struct StateRow<'a> {
    pub device_id: &'a str,
    /// `sync::State::encode()`.
    pub state: &'a [u8],
    pub seen_version: i64,
    /// The device's manifest digest after this state (None: all zeros).
    pub manifest: Option<&'a [u8]>,
}

/// The common write of a sync, in as few round trips as the backend allows: the document's change
/// appended (as `save`, when no compaction is due), the device's sync state for it, its manifest,
/// and its sync generation bumped; all or nothing. PostgreSQL: one statement. SQLite: one call of
/// four statements inside a transaction, each going on only if the one before changed a row.
///
/// Returns what was written and the device's new generation; `None` (nothing written) when the
/// document has no change or is due for compaction, which `save_in` handles. `VersionConflict` as
/// for `save`. `stored` is updated only when the write committed.
pub async fn append_with_state(db: &Db, stored: &mut StoredDoc, row: &StateRow<'_>) -> Result<Option<(Written, i64)>, DocStoreError> {
    if stored.pending_count + 1 >= COMPACT_AFTER {
        return Ok(None);
    }
    let delta = stored.doc.save_after(&stored.persisted);
    if delta.is_empty() {
        return Ok(None);
    }
    let delta_len = delta.len();
    let (id, expected) = (stored.id.as_str(), stored.version);
    let generation: Option<i64> = match db {
        Db::Postgres(p) => sqlx::query_scalar(
            "WITH d AS (UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
                        WHERE id = $2 AND version = $3 RETURNING id), \
                  c AS (INSERT INTO document_changes (doc_id, data) SELECT id, $4 FROM d), \
                  s AS (INSERT INTO sync_states (device_id, doc_id, state, seen_version) SELECT $5, id, $6, $7 FROM d \
                        ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version) \
             UPDATE devices SET manifest = $8, sync_gen = sync_gen + 1 WHERE id = $5 AND EXISTS (SELECT 1 FROM d) RETURNING sync_gen",
        )
        .bind(now_ms())
        .bind(id)
        .bind(expected)
        .bind(delta)
        .bind(row.device_id)
        .bind(row.state)
        .bind(row.seen_version)
        .bind(row.manifest)
        .fetch_optional(p)
        .await?,
        Db::Sqlite(p) => {
            let mut tx = p.begin().await?;
            // changes(): rows changed by the statement before, so a stale version writes nothing.
            let generation = sqlx::query_scalar(
                "UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
                 WHERE id = $2 AND version = $3; \
                 INSERT INTO document_changes (doc_id, data) SELECT $2, $4 WHERE changes() = 1; \
                 INSERT INTO sync_states (device_id, doc_id, state, seen_version) SELECT $5, $2, $6, $7 WHERE changes() = 1 \
                 ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version; \
                 UPDATE devices SET manifest = $8, sync_gen = sync_gen + 1 WHERE id = $5 AND changes() = 1 RETURNING sync_gen",
            )
            .bind(now_ms())
            .bind(id)
            .bind(expected)
            .bind(delta)
            .bind(row.device_id)
            .bind(row.state)
            .bind(row.seen_version)
            .bind(row.manifest)
            .fetch_optional(&mut *tx)
            .await?;
            if generation.is_some() {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            generation
        }
    };
    let Some(generation) = generation else {
        return Err(DocStoreError::VersionConflict { id: id.to_string(), expected });
    };
    let written = Written { delta_len, snapshot_len: None };
    stored.committed(written);
    Ok(Some((written, generation)))
}

/// Why a server-owned document (approval state, reference data) could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OwnedWriteError {
    #[error(transparent)]
    Docs(#[from] DocStoreError),
    #[error("document: {0}")]
    Schema(#[from] record_schema::SchemaError),
    /// The id is taken by a document of another kind or project.
    #[error("document {0} is not the server-owned document expected")]
    Foreign(String),
    /// Other writers kept getting in first.
    #[error("document {0} kept changing")]
    Busy(String),
}

/// Writes server-owned data into document `id` of `project` (created when missing): `write` puts
/// the data into the document and only what differs becomes a change, which phones receive by
/// sync. Retried against the new version when another writer (request or replica) got in first.
pub async fn write_owned(
    db: &Db,
    cache: &DocCache,
    id: &str,
    project: &str,
    kind: record_schema::RecordKind,
    write: impl Fn(&mut AutoCommit) -> Result<(), record_schema::SchemaError>,
) -> Result<(), OwnedWriteError> {
    for _ in 0..8 {
        match load_hot(db, cache, id).await? {
            None => {
                let mut doc = AutoCommit::new();
                write(&mut doc)?;
                match insert(db, id, project, kind.as_str(), doc).await {
                    Ok(stored) => {
                        cache.put(stored);
                        return Ok(());
                    }
                    Err(DocStoreError::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            Some(mut stored) => {
                if stored.kind != kind.as_str() || stored.project_id != project {
                    cache.put(stored);
                    return Err(OwnedWriteError::Foreign(id.to_string()));
                }
                // A failed write leaves the loaded copy half-changed: it is dropped, not cached.
                write(&mut stored.doc)?;
                match save(db, &mut stored).await {
                    Ok(_) => {
                        cache.put(stored);
                        return Ok(());
                    }
                    Err(DocStoreError::VersionConflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Err(OwnedWriteError::Busy(id.to_string()))
}
