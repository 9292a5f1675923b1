//! A phone simulated with the automerge crate itself (as any Automerge implementation could take
//! part), following the protocol with the real client's rules (`record_schema::sync_client`): sync
//! states persisted in their encoded form between syncs, quiet documents skipped, the manifest
//! digest on every request and the full manifest when asked.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use automerge::sync::State;
use record_schema::sync_client::{MAX_ROUNDS, Next, SyncDriver};
use record_schema::wire::{DocError, SyncResponse};
use record_schema::{LabourSheet, Record};

use crate::post;

/// The app this phone says it is (`Fieldledger-App`), as the device list shows it.
pub const APP: (&str, &str) = ("Fieldledger-App", "fieldledger-simphone/1.0");

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
        assert!(t.settled, "sync did not settle in {MAX_ROUNDS} rounds: {t:?}");
        t
    }

    /// As `sync`, but an HTTP error ends the sync and is returned (states of completed rounds kept).
    pub fn try_sync(&mut self, addr: &str) -> Result<Traffic, (u16, String)> {
        let mut t = Traffic::default();
        let states = self.states.iter().filter_map(|(id, b)| State::decode(b).ok().map(|s| (id.clone(), s))).collect();
        let mut sync = SyncDriver::new(states);
        while !sync.settled() {
            for id in sync.candidates(self.docs.keys().cloned()) {
                let doc = self.docs.get_mut(&id);
                sync.offer(id, doc);
            }
            let docs = &self.docs;
            let req = match sync.request(|id| docs.contains_key(id)) {
                Next::Send(req) => req,
                Next::Done => break,
                Next::GiveUp => return Ok(t),
            };
            let mut body = Vec::new();
            ciborium::into_writer(&req, &mut body).expect("encode");
            let bearer = format!("Bearer {}", self.token);
            let (status, resp) =
                post(addr, "/v1/sync", &[("Authorization", &bearer), ("Content-Type", "application/cbor"), APP], &body);
            if status != 200 {
                return Err((status, String::from_utf8_lossy(&resp).into_owned()));
            }
            t.rounds += 1;
            t.sent += body.len();
            t.received += resp.len();
            t.per_round.push((body.len(), resp.len()));
            let resp: SyncResponse = ciborium::from_reader(resp.as_slice()).expect("decode response");
            let incoming = sync.receive(resp);
            t.errors.extend(incoming.errors);
            t.manifest_asked |= incoming.need_manifest;
            for m in incoming.news {
                let doc = self.docs.entry(m.id.clone()).or_default();
                sync.apply(doc, &m).unwrap_or_else(|e| panic!("apply: {e:?}"));
            }
            self.states = sync
                .states()
                .iter()
                .filter(|(id, _)| self.docs.contains_key(*id))
                .map(|(id, s)| (id.clone(), s.encode()))
                .collect();
        }
        t.settled = true;
        Ok(t)
    }

    /// Reads record `id` held here, lets `f` change it and writes it back: a foreman's edit on
    /// this phone (synced by the caller).
    pub fn edit(&mut self, id: &str, f: impl FnOnce(&mut Record)) {
        let doc = self.docs.get_mut(id).unwrap_or_else(|| panic!("{id} not held"));
        let mut record = Record::read(doc).expect("reads as a record");
        f(&mut record);
        record.write(doc).expect("write");
    }

    /// `edit` of a labour sheet.
    pub fn edit_sheet(&mut self, id: &str, f: impl FnOnce(&mut LabourSheet)) {
        self.edit(id, |r| {
            let Record::LabourSheet(s) = r else { panic!("{id} is not a labour sheet") };
            f(s)
        })
    }

    /// `edit` of an expense's amount.
    pub fn set_expense_amount(&mut self, id: &str, cents: i64) {
        self.edit(id, |r| {
            let Record::Expense(e) = r else { panic!("{id} is not an expense") };
            e.amount = rust_decimal::Decimal::new(cents, 2);
        });
    }

    /// The amount of expense `id` held here.
    pub fn expense_amount(&self, id: &str) -> rust_decimal::Decimal {
        let Record::Expense(e) = self.record(id) else { panic!("{id} is not an expense") };
        e.amount
    }

    pub fn record(&self, id: &str) -> Record {
        Record::read(self.docs.get(id).expect("doc held")).expect("reads as a record")
    }
}
