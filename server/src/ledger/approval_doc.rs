//! The record's approval document (`approval:<record id>`), owned by the server: built from the
//! record's decisions, written in a decision's transaction or rewritten afterwards (`publish`), so
//! the decisions reach phones through sync, read-only.

use automerge::AutoCommit;
use record_schema::{Approval, Decision, RecordKind};

use super::LedgerError;
use super::journal::{History, history};
use crate::cache::DocCache;
use crate::db::Db;
use crate::docstore::{self, OwnedWriteError, StoredDoc};

/// The record's approval document, updated for a decision and written in the decision's
/// transaction (one commit: the decision reaches phones exactly when it stands).
// Both variants hold a whole Automerge document (~4 KB inline): boxing either would save nothing.
#[allow(clippy::large_enum_variant)]
pub enum ApprovalDoc {
    New(AutoCommit),
    Existing(StoredDoc),
}

/// Rewrites the record's approval document (`approval:<record id>`) from its decisions, so phones
/// receive them by sync. Derived data: repeating it is harmless, and a decision whose document
/// write failed is published again by the next request about it.
pub async fn publish(db: &Db, cache: &DocCache, project: &str, record_id: &str) -> Result<(), LedgerError> {
    let history = history(db, record_id).await?;
    publish_history(db, cache, project, record_id, &history).await
}

/// The record's approval document (loaded, or new) with `history` written into it, not yet stored.
pub(super) async fn approval_doc(
    db: &Db,
    cache: &DocCache,
    project: &str,
    record_id: &str,
    history: &History,
) -> Result<ApprovalDoc, LedgerError> {
    let view = approval_view(project, record_id, history);
    let id = Approval::document_id(record_id);
    match docstore::load_hot(db, cache, &id).await? {
        None => {
            let mut doc = AutoCommit::new();
            view.write(&mut doc)?;
            Ok(ApprovalDoc::New(doc))
        }
        Some(mut stored) => {
            if stored.kind != RecordKind::Approval.as_str() || stored.project_id != project {
                cache.put(stored);
                return Err(LedgerError::State("id", format!("document {id} is not this record's approval")));
            }
            // On a failed write the half-changed copy is dropped (load_hot took it out of the cache).
            view.write(&mut stored.doc)?;
            Ok(ApprovalDoc::Existing(stored))
        }
    }
}

fn approval_view(project: &str, record_id: &str, history: &History) -> Approval {
    Approval {
        record_id: record_id.to_string(),
        project_id: project.to_string(),
        decisions: history
            .decisions
            .iter()
            .filter_map(|d| {
                Some(Decision {
                    id: d.id.clone(),
                    status: d.status()?,
                    heads: d.heads.clone(),
                    by: d.decided_by_name.clone(),
                    at_ms: d.decided_at_ms,
                    comment: d.comment.clone(),
                })
            })
            .collect(),
        approved_heads: history.standing().map(|d| d.heads.clone()),
    }
}

async fn publish_history(
    db: &Db,
    cache: &DocCache,
    project: &str,
    record_id: &str,
    history: &History,
) -> Result<(), LedgerError> {
    let view = approval_view(project, record_id, history);
    let id = Approval::document_id(record_id);
    docstore::write_owned(db, cache, &id, project, RecordKind::Approval, |doc| view.write(doc)).await.map_err(|e| {
        match e {
            OwnedWriteError::Docs(e) => LedgerError::Docs(e),
            OwnedWriteError::Schema(e) => LedgerError::Schema(e),
            OwnedWriteError::Foreign(_) => {
                LedgerError::State("id", format!("document {id} is not this record's approval"))
            }
            OwnedWriteError::Busy(_) => LedgerError::Busy,
        }
    })
}
