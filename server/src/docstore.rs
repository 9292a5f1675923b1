//! Automerge documents on the server, on either backend: a snapshot plus appended changes, compacted
//! every `COMPACT_AFTER` appends, and a version for optimistic concurrency between server processes
//! (a write names the version it read; a stale writer is told to reload and merge again).

use automerge::{AutoCommit, ChangeHash};

use crate::cache::DocCache;
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::scope_facts::RecordFacts;
use record_schema::now_ms;
use record_schema::persist::{self, Save};

/// Appends between compactions (shared with the phone, `record_schema::persist`); each document
/// compacts after between half and one and a half times this many (`compacts_after`).
pub use record_schema::persist::{COMPACT_AFTER, compacts_after};

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
    /// The shared-commit writers are gone (the server is shutting down).
    #[error("the database writer has stopped")]
    WriterStopped,
    /// The shared commit's queue is full (`limit` writes wait): refused without waiting.
    #[error("{limit} writes already wait for the database (the limit, --commit-queue)")]
    Busy { limit: usize },
}

impl From<crate::commit::GroupCommitError> for DocStoreError {
    fn from(e: crate::commit::GroupCommitError) -> Self {
        match e {
            crate::commit::GroupCommitError::Sql(e) => DocStoreError::Sql(e),
            crate::commit::GroupCommitError::Stopped => DocStoreError::WriterStopped,
            crate::commit::GroupCommitError::Busy { limit } => DocStoreError::Busy { limit },
        }
    }
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
    /// The record as last read from this document (at the heads it names), so the next change a
    /// phone sends re-reads only what it touched (`Record::reread`).
    pub reading: Option<record_schema::record::Reading>,
}

impl StoredDoc {
    #[cfg(test)]
    pub(crate) fn for_tests(id: &str, version: i64, doc: AutoCommit, saved_bytes: usize) -> Self {
        let persisted = Vec::new();
        StoredDoc {
            id: id.into(),
            project_id: String::new(),
            kind: String::new(),
            doc,
            persisted,
            version,
            pending_count: 0,
            saved_bytes,
            reading: None,
        }
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

/// The row of `documents` a load reads (all but the snapshot: `persist::load` takes it apart).
#[derive(sqlx::FromRow)]
struct DocumentRow {
    project_id: String,
    kind: String,
    snapshot: Vec<u8>,
    version: i64,
    pending_count: i64,
}

pub async fn load(db: &Db, id: &str) -> Result<Option<StoredDoc>, DocStoreError> {
    let head: Option<DocumentRow> = on_pool!(db, |p| sqlx::query_as(
        "SELECT project_id, kind, snapshot, version, pending_count FROM documents WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(p)
    .await?);
    let Some(DocumentRow { project_id, kind, snapshot, version, pending_count }) = head else { return Ok(None) };
    let changes: Vec<Vec<u8>> =
        on_pool!(db, |p| sqlx::query_scalar("SELECT data FROM document_changes WHERE doc_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(p)
            .await?);
    let persist::Loaded { doc, persisted, saved_bytes } = persist::load(&snapshot, &changes)
        .map_err(|e| DocStoreError::Damaged { id: id.to_string(), reason: e.to_string() })?;
    Ok(Some(StoredDoc {
        id: id.to_string(),
        project_id,
        kind,
        doc,
        persisted,
        version,
        pending_count,
        saved_bytes,
        reading: None,
    }))
}

/// Stores a new document at version 1.
pub async fn insert(
    db: &Db,
    id: &str,
    project_id: &str,
    kind: &str,
    doc: AutoCommit,
) -> Result<StoredDoc, DocStoreError> {
    insert_with_facts(db, id, project_id, kind, doc, None).await
}

/// `insert`, setting a record's scope facts (`crate::scope_facts`) in the same transaction, as a
/// sync's first write of a record does.
pub async fn insert_with_facts(
    db: &Db,
    id: &str,
    project_id: &str,
    kind: &str,
    mut doc: AutoCommit,
    facts: Option<RecordFacts>,
) -> Result<StoredDoc, DocStoreError> {
    let (write, saved_bytes) = DocWrite::insert(id, project_id, kind, &mut doc);
    let write = match facts {
        Some(f) => write.with_facts(f),
        None => write,
    };
    let mut tx = db.begin().await?;
    write.run_or_refuse(&mut tx).await?;
    tx.commit().await?;
    Ok(StoredDoc::inserted(id, project_id, kind, doc, saved_bytes))
}

/// `insert` inside the caller's transaction; returns the saved size for `StoredDoc::inserted`, to
/// be built once the transaction has committed.
pub async fn insert_in(
    tx: &mut Tx<'_>,
    id: &str,
    project_id: &str,
    kind: &str,
    doc: &mut AutoCommit,
) -> Result<usize, DocStoreError> {
    let (write, saved_bytes) = DocWrite::insert(id, project_id, kind, doc);
    write.run_or_refuse(tx).await?;
    Ok(saved_bytes)
}

/// A document write as data, so it can be queued for a shared commit (`crate::commit`) and run
/// again should that commit fail. `run` applies it only if the document is as the writer read it.
#[derive(Debug, Clone)]
pub enum DocWrite {
    /// A new document at version 1 (refused when the id exists). A companion (`approval:<id>`,
    /// `follow_up:<id>`) starts with its record's scope facts.
    Insert { id: String, project_id: String, kind: String, snapshot: Vec<u8>, facts: Option<RecordFacts> },
    /// Changes appended to the document read at version `expected`.
    Append { id: String, expected: i64, delta: Vec<u8>, facts: Option<RecordFacts> },
    /// The whole document as a new snapshot, replacing the appended changes (compaction).
    Compact { id: String, expected: i64, snapshot: Vec<u8>, facts: Option<RecordFacts> },
}

impl DocWrite {
    /// The write that stores `doc` as a new document, and its saved size (for `StoredDoc::inserted`).
    pub fn insert(id: &str, project_id: &str, kind: &str, doc: &mut AutoCommit) -> (Self, usize) {
        let snapshot = doc.save();
        let saved_bytes = snapshot.len();
        let write =
            DocWrite::Insert { id: id.into(), project_id: project_id.into(), kind: kind.into(), snapshot, facts: None };
        (write, saved_bytes)
    }

    /// The write with a record's scope facts (`crate::scope_facts`), set on the record's row and
    /// its companions' when the write applies, in its transaction.
    pub fn with_facts(mut self, f: RecordFacts) -> Self {
        match &mut self {
            DocWrite::Insert { facts, .. } | DocWrite::Append { facts, .. } | DocWrite::Compact { facts, .. } => {
                *facts = Some(f)
            }
        }
        self
    }

    /// The scope facts this write sets, if any.
    pub fn facts(&self) -> Option<&RecordFacts> {
        match self {
            DocWrite::Insert { facts, .. } | DocWrite::Append { facts, .. } | DocWrite::Compact { facts, .. } => {
                facts.as_ref()
            }
        }
    }

    /// Runs the write in `tx`. False when it does not apply (the id is taken, or the document is no
    /// longer at `expected`): then it wrote nothing.
    ///
    /// The document takes its project's next change sequence number (a trigger, migration 0025). On
    /// PostgreSQL the statement first locks the project's counter row (`LOCK_PROJECT`), before the
    /// document's row: every document writer takes the counter before any document of its project,
    /// so writers of one project queue on the counter and never deadlock on document rows.
    pub async fn run(&self, tx: &mut Tx<'_>) -> Result<bool, sqlx::Error> {
        let applied = self.run_doc(tx).await?;
        if applied && let Some(f) = self.facts() {
            crate::scope_facts::write(tx, self.target().0, f).await?;
        }
        Ok(applied)
    }

    async fn run_doc(&self, tx: &mut Tx<'_>) -> Result<bool, sqlx::Error> {
        let now = now_ms();
        let pg = matches!(tx, Tx::Postgres(_));
        // (The PostgreSQL forms: the lock as a CTE the statement's guard reads, so it is taken first.)
        let sql = |sqlite: &'static str, postgres: &'static str| if pg { postgres } else { sqlite };
        Ok(on_tx!(tx, |c| {
            match self {
            // A companion copies its record's facts ($6: the record, none for other documents).
            DocWrite::Insert { id, project_id, kind, snapshot, .. } => sqlx::query(sql(
                "INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms, scope_site, scope_date, \
                 scope_owner, scope_open, scope_assignee) \
                 SELECT $1, $2, $3, $4, 1, $5, r.scope_site, r.scope_date, r.scope_owner, COALESCE(r.scope_open, 1), \
                 r.scope_assignee FROM (SELECT 1) AS one LEFT JOIN documents r ON r.id = $6 WHERE true \
                 ON CONFLICT (id) DO NOTHING",
                    "WITH l AS (SELECT 1 FROM project_change_seq WHERE project_id = $2 FOR UPDATE) \
                     INSERT INTO documents (id, project_id, kind, snapshot, version, updated_at_ms, scope_site, \
                     scope_date, scope_owner, scope_open, scope_assignee) \
                     SELECT $1, $2, $3, $4, 1, $5, r.scope_site, r.scope_date, r.scope_owner, COALESCE(r.scope_open, 1), \
                     r.scope_assignee FROM (SELECT 1) AS one LEFT JOIN documents r ON r.id = $6 \
                     WHERE (SELECT count(*) FROM l) >= 0 ON CONFLICT (id) DO NOTHING",
            ))
            .bind(id)
            .bind(project_id)
            .bind(kind)
            .bind(snapshot)
            .bind(now)
            .bind(record_schema::scope::companion_of(id))
            .execute(&mut *c)
            .await?
            .rows_affected() == 1,
            DocWrite::Append { id, expected, delta, .. } => {
                let n = sqlx::query(sql(
                    "UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
                     WHERE id = $2 AND version = $3",
                        "WITH l AS (SELECT 1 FROM project_change_seq WHERE project_id = (SELECT project_id FROM documents WHERE id = $2) FOR UPDATE) \
                         UPDATE documents SET version = version + 1, pending_count = pending_count + 1, updated_at_ms = $1 \
                         WHERE id = $2 AND version = $3 AND (SELECT count(*) FROM l) >= 0",
                ))
                .bind(now)
                .bind(id)
                .bind(expected)
                .execute(&mut *c)
                .await?
                .rows_affected();
                if n == 1 {
                    sqlx::query("INSERT INTO document_changes (doc_id, data) VALUES ($1, $2)").bind(id).bind(delta).execute(&mut *c).await?;
                }
                n == 1
            }
            DocWrite::Compact { id, expected, snapshot, .. } => {
                let n = sqlx::query(sql(
                    "UPDATE documents SET snapshot = $1, version = version + 1, pending_count = 0, updated_at_ms = $2 \
                     WHERE id = $3 AND version = $4",
                        "WITH l AS (SELECT 1 FROM project_change_seq WHERE project_id = (SELECT project_id FROM documents WHERE id = $3) FOR UPDATE) \
                         UPDATE documents SET snapshot = $1, version = version + 1, pending_count = 0, updated_at_ms = $2 \
                         WHERE id = $3 AND version = $4 AND (SELECT count(*) FROM l) >= 0",
                ))
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
                n == 1
            }
        }
        }))
    }

    /// The document this write changes, and the project when it creates it (to lock the projects'
    /// change counters first, `lock_projects`).
    pub fn target(&self) -> (&str, Option<&str>) {
        match self {
            DocWrite::Insert { id, project_id, .. } => (id, Some(project_id)),
            DocWrite::Append { id, .. } | DocWrite::Compact { id, .. } => (id, None),
        }
    }

    /// `run`, with a write that does not apply as its error.
    async fn run_or_refuse(&self, tx: &mut Tx<'_>) -> Result<(), DocStoreError> {
        if self.run(tx).await? {
            return Ok(());
        }
        Err(self.refused())
    }

    /// The error for this write not applying.
    pub fn refused(&self) -> DocStoreError {
        match self {
            DocWrite::Insert { id, .. } => DocStoreError::AlreadyExists { id: id.clone() },
            DocWrite::Append { id, expected, .. } | DocWrite::Compact { id, expected, .. } => {
                DocStoreError::VersionConflict { id: id.clone(), expected: *expected }
            }
        }
    }
}

/// On PostgreSQL, locks the change counters (`project_change_seq`) of the projects of `docs`
/// (documents by id) and `projects`, in project order, for the rest of `tx`: a transaction that
/// writes documents of several projects takes them all first, so two such transactions cannot each
/// hold one the other waits for. Nothing on SQLite (one writer).
pub async fn lock_projects(tx: &mut Tx<'_>, docs: &[&str], projects: &[&str]) -> Result<(), sqlx::Error> {
    let Tx::Postgres(t) = tx else { return Ok(()) };
    sqlx::query(
        "SELECT 1 FROM project_change_seq WHERE project_id IN (SELECT project_id FROM documents WHERE id = ANY($1)) \
         OR project_id = ANY($2) ORDER BY project_id FOR UPDATE",
    )
    .bind(docs)
    .bind(projects)
    .execute(&mut **t)
    .await?;
    Ok(())
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
            reading: None,
        }
    }

    /// Records a committed `save_in`: the document's heads are on disk at the next version.
    pub fn committed(&mut self, w: Written) {
        if w.delta_len == 0 {
            return;
        }
        let written = if w.snapshot_len.is_some() { persist::Written::Snapshot } else { persist::Written::Change };
        self.persisted = self.doc.get_heads();
        self.version += 1;
        self.pending_count = written.appended_after(self.pending_count);
        self.saved_bytes = w.snapshot_len.unwrap_or(self.saved_bytes + w.delta_len);
    }
}

/// Writes what changed in `stored.doc` since it was loaded, if the stored version is still the one
/// read; otherwise `VersionConflict` and nothing is written. Returns the bytes appended (0: no change).
pub async fn save(db: &Db, stored: &mut StoredDoc) -> Result<usize, DocStoreError> {
    save_with_facts(db, stored, None).await
}

/// `save`, setting a record's scope facts (`crate::scope_facts`) in the same transaction.
pub async fn save_with_facts(
    db: &Db,
    stored: &mut StoredDoc,
    facts: Option<RecordFacts>,
) -> Result<usize, DocStoreError> {
    let Some((write, written)) = stored.prepare_write() else { return Ok(0) };
    let write = match facts {
        Some(f) => write.with_facts(f),
        None => write,
    };
    let mut tx = db.begin().await?;
    match write.run_or_refuse(&mut tx).await {
        Ok(()) => {
            tx.commit().await?;
            stored.committed(written);
            Ok(written.delta_len)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// `save` inside the caller's transaction, which must commit before `StoredDoc::committed`. On
/// `VersionConflict` nothing was written, and the caller should roll back.
pub async fn save_in(tx: &mut Tx<'_>, stored: &mut StoredDoc) -> Result<Written, DocStoreError> {
    let Some((write, written)) = stored.prepare_write() else {
        return Ok(Written { delta_len: 0, snapshot_len: None });
    };
    write.run_or_refuse(tx).await?;
    Ok(written)
}

impl StoredDoc {
    /// The write that stores what changed since the document was loaded (appended, or as a new
    /// snapshot every `compacts_after(id)` appends), and what to pass to `committed` once it has
    /// committed. None when nothing changed.
    pub fn prepare_write(&mut self) -> Option<(DocWrite, Written)> {
        let save = Save::plan(&mut self.doc, &self.persisted, self.pending_count, compacts_after(&self.id));
        let (id, expected) = (&self.id, self.version);
        Some(match save {
            Save::Nothing => return None,
            Save::Change(delta) => {
                let delta_len = delta.len();
                let write = DocWrite::Append { id: id.clone(), expected, delta, facts: None };
                (write, Written { delta_len, snapshot_len: None })
            }
            Save::Snapshot { snapshot, delta_len } => {
                let snapshot_len = Some(snapshot.len());
                let write = DocWrite::Compact { id: id.clone(), expected, snapshot, facts: None };
                (write, Written { delta_len, snapshot_len })
            }
        })
    }
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
