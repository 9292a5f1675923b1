//! The sync wire format, shared by the server and the phone's client (CBOR; see
//! docs/sync-protocol.md). Each document's payload is a standard Automerge sync message.

use automerge::ChangeHash;
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
    #[serde(default)]
    pub reset: bool,
    /// `manifest_digest` of every document the phone holds, sent on every sync (16 bytes). When it is
    /// not the digest the server last agreed with this device, the server asks for `entries`.
    #[serde(default, with = "serde_bytes", skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Vec<u8>>,
    /// The whole manifest, sent only when the previous response set `need_manifest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<ManifestEntry>>,
    #[serde(default)]
    pub docs: Vec<DocMessage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocError {
    pub id: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize, Default)]
pub struct SyncResponse {
    pub v: u32,
    pub docs: Vec<DocMessage>,
    pub errors: Vec<DocError>,
    /// The phone's manifest digest is not what the server expected: send `entries` next round.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub need_manifest: bool,
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

/// Digest of a whole manifest, independent of entry order.
pub fn manifest_digest(entries: &[ManifestEntry]) -> Vec<u8> {
    let mut sorted: Vec<&ManifestEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut h = Sha256::new();
    for e in sorted {
        h.update((e.id.len() as u64).to_le_bytes());
        h.update(e.id.as_bytes());
        h.update(&e.heads);
    }
    h.finalize()[..MANIFEST_DIGEST_LEN].to_vec()
}
