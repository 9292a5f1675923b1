//! A phone simulated with the automerge crate itself (as any Automerge implementation could take
//! part), following the protocol as the real client does: sync states persisted in their encoded
//! form between syncs, quiet documents skipped, the manifest digest on every request and the full
//! manifest when asked.

use std::collections::{BTreeMap, HashSet};

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use record_schema::Record;
use record_schema::wire::{
    DocError, DocMessage, ManifestEntry, SyncRequest, SyncResponse, heads_digest, manifest_digest, prepare_state,
};

use super::post;

#[derive(Clone)]
pub struct SimPhone {
    pub token: String,
    pub docs: BTreeMap<String, AutoCommit>,
    /// Sync states as persisted between syncs (`State::encode`).
    pub states: BTreeMap<String, Vec<u8>>,
}

/// What one sync run carried on the wire.
#[derive(Debug, Default)]
pub struct Traffic {
    pub rounds: usize,
    pub sent: usize,
    pub received: usize,
    /// Bytes of each request and response, round by round.
    pub per_round: Vec<(usize, usize)>,
    pub manifest_asked: bool,
    pub errors: Vec<DocError>,
    /// False when the sync stopped at the round limit with the server still sending news (other
    /// phones editing the same documents all the while); the real client then continues next time.
    pub settled: bool,
}

impl SimPhone {
    pub fn new(token: String) -> Self {
        SimPhone { token, docs: BTreeMap::new(), states: BTreeMap::new() }
    }

    /// Exchanges sync messages until neither side has anything to say.
    pub fn sync(&mut self, addr: &str) -> Traffic {
        let t = self.try_sync(addr).unwrap_or_else(|(status, body)| panic!("sync answered {status}: {body}"));
        assert!(t.settled, "sync did not settle in 20 rounds: {t:?}");
        t
    }

    /// As `sync`, but an HTTP error ends the sync and is returned (states of completed rounds kept).
    pub fn try_sync(&mut self, addr: &str) -> Result<Traffic, (u16, String)> {
        let mut t = Traffic::default();
        let mut states: BTreeMap<String, State> =
            self.states.iter().filter_map(|(id, b)| State::decode(b).ok().map(|s| (id.clone(), s))).collect();
        let reset = states.is_empty();
        let mut refused = HashSet::new();
        let (mut send_entries, mut sent_entries) = (false, false);
        for round in 0..20 {
            let mut req = SyncRequest { v: 1, reset: reset && round == 0, ..Default::default() };
            let mut quiet = true;
            for (id, doc) in &mut self.docs {
                if refused.contains(id) {
                    continue;
                }
                let state = states.entry(id.clone()).or_default();
                if state.their_heads.is_none() && state.shared_heads == doc.get_heads() {
                    continue; // quiet: both sides already share this
                }
                prepare_state(state);
                if let Some(m) = doc.sync().generate_sync_message(state) {
                    req.docs.push(DocMessage { id: id.clone(), msg: m.encode() });
                    quiet = false;
                }
            }
            // After the first round: the server's news answered and nothing more to say, done.
            if round > 0 && quiet && !send_entries {
                t.settled = true;
                return Ok(t);
            }
            let entries: Vec<ManifestEntry> = states
                .iter()
                .filter(|(id, s)| self.docs.contains_key(*id) && !s.shared_heads.is_empty())
                .map(|(id, s)| ManifestEntry { id: id.clone(), heads: heads_digest(&s.shared_heads) })
                .collect();
            req.manifest = Some(manifest_digest(&entries).to_vec());
            if send_entries {
                req.entries = Some(entries);
                sent_entries = true;
            }
            let mut body = Vec::new();
            ciborium::into_writer(&req, &mut body).expect("encode");
            let bearer = format!("Bearer {}", self.token);
            let (status, resp) =
                post(addr, "/v1/sync", &[("Authorization", &bearer), ("Content-Type", "application/cbor")], &body);
            if status != 200 {
                return Err((status, String::from_utf8_lossy(&resp).into_owned()));
            }
            t.rounds += 1;
            t.sent += body.len();
            t.received += resp.len();
            t.per_round.push((body.len(), resp.len()));
            let resp: SyncResponse = ciborium::from_reader(resp.as_slice()).expect("decode response");
            for e in resp.errors {
                states.remove(&e.id);
                refused.insert(e.id.clone());
                t.errors.push(e);
            }
            t.manifest_asked |= resp.need_manifest;
            send_entries = resp.need_manifest && !sent_entries;
            let news = resp.docs.iter().any(|m| !refused.contains(&m.id));
            for m in resp.docs.into_iter().filter(|m| !refused.contains(&m.id)) {
                let doc = self.docs.entry(m.id.clone()).or_default();
                let state = states.entry(m.id.clone()).or_default();
                doc.sync().receive_sync_message(state, Message::decode(&m.msg).expect("message")).expect("apply");
            }
            self.states = states
                .iter()
                .filter(|(id, _)| self.docs.contains_key(*id))
                .map(|(id, s)| (id.clone(), s.encode()))
                .collect();
            if req.docs.is_empty() && !news && !send_entries {
                t.settled = true;
                return Ok(t);
            }
        }
        Ok(t)
    }

    pub fn record(&self, id: &str) -> Record {
        Record::read(self.docs.get(id).expect("doc held")).expect("reads as a record")
    }
}
