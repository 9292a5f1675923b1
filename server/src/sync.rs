//! `POST /v1/sync`: many documents per request, each payload a standard Automerge sync message,
//! CBOR on the wire (see docs/sync-protocol.md). A first version: no manifest yet; documents a device
//! lacks or has not seen at their current version are offered in every response.

use automerge::sync::{Message, State, SyncDoc};
use automerge::AutoCommit;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use record_schema::{Record, RecordKind};

use crate::auth::Device;
use crate::db::{on_pool, Db, TokenGrant};
use crate::docstore::{self, DocStoreError, StoredDoc};
use crate::error::ApiError;
use crate::routes::AppState;

pub use record_schema::wire::{DocError, DocMessage, SyncRequest, SyncResponse, PROTOCOL_VERSION};

fn doc_error(id: &str, code: &str, message: impl Into<String>) -> DocError {
    DocError { id: id.to_string(), code: code.to_string(), message: message.into() }
}

pub async fn handler(Device(grant): Device, AxState(state): AxState<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let req: SyncRequest = ciborium::from_reader(body.as_ref())
        .map_err(|e| ApiError::bad_request("body", format!("expected a CBOR sync request: {e}")))?;
    if req.v != PROTOCOL_VERSION {
        return Err(ApiError::bad_request("v", format!("protocol version {} is not supported (this server speaks {PROTOCOL_VERSION})", req.v)));
    }
    let db = &state.db;
    if req.reset {
        on_pool!(db, |p| sqlx::query("DELETE FROM sync_states WHERE device_id = $1")
            .bind(&grant.device_id)
            .execute(p)
            .await
            .map(drop))
        .map_err(ApiError::internal)?;
    }
    let mut resp = SyncResponse { v: PROTOCOL_VERSION, ..Default::default() };
    let mut seen = std::collections::HashSet::new();
    for m in req.docs {
        if !seen.insert(m.id.clone()) {
            resp.errors.push(doc_error(&m.id, "duplicate", "the document appears twice in this request"));
            continue;
        }
        match incoming(db, &grant, &m.id, &m.msg).await {
            Ok(Some(reply)) => resp.docs.push(DocMessage { id: m.id, msg: reply }),
            Ok(None) => {}
            Err(e) => resp.errors.push(e),
        }
    }
    // Documents of the project the device has not seen at their current version.
    for id in unseen(db, &grant).await.map_err(ApiError::internal)? {
        if seen.contains(&id) {
            continue;
        }
        if let Some(reply) = outgoing(db, &grant, &id).await? {
            resp.docs.push(DocMessage { id, msg: reply });
        }
    }
    let mut out = Vec::new();
    ciborium::into_writer(&resp, &mut out).map_err(ApiError::internal)?;
    Ok(([(CONTENT_TYPE, "application/cbor")], out).into_response())
}

async fn load_state(db: &Db, device: &str, doc: &str) -> Result<Option<State>, sqlx::Error> {
    let row: Option<(Vec<u8>,)> =
        on_pool!(db, |p| sqlx::query_as("SELECT state FROM sync_states WHERE device_id = $1 AND doc_id = $2")
            .bind(device)
            .bind(doc)
            .fetch_optional(p)
            .await?);
    Ok(row.and_then(|(b,)| State::decode(&b).ok()))
}

/// Persists the sync state; `seen_version` only moves when the device holds the document's heads.
async fn store_state(db: &Db, device: &str, stored: &mut StoredDoc, state: &State) -> Result<(), sqlx::Error> {
    let holds_all = state.shared_heads == stored.doc.get_heads();
    let seen = if holds_all { stored.version } else { 0 };
    on_pool!(db, |p| sqlx::query(
        "INSERT INTO sync_states (device_id, doc_id, state, seen_version) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (device_id, doc_id) DO UPDATE SET state = excluded.state, seen_version = excluded.seen_version"
    )
    .bind(device)
    .bind(&stored.id)
    .bind(state.encode())
    .bind(seen)
    .execute(p)
    .await
    .map(drop)?);
    Ok(())
}

async fn unseen(db: &Db, grant: &TokenGrant) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT d.id FROM documents d LEFT JOIN sync_states s ON s.doc_id = d.id AND s.device_id = $1 \
         WHERE d.project_id = $2 AND (s.doc_id IS NULL OR s.seen_version < d.version) ORDER BY d.id"
    )
    .bind(&grant.device_id)
    .bind(&grant.project_id)
    .fetch_all(p)
    .await?);
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Server-owned documents are read-only for phones: their changes are ignored by the sync state.
fn server_owned(kind: &str) -> bool {
    kind == RecordKind::ReferenceData.as_str()
}

async fn outgoing(db: &Db, grant: &TokenGrant, id: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(mut stored) = docstore::load(db, id).await.map_err(ApiError::internal)? else { return Ok(None) };
    let mut state = load_state(db, &grant.device_id, id).await.map_err(ApiError::internal)?.unwrap_or_default();
    state.set_read_only(server_owned(&stored.kind));
    let msg = stored.doc.sync().generate_sync_message(&mut state);
    store_state(db, &grant.device_id, &mut stored, &state).await.map_err(ApiError::internal)?;
    Ok(msg.map(Message::encode))
}

/// Applies one device message to document `id`. The merged document must still be a record of the
/// device's project; otherwise nothing is stored and the error names the document.
async fn incoming(db: &Db, grant: &TokenGrant, id: &str, bytes: &[u8]) -> Result<Option<Vec<u8>>, DocError> {
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(doc = id, error = %e, "sync failed");
        doc_error(id, "internal", "the server could not process this document; retry later")
    };
    let message = Message::decode(bytes).map_err(|e| doc_error(id, "bad_message", format!("not an Automerge sync message: {e}")))?;
    for _attempt in 0..3 {
        let mut existing = docstore::load(db, id).await.map_err(|e| internal(&e))?;
        if let Some(s) = &existing
            && s.project_id != grant.project_id
        {
            // Same answer as for a document that does not exist: nothing leaks about other projects.
            return Err(doc_error(id, "not_found", "no such document in your project"));
        }
        let mut state = load_state(db, &grant.device_id, id).await.map_err(|e| internal(&e))?.unwrap_or_default();
        // The loaded copy is this request's own: work on it directly (a refused message is simply not
        // saved), no clone needed.
        let (mut doc, kind) = match &mut existing {
            Some(s) => (std::mem::take(&mut s.doc), Some(s.kind.clone())),
            None => (AutoCommit::new(), None),
        };
        state.set_read_only(kind.as_deref().is_some_and(server_owned));
        let before = doc.get_heads();
        doc.sync()
            .receive_sync_message(&mut state, message.clone())
            .map_err(|e| doc_error(id, "bad_message", format!("the sync message does not apply: {e}")))?;
        let changed = doc.get_heads() != before;
        let record = if changed { Some(check_record(&doc, id, grant)?) } else { None };
        let mut stored = match existing {
            Some(mut s) if changed => {
                s.doc = doc;
                match docstore::save(db, &mut s).await {
                    Ok(_) => s,
                    Err(DocStoreError::VersionConflict { .. }) => continue, // another process wrote: merge again
                    Err(e) => return Err(internal(&e)),
                }
            }
            Some(mut s) => {
                s.doc = doc;
                s
            }
            None if let Some(record) = &record => {
                match docstore::insert(db, id, &grant.project_id, record.kind().as_str(), doc).await {
                    Ok(s) => s,
                    Err(DocStoreError::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(internal(&e)),
                }
            }
            // The device asked about a document the server does not have (yet): nothing to store.
            None => return Ok(doc.sync().generate_sync_message(&mut state).map(Message::encode)),
        };
        let reply = stored.doc.sync().generate_sync_message(&mut state).map(Message::encode);
        store_state(db, &grant.device_id, &mut stored, &state).await.map_err(|e| internal(&e))?;
        return Ok(reply);
    }
    Err(doc_error(id, "busy", "the document kept changing on the server; retry"))
}

/// A document a device sent must read as a record of the device's own project, with its own id.
fn check_record(doc: &AutoCommit, id: &str, grant: &TokenGrant) -> Result<Record, DocError> {
    let kind = record_schema::doc::read_kind(doc).map_err(|e| doc_error(id, "invalid", e.to_string()))?;
    if server_owned(kind.as_str()) {
        return Err(doc_error(id, "server_owned", "reference data is written by the server only"));
    }
    let record = Record::read(doc).map_err(|e| doc_error(id, "invalid", e.to_string()))?;
    let h = record.header();
    if h.id != id {
        return Err(doc_error(id, "invalid", format!("the document says it is {:?}", h.id)));
    }
    if h.project_id != grant.project_id {
        return Err(doc_error(id, "forbidden", "the record belongs to another project"));
    }
    Ok(record)
}
