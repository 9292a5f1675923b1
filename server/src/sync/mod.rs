//! `POST /v1/sync`: many documents per request, each payload a standard Automerge sync message,
//! CBOR on the wire (docs/sync-protocol.md).
//!
//! Per device and document the server keeps the Automerge sync state (what both sides share) and
//! the document version the device is known to hold, so a sync visits only documents that changed.
//! Per device it also keeps a manifest digest over those shared heads: when an idle phone's digest
//! matches, the sync is one tiny round; when it does not (a phone restored from a backup, a
//! database restored), the phone sends its full manifest once and both sides re-sync what differs.
//!
//! Here the handler; `session.rs` the per-request `SyncSession` (the device's states, their
//! writes, replies); `incoming.rs` each document the device sends (merge, checks, store);
//! `manifest.rs` the manifest digest; `scope.rs` sync scopes (a request with `scope_fp` is offered
//! its device's scope, `dropped` and `fetch`); `write.rs` a sync's write as data for the group commit.

use automerge::ChangeHash;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use record_schema::RecordKind;
use record_schema::wire::{MANIFEST_DIGEST_LEN, heads_digest, manifest_element};

use crate::auth::SyncDevice;
use crate::error::ApiError;
use crate::state::AppState;

mod incoming;
mod manifest;
mod scope;
mod session;
mod unconfirmed;
mod write;

pub use scope::register_metrics;

use session::SyncSession;
pub use write::SyncWrite;

pub use record_schema::wire::{DocError, DocMessage, Fetched, PROTOCOL_VERSION, SyncRequest, SyncResponse};

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

/// `POST /v1/sync`: one batched sync round (docs/sync-protocol.md).
#[utoipa::path(
    post,
    path = "/v1/sync",
    summary = "Sync documents (CBOR)",
    description = "One batched sync round: each document's standard Automerge sync message, the device's manifest digest, and the server's replies and documents the device has not seen. Request and answer are CBOR (docs/sync-protocol.md, docs/writing-a-client.md).",
    tag = "sync",
    operation_id = "sync",
    request_body(
        content = crate::api::BinaryBody,
        content_type = "application/cbor",
        description = "A CBOR `SyncRequest` (`record_schema::wire`): `v` (the protocol version), `docs` (id and standard \
                       Automerge sync message per document), optional `manifest` digest, `entries`, `reset`",
    ),
    responses(
        (status = 200, description = "A CBOR `SyncResponse`: `v`, `docs` (replies and documents the device has not seen), \
                                      per-document `errors`, `need_manifest`",
         content_type = "application/cbor", body = crate::api::BinaryBody),
        (status = 400, description = "Not a CBOR sync request, an unsupported protocol version, or a bad manifest digest", body = crate::openapi::ErrorBody),
        (status = 401, description = "No valid token", body = crate::openapi::ErrorBody),
        (status = 413, description = "Larger than the server's request limit", body = crate::openapi::ErrorBody),
        (status = 503, description = "Busy (the write queue is full): retry after `Retry-After`", body = crate::openapi::ErrorBody),
    )
)]
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
    // `fetch` is checked and looked up before anything is written: a bad entry is 400 naming it.
    let wanted = scope::validate_fetch(&req.fetch)?;
    let found = if wanted.is_empty() {
        Vec::new()
    } else {
        scope::find_fetched(&state.db, &device.grant.project_id, &wanted).await?
    };
    // A request with `scope_fp` is served its device's scope (docs/sync-scopes.md); one without, the
    // whole project as before. A device that was scoped and no longer asks to be is listed afresh.
    let scoped = req.scope_fp.is_some();
    let stored_fp = device.scope.stored_fp.clone().unwrap_or_default();
    let scope = (scoped || !stored_fp.is_empty()).then(|| scope::Scope::of(&device));
    let listed_unseen = std::mem::take(&mut device.unseen);
    let listed_facts = std::mem::take(&mut device.unseen_facts);
    let mut s =
        SyncSession::open(&state.db, &state.cache, &state.commits, &device).await.map_err(ApiError::internal)?;
    let mut resp = SyncResponse { v: PROTOCOL_VERSION, ..Default::default() };
    if scoped && !req.reset {
        // First thing: the phone's digest in this request already excludes them.
        s.drop_states(&req.dropped).await.map_err(ApiError::internal)?;
    }
    if req.reset {
        s.reset();
    } else if let Some(entries) = &req.entries {
        s.dev.unconfirmed = None;
        // States the reconcile drops are of documents the cursor may have passed: list them all.
        s.dev.cursor = 0;
        s.pending.cursor = true;
        resp.docs.extend(s.reconcile(entries).await.map_err(ApiError::internal)?);
    } else {
        // The phone's digest is over what it held before this request: a lost answer is taken
        // back here (its documents are then listed again below), a real mismatch asks for the full
        // manifest, sent with the next request.
        resp.need_manifest = s.check_manifest(phone_manifest).await.map_err(write::failed)?;
    }
    if let Some(scope) = &scope {
        let fp = if scoped { scope.fingerprint() } else { Vec::new() };
        if scoped {
            resp.as_of = Some(scope.as_of());
            if req.scope_fp.as_deref() != Some(fp.as_slice()) {
                resp.scope = Some(scope.wire());
            }
        }
        if stored_fp != fp {
            s.rescope(fp);
        }
    }
    // Documents of the project the device has not seen at their current version, with those
    // versions. Read before the device's own messages: a document the device sends is then either
    // in this list or seen by the device at its current version, so it needs no version lookup.
    // The list read with the token holds unless this request changed the device's states since.
    let (unseen, offers) = match scope.as_ref().filter(|_| scoped) {
        Some(sc) => {
            let grant = device.listed.then_some((listed_unseen, listed_facts, device.listed_max_seq));
            let listing = s.scoped_listing(sc, grant).await.map_err(write::failed)?;
            (listing.unseen, listing.offers)
        }
        None => {
            let unseen = if s.pending.is_empty() && device.listed {
                s.listed(listed_unseen, device.listed_max_seq)
            } else {
                s.unseen().await.map_err(write::failed)?
            };
            let offers = unseen
                .iter()
                .map(|(id, version)| scope::Offer { id: id.clone(), version: *version, why: None, own: false })
                .collect();
            (unseen, offers)
        }
    };
    // The states this request uses, read once (the rest stay unread: an idle sync reads none).
    let mut touched: Vec<&str> = unseen.iter().map(|(id, _)| id.as_str()).collect();
    touched.extend(req.docs.iter().map(|m| m.id.as_str()));
    for f in &found {
        touched.extend(f.docs.iter().map(|(id, _, _)| id.as_str()));
    }
    s.load_states(touched).await.map_err(ApiError::internal)?;
    let versions: std::collections::HashMap<&str, i64> = unseen.iter().map(|(id, v)| (id.as_str(), *v)).collect();
    let sent: std::collections::HashSet<&str> = req.docs.iter().map(|m| m.id.as_str()).collect();
    let mut offered = std::collections::HashSet::new();
    // Fetched documents first, whatever the scope and the answer's size: whole if not held, their
    // changes if held and stale.
    let mut offered_bytes = 0;
    for (i, f) in found.iter().enumerate() {
        for (id, version, owner) in &f.docs {
            let held_current = s.dev.docs.get(id).is_some_and(|d| d.seen_version >= *version);
            if held_current || sent.contains(id.as_str()) || !offered.insert(id.clone()) {
                continue;
            }
            if let Some(reply) = s.outgoing(id, *version).await? {
                offered_bytes += reply.len();
                resp.docs.push(DocMessage { id: id.clone(), msg: reply });
                if let Some(sc) = scope.as_ref().filter(|_| scoped) {
                    scope::count_offer(scope::FETCHED);
                    if scope::owns(sc, owner.as_deref()) {
                        resp.own.push(id.clone());
                    }
                }
            }
        }
        resp.fetched.push(Fetched { i: u32::try_from(i).unwrap_or(u32::MAX), ids: f.records.clone(), more: f.more });
    }
    // Offers first: their state notes then go in the same write as the device's own change, one
    // commit per edit sync.
    for o in &offers {
        // (Manifest "I have nothing" replies are for documents not held in this project, never here.)
        if sent.contains(o.id.as_str()) || offered.contains(&o.id) {
            continue;
        }
        if offered_bytes >= state.limits.sync_answer_bytes {
            // The rest stay unseen (and the cursor where it is): listed again on the next request.
            resp.more = true;
            break;
        }
        if let Some(reply) = s.outgoing(&o.id, o.version).await? {
            offered_bytes += reply.len();
            resp.docs.push(DocMessage { id: o.id.clone(), msg: reply });
            if let Some(why) = o.why {
                scope::count_offer(why);
            }
            if o.own {
                resp.own.push(o.id.clone());
            }
        }
    }
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
    s.finish().await.map_err(write::failed)?;
    let mut out = Vec::new();
    ciborium::into_writer(&resp, &mut out).map_err(ApiError::internal)?;
    Ok(([(CONTENT_TYPE, "application/cbor")], out).into_response())
}
