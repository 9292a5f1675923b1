//! Automerge's own cost of the same merges: the server's sync protocol (server/src/sync.rs) replayed
//! in process on in-memory documents, with no HTTP, CBOR, database, or document loading. Only the
//! server side's `receive_sync_message` and `generate_sync_message` calls are timed; the phones and
//! their edits are the same as in the measured run.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use record_schema::wire::{self, DocMessage, PROTOCOL_VERSION, SyncRequest, SyncResponse};

use record_schema::now_ms;
use record_schema::sync_client::Next;

use crate::args::Args;
use crate::phone::Phone;

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
        let mut sync = phone.start_sync();
        while !sync.settled() {
            let req = match phone.request(&mut sync) {
                Next::Send(req) => req,
                Next::Done | Next::GiveUp => break,
            };
            let resp = self.handle(phone.index, &phone.project, req);
            let incoming = sync.receive(resp);
            let _ = phone.apply(&mut sync, incoming);
        }
        let rounds = sync.round();
        phone.finish_sync(sync);
        rounds
    }
}

/// The in-process Automerge baseline: the same phones, setup and schedule against `MemServer`;
/// returns (Automerge µs per measured sync, rounds per measured sync, µs to load one sheet from its
/// saved bytes: what the server pays per document per request without a document cache).
pub fn automerge_baseline(
    args: &Args,
    projects: &[String],
    run: &str,
    warm_syncs: u64,
    measured_syncs: u64,
) -> (f64, f64, f64) {
    let mut server = MemServer::default();
    let mut phones: Vec<Phone> = (0..args.phones)
        .map(|i| Phone::new(i, String::new(), projects[i % projects.len()].clone(), run, args.lines))
        .collect();
    for _pass in 0..2 {
        for p in &mut phones {
            server.sync(p);
        }
    }
    let n = phones.len().max(1);
    let mut i = 0usize;
    for _ in 0..warm_syncs {
        phones[i % n].edit(now_ms());
        server.sync(&mut phones[i % n]);
        i += 1;
    }
    server.automerge = Duration::ZERO;
    let mut rounds = 0u64;
    for _ in 0..measured_syncs {
        phones[i % n].edit(now_ms());
        rounds += u64::from(server.sync(&mut phones[i % n]));
        i += 1;
    }
    let m = measured_syncs.max(1) as f64;
    let saved: Vec<Vec<u8>> = phones.iter_mut().filter_map(|p| p.docs.get_mut(&p.sheet_id).map(|d| d.save())).collect();
    let t = Instant::now();
    for bytes in &saved {
        let _ = automerge::AutoCommit::load(bytes);
    }
    let load_us = t.elapsed().as_secs_f64() * 1e6 / saved.len().max(1) as f64;
    (server.automerge.as_secs_f64() * 1e6 / m, rounds as f64 / m, load_us)
}
