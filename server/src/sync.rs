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
use axum::extract::rejection::BytesRejection;
use axum::extract::State as AxState;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use record_schema::wire::{heads_digest, manifest_element, prepare_state, xor_into, ManifestEntry, MANIFEST_DIGEST_LEN};
use record_schema::{Record, RecordKind, ValidationContext};

use crate::auth::Device;
use crate::cache::DocCache;
use crate::db::{on_pool, Db, TokenGrant};
use crate::docstore::{self, DocStoreError, StoredDoc};
use crate::error::ApiError;
use crate::routes::AppState;

pub use record_schema::wire::{DocError, DocMessage, SyncRequest, SyncResponse, PROTOCOL_VERSION};

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
    Device(grant): Device,
    AxState(state): AxState<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|e| ApiError {
        status: e.status(),
        code: if e.status() == StatusCode::PAYLOAD_TOO_LARGE { "too_large" } else { "invalid" },
        field: Some("body".into()),
        message: e.body_text(),
    })?;
    let req: SyncRequest = ciborium::from_reader(body.as_ref())
        .map_err(|e| ApiError::bad_request("body", format!("expected a CBOR sync request: {e}")))?;
    if req.v != PROTOCOL_VERSION {
        return Err(ApiError::bad_request("v", format!("protocol version {} is not supported (this server speaks {PROTOCOL_VERSION})", req.v)));
    }
    let phone_manifest: Option<Digest> = match &req.manifest {
        None => None,
        Some(m) => Some(m.as_slice().try_into().map_err(|_| {
            ApiError::bad_request("manifest", format!("a manifest digest is {MANIFEST_DIGEST_LEN} bytes, not {}", m.len()))
        })?),
    };
    let mut s = Session::open(&state.db, &state.cache, &grant).await.map_err(ApiError::internal)?;
    if req.reset {
        s.reset().await.map_err(ApiError::internal)?;
    }
    let mut resp = SyncResponse { v: PROTOCOL_VERSION, ..Default::default() };
    if let Some(entries) = &req.entries {
        resp.docs.extend(s.reconcile(entries).await.map_err(ApiError::internal)?);
    }
    let mut seen = std::collections::HashSet::new();
    for m in req.docs.iter() {
        if !seen.insert(m.id.clone()) {
            resp.errors.push(doc_error(&m.id, "duplicate", "the document appears twice in this request"));
            continue;
        }
        let outcome = s.incoming(&m.id, &m.msg).await;
        if let Some(reply) = outcome.reply {
            resp.docs.push(DocMessage { id: m.id.clone(), msg: reply });
        }
        resp.errors.extend(outcome.error);
    }
    // Documents of the project the device has not seen at their current version.
    for id in s.unseen().await.map_err(ApiError::internal)? {
        // (Manifest "I have nothing" replies are for documents not held in this project, never here.)
        if seen.contains(&id) {
            continue;
        }
        if let Some(reply) = s.outgoing(&id).await? {
            resp.docs.push(DocMessage { id, msg: reply });
        }
    }
    let settled = req.docs.is_empty() && resp.docs.is_empty() && req.entries.is_none();
    resp.need_manifest = s.finish(phone_manifest, settled).await.map_err(ApiError::internal)?;
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

/// One request's work for one device.
struct Session<'a> {
    db: &'a Db,
    cache: &'a DocCache,
    grant: &'a TokenGrant,
    /// The device's manifest digest, kept current as sync states change.
    manifest: Digest,
    manifest_changed: bool,
}

impl<'a> Session<'a> {
    async fn open(db: &'a Db, cache: &'a DocCache, grant: &'a TokenGrant) -> Result<Self, sqlx::Error> {
        let stored: Option<Option<Vec<u8>>> = on_pool!(db, |p| sqlx::query_scalar("SELECT manifest FROM devices WHERE id = $1")
            .bind(&grant.device_id)
            .fetch_optional(p)
            .await?);
        let manifest = stored.flatten().and_then(|m| Digest::try_from(m.as_slice()).ok()).unwrap_or_default();
        Ok(Session { db, cache, grant, manifest, manifest_changed: false })
    }

    /// Forgets what this device was believed to hold (a reinstalled phone): everything is offered.
    async fn reset(&mut self) -> Result<(), sqlx::Error> {
        on_pool!(self.db, |p| sqlx::query("DELETE FROM sync_states WHERE device_id = $1")
            .bind(&self.grant.device_id)
            .execute(p)
            .await
            .map(drop))?;
        self.manifest = Digest::default();
        self.manifest_changed = true;
        Ok(())
    }

    async fn device_states(&self) -> Result<Vec<(String, Vec<ChangeHash>)>, sqlx::Error> {
        let rows: Vec<(String, Vec<u8>)> =
            on_pool!(self.db, |p| sqlx::query_as("SELECT doc_id, state FROM sync_states WHERE device_id = $1")
                .bind(&self.grant.device_id)
                .fetch_all(p)
                .await?);
        Ok(rows
            .into_iter()
            .map(|(id, b)| (id, State::decode(&b).map(|s| s.shared_heads).unwrap_or_default()))
            .collect())
    }

    async fn recompute_manifest(&self) -> Result<Digest, sqlx::Error> {
        let mut digest = Digest::default();
        for (id, shared) in self.device_states().await? {
            if let Some(e) = element(&id, &shared) {
                xor_into(&mut digest, &e);
            }
        }
        Ok(digest)
    }

    /// The phone's full manifest: every document on which the two sides disagree about what they
    /// share starts afresh. Returns "I have nothing" messages for documents the phone believes the
    /// server holds but the server does not, so the phone sends them again.
    async fn reconcile(&mut self, entries: &[ManifestEntry]) -> Result<Vec<DocMessage>, sqlx::Error> {
        let phone: std::collections::HashMap<&str, &[u8]> = entries.iter().map(|e| (e.id.as_str(), e.heads.as_slice())).collect();
        let mut digest = Digest::default();
        let mut kept = std::collections::HashSet::new();
        for (id, shared) in self.device_states().await? {
            let ours = (!shared.is_empty()).then(|| heads_digest(&shared));
            if ours.as_deref() == phone.get(id.as_str()).copied() {
                if let Some(e) = element(&id, &shared) {
                    xor_into(&mut digest, &e);
                }
                kept.insert(id);
            } else {
                tracing::info!(device = %self.grant.device_id, doc = %id, "manifest mismatch: re-syncing the document");
                on_pool!(self.db, |p| sqlx::query("DELETE FROM sync_states WHERE device_id = $1 AND doc_id = $2")
                    .bind(&self.grant.device_id)
                    .bind(&id)
                    .execute(p)
                    .await
                    .map(drop))?;
            }
        }
        self.manifest = digest;
        self.manifest_changed = true;
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

    /// Stores the device's digest if it changed; says whether the phone must send its full
    /// manifest (only on a round that would otherwise end the sync, and only on a real mismatch).
    async fn finish(&mut self, phone: Option<Digest>, settled: bool) -> Result<bool, sqlx::Error> {
        let mut need = false;
        if let Some(phone) = phone
            && settled
            && phone != self.manifest
        {
            // Two requests of one device at once can lose an update of the running digest: check
            // against the stored states before troubling the phone.
            self.manifest = self.recompute_manifest().await?;
            self.manifest_changed = true;
            need = phone != self.manifest;
        }
        if self.manifest_changed {
            let value = (self.manifest != Digest::default()).then(|| self.manifest.to_vec());
            on_pool!(self.db, |p| sqlx::query("UPDATE devices SET manifest = $1 WHERE id = $2")
                .bind(value)
                .bind(&self.grant.device_id)
                .execute(p)
                .await
                .map(drop))?;
        }
        Ok(need)
    }

    async fn load_state(&self, doc: &str) -> Result<State, sqlx::Error> {
        let row: Option<(Vec<u8>,)> =
            on_pool!(self.db, |p| sqlx::query_as("SELECT state FROM sync_states WHERE device_id = $1 AND doc_id = $2")
                .bind(&self.grant.device_id)
                .bind(doc)
                .fetch_optional(p)
                .await?);
        // An undecodable state only costs a fuller exchange.
        Ok(row.and_then(|(b,)| State::decode(&b).ok()).unwrap_or_default())
    }

    /// Persists the sync state; `seen_version` only moves when the device holds the document's
    /// heads. `before` is the shared heads the stored state had, for the manifest digest.
    async fn store_state(&mut self, stored: &mut StoredDoc, state: &State, before: &[ChangeHash]) -> Result<(), sqlx::Error> {
        let holds_all = state.shared_heads == stored.doc.get_heads();
        let seen = if holds_all { stored.version } else { 0 };
        on_pool!(self.db, |p| sqlx::query(
            "INSERT INTO sync_states (device_id, doc_id, state, seen_version) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version"
        )
        .bind(&self.grant.device_id)
        .bind(&stored.id)
        .bind(state.encode())
        .bind(seen)
        .execute(p)
        .await
        .map(drop)?);
        if before != state.shared_heads.as_slice() {
            for e in [element(&stored.id, before), element(&stored.id, &state.shared_heads)].into_iter().flatten() {
                xor_into(&mut self.manifest, &e);
            }
            self.manifest_changed = true;
        }
        Ok(())
    }

    async fn unseen(&self) -> Result<Vec<String>, sqlx::Error> {
        let rows: Vec<(String,)> = on_pool!(self.db, |p| sqlx::query_as(
            "SELECT d.id FROM documents d LEFT JOIN sync_states s ON s.doc_id = d.id AND s.device_id = $1 \
             WHERE d.project_id = $2 AND (s.doc_id IS NULL OR s.seen_version < d.version) ORDER BY d.id"
        )
        .bind(&self.grant.device_id)
        .bind(&self.grant.project_id)
        .fetch_all(p)
        .await?);
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    async fn outgoing(&mut self, id: &str) -> Result<Option<Vec<u8>>, ApiError> {
        let Some(mut stored) = docstore::load_hot(self.db, self.cache, id).await.map_err(ApiError::internal)? else {
            return Ok(None);
        };
        let mut state = self.load_state(id).await.map_err(ApiError::internal)?;
        let before = state.shared_heads.clone();
        state.set_read_only(server_owned(&stored.kind));
        prepare_state(&mut state);
        let msg = stored.doc.sync().generate_sync_message(&mut state);
        let stored_state = self.store_state(&mut stored, &state, &before).await;
        self.cache.put(stored);
        stored_state.map_err(ApiError::internal)?;
        Ok(msg.map(Message::encode))
    }

    /// Applies one device message to document `id`. The merged document must still be a record of
    /// the device's project; otherwise nothing is stored and the error names the document.
    async fn incoming(&mut self, id: &str, bytes: &[u8]) -> Outcome {
        let message = match Message::decode(bytes) {
            Ok(m) => m,
            Err(e) => return Outcome::error(doc_error(id, "bad_message", format!("not an Automerge sync message: {e}"))),
        };
        for _attempt in 0..3 {
            match self.try_incoming(id, message.clone()).await {
                Err(Retry) => continue,
                Ok(outcome) => return outcome,
            }
        }
        Outcome::error(doc_error(id, "busy", "the document kept changing on the server; retry"))
    }

    async fn try_incoming(&mut self, id: &str, message: Message) -> Result<Outcome, Retry> {
        let internal = |e: &dyn std::fmt::Display| {
            tracing::error!(doc = id, error = %e, "sync failed");
            Outcome::error(doc_error(id, "internal", "the server could not process this document; retry later"))
        };
        let existing = match docstore::load_hot(self.db, self.cache, id).await {
            Ok(d) => d,
            Err(e) => return Ok(internal(&e)),
        };
        let existing = match existing {
            Some(s) if s.project_id != self.grant.project_id => {
                self.cache.put(s);
                // Same answer as for a document that does not exist: nothing leaks about other projects.
                return Ok(Outcome::error(doc_error(id, "not_found", "no such document in your project")));
            }
            other => other,
        };
        let mut state = match self.load_state(id).await {
            Ok(s) => s,
            Err(e) => return Ok(internal(&e)),
        };
        let before = state.shared_heads.clone();
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
        let message_heads = message.heads.clone();
        if let Err(e) = doc.sync().receive_sync_message(&mut state, message) {
            return Ok(Outcome::error(doc_error(id, "bad_message", format!("the sync message does not apply: {e}"))));
        }
        let refused = read_only && message_heads.iter().any(|h| doc.get_change_by_hash(h).is_none());
        let changed = doc.get_heads() != heads_before;
        let record = if changed {
            match check_record(&doc, id, self.grant) {
                Ok(r) => Some(r),
                Err(e) => return Ok(Outcome::error(e)),
            }
        } else {
            None
        };
        let mut stored = match (stored.take(), record) {
            (Some(mut s), _) if changed => {
                s.doc = doc;
                match docstore::save(self.db, &mut s).await {
                    Ok(_) => s,
                    Err(DocStoreError::VersionConflict { .. }) => return Err(Retry), // another process wrote: merge again
                    Err(e) => return Ok(internal(&e)),
                }
            }
            (Some(mut s), _) => {
                s.doc = doc;
                s
            }
            (None, Some(record)) => {
                match docstore::insert(self.db, id, &self.grant.project_id, record.kind().as_str(), doc).await {
                    Ok(s) => s,
                    Err(DocStoreError::AlreadyExists { .. }) => return Err(Retry),
                    Err(e) => return Ok(internal(&e)),
                }
            }
            // The device asked about a document the server does not have (yet): nothing to store.
            (None, None) => return Ok(Outcome { reply: doc.sync().generate_sync_message(&mut state).map(Message::encode), error: None }),
        };
        prepare_state(&mut state);
        let reply = stored.doc.sync().generate_sync_message(&mut state).map(Message::encode);
        let saved = self.store_state(&mut stored, &state, &before).await;
        self.cache.put(stored);
        if let Err(e) = saved {
            return Ok(internal(&e));
        }
        let error = refused.then(|| doc_error(id, "server_owned", "this document is written by the server only; your changes to it were not applied"));
        Ok(Outcome { reply, error })
    }
}

/// Another server process wrote the document between our read and our write.
struct Retry;

/// A document a device sent must read as a record of the device's own project, with its own id.
fn check_record(doc: &AutoCommit, id: &str, grant: &TokenGrant) -> Result<Record, DocError> {
    let kind = record_schema::doc::read_kind(doc).map_err(|e| doc_error(id, "invalid", e.to_string()))?;
    if server_owned(kind.as_str()) {
        return Err(doc_error(id, "server_owned", "reference data is written by the server only"));
    }
    // The ids of server-owned documents are reserved: a record may not squat on one.
    if id.starts_with("approval:") || id.starts_with("reference:") {
        return Err(doc_error(id, "invalid", "ids starting with `approval:` or `reference:` belong to the server"));
    }
    let record = Record::read(doc).map_err(|e| doc_error(id, "invalid", e.to_string()))?;
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
    Ok(record)
}
