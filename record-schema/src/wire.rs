//! The sync wire format, shared by the server and the phone's client (CBOR; see
//! docs/sync-protocol.md). Each document's payload is a standard Automerge sync message.

use automerge::ChangeHash;
use automerge::sync::{BloomFilter, Capability, Have, Message, State};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const PROTOCOL_VERSION: u32 = 1;

/// Bytes of a document's heads digest in a manifest entry.
pub const HEADS_DIGEST_LEN: usize = 8;
/// Bytes of the whole-manifest digest a phone sends on every sync.
pub const MANIFEST_DIGEST_LEN: usize = 16;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocMessage {
    pub id: String,
    #[serde(with = "serde_bytes")]
    pub msg: Vec<u8>,
}

/// One document the phone holds and a digest of its heads (`heads_digest`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub id: String,
    #[serde(with = "serde_bytes")]
    pub heads: Vec<u8>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct SyncRequest {
    pub v: u32,
    /// Set by a store that holds no sync state (new, or reinstalled with the same token): the server
    /// forgets what it believed this device had and offers everything again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// `manifest_digest` over the heads this phone shares with the server (per its sync states), sent
    /// on every sync (16 bytes). When a round would otherwise end the sync and this is not the
    /// server's digest for the device, the server asks for `entries`.
    #[serde(default, with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Vec<u8>>,
    /// The whole manifest, sent only when the previous response set `need_manifest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<ManifestEntry>>,
    #[serde(default)]
    pub docs: Vec<DocMessage>,
    /// The scope fingerprint (`scope::ScopeParams::fingerprint`) the phone evaluates with, from the
    /// last `scope` it was sent. Absent (an old client): the device is served its whole project, as
    /// before sync scopes, and nothing is dropped.
    #[serde(default, with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    pub scope_fp: Option<Vec<u8>>,
    /// Documents the phone evicted (out of scope, synced, settled): the server forgets its state for
    /// them first thing, and the manifest digest sent with this request already excludes them. Sent
    /// again until a response answers the request that carried them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dropped: Vec<String>,
    /// Documents wanted whatever the scope (at most `MAX_FETCH` entries): one record, or a site's days.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetch: Vec<Fetch>,
}

/// Most entries in one request's `fetch`.
pub const MAX_FETCH: usize = 4;
/// Most days in one fetched range, `from` and `to` included.
pub const MAX_FETCH_DAYS: i64 = 31;
/// Most records answered for one fetch entry (their companions come too); `more` in its
/// `Fetched` says there were more.
pub const MAX_FETCH_RECORDS: usize = 500;

/// One on-demand request (`SyncRequest::fetch`): a record by id, or a site's records from `from` to
/// `to` (`YYYY-MM-DD`, both included). Companions (`approval:`, `follow_up:`) come with their record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Fetch {
    Record { id: String },
    Days { site: String, from: String, to: String },
}

/// The answer to `SyncRequest::fetch[i]`: the ids whose documents this response offers (first
/// offers in `docs`, or already held), and whether the range had more records than one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetched {
    pub i: u32,
    pub ids: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
}

/// The parameters a device's scope is evaluated with (`scope::ScopeParams` without `project` and
/// `today`), sent when the request's `scope_fp` is not `fp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireScope {
    #[serde(with = "serde_bytes")]
    pub fp: Vec<u8>,
    /// `Holder::key`: `p:<person>` or `d:<device>`.
    pub holder: String,
    /// The holder's sites; `None`: every site.
    pub sites: Option<Vec<String>>,
    pub window_days: u32,
    pub own_days: Option<u32>,
    /// `"own"` or `"sites"` (`scope::OpenReach`).
    pub open_reach: String,
    pub full: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocError {
    pub id: String,
    pub code: String,
    pub message: String,
    /// The record field at fault, when there is one (`lines[2].headcount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Default)]
pub struct SyncResponse {
    pub v: u32,
    pub docs: Vec<DocMessage>,
    pub errors: Vec<DocError>,
    /// The phone's manifest digest is not what the server expected: send `entries` next round.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub need_manifest: bool,
    /// The server has more documents to offer than fit one answer: send another request (empty if
    /// there is nothing else to say) to get them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
    /// The project's calendar day at the server (`YYYY-MM-DD`), the `today` of the device's scope:
    /// the phone plans its evictions with it, never with its own clock. Absent from old servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// The device's scope parameters, when the request's `scope_fp` was not theirs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<WireScope>,
    /// Answers to the request's `fetch`, in its order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fetched: Vec<Fetched>,
    /// Documents offered in `docs` that the device's holder owns (`scope::Why::Own`): sent with a
    /// document's first offer, since ownership never changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own: Vec<String>,
}

/// First `HEADS_DIGEST_LEN` bytes of SHA-256 over the sorted heads: equal digests mean (with
/// overwhelming probability) both sides hold the same version of the document.
pub fn heads_digest(heads: &[ChangeHash]) -> Vec<u8> {
    let mut sorted: Vec<&ChangeHash> = heads.iter().collect();
    sorted.sort();
    let mut h = Sha256::new();
    for head in sorted {
        h.update(head.0);
    }
    h.finalize()[..HEADS_DIGEST_LEN].to_vec()
}

/// One document's share of a manifest digest: SHA-256 over its id and heads digest, truncated.
pub fn manifest_element(id: &str, heads_digest: &[u8]) -> [u8; MANIFEST_DIGEST_LEN] {
    let mut h = Sha256::new();
    h.update((id.len() as u64).to_le_bytes());
    h.update(id.as_bytes());
    h.update(heads_digest);
    let mut out = [0u8; MANIFEST_DIGEST_LEN];
    out.copy_from_slice(&h.finalize()[..MANIFEST_DIGEST_LEN]);
    out
}

/// XORs `element` into `digest` (adding a document, or taking it out again).
pub fn xor_into(digest: &mut [u8; MANIFEST_DIGEST_LEN], element: &[u8; MANIFEST_DIGEST_LEN]) {
    for (d, e) in digest.iter_mut().zip(element) {
        *d ^= e;
    }
}

/// The manifest digest: the XOR of every entry's `manifest_element`. XOR makes it independent of
/// order and lets the server keep a device's digest current one document at a time. It guards
/// against accidents (a phone restored from a backup, a server database restored), not attackers:
/// a mismatch only costs one fuller exchange.
pub fn manifest_digest(entries: &[ManifestEntry]) -> [u8; MANIFEST_DIGEST_LEN] {
    let mut digest = [0u8; MANIFEST_DIGEST_LEN];
    for e in entries {
        xor_into(&mut digest, &manifest_element(&e.id, &e.heads));
    }
    digest
}

/// Prepares a sync state for `generate_sync_message`; phone and server call it before every
/// message. It works around two costs of automerge 0.12 with a state decoded afresh:
/// * when the changes to send are more than a third of the document's history, automerge sends the
///   whole document instead (a V2 message). A small record's first edit re-sent the whole record
///   (measured: 419 B for a 103 B change). Once the sides share history, advertise V1 messages only,
///   so changes go one by one; a first sync still sends the compact whole document.
/// * not knowing what the peer has, the first message carries no changes, so an edit took two
///   rounds. Assume the peer still holds the heads it last shared (it said so); if it does not, it
///   answers with what it needs and the changes follow.
///
/// The messages stay standard Automerge sync messages.
pub fn prepare_state(state: &mut State) {
    if state.shared_heads.is_empty() {
        return;
    }
    state.their_capabilities = Some(vec![Capability::MessageV1, Capability::SyncReset]);
    // (A decoded state has `their_have: Some([])`, a new one `None`: both mean "unknown".)
    if state.their_heads.is_none() && state.their_have.as_ref().is_none_or(Vec::is_empty) {
        state.their_have = Some(vec![Have { last_sync: state.shared_heads.clone(), bloom: BloomFilter::default() }]);
        state.their_need = Some(Vec::new());
    }
}

/// Prepares the state of a document the peer has never shared (no shared heads, nothing heard from
/// it in this exchange) for an offer it did not ask for: the whole document goes at once, as the
/// compact V2 message Automerge sends a peer that holds nothing, instead of heads alone followed by
/// the peer's request and a second exchange. So a document new to a phone arrives in one request.
pub fn prepare_first_offer(state: &mut State) {
    if !state.shared_heads.is_empty() || state.their_heads.is_some() {
        return;
    }
    state.their_heads = Some(Vec::new());
    state.their_have = Some(vec![Have { last_sync: Vec::new(), bloom: BloomFilter::default() }]);
    state.their_need = Some(Vec::new());
    state.their_capabilities = Some(vec![Capability::MessageV2, Capability::SyncReset]);
}

/// After generating `msg` for a peer from a state prepared as above (changes since the shared heads,
/// or the whole document): when the message carries changes and asks for none, the peer holds
/// exactly `heads` once it applies it, so record that as shared now instead of waiting for the
/// peer's acknowledgement (a second round). Returns whether it did. Should the message be lost, the
/// peer's next manifest digest shows it (docs/sync-protocol.md, "One request").
pub fn assume_delivered(state: &mut State, msg: &Message, heads: &[ChangeHash]) -> bool {
    if msg.changes.is_empty() || !msg.need.is_empty() || !same_heads(&msg.heads, heads) {
        return false;
    }
    let mut shared = heads.to_vec();
    shared.sort();
    state.shared_heads = shared;
    true
}

/// Two sets of heads are the same (in any order).
pub fn same_heads(a: &[ChangeHash], b: &[ChangeHash]) -> bool {
    a.len() == b.len() && a.iter().all(|h| b.contains(h))
}
