//! The device's manifest digest, kept by `SyncSession`: checked at the start of a request
//! (`check_manifest`: a lost answer taken back, else a real mismatch asks for the full manifest),
//! the phone's full manifest reconciled (`reconcile`), the digest recomputed, and the end of a
//! request (`finish`).

use automerge::AutoCommit;
use automerge::sync::{State, SyncDoc};
use record_schema::wire::{ManifestEntry, heads_digest, xor_into};

use super::session::SyncSession;
use super::unconfirmed::Batch;
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
        self.load_all().await?;
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
            // The phone holds it: a scoped listing offers it afresh whatever the scope.
            self.reoffer.insert(e.id.clone());
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

    /// At the start of a request: the phone's digest describes what it held before sending it, which
    /// is what the server's states say unless something was lost. When the previous request's answer
    /// was lost (the digest is the server's with that request's optimistic notes taken back), they
    /// are taken back: those documents are offered again in this request. Otherwise a digest that
    /// differs from the server's (rechecked against the stored states first, in case two requests
    /// of one device raced) means the phone must send its full manifest: returns true.
    pub(super) async fn check_manifest(&mut self, phone: Option<Digest>) -> Result<bool, DocStoreError> {
        // The last request's batch: settled either way by this request (taken back below, or
        // confirmed by an equal digest, or superseded by the full manifest).
        let in_memory = self.dev.unconfirmed.take();
        let Some(phone) = phone else { return Ok(false) };
        if phone == self.dev.manifest {
            return Ok(false);
        }
        // Read (and decoded) only on a mismatch: a batch can hold thousands of states (the last
        // answer of a join), and an idle sync must not pay for it. Cached states carry it (None:
        // settled); states read from the database do not, so it is read here.
        let blob = match in_memory {
            Some(b) => Some(b),
            None if !self.unconfirmed_unread => None,
            None => on_pool!(self.db, |p| sqlx::query_scalar::<_, Option<Vec<u8>>>(
                "SELECT unconfirmed FROM devices WHERE id = $1"
            )
            .bind(&self.grant.device_id)
            .fetch_optional(p)
            .await?)
            .flatten(),
        };
        let previous = blob.and_then(|b| Batch::decode(&b));
        if let Some(batch) = &previous {
            self.load_states(batch.docs.iter().map(|(id, _)| id.as_str())).await?;
        }
        if let Some(batch) = previous
            && self.take_back(&batch, phone)
        {
            tracing::info!(device = %self.grant.device_id, docs = batch.docs.len(), "the last answer was lost: offering its documents again");
            return Ok(false);
        }
        if self.pending.is_empty() {
            self.dev.docs = self.stored_states().await?;
            self.dev.partial = false;
            // Not known to be at any generation now: read afresh next time.
            self.coherent = false;
        } else {
            self.load_all().await?;
        }
        let recomputed = self.recompute_manifest();
        if recomputed != self.dev.manifest {
            self.dev.manifest = recomputed;
            self.pending.manifest = true;
        }
        Ok(phone != self.dev.manifest)
    }

    /// Takes `batch` back if that makes the server's digest the phone's.
    fn take_back(&mut self, batch: &Batch, phone: Digest) -> bool {
        let mut digest = self.dev.manifest;
        for (id, before) in &batch.docs {
            let before_shared = before.as_ref().and_then(|d| State::decode(&d.state).ok()).map(|s| s.shared_heads);
            for e in [element(id, &self.shared_of(id)), element(id, &before_shared.unwrap_or_default())]
                .into_iter()
                .flatten()
            {
                xor_into(&mut digest, &e);
            }
        }
        if digest != phone {
            return false;
        }
        for (id, before) in &batch.docs {
            match before {
                Some(state) => {
                    self.dev.docs.insert(id.clone(), state.clone());
                    self.pending.upserts.insert(id.clone());
                }
                None => {
                    self.dev.docs.remove(id);
                    self.pending.upserts.remove(id);
                    self.pending.deleted.push(id.clone());
                }
            }
        }
        self.dev.manifest = digest;
        self.pending.manifest = true;
        self.dev.cursor = batch.cursor;
        self.pending.cursor = true;
        true
    }

    /// Writes what is pending, then puts the device's states back in the cache.
    pub(super) async fn finish(mut self) -> Result<(), DocStoreError> {
        self.commit_pending().await?;
        self.dev.unconfirmed = self.unconfirmed();
        if self.coherent {
            self.cache.devices.put(&self.grant.device_id, std::mem::take(&mut self.dev));
        }
        Ok(())
    }
}
