//! The device's manifest digest, kept by `SyncSession`: the phone's full manifest reconciled
//! (`reconcile`), the digest recomputed, and the end of a request (`finish`), which checks a
//! phone's differing digest against the stored states before asking for the full manifest.

use automerge::AutoCommit;
use automerge::sync::{State, SyncDoc};
use record_schema::wire::{ManifestEntry, heads_digest, xor_into};

use super::session::{SyncSession, SyncStateRow};
use super::{Digest, DocMessage, element};
use crate::db::{Db, on_pool};
use crate::docstore::{self, DocStoreError};

impl SyncSession<'_> {
    pub(super) fn recompute_manifest(&self) -> Digest {
        let mut digest = Digest::default();
        for id in self.dev.docs.keys() {
            if let Some(e) = element(id, &self.shared_of(id)) {
                xor_into(&mut digest, &e);
            }
        }
        digest
    }

    /// The phone's full manifest: every document on which the two sides disagree about what they
    /// share starts afresh. Returns "I have nothing" messages for documents the phone believes the
    /// server holds but the server does not, so the phone sends them again.
    pub(super) async fn reconcile(&mut self, entries: &[ManifestEntry]) -> Result<Vec<DocMessage>, sqlx::Error> {
        let phone: std::collections::HashMap<&str, &[u8]> =
            entries.iter().map(|e| (e.id.as_str(), e.heads.as_slice())).collect();
        let mut digest = Digest::default();
        let mut kept = std::collections::HashSet::new();
        let ids: Vec<String> = self.dev.docs.keys().cloned().collect();
        for id in ids {
            let shared = self.shared_of(&id);
            let ours = (!shared.is_empty()).then(|| heads_digest(&shared));
            if ours.as_deref() == phone.get(id.as_str()).copied() {
                if let Some(e) = element(&id, &shared) {
                    xor_into(&mut digest, &e);
                }
                kept.insert(id);
            } else {
                tracing::info!(device = %self.grant.device_id, doc = %id, "manifest mismatch: re-syncing the document");
                self.dev.docs.remove(&id);
                self.pending.upserts.remove(&id);
                self.pending.deleted.push(id);
            }
        }
        self.dev.manifest = digest;
        self.pending.manifest = true;
        let mut replies = Vec::new();
        for e in entries {
            if kept.contains(&e.id) {
                continue;
            }
            // Held here: offered as unseen. Missing (or another project's): say "I have nothing".
            let ours = docstore::project_of(self.db, &e.id).await?;
            if ours.as_deref() != Some(self.grant.project_id.as_str())
                && let Some(m) = AutoCommit::new().sync().generate_sync_message(&mut State::new())
            {
                replies.push(DocMessage { id: e.id.clone(), msg: m.encode() });
            }
        }
        Ok(replies)
    }

    /// Writes what is pending, then puts the device's states back in the cache; says whether the
    /// phone must send its full manifest (only on a round that would otherwise end the sync, and
    /// only on a real mismatch).
    pub(super) async fn finish(mut self, phone: Option<Digest>, settled: bool) -> Result<bool, DocStoreError> {
        let mut need = false;
        if let Some(phone) = phone
            && settled
            && phone != self.dev.manifest
        {
            // Two requests of one device at once (here or on a replica) can leave this copy or the
            // stored digest behind: check against the stored states before troubling the phone.
            let rows: Vec<SyncStateRow> = on_pool!(self.db, |p| sqlx::query_as(
                "SELECT doc_id, state, seen_version FROM sync_states WHERE device_id = $1"
            )
            .bind(&self.grant.device_id)
            .fetch_all(p)
            .await?);
            if self.pending.is_empty() {
                self.dev.docs = rows.into_iter().map(SyncStateRow::entry).collect();
                // Not known to be at any generation now: read afresh next time.
                self.coherent = false;
            }
            let recomputed = self.recompute_manifest();
            if recomputed != self.dev.manifest {
                self.dev.manifest = recomputed;
                self.pending.manifest = true;
            }
            need = phone != self.dev.manifest;
        }
        self.commit_pending().await?;
        if self.coherent {
            self.cache.devices.put(&self.grant.device_id, std::mem::take(&mut self.dev));
        }
        Ok(need)
    }
}
