//! The sync wire format, shared by the server and the phone's client (CBOR; see
//! docs/sync-protocol.md). Each document's payload is a standard Automerge sync message.

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct DocMessage {
    pub id: String,
    #[serde(with = "serde_bytes")]
    pub msg: Vec<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SyncRequest {
    pub v: u32,
    /// Set by a store that holds no sync state (new, or reinstalled with the same token): the server
    /// forgets what it believed this device had and offers everything again.
    #[serde(default)]
    pub reset: bool,
    #[serde(default)]
    pub docs: Vec<DocMessage>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
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
}

