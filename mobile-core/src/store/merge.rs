//! What arrives from elsewhere and what leaves: `import_changes` and `merge`, the one gate every
//! incoming change passes (another phone's, or the server's through sync), the heads and exports
//! the sync hooks read, and a record's concurrent values (`conflicts`, `resolve_conflict`).

use automerge::{AutoCommit, ChangeHash};
use record_schema::conflicts::{FieldConflict, find_conflicts, resolve_conflict};
use record_schema::now_ms;
use record_schema::{Record, RecordKind, ReferenceData, SchemaError, ValidationError};

use super::documents::{self, HotDoc};
use super::index::IndexRow;
use super::{Hot, Store};
use crate::error::{Error, Result};

/// What an import did to the local copy of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub id: String,
    pub kind: RecordKind,
    /// False when the bytes held nothing new.
    pub changed: bool,
    pub conflict_count: i64,
}

impl Store {
    pub async fn conflicts(&self, id: &str) -> Result<Vec<FieldConflict>> {
        let mut hot = self.hot.lock().await;
        let doc = self.checkout(&mut hot, id).await?;
        find_conflicts(&doc.doc).map_err(|e| Error::document(id, e))
    }

    /// Settles a conflicted field by keeping one of its concurrent values (index into `values`).
    pub async fn resolve_conflict(&self, id: &str, path: &str, choice: u32) -> Result<()> {
        let mut hot = self.hot.lock().await;
        let hd = self.checkout(&mut hot, id).await?;
        let done = resolve_conflict(&mut hd.doc, path, choice as usize);
        if let Err(e) = done {
            hd.doc.rollback();
            return Err(match e {
                SchemaError::Malformed { field, reason } => Error::Invalid(ValidationError::new(field, reason)),
                other => Error::document(id, other),
            });
        }
        let options = self.change_options(&format!("conflict on {path} resolved"));
        hd.doc.commit_with(options);
        self.persist(&mut hot, id, None, None).await
    }

    // ---------- sync hooks ----------

    pub async fn heads(&self, id: &str) -> Result<Vec<ChangeHash>> {
        let mut hot = self.hot.lock().await;
        Ok(self.checkout(&mut hot, id).await?.doc.get_heads())
    }

    /// The whole document, as an Automerge save.
    pub async fn export_document(&self, id: &str) -> Result<Vec<u8>> {
        let mut hot = self.hot.lock().await;
        Ok(self.checkout(&mut hot, id).await?.doc.save())
    }

    /// The changes made after `since` (heads from an earlier `heads` call); everything if empty.
    pub async fn export_changes(&self, id: &str, since: &[ChangeHash]) -> Result<Vec<u8>> {
        let mut hot = self.hot.lock().await;
        let hd = self.checkout(&mut hot, id).await?;
        for h in since {
            if hd.doc.get_change_by_hash(h).is_none() {
                return Err(Error::Invalid(ValidationError::new("since", format!("unknown change {h}"))));
            }
        }
        Ok(hd.doc.save_after(since))
    }

    /// Merges changes or a whole document (from another phone, or the server) into the local copy of
    /// document `id`, creating it if new. The merged result must still be a record (or reference data)
    /// this build reads; otherwise nothing is stored.
    pub async fn import_changes(&self, id: &str, bytes: &[u8]) -> Result<ImportOutcome> {
        record_schema::doc::check_automerge_chunks(bytes).map_err(|e| Error::document(id, e))?;
        let mut hot = self.hot.lock().await;
        self.merge(&mut hot, id, |doc| {
            doc.load_incremental(bytes).map_err(|e| Error::document(id, e))?;
            Ok(())
        })
        .await
    }

    /// Applies `apply` to a fork of document `id` (or to a new document), and keeps the result only if
    /// it is still a record (or reference data) this build reads, with its own id, and depends on
    /// nothing missing. The one gate for everything that arrives from elsewhere.
    pub(crate) async fn merge(
        &self,
        hot: &mut Hot,
        id: &str,
        apply: impl FnOnce(&mut AutoCommit) -> Result<()>,
    ) -> Result<ImportOutcome> {
        let existing = match self.checkout(hot, id).await {
            Ok(hd) => Some(hd),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let is_new = existing.is_none();
        // Merge into a fork, so a refused import leaves the hot copy untouched.
        let mut candidate = match existing {
            Some(hd) => hd.doc.fork(),
            None => AutoCommit::new(),
        };
        let before = candidate.get_heads();
        apply(&mut candidate)?;
        if candidate.get_heads() == before && is_new {
            // Nothing arrived for a document we do not have: nothing to keep.
            return Ok(ImportOutcome {
                id: id.to_string(),
                kind: RecordKind::LabourSheet,
                changed: false,
                conflict_count: 0,
            });
        }
        if !candidate.get_missing_deps(&[]).is_empty() {
            return Err(Error::document(
                id,
                SchemaError::NotARecord("these changes build on changes this phone does not have yet".into()),
            ));
        }
        candidate.set_actor(self.actor.clone());
        let kind = record_schema::doc::read_kind(&candidate).map_err(|e| Error::document(id, e))?;
        // A record holds only what its schema defines, within its bounds (the server checks the
        // same on sync); server-owned documents come from the server, which wrote them.
        if !kind.server_owned() {
            record_schema::shape::check(&candidate, kind).map_err(|e| Error::document(id, e))?;
        }
        let doc_id =
            record_schema::doc::get_str(&candidate, &automerge::ROOT, "id").map_err(|e| Error::document(id, e))?;
        if doc_id.as_deref() != Some(id) {
            return Err(Error::document(
                id,
                SchemaError::Malformed { field: "id".into(), reason: format!("the document says it is {doc_id:?}") },
            ));
        }
        let record = match kind {
            RecordKind::ReferenceData => {
                ReferenceData::read(&candidate).map_err(|e| Error::document(id, e))?;
                None
            }
            // A supervisor's decisions (server-owned): kept and synced, not indexed as a record.
            RecordKind::Approval => {
                record_schema::Approval::read(&candidate).map_err(|e| Error::document(id, e))?;
                None
            }
            // The office's follow-up of an observation (server-owned): kept and synced, read by
            // `Store::follow_up`, not indexed as a record.
            RecordKind::FollowUp => {
                record_schema::FollowUp::read(&candidate).map_err(|e| Error::document(id, e))?;
                None
            }
            _ => Some(Record::read(&candidate).map_err(|e| Error::document(id, e))?),
        };
        let changed = candidate.get_heads() != before;
        let conflicts = find_conflicts(&candidate).map_err(|e| Error::document(id, e))?.len() as i64;
        if changed {
            let now = now_ms();
            let mut tx = self.pool.begin().await?;
            let mut hd =
                HotDoc { doc: candidate, persisted: before, pending_count: 0, conflicts, view: record.clone() };
            let written = if is_new {
                documents::insert(&mut tx, id, kind.as_str(), &mut hd, now).await?
            } else {
                hd.pending_count = hot.docs.get(id).map(|h| h.pending_count).unwrap_or(0);
                let heads = hd.doc.get_heads();
                documents::write(&mut tx, id, documents::pending(&mut hd), &heads, now).await?
            };
            if let Some(r) = &record {
                IndexRow::of(r).upsert(&mut tx, id, conflicts, now).await?;
            }
            tx.commit().await?;
            documents::committed(&mut hd, written);
            if let RecordKind::ReferenceData = kind {
                hot.references.clear();
            }
            Self::remember(hot, id.to_string(), hd);
        }
        Ok(ImportOutcome { id: id.to_string(), kind, changed, conflict_count: conflicts })
    }
}
