//! Automerge's own cost of the same merges: the server's sync protocol (server/src/sync.rs) replayed
//! in process on in-memory documents, with no HTTP, CBOR, database, or document loading. Only the
//! server side's `receive_sync_message` and `generate_sync_message` calls are timed; the phones and
//! their edits are the same as in the measured run.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use record_schema::wire::{self, DocMessage, PROTOCOL_VERSION, SyncRequest, SyncResponse};

use crate::phone::{MAX_ROUNDS, Phone, settled};

struct MemDoc {
    project: String,
    doc: AutoCommit,
    version: u64,
}

#[derive(Default)]
pub struct MemServer {
    docs: BTreeMap<String, MemDoc>,
    /// (device, document) → (encoded sync state, version the device holds).
    states: HashMap<(usize, String), (Vec<u8>, u64)>,
    /// Time spent inside Automerge's receive and generate on the server side.
    pub automerge: Duration,
}

impl MemServer {
    fn state(&self, device: usize, id: &str) -> State {
        self.states.get(&(device, id.to_string())).and_then(|(b, _)| State::decode(b).ok()).unwrap_or_default()
    }

    fn store(&mut self, device: usize, id: &str, state: &State) {
        let Some(d) = self.docs.get_mut(id) else { return };
        let seen = if state.shared_heads == d.doc.get_heads() { d.version } else { 0 };
        self.states.insert((device, id.to_string()), (state.encode(), seen));
    }

    pub fn handle(&mut self, device: usize, project: &str, req: SyncRequest) -> SyncResponse {
        let mut resp = SyncResponse { v: PROTOCOL_VERSION, ..Default::default() };
        if req.reset {
            self.states.retain(|(d, _), _| *d != device);
        }
        let mut seen = std::collections::HashSet::new();
        for m in req.docs {
            seen.insert(m.id.clone());
            let Ok(message) = Message::decode(&m.msg) else { continue };
            let mut state = self.state(device, &m.id);
            let entry = self.docs.entry(m.id.clone()).or_insert_with(|| MemDoc {
                project: project.to_string(),
                doc: AutoCommit::new(),
                version: 0,
            });
            let before = entry.doc.get_heads();
            let t = Instant::now();
            let received = entry.doc.sync().receive_sync_message(&mut state, message);
            wire::prepare_state(&mut state);
            let reply = entry.doc.sync().generate_sync_message(&mut state);
            self.automerge += t.elapsed();
            if received.is_err() {
                continue;
            }
            if entry.doc.get_heads() != before {
                entry.version += 1;
            }
            self.store(device, &m.id, &state);
            if let Some(r) = reply {
                resp.docs.push(DocMessage { id: m.id, msg: r.encode() });
            }
        }
        let unseen: Vec<String> = self
            .docs
            .iter()
            .filter(|(id, d)| {
                d.project == project
                    && d.version > 0
                    && !seen.contains(*id)
                    && self.states.get(&(device, (*id).clone())).is_none_or(|(_, v)| *v < d.version)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in unseen {
            let mut state = self.state(device, &id);
            let Some(d) = self.docs.get_mut(&id) else { continue };
            let t = Instant::now();
            wire::prepare_state(&mut state);
            let reply = d.doc.sync().generate_sync_message(&mut state);
            self.automerge += t.elapsed();
            self.store(device, &id, &state);
            if let Some(r) = reply {
                resp.docs.push(DocMessage { id, msg: r.encode() });
            }
        }
        resp
    }

    /// One phone sync against the in-memory server; returns the rounds it took.
    pub fn sync(&mut self, phone: &mut Phone) -> u32 {
        let mut need_entries;
        let mut req = phone.request(false);
        for round in 1..=MAX_ROUNDS {
            let sent = req.docs.len();
            let resp = self.handle(phone.index, &phone.project.clone(), req);
            need_entries = resp.need_manifest;
            let done = settled(sent, &resp);
            let _ = phone.apply(resp);
            if done {
                phone.persist_states();
                return round;
            }
            req = phone.request(std::mem::take(&mut need_entries));
            if req.docs.is_empty() && req.entries.is_none() {
                phone.persist_states();
                return round;
            }
        }
        phone.persist_states();
        MAX_ROUNDS
    }
}
