//! `POST /v1/sync`: many documents per request, each payload a standard Automerge sync message,
//! CBOR on the wire (docs/sync-protocol.md).
//!
//! Per device and document the server keeps the Automerge sync state (what both sides share) and
//! the document version the device is known to hold, so a sync visits only documents that changed.
//! Per device it also keeps a manifest digest over those shared heads: when an idle phone's digest
//! matches, the sync is one tiny round; when it does not (a phone restored from a backup, a
//! database restored), the phone sends its full manifest once and both sides re-sync what differs.

use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use record_schema::record::Reading;
use record_schema::wire::{
    MANIFEST_DIGEST_LEN, ManifestEntry, heads_digest, manifest_element, prepare_state, xor_into,
};
use record_schema::{Record, RecordKind, ValidationContext};

use crate::auth::SyncDevice;
use crate::cache::{DeviceStates, DocCache, DocState};
use crate::commit::Committer;
use crate::db::{Db, SyncGrant, TokenGrant, on_pool, unseen_by};
use crate::docstore::{self, DocStoreError, DocWrite, StoredDoc};
use crate::error::ApiError;
use crate::state::AppState;

mod write;

pub use write::SyncWrite;

pub use record_schema::wire::{DocError, DocMessage, PROTOCOL_VERSION, SyncRequest, SyncResponse};

type Digest = [u8; MANIFEST_DIGEST_LEN];

fn doc_error(id: &str, code: &str, message: impl Into<String>) -> DocError {
    DocError { id: id.to_string(), code: code.to_string(), message: message.into(), field: None }
}

/// Server-owned documents are read-only for phones: their changes are not applied.
fn server_owned(kind: &str) -> bool {
    kind.parse::<RecordKind>().is_ok_and(RecordKind::server_owned)
}

/// One document's share of the device's manifest digest (nothing while nothing is shared).
fn element(id: &str, shared: &[ChangeHash]) -> Option<Digest> {
    (!shared.is_empty()).then(|| manifest_element(id, &heads_digest(shared)))
}

pub async fn handler(
    SyncDevice(mut device): SyncDevice,
    AxState(state): AxState<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| {
        let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE { "too_large" } else { "invalid" };
        ApiError::new(e.status(), code, "body", e.body_text())
    })?;
    let req: SyncRequest = ciborium::from_reader(body.as_ref())
        .map_err(|e| ApiError::bad_request("body", format!("expected a CBOR sync request: {e}")))?;
    if req.v != PROTOCOL_VERSION {
        return Err(ApiError::bad_request(
            "v",
            format!("protocol version {} is not supported (this server speaks {PROTOCOL_VERSION})", req.v),
        ));
    }
    let phone_manifest: Option<Digest> = match &req.manifest {
        None => None,
        Some(m) => Some(m.as_slice().try_into().map_err(|_| {
            ApiError::bad_request(
                "manifest",
                format!("a manifest digest is {MANIFEST_DIGEST_LEN} bytes, not {}", m.len()),
            )
        })?),
    };
    let listed_unseen = std::mem::take(&mut device.unseen);
    let mut s =
        SyncSession::open(&state.db, &state.cache, &state.commits, &device).await.map_err(ApiError::internal)?;
    if req.reset {
        s.reset();
    }
    let mut resp = SyncResponse { v: PROTOCOL_VERSION, ..Default::default() };
    if let Some(entries) = &req.entries {
        resp.docs.extend(s.reconcile(entries).await.map_err(ApiError::internal)?);
    }
    // Documents of the project the device has not seen at their current version, with those
    // versions. Read before the device's own messages: a document the device sends is then either
    // in this list or seen by the device at its current version, so it needs no version lookup.
    // The list read with the token holds unless this request changed the device's states since.
    let unseen = if s.pending.is_empty() { listed_unseen } else { s.unseen().await.map_err(write::failed)? };
    let versions: std::collections::HashMap<&str, i64> = unseen.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    let mut seen = std::collections::HashSet::new();
    for m in req.docs.iter() {
        if !seen.insert(m.id.clone()) {
            resp.errors.push(doc_error(&m.id, "duplicate", "the document appears twice in this request"));
            continue;
        }
        let outcome = s.incoming(&m.id, &m.msg, &versions).await;
        if let Some(limit) = s.busy {
            return Err(write::busy(limit)); // the commit queue is full: the phone syncs again later
        }
        if let Some(reply) = outcome.reply {
            resp.docs.push(DocMessage { id: m.id.clone(), msg: reply });
        }
        resp.errors.extend(outcome.error);
    }
    for (id, version) in unseen {
        // (Manifest "I have nothing" replies are for documents not held in this project, never here.)
        if seen.contains(&id) {
            continue;
        }
        if let Some(reply) = s.outgoing(&id, version).await? {
            resp.docs.push(DocMessage { id, msg: reply });
        }
    }
    let settled = req.docs.is_empty() && resp.docs.is_empty() && req.entries.is_none();
    resp.need_manifest = s.finish(phone_manifest, settled).await.map_err(write::failed)?;
    let mut out = Vec::new();
    ciborium::into_writer(&resp, &mut out).map_err(ApiError::internal)?;
    Ok(([(CONTENT_TYPE, "application/cbor")], out).into_response())
}

/// What became of one document the device sent: maybe a reply, maybe an error, maybe both (a phone's
/// change to a server-owned document is refused, yet the server's own news still goes back).
#[derive(Default)]
struct Outcome {
    reply: Option<Vec<u8>>,
    error: Option<DocError>,
}

impl Outcome {
    fn error(e: DocError) -> Self {
        Outcome { reply: None, error: Some(e) }
    }
}

/// Changes to the device's sync states made in memory and not yet written. They go to the database
/// in the transaction of the next document write, or at the end of the request: one commit.
#[derive(Default)]
struct Pending {
    /// Forget every stored state of the device first.
    reset: bool,
    deleted: Vec<String>,
    /// Documents whose state (in `SyncSession::dev`) is to be stored.
    upserts: std::collections::BTreeSet<String>,
    manifest: bool,
}

impl Pending {
    fn is_empty(&self) -> bool {
        !self.reset && self.deleted.is_empty() && self.upserts.is_empty() && !self.manifest
    }
}

/// One request's work for one device.
struct SyncSession<'a> {
    db: &'a Db,
    cache: &'a DocCache,
    commits: &'a Committer<SyncWrite>,
    grant: &'a TokenGrant,
    /// The device's sync states and manifest digest: the database's, plus `pending`.
    dev: DeviceStates,
    pending: Pending,
    /// False once another request wrote this device's states meanwhile (its own copy is then not
    /// the database's, so it is not cached; the next request reads the states back).
    coherent: bool,
    /// The commit queue's limit, when it was full for one of this request's writes (answered 503).
    busy: Option<usize>,
}

impl<'a> SyncSession<'a> {
    /// The device's states from the cache if they are at the generation just read with the token;
    /// else from the database (one query).
    async fn open(
        db: &'a Db,
        cache: &'a DocCache,
        commits: &'a Committer<SyncWrite>,
        device: &'a SyncGrant,
    ) -> Result<Self, sqlx::Error> {
        let grant = &device.grant;
        let dev = match cache.devices.take(&grant.device_id, device.sync_gen) {
            Some(dev) => dev,
            None => {
                let rows: Vec<(String, Vec<u8>, i64)> = on_pool!(db, |p| sqlx::query_as(
                    "SELECT doc_id, state, seen_version FROM sync_states WHERE device_id = $1"
                )
                .bind(&grant.device_id)
                .fetch_all(p)
                .await?);
                // Read after the generation: these states are at least as new as `sync_gen` (were
                // they newer, the next request's generation check reads them again).
                DeviceStates {
                    generation: device.sync_gen,
                    manifest: device.manifest.as_deref().and_then(|m| Digest::try_from(m).ok()).unwrap_or_default(),
                    docs: rows
                        .into_iter()
                        .map(|(id, state, seen_version)| (id, DocState { state, seen_version }))
                        .collect(),
                }
            }
        };
        Ok(SyncSession { db, cache, commits, grant, dev, pending: Pending::default(), coherent: true, busy: None })
    }

    /// Forgets what this device was believed to hold (a reinstalled phone): everything is offered.
    fn reset(&mut self) {
        self.dev.docs.clear();
        self.dev.manifest = Digest::default();
        self.pending = Pending { reset: true, manifest: true, ..Pending::default() };
    }

    /// The sync state stored for `doc` (a fresh one if none; an undecodable state only costs a
    /// fuller exchange).
    fn state_of(&self, doc: &str) -> State {
        self.dev.docs.get(doc).and_then(|d| State::decode(&d.state).ok()).unwrap_or_default()
    }

    fn shared_of(&self, doc: &str) -> Vec<ChangeHash> {
        self.dev.docs.get(doc).and_then(|d| State::decode(&d.state).ok()).map(|s| s.shared_heads).unwrap_or_default()
    }

    fn recompute_manifest(&self) -> Digest {
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
    async fn reconcile(&mut self, entries: &[ManifestEntry]) -> Result<Vec<DocMessage>, sqlx::Error> {
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
    async fn finish(mut self, phone: Option<Digest>, settled: bool) -> Result<bool, DocStoreError> {
        let mut need = false;
        if let Some(phone) = phone
            && settled
            && phone != self.dev.manifest
        {
            // Two requests of one device at once (here or on a replica) can leave this copy or the
            // stored digest behind: check against the stored states before troubling the phone.
            let rows: Vec<(String, Vec<u8>, i64)> = on_pool!(self.db, |p| sqlx::query_as(
                "SELECT doc_id, state, seen_version FROM sync_states WHERE device_id = $1"
            )
            .bind(&self.grant.device_id)
            .fetch_all(p)
            .await?);
            if self.pending.is_empty() {
                self.dev.docs =
                    rows.into_iter().map(|(id, state, seen_version)| (id, DocState { state, seen_version })).collect();
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

    /// The pending state changes (and `doc`, if any) as one write, which also bumps the device's
    /// sync generation.
    fn pending_write(&self, doc: Option<DocWrite>) -> SyncWrite {
        let upserts = self
            .pending
            .upserts
            .iter()
            .filter_map(|id| self.dev.docs.get(id).map(|d| (id.clone(), d.state.clone(), d.seen_version)));
        SyncWrite {
            doc,
            device: self.grant.device_id.clone(),
            reset: self.pending.reset,
            deleted: self.pending.deleted.clone(),
            upserts: upserts.collect(),
            manifest: (self.dev.manifest != Digest::default()).then(|| self.dev.manifest.to_vec()),
        }
    }

    /// Writes what is pending, if anything.
    async fn commit_pending(&mut self) -> Result<(), DocStoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        match self.commits.write(self.pending_write(None)).await {
            Ok(Some(generation)) => {
                self.written(generation);
                Ok(())
            }
            Ok(None) => unreachable!("a write without a document always applies"),
            Err(e) => {
                self.coherent = false; // a failed commit may or may not have landed
                Err(e.into())
            }
        }
    }

    /// The pending writes committed at generation `generation`. Had anyone else written the device's
    /// states since this copy was read, the generation skipped a number: the copy is not cached.
    fn written(&mut self, generation: i64) {
        if generation != self.dev.generation + 1 {
            self.coherent = false;
        }
        self.dev.generation = generation;
        self.pending = Pending::default();
    }

    /// Records the device's new sync state for a stored document, in memory and as pending;
    /// `seen_version` only moves when the device holds the document's heads.
    fn note_state(&mut self, stored: &mut StoredDoc, state: &State) {
        let _ = self.note_state_at(&stored.id, &stored.doc.get_heads(), stored.version, state);
    }

    /// `note_state` for document `id` with `heads` at `version`.
    fn note_state_at(&mut self, id: &str, heads: &[ChangeHash], version: i64, state: &State) -> Undo {
        let undo = Undo {
            id: id.to_string(),
            previous: self.dev.docs.get(id).cloned(),
            manifest: self.dev.manifest,
            manifest_pending: self.pending.manifest,
            was_pending: self.pending.upserts.contains(id),
        };
        let seen = if state.shared_heads.as_slice() == heads { version } else { 0 };
        let new = DocState { state: state.encode(), seen_version: seen };
        if undo.previous.as_ref() == Some(&new) {
            return undo;
        }
        let before = self.shared_of(id);
        if before != state.shared_heads {
            for e in [element(id, &before), element(id, &state.shared_heads)].into_iter().flatten() {
                xor_into(&mut self.dev.manifest, &e);
            }
            self.pending.manifest = true;
        }
        self.dev.docs.insert(id.to_string(), new);
        self.pending.upserts.insert(id.to_string());
        undo
    }

    fn undo(&mut self, u: Undo) {
        match u.previous {
            Some(p) => self.dev.docs.insert(u.id.clone(), p),
            None => self.dev.docs.remove(&u.id),
        };
        if !u.was_pending {
            self.pending.upserts.remove(&u.id);
        }
        self.dev.manifest = u.manifest;
        self.pending.manifest = u.manifest_pending;
    }

    /// Documents of the device's project it has not seen at their current version, with that
    /// version. Pending state changes (a reset, a reconciled manifest) are written first.
    async fn unseen(&mut self) -> Result<Vec<(String, i64)>, DocStoreError> {
        self.commit_pending().await?;
        Ok(on_pool!(self.db, |p| sqlx::query_as(concat!(
            "SELECT d.id, d.version FROM documents d WHERE d.project_id = $2 AND ",
            unseen_by!("$1"),
            " ORDER BY d.id"
        ))
        .bind(&self.grant.device_id)
        .bind(&self.grant.project_id)
        .fetch_all(p)
        .await?))
    }

    /// The stored version of a document the device sends, when this request already knows it: from
    /// the unseen list, or else the version the device has seen (a document of the project missing
    /// from that list is one the device has seen at its current version). A concurrent request of
    /// the same device on another replica can make this stale; the write's version check catches that.
    fn known_version(&self, id: &str, unseen: &std::collections::HashMap<&str, i64>) -> Option<i64> {
        if let Some(v) = unseen.get(id) {
            return Some(*v);
        }
        self.dev.docs.get(id).map(|d| d.seen_version).filter(|v| *v > 0)
    }

    async fn outgoing(&mut self, id: &str, version: i64) -> Result<Option<Vec<u8>>, ApiError> {
        let Some(mut stored) = docstore::load_at(self.db, self.cache, id, version).await.map_err(ApiError::internal)?
        else {
            return Ok(None);
        };
        let mut state = self.state_of(id);
        state.set_read_only(server_owned(&stored.kind));
        prepare_state(&mut state);
        let msg = stored.doc.sync().generate_sync_message(&mut state);
        self.note_state(&mut stored, &state);
        self.cache.put(stored);
        Ok(msg.map(Message::encode))
    }

    /// Applies one device message to document `id`. The merged document must still be a record of
    /// the device's project; otherwise nothing is stored and the error names the document.
    async fn incoming(&mut self, id: &str, bytes: &[u8], unseen: &std::collections::HashMap<&str, i64>) -> Outcome {
        let message = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => {
                return Outcome::error(doc_error(id, "bad_message", format!("not an Automerge sync message: {e}")));
            }
        };
        // What the changes would expand to, told from their bytes: a few KB of run-length-encoded
        // or compressed columns must not cost the merge gigabytes (the merged document's own
        // bounds are checked after, in `check_record`).
        if let Err(e) = record_schema::expansion::measure(message.changes.iter()) {
            return Outcome::error(schema_error(id, e));
        }
        let mut version = self.known_version(id, unseen);
        for _attempt in 0..3 {
            match self.try_incoming(id, message.clone(), version).await {
                // Another process wrote: look the version up afresh.
                Err(Retry) => version = None,
                Ok(outcome) => return outcome,
            }
        }
        Outcome::error(doc_error(id, "busy", "the document kept changing on the server; retry"))
    }

    async fn try_incoming(&mut self, id: &str, message: Message, version: Option<i64>) -> Result<Outcome, Retry> {
        let internal = |e: &DocStoreError| {
            // A full commit queue is no fault: the request answers 503 (`SyncSession::busy`).
            if !matches!(e, DocStoreError::Busy { .. }) {
                tracing::error!(doc = id, error = %e, "sync failed");
            }
            Outcome::error(doc_error(id, "internal", "the server could not process this document; retry later"))
        };
        let loaded = match version {
            Some(v) => docstore::load_at(self.db, self.cache, id, v).await,
            None => docstore::load_hot(self.db, self.cache, id).await,
        };
        let existing = match loaded {
            Ok(d) => d,
            Err(e) => return Ok(internal(&e)),
        };
        let existing = match existing {
            Some(s) if s.project_id != self.grant.project_id => {
                self.cache.put(s);
                return Ok(self.as_if_unknown(id, message));
            }
            other => other,
        };
        let mut state = self.state_of(id);
        let read_only = existing.as_ref().is_some_and(|s| server_owned(&s.kind));
        state.set_read_only(read_only);
        // Work on the document out of the cache: it goes back only if saved or unchanged, so a
        // refused change never lingers in memory.
        let (mut stored, mut doc) = match existing {
            Some(mut s) => {
                let doc = std::mem::take(&mut s.doc);
                (Some(s), doc)
            }
            None => (None, AutoCommit::new()),
        };
        let heads_before = doc.get_heads();
        // The record as read at these heads, if it was: the merged one is then read incrementally.
        let mut reading =
            stored.as_mut().and_then(|s| s.reading.take()).filter(|r| r.heads() == heads_before.as_slice());
        if let Some(r) = &reading {
            r.watch(&mut doc);
        }
        let message_heads = message.heads.clone();
        if let Err(e) = doc.sync().receive_sync_message(&mut state, message) {
            return Ok(Outcome::error(doc_error(id, "bad_message", format!("the sync message does not apply: {e}"))));
        }
        let refused = read_only && message_heads.iter().any(|h| doc.get_change_by_hash(h).is_none());
        let changed = doc.get_heads() != heads_before;
        let record = if changed {
            match check_record(&mut doc, id, self.grant, reading.take()) {
                Ok(r) => Some(r),
                Err(e) => return Ok(Outcome::error(e)),
            }
        } else {
            None
        };
        // A changed document is written with the device's state (and any pending ones) in one
        // transaction: one commit per document.
        let mut stored = match (stored.take(), record) {
            (Some(mut s), Some((_, read))) => {
                s.doc = doc;
                s.reading = Some(read);
                match self.save_with_state(&mut s, &state).await {
                    Ok(()) => s,
                    Err(DocStoreError::VersionConflict { .. }) => return Err(Retry), // another process wrote: merge again
                    Err(e) => return Ok(internal(&e)),
                }
            }
            (Some(mut s), None) => {
                doc.reset_diff_cursor();
                s.doc = doc;
                s.reading = reading; // the heads it was read at are still the document's
                s
            }
            (None, Some((record, read))) => match self.insert_with_state(id, record.kind().as_str(), doc, &state).await
            {
                Ok(mut s) => {
                    s.reading = Some(read);
                    s
                }
                Err(DocStoreError::AlreadyExists { .. }) => return Err(Retry),
                Err(e) => return Ok(internal(&e)),
            },
            // The device asked about a document the server does not have (yet): nothing to store.
            (None, None) => {
                return Ok(Outcome {
                    reply: doc.sync().generate_sync_message(&mut state).map(Message::encode),
                    error: None,
                });
            }
        };
        prepare_state(&mut state);
        let reply = stored.doc.sync().generate_sync_message(&mut state).map(Message::encode);
        // (Generating changes no stored part of the state; an unchanged document's state is
        // written at the end of the request, if it changed.)
        self.note_state(&mut stored, &state);
        self.cache.put(stored);
        let error = refused.then(|| {
            doc_error(
                id,
                "server_owned",
                "this document is written by the server only; your changes to it were not applied",
            )
        });
        Ok(Outcome { reply, error })
    }

    /// The answer to a message about another project's document: what the same message about an
    /// id nobody holds gets (no existence oracle). A question is answered from an empty document;
    /// changes are checked as a new record would be, so a record that is invalid, or of another
    /// project, gets the same error. Only a valid record of the device's own project under a
    /// taken id is told apart (`id_taken`): ids are global, and the phone must pick another; that
    /// says no more than that a UUID the device already knows is in use. Nothing is stored.
    fn as_if_unknown(&self, id: &str, message: Message) -> Outcome {
        let mut doc = AutoCommit::new();
        let mut state = State::new();
        if let Err(e) = doc.sync().receive_sync_message(&mut state, message) {
            return Outcome::error(doc_error(id, "bad_message", format!("the sync message does not apply: {e}")));
        }
        if doc.get_heads().is_empty() {
            return Outcome { reply: doc.sync().generate_sync_message(&mut state).map(Message::encode), error: None };
        }
        match check_record(&mut doc, id, self.grant, None) {
            Err(e) => Outcome::error(e),
            Ok(_) => {
                Outcome::error(doc_error(id, "id_taken", "this document id is in use; records need ids of their own"))
            }
        }
    }

    /// Saves a changed document with its sync state and whatever else is pending: one write.
    async fn save_with_state(&mut self, stored: &mut StoredDoc, state: &State) -> Result<(), DocStoreError> {
        let Some((doc, written)) = stored.prepare_write() else {
            // (Only changed documents come here.) Nothing to store but the state.
            self.note_state(stored, state);
            return Ok(());
        };
        // The state as it will be once committed: the document at its next version.
        let undo = self.note_state_at(&stored.id, &stored.doc.get_heads(), stored.version + 1, state);
        self.commit_with(doc, undo).await?;
        stored.committed(written);
        Ok(())
    }

    /// Stores a new document with the device's sync state: one write.
    async fn insert_with_state(
        &mut self,
        id: &str,
        kind: &str,
        mut doc: AutoCommit,
        state: &State,
    ) -> Result<StoredDoc, DocStoreError> {
        let (write, saved_bytes) = DocWrite::insert(id, &self.grant.project_id, kind, &mut doc);
        let mut stored = StoredDoc::inserted(id, &self.grant.project_id, kind, doc, saved_bytes);
        let undo = self.note_state_at(id, &stored.doc.get_heads(), stored.version, state);
        self.commit_with(write, undo).await?;
        Ok(stored)
    }

    /// Commits `doc` with what is pending. When it does not land, the state noted last is taken
    /// back (it must never claim heads that were not stored).
    async fn commit_with(&mut self, doc: DocWrite, undo: Undo) -> Result<(), DocStoreError> {
        let refused = doc.refused();
        match self.commits.write(self.pending_write(Some(doc))).await {
            Ok(Some(generation)) => {
                self.written(generation);
                Ok(())
            }
            Ok(None) => {
                self.undo(undo);
                Err(refused)
            }
            Err(e) => {
                self.undo(undo);
                self.coherent = false; // a failed commit may or may not have landed
                if let crate::commit::GroupCommitError::Busy { limit } = e {
                    self.busy = Some(limit);
                }
                Err(e.into())
            }
        }
    }
}

/// What `note_state_at` changed, to take it back.
struct Undo {
    id: String,
    previous: Option<DocState>,
    manifest: Digest,
    manifest_pending: bool,
    was_pending: bool,
}

/// Another server process wrote the document between our read and our write.
struct Retry;

/// A document refused by the schema: `too_large` for a bound on its size, else `invalid`, with the
/// field named when there is one.
fn schema_error(id: &str, e: record_schema::SchemaError) -> DocError {
    let field = match &e {
        record_schema::SchemaError::Malformed { field, .. } => Some(field.clone()),
        _ => None,
    };
    let code = if matches!(e, record_schema::SchemaError::TooLarge(_)) { "too_large" } else { "invalid" };
    DocError { field, ..doc_error(id, code, e.to_string()) }
}

/// A document a device sent must read as a record of the device's own project, with its own id.
/// `reading` (the record as read at the heads before this merge) lets only the changed crew lines
/// be read again; the record is returned with its reading at the new heads.
fn check_record(
    doc: &mut AutoCommit,
    id: &str,
    grant: &TokenGrant,
    reading: Option<Reading>,
) -> Result<(Record, Reading), DocError> {
    let kind = record_schema::doc::read_kind(doc).map_err(|e| doc_error(id, "invalid", e.to_string()))?;
    if server_owned(kind.as_str()) {
        return Err(doc_error(id, "server_owned", "reference data is written by the server only"));
    }
    // The ids of server-owned documents are reserved: a record may not squat on one.
    if id.starts_with("approval:") || id.starts_with("reference:") {
        return Err(doc_error(id, "invalid", "ids starting with `approval:` or `reference:` belong to the server"));
    }
    // Nothing the schema does not define, nothing beyond its bounds: checked before anything reads
    // or stores the document (a walk over what it refuses could exhaust memory or the stack).
    // Where the record was read before this merge (and checked then), only what the merge changed
    // is checked, from the same patches the reread uses; otherwise all of it.
    let patches = Record::take_patches(doc, reading.as_ref());
    match &patches {
        Some(p) => record_schema::shape::check_patched(doc, kind, p),
        None => record_schema::shape::check(doc, kind),
    }
    .map_err(|e| schema_error(id, e))?;
    let (record, reading) = Record::reread_with(doc, reading, patches).map_err(|e| schema_error(id, e))?;
    let h = record.header();
    if h.id != id {
        return Err(doc_error(id, "invalid", format!("the document says it is {:?}", h.id)));
    }
    if h.project_id != grant.project_id {
        return Err(doc_error(id, "forbidden", "the record belongs to another project"));
    }
    // The same rules the phone applies before saving; a phone that skipped them (or another
    // Automerge client) is refused here. Reference data checks arrive with the ledgers.
    record.validate(&ValidationContext::new(chrono::Utc::now(), None)).map_err(|e| DocError {
        field: Some(e.field.clone()),
        ..doc_error(id, "invalid", format!("{}: {}", e.field, e.reason))
    })?;
    Ok((record, reading))
}
